// CFLAGS: -std=c++17
// The recursive determinant by minors of det_minors.cpp in forward mode: the recursion stays a
// call of its tangent function. Checked against the cofactors.
#define DET_FORWARD 1
#include "det_minors.cpp"
