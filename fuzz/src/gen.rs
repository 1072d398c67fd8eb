//! The random program generator.
//!
//! A program is a kernel `f` (plus helpers) whose parameters are active or constant scalars,
//! duplicated / dupnoneed / constant `double` arrays of length `N`, and `int` trip counts in
//! `[1, N]`. Everything the kernel computes is well defined at every input the harness tries:
//! libm calls only see their safe domains (`log(2.0 + sin(e))`, `sqrt(hypot(1.0, e))`, `asin(0.9 *
//! tanh(e))`), divisors are bounded away from zero, loop updates are contractions
//! (`v = c v + k squash(e)`, `|c| < 1`) so values stay bounded, and array indices stay in
//! `[0, N)` by construction. Non-smooth operations (fabs, fmin/fmax/fdim, copysign, atan2's
//! branch cut, floor/ceil/round/trunc/fmod, comparisons of active values in branches, selects,
//! loop conditions and early exits, indices computed from doubles) are allowed, each written
//! with a marker (`FABS(`, `BR(`, ... see `program::MARKERS`).
//!
//! Constructs: scalar, array and struct arguments (dup, dupnoneed, const), stack, 2-D, heap
//! (malloc, realloc, flattened 2-D) arrays and arrays of structs; nested loops with runtime,
//! data-dependent and early-exit trip counts, values carried from one iteration to the next
//! through memory, `switch`, early returns; helpers inlined or not (`noinline`, or
//! `-ferment-no-inline` for the whole program) taking arrays, struct pointers, out pointers,
//! returning a struct by value, recursive; int-to-double conversions and double-to-int indices;
//! single-precision round trips; a mutable global.
//!
//! The `omp` variant (`--variant omp`, compiled with `-fopenmp`: LLVM's libomp) adds OpenMP
//! constructs at the kernel's top level (`Gen::omp_stmt`): `parallel for` loops writing one
//! element of an array per iteration (with a private temporary), `reduction(+ : r)` loops whose
//! sum flows into a local, and `atomic` / `atomic update` accumulation (`+=`, `-=`) into a shared
//! array at computed indices (`(i * 3 + 1) % N`, `i / 2`, `(i + k) % N`, an index from a double,
//! so several iterations may hit one element), each with `schedule(static|dynamic[, chunk])`. An
//! iteration reads shared scalars and the arrays the loop does not write (the written one only at
//! its own index) and calls no helper, so programs are race-free. The recording copy drops the
//! pragmas (serial, so its path record is deterministic); the harness runs every check with 1, 2
//! and 4 threads (`omp_set_num_threads`) and leaves out the batched modes (a clean ferment error
//! for OpenMP kernels).
//!
//! The `numeric` variant (`--variant numeric`; with `,no-inline` too) adds shapes of real
//! numerical code (`Gen::numeric_stmt`, drawn for 30% of the statements, and helper shapes drawn
//! for 60% of the helpers, up to 6 helpers): Newton's method to a tolerance (`while` with a
//! `break` on `|dz| < 1e-12`, a `do while` on a relative tolerance, each with an iteration cap), a
//! contraction iterated to a tolerance; a table of three function pointers `ftab` (a local or a
//! `static const` array of `double (*)(double)`) called at a loop-variable, constant or
//! `floor`-of-a-double index, and helpers taking a callback `double (*g)(double)`; unary helpers
//! with an early return; recursion stopped by a depth bound or by the data (`|x| < 0.05`); helpers
//! with a heap scratch buffer (malloc or calloc, maybe grown with realloc, freed before they
//! return); a struct of arrays (`struct SoA { double *x, *y; }`) and an array of structs passed
//! through pointers to looping helpers; a column-major heap matrix with a computed leading
//! dimension (`ms[c * ld + r]`, `ms[r + ld * c]`, the column pointer `ms + ld` as an array);
//! `floor` of a double as an index, as a `switch` selector, as a trip count and in linear
//! interpolation (`(1 - fr) a[q] + fr a[q + 1]`); `(int)round`, `lround` and casts back to
//! double; float arithmetic (`sinf`, `tanhf`, `atanf`) between double values. The default
//! variant's programs are unchanged (every new draw is behind the variant's flag).
//!
//! The kernel and helpers are emitted twice: the plain C that is differentiated, and a copy
//! whose markers hash every decision into `path_hash` (comparison outcomes, which side of a
//! kink, which integer a rounding gave). That copy is the primal the finite differences see:
//! they are only taken at a point where `x - h v`, `x` and `x + h v` give the same hash for both
//! steps, i.e. where the primal is smooth along v. When X0 is too close to a boundary, the point
//! moves along a fixed random direction (X0 + 1e-3 t P, t = 1..7) and every AD mode is checked
//! again there.
//!
//! The harness (`main`) flattens the kernel into `Y = F(X)`: X = active scalars and the contents
//! of the duplicated arrays, Y = the return value (if any) and the final contents of the
//! duplicated arrays. With random `v` and `w` it checks
//! - forward `J v` (`__enzyme_fwddiff`) against central differences of F along v (at a point
//!   where the path is locally constant, see above),
//! - `<J v, w>` against `<v, J^T w>` (`__enzyme_autodiff`, return seed 1 = `w[0]`); with
//!   single-precision round trips each mode rounds the derivative passing through a trip to
//!   float, so the tolerance adds 8 * 2^-24 * sum_k |t_k a_k| over the trips k executed (`t_k` the
//!   tangent of the trip's input, `a_k` the sensitivity of `<w, Y>` to its output, both measured
//!   on the recording copy, see `frt_bound` in `clang-tests/include/fuzz_oracle.h`):
//!   cancellation after a trip is no false report,
//! - `J^T w` from split mode (`__enzyme_augmentfwd` + `__enzyme_reverse`) against the combined one,
//! - batched forward mode (`enzyme_width` 2..4, directions v, -v/2, 2v, v/4) against `J v` scaled
//!   (exact: the scale factors are powers of two),
//! - on about half the seeds, batched reverse mode (`enzyme_width` 2..5, seeds w, -w/2, 2w, w/4,
//!   -4w) against `J^T w` scaled; a kernel with a float result is differentiated through a
//!   wrapper that stores it (seeded through that memory's shadows),
//!
//! and prints `J v` and `J^T w` so the driver can compare -O0 with -O2.

use crate::program::{Func, Program, Stmt};
use crate::rng::Rng;
use std::fmt::Write as _;

mod abi;
mod api;
mod clamp;
mod corner;
mod cpp;
mod edge;
mod flat;
mod guard;
mod hazard;
mod mix;
mod sci;
mod solve;
mod user;

#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Kind {
    Active,
    ConstScalar,
    Dup,
    DupNoNeed,
    ConstArr,
    Int,
    /// `struct S *` (fields u, tag, v[2]), duplicated: u, v[0], v[1] are active.
    StructDup,
}

#[derive(Clone, Debug)]
pub(crate) struct Param {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    /// Write the marker explicitly (`enzyme_out`/`enzyme_dup`) rather than relying on the default.
    pub(crate) explicit: bool,
}

#[derive(Clone)]
struct Helper {
    name: String,
    shape: HelperShape,
    bound: f64,
}

#[derive(Clone, Copy, PartialEq)]
enum HelperShape {
    /// `double h(double a, double b)`
    Scalar2,
    /// `double h(const double *p, int n, double s)`
    ReadArr,
    /// `void h(double *p, int n, double s)`
    WriteArr,
    /// `double h(double x, int d)`, recursive on d
    Recursive,
    /// `double h(struct S *q, double s)`: reads and updates the fields through the pointer
    StructPtr,
    /// `void h(double x, double *out)`: the result through an out pointer
    OutPtr,
    /// `struct P2 h(double a, double b)`: a small struct returned by value
    PairRet,
    /// `double h(double x)`, maybe with an early return: an entry of the kernel's table of
    /// function pointers, or a callback (numeric variant)
    Unary,
    /// `double h(const double *p, int n, double s)` with a heap scratch buffer (malloc or
    /// calloc, maybe grown with realloc, freed before returning) (numeric variant)
    Scratch,
    /// `double h(struct SoA *q, int n, double s)`: a struct of arrays through a pointer
    /// (numeric variant)
    SoA,
    /// `double h(struct S *q, int n, double s)`: an array of structs through a pointer
    /// (numeric variant)
    AoS,
    /// `double h(double (*g)(double), double x)`: calls a callback (numeric variant)
    Apply,
    /// `double h(double *p, int m, double s)`: loops over a window `p[0..m)`, called with a
    /// pointer into the middle of an array (user variant)
    Window,
    /// `double h(const double *p, int m, double s)`: recursive on the halves `p[0..m/2)` and
    /// `p[m/2..m)` (user variant)
    Halves,
    /// `void h(double *p, int m, double s)`: the same, writing (user variant)
    HalvesW,
}

/// What an expression or statement may refer to.
#[derive(Clone, Default)]
struct Scope {
    /// Readable doubles with a bound on their magnitude.
    vars: Vec<(String, f64)>,
    /// Doubles statements may assign.
    locals: Vec<String>,
    /// Arrays of length N that may be read / written.
    read_arrs: Vec<String>,
    write_arrs: Vec<String>,
    /// Element accesses other than `a[i]` of the arrays above, with `#` for an index in
    /// `[0, N)` and `$` for one in `[0, 2)`: `sa[#].v[$]`, `g2[#][#]`, `mm[# * N + #]`.
    read_elems: Vec<String>,
    write_elems: Vec<String>,
    /// Pointers to a `struct S` (`&st`, `sp`, `&sa[#]`).
    struct_ptrs: Vec<String>,
    /// Arrays of at least N `struct S` (`sa`).
    struct_arrs: Vec<String>,
    /// int variables holding a trip count in [1, N].
    counts: Vec<String>,
    /// Loop variables in scope; each stays in [0, N).
    idx: Vec<String>,
    /// int variables with any value in [0, N] (compared with loop variables for early exits).
    ints: Vec<String>,
}

pub struct Gen {
    rng: Rng,
    size: usize,
    helpers: Vec<Helper>,
    /// Helpers the current function may call (those generated before it).
    callable: usize,
    loop_depth: usize,
    next_loop: usize,
    budget: usize,
    /// In the kernel without heap memory: the expression an early `return` may return.
    early_return: Option<String>,
    /// A single-precision round trip was generated: derivatives carry float rounding, and
    /// finite differences see float quantization.
    single: bool,
    /// The variant's families (`--variant`): which shapes beyond the default ones are drawn.
    var: Variant,
    /// Generating the kernel's body (not a helper's).
    in_kernel: bool,
    /// The kernel has a table `ftab` of three `double (*)(double)` (numeric variant).
    ftab: bool,
    /// A statement sorts with `qsort(..., &cmpd)` (corner variant): the comparator is emitted.
    wants_cmpd: bool,
    /// A statement calls the abi variant's helpers (`gen/abi.rs`): they are emitted.
    wants_abi: bool,
    /// A statement calls the solve variant's helpers (`gen/solve.rs`): they are emitted.
    wants_solve: bool,
    /// A statement calls the mix variant's helpers (`gen/mix.rs`): they are emitted.
    wants_mix: bool,
    /// A statement calls the hazard variant's helpers (`gen/hazard.rs`): they are emitted.
    wants_hazard: bool,
    /// A statement calls the flat family's helpers (`gen/flat.rs`): they are emitted.
    wants_flat: bool,
}

/// Which variants' shapes the generator draws (`--variant`; all false: the default variant).
/// The one record of a campaign's families: the generator, the driver's options and its reports
/// all read it (`-ferment-no-inline`, a compile flag, is the driver's).
#[derive(Clone, Copy, Default)]
pub struct Variant {
    /// OpenMP constructs at the kernel's top level (`Gen::omp_stmt`), compiled with `-fopenmp`
    /// and checked with 1, 2 and 4 threads, never under valgrind.
    pub omp: bool,
    /// The shapes of numerical code (`Gen::numeric_stmt` and the numeric helper shapes).
    pub numeric: bool,
    /// Everyday C (`gen/user.rs`).
    pub user: bool,
    /// Float libm, integer conversions in loops, ties, `enzyme_dupv` (`gen/api.rs`).
    pub api: bool,
    /// Guarded values whose discarded side is infinite (`gen/guard.rs`).
    pub guard: bool,
    /// Non-finite partials at clamped zeros and discarded non-finite values through memory
    /// (`gen/clamp.rs`).
    pub clamp: bool,
    /// VLAs, alloca, goto into a loop, modf/frexp, row-pointer arrays, realloc growth
    /// (`gen/edge.rs`).
    pub edge: bool,
    /// Index arrays (scatter, gather, CSR), static locals, Horner, Kahan, tridiagonal solves,
    /// pivoting swaps, in-place recurrences (`gen/sci.rs`).
    pub sci: bool,
    /// `long double` accumulators, bit-level sign operations, remainder/rint/ilogb/nextafter,
    /// `qsort` with a comparator, complex arithmetic in the kernel (`gen/corner.rs`).
    pub corner: bool,
    /// Structs holding arrays passed and returned by value, variadic helpers, a `switch` on an
    /// integer mode argument (`gen/abi.rs`).
    pub abi: bool,
    /// Fixed-point and Jacobi iterations in `do/while` loops left by an early `break` on a
    /// convergence test, 2-D arrays `double m[3][3]` passed to helpers (`gen/solve.rs`).
    pub solve: bool,
    /// Kink chains, run-time index gathers and scatters, `static` caches and accumulators,
    /// structs holding arrays by pointer, `switch` in a loop, returns from inside loops, `float`
    /// mixed with `double` (`gen/mix.rs`).
    pub mix: bool,
    /// Values infinite on some paths only: zero divisors on one side of a branch, quotients
    /// written, returned or multiplied by callees, selects of guarded values, integer trip
    /// counts read from memory (`gen/hazard.rs`).
    pub hazard: bool,
    /// Split mode (`__enzyme_augmentfwd` + `__enzyme_reverse`, also batched) checked on every
    /// program whose result is not a struct, not on 35% of them (no new program shapes, so
    /// with another family it checks that family's programs: `split,mix`).
    pub split: bool,
    /// Functions flat at an infinite argument (`atan`, `erf`, `exp(-q q)`, `pow(c, -q q)`, ...)
    /// of quotients by an exact zero with an active numerator, directly, through sums,
    /// products, callees, structs and arrays (`gen/flat.rs`).
    pub flat: bool,
    /// Forward-over-reverse: forward mode of a function that calls the reverse derivative
    /// (`harness::hessian`; no new program shapes, so with another family it checks that
    /// family's programs). Left out of OpenMP kernels and single-precision programs.
    pub hvp: bool,
    /// C++17 (`clang++-22 -std=c++17`): `std::vector`, classes with operators, virtual calls
    /// through `unique_ptr`, lambdas and `std::function`, `std::array`, pairs and tuples,
    /// `std::accumulate`/`std::inner_product`, `std::min`/`std::max`, references (`gen/cpp.rs`).
    pub cpp: bool,
}

impl Variant {
    /// Each family's `--variant` name and flag, in report order.
    fn table(&mut self) -> [(&'static str, &mut bool); 17] {
        [
            ("omp", &mut self.omp),
            ("numeric", &mut self.numeric),
            ("user", &mut self.user),
            ("api", &mut self.api),
            ("guard", &mut self.guard),
            ("clamp", &mut self.clamp),
            ("edge", &mut self.edge),
            ("sci", &mut self.sci),
            ("corner", &mut self.corner),
            ("abi", &mut self.abi),
            ("solve", &mut self.solve),
            ("mix", &mut self.mix),
            ("hazard", &mut self.hazard),
            ("split", &mut self.split),
            ("flat", &mut self.flat),
            ("hvp", &mut self.hvp),
            ("cpp", &mut self.cpp),
        ]
    }

    /// Turns on the family called `name`; false if there is none.
    pub fn add(&mut self, name: &str) -> bool {
        self.table()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f = true)
            .is_some()
    }

    /// The names of the families turned on, in report order.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v = *self;
        v.table()
            .into_iter()
            .filter(|(_, f)| **f)
            .map(|(n, _)| n)
            .collect()
    }

    /// Every family's name (for usage messages).
    pub fn all_names() -> Vec<&'static str> {
        Variant::default().table().map(|(n, _)| n).to_vec()
    }
}

const SQUASH: &[&str] = &["sin", "tanh", "atan", "erf", "cos"];

pub(crate) fn lit(x: f64) -> String {
    if x == x.trunc() {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

impl Gen {
    fn new(seed: u64, size: usize) -> Gen {
        Gen {
            rng: Rng::new(seed),
            size,
            helpers: Vec::new(),
            callable: 0,
            loop_depth: 0,
            next_loop: 0,
            budget: 0,
            early_return: None,
            single: false,
            var: Variant::default(),
            in_kernel: false,
            ftab: false,
            wants_cmpd: false,
            wants_abi: false,
            wants_solve: false,
            wants_mix: false,
            wants_hazard: false,
            wants_flat: false,
        }
    }

    // ---------------------------------------------------------------- expressions

    /// A strictly positive expression (bounded away from 0) and its bound.
    fn positive(&mut self, sc: &Scope, depth: usize) -> (String, f64) {
        let (e, b) = self.expr(sc, depth);
        match self.rng.below(7) {
            0 => (format!("(2.0 + sin({e}))"), 3.0),
            1 => (format!("(1.5 + tanh({e}))"), 2.5),
            2 => (format!("hypot(1.0, {e})"), 1.0 + b),
            3 => (format!("(1.0 + FABS({e}))"), 1.0 + b),
            4 => (format!("exp(0.5 * tanh({e}))"), 1.7),
            5 => (format!("cosh(tanh({e}))"), 1.6),
            _ => (format!("(1.25 + cos({e}))"), 2.25),
        }
    }

    fn squash(&mut self, e: &str) -> String {
        let f = *self.rng.pick(SQUASH);
        format!("{f}({e})")
    }

    fn leaf(&mut self, sc: &Scope) -> (String, f64) {
        let r = self.rng.below(10);
        if r < 5 && !sc.vars.is_empty() {
            let (v, b) = self.rng.pick(&sc.vars).clone();
            return (v, b);
        }
        if r < 8 && !sc.read_arrs.is_empty() {
            if !sc.read_elems.is_empty() && self.rng.chance(0.3) {
                let pat = self.rng.pick(&sc.read_elems).clone();
                return (self.elem(sc, &pat), 3.0);
            }
            let a = self.rng.pick(&sc.read_arrs).clone();
            let i = self.index(sc);
            return (format!("{a}[{i}]"), 2.0);
        }
        if r == 8 && !sc.idx.is_empty() {
            let i = self.rng.pick(&sc.idx).clone();
            if self.rng.chance(0.3) {
                // an integer computation converted to double
                let m = if sc.counts.is_empty() {
                    "N".to_string()
                } else {
                    self.rng.pick(&sc.counts).clone()
                };
                return (format!("(0.1 * (double)(({i} * {m}) % 7))"), 0.6);
            }
            return (format!("(0.25 * {i} + 0.125)"), 2.5);
        }
        let c = self.rng.real(-2.0, 2.0);
        (
            if c < 0.0 {
                format!("({})", lit(c))
            } else {
                lit(c)
            },
            c.abs(),
        )
    }

    /// Instantiates an element pattern of `Scope::read_elems`.
    fn elem(&mut self, sc: &Scope, pat: &str) -> String {
        let mut out = String::new();
        for c in pat.chars() {
            match c {
                '#' => {
                    let i = self.index(sc);
                    out.push_str(&format!("({i})"));
                }
                '$' => {
                    let i = self.index(sc);
                    out.push_str(&format!("({i}) % 2"));
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// The parts every variant statement built around one new loop starts
    /// from: the loop's number, a local it updates and an array it reads;
    /// None where the scope has no local or no readable array, or two loops
    /// are already open (`corner`, `sci` and `abi` statements).
    fn loop_stmt_parts(&mut self, sc: &Scope) -> Option<(usize, String, String)> {
        if sc.read_arrs.is_empty() || self.loop_depth >= 2 {
            return None;
        }
        let (k, v) = self.local_stmt_parts(sc)?;
        let r = self.rng.pick(&sc.read_arrs).clone();
        Some((k, v, r))
    }

    /// The parts every variant statement that updates one local starts
    /// from: its number (for the names it declares) and the local; None
    /// where the scope has no local (`clamp`, `edge`, `flat`, `guard`,
    /// `hazard` statements, and [`Gen::loop_stmt_parts`]).
    fn local_stmt_parts(&mut self, sc: &Scope) -> Option<(usize, String)> {
        if sc.locals.is_empty() {
            return None;
        }
        let k = self.next_loop;
        self.next_loop += 1;
        let v = self.rng.pick(&sc.locals).clone();
        Some((k, v))
    }

    /// An index expression in [0, N).
    fn index(&mut self, sc: &Scope) -> String {
        if self.var.numeric && self.rng.chance(0.05) {
            // `floor` of a double used as an index (numeric variant)
            if let Some((v, _)) = sc.vars.last().cloned() {
                return format!("BRI((int)FLOOR(N * (0.5 + 0.45 * tanh({v}))))");
            }
        }
        if self.rng.chance(0.05) {
            // computed from a double: piecewise constant, recorded on the path
            if let Some((v, _)) = sc.vars.first().cloned() {
                return format!("BRI((int)(N * (0.5 + 0.4 * tanh({v}))))");
            }
        }
        if sc.idx.is_empty() || self.rng.chance(0.15) {
            return format!("{}", self.rng.below(3));
        }
        let i = self.rng.pick(&sc.idx).clone();
        match self.rng.below(5) {
            0 | 1 => i,
            2 => format!("({i} + 1) % N"),
            3 => format!("N - 1 - {i}"),
            _ => {
                let j = self.rng.pick(&sc.idx).clone();
                format!("({i} + {j}) % N")
            }
        }
    }

    fn expr(&mut self, sc: &Scope, depth: usize) -> (String, f64) {
        if depth == 0 || self.rng.chance(0.25) {
            return self.leaf(sc);
        }
        let d = depth - 1;
        let (out, b) = match self.rng.below(22) {
            0..=2 => {
                let (a, ba) = self.expr(sc, d);
                let (c, bc) = self.expr(sc, d);
                let op = *self.rng.pick(&["+", "-", "*"]);
                let b = if op == "*" { ba * bc } else { ba + bc };
                (format!("({a} {op} {c})"), b)
            }
            3 => {
                let (a, ba) = self.expr(sc, d);
                let (p, _) = self.positive(sc, d);
                (format!("({a} / {p})"), ba)
            }
            4 => {
                let (a, _) = self.expr(sc, d);
                let f = *self
                    .rng
                    .pick(&["sin", "cos", "tanh", "atan", "erf", "asinh"]);
                let b = if f == "asinh" { 10.0 } else { 1.6 };
                (format!("{f}({a})"), b)
            }
            5 => {
                let (a, ba) = self.expr(sc, d);
                if ba <= 4.0 {
                    let f = *self.rng.pick(&["exp", "expm1", "sinh", "cosh", "exp2"]);
                    (format!("{f}({a})"), 60.0)
                } else {
                    (format!("exp(tanh({a}))"), 2.8)
                }
            }
            6 => {
                let (p, bp) = self.positive(sc, d);
                let f = *self
                    .rng
                    .pick(&["log", "log2", "log10", "log1p", "sqrt", "cbrt"]);
                (format!("{f}({p})"), bp.max(2.0))
            }
            7 => {
                let (p, _) = self.positive(sc, d);
                let e = *self
                    .rng
                    .pick(&["0.5", "1.5", "2.0", "3.0", "(-0.5)", "(-1.5)"]);
                (format!("pow({p}, {e})"), 30.0)
            }
            8 => {
                let (p, _) = self.positive(sc, d);
                let (a, _) = self.expr(sc, d);
                (format!("pow({p}, 0.5 * tanh({a}))"), 3.0)
            }
            9 => {
                let (a, _) = self.expr(sc, d);
                let f = *self.rng.pick(&["asin", "acos", "atanh"]);
                (format!("{f}(0.9 * tanh({a}))"), 3.2)
            }
            10 => {
                let (p, bp) = self.positive(sc, d);
                (format!("acosh(1.0 + {p})"), bp.max(3.0))
            }
            11 => {
                let (a, ba) = self.expr(sc, d);
                (format!("FABS({a})"), ba)
            }
            12 => {
                let (a, ba) = self.expr(sc, d);
                let (c, bc) = self.expr(sc, d);
                let f = *self
                    .rng
                    .pick(&["FMIN", "FMAX", "hypot", "FDIM", "COPYSIGN"]);
                let b = if f == "hypot" || f == "FDIM" {
                    ba + bc
                } else {
                    ba.max(bc)
                };
                if f == "hypot" {
                    (format!("hypot({a}, {c} + 0.0625)"), b + 0.1)
                } else {
                    (format!("{f}({a}, {c})"), b)
                }
            }
            13 => {
                // atan2 and hypot are not differentiable at (0, 0), which the constants and
                // zero-initialized values of a program can hit exactly.
                let (a, _) = self.expr(sc, d);
                let (c, _) = self.expr(sc, d);
                (format!("ATAN2({a}, {c} + 0.0625)"), 3.2)
            }
            14 => {
                let (a, ba) = self.expr(sc, d);
                let (c, bc) = self.expr(sc, d);
                let (e, be) = self.expr(sc, d);
                (format!("fma({a}, {c}, {e})"), ba * bc + be)
            }
            15 => {
                let (a, ba) = self.expr(sc, d);
                let (c, bc) = self.expr(sc, d);
                let (x, bx) = self.expr(sc, d);
                let (y, by) = self.expr(sc, d);
                let op = *self.rng.pick(&["<", ">", "<=", ">="]);
                let _ = (ba, bc);
                (format!("(BR(({a}) {op} ({c})) ? {x} : {y})"), bx.max(by))
            }
            16 => {
                let (a, _) = self.expr(sc, d);
                let f = *self.rng.pick(&["erfc", "lgamma", "tgamma"]);
                match f {
                    "erfc" => (format!("erfc({a})"), 2.0),
                    // lgamma/tgamma on [1.1, 3.1]: far from the poles
                    _ => (format!("{f}(2.1 + tanh({a}))"), 2.0),
                }
            }
            17 => {
                let (a, ba) = self.expr(sc, d);
                let (c, _) = self.expr(sc, d);
                let f = *self
                    .rng
                    .pick(&["FLOOR", "CEIL", "ROUND", "TRUNC", "FMOD", "ldexp"]);
                match f {
                    "FMOD" => (format!("({a} + 0.25 * FMOD({c}, 0.75))"), ba + 0.2),
                    "ldexp" => (format!("ldexp({a}, -1)"), ba / 2.0),
                    _ => (format!("({a} + 0.1 * {f}({c}))"), ba + 1.0),
                }
            }
            18 => {
                let (a, _) = self.expr(sc, d);
                (format!("tan(1.2 * tanh({a}))"), 2.6)
            }
            _ => match self.call(sc, d) {
                Some(r) => r,
                None => self.leaf(sc),
            },
        };
        if b > 50.0 {
            (self.squash(&out), 1.6)
        } else {
            (out, b)
        }
    }

    /// A call of an earlier helper returning a double.
    fn call(&mut self, sc: &Scope, d: usize) -> Option<(String, f64)> {
        let cands: Vec<Helper> = self.helpers[..self.callable]
            .iter()
            .filter(|h| {
                matches!(
                    h.shape,
                    HelperShape::Scalar2
                        | HelperShape::ReadArr
                        | HelperShape::Recursive
                        | HelperShape::Unary
                        | HelperShape::Scratch
                )
            })
            .filter(|h| {
                !matches!(h.shape, HelperShape::ReadArr | HelperShape::Scratch)
                    || !sc.read_arrs.is_empty()
            })
            .cloned()
            .collect();
        if cands.is_empty() {
            return None;
        }
        let h = self.rng.pick(&cands).clone();
        let s = match h.shape {
            HelperShape::Scalar2 => {
                let (a, _) = self.expr(sc, d);
                let (c, _) = self.expr(sc, d);
                format!("{}({a}, {c})", h.name)
            }
            HelperShape::ReadArr | HelperShape::Scratch => {
                let arr = self.rng.pick(&sc.read_arrs).clone();
                let n = self.count(sc);
                let (a, _) = self.expr(sc, d);
                format!("{}({arr}, {n}, {a})", h.name)
            }
            HelperShape::Unary => {
                let (a, _) = self.expr(sc, d);
                format!("{}({a})", h.name)
            }
            HelperShape::Recursive => {
                let (a, _) = self.expr(sc, d);
                let depth = self.rng.below(4);
                format!("{}({a}, {depth})", h.name)
            }
            _ => unreachable!(),
        };
        Some((s, h.bound))
    }

    fn count(&mut self, sc: &Scope) -> String {
        if sc.counts.is_empty() || self.rng.chance(0.2) {
            "N".to_string()
        } else {
            self.rng.pick(&sc.counts).clone()
        }
    }

    fn cond(&mut self, sc: &Scope) -> String {
        match self.rng.below(5) {
            0 if !sc.idx.is_empty() => {
                let i = self.rng.pick(&sc.idx).clone();
                format!("{i} % 2 == {}", self.rng.below(2))
            }
            1 if !sc.ints.is_empty() => {
                let k = self.rng.pick(&sc.ints).clone();
                format!("{k} > {}", self.rng.range(1, 4))
            }
            _ => {
                let (a, _) = self.expr(sc, 2);
                let (c, _) = self.expr(sc, 1);
                let op = *self.rng.pick(&["<", ">"]);
                format!("BR({a} {op} {c})")
            }
        }
    }

    // ---------------------------------------------------------------- statements

    fn block(&mut self, sc: &Scope, n: usize) -> Vec<Stmt> {
        let mut out = Vec::new();
        for _ in 0..n {
            if self.budget == 0 {
                break;
            }
            self.budget -= 1;
            out.push(self.stmt(sc));
        }
        out
    }

    fn assign(&mut self, sc: &Scope) -> Stmt {
        let in_loop = self.loop_depth > 0;
        let depth = self.rng.range(1, 3);
        // Writes to arrays (also in loops), else to scalar locals.
        if !sc.write_elems.is_empty() && self.rng.chance(0.15) {
            let pat = self.rng.pick(&sc.write_elems).clone();
            let el = self.elem(sc, &pat);
            let (e, _) = self.expr(sc, depth);
            let c = self.rng.real(-0.9, 0.9);
            let k = self.rng.real(0.1, 0.8);
            let sq = self.squash(&e);
            return Stmt::Line(format!("{el} = {} * {el} + {} * {sq};", lit(c), lit(k)));
        }
        if !sc.write_arrs.is_empty() && (self.rng.chance(0.35) || sc.locals.is_empty()) {
            let a = self.rng.pick(&sc.write_arrs).clone();
            let i = self.index(sc);
            let (e, _) = self.expr(sc, depth);
            let c = self.rng.real(-0.9, 0.9);
            let k = self.rng.real(0.1, 0.8);
            let sq = self.squash(&e);
            return Stmt::Line(format!(
                "{a}[{i}] = {} * {a}[{i}] + {} * {sq};",
                lit(c),
                lit(k)
            ));
        }
        if sc.locals.is_empty() {
            return Stmt::Line(";".into());
        }
        let v = self.rng.pick(&sc.locals).clone();
        let (e, b) = self.expr(sc, depth);
        if in_loop || b > 20.0 {
            let c = self.rng.real(-0.9, 0.9);
            let k = self.rng.real(0.1, 0.8);
            let sq = self.squash(&e);
            if self.rng.chance(0.5) {
                Stmt::Line(format!("{v} = {} * {v} + {} * {sq};", lit(c), lit(k)))
            } else {
                Stmt::Line(format!("{v} += {} * {sq};", lit(k / 4.0)))
            }
        } else if self.rng.chance(0.3) {
            Stmt::Line(format!("{v} += {e};"))
        } else {
            Stmt::Line(format!("{v} = {e};"))
        }
    }

    fn stmt(&mut self, sc: &Scope) -> Stmt {
        if self.var.omp && self.in_kernel && self.loop_depth == 0 && self.rng.chance(0.3) {
            if let Some(st) = self.omp_stmt(sc) {
                return st;
            }
        }
        if self.var.numeric && self.rng.chance(0.3) {
            if let Some(st) = self.numeric_stmt(sc) {
                return st;
            }
        }
        if self.var.user && self.rng.chance(0.35) {
            if let Some(st) = self.user_stmt(sc) {
                return st;
            }
        }
        if self.var.api && self.rng.chance(0.35) {
            if let Some(st) = self.api_stmt(sc) {
                return st;
            }
        }
        if self.var.guard && self.rng.chance(0.35) {
            if let Some(st) = self.guard_stmt(sc) {
                return st;
            }
        }
        if self.var.clamp && self.rng.chance(0.35) {
            if let Some(st) = self.clamp_stmt(sc) {
                return st;
            }
        }
        if self.var.edge && self.rng.chance(0.35) {
            if let Some(st) = self.edge_stmt(sc) {
                return st;
            }
        }
        if self.var.sci && self.rng.chance(0.35) {
            if let Some(st) = self.sci_stmt(sc) {
                return st;
            }
        }
        if self.var.corner && self.rng.chance(0.35) {
            if let Some(st) = self.corner_stmt(sc) {
                return st;
            }
        }
        if self.var.abi && self.rng.chance(0.3) {
            if let Some(st) = self.abi_stmt(sc) {
                return st;
            }
        }
        if self.var.solve && self.rng.chance(0.3) {
            if let Some(st) = self.solve_stmt(sc) {
                return st;
            }
        }
        if self.var.mix && self.rng.chance(0.35) {
            if let Some(st) = self.mix_stmt(sc) {
                return st;
            }
        }
        if self.var.hazard && self.rng.chance(0.35) {
            if let Some(st) = self.hazard_stmt(sc) {
                return st;
            }
        }
        if self.var.flat && self.rng.chance(0.4) {
            if let Some(st) = self.flat_stmt(sc) {
                return st;
            }
        }
        if self.var.cpp && self.rng.chance(0.4) {
            if let Some(st) = self.cpp_stmt(sc) {
                return st;
            }
        }
        let r = self.rng.below(23);
        match r {
            0..=2 if self.loop_depth < 2 => self.gen_loop(sc),
            3 | 4 => {
                let cond = self.cond(sc);
                let nt = self.rng.range(1, 3);
                let then = self.block(sc, nt);
                let ne = self.rng.below(3);
                let els = self.block(sc, ne);
                Stmt::If { cond, then, els }
            }
            5 if !sc.idx.is_empty() => {
                let i = sc.idx.last().unwrap().clone();
                match self.rng.below(3) {
                    0 if !sc.ints.is_empty() => {
                        let k = self.rng.pick(&sc.ints).clone();
                        Stmt::Line(format!("if ({i} == {k}) break;"))
                    }
                    1 => Stmt::Line(format!("if ({i} % 3 == 2) continue;")),
                    _ => {
                        let (e, _) = self.expr(sc, 2);
                        Stmt::Line(format!("if (BR({e} > 1.5)) break;"))
                    }
                }
            }
            6 => {
                // a call of a helper writing into an array
                let cands: Vec<Helper> = self.helpers[..self.callable]
                    .iter()
                    .filter(|h| h.shape == HelperShape::WriteArr)
                    .cloned()
                    .collect();
                if cands.is_empty() || sc.write_arrs.is_empty() {
                    return self.assign(sc);
                }
                let h = self.rng.pick(&cands).clone();
                let a = self.rng.pick(&sc.write_arrs).clone();
                let n = self.count(sc);
                let (e, _) = self.expr(sc, 2);
                Stmt::Line(format!("{}({a}, {n}, {e});", h.name))
            }
            7 if !sc.write_arrs.is_empty() && sc.read_arrs.len() > 1 => {
                let dst = self.rng.pick(&sc.write_arrs).clone();
                let src = self.rng.pick(&sc.read_arrs).clone();
                if dst == src {
                    return self.assign(sc);
                }
                if self.rng.chance(0.5) {
                    Stmt::Line(format!("memcpy({dst}, {src}, N * sizeof(double));"))
                } else {
                    Stmt::Line(format!(
                        "memcpy({dst} + 1, {src}, (N - 1) * sizeof(double));"
                    ))
                }
            }
            8 if self.loop_depth < 2 && !sc.locals.is_empty() => {
                // A data-dependent trip count (bounded): the loop runs while |v| is large.
                let k = self.next_loop;
                self.next_loop += 1;
                let v = self.rng.pick(&sc.locals).clone();
                let c = self.rng.real(0.2, 0.8);
                let head = format!(
                    "for (int w{k} = 0; w{k} < 3 * N && BR(fabs({v}) > {}); w{k}++)",
                    lit(c)
                );
                self.loop_depth += 1;
                let mut body = vec![Stmt::Line(format!("{v} *= 0.75;"))];
                let nb = self.rng.range(0, 2);
                body.extend(self.block(sc, nb));
                self.loop_depth -= 1;
                Stmt::Loop {
                    head,
                    unrolled: format!("const int w{k} = 0;"),
                    body,
                }
            }
            9 if self.rng.chance(0.2) && !sc.locals.is_empty() => {
                // single precision round trip: finite differences see its rounding (larger
                // steps, looser tolerance); forward and reverse each round the derivative that
                // passes through it (the recording copy measures how much, see `FRT(`)
                let v = self.rng.pick(&sc.locals).clone();
                let (e, _) = self.expr(sc, 2);
                let sq = self.squash(&e);
                self.single = true;
                Stmt::Line(format!("{v} = FRT({v} + 0.5f * FRTF({sq}));"))
            }
            10 if !sc.idx.is_empty() && !sc.locals.is_empty() => {
                let i = sc.idx.last().unwrap().clone();
                let mut arms = String::new();
                for c in 0..3 {
                    let Stmt::Line(a) = self.assign(sc) else {
                        unreachable!()
                    };
                    if c < 2 {
                        arms.push_str(&format!("case {c}: {a} break; "));
                    } else {
                        arms.push_str(&format!("default: {a}"));
                    }
                }
                Stmt::Line(format!("switch ({i} % 3) {{ {arms} }}"))
            }
            11 if self.early_return.is_some() && self.rng.chance(0.3) => {
                let r = self.early_return.clone().unwrap();
                let c = self.cond(sc);
                Stmt::Line(format!("if ({c}) return {r};"))
            }
            12 if sc.read_arrs.iter().any(|a| a == "tbl")
                && !sc.locals.is_empty()
                && self.rng.chance(0.1) =>
            {
                // a mutable global holding an active value: ferment must either differentiate
                // through it or reject it, never ignore it
                let v = self.rng.pick(&sc.locals).clone();
                let (e, _) = self.expr(sc, 1);
                let sq = self.squash(&e);
                Stmt::Line(format!("gscratch = {sq};\n  {v} += 0.5 * gscratch;"))
            }
            13 if !sc.write_arrs.is_empty() && self.loop_depth < 2 => {
                // a value carried from one iteration to the next through memory
                let k = self.next_loop;
                self.next_loop += 1;
                let i = format!("i{k}");
                let a = self.rng.pick(&sc.write_arrs).clone();
                let mut inner = sc.clone();
                inner.idx.push(i.clone());
                let (e, _) = self.expr(&inner, 2);
                let c = self.rng.real(-0.9, 0.9);
                let kk = self.rng.real(0.1, 0.8);
                let sq = self.squash(&e);
                Stmt::Loop {
                    head: format!("for (int {i} = 1; {i} < N; {i}++)"),
                    unrolled: format!("const int {i} = 1;"),
                    body: vec![Stmt::Line(format!(
                        "{a}[{i}] = {} * {a}[{i} - 1] + {} * {sq};",
                        lit(c),
                        lit(kk)
                    ))],
                }
            }
            14 | 15 if !sc.locals.is_empty() => {
                self.ptr_call(sc).unwrap_or_else(|| self.assign(sc))
            }
            _ => self.assign(sc),
        }
    }

    /// A shape of numerical code (the `numeric` variant) whose result flows into a local:
    /// Newton iteration or a fixed-point iteration to a tolerance (a `while` / `do while` with a
    /// data-dependent exit and an iteration cap), a call through the kernel's table of function
    /// pointers or of a helper taking a callback, a `switch` on `floor` of a double, linear
    /// interpolation in a table or array at `floor(x)`, float arithmetic (`sinf`, ...) between
    /// double values, integer conversions (`(int)round`, `lround`, a trip count from `floor`),
    /// and calls of the helpers with a heap scratch buffer, a struct of arrays or an array of
    /// structs.
    fn numeric_stmt(&mut self, sc: &Scope) -> Option<Stmt> {
        if sc.locals.is_empty() {
            return None;
        }
        let v = self.rng.pick(&sc.locals).clone();
        let k = self.next_loop;
        self.next_loop += 1;
        let a = lit(self.rng.real(-0.9, 0.9));
        let b = lit(self.rng.real(0.1, 0.5));
        let (e, _) = self.expr(sc, 2);
        let sq = self.squash(&e);
        let callable: Vec<Helper> = self.helpers[..self.callable].to_vec();
        let of = |s: HelperShape| -> Vec<String> {
            callable
                .iter()
                .filter(|h| h.shape == s)
                .map(|h| h.name.clone())
                .collect()
        };
        let line = |t: String| Some(Stmt::Line(t));
        match self.rng.below(11) {
            0 => {
                // Newton's method for z + c sin z = e (f' >= 1 - |c| > 0)
                let c = lit(self.rng.real(-0.6, 0.6));
                line(format!(
                    "{{\n    double e{k} = {sq}, z{k} = e{k};\n    int it{k} = 0;\n    while (it{k} < 50) {{\n      \
                     double dz{k} = (z{k} + {c} * sin(z{k}) - e{k}) / (1.0 + {c} * cos(z{k}));\n      \
                     z{k} -= dz{k};\n      it{k}++;\n      if (BR(fabs(dz{k}) < 1e-12)) break;\n    }}\n    \
                     {v} = {a} * {v} + {b} * z{k};\n  }}"
                ))
            }
            1 => {
                // Newton's square root to a relative tolerance
                let (p, _) = self.positive(sc, 2);
                line(format!(
                    "{{\n    double sq{k} = {p}, z{k} = 1.0, d{k};\n    int it{k} = 0;\n    do {{\n      \
                     double zn{k} = 0.5 * (z{k} + sq{k} / z{k});\n      d{k} = zn{k} - z{k};\n      z{k} = zn{k};\n      \
                     it{k}++;\n    }} while (BR(fabs(d{k}) > 1e-10 * z{k}) && it{k} < 60);\n    \
                     {v} = {a} * {v} + {b} * tanh(z{k});\n  }}"
                ))
            }
            2 => {
                // a contraction iterated to a tolerance
                let c = lit(self.rng.real(-0.7, 0.7));
                line(format!(
                    "{{\n    double e{k} = {sq}, z{k} = 0.0, zo{k};\n    int it{k} = 0;\n    do {{\n      \
                     zo{k} = z{k};\n      z{k} = e{k} + {c} * cos(z{k});\n    }} while (BR(fabs(z{k} - zo{k}) > 1e-9) && ++it{k} < 200);\n    \
                     {v} = {a} * {v} + {b} * z{k};\n  }}"
                ))
            }
            3 if self.ftab && self.in_kernel => {
                let idx = match self.rng.below(3) {
                    0 if !sc.idx.is_empty() => format!("{} % 3", self.rng.pick(&sc.idx)),
                    1 => format!("BRI((int)FLOOR(1.5 + 1.45 * tanh({e})))"),
                    _ => format!("{}", self.rng.below(3)),
                };
                let (x, _) = self.expr(sc, 2);
                let apply = of(HelperShape::Apply);
                if !apply.is_empty() && self.rng.chance(0.3) {
                    let h = self.rng.pick(&apply).clone();
                    return line(format!(
                        "{v} = {a} * {v} + {b} * tanh({h}(ftab[{idx}], {x}));"
                    ));
                }
                line(format!("{v} = {a} * {v} + {b} * tanh(ftab[{idx}]({x}));"))
            }
            4 => {
                let (apply, unary) = (of(HelperShape::Apply), of(HelperShape::Unary));
                if apply.is_empty() || unary.is_empty() {
                    return None;
                }
                let h = self.rng.pick(&apply).clone();
                let u = self.rng.pick(&unary).clone();
                line(format!("{v} = {a} * {v} + {b} * tanh({h}(&{u}, {sq}));"))
            }
            5 => {
                // a switch on floor of a double
                let mut arms = String::new();
                for c in 0..3 {
                    let Stmt::Line(x) = self.assign(sc) else {
                        unreachable!()
                    };
                    if c < 2 {
                        arms.push_str(&format!("case {c}: {x} break; "));
                    } else {
                        arms.push_str(&format!("default: {x}"));
                    }
                }
                line(format!(
                    "switch (BRI((int)FLOOR(1.5 + 1.45 * tanh({e})))) {{ {arms} }}"
                ))
            }
            6 => {
                // linear interpolation at floor(x): in the constant table or in an array
                let (arr, x) = if sc.read_arrs.is_empty() || self.rng.chance(0.3) {
                    ("tbl".to_string(), format!("3.0 + 2.5 * tanh({e})"))
                } else {
                    (
                        self.rng.pick(&sc.read_arrs).clone(),
                        format!("(N - 1) * (0.5 + 0.45 * tanh({e}))"),
                    )
                };
                line(format!(
                    "{{ double x{k} = {x}; int q{k} = BRI((int)FLOOR(x{k})); double fr{k} = x{k} - q{k};\n    \
                     {v} = {a} * {v} + {b} * ((1.0 - fr{k}) * {arr}[q{k}] + fr{k} * {arr}[q{k} + 1]); }}"
                ))
            }
            7 => {
                // float arithmetic between double values
                self.single = true;
                let f = *self.rng.pick(&["sinf", "tanhf", "atanf"]);
                let c = lit(self.rng.real(-0.9, 0.9));
                line(format!(
                    "{{ float f{k} = FRTF({sq}); f{k} = {c}f * f{k} + 0.5f * {f}(f{k}); {v} = FRT({v} + {b}f * f{k}); }}"
                ))
            }
            8 => match self.rng.below(3) {
                0 => line(format!(
                    "{v} = {a} * {v} + 0.125 * (double)BRI((int)ROUND(2.0 * tanh({e})));"
                )),
                1 => line(format!(
                    "{{ long l{k} = (long)BRI((int)lround(4.0 * tanh({e}))); {v} = {a} * {v} + {b} * sin({v} + 0.25 * (double)l{k}); }}"
                )),
                _ if self.loop_depth < 2 => {
                    // a trip count from floor of a double
                    let i = format!("i{k}");
                    let mut inner = sc.clone();
                    inner.idx.push(i.clone());
                    self.loop_depth += 1;
                    let nb = self.rng.range(1, 3);
                    let body = self.block(&inner, nb);
                    self.loop_depth -= 1;
                    Some(Stmt::Loop {
                        head: format!(
                            "for (int {i} = 0, mt{k} = 1 + BRI((int)FLOOR((N - 1) * (0.5 + 0.45 * tanh({e})))); {i} < mt{k}; {i}++)"
                        ),
                        unrolled: format!("const int {i} = 0;"),
                        body,
                    })
                }
                _ => None,
            },
            _ => {
                // helpers with a scratch buffer, a struct of arrays, an array of structs
                let mut cands: Vec<(String, String)> = Vec::new();
                if !sc.read_arrs.is_empty() {
                    for h in of(HelperShape::Scratch) {
                        let arr = self.rng.pick(&sc.read_arrs).clone();
                        cands.push((h, arr));
                    }
                }
                if sc.read_elems.iter().any(|x| x == "sop->x[#]") {
                    for h in of(HelperShape::SoA) {
                        cands.push((h, "sop".into()));
                    }
                }
                for p in &sc.struct_arrs {
                    for h in of(HelperShape::AoS) {
                        cands.push((h, p.clone()));
                    }
                }
                if cands.is_empty() {
                    return None;
                }
                let (h, arg) = self.rng.pick(&cands).clone();
                let n = self.count(sc);
                line(format!("{v} = {a} * {v} + {b} * tanh({h}({arg}, {n}, {sq}));"))
            }
        }
    }

    /// An OpenMP construct (the `omp` variant; the kernel's top level only, so never nested in
    /// another loop): a `parallel for` writing one element per iteration (with a private
    /// temporary), a `reduction(+ : r)` folded into a local, or `atomic` accumulation into a
    /// shared array at computed indices (several iterations may hit one element), each with a
    /// `schedule(static|dynamic[, chunk])`. An iteration reads shared scalars and arrays the loop
    /// does not write (the written one only at its own index), so there is no data race. The
    /// recording copy drops the pragmas and runs serially.
    fn omp_stmt(&mut self, sc: &Scope) -> Option<Stmt> {
        let kind = self.rng.below(3);
        if (kind != 1 && sc.write_arrs.is_empty()) || (kind == 1 && sc.locals.is_empty()) {
            return None;
        }
        let k = self.next_loop;
        self.next_loop += 1;
        let i = format!("i{k}");
        let sched = match self.rng.below(4) {
            0 => "schedule(static)".to_string(),
            1 => format!("schedule(static, {})", self.rng.range(1, 2)),
            2 => "schedule(dynamic)".to_string(),
            _ => format!("schedule(dynamic, {})", self.rng.range(1, 3)),
        };
        let cnt = self.count(sc);
        let target = (kind != 1).then(|| self.rng.pick(&sc.write_arrs).clone());
        // What an iteration may read: no locals or arrays written in the loop.
        let mut rs = sc.clone();
        rs.locals.clear();
        rs.write_arrs.clear();
        rs.write_elems.clear();
        rs.idx = vec![i.clone()];
        if let Some(a) = &target {
            let pre = format!("{a}[");
            rs.read_arrs.retain(|x| x != a);
            rs.read_elems.retain(|e| !e.starts_with(&pre));
        }
        // No helper calls in a parallel region: ferment differentiates only inlined calls there
        // (a clean error otherwise), and a helper's statements are not checked for races.
        let callable = std::mem::replace(&mut self.callable, 0);
        let depth = self.rng.range(1, 3);
        let (e, _) = self.expr(&rs, depth);
        let sq = self.squash(&e);
        let (e2, _) = self.expr(&rs, 1);
        let tmp = self.squash(&e2);
        self.callable = callable;
        let c = lit(self.rng.real(-0.9, 0.9));
        let kk = lit(self.rng.real(0.1, 0.8));
        let head =
            format!("#pragma omp parallel for {sched}\n  for (int {i} = 0; {i} < {cnt}; {i}++)");
        let unrolled = format!("const int {i} = 0;");
        match (kind, target) {
            (0, Some(a)) => {
                let mut body = Vec::new();
                let sq = if self.rng.chance(0.5) {
                    // a private temporary
                    body.push(Stmt::Line(format!("double u{k} = {tmp};")));
                    format!("{sq} * (1.0 + 0.5 * u{k})")
                } else {
                    sq
                };
                body.push(Stmt::Line(format!(
                    "{a}[{i}] = {c} * {a}[{i}] + {kk} * {sq};"
                )));
                Some(Stmt::Loop {
                    head,
                    unrolled,
                    body,
                })
            }
            (2, Some(a)) => {
                let j = match self.rng.below(4) {
                    0 => format!(
                        "({i} * {} + {}) % N",
                        self.rng.range(2, 3),
                        self.rng.below(3)
                    ),
                    1 if sc.ints.iter().any(|x| x == "k") => format!("({i} + k) % N"),
                    2 => format!("{i} / 2"),
                    _ => self.index(&rs),
                };
                let op = *self.rng.pick(&["+=", "-="]);
                let upd = *self.rng.pick(&["atomic", "atomic update"]);
                Some(Stmt::Loop {
                    head,
                    unrolled,
                    body: vec![Stmt::Line(format!(
                        "{{ int j{k} = {j}; double d{k} = {kk} * {sq};\n#pragma omp {upd}\n    {a}[j{k}] {op} d{k}; }}"
                    ))],
                })
            }
            _ => {
                let v = self.rng.pick(&sc.locals).clone();
                Some(Stmt::Line(format!(
                    "{{\n    double r{k} = 0.0;\n#pragma omp parallel for reduction(+ : r{k}) {sched}\n    \
                     for (int {i} = 0; {i} < {cnt}; {i}++)\n      r{k} += {kk} * {sq};\n    \
                     {v} = {c} * {v} + 0.25 * r{k};\n  }}"
                )))
            }
        }
    }

    /// A call of a helper taking a struct pointer, writing through an out pointer, or returning
    /// a struct by value; its result flows into a local.
    fn ptr_call(&mut self, sc: &Scope) -> Option<Stmt> {
        let cands: Vec<Helper> = self.helpers[..self.callable]
            .iter()
            .filter(|h| match h.shape {
                HelperShape::StructPtr => !sc.struct_ptrs.is_empty(),
                HelperShape::OutPtr | HelperShape::PairRet => true,
                _ => false,
            })
            .cloned()
            .collect();
        if cands.is_empty() {
            return None;
        }
        let h = self.rng.pick(&cands).clone();
        let v = self.rng.pick(&sc.locals).clone();
        let (e, _) = self.expr(sc, 2);
        let k = self.next_loop;
        self.next_loop += 1;
        let c = lit(self.rng.real(0.1, 0.5));
        Some(Stmt::Line(match h.shape {
            HelperShape::StructPtr => {
                let pat = self.rng.pick(&sc.struct_ptrs).clone();
                let ptr = self.elem(sc, &pat);
                format!("{v} += {c} * {}({ptr}, {e});", h.name)
            }
            HelperShape::OutPtr => {
                format!(
                    "{{ double o{k}; {}({e}, &o{k}); {v} += {c} * o{k}; }}",
                    h.name
                )
            }
            _ => {
                let (e2, _) = self.expr(sc, 1);
                format!(
                    "{{ struct P2 r{k} = {}({e}, {e2}); {v} += {c} * r{k}.x - 0.25 * r{k}.y; }}",
                    h.name
                )
            }
        }))
    }

    fn gen_loop(&mut self, sc: &Scope) -> Stmt {
        let k = self.next_loop;
        self.next_loop += 1;
        let i = format!("i{k}");
        let outer = sc.idx.last().cloned();
        let n = self.count(sc);
        if self.var.user && self.rng.chance(0.2) {
            // size_t and unsigned count-down loops (user variant)
            let (head, unrolled) = if self.rng.chance(0.5) {
                (
                    format!("for (size_t {i} = 0; {i} < (size_t){n}; {i}++)"),
                    format!("const size_t {i} = 0;"),
                )
            } else {
                (
                    format!("for (unsigned {i} = {n}; {i}-- > 0;)"),
                    format!("const unsigned {i} = {n} - 1;"),
                )
            };
            let mut inner = sc.clone();
            inner.idx.push(i);
            self.loop_depth += 1;
            let nb = self.rng.range(1, 4);
            let body = self.block(&inner, nb);
            self.loop_depth -= 1;
            return Stmt::Loop {
                head,
                unrolled,
                body,
            };
        }
        let (head, unrolled) = match (self.rng.below(4), outer) {
            (0, Some(o)) => (
                format!("for (int {i} = 0; {i} <= {o}; {i}++)"),
                format!("const int {i} = 0;"),
            ),
            (1, _) => (
                format!("for (int {i} = {n} - 1; {i} >= 0; {i}--)"),
                format!("const int {i} = {n} - 1;"),
            ),
            (2, _) => (
                format!("for (int {i} = 0; {i} < {n}; {i} += 2)"),
                format!("const int {i} = 0;"),
            ),
            _ => (
                format!("for (int {i} = 0; {i} < {n}; {i}++)"),
                format!("const int {i} = 0;"),
            ),
        };
        let mut inner = sc.clone();
        inner.idx.push(i);
        self.loop_depth += 1;
        let nb = self.rng.range(1, 4);
        let body = self.block(&inner, nb);
        self.loop_depth -= 1;
        Stmt::Loop {
            head,
            unrolled,
            body,
        }
    }

    // ---------------------------------------------------------------- functions

    fn helper(&mut self, idx: usize) -> Func {
        if self.var.user && self.rng.chance(0.4) {
            let attr = if self.rng.chance(0.5) {
                "__attribute__((noinline)) static"
            } else {
                "static inline"
            };
            self.callable = idx;
            self.loop_depth = 0;
            self.budget = self.rng.range(1, 3 + self.size / 6);
            return self.user_helper(format!("h{idx}"), attr);
        }
        let has_unary = self.helpers.iter().any(|h| h.shape == HelperShape::Unary);
        let shape = if self.var.numeric && self.rng.chance(0.6) {
            match self.rng.below(8) {
                2 => HelperShape::Scratch,
                3 => HelperShape::SoA,
                4 => HelperShape::AoS,
                5 | 6 if has_unary => HelperShape::Apply,
                7 => HelperShape::Recursive,
                _ => HelperShape::Unary,
            }
        } else {
            match self.rng.below(11) {
                0..=2 => HelperShape::Scalar2,
                3 | 4 => HelperShape::ReadArr,
                5 | 6 => HelperShape::WriteArr,
                7 => HelperShape::Recursive,
                8 => HelperShape::StructPtr,
                9 => HelperShape::OutPtr,
                _ => HelperShape::PairRet,
            }
        };
        let name = format!("h{idx}");
        let attr = if self.rng.chance(0.5) {
            "__attribute__((noinline)) static"
        } else {
            "static inline"
        };
        self.callable = idx;
        self.loop_depth = 0;
        self.budget = self.rng.range(1, 3 + self.size / 6);
        let mut sc = Scope::default();
        let mut pre = Vec::new();
        let (head, post, bound) = match shape {
            HelperShape::Scalar2 => {
                sc.vars = vec![("a".into(), 3.0), ("b".into(), 3.0), ("u".into(), 3.0)];
                sc.locals = vec!["u".into()];
                pre.push("double u = a;".to_string());
                let n = self.rng.range(1, 3);
                let body = self.block(&sc, n);
                let (r, b) = self.expr(&sc, 2);
                let f = Func {
                    name: name.clone(),
                    head: format!("{attr} double {name}(double a, double b)"),
                    pre,
                    body,
                    post: vec![format!("return u + {r};")],
                };
                self.helpers.push(Helper {
                    name,
                    shape,
                    bound: b + 3.0,
                });
                return f;
            }
            HelperShape::StructPtr => {
                sc.vars = vec![("s".into(), 3.0)];
                for f in ["q->u", "q->v[0]", "q->v[1]"] {
                    sc.vars.push((f.into(), 3.0));
                    sc.locals.push(f.into());
                }
                sc.ints.push("q->tag".into());
                let n = self.rng.range(1, 3);
                let body = self.block(&sc, n);
                let (r, _) = self.expr(&sc, 2);
                let sq = self.squash(&format!("q->u + {r}"));
                self.helpers.push(Helper {
                    name: name.clone(),
                    shape,
                    bound: 1.6,
                });
                return Func {
                    name: name.clone(),
                    head: format!("{attr} double {name}(struct S *q, double s)"),
                    pre,
                    body,
                    post: vec![format!("return {sq};")],
                };
            }
            HelperShape::OutPtr | HelperShape::PairRet => {
                let (a, b) = if shape == HelperShape::OutPtr {
                    ("x", "x")
                } else {
                    ("a", "b")
                };
                sc.vars = vec![(a.into(), 3.0), (b.into(), 3.0), ("u".into(), 3.0)];
                sc.locals = vec!["u".into()];
                pre.push(format!("double u = {b};"));
                let n = self.rng.range(1, 3);
                let body = self.block(&sc, n);
                let (r1, _) = self.expr(&sc, 2);
                let s1 = self.squash(&format!("u + {r1}"));
                let (head, post) = if shape == HelperShape::OutPtr {
                    (
                        format!("{attr} void {name}(double x, double *out)"),
                        vec![format!("*out = {s1};")],
                    )
                } else {
                    let (r2, _) = self.expr(&sc, 2);
                    let s2 = self.squash(&r2);
                    (
                        format!("{attr} struct P2 {name}(double a, double b)"),
                        vec![
                            format!("struct P2 r = {{{s1}, u * {s2}}};"),
                            "return r;".into(),
                        ],
                    )
                };
                self.helpers.push(Helper {
                    name: name.clone(),
                    shape,
                    bound: 1.6,
                });
                return Func {
                    name,
                    head,
                    pre,
                    body,
                    post,
                };
            }
            HelperShape::Unary | HelperShape::Apply => {
                sc.vars = vec![("x".into(), 3.0), ("u".into(), 3.0)];
                sc.locals = vec!["u".into()];
                let (head, first, last) = if shape == HelperShape::Unary {
                    (
                        format!("{attr} double {name}(double x)"),
                        "double u = x;".to_string(),
                        String::new(),
                    )
                } else {
                    (
                        format!("{attr} double {name}(double (*g)(double), double x)"),
                        "double u = tanh(g(x));".to_string(),
                        " + 0.5 * tanh(g(0.5 * u))".to_string(),
                    )
                };
                pre.push(first);
                let n = self.rng.range(1, 3);
                let mut body = self.block(&sc, n);
                if self.rng.chance(0.5) {
                    // an early return
                    let (c, _) = self.expr(&sc, 1);
                    let (r, _) = self.expr(&sc, 2);
                    let sq = self.squash(&r);
                    let at = self.rng.below(body.len() + 1);
                    body.insert(
                        at,
                        Stmt::Line(format!("if (BR(u > {c})) return 0.5 * tanh(u) + {sq};")),
                    );
                }
                let (r, _) = self.expr(&sc, 2);
                let sq = self.squash(&format!("u + {r}"));
                self.helpers.push(Helper {
                    name: name.clone(),
                    shape,
                    bound: 3.0,
                });
                return Func {
                    name,
                    head,
                    pre,
                    body,
                    post: vec![format!("return {sq}{last};")],
                };
            }
            HelperShape::Scratch => {
                // a heap scratch buffer of N doubles, maybe grown to 2 N
                let alloc = if self.rng.chance(0.3) {
                    "(double *)calloc(N, sizeof(double))"
                } else {
                    "(double *)malloc(N * sizeof(double))"
                };
                let fsc = Scope {
                    vars: vec![("s".into(), 3.0), ("p[j]".into(), 2.0)],
                    ..Scope::default()
                };
                let (e, _) = self.expr(&fsc, 2);
                let sq = self.squash(&e);
                pre.push("double acc = 0.125;".into());
                pre.push(format!("double *w = {alloc};"));
                pre.push(format!("for (int j = 0; j < N; j++) w[j] = {sq};"));
                sc.vars = vec![("s".into(), 3.0), ("acc".into(), 3.0)];
                sc.locals = vec!["acc".into()];
                sc.read_arrs = vec!["p".into(), "w".into()];
                sc.write_arrs = vec!["w".into()];
                sc.counts = vec!["n".into()];
                let mut post = vec!["acc += 0.5 * w[N - 1];".to_string()];
                if self.rng.chance(0.4) {
                    pre.push("w = (double *)realloc(w, 2 * N * sizeof(double));".into());
                    pre.push(
                        "for (int j = 0; j < N; j++) w[N + j] = 0.5 * w[j] + 0.25 * s;".into(),
                    );
                    sc.read_elems.push("w[N + #]".into());
                    sc.write_elems.push("w[N + #]".into());
                    post.push("acc += 0.25 * w[2 * N - 1];".into());
                }
                post.push("free(w);".into());
                post.push("return acc;".into());
                (
                    format!("{attr} double {name}(const double *p, int n, double s)"),
                    post,
                    6.0,
                )
            }
            HelperShape::SoA => {
                sc.vars = vec![("s".into(), 3.0), ("acc".into(), 3.0)];
                sc.locals = vec!["acc".into()];
                sc.read_arrs = vec!["q->x".into(), "q->y".into()];
                sc.write_arrs = match self.rng.below(3) {
                    0 => vec!["q->x".into()],
                    1 => vec!["q->y".into()],
                    _ => vec!["q->x".into(), "q->y".into()],
                };
                sc.counts = vec!["n".into()];
                pre.push("double acc = 0.125;".into());
                (
                    format!("{attr} double {name}(struct SoA *q, int n, double s)"),
                    vec!["return acc + 0.25 * q->x[0];".to_string()],
                    6.0,
                )
            }
            HelperShape::AoS => {
                sc.vars = vec![("s".into(), 3.0), ("acc".into(), 3.0)];
                sc.locals = vec!["acc".into()];
                sc.read_arrs = vec!["tbl".into()];
                for e in ["q[#].u", "q[#].v[$]"] {
                    sc.read_elems.push(e.into());
                    sc.write_elems.push(e.into());
                }
                sc.struct_ptrs = vec!["&q[#]".into()];
                sc.ints = vec!["q[0].tag".into()];
                sc.counts = vec!["n".into()];
                pre.push("double acc = 0.125;".into());
                (
                    format!("{attr} double {name}(struct S *q, int n, double s)"),
                    vec!["return acc + 0.25 * q[0].u;".to_string()],
                    6.0,
                )
            }
            HelperShape::ReadArr | HelperShape::WriteArr if self.rng.chance(0.25) => {
                // recursive over the array: one element, then the rest through `p + 1`
                sc.vars = vec![("s".into(), 3.0), ("p[0]".into(), 3.0)];
                let (e, _) = self.expr(&sc, 2);
                let sq = self.squash(&e);
                let c = lit(self.rng.real(0.2, 0.7));
                let k = lit(self.rng.real(0.1, 0.8));
                let (head, pre, post) = if shape == HelperShape::ReadArr {
                    (
                        format!("{attr} double {name}(const double *p, int n, double s)"),
                        vec!["if (n <= 0) return s;".to_string()],
                        vec![format!(
                            "return {c} * {name}(p + 1, n - 1, {sq}) + {k} * p[0];"
                        )],
                    )
                } else {
                    (
                        format!("{attr} void {name}(double *p, int n, double s)"),
                        vec!["if (n <= 0) return;".to_string()],
                        vec![
                            format!("p[0] = {c} * p[0] + {k} * {sq};"),
                            format!("{name}(p + 1, n - 1, p[0]);"),
                        ],
                    )
                };
                self.helpers.push(Helper {
                    name: name.clone(),
                    shape,
                    bound: 10.0,
                });
                return Func {
                    name,
                    head,
                    pre,
                    body: vec![],
                    post,
                };
            }
            HelperShape::ReadArr => {
                sc.vars = vec![("s".into(), 3.0), ("acc".into(), 3.0)];
                sc.locals = vec!["acc".into()];
                sc.read_arrs = vec!["p".into()];
                sc.counts = vec!["n".into()];
                pre.push("double acc = 0.125;".to_string());
                (
                    format!("{attr} double {name}(const double *p, int n, double s)"),
                    vec!["return acc;".to_string()],
                    5.0,
                )
            }
            HelperShape::WriteArr => {
                sc.vars = vec![("s".into(), 3.0)];
                sc.read_arrs = vec!["p".into()];
                sc.write_arrs = vec!["p".into()];
                sc.counts = vec!["n".into()];
                (
                    format!("{attr} void {name}(double *p, int n, double s)"),
                    vec![],
                    0.0,
                )
            }
            HelperShape::Window | HelperShape::Halves | HelperShape::HalvesW => {
                unreachable!("user helper shapes come from user_helper")
            }
            HelperShape::Recursive => {
                sc.vars = vec![("x".into(), 3.0)];
                let (base, _) = self.expr(&sc, 2);
                let (arg, _) = self.expr(&sc, 1);
                let c = self.rng.real(0.2, 0.7);
                let f = Func {
                    name: name.clone(),
                    head: format!("{attr} double {name}(double x, int d)"),
                    pre: vec![if self.var.numeric && self.rng.chance(0.5) {
                        // the depth bound and a data-dependent stop
                        format!("if (d <= 0 || BR(fabs(x) < 0.05)) return {base};")
                    } else {
                        format!("if (d <= 0) return {base};")
                    }],
                    body: vec![],
                    post: vec![format!(
                        "return {} * {name}({}, d - 1) + {};",
                        lit(c),
                        self.squash(&arg),
                        self.squash("x")
                    )],
                };
                // |result| <= c |rec| + 1.6 with a bounded base
                self.helpers.push(Helper {
                    name,
                    shape,
                    bound: 10.0,
                });
                return f;
            }
        };
        // Array helpers loop over their array.
        let i = "j".to_string();
        let mut inner = sc.clone();
        inner.idx.push(i.clone());
        self.loop_depth = 1;
        let nb = self.rng.range(1, 3);
        let body = self.block(&inner, nb);
        self.loop_depth = 0;
        let body = vec![Stmt::Loop {
            head: format!("for (int {i} = 0; {i} < n; {i}++)"),
            unrolled: format!("const int {i} = 0;"),
            body,
        }];
        self.helpers.push(Helper {
            name: name.clone(),
            shape,
            bound,
        });
        Func {
            name,
            head,
            pre,
            body,
            post,
        }
    }
}

/// Declares `struct S sa[N]` filled from the scalar `src` and offers its
/// elements, element pointers and the array itself to the generated code.
fn struct_array(src: &str, pre: &mut Vec<String>, sc: &mut Scope, extra_terms: &mut Vec<String>) {
    pre.push("struct S sa[N];".into());
    pre.push(format!(
        "for (int q = 0; q < N; q++) {{ sa[q].u = {src} * (0.3 + 0.1 * q); sa[q].tag = q; sa[q].v[0] = 0.5 * q - {src}; sa[q].v[1] = 0.25; }}"
    ));
    for e in ["sa[#].u", "sa[#].v[$]"] {
        sc.read_elems.push(e.into());
        sc.write_elems.push(e.into());
    }
    sc.struct_ptrs.push("&sa[#]".into());
    sc.struct_arrs.push("sa".into());
    extra_terms.push("sa[N - 1].u + sa[0].v[1]".to_string());
}

/// Generates the program for `seed` at `size` (roughly the number of statements).
/// `generate`, with OpenMP constructs in the kernel when `omp` (the `omp` variant), and the
/// shapes of numerical code when `numeric` (the `numeric` variant: see the module comment).
pub fn generate_variant(seed: u64, size: usize, var: &Variant) -> Program {
    let var = *var;
    let mut g = Gen::new(seed, size);
    g.var = var;
    let rng = &mut g.rng;
    let n_len = rng.range(3, 7);
    // Parameters.
    let mut params: Vec<Param> = Vec::new();
    let ns = rng.range(1, 3);
    let na = rng.range(0, 3);
    for k in 0..ns {
        // s0 is always active, so every program has something to differentiate.
        let kind = if k > 0 && rng.chance(0.25) {
            Kind::ConstScalar
        } else {
            Kind::Active
        };
        params.push(Param {
            name: format!("s{k}"),
            kind,
            explicit: rng.chance(0.5),
        });
    }
    for k in 0..na {
        let kind = *rng.pick(&[Kind::Dup, Kind::Dup, Kind::DupNoNeed, Kind::ConstArr]);
        params.push(Param {
            name: format!("p{k}"),
            kind,
            explicit: rng.chance(0.5),
        });
    }
    if rng.chance(0.2) {
        params.push(Param {
            name: "sp".into(),
            kind: Kind::StructDup,
            explicit: rng.chance(0.5),
        });
    }
    params.push(Param {
        name: "n".into(),
        kind: Kind::Int,
        explicit: false,
    });
    if rng.chance(0.4) {
        params.push(Param {
            name: "k".into(),
            kind: Kind::Int,
            explicit: false,
        });
    }
    // shuffle
    for i in (1..params.len()).rev() {
        let j = rng.below(i + 1);
        params.swap(i, j);
    }
    let has_dup = params
        .iter()
        .any(|p| matches!(p.kind, Kind::Dup | Kind::DupNoNeed));
    let returns = !has_dup || rng.chance(0.8);
    // (drawn in every variant, so that the split family changes no other draw)
    let use_split = rng.chance(0.35) || var.split;
    // ferment inlines every defined callee into its private copy unless told not to: without
    // inlining, helpers get derivatives of their own (augmented calls, sub-tapes).
    let no_inline = rng.chance(0.3);
    let width = rng.range(2, 4);
    // The api variant: an active return of a struct of two doubles or of a complex number.
    let ret2: Option<&'static str> = (var.api && returns && rng.chance(0.3)).then(|| {
        if rng.chance(0.5) {
            "struct P2"
        } else {
            "_Complex double"
        }
    });

    // Helpers.
    let mut nh = g.rng.range(0, 1 + size / 8).min(4);
    if var.numeric {
        nh = (nh + 2).min(6);
    }
    let mut funcs = Vec::new();
    for h in 0..nh {
        funcs.push(g.helper(h));
    }
    g.callable = g.helpers.len();

    // The kernel's scope and prologue.
    let mut sc = Scope::default();
    let mut pre = Vec::new();
    let mut post = Vec::new();
    for p in &params {
        match p.kind {
            Kind::Active | Kind::ConstScalar => sc.vars.push((p.name.clone(), 1.5)),
            Kind::Dup | Kind::DupNoNeed => {
                sc.read_arrs.push(p.name.clone());
                sc.write_arrs.push(p.name.clone());
            }
            Kind::ConstArr => sc.read_arrs.push(p.name.clone()),
            Kind::StructDup => {
                for f in ["u", "v[0]", "v[1]"] {
                    sc.vars.push((format!("{}->{f}", p.name), 3.0));
                    sc.locals.push(format!("{}->{f}", p.name));
                }
                sc.ints.push(format!("{}->tag", p.name));
                sc.struct_ptrs.push(p.name.clone());
            }
            Kind::Int => {
                if p.name == "n" {
                    sc.counts.push(p.name.clone())
                }
                sc.ints.push(p.name.clone())
            }
        }
    }
    sc.read_arrs.push("tbl".into());
    let scalars: Vec<String> = sc
        .vars
        .iter()
        .map(|v| v.0.clone())
        .filter(|v| !v.contains("->"))
        .collect();
    let nl = g.rng.range(1, 3);
    for t in 0..nl {
        let init = g.rng.pick(&scalars).clone();
        pre.push(format!("double t{t} = {init};"));
        sc.vars.push((format!("t{t}"), 3.0));
        sc.locals.push(format!("t{t}"));
    }
    let rng = &mut g.rng;
    if rng.chance(0.3) {
        let init = rng.pick(&scalars).clone();
        pre.push(format!("struct S st = {{{init}, 1, {{0.5, -0.25}}}};"));
        for f in ["st.u", "st.v[0]", "st.v[1]"] {
            sc.vars.push((f.into(), 3.0));
            sc.locals.push(f.into());
        }
        sc.struct_ptrs.push("&st".into());
    }
    let mut extra_terms = Vec::new();
    if rng.chance(0.2) {
        // an array of structs
        let src = rng.pick(&scalars).clone();
        struct_array(&src, &mut pre, &mut sc, &mut extra_terms);
    }
    if rng.chance(0.2) {
        // a 2-D array
        let src = rng.pick(&scalars).clone();
        pre.push("double g2[N][N];".into());
        pre.push(format!(
            "for (int q = 0; q < N; q++) for (int r = 0; r < N; r++) g2[q][r] = {src} * (0.1 * q - 0.2 * r) + 0.05 * r;"
        ));
        sc.read_elems.push("g2[#][#]".into());
        sc.write_elems.push("g2[#][#]".into());
        extra_terms.push("g2[N - 1][0] + g2[1][N - 1]".to_string());
    }
    if rng.chance(0.35) {
        let src = rng.pick(&scalars).clone();
        pre.push("double a0[N];".into());
        pre.push(format!(
            "for (int q = 0; q < N; q++) a0[q] = {src} * (0.5 + 0.1 * q);"
        ));
        sc.read_arrs.push("a0".into());
        sc.write_arrs.push("a0".into());
    }
    if rng.chance(0.3) {
        let src = sc.read_arrs.first().cloned();
        pre.push("double *m0 = (double *)malloc(N * sizeof(double));".into());
        match src {
            Some(a) => pre.push(format!("for (int q = 0; q < N; q++) m0[q] = 0.5 * {a}[q];")),
            None => {
                let s = rng.pick(&scalars).clone();
                pre.push(format!(
                    "for (int q = 0; q < N; q++) m0[q] = {s} - 0.1 * q;"
                ))
            }
        }
        sc.read_arrs.push("m0".into());
        sc.write_arrs.push("m0".into());
        if rng.chance(0.4) {
            // grown with realloc; the new half is used too
            pre.push("m0 = (double *)realloc(m0, 2 * N * sizeof(double));".into());
            pre.push("for (int q = 0; q < N; q++) m0[N + q] = 0.25 * m0[q] + 0.125;".into());
            sc.read_elems.push("m0[N + #]".into());
            sc.write_elems.push("m0[N + #]".into());
            extra_terms.push("m0[2 * N - 1]".to_string());
        }
        post.push("free(m0);".into());
    }
    if rng.chance(0.15) {
        // a flattened 2-D array on the heap
        let s0 = rng.pick(&scalars).clone();
        pre.push("double *mm = (double *)malloc(N * N * sizeof(double));".into());
        pre.push(format!(
            "for (int q = 0; q < N * N; q++) mm[q] = {s0} * (0.05 * q - 0.3);"
        ));
        sc.read_elems.push("mm[# * N + #]".into());
        sc.write_elems.push("mm[# * N + #]".into());
        extra_terms.push("mm[N * N - 1] + mm[N]".to_string());
        post.push("free(mm);".into());
    }
    if var.numeric && !sc.struct_arrs.iter().any(|a| a == "sa") && g.rng.chance(0.4) {
        // an array of structs (more often than in the default variant)
        let src = g.rng.pick(&scalars).clone();
        struct_array(&src, &mut pre, &mut sc, &mut extra_terms);
    }
    if var.numeric {
        let unary: Vec<String> = g
            .helpers
            .iter()
            .filter(|h| h.shape == HelperShape::Unary)
            .map(|h| h.name.clone())
            .collect();
        let rng = &mut g.rng;
        if rng.chance(0.4) {
            // a struct of arrays, accessed through a pointer
            let src = rng.pick(&scalars).clone();
            pre.push("double sx[N], sy[N];".into());
            pre.push(format!(
                "for (int q = 0; q < N; q++) {{ sx[q] = {src} * (0.2 + 0.1 * q); sy[q] = 0.3 - 0.05 * q * {src}; }}"
            ));
            pre.push("struct SoA so = {sx, sy};".into());
            pre.push("struct SoA *sop = &so;".into());
            for e in ["sop->x[#]", "sop->y[#]", "so.y[#]"] {
                sc.read_elems.push(e.into());
                sc.write_elems.push(e.into());
            }
            extra_terms.push("sop->x[N - 1] + sy[0]".to_string());
        }
        if rng.chance(0.35) {
            // a column-major matrix on the heap with a computed leading dimension
            let src = rng.pick(&scalars).clone();
            pre.push("int ld = N + 1 + n % 2;".into());
            pre.push("double *ms = (double *)malloc(ld * N * sizeof(double));".into());
            pre.push(format!(
                "for (int qc = 0; qc < N; qc++) for (int qr = 0; qr < ld; qr++) ms[qc * ld + qr] = {src} * (0.1 * qr - 0.05 * qc) + 0.02 * qc;"
            ));
            for e in ["ms[# * ld + #]", "ms[# + ld * #]"] {
                sc.read_elems.push(e.into());
                sc.write_elems.push(e.into());
            }
            sc.read_arrs.push("(ms + ld)".into());
            sc.write_arrs.push("(ms + ld)".into());
            extra_terms.push("ms[(N - 1) * ld + 1] + ms[ld - 1]".to_string());
            post.push("free(ms);".into());
        }
        if !unary.is_empty() && rng.chance(0.7) {
            // a table of function pointers
            let es: Vec<String> = (0..3).map(|_| format!("&{}", rng.pick(&unary))).collect();
            let decl = if rng.chance(0.5) {
                "static double (*const ftab[3])(double)"
            } else {
                "double (*ftab[3])(double)"
            };
            pre.push(format!("{decl} = {{{}}};", es.join(", ")));
            g.ftab = true;
        }
    }
    let garr = var.user && g.rng.chance(0.35);
    if garr {
        // a global array the kernel writes whole, then reads and updates (user variant)
        let src = g.rng.pick(&scalars).clone();
        pre.push(format!(
            "for (int q = 0; q < N; q++) garr[q] = {src} * (0.3 - 0.1 * q) + 0.05 * q;"
        ));
        sc.read_arrs.push("garr".into());
        sc.write_arrs.push("garr".into());
        extra_terms.push("garr[N - 1] - 0.5 * garr[0]".to_string());
    }
    g.budget = size;
    g.loop_depth = 0;
    if returns && !post.iter().any(|l: &String| l.starts_with("free")) {
        g.early_return = Some(match ret2 {
            Some("struct P2") => format!("(struct P2){{{} * 0.5, 0.25}}", sc.locals[0]),
            Some(rt) => format!("({rt})({} * 0.5)", sc.locals[0]),
            None => format!("{} * 0.5", sc.locals[0]),
        });
    }
    let mut body = Vec::new();
    g.in_kernel = true;
    while g.budget > 0 {
        g.budget -= 1;
        body.push(g.stmt(&sc));
    }
    g.in_kernel = false;
    // Return value: every local contributes, plus local array elements (read before they are freed).
    let mut terms: Vec<String> = sc.locals.clone();
    for a in ["a0", "m0"] {
        if sc.read_arrs.iter().any(|x| x == a) {
            terms.push(format!("{a}[{}]", g.rng.below(3)));
            terms.push(format!("{a}[N - 1]"));
        }
    }
    terms.extend(extra_terms);
    let (extra, _) = g.expr(&sc, 1);
    terms.push(extra);
    let ret = terms.join(" + ");
    let mut post_all = Vec::new();
    if returns {
        post_all.push(format!("double r = {ret};"));
        if ret2.is_some() {
            // the second part of the result, read before anything is freed
            let (e2, _) = g.expr(&sc, 1);
            let last = sc.locals[sc.locals.len() - 1].clone();
            post_all.push(format!("double r2 = 0.5 * {last} + tanh({e2});"));
        }
    } else {
        // Without a return value, the locals flow into the first duplicated array.
        let a = params
            .iter()
            .find(|p| matches!(p.kind, Kind::Dup | Kind::DupNoNeed))
            .unwrap()
            .name
            .clone();
        post_all.push(format!("{a}[0] += 0.5 * ({ret});"));
    }
    post_all.extend(post);
    match ret2 {
        Some("struct P2") => post_all.push("struct P2 rr = {r, r2};".into()),
        Some(rt) => {
            post_all.push(format!("{rt} rr;"));
            post_all.push("__real__ rr = r;".into());
            post_all.push("__imag__ rr = r2;".into());
        }
        None => {}
    }
    if ret2.is_some() {
        post_all.push("return rr;".into());
    } else if returns {
        post_all.push("return r;".into());
    }
    let sig: Vec<String> = params
        .iter()
        .map(|p| match p.kind {
            Kind::Active | Kind::ConstScalar => format!("double {}", p.name),
            Kind::Dup | Kind::DupNoNeed => format!("double *{}", p.name),
            Kind::ConstArr => format!("const double *{}", p.name),
            Kind::Int => format!("int {}", p.name),
            Kind::StructDup => format!("struct S *{}", p.name),
        })
        .collect();
    let kattr = if g.rng.chance(0.2) {
        "__attribute__((noinline)) "
    } else {
        ""
    };
    if g.wants_cmpd {
        funcs.insert(0, corner::comparator());
    }
    if g.wants_abi {
        let noinline = g.rng.chance(0.5);
        for (i, h) in abi::helpers(noinline).into_iter().enumerate() {
            funcs.insert(i, h);
        }
    }
    if g.wants_solve {
        let noinline = g.rng.chance(0.5);
        for (i, h) in solve::helpers(noinline).into_iter().enumerate() {
            funcs.insert(i, h);
        }
    }
    if g.wants_mix {
        let noinline = g.rng.chance(0.5);
        for (i, h) in mix::helpers(noinline).into_iter().enumerate() {
            funcs.insert(i, h);
        }
    }
    if g.wants_hazard {
        let noinline = g.rng.chance(0.5);
        for (i, h) in hazard::helpers(noinline).into_iter().enumerate() {
            funcs.insert(i, h);
        }
    }
    if g.wants_flat {
        let noinline = g.rng.chance(0.5);
        for (i, h) in flat::helpers(noinline).into_iter().enumerate() {
            funcs.insert(i, h);
        }
    }
    funcs.push(Func {
        name: "f".into(),
        head: format!(
            "{kattr}{} f({})",
            match ret2 {
                Some(rt) => rt,
                None if returns => "double",
                None => "void",
            },
            sig.join(", ")
        ),
        pre,
        body,
        post: post_all,
    });

    let single = g.single;
    let brev = crate::harness::batched_reverse_width(seed).filter(|_| !var.omp && ret2.is_none());
    // The api variant passes batched shadows of arrays as one strided buffer.
    let dupv = var.api.then(|| g.rng.below(3));
    let harness = crate::harness::harness(
        &mut g.rng,
        &params,
        &crate::harness::Shape {
            n: n_len,
            returns,
            split: use_split && ret2.is_none(),
            single,
            width,
            brev,
            omp: var.omp,
            dupv,
            ret2,
            hvp: var.hvp && !var.omp && !single,
        },
    );
    let active = params.iter().filter(|p| p.kind == Kind::Active).count();
    let mut defs = String::new();
    defs.push_str("#include \"check.h\"\n#include <stdlib.h>\n\n");
    let _ = writeln!(defs, "#define N {n_len}");
    defs.push_str("struct S {\n  double u;\n  int tag;\n  double v[2];\n};\n");
    defs.push_str("struct P2 {\n  double x, y;\n};\n");
    if var.numeric {
        defs.push_str("struct SoA {\n  double *x, *y;\n};\n");
    }
    if var.abi {
        defs.push_str("#include <stdarg.h>\nstruct V4 {\n  double a[4];\n  int n;\n};\n");
    }
    if var.mix {
        defs.push_str(mix::DEFS);
    }
    if garr {
        defs.push_str("static double garr[N];\n");
    }
    if var.user {
        defs.push_str("static double *gptr;\n");
    }
    defs.push_str("#include \"fuzz_path.h\"\n");
    if var.cpp {
        let noinline = g.rng.chance(0.5);
        defs.push_str(&cpp::defs(noinline));
    }
    defs.push_str(
        "static const double tbl[8] = {0.5, -0.25, 1.5, 0.75, -1.0, 0.125, 2.0, -0.5};\nstatic double gscratch;\n",
    );
    let _ = writeln!(
        defs,
        "extern int enzyme_const, enzyme_dup, enzyme_dupnoneed, enzyme_out;"
    );
    if var.api {
        defs.push_str("extern int enzyme_dupv, enzyme_dupnoneedv;\n");
    }
    let gty = match active {
        0 => "void".to_string(),
        1 => "double".to_string(),
        k => {
            let _ = writeln!(defs, "typedef struct {{\n  double d[{k}];\n}} Grad;");
            "Grad".to_string()
        }
    };
    let _ = writeln!(defs, "{gty} __enzyme_autodiff(void *, ...);");
    let fty = match ret2 {
        Some(rt) => rt,
        None if returns => "double",
        None => "void",
    };
    let _ = writeln!(defs, "{fty} __enzyme_fwddiff(void *, ...);");
    let _ = writeln!(defs, "extern int enzyme_width;");
    if returns {
        let _ = writeln!(defs, "typedef struct {{\n  double d[{width}];\n}} Lanes;");
        let _ = writeln!(defs, "Lanes __enzyme_fwddiff_lanes(void *, ...);");
    } else {
        let _ = writeln!(defs, "void __enzyme_fwddiff_lanes(void *, ...);");
    }
    if let Some(bw) = brev {
        defs.push_str(&crate::harness::batched_reverse_decls(&params, bw));
    }
    if use_split {
        let _ = writeln!(defs, "void *__enzyme_augmentfwd(void *, ...);");
        let _ = writeln!(defs, "{gty} __enzyme_reverse(void *, ...);");
    }
    let mut comment = vec![format!(
        "Generated by ferment-fuzz (seed {seed}, size {size}): forward, reverse{} and -O0/-O2 \
         against finite differences and each other.",
        if use_split { ", split" } else { "" }
    )];
    match (no_inline, var.omp) {
        (true, true) => comment.push("CFLAGS: -fopenmp -mllvm -ferment-no-inline".into()),
        (true, false) => comment.push("CFLAGS: -mllvm -ferment-no-inline".into()),
        (false, true) => comment.push("CFLAGS: -fopenmp".into()),
        (false, false) => {}
    }
    if var.cpp {
        comment.push("CFLAGS: -std=c++17".into());
    }
    Program {
        seed,
        size,
        comment,
        defs,
        funcs,
        harness,
        cpp: var.cpp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a, 64 bits: a hash that stays the same across Rust releases.
    fn fnv(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    }

    /// Old seeds give the same programs: the hash of seeds 1..=30 of each variant (as
    /// `ferment-fuzz show SEED --variant V` prints them), recorded when the variant's last
    /// change landed. A change that draws something new must keep these (put it behind a new
    /// variant's flag) or say in its commit why the old programs changed.
    #[test]
    fn old_seeds_give_the_same_programs() {
        let recorded: &[(&str, u64)] = &[
            ("default", 0xd9a9_86f4_d118_bbb4),
            ("omp", 0x6ad0_f3d6_c952_6d52),
            ("numeric", 0x4dc7_82dd_1561_e7ac),
            ("user", 0x684b_994f_670d_460e),
            ("api", 0xe2e2_3b3c_69fc_7793),
            ("guard", 0xe470_a2d3_a9e8_6f68),
            ("clamp", 0x36e4_6cec_f005_8502),
            ("edge", 0x2b9c_6451_a8ff_91fa),
            ("numeric,user", 0xd27b_a334_4d79_559b),
            ("guard,clamp,edge", 0xca1d_2bcc_1111_d219),
            ("sci", 0xb8f9_9599_dfa8_2e81),
            ("corner", 0xc903_6e90_517a_d391),
            ("mix", 0x3649_95ac_12b6_ca7b), // session 31: the float statement drawn less often
            // session 33: pinned as round 32 left them (hazard's and clamp's loop divisor now
            // one helper, `Gen::loop_divisor`, with the same draws)
            ("hazard", 0x2e52_efa4_76aa_7754),
            ("split", 0xb02a_d413_6afe_1bcd),
            ("split,hazard", 0x8068_9a1f_f148_96cb),
            ("abi", 0xe0f0_83ad_eab9_4912),
            ("solve", 0x1479_21e3_13ac_a4a4),
            ("flat", 0x59f8_149f_bee0_8e3d), // session 33: the new family
            ("cpp", 0x4cbe_f2d9_6269_f23d),  // session 39: the new family
        ];
        for (name, want) in recorded {
            let mut var = Variant::default();
            if *name != "default" {
                for f in name.split(',') {
                    assert!(var.add(f), "no family {f}");
                }
            }
            let text: String = (1..=30)
                .map(|seed| generate_variant(seed, crate::size_for(seed), &var).emit())
                .collect();
            assert_eq!(
                fnv(text.as_bytes()),
                *want,
                "variant {name}: seeds 1..=30 changed"
            );
        }
    }
}
