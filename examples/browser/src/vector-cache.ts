import type { TokenEmbeddings } from '@tessera/core';

// IndexedDB, one object per passage: its rows under a key that names the model and the text,
// so another model or an edited passage is encoded again rather than read stale.
const DB = 'tessera-example';
const STORE = 'vectors';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** A short stable key for a text (FNV-1a), enough to notice an edited passage. */
export function textKey(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

export async function readVectors(keys: string[]): Promise<Array<TokenEmbeddings | undefined>> {
  const db = await open();
  const tx = db.transaction(STORE, 'readonly');
  const store = tx.objectStore(STORE);
  const out = await Promise.all(
    keys.map(
      (k) =>
        new Promise<TokenEmbeddings | undefined>((resolve, reject) => {
          const req = store.get(k);
          req.onsuccess = () => resolve(req.result as TokenEmbeddings | undefined);
          req.onerror = () => reject(req.error);
        }),
    ),
  );
  db.close();
  return out;
}

export async function writeVectors(entries: Array<[string, TokenEmbeddings]>): Promise<void> {
  const db = await open();
  const tx = db.transaction(STORE, 'readwrite');
  for (const [k, v] of entries) tx.objectStore(STORE).put(v, k);
  await done(tx);
  db.close();
}

export async function forgetVectors(): Promise<void> {
  const db = await open();
  const tx = db.transaction(STORE, 'readwrite');
  tx.objectStore(STORE).clear();
  await done(tx);
  db.close();
}
