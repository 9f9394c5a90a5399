// Runs every package's tests through turbo and ends with one summary line:
// "N passed, M failed" (vitest's own summaries are per package).
import { spawn } from 'node:child_process';

const args = ['exec', 'turbo', 'run', 'test', '--output-logs=full', '--log-order=grouped', ...process.argv.slice(2)];
const child = spawn('pnpm', args, {
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', FORCE_COLOR: '0' },
});
let passed = 0;
let failed = 0;
let buffer = '';
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
function scan(chunk) {
  buffer += chunk;
  const lines = buffer.split('\n');
  buffer = lines.pop();
  for (const raw of lines) {
    const line = strip(raw);
    const m = /Tests\s+(?:(\d+) failed\s*\|\s*)?(\d+) passed/.exec(line);
    if (m) {
      failed += Number(m[1] ?? 0);
      passed += Number(m[2]);
    } else {
      const f = /Tests\s+(\d+) failed/.exec(line);
      if (f) failed += Number(f[1]);
    }
    const ex = /^\S+:test: example (ok|failed): (.*)$/.exec(line);
    if (ex) ex[1] === 'ok' ? passed++ : failed++;
  }
}
child.stdout.on('data', (d) => {
  process.stdout.write(d);
  scan(String(d));
});
child.stderr.on('data', (d) => process.stderr.write(d));
child.on('close', (code) => {
  if (buffer) scan(`${buffer}\n`);
  if (code !== 0 && failed === 0) failed = 1;
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(code ?? 1);
});
