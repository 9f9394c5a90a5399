import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
import { loadModelSpec, resolveModel, TesseraError, type ModelSpec } from '@tessera/core';
import { architectureOf, modelFingerprint, readEncoderWeights, writeFailureReason } from '@tessera/core/backend';
import { EXPORTABLE, encoderGraph, MIN_OPSET } from '@tessera/onnx-graph';
import type { ExportDtype } from '@tessera/onnx-graph';

/** Bumped when the graphs written change, so cached exports of an older exporter are made again. */
export const EXPORTER_VERSION = 1;

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** The file a graph of each dtype is written under: the names the ONNX backend looks for first. */
export const EXPORT_FILES: Record<ExportDtype, string> = {
  fp32: 'model.onnx',
  q8: 'model_quantized.onnx',
  fp16: 'model_fp16.onnx',
};

export interface ExportOptions {
  /** fp32 (default); q8: int8 linear weights, activations quantized per call; fp16: half-size weights. */
  dtype?: ExportDtype;
  opset?: number;
  /** Include the ColBERT projection and normalization, for engines that want one graph. */
  projection?: boolean;
  /** Replace what the target folder holds when it is another model's export or other files. */
  force?: boolean;
  /** Stages as they start: reading the weights, building the graph, writing it. */
  onProgress?: (stage: 'weights' | 'graph' | 'write') => void;
}

export interface ExportResult {
  /** The graph written. */
  file: string;
  dtype: ExportDtype;
  opset: number;
  projection: boolean;
  architecture: string;
  inputs: string[];
  output: string;
  /** Seconds from reading the weights to the graph on disk. */
  seconds: number;
  bytes: number;
}

/** What export.json, written beside the graphs, records. */
export interface ExportManifest {
  producer: 'tessera';
  version: string;
  exporter: number;
  source: string;
  modelType: string;
  fingerprint: string;
  graphs: Record<string, Omit<ExportResult, 'file'> & { created: string }>;
}

export const MANIFEST = 'export.json';

function readManifest(dir: string): ExportManifest | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as ExportManifest;
    return m && m.producer === 'tessera' && typeof m.fingerprint === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Refuses a target folder that holds another model's export or files that are not an export, unless forced. */
function checkTarget(dir: string, fingerprint: string, source: string, force: boolean): void {
  if (force || !existsSync(dir)) return;
  const entries = readdirSync(dir).filter((e) => !e.startsWith('.'));
  if (entries.length === 0) return;
  const manifest = readManifest(dir);
  if (manifest?.fingerprint === fingerprint) return;
  const holds = manifest
    ? `an export of another model (${manifest.source})`
    : `files that are not a Tessera export (${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', ...' : ''})`;
  throw new TesseraError(
    'INVALID_OPTION',
    `${dir} holds ${holds}, not an export of ${source}; choose another folder or pass --force (force: true) to write there`,
    { field: 'to', dir },
  );
}

function writeFailed(file: string, e: unknown): TesseraError {
  return new TesseraError(
    'WRITE_FAILED',
    `cannot write ${file}: ${writeFailureReason(e)}; nothing was left under that name`,
    { file },
    { cause: e },
  );
}

/** Writes a file under a temporary name and renames it, so a failed write leaves nothing under the final name. */
export async function writeAtomically(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(resolve(file, '..'), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw writeFailed(file, e);
  }
}

/** Refuses a model type the exporter cannot write, naming the ones it can. */
export function checkExportable(spec: ModelSpec): void {
  if (!architectureOf(spec.modelType))
    throw new TesseraError(
      'INVALID_MODEL',
      `${join(spec.transformerDir, 'config.json')}: model_type "${spec.modelType}" cannot be exported to ONNX by Tessera ` +
        `(it exports ${EXPORTABLE.join(', ')})`,
      { field: 'model_type' },
    );
  if (!spec.weightsFile)
    throw new TesseraError(
      'INVALID_MODEL',
      `${spec.transformerDir}: no model.safetensors to export an ONNX graph from`,
      { dir: spec.transformerDir },
    );
}

/** A model folder's spec from a folder, registry id or hub repo (fetching configs and safetensors weights). */
export async function exportSpec(model: string | ModelSpec): Promise<ModelSpec> {
  if (typeof model !== 'string') return model;
  const { dir } = await resolveModel(model);
  return loadModelSpec(dir);
}

/**
 * Writes a model's encoder as an ONNX graph into `dir` (the graph named for its dtype and an
 * export.json saying what made it), from the checkpoint's safetensors: no Python, no torch.
 */
export async function exportOnnx(
  model: string | ModelSpec,
  dir: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const spec = await exportSpec(model);
  checkExportable(spec);
  const dtype = options.dtype ?? 'fp32';
  if (!(dtype in EXPORT_FILES))
    throw new TesseraError(
      'INVALID_OPTION',
      `dtype "${dtype}" is not one Tessera exports (${Object.keys(EXPORT_FILES).join(', ')})`,
      { field: 'dtype' },
    );
  const opset = options.opset ?? MIN_OPSET;
  const projection = options.projection ?? false;
  const fingerprint = await modelFingerprint(spec);
  const target = resolve(dir);
  checkTarget(target, fingerprint, spec.dir, options.force ?? false);

  const started = performance.now();
  options.onProgress?.('weights');
  const desc = await readEncoderWeights(spec, 'onnx');
  options.onProgress?.('graph');
  const graph = encoderGraph(spec, desc, { dtype, opset, projection });
  options.onProgress?.('write');
  try {
    await mkdir(target, { recursive: true });
  } catch (e) {
    throw writeFailed(target, e);
  }
  const file = join(target, EXPORT_FILES[dtype]);
  await writeAtomically(file, graph.bytes);
  const result: ExportResult = {
    file,
    dtype,
    opset,
    projection,
    architecture: spec.modelType,
    inputs: graph.inputs,
    output: graph.output,
    seconds: (performance.now() - started) / 1000,
    bytes: graph.bytes.length,
  };
  const previous = readManifest(target);
  const { file: _file, ...entry } = result;
  const manifest: ExportManifest = {
    producer: 'tessera',
    version: VERSION,
    exporter: EXPORTER_VERSION,
    source: spec.dir,
    modelType: spec.modelType,
    fingerprint,
    graphs: {
      ...(previous?.fingerprint === fingerprint ? previous.graphs : {}),
      [EXPORT_FILES[dtype]]: { ...entry, created: new Date().toISOString() },
    },
  };
  await writeAtomically(join(target, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return result;
}
