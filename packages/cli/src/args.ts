import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every model-loading command takes. */
export const MODEL_OPTIONS: Options = {
  model: { type: 'string', short: 'm' },
  backend: { type: 'string', short: 'b' },
  device: { type: 'string', short: 'd' },
  threads: { type: 'string' },
  dtype: { type: 'string' },
  dim: { type: 'string' },
  strict: { type: 'boolean' },
  offline: { type: 'boolean' },
};

export const COMMON_OPTIONS: Options = {
  help: { type: 'boolean', short: 'h' },
  quiet: { type: 'boolean', short: 'q' },
  debug: { type: 'boolean' },
};

export function parse(
  command: string,
  argv: string[],
  options: Options,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!.replace(/^Unknown option/, 'unknown option');
    throw new UsageError(msg, `see \`tessera ${command} --help\``);
  }
}

export function intOption(values: Record<string, unknown>, name: string, min = 1): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer >= ${min} (got ${JSON.stringify(v)})`);
  return n;
}

export function choice<T extends string>(
  values: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
  return v as T;
}

/** Prints a command's help; returns the exit code. */
export function printHelp(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}
