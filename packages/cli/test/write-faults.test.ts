import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { waitFor } from './wait.js';

const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const MODEL = ['--backend', 'onnx', '--model', fixtures.pylate, '--quiet'];
const GATED = fileURLToPath(new URL('./gated-backend.mjs', import.meta.url));

function corpus(n: number): { dir: string; input: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-faults-'));
  const input = join(dir, 'in.jsonl');
  writeFileSync(
    input,
    Array.from({ length: n }, (_, i) =>
      JSON.stringify({ id: i, text: `document ${i} about ships, harbours and the sea ${'and more '.repeat(i % 7)}` }),
    ).join('\n'),
  );
  return { dir, input };
}

/** Runs the CLI under `ulimit -f` (KiB): a write past it fails with EFBIG, as a full disk fails with ENOSPC. */
function limited(kib: number, args: string[]) {
  return spawnSync('bash', ['-c', `ulimit -f ${kib}; exec "${process.execPath}" "${CLI}" "$@"`, 'tessera', ...args], {
    encoding: 'utf8',
    timeout: 600_000,
  });
}

function plain(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 600_000 });
}

describe('faults while writing --output', () => {
  it('a full disk during a .jsonl run: a clear error, nothing under the final name, and --resume finishes it exactly', () => {
    const { dir, input } = corpus(60);
    const want = join(dir, 'want.jsonl');
    expect(plain(['encode', ...MODEL, '--input', input, '--output', want]).status).toBe(0);
    const out = join(dir, 'out.jsonl');
    const r = limited(64, ['encode', ...MODEL, '--input', input, '--output', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        'cannot write .*out\\.jsonl\\.partial: the file size limit was reached \\(EFBIG\\); \\d+ of 60 results are in it; ' +
          'free space and run the same command with --resume',
      ),
    );
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(true);
    const resumed = plain(['encode', ...MODEL, '--input', input, '--output', out, '--resume']);
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(want, 'utf8'));
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('a full disk during a .safetensors write: a clear error and no file left behind', () => {
    const { dir, input } = corpus(60);
    const out = join(dir, 'out.safetensors');
    const r = limited(16, ['encode', ...MODEL, '--input', input, '--output', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /cannot write .*out\.safetensors: the file size limit was reached \(EFBIG\); it needs \d+ bytes; nothing was left under/,
    );
    expect(readdirSync(dir).filter((f) => f.startsWith('out'))).toEqual([]);
  });

  it('a real full disk (a 16 KiB tmpfs, where this runs as root): ENOSPC named', () => {
    const { input } = corpus(60);
    const mnt = mkdtempSync(join(tmpdir(), 'tessera-tmpfs-'));
    let mounted = false;
    if (process.getuid?.() === 0) {
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', mnt], { stdio: 'ignore' });
        mounted = true;
      } catch {
        mounted = false;
      }
    }
    // Without root (or mount) the same path is driven by the size limit above; here by the device.
    const target = mounted ? mnt : mkdirSync(join(mnt, 'x'), { recursive: true })!;
    try {
      const out = join(target, 'out.jsonl');
      const r = mounted
        ? plain(['encode', ...MODEL, '--input', input, '--output', out])
        : limited(16, ['encode', ...MODEL, '--input', input, '--output', out]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        mounted
          ? /no space left on the device \(ENOSPC\); \d+ of 60 results are in it/
          : /\(EFBIG\); \d+ of 60 results are in it/,
      );
      expect(existsSync(out)).toBe(false);
    } finally {
      if (mounted) execFileSync('umount', [mnt]);
    }
  });

  it('SIGINT in the middle of a .jsonl run: nothing under the final name, and --resume finishes it exactly', async () => {
    const { dir, input } = corpus(400);
    const want = join(dir, 'want.jsonl');
    expect(plain(['encode', ...MODEL, '--input', input, '--output', want, '--batch-size', '4']).status).toBe(0);
    const out = join(dir, 'out.jsonl');
    // The engine stops after the first window of 256 texts and waits there while that window's
    // results are written: SIGINT always comes mid-run, however fast the machine.
    const gate = mkdtempSync(join(dir, 'gate-'));
    writeFileSync(join(gate, 'after'), '256');
    const args = [
      'encode',
      '--backend',
      GATED,
      '--model',
      fixtures.pylate,
      '--quiet',
      '--input',
      input,
      '--output',
      out,
      '--batch-size',
      '4',
    ];
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: 'ignore',
      env: { ...process.env, TESSERA_TEST_GATE: gate },
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const lines = () =>
      existsSync(`${out}.partial`) ? readFileSync(`${out}.partial`, 'utf8').split('\n').length - 1 : 0;
    await waitFor(
      'the engine at the gate with results on disk',
      () => existsSync(join(gate, 'blocked')) && lines() > 0,
      { child },
    );
    child.kill('SIGINT');
    const how = await exited;
    expect(how.code === 130 || how.signal === 'SIGINT').toBe(true);
    expect(existsSync(out)).toBe(false);
    const partial = readFileSync(`${out}.partial`, 'utf8');
    const done = partial.split('\n').filter(Boolean).length;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(400);
    expect(readFileSync(want, 'utf8').startsWith(partial)).toBe(true);
    const resumed = plain(['encode', ...MODEL, '--input', input, '--output', out, '--resume', '--batch-size', '4']);
    expect(resumed.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(want, 'utf8'));
  });
});
