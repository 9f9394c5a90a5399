import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import send from 'send';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.css': 'text/css',
};

export const ORT_DIST = fileURLToPath(new URL('../../../node_modules/onnxruntime-web/dist/', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../../../../../fixtures/', import.meta.url));

/** Bundles a page entry for the browser as an app's bundler would: core's "browser" condition and file swaps. */
export async function bundle(entry: string, minify = false): Promise<{ dir: string; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-page-'));
  const result = await build({
    entryPoints: { page: entry },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    splitting: true,
    outdir: dir,
    minify,
    metafile: true,
    logLevel: 'silent',
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { dir, bytes };
}

const PAGE =
  '<!doctype html><meta charset="utf-8"><title>tessera test page</title><script type="module" src="/bundle/page.js"></script>';

/**
 * A static server on loopback for the page tests: the bundle, onnxruntime-web's files and the
 * fixtures; with `isolated`, the COOP/COEP headers that make the page cross-origin isolated.
 */
export async function servePage(bundleDir: string, isolated: boolean, roots: Record<string, string> = {}) {
  const mounts: Record<string, string> = { '/bundle/': bundleDir, '/ort/': ORT_DIST, '/fixtures/': FIXTURES, ...roots };
  const server: Server = createServer((req, res) => {
    const headers: Record<string, string> = isolated
      ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
      : {};
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/') {
      res.writeHead(200, { ...headers, 'Content-Type': TYPES['.html']! });
      res.end(PAGE);
      return;
    }
    const mount = Object.keys(mounts).find((m) => path.startsWith(m));
    const file = mount ? normalize(join(mounts[mount]!, path.slice(mount.length))) : '';
    if (!mount || !file.startsWith(normalize(mounts[mount]!)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers);
      res.end();
      return;
    }
    // send answers Range requests (206), as static hosts and the hub do: a Stanford folder's
    // weights are read in ranges.
    send(req, encodeURI(file), { dotfiles: 'allow' })
      .on('headers', (r) => {
        for (const [k, v] of Object.entries(headers)) r.setHeader(k, v);
        r.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
      })
      .pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
