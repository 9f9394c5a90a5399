import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export type Tf = typeof import('@tensorflow/tfjs-core');
export type EngineName = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

export interface Engine {
  tf: Tf;
  name: EngineName;
  /** What runs the ops (backend name, versions, threads). */
  detail: string;
  /** Engines tried before this one, with why they were not used. */
  skipped: string[];
}

const INSTALL: Record<EngineName, string> = {
  'tfjs-node-gpu': 'npm i @tensorflow/tfjs-node-gpu (needs CUDA 11.2 and cuDNN 8.1)',
  'tfjs-node': 'npm i @tensorflow/tfjs-node',
  wasm: 'bundled',
  cpu: 'bundled',
};

/**
 * Imports the user's tfjs-node from here, else from the project in the working directory: pnpm
 * links a package's own dependencies only, so a tfjs-node the user added beside this backend is
 * not resolvable from it. (An optional peer dependency would fix that, but pnpm 12 installs
 * optional peers, and tfjs-node's install downloads libtensorflow.)
 */
export async function importFromProject(pkg: string, cwd = process.cwd()): Promise<unknown> {
  try {
    return await import(pkg);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw e;
    let path: string;
    try {
      path = createRequire(join(cwd, 'package.json')).resolve(pkg);
    } catch {
      throw e;
    }
    return import(pathToFileURL(path).href);
  }
}

async function nodeEngine(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Promise<Tf> {
  // The native TensorFlow bindings bring their own copy of tfjs; its ops are used as they are.
  const mod = (await importFromProject(pkg)) as Tf & { default?: Tf };
  const tf = (mod.default ?? mod) as Tf;
  await tf.ready();
  if (tf.getBackend() !== 'tensorflow') throw new Error(`${pkg} loaded but its backend is ${tf.getBackend()}`);
  return tf;
}

async function wasmEngine(threads: number): Promise<Tf> {
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('the WASM backend failed to initialize');
  await tf.ready();
  return tf;
}

async function cpuEngine(): Promise<Tf> {
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('the CPU backend failed to initialize');
  await tf.ready();
  return tf;
}

function reason(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'not installed';
  return (e as Error).message.split('\n')[0]!;
}

/**
 * The best engine that loads: tfjs-node-gpu (CUDA), tfjs-node, WASM (SIMD), plain CPU.
 * `only` restricts the choice (an engine option, or 'cuda' for GPU only).
 */
export async function loadEngine(order: EngineName[], threads = availableParallelism()): Promise<Engine> {
  const skipped: string[] = [];
  for (const name of order) {
    try {
      let tf: Tf;
      if (name === 'tfjs-node-gpu') tf = await nodeEngine('@tensorflow/tfjs-node-gpu');
      else if (name === 'tfjs-node') tf = await nodeEngine('@tensorflow/tfjs-node');
      else if (name === 'wasm') tf = await wasmEngine(threads);
      else tf = await cpuEngine();
      const detail =
        `${name} (tfjs ${tf.version_core}, backend ` +
        `${tf.getBackend()}${name === 'wasm' ? await wasmDetail(tf) : ''})`;
      return { tf, name, detail, skipped };
    } catch (e) {
      skipped.push(`${name}: ${reason(e)}${INSTALL[name] !== 'bundled' ? ` (${INSTALL[name]})` : ''}`);
    }
  }
  throw new Error(`no TensorFlow.js engine could start: ${skipped.join('; ')}`);
}

/** Engines to try for a device, best first. */
export function engineOrder(device: string, forced?: string): EngineName[] {
  if (forced) return [forced as EngineName];
  if (device.startsWith('cuda')) return ['tfjs-node-gpu'];
  return ['tfjs-node', 'tfjs-node-gpu', 'wasm', 'cpu'];
}

/** SIMD and thread count of the WASM backend, for the engine's description. */
async function wasmDetail(tf: Tf): Promise<string> {
  const simd = String(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threads = (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
  return `, SIMD ${simd}, threads ${threads}`;
}
