import { runConformanceSuite } from '@tessera/core/conformance';
import { fixtures } from '@tessera/fixtures';
import { backend } from '../src/index.js';

runConformanceSuite({ backend, fixtures });
