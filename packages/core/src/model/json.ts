import { existsSync, readFileSync } from 'node:fs';
import { TesseraError } from '../errors.js';

export type Json = Record<string, unknown>;

/** Reads a JSON object file; undefined when the file is absent, a CORRUPT_FILE error when it is not JSON. */
export function readJsonObject(path: string): Json | undefined {
  if (!existsSync(path)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TesseraError('CORRUPT_FILE', `${path}: not valid JSON (${(e as Error).message})`, { file: path }, { cause: e });
  }
  if (!value || typeof value !== 'object') throw new TesseraError('CORRUPT_FILE', `${path}: expected a JSON object or array`, { file: path });
  return value as Json;
}

export function field<T>(obj: Json, key: string, check: (v: unknown) => v is T, file: string, what: string): T | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!check(v)) throw new TesseraError('INVALID_MODEL', `${file}: field "${key}" must be ${what}, got ${JSON.stringify(v)}`, { file, field: key });
  return v;
}

export const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
export const isStr = (v: unknown): v is string => typeof v === 'string';
export const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
export const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
