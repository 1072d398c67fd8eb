/*
 * ba_calls — issue 7's benchmark: bundle adjustment where the per-observation projection
 * (Rodrigues rotation + distortion) stays a call that ferment differentiates through its own
 * augmented-forward / reverse pair, instead of being inlined. Built with
 * `-mllvm -ferment-no-inline` (run.py) and `noinline` on `project`; the math, the sizes and the
 * hand-written adjoint are those of ba.c.
 */
#define BA_PROJECT_ATTR __attribute__((noinline))
#include "ba.c"
