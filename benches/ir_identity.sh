#!/usr/bin/env bash
# Whether two builds of the plugin give the same optimized IR.
#
# usage: bash benches/ir_identity.sh OLD.so NEW.so [OUTDIR]
#        NEW_FLAGS="-mllvm -ferment-..." bash benches/ir_identity.sh P.so P.so
#
# Compiles every benchmark source (benches/src/*.c, *.cpp, harness.c left
# out) and every shape (benches/repro/shapes/*.c) with -S -emit-llvm at -O0,
# plain -O2 and the benchmarks' tuned flags (-O2 -march=native
# -fno-math-errno), once with each plugin, and compares the two outputs
# byte for byte. A benchmark's own flags (its plugin_flags in
# benches/run.py: -D..., -fopenmp, -mllvm -ferment-...) go with it. Prints one line per difference and a summary;
# exits 1 when any output differs or a compile fails with one plugin only.
# Two jobs at a time (the machine is shared). Writes only under OUTDIR
# (default: a new directory under /tmp). NEW_FLAGS go to the NEW compiles
# only: with the same plugin twice, whether an option changes the IR.
# ONLY=REGEX keeps the compiles whose source path or flags match (grep -E).
set -u
OLD=$1 NEW=$2
OUT=${3:-$(mktemp -d /tmp/ir-identity.XXXXXX)}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CC=${CC:-clang-22}
mkdir -p "$OUT"

# One job per source, optimization level and flag set: a source that
# benches/run.py builds with its own flags (stencil_ckpt, rk4_ckpt,
# kmeans_hvp, ba_calls, the OpenMP benchmarks) is compiled once per set.
jobs=()
while IFS= read -r line; do jobs+=("$line"); done < <(python3 - "$ROOT" <<'PY'
import glob, os, sys
root = sys.argv[1]
sys.path.insert(0, os.path.join(root, "benches"))
import run
sets = {}
for name, b in run.BENCHES.items():
    fl = " ".join(b.get("plugin_flags", []))
    sets.setdefault(b.get("src", name + ".c"), set()).add(fl)
srcs = sorted(glob.glob(os.path.join(root, "benches/src/*.c")) +
              glob.glob(os.path.join(root, "benches/src/*.cpp")))
srcs = [s for s in srcs if os.path.basename(s) != "harness.c"]
srcs += sorted(glob.glob(os.path.join(root, "benches/repro/shapes/*.c")))
levels = (("O0", "-O0"), ("O2", "-O2"), ("tuned", "-O2 -march=native -fno-math-errno"))
for src in srcs:
    for fl in sorted(sets.get(os.path.basename(src), {""})):
        for lvl, lf in levels:
            print(f"{src}|{lvl}|{lf} {fl}".rstrip())
PY
)

one() {
  IFS='|' read -r src lvl fl <<<"$1"
  base=$(basename "$src").$(printf '%s' "$fl" | sed 's/-O[0-9]//; s/-march=native//; s/-fno-math-errno//; s/-mllvm//g' | tr -cd 'A-Za-z0-9_')
  inc="-I $ROOT/runtime/include -I $ROOT/benches/src -I $ROOT/clang-tests/include"
  a=$OUT/$base.$lvl.old.ll b=$OUT/$base.$lvl.new.ll
  # shellcheck disable=SC2086
  $CC $fl $inc -fpass-plugin="$OLD" -S -emit-llvm "$src" -o "$a" 2>"$a.err"; ra=$?
  # shellcheck disable=SC2086
  $CC $fl $inc -fpass-plugin="$NEW" $NEW_FLAGS -S -emit-llvm "$src" -o "$b" 2>"$b.err"; rb=$?
  if [ $ra -ne 0 ] && [ $rb -ne 0 ]; then echo "BOTH-FAIL $base $lvl"; return; fi
  if [ $ra -ne $rb ]; then echo "FAIL-DIFFERS $base $lvl (old rc $ra, new rc $rb)"; return; fi
  if cmp -s "$a" "$b"; then echo "same $base $lvl"; rm -f "$a" "$b" "$a.err" "$b.err"
  else echo "DIFFERENT $base $lvl ($a $b)"; fi
}
export -f one
NEW_FLAGS=${NEW_FLAGS:-}
export OLD NEW OUT CC NEW_FLAGS ROOT

printf '%s\n' "${jobs[@]}" | grep -E -- "${ONLY:-.}" | xargs -P 2 -I{} bash -c 'one "$@"' _ {} | tee "$OUT/summary.txt" | grep -v '^same '
n=$(wc -l <"$OUT/summary.txt"); s=$(grep -c '^same ' "$OUT/summary.txt")
both=$(grep -c '^BOTH-FAIL ' "$OUT/summary.txt")
echo "ir_identity: $s of $n compiles identical ($both fail with both plugins); outputs in $OUT"
[ $((s + both)) -eq "$n" ]
