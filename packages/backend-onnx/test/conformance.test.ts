import { runConformanceSuite } from '@tessera/core/conformance';
import { fixtureList } from '@tessera/fixtures';
import { backend } from '../src/index.js';

// Every fixture: ONNX Runtime runs any exported graph (BERT, DistilBERT, RoBERTa, XLM-RoBERTa, ModernBERT).
runConformanceSuite({ backend, fixtures: fixtureList, createOptions: { threads: 2 } });
