// Runs each example as its own process; prints one "example ok|failed: NAME" line each.
import { spawnSync } from 'node:child_process';

let failed = 0;
const started = performance.now();
const names = [];
for (const name of [
  'quickstart.mjs',
  'batch-processing.mjs',
  'rerank.mjs',
  'index-search.mjs',
  'multivector-lancedb.mjs',
  'multivector-qdrant.mjs',
]) {
  const r = spawnSync(process.execPath, [name], { stdio: 'inherit', cwd: new URL('.', import.meta.url) });
  const ok = r.status === 0;
  if (!ok) failed++;
  console.log(`example ${ok ? 'ok' : 'failed'}: ${name}`);
  names.push(name);
}
console.log(`examples: ${names.length} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
