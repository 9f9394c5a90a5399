import type { ModelSpec } from '../model/spec.js';

/** A right-padded batch: batchSize x seqLen, row-major. */
export interface PaddedBatch {
  batchSize: number;
  seqLen: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
}

/**
 * Token rows for every position of the batch: batchSize x seqLen x dim, not normalized; after the
 * projection unless the loaded model says `projected: false`.
 */
export interface ForwardOutput {
  data: Float32Array;
  batchSize: number;
  seqLen: number;
  dim: number;
}

export interface DeviceInfo {
  /** 'cpu', 'cuda:0', 'mps'. */
  id: string;
  kind: 'cpu' | 'cuda' | 'mps' | 'coreml' | 'dml' | 'webgpu';
  available: boolean;
  /** An emulated device (a software WebGPU adapter): used when asked for by name, not by 'auto'. */
  software?: boolean;
  /** Why it is unavailable, or what it is. */
  detail?: string;
}

export interface BackendLoadOptions {
  /** Concrete device id ('cpu', 'cuda:0', 'mps'). */
  device: string;
  /** Intra-op threads; undefined lets the backend choose for the machine. */
  threads?: number;
  /** Weight variant, e.g. 'fp32', 'q8' (ONNX quantized graph). */
  dtype?: string;
  /** Backend-specific options, passed through untouched. */
  extra?: Record<string, unknown>;
  /** Non-fatal problems, reported to the caller as warning events. */
  onWarning: (message: string) => void;
}

/** A model loaded by a backend onto one device. */
export interface LoadedModel {
  /** The device it runs on: the id it was loaded for ('cpu', 'cuda:0'). */
  readonly device: string;
  /** What runs it, for users and logs (e.g. 'onnxruntime-node 1.30.0 (cpu, 2 threads)'). */
  readonly engine: string;
  /**
   * One forward pass over a padded batch. Must not retain the batch's arrays; must return a
   * fresh output array each call (core may still be reading an earlier one); may be called again
   * before an earlier call resolved.
   */
  forward(batch: PaddedBatch): Promise<ForwardOutput>;
  /** Frees what load() took; later forward() calls throw a TesseraError (code DISPOSED). */
  dispose(): Promise<void>;
  /**
   * Contract 2: false when forward() returns the backbone's rows (dim = the hidden size) and core
   * is to apply the projection (spec.projection); default true: the rows are projected already.
   */
  readonly projected?: boolean;
  /**
   * Optional: MaxSim through the engine (its GEMM), for `t.scorer()`. Takes documents packed
   * row-major, keeps them (as a tensor) between calls, and scores a query against all of them.
   * Core uses it for float32 documents when present and falls back to its own kernel; the
   * conformance suite checks it against the reference MaxSim.
   */
  createScorer?(docs: PackedRows): Promise<EngineScorer>;
  /**
   * Optional: for each of the `aRows` rows of a, the index of the row of b with the highest dot
   * product, through the engine's GEMM. The compressed index's k-means and encoding assign every
   * token row to a centroid with it; core's kernel does it otherwise. The conformance suite checks
   * the choice against core's (a tie may go either way).
   */
  nearestRows?(a: Float32Array, aRows: number, b: Float32Array, bRows: number, dim: number): Promise<Int32Array>;
}

/** Documents packed row-major: document d's rows are rows offsets[d] .. offsets[d + 1] - 1 of data. */
export interface PackedRows {
  data: Float32Array;
  offsets: Int32Array;
  dim: number;
}

/** A backend's scorer over packed documents. */
export interface EngineScorer {
  /** What computes it, for users and the bench (e.g. 'onnxruntime MatMul + ReduceMax'). */
  readonly engine: string;
  /**
   * One query's MaxSim against every document: sum over query rows of the best dot product with
   * the document's rows; 0 for a document without rows. Core never passes NaN: it scores a query
   * or document holding NaN as NaN itself (the documents' NaN rows arrive as zeros).
   */
  score(query: { rows: number; dim: number; data: Float32Array }): Promise<Float32Array>;
  /** Optional: several queries in one pass over the documents (one result per query, in order). */
  scoreMany?(queries: ReadonlyArray<{ rows: number; dim: number; data: Float32Array }>): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/**
 * A backend: list devices, load a model folder for a device, run a padded batch forward,
 * dispose. Tokenization, batching, post-processing and scoring belong to core.
 */
/** A hub repo's file listing, as a backend reads it to say which weight files it needs. */
export interface RepoFiles {
  /** Every file in the repo, as paths ("onnx/model.onnx"). */
  files: readonly string[];
  /** The folder of the transformer's config and weights: '' at the root, or e.g. '0_Transformer/'. */
  transformerDir: string;
  /** The dtype asked for (CreateOptions.dtype), if any. */
  dtype?: string;
}

export interface Backend {
  readonly name: string;
  /**
   * The backend contract it was written for (core's BACKEND_CONTRACT when written; see
   * backend/contract.ts for what changed). Undefined means 1, the first guide's.
   */
  readonly contract?: number;
  /** Higher wins for backend: 'auto'. */
  readonly priority: number;
  devices(): Promise<DeviceInfo[]>;
  /**
   * Loads the model. Throw a TesseraError with code DEVICE_UNAVAILABLE when the device
   * cannot be used, so that core can fall back to the CPU (or fail in strict mode), and one with
   * code INVALID_MODEL for an architecture or file the backend does not run.
   */
  load(spec: ModelSpec, options: BackendLoadOptions): Promise<LoadedModel>;
  /**
   * Optional: which weight files of a hub repo this backend loads (an ONNX graph for a dtype, a
   * format of its own). Core fetches them beside what every backend gets (configs, tokenizer,
   * projection layers); without this method it fetches the transformer's model.safetensors.
   */
  files?(repo: RepoFiles): string[];
  /**
   * Optional: counts of what the backend holds right now (sessions, native encoders, tensors).
   * Core's conformance suite loads a model, disposes it, and checks that every count is back
   * where it was, so a dispose() that frees nothing fails.
   */
  resources?(): Record<string, number>;
}
