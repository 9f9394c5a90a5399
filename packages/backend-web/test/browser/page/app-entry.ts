// The smallest app: what `import { Tessera } from '@tessera/core'` and the web backend add to a
// page's bundle (the bundle-size test measures it with onnxruntime-web left out).
import { Tessera } from '@tessera/core';
import '@tessera/backend-web';

Object.assign(globalThis, { Tessera });
