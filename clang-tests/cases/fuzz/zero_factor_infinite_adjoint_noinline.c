// zero_factor_infinite_adjoint.c with the callees kept as calls (-ferment-no-inline): the
// infinite adjoint (tangent) crosses a call boundary (the caller's cbrt' at 0 times the
// callee's zero factor, and the callee's cbrt' at 0 returned into the caller's zero factor).
// CFLAGS: -mllvm -ferment-no-inline
#include "zero_factor_infinite_adjoint.c"
