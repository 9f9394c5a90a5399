import { TesseraError } from '../errors.js';
import type { DownloadProgress } from '../hub/download.js';
import { MemoryFiles, joinSlashed, type RangedFile } from '../io/model-files.js';
import { graphNames } from '../model/onnx-graphs.js';

// The browser's fetch and Cache Storage (core compiles without the DOM library).
interface FetchResponse {
  ok: boolean;
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  body: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }> } } | null;
  clone(): FetchResponse;
  arrayBuffer(): Promise<ArrayBuffer>;
}
type Fetch = (url: string, init?: { headers?: Record<string, string> }) => Promise<FetchResponse>;
interface ModelCache {
  match(url: string): Promise<FetchResponse | undefined>;
  put(url: string, response: unknown): Promise<void>;
}
declare const fetch: Fetch;
declare const Response: new (body: Uint8Array, init?: { headers?: Record<string, string> }) => unknown;
declare const caches: { open(name: string): Promise<ModelCache> } | undefined;
declare const location: { href: string } | undefined;
declare const crypto: { subtle: { digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer> } };

export interface FetchModelOptions {
  /** The graph variant to fetch (onnx/model.onnx for fp32, onnx/model_quantized.onnx for q8, ...). */
  dtype?: string;
  onProgress?: (p: DownloadProgress) => void;
  /** Keep fetched files in Cache Storage ("tessera-models") and read them from there next time (default true). */
  cache?: boolean;
  /** Replaces the global fetch (tests, authenticated hosts). */
  fetch?: Fetch;
}

// The small files a model folder may hold beside its weights, in each folder that may hold them.
const ROOT_FILES = ['modules.json', 'config_sentence_transformers.json', 'artifact.metadata'];
const TRANSFORMER_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'sentence_bert_config.json',
  'added_tokens.json',
];

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Fetches a model folder served over HTTP (a static folder, or a Hugging Face `…/resolve/<rev>`
 * URL) into memory: the configs and tokenizer, the modules modules.json names, the ColBERT
 * projection's weights and the ONNX graph for the dtype. A folder cannot be listed over HTTP,
 * so each file a layout may hold is asked for by name and a 404 means it is absent.
 */
export async function fetchModelFiles(url: string, options: FetchModelOptions = {}): Promise<MemoryFiles> {
  const get = options.fetch ?? fetch;
  const root = new URL(url.replace(/\/+$/, ''), typeof location === 'undefined' ? undefined : location.href).href;
  const cache =
    options.cache !== false && typeof caches !== 'undefined' ? await caches.open('tessera-models') : undefined;
  const files = new Map<string, Uint8Array | RangedFile>();

  const request = async (at: string, headers?: Record<string, string>): Promise<FetchResponse> => {
    let res: FetchResponse;
    try {
      res = await get(at, headers ? { headers } : undefined);
    } catch (e) {
      throw new TesseraError('HUB_ERROR', `${at}: fetch failed (${(e as Error).message})`, { file: at }, { cause: e });
    }
    if (!res.ok && res.status !== 404)
      throw new TesseraError('HUB_ERROR', `${at}: HTTP ${res.status} ${res.statusText}`.trim(), {
        file: at,
        status: res.status,
      });
    return res;
  };
  const bodyOf = async (res: FetchResponse, at: string, name: string): Promise<Uint8Array> => {
    const total = Number(res.headers.get('content-length')) || undefined;
    const parts: Uint8Array[] = [];
    let loaded = 0;
    const reader = res.body?.getReader();
    if (!reader) parts.push(new Uint8Array(await res.arrayBuffer()));
    else
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value!);
        loaded += value!.length;
        options.onProgress?.({ file: name, loaded, total });
      }
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      bytes.set(p, off);
      off += p.length;
    }
    if (total !== undefined && bytes.length !== total)
      throw new TesseraError('HUB_ERROR', `${at}: got ${bytes.length} of ${total} bytes`, { file: at });
    return bytes;
  };

  /**
   * A large file of which the model reads a few parts (Stanford's weights, for their projection
   * and the fingerprint's first megabyte): asked for in HTTP ranges as the loaders read it, each
   * range kept in Cache Storage under the file's URL and the range. A server that ignores Range
   * sends the whole file, which is then kept whole. The hub's sha256 covers whole files only, so
   * ranges are checked by their length.
   */
  const ranged = async (name: string): Promise<boolean> => {
    const at = joinSlashed(root, name);
    // Kept whole by an earlier visit (a server that ignored Range).
    if (cache && (await cache.match(at))) return one(name);
    const range = async (begin: number, end: number): Promise<{ bytes: Uint8Array; total?: number }> => {
      const key = `${at}?tessera-bytes=${begin}-${end}`;
      const hit = cache ? await cache.match(key) : undefined;
      if (hit) return { bytes: new Uint8Array(await hit.arrayBuffer()), total: Number(hit.headers.get('x-file-size')) };
      const res = await request(at, { Range: `bytes=${begin}-${end - 1}` });
      if (res.status === 404) throw new TesseraError('MODEL_NOT_FOUND', `${at}: not found (404)`, { file: at });
      const bytes = await bodyOf(res, at, name);
      if (res.status !== 206) return { bytes }; // the whole file
      const total = Number(/\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '')?.[1]);
      const want = Number.isFinite(total) ? Math.min(end, total) - begin : end - begin;
      if (!Number.isFinite(total) || bytes.length !== want)
        throw new TesseraError(
          'HUB_ERROR',
          `${at}: asked for bytes ${begin}-${end - 1}, got ${bytes.length} bytes (Content-Range ${JSON.stringify(res.headers.get('content-range'))})`,
          { file: at },
        );
      if (cache)
        await cache.put(
          key,
          new Response(bytes, { headers: { 'content-length': String(bytes.length), 'x-file-size': String(total) } }),
        );
      return { bytes, total };
    };
    let first: { bytes: Uint8Array; total?: number };
    try {
      first = await range(0, 8);
    } catch (e) {
      if (e instanceof TesseraError && e.code === 'MODEL_NOT_FOUND') return false;
      throw e;
    }
    if (first.total === undefined) {
      files.set(name, first.bytes);
      if (cache)
        await cache.put(at, new Response(first.bytes, { headers: { 'content-length': String(first.bytes.length) } }));
      return true;
    }
    const size = first.total;
    const file: RangedFile = {
      size,
      read: async (begin, end) => {
        const got = await range(begin, end);
        // A server that stopped honouring Range sent the whole file: its part is the range.
        return got.total === undefined ? got.bytes.subarray(begin, end) : got.bytes;
      },
    };
    files.set(name, file);
    return true;
  };

  const one = async (name: string): Promise<boolean> => {
    if (files.has(name)) return true;
    const at = joinSlashed(root, name);
    let res = cache ? await cache.match(at) : undefined;
    const cached = !!res;
    res ??= await request(at);
    if (res.status === 404) return false;
    const bytes = await bodyOf(res, at, name);
    // The hub names a large file's sha256 in X-Linked-Etag; a file that does not match it is refused.
    const etag = res.headers.get('x-linked-etag')?.replace(/^W\//, '').replace(/"/g, '');
    if (!cached && etag && /^[0-9a-f]{64}$/.test(etag) && (await sha256Hex(bytes)) !== etag)
      throw new TesseraError('CORRUPT_FILE', `${at}: sha256 does not match the hub's ${etag}`, { file: at });
    if (cache && !cached)
      await cache.put(at, new Response(bytes, { headers: { 'content-length': String(bytes.length) } }));
    files.set(name, bytes);
    return true;
  };
  const json = (name: string): unknown => {
    const b = files.get(name);
    if (!(b instanceof Uint8Array)) return undefined;
    try {
      return JSON.parse(new TextDecoder().decode(b));
    } catch {
      return undefined; // the loader reads it again and names the file in its error
    }
  };
  const folder = async (dir: string, names: string[]) => {
    await Promise.all(names.map((n) => one(joinSlashed(dir, n))));
    if (!files.has(joinSlashed(dir, 'tokenizer.json'))) await one(joinSlashed(dir, 'vocab.txt'));
  };

  await Promise.all(ROOT_FILES.map(one));
  await folder('', TRANSFORMER_FILES);
  let transformer = '';
  const modules = json('modules.json');
  if (Array.isArray(modules))
    for (const m of modules as Array<{ type?: unknown; path?: unknown }>) {
      const path = typeof m?.path === 'string' ? m.path : '';
      const type = typeof m?.type === 'string' ? m.type.slice(m.type.lastIndexOf('.') + 1) : '';
      if (type === 'Transformer') {
        transformer = path;
        if (path) await folder(path, TRANSFORMER_FILES);
      } else if (path) {
        await one(joinSlashed(path, 'config.json'));
        if (type === 'Dense') await one(joinSlashed(path, 'model.safetensors'));
      }
    }
  else {
    // A Stanford ColBERT folder keeps its projection in the backbone's weights: read in ranges.
    const cfg = json('config.json') as { architectures?: unknown } | undefined;
    if (Array.isArray(cfg?.architectures) && cfg.architectures.includes('HF_ColBERT'))
      await ranged('model.safetensors');
  }
  const graphs = graphNames(options.dtype ?? 'fp32').flatMap((g) =>
    transformer ? [g, joinSlashed(transformer, g)] : [g],
  );
  let graph = false;
  for (const g of graphs) if ((graph = await one(g))) break;
  // No graph: the web backend writes one from the checkpoint's weights, which it then reads whole.
  if (!graph) {
    const weights = joinSlashed(transformer, 'model.safetensors');
    if (files.get(weights) && !(files.get(weights) instanceof Uint8Array)) files.delete(weights);
    await one(weights);
  }
  if (!files.size)
    throw new TesseraError('MODEL_NOT_FOUND', `${root}: no model files there (every file asked for was 404)`, {
      dir: root,
    });
  return new MemoryFiles(root, files);
}
