import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TesseraError } from '../errors.js';
import { SafetensorsFile } from '../io/safetensors.js';
import { resolveColbertSettings, type ColbertOverrides } from './colbert-settings.js';
import { checkLayerShape, loadDenseFolder } from './dense-layer.js';
import { field, isInt, isStr, readJsonObject, type Json } from './json.js';
import type { DenseLayer, ModelSpec, PoolingMode } from './spec.js';

export interface LoadSpecOptions {
  colbert?: ColbertOverrides;
  /** Matryoshka dimensions the model declares (from the registry). */
  dimensions?: number[];
}

interface StModule {
  type: string;
  path: string;
}

function invalid(message: string, details: Record<string, unknown>): TesseraError {
  return new TesseraError('INVALID_MODEL', message, details);
}

function readModules(dir: string): StModule[] | undefined {
  const file = join(dir, 'modules.json');
  const raw = readJsonObject(file);
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw invalid(`${file}: expected an array of modules`, { file });
  return (raw as unknown[]).map((m, i) => {
    const mod = m as Json;
    if (!mod || typeof mod.type !== 'string' || typeof (mod.path ?? '') !== 'string') throw invalid(`${file}: module ${i} needs string "type" and "path"`, { file, field: `[${i}]` });
    return { type: mod.type, path: (mod.path as string | undefined) ?? '' };
  });
}

function pooling(dir: string): PoolingMode {
  const file = join(dir, 'config.json');
  const cfg = readJsonObject(file) ?? {};
  if (cfg.pooling_mode_cls_token) return 'cls';
  if (cfg.pooling_mode_max_tokens) return 'max';
  if (cfg.pooling_mode_lasttoken) return 'lasttoken';
  if (cfg.pooling_mode_mean_tokens) return 'mean';
  if (cfg.pooling_mode_mean_sqrt_len_tokens || cfg.pooling_mode_weightedmean_tokens)
    throw invalid(`${file}: only cls, mean, max and lasttoken pooling are supported`, { file });
  return 'mean';
}

function findOnnx(dir: string, transformerDir: string): string[] {
  const seen = new Set<string>();
  for (const d of [join(dir, 'onnx'), dir, join(transformerDir, 'onnx'), transformerDir]) {
    if (!existsSync(d) || !statSync(d).isDirectory()) continue;
    for (const f of readdirSync(d)) if (f.endsWith('.onnx')) seen.add(relative(dir, join(d, f)));
  }
  return [...seen].sort();
}

/** Key prefix of the backbone weights ("bert." in Stanford checkpoints, "" in plain ones). */
function backbonePrefix(st: SafetensorsFile): string {
  const key = st.names().find((n) => n.endsWith('embeddings.word_embeddings.weight'));
  if (!key) throw invalid(`${st.path}: no "embeddings.word_embeddings.weight" tensor; this is not a BERT-family checkpoint`, { file: st.path });
  return key.slice(0, key.length - 'embeddings.word_embeddings.weight'.length);
}

/** Reads a local model folder in the Stanford, PyLate or sentence-transformers layout. */
export async function loadModelSpec(dir: string, options: LoadSpecOptions = {}): Promise<ModelSpec> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new TesseraError('MODEL_NOT_FOUND', `model folder ${dir} does not exist`, { dir });
  const modules = readModules(dir);
  let transformerDir = dir;
  let layout: ModelSpec['layout'];
  let kind: ModelSpec['kind'];
  const projection: DenseLayer[] = [];
  const denseLayers: DenseLayer[] = [];
  let pool: PoolingMode | undefined;
  let normalize = false;

  if (modules) {
    const tr = modules.find((m) => m.type.endsWith('Transformer'));
    if (!tr) throw invalid(`${join(dir, 'modules.json')}: no Transformer module`, { file: join(dir, 'modules.json') });
    transformerDir = join(dir, tr.path);
    let pooled = false;
    for (const m of modules) {
      if (m === tr) continue;
      if (m.type.endsWith('Pooling')) {
        pooled = true;
        pool = pooling(join(dir, m.path));
      } else if (m.type.endsWith('Dense')) {
        (pooled ? denseLayers : projection).push(await loadDenseFolder(join(dir, m.path)));
      } else if (m.type.endsWith('Normalize')) {
        normalize = true;
      } else {
        throw invalid(`${join(dir, 'modules.json')}: module type ${m.type} is not supported`, { file: join(dir, 'modules.json'), field: m.type });
      }
    }
    kind = pooled ? 'dense' : 'colbert';
    layout = pooled ? 'sentence-transformers' : 'pylate';
  } else {
    const cfg = readJsonObject(join(dir, 'config.json'));
    if (!cfg) throw invalid(`${dir}: not a model folder (no modules.json or config.json)`, { dir });
    const archs = Array.isArray(cfg.architectures) ? cfg.architectures : [];
    if (!archs.includes('HF_ColBERT')) {
      throw invalid(`${dir}: config.json has architectures ${JSON.stringify(archs)} and there is no modules.json; expected a Stanford ColBERT (HF_ColBERT) or a sentence-transformers / PyLate folder`, { file: join(dir, 'config.json'), field: 'architectures' });
    }
    kind = 'colbert';
    layout = 'stanford';
  }

  const configPath = join(transformerDir, 'config.json');
  const config = readJsonObject(configPath);
  if (!config) throw invalid(`${transformerDir}: no config.json for the transformer`, { file: configPath });
  const modelType = field(config, 'model_type', isStr, configPath, 'a string') ?? 'bert';
  const hiddenSize = field(config, 'hidden_size', isInt, configPath, 'a positive integer') ?? field(config, 'dim', isInt, configPath, 'a positive integer');
  if (hiddenSize === undefined) throw invalid(`${configPath}: missing "hidden_size"`, { file: configPath, field: 'hidden_size' });
  const maxPositions = field(config, 'max_position_embeddings', isInt, configPath, 'a positive integer') ?? 512;

  let weightsFile: string | undefined = join(transformerDir, 'model.safetensors');
  let weightPrefix = '';
  if (existsSync(weightsFile)) {
    const st = await SafetensorsFile.open(weightsFile);
    weightPrefix = backbonePrefix(st);
    if (layout === 'stanford') {
      if (!st.has('linear.weight')) throw invalid(`${weightsFile}: Stanford ColBERT checkpoint has no "linear.weight" projection`, { file: weightsFile, field: 'linear.weight' });
      const [out, inn] = checkLayerShape(weightsFile, st.info('linear.weight').shape, hiddenSize, undefined);
      projection.push({ inFeatures: inn, outFeatures: out, weight: await st.readFloat32('linear.weight'), bias: undefined, activation: 'identity', source: weightsFile });
    }
  } else {
    weightsFile = undefined;
    if (layout === 'stanford') throw invalid(`${dir}: Stanford ColBERT folder has no model.safetensors (its projection lives there)`, { file: join(dir, 'model.safetensors') });
  }

  // Each layer must take the previous one's width.
  let width = hiddenSize;
  for (const l of projection) {
    if (l.inFeatures !== width) throw invalid(`${l.source}: layer takes ${l.inFeatures} inputs but receives ${width}`, { file: l.source });
    width = l.outFeatures;
  }
  const outputDim = width;
  for (const l of denseLayers) {
    if (l.inFeatures !== width) throw invalid(`${l.source}: layer takes ${l.inFeatures} inputs but receives ${width}`, { file: l.source });
    width = l.outFeatures;
  }
  const finalDim = kind === 'dense' ? width : outputDim;

  let colbert;
  if (kind === 'colbert') {
    const stPath = join(dir, 'config_sentence_transformers.json');
    const metaPath = join(dir, 'artifact.metadata');
    const st = readJsonObject(stPath);
    const meta = readJsonObject(metaPath);
    colbert = resolveColbertSettings(options.colbert, st ? { cfg: st, file: stPath } : undefined, meta ? { cfg: meta, file: metaPath } : undefined);
    if (colbert.documentLength > maxPositions) colbert.documentLength = maxPositions;
  }
  const sbert = readJsonObject(join(transformerDir, 'sentence_bert_config.json')) ?? {};
  const maxLength = Math.min(maxPositions, field(sbert, 'max_seq_length', isInt, join(transformerDir, 'sentence_bert_config.json'), 'a positive integer') ?? maxPositions);

  const dims = new Set([finalDim, ...(options.dimensions ?? []).filter((d) => d <= finalDim)]);
  return {
    dir,
    transformerDir,
    kind,
    layout,
    config,
    modelType,
    hiddenSize,
    maxPositions,
    weightsFile,
    weightPrefix,
    projection,
    outputDim,
    dimensions: [...dims].sort((a, b) => b - a),
    colbert,
    pooling: pool,
    denseLayers,
    normalize,
    maxLength,
    onnxFiles: findOnnx(dir, transformerDir),
  };
}
