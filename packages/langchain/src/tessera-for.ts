import { Tessera, TesseraError, type CreateOptions } from '@tessera/core';

/** What every Tessera LangChain class takes: a model (registry id, hub id or folder) and Tessera's create options. */
export type TesseraLangChainOptions = CreateOptions & { model: string };

/** Opens the Tessera on first use (LangChain constructors are synchronous) and checks its kind. */
export class LazyTessera {
  private t: Promise<Tessera> | undefined;

  constructor(
    private readonly options: TesseraLangChainOptions,
    private readonly kind: 'colbert' | 'dense',
    private readonly what: string,
  ) {
    if (!options || typeof options.model !== 'string' || !options.model)
      throw new TesseraError(
        'INVALID_OPTION',
        `${what} needs a model: a registry id, a Hugging Face repo id or a local folder`,
        { field: 'model' },
      );
  }

  get(): Promise<Tessera> {
    this.t ??= Tessera.create(this.options).then((t) => {
      if (t.kind !== this.kind) {
        void t.dispose();
        throw new TesseraError(
          'INVALID_MODEL',
          `${this.options.model} is a ` +
            `${t.kind === 'dense' ? 'dense (single-vector)' : 'ColBERT (multi-vector)'} model; ${this.what} ` +
            `needs a ${this.kind === 'dense' ? 'dense' : 'ColBERT'} one`,
          { model: this.options.model },
        );
      }
      return t;
    });
    this.t.catch(() => (this.t = undefined));
    return this.t;
  }

  async dispose(): Promise<void> {
    const t = this.t;
    this.t = undefined;
    await (await t?.catch(() => undefined))?.dispose();
  }
}
