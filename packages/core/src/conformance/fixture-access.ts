import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelSpec } from '../model/load-local.js';
import type { ModelSpec } from '../model/spec.js';

// A page has no file system: it fetches the fixtures' goldens and hands them over before the
// suite is defined. In Node the folder is read unless a file was provided.
const provided = new Map<string, string>();

/** Goldens the suite reads (path below a fixture folder → text), for a page to hand over. */
export function provideFixtureFiles(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) provided.set(path, text);
}

/** A fixture file's text; undefined when the fixture has none. */
export function fixtureFileText(dir: string, name: string): string | undefined {
  const path = join(dir, name);
  const given = provided.get(path);
  if (given !== undefined) return given;
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** A fixture's model spec, as the backend under test receives it. */
export function openFixtureSpec(dir: string): Promise<ModelSpec> {
  return loadModelSpec(dir);
}
