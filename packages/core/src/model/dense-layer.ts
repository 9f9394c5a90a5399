import { TesseraError } from '../errors.js';
import type { ModelFiles } from '../io/model-files.js';
import { SafetensorsFile } from '../io/safetensors.js';
import { field, isBool, isInt, isStr, readJsonObject } from './json.js';
import type { Activation, DenseLayer } from './spec.js';

const ACTIVATIONS: Record<string, Activation> = {
  'torch.nn.modules.linear.Identity': 'identity',
  'torch.nn.modules.activation.Tanh': 'tanh',
  'torch.nn.modules.activation.ReLU': 'relu',
  'torch.nn.modules.activation.GELU': 'gelu',
  'torch.nn.modules.activation.Sigmoid': 'sigmoid',
  'torch.nn.modules.activation.SiLU': 'silu',
};

/**
 * A Dense config without "activation_function" gets its class's default: sentence-transformers'
 * Dense defaults to Tanh, PyLate's Dense to Identity.
 */
export function defaultActivation(moduleType: string): Activation {
  return moduleType.startsWith('pylate.') ? 'identity' : 'tanh';
}

export function parseActivation(name: string | undefined, file: string, fallback: Activation = 'identity'): Activation {
  if (name === undefined) return fallback;
  const act = ACTIVATIONS[name];
  if (!act)
    throw new TesseraError(
      'INVALID_MODEL',
      `${file}: activation_function ${JSON.stringify(name)} is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`,
      { file, field: 'activation_function' },
    );
  return act;
}

/** Checks a weight matrix's shape against the layer's declared sizes. */
export function checkLayerShape(
  source: string,
  shape: number[],
  inFeatures: number | undefined,
  outFeatures: number | undefined,
): [number, number] {
  if (shape.length !== 2)
    throw new TesseraError(
      'INVALID_MODEL',
      `${source}: linear.weight has shape ${JSON.stringify(shape)}, expected [out, in]`,
      { file: source, field: 'linear.weight' },
    );
  const [out, inn] = shape as [number, number];
  if ((inFeatures !== undefined && inn !== inFeatures) || (outFeatures !== undefined && out !== outFeatures))
    throw new TesseraError(
      'INVALID_MODEL',
      `${source}: linear.weight is [${out}, ${inn}] but the config says in_features=${inFeatures}, out_features=${outFeatures}`,
      { file: source, field: 'linear.weight' },
    );
  return [out, inn];
}

/** Loads a sentence-transformers / PyLate Dense module folder (config.json + model.safetensors). */
export async function loadDenseFolder(
  files: ModelFiles,
  dir: string,
  moduleType = 'sentence_transformers.models.Dense',
): Promise<DenseLayer> {
  const cfgPath = files.join(dir, 'config.json');
  const cfg = readJsonObject(files, cfgPath);
  if (!cfg) throw new TesseraError('INVALID_MODEL', `${dir}: Dense module has no config.json`, { file: cfgPath });
  const inFeatures = field(cfg, 'in_features', isInt, cfgPath, 'a positive integer');
  const outFeatures = field(cfg, 'out_features', isInt, cfgPath, 'a positive integer');
  const hasBias = field(cfg, 'bias', isBool, cfgPath, 'a boolean') ?? true;
  const activation = parseActivation(
    field(cfg, 'activation_function', isStr, cfgPath, 'a string'),
    cfgPath,
    defaultActivation(moduleType),
  );
  const useResidual = field(cfg, 'use_residual', isBool, cfgPath, 'a boolean') ?? false;
  const weightsPath = files.join(dir, 'model.safetensors');
  if (files.kind(weightsPath) !== 'file') {
    const other = files.kind(files.join(dir, 'pytorch_model.bin'))
      ? ' (only pytorch_model.bin is present; convert it to safetensors)'
      : '';
    throw new TesseraError('INVALID_MODEL', `${dir}: Dense module has no model.safetensors${other}`, {
      file: weightsPath,
    });
  }
  const st = await SafetensorsFile.open(weightsPath, files);
  const [out, inn] = checkLayerShape(weightsPath, st.info('linear.weight').shape, inFeatures, outFeatures);
  const weight = await st.readFloat32('linear.weight');
  let bias: Float32Array | undefined;
  if (st.has('linear.bias')) {
    const b = st.info('linear.bias');
    if (b.shape.length !== 1 || b.shape[0] !== out)
      throw new TesseraError(
        'INVALID_MODEL',
        `${weightsPath}: linear.bias has shape ${JSON.stringify(b.shape)}, expected [${out}]`,
        { file: weightsPath, field: 'linear.bias' },
      );
    bias = await st.readFloat32('linear.bias');
  } else if (hasBias && cfg.bias === true) {
    throw new TesseraError('INVALID_MODEL', `${weightsPath}: config.json says bias=true but linear.bias is missing`, {
      file: weightsPath,
      field: 'linear.bias',
    });
  }
  let residual: DenseLayer['residual'];
  if (useResidual && inn === out) residual = 'identity';
  else if (useResidual) {
    // in != out: the residual goes through its own bias-free linear layer.
    if (!st.has('residual.weight'))
      throw new TesseraError(
        'INVALID_MODEL',
        `${weightsPath}: config.json says use_residual=true with ${inn} -> ${out} features, but residual.weight is missing`,
        { file: weightsPath, field: 'residual.weight' },
      );
    const shape = st.info('residual.weight').shape;
    if (shape.length !== 2 || shape[0] !== out || shape[1] !== inn)
      throw new TesseraError(
        'INVALID_MODEL',
        `${weightsPath}: residual.weight has shape ${JSON.stringify(shape)}, expected [${out}, ${inn}]`,
        { file: weightsPath, field: 'residual.weight' },
      );
    residual = await st.readFloat32('residual.weight');
  }
  return {
    inFeatures: inn,
    outFeatures: out,
    weight,
    bias,
    activation,
    ...(residual ? { residual } : {}),
    source: dir,
  };
}
