/** Why a file write failed, in words a user acts on (disk full, file size limit, quota), else the error's message. */
export function writeFailureReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why =
    code === 'ENOSPC'
      ? 'no space left on the device'
      : code === 'EFBIG'
        ? 'the file size limit was reached'
        : code === 'EDQUOT'
          ? 'the disk quota was reached'
          : String((e as Error)?.message ?? e);
  return `${why} (${code ?? 'error'})`;
}
