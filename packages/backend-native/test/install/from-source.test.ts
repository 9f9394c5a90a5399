import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLibtorch } from '../../scripts/find-libtorch.mjs';
import { installAndEncode } from '../installed-project.js';

/**
 * Where no prebuilt binary fits (forced here with TESSERA_NATIVE_FROM_SOURCE=1), the install
 * script compiles the addon against the libtorch it finds. Minutes of C++: `pnpm test:install`.
 */
describe('installing @tessera/backend-native from its tarball, compiling the addon', () => {
  it('builds the addon at install time (libtorch present) or installs cleanly and explains (absent)', () => {
    const installed = installAndEncode({ TESSERA_NATIVE_FROM_SOURCE: '1', TESSERA_BUILD_JOBS: '2' });
    expect(existsSync(join(installed, 'build/Makefile'))).toBe(!!findLibtorch());
    // A limit for a hang, not a speed check: compiling against libtorch took 5 minutes on 2 cores
    // and passed 10 on one core shared with other tests.
  }, 1_800_000);
});
