import { TesseraError } from '@tessera/core/browser';

export type Ort = typeof import('onnxruntime-web');
export type Session = import('onnxruntime-web').InferenceSession;

// The page's globals this package reads (it compiles without the DOM library).
interface PageGlobals {
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number; gpu?: { requestAdapter(): Promise<GpuAdapter | null> } };
}
const page = globalThis as unknown as PageGlobals;
export interface GpuAdapter {
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

/** Whether this runs in a page or a worker of one (Node runs onnxruntime-web too, without isolation to ask for). */
export const inPage = (): boolean => typeof page.crossOriginIsolated === 'boolean';
/** Whether the page may run threads (SharedArrayBuffer needs cross-origin isolation). */
export const crossOriginIsolated = (): boolean => page.crossOriginIsolated === true;
export const hardwareThreads = (): number => Math.max(1, page.navigator?.hardwareConcurrency ?? 1);

let adapter: Promise<GpuAdapter | null> | undefined;
/** The page's WebGPU adapter, asked for once; null where the browser offers none. */
export function gpuAdapter(): Promise<GpuAdapter | null> {
  const gpu = page.navigator?.gpu;
  adapter ??= gpu ? gpu.requestAdapter().catch(() => null) : Promise.resolve(null);
  return adapter;
}

export interface EngineSettings {
  threads: number;
  /** Run the WebAssembly engine in a Web Worker (onnxruntime-web's proxy), so the page never blocks on it. */
  worker?: boolean;
  /** Where ORT's .wasm files are served, when not beside its script. */
  wasmPaths?: string;
}

// onnxruntime-web reads its thread count and wasm location once, at its first session: every
// later session runs with what the first one set, so a different request is reported, not applied.
let started: { settings: EngineSettings; ort: Promise<Ort> } | undefined;
let webgpuOrt: Promise<Ort> | undefined;

/**
 * onnxruntime-web, configured on first use: the WASM build for the CPU path, the WebGPU build
 * (which also runs WASM) for 'webgpu'. Returns the engine and the settings it really runs with.
 */
export async function engine(
  settings: EngineSettings,
  webgpu: boolean,
  warn: (m: string) => void,
): Promise<{ ort: Ort; settings: EngineSettings }> {
  if (!started) {
    const load = (async () => {
      const ort = (await import('onnxruntime-web')) as Ort;
      configure(ort, settings);
      return ort;
    })();
    started = { settings, ort: load };
  } else if (
    started.settings.threads !== settings.threads ||
    started.settings.wasmPaths !== settings.wasmPaths ||
    !!started.settings.worker !== !!settings.worker
  )
    warn(
      `onnxruntime-web was started with ${started.settings.threads} thread(s)` +
        `${started.settings.wasmPaths ? ` and wasm files from ${started.settings.wasmPaths}` : ''}` +
        `${started.settings.worker ? ' in a worker' : " on the page's thread"}; it keeps them for ` +
        'every later model in this page, so this one runs with the same',
    );
  const ort = webgpu ? await (webgpuOrt ??= importWebgpu(started.settings)) : await started.ort;
  return { ort, settings: started.settings };
}

async function importWebgpu(settings: EngineSettings): Promise<Ort> {
  try {
    const ort = (await import('onnxruntime-web/webgpu')) as Ort;
    configure(ort, settings);
    return ort;
  } catch (e) {
    throw new TesseraError(
      'DEVICE_UNAVAILABLE',
      `device webgpu: onnxruntime-web's WebGPU build failed to load (${(e as Error).message})`,
      { device: 'webgpu' },
      { cause: e },
    );
  }
}

function configure(ort: Ort, settings: EngineSettings): void {
  ort.env.wasm.numThreads = settings.threads;
  ort.env.wasm.proxy = !!settings.worker;
  if (settings.wasmPaths) ort.env.wasm.wasmPaths = settings.wasmPaths;
}
