import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findLibtorch } from '../../scripts/find-libtorch.mjs';
import { installAndEncode } from '../installed-project.js';

const workspaceAddon = fileURLToPath(new URL('../../build/Release/tessera_native.node', import.meta.url));

/**
 * The tarball carries the workspace's addon as a prebuilt binary; installing where the same
 * libtorch is found uses it without compiling. Compiling at install time (no prebuilt fits) is
 * from-source.test.ts beside this file; both run in `pnpm test:install`, which CI runs after the suite.
 */
describe('installing @tessera/core and @tessera/backend-native from tarballs with npm', () => {
  it('uses the prebuilt addon where its libtorch is found, or installs cleanly and explains', () => {
    const installed = installAndEncode({});
    const addon = join(installed, 'build/Release/tessera_native.node');
    if (findLibtorch() && existsSync(workspaceAddon)) {
      expect(readFileSync(addon).equals(readFileSync(workspaceAddon))).toBe(true);
      expect(existsSync(join(installed, 'build/Makefile'))).toBe(false);
    } else expect(existsSync(addon)).toBe(false);
  }, 300_000);
});
