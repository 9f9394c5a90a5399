import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { TesseraError } from '../errors.js';

/** models--org--name, the folder huggingface_hub uses for a model repo. */
export function repoFolderName(repo: string): string {
  return `models--${repo.split('/').join('--')}`;
}

export function checkRepoId(repo: string): void {
  if (!/^[\w][\w.-]*\/[\w][\w.-]*$/.test(repo) || repo.includes('..'))
    throw new TesseraError('INVALID_OPTION', `"${repo}" is not a valid Hugging Face repo id (expected "org/name")`, {
      field: 'model',
    });
}

/** A file path from the hub, checked so that it can never point outside `root`. */
export function safeJoin(root: string, file: string): string {
  const bad =
    file === '' ||
    isAbsolute(file) ||
    file.includes('\\') ||
    file.includes('\0') ||
    file.split('/').some((p) => p === '..' || p === '.' || p === '');
  const target = normalize(join(root, file));
  const rel = relative(root, target);
  if (bad || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep)[0] === '..')
    throw new TesseraError(
      'HUB_ERROR',
      `refusing file name ${JSON.stringify(file)} from the hub: it would write outside the cache folder`,
      { file },
    );
  return target;
}

export function isCommitHash(rev: string): boolean {
  return /^[0-9a-f]{40}$/.test(rev);
}
