// variadic_helpers.c with ferment's pre-AD inliner disabled: each variadic helper stays a call
// of its copy with fixed parameters, differentiated on its own (augmented forward + reverse, or
// a tangent function), the va_list helper and vsnprintf calls inside it.
// CFLAGS: -mllvm -ferment-no-inline
#include "variadic_helpers.c"
