// Coverage-guided fuzzing of Tessera's parsers of untrusted files: `pnpm fuzz` (60 s a target),
// `pnpm fuzz -- 300` (seconds a target), `pnpm fuzz -- 60 safetensors` (one target).
//
// Hand-written because Jazzer.js does not run here: its 4.x prebuilt addon needs glibc 2.38, and
// 2.1's install fetches its addon from GitHub (unreachable here) or builds it with cmake-js. This loop uses V8's own block coverage (node:inspector,
// Profiler.takePreciseCoverage): an input that reaches a block no earlier input reached joins the
// corpus, and inputs are mutated from the corpus (bit flips, random bytes, interesting integers,
// cuts, inserts, splices), as libFuzzer does. Findings: fuzz/findings/<target>/<sha1>.bin.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seeds } from './seeds.mjs';
import { targets } from './targets.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.argv[2] ?? 60);
const only = process.argv[3];
const TIMEOUT_MS = 2000;

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });

/** Blocks of @tessera code that ran since the last call, as "url:start:end" keys. */
async function covered() {
  const { result } = await session.post('Profiler.takePreciseCoverage');
  const keys = [];
  for (const s of result) {
    if (!s.url.includes('/packages/')) continue;
    for (const f of s.functions)
      for (const r of f.ranges) if (r.count > 0) keys.push(`${s.url}:${r.startOffset}:${r.endOffset}`);
  }
  return keys;
}

let seed = Date.now() >>> 0;
const rand = (n) => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) % Math.max(1, n);
const INTERESTING = [0, 1, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x7fffffff, 0xffffffff];

function mutate(input, corpus) {
  let b = Buffer.from(input);
  for (let k = 1 + rand(4); k > 0; k--) {
    switch (rand(7)) {
      case 0:
        if (b.length) b[rand(b.length)] ^= 1 << rand(8);
        break;
      case 1:
        if (b.length) b[rand(b.length)] = rand(256);
        break;
      case 2:
        if (b.length >= 4) b.writeUInt32LE(INTERESTING[rand(INTERESTING.length)] >>> 0, rand(b.length - 3));
        break;
      case 3:
        b = b.subarray(0, rand(b.length + 1));
        break;
      case 4: {
        const at = rand(b.length + 1);
        b = Buffer.concat([
          b.subarray(0, at),
          Buffer.from(Array.from({ length: 1 + rand(16) }, () => rand(256))),
          b.subarray(at),
        ]);
        break;
      }
      case 5: {
        const o = corpus[rand(corpus.length)];
        const at = rand(b.length + 1);
        b = Buffer.concat([b.subarray(0, at), o.subarray(rand(o.length + 1))]);
        break;
      }
      case 6:
        if (b.length > 1) {
          const i = rand(b.length);
          const j = rand(b.length);
          [b[i], b[j]] = [b[j], b[i]];
        }
        break;
    }
  }
  return b.subarray(0, 1 << 16);
}

const withTimeout = (p) =>
  Promise.race([
    p,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`hang: no answer in ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref(),
    ),
  ]);

const report = [];
for (const [name, run] of Object.entries(targets)) {
  if (only && name !== only) continue;
  const corpusDir = join(here, 'corpus', name);
  const findingsDir = join(here, 'findings', name);
  mkdirSync(corpusDir, { recursive: true });
  const corpus = [...seeds[name](), ...readdirSync(corpusDir).map((f) => readFileSync(join(corpusDir, f)))];
  const seen = new Set();
  await covered();
  for (const c of corpus) {
    await run(c).catch(() => {});
    for (const k of await covered()) seen.add(k);
  }
  const start = Date.now();
  let execs = 0;
  const findings = new Map();
  while (Date.now() - start < seconds * 1000) {
    const input = mutate(corpus[rand(corpus.length)], corpus);
    execs++;
    try {
      await withTimeout(run(input));
    } catch (e) {
      const what = `${e?.constructor?.name}: ${String(e?.message).split('\n')[0].slice(0, 200)}`;
      if (!findings.has(what)) {
        findings.set(what, input);
        mkdirSync(findingsDir, { recursive: true });
        const file = join(findingsDir, `${createHash('sha1').update(input).digest('hex')}.bin`);
        writeFileSync(file, input);
        process.stdout.write(`fuzz ${name}: FINDING ${what} (${file})\n`);
      }
    }
    let fresh = false;
    for (const k of await covered())
      if (!seen.has(k)) {
        seen.add(k);
        fresh = true;
      }
    if (fresh) {
      corpus.push(input);
      writeFileSync(join(corpusDir, createHash('sha1').update(input).digest('hex')), input);
    }
  }
  const line = {
    target: name,
    seconds,
    execs,
    corpus: corpus.length,
    blocks: seen.size,
    findings: [...findings.keys()],
  };
  report.push(line);
  process.stdout.write(
    `fuzz ${name}: ${execs} runs in ${seconds} s, ${seen.size} blocks covered, corpus ${corpus.length}, findings ${findings.size}\n`,
  );
}
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(report.some((r) => r.findings.length) ? 1 : 0);
