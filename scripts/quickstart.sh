#!/usr/bin/env bash
# Quick start: install dependencies, build the plugin, then build and run two
# C examples with it (runtime/examples/relu3.c and multi.c). Each example
# prints primal values, the derivatives ferment generated, and the analytic
# derivatives beside them; it exits non-zero on a mismatch.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/deps.sh
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    PATH="$HOME/.cargo/bin:$PATH"
fi

echo "== cargo build --release -p ferment"
cargo build --release -p ferment
PLUGIN="$PWD/target/release/libferment.so"
if [ ! -f "$PLUGIN" ]; then
    echo "quickstart: $PLUGIN was not built" >&2
    exit 1
fi

OUT=target/ferment-examples
mkdir -p "$OUT"
for example in relu3 multi; do
    echo
    echo "== clang-22 -O2 -fpass-plugin=target/release/libferment.so runtime/examples/$example.c"
    clang-22 -O2 -fpass-plugin="$PLUGIN" -I runtime/include \
        "runtime/examples/$example.c" -o "$OUT/$example" -lm
    echo "== ./$OUT/$example"
    "./$OUT/$example"
done
echo
echo "quickstart: ok (plugin: target/release/libferment.so)"
