import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlannedItem } from '@tessera/core';
import { padBatch, planBatches } from '@tessera/core/backend';
import { median, round } from '../measure.js';

type Ort = typeof import('onnxruntime-node');

export interface PeerResult {
  peer: string;
  config: string;
  docsPerSec: number;
  note?: string;
}

/**
 * A bare onnxruntime-node session on the same graph, fed pre-tokenized padded batches (the
 * floor for our ONNX overhead): sorted batches of several sizes, and input-order batches of 32.
 */
export async function bareOnnxRuntime(
  modelDir: string,
  items: PlannedItem[],
  threads: number,
  batchSizes: number[],
  repetitions: number,
): Promise<PeerResult[]> {
  const ort = (await import('onnxruntime-node')) as unknown as Ort & { default?: Ort };
  const { InferenceSession, Tensor } = ort.default ?? ort;
  const session = await InferenceSession.create(join(modelDir, 'onnx', 'model.onnx'), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
  });
  const run = async (batches: PlannedItem[][]) => {
    const t0 = performance.now();
    for (const b of batches) {
      const p = padBatch(b, 0);
      const dims = [p.batchSize, p.seqLen];
      const i64 = (a: Int32Array) =>
        new Tensor(
          'int64',
          BigInt64Array.from(a, (x) => BigInt(x)),
          dims,
        );
      await session.run({
        input_ids: i64(p.inputIds),
        attention_mask: i64(p.attentionMask),
        token_type_ids: i64(p.tokenTypeIds),
      });
    }
    return items.length / ((performance.now() - t0) / 1000);
  };
  const out: PeerResult[] = [];
  const configs: Array<{ size: number; sorted: boolean }> = [
    ...batchSizes.map((size) => ({ size, sorted: true })),
    { size: 32, sorted: false },
  ];
  for (const c of configs) {
    const batches = planBatches(items, { maxBatchSize: c.size, maxTokens: 1 << 30, sortByLength: c.sorted });
    await run(batches.slice(0, 2));
    const rates: number[] = [];
    for (let r = 0; r < repetitions; r++) rates.push(await run(batches));
    out.push({
      peer: 'onnxruntime-node (bare)',
      config: `batch ${c.size}, ${c.sorted ? 'length-sorted' : 'input order'}`,
      docsPerSec: round(median(rates)),
    });
  }
  await session.release();
  return out;
}

/** Hugging Face transformers.js feature-extraction on the same ONNX file, called with arrays of 32 in input order. */
export async function transformersJs(
  modelDir: string,
  texts: string[],
  threads: number,
  repetitions: number,
): Promise<PeerResult> {
  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  tjs.env.allowLocalModels = true;
  const extractor = await tjs.pipeline('feature-extraction', modelDir, {
    local_files_only: true,
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  } as never);
  const run = async () => {
    const t0 = performance.now();
    for (let i = 0; i < texts.length; i += 32) {
      const out = (await extractor(texts.slice(i, i + 32))) as { dispose?: () => void };
      out.dispose?.();
    }
    return texts.length / ((performance.now() - t0) / 1000);
  };
  await (extractor(texts.slice(0, 4)) as Promise<unknown>);
  const rates: number[] = [];
  for (let r = 0; r < repetitions; r++) rates.push(await run());
  await (extractor as unknown as { dispose?: () => Promise<void> }).dispose?.();
  return {
    peer: 'transformers.js',
    config: `feature-extraction, arrays of 32 in input order, ${tjs.env.version}`,
    docsPerSec: round(median(rates)),
  };
}

/** Python with torch and transformers, if present: the PyTorch reference (PyLate-style multi-vector encoding). */
/**
 * The environment for a Python peer: this machine forces OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for
 * old OpenBLAS builds, which slows a current numpy; a peer runs without both (tests keep them).
 */
export function peerEnv(): NodeJS.ProcessEnv {
  const { OPENBLAS_CORETYPE: _c, OPENBLAS_L2_SIZE: _l, ...rest } = process.env;
  return rest;
}

export function findPython(): string | undefined {
  for (const py of [process.env.TESSERA_BENCH_PYTHON, 'python3'].filter(Boolean) as string[]) {
    const r = spawnSync(py, ['-c', 'import torch, transformers, safetensors'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

export function pytorchReference(
  python: string,
  modelDir: string,
  corpusFile: string,
  threads: number,
  repetitions: number,
): PeerResult {
  const script = fileURLToPath(new URL('../../python/reference.py', import.meta.url));
  const r = spawnSync(python, [script, modelDir, corpusFile, String(threads), '32', String(repetitions)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: peerEnv(),
  });
  if (r.status !== 0) throw new Error(`PyTorch reference failed: ${r.stderr.split('\n').slice(-4).join(' ')}`);
  const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as { docs_per_sec: number; torch: string };
  return {
    peer: 'PyTorch reference',
    config: `torch ${o.torch}, length-sorted batches of 32 (PyLate's encode), ${threads} threads`,
    docsPerSec: round(o.docs_per_sec),
  };
}

/**
 * What PyLate users run today: sentence-transformers 6's MultiVectorEncoder (encode_document,
 * length-sorted batches of 32), when this Python has it; undefined otherwise.
 */
export function multiVectorEncoder(
  python: string,
  modelDir: string,
  corpusFile: string,
  threads: number,
  repetitions: number,
): PeerResult | undefined {
  const has = spawnSync(python, ['-c', 'from sentence_transformers import MultiVectorEncoder'], { encoding: 'utf8' });
  if (has.status !== 0) return undefined;
  const script = fileURLToPath(new URL('../../python/multivector.py', import.meta.url));
  const r = spawnSync(
    python,
    [
      script,
      modelDir,
      corpusFile,
      '--device',
      'cpu',
      '--dtypes',
      'fp32',
      '--batch-sizes',
      '32',
      '--repetitions',
      String(repetitions),
      '--threads',
      String(threads),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 24, env: peerEnv() },
  );
  if (r.status !== 0)
    throw new Error(`sentence-transformers MultiVectorEncoder failed: ${r.stderr.split('\n').slice(-4).join(' ')}`);
  const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    versions: { sentence_transformers: string; torch: string };
    rates: Array<{ docs_per_sec: number }>;
  };
  return {
    peer: 'sentence-transformers MultiVectorEncoder',
    config: `sentence-transformers ${o.versions.sentence_transformers}, torch ${o.versions.torch}, encode_document in batches of 32, ${threads} threads`,
    docsPerSec: round(o.rates[0]!.docs_per_sec),
  };
}
