// discarded_through_memory.c with the callees kept as calls (-ferment-no-inline): `fill`'s
// reverse gets the zero adjoint of the caller's discarded buffer through the shadow, and the
// caller gets `pick`'s zero adjoint of the quotient it discards (NaN on main at -O0..-O3).
// CFLAGS: -mllvm -ferment-no-inline
#include "discarded_through_memory.c"
