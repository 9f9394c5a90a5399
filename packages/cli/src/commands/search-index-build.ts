import type { CodecOptions, LateIndexOptions, LateIndexSummary, Store } from '@tessera/core';
import { updateLateIndex } from '@tessera/core/store';
import { choice, intOption } from '../args.js';
import { ProgressBar } from '../progress.js';

/** --nbits and --centroids as build options (usage errors when they are not valid). */
export function buildOptions(values: Record<string, unknown>): LateIndexOptions {
  const nbits = choice(values, 'nbits', ['1', '2', '4'] as const);
  return {
    nbits: nbits === undefined ? undefined : (Number(nbits) as 1 | 2 | 4),
    centroids: intOption(values, 'centroids'),
    poolFactor: intOption(values, 'pool-factor'),
  };
}

/** A --no-vectors index's codec: --nbits, --centroids and --train-documents shape it when it is made. */
export function codecOptions(values: Record<string, unknown>): CodecOptions {
  const { nbits, centroids } = buildOptions(values);
  const trainDocuments = intOption(values, 'train-documents');
  return {
    ...(nbits ? { nbits } : {}),
    ...(centroids ? { centroids } : {}),
    ...(trainDocuments ? { trainDocuments } : {}),
  };
}

export const describeSearchIndex = (s: LateIndexSummary) =>
  `compressed search index: ${s.documents} documents, ${s.rows} token rows, ${s.centroids} centroids, ` +
  `${s.nbits}-bit residuals${s.poolFactor > 1 ? `, rows pooled by ${s.poolFactor}` : ''}, ${s.bytesPerToken} bytes a row, ` +
  (s.mode === 'built'
    ? `built in ${s.seconds.toFixed(1)} s${s.rebuiltBecause ? ` (rebuilt: ${s.rebuiltBecause})` : ''}`
    : s.mode === 'updated'
      ? `updated in ${s.seconds.toFixed(1)} s (${s.added} documents encoded against its centroids, ${s.removed} old versions dropped)`
      : 'already up to date') +
  (s.advice ? `; ${s.advice}` : '');

/** Builds the compressed index with a progress bar per stage. */
export async function buildWithProgress(
  store: Store,
  options: LateIndexOptions,
  quiet: boolean,
  say: (m: string) => void,
  build: (store: Store, options: LateIndexOptions) => Promise<LateIndexSummary> = updateLateIndex,
): Promise<LateIndexSummary> {
  say('compressed search index (PLAID: centroids, packed residuals, inverted lists)');
  let bar: ProgressBar | undefined;
  let stage = '';
  try {
    return await build(store, {
      ...options,
      onProgress: (p) => {
        if (p.stage !== stage) {
          bar?.done();
          stage = p.stage;
          bar = new ProgressBar(
            stage,
            undefined,
            quiet,
            process.stderr,
            `${stage.padEnd(9)} {bar} {percentage}% | {done} of {of}`,
          );
        }
        bar!.track(p.done / Math.max(1, p.total), { done: p.done, of: p.total });
      },
    });
  } finally {
    bar?.done();
  }
}
