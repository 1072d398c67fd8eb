// Fusion of adjacent single-block loops with the same iteration count in
// ferment's own functions (see `fuse_loops.h`). Log-sum-exp minus a dot
// product, `lse`: the reverse sweep runs the dot product's `dx[i] -= t[i]`
// over the whole array, then the exponentials' `dx[i] += e[i] * r`: two
// passes over `dx`. Fused, the pass reads and writes `dx` once (the
// hand-written adjoint's shape).
//
// A pair is fused only where it provably keeps every dependence: the
// second loop follows the first directly (the first's exit block is the
// second's preheader and holds only arithmetic that may run earlier), both
// have one block and scalar evolution gives them the same backedge-taken
// count, the first's values are not used outside it, and each pair of
// memory accesses (one in each loop, one of them a store) either never
// aliases or has affine addresses of the same constant step whose distance
// leaves no overlap between an iteration of the first loop and an EARLIER
// iteration of the second (the only order the fusion changes). Calls and
// other memory effects keep the loops apart. The fusion itself is LLVM's
// textbook one, done here in a few lines: LLVM's `LoopFusePass` has open
// miscompilations (a stored-then-loaded scalar across the loops) and is not
// used.
#include "fuse_loops.h"

#include "llvm/Analysis/AliasAnalysis.h"
#include "llvm/Analysis/AssumptionCache.h"
#include "llvm/Analysis/BasicAliasAnalysis.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/MemoryLocation.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/Analysis/ScalarEvolutionExpressions.h"
#include "llvm/Analysis/ScopedNoAliasAA.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/Local.h"

#include <optional>

using namespace llvm;

namespace {

// One load or store of a candidate loop.
struct Access {
  Instruction *I;
  Value *Ptr;
  int64_t Size; // bytes
  bool Writes;
};

// The loads and stores of block BB, or nothing where it touches memory
// otherwise (a call that reads or writes, an atomic or volatile access) or
// has another effect (may throw, may not return).
std::optional<SmallVector<Access, 8>> accessesOf(BasicBlock *BB,
                                                 const DataLayout &DL) {
  SmallVector<Access, 8> Out;
  for (Instruction &I : *BB) {
    Value *Ptr = nullptr;
    Type *Ty = nullptr;
    if (auto *Ld = dyn_cast<LoadInst>(&I)) {
      if (!Ld->isSimple())
        return std::nullopt;
      Ptr = Ld->getPointerOperand();
      Ty = Ld->getType();
    } else if (auto *St = dyn_cast<StoreInst>(&I)) {
      if (!St->isSimple())
        return std::nullopt;
      Ptr = St->getPointerOperand();
      Ty = St->getValueOperand()->getType();
    } else {
      if (I.mayReadOrWriteMemory() || I.mayHaveSideEffects())
        return std::nullopt;
      continue;
    }
    TypeSize S = DL.getTypeStoreSize(Ty);
    if (S.isScalable() || S.getFixedValue() == 0 ||
        S.getFixedValue() > (1u << 20))
      return std::nullopt;
    Out.push_back({&I, Ptr, (int64_t)S.getFixedValue(), isa<StoreInst>(I)});
  }
  return Out;
}

// A constant of at most 2^40 in magnitude, or nothing.
std::optional<int64_t> smallConstant(const SCEV *S) {
  auto *C = dyn_cast<SCEVConstant>(S);
  if (!C || C->getAPInt().getSignificantBits() > 41)
    return std::nullopt;
  return C->getAPInt().getSExtValue();
}

// Whether access A of the first loop L1, run in some iteration k1, touches
// none of the bytes access B of the second loop L2 touches in any iteration
// k2 < k1 (before the fusion every iteration of L1 ran before every one of
// L2; after it, exactly these pairs swap).
bool keepsOrder(const Access &A, const Loop *L1, const Access &B,
                const Loop *L2, ScalarEvolution &SE, BatchAAResults &AA) {
  if (!A.Writes && !B.Writes)
    return true;
  // Never the same memory, in any iterations (cross-iteration mode).
  if (AA.isNoAlias(
          MemoryLocation::getBeforeOrAfter(A.Ptr, A.I->getAAMetadata()),
          MemoryLocation::getBeforeOrAfter(B.Ptr, B.I->getAAMetadata())))
    return true;
  // Both affine in their own loop, with the same constant step D: at
  // iteration k the address is S + k*D (modulo 2^64, equal to the real
  // address of an access that runs). With k1 = k2 + m, m >= 1, the
  // distance A - B is m*D - (SB - SA): monotonic in m, so m = 1 bounds it.
  auto *RA = dyn_cast<SCEVAddRecExpr>(SE.getSCEV(A.Ptr));
  auto *RB = dyn_cast<SCEVAddRecExpr>(SE.getSCEV(B.Ptr));
  if (!RA || !RB || RA->getLoop() != L1 || RB->getLoop() != L2 ||
      !RA->isAffine() || !RB->isAffine())
    return false;
  std::optional<int64_t> DA = smallConstant(RA->getStepRecurrence(SE));
  std::optional<int64_t> DB = smallConstant(RB->getStepRecurrence(SE));
  if (!DA || !DB || *DA != *DB || *DA == 0)
    return false;
  const SCEV *Gap = SE.getMinusSCEV(RB->getStart(), RA->getStart());
  if (isa<SCEVCouldNotCompute>(Gap))
    return false;
  std::optional<int64_t> Delta = smallConstant(Gap);
  if (!Delta)
    return false;
  int64_t Nearest = *DA - *Delta; // A - B at m = 1
  // Disjoint where A lies at or past B's end, or A's end at or before B.
  return *DA > 0 ? Nearest >= B.Size : Nearest <= -A.Size;
}

// Loop L's single block, where L is one block that is header, latch and
// only exiting block, entered from a preheader, with a conditional branch
// back to itself or to its one exit block.
BasicBlock *singleBlock(const Loop *L) {
  BasicBlock *H = L->getHeader();
  if (L->getNumBlocks() != 1 || !L->getLoopPreheader() ||
      L->getLoopLatch() != H || L->getExitingBlock() != H || !L->getExitBlock())
    return nullptr;
  auto *Br = dyn_cast<BranchInst>(H->getTerminator());
  if (!Br || !Br->isConditional())
    return nullptr;
  return H;
}

// The loop ID's operands but its self-reference.
SmallVector<Metadata *, 4> loopProperties(const Loop *L) {
  SmallVector<Metadata *, 4> Out;
  if (MDNode *Id = L->getLoopID())
    for (const MDOperand &Op : drop_begin(Id->operands()))
      Out.push_back(Op.get());
  return Out;
}

// Whether L1 and its follower L2 can be fused (see the file comment).
bool canFuse(Loop *L1, Loop *L2, ScalarEvolution &SE, BatchAAResults &AA,
             DominatorTree &DT, const DataLayout &DL) {
  BasicBlock *B1 = singleBlock(L1), *B2 = singleBlock(L2);
  if (!B1 || !B2 || B1 == B2 || L1->getParentLoop() != L2->getParentLoop())
    return false;
  BasicBlock *E = L1->getExitBlock();
  if (E != L2->getLoopPreheader() || E->getSinglePredecessor() != B1 ||
      !E->phis().empty())
    return false;
  if (loopProperties(L1) != loopProperties(L2))
    return false;
  const SCEV *T1 = SE.getBackedgeTakenCount(L1);
  if (isa<SCEVCouldNotCompute>(T1) || T1 != SE.getBackedgeTakenCount(L2))
    return false;
  // The first loop's values stay inside it.
  for (Instruction &I : *B1)
    for (User *U : I.users())
      if (cast<Instruction>(U)->getParent() != B1)
        return false;
  // The exit block's arithmetic may run before the first loop instead.
  Instruction *Pos = L1->getLoopPreheader()->getTerminator();
  for (Instruction &I : E->instructionsWithoutDebug()) {
    if (&I == E->getTerminator())
      break;
    if (I.mayReadOrWriteMemory() || !isSafeToSpeculativelyExecute(&I))
      return false;
    for (Value *Op : I.operands())
      if (auto *OI = dyn_cast<Instruction>(Op);
          OI && OI->getParent() != E && !DT.dominates(OI, Pos))
        return false;
  }
  std::optional<SmallVector<Access, 8>> M1 = accessesOf(B1, DL);
  std::optional<SmallVector<Access, 8>> M2 = accessesOf(B2, DL);
  if (!M1 || !M2)
    return false;
  for (const Access &A : *M1)
    for (const Access &B : *M2)
      if (!keepsOrder(A, L1, B, L2, SE, AA))
        return false;
  return true;
}

// Fuses L2 into L1 (checked by `canFuse`): one block running L1's body, then
// L2's, until L2's exit test holds.
void fuse(Loop *L1, Loop *L2) {
  BasicBlock *B1 = L1->getHeader(), *B2 = L2->getHeader();
  BasicBlock *P1 = L1->getLoopPreheader(), *E = L1->getExitBlock();
  // The exit block's arithmetic runs before L1.
  while (&E->front() != E->getTerminator())
    E->front().moveBefore(P1->getTerminator()->getIterator());
  // L2's recurrences start in L1's header; L1's come back from L2's block.
  SmallVector<PHINode *, 8> Phis;
  for (PHINode &P : B2->phis())
    Phis.push_back(&P);
  for (PHINode *P : Phis) {
    P->moveBefore(B1->getFirstNonPHIIt());
    P->replaceIncomingBlockWith(E, P1);
  }
  for (PHINode &P : B1->phis())
    if (!llvm::is_contained(Phis, &P))
      P.replaceIncomingBlockWith(B1, B2);
  // L1's exit test goes; L2's branches back to the fused header.
  Instruction *Old = B1->getTerminator();
  Value *Cond = cast<BranchInst>(Old)->getCondition();
  BranchInst::Create(B2, Old->getIterator());
  Old->eraseFromParent();
  RecursivelyDeleteTriviallyDeadInstructions(Cond);
  auto *Back = cast<BranchInst>(B2->getTerminator());
  for (unsigned S = 0; S < Back->getNumSuccessors(); ++S)
    if (Back->getSuccessor(S) == B2)
      Back->setSuccessor(S, B1);
  E->eraseFromParent();
  MergeBlockIntoPredecessor(B2);
}

// One fusion in F, or none. Its own analyses, rebuilt after each fusion:
// the host's would be stale after one (and queried here, its scalar
// evolution would cache results in another order; see
// `keepCheckedLoopsScalar` in shim.cpp). Alias analysis: basic and scoped
// (the derivative's `ferment.adjoints` scopes).
bool fuseOnePair(Function &F) {
  DominatorTree DT(F);
  LoopInfo LI(DT);
  if (LI.empty())
    return false;
  TargetLibraryInfoImpl TLII(F.getParent()->getTargetTriple());
  TargetLibraryInfo TLI(TLII, &F);
  AssumptionCache AC(F);
  ScalarEvolution SE(F, TLI, AC, DT, LI);
  const DataLayout &DL = F.getDataLayout();
  AAResults AAR(TLI);
  BasicAAResult Basic(DL, F, TLI, AC, &DT);
  ScopedNoAliasAAResult Scoped;
  AAR.addAAResult(Basic);
  AAR.addAAResult(Scoped);
  BatchAAResults AA(AAR);
  AA.enableCrossIterationMode();
  for (Loop *L1 : LI.getLoopsInPreorder()) {
    BasicBlock *E = L1->getExitBlock();
    BasicBlock *Next = E ? E->getSingleSuccessor() : nullptr;
    Loop *L2 = Next ? LI.getLoopFor(Next) : nullptr;
    if (!L2 || L2 == L1 || L2->getHeader() != Next)
      continue;
    if (canFuse(L1, L2, SE, AA, DT, DL)) {
      fuse(L1, L2);
      return true;
    }
  }
  return false;
}

} // namespace

namespace ferment {

unsigned fuseAdjacentLoops(Function &F) {
  unsigned Fused = 0;
  // Each fusion may make the fused loop adjacent to the next; a bound, in
  // case a function has very many.
  while (Fused < 64 && fuseOnePair(F))
    ++Fused;
  return Fused;
}

} // namespace ferment
