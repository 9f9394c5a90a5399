import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ModelSpec } from '@tessera/core';
import { modelFingerprint } from '@tessera/core/backend';
import { EXPORT_FILES, EXPORTER_VERSION, exportOnnx } from './export-model.js';
import type { ExportDtype } from '@tessera/onnx-graph';

/**
 * Where graphs exported on first use are kept: $TESSERA_CACHE/onnx, else tessera/onnx under
 * $XDG_CACHE_HOME or ~/.cache (beside the Hugging Face cache's default place).
 */
export function exportCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.TESSERA_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tessera');
  return join(root, 'onnx');
}

/** The cache folder of one model's exports: keyed by its weights' fingerprint and the exporter's version. */
export async function exportCacheDir(spec: ModelSpec, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const key = createHash('sha256')
    .update(`${await modelFingerprint(spec)}:${EXPORTER_VERSION}`)
    .digest('hex')
    .slice(0, 24);
  return join(exportCacheRoot(env), key);
}

// Loads of one model on several devices at once share one export.
const running = new Map<string, Promise<string>>();

/**
 * The cached graph of a model for a dtype, exported now when there is none (saying so through
 * `onMessage`, with the time it took and where it went).
 */
export async function cachedGraph(
  spec: ModelSpec,
  dtype: ExportDtype,
  onMessage: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const dir = await exportCacheDir(spec, env);
  const file = join(dir, EXPORT_FILES[dtype]);
  if (existsSync(file)) return file;
  let job = running.get(file);
  if (!job) {
    job = exportOnnx(spec, dir, { dtype, force: true }).then((r) => {
      onMessage(
        `${spec.dir} has no ONNX graph for dtype ${dtype}: exported one from its safetensors weights in ` +
          `${r.seconds.toFixed(1)} s to ${r.file} (kept for later loads)`,
      );
      return r.file;
    });
    running.set(file, job);
    job.finally(() => running.delete(file)).catch(() => undefined);
  }
  return job;
}
