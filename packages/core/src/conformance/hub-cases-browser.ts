import type { CaseContext } from './context.js';

/**
 * In a page there is no hub cache to download into: models come from a URL (fetchModelFiles,
 * checked by the page tests of @tessera/backend-web), so the hub cases are Node's alone.
 */
export function hubCases(_c: CaseContext, _fixture: { name: string; dir: string }): void {}
