import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveModel } from '@tessera/core';
import { safetensorsWeights } from '@tessera/core/backend';
import { exportOnnx, graphFiles } from '@tessera/backend-onnx';
import { SYNTHETIC_SHAPES, writeSyntheticColbert } from '@tessera/core/testing';
import { fixtures } from '@tessera/fixtures';

export interface BenchModel {
  name: string;
  /** Stanford-layout folder: config.json, model.safetensors, tokenizer, onnx/model.onnx. */
  dir: string;
  description: string;
}

export const CACHE = fileURLToPath(new URL('../cache/', import.meta.url));

/** Writes a synthetic Stanford ColBERT checkpoint (safetensors, and its ONNX graph by Tessera's exporter) unless it is cached. */
async function synthesize(name: keyof typeof SYNTHETIC_SHAPES): Promise<string> {
  const s = SYNTHETIC_SHAPES[name];
  const dir = join(CACHE, `synthetic-${name}`);
  if (existsSync(join(dir, 'onnx', 'model.onnx'))) return dir;
  writeSyntheticColbert(dir, s, { tokenizerDir: fixtures.stanford });
  await exportOnnx(dir, join(dir, 'onnx'), { force: true });
  return dir;
}

/** tiny, small and base, or any registry id, Hugging Face repo id or folder (fetched with its ONNX graph). */
export async function benchModel(name: string): Promise<BenchModel> {
  if (name === 'tiny')
    return {
      name,
      dir: fixtures.stanford,
      description: 'the tiny Stanford fixture (hidden 32, 2 layers, 24-dim projection)',
    };
  if (name === 'small' || name === 'base')
    return { name, dir: await synthesize(name), description: SYNTHETIC_SHAPES[name].description };
  // The bench runs every backend on the same folder: the ONNX graph and the safetensors weights.
  const r = await resolveModel(name, { files: (repo) => [...graphFiles(repo), ...safetensorsWeights(repo)] });
  return {
    name,
    dir: r.dir,
    description: r.repo ? `${r.repo}@${r.revision} from the Hugging Face hub` : `the local folder ${r.dir}`,
  };
}
