import type { DenseLayer } from '@tessera/core';
import { GraphLayers } from '@tessera/onnx-graph';
import { elemType, OnnxGraph } from '@tessera/onnx-graph';
import { ElemType } from '@tessera/onnx-graph';

/** Prefix of everything added, so the names never clash with the exporter's. */
const P = 'tessera_proj_';

/**
 * ModelProto bytes that, appended to a model's bytes, add the projection layers after `hidden`
 * and a new graph output (protobuf merges the repeated fields of the embedded graph).
 */
export function projectionPatch(
  hidden: string,
  layers: readonly DenseLayer[],
  hiddenType: number = ElemType.FLOAT,
): { patch: Uint8Array; output: string } {
  const g = new OnnxGraph(undefined, 17, 'tessera', P);
  const L = new GraphLayers(g, 'fp32', P);
  // An fp16 graph's rows are cast up: the projection's weights stay float32, as the reference computes it.
  const rows =
    hiddenType === ElemType.FLOAT16 ? g.node('Cast', [hidden], { to: { int: elemType('float32') } }) : hidden;
  const output = `${P}output`;
  g.node('Identity', [L.projection(rows, layers)], {}, [output]);
  g.output(output, 'float32');
  return { patch: g.toPatch(), output };
}
