import { fetchModelFiles } from '../browser/fetch-model.js';
import { joinSlashed } from '../io/model-files.js';
import { readModelSpec } from '../model/load-folder.js';
import type { ModelSpec } from '../model/spec.js';

// In a page the fixtures are URLs: goldens are handed over before the suite is defined (its
// cases read them while they are defined, synchronously), and models are fetched.
const provided = new Map<string, string>();

/** Goldens the suite reads (URL below a fixture folder → text), fetched by the page first. */
export function provideFixtureFiles(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) provided.set(joinSlashed(path), text);
}

/** A fixture file's text; undefined when the page provided none. */
export function fixtureFileText(dir: string, name: string): string | undefined {
  return provided.get(joinSlashed(dir, name));
}

/** A fixture's model spec, from its files fetched over HTTP. */
export async function openFixtureSpec(dir: string): Promise<ModelSpec> {
  return readModelSpec(await fetchModelFiles(dir, { cache: false }), joinSlashed(dir));
}
