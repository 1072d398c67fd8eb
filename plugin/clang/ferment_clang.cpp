// libferment_clang.so: the clang front-end half of ferment, for users who load
// it the way Enzyme's clang users load ClangEnzyme:
//
//   clang -fplugin=<prefix>/lib/libferment_clang.so ...
//
// It (1) loads libferment.so (the pass plugin, next to this file) into the
// compilation's optimization pipeline, so nothing else needs to be passed
// (unless -fpass-plugin already loaded it), and (2)
// understands Enzyme's source attributes, which clang alone drops with only a
// warning, by turning each into what the pass plugin reads:
//
//   enzyme_inactive, enzyme_inactive_noblock  annotate("enzyme_inactive")
//                                             (functions and variables)
//   enzyme_nofree                             annotate("enzyme_nofree")
//   enzyme_function_like("name")              annotate("enzyme_function_like=name")
//   enzyme_shadow(g)                          annotate("enzyme_shadow=<symbol of g>")
//   enzyme_notypeanalysis,                    accepted: ferment analyses every function
//   enzyme_no_escaping_allocation,            (no effect on derivatives)
//   enzyme_checkpointing_enable(...)
//   enzyme_sparse_accumulate                  an error: not supported
//
// Spellings: GNU `__attribute__((enzyme_x))`, C23/C++11 `[[enzyme_x]]` and
// `[[enzyme::x]]`. Built by plugin/build.rs against the clang headers; every
// clang symbol comes from the clang process that loads it.

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/Attr.h"
#include "clang/AST/Mangle.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "clang/Sema/ParsedAttr.h"
#include "clang/Sema/Lookup.h"
#include "clang/Sema/Sema.h"
#include "clang/Sema/SemaDiagnostic.h"
#include "llvm/Plugins/PassPlugin.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <dlfcn.h>
#include <string>

using namespace clang;

namespace {

enum class Kind { Annotate, FunctionLike, Shadow, Accept, Unsupported };

struct Known {
  const char *Name;  // without the enzyme_ prefix
  Kind K;
  const char *Note;  // the annotation, for Kind::Annotate
  bool StmtToo;
};

const Known KnownAttrs[] = {
    {"inactive", Kind::Annotate, "enzyme_inactive", false},
    {"inactive_noblock", Kind::Annotate, "enzyme_inactive", false},
    {"nofree", Kind::Annotate, "enzyme_nofree", false},
    {"function_like", Kind::FunctionLike, nullptr, false},
    {"shadow", Kind::Shadow, nullptr, false},
    {"notypeanalysis", Kind::Accept, nullptr, false},
    {"no_escaping_allocation", Kind::Accept, nullptr, false},
    {"checkpointing_enable", Kind::Accept, nullptr, true},
    {"sparse_accumulate", Kind::Unsupported, nullptr, false},
};

void error(Sema &S, SourceLocation Loc, const std::string &Msg) {
  S.Diag(Loc, S.getDiagnostics().getCustomDiagID(DiagnosticsEngine::Error, "%0")) << Msg;
}

// The string argument of enzyme_function_like("name").
bool stringArg(const ParsedAttr &A, std::string &Out) {
  if (A.getNumArgs() != 1 || !A.isArgExpr(0))
    return false;
  auto *E = A.getArgAsExpr(0)->IgnoreParenCasts();
  if (auto *L = dyn_cast<StringLiteral>(E)) {
    Out = L->getString().str();
    return true;
  }
  return false;
}

// The symbol of the variable named by enzyme_shadow(g).
bool shadowSymbol(Sema &S, const ParsedAttr &A, std::string &Out) {
  if (A.getNumArgs() != 1)
    return false;
  const ValueDecl *D = nullptr;
  if (A.isArgExpr(0)) {
    if (auto *R = dyn_cast<DeclRefExpr>(A.getArgAsExpr(0)->IgnoreParenImpCasts()))
      D = R->getDecl();
  } else if (A.isArgIdent(0)) {
    IdentifierLoc *I = A.getArgAsIdent(0);
    LookupResult R(S, I->getIdentifierInfo(), I->getLoc(), Sema::LookupOrdinaryName);
    if (S.LookupName(R, S.getCurScope()) && R.isSingleResult())
      D = dyn_cast<ValueDecl>(R.getFoundDecl());
  }
  auto *V = dyn_cast_or_null<VarDecl>(D);
  if (!V || !V->hasGlobalStorage())
    return false;
  std::unique_ptr<MangleContext> M(S.Context.createMangleContext());
  if (M->shouldMangleDeclName(V)) {
    llvm::raw_string_ostream OS(Out);
    M->mangleName(GlobalDecl(V), OS);
  } else {
    Out = V->getName().str();
  }
  return true;
}

struct EnzymeAttr : public ParsedAttrInfo {
  const Known &What;
  std::string Gnu, Scoped;
  ParsedAttrInfo::Spelling Sp[5];

  explicit EnzymeAttr(const Known &W) : What(W) {
    Gnu = std::string("enzyme_") + W.Name;
    Scoped = std::string("enzyme::") + W.Name;
    Sp[0] = {AttributeCommonInfo::AS_GNU, Gnu.c_str()};
    Sp[1] = {AttributeCommonInfo::AS_C23, Gnu.c_str()};
    Sp[2] = {AttributeCommonInfo::AS_CXX11, Gnu.c_str()};
    Sp[3] = {AttributeCommonInfo::AS_CXX11, Scoped.c_str()};
    Sp[4] = {AttributeCommonInfo::AS_C23, Scoped.c_str()};
    Spellings = Sp;
    OptArgs = 15;
    IsStmt = W.StmtToo;
  }

  bool diagAppertainsToStmt(Sema &S, const ParsedAttr &A, const Stmt *) const override {
    if (!What.StmtToo) {
      error(S, A.getLoc(), "ferment: the attribute '" + Gnu + "' applies to declarations, not statements");
      return false;
    }
    return true;
  }

  AttrHandling handleStmtAttribute(Sema &S, Stmt *, const ParsedAttr &A,
                                   class Attr *&Result) const override {
    // Checkpointing changes how Enzyme stores a loop's tape, never the
    // derivative: ferment tapes every iteration.
    Result = AnnotateAttr::Create(S.Context, "ferment_ignored", nullptr, 0, A);
    return AttributeApplied;
  }

  AttrHandling handleDeclAttribute(Sema &S, Decl *D, const ParsedAttr &A) const override {
    std::string Note;
    switch (What.K) {
    case Kind::Accept:
      return AttributeApplied;
    case Kind::Unsupported:
      error(S, A.getLoc(), "ferment: the attribute '" + Gnu + "' is not supported (sparse derivatives are not implemented)");
      return AttributeNotApplied;
    case Kind::Annotate:
      Note = What.Note;
      break;
    case Kind::FunctionLike: {
      std::string Name;
      if (!stringArg(A, Name)) {
        error(S, A.getLoc(), "ferment: enzyme_function_like takes the name of a math function as a string, e.g. enzyme_function_like(\"log1p\")");
        return AttributeNotApplied;
      }
      Note = "enzyme_function_like=" + Name;
      break;
    }
    case Kind::Shadow: {
      std::string Sym;
      if (!isa<VarDecl>(D) || !shadowSymbol(S, A, Sym)) {
        error(S, A.getLoc(), "ferment: enzyme_shadow(g) goes on a global variable and names another global variable, its shadow");
        return AttributeNotApplied;
      }
      Note = "enzyme_shadow=" + Sym;
      break;
    }
    }
    if (!isa<FunctionDecl>(D) && !isa<VarDecl>(D)) {
      error(S, A.getLoc(), "ferment: the attribute '" + Gnu + "' applies to functions and variables");
      return AttributeNotApplied;
    }
    D->addAttr(AnnotateAttr::Create(S.Context, Note, nullptr, 0, A));
    return AttributeApplied;
  }
};

// One registry entry per attribute (the registry instantiates each type).
#define FERMENT_ATTR(I)                                                        \
  struct EnzymeAttr##I : EnzymeAttr {                                          \
    EnzymeAttr##I() : EnzymeAttr(KnownAttrs[I]) {}                             \
  };                                                                           \
  ParsedAttrInfoRegistry::Add<EnzymeAttr##I> Reg##I("ferment_attr_" #I, "");
FERMENT_ATTR(0)
FERMENT_ATTR(1)
FERMENT_ATTR(2)
FERMENT_ATTR(3)
FERMENT_ATTR(4)
FERMENT_ATTR(5)
FERMENT_ATTR(6)
FERMENT_ATTR(7)
FERMENT_ATTR(8)

// Path of libferment.so: the file next to this one.
std::string passPluginPath() {
  Dl_info Info;
  if (!dladdr(reinterpret_cast<void *>(&passPluginPath), &Info) || !Info.dli_fname)
    return "libferment.so";
  std::string Self = Info.dli_fname;
  size_t Slash = Self.rfind('/');
  std::string Dir = Slash == std::string::npos ? "." : Self.substr(0, Slash);
  return Dir + "/libferment.so";
}

class LoadPassPlugin : public PluginASTAction {
protected:
  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &CI, llvm::StringRef) override {
    std::string Path = passPluginPath();
    // Already loaded with -fpass-plugin: nothing to add.
    for (const auto &P : CI.getPassPlugins())
      if (P && llvm::sys::path::filename(P->getFilename()) == "libferment.so")
        return std::make_unique<ASTConsumer>();
    auto Plugin = llvm::PassPlugin::Load(Path);
    if (!Plugin) {
      CI.getDiagnostics().Report(CI.getDiagnostics().getCustomDiagID(
          DiagnosticsEngine::Error, "ferment: cannot load the pass plugin %0: %1"))
          << Path << llvm::toString(Plugin.takeError());
      return std::make_unique<ASTConsumer>();
    }
    llvm::PassPlugin Loaded = *Plugin;
    CI.getCodeGenOpts().PassBuilderCallbacks.push_back(
        [Loaded](llvm::PassBuilder &PB) mutable { Loaded.registerPassBuilderCallbacks(PB); });
    return std::make_unique<ASTConsumer>();
  }
  bool ParseArgs(const CompilerInstance &, const std::vector<std::string> &) override { return true; }
  ActionType getActionType() override { return AddBeforeMainAction; }
};

FrontendPluginRegistry::Add<LoadPassPlugin> Action("ferment", "load the ferment pass plugin");

} // namespace
