// Which model the examples run: TESSERA_MODEL, else the bundled test checkpoint (CI has no hub).
import { fixtures } from '@tessera/fixtures';

export const model = process.env.TESSERA_MODEL ?? fixtures.pylate;
