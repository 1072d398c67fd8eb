// ForwardMode/gmm, vector forward mode: dgmm_objective_vec<4>; see fwd-gmm.cpp.
#define GMM_VEC 1
#include "fwd-gmm.cpp"
