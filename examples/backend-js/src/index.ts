import { BACKEND_CONTRACT } from '@tessera/core/backend';
import type { Backend, LoadedModel } from '@tessera/core';
import { TesseraError } from '@tessera/core';
import { TsBert } from './bert.js';

/**
 * A complete Tessera backend in one file: it lists its devices, loads a model folder for one,
 * runs a padded batch forward, and disposes. Everything else (tokenizing, batching,
 * post-processing, scoring) is core's.
 */
let liveModels = 0;

export const backend: Backend = {
  name: 'js',
  priority: 1,
  contract: BACKEND_CONTRACT,
  async devices() {
    return [{ id: 'cpu', kind: 'cpu', available: true, detail: 'plain TypeScript on the JS thread' }];
  },
  // The files it loads from a hub repo, beside the configs, tokenizer and projection layers that
  // core fetches for every backend: the transformer's safetensors (never the repo's ONNX graphs).
  files(repo) {
    return [`${repo.transformerDir}model.safetensors`].filter((f) => repo.files.includes(f));
  },
  // Lets the conformance suite check that dispose() releases the model.
  resources() {
    return { models: liveModels };
  },
  async load(spec, options): Promise<LoadedModel> {
    if (options.device !== 'cpu')
      throw new TesseraError(
        'DEVICE_UNAVAILABLE',
        `device ${options.device}: the example backend runs on the cpu only`,
        { device: options.device },
      );
    let bert: TsBert | undefined = await TsBert.load(spec);
    liveModels++;
    return {
      device: 'cpu',
      engine: 'typescript reference',
      async forward(batch) {
        if (!bert) throw new TesseraError('DISPOSED', 'the model was disposed', {});
        // A fresh output array each call: core may still be reading the previous one.
        const { data, dim } = bert.forward(batch);
        return { data, dim, batchSize: batch.batchSize, seqLen: batch.seqLen };
      },
      async dispose() {
        if (!bert) return;
        bert = undefined; // the weights go with it
        liveModels--;
      },
    };
  },
};

export default backend;
