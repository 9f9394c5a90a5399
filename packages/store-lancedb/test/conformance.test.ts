import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStoreConformanceSuite } from '@tessera/core/conformance';
import { LanceDbStore } from '../src/index.js';

runStoreConformanceSuite({
  name: 'lancedb',
  open: () => LanceDbStore.open(join(mkdtempSync(join(tmpdir(), 'tessera-lancedb-')), 'index')),
  reopen: (closed) => LanceDbStore.open(closed.location),
  filter: { equals: (key, value) => `json_get_string(metadata, '${key}') = '${value}'`, invalid: 'color = = red' },
});
