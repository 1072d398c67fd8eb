// ForwardMode/hand, dhand_objective_complicated; see fwd-hand.cpp.
#define COMPLICATED 1
#include "fwd-hand.cpp"
