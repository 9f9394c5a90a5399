import { describe, expect, it } from 'vitest';
import { runConformanceSuite } from '@tessera/core/conformance';
import { fixtureList } from '@tessera/fixtures';
import { backend, loadAddon } from '../src/index.js';

const { addon, error } = loadAddon();

if (addon)
  runConformanceSuite({
    backend,
    fixtures: fixtureList,
    device: process.env.TESSERA_TEST_DEVICE ?? 'cpu',
    createOptions: { threads: 2 },
  });
else {
  // Said in the test output, not silently: without libtorch the suite cannot run here. CI installs
  // libtorch (scripts/setup.sh), so there this fails.
  describe('native conformance', () => {
    it(`did NOT run: the addon is not built (${error})`, () => {
      expect(process.env.CI || process.env.TESSERA_NATIVE_REQUIRE_BUILD === '1' ? error : undefined).toBeUndefined();
    });
  });
}
