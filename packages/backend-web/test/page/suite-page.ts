// The page that runs Tessera's conformance suite on @tessera/backend-web inside the browser. The
// test bundles it for the browser (core's "browser" entry and file swaps), serves it with the
// fixtures, and calls window.runSuite.
import { Tessera } from '@tessera/core';
import {
  collectOutcomes,
  defineConformanceSuite,
  provideFixtureFiles,
  type ConformanceFixture,
  type SuiteOutcome,
} from '@tessera/core/conformance/suite';
import { backend } from '@tessera/backend-web';
import { engineGap } from './engine-check.js';

export interface SuiteRequest {
  fixtures: ConformanceFixture[];
  device: string;
  threads?: number;
  wasmPaths: string;
  goldenTolerance?: number;
  battery?: boolean;
}

async function goldens(fixtures: ConformanceFixture[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(
    fixtures.flatMap((f) =>
      ['golden.json', 'forward.json'].map(async (name) => {
        const res = await fetch(`${f.dir}/${name}`);
        if (res.ok) out[`${f.dir}/${name}`] = await res.text();
      }),
    ),
  );
  return out;
}

async function runSuite(request: SuiteRequest): Promise<SuiteOutcome[]> {
  provideFixtureFiles(await goldens(request.fixtures));
  return collectOutcomes(
    (harness) =>
      defineConformanceSuite(harness, {
        backend,
        fixtures: request.fixtures,
        device: request.device,
        goldenTolerance: request.goldenTolerance,
        battery: request.battery,
        createOptions: { threads: request.threads, backendOptions: { wasmPaths: request.wasmPaths } },
      }),
    // The test prints these with TESSERA_PAGE_LOG=1: a page that hangs says where.
    (name) => console.debug(`tessera-test: start ${name}`),
  );
}

/** What the page runs on, as the test asserts it. */
async function environment(wasmPaths: string, device = 'auto', fixture = 'colbert-pylate') {
  const warnings: string[] = [];
  const t = await Tessera.create({
    model: `${location.origin}/fixtures/${fixture}`,
    backend: 'web',
    device,
    backendOptions: { wasmPaths },
    onWarning: (m) => warnings.push(m),
  });
  const info = {
    isolated: crossOriginIsolated,
    cores: navigator.hardwareConcurrency,
    engine: t.engine,
    device: t.device,
    warnings,
  };
  await t.dispose();
  return info;
}

Object.assign(window, { runSuite, environment, engineGap, Tessera });
