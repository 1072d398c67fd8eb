// ptr_return.c with -ferment-no-inline: at, pick and argmax stay calls, so their augmented
// forward functions return the primal pointer and its shadow (the same offset into the shadow
// argument), and their reverse functions have nothing to accumulate.
// CFLAGS: -mllvm -ferment-no-inline
#include "ptr_return.c"
