import { afterAll, beforeAll, describe, it } from 'vitest';
import { defineConformanceSuite, defineStoreConformanceSuite, type ConformanceOptions, type StoreConformanceOptions } from './suite.js';

export * from './suite.js';

/**
 * The shared test cases every backend package runs in its own vitest suite:
 * golden parity, batched == one-at-a-time, order, empty batch, single item, truncation,
 * concurrent calls, streaming and dispose. Other runners: defineConformanceSuite from
 * '@tessera/core/conformance/suite' with their describe / it / beforeAll / afterAll.
 */
export function runConformanceSuite(options: ConformanceOptions): void {
  defineConformanceSuite({ describe, it, beforeAll, afterAll }, options);
}

/** The shared test cases every Store package runs in its own vitest suite (see StoreConformanceOptions). */
export function runStoreConformanceSuite(options: StoreConformanceOptions): void {
  defineStoreConformanceSuite({ describe, it, beforeAll, afterAll }, options);
}
