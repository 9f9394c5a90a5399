/** The error a promise (or function) fails with; fails the test when it succeeds. */
export async function errorOf(
  p: Promise<unknown> | (() => unknown),
): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected an error');
}
