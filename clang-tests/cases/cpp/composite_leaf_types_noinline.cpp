// CFLAGS: -std=c++17 -mllvm -ferment-no-inline
// composite_leaf_types.cpp with -ferment-no-inline: every dispatcher stays a function whose
// class view markers become views in its own canonical copy.
#include "composite_leaf_types.cpp"
