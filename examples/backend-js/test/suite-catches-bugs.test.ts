import { describe, expect, it } from 'vitest';
import {
  maxSim,
  type Backend,
  type LoadedModel,
  type PackedRows,
  type PaddedBatch,
  type RowMatrix,
} from '@tessera/core';
import { defineConformanceSuite } from '@tessera/core/conformance/suite';
import { collectOutcomes, type SuiteOutcome } from '@tessera/core/testing';
import { fixtureList } from '@tessera/fixtures';
import { backend as reference } from '../src/index.js';

/**
 * The conformance suite must fail, with a message that points at the bug, for each mistake a
 * backend author is likely to make. Each mutant is the example backend with one bug planted.
 */

/** Runs the suite in-process and records each test's outcome. */
function runSuite(backend: Backend, fixtureNames: string[]) {
  const fixtures = fixtureList.filter((f) => fixtureNames.includes(f.name));
  return collectOutcomes((harness) =>
    defineConformanceSuite(harness, {
      backend,
      fixtures,
      unsupported: {
        distilbert: 'BERT only',
        roberta: 'BERT only',
        'xlm-roberta': 'BERT only',
        modernbert: 'BERT only',
      },
    }),
  );
}

/** The reference backend with its load() or forward() changed. */
function mutant(
  name: string,
  change: {
    load?: Backend['load'];
    forward?: (m: LoadedModel, b: PaddedBatch) => ReturnType<LoadedModel['forward']>;
    dispose?: (m: LoadedModel) => Promise<void>;
  },
): Backend {
  return {
    ...reference,
    name,
    async load(spec, options) {
      const m = await (change.load ?? reference.load)(spec, options);
      return {
        device: m.device,
        engine: m.engine,
        forward: (b) => (change.forward ? change.forward(m, b) : m.forward(b)),
        dispose: () => (change.dispose ? change.dispose(m) : m.dispose()),
      };
    },
  };
}

const failures = (o: SuiteOutcome[]) => o.filter((x) => x.error);

describe('the conformance suite catches planted bugs', () => {
  it('passes the unmodified example backend', async () => {
    const o = await runSuite(reference, ['stanford', 'pylate-bert-activations']);
    expect(o.length).toBeGreaterThan(20);
    expect(failures(o)).toEqual([]);
  });

  it('an ignored projection activation: the rows of a fixture whose projection is not Identity', async () => {
    const m = mutant('no-activation', {
      load: (spec, opt) =>
        reference.load({ ...spec, projection: spec.projection.map((l) => ({ ...l, activation: 'identity' })) }, opt),
    });
    const f = failures(await runSuite(m, ['pylate-bert-activations']));
    expect(f.map((x) => x.name)).toContain(
      'no-activation conformance: pylate-bert-activations (ColBERT, pylate) > matches the reference document rows',
    );
    expect(f.find((x) => x.name.endsWith('matches the reference document rows'))!.error).toMatch(
      /pylate-bert-activations document 0 .*row \d+ element \d+ is .*, the reference has .*Likely cause: .*projection \(its activation/,
    );
  });

  it('token_type_ids ignored: the forward contract with segment ids', async () => {
    const m = mutant('no-types', {
      forward: (model, b) => model.forward({ ...b, tokenTypeIds: new Int32Array(b.tokenTypeIds.length) }),
    });
    const f = failures(await runSuite(m, ['stanford']));
    expect(f.map((x) => x.name)).toEqual([
      'no-types conformance: forward contract (stanford) > returns the reference rows for a padded batch with token type ids',
    ]);
    expect(f[0]!.error).toMatch(/token_type_ids are ignored\), sequence 0: row \d+ element \d+/);
  });

  it('a shared output buffer: outputs that change under later calls', async () => {
    let shared = new Float32Array(0);
    const m = mutant('shared-buffer', {
      forward: async (model, b) => {
        const out = await model.forward(b);
        if (shared.length !== out.data.length) shared = new Float32Array(out.data.length);
        shared.set(out.data);
        return { ...out, data: shared };
      },
    });
    const f = failures(await runSuite(m, ['stanford']));
    const names = f.map((x) => x.name);
    expect(names).toContain(
      'shared-buffer conformance: forward contract (stanford) > keeps an output intact after later forward calls (no shared output buffer)',
    );
    expect(names).toContain(
      'shared-buffer conformance: forward contract (stanford) > gives each of several overlapping forward calls its own correct result',
    );
    expect(f.find((x) => x.name.includes('keeps an output intact'))!.error).toMatch(
      /changed at float \d+ after later calls; return a fresh array per call/,
    );
  });

  it('a dispose() that releases nothing: forward still works, and resources() never goes back', async () => {
    const keeps = mutant('keeps-model', { dispose: async () => {} });
    const f = failures(await runSuite(keeps, ['stanford']));
    expect(f.map((x) => x.name)).toContain(
      'keeps-model conformance: forward contract (stanford) > refuses forward() after dispose()',
    );
    expect(f.find((x) => x.name.endsWith('refuses forward() after dispose()'))!.error).toMatch(
      /still works after dispose\(\), so dispose\(\) released nothing/,
    );
    expect(f.find((x) => x.name.includes('gives back on dispose()'))!.error).toMatch(
      /after dispose\(\) resources\(\)\.models is \d+, before load\(\) it was \d+/,
    );
  });

  it('a dropped attention mask: batched rows differ from rows alone', async () => {
    const m = mutant('no-mask', {
      forward: (model, b) => model.forward({ ...b, attentionMask: new Int32Array(b.attentionMask.length).fill(1) }),
    });
    const f = failures(await runSuite(m, ['stanford']));
    expect(
      f.find((x) => x.name.endsWith('gives the same rows batched as one at a time (mixed lengths)'))!.error,
    ).toMatch(/batched vs alone: rows differ by .*padding leaks into real tokens/);
  });

  it('rows normalized by the backend: the forward contract says which', async () => {
    const m = mutant('normalizes', {
      forward: async (model, b) => {
        const out = await model.forward(b);
        for (let r = 0; r < out.data.length / out.dim; r++) {
          const row = out.data.subarray(r * out.dim, (r + 1) * out.dim);
          const n = Math.hypot(...row) || 1;
          for (let j = 0; j < out.dim; j++) row[j]! /= n;
        }
        return out;
      },
    });
    const f = failures(await runSuite(m, ['stanford']));
    expect(f.map((x) => x.name)).toEqual([
      'normalizes conformance: forward contract (stanford) > returns the reference rows for a padded batch with token type ids',
    ]);
  });

  /** The reference backend with an engine scorer that scores each document's rows as `rowsOf` gives them. */
  function withScorer(name: string, rowsOf: (d: RowMatrix) => RowMatrix): Backend {
    return {
      ...reference,
      name,
      async load(spec, options) {
        const m = await reference.load(spec, options);
        return {
          ...m,
          device: m.device,
          engine: m.engine,
          forward: (b) => m.forward(b),
          dispose: () => m.dispose(),
          async createScorer(packed: PackedRows) {
            const docs = Array.from({ length: packed.offsets.length - 1 }, (_, i) =>
              rowsOf({
                rows: packed.offsets[i + 1]! - packed.offsets[i]!,
                dim: packed.dim,
                data: packed.data.subarray(packed.offsets[i]! * packed.dim, packed.offsets[i + 1]! * packed.dim),
              }),
            );
            return {
              engine: `${name} scorer`,
              score: async (q: RowMatrix) => Float32Array.from(docs, (d) => maxSim(q, d)),
              dispose: async () => {},
            };
          },
        };
      },
    };
  }
  const scorerFailures = async (b: Backend) =>
    failures(await runSuite(b, ['pylate'])).filter((x) => x.name.includes('scorer'));

  it('an engine scorer is used and passes when it is right', async () => {
    expect(await scorerFailures(withScorer('right-scorer', (d) => d))).toEqual([]);
  });

  it('an engine scorer that pads documents with zero rows: negative documents score 0', async () => {
    const f = await scorerFailures(
      withScorer('zero-padding', (d) => {
        const rows = Math.ceil(d.rows / 4) * 4;
        const data = new Float32Array(rows * d.dim);
        data.set(d.data);
        return { rows, dim: d.dim, data };
      }),
    );
    expect(f.length).toBeGreaterThan(0);
    expect(f[0]!.error).toMatch(
      /zero-padding scorer, .*document \d+ \(\d+ rows\) scores .*padding rows must not count/,
    );
  });

  it("an engine scorer that drops each document's last row", async () => {
    const f = await scorerFailures(
      withScorer('drops-last', (d) => ({
        ...d,
        rows: Math.max(0, d.rows - 1),
        data: d.data.subarray(0, Math.max(0, d.rows - 1) * d.dim),
      })),
    );
    expect(f.length).toBeGreaterThan(0);
    expect(f[0]!.error).toMatch(/drops-last scorer, a 32-row query: document \d+ .* the reference MaxSim is/);
  });
});
