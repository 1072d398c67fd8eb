#!/bin/bash
# run.sh BENCH_DIR [WORK_DIR]: build Enzyme's benchmark programs (BENCH_DIR = a local copy of
# EnzymeAD/Enzyme's enzyme/benchmarks, holding ReverseMode/ and ForwardMode/) with ferment,
# check each derivative against central finite differences, time it, and, where the PyPI
# enzyme-ad package works (benches/enzyme/build.py), do the same with real Enzyme; print a table.
# Environment: PLUGIN_DIR (required: a fresh directory holding copies of libferment.so and
# libferment_clang.so), LEVELS (default "0 2 3": ferment is checked at each, timed at O2),
# ENZYME (default 1 when `python3.11 benches/enzyme/build.py --check` works; 0 skips it),
# ONLY (comma-separated names from the list below, e.g. rev-gmm,fwd-taylorlog), SECS (minimum CPU seconds per timing, default 0.3).
# Each program's Enzyme part is extracted by extract.py (Tapenade/Adept/Rust/main removed)
# and driven by wrap/<name>.cpp (inputs of ADBench's documented sizes, generated) and driver.c.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BENCH=${1:?usage: run.sh BENCH_DIR [WORK_DIR]}
BENCH=$(cd "$BENCH" && pwd)
W=${2:-$(mktemp -d /tmp/enzyme-bench.XXXXXX)}
mkdir -p "$W"
: "${PLUGIN_DIR:?set PLUGIN_DIR to a directory holding copies of libferment.so and libferment_clang.so}"
LEVELS=${LEVELS:-"0 2 3"}
SECS=${SECS:-0.3}
if [ -z "${ENZYME:-}" ]; then
  if python3.11 "$root/benches/enzyme/build.py" --check >/dev/null 2>&1; then ENZYME=1; else ENZYME=0; fi
fi
# name (= wrap/<name>.cpp) | driver mode | mode dir | program dir | files to extract | fd step | tolerance
PROGRAMS="
rev-gmm|rev|ReverseMode|gmm|gmm.cpp|1e-6|1e-4
rev-ba|rev|ReverseMode|ba|ba.cpp|1e-6|1e-4
rev-lstm|rev|ReverseMode|lstm|lstm.cpp|1e-6|1e-4
rev-lstm-dup|rev|ReverseMode|lstm|lstm.cpp|1e-6|1e-4
rev-fft|rev|ReverseMode|fft|fft.cpp fft.h|1e-6|1e-4
rev-ode-real|rev|ReverseMode|ode-real|ode.cpp|1e-6|1e-4
rev-ode-real-norestrict|rev|ReverseMode|ode-real|ode.cpp|1e-6|1e-4
rev-nn|rev|ReverseMode|nn|nn.cpp|3e-3|3e-2
fwd-logsumexp|rev|ForwardMode|logsumexp|logsumexp.cpp|1e-6|1e-4
fwd-taylorlog|fwd|ForwardMode|taylorlog|taylorlog.cpp|1e-6|1e-4
fwd-gmm|fwd|ForwardMode|gmm|gmm.cpp|1e-6|1e-4
fwd-gmm-vec|fwd|ForwardMode|gmm|gmm.cpp|1e-6|1e-4
fwd-lstm|fwd|ForwardMode|lstm|lstm.cpp|1e-6|1e-4
fwd-lstm-dup|fwd|ForwardMode|lstm|lstm.cpp|1e-6|1e-4
fwd-matdescent|rev|ForwardMode|matdescent|matdescent.cpp|1e-6|1e-4
fwd-hand|fwd|ForwardMode|hand|hand.cpp|1e-6|1e-4
fwd-hand-complicated|fwd|ForwardMode|hand|hand.cpp|1e-6|1e-4
fwd-ba|fwd|ForwardMode|ba|ba.cpp|1e-6|1e-4
fwd-ba-objective|fwd|ForwardMode|ba|ba.cpp|1e-6|1e-4
fwd-ba-objective-rev|rev|ForwardMode|ba|ba.cpp|1e-6|1e-4
fwd-fft|rev|ForwardMode|fft|fft.cpp fft.h|1e-6|1e-4
"
gcc -O2 -c "$here/driver.c" -o "$W/driver.o" || exit 1
printf '%-22s %-4s %-12s %-14s %-12s %-12s %-12s %-10s\n' program mode compiles "matches FD" "ferment s" "Enzyme s" "Enzyme FD" "primal s"
echo "$PROGRAMS" | while IFS='|' read -r name mode mdir pdir files step tol; do
  [ -z "$name" ] && continue
  if [ -n "${ONLY:-}" ] && ! echo ",$ONLY," | grep -q ",$name,"; then continue; fi
  d=$W/$name
  rm -rf "$d"; mkdir -p "$d/src" "$d/adbench" "$d/mshared"
  defs=$BENCH/$mdir/mshared/defs.h; [ -f "$defs" ] || defs=$BENCH/ForwardMode/mshared/defs.h
  [ -f "$defs" ] && cp "$defs" "$d/mshared/"
  cp "$here"/adbench/*.h "$d/adbench/"
  missing=""
  for f in $files; do
    if [ -f "$BENCH/$mdir/$pdir/$f" ]; then python3 "$here/extract.py" "$BENCH/$mdir/$pdir/$f" "$d/src/$f"
    else missing="$missing $f"; fi
  done
  if [ -n "$missing" ]; then
    printf '%-22s %-4s %s\n' "$name" "$mode" "missing in $BENCH/$mdir/$pdir:$missing"; continue; fi
  # Local headers the extracted files include but that were not extracted (the program's own
  # declarations header, e.g. gmm.h next to gmm.cpp): declarations only, replaced by nothing.
  for inc in $(grep -ho '#include "[^"/]*"' "$d"/src/* | sed 's/#include "\(.*\)"/\1/' | sort -u); do
    [ -f "$d/src/$inc" ] || : > "$d/src/$inc"
  done
  wrap=$here/wrap/$name.cpp
  comp=""; fdres=""; tfer="-"; tprim="-"
  for L in $LEVELS; do
    if timeout 600 clang++-22 -O"$L" -w -fno-crash-diagnostics -fpass-plugin="$PLUGIN_DIR/libferment.so" \
        -fplugin="$PLUGIN_DIR/libferment_clang.so" -I"$here" -I"$d/src" -I"$root/runtime/include" \
        "$wrap" "$W/driver.o" -lm -o "$d/ferment-O$L" >"$d/cc-O$L.log" 2>&1; then
      comp="$comp${comp:+/}ok"
      timeout 300 "$d/ferment-O$L" "$mode" "$SECS" "$step" "$tol" >"$d/run-O$L.log" 2>&1
      rc=$?
      res=$(tail -1 "$d/run-O$L.log")
      if [ $rc -eq 0 ]; then fdres="$fdres${fdres:+/}yes"
      elif echo "$res" | grep -q MISMATCH; then fdres="$fdres${fdres:+/}NO"
      else fdres="$fdres${fdres:+/}crash"; fi
      if [ "$L" = 2 ]; then
        tfer=$(echo "$res" | sed -n 's/.*deriv_s \([^ ]*\).*/\1/p'); tprim=$(echo "$res" | sed -n 's/.*primal_s \([^ ]*\).*/\1/p')
      fi
    else
      if grep -q 'error: ferment' "$d/cc-O$L.log"; then comp="$comp${comp:+/}refused"; else comp="$comp${comp:+/}FAIL"; fi
      fdres="$fdres${fdres:+/}-"
    fi
  done
  tenz="-"; fdenz="-"
  if [ "$ENZYME" = 1 ]; then
    if clang++-22 -O2 -w -I"$here" -I"$d/src" -Xclang -disable-llvm-passes -S -emit-llvm "$wrap" -o "$d/in.ll" \
        && timeout 600 python3.11 "$root/benches/enzyme/build.py" "$d/in.ll" "$d/enzyme.ll" >"$d/enzyme-build.log" 2>&1 \
        && clang++-22 -O2 -w -c "$d/enzyme.ll" -o "$d/enzyme.o" && clang++-22 "$d/enzyme.o" "$W/driver.o" -lm -o "$d/enzyme"; then
      timeout 300 "$d/enzyme" "$mode" "$SECS" "$step" "$tol" >"$d/run-enzyme.log" 2>&1
      rc=$?
      res=$(tail -1 "$d/run-enzyme.log")
      tenz=$(echo "$res" | sed -n 's/.*deriv_s \([^ ]*\).*/\1/p'); [ -z "$tenz" ] && tenz=crash
      if [ $rc -eq 0 ]; then fdenz=yes; elif echo "$res" | grep -q MISMATCH; then fdenz=NO; else fdenz=crash; fi
    else
      tenz="no build"
    fi
  fi
  printf '%-22s %-4s %-12s %-14s %-12s %-12s %-12s %-10s\n' "$name" "$mode" "$comp" "$fdres" "$tfer" "$tenz" "$fdenz" "$tprim"
done
echo "(compiles / matches FD: per level $LEVELS; times: CPU seconds per derivative call at -O2; work files in $W)"
