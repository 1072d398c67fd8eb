// One run-time test for the zero-adjoint guards of a block, in derivatives
// without loops (a kept callee's reverse function, a scalar derivative).
//
// Role: `rules::guarded` makes `partial * d` exactly zero where the adjoint
// (or tangent) `d` is zero: `select(d == 0, 0, p * d)`, so that an infinite
// partial never meets a zero adjoint. Where every partial `p` is finite the
// select gives what the product gives (a zero of either sign where `d` is
// zero), so the guard only costs a compare and a blend. Here each block of
// a function whose CFG has no cycle that holds enough guards is versioned
// on one test that their factors are finite: the factors are moved to the
// start of the block (they depend only on primal values: values of earlier
// blocks, loads that nothing earlier in the block may write, pure
// arithmetic), the sum of the factors is tested for being finite, and the
// rest of the block is copied: the copy entered where the test holds has
// those guards replaced by their products, the original (entered
// elsewhere) is unchanged. Touches only the function it is given; decides
// nothing about differentiation.

#include "llvm/Analysis/AliasAnalysis.h"
#include "llvm/Analysis/AssumptionCache.h"
#include "llvm/Analysis/BasicAliasAnalysis.h"
#include "llvm/Analysis/ScopedNoAliasAA.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Analysis/TypeBasedAliasAnalysis.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/CFG.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/SSAUpdater.h"
#include "llvm/Transforms/Utils/ValueMapper.h"
#include "llvm-c/Core.h"

#include "finite_test.h"

#include <map>
#include <vector>

using namespace llvm;

static cl::opt<bool> OptNoVersionGuards(
    "ferment-no-version-guards", cl::init(false), cl::Hidden,
    cl::desc("ferment: keep every zero-adjoint guard of a derivative without "
             "loops instead of copying its body behind one run-time test "
             "that the guards' partials are finite (ablation)"));

namespace {

// A value or one lane of a vector value (`K` = -1: the whole value, lane by
// lane where it is a vector).
struct Lane {
  Value *V = nullptr;
  int K = -1;
  bool operator==(const Lane &O) const { return V == O.V && K == O.K; }
  bool operator<(const Lane &O) const {
    return V != O.V ? V < O.V : K < O.K;
  }
};

// The scalar behind lane `L` through insertions, shuffles and extractions
// (`{x, -1}`), else the vector lane it stops at.
Lane resolve(Lane L, unsigned Depth = 0) {
  while (Depth++ < 16) {
    if (L.K < 0) {
      auto *E = dyn_cast<ExtractElementInst>(L.V);
      auto *Idx = E ? dyn_cast<ConstantInt>(E->getIndexOperand()) : nullptr;
      if (!Idx)
        return L;
      L = {E->getVectorOperand(), int(Idx->getZExtValue())};
      continue;
    }
    if (auto *I = dyn_cast<InsertElementInst>(L.V)) {
      auto *Idx = dyn_cast<ConstantInt>(I->getOperand(2));
      if (!Idx)
        return L;
      if (int(Idx->getZExtValue()) == L.K)
        L = {I->getOperand(1), -1};
      else
        L = {I->getOperand(0), L.K};
      continue;
    }
    if (auto *S = dyn_cast<ShuffleVectorInst>(L.V)) {
      int M = S->getMaskValue(L.K);
      unsigned N =
          cast<FixedVectorType>(S->getOperand(0)->getType())->getNumElements();
      if (M < 0)
        return L;
      L = unsigned(M) < N ? Lane{S->getOperand(0), M}
                          : Lane{S->getOperand(1), int(M - N)};
      continue;
    }
    return L;
  }
  return L;
}

bool isZeroFP(Value *V) {
  auto *C = dyn_cast<Constant>(V);
  return C && C->getType()->isFPOrFPVectorTy() && C->isZeroValue();
}

// Whether constant `C` (lane `K`, or all lanes) is finite and defined.
bool finiteConstant(Constant *C, int K) {
  if (C->getType()->isVectorTy() && K >= 0)
    C = C->getAggregateElement(unsigned(K));
  if (!C || isa<UndefValue>(C) || C->containsUndefOrPoisonElement())
    return false;
  if (auto *F = dyn_cast<ConstantFP>(C))
    return F->getValueAPF().isFinite();
  if (auto *S = C->getSplatValue())
    if (auto *F = dyn_cast<ConstantFP>(S))
      return F->getValueAPF().isFinite();
  if (auto *V = dyn_cast<FixedVectorType>(C->getType())) {
    for (unsigned J = 0; J < V->getNumElements(); ++J) {
      auto *F = dyn_cast_or_null<ConstantFP>(C->getAggregateElement(J));
      if (!F || !F->getValueAPF().isFinite())
        return false;
    }
    return true;
  }
  return false;
}

// A guard's adjoint per incoming edge of the guard's block `B`, where its
// zero test is a phi of `B` (the block after one that was versioned: a
// phi of the zero tests of its two copies).
struct EdgeAdjoints {
  BasicBlock *B = nullptr;
  std::vector<std::pair<BasicBlock *, Lane>> D;
};

// Whether `X` (lane by lane as `D`) is a zero of either sign wherever `D`
// is zero and the factors added to `Factors` are finite: `D` itself, its
// negation, its product with a factor, a select of such a value and a zero,
// a sum or difference of two such values. With `E` (`D` is then none), a
// phi of `E->B` is such a value where each incoming value is one for the
// adjoint of its edge (a factor found there may be defined elsewhere than
// where `E->B` starts: the caller checks).
bool zeroWith(Lane X, Lane D, std::vector<Lane> &Factors, unsigned Depth = 0,
              const EdgeAdjoints *E = nullptr) {
  if (Depth > 24)
    return false;
  X = resolve(X);
  if (X == D)
    return true;
  if (auto *P = dyn_cast<PHINode>(X.V); E && P && P->getParent() == E->B) {
    for (unsigned J = 0; J < P->getNumIncomingValues(); ++J) {
      BasicBlock *From = P->getIncomingBlock(J);
      auto It = llvm::find_if(E->D, [&](auto &In) { return In.first == From; });
      if (It == E->D.end() ||
          !zeroWith({P->getIncomingValue(J), X.K}, It->second, Factors,
                    Depth + 1))
        return false;
    }
    return true;
  }
  auto *I = dyn_cast<Instruction>(X.V);
  if (!I || !I->getType()->isFPOrFPVectorTy())
    return false;
  // A lane of a vector operation is that operation on the operands' lanes.
  auto Op = [&](unsigned J) -> Lane { return {I->getOperand(J), X.K}; };
  switch (I->getOpcode()) {
  case Instruction::FNeg:
    return zeroWith(Op(0), D, Factors, Depth + 1, E);
  case Instruction::FMul:
    for (unsigned J = 0; J < 2; ++J) {
      size_t Mark = Factors.size();
      if (zeroWith(Op(J), D, Factors, Depth + 1, E)) {
        Lane F = Op(1 - J);
        if (auto *C = dyn_cast<Constant>(F.V)) {
          if (finiteConstant(C, F.K))
            return true;
        } else {
          Factors.push_back(F);
          return true;
        }
      }
      Factors.resize(Mark);
    }
    return false;
  case Instruction::FAdd:
  case Instruction::FSub: {
    size_t Mark = Factors.size();
    if (zeroWith(Op(0), D, Factors, Depth + 1, E) &&
        zeroWith(Op(1), D, Factors, Depth + 1, E))
      return true;
    Factors.resize(Mark);
    return false;
  }
  case Instruction::Select: {
    // Zero where the other arm is, whatever the condition.
    auto *S = cast<SelectInst>(I);
    if (isZeroFP(S->getTrueValue()))
      return zeroWith(Op(2), D, Factors, Depth + 1, E);
    if (isZeroFP(S->getFalseValue()))
      return zeroWith(Op(1), D, Factors, Depth + 1, E);
    return false;
  }
  default:
    return false;
  }
}

// A guard `select(C, 0, X)` (or `select(C, X, 0)`): the adjoint `D` whose
// zero test `C` is, with the zero on the side where `C` says zero; where
// `C` is a phi of the select's block, of such tests, the adjoint of each
// edge in `E` instead (`D` none).
bool guardAdjoint(SelectInst *S, Lane &D, EdgeAdjoints &E, Value *&X,
                  bool &ZeroTrue) {
  ZeroTrue = isZeroFP(S->getTrueValue());
  bool ZeroFalse = isZeroFP(S->getFalseValue());
  if (ZeroTrue == ZeroFalse)
    return false;
  X = ZeroTrue ? S->getFalseValue() : S->getTrueValue();
  Value *C = S->getCondition();
  int K = -1;
  if (auto *E = dyn_cast<ExtractElementInst>(C)) {
    auto *Idx = dyn_cast<ConstantInt>(E->getIndexOperand());
    if (!Idx)
      return false;
    K = int(Idx->getZExtValue());
    C = E->getVectorOperand();
  }
  // `oeq`: true only on zeros (never on NaN); `une`: false only on zeros.
  auto Tests = [&](Value *V) -> Value * {
    auto *Cmp = dyn_cast<FCmpInst>(V);
    if (!Cmp || !isZeroFP(Cmp->getOperand(1)))
      return nullptr;
    bool Ok = (Cmp->getPredicate() == FCmpInst::FCMP_OEQ && ZeroTrue) ||
              (Cmp->getPredicate() == FCmpInst::FCMP_UNE && ZeroFalse);
    return Ok ? Cmp->getOperand(0) : nullptr;
  };
  if (S->getType()->isVectorTy() && K >= 0)
    return false;
  if (auto *P = dyn_cast<PHINode>(C); P && K < 0 && P->getParent() == S->getParent()) {
    E = {P->getParent(), {}};
    for (unsigned J = 0; J < P->getNumIncomingValues(); ++J) {
      Value *A = Tests(P->getIncomingValue(J));
      if (!A)
        return false;
      E.D.push_back({P->getIncomingBlock(J), resolve({A, -1})});
    }
    D = {};
    return true;
  }
  Value *A = Tests(C);
  if (!A)
    return false;
  D = resolve({A, K});
  return true;
}

// Whether the CFG of F has a cycle.
bool hasCycle(Function &F) {
  std::map<BasicBlock *, int> State; // 1: on the stack, 2: done
  std::vector<std::pair<BasicBlock *, succ_iterator>> Stack;
  BasicBlock *E = &F.getEntryBlock();
  State[E] = 1;
  Stack.push_back({E, succ_begin(E)});
  while (!Stack.empty()) {
    auto &[B, It] = Stack.back();
    if (It == succ_end(B)) {
      State[B] = 2;
      Stack.pop_back();
      continue;
    }
    BasicBlock *S = *It++;
    int &St = State[S];
    if (St == 1)
      return true;
    if (St == 0) {
      St = 1;
      Stack.push_back({S, succ_begin(S)});
    }
  }
  return false;
}

// Which values may be computed at the start of block `B` (after its phis):
// arguments, constants and values of other blocks (an acyclic function uses
// in `B` only values available where it starts), and instructions of `B`
// that are pure arithmetic or loads no earlier write of `B` may change,
// whose operands may be computed there too. Everything before them in `B`
// always passes control on, so moving them up runs nothing `B` would not.
struct Hoister {
  BasicBlock &B;
  AAResults &AA;
  std::map<Value *, bool> Memo;
  // The instructions of `B` from its first to the current one always
  // pass control on.
  std::map<Instruction *, bool> Reached;

  Hoister(BasicBlock &B, AAResults &AA) : B(B), AA(AA) {
    bool Ok = true;
    for (Instruction &I : B) {
      Reached[&I] = Ok;
      Ok = Ok && (isa<PHINode>(I) || isGuaranteedToTransferExecutionToSuccessor(&I));
    }
  }

  bool loadHoistable(LoadInst *L) {
    if (!L->isSimple() || !Reached[L])
      return false;
    MemoryLocation Loc = MemoryLocation::get(L);
    for (Instruction &I : B) {
      if (&I == L)
        return true;
      if (I.mayWriteToMemory() && isModSet(AA.getModRefInfo(&I, Loc)))
        return false;
    }
    return false;
  }

  bool hoistable(Value *V, unsigned Depth = 0) {
    auto *I = dyn_cast<Instruction>(V);
    if (!I || I->getParent() != &B || isa<PHINode>(I))
      return true;
    if (Depth > 32)
      return false;
    auto It = Memo.find(V);
    if (It != Memo.end())
      return It->second;
    bool Ok = false;
    if (isa<AllocaInst>(I) || I->getType()->isTokenTy() || I->isTerminator()) {
      Ok = false;
    } else if (auto *L = dyn_cast<LoadInst>(I)) {
      Ok = hoistable(L->getPointerOperand(), Depth + 1) && loadHoistable(L);
    } else if (!I->mayReadOrWriteMemory() && isSafeToSpeculativelyExecute(I)) {
      Ok = true;
      for (Value *O : I->operands())
        if (!hoistable(O, Depth + 1)) {
          Ok = false;
          break;
        }
    }
    Memo[V] = Ok;
    return Ok;
  }

  // The instructions of `B` that computing `V` at its start moves there.
  void collect(Value *V, SmallPtrSetImpl<Instruction *> &Out) {
    auto *I = dyn_cast<Instruction>(V);
    if (!I || I->getParent() != &B || isa<PHINode>(I) || !Out.insert(I).second)
      return;
    for (Value *O : I->operands())
      collect(O, Out);
  }
};

// Whether every lane of vector `V` is defined (no poison lane a shuffle or
// a partial insertion leaves): then a test of all its lanes tests only
// values the guards may use.
bool lanesDefined(Value *V, unsigned Depth = 0) {
  auto *VT = dyn_cast<FixedVectorType>(V->getType());
  if (!VT)
    return !isa<UndefValue>(V);
  if (auto *C = dyn_cast<Constant>(V))
    return !C->containsUndefOrPoisonElement();
  if (Depth > 8)
    return false;
  if (isa<InsertElementInst>(V) || isa<ShuffleVectorInst>(V)) {
    for (unsigned J = 0; J < VT->getNumElements(); ++J) {
      Lane L = resolve({V, int(J)});
      if (L.K < 0) {
        if (isa<UndefValue>(L.V))
          return false;
      } else if (isa<InsertElementInst>(L.V) || isa<ShuffleVectorInst>(L.V) ||
                 !lanesDefined(L.V, Depth + 1)) {
        return false;
      }
    }
    return true;
  }
  if (auto *I = dyn_cast<Instruction>(V)) {
    if (isa<LoadInst>(I))
      return true;
    if (I->isBinaryOp() || I->isUnaryOp() || isa<CmpInst>(I) ||
        isa<SelectInst>(I) || isa<IntrinsicInst>(I) || isa<CastInst>(I)) {
      for (Value *O : I->operands())
        if (O->getType()->isVectorTy() && !lanesDefined(O, Depth + 1))
          return false;
      return true;
    }
  }
  return isa<Argument>(V);
}

} // namespace

// A guard of block `B` whose factors can all be computed where `B` starts.
struct Guard {
  SelectInst *S;
  bool ZeroTrue;
  std::vector<Lane> Factors;
};

// A factor that is another's negation, or its product with a constant of
// magnitude at most 1, is finite where that one is: only the latter is
// tested.
static Lane rootFactor(Lane L) {
  for (unsigned Depth = 0; Depth < 8; ++Depth) {
    auto *I = dyn_cast<Instruction>(L.V);
    if (!I)
      break;
    Value *Next = nullptr;
    if (I->getOpcode() == Instruction::FNeg) {
      Next = I->getOperand(0);
    } else if (I->getOpcode() == Instruction::FMul) {
      for (unsigned J = 0; J < 2 && !Next; ++J) {
        auto *C = dyn_cast<Constant>(I->getOperand(1 - J));
        ConstantFP *K = nullptr;
        if (C)
          K = isa<ConstantFP>(C) ? cast<ConstantFP>(C)
                                 : dyn_cast_or_null<ConstantFP>(C->getSplatValue());
        if (K && K->getValueAPF().isFinite() &&
            abs(K->getValueAPF())
                    .compare(APFloat::getOne(K->getValueAPF().getSemantics())) !=
                APFloat::cmpGreaterThan)
          Next = I->getOperand(J);
      }
    }
    if (!Next || isa<Constant>(Next))
      break;
    L = resolve({Next, L.K});
  }
  return L;
}

// Whether `S` is a guard (`guardAdjoint`, and `zeroWith` of its product),
// with the factors its product's zeroness needs finite.
static bool isGuard(SelectInst *S, bool &ZeroTrue, std::vector<Lane> &Factors) {
  Lane D;
  EdgeAdjoints E;
  Value *X;
  return guardAdjoint(S, D, E, X, ZeroTrue) &&
         zeroWith({X, -1}, D, Factors, 0, E.B ? &E : nullptr) &&
         !Factors.empty();
}

// The guards of `B` whose factors `H` can compute at its start (a factor
// of another block must be defined where `B` starts: one found through a
// phi of `B` may be of one predecessor only).
static std::vector<Guard> blockGuards(BasicBlock &B, Hoister &H,
                                      const DominatorTree &DT,
                                      const SmallPtrSetImpl<Value *> &AllGuards) {
  for (Value *S : AllGuards)
    H.Memo[S] = false;
  std::vector<Guard> Out;
  for (Instruction &I : B) {
    auto *S = dyn_cast<SelectInst>(&I);
    if (!S || !AllGuards.count(S))
      continue;
    bool ZeroTrue;
    std::vector<Lane> Factors;
    if (!isGuard(S, ZeroTrue, Factors))
      continue;
    bool Ok = true;
    for (Lane &L : Factors) {
      L = resolve(L);
      auto *FI = dyn_cast<Instruction>(L.V);
      Ok = Ok && !isa<Constant>(L.V) && H.hoistable(L.V) &&
           (!FI || FI->getParent() == &B ||
            DT.properlyDominates(FI->getParent(), &B)) &&
           (L.K >= 0 || lanesDefined(L.V));
    }
    if (Ok)
      Out.push_back({S, ZeroTrue, std::move(Factors)});
  }
  return Out;
}

// The selects of F that are guards (`guardAdjoint` and `zeroWith` hold).
static SmallPtrSet<Value *, 32> allGuards(Function &F) {
  SmallPtrSet<Value *, 32> Out;
  for (BasicBlock &B : F)
    for (Instruction &I : B) {
      auto *S = dyn_cast<SelectInst>(&I);
      if (!S || !S->getType()->isFPOrFPVectorTy())
        continue;
      bool ZeroTrue;
      std::vector<Lane> Factors;
      if (isGuard(S, ZeroTrue, Factors))
        Out.insert(S);
    }
  return Out;
}

// Versions the rest of block `B` on its guards (see the top of this file):
// the factors are moved to its start, the test follows, and the rest is
// copied, the copy without the guards. Returns the new blocks.
static std::pair<BasicBlock *, BasicBlock *>
versionBlock(BasicBlock &B, Hoister &H, std::vector<Guard> &Guards) {
  std::vector<Lane> Tested;
  SmallPtrSet<Instruction *, 32> Move;
  for (Guard &G : Guards)
    for (Lane &L : G.Factors) {
      Lane R = rootFactor(L);
      if (std::find(Tested.begin(), Tested.end(), R) == Tested.end())
        Tested.push_back(R);
      H.collect(L.V, Move);
    }
  // The factors, in their order, to the start of B (after its phis).
  Instruction *Pos = &*B.getFirstInsertionPt();
  for (Instruction &I : make_early_inc_range(B))
    if (Move.count(&I) && &I != Pos)
      I.moveBefore(Pos->getIterator());
    else if (Move.count(&I))
      Pos = I.getNextNode();
  // Allocas of the rest stay shared by both copies (before the test): one
  // copied would reach the code after the block as a phi of the two, which
  // lifetime markers there may not take (LLVM 22 wants the alloca itself).
  // The test goes after the allocas that already start the rest, too.
  while (isa<AllocaInst>(Pos))
    Pos = Pos->getNextNode();
  for (Instruction &I : make_early_inc_range(
           make_range(Pos->getIterator(), B.end())))
    if (isa<AllocaInst>(I))
      I.moveBefore(Pos->getIterator());
  IRBuilder<> Bld(Pos);
  Type *F64 = Bld.getDoubleTy();
  // The test: the sum of the factors (their lanes, in double) minus itself
  // is zero where the sum is finite, which it is only where every factor
  // is (an infinite or NaN term makes it infinite or NaN); a sum that
  // overflows only sends the call to the guarded copy.
  std::vector<Value *> Terms;
  for (Lane L : Tested) {
    Value *V = L.V;
    if (L.K >= 0)
      V = Bld.CreateExtractElement(V, uint64_t(L.K));
    std::vector<Value *> Parts;
    if (auto *VT = dyn_cast<FixedVectorType>(V->getType())) {
      for (unsigned J = 0; J < VT->getNumElements(); ++J)
        Parts.push_back(Bld.CreateExtractElement(V, uint64_t(J)));
    } else {
      Parts.push_back(V);
    }
    for (Value *P : Parts) {
      if (P->getType() != F64)
        P = P->getType()->getPrimitiveSizeInBits() < 64
                ? Bld.CreateFPExt(P, F64)
                // Wider: the rounding to double overflows at most to an
                // infinity (the guarded copy), never hides one.
                : Bld.CreateFPTrunc(P, F64);
      Terms.push_back(P);
    }
  }
  Value *Finite = ferment::buildFiniteTest(Bld, Terms);
  // The rest of B, and its copy entered where the test holds.
  BasicBlock *Rest = B.splitBasicBlock(Bld.GetInsertPoint(), B.getName() + ".guarded");
  ValueToValueMapTy VMap;
  BasicBlock *Copy = CloneBasicBlock(Rest, VMap, ".finite", B.getParent());
  VMap[Rest] = Copy;
  SmallVector<BasicBlock *, 1> Made{Copy};
  remapInstructionsInBlocks(Made, VMap);
  B.getTerminator()->eraseFromParent();
  MDBuilder MDB(B.getContext());
  IRBuilder<>(&B).CreateCondBr(Finite, Copy, Rest,
                               MDB.createLikelyBranchWeights());
  for (BasicBlock *Succ : successors(Rest))
    for (PHINode &P : Succ->phis()) {
      Value *In = P.getIncomingValueForBlock(Rest);
      Value *Mapped = VMap.lookup(In);
      P.addIncoming(Mapped ? Mapped : In, Copy);
    }
  // Values of the rest used after it: a phi of the two copies' values.
  for (Instruction &I : *Rest) {
    SmallVector<Use *, 8> Outside;
    for (Use &U : I.uses()) {
      auto *UI = cast<Instruction>(U.getUser());
      BasicBlock *At = UI->getParent();
      if (auto *P = dyn_cast<PHINode>(UI))
        At = P->getIncomingBlock(U);
      if (At != Rest && At != Copy)
        Outside.push_back(&U);
    }
    if (Outside.empty())
      continue;
    SSAUpdater SSA;
    SSA.Initialize(I.getType(), I.getName());
    SSA.AddAvailableValue(Rest, &I);
    SSA.AddAvailableValue(Copy, VMap[&I]);
    for (Use *U : Outside)
      SSA.RewriteUse(*U);
  }
  for (Guard &G : Guards) {
    auto *S = cast<SelectInst>(VMap[G.S]);
    S->replaceAllUsesWith(G.ZeroTrue ? S->getFalseValue() : S->getTrueValue());
    S->eraseFromParent();
  }
  return {Rest, Copy};
}

// See the top of this file. Versions each block of a function without
// cycles that holds at least `MinGuards` guards whose factors can be
// computed where it starts, and no more factors to test than guards, in a
// function of at most `MaxInsts` instructions. Returns the number of guards
// the copies dropped (0: nothing changed).
extern "C" unsigned ferment_version_finite_guards(LLVMValueRef FV,
                                                  unsigned MinGuards,
                                                  unsigned MaxInsts) {
  if (OptNoVersionGuards)
    return 0;
  Function &F = *unwrap<Function>(FV);
  if (F.isDeclaration() || F.getInstructionCount() > MaxInsts || hasCycle(F))
    return 0;
  for (BasicBlock &B : F)
    for (Instruction &I : B) {
      if (I.isEHPad() || isa<InvokeInst>(I) || isa<CallBrInst>(I) ||
          isa<IndirectBrInst>(I))
        return 0;
      // (an alloca of a run-time size could not move before the test)
      if (auto *A = dyn_cast<AllocaInst>(&I))
        if (!isa<Constant>(A->getArraySize()))
          return 0;
    }
  TargetLibraryInfoImpl TLII(F.getParent()->getTargetTriple());
  TargetLibraryInfo TLI(TLII, &F);
  SmallPtrSet<BasicBlock *, 8> Done;
  unsigned N = 0;
  for (bool Changed = true; Changed;) {
    Changed = false;
    // Fresh analyses after each change of the CFG.
    AssumptionCache AC(F);
    DominatorTree DT(F);
    BasicAAResult BAR(F.getParent()->getDataLayout(), F, TLI, AC, &DT);
    ScopedNoAliasAAResult SNA;
    TypeBasedAAResult TBAA(false);
    AAResults AA(TLI);
    AA.addAAResult(BAR);
    AA.addAAResult(SNA);
    AA.addAAResult(TBAA);
    SmallPtrSet<Value *, 32> All = allGuards(F);
    for (BasicBlock &B : F) {
      if (Done.count(&B))
        continue;
      Hoister H(B, AA);
      std::vector<Guard> Guards = blockGuards(B, H, DT, All);
      std::vector<Lane> Tested;
      for (Guard &G : Guards)
        for (Lane &L : G.Factors) {
          Lane R = rootFactor(L);
          if (std::find(Tested.begin(), Tested.end(), R) == Tested.end())
            Tested.push_back(R);
        }
      if (Guards.size() < std::max(MinGuards, 1u) || Tested.size() > Guards.size())
        continue;
      auto [Rest, Copy] = versionBlock(B, H, Guards);
      Done.insert(&B);
      Done.insert(Rest);
      Done.insert(Copy);
      N += Guards.size();
      Changed = true;
      break;
    }
  }
  return N;
}
