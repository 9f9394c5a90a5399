import type { Backend } from '../backend/types.js';
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
}
