#!/usr/bin/env bash
# Tests the installed form of ferment: scripts/install.sh into a temporary
# prefix, then the example projects in runtime/examples built against that
# prefix only, each at two optimization levels, each checking its derivatives
# against analytic formulas:
#   cmake-c, cmake-cxx, cmake-fortran   find_package(Ferment) + Ferment::ferment
#   pkgconfig-make                      make with pkg-config --cflags/--libs ferment
#   cargo                               #[autodiff_reverse]/#[autodiff_forward] (dev and release)
# plus: CMake refuses a non-LLVM-22 compiler, the macros refuse several codegen
# units, --uninstall removes exactly what was installed, and the .deb
# (scripts/deb.sh) has the expected contents. The .deb is installed with
# apt-get only when running as root with CI set (it changes the machine).
# Expects target/release/libferment.so to be built (scripts/test.sh does).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    PATH="$HOME/.cargo/bin:$PATH"
fi

say() { printf 'test-install: %s\n' "$*"; }
fail() {
    say "FAIL: $*"
    exit 1
}
for tool in cmake pkg-config make clang-22 clang++-22; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (run scripts/deps.sh)"
done
have_flang=0
command -v flang-22 >/dev/null 2>&1 && have_flang=1

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
# Something already in the prefix must survive --uninstall.
mkdir -p "$prefix/lib"
echo keep >"$prefix/lib/not-ferment.txt"

say "install into $prefix"
bash scripts/install.sh --prefix "$prefix" --no-build
[ -f "$prefix/lib/libferment.so" ] || fail "no lib/libferment.so"
[ -f "$prefix/share/ferment/install-manifest.txt" ] || fail "no manifest"

# ---- clang -fplugin front end -------------------------------------------------
# Loaded the way ClangEnzyme is: it must find the installed pass plugin next to
# itself and read Enzyme's attributes (d/dx [frozen(x) + x] = 1).
if [ -f target/release/libferment_clang.so ]; then
    [ -f "$prefix/lib/libferment_clang.so" ] || fail "no lib/libferment_clang.so"
    cat >"$tmp/attr.c" <<'C'
#include <ferment.h>
__attribute__((enzyme_inactive)) double frozen(double x) { return x * x; }
double f(double x) { return frozen(x) + x; }
int main(void) { return __enzyme_autodiff((void *)f, 3.0) == 1.0 ? 0 : 1; }
C
    clang-22 -O2 -fplugin="$prefix/lib/libferment_clang.so" -I"$prefix/include" "$tmp/attr.c" \
        -o "$tmp/attr" || fail "-fplugin=lib/libferment_clang.so: compile failed"
    "$tmp/attr" || fail "-fplugin=lib/libferment_clang.so: enzyme_inactive not honoured"
fi

# ---- pkg-config ---------------------------------------------------------------
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cflags=$(pkg-config --cflags ferment | sed "s/ *$//")
libs=$(pkg-config --libs ferment | sed "s/ *$//")
[ "$cflags" = "-fpass-plugin=$prefix/lib/libferment.so -I$prefix/include" ] ||
    fail "pkg-config --cflags ferment gave '$cflags'"
[ "$libs" = "-lm" ] || fail "pkg-config --libs ferment gave '$libs'"

run_demo() { # NAME EXE
    local out
    if ! out=$("$2" 2>&1); then
        printf '%s\n' "$out"
        fail "$1: the program reports a mismatch (or crashed)"
    fi
    say "$1: ok ($(printf '%s\n' "$out" | grep -c ' ok') checks)"
}

# ---- CMake --------------------------------------------------------------------
cmake_project() { # EXAMPLE LANG COMPILER OPT
    local ex="$1" lang="$2" cc="$3" opt="$4"
    local b="$tmp/build-$ex$opt"
    cmake -S "runtime/examples/$ex" -B "$b" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_"$lang"_COMPILER="$cc" -DCMAKE_"$lang"_FLAGS="$opt" >"$b.log" 2>&1 ||
        { cat "$b.log"; fail "$ex: cmake configure"; }
    cmake --build "$b" >>"$b.log" 2>&1 || { cat "$b.log"; fail "$ex: cmake build"; }
    grep -rq -- "-fpass-plugin=$prefix/lib/libferment.so" "$b/CMakeFiles/demo.dir/flags.make" ||
        fail "$ex: the compile flags do not load $prefix/lib/libferment.so"
    run_demo "$ex $opt" "$b/demo"
}
for opt in -O0 -O2; do
    cmake_project cmake-c C clang-22 "$opt"
    cmake_project cmake-cxx CXX clang++-22 "$opt"
    if [ "$have_flang" -eq 1 ]; then
        cmake_project cmake-fortran Fortran flang-22 "$opt"
    fi
done
[ "$have_flang" -eq 1 ] || say "skip cmake-fortran: flang-22 not found"

# A compiler that is not LLVM 22 is refused by name.
if command -v gcc >/dev/null 2>&1; then
    if cmake -S runtime/examples/cmake-c -B "$tmp/build-gcc" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_C_COMPILER=gcc >"$tmp/gcc.log" 2>&1; then
        fail "find_package(Ferment) accepted gcc"
    fi
    grep -q "ferment needs clang-22" "$tmp/gcc.log" || { cat "$tmp/gcc.log"; fail "no clear message for gcc"; }
    say "cmake with gcc: refused with a clear message"
fi

# ---- pkg-config + make ----------------------------------------------------------
for opt in -O0 -O2; do
    d="$tmp/pkgconfig-make$opt"
    cp -r runtime/examples/pkgconfig-make "$d"
    make -C "$d" CFLAGS="$opt" >"$d.log" 2>&1 || { cat "$d.log"; fail "pkgconfig-make: make"; }
    grep -q -- "-fpass-plugin=$prefix/lib/libferment.so" "$d.log" || fail "pkgconfig-make: plugin flag missing"
    run_demo "pkgconfig-make $opt" "$d/demo"
done

# ---- cargo: the attribute macros ----------------------------------------------
c="$tmp/cargo"
cp -r runtime/examples/cargo "$c"
sed -i "s|/usr/local|$prefix|g" "$c/Cargo.toml" "$c/.cargo/config.toml"
export CARGO_TARGET_DIR="$c/target"
for profile in dev release; do
    (cd "$c" && cargo build --offline --quiet --profile "$profile") >"$c.log" 2>&1 ||
        { cat "$c.log"; fail "cargo build --profile $profile"; }
    dir=$([ "$profile" = dev ] && echo debug || echo release)
    run_demo "cargo ($profile)" "$c/target/$dir/ferment-cargo-demo"
done
# Several codegen units: refused at compile time with what to set.
if (cd "$c" && CARGO_PROFILE_DEV_CODEGEN_UNITS=16 cargo check --offline --quiet) >"$c.log" 2>&1; then
    fail "the macros accepted 16 codegen units"
fi
grep -q "codegen-units = 1" "$c.log" || { cat "$c.log"; fail "no clear message for several codegen units"; }
say "cargo with 16 codegen units: refused with a clear message"
# Misuse of the macros: one clear error each.
cp "$c/src/main.rs" "$c/main.rs.bak"
cat >"$c/src/main.rs" <<'RS'
use ferment_runtime::{autodiff_forward, autodiff_reverse};
#[autodiff_reverse(d1, Active)]
fn a(x: f64) -> f64 { x }
#[autodiff_reverse(d2, Active, Active)]
fn b(x: &[f64]) -> f64 { x[0] }
#[autodiff_forward(d3, Active, Dual)]
fn c(x: f64) -> f64 { x }
#[autodiff_reverse(d4, Active, Active)]
fn g<T>(_x: T) -> f64 { 0.0 }
#[autodiff_reverse(d5, Foo, Active)]
fn h(x: f64) -> f64 { x }
#[autodiff_reverse(d6, Active, Active)]
fn k(x: i32) -> f64 { x as f64 }
fn main() {}
RS
if (cd "$c" && cargo check --offline --quiet) >"$c.log" 2>&1; then
    fail "the macros accepted misuse"
fi
for msg in "needs 2 activities (1 input and one for the result), got 1" \
    "is a slice: use Duplicated (or Const) instead of Active" \
    "\`Active\` is not an input activity of #\[autodiff_forward\]" \
    "does not support generic functions" \
    "unknown activity \`Foo\`" \
    "accepts \`Active\` by value only on f32 or f64"; do
    grep -q -- "$msg" "$c.log" || { cat "$c.log"; fail "no error '$msg'"; }
done
mv "$c/main.rs.bak" "$c/src/main.rs"
say "cargo: misuse of the macros gives one clear error each"
unset CARGO_TARGET_DIR

# ---- uninstall ------------------------------------------------------------------
bash scripts/install.sh --prefix "$prefix" --uninstall
left=$(cd "$prefix" && find . -mindepth 1 | sort | tr '\n' ' ')
[ "$left" = "./lib ./lib/not-ferment.txt " ] || fail "after --uninstall the prefix holds: $left"
say "uninstall: removed exactly what was installed"

# ---- Debian package ---------------------------------------------------------------
if [ "$have_flang" -eq 0 ]; then
    say "skip the .deb: flang-22 not found"
    say "ok"
    exit 0
fi
deb=$(bash scripts/deb.sh --no-build | tail -1)
listing=$(dpkg-deb -c "$deb" | awk '{ print $NF }')
for f in ./usr/lib/libferment.so ./usr/include/ferment.h ./usr/include/enzyme/enzyme \
    ./usr/lib/fortran/flang-22/ferment.mod ./usr/share/ferment/fortran/ferment.f90 \
    ./usr/lib/cmake/Ferment/FermentConfig.cmake ./usr/lib/cmake/Ferment/FermentConfigVersion.cmake \
    ./usr/lib/pkgconfig/ferment.pc ./usr/share/ferment/rust/ferment-runtime/Cargo.toml \
    ./usr/share/ferment/rust/ferment-macros/src/lib.rs; do
    grep -qx -- "$f" <<<"$listing" || fail "$deb lacks $f"
done
dpkg-deb -f "$deb" Depends | grep -q "llvm-22" || fail "$deb does not depend on llvm-22"
say "deb: $(basename "$deb") has the expected files"

if [ "$(id -u)" -ne 0 ] || [ -z "${CI:-}" ]; then
    say "skip 'apt-get install ./$(basename "$deb")': only as root in CI (set CI=1 to run it)"
    say "ok"
    exit 0
fi
if dpkg-query -W -f='${Status}' ferment 2>/dev/null | grep -q 'install ok installed'; then
    say "skip 'apt-get install': a ferment package is already installed here"
    say "ok"
    exit 0
fi
say "apt-get install $deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" >"$tmp/apt.log" 2>&1 ||
    { cat "$tmp/apt.log"; fail "apt-get install $deb"; }
status=0
(
    unset PKG_CONFIG_PATH
    cf=$(pkg-config --cflags ferment | sed "s/ *$//")
    [ "$cf" = "-fpass-plugin=/usr/lib/libferment.so" ] ||
        [ "$cf" = "-fpass-plugin=/usr/lib/libferment.so -I/usr/include" ] ||
        fail "installed package: pkg-config --cflags ferment gave '$cf'"
    b="$tmp/build-deb"
    cmake -S runtime/examples/cmake-c -B "$b" -DCMAKE_C_COMPILER=clang-22 -DCMAKE_C_FLAGS=-O2 >"$b.log" 2>&1 ||
        { cat "$b.log"; fail "installed package: cmake configure"; }
    cmake --build "$b" >>"$b.log" 2>&1 || { cat "$b.log"; fail "installed package: cmake build"; }
    grep -q -- "-fpass-plugin=/usr/lib/libferment.so" "$b/CMakeFiles/demo.dir/flags.make" ||
        fail "installed package: cmake does not use /usr/lib/libferment.so"
    run_demo "installed package, cmake-c" "$b/demo"
) || status=$?
DEBIAN_FRONTEND=noninteractive apt-get remove -y -q ferment >"$tmp/apt.log" 2>&1 ||
    { cat "$tmp/apt.log"; fail "apt-get remove ferment"; }
[ ! -e /usr/lib/libferment.so ] || fail "apt-get remove left /usr/lib/libferment.so"
[ "$status" -eq 0 ] || exit "$status"
say "deb: installed with apt-get, used by CMake and pkg-config, removed"
say "ok"
