// The finite test of `finite_test.h`: its builder and its recognisers.
// Touches only the IR it is given.

#include "finite_test.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"

#include <vector>

using namespace llvm;

namespace ferment {

bool isZeroTest(Value *V) {
  auto *C = dyn_cast<FCmpInst>(V);
  if (!C || (C->getPredicate() != FCmpInst::FCMP_OEQ &&
             C->getPredicate() != FCmpInst::FCMP_UNE))
    return false;
  auto *Z = dyn_cast<ConstantFP>(C->getOperand(1));
  return Z && Z->isZero();
}

bool isSelfDifferenceSum(Value *V, unsigned Depth) {
  auto *I = dyn_cast<Instruction>(V);
  if (!I || Depth > 64)
    return false;
  switch (I->getOpcode()) {
  case Instruction::FSub:
    return I->getOperand(0) == I->getOperand(1);
  case Instruction::FAdd:
    return isSelfDifferenceSum(I->getOperand(0), Depth + 1) &&
           isSelfDifferenceSum(I->getOperand(1), Depth + 1);
  case Instruction::FPExt:
  case Instruction::FPTrunc:
  case Instruction::ExtractElement:
    return isSelfDifferenceSum(I->getOperand(0), Depth + 1);
  default:
    return false;
  }
}

bool isFiniteTest(Value *V) {
  return isZeroTest(V) &&
         isSelfDifferenceSum(cast<FCmpInst>(V)->getOperand(0));
}

Value *buildFiniteTest(IRBuilderBase &B, ArrayRef<Value *> Terms) {
  std::vector<Value *> Sum(Terms.begin(), Terms.end());
  while (Sum.size() > 1) {
    std::vector<Value *> Next;
    for (size_t J = 0; J + 1 < Sum.size(); J += 2)
      Next.push_back(B.CreateFAdd(Sum[J], Sum[J + 1]));
    if (Sum.size() % 2)
      Next.push_back(Sum.back());
    Sum = std::move(Next);
  }
  Value *S = Sum[0];
  return B.CreateFreeze(
      B.CreateFCmpOEQ(B.CreateFSub(S, S), ConstantFP::get(S->getType(), 0.0)),
      "finite");
}

} // namespace ferment
