import { runConformanceSuite } from '@tessera/core/conformance';
import { fixtures } from '@tessera/fixtures';
import { backend } from '../src/index.js';

// The example implements BERT only, so it runs the BERT fixtures (all three layouts).
runConformanceSuite({ backend, fixtures: { stanford: fixtures.stanford, pylate: fixtures.pylate, dense: fixtures.dense } });
