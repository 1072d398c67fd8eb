#!/usr/bin/env bash
# Installs ferment into a prefix (default /usr/local):
#   lib/libferment.so                         the pass plugin
#   lib/libferment_clang.so                   clang's -fplugin front end (loads the pass plugin,
#                                             reads Enzyme's source attributes), when built
#   include/ferment.h, include/enzyme/{enzyme,checkpoint.h,fixed_point.h}  C/C++ headers
#   include/ferment_cuda.h                    CUDA device builds without a toolkit
#   lib/fortran/flang-22/ferment.mod          the Fortran module, prebuilt for flang-22,
#   lib/fortran/flang-22/libferment_fortran.a and its object (the marker variables)
#   share/ferment/fortran/ferment.f90         the module's source (for other compilers)
#   share/ferment/rust/ferment-runtime/       the Rust crates (path dependencies for cargo)
#   share/ferment/rust/ferment-macros/
#   lib/cmake/Ferment/FermentConfig*.cmake    find_package(Ferment) -> Ferment::ferment
#   lib/pkgconfig/ferment.pc                  pkg-config --cflags/--libs ferment
#   share/ferment/install-manifest.txt        what this script installed (for --uninstall)
#
# Usage: scripts/install.sh [--prefix DIR] [--destdir DIR] [--no-build] [--no-manifest]
#        scripts/install.sh [--prefix DIR] --uninstall
# --destdir stages the files under DIR/PREFIX (for packaging, see scripts/deb.sh).
# --no-build uses target/release/libferment.so as it is; otherwise the release
# plugin is built with cargo first (a no-op when it is up to date).
# --uninstall removes exactly the files (and the directories it created) that
# the manifest lists. Installing over an earlier install removes that one first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

prefix=/usr/local
destdir=
build=1
manifest=1
uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --destdir) destdir="${2:?--destdir needs a directory}"; shift 2 ;;
        --destdir=*) destdir="${1#--destdir=}"; shift ;;
        --no-build) build=0; shift ;;
        --no-manifest) manifest=0; shift ;;
        --uninstall) uninstall=1; shift ;;
        -h | --help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case "$prefix" in
    /*) ;;
    *) prefix="$(pwd)/$prefix" ;;
esac
prefix="${prefix%/}"
[ -n "$prefix" ] || prefix=/
if [ -n "$destdir" ]; then
    case "$destdir" in /*) ;; *) destdir="$(pwd)/$destdir" ;; esac
    destdir="${destdir%/}"
fi

say() { printf 'install: %s\n' "$*"; }

manifest_rel=share/ferment/install-manifest.txt
manifest_path="$destdir$prefix/$manifest_rel"

# Removes what a manifest lists: "file PATH" lines, then "dir PATH" lines
# (deepest first, only when empty). Paths are absolute, without DESTDIR.
uninstall_from() {
    local m="$1" kind path
    local -a dirs=()
    while IFS=' ' read -r kind path; do
        case "$kind" in
            file) rm -f "$destdir$path" ;;
            dir) dirs+=("$path") ;;
        esac
    done <"$m"
    rm -f "$m"
    if [ "${#dirs[@]}" -gt 0 ]; then
        printf '%s\n' "${dirs[@]}" | awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2- |
            while read -r path; do
                rmdir "$destdir$path" 2>/dev/null || true
            done
    fi
}

if [ "$uninstall" -eq 1 ]; then
    if [ ! -f "$manifest_path" ]; then
        say "nothing to uninstall: no $manifest_path"
        exit 1
    fi
    n=$(grep -c '^file ' "$manifest_path" || true)
    uninstall_from "$manifest_path"
    say "removed $n files from $prefix"
    exit 0
fi

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    PATH="$HOME/.cargo/bin:$PATH"
fi
plugin="$root/target/release/libferment.so"
if [ "$build" -eq 1 ] && command -v cargo >/dev/null 2>&1; then
    say "cargo build --release -p ferment"
    (cd "$root" && cargo build --release -p ferment)
fi
if [ ! -f "$plugin" ]; then
    say "$plugin does not exist: build it with 'cargo build --release -p ferment'"
    exit 1
fi

version=$(awk -F'"' '/^\[workspace.package\]/ { w = 1 } w && /^version *=/ { print $2; exit }' "$root/Cargo.toml")
[ -n "$version" ] || { say "cannot read the version from Cargo.toml"; exit 1; }

if [ -f "$manifest_path" ]; then
    say "removing the earlier install listed in $manifest_path"
    uninstall_from "$manifest_path"
fi

# Everything is generated into a scratch tree first, then copied.
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# The Fortran module, prebuilt for flang-22 (.mod files are compiler-specific).
mkdir -p "$stage/fortran"
if command -v flang-22 >/dev/null 2>&1; then
    flang-22 -c -O2 -fPIC -module-dir "$stage/fortran" "$root/runtime/fortran/ferment.f90" \
        -o "$stage/fortran/ferment.o"
    ar rcs "$stage/fortran/libferment_fortran.a" "$stage/fortran/ferment.o"
    have_flang=1
else
    say "warning: flang-22 not found: the prebuilt Fortran module is not installed"
    have_flang=0
fi

# The Rust crates get a Cargo.toml of their own (the repository's inherit from the workspace).
rust_manifest() { # NAME DESCRIPTION KIND
    cat <<EOF
[package]
name = "$1"
description = "$2"
version = "$version"
edition = "2021"
license = "Apache-2.0"
publish = false

EOF
}
mkdir -p "$stage/ferment-runtime/src" "$stage/ferment-macros/src"
{
    rust_manifest ferment-runtime "Enzyme-style markers, entry points and autodiff attribute macros for Rust programs differentiated by the ferment plugin"
    printf '[lib]\nname = "ferment_runtime"\npath = "src/lib.rs"\n\n[dependencies]\nferment-macros = { path = "../ferment-macros", version = "%s" }\n' "$version"
} >"$stage/ferment-runtime/Cargo.toml"
cp "$root/runtime/rust/src/lib.rs" "$stage/ferment-runtime/src/lib.rs"
{
    rust_manifest ferment-macros "The autodiff_reverse / autodiff_forward attribute macros of ferment-runtime"
    printf '[lib]\nproc-macro = true\npath = "src/lib.rs"\n\n[dependencies]\n'
} >"$stage/ferment-macros/Cargo.toml"
cp "$root/runtime/rust-macros/src/lib.rs" "$stage/ferment-macros/src/lib.rs"

# pkg-config.
cat >"$stage/ferment.pc" <<EOF
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include
plugin=\${libdir}/libferment.so
fortranmoddir=\${libdir}/fortran/flang-22

Name: ferment
Description: Automatic differentiation as an LLVM 22 pass plugin (clang-22, flang-22, rustc)
Version: $version
Cflags: -fpass-plugin=\${plugin} -I\${includedir}
Libs: -lm
EOF

# CMake package (relocatable: paths are computed from the file's own location).
sed "s/@FERMENT_VERSION@/$version/g" "$root/runtime/cmake/FermentConfig.cmake.in" >"$stage/FermentConfig.cmake"
sed "s/@FERMENT_VERSION@/$version/g" "$root/runtime/cmake/FermentConfigVersion.cmake.in" >"$stage/FermentConfigVersion.cmake"

# Copy into place, recording every file and every directory created.
records=()
make_dir() { # absolute path without DESTDIR
    local d="$1" missing=()
    while [ ! -d "$destdir$d" ]; do
        missing+=("$d")
        d="$(dirname "$d")"
    done
    local i
    for ((i = ${#missing[@]} - 1; i >= 0; i--)); do
        mkdir "$destdir${missing[i]}"
        records+=("dir ${missing[i]}")
    done
}
put() { # SRC DEST-RELATIVE-TO-PREFIX MODE
    local dest="$prefix/$2"
    make_dir "$(dirname "$dest")"
    install -m "$3" "$1" "$destdir$dest"
    records+=("file $dest")
}

put "$plugin" lib/libferment.so 755
if [ -f "$(dirname "$plugin")/libferment_clang.so" ]; then
    put "$(dirname "$plugin")/libferment_clang.so" lib/libferment_clang.so 755
fi
put "$root/runtime/include/ferment.h" include/ferment.h 644
put "$root/runtime/include/ferment_cuda.h" include/ferment_cuda.h 644
put "$root/runtime/include/enzyme/enzyme" include/enzyme/enzyme 644
put "$root/runtime/include/enzyme/checkpoint.h" include/enzyme/checkpoint.h 644
put "$root/runtime/include/enzyme/fixed_point.h" include/enzyme/fixed_point.h 644
put "$root/runtime/fortran/ferment.f90" share/ferment/fortran/ferment.f90 644
if [ "$have_flang" -eq 1 ]; then
    put "$stage/fortran/ferment.mod" lib/fortran/flang-22/ferment.mod 644
    put "$stage/fortran/libferment_fortran.a" lib/fortran/flang-22/libferment_fortran.a 644
fi
for crate in ferment-runtime ferment-macros; do
    put "$stage/$crate/Cargo.toml" "share/ferment/rust/$crate/Cargo.toml" 644
    put "$stage/$crate/src/lib.rs" "share/ferment/rust/$crate/src/lib.rs" 644
done
put "$stage/FermentConfig.cmake" lib/cmake/Ferment/FermentConfig.cmake 644
put "$stage/FermentConfigVersion.cmake" lib/cmake/Ferment/FermentConfigVersion.cmake 644
put "$stage/ferment.pc" lib/pkgconfig/ferment.pc 644

if [ "$manifest" -eq 1 ]; then
    make_dir "$(dirname "$prefix/$manifest_rel")"
    printf '%s\n' "${records[@]}" >"$manifest_path"
fi
say "installed ferment $version into ${destdir}$prefix ($(printf '%s\n' "${records[@]}" | grep -c '^file ') files)"
