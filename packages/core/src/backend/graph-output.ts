import { TesseraError } from '../errors.js';
import type { ModelSpec } from '../model/spec.js';

/** A graph output as an engine describes it: a name and dims (numbers, or symbolic names). */
export interface GraphOutput {
  name: string;
  dims: ReadonlyArray<number | string>;
}

const BACKBONE_OUTPUTS = ['last_hidden_state', 'token_embeddings', 'hidden_states', 'output_0'];

/**
 * Finds the output of an encoder graph to read and whether it still needs the ColBERT
 * projection: one already projected (its rows have the output width), else the backbone's
 * hidden states. `widthOf` gives the row width of an output whose last dimension is symbolic
 * (measured by a probe run).
 */
export async function chooseOutput<T extends GraphOutput>(
  outputs: readonly T[],
  spec: ModelSpec,
  file: string,
  widthOf: (name: string) => Promise<number>,
): Promise<{ output: T; project: boolean }> {
  const candidates = outputs.filter((o) => o.dims.length === 3 || o.dims.length === 0);
  const needsProjection = spec.projection.length > 0;
  const widths = new Map<string, number>();
  for (const o of candidates) {
    const last = o.dims[o.dims.length - 1];
    if (typeof last === 'number') widths.set(o.name, last);
    else if (BACKBONE_OUTPUTS.includes(o.name)) widths.set(o.name, spec.hiddenSize);
    else widths.set(o.name, await widthOf(o.name));
  }
  // A graph that already ends in the projection (Vespa-style "contextual"): its width is the output dim.
  if (needsProjection && spec.outputDim !== spec.hiddenSize) {
    const projected = candidates.find((o) => widths.get(o.name) === spec.outputDim);
    if (projected) return { output: projected, project: false };
  }
  const backbone =
    candidates.find((o) => BACKBONE_OUTPUTS.includes(o.name) && widths.get(o.name) === spec.hiddenSize) ??
    candidates.find((o) => widths.get(o.name) === spec.hiddenSize);
  if (backbone) return { output: backbone, project: needsProjection };
  const named = outputs
    .map((o) => `${o.name} [${o.dims.join(', ')}]${widths.has(o.name) ? ` (rows of ${widths.get(o.name)})` : ''}`)
    .join('; ');
  throw new TesseraError(
    'INVALID_MODEL',
    `${file}: no output fits this model (wanted [batch, sequence, ${spec.hiddenSize}] hidden ` +
      `states${needsProjection ? ` or [batch, sequence, ${spec.outputDim}] projected rows` : ''}; the graph ` +
      `has ${named})`,
    { file },
  );
}
