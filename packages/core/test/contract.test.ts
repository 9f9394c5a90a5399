import { describe, expect, it } from 'vitest';
import { fixtureList, fixtures } from '@tessera/fixtures';
import { defineConformanceSuite } from '../src/conformance/suite.js';
import { Tessera, type Backend } from '../src/index.js';
import { BACKEND_CONTRACT } from '../src/backend-kit.js';
import { collectOutcomes, fakeDevicesBackend } from '../src/testing/index.js';
import { errorOf } from './helpers.js';

const residualFixture = fixtureList.find((f) => f.name === 'pylate-residual-tanh')!;
/** A backend written to the first guide: no contract field. */
const firstGuide: Backend = { ...fakeDevicesBackend('first-guide'), contract: undefined };

describe('the backend contract', () => {
  it('runs a backend that declares no contract on a model without a residual', async () => {
    const t = await Tessera.create({ model: fixtures.pylate, backend: firstGuide, device: 'cpu' });
    expect((await t.encodeQueries(['hello']))[0]!.dim).toBe(t.dimension);
    await t.dispose();
  });

  it('refuses it for a model whose projection has a residual, saying what changed and what to write', async () => {
    const e = await errorOf(Tessera.create({ model: residualFixture.dir, backend: firstGuide, device: 'cpu' }));
    expect(e).toMatchObject({ code: 'BACKEND_CONTRACT' });
    expect(e.message).toMatch(/"first-guide" was written for backend contract 1 \(it declares none\)/);
    expect(e.message).toMatch(/contract 2 added DenseLayer.residual/);
    expect(e.message).toMatch(/1_Dense/);
    expect(e.message).toMatch(/declare `contract: 2`/);
    expect(e.message).toMatch(/projected: false/);
  });

  it('refuses a backend built for a newer contract', async () => {
    const future = { ...fakeDevicesBackend('future'), contract: BACKEND_CONTRACT + 1 };
    const e = await errorOf(Tessera.create({ model: fixtures.pylate, backend: future, device: 'cpu' }));
    expect(e).toMatchObject({ code: 'BACKEND_CONTRACT' });
    expect(e.message).toMatch(/implements backend contract 3; this @tessera\/core implements 2: update @tessera\/core/);
  });

  it("without the battery, keeps every fixture's parity, forward and scorer cases and drops the rest", () => {
    const backend = fakeDevicesBackend('battery');
    const names = (battery: boolean) => {
      const found: string[] = [];
      const path: string[] = [];
      defineConformanceSuite(
        {
          describe: (name, fn) => {
            path.push(name);
            fn();
            path.pop();
          },
          it: (name) => void found.push([...path, name].join(' > ')),
          beforeAll: () => {},
          afterAll: () => {},
        },
        { backend, fixtures: fixtureList, battery },
      );
      return found;
    };
    const full = names(true);
    const quick = names(false);
    expect(quick.every((n) => full.includes(n))).toBe(true);
    for (const f of fixtureList)
      expect(quick.some((n) => n.includes(`: ${f.name} (`) && /reference (query rows|ids)/.test(n))).toBe(true);
    expect(quick.some((n) => n.includes('forward contract'))).toBe(true);
    expect(quick.some((n) => n.includes('scorer'))).toBe(true);
    const dropped = full.filter((n) => !quick.includes(n));
    expect(dropped.some((n) => n.includes('100 concurrent callers'))).toBe(true);
    expect(dropped.some((n) => n.includes('out of memory'))).toBe(true);
    expect(dropped.every((n) => !/reference|forward contract|scorer/.test(n))).toBe(true);
  });

  it('refuses the legacy fixture map with the line to write instead, and runs nothing else', async () => {
    const outcomes = await collectOutcomes((harness) =>
      defineConformanceSuite(harness, { backend: fakeDevicesBackend('legacy'), fixtures }),
    );
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.error).toMatch(/names 5 of the fixtures/);
    expect(outcomes[0]!.error).toMatch(/fixtures: fixtureList/);
  });
});
