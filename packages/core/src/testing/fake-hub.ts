import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

/** How the fake hub misbehaves for one repo (counts are per file path). */
export interface FakeRepoBehaviour {
  /** 401 unless the request carries this bearer token. */
  token?: string;
  /** Answer 500 to the first N requests for each file (Infinity: always). */
  failFirst?: number;
  /** Answer 429 with this Retry-After (seconds) to the first request for each file. */
  rateLimitOnce?: number;
  /** Cut the connection halfway through the body of the first download of these files. */
  cutMidFile?: string[];
  /** Serve these files with one byte flipped (the ETag still names the right sha256). */
  corrupt?: string[];
  /** Wait this long before answering anything. */
  delayMs?: number;
  /** Extra names in the file listing (for path-safety tests). */
  extraSiblings?: string[];
}

export interface FakeHubRepo {
  /** "org/name" */
  id: string;
  /** Folder whose files the repo serves. */
  dir: string;
  behaviour?: FakeRepoBehaviour;
}

export interface FakeHub {
  endpoint: string;
  /** Every request as "METHOD path [range]". */
  log: string[];
  commitOf(repo: string): string;
  close(): Promise<void>;
}

/** Files under dir, as hub paths. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

const isLfs = (file: string) => /\.(safetensors|onnx|bin)$/.test(file);

/**
 * A local stand-in for huggingface.co on loopback: the API's revision listing, resolve URLs
 * with X-Repo-Commit and ETag headers, LFS files behind a redirect with X-Linked-Etag (their
 * sha256) and X-Linked-Size, range requests, and configurable failures.
 */
export async function startFakeHub(repos: FakeHubRepo[]): Promise<FakeHub> {
  const log: string[] = [];
  const counts = new Map<string, number>();
  const cut = new Set<string>();
  const byId = new Map(
    repos.map((r) => [r.id, { ...r, commit: createHash('sha1').update(r.id).digest('hex'), files: listFiles(r.dir) }]),
  );
  const blobs = new Map<string, { data: Buffer; file: string; repo: string }>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    log.push(`${req.method} ${path}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(path);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(path);
    const repoId = api?.[1] ?? resolve?.[1] ?? (cdn ? blobs.get(cdn[1]!)?.repo : undefined);
    const repo = repoId ? byId.get(repoId) : undefined;
    const b = repo?.behaviour ?? {};
    if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
    if (!repo) {
      res.writeHead(404, { 'x-error-code': 'RepoNotFound' }).end('Repository not found');
      return;
    }
    if (b.token && req.headers.authorization !== `Bearer ${b.token}`) {
      res.writeHead(401, { 'x-error-code': 'GatedRepo' }).end('Access to this repo is restricted');
      return;
    }
    if (api) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: repo.id,
          sha: repo.commit,
          siblings: [...repo.files, ...(b.extraSiblings ?? [])].map((rfilename) => ({ rfilename })),
        }),
      );
      return;
    }
    const file = resolve?.[3] ?? blobs.get(cdn![1]!)!.file;
    const key = `${repo.id}/${file}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    if (b.failFirst && n <= b.failFirst) {
      res.writeHead(500).end('Internal Server Error');
      return;
    }
    if (b.rateLimitOnce !== undefined && n === 1) {
      res.writeHead(429, { 'retry-after': String(b.rateLimitOnce) }).end('Too Many Requests');
      return;
    }
    if (resolve && resolve[2] !== 'main' && resolve[2] !== repo.commit) {
      res.writeHead(404, { 'x-error-code': 'RevisionNotFound' }).end('Invalid rev id');
      return;
    }
    if (!repo.files.includes(file)) {
      res.writeHead(404, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': repo.commit }).end('Entry not found');
      return;
    }
    let data = readFileSync(join(repo.dir, file));
    const sha256 = createHash('sha256').update(data).digest('hex');
    if (b.corrupt?.includes(file)) {
      data = Buffer.from(data);
      data[0] = data[0]! ^ 0xff;
    }
    if (resolve && isLfs(file)) {
      blobs.set(sha256, { data, file, repo: repo.id });
      res
        .writeHead(302, {
          location: `/cdn/${sha256}`,
          'x-repo-commit': repo.commit,
          'x-linked-etag': `"${sha256}"`,
          'x-linked-size': String(data.length),
          etag: `"${sha256}"`,
        })
        .end();
      return;
    }
    const etag = createHash('sha1').update(data).digest('hex');
    const headers: Record<string, string> = {
      'x-repo-commit': repo.commit,
      etag: `"${isLfs(file) ? sha256 : etag}"`,
      'accept-ranges': 'bytes',
    };
    let body = data;
    let status = 200;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      body = data.subarray(start);
      status = 206;
      headers['content-range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    }
    headers['content-length'] = String(body.length);
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (b.cutMidFile?.includes(file) && !cut.has(key)) {
      cut.add(key);
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
      return;
    }
    res.end(body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.writeHead(500).end(String(e));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    commitOf: (repo) => byId.get(repo)!.commit,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
