// `pnpm pack` / `npm pack`: put the workspace's addon in the tarball as a prebuilt binary.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { findLibtorch } from './find-libtorch.mjs';
import { root, savePrebuilt } from './prebuilt.mjs';

rmSync(join(root, 'prebuilds'), { recursive: true, force: true });
savePrebuilt(findLibtorch());
