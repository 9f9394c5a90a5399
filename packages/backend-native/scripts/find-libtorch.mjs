// Finds a libtorch installation: LIBTORCH, then CMAKE_PREFIX_PATH entries, then Debian's libtorch-dev.
// `node find-libtorch.mjs include|lib|libs|root` prints what binding.gyp needs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

function candidates() {
  const out = [];
  if (process.env.LIBTORCH) out.push(process.env.LIBTORCH);
  for (const p of (process.env.CMAKE_PREFIX_PATH ?? '').split(':').filter(Boolean))
    out.push(p.replace(/\/share\/cmake\/Torch\/?$/, ''));
  out.push('/usr');
  return out;
}

/** { root, include: [...], lib } of the first libtorch found, or undefined. */
export function findLibtorch() {
  for (const root of candidates()) {
    const include = [join(root, 'include'), join(root, 'include/torch/csrc/api/include')];
    const libDirs = [join(root, 'lib'), join(root, 'lib/x86_64-linux-gnu'), join(root, 'lib/aarch64-linux-gnu')];
    const lib = libDirs.find((d) => existsSync(join(d, 'libtorch.so')) || existsSync(join(d, 'libtorch.dylib')));
    if (lib && existsSync(join(include[1], 'torch/torch.h'))) {
      const cuda = existsSync(join(lib, 'libtorch_cuda.so'));
      return { root, include, lib, cuda };
    }
  }
  return undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t = findLibtorch();
  const what = process.argv[2];
  if (!t) process.exit(1);
  if (what === 'include') console.log(t.include.join(' '));
  else if (what === 'lib') console.log(t.lib);
  else if (what === 'libs')
    console.log(
      [
        '-ltorch',
        '-ltorch_cpu',
        '-lc10',
        ...(t.cuda ? ['-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed'] : []),
      ].join(' '),
    );
  else console.log(JSON.stringify(t));
}
