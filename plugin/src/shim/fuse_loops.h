// Fusion of adjacent loops with the same iteration count in ferment's own
// functions (`fuse_loops.cpp`): a reverse sweep runs one loop per primal
// loop, so two primal loops over the same range (log-sum-exp's sum of
// exponentials and its dot product) become two passes over the same shadow
// array where one would do. Run before the host's vectorizer.
#ifndef FERMENT_SHIM_FUSE_LOOPS_H
#define FERMENT_SHIM_FUSE_LOOPS_H

namespace llvm {
class Function;
} // namespace llvm

namespace ferment {

// Fuses, in F, each pair of single-block loops where the second follows the
// first directly, both run the same number of iterations, and no memory
// access of the second can touch, in an iteration, what the first touches
// in a later one (so the fused order keeps every dependence). Returns how
// many pairs it fused.
unsigned fuseAdjacentLoops(llvm::Function &F);

} // namespace ferment

#endif
