import { runConformanceSuite } from '@tessera/core/conformance';
import { fixtureList } from '@tessera/fixtures';
import { backend } from '../src/index.js';

// Every fixture through onnxruntime-web's WebAssembly engine in Node (its Node build runs the
// same wasm as a page); test/browser.test.ts runs the suite again inside Chromium.
runConformanceSuite({ backend, fixtures: fixtureList, createOptions: { threads: 1 } });
