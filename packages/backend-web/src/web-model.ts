import {
  TesseraError,
  architectureOf,
  chooseOutput,
  decodeF16,
  graphCandidates,
  readEncoderWeights,
  type BackendLoadOptions,
  type ForwardOutput,
  type LoadedModel,
  type ModelSpec,
  type PaddedBatch,
} from '@tessera/core/browser';
import { crossOriginIsolated, engine, hardwareThreads, inPage, type Ort, type Session } from './engine.js';

const INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids']);

/** The folder's graph for the dtype (an explicit onnxFile wins), as a path of spec.files; undefined when it has none. */
function findGraph(spec: ModelSpec, options: BackendLoadOptions): string | undefined {
  const explicit = options.extra?.onnxFile;
  const dtype = options.dtype ?? 'fp32';
  const wanted = typeof explicit === 'string' ? [explicit] : graphCandidates(spec, dtype);
  const found = wanted.find((c) => spec.onnxFiles.includes(c));
  if (!found && typeof explicit === 'string')
    throw new TesseraError(
      'INVALID_MODEL',
      `${spec.dir}: no ONNX graph ${explicit} (found: ${spec.onnxFiles.join(', ') || 'none'})`,
      { dir: spec.dir },
    );
  return found && spec.files.join(spec.dir, found);
}

const WRITABLE = ['fp32', 'fp16', 'q8'] as const;

/**
 * A folder with no graph for the dtype: the encoder graph written here from its safetensors, as
 * `tessera export` writes it (@tessera/onnx-graph, loaded only on this path so pages that serve
 * graphs do not carry it).
 */
async function writtenGraph(
  spec: ModelSpec,
  options: BackendLoadOptions,
): Promise<{ bytes: Uint8Array; name: string }> {
  const dtype = (options.dtype ?? 'fp32') as (typeof WRITABLE)[number];
  if (!spec.weightsFile || !architectureOf(spec.modelType) || !WRITABLE.includes(dtype))
    throw new TesseraError(
      'INVALID_MODEL',
      `${spec.dir}: no ONNX graph for dtype ${dtype} (looked for ${graphCandidates(spec, dtype).join(', ')}; found: ` +
        `${spec.onnxFiles.join(', ') || 'none'}), and ` +
        (!spec.weightsFile
          ? 'no model.safetensors to write one from'
          : !architectureOf(spec.modelType)
            ? `model_type "${spec.modelType}" is not one Tessera writes graphs for`
            : `dtype ${dtype} is not one Tessera writes (${WRITABLE.join(', ')})`) +
        ': export one with `tessera export` and serve it with the model',
      { dir: spec.dir },
    );
  const { encoderGraph, MIN_OPSET } = await import('@tessera/onnx-graph');
  const graph = encoderGraph(spec, await readEncoderWeights(spec, 'web'), {
    dtype,
    opset: MIN_OPSET,
    projection: false,
  });
  options.onWarning(
    `${spec.dir}: no ONNX graph for dtype ${dtype}, so one was written in the page from ${spec.weightsFile} ` +
      `(${(graph.bytes.length / 1e6).toFixed(1)} MB); serve \`tessera export\`'s graph with the model to skip this`,
  );
  return { bytes: graph.bytes, name: `${spec.weightsFile} (the graph written from it)` };
}

function threadsFor(options: BackendLoadOptions): number {
  // Outside a page (Node runs onnxruntime-web too) there is no isolation to ask for.
  const page = inPage();
  const threads = options.threads ?? (crossOriginIsolated() ? hardwareThreads() : 1);
  if (!Number.isInteger(threads) || threads < 1)
    throw new TesseraError('INVALID_OPTION', `threads must be a positive integer (got ${threads})`, {
      field: 'threads',
    });
  if (page && !crossOriginIsolated() && (threads > 1 || options.threads === undefined)) {
    options.onWarning(
      `this page is not cross-origin isolated, so onnxruntime-web runs on 1 thread${threads > 1 ? ` instead of ${threads}` : ''}: ` +
        'serve it with "Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp" for threads',
    );
    return 1;
  }
  return threads;
}

/** A model's ONNX graph in an onnxruntime-web session (WASM or WebGPU). */
export class WebModel implements LoadedModel {
  readonly device: string;
  readonly engine: string;
  readonly projected: boolean;
  private released = false;
  // onnxruntime-web runs one session.run at a time per session (a second, overlapping run hangs
  // its threaded WebAssembly), so calls queue here in arrival order.
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly ort: Ort,
    private readonly session: Session,
    private readonly inputs: Map<string, string>,
    private readonly output: string,
    private readonly outputType: string,
    device: string,
    engineName: string,
    projected: boolean,
  ) {
    this.device = device;
    this.engine = engineName;
    this.projected = projected;
  }

  static async load(spec: ModelSpec, options: BackendLoadOptions): Promise<WebModel> {
    const webgpu = options.device === 'webgpu';
    if (!webgpu && options.device !== 'cpu' && options.device !== 'wasm')
      throw new TesseraError(
        'DEVICE_UNAVAILABLE',
        `device ${options.device}: the web backend runs on cpu (wasm) or webgpu`,
        {
          device: options.device,
        },
      );
    // Measured in test/browser.test.ts: onnxruntime-web's WebGPU engine returns rows far from its
    // WebAssembly engine's for ModernBERT graphs (BERT-family graphs agree), so those never run there.
    if (webgpu && architectureOf(spec.modelType) === 'modernbert')
      throw new TesseraError(
        'DEVICE_UNAVAILABLE',
        `device webgpu: onnxruntime-web's WebGPU engine gives wrong rows for ModernBERT graphs (they differ from its ` +
          'WebAssembly engine by more than 0.1 past 40 tokens), so this model runs on WebAssembly',
        { device: 'webgpu' },
      );
    const found = findGraph(spec, options);
    const { bytes, name: file } = found
      ? { bytes: await spec.files.read(found), name: found }
      : await writtenGraph(spec, options);
    const wasmPaths = typeof options.extra?.wasmPaths === 'string' ? options.extra.wasmPaths : undefined;
    const worker = options.extra?.worker === true;
    const { ort, settings } = await engine(
      { threads: threadsFor(options), wasmPaths, worker },
      webgpu,
      options.onWarning,
    );
    let session: Session;
    try {
      // In a worker, onnxruntime-web transfers the bytes it is given there (their buffer detaches
      // here): it gets a copy, so the model's files stay readable (an index records their fingerprint).
      session = await ort.InferenceSession.create(settings.worker ? bytes.slice() : bytes, {
        executionProviders: [webgpu ? 'webgpu' : 'wasm'],
        graphOptimizationLevel: 'all',
      });
    } catch (e) {
      const msg = String((e as Error)?.message ?? e).split('\n')[0];
      if (webgpu)
        throw new TesseraError(
          'DEVICE_UNAVAILABLE',
          `device webgpu: onnxruntime-web could not start it (${msg})`,
          { device: 'webgpu' },
          { cause: e },
        );
      throw new TesseraError(
        'CORRUPT_FILE',
        `${file}: onnxruntime-web cannot load it (${msg})`,
        { file },
        { cause: e },
      );
    }
    try {
      const inputs = new Map<string, string>();
      for (const m of session.inputMetadata) {
        const type = m.isTensor ? m.type : 'non-tensor';
        if (!INPUTS.has(m.name) || (type !== 'int64' && type !== 'int32'))
          throw new TesseraError(
            'INVALID_MODEL',
            `${file}: graph input "${m.name}" (${type}) is not a text-encoder input (expected int64 or int32 input_ids, attention_mask, token_type_ids)`,
            { file, field: m.name },
          );
        inputs.set(m.name, type);
      }
      for (const need of ['input_ids', 'attention_mask'])
        if (!inputs.has(need))
          throw new TesseraError('INVALID_MODEL', `${file}: graph has no "${need}" input`, { file, field: need });
      const outputs = session.outputMetadata.map((m) => ({
        name: m.name,
        dims: m.isTensor ? m.shape : [],
        type: m.isTensor ? m.type : 'non-tensor',
      }));
      const probe = async (name: string) => {
        const out = await run(ort, session, inputs, probeBatch(), name, file);
        return Number(out.dims[out.dims.length - 1]);
      };
      const { output, project } = await chooseOutput(outputs, spec, file, probe);
      const engineName =
        `onnxruntime-web ${ort.env.versions?.web ?? ''} (${webgpu ? 'webgpu' : 'wasm'}, ` +
        `${settings.threads} thread${settings.threads > 1 ? 's' : ''}${settings.worker && !webgpu ? ', in a worker' : ''}, ` +
        `${found ? spec.files.relative(spec.dir, found) : 'a graph written from the weights'})`;
      const device = webgpu ? 'webgpu' : 'cpu';
      return new WebModel(ort, session, inputs, output.name, output.type, device, engineName, !project);
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  forward(batch: PaddedBatch): Promise<ForwardOutput> {
    const result = this.queue.then(() => this.forwardNow(batch));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async forwardNow(batch: PaddedBatch): Promise<ForwardOutput> {
    if (this.released) throw new TesseraError('DISPOSED', 'the web model was disposed', {});
    const t = await run(this.ort, this.session, this.inputs, batch, this.output, '');
    const raw = t.data as Float32Array | Uint16Array;
    const data =
      this.outputType === 'float16'
        ? decodeF16(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), raw.length)
        : (raw as Float32Array).slice();
    t.dispose();
    return { data, batchSize: batch.batchSize, seqLen: batch.seqLen, dim: Number(t.dims[t.dims.length - 1]) };
  }

  async dispose(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.queue;
    await this.session.release();
  }
}

function probeBatch(): PaddedBatch {
  return {
    batchSize: 1,
    seqLen: 2,
    inputIds: Int32Array.of(1, 2),
    attentionMask: Int32Array.of(1, 1),
    tokenTypeIds: Int32Array.of(0, 0),
  };
}

/** One run of the session over a padded batch, reading one output. */
async function run(
  ort: Ort,
  session: Session,
  inputs: Map<string, string>,
  batch: PaddedBatch,
  output: string,
  file: string,
): Promise<import('onnxruntime-web').Tensor> {
  const dims = [batch.batchSize, batch.seqLen];
  const source: Record<string, Int32Array> = {
    input_ids: batch.inputIds,
    attention_mask: batch.attentionMask,
    token_type_ids: batch.tokenTypeIds,
  };
  const feeds: Record<string, import('onnxruntime-web').Tensor> = {};
  for (const [name, type] of inputs) {
    const src = source[name]!;
    feeds[name] =
      type === 'int32'
        ? new ort.Tensor('int32', src.slice(), dims)
        : new ort.Tensor(
            'int64',
            BigInt64Array.from(src, (x) => BigInt(x)),
            dims,
          );
  }
  try {
    const result = await session.run(feeds, [output]);
    return result[output]!;
  } catch (e) {
    throw new TesseraError(
      'BACKEND_FAILED',
      `${file ? `${file}: ` : ''}onnxruntime-web failed on a ${batch.batchSize}x${batch.seqLen} batch: ${(e as Error)?.message ?? e}`,
      {},
      { cause: e },
    );
  }
}
