//! Derivative rules for BLAS and LAPACK (Cholesky) calls: the tangent and
//! the adjoint of a BLAS routine are themselves BLAS calls (the adjoint of a
//! matrix product is two matrix products).
//!
//! Role (this file): the table of supported routines as data (each argument's role:
//! layout, transpose flag, dimension, scalar, matrix with its leading
//! dimension, vector with its stride; which arrays the routine writes), the
//! decoding of a call (CBLAS `cblas_dgemm`, row- or column-major, or the
//! Fortran interface `dgemm_` with every argument by reference) into one
//! column-major [`Op`], and the rules: [`adjoint`] and [`tangent`] emit BLAS
//! calls (through [`Emit`]) given the operands at the emission point. Which
//! operands must be cached for the reverse sweep is [`Op::needed`]; the
//! generators (`reverse/blas.rs`, `forward/blas.rs`) fetch operands, shadows
//! and scalar derivatives and call these rules. Derivative calls use the
//! CBLAS interface (column-major) whatever interface the primal used.
//! Map: `emit` (building CBLAS calls and loop helpers), `adjoint` (reverse
//! rules), `tangent` (forward rules).

mod adjoint;
mod chol;
mod eig;
mod emit;
mod lu;
mod tangent;

pub use adjoint::adjoint;
pub use emit::Emit;
pub use tangent::{result_tangent, tangent};

use crate::error::{Error, Result};
use ferment_activity_analysis::ArgEffect;
use ferment_ir::{IntPredicate, Module, Type, Value};

/// What one argument of a routine is (in CBLAS order).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    /// `CblasRowMajor` (101) / `CblasColMajor` (102); CBLAS only.
    Layout,
    /// `CblasNoTrans` (111) / `CblasTrans` (112) / `CblasConjTrans` (113),
    /// or a Fortran character `'N'`/`'T'`/`'C'`.
    Trans,
    Dim,
    Scalar,
    /// A matrix; its leading dimension follows.
    Matrix,
    Ld,
    /// A vector; its stride follows.
    Vector,
    Inc,
    /// `CblasUpper` (121) / `CblasLower` (122), or `'U'`/`'L'`.
    Uplo,
    /// `CblasNonUnit` (131) / `CblasUnit` (132), or `'N'`/`'U'`.
    Diag,
    /// `CblasLeft` (141) / `CblasRight` (142), or `'L'`/`'R'`.
    Side,
    /// LAPACK's status output (Fortran interface only; LAPACKE returns it).
    Info,
    /// LAPACK's pivot indices (an integer array, 1-based row interchanges);
    /// carry no derivative.
    Pivots,
    /// LAPACK's `jobz` (`'N'`: eigenvalues only, `'V'`: and eigenvectors).
    Job,
    /// A vector of contiguous values (no stride argument): eigenvalues.
    Values,
    /// LAPACK's float workspace (Fortran interface only; LAPACKE allocates
    /// it): written, never carrying derivatives.
    Work,
    /// The workspace's length (Fortran interface only); `-1` asks for the
    /// optimal length alone (a workspace query: nothing else happens).
    Lwork,
}

use Role::*;

/// The routines, as data.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Gemm,
    Gemv,
    Ger,
    Dot,
    Axpy,
    Scal,
    Copy,
    Nrm2,
    Asum,
    Trmv,
    Trsv,
    Trmm,
    Trsm,
    Symv,
    Symm,
    Syrk,
    Potrf,
    Potrs,
    Getrf,
    Getrs,
    Gesv,
    Syr,
    Syr2,
    Syr2k,
    Syev,
}

struct Routine {
    kind: Kind,
    /// The name without precision and interface (`gemm`).
    name: &'static str,
    /// Argument roles in CBLAS order (the Fortran form drops `Layout`).
    roles: &'static [Role],
    /// Arrays written, by their index among the routine's arrays.
    writes: &'static [usize],
    /// Returns a float.
    returns: bool,
}

/// LAPACK routines are `LAPACKE_dpotrf` in C (by value), not `cblas_`.
fn is_lapack(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Potrf | Kind::Potrs | Kind::Getrf | Kind::Getrs | Kind::Gesv | Kind::Syev
    )
}

/// LAPACK routines whose row-major form is handled on transposed copies
/// (LAPACKE's own approach); the others change flags instead.
fn transposes_row_major(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Potrs | Kind::Getrf | Kind::Getrs | Kind::Gesv | Kind::Syev
    )
}

/// Routines that write their pivot array.
fn writes_pivots(kind: Kind) -> bool {
    matches!(kind, Kind::Getrf | Kind::Gesv)
}

static ROUTINES: &[Routine] = &[
    // C = alpha op(A) op(B) + beta C
    Routine {
        kind: Kind::Gemm,
        name: "gemm",
        roles: &[
            Layout, Trans, Trans, Dim, Dim, Dim, Scalar, Matrix, Ld, Matrix, Ld, Scalar, Matrix, Ld,
        ],
        writes: &[2],
        returns: false,
    },
    // y = alpha op(A) x + beta y
    Routine {
        kind: Kind::Gemv,
        name: "gemv",
        roles: &[
            Layout, Trans, Dim, Dim, Scalar, Matrix, Ld, Vector, Inc, Scalar, Vector, Inc,
        ],
        writes: &[2],
        returns: false,
    },
    // A = alpha x y^T + A
    Routine {
        kind: Kind::Ger,
        name: "ger",
        roles: &[
            Layout, Dim, Dim, Scalar, Vector, Inc, Vector, Inc, Matrix, Ld,
        ],
        writes: &[2],
        returns: false,
    },
    Routine {
        kind: Kind::Dot,
        name: "dot",
        roles: &[Dim, Vector, Inc, Vector, Inc],
        writes: &[],
        returns: true,
    },
    // y = alpha x + y
    Routine {
        kind: Kind::Axpy,
        name: "axpy",
        roles: &[Dim, Scalar, Vector, Inc, Vector, Inc],
        writes: &[1],
        returns: false,
    },
    // x = alpha x
    Routine {
        kind: Kind::Scal,
        name: "scal",
        roles: &[Dim, Scalar, Vector, Inc],
        writes: &[0],
        returns: false,
    },
    // y = x
    Routine {
        kind: Kind::Copy,
        name: "copy",
        roles: &[Dim, Vector, Inc, Vector, Inc],
        writes: &[1],
        returns: false,
    },
    Routine {
        kind: Kind::Nrm2,
        name: "nrm2",
        roles: &[Dim, Vector, Inc],
        writes: &[],
        returns: true,
    },
    Routine {
        kind: Kind::Asum,
        name: "asum",
        roles: &[Dim, Vector, Inc],
        writes: &[],
        returns: true,
    },
    // x = op(T) x, T the triangle of A
    Routine {
        kind: Kind::Trmv,
        name: "trmv",
        roles: &[Layout, Uplo, Trans, Diag, Dim, Matrix, Ld, Vector, Inc],
        writes: &[1],
        returns: false,
    },
    // x = op(T)^-1 x
    Routine {
        kind: Kind::Trsv,
        name: "trsv",
        roles: &[Layout, Uplo, Trans, Diag, Dim, Matrix, Ld, Vector, Inc],
        writes: &[1],
        returns: false,
    },
    // B = alpha op(T) B (left) or alpha B op(T) (right)
    Routine {
        kind: Kind::Trmm,
        name: "trmm",
        roles: &[
            Layout, Side, Uplo, Trans, Diag, Dim, Dim, Scalar, Matrix, Ld, Matrix, Ld,
        ],
        writes: &[1],
        returns: false,
    },
    // y = alpha S x + beta y, S the symmetric matrix stored in a triangle of A
    Routine {
        kind: Kind::Symv,
        name: "symv",
        roles: &[
            Layout, Uplo, Dim, Scalar, Matrix, Ld, Vector, Inc, Scalar, Vector, Inc,
        ],
        writes: &[2],
        returns: false,
    },
    // C = alpha S B + beta C (left) or alpha B S + beta C (right)
    Routine {
        kind: Kind::Symm,
        name: "symm",
        roles: &[
            Layout, Side, Uplo, Dim, Dim, Scalar, Matrix, Ld, Matrix, Ld, Scalar, Matrix, Ld,
        ],
        writes: &[2],
        returns: false,
    },
    // C = alpha op(A) op(A)^T + beta C, on one triangle of C
    Routine {
        kind: Kind::Syrk,
        name: "syrk",
        roles: &[
            Layout, Uplo, Trans, Dim, Dim, Scalar, Matrix, Ld, Scalar, Matrix, Ld,
        ],
        writes: &[1],
        returns: false,
    },
    // A = alpha x x^T + A, on one triangle of A
    Routine {
        kind: Kind::Syr,
        name: "syr",
        roles: &[Layout, Uplo, Dim, Scalar, Vector, Inc, Matrix, Ld],
        writes: &[1],
        returns: false,
    },
    // A = alpha (x y^T + y x^T) + A, on one triangle of A
    Routine {
        kind: Kind::Syr2,
        name: "syr2",
        roles: &[
            Layout, Uplo, Dim, Scalar, Vector, Inc, Vector, Inc, Matrix, Ld,
        ],
        writes: &[2],
        returns: false,
    },
    // C = alpha (op(A) op(B)^T + op(B) op(A)^T) + beta C, on one triangle of C
    Routine {
        kind: Kind::Syr2k,
        name: "syr2k",
        roles: &[
            Layout, Uplo, Trans, Dim, Dim, Scalar, Matrix, Ld, Matrix, Ld, Scalar, Matrix, Ld,
        ],
        writes: &[2],
        returns: false,
    },
    // LAPACK: the Cholesky factor of a symmetric positive definite matrix,
    // A = L L^T (lower) or U^T U (upper), in place on one triangle
    Routine {
        kind: Kind::Potrf,
        name: "potrf",
        roles: &[Layout, Uplo, Dim, Matrix, Ld, Info],
        writes: &[0],
        returns: false,
    },
    // LAPACK: B = (L L^T)^-1 B (or (U^T U)^-1 B) given the factor
    Routine {
        kind: Kind::Potrs,
        name: "potrs",
        roles: &[Layout, Uplo, Dim, Dim, Matrix, Ld, Matrix, Ld, Info],
        writes: &[1],
        returns: false,
    },
    // LAPACK: A = P L U in place (L unit lower, strictly below the
    // diagonal; U on and above it), pivots in ipiv; square matrices only
    Routine {
        kind: Kind::Getrf,
        name: "getrf",
        roles: &[Layout, Dim, Dim, Matrix, Ld, Pivots, Info],
        writes: &[0],
        returns: false,
    },
    // LAPACK: B = op(A)^-1 B given getrf's factors and pivots
    Routine {
        kind: Kind::Getrs,
        name: "getrs",
        roles: &[
            Layout, Trans, Dim, Dim, Matrix, Ld, Pivots, Matrix, Ld, Info,
        ],
        writes: &[1],
        returns: false,
    },
    // LAPACK: getrf of A (in place), then B = A^-1 B
    Routine {
        kind: Kind::Gesv,
        name: "gesv",
        roles: &[Layout, Dim, Dim, Matrix, Ld, Pivots, Matrix, Ld, Info],
        writes: &[0, 1],
        returns: false,
    },
    // LAPACK: the eigenvalues w (ascending) of the symmetric matrix stored
    // in a triangle of A, and with jobz 'V' its orthonormal eigenvectors in A
    // (else A's contents are destroyed); the Fortran form takes a workspace
    // and allows a workspace query
    Routine {
        kind: Kind::Syev,
        name: "syev",
        roles: &[
            Layout, Job, Uplo, Dim, Matrix, Ld, Values, Work, Lwork, Info,
        ],
        writes: &[0, 1],
        returns: false,
    },
    // B = alpha op(T)^-1 B (left) or alpha B op(T)^-1 (right)
    Routine {
        kind: Kind::Trsm,
        name: "trsm",
        roles: &[
            Layout, Side, Uplo, Trans, Diag, Dim, Dim, Scalar, Matrix, Ld, Matrix, Ld,
        ],
        writes: &[1],
        returns: false,
    },
];

/// BLAS and LAPACK routine names ferment recognizes as such but has no rule
/// for: calls to them are reported by name.
const OTHER_ROUTINES: &[&str] = &[
    "rot", "rotg", "rotm", "rotmg", "swap", "amax", "amin", "iamax", "iamin", "sdot", "dsdot",
    "gbmv", "hemv", "hbmv", "hpmv", "sbmv", "spmv", "tbmv", "tpmv", "tbsv", "tpsv", "geru", "gerc",
    "her", "hpr", "her2", "hpr2", "spr", "spr2", "hemm", "herk", "her2k", "potri", "getri",
    "syevd", "gesvd", "gels", "geqrf", "posv", "trtrs", "trtri", "lacpy", "lange",
];

/// Floating-point precision of a routine (`s`/`d`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Prec {
    S,
    D,
}

impl Prec {
    fn letter(self) -> char {
        match self {
            Prec::S => 's',
            Prec::D => 'd',
        }
    }
    pub fn ty(self, module: Module) -> Type {
        let ctx = module.context();
        match self {
            Prec::S => Type::f32(ctx),
            Prec::D => Type::f64(ctx),
        }
    }
}

/// How the primal called the routine.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Iface {
    /// `cblas_dgemm(layout, ...)`: scalars by value.
    Cblas,
    /// `dgemm_(...)`: every argument by reference (C or Fortran callers;
    /// Fortran's hidden character lengths may follow).
    Fortran,
}

/// Splits a callee name into routine, precision and interface.
fn lookup(name: &str) -> Option<(&'static Routine, Prec, Iface)> {
    let (rest, iface, lapacke) = match name.strip_prefix("cblas_") {
        Some(r) => (r, Iface::Cblas, Some(false)),
        None => match name.strip_prefix("LAPACKE_") {
            Some(r) => (r, Iface::Cblas, Some(true)),
            None => (name.strip_suffix('_')?, Iface::Fortran, None),
        },
    };
    let (p, base) = rest.split_at_checked(1)?;
    let prec = match p {
        "s" => Prec::S,
        "d" => Prec::D,
        _ => return None,
    };
    let r = ROUTINES
        .iter()
        .find(|r| r.name == base && lapacke.is_none_or(|l| l == is_lapack(r.kind)))?;
    Some((r, prec, iface))
}

/// Whether `name` looks like a BLAS or LAPACK routine ferment has no rule
/// for (complex precisions, routines not in the table): such calls are
/// reported by name.
pub fn is_unsupported_routine(name: &str) -> bool {
    if lookup(name).is_some() {
        return false;
    }
    let rest = name
        .strip_prefix("cblas_")
        .or_else(|| name.strip_prefix("LAPACKE_"))
        .or_else(|| name.strip_suffix('_'));
    let Some(rest) = rest else {
        return false;
    };
    let rest = rest.strip_prefix('i').unwrap_or(rest);
    let Some((p, base)) = rest.split_at_checked(1) else {
        return false;
    };
    matches!(p, "s" | "d" | "c" | "z")
        && (ROUTINES.iter().any(|r| r.name == base) || OTHER_ROUTINES.contains(&base))
}

/// The names of the supported routines, for messages and documentation.
pub fn supported_names() -> String {
    ROUTINES
        .iter()
        .map(|r| r.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The activity summary of a call to a supported routine (whatever its
/// flags): which arguments it reads and writes.
pub fn known_effects(call: Value) -> Option<Vec<ArgEffect>> {
    if !call.is_call() {
        return None;
    }
    let f = call.called_function()?;
    if !f.is_declaration() {
        return None;
    }
    let (r, _, iface) = lookup(&f.name())?;
    let roles = roles_of(r, iface);
    let mut arrays = 0;
    let mut out: Vec<ArgEffect> = roles
        .iter()
        .map(|role| match role {
            Scalar => ArgEffect::Read,
            Matrix | Vector | Values => {
                let k = arrays;
                arrays += 1;
                if r.writes.contains(&k) {
                    ArgEffect::Written
                } else {
                    ArgEffect::Read
                }
            }
            Pivots if writes_pivots(r.kind) => ArgEffect::WrittenInert,
            Info | Work => ArgEffect::WrittenInert,
            _ => ArgEffect::Inert,
        })
        .collect();
    out.resize(call.num_call_args(), ArgEffect::Inert);
    Some(out)
}

/// The floating-point arrays a call to a supported routine reads or
/// writes, and their precision: facts for the type analysis (a buffer only
/// BLAS touches is still known to hold floats).
pub fn float_arrays(call: Value) -> Option<(Prec, Vec<Value>)> {
    if !call.is_call() {
        return None;
    }
    let f = call.called_function()?;
    if !f.is_declaration() {
        return None;
    }
    let (r, prec, iface) = lookup(&f.name())?;
    let arrays = roles_of(r, iface)
        .iter()
        .zip(call.call_args())
        .filter(|(role, a)| matches!(role, Matrix | Vector | Values) && a.ty().is_pointer())
        .map(|(_, a)| a)
        .collect();
    Some((prec, arrays))
}

fn roles_of(r: &Routine, iface: Iface) -> Vec<Role> {
    r.roles
        .iter()
        .copied()
        .filter(|&x| match iface {
            Iface::Cblas => !matches!(x, Info | Work | Lwork),
            Iface::Fortran => x != Layout,
        })
        .collect()
}

/// A scalar operand: its value, and for the Fortran interface the pointer
/// it was read through (whose shadow holds its derivative).
#[derive(Clone, Copy, Debug)]
pub struct Scalar {
    pub value: Value,
    pub by_ref: Option<Value>,
}

/// A matrix (column-major, `stride` = leading dimension) or a vector
/// (`stride` = increment).
#[derive(Clone, Copy, Debug)]
pub struct Array {
    pub ptr: Value,
    pub stride: Value,
    pub matrix: bool,
}

/// One BLAS call in column-major form.
///
/// - `Gemm`: dims `m n k`, scalars `alpha beta`, arrays `A B C`, `trans` of A and B;
/// - `Gemv`: dims `m n` (of A), scalars `alpha beta`, arrays `A x y`, `trans[0]`;
/// - `Ger`: dims `m n`, scalar `alpha`, arrays `x y A`;
/// - level 1: dim `n`, scalar `alpha` (axpy, scal), arrays `x [y]`.
#[derive(Clone, Debug)]
pub struct Op {
    pub kind: Kind,
    pub prec: Prec,
    pub iface: Iface,
    pub trans: [bool; 2],
    /// Triangular routines: the lower triangle (else the upper), a unit
    /// diagonal, the triangular matrix on the right.
    pub lower: bool,
    pub unit: bool,
    pub right: bool,
    pub dims: Vec<Value>,
    pub scalars: Vec<Scalar>,
    pub arrays: Vec<Array>,
    /// The integer type of dimensions and strides.
    pub int: Type,
    /// LAPACK's pivot array (elements of type `int`).
    pub pivots: Option<Value>,
    /// A row-major LAPACK call the rules see through transposed copies
    /// (see [`transposes_row_major`]); the arrays are its storage.
    pub row_major: bool,
    /// `syev`: eigenvectors computed (`jobz = 'V'`).
    pub vectors: bool,
    /// A factorization's status after the call (set by the generators, see
    /// [`Decoded::status`]): where it is not 0 the derivatives are NaN.
    pub info: Option<Value>,
}

/// Where a factorization reports failure.
#[derive(Clone, Copy, Debug)]
pub enum Status {
    /// LAPACKE's return value.
    Returned,
    /// The Fortran interface's `info` argument (a pointer).
    ByRef(Value),
}

/// A decoded call before its by-reference operands are read: the flags
/// (constants) and the argument of each role.
pub struct Decoded {
    kind: Kind,
    prec: Prec,
    iface: Iface,
    writes: &'static [usize],
    returns: bool,
    row_major: bool,
    trans: Vec<bool>,
    lower: bool,
    unit: bool,
    right: bool,
    vectors: bool,
    /// (role, argument) for every role but the flags.
    args: Vec<(Role, Value)>,
    /// The Fortran interface's `info` pointer.
    info: Option<Value>,
    name: String,
}

/// Decodes a call to a supported routine; `Ok(None)` when the callee is
/// not one (or is defined in the module: then it is differentiated like
/// any function). Flags must be constants.
pub fn decode(call: Value) -> Result<Option<Decoded>> {
    if !call.is_call() {
        return Ok(None);
    }
    let Some(f) = call.called_function() else {
        return Ok(None);
    };
    if !f.is_declaration() {
        return Ok(None);
    }
    let name = f.name();
    let Some((r, prec, iface)) = lookup(&name) else {
        return Ok(None);
    };
    let roles = roles_of(r, iface);
    let args = call.call_args();
    // Fortran callers may append hidden character lengths.
    if args.len() < roles.len() || (iface == Iface::Cblas && args.len() != roles.len()) {
        return Err(Error::at(
            call,
            format!(
                "cannot differentiate call to '{name}': {} arguments, the BLAS routine takes {}",
                args.len(),
                roles.len()
            ),
        ));
    }
    let bad = |what: &str| {
        Error::at(
            call,
            format!(
                "cannot differentiate call to '{name}': its {what} is not a compile-time constant"
            ),
        )
        .hint("pass CblasRowMajor/CblasColMajor, CblasNoTrans/CblasTrans (or 'N'/'T') literally")
    };
    let mut d = Decoded {
        kind: r.kind,
        prec,
        iface,
        writes: r.writes,
        returns: r.returns,
        row_major: false,
        trans: Vec::new(),
        lower: false,
        unit: false,
        right: false,
        vectors: false,
        args: Vec::new(),
        info: None,
        name: name.clone(),
    };
    for (&role, &a) in roles.iter().zip(&args) {
        match role {
            Layout => match a.const_int() {
                Some(101) => d.row_major = true,
                Some(102) => {}
                _ => return Err(bad("layout")),
            },
            Trans => {
                let t = match iface {
                    // LAPACKE takes the letter by value
                    Iface::Cblas => match a.const_int() {
                        Some(111) | Some(78) | Some(110) => false,
                        Some(112 | 113 | 84 | 116 | 67 | 99) => true,
                        _ => return Err(bad("transpose argument")),
                    },
                    Iface::Fortran => match fortran_char(a) {
                        Some('N' | 'n') => false,
                        Some('T' | 't' | 'C' | 'c') => true,
                        _ => return Err(bad("transpose argument")),
                    },
                };
                d.trans.push(t);
            }
            Uplo | Diag | Side => {
                // (CBLAS value, Fortran letter) meaning `true`, and the other
                let (yes, no, what) = match role {
                    Uplo => ((122, 'L'), (121, 'U'), "triangle (uplo) argument"),
                    Diag => ((132, 'U'), (131, 'N'), "diagonal (diag) argument"),
                    _ => ((142, 'R'), (141, 'L'), "side argument"),
                };
                // LAPACKE takes the letter by value
                let letter = |k: i64| {
                    u8::try_from(k)
                        .ok()
                        .map(|c| char::from(c).to_ascii_uppercase())
                };
                let v = match iface {
                    Iface::Cblas => match a.const_int() {
                        Some(k) if k == yes.0 || letter(k) == Some(yes.1) => true,
                        Some(k) if k == no.0 || letter(k) == Some(no.1) => false,
                        _ => return Err(bad(what)),
                    },
                    Iface::Fortran => match fortran_char(a).map(|c| c.to_ascii_uppercase()) {
                        Some(c) if c == yes.1 => true,
                        Some(c) if c == no.1 => false,
                        _ => return Err(bad(what)),
                    },
                };
                match role {
                    Uplo => d.lower = v,
                    Diag => d.unit = v,
                    _ => d.right = v,
                }
            }
            Job => {
                let letter = match iface {
                    Iface::Cblas => a
                        .const_int()
                        .and_then(|k| u8::try_from(k).ok())
                        .map(char::from),
                    Iface::Fortran => fortran_char(a),
                };
                d.vectors = match letter.map(|c| c.to_ascii_uppercase()) {
                    Some('V') => true,
                    Some('N') => false,
                    _ => return Err(bad("job (jobz) argument")),
                };
            }
            Info => {
                if !a.ty().is_pointer() {
                    return Err(Error::at(
                        call,
                        format!("cannot differentiate call to '{name}': its arguments do not match the LAPACK interface"),
                    ));
                }
                d.info = Some(a);
            }
            _ => {
                let want_ptr =
                    iface == Iface::Fortran || matches!(role, Matrix | Vector | Pivots | Values);
                if a.ty().is_pointer() != want_ptr {
                    return Err(Error::at(
                        call,
                        format!("cannot differentiate call to '{name}': its arguments do not match the BLAS interface"),
                    ));
                }
                d.args.push((role, a));
            }
        }
    }
    if d.kind == Kind::Getrf {
        // only square factorizations have a rule; a run-time check covers
        // dimensions that are not constants
        let dims: Vec<Option<i64>> = d
            .args
            .iter()
            .filter(|(r, _)| *r == Dim)
            .map(|&(_, a)| match iface {
                Iface::Cblas => a.const_int(),
                Iface::Fortran => None,
            })
            .collect();
        if let [Some(m), Some(n)] = dims[..] {
            if m != n {
                return Err(Error::at(
                    call,
                    format!("cannot differentiate call to '{name}' on a {m} x {n} matrix: only square LU factorizations have a rule"),
                )
                .hint("factor a square matrix (or use a QR factorization outside the differentiated code)"));
            }
        }
    }
    Ok(Some(d))
}

/// The character a Fortran flag argument points to: a constant string, or
/// a local variable every store into which writes the same constant (flang
/// copies a literal `'N'` into a temporary).
fn fortran_char(p: Value) -> Option<char> {
    let first = |v: Value| v.c_string().and_then(|s| s.chars().next());
    if let Some(c) = first(p) {
        return Some(c);
    }
    let slot = p.strip_casts();
    if slot.is_global() && slot.has_local_linkage() {
        // A file-local variable holding the letter (`static char N = 'N';`)
        // that the file only reads or hands to routines that read their
        // flags: its initial value.
        let init = slot.global_initializer()?;
        let c = init
            .const_int()
            .and_then(|k| u8::try_from(k).ok())
            .map(char::from)
            .or_else(|| first(slot))?;
        let only_read = slot.users().iter().all(|u| {
            u.is_instruction()
                && (u.opcode() == ferment_ir::Opcode::LLVMLoad
                    || (u.is_call()
                        && known_effects(*u).is_some_and(|effects| {
                            u.call_args()
                                .iter()
                                .zip(effects)
                                .all(|(a, e)| a.strip_casts() != slot || !e.writes())
                        })))
        });
        return only_read.then_some(c);
    }
    if !slot.is_instruction() || slot.opcode() != ferment_ir::Opcode::LLVMAlloca {
        return None;
    }
    let mut seen: Option<char> = None;
    for u in slot.users() {
        let c = match u.opcode() {
            ferment_ir::Opcode::LLVMStore if u.operand(1) == slot => {
                let v = u.operand(0);
                match v.const_int() {
                    Some(k) => u8::try_from(k).ok().map(char::from),
                    None if v.is_instruction() && v.opcode() == ferment_ir::Opcode::LLVMLoad => {
                        first(v.operand(0))
                    }
                    None => None,
                }
            }
            ferment_ir::Opcode::LLVMStore => return None,
            ferment_ir::Opcode::LLVMCall if u.call_args().first() == Some(&slot) => {
                let name = u.called_name();
                if name.starts_with("llvm.lifetime") {
                    continue;
                }
                if !name.starts_with("llvm.memcpy") {
                    // passed on: only the BLAS call itself may read it
                    if known_effects(u).is_some() {
                        continue;
                    }
                    return None;
                }
                first(u.operand(1))
            }
            ferment_ir::Opcode::LLVMCall if known_effects(u).is_some() => continue,
            ferment_ir::Opcode::LLVMLoad => continue,
            _ => return None,
        };
        match (c, seen) {
            (None, _) => return None,
            (Some(c), Some(s)) if c != s => return None,
            (Some(c), _) => seen = Some(c),
        }
    }
    seen
}

impl Decoded {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn returns(&self) -> bool {
        self.returns
    }
    /// The pointer arguments of the arrays (matrices and vectors), in order.
    pub fn array_pointers(&self) -> Vec<Value> {
        self.args
            .iter()
            .filter(|(r, _)| matches!(r, Matrix | Vector | Values))
            .map(|(_, a)| *a)
            .collect()
    }
    /// The pointers of by-reference scalars.
    pub fn scalar_pointers(&self) -> Vec<Value> {
        if self.iface == Iface::Cblas {
            return Vec::new();
        }
        self.args
            .iter()
            .filter(|(r, _)| *r == Scalar)
            .map(|(_, a)| *a)
            .collect()
    }
    pub fn writes(&self) -> &'static [usize] {
        self.writes
    }

    /// Where a factorization that may fail (`potrf`, `getrf`, `gesv`)
    /// reports its status.
    pub fn status(&self, call: Value) -> Option<Status> {
        if !matches!(
            self.kind,
            Kind::Potrf | Kind::Getrf | Kind::Gesv | Kind::Syev
        ) {
            return None;
        }
        match self.iface {
            Iface::Cblas => call.ty().is_integer().then_some(Status::Returned),
            Iface::Fortran => self.info.map(Status::ByRef),
        }
    }

    /// A workspace query (`lwork = -1`, Fortran `syev`) computes nothing:
    /// the rules then see a 0 x 0 matrix, so they do nothing either. `b`
    /// stands before the call.
    pub fn skip_query(&self, b: &ferment_ir::Builder, op: &mut Op) {
        let Some(&(_, p)) = self.args.iter().find(|(r, _)| *r == Lwork) else {
            return;
        };
        let lwork = b.load(op.int, p);
        let query = b.icmp(IntPredicate::LLVMIntEQ, lwork, b.const_int(op.int, -1));
        op.dims[0] = b.select(query, b.zero(op.int), op.dims[0]);
    }

    /// The call in column-major form. For the Fortran interface, `load`
    /// reads a by-reference operand (of the given type) where the caller
    /// placed its builder.
    pub fn op(&self, module: Module, load: &mut dyn FnMut(Value, Type) -> Value) -> Op {
        let ft = self.prec.ty(module);
        let i32t = Type::int(module.context(), 32);
        let mut dims = Vec::new();
        let mut scalars = Vec::new();
        let mut arrays: Vec<Array> = Vec::new();
        let mut int = i32t;
        let mut pivots = None;
        for &(role, a) in &self.args {
            let by_value = |load: &mut dyn FnMut(Value, Type) -> Value, ty: Type| match self.iface {
                Iface::Cblas => a,
                Iface::Fortran => load(a, ty),
            };
            match role {
                Dim => {
                    let v = by_value(load, i32t);
                    int = v.ty();
                    dims.push(v);
                }
                Scalar => {
                    let v = by_value(load, ft);
                    scalars.push(Scalar {
                        value: v,
                        by_ref: (self.iface == Iface::Fortran).then_some(a),
                    });
                }
                Matrix | Vector => arrays.push(Array {
                    ptr: a,
                    stride: a,
                    matrix: role == Matrix,
                }),
                Ld | Inc => {
                    let v = by_value(load, int);
                    if let Some(last) = arrays.last_mut() {
                        last.stride = v;
                    }
                }
                Pivots => pivots = Some(a),
                Values => arrays.push(Array {
                    ptr: a,
                    stride: ferment_ir::Builder::new(module).const_int(int, 1),
                    matrix: false,
                }),
                Layout | Trans | Uplo | Diag | Side | Info | Job | Work | Lwork => {}
            }
        }
        let mut trans = [false; 2];
        for (i, t) in self.trans.iter().enumerate().take(2) {
            trans[i] = *t;
        }
        let mut op = Op {
            kind: self.kind,
            prec: self.prec,
            iface: self.iface,
            trans,
            lower: self.lower,
            unit: self.unit,
            right: self.right,
            dims,
            scalars,
            arrays,
            int,
            pivots,
            row_major: self.row_major && transposes_row_major(self.kind),
            vectors: self.vectors,
            info: None,
        };
        if self.row_major && !op.row_major {
            // A row-major matrix is the column-major storage of its
            // transpose: C^T = op(B)^T op(A)^T, y = op(A^T)^T x, A^T += y x^T.
            match op.kind {
                Kind::Gemm => {
                    op.dims.swap(0, 1);
                    op.arrays.swap(0, 1);
                    op.trans.swap(0, 1);
                }
                Kind::Gemv => {
                    op.dims.swap(0, 1);
                    op.trans[0] = !op.trans[0];
                }
                Kind::Ger => {
                    op.dims.swap(0, 1);
                    op.arrays.swap(0, 1);
                }
                // A row-major triangle is the other triangle of the
                // column-major storage, used transposed.
                Kind::Trmv | Kind::Trsv => {
                    op.lower = !op.lower;
                    op.trans[0] = !op.trans[0];
                }
                // B^T = alpha B^T op(A)^T: the other side, the same op on
                // the storage of A^T.
                Kind::Trmm | Kind::Trsm | Kind::Symm => {
                    op.lower = !op.lower;
                    op.right = !op.right;
                    op.dims.swap(0, 1);
                }
                // a symmetric matrix is its own transpose
                Kind::Symv | Kind::Potrf | Kind::Syr | Kind::Syr2 => op.lower = !op.lower,
                // C^T = op(A)^T... : the other triangle, the other op
                Kind::Syrk | Kind::Syr2k => {
                    op.lower = !op.lower;
                    op.trans[0] = !op.trans[0];
                }
                _ => {}
            }
        }
        op
    }
}

/// The extent of an array operand.
#[derive(Clone, Copy, Debug)]
pub enum Extent {
    /// rows x cols, column-major with the array's leading dimension.
    Matrix(Value, Value),
    /// `len` elements `|inc|` apart.
    Vector(Value),
}

impl Op {
    /// The extent of array `i`'s storage (for a row-major LAPACK call the
    /// transpose of the matrix it stands for).
    pub fn extent(&self, i: usize) -> Extent {
        match self.logical_extent(i) {
            Extent::Matrix(r, c) if self.row_major => Extent::Matrix(c, r),
            e => e,
        }
    }

    /// The extent of array `i` as the matrix it stands for.
    pub fn logical_extent(&self, i: usize) -> Extent {
        let d = &self.dims;
        let t = self.trans;
        let mat = |c: bool, a: Value, b: Value| {
            if c {
                Extent::Matrix(b, a)
            } else {
                Extent::Matrix(a, b)
            }
        };
        match (self.kind, i) {
            (Kind::Gemm, 0) => mat(t[0], d[0], d[2]),
            (Kind::Gemm, 1) => mat(t[1], d[2], d[1]),
            (Kind::Gemm, _) => Extent::Matrix(d[0], d[1]),
            (Kind::Gemv, 0) => Extent::Matrix(d[0], d[1]),
            (Kind::Gemv, 1) => Extent::Vector(if t[0] { d[0] } else { d[1] }),
            (Kind::Gemv, _) => Extent::Vector(if t[0] { d[1] } else { d[0] }),
            (Kind::Ger, 0) => Extent::Vector(d[0]),
            (Kind::Ger, 1) => Extent::Vector(d[1]),
            (Kind::Ger, _) => Extent::Matrix(d[0], d[1]),
            (Kind::Trmv | Kind::Trsv, 0) => Extent::Matrix(d[0], d[0]),
            (Kind::Trmm | Kind::Trsm, 0) => {
                let k = if self.right { d[1] } else { d[0] };
                Extent::Matrix(k, k)
            }
            (Kind::Trmm | Kind::Trsm, _) => Extent::Matrix(d[0], d[1]),
            (Kind::Symv, 0) => Extent::Matrix(d[0], d[0]),
            (Kind::Symv, _) => Extent::Vector(d[0]),
            (Kind::Symm, 0) => {
                let k = if self.right { d[1] } else { d[0] };
                Extent::Matrix(k, k)
            }
            (Kind::Symm, _) => Extent::Matrix(d[0], d[1]),
            (Kind::Potrf | Kind::Potrs, 0) => Extent::Matrix(d[0], d[0]),
            (Kind::Potrs, _) => Extent::Matrix(d[0], d[1]),
            (Kind::Getrf, _) => Extent::Matrix(d[0], d[1]),
            (Kind::Getrs | Kind::Gesv, 0) => Extent::Matrix(d[0], d[0]),
            (Kind::Getrs | Kind::Gesv, _) => Extent::Matrix(d[0], d[1]),
            (Kind::Syrk, 0) => mat(t[0], d[0], d[1]),
            (Kind::Syrk, _) => Extent::Matrix(d[0], d[0]),
            (Kind::Syr, 1) | (Kind::Syr2, 2) => Extent::Matrix(d[0], d[0]),
            (Kind::Syr2k, 0 | 1) => mat(t[0], d[0], d[1]),
            (Kind::Syr2k, _) => Extent::Matrix(d[0], d[0]),
            (Kind::Syev, 0) => Extent::Matrix(d[0], d[0]),
            _ => Extent::Vector(d[0]),
        }
    }

    /// The arrays whose values the reverse sweep needs, given which arrays
    /// have shadows and which scalars want adjoints (and whether the result
    /// has an adjoint): their values when the call starts (`after: false`)
    /// or when it returns (`after: true`, for outputs).
    pub fn needed(&self, shadowed: &[bool], scalar_wanted: &[bool], result: bool) -> Vec<Need> {
        let s = |i: usize| shadowed.get(i).copied().unwrap_or(false);
        let w = |i: usize| scalar_wanted.get(i).copied().unwrap_or(false);
        let mut out: Vec<Need> = Vec::new();
        let mut need = |c: bool, array: usize, after: bool| {
            let n = Need { array, after };
            if c && !out.contains(&n) {
                out.push(n)
            }
        };
        match self.kind {
            Kind::Gemm | Kind::Gemv | Kind::Symv | Kind::Symm => {
                if s(2) {
                    need(s(1) || w(0), 0, false);
                    need(s(0) || w(0), 1, false);
                    need(w(1), 2, false);
                }
            }
            Kind::Ger => {
                if s(2) {
                    need(s(1) || w(0), 0, false);
                    need(s(0) || w(0), 1, false);
                }
            }
            Kind::Dot => {
                if result {
                    need(s(1), 0, false);
                    need(s(0), 1, false);
                }
            }
            Kind::Axpy => need(s(1) && w(0), 0, false),
            Kind::Scal => need(s(0) && w(0), 0, false),
            Kind::Copy => {}
            Kind::Nrm2 | Kind::Asum => need(result && s(0), 0, false),
            Kind::Potrf => need(s(0), 0, true),
            Kind::Getrf => need(s(0), 0, true),
            Kind::Getrs => {
                need(s(1), 0, false);
                need(s(1) && s(0), 1, true);
            }
            Kind::Gesv => {
                need(s(0) || s(1), 0, true);
                need(s(0) && s(1), 1, true);
            }
            Kind::Potrs => {
                need(s(1), 0, false);
                need(s(1) && s(0), 1, true);
            }
            Kind::Syrk => {
                need(s(1) && (s(0) || w(0)), 0, false);
                need(s(1) && w(1), 1, false);
            }
            Kind::Syr => need(s(1) && (s(0) || w(0)), 0, false),
            // eigenvectors and eigenvalues after the call, or (jobz 'N') the
            // matrix before it, decomposed again with vectors
            Kind::Syev => {
                let any = s(0) || s(1);
                need(any && self.vectors, 0, true);
                need(any && self.vectors, 1, true);
                need(any && !self.vectors, 0, false);
            }
            Kind::Syr2 | Kind::Syr2k => {
                if s(2) {
                    need(s(1) || w(0), 0, false);
                    need(s(0) || w(0), 1, false);
                    need(w(1), 2, false);
                }
            }
            Kind::Trmv => {
                need(s(1), 0, false);
                need(s(1) && s(0), 1, false);
            }
            Kind::Trsv => {
                need(s(1), 0, false);
                need(s(1) && s(0), 1, true);
            }
            Kind::Trmm => {
                need(s(1), 0, false);
                need(s(1) && (s(0) || w(0)), 1, false);
            }
            Kind::Trsm => {
                need(s(1), 0, false);
                need(s(1) && w(0), 1, false);
                need(s(1) && s(0), 1, true);
            }
        }
        out
    }
}

/// An array the reverse sweep needs, and whether its value before or after
/// the call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Need {
    pub array: usize,
    pub after: bool,
}

/// The number of elements a level-1 routine touches: `scal` and `asum` do
/// nothing for a non-positive increment (reference BLAS and OpenBLAS), the
/// others take a negative one as walking the vector backwards.
/// `inc` is the vector's increment in the call (its shadow's).
fn count(e: &Emit, op: &Op, inc: Value) -> Value {
    let n = op.dims[0];
    match op.kind {
        Kind::Scal | Kind::Asum => {
            let pos = e.b.icmp(IntPredicate::LLVMIntSGT, inc, e.b.zero(inc.ty()));
            e.b.select(pos, n, e.b.zero(n.ty()))
        }
        _ => n,
    }
}
/// The derivative memory and scalar derivatives of one call at the
/// emission point.
#[derive(Clone)]
pub struct Derivs {
    /// Per array: its shadow (adjoint or tangent memory) and the shadow's
    /// stride (the primal array's), if it has one.
    pub shadows: Vec<Option<(Value, Value)>>,
    /// Per scalar: reverse mode: whether its adjoint is wanted; forward
    /// mode: its tangent, if it has one (see [`tangent`]).
    pub scalars: Vec<bool>,
    pub scalar_tangents: Vec<Option<Value>>,
    /// Reverse mode: the adjoint of the returned value.
    pub result: Option<Value>,
    /// Reverse mode: per array the call writes, its value after the call
    /// (pointer, stride) where [`Op::needed`] asked for it.
    pub after: Vec<Option<(Value, Value)>>,
    /// Reverse mode: per array, whether only the sums of its adjoint along
    /// the rows of its (column-major) storage matter to what reads the
    /// adjoint next, so a rule may add those sums to column 0 instead of
    /// the whole adjoint to every element (empty: none).
    pub col_sums: Vec<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(matches!(
            lookup("cblas_dgemm"),
            Some((r, Prec::D, Iface::Cblas)) if r.kind == Kind::Gemm
        ));
        assert!(matches!(
            lookup("sgemv_"),
            Some((r, Prec::S, Iface::Fortran)) if r.kind == Kind::Gemv
        ));
        assert!(lookup("cblas_zgemm").is_none());
        assert!(lookup("gemm_").is_none());
        assert!(is_unsupported_routine("cblas_zgemm"));
        assert!(!is_unsupported_routine("dsyr2k_"));
        assert!(is_unsupported_routine("dspr2_"));
        assert!(matches!(
            lookup("cblas_ssyr"),
            Some((r, Prec::S, Iface::Cblas)) if r.kind == Kind::Syr
        ));
        assert!(!is_unsupported_routine("LAPACKE_dgetrf"));
        assert!(is_unsupported_routine("LAPACKE_dgetri"));
        assert!(matches!(
            lookup("LAPACKE_ssyev"),
            Some((r, Prec::S, Iface::Cblas)) if r.kind == Kind::Syev
        ));
        assert!(matches!(
            lookup("dsyev_"),
            Some((r, Prec::D, Iface::Fortran)) if r.kind == Kind::Syev
        ));
        assert!(!is_unsupported_routine("dsyev_"));
        assert!(matches!(
            lookup("sgesv_"),
            Some((r, Prec::S, Iface::Fortran)) if r.kind == Kind::Gesv
        ));
        assert!(!is_unsupported_routine("dtrsm_"));
        assert!(matches!(
            lookup("LAPACKE_dpotrf"),
            Some((r, Prec::D, Iface::Cblas)) if r.kind == Kind::Potrf
        ));
        assert!(matches!(
            lookup("spotrs_"),
            Some((r, Prec::S, Iface::Fortran)) if r.kind == Kind::Potrs
        ));
        assert!(lookup("cblas_dpotrf").is_none());
        assert!(lookup("LAPACKE_dgemm").is_none());
        assert!(is_unsupported_routine("cblas_idamax"));
        assert!(!is_unsupported_routine("cblas_ddot"));
        assert!(!is_unsupported_routine("my_func_"));
    }

    #[test]
    fn table_is_consistent() {
        for r in ROUTINES {
            let arrays = r
                .roles
                .iter()
                .filter(|x| matches!(x, Matrix | Vector | Values))
                .count();
            assert!(r.writes.iter().all(|&w| w < arrays), "{}", r.name);
            // every array is followed by its stride
            for (i, x) in r.roles.iter().enumerate() {
                match x {
                    Matrix => assert_eq!(r.roles.get(i + 1), Some(&Ld), "{}", r.name),
                    Vector => assert_eq!(r.roles.get(i + 1), Some(&Inc), "{}", r.name),
                    _ => {}
                }
            }
            assert_eq!(r.returns, r.writes.is_empty(), "{}", r.name);
        }
    }
}
