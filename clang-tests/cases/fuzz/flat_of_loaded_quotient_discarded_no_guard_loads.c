// flat_of_loaded_quotient_discarded.c under -ferment-no-guard-loads (no guard behind the test of
// the stored quotients): the values a partial zeroes where a loaded quotient is infinite
// (`LoadedGuards::zeroed`) were found only when the loaded partials were guarded, so their
// guards shared the discarded chain's first test: NaN in d/ds at -O1..-O3 on main 4a6d33b.
// CFLAGS: -mllvm -ferment-no-guard-loads
#include "flat_of_loaded_quotient_discarded.c"
