import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tessera, topK } from '@tessera/core';
import { backend as onnx } from '@tessera/backend-onnx';
import { fixtures } from '@tessera/fixtures';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serve } from '../../serve.mjs';

const here = fileURLToPath(new URL('../..', import.meta.url));
const OUT = fileURLToPath(new URL('../../test-output/', import.meta.url));
const QUERY = 'how do I run the tests on one core';

interface Hit {
  id: string;
  score: number;
}
interface Example {
  ready: Promise<{
    search(q: string, k?: number): Promise<Hit[]>;
    encoded: number;
    engine: string;
    device: string;
    passages: number;
  }>;
}

let browser: Browser;
let server: { address(): { port: number }; close(cb: () => void): void };
let url: string;
beforeAll(async () => {
  execFileSync(process.execPath, ['build.mjs'], { cwd: here, stdio: 'pipe' });
  server = (await serve()) as typeof server;
  url = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-dev-shm-usage'],
  });
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

it('loads, encodes the passages with a progress bar, ranks as the user types, and keeps its vectors across a reload', async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  const first = await page.evaluate(() =>
    (window as never as { tesseraExample: Example }).tesseraExample.ready.then((r) => ({
      encoded: r.encoded,
      engine: r.engine,
      passages: r.passages,
    })),
  );
  expect(errors).toEqual([]);
  expect(first.passages).toBeGreaterThan(100);
  expect(first.encoded).toBe(first.passages);
  const labels = await page.evaluate(
    () => (window as never as { tesseraExample: { progress: string[] } }).tesseraExample.progress,
  );
  expect(labels).toContain(`Encoding passages: 0 of ${first.passages}`);
  expect(labels.filter((l) => l.startsWith('Encoding passages')).length).toBeGreaterThan(5);
  // The page says what it runs on: engine, device and threads, and that it is isolated.
  const engine = await page.locator('#engine').textContent();
  expect(engine).toMatch(/onnxruntime-web [\d.]+ \(wasm, \d+ threads?, .*\) · device cpu · cross-origin isolated/);

  // A person types a query; the list fills with ranked passages.
  await page.locator('#query').pressSequentially(QUERY, { delay: 20 });
  await expect.poll(() => page.locator('#results li').count(), { timeout: 30_000 }).toBe(10);
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: `${OUT}/example-page.png`, fullPage: true });
  console.log(`screenshot: ${OUT}example-page.png`);
  const shown = await page.evaluate(
    (q) => (window as never as { tesseraExample: Example }).tesseraExample.ready.then((r) => r.search(q)),
    QUERY,
  );
  const listed = await page.locator('#results li .score').allTextContents();
  expect(listed).toEqual(shown.map((h) => h.score.toFixed(2)));

  // The same ranking as Node's ONNX backend on the same passages and query.
  const passages = JSON.parse(readFileSync(`${here}/dist/passages.json`, 'utf8')) as Array<{
    id: string;
    text: string;
  }>;
  const t = await Tessera.create({ model: fixtures.pylate, backend: onnx, threads: 1 });
  try {
    const [q] = await t.encodeQueries([QUERY]);
    const docs = await t.encodeDocuments(passages.map((p) => p.text));
    const node = topK(t.score(q!, docs), 10).map((r) => ({ id: passages[r.index]!.id, score: r.score }));
    expect(shown.map((h) => h.id)).toEqual(node.map((h) => h.id));
    shown.forEach((h, i) => expect(Math.abs(h.score - node[i]!.score)).toBeLessThan(1e-3));
  } finally {
    await t.dispose();
  }

  // A reload reads the vectors from IndexedDB instead of encoding them again.
  await page.reload();
  const again = await page.evaluate(() =>
    (window as never as { tesseraExample: Example }).tesseraExample.ready.then((r) => r.encoded),
  );
  expect(again).toBe(0);
  await context.close();
});
