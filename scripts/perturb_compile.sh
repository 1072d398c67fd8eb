#!/bin/bash
# Compiles e2e cases with the plugin while glibc fills every freed block with one byte, so that a
# handle to an instruction LLVM (or the plugin) has freed reads as an instruction of a chosen kind
# (see clang-tests/tests/freed_handles.rs), and reports each compile that crashes.
#
# usage: scripts/perturb_compile.sh [-j JOBS] PLUGIN BYTES LEVELS PATH...
#   PLUGIN  libferment.so to load (libferment_clang.so is taken from the same directory)
#   BYTES   comma-separated MALLOC_PERTURB_ bytes: LLVM 22's value id of an instruction kind,
#           29 (Value::InstructionVal) + its opcode (Instruction.def): 85 phi, 86 call,
#           34 invoke, 61 load, 62 store, 63 getelementptr, 65 cmpxchg, 66 atomicrmw
#   LEVELS  comma-separated -O levels, e.g. 0,2
#   PATH    case files or directories under clang-tests/cases (searched for .c .cpp .cc .f90)
#   -j      compiles run at once (default 1; at most 2 on a shared machine)
# Prints `CRASH B=<byte> O<level> <file>` with the start of clang's report for each crash,
# `TIMEOUT ...` for a compile over 300 s and `fail ...` for a compile that failed without a
# crash where the case expects none (a missing header); exits 1 when any compile crashed. Not run by CI (slow:
# each compile runs with the allocator's thread cache off).
# Example: scripts/perturb_compile.sh -j 2 target/release/libferment.so 85,86 0,2 clang-tests/cases/memory
set -u
jobs=1
if [ "${1:-}" = "-j" ]; then
    jobs=$2
    shift 2
fi
if [ $# -lt 4 ]; then
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
plugin=$(realpath "$1")
bytes=$2
levels=$3
shift 3
root=$(cd "$(dirname "$0")/.." && pwd)
export plugin root

one() {
    local f=$1 byte=$2 level=$3 drv cm nc flags d rc status=0
    case "$f" in
        *.f90 | *.F90 | *.f) drv=flang-22; cm='!'; nc= ;;
        *.cpp | *.cc) drv=clang++-22; cm='//'; nc=-fno-crash-diagnostics ;;
        *.c) drv=clang-22; cm='//'; nc=-fno-crash-diagnostics ;;
        *) return 0 ;;
    esac
    grep -q "mpi.h" "$f" && return 0
    # The case's `CFLAGS:` lines, from the comment block at its top (as the e2e runner reads them).
    flags=$(awk -v cm="$cm" 'NF==0{next} index($0,cm)!=1{exit} {sub("^"cm"+ *","")} /^CFLAGS:/{sub(/^CFLAGS:/,""); print}' "$f" | tr '\n' ' ')
    flags=${flags//@FERMENT_CLANG@/$(dirname "$plugin")/libferment_clang.so}
    d=$(mktemp -d /tmp/perturb.XXXXXX)
    # shellcheck disable=SC2086
    (cd "$d" && GLIBC_TUNABLES=glibc.malloc.tcache_count=0 MALLOC_PERTURB_=$byte timeout 300 \
        $drv $nc -I "$root/clang-tests/include" -I "$root/runtime/include" $flags -O"$level" \
        -fpass-plugin="$plugin" -c "$f" -o out.o >log 2>&1)
    rc=$?
    if [ $rc -eq 124 ]; then
        echo "TIMEOUT B=$byte O$level $f"
    elif [ $rc -gt 128 ] || grep -q "Stack dump\|PLEASE submit\|Segmentation\|Assertion" "$d/log"; then
        echo "CRASH rc=$rc B=$byte O$level $f"
        head -c 3000 "$d/log" | grep -v "^ *$" | head -30
        status=1
    elif [ $rc -ne 0 ] && ! grep -q "EXPECT-ERROR:" "$f"; then
        echo "fail rc=$rc B=$byte O$level $f"
        tail -3 "$d/log"
    fi
    rm -rf "$d"
    return $status
}
export -f one

for p in "$@"; do
    if [ -d "$p" ]; then
        find "$p" -type f \( -name '*.c' -o -name '*.cpp' -o -name '*.cc' -o -name '*.f90' \) | sort
    else
        echo "$p"
    fi
done | while read -r f; do
    f=$(realpath "$f")
    for level in ${levels//,/ }; do
        for byte in ${bytes//,/ }; do
            echo "$f $byte $level"
        done
    done
done | xargs -P "$jobs" -L 1 bash -c 'one "$0" "$1" "$2"'
# xargs exits 123 when a command failed
[ $? -eq 0 ]
