import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  lstat,
  mkdir,
  open,
  readFile,
  readlink,
  rename,
  rm,
  rmdir,
  stat,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { TesseraError } from '../errors.js';
import type { HubSettings } from './env.js';
import { checkRepoId, isCommitHash, repoFolderName, safeJoin } from './paths.js';

export interface DownloadProgress {
  file: string;
  loaded: number;
  total: number | undefined;
}

export interface SnapshotRequest {
  repo: string;
  revision: string;
  /** Files to fetch; optional ones may be absent on the hub. */
  files: string[];
  optional?: string[];
  onProgress?: (p: DownloadProgress) => void;
}

interface FileMeta {
  commit: string;
  etag: string;
  size: number | undefined;
  url: string;
}

/** Sent as the user agent, as huggingface_hub sends its own name and version. */
const USER_AGENT = `tessera/${(createRequire(import.meta.url)('../../package.json') as { version: string }).version}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Request headers; the token goes only to the hub itself, never to a CDN it redirects to. */
function headers(s: HubSettings, url: string, extra: Record<string, string> = {}): Record<string, string> {
  const sameHost = new URL(url).origin === new URL(s.endpoint).origin;
  return {
    'user-agent': USER_AGENT,
    ...(s.token && sameHost ? { authorization: `Bearer ${s.token}` } : {}),
    ...extra,
  };
}

function statusError(status: number, what: string, repo: string, retryAfter?: string | null): TesseraError {
  if (status === 429)
    return new TesseraError(
      'HUB_ERROR',
      `${what}: the hub is rate-limiting requests (HTTP 429); set HF_TOKEN for a higher limit`,
      { status, repo, retryAfter: retryAfter ?? undefined },
    );
  if (status === 401 || status === 403)
    return new TesseraError(
      'HUB_ERROR',
      `${what}: access denied (HTTP ${status}). ${repo} may be gated or private: accept its terms on huggingface.co and set HF_TOKEN`,
      { status, repo },
    );
  if (status === 404)
    return new TesseraError(
      'MODEL_NOT_FOUND',
      `${what}: not found on the hub (HTTP 404); check the repo id, revision and file name`,
      { status, repo },
    );
  return new TesseraError('HUB_ERROR', `${what}: the hub answered HTTP ${status}`, { status, repo });
}

/** fetch with a timeout on the response headers; network failures become HUB_ERROR. */
async function request(url: string, init: RequestInit, s: HubSettings, what: string): Promise<Response> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), s.timeoutMs);
  try {
    return await fetch(url, { ...init, signal: ctrl.signal });
  } catch (e) {
    const reason = ctrl.signal.aborted
      ? `no answer within ${s.timeoutMs} ms`
      : ((e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message);
    throw new TesseraError(
      'HUB_ERROR',
      `${what}: cannot reach ${new URL(url).origin} (${reason})`,
      { url },
      { cause: e },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Retries HUB_ERRORs from 5xx and network failures; 4xx answers are final. */
async function withRetries<T>(s: HubSettings, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const status = (e as TesseraError).details?.status as number | undefined;
      const retryable =
        e instanceof TesseraError &&
        e.code === 'HUB_ERROR' &&
        (status === undefined || status === 429 || status >= 500);
      if (!retryable || attempt >= s.retries) throw e;
      // 429: wait as long as the hub asks (Retry-After, seconds), within a minute.
      const after = Number((e as TesseraError).details?.retryAfter);
      await sleep(status === 429 && after > 0 ? Math.min(after, 60) * 1000 : 200 * 2 ** attempt);
    }
  }
}

/**
 * GET of a hub API path's JSON, with the client's headers, timeout, retries (5xx, network, 429
 * after Retry-After) and status errors: the one HTTP client for everything core asks the hub.
 */
export async function hubJson(s: HubSettings, path: string, what: string, repo: string): Promise<unknown> {
  const url = `${s.endpoint}${path}`;
  return withRetries(s, async () => {
    const res = await request(url, { headers: headers(s, url) }, s, what);
    if (!res.ok) {
      await res.body?.cancel();
      throw statusError(res.status, what, repo, res.headers.get('retry-after'));
    }
    return res.json();
  });
}

async function fileMeta(s: HubSettings, repo: string, revision: string, file: string): Promise<FileMeta> {
  const what = `${repo}/${file}@${revision}`;
  let url = `${s.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
  // Follow only same-host redirects (renamed repos); the CDN redirect of LFS files carries the metadata we need.
  for (let hop = 0; hop < 5; hop++) {
    const res = await request(
      url,
      { method: 'HEAD', redirect: 'manual', headers: headers(s, url, { 'accept-encoding': 'identity' }) },
      s,
      what,
    );
    const loc = res.headers.get('location');
    const commit = res.headers.get('x-repo-commit');
    const etag = (res.headers.get('x-linked-etag') ?? res.headers.get('etag') ?? '')
      .replace(/^W\//, '')
      .replace(/"/g, '');
    const sizeText = res.headers.get('x-linked-size') ?? res.headers.get('content-length');
    if (res.status >= 300 && res.status < 400 && loc) {
      const next = new URL(loc, url);
      if (commit && etag) return { commit, etag, size: sizeText ? Number(sizeText) : undefined, url: next.toString() };
      if (next.origin !== new URL(s.endpoint).origin)
        throw new TesseraError('HUB_ERROR', `${what}: redirect without X-Repo-Commit / ETag headers`, {});
      url = next.toString();
      continue;
    }
    if (!res.ok) throw statusError(res.status, what, repo, res.headers.get('retry-after'));
    if (!commit || !etag)
      throw new TesseraError(
        'HUB_ERROR',
        `${what}: the hub's answer lacks X-Repo-Commit or ETag; is HF_ENDPOINT (${s.endpoint}) a Hugging Face hub?`,
        {},
      );
    return { commit, etag, size: sizeText ? Number(sizeText) : undefined, url };
  }
  throw new TesseraError('HUB_ERROR', `${what}: too many redirects`, {});
}

/** Takes a lock folder; waits while another process holds it (stale locks expire). */
async function withLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  // Held locks are touched every 30 s; one untouched for 2 minutes belongs to a dead process.
  const staleMs = 2 * 60_000;
  for (;;) {
    try {
      await mkdir(lockPath);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        const st = await stat(lockPath);
        if (Date.now() - st.mtimeMs > staleMs) await rmdir(lockPath).catch(() => undefined);
      } catch {
        // Released meanwhile.
      }
      await sleep(100);
    }
  }
  // A long download keeps its lock fresh, so another process never takes it over as stale.
  const beat = setInterval(() => void utimes(lockPath, new Date(), new Date()).catch(() => undefined), 30_000);
  beat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    await rmdir(lockPath).catch(() => undefined);
  }
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Streams the body into `partial`, resuming from its current size; an idle stream is cut off. */
async function fetchInto(
  s: HubSettings,
  meta: FileMeta,
  partial: string,
  file: string,
  repo: string,
  onProgress?: (p: DownloadProgress) => void,
): Promise<void> {
  const what = `${repo}/${file}`;
  let start = existsSync(partial) ? (await stat(partial)).size : 0;
  if (meta.size !== undefined && start > meta.size) {
    await unlink(partial);
    start = 0;
  }
  const res = await request(
    meta.url,
    { headers: headers(s, meta.url, start ? { range: `bytes=${start}-` } : {}) },
    s,
    what,
  );
  if (!res.ok) throw statusError(res.status, what, repo, res.headers.get('retry-after'));
  if (start && res.status !== 206) start = 0; // The server ignored the range: start over.
  const fh = await open(partial, start ? 'a' : 'w');
  let loaded = start;
  try {
    const reader = res.body!.getReader();
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new TesseraError('HUB_ERROR', `${what}: download stalled (no data for ${s.timeoutMs} ms)`, {})),
          s.timeoutMs,
        );
      });
      let chunk;
      try {
        chunk = await Promise.race([reader.read(), idle]);
      } catch (e) {
        await reader.cancel().catch(() => undefined);
        if (e instanceof TesseraError) throw e;
        throw new TesseraError(
          'HUB_ERROR',
          `${what}: connection lost after ${loaded} bytes (${(e as Error).message}); run again to resume`,
          {},
          { cause: e },
        );
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done) break;
      await fh.write(chunk.value);
      loaded += chunk.value.byteLength;
      onProgress?.({ file, loaded, total: meta.size });
    }
  } finally {
    await fh.close();
  }
  if (meta.size !== undefined && loaded !== meta.size)
    throw new TesseraError(
      'HUB_ERROR',
      `${what}: connection closed after ${loaded} of ${meta.size} bytes; run again to resume`,
      { loaded, size: meta.size },
    );
}

/** Downloads one file into blobs/ (atomically, resumably, verified) and links it from the snapshot. */
async function downloadFile(
  s: HubSettings,
  repoDir: string,
  repo: string,
  revision: string,
  file: string,
  onProgress?: (p: DownloadProgress) => void,
): Promise<{ commit: string; path: string }> {
  const meta = await withRetries(s, () => fileMeta(s, repo, revision, file));
  if (!/^[\w.-]+$/.test(meta.etag))
    throw new TesseraError('HUB_ERROR', `${repo}/${file}: unusable ETag ${JSON.stringify(meta.etag)}`, {});
  if (!isCommitHash(meta.commit))
    throw new TesseraError('HUB_ERROR', `${repo}/${file}: unusable commit ${JSON.stringify(meta.commit)}`, {});
  const blob = join(repoDir, 'blobs', meta.etag);
  const snapshotDir = join(repoDir, 'snapshots', meta.commit);
  const target = safeJoin(snapshotDir, file);
  await mkdir(dirname(blob), { recursive: true });
  await withLock(`${blob}.lock`, async () => {
    if (existsSync(blob)) return;
    const partial = `${blob}.incomplete`;
    await withRetries(s, () => fetchInto(s, meta, partial, file, repo, onProgress));
    // LFS files are named by their sha256: check it before the blob becomes visible.
    if (/^[0-9a-f]{64}$/.test(meta.etag)) {
      const got = await sha256(partial);
      if (got !== meta.etag) {
        await unlink(partial);
        throw new TesseraError(
          'HUB_ERROR',
          `${repo}/${file}: sha256 ${got} does not match the hub's ${meta.etag}; the partial file was removed, run again`,
          { file },
        );
      }
    }
    await rename(partial, blob);
  });
  await mkdir(dirname(target), { recursive: true });
  const linkTarget = relative(dirname(target), blob);
  const existing = await lstat(target).catch(() => undefined);
  if (!existing?.isSymbolicLink() || (await readlink(target)) !== linkTarget) {
    const tmp = `${target}.${process.pid}.tmp`;
    await rm(tmp, { force: true });
    await symlink(linkTarget, tmp);
    await rename(tmp, target);
  }
  return { commit: meta.commit, path: target };
}

async function writeRef(repoDir: string, revision: string, commit: string): Promise<void> {
  if (isCommitHash(revision)) return;
  const ref = safeJoin(join(repoDir, 'refs'), revision);
  await mkdir(dirname(ref), { recursive: true });
  const tmp = `${ref}.${process.pid}.tmp`;
  await writeFile(tmp, commit);
  await rename(tmp, ref);
}

/** The snapshot folder already in the cache for a revision, if any. */
export async function cachedSnapshot(s: HubSettings, repo: string, revision: string): Promise<string | undefined> {
  const repoDir = join(s.cacheDir, repoFolderName(repo));
  let commit = revision;
  if (!isCommitHash(revision)) {
    try {
      commit = (await readFile(safeJoin(join(repoDir, 'refs'), revision), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }
  const dir = join(repoDir, 'snapshots', commit);
  return existsSync(dir) ? dir : undefined;
}

/**
 * Makes the files of a repo revision available in the Hugging Face cache layout and returns
 * the snapshot folder. Offline, it only looks in the cache and names what is missing.
 */
export async function snapshotDownload(s: HubSettings, req: SnapshotRequest): Promise<string> {
  checkRepoId(req.repo);
  const repoDir = join(s.cacheDir, repoFolderName(req.repo));
  const optional = new Set(req.optional ?? []);
  const cached = await cachedSnapshot(s, req.repo, req.revision);
  if (cached) {
    const missing = req.files.filter((f) => !optional.has(f) && !existsSync(safeJoin(cached, f)));
    if (!missing.length && (s.offline || req.files.every((f) => existsSync(safeJoin(cached, f))))) return cached;
    if (s.offline)
      throw new TesseraError(
        'OFFLINE',
        `offline (HF_HUB_OFFLINE): ${req.repo}@${req.revision} is cached but lacks ${missing.join(', ')}`,
        { repo: req.repo, missing },
      );
  } else if (s.offline) {
    throw new TesseraError(
      'OFFLINE',
      `offline (HF_HUB_OFFLINE): ${req.repo}@${req.revision} is not in the cache at ${s.cacheDir}; first needed file: ${req.files[0]}`,
      { repo: req.repo, missing: req.files },
    );
  }
  let snapshot: string | undefined;
  let commit: string | undefined;
  for (const file of req.files) {
    safeJoin(repoDir, file);
    // Once the commit is known, later files are fetched at that commit, so that all come from one snapshot.
    try {
      const r = await downloadFile(s, repoDir, req.repo, commit ?? req.revision, file, req.onProgress);
      commit ??= r.commit;
      snapshot = join(repoDir, 'snapshots', r.commit);
    } catch (e) {
      if (optional.has(file) && e instanceof TesseraError && e.code === 'MODEL_NOT_FOUND') continue;
      throw e;
    }
  }
  if (!snapshot || !commit)
    throw new TesseraError('MODEL_NOT_FOUND', `${req.repo}@${req.revision}: none of the requested files exist`, {
      repo: req.repo,
    });
  await writeRef(repoDir, req.revision, commit);
  return snapshot;
}
