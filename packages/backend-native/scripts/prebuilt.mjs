// The addon built in the workspace travels in the package tarball as a prebuilt binary, with
// what it was linked against. Installing uses it when the same libtorch is found and it loads;
// otherwise the install compiles from source (build-addon.mjs).
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const builtAddon = join(root, 'build/Release/tessera_native.node');
export const prebuiltDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);

/** libtorch's version string from its headers, or undefined. */
export function libtorchVersion(torch) {
  for (const inc of torch.include) {
    const file = join(inc, 'torch/version.h');
    if (existsSync(file)) return readFileSync(file, 'utf8').match(/#define TORCH_VERSION\s*\\?\s*"([^"]+)"/)?.[1];
  }
  return undefined;
}

/** What the addon links against: compared at install time. */
export function linkTarget(torch) {
  return { lib: torch.lib, cuda: torch.cuda, version: libtorchVersion(torch) ?? 'unknown' };
}

/** Why the prebuilt binary does not fit the libtorch found here, or '' when it fits. */
export function mismatch(built, here) {
  if (!built) return 'no prebuilt addon for this platform';
  if (!here) return 'libtorch not found';
  for (const key of ['lib', 'version', 'cuda'])
    if (built[key] !== here[key]) return `built against ${key} ${built[key]}, this machine has ${here[key]}`;
  return '';
}

/** Copies the workspace's built addon into prebuilds/ (prepack); a no-op when none was built. */
export function savePrebuilt(torch) {
  if (!existsSync(builtAddon) || !torch) return false;
  mkdirSync(prebuiltDir, { recursive: true });
  copyFileSync(builtAddon, join(prebuiltDir, 'tessera_native.node'));
  writeFileSync(join(prebuiltDir, 'built-against.json'), `${JSON.stringify(linkTarget(torch), null, 2)}\n`);
  return true;
}

/** The prebuilt binary's link target, or undefined when the package carries none for here. */
export function readPrebuilt() {
  const meta = join(prebuiltDir, 'built-against.json');
  if (!existsSync(meta) || !existsSync(join(prebuiltDir, 'tessera_native.node'))) return undefined;
  return JSON.parse(readFileSync(meta, 'utf8'));
}
