#!/bin/bash
# Regenerates plugin/src/reverse/tape/arena.ll from arena.c: the tape arena
# that ferment's tape helpers take row buffers from (reverse/tape/buffers.rs
# links it into the modules that use the tape cache). Target-neutral
# (scripts/ir-runtime.sh; x86-64 and AArch64 Linux share the mmap/madvise
# constants it was built with), no alias metadata. Every name becomes
# `ferment.arena.v2.<name>`; the plugin gives them linkonce_odr linkage and
# hidden visibility, so the translation units of one program share one arena.
# With --check: only says whether arena.ll is up to date (scripts/lint.sh).
set -euo pipefail
here=$(dirname "$0")
. "$here/ir-runtime.sh"
dir=$(cd "$here/../plugin/src/reverse/tape" && pwd)
CLANG_FLAGS=(--target=x86_64-unknown-linux-gnu -O2 -fno-vectorize -fno-slp-vectorize -fno-unroll-loops)
RENAMES=(
  -e 's/ dso_local / /g'
  -e 's/@ferment_arena_\([a-z_]*\)/@ferment.arena.v2.\1/g'
  -e 's/, !tbaa ![0-9]*//g'
)
ir_runtime arena-runtime.sh "$dir/arena.c" "$dir/arena.ll" "${1:-}"
