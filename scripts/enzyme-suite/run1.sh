#!/bin/bash
# run1.sh FILE LEVEL: compile one C/C++ test of Enzyme's integration suite with ferment at
# -O<LEVEL>, run it, print "<STATUS> <file> O<level> <reason>"; STATUS is PASS, FAIL, CRASH,
# TIMEOUT, COMPILE-ERROR, COMPILE-CRASH or SKIP.
# Environment: PLUGIN_DIR (required: a fresh directory holding copies of libferment.so and
# libferment_clang.so), ENZ_ROOT (Enzyme's enzyme/test/Integration, for names and
# ../test_utils.h), FERMENT_INC (ferment's runtime/include, for <enzyme/enzyme>; default: the
# one in this checkout).
# Adaptations to Enzyme's RUN lines: the first RUN line that runs the program (else the first)
# gives the language, -std, -ffast-math and friends; the test is compiled to a native binary
# with -fpass-plugin and -fplugin (Enzyme's -enzyme-* options dropped) and run; "| FileCheck"
# after lli checks the program's output; RUN lines that only compile are compiled (-c); tests
# of OpenMP, MPI, CUDA or MLIR, of Enzyme's remarks (-verify), ThinLTO or separate compilation,
# and IR-only FileCheck tests are skipped. C tests get assert.h, string.h and stdint.h included
# (clang >= 16 rejects the implicit declarations some rely on); every test gets compat.h.
f=$1; L=$2
here=$(cd "$(dirname "$0")" && pwd)
: "${PLUGIN_DIR:?set PLUGIN_DIR to a directory holding copies of libferment.so and libferment_clang.so}"
FERMENT_INC=${FERMENT_INC:-$here/../../runtime/include}
rel=${f#${ENZ_ROOT:-}/}
run=$(grep '^// RUN:' "$f" | grep -m1 'lli' || grep -m1 '^// RUN:' "$f")
all=$(grep '^// RUN:' "$f")
if echo "$all" | grep -qiE 'fopenmp|mpicc|mpirun|cuda|mlir|-lcublas'; then
  echo "SKIP $rel O$L openmp/mpi/cuda/mlir"; exit 0; fi
if echo "$all" | grep -qE -- '-Xclang -verify|flto|enzyme-separate-compilation'; then
  echo "SKIP $rel O$L remarks/ThinLTO/separate-compilation"; exit 0; fi
if echo "$run" | grep -q 'FileCheck' && ! echo "$run" | grep -q 'lli'; then
  echo "SKIP $rel O$L IR-FileCheck"; exit 0; fi
case $f in
  *.cpp) cc=clang++-22; std=$(echo "$run" | grep -o -- '-std=[a-z]*++[0-9a-z]*' | head -1) ;;
  *) cc=clang-22; std=$(echo "$run" | grep -o -- '-std=[a-z0-9]*' | head -1) ;;
esac
# Some .c tests are compiled as C++ by their RUN line.
if echo "$run" | grep -q '%clang++'; then cc="clang++-22 -x c++"; std=""; fi
extra=$(echo "$run" | grep -o -- '-ffast-math\|-fno-exceptions\|-fno-vectorize\|-fno-unroll-loops\|-fno-slp-vectorize' | sort -u | tr '\n' ' ')
libs=""
if grep -qE 'cblas|dgemm|ddot_|dscal_|daxpy|lacpy' "$f"; then libs="-lopenblas"; fi
inc="-include $here/compat.h"
case "$f:$cc" in *.c:clang-22) inc="$inc -include assert.h -include string.h -include stdint.h" ;; esac
conly=""
echo "$run" | grep -q 'lli' || conly="-c"
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
if ! timeout 300 nice $cc -O$L $std $extra -fno-crash-diagnostics -w $inc \
    -fpass-plugin=$PLUGIN_DIR/libferment.so -fplugin=$PLUGIN_DIR/libferment_clang.so \
    -I "$(dirname "$f")" -I "$(dirname "$f")/.." -I "$FERMENT_INC" -I /usr/include/eigen3 \
    "$f" $conly -o "$w/a.out" $([ -z "$conly" ] && echo "-lm $libs") >"$w/cc.log" 2>&1; then
  rc=$?
  msg=$(grep -m1 -E 'error|Error|PLEASE|Assert|panick' "$w/cc.log" | cut -c1-220)
  [ $rc -ge 124 ] && msg="timeout/signal rc=$rc $msg"
  if grep -q 'PLEASE submit\|Stack dump\|panicked' "$w/cc.log"; then echo "COMPILE-CRASH $rel O$L $msg"
  else echo "COMPILE-ERROR $rel O$L $msg"; fi
  exit 0
fi
if [ -n "$conly" ]; then echo "PASS $rel O$L (compile only)"; exit 0; fi
(cd "$w" && OPENBLAS_NUM_THREADS=1 timeout 60 ./a.out >run.out 2>run.err)
rc=$?
cat "$w/run.out" "$w/run.err" >"$w/run.log"
if [ $rc -eq 0 ] && echo "$run" | grep -q 'lli.*FileCheck'; then
  pfx=$(echo "$run" | grep -o -- '--check-prefix=[A-Za-z0-9_-]*' | head -1)
  if ! FileCheck-22 $pfx "$f" <"$w/run.out" >"$w/fc.log" 2>&1; then
    echo "FAIL $rel O$L FileCheck: $(grep -m1 'error' "$w/fc.log" | cut -c1-200)"; exit 0
  fi
fi
if [ $rc -eq 0 ]; then echo "PASS $rel O$L"
elif [ $rc -eq 124 ]; then echo "TIMEOUT $rel O$L"
elif [ $rc -ge 128 ] && ! grep -q 'Assertion Failed\|ERROR\|mismatch' "$w/run.log"; then
  echo "CRASH $rel O$L rc=$rc $(tail -c 200 "$w/run.log" | tr '\n' ' ')"
else echo "FAIL $rel O$L rc=$rc $(grep -m1 -iE 'assert|fail|error|wrong|mismatch|expected' "$w/run.log" | cut -c1-200)"; fi
