#!/usr/bin/env bash
# Experiment (session 32, benches/report/openmp_notes.md): omp_stencil's gradient at one thread
# with its tape rows in transparent huge pages. Each forked step takes its own tape row (800 KB
# at n=100000) from glibc, which serves it with 4 KiB pages; ferment advises huge pages only for
# single buffers of 4 MiB or more (`ferment.tape.huge`). This script builds the benchmark three
# ways from one plugin output and times them alternately:
#   plain   the plugin's code as is;
#   tunable the same binary run with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (glibc >= 2.35 advises
#           huge pages for everything it maps: the primal's buffers too);
#   arena   ferment.tape.take / ferment.tape.release replaced by a per-thread LIFO arena in one
#           MADV_HUGEPAGE mapping (rows contiguous, no tape cache). One thread only: a row released
#           by another thread than the one that took it would corrupt the arena. Not for use.
#   bash benches/repro/omp_tape_huge_pages.sh [PLUGIN] [ROUNDS] [n] [T]
set -euo pipefail
cd "$(dirname "$0")/../.."
PLUGIN=${1:-$PWD/target/release/libferment.so}
ROUNDS=${2:-7}
N=${3:-100000}
T=${4:-50}
D=$(mktemp -d /tmp/omp-thp.XXXXXX)
FLAGS=(-O2 -march=native -fno-math-errno -fopenmp -I runtime/include)
clang-22 "${FLAGS[@]}" -c benches/src/harness.c -o "$D/harness.o"
clang-22 "${FLAGS[@]}" -fpass-plugin="$PLUGIN" -S -emit-llvm benches/src/omp_stencil.c -o "$D/st.ll"
cat > "$D/arena.c" <<'EOF'
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#define CAP ((size_t)1 << 30)
#define HUGE ((size_t)2 << 20)
static __thread char *base, *top;
/* block: 64-byte header (usable size, freed flag), data, 64-byte trailer (back link to data) */
static size_t usable(char *p) { return ((size_t *)p)[-8]; }
void arena_free(void *q) {
    char *p = q;
    if (!p) return;
    ((size_t *)p)[-7] = 1;
    while (top > base) {
        char *last = (char *)((size_t *)top)[-1];
        if (!((size_t *)last)[-7]) break;
        top = last - 64;
    }
}
void *arena_take(void *p, size_t n) {
    if (!base) {
        char *m = mmap(0, CAP + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        base = top = (char *)(((uintptr_t)m + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
        madvise(base, CAP, MADV_HUGEPAGE);
    }
    if (p && usable(p) >= n) return p;
    n = (n + 63) & ~(size_t)63;
    char *b = top + 64;
    ((size_t *)b)[-8] = n;
    ((size_t *)b)[-7] = 0;
    top = b + n + 64;
    ((size_t *)top)[-1] = (size_t)b;
    if (p) {
        memcpy(b, p, usable(p));
        arena_free(p);
    }
    return b;
}
EOF
python3 - "$D/st.ll" "$D/st_arena.ll" <<'EOF'
import sys
s = open(sys.argv[1]).read()
def replace(s, head, body):
    a = s.index(head)
    b = s.index('\n}\n', a) + 3
    return s[:a] + body + s[b:]
s = replace(s, 'define internal ptr @ferment.tape.take(',
            'define internal ptr @ferment.tape.take(ptr %0, i64 %1) {\n'
            '  %3 = tail call ptr @arena_take(ptr %0, i64 %1)\n  ret ptr %3\n}\n')
s = replace(s, 'define internal void @ferment.tape.release(',
            'define internal void @ferment.tape.release(ptr %0) {\n'
            '  tail call void @arena_free(ptr %0)\n  ret void\n}\n')
s += '\ndeclare ptr @arena_take(ptr, i64)\ndeclare void @arena_free(ptr)\n'
open(sys.argv[2], 'w').write(s)
EOF
clang-22 -O2 -c "$D/arena.c" -o "$D/arena.o"
for v in st st_arena; do
    llc-22 -O2 -mcpu=native -relocation-model=pic -filetype=obj "$D/$v.ll" -o "$D/$v.o"
done
clang-22 -fopenmp "$D/st.o" "$D/harness.o" -lm -o "$D/plain"
clang-22 -fopenmp "$D/st_arena.o" "$D/arena.o" "$D/harness.o" -lm -o "$D/arena"
check=$(OMP_NUM_THREADS=1 "$D/arena" --max-sec 1 "$N" "$T" 2>&1)
grep -q 'checks passed' <<<"$check" || { echo "arena build: check failed" >&2; exit 1; }
: > "$D/times"
for _ in $(seq "$ROUNDS"); do
    for v in plain tunable arena; do
        case $v in
            plain) cmd=(env OMP_NUM_THREADS=1 "$D/plain") ;;
            tunable) cmd=(env OMP_NUM_THREADS=1 GLIBC_TUNABLES=glibc.malloc.hugetlb=1 "$D/plain") ;;
            arena) cmd=(env OMP_NUM_THREADS=1 "$D/arena") ;;
        esac
        "${cmd[@]}" --reps 15 --max-sec 100 --no-check --tools primal,ferment "$N" "$T" |
            sed -n "s/^RESULT /$v /p" >> "$D/times"
    done
done
python3 - "$D/times" <<'EOF'
import json, statistics, sys
rows = [(l.split(' ', 1)[0], json.loads(l.split(' ', 1)[1])) for l in open(sys.argv[1])]
plain = [r['ferment_s'] for v, r in rows if v == 'plain']
for name in ('plain', 'tunable', 'arena'):
    f = [r['ferment_s'] * 1e3 for v, r in rows if v == name]
    p = [r['primal_s'] * 1e3 for v, r in rows if v == name]
    per = sorted(round(a * 1e-3 / b, 2) for a, b in zip(f, plain))
    print(f'{name:8} ferment CPU median {statistics.median(f):.2f} ms ({min(f):.2f}-{max(f):.2f}), '
          f'primal {statistics.median(p):.2f} ms, ratio {statistics.median(f) / statistics.median(p):.2f}x, '
          f'per round / plain {per}')
EOF
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$D"
