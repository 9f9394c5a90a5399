import { TesseraError } from '../errors.js';
import { modelFingerprint } from '../model/fingerprint.js';
import type { Tessera } from '../tessera.js';
import type { IndexManifest, Store } from './types.js';

/** The manifest an index built with this model would have. */
export async function manifestFor(t: Tessera): Promise<IndexManifest> {
  if (t.kind !== 'colbert')
    throw new TesseraError(
      'INVALID_OPTION',
      `${t.modelRef} is a dense (single-vector) model; indexes hold ColBERT token vectors`,
      { model: t.modelRef },
    );
  return {
    format: 1,
    model: t.modelRef,
    modelFingerprint: await modelFingerprint(t.spec),
    dimension: t.dimension,
    createdAt: new Date().toISOString(),
  };
}

/** Refuses a model or dimension other than the index's, naming both. */
export function checkManifest(store: Store, have: IndexManifest, want: IndexManifest): void {
  if (have.format !== 1)
    throw new TesseraError(
      'NOT_AN_INDEX',
      `${store.location}: index format ${String(have.format)} is not one this version of Tessera reads (1)`,
      { location: store.location },
    );
  if (have.modelFingerprint === want.modelFingerprint && have.dimension === want.dimension) return;
  const run =
    have.modelFingerprint === want.modelFingerprint
      ? `dimension ${want.dimension}`
      : have.model === want.model
        ? `a different version of ${want.model} (its configuration or weights changed)`
        : `${want.model} (dimension ${want.dimension})`;
  throw new TesseraError(
    'INDEX_MISMATCH',
    `${store.location} was built with ${have.model} (dimension ${have.dimension}); this run uses ${run}. ` +
      `Vectors from two models or dimensions cannot share an index: index into a new folder, or use ` +
      `${have.model} at dimension ${have.dimension}`,
    {
      location: store.location,
      index: { model: have.model, dimension: have.dimension },
      run: { model: want.model, dimension: want.dimension },
    },
  );
}

/**
 * Reads the store's manifest, writing this model's into a new store; refuses a mismatch.
 * `vectors` false makes a new store compressed-only; an existing store keeps what it was made
 * as, and asking for the other is refused.
 */
export async function openManifest(t: Tessera, store: Store, vectors?: boolean): Promise<IndexManifest> {
  const want = await manifestFor(t);
  const have = await store.readManifest();
  if (!have) {
    if ((await store.count()) > 0)
      throw new TesseraError(
        'NOT_AN_INDEX',
        `${store.location} holds data but no Tessera index manifest; it is not an index Tessera wrote`,
        { location: store.location },
      );
    const made: IndexManifest = vectors === false ? { ...want, vectors: false } : want;
    await store.writeManifest(made);
    return made;
  }
  checkManifest(store, have, want);
  if (vectors !== undefined && vectors !== (have.vectors !== false))
    throw new TesseraError(
      'INVALID_OPTION',
      have.vectors === false
        ? `${store.location} is compressed-only (made with --no-vectors): it cannot take float rows; index into a new folder to keep them`
        : `${store.location} keeps float rows: --no-vectors (vectors: false) applies to a new index; index into a new folder`,
      { field: 'vectors', location: store.location },
    );
  return have;
}
