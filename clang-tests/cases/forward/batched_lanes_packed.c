// batched_lanes.c with -ferment-packed-lanes: the N tangents of each float scalar in one
// <N x double> vector (widths 1, 2, 3, 5, 8, 16); the same oracles, lane by lane.
// CFLAGS: -mllvm -ferment-packed-lanes
#include "batched_lanes.c"
