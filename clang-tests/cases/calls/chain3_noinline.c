// chain3.c with ferment's pre-AD inliner disabled: every call in the chain that touches active
// data goes through a generated augmented forward + reverse pair (reverse mode) or a tangent
// function (forward mode), one per (callee, activity pattern).
// CFLAGS: -mllvm -ferment-no-inline
#include "chain3.c"
