import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { TesseraError } from '../errors.js';
import { defaultModel, findModel, type ModelEntry } from '../registry/index.js';
import { snapshotDownload, type DownloadProgress } from './download.js';
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
  backend?: string;
  /** Branch, tag or commit of a hub model (as transformers.js's `revision`); "org/name@rev" says the same. */
  revision?: string;
  /** ONNX weight variant: picks onnx/model_<dtype>.onnx. */
  onnxFile?: string;
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
  const url = `${s.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
  let res: Response;
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), s.timeoutMs);
  try {
    res = await fetch(url, { headers: s.token ? { authorization: `Bearer ${s.token}` } : {}, signal: ctrl.signal });
  } catch (e) {
    throw new TesseraError(
      'HUB_ERROR',
      `cannot reach the Hugging Face hub at ${s.endpoint} ` +
        `(${ctrl.signal.aborted ? `no answer within ${s.timeoutMs} ms` : ((e as { cause?: Error }).cause?.message ?? (e as Error).message)})`,
      { url },
      { cause: e },
    );
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 401 || res.status === 403)
    throw new TesseraError(
      'HUB_ERROR',
      `${repo}: access denied (HTTP ${res.status}); the repo may be gated or private: set HF_TOKEN`,
      { status: res.status, repo },
    );
  if (res.status === 404)
    throw new TesseraError('MODEL_NOT_FOUND', `${repo}@${revision} was not found on the hub (HTTP 404)`, {
      status: 404,
      repo,
    });
  if (!res.ok)
    throw new TesseraError('HUB_ERROR', `${repo}: the hub answered HTTP ${res.status} when listing files`, {
      status: res.status,
      repo,
    });
  const body = (await res.json()) as { siblings?: Array<{ rfilename?: unknown }> };
  return (body.siblings ?? []).map((x) => x.rfilename).filter((x): x is string => typeof x === 'string');
}

/** Chooses the files one backend needs: configs and tokenizer, projection layers, and the backend's weights. */
export function selectFiles(
  files: readonly string[],
  backend: string | undefined,
  onnxFile = 'onnx/model.onnx',
): string[] {
  const has = new Set(files);
  const out = new Set<string>();
  for (const f of files) {
    if (f.startsWith('onnx/') || f.startsWith('openvino/')) continue;
    if (CONFIG_FILE.test(f)) out.add(f);
    if (/^\d+_Dense\/model\.safetensors$/.test(f)) out.add(f);
  }
  // Stanford checkpoints keep the projection inside the root model.safetensors.
  const stanford = has.has('artifact.metadata') && !has.has('modules.json');
  const transformerDir =
    [...out].find((f) => /^\d+_Transformer\/config\.json$/.test(f))?.replace(/config\.json$/, '') ?? '';
  const wantsOnnx = backend === 'onnx' || backend === undefined || backend === 'auto';
  if (wantsOnnx) {
    const candidates = [onnxFile, `${transformerDir}${onnxFile}`, 'model.onnx'];
    const graph = candidates.find((c) => has.has(c));
    if (graph) {
      out.add(graph);
      for (const extra of [`${graph}_data`, `${graph}.data`, graph.replace(/\.onnx$/, '.onnx_data')])
        if (has.has(extra)) out.add(extra);
    }
  }
  if (!wantsOnnx || stanford || ![...out].some((f) => f.endsWith('.onnx'))) {
    const weights = `${transformerDir}model.safetensors`;
    if (has.has(weights)) out.add(weights);
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
    files = selectFiles(await listRepoFiles(s, repo, revision), options.backend, options.onnxFile);
    if (!files.length)
      throw new TesseraError('INVALID_MODEL', `${repo}@${revision} has no files Tessera can load`, { repo });
  }
  const dir = await snapshotDownload(s, { repo, revision, files, onProgress: options.onProgress });
  return { dir, entry, source: 'hub', repo, revision };
}
