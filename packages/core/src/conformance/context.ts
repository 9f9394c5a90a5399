import type { Backend, LoadedModel } from '../backend/types.js';
import type { ModelSpec } from '../model/spec.js';
import type { Tessera } from '../tessera.js';

/** The four functions of a test runner the suite needs (vitest, node:test, mocha, jest all have them). */
export interface TestHarness {
  describe: (name: string, fn: () => void) => unknown;
  it: (name: string, fn: () => Promise<void> | void) => unknown;
  beforeAll: (fn: () => Promise<void> | void) => unknown;
  afterAll: (fn: () => Promise<void> | void) => unknown;
}

/** What each group of cases gets from the suite. */
export interface CaseContext {
  harness: TestHarness;
  backend: Backend;
  backendName: string;
  device: string;
  goldenTol: number;
  batchTol: number;
  /** Opens a fixture with the backend under test and the suite's options. */
  create: (dir: string) => Promise<Tessera>;
  /**
   * Loads a spec on the backend directly, as Tessera.create does: a device the backend refuses
   * for this model (DEVICE_UNAVAILABLE) falls back to the CPU.
   */
  load: (spec: ModelSpec) => Promise<LoadedModel>;
}
