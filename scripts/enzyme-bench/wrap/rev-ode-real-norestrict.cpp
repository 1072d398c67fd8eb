// ReverseMode/ode-real, the version without __restrict (foobar_norestrict); see rev-ode-real.cpp.
#define BRUSS brusselator_2d_loop_norestrict
#define FOOBAR foobar_norestrict
#include "rev-ode-real.cpp"
