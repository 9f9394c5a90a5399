// Soak: 10,000 encode calls and 2,000 create/dispose cycles on each installed backend, with the
// process's RSS, open file handles and the backend's own resources() (sessions, encoders, tfjs
// tensors) sampled as they run; then 100 concurrent encodeDocuments callers on one instance
// checked against sequential calls. Too long for CI: `pnpm --filter @tessera/bench soak`
// (`-- --calls 1000 --cycles 200` for a shorter run). Figures: bench/README.md.
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Tessera, backendStatus, getBackend, type Backend, type TokenEmbeddings } from '@tessera/core';
import { fixtures } from '@tessera/fixtures';

const { values } = parseArgs({
  options: { calls: { type: 'string' }, cycles: { type: 'string' }, backends: { type: 'string' } },
});
const calls = Number(values.calls ?? 10_000);
const cycles = Number(values.cycles ?? 2_000);
const MiB = 2 ** 20;

interface Sample {
  at: number;
  rssMiB: number;
  fds: number;
  resources: Record<string, number>;
}

function sample(at: number, backend: Backend): Sample {
  return {
    at,
    rssMiB: Math.round(process.memoryUsage().rss / MiB),
    fds: readdirSync('/proc/self/fd').length,
    resources: backend.resources?.() ?? {},
  };
}

const texts = [
  'a short query',
  'A longer document about ships, harbours and the sea, written to vary the length of the batch.',
  'x',
  'numbers 1 2 3 4 5 6 7 8 9 10 and words',
];

async function soak(name: string): Promise<Record<string, unknown>> {
  const backend = await getBackend(name);
  const t = await Tessera.create({ model: fixtures.pylate, backend: name, threads: 2 });
  const encodes: Sample[] = [];
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    if (i % Math.max(1, calls / 10) === 0) encodes.push(sample(i, backend));
    if (i % 2) await t.encodeDocuments([texts[i % texts.length]!]);
    else await t.encodeQueries([texts[i % texts.length]!]);
  }
  encodes.push(sample(calls, backend));
  const encodeSeconds = (performance.now() - t0) / 1000;

  // 100 concurrent callers on this instance: each must get exactly what a call alone gives.
  const callers = Array.from({ length: 100 }, (_, i) => [texts[i % 4]!, `${texts[(i + 1) % 4]} ${i}`]);
  const alone: TokenEmbeddings[][] = [];
  for (const c of callers) alone.push(await t.encodeDocuments(c));
  const together = await Promise.all(callers.map((c) => t.encodeDocuments(c)));
  const concurrentEqual = together.every((r, i) =>
    r.every((e, j) => e.rows === alone[i]![j]!.rows && e.data.every((v, k) => v === alone[i]![j]!.data[k])),
  );
  await t.dispose();

  const lifecycle: Sample[] = [];
  const t1 = performance.now();
  for (let i = 0; i < cycles; i++) {
    if (i % Math.max(1, cycles / 10) === 0) lifecycle.push(sample(i, backend));
    const u = await Tessera.create({ model: fixtures.pylate, backend: name, threads: 1 });
    await u.encodeQueries(['q']);
    await u.dispose();
  }
  lifecycle.push(sample(cycles, backend));
  const cycleSeconds = (performance.now() - t1) / 1000;
  // Growth after the first tenth (warm-up: allocator pools, JIT, caches).
  const growth = (s: Sample[]) => ({
    rssMiB: s.at(-1)!.rssMiB - s[1]!.rssMiB,
    fds: s.at(-1)!.fds - s[1]!.fds,
    resources: Object.fromEntries(
      Object.entries(s.at(-1)!.resources).map(([k, v]) => [k, v - (s[1]!.resources[k] ?? 0)]),
    ),
  });
  return {
    backend: name,
    calls,
    encodeSeconds: Math.round(encodeSeconds),
    encodeGrowth: growth(encodes),
    encodeSamples: encodes,
    concurrentEqual,
    cycles,
    cycleSeconds: Math.round(cycleSeconds),
    cycleGrowth: growth(lifecycle),
    cycleSamples: lifecycle,
  };
}

const installed = (await backendStatus())
  .filter((b) => b.installed && b.devices?.some((d) => d.available))
  .map((b) => b.name);
const names = values.backends ? values.backends.split(',') : installed;
const results = [];
for (const name of names) {
  const r = await soak(name);
  results.push(r);
  const e = r.encodeGrowth as { rssMiB: number; fds: number; resources: object };
  const c = r.cycleGrowth as { rssMiB: number; fds: number; resources: object };
  process.stdout.write(
    `soak ${name}: ${calls} encodes in ${r.encodeSeconds} s, growth after warm-up RSS ${e.rssMiB} MiB, fds ` +
      `${e.fds}, resources ${JSON.stringify(e.resources)}; 100 concurrent callers equal to sequential: ` +
      `${r.concurrentEqual}; ${cycles} create/dispose in ${r.cycleSeconds} s, growth RSS ${c.rssMiB} MiB, ` +
      `fds ${c.fds}, resources ${JSON.stringify(c.resources)}\n`,
  );
}
process.stdout.write(`${JSON.stringify(results)}\n`);
