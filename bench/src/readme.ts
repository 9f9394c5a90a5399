#!/usr/bin/env node
// bench/README.md's figures come from a results file, never by hand: the headline block (the
// targets and the figures they are read against) and the full tables. `pnpm bench` rewrites them
// after a full run; `node dist/readme.js results/<file>.json` rewrites them from any saved run.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdown, type BenchResults } from './report.js';

const README = fileURLToPath(new URL('../README.md', import.meta.url));
const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` (appended when absent). */
export function replaceBlock(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return `${text.trimEnd()}\n\n${block}\n`;
  return text.slice(0, a) + block + text.slice(b + end.length);
}

const ofGemm = (x: number | null | undefined) => (x === undefined || x === null ? '' : `, ${x} of GEMM`);

/** The headline: the run's targets, with the machine's own limits measured beside them. */
export function headline(r: BenchResults, stem: string): string {
  const lines = [
    `From the newest full run, **${r.date}** (${r.machine.cpu}, ${r.machine.cores} cores, ${r.threads} threads ` +
      `for every engine; [results/${stem}.json](results/${stem}.json)). Generated from that file; the ` +
      `sections below say how to read each figure.`,
    '',
  ];
  if (r.sectionSeconds) {
    const total = Object.values(r.sectionSeconds).reduce((a, b) => a + b, 0);
    lines.push(
      `The run took ${Math.round(total / 60)} minutes: ${Object.entries(r.sectionSeconds)
        .map(([k, v]) => `${k} ${Math.round(v)} s`)
        .join(', ')}.`,
      '',
    );
  }
  lines.push('| target | measured | met |', '| --- | --- | --- |');
  for (const t of r.targets)
    lines.push(
      `| ${t.target} | ${t.measured}${t.note ? ` (${t.note})` : ''} | ${t.met === undefined ? 'n/a' : t.met ? 'yes' : '**no**'} |`,
    );
  if (r.maxsim) {
    const m = r.maxsim;
    lines.push(
      '',
      `MaxSim is bounded by this machine's matrix multiply, measured in the same run: fp32 GEMM ` +
        `${m.gemmGflops ?? 'not measured'} GFLOP/s, memory bandwidth ${m.bandwidthGBps} GB/s. ` +
        `${m.paths.map((p) => `${p.path}: ${p.oneMs} ms for 1 x ${m.documents} (${p.gflops} GFLOP/s${ofGemm(p.ofGemm)})`).join('; ')}.`,
    );
  }
  return lines.join('\n');
}

/** The README with both generated blocks rewritten from `r`. */
export function renderReadme(readme: string, r: BenchResults, stem: string): string {
  const full = markdown(r).replace(
    /^# .*\n/,
    `Full tables of the run of **${r.date}**. Chart: [results/${stem}.svg](results/${stem}.svg).\n`,
  );
  return replaceBlock(replaceBlock(readme, 'headline', headline(r, stem)), 'results', full);
}

export function updateReadme(r: BenchResults, stem: string, path = README): void {
  writeFileSync(path, renderReadme(readFileSync(path, 'utf8'), r, stem));
}

/** The stem of the results file the README's headline names. */
export function readmeSource(readme: string): string | undefined {
  return /<!-- headline:start -->[\s\S]*?\[results\/([^\]]+)\.json\]/.exec(readme)?.[1];
}

export { README, RESULTS };

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/readme.js results/<date>-<machine>.json\n');
    process.exitCode = 2;
  } else {
    const r = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
    if (r.quick) throw new Error(`${file} is a quick run: the README shows full runs only`);
    updateReadme(r, basename(file, '.json'));
    process.stderr.write(`bench/README.md rewritten from ${file}\n`);
  }
}
