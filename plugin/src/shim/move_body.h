// Moving a function's body into another function. Three places replace a
// function by one of another shape or a reworked copy: `ferment_move_body`
// (shim.cpp: a derivative's new signature), the variadic helpers' copies
// (variadic.cpp) and the jammed rows (shim.cpp, `ferment_outline_sum_rows`); each
// moves the blocks, the arguments' uses and names, and the subprogram the
// blocks' debug locations name, then erases the emptied function.
#ifndef FERMENT_SHIM_MOVE_BODY_H
#define FERMENT_SHIM_MOVE_BODY_H

#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Function.h"

namespace ferment {

// Moves the blocks of `From` to the front of `To`; the first `NArgs`
// arguments of `From` are replaced by those of `To`, which take their
// names; `To` takes `From`'s subprogram (the moved locations name it);
// `From` is erased.
inline void moveBody(llvm::Function &From, llvm::Function &To,
                     unsigned NArgs) {
  To.splice(To.begin(), &From);
  for (unsigned I = 0; I < NArgs; ++I) {
    To.getArg(I)->takeName(From.getArg(I));
    From.getArg(I)->replaceAllUsesWith(To.getArg(I));
  }
  if (llvm::DISubprogram *SP = From.getSubprogram()) {
    From.setSubprogram(nullptr);
    To.setSubprogram(SP);
  }
  From.eraseFromParent();
}

} // namespace ferment

#endif
