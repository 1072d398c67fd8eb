// loop_calls.c with -ferment-no-inline: one augmented call per loop iteration, its tape stored
// per iteration and consumed by the reverse loop.
// CFLAGS: -mllvm -ferment-no-inline
#include "loop_calls.c"
