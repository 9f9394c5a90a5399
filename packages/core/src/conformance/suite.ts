import type { Backend } from '../backend/types.js';
import { isTesseraError } from '../errors.js';
import { platform } from '../platform/node.js';
import { Tessera, type CreateOptions } from '../tessera.js';
import { expect, fail } from './check.js';
import { colbertCases } from './colbert-cases.js';
import type { CaseContext, TestHarness } from './context.js';
import { denseCases } from './dense-cases.js';
import { forwardCases } from './forward-cases.js';
import { hubCases } from './hub-cases.js';
import { memoryCases } from './memory-cases.js';
import { scorerCases } from './scorer-cases.js';

export {
  maxAbsDiff,
  maxAbsDiffArrays,
  readGolden,
  type ColbertGolden,
  type DenseGolden,
  type ForwardGolden,
  type GoldenText,
} from './golden.js';
export { expect as check, expectRejection, closeRows, sameIds } from './check.js';
export type { TestHarness } from './context.js';
export { provideFixtureFiles } from './fixture-access.js';
export { collectOutcomes, type SuiteOutcome } from '../testing/harness.js';
export { defineStoreConformanceSuite, type StoreConformanceOptions } from './store-cases.js';

/** A fixture as @tessera/fixtures' fixtureList describes it. */
export interface ConformanceFixture {
  name: string;
  dir: string;
  kind: 'colbert' | 'dense';
  /** Backbone family (bert, distilbert, roberta, xlm-roberta, modernbert). */
  architecture: string;
  /** Settings variants run the golden-parity cases only. */
  variant?: boolean;
}

/** The fixture object of earlier releases: { stanford, pylate, dense?, distilbert?, roberta? }. */
export type LegacyFixtureMap = {
  stanford: string;
  pylate: string;
  dense?: string;
  distilbert?: string;
  roberta?: string;
};

export interface ConformanceOptions {
  /** The backend under test. */
  backend: Backend;
  /**
   * Fixtures to run: @tessera/fixtures' fixtureList (all of them). The legacy object is refused
   * by a failing test that says what to write instead.
   */
  fixtures: readonly ConformanceFixture[] | LegacyFixtureMap;
  /**
   * Architectures the backend does not run, with the reason. Their fixtures are not skipped: the
   * suite checks that the backend refuses them with a clear INVALID_MODEL error, and the test's
   * name says the architecture is not supported.
   */
  unsupported?: Record<string, string>;
  device?: string;
  /** Extra options for Tessera.create (threads, backendOptions, ...). */
  createOptions?: Partial<CreateOptions>;
  /** Golden tolerance; the reference outputs are float32 PyTorch. */
  goldenTolerance?: number;
  /** Batched vs one-at-a-time tolerance. */
  batchTolerance?: number;
  /**
   * false: every fixture's golden parity (framing, rows, MaxSim, batched == alone), the forward
   * contract and the scorer, without the battery of the main fixtures (order, empty and long
   * inputs, concurrent and streamed calls, out-of-memory splitting): for a second device of a
   * backend already run with the battery, on an emulated device too slow for it. Default true.
   */
  battery?: boolean;
}

/**
 * The legacy map names 5 of the fixtures (no ModernBERT, XLM-R, settings variants): a suite run on
 * it passed while a backend returned wrong rows for the others, so it is refused, with the line to
 * write instead, rather than run in part.
 */
const LEGACY_MAP =
  'fixtures: the fixture map of earlier releases ({ stanford, pylate, ... }) names 5 of the fixtures and ' +
  "misses ModernBERT, XLM-RoBERTa and every settings variant. Write `import { fixtureList } from '@tessera/fixtures'` " +
  'and `runConformanceSuite({ backend, fixtures: fixtureList, unsupported: { ... } })`; declare the ' +
  'architectures your backend does not run in `unsupported`, and the suite checks that it refuses them';

/**
 * The shared test cases every backend package runs in its own test suite: for each fixture,
 * golden framing (ids, attention masks, scored rows), rows and MaxSim against the reference
 * library, batched == one at a time; for main fixtures also order, empty and single inputs,
 * truncation, concurrent calls, streaming and input errors; the forward() contract (token types,
 * output buffers, overlapping calls, dispose); out-of-memory splitting; the optional engine
 * scorer (or core's) against the reference MaxSim; and the lifecycle.
 */
export function defineConformanceSuite(harness: TestHarness, options: ConformanceOptions): void {
  const { describe, it } = harness;
  const name = options.backend.name;
  // Backends load concrete ids: 'wasm' (a page's name for the CPU path) is 'cpu'.
  const device = options.device === 'wasm' ? 'cpu' : (options.device ?? 'cpu');
  platform.registerBackend(options.backend);
  const c: CaseContext = {
    harness,
    backend: options.backend,
    backendName: name,
    device,
    goldenTol: options.goldenTolerance ?? 1e-4,
    batchTol: options.batchTolerance ?? 1e-5,
    create: (dir) => Tessera.create({ model: dir, backend: options.backend, device, ...options.createOptions }),
    load: async (spec) => {
      const load = (d: string) => options.backend.load(spec, { device: d, threads: 2, onWarning: () => {} });
      try {
        return await load(device);
      } catch (e) {
        if (device === 'cpu' || !isTesseraError(e, 'DEVICE_UNAVAILABLE')) throw e;
        return load('cpu');
      }
    },
  };
  if (!Array.isArray(options.fixtures)) {
    describe(`${name} conformance: fixtures`, () => {
      it('runs every fixture (the legacy fixture map is refused)', () => fail(LEGACY_MAP));
    });
    return;
  }
  const fixtures = options.fixtures as readonly ConformanceFixture[];
  const unsupported = options.unsupported ?? {};

  for (const f of fixtures) {
    const reason = unsupported[f.architecture];
    if (reason !== undefined) {
      describe(`${name} conformance: ${f.name}`, () => {
        it(`is refused with a clear error: ${f.architecture} is not supported by ${name} (${reason})`, async () => {
          let err: unknown;
          try {
            const t = await c.create(f.dir);
            await t.dispose();
          } catch (e) {
            err = e;
          }
          if (!err)
            fail(
              `${name} declares ${f.architecture} unsupported but loaded ${f.name}; remove it from "unsupported" and let the fixture run`,
            );
          if (!isTesseraError(err, 'INVALID_MODEL'))
            fail(
              `${name} refused ${f.name} with ${(err as Error).name}: ${(err as Error).message}; a backend ` +
                `refuses an architecture it does not run with a TesseraError of code INVALID_MODEL`,
            );
        });
      });
      continue;
    }
    if (f.kind === 'dense') denseCases(c, f);
    else colbertCases(c, { ...f, variant: !!f.variant || options.battery === false });
    if (!f.variant && f.kind === 'colbert') forwardCases(c, f);
    if (f.name === 'pylate') {
      if (options.battery !== false) memoryCases(c, f);
      scorerCases(c, f);
      hubCases(c, f);
    }
  }

  describe(`${name} conformance: lifecycle`, () => {
    const first = fixtures.find((f) => unsupported[f.architecture] === undefined);
    it('refuses calls after dispose with a DISPOSED error', async () => {
      if (!first) fail('no fixture this backend runs');
      const t = await c.create(first.dir);
      await t.dispose();
      await t.dispose();
      let err: unknown;
      try {
        await t.encodeQueries(['x']);
      } catch (e) {
        err = e;
      }
      expect(isTesseraError(err, 'DISPOSED'), 'encodeQueries after dispose').toBe(true);
    });

    it('lists at least the cpu device', async () => {
      const devices = await options.backend.devices();
      expect(devices.find((d) => d.id === 'cpu')?.available, 'cpu device available').toBe(true);
    });
  });
}
