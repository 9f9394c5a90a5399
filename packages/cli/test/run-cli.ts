import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const CORPUS = fileURLToPath(new URL('../../../bench/corpus/passages.jsonl', import.meta.url));

/** Runs the built CLI offline; its exit code and output. */
export function runCli(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1', ...env },
    timeout: 600_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The bench corpus's passages (public-domain prose). */
export const passages = readFileSync(CORPUS, 'utf8')
  .trim()
  .split('\n')
  .map((l) => (JSON.parse(l) as { text: string }).text);

/** NDJSON output as objects, one a line. */
export const jsonLines = (s: string) =>
  s
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
