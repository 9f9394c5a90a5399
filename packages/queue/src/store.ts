import { pathToFileURL } from 'node:url';
import { TesseraError, type Store } from '@tessera/core';

/** The store package a run writes with unless it names another. */
export const DEFAULT_STORE = '@tessera/store-lancedb';

/** What a store package exports for the queue: open (or create) the index at a location. */
export interface StorePackage {
  openStore(location: string): Promise<Store>;
}

/** A package name, or a module's path or file URL (a store of one's own, not published). */
function specifier(store: string): string {
  if (store.startsWith('file:') || !(store.startsWith('.') || store.startsWith('/'))) return store;
  return pathToFileURL(store).href;
}

/**
 * Opens the index at `location` with a store package: the queue writes through core's Store
 * interface only, so any package that exports `openStore(location)` serves (LanceDB by default).
 */
export async function openStoreWith(store: string, location: string): Promise<Store> {
  let mod: Partial<StorePackage>;
  try {
    mod = (await import(specifier(store))) as Partial<StorePackage>;
  } catch (e) {
    throw new TesseraError(
      'STORE_FAILED',
      `store package ${store} cannot be loaded: ${(e as Error).message}. Install it where the workers run`,
      { store },
      { cause: e },
    );
  }
  if (typeof mod.openStore !== 'function')
    throw new TesseraError(
      'STORE_FAILED',
      `${store} does not export openStore(location), the function the queue opens an index with`,
      { store },
    );
  return mod.openStore(location);
}
