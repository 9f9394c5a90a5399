import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { waitFor } from './wait.js';

const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Serves the pylate fixture with the given flags; answers two requests (one refused); returns its stdout. */
async function serveAndCall(
  flags: string[],
  logs = true,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--model', fixtures.pylate, '--port', '0', '--threads', '1', ...flags],
    { env: { ...process.env, HF_HUB_OFFLINE: '1' } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await waitFor('the listening line', () => /listening on http/.test(stderr), { child, stderr: () => stderr });
  const base = /listening on (http:\/\/\S+)/.exec(stderr)![1]!;
  const call = (body: unknown) =>
    fetch(`${base}/v1/multi-vector`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  expect((await call({ input: 'hello' })).status).toBe(200);
  expect((await call({ input: [101, 102] })).status).toBe(422);
  if (logs)
    await waitFor('two logged responses', () => (stdout.match(/request completed/g) ?? []).length >= 2, {
      child,
      stderr: () => stderr,
    });
  child.kill('SIGTERM');
  return { stdout, stderr, code: await exited };
}

describe('tessera serve --log-format', () => {
  it('json: one pino line per event, with the route, the status and why a request was refused', async () => {
    const r = await serveAndCall(['--log-format', 'json']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const done = lines.filter((l) => l.msg === 'request completed');
    expect(done.map((l) => l.res.statusCode)).toEqual([200, 422]);
    const incoming = lines.filter((l) => l.msg === 'incoming request');
    expect(incoming.map((l) => `${l.req.method} ${l.req.url}`)).toEqual([
      'POST /v1/multi-vector',
      'POST /v1/multi-vector',
    ]);
    const refused = lines.find((l) => l.error_type === 'validation');
    expect(refused).toMatchObject({ status: 422, msg: expect.stringMatching(/^input holds token ids/) });
  });

  it('pretty: readable lines, not JSON', async () => {
    const r = await serveAndCall(['--log-format', 'pretty']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/INFO.*request completed/);
    expect(r.stdout).toMatch(/input holds token ids/);
    expect(r.stdout.trim().startsWith('{')).toBe(false);
  });

  it('logs nothing by default, and refuses another format', async () => {
    const r = await serveAndCall([], false);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const bad = spawn(process.execPath, [CLI, 'serve', '--model', fixtures.pylate, '--log-format', 'xml']);
    let stderr = '';
    bad.stderr.on('data', (d) => (stderr += String(d)));
    expect(await new Promise((r) => bad.on('exit', r))).toBe(2);
    expect(stderr).toMatch(/--log-format must be one of json, pretty \(got "xml"\)/);
  });
});
