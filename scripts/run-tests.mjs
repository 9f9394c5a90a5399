// Runs every package's tests through turbo, all of them even when one fails (--continue), and
// ends with a table of each package's counts and time, then one summary line:
// "N passed, M failed, K skipped" (vitest's own summaries are per package).
import { spawn } from 'node:child_process';

// `--task test:install` runs the install-from-tarball tests the same way (pnpm test:install).
const argv = process.argv.slice(2);
const taskAt = argv.indexOf('--task');
const task = taskAt >= 0 ? argv.splice(taskAt, 2)[1] : 'test';
const args = ['exec', 'turbo', 'run', task, '--continue', '--output-logs=full', '--log-order=grouped', ...argv];
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', FORCE_COLOR: '0', NO_COLOR: '1' };
const child = spawn('pnpm', args, { stdio: ['ignore', 'pipe', 'pipe'], env });
const started = Date.now();
/** package -> { passed, failed, skipped, seconds, failedFiles } */
const packages = new Map();
const entry = (name) => {
  if (!packages.has(name)) packages.set(name, { passed: 0, failed: 0, skipped: 0, seconds: undefined, errors: 0 });
  return packages.get(name);
};
let buffer = '';
const prefix = new RegExp(`^(\\S+):${task.replace(/[^\w]/g, '\\$&')}:\\s*(.*)$`);
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

function scan(chunk) {
  buffer += chunk;
  const lines = buffer.split('\n');
  buffer = lines.pop();
  for (const raw of lines) {
    const line = strip(raw);
    const m = prefix.exec(line);
    if (!m) continue;
    const [, name, rest] = m;
    const tests = /^Tests\s+(.*\(\d+\))\s*$/.exec(rest.trim());
    if (tests) {
      const p = entry(name);
      for (const [, n, kind] of tests[1].matchAll(/(\d+) (passed|failed|skipped|todo)/g)) {
        if (kind === 'passed') p.passed += Number(n);
        else if (kind === 'failed') p.failed += Number(n);
        else p.skipped += Number(n);
      }
    }
    const errors = /^Errors\s+(\d+) errors?/.exec(rest.trim());
    if (errors) entry(name).errors += Number(errors[1]);
    const duration = /^Duration\s+([\d.]+)(ms|s)\b/.exec(rest.trim());
    if (duration) entry(name).seconds = Number(duration[1]) / (duration[2] === 'ms' ? 1000 : 1);
    const ex = /^example (ok|failed): (.*)$/.exec(rest.trim());
    if (ex) ex[1] === 'ok' ? entry(name).passed++ : entry(name).failed++;
    const took = /^examples: (\d+) in ([\d.]+) s$/.exec(rest.trim());
    if (took) entry(name).seconds = Number(took[2]);
  }
}

child.stdout.on('data', (d) => {
  process.stdout.write(d);
  scan(String(d));
});
child.stderr.on('data', (d) => {
  process.stderr.write(d);
  scan(String(d));
});
child.on('close', (code) => {
  if (buffer) scan(`${buffer}\n`);
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const rows = [...packages.entries()].sort(([a], [b]) => a.localeCompare(b));
  console.log('\npackage                      passed  failed  skipped  time');
  for (const [name, p] of rows) {
    // Errors outside any test (an unhandled rejection, a file that failed to load) fail the run too.
    const f = p.failed + p.errors;
    passed += p.passed;
    failed += f;
    skipped += p.skipped;
    const time = p.seconds === undefined ? '' : `${p.seconds.toFixed(1)} s`;
    console.log(
      `${name.padEnd(28)} ${String(p.passed).padStart(6)}  ${String(f).padStart(6)}  ${String(p.skipped).padStart(7)}  ${time}`,
    );
  }
  console.log(`all packages: ${((Date.now() - started) / 1000).toFixed(0)} s wall-clock`);
  // A package that failed without a count (a build error, a crash) still counts as a failure.
  if (code !== 0 && failed === 0) failed = 1;
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code ?? 1);
});
