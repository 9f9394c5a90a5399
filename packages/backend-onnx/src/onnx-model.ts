import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { existsSync } from 'node:fs';
import {
  TesseraError,
  type BackendLoadOptions,
  type EngineScorer,
  type ForwardOutput,
  type LoadedModel,
  type ModelSpec,
  type PackedRows,
  type PaddedBatch,
} from '@tessera/core';
import { architectureOf, chooseOutput as chooseGraphOutput, decodeF16, graphCandidates } from '@tessera/core/backend';
import { CUDA_HINT, cudaProviderLibrary } from './devices.js';
import { ElemType, readGraphInfoOf, type GraphInfo, type ValueInfo } from '@tessera/onnx-graph';
import { checkCommandLine } from './command-line.js';
import { cachedGraph } from './export/export-cache.js';
import { EXPORT_FILES } from './export/export-model.js';
import type { ExportDtype } from '@tessera/onnx-graph';
import { maxSimGraph } from './maxsim-graph.js';
import { nearestGraph } from './nearest-graph.js';
import { OnnxScorer } from './onnx-scorer.js';
import { projectionPatch } from './projection-graph.js';

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;
const require = createRequire(import.meta.url);
let ortModule: Ort | undefined;
export function ort(): Ort {
  ortModule ??= require('onnxruntime-node') as Ort;
  return ortModule;
}

const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids']);

/** Sessions of loaded models not yet released (the backend's resources() count). */
let liveSessions = 0;
export function liveSessionCount(): number {
  return liveSessions;
}

/** The folder's graph for the options (an explicit file or the dtype's names), or undefined when it has none. */
export function findGraph(spec: ModelSpec, options: BackendLoadOptions): string | undefined {
  const explicit = options.extra?.onnxFile;
  if (typeof explicit === 'string') {
    if (!existsSync(join(spec.dir, explicit)))
      throw new TesseraError(
        'INVALID_MODEL',
        `${spec.dir}: ONNX file ${explicit} does not exist (found: ${spec.onnxFiles.join(', ') || 'none'})`,
        { file: join(spec.dir, explicit) },
      );
    return explicit;
  }
  return graphCandidates(spec, options.dtype ?? 'fp32').find((c) => spec.onnxFiles.includes(c));
}

/** Which graph file to load: an explicit file, the dtype's variant, or onnx/model.onnx; refused when the folder has none. */
export function chooseGraph(spec: ModelSpec, options: BackendLoadOptions): string {
  const found = findGraph(spec, options);
  if (found) return found;
  const dtype = options.dtype ?? 'fp32';
  const why = !spec.weightsFile
    ? 'and no model.safetensors to export one from'
    : !(dtype in EXPORT_FILES)
      ? `and Tessera exports ${Object.keys(EXPORT_FILES).join(', ')} graphs, not ${dtype}`
      : 'and it cannot be exported';
  throw new TesseraError(
    'INVALID_MODEL',
    `${spec.dir}: no ONNX graph for dtype ${dtype} (looked for ${graphCandidates(spec, dtype).join(', ')}; found: ` +
      `${spec.onnxFiles.join(', ') || 'none'}) ${why}`,
    { dir: spec.dir },
  );
}

/**
 * The graph to load: the folder's, or one Tessera exports from the safetensors weights into its
 * cache (on the first load; later loads find it there).
 */
async function locateGraph(spec: ModelSpec, options: BackendLoadOptions): Promise<{ file: string; label: string }> {
  const found = findGraph(spec, options);
  if (found) return { file: join(spec.dir, found), label: found };
  const dtype = options.dtype ?? 'fp32';
  if (spec.weightsFile && dtype in EXPORT_FILES && architectureOf(spec.modelType)) {
    const file = await cachedGraph(spec, dtype as ExportDtype, options.onWarning);
    return { file, label: `exported ${basename(file)}` };
  }
  return { file: join(spec.dir, chooseGraph(spec, options)), label: '' };
}

/** Which output to read (see chooseOutput in core), over this graph's outputs. */
export function chooseOutput(
  info: GraphInfo,
  spec: ModelSpec,
  file: string,
  widthOf: (name: string) => Promise<number>,
): Promise<{ output: ValueInfo; project: boolean }> {
  return chooseGraphOutput(info.outputs, spec, file, widthOf);
}

function checkInputs(info: GraphInfo, file: string): void {
  for (const i of info.inputs) {
    if (!KNOWN_INPUTS.has(i.name))
      throw new TesseraError(
        'INVALID_MODEL',
        `${file}: graph input "${i.name}" is not a text-encoder input (expected input_ids, attention_mask, token_type_ids)`,
        { file, field: i.name },
      );
    if (i.elemType !== ElemType.INT64 && i.elemType !== ElemType.INT32)
      throw new TesseraError(
        'INVALID_MODEL',
        `${file}: graph input "${i.name}" has element type ${i.elemType}, expected int64 or int32`,
        { file, field: i.name },
      );
  }
  for (const need of ['input_ids', 'attention_mask'])
    if (!info.inputs.some((i) => i.name === need))
      throw new TesseraError('INVALID_MODEL', `${file}: graph has no "${need}" input`, { file, field: need });
}

function executionProviders(device: string): Array<string | { name: 'cuda'; deviceId: number }> {
  if (device === 'cpu') return ['cpu'];
  if (device === 'coreml' || device === 'dml') return [device, 'cpu'];
  const m = /^cuda:(\d+)$/.exec(device);
  if (!m)
    throw new TesseraError(
      'DEVICE_UNAVAILABLE',
      `device ${device}: the ONNX backend supports cpu, cuda:N, coreml (macOS) and dml (Windows)`,
      { device },
    );
  if (!cudaProviderLibrary())
    throw new TesseraError(
      'DEVICE_UNAVAILABLE',
      `device ${device}: onnxruntime-node's CUDA provider library is missing; ${CUDA_HINT}`,
      { device },
    );
  return [{ name: 'cuda', deviceId: Number(m[1]) }, 'cpu'];
}

function feedsFor(inputs: Map<string, number>, batch: PaddedBatch): Record<string, import('onnxruntime-node').Tensor> {
  const { Tensor } = ort();
  const dims = [batch.batchSize, batch.seqLen];
  const source: Record<string, Int32Array> = {
    input_ids: batch.inputIds,
    attention_mask: batch.attentionMask,
    token_type_ids: batch.tokenTypeIds,
  };
  const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
  for (const [name, type] of inputs) {
    const src = source[name]!;
    feeds[name] =
      type === ElemType.INT32
        ? new Tensor('int32', src, dims)
        : new Tensor(
            'int64',
            BigInt64Array.from(src, (x) => BigInt(x)),
            dims,
          );
  }
  return feeds;
}

/** Runs a two-token batch through the unmodified graph to learn an output's row width. */
async function probeWidth(bytes: Uint8Array, info: GraphInfo, name: string, file: string): Promise<number> {
  let session: Session;
  try {
    session = await ort().InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  } catch (e) {
    throw new TesseraError(
      'CORRUPT_FILE',
      `${file}: ONNX Runtime cannot load it (${(e as Error).message.split('\n')[0]})`,
      { file },
      { cause: e },
    );
  }
  try {
    const inputs = new Map(info.inputs.map((i) => [i.name, i.elemType ?? ElemType.INT64]));
    const batch: PaddedBatch = {
      batchSize: 1,
      seqLen: 2,
      inputIds: Int32Array.of(1, 2),
      attentionMask: Int32Array.of(1, 1),
      tokenTypeIds: Int32Array.of(0, 0),
    };
    const out = await session.run(feedsFor(inputs, batch), [name]);
    const dims = out[name]!.dims;
    return Number(dims[dims.length - 1]);
  } finally {
    await session.release();
  }
}

export class OnnxModel implements LoadedModel {
  readonly device: string;
  readonly engine: string;
  private readonly session: Session;
  private readonly inputs: Map<string, number>;
  private readonly output: string;
  private readonly dim: number;
  private readonly outputType: number | undefined;
  private readonly threads: number;
  // The MaxSim graph's session, made on the first createScorer() and shared by every scorer.
  private scoring: Promise<Session> | undefined;
  // The nearest-row graph's session, made on the first nearestRows().
  private nearest: Promise<Session> | undefined;

  private constructor(
    session: Session,
    device: string,
    engine: string,
    inputs: Map<string, number>,
    output: string,
    dim: number,
    outputType: number | undefined,
    threads: number,
  ) {
    this.threads = threads;
    this.session = session;
    this.device = device;
    this.engine = engine;
    this.inputs = inputs;
    this.output = output;
    this.dim = dim;
    this.outputType = outputType;
  }

  static async load(spec: ModelSpec, options: BackendLoadOptions): Promise<OnnxModel> {
    checkCommandLine();
    const { file, label } = await locateGraph(spec, options);
    const bytes = new Uint8Array(await readFile(file));
    const info = readGraphInfoOf(bytes, file);
    checkInputs(info, file);
    const providers = executionProviders(options.device);
    const { output, project } = await chooseOutput(info, spec, file, (name) => probeWidth(bytes, info, name, file));
    let modelBytes: Uint8Array = bytes;
    let outputName = output.name;
    if (project) {
      if (info.externalData)
        throw new TesseraError(
          'INVALID_MODEL',
          `${file}: graphs with external weight files cannot take the projection inside ONNX Runtime yet; use a graph that includes it`,
          { file },
        );
      // The projection joins the graph, so one session.run computes backbone and projection.
      const { patch, output: name } = projectionPatch(output.name, spec.projection, output.elemType);
      modelBytes = new Uint8Array(bytes.length + patch.length);
      modelBytes.set(bytes, 0);
      modelBytes.set(patch, bytes.length);
      outputName = name;
    }
    const threads = options.threads ?? Math.max(1, availableParallelism());
    const extra = options.extra ?? {};
    const sessionOptions = {
      executionProviders: providers,
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: (extra.graphOptimizationLevel as 'all' | undefined) ?? 'all',
      executionMode: 'sequential' as const,
    };
    let session: Session;
    try {
      session = await ort().InferenceSession.create(modelBytes, sessionOptions);
    } catch (e) {
      const msg = (e as Error).message;
      if (options.device !== 'cpu' && /cuda|provider|libcu|cudnn/i.test(msg))
        throw new TesseraError(
          'DEVICE_UNAVAILABLE',
          `device ${options.device}: ONNX Runtime could not start the CUDA provider (${msg.split('\n')[0]}); ${CUDA_HINT}`,
          { device: options.device },
          { cause: e },
        );
      throw new TesseraError(
        'CORRUPT_FILE',
        `${file}: ONNX Runtime cannot load it (${msg.split('\n')[0]})`,
        { file },
        { cause: e },
      );
    }
    liveSessions++;
    const inputs = new Map(info.inputs.map((i) => [i.name, i.elemType ?? ElemType.INT64]));
    const version = (ort() as unknown as { env?: { versions?: { common?: string } } }).env?.versions?.common ?? '';
    const engine =
      `onnxruntime-node ${version} ` +
      `(${options.device.startsWith('cuda') ? 'cuda' : options.device}, ${threads} threads, ` +
      `${label}${project ? ' + projection' : ''})`;
    return new OnnxModel(
      session,
      options.device,
      engine,
      inputs,
      outputName,
      spec.outputDim,
      project ? ElemType.FLOAT : output.elemType,
      threads,
    );
  }

  async forward(batch: PaddedBatch): Promise<ForwardOutput> {
    if (this.released) throw new TesseraError('DISPOSED', 'the ONNX model was disposed', {});
    const feeds = feedsFor(this.inputs, batch);
    let result;
    try {
      result = await this.session.run(feeds, [this.output]);
    } catch (e) {
      throw new TesseraError(
        'BACKEND_FAILED',
        `ONNX Runtime failed on a ${batch.batchSize}x${batch.seqLen} batch: ${(e as Error).message}`,
        {},
        { cause: e },
      );
    }
    const t = result[this.output]!;
    const raw = t.data as Float32Array | Uint16Array;
    const data =
      this.outputType === ElemType.FLOAT16
        ? decodeF16(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), raw.length)
        : (raw as Float32Array);
    const dim = Number(t.dims[t.dims.length - 1]);
    return { data, batchSize: batch.batchSize, seqLen: batch.seqLen, dim: dim || this.dim };
  }

  /**
   * MaxSim through ONNX Runtime's GEMM (MLAS): a small MatMul + ReduceMax + ReduceSum graph on
   * the CPU with the model's thread count; the documents stay tensors between queries.
   */
  async createScorer(docs: PackedRows): Promise<EngineScorer> {
    if (this.released) throw new TesseraError('DISPOSED', 'the ONNX model was disposed', {});
    this.scoring ??= this.helperSession(maxSimGraph());
    const session = await this.scoring;
    return OnnxScorer.create(
      ort(),
      session,
      docs,
      `onnxruntime-node MatMul + ReduceMax + ReduceSum (cpu, ${this.threads} threads)`,
    );
  }

  /**
   * For each row of a, its best row of b by dot product, through ONNX Runtime's Gemm and ArgMax
   * (the compressed index's k-means and encoding). Rows go in blocks that keep the [block, k]
   * score matrix near 64 MB.
   */
  async nearestRows(a: Float32Array, aRows: number, b: Float32Array, bRows: number, dim: number): Promise<Int32Array> {
    if (this.released) throw new TesseraError('DISPOSED', 'the ONNX model was disposed', {});
    this.nearest ??= this.helperSession(nearestGraph());
    const session = await this.nearest;
    const { Tensor } = ort();
    const out = new Int32Array(aRows);
    const centroids = new Tensor('float32', b.subarray(0, bRows * dim), [bRows, dim]);
    const block = Math.max(1, Math.min(aRows, Math.floor((64 << 20) / (4 * Math.max(1, bRows)))));
    for (let start = 0; start < aRows; start += block) {
      const n = Math.min(block, aRows - start);
      const rows = new Tensor('float32', a.subarray(start * dim, (start + n) * dim), [n, dim]);
      const r = await session.run({ a: rows, b: centroids });
      const best = r.nearest!.data as BigInt64Array;
      for (let i = 0; i < n; i++) out[start + i] = Number(best[i]);
    }
    return out;
  }

  /** A session for one of Tessera's own small graphs, on the CPU with the model's thread count. */
  private helperSession(graph: Uint8Array): Promise<Session> {
    return ort().InferenceSession.create(graph, {
      executionProviders: ['cpu'],
      intraOpNumThreads: this.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      // Idle helper threads must not spin beside the encoding session's threads.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
  }

  private released = false;

  async dispose(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.scoring) await (await this.scoring.catch(() => undefined))?.release();
    if (this.nearest) await (await this.nearest.catch(() => undefined))?.release();
    await this.session.release();
    liveSessions--;
  }
}
