#!/bin/bash
# run-all.sh ENZYME_INTEGRATION_DIR [LEVELS...]: run1.sh on every C/C++ test under Enzyme's
# enzyme/test/Integration (a local copy) at each level (default 0 2), two at a time. Writes
# results-O<L>.txt in the current directory and prints a per-directory summary and every
# non-passing line. Needs PLUGIN_DIR (see run1.sh).
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "${1:?usage: run-all.sh ENZYME_INTEGRATION_DIR [LEVELS...]}" && pwd); shift
levels=${*:-0 2}
export ENZ_ROOT=$root
for L in $levels; do
  find "$root" \( -name '*.c' -o -name '*.cpp' \) | sort |
    xargs -P2 -I{} bash "$here/run1.sh" {} "$L" 2>/dev/null | sort -k2 >"results-O$L.txt"
  echo "== O$L"
  awk '{split($2, p, "/"); d = p[1]; t[d]++; if ($1 == "PASS") ok[d]++; if ($1 == "SKIP") sk[d]++; if ($1 == "XFAIL") xf[d]++}
    END {for (d in t) printf "%-20s %d/%d pass (%d skipped, %d xfail)\n", d, ok[d], t[d] - sk[d] - xf[d], sk[d], xf[d]}' \
    "results-O$L.txt" | sort
  grep -v '^PASS\|^SKIP' "results-O$L.txt"
done
