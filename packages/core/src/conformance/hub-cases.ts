import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectFiles } from '../hub/resolve-model.js';
import { Tessera } from '../tessera.js';
import { startFakeHub } from '../testing/fake-hub.js';
import { expect, fail } from './check.js';
import type { CaseContext } from './context.js';

/** Every file under a fixture folder, as hub paths. */
async function listing(hub: { endpoint: string }, repo: string): Promise<string[]> {
  const res = await fetch(`${hub.endpoint}/api/models/${repo}/revision/main`);
  const body = (await res.json()) as { siblings: Array<{ rfilename: string }> };
  return body.siblings.map((s) => s.rfilename);
}

/**
 * From the hub, for every backend: a fixture served by a local fake hub loads by its repo id,
 * core fetches exactly what every backend needs plus the weight files the backend names (its
 * files(), or the safetensors weights), and the model encodes as the folder does.
 */
export function hubCases(c: CaseContext, fixture: { name: string; dir: string }): void {
  const { it, describe } = c.harness;
  describe(`${c.backendName} conformance: from the hub (${fixture.name})`, () => {
    it('fetches the files the backend declares (and no others) and encodes as from the folder', async () => {
      const repo = `conformance/${fixture.name}`;
      const hub = await startFakeHub([{ id: repo, dir: fixture.dir }]);
      const cacheDir = mkdtempSync(join(tmpdir(), 'tessera-conformance-hub-'));
      try {
        const files = c.backend.files?.bind(c.backend);
        const want = selectFiles(await listing(hub, repo), files);
        const from = hub.log.length;
        const t = await Tessera.create({
          model: repo,
          backend: c.backend,
          device: c.device,
          hub: { endpoint: hub.endpoint, cacheDir },
        });
        const asked = hub.log
          .slice(from)
          .map((l) => l.match(/^HEAD \/[^/]+\/[^/]+\/resolve\/[^/]+\/(\S+)/)?.[1])
          .filter((f): f is string => !!f)
          .sort();
        const named = files ? "the backend's files()" : 'no files(): the safetensors weights';
        expect(
          asked,
          `${c.backendName} from the hub: the files fetched (${named}, plus configs, tokenizer, projection)`,
        ).toEqual(want);
        const local = await c.create(fixture.dir);
        try {
          const [a] = await t.encodeDocuments(['the same text from the hub and from the folder']);
          const [b] = await local.encodeDocuments(['the same text from the hub and from the folder']);
          if (!a || !b || a.data.length !== b.data.length || a.data.some((x, i) => x !== b.data[i]))
            fail(`${c.backendName}: the model fetched from the hub encodes differently from its folder`);
        } finally {
          await local.dispose();
          await t.dispose();
        }
      } finally {
        await hub.close();
        rmSync(cacheDir, { recursive: true, force: true });
      }
    });
  });
}
