#!/usr/bin/env bash
# Sets up a fresh machine for Tessera: system packages (when root with apt), pnpm, dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.4.2
# System packages: libtorch and its build tools for the native backend (without them that backend
# skips its build and the rest still works), redis-server, which the queue tests start
# privately on a loopback port, and chromium, in which the browser backend's tests run (without
# either, those tests fail, saying so).
APT_PACKAGES=(libtorch-dev libopenblas0-pthread cmake g++ make python3 redis-server chromium)

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && [ "${TESSERA_SKIP_APT:-}" != 1 ]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm@$PNPM_VERSION"
  npm i -g "pnpm@$PNPM_VERSION" --silent >/dev/null 2>&1 || npm i -g "pnpm@$PNPM_VERSION"
fi

# onnxruntime-node's install script would download CUDA libraries; it stays off (CPU is bundled).
export ONNXRUNTIME_NODE_INSTALL=skip
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | tail -n 5
