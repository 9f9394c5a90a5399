import { runStoreConformanceSuite } from '../src/conformance/index.js';
import { MemoryStore } from '../src/index.js';

// The reference store runs the suite every store package runs.
runStoreConformanceSuite({ name: 'memory', open: async () => new MemoryStore() });
