// ForwardMode/ba's whole objective (see fwd-ba-objective.cpp) differentiated in reverse mode
// by __enzyme_autodiff with the same activities: the gradient over every camera, point and
// weight, 40 coordinates of it checked against central differences.
#define REVERSE
#include "wrap/fwd-ba-objective.cpp"
