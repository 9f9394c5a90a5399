import { TesseraError } from '../errors.js';
import type { ModelFiles } from '../io/model-files.js';

export type Json = Record<string, unknown>;

/** Real configs are kilobytes and tokenizer.json files tens of megabytes; past these, a file is hostile or broken. */
export const JSON_LIMITS = { configBytes: 16 * 2 ** 20, tokenizerBytes: 512 * 2 ** 20, depth: 64 };

/** The nesting depth of a parsed JSON value, counted without recursion (a deep value would overflow the stack). */
export function jsonDepth(value: unknown, stopAt = Infinity): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (d > max) max = d;
    if (max > stopAt) return max;
    for (const c of Object.values(v as object)) if (c && typeof c === 'object') stack.push([c, d + 1]);
  }
  return max;
}

/**
 * Parses a JSON file from a model folder with bounds: its size (checked before reading) and its
 * nesting depth (checked before any code walks it), each a CORRUPT_FILE error naming the file.
 */
export function parseBoundedJson(files: ModelFiles, path: string, maxBytes: number): unknown {
  const size = files.size(path);
  if (size > maxBytes)
    throw new TesseraError('CORRUPT_FILE', `${path}: ${size} bytes, past the ${maxBytes}-byte bound for this file`, {
      file: path,
    });
  let value: unknown;
  try {
    value = JSON.parse(files.readText(path));
  } catch (e) {
    throw new TesseraError(
      'CORRUPT_FILE',
      `${path}: not valid JSON (${(e as Error).message})`,
      { file: path },
      { cause: e },
    );
  }
  if (jsonDepth(value, JSON_LIMITS.depth) > JSON_LIMITS.depth)
    throw new TesseraError('CORRUPT_FILE', `${path}: nested deeper than ${JSON_LIMITS.depth} levels`, { file: path });
  return value;
}

/** Reads a JSON object file; undefined when the file is absent, a CORRUPT_FILE error when it is not JSON. */
export function readJsonObject(files: ModelFiles, path: string): Json | undefined {
  if (files.kind(path) !== 'file') return undefined;
  const value = parseBoundedJson(files, path, JSON_LIMITS.configBytes);
  if (!value || typeof value !== 'object')
    throw new TesseraError('CORRUPT_FILE', `${path}: expected a JSON object or array`, { file: path });
  return value as Json;
}

export function field<T>(
  obj: Json,
  key: string,
  check: (v: unknown) => v is T,
  file: string,
  what: string,
): T | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!check(v))
    throw new TesseraError('INVALID_MODEL', `${file}: field "${key}" must be ${what}, got ${JSON.stringify(v)}`, {
      file,
      field: key,
    });
  return v;
}

export const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
export const isStr = (v: unknown): v is string => typeof v === 'string';
export const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
export const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
