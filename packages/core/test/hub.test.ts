import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tessera, hubSettings, registerBackend, repoFolderName, resolveModel, snapshotDownload } from '../src/index.js';
import { safeJoin } from '../src/backend-kit.js';
import { readGolden, type ColbertGolden } from '../src/conformance/golden.js';
import { startFakeHub, type FakeHub } from '../src/testing/index.js';
import { fixtures } from '@tessera/fixtures';
import type { Backend, RepoFiles } from '../src/index.js';
import { errorOf } from './helpers.js';

/** What the ONNX backend's files() names for fp32: the graph (core's tests stay below the backends). */
const onnxGraph = (r: RepoFiles) => r.files.filter((f) => f === 'onnx/model.onnx');

/** Rows of zeros: enough to see that the downloaded folder loads and tokenizes right. */
const zeros: Backend = {
  name: 'zeros',
  priority: 0,
  devices: async () => [{ id: 'cpu', kind: 'cpu', available: true }],
  load: async (spec) => ({
    device: 'cpu',
    engine: 'zeros',
    forward: async (b) => ({
      data: new Float32Array(b.batchSize * b.seqLen * spec.outputDim),
      batchSize: b.batchSize,
      seqLen: b.seqLen,
      dim: spec.outputDim,
    }),
    dispose: async () => undefined,
  }),
};

const cache = () => mkdtempSync(join(tmpdir(), 'tessera-hub-'));
let hub: FakeHub;

beforeAll(async () => {
  registerBackend(zeros);
  hub = await startFakeHub([
    { id: 'tessera-test/colbert-pylate', dir: fixtures.pylate },
    { id: 'tessera-test/colbert-stanford', dir: fixtures.stanford },
    { id: 'tessera-test/gated', dir: fixtures.stanford, behaviour: { token: 'hf_secret' } },
    { id: 'tessera-test/flaky', dir: fixtures.stanford, behaviour: { failFirst: 1 } },
    { id: 'tessera-test/limited', dir: fixtures.stanford, behaviour: { rateLimitOnce: 1 } },
    { id: 'tessera-test/limited-again', dir: fixtures.stanford, behaviour: { rateLimitOnce: 1 } },
    { id: 'tessera-test/broken', dir: fixtures.stanford, behaviour: { failFirst: Infinity } },
    { id: 'tessera-test/cut', dir: fixtures.stanford, behaviour: { cutMidFile: ['model.safetensors'] } },
    { id: 'tessera-test/badhash', dir: fixtures.stanford, behaviour: { corrupt: ['model.safetensors'] } },
    { id: 'tessera-test/slow', dir: fixtures.stanford, behaviour: { delayMs: 1500 } },
    { id: 'tessera-test/evil', dir: fixtures.stanford, behaviour: { extraSiblings: ['../../escape/config.json'] } },
  ]);
});
afterAll(async () => {
  await hub?.close();
});

const settings = (cacheDir: string, extra = {}) => ({
  endpoint: hub.endpoint,
  cacheDir,
  offline: false,
  token: undefined,
  timeoutMs: 5000,
  retries: 2,
  ...extra,
});

describe('Hugging Face hub downloads', () => {
  it('downloads a PyLate model into the standard cache layout, loads it and tokenizes like the reference', async () => {
    const dir = cache();
    const events: string[] = [];
    const t = await Tessera.create({
      model: 'tessera-test/colbert-pylate',
      backend: 'zeros',
      hub: settings(dir),
      onDownloadProgress: (p) => events.push(p.file),
    });
    const golden = readGolden<ColbertGolden>(fixtures.pylate);
    const [q] = await t.encodeQueries([golden.queries[0]!.text]);
    expect([...q!.tokenIds]).toEqual(golden.queries[0]!.input_ids);
    await t.dispose();
    const repoDir = join(dir, repoFolderName('tessera-test/colbert-pylate'));
    const commit = hub.commitOf('tessera-test/colbert-pylate');
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(commit);
    const snap = join(repoDir, 'snapshots', commit);
    expect(lstatSync(join(snap, '1_Dense', 'model.safetensors')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(snap, '1_Dense', 'model.safetensors'))).toMatch(/^\.\.\/\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/);
    // A backend other than onnx reads safetensors: no ONNX graph was fetched.
    expect(existsSync(join(snap, '0_Transformer', 'model.safetensors'))).toBe(true);
    expect(existsSync(join(snap, 'onnx'))).toBe(false);
    expect(events).toContain('0_Transformer/model.safetensors');
    expect(readdirSync(join(repoDir, 'blobs')).some((f) => f.includes('incomplete') || f.endsWith('.lock'))).toBe(
      false,
    );
  });

  it('fetches only what the ONNX backend needs, and reuses the cache', async () => {
    const dir = cache();
    const r = await resolveModel('tessera-test/colbert-pylate', { files: onnxGraph, hub: settings(dir) });
    expect(existsSync(join(r.dir, 'onnx', 'model.onnx'))).toBe(true);
    expect(existsSync(join(r.dir, '1_Dense', 'model.safetensors'))).toBe(true);
    for (const skipped of [
      'onnx/model_contextual.onnx',
      'onnx/model_quantized.onnx',
      '0_Transformer/model.safetensors',
      'golden.json',
    ])
      expect(existsSync(join(r.dir, skipped)), skipped).toBe(false);
    const again = hub.log.length;
    await resolveModel('tessera-test/colbert-pylate', { files: onnxGraph, hub: settings(dir) });
    expect(hub.log.slice(again).filter((l) => l.startsWith('GET') && !l.includes('/api/'))).toEqual([]);
    // Offline, the cached snapshot is used without the network.
    const offline = hub.log.length;
    const o = await resolveModel('tessera-test/colbert-pylate', {
      files: onnxGraph,
      hub: settings(dir, { offline: true }),
    });
    expect(o.dir).toBe(r.dir);
    expect(hub.log.length).toBe(offline);
  });

  it('names what is missing when offline', async () => {
    const e = await errorOf(
      resolveModel('tessera-test/colbert-stanford', { hub: settings(cache(), { offline: true }) }),
    );
    expect(e.code).toBe('OFFLINE');
    expect(e.message).toMatch(/tessera-test\/colbert-stanford@main is not in the cache/);
    const dir = cache();
    await snapshotDownload(hubSettings(settings(dir)), {
      repo: 'tessera-test/colbert-stanford',
      revision: 'main',
      files: ['config.json'],
    });
    const m = await errorOf(
      snapshotDownload(hubSettings(settings(dir, { offline: true })), {
        repo: 'tessera-test/colbert-stanford',
        revision: 'main',
        files: ['config.json', 'model.safetensors'],
      }),
    );
    expect(m.message).toMatch(/lacks model\.safetensors/);
  });

  it('reports 404 for unknown repos and files', async () => {
    const e = await errorOf(resolveModel('tessera-test/nope', { hub: settings(cache()) }));
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.message).toMatch(/HTTP 404/);
    const f = await errorOf(
      snapshotDownload(hubSettings(settings(cache())), {
        repo: 'tessera-test/colbert-stanford',
        revision: 'main',
        files: ['missing.bin'],
      }),
    );
    expect(f.message).toMatch(/missing\.bin.*not found/);
  });

  it('explains gated repos (401) and sends HF_TOKEN', async () => {
    const e = await errorOf(resolveModel('tessera-test/gated', { hub: settings(cache()) }));
    expect(e.code).toBe('HUB_ERROR');
    expect(e.message).toMatch(/gated or private.*HF_TOKEN/);
    const ok = await resolveModel('tessera-test/gated', {
      files: onnxGraph,
      hub: settings(cache(), { token: 'hf_secret' }),
    });
    expect(existsSync(join(ok.dir, 'config.json'))).toBe(true);
  });

  it('reads the token that `huggingface-cli login` stores in $HF_HOME/token (HF_TOKEN wins)', () => {
    const home = mkdtempSync(join(tmpdir(), 'tessera-hf-home-'));
    writeFileSync(join(home, 'token'), 'hf_from_file\n');
    expect(hubSettings({}, { HF_HOME: home }).token).toBe('hf_from_file');
    expect(hubSettings({}, { HF_HOME: home, HF_TOKEN: 'hf_env' }).token).toBe('hf_env');
    expect(hubSettings({}, { HF_HOME: join(home, 'none') }).token).toBeUndefined();
  });

  it('waits as a 429 asks (Retry-After) and then downloads', async () => {
    const t0 = Date.now();
    const ok = await resolveModel('tessera-test/limited', { files: onnxGraph, hub: settings(cache()) });
    expect(existsSync(join(ok.dir, 'onnx', 'model.onnx'))).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    const e = await errorOf(
      resolveModel('tessera-test/limited-again', { files: onnxGraph, hub: settings(cache(), { retries: 0 }) }),
    );
    expect(e.message).toMatch(/rate-limiting requests \(HTTP 429\)/);
  });

  it('takes a revision option, and refuses one that contradicts "org/name@rev"', async () => {
    const ok = await resolveModel('tessera-test/colbert-stanford', {
      files: onnxGraph,
      revision: 'main',
      hub: settings(cache()),
    });
    expect(ok.revision).toBe('main');
    const e = await errorOf(
      resolveModel('tessera-test/colbert-stanford@main', { files: onnxGraph, revision: 'v2', hub: settings(cache()) }),
    );
    expect(e.message).toMatch(/names revision main but the revision option says v2/);
    const missing = await errorOf(
      resolveModel('tessera-test/colbert-stanford', {
        files: onnxGraph,
        revision: 'no-such-rev',
        hub: settings(cache()),
      }),
    );
    expect(missing.code).toBe('MODEL_NOT_FOUND');
  });

  it('retries a passing 500 and reports a lasting one', async () => {
    const ok = await resolveModel('tessera-test/flaky', { files: onnxGraph, hub: settings(cache()) });
    expect(existsSync(join(ok.dir, 'onnx', 'model.onnx'))).toBe(true);
    const e = await errorOf(resolveModel('tessera-test/broken', { files: onnxGraph, hub: settings(cache()) }));
    expect(e.code).toBe('HUB_ERROR');
    expect(e.message).toMatch(/HTTP 500/);
  });

  it('resumes a download whose connection was cut mid-file', async () => {
    const dir = cache();
    const before = hub.log.length;
    const r = await resolveModel('tessera-test/cut', { files: onnxGraph, hub: settings(dir) });
    const resumed = hub.log.slice(before).filter((l) => l.startsWith('GET /cdn/') && l.includes('bytes='));
    expect(resumed.length).toBe(1);
    expect(
      readFileSync(join(r.dir, 'model.safetensors')).equals(readFileSync(join(fixtures.stanford, 'model.safetensors'))),
    ).toBe(true);
  });

  it('rejects a body whose sha256 does not match and leaves no file under the final name', async () => {
    const dir = cache();
    const e = await errorOf(resolveModel('tessera-test/badhash', { files: onnxGraph, hub: settings(dir) }));
    expect(e.message).toMatch(/model\.safetensors: sha256 [0-9a-f]{64} does not match/);
    const blobs = join(dir, repoFolderName('tessera-test/badhash'), 'blobs');
    expect(
      readdirSync(blobs)
        .filter((f) => /^[0-9a-f]{64}$/.test(f))
        .every((f) => !readFileSync(join(blobs, f)).equals(Buffer.alloc(0))),
    ).toBe(true);
    expect(readdirSync(blobs).some((f) => f.endsWith('.incomplete'))).toBe(false);
  });

  it('gives up on a slow server with a timeout message', async () => {
    const e = await errorOf(
      resolveModel('tessera-test/slow', { hub: settings(cache(), { timeoutMs: 300, retries: 0 }) }),
    );
    expect(e.code).toBe('HUB_ERROR');
    expect(e.message).toMatch(/no answer within 300 ms/);
  });

  it('never writes outside the cache for hostile file names', async () => {
    const e = await errorOf(resolveModel('tessera-test/evil', { hub: settings(cache()) }));
    expect(e.message).toMatch(/refusing file name/);
    expect(() => safeJoin('/cache/x', '../y')).toThrow(/outside the cache/);
    expect(() => safeJoin('/cache/x', '/etc/passwd')).toThrow();
    expect(safeJoin('/cache/x', 'a/b.json')).toBe('/cache/x/a/b.json');
  });

  it('ends with one good copy when two processes download the same model at once', async () => {
    const dir = cache();
    const script = `
      import { snapshotDownload, hubSettings } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      const s = hubSettings({ endpoint: process.env.EP, cacheDir: process.env.CACHE, timeoutMs: 10000 });
      const files = ['config.json', 'model.safetensors', 'onnx/model.onnx'];
      const d = await snapshotDownload(s, { repo: 'tessera-test/colbert-stanford', revision: 'main', files });
      console.log(d);`;
    const runOne = () =>
      new Promise<{ code: number | null; out: string }>((res) => {
        const p = spawn(process.execPath, ['--input-type=module', '-e', script], {
          env: { ...process.env, EP: hub.endpoint, CACHE: dir },
        });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (out += d));
        p.on('close', (code) => res({ code, out }));
      });
    const [a, b] = await Promise.all([runOne(), runOne()]);
    expect(a.code, a.out).toBe(0);
    expect(b.code, b.out).toBe(0);
    expect(a.out).toBe(b.out);
    const snap = a.out.trim();
    expect(
      readFileSync(join(snap, 'model.safetensors')).equals(readFileSync(join(fixtures.stanford, 'model.safetensors'))),
    ).toBe(true);
    const blobs = readdirSync(join(dir, repoFolderName('tessera-test/colbert-stanford'), 'blobs'));
    expect(blobs.filter((f) => !/^[0-9a-f]+$/.test(f))).toEqual([]);
  });
});
