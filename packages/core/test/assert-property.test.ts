import fc from 'fast-check';
import { assertProperty } from '@tessera/fixtures/property';
import { describe, expect, it } from 'vitest';

// The helper every property test uses: its verdict must not depend on the machine's speed.
describe('assertProperty', () => {
  it('fails on a counterexample, with fast-check report and the label', async () => {
    const failed = await assertProperty(
      fc.property(fc.nat(), (n) => n < 0),
      { minRuns: 5, label: 'never' },
    ).catch((e: Error) => e);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(/^never: .*Counterexample/s);
  });

  it('always makes the minimum runs and never more than the maximum', async () => {
    let calls = 0;
    const runs = await assertProperty(
      fc.property(fc.nat(), () => {
        calls++;
        return true;
      }),
      { minRuns: 10, maxRuns: 20, seconds: 0 },
    );
    expect(runs).toBeGreaterThanOrEqual(10);
    expect(runs).toBeLessThanOrEqual(20);
    expect(calls).toBe(runs);
    expect(
      await assertProperty(
        fc.property(fc.nat(), () => true),
        { minRuns: 3, maxRuns: 40, seconds: 60 },
      ),
    ).toBe(40);
  });

  it('leaves no async run going when it returns, however the budget falls (runs share state)', async () => {
    let inFlight = 0;
    let most = 0;
    await assertProperty(
      fc.asyncProperty(fc.nat(), async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
      }),
      // The budget ends while runs are under way, many times over.
      { minRuns: 8, maxRuns: 1000, seconds: 0.25 },
    );
    expect(inFlight).toBe(0);
    expect(most).toBe(1);
  });
});
