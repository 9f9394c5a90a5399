import { BACKEND_CONTRACT } from '@tessera/core/backend';
// A backend whose rows depend only on the token: the same token gives the same unit row, so
// MaxSim counts the query's tokens that a passage contains (an exact-match ranker). For tests
// of retrieval through the index, which the fixtures' random weights cannot rank. Named on the
// command line by its path (`--backend /abs/path/lexical-backend.mjs`).
export const backend = {
  name: 'lexical',
  priority: 0,
  contract: BACKEND_CONTRACT,
  devices: async () => [{ id: 'cpu', kind: 'cpu', available: true }],
  async load(spec) {
    return {
      device: 'cpu',
      engine: 'lexical',
      async forward(b) {
        const dim = spec.outputDim;
        const data = new Float32Array(b.batchSize * b.seqLen * dim);
        for (let i = 0; i < b.batchSize * b.seqLen; i++) {
          const id = b.inputIds[i];
          for (let c = 0; c < dim; c++) data[i * dim + c] = (Math.sin(id * 12.9898 + c * 78.233) * 43758.5453) % 1;
        }
        return { data, batchSize: b.batchSize, seqLen: b.seqLen, dim };
      },
      dispose: async () => undefined,
    };
  },
};
