import { execFile } from 'node:child_process';
import type { ModelSpec } from '../model/spec.js';

export interface GpuMemory {
  freeBytes: number;
  totalBytes: number;
}

/**
 * Free and total memory of CUDA device `index` from nvidia-smi (shipped with the driver, so it
 * works for every backend whatever its CUDA runtime), or undefined where it cannot be asked.
 */
export function cudaMemory(index: number, timeoutMs = 5000): Promise<GpuMemory | undefined> {
  return new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=memory.free,memory.total', '--format=csv,noheader,nounits', `--id=${index}`],
      { timeout: timeoutMs },
      (err, stdout) => {
        const m = /^\s*(\d+)\s*,\s*(\d+)/.exec(String(stdout ?? ''));
        resolve(err || !m ? undefined : { freeBytes: Number(m[1]) * 2 ** 20, totalBytes: Number(m[2]) * 2 ** 20 });
      },
    );
  });
}

/**
 * Device memory one padded token of a forward pass takes at sequence length `seqLen`, in bytes:
 * hidden states and projections (a dozen hidden-size vectors), the feed-forward's two
 * intermediate-size activations, and two attention rows per head (scores and softmax). Measured
 * on an H200 with the native backend, base shape, fp32 (bench/results/gpu/2026-11-27-h200-memory):
 * 74-88 KB per token at batches of 8k-62k tokens (the estimate: 73 KB at length 124, 108 KB at
 * 485); at the edge, a 1.2M-token batch of length 477 failed where 600k fit, the caching
 * allocator's fragmentation included (110-220 KB of free memory per token).
 */
export function bytesPerToken(spec: ModelSpec, seqLen: number, dtypeBytes: number): number {
  const c = spec.config as Record<string, unknown>;
  const hidden = spec.hiddenSize;
  const intermediate = Number(c.intermediate_size ?? 4 * hidden);
  const heads = Number(c.num_attention_heads ?? Math.max(1, Math.round(hidden / 64)));
  return dtypeBytes * (12 * hidden + 2 * intermediate + 2 * heads * seqLen);
}

/**
 * The initial token budget on a CUDA device: half its free memory (after the weights, which are
 * loaded by the time this is asked) over the bytes a token takes at the model's longest
 * document, within [1024, 262144]: half, because at the edge the allocator needed about twice
 * the estimate (above); the ceiling, because past it batches run no faster (bench/results/gpu:
 * batches of 64 were the fastest). Out-of-memory splitting still catches a wrong guess.
 */
export function cudaTokenBudget(spec: ModelSpec, mem: GpuMemory, dtypeBytes: number): number {
  const seqLen = spec.colbert?.documentLength ?? spec.maxLength ?? 512;
  const tokens = Math.floor((0.5 * mem.freeBytes) / bytesPerToken(spec, seqLen, dtypeBytes));
  return Math.max(1024, Math.min(262_144, tokens));
}
