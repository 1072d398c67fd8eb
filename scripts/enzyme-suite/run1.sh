#!/bin/bash
# run1.sh FILE LEVEL: compile one C/C++ test of Enzyme's integration suite with ferment at
# -O<LEVEL>, run it, print "<STATUS> <file> O<level> <reason>"; STATUS is PASS, FAIL, CRASH,
# TIMEOUT, COMPILE-ERROR, COMPILE-CRASH, XFAIL (a test Enzyme marks `XFAIL: *` that fails here
# too) or SKIP.
# Environment: PLUGIN_DIR (required: a fresh directory holding copies of libferment.so and
# libferment_clang.so), ENZ_ROOT (Enzyme's enzyme/test/Integration, for names and
# ../test_utils.h), FERMENT_INC (ferment's runtime/include, for <enzyme/enzyme>; default: the
# one in this checkout).
# Adaptations to Enzyme's RUN lines: the first RUN line that runs the program (else the first)
# gives the language, -std, -ffast-math and friends; the test is compiled to a native binary
# with -fpass-plugin and -fplugin (Enzyme's -enzyme-* options dropped) and run; "| FileCheck"
# after lli checks the program's output; RUN lines that only compile are compiled (-c); tests
# of OpenMP, MPI, CUDA or MLIR, of Enzyme's remarks (-verify), ThinLTO or separate compilation,
# and IR-only FileCheck tests are skipped, and so are tests named in skip_reason below (Enzyme's
# internals, missing libraries, tests that do not compile or that Enzyme does not run on LLVM
# 22). A -Xclang -verify test that expects errors passes when ferment refuses it with its own
# compile error (Enzyme's wording is not compared). C tests get assert.h, string.h and stdint.h
# included (clang >= 16 rejects the implicit declarations some rely on); every test gets
# compat.h.
f=$1; L=$2
here=$(cd "$(dirname "$0")" && pwd)
: "${PLUGIN_DIR:?set PLUGIN_DIR to a directory holding copies of libferment.so and libferment_clang.so}"
FERMENT_INC=${FERMENT_INC:-$here/../../runtime/include}
rel=${f#${ENZ_ROOT:-}/}
run=$(grep '^// RUN:' "$f" | grep -m1 'lli' || grep -m1 '^// RUN:' "$f")
all=$(grep '^// RUN:' "$f")
if echo "$all" | grep -qiE 'fopenmp|mpicc|mpirun|cuda|mlir|-lcublas'; then
  echo "SKIP $rel O$L openmp/mpi/cuda/mlir"; exit 0; fi
# Tests of Enzyme's own internals or of tools not installed here (name: reason).
skip_reason() {
  case $rel in
    */checkpoint_schedule.c) echo "checks the arithmetic of Enzyme's checkpoint_schedule.h helpers, not a derivative" ;;
    */logger.cpp) echo "counts calls of Enzyme's enzymeLogGrad debugging hook, not part of the interface" ;;
    *ForwardMode/sumtil.c) echo "declares __enzyme_fwddiff returning void and uses its result: not valid C" ;;
    *ForwardMode/vec.c) echo "a .c file that includes <vector>: does not compile as C" ;;
    *ReverseMode/customglob.cpp) [ "$L" = 0 ] && echo "uses host_mem_type, declared but defined nowhere: links only where optimization drops the load" ;;
    *ForwardMode/nofn.cpp) echo "expects Enzyme's error for a template helper ferment differentiates (clang-tests cpp/function_parameter_helpers.cpp)" ;;
  esac
  if grep -q '#include <boost/' "$f" && [ ! -d /usr/include/boost/numeric/odeint ]; then
    echo "needs Boost.odeint, not installed"; fi
  if echo "$all" | grep -q -- '-enzyme-vectorize-at-leaf-nodes'; then
    echo "needs Enzyme's -enzyme-vectorize-at-leaf-nodes calling convention (one interleaved shadow buffer per argument)"; fi
  # Every RUN line gated to LLVM versions other than 22 (Enzyme does not run it there).
  if ! echo "$all" | grep -vqE 'llvmver -(le|lt) ([0-9]|1[0-9]|2[01])\b|llvmver -eq ([0-9]|1[0-9]|2[013-9])\b'; then
    echo "Enzyme runs it only on other LLVM versions ($(echo "$all" | grep -o 'llvmver -[a-z]* [0-9]*' | sort -u | tr '\n' ' '))"; fi
}
r=$(skip_reason)
if [ -n "$r" ]; then echo "SKIP $rel O$L $r"; exit 0; fi
# -Xclang -verify tests whose expected diagnostics are errors: ferment must refuse the program
# with its own compile error (the wording is ours, so only the refusal is checked).
verify_err=""
if echo "$all" | grep -q -- '-Xclang -verify' && grep -q 'expected-error' "$f"; then verify_err=1
elif echo "$all" | grep -qE -- '-Xclang -verify|flto|enzyme-separate-compilation'; then
  echo "SKIP $rel O$L remarks/ThinLTO/separate-compilation"; exit 0; fi
if [ -z "$verify_err" ] && echo "$run" | grep -q 'FileCheck' && ! echo "$run" | grep -q 'lli'; then
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
if [ -n "$verify_err" ]; then
  timeout 300 nice $cc -O$L $std -fno-crash-diagnostics -w $inc \
    -fpass-plugin=$PLUGIN_DIR/libferment.so -fplugin=$PLUGIN_DIR/libferment_clang.so \
    -I "$(dirname "$f")" -I "$(dirname "$f")/.." -I "$FERMENT_INC" "$f" -c -o "$w/a.o" >"$w/cc.log" 2>&1
  rc=$?
  if grep -q 'PLEASE submit\|Stack dump\|panicked' "$w/cc.log"; then
    echo "COMPILE-CRASH $rel O$L $(grep -m1 -E 'PLEASE|panick' "$w/cc.log" | cut -c1-200)"
  elif [ $rc -ne 0 ] && grep -q 'error: ferment' "$w/cc.log"; then
    echo "PASS $rel O$L (expected compile error: $(grep -m1 'error: ferment' "$w/cc.log" | sed 's/.*error: ferment: //' | cut -c1-120))"
  elif [ $rc -ne 0 ] && grep -q 'expected-error@/enzymeroot/enzyme/' "$f" &&
      grep -q '/include/enzyme/[a-z_]*:[0-9]*:[0-9]*: error:' "$w/cc.log"; then
    # The expected errors are static assertions of Enzyme's C++ header: ferment's
    # <enzyme/enzyme> must reject the same calls (its own wording).
    echo "PASS $rel O$L (expected compile error in the C++ interface header: $(grep -m1 '/include/enzyme/.*error:' "$w/cc.log" | sed 's/.*error: //' | cut -c1-120))"
  else echo "FAIL $rel O$L expected a ferment compile error (Enzyme's test expects one), got rc=$rc $(grep -m1 error "$w/cc.log" | cut -c1-160)"; fi
  exit 0
fi
timeout 300 nice $cc -O$L $std $extra -fno-crash-diagnostics -w $inc \
  -fpass-plugin=$PLUGIN_DIR/libferment.so -fplugin=$PLUGIN_DIR/libferment_clang.so \
  -I "$(dirname "$f")" -I "$(dirname "$f")/.." -I "$FERMENT_INC" -I /usr/include/eigen3 \
  "$f" $conly -o "$w/a.out" $([ -z "$conly" ] && echo "-lm $libs") >"$w/cc.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
  msg=$(grep -m1 -E 'error|Error|PLEASE|Assert|panick' "$w/cc.log" | cut -c1-220)
  [ $rc -ge 124 ] && msg="timeout/signal rc=$rc $msg"
  if grep -q 'PLEASE submit\|Stack dump\|panicked' "$w/cc.log"; then echo "COMPILE-CRASH $rel O$L $msg"
  elif grep -q '^// XFAIL: \*' "$f"; then echo "XFAIL $rel O$L (fails in Enzyme too: XFAIL) $msg"
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
xfail=""
grep -q '^// XFAIL: \*' "$f" && xfail=1
if [ $rc -ne 0 ] && [ -n "$xfail" ]; then echo "XFAIL $rel O$L (fails in Enzyme too: XFAIL) rc=$rc $(grep -m1 -iE 'assert|fail|error' "$w/run.log" | cut -c1-160)"
elif [ $rc -eq 0 ]; then echo "PASS $rel O$L"
elif [ $rc -eq 124 ]; then echo "TIMEOUT $rel O$L"
elif [ $rc -ge 128 ] && ! grep -q 'Assertion Failed\|ERROR\|mismatch' "$w/run.log"; then
  echo "CRASH $rel O$L rc=$rc $(tail -c 200 "$w/run.log" | tr '\n' ' ')"
else echo "FAIL $rel O$L rc=$rc $(grep -m1 -iE 'assert|fail|error|wrong|mismatch|expected' "$w/run.log" | cut -c1-200)"; fi
