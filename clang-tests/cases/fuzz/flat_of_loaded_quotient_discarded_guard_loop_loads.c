// flat_of_loaded_quotient_discarded.c under -ferment-guard-loop-loads (the loaded partials
// guarded without a run-time test).
// CFLAGS: -mllvm -ferment-guard-loop-loads
#include "flat_of_loaded_quotient_discarded.c"
