import { closeRows, expect, fail } from './check.js';
import { readGolden, type ForwardGolden } from './golden.js';
import type { CaseContext } from './context.js';
import type { LoadedModel, PaddedBatch } from '../backend/types.js';
import { projectRows } from '../postprocess/project.js';
import { fixtureFileText, openFixtureSpec } from './fixture-access.js';
import { isTesseraError } from '../errors.js';

/** The golden batch; without types its token type ids are all 0; `rows` keeps the first sequences only. */
function batchOf(g: ForwardGolden, types = true, rows = g.input_ids.length): PaddedBatch {
  const flat = (m: number[][]) => Int32Array.from(m.slice(0, rows).flat());
  const seqLen = g.input_ids[0]!.length;
  return {
    batchSize: rows,
    seqLen,
    inputIds: flat(g.input_ids),
    attentionMask: flat(g.attention_mask),
    tokenTypeIds: types ? flat(g.token_type_ids) : new Int32Array(rows * seqLen),
  };
}

/** Compares the attended positions of a forward output with the reference rows. */
function checkRows(g: ForwardGolden, data: Float32Array, dim: number, tol: number, what: string): void {
  const L = g.input_ids[0]!.length;
  g.rows.forEach((seq, b) => {
    const keep = g.attention_mask[b]!.map((m, p) => (m ? p : -1)).filter((p) => p >= 0);
    const got = new Float32Array(keep.length * dim);
    keep.forEach((p, k) => got.set(data.subarray((b * L + p) * dim, (b * L + p + 1) * dim), k * dim));
    closeRows(
      got,
      keep.length,
      dim,
      keep.map((p) => seq[p]!),
      tol,
      `${what}, sequence ${b}`,
    );
  });
}

/**
 * The LoadedModel contract, tested on the backend directly: reference rows for a padded batch
 * with token types, outputs that stay valid after later calls, overlapping calls, and dispose.
 */
export function forwardCases(c: CaseContext, fixture: { name: string; dir: string }): void {
  if (fixtureFileText(fixture.dir, 'forward.json') === undefined) return;
  const { it, describe } = c.harness;
  const g = readGolden<ForwardGolden>(fixture.dir, 'forward.json');
  const load = async (): Promise<LoadedModel> => c.load(await openFixtureSpec(fixture.dir));
  describe(`${c.backendName} conformance: forward contract (${fixture.name})`, () => {
    it('returns the reference rows for a padded batch with token type ids', async () => {
      const m = await load();
      try {
        const spec = await openFixtureSpec(fixture.dir);
        // A model that leaves the projection to core (projected: false) is checked as core runs it.
        const raw = await m.forward(batchOf(g));
        const out = m.projected === false ? projectRows(spec.projection, raw) : raw;
        expect(out.dim, 'output width').toBe(g.dim);
        expect(out.data.length, 'output floats').toBe(out.batchSize * out.seqLen * out.dim);
        checkRows(
          g,
          out.data,
          out.dim,
          c.goldenTol,
          `${fixture.name} forward with token types (if only the second segment differs, token_type_ids are ignored)`,
        );
      } finally {
        await m.dispose();
      }
    });

    it('keeps an output intact after later forward calls (no shared output buffer)', async () => {
      const m = await load();
      try {
        const first = await m.forward(batchOf(g));
        const copy = first.data.slice();
        await m.forward(batchOf(g, false));
        await m.forward(batchOf(g, true, 1));
        for (let i = 0; i < copy.length; i++)
          if (!Object.is(copy[i], first.data[i]))
            fail(
              `${fixture.name}: the data of an earlier forward() result changed at float ${i} after later calls; return a fresh array per call`,
            );
      } finally {
        await m.dispose();
      }
    });

    it('gives each of several overlapping forward calls its own correct result', async () => {
      const m = await load();
      try {
        const batches = [batchOf(g), batchOf(g, false), batchOf(g), batchOf(g, false)];
        const outs = await Promise.all(batches.map((b) => m.forward(b)));
        // Copied at once: the references must not share storage with anything the backend reuses.
        const ref = [(await m.forward(batches[0]!)).data.slice(), (await m.forward(batches[1]!)).data.slice()];
        outs.forEach((o, k) => {
          const want = ref[k % 2]!;
          if (o.data.length !== want.length)
            fail(
              `${fixture.name}: overlapping call ${k} returned ${o.data.length} floats, the same batch alone ${want.length}`,
            );
          for (let i = 0; i < o.data.length; i++)
            if (!(Math.abs(o.data[i]! - want[i]!) <= c.batchTol))
              fail(
                `${fixture.name}: overlapping call ${k} differs from the same batch run alone at float ${i}; ` +
                  `serialize forward() or give each call its own buffers`,
              );
        });
      } finally {
        await m.dispose();
      }
    });

    if (c.backend.resources) {
      it('gives back on dispose() everything load() took (resources() counts)', async () => {
        const count = () => c.backend.resources!();
        const before = count();
        const m = await load();
        await m.forward(batchOf(g));
        const held = count();
        if (!Object.keys(held).some((k) => (held[k] ?? 0) > (before[k] ?? 0)))
          fail(
            `${fixture.name}: resources() reports nothing more held after load() (${JSON.stringify(before)} -> ` +
              `${JSON.stringify(held)}); it should count what a loaded model holds`,
          );
        await m.dispose();
        const after = count();
        for (const k of Object.keys(held))
          if ((after[k] ?? 0) !== (before[k] ?? 0))
            fail(
              `${fixture.name}: after dispose() resources().${k} is ${after[k]}, before load() it was ${before[k] ?? 0}: dispose() did not release it`,
            );
      });
    }

    it('refuses forward() after dispose()', async () => {
      const m = await load();
      await m.dispose();
      let err: unknown;
      try {
        await m.forward(batchOf(g));
      } catch (e) {
        err = e;
      }
      if (!err) fail(`${fixture.name}: forward() still works after dispose(), so dispose() released nothing`);
      if (!isTesseraError(err))
        fail(
          `${fixture.name}: forward() after dispose() threw a plain ${(err as Error)?.name ?? typeof err} ` +
            `("${(err as Error)?.message}"); throw a TesseraError (code DISPOSED)`,
        );
    });
  });
}
