import { availableParallelism } from 'node:os';
import {
  TesseraError,
  type Backend,
  type DeviceInfo,
  type EngineScorer,
  type LoadedModel,
  type PackedRows,
} from '@tessera/core';
import { lengthChunks, queryGroups, scatterScores, readEncoderWeights, BACKEND_CONTRACT } from '@tessera/core/backend';
import { INSTALL_HINT, loadAddon, openBlasCore, type Addon, type NativeScorerHandle } from './addon.js';

export { loadAddon, ADDON_PATH, chooseOpenBlasCore } from './addon.js';

/** Weight and activation precisions: fp32 everywhere; fp16 / bf16 where libtorch runs them on the device (softmax and the output in float32). */
export const DTYPES = ['fp32', 'fp16', 'bf16'];

function listDevices(): DeviceInfo[] {
  const { addon, error } = loadAddon();
  if (!addon) return [{ id: 'cpu', kind: 'cpu', available: false, detail: error ?? INSTALL_HINT }];
  const info = addon.deviceInfo();
  const out: DeviceInfo[] = [{ id: 'cpu', kind: 'cpu', available: true, detail: `libtorch ${info.torchVersion}` }];
  for (let i = 0; i < Math.max(1, info.cudaDevices); i++)
    out.push({
      id: `cuda:${i}`,
      kind: 'cuda',
      available: info.cuda && i < info.cudaDevices,
      detail: info.cuda
        ? `libtorch ${info.torchVersion} CUDA`
        : 'this libtorch was built without CUDA, or no GPU is visible',
    });
  if (process.platform === 'darwin')
    out.push({
      id: 'mps',
      kind: 'mps',
      available: info.mps,
      detail: info.mps ? 'Metal Performance Shaders' : 'this libtorch has no MPS support',
    });
  return out;
}

/** libtorch through a C++ addon; the forward pass runs on the libuv thread pool. */
export const backend: Backend = {
  name: 'native',
  priority: 20,
  contract: BACKEND_CONTRACT,
  async devices() {
    return listDevices();
  },
  resources() {
    const { addon } = loadAddon();
    return { encoders: addon ? addon.liveEncoders() : 0 };
  },
  async load(spec, options): Promise<LoadedModel> {
    const { addon, error } = loadAddon();
    if (!addon) throw new TesseraError('BACKEND_FAILED', `@tessera/backend-native: ${error}`, {});
    const available = listDevices().find((d) => d.id === options.device);
    if (!available?.available)
      throw new TesseraError(
        'DEVICE_UNAVAILABLE',
        `device ${options.device}: ${available?.detail ?? 'not offered by libtorch here'}`,
        { device: options.device },
      );
    const dtype = options.dtype ?? 'fp32';
    if (!DTYPES.includes(dtype))
      throw new TesseraError(
        'INVALID_OPTION',
        `dtype "${dtype}" is not one the native backend runs (${DTYPES.join(', ')}); quantized graphs (q8, int8) are the ONNX backend's`,
        { field: 'dtype' },
      );
    if (dtype !== 'fp32') {
      const why = addon.dtypeSupport(options.device, dtype);
      if (why)
        throw new TesseraError(
          'INVALID_OPTION',
          `dtype ${dtype} does not run on ${options.device} with this libtorch (${why}); use fp32${options.device === 'cpu' ? ', or a GPU' : ''}`,
          { field: 'dtype', device: options.device },
        );
    }
    addon.setThreads(options.threads ?? availableParallelism());
    const desc = await readEncoderWeights(spec, 'native');
    const projection = spec.projection.map((l) => ({
      weight: { data: l.weight, shape: [l.outFeatures, l.inFeatures] },
      ...(l.bias ? { bias: { data: l.bias, shape: [l.outFeatures] } } : {}),
      ...(l.residual === 'identity'
        ? { residual: 'identity' as const }
        : l.residual
          ? { residual: { data: l.residual, shape: [l.outFeatures, l.inFeatures] } }
          : {}),
      activation: l.activation,
    }));
    let handle: ReturnType<typeof construct>;
    function construct() {
      return new addon!.NativeEncoder(desc.config, desc.weights, projection, options.device, dtype);
    }
    try {
      handle = construct();
    } catch (e) {
      throw new TesseraError(
        'INVALID_MODEL',
        `${spec.dir}: libtorch could not build the encoder (${(e as Error).message})`,
        { dir: spec.dir },
        { cause: e },
      );
    }
    const info = addon.deviceInfo();
    let disposed = false;
    return {
      device: options.device,
      engine:
        `libtorch ${info.torchVersion} (${options.device}, ${dtype}, ` +
        `${options.threads ?? availableParallelism()} ` +
        `threads${openBlasCore ? `, OPENBLAS_CORETYPE=${openBlasCore}` : ''})`,
      async forward(batch) {
        if (disposed) throw new TesseraError('DISPOSED', 'the native model was disposed', {});
        try {
          const out = await handle.forward(
            batch.inputIds,
            batch.attentionMask,
            batch.tokenTypeIds,
            batch.batchSize,
            batch.seqLen,
          );
          return { data: out.data, dim: out.dim, batchSize: batch.batchSize, seqLen: batch.seqLen };
        } catch (e) {
          throw new TesseraError(
            'BACKEND_FAILED',
            `libtorch failed on a ${batch.batchSize}x${batch.seqLen} batch: ${(e as Error).message}`,
            {},
            { cause: e },
          );
        }
      },
      async dispose() {
        if (disposed) return;
        disposed = true;
        handle.dispose();
      },
      async createScorer(docs) {
        if (disposed) throw new TesseraError('DISPOSED', 'the native model was disposed', {});
        return nativeScorer(
          addon!,
          docs,
          options.device,
          `libtorch ${info.torchVersion} matmul + amax + sum (${options.device})`,
        );
      },
    };
  },
};

// Padded rows per chunk: a GPU takes large products in one launch; on a CPU the [n, L, q]
// products of a smaller chunk stay in cache between the matmul and the max.
const chunkRows = (device: string) => (device === 'cpu' ? 4096 : 1 << 18);

async function nativeScorer(addon: Addon, docs: PackedRows, device: string, engine: string): Promise<EngineScorer> {
  const chunks = lengthChunks(docs, chunkRows(device));
  let handle: NativeScorerHandle;
  try {
    handle = new addon.NativeScorer(chunks, docs.dim, device);
  } catch (e) {
    throw new TesseraError(
      'BACKEND_FAILED',
      `libtorch could not keep ${docs.offsets.length - 1} documents on ${device} for scoring (${(e as Error).message})`,
      { device },
      { cause: e },
    );
  }
  const count = docs.offsets.length - 1;
  let disposed = false;
  async function scoreMany(
    queries: ReadonlyArray<{ rows: number; dim: number; data: Float32Array }>,
  ): Promise<Float32Array[]> {
    if (disposed) throw new TesseraError('DISPOSED', 'the scorer was disposed', {});
    const out = queries.map(() => new Float32Array(count));
    // Queries per call: the [rows, group x query rows] products stay near the cache (about 16 MB on a CPU).
    for (const g of queryGroups(queries, docs.dim, (device === 'cpu' ? 4 << 20 : 1 << 27) / chunkRows(device))) {
      let got: Float32Array;
      try {
        got = await handle.score(g.data, g.count, g.rows);
      } catch (e) {
        throw new TesseraError(
          'BACKEND_FAILED',
          `libtorch failed scoring ${count} documents: ${(e as Error).message}`,
          {},
          { cause: e },
        );
      }
      let at = 0;
      for (const c of chunks) {
        scatterScores(out, g, c.index, got, at);
        at += c.n;
      }
    }
    return out;
  }
  return {
    engine,
    async score(query) {
      return (await scoreMany([query]))[0]!;
    },
    scoreMany,
    async dispose() {
      if (disposed) return;
      disposed = true;
      handle.dispose();
    },
  };
}

export default backend;
