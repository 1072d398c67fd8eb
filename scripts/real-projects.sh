#!/usr/bin/env bash
# Real projects built with ferment loaded.
#
# 1. Projects without AD calls (zlib, Lua, SQLite from Debian 12's source
#    packages) are built twice with clang-22, plain and with
#    -fpass-plugin=libferment.so, at -O0, -O2 and -O2 -g (SQLite: -O0 and
#    -O2; FERMENT_REAL_OPT="O0 O2 O2-g ..." for all); every object file of the two
#    builds must be bit-identical, and each project's tests must pass with
#    the plugin loaded: zlib's `make test`, a Lua smoke script
#    (scripts/real-projects/smoke.lua; Debian ships no Lua test suite) run
#    by a C and a C++ build of the interpreter, and a SQLite shell session
#    (scripts/real-projects/smoke.sql) compared with hand-derived output.
#    Both builds run in the same directory, so paths in the objects agree.
# 2. A real numerical code differentiated end to end: GSL's ODE steppers
#    (the ode-initval2 sources of Debian's gsl package, unchanged) through
#    scripts/real-projects/gsl_ode_ad.c, reverse and forward mode checked
#    against central finite differences at -O0 and -O2 (and under valgrind
#    when it is installed).
#
# Usage: scripts/real-projects.sh [zlib] [lua] [sqlite] [gsl]  (default: all)
# Sources are downloaded once (apt-get source) into
# ${FERMENT_REAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferment-real}; builds
# happen there too, outside the repository. FERMENT_PLUGIN overrides the
# plugin (default target/release/libferment.so, which must be built).
# What is missing (dpkg-dev, tcl, a deb-src entry) is installed through
# `scripts/deps.sh real-projects`. Prints a summary; exits non-zero on any
# difference or failure. Not part of the default CI (about 8 minutes on
# two shared cores); see README.md, "Real projects".
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$root/scripts/real-projects"
cache="${FERMENT_REAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferment-real}"
plugin="${FERMENT_PLUGIN:-$root/target/release/libferment.so}"
cc="${FERMENT_REAL_CC:-clang-22}"
cxx="${FERMENT_REAL_CXX:-clang++-22}"
# Optimization levels: O0, O2, O2-g (-O2 -g), ... (FERMENT_REAL_OPT for all
# projects; by default SQLite, the slow one, skips O2-g).
levels_of() {
    if [ -n "${FERMENT_REAL_OPT:-}" ]; then
        echo "$FERMENT_REAL_OPT"
    elif [ "$1" = sqlite ]; then
        echo "O0 O2"
    else
        echo "O0 O2 O2-g"
    fi
}
# The compiler flags of level $1: O2-g -> "-O2 -g".
level_flags() { printf '%s' "-${1//-/ -}"; }
if [ "$#" -gt 0 ]; then projects=("$@"); else projects=(zlib lua sqlite gsl); fi

say() { printf 'real-projects: %s\n' "$*"; }
summary=()
failed=0
pass() { summary+=("ok    $*"); say "ok: $*"; }
fail() { summary+=("FAIL  $*"); say "FAIL: $*"; failed=1; }

# ---------------------------------------------------------------- setup
if [ ! -f "$plugin" ]; then
    say "no plugin at $plugin: build it first (cargo build --release -p ferment)"
    exit 1
fi
plugin="$(cd "$(dirname "$plugin")" && pwd)/$(basename "$plugin")"
need=()
for tool in "$cc" "$cxx" make dpkg-source tclsh ar; do
    command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if [ "${#need[@]}" -gt 0 ]; then
    say "missing: ${need[*]}; running scripts/deps.sh real-projects"
    bash "$root/scripts/deps.sh" real-projects
fi
mkdir -p "$cache/src" "$cache/build" "$cache/out" "$cache/logs"
logs="$cache/logs"

# The newest downloaded .dsc of source package $1.
dsc_of() {
    find "$cache/src" -maxdepth 1 -name "$1_*.dsc" | sort -V | tail -n 1
}
version_of() {
    awk '/^Version:/ {print $2; exit}' "$(dsc_of "$1")"
}
fetch() {
    local pkg="$1"
    [ -n "$(dsc_of "$pkg")" ] && return 0
    say "downloading the source package $pkg"
    if ! (cd "$cache/src" && apt-get source --download-only -q "$pkg" >"$logs/fetch-$pkg.log" 2>&1); then
        # No deb-src entry yet: deps.sh adds one for bookworm.
        bash "$root/scripts/deps.sh" real-projects
        (cd "$cache/src" && apt-get source --download-only -q "$pkg" >"$logs/fetch-$pkg.log" 2>&1) || {
            say "apt-get source $pkg failed: see $logs/fetch-$pkg.log"
            return 1
        }
    fi
}
# Unpacks source package $1 (Debian's patches applied) into $2, afresh.
unpack() {
    rm -rf "$2"
    dpkg-source --no-check -x "$(dsc_of "$1")" "$2" >/dev/null
}

# The plugin must really be loaded by these flags: a derivative proves it
# (otherwise identical objects would prove nothing).
probe() {
    local dir="$cache/build/probe"
    rm -rf "$dir" && mkdir -p "$dir"
    cat >"$dir/probe.c" <<'EOF'
#ifdef __cplusplus
extern "C"
#endif
double __enzyme_autodiff(void *, ...);
static double cube(double x) { return x * x * x; }
int main(void) { return __enzyme_autodiff((void *)cube, 2.0) == 12.0 ? 0 : 1; }
EOF
    "$cc" -O2 -fpass-plugin="$plugin" "$dir/probe.c" -o "$dir/probe-c" &&
        "$dir/probe-c" &&
        "$cxx" -x c++ -O2 -fpass-plugin="$plugin" "$dir/probe.c" -o "$dir/probe-cxx" &&
        "$dir/probe-cxx"
}

# Copies the object files under $1 to $2, keeping relative paths.
collect_objects() {
    rm -rf "$2" && mkdir -p "$2"
    (cd "$1" && find . -type f \( -name '*.o' -o -name '*.lo' \) -print0 |
        xargs -0 -r cp --parents -t "$2")
}

# Compares the objects of builds $2 and $3; $1 names the comparison.
compare_objects() {
    local what="$1" a="$2" b="$3" n=0 diffs=()
    local la lb
    la=$(cd "$a" && find . -type f | sort)
    lb=$(cd "$b" && find . -type f | sort)
    if [ "$la" != "$lb" ]; then
        fail "$what: the two builds made different sets of object files"
        return
    fi
    while IFS= read -r f; do
        [ -n "$f" ] || continue
        n=$((n + 1))
        cmp -s "$a/$f" "$b/$f" || diffs+=("$f")
    done <<<"$la"
    if [ "$n" -eq 0 ]; then
        fail "$what: no object files"
    elif [ "${#diffs[@]}" -gt 0 ]; then
        fail "$what: ${#diffs[@]} of $n object files differ: ${diffs[*]:0:5}"
    else
        pass "$what: $n object files bit-identical with and without the plugin"
    fi
}

# Checks that the plugin variant's build log shows the flag in use.
flag_seen() {
    local n
    n=$(grep -c -- "-fpass-plugin=$plugin" "$1" || true)
    if [ "$n" -eq 0 ]; then
        fail "$2: the build log shows no compile with the plugin"
        return 1
    fi
}

plugin_flag() { [ "$1" = plugin ] && printf '%s' "-fpass-plugin=$plugin" || true; }

# Runs the steps function $2 with the remaining arguments in a new bash
# with errexit on, output to the log $1. (A subshell would not do: errexit
# stays off inside anything run as the condition of an `if`.)
run_steps() {
    local log="$1"
    shift
    bash -euo pipefail -c '"$@"' _ "$@" >"$log" 2>&1
}

# ---------------------------------------------------------------- zlib
zlib_steps() { # dir level-flags plugin-flag
    cd "$1"
    CC="$cc" CFLAGS="$2 $3" ./configure
    make -j1
    make -j1 test
}
build_zlib() { # plain|plugin level
    local dir="$cache/build/zlib" log="$logs/zlib-$1-$2.log" pf lf
    pf=$(plugin_flag "$1")
    lf=$(level_flags "$2")
    unpack zlib "$dir"
    if ! run_steps "$log" zlib_steps "$dir" "$lf" "$pf"; then
        fail "zlib $lf $1: build or make test failed (see $log)"
        return 1
    fi
    [ "$1" = plugin ] && { flag_seen "$log" "zlib $lf" || return 1; }
    pass "zlib $lf $1: make test passed"
    collect_objects "$dir" "$cache/out/zlib-$2-$1"
}

# ---------------------------------------------------------------- Lua
# Debian's build system for Lua needs libtool and autoconf; this compiles
# the same files (Debian's patched sources) the way upstream's
# `make linux-noreadline` does, and the core once more as C++ (Debian
# ships a C++ build of the library too).
lua_core="lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser lstate lstring ltable ltm lundump lvm lzio"
lua_lib="lauxlib lbaselib lcorolib ldblib liolib lmathlib loadlib loslib lstrlib ltablib lutf8lib linit"
lua_steps() { # dir level-flags plugin-flag
    local flags="$2 -Wall -Wextra -DLUA_COMPAT_5_3 -DLUA_USE_LINUX $3"
    cd "$1/src"
    # What debian/rules writes before building.
    printf '%s\n' '#ifndef _LUA_DEB_MULTIARCH_' '#define _LUA_DEB_MULTIARCH_' \
        "#define DEB_HOST_MULTIARCH \"$(dpkg-architecture -qDEB_HOST_MULTIARCH)\"" \
        '#endif' >lua5.4-deb-multiarch.h
    local objs=() cxx_objs=() m
    for m in $lua_core $lua_lib; do
        echo "$cc -std=gnu99 $flags -c $m.c -o $m.o"
        $cc -std=gnu99 $flags -c "$m.c" -o "$m.o"
        echo "$cxx -x c++ $flags -c $m.c -o $m-c++.o"
        $cxx -x c++ $flags -c "$m.c" -o "$m-c++.o"
        objs+=("$m.o")
        cxx_objs+=("$m-c++.o")
    done
    for m in lua luac; do
        $cc -std=gnu99 $flags -c "$m.c" -o "$m.o"
    done
    $cxx -x c++ $flags -c lua.c -o lua-c++.o
    ar rcs liblua.a "${objs[@]}"
    ar rcs liblua-c++.a "${cxx_objs[@]}"
    $cc -o lua lua.o liblua.a -lm -Wl,-E -ldl
    $cc -o luac luac.o liblua.a -lm
    $cxx -o lua-c++ lua-c++.o liblua-c++.a -lm -Wl,-E -ldl
    ./lua "$here/smoke.lua"
    ./lua-c++ "$here/smoke.lua"
    ./luac -o smoke.luac "$here/smoke.lua"
    ./lua smoke.luac
}
build_lua() { # plain|plugin level
    local dir="$cache/build/lua" log="$logs/lua-$1-$2.log" pf lf
    pf=$(plugin_flag "$1")
    lf=$(level_flags "$2")
    unpack lua5.4 "$dir"
    if ! run_steps "$log" lua_steps "$dir" "$lf" "$pf"; then
        fail "lua $lf $1: build or smoke test failed (see $log)"
        return 1
    fi
    [ "$1" = plugin ] && { flag_seen "$log" "lua $lf" || return 1; }
    pass "lua $lf $1: $(grep -m1 'lua-smoke' "$log") (C, C++ and precompiled)"
    collect_objects "$dir" "$cache/out/lua-$2-$1"
}

# ---------------------------------------------------------------- SQLite
# Debian's CFLAGS for libsqlite3 (debian/rules), without the hardening ones.
sqlite_defs="-fno-strict-aliasing -DSQLITE_SECURE_DELETE -DSQLITE_ENABLE_COLUMN_METADATA
 -DSQLITE_ENABLE_FTS3 -DSQLITE_ENABLE_FTS3_PARENTHESIS -DSQLITE_ENABLE_RTREE=1 -DSQLITE_SOUNDEX=1
 -DSQLITE_ENABLE_UNLOCK_NOTIFY -DSQLITE_OMIT_LOOKASIDE=1 -DSQLITE_ENABLE_DBSTAT_VTAB
 -DSQLITE_ALLOW_ROWID_IN_VIEW -DSQLITE_ENABLE_UPDATE_DELETE_LIMIT=1 -DSQLITE_ENABLE_LOAD_EXTENSION
 -DSQLITE_ENABLE_JSON1 -DSQLITE_LIKE_DOESNT_MATCH_BLOBS -DSQLITE_THREADSAFE=1
 -DSQLITE_ENABLE_FTS3_TOKENIZER=1 -DSQLITE_USE_URI=1 -DSQLITE_MAX_SCHEMA_RETRY=25
 -DSQLITE_ENABLE_PREUPDATE_HOOK -DSQLITE_ENABLE_SESSION -DSQLITE_ENABLE_STMTVTAB
 -DSQLITE_MAX_VARIABLE_NUMBER=250000"
sqlite_steps() { # dir level-flags plugin-flag
    cd "$1"
    # The amalgamation's generators (lemon, mkkeywordhash, ...) are built
    # with the same compiler and flags, so they run with the plugin too.
    ./configure --disable-tcl CC="$cc" CFLAGS="$2 $3"
    make -j1 sqlite3.c shell.c
    mkdir -p ferment
    echo "$cc $2 $3 $sqlite_defs -c sqlite3.c -o ferment/sqlite3.o"
    # shellcheck disable=SC2086
    $cc $2 $3 $sqlite_defs -c sqlite3.c -o ferment/sqlite3.o
    # shellcheck disable=SC2086
    $cc $2 $3 $sqlite_defs -c shell.c -o ferment/shell.o
    $cc ferment/sqlite3.o ferment/shell.o -lm -ldl -lpthread -o ferment/sqlite3
    rm -f ferment/smoke.db ferment/smoke.db-*
    ferment/sqlite3 ferment/smoke.db <"$here/smoke.sql" >ferment/smoke.out
    diff -u "$here/smoke.sql.expected" ferment/smoke.out
}
build_sqlite() { # plain|plugin level
    local dir="$cache/build/sqlite" log="$logs/sqlite-$1-$2.log" pf lf
    pf=$(plugin_flag "$1")
    lf=$(level_flags "$2")
    unpack sqlite3 "$dir"
    if ! run_steps "$log" sqlite_steps "$dir" "$lf" "$pf"; then
        fail "sqlite $lf $1: build or smoke test failed (see $log)"
        return 1
    fi
    [ "$1" = plugin ] && { flag_seen "$log" "sqlite $lf" || return 1; }
    pass "sqlite $lf $1: shell smoke test matched ($(wc -l <"$here/smoke.sql.expected") lines)"
    # The objects of the generator tools too (lemon.o is linked directly;
    # libtool's .lo/.o of the library are not built by these targets).
    collect_objects "$dir" "$cache/out/sqlite-$2-$1"
}

# ---------------------------------------------------------------- GSL
gsl_steps() { # dir opt
    "$cc" -"$2" -g -fpass-plugin="$plugin" -I "$1/ferment-include" -I "$1" \
        -I "$1/ode-initval2" "$here/gsl_ode_ad.c" -lm -o "$1/gsl-ode-$2"
    "$1/gsl-ode-$2"
    if command -v valgrind >/dev/null 2>&1; then
        valgrind -q --error-exitcode=99 "$1/gsl-ode-$2" >/dev/null
        echo "valgrind: clean"
    fi
}
run_gsl() {
    local dir="$cache/build/gsl" log
    unpack gsl "$dir"
    # <gsl/...> headers gathered the way gsl's build links them, and a
    # config.h for glibc (every HAVE_DECL_ that config.h.in asks about).
    mkdir -p "$dir/ferment-include/gsl"
    find "$dir" -maxdepth 2 -name 'gsl_*.h' -not -path '*/ferment-include/*' \
        -exec cp -t "$dir/ferment-include/gsl" {} +
    sed -e 's/^#undef \(HAVE_DECL_[A-Z0-9_]*\)$/#define \1 1/' "$dir/config.h.in" \
        >"$dir/ferment-include/config.h"
    for opt in O0 O2; do
        log="$logs/gsl-$opt.log"
        if ! run_steps "$log" gsl_steps "$dir" "$opt"; then
            fail "gsl ODE derivatives -$opt: failed (see $log)"
            continue
        fi
        pass "gsl ODE derivatives -$opt: reverse and forward match central differences ($(grep -c 'central-fd .* ok$' "$log") checks$(grep -q 'valgrind: clean' "$log" && echo ', valgrind clean'))"
    done
}

# ---------------------------------------------------------------- main
export cc cxx plugin here sqlite_defs lua_core lua_lib
export -f zlib_steps lua_steps sqlite_steps gsl_steps

start=$SECONDS
if ! probe; then
    say "the plugin does not differentiate a probe with $cc/$cxx -fpass-plugin=$plugin"
    exit 1
fi
declare -A source_package=([zlib]=zlib [lua]=lua5.4 [sqlite]=sqlite3 [gsl]=gsl)
versions=()
for p in "${projects[@]}"; do
    pkg="${source_package[$p]:-}"
    if [ -z "$pkg" ]; then
        say "unknown project '$p' (zlib, lua, sqlite, gsl)"
        exit 2
    fi
    fetch "$pkg"
    versions+=("$pkg $(version_of "$pkg")")
done
for p in "${projects[@]}"; do
    t0=$SECONDS
    if [ "$p" = gsl ]; then
        run_gsl
    else
        for opt in $(levels_of "$p"); do
            ok=1
            "build_$p" plain "$opt" || ok=0
            "build_$p" plugin "$opt" || ok=0
            [ "$ok" = 1 ] &&
                compare_objects "$p $(level_flags "$opt")" "$cache/out/$p-$opt-plain" "$cache/out/$p-$opt-plugin"
        done
    fi
    say "$p took $((SECONDS - t0)) s"
done

echo
echo "== real projects with ferment ($(basename "$plugin"), $("$cc" --version | head -n 1))"
printf '   sources: %s\n' "${versions[@]}"
printf '%s\n' "${summary[@]}"
echo "== $((SECONDS - start)) s in all; $([ "$failed" = 0 ] && echo 'no difference, no failure' || echo 'FAILURES above')"
exit "$failed"
