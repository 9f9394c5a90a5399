// Builds the libtorch addon when libtorch is present; otherwise explains what to install and
// exits 0, so that installing Tessera never fails for users of other backends.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLibtorch } from './find-libtorch.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const say = (m) => console.log(`@tessera/backend-native: ${m}`);

if (process.env.TESSERA_NATIVE_SKIP_BUILD === '1') {
  say('build skipped (TESSERA_NATIVE_SKIP_BUILD=1)');
  process.exit(0);
}
const torch = findLibtorch();
if (!torch) {
  say('libtorch not found, so the native addon was not built. The other backends are unaffected.');
  say(
    'To use this backend: on Debian/Ubuntu `apt-get install libtorch-dev libopenblas0-pthread`, or unpack ' +
      'libtorch from pytorch.org and set LIBTORCH=/path/to/libtorch, then run `npm rebuild ' +
      '@tessera/backend-native`.',
  );
  process.exit(0);
}
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  say('node-gyp is missing; reinstall the package');
  process.exit(0);
}
// Node's own headers ship with Debian's nodejs at /usr/include/node; elsewhere node-gyp fetches them.
const nodedir =
  process.env.npm_config_nodedir ??
  (existsSync(join(dirname(process.execPath), '..', 'include', 'node', 'node_api.h'))
    ? join(dirname(process.execPath), '..')
    : undefined);
say(`building against libtorch in ${torch.root}${torch.cuda ? ' (CUDA)' : ''}`);
const args = [
  gyp,
  'rebuild',
  `--jobs=${process.env.TESSERA_BUILD_JOBS ?? 'max'}`,
  ...(nodedir ? [`--nodedir=${nodedir}`] : []),
];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  say('the native addon failed to build (output above). The other backends are unaffected.');
  process.exit(process.env.TESSERA_NATIVE_REQUIRE_BUILD === '1' ? 1 : 0);
}
say('built build/Release/tessera_native.node');
