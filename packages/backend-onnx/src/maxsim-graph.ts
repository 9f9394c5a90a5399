import { OnnxGraph } from '@tessera/onnx-graph';

/**
 * A four-node ONNX model for MaxSim of Q queries (qr rows each; shorter ones padded with zero
 * rows, which add nothing) over a chunk of documents padded to one length L:
 *   docs [n, L, dim] x queriesT [dim, Q*qr] --MatMul--> [n, L, Q*qr] --Reshape--> [n, L, Q, qr]
 *   --ReduceMax(axis 1)--> [n, Q, qr] --ReduceSum(axis 2)--> scores [n, Q].
 * Opset 13, which every onnxruntime-node release we support runs. Padding rows repeat a
 * document's last row, so they never change a maximum and the graph needs no mask.
 */
export function maxSimGraph(): Uint8Array {
  const g = new OnnxGraph('tessera_maxsim', 13);
  g.input('docs', 'float32', ['n', 'length', 'dim']);
  g.input('queriesT', 'float32', ['dim', 'columns']);
  g.input('shape', 'int64', ['four']);
  const axis2 = g.initializer('axis2', 'int64', [1], BigInt64Array.of(2n));
  const dots = g.node('MatMul', ['docs', 'queriesT']);
  const perQuery = g.node('Reshape', [dots, 'shape']);
  const best = g.node('ReduceMax', [perQuery], { axes: { ints: [1] }, keepdims: { int: 0 } });
  g.node('ReduceSum', [best, axis2], { keepdims: { int: 0 } }, ['scores']);
  g.output('scores', 'float32', ['n', 'queries']);
  return g.toBytes();
}
