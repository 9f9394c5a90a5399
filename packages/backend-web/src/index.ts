import { BACKEND_CONTRACT, graphFiles, registerBackend, type Backend, type DeviceInfo } from '@tessera/core/browser';
import { crossOriginIsolated, gpuAdapter, hardwareThreads } from './engine.js';
import { WebModel } from './web-model.js';

export { WebModel } from './web-model.js';

/**
 * The page's devices: the CPU through WebAssembly (SIMD; threads when the page is cross-origin
 * isolated) and WebGPU where the browser offers an adapter (a software one only by name).
 */
async function devices(): Promise<DeviceInfo[]> {
  const threads = crossOriginIsolated() ? hardwareThreads() : 1;
  const list: DeviceInfo[] = [
    { id: 'cpu', kind: 'cpu', available: true, detail: `WebAssembly SIMD, ${threads} thread${threads > 1 ? 's' : ''}` },
  ];
  const adapter = await gpuAdapter();
  const software = !!(adapter?.info?.isFallbackAdapter ?? adapter?.isFallbackAdapter);
  const name = [adapter?.info?.vendor, adapter?.info?.architecture, adapter?.info?.description]
    .filter(Boolean)
    .join(' ');
  list.push(
    adapter
      ? { id: 'webgpu', kind: 'webgpu', available: true, software, detail: name || 'WebGPU adapter' }
      : { id: 'webgpu', kind: 'webgpu', available: false, detail: 'this browser offers no WebGPU adapter' },
  );
  return list;
}

/** The browser backend: onnxruntime-web on WebAssembly or WebGPU. */
export const backend: Backend = {
  name: 'web',
  priority: 40,
  contract: BACKEND_CONTRACT,
  devices,
  load: (spec, options) => WebModel.load(spec, options),
  files: graphFiles,
};

// A page finds backends only by registration: importing this package makes `backend: 'web'` work.
registerBackend(backend);

export default backend;
