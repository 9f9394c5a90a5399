import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Tensor32 } from '@tessera/core';

export interface NativeEncoderHandle {
  forward(inputIds: Int32Array, attentionMask: Int32Array, tokenTypeIds: Int32Array, batch: number, seq: number): Promise<{ data: Float32Array; dim: number }>;
  dispose(): void;
}

export interface Addon {
  NativeEncoder: new (
    config: { heads: number; eps: number; hiddenAct: string; paddingPositions: boolean; padId: number },
    weights: Record<string, Tensor32>,
    projection: Array<{ weight: Tensor32; bias?: Tensor32; activation: string }>,
    device: string,
  ) => NativeEncoderHandle;
  deviceInfo(): { torchVersion: string; cuda: boolean; cudaDevices: number; mps: boolean; threads: number };
  setThreads(n: number): void;
}

export const ADDON_PATH = fileURLToPath(new URL('../build/Release/tessera_native.node', import.meta.url));

export const INSTALL_HINT =
  'the native addon is not built: install libtorch (Debian/Ubuntu: `apt-get install libtorch-dev libopenblas0-pthread`; or unpack libtorch from pytorch.org and set LIBTORCH) and run `npm rebuild @tessera/backend-native`';

let cached: { addon?: Addon; error?: string } | undefined;

/** The compiled addon, or why it cannot be loaded. */
export function loadAddon(): { addon?: Addon; error?: string } {
  if (cached) return cached;
  if (!existsSync(ADDON_PATH)) return (cached = { error: INSTALL_HINT });
  try {
    cached = { addon: createRequire(import.meta.url)(ADDON_PATH) as Addon };
  } catch (e) {
    cached = { error: `the native addon failed to load (${(e as Error).message.split('\n')[0]}); rebuild it with \`npm rebuild @tessera/backend-native\`` };
  }
  return cached;
}
