// flat_of_infinite_tangent.c with the callees kept as calls (-ferment-no-inline): the infinite
// quotient is returned by, written by, or read by a callee with a derivative of its own.
// `callee_exp`'s reverse derivative, kept as a call, gave NaN at -O1..-O3 on main d686887 (a
// separate bug, fixed in session 32: flat_guard_negated_noinline.c).
// CFLAGS: -mllvm -ferment-no-inline
#include "flat_of_infinite_tangent.c"
