// huge_tape.c built with -ferment-no-huge-pages: the same gradients and oracles, and no
// madvise call at all (the ablation flag turns the huge-page advice off).
// RUN: clang
// CFLAGS: -mllvm -ferment-no-huge-pages -DNO_HUGE_PAGES
#include "huge_tape.c"
