// npm install: use the prebuilt addon when it was linked against the libtorch found here and
// loads; otherwise build from source (build-addon.mjs explains when libtorch is missing).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findLibtorch } from './find-libtorch.mjs';
import { builtAddon, linkTarget, mismatch, prebuiltDir, readPrebuilt } from './prebuilt.mjs';

const say = (m) => console.log(`@tessera/backend-native: ${m}`);
const torch = findLibtorch();
const prebuilt = readPrebuilt();
// In the workspace (no prebuilt shipped) keep `pnpm install` quick: compile only what changed.
if (!prebuilt && process.env.TESSERA_NATIVE_FROM_SOURCE !== '1') {
  await import('./build-if-stale.mjs');
  process.exit(0);
}
const why =
  process.env.TESSERA_NATIVE_FROM_SOURCE === '1'
    ? 'TESSERA_NATIVE_FROM_SOURCE=1'
    : mismatch(prebuilt, torch && linkTarget(torch));
if (!why) {
  mkdirSync(dirname(builtAddon), { recursive: true });
  copyFileSync(join(prebuiltDir, 'tessera_native.node'), builtAddon);
  const load = spawnSync(process.execPath, ['-e', 'process.dlopen({ exports: {} }, process.argv[1])', builtAddon], {
    encoding: 'utf8',
  });
  if (load.status === 0) {
    say(`using the prebuilt addon (libtorch ${torch.lib})`);
    process.exit(0);
  }
  rmSync(builtAddon, { force: true });
  say(`the prebuilt addon does not load here (${load.stderr.trim().split('\n')[0]}); building from source`);
} else if (torch) say(`building from source: ${why}`);
await import('./build-addon.mjs');
