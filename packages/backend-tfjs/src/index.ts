import { TesseraError, type Backend, type DeviceInfo, type LoadedModel, type PackedRows } from '@tessera/core';
import { readEncoderWeights, BACKEND_CONTRACT } from '@tessera/core/backend';
import { engineOrder, loadEngine, type Engine, type EngineName } from './engine.js';
import { TfjsEncoder, type TfjsModel } from './encoder.js';
import { TfjsModernBert } from './modernbert.js';
import { tfjsScorer } from './tfjs-scorer.js';

export { loadEngine, engineOrder, type Engine, type EngineName } from './engine.js';
export { TfjsEncoder, type TfjsModel } from './encoder.js';
export { TfjsModernBert } from './modernbert.js';
export { tfjsScorer } from './tfjs-scorer.js';

const ENGINES: EngineName[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];
/** Engines models were loaded on, for resources(). */
const usedEngines = new Set<Engine['tf']>();

/** TensorFlow.js: tfjs-node-gpu (CUDA), tfjs-node, WASM, or the plain CPU backend. */
export const backend: Backend = {
  name: 'tfjs',
  priority: 10,
  contract: BACKEND_CONTRACT,
  resources() {
    let tensors = 0;
    for (const tf of usedEngines) tensors += tf.memory().numTensors;
    return { tensors };
  },
  async devices(): Promise<DeviceInfo[]> {
    let gpu: Engine | undefined;
    let why = '';
    try {
      gpu = await loadEngine(['tfjs-node-gpu']);
    } catch (e) {
      why = (e as Error).message.replace('no TensorFlow.js engine could start: ', '');
    }
    return [
      { id: 'cpu', kind: 'cpu', available: true, detail: 'tfjs-node, WASM or CPU engine' },
      { id: 'cuda:0', kind: 'cuda', available: !!gpu, detail: gpu ? gpu.detail : why },
    ];
  },
  async load(spec, options): Promise<LoadedModel> {
    const forced = options.extra?.engine as string | undefined;
    if (forced !== undefined && !ENGINES.includes(forced as EngineName))
      throw new TesseraError('INVALID_OPTION', `unknown tfjs engine "${forced}" (expected ${ENGINES.join(', ')})`, {
        field: 'engine',
      });
    let engine: Engine;
    try {
      engine = await loadEngine(engineOrder(options.device, forced), options.threads);
    } catch (e) {
      if (options.device !== 'cpu')
        throw new TesseraError(
          'DEVICE_UNAVAILABLE',
          `device ${options.device}: ${(e as Error).message}`,
          { device: options.device },
          { cause: e },
        );
      throw new TesseraError('BACKEND_FAILED', (e as Error).message, {}, { cause: e });
    }
    for (const s of engine.skipped) if (!forced && !s.includes('not installed')) options.onWarning(`tfjs engine ${s}`);
    if (options.dtype !== undefined && options.dtype !== 'fp32')
      throw new TesseraError('INVALID_OPTION', `dtype "${options.dtype}" is not one the tfjs backend runs (fp32)`, {
        field: 'dtype',
      });
    const desc = await readEncoderWeights(spec, 'tfjs');
    usedEngines.add(engine.tf);
    const encoder: TfjsModel =
      desc.config.architecture === 'modernbert'
        ? new TfjsModernBert(engine.tf, desc, spec.projection)
        : new TfjsEncoder(engine.tf, desc, spec.projection);
    let disposed = false;
    return {
      device: options.device,
      engine: `${engine.detail}${engine.skipped.length ? `; skipped ${engine.skipped.join('; ')}` : ''}`,
      async forward(batch) {
        if (disposed) throw new TesseraError('DISPOSED', 'the tfjs model was disposed', {});
        let data: Float32Array;
        try {
          data = await encoder.forward(batch);
        } catch (e) {
          const abort = /Aborted|out of memory|memory access out of bounds/i.test(String((e as Error).message));
          throw new TesseraError(
            'BACKEND_FAILED',
            abort
              ? `the ${engine.name} engine ran out of memory on a ${batch.batchSize}x${batch.seqLen} batch; use smaller batches (maxTokens / --max-tokens)`
              : `tfjs failed on a ${batch.batchSize}x${batch.seqLen} batch: ${(e as Error).message}`,
            {},
            { cause: e },
          );
        }
        return { data, batchSize: batch.batchSize, seqLen: batch.seqLen, dim: encoder.outputDim };
      },
      async dispose() {
        if (disposed) return;
        disposed = true;
        encoder.dispose();
      },
      // Only native TensorFlow scores faster than core's kernel; on the WASM engine core scores
      // (bench/decisions.md#the-tfjs-scorer-backend-tfjs).
      ...(engine.name === 'tfjs-node' || engine.name === 'tfjs-node-gpu'
        ? {
            async createScorer(docs: PackedRows) {
              if (disposed) throw new TesseraError('DISPOSED', 'the tfjs model was disposed', {});
              return tfjsScorer(engine.tf, docs, `TensorFlow.js ${engine.name} matMul + max + sum`);
            },
          }
        : {}),
    };
  },
};

export default backend;
