// Companion of with_c.f90 (compiled with clang and linked into the Fortran program).
#include <math.h>
double oracle_dgdx(double x, double y) { return y * y + exp(x) / y; }
