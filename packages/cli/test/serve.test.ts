import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { waitFor } from './wait.js';

const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const GATED = fileURLToPath(new URL('./gated-backend.mjs', import.meta.url));

describe('tessera serve', () => {
  it('serves the models it is given, and on SIGTERM answers what it accepted and exits 0', async () => {
    // The ONNX backend behind a gate this test holds while SIGTERM comes (see gated-backend.mjs).
    const gate = mkdtempSync(join(tmpdir(), 'tessera-gate-'));
    const child = spawn(
      process.execPath,
      [
        CLI,
        'serve',
        '--model',
        `colbert=${fixtures.pylate}`,
        '--model',
        fixtures.dense,
        '--backend',
        GATED,
        '--port',
        '0',
        '--threads',
        '1',
        '--api-key',
        'k',
        '--format-threads',
        '1',
      ],
      {
        env: { ...process.env, HF_HUB_OFFLINE: '1', TESSERA_TEST_GATE: gate },
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /listening on (http:\/\/\S+)/.exec(stderr);
        if (m) {
          clearInterval(timer);
          resolve(m[1]!);
        }
      }, 50);
      void exited.then(() => reject(new Error(`serve exited: ${stderr}`)));
    });
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stderr).toMatch(/loaded colbert: colbert, gated on cpu/);
    const call = (path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
        body: JSON.stringify(body),
      });
    const info = await (await fetch(`${base}/info`, { headers: { authorization: 'Bearer k' } })).json();
    expect(info.models.map((m: { name: string }) => m.name)).toEqual(['colbert', fixtures.dense]);
    expect(info.format_threads).toBe(1);
    expect(stderr).toMatch(/1 formatting threads/);
    expect((await call('/v1/multi-vector', { input: 'hello' })).status).toBe(200);
    expect((await call('/v1/multi-vector', { input: 'hello' }).then((r) => r.json())).model).toBe('colbert');
    expect((await call('/v1/embeddings', { model: fixtures.dense, input: 'hello' })).status).toBe(200);
    // A request in flight when SIGTERM comes still gets its whole answer.
    const texts = Array.from({ length: 32 }, (_, i) => `${'word '.repeat(30 + i)} ${i}`);
    writeFileSync(join(gate, 'hold'), '');
    const inflight = call('/v1/multi-vector', { input: texts }).then((r) => r.json());
    await waitFor('the request held in the engine', () => existsSync(join(gate, 'blocked')), {
      child,
      stderr: () => stderr,
    });
    child.kill('SIGTERM');
    await waitFor('the server saying it is finishing', () => /SIGTERM: finishing accepted requests/.test(stderr), {
      child,
      stderr: () => stderr,
    });
    rmSync(join(gate, 'hold'));
    const answer = await inflight;
    expect(answer.data.length).toBe(32);
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/SIGTERM: finishing accepted requests/);
  });

  it('refuses a missing --model and a bad size, with the usage exit code', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const c = spawn(process.execPath, [CLI, 'serve', ...args]);
        let stderr = '';
        c.stderr.on('data', (d) => (stderr += String(d)));
        c.on('exit', (code) => resolve({ code, stderr }));
      });
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--model is required/);
    const size = await run(['--model', fixtures.pylate, '--payload-limit', 'lots']);
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/--payload-limit must be a size such as 2MB/);
    const threads = await run(['--model', fixtures.pylate, '--format-threads', 'many']);
    expect(threads.code).toBe(2);
    expect(threads.stderr).toMatch(/--format-threads must be an integer >= 0/);
  });
});
