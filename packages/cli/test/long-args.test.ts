import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';

const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1', ...env },
    timeout: 600_000,
    maxBuffer: 1 << 28,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('a long command line', () => {
  // 100 KB in one argument: onnxruntime would crash (SIGSEGV) creating a session in this process.
  const text = Array.from({ length: 14_000 }, (_, i) => `w${i % 89}`)
    .join(' ')
    .padEnd(100 * 1024, ' tail');

  it('encodes a 100 KB argument on the onnx backend with the rows of the same text from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-long-'));
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, `${JSON.stringify({ text })}\n`);
    const tmp = mkdtempSync(join(tmpdir(), 'tessera-long-tmp-'));
    const fromArg = run(
      ['encode', '--backend', 'onnx', '--model', fixtures.pylate, '--as', 'document', '--quiet', text],
      { TMPDIR: tmp },
    );
    expect(fromArg.signal).toBe(null);
    expect(fromArg.stderr).toBe('');
    expect(fromArg.code).toBe(0);
    const fromFile = run([
      'encode',
      '--backend',
      'onnx',
      '--model',
      fixtures.pylate,
      '--as',
      'document',
      '--quiet',
      '--input',
      input,
    ]);
    expect(fromFile.code).toBe(0);
    const a = JSON.parse(fromArg.stdout) as { tokens: number; embeddings: number[][] };
    const b = JSON.parse(fromFile.stdout) as { tokens: number; embeddings: number[][] };
    expect(a.tokens).toBe(b.tokens);
    expect(a.embeddings.length).toBeGreaterThan(10);
    expect(a.embeddings).toEqual(b.embeddings);
    // The private file that carried the arguments is gone.
    expect(readdirSync(tmp).filter((f) => f.startsWith('tessera-args-'))).toEqual([]);
  });

  it('keeps exit codes and usage errors through the re-run', () => {
    const r = run(['encode', '--no-such-option', text]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no-such-option/);
  });
});
