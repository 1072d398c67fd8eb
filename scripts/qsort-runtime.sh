#!/bin/bash
# Regenerates plugin/src/qsort/runtime.ll from runtime.c: the sort that stands
# for qsort/qsort_r in differentiated functions (plugin/src/qsort.rs links it
# into the modules that call them). Target-neutral (scripts/ir-runtime.sh);
# the entry points become `ferment.qsort` and `ferment.qsort_r`, external so
# that the linker takes them (the plugin makes them internal once linked).
# Not vectorized or unrolled: ferment inlines it and the host's pipeline
# optimizes the result.
# With --check: only says whether runtime.ll is up to date (scripts/lint.sh).
set -euo pipefail
here=$(dirname "$0")
. "$here/ir-runtime.sh"
dir=$(cd "$here/../plugin/src/qsort" && pwd)
CLANG_FLAGS=(-O1 -fno-vectorize -fno-slp-vectorize -fno-unroll-loops)
RENAMES=(
  -e 's/@ferment_qsort_\([a-z_]*\)/@ferment.\1/g'
  -e 's/@\(order\|sort\)\b/@ferment.qsort.\1/g'
)
ir_runtime qsort-runtime.sh "$dir/runtime.c" "$dir/runtime.ll" "${1:-}"
