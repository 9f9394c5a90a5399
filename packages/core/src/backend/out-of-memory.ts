import { TesseraError, isTesseraError } from '../errors.js';

// What engines say when a batch does not fit: libtorch ("CUDA out of memory. Tried to allocate"),
// ONNX Runtime ("Failed to allocate memory", BFC arena), TensorFlow.js ("OOM when allocating"),
// WebAssembly ("Out of memory", a memory that cannot grow), the C++ runtime (std::bad_alloc).
const PATTERNS = new RegExp(
  [
    'out of memory',
    'failed to allocate',
    'OOM when allocating',
    'bad_alloc',
    'Cannot allocate memory',
    'Maximum memory size exceeded',
    'Array buffer allocation failed',
    'cudaErrorMemoryAllocation',
  ].join('|'),
  'i',
);

/** True for an engine's out-of-memory error, or a backend's OUT_OF_MEMORY TesseraError. */
export function isOutOfMemory(e: unknown): boolean {
  if (isTesseraError(e, 'OUT_OF_MEMORY')) return true;
  if (isTesseraError(e) && e.code !== 'BACKEND_FAILED') return false;
  const text = `${(e as Error)?.message ?? ''} ${String(((e as { cause?: Error })?.cause as Error | undefined)?.message ?? '')}`;
  return e instanceof RangeError ? /allocation|memory/i.test(text) : PATTERNS.test(text);
}

/** A single text that does not fit even alone: the error names it. */
export function textTooLarge(index: number, tokens: number, device: string, cause: unknown): TesseraError {
  return new TesseraError(
    'OUT_OF_MEMORY',
    `text ${index} (${tokens} tokens) does not fit in the memory of ${device} even alone ` +
      `(${String((cause as Error)?.message ?? cause).split('\n')[0]}); truncate it, free memory, or use a ` +
      `device with more`,
    { index, tokens, device },
    { cause },
  );
}
