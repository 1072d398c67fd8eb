// flat_of_infinite_tangent.c with the callees kept as calls (-ferment-no-inline): the infinite
// quotient is returned by, written by, or read by a callee with a derivative of its own.
// `callee_exp` is left out: kept as a call, its reverse derivative gives NaN at -O1..-O3 (a
// separate bug, open: fuzz/found/kept_callee_flat_exp_reverse_noinline.c).
// CFLAGS: -mllvm -ferment-no-inline
#define SKIP_CALLEE_EXP
#include "flat_of_infinite_tangent.c"
