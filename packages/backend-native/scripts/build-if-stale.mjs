// `pnpm build` in the workspace: rebuild the addon only when its sources are newer than the binary.
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binary = join(root, 'build/Release/tessera_native.node');
const sources = [
  'native/addon.cc',
  'native/model.cc',
  'native/bert.cc',
  'native/modernbert.cc',
  'native/scorer.cc',
  'native/scorer.h',
  'native/device.h',
  'native/model.h',
  'binding.gyp',
].map((f) => join(root, f));
const stale = !existsSync(binary) || sources.some((s) => statSync(s).mtimeMs > statSync(binary).mtimeMs);
if (stale) await import('./build-addon.mjs');
