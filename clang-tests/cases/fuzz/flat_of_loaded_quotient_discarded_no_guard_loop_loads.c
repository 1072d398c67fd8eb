// flat_of_loaded_quotient_discarded.c under -ferment-no-guard-loop-loads (no guard where the
// stored quotients are made in a loop, as here): the values a partial zeroes where a loaded
// quotient is infinite (`LoadedGuards::zeroed`) were not found, so their guards shared the
// discarded chain's first test: NaN in d/ds at -O1..-O3 on main 4a6d33b.
// CFLAGS: -mllvm -ferment-no-guard-loop-loads
#include "flat_of_loaded_quotient_discarded.c"
