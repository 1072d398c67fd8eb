// Calls of variadic functions that read their `...` (va_start) become calls
// of a fixed-signature copy of the callee, which ferment can inline and
// differentiate like any function.
//
// Role: a derivative follows values through parameters and memory, never
// through the register save area a real variadic call fills. For a call
// whose `...` arguments have types T1..Tn, `<callee>.ferment.va.T1.….Tn`
// takes them as ordinary parameters and stores them into a stack area of
// its own, laid out as the x86-64 System V ABI lays out arguments passed
// in memory (8-byte slots, aligned to the type's alignment where that is
// above 8; a `byval` argument is copied whole). Each `va_start` then
// writes a va_list whose register offsets say "registers used up"
// (gp_offset 48, fp_offset 176) and whose overflow area is that stack area
// (the register save area too: never read, one object for both). Every
// `va_arg` clang expanded in the body reads its argument from the area
// exactly as it would from a caller's stack, so the copy computes what the
// callee computes, and it is a valid va_list for `vprintf` and the like.
// Once inlined, SROA and SCCP fold the register paths away. Other targets,
// and callees that forward their `...` (musttail) or use the `va_arg`
// instruction, keep the call: the derivative generators then refuse it,
// naming the callee. Touches only the call sites it is given and adds
// the copies to the module; decides nothing about differentiation.

#include "llvm/IR/Function.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm-c/Core.h"

#include "move_body.h"

#include <string>
#include <vector>

using namespace llvm;

namespace {

// System V x86-64 register save area: 6 general registers of 8 bytes, then
// 8 vector registers of 16 bytes. Offsets at the ends say "all used".
const uint64_t GpRegsEnd = 48;
const uint64_t FpRegsEnd = 176;
// __va_list_tag { i32 gp_offset, i32 fp_offset, ptr overflow_arg_area,
// ptr reg_save_area }
const uint64_t VaListSize = 24;

bool sysVX86_64(const Module &M) {
  const Triple &T = M.getTargetTriple();
  return T.getArch() == Triple::x86_64 && !T.isOSWindows() && !T.isUEFI() &&
         M.getDataLayout().getPointerSize() == 8;
}

// The body reads its `...` only through va_start/va_copy/va_end and the
// loads clang expands `va_arg` into.
bool plainVarArgUse(Function &G) {
  for (Instruction &I : instructions(G)) {
    if (isa<VAArgInst>(I))
      return false;
    if (auto *CI = dyn_cast<CallInst>(&I))
      if (CI->isMustTailCall())
        return false;
  }
  return true;
}

// One `...` argument in the area.
struct Slot {
  unsigned Arg;
  uint64_t Offset;
  uint64_t Size;
  Type *ByVal;
  Align Alignment;
};

} // namespace

// Whether `G` starts reading its variadic arguments (calls va_start).
bool fermentReadsVarArgs(Function *G) {
  for (Instruction &I : instructions(*G))
    if (auto *II = dyn_cast<IntrinsicInst>(&I))
      if (II->getIntrinsicID() == Intrinsic::vastart)
        return true;
  return false;
}

// The fixed-signature copy of `CB`'s variadic callee for the types of its
// `...` arguments (made once per module), or null where out of reach.
static Function *fixedCopy(CallBase &CB) {
  Function *G = CB.getCalledFunction();
  if (!G || G->isDeclaration() || !G->isVarArg() || !fermentReadsVarArgs(G))
    return nullptr;
  Module &M = *G->getParent();
  if (!sysVX86_64(M) || !plainVarArgUse(*G))
    return nullptr;
  const DataLayout &DL = M.getDataLayout();
  LLVMContext &Ctx = M.getContext();
  FunctionType *FT = G->getFunctionType();
  unsigned NFixed = FT->getNumParams();
  SmallVector<Type *, 8> Params(FT->param_begin(), FT->param_end());
  std::vector<Slot> Slots;
  std::string Name = (G->getName() + ".ferment.va").str();
  raw_string_ostream OS(Name);
  uint64_t Offset = 0;
  for (unsigned I = NFixed; I < CB.arg_size(); ++I) {
    Type *T = CB.getArgOperand(I)->getType();
    if (CB.paramHasAttr(I, Attribute::InAlloca) ||
        CB.paramHasAttr(I, Attribute::Preallocated) ||
        CB.paramHasAttr(I, Attribute::ByRef))
      return nullptr;
    Type *ByVal = CB.getParamByValType(I);
    Type *Stored = ByVal ? ByVal : T;
    if (!Stored->isSized() || isa<ScalableVectorType>(Stored) ||
        (!ByVal && !T->isSingleValueType()))
      return nullptr;
    Align A = DL.getABITypeAlign(Stored);
    if (ByVal)
      A = std::max(A, CB.getParamAlign(I).valueOrOne());
    uint64_t Size = DL.getTypeAllocSize(Stored).getFixedValue();
    if (A.value() > 8)
      Offset = alignTo(Offset, A);
    Slots.push_back({I, Offset, Size, ByVal, A});
    Offset += alignTo(Size, 8);
    Params.push_back(T);
    OS << '.';
    if (ByVal)
      OS << "byval" << A.value() << ':';
    Stored->print(OS);
  }
  OS.flush();
  FunctionType *NFT = FunctionType::get(FT->getReturnType(), Params, false);
  if (Function *Existing = M.getFunction(Name))
    return Existing->getFunctionType() == NFT ? Existing : nullptr;

  // The body, moved from a clone (which also clones the debug subprogram).
  ValueToValueMapTy VMap;
  Function *C = CloneFunction(G, VMap);
  Function *N = Function::Create(NFT, GlobalValue::InternalLinkage, Name, &M);
  N->copyAttributesFrom(C);
  N->setLinkage(GlobalValue::InternalLinkage);
  N->setVisibility(GlobalValue::DefaultVisibility);
  N->setComdat(nullptr);
  N->setDSOLocal(true);
  N->removeFnAttr(Attribute::OptimizeNone);
  N->removeFnAttr(Attribute::NoInline);
  for (const Slot &S : Slots)
    if (S.ByVal) {
      N->addParamAttr(S.Arg, Attribute::getWithByValType(Ctx, S.ByVal));
      N->addParamAttr(S.Arg, Attribute::getWithAlignment(Ctx, S.Alignment));
    }
  ferment::moveBody(*C, *N, NFixed);

  // The area, filled at entry.
  BasicBlock &Entry = N->getEntryBlock();
  IRBuilder<> B(&Entry, Entry.getFirstInsertionPt());
  const Align AreaAlign(16);
  Type *AreaTy = ArrayType::get(B.getInt8Ty(), std::max<uint64_t>(Offset, 8));
  AllocaInst *Area = B.CreateAlloca(AreaTy, nullptr, "va.area");
  Area->setAlignment(AreaAlign);
  for (const Slot &S : Slots) {
    Value *At = B.CreateConstInBoundsGEP1_64(B.getInt8Ty(), Area, S.Offset);
    Align AtAlign = commonAlignment(AreaAlign, S.Offset);
    if (S.ByVal)
      B.CreateMemCpy(At, AtAlign, N->getArg(S.Arg), S.Alignment, S.Size);
    else
      B.CreateAlignedStore(N->getArg(S.Arg), At, AtAlign);
  }

  std::vector<IntrinsicInst *> VaCalls;
  for (Instruction &I : instructions(*N))
    if (auto *II = dyn_cast<IntrinsicInst>(&I))
      if (II->getIntrinsicID() == Intrinsic::vastart ||
          II->getIntrinsicID() == Intrinsic::vacopy ||
          II->getIntrinsicID() == Intrinsic::vaend)
        VaCalls.push_back(II);
  for (IntrinsicInst *II : VaCalls) {
    B.SetInsertPoint(II);
    Value *AP = II->getArgOperand(0);
    if (II->getIntrinsicID() == Intrinsic::vastart) {
      auto field = [&](uint64_t At) {
        return B.CreateConstInBoundsGEP1_64(B.getInt8Ty(), AP, At);
      };
      B.CreateAlignedStore(B.getInt32(GpRegsEnd), field(0), Align(4));
      B.CreateAlignedStore(B.getInt32(FpRegsEnd), field(4), Align(4));
      B.CreateAlignedStore(Area, field(8), Align(8));
      B.CreateAlignedStore(Area, field(16), Align(8));
    } else if (II->getIntrinsicID() == Intrinsic::vacopy) {
      B.CreateMemCpy(AP, Align(8), II->getArgOperand(1), Align(8), VaListSize);
    }
    II->eraseFromParent();
  }
  return N;
}

// Makes `CB` call the fixed-signature copy of its variadic callee; returns
// the copy, or null where the call stays as it is.
Function *fermentFixVariadicCall(CallBase &CB) {
  Function *N = fixedCopy(CB);
  if (N)
    CB.setCalledFunction(N);
  return N;
}

// Every direct call in `FV` of a defined variadic function that reads its
// `...`, except the functions in `Keep`, made a call of the callee's
// fixed-signature copy. Returns the number of calls changed.
extern "C" unsigned ferment_fix_variadic_calls(LLVMValueRef FV,
                                              LLVMValueRef *Keep,
                                              unsigned NKeep) {
  Function *F = unwrap<Function>(FV);
  std::vector<CallBase *> Calls;
  for (Instruction &I : instructions(*F))
    if (auto *CB = dyn_cast<CallBase>(&I)) {
      Function *G = CB->getCalledFunction();
      if (!G || !G->isVarArg() || G->isDeclaration())
        continue;
      bool Kept = false;
      for (unsigned K = 0; K < NKeep; ++K)
        Kept |= unwrap(Keep[K]) == G;
      if (!Kept)
        Calls.push_back(CB);
    }
  unsigned Count = 0;
  for (CallBase *CB : Calls)
    Count += fermentFixVariadicCall(*CB) != nullptr;
  return Count;
}

// Whether `FV` is a defined variadic function that reads its `...`.
extern "C" int ferment_reads_var_args(LLVMValueRef FV) {
  Function *F = unwrap<Function>(FV);
  return F->isVarArg() && !F->isDeclaration() && fermentReadsVarArgs(F);
}
