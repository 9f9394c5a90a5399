import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoFolderName } from '@tessera/core';
import { startFakeHub, type FakeHub } from '@tessera/core/testing';
import { fixtures } from '@tessera/fixtures';

const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));
let hub: FakeHub;

beforeAll(async () => {
  hub = await startFakeHub([
    { id: 'tessera-test/colbert-stanford', dir: fixtures.stanford },
    { id: 'tessera-test/gated', dir: fixtures.stanford, behaviour: { token: 'hf_x' } },
  ]);
});
afterAll(() => hub?.close());

/** The fake hub lives in this process, so the CLI runs asynchronously. */
function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const { HF_HUB_OFFLINE: _, ...rest } = process.env;
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...rest, HF_ENDPOINT: hub.endpoint, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('tessera pull and hub models end to end', () => {
  it('pulls into HF_HOME, then encodes the repo id offline from the cache', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tessera-home-'));
    const r = await run(['pull', 'tessera-test/colbert-stanford'], { HF_HOME: home });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/tessera-test\/colbert-stanford@main is in .*snapshots/);
    const snap = join(
      home,
      'hub',
      repoFolderName('tessera-test/colbert-stanford'),
      'snapshots',
      hub.commitOf('tessera-test/colbert-stanford'),
    );
    expect(existsSync(join(snap, 'onnx', 'model.onnx'))).toBe(true);
    const e = await run(['encode', '--model', 'tessera-test/colbert-stanford', '--offline', '--quiet', 'hello'], {
      HF_HOME: home,
    });
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).dim).toBe(24);
  });

  it('explains a gated repo and succeeds with HF_TOKEN', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tessera-home-'));
    const denied = await run(['pull', 'tessera-test/gated'], { HF_HOME: home });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/gated or private: accept its terms on huggingface.co and set HF_TOKEN/);
    const ok = await run(['pull', 'tessera-test/gated'], { HF_HOME: home, HF_TOKEN: 'hf_x' });
    expect(ok.code).toBe(0);
  });

  it('reports an unknown repo as a runtime error', async () => {
    const r = await run(['pull', 'tessera-test/missing'], { HF_HOME: mkdtempSync(join(tmpdir(), 'tessera-home-')) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not found on the hub \(HTTP 404\)/);
  });
});
