import { nodeFiles } from '../io/node-files.js';
import { checkConfined } from './confine.js';
import { readModelSpec, type LoadSpecOptions } from './load-folder.js';
import type { ModelSpec } from './spec.js';
import { TesseraError } from '../errors.js';

/** Reads a model folder on disk (see readModelSpec), refusing one whose links lead outside it. */
export async function loadModelSpec(dir: string, options: LoadSpecOptions = {}): Promise<ModelSpec> {
  if (nodeFiles.kind(dir) !== 'dir')
    throw new TesseraError('MODEL_NOT_FOUND', `model folder ${dir} does not exist`, { dir });
  checkConfined(dir);
  return readModelSpec(nodeFiles, dir, options);
}
