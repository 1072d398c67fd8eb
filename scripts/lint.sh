#!/usr/bin/env bash
# Formatting and lints (not part of scripts/test.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    PATH="$HOME/.cargo/bin:$PATH"
fi

echo "== cargo fmt --all --check"
cargo fmt --all --check
echo "== cargo clippy --workspace -- -D warnings"
cargo clippy --workspace -- -D warnings
echo "== scripts/context-runtime.sh --check"
scripts/context-runtime.sh --check
echo "== scripts/qsort-runtime.sh --check"
scripts/qsort-runtime.sh --check
echo "== scripts/arena-runtime.sh --check"
scripts/arena-runtime.sh --check
echo "lint: ok"
