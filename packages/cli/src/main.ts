#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { isTesseraError } from '@tessera/core';
import { backendsCommand, modelsCommand, pullCommand } from './commands/info.js';
import { demoCommand } from './commands/demo.js';
import { encodeCommand } from './commands/encode.js';
import { exportCommand } from './commands/export.js';
import { rerankCommand, scoreCommand } from './commands/score.js';
import { serveCommand } from './commands/serve.js';
import { indexCommand } from './commands/index-corpus.js';
import { searchCommand } from './commands/search.js';
import { workerCommand } from './commands/worker.js';
import { UsageError } from './errors.js';
import { HELP } from './help.js';
import { argsOrRelay } from './long-args.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  encode: encodeCommand,
  score: scoreCommand,
  rerank: rerankCommand,
  index: indexCommand,
  search: searchCommand,
  worker: workerCommand,
  serve: serveCommand,
  models: modelsCommand,
  backends: backendsCommand,
  pull: pullCommand,
  export: exportCommand,
  demo: demoCommand,
  bench: async (argv) => {
    let mod: { main?: (argv: string[]) => Promise<number> };
    try {
      mod = (await import('@tessera/bench' as string)) as typeof mod;
    } catch {
      throw new UsageError(
        "the benchmark lives in the repository's bench/ package",
        'from a clone of the repository run `pnpm bench`',
      );
    }
    return mod.main!(argv);
  },
};

const HINTS: Record<string, string> = {
  MODEL_NOT_FOUND: 'check the model id (`tessera models`), the repo id, or the folder path',
  BACKEND_NOT_INSTALLED: 'see `tessera backends`',
  DEVICE_UNAVAILABLE: 'drop --strict to fall back to the cpu, or see `tessera backends`',
  HUB_ERROR: 'check the network, HF_ENDPOINT and HF_TOKEN; `tessera pull` fetches ahead of time',
  OFFLINE: 'unset HF_HUB_OFFLINE, or `tessera pull` the model while online',
  CORRUPT_FILE: 'download the file again (delete it from the cache first)',
  INVALID_MODEL: 'the folder must be a Stanford ColBERT, PyLate or sentence-transformers model',
  UNSUPPORTED_DIMENSION: 'pick one of the supported dimensions',
  INDEX_MISMATCH: 'index into a new folder with --to, or use the model the index was built with',
  NOT_AN_INDEX: 'give --to / --index a new or empty folder, or one `tessera index` built',
  INVALID_FILTER:
    "--where takes LanceDB SQL on id, text, source and metadata (JSON): json_get_string(metadata, 'lang') = 'en'",
  STORE_FAILED: 'free disk space or fix permissions, then rerun the same command: it continues',
  WRITE_FAILED: 'free disk space or fix permissions, then rerun the command',
};

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const [command, ...rest] = argv;
  try {
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(`${HELP}\n`);
      return command ? 0 : 2;
    }
    if (command === '--version' || command === '-v') {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command "${command}"`, 'run `tessera --help` for the list of commands');
    return await run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`tessera: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
      return 2;
    }
    if (isTesseraError(e)) {
      const usage = e.code === 'INVALID_OPTION' || e.code === 'INVALID_INPUT';
      process.stderr.write(`tessera: ${e.message}\n`);
      const hint = HINTS[e.code];
      if (hint) process.stderr.write(`hint: ${hint}\n`);
      if (debug) process.stderr.write(`${e.stack}\n`);
      return usage ? 2 : 1;
    }
    process.stderr.write(`tessera: ${(e as Error).message ?? String(e)}\n`);
    if (debug) process.stderr.write(`${(e as Error).stack}\n`);
    else process.stderr.write('hint: run again with --debug for the stack trace\n');
    return 1;
  }
}

argsOrRelay(process.argv.slice(2))
  .then((r) => ('exitCode' in r ? r.exitCode : main(r.argv)))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`tessera: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
