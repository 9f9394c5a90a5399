import { ElemType } from './graph-info.js';
import { Writer } from './protobuf.js';

/**
 * A four-node ONNX model for MaxSim of Q queries (qr rows each; shorter ones padded with zero
 * rows, which add nothing) over a chunk of documents padded to one length L:
 *   docs [n, L, dim] x queriesT [dim, Q*qr] --MatMul--> [n, L, Q*qr] --Reshape--> [n, L, Q, qr]
 *   --ReduceMax(axis 1)--> [n, Q, qr] --ReduceSum(axis 2)--> scores [n, Q].
 * Written with our protobuf writer (no JS library writes ONNX graphs); opset 13, which every
 * onnxruntime-node release we support runs. Padding rows repeat a document's last row, so they
 * never change a maximum and the graph needs no mask.
 */
export function maxSimGraph(): Uint8Array {
  const dims = (names: string[]) => {
    const shape = new Writer();
    for (const n of names) shape.message(1, new Writer().string(2, n));
    return shape;
  };
  const value = (name: string, elem: number, shape: string[]) =>
    new Writer()
      .string(1, name)
      .message(2, new Writer().message(1, new Writer().varint(1, elem).message(2, dims(shape))));
  const node = (op: string, inputs: string[], output: string, attrs: (w: Writer) => void = () => {}) => {
    const w = new Writer();
    for (const i of inputs) w.string(1, i);
    w.string(2, output).string(3, output).string(4, op);
    attrs(w);
    return w;
  };
  const noKeep = (w: Writer) => w.message(5, new Writer().string(1, 'keepdims').varint(3, 0).varint(20, 2));
  const axis2 = new Writer()
    .varint(1, 1)
    .varint(2, ElemType.INT64)
    .string(8, 'axis2')
    .bytes(9, new Uint8Array(new BigInt64Array([2n]).buffer));
  const graph = new Writer()
    .message(1, node('MatMul', ['docs', 'queriesT'], 'dots'))
    .message(1, node('Reshape', ['dots', 'shape'], 'perQuery'))
    .message(
      1,
      node('ReduceMax', ['perQuery'], 'best', (w) =>
        noKeep(w.message(5, new Writer().string(1, 'axes').varint(8, 1).varint(20, 7))),
      ),
    )
    .message(1, node('ReduceSum', ['best', 'axis2'], 'scores', noKeep))
    .string(2, 'tessera_maxsim')
    .message(5, axis2)
    .message(11, value('docs', ElemType.FLOAT, ['n', 'length', 'dim']))
    .message(11, value('queriesT', ElemType.FLOAT, ['dim', 'columns']))
    .message(11, value('shape', ElemType.INT64, ['four']))
    .message(12, value('scores', ElemType.FLOAT, ['n', 'queries']));
  return new Writer()
    .varint(1, 7)
    .string(2, 'tessera')
    .message(7, graph)
    .message(8, new Writer().string(1, '').varint(2, 13))
    .finish();
}
