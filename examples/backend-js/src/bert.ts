import {
  TesseraError,
  type BertFamilyConfig,
  type DenseLayer,
  type EncoderDescription,
  type ModelSpec,
  type PaddedBatch,
} from '@tessera/core';
import { activate, readEncoderWeights } from '@tessera/core/backend';

/** y[n, out] = x[n, in] W^T + b, with W stored [out, in] as in PyTorch. */
function linear(
  x: Float32Array,
  n: number,
  inF: number,
  w: Float32Array,
  b: Float32Array | undefined,
  outF: number,
): Float32Array {
  const y = new Float32Array(n * outF);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o]! : 0;
      const wo = o * inF;
      const xo = r * inF;
      for (let i = 0; i < inF; i++) s += x[xo + i]! * w[wo + i]!;
      y[r * outF + o] = s;
    }
  }
  return y;
}

function layerNorm(x: Float32Array, n: number, d: number, g: Float32Array, b: Float32Array, eps: number): void {
  for (let r = 0; r < n; r++) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += x[r * d + j]!;
    mean /= d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[r * d + j]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / d + eps);
    for (let j = 0; j < d; j++) x[r * d + j] = (x[r * d + j]! - mean) * inv * g[j]! + b[j]!;
  }
}

/** A BERT encoder in plain TypeScript: slow, exact, and short enough to read. */
export class TsBert {
  private constructor(
    private readonly config: BertFamilyConfig,
    private readonly weights: EncoderDescription['weights'],
    private readonly projection: readonly DenseLayer[],
  ) {}

  /** Core reads the safetensors weights and names them canonically (BERT layout here). */
  static async load(spec: ModelSpec): Promise<TsBert> {
    if (spec.modelType !== 'bert')
      throw new TesseraError('INVALID_MODEL', `the example backend runs BERT only, not ${spec.modelType}`, {
        dir: spec.dir,
      });
    const desc = await readEncoderWeights(spec, 'example');
    if (desc.config.architecture !== 'bert')
      throw new TesseraError('INVALID_MODEL', `the example backend runs BERT only`, { dir: spec.dir });
    return new TsBert(desc.config, desc.weights, spec.projection);
  }

  private get(name: string): Float32Array {
    const t = this.weights[name];
    if (!t) throw new TesseraError('INVALID_MODEL', `weight ${name} is missing`, { field: name });
    return t.data;
  }

  /** Hidden states (then projected rows) for every position of the batch. */
  forward(batch: PaddedBatch): { data: Float32Array; dim: number } {
    const { batchSize: B, seqLen: L } = batch;
    const { heads, layers, eps, hiddenAct } = this.config;
    const H = this.weights['embeddings.word']!.shape[1]!;
    const n = B * L;
    const x = new Float32Array(n * H);
    const word = this.get('embeddings.word');
    const pos = this.get('embeddings.position');
    const type = this.get('embeddings.token_type');
    for (let b = 0; b < B; b++)
      for (let p = 0; p < L; p++) {
        const r = b * L + p;
        const id = batch.inputIds[r]!;
        const tt = batch.tokenTypeIds[r]!;
        for (let j = 0; j < H; j++) x[r * H + j] = word[id * H + j]! + pos[p * H + j]! + type[tt * H + j]!;
      }
    layerNorm(x, n, H, this.get('embeddings.ln.weight'), this.get('embeddings.ln.bias'), eps);

    const dh = H / heads;
    const scale = 1 / Math.sqrt(dh);
    for (let l = 0; l < layers; l++) {
      const p = `layer.${l}.`;
      const q = linear(x, n, H, this.get(`${p}q.weight`), this.get(`${p}q.bias`), H);
      const k = linear(x, n, H, this.get(`${p}k.weight`), this.get(`${p}k.bias`), H);
      const v = linear(x, n, H, this.get(`${p}v.weight`), this.get(`${p}v.bias`), H);
      const ctx = new Float32Array(n * H);
      const scores = new Float64Array(L);
      for (let b = 0; b < B; b++)
        for (let h = 0; h < heads; h++)
          for (let i = 0; i < L; i++) {
            let max = -Infinity;
            for (let j = 0; j < L; j++) {
              // Masked keys get no weight at all: the mask is an additive -inf bias.
              if (!batch.attentionMask[b * L + j]) {
                scores[j] = -Infinity;
                continue;
              }
              let s = 0;
              for (let d = 0; d < dh; d++) s += q[(b * L + i) * H + h * dh + d]! * k[(b * L + j) * H + h * dh + d]!;
              scores[j] = s * scale;
              if (scores[j]! > max) max = scores[j]!;
            }
            let sum = 0;
            for (let j = 0; j < L; j++) {
              scores[j] = scores[j] === -Infinity ? 0 : Math.exp(scores[j]! - max);
              sum += scores[j]!;
            }
            for (let j = 0; j < L; j++) {
              const a = scores[j]! / sum;
              if (!a) continue;
              for (let d = 0; d < dh; d++) ctx[(b * L + i) * H + h * dh + d]! += a * v[(b * L + j) * H + h * dh + d]!;
            }
          }
      const attn = linear(ctx, n, H, this.get(`${p}o.weight`), this.get(`${p}o.bias`), H);
      for (let i = 0; i < attn.length; i++) attn[i]! += x[i]!;
      layerNorm(attn, n, H, this.get(`${p}ln1.weight`), this.get(`${p}ln1.bias`), eps);
      const interW = this.get(`${p}ff1.weight`);
      const I = interW.length / H;
      const inter = linear(attn, n, H, interW, this.get(`${p}ff1.bias`), I);
      for (let i = 0; i < inter.length; i++) inter[i] = activate(hiddenAct, inter[i]!);
      const out = linear(inter, n, I, this.get(`${p}ff2.weight`), this.get(`${p}ff2.bias`), H);
      for (let i = 0; i < out.length; i++) out[i]! += attn[i]!;
      layerNorm(out, n, H, this.get(`${p}ln2.weight`), this.get(`${p}ln2.bias`), eps);
      x.set(out);
    }

    let y: Float32Array = x;
    let dim = H;
    for (const layer of this.projection) {
      const input = y;
      y = linear(input, n, dim, layer.weight, layer.bias, layer.outFeatures);
      if (layer.activation !== 'identity') for (let i = 0; i < y.length; i++) y[i] = activate(layer.activation, y[i]!);
      // use_residual: the input itself (same width) or through its own linear layer.
      if (layer.residual) {
        const r =
          layer.residual === 'identity' ? input : linear(input, n, dim, layer.residual, undefined, layer.outFeatures);
        for (let i = 0; i < y.length; i++) y[i]! += r[i]!;
      }
      dim = layer.outFeatures;
    }
    return { data: y, dim };
  }
}
