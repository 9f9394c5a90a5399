import { TesseraError } from '../errors.js';

/**
 * Read access to a model's files. The loaders (configs, tokenizer, safetensors headers and
 * tensors) read through it so that the same code reads a folder on disk in Node and files
 * fetched or picked in a browser. Paths are whatever `join` makes of a root: absolute paths in
 * Node, a URL or a label in a browser; messages name them as they are.
 */
export interface ModelFiles {
  join(...parts: string[]): string;
  /** The path of `path` below `dir`, with forward slashes. */
  relative(dir: string, path: string): string;
  /** Whether the path is a file, a folder, or absent. */
  kind(path: string): 'file' | 'dir' | undefined;
  /** Bytes of a file (checked before reading a bounded one). */
  size(path: string): number;
  readText(path: string): string;
  /** The names directly inside a folder. */
  list(dir: string): string[];
  /** A byte range of a file (the whole file without one); a short read is the caller's to report. */
  read(path: string, begin?: number, end?: number): Promise<Uint8Array>;
}

// A URL keeps the "//" after its scheme; every other run of slashes is one separator.
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Joins path parts with "/", resolving "." and ".." below the root part. */
export function joinSlashed(...parts: string[]): string {
  const joined = parts.filter((p) => p !== '').join('/');
  const scheme = SCHEME.exec(joined)?.[0] ?? '';
  const rest = joined.slice(scheme.length);
  const lead = !scheme && rest.startsWith('/') ? '/' : '';
  const out: string[] = [];
  for (const seg of rest.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else out.push(seg);
  }
  return scheme + lead + out.join('/');
}

/** A file read in byte ranges when asked (a large file of which the model needs a few parts). */
export interface RangedFile {
  size: number;
  read(begin: number, end: number): Promise<Uint8Array>;
}

const isRanged = (f: Uint8Array | RangedFile): f is RangedFile => !(f instanceof Uint8Array);

/**
 * A model held in memory: files fetched from a URL or picked by the user in a browser, keyed by
 * their path below `root` ("config.json", "1_Dense/model.safetensors"); a large file of which
 * only parts are read may be a RangedFile instead of its bytes.
 */
export class MemoryFiles implements ModelFiles {
  readonly root: string;
  private readonly files = new Map<string, Uint8Array | RangedFile>();
  private readonly decoder = new TextDecoder();

  constructor(root: string, files: Iterable<[string, Uint8Array | RangedFile]>) {
    this.root = joinSlashed(root);
    for (const [name, bytes] of files) this.files.set(joinSlashed(this.root, name), bytes);
  }

  join(...parts: string[]): string {
    return joinSlashed(...parts);
  }

  relative(dir: string, path: string): string {
    const d = joinSlashed(dir);
    const p = joinSlashed(path);
    return p === d ? '' : p.startsWith(`${d}/`) ? p.slice(d.length + 1) : p;
  }

  kind(path: string): 'file' | 'dir' | undefined {
    const p = joinSlashed(path);
    if (this.files.has(p)) return 'file';
    if (p === this.root) return 'dir';
    for (const k of this.files.keys()) if (k.startsWith(`${p}/`)) return 'dir';
    return undefined;
  }

  size(path: string): number {
    const f = this.get(path);
    return isRanged(f) ? f.size : f.byteLength;
  }

  readText(path: string): string {
    const f = this.get(path);
    if (isRanged(f)) throw new TesseraError('INVALID_MODEL', `${path}: read in parts, not as text`, { file: path });
    return this.decoder.decode(f);
  }

  list(dir: string): string[] {
    const d = `${joinSlashed(dir)}/`;
    const names = new Set<string>();
    for (const k of this.files.keys()) if (k.startsWith(d)) names.add(k.slice(d.length).split('/')[0]!);
    return [...names].sort();
  }

  async read(path: string, begin = 0, end?: number): Promise<Uint8Array> {
    const f = this.get(path);
    const size = isRanged(f) ? f.size : f.byteLength;
    const from = Math.min(begin, size);
    const to = Math.max(from, Math.min(end ?? size, size));
    return isRanged(f) ? f.read(from, to) : f.subarray(from, to);
  }

  private get(path: string): Uint8Array | RangedFile {
    const bytes = this.files.get(joinSlashed(path));
    // The loaders ask kind() first, so this names a file the model does not have.
    if (!bytes) throw new TesseraError('MODEL_NOT_FOUND', `${path}: not among the model's files`, { file: path });
    return bytes;
  }
}
