#!/usr/bin/env bash
# On the GPU machine, from the repository root, in one go: build the addon against PyTorch's
# libtorch (CMake), run core's conformance suite on cuda:0 (float32, every fixture), then the
# fp16 / bf16 agreement and docs/s of the native backend beside sentence-transformers 6
# MultiVectorEncoder (PyTorch) on the same card, same corpus, same dtypes and batch sizes.
# Everything goes to $OUT: gpu.log, conformance.txt, tessera-gpu.json, reference-<shape>.json.
set -uo pipefail
root=$(pwd)
dev="$root/.device"
OUT=${OUT:-/tmp/tessera-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu.log") 2>&1
step() { echo "== $(date +%T) $*"; }

step "node"
if [ -f "$dev/node/node.xz" ]; then
  mkdir -p /tmp/node/bin && xz -dc "$dev/node/node.xz" > /tmp/node/bin/node && chmod +x /tmp/node/bin/node
  export PATH=/tmp/node/bin:$PATH
fi
node --version || { echo "no node"; exit 1; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c 'import torch, sentence_transformers as st; print("torch", torch.__version__, "cuda", torch.version.cuda, "sentence-transformers", st.__version__)'
torch_dir=$(python3 -c "import torch, os; print(os.path.dirname(torch.__file__))")

step "build the addon against $torch_dir"
pkg="$dev/node_modules/@tessera/backend-native"
start=$(date +%s)
cmake -S "$pkg" -B /tmp/tessera-build -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_dir/share/cmake" \
  -DNODE_INCLUDE_DIR="$dev/node/include" -DNODE_ADDON_API_DIR="$dev/node_modules/node-addon-api" \
  -DTESSERA_OUT_DIR="$pkg/build/Release" > /tmp/cmake.log 2>&1 || { tail -40 /tmp/cmake.log; exit 1; }
cmake --build /tmp/tessera-build -j"$(nproc)" > /tmp/build.log 2>&1 || { tail -60 /tmp/build.log; exit 1; }
echo "addon built in $(( $(date +%s) - start ))s"
export LD_LIBRARY_PATH="$torch_dir/lib:${LD_LIBRARY_PATH:-}"
cd "$dev"
node -e "const a = require('./node_modules/@tessera/backend-native/build/Release/tessera_native.node'); console.log(a.deviceInfo(), 'fp16:', a.dtypeSupport('cuda:0', 'fp16') || 'ok', 'bf16:', a.dtypeSupport('cuda:0', 'bf16') || 'ok')"

if [ "${TESSERA_STEPS:-all}" = scorer ]; then
  step "scorer: MaxSim through libtorch on the GPU (t.scorer), 1 and 64 queries, against core's kernel"
  TESSERA_ROOT="$root" OUT="$OUT" node gpu-scorer.mjs
  step "done"
  exit 0
fi

if [ "${TESSERA_STEPS:-all}" = serving ]; then
  step "serving: @tessera/server on the GPU against offline encodeDocuments and direct calls"
  TESSERA_ROOT="$root" OUT="$OUT" node gpu-serving.mjs
  step "done"
  exit 0
fi

if [ "${TESSERA_STEPS:-all}" = memory ]; then
  step "memory: devices 'all', the budget from free memory, out-of-memory splitting"
  TESSERA_ROOT="$root" OUT="$OUT" node gpu-memory.mjs
  step "done"
  exit 0
fi

step "conformance suite on ${TESSERA_DEVICE:-cuda:0}, float32, every fixture"
TESSERA_ROOT="$root" TESSERA_DEVICE=${TESSERA_DEVICE:-cuda:0} node --test --test-reporter=spec gpu-conformance.mjs > "$OUT/conformance.txt" 2>&1
echo "conformance exit $?"
grep -E "^ℹ (tests|pass|fail|duration)" "$OUT/conformance.txt"
grep -B2 -A8 "not ok\|✖" "$OUT/conformance.txt" | head -60
if [ "${TESSERA_STEPS:-all}" = conformance ]; then step "done"; exit 0; fi

step "Tessera: agreement and docs/s"
TESSERA_ROOT="$root" TESSERA_DEVICE=${TESSERA_DEVICE:-cuda:0} OUT="$OUT" node gpu-bench.mjs

for shape in ${TESSERA_SHAPES:-small base}; do
  step "PyTorch reference (sentence-transformers MultiVectorEncoder), $shape"
  python3 "$root/bench/python/multivector.py" "/tmp/tessera-gpu/$shape" "$root/bench/corpus/passages.jsonl" --device "${TESSERA_REF_DEVICE:-cuda}" --limit "${TESSERA_DOCS:-0}" \
    --dtypes "${TESSERA_DTYPES:-fp32,fp16,bf16}" --batch-sizes "${TESSERA_BATCHES:-16,32,64,128,256}" --repetitions 2 \
    --compare "/tmp/tessera-gpu/$shape/tessera-fp32-rows.json" --out "$OUT/reference-$shape.json" 2>&1 | grep -v -i "warn\|LOAD REPORT\|MISSING\|^Key\|^---\|^Notes\|^- \|^$"
done
step "done"
