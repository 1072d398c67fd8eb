// CFLAGS: -fopenmp -mllvm -ferment-omp-publish-ranges
// The private ranges of team_private_ranges.c, published by each thread at a barrier
// (`-ferment-omp-publish-ranges`, plugin/src/openmp_team.rs `claim_private_ranges`) instead of
// computed by every thread from the other threads' tape frames (the default): the same shapes,
// checked the same way (1, 2 and 4 threads against finite differences and forward mode), so
// that the barrier path, which regions whose ranges depend on more than their frames take,
// stays covered.
#include "team_private_ranges.c"
