import { TesseraError } from '../errors.js';
import {
  defineConformanceSuite,
  defineStoreConformanceSuite,
  type ConformanceOptions,
  type StoreConformanceOptions,
  type TestHarness,
} from './suite.js';

// vitest is an optional peer: without it this module still loads (readGolden and the runner-free
// defineConformanceSuite work), and the vitest helpers say what is missing.
const vitest = (await import('vitest').catch(() => undefined)) as TestHarness | undefined;

function harness(): TestHarness {
  if (!vitest)
    throw new TesseraError(
      'BACKEND_NOT_INSTALLED',
      'runConformanceSuite needs vitest (npm i -D vitest); with another runner call defineConformanceSuite ' +
        'from @tessera/core/conformance/suite with its describe / it / beforeAll / afterAll',
      {},
    );
  return { describe: vitest.describe, it: vitest.it, beforeAll: vitest.beforeAll, afterAll: vitest.afterAll };
}

export * from './suite.js';

/**
 * The shared test cases every backend package runs in its own vitest suite:
 * golden parity, batched == one-at-a-time, order, empty batch, single item, truncation,
 * concurrent calls, streaming and dispose. Other runners: defineConformanceSuite from
 * '@tessera/core/conformance/suite' with their describe / it / beforeAll / afterAll.
 */
export function runConformanceSuite(options: ConformanceOptions): void {
  defineConformanceSuite(harness(), options);
}

/** The shared test cases every Store package runs in its own vitest suite (see StoreConformanceOptions). */
export function runStoreConformanceSuite(options: StoreConformanceOptions): void {
  defineStoreConformanceSuite(harness(), options);
}
