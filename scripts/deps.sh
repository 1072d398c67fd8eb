#!/usr/bin/env bash
# Installs what building and testing ferment needs on Debian 12: LLVM 22
# (clang, flang, lld, opt/FileCheck, compiler-rt), binutils (readelf), a
# C/C++ compiler, and cmake, make and pkg-config (for the install tests).
# Idempotent: when everything is present it only checks and returns.
# Runs apt-get as root, or through sudo when not root.
# Exports nothing. Rust is not installed here (see the message if missing).
set -euo pipefail

LLVM_PREFIX=/usr/lib/llvm-22
LLVM_PACKAGES=(llvm-22-dev clang-22 flang-22 lld-22 libclang-rt-22-dev llvm-22-tools)
# clang's headers, for libferment_clang.so (the -fplugin front end: Enzyme's
# source attributes).
CLANG_DEV_PACKAGES=(libclang-22-dev)
# BLAS and LAPACK for the tests and benchmarks of BLAS-call derivatives
# (cblas.h and libopenblas; lapacke.h and liblapacke).
BLAS_PACKAGES=(libopenblas-dev liblapacke-dev)
# Open MPI (mpicc, mpirun, mpi.h) for the tests and benchmark of MPI-call
# derivatives (clang-tests/cases/mpi, benches/mpi).
MPI_PACKAGES=(libopenmpi-dev openmpi-bin)

say() { printf 'deps: %s\n' "$*"; }

# Package names whose dpkg status is not "installed".
not_installed() {
    local p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            printf '%s\n' "$p"
        fi
    done
}

run_as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        say "need root to run: $*"
        say "run this script as root, or install sudo"
        exit 1
    fi
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    say "no dpkg/apt-get here: this script targets Debian 12."
    say "install LLVM 22 (llvm-config at $LLVM_PREFIX/bin/llvm-config, clang-22, opt-22, flang-22),"
    say "binutils and a C++ compiler yourself."
    if [ -x "$LLVM_PREFIX/bin/llvm-config" ] && command -v clang-22 >/dev/null 2>&1; then
        exit 0
    fi
    exit 1
fi

# `deps.sh real-projects`: what scripts/real-projects.sh needs besides the
# above (dpkg-source, tclsh for SQLite's amalgamation, valgrind), and a
# deb-src entry for Debian 12 so that `apt-get source` can fetch the
# projects' source packages. Only that; then returns.
if [ "${1:-}" = real-projects ]; then
    if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        say "adding a deb-src entry for bookworm (/etc/apt/sources.list.d/ferment-deb-src.sources)"
        printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' \
            'Suites: bookworm bookworm-updates' 'Components: main' \
            'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
            run_as_root tee /etc/apt/sources.list.d/ferment-deb-src.sources >/dev/null
        run_as_root apt-get update -q
    fi
    mapfile -t missing_real < <(not_installed dpkg-dev tcl valgrind make)
    if [ "${#missing_real[@]}" -gt 0 ]; then
        say "installing: ${missing_real[*]}"
        run_as_root apt-get update -q
        run_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing_real[@]}"
    fi
    say "real-projects: ok"
    exit 0
fi

want=()
mapfile -t missing_llvm < <(not_installed "${LLVM_PACKAGES[@]}")
want+=("${missing_llvm[@]}")
mapfile -t missing_blas < <(not_installed "${BLAS_PACKAGES[@]}")
want+=("${missing_blas[@]}")
mapfile -t missing_mpi < <(not_installed "${MPI_PACKAGES[@]}")
want+=("${missing_mpi[@]}")
mapfile -t missing_clang_dev < <(not_installed "${CLANG_DEV_PACKAGES[@]}")
want+=("${missing_clang_dev[@]}")
# Eigen (header-only) for the C++ tests of Eigen programs (clang-tests/cases/eigen).
mapfile -t missing_eigen < <(not_installed libeigen3-dev)
want+=("${missing_eigen[@]}")
# OpenMP cases (clang-tests/cases/openmp) and benchmarks: clang-22 -fopenmp
# links LLVM's libomp.
mapfile -t missing_omp < <(not_installed libomp-22-dev)
want+=("${missing_omp[@]}")
# The packages can be present while the tools are not (or the reverse, with
# a hand-built LLVM): the tools are what the build actually uses.
if [ ! -x "$LLVM_PREFIX/bin/llvm-config" ] || ! command -v clang-22 >/dev/null 2>&1; then
    for p in llvm-22-dev clang-22; do
        [[ " ${want[*]} " == *" $p "* ]] || want+=("$p")
    done
fi
command -v readelf >/dev/null 2>&1 || want+=(binutils)
# The plugin's C++ glue is built by the `cc` crate (c++ by default) and
# rustc links through cc.
command -v c++ >/dev/null 2>&1 || want+=(g++)
command -v cc >/dev/null 2>&1 || want+=(gcc)
# The install tests (scripts/test-install.sh) build example projects with
# CMake, make and pkg-config, and package a .deb.
command -v cmake >/dev/null 2>&1 || want+=(cmake)
command -v make >/dev/null 2>&1 || want+=(make)
command -v pkg-config >/dev/null 2>&1 || want+=(pkg-config)
command -v dpkg-deb >/dev/null 2>&1 || want+=(dpkg)
# The CUDA tests lower kernels for the CPU emulator with a Python script
# (clang-tests/gpu/emu/lower.py); pip also fetches ptxas and libdevice below.
command -v python3 >/dev/null 2>&1 || want+=(python3 python3-pip)

if [ "${#want[@]}" -eq 0 ]; then
    say "LLVM 22, binutils, a C++ compiler, cmake, make, pkg-config, OpenBLAS/LAPACKE, Eigen and Open MPI are installed"
else
    say "installing: ${want[*]}"
    export DEBIAN_FRONTEND=noninteractive
    run_as_root apt-get update -q
    # Install only what apt knows; report the rest clearly.
    available=()
    unknown=()
    for p in "${want[@]}"; do
        cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
        if [ -n "$cand" ] && [ "$cand" != "(none)" ]; then
            available+=("$p")
        else
            unknown+=("$p")
        fi
    done
    if [ "${#unknown[@]}" -gt 0 ]; then
        say "apt has no candidate for: ${unknown[*]}"
        say "ferment needs LLVM 22.1. Check 'apt-cache policy clang-22'; if your apt sources"
        say "do not carry LLVM 22, add https://apt.llvm.org (llvm-toolchain-bookworm-22) and rerun."
    fi
    if [ "${#available[@]}" -gt 0 ]; then
        run_as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q "${available[@]}"
    fi
fi

# What must work after this script.
status=0
if [ ! -x "$LLVM_PREFIX/bin/llvm-config" ]; then
    say "MISSING: $LLVM_PREFIX/bin/llvm-config (package llvm-22-dev)"
    status=1
else
    version=$("$LLVM_PREFIX/bin/llvm-config" --version)
    case "$version" in
        22.*) ;;
        *) say "MISSING: LLVM 22 ($LLVM_PREFIX/bin/llvm-config reports $version)"; status=1 ;;
    esac
fi
for tool in clang-22 opt-22 readelf c++ cmake make pkg-config; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        say "MISSING: $tool"
        status=1
    fi
done
for tool in flang-22 FileCheck-22; do
    command -v "$tool" >/dev/null 2>&1 || say "warning: $tool not found (some tests need it)"
done

# Rust: cannot be installed from here.
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
    say "MISSING: cargo. Install Rust (1.95 or newer; its LLVM is 22.1) with rustup:"
    say "    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y"
    say "    . \"\$HOME/.cargo/env\""
    status=1
else
    rust_llvm=$(rustc -vV 2>/dev/null | awk '/^LLVM version:/ {print $3}')
    case "$rust_llvm" in
        22.*) ;;
        *) say "warning: rustc is built on LLVM ${rust_llvm:-?}, not 22: the plugin can serve clang/opt/flang but not this rustc" ;;
    esac
fi

# Optional: NVIDIA's ptxas and libdevice (from the nvidia-cuda-nvcc-cu12 wheel on PyPI)
# let the CUDA test cases assemble the PTX the plugin produces, and scripts/gpu-check.sh
# link CUDA's math library into kernels it runs on a GPU. Best effort: without them
# those cases still check that the kernels compile to PTX.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ptxas="$root/target/tools/ptxas"
libdevice="$root/target/tools/libdevice.10.bc"
if { { [ ! -x "$ptxas" ] && ! command -v ptxas >/dev/null 2>&1; } || [ ! -f "$libdevice" ]; } \
    && command -v python3 >/dev/null 2>&1; then
    tmp="$(mktemp -d)"
    if python3 -m pip download --no-deps -q -d "$tmp" nvidia-cuda-nvcc-cu12 >/dev/null 2>&1 \
        && (cd "$tmp" && python3 -m zipfile -e ./*.whl ./unpacked >/dev/null 2>&1) \
        && [ -f "$tmp/unpacked/nvidia/cuda_nvcc/bin/ptxas" ]; then
        mkdir -p "$root/target/tools"
        if [ ! -x "$ptxas" ]; then
            cp "$tmp/unpacked/nvidia/cuda_nvcc/bin/ptxas" "$ptxas" && chmod +x "$ptxas"
        fi
        if [ -f "$tmp/unpacked/nvidia/cuda_nvcc/nvvm/libdevice/libdevice.10.bc" ]; then
            cp "$tmp/unpacked/nvidia/cuda_nvcc/nvvm/libdevice/libdevice.10.bc" "$libdevice"
        fi
        say "installed ptxas and libdevice (for the CUDA test cases) in target/tools"
    else
        say "note: ptxas not available; CUDA test cases will only compile to PTX"
    fi
    rm -rf "$tmp"
fi

if [ "$status" -eq 0 ]; then
    say "ok"
fi
exit "$status"
