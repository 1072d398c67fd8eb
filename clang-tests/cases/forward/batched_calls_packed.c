// batched_calls.c with -ferment-packed-lanes: packed tangent vectors through calls that stay
// calls (their tangent functions take and return the lanes one by one); the same oracles.
// CFLAGS: -mllvm -ferment-no-inline -mllvm -ferment-packed-lanes
#include "batched_calls.c"
