import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// The suite's quick form of test/browser/page.test.ts (which uses the page in Chromium: pnpm test:browser).
const here = fileURLToPath(new URL('..', import.meta.url));

it("builds the page: the bundle, onnxruntime-web's wasm files, the model and a few hundred passages", () => {
  execFileSync(process.execPath, ['build.mjs'], { cwd: here, stdio: 'pipe' });
  const dist = join(here, 'dist');
  for (const f of [
    'index.html',
    'style.css',
    'app.js',
    'ort/ort-wasm-simd-threaded.wasm',
    'ort/ort-wasm-simd-threaded.jsep.wasm',
  ])
    expect(existsSync(join(dist, f)), f).toBe(true);
  for (const f of [
    'modules.json',
    '0_Transformer/config.json',
    '0_Transformer/tokenizer.json',
    'onnx/model.onnx',
    '1_Dense/model.safetensors',
  ])
    expect(existsSync(join(dist, 'models/colbert-pylate', f)), f).toBe(true);
  const passages = JSON.parse(readFileSync(join(dist, 'passages.json'), 'utf8')) as Array<{ id: string; text: string }>;
  expect(passages.length).toBeGreaterThan(150);
  expect(new Set(passages.map((p) => p.id)).size).toBe(passages.length);
  expect(passages.every((p) => p.text.length >= 60 && !p.text.includes('```'))).toBe(true);
  // The app is bundled for the browser: nothing of Node's in it.
  expect(readFileSync(join(dist, 'app.js'), 'utf8')).not.toMatch(/["']node:(fs|path|worker_threads|os)["']/);
});
