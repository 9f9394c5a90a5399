import { runConformanceSuite } from '@tessera/core/conformance';
import { fixtureList } from '@tessera/fixtures';
import { backend, loadAddon } from '../src/index.js';
import { reportMissingAddon } from './missing-addon.js';

const { addon, error } = loadAddon();

if (addon)
  runConformanceSuite({
    backend,
    fixtures: fixtureList,
    device: process.env.TESSERA_TEST_DEVICE ?? 'cpu',
    createOptions: { threads: 2 },
  });
else reportMissingAddon('native conformance', error);
