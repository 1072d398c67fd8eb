#!/bin/bash
# Regenerates plugin/src/context/runtime.ll from runtime.c: the run-time
# functions of Enzyme's global-shadow contexts, which the plugin links into
# the modules that use them. Target-neutral (scripts/ir-runtime.sh);
# functions become `ferment.ctx.*`, external so that the linker takes them
# all (the plugin makes them internal once linked).
# With --check: only says whether runtime.ll is up to date (scripts/lint.sh).
set -euo pipefail
here=$(dirname "$0")
. "$here/ir-runtime.sh"
dir=$(cd "$here/../plugin/src/context" && pwd)
CLANG_FLAGS=(-O2)
RENAMES=(
  -e 's/@ferment_ctx_\([a-z]*\)/@ferment.ctx.\1/g'
  -e 's/@\(current\|current_tangent\|fail\|grow\|zeroed_copy\|shadow_of_pointer\)\b/@ferment.ctx.\1/g'
)
ir_runtime context-runtime.sh "$dir/runtime.c" "$dir/runtime.ll" "${1:-}"
