// Builds the example page into dist/: the app bundled for the browser (esbuild, core's browser
// entry), onnxruntime-web's .wasm files, the bundled test checkpoint, and the passages it
// searches (paragraphs of this repository's README files and docs).
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'ort'), { recursive: true });

await build({
  entryPoints: { app: join(here, 'src/main.ts') },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  splitting: true,
  minify: true,
  sourcemap: true,
  outdir: dist,
  logLevel: 'warning',
});
for (const f of ['index.html', 'style.css']) cpSync(join(here, f), join(dist, f));

// onnxruntime-web's WebAssembly builds (plain, and the WebGPU one), served from here, not a CDN.
const web = createRequire(join(here, 'node_modules/@tessera/backend-web/package.json'));
const ortDist = dirname(web.resolve('onnxruntime-web'));
for (const f of readdirSync(ortDist).filter((f) => /^ort-wasm-simd-threaded(\.jsep)?\.(wasm|mjs)$/.test(f)))
  cpSync(join(ortDist, f), join(dist, 'ort', f));

// The bundled checkpoint (random weights: the ranking is real MaxSim, the meaning is not).
cpSync(join(repo, 'fixtures/colbert-pylate'), join(dist, 'models/colbert-pylate'), {
  recursive: true,
  filter: (src) => !/golden\.json$|forward\.json$/.test(src),
});

// Passages: the paragraphs of the repository's markdown (no code, tables or headings).
const files = [
  join(repo, 'README.md'),
  join(repo, 'bench/README.md'),
  join(repo, 'fixtures/README.md'),
  ...readdirSync(join(repo, 'docs')).map((f) => join(repo, 'docs', f)),
  ...readdirSync(join(repo, 'packages')).map((p) => join(repo, 'packages', p, 'README.md')),
].filter((f) => f.endsWith('.md') && existsSync(f));
const passages = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  text
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p.length >= 60 && !p.startsWith('#') && !p.startsWith('|'))
    .forEach((p, n) => passages.push({ id: `${relative(repo, file)}#${n}`, source: relative(repo, file), text: p }));
}
writeFileSync(join(dist, 'passages.json'), JSON.stringify(passages.slice(0, 400)));
console.log(
  `built ${relative(process.cwd(), dist) || dist}: ${Math.min(400, passages.length)} passages from ${files.length} files`,
);
