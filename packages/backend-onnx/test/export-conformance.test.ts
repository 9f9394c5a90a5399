import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runConformanceSuite } from '@tessera/core/conformance';
import { fixtureList } from '@tessera/fixtures';
import { backend } from '../src/index.js';

// Every fixture without its ONNX graph: the backend exports one from the safetensors weights on
// the first load (into a private cache), and the suite checks the exported graphs' ids, masks and
// rows against the reference libraries' goldens, for every architecture.
const root = mkdtempSync(join(tmpdir(), 'tessera-exported-'));
process.env.TESSERA_CACHE = join(root, 'cache');
const exported = fixtureList.map((f) => {
  const dir = join(root, f.name);
  cpSync(f.dir, dir, { recursive: true, filter: (src) => basename(src) !== 'onnx' });
  return { ...f, dir };
});

runConformanceSuite({ backend, fixtures: exported, createOptions: { threads: 2 } });
