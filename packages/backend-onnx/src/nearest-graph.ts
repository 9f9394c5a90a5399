import { OnnxGraph } from '@tessera/onnx-graph';

/**
 * The graph behind nearestRows: a [n, dim] · b [k, dim]ᵀ through Gemm (MLAS), then ArgMax over
 * the k scores of each row: the index of each row's best b row, int64 [n].
 */
export function nearestGraph(): Uint8Array {
  const g = new OnnxGraph('nearest', 13);
  g.input('a', 'float32', ['n', 'dim']).input('b', 'float32', ['k', 'dim']);
  const scores = g.node('Gemm', ['a', 'b'], { transB: { int: 1 } });
  g.node('ArgMax', [scores], { axis: { int: 1 }, keepdims: { int: 0 } }, ['nearest']);
  return g.output('nearest', 'int64', ['n']).toBytes();
}
