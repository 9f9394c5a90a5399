import type { Backend, LoadedModel } from '../backend/types.js';
import type { ModelSpec } from '../model/spec.js';
import type { CreateOptions } from '../tessera.js';

/** A model opened for Tessera.create: its spec and the reference that opens it again. */
export interface OpenedModel {
  spec: ModelSpec;
  ref: string;
}

/**
 * What Tessera.create needs from where it runs: Node finds backends among installed packages,
 * models on disk or the hub, and CUDA's free memory; a browser takes registered backends and
 * models fetched from a URL or picked by the user. Bundlers pick ./browser.js through the
 * package's "browser" field.
 */
export interface Platform {
  /** Makes a backend object available by name (the conformance suite registers the one it tests). */
  registerBackend(backend: Backend): void;
  chooseBackend(name: CreateOptions['backend'], warn: (m: string) => void): Promise<Backend>;
  openModel(options: CreateOptions, backend: Backend): Promise<OpenedModel>;
  /** A token budget from the devices' free memory, with how it was found; undefined where none is known. */
  memoryBudget(
    models: LoadedModel[],
    spec: ModelSpec,
    dtypeBytes: number,
  ): Promise<{ tokens: number; note: string } | undefined>;
}
