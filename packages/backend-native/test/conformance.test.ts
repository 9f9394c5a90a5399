import { describe, expect, it } from 'vitest';
import { runConformanceSuite } from '@tessera/core/conformance';
import { fixtures } from '@tessera/fixtures';
import { backend, loadAddon } from '../src/index.js';

const { addon, error } = loadAddon();

// CI installs libtorch (scripts/setup.sh), so there the addon must exist and the suite must run.
describe('native addon', () => {
  it('is built wherever libtorch is installed (always in CI)', () => {
    if (process.env.CI || process.env.TESSERA_NATIVE_REQUIRE_BUILD === '1') expect(error).toBeUndefined();
    if (!addon) expect(error).toMatch(/apt-get install libtorch-dev/);
  });
});

if (addon) runConformanceSuite({ backend, fixtures, device: process.env.TESSERA_TEST_DEVICE ?? 'cpu', createOptions: { threads: 2 } });
