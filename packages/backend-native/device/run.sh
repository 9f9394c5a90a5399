#!/usr/bin/env bash
# On the GPU machine, from the repository root: build the addon against PyTorch's libtorch,
# run the conformance suite on cuda:0, then CUDA vs CPU throughput.
set -uo pipefail
root=$(pwd)
dev="$root/.device"
mkdir -p /tmp/node/bin && xz -dc "$dev/node/node.xz" > /tmp/node/bin/node && chmod +x /tmp/node/bin/node
export PATH=/tmp/node/bin:$PATH
echo "node $(node --version)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
torch_dir=$(python3 -c "import torch, os; print(os.path.dirname(torch.__file__))")
echo "torch $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)') at $torch_dir"
pkg="$dev/node_modules/@tessera/backend-native"
start=$(date +%s)
cmake -S "$pkg" -B /tmp/tessera-build -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_dir/share/cmake" \
  -DNODE_INCLUDE_DIR="$dev/node/include" -DNODE_ADDON_API_DIR="$dev/node_modules/node-addon-api" \
  -DTESSERA_OUT_DIR="$pkg/build/Release" > /tmp/cmake.log 2>&1 || { tail -40 /tmp/cmake.log; exit 1; }
cmake --build /tmp/tessera-build -j16 > /tmp/build.log 2>&1 || { tail -60 /tmp/build.log; exit 1; }
echo "addon built in $(( $(date +%s) - start ))s"
export LD_LIBRARY_PATH="$torch_dir/lib:${LD_LIBRARY_PATH:-}"
cd "$dev"
node -e "console.log(require('./node_modules/@tessera/backend-native/build/Release/tessera_native.node').deviceInfo())"
TESSERA_FIXTURES="$root/fixtures" TESSERA_DEVICE=cuda:0 node --test --test-reporter=spec gpu-conformance.mjs 2>&1 | tail -40
TESSERA_FIXTURES="$root/fixtures" node gpu-throughput.mjs 2>&1 | tee "${OUT:-/tmp}/throughput.txt"
