//! Compile time: code ferment gives the host to optimize and compile for nothing.
//!
//! - With `-mllvm -ferment-no-unroll-runtime`, a derivative's innermost loops that store tape rows
//!   carry `llvm.loop.unroll.runtime.disable`: the host's runtime unroller would copy each such
//!   scalar loop 2-8 times behind a remainder loop (lstm's derivative: 2591 -> 2217 optimized
//!   instructions without). It is off by default (kmeans_hvp's gradient ran 6% slower); the
//!   default build of the same file has unrolled copies (`.prol`/`.epil`/`.unr` blocks), which
//!   shows the check can fail.
//!   The reverse sweep's loops keep the host's treatment (unrolled, particles' pair loop ran 4%
//!   faster).
//! - A derivative's innermost loops that call a library function (`exp`, `log`, `pow`... also as
//!   LLVM intrinsics, which the unroller counts as cheap) carry the same metadata by default: the
//!   call hides the loop overhead that unrolling saves (gmm's derivative: 16385 -> 15016 bytes of
//!   code, lstm's 22722 -> 20781, mlp's 8599 -> 8025). `-ferment-unroll-calls` keeps the host's
//!   treatment.
//! - The OpenMP team merge's `gather` helper stays a scalar function (no vector instructions):
//!   vectorized and unrolled it was 424 instructions in every OpenMP reverse-mode file.
//! - A loop nest whose counts are exact and do not change inside it takes its tape rows from its
//!   iteration numbers: no row counter carried through the nest, and one reservation per buffer
//!   before the nest (no check at the inner loop's entries). gmm's derivative before the
//!   vectorizer: 254 -> 167 phis, 12 -> 7 growth calls. `-ferment-no-affine-rows` keeps the
//!   counters (the check can fail).
//! - Where a derivative's loops are unswitched on a zero adjoint (the reverse of a maximum over
//!   candidates), the guards of inner loops (`n > 0`) are not unswitched, whatever the size of the
//!   loop around them: unswitched, a loop nest was copied once per combination of empty inner
//!   loops (mlp's derivative: 1345 -> 695 optimized instructions without). The old behaviour on
//!   request (`-ferment-unswitch-loop-guards`) shows the check can fail.
//! - A constant-size copy of up to 8 array elements moves its adjoints in place, without the
//!   `ferment.adjoint.memcpy.*` helper (two vectorized loops with overlap checks and remainders,
//!   ~220 optimized instructions in hand's, ode's and rk4's files, for hand's copy of 3 doubles);
//!   a longer copy still calls it (the check can fail).
//! - The reverse of a convolution window (a ReLU per output, the window loop unrolled 3 x 3 inside
//!   the loop over channels) is unswitched on the ReLU adjoint's zero test, which the reverse
//!   sweep computes once before the window loop: its 18 partials were each guarded by a select on
//!   that test, which LLVM's cost multiplier counted as 18 unswitching candidates (conv2d's
//!   gradient 1.31 -> 0.97 ms, 39.5 -> 25.0 ms at C=8 H=128 F=16). `-ferment-no-guard-zero` keeps
//!   the selects (the check can fail).
//! - The guarded products of a discarded chain (a pair term inside a cutoff, computed as a select
//!   at -O2) test the chain's first zero test (here the cutoff's own condition), not each its own
//!   adjoint: springs' reverse pair loop had 10 compares and 14 selects per vector iteration
//!   (Enzyme 4 and 4), now 4 and 8 (gradient 1.15 -> 0.95 ms). `-ferment-no-share-guards` keeps a
//!   test per product (the check can fail).
//! - In an innermost loop of a derivative, a load of the element the loop's own store wrote in the
//!   previous iteration, behind branches that write nothing (an in-place Gauss-Seidel sweep's
//!   `x[i][j-1]` behind the invariant tests `i > 0`, `i < m - 1`, which the host's -O2 pipeline
//!   does not unswitch), moves into the loop header, where loop-load elimination forwards the
//!   stored value (`store_forwarded` phis): the forward sweep's recurrence no longer goes through
//!   memory (a 200 x 200 grid, 20 sweeps: gradient 6.9 -> 5.0 ms, primal 4.6 ms).
//!   `-ferment-no-hoist-carried-loads` leaves the load in place (the check can fail).
//! - The digamma of lgamma's (and tgamma's) derivative is a call of the pure helper
//!   `ferment.digamma.<type>`, whose reflection term (`tan`) runs only for negative arguments:
//!   inline, the `tan` was computed for every argument and selected away (17% of a
//!   negative-binomial log-likelihood's gradient, 4.30 -> 3.92 ms without it).
//! - Where the primal divides by `sqrt(x)` (a softened pair potential `m_i m_j / sqrt(r2 + e2)`),
//!   the `sqrt` partial is `0.5 * (1 / sqrt(x))`, sharing the quotient's `1 / sqrt(x)`: the reverse
//!   loop has no `0.5 / s` division (nbody, 1000 bodies: 3 -> 2 divisions per pair, gradient
//!   2.20 -> 2.10 ms at plain -O2); elsewhere the partial stays `0.5 / sqrt(x)`.
//!
//! - A factorization's innermost loops read elements an earlier step finished and no later store
//!   of the nest writes (Cholesky's columns k < j in step j, into a scratch factor; LU's pivot row
//!   k after step k's swap, every later swap and update going to rows > k): the reverse sweep
//!   reads them again instead of taping one value per innermost iteration (n = 300: 122 MB of
//!   tape for Cholesky, 94 MB for LU; gradients 9.6 -> 5.3 ms and 8.9 -> 3.6 ms).
//!   `-ferment-no-nest-frontier` tapes them (the check can fail).
//! - A re-read of an element stored earlier, behind branch tests that rule out every store on the
//!   way (Gauss-Jordan's `a[i][j] -= m * a[k][j]` for each row `i != k`, rows and columns
//!   unrolled: the stores into the earlier rows may be row k as far as alias analysis knows),
//!   takes the stored value in the canonical copy: the pivot row is taped once, not once per
//!   target row (a 4x4 inverse: 29 -> 13 taped loads; the Kalman filter of
//!   `benches/repro/shapes/kalman.c`: gradient 9.5-10.0 -> 6.7-6.9 ms).
//!   `-ferment-no-forward-guarded-stores` keeps the re-reads (the check can fail).
//! - A scratch table allocated on two paths (`malloc` or `calloc`) and freed through the phi of
//!   the two is freed where the reverse sweep passes each allocation, like a block with one
//!   allocation site: the sweeps' loads of it are read again, not taped per iteration (an FFT
//!   whose twiddle table's allocation the optimizer duplicated into both arms of its size guard).
//!
//! - Calls that stay calls in a derivative ask for their callee's derivative with what the caller
//!   knows about the memory behind each pointer argument, minus the repeats of an array of
//!   structures (`derive::fold_periods`): `std::stable_sort` of 8 `{std::string, double}` items
//!   called `__stable_sort_adaptive` and `__inplace_stable_sort` from two places that knew the
//!   array to different depths, and each got two identical derivatives (the e2e case
//!   `cpp/stable_sort_string_structs.cpp` at -O2: 20 -> 16 derivatives, 40.9 -> 27.7 s of CPU).
//! - A value the reverse sweep recomputes (a pair's `r2`, `1/r2`, `s6`) is built once per reverse
//!   block and reused by every partial that needs it, not rebuilt at each use: a pair energy's
//!   derivative 2636 -> 519 instructions as generated (182 after ferment's simplification either
//!   way; ba's 5317 -> 1644, the plugin's own time on ba.c 28 -> 10 ms).
//!   `-ferment-no-reload-memo` rebuilds at each use (the check can fail).
//! - Where the reverse loop of a stencil keeps its neighbour's adjoint in a register (the rotation
//!   of its accumulations) only when the shadow arrays do not overlap (shadows are plain
//!   pointers: the check is made at run time), the unchanged copy of the loop for overlapping
//!   arrays stays a rolled scalar loop: the host runtime-unrolled it, and in an OpenMP region's
//!   reverse also versioned it again in its own loop-load elimination and unrolled both versions
//!   (omp_stencil's two region reverses 1126 -> 950 and 577 -> 403 optimized instructions).
//!   `-ferment-unroll-alias-fallbacks` leaves it to the host (the check can fail).
//! - A derivative's innermost loop whose trip count is not a constant and whose vectorization
//!   needs more than 16 run-time alias checks between pointer groups (a reverse loop adding into
//!   many shadows) stays scalar: lstm's reverse cell (42 and 35 pairs, 14 iterations) was a
//!   351-instruction vector body with two checks of 79 and 60 instructions (the derivative 2374 ->
//!   1491 optimized instructions). `-ferment-max-vector-checks=0` leaves it to the host (the check
//!   can fail).
//! - With `-mllvm -ferment-no-epilogue-vectorization`, ferment's functions get no vectorized
//!   epilogue loop (the host's setting is restored for user code, whose loop keeps its own), and
//!   the BLAS helpers' column loop is not runtime-unrolled (smaller without the epilogue, the
//!   `scale` helper's was: 181 optimized instructions against 67). Off by default: without the
//!   epilogue, loops of 8-31 iterations run scalar (gmm_blas 10% slower); the default build of
//!   the same file has `vec.epilog` blocks in the derivatives, which shows the check can fail.
//! - A derivative loop whose boundary test holds in every iteration but the last (a no-flux right
//!   neighbour `k < m - 1 ? y[k + 1] : y[k]`, from which the host's pipeline peeled the first
//!   iteration for `k > 0`) loses its last iteration, and the loop left reads `y[k + 1]`: the
//!   vectorizer gathered the selected element (a checkpointed Heun step's segment derivative:
//!   20 -> 10 gathers; rk4_ckpt's gradient 3-4% faster in medians on a loaded machine, the
//!   reverse loops' gathers remain). `-ferment-no-peel-last` keeps the loop whole (the check can
//!   fail).
//! - A load of a scratch buffer that an earlier sibling loop already read (taped) in the same
//!   iteration of their parent, the same element at the same iteration number, with nothing
//!   writing the buffer in between, is read from that loop's tape row instead of taped again
//!   (`Tape::sibling_load`): conjugate gradient's `p[k]`, read by `p.q`, `x += a p` and
//!   `p = r + b p`, and `q[k]`, read by `p.q` and `r -= a q`, three taped loads fewer
//!   (`benches/repro/shapes/cg.c`: gradient 6.1 -> 3.3 ms). `-ferment-no-sibling-loads` tapes
//!   them (the check can fail).
//! - On AVX-512 targets, a derivative whose innermost loops store or read tape rows of several
//!   fields, and have no other access the vectorizer may gather or scatter, prefers no gathers
//!   and scatters: each field of 8 rows was written by a `vscatterqpd` and read back by a
//!   `vgatherqpd` (swe1d's gradient 29.4 -> 12.3 ms; cg 6.4 -> 5.0, lstm 1.80 -> 1.44,
//!   blackscholes 6.5 -> 5.4). `-ferment-tape-gathers` keeps the host's choice (the check can
//!   fail). The same holds for a loop that adds into a block of a few shadow elements per
//!   iteration (`dA[9 * j + k]`, hand.c's skinning): 9 gathers and 9 scatters per 8 bones, where
//!   the SLP vectorizer widens the block once they are not preferred; other gathers only keep
//!   the host's choice from a loop nested as deep as the strided one.
//! - A bilinear warp's sample index (`(long)floor(fmin(fmax(i + u, 0), h - 1.001))`, rows and
//!   columns) is rebuilt in the reverse sweep from the displacements, and the four corners are
//!   read again from the image nothing writes: the index needs float-to-int conversions among the
//!   values rebuilt and the residual 19 operand levels (12 before): 96 bytes per pixel were taped
//!   (`benches/repro/shapes/warp.c`, 512 x 512, tuned flags: 11.2 -> 8.5 ms). The same warp from a
//!   scratch copy blended in place still tapes its gathers.
//! - Without SSE4.1 (baseline x86-64, plain `-O2`) `floor` is a libm call the reverse sweep does
//!   not repeat: the same warp tapes its two `floor` results per pixel and rebuilds the index,
//!   the fractions, the corners and the residual from them (a value may be rebuilt from up to four
//!   taped rounding results: `Tape::recomputable`), 16 bytes per pixel instead of 128
//!   (warp.c plain: 8.9 -> 8.5 ms). The blended warp still tapes its gathers.
//! - Loop nests that fill BLAS operands with the same values (gmm_blas's centred data, filled
//!   again before a second product) are rebuilt in the reverse sweep by one shared helper: each
//!   had its own identical `ferment.blas.rebuild` function (110 optimized instructions).
//! - Where the `gemm` rule gives only the row sums of a rebuilt operand's adjoint (column 0 of a
//!   fresh `malloc` nothing else reads or writes), the reverse of the nest that fills it runs the
//!   first iteration of its outer loop alone: gmm_blas's ran n - 1 rows of zeros (7% of its
//!   gradient). The variants that break a premise keep every iteration (the check can fail).
//! - The row loops of the BLAS and LAPACK rules' triangle and symmetric helpers
//!   (`ferment.blas.triadd`, `tripack`, `triscale`, `phi`, `eiggap`) are vectorized with one
//!   interleave, so without a vectorized epilogue; those that read the transposed element
//!   (`symadd`, `sympack`) stay rolled scalar loops: their only vector plan assumed a leading
//!   dimension of 1, so those vector loops never ran. The six such helpers of a Cholesky
//!   factorization and solve (gp's): 832 -> 298 optimized instructions (gp's derivative functions
//!   1585 -> 1051), gradient unchanged. The elementwise helpers (`pack`) keep the host's treatment
//!   (their vectorized epilogue shows that the check can fail).
//! - Array indices computed by integer division and remainder (periodic neighbours `(i + 1) % n`,
//!   a flattened index split by constant divisors, a divisor read from memory) are rebuilt in the
//!   reverse sweep, a division by a variable with its divisor guarded against 0 and -1: the
//!   addresses and the values read through them were taped (heat2d of `benches/repro/shapes`,
//!   two shadow addresses per cell: 4.1 -> 3.3 ms tuned).
//! - The copy of the reverse loops that runs only where the run-time test that the stored
//!   quotients are finite fails (an unswitching of `shim::unswitch_zero_adjoints`) stays a rolled
//!   scalar loop nest: the host vectorized and unrolled both copies alike (ode's derivative 2661
//!   -> 2257 optimized instructions). `-ferment-vectorize-nonfinite-copies` leaves it to the
//!   host (the check can fail).
//! - A snapshot's row whose allocation the loop right after the copy reads whole (`i` = 0 ..
//!   element count - 1, every iteration, no write) is stored next to that loop's load instead of
//!   copied by `memcpy` (gmm's `|Q (x - mu)|^2` per data point and component: 2.47 -> 2.35 ms
//!   tuned); not where the forward sweep drops the reading loop (the check can fail).
//!
//! The derivatives' values are checked by the e2e cases (loops/, openmp/); this only looks at the
//! optimized IR (`-O2 -march=znver5`, a target whose scheduling model enables runtime unrolling).

use std::path::{Path, PathBuf};
use std::process::Command;

fn plugin() -> PathBuf {
    std::env::var_os("FERMENT_PLUGIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/libferment.so")
        })
}

/// The optimized IR of `src` (a C file written to a temporary directory) with the plugin.
fn optimized_ir(name: &str, src: &str, extra: &[&str]) -> String {
    String::from_utf8(compile(name, src, extra).stdout).unwrap()
}

/// Compiles `src` (a C file written to a temporary directory) with the plugin to optimized IR on
/// stdout; panics when clang fails.
fn compile(name: &str, src: &str, extra: &[&str]) -> std::process::Output {
    compile_file(&format!("{name}.c"), src, extra)
}

/// [`compile`] for a source file named `file_name` (`.cpp`: C++).
fn compile_file(file_name: &str, src: &str, extra: &[&str]) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("ferment-size-{}-{file_name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(file_name);
    std::fs::write(&file, src).unwrap();
    let mut cmd = Command::new("clang-22");
    cmd.args([
        "-O2",
        "-march=znver5",
        "-fno-math-errno",
        "-fno-discard-value-names",
    ])
    .arg(format!("-fpass-plugin={}", plugin().display()))
    .args(extra)
    .args(["-S", "-emit-llvm", "-o", "-"])
    .arg(&file);
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// The body of function `name` in printed IR.
fn body<'a>(ir: &'a str, name: &str) -> &'a str {
    let start = ir
        .match_indices("\ndefine ")
        .map(|(i, _)| i + 1)
        .find(|&i| {
            ir[i..]
                .lines()
                .next()
                .is_some_and(|l| l.contains(&format!("@{name}(")))
        })
        .unwrap_or_else(|| panic!("no function {name} in:\n{ir}"));
    let end = ir[start..].find("\n}\n").map_or(ir.len(), |e| start + e);
    &ir[start..end]
}

/// Labels of the forward sweep's blocks (the reverse sweep's are named `rev.*`) that the runtime
/// unroller makes (prologue/epilogue remainder loops, the unrolled loop's exits).
fn unrolled_forward_blocks(f: &str) -> Vec<&str> {
    f.lines()
        .filter_map(|l| l.split_once(':').map(|(label, _)| label))
        .filter(|label| !label.starts_with(' ') && !label.is_empty() && !label.starts_with("rev."))
        .filter(|label| {
            label.contains(".prol") || label.contains(".epil") || label.contains(".unr")
        })
        .collect()
}

/// A running maximum decides a flag per iteration, which the forward loop stores in its tape row:
/// the loop stays scalar (not vectorized), a loop the host runtime-unrolls.
const RUNNING_MAX: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double running_max(const double *x, long n) {
  double m = -1e300, s = 0;
  for (long i = 0; i < n; i++) {
    if (x[i] > m) m = x[i];
    s += m * x[i];
  }
  return s;
}
void grad(const double *x, double *dx, long n) {
  __enzyme_autodiff((void *)running_max, enzyme_dup, x, dx, enzyme_const, n);
}
"#;

#[test]
fn taping_loops_are_not_runtime_unrolled_on_request() {
    let ir = optimized_ir(
        "running_max",
        RUNNING_MAX,
        &["-mllvm", "-ferment-no-unroll-runtime"],
    );
    let d = body(&ir, "ferment.diffe.running_max");
    assert!(
        d.contains("!llvm.loop"),
        "the derivative has no loop metadata:\n{d}"
    );
    let blocks = unrolled_forward_blocks(d);
    assert!(
        blocks.is_empty(),
        "runtime-unrolled blocks in the derivative's forward sweep: {blocks:?}\n{d}"
    );
    // By default the host's treatment stays: the check above can fail.
    let ir = optimized_ir("running_max_unrolled", RUNNING_MAX, &[]);
    let d = body(&ir, "ferment.diffe.running_max");
    assert!(
        !unrolled_forward_blocks(d).is_empty(),
        "expected the host to runtime-unroll the derivative's loops by default:\n{d}"
    );
}

/// Each iteration calls `exp` on the value the previous one computed: the loop stays scalar (a
/// recurrence), and the host would runtime-unroll it 8 times although the call hides the loop
/// overhead that saves.
const DECAY: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double decay(const double *x, long n) {
  double s = 0;
  for (long i = 0; i < n; i++)
    s = exp(-s) * x[i];
  return s;
}
void grad(const double *x, double *dx, long n) {
  __enzyme_autodiff((void *)decay, enzyme_dup, x, dx, enzyme_const, n);
}
"#;

#[test]
fn loops_calling_libm_are_not_runtime_unrolled() {
    let exp_calls = |d: &str| d.matches("call double @llvm.exp.f64(").count();
    let ir = optimized_ir("decay", DECAY, &[]);
    let d = body(&ir, "ferment.diffe.decay");
    let blocks = unrolled_forward_blocks(d);
    assert!(
        blocks.is_empty() && exp_calls(d) == 1,
        "the forward loop calling exp was unrolled ({blocks:?}, {} exp calls):\n{d}",
        exp_calls(d)
    );
    // The host's own treatment, on request (ablation): the check above can fail.
    let ir = optimized_ir(
        "decay_unrolled",
        DECAY,
        &["-mllvm", "-ferment-unroll-calls"],
    );
    let d = body(&ir, "ferment.diffe.decay");
    assert!(
        !unrolled_forward_blocks(d).is_empty() && exp_calls(d) > 1,
        "expected the host to runtime-unroll the derivative's exp loop with -ferment-unroll-calls:\n{d}"
    );
}

/// Every thread adds into the adjoints of the elements it pairs with: the region's reverse
/// function gets the team copy with per-thread buffers, merged by the `gather` helper.
const PAIRS: &str = r#"
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double pairs(const double *x, long n) {
  double e = 0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic)
  for (long i = 0; i < n; i++)
    for (long j = 0; j < i; j++) {
      double d = x[i] - x[j];
      e += d * d * x[j];
    }
  return e;
}
void grad(const double *x, double *dx, long n) {
  __enzyme_autodiff((void *)pairs, enzyme_dup, x, dx, enzyme_const, n);
}
"#;

#[test]
fn openmp_team_gather_stays_scalar() {
    let ir = optimized_ir("pairs", PAIRS, &["-fopenmp"]);
    let g = body(&ir, "ferment.omp.team.gather.f64");
    assert!(
        !g.contains(" x double>") && !g.contains(" x i64>"),
        "vector code in the gather helper:\n{g}"
    );
    let n = g
        .lines()
        .filter(|l| l.starts_with("  ") && !l.trim_start().starts_with(';'))
        .count();
    assert!(n < 150, "gather helper of {n} instructions:\n{g}");
}

/// Adjoint adds into the three coordinates of a particle (`x[3j]`, `x[3j+1]`, `x[3j+2]`, one
/// block) share one check that the thread's buffer holds them (its alignment test among them);
/// the far field of a record (`x[12j+11]`, 88 bytes from `x[12j]`) keeps its own.
const TRIPLES: &str = r#"
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double triples(const double *x, long n) {
  double e = 0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic, 4)
  for (long i = 0; i < n; i++)
    for (long j = i + 1; j < n; j++) {
      double dx = x[3 * i] - x[3 * j], dy = x[3 * i + 1] - x[3 * j + 1], dz = x[3 * i + 2] - x[3 * j + 2];
      e += 1.0 / (1.0 + dx * dx + dy * dy + dz * dz);
    }
  return e;
}
double records(const double *x, long n) {
  double e = 0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic, 2)
  for (long i = 0; i < n; i++)
    for (long j = i + 1; j < n; j++) {
      double a = x[12 * i] - x[12 * j], b = x[12 * i + 1] - x[12 * j + 1], c = x[12 * i + 2] - x[12 * j + 2];
      e += x[12 * i + 11] * x[12 * j + 11] / (1.0 + a * a + b * b + c * c);
    }
  return e;
}
void grad(const double *x, double *dx, long n) {
  __enzyme_autodiff((void *)triples, enzyme_dup, x, dx, enzyme_const, n);
  __enzyme_autodiff((void *)records, enzyme_dup, x, dx, enzyme_const, n);
}
"#;

#[test]
fn openmp_adjacent_adds_share_one_buffer_check() {
    let ir = optimized_ir("triples", TRIPLES, &["-fopenmp"]);
    // the team copy of each region's reverse: its buffer checks' alignment tests (`off & 7`)
    let tests = |region: &str| {
        let name = ir
            .lines()
            .filter(|l| l.starts_with("define "))
            .filter_map(|l| {
                l.split_once('@')
                    .and_then(|(_, r)| r.split_once('('))
                    .map(|(n, _)| n)
            })
            .find(|n| n.contains(&format!(".{region}.omp_outlined")) && n.ends_with(".team"))
            .unwrap_or_else(|| panic!("no team copy for {region}:\n{ir}"));
        let f = body(&ir, name);
        (
            f.lines()
                .filter(|l| l.contains("= and i64 ") && l.ends_with(", 7"))
                .count(),
            f,
        )
    };
    // main (a845f59): 9 and 12, one per add
    let (n, f) = tests("triples");
    assert!(
        n <= 3,
        "{n} buffer checks in triples' team copy (one per group of 3 adds):\n{f}"
    );
    let (n, f) = tests("records");
    assert!(
        (2..=6).contains(&n),
        "{n} buffer checks in records' team copy (a group of 3 and the far field, per loop):\n{f}"
    );
}

/// A nest of exact counts (the inner loop behind the rotated outer loop's `m > 0` guard), taping
/// one value per inner and one per outer iteration.
const NEST: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double nest(const double *x, long n, long m) {
  double s = 0;
  for (long i = 0; i < n; i++) {
    double t = 1;
    for (long j = 0; j < m; j++)
      t += exp(x[j] * x[i]);
    s += log(t);
  }
  return s;
}
void grad(const double *x, double *dx, long n, long m) {
  __enzyme_autodiff((void *)nest, enzyme_dup, x, dx, enzyme_const, n, enzyme_const, m);
}
"#;

#[test]
fn nest_rows_come_from_iteration_numbers() {
    let count = |d: &str, what: &str| d.matches(what).count();
    let ir = optimized_ir("nest", NEST, &[]);
    let d = body(&ir, "ferment.diffe.nest");
    // one reservation per buffer: the outer loop's at its entry, the inner loop's before the nest
    let takes = count(d, "call ptr @ferment.tape.take(");
    assert_eq!(takes, 2, "growth calls in the derivative:\n{d}");
    let phis = count(d, " = phi i64 ");
    // The counters, on request (ablation): carried through the nest, more phis.
    let ir = optimized_ir(
        "nest_counters",
        NEST,
        &["-mllvm", "-ferment-no-affine-rows"],
    );
    let d = body(&ir, "ferment.diffe.nest");
    let counter_phis = count(d, " = phi i64 ");
    assert!(
        phis < counter_phis,
        "{phis} i64 phis with rows from iteration numbers, {counter_phis} with counters:\n{d}"
    );
}

/// A two-layer network (mlp's shape): the maximum over the output layer's values makes the reverse
/// sweep's loops unswitched on that maximum's zero adjoint; the forward sweep's inner loops are
/// guarded by their sizes (`nh > 0`, `ni > 0`, `nc > 0`) inside the loop over the batch.
const LAYERS: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double layers(const double *w1, const double *w2, const double *x, long ni, long nh, long nc, long nb) {
  double h[64], z[16], loss = 0;
  for (long n = 0; n < nb; n++) {
    for (long j = 0; j < nh; j++) {
      double a = 0;
      for (long i = 0; i < ni; i++) a += w1[j * ni + i] * x[n * ni + i];
      h[j] = tanh(a);
    }
    double mx = -INFINITY;
    for (long c = 0; c < nc; c++) {
      double a = 0;
      for (long j = 0; j < nh; j++) a += w2[c * nh + j] * h[j];
      z[c] = a;
      if (a > mx) mx = a;
    }
    double se = 0;
    for (long c = 0; c < nc; c++) se += exp(z[c] - mx);
    loss += log(se) + mx;
  }
  return loss;
}
void grad(const double *w1, double *d1, const double *w2, double *d2, const double *x, long ni, long nh,
          long nc, long nb) {
  __enzyme_autodiff((void *)layers, enzyme_dup, w1, d1, enzyme_dup, w2, d2, enzyme_const, x, enzyme_const, ni,
                    enzyme_const, nh, enzyme_const, nc, enzyme_const, nb);
}
"#;

#[test]
fn inner_loop_guards_are_not_unswitched() {
    // Labels of the blocks loop unswitching copied (`for.body.us`, `for.body7.us.us12`...).
    let unswitched = |d: &str| {
        d.lines()
            .filter_map(|l| l.split_once(':').map(|(label, _)| label))
            .filter(|label| !label.starts_with(' ') && label.contains(".us"))
            .count()
    };
    let ir = optimized_ir("layers", LAYERS, &[]);
    let d = body(&ir, "ferment.diffe.layers");
    assert_eq!(
        unswitched(d),
        0,
        "unswitched copies in the derivative:\n{d}"
    );
    // The old behaviour, on request: the check above can fail.
    let ir = optimized_ir(
        "layers_unswitched",
        LAYERS,
        &["-mllvm", "-ferment-unswitch-loop-guards"],
    );
    let d = body(&ir, "ferment.diffe.layers");
    assert!(
        unswitched(d) > 0,
        "expected copies unswitched on the loop guards with -ferment-unswitch-loop-guards:\n{d}"
    );
}

/// A copy of three doubles (a point) into a buffer the caller passes, per iteration; `copies`
/// sets how many doubles a second copy moves (9: past the in-place limit).
fn points(copied: usize) -> String {
    format!(
        r#"
#include <math.h>
#include <string.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double points(double *buf, double *all, const double *x, long n) {{
  double s = 0;
  for (long i = 0; i < n; i++) {{
    memcpy(buf, x + 3 * i, 3 * sizeof(double));
    s += buf[0] * buf[1] + sin(buf[2]);
  }}
  memcpy(all, x, {copied} * sizeof(double));
  return s + all[0] * all[{last}];
}}
void grad(double *buf, double *dbuf, double *all, double *dall, const double *x, double *dx, long n) {{
  __enzyme_autodiff((void *)points, enzyme_dup, buf, dbuf, enzyme_dup, all, dall, enzyme_dup, x, dx,
                    enzyme_const, n);
}}
"#,
        last = copied - 1
    )
}

#[test]
fn small_constant_copies_move_adjoints_in_place() {
    let helper = "@ferment.adjoint.memcpy.double(";
    let ir = optimized_ir("points", &points(8), &[]);
    let d = body(&ir, "ferment.diffe.points");
    assert!(
        !ir.contains(helper),
        "copies of 3 and 8 doubles call the adjoint helper:\n{d}"
    );
    // A copy of 9 elements still calls it: the check above can fail.
    let ir = optimized_ir("points_long", &points(9), &[]);
    assert!(
        ir.contains(helper),
        "expected the adjoint helper for a copy of 9 doubles:\n{ir}"
    );
}

/// One 3 x 3 convolution layer with a ReLU (benches/src/conv2d.c's shape, without the bias).
const CONV_RELU: &str = r#"
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double conv(long c, long h, long f, const double *restrict wt, const double *restrict img) {
  long ho = h - 2;
  double s = 0;
  for (long o = 0; o < f; o++)
    for (long y = 0; y < ho; y++)
      for (long x = 0; x < ho; x++) {
        double a = 0;
        for (long ci = 0; ci < c; ci++)
          for (long ky = 0; ky < 3; ky++)
            for (long kx = 0; kx < 3; kx++)
              a += wt[((o * c + ci) * 3 + ky) * 3 + kx] * img[(ci * h + y + ky) * h + x + kx];
        double r = a > 0 ? a : 0;
        s += r * r;
      }
  return 0.5 * s;
}
void grad(long c, long h, long f, const double *wt, double *dwt, const double *img, double *dimg) {
  __enzyme_autodiff((void *)conv, enzyme_const, c, enzyme_const, h, enzyme_const, f, enzyme_dup, wt, dwt,
                    enzyme_dup, img, dimg);
}
"#;

#[test]
fn window_loop_is_unswitched_on_its_zero_adjoint() {
    // Guards `select i1 %z, double 0.0, double %product` left in the reverse window loop.
    let guards = |d: &str| {
        d.lines()
            .filter(|l| l.contains(" = select i1 ") && l.contains("double 0.000000e+00, double"))
            .count()
    };
    let ir = optimized_ir("conv_relu", CONV_RELU, &[]);
    let d = body(&ir, "ferment.diffe.conv");
    assert_eq!(
        guards(d),
        0,
        "guarded partials left in the derivative:\n{d}"
    );
    // Without the zero-adjoint unswitching the guards stay: the check above can fail.
    let ir = optimized_ir(
        "conv_relu_kept",
        CONV_RELU,
        &["-mllvm", "-ferment-no-guard-zero"],
    );
    let d = body(&ir, "ferment.diffe.conv");
    assert!(
        guards(d) >= 9,
        "expected the window's guarded partials with -ferment-no-guard-zero:\n{d}"
    );
}

/// A pair term inside a cutoff (benches/repro/shapes/springs.c's repulsion): at -O2 the branch is
/// a select, so the term's chain of products is a discardable value's, each product guarded.
const CUTOFF_PAIRS: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double pairs(long n, const double *restrict x) {
  double e = 0;
  for (long i = 0; i < n; i++)
    for (long j = i + 2; j < n && j < i + 16; j++) {
      double dx = x[3 * j] - x[3 * i], dy = x[3 * j + 1] - x[3 * i + 1], dz = x[3 * j + 2] - x[3 * i + 2];
      double r2 = dx * dx + dy * dy + dz * dz;
      if (r2 < 2.25) {
        double s = 1.5 - sqrt(r2);
        e += 2.5 * s * s;
      }
    }
  return e;
}
void grad(long n, const double *x, double *dx) {
  __enzyme_autodiff((void *)pairs, enzyme_const, n, enzyme_dup, x, dx);
}
"#;

#[test]
fn guards_of_a_chain_share_its_first_test() {
    // Zero tests `fcmp oeq %v, 0` of a value that a select or a negation computed: the guard of a
    // product testing the adjoint that the previous guard produced.
    let chained = |d: &str| {
        let defs: std::collections::HashMap<&str, &str> = d
            .lines()
            .filter_map(|l| l.trim().split_once(" = "))
            .collect();
        d.lines()
            .filter_map(|l| l.split_once(" = fcmp oeq "))
            .filter_map(|(_, rest)| {
                rest.split_whitespace()
                    .nth(if rest.starts_with('<') { 3 } else { 1 })
            })
            .map(|v| v.trim_end_matches(','))
            .filter(|v| {
                defs.get(v)
                    .is_some_and(|def| def.starts_with("select") || def.starts_with("fneg"))
            })
            .count()
    };
    let ir = optimized_ir("cutoff_pairs", CUTOFF_PAIRS, &[]);
    let d = body(&ir, "ferment.diffe.pairs");
    assert_eq!(chained(d), 0, "guards testing guarded adjoints:\n{d}");
    // One test per product on request: the check above can fail.
    let ir = optimized_ir(
        "cutoff_pairs_kept",
        CUTOFF_PAIRS,
        &["-mllvm", "-ferment-no-share-guards"],
    );
    let d = body(&ir, "ferment.diffe.pairs");
    assert!(
        chained(d) > 0,
        "expected guards testing guarded adjoints with -ferment-no-share-guards:\n{d}"
    );
}

/// An in-place Gauss-Seidel sweep (`loops/gauss_seidel_inplace.c` checks its values).
const GAUSS_SEIDEL: &str = r#"
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double gs(double *restrict x, const double *restrict b, double c, long m, long k) {
  for (long it = 0; it < k; it++)
    for (long i = 0; i < m; i++)
      for (long j = 0; j < m; j++) {
        double s = 0;
        if (i > 0) s += x[(i - 1) * m + j];
        if (i < m - 1) s += x[(i + 1) * m + j];
        if (j > 0) s += x[i * m + j - 1];
        if (j < m - 1) s += x[i * m + j + 1];
        x[i * m + j] = (b[i * m + j] + c * s) / (1 + 4 * c);
      }
  double f = 0;
  for (long i = 0; i < m * m; i++) f += x[i] * x[i];
  return f;
}
void grad(double *x, double *dx, const double *b, double *db, double c, long m, long k) {
  __enzyme_autodiff((void *)gs, enzyme_dup, x, dx, enzyme_dup, b, db, c, enzyme_const, m, enzyme_const, k);
}
"#;

#[test]
fn carried_loads_behind_branches_are_forwarded() {
    let forwarded = |d: &str| d.matches("store_forwarded").count();
    let ir = optimized_ir("gauss_seidel", GAUSS_SEIDEL, &[]);
    let d = body(&ir, "ferment.diffe.gs");
    let hoisted = forwarded(d);
    // The load left behind the branches, on request (ablation): fewer values forwarded.
    let ir = optimized_ir(
        "gauss_seidel_in_place",
        GAUSS_SEIDEL,
        &["-mllvm", "-ferment-no-hoist-carried-loads"],
    );
    let d = body(&ir, "ferment.diffe.gs");
    let left = forwarded(d);
    assert!(
        hoisted > left,
        "{hoisted} stored values forwarded with the loads moved into the header, {left} without:\n{d}"
    );
}

/// A log-likelihood term with `lgamma` per data point (`math/lgamma_in_loop.c` checks values).
const LGAMMA_SUM: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
double __enzyme_autodiff(void *, ...);
double nb(double r, const double *y, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) s += lgamma(y[i] + r) - lgamma(r);
  return s;
}
double grad(double r, const double *y, long n) {
  return __enzyme_autodiff((void *)nb, r, enzyme_const, y, enzyme_const, n);
}
"#;

#[test]
fn digamma_reflection_runs_only_for_negative_arguments() {
    let ir = optimized_ir("lgamma_sum", LGAMMA_SUM, &[]);
    let d = body(&ir, "ferment.diffe.nb");
    assert!(
        !d.contains("@llvm.tan."),
        "the derivative computes tan for every argument:\n{d}"
    );
    let helper = body(&ir, "ferment.digamma.double");
    assert!(
        helper.contains("@llvm.tan.") && helper.contains("br i1"),
        "the digamma helper has no reflection behind a branch:\n{helper}"
    );
}

/// A softened pair potential (`reverse/`, `loops/` cases check such values; the e2e value checks
/// of `sqrt` are in `math/sqrt.c`).
const SOFTENED_PAIRS: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double pairs(const double *x, const double *m, long n) {
  double u = 0;
  for (long i = 0; i < n; i++)
    for (long j = i + 1; j < n; j++) {
      double d = x[i] - x[j];
      u -= m[i] * m[j] / sqrt(d * d + 0.01);
    }
  return u;
}
void grad(const double *x, double *dx, const double *m, double *dm, long n) {
  __enzyme_autodiff((void *)pairs, enzyme_dup, x, dx, enzyme_dup, m, dm, enzyme_const, n);
}
"#;

#[test]
fn sqrt_partial_shares_the_quotients_reciprocal() {
    let ir = optimized_ir("softened_pairs", SOFTENED_PAIRS, &[]);
    let d = body(&ir, "ferment.diffe.pairs");
    assert!(
        d.contains("fdiv")
            && !d.contains("5.000000e-01, %")
            && !d.contains("(double 5.000000e-01), %"),
        "a division of 0.5 by the square root in the derivative:\n{d}"
    );
}

/// Cholesky into a scratch factor, and LU with partial pivoting in a scratch copy
/// (`loops/factor_frontier.c` checks their values, and variants that must tape).
const FACTORIZATIONS: &str = r#"
#include <math.h>
#include <stdlib.h>
#include <string.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double chol(long n, const double *restrict a) {
  double *l = malloc(sizeof(double) * n * n);
  double f = 0;
  for (long j = 0; j < n; j++) {
    double s = a[j * n + j];
    for (long k = 0; k < j; k++) s -= l[j * n + k] * l[j * n + k];
    double d = sqrt(s);
    l[j * n + j] = d;
    for (long i = j + 1; i < n; i++) {
      double t = a[i * n + j];
      for (long k = 0; k < j; k++) t -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = t / d;
      f += l[i * n + j] * l[i * n + j];
    }
  }
  free(l);
  return f;
}
double lu(long n, const double *restrict a0) {
  double *a = malloc(sizeof(double) * n * n);
  memcpy(a, a0, sizeof(double) * n * n);
  double f = 0;
  for (long k = 0; k < n; k++) {
    long p = k;
    double best = fabs(a[k * n + k]);
    for (long i = k + 1; i < n; i++)
      if (fabs(a[i * n + k]) > best) { best = fabs(a[i * n + k]); p = i; }
    if (p != k)
      for (long j = 0; j < n; j++) {
        double t = a[k * n + j]; a[k * n + j] = a[p * n + j]; a[p * n + j] = t;
      }
    double inv = 1 / a[k * n + k];
    for (long i = k + 1; i < n; i++) {
      double m = a[i * n + k] * inv;
      a[i * n + k] = m;
      for (long j = k + 1; j < n; j++) a[i * n + j] -= m * a[k * n + j];
    }
    f += a[k * n + k] * a[k * n + k];
  }
  free(a);
  return f;
}
void g1(long n, double *a, double *da) { __enzyme_autodiff((void *)chol, enzyme_const, n, enzyme_dup, a, da); }
void g2(long n, double *a, double *da) { __enzyme_autodiff((void *)lu, enzyme_const, n, enzyme_dup, a, da); }
"#;

#[test]
fn factorizations_reread_finished_rows_and_columns() {
    // `-ferment-print-tape` lines that tape a load in a loop three deep (one value per innermost
    // iteration of the factorization)
    let innermost_loads = |extra: &[&str]| {
        let mut args = vec!["-mllvm", "-ferment-print-tape"];
        args.extend_from_slice(extra);
        let out = compile("factorizations", FACTORIZATIONS, &args);
        let report = String::from_utf8(out.stderr).unwrap();
        let n = report
            .lines()
            .filter(|l| l.contains("cache `") && l.contains("= load ") && l.contains("(depth 3)"))
            .count();
        (n, report)
    };
    let (n, report) = innermost_loads(&[]);
    assert_eq!(n, 0, "loads taped in the innermost loops:\n{report}");
    // The loads taped on request (ablation): the check can fail.
    let (n, report) = innermost_loads(&["-mllvm", "-ferment-no-nest-frontier"]);
    assert!(
        n >= 3,
        "chol's two and lu's one innermost load taped:\n{report}"
    );
}

/// Cholesky with two rows per pass, the odd row after them (`chol2`) or before them (`chol2r`):
/// the paired row's offset `8 * ((i + 1) * n + j)` stays one product over a sum in
/// ScalarEvolution, which the matrix split of `frontierInNest` has to distribute before it finds
/// the row width (`loops/factor_frontier.c` checks the values).
const PAIRED_ROWS: &str = r#"
#include <math.h>
#include <stdlib.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double chol2(long n, const double *restrict a) {
  double *l = malloc(sizeof(double) * n * n);
  double f = 0;
  for (long j = 0; j < n; j++) {
    double s = a[j * n + j];
    for (long k = 0; k < j; k++) s -= l[j * n + k] * l[j * n + k];
    double d = sqrt(s);
    l[j * n + j] = d;
    long i = j + 1;
    for (; i + 1 < n; i += 2) {
      double t0 = a[i * n + j], t1 = a[(i + 1) * n + j];
      for (long k = 0; k < j; k++) {
        t0 -= l[i * n + k] * l[j * n + k];
        t1 -= l[(i + 1) * n + k] * l[j * n + k];
      }
      l[i * n + j] = t0 / d;
      l[(i + 1) * n + j] = t1 / d;
    }
    for (; i < n; i++) {
      double t = a[i * n + j];
      for (long k = 0; k < j; k++) t -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = t / d;
    }
  }
  for (long i = 0; i < n * n; i++) f += l[i] * l[i] * (1.0 + 0.01 * i);
  free(l);
  return f;
}
double chol2r(long n, const double *restrict a) {
  double *l = malloc(sizeof(double) * n * n);
  double f = 0;
  for (long j = 0; j < n; j++) {
    double s = a[j * n + j];
    for (long k = 0; k < j; k++) s -= l[j * n + k] * l[j * n + k];
    double d = sqrt(s);
    l[j * n + j] = d;
    long i0 = j + 1 + ((n - j - 1) & 1);
    for (long i = j + 1; i < i0; i++) {
      double t = a[i * n + j];
      for (long k = 0; k < j; k++) t -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = t / d;
    }
    for (long i = i0; i < n; i += 2) {
      double t0 = a[i * n + j], t1 = a[(i + 1) * n + j];
      for (long k = 0; k < j; k++) {
        t0 -= l[i * n + k] * l[j * n + k];
        t1 -= l[(i + 1) * n + k] * l[j * n + k];
      }
      l[i * n + j] = t0 / d;
      l[(i + 1) * n + j] = t1 / d;
    }
  }
  for (long i = 0; i < n * n; i++) f += l[i] * l[i] * (1.0 + 0.01 * i);
  free(l);
  return f;
}
void g1(long n, double *a, double *da) { __enzyme_autodiff((void *)chol2, enzyme_const, n, enzyme_dup, a, da); }
void g2(long n, double *a, double *da) { __enzyme_autodiff((void *)chol2r, enzyme_const, n, enzyme_dup, a, da); }
"#;

#[test]
fn paired_rows_reread_finished_columns() {
    let innermost_loads = |extra: &[&str]| {
        let mut args = vec!["-mllvm", "-ferment-print-tape"];
        args.extend_from_slice(extra);
        let out = compile("paired_rows", PAIRED_ROWS, &args);
        let report = String::from_utf8(out.stderr).unwrap();
        let n = report
            .lines()
            .filter(|l| l.contains("cache `") && l.contains("= load ") && l.contains("(depth 3)"))
            .count();
        (n, report)
    };
    // without the distributed products, all five innermost loads of each function are taped
    let (n, report) = innermost_loads(&[]);
    assert_eq!(n, 0, "loads taped in the innermost loops:\n{report}");
    let (n, report) = innermost_loads(&["-mllvm", "-ferment-no-nest-frontier"]);
    assert!(n >= 8, "the innermost loads taped on request:\n{report}");
}

const SERIAL_SUM_ROWS: &str = r#"
extern double __enzyme_autodiff(void *, ...);
extern int enzyme_const, enzyme_dup;
double sqrt(double);
void *malloc(unsigned long);
void free(void *);
/* Cholesky's rows i: independent chains behind the inner loop's guard `j > 0` */
double chol(long n, const double *restrict a) {
    double *l = malloc(sizeof(double) * n * n);
    for (long j = 0; j < n; j++) {
        double s = a[j * n + j];
        for (long k = 0; k < j; k++) s -= l[j * n + k] * l[j * n + k];
        double d = sqrt(s);
        l[j * n + j] = d;
        for (long i = j + 1; i < n; i++) {
            double t = a[i * n + j];
            for (long k = 0; k < j; k++) t -= l[i * n + k] * l[j * n + k];
            l[i * n + j] = t / d;
        }
    }
    double f = 0;
    for (long i = 0; i < n * n; i++) f += l[i] * l[i];
    free(l);
    return f;
}
/* forward substitution: row i + 1 reads y[i] */
double subst(long n, const double *restrict a) {
    double *y = malloc(sizeof(double) * n);
    for (long i = 0; i < n; i++) {
        double s = a[i * n + i];
        for (long k = 0; k < i; k++) s -= a[i * n + k] * y[k];
        y[i] = 0.5 * s;
    }
    double f = 0;
    for (long i = 0; i < n; i++) f += y[i] * y[i];
    free(y);
    return f;
}
/* a matrix-vector product whose sums are only stored: f is linear in them, the derivative's
   forward sweep drops them, so pairing its rows would only add shadow streams to the reverse */
double mv(long n, const double *restrict a, const double *restrict x) {
    double *y = malloc(sizeof(double) * n);
    for (long i = 0; i < n; i++) {
        double s = 0;
        for (long j = 0; j < n; j++) s += a[i * n + j] * x[j];
        y[i] = s;
    }
    double f = 0;
    for (long i = 0; i < n; i++) f += (1.0 + i) * y[i];
    free(y);
    return f;
}
void g1(long n, double *a, double *da) { __enzyme_autodiff((void *)chol, enzyme_const, n, enzyme_dup, a, da); }
void g2(long n, double *a, double *da) { __enzyme_autodiff((void *)subst, enzyme_const, n, enzyme_dup, a, da); }
void g3(long n, double *a, double *da, double *x, double *dx) {
    __enzyme_autodiff((void *)mv, enzyme_const, n, enzyme_dup, a, da, enzyme_dup, x, dx);
}
"#;

#[test]
fn independent_rows_of_a_serial_sum_run_two_at_a_time() {
    let jammed = |extra: &[&str]| {
        let mut args = vec!["-mllvm", "-ferment-print-tape"];
        args.extend_from_slice(extra);
        let out = compile("serial_sum_rows", SERIAL_SUM_ROWS, &args);
        let report = String::from_utf8(out.stderr).unwrap();
        let lines: Vec<String> = report
            .lines()
            .filter(|l| l.contains("two iterations at a time of the loop"))
            .map(str::to_string)
            .collect();
        (lines, report)
    };
    // Cholesky's row loop, once; the substitution's rows depend on each other; the
    // matrix-vector product's sums are only stored
    let (lines, report) = jammed(&[]);
    assert_eq!(lines.len(), 1, "jammed loops:\n{report}");
    assert!(lines[0].contains("chol"), "jammed loops:\n{report}");
    let (lines, report) = jammed(&["-mllvm", "-ferment-no-jam-serial-sums"]);
    assert!(lines.is_empty(), "jammed on request not to:\n{report}");
}

const GAUSS_JORDAN: &str = r#"
extern double __enzyme_autodiff(void *, ...);
static double gj(const double *s, double *out) {
    double a[4][8];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            a[i][j] = s[4 * i + j];
            a[i][4 + j] = i == j;
        }
    double ld = 0;
    for (int k = 0; k < 4; k++) {
        int p = k;
        for (int i = k + 1; i < 4; i++)
            if (__builtin_fabs(a[i][k]) > __builtin_fabs(a[p][k])) p = i;
        if (p != k)
            for (int j = 0; j < 8; j++) {
                double t = a[k][j];
                a[k][j] = a[p][j];
                a[p][j] = t;
            }
        double piv = a[k][k];
        ld += __builtin_log(__builtin_fabs(piv));
        for (int j = 0; j < 8; j++) a[k][j] /= piv;
        for (int i = 0; i < 4; i++)
            if (i != k) {
                double m = a[i][k];
                for (int j = 0; j < 8; j++) a[i][j] -= m * a[k][j];
            }
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = a[i][4 + j];
    return ld;
}
double f(const double *s) {
    double inv[16];
    double r = gj(s, inv);
    for (int i = 0; i < 16; i++) r += (i + 1) * inv[i] * inv[i];
    return r;
}
void g(const double *s, double *ds) { __enzyme_autodiff((void *)f, s, ds); }
"#;

#[test]
fn pivot_row_rereads_take_the_stored_row() {
    // `-ferment-print-tape` lines that tape a load
    let taped_loads = |extra: &[&str]| {
        let mut args = vec!["-mllvm", "-ferment-print-tape"];
        args.extend_from_slice(extra);
        let out = compile("gauss_jordan", GAUSS_JORDAN, &args);
        let report = String::from_utf8(out.stderr).unwrap();
        let n = report
            .lines()
            .filter(|l| l.contains("cache `") && l.contains("= load "))
            .count();
        (n, report)
    };
    // 8 pivot-row elements re-read by each of the 3 other rows: 24 loads fewer (29 -> 13)
    let (n, report) = taped_loads(&[]);
    assert!(n <= 16, "{n} taped loads:\n{report}");
    // The re-reads kept on request (ablation): the check can fail.
    let (kept, report) = taped_loads(&["-mllvm", "-ferment-no-forward-guarded-stores"]);
    assert!(
        kept >= n + 16,
        "{kept} taped loads with the re-reads kept, {n} without:\n{report}"
    );
}

const STABLE_SORT: &str = r#"
#include <algorithm>
#include <string>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
struct Item {
  std::string name;
  double v;
};
static const char *NAMES[] = {"delta", "alpha", "echo-a-longer-name-than-sso", "charlie",
                              "bravo-also-longer-than-fifteen", "foxtrot", "ab", "a-long-one"};
static double sorted_weighted(const double *x) {
  std::vector<Item> items;
  for (int i = 0; i < 8; i++) items.push_back({NAMES[i], x[i]});
  std::stable_sort(items.begin(), items.end(),
                   [](const Item &a, const Item &b) { return a.name < b.name; });
  double s = 0;
  for (int i = 0; i < 8; i++) s += (i + 1) * items[i].v * items[i].v;
  return s;
}
void grad(const double *x, double *dx) { __enzyme_autodiff((void *)sorted_weighted, x, dx); }
"#;

#[test]
fn array_repeats_do_not_split_callee_derivatives() {
    let out = compile_file("stable_sort.cpp", STABLE_SORT, &["-std=c++17"]);
    let ir = String::from_utf8(out.stdout).unwrap();
    for callee in [
        "_ZSt22__stable_sort_adaptive",
        "_ZSt21__inplace_stable_sort",
    ] {
        let copies = ir
            .lines()
            .filter(|l| {
                l.starts_with("define ") && l.contains(&format!("@\"ferment.augmented.{callee}"))
            })
            .count();
        // The plugin before `fold_periods` made two of each.
        assert_eq!(copies, 1, "augmented forward sweeps of {callee}");
    }
}

/// A recursive callee (multigrid's `vcycle` in miniature) whose levels flag other inputs as
/// possibly nonfinite: its caller the quotient `h = 1.0 / n` and `x`, written by the call before
/// it in the loop; each level its coarse residual `r` (quotients by `h`) for the call below.
const RECURSIVE_FLAGS: &str = r#"
#include <stdlib.h>
void __enzyme_autodiff(void *, ...);
extern int enzyme_const;
static void level(long n, double h, double *x, const double *b) {
  if (n <= 1) {
    x[0] += b[0] * h;
    return;
  }
  long nc = n / 2;
  double *r = malloc(sizeof(double) * nc), *e = calloc(nc, sizeof(double));
  for (long i = 0; i < nc; i++) r[i] = b[2 * i] - x[2 * i] / h;
  level(nc, 2 * h, e, r);
  for (long i = 0; i < n; i++) x[i] += h * e[i / 2] * x[i];
  free(r);
  free(e);
}
static double cycles(const double *b, long n) {
  double h = 1.0 / n, f = 0;
  double *x = calloc(n, sizeof(double));
  for (int k = 0; k < 3; k++) level(n, h, x, b);
  for (long i = 0; i < n; i++) f += x[i] * x[i];
  free(x);
  return f;
}
void grad(const double *b, double *db, long n) {
  __enzyme_autodiff((void *)cycles, b, db, enzyme_const, n);
}
"#;

#[test]
fn recursive_callee_flags_share_one_derivative() {
    let out = compile_file("recursive_flags.c", RECURSIVE_FLAGS, &[]);
    let ir = String::from_utf8(out.stdout).unwrap();
    let copies = ir
        .lines()
        .filter(|l| l.starts_with("define ") && l.contains("@ferment.augmented.level"))
        .count();
    // Per-level flags (`DerivativeKey::nonfinite_inputs`) made one derivative per level's
    // flags; a recursive function's derivative flags all its inputs where any is.
    assert_eq!(copies, 1, "augmented forward sweeps of level:\n{ir}");
}

/// A pair energy whose reverse sweep recomputes a chain (`r2`, `s2`, `s6`) that every partial of
/// the block needs (values: `reverse/shared_recompute.c`).
const PAIR_CHAIN: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double energy(const double *x, long n) {
  double e = 0;
  for (long i = 0; i < n; i++)
    for (long j = i + 1; j < n; j++) {
      double dx = x[3 * i] - x[3 * j], dy = x[3 * i + 1] - x[3 * j + 1],
             dz = x[3 * i + 2] - x[3 * j + 2];
      double r2 = dx * dx + dy * dy + dz * dz;
      double s2 = 1.0 / r2, s6 = s2 * s2 * s2;
      e += 4.0 * (s6 * s6 - s6) + exp(-r2);
    }
  return e;
}
void grad(const double *x, double *dx, long n) {
  __enzyme_autodiff((void *)energy, enzyme_dup, x, dx, enzyme_const, n);
}
"#;

/// How many instructions ferment generated for `name` before simplifying it (`FERMENT_TIME=1`).
fn generated_instructions(file: &str, src: &str, name: &str, extra: &[&str]) -> usize {
    let dir = std::env::temp_dir().join(format!("ferment-size-{}-{file}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{file}.c"));
    std::fs::write(&path, src).unwrap();
    let mut cmd = Command::new("clang-22");
    cmd.args(["-O2", "-march=znver5", "-fno-math-errno"])
        .arg(format!("-fpass-plugin={}", plugin().display()))
        .args(extra)
        .args(["-S", "-emit-llvm", "-o"])
        .arg(dir.join("out.ll"))
        .arg(&path)
        .env("FERMENT_TIME", "1");
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd:?} failed:\n{err}");
    let key = format!("{name}: ");
    err.lines()
        .filter_map(|l| l.split_once(&key).map(|(_, rest)| rest))
        .find_map(|rest| {
            rest.split(" instructions generated")
                .next()?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no count for {name} in:\n{err}"))
}

#[test]
fn recomputed_chains_are_built_once_per_block() {
    let memo = generated_instructions("pair_chain", PAIR_CHAIN, "ferment.diffe.energy", &[]);
    assert!(
        memo <= 1000,
        "the reverse sweep rebuilds recomputed values at each use: {memo} instructions generated"
    );
    let each = generated_instructions(
        "pair_chain_each",
        PAIR_CHAIN,
        "ferment.diffe.energy",
        &["-mllvm", "-ferment-no-reload-memo"],
    );
    assert!(
        each > 1000,
        "rebuilt at each use the derivative has only {each} instructions: the check cannot fail"
    );
}

/// `-mllvm -ferment-time-report` prints what `FERMENT_TIME=1` prints (the phases, the inner
/// passes, each derivative's size) and changes nothing in the output.
#[test]
fn time_report_option_prints_the_phases() {
    let plain = compile("time_report", PAIR_CHAIN, &[]);
    let timed = compile(
        "time_report",
        PAIR_CHAIN,
        &["-mllvm", "-ferment-time-report"],
    );
    let err = String::from_utf8_lossy(&timed.stderr);
    for line in [
        "ferment-time: FermentPass: ",
        "derivative generation",
        "inner LLVM passes, own time",
        "ferment.diffe.energy: ",
    ] {
        assert!(err.contains(line), "no '{line}' in:\n{err}");
    }
    assert!(
        plain.stdout == timed.stdout,
        "-ferment-time-report changed the optimized IR"
    );
}

/// A passive table allocated by `malloc` or `calloc` (a flag chooses), filled once, read by every
/// sweep of a loop nest over a scratch copy of `x`, freed through the phi of the two blocks
/// (`loops/scratch_two_allocations.c` checks the values).
const TWO_ALLOCATIONS: &str = r#"
#include <math.h>
#include <stdlib.h>
#include <string.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double twotab(long n, long r, const double *restrict x, int zeroed) {
  double *t = zeroed ? calloc(n, sizeof(double)) : malloc(sizeof(double) * n);
  double *a = malloc(sizeof(double) * n);
  memcpy(a, x, sizeof(double) * n);
  for (long j = 0; j < n; j++) t[j] = cos(0.1 * j);
  for (long k = 0; k < r; k++)
    for (long j = 0; j + 1 < n; j++) a[j] = a[j] * t[j] + 0.5 * a[j + 1];
  double f = 0;
  for (long j = 0; j < n; j++) f += a[j] * a[j];
  free(t);
  free(a);
  return f;
}
void g(long n, long r, double *x, double *dx, int z) {
  __enzyme_autodiff((void *)twotab, enzyme_const, n, enzyme_const, r, enzyme_dup, x, dx, enzyme_const, z);
}
"#;

#[test]
fn table_freed_through_a_phi_is_read_again() {
    let out = compile(
        "two_allocations",
        TWO_ALLOCATIONS,
        &["-mllvm", "-ferment-print-tape"],
    );
    let report = String::from_utf8(out.stderr).unwrap();
    let taped = report
        .lines()
        .filter(|l| l.contains("cache `") && l.contains("= load double") && l.contains("(depth 2)"))
        .count();
    assert_eq!(taped, 0, "the table's loads taped in the sweeps:\n{report}");
}

/// A Jacobi heat step between two plain (not `restrict`) buffers: the reverse of the stencil
/// loop reads and clears one shadow element and adds into its neighbours, through shadows the
/// derivative cannot tell apart at compile time.
const HEAT_PLAIN_POINTERS: &str = r#"
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double heat(double *u, double *v, long n, long steps, const double *k) {
  for (long t = 0; t < steps; t++) {
    for (long i = 1; i < n - 1; i++) {
      double c = u[i];
      v[i] = c + 0.25 * (u[i - 1] - 2 * c + u[i + 1]) - 0.01 * k[0] * c * c * c;
    }
    double *w = u;
    u = v;
    v = w;
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += u[i] * u[i];
  return f;
}
void grad(double *u, double *du, double *v, double *dv, long n, long steps, const double *k,
          double *dk) {
  __enzyme_autodiff((void *)heat, enzyme_dup, u, du, enzyme_dup, v, dv, enzyme_const, n,
                    enzyme_const, steps, enzyme_dup, k, dk);
}
"#;

#[test]
fn alias_fallback_of_a_rotated_loop_stays_rolled() {
    // Blocks of the copy kept for overlapping shadows (`*.rot.orig*`), and those of them that the
    // host's unroller, vectorizer or loop versioning made (`.prol`, `.epil`, `.unr`, `vector.`,
    // `.lver`).
    let copies = |d: &str| -> (usize, usize) {
        let labels: Vec<&str> = d
            .lines()
            .filter_map(|l| l.split_once(':').map(|(label, _)| label))
            .filter(|label| !label.starts_with(' ') && label.contains(".rot.orig"))
            .collect();
        let made = labels
            .iter()
            .filter(|l| {
                [".prol", ".epil", ".unr", "vector.", ".lver"]
                    .iter()
                    .any(|m| l.contains(m))
            })
            .count();
        (labels.len(), made)
    };
    let ir = optimized_ir("heat_plain", HEAT_PLAIN_POINTERS, &[]);
    let d = body(&ir, "ferment.diffe.heat");
    let (blocks, made) = copies(d);
    assert!(
        blocks > 0,
        "no copy for overlapping shadows (was the loop rotated?):\n{d}"
    );
    assert_eq!(
        made, 0,
        "the copy for overlapping shadows was unrolled or vectorized:\n{d}"
    );
    // The host's treatment, on request: the check above can fail.
    let ir = optimized_ir(
        "heat_plain_unrolled",
        HEAT_PLAIN_POINTERS,
        &["-mllvm", "-ferment-unroll-alias-fallbacks"],
    );
    let d = body(&ir, "ferment.diffe.heat");
    assert!(
        copies(d).1 > 0,
        "expected unrolled copies with -ferment-unroll-alias-fallbacks:\n{d}"
    );
}

/// Log-sum-exp over computed values with the row maximum by `fmax` from `-INFINITY`, and the same
/// maximum from an argument (`loops/running_fmax_nan_free.c` checks the values of both).
const RUNNING_FMAX: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double lse(const double *x, const double *a, long n) {
  double m = -INFINITY;
  for (long i = 0; i < n; i++) m = fmax(m, x[i] + a[i]);
  double e = 0;
  for (long i = 0; i < n; i++) e += exp(x[i] + a[i] - m);
  return m + log(e);
}
double lse_from(const double *x, const double *a, long n, double m) {
  for (long i = 0; i < n; i++) m = fmax(m, x[i] + a[i]);
  double e = 0;
  for (long i = 0; i < n; i++) e += exp(x[i] + a[i] - m);
  return m + log(e);
}
void g(const double *x, double *dx, const double *a, long n) {
  __enzyme_autodiff((void *)lse, enzyme_dup, x, dx, enzyme_const, a, enzyme_const, n);
}
void h(const double *x, double *dx, const double *a, long n, double m) {
  __enzyme_autodiff((void *)lse_from, enzyme_dup, x, dx, enzyme_const, a, enzyme_const, n,
                    enzyme_const, m);
}
"#;

/// A running maximum `m = fmax(m, v)` started from a number is never NaN, so the derivative's
/// choice is `m < v` alone: with the `isnan(m)` test as well, the loop-carried chain of the forward
/// sweep's maximum loop (which also keeps the winning iteration) had two compares and an `or`,
/// through AVX-512 mask registers at `-march=native` (an HMM forward algorithm's gradient, 32
/// states: 22.9 -> 15.1 ms). A start that may be NaN (an argument) keeps the test, which shows the
/// check can fail.
#[test]
fn running_maximum_from_a_number_has_no_nan_test() {
    let ir = optimized_ir("running_fmax", RUNNING_FMAX, &[]);
    let d = body(&ir, "ferment.diffe.lse");
    assert!(
        !d.contains("fcmp uno"),
        "the maximum from -INFINITY still tests its accumulator for NaN:\n{d}"
    );
    let d = body(&ir, "ferment.diffe.lse_from");
    assert!(
        d.contains("fcmp uno"),
        "the maximum from an argument (maybe NaN) lost its NaN test:\n{d}"
    );
}

/// A mesh energy: per triangle, `log(det)` of two edges gathered through a connectivity table,
/// summed into the result; the same with the logs also stored; the square of a log of a quotient.
const TAPE_ONLY_CALLS: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double mesh(const int *tri, const double *x, const double *w, long nt) {
  double e = 0;
  for (long t = 0; t < nt; t++) {
    int a = tri[3 * t], b = tri[3 * t + 1], c = tri[3 * t + 2];
    double d00 = x[2 * b] - x[2 * a], d10 = x[2 * b + 1] - x[2 * a + 1];
    double d01 = x[2 * c] - x[2 * a], d11 = x[2 * c + 1] - x[2 * a + 1];
    double lj = log(d00 * d11 - d01 * d10);
    e += w[t] * (0.5 * (d00 * d00 + d01 * d01 + d10 * d10 + d11 * d11) - lj + 2 * lj * lj);
  }
  return e;
}
double mesh_stored(const int *tri, const double *x, double *logs, long nt) {
  double e = 0;
  for (long t = 0; t < nt; t++) {
    int a = tri[3 * t], b = tri[3 * t + 1], c = tri[3 * t + 2];
    double lj = log((x[2 * b] - x[2 * a]) * (x[2 * c + 1] - x[2 * a + 1]) -
                    (x[2 * c] - x[2 * a]) * (x[2 * b + 1] - x[2 * a + 1]));
    logs[t] = lj;
    e += lj * lj;
  }
  return e;
}
double quotients(const double *x, const double *w, long n) {
  double e = 0;
  for (long i = 0; i < n; i++) {
    double l = log(x[2 * i] / x[2 * i + 1]);
    e += w[i] * l * l;
  }
  return e;
}
void g1(const int *tri, const double *x, double *dx, const double *w, long nt) {
  __enzyme_autodiff((void *)mesh, enzyme_const, tri, enzyme_dup, x, dx, enzyme_const, w, enzyme_const, nt);
}
void g2(const int *tri, const double *x, double *dx, double *logs, double *dlogs, long nt) {
  __enzyme_autodiff((void *)mesh_stored, enzyme_const, tri, enzyme_dup, x, dx, enzyme_dup, logs, dlogs,
                    enzyme_const, nt);
}
void g3(const double *x, double *dx, const double *w, long n) {
  __enzyme_autodiff((void *)quotients, enzyme_dup, x, dx, enzyme_const, w, enzyme_const, n);
}
"#;

/// A math call in a loop whose values reach only the returned sum (dropped by the combined
/// derivative) is rebuilt in the reverse sweep instead of taped: the forward loop then has no
/// use left and the gradient has no tape (a 2-D neo-Hookean mesh energy, `log(det F)` per
/// triangle, 3.2 * 10^5 triangles: 6.26 -> 5.36 ms tuned, Enzyme 5.26). It stays taped where the
/// forward loop must run anyway (the logs stored) and where the rebuild would repeat a division
/// (`log(x / y)`). `-ferment-no-recompute-calls` tapes it (the check can fail).
#[test]
fn tape_only_calls_are_rebuilt() {
    let tapes = |d: &str| d.contains("@ferment.tape.take(");
    let ir = optimized_ir("tape_only_calls", TAPE_ONLY_CALLS, &[]);
    let d = body(&ir, "ferment.diffe.mesh");
    assert!(!tapes(d), "the mesh energy's log(det) is still taped:\n{d}");
    assert!(
        tapes(body(&ir, "ferment.diffe.mesh_stored")),
        "the stored logs' loop lost its tape"
    );
    assert!(
        tapes(body(&ir, "ferment.diffe.quotients")),
        "the log of a quotient is no longer taped"
    );
    let ir = optimized_ir(
        "tape_only_calls_off",
        TAPE_ONLY_CALLS,
        &["-mllvm", "-ferment-no-recompute-calls"],
    );
    assert!(
        tapes(body(&ir, "ferment.diffe.mesh")),
        "-ferment-no-recompute-calls: the mesh energy's log(det) is not taped"
    );
}

/// A function without partials that may be infinite, requested by the user, in a file whose
/// hand-written adjoint calls `pow(x, b - 1)` (a partial infinite at 0 when b < 1).
const SLOPE_ELSEWHERE: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
void f(const double *x, double *y, long n) {
  for (long i = 0; i < n; i++)
    y[i] = x[i] * x[i] * x[i] + x[i];
}
void hand(const double *x, const double *b, double *dx, long n) {
  for (long i = 0; i < n; i++)
    dx[i] = b[i] * pow(x[i], b[i] - 1);
}
void grad(const double *x, double *dx, double *y, double *dy, long n) {
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, n);
}
"#;

/// The same shape, but `f` calls a callee kept a call whose derivative hands back an adjoint
/// that is infinite where its argument is 0 (`cbrt`).
const SLOPE_IN_CALLEE: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
__attribute__((noinline)) double c(double u) { return cbrt(u); }
void f(const double *x, double *y, long n) {
  for (long i = 0; i < n; i++)
    y[i] = x[i] * x[i] * c(x[i] * x[i]);
}
void grad(const double *x, double *dx, double *y, double *dy, long n) {
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, n);
}
"#;

/// A request's own derivative starts from the user's finite seeds: an infinite slope in a
/// function it never runs (the hand-written adjoint beside it) adds no strong-zero guard, while
/// one in a callee it runs does.
#[test]
fn infinite_slope_guards_follow_the_callees() {
    let zero_tests = |d: &str| {
        d.lines()
            .filter(|l| l.contains("fcmp oeq") || l.contains("fcmp une"))
            .count()
    };
    let ir = optimized_ir("slope_elsewhere", SLOPE_ELSEWHERE, &[]);
    let d = body(&ir, "ferment.diffe.f");
    assert_eq!(zero_tests(d), 0, "guards for a slope f never runs:\n{d}");
    let ir = optimized_ir(
        "slope_in_callee",
        SLOPE_IN_CALLEE,
        &["-mllvm", "-ferment-no-inline"],
    );
    let d = body(&ir, "ferment.diffe.f");
    assert!(
        zero_tests(d) > 0,
        "no guard for the callee's infinite adjoint:\n{d}"
    );
}

/// Forward mode over a gradient whose function allocates with `malloc`: the gradient zeroes its
/// shadow block up to the block's usable size, and forward mode repeats that zeroing on each
/// tangent of the shadow.
const FORWARD_OVER_MALLOC: &str = r#"
#include <stdlib.h>
extern int enzyme_dup, enzyme_const, enzyme_out;
double __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);
__attribute__((noinline)) void fill(double *u, double x) {
  for (int i = 0; i < 6; i++) u[i] = x * (i + 1);
}
double f(double x) {
  double *u = (double *)malloc(6 * sizeof(double));
  fill(u, x);
  double s = 0;
  for (int i = 0; i < 6; i++) s += u[i] * u[i];
  free(u);
  return s;
}
__attribute__((noinline)) void grad(const double *x, double *g) {
  g[0] = __enzyme_autodiff((void *)f, enzyme_out, x[0]);
}
void hvp(const double *x, const double *v, double *g, double *hv) {
  __enzyme_fwddiff((void *)grad, enzyme_dup, x, v, enzyme_dup, g, hv);
}
"#;

/// In a function that asks blocks' usable sizes (a gradient), a `malloc` block's shadow is asked
/// for the primal block's usable size: a shadow with less slack than its primal block overflowed
/// when the gradient's zeroing up to the primal's usable size ran on it (forward over split mode, heap
/// corruption at -O2, fuzz seed 24630006).
#[test]
fn malloc_shadows_cover_the_usable_size() {
    let ir = optimized_ir(
        "forward_over_malloc",
        FORWARD_OVER_MALLOC,
        &["-mllvm", "-ferment-no-inline"],
    );
    // The forward derivative of the gradient: its primal code is the gradient's, with the
    // program's block (clang's `noundef 48`) and the gradient's shadow of it (`48`, the gradient
    // does not ask usable sizes); the tangents of both must ask for the usable size.
    let start = ir
        .match_indices("\ndefine ")
        .map(|(i, _)| i + 1)
        .find(|&i| {
            ir[i..]
                .lines()
                .next()
                .is_some_and(|l| l.contains("@ferment.fwddiffe.ferment.diffe.f"))
        })
        .unwrap_or_else(|| panic!("no forward derivative of the gradient in:\n{ir}"));
    let end = ir[start..].find("\n}\n").map_or(ir.len(), |e| start + e);
    let d = &ir[start..end];
    let requested = d.lines().filter(|l| l.contains("@malloc(i64 48)")).count();
    let all = d.lines().filter(|l| l.contains("@malloc(")).count();
    assert!(all >= 4, "expected the blocks and their tangents:\n{d}");
    assert!(
        requested <= 1,
        "{requested} blocks ask for the requested 48 bytes (only the gradient's shadow may):\n{d}"
    );
}

/// A gradient loop, a BLAS product (whose derivative scales `C` through the `scale` helper) and a
/// user loop the host vectorizes with an epilogue.
const EPILOGUES: &str = r#"
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
enum { CblasColMajor = 102, CblasNoTrans = 111 };
void cblas_dgemm(int, int, int, int, int, int, double, const double *, int, const double *, int,
                 double, double *, int);
double sumsq(const double *x, const double *w, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) s += w[i] * x[i] * x[i];
  return s;
}
void g(const double *x, double *dx, const double *w, long n) {
  __enzyme_autodiff((void *)sumsq, enzyme_dup, x, dx, enzyme_const, w, enzyme_const, n);
}
double layer(const double *a, const double *b, double *c, int m, int n, int k) {
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, a, m, b, k, 0.5, c, m);
  double s = 0;
  for (int i = 0; i < m * n; i++) s += c[i] * c[i];
  return s;
}
void h(const double *a, double *da, const double *b, double *c, double *dc, int m, int n, int k) {
  __enzyme_autodiff((void *)layer, enzyme_dup, a, da, enzyme_const, b, enzyme_dup, c, dc,
                    enzyme_const, m, enzyme_const, n, enzyme_const, k);
}
void axpy(double *y, const double *x, double a, long n) {
  for (long i = 0; i < n; i++) y[i] += a * x[i];
}
"#;

/// The labels of the blocks of a printed function.
fn block_labels(f: &str) -> Vec<&str> {
    f.lines()
        .filter_map(|l| l.split_once(':').map(|(label, _)| label))
        .filter(|label| !label.is_empty() && !label.starts_with(' ') && !label.starts_with(';'))
        .collect()
}

/// How many blocks of a printed function belong to vectorized epilogue loops.
fn epilogues(f: &str) -> usize {
    block_labels(f)
        .iter()
        .filter(|l| l.contains("vec.epilog"))
        .count()
}

/// The blocks of a printed function that the runtime unroller made.
fn unrolled(f: &str) -> Vec<&str> {
    block_labels(f)
        .into_iter()
        .filter(|l| {
            l.contains(".unr")
                || l.contains(".prol")
                || l.contains(".epil.")
                || l.ends_with(".epil")
        })
        .collect()
}

#[test]
fn derivative_loops_lose_vector_epilogues_on_request() {
    let ferment = [
        "ferment.diffe.sumsq",
        "ferment.diffe.layer",
        "ferment.blas.scale.d",
    ];
    // The host's treatment by default: the check below can fail.
    let ir = optimized_ir("epilogues_default", EPILOGUES, &[]);
    for f in ferment {
        let d = body(&ir, f);
        assert!(
            epilogues(d) > 0,
            "expected a vectorized epilogue in {f} by default:\n{d}"
        );
    }
    let ir = optimized_ir(
        "epilogues_none",
        EPILOGUES,
        &["-mllvm", "-ferment-no-epilogue-vectorization"],
    );
    for f in ferment {
        let d = body(&ir, f);
        assert_eq!(epilogues(d), 0, "a vectorized epilogue in {f}:\n{d}");
    }
    let d = body(&ir, "ferment.blas.scale.d");
    assert!(
        unrolled(d).is_empty(),
        "the scale helper's loops were runtime-unrolled ({:?}):\n{d}",
        unrolled(d)
    );
    let d = body(&ir, "axpy");
    assert!(
        epilogues(d) > 0,
        "the user's loop lost its vectorized epilogue:\n{d}"
    );
}

/// An LSTM-like cell over `n` units (a run-time count): its reverse loop adds into the shadows of
/// five arrays and reads seven, so vectorizing it needs run-time alias checks between ~40 pairs
/// of pointer groups.
const MANY_CHECKS: &str = r#"
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
static double sig(double x) { return 1 / (1 + __builtin_exp(-x)); }
double cell(const double *w, const double *u, const double *bias, const double *h, double *c,
            long n) {
  double s = 0;
  for (long j = 0; j < n; j++) {
    double f = sig(h[j] * w[j] + u[j] * c[j] + bias[j]);
    double i = sig(h[j] * w[n + j] + u[n + j] * c[j] + bias[n + j]);
    double g = __builtin_tanh(h[j] * w[2 * n + j] + bias[2 * n + j]);
    c[j] = f * c[j] + i * g;
    s += c[j] * c[j];
  }
  return s;
}
void grad(const double *w, double *dw, const double *u, double *du, const double *bias,
          double *dbias, const double *h, double *dh, double *c, double *dc, long n) {
  __enzyme_autodiff((void *)cell, enzyme_dup, w, dw, enzyme_dup, u, du, enzyme_dup, bias, dbias,
                    enzyme_dup, h, dh, enzyme_dup, c, dc, enzyme_const, n);
}
"#;

/// How many blocks of a printed function belong to loops the loop vectorizer made.
fn vector_loops(f: &str) -> usize {
    block_labels(f)
        .iter()
        .filter(|l| l.starts_with("vector.") || l.contains("vec.epilog"))
        .count()
}

#[test]
fn derivative_loops_with_many_alias_checks_stay_scalar() {
    let ir = optimized_ir("many_checks", MANY_CHECKS, &[]);
    let d = body(&ir, "ferment.diffe.cell");
    assert_eq!(
        vector_loops(d),
        0,
        "a vectorized loop in the derivative ({:?}):\n{d}",
        block_labels(d)
    );
    // The host's treatment without the limit: the check above can fail.
    let ir = optimized_ir(
        "many_checks_unlimited",
        MANY_CHECKS,
        &["-mllvm", "-ferment-max-vector-checks=0"],
    );
    let d = body(&ir, "ferment.diffe.cell");
    assert!(
        vector_loops(d) > 0,
        "expected a vectorized loop without the limit:\n{d}"
    );
}

/// A checkpointed Heun step of a reaction-diffusion equation with boundary selects (the values:
/// e2e `loops/peel_last_boundary.c`, `loops/checkpoint_stages.c`).
const HEUN_CHECKPOINT: &str = r#"
#include <enzyme/checkpoint.h>
double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;
static inline double F(const double *y, double c, int64_t k, int64_t m) {
  double l = k > 0 ? y[k - 1] : y[k];
  double r = k < m - 1 ? y[k + 1] : y[k];
  return 0.3 * (l - 2 * y[k] + r) + c * y[k] * (1 - y[k]);
}
static void step(int64_t i, double *u, double *k1, double *y, const double *cp, int64_t m) {
  for (int64_t k = 0; k < m; k++)
    k1[k] = F(u, cp[0], k, m);
  for (int64_t k = 0; k < m; k++)
    y[k] = u[k] + 0.05 * k1[k];
  for (int64_t k = 0; k < m; k++)
    u[k] += 0.025 * (k1[k] + F(y, cp[0], k, m));
}
double heun(const double *x, const double *c, int64_t m, int64_t n) {
  double *u = malloc(m * sizeof(double)), *k1 = malloc(m * sizeof(double)),
         *y = malloc(m * sizeof(double));
  memcpy(u, x, m * sizeof(double));
  __enzyme_checkpoint_for((void *)step, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, NULL,
                          enzyme_checkpoint_region, u, m * sizeof(double),
                          enzyme_checkpoint_region, k1, m * sizeof(double),
                          enzyme_checkpoint_region, y, m * sizeof(double), u, k1, y, c, m);
  double s = 0;
  for (int64_t k = 0; k < m; k++)
    s += u[k] * u[k];
  free(y);
  free(k1);
  free(u);
  return s;
}
void grad(const double *x, double *dx, const double *c, double *dc, int64_t m, int64_t n) {
  __enzyme_autodiff((void *)heun, enzyme_dup, x, dx, enzyme_dup, c, dc, enzyme_const, m,
                    enzyme_const, n);
}
"#;

#[test]
fn last_iteration_of_a_boundary_select_is_peeled() {
    let include = concat!(env!("CARGO_MANIFEST_DIR"), "/../runtime/include");
    let gathers = |extra: &[&str]| {
        let mut args = vec!["-I", include];
        args.extend_from_slice(extra);
        let ir = optimized_ir("heun_checkpoint", HEUN_CHECKPOINT, &args);
        let d = body(&ir, "ferment.diffe.ferment.checkpoint_rseg.step").to_string();
        (d.matches("@llvm.masked.gather").count(), d)
    };
    let (peeled, d) = gathers(&[]);
    let (whole, _) = gathers(&["-mllvm", "-ferment-no-peel-last"]);
    assert!(
        peeled < whole,
        "{peeled} gathers in the segment derivative with the last iterations peeled, {whole} \
         without:\n{d}"
    );
}

/// The reverse loops of the same step run the primal's last iteration first: their rebuilt `k +
/// 1` keeps the primal increment's `nsw`, and the test that differs in that iteration only is
/// folded after peeling it; the forward recomputation's loops after the first, which scalar
/// evolution reaches with no guard on `m`, lose their last iteration on the same flag. No
/// gather is left in the segment derivative (10 before).
#[test]
fn first_reverse_iteration_of_a_boundary_select_is_peeled() {
    let include = concat!(env!("CARGO_MANIFEST_DIR"), "/../runtime/include");
    let ir = optimized_ir("heun_checkpoint_first", HEUN_CHECKPOINT, &["-I", include]);
    let d = body(&ir, "ferment.diffe.ferment.checkpoint_rseg.step");
    let gathers = d.matches("@llvm.masked.gather").count();
    assert!(
        gathers == 0,
        "{gathers} gathers in the segment derivative:\n{d}"
    );
}

const CG: &str = r#"
#include <stdlib.h>
extern double __enzyme_autodiff(void *, ...);
static void apply(const double *restrict c, const double *restrict p, double *restrict q, long n) {
    for (long k = 0; k < n; k++) {
        double s = (2.5 + c[k]) * p[k];
        if (k > 0) s -= p[k - 1];
        if (k < n - 1) s -= p[k + 1];
        q[k] = s;
    }
}
static double cg(const double *restrict b, const double *restrict c, long n, int iters) {
    /* one element more than the loops read: not read from a whole-buffer snapshot */
    double *x = calloc(n, sizeof(double)), *r = malloc(n * sizeof(double)),
           *p = malloc((n + 1) * sizeof(double)), *q = malloc((n + 1) * sizeof(double));
    double rr = 0;
    for (long k = 0; k < n; k++) { r[k] = b[k]; p[k] = b[k]; rr += b[k] * b[k]; }
    for (int it = 0; it < iters; it++) {
        apply(c, p, q, n);
        double pq = 0;
        for (long k = 0; k < n; k++) pq += p[k] * q[k];
        double a = rr / pq, rrn = 0;
        for (long k = 0; k < n; k++) {
            x[k] += a * p[k];
            r[k] -= a * q[k];
            rrn += r[k] * r[k];
        }
        double beta = rrn / rr;
        for (long k = 0; k < n; k++) p[k] = r[k] + beta * p[k];
        rr = rrn;
    }
    double f = 0;
    for (long k = 0; k < n; k++) f += x[k] * x[k];
    free(x); free(r); free(p); free(q);
    return f;
}
void grad(const double *b, double *db, const double *c, double *dc, long n, int iters) {
    __enzyme_autodiff((void *)cg, b, db, c, dc, n, iters);
}
"#;

#[test]
fn sibling_loops_share_a_taped_load() {
    // `-ferment-print-tape` lines that tape a double loaded in a loop two deep
    let taped = |extra: &[&str]| {
        let mut args = vec!["-mllvm", "-ferment-print-tape"];
        args.extend_from_slice(extra);
        let out = compile("cg_siblings", CG, &args);
        let report = String::from_utf8(out.stderr).unwrap();
        let n = report
            .lines()
            .filter(|l| {
                l.contains("cache `") && l.contains("= load double") && l.contains("(depth 2)")
            })
            .count();
        (n, report)
    };
    // p and q once each in `p.q`, apply's p (main: 6, p three times, q twice)
    let (n, report) = taped(&[]);
    assert!(n <= 4, "{n} taped loads:\n{report}");
    let (kept, report) = taped(&["-mllvm", "-ferment-no-sibling-loads"]);
    assert!(
        kept >= n + 3,
        "{kept} taped loads with the sibling loads taped, {n} without:\n{report}"
    );
}

/// A bilinear warp (`benches/repro/shapes/warp.c`'s shape): the sample position clamped by
/// `fmax`/`fmin`, its cell from `floor` converted to an index, four corners gathered from an image
/// nothing writes; and the same warp from a scratch copy that the loop blends in place
/// (`loops/bilinear_gather_rebuild.c` checks the values of both).
const BILINEAR: &str = r#"
#include <math.h>
#include <stdlib.h>
#include <string.h>
extern int enzyme_const;
void __enzyme_autodiff(void *, ...);
#define SAMPLE(a, b, fy, fx) ((1 - fy) * ((1 - fx) * a[b] + fx * a[b + 1]) + \
                              fy * ((1 - fx) * a[b + w] + fx * a[b + w + 1]))
double warp(long h, long w, const double *restrict img, const double *restrict u,
            const double *restrict v, const double *restrict tg) {
  double f = 0;
  for (long i = 0; i < h; i++)
    for (long j = 0; j < w; j++) {
      long k = i * w + j;
      double py = fmin(fmax(i + u[k], 0.0), h - 1.001), px = fmin(fmax(j + v[k], 0.0), w - 1.001);
      double y0 = floor(py), x0 = floor(px), fy = py - y0, fx = px - x0;
      long b = (long)y0 * w + (long)x0;
      double r = SAMPLE(img, b, fy, fx) - tg[k];
      f += r * r;
    }
  return f;
}
double blend(long h, long w, const double *restrict img, const double *restrict u,
             const double *restrict v, const double *restrict tg) {
  double *a = malloc(sizeof(double) * h * w), f = 0;
  memcpy(a, img, sizeof(double) * h * w);
  for (long i = 0; i < h; i++)
    for (long j = 0; j < w; j++) {
      long k = i * w + j;
      double py = fmin(fmax(i + u[k], 0.0), h - 1.001), px = fmin(fmax(j + v[k], 0.0), w - 1.001);
      double y0 = floor(py), x0 = floor(px), fy = py - y0, fx = px - x0;
      long b = (long)y0 * w + (long)x0;
      double s = SAMPLE(a, b, fy, fx);
      a[k] = 0.5 * (a[k] + s);
      f += (s - tg[k]) * (s - tg[k]);
    }
  free(a);
  return f;
}
void g(long h, long w, double *img, double *di, double *u, double *du, double *v, double *dv,
       double *tg) {
  __enzyme_autodiff((void *)warp, enzyme_const, h, enzyme_const, w, img, di, u, du, v, dv,
                    enzyme_const, tg);
  __enzyme_autodiff((void *)blend, enzyme_const, h, enzyme_const, w, img, di, u, du, v, dv,
                    enzyme_const, tg);
}
"#;

/// The lines of `-ferment-print-tape`'s `report` for the values derivative `f` of [`BILINEAR`]
/// tapes per pixel (its inner loop, depth 2).
fn taped_per_pixel<'a>(report: &'a str, f: &str) -> Vec<&'a str> {
    taped_in(report, f)
        .into_iter()
        .filter(|l| l.contains("(depth 2)"))
        .collect()
}

/// The values the `-ferment-print-tape` report of `f`'s derivative says it tapes.
fn taped_in<'a>(report: &'a str, f: &str) -> Vec<&'a str> {
    report
        .split("ferment: tape of the derivative of ")
        .find(|s| s.starts_with(&format!("'{f}'")))
        .unwrap_or_else(|| panic!("no tape report for {f}:\n{report}"))
        .lines()
        .filter(|l| l.contains("cache `"))
        .collect()
}

#[test]
fn bilinear_gather_is_read_again() {
    let out = compile("bilinear", BILINEAR, &["-mllvm", "-ferment-print-tape"]);
    let report = String::from_utf8(out.stderr).unwrap();
    let taped = |f: &str| taped_per_pixel(&report, f).len();
    // The index is rebuilt from u, v (fmax, fmin, floor, fptosi: 20 operand levels from the
    // residual down to the loads of u and v) and the corners read again: main's plugin taped
    // the residual, the two interpolated rows, the four corners and two shadow addresses.
    assert_eq!(taped("warp"), 0, "warp tapes per pixel:\n{report}");
    // Blended in place, the corners may have been overwritten: they are taped.
    assert!(
        taped("blend") >= 4,
        "blend's gathers are not taped:\n{report}"
    );
}

#[test]
fn rounding_results_are_taped_leaves() {
    // baseline x86-64: `floor` lowers to a libm call, not rebuilt in the reverse sweep
    let out = compile(
        "bilinear_plain",
        BILINEAR,
        &["-march=x86-64", "-mllvm", "-ferment-print-tape"],
    );
    let report = String::from_utf8(out.stderr).unwrap();
    let taped = |f: &str| taped_per_pixel(&report, f);
    // main's plugin taped the residual, the interpolated rows, the fractions, the corners and
    // the index (16 fields per pixel)
    let warp = taped("warp");
    assert!(
        warp.len() == 2 && warp.iter().all(|l| l.contains("@llvm.floor.")),
        "warp tapes per pixel:\n{report}"
    );
    // Blended in place, the corners may have been overwritten: they are taped.
    let gathers = taped("blend")
        .iter()
        .filter(|l| l.contains(" = load double"))
        .count();
    assert!(gathers >= 4, "blend's gathers are not taped:\n{report}");
}

/// The 1-D shallow-water steps of `benches/repro/shapes/swe1d.c` (states swapped by pointers): per
/// interface two divisions, two square roots and an `fmax`, whose reverse needs several values of
/// the same iteration (a tape row of 7 fields); and a diffusion step whose boundary neighbours are
/// selected addresses (`y[i > 0 ? i - 1 : i]`, rk4's right-hand side), which the vectorizer
/// gathers.
const ROWS_AND_GATHERS: &str = r#"
#include <math.h>
#include <stdlib.h>
#include <string.h>
extern int enzyme_const;
void __enzyme_autodiff(void *, ...);
double flux(long n, long steps, const double *restrict h0, const double *restrict hu0,
            const double *restrict ht) {
  double *h = malloc(sizeof(double) * (n + 2)), *hu = malloc(sizeof(double) * (n + 2));
  double *hn = malloc(sizeof(double) * (n + 2)), *hun = malloc(sizeof(double) * (n + 2));
  double *f0 = malloc(sizeof(double) * (n + 1)), *f1 = malloc(sizeof(double) * (n + 1));
  for (long i = 0; i < n; i++) {
    h[i + 1] = h0[i];
    hu[i + 1] = hu0[i];
  }
  for (long t = 0; t < steps; t++) {
    h[0] = h[1];
    hu[0] = -hu[1];
    h[n + 1] = h[n];
    hu[n + 1] = -hu[n];
    for (long i = 0; i <= n; i++) {
      double hl = h[i], hr = h[i + 1], ql = hu[i], qr = hu[i + 1];
      double ul = ql / hl, ur = qr / hr;
      double s = fmax(fabs(ul) + sqrt(9.81 * hl), fabs(ur) + sqrt(9.81 * hr));
      f0[i] = 0.5 * (ql + qr) - 0.5 * s * (hr - hl);
      f1[i] = 0.5 * (ql * ul + 0.5 * 9.81 * hl * hl + qr * ur + 0.5 * 9.81 * hr * hr) - 0.5 * s * (qr - ql);
    }
    for (long i = 1; i <= n; i++) {
      hn[i] = h[i] - 0.1 * (f0[i] - f0[i - 1]);
      hun[i] = hu[i] - 0.1 * (f1[i] - f1[i - 1]);
    }
    double *t0 = h, *t1 = hu;
    h = hn;
    hu = hun;
    hn = t0;
    hun = t1;
  }
  double e = 0;
  for (long i = 1; i <= n; i++) {
    double d = h[i] - ht[i - 1];
    e += 0.5 * d * d + 0.25 * hu[i] * hu[i];
  }
  free(h);
  free(hu);
  free(hn);
  free(hun);
  free(f0);
  free(f1);
  return e;
}
double diffuse(long n, const double *restrict y, double *restrict out) {
  double e = 0;
  for (long i = 0; i < n; i++) {
    double l = i > 0 ? y[i - 1] : y[i], r = i < n - 1 ? y[i + 1] : y[i];
    out[i] = 0.1 * (l - 2 * y[i] + r) + y[i] * (1 - y[i]) / (1 + y[i] * y[i]);
    e += out[i] * out[i];
  }
  return e;
}
void g(long n, long steps, double *h, double *dh, double *q, double *dq, double *ht, double *y,
       double *dy, double *o, double *dout) {
  __enzyme_autodiff((void *)flux, enzyme_const, n, enzyme_const, steps, h, dh, q, dq, enzyme_const,
                    ht);
  __enzyme_autodiff((void *)diffuse, enzyme_const, n, y, dy, o, dout);
}
"#;

#[test]
fn tape_rows_are_not_scattered() {
    let vector_gathers = |d: &str| {
        d.lines()
            .filter(|l| l.contains("@llvm.masked.scatter") || l.contains("@llvm.masked.gather"))
            .count()
    };
    // (with the states snapshotted, the flux loop has no rows: taped here as before)
    let no_snap = ["-mllvm", "-ferment-no-swapped-snapshots"];
    let ir = optimized_ir("rows_and_gathers", ROWS_AND_GATHERS, &no_snap);
    // The flux loop's rows are de-interleaved or accessed field by field, not scattered by the
    // forward loop and gathered by the reverse one (2.4x slower on AVX-512: swe1d's gradient 29.4
    // -> 12.3 ms).
    let flux = body(&ir, "ferment.diffe.flux");
    assert_eq!(
        vector_gathers(flux),
        0,
        "tape rows scattered or gathered:\n{flux}"
    );
    // Where a loop gathers other values, the function keeps gathers (rk4's derivative ran 11%
    // slower without).
    let diffuse = body(&ir, "ferment.diffe.diffuse");
    assert!(
        vector_gathers(diffuse) > 0,
        "the boundary neighbours are not gathered:\n{diffuse}"
    );
    // The host's treatment, on request: the check above can fail.
    let ir = optimized_ir(
        "rows_and_gathers_host",
        ROWS_AND_GATHERS,
        &["-mllvm", "-ferment-tape-gathers", no_snap[0], no_snap[1]],
    );
    let flux = body(&ir, "ferment.diffe.flux");
    assert!(
        vector_gathers(flux) > 0,
        "no gathers or scatters left to avoid:\n{flux}"
    );
}

/// A skinning loop (hand.c): per vertex and bone, the bone's 3x3 block of `a` is read, so the
/// reverse sweep adds into 9 consecutive shadow elements that move by 9 per bone. Before it, a
/// loop over the bones alone reads each bone's parent block (an address the vectorizer may
/// gather, in a shallower loop).
const STRIDED_BLOCKS: &str = r#"
extern int enzyme_const;
void __enzyme_autodiff(void *, ...);
double skin(long nb, long nv, const double *restrict a, const double *restrict w,
            const double *restrict p, const int *restrict parent) {
  double e = 0;
  for (long j = 0; j < nb; j++)
    e += a[9 * parent[j]] * a[9 * j + 4];
  for (long i = 0; i < nv; i++) {
    double d0 = p[3 * i], d1 = p[3 * i + 1], d2 = p[3 * i + 2], v0 = 0, v1 = 0, v2 = 0;
    for (long j = 0; j < nb; j++) {
      const double *m = a + 9 * j;
      double wij = w[i * nb + j];
      v0 += wij * (m[0] * d0 + m[1] * d1 + m[2] * d2);
      v1 += wij * (m[3] * d0 + m[4] * d1 + m[5] * d2);
      v2 += wij * (m[6] * d0 + m[7] * d1 + m[8] * d2);
    }
    e += v0 * v0 + v1 * v1 + v2 * v2;
  }
  return e;
}
void g(long nb, long nv, const double *a, double *da, const double *w, const double *p,
       const int *parent) {
  __enzyme_autodiff((void *)skin, enzyme_const, nb, enzyme_const, nv, a, da, enzyme_const, w,
                    enzyme_const, p, enzyme_const, parent);
}
"#;

#[test]
fn strided_shadow_blocks_are_not_scattered() {
    let vector_gathers = |d: &str| {
        d.lines()
            .filter(|l| l.contains("@llvm.masked.scatter") || l.contains("@llvm.masked.gather"))
            .count()
    };
    // The reverse of the bone loop adds into `da[9 j + k]`: no gathers and scatters (each of the
    // 9 elements of 8 bones gathered and scattered made hand's gradient 2x slower on AVX-512).
    let ir = optimized_ir("strided_blocks", STRIDED_BLOCKS, &[]);
    let skin = body(&ir, "ferment.diffe.skin");
    assert_eq!(
        vector_gathers(skin),
        0,
        "shadow blocks scattered or gathered:\n{skin}"
    );
    // The host's treatment, on request: the check above can fail.
    let ir = optimized_ir(
        "strided_blocks_host",
        STRIDED_BLOCKS,
        &["-mllvm", "-ferment-tape-gathers"],
    );
    let skin = body(&ir, "ferment.diffe.skin");
    assert!(
        vector_gathers(skin) > 0,
        "no gathers or scatters left to avoid:\n{skin}"
    );
}

#[test]
fn swapped_states_are_snapshotted() {
    let report = |extra: &[&str]| {
        let mut args = vec!["-mllvm", "-ferment-print-tape"];
        args.extend_from_slice(extra);
        String::from_utf8(compile("swapped_states", ROWS_AND_GATHERS, &args).stderr).unwrap()
    };
    // The flux loop reads the two states (swapped by pointers with `hn`, `hun` after every step)
    // and writes only the fluxes: one copy of each state per step, nothing taped per interface
    // (main's plugin: a row of 7 doubles per interface and step).
    let with = report(&[]);
    assert_eq!(
        taped_per_pixel(&with, "flux").len(),
        0,
        "flux tapes per interface:\n{with}"
    );
    assert_eq!(
        with.matches("  snapshot `").count(),
        2,
        "no snapshot of the two states:\n{with}"
    );
    let without = report(&["-mllvm", "-ferment-no-swapped-snapshots"]);
    assert!(
        taped_per_pixel(&without, "flux").len() >= 4,
        "nothing to spare without the snapshots:\n{without}"
    );
    // Buffers that may be one block (the second starts as the first when n is small) are no
    // swapped pair: the update writes what the inner loop reads, and its loads are taped.
    let same = String::from_utf8(
        compile(
            "maybe_same_buffer",
            MAYBE_SAME_BUFFER,
            &["-mllvm", "-ferment-print-tape"],
        )
        .stderr,
    )
    .unwrap();
    assert!(
        !same.contains("  snapshot `"),
        "buffers that may coincide are snapshotted:\n{same}"
    );
    assert!(
        !taped_per_pixel(&same, "relax").is_empty(),
        "relax tapes nothing per cell:\n{same}"
    );
}

#[test]
fn constant_size_scratch_is_snapshotted() {
    let out = compile(
        "constant_scratch",
        CONSTANT_SCRATCH,
        &["-mllvm", "-ferment-print-tape"],
    );
    let report = String::from_utf8(out.stderr).unwrap();
    // `feat` (a block of constant size, 8 * NF bytes) is filled per item and read by the dense
    // layer's inner loop, which runs to the constant NF: copied once per item, its loads read
    // from the copy (main's plugin: one taped double per (k, j), NF * NK per item).
    let dense = taped_in(&report, "dense");
    assert!(
        !dense.iter().any(|l| l.contains("= load double")),
        "dense tapes the loads of feat:\n{report}"
    );
    assert!(
        report.contains("  snapshot `"),
        "no snapshot of feat:\n{report}"
    );
}

/// A scratch `qx` rebuilt per (point, component) and read whole by `|qx|^2` right after its
/// snapshot would be copied (benches/src/gmm.c's `sqnorm(d, qxc)`): the row is stored next to
/// the reading loop's load, so the derivative calls no `memcpy` per (point, component) (gmm
/// d=10 k=25 n=1000 tuned: 2.47 -> 2.35 ms). Main's plugin copies it: the check can fail. Where
/// the reading loop's sum only feeds the returned value (`dead_sum`), the forward sweep drops that
/// loop and the copy stays.
#[test]
fn snapshot_read_whole_is_stored_by_the_reader() {
    let out = compile("read_whole", READ_WHOLE, &["-mllvm", "-ferment-print-tape"]);
    let report = String::from_utf8(out.stderr).unwrap();
    let ir = String::from_utf8(out.stdout).unwrap();
    let part = |f: &str| {
        report
            .split("ferment: tape of the derivative of ")
            .find(|s| s.starts_with(&format!("'{f}'")))
            .unwrap_or_else(|| panic!("no tape report for {f}:\n{report}"))
    };
    assert!(
        part("whole").contains("stored by the loop that reads it whole after the copy"),
        "qx is copied, not stored by its reader:\n{report}"
    );
    let whole = body(&ir, "ferment.diffe.whole");
    assert!(
        !whole.contains("@llvm.memcpy"),
        "the derivative of whole copies qx:\n{whole}"
    );
    assert!(
        !part("dead_sum").contains("reads it whole"),
        "a reader the forward sweep drops stores the row:\n{report}"
    );
}

/// A Gaussian-mixture-like nest (see `snapshot_read_whole_is_stored_by_the_reader`).
const READ_WHOLE: &str = r#"
#include <math.h>
#include <stdlib.h>
#define K 25
#define NPT 100
void __enzyme_autodiff(void *, ...);
extern int enzyme_const, enzyme_dup;
#define BODY_START                                                                    \
  const double *mu = p, *q = p + K * d;                                               \
  double *xc = malloc(sizeof(double) * d), *qx = malloc(sizeof(double) * d);          \
  double *mt = malloc(sizeof(double) * K);                                            \
  double f = 0;                                                                       \
  for (long ix = 0; ix < NPT; ix++) {                                                 \
    for (long ik = 0; ik < K; ik++) {                                                 \
      for (long i = 0; i < d; i++) xc[i] = x[ix * d + i] - mu[ik * d + i];            \
      for (long i = 0; i < d; i++) qx[i] = exp(q[ik * d + i]) * xc[i];                \
      for (long i = 0; i < d; i++)                                                    \
        for (long j = i + 1; j < d; j++) qx[j] += l[i * d + j] * xc[i];
#define BODY_END                                                                      \
    }                                                                                 \
    double m = mt[0];                                                                 \
    for (long ik = 1; ik < K; ik++) m = fmax(m, mt[ik]);                              \
    double s = 0;                                                                     \
    for (long ik = 0; ik < K; ik++) s += exp(mt[ik] - m);                             \
    f += log(s) + m;                                                                  \
  }                                                                                   \
  free(xc);                                                                           \
  free(qx);                                                                           \
  free(mt);
double whole(long d, const double *restrict p, const double *restrict l, const double *restrict x) {
  BODY_START
  double n2 = 0;
  for (long i = 0; i < d; i++) n2 += qx[i] * qx[i];
  mt[ik] = -0.5 * n2;
  BODY_END
  return f;
}
double dead_sum(long d, const double *restrict p, const double *restrict l, const double *restrict x) {
  double g = 0;
  BODY_START
  for (long i = 0; i < d; i++) g += qx[i] * qx[i] * 0.01;
  mt[ik] = -0.5 * qx[0] * qx[d - 1];
  BODY_END
  return f + g;
}
void grads(long d, const double *p, double *dp, const double *l, const double *x) {
  __enzyme_autodiff((void *)whole, enzyme_const, d, enzyme_dup, p, dp, enzyme_const, l, enzyme_const, x);
  __enzyme_autodiff((void *)dead_sum, enzyme_const, d, enzyme_dup, p, dp, enzyme_const, l, enzyme_const, x);
}
"#;

/// A scratch block of constant size, filled per batch item and read by a dense layer.
const CONSTANT_SCRATCH: &str = r#"
#include <math.h>
#include <stdlib.h>
#define NO 8
#define NQ 64
#define NF (NO * NQ)
#define NK 10
double dense(long nb, const double *restrict img, const double *restrict w) {
  double *feat = malloc(sizeof(double) * NF);
  double loss = 0;
  for (long b = 0; b < nb; b++) {
    for (int o = 0; o < NO; o++)
      for (int q = 0; q < NQ; q++) {
        double a = w[o] * img[b * NQ + q];
        feat[o * NQ + q] = a > 0 ? a : 0;
      }
    for (int k = 0; k < NK; k++) {
      double s = 0;
      for (int j = 0; j < NF; j++)
        s += w[NO + k * NF + j] * feat[j];
      loss += log(1 + s * s);
    }
  }
  free(feat);
  return loss;
}
void __enzyme_autodiff(void *, ...);
extern int enzyme_const;
void grad(long nb, const double *img, const double *w, double *dw) {
  __enzyme_autodiff((void *)dense, enzyme_const, nb, enzyme_const, img, w, dw);
}
"#;

/// Two buffers swapped by pointers, the second one the first itself when `n < 4` (in place).
const MAYBE_SAME_BUFFER: &str = r#"
#include <math.h>
#include <stdlib.h>
extern int enzyme_const;
void __enzyme_autodiff(void *, ...);
double relax(long n, long steps, const double *restrict x0) {
  double *a0 = malloc(sizeof(double) * n), *b0 = malloc(sizeof(double) * n);
  double *a = a0, *b = n < 4 ? a0 : b0;
  for (long i = 0; i < n; i++) a[i] = x0[i];
  for (long t = 0; t < steps; t++) {
    for (long i = 0; i < n; i++) {
      double l = a[i > 0 ? i - 1 : i], r = a[i < n - 1 ? i + 1 : i];
      b[i] = a[i] + 0.1 * sin(l * r) - 0.05 * a[i] * a[i];
    }
    double *tmp = a;
    a = b;
    b = tmp;
  }
  double e = 0;
  for (long i = 0; i < n; i++) e += a[i] * a[i];
  free(a0);
  free(b0);
  return e;
}
void g(long n, long steps, double *x, double *dx) {
  __enzyme_autodiff((void *)relax, enzyme_const, n, enzyme_const, steps, x, dx);
}
"#;

/// The same loop with `restrict` parameters (`f`) and without (`g`): `pow(t, b)` has an infinite
/// slope at `t = 0`, so in reverse mode the adjoint of `t = x[0]` may be infinite and goes to the
/// shadow of `x`, and in forward mode the tangent stored into `y` may be.
const RESTRICT_MEMORY: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);
__attribute__((noinline)) void f(const double *restrict x, double *restrict y, int n) {
  double t = x[0];
  for (int i = 0; i < n; i++)
    y[i] = pow(t, 0.3 + 0.1 * i) * x[i + 1] * x[i + 2];
}
__attribute__((noinline)) void g(const double *x, double *y, int n) {
  double t = x[0];
  for (int i = 0; i < n; i++)
    y[i] = pow(t, 0.3 + 0.1 * i) * x[i + 1] * x[i + 2];
}
void grad_f(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, n);
}
void tan_f(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_fwddiff((void *)f, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, n);
}
void grad_g(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_autodiff((void *)g, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, n);
}
void tan_g(const double *x, double *dx, double *y, double *dy, int n) {
  __enzyme_fwddiff((void *)g, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, n);
}
"#;

/// Infinite derivatives through memory are followed object by object: with `restrict`
/// parameters the adjoints stored into `y`'s shadow (reverse) and the tangents loaded from `x`'s
/// (forward) are finite, so `f`'s products get fewer zero tests than `g`'s, whose `x` and `y` may
/// be one array (all of them guarded, as every load and store was before).
#[test]
fn infinite_derivatives_through_memory_follow_the_objects() {
    let ir = optimized_ir(
        "restrict_memory",
        RESTRICT_MEMORY,
        &["-fno-vectorize", "-fno-slp-vectorize", "-fno-unroll-loops"],
    );
    let zero_tests = |name: &str| {
        body(&ir, name)
            .lines()
            .filter(|l| l.contains("fcmp oeq"))
            .count()
    };
    for mode in ["diffe", "fwddiffe"] {
        let (f, g) = (
            zero_tests(&format!("ferment.{mode}.f")),
            zero_tests(&format!("ferment.{mode}.g")),
        );
        assert!(
            f < g,
            "{mode}: {f} zero tests with restrict parameters, {g} without"
        );
    }
}

const INDETERMINATE_DENOMINATORS: &str = r#"
#include <math.h>
double __enzyme_autodiff(void *, ...);
__attribute__((noinline)) double guarded(double z, double c) {
    double r = 2.0 / (1.0 / z);
    return r < c ? r : c;
}
__attribute__((noinline)) double plain(double z) { return 2.0 / (1.0 / z) + z; }
__attribute__((noinline)) double sigmoid(double x, double c) {
    double s = 1.0 / (1.0 + exp(-x));
    return s < c ? s : c;
}
double run(double z, double c) {
    return __enzyme_autodiff((void *)guarded, z, c) + __enzyme_autodiff((void *)plain, z)
        + __enzyme_autodiff((void *)sigmoid, z, c);
}
"#;

/// A denominator's partial at an operand a quotient made infinite is NaN there (the chain rule's
/// 0 * inf, not a guard's strong zero) only where a guard sits above it (`r < c ? r : c` of
/// `r = 2 / (1 / z)`); a plain quotient and an overflowing `exp` under a denominator (`1 / (1 +
/// exp(-x))`, whose strong zero is the limit) get no such test.
#[test]
fn indeterminate_denominators_only_under_guards() {
    let ir = optimized_ir(
        "indeterminate_denominators",
        INDETERMINATE_DENOMINATORS,
        &[],
    );
    let nan = |name: &str| body(&ir, name).contains("0x7FF8000000000000");
    assert!(
        nan("ferment.diffe.guarded"),
        "no NaN marking under the select's guard"
    );
    assert!(!nan("ferment.diffe.plain"), "a NaN marking without a guard");
    assert!(
        !nan("ferment.diffe.sigmoid"),
        "a NaN marking at an exp's overflow"
    );
}

/// Nests that fill BLAS operands with the same values are rebuilt in the reverse sweep by one
/// helper function: gmm_blas's two fills of its centred data had two identical
/// `ferment.blas.rebuild` helpers (110 optimized instructions each). A nest that stores other
/// values keeps its own helper.
#[test]
fn identical_operand_rebuilds_share_one_helper() {
    // The e2e case (its gradient checked there): three nests, the first two storing the same
    // values (GMM's centred data, filled again for a second product), the third scaled.
    let ir = optimized_ir(
        "rebuild_twice",
        include_str!("../cases/blas/rebuild_twice.c"),
        &["-I", concat!(env!("CARGO_MANIFEST_DIR"), "/include")],
    );
    let helpers = ir
        .lines()
        .filter(|l| l.starts_with("define internal void @ferment.blas.rebuild"))
        .count();
    let calls = ir
        .lines()
        .filter(|l| l.contains("call void @ferment.blas.rebuild"))
        .count();
    assert_eq!(calls, 3, "expected three rebuilt operands:\n{ir}");
    assert_eq!(
        helpers, 2,
        "expected one helper for the two identical nests:\n{ir}"
    );
}

/// A Cholesky factorization and solve (gp's shape): the derivative's LAPACK rules call the
/// triangle and symmetric helpers.
const CHOLESKY_HELPERS: &str = r#"
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double chol_logdet_solve(int n, const double *a, const double *y) {
  double *k = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n);
  memcpy(k, a, sizeof(double) * n * n);
  memcpy(b, y, sizeof(double) * n);
  LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, k, n);
  LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', n, 1, k, n, b, n);
  double f = 0;
  for (int i = 0; i < n; i++) f += y[i] * b[i] + log(k[i + i * n]);
  free(k);
  free(b);
  return f;
}
void grad(int n, const double *a, double *da, const double *y) {
  __enzyme_autodiff((void *)chol_logdet_solve, enzyme_const, n, enzyme_dup, a, da,
                    enzyme_const, y);
}
"#;

/// The triangle helpers' row loops are vectorized without a vectorized epilogue (one
/// interleave), the symmetric helpers that read `X[j,i]` stay rolled scalar loops; the elementwise
/// `pack` keeps the host's treatment (its epilogue: the check can fail).
#[test]
fn triangle_helpers_have_no_vector_epilogues() {
    let ir = optimized_ir("cholesky_helpers", CHOLESKY_HELPERS, &[]);
    let vector = |d: &str| d.contains("x double>");
    let d = body(&ir, "ferment.blas.pack.d");
    assert!(
        epilogues(d) > 0,
        "expected the host's vectorized epilogue in pack:\n{d}"
    );
    for f in ["triadd", "tripack", "phi", "triscale"] {
        let name = format!("ferment.blas.{f}.lower.nonunit.d");
        let d = body(&ir, &name);
        assert!(vector(d), "{name} is not vectorized:\n{d}");
        assert_eq!(epilogues(d), 0, "a vectorized epilogue in {name}:\n{d}");
    }
    for name in [
        "ferment.blas.symadd.lower.nonunit.d",
        "ferment.blas.sympack.lower.unit.d",
    ] {
        let d = body(&ir, name);
        assert!(!vector(d), "vector code in {name}:\n{d}");
        assert!(
            unrolled(d).is_empty(),
            "unrolled copies in {name} ({:?}):\n{d}",
            unrolled(d)
        );
    }
}

/// Indices by division and remainder: a run-time size, constant divisors, a divisor from memory
/// (zero where the division is skipped). The values: e2e `loops/division_index_rebuild.c`.
const DIVIDED_INDICES: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double ring(const double *u, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) {
    double c = u[i], e = u[(i + 1) % n], w = u[(i + n - 1) % n];
    s += c * c * (e - w) + sin(c) * e;
  }
  return s;
}
double grid(const double *u, const double *a, long m) {
  double s = 0;
  for (long k = 0; k < m; k++) {
    long z = k / 15, y = (k / 5) % 3, x = k % 5;
    s += u[k] * u[k] * a[z * 16 + y * 4 + x];
  }
  return s;
}
double skip(const double *u, const long *d, long n) {
  double s = 0;
  for (long i = 0; i < n; i++)
    if (d[i] != 0) s += u[i] * u[i] * u[(i * 7) / d[i]];
  return s;
}
void g1(const double *u, double *du, long n) {
  __enzyme_autodiff((void *)ring, enzyme_dup, u, du, enzyme_const, n);
}
void g2(const double *u, double *du, const double *a, long m) {
  __enzyme_autodiff((void *)grid, enzyme_dup, u, du, enzyme_const, a, enzyme_const, m);
}
void g3(const double *u, double *du, const long *d, long n) {
  __enzyme_autodiff((void *)skip, enzyme_dup, u, du, enzyme_const, d, enzyme_const, n);
}
"#;

#[test]
fn divided_indices_are_rebuilt() {
    let out = compile(
        "divided_indices",
        DIVIDED_INDICES,
        &["-mllvm", "-ferment-print-tape"],
    );
    let report = String::from_utf8(out.stderr).unwrap();
    for f in ["ring", "grid", "skip"] {
        let taped = taped_in(&report, f);
        // main's plugin taped a load and an address in each (a load alone in grid's)
        assert!(taped.is_empty(), "{f} tapes {taped:?}:\n{report}");
    }
}

/// benches/src/gauss_seidel.c's sweep (`x = (b + c s) * inv`, the quotient `inv = 1 / (1 + 4 c)`
/// before the loops) and an explicit ODE integration (`y += h * f`, `h = 10 / n` before the
/// loops), both reading back what they store.
const STORED_QUOTIENTS: &str = r#"
#include <math.h>
#include <stdlib.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
static void sweep(long m, double *x, const double *b, double c) {
  double inv = 1 / (1 + 4 * c);
  for (long i = 0; i < m; i++)
    for (long j = 0; j < m; j++) {
      double s = 0;
      if (i > 0) s += x[(i - 1) * m + j];
      if (i < m - 1) s += x[(i + 1) * m + j];
      if (j > 0) s += x[i * m + j - 1];
      if (j < m - 1) s += x[i * m + j + 1];
      x[i * m + j] = (b[i * m + j] + c * s) * inv;
    }
}
double gs(long m, long k, const double *restrict b, const double *restrict cp) {
  double *x = calloc(m * m, sizeof(double));
  double c = *cp;
  for (long it = 0; it < k; it++) sweep(m, x, b, c);
  double f = 0;
  for (long i = 0; i < m * m; i++) f += x[i] * x[i];
  free(x);
  return 0.5 * f;
}
double ode(double *restrict y, const double *restrict k, long d, long steps) {
  double h = 10.0 / (double)steps;
  double *f = malloc(sizeof(double) * d);
  for (long s = 0; s < steps; s++) {
    for (long i = 0; i < d; i++)
      f[i] = k[i] * (1 + sin(y[i + 1 == d ? 0 : i + 1])) - y[i] * y[i] * y[i];
    for (long i = 0; i < d; i++) y[i] += h * f[i];
  }
  double e = 0;
  for (long i = 0; i < d; i++) e += y[i] * y[i];
  free(f);
  return e;
}
void grad_gs(long m, long k, const double *b, double *db, const double *c, double *dc) {
  __enzyme_autodiff((void *)gs, enzyme_const, m, enzyme_const, k, enzyme_dup, b, db, enzyme_dup, c, dc);
}
void grad_ode(double *y, double *dy, const double *k, double *dk, long d, long n) {
  __enzyme_autodiff((void *)ode, enzyme_dup, y, dy, enzyme_dup, k, dk, enzyme_const, d, enzyme_const, n);
}
"#;

/// The products `fmul o, d` of a derivative by an origin `o` of its finiteness test `(o - o) == 0`
/// (`reverse::loaded_factor_guards`), and how many of them a zero-adjoint guard
/// `select(d == 0, 0, o * d)` (or `select(d != 0, o * d, 0)`) keeps.
fn origin_products(d: &str) -> (usize, usize) {
    let defs: Vec<(&str, &str)> = d
        .lines()
        .filter_map(|l| l.trim().split_once(" = "))
        .collect();
    let operands = |rest: &str| -> Vec<String> {
        rest.rsplitn(3, ' ')
            .take(2)
            .map(|o| o.trim_end_matches(',').to_string())
            .collect()
    };
    let origins: Vec<String> = defs
        .iter()
        .filter(|(_, rest)| rest.starts_with("fsub "))
        .map(|(_, rest)| operands(rest))
        .filter(|ops| ops.len() == 2 && ops[0] == ops[1])
        .map(|ops| ops[0].clone())
        .collect();
    let products: Vec<&str> = defs
        .iter()
        .filter(|(_, rest)| rest.starts_with("fmul ") && rest.contains(" double "))
        .filter(|(_, rest)| operands(rest).iter().any(|o| origins.contains(o)))
        .map(|(name, _)| *name)
        .collect();
    let zero_tests: Vec<&str> = defs
        .iter()
        .filter(|(_, rest)| {
            (rest.starts_with("fcmp oeq double ") || rest.starts_with("fcmp une double "))
                && rest.ends_with(", 0.000000e+00")
        })
        .map(|(name, _)| *name)
        .collect();
    let guarded = defs
        .iter()
        .filter_map(|(_, rest)| rest.strip_prefix("select i1 "))
        .filter(|rest| {
            let parts: Vec<&str> = rest.split(", ").collect();
            parts.len() == 3
                && zero_tests.contains(&parts[0])
                && products.iter().any(|p| {
                    (parts[1] == "double 0.000000e+00" && parts[2] == format!("double {p}"))
                        || (parts[1] == format!("double {p}") && parts[2] == "double 0.000000e+00")
                })
        })
        .count();
    (products.len(), guarded)
}

/// A partial that is itself an origin of the finiteness test (gauss_seidel's `x = (b + c s) *
/// inv`: the partial `inv` of `b + c s`; ode's `y += h * f`: the partial `h` of `f`) is finite
/// wherever the test holds: its products are guarded in the copy of the reverse loops that runs
/// where the test fails, and plain in the other. They were guarded in both copies, the guard's
/// compare and blend on the reverse sweep's recurrence through the neighbours' adjoints
/// (gauss_seidel m=200 K=20, tuned flags: gradient 5.32 -> 5.02 ms, Enzyme's 5.23 ms). Main's
/// plugin guards every such product: the check can fail.
#[test]
fn origin_partials_are_spared_where_the_origins_are_finite() {
    let ir = optimized_ir("origin_partials", STORED_QUOTIENTS, &[]);
    for f in ["ferment.diffe.gs", "ferment.diffe.ode"] {
        let d = body(&ir, f);
        let (products, guarded) = origin_products(d);
        assert!(
            products > 0 && guarded > 0 && guarded < products,
            "{f}: {guarded} of the {products} products by the tested origin guarded (expected \
             the fallback copy's only):\n{d}"
        );
    }
}

/// The run-time tests `(o - o) == 0` of a derivative (`reverse::loaded_factor_guards`), each with
/// the number of branches and of selects on it.
fn finite_tests(d: &str) -> Vec<(usize, usize)> {
    let self_differences: Vec<&str> = d
        .lines()
        .filter_map(|l| l.trim().split_once(" = fsub "))
        .filter(|(_, rest)| {
            let ops: Vec<&str> = rest.rsplitn(3, ' ').take(2).collect();
            ops.len() == 2 && ops[0] == ops[1].trim_end_matches(',')
        })
        .map(|(name, _)| name)
        .collect();
    d.lines()
        .filter_map(|l| l.trim().split_once(" = fcmp oeq double "))
        .filter(|(_, rest)| {
            rest.split_once(',')
                .is_some_and(|(v, _)| self_differences.contains(&v))
        })
        .map(|(t, _)| {
            let uses = |op: &str| {
                d.lines()
                    .filter(|l| l.contains(&format!("{op} i1 {t},")))
                    .count()
            };
            (uses("br"), uses("select"))
        })
        .collect()
}

/// Quotients stored inside loops and read back (trisolve's `x[i] = s / l[i n + i]`) and bounded
/// quotients in a loop (a logistic `1 / (1 + exp(-x))`, a soft sign `u / (1 + |w|)`).
const LOOP_ORIGINS: &str = r#"
#include <math.h>
#include <stdlib.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double trisolve(long n, const double *restrict l, const double *restrict b) {
  double *x = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++) {
    double s = b[i];
    for (long j = 0; j < i; j++) s -= l[i * n + j] * x[j];
    x[i] = s / l[i * n + i];
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += x[i] * x[i];
  free(x);
  return 0.5 * f;
}
double gates(long n, const double *restrict w, const double *restrict u) {
  double *g = malloc(sizeof(double) * n), *h = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++) {
    g[i] = 1.0 / (1.0 + exp(-w[i] * u[i]));
    h[i] = u[i] / (1.0 + fabs(w[i]));
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += g[i] * h[i] * w[i];
  free(g);
  free(h);
  return f;
}
void grad_tri(long n, const double *l, double *dl, const double *b, double *db) {
  __enzyme_autodiff((void *)trisolve, enzyme_const, n, enzyme_dup, l, dl, enzyme_dup, b, db);
}
void grad_gates(long n, const double *w, double *dw, const double *u, double *du) {
  __enzyme_autodiff((void *)gates, enzyme_const, n, enzyme_dup, w, dw, enzyme_dup, u, du);
}
"#;

/// Values of quotients stored inside a loop are tested as the forward sweep makes them (whether
/// `q - q` is NaN ORed into one `i1` flag), and the reverse loops are unswitched on the one test they
/// join; bounded quotients (lstm's gates) count as finite and need no test. Main f32a697 has no
/// test for trisolve (loop origins were not guarded): the check can fail; so does
/// `-ferment-guard-loop-loads`, which guards without a test.
#[test]
fn loop_origins_join_one_unswitched_test() {
    let ir = optimized_ir("loop_origins", LOOP_ORIGINS, &[]);
    let d = body(&ir, "ferment.diffe.trisolve");
    let tests = finite_tests(d);
    assert_eq!(
        tests.len(),
        1,
        "trisolve: expected one finiteness test:\n{d}"
    );
    let (branches, selects) = tests[0];
    assert!(
        branches >= 1 && selects == 0,
        "trisolve: the loops are not unswitched on the test ({branches} branches, {selects} \
         selects):\n{d}"
    );
    let g = body(&ir, "ferment.diffe.gates");
    assert!(
        finite_tests(g).is_empty(),
        "gates: a finiteness test for bounded quotients:\n{g}"
    );
    let ir = optimized_ir(
        "loop_origins_off",
        LOOP_ORIGINS,
        &["-mllvm", "-ferment-no-guard-loop-loads"],
    );
    assert!(
        finite_tests(body(&ir, "ferment.diffe.trisolve")).is_empty(),
        "trisolve: a finiteness test with -ferment-no-guard-loop-loads"
    );
}

/// Quotients stored by a Thomas solve inside an outer time loop (implicit's shape): the reverse
/// sweep builds the loop origins' finiteness test inside the inner reverse loops, of the bits
/// the forward sweep gathered across the time loop. `shim::unswitch_zero_adjoints` moves that
/// test out of the loops it is invariant in (`hoistFiniteTests`) and unswitches the reverse
/// loops on it. Main 5039d38 left it in the loops as 10 selects (implicit 16% slower than with
/// `-ferment-no-guard-loop-loads`): the check fails there.
const TIME_LOOP_ORIGINS: &str = r#"
#include <math.h>
#include <stdlib.h>
#include <string.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
static void solve(long n, double c, const double *v, const double *r, double *cp, double *z) {
  double b = 1 + 2 * c + v[0] * v[0];
  cp[0] = -c / b;
  z[0] = r[0] / b;
  for (long i = 1; i < n; i++) {
    double m = 1 + 2 * c + v[i] * v[i] + c * cp[i - 1];
    cp[i] = -c / m;
    z[i] = (r[i] + c * z[i - 1]) / m;
  }
  for (long i = n - 2; i >= 0; i--) z[i] -= cp[i] * z[i + 1];
}
double march(long n, long nt, double c, const double *restrict u0) {
  double *u = malloc(sizeof(double) * n), *cp = malloc(sizeof(double) * n), *z = malloc(sizeof(double) * n);
  memcpy(u, u0, sizeof(double) * n);
  for (long t = 0; t < nt; t++) {
    solve(n, c, u, u, cp, z);
    memcpy(u, z, sizeof(double) * n);
  }
  double f = 0;
  for (long i = 0; i < n; i++) f += u[i] * u[i];
  free(u);
  free(cp);
  free(z);
  return 0.5 * f;
}
void grad_march(long n, long nt, double c, const double *u0, double *du0) {
  __enzyme_autodiff((void *)march, enzyme_const, n, enzyme_const, nt, enzyme_const, c, enzyme_dup, u0, du0);
}
"#;

#[test]
fn time_loop_origins_test_is_unswitched() {
    for flags in [&[][..], &["-march=x86-64"]] {
        let ir = optimized_ir("time_loop_origins", TIME_LOOP_ORIGINS, flags);
        let d = body(&ir, "ferment.diffe.march");
        let tests = finite_tests(d);
        assert_eq!(
            tests.len(),
            1,
            "march {flags:?}: expected one finiteness test:\n{d}"
        );
        let (branches, selects) = tests[0];
        assert!(
            branches >= 1 && selects == 0,
            "march {flags:?}: the reverse loops are not unswitched on the test ({branches} \
             branches, {selects} selects):\n{d}"
        );
    }
}

/// The forward sweep gathers the loop origins' finiteness (`Tape::nonfinite_flag`) with one
/// comparison for the two values of a block: the Thomas solve of `TIME_LOOP_ORIGINS` stores two
/// quotients per iteration, and their self-differences share one `fcmp uno x, y` (and one OR)
/// where main b8e9884 tested each alone (`fcmp uno x, 0.0`, twice per iteration): the check
/// fails there.
#[test]
fn loop_origins_of_one_block_share_one_comparison() {
    for flags in [&[][..], &["-march=x86-64"]] {
        let ir = optimized_ir("time_loop_origins_shared", TIME_LOOP_ORIGINS, flags);
        let d = body(&ir, "ferment.diffe.march");
        let unordered: Vec<&str> = d.lines().filter(|l| l.contains("fcmp uno")).collect();
        assert!(
            !unordered.is_empty(),
            "march {flags:?}: no gathered finiteness comparison:\n{d}"
        );
        for l in &unordered {
            let (_, ops) = l.split_once("fcmp uno ").unwrap();
            let ops: Vec<&str> = ops
                .split(", ")
                .map(|o| o.rsplit(' ').next().unwrap())
                .collect();
            assert!(
                ops.len() == 2 && ops[0] != ops[1] && ops.iter().all(|o| o.starts_with('%')),
                "march {flags:?}: a comparison of one value alone, `{}`:\n{d}",
                l.trim()
            );
        }
    }
}

/// The loop origins' flag is the OR of the comparisons themselves (`Tape::nonfinite_flag`, an
/// `i1` slot the reverse sweep reads as `bitcast (sext flag)`): no select per value in the
/// forward loops. Main d686887 ORed a select of a NaN's bits per comparison into an `i64`
/// (`select i1 %c, i64 9221120237041090560, i64 0`): the check fails there.
#[test]
fn loop_origins_flag_is_an_or_of_comparisons() {
    for flags in [&[][..], &["-march=x86-64"]] {
        let ir = optimized_ir("time_loop_origins_flag", TIME_LOOP_ORIGINS, flags);
        let d = body(&ir, "ferment.diffe.march");
        let compares: Vec<&str> = d
            .lines()
            .filter_map(|l| l.trim().split_once(" = fcmp uno "))
            .map(|(name, _)| name)
            .collect();
        assert!(
            !compares.is_empty(),
            "march {flags:?}: no gathered finiteness comparison:\n{d}"
        );
        for c in &compares {
            let operand = format!("{c},");
            let last = format!(" {c}");
            let uses: Vec<&str> = d
                .lines()
                .filter(|l| l.contains(&operand) || l.trim_end().ends_with(&last))
                .collect();
            assert!(
                uses.iter().any(|l| l.contains(" = or "))
                    && !uses.iter().any(|l| l.contains("select")),
                "march {flags:?}: `{c}` is not ORed into the flag as it is ({uses:?}):\n{d}"
            );
        }
    }
}

/// A value read back from memory that holds a stored quotient counts as possibly infinite in the
/// reverse sweep's guards of discarded products, behind one run-time test of the quotient
/// (`b[0] = 1 / s; b[1] = u * b[0]`, `b[1]` never read: `clang-tests/cases/fuzz/
/// loaded_infinite_factor.c`). Where the quotient is computed before the loops, the reverse loops
/// are unswitched on that test, and the copy run where it holds has no guard on loaded factors:
/// gauss_seidel's `c * s` was guarded in every iteration by a static rule (1.5x slower), ode had
/// 32 zero tests instead of 8. Without the unswitching (`-ferment-no-guard-zero`) the selects on
/// the test stay in the loops, and `-ferment-no-guard-loads` has no test: the checks can fail.
#[test]
fn loaded_factor_guards_unswitch_on_one_test() {
    let ir = optimized_ir("stored_quotients", STORED_QUOTIENTS, &[]);
    for f in ["ferment.diffe.gs", "ferment.diffe.ode"] {
        let d = body(&ir, f);
        let tests = finite_tests(d);
        assert_eq!(tests.len(), 1, "{f}: expected one finiteness test:\n{d}");
        let (branches, selects) = tests[0];
        assert!(
            branches >= 1 && selects == 0,
            "{f}: the loops are not unswitched on the test ({branches} branches, {selects} \
             selects):\n{d}"
        );
    }
    let ir = optimized_ir(
        "stored_quotients_kept",
        STORED_QUOTIENTS,
        &["-mllvm", "-ferment-no-guard-zero"],
    );
    for f in ["ferment.diffe.gs", "ferment.diffe.ode"] {
        let d = body(&ir, f);
        assert!(
            finite_tests(d).iter().any(|&(_, selects)| selects > 0),
            "{f}: expected selects on the test with -ferment-no-guard-zero:\n{d}"
        );
    }
    let ir = optimized_ir(
        "stored_quotients_none",
        STORED_QUOTIENTS,
        &["-mllvm", "-ferment-no-guard-loads"],
    );
    for f in ["ferment.diffe.gs", "ferment.diffe.ode"] {
        assert!(
            finite_tests(body(&ir, f)).is_empty(),
            "{f}: a finiteness test with -ferment-no-guard-loads"
        );
    }
}

/// Blocks the host's vectorizer made in `d` (main and epilogue vector loops).
fn vector_bodies(d: &str) -> usize {
    d.lines()
        .filter(|l| l.starts_with("vector.body") || l.starts_with("vec.epilog.vector.body"))
        .count()
}

/// Instructions of a function body (lines indented by two spaces, not comments).
fn instruction_count(d: &str) -> usize {
    d.lines()
        .filter(|l| l.starts_with("  ") && !l.trim_start().starts_with(';'))
        .count()
}

/// The copy of the reverse loops that runs where the finiteness test fails (an infinite stored
/// quotient: `1 + 4 c = 0`, `steps = 0`) stays rolled and scalar; the host vectorized and
/// unrolled it like the copy that runs (benches/src/ode.c's derivative: 2661 -> 2257 optimized
/// instructions, ode's gradient unchanged at 14.0 ms). `-ferment-vectorize-nonfinite-copies`
/// leaves it to the host (the check can fail).
#[test]
fn nonfinite_copy_of_the_reverse_loops_stays_rolled() {
    let ir = optimized_ir("nonfinite_rolled", STORED_QUOTIENTS, &[]);
    let host = optimized_ir(
        "nonfinite_vectorized",
        STORED_QUOTIENTS,
        &["-mllvm", "-ferment-vectorize-nonfinite-copies"],
    );
    for f in ["ferment.diffe.gs", "ferment.diffe.ode"] {
        let (d, h) = (body(&ir, f), body(&host, f));
        let (n, m) = (instruction_count(d), instruction_count(h));
        assert!(
            10 * n <= 9 * m,
            "{f}: {n} instructions, {m} with the copy vectorized:\n{d}"
        );
    }
    // ode's copy that runs keeps its vector loops; the other copy's are gone.
    let (d, h) = (
        body(&ir, "ferment.diffe.ode"),
        body(&host, "ferment.diffe.ode"),
    );
    assert!(
        vector_bodies(d) > 0 && vector_bodies(d) < vector_bodies(h),
        "ode: {} vector loops, {} with the copy vectorized:\n{d}",
        vector_bodies(d),
        vector_bodies(h)
    );
}

/// A kept callee (`-ferment-no-inline`) storing quotients and a `sin(r) / r` behind a branch: the
/// adjoints its reverse function reads from the shadow of `out` may be zero, so their products with
/// the partials that may be infinite are guarded (`rules::guarded`).
const VERSIONED_GUARDS: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
__attribute__((noinline)) static void proj(const double *c, const double *p, double *out) {
  double x = p[0] - c[0], y = p[1] - c[1], z = p[2] - c[2];
  double t = c[3] * c[3] + c[4] * c[4];
  double w = 1.0;
  if (t != 0) {
    double r = sqrt(t);
    w = sin(r) / r;
  }
  double u = x / z, v = y / z;
  double l = 1 + c[5] * (u * u + v * v);
  out[0] = c[6] * u * l * w + c[7];
  out[1] = c[6] * v * l - c[7] * w;
}
double obj(const double *c, const double *p, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) {
    double o[2];
    proj(c, p + 3 * i, o);
    s += o[0] * o[0] + sin(o[1]);
  }
  return s;
}
void grad(const double *c, double *dc, const double *p, double *dp, long n) {
  __enzyme_autodiff((void *)obj, enzyme_dup, c, dc, enzyme_dup, p, dp, enzyme_const, n);
}
"#;

/// The selects with a zero arm (`0.0`, `-0.0` or a zero vector) in each block of `d`, and the
/// blocks each conditional branch on a finiteness test (`s - s == 0`, maybe frozen) leads to.
fn guards_by_finite_branch(d: &str) -> Vec<(usize, usize)> {
    let mut blocks: Vec<(String, Vec<&str>)> = vec![(String::new(), Vec::new())];
    for l in d.lines().skip(1) {
        match l.split_once(':') {
            Some((label, _)) if !l.starts_with(' ') && !label.is_empty() => {
                blocks.push((format!("%{label}"), Vec::new()))
            }
            _ => blocks.last_mut().unwrap().1.push(l.trim()),
        }
    }
    let defs: Vec<(&str, &str)> = d
        .lines()
        .filter_map(|l| l.trim().split_once(" = "))
        .collect();
    let def = |v: &str| defs.iter().find(|(n, _)| *n == v).map(|(_, r)| *r);
    let is_finite_test = |c: &str| {
        let c = def(c)
            .and_then(|r| r.strip_prefix("freeze i1 "))
            .unwrap_or(c);
        def(c)
            .and_then(|r| r.strip_prefix("fcmp oeq double "))
            .and_then(|r| r.strip_suffix(", 0.000000e+00"))
            .and_then(def)
            .and_then(|r| r.strip_prefix("fsub double "))
            .is_some_and(|r| r.split_once(", ").is_some_and(|(a, b)| a == b))
    };
    let zero_selects = |label: &str| {
        blocks
            .iter()
            .find(|(n, _)| n == label)
            .map_or(0, |(_, ls)| {
                ls.iter()
                    .filter(|l| l.contains(" = select "))
                    .filter(|l| {
                        l.contains(" 0.000000e+00,")
                            || l.ends_with(" 0.000000e+00")
                            || l.contains("-0.000000e+00")
                            || l.contains("zeroinitializer")
                    })
                    .count()
            })
    };
    d.lines()
        .filter_map(|l| l.trim().strip_prefix("br i1 "))
        .filter_map(|r| {
            let parts: Vec<&str> = r.split(", ").collect();
            (parts.len() >= 3 && is_finite_test(parts[0])).then(|| {
                let to = |p: &str| p.trim_start_matches("label ").to_string();
                (zero_selects(&to(parts[1])), zero_selects(&to(parts[2])))
            })
        })
        .collect()
}

/// The reverse function of a kept callee has no loop: each of its blocks holding at least four
/// guarded products whose factors (the partials: primal values, quotients, `sqrt`'s) can be
/// computed where the block starts is copied behind one test that those factors are finite
/// (`shim/finite_version.cpp`); the copy entered where it holds has no guard, the one entered
/// elsewhere keeps them all (ba_calls' reverse of `project`, tuned flags: gradient 2.32 -> 2.02
/// ms against the hand-written 1.97 ms). Main's plugin, and `-ferment-no-version-guards`, keep
/// every guard behind no test: the check can fail.
#[test]
fn kept_callee_guards_are_versioned_on_finite_factors() {
    let ir = optimized_ir(
        "versioned_guards",
        VERSIONED_GUARDS,
        &["-mllvm", "-ferment-no-inline"],
    );
    let d = body(&ir, "ferment.reverse.proj");
    let branches = guards_by_finite_branch(d);
    assert!(
        !branches.is_empty()
            && branches
                .iter()
                .all(|&(free, guarded)| free == 0 && guarded >= 4),
        "expected blocks copied behind a finiteness test, the copy without guards \
         ({branches:?}):\n{d}"
    );
    let ir = optimized_ir(
        "versioned_guards_off",
        VERSIONED_GUARDS,
        &[
            "-mllvm",
            "-ferment-no-inline",
            "-mllvm",
            "-ferment-no-version-guards",
        ],
    );
    let d = body(&ir, "ferment.reverse.proj");
    assert!(
        guards_by_finite_branch(d).is_empty(),
        "a finiteness test with -ferment-no-version-guards:\n{d}"
    );
}

/// ba_calls' kept callee `project` (`-ferment-no-inline`): the zero tests of its second block's
/// guards are phis of the tests in the first block's two copies (`select(phi(t1, t2), 0, p *
/// phi(d1, d2))`); matched per incoming edge, that block is versioned too and no copy entered
/// where its test holds keeps a guard (14 were left there on main 5039d38: the check fails).
#[test]
fn guards_behind_versioned_phis_are_versioned() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let src = std::fs::read_to_string(format!("{root}/benches/src/ba_calls.c")).unwrap();
    let inc = [
        format!("-I{root}/benches/src"),
        format!("-I{root}/runtime/include"),
    ];
    for march in ["-march=znver5", "-march=x86-64"] {
        let ir = optimized_ir(
            "ba_calls_versioned",
            &src,
            &[&inc[0], &inc[1], march, "-mllvm", "-ferment-no-inline"],
        );
        let d = body(&ir, "ferment.reverse.project");
        let branches = guards_by_finite_branch(d);
        assert!(
            branches.len() >= 2 && branches.iter().all(|&(free, _)| free == 0),
            "{march}: expected both blocks copied, no guard where the test holds \
             ({branches:?}):\n{d}"
        );
    }
}

const SUM_ROWS: &str = r#"
#include <math.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double huber(const double *x, const double *y, const double *w, long n, long p) {
  double f = 0;
  for (long i = 0; i < n; i++) {
    double r = y[i];
    for (long j = 0; j < p; j++) r -= x[i * p + j] * w[j];
    double a = fabs(r);
    if (a <= 0.5) f += 0.5 * r * r;
    else f += 0.5 * (a - 0.25);
  }
  return f;
}
double discounted(const double *x, const double *w, long n, long p) {
  double f = 0;
  for (long i = 0; i < n; i++) {
    double s = 0;
    for (long j = 0; j < p; j++) s += x[i * p + j] * w[j];
    f = 0.9 * f + fabs(s);
  }
  return f;
}
double two_loops(const double *x, const double *w, long n, long p) {
  double f = 0;
  for (long i = 0; i < n; i++) {
    double s = 0, t = 0;
    for (long j = 0; j < p; j++) s += x[i * p + j] * w[j];
    for (long j = 0; j < p; j++) t += x[i * p + j] * x[i * p + j] * w[j];
    f += s * t;
  }
  return f;
}
double gathered(const double *x, const double *t, const double *w, long n, long p) {
  double f = 0;
  for (long i = 0; i < n; i++) {
    double s = 0;
    for (long j = 0; j < p; j++) s += t[(long)floor(fabs(x[i * p + j] * w[j]) * 16)] * w[j];
    f += s * s;
  }
  return f;
}
void g4(const double *x, const double *t, const double *w, double *dw, long n, long p) {
  __enzyme_autodiff((void *)gathered, enzyme_const, x, enzyme_const, t, enzyme_dup, w, dw, enzyme_const, n,
                    enzyme_const, p);
}
void g3(const double *x, const double *w, double *dw, long n, long p) {
  __enzyme_autodiff((void *)two_loops, enzyme_const, x, enzyme_dup, w, dw, enzyme_const, n, enzyme_const, p);
}
void g1(const double *x, const double *y, const double *w, double *dw, long n, long p) {
  __enzyme_autodiff((void *)huber, enzyme_const, x, enzyme_const, y, enzyme_dup, w, dw, enzyme_const, n,
                    enzyme_const, p);
}
void g2(const double *x, const double *w, double *dw, long n, long p) {
  __enzyme_autodiff((void *)discounted, enzyme_const, x, enzyme_dup, w, dw, enzyme_const, n, enzyme_const, p);
}
"#;

/// By default (since session 32; `-ferment-no-jam-rows` or `-ferment-no-recompute-rows` to tape),
/// a loop whose iterations read a data row, write nothing and meet only in the returned
/// sum runs its rows two at a time, forward and backward together in the reverse sweep
/// (`reverse::rows`):
/// the two rows' dot products jammed into one inner loop, no tape, no call left
/// (benches/repro/shapes/huber.c, n = 10^5, p = 16, tuned: 1.49 -> 0.67 ms; logreg.c, d = 200:
/// the fused row alone was slower than the taped form, its dot product's latency exposed). Only
/// loops whose rows jam (one inner loop of one block) are taken; `-ferment-recompute-rows`
/// takes rows of two inner loops too. Rows that read at an address not affine in the row (a
/// gather) stay taped, and a discounted sum (scaled in every iteration) keeps its tape.
#[test]
fn sum_rows_are_recomputed_in_the_reverse_sweep() {
    let tapes = |d: &str| d.contains("@ferment.tape.take(");
    let calls =
        |d: &str| d.contains("@ferment.diffe.ferment.rows.") || d.contains("@ferment.rows.");
    let ir = optimized_ir("sum_rows", SUM_ROWS, &[]);
    let d = body(&ir, "ferment.diffe.huber");
    assert!(!tapes(d), "the rows of huber are taped:\n{d}");
    assert!(!calls(d), "a row is still a call:\n{d}");
    // two rows in one inner loop: a loop block carrying two sums (two phis, or one pair of
    // lanes once the host's SLP vectorizer has paired them)
    let jammed = d.split("\n\n").any(|b| {
        let label = b.split(':').next().unwrap_or("").trim();
        let last = b.trim_end().lines().last().unwrap_or("");
        let sums = b.matches("= phi double").count() + 2 * b.matches("= phi <2 x double>").count();
        let loops = last.contains(&format!("label %{label},"))
            || last.ends_with(&format!("label %{label}"));
        loops && sums >= 2 && b.contains("@llvm.fmuladd")
    });
    assert!(jammed, "huber's rows are not jammed:\n{d}");
    assert!(
        tapes(body(&ir, "ferment.diffe.discounted")),
        "the discounted sum lost its tape"
    );
    assert!(
        tapes(body(&ir, "ferment.diffe.two_loops")),
        "rows of two inner loops (not jammed) are not taped"
    );
    assert!(
        tapes(body(&ir, "ferment.diffe.gathered")),
        "rows that gather (warp.c: 8.8 -> 12.3 ms fused) are not taped"
    );
    let ir = optimized_ir(
        "sum_rows_all",
        SUM_ROWS,
        &["-mllvm", "-ferment-recompute-rows"],
    );
    let d = body(&ir, "ferment.diffe.two_loops");
    assert!(
        !tapes(d) && !calls(d),
        "-ferment-recompute-rows left two_loops taped:\n{d}"
    );
    for off in ["-ferment-no-recompute-rows", "-ferment-no-jam-rows"] {
        let ir = optimized_ir("sum_rows_off", SUM_ROWS, &["-mllvm", off]);
        assert!(
            tapes(body(&ir, "ferment.diffe.huber")),
            "with {off} the rows of huber are not taped"
        );
    }
}

/// The blocks of `f` that branch back to themselves (single-block loops) and whose label starts
/// with `prefix`.
fn self_loops<'a>(f: &'a str, prefix: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut label: Option<&str> = None;
    for l in f.lines() {
        if !l.starts_with(' ') {
            label = l
                .split_once(':')
                .map(|(b, _)| b)
                .filter(|b| !b.is_empty() && !b.starts_with(';') && !b.starts_with("define"));
        } else if let Some(b) = label {
            let t = l.trim_start();
            if t.starts_with("br ") {
                let target = format!("label %{b}");
                if b.starts_with(prefix)
                    && (t.contains(&format!("{target},")) || t.ends_with(&target))
                {
                    out.push(b);
                }
                label = None;
            }
        }
    }
    out
}

const TWO_SUMS: &str = r#"
double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;
__attribute__((noinline)) double loss(int n, const double *x, const double *t) {
  double s = 0;
  for (int i = 0; i < n; i++) s += x[i] * x[i];
  double d = 0;
  for (int i = 0; i < n; i++) d += t[i] * x[i];
  return s * d;
}
void grad(int n, const double *x, double *dx, const double *t) {
  __enzyme_autodiff((void *)loss, enzyme_const, n, enzyme_dup, x, dx, enzyme_const, t);
}
"#;

/// Two loops over the same range (benches/src/lse.c's exponentials and dot product): their
/// reverse loops, `dx[i] += t[i] dd` and `dx[i] += 2 x[i] ds`, follow each other with the same
/// iteration count and are fused into one pass over `dx` (`shim/fuse_loops.cpp`; lse n=1.28M:
/// 9.9 -> 9.2 ms tuned). Main's plugin runs two reverse loops (a scalar remainder each after
/// vectorization): the check can fail.
#[test]
fn adjacent_reverse_loops_over_one_range_are_fused() {
    let ir = optimized_ir("two_sums", TWO_SUMS, &[]);
    let d = body(&ir, "ferment.diffe.loss");
    let fused = self_loops(d, "rev.");
    assert_eq!(
        fused.len(),
        1,
        "expected one reverse loop, found {fused:?}:\n{d}"
    );
    let ir = optimized_ir(
        "two_sums_apart",
        TWO_SUMS,
        &["-mllvm", "-ferment-no-fuse-loops"],
    );
    let d = body(&ir, "ferment.diffe.loss");
    let apart = self_loops(d, "rev.");
    assert_eq!(
        apart.len(),
        2,
        "expected two reverse loops with -ferment-no-fuse-loops, found {apart:?}:\n{d}"
    );
}

/// gmm_blas's shape: the `gemm` rule gives only the row sums of the centred data's adjoint, in
/// column 0 of a fresh `malloc` nothing else reads or writes, so the reverse of the nest that
/// fills it runs its first outer iteration alone (the others read zeros: 7% of gmm_blas's
/// gradient). The variants that break a premise (another read of the data, a float carried
/// across the nest, another store in the nest, the caller's buffer with its seeded shadow) keep
/// every iteration. The e2e case checks all their gradients.
#[test]
fn zero_adjoint_rows_of_a_filling_nest_are_not_reversed() {
    let out = compile(
        "rebuild_colsum_zero",
        include_str!("../cases/blas/rebuild_colsum_zero.c"),
        &[
            "-I",
            concat!(env!("CARGO_MANIFEST_DIR"), "/include"),
            "-mllvm",
            "-ferment-print-tape",
        ],
    );
    let report = String::from_utf8(out.stderr).unwrap();
    // the report's lines per derivative follow a line naming the function
    let mut first_only = Vec::new();
    let mut current = String::new();
    for l in report.lines() {
        if !l.starts_with(' ') {
            current = l.to_string();
        } else if l.contains("reverse only the first iteration") {
            first_only.push(current.clone());
        }
    }
    let named = |f: &str| first_only.iter().filter(|h| h.contains(f)).count();
    assert_eq!(named("centred"), 1, "{report}");
    assert_eq!(named("as_b"), 1, "{report}");
    for f in ["read_after", "carried", "side_store", "seeded"] {
        assert_eq!(named(f), 0, "{f}:\n{report}");
    }
    assert_eq!(first_only.len(), 2, "{report}");
}
