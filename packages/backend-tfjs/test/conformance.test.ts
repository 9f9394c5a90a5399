import { runConformanceSuite } from '@tessera/core/conformance';
import { fixtures } from '@tessera/fixtures';
import { backend } from '../src/index.js';

// The WASM engine: what CI and any machine without tfjs-node runs.
runConformanceSuite({ backend, fixtures, createOptions: { threads: 2, backendOptions: { engine: 'wasm' } } });
