import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';

const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const BREAK = fileURLToPath(new URL('./break-onnxruntime.cjs', import.meta.url));

/** Runs the CLI with require('onnxruntime-node') failing. */
function broken(args: string[]) {
  const r = spawnSync(process.execPath, ['--require', BREAK, CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1' },
    timeout: 600_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('a backend whose engine fails to load', () => {
  it('is named with its reason by `tessera backends`', () => {
    const r = broken(['backends']);
    expect(r.stdout).toMatch(/^onnx +failed to load +none \(why: below\)$/m);
    expect(`${r.stdout}${r.stderr}`).toMatch(
      /@tessera\/backend-onnx is installed but failed to load: .*onnxruntime-node: the binding failed to load \(broken on purpose by the test\)/,
    );
  });

  it('is named with its reason when --backend auto runs another one', () => {
    const r = broken(['encode', '--model', fixtures.pylate, '--backend', 'auto', '--device', 'cpu', 'hello']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: backend auto: onnx \(@tessera\/backend-onnx\) is installed but failed to load, so (native|tfjs) runs instead: .*broken on purpose by the test/,
    );
    expect(JSON.parse(r.stdout.trim().split('\n')[0]!).dim).toBeGreaterThan(0);
  });

  it('makes --backend onnx fail with the reason, not "not installed"', () => {
    const r = broken(['encode', '--model', fixtures.pylate, '--backend', 'onnx', 'hello']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/installed but failed to load: .*broken on purpose by the test/);
    expect(r.stderr).not.toMatch(/is not installed/);
  });
});
