// nested.c with -ferment-no-inline: the result of one augmented call is the argument of the
// next, so its adjoint comes out of one reverse function and must be passed into the other.
// CFLAGS: -mllvm -ferment-no-inline
#include "nested.c"
