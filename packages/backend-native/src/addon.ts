import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { EncoderDescription, Tensor32 } from '@tessera/core';

export interface NativeEncoderHandle {
  forward(
    inputIds: Int32Array,
    attentionMask: Int32Array,
    tokenTypeIds: Int32Array,
    batch: number,
    seq: number,
  ): Promise<{ data: Float32Array; dim: number }>;
  dispose(): void;
}

export interface NativeScorerHandle {
  /** count queries of rows x dim floats each → documents x count scores (chunk order). */
  score(queries: Float32Array, count: number, rows: number): Promise<Float32Array>;
  dispose(): void;
}

export interface Addon {
  /** Documents in core's length chunks, copied to the device; scores come chunk by chunk. */
  NativeScorer: new (
    chunks: Array<{ data: Float32Array; n: number; length: number }>,
    dim: number,
    device: string,
  ) => NativeScorerHandle;
  NativeEncoder: new (
    config: EncoderDescription['config'],
    weights: Record<string, Tensor32>,
    projection: Array<{ weight: Tensor32; bias?: Tensor32; residual?: Tensor32 | 'identity'; activation: string }>,
    device: string,
    dtype?: string,
  ) => NativeEncoderHandle;
  deviceInfo(): { torchVersion: string; cuda: boolean; cudaDevices: number; mps: boolean; threads: number };
  setThreads(n: number): void;
  /** '' when matrix products, layer norms and softmax run in the dtype on the device, else libtorch's reason. */
  dtypeSupport(device: string, dtype: string): string;
  /** Encoders alive in the process. */
  liveEncoders(): number;
}

export const ADDON_PATH = fileURLToPath(new URL('../build/Release/tessera_native.node', import.meta.url));

export const INSTALL_HINT =
  'the native addon is not built. It builds at install time against libtorch (Debian/Ubuntu: `apt-get install ' +
  'libtorch-dev libopenblas0-pthread`; or unpack libtorch from pytorch.org and set LIBTORCH). pnpm skips ' +
  'install scripts until approved: run `pnpm approve-builds` (pick @tessera/backend-native), then `pnpm ' +
  'rebuild @tessera/backend-native`; with npm or yarn, `npm rebuild @tessera/backend-native`';

let cached: { addon?: Addon; error?: string } | undefined;

/**
 * OpenBLAS picks its kernels by CPU model and falls back to old SSE3 ("Prescott") kernels on
 * CPUs it does not know, several times slower (bench/decisions.md#openblas-core-type-backend-native).
 * Unless the user chose a core type, name the kernel family that the CPU's flags support; this
 * must happen before the addon loads libopenblas.
 */
export function chooseOpenBlasCore(env: NodeJS.ProcessEnv = process.env, cpuinfo?: string): string | undefined {
  if (
    env.OPENBLAS_CORETYPE ||
    env.TESSERA_NATIVE_KEEP_OPENBLAS_CORETYPE === '1' ||
    process.platform !== 'linux' ||
    process.arch !== 'x64'
  )
    return undefined;
  let flags = '';
  try {
    flags = (cpuinfo ?? readFileSync('/proc/cpuinfo', 'utf8')).match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  } catch {
    return undefined;
  }
  const has = (f: string) => new RegExp(`\\b${f}\\b`).test(flags);
  const core = has('avx512f') && has('avx512bw') ? 'SkylakeX' : has('avx2') && has('fma') ? 'Haswell' : undefined;
  if (core) env.OPENBLAS_CORETYPE = core;
  return core;
}

export let openBlasCore: string | undefined;

/** The compiled addon, or why it cannot be loaded. */
export function loadAddon(): { addon?: Addon; error?: string } {
  if (cached) return cached;
  if (!existsSync(ADDON_PATH)) return (cached = { error: INSTALL_HINT });
  openBlasCore = chooseOpenBlasCore();
  try {
    cached = { addon: createRequire(import.meta.url)(ADDON_PATH) as Addon };
  } catch (e) {
    cached = {
      error: `the native addon failed to load (${(e as Error).message.split('\n')[0]}); rebuild it with \`npm rebuild @tessera/backend-native\``,
    };
  }
  return cached;
}
