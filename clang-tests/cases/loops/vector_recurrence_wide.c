// vector_recurrence.c with the vectorizer forced to 8 lanes and 2 interleaved parts (legalized to
// whatever the build machine has), so that the lane re-ordering meets wide vectors and carried
// values that cross from one interleaved part to the other.
// RUN: clang
// CFLAGS: -mllvm -force-vector-width=8 -mllvm -force-vector-interleave=2
#include "vector_recurrence.c"
