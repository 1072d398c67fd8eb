// twice.c with -ferment-no-inline: h and dotw each get one augmented forward + reverse pair per
// activity pattern they are called with (and one tangent function each in forward mode).
// CFLAGS: -mllvm -ferment-no-inline
#include "twice.c"
