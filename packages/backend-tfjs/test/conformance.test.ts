import { runConformanceSuite } from '@tessera/core/conformance';
import { fixtureList } from '@tessera/fixtures';
import { backend } from '../src/index.js';

// The WASM engine, on every fixture: what CI and any machine without tfjs-node runs.
runConformanceSuite({
  backend,
  fixtures: fixtureList,
  createOptions: { threads: 2, backendOptions: { engine: 'wasm' } },
});
