import { cudaMemory, cudaTokenBudget } from '../backend/gpu-memory.js';
import { registerBackend, resolveAutoBackend, resolveBackend } from '../backend/registry.js';
import { TesseraError } from '../errors.js';
import { resolveModel } from '../hub/resolve-model.js';
import { loadModelSpec } from '../model/load-local.js';
import type { Platform } from './types.js';

/** Tessera.create in Node: installed backend packages, folders on disk and the hub, CUDA memory. */
export const platform: Platform = {
  registerBackend,

  async chooseBackend(name, warn) {
    if (name && name !== 'auto') return resolveBackend(name);
    const { backend, broken } = await resolveAutoBackend();
    for (const p of broken)
      warn(
        `backend auto: ${p.name} (${p.packageName}) is installed but failed to load, so ${backend.name} runs instead: ${p.message}`,
      );
    return backend;
  },

  async openModel(options, backend) {
    if (options.files)
      throw new TesseraError('INVALID_OPTION', 'files (a model held in memory) is for browsers; in Node give model', {
        field: 'files',
      });
    const resolved = await resolveModel(options.model, {
      files: backend.files?.bind(backend),
      dtype: options.dtype,
      revision: options.revision,
      hub: options.hub,
      onProgress: options.onDownloadProgress,
    });
    const spec = await loadModelSpec(resolved.dir, {
      colbert: options.colbert,
      dimensions: options.dimensions ?? resolved.entry?.dimensions,
    });
    const ref =
      resolved.source === 'local'
        ? resolved.dir
        : resolved.entry
          ? resolved.entry.id
          : `${resolved.repo}${resolved.revision && resolved.revision !== 'main' ? `@${resolved.revision}` : ''}`;
    return { spec, ref };
  },

  // On CUDA the budget comes from the free memory once the weights are loaded (the smallest of a pool's).
  async memoryBudget(models, spec, dtypeBytes) {
    const free: Array<{ device: string; tokens: number; freeBytes: number }> = [];
    for (const m of models) {
      const index = /^cuda:(\d+)$/.exec(m.device)?.[1];
      const mem = index === undefined ? undefined : await cudaMemory(Number(index));
      if (mem)
        free.push({ device: m.device, tokens: cudaTokenBudget(spec, mem, dtypeBytes), freeBytes: mem.freeBytes });
    }
    if (!free.length) return undefined;
    const least = free.reduce((a, b) => (b.tokens < a.tokens ? b : a));
    return {
      tokens: least.tokens,
      note: `${least.tokens} tokens from ${(least.freeBytes / 2 ** 30).toFixed(1)} GiB free on ${least.device}`,
    };
  },
};
