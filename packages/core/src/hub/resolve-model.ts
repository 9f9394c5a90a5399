import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { TesseraError } from '../errors.js';
import { defaultModel, findModel, type ModelEntry } from '../registry/index.js';
import type { RepoFiles } from '../backend/types.js';
import { hubJson, snapshotDownload, type DownloadProgress } from './download.js';
import { hubSettings, type HubSettings } from './env.js';
import { checkRepoId } from './paths.js';

export interface ResolvedModel {
  dir: string;
  entry: ModelEntry | undefined;
  /** 'local' folder, or 'hub' snapshot. */
  source: 'local' | 'hub';
  repo?: string;
  revision?: string;
}

export interface ResolveOptions {
  /** The weight files to fetch from a hub repo (a backend's files()); default: the safetensors weights. */
  files?: (repo: RepoFiles) => string[];
  /** The dtype asked for, passed to `files`. */
  dtype?: string;
  /** Branch, tag or commit of a hub model (as transformers.js's `revision`); "org/name@rev" says the same. */
  revision?: string;
  hub?: Partial<HubSettings>;
  onProgress?: (p: DownloadProgress) => void;
}

const CONFIG_FILE = new RegExp(
  `(^|/)(${[
    'config.json',
    'config_sentence_transformers.json',
    'sentence_bert_config.json',
    'modules.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'added_tokens.json',
    'vocab.txt',
    'artifact.metadata',
  ]
    .map((f) => f.replace(/\./g, '\\.'))
    .join('|')})$`,
);

/** The repo's file list from the hub API. */
async function listRepoFiles(s: HubSettings, repo: string, revision: string): Promise<string[]> {
  const body = (await hubJson(
    s,
    `/api/models/${repo}/revision/${encodeURIComponent(revision)}`,
    `${repo}@${revision} (listing its files)`,
    repo,
  )) as { siblings?: Array<{ rfilename?: unknown }> };
  return (body.siblings ?? []).map((x) => x.rfilename).filter((x): x is string => typeof x === 'string');
}

/** Without a backend's own choice: the transformer's safetensors weights. */
export function safetensorsWeights(repo: RepoFiles): string[] {
  const weights = `${repo.transformerDir}model.safetensors`;
  return repo.files.includes(weights) ? [weights] : [];
}

/**
 * Chooses the files to fetch: what every backend needs (configs, tokenizer, projection layers),
 * and the weights the backend names (its files() method; the safetensors weights otherwise).
 */
export function selectFiles(
  files: readonly string[],
  weights: (repo: RepoFiles) => string[] = safetensorsWeights,
  dtype?: string,
): string[] {
  const has = new Set(files);
  const out = new Set<string>();
  for (const f of files) {
    if (f.startsWith('onnx/') || f.startsWith('openvino/')) continue;
    if (CONFIG_FILE.test(f)) out.add(f);
    if (/^\d+_Dense\/model\.safetensors$/.test(f)) out.add(f);
  }
  // Stanford checkpoints keep the projection inside the root model.safetensors: core reads it.
  if (has.has('artifact.metadata') && !has.has('modules.json') && has.has('model.safetensors'))
    out.add('model.safetensors');
  const transformerDir =
    [...out].find((f) => /^\d+_Transformer\/config\.json$/.test(f))?.replace(/config\.json$/, '') ?? '';
  for (const f of weights({ files, transformerDir, dtype })) {
    if (!has.has(f))
      throw new TesseraError('INVALID_MODEL', `the backend asked for ${f}, which the repo does not have`, { file: f });
    out.add(f);
  }
  return [...out].sort();
}

function isLocalPath(model: string): boolean {
  return model.startsWith('.') || model.startsWith('/') || model.startsWith('~') || existsSync(model);
}

/** Model id, "org/name[@revision]" or a local folder to a local folder. */
export async function resolveModel(model: string | undefined, options: ResolveOptions = {}): Promise<ResolvedModel> {
  const name = model ?? defaultModel().id;
  if (typeof name !== 'string' || !name.trim())
    throw new TesseraError(
      'INVALID_OPTION',
      `model must be a registry id, a Hugging Face repo id or a folder (got ${JSON.stringify(model)})`,
      { field: 'model' },
    );
  if (isLocalPath(name)) {
    const dir = resolve(name);
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new TesseraError('MODEL_NOT_FOUND', `model folder ${dir} does not exist`, { dir });
    return { dir, entry: undefined, source: 'local' };
  }
  const entry = findModel(name);
  let repo: string;
  let revision: string;
  if (entry) {
    repo = entry.repo;
    revision = options.revision ?? entry.revision;
  } else {
    const at = name.lastIndexOf('@');
    repo = at > 0 ? name.slice(0, at) : name;
    if (at > 0 && options.revision !== undefined && options.revision !== name.slice(at + 1))
      throw new TesseraError(
        'INVALID_OPTION',
        `"${name}" names revision ${name.slice(at + 1)} but the revision option says ${options.revision}; give one`,
        { field: 'revision' },
      );
    revision = options.revision ?? (at > 0 ? name.slice(at + 1) : 'main');
    if (!repo.includes('/'))
      throw new TesseraError(
        'MODEL_NOT_FOUND',
        `"${name}" is not a folder, a registry id (see \`tessera models\`) or a Hugging Face repo id ("org/name")`,
        { model: name },
      );
    checkRepoId(repo);
  }
  const s = hubSettings(options.hub);
  let files: string[];
  if (s.offline) {
    files = [];
  } else {
    files = selectFiles(await listRepoFiles(s, repo, revision), options.files, options.dtype);
    if (!files.length)
      throw new TesseraError('INVALID_MODEL', `${repo}@${revision} has no files Tessera can load`, { repo });
  }
  const dir = await snapshotDownload(s, { repo, revision, files, onProgress: options.onProgress });
  return { dir, entry, source: 'hub', repo, revision };
}
