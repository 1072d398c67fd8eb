// batched_hessian.c with -ferment-packed-lanes: batched forward-over-reverse with packed tangent
// vectors (widths 5 and 3); the same oracles, column by column.
// CFLAGS: -mllvm -ferment-packed-lanes
#include "batched_hessian.c"
