#!/usr/bin/env bash
# Runs the CUDA test kernels on a GPU: each clang-tests/cases/cuda/*.cu with
# `// GPU: MODE NAME TYPE N M BLOCKS THREADS` lines is compiled to PTX with the
# plugin, and clang-tests/gpu/runner.c (plain C, loads libcuda.so.1 with
# dlopen: no CUDA toolkit needed) checks each gradient kernel against central
# finite differences of the primal kernel computed on the GPU, and times both.
#
# Usage: scripts/gpu-check.sh [--require-gpu | --emulate] [--prebuilt] [--time] [FILTER]
#   FILTER: only case files whose name contains it.
#   --prebuilt: use the PTX and runner already in the work directory (built by an
#   earlier run on a machine with clang-22 and the plugin; a GPU machine needs
#   neither then, only the driver library).
#   --time: after checking, time each kernel again at a size where the GPU does
#   real work (runner's FERMENT_GPU_TIME=1; `TIME` lines).
#   --emulate: run the kernels in the CPU emulator (clang-tests/gpu/emu: one POSIX
#   thread per CUDA thread, at most 2 blocks, sizes scaled down) instead of a GPU;
#   the e2e tests do this too (configs cuda-emu-O0/O2). Timings are meaningless there.
# Environment: FERMENT_PLUGIN (default target/release/libferment.so),
#   FERMENT_GPU_ARCH (default sm_90), FERMENT_GPU_OPT (default 2),
#   FERMENT_GPU_OUT (work directory, default target/gpu-check), FERMENT_LIBDEVICE
#   (CUDA's libdevice.10.bc; default target/tools/, installed by scripts/deps.sh).
# Exit status: 0 when every kernel passes, or when there is no GPU (it says
# SKIP) unless --require-gpu; 1 when a kernel fails or does not compile.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
require=0
emulate=0
prebuilt=0
timing=0
filter=""
for a in "$@"; do
    case "$a" in
        --require-gpu) require=1 ;;
        --emulate) emulate=1 ;;
        --prebuilt) prebuilt=1 ;;
        --time) timing=1 ;;
        -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) filter="$a" ;;
    esac
done
plugin="${FERMENT_PLUGIN:-$root/target/release/libferment.so}"
arch="${FERMENT_GPU_ARCH:-sm_90}"
opt="${FERMENT_GPU_OPT:-2}"
out="${FERMENT_GPU_OUT:-$root/target/gpu-check}"
mkdir -p "$out"
if [ $prebuilt = 0 ] && [ ! -f "$plugin" ]; then
    (cd "$root" && cargo build --release -p ferment)
fi
libdevice="${FERMENT_LIBDEVICE:-}"
for c in "$root/target/tools/libdevice.10.bc" /usr/local/cuda/nvvm/libdevice/libdevice.10.bc; do
    [ -n "$libdevice" ] || { [ -f "$c" ] && libdevice="$c"; } || true
done
cc="$(command -v cc || command -v gcc || command -v clang-22)"
[ $prebuilt = 1 ] && [ -x "$out/runner" ] \
    || "$cc" -O2 -o "$out/runner" "$root/clang-tests/gpu/runner.c" -ldl -lm

pass=0 fail=0 skip=0
if [ $emulate = 1 ]; then
    echo "gpu-check: CPU emulator (no GPU used)"
elif ! "$out/runner" --probe; then
    skip=1
fi
ptxas="${FERMENT_PTXAS:-$(command -v ptxas || echo "$root/target/tools/ptxas")}"
[ -x "$ptxas" ] || ptxas=""
for src in "$root"/clang-tests/cases/cuda/*.cu; do
    case "$(basename "$src")" in *"$filter"*) ;; *) continue ;; esac
    specs=()
    while read -r mode name type n m blocks threads; do
        if [ $emulate = 1 ] && [ "$blocks" -gt 2 ]; then
            # at most 2 blocks, sizes scaled with them (as the e2e tests do)
            n=$((n * 2 / blocks)); [ "$m" = 1 ] || m=$((m * 2 / blocks)); blocks=2
        fi
        specs+=("$mode:$name:$type:$n:$m:$blocks:$threads")
    done < <(sed -n '/^[^/]/q; s|^// GPU: ||p' "$src")
    [ ${#specs[@]} -gt 0 ] || continue
    base="$out/$(basename "$src" .cu)"
    ptx="$base.ptx"
    # Device code with the plugin (to bitcode), CUDA's libdevice linked in
    # afterwards (so ferment sees __nv_* calls, whose derivatives it knows),
    # then the NVPTX backend.
    if [ $prebuilt = 1 ]; then
        [ -f "$ptx" ] || { echo "FAIL $(basename "$src"): no prebuilt $ptx"; fail=$((fail + 1)); continue; }
    elif ! { clang-22 -x cuda --cuda-gpu-arch="$arch" -nocudainc -nocudalib --cuda-device-only \
            -Xclang -target-feature -Xclang +ptx80 -I "$root/runtime/include" \
            -O"$opt" -fpass-plugin="$plugin" -emit-llvm -c "$src" -o "$base.bc" \
        && llvm-link-22 --only-needed "$base.bc" ${libdevice:+"$libdevice"} -o "$base.linked.bc" \
        && clang-22 --target=nvptx64-nvidia-cuda -march="$arch" -Xclang -target-feature \
            -Xclang +ptx80 -O"$opt" -S "$base.linked.bc" -o "$ptx"; }; then
        echo "FAIL $(basename "$src"): does not compile"
        fail=$((fail + 1))
        continue
    fi
    if grep -q '^\.extern .*__nv_' "$ptx"; then
        echo "$(basename "$src"): calls CUDA's libdevice, which was not found (set FERMENT_LIBDEVICE, or run scripts/deps.sh)"
        [ $skip = 1 ] || fail=$((fail + 1))
        continue
    fi
    # The whole module must assemble (ptxas without -c: nothing unresolved
    # but what the driver provides).
    if [ $prebuilt = 0 ] && [ -n "$ptxas" ] && ! "$ptxas" -arch="$arch" "$ptx" -o "$base.cubin"; then
        echo "FAIL $(basename "$src"): ptxas rejects the PTX"
        fail=$((fail + 1))
        continue
    fi
    [ $skip = 0 ] || continue
    if [ $emulate = 1 ]; then
        if ! { clang-22 -x cuda --cuda-gpu-arch=sm_80 -nocudainc -nocudalib --cuda-device-only \
                -Xclang -target-feature -Xclang +ptx80 -I "$root/runtime/include" \
                -O"$opt" -fpass-plugin="$plugin" -emit-llvm -S "$src" -o "$base.ll" \
            && python3 "$root/clang-tests/gpu/emu/lower.py" "$base.ll" "$base.host.ll" \
            && clang-22 -O0 -shared -fPIC -Wno-override-module "$base.host.ll" \
                "$root/clang-tests/gpu/emu/cuda_emu.c" -o "$base.emu.so" -lpthread -lm; }; then
            echo "FAIL $(basename "$src"): does not build for the emulator"
            fail=$((fail + 1))
            continue
        fi
    fi
    set +e
    if [ $emulate = 1 ]; then
        FERMENT_CUDA_LIB="$base.emu.so" FERMENT_GPU_REPS=1 "$out/runner" "$ptx" "${specs[@]}"
    else
        "$out/runner" "$ptx" "${specs[@]}"
    fi
    rc=$?
    if [ $emulate = 0 ] && [ $timing = 1 ]; then
        FERMENT_GPU_TIME=1 "$out/runner" "$ptx" "${specs[@]}" | grep -v '^GPU:'
    fi
    set -e
    case $rc in
        0) pass=$((pass + ${#specs[@]})) ;;
        *) fail=$((fail + 1)) ;;
    esac
done
if [ $skip = 1 ]; then
    echo "gpu-check: SKIP: no GPU on this machine (the kernels were compiled${ptxas:+ and assembled}; nothing ran)"
    [ $require = 1 ] && exit 1
    [ $fail = 0 ]
    exit
fi
echo "gpu-check: $pass kernel(s) passed, $fail file(s) with failures ($arch, -O$opt)"
[ $fail = 0 ]
