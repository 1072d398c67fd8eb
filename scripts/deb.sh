#!/usr/bin/env bash
# Builds target/ferment_<version>_amd64.deb from the files scripts/install.sh
# installs, with prefix /usr: `apt install ./target/ferment_*.deb` then gives
# /usr/lib/libferment.so, find_package(Ferment), pkg-config ferment, the
# Fortran module and the Rust crates under /usr/share/ferment/rust.
# The package depends on the LLVM 22 packages by name (apt.llvm.org's
# llvm-toolchain-bookworm-22 on Debian 12).
# Usage: scripts/deb.sh [--no-build]     (prints the .deb's path last)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

args=()
for a in "$@"; do
    case "$a" in
        --no-build) args+=(--no-build) ;;
        *) echo "deb: unknown argument '$a'" >&2; exit 2 ;;
    esac
done

command -v dpkg-deb >/dev/null 2>&1 || { echo "deb: dpkg-deb not found (package dpkg)" >&2; exit 1; }
command -v flang-22 >/dev/null 2>&1 || { echo "deb: flang-22 is needed to prebuild the Fortran module" >&2; exit 1; }

version=$(awk -F'"' '/^\[workspace.package\]/ { w = 1 } w && /^version *=/ { print $2; exit }' Cargo.toml)
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
stage="$root/target/deb/ferment_${version}_${arch}"
rm -rf "$stage"
mkdir -p "$stage"
bash scripts/install.sh --prefix /usr --destdir "$stage" --no-manifest "${args[@]}"

# Debug info is for developers; the package ships the stripped plugin.
strip --strip-debug "$stage/usr/lib/libferment.so"

mkdir -p "$stage/DEBIAN"
size_kb=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOF
Package: ferment
Version: $version
Architecture: $arch
Maintainer: ferment developers <ferment@invalid>
Installed-Size: $size_kb
Depends: libc6 (>= 2.34), libgcc-s1, libstdc++6, llvm-22, clang-22
Recommends: flang-22, cmake, pkg-config
Section: devel
Priority: optional
Description: automatic differentiation as an LLVM 22 pass plugin
 ferment generates derivatives of functions from their LLVM IR. It is loaded
 into clang-22 (-fpass-plugin), flang-22, opt-22 and rustc 1.95 and accepts
 Enzyme's calling convention (__enzyme_autodiff, __enzyme_fwddiff, markers).
 This package installs the plugin, the C/C++ header, the Fortran module
 prebuilt for flang-22, the Rust crates (attribute macros with
 std::autodiff's syntax), a CMake package (find_package(Ferment)) and a
 pkg-config file.
EOF
deb="$root/target/ferment_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "deb: built $deb"
echo "$deb"
