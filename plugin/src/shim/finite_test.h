// The run-time test that values are finite, `(x1 - x1) + ... == 0` or
// `(S - S) == 0` for a sum S: zero where every term is finite, NaN (the
// compare false) elsewhere. One place builds it for the C++ side
// (`finite_version.cpp`) and recognises it wherever it came from (the
// reverse sweep builds its own in Rust, `reverse::origins_finite`): the
// zero-adjoint unswitching of `shim.cpp` treats it apart from the
// adjoints' zero tests.
#ifndef FERMENT_SHIM_FINITE_TEST_H
#define FERMENT_SHIM_FINITE_TEST_H

#include "llvm/ADT/ArrayRef.h"

namespace llvm {
class IRBuilderBase;
class Value;
} // namespace llvm

namespace ferment {

// `fcmp oeq|une X, 0.0` (either sign of zero).
bool isZeroTest(llvm::Value *V);

// Whether V is a sum of self-differences `X - X` (with conversions and
// vector lanes between): zero where every X is finite, NaN elsewhere.
bool isSelfDifferenceSum(llvm::Value *V, unsigned Depth = 0);

// A zero test of such a sum (`isZeroTest`, `isSelfDifferenceSum`).
bool isFiniteTest(llvm::Value *V);

// Builds, where `B` is, the frozen test `(S - S) == 0` of the sum S of
// `Terms` (doubles, added pairwise), named `finite`: true only where every
// term is finite (a sum that overflows makes it false too).
llvm::Value *buildFiniteTest(llvm::IRBuilderBase &B,
                             llvm::ArrayRef<llvm::Value *> Terms);

} // namespace ferment

#endif
