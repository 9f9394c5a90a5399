import { TesseraError } from '../errors.js';
import type { Backend, DeviceInfo } from './types.js';

export type DeviceRequest = 'auto' | 'cpu' | 'cuda' | 'mps' | `cuda:${number}`;

export function parseDevice(device: string): DeviceRequest {
  if (device === 'auto' || device === 'cpu' || device === 'cuda' || device === 'mps' || /^cuda:\d+$/.test(device)) return device as DeviceRequest;
  throw new TesseraError('INVALID_OPTION', `unknown device "${device}" (expected auto, cpu, cuda, cuda:N or mps)`, { field: 'device' });
}

/** Picks a concrete device id from the backend's list; reports why a requested one is not used. */
export async function pickDevice(backend: Backend, request: DeviceRequest): Promise<{ device: string; unavailable?: string }> {
  if (request === 'cpu') return { device: 'cpu' };
  const devices: DeviceInfo[] = await backend.devices();
  if (request === 'auto') {
    const accel = devices.find((d) => d.available && d.kind !== 'cpu');
    return { device: accel?.id ?? 'cpu' };
  }
  const wanted = request === 'cuda' ? 'cuda:0' : request;
  const match = devices.find((d) => d.id === wanted || (request === 'cuda' && d.kind === 'cuda'));
  if (match?.available) return { device: match.id };
  const why = match ? (match.detail ?? 'not available') : `backend "${backend.name}" has no such device (it lists ${devices.map((d) => d.id).join(', ') || 'none'})`;
  return { device: 'cpu', unavailable: `${request}: ${why}` };
}
