#!/usr/bin/env bash
# Full test run: dependencies, the release plugin (the end-to-end harness in
# clang-tests/ loads target/release/libferment.so into clang, opt, flang and
# rustc), then every test in the workspace. Lints live in scripts/lint.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/deps.sh
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    PATH="$HOME/.cargo/bin:$PATH"
fi

echo "== cargo build --release -p ferment"
cargo build --release -p ferment

# The plugin must not depend on libLLVM: the host process provides LLVM.
if readelf -d target/release/libferment.so | grep -q 'NEEDED.*libLLVM'; then
    echo "test: target/release/libferment.so links libLLVM (it must not):" >&2
    readelf -d target/release/libferment.so | grep NEEDED >&2
    exit 1
fi

echo "== cargo test --workspace"
# A step that takes longer than this is a failure (a hang). The slowest step (Eigen at -O0)
# takes about 20 s alone; the margin is for loaded machines.
export FERMENT_E2E_TIMEOUT="${FERMENT_E2E_TIMEOUT:-180}"
cargo test --workspace

echo "== scripts/gpu-check.sh (CUDA kernels on a GPU; compiles them and says SKIP without one)"
bash scripts/gpu-check.sh

echo "== scripts/test-install.sh (install into a temporary prefix; CMake, pkg-config, cargo, .deb)"
bash scripts/test-install.sh
echo "test: ok"
