import { Tessera, TesseraError, type CreateOptions } from '@tessera/core';

/** Tessera's create options without the model, which the provider's model id gives. */
export type TesseraModelSettings = Omit<CreateOptions, 'model'>;

/**
 * One Tessera per model id and settings, opened on first use and shared by every model object
 * that names it (a rerank call must not load weights again).
 */
const open = new Map<string, Promise<Tessera>>();

export function tesseraFor(modelId: string, settings: TesseraModelSettings): Promise<Tessera> {
  const key = JSON.stringify([
    modelId,
    settings,
    typeof settings.backend === 'object' ? settings.backend.name : undefined,
  ]);
  let t = open.get(key);
  if (!t) {
    t = Tessera.create({ ...settings, model: modelId });
    open.set(key, t);
    t.catch(() => open.delete(key));
  }
  return t;
}

/** Disposes every Tessera the provider opened (tests, shutdown). */
export async function closeAll(): Promise<void> {
  const all = [...open.values()];
  open.clear();
  await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.dispose()));
}

export function requireKind(t: Tessera, kind: 'colbert' | 'dense', modelId: string, what: string): void {
  if (t.kind !== kind)
    throw new TesseraError(
      'INVALID_MODEL',
      `${modelId} is a ${t.kind === 'dense' ? 'dense (single-vector)' : 'ColBERT (multi-vector)'} model; ` +
        `${what} needs a ${kind === 'dense' ? 'dense' : 'ColBERT'} one`,
      { model: modelId },
    );
}
