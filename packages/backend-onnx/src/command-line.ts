import { readFileSync } from 'node:fs';
import { TesseraError } from '@tessera/core';

/** Past this many bytes of /proc/self/cmdline, onnxruntime-node 1.30 crashed creating a session (seen from ~25 KB). */
export const CMDLINE_LIMIT = 24 * 1024;

/**
 * onnxruntime reads /proc/self/cmdline when it creates a session and overflows its stack on a
 * long command line: the process dies with SIGSEGV and no message. Refuse first, with a
 * TesseraError that says why and what to do (the tessera CLI re-runs itself and never hits this).
 */
export function checkCommandLine(
  read: () => Buffer | undefined = () => {
    try {
      return readFileSync('/proc/self/cmdline');
    } catch {
      return undefined;
    }
  },
): void {
  const bytes = read()?.length ?? 0;
  if (bytes > CMDLINE_LIMIT)
    throw new TesseraError(
      'BACKEND_FAILED',
      `this process's command line is ${bytes} bytes; onnxruntime-node crashes (segmentation fault) creating a ` +
        `session when it is longer than about 25 KB, because it parses /proc/self/cmdline recursively. Pass ` +
        `long texts through a file, stdin or an environment variable instead of arguments (the tessera CLI ` +
        `does this itself), or start the process that loads models with a shorter command line`,
      { bytes, limit: CMDLINE_LIMIT },
    );
}
