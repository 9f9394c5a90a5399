import { describe, it } from 'vitest';

/**
 * Says in the output that a suite could not run because the addon is not built. Where the addon
 * is required (CI, which installs libtorch through scripts/setup.sh, or
 * TESSERA_NATIVE_REQUIRE_BUILD=1) that is a failure; elsewhere the test is counted as skipped,
 * never as passed.
 */
export function reportMissingAddon(suite: string, error: string | undefined): void {
  const required = !!process.env.CI || process.env.TESSERA_NATIVE_REQUIRE_BUILD === '1';
  const title = `did NOT run: the addon is not built (${error}); as root, scripts/setup.sh installs libtorch and builds it`;
  describe(suite, () => {
    if (required)
      it(title, () => {
        throw new Error(`the native addon is required here and is not built: ${error}`);
      });
    else it.skip(title, () => undefined);
  });
}
