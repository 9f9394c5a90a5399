import { TesseraError } from '../errors.js';
import type { DownloadProgress } from '../hub/download.js';
import { MemoryFiles, joinSlashed } from '../io/model-files.js';
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
type Fetch = (url: string) => Promise<FetchResponse>;
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
  const files = new Map<string, Uint8Array>();

  const one = async (name: string): Promise<boolean> => {
    if (files.has(name)) return true;
    const at = joinSlashed(root, name);
    let res = cache ? await cache.match(at) : undefined;
    const cached = !!res;
    if (!res) {
      try {
        res = await get(at);
      } catch (e) {
        throw new TesseraError(
          'HUB_ERROR',
          `${at}: fetch failed (${(e as Error).message})`,
          { file: at },
          { cause: e },
        );
      }
    }
    if (res.status === 404) return false;
    if (!res.ok)
      throw new TesseraError('HUB_ERROR', `${at}: HTTP ${res.status} ${res.statusText}`.trim(), {
        file: at,
        status: res.status,
      });
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
    if (!b) return undefined;
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
    // A Stanford ColBERT folder keeps its projection in the backbone's weights.
    const cfg = json('config.json') as { architectures?: unknown } | undefined;
    if (Array.isArray(cfg?.architectures) && cfg.architectures.includes('HF_ColBERT')) await one('model.safetensors');
  }
  const graphs = graphNames(options.dtype ?? 'fp32').flatMap((g) =>
    transformer ? [g, joinSlashed(transformer, g)] : [g],
  );
  for (const g of graphs) if (await one(g)) break;
  if (!files.size)
    throw new TesseraError('MODEL_NOT_FOUND', `${root}: no model files there (every file asked for was 404)`, {
      dir: root,
    });
  return new MemoryFiles(root, files);
}
