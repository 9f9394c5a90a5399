import { afterAll, beforeAll } from 'vitest';
import { Tessera, type Backend, type PaddedBatch } from '@tessera/core';
import { BACKEND_CONTRACT } from '@tessera/core/backend';
import { backend as onnx } from '@tessera/backend-onnx';
import { createServer, type ServerOptions, type TesseraServer } from '../src/index.js';

/**
 * The ONNX backend with knobs for tests: a delay per forward pass, a gate that holds every
 * forward pass until the test opens it (`hold()` returns the opener), a failure on demand, and a
 * log of what ran.
 */
export function testBackend(name: string) {
  const state = {
    delayMs: 0,
    failNext: false,
    batches: [] as PaddedBatch[],
    gate: undefined as Promise<void> | undefined,
  };
  const hold = (): (() => void) => {
    let open!: () => void;
    state.gate = new Promise<void>((r) => (open = r));
    return () => {
      state.gate = undefined;
      open();
    };
  };
  const backend: Backend = {
    name,
    priority: 0,
    contract: BACKEND_CONTRACT,
    devices: () => onnx.devices(),
    async load(spec, options) {
      const m = await onnx.load(spec, options);
      return {
        device: m.device,
        engine: `${m.engine} (test wrapper)`,
        async forward(batch) {
          state.batches.push(batch);
          if (state.gate) await state.gate;
          if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
          if (state.failNext) {
            state.failNext = false;
            throw new Error('planted failure');
          }
          return m.forward(batch);
        },
        dispose: () => m.dispose(),
      };
    },
  };
  return { backend, state, hold };
}

/** Waits until `ok()` holds, checking every few milliseconds: tests wait on state, not on the clock. */
export async function until(ok: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await ok())) await new Promise((r) => setTimeout(r, 5));
}

export function open(model: string, backend: Backend | string = 'onnx'): Promise<Tessera> {
  return Tessera.create({ model, backend, device: 'cpu', threads: 1 });
}

export async function post(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: r.status, body: parsed, headers: r.headers };
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * Opens a fixture and serves it (named `name` when given) for the tests of the enclosing
 * describe; the fields are filled before its first test, and both are closed after its last.
 */
export function serveFixture(
  dir: string,
  options: Omit<ServerOptions, 'models'> & { name?: string } = {},
): { t: Tessera; server: TesseraServer; base: string } {
  const served = {} as { t: Tessera; server: TesseraServer; base: string };
  const { name, ...serverOptions } = options;
  beforeAll(async () => {
    served.t = await open(dir);
    served.server = await createServer({ ...serverOptions, models: [name ? { name, tessera: served.t } : served.t] });
    served.base = await served.server.listen({ port: 0 });
  });
  afterAll(async () => {
    await served.server.close();
    await served.t.dispose();
  });
  return served;
}
