import { runConformanceSuite } from '@tessera/core/conformance';
import { fixtureList } from '@tessera/fixtures';
import { backend } from '../src/index.js';

// The example implements BERT only: every BERT fixture runs (three layouts, settings variants), and
// the suite checks that the other architectures are refused with a clear error.
const notBert = 'the example implements the BERT encoder only';
runConformanceSuite({
  backend,
  fixtures: fixtureList,
  unsupported: { distilbert: notBert, roberta: notBert, 'xlm-roberta': notBert, modernbert: notBert },
});
