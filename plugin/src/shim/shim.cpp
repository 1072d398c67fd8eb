// ferment's C++ glue: the only part of the plugin that needs LLVM's C++ API.
//
// Role: register the passes with the host's PassBuilder, expose the
// `-ferment-*` / `-enzyme-*` command-line options, and offer a handful of
// C-callable helpers (clone, re-signature, inline, run a function pipeline,
// report a diagnostic) that the Rust side cannot do through the C API.
// It never decides anything about differentiation: that is Rust's job.

#include "llvm/ADT/PostOrderIterator.h"
#include "llvm/Analysis/AliasAnalysis.h"
#include "llvm/Analysis/CFG.h"
#include "llvm/Analysis/DependenceAnalysis.h"
#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/Analysis/AssumptionCache.h"
#include "llvm/Analysis/BasicAliasAnalysis.h"
#include "llvm/Analysis/ScopedNoAliasAA.h"
#include "llvm/Analysis/LoopAccessAnalysis.h"
#include "llvm/Analysis/LazyValueInfo.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/PostDominators.h"
#include "llvm/Analysis/MemoryBuiltins.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/Analysis/ScalarEvolutionDivision.h"
#include "llvm/Analysis/ScalarEvolutionExpressions.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Analysis/TargetTransformInfo.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/Demangle/Demangle.h"
#include "llvm/IR/CFG.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassInstrumentation.h"
#include "llvm/IR/PassManager.h"
#include "llvm/IR/PatternMatch.h"
#include "llvm/IR/ReplaceConstant.h"
#include "llvm/IR/ValueHandle.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Plugins/PassPlugin.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/InstCombine/InstCombine.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/BuildLibCalls.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/Local.h"
#include "llvm/Transforms/Utils/LoopConstrainer.h"
#include "llvm/Transforms/Utils/LoopPeel.h"
#include "llvm/Transforms/Utils/LoopSimplify.h"
#include "llvm/Transforms/Utils/LoopUtils.h"
#include "llvm/Transforms/Utils/ScalarEvolutionExpander.h"
#include "llvm/Transforms/Utils/UnrollLoop.h"
#include "llvm-c/Core.h"

#include "finite_test.h"
#include "fuse_loops.h"
#include "move_body.h"

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace llvm;

// The analyses a helper below reads from one function, built where the
// helper starts (after whatever changed the function last) and dropped when
// it returns: dominator tree and loops (`FnLoops`), plus scalar evolution
// with the library info and assumption cache it needs (`FnScev`; scalar
// evolution computes only what is asked).
struct FnLoops {
  DominatorTree DT;
  LoopInfo LI;
  explicit FnLoops(Function &F) : DT(F), LI(DT) {}
  FnLoops(const FnLoops &) = delete;
  FnLoops &operator=(const FnLoops &) = delete;
};
struct FnScev : FnLoops {
  TargetLibraryInfoImpl TLII;
  TargetLibraryInfo TLI;
  AssumptionCache AC;
  ScalarEvolution SE;
  explicit FnScev(Function &F)
      : FnLoops(F), TLII(F.getParent()->getTargetTriple()), TLI(TLII, &F),
        AC(F), SE(F, TLI, AC, DT, LI) {}
};

// ---- implemented in Rust ---------------------------------------------------
extern "C" {
// Runs every AD request of the module. Returns 1 when the module changed.
// `opt_level` is 0..3; `options` points at the parsed command-line flags.
int ferment_rust_run_module(LLVMModuleRef M, unsigned opt_level,
                            const void *options);
// Printer passes: `which` 0 = types, 1 = activity; `all` prints every function.
void ferment_rust_print(LLVMModuleRef M, unsigned which, int all);
// Lane order of vectorized downward loops in one of ferment's functions.
// Returns 1 when the function changed.
int ferment_rust_reorder_lanes(LLVMValueRef F);
// Clears flang-22's wrong `nuw` flags on arithmetic over signed remainders.
// Returns 1 when the module changed.
int ferment_rust_repair_module(LLVMModuleRef M);
}

// ---- command-line options ---------------------------------------------------
// Whether the derivative's own arithmetic carries fast-math flags by default
// (README, "Options": measured in benches/report/REPORT.md).
#define FERMENT_FAST_MATH_DEFAULT false
namespace {
cl::opt<bool> OptPrint("ferment-print", cl::init(false), cl::Hidden,
                       cl::desc("ferment: print each generated derivative"));
cl::opt<bool> OptPrintEnzyme("enzyme-print", cl::init(false), cl::Hidden,
                             cl::desc("alias of -ferment-print"));
cl::opt<bool> OptPrintTape("ferment-print-tape", cl::init(false), cl::Hidden,
                           cl::desc("ferment: print what each derivative caches"));
cl::opt<bool> OptBeforeOpt(
    "ferment-before-opt", cl::init(false), cl::Hidden,
    cl::desc("ferment: differentiate before the optimizer (ablation)"));
cl::opt<int> OptPreopt("enzyme-preopt", cl::init(1), cl::Hidden,
                       cl::desc("Enzyme compatibility: 0 disables preopt"));
cl::opt<bool> OptNoLaneOrder(
    "ferment-no-lane-order", cl::init(false), cl::Hidden,
    cl::desc("ferment: keep the vectorizer's lane order in reverse loops "
             "(ablation)"));
cl::opt<bool> OptNoShareGuards(
    "ferment-no-share-guards", cl::init(false), cl::Hidden,
    cl::desc("ferment: keep each guarded product of a discardable value's "
             "reverse sweep testing its own adjoint against zero, instead "
             "of the test that started its chain (ablation)"));
cl::opt<bool> OptNoGuardZero(
    "ferment-no-guard-zero", cl::init(false), cl::Hidden,
    cl::desc("ferment: keep accumulations of adjoints that are zero on one "
             "side of a branch, and loops scaled by an adjoint that may be "
             "zero, unconditional (ablation)"));
cl::opt<bool> OptNoOmpPrivateRanges(
    "ferment-no-omp-private-ranges", cl::init(false), cl::Hidden,
    cl::desc("In the team copy of an OpenMP region's reverse, never add "
             "adjoints plainly into a thread's private address range (every "
             "shared adjoint add goes through the per-thread buffers)"));
cl::opt<bool> OptOmpPublishRanges(
    "ferment-omp-publish-ranges", cl::init(false), cl::Hidden,
    cl::desc("In the team copy of an OpenMP region's reverse, have each "
             "thread publish its adds' address ranges at a barrier instead "
             "of computing the other threads' ranges from their tape "
             "frames (ablation)"));
cl::opt<bool> OptNoOmpSplitLoops(
    "ferment-no-omp-split-loops", cl::init(false), cl::Hidden,
    cl::desc("In the team copy of an OpenMP region's reverse, keep the "
             "per-iteration private-range tests (no loop split into the "
             "iterations whose adds are all private and the others)"));
cl::opt<bool> OptNoEpilogueVectors(
    "ferment-no-epilogue-vectorization", cl::init(false), cl::Hidden,
    cl::desc("ferment: no vectorized epilogue loops in ferment's own "
             "functions (shorter compiles, slower loops of 8-31 iterations)"));
cl::opt<bool> OptNoFuseLoops(
    "ferment-no-fuse-loops", cl::init(false), cl::Hidden,
    cl::desc("ferment: keep adjacent loops of a derivative that run the same "
             "number of iterations apart (by default they are fused where "
             "every dependence between them allows it; ablation)"));
cl::opt<unsigned> OptMaxVectorChecks(
    "ferment-max-vector-checks", cl::init(16), cl::Hidden,
    cl::desc("ferment: a derivative loop whose trip count is not a constant "
             "and whose vectorization needs more than N run-time alias "
             "checks between pointer groups stays scalar (0: no limit)"));
cl::opt<bool> OptNoPeelLast(
    "ferment-no-peel-last", cl::init(false), cl::Hidden,
    cl::desc("ferment: keep the last iteration of a derivative loop whose "
             "boundary test (`i < n - 1 ? y[i + 1] : y[i]`) holds in every "
             "other iteration inside the loop (the vectorizer then gathers "
             "the selected elements; ablation)"));
cl::opt<bool> OptNoHoistCarriedLoads(
    "ferment-no-hoist-carried-loads", cl::init(false), cl::Hidden,
    cl::desc("ferment: leave behind its branches a derivative loop's load "
             "of the element its own store wrote in the previous iteration "
             "(moved into the loop header, loop-load elimination forwards "
             "the stored value; ablation)"));
cl::opt<bool> OptTapeGathers(
    "ferment-tape-gathers", cl::init(false), cl::Hidden,
    cl::desc("ferment: leave AVX-512 derivatives whose loops read or write "
             "tape rows of several fields, or blocks of a few elements per "
             "iteration, free to use gathers and scatters (the host's "
             "treatment; ablation)"));
cl::opt<bool> OptNoForwardGuardedStores(
    "ferment-no-forward-guarded-stores", cl::init(false), cl::Hidden,
    cl::desc("ferment: keep a clone's reload of a stored element when a "
             "store on the way may write it only where a branch test "
             "rules that out (Gauss-Jordan's pivot row re-read for every "
             "target row i != k; ablation)"));
cl::opt<bool> OptNoNestFrontier(
    "ferment-no-nest-frontier", cl::init(false), cl::Hidden,
    cl::desc("ferment: tape loads of a loop nest whose later stores never "
             "write what they read (a factorization's finished rows or "
             "columns) unless one loop's own store proves it (ablation)"));
cl::opt<bool> OptNoJamSerialSums(
    "ferment-no-jam-serial-sums", cl::init(false), cl::Hidden,
    cl::desc("ferment: run one iteration at a time of a derivative loop "
             "whose inner loop is a floating-point sum in source order (by "
             "default two independent iterations, every memory access "
             "proven apart across them, run their inner loops together: "
             "unroll-and-jam; ablation)"));
cl::opt<bool> OptNoFrontierRereads(
    "ferment-no-frontier-rereads", cl::init(false), cl::Hidden,
    cl::desc("ferment: tape loads of elements that a loop's own store "
             "wrote in an earlier iteration and never writes again "
             "(ablation)"));
cl::opt<bool> OptNoRotate(
    "ferment-no-rotate-accumulations", cl::init(false), cl::Hidden,
    cl::desc("ferment: keep a reverse loop's accumulations into neighbouring "
             "shadow elements as read-modify-writes of memory (ablation)"));
cl::opt<bool> OptRotateChecks(
    "ferment-rotate-checks", cl::init(true), cl::Hidden,
    cl::desc("ferment: also rotate a reverse loop's neighbour accumulations "
             "that alias analysis cannot prove apart from the loop's other "
             "accesses, behind a run-time test of the address ranges (on by "
             "default; =false or -ferment-no-rotate-checks turns it off)"));
cl::opt<bool> OptNoRotateChecks(
    "ferment-no-rotate-checks", cl::init(false), cl::Hidden,
    cl::desc("ferment: rotate only neighbour accumulations that alias "
             "analysis proves apart, never behind a run-time test "
             "(ablation)"));
cl::opt<bool> OptNoUnrollRuntime(
    "ferment-no-unroll-runtime", cl::init(false), cl::Hidden,
    cl::desc("ferment: keep the host from runtime-unrolling a derivative's "
             "innermost loops that store tape rows (less code to compile; "
             "off by default: kmeans_hvp's gradient ran 6% slower)"));
cl::opt<bool> OptUnswitchLoopGuards(
    "ferment-unswitch-loop-guards", cl::init(false), cl::Hidden,
    cl::desc("ferment: where a derivative loop is unswitched on a zero "
             "adjoint, let LLVM also unswitch loops of up to twice "
             "-unswitch-threshold on the guards of their inner loops "
             "(`n > 0`; the old behaviour: copies of the loop nest that "
             "differ only in which inner loops they skip)"));
cl::opt<bool> OptUnrollCalls(
    "ferment-unroll-calls", cl::init(false), cl::Hidden,
    cl::desc("ferment: let the host runtime-unroll a derivative's innermost "
             "loops that call a library function (exp, log, pow...) as it "
             "does the primal's (ablation: more code to compile, no measured "
             "speed)"));
cl::opt<bool> OptUnrollOrderedSums(
    "ferment-unroll-ordered-sums", cl::init(false), cl::Hidden,
    cl::desc("ferment: let the host runtime-unroll a derivative's innermost "
             "loops that carry a floating-point sum in source order inside "
             "another loop (ablation: the parent loop then stays rolled)"));
cl::opt<bool> OptUnrollFallbacks(
    "ferment-unroll-fallbacks", cl::init(false), cl::Hidden,
    cl::desc("ferment: let the host runtime-unroll the scalar loop the "
             "vectorizer keeps beside a vectorized derivative loop that has "
             "run-time alias checks (ablation: more code to compile)"));
cl::opt<bool> OptUnrollAliasFallbacks(
    "ferment-unroll-alias-fallbacks", cl::init(false), cl::Hidden,
    cl::desc("ferment: let the host unroll and vectorize the unchanged copy "
             "of a loop that the accumulation rotation keeps for overlapping "
             "arrays (ablation: more code to compile)"));
cl::opt<bool> OptVectorizeNonfiniteCopies(
    "ferment-vectorize-nonfinite-copies", cl::init(false), cl::Hidden,
    cl::desc("ferment: let the host unroll and vectorize the copy of the "
             "reverse loops that runs where a stored quotient is not finite "
             "(ablation: more code to compile)"));
cl::opt<bool> OptUnrollOuter(
    "ferment-unroll-outer", cl::init(false), cl::Hidden,
    cl::desc("ferment: let the host runtime-unroll a derivative's loops that "
             "contain other loops (ablation: copies of whole inner loops to "
             "compile; kmeans_hvp's gradient ran 1.25x slower)"));
cl::opt<bool> OptInterleaveNested(
    "ferment-interleave-nested-once", cl::init(false), cl::Hidden,
    cl::desc("ferment: give a derivative's innermost loops nested in another "
             "loop one interleave (llvm.loop.interleave.count 1), so the "
             "vectorizer adds no vectorized epilogue either (experiment: "
             "less code to compile, gradients up to 18% slower or 12% "
             "faster; see ARCHITECTURE.md)"));
cl::opt<bool> OptUnswitchAll(
    "ferment-unswitch-all", cl::init(false), cl::Hidden,
    cl::desc("ferment: where a derivative loop is unswitched on a zero "
             "adjoint, let LLVM unswitch its loops on any invariant "
             "condition (ablation; copies whole loop nests)"));
cl::opt<bool> OptCheck(
    "ferment-check", cl::init(false), cl::Hidden,
    cl::desc("ferment: each derivative checks itself once at run time against "
             "finite differences and warns on a mismatch"));
cl::opt<bool> OptCheckEnzyme("enzyme-check", cl::init(false), cl::Hidden,
                             cl::desc("alias of -ferment-check"));
cl::opt<bool> OptNoInline("ferment-no-inline", cl::init(false), cl::Hidden,
                          cl::desc("ferment: do not inline callees before AD"));
cl::opt<bool> OptFermentLooseTypes(
    "ferment-loose-types", cl::init(false), cl::Hidden,
    cl::desc("treat memory whose type is unknown or contradictory as "
             "floating point (with a warning) instead of stopping"));
cl::opt<bool> OptLooseTypes("enzyme-loose-types", cl::init(false), cl::Hidden,
                            cl::desc("Enzyme compatibility flag"));
cl::opt<bool> OptPrintType("enzyme-print-type", cl::init(false), cl::Hidden,
                           cl::desc("Enzyme compatibility flag"));
cl::opt<bool> OptPrintActivity("enzyme-print-activity", cl::init(false),
                               cl::Hidden, cl::desc("Enzyme compatibility flag"));
cl::opt<bool> OptRuntimeActivity(
    "enzyme-runtime-activity", cl::init(false), cl::Hidden,
    cl::desc("every request as if marked enzyme_runtime_activity: a "
             "duplicated pointer whose shadow is its primal is inactive"));
cl::opt<bool> OptAllUseful(
    "ferment-activity-all-useful", cl::init(false), cl::Hidden,
    cl::desc("ferment: treat every varied value as active (measures what "
             "activity analysis saves; derivatives stay correct)"));
cl::opt<bool> OptPackedLanes(
    "ferment-packed-lanes", cl::init(false), cl::Hidden,
    cl::desc("ferment: batched forward mode keeps the N tangents of a float "
             "scalar in one <N x T> vector instead of N scalars"));
cl::opt<bool> OptNoHugePages(
    "ferment-no-huge-pages", cl::init(false), cl::Hidden,
    cl::desc("ferment: do not advise transparent huge pages for large tape "
             "buffers (ablation)"));
cl::opt<bool> OptNoTapeCache(
    "ferment-no-tape-cache", cl::init(false), cl::Hidden,
    cl::desc("ferment: free large tape buffers at the end of each gradient "
             "instead of keeping them for the next call (ablation)"));
cl::opt<bool> OptTapeArena(
    "ferment-tape-arena", cl::init(false), cl::Hidden,
    cl::desc("ferment: take tape row buffers of 64 KiB to 4 MiB from a "
             "per-thread arena in huge pages instead of the heap"));
cl::opt<bool> OptNoReloadMemo(
    "ferment-no-reload-memo", cl::init(false), cl::Hidden,
    cl::desc("ferment: rebuild a recomputed value at every use in a reverse "
             "block instead of once per block (ablation: compile time)"));
cl::opt<bool> OptNoSiblingLoads(
    "ferment-no-sibling-loads", cl::init(false), cl::Hidden,
    cl::desc("ferment: tape a load that a sibling loop's taped load already "
             "read instead of reading that loop's row (ablation)"));
cl::opt<bool> OptNoSwappedSnapshots(
    "ferment-no-swapped-snapshots", cl::init(false), cl::Hidden,
    cl::desc("ferment: tape the loads of buffers swapped by pointers instead "
             "of snapshotting the buffer (ablation)"));
cl::opt<bool> OptNoRecomputeCalls(
    "ferment-no-recompute-calls", cl::init(false), cl::Hidden,
    cl::desc("ferment: tape a pure math call in a loop even where the "
             "forward sweep computes it for the tape alone (ablation)"));
cl::opt<bool> OptRecomputeRows(
    "ferment-recompute-rows", cl::init(false), cl::Hidden,
    cl::desc("ferment: run each data row's forward and reverse passes together "
             "in the reverse sweep of a loop whose iterations only add to a sum "
             "the combined derivative drops, instead of taping the rows, also "
             "where two rows cannot be jammed into one iteration"));
cl::opt<bool> OptJamRows(
    "ferment-jam-rows", cl::init(false), cl::Hidden,
    cl::desc("ferment: run each pair of data rows forward and backward "
             "together in the reverse sweep of a loop whose iterations only "
             "add to a sum the combined derivative drops, where two rows jam "
             "into one iteration (the default; kept for old command lines)"));
cl::opt<bool> OptNoRecomputeRows(
    "ferment-no-recompute-rows", cl::init(false), cl::Hidden,
    cl::desc("ferment: tape the rows of loops whose iterations only add to a "
             "sum (overrides -ferment-jam-rows and -ferment-recompute-rows; "
             "as -ferment-no-jam-rows)"));
cl::opt<bool> OptNoJamRows(
    "ferment-no-jam-rows", cl::init(false), cl::Hidden,
    cl::desc("ferment: tape the rows of loops whose iterations only add to a "
             "sum instead of jamming two rows (as -ferment-no-recompute-rows)"));
cl::opt<bool> OptTimeReport(
    "ferment-time-report", cl::init(false), cl::Hidden,
    cl::desc("ferment: print where the plugin's own compile time goes "
             "(`ferment-time:` lines on stderr, as FERMENT_TIME=1 does)"));
cl::opt<int> OptLocalizeMinWork(
    "ferment-localize-min-work", cl::init(1000000), cl::Hidden,
    cl::desc("ferment: zero a reverse function's adjoint slots where they "
             "are used, not in the entry block, when its slots times blocks "
             "reach N (0: always)"));
cl::opt<int> OptTapeStateMemory(
    "ferment-tape-state-memory", cl::init(64), cl::Hidden,
    cl::desc("ferment: keep the loop tape state (counters, capacities, "
             "buffer pointers) of a combined-shape derivative in memory, "
             "not in SSA values, when it has N or more loop row buffers "
             "(0: never)"));
cl::opt<bool> OptNoGuardLoads(
    "ferment-no-guard-loads", cl::init(false), cl::Hidden,
    cl::desc("ferment: count values read from memory as finite in the "
             "reverse sweep's zero-adjoint guards (no run-time test of the "
             "stored quotients; the old behaviour)"));
cl::opt<bool> OptNoGuardLoopLoads(
    "ferment-no-guard-loop-loads", cl::init(false), cl::Hidden,
    cl::desc("ferment: no zero-adjoint guards on the reverse sweep's "
             "products of values read from memory where a stored quotient "
             "is computed in a loop (no run-time test of such quotients; "
             "the behaviour before session 29)"));
cl::opt<bool> OptGuardLoopLoads(
    "ferment-guard-loop-loads", cl::init(false), cl::Hidden,
    cl::desc("ferment: guard the reverse sweep's products of values read "
             "from memory where a stored quotient is computed in a loop "
             "without a run-time test of the quotients (ablation: by "
             "default one test of all of them spares the guards)"));
cl::opt<bool> OptNoAffineRows(
    "ferment-no-affine-rows", cl::init(false), cl::Hidden,
    cl::desc("ferment: keep a tape counter per loop instead of rows from "
             "the iteration numbers of a loop nest with exact counts "
             "(ablation)"));
cl::opt<bool> OptNoRestrictParams(
    "ferment-no-restrict-params", cl::init(false), cl::Hidden,
    cl::desc("ferment: do not mark a derivative's primal pointer parameters "
             "noalias where the primal's are (ablation)"));
cl::opt<bool> OptHoistChecks(
    "ferment-hoist-runtime-checks", cl::init(false), cl::Hidden,
    cl::desc("ferment: let the vectorizer widen the runtime alias checks of "
             "an inner loop in a derivative to the whole loop nest (LLVM's "
             "-hoist-runtime-checks; those checks always fail when the outer "
             "loop runs downwards, as reverse sweeps do)"));
cl::opt<bool> OptInline("enzyme-inline", cl::init(false), cl::Hidden,
                        cl::desc("Enzyme compatibility flag"));
cl::opt<int> OptCheckpoint(
    "ferment-checkpoint", cl::init(0), cl::Hidden,
    cl::desc("ferment: __enzyme_checkpoint_for loops with checkpoint regions and no "
             "snapshot count in their configuration store their state every K steps"));
cl::opt<bool> OptLeafVectors(
    "enzyme-vectorize-at-leaf-nodes", cl::init(false), cl::Hidden,
    cl::desc("Enzyme compatibility flag (its interleaved batched shadow "
             "layout; a batched request under it is an error)"));
cl::opt<bool> OptFastMath(
    "ferment-fast-math", cl::init(FERMENT_FAST_MATH_DEFAULT), cl::Hidden,
    cl::desc("ferment: fast-math flags (reassoc nsz arcp contract afn) on the "
             "derivative's own arithmetic"));
cl::opt<bool> OptEnzymeFastMath("enzyme-fast-math",
                                cl::init(FERMENT_FAST_MATH_DEFAULT), cl::Hidden,
                                cl::desc("Enzyme's name for -ferment-fast-math"));
// Enzyme flags that choose how (not what) it computes, or turn on what
// ferment always does: accepted so that existing build lines keep working,
// with no effect on the derivatives (README, "Options").
cl::opt<bool> OptCacheNever("enzyme-cache-never", cl::init(false), cl::Hidden,
                            cl::desc("Enzyme compatibility flag (no effect)"));
cl::opt<bool> OptCacheAlways("enzyme-cache-always", cl::init(false), cl::Hidden,
                             cl::desc("Enzyme compatibility flag (no effect)"));
cl::opt<bool> OptGlobalActivity(
    "enzyme-global-activity", cl::init(false), cl::Hidden,
    cl::desc("Enzyme compatibility flag: ferment always treats mutable "
             "globals as possibly active"));
cl::opt<bool> OptPostopt("enzyme-postopt", cl::init(false), cl::Hidden,
                         cl::desc("Enzyme compatibility flag: ferment always "
                                  "optimizes its derivatives"));
cl::opt<bool> OptCheckpointSplitSteps(
    "enzyme-checkpoint-split-steps", cl::init(false), cl::Hidden,
    cl::desc("Enzyme compatibility flag (no effect: ferment tapes every "
             "step of a checkpointed loop)"));
// Lists of functions whose calls carry no derivative, as if each were named
// in an `__enzyme_inactivefn` global (README, "Options").
cl::list<std::string> OptInactiveFiles(
    "ferment-inactive-file", cl::Hidden, cl::ZeroOrMore,
    cl::desc("ferment: a file naming functions, one a line, whose calls "
             "carry no derivative (repeatable)"));
cl::list<std::string> OptLoadInactiveFiles(
    "enzyme-load-inactive-file", cl::Hidden, cl::ZeroOrMore,
    cl::desc("Enzyme's name for -ferment-inactive-file"));
} // namespace

// Mirrors `shim::Options` on the Rust side (repr(C)); keep in sync.
struct FermentOptions {
  int print;
  int print_tape;
  int preopt;
  int inline_callees;
  int loose_types;
  int print_types;
  int print_activity;
  int all_useful;
  int fast_math;
  int self_check;
  int prelink;
  int packed_lanes;
  int huge_pages;
  int tape_cache;
  int tape_arena;
  int restrict_params;
  int leaf_vectors;
  int checkpoint;
  int runtime_activity;
  int reload_memo;
  int sibling_loads;
  int recompute_calls;
  int recompute_rows;
  int swapped_snapshots;
  int guard_loads;
  int localize_min_work;
  int tape_state_memory;
};

static FermentOptions currentOptions() {
  FermentOptions O;
  O.print = OptPrint || OptPrintEnzyme;
  O.print_tape = OptPrintTape;
  O.preopt = OptPreopt != 0;
  O.inline_callees = !OptNoInline;
  O.loose_types = OptLooseTypes || OptFermentLooseTypes;
  O.print_types = OptPrintType;
  O.print_activity = OptPrintActivity;
  O.all_useful = OptAllUseful;
  // The default unless given under either name (ferment's name wins).
  bool FastMath = FERMENT_FAST_MATH_DEFAULT;
  if (OptEnzymeFastMath.getNumOccurrences())
    FastMath = OptEnzymeFastMath;
  if (OptFastMath.getNumOccurrences())
    FastMath = OptFastMath;
  O.fast_math = FastMath;
  O.self_check = OptCheck || OptCheckEnzyme;
  O.prelink = 0;
  O.packed_lanes = OptPackedLanes;
  O.huge_pages = !OptNoHugePages;
  O.tape_cache = !OptNoTapeCache;
  O.tape_arena = OptTapeArena;
  O.restrict_params = !OptNoRestrictParams;
  O.leaf_vectors = OptLeafVectors;
  O.checkpoint = OptCheckpoint;
  O.runtime_activity = OptRuntimeActivity;
  O.reload_memo = !OptNoReloadMemo;
  O.sibling_loads = !OptNoSiblingLoads;
  O.recompute_calls = !OptNoRecomputeCalls;
  O.recompute_rows = OptNoRecomputeRows || OptNoJamRows ? 0
                     : OptRecomputeRows                ? 2
                                                       : 1;
  O.swapped_snapshots = !OptNoSwappedSnapshots;
  O.guard_loads = OptNoGuardLoads       ? 0
                  : OptNoGuardLoopLoads ? 1
                  : OptGuardLoopLoads   ? 3
                                        : 2;
  O.localize_min_work = OptLocalizeMinWork < 0 ? 0 : OptLocalizeMinWork;
  O.tape_state_memory = OptTapeStateMemory < 0 ? 0 : OptTapeStateMemory;
  return O;
}

// ---- inactive-function lists --------------------------------------------------

// Whether line `Name` of an inactive-function list names `F`: its symbol
// name, its demangled signature (`ns::f(double)`) or that signature without
// the parameters (`ns::f`, every overload).
static bool listedName(const Function &F, StringRef Name) {
  if (F.getName() == Name)
    return true;
  char *D = llvm::itaniumDemangle(F.getName(), /*ParseParams=*/true);
  if (!D)
    return false;
  StringRef Full(D);
  bool Match = Full == Name || Full.take_front(Full.find('(')) == Name;
  std::free(D);
  return Match;
}

// `-ferment-inactive-file` / `-enzyme-load-inactive-file`: each function the
// lists name gets the `enzyme_inactive` attribute that the activity analysis
// reads; with `Protect`, a defined one is also kept out of the inliner (as
// FermentProtectPass keeps annotated functions), so that its calls survive
// until ferment runs. Blank lines and lines starting with `#` are skipped;
// names no function of the module has are ignored (one list may serve many
// files). A list that cannot be read is an error when `Report`.
static bool markListedInactive(Module &M, bool Protect, bool Report) {
  bool Changed = false;
  std::vector<std::string> Paths(OptInactiveFiles.begin(), OptInactiveFiles.end());
  Paths.insert(Paths.end(), OptLoadInactiveFiles.begin(), OptLoadInactiveFiles.end());
  for (const std::string &Path : Paths) {
    ErrorOr<std::unique_ptr<MemoryBuffer>> Buf = MemoryBuffer::getFile(Path, /*IsText=*/true);
    if (!Buf) {
      if (Report)
        M.getContext().diagnose(DiagnosticInfoGeneric(
            Twine("ferment: cannot read the list of inactive functions '") + Path +
                "' (-enzyme-load-inactive-file / -ferment-inactive-file): " +
                Buf.getError().message(),
            DS_Error));
      continue;
    }
    SmallVector<StringRef, 16> Lines;
    (*Buf)->getBuffer().split(Lines, '\n');
    for (StringRef Line : Lines) {
      StringRef Name = Line.trim();
      if (Name.empty() || Name.starts_with("#"))
        continue;
      for (Function &F : M.functions()) {
        if (F.getName().starts_with("llvm.") || !listedName(F, Name))
          continue;
        if (!F.hasFnAttribute("enzyme_inactive")) {
          F.addFnAttr("enzyme_inactive");
          Changed = true;
        }
        if (Protect && !F.isDeclaration() && !F.hasFnAttribute(Attribute::NoInline)) {
          F.removeFnAttr(Attribute::AlwaysInline);
          F.addFnAttr(Attribute::NoInline);
          Changed = true;
        }
      }
    }
  }
  return Changed;
}

// ---- passes -----------------------------------------------------------------
static unsigned keepCheckedLoopsScalar(Function &F,
                                       FunctionAnalysisManager &FAM);
static unsigned interleaveNestedOnce(Function &F);

namespace {
struct FermentPass : PassInfoMixin<FermentPass> {
  unsigned Level;
  // The compile step of an -flto build: requests that need code from other
  // translation units are left for the link-time run.
  bool Prelink;
  explicit FermentPass(unsigned L, bool P = false) : Level(L), Prelink(P) {}
  PreservedAnalyses run(Module &M, ModuleAnalysisManager &) {
    FermentOptions O = currentOptions();
    O.prelink = Prelink;
    bool Listed = markListedInactive(M, /*Protect=*/false, /*Report=*/true);
    int Changed = ferment_rust_run_module(wrap(&M), Level, &O);
    return Changed || Listed ? PreservedAnalyses::none() : PreservedAnalyses::all();
  }
  static bool isRequired() { return true; }
};

// After the vectorizer, on ferment's own functions only: see lanes.rs. The
// host pipeline runs no InstCombine after this extension point, so the pass
// folds the shuffles it leaves behind itself.
struct FermentLanesPass : PassInfoMixin<FermentLanesPass> {
  PreservedAnalyses run(Function &F, FunctionAnalysisManager &FAM) {
    if (OptNoLaneOrder || !F.getName().starts_with("ferment.") ||
        !ferment_rust_reorder_lanes(wrap(&F)))
      return PreservedAnalyses::all();
    PreservedAnalyses PA;
    PA.preserveSet<CFGAnalyses>();
    FAM.invalidate(F, PA);
    InstCombinePass().run(F, FAM);
    FAM.invalidate(F, PA);
    return PA;
  }
};

// Before any optimization: integer flags the front end set wrongly (see
// fortran_flags.rs) are cleared before LLVM folds code by them.
struct FermentRepairPass : PassInfoMixin<FermentRepairPass> {
  PreservedAnalyses run(Module &M, ModuleAnalysisManager &) {
    return ferment_rust_repair_module(wrap(&M)) ? PreservedAnalyses::none()
                                                 : PreservedAnalyses::all();
  }
  static bool isRequired() { return true; }
};

// Around the loop vectorizer, on ferment's own functions only: LLVM widens
// the runtime alias checks of an inner loop to the whole nest so that they
// are loop invariant (VectorizerParams::HoistRuntimeChecks), but when the
// outer loop's addresses step downwards, as in every reverse sweep of a loop
// nest, it adds a "stride is negative" term that makes the check fail on
// every entry: the vector body is never run. Per-entry checks (a few compares
// per outer iteration) let it run. The host's setting is restored after the
// vectorizer, so user functions keep it.
// LLVM's static option `Name` of value type `T`, found by name (nullptr when
// this LLVM has none): ferment changes some of them around its own
// pipelines and restores them after.
template <class T> static cl::opt<T> *hostOpt(StringRef Name) {
  auto &Opts = cl::getRegisteredOptions();
  auto It = Opts.find(Name);
  return It == Opts.end() ? nullptr : static_cast<cl::opt<T> *>(It->second);
}
// The host's setting, read before any function changed it (a function-local
// static: initialized once, also when LTO backends run in parallel threads;
// the LLVM flag itself is one global, so there such threads may see each
// other's choice, which only changes how loops are checked, never results).
static bool hoistSaved() {
  static const bool Saved = VectorizerParams::HoistRuntimeChecks;
  return Saved;
}
// Likewise, with -ferment-no-epilogue-vectorization, LoopVectorize's
// epilogue vectorization (its static option -enable-epilogue-vectorization,
// found by name): a vectorized loop of ferment's functions then gets only
// the scalar remainder. The second vector loop and its checks cost LLVM
// about as much to optimize and compile as the main one: lstm, gmm,
// cholesky and rk4_ckpt compile 5-18 points of overhead faster. Not the
// default: the vectorized epilogue is the only vector code that runs where
// a loop has 8-31 iterations (AVX-512, VF 8 interleaved 4); without it
// gmm_blas (d = 10) ran 10% slower, lstm (14 hidden units) 2.5%. A
// setting given on the command line is the user's and is left alone.
static cl::opt<bool> *epilogueOpt() {
  static cl::opt<bool> *const O = []() -> cl::opt<bool> * {
    cl::opt<bool> *E = hostOpt<bool>("enable-epilogue-vectorization");
    return E && E->getNumOccurrences() == 0 ? E : nullptr;
  }();
  return O;
}
static bool epilogueSaved() {
  static const bool Saved = epilogueOpt() ? bool(*epilogueOpt()) : true;
  return Saved;
}
static void setEpilogue(bool Want) {
  cl::opt<bool> *O = epilogueOpt();
  if (O && bool(*O) != Want)
    O->setValue(Want);
}
struct FermentChecksStartPass : PassInfoMixin<FermentChecksStartPass> {
  PreservedAnalyses run(Function &F, FunctionAnalysisManager &FAM) {
    // Loop metadata only: every analysis stays valid.
    if (F.getName().starts_with("ferment.")) {
      keepCheckedLoopsScalar(F, FAM);
      // After it: the loops it keeps scalar carry a hint and stay so.
      if (OptInterleaveNested)
        interleaveNestedOnce(F);
    }
    // Each function sets the value it needs, in case a pipeline runs this
    // pass without the end pass.
    bool Saved = hoistSaved();
    bool Ours = F.getName().starts_with("ferment.");
    bool Want = Saved && (OptHoistChecks || !Ours);
    if (VectorizerParams::HoistRuntimeChecks != Want)
      VectorizerParams::HoistRuntimeChecks = Want;
    setEpilogue(epilogueSaved() && !(Ours && OptNoEpilogueVectors));
    return PreservedAnalyses::all();
  }
  static bool isRequired() { return true; }
};
// Before the host's vectorizer, on ferment's functions: adjacent loops with
// the same iteration count fused (`fuse_loops.h`; a reverse sweep has one
// loop per primal loop, so two passes over the same shadow array).
struct FermentFuseLoopsPass : PassInfoMixin<FermentFuseLoopsPass> {
  PreservedAnalyses run(Function &F, FunctionAnalysisManager &) {
    if (OptNoFuseLoops || !F.getName().starts_with("ferment.") ||
        F.isDeclaration())
      return PreservedAnalyses::all();
    return ferment::fuseAdjacentLoops(F) ? PreservedAnalyses::none()
                                         : PreservedAnalyses::all();
  }
  static bool isRequired() { return true; }
};
struct FermentChecksEndPass : PassInfoMixin<FermentChecksEndPass> {
  PreservedAnalyses run(Function &, FunctionAnalysisManager &) {
    bool Saved = hoistSaved();
    if (VectorizerParams::HoistRuntimeChecks != Saved)
      VectorizerParams::HoistRuntimeChecks = Saved;
    setEpilogue(epilogueSaved());
    return PreservedAnalyses::all();
  }
  static bool isRequired() { return true; }
};

struct FermentPrinter : PassInfoMixin<FermentPrinter> {
  unsigned Which;
  bool All;
  FermentPrinter(unsigned W, bool A) : Which(W), All(A) {}
  PreservedAnalyses run(Module &M, ModuleAnalysisManager &) {
    ferment_rust_print(wrap(&M), Which, All ? 1 : 0);
    return PreservedAnalyses::all();
  }
  static bool isRequired() { return true; }
};

// Runs before any optimization: functions with a user-registered derivative
// (or declared inactive) must survive the inliner as calls, or the rule
// would never be seen.
struct FermentProtectPass : PassInfoMixin<FermentProtectPass> {
  PreservedAnalyses run(Module &M, ModuleAnalysisManager &) {
    bool Changed = false;
    auto Protect = [&](Function *F) {
      F->removeFnAttr(Attribute::AlwaysInline);
      F->addFnAttr(Attribute::NoInline);
      Changed = true;
    };
    for (GlobalVariable &G : M.globals()) {
      StringRef N = G.getName();
      // A Fortran variable `f__enzyme_...` of a module or program: flang
      // mangles it `_Q<scope>Ef__enzyme_...` (as enzyme_global_name in the
      // activity analysis reads it).
      size_t At = N.find("__enzyme_");
      if (N.starts_with("_Q") && At != StringRef::npos && N.take_front(At).contains('E'))
        N = N.drop_front(At);
      if (!N.starts_with("__enzyme_register_gradient") &&
          !N.starts_with("__enzyme_register_derivative") &&
          !N.starts_with("__enzyme_register_splitderivative") &&
          !N.starts_with("__enzyme_inactivefn") &&
          !N.starts_with("__enzyme_function_like"))
        continue;
      if (!G.hasInitializer())
        continue;
      Constant *Init = G.getInitializer();
      // A Fortran procedure pointer holds the function itself.
      if (auto *F = dyn_cast<Function>(Init->stripPointerCasts())) {
        if (!F->isDeclaration())
          Protect(F);
        continue;
      }
      for (unsigned I = 0, E = Init->getNumOperands(); I < E; ++I) {
        auto *F = dyn_cast<Function>(Init->getOperand(I)->stripPointerCasts());
        if (!F || F->isDeclaration())
          continue;
        Protect(F);
        // Only the first entry is the function the rule is about.
        break;
      }
    }
    Changed |= markListedInactive(M, /*Protect=*/true, /*Report=*/false);
    // CUDA's libdevice is linked after ferment (see README, GPU): until
    // then its math functions are bare declarations that LLVM must assume
    // write memory, so two loads of x[i] around a __nv_tanh(x[i]) are both
    // kept (and both taped). They are pure: say so.
    if (StringRef(M.getTargetTriple().str()).starts_with("nvptx")) {
      for (Function &F : M.functions()) {
        if (!F.isDeclaration() || !F.getName().starts_with("__nv_") ||
            F.getReturnType()->isPointerTy() || F.getReturnType()->isVoidTy() ||
            F.doesNotAccessMemory())
          continue;
        bool PointerArg = false;
        for (Argument &A : F.args())
          PointerArg |= A.getType()->isPointerTy();
        if (PointerArg)
          continue;
        F.setDoesNotAccessMemory();
        F.setDoesNotThrow();
        F.setWillReturn();
        Changed = true;
      }
    }
    // Enzyme's Fortran statement `call enzyme_function_like(f, enzyme_log1p)`.
    for (Function &Hook : M.functions()) {
      if (!Hook.isDeclaration() || !Hook.getName().contains("__enzyme_function_like"))
        continue;
      for (User *U : Hook.users()) {
        auto *Call = dyn_cast<CallInst>(U);
        if (!Call || Call->getCalledFunction() != &Hook || Call->arg_size() < 1)
          continue;
        auto *F = dyn_cast<Function>(Call->getArgOperand(0)->stripPointerCasts());
        if (F && !F->isDeclaration())
          Protect(F);
      }
    }
    // The same through `__attribute__((annotate("enzyme_...")))`.
    if (GlobalVariable *A = M.getGlobalVariable("llvm.global.annotations")) {
      auto *Arr = A->hasInitializer() ? dyn_cast<ConstantArray>(A->getInitializer()) : nullptr;
      for (unsigned I = 0, E = Arr ? Arr->getNumOperands() : 0; I < E; ++I) {
        auto *Entry = dyn_cast<ConstantStruct>(Arr->getOperand(I));
        if (!Entry || Entry->getNumOperands() < 2)
          continue;
        auto *F = dyn_cast<Function>(Entry->getOperand(0)->stripPointerCasts());
        auto *Str = dyn_cast<GlobalVariable>(Entry->getOperand(1)->stripPointerCasts());
        if (!F || F->isDeclaration() || !Str || !Str->hasInitializer())
          continue;
        auto *Data = dyn_cast<ConstantDataSequential>(Str->getInitializer());
        if (!Data || !Data->isString())
          continue;
        StringRef Note = Data->getAsString().split('\0').first;
        if (Note != "enzyme_inactive" && !Note.starts_with("enzyme_function_like"))
          continue;
        F->removeFnAttr(Attribute::AlwaysInline);
        F->addFnAttr(Attribute::NoInline);
        Changed = true;
      }
    }
    return Changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
  }
  static bool isRequired() { return true; }
};

bool parsePrinter(StringRef Name, ModulePassManager &MPM) {
  struct Kind {
    const char *Prefix;
    unsigned Which;
  } Kinds[] = {{"print<ferment-types", 0},
               {"print<enzyme-types", 0},
               {"print<ferment-activity", 1},
               {"print<enzyme-activity", 1}};
  for (const Kind &K : Kinds) {
    if (!Name.starts_with(K.Prefix))
      continue;
    StringRef Rest = Name.drop_front(std::strlen(K.Prefix));
    bool All = false;
    if (Rest == ">")
      All = false;
    else if (Rest == ";all>" || Rest == "<all>>")
      All = true;
    else
      return false;
    MPM.addPass(FermentPrinter(K.Which, All));
    return true;
  }
  return false;
}

void registerCallbacks(PassBuilder &PB) {
  PB.registerPipelineParsingCallback(
      [](StringRef Name, ModulePassManager &MPM,
         ArrayRef<PassBuilder::PipelineElement>) {
        if (Name == "enzyme" || Name == "ferment") {
          MPM.addPass(FermentPass(2));
          return true;
        }
        return parsePrinter(Name, MPM);
      });
  // Differentiate optimized code: after the simplification pipeline, before
  // vectorization. LLVM's -O0 pipeline runs this callback too.
  PB.registerOptimizerEarlyEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel L, ThinOrFullLTOPhase Phase) {
        if (OptBeforeOpt && L.getSpeedupLevel() > 0)
          return;
        bool Prelink = Phase == ThinOrFullLTOPhase::FullLTOPreLink ||
                       Phase == ThinOrFullLTOPhase::ThinLTOPreLink;
        MPM.addPass(FermentPass(L.getSpeedupLevel(), Prelink));
      });
  PB.registerVectorizerStartEPCallback(
      [](FunctionPassManager &FPM, OptimizationLevel) {
        FPM.addPass(FermentFuseLoopsPass());
        FPM.addPass(FermentChecksStartPass());
      });
  PB.registerVectorizerEndEPCallback(
      [](FunctionPassManager &FPM, OptimizationLevel) {
        FPM.addPass(FermentChecksEndPass());
        FPM.addPass(FermentLanesPass());
      });
  // Ablation: the same pass placed before any optimization.
  PB.registerPipelineStartEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel L) {
        MPM.addPass(FermentProtectPass());
        MPM.addPass(FermentRepairPass());
        if (OptBeforeOpt && L.getSpeedupLevel() > 0)
          MPM.addPass(FermentPass(0));
      });
  // Full LTO: requests whose code spans translation units.
  PB.registerFullLinkTimeOptimizationEarlyEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel L) {
        MPM.addPass(FermentPass(L.getSpeedupLevel()));
      });
}
} // namespace

extern "C" void ferment_register_pass_builder_callbacks(void *PB) {
  registerCallbacks(*static_cast<PassBuilder *>(PB));
}

// ---- helpers called from Rust -------------------------------------------------

static void dropOptimizationBlockers(Function &F) {
  F.removeFnAttr(Attribute::OptimizeNone);
  F.removeFnAttr(Attribute::NoInline);
  F.removeFnAttr(Attribute::AlwaysInline);
}

// A derivative writes shadow memory, allocates and frees its tape, and
// calls other derivatives: none of the primal's side-effect facts hold.
static void dropEffectFacts(Function &F) {
  for (Attribute::AttrKind K :
       {Attribute::Memory, Attribute::NoFree, Attribute::NoSync,
        Attribute::NoRecurse, Attribute::WillReturn, Attribute::Speculatable,
        Attribute::NoReturn, Attribute::ReturnsTwice, Attribute::Naked,
        Attribute::NoCallback, Attribute::NoDuplicate,
        Attribute::NoMerge})
    F.removeFnAttr(K);
}

// A private copy of `F` named `Name`, free of optnone/noinline.
// No debug variable records in ferment's copies (instruction locations
// stay, for diagnostics and line tables): a derivative needs none, and
// records carried through cloning, inlining and the moves between
// functions that build a derivative have left dangling references that
// crashed later passes (InstCombine in DbgRecord::getParent, -O2 -g, split
// mode; found by the fuzzer).
static void dropDebugVariableRecords(Function &F) {
  for (BasicBlock &BB : F)
    for (Instruction &I : BB)
      I.dropDbgRecords();
}

extern "C" LLVMValueRef ferment_clone_function(LLVMValueRef FV,
                                               const char *Name) {
  Function *F = unwrap<Function>(FV);
  ValueToValueMapTy VMap;
  Function *C = CloneFunction(F, VMap);
  C->setName(Name);
  C->setLinkage(GlobalValue::InternalLinkage);
  C->setVisibility(GlobalValue::DefaultVisibility);
  C->setComdat(nullptr);
  C->setDSOLocal(true);
  dropOptimizationBlockers(*C);
  dropEffectFacts(*C);
  dropDebugVariableRecords(*C);
  for (Argument &A : C->args()) {
    // Parameter facts such as readonly/captures(none) do not hold for the
    // derivative either.
    A.removeAttr(Attribute::ReadOnly);
    A.removeAttr(Attribute::ReadNone);
    A.removeAttr(Attribute::WriteOnly);
  }
  return wrap(C);
}

// A handle LLVM clears when its value is deleted (`WeakVH`, which does not
// follow replacements): a Rust cache that keys on values asks it whether a
// key still stands for the object it was made for, not for a new one at the
// freed address (`shim::Watched`).
extern "C" void *ferment_watch(LLVMValueRef V) { return new WeakVH(unwrap(V)); }

extern "C" int ferment_watched_alive(void *H) {
  Value *V = *static_cast<WeakVH *>(H);
  return V != nullptr;
}

extern "C" void ferment_unwatch(void *H) { delete static_cast<WeakVH *>(H); }

// Moves the body of `OldV` into a new function of type `FnTy` whose first
// parameters correspond one to one to the old ones. The old function is
// erased. Return instructions keep their old operands: the caller rewrites
// them immediately. Parameter and return attributes are dropped.
extern "C" void ferment_move_body(LLVMValueRef OldV, LLVMValueRef NewV) {
  Function *Old = unwrap<Function>(OldV);
  Function *New = unwrap<Function>(NewV);
  New->setAttributes(AttributeList::get(Old->getContext(),
                                        Old->getAttributes().getFnAttrs(),
                                        AttributeSet(), {}));
  dropOptimizationBlockers(*New);
  dropEffectFacts(*New);
  New->setLinkage(GlobalValue::InternalLinkage);
  New->setDSOLocal(true);
  if (Old->hasPersonalityFn())
    New->setPersonalityFn(Old->getPersonalityFn());
  ferment::moveBody(*Old, *New, Old->arg_size());
}

// Gives the module's library-function declarations the attributes LLVM
// infers for them at the start of its pipeline (`noalias` results of
// malloc/realloc, `allocsize`, `captures(none)` of free...): declarations
// ferment adds while generating derivatives come too late for that.
extern "C" unsigned ferment_infer_lib_attributes(LLVMModuleRef MRef) {
  Module *M = unwrap(MRef);
  TargetLibraryInfoImpl TLII(M->getTargetTriple());
  TargetLibraryInfo TLI(TLII);
  unsigned Changed = 0;
  for (Function &F : *M)
    if (F.isDeclaration() && !F.isIntrinsic())
      Changed += inferNonMandatoryLibFuncAttrs(F, TLI) ? 1 : 0;
  return Changed;
}

// Replaces every use of the global `GV` inside function `FV` by `NewV`,
// including uses inside constant expressions (which become instructions in
// `FV` first). Uses elsewhere in the module are untouched.
extern "C" void ferment_replace_global_in_function(LLVMValueRef GV,
                                                   LLVMValueRef NewV,
                                                   LLVMValueRef FV) {
  auto *G = unwrap<GlobalValue>(GV);
  auto *F = unwrap<Function>(FV);
  Value *New = unwrap(NewV);
  convertUsersOfConstantsToInstructions({G}, F, /*RemoveDeadConstants=*/false);
  G->replaceUsesWithIf(New, [F](Use &U) {
    auto *I = dyn_cast<Instruction>(U.getUser());
    return I && I->getFunction() == F;
  });
}

// Copies the function attributes of `From` (target-cpu, features...) to
// `To`, without optnone/noinline.
extern "C" void ferment_copy_fn_attributes(LLVMValueRef FromV,
                                           LLVMValueRef ToV) {
  Function *From = unwrap<Function>(FromV);
  Function *To = unwrap<Function>(ToV);
  To->setAttributes(AttributeList::get(From->getContext(),
                                       From->getAttributes().getFnAttrs(),
                                       AttributeSet(), {}));
  dropOptimizationBlockers(*To);
  dropEffectFacts(*To);
}

// Whether the definitions `AV` and `BV` compute the same thing: the same
// type, attributes and calling convention, and block for block,
// instruction for instruction, the same operation (opcode, types, flags,
// predicates, alignment, call attributes...), the same operands (their own
// arguments, blocks and instructions at the same places, anything else the
// very same value) and the same metadata nodes. Loop IDs (`llvm.loop`:
// optimization hints, distinct nodes in every function) and debug
// locations are not compared; names never are. Exact: no instruction is
// equal to one that may compute something else.
extern "C" int ferment_same_function(LLVMValueRef AV, LLVMValueRef BV) {
  Function *A = unwrap<Function>(AV), *B = unwrap<Function>(BV);
  if (A == B || A->isDeclaration() || B->isDeclaration() ||
      A->getFunctionType() != B->getFunctionType() ||
      A->getAttributes() != B->getAttributes() ||
      A->getCallingConv() != B->getCallingConv() || A->size() != B->size())
    return 0;
  DenseMap<const Value *, const Value *> Map;
  for (unsigned I = 0, E = A->arg_size(); I < E; ++I)
    Map[A->getArg(I)] = B->getArg(I);
  for (auto BA = A->begin(), BB = B->begin(); BA != A->end(); ++BA, ++BB) {
    if (BA->size() != BB->size())
      return 0;
    Map[&*BA] = &*BB;
    for (auto IA = BA->begin(), IB = BB->begin(); IA != BA->end(); ++IA, ++IB)
      Map[&*IA] = &*IB;
  }
  auto Same = [&](const Value *X, const Value *Y) {
    auto It = Map.find(X);
    return It == Map.end() ? X == Y : It->second == Y;
  };
  unsigned LoopKind = LLVMContext::MD_loop;
  for (auto BA = A->begin(), BB = B->begin(); BA != A->end(); ++BA, ++BB)
    for (auto IA = BA->begin(), IB = BB->begin(); IA != BA->end(); ++IA, ++IB) {
      const Instruction &X = *IA, &Y = *IB;
      if (!X.isSameOperationAs(&Y) ||
          X.getRawSubclassOptionalData() != Y.getRawSubclassOptionalData() ||
          X.getNumOperands() != Y.getNumOperands())
        return 0;
      for (unsigned K = 0, N = X.getNumOperands(); K < N; ++K)
        if (!Same(X.getOperand(K), Y.getOperand(K)))
          return 0;
      if (auto *P = dyn_cast<PHINode>(&X))
        for (unsigned K = 0, N = P->getNumIncomingValues(); K < N; ++K)
          if (!Same(P->getIncomingBlock(K), cast<PHINode>(Y).getIncomingBlock(K)))
            return 0;
      SmallVector<std::pair<unsigned, MDNode *>, 4> MX, MY;
      X.getAllMetadataOtherThanDebugLoc(MX);
      Y.getAllMetadataOtherThanDebugLoc(MY);
      llvm::erase_if(MX, [&](auto &KV) { return KV.first == LoopKind; });
      llvm::erase_if(MY, [&](auto &KV) { return KV.first == LoopKind; });
      if (MX != MY)
        return 0;
    }
  return 1;
}

// Takes `IV` out of its block and drops its operands, without freeing it: a
// handle to it kept as a key cannot meet a new instruction made at its
// address. `LLVMDeleteInstruction` frees it later.
extern "C" void ferment_detach(LLVMValueRef IV) {
  Instruction *I = unwrap<Instruction>(IV);
  I->removeFromParent();
  I->dropAllReferences();
}

// Ends the block at `IV` (erased with what follows it) with `unreachable`;
// the successors' phis forget the block.
extern "C" void ferment_change_to_unreachable(LLVMValueRef IV) {
  changeToUnreachable(unwrap<Instruction>(IV));
}

// The calls among `CV[0..N)` that may throw (made where `Orig` ended in an `invoke` that
// unwound to `Unwind`) become invokes unwinding to `Unwind`, each splitting
// its block after it. The landing pad's phis take, for each new predecessor,
// the value they took from `Orig`; if `Orig` no longer reaches `Unwind`,
// its entries go.
extern "C" void ferment_invoke_calls(LLVMValueRef *CV, unsigned N,
                                     LLVMBasicBlockRef OrigV,
                                     LLVMBasicBlockRef UnwindV) {
  BasicBlock *Orig = unwrap(OrigV), *Unwind = unwrap(UnwindV);
  std::vector<std::pair<PHINode *, Value *>> From;
  for (PHINode &P : Unwind->phis()) {
    int I = P.getBasicBlockIndex(Orig);
    From.push_back({&P, I < 0 ? nullptr : P.getIncomingValue(I)});
  }
  for (unsigned I = 0; I < N; I++) {
    auto *CI = dyn_cast<CallInst>(unwrap<Instruction>(CV[I]));
    if (!CI || CI->doesNotThrow() || isa<IntrinsicInst>(CI) || CI->isInlineAsm())
      continue;
    BasicBlock *BB = CI->getParent();
    changeToInvokeAndSplitBasicBlock(CI, Unwind);
    for (auto &[P, V] : From)
      if (V && P->getBasicBlockIndex(BB) < 0)
        P->addIncoming(V, BB);
  }
  if (!is_contained(successors(Orig), Unwind))
    for (auto &[P, V] : From)
      if (V && P->getBasicBlockIndex(Orig) >= 0)
        P->removeIncomingValue(Orig, /*DeletePHIIfEmpty=*/false);
}

// variadic.cpp
bool fermentReadsVarArgs(Function *G);
Function *fermentFixVariadicCall(CallBase &CB);

// Size of a callee that is inlined even past the budget.
static const unsigned TinyInsts = 40;

// Inlines calls to defined functions into `FV`, repeatedly (callees of
// callees), never re-entering a function already on the inline path
// (recursion stays a call). Once the function exceeds `MaxInsts`, only
// tiny callees are inlined. Returns the number of calls inlined.

extern "C" unsigned ferment_inline_calls(LLVMValueRef FV, unsigned MaxInsts,
                                        LLVMValueRef *Keep, unsigned NKeep) {
  Function *F = unwrap<Function>(FV);
  auto kept = [&](Function *G) {
    for (unsigned I = 0; I < NKeep; ++I)
      if (unwrap(Keep[I]) == G)
        return true;
    return false;
  };
  struct Item {
    CallBase *CB;
    int History;
  };
  std::vector<std::pair<Function *, int>> History; // (callee, parent)
  std::vector<Item> Work;
  for (BasicBlock &BB : *F)
    for (Instruction &I : BB)
      if (auto *CB = dyn_cast<CallBase>(&I))
        Work.push_back({CB, -1});
  auto onPath = [&](Function *Callee, int H) {
    while (H >= 0) {
      if (History[H].first == Callee)
        return true;
      H = History[H].second;
    }
    return false;
  };
  unsigned Count = 0;
  unsigned Size = F->getInstructionCount();
  while (!Work.empty()) {
    Item It = Work.back();
    Work.pop_back();
    Function *Callee = It.CB->getCalledFunction();
    if (!Callee || Callee->isDeclaration() || Callee == F)
      continue;
    // The context run time (context/runtime.c) stays a call, which the
    // generators reject inside differentiated code.
    if (Callee->getName().contains("__enzyme_") ||
        Callee->getName().starts_with("ferment.ctx.") || kept(Callee))
      continue;
    // A variadic callee that reads its `...` is inlined as its copy with
    // fixed parameters (variadic.cpp) where there is one; one that never
    // reads them (libstdc++'s `[](V &v, ...) { return v; }` in
    // std::visit) as itself: the arguments it ignores are dropped.
    if (Callee->isVarArg() && fermentReadsVarArgs(Callee)) {
      Callee = fermentFixVariadicCall(*It.CB);
      if (!Callee)
        continue;
    }
    if (onPath(Callee, It.History))
      continue;
    // Past the budget, only tiny callees are inlined (accessors, wrappers
    // of malloc, `derived()`-style casts: at -O0 C++ code is made of
    // them, and each left a call hides what a pointer points to), up to
    // twice the budget.
    unsigned CalleeSize = Callee->getInstructionCount();
    if (Size > MaxInsts && (Size > 2 * MaxInsts || CalleeSize > TinyInsts))
      continue;
    InlineFunctionInfo IFI;
    int H = (int)History.size();
    History.push_back({Callee, It.History});
    if (!InlineFunction(*It.CB, IFI).isSuccess())
      continue;
    Size += CalleeSize;
    ++Count;
    for (CallBase *NewCB : IFI.InlinedCallSites)
      Work.push_back({NewCB, H});
  }
  dropDebugVariableRecords(*F);
  return Count;
}

// FERMENT_TIME: the thread CPU seconds and runs of each pass of the inner
// pipelines (own time: a pass manager or adaptor is charged only what its
// passes do not account for), printed and cleared by
// ferment_print_inner_pass_times.
namespace {
bool timeInnerPasses() {
  static bool On = [] {
    const char *V = std::getenv("FERMENT_TIME");
    return (V && std::strcmp(V, "0") != 0) || OptTimeReport;
  }();
  return On;
}
double threadSeconds() {
  timespec T;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &T);
  return T.tv_sec + T.tv_nsec * 1e-9;
}
struct InnerPassTimes {
  std::map<std::string, std::pair<double, unsigned>> Own;
  // Open passes: start, and the time of the passes nested in it so far.
  std::vector<std::pair<double, double>> Open;
};
thread_local InnerPassTimes InnerTimes;
} // namespace

// -ferment-time-report: the Rust side's timers (timing.rs) turn on as
// with FERMENT_TIME=1.
extern "C" int ferment_time_report_option() { return OptTimeReport; }

extern "C" void ferment_print_inner_pass_times() {
  if (InnerTimes.Own.empty())
    return;
  std::vector<std::pair<double, std::string>> Rows;
  for (auto &E : InnerTimes.Own)
    Rows.push_back({E.second.first, E.first + " (" +
                                        std::to_string(E.second.second) + "x)"});
  std::sort(Rows.begin(), Rows.end(), std::greater<>());
  errs() << "ferment-time:   inner LLVM passes, own time:\n";
  for (auto &R : Rows)
    errs() << format("ferment-time:     %8.2f ms  ", R.first * 1e3) << R.second
           << "\n";
  InnerTimes.Own.clear();
}

// Runs a textual function pipeline (e.g. "sroa,instcombine") on one function.
// Returns 0 on success; on a parse error writes the message to `Err`.
extern "C" int ferment_run_function_pipeline(LLVMValueRef FV,
                                             const char *Pipeline, char *Err,
                                             size_t ErrLen) {
  Function *F = unwrap<Function>(FV);
  PassInstrumentationCallbacks PIC;
  if (timeInnerPasses()) {
    PIC.registerBeforeNonSkippedPassCallback([](StringRef, Any) {
      InnerTimes.Open.push_back({threadSeconds(), 0.0});
    });
    auto After = [](StringRef Name) {
      if (InnerTimes.Open.empty())
        return;
      auto [Start, Nested] = InnerTimes.Open.back();
      InnerTimes.Open.pop_back();
      double All = threadSeconds() - Start;
      if (!InnerTimes.Open.empty())
        InnerTimes.Open.back().second += All;
      auto &E = InnerTimes.Own[Name.str()];
      E.first += All - Nested;
      E.second += 1;
    };
    PIC.registerAfterPassCallback(
        [After](StringRef Name, Any, const PreservedAnalyses &) {
          After(Name);
        });
    PIC.registerAfterPassInvalidatedCallback(
        [After](StringRef Name, const PreservedAnalyses &) { After(Name); });
  }
  PassBuilder PB(nullptr, PipelineTuningOptions(), std::nullopt, &PIC);
  LoopAnalysisManager LAM;
  FunctionAnalysisManager FAM;
  CGSCCAnalysisManager CGAM;
  ModuleAnalysisManager MAM;
  PB.registerModuleAnalyses(MAM);
  PB.registerCGSCCAnalyses(CGAM);
  PB.registerFunctionAnalyses(FAM);
  PB.registerLoopAnalyses(LAM);
  PB.crossRegisterProxies(LAM, FAM, CGAM, MAM);
  FunctionPassManager FPM;
  if (Error E = PB.parsePassPipeline(FPM, Pipeline)) {
    std::string Msg = toString(std::move(E));
    if (ErrLen) {
      std::strncpy(Err, Msg.c_str(), ErrLen - 1);
      Err[ErrLen - 1] = 0;
    }
    return 1;
  }
  FPM.run(*F, FAM);
  return 0;
}

// The finite test of `reverse::origins_finite` (`(o - o) + ... == 0`) is a
// zero test by its form, but no adjoint's: it is unswitched on alone, first
// (see `ferment_unswitch_zero_adjoints`). Its recognisers are shared with
// `finite_version.cpp`, which builds one.
using ferment::isFiniteTest;
using ferment::isSelfDifferenceSum;
using ferment::isZeroTest;

// The instructions of the finite test `V` (its compare and the sum's
// self-differences, additions, conversions, lane extractions and the loop
// origins' flag made a double, `bitcast (sext F)`) that loop
// `L` holds, operands first, in `Out`; false where one of them uses a value
// `L` defines.
static bool finiteTestInLoop(Value *V, const Loop *L,
                             SmallSetVector<Instruction *, 16> &Out,
                             unsigned Depth = 0) {
  auto *I = dyn_cast<Instruction>(V);
  if (!I || !L->contains(I) || Out.contains(I))
    return true;
  if (Depth > 64)
    return false;
  switch (I->getOpcode()) {
  case Instruction::FCmp:
  case Instruction::FSub:
  case Instruction::FAdd:
  case Instruction::FPExt:
  case Instruction::FPTrunc:
  case Instruction::ExtractElement:
  case Instruction::BitCast: // the loop origins' flag as +0 or a NaN
  case Instruction::SExt:
    break;
  default:
    return false;
  }
  for (Value *O : I->operands())
    if (!finiteTestInLoop(O, L, Out, Depth + 1))
      return false;
  Out.insert(I);
  return true;
}

// Moves each finite test (`isFiniteTest`) that a loop computes from values
// defined outside it (the reverse sweep builds the test where the first
// guard needs it: in implicit, inside the inner reverse loops, of the bits
// the forward sweep gathered across the outer time loop; in thomas, inside
// the reverse loop) out of the outermost loop it is invariant in, to the
// end of the block that immediately dominates that loop's header (which
// every value defined outside the loop and used in it dominates), so that
// `hasInvariantZeroTest` sees the loops' selects on it as invariant and the
// loops are unswitched on it. The test is arithmetic and a compare, which
// may run anywhere: computing it once where it was computed per iteration
// changes no value. Returns how many tests it moved.
static unsigned hoistFiniteTests(Function &F) {
  FnLoops A(F);
  SmallVector<Instruction *, 8> Tests;
  for (BasicBlock &BB : F)
    if (A.LI.getLoopFor(&BB))
      for (Instruction &I : BB)
        if (isa<FCmpInst>(I) && isFiniteTest(&I))
          Tests.push_back(&I);
  unsigned Moved = 0;
  for (Instruction *I : Tests) {
    SmallVector<Loop *, 4> Nest;
    for (Loop *L = A.LI.getLoopFor(I->getParent()); L; L = L->getParentLoop())
      Nest.push_back(L);
    for (Loop *L : llvm::reverse(Nest)) {
      SmallSetVector<Instruction *, 16> Part;
      DomTreeNode *Up = A.DT.getNode(L->getHeader())->getIDom();
      if (!Up || !finiteTestInLoop(I, L, Part))
        continue;
      Instruction *Pos = Up->getBlock()->getTerminator();
      for (Instruction *J : Part)
        J->moveBefore(Pos->getIterator());
      ++Moved;
      break;
    }
  }
  return Moved;
}

// Whether some loop of F tests a value defined outside it against zero
// (`fcmp oeq|une X, 0.0`): the reverse sweep multiplies a partial by an
// adjoint as `A == 0 ? 0 : A * p`, so that test in a loop is an adjoint
// the loop's work scales and that may be zero on the whole loop. The test
// itself may already sit outside the loop (computed once where the adjoint
// is known, in the loop's preheader): a select or branch of the loop on it
// counts too (conv2d's reverse window loop, scaled by the ReLU's adjoint).
// `Finite` selects the tests counted: the finite tests (`isFiniteTest`)
// or the others.
static bool hasInvariantZeroTest(Function &F, bool Finite = false) {
  auto Counted = [&](Value *V) {
    return isZeroTest(V) && isFiniteTest(V) == Finite;
  };
  FnLoops A(F);
  for (Loop *L : A.LI.getLoopsInPreorder())
    for (BasicBlock *BB : L->blocks())
      for (Instruction &I : *BB) {
        if (auto *C = dyn_cast<FCmpInst>(&I)) {
          if (Counted(C) && L->isLoopInvariant(C->getOperand(0)))
            return true;
          continue;
        }
        Value *Cond = nullptr;
        if (auto *S = dyn_cast<SelectInst>(&I))
          Cond = S->getCondition();
        else if (auto *Br = dyn_cast<BranchInst>(&I))
          Cond = Br->isConditional() ? Br->getCondition() : nullptr;
        if (Cond && Counted(Cond) && L->isLoopInvariant(Cond))
          return true;
      }
  return false;
}

// How many more zero-test candidates than distinct zero tests the loop of
// F with the largest surplus holds in its own blocks (LLVM's candidates:
// every select and conditional branch on an invariant condition). LLVM's
// cost multiplier against exponential unswitching counts candidates, and
// the reverse of a window loop (conv2d: 18 partials, all scaled by one
// ReLU adjoint) has one select per partial on the same test: counted 18
// times, the loop was never unswitched, although unswitching on one
// condition copies the loop once.
static unsigned repeatedZeroTests(Function &F) {
  FnLoops A(F);
  LoopInfo &LI = A.LI;
  unsigned Most = 0;
  for (Loop *L : LI.getLoopsInPreorder()) {
    unsigned Uses = 0;
    SmallPtrSet<Value *, 8> Distinct;
    for (BasicBlock *BB : L->blocks()) {
      if (LI.getLoopFor(BB) != L)
        continue;
      for (Instruction &I : *BB) {
        Value *Cond = nullptr;
        if (auto *S = dyn_cast<SelectInst>(&I))
          Cond = S->getCondition();
        else if (auto *Br = dyn_cast<BranchInst>(&I))
          Cond = Br->isConditional() ? Br->getCondition() : nullptr;
        if (!Cond || !isZeroTest(Cond))
          continue;
        auto *C = cast<FCmpInst>(Cond);
        if (!L->isLoopInvariant(C) && !L->isLoopInvariant(C->getOperand(0)))
          continue;
        ++Uses;
        Distinct.insert(Cond);
      }
    }
    Most = std::max(Most, Uses - unsigned(Distinct.size()));
  }
  return Most;
}

// The function `ferment.hide.<type>`: LLVM knows nothing of its result but
// that computing it has no effects; [`unhideConditions`] makes it the
// identity again.
static FunctionCallee hideFunction(Module &M, Type *Ty) {
  std::string Name = "ferment.hide.";
  raw_string_ostream OS(Name);
  Ty->print(OS);
  auto *FT = FunctionType::get(Ty, {Ty}, false);
  FunctionCallee Fn = M.getOrInsertFunction(Name, FT);
  if (auto *Decl = dyn_cast<Function>(Fn.getCallee())) {
    Decl->setDoesNotAccessMemory();
    Decl->setDoesNotThrow();
    Decl->setWillReturn();
    Decl->setNoSync();
    Decl->setDoesNotFreeMemory();
  }
  return Fn;
}

using HiddenKey = std::pair<Value *, Loop *>;

// The zero tests spared from hiding: the finite tests alone
// (`SpareFiniteTests`, the first unswitching) or the others.
static bool SpareFiniteTests = false;
static bool spared(Value *V) {
  return isZeroTest(V) && isFiniteTest(V) == SpareFiniteTests;
}

// V, or where V is invariant in a loop around its use (once the pure
// computation of it is hoisted out, as LICM does) whose code size is larger
// than `Limit`, and no zero test, a stand-in that LLVM cannot see to
// be invariant in that loop nor in the loops around it: `P = phi [V,
// preheader], [hide(P), latch]` in the header of the innermost such loop
// (a header phi `[V], [P]` the loop passes fold back to V). P is V on every
// iteration once `hide` is the identity again. Loops inside it, of a size
// up to `Limit`, may still be unswitched on V. Logical and/or trees
// inside the loop get their invariant leaves replaced likewise (LLVM
// unswitches on a part of such a condition).
static Value *hideInvariant(Value *V, Loop *Inner, unsigned Limit,
                            const DenseMap<Loop *, unsigned> &Size,
                            DenseMap<HiddenKey, PHINode *> &Made,
                            unsigned Depth = 0) {
  if (isa<Constant>(V) || spared(V))
    return V;
  Loop *L = Inner;
  while (L && Size.lookup(L) <= Limit)
    L = L->getParentLoop();
  bool Hoisted = false;
  if (L && L->makeLoopInvariant(V, Hoisted)) {
    if (spared(V))
      return V;
    BasicBlock *H = L->getHeader(), *Pre = L->getLoopPreheader(),
               *Latch = L->getLoopLatch();
    if (!Pre || !Latch || pred_size(H) != 2)
      return V;
    PHINode *&P = Made[{V, L}];
    if (!P) {
      P = PHINode::Create(V->getType(), 2, "", H->begin());
      auto *C = CallInst::Create(hideFunction(*H->getModule(), V->getType()),
                                 {P}, "", Latch->getTerminator()->getIterator());
      P->addIncoming(V, Pre);
      P->addIncoming(C, Latch);
    }
    return P;
  }
  using namespace PatternMatch;
  auto *I = dyn_cast<Instruction>(V);
  if (!I || Depth > 4 || !Inner->contains(I) ||
      !(match(I, m_LogicalAnd()) || match(I, m_LogicalOr())))
    return V;
  for (unsigned K = 0; K < I->getNumOperands(); ++K) {
    Value *Op = I->getOperand(K);
    Value *H = hideInvariant(Op, Inner, Limit, Size, Made, Depth + 1);
    if (H != Op)
      I->setOperand(K, H);
  }
  return V;
}

// Hides from loop unswitching every loop-invariant condition of a branch,
// switch or select that is not a zero test, in loops whose code size is
// above `Limit` (twice LLVM's own `-unswitch-threshold`, which applies to
// the part of a loop that unswitching copies, less than the whole loop
// measured here; see `hideInvariant`): the raised threshold below is for
// zero adjoints only. Unswitched on the other
// conditions (a forward loop's `n > 0` guards of its inner loops), whole
// loop nests were copied once per combination: up to 4 copies of a forward
// sweep, which the host then optimized and compiled.
static void hideOtherInvariantConditions(Function &F, unsigned Limit) {
  FnLoops A(F);
  for (Loop *L : A.LI) // preheaders and single latches (the pipeline's form)
    simplifyLoop(L, &A.DT, &A.LI, nullptr, nullptr, nullptr, false);
  // Code size as the unswitching measures it (the pipeline has no target:
  // the default cost model)
  TargetTransformInfo TTI(F.getDataLayout());
  DenseMap<Loop *, unsigned> Size;
  for (Loop *L : A.LI.getLoopsInPreorder()) {
    InstructionCost N = 0;
    for (BasicBlock *BB : L->blocks())
      for (Instruction &I : *BB)
        N += TTI.getInstructionCost(&I, TargetTransformInfo::TCK_CodeSize);
    Size[L] = N.isValid() ? unsigned(std::min<int64_t>(N.getValue(), 1 << 30))
                          : 1u << 30;
  }
  // A branch into the preheader of a loop nested in the branch's own loop:
  // an inner loop's guard (`n > 0`). Unswitched on it, the outer loop is
  // copied once with and once without the inner loop, to save one
  // predictable branch per outer iteration (the host's -O2 pipeline does
  // not unswitch such a guard): hidden whatever the loop's size.
  auto GuardsInner = [&](const BranchInst *Br, const Loop *L) {
    for (const BasicBlock *S : Br->successors())
      if (const Loop *M = A.LI.getLoopFor(S->getSingleSuccessor()
                                            ? S->getSingleSuccessor()
                                            : S))
        if (M != L && L->contains(M) && M->getLoopPreheader() == S)
          return true;
    return false;
  };
  DenseMap<HiddenKey, PHINode *> Made;
  for (BasicBlock &BB : F) {
    Loop *L = A.LI.getLoopFor(&BB);
    if (!L)
      continue;
    auto Hide = [&](Value *V) {
      return hideInvariant(V, L, Limit, Size, Made);
    };
    for (Instruction &I : BB)
      if (auto *S = dyn_cast<SelectInst>(&I))
        if (S->getCondition()->getType()->isIntegerTy(1) &&
            !S->getType()->isIntegerTy(1))
          S->setCondition(Hide(S->getCondition()));
    if (auto *Br = dyn_cast<BranchInst>(BB.getTerminator())) {
      if (Br->isConditional())
        Br->setCondition(!OptUnswitchLoopGuards && GuardsInner(Br, L)
                             ? hideInvariant(Br->getCondition(), L, 0, Size,
                                             Made)
                             : Hide(Br->getCondition()));
    } else if (auto *Sw = dyn_cast<SwitchInst>(BB.getTerminator())) {
      Sw->setCondition(Hide(Sw->getCondition()));
    }
  }
}

// Undoes `hideOtherInvariantConditions` (also in the loop copies the
// unswitching made): each `hide(P)` becomes P, and each phi left as
// `[V], [itself]...` becomes V.
static void unhideConditions(Function &F) {
  SmallVector<Function *, 4> Decls;
  for (Function &D : F.getParent()->functions())
    if (D.isDeclaration() && D.getName().starts_with("ferment.hide."))
      Decls.push_back(&D);
  SmallSetVector<PHINode *, 16> Phis;
  for (Function *D : Decls) {
    for (User *U : make_early_inc_range(D->users())) {
      auto *C = dyn_cast<CallInst>(U);
      if (!C || C->getFunction() != &F)
        continue;
      Value *P = C->getArgOperand(0);
      C->replaceAllUsesWith(P);
      C->eraseFromParent();
      if (auto *Phi = dyn_cast<PHINode>(P))
        Phis.insert(Phi);
    }
    if (D->use_empty())
      D->eraseFromParent();
  }
  for (PHINode *P : Phis) {
    Value *Common = nullptr;
    bool One = true;
    for (Value *In : P->incoming_values()) {
      if (In == P || In == Common)
        continue;
      One = !Common;
      Common = In;
    }
    if (One && Common) {
      P->replaceAllUsesWith(Common);
      P->eraseFromParent();
    }
  }
}

static int unswitchOn(LLVMValueRef FV, const char *Pipeline, int Threshold,
                      bool Finite, char *Err, size_t ErrLen);

static StringRef loopAttrName(const Metadata *Op);
static SmallVector<Metadata *, 4> loopIdOps(Loop *L);
static void setLoopIdOps(Loop *L, ArrayRef<Metadata *> Ops);
static void keepLoopRolled(Loop *L);

// The side of a branch on the finite test (`isFiniteTest`, seen through
// the freezes the unswitching adds) where the test fails: some stored
// quotient's origin is not finite. Null where Br is no such branch.
static BasicBlock *nonfiniteSide(BranchInst *Br) {
  if (!Br->isConditional())
    return nullptr;
  Value *Cond = Br->getCondition();
  while (auto *Fr = dyn_cast<FreezeInst>(Cond))
    Cond = Fr->getOperand(0);
  if (!isZeroTest(Cond))
    return nullptr;
  auto *C = cast<FCmpInst>(Cond);
  Value *Sum = C->getOperand(0);
  while (auto *Fr = dyn_cast<FreezeInst>(Sum))
    Sum = Fr->getOperand(0);
  if (!isSelfDifferenceSum(Sum))
    return nullptr;
  // `oeq` holds where every origin is finite; `une` where one is not.
  return Br->getSuccessor(C->getPredicate() == FCmpInst::FCMP_OEQ ? 1 : 0);
}

// After the unswitching on the finite test: the loops of the copy that runs
// where the test fails (an infinite or NaN origin of a stored quotient,
// which a well-posed input never has) stay rolled scalar loops. The host
// otherwise vectorized, interleaved and runtime-unrolled both copies alike:
// ode's derivative held two reverse sweeps of 16 vectorized loops each,
// 777 and 857 optimized instructions (478 rolled; the derivative 2661 ->
// 2257), for one that runs. The copy where the test holds is left as it
// was. Returns how many loops it marked.
static unsigned keepNonfiniteCopiesRolled(Function &F) {
  if (OptVectorizeNonfiniteCopies)
    return 0;
  FnLoops A(F);
  // The loops that only the edges into the failing side reach.
  SmallVector<BasicBlockEdge, 4> Sides;
  for (BasicBlock &BB : F)
    if (auto *Br = dyn_cast<BranchInst>(BB.getTerminator()))
      if (BasicBlock *S = nonfiniteSide(Br))
        Sides.push_back({&BB, S});
  unsigned Marked = 0;
  for (Loop *L : A.LI.getLoopsInPreorder()) {
    if (!L->getLoopLatch() ||
        llvm::none_of(Sides, [&](const BasicBlockEdge &E) {
          return A.DT.dominates(E, L->getHeader());
        }))
      continue;
    keepLoopRolled(L);
    ++Marked;
  }
  return Marked;
}

// Derivative loops whose work an invariant adjoint scales (a reverse loop
// fed by the adjoint of a `min`/`max` selection: zero for every candidate
// but the chosen one) are unswitched on that adjoint's zero test: on the
// zero side each accumulation adds zero, which the pipeline after it folds
// away with the loop, so the reverse sweep skips the loop. LLVM's
// non-trivial unswitching stops at a loop cost of `-unswitch-threshold`
// (50), which a reverse loop over an unrolled primal loop exceeds: the
// threshold is raised to `Threshold` (unless already higher) while
// `Pipeline` runs on F, and restored after. Returns -1 when nothing ran
// (also under `-ferment-no-guard-zero`), else the pipeline's status.
//
// First, where a loop holds the run-time test that the stored quotients
// are finite (`isFiniteTest`), the loops are unswitched on that test alone
// (every other condition hidden in every loop): one copy of the reverse
// loops with the plain products, one with the guarded ones, as where the
// loads counted as finite, whose unswitching (and the raised threshold's)
// it leaves unchanged otherwise. The guarded copy, which runs only where a
// stored quotient is not finite, stays rolled and scalar
// (`keepNonfiniteCopiesRolled`).
extern "C" int ferment_unswitch_zero_adjoints(LLVMValueRef FV,
                                              const char *Pipeline,
                                              int Threshold, char *Err,
                                              size_t ErrLen) {
  Function *F = unwrap<Function>(FV);
  if (OptNoGuardZero)
    return -1;
  hoistFiniteTests(*F);
  bool Finite = hasInvariantZeroTest(*F, true);
  if (Finite) {
    int R = unswitchOn(FV, Pipeline, Threshold, true, Err, ErrLen);
    if (R != 0)
      return R;
  }
  // After both rounds: the second copies loops too (and ode's reverse
  // sweep had its two copies only after both).
  int R = hasInvariantZeroTest(*F)
              ? unswitchOn(FV, Pipeline, Threshold, false, Err, ErrLen)
              : -1;
  if (Finite && R <= 0)
    keepNonfiniteCopiesRolled(*F);
  return R;
}

// `ferment_unswitch_zero_adjoints` on the finite tests alone (`Finite`) or
// on the adjoints' zero tests.
static int unswitchOn(LLVMValueRef FV, const char *Pipeline, int Threshold,
                      bool Finite, char *Err, size_t ErrLen) {
  Function *F = unwrap<Function>(FV);
  cl::opt<int> *T = hostOpt<int>("unswitch-threshold");
  int Old = T ? T->getValue() : 0;
  if (T && Old < Threshold)
    T->setValue(Threshold);
  // Candidates repeating one zero test count once against LLVM's cost
  // multiplier (see `repeatedZeroTests`).
  cl::opt<int> *U = hostOpt<int>("unswitch-num-initial-unscaled-candidates");
  int OldUnscaled = U ? U->getValue() : 0;
  if (U)
    U->setValue(OldUnscaled + int(repeatedZeroTests(*F)));
  SpareFiniteTests = Finite;
  if (Finite)
    hideOtherInvariantConditions(*F, 0);
  else if (!OptUnswitchAll)
    hideOtherInvariantConditions(*F, 2 * (T ? std::max(Old, 0) : 50));
  SpareFiniteTests = false;
  int R = ferment_run_function_pipeline(FV, Pipeline, Err, ErrLen);
  unhideConditions(*F);
  if (T)
    T->setValue(Old);
  if (U)
    U->setValue(OldUnscaled);
  return R;
}

// A zero constant (either sign; a vector of them).
static bool isZeroFP(Value *V) {
  auto *C = dyn_cast<Constant>(V);
  return C && C->getType()->isFPOrFPVectorTy() && C->isZeroValue();
}

// `rules::guarded` emits `select(D == 0, 0, P)` (instcombine may write it
// `select(D != 0, P, 0)`): the guard's zero test of `D` and its product P.
static bool guardParts(SelectInst *S, FCmpInst *&Test, Value *&P) {
  auto *C = dyn_cast<FCmpInst>(S->getCondition());
  if (!C || !isZeroTest(C))
    return false;
  bool Eq = C->getPredicate() == FCmpInst::FCMP_OEQ;
  Value *Zero = Eq ? S->getTrueValue() : S->getFalseValue();
  if (!isZeroFP(Zero))
    return false;
  Test = C;
  P = Eq ? S->getFalseValue() : S->getTrueValue();
  return true;
}

// A condition `Cond` on whose lanes (where it is `WhenTrue`) the adjoint D
// is zero, and zero only because the chain of guarded products that
// computed it started from a zero there: D is a guard `select(Cond, 0, P)`
// (or `select(!Cond, P, 0)`) of `rules::guarded`, one that
// `ferment_share_guard_tests` rewrote (in `Shared`), a selection
// `select(Cond, k, 0)` of a nonzero finite constant `k` (a branch's adjoint
// on the path the primal did not take), or such a value negated, scaled by
// a finite constant, or a sum of two with the same condition. `Exact`: D is
// zero exactly where `Cond` is `WhenTrue` (a selection of a constant,
// negated, scaled or added to another, whose value elsewhere, `Elsewhere`, is a
// nonzero finite constant), so that testing `Cond` instead of D changes
// nothing, whoever built the guard.
struct ZeroRoot {
  Value *Cond = nullptr;
  bool WhenTrue = true;
  std::optional<APFloat> Elsewhere;
  bool operator==(const ZeroRoot &O) const {
    return Cond == O.Cond && WhenTrue == O.WhenTrue;
  }
  bool exact() const {
    return Elsewhere && Elsewhere->isFiniteNonZero();
  }
};

static ConstantFP *splatFP(Value *V) {
  if (auto *C = dyn_cast<ConstantFP>(V))
    return C;
  auto *K = dyn_cast<Constant>(V);
  return K ? dyn_cast_or_null<ConstantFP>(K->getSplatValue()) : nullptr;
}

static ZeroRoot zeroRoot(Value *D, const SmallPtrSetImpl<Value *> &Shared,
                         unsigned Depth = 0) {
  auto *I = dyn_cast<Instruction>(D);
  if (!I || Depth > 6)
    return {};
  if (auto *S = dyn_cast<SelectInst>(I)) {
    auto NonzeroFinite = [](Value *V) {
      ConstantFP *C = splatFP(V);
      return C && C->getValueAPF().isFinite() && !C->isZero() ? C : nullptr;
    };
    FCmpInst *Test;
    Value *P;
    if (guardParts(S, Test, P)) {
      ConstantFP *K = NonzeroFinite(P);
      return {S->getCondition(), Test->getPredicate() == FCmpInst::FCMP_OEQ,
              K ? std::optional<APFloat>(K->getValueAPF()) : std::nullopt};
    }
    bool ZeroTrue = isZeroFP(S->getTrueValue()),
         ZeroFalse = isZeroFP(S->getFalseValue());
    if (Shared.count(S) && ZeroTrue != ZeroFalse)
      return {S->getCondition(), ZeroTrue, std::nullopt};
    if (ConstantFP *K = NonzeroFinite(S->getTrueValue()); ZeroFalse && K)
      return {S->getCondition(), false, K->getValueAPF()};
    if (ConstantFP *K = NonzeroFinite(S->getFalseValue()); ZeroTrue && K)
      return {S->getCondition(), true, K->getValueAPF()};
    return {};
  }
  switch (I->getOpcode()) {
  case Instruction::FNeg: {
    ZeroRoot R = zeroRoot(I->getOperand(0), Shared, Depth + 1);
    if (R.Elsewhere)
      R.Elsewhere->changeSign();
    return R;
  }
  case Instruction::FMul:
    for (unsigned K = 0; K < 2; ++K)
      if (ConstantFP *C = splatFP(I->getOperand(1 - K));
          C && C->getValueAPF().isFinite()) {
        ZeroRoot R = zeroRoot(I->getOperand(K), Shared, Depth + 1);
        if (R.Elsewhere)
          R.Elsewhere->multiply(C->getValueAPF(), APFloat::rmNearestTiesToEven);
        return R;
      }
    return {};
  case Instruction::FAdd:
  case Instruction::FSub: {
    ZeroRoot A = zeroRoot(I->getOperand(0), Shared, Depth + 1);
    ZeroRoot B = zeroRoot(I->getOperand(1), Shared, Depth + 1);
    if (!A.Cond || !(A == B))
      return {};
    if (A.Elsewhere && B.Elsewhere) {
      if (I->getOpcode() == Instruction::FAdd)
        A.Elsewhere->add(*B.Elsewhere, APFloat::rmNearestTiesToEven);
      else
        A.Elsewhere->subtract(*B.Elsewhere, APFloat::rmNearestTiesToEven);
    } else {
      A.Elsewhere.reset();
    }
    return A;
  }
  default:
    return {};
  }
}

// V's value on the lanes where the root R does not hold, without the
// selects on R's condition that zero it on R's lanes: `select(R, 0, X)`
// (or `select(R, k, 0)` of a constant) gives its other arm, and negations,
// products and sums of such values are rebuilt (new instructions before
// `Before`). V itself where nothing changes.
static Value *withoutRoot(Value *V, const ZeroRoot &R, Instruction *Before,
                          unsigned Depth = 0) {
  auto *I = dyn_cast<Instruction>(V);
  if (!I || Depth > 4)
    return V;
  if (auto *S = dyn_cast<SelectInst>(I)) {
    if (S->getCondition() != R.Cond)
      return V;
    Value *Zero = R.WhenTrue ? S->getTrueValue() : S->getFalseValue();
    return isZeroFP(Zero) ? (R.WhenTrue ? S->getFalseValue()
                                        : S->getTrueValue())
                          : V;
  }
  if (!I->getType()->isFPOrFPVectorTy() ||
      !(I->getOpcode() == Instruction::FNeg ||
        I->getOpcode() == Instruction::FMul ||
        I->getOpcode() == Instruction::FAdd ||
        I->getOpcode() == Instruction::FSub))
    return V;
  SmallVector<Value *, 2> Ops;
  bool Changed = false;
  for (Value *Op : I->operands()) {
    Value *W = withoutRoot(Op, R, Before, Depth + 1);
    Changed |= W != Op;
    Ops.push_back(W);
  }
  if (!Changed)
    return V;
  Instruction *C = I->clone();
  for (unsigned K = 0; K < Ops.size(); ++K)
    C->setOperand(K, Ops[K]);
  C->insertBefore(Before->getIterator());
  return C;
}

// Guards of a chain of products share the chain's first test. Each product
// of the reverse sweep of values a select may discard is guarded on its own
// adjoint (`rules::guarded`): `d1 = d0 == 0 ? 0 : p1 d0`, then
// `d2 = d1 == 0 ? 0 : p2 d1`, ... one compare and one select per partial
// (springs: 10 compares and 14 selects per vector iteration of the reverse
// pair loop). Where the adjoint D a guard tests is zero on the lanes of a
// condition R of a guard or branch selection earlier in its chain
// (`zeroRoot`), the guard tests R instead, and its product reads the
// chain's values without the selects on R (on the lanes where R does not
// hold they are the same). On R's lanes the result is zero as before: a
// partial of a discarded value never meets the zero adjoint. Elsewhere the
// chain's root adjoint is not zero, the value was not discarded, and the
// product is the chain rule's (a zero that a partial, not a select, made on
// the way meets the next partial as it does outside discardable values).
// A guard whose root is exact (`ZeroRoot::exact`: its adjoint is
// `select(c, k, 0)` of a nonzero constant, negated or scaled) shares
// whoever built it: the new test is the old one, rewritten. Where the root
// is a guard, only guards marked `!ferment.guard.shares`
// (`rules::may_share_test`) share: the others' adjoint may be a zero that a
// partial made, and their partial infinite right there (`atan(c / z)` at
// `z = 0`: `atan'` is 0 at the infinite quotient, whose partial `-c / z^2` is
// infinite), or they are not the reverse sweep's guards at all (sqrt's
// partial `t == 0 ? 0 : 0.5 / sqrt(t)` of a user's `t = a == 0 ? 0 : a * b`).
// LLVM drops metadata it does not know where it merges or rebuilds
// instructions (GVN's merge of two equal guards, instcombine's
// `select(t, 0, a) + select(t, 0, b)` -> `select(t, 0, a + b)`): such a guard
// keeps its own test, which costs a compare, never a NaN.
// Returns how many guards were rewritten.
extern "C" unsigned ferment_share_guard_tests(LLVMValueRef FV) {
  Function *F = unwrap<Function>(FV);
  if (OptNoShareGuards)
    return 0;
  unsigned N = 0;
  unsigned SharesTest = F->getContext().getMDKindID("ferment.guard.shares");
  SmallPtrSet<Value *, 16> Shared;
  auto Forget = [&](Value *V) { Shared.erase(V); };
  ReversePostOrderTraversal<Function *> RPO(F);
  for (BasicBlock *BB : RPO)
    for (Instruction &I : make_early_inc_range(*BB)) {
      auto *S = dyn_cast<SelectInst>(&I);
      FCmpInst *Test;
      Value *P;
      if (!S || !guardParts(S, Test, P))
        continue;
      ZeroRoot R = zeroRoot(Test->getOperand(0), Shared);
      if (!R.Cond || R.Cond == Test ||
          R.Cond->getType() != S->getCondition()->getType() ||
          !(R.exact() || S->getMetadata(SharesTest)))
        continue;
      Value *NewP = withoutRoot(P, R, S);
      Value *Zero = ConstantFP::getZero(S->getType());
      auto *G = SelectInst::Create(R.Cond, R.WhenTrue ? Zero : NewP,
                                   R.WhenTrue ? NewP : Zero, "",
                                   S->getIterator());
      G->setDebugLoc(S->getDebugLoc());
      S->replaceAllUsesWith(G);
      G->takeName(S);
      Shared.insert(G);
      RecursivelyDeleteTriviallyDeadInstructions(S, nullptr, nullptr, Forget);
      ++N;
    }
  return N;
}

// Drops the `!ferment.guard.shares` marks of `rules::may_share_test` (read
// only by `ferment_share_guard_tests`), so that they do not reach the output.
extern "C" void ferment_drop_guard_marks(LLVMValueRef FV) {
  Function *F = unwrap<Function>(FV);
  unsigned SharesTest = F->getContext().getMDKindID("ferment.guard.shares");
  for (BasicBlock &BB : *F)
    for (Instruction &I : BB)
      if (I.hasMetadataOtherThanDebugLoc())
        I.setMetadata(SharesTest, nullptr);
}

// Moves every simple store down its block, past the instructions after it
// that neither touch memory nor may have side effects or trap, keeping the
// order of all memory operations. Returns how many stores moved.
//
// Why: a reverse loop adds an adjoint into shadow memory and only then
// computes the adjoint it carries to the next iteration. The vectorizer
// accepts such a carried value (a first-order recurrence) only when its
// users can come after the value that feeds it, and a store cannot be
// moved there by the vectorizer itself.
extern "C" unsigned ferment_sink_stores(LLVMValueRef FV) {
  Function *F = unwrap<Function>(FV);
  unsigned Moved = 0;
  for (BasicBlock &BB : *F) {
    Instruction *Barrier = BB.getTerminator();
    if (!Barrier)
      continue;
    for (Instruction *I = Barrier->getPrevNode(); I;) {
      Instruction *Prev = I->getPrevNode();
      auto *S = dyn_cast<StoreInst>(I);
      if (S && S->isSimple()) {
        if (S->getNextNode() != Barrier) {
          S->moveBefore(Barrier->getIterator());
          ++Moved;
        }
        Barrier = S;
      } else if (I->mayReadOrWriteMemory() || I->mayHaveSideEffects() ||
                 isa<PHINode>(I) || !isSafeToSpeculativelyExecute(I)) {
        Barrier = I;
      }
      I = Prev;
    }
  }
  return Moved;
}

// libm functions that code generation emits as instructions (float and
// long double variants too).
static bool loweredInline(StringRef Name) {
  if ((Name.ends_with("f") || Name.ends_with("l")) && Name != "ceil")
    Name = Name.drop_back();
  return Name == "sqrt" || Name == "fabs" || Name == "fmin" || Name == "fmax" ||
         Name == "floor" || Name == "ceil" || Name == "trunc" || Name == "round" ||
         Name == "rint" || Name == "nearbyint" || Name == "copysign";
}

// A call that code generation emits as a call: to a library function, or
// to an intrinsic lowered to one (llvm.exp, llvm.pow, ...; `frem` is a call
// of fmod). The host's unroller counts such an intrinsic as cheap, so a
// scalar loop around `exp(x[i])` is copied 2-8 times behind a remainder
// loop, although the call (tens of cycles) hides the loop overhead that
// unrolling saves.
static bool callsLibrary(const BasicBlock *BB) {
  for (const Instruction &I : *BB) {
    if (I.getOpcode() == Instruction::FRem)
      return true;
    auto *CB = dyn_cast<CallBase>(&I);
    if (!CB)
      continue;
    const Function *Callee = CB->getCalledFunction();
    if (!Callee || !Callee->isIntrinsic()) {
      // Only a library's (the unroller counts sin, pow... as cheap; it
      // leaves loops with other calls alone anyway), not one that becomes
      // an instruction (sqrt under -fmath-errno: sqrtsd, the call only on
      // a negative operand).
      if (Callee && Callee->isDeclaration() && !loweredInline(Callee->getName()))
        return true;
      continue;
    }
    switch (Callee->getIntrinsicID()) {
    case Intrinsic::exp:
    case Intrinsic::exp2:
    case Intrinsic::exp10:
    case Intrinsic::log:
    case Intrinsic::log2:
    case Intrinsic::log10:
    case Intrinsic::pow:
    case Intrinsic::powi:
    case Intrinsic::sin:
    case Intrinsic::cos:
    case Intrinsic::sincos:
    case Intrinsic::tan:
    case Intrinsic::asin:
    case Intrinsic::acos:
    case Intrinsic::atan:
    case Intrinsic::atan2:
    case Intrinsic::sinh:
    case Intrinsic::cosh:
    case Intrinsic::tanh:
    case Intrinsic::ldexp:
    case Intrinsic::frexp:
    case Intrinsic::modf:
      return true;
    default:
      break;
    }
  }
  return false;
}

// Whether loop L carries a floating-point sum in source order: a header phi
// whose value from the latch is an `fadd`/`fsub`/`fmuladd`/`fma` of that phi
// without `reassoc` (which the vectorizer leaves scalar). The iterations then
// form one chain of additions that runtime unrolling does not shorten.
static bool carriesOrderedSum(const Loop *L) {
  const BasicBlock *Latch = L->getLoopLatch();
  for (const PHINode &P : L->getHeader()->phis()) {
    if (!P.getType()->isFloatingPointTy() || P.getBasicBlockIndex(Latch) < 0)
      continue;
    auto *U = dyn_cast<Instruction>(P.getIncomingValueForBlock(Latch));
    if (!U || !L->contains(U) || U->hasAllowReassoc())
      continue;
    bool Sum = false;
    if (U->getOpcode() == Instruction::FAdd || U->getOpcode() == Instruction::FSub)
      Sum = U->getOperand(0) == &P || U->getOperand(1) == &P;
    else if (auto *II = dyn_cast<IntrinsicInst>(U))
      Sum = (II->getIntrinsicID() == Intrinsic::fmuladd ||
             II->getIntrinsicID() == Intrinsic::fma) &&
            II->getArgOperand(2) == &P;
    if (Sum)
      return true;
  }
  return false;
}

// Whether L is the only loop inside its parent and the parent holds at most
// 64 instructions (L's included): a parent the host can runtime-unroll once L
// stays rolled. A larger parent stays rolled too (gmm's `sqnorm` sum of d = 10
// terms inside the loop over clusters lost its unrolling for nothing).
static bool smallParent(const Loop *L) {
  const Loop *P = L->getParentLoop();
  if (!P || P->getSubLoops().size() != 1)
    return false;
  unsigned Size = 0;
  for (const BasicBlock *BB : P->blocks())
    Size += BB->sizeWithoutDebug();
  return Size <= 64;
}

// Whether L's trip count changes with the iterations of a loop around it (its
// backedge-taken count is a recurrence of an enclosing loop): a triangular
// nest such as a triangular solve's or a factorization's `for k < i`, whose
// inner loop runs up to the full size, not the short sum of the same few
// terms that keeping an ordered sum rolled is for. Runtime-unrolled by 8 as
// in the primal, trisolve's forward substitutions ran ~10% faster (the same
// chain of additions, less loop overhead per term) and cholesky's gradient
// 3%. A count SCEV cannot compute is taken as invariant.
static bool tripCountVaries(ScalarEvolution &SE, const Loop *L) {
  const SCEV *Btc = SE.getBackedgeTakenCount(L);
  if (isa<SCEVCouldNotCompute>(Btc))
    return false;
  return SCEVExprContains(Btc, [&](const SCEV *S) {
    auto *AR = dyn_cast<SCEVAddRecExpr>(S);
    return AR && AR->getLoop() != L && AR->getLoop()->contains(L);
  });
}

// The name of a loop-ID operand such as `llvm.loop.unroll.disable`, or ""
// where the operand is not a named attribute.
static StringRef loopAttrName(const Metadata *Op) {
  if (auto *N = dyn_cast_or_null<MDNode>(Op))
    if (N->getNumOperands() > 0)
      if (auto *S = dyn_cast<MDString>(N->getOperand(0)))
        return S->getString();
  return "";
}

// Whether a loop ID already holds a vectorizer hint (`vectorize.enable`,
// `vectorize.width`, `interleave.count`, or `isvectorized`): a loop that the
// user or an earlier step has decided for is left as it is.
static bool hasVectorizerHint(ArrayRef<Metadata *> Ops) {
  return llvm::any_of(Ops, [](Metadata *Op) {
    StringRef S = loopAttrName(Op);
    return S == "llvm.loop.vectorize.enable" ||
           S == "llvm.loop.vectorize.width" ||
           S == "llvm.loop.interleave.count" ||
           S == "llvm.loop.isvectorized";
  });
}

// The loop hints `llvm.loop.vectorize.enable false` and
// `llvm.loop.unroll.disable` (uniqued: each call gives the same node).
static MDNode *noVectorizeHint(LLVMContext &C) {
  return MDNode::get(C, {MDString::get(C, "llvm.loop.vectorize.enable"),
                         ConstantAsMetadata::get(ConstantInt::getFalse(C))});
}
static MDNode *noUnrollHint(LLVMContext &C) {
  return MDNode::get(C, {MDString::get(C, "llvm.loop.unroll.disable")});
}

// L's loop-ID operands after a placeholder for the self-reference (just the
// placeholder where L has no ID), ready for setLoopIdOps.
static SmallVector<Metadata *, 4> loopIdOps(Loop *L) {
  SmallVector<Metadata *, 4> Ops{nullptr};
  if (MDNode *Old = L->getLoopID())
    Ops.append(Old->op_begin() + 1, Old->op_end());
  return Ops;
}

// Makes Ops (its first operand the placeholder) L's new, distinct loop ID.
static void setLoopIdOps(Loop *L, ArrayRef<Metadata *> Ops) {
  MDNode *ID = MDNode::getDistinct(L->getHeader()->getContext(), Ops);
  ID->replaceOperandWith(0, ID);
  L->setLoopID(ID);
}

// Marks L to stay a rolled scalar loop: its own unroll, vectorize and
// interleave hints give way to `unroll.disable` and `vectorize.enable false`
// (for copies of loops that run only on rare paths).
static void keepLoopRolled(Loop *L) {
  LLVMContext &C = L->getHeader()->getContext();
  SmallVector<Metadata *, 4> Old = loopIdOps(L), Ops{nullptr};
  for (Metadata *Op : ArrayRef(Old).drop_front())
    if (StringRef S = loopAttrName(Op); !S.starts_with("llvm.loop.unroll.") &&
                                        !S.starts_with("llvm.loop.vectorize.") &&
                                        !S.starts_with("llvm.loop.interleave."))
      Ops.push_back(Op);
  Ops.push_back(noUnrollHint(C));
  Ops.push_back(noVectorizeHint(C));
  setLoopIdOps(L, Ops);
}

// Before the host's vectorizer, on ferment's functions: an innermost loop
// whose trip count is not a constant and whose vectorization needs more than
// `-ferment-max-vector-checks` (16) run-time alias checks between pointer
// groups gets `vectorize.enable false` and stays scalar. A reverse loop adds
// into the shadow of every array its primal loop reads, so LLVM checks each
// shadow against each other array the loop touches: lstm's reverse cell
// needed 42 and 35 pairs, which it compiled into a 351-instruction vector
// body, a remainder and two checks of 79 and 60 instructions for loops of 14
// iterations. The vectorizer weighs the checks against the trip count only
// where the count is known, and assumes a long loop otherwise. Loops with a
// few checks (ode, gmm: none; rk4, multigrid: 10; swe1d: 15) keep the host's
// choice. Returns how many loops it marked.
static unsigned keepCheckedLoopsScalar(Function &F,
                                       FunctionAnalysisManager &FAM) {
  if (OptMaxVectorChecks == 0)
    return 0;
  // Its own loop info and scalar evolution: queried here, the host's would
  // cache results in another order and the vectorizer could expand other
  // (equivalent) address expressions in functions this leaves unchanged.
  FnLoops A(F);
  if (A.LI.empty())
    return 0;
  auto &TLI = FAM.getResult<TargetLibraryAnalysis>(F);
  auto &TTI = FAM.getResult<TargetIRAnalysis>(F);
  auto &AC = FAM.getResult<AssumptionAnalysis>(F);
  auto &AA = FAM.getResult<AAManager>(F);
  ScalarEvolution SE(F, TLI, AC, A.DT, A.LI);
  LLVMContext &C = F.getContext();
  unsigned Marked = 0;
  for (Loop *L : A.LI.getLoopsInPreorder()) {
    if (!L->isInnermost() || !L->getLoopLatch() ||
        isa<SCEVConstant>(SE.getBackedgeTakenCount(L)))
      continue;
    SmallVector<Metadata *, 4> Ops = loopIdOps(L);
    // Hints already given (the user's, or a rolled copy's) stay; the
    // followups that `noFallbackUnroll` adds are no such hint.
    if (hasVectorizerHint(Ops))
      continue;
    LoopAccessInfo LAI(L, &SE, &TTI, &TLI, &AA, &A.DT, &A.LI, &AC);
    if (!LAI.canVectorizeMemory() ||
        LAI.getNumRuntimePointerChecks() <= OptMaxVectorChecks)
      continue;
    Ops.push_back(noVectorizeHint(C));
    setLoopIdOps(L, Ops);
    ++Marked;
  }
  return Marked;
}

// Gives every innermost loop of F that the host may still runtime-unroll a
// `llvm.loop.vectorize.followup_epilogue` saying "vectorized, no runtime
// unrolling": the loop ID the vectorizer puts on the scalar loop it keeps
// beside a loop it vectorizes. Without run-time alias checks the vectorizer
// already marks that loop so (it only runs the remainder); with them (a
// derivative's shadows are plain pointers, often checked) the scalar loop is
// also the fallback for overlapping arrays, and the host's unroller copies
// it 2-8 times behind a remainder loop of its own: on cholesky, the 4 copies
// of the scalar reverse of the factorization's update took a quarter of the
// derivative's loop strength reduction time, for a loop that runs the last
// VF*UF-1 iterations (or all of them where the arrays overlap). A loop the
// vectorizer leaves alone keeps its ID (the unroller ignores followups).
// Returns how many loops it marked.
static unsigned noFallbackUnroll(Function &F) {
  LLVMContext &C = F.getContext();
  FnLoops A(F);
  unsigned Marked = 0;
  for (Loop *L : A.LI.getLoopsInPreorder()) {
    if (!L->getLoopLatch() || !L->isInnermost())
      continue;
    SmallVector<Metadata *, 4> Ops = loopIdOps(L);
    if (llvm::any_of(Ops, [](Metadata *Op) {
          StringRef S = loopAttrName(Op);
          return S == "llvm.loop.unroll.runtime.disable" ||
                 S == "llvm.loop.unroll.disable" ||
                 S == "llvm.loop.isvectorized" ||
                 S.starts_with("llvm.loop.vectorize.followup");
        }))
      continue;
    // The remainder keeps the loop's other attributes (mustprogress...).
    SmallVector<Metadata *, 6> Remainder{
        MDString::get(C, "llvm.loop.vectorize.followup_epilogue"),
        MDNode::get(C, {MDString::get(C, "llvm.loop.isvectorized"),
                        ConstantAsMetadata::get(ConstantInt::get(Type::getInt32Ty(C), 1))}),
        MDNode::get(C, {MDString::get(C, "llvm.loop.unroll.runtime.disable")})};
    for (unsigned I = 1, E = Ops.size(); I < E; ++I)
      if (StringRef S = loopAttrName(Ops[I]);
          !S.empty() && !S.starts_with("llvm.loop.vectorize."))
        Remainder.push_back(Ops[I]);
    Ops.push_back(MDNode::get(C, Remainder));
    setLoopIdOps(L, Ops);
    ++Marked;
  }
  return Marked;
}

// With -ferment-interleave-nested-once: each innermost loop of F that lies
// in another loop and carries no interleave or vectorization hint yet gets
// one interleave (`llvm.loop.interleave.count` 1). Interleaved 4 times
// (AVX-512, doubles: 32 elements per vector iteration) such a loop also got
// a vectorized epilogue and its checks, and where it runs fewer than 32
// iterations (gmm's d = 10, lstm's 14 hidden units) only that epilogue
// ran; with one interleave the main vector loop runs those iterations and
// there is no epilogue to compile. Loops at the top of the function (the
// long reductions of lse, dot, taylor) keep the host's choice. An
// experiment behind a flag: gradients at long inner trip counts (matvec's
// rows, conv2d's windows) may lose the interleaving. Run at the vectorizer's
// start, after `keepCheckedLoopsScalar` (a loop with an interleave hint is
// one it leaves alone). Returns how many loops it marked.
static unsigned interleaveNestedOnce(Function &F) {
  LLVMContext &C = F.getContext();
  FnLoops A(F);
  unsigned Marked = 0;
  for (Loop *L : A.LI.getLoopsInPreorder()) {
    if (!L->getLoopLatch() || !L->isInnermost() || !L->getParentLoop())
      continue;
    SmallVector<Metadata *, 4> Ops = loopIdOps(L);
    if (hasVectorizerHint(Ops))
      continue;
    Ops.push_back(MDNode::get(
        C, {MDString::get(C, "llvm.loop.interleave.count"),
            ConstantAsMetadata::get(ConstantInt::get(Type::getInt32Ty(C), 1))}));
    setLoopIdOps(L, Ops);
    ++Marked;
  }
  return Marked;
}

// Whether `I` accesses a loop tape row (alias scope `ferment.tape`).
static bool inTapeScope(const Instruction &I) {
  MDNode *Scopes = I.getMetadata(LLVMContext::MD_alias_scope);
  if (!Scopes)
    return false;
  for (const MDOperand &Op : Scopes->operands())
    if (auto *N = dyn_cast<MDNode>(Op.get()))
      if (N->getNumOperands() > 0)
        if (auto *S = dyn_cast<MDString>(N->getOperand(0)))
          if (S->getString() == "ferment.tape")
            return true;
  return false;
}

// On an x86 target with AVX-512, a derivative with an innermost loop whose
// address moves by a constant stride other than the access's size (tape
// rows of more than one field: a row is `stride` bytes; shadow or primal
// blocks of a few elements per iteration: `dA[9 * j + k]`) prefers no
// gathers and scatters (`+prefer-no-gather,+prefer-no-scatter` added to
// its target features): the vectorizer otherwise writes each field of 8
// consecutive rows with a `vscatterqpd` and reads it back with a
// `vgatherqpd`, which on the benchmark machine (AMD EPYC, AVX-512) made the
// 1-D shallow-water gradient (7 fields per interface and step) 2.4x slower
// than the same derivative compiled without AVX-512 (29.4 against 12.3 ms;
// with the preference 12.4), and hand's (the reverse of the skinning loop
// adds into 9 elements of the bones' matrix shadow per bone: 9 gathers and
// 9 scatters per 8 bones) 2x slower (101 against 50 us). Without gathers
// the vectorizer de-interleaves the rows (wide loads and shuffles) or
// leaves the loop to the SLP vectorizer, which widens each iteration's
// block. Only where no other access of an innermost loop as deep may need a
// gather (the preference holds for the whole function). Returns whether the
// function's features changed.
extern "C" int ferment_avoid_tape_gathers(LLVMValueRef FV) {
  if (OptTapeGathers)
    return 0;
  Function &F = *unwrap<Function>(FV);
  Attribute A = F.getFnAttribute("target-features");
  if (!A.isValid())
    return 0;
  StringRef Features = A.getValueAsString();
  SmallVector<StringRef, 64> List;
  Features.split(List, ',');
  if (!llvm::is_contained(List, "+avx512f") || llvm::is_contained(List, "+prefer-no-gather"))
    return 0;
  FnScev Info(F);
  const DataLayout &DL = F.getParent()->getDataLayout();
  // In innermost loops (the ones the vectorizer widens): accesses that move
  // by a constant stride other than their size, and other accesses that the
  // vectorizer may turn into gathers or scatters (addresses neither
  // invariant nor consecutive: `y[i > 0 ? i - 1 : i]`,
  // `img[(long)floor(p)]`, a column).
  // The latter keep their gathers where their loop is nested as deep as the
  // deepest strided one: with the preference, rk4's derivative (its
  // boundary selects of addresses) ran 11% slower. In a shallower loop they
  // run less often than the strided accesses (hand's: the bones' parent
  // frames `A[9 * parent[j]]`, once per bone; its skinning loop's 9-element
  // blocks, once per bone and vertex).
  unsigned StridedDepth = 0, OtherDepth = 0;
  for (BasicBlock &BB : F) {
    Loop *L = Info.LI.getLoopFor(&BB);
    if (!L || !L->isInnermost())
      continue;
    for (Instruction &I : BB) {
      if (!isa<LoadInst>(I) && !isa<StoreInst>(I))
        continue;
      const SCEV *S = Info.SE.getSCEV(getLoadStorePointerOperand(&I));
      if (Info.SE.isLoopInvariant(S, L))
        continue;
      uint64_t Size = DL.getTypeStoreSize(getLoadStoreType(&I));
      auto *AR = dyn_cast<SCEVAddRecExpr>(S);
      auto *Step = AR && AR->getLoop() == L
                       ? dyn_cast<SCEVConstant>(AR->getStepRecurrence(Info.SE))
                       : nullptr;
      if (Step && Step->getAPInt().abs() == Size)
        continue;
      if (Step)
        StridedDepth = std::max(StridedDepth, L->getLoopDepth());
      else if (!inTapeScope(I))
        OtherDepth = std::max(OtherDepth, L->getLoopDepth());
    }
  }
  if (StridedDepth <= OtherDepth)
    return 0;
  F.addFnAttr("target-features", (Features + ",+prefer-no-gather,+prefer-no-scatter").str());
  return 1;
}

// Adds `llvm.loop.unroll.runtime.disable` to every loop of F that contains
// other loops (not with -ferment-unroll-outer; LLVM 22's unroller also
// runtime-unrolls such a loop when it is small, copying its inner loops 2-8
// times, which no later pass fuses: cholesky's derivative 828 -> 1370
// instructions in the host's unroller; with them rolled kmeans_hvp's
// gradient ran 1.25x faster, trisolve's 7%, gmm and gmm_adb within 2%,
// where an earlier session had measured gmm's outer loops 3% faster
// unrolled; benches/repro/short_trip_unroll.c 175 -> 170 us), to
// every innermost loop of F
// that calls a library function (`callsLibrary`; not with
// -ferment-unroll-calls), and with -ferment-no-unroll-runtime also to those
// that store into a loop tape row (alias scope `ferment.tape`), keeping the
// rest of each loop ID. The host's unroller would otherwise copy each such
// scalar loop 2-8 times behind a remainder loop: code to compile, for no
// speed where each iteration calls `exp`, and for no measured speed in the
// tape loops. The other loops keep the host's treatment: runtime-unrolled,
// kmeans' forward distance loop of 16 iterations ran 1.4x faster,
// particles' reverse pair loop 4% faster. Also marked (not with
// -ferment-unroll-ordered-sums): innermost loops inside a small parent loop
// (`smallParent`) that carry a floating-point sum in source order
// (`carriesOrderedSum`) over a count the enclosing loops do not change
// (`tripCountVaries`), whose parent (rolled too since the outer loops
// are) then holds one short chain of additions per iteration: the shape of `mat_mult` in
// Enzyme's forward-mode `hand` (a 3-term sum per output element;
// benches/repro/short_trip_unroll.c) ran 1.2x faster; kmeans and kmeans_hvp
// (16-term distance sums) within 1%. Returns how many loops it marked.
extern "C" unsigned ferment_no_runtime_unroll(LLVMValueRef FV) {
  Function &F = *unwrap<Function>(FV);
  LLVMContext &C = F.getContext();
  unsigned Marked = OptUnrollFallbacks ? 0 : noFallbackUnroll(F);
  if (!OptNoUnrollRuntime && OptUnrollCalls && OptUnrollOrderedSums && OptUnrollOuter)
    return Marked;
  // A store into a loop tape row.
  auto Tapes = [](const BasicBlock *BB) {
    return llvm::any_of(*BB, [](const Instruction &I) {
      return isa<StoreInst>(I) && inTapeScope(I);
    });
  };
  auto Keep = [&](const BasicBlock *BB) {
    return (OptNoUnrollRuntime && Tapes(BB)) || (!OptUnrollCalls && callsLibrary(BB));
  };
  bool Any = !OptUnrollOuter;
  for (const BasicBlock &BB : F)
    Any |= Keep(&BB) || (!OptUnrollOrderedSums &&
                         llvm::any_of(BB.phis(), [](const PHINode &P) {
                           return P.getType()->isFloatingPointTy();
                         }));
  if (!Any)
    return Marked;
  FnScev A(F);
  for (Loop *L : A.LI.getLoopsInPreorder()) {
    if (!L->getLoopLatch())
      continue;
    if (!L->isInnermost()) {
      if (OptUnrollOuter)
        continue;
    } else if (llvm::none_of(L->blocks(), Keep) &&
               (OptUnrollOrderedSums || !smallParent(L) || !carriesOrderedSum(L) ||
                tripCountVaries(A.SE, L)))
      continue;
    SmallVector<Metadata *, 4> Ops = loopIdOps(L);
    if (llvm::any_of(Ops, [](Metadata *Op) {
          StringRef S = loopAttrName(Op);
          return S == "llvm.loop.unroll.runtime.disable" ||
                 S == "llvm.loop.unroll.disable";
        }))
      continue;
    Ops.push_back(
        MDNode::get(C, {MDString::get(C, "llvm.loop.unroll.runtime.disable")}));
    setLoopIdOps(L, Ops);
    ++Marked;
  }
  return Marked;
}

// Gives each innermost loop of F, one of the matrix helpers of ferment's BLAS
// and LAPACK rules (`ferment.blas.*`: a row loop inside a column loop), one
// interleave (`llvm.loop.interleave.count` 1), or with Rolled keeps it a
// rolled scalar loop (no vectorization, no unrolling). Interleaved 4 times
// (AVX-512: 32 elements per iteration) a row loop also got a vectorized
// epilogue loop, each with its own checks: the four triangle helpers of
// gp's Cholesky rules were 467 optimized instructions, 234 with one
// interleave, for loops that run once per matrix element beside O(n^3)
// library calls (gradient unchanged). Rolled is
// for helpers that read the transposed element X[j,i]: the vectorizer's
// only plan for them assumes the symbolic stride ldx is 1, which never
// holds for a matrix of more than one row (ldx >= rows), so their vector
// loops never ran; the scalar loop that does run stays, not unrolled
// (gp's two: 365 -> 64 instructions). Returns how many loops it marked.
extern "C" unsigned ferment_lean_helper_loops(LLVMValueRef FV, int Rolled) {
  Function &F = *unwrap<Function>(FV);
  LLVMContext &C = F.getContext();
  FnLoops A(F);
  unsigned Marked = 0;
  for (Loop *L : A.LI.getLoopsInPreorder()) {
    if (!L->getLoopLatch() || !L->isInnermost())
      continue;
    SmallVector<Metadata *, 4> Ops = loopIdOps(L);
    if (Rolled) {
      Ops.push_back(noUnrollHint(C));
      Ops.push_back(noVectorizeHint(C));
    } else {
      Ops.push_back(MDNode::get(
          C, {MDString::get(C, "llvm.loop.interleave.count"),
              ConstantAsMetadata::get(ConstantInt::get(Type::getInt32Ty(C), 1))}));
    }
    setLoopIdOps(L, Ops);
    ++Marked;
  }
  return Marked;
}

// Gives the loop whose latch ends in BrV a loop ID saying: neither unroll
// nor vectorize it.
extern "C" void ferment_keep_loop_rolled(LLVMValueRef BrV) {
  auto *Br = unwrap<Instruction>(BrV);
  LLVMContext &C = Br->getContext();
  Metadata *Ops[] = {nullptr, noUnrollHint(C), noVectorizeHint(C)};
  MDNode *ID = MDNode::getDistinct(C, Ops);
  ID->replaceOperandWith(0, ID);
  Br->setMetadata(LLVMContext::MD_loop, ID);
}

// Whether V is zero (or the product of zero with something) whenever the
// phi P is zero: P itself, products and quotients with it in the numerator,
// its negation, and its splat into a vector.
static bool zeroWith(Value *V, PHINode *P, unsigned Depth = 0) {
  if (V == P)
    return true;
  auto *I = dyn_cast<Instruction>(V);
  if (!I || Depth > 6)
    return false;
  switch (I->getOpcode()) {
  case Instruction::FMul:
    return zeroWith(I->getOperand(0), P, Depth + 1) ||
           zeroWith(I->getOperand(1), P, Depth + 1);
  case Instruction::FDiv:
  case Instruction::FNeg:
    return zeroWith(I->getOperand(0), P, Depth + 1);
  case Instruction::ShuffleVector: {
    auto *SV = cast<ShuffleVectorInst>(I);
    auto *Ins = dyn_cast<InsertElementInst>(SV->getOperand(0));
    auto *Idx = Ins ? dyn_cast<ConstantInt>(Ins->getOperand(2)) : nullptr;
    return Idx && Idx->isZero() &&
           all_of(SV->getShuffleMask(), [](int M) { return M == 0; }) &&
           zeroWith(Ins->getOperand(1), P, Depth + 1);
  }
  default:
    return false;
  }
}

// The loaded value and the term of `V = load +- D` or `V = X +- D`: the
// operand that is not D, where D is zero whenever P is; null when V is not
// such a sum.
// The phi itself is not such a D: `X + P` is a running sum through P, and
// skipping it saves nothing.
static Value *accumulatedInto(Instruction *V, PHINode *P) {
  if (V->getOpcode() != Instruction::FAdd &&
      V->getOpcode() != Instruction::FSub)
    return nullptr;
  Value *A = V->getOperand(0), *D = V->getOperand(1);
  if (D != P && zeroWith(D, P))
    return A;
  if (V->getOpcode() == Instruction::FAdd && A != P && zeroWith(A, P))
    return D;
  return nullptr;
}

// The work of one phi's block that only matters when the phi is not zero.
static unsigned guardBlock(BasicBlock *BB, PHINode *P,
                           SmallVectorImpl<BasicBlock *> &Guarded) {
  SmallVector<Instruction *, 16> Order; // members, in block order
  SmallPtrSet<Instruction *, 32> Members;
  // Register sums X + D: their value is X when P is zero.
  SmallVector<std::pair<Instruction *, Value *>, 8> Sums;
  // Memory sums `store (load p) +- D, p` with no other access to memory
  // between the load and the store.
  SmallVector<Instruction *, 8> MemberMemory;
  for (Instruction &I : *BB) {
    // An atomic accumulation `atomicrmw fadd/fsub p, D` (the reverse of a
    // load other threads may also read: OpenMP regions, GPU kernels) whose
    // D is zero with P: adding zero changes nothing.
    if (auto *A = dyn_cast<AtomicRMWInst>(&I)) {
      if ((A->getOperation() == AtomicRMWInst::FAdd ||
           A->getOperation() == AtomicRMWInst::FSub) &&
          A->use_empty() && !A->isVolatile() &&
          A->getOrdering() == AtomicOrdering::Monotonic &&
          zeroWith(A->getValOperand(), P)) {
        Members.insert(A);
        MemberMemory.push_back(A);
      }
      continue;
    }
    auto *S = dyn_cast<StoreInst>(&I);
    auto *V = S ? dyn_cast<Instruction>(S->getValueOperand()) : nullptr;
    if (!S || !S->isSimple() || !V || V->getParent() != BB || !V->hasOneUse())
      continue;
    auto *L = dyn_cast_or_null<LoadInst>(accumulatedInto(V, P));
    if (!L || !L->isSimple() || L->getParent() != BB || !L->hasOneUse() ||
        L->getPointerOperand() != S->getPointerOperand())
      continue;
    bool Clean = true;
    for (Instruction *J = L->getNextNode(); Clean && J != S; J = J->getNextNode())
      Clean = !J->mayReadOrWriteMemory();
    if (!Clean)
      continue;
    Members.insert(L);
    Members.insert(V);
    Members.insert(S);
    MemberMemory.push_back(L);
  }
  // Members move down to the last one: none may pass another access to
  // memory, so everything from the first access after the first memory
  // sum that is not a member stays (`Limit`).
  Instruction *Limit = nullptr;
  if (!MemberMemory.empty())
    for (Instruction *J = MemberMemory.front(); J && !J->isTerminator();
         J = J->getNextNode())
      if (J->mayReadOrWriteMemory() && !Members.count(J)) {
        Limit = J;
        break;
      }
  auto beforeLimit = [&](Instruction *I) {
    return !Limit || I->comesBefore(Limit);
  };
  if (Limit)
    for (Instruction &I : make_early_inc_range(*BB))
      if (Members.count(&I) && !beforeLimit(&I))
        Members.erase(&I);
  // Register sums (not the value of a memory sum).
  for (Instruction &I : *BB) {
    if (Members.count(&I) || !I.getType()->isFPOrFPVectorTy() ||
        isa<PHINode>(I) || !beforeLimit(&I))
      continue;
    if (Value *X = accumulatedInto(&I, P)) {
      Members.insert(&I);
      Sums.push_back({&I, X});
    }
  }
  if (Members.empty())
    return 0;
  // Pure values used only by members move along (the partials: zero work
  // when the phi is zero); not a sum's other term, which the skipped path
  // keeps.
  SmallPtrSet<Value *, 8> Terms;
  for (auto &[V, X] : Sums)
    Terms.insert(X);
  for (auto It = BB->rbegin(); It != BB->rend(); ++It) {
    Instruction &I = *It;
    if (Members.count(&I) || Terms.count(&I) || isa<PHINode>(I) ||
        I.isTerminator() ||
        I.mayReadOrWriteMemory() || I.mayHaveSideEffects() || I.use_empty() ||
        !beforeLimit(&I))
      continue;
    if (all_of(I.users(), [&](User *U) {
          return Members.count(cast<Instruction>(U));
        }))
      Members.insert(&I);
  }
  for (Instruction &I : *BB)
    if (Members.count(&I))
      Order.push_back(&I);
  Instruction *After = Order.back()->getNextNode();
  // A register sum used in this block before `After` by something that
  // stays cannot move.
  for (auto &[V, X] : Sums)
    for (User *U : V->users()) {
      auto *UI = cast<Instruction>(U);
      if (UI->getParent() == BB && !Members.count(UI) && !isa<PHINode>(UI) &&
          UI->comesBefore(After))
        return 0;
    }
  // Values used in this block that are defined by members must dominate:
  // a non-member between two members may use a member.
  for (Instruction *M : Order)
    for (User *U : M->users()) {
      auto *UI = cast<Instruction>(U);
      if (UI->getParent() == BB && !Members.count(UI) && !isa<PHINode>(UI) &&
          UI->comesBefore(After) &&
          !any_of(Sums, [&](auto &S) { return S.first == M; }))
        return 0;
    }
  for (Instruction *J : Order)
    J->moveBefore(After->getIterator());
  // The test `P != 0`, taken on each incoming edge: false where P comes in
  // as the constant zero (the path that skipped the work: a pair beyond the
  // cutoff), else the comparison at the end of that predecessor. A branch
  // on a phi of `false` is threaded by simplifycfg, so the skipping path
  // tests nothing more than the primal did.
  PHINode *Cond = PHINode::Create(Type::getInt1Ty(BB->getContext()),
                                  P->getNumIncomingValues(), "adjoint.nonzero");
  Cond->insertBefore(BB->getFirstNonPHIIt());
  {
    DenseMap<BasicBlock *, Value *> PerEdge;
    for (unsigned K = 0; K < P->getNumIncomingValues(); ++K) {
      BasicBlock *Pred = P->getIncomingBlock(K);
      Value *In = P->getIncomingValue(K);
      Value *&C = PerEdge[Pred];
      if (!C) {
        auto *Z = dyn_cast<ConstantFP>(In);
        if (Z && Z->isZero())
          C = ConstantInt::getFalse(BB->getContext());
        else
          C = IRBuilder<>(Pred->getTerminator())
                  .CreateFCmpUNE(In, ConstantFP::getZero(P->getType()),
                                 "adjoint.nonzero");
      }
      Cond->addIncoming(C, Pred);
    }
  }
  BasicBlock *Head = Order.front()->getParent();
  Instruction *ThenTerm =
      SplitBlockAndInsertIfThen(Cond, Order.front()->getIterator(), false);
  for (Instruction *J : Order)
    J->moveBefore(ThenTerm->getIterator());
  BasicBlock *Then = ThenTerm->getParent();
  Guarded.push_back(Then);
  BasicBlock *Tail = After->getParent();
  // Pure values the test's block computes for after the guarded work (the
  // loop's exit test) move past it, so that the block is only phis and the
  // test, which simplifycfg threads.
  SmallVector<Instruction *, 8> Stay;
  for (Instruction &I : *Head)
    if (!isa<PHINode>(I) && !I.isTerminator())
      Stay.push_back(&I);
  for (Instruction *I : reverse(Stay)) {
    if (I->mayReadOrWriteMemory() || I->mayHaveSideEffects() ||
        isa<AllocaInst>(I))
      continue;
    bool Later = all_of(I->users(), [&](User *U) {
      auto *UI = cast<Instruction>(U);
      return UI->getParent() != Head && UI->getParent() != Then &&
             !(isa<PHINode>(UI) && UI->getParent() == Tail);
    });
    if (Later)
      I->moveBefore(Tail->getFirstInsertionPt());
  }
  // After the test, each register sum is itself, or its term when skipped.
  DenseMap<Value *, Value *> Skipped;
  for (auto &[V, X] : Sums) {
    Value *Else = Skipped.count(X) ? Skipped[X] : X;
    Skipped[V] = Else;
  }
  for (auto &[V, X] : Sums) {
    PHINode *Phi = PHINode::Create(V->getType(), 2, V->getName() + ".guarded");
    Phi->insertBefore(Tail->begin());
    Phi->addIncoming(V, Then);
    Phi->addIncoming(Skipped[V], Head);
    V->replaceUsesWithIf(Phi, [&](Use &U) {
      auto *UI = cast<Instruction>(U.getUser());
      return UI != Phi && UI->getParent() != Then;
    });
  }
  return Order.size();
}

// A loop whose guarded work (the blocks `guardBlock` made) stores to memory
// that is not one consecutive element per iteration (`g[3 * j] -= ...`,
// `g[idx[j]] += ...`, one address for the whole loop) stays scalar: the
// vectorizer would run the guarded work on every lane, skipping nothing, and
// turn each `+=` into a masked gather and scatter, and its cost model takes
// the guard as taken half the time while a cutoff test is usually false
// (particles: 2.3x slower vectorized). Consecutive stores become cheap
// masked vector stores and are left to the vectorizer.
static void keepGuardedScattersScalar(Function *F,
                                      ArrayRef<BasicBlock *> Guarded) {
  FnScev A(*F);
  const DataLayout &DL = F->getParent()->getDataLayout();
  SmallPtrSet<Loop *, 4> Marked;
  for (BasicBlock *G : Guarded) {
    BasicBlock &BB = *G;
    Loop *L = A.LI.getLoopFor(&BB);
    if (!L || Marked.count(L) || !L->isInnermost())
      continue;
    bool Scattered = false;
    for (Instruction &I : BB) {
      auto *St = dyn_cast<StoreInst>(&I);
      if (!St)
        continue;
      uint64_t Size = DL.getTypeStoreSize(St->getValueOperand()->getType());
      auto *AR = dyn_cast<SCEVAddRecExpr>(A.SE.getSCEV(St->getPointerOperand()));
      const APInt *Step = nullptr;
      bool Consecutive = AR && AR->getLoop() == L && AR->isAffine();
      if (Consecutive) {
        auto *C = dyn_cast<SCEVConstant>(AR->getStepRecurrence(A.SE));
        Step = C ? &C->getAPInt() : nullptr;
        Consecutive = Step && Step->abs() == Size;
      }
      if (!Consecutive) {
        Scattered = true;
        break;
      }
    }
    if (!Scattered)
      continue;
    Marked.insert(L);
    LLVMContext &C = F->getContext();
    SmallVector<Metadata *, 4> Ops = loopIdOps(L);
    Ops.push_back(noVectorizeHint(C));
    setLoopIdOps(L, Ops);
  }
}

// In a reverse sweep, the adjoint of a value that a branch uses reaches the
// join after the branch as a phi that is zero on the other path, and the
// work with it runs on both paths: partials multiplied by zero, sums that
// add zero (a loop-carried chain of additions), and accumulations into
// shadow memory (`*p += D`: a load and a store), also where the primal
// took the cheap path (a pair of particles beyond the cutoff: most pairs).
// That work moves into a block that runs only when the phi is not zero
// (adding zero changes nothing; a sum is its other term on the skipped
// path). The test branches the way the primal branch did, so it is as
// predictable as that branch. Returns how many instructions moved.
extern "C" unsigned ferment_guard_zero_accumulations(LLVMValueRef FV) {
  Function *F = unwrap<Function>(FV);
  unsigned Moved = 0;
  if (OptNoGuardZero)
    return 0;
  std::vector<BasicBlock *> Blocks;
  for (BasicBlock &BB : *F)
    Blocks.push_back(&BB);
  SmallVector<BasicBlock *, 8> Guarded;
  DominatorTree DT(*F);
  for (BasicBlock *BB : Blocks) {
    // Not a loop header: there the zero is a sum's start, not a path that
    // skips work.
    if (any_of(predecessors(BB),
               [&](BasicBlock *Pred) { return DT.dominates(BB, Pred); }))
      continue;
    SmallVector<PHINode *, 4> Phis;
    for (PHINode &P : BB->phis()) {
      if (!P.getType()->isFloatingPointTy())
        continue;
      for (Value *In : P.incoming_values())
        if (auto *C = dyn_cast<ConstantFP>(In); C && C->isZero()) {
          Phis.push_back(&P);
          break;
        }
    }
    // One phi per block: the first whose work can move.
    for (PHINode *P : Phis)
      if (unsigned N = guardBlock(BB, P, Guarded)) {
        Moved += N;
        break;
      }
  }
  if (Moved)
    keepGuardedScattersScalar(F, Guarded);
  return Moved;
}

// Verifies one function; returns 0 when valid, else writes the report.
extern "C" int ferment_verify_function(LLVMValueRef FV, char *Err,
                                       size_t ErrLen) {
  Function *F = unwrap<Function>(FV);
  std::string Msg;
  raw_string_ostream OS(Msg);
  // Debug records of terminators that the generators replaced (a `ret`
  // that became a branch into the reverse sweep) are left dangling at the
  // block's end; they describe nothing that still exists.
  for (BasicBlock &BB : *F)
    if (BB.getTrailingDbgRecords())
      BB.deleteTrailingDbgRecords();
  if (!verifyFunction(*F, &OS))
    return 0;
  OS.flush();
  if (ErrLen) {
    std::strncpy(Err, Msg.c_str(), ErrLen - 1);
    Err[ErrLen - 1] = 0;
  }
  return 1;
}

// Reports an error through the context's diagnostic handler (clang and flang
// print it and fail the compile; opt prints it and exits with status 1).
extern "C" void ferment_report_error(LLVMModuleRef MRef, const char *Msg) {
  Module *M = unwrap(MRef);
  M->getContext().diagnose(DiagnosticInfoGeneric(Twine(Msg), DS_Error));
}

// Reports a warning through the context's diagnostic handler.
extern "C" void ferment_report_warning(LLVMModuleRef MRef, const char *Msg) {
  Module *M = unwrap(MRef);
  M->getContext().diagnose(DiagnosticInfoGeneric(Twine(Msg), DS_Warning));
}

// Whether call argument `ArgNo` of `CallV` carries the `sret` attribute.
extern "C" int ferment_call_arg_is_sret(LLVMValueRef CallV, unsigned ArgNo) {
  auto *CB = dyn_cast<CallBase>(unwrap(CallV));
  if (!CB || ArgNo >= CB->arg_size())
    return 0;
  return CB->paramHasAttr(ArgNo, Attribute::StructRet) ? 1 : 0;
}

// The `byval` type of call argument `ArgNo` of `CallV`, or null.
extern "C" LLVMTypeRef ferment_call_arg_byval_type(LLVMValueRef CallV,
                                                  unsigned ArgNo) {
  auto *CB = dyn_cast<CallBase>(unwrap(CallV));
  if (!CB || ArgNo >= CB->arg_size())
    return nullptr;
  return wrap(CB->getParamByValType(ArgNo));
}

// The `sret` type of parameter `ArgNo` of function `FnV`, or null.
extern "C" LLVMTypeRef ferment_fn_param_sret_type(LLVMValueRef FnV,
                                                 unsigned ArgNo) {
  auto *F = dyn_cast<Function>(unwrap(FnV));
  if (!F || ArgNo >= F->arg_size())
    return nullptr;
  return wrap(F->getParamStructRetType(ArgNo));
}

// `max(Btc, -1) + 1` as i64, with `Btc` sign-extended: a count expression
// that wraps below zero where a guard outside the loop would have skipped
// it gives 0, never a huge bound.
static const SCEV *tripsFromExactCount(ScalarEvolution &SE, const SCEV *Btc,
                                       Type *I64) {
  const SCEV *Wide = SE.getTruncateOrSignExtend(Btc, I64);
  const SCEV *Clamped = SE.getSMaxExpr(Wide, SE.getMinusOne(I64));
  return SE.getAddExpr(Clamped, SE.getOne(I64));
}

// `Btc`, a backedge-taken count of `L`, when scalar evolution computed it,
// it does not vary within the loop and fits in 64 bits; else null.
static const SCEV *usableCount(ScalarEvolution &SE, const SCEV *Btc, Loop *L) {
  if (isa<SCEVCouldNotCompute>(Btc) || !SE.isLoopInvariant(Btc, L) ||
      !Btc->getType()->isIntegerTy() ||
      Btc->getType()->getIntegerBitWidth() > 64)
    return nullptr;
  return Btc;
}

// Whether `max(sext Btc, -1) + 1` (`tripsFromExactCount`) bounds the trips:
// the count is 64 bits wide, or never reaches the sign bit of its type (an
// unsigned `uint8_t` count of 200 sign-extends below zero: no rows).
static bool signExtensionKeepsCount(ScalarEvolution &SE, const SCEV *Btc) {
  unsigned W = Btc->getType()->getIntegerBitWidth();
  return W >= 64 || SE.getUnsignedRangeMax(Btc).ult(APInt::getSignedMinValue(W));
}

// Whether `X`'s count may be read where `X` is not entered, in an iteration
// of its parent `P`: either `X`'s preheader runs in every iteration of `P`
// (it dominates each latch), or the count has no unsigned division of a
// value that may be negative. A count is exact only where its loop is
// entered; outside the guard of a rotated loop it wraps below zero, which
// `tripsFromExactCount` clamps to no rows, but a vectorized or runtime-
// unrolled loop of the host's pipeline (the `opt` host after -O2) counts
// `((n & -4) - 4) /u 4`, entered only when `n >= 4`: for `n < 4` the
// division of the wrapped difference is 2^62, the nest's product of counts
// overflows, and the buffer was regrown smaller than the rows it stores.
static bool countHoldsAcross(ScalarEvolution &SE, DominatorTree &DT, Loop *X,
                             Loop *P, const SCEV *Btc) {
  SmallVector<BasicBlock *, 4> Latches;
  P->getLoopLatches(Latches);
  BasicBlock *Pre = X->getLoopPreheader();
  if (Pre && !Latches.empty() &&
      all_of(Latches, [&](BasicBlock *B) { return DT.dominates(Pre, B); }))
    return true;
  return !SCEVExprContains(Btc, [&](const SCEV *S) {
    auto *D = dyn_cast<SCEVUDivExpr>(S);
    return D && !SE.isKnownNonNegative(D->getLHS());
  });
}

// The lowest and highest value `S` takes while `L` runs one iteration,
// over the iterations of the loops strictly inside `L` (affine recurrences
// with a constant step and a computable count, nested at most 4 deep), as
// expressions of `L`'s iteration; false where unknown. With `At`, the
// innermost loop around the access `S` addresses: values that vary only in
// loops not around it (an argmax's result, used after its loop) hold one
// value there.
static bool boundsInside(ScalarEvolution &SE, const SCEV *S, Loop *L,
                         const SCEV *&Lo, const SCEV *&Hi, unsigned Depth,
                         Loop *At = nullptr) {
  if (Depth > 4)
    return false;
  if (auto *AR = dyn_cast<SCEVAddRecExpr>(S)) {
    const Loop *J = AR->getLoop();
    if (J != L && L->contains(J)) {
      auto *C = AR->isAffine()
                    ? dyn_cast<SCEVConstant>(AR->getStepRecurrence(SE))
                    : nullptr;
      if (!C)
        return false;
      const SCEV *Btc = SE.getBackedgeTakenCount(J);
      if (isa<SCEVCouldNotCompute>(Btc) || !Btc->getType()->isIntegerTy())
        return false;
      const SCEV *Last = SE.getAddExpr(
          AR->getStart(),
          SE.getMulExpr(C, SE.getTruncateOrZeroExtend(Btc, C->getType())));
      const SCEV *Lo1, *Hi1, *Lo2, *Hi2;
      if (!boundsInside(SE, AR->getStart(), L, Lo1, Hi1, Depth + 1, At) ||
          !boundsInside(SE, Last, L, Lo2, Hi2, Depth + 1, At))
        return false;
      bool Up = C->getAPInt().isNonNegative();
      Lo = Up ? Lo1 : Lo2;
      Hi = Up ? Hi2 : Hi1;
      return true;
    }
  }
  for (Loop *J : L->getLoopsInPreorder())
    if (J != L && (!At || J->contains(At)) && !SE.isLoopInvariant(S, J))
      return false;
  Lo = Hi = S;
  return true;
}

// The value of `S` in the next iteration of `L`: `S` itself where it does
// not vary in `L`, `{a+c,+,c}` for an affine `{a,+,c}` of `L` with a
// constant step `c` of sign `Up` (nonnegative when true, else at most 0);
// null otherwise (`S` does not move one way through `L`'s iterations).
static const SCEV *nextMonotone(ScalarEvolution &SE, const SCEV *S, Loop *L,
                                bool Up) {
  if (SE.isLoopInvariant(S, L))
    return S;
  auto *AR = dyn_cast<SCEVAddRecExpr>(S);
  if (!AR || AR->getLoop() != L || !AR->isAffine())
    return nullptr;
  auto *C = dyn_cast<SCEVConstant>(AR->getStepRecurrence(SE));
  if (!C || (Up ? C->getAPInt().isNegative() : C->getAPInt().isStrictlyPositive()))
    return nullptr;
  return AR->getPostIncExpr(SE);
}

// `Edge`, a bound of a store's address (a lower bound when `Low`), with
// its one value `U` that varies in top-level loop `L` but is not a
// recurrence (LU's pivot row `p`, an argmax) replaced by each bound of `U`
// on the side that bounds `Edge` the same way: `U` is a web of phis and
// selects in `L` (none in `L`'s header, so all of one iteration of `L`)
// whose other operands ("leaves") scalar evolution bounds within the
// iteration (`boundsInside`), and `Edge` moves with `U` by a constant. The
// bound of `Edge` is then the least (`Low`; else the greatest) of `Out`.
// `Out` is `{Edge}` where nothing needs replacing; false where unknown.
static bool boundUnknown(ScalarEvolution &SE, const SCEV *Edge, Loop *L,
                         bool Low, SmallVectorImpl<const SCEV *> &Out) {
  SmallVector<const SCEVUnknown *, 2> Us;
  SCEVExprContains(Edge, [&](const SCEV *Y) {
    if (auto *U = dyn_cast<SCEVUnknown>(Y))
      if (!SE.isLoopInvariant(U, L) && !is_contained(Us, U))
        Us.push_back(U);
    return false;
  });
  if (Us.empty()) {
    Out.push_back(Edge);
    return true;
  }
  if (Us.size() != 1 || !Us[0]->getType()->isIntegerTy())
    return false;
  const SCEVUnknown *U = Us[0];
  ValueToSCEVMapTy Plus{{U->getValue(), SE.getAddExpr(U, SE.getOne(U->getType()))}};
  auto *Coef = dyn_cast<SCEVConstant>(
      SE.getMinusSCEV(SCEVParameterRewriter::rewrite(Edge, SE, Plus), Edge));
  if (!Coef)
    return false;
  bool LeafLow = Low == Coef->getAPInt().isNonNegative();
  SmallVector<Value *, 8> Work{U->getValue()};
  SmallPtrSet<Value *, 16> Seen;
  while (!Work.empty()) {
    Value *V = Work.pop_back_val();
    if (!Seen.insert(V).second)
      continue;
    if (Seen.size() > 32 || Out.size() > 4)
      return false;
    auto *I = dyn_cast<Instruction>(V);
    // (a phi of `L`'s header is a leaf: its incoming values belong to
    // other iterations)
    if (I && L->contains(I) &&
        (isa<SelectInst>(I) ||
         (isa<PHINode>(I) && I->getParent() != L->getHeader()))) {
      if (auto *S = dyn_cast<SelectInst>(I)) {
        Work.push_back(S->getTrueValue());
        Work.push_back(S->getFalseValue());
      } else {
        append_range(Work, cast<PHINode>(I)->incoming_values());
      }
      continue;
    }
    if (!SE.isSCEVable(V->getType()) || V->getType() != U->getType())
      return false;
    const SCEV *Lo, *Hi;
    if (!boundsInside(SE, SE.getSCEV(V), L, Lo, Hi, 0))
      return false;
    ValueToSCEVMapTy Map{{U->getValue(), LeafLow ? Lo : Hi}};
    const SCEV *E = SCEVParameterRewriter::rewrite(Edge, SE, Map);
    if (SCEVExprContains(E, [&](const SCEV *Y) { return Y == U; }))
      return false;
    Out.push_back(E);
  }
  return !Out.empty();
}

// Whether accesses at `XL` (`SzL` wide, a load) and `XS` (`SzS` wide, a
// store), integer expressions of the iterations of top-level loop `L` and
// the loops inside it, never overlap when the store runs in the same
// iteration of `L` as the load (only when `SameIter`) or a later one: in
// one iteration, the load's highest byte lies below the store's lowest,
// whose lowest never decreases from one iteration to the next (or the
// mirror image, everything moving down).
static bool apartAfter(ScalarEvolution &SE, const SCEV *XL, uint64_t SzL,
                       const SCEV *XS, uint64_t SzS, Loop *L, bool SameIter,
                       Loop *AtL, Loop *AtS) {
  const SCEV *LoL, *HiL, *LoS, *HiS;
  if (!boundsInside(SE, XL, L, LoL, HiL, 0, AtL) ||
      !boundsInside(SE, XS, L, LoS, HiS, 0, AtS))
    return false;
  Type *T = XL->getType();
  if (XS->getType() != T || LoL->getType() != T || LoS->getType() != T)
    return false;
  for (bool Up : {true, false}) {
    SmallVector<const SCEV *, 4> Edges;
    if (!boundUnknown(SE, Up ? LoS : HiS, L, Up, Edges))
      continue;
    bool All = true;
    for (const SCEV *Edge : Edges) {
      const SCEV *Next = nextMonotone(SE, Edge, L, Up);
      if (!Next) {
        All = false;
        break;
      }
      const SCEV *First = SameIter ? Edge : Next;
      const SCEV *Diff =
          Up ? SE.getMinusSCEV(First, SE.getAddExpr(HiL, SE.getConstant(T, SzL)))
             : SE.getMinusSCEV(LoL, SE.getAddExpr(First, SE.getConstant(T, SzS)));
      All = All && !isa<SCEVCouldNotCompute>(Diff) && SE.isKnownNonNegative(Diff);
    }
    if (All)
      return true;
  }
  return false;
}

// The lowest and highest value `S` takes over the whole run of top-level
// loop `L` (see `boundsInside`; `L`'s own recurrences at their first and
// last iterations); false where unknown.
static bool boundsThrough(ScalarEvolution &SE, const SCEV *S, Loop *L,
                          const SCEV *&Lo, const SCEV *&Hi, Loop *At) {
  const SCEV *Lo1, *Hi1;
  if (!boundsInside(SE, S, L, Lo1, Hi1, 0, At))
    return false;
  const SCEV *Btc = usableCount(SE, SE.getBackedgeTakenCount(L), L);
  auto Ends = [&](const SCEV *X, bool Low, const SCEV *&Out) {
    if (SE.isLoopInvariant(X, L)) {
      Out = X;
      return true;
    }
    auto *AR = dyn_cast<SCEVAddRecExpr>(X);
    auto *C = AR && AR->getLoop() == L && AR->isAffine()
                  ? dyn_cast<SCEVConstant>(AR->getStepRecurrence(SE))
                  : nullptr;
    if (!C || !Btc)
      return false;
    bool Up = C->getAPInt().isNonNegative();
    if (Low == Up) {
      Out = AR->getStart();
      return true;
    }
    Out = SE.getAddExpr(AR->getStart(),
                        SE.getMulExpr(C, SE.getTruncateOrZeroExtend(Btc, C->getType())));
    return true;
  };
  return Ends(Lo1, true, Lo) && Ends(Hi1, false, Hi);
}

// `boundsThrough` over the whole run of `L` and then over the runs of the
// loops around it, outward (the bounds of an inner loop's value over the
// values its enclosing loops' recurrences take; the same as
// `boundsThrough` for a top-level `L`).
static bool boundsThroughOut(ScalarEvolution &SE, const SCEV *S, Loop *L,
                             const SCEV *&Lo, const SCEV *&Hi, Loop *At) {
  if (!boundsThrough(SE, S, L, Lo, Hi, At))
    return false;
  for (Loop *P = L->getParentLoop(); P; P = P->getParentLoop()) {
    const SCEV *Lo1, *Hi1, *Lo2, *Hi2;
    if (!boundsThrough(SE, Lo, P, Lo1, Hi1, nullptr) ||
        !boundsThrough(SE, Hi, P, Lo2, Hi2, nullptr))
      return false;
    Lo = Lo1;
    Hi = Hi2;
  }
  return true;
}

// Whether store `St`, which runs in top-level loop `L` around load `Ld`,
// never writes a byte the load read, in the load's iteration of `L`
// (`SameIter`: the store can follow the load in it) or any later one, where
// both address one block `Base + Off` as a matrix with rows of `N * G`
// bytes (`Off = N * Q + R`, `Q` a multiple of `G`, `0 <= R` and `R` plus
// the access's width at most `N * G` throughout `L`): then the two never
// overlap when their rows differ (`Q` apart) or their bytes within rows do
// (`R` apart). Cholesky's column `j` (written in step `j` only) against
// columns `k < j` read in step `j`; LU's rows below the pivot row.
static bool apartAsMatrixAs(ScalarEvolution &SE, const SCEV *OffL, uint64_t SzL,
                            const SCEV *OffS, uint64_t SzS, Loop *L,
                            bool SameIter, Loop *AtL, Loop *AtS) {
  // candidate row widths: loop-invariant factors of the products in either
  // address (`i * n`)
  SmallVector<const SCEV *, 4> Ns;
  auto Collect = [&](const SCEV *X) {
    // (visits every subexpression; the predicate never matches)
    SCEVExprContains(X, [&](const SCEV *Y) {
      if (auto *M = dyn_cast<SCEVMulExpr>(Y))
        for (const SCEV *Op : M->operands())
          if (!isa<SCEVConstant>(Op) && SE.isLoopInvariant(Op, L) &&
              !is_contained(Ns, Op) && Ns.size() < 4)
            Ns.push_back(Op);
      return false;
    });
  };
  Collect(OffL);
  Collect(OffS);
  Type *T = OffL->getType();
  for (const SCEV *N : Ns) {
    if (N->getType() != T)
      continue;
    const SCEV *QL, *RL, *QS, *RS;
    SCEVDivision::divide(SE, OffL, N, &QL, &RL);
    SCEVDivision::divide(SE, OffS, N, &QS, &RS);
    if (!QL || !RL || !QS || !RS || QL->isZero() || QS->isZero() ||
        !SE.getMinusSCEV(OffL, SE.getAddExpr(SE.getMulExpr(N, QL), RL))->isZero() ||
        !SE.getMinusSCEV(OffS, SE.getAddExpr(SE.getMulExpr(N, QS), RS))->isZero())
      continue;
    unsigned Tz = std::min(std::min(SE.getMinTrailingZeros(QL), SE.getMinTrailingZeros(QS)), 16u);
    const SCEV *Width = SE.getMulExpr(N, SE.getConstant(T, uint64_t(1) << Tz));
    bool InRows = true;
    for (auto [R, Sz, At] : {std::tuple{RL, SzL, AtL}, std::tuple{RS, SzS, AtS}}) {
      const SCEV *Lo, *Hi;
      InRows = InRows && boundsThroughOut(SE, R, L, Lo, Hi, At) &&
               SE.isKnownNonNegative(Lo) &&
               SE.isKnownNonNegative(SE.getMinusSCEV(
                   Width, SE.getAddExpr(Hi, SE.getConstant(T, Sz))));
    }
    if (!InRows)
      continue;
    if (apartAfter(SE, RL, SzL, RS, SzS, L, SameIter, AtL, AtS) ||
        apartAfter(SE, QL, 1, QS, 1, L, SameIter, AtL, AtS))
      return true;
  }
  return false;
}

// A product over a sum, `8 * (i * n + j)`, as the sum of products, `8 * i *
// n + 8 * j`: the same value (modular arithmetic distributes), written so
// that `SCEVDivision` finds the row width in a term. ScalarEvolution keeps
// such a product whole when the sum has no constant term, and the division
// does not look inside it: a loop over rows two at a time (`l[(i + 1) * n +
// j]`, its start past a remainder) would leave its whole offset as the
// remainder. `Budget` bounds the work on large expressions.
struct DistributeProducts : public SCEVRewriteVisitor<DistributeProducts> {
  unsigned Budget = 32;
  explicit DistributeProducts(ScalarEvolution &SE) : SCEVRewriteVisitor(SE) {}
  const SCEV *visitMulExpr(const SCEVMulExpr *M) {
    SmallVector<const SCEV *, 4> Ops;
    for (const SCEV *Op : M->operands())
      Ops.push_back(visit(Op));
    for (unsigned I = 0; I < Ops.size() && Budget > 0; ++I) {
      auto *Sum = dyn_cast<SCEVAddExpr>(Ops[I]);
      if (!Sum)
        continue;
      --Budget;
      SmallVector<const SCEV *, 4> Terms;
      for (const SCEV *T : Sum->operands()) {
        SmallVector<const SCEV *, 4> P(Ops);
        P[I] = T;
        Terms.push_back(visit(SE.getMulExpr(P)));
      }
      return SE.getAddExpr(Terms);
    }
    return SE.getMulExpr(Ops);
  }
};

// `apartAsMatrixAs` on the offsets as they are and, failing that, with
// products distributed over sums (`DistributeProducts`).
static bool apartAsMatrix(ScalarEvolution &SE, const SCEV *OffL, uint64_t SzL,
                          const SCEV *OffS, uint64_t SzS, Loop *L,
                          bool SameIter, Loop *AtL, Loop *AtS) {
  if (apartAsMatrixAs(SE, OffL, SzL, OffS, SzS, L, SameIter, AtL, AtS))
    return true;
  const SCEV *DL = DistributeProducts(SE).visit(OffL);
  const SCEV *DS = DistributeProducts(SE).visit(OffS);
  if (DL == OffL && DS == OffS)
    return false;
  return apartAsMatrixAs(SE, DL, SzL, DS, SzS, L, SameIter, AtL, AtS);
}

// Whether store `St` never writes a byte load `Ld` read, at any time after
// the load, when both run inside one top-level loop `L` (the store perhaps
// in loops nested in it, the load anywhere in it): their addresses, offsets
// from one base, keep apart (`apartAfter`) either directly or as a matrix
// (`apartAsMatrix`), over the rest of the load's iteration of `L` (only if
// the store can follow the load in it) and every later iteration.
static bool frontierInNest(FnScev &A, const DataLayout &DL, LoadInst *Ld,
                           StoreInst *St, DenseMap<Loop *, bool> &EnteredOnce) {
  ScalarEvolution &SE = A.SE;
  Loop *L = A.LI.getLoopFor(St->getParent());
  if (!L)
    return false;
  while (L->getParentLoop())
    L = L->getParentLoop();
  BasicBlock *LB = Ld->getParent(), *SB = St->getParent(), *H = L->getHeader();
  if (!L->contains(LB))
    return false;
  // entered once per call: not inside a cycle that loop info does not see
  // (an irreducible one)
  auto [Once, Fresh] = EnteredOnce.try_emplace(L, true);
  if (Fresh) {
    SmallVector<BasicBlock *, 8> Exits;
    L->getExitBlocks(Exits);
    SmallPtrSet<BasicBlock *, 32> Seen;
    SmallVector<BasicBlock *, 32> Work(Exits.begin(), Exits.end());
    while (!Work.empty() && Once->second) {
      BasicBlock *B = Work.pop_back_val();
      Once->second = B != H;
      if (Seen.insert(B).second)
        Work.append(succ_begin(B), succ_end(B));
    }
  }
  if (!Once->second)
    return false;
  // can the store follow the load without passing L's header again?
  bool SameIter = false;
  if (LB == SB)
    SameIter = Ld->comesBefore(St);
  if (!SameIter) {
    SmallPtrSet<BasicBlock *, 32> Seen;
    SmallVector<BasicBlock *, 32> Work(succ_begin(LB), succ_end(LB));
    while (!Work.empty() && !SameIter) {
      BasicBlock *B = Work.pop_back_val();
      if (B == H || !L->contains(B) || !Seen.insert(B).second)
        continue;
      SameIter = B == SB;
      Work.append(succ_begin(B), succ_end(B));
    }
  }
  TypeSize SSz = DL.getTypeStoreSize(St->getValueOperand()->getType());
  TypeSize LSz = DL.getTypeStoreSize(Ld->getType());
  if (SSz.isScalable() || LSz.isScalable())
    return false;
  const SCEV *PL = SE.getSCEV(Ld->getPointerOperand());
  const SCEV *PS = SE.getSCEV(St->getPointerOperand());
  const SCEV *Base = SE.getPointerBase(PL);
  if (Base != SE.getPointerBase(PS) || isa<SCEVCouldNotCompute>(Base))
    return false;
  const SCEV *OffL = SE.getMinusSCEV(PL, Base), *OffS = SE.getMinusSCEV(PS, Base);
  if (isa<SCEVCouldNotCompute>(OffL) || isa<SCEVCouldNotCompute>(OffS) ||
      !OffL->getType()->isIntegerTy() || OffL->getType() != OffS->getType())
    return false;
  Loop *AtL = A.LI.getLoopFor(LB), *AtS = A.LI.getLoopFor(SB);
  return apartAfter(SE, OffL, LSz.getFixedValue(), OffS, SSz.getFixedValue(), L,
                    SameIter, AtL, AtS) ||
         apartAsMatrix(SE, OffL, LSz.getFixedValue(), OffS, SSz.getFixedValue(),
                       L, SameIter, AtL, AtS);
}

// For each pair (Loads[K], Stores[K]) of one function: 1 when the store
// never writes a byte the load read, at any time after the load: the store
// is in a loop `L` outside every other loop (entered once per call), its
// address moves by at least its size in one direction each iteration of `L`
// (`y[i] = ...`), and the load, inside `L`, reads only bytes on the side the
// store has already passed (`y[j]`, `j < i`, in forward substitution; with
// `i` counting down, `x[j]`, `j > i`, in back substitution). Those bytes
// then keep their value to the end of the call, so the reverse sweep may
// read them again (`reverse/rereads.rs`). Or, across a loop nest, as
// `frontierInNest` proves (a factorization's finished rows or columns).
extern "C" void ferment_frontier_rereads(LLVMValueRef FV, LLVMValueRef *Loads,
                                         LLVMValueRef *Stores, unsigned N,
                                         int *Out) {
  for (unsigned K = 0; K < N; ++K)
    Out[K] = 0;
  if (OptNoFrontierRereads || N == 0)
    return;
  Function *F = unwrap<Function>(FV);
  FnScev A(*F);
  const DataLayout &DL = F->getParent()->getDataLayout();
  DenseMap<Loop *, bool> EnteredOnce;
  for (unsigned K = 0; K < N; ++K) {
    auto *Ld = dyn_cast<LoadInst>(unwrap(Loads[K]));
    auto *St = dyn_cast<StoreInst>(unwrap(Stores[K]));
    if (!Ld || !St || !Ld->isSimple() || !St->isSimple() ||
        Ld->getFunction() != F || St->getFunction() != F)
      continue;
    if (!OptNoNestFrontier && frontierInNest(A, DL, Ld, St, EnteredOnce)) {
      Out[K] = 1;
      continue;
    }
    Loop *L = A.LI.getLoopFor(St->getParent());
    if (!L || L->getParentLoop() || !L->contains(Ld->getParent()))
      continue;
    auto *AR = dyn_cast<SCEVAddRecExpr>(A.SE.getSCEV(St->getPointerOperand()));
    if (!AR || AR->getLoop() != L || !AR->isAffine())
      continue;
    auto *C = dyn_cast<SCEVConstant>(AR->getStepRecurrence(A.SE));
    TypeSize SSz = DL.getTypeStoreSize(St->getValueOperand()->getType());
    TypeSize LSz = DL.getTypeStoreSize(Ld->getType());
    if (!C || SSz.isScalable() || LSz.isScalable() || C->getAPInt().isZero() ||
        C->getAPInt().abs().ult(SSz.getFixedValue()))
      continue;
    const SCEV *Lo, *Hi;
    if (!boundsInside(A.SE, A.SE.getSCEV(Ld->getPointerOperand()), L, Lo, Hi, 0))
      continue;
    Type *IT = C->getType();
    // counting up: every byte read lies below the store's address in the
    // same iteration; counting down: above its last byte
    const SCEV *Diff =
        C->getAPInt().isStrictlyPositive()
            ? A.SE.getMinusSCEV(
                  AR, A.SE.getAddExpr(Hi, A.SE.getConstant(IT, LSz.getFixedValue())))
            : A.SE.getMinusSCEV(
                  Lo, A.SE.getAddExpr(AR, A.SE.getConstant(IT, SSz.getFixedValue())));
    if (isa<SCEVCouldNotCompute>(Diff) || !Diff->getType()->isIntegerTy())
      continue;
    Out[K] = A.SE.isKnownNonNegative(Diff) ? 1 : 0;
  }
}

// ---- independent outer iterations of a serial sum run two at a time --------

// Whether simple accesses `X` and `Y` (loads or stores in loop `L`) never
// touch a common byte when `X` runs in one iteration of `L` and `Y` in a
// later iteration of the same run of `L` (the values of `L`'s enclosing
// loops fixed): they address two distinct identified objects, or offsets
// from one base that does not vary in `L` which keep apart (`apartAfter`)
// directly or as rows of a matrix (`apartAsMatrix`).
static bool apartInLaterIterations(FnScev &A, const DataLayout &DL,
                                   Instruction *X, Instruction *Y, Loop *L) {
  Value *PX = getLoadStorePointerOperand(X), *PY = getLoadStorePointerOperand(Y);
  TypeSize SX = DL.getTypeStoreSize(getLoadStoreType(X));
  TypeSize SY = DL.getTypeStoreSize(getLoadStoreType(Y));
  if (!PX || !PY || SX.isScalable() || SY.isScalable())
    return false;
  const Value *OX = getUnderlyingObject(PX, 12), *OY = getUnderlyingObject(PY, 12);
  if (OX != OY && isIdentifiedObject(OX) && isIdentifiedObject(OY))
    return true;
  ScalarEvolution &SE = A.SE;
  const SCEV *SPX = SE.getSCEV(PX), *SPY = SE.getSCEV(PY);
  const SCEV *Base = SE.getPointerBase(SPX);
  if (isa<SCEVCouldNotCompute>(Base) || Base != SE.getPointerBase(SPY) ||
      !SE.isLoopInvariant(Base, L))
    return false;
  const SCEV *OffX = SE.getMinusSCEV(SPX, Base), *OffY = SE.getMinusSCEV(SPY, Base);
  if (isa<SCEVCouldNotCompute>(OffX) || isa<SCEVCouldNotCompute>(OffY) ||
      !OffX->getType()->isIntegerTy() || OffX->getType() != OffY->getType())
    return false;
  Loop *AtX = A.LI.getLoopFor(X->getParent()), *AtY = A.LI.getLoopFor(Y->getParent());
  return apartAfter(SE, OffX, SX.getFixedValue(), OffY, SY.getFixedValue(), L,
                    false, AtX, AtY) ||
         apartAsMatrix(SE, OffX, SX.getFixedValue(), OffY, SY.getFixedValue(),
                       L, false, AtX, AtY);
}

// Whether the final value of sum `N` (the next value of a header phi of
// innermost loop `S`) feeds something after `S` other than a store of it
// (through the exit block's phis): a factorization's `t / d`, `sqrt(s)`.
// A sum that is only stored (`y[i] = s`, a matrix-vector product) leaves
// the derivative's forward sweep no chain to overlap where the function
// is linear in it (the derivative drops it), and its pairing then only
// reshapes the reverse sweep, into more shadow streams per pass (matvec's
// gradient 0.75x -> 1.0x the hand-written adjoint, session 39).
static bool sumFeedsArithmetic(Loop *S, Instruction *N) {
  SmallVector<Value *, 4> Work{N};
  SmallPtrSet<Value *, 8> Seen;
  while (!Work.empty()) {
    Value *V = Work.pop_back_val();
    if (!Seen.insert(V).second)
      continue;
    for (User *U : V->users()) {
      auto *I = dyn_cast<Instruction>(U);
      if (!I || S->contains(I))
        continue;
      if (isa<PHINode>(I)) {
        Work.push_back(I);
        continue;
      }
      if (auto *St = dyn_cast<StoreInst>(I); St && St->getValueOperand() == V)
        continue;
      return true;
    }
  }
  return false;
}

// Whether innermost loop `S` carries a floating-point sum in source order
// (a header phi whose next value adds to it with `fadd`/`fsub` without
// `reassoc`, or is the addend of `fmuladd`/`fma`): its iterations wait on
// one another's additions.
static bool carriesSerialSum(Loop *S) {
  BasicBlock *Latch = S->getLoopLatch();
  for (PHINode &P : S->getHeader()->phis()) {
    if (!P.getType()->isFloatingPointTy())
      continue;
    auto *N = dyn_cast<Instruction>(P.getIncomingValueForBlock(Latch));
    if (!N || !S->contains(N))
      continue;
    bool Serial = false;
    if ((N->getOpcode() == Instruction::FAdd ||
         (N->getOpcode() == Instruction::FSub && N->getOperand(0) == &P)) &&
        !N->hasAllowReassoc() && is_contained(N->operands(), &P))
      Serial = true;
    if (auto *II = dyn_cast<IntrinsicInst>(N))
      if ((II->getIntrinsicID() == Intrinsic::fmuladd ||
           II->getIntrinsicID() == Intrinsic::fma) &&
          II->getArgOperand(2) == &P && !II->hasAllowReassoc())
        Serial = true;
    if (Serial && sumFeedsArithmetic(S, N))
      return true;
  }
  return false;
}

// Whether loop `L` (one innermost subloop `S`) may run two iterations at a
// time with their inner loops fused, `Fore(i) Fore(i+1) {S(i, k) S(i+1, k)}
// Aft(i) Aft(i+1)` (LLVM's `UnrollAndJamLoop`): the shape that utility
// needs (both loops in simplify and rotated form, one exit each, one block
// after `S`, `S`'s trip count the same in every iteration of `L`, `L`'s
// next header values computable before `S`), nothing that may throw or
// touch memory but simple loads and stores, and every pair of them, one a
// store, apart across iterations of `L` both ways
// (`apartInLaterIterations`): then no order between two iterations matters.
static bool jamMemoryApart(FnScev &A, const DataLayout &DL, Loop *L);

static bool jamLegal(FnScev &A, const DataLayout &DL, Loop *L) {
  if (L->getSubLoops().size() != 1)
    return false;
  Loop *S = L->getSubLoops()[0];
  if (!S->getSubLoops().empty())
    return false;
  for (Loop *X : {L, S})
    if (!X->isLoopSimplifyForm() || !X->isRotatedForm() ||
        X->getHeader()->hasAddressTaken() || !X->getExitBlock() ||
        !X->getExitingBlock())
      return false;
  if (!hasIterationCountInvariantInParent(S, A.SE))
    return false;
  BasicBlock *SLatch = S->getLoopLatch(), *SPre = S->getLoopPreheader();
  SmallPtrSet<BasicBlock *, 8> Fore, Aft;
  for (BasicBlock *BB : L->blocks())
    if (!S->contains(BB))
      (A.DT.dominates(SLatch, BB) ? Aft : Fore).insert(BB);
  if (Aft.size() != 1)
    return false;
  for (BasicBlock *BB : Fore)
    if (BB != SPre)
      for (BasicBlock *Succ : successors(BB))
        if (!Fore.count(Succ))
          return false;
  // `L`'s next header values: computable before `S` (the utility moves
  // the ones in the block after `S` there)
  SmallPtrSet<Instruction *, 16> Seen;
  std::function<bool(Instruction *)> Movable = [&](Instruction *I) {
    if (!Seen.insert(I).second)
      return true;
    if (S->contains(I))
      return false;
    if (Aft.count(I->getParent())) {
      if (isa<PHINode>(I) || I->mayHaveSideEffects() || I->mayReadOrWriteMemory())
        return false;
      for (Value *Op : I->operands())
        if (auto *OI = dyn_cast<Instruction>(Op))
          if (!Movable(OI))
            return false;
    }
    return true;
  };
  for (PHINode &P : L->getHeader()->phis())
    if (auto *I = dyn_cast<Instruction>(P.getIncomingValueForBlock(L->getLoopLatch())))
      if (!Movable(I))
        return false;
  return jamMemoryApart(A, DL, L);
}

// The memory part of `jamLegal`: nothing in `L` that may throw or touch
// memory but simple loads and stores, every pair of them (one a store)
// apart across iterations of `L` both ways.
static bool jamMemoryApart(FnScev &A, const DataLayout &DL, Loop *L) {
  SmallVector<Instruction *, 16> Mem;
  unsigned Stores = 0;
  for (BasicBlock *BB : L->blocks())
    for (Instruction &I : *BB) {
      if (I.mayThrow())
        return false;
      if (auto *Ld = dyn_cast<LoadInst>(&I)) {
        if (!Ld->isSimple())
          return false;
        Mem.push_back(&I);
      } else if (auto *St = dyn_cast<StoreInst>(&I)) {
        if (!St->isSimple())
          return false;
        Mem.push_back(&I);
        ++Stores;
      } else if (I.mayReadOrWriteMemory() || I.mayHaveSideEffects()) {
        return false;
      }
    }
  if (Mem.size() > 32 || Stores > 8)
    return false;
  for (Instruction *X : Mem)
    for (Instruction *Y : Mem) {
      if (!isa<StoreInst>(X) && !isa<StoreInst>(Y))
        continue;
      if (!apartInLaterIterations(A, DL, X, Y, L))
        return false;
    }
  return true;
}

// Runs two independent iterations of a loop at a time with their inner
// loops fused where the inner loop is a serial floating-point sum
// (`carriesSerialSum`) and `jamLegal` holds: a factorization's `t -=
// l[i][k] * l[j][k]` for rows `i` and `i + 1` overlaps two chains of
// additions, each in its own order (the same bits), where one row waited
// on the latency of the other. A remainder loop runs an odd last
// iteration. Returns how many loops changed.
// Whether the values `L`'s header takes from its latch depend on nothing
// in `S`, nothing that touches memory and no phi but the header's (a sum
// carried across rows: `jamLegal` checks exactly; this is its part that
// holds before the versioning of `invariantSkipOf`'s branch too).
static bool nextValuesBeforeSub(Loop *L) {
  Loop *S = L->getSubLoops()[0];
  BasicBlock *H = L->getHeader(), *Latch = L->getLoopLatch();
  SmallVector<Instruction *, 16> Work;
  SmallPtrSet<Instruction *, 16> Seen;
  for (PHINode &P : H->phis())
    if (auto *I = dyn_cast<Instruction>(P.getIncomingValueForBlock(Latch)))
      Work.push_back(I);
  while (!Work.empty()) {
    Instruction *I = Work.pop_back_val();
    if (!L->contains(I) || (isa<PHINode>(I) && I->getParent() == H) ||
        !Seen.insert(I).second)
      continue;
    if (S->contains(I) || isa<PHINode>(I) || I->mayReadOrWriteMemory() ||
        I->mayHaveSideEffects())
      return false;
    for (Value *Op : I->operands())
      if (auto *OI = dyn_cast<Instruction>(Op))
        Work.push_back(OI);
  }
  return true;
}

// In loop `L` (one innermost subloop `S`), the branch that skips `S` on a
// condition that does not vary in `L` (a triangular nest's `j > 0` around
// `for (k = 0; k < j; k++)`, which LLVM leaves inside `L`): a conditional
// branch in a block of `L` outside `S` that `S`'s preheader does not
// post-dominate, one successor leading to `S`'s preheader (`Enter` tells
// which), the other not; null where there is none or more than one.
static BranchInst *invariantSkipOf(Loop *L, bool &EnterOnTrue) {
  Loop *S = L->getSubLoops()[0];
  BasicBlock *SPre = S->getLoopPreheader();
  if (!SPre)
    return nullptr;
  BranchInst *Found = nullptr;
  for (BasicBlock *BB : L->blocks()) {
    if (S->contains(BB))
      continue;
    auto *Br = dyn_cast<BranchInst>(BB->getTerminator());
    if (!Br || !Br->isConditional() || BB == L->getLoopLatch())
      continue;
    BasicBlock *T = Br->getSuccessor(0), *E = Br->getSuccessor(1);
    if (T != SPre && E != SPre)
      continue;
    if (Found || !L->isLoopInvariant(Br->getCondition()) || T == E)
      return nullptr;
    Found = Br;
    EnterOnTrue = T == SPre;
  }
  return Found;
}

// Copies loop `L` (preheader `Pre`, one exit block) for the side of its
// invariant branch `G` that skips the inner loop: `Pre` branches on `G`'s
// condition to `L` or the copy, and in `L` `G` always enters the inner
// loop. The copy is the original code. The caller rebuilds its analyses
// (dominators and loops are not updated) and the loop-simplify form.
static void versionOnSkip(Loop *L, BranchInst *G, bool EnterOnTrue) {
  BasicBlock *Pre = L->getLoopPreheader(), *H = L->getHeader();
  BasicBlock *Exit = L->getExitBlock();
  Function *F = H->getParent();
  ValueToValueMapTy VMap;
  SmallVector<BasicBlock *, 16> Copies;
  for (BasicBlock *BB : L->blocks()) {
    BasicBlock *C = CloneBasicBlock(BB, VMap, ".jamskip", F);
    VMap[BB] = C;
    Copies.push_back(C);
  }
  remapInstructionsInBlocks(Copies, VMap);
  // `Exit`'s phis take the copy's values from the copy's blocks
  for (PHINode &P : Exit->phis())
    for (unsigned K = 0, E = P.getNumIncomingValues(); K < E; ++K) {
      BasicBlock *In = P.getIncomingBlock(K);
      if (!L->contains(In))
        continue;
      Value *V = P.getIncomingValue(K);
      Value *M = VMap.lookup(V);
      P.addIncoming(M ? M : V, cast<BasicBlock>(VMap[In]));
    }
  // each loop its own preheader
  LLVMContext &Ctx = F->getContext();
  auto *PA = BasicBlock::Create(Ctx, "jam.enter", F, H);
  auto *PB = BasicBlock::Create(Ctx, "jam.skip", F, cast<BasicBlock>(VMap[H]));
  BranchInst::Create(H, PA);
  BranchInst::Create(cast<BasicBlock>(VMap[H]), PB);
  H->replacePhiUsesWith(Pre, PA);
  cast<BasicBlock>(VMap[H])->replacePhiUsesWith(Pre, PB);
  Instruction *T = Pre->getTerminator();
  BranchInst::Create(EnterOnTrue ? PA : PB, EnterOnTrue ? PB : PA,
                     G->getCondition(), T->getIterator());
  T->eraseFromParent();
  // in `L`, `G` always enters
  BasicBlock *In = G->getSuccessor(EnterOnTrue ? 0 : 1);
  BasicBlock *Skip = G->getSuccessor(EnterOnTrue ? 1 : 0);
  Skip->removePredecessor(G->getParent());
  BranchInst::Create(In, G->getIterator());
  G->eraseFromParent();
}

// In innermost loop `S`, merges header phis that take the same value in
// every iteration: integers with the same start that each step by the same
// operation with the same constant (the copies of one counter that
// unroll-and-jam leaves, one per fused body). Their addresses then become
// one, so the copies' loads of a shared row (`x[j]`) are merged by the CSE
// that follows, and the derivative reads and updates that row's shadow once
// per iteration instead of once per copy. Returns how many were merged.
static unsigned mergeCongruentCounters(Loop *S, DominatorTree &DT) {
  BasicBlock *Pre = S->getLoopPreheader(), *Latch = S->getLoopLatch();
  if (!Pre || !Latch)
    return 0;
  auto Step = [&](PHINode *P) -> BinaryOperator * {
    if (P->getNumIncomingValues() != 2 || !P->getType()->isIntegerTy())
      return nullptr;
    auto *N = dyn_cast<BinaryOperator>(P->getIncomingValueForBlock(Latch));
    if (!N || N->getOperand(0) != P || !isa<ConstantInt>(N->getOperand(1)) ||
        !S->contains(N))
      return nullptr;
    return N;
  };
  SmallVector<PHINode *, 8> Phis;
  for (PHINode &P : S->getHeader()->phis())
    Phis.push_back(&P);
  unsigned Merged = 0;
  for (size_t A = 0; A < Phis.size(); ++A) {
    PHINode *P = Phis[A];
    BinaryOperator *NP = P ? Step(P) : nullptr;
    if (!NP)
      continue;
    for (size_t B = A + 1; B < Phis.size(); ++B) {
      PHINode *Q = Phis[B];
      BinaryOperator *NQ = Q ? Step(Q) : nullptr;
      if (!NQ || NQ == NP || Q->getType() != P->getType() ||
          NQ->getOpcode() != NP->getOpcode() ||
          NQ->getOperand(1) != NP->getOperand(1) ||
          Q->getIncomingValueForBlock(Pre) != P->getIncomingValueForBlock(Pre))
        continue;
      // the survivor's step must dominate every use of the other's
      BinaryOperator *Keep = NP, *Drop = NQ;
      if (!DT.dominates(NP, NQ)) {
        if (!DT.dominates(NQ, NP))
          continue;
        std::swap(Keep, Drop);
      }
      Keep->andIRFlags(Drop);
      PHINode *KeepPhi = Keep == NP ? P : Q, *DropPhi = Keep == NP ? Q : P;
      DropPhi->replaceAllUsesWith(KeepPhi);
      Drop->replaceAllUsesWith(Keep);
      DropPhi->eraseFromParent();
      Drop->eraseFromParent();
      Phis[A] = KeepPhi;
      Phis[B] = nullptr;
      P = KeepPhi;
      NP = Keep;
      ++Merged;
    }
  }
  return Merged;
}

extern "C" unsigned ferment_jam_serial_sums(LLVMValueRef FV) {
  if (OptNoJamSerialSums)
    return 0;
  Function *F = unwrap<Function>(FV);
  const DataLayout &DL = F->getParent()->getDataLayout();
  // A loop larger than this is not copied (compile time, code size).
  const unsigned MaxInsts = 160;
  auto Shape = [&](Loop *L) {
    if (L->getSubLoops().size() != 1 ||
        !L->getSubLoops()[0]->getSubLoops().empty() ||
        !carriesSerialSum(L->getSubLoops()[0]))
      return false;
    unsigned N = 0;
    for (BasicBlock *BB : L->blocks())
      N += BB->size();
    return N <= MaxInsts;
  };
  // The block after the inner loop merged with those after it while each
  // has one predecessor and that one successor (the utility wants one).
  auto MergeAft = [&](FnScev &A, Loop *L) {
    Loop *S = L->getSubLoops()[0];
    BasicBlock *X = S->getExitBlock();
    bool Changed = false;
    while (X) {
      BasicBlock *Next = X->getSingleSuccessor();
      if (!Next || !L->contains(Next) || Next == L->getHeader() ||
          Next->getSinglePredecessor() != X)
        break;
      if (!MergeBlockIntoPredecessor(Next, nullptr, &A.LI, nullptr, nullptr,
                                     false, &A.DT))
        break;
      Changed = true;
    }
    return Changed;
  };
  SmallVector<BasicBlock *, 4> Headers;
  {
    FnScev A(*F);
    for (Loop *L : A.LI.getLoopsInPreorder())
      if (Shape(L))
        Headers.push_back(L->getHeader());
  }
  unsigned Changed = 0;
  for (BasicBlock *H : Headers) {
    // fresh analyses after each change
    auto A = std::make_unique<FnScev>(*F);
    Loop *L = A->LI.getLoopFor(H);
    if (!L || L->getHeader() != H || !Shape(L) || !L->getLoopPreheader() ||
        !L->getExitBlock() || !L->hasDedicatedExits())
      continue;
    // a loop that runs at most once (a remainder loop peeled off by hand)
    // has no two iterations to pair: jamming it only adds code, and a
    // later loop's proofs may then fail to see through it
    if (auto *M = dyn_cast<SCEVConstant>(A->SE.getConstantMaxBackedgeTakenCount(L));
        M && M->getAPInt().isZero())
      continue;
    bool EnterOnTrue = false;
    BranchInst *G = invariantSkipOf(L, EnterOnTrue);
    // the memory accesses first: proven apart, or nothing changes
    if (!nextValuesBeforeSub(L) || !jamMemoryApart(*A, DL, L))
      continue;
    if (G) {
      versionOnSkip(L, G, EnterOnTrue);
      A = std::make_unique<FnScev>(*F);
      L = A->LI.getLoopFor(H);
      if (!L)
        continue;
      simplifyLoop(L, &A->DT, &A->LI, &A->SE, &A->AC, nullptr, false);
      A = std::make_unique<FnScev>(*F);
      L = A->LI.getLoopFor(H);
      if (!L)
        continue;
    }
    if (MergeAft(*A, L)) {
      A = std::make_unique<FnScev>(*F);
      L = A->LI.getLoopFor(H);
      if (!L)
        continue;
    }
    formLCSSARecursively(*L, A->DT, &A->LI, &A->SE);
    A = std::make_unique<FnScev>(*F);
    L = A->LI.getLoopFor(H);
    if (!L || L->getHeader() != H || !Shape(L) || !jamLegal(*A, DL, L))
      continue;
    TargetTransformInfo TTI(DL);
    OptimizationRemarkEmitter ORE(F);
    Loop *Rem = nullptr;
    if (UnrollAndJamLoop(L, 2, 0, 1, false, &A->LI, &A->SE, &A->DT, &A->AC,
                         &TTI, &ORE, &Rem) != LoopUnrollResult::PartiallyUnrolled)
      continue;
    ++Changed;
    {
      FnScev B(*F);
      if (Loop *J = B.LI.getLoopFor(H); J && J->getHeader() == H)
        for (Loop *S : J->getSubLoops())
          mergeCongruentCounters(S, B.DT);
    }
    if (OptPrintTape)
      errs() << "ferment: in '" << F->getName()
             << "', two iterations at a time of the loop at block '"
             << H->getName() << "', their inner sums fused\n";
  }
  return Changed;
}

// The pure address arithmetic (GEPs, casts, integer arithmetic that cannot
// trap) that `V` needs inside loop `L`, appended to `Out` operands first,
// when all of it can move before `At`; false otherwise.
static bool hoistableAddress(Value *V, Loop *L, DominatorTree &DT,
                             Instruction *At,
                             SmallVectorImpl<Instruction *> &Out,
                             unsigned Depth = 0) {
  auto *I = dyn_cast<Instruction>(V);
  if (!I || !L->contains(I) || DT.dominates(I, At) || is_contained(Out, I))
    return true;
  if (Depth > 4 || isa<PHINode>(I) || I->mayReadOrWriteMemory() ||
      !(isa<GetElementPtrInst>(I) || isa<CastInst>(I) ||
        isa<BinaryOperator>(I)) ||
      !isSafeToSpeculativelyExecute(I))
    return false;
  for (Value *Op : I->operands())
    if (!hoistableAddress(Op, L, DT, At, Out, Depth + 1))
      return false;
  Out.push_back(I);
  return true;
}

// An address as `Base + Const + sum(Scale * Index)`, from inbounds GEPs only
// (their offset arithmetic does not wrap, so two addresses into one object
// are equal exactly when these integers are).
struct AffineAddr {
  Value *Base = nullptr;
  APInt Const;
  SmallMapVector<Value *, APInt, 4> Vars;
};
static bool affineAddr(Value *P, const DataLayout &DL, AffineAddr &Out) {
  unsigned W = DL.getIndexTypeSizeInBits(P->getType());
  Out.Const = APInt(W, 0);
  Out.Vars.clear();
  for (unsigned Depth = 0; Depth < 8; ++Depth) {
    auto *G = dyn_cast<GEPOperator>(P);
    if (!G) {
      Out.Base = P;
      return true;
    }
    if (!G->isInBounds())
      return false;
    SmallMapVector<Value *, APInt, 4> V;
    APInt C(W, 0);
    if (!G->collectOffset(DL, W, V, C))
      return false;
    Out.Const += C;
    for (auto &[X, S] : V) {
      auto It = Out.Vars.find(X);
      if (It == Out.Vars.end())
        Out.Vars.insert({X, S});
      else
        It->second += S;
    }
    P = G->getPointerOperand();
  }
  return false;
}

// floor(A / B) for B != 0.
static int64_t floorDiv(int64_t A, int64_t B) {
  int64_t Q = A / B;
  if ((A % B != 0) && ((A < 0) != (B < 0)))
    --Q;
  return Q;
}

// `Guarded`: apart only by the index's range at the store (a branch test on
// the way), which alias analysis does not see.
enum class GuardedAlias { No, Guarded, Must, May };

// Whether the `SSz` bytes a store writes at `SA` may overlap the `LSz` bytes
// a load reads at `LA` (same base). With one index left after the common
// terms cancel, the indices for which they overlap form an interval; the
// store's index is known, at the store, to lie outside it when the branch
// tests on the way exclude it (`LazyValueInfo`: `i != k` behind `if (i !=
// k)`, a row other than the pivot row).
static GuardedAlias guardedAlias(const AffineAddr &SA, uint64_t SSz,
                                 const AffineAddr &LA, uint64_t LSz,
                                 Instruction *At, LazyValueInfo &LVI,
                                 DominatorTree &DT) {
  if (SA.Base != LA.Base)
    return GuardedAlias::May;
  // load offset - store offset = sum(Coef * Var) + D
  SmallMapVector<Value *, APInt, 4> Diff;
  for (auto &[X, S] : LA.Vars)
    Diff.insert({X, S});
  for (auto &[X, S] : SA.Vars) {
    auto It = Diff.find(X);
    if (It == Diff.end())
      Diff.insert({X, -S});
    else
      It->second -= S;
  }
  SmallVector<std::pair<Value *, int64_t>, 2> Terms;
  for (auto &[X, S] : Diff)
    if (!S.isZero()) {
      if (S.getSignificantBits() > 32)
        return GuardedAlias::May;
      Terms.push_back({X, S.getSExtValue()});
    }
  APInt DA = LA.Const - SA.Const;
  if (DA.getSignificantBits() > 48)
    return GuardedAlias::May;
  int64_t D = DA.getSExtValue(), Ls = (int64_t)LSz, Ss = (int64_t)SSz;
  if (Terms.empty()) {
    if (D == 0 && Ls == Ss)
      return GuardedAlias::Must;
    return (D >= Ss || -D >= Ls) ? GuardedAlias::No : GuardedAlias::May;
  }
  if (Terms.size() > 1)
    return GuardedAlias::May;
  // overlap: -Ls < S*X + D < Ss
  auto [X, S] = Terms[0];
  auto *XI = dyn_cast<Instruction>(X);
  if (!X->getType()->isIntegerTy() ||
      X->getType()->getIntegerBitWidth() > 64 || (XI && !DT.dominates(XI, At)))
    return GuardedAlias::May;
  int64_t Lo, Hi; // X in [Lo, Hi] overlaps
  if (S > 0) {
    Lo = floorDiv(-Ls - D, S) + 1;
    Hi = -floorDiv(-(Ss - D), S) - 1; // ceil((Ss - D) / S) - 1
  } else {
    Lo = floorDiv(Ss - D, S) + 1;     // X > (Ss - D) / S
    Hi = -floorDiv(-(-Ls - D), S) - 1; // X < (-Ls - D) / S
  }
  if (Lo > Hi)
    return GuardedAlias::No;
  // GEP indices are sign-extended to the index width
  ConstantRange R =
      LVI.getConstantRange(X, At, /*UndefAllowed=*/false).sextOrTrunc(64);
  ConstantRange Q(APInt(64, (uint64_t)Lo, true),
                  APInt(64, (uint64_t)Hi, true) + 1);
  return R.intersectWith(Q).isEmptySet() ? GuardedAlias::Guarded
                                         : GuardedAlias::May;
}

// In the canonical clone, a load of an element that one store S wrote
// earlier takes S's value when no write on any path from S to the load may
// touch it: stores into the same object at an address that differs in one
// index are cleared by the branch tests on their way (`LazyValueInfo`), any
// other write by alias analysis. Gauss-Jordan's `a[i][j] -= m * a[k][j]` for
// every row `i != k`, rows unrolled: each row re-read the pivot row
// `a[k][j]` after the stores to the earlier rows, which may be row k as far
// as alias analysis knows (`i != k` is a branch, not an alias fact), and
// every re-read was a value of its own on the tape; now they are the pivot
// row's stored values. Only paths without cycles (every variable index
// keeps its value between S and the load), only where the stored value is
// not a loop's that the load is outside of (LCSSA), and only where at least
// one store on the way needed a branch test. Returns how many loads went.
extern "C" unsigned ferment_forward_guarded_stores(LLVMValueRef FV) {
  if (OptNoForwardGuardedStores)
    return 0;
  Function *F = unwrap<Function>(FV);
  if (F->isDeclaration())
    return 0;
  const DataLayout &DL = F->getParent()->getDataLayout();
  DominatorTree DT(*F);
  LoopInfo LI(DT);
  TargetLibraryInfoImpl TLII(F->getParent()->getTargetTriple());
  TargetLibraryInfo TLI(TLII, F);
  AssumptionCache AC(*F);
  BasicAAResult BAR(DL, *F, TLI, AC, &DT);
  ScopedNoAliasAAResult SNA;
  AAResults AA(TLI);
  AA.addAAResult(BAR);
  AA.addAAResult(SNA);
  PassBuilder PB;
  LoopAnalysisManager LAM;
  FunctionAnalysisManager FAM;
  CGSCCAnalysisManager CGAM;
  ModuleAnalysisManager MAM;
  PB.registerModuleAnalyses(MAM);
  PB.registerCGSCCAnalyses(CGAM);
  PB.registerFunctionAnalyses(FAM);
  PB.registerLoopAnalyses(LAM);
  PB.crossRegisterProxies(LAM, FAM, CGAM, MAM);
  LazyValueInfo &LVI = FAM.getResult<LazyValueAnalysis>(*F);

  // Stores into objects some load reads with a variable index: only loads
  // whose address has a store into the same base are worth a walk.
  SmallPtrSet<Value *, 16> StoredBases;
  for (BasicBlock &BB : *F)
    for (Instruction &I : BB)
      if (auto *S = dyn_cast<StoreInst>(&I))
        StoredBases.insert(getUnderlyingObject(S->getPointerOperand()));

  SmallVector<std::pair<LoadInst *, StoreInst *>, 16> Found;
  for (BasicBlock &BB : *F) {
    for (Instruction &I : BB) {
      auto *Ld = dyn_cast<LoadInst>(&I);
      if (!Ld || !Ld->isSimple() || Ld->getType()->isAggregateType() ||
          !StoredBases.count(getUnderlyingObject(Ld->getPointerOperand())))
        continue;
      TypeSize LSz = DL.getTypeStoreSize(Ld->getType());
      AffineAddr LA;
      if (LSz.isScalable() || !affineAddr(Ld->getPointerOperand(), DL, LA))
        continue;
      MemoryLocation Loc = MemoryLocation::get(Ld);
      StoreInst *Source = nullptr;
      bool Fail = false, Guarded = false;
      unsigned Budget = 1500;
      // depth-first, backwards from the load: 0 = unseen, 1 = on the
      // stack (a cycle when met again), 2 = done
      DenseMap<BasicBlock *, int> State;
      // scans `B` backwards from `From` (exclusive; null: its end); true
      // when the walk ends in `B` (the source store found)
      auto Scan = [&](BasicBlock *B, Instruction *From) -> bool {
        auto It = From ? From->getReverseIterator() : B->rbegin();
        if (From)
          ++It;
        for (; It != B->rend(); ++It) {
          Instruction &X = *It;
          if (--Budget == 0) {
            Fail = true;
            return true;
          }
          if (!X.mayWriteToMemory())
            continue;
          if (auto *S = dyn_cast<StoreInst>(&X)) {
            AffineAddr SA;
            TypeSize SSz = DL.getTypeStoreSize(S->getValueOperand()->getType());
            GuardedAlias R = GuardedAlias::May;
            if (S->isSimple() && !SSz.isScalable() &&
                affineAddr(S->getPointerOperand(), DL, SA))
              R = guardedAlias(SA, SSz.getFixedValue(), LA,
                               LSz.getFixedValue(), S, LVI, DT);
            if (R == GuardedAlias::Must &&
                S->getValueOperand()->getType() == Ld->getType()) {
              if (Source && Source != S)
                Fail = true;
              Source = S;
              return true;
            }
            if (R == GuardedAlias::Guarded)
              Guarded = true;
            if (R == GuardedAlias::No || R == GuardedAlias::Guarded)
              continue;
            if (R == GuardedAlias::May &&
                AA.isNoAlias(MemoryLocation::get(S), Loc))
              continue;
            Fail = true;
            return true;
          }
          if (isa<LifetimeIntrinsic>(&X) ||
              !isModSet(AA.getModRefInfo(&X, Loc)))
            continue;
          Fail = true;
          return true;
        }
        return false;
      };
      std::function<void(BasicBlock *)> Walk = [&](BasicBlock *B) {
        if (Fail)
          return;
        int &St = State[B];
        if (St == 2)
          return;
        if (St == 1 || State.size() > 32) {
          Fail = true;
          return;
        }
        St = 1;
        if (!Scan(B, nullptr)) {
          if (pred_empty(B))
            Fail = true;
          for (BasicBlock *P : predecessors(B))
            Walk(P);
        }
        State[B] = 2;
      };
      State[Ld->getParent()] = 1;
      if (!Scan(Ld->getParent(), Ld)) {
        if (pred_empty(Ld->getParent()))
          Fail = true;
        for (BasicBlock *P : predecessors(Ld->getParent()))
          Walk(P);
      }
      // only where a branch test was needed: other re-reads are the
      // host's (GVN) to forward, and forwarded here they cost a plain -O2
      // hand-tracking gradient 5% (register pressure) for less tape
      if (Fail || !Guarded || !Source || !DT.dominates(Source, Ld))
        continue;
      // LCSSA: a value of a loop the load is outside of would need an
      // exit phi (the derivative reads loop results through those)
      if (auto *VI = dyn_cast<Instruction>(Source->getValueOperand()))
        if (Loop *VL = LI.getLoopFor(VI->getParent()))
          if (!VL->contains(Ld->getParent()))
            continue;
      // the variable indices keep their values from the store on
      for (auto &[X, S] : LA.Vars)
        if (auto *XI = dyn_cast<Instruction>(X))
          if (!DT.dominates(XI, Source))
            Fail = true;
      if (!Fail)
        Found.push_back({Ld, Source});
    }
  }
  for (auto &[Ld, S] : Found) {
    Ld->replaceAllUsesWith(S->getValueOperand());
    Ld->eraseFromParent();
  }
  return Found.size();
}

// In every innermost loop of `FV`, moves into the loop header each load
// that reads, one iteration later, the element a store of the loop wrote
// (address = the store's address minus its constant step: `x[j-1]` after
// `x[j] = ...`, an in-place Gauss-Seidel sweep), when the load sits in a
// block after the header that runs on every iteration (it dominates the
// latch and every exiting block) and nothing before it in the iteration may
// write memory, throw or stop (so it reads the same value earlier). Its
// pure address arithmetic moves with it. Why: LLVM's loop-load elimination
// forwards a stored value to the next iteration's load only when the load
// is in the header; behind a boundary test (`i > 0`, loop-invariant, which
// the host's -O2 pipeline does not unswitch) the recurrence went through
// memory, a store-to-load round trip on every iteration of a loop whose
// speed is that latency. Returns how many loads moved.
extern "C" unsigned ferment_hoist_carried_loads(LLVMValueRef FV) {
  if (OptNoHoistCarriedLoads)
    return 0;
  Function *F = unwrap<Function>(FV);
  FnScev A(*F);
  DominatorTree &DT = A.DT;
  LoopInfo &LI = A.LI;
  ScalarEvolution &SE = A.SE;
  const DataLayout &DL = F->getParent()->getDataLayout();
  unsigned Moved = 0;
  for (Loop *L : LI.getLoopsInPreorder()) {
    BasicBlock *H = L->getHeader(), *Latch = L->getLoopLatch();
    if (!L->isInnermost() || !Latch || !L->getLoopPreheader())
      continue;
    SmallVector<BasicBlock *, 4> Exiting;
    L->getExitingBlocks(Exiting);
    // the stores' addresses: affine in L with a constant step
    SmallVector<std::pair<const SCEV *, TypeSize>, 8> Stored;
    for (BasicBlock *BB : L->blocks())
      for (Instruction &I : *BB)
        if (auto *S = dyn_cast<StoreInst>(&I))
          if (S->isSimple())
            if (auto *AR = dyn_cast<SCEVAddRecExpr>(
                    SE.getSCEV(S->getPointerOperand())))
              if (AR->getLoop() == L && AR->isAffine() &&
                  isa<SCEVConstant>(AR->getStepRecurrence(SE)))
                Stored.push_back(
                    {AR, DL.getTypeStoreSize(S->getValueOperand()->getType())});
    if (Stored.empty())
      continue;
    auto Carried = [&](LoadInst *Ld) {
      const SCEV *P = SE.getSCEV(Ld->getPointerOperand());
      TypeSize Sz = DL.getTypeStoreSize(Ld->getType());
      for (auto &[S, SSz] : Stored) {
        if (SSz != Sz || S->getType() != P->getType())
          continue;
        const SCEV *Step = cast<SCEVAddRecExpr>(S)->getStepRecurrence(SE);
        if (SE.getMinusSCEV(S, P) == Step)
          return true;
      }
      return false;
    };
    SmallVector<LoadInst *, 4> Cands;
    for (BasicBlock *B : L->blocks()) {
      if (B == H || !DT.dominates(B, Latch) ||
          !all_of(Exiting, [&](BasicBlock *E) { return DT.dominates(B, E); }))
        continue;
      for (Instruction &I : *B)
        if (auto *Ld = dyn_cast<LoadInst>(&I))
          if (Ld->isSimple() && Carried(Ld))
            Cands.push_back(Ld);
    }
    for (LoadInst *Ld : Cands) {
      BasicBlock *B = Ld->getParent();
      // what runs before the load in an iteration: the loop's blocks that
      // the load's block does not dominate, and its own instructions before
      // the load
      bool Clean = true;
      for (BasicBlock *X : L->blocks()) {
        if (X != B && DT.dominates(B, X))
          continue;
        for (Instruction &I : *X) {
          if (&I == Ld)
            break;
          if (I.mayWriteToMemory() || I.mayThrow() ||
              !isGuaranteedToTransferExecutionToSuccessor(&I)) {
            Clean = false;
            break;
          }
        }
        if (!Clean)
          break;
      }
      Instruction *At = H->getTerminator();
      SmallVector<Instruction *, 4> Addr;
      if (!Clean ||
          !hoistableAddress(Ld->getPointerOperand(), L, DT, At, Addr))
        continue;
      for (Instruction *I : Addr)
        I->moveBefore(At->getIterator());
      Ld->moveBefore(At->getIterator());
      ++Moved;
    }
  }
  return Moved;
}

// Peels the last iteration off a derivative loop that tests its induction
// variable against a loop-invariant bound, `i < n - 1 ? y[i + 1] : y[i]`,
// where the test has one value in the last iteration and the other in the
// one before it (the test being monotonic in the variable, it has that
// other value in every earlier iteration): the loop left then tests a value
// known in all its iterations, which the induction-variable simplification
// after the peel folds, and the selected address becomes affine (without
// the peel the vectorizer gathers it). The first iteration likewise, where
// the test has one value there and the other in the second: a reverse loop
// runs the primal's last iteration first (`k + 1 < n - 1` over `k = n - 2
// .. 0`). Scalar evolution proves the two values, or, where it cannot (it
// does not know that `n - 2` does not wrap without a guard on `n` it can
// reach), the no-wrap flag that makes the test monotonic does: when the
// bound is the variable's value in one of the two iterations, the other
// iteration's value differs from it by the step, without wrapping.
// LLVM's own peeling finds such a last iteration only where the test's
// value in the first iteration is known (its search negates the test
// otherwise, and then asks for the negated value in the last iteration),
// and peels either the first iterations or the last one per run: a loop
// from which the host's pipeline peeled `i > 0` keeps its `i < n - 1`
// (rk4's right neighbour). LLVM's `peelLoop` keeps a loop that runs once
// (or never) correct: it tests the count before the peeled copy, and the
// iterations the loop left never runs make no claim.
// Returns how many loops lost an iteration.
extern "C" unsigned ferment_peel_last_iterations(LLVMValueRef FV) {
  if (OptNoPeelLast)
    return 0;
  Function *F = unwrap<Function>(FV);
  FnScev A(*F);
  DominatorTree &DT = A.DT;
  LoopInfo &LI = A.LI;
  ScalarEvolution &SE = A.SE;
  // A loop body larger than this is not copied (compile time, code size).
  const unsigned MaxInsts = 400;
  // `P(Rest, Y)` when it differs from `P(Edge, Y)`, for two consecutive
  // values of a recurrence whose no-wrap flag makes `P` monotonic (`Edge =
  // Rest + Delta` exactly, `Delta` of sign `Sign`), and `Y` equal to one of
  // them: `P(x, x)` is `P`'s value on equal operands, and the other
  // compare's operands differ by `Delta`.
  auto ByFlags = [](ICmpInst::Predicate P, const SCEV *Rest,
                    const SCEV *Edge, int Sign,
                    const SCEV *Y) -> std::optional<bool> {
    bool Below = ICmpInst::isLT(P) || ICmpInst::isLE(P);
    // P(X, Z) where X - Z has sign `D` (not 0)
    auto Apart = [&](int D) { return Below ? D < 0 : D > 0; };
    bool R, E;
    if (Y == Edge) {
      E = ICmpInst::isTrueWhenEqual(P);
      R = Apart(-Sign);
    } else if (Y == Rest) {
      R = ICmpInst::isTrueWhenEqual(P);
      E = Apart(Sign);
    } else {
      return std::nullopt;
    }
    if (R == E)
      return std::nullopt;
    return R;
  };
  // The value `Cond`, a compare in `L`, has in every iteration but the
  // last (`First` false) or but the first (`First` true), when it has the
  // other one there.
  auto Decides = [&](Loop *L, Value *Cond, bool First) -> std::optional<bool> {
    using namespace PatternMatch;
    CmpPredicate Pred;
    Value *X, *Y;
    auto *CI = dyn_cast<ICmpInst>(Cond);
    if (!CI || !L->contains(CI) ||
        !match(Cond, m_ICmp(Pred, m_Value(X), m_Value(Y))) ||
        !X->getType()->isIntegerTy())
      return std::nullopt;
    const SCEV *SX = SE.getSCEV(X), *SY = SE.getSCEV(Y);
    if (!isa<SCEVAddRecExpr>(SX)) {
      std::swap(SX, SY);
      Pred = ICmpInst::getSwappedPredicate(Pred);
    }
    auto *AR = dyn_cast<SCEVAddRecExpr>(SX);
    if (!AR || AR->getLoop() != L || !AR->isAffine() ||
        !SE.isLoopInvariant(SY, L) || !SE.getMonotonicPredicateType(AR, Pred))
      return std::nullopt;
    const SCEV *Btc = SE.getBackedgeTakenCount(L);
    if (isa<SCEVCouldNotCompute>(Btc) || Btc->getType() != AR->getType())
      return std::nullopt;
    auto Guards = ScalarEvolution::LoopGuards::collect(L, SE);
    Btc = SE.applyLoopGuards(Btc, Guards);
    SY = SE.applyLoopGuards(SY, Guards);
    const SCEV *One = SE.getOne(Btc->getType());
    // the iteration that goes, and the one next to it
    const SCEV *Edge, *Rest;
    if (First) {
      Edge = AR->getStart();
      Rest = AR->evaluateAtIteration(One, SE);
    } else {
      Edge = AR->evaluateAtIteration(Btc, SE);
      Rest = AR->evaluateAtIteration(SE.getMinusSCEV(Btc, One), SE);
    }
    ICmpInst::Predicate P = Pred, NotP = ICmpInst::getInversePredicate(P);
    if (SE.isKnownPredicate(P, Rest, SY) && SE.isKnownPredicate(NotP, Edge, SY))
      return true;
    if (SE.isKnownPredicate(NotP, Rest, SY) && SE.isKnownPredicate(P, Edge, SY))
      return false;
    // Consecutive values of a recurrence that wraps neither way (signed
    // compare: `nsw`; unsigned: `nuw` and a positive step, which never
    // wraps below zero) differ by the step as integers.
    auto *Step = dyn_cast<SCEVConstant>(AR->getStepRecurrence(SE));
    if (!Step || Step->getAPInt().isZero())
      return std::nullopt;
    bool Neg = Step->getAPInt().isNegative();
    if (ICmpInst::isSigned(P) ? !AR->hasNoSignedWrap()
                              : !AR->hasNoUnsignedWrap() || Neg)
      return std::nullopt;
    // Edge - Rest: the step after the rest (last), before it (first)
    int Sign = (Neg ? -1 : 1) * (First ? -1 : 1);
    return ByFlags(P, Rest, Edge, Sign, SY);
  };
  // a loop, whether its first iteration goes (else its last), and its
  // compares with the value each has in the iterations left
  struct Cand {
    Loop *L;
    bool First;
    SmallVector<std::pair<ICmpInst *, bool>, 2> Known;
  };
  SmallVector<Cand, 8> Cands;
  for (Loop *L : LI.getLoopsInPreorder()) {
    if (!L->isInnermost() || !canPeel(L))
      continue;
    unsigned Size = 0;
    for (BasicBlock *BB : L->blocks())
      Size += BB->size();
    if (Size > MaxInsts)
      continue;
    // the last iteration where LLVM can peel it, else the first
    for (bool First : {false, true}) {
      if (!First && !canPeelLastIteration(*L, SE))
        continue;
      SmallVector<std::pair<ICmpInst *, bool>, 2> Known;
      for (BasicBlock *BB : L->blocks())
        for (Instruction &I : *BB) {
          Value *Cond = nullptr;
          if (auto *Sel = dyn_cast<SelectInst>(&I))
            Cond = Sel->getCondition();
          else if (auto *Br = dyn_cast<BranchInst>(&I))
            if (Br->isConditional() && BB != L->getLoopLatch())
              Cond = Br->getCondition();
          if (!Cond ||
              any_of(Known, [&](auto &K) { return K.first == Cond; }))
            continue;
          if (std::optional<bool> V = Decides(L, Cond, First))
            Known.push_back({cast<ICmpInst>(Cond), *V});
        }
      if (!Known.empty()) {
        Cands.push_back({L, First, Known});
        break;
      }
    }
  }
  unsigned Peeled = 0;
  for (auto &[L, First, Known] : Cands) {
    bool Lcssa = L->isRecursivelyLCSSAForm(DT, LI);
    ValueToValueMapTy VMap;
    if (!peelLoop(L, 1, /*PeelLast=*/!First, &LI, &SE, DT, &A.AC, Lcssa,
                  VMap))
      continue;
    // `L` now runs the other iterations (the peeled copy has its own
    // compares): each compare has there the value proven above. Scalar
    // evolution does not always prove it again for the shorter loop
    // (`i < n - 1` over 1..n-2 holds only where n - 2 does not wrap).
    for (auto &[Cmp, V] : Known)
      Cmp->replaceUsesWithIf(ConstantInt::getBool(Cmp->getType(), V),
                             [&](Use &U) {
                               auto *I = dyn_cast<Instruction>(U.getUser());
                               return I && L->contains(I);
                             });
    simplifyLoopAfterUnroll(L, /*SimplifyIVs=*/true, &LI, &SE, &DT, &A.AC,
                            nullptr);
    ++Peeled;
  }
  return Peeled;
}

// For each pointer in Ptrs: the signed range [Lo, Hi] of its byte offset
// from Base, by scalar evolution (over the iterations of the loops around
// it); Known = 0 where the difference has no bounded range.
extern "C" void ferment_offset_ranges(LLVMValueRef FV, LLVMValueRef BaseV,
                                      LLVMValueRef *Ptrs, unsigned N,
                                      int64_t *Lo, int64_t *Hi, int *Known) {
  Function *F = unwrap<Function>(FV);
  FnScev A(*F);
  const SCEV *Base = A.SE.getSCEV(unwrap(BaseV));
  for (unsigned K = 0; K < N; ++K) {
    Known[K] = 0;
    const SCEV *Off = A.SE.getMinusSCEV(A.SE.getSCEV(unwrap(Ptrs[K])), Base);
    if (isa<SCEVCouldNotCompute>(Off) || Off->getType()->getIntegerBitWidth() > 64)
      continue;
    ConstantRange R = A.SE.getSignedRange(Off);
    if (R.isFullSet() || R.isEmptySet())
      continue;
    Lo[K] = R.getSignedMin().getSExtValue();
    Hi[K] = R.getSignedMax().getSExtValue();
    Known[K] = 1;
  }
}

// For each of `N` loop headers of `FV`, an upper bound on how many times the
// header runs per entry of the loop (symbolic maximum backedge-taken count
// plus one, as i64), expanded before the preheader's terminator; null where
// scalar evolution cannot bound it or the loop has no preheader. `OutPre`
// receives the preheaders.
//
// `OutNest`/`OutNestPre`: where the loop's exact count is the same in every
// iteration of enclosing loops whose exact counts are known, the bound on
// the header's runs during one entry of the outermost such loop (the
// product of the counts), expanded in that loop's preheader; null
// elsewhere. A loop's preheader runs at most once per iteration of its
// parent, so the product bounds the rows of the whole nest; each count must
// also hold in the parent's iterations that skip its loop
// (`countHoldsAcross`), else the nest stops below that parent. `OutNestCovers`
// is 1 where every count in the product provably keeps its value through
// the sign extension (`signExtensionKeepsCount`): the product then bounds
// the loop's header runs during the nest, and its own entries need no check.
extern "C" void ferment_header_trip_bounds(LLVMValueRef FV,
                                           LLVMBasicBlockRef *Headers,
                                           unsigned N, LLVMValueRef *Out,
                                           LLVMBasicBlockRef *OutPre,
                                           LLVMValueRef *OutNest,
                                           LLVMBasicBlockRef *OutNestPre,
                                           int *OutNestCovers) {
  Function *F = unwrap<Function>(FV);
  FnScev A(*F);
  SCEVExpander Exp(A.SE, "tape.trips");
  Type *I64 = Type::getInt64Ty(F->getContext());
  for (unsigned K = 0; K < N; ++K) {
    Out[K] = nullptr;
    OutPre[K] = nullptr;
    OutNest[K] = nullptr;
    OutNestPre[K] = nullptr;
    OutNestCovers[K] = 0;
    BasicBlock *H = unwrap(Headers[K]);
    Loop *L = A.LI.getLoopFor(H);
    if (!L || L->getHeader() != H)
      continue;
    BasicBlock *Pre = L->getLoopPreheader();
    if (!Pre)
      continue;
    const SCEV *Btc =
        usableCount(A.SE, A.SE.getSymbolicMaxBackedgeTakenCount(L), L);
    if (!Btc)
      continue;
    // A large constant maximum that is not the exact count is the range of
    // the counter's type (the exit compares with a value reloaded in the
    // loop, say a global an opaque call may write), not a bound worth
    // allocating: 2^31 rows of a tape is gigabytes.
    if (auto *C = dyn_cast<SCEVConstant>(Btc)) {
      bool Exact = A.SE.getBackedgeTakenCount(L) == Btc;
      if (C->getAPInt().getActiveBits() > (Exact ? 31u : 20u))
        continue;
    }
    const SCEV *Trips =
        A.SE.getAddExpr(A.SE.getZeroExtendExpr(Btc, I64), A.SE.getOne(I64));
    Instruction *At = Pre->getTerminator();
    if (!Exp.isSafeToExpandAt(Trips, At))
      continue;
    Out[K] = wrap(Exp.expandCodeFor(Trips, I64, At));
    OutPre[K] = wrap(Pre);

    const SCEV *Exact = usableCount(A.SE, A.SE.getBackedgeTakenCount(L), L);
    if (!Exact)
      continue;
    const SCEV *Rows = tripsFromExactCount(A.SE, Exact, I64);
    bool Covers = signExtensionKeepsCount(A.SE, Exact);
    const SCEV *NestRows = nullptr;
    BasicBlock *NestPre = nullptr;
    bool NestCovers = false;
    // the loop whose count the last factor is, and that count
    Loop *Child = L;
    const SCEV *ChildCount = Exact;
    for (Loop *P = L->getParentLoop(); P; P = P->getParentLoop()) {
      BasicBlock *PP = P->getLoopPreheader();
      const SCEV *PCount = usableCount(A.SE, A.SE.getBackedgeTakenCount(P), P);
      if (!PP || !PCount || !A.SE.isLoopInvariant(Rows, P) ||
          !countHoldsAcross(A.SE, A.DT, Child, P, ChildCount))
        break;
      Child = P;
      ChildCount = PCount;
      Rows = A.SE.getMulExpr(Rows, tripsFromExactCount(A.SE, PCount, I64));
      Covers = Covers && signExtensionKeepsCount(A.SE, PCount);
      if (!Exp.isSafeToExpandAt(Rows, PP->getTerminator()))
        break;
      NestRows = Rows;
      NestPre = PP;
      NestCovers = Covers;
    }
    if (NestPre) {
      OutNest[K] = wrap(Exp.expandCodeFor(NestRows, I64, NestPre->getTerminator()));
      OutNestPre[K] = wrap(NestPre);
      OutNestCovers[K] = NestCovers;
    }
  }
}

// Tape rows of loop nests from iteration numbers (issue 19, compile time).
//
// Loop `L`'s tape row is its header's execution count so far, a counter in
// a slot the header loads (`Idx[K]`) and bumps (`Bump[K]`). Where `L` and
// the loops around it up to some `T` run an exact count each that does not
// change inside `T` (`m_X`), and every iteration of each loop `Y` above `L`
// (one exit, at its only latch) enters the loop below it exactly once (its
// preheader dominates `Y`'s latch), the rows are `base + iter_L` with
// `iter_T = k_T`, `iter_X = iter_parent * m_X + k_X`, `k_X` the iteration
// number (one phi per header, shared by every loop below it), and `base`
// the counter at `T`'s preheader, which advances it by the product of the
// counts at once: the same rows in the same order (the reverse sweep walks
// them down as before), without a counter carried through every loop of the
// nest. Other loads of the counter inside `T` must sit in the parent of `L`
// before `L`'s preheader (the counter at `L`'s entry: `base + iter_parent *
// m_L`), else `L` keeps its counter. Returns how many loops it rewrote
// (`Done[K]` 1 for each).
extern "C" unsigned ferment_affine_rows(LLVMValueRef FV, LLVMBasicBlockRef *Headers,
                                        LLVMValueRef *Slots, LLVMValueRef *Idx,
                                        LLVMValueRef *Bump, unsigned N, int *Done) {
  Function *F = unwrap<Function>(FV);
  for (unsigned K = 0; K < N; ++K)
    Done[K] = 0;
  if (OptNoAffineRows)
    return 0;
  FnScev A(*F);
  {
    ReversePostOrderTraversal<Function *> RPOT(F);
    if (containsIrreducibleCFG<const BasicBlock *>(RPOT, A.LI))
      return 0;
  }
  SCEVExpander Exp(A.SE, "tape.rows");
  Type *I64 = Type::getInt64Ty(F->getContext());
  // the exact count of X as i64 trips, or null
  auto Count = [&](Loop *X) -> const SCEV * {
    const SCEV *E = usableCount(A.SE, A.SE.getBackedgeTakenCount(X), X);
    if (!E || !signExtensionKeepsCount(A.SE, E))
      return nullptr;
    return tripsFromExactCount(A.SE, E, I64);
  };
  // k_X: 0 on entry, +1 per back edge (shared by all rewritten loops)
  DenseMap<Loop *, PHINode *> Ks;
  auto KOf = [&](Loop *X) -> Value * {
    auto It = Ks.find(X);
    if (It != Ks.end())
      return It->second;
    BasicBlock *H = X->getHeader();
    IRBuilder<> B(&*H->getFirstInsertionPt());
    PHINode *P = PHINode::Create(I64, 2, "tape.k");
    P->insertBefore(H->begin());
    Value *Next = B.CreateAdd(P, ConstantInt::get(I64, 1), "tape.k.next", true, true);
    for (BasicBlock *Pred : predecessors(H))
      P->addIncoming(X->contains(Pred) ? Next : ConstantInt::get(I64, 0), Pred);
    Ks[X] = P;
    return P;
  };
  // iter_X relative to top T (built once per pair)
  std::map<std::pair<Loop *, Loop *>, Value *> Iters;
  std::map<std::pair<Loop *, Loop *>, Value *> Ms;
  std::function<Value *(Loop *, Loop *)> IterOf = [&](Loop *X, Loop *T) -> Value * {
    auto Key = std::make_pair(X, T);
    if (auto It = Iters.find(Key); It != Iters.end())
      return It->second;
    Value *KX = KOf(X);
    Value *R = KX;
    if (X != T) {
      Value *Up = IterOf(X->getParentLoop(), T);
      IRBuilder<> B(X->getLoopPreheader()->getTerminator());
      Value *Entry = B.CreateMul(Up, Ms[Key], "tape.entry", true, true);
      IRBuilder<> HB(&*X->getHeader()->getFirstInsertionPt());
      R = HB.CreateAdd(Entry, KX, "tape.iter", true, true);
    }
    Iters[Key] = R;
    return R;
  };
  // X's preheader, not run in every iteration of its parent Y: the
  // condition C (and whether X runs when it holds) of a branch G in Y that
  // runs in every iteration, where X's preheader follows the one successor
  // (whose only predecessor is G) on every path and is not reached from the
  // other; null where there is none.
  PostDominatorTree PDT(*F);
  DenseMap<Loop *, std::pair<Value *, bool>> Guards;
  auto Guard = [&](Loop *X, Loop *Y) -> std::pair<Value *, bool> {
    BasicBlock *XPre = X->getLoopPreheader();
    BasicBlock *Latch = Y->getLoopLatch();
    for (DomTreeNode *N = A.DT.getNode(XPre)->getIDom(); N; N = N->getIDom()) {
      BasicBlock *G = N->getBlock();
      if (!Y->contains(G))
        break;
      auto *Br = dyn_cast<BranchInst>(G->getTerminator());
      if (!Br || !Br->isConditional() || A.LI.getLoopFor(G) != Y || !A.DT.dominates(G, Latch))
        continue;
      Value *C = Br->getCondition();
      if (auto *CI = dyn_cast<Instruction>(C); CI && Y->contains(CI->getParent()))
        return {nullptr, false};
      for (unsigned S = 0; S < 2; ++S) {
        BasicBlock *S1 = Br->getSuccessor(S);
        if (S1 == Br->getSuccessor(1 - S) || S1->getSinglePredecessor() != G ||
            !A.DT.dominates(S1, XPre) || !PDT.dominates(XPre, S1))
          continue;
        return {C, S == 0};
      }
      return {nullptr, false};
    }
    return {nullptr, false};
  };
  unsigned Rewritten = 0;
  for (unsigned K = 0; K < N; ++K) {
    BasicBlock *H = unwrap(Headers[K]);
    Loop *L = A.LI.getLoopFor(H);
    auto *Ld = dyn_cast_or_null<LoadInst>(unwrap(Idx[K]));
    auto *St = dyn_cast_or_null<StoreInst>(unwrap(Bump[K]));
    Value *Slot = unwrap(Slots[K]);
    if (!L || L->getHeader() != H || !L->getLoopPreheader() || !Ld || !St ||
        Ld->getParent() != H)
      continue;
    const SCEV *ML = Count(L);
    if (!ML)
      continue;
    // the chain L, parent, ... T and each count
    SmallVector<std::pair<Loop *, const SCEV *>, 4> Chain{{L, ML}};
    for (Loop *Y = L->getParentLoop(); Y; Y = Y->getParentLoop()) {
      Loop *X = Chain.back().first;
      BasicBlock *XPre = X->getLoopPreheader();
      BasicBlock *Latch = Y->getLoopLatch();
      const SCEV *MY = Y->getLoopPreheader() ? Count(Y) : nullptr;
      if (!MY || !Latch || Y->getExitingBlock() != Latch || A.LI.getLoopFor(XPre) != Y ||
          llvm::any_of(Chain, [&](auto &C) { return !A.SE.isLoopInvariant(C.second, Y); }))
        break;
      if (!A.DT.dominates(XPre, Latch)) {
        // entered in every iteration or in none: a guard on a condition
        // from outside the loops (a rotated loop's `n > 0`)
        auto G = Guard(X, Y);
        if (!G.first)
          break;
        Guards[X] = G;
      }
      // every guard below stays the same in Y
      if (llvm::any_of(Chain, [&](auto &C) {
            auto It = Guards.find(C.first);
            if (It == Guards.end())
              return false;
            auto *I = dyn_cast<Instruction>(It->second.first);
            return I && Y->contains(I->getParent());
          }))
        break;
      Chain.push_back({Y, MY});
    }
    // the counts must expand before the top loop
    while (true) {
      Instruction *At = Chain.back().first->getLoopPreheader()->getTerminator();
      if (llvm::all_of(Chain, [&](auto &C) { return Exp.isSafeToExpandAt(C.second, At); }))
        break;
      Chain.pop_back();
      if (Chain.empty())
        break;
    }
    if (Chain.empty())
      continue;
    Loop *T = Chain.back().first;
    Loop *Parent = L->getParentLoop();
    // no return inside T: its rows would not all be taken
    if (llvm::any_of(T->blocks(), [](BasicBlock *BB) {
          return isa<ReturnInst>(BB->getTerminator()) || isa<ResumeInst>(BB->getTerminator());
        }))
      continue;
    // every access of the counter inside T is understood
    SmallVector<LoadInst *, 4> Entries;
    bool Ok = true;
    for (User *U : Slot->users()) {
      auto *I = dyn_cast<Instruction>(U);
      if (!I) {
        Ok = false;
        break;
      }
      if (!T->contains(I->getParent()))
        continue;
      if (I == Ld || I == St)
        continue;
      auto *OL = dyn_cast<LoadInst>(I);
      if (OL && T != L && A.LI.getLoopFor(OL->getParent()) == Parent &&
          A.DT.dominates(OL->getParent(), L->getLoopPreheader())) {
        Entries.push_back(OL);
        continue;
      }
      Ok = false;
      break;
    }
    if (!Ok || St->getPointerOperand() != Slot || Ld->getPointerOperand() != Slot)
      continue;
    // expand the counts before T, then rewrite
    Instruction *TAt = T->getLoopPreheader()->getTerminator();
    Value *Total = nullptr;
    for (auto &[X, M] : Chain) {
      Value *V = Exp.expandCodeFor(M, I64, TAt);
      if (auto It = Guards.find(X); It != Guards.end() && X != T) {
        // no rows where the guard skips the loop
        IRBuilder<> GB(TAt);
        Value *Zero = ConstantInt::get(I64, 0);
        auto [C, RunsIfTrue] = It->second;
        V = RunsIfTrue ? GB.CreateSelect(C, V, Zero) : GB.CreateSelect(C, Zero, V);
      }
      Ms[{X, T}] = V;
      Total = Total ? IRBuilder<>(TAt).CreateMul(Total, V, "tape.nest.rows") : V;
    }
    IRBuilder<> TB(TAt);
    Value *Base = TB.CreateLoad(I64, Slot, "tape.base");
    TB.CreateStore(TB.CreateAdd(Base, Total), Slot);
    Value *IterL = IterOf(L, T);
    IRBuilder<> LB(Ld);
    Ld->replaceAllUsesWith(LB.CreateAdd(Base, IterL, "tape.row"));
    Value *Next = St->getValueOperand();
    St->eraseFromParent();
    Ld->eraseFromParent();
    if (auto *NI = dyn_cast<Instruction>(Next); NI && NI->use_empty())
      NI->eraseFromParent();
    for (LoadInst *OL : Entries) {
      IRBuilder<> EB(OL);
      Value *Up = IterOf(Parent, T);
      Value *At = EB.CreateAdd(Base, EB.CreateMul(Up, Ms[{L, T}]), "tape.at.entry");
      OL->replaceAllUsesWith(At);
      OL->eraseFromParent();
    }
    Done[K] = 1;
    ++Rewritten;
  }
  return Rewritten;
}

// Splits `Cond`'s block right after `Cond` and branches on it into a new,
// unlikely block that falls through to the rest; returns that block's
// terminator (build the conditional code before it).
extern "C" LLVMValueRef ferment_if_then_after(LLVMValueRef CondV) {
  Instruction *Cond = unwrap<Instruction>(CondV);
  MDBuilder MDB(Cond->getContext());
  Instruction *T = SplitBlockAndInsertIfThen(
      Cond, std::next(Cond->getIterator()), /*Unreachable=*/false,
      MDB.createUnlikelyBranchWeights());
  return wrap(T);
}

// The Itanium demangling of `Name` (a C++ function's full signature) into
// `Out`; 0 when it is not a mangled name or does not fit.
extern "C" int ferment_demangle(const char *Name, char *Out, size_t OutLen) {
  char *D = llvm::itaniumDemangle(Name, /*ParseParams=*/true);
  if (!D)
    return 0;
  size_t Len = std::strlen(D);
  int Ok = Len + 1 <= OutLen;
  if (Ok)
    std::memcpy(Out, D, Len + 1);
  std::free(D);
  return Ok;
}

// ---------------------------------------------------------------------------
// Rotation of neighbour accumulations (issue 19, rk4/stencil reverse loops).
//
// The reverse of a loop that reads neighbours `u[i-1], u[i], u[i+1]` adds
// into the shadow elements `du[i-1], du[i], du[i+1]` every iteration: three
// read-modify-writes of memory that the next iteration reads again (a
// dependence of distance one), which keeps the vectorizer out. Each element
// receives its last contribution in one known iteration (the highest
// position when the addresses move down, the lowest when they move up), so
// the sums for the other positions travel to the next iteration in
// registers (phis: a shift register of partial sums) and memory is read and
// written once per iteration, for the element that is complete. What is
// still pending after the last iteration is added back at the loop exit.
//
// A boundary select (`du[i < n-1 ? i+1 : i] += a`, InstCombine's form of a
// boundary test) contributes to both of its positions, each masked by the
// select's condition; an element is only read and written if the original
// loop added into it (a per-position "touched" flag, also carried), so no
// address outside the original accesses is ever dereferenced. A clamped
// index (`du[max(i-2, 0)]`, `du[min(i+1, n-1)]`: InstCombine's smax/smin of
// `i >= 2 ? i-2 : 0`) contributes to its moving position while the clamp's
// test holds, else to the fixed element (`du[0]`), whose partial sum is
// carried through the loop and added at the exit if the loop touched it;
// likewise a pointer select whose one side is loop-invariant.
//
// Legal when: the loop is a single block with a preheader and a single
// exit; each rewritten access is a load, a `fadd` with `reassoc` (ferment's
// accumulations carry it, so the order of the additions is free; or an
// `fsub` of a value from the load, InstCombine's `+= -v`) and a store
// back to the same address, with no write in between; all addresses of a
// family differ by constants, move by one element per iteration and are
// affine in the loop; and no other memory access of the loop may alias the
// family's object (alias analysis with unknown sizes: distinct objects or
// ferment's tape scope), and the loop calls nothing that touches memory.
//
// Where alias analysis cannot tell a family from another access (shadow
// parameters are never `noalias`: the combined derivative of a checkpointed
// segment takes every region's shadow as a plain pointer), the loop is
// versioned instead: the address ranges that the family and each such
// access cover over the whole loop (affine addresses, the trip count known
// on entry) are compared in the preheader, and the rotated loop runs only
// when they are disjoint, the loop as it was otherwise
// (`-ferment-no-rotate-checks` turns this off).
namespace {
struct RotOpt {
  Value *Cond; // null: unconditional
  bool Neg;    // contributes when Cond is false
  const SCEV *S;
  int64_t Pos;
  Value *Anchor; // a pointer whose address is S - AnchorOff bytes
  int64_t AnchorOff;
  // A clamped index `Base[max(x, k)]` (smax/smin/umax/umin): Cond and
  // Anchor (the test `x > k` and `&Base[x]`) are built when the loop is
  // rotated.
  IntrinsicInst *Clamp = nullptr;
};
// The clamp's other side: the fixed element `Base[k]`, which receives the
// contribution when the clamp's test fails.
struct RotFixed {
  IntrinsicInst *Clamp;
  Value *Base;
  Type *ElemTy; // the GEP's source element type
  // Or a pointer select with one loop-invariant side (`c ? &du[i-1] :
  // du`): that side, taken when Cond holds (when it fails with Neg).
  Value *Addr = nullptr;
  Value *Cond = nullptr;
  bool Neg = false;
};
struct RotGroup {
  LoadInst *Ld;
  BinaryOperator *Add;
  StoreInst *St;
  Value *V;
  SmallVector<RotOpt, 2> Opts;
  SmallVector<RotFixed, 1> Fixed;
  int Family = -1;
  bool Sub = false; // `load - V` (InstCombine's form of `+= -V`)
};
struct RotFamily {
  const SCEV *Ref;
  int64_t Step; // bytes per iteration
  SmallVector<unsigned, 4> Groups;
  bool Ok = true;
  // Accesses of the loop that alias analysis cannot separate from the
  // family: tested at run time.
  SmallVector<Instruction *, 4> Overlaps;
};
// A byte range [Lo, Hi) as integer SCEVs, invariant in the loop.
struct RotRange {
  const SCEV *Lo, *Hi;
};
struct RotPlan {
  Loop *L;
  std::vector<RotGroup> Groups;
  std::vector<RotFamily> Families;
  Value *Conflict = nullptr; // set when the loop is versioned
};
} // namespace

// Whether `A` and `B` point into different objects, each a fresh
// allocation, a local, a global or a `noalias` parameter; a null start of a
// phi (`[null, entry], [buffer, allocated]`) is never dereferenced. (The
// shadows of `new`'d buffers are allocated by calls without `noalias`.)
static bool rotDistinctObjects(const Value *A, const Value *B,
                               const TargetLibraryInfo &TLI) {
  SmallVector<const Value *, 4> OA, OB;
  getUnderlyingObjects(A, OA, nullptr, 12);
  getUnderlyingObjects(B, OB, nullptr, 12);
  auto Clean = [&](SmallVectorImpl<const Value *> &O) {
    O.erase(remove_if(O, [](const Value *V) {
              return isa<ConstantPointerNull>(V) &&
                     V->getType()->getPointerAddressSpace() == 0;
            }),
            O.end());
    return !O.empty() && all_of(O, [&](const Value *V) {
      if (isIdentifiedObject(V) || isAllocLikeFn(V, &TLI))
        return true;
      // `operator new` without the `builtin` of clang's own calls.
      auto *CB = dyn_cast<CallBase>(V);
      const Function *Fn = CB ? CB->getCalledFunction() : nullptr;
      // ferment's tape blocks (`ferment.tape.take[.arena]`: a fresh block, or the
      // caller's own previous block grown) hold nothing else.
      if (Fn && (Fn->getName() == "ferment.tape.take" ||
                 Fn->getName() == "ferment.tape.take.arena"))
        return true;
      LibFunc LF;
      return Fn && TLI.getLibFunc(*Fn, LF) && TLI.has(LF) &&
             (LF == LibFunc_Znwm || LF == LibFunc_Znam ||
              LF == LibFunc_ZnwmSt11align_val_t ||
              LF == LibFunc_ZnamSt11align_val_t);
    });
  };
  if (!Clean(OA) || !Clean(OB))
    return false;
  for (const Value *X : OA)
    for (const Value *Y : OB)
      if (X == Y)
        return false;
  return true;
}

// A clamped index with one loop-invariant side: `max(x, k)` / `min(x, k)`
// (smax, smin, umax, umin) is `x` while `x > k` (`x < k`...), else the fixed
// index `k`; `usub.sat(x, c)` (InstCombine's `x >= c ? x - c : 0`) is
// `x - c` while `x > c`, else 0.
struct RotClamp {
  CmpInst::Predicate Pred;
  Value *X;
  Value *Fixed;
  Value *Sub; // usub.sat: the moving index is X - Sub
};

static std::optional<RotClamp> rotClamp(IntrinsicInst *II, Loop *L) {
  if (auto *M = dyn_cast<MinMaxIntrinsic>(II)) {
    Value *A = M->getLHS(), *B = M->getRHS();
    if (L->isLoopInvariant(B) && !L->isLoopInvariant(A))
      return RotClamp{M->getPredicate(), A, B, nullptr};
    if (L->isLoopInvariant(A) && !L->isLoopInvariant(B))
      return RotClamp{M->getPredicate(), B, A, nullptr};
    return std::nullopt;
  }
  if (II->getIntrinsicID() == Intrinsic::usub_sat) {
    Value *A = II->getArgOperand(0), *B = II->getArgOperand(1);
    if (!L->isLoopInvariant(A) && L->isLoopInvariant(B))
      return RotClamp{ICmpInst::ICMP_UGT, A,
                      Constant::getNullValue(A->getType()), B};
  }
  return std::nullopt;
}

// The clamp's test (the moving index is taken) and the moving index.
static std::pair<Value *, Value *> rotClampBuild(IRBuilder<> &Bld,
                                                 const RotClamp &C) {
  Value *Test = Bld.CreateICmp(C.Pred, C.X, C.Sub ? C.Sub : C.Fixed,
                               "rot.clamp");
  Value *Idx = C.Sub ? Bld.CreateSub(C.X, C.Sub, "rot.idx") : C.X;
  return {Test, Idx};
}

// The values `S` takes in the first and the last iteration of `L`: `S`
// invariant in `L`, or affine in it with a constant step of at most 1 MiB
// (no wrap around the address space between two accessed addresses) and
// the backedge count known on entry.
static std::optional<std::pair<const SCEV *, const SCEV *>>
rotEnds(const SCEV *S, Loop *L, ScalarEvolution &SE) {
  if (SE.isLoopInvariant(S, L))
    return std::make_pair(S, S);
  auto *AR = dyn_cast<SCEVAddRecExpr>(S);
  auto *Step =
      AR ? dyn_cast<SCEVConstant>(AR->getStepRecurrence(SE)) : nullptr;
  if (!AR || AR->getLoop() != L || !AR->isAffine() || !Step ||
      Step->getAPInt().getBitWidth() > 64 ||
      Step->getAPInt().abs().ugt(1 << 20))
    return std::nullopt;
  const SCEV *BTC = SE.getBackedgeTakenCount(L);
  if (isa<SCEVCouldNotCompute>(BTC) || !SE.isLoopInvariant(BTC, L))
    return std::nullopt;
  BTC = SE.getTruncateOrZeroExtend(BTC, Step->getType());
  return std::make_pair(AR->getStart(), AR->evaluateAtIteration(BTC, SE));
}

// The bytes an address covers over all iterations of `L` (a single block:
// every access runs in each iteration), or none: invariant in `L`, or
// affine with a constant step of at most 1 MiB, which cannot wrap around
// the address space between two accessed addresses; the backedge count
// known on entry.
static std::optional<RotRange> rotRangeOfPtr(const SCEV *S, uint64_t Size,
                                             Loop *L, ScalarEvolution &SE,
                                             const DataLayout &DL) {
  Type *PT = S->getType();
  if (!PT->isPointerTy())
    return std::nullopt;
  Type *IT = DL.getIntPtrType(PT);
  auto toInt = [&](const SCEV *P) -> const SCEV * {
    const SCEV *I = SE.getPtrToIntExpr(P, IT);
    return isa<SCEVCouldNotCompute>(I) ? nullptr : I;
  };
  auto Ends = rotEnds(S, L, SE);
  if (!Ends)
    return std::nullopt;
  const SCEV *A = toInt(Ends->first), *B = toInt(Ends->second);
  if (!A || !B || !SE.isLoopInvariant(A, L) || !SE.isLoopInvariant(B, L))
    return std::nullopt;
  return RotRange{SE.getUMinExpr(A, B),
                  SE.getAddExpr(SE.getUMaxExpr(A, B),
                                SE.getConstant(IT, Size))};
}

static std::optional<RotRange> rotRangeOf(Instruction *I, Loop *L,
                                          ScalarEvolution &SE,
                                          const DataLayout &DL) {
  Value *Ptr = getLoadStorePointerOperand(I);
  Type *Ty = getLoadStoreType(I);
  if (!Ptr || !Ty || !Ty->isSized() || !SE.isSCEVable(Ptr->getType()))
    return std::nullopt;
  return rotRangeOfPtr(SE.getSCEV(Ptr), DL.getTypeStoreSize(Ty), L, SE, DL);
}

// The range of every position of a family (each select's options counted,
// taken or not).
static std::optional<RotRange> rotFamilyRange(RotPlan &Plan, RotFamily &FF,
                                              ScalarEvolution &SE,
                                              const DataLayout &DL) {
  std::optional<RotRange> R;
  for (unsigned GI : FF.Groups) {
    RotGroup &G = Plan.Groups[GI];
    uint64_t Size = DL.getTypeStoreSize(G.Ld->getType());
    for (RotOpt &O : G.Opts) {
      auto OR = rotRangeOfPtr(O.S, Size, Plan.L, SE, DL);
      if (!OR)
        return std::nullopt;
      R = R ? RotRange{SE.getUMinExpr(R->Lo, OR->Lo),
                       SE.getUMaxExpr(R->Hi, OR->Hi)}
            : *OR;
    }
    for (RotFixed &Fx : G.Fixed) {
      const SCEV *At;
      if (Fx.Addr) {
        At = SE.getSCEV(Fx.Addr);
      } else {
        Value *K = rotClamp(Fx.Clamp, Plan.L)->Fixed;
        Type *IdxTy = DL.getIndexType(Fx.Base->getType());
        At = SE.getAddExpr(
            SE.getSCEV(Fx.Base),
            SE.getMulExpr(SE.getTruncateOrSignExtend(SE.getSCEV(K), IdxTy),
                          SE.getConstant(IdxTy, DL.getTypeAllocSize(Fx.ElemTy),
                                         true)));
      }
      auto OR = rotRangeOfPtr(At, Size, Plan.L, SE, DL);
      if (!OR || !R)
        return std::nullopt;
      R = RotRange{SE.getUMinExpr(R->Lo, OR->Lo),
                   SE.getUMaxExpr(R->Hi, OR->Hi)};
    }
  }
  return R;
}

// The test, in the preheader, that some family's range meets the range of an
// access it was not told apart from; null when none is needed or it cannot
// be expanded there.
static Value *rotExpandChecks(RotPlan &Plan, ScalarEvolution &SE,
                              const DataLayout &DL) {
  Loop *L = Plan.L;
  BasicBlock *P = L->getLoopPreheader();
  Instruction *At = P->getTerminator();
  SCEVExpander Exp(SE, "rot.check");
  SmallVector<std::pair<RotRange, RotRange>, 8> Pairs;
  for (RotFamily &FF : Plan.Families) {
    if (!FF.Ok || FF.Overlaps.empty())
      continue;
    auto Mine = rotFamilyRange(Plan, FF, SE, DL);
    if (!Mine)
      return nullptr;
    for (Instruction *I : FF.Overlaps) {
      auto Other = rotRangeOf(I, L, SE, DL);
      if (!Other)
        return nullptr;
      Pairs.push_back({*Mine, *Other});
    }
  }
  for (auto &[A, B] : Pairs)
    for (const SCEV *S : {A.Lo, A.Hi, B.Lo, B.Hi})
      if (!Exp.isSafeToExpandAt(S, At))
        return nullptr;
  IRBuilder<> Bld(At);
  Value *Any = nullptr;
  for (auto &[A, B] : Pairs) {
    Type *T = A.Lo->getType();
    Value *ALo = Exp.expandCodeFor(A.Lo, T, At);
    Value *AHi = Exp.expandCodeFor(A.Hi, T, At);
    Value *BLo = Exp.expandCodeFor(B.Lo, B.Lo->getType(), At);
    Value *BHi = Exp.expandCodeFor(B.Hi, B.Hi->getType(), At);
    Bld.SetInsertPoint(At);
    Value *Meet = Bld.CreateAnd(Bld.CreateICmpULT(ALo, BHi),
                                Bld.CreateICmpULT(BLo, AHi), "rot.meet");
    Any = Any ? Bld.CreateOr(Any, Meet, "rot.conflict") : Meet;
  }
  return Any;
}

// Versions `Plan.L` on `Plan.Conflict`: the loop itself runs when the test
// is false (and is rotated next), a copy of it, unchanged, when it is true.
static void rotVersion(RotPlan &Plan, DominatorTree &DT, LoopInfo &LI) {
  Loop *L = Plan.L;
  Function *F = L->getHeader()->getParent();
  formLCSSA(*L, DT, &LI, nullptr);
  BasicBlock *Check = L->getLoopPreheader();
  BasicBlock *PH = SplitBlock(Check, Check->getTerminator(), &DT, &LI,
                              nullptr, L->getHeader()->getName() + ".rot.ph");
  ValueToValueMapTy VMap;
  SmallVector<BasicBlock *, 4> Blocks;
  Loop *Orig = cloneLoopWithPreheader(PH, Check, L, VMap, ".rot.orig", &LI,
                                      &DT, Blocks);
  remapInstructionsInBlocks(Blocks, VMap);
  Instruction *T = Check->getTerminator();
  BranchInst::Create(Orig->getLoopPreheader(), PH, Plan.Conflict,
                     T->getIterator());
  T->eraseFromParent();
  // The copy runs only where the arrays overlap: it stays a rolled scalar
  // loop. The host unrolled it and, in an OpenMP region's reverse, also
  // versioned it again in its own loop-load elimination and unrolled both
  // versions: ~280 optimized instructions for a 43-instruction loop in each
  // of omp_stencil's two region reverses (-ferment-unroll-alias-fallbacks:
  // the host's treatment).
  if (!OptUnrollAliasFallbacks)
    keepLoopRolled(Orig);
  // The exits' phis take the copy's values too.
  BasicBlock *Latch = L->getLoopLatch();
  auto *OrigLatch = cast<BasicBlock>(VMap[Latch]);
  for (BasicBlock *E : successors(OrigLatch)) {
    if (Orig->contains(E))
      continue;
    for (PHINode &Phi : E->phis()) {
      Value *V = Phi.getIncomingValueForBlock(Latch);
      auto It = VMap.find(V);
      Phi.addIncoming(It != VMap.end() ? (Value *)It->second : V, OrigLatch);
    }
  }
  DT.recalculate(*F);
}

static bool rotAnalyze(Loop *L, ScalarEvolution &SE, AAResults &AA,
                       const TargetLibraryInfo &TLI, const DataLayout &DL,
                       RotPlan &Plan) {
  BasicBlock *B = L->getHeader();
  if (L->getNumBlocks() != 1 || L->getLoopLatch() != B ||
      !L->getLoopPreheader() || !isa<BranchInst>(B->getTerminator()))
    return false;
  BasicBlock *E = L->getExitBlock();
  if (!E || E->isEHPad())
    return false;
  Plan.L = L;
  for (Instruction &I : *B) {
    auto *St = dyn_cast<StoreInst>(&I);
    if (!St || !St->isSimple())
      continue;
    auto *Add = dyn_cast<BinaryOperator>(St->getValueOperand());
    if (!Add ||
        (Add->getOpcode() != Instruction::FAdd &&
         Add->getOpcode() != Instruction::FSub) ||
        Add->getParent() != B || !Add->hasAllowReassoc() || !Add->hasOneUse())
      continue;
    bool IsSub = Add->getOpcode() == Instruction::FSub;
    LoadInst *Ld = nullptr;
    Value *V = nullptr;
    for (unsigned K = 0; K < (IsSub ? 1u : 2u) && !Ld; ++K) {
      auto *C = dyn_cast<LoadInst>(Add->getOperand(K));
      if (C && C->getParent() == B && C->isSimple() && C->hasOneUse() &&
          C->getPointerOperand() == St->getPointerOperand()) {
        Ld = C;
        V = Add->getOperand(1 - K);
      }
    }
    if (!Ld || !Ld->getType()->isFloatingPointTy())
      continue;
    bool Clean = true;
    for (auto It = std::next(Ld->getIterator()); &*It != St; ++It)
      if (It->mayWriteToMemory())
        Clean = false;
    if (!Clean)
      continue;
    RotGroup G{Ld, Add, St, V, {}, {}, -1, IsSub};
    Value *Ptr = St->getPointerOperand();
    Type *IdxTy = DL.getIndexType(Ptr->getType());
    auto *PSel = dyn_cast<SelectInst>(Ptr);
    bool TInv = PSel && L->isLoopInvariant(PSel->getTrueValue());
    bool FInv = PSel && L->isLoopInvariant(PSel->getFalseValue());
    if (PSel && TInv != FInv) {
      Value *Mv = TInv ? PSel->getFalseValue() : PSel->getTrueValue();
      Value *Fx = TInv ? PSel->getTrueValue() : PSel->getFalseValue();
      G.Opts.push_back(
          {PSel->getCondition(), TInv, SE.getSCEV(Mv), 0, Mv, 0});
      G.Fixed.push_back(
          {nullptr, nullptr, nullptr, Fx, PSel->getCondition(), FInv});
    } else if (auto *Sel = dyn_cast<SelectInst>(Ptr)) {
      G.Opts.push_back({Sel->getCondition(), false,
                        SE.getSCEV(Sel->getTrueValue()), 0,
                        Sel->getTrueValue(), 0});
      G.Opts.push_back({Sel->getCondition(), true,
                        SE.getSCEV(Sel->getFalseValue()), 0,
                        Sel->getFalseValue(), 0});
    } else if (auto *GEP = dyn_cast<GetElementPtrInst>(Ptr);
               GEP && GEP->getNumIndices() == 1 &&
               isa<SelectInst>(GEP->getOperand(1))) {
      auto *Sel = cast<SelectInst>(GEP->getOperand(1));
      auto *T = dyn_cast<ConstantInt>(Sel->getTrueValue());
      auto *F = dyn_cast<ConstantInt>(Sel->getFalseValue());
      if (!T || !F || T->getBitWidth() > 64)
        continue;
      int64_t ES = (int64_t)DL.getTypeAllocSize(GEP->getSourceElementType());
      Value *Base = GEP->getPointerOperand();
      const SCEV *BS = SE.getSCEV(Base);
      for (auto [C, Neg] : {std::pair{T, false}, std::pair{F, true}}) {
        int64_t Off = C->getSExtValue() * ES;
        G.Opts.push_back({Sel->getCondition(), Neg,
                          SE.getAddExpr(BS, SE.getConstant(IdxTy, Off, true)),
                          0, Base, Off});
      }
    } else if (auto *GEP = dyn_cast<GetElementPtrInst>(Ptr);
               GEP && GEP->getNumIndices() == 1 &&
               isa<IntrinsicInst>(GEP->getOperand(1))) {
      auto *M = cast<IntrinsicInst>(GEP->getOperand(1));
      auto C = rotClamp(M, L);
      Value *Base = GEP->getPointerOperand();
      if (!C || !L->isLoopInvariant(Base) ||
          !C->X->getType()->isIntegerTy() ||
          C->X->getType()->getScalarSizeInBits() > 64)
        continue;
      int64_t ES = (int64_t)DL.getTypeAllocSize(GEP->getSourceElementType());
      const SCEV *Moving = C->Sub ? SE.getMinusSCEV(SE.getSCEV(C->X),
                                                    SE.getSCEV(C->Sub))
                                  : SE.getSCEV(C->X);
      const SCEV *Idx = SE.getTruncateOrSignExtend(Moving, IdxTy);
      const SCEV *S = SE.getAddExpr(
          SE.getSCEV(Base),
          SE.getMulExpr(Idx, SE.getConstant(IdxTy, ES, true)));
      G.Opts.push_back({nullptr, false, S, 0, nullptr, 0, M});
      G.Fixed.push_back({M, Base, GEP->getSourceElementType()});
    } else {
      G.Opts.push_back({nullptr, false, SE.getSCEV(Ptr), 0, Ptr, 0});
    }
    Plan.Groups.push_back(G);
  }
  if (Plan.Groups.empty())
    return false;
  // Families: addresses at constant distances, one element per iteration.
  for (unsigned GI = 0; GI < Plan.Groups.size(); ++GI) {
    RotGroup &G = Plan.Groups[GI];
    int64_t Size = (int64_t)DL.getTypeStoreSize(G.Ld->getType());
    bool Ok = true;
    int Fam = -1;
    for (RotOpt &O : G.Opts) {
      auto *AR = dyn_cast<SCEVAddRecExpr>(O.S);
      auto *Step = AR ? dyn_cast<SCEVConstant>(AR->getStepRecurrence(SE))
                      : nullptr;
      if (!AR || AR->getLoop() != L || !AR->isAffine() || !Step ||
          Step->getAPInt().getBitWidth() > 64 ||
          (Step->getAPInt().getSExtValue() != Size &&
           Step->getAPInt().getSExtValue() != -Size)) {
        Ok = false;
        break;
      }
      int64_t Stp = Step->getAPInt().getSExtValue();
      int Found = -1;
      for (unsigned FI = 0; FI < Plan.Families.size() && Found < 0; ++FI) {
        RotFamily &FF = Plan.Families[FI];
        if (FF.Step != Stp)
          continue;
        auto *D = dyn_cast<SCEVConstant>(SE.getMinusSCEV(O.S, FF.Ref));
        if (D && D->getAPInt().getBitWidth() <= 64 &&
            D->getAPInt().getSExtValue() % Size == 0) {
          Found = (int)FI;
          O.Pos = D->getAPInt().getSExtValue() / Size;
        }
      }
      if (Found < 0) {
        if (Fam >= 0) {
          Ok = false; // the options of one select in two families
          break;
        }
        Plan.Families.push_back({O.S, Stp, {}, true});
        Found = (int)Plan.Families.size() - 1;
        O.Pos = 0;
      }
      if (Fam >= 0 && Fam != Found) {
        Ok = false;
        break;
      }
      Fam = Found;
    }
    if (!Ok || Fam < 0)
      continue;
    G.Family = Fam;
    Plan.Families[Fam].Groups.push_back(GI);
  }
  // Each family: one element type, a span of at most 16 elements, more than
  // one position, and no other access of the loop that may alias it.
  bool Any = false;
  for (unsigned FI = 0; FI < Plan.Families.size(); ++FI) {
    RotFamily &FF = Plan.Families[FI];
    if (FF.Groups.empty()) {
      FF.Ok = false;
      continue;
    }
    Type *ETy = Plan.Groups[FF.Groups[0]].Ld->getType();
    int64_t Lo = INT64_MAX, Hi = INT64_MIN;
    SmallPtrSet<Instruction *, 16> Own;
    for (unsigned GI : FF.Groups) {
      RotGroup &G = Plan.Groups[GI];
      if (G.Ld->getType() != ETy)
        FF.Ok = false;
      for (RotOpt &O : G.Opts) {
        Lo = std::min(Lo, O.Pos);
        Hi = std::max(Hi, O.Pos);
      }
      Own.insert(G.Ld);
      Own.insert(G.St);
    }
    if (!FF.Ok || Hi == Lo || Hi - Lo > 16) {
      FF.Ok = false;
      continue;
    }
    for (Instruction &I : *B) {
      if (!I.mayReadOrWriteMemory() || Own.count(&I))
        continue;
      if (!isa<LoadInst>(I) && !isa<StoreInst>(I)) {
        FF.Ok = false;
        break;
      }
      MemoryLocation Other = MemoryLocation::getBeforeOrAfter(
          getLoadStorePointerOperand(&I), I.getAAMetadata());
      for (unsigned GI : FF.Groups) {
        StoreInst *St = Plan.Groups[GI].St;
        MemoryLocation Mine = MemoryLocation::getBeforeOrAfter(
            St->getPointerOperand(), St->getAAMetadata());
        if (!AA.isNoAlias(Mine, Other) &&
            !rotDistinctObjects(St->getPointerOperand(),
                                getLoadStorePointerOperand(&I), TLI)) {
          // Apart at run time, if both sides' ranges are known.
          if (!OptRotateChecks || OptNoRotateChecks ||
              !rotRangeOf(&I, L, SE, DL) ||
              FF.Overlaps.size() >= 8)
            FF.Ok = false;
          else
            FF.Overlaps.push_back(&I);
          break;
        }
      }
      if (!FF.Ok)
        break;
    }
    if (FF.Ok && !FF.Overlaps.empty() && !rotFamilyRange(Plan, FF, SE, DL))
      FF.Ok = false;
    Any |= FF.Ok;
  }
  return Any;
}

static void rotTransform(RotPlan &Plan, const DataLayout &DL) {
  Loop *L = Plan.L;
  BasicBlock *B = L->getHeader();
  BasicBlock *P = L->getLoopPreheader();
  LLVMContext &Ctx = B->getContext();
  Type *I8 = Type::getInt8Ty(Ctx);
  Type *I1 = Type::getInt1Ty(Ctx);
  bool Split = false;
  for (RotFamily &FF : Plan.Families) {
    // A family whose complete element is conditional splits the loop's
    // block; the next family waits for the next call.
    if (!FF.Ok || Split)
      continue;
    RotGroup &G0 = Plan.Groups[FF.Groups[0]];
    Type *ETy = G0.Ld->getType();
    int64_t Size = (int64_t)DL.getTypeStoreSize(ETy);
    Constant *NegZero = ConstantFP::getNegativeZero(ETy);
    bool Down = FF.Step < 0;
    // Clamped indices: the test and the moving address, next to the load;
    // `load - V`: the contribution is -V (exactly `load + -V`).
    for (unsigned GI : FF.Groups) {
      RotGroup &G = Plan.Groups[GI];
      if (G.Sub) {
        IRBuilder<> NB(G.Add);
        NB.setFastMathFlags(G.Add->getFastMathFlags());
        G.V = NB.CreateFNeg(G.V, "rot.neg");
        G.Sub = false;
      }
      for (RotOpt &O : G.Opts) {
        if (!O.Clamp || O.Cond)
          continue;
        IRBuilder<> CB(G.Ld);
        auto *GEP = cast<GetElementPtrInst>(G.St->getPointerOperand());
        auto [Test, Idx] = rotClampBuild(CB, *rotClamp(O.Clamp, L));
        O.Cond = Test;
        O.Anchor = CB.CreateGEP(GEP->getSourceElementType(),
                                GEP->getPointerOperand(), Idx, "rot.at");
        O.AnchorOff = 0;
      }
    }
    int64_t Lo = INT64_MAX, Hi = INT64_MIN;
    Align Al = G0.Ld->getAlign();
    AAMDNodes LdMD = G0.Ld->getAAMetadata(), StMD = G0.St->getAAMetadata();
    FastMathFlags FMF = G0.Add->getFastMathFlags();
    for (unsigned GI : FF.Groups) {
      RotGroup &G = Plan.Groups[GI];
      for (RotOpt &O : G.Opts) {
        Lo = std::min(Lo, O.Pos);
        Hi = std::max(Hi, O.Pos);
      }
      Al = std::min(Al, std::min(G.Ld->getAlign(), G.St->getAlign()));
      LdMD = LdMD.merge(G.Ld->getAAMetadata());
      StMD = StMD.merge(G.St->getAAMetadata());
      FMF &= G.Add->getFastMathFlags();
    }
    int64_t Fin = Down ? Hi : Lo;
    unsigned N = (unsigned)(Hi - Lo + 1);
    // The carried partial sums and flags, by position.
    std::vector<PHINode *> SIn(N, nullptr), TIn(N, nullptr);
    auto carried = [&](int64_t R) { return Down ? R > Lo : R < Hi; };
    for (int64_t R = Lo; R <= Hi; ++R) {
      if (!carried(R))
        continue;
      SIn[R - Lo] = PHINode::Create(ETy, 2, "rot.sum", B->begin());
      TIn[R - Lo] = PHINode::Create(I1, 2, "rot.touched", B->begin());
    }
    IRBuilder<> Bld(B->getTerminator());
    Bld.setFastMathFlags(FMF);
    std::vector<Value *> Total(N), Touched(N);
    std::vector<bool> Always(N, false);
    for (int64_t R = Lo; R <= Hi; ++R) {
      unsigned K = (unsigned)(R - Lo);
      Value *Sum = SIn[K] ? (Value *)SIn[K] : (Value *)NegZero;
      Value *T = TIn[K] ? (Value *)TIn[K] : (Value *)ConstantInt::getFalse(Ctx);
      for (unsigned GI : FF.Groups) {
        RotGroup &G = Plan.Groups[GI];
        for (RotOpt &O : G.Opts) {
          if (O.Pos != R)
            continue;
          Value *V = G.V;
          if (O.Cond) {
            V = O.Neg ? Bld.CreateSelect(O.Cond, NegZero, V, "rot.part")
                      : Bld.CreateSelect(O.Cond, V, NegZero, "rot.part");
            Value *C = O.Neg ? Bld.CreateNot(O.Cond) : O.Cond;
            T = Bld.CreateOr(T, C, "rot.touched");
          } else {
            Always[K] = true;
          }
          Sum = Bld.CreateFAdd(Sum, V, "rot.sum");
        }
      }
      Total[K] = Sum;
      Touched[K] = Always[K] ? (Value *)ConstantInt::getTrue(Ctx) : T;
    }
    // The fixed elements of clamps (`Base[k]` of `Base[max(x, k)]`), one
    // partial sum each, carried through the loop and added at the exit.
    struct FixedAcc {
      RotFixed Fx;
      Value *Key;
      PHINode *SP, *TP;
      Value *Sum, *T;
    };
    std::vector<FixedAcc> Fixeds;
    for (unsigned GI : FF.Groups) {
      RotGroup &G = Plan.Groups[GI];
      for (RotFixed &Fx : G.Fixed) {
        // Key: the fixed index (clamps) or address (selects); Take: the
        // fixed element receives the contribution.
        Value *Key, *Take;
        if (Fx.Addr) {
          Key = Fx.Addr;
          Take = Fx.Neg ? Bld.CreateNot(Fx.Cond) : Fx.Cond;
        } else {
          Key = rotClamp(Fx.Clamp, L)->Fixed;
          Value *C = nullptr;
          for (RotOpt &O : G.Opts)
            if (O.Clamp == Fx.Clamp)
              C = O.Cond;
          Take = Bld.CreateNot(C);
        }
        size_t At = Fixeds.size();
        for (size_t J = 0; J < Fixeds.size(); ++J)
          if (Fixeds[J].Fx.Base == Fx.Base && Fixeds[J].Key == Key &&
              Fixeds[J].Fx.ElemTy == Fx.ElemTy)
            At = J;
        if (At == Fixeds.size()) {
          PHINode *SP = PHINode::Create(ETy, 2, "rot.fixed", B->begin());
          PHINode *TP = PHINode::Create(I1, 2, "rot.fixed.touched", B->begin());
          Fixeds.push_back({Fx, Key, SP, TP, SP, TP});
        }
        FixedAcc &A = Fixeds[At];
        A.Sum = Bld.CreateFAdd(
            A.Sum, Bld.CreateSelect(Take, G.V, NegZero, "rot.part"), "rot.sum");
        A.T = Bld.CreateOr(A.T, Take, "rot.touched");
      }
    }
    for (FixedAcc &A : Fixeds) {
      A.SP->addIncoming(NegZero, P);
      A.SP->addIncoming(A.Sum, B);
      A.TP->addIncoming(ConstantInt::getFalse(Ctx), P);
      A.TP->addIncoming(A.T, B);
    }
    // Anchor: the address of position Fin is Anchor + (Fin - Pos) * Size +
    // AnchorOff.
    RotOpt &A = G0.Opts[0];
    auto addrOf = [&](IRBuilder<> &IB, Value *Anchor, int64_t R) {
      int64_t Off = (R - A.Pos) * Size + A.AnchorOff;
      return Off == 0 ? Anchor
                      : IB.CreateGEP(I8, Anchor, IB.getInt64(Off), "rot.addr");
    };
    auto rmw = [&](IRBuilder<> &IB, Value *Ptr, Value *D) {
      LoadInst *Old = IB.CreateAlignedLoad(ETy, Ptr, Al, "rot.old");
      Old->setAAMetadata(LdMD);
      Value *New = IB.CreateFAdd(Old, D, "rot.new");
      StoreInst *S = IB.CreateAlignedStore(New, Ptr, Al);
      S->setAAMetadata(StMD);
    };
    for (int64_t R = Lo; R <= Hi; ++R) {
      unsigned K = (unsigned)(R - Lo);
      if (!SIn[K])
        continue;
      unsigned From = (unsigned)(Down ? K - 1 : K + 1);
      SIn[K]->addIncoming(NegZero, P);
      SIn[K]->addIncoming(Total[From], B);
      TIn[K]->addIncoming(ConstantInt::getFalse(Ctx), P);
      TIn[K]->addIncoming(Touched[From], B);
    }
    // The complete element, once per iteration.
    unsigned KF = (unsigned)(Fin - Lo);
    BasicBlock *Latch = B;
    if (Always[KF]) {
      rmw(Bld, addrOf(Bld, A.Anchor, Fin), Total[KF]);
    } else {
      Instruction *Then =
          SplitBlockAndInsertIfThen(Touched[KF], B->getTerminator(), false);
      IRBuilder<> TB(Then);
      TB.setFastMathFlags(FMF);
      rmw(TB, addrOf(TB, A.Anchor, Fin), Total[KF]);
      Latch = Then->getSuccessor(0);
      Split = true;
    }
    // What is pending after the last iteration, at the exit.
    BasicBlock *E = nullptr;
    for (BasicBlock *S : successors(Latch))
      if (S != B)
        E = S;
    if (E->getSinglePredecessor() != Latch)
      E = SplitEdge(Latch, E);
    Instruction *IP = &*E->getFirstInsertionPt();
    auto lcssa = [&](Value *V) -> Value * {
      auto *I = dyn_cast<Instruction>(V);
      if (!I || !L->contains(I->getParent()))
        return V;
      PHINode *Phi = PHINode::Create(V->getType(), 1, "rot.lcssa", E->begin());
      Phi->addIncoming(V, Latch);
      return Phi;
    };
    Value *Anchor = lcssa(A.Anchor);
    for (int64_t R = Lo; R <= Hi; ++R) {
      unsigned K = (unsigned)(R - Lo);
      if (R == Fin)
        continue;
      Value *Sum = lcssa(Total[K]);
      IRBuilder<> EB(IP);
      EB.setFastMathFlags(FMF);
      if (Always[K]) {
        rmw(EB, addrOf(EB, Anchor, R), Sum);
      } else {
        Instruction *Then = SplitBlockAndInsertIfThen(lcssa(Touched[K]), IP, false);
        IRBuilder<> TB(Then);
        TB.setFastMathFlags(FMF);
        rmw(TB, addrOf(TB, Anchor, R), Sum);
      }
    }
    for (FixedAcc &A : Fixeds) {
      Value *Sum = lcssa(A.Sum), *T = lcssa(A.T);
      Instruction *Then = SplitBlockAndInsertIfThen(T, IP, false);
      IRBuilder<> TB(Then);
      TB.setFastMathFlags(FMF);
      rmw(TB,
          A.Fx.Addr ? A.Fx.Addr
                    : TB.CreateGEP(A.Fx.ElemTy, A.Fx.Base, A.Key,
                                   "rot.fixed.addr"),
          Sum);
    }
    for (unsigned GI : FF.Groups) {
      RotGroup &G = Plan.Groups[GI];
      G.St->eraseFromParent();
      G.Add->eraseFromParent();
      G.Ld->eraseFromParent();
    }
  }
}

// A loop of two blocks whose latch only steps the counter (`header: ...
// br %exit, %latch` / `latch: %i.next = add %i, -1; br %header`, as the
// reverse sweep's loops come) becomes one block: the latch's instructions
// (speculatable, no memory access) move to the end of the header, which
// branches to itself. Only loops with a candidate accumulation
// (`store (fadd reassoc (load p), v), p`) are touched.
static bool rotFoldLatch(Loop *L) {
  BasicBlock *H = L->getHeader(), *Lt = L->getLoopLatch();
  if (!Lt || Lt == H || L->getNumBlocks() != 2 ||
      Lt->getSinglePredecessor() != H || !L->getLoopPreheader())
    return false;
  auto *HBr = dyn_cast<BranchInst>(H->getTerminator());
  auto *LBr = dyn_cast<BranchInst>(Lt->getTerminator());
  if (!HBr || !HBr->isConditional() || !LBr || LBr->isConditional() ||
      LBr->getSuccessor(0) != H)
    return false;
  for (Instruction &I : *Lt)
    if (&I != LBr && (isa<PHINode>(I) || I.mayReadOrWriteMemory() ||
                      !isSafeToSpeculativelyExecute(&I)))
      return false;
  bool Candidate = any_of(*H, [](Instruction &I) {
    auto *St = dyn_cast<StoreInst>(&I);
    auto *Op = St ? dyn_cast<BinaryOperator>(St->getValueOperand()) : nullptr;
    return Op &&
           (Op->getOpcode() == Instruction::FAdd ||
            Op->getOpcode() == Instruction::FSub) &&
           Op->hasAllowReassoc();
  });
  if (!Candidate)
    return false;
  while (&Lt->front() != LBr)
    Lt->front().moveBefore(HBr->getIterator());
  for (PHINode &P : H->phis())
    for (unsigned K = 0; K < P.getNumIncomingValues(); ++K)
      if (P.getIncomingBlock(K) == Lt)
        P.setIncomingBlock(K, H);
  for (unsigned S = 0; S < 2; ++S)
    if (HBr->getSuccessor(S) == Lt)
      HBr->setSuccessor(S, H);
  LBr->eraseFromParent();
  Lt->eraseFromParent();
  return true;
}

extern "C" unsigned ferment_rotate_accumulations(LLVMValueRef FV) {
  Function *F = unwrap<Function>(FV);
  if (OptNoRotate || F->isDeclaration())
    return 0;
  {
    FnLoops A0(*F);
    SmallVector<Loop *, 8> Inner;
    for (Loop *L : A0.LI.getLoopsInPreorder())
      if (L->isInnermost())
        Inner.push_back(L);
    for (Loop *L : Inner)
      rotFoldLatch(L);
  }
  FnScev A(*F);
  const DataLayout &DL = F->getParent()->getDataLayout();
  BasicAAResult BAR(DL, *F, A.TLI, A.AC, &A.DT);
  ScopedNoAliasAAResult SNA;
  AAResults AA(A.TLI);
  AA.addAAResult(BAR);
  AA.addAAResult(SNA);
  std::vector<RotPlan> Plans;
  for (Loop *L : A.LI.getLoopsInPreorder()) {
    if (!L->isInnermost())
      continue;
    RotPlan Plan;
    if (rotAnalyze(L, A.SE, AA, A.TLI, DL, Plan))
      Plans.push_back(std::move(Plan));
  }
  // Everything is analyzed, and the run-time tests expanded in the
  // preheaders, before the CFG changes; versioning adds a test block and a
  // copy of its own loop, a transformation only blocks inside its own loop
  // and at its own exit.
  for (RotPlan &Plan : Plans) {
    bool Checked = any_of(Plan.Families, [](const RotFamily &FF) {
      return FF.Ok && !FF.Overlaps.empty();
    });
    if (!Checked)
      continue;
    Plan.Conflict = rotExpandChecks(Plan, A.SE, DL);
    if (!Plan.Conflict)
      for (RotFamily &FF : Plan.Families)
        if (!FF.Overlaps.empty())
          FF.Ok = false;
  }
  for (RotPlan &Plan : Plans)
    if (Plan.Conflict)
      rotVersion(Plan, A.DT, A.LI);
  unsigned Done = 0;
  for (RotPlan &Plan : Plans)
    if (any_of(Plan.Families, [](const RotFamily &FF) { return FF.Ok; })) {
      rotTransform(Plan, DL);
      ++Done;
    }
  return Done;
}

// Checkpointed segments (reverse/checkpoint.rs, `check_bounds`): for each
// access `Insts[K]` at address `Ptrs[K]`, the first and last address it
// takes over the loops around it, expanded at the end of the preheader of
// the outermost loop it can be hoisted out of (`At[K]`, that preheader's
// terminator), so that one test there replaces a test per iteration. An
// access hoists out of loop L when it runs in every iteration of L (its
// block dominates L's latch and every exiting block: once L is entered,
// each iteration up to the backedge-taken count reaches it) and its address
// is invariant in L or affine with a constant step (the backedge-taken
// count known on entry); so the range is exactly the addresses the access
// takes, never more. Null where it does not hoist out of its innermost
// loop (the caller tests it in place).
extern "C" void ferment_hoisted_ranges(LLVMValueRef FV, LLVMValueRef *Insts,
                                       LLVMValueRef *Ptrs, unsigned N,
                                       LLVMValueRef *OutLo, LLVMValueRef *OutHi,
                                       LLVMValueRef *OutAt) {
  Function *F = unwrap<Function>(FV);
  FnScev A(*F);
  SCEVExpander Exp(A.SE, "ckpt.range");
  auto EveryIteration = [&](BasicBlock *BB, Loop *L) {
    if (!L->getLoopPreheader() || !L->getLoopLatch() ||
        !A.DT.dominates(BB, L->getLoopLatch()))
      return false;
    SmallVector<BasicBlock *, 4> Exiting;
    L->getExitingBlocks(Exiting);
    return all_of(Exiting, [&](BasicBlock *E) { return A.DT.dominates(BB, E); });
  };
  // The lowest (`Low`) or highest address `S` takes over L's iterations.
  auto Over = [&](const SCEV *S, Loop *L, bool Low) -> const SCEV * {
    if (A.SE.isLoopInvariant(S, L))
      return S;
    auto *AR = dyn_cast<SCEVAddRecExpr>(S);
    if (!AR || AR->getLoop() != L || !AR->isAffine())
      return nullptr;
    auto *Step = dyn_cast<SCEVConstant>(AR->getStepRecurrence(A.SE));
    if (!Step || Step->getAPInt().getBitWidth() > 64 ||
        Step->getAPInt().abs().ugt(1 << 20))
      return nullptr;
    const SCEV *Btc = A.SE.getBackedgeTakenCount(L);
    if (isa<SCEVCouldNotCompute>(Btc) || !A.SE.isLoopInvariant(Btc, L))
      return nullptr;
    bool Up = !Step->getAPInt().isNegative();
    if (Low == Up)
      return AR->getStart();
    Btc = A.SE.getTruncateOrZeroExtend(Btc, Step->getType());
    const SCEV *E = AR->evaluateAtIteration(Btc, A.SE);
    return A.SE.isLoopInvariant(E, L) ? E : nullptr;
  };
  struct Plan {
    const SCEV *Lo, *Hi;
    Instruction *At;
  };
  std::vector<std::optional<Plan>> Plans(N);
  for (unsigned K = 0; K < N; ++K) {
    auto *I = dyn_cast<Instruction>(unwrap(Insts[K]));
    Value *Ptr = unwrap(Ptrs[K]);
    if (!I || I->getFunction() != F || !Ptr->getType()->isPointerTy() ||
        !A.SE.isSCEVable(Ptr->getType()))
      continue;
    Loop *L = A.LI.getLoopFor(I->getParent());
    if (!L || !EveryIteration(I->getParent(), L))
      continue;
    const SCEV *S = A.SE.getSCEV(Ptr);
    const SCEV *Lo = Over(S, L, true), *Hi = Over(S, L, false);
    if (!Lo || !Hi)
      continue;
    while (Loop *P = L->getParentLoop()) {
      if (!EveryIteration(L->getLoopPreheader(), P))
        break;
      const SCEV *Lo2 = Over(Lo, P, true), *Hi2 = Over(Hi, P, false);
      if (!Lo2 || !Hi2)
        break;
      Lo = Lo2;
      Hi = Hi2;
      L = P;
    }
    Instruction *At = L->getLoopPreheader()->getTerminator();
    if (!Exp.isSafeToExpandAt(Lo, At) || !Exp.isSafeToExpandAt(Hi, At))
      continue;
    Plans[K] = Plan{Lo, Hi, At};
  }
  // Expanded only after every access is planned (expansion adds code).
  for (unsigned K = 0; K < N; ++K) {
    OutLo[K] = OutHi[K] = OutAt[K] = nullptr;
    if (!Plans[K])
      continue;
    Type *PT = unwrap(Ptrs[K])->getType();
    OutLo[K] = wrap(Exp.expandCodeFor(Plans[K]->Lo, PT, Plans[K]->At));
    OutHi[K] = wrap(Exp.expandCodeFor(Plans[K]->Hi, PT, Plans[K]->At));
    OutAt[K] = wrap(Plans[K]->At);
  }
}

// The first insertion points of the exit blocks of the innermost loop
// around `I` (none where `I` is in no loop); at most `Max`, returns how
// many (more than `Max`: the caller gives up).
extern "C" unsigned ferment_loop_exit_points(LLVMValueRef IV, LLVMValueRef *Out,
                                             unsigned Max) {
  auto *I = unwrap<Instruction>(IV);
  Function *F = I->getFunction();
  FnLoops A(*F);
  Loop *L = A.LI.getLoopFor(I->getParent());
  if (!L)
    return 0;
  SmallVector<BasicBlock *, 4> Exits;
  L->getUniqueExitBlocks(Exits);
  if (Exits.size() > Max)
    return Exits.size();
  unsigned N = 0;
  for (BasicBlock *E : Exits)
    Out[N++] = wrap(&*E->getFirstInsertionPt());
  return N;
}

// The smallest and largest value (integer SCEVs) of the integer addresses
// `Lo` and `Hi` over every iteration of `L` and of the loops around it, each
// level as `rotEnds` allows.
static std::optional<RotRange> rangeOverLoops(const SCEV *Lo, const SCEV *Hi,
                                              Loop *L, ScalarEvolution &SE) {
  auto Over = [&](const SCEV *X, Loop *L, bool Low) -> const SCEV * {
    auto E = rotEnds(X, L, SE);
    if (!E || !SE.isLoopInvariant(E->first, L) ||
        !SE.isLoopInvariant(E->second, L))
      return nullptr;
    return Low ? SE.getUMinExpr(E->first, E->second)
               : SE.getUMaxExpr(E->first, E->second);
  };
  for (; L; L = L->getParentLoop()) {
    Lo = Over(Lo, L, true);
    Hi = Over(Hi, L, false);
    if (!Lo || !Hi)
      return std::nullopt;
  }
  return RotRange{Lo, Hi};
}

// Whether `-ferment-omp-publish-ranges` is set.
extern "C" int ferment_omp_publish_ranges() { return OptOmpPublishRanges ? 1 : 0; }

// For the atomic read-modify-writes `Sites[0..N)` of `F`: a block that
// dominates them all and lies on no cycle, and the byte range each site's
// address covers over every execution of the site (address affine in its
// loops, see `rangeOverLoops`), expanded before that block's terminator into
// `Lo[k]`, `Hi[k]` (i64). Returns the terminator, or null (nothing changed)
// when some range is unknown or not computable there.
extern "C" LLVMValueRef ferment_site_ranges(LLVMValueRef FV, LLVMValueRef *Sites,
                                            unsigned N, LLVMValueRef *Lo,
                                            LLVMValueRef *Hi) {
  Function *F = unwrap<Function>(FV);
  if (N == 0 || OptNoOmpPrivateRanges)
    return nullptr;
  FnScev A(*F);
  const DataLayout &DL = F->getParent()->getDataLayout();
  Type *I64 = Type::getInt64Ty(F->getContext());
  BasicBlock *Top = nullptr;
  for (unsigned K = 0; K < N; ++K) {
    auto *I = dyn_cast<AtomicRMWInst>(unwrap(Sites[K]));
    if (!I || I->getFunction() != F)
      return nullptr;
    Top = Top ? A.DT.findNearestCommonDominator(Top, I->getParent())
              : I->getParent();
  }
  while (Top && A.LI.getLoopFor(Top))
    Top = A.DT.getNode(Top)->getIDom() ? A.DT.getNode(Top)->getIDom()->getBlock()
                                     : nullptr;
  if (!Top)
    return nullptr;
  Instruction *At = Top->getTerminator();
  SCEVExpander Exp(A.SE, "omp.team.range");
  SmallVector<std::pair<const SCEV *, const SCEV *>, 8> Ranges;
  for (unsigned K = 0; K < N; ++K) {
    auto *I = cast<AtomicRMWInst>(unwrap(Sites[K]));
    Value *P = I->getPointerOperand();
    if (!A.SE.isSCEVable(P->getType()) ||
        DL.getIntPtrType(P->getType()) != I64)
      return nullptr;
    const SCEV *S = A.SE.getPtrToIntExpr(A.SE.getSCEV(P), I64);
    if (isa<SCEVCouldNotCompute>(S))
      return nullptr;
    uint64_t Size = DL.getTypeStoreSize(I->getValOperand()->getType());
    auto R = rangeOverLoops(S, S, A.LI.getLoopFor(I->getParent()), A.SE);
    if (!R)
      return nullptr;
    const SCEV *H = A.SE.getAddExpr(R->Hi, A.SE.getConstant(I64, Size));
    for (const SCEV *X : {R->Lo, H})
      if (!Exp.isSafeToExpandAt(X, At) ||
          SCEVExprContains(X, [](const SCEV *Y) { return isa<SCEVUDivExpr>(Y); }))
        return nullptr;
    Ranges.push_back({R->Lo, H});
  }
  for (unsigned K = 0; K < N; ++K) {
    Lo[K] = wrap(Exp.expandCodeFor(Ranges[K].first, I64, At));
    Hi[K] = wrap(Exp.expandCodeFor(Ranges[K].second, I64, At));
  }
  return wrap(At);
}

// Splits `Cond`'s block after `Cond` into a branch on it: a block for true
// (likely) and one for false, both falling through to the rest; their
// terminators go to `Then` and `Else`.
extern "C" void ferment_if_then_else_after(LLVMValueRef CondV, LLVMValueRef *Then,
                                           LLVMValueRef *Else) {
  Instruction *Cond = unwrap<Instruction>(CondV);
  MDBuilder MDB(Cond->getContext());
  Instruction *T = nullptr, *E = nullptr;
  SplitBlockAndInsertIfThenElse(Cond, std::next(Cond->getIterator()), &T, &E,
                                MDB.createLikelyBranchWeights());
  *Then = wrap(T);
  *Else = wrap(E);
}

// `floor(A / P)` for a constant `P > 0` (signed, any width).
static Value *floorDiv(IRBuilder<> &B, Value *A, int64_t P) {
  Value *C = ConstantInt::get(A->getType(), P, true);
  Value *Q = B.CreateSDiv(A, C);
  Value *R = B.CreateSRem(A, C);
  Value *Neg = B.CreateICmpSLT(R, ConstantInt::get(A->getType(), 0));
  return B.CreateSub(Q, B.CreateZExt(Neg, A->getType()));
}

// The shape `LoopStructure::parseLoopStructure` refuses for want of a
// proof that the loop is entered below its bound: a latch that exits when
// `Next == End` (or continues while `Next != End`), `Next` an induction
// variable of step 1 or -1 with no signed wrap (a reverse sweep's
// iteration counter, see `reverse/tape` `enter_iteration`), `End`
// invariant. Without signed wrap, `Next` meets `End` only after running
// through the values strictly between: the loop is `for (iv = Start; Next
// > End; iv = Next)` (`<` when increasing), which is the structure
// returned (the latch itself is rewritten by `LoopConstrainer`).
static std::optional<LoopStructure> countdownStructure(ScalarEvolution &SE,
                                                       Loop &L) {
  if (!L.isLoopSimplifyForm())
    return std::nullopt;
  BasicBlock *Latch = L.getLoopLatch(), *Header = L.getHeader();
  BasicBlock *Preheader = L.getLoopPreheader();
  auto *Br = dyn_cast_or_null<BranchInst>(Latch ? Latch->getTerminator() : nullptr);
  if (!Preheader || !Br || !Br->isConditional() || !L.isLoopExiting(Latch))
    return std::nullopt;
  unsigned ExitIdx = Br->getSuccessor(0) == Header ? 1 : 0;
  if (Br->getSuccessor(1 - ExitIdx) != Header || L.contains(Br->getSuccessor(ExitIdx)))
    return std::nullopt;
  auto *ICI = dyn_cast<ICmpInst>(Br->getCondition());
  if (!ICI || !ICI->isEquality() || !ICI->getOperand(0)->getType()->isIntegerTy(64))
    return std::nullopt;
  // eq exits on true, ne continues on true.
  if ((ICI->getPredicate() == ICmpInst::ICMP_EQ) != (ExitIdx == 0))
    return std::nullopt;
  Value *Next = ICI->getOperand(0), *End = ICI->getOperand(1);
  if (!isa<SCEVAddRecExpr>(SE.getSCEV(Next)))
    std::swap(Next, End);
  auto *AR = dyn_cast<SCEVAddRecExpr>(SE.getSCEV(Next));
  const SCEV *EndS = SE.getSCEV(End);
  if (!AR || AR->getLoop() != &L || !AR->isAffine() || !AR->hasNoSignedWrap() ||
      !SE.isLoopInvariant(EndS, &L) || !SE.isAvailableAtLoopEntry(EndS, &L))
    return std::nullopt;
  auto *StepC = dyn_cast<SCEVConstant>(AR->getStepRecurrence(SE));
  if (!StepC || (!StepC->getValue()->isOne() && !StepC->getValue()->isMinusOne()))
    return std::nullopt;
  const SCEV *BTC = SE.getExitCount(&L, Latch);
  if (isa<SCEVCouldNotCompute>(BTC) || !BTC->getType()->isIntegerTy())
    return std::nullopt;
  Instruction *At = Preheader->getTerminator();
  SCEVExpander Exp(SE, "omp.team.split");
  const SCEV *Start = SE.getMinusSCEV(AR->getStart(), StepC);
  if (!Exp.isSafeToExpandAt(Start, At))
    return std::nullopt;
  Value *EndV = End;
  if (auto *I = dyn_cast<Instruction>(End))
    if (L.contains(I->getParent())) {
      if (!Exp.isSafeToExpandAt(EndS, At))
        return std::nullopt;
      EndV = Exp.expandCodeFor(EndS, End->getType(), At);
    }
  LoopStructure R;
  R.Tag = "main";
  R.Header = Header;
  R.Latch = Latch;
  R.LatchBr = Br;
  R.LatchExit = Br->getSuccessor(ExitIdx);
  R.LatchBrExitIdx = ExitIdx;
  R.IndVarBase = Next;
  R.IndVarStart = Exp.expandCodeFor(Start, Next->getType(), At);
  R.IndVarStep = StepC->getValue();
  R.LoopExitAt = EndV;
  R.IndVarIncreasing = StepC->getValue()->isOne();
  R.IsSignedPredicate = true;
  R.ExitCountTy = cast<IntegerType>(BTC->getType());
  return R;
}

// For the private-range tests `Conds[0..N)` of a team copy (`icmp ult X,
// Span`: `X` an address minus the range's start, affine in its innermost
// loop, `Span` invariant there): splits each loop holding some into three
// (LLVM's `LoopConstrainer`, as IRCE does): iterations before, within and
// after the block of iterations where every such test of the loop holds,
// and replaces the tests by `true` in the middle loop (the original one).
// The block is computed before the loop in 128-bit arithmetic from `X =
// M + S * iv` (`iv` the latch's induction variable, step 1 or -1): `0 <=
// M + S * iv < Span`. `Avoid[0..NA)`: the checks of plain shadow accesses
// against the buffers (`icmp ult (P - Lo) + c, Span + c`, `Lo` and `Span`
// a buffer's descriptor): only a failed test grows a buffer, and where a
// test fails in the first loop its site's private part is not empty, so
// the add there is atomic: in the middle loop the descriptors hold their
// values at the loop's entry, the iterations where such a check holds are
// cut off the block (its larger side kept), and the checks are `false`
// there. A loop whose shape `LoopConstrainer` does not take (signed
// latch, 64-bit induction variable) keeps its tests. Returns how many
// loops were split.
extern "C" unsigned ferment_split_private_loops(LLVMValueRef FV,
                                                LLVMValueRef *Conds,
                                                unsigned N,
                                                LLVMValueRef *Avoid,
                                                unsigned NA) {
  Function *F = unwrap<Function>(FV);
  if (N == 0 || OptNoOmpSplitLoops)
    return 0;
  auto Take = [&](LLVMValueRef *Vs, unsigned K) {
    std::vector<ICmpInst *> Out;
    for (unsigned I = 0; I < K; ++I)
      if (auto *C = dyn_cast_or_null<ICmpInst>(unwrap(Vs[I])))
        if (C->getFunction() == F && C->getPredicate() == ICmpInst::ICMP_ULT)
          Out.push_back(C);
    return Out;
  };
  std::vector<ICmpInst *> Pending = Take(Conds, N), Avoids = Take(Avoid, NA);
  Type *I64 = Type::getInt64Ty(F->getContext());
  Type *I128 = Type::getInt128Ty(F->getContext());
  unsigned Split = 0;
  while (!Pending.empty()) {
    FnScev Fa(*F);
    DominatorTree &DT = Fa.DT;
    LoopInfo &LI = Fa.LI;
    ScalarEvolution &SE = Fa.SE;
    AssumptionCache &AC = Fa.AC;
    Loop *L = LI.getLoopFor(Pending[0]->getParent());
    std::vector<ICmpInst *> Mine, Rest, MineAvoid;
    for (ICmpInst *C : Pending)
      (LI.getLoopFor(C->getParent()) == L ? Mine : Rest).push_back(C);
    Pending = Rest;
    if (!L || !L->isInnermost())
      continue;
    for (ICmpInst *C : Avoids)
      if (C->getParent() && L->contains(C->getParent()))
        MineAvoid.push_back(C);
    simplifyLoop(L, &DT, &LI, &SE, &AC, nullptr, false);
    formLCSSA(*L, DT, &LI, &SE);
    const char *Reason = nullptr;
    auto LS = LoopStructure::parseLoopStructure(SE, *L, false, Reason);
    if (!LS)
      LS = countdownStructure(SE, *L);
    if (!LS || LS->IndVarBase->getType() != I64 || !LS->IsSignedPredicate)
      continue;
    auto *IV = dyn_cast<SCEVAddRecExpr>(SE.getMinusSCEV(
        SE.getSCEV(LS->IndVarBase), SE.getSCEV(LS->IndVarStep)));
    if (!IV || IV->getLoop() != L || !IV->isAffine())
      continue;
    auto *BC = dyn_cast<SCEVConstant>(IV->getStepRecurrence(SE));
    if (!BC || (!BC->getValue()->isOne() && !BC->getValue()->isMinusOne()))
      continue;
    int64_t Bv = BC->getAPInt().getSExtValue();
    const SCEV *A = IV->getStart();
    BasicBlock *Pre = L->getLoopPreheader();
    Instruction *At = Pre->getTerminator();
    SCEVExpander Exp(SE, "omp.team.split");
    // A test `X ult Span` as `X = M + S * iv`: `S = D * B` (`X = {C,+,D}`,
    // `iv = {A,+,B}`, `B` = +-1) and `M = C - S * A`.
    struct Test { const SCEV *M, *Span; int64_t S; };
    auto Affine = [&](const SCEV *X, const SCEV *Span) -> std::optional<Test> {
      auto *XR = dyn_cast<SCEVAddRecExpr>(X);
      auto *DC = XR ? dyn_cast<SCEVConstant>(XR->getStepRecurrence(SE)) : nullptr;
      if (!XR || XR->getLoop() != L || !XR->isAffine() || !DC ||
          X->getType() != I64 || Span->getType() != I64 ||
          !SE.isLoopInvariant(Span, L) || DC->getAPInt().getSignificantBits() > 32)
        return std::nullopt;
      int64_t S = DC->getAPInt().getSExtValue() * Bv;
      const SCEV *M = SE.getMinusSCEV(
          XR->getStart(), SE.getMulExpr(SE.getConstant(I64, S, true), A));
      if (S == 0 || !Exp.isSafeToExpandAt(M, At) || !Exp.isSafeToExpandAt(Span, At))
        return std::nullopt;
      return Test{M, Span, S};
    };
    std::vector<Test> Tests, Cuts;
    bool Ok = true;
    for (ICmpInst *C : Mine) {
      auto T = Affine(SE.getSCEV(C->getOperand(0)), SE.getSCEV(C->getOperand(1)));
      if (!T) {
        Ok = false;
        break;
      }
      Tests.push_back(*T);
    }
    // A buffer check `(P - Lo) + c ult Span + c`, the descriptor's `Lo` and
    // `Span` taken at the loop's entry.
    auto Entry = [&](Value *V) -> const SCEV * {
      if (auto *P = dyn_cast<PHINode>(V))
        if (P->getParent() == L->getHeader())
          return SE.getSCEV(P->getIncomingValueForBlock(Pre));
      const SCEV *S = SE.getSCEV(V);
      return SE.isLoopInvariant(S, L) ? S : nullptr;
    };
    for (ICmpInst *C : MineAvoid) {
      using namespace PatternMatch;
      Value *PI, *Lo, *Sp;
      const APInt *C1 = nullptr, *C2 = nullptr;
      bool Lhs = match(C->getOperand(0), m_Add(m_Sub(m_Value(PI), m_Value(Lo)), m_APInt(C1))) ||
                 match(C->getOperand(0), m_Sub(m_Value(PI), m_Value(Lo)));
      bool Rhs = match(C->getOperand(1), m_Add(m_Value(Sp), m_APInt(C2))) ||
                 (Sp = C->getOperand(1), true);
      const SCEV *LoE = Lhs ? Entry(Lo) : nullptr;
      const SCEV *SpE = Rhs ? Entry(Sp) : nullptr;
      if (!LoE || !SpE || PI->getType() != I64) {
        Ok = false;
        break;
      }
      const SCEV *X = SE.getMinusSCEV(SE.getSCEV(PI), LoE);
      if (C1)
        X = SE.getAddExpr(X, SE.getConstant(*C1));
      if (C2)
        SpE = SE.getAddExpr(SpE, SE.getConstant(*C2));
      auto T = Affine(X, SpE);
      if (!T) {
        Ok = false;
        break;
      }
      Cuts.push_back(*T);
    }
    if (!Ok)
      continue;
    IRBuilder<> B(At);
    auto K = [&](int64_t V) { return ConstantInt::get(I128, V, true); };
    // `[L1, H1)`: the iterations where `0 <= M + S iv <= Span - 1`.
    auto Block = [&](const Test &T) {
      Value *M = B.CreateSExt(Exp.expandCodeFor(T.M, I64, At), I128);
      Value *Sp = B.CreateSExt(Exp.expandCodeFor(T.Span, I64, At), I128);
      Value *Top = B.CreateSub(B.CreateSub(Sp, K(1)), M);
      Value *L1, *H1;
      if (T.S > 0) {
        L1 = B.CreateNeg(floorDiv(B, M, T.S));
        H1 = B.CreateAdd(floorDiv(B, Top, T.S), K(1));
      } else {
        L1 = B.CreateNeg(floorDiv(B, Top, -T.S));
        H1 = B.CreateAdd(floorDiv(B, M, -T.S), K(1));
      }
      return std::make_pair(L1, H1);
    };
    auto Max = [&](Value *X, Value *Y) { return B.CreateBinaryIntrinsic(Intrinsic::smax, X, Y); };
    auto Min = [&](Value *X, Value *Y) { return B.CreateBinaryIntrinsic(Intrinsic::smin, X, Y); };
    Value *Lo = nullptr, *Hi = nullptr;
    for (const Test &T : Tests) {
      auto [L1, H1] = Block(T);
      Lo = Lo ? Max(Lo, L1) : L1;
      Hi = Hi ? Min(Hi, H1) : H1;
    }
    Hi = Max(Hi, Lo);
    for (const Test &T : Cuts) {
      // A span over the signed range would hold for more than the block
      // computed: no middle loop then.
      Value *Sp = B.CreateSExt(Exp.expandCodeFor(T.Span, I64, At), I128);
      auto [Ta, Tb] = Block(T);
      Value *Wide = B.CreateICmpSLT(Sp, K(0));
      Ta = B.CreateSelect(Wide, Lo, Ta);
      Tb = B.CreateSelect(Wide, Hi, Tb);
      // [Lo, min(Hi, Ta)) or [max(Lo, Tb), Hi), the longer; unchanged
      // where the cut is empty.
      Value *LeftHi = Max(Lo, Min(Hi, Ta)), *RightLo = Min(Hi, Max(Lo, Tb));
      Value *UseLeft = B.CreateICmpSGE(B.CreateSub(LeftHi, Lo), B.CreateSub(Hi, RightLo));
      Value *Empty = B.CreateICmpSGE(Ta, Tb);
      Value *NLo = B.CreateSelect(Empty, Lo, B.CreateSelect(UseLeft, Lo, RightLo));
      Value *NHi = B.CreateSelect(Empty, Hi, B.CreateSelect(UseLeft, LeftHi, Hi));
      Lo = NLo;
      Hi = NHi;
    }
    auto Clamp64 = [&](Value *V) {
      V = Max(V, ConstantInt::get(I128, APInt::getSignedMinValue(64).sext(128)));
      V = Min(V, ConstantInt::get(I128, APInt::getSignedMaxValue(64).sext(128)));
      return B.CreateTrunc(V, I64);
    };
    Value *LoV = Clamp64(Lo), *HiV = Clamp64(Hi);
    // The limits clamped to the values the induction variable takes, as
    // IRCE does (`End + 1` does not wrap: the induction variable runs
    // from above `End` down to it).
    const SCEV *Start = SE.getSCEV(LS->IndVarStart);
    const SCEV *End = SE.getSCEV(LS->LoopExitAt);
    const SCEV *One = SE.getOne(I64);
    const SCEV *Smallest = LS->IndVarIncreasing
                               ? Start
                               : SE.getAddExpr(End, One, SCEV::FlagNSW);
    const SCEV *Greatest = LS->IndVarIncreasing ? End : SE.getAddExpr(Start, One);
    auto Clamp = [&](const SCEV *X) {
      return SE.getSMaxExpr(Smallest, SE.getSMinExpr(Greatest, X));
    };
    LoopConstrainer::SubRanges SR;
    SR.LowLimit = Clamp(SE.getSCEV(LoV));
    SR.HighLimit = Clamp(SE.getSCEV(HiV));
    LoopConstrainer LC(*L, LI, [](Loop *, bool) {}, *LS, SE, DT, I64, SR);
    bool Changed = LC.run();
    if (!Changed)
      continue;
    // The original loop is the middle one.
    for (ICmpInst *C : Mine) {
      C->replaceAllUsesWith(ConstantInt::getTrue(C->getContext()));
      C->eraseFromParent();
    }
    for (ICmpInst *C : MineAvoid) {
      Avoids.erase(std::find(Avoids.begin(), Avoids.end(), C));
      C->replaceAllUsesWith(ConstantInt::getFalse(C->getContext()));
      C->eraseFromParent();
    }
    ++Split;
  }
  return Split;
}

// ---- sum rows (reverse/rows.rs) ---------------------------------------------
namespace {
// Whether `I` writes memory other than through markers the optimizer adds
// (assumptions, lifetimes, alias-scope declarations).
bool writesMemory(const Instruction &I) {
  if (auto *II = dyn_cast<IntrinsicInst>(&I))
    switch (II->getIntrinsicID()) {
    case Intrinsic::assume:
    case Intrinsic::lifetime_start:
    case Intrinsic::lifetime_end:
    case Intrinsic::experimental_noalias_scope_decl:
    case Intrinsic::dbg_value:
    case Intrinsic::dbg_declare:
    case Intrinsic::dbg_label:
      return false;
    default:
      break;
    }
  return I.mayWriteToMemory();
}

// `fmuladd(a, b, c)` or `fma(a, b, c)`: `c` enters with coefficient one.
bool isMulAdd(const Instruction *I) {
  if (auto *II = dyn_cast<IntrinsicInst>(I))
    return II->getIntrinsicID() == Intrinsic::fmuladd ||
           II->getIntrinsicID() == Intrinsic::fma;
  return false;
}

// Whether the value `V` (an exit value of the sum) reaches nothing but further
// sums and the `ret`: a combined derivative that drops its return needs none of
// them, so the loop's forward iterations are dead once their terms are calls.
bool onlySummedToReturn(Value *V) {
  SmallVector<Value *, 8> Work{V};
  SmallPtrSet<Value *, 16> Seen{V};
  while (!Work.empty()) {
    Value *X = Work.pop_back_val();
    for (User *U : X->users()) {
      auto *I = dyn_cast<Instruction>(U);
      if (!I)
        return false;
      if (isa<ReturnInst>(I))
        continue;
      bool Linear = false;
      switch (I->getOpcode()) {
      case Instruction::FAdd:
      case Instruction::FSub:
      case Instruction::FNeg:
      case Instruction::PHI:
        Linear = true;
        break;
      case Instruction::FMul:
        Linear = isa<Constant>(I->getOperand(0)) || isa<Constant>(I->getOperand(1));
        break;
      case Instruction::Select:
        Linear = cast<SelectInst>(I)->getCondition() != X;
        break;
      case Instruction::Call:
        Linear = isMulAdd(I) && I->getOperand(2) == X &&
                 I->getOperand(0) != X && I->getOperand(1) != X;
        break;
      default:
        break;
      }
      if (!Linear)
        return false;
      if (Seen.insert(I).second)
        Work.push_back(I);
    }
  }
  return true;
}

// The sum `Acc` of the loop `L` (a header phi) when every iteration adds to it
// with coefficient one and nothing else reads it: the values of the chain in
// `Chain`, the exit phis that take its last value in `ExitPhis`. False where
// `Acc` is used otherwise.
bool sumChain(Loop *L, PHINode *Acc, BasicBlock *Latch,
              SmallPtrSetImpl<Value *> &Chain,
              SmallVectorImpl<PHINode *> &ExitPhis) {
  Value *Last = Acc->getIncomingValueForBlock(Latch);
  if (Last == Acc)
    return false;
  SmallVector<Value *, 8> Work{Acc};
  Chain.insert(Acc);
  SmallVector<Instruction *, 4> Merges;
  while (!Work.empty()) {
    Value *V = Work.pop_back_val();
    for (User *U : V->users()) {
      auto *I = dyn_cast<Instruction>(U);
      if (!I)
        return false;
      if (!L->contains(I)) {
        auto *P = dyn_cast<PHINode>(I);
        if (!P || V != Last || P->getParent() != L->getExitBlock())
          return false;
        ExitPhis.push_back(P);
        continue;
      }
      if (I == Acc)
        continue;
      bool Ok = false;
      if (I->getOpcode() == Instruction::FAdd)
        Ok = !(Chain.count(I->getOperand(0)) && Chain.count(I->getOperand(1))) &&
             I->getOperand(0) != I->getOperand(1);
      else if (I->getOpcode() == Instruction::FSub)
        Ok = I->getOperand(0) == V && !Chain.count(I->getOperand(1)) &&
             I->getOperand(1) != V;
      else if (isa<PHINode>(I)) {
        Ok = true;
        Merges.push_back(I);
      } else if (auto *S = dyn_cast<SelectInst>(I)) {
        Ok = S->getCondition() != V;
        Merges.push_back(I);
      } else if (isMulAdd(I))
        Ok = I->getOperand(2) == V && I->getOperand(0) != V &&
             I->getOperand(1) != V && !Chain.count(I->getOperand(0)) &&
             !Chain.count(I->getOperand(1));
      if (!Ok)
        return false;
      if (Chain.insert(I).second)
        Work.push_back(I);
    }
  }
  // A merge of the chain with anything else would add that with
  // coefficient one on one path and drop the sum on the other; an operand
  // of an `fadd` that joined the chain later makes its coefficient two.
  for (Instruction *I : Merges) {
    if (auto *S = dyn_cast<SelectInst>(I)) {
      if (!Chain.count(S->getTrueValue()) || !Chain.count(S->getFalseValue()) ||
          Chain.count(S->getCondition()))
        return false;
      continue;
    }
    for (Value *In : cast<PHINode>(I)->incoming_values())
      if (!Chain.count(In))
        return false;
  }
  for (Value *V : Chain)
    if (auto *I = dyn_cast<Instruction>(V)) {
      if (I->getOpcode() == Instruction::FAdd &&
          Chain.count(I->getOperand(0)) && Chain.count(I->getOperand(1)))
        return false;
      if (I->getOpcode() == Instruction::FSub && Chain.count(I->getOperand(1)))
        return false;
      if (isMulAdd(I) &&
          (Chain.count(I->getOperand(0)) || Chain.count(I->getOperand(1))))
        return false;
    }
  return Chain.count(Last) && !ExitPhis.empty();
}

// Jams the inner loop `SB` into `SA` (both of one block, in one iteration of
// `L` after `L` was unrolled by two, `SA` first): the instructions `SB`
// needs from its own iteration are moved before `SA` where they do not
// depend on `SA` or on what follows it, `SB`'s body is cloned into `SA`'s
// (its phis starting from `SB`'s entry values) and its results are taken
// from there; `SB` is left dead. Only where both loops run `BTC + 1` times
// whenever `L`'s iteration does, in a function that writes no memory (so
// no load moves past a store). False, with nothing changed, elsewhere.
bool jamInnerLoops(Loop *L, Loop *SA, Loop *SB, DominatorTree &DT,
                   PostDominatorTree &PDT, ScalarEvolution &SE) {
  BasicBlock *HA = SA->getHeader(), *HB = SB->getHeader();
  BasicBlock *PA = SA->getLoopPreheader(), *PB = SB->getLoopPreheader();
  if (SA->getNumBlocks() != 1 || SB->getNumBlocks() != 1 || !PA || !PB ||
      !SA->getExitBlock() || !SB->getExitBlock() ||
      SA->getExitingBlock() != HA || SB->getExitingBlock() != HB)
    return false;
  const SCEV *BA = SE.getBackedgeTakenCount(SA);
  if (isa<SCEVCouldNotCompute>(BA) || BA != SE.getBackedgeTakenCount(SB))
    return false;
  // Both loops run in every iteration of `L`, `SA` first.
  if (!DT.dominates(HA, HB) || !PDT.dominates(PB, PA) ||
      !DT.dominates(PA, L->getLoopLatch()))
    return false;
  Instruction *At = PA->getTerminator();
  // What `SB` needs from outside it, closed over operands within `L`.
  SmallVector<Instruction *, 16> Work;
  SmallPtrSet<Instruction *, 16> Move;
  auto Need = [&](Value *V) {
    auto *I = dyn_cast<Instruction>(V);
    if (I && L->contains(I) && !SB->contains(I) && !DT.dominates(I, At) &&
        Move.insert(I).second)
      Work.push_back(I);
  };
  for (Instruction &I : *HB)
    for (Value *Op : I.operands())
      Need(Op);
  while (!Work.empty()) {
    Instruction *I = Work.pop_back_val();
    if (isa<PHINode>(I) || I->isTerminator() || I->mayHaveSideEffects() ||
        SA->contains(I) || !DT.dominates(PA, I->getParent()) ||
        !PDT.dominates(I->getParent(), PA))
      return false;
    if (auto *Ld = dyn_cast<LoadInst>(I))
      if (!Ld->isSimple())
        return false;
    for (Value *Op : I->operands())
      Need(Op);
  }
  // Move them in their order (each after its operands).
  SmallVector<Instruction *, 16> Order;
  for (BasicBlock *BB : ReversePostOrderTraversal<Function *>(HA->getParent()))
    for (Instruction &I : *BB)
      if (Move.count(&I))
        Order.push_back(&I);
  for (Instruction *I : Order)
    I->moveBefore(At->getIterator());
  // `SB`'s body in `SA`'s.
  ValueToValueMapTy VMap;
  SmallVector<std::pair<PHINode *, PHINode *>, 4> Phis;
  for (PHINode &P : HB->phis()) {
    auto *N = PHINode::Create(P.getType(), 2, P.getName() + ".jam",
                              HA->getFirstNonPHIIt());
    N->addIncoming(P.getIncomingValueForBlock(PB), PA);
    VMap[&P] = N;
    Phis.push_back({&P, N});
  }
  Instruction *End = HA->getTerminator();
  for (Instruction &I : *HB) {
    if (isa<PHINode>(I) || I.isTerminator())
      continue;
    Instruction *C = I.clone();
    C->insertBefore(End->getIterator());
    VMap[&I] = C;
  }
  for (Instruction &I : *HA)
    if (I.getParent() == HA && !isa<PHINode>(I))
      RemapInstruction(&I, VMap,
                       RF_NoModuleLevelChanges | RF_IgnoreMissingLocals);
  for (auto [P, N] : Phis)
    N->addIncoming(VMap.lookup(P->getIncomingValueForBlock(HB))
                       ? (Value *)VMap.lookup(P->getIncomingValueForBlock(HB))
                       : P->getIncomingValueForBlock(HB),
                   HA);
  // Uses of `SB`'s values after it read the clones.
  for (Instruction &I : *HB) {
    Value *C = VMap.lookup(&I);
    if (!C)
      continue;
    I.replaceUsesWithIf(C, [&](Use &U) {
      return !SB->contains(cast<Instruction>(U.getUser()));
    });
  }
  return true;
}

// Whether LLVM's verifier rejects `G` (a copy of a derivative whose body
// was just moved in, see `ferment_move_body`) with its returns made to fit
// its type: the caller rewrites those, the rest must verify as it is.
bool brokenBesidesReturns(Function &G) {
  ValueToValueMapTy VMap;
  Function *H = CloneFunction(&G, VMap);
  Type *T = H->getReturnType();
  for (BasicBlock &BB : *H)
    if (auto *R = dyn_cast_or_null<ReturnInst>(BB.getTerminator())) {
      ReturnInst::Create(H->getContext(),
                         T->isVoidTy() ? nullptr : PoisonValue::get(T),
                         R->getIterator());
      R->eraseFromParent();
    }
  bool Broken = verifyFunction(*H);
  H->eraseFromParent();
  return Broken;
}
} // namespace

// Outlines the iterations of `F`'s outermost loops that only add to one
// floating-point sum (see reverse/rows.rs): each such loop's body becomes
// a call of `ferment.rows.<F>.<k>` (its header values and the loop's inputs
// as arguments, the iteration's term as result), and the loop adds that
// result to the sum. The bodies stay in `F` for the rest of what they
// compute; a cleanup pipeline drops what only the sum used. Only where `F`
// writes no memory at all (so the rows read the same memory whenever they
// run) and each loop contains another loop (a row). Each loop with one
// inner loop is first unrolled and jammed by two (`x[i]` and `x[i+1]` in
// one inner loop, each row's sum in its own order), so that the row's
// latency-bound dot product runs two rows at once; with `Mode` 1 only
// loops so jammed are outlined, with 2 every one that qualifies. Writes
// the new functions to `Out` (at most `Max`); returns their number.
extern "C" unsigned ferment_outline_sum_rows(LLVMValueRef FV,
                                             LLVMValueRef *Out,
                                             unsigned Max, unsigned Mode) {
  Function *F = unwrap<Function>(FV);
  for (Instruction &I : instructions(*F))
    if (writesMemory(I) || isa<AllocaInst>(I) || isa<InvokeInst>(I) ||
        isa<CallBrInst>(I))
      return 0;
  auto AP = std::make_unique<FnScev>(*F);
  Module *M = F->getParent();
  unsigned Count = 0;
  // A row of data: a load in an inner loop of `L` whose address moves
  // through that loop and starts at a place that moves with `L` (`x[i*p +
  // j]`), the memory the taped form reads in both sweeps.
  auto ReadsDataRows = [&](Loop *L) {
    for (Loop *S : L->getSubLoops()) {
      // rows of one length (not a triangle: a pair loop `j > i`)
      const SCEV *BTC = AP->SE.getBackedgeTakenCount(S);
      if (isa<SCEVCouldNotCompute>(BTC) || !AP->SE.isLoopInvariant(BTC, L))
        return false;
    }
    for (Loop *S : L->getSubLoops())
      for (BasicBlock *BB : S->blocks())
        for (Instruction &I : *BB)
          if (auto *Ld = dyn_cast<LoadInst>(&I))
            if (auto *AR = dyn_cast<SCEVAddRecExpr>(
                    AP->SE.getSCEV(Ld->getPointerOperand())))
              if (AR->getLoop() == S && !AR->getStepRecurrence(AP->SE)->isZero() &&
                  !AP->SE.isLoopInvariant(AR->getStart(), L))
                return true;
    return false;
  };
  // The sum of `L` (its header's floating-point phi, the others in
  // `Others`) where `L`'s rows qualify; null elsewhere.
  auto SumRows = [&](Loop *L, SmallVectorImpl<PHINode *> &Others,
                     SmallVectorImpl<PHINode *> &ExitPhis) -> PHINode * {
    BasicBlock *H = L->getHeader(), *Latch = L->getLoopLatch();
    // Rows of one level of inner loops: deeper nests (a convolution's
    // channels, a pair loop inside a loop over clusters) need tapes of
    // their own in every row's derivative and were measured slower.
    if (!Latch || !L->getLoopPreheader() || L->getExitingBlock() != Latch ||
        !L->getExitBlock() || L->getSubLoops().empty() ||
        !llvm::all_of(L->getSubLoops(),
                      [](Loop *S) { return S->isInnermost(); }) ||
        !ReadsDataRows(L))
      return nullptr;
    PHINode *Acc = nullptr;
    for (PHINode &P : H->phis()) {
      if (P.getType()->isFloatingPointTy() && !Acc)
        Acc = &P;
      else if (P.getType()->isIntegerTy() || P.getType()->isPointerTy())
        Others.push_back(&P);
      else
        return nullptr;
    }
    if (!Acc)
      return nullptr;
    SmallPtrSet<Value *, 16> Chain;
    if (!sumChain(L, Acc, Latch, Chain, ExitPhis) ||
        !llvm::all_of(ExitPhis,
                      [](PHINode *P) { return onlySummedToReturn(P); }))
      return nullptr;
    // Calls in the rows: no unwinding, nothing convergent.
    for (BasicBlock *BB : L->blocks())
      for (Instruction &I : *BB)
        if (auto *CB = dyn_cast<CallBase>(&I))
          if (!CB->doesNotThrow() || CB->isConvergent())
            return nullptr;
    return Acc;
  };
  // Two rows per iteration. A fused row runs its dot product (an ordered
  // sum, one add's latency per element) before its reverse, where the
  // taped form's separate forward loop overlapped consecutive rows' sums
  // (logreg, d = 200: 0.86 -> 0.99 ms fused alone, 0.56 jammed). `F`
  // writes no memory, so no dependence stands in the way; the rows keep
  // their order in the sum, each row's sum its own order.
  // An invariant test around the row (`p > 0`) is unswitched first: the
  // jam needs the inner loop entered on every iteration.
  SmallPtrSet<BasicBlock *, 4> Jammed;
  bool Candidates = false;
  for (Loop *L : AP->LI) {
    SmallVector<PHINode *, 4> Others;
    SmallVector<PHINode *, 2> ExitPhis;
    Candidates |= SumRows(L, Others, ExitPhis) != nullptr;
  }
  if (!Candidates)
    return 0;
  // Tried on a copy `G`, which replaces `F`'s body where a row was jammed
  // (or with `Mode` 2): elsewhere `F` stays as it was, and so does the
  // module: declarations the attempt added (`llvm.assume` from the
  // unrolling) go again with the copy where nothing else uses them.
  SmallPtrSet<Function *, 32> Declared;
  for (Function &Fn : *M)
    Declared.insert(&Fn);
  auto Discard = [&](Function *Copy) {
    Copy->eraseFromParent();
    for (Function &Fn : make_early_inc_range(*M))
      if (!Declared.count(&Fn) && Fn.isDeclaration() && Fn.use_empty())
        Fn.eraseFromParent();
  };
  ValueToValueMapTy CloneMap;
  Function *G = CloneFunction(F, CloneMap);
  LLVMValueRef GV = wrap(G);
  char Err[256];
  if (ferment_run_function_pipeline(
          GV,
          "loop-mssa(simple-loop-unswitch<nontrivial>),simplifycfg,"
          "loop-simplify,lcssa",
          Err, sizeof Err)) {
    Discard(G);
    return 0;
  }
  // A load in the row's inner loop at an address that is not affine in
  // it (an image sampled at `(i + u, j + v)`: warp.c, 8.8 -> 12.3 ms
  // jammed): the taped form's reverse of such rows was faster.
  auto Gathers = [&](Loop *S) {
    for (BasicBlock *BB : S->blocks())
      for (Instruction &I : *BB)
        if (auto *Ld = dyn_cast<LoadInst>(&I)) {
          const SCEV *P = AP->SE.getSCEV(Ld->getPointerOperand());
          auto *AR = dyn_cast<SCEVAddRecExpr>(P);
          if (!AP->SE.isLoopInvariant(P, S) && (!AR || AR->getLoop() != S))
            return true;
        }
    return false;
  };
  {
    AP = std::make_unique<FnScev>(*G);
    TargetTransformInfo TTI(F->getDataLayout());
    OptimizationRemarkEmitter ORE(G);
    SmallVector<Loop *, 4> Top(AP->LI.begin(), AP->LI.end());
    bool Changed = false;
    for (Loop *L : Top) {
      SmallVector<PHINode *, 4> Others;
      SmallVector<PHINode *, 2> ExitPhis;
      if (L->getSubLoops().size() != 1 ||
          L->getSubLoops()[0]->getNumBlocks() != 1 ||
          !SumRows(L, Others, ExitPhis) ||
          (Mode < 2 && Gathers(L->getSubLoops()[0])))
        continue;
      UnrollLoopOptions ULO;
      ULO.Count = 2;
      ULO.Force = false;
      ULO.Runtime = true;
      ULO.AllowExpensiveTripCount = false;
      ULO.UnrollRemainder = false;
      ULO.ForgetAllSCEV = false;
      ULO.SCEVExpansionBudget = 4;
      Loop *Rem = nullptr;
      if (UnrollLoop(L, ULO, &AP->LI, &AP->SE, &AP->DT, &AP->AC, &TTI, &ORE,
                     true, &Rem) != LoopUnrollResult::PartiallyUnrolled)
        continue;
      Changed = true;
      if (L->getSubLoops().size() != 2)
        continue;
      Loop *SA = L->getSubLoops()[0], *SB = L->getSubLoops()[1];
      if (AP->DT.dominates(SB->getHeader(), SA->getHeader()))
        std::swap(SA, SB);
      PostDominatorTree PDT(*G);
      AP->SE.forgetLoop(L);
      if (!jamInnerLoops(L, SA, SB, AP->DT, PDT, AP->SE))
        continue;
      // the last row of an odd count too: no tape for it
      Jammed.insert(L->getHeader());
      if (Rem)
        Jammed.insert(Rem->getHeader());
    }
    if (Changed &&
        ferment_run_function_pipeline(
            GV,
            "adce,simplifycfg,loop-simplify,lcssa,loop(loop-deletion),"
            "simplifycfg,loop-simplify,lcssa",
            Err, sizeof Err))
      Jammed.clear();
  }
  AP.reset();
  // The copy replaces `F` only where it verifies: on any doubt `F` stays
  // as it was (rows then outlined unjammed with `Mode` 2 only).
  if (brokenBesidesReturns(*G)) {
    Discard(G);
    if (Mode < 2)
      return 0;
    Jammed.clear();
    G = nullptr;
  } else if (Jammed.empty() && Mode < 2) {
    Discard(G);
    return 0;
  }
  if (G) {
    for (BasicBlock &BB : *F)
      BB.dropAllReferences();
    while (!F->empty())
      F->begin()->eraseFromParent();
    // The copy's locations name its own subprogram (CloneFunction made a
    // distinct one): `F` takes it with the body.
    ferment::moveBody(*G, *F, F->arg_size());
  }
  AP = std::make_unique<FnScev>(*F);
  FnScev &A = *AP;
  LoopInfo &LI = A.LI;
  SmallVector<Loop *, 4> Top(LI.begin(), LI.end());
  for (Loop *L : Top) {
    if (Count >= Max)
      break;
    if (Mode < 2 && !Jammed.count(L->getHeader()))
      continue;
    BasicBlock *H = L->getHeader(), *Latch = L->getLoopLatch();
    SmallVector<PHINode *, 4> Others;
    SmallVector<PHINode *, 2> ExitPhis;
    PHINode *Acc = SumRows(L, Others, ExitPhis);
    if (!Acc)
      continue;
    // The loop's inputs: values from outside it that its blocks use
    // (not the header phis' entry values).
    SmallVector<Value *, 8> Inputs;
    SmallPtrSet<Value *, 8> Seen;
    for (BasicBlock *BB : L->blocks())
      for (Instruction &I : *BB) {
        if (isa<PHINode>(I) && BB == H)
          continue;
        for (Value *Op : I.operands()) {
          bool Outside = isa<Argument>(Op) ||
                         (isa<Instruction>(Op) &&
                          !L->contains(cast<Instruction>(Op)));
          if (Outside && Seen.insert(Op).second)
            Inputs.push_back(Op);
        }
      }
    SmallVector<Type *, 8> Params;
    for (PHINode *P : Others)
      Params.push_back(P->getType());
    for (Value *V : Inputs)
      Params.push_back(V->getType());
    FunctionType *FT = FunctionType::get(Acc->getType(), Params, false);
    std::string Name =
        ("ferment.rows." + F->getName() + "." + Twine(Count)).str();
    Function *B = Function::Create(FT, GlobalValue::InternalLinkage, Name, M);
    for (const Attribute &At : F->getAttributes().getFnAttrs())
      if (At.isStringAttribute())
        B->addFnAttr(At);
    B->addFnAttr(Attribute::NoInline);
    B->addFnAttr(Attribute::NoUnwind);
    B->addFnAttr(Attribute::WillReturn);
    B->setMemoryEffects(MemoryEffects::readOnly());
    ValueToValueMapTy VMap;
    SmallVector<BasicBlock *, 16> NewBlocks;
    for (BasicBlock *BB : L->blocks()) {
      BasicBlock *NB = CloneBasicBlock(BB, VMap, "", B);
      VMap[BB] = NB;
      NewBlocks.push_back(NB);
    }
    BasicBlock *NH = cast<BasicBlock>(VMap[H]);
    NH->moveBefore(&B->front());
    SmallVector<Instruction *, 4> ClonedPhis;
    for (PHINode &P : H->phis())
      ClonedPhis.push_back(cast<Instruction>(VMap[&P]));
    unsigned K = 0;
    for (PHINode *P : Others)
      VMap[P] = B->getArg(K++);
    for (Value *V : Inputs)
      VMap[V] = B->getArg(K++);
    // -0 + t is t for every t (+0 + -0 would be +0).
    VMap[Acc] = ConstantFP::getNegativeZero(Acc->getType());
    remapInstructionsInBlocks(NewBlocks, VMap);
    for (Instruction *P : ClonedPhis)
      P->eraseFromParent();
    BasicBlock *NL = cast<BasicBlock>(VMap[Latch]);
    Value *Term = VMap[Acc->getIncomingValueForBlock(Latch)];
    NL->getTerminator()->eraseFromParent();
    ReturnInst::Create(F->getContext(), Term, NL);
    // The rows' code keeps no source locations: its subprogram is F's.
    for (BasicBlock &BB : *B)
      for (Instruction &I : BB) {
        I.setDebugLoc(DebugLoc());
        I.dropDbgRecords();
      }
    SmallVector<Value *, 8> Args(Others.begin(), Others.end());
    Args.append(Inputs.begin(), Inputs.end());
    IRBuilder<> IB(&*H->getFirstInsertionPt());
    CallInst *C = IB.CreateCall(B, Args);
    Value *Sum = IB.CreateFAdd(Acc, C);
    Acc->setIncomingValueForBlock(Latch, Sum);
    for (PHINode *P : ExitPhis)
      P->setIncomingValueForBlock(Latch, Sum);
    Out[Count++] = wrap(B);
  }
  return Count;
}

// Inlines the direct call `CallV`. Returns 1 when it did.
extern "C" int ferment_inline_call(LLVMValueRef CallV) {
  auto *CB = dyn_cast<CallBase>(unwrap(CallV));
  if (!CB || !CB->getCalledFunction() ||
      CB->getCalledFunction()->isDeclaration())
    return 0;
  InlineFunctionInfo IFI;
  return InlineFunction(*CB, IFI).isSuccess() ? 1 : 0;
}
