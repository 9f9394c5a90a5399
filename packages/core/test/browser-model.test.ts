import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { fixtures } from '@tessera/fixtures';
import { describe, expect, it } from 'vitest';
import { fetchModelFiles } from '../src/browser/fetch-model.js';
import { MemoryFiles } from '../src/io/model-files.js';
import { SafetensorsFile } from '../src/io/safetensors.js';
import { encodeSafetensors, type TensorToWrite } from '../src/io/safetensors-write.js';
import { modelFingerprint } from '../src/model/fingerprint.js';
import { modelFilesFromPicked } from '../src/browser/picked-files.js';
import { loadModelSpec } from '../src/model/load-local.js';
import { readModelSpec } from '../src/model/load-folder.js';
import { errorOf } from './helpers.js';

const ROOT = 'https://models.example/org/colbert/resolve/main';

/** Every file of a folder, by its path below it. */
function folder(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), new Uint8Array(readFileSync(p)));
    }
  };
  walk(dir);
  return out;
}

/**
 * A fetch that serves a folder under ROOT (404 for anything else), recording what was asked and
 * the bytes sent per file; with `ranges`, it answers a Range header with 206 and that range.
 */
function serving(
  files: Map<string, Uint8Array>,
  change: (name: string, res: Response) => Response = (_, r) => r,
  ranges = false,
) {
  const asked: string[] = [];
  const sent = new Map<string, number>();
  const fetch = async (url: string, init?: { headers?: Record<string, string> }) => {
    asked.push(url);
    const name = url.slice(ROOT.length + 1);
    const bytes = files.get(name);
    const range = ranges ? /^bytes=(\d+)-(\d+)$/.exec(init?.headers?.Range ?? '') : null;
    let res: Response;
    if (!bytes) res = new Response(null, { status: 404 });
    else if (range) {
      const [begin, last] = [Number(range[1]), Math.min(Number(range[2]), bytes.length - 1)];
      const part = bytes.subarray(begin, last + 1);
      res = new Response(part, {
        status: 206,
        headers: { 'content-length': String(part.length), 'content-range': `bytes ${begin}-${last}/${bytes.length}` },
      });
    } else res = new Response(bytes, { headers: { 'content-length': String(bytes.length) } });
    res = change(name, res);
    if (bytes) sent.set(name, (sent.get(name) ?? 0) + Number(res.headers.get('content-length') ?? 0));
    return res;
  };
  return { fetch: fetch as never, asked, sent };
}

describe('a model fetched over HTTP (a page)', () => {
  it('fetches what a layout needs by name and reads the same spec as the folder on disk', async () => {
    for (const dir of [fixtures.pylate, fixtures.stanford, fixtures.dense]) {
      const files = folder(dir);
      const { fetch, asked } = serving(files);
      const progress: string[] = [];
      const got = await fetchModelFiles(ROOT, { fetch, onProgress: (p) => progress.push(p.file) });
      const spec = await readModelSpec(got, ROOT);
      const disk = await loadModelSpec(dir);
      // Everything but where the files are: paths, and the graphs (one fetched, the dtype's; all listed on disk).
      const meaning = (s: typeof spec) => ({
        ...s,
        files: undefined,
        dir: undefined,
        transformerDir: undefined,
        weightsFile: undefined,
        onnxFiles: undefined,
        projection: s.projection.map((l) => ({ ...l, source: undefined })),
        denseLayers: s.denseLayers.map((l) => ({ ...l, source: undefined })),
      });
      expect(meaning(spec)).toEqual(meaning(disk));
      expect(spec.onnxFiles).toEqual([disk.onnxFiles.includes('onnx/model.onnx') ? 'onnx/model.onnx' : 'model.onnx']);
      // The goldens are not model files: never asked for.
      expect(asked.some((u) => u.endsWith('golden.json'))).toBe(false);
      expect(progress).toContain(spec.onnxFiles[0]!.replace(/^\//, ''));
    }
  });

  it("takes the dtype's graph", async () => {
    const got = await fetchModelFiles(ROOT, { fetch: serving(folder(fixtures.pylate)).fetch, dtype: 'q8' });
    expect((await readModelSpec(got, ROOT)).onnxFiles).toEqual(['onnx/model_quantized.onnx']);
  });

  it("names the URL of a server error, a cut body, a sha256 that does not match the hub's, and a folder with nothing", async () => {
    const files = folder(fixtures.pylate);
    const failing = serving(files, (name, r) =>
      name === 'modules.json' ? new Response('no', { status: 503, statusText: 'Service Unavailable' }) : r,
    );
    const e1 = await errorOf(fetchModelFiles(ROOT, { fetch: failing.fetch }));
    expect(e1).toMatchObject({ code: 'HUB_ERROR', message: `${ROOT}/modules.json: HTTP 503 Service Unavailable` });

    const cut = serving(files, (name, r) =>
      name === 'modules.json'
        ? new Response(files.get(name)!.subarray(0, 10), { headers: { 'content-length': '999' } })
        : r,
    );
    expect((await errorOf(fetchModelFiles(ROOT, { fetch: cut.fetch }))).message).toBe(
      `${ROOT}/modules.json: got 10 of 999 bytes`,
    );

    const graph = 'onnx/model.onnx';
    const sha = createHash('sha256').update(files.get(graph)!).digest('hex');
    const signed = (tampered: boolean) =>
      serving(files, (name, r) => {
        if (name !== graph) return r;
        const bytes = new Uint8Array(files.get(name)!);
        if (tampered) bytes[100] ^= 1;
        return new Response(bytes, { headers: { 'x-linked-etag': `"${sha}"` } });
      });
    await expect(fetchModelFiles(ROOT, { fetch: signed(false).fetch })).resolves.toBeTruthy();
    expect(await errorOf(fetchModelFiles(ROOT, { fetch: signed(true).fetch }))).toMatchObject({
      code: 'CORRUPT_FILE',
      message: `${ROOT}/${graph}: sha256 does not match the hub's ${sha}`,
    });

    const empty = await errorOf(fetchModelFiles(ROOT, { fetch: serving(new Map()).fetch }));
    expect(empty).toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: `${ROOT}: no model files there (every file asked for was 404)`,
    });
  });
});

describe("a Stanford folder's weights read in ranges", () => {
  /** The Stanford fixture with 6 MB of other weights before its own, as a real backbone's are. */
  async function largeStanford(): Promise<Map<string, Uint8Array>> {
    const files = folder(fixtures.stanford);
    const st = await SafetensorsFile.open(
      'f/model.safetensors',
      new MemoryFiles('f', [['model.safetensors', files.get('model.safetensors')!]]),
    );
    const tensors: Record<string, TensorToWrite> = {
      'backbone.padding': { dtype: 'F32', shape: [1536, 1024], data: new Float32Array(1536 * 1024).fill(0.25) },
    };
    for (const name of st.names())
      tensors[name] = { dtype: 'F32', shape: st.info(name).shape, data: await st.readFloat32(name) };
    files.set('model.safetensors', new Uint8Array(encodeSafetensors(tensors)));
    return files;
  }

  it('reads the same spec and fingerprint as the whole file, fetching a small part of it', async () => {
    const files = await largeStanford();
    const size = files.get('model.safetensors')!.length;
    expect(size).toBeGreaterThan(6e6);
    const whole = await fetchModelFiles(ROOT, { fetch: serving(files).fetch });
    const server = serving(files, undefined, true);
    const parts = await fetchModelFiles(ROOT, { fetch: server.fetch });
    const [a, b] = [await readModelSpec(whole, ROOT), await readModelSpec(parts, ROOT)];
    expect(b.projection).toEqual(a.projection);
    expect(b.projection[0]!.weight.length).toBeGreaterThan(0);
    expect(await modelFingerprint(b)).toBe(await modelFingerprint(a));
    // The header, the fingerprint's first megabyte and the projection: not the other weights.
    expect(server.sent.get('model.safetensors')).toBeLessThan(1.2e6);
    expect(parts.size(`${ROOT}/model.safetensors`)).toBe(size);
  });

  it('takes the whole file from a server that ignores Range, at first or later, and names a range that came back short', async () => {
    const files = await largeStanford();
    const ignoring = serving(files);
    const got = await fetchModelFiles(ROOT, { fetch: ignoring.fetch });
    expect(ignoring.sent.get('model.safetensors')).toBe(files.get('model.safetensors')!.length);
    expect((await readModelSpec(got, ROOT)).projection.length).toBe(1);

    // Honours the first range, then sends the whole file: each later part is cut from it.
    const fickle = serving(
      files,
      (name, r) =>
        name === 'model.safetensors' && r.status === 206 && !r.headers.get('content-range')?.startsWith('bytes 0-7/')
          ? new Response(files.get(name)!, { headers: { 'content-length': String(files.get(name)!.length) } })
          : r,
      true,
    );
    const spec = await readModelSpec(await fetchModelFiles(ROOT, { fetch: fickle.fetch }), ROOT);
    expect(spec.projection).toEqual((await readModelSpec(got, ROOT)).projection);

    const short = serving(
      files,
      (name, r) =>
        name === 'model.safetensors' && r.status === 206 && r.headers.get('content-range')?.startsWith('bytes 8-')
          ? new Response(new Uint8Array(3), {
              status: 206,
              headers: { 'content-range': r.headers.get('content-range')! },
            })
          : r,
      true,
    );
    const e = await errorOf(fetchModelFiles(ROOT, { fetch: short.fetch }).then((f) => readModelSpec(f, ROOT)));
    expect(e).toMatchObject({ code: 'HUB_ERROR' });
    expect(e.message).toMatch(new RegExp(`^${ROOT}/model.safetensors: asked for bytes 8-\\d+, got 3 bytes`));
  });
});

describe('a model folder the user picked', () => {
  it('reads a directory pick and a directory handle as the folder on disk', async () => {
    const files = folder(fixtures.pylate);
    const file = (path: string, bytes: Uint8Array) => ({
      name: path.split('/').pop()!,
      webkitRelativePath: `colbert-pylate/${path}`,
      arrayBuffer: async () => bytes.slice().buffer,
    });
    const picked = await modelFilesFromPicked([...files].map(([p, b]) => file(p, b)));
    expect(picked.root).toBe('colbert-pylate');
    const disk = await loadModelSpec(fixtures.pylate);
    expect((await readModelSpec(picked, picked.root)).outputDim).toBe(disk.outputDim);

    type Entry = { kind: 'file'; getFile(): Promise<ReturnType<typeof file>> } | Dir;
    type Dir = { kind: 'directory'; name: string; entries(): AsyncIterable<[string, Entry]> };
    const dirOf = (name: string, prefix: string): Dir => ({
      kind: 'directory',
      name,
      async *entries() {
        const names = new Set(
          [...files.keys()].filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length).split('/')[0]!),
        );
        for (const n of names)
          yield files.has(prefix + n)
            ? [n, { kind: 'file' as const, getFile: async () => file(prefix + n, files.get(prefix + n)!) }]
            : [n, dirOf(n, `${prefix}${n}/`)];
      },
    });
    const handle = await modelFilesFromPicked(dirOf('colbert-pylate', ''));
    const spec = await readModelSpec(handle, handle.root);
    expect(spec.onnxFiles).toEqual(disk.onnxFiles);
    expect(spec.projection.map((l) => [...l.weight.slice(0, 4)])).toEqual(
      disk.projection.map((l) => [...l.weight.slice(0, 4)]),
    );
  });
});
