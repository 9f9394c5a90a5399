import type { RepoFiles } from '../backend/types.js';
import type { ModelSpec } from './spec.js';
import { TesseraError } from '../errors.js';

/** The graph file names each dtype is looked for under, in order (Hugging Face repos' names). */
export const GRAPHS: Record<string, string[]> = {
  fp32: ['onnx/model.onnx', 'model.onnx'],
  q8: ['onnx/model_quantized.onnx', 'onnx/model_int8.onnx', 'onnx/model_qint8_avx512.onnx'],
  int8: ['onnx/model_int8.onnx', 'onnx/model_quantized.onnx'],
  fp16: ['onnx/model_fp16.onnx'],
  // transformers.js's names for the other variants Hugging Face repos ship.
  uint8: ['onnx/model_uint8.onnx', 'onnx/model_quint8_avx2.onnx'],
  q4: ['onnx/model_q4.onnx'],
  q4f16: ['onnx/model_q4f16.onnx'],
  bnb4: ['onnx/model_bnb4.onnx'],
};

/** The graph names a dtype is looked for under; an unknown dtype is refused, naming the known ones. */
export function graphNames(dtype: string): string[] {
  const names = GRAPHS[dtype];
  if (!names)
    throw new TesseraError(
      'INVALID_OPTION',
      `unknown dtype "${dtype}" for an ONNX graph (expected ${Object.keys(GRAPHS).join(', ')})`,
      { field: 'dtype' },
    );
  return names;
}

/** Where a folder's graph for a dtype may be, relative to the folder: at its root or in the transformer's folder. */
export function graphCandidates(spec: Pick<ModelSpec, 'dir' | 'transformerDir'>, dtype: string): string[] {
  // The transformer's folder is the model's folder or one below it, as a path or a URL alike.
  const rel = spec.transformerDir.slice(spec.dir.length).replace(/^[\\/]+/, '');
  return graphNames(dtype).flatMap((w) => (rel ? [w, `${rel}/${w}`] : [w]));
}

/**
 * An ONNX backend's files(): the graph for the dtype (at the root or in the transformer's folder) and
 * its external data; a repo with no such graph gets its safetensors weights, which the load then
 * names in its error (and which an exporter reads).
 */
export function graphFiles(repo: RepoFiles): string[] {
  const names = graphNames(repo.dtype ?? 'fp32');
  const has = new Set(repo.files);
  const graph = names.flatMap((n) => [n, `${repo.transformerDir}${n}`]).find((c) => has.has(c));
  if (!graph) {
    const weights = `${repo.transformerDir}model.safetensors`;
    return has.has(weights) ? [weights] : [];
  }
  return [graph, ...[`${graph}_data`, `${graph}.data`].filter((f) => has.has(f))];
}
