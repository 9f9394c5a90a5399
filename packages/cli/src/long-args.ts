import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// onnxruntime reads /proc/self/cmdline when it creates a session and overflows its stack on
// command lines past ~25 KB (exit 139, no message). Texts reach the CLI as arguments, so a long
// command line is handed to a child process through a private file instead, before any backend
// loads; the child's own command line stays short.
const LIMIT = 16 * 1024;
const ENV = 'TESSERA_ARGS_FILE';

/**
 * The arguments to run with, or the exit code of a child that ran them: when the command line is
 * longer than LIMIT bytes, this process re-runs itself with the arguments in a 0600 file (deleted
 * by the child as it starts), passes signals on, and exits with the child's code.
 */
export async function argsOrRelay(argv: string[]): Promise<{ argv: string[] } | { exitCode: number }> {
  const file = process.env[ENV];
  if (file) {
    delete process.env[ENV];
    const args = JSON.parse(readFileSync(file, 'utf8')) as string[];
    rmSync(join(file, '..'), { recursive: true, force: true });
    return { argv: args };
  }
  const bytes =
    process.argv.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0) +
    process.execArgv.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
  if (bytes <= LIMIT) return { argv };
  const dir = mkdtempSync(join(tmpdir(), 'tessera-args-'));
  const path = join(dir, 'argv.json');
  writeFileSync(path, JSON.stringify(argv), { mode: 0o600 });
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!], {
    stdio: 'inherit',
    env: { ...process.env, [ENV]: path },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, forward);
  return new Promise((resolve) => {
    child.on('error', (e) => {
      rmSync(dir, { recursive: true, force: true });
      process.stderr.write(`tessera: could not re-run with a long command line (${e.message})\n`);
      resolve({ exitCode: 1 });
    });
    child.on('exit', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      rmSync(dir, { recursive: true, force: true });
      const numbers: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9, SIGSEGV: 11 };
      resolve({ exitCode: code ?? 128 + (numbers[signal ?? ''] ?? 1) });
    });
  });
}
