import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DeviceInfo } from '@tessera/core';

const require = createRequire(import.meta.url);

/** Folder holding onnxruntime-node's native libraries for this platform. */
export function ortBinDir(): string | undefined {
  try {
    const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
    const base = join(pkg, 'bin');
    for (const napi of existsSync(base) ? readdirSync(base) : []) {
      const d = join(base, napi, process.platform, process.arch);
      if (existsSync(d)) return d;
    }
  } catch {
    // Reported by devices() as "onnxruntime-node not found".
  }
  return undefined;
}

/** The CUDA execution provider is a separate library that onnxruntime-node's install script downloads. */
export function cudaProviderLibrary(): string | undefined {
  const dir = ortBinDir();
  if (!dir) return undefined;
  const name = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(join(dir, name)) ? join(dir, name) : undefined;
}

export const CUDA_HINT =
  'install the CUDA provider with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` (needs CUDA ' +
  '12 and cuDNN 9 on the library path); see the @tessera/backend-onnx README';

export function listDevices(): DeviceInfo[] {
  const out: DeviceInfo[] = [{ id: 'cpu', kind: 'cpu', available: true, detail: 'onnxruntime CPU execution provider' }];
  if (process.platform === 'linux' || process.platform === 'win32') {
    const lib = cudaProviderLibrary();
    out.push({
      id: 'cuda:0',
      kind: 'cuda',
      available: !!lib,
      detail: lib ? `CUDA execution provider (${lib})` : `CUDA provider library missing: ${CUDA_HINT}`,
    });
  }
  // onnxruntime-node bundles CoreML on macOS and DirectML on Windows; passed through, with the CPU as fallback.
  if (process.platform === 'darwin')
    out.push({
      id: 'coreml',
      kind: 'coreml',
      available: true,
      detail:
        'CoreML execution provider (bundled with onnxruntime-node on macOS; unsupported operators fall back to the CPU)',
    });
  if (process.platform === 'win32')
    out.push({
      id: 'dml',
      kind: 'dml',
      available: true,
      detail: 'DirectML execution provider (bundled with onnxruntime-node on Windows)',
    });
  return out;
}
