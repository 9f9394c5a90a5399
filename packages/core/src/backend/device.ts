import { TesseraError } from '../errors.js';
import type { Backend, DeviceInfo } from './types.js';

export type DeviceRequest = 'auto' | 'cpu' | 'gpu' | 'cuda' | 'mps' | 'coreml' | 'dml' | 'webgpu' | `cuda:${number}`;

/** A device name as asked for; 'wasm' (onnxruntime-web's name for a page's CPU path) is 'cpu'. */
export function parseDevice(device: string): DeviceRequest {
  if (device === 'wasm') return 'cpu';
  if (['auto', 'cpu', 'gpu', 'cuda', 'mps', 'coreml', 'dml', 'webgpu'].includes(device) || /^cuda:\d+$/.test(device))
    return device as DeviceRequest;
  throw new TesseraError(
    'INVALID_OPTION',
    `unknown device "${device}" (expected auto, cpu, gpu, cuda, cuda:N, mps, coreml, dml, or in a page wasm or webgpu)`,
    { field: 'device' },
  );
}

/** Picks a concrete device id from the backend's list; reports why a requested one is not used. */
export async function pickDevice(
  backend: Backend,
  request: DeviceRequest,
): Promise<{ device: string; unavailable?: string }> {
  if (request === 'cpu') return { device: 'cpu' };
  const devices: DeviceInfo[] = await backend.devices();
  if (request === 'auto') {
    // A software adapter (WebGPU on SwiftShader) runs when asked for by name, never by 'auto'.
    const accel = devices.find((d) => d.available && d.kind !== 'cpu' && !d.software);
    return { device: accel?.id ?? 'cpu' };
  }
  // 'gpu' (transformers.js and onnxruntime-web's name): the backend's first accelerator, else a clear fallback.
  if (request === 'gpu') {
    const accel = devices.find((d) => d.available && d.kind !== 'cpu');
    if (accel) return { device: accel.id };
    return {
      device: 'cpu',
      unavailable: `gpu: backend "${backend.name}" has no available accelerator (${
        devices
          .filter((d) => d.kind !== 'cpu')
          .map((d) => `${d.id}: ${d.detail ?? 'not available'}`)
          .join('; ') || 'it lists none'
      })`,
    };
  }
  const wanted = request === 'cuda' ? 'cuda:0' : request;
  const match = devices.find((d) => d.id === wanted || (request === 'cuda' && d.kind === 'cuda'));
  if (match?.available) return { device: match.id };
  const why = match
    ? (match.detail ?? 'not available')
    : `backend "${backend.name}" has no such device (it lists ${devices.map((d) => d.id).join(', ') || 'none'})`;
  return { device: 'cpu', unavailable: `${request}: ${why}` };
}
