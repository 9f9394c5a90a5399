import { MemoryStore, type Store } from '@tessera/core';

/**
 * A store package of the test's own (not LanceDB): core's MemoryStore behind openStore(), one
 * per location, shared by every open in this process, as a database is shared by its clients.
 */
const shared = new Map<string, MemoryStore>();

export async function openStore(location: string): Promise<Store> {
  let inner = shared.get(location);
  if (!inner) shared.set(location, (inner = new MemoryStore()));
  const s = inner;
  return {
    location,
    readManifest: () => s.readManifest(),
    writeManifest: (m) => s.writeManifest(m),
    add: (r) => s.add(r),
    upsert: (r, o) => s.upsert(r, o),
    entries: () => s.entries(),
    count: () => s.count(),
    search: (q, o) => s.search(q, o),
    documents: () => s.documents(),
    fetch: (ids) => s.fetch(ids),
    version: () => s.version(),
    artifacts: s.artifacts,
    keepsCodes: true,
    // A client closing its connection: the data stays for the others.
    close: async () => undefined,
  };
}

export function storeAt(location: string): MemoryStore | undefined {
  return shared.get(location);
}
