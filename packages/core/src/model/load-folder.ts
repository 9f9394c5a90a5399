import { checkConfigBounds } from './config-bounds.js';
import { TesseraError } from '../errors.js';
import type { ModelFiles } from '../io/model-files.js';
import { SafetensorsFile } from '../io/safetensors.js';
import { resolveColbertSettings, type ColbertOverrides, type ColbertSource } from './colbert-settings.js';
import { checkLayerShape, loadDenseFolder } from './dense-layer.js';
import { architectureOf } from './encoder-weights.js';
import { field, isBool, isInt, isStr, readJsonObject, type Json } from './json.js';
import { moduleConfig, readModules, type StModule } from './modules.js';
import type { ColbertSettings, DenseLayer, ModelSpec, PoolingMode } from './spec.js';

export interface LoadSpecOptions {
  colbert?: ColbertOverrides;
  /** Matryoshka dimensions the model declares (from the registry). */
  dimensions?: number[];
}

function invalid(message: string, details: Record<string, unknown>): TesseraError {
  return new TesseraError('INVALID_MODEL', message, details);
}

// sentence-transformers' legacy pooling flags, in the order it concatenates them.
const LEGACY_POOLING: Array<[string, PoolingMode]> = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len_tokens'],
  ['pooling_mode_weightedmean_tokens', 'weightedmean'],
  ['pooling_mode_lasttoken', 'lasttoken'],
];
const POOLING_MODES = new Set<string>(LEGACY_POOLING.map(([, m]) => m));

/** A Pooling module's modes (concatenated in order) and whether prompt tokens are pooled. */
function readPooling(files: ModelFiles, m: StModule): { modes: PoolingMode[]; includePrompt: boolean } {
  const { cfg, file } = moduleConfig(files, m);
  let modes: PoolingMode[];
  const raw = cfg.pooling_mode;
  if (raw !== undefined && raw !== null) {
    const list = Array.isArray(raw) ? raw : [raw];
    for (const mode of list)
      if (typeof mode !== 'string' || !POOLING_MODES.has(mode))
        throw invalid(`${file}: pooling mode ${JSON.stringify(mode)} is not one of ${[...POOLING_MODES].join(', ')}`, {
          file,
          field: 'pooling_mode',
        });
    modes = list as PoolingMode[];
  } else {
    modes = LEGACY_POOLING.filter(([k]) => cfg[k] === true).map(([, mode]) => mode);
    if (!modes.length) modes = ['mean'];
  }
  return { modes, includePrompt: field(cfg, 'include_prompt', isBool, file, 'a boolean') ?? true };
}

function findOnnx(files: ModelFiles, dir: string, transformerDir: string): string[] {
  const seen = new Set<string>();
  for (const d of [files.join(dir, 'onnx'), dir, files.join(transformerDir, 'onnx'), transformerDir]) {
    if (files.kind(d) !== 'dir') continue;
    for (const f of files.list(d)) if (f.endsWith('.onnx')) seen.add(files.relative(dir, files.join(d, f)));
  }
  return [...seen].sort();
}

function readPrompts(
  st: Json | undefined,
  file: string,
): { prompts: Record<string, string>; defaultPromptName: string | null } {
  // No prototype: a prompt named "__proto__" is kept, and "toString" is not taken for a prompt.
  const prompts: Record<string, string> = Object.create(null);
  const raw = st?.prompts;
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== 'object' || Array.isArray(raw))
      throw invalid(`${file}: field "prompts" must be an object of strings`, { file, field: 'prompts' });
    for (const [k, v] of Object.entries(raw as Json)) {
      if (v === null) continue;
      if (typeof v !== 'string')
        throw invalid(`${file}: prompt "${k}" must be a string, got ${JSON.stringify(v)}`, {
          file,
          field: `prompts.${k}`,
        });
      prompts[k] = v;
    }
  }
  const defaultPromptName = st ? (field(st, 'default_prompt_name', isStr, file, 'a string') ?? null) : null;
  if (defaultPromptName !== null && !(defaultPromptName in prompts))
    throw invalid(
      `${file}: default_prompt_name "${defaultPromptName}" is not one of the prompts (${Object.keys(prompts).join(', ') || 'none'})`,
      { file, field: 'default_prompt_name' },
    );
  return { prompts, defaultPromptName };
}

/** The tokenizer's own length limit (tokenizer_config.json model_max_length), when it is a real one. */
function tokenizerLimit(files: ModelFiles, transformerDir: string): number | undefined {
  const cfg = readJsonObject(files, files.join(transformerDir, 'tokenizer_config.json'));
  const v = cfg?.model_max_length;
  // transformers writes 1e30 for "no limit".
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 1e7 ? v : undefined;
}

/** Clamps ColBERT lengths to what the backbone's positions allow, noting each change. */
function clampLengths(s: ColbertSettings, limit: number, notes: string[]): void {
  const clamp = (what: string, v: number): number => {
    if (v <= limit) return v;
    notes.push(`${what} ${v} is longer than the ${limit} tokens the backbone takes; using ${limit}`);
    return limit;
  };
  s.documentLength = clamp('document length', s.documentLength);
  if (s.queryLength !== undefined) s.queryLength = clamp('query length', s.queryLength);
  if (s.queryExpansion) s.queryExpansion.length = clamp('query expansion length', s.queryExpansion.length);
}

/**
 * Reads a model folder in the Stanford ColBERT, PyLate, sentence-transformers 6 multi-vector or
 * sentence-transformers dense layout, through `files` (a folder on disk, or files fetched in a
 * browser). Weights of the backbone are not read here (backends that need them read them), so
 * any backbone loads for the ONNX backend.
 */
export async function readModelSpec(files: ModelFiles, dir: string, options: LoadSpecOptions = {}): Promise<ModelSpec> {
  if (files.kind(dir) !== 'dir')
    throw new TesseraError('MODEL_NOT_FOUND', `model folder ${dir} does not exist`, { dir });
  const join = files.join.bind(files);
  const modules = readModules(files, dir);
  const stPath = join(dir, 'config_sentence_transformers.json');
  const stConfig = readJsonObject(files, stPath);
  const { prompts, defaultPromptName } = readPrompts(stConfig, stPath);
  const notes: string[] = [];
  let transformerDir = dir;
  let layout: ModelSpec['layout'];
  const projection: DenseLayer[] = [];
  const denseLayers: DenseLayer[] = [];
  let pooling: { modes: PoolingMode[]; includePrompt: boolean } | undefined;
  let normalize = false;
  let mask: StModule | undefined;

  if (modules) {
    const tr = modules.find((m) => m.role === 'transformer');
    if (!tr) throw invalid(`${join(dir, 'modules.json')}: no Transformer module`, { file: join(dir, 'modules.json') });
    transformerDir = tr.dir;
    for (const m of modules) {
      if (m === tr) continue;
      if (m.role === 'pooling') pooling = readPooling(files, m);
      else if (m.role === 'dense')
        (pooling ? denseLayers : projection).push(await loadDenseFolder(files, m.dir, m.type));
      else if (m.role === 'normalize') normalize = true;
      else if (m.role === 'multi-vector-mask') mask = m;
      else if (m.role === 'token-pooling')
        throw invalid(
          `${join(dir, 'modules.json')}: the ${m.type} module (token pooling baked into the checkpoint) is not ` +
            `supported; Tessera returns every scored token row`,
          { file: join(dir, 'modules.json'), field: m.type },
        );
    }
    const modelType = stConfig?.model_type;
    layout = pooling ? 'sentence-transformers' : mask || modelType === 'MultiVectorEncoder' ? 'multi-vector' : 'pylate';
    // PyLate normalizes token rows in encode() whatever its modules; sentence-transformers 6 with its Normalize module.
    if (layout === 'pylate') normalize = true;
  } else {
    const cfg = readJsonObject(files, join(dir, 'config.json'));
    if (!cfg) throw invalid(`${dir}: not a model folder (no modules.json or config.json)`, { dir });
    const archs = Array.isArray(cfg.architectures) ? cfg.architectures : [];
    if (!archs.includes('HF_ColBERT')) {
      throw invalid(
        `${dir}: config.json has architectures ${JSON.stringify(archs)} and there is no modules.json; expected ` +
          `a Stanford ColBERT (HF_ColBERT) or a sentence-transformers / PyLate folder`,
        { file: join(dir, 'config.json'), field: 'architectures' },
      );
    }
    layout = 'stanford';
    normalize = true;
  }
  const kind = layout === 'sentence-transformers' ? 'dense' : 'colbert';

  const configPath = join(transformerDir, 'config.json');
  const config = readJsonObject(files, configPath);
  if (!config) throw invalid(`${transformerDir}: no config.json for the transformer`, { file: configPath });
  checkConfigBounds(config, configPath);
  const modelType = field(config, 'model_type', isStr, configPath, 'a string') ?? 'bert';
  const hiddenSize =
    field(config, 'hidden_size', isInt, configPath, 'a positive integer') ??
    field(config, 'dim', isInt, configPath, 'a positive integer');
  if (hiddenSize === undefined)
    throw invalid(`${configPath}: missing "hidden_size"`, { file: configPath, field: 'hidden_size' });
  const maxPositions = field(config, 'max_position_embeddings', isInt, configPath, 'a positive integer') ?? 512;
  const arch = architectureOf(modelType);
  // RoBERTa-family position ids start after the padding id, so padId + 1 positions are never used by text.
  const padId = typeof config.pad_token_id === 'number' ? config.pad_token_id : 1;
  const positionLimit = arch === 'roberta' || arch === 'xlm-roberta' ? maxPositions - padId - 1 : maxPositions;
  const modelLimit = Math.min(tokenizerLimit(files, transformerDir) ?? positionLimit, positionLimit);

  const sbertPath = join(transformerDir, 'sentence_bert_config.json');
  const sbert = readJsonObject(files, sbertPath) ?? {};
  const lowercase = field(sbert, 'do_lower_case', isBool, sbertPath, 'a boolean') ?? false;

  const weightsPath = join(transformerDir, 'model.safetensors');
  const weightsFile = files.kind(weightsPath) === 'file' ? weightsPath : undefined;
  if (layout === 'stanford') {
    if (!weightsFile)
      throw invalid(`${dir}: Stanford ColBERT folder has no model.safetensors (its projection lives there)`, {
        file: weightsPath,
      });
    const st = await SafetensorsFile.open(weightsFile, files);
    if (!st.has('linear.weight'))
      throw invalid(`${weightsFile}: Stanford ColBERT checkpoint has no "linear.weight" projection`, {
        file: weightsFile,
        field: 'linear.weight',
      });
    const [out, inn] = checkLayerShape(weightsFile, st.info('linear.weight').shape, hiddenSize, undefined);
    projection.push({
      inFeatures: inn,
      outFeatures: out,
      weight: await st.readFloat32('linear.weight'),
      bias: undefined,
      activation: 'identity',
      source: weightsFile,
    });
  }

  // Each layer must take the previous one's width.
  let width = hiddenSize;
  for (const l of projection) {
    if (l.inFeatures !== width)
      throw invalid(`${l.source}: layer takes ${l.inFeatures} inputs but receives ${width}`, { file: l.source });
    width = l.outFeatures;
  }
  const outputDim = width;
  if (pooling) width *= pooling.modes.length;
  for (const l of denseLayers) {
    if (l.inFeatures !== width)
      throw invalid(`${l.source}: layer takes ${l.inFeatures} inputs but receives ${width}`, { file: l.source });
    width = l.outFeatures;
  }
  const finalDim = kind === 'dense' ? width : outputDim;

  let colbert: ColbertSettings | undefined;
  if (kind === 'colbert') {
    let source: ColbertSource;
    if (layout === 'stanford') {
      const metaPath = join(dir, 'artifact.metadata');
      const meta = readJsonObject(files, metaPath);
      if (!meta) notes.push(`${dir} has no artifact.metadata; using colbert-ai's defaults`);
      source = { layout, metadata: meta ? { cfg: meta, file: metaPath } : undefined };
    } else if (layout === 'pylate')
      source = { layout, st: stConfig ? { cfg: stConfig, file: stPath } : undefined, prompts, defaultPromptName };
    else
      source = {
        layout: 'multi-vector',
        transformer: { cfg: sbert, file: sbertPath },
        mask: mask ? moduleConfig(files, mask) : undefined,
        prompts,
        defaultPromptName,
      };
    colbert = resolveColbertSettings(source, options.colbert, modelLimit);
    clampLengths(colbert, positionLimit, notes);
  }
  let maxLength = field(sbert, 'max_seq_length', isInt, sbertPath, 'a positive integer') ?? modelLimit;
  if (maxLength > positionLimit) {
    notes.push(
      `max_seq_length ${maxLength} is longer than the ${positionLimit} tokens the backbone takes; using ${positionLimit}`,
    );
    maxLength = positionLimit;
  }

  for (const d of options.dimensions ?? []) {
    if (!Number.isInteger(d) || d < 1)
      throw new TesseraError('INVALID_OPTION', `dimensions must be positive integers (got ${d})`, {
        field: 'dimensions',
      });
  }
  const dims = new Set([finalDim, ...(options.dimensions ?? []).filter((d) => d <= finalDim)]);
  return {
    files,
    dir,
    transformerDir,
    kind,
    layout,
    config,
    modelType,
    hiddenSize,
    maxPositions,
    positionLimit,
    weightsFile,
    projection,
    outputDim,
    dimensions: [...dims].sort((a, b) => b - a),
    colbert,
    prompts,
    defaultPromptName,
    lowercase,
    pooling: pooling?.modes,
    poolingIncludesPrompt: pooling?.includePrompt ?? true,
    denseLayers,
    normalize,
    maxLength,
    onnxFiles: findOnnx(files, dir, transformerDir),
    notes,
  };
}
