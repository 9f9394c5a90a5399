import { describe, expect, it } from 'vitest';
import * as backendKit from '../src/backend-kit.js';
import * as root from '../src/index.js';
import * as storeKit from '../src/store-kit.js';

describe("core's entries", () => {
  it("keeps the root entry to the user's API: at most 50 values", () => {
    expect(Object.keys(root).length).toBeLessThanOrEqual(50);
    for (const name of ['Tessera', 'TesseraError', 'maxSim', 'indexDocuments', 'searchIndex', 'registerBackend'])
      expect(root).toHaveProperty(name);
  });

  it("puts authors' helpers in @tessera/core/backend and /store, each name in one entry only", () => {
    const rootNames = new Set(Object.keys(root));
    for (const name of Object.keys(backendKit)) expect(rootNames.has(name), name).toBe(false);
    for (const name of Object.keys(storeKit)) expect(rootNames.has(name), name).toBe(false);
    for (const name of ['padBatch', 'readEncoderWeights', 'applyDenseLayers', 'erf', 'halfToFloat', 'BACKEND_CONTRACT'])
      expect(backendKit).toHaveProperty(name);
    for (const name of ['checkRecord', 'openManifest', 'parseRecord', 'planShards'])
      expect(storeKit).toHaveProperty(name);
  });
});
