// Preloaded with `node --require` by a test: makes require('onnxruntime-node') throw as a broken
// install does (a binding that fails to load), so the test can read what `tessera backends` and
// `--backend auto` say about it.
const Module = require('node:module');

const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'onnxruntime-node') {
    const e = new Error('onnxruntime-node: the binding failed to load (broken on purpose by the test)');
    e.code = 'ERR_DLOPEN_FAILED';
    throw e;
  }
  return load.call(this, request, ...rest);
};
