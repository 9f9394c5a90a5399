export { startFakeHub, type FakeHub, type FakeHubRepo, type FakeRepoBehaviour } from './fake-hub.js';
export { writeSyntheticColbert, SYNTHETIC_SHAPES, type SyntheticShape, type BertWeights } from './synthetic.js';
export { collectOutcomes, type SuiteOutcome } from './harness.js';
export { emptyProject, installFromTarballs, packTarballs, tarballProblems } from './install.js';
export { fakeDevicesBackend, type FakeDevicesOptions } from './fake-devices.js';
export { errorOf } from './errors.js';
export { syntheticColbertCorpus, type SyntheticCorpus, type SyntheticCorpusOptions } from './synthetic-corpus.js';
