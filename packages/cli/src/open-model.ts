import { Tessera } from '@tessera/core';
import { intOption } from './args.js';

export interface ModelFlags {
  model?: string;
  backend?: string;
  device?: string;
  threads?: string;
  dtype?: string;
  dim?: string;
  strict?: boolean;
  offline?: boolean;
  quiet?: boolean;
}

/** Opens a model from command-line flags; warnings and download progress go to stderr. */
export async function openModel(
  values: Record<string, unknown>,
  extra: { batchSize?: number; maxTokens?: number } = {},
): Promise<Tessera> {
  const v = values as ModelFlags;
  const quiet = !!v.quiet;
  let lastFile = '';
  const t = await Tessera.create({
    model: v.model,
    backend: v.backend ?? 'auto',
    device: v.device ?? 'auto',
    threads: intOption(values, 'threads'),
    dtype: v.dtype,
    dimension: intOption(values, 'dim'),
    strict: !!v.strict,
    hub: v.offline ? { offline: true } : {},
    batch: {
      ...(extra.batchSize ? { maxBatchSize: extra.batchSize } : {}),
      ...(extra.maxTokens ? { maxTokens: extra.maxTokens } : {}),
    },
    onWarning: (w) => {
      if (!quiet) process.stderr.write(`warning: ${w}\n`);
    },
    onDownloadProgress: (p) => {
      if (quiet || !process.stderr.isTTY) return;
      if (p.file !== lastFile) lastFile = p.file;
      const pct = p.total ? ` ${((100 * p.loaded) / p.total).toFixed(0)}%` : '';
      process.stderr.write(`\r\x1b[2Kdownloading ${p.file}${pct} (${(p.loaded / 1e6).toFixed(1)} MB)`);
      if (p.total && p.loaded >= p.total) process.stderr.write('\r\x1b[2K');
    },
  });
  return t;
}
