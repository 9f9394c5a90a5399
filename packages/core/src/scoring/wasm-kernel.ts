// The few WebAssembly declarations used here (core compiles without the DOM library).
export interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
};
declare function atob(data: string): string;

/**
 * Instantiates a kernel compiled by wasm/build.mjs (base64), or returns null where WebAssembly
 * SIMD is missing. atob, not Buffer: the same code runs in a browser.
 */
export function instantiateKernel<T>(base64: string): T | null {
  try {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as T;
  } catch {
    return null;
  }
}
