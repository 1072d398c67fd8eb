//! Derivative rules for BLAS calls: the tangent and the adjoint of a BLAS
//! routine are themselves BLAS calls (the adjoint of a matrix product is two
//! matrix products).
//!
//! Role: the table of supported routines as data (each argument's role:
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

use crate::error::{Error, Result};
use crate::reverse::tape::declare;
use ferment_activity_analysis::ArgEffect;
use ferment_ir::{Block, Builder, IntPredicate, Module, RealPredicate, Type, Value};

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
    matches!(kind, Kind::Potrf | Kind::Potrs)
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
    "her", "hpr", "her2", "hpr2", "syr", "spr", "syr2", "spr2", "hemm", "herk", "syr2k", "her2k",
    "potrf", "potrs", "potri", "gesv", "getrf", "getrs", "getri", "syev", "syevd", "gesvd", "gels",
    "geqrf", "posv", "trtrs", "trtri", "lacpy", "lange",
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
            Matrix | Vector => {
                let k = arrays;
                arrays += 1;
                if r.writes.contains(&k) {
                    ArgEffect::Written
                } else {
                    ArgEffect::Read
                }
            }
            _ => ArgEffect::Inert,
        })
        .collect();
    out.resize(call.num_call_args(), ArgEffect::Inert);
    Some(out)
}

fn roles_of(r: &Routine, iface: Iface) -> Vec<Role> {
    r.roles
        .iter()
        .copied()
        .filter(|&x| match iface {
            Iface::Cblas => x != Info,
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
    /// (role, argument) for every role but the flags.
    args: Vec<(Role, Value)>,
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
        args: Vec::new(),
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
                    Iface::Cblas => match a.const_int() {
                        Some(111) => false,
                        Some(112) | Some(113) => true,
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
            Info => {}
            _ => {
                let want_ptr = iface == Iface::Fortran || matches!(role, Matrix | Vector);
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
    if d.kind == Kind::Potrs && d.row_major {
        return Err(Error::at(
            call,
            format!("cannot differentiate call to '{name}' in row-major layout yet"),
        )
        .hint("call it with LAPACK_COL_MAJOR (transpose the right-hand sides), or use cblas_dtrsm twice"));
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
                let name = u.called_function().map(|f| f.name()).unwrap_or_default();
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
            .filter(|(r, _)| matches!(r, Matrix | Vector))
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
                Layout | Trans | Uplo | Diag | Side | Info => {}
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
        };
        if self.row_major {
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
                Kind::Symv | Kind::Potrf => op.lower = !op.lower,
                // C^T = op(A)^T... : the other triangle, the other op
                Kind::Syrk => {
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
    /// The extent of array `i`.
    pub fn extent(&self, i: usize) -> Extent {
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
            (Kind::Syrk, 0) => mat(t[0], d[0], d[1]),
            (Kind::Syrk, _) => Extent::Matrix(d[0], d[0]),
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
            Kind::Potrs => {
                need(s(1), 0, false);
                need(s(1) && s(0), 1, true);
            }
            Kind::Syrk => {
                need(s(1) && (s(0) || w(0)), 0, false);
                need(s(1) && w(1), 1, false);
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

/// Builds CBLAS calls and the few helper loops the rules need, at the
/// builder's position.
pub struct Emit<'a> {
    pub b: &'a Builder,
    pub module: Module,
    pub prec: Prec,
    /// Integer type of dimensions (the primal's).
    pub int: Type,
}

const COL_MAJOR: i64 = 102;
const NO_TRANS: i64 = 111;
const TRANS: i64 = 112;

impl Emit<'_> {
    fn ft(&self) -> Type {
        self.prec.ty(self.module)
    }
    fn ptr(&self) -> Type {
        Type::ptr(self.module.context())
    }
    fn i32(&self) -> Type {
        Type::int(self.module.context(), 32)
    }
    pub fn real(&self, x: f64) -> Value {
        self.b.const_real(self.ft(), x)
    }
    fn int_c(&self, x: i64) -> Value {
        self.b.const_int(self.int, x)
    }
    fn flag(&self, t: bool) -> Value {
        self.b
            .const_int(self.i32(), if t { TRANS } else { NO_TRANS })
    }
    fn cblas(&self, base: &str, ret: Type, args: &[Value]) -> Value {
        let name = format!("cblas_{}{}", self.prec.letter(), base);
        let tys: Vec<Type> = args.iter().map(|a| a.ty()).collect();
        let f = declare(self.module, &name, ret, &tys);
        self.b.call(Type::function(ret, &tys, false), f, args)
    }
    fn void(&self) -> Type {
        Type::void(self.module.context())
    }

    /// C = alpha op(A) op(B) + beta C
    #[allow(clippy::too_many_arguments)]
    pub fn gemm(
        &self,
        ta: bool,
        tb: bool,
        (m, n, k): (Value, Value, Value),
        alpha: Value,
        a: (Value, Value),
        b: (Value, Value),
        beta: Value,
        c: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let args = [
            lay,
            self.flag(ta),
            self.flag(tb),
            m,
            n,
            k,
            alpha,
            a.0,
            a.1,
            b.0,
            b.1,
            beta,
            c.0,
            c.1,
        ];
        self.cblas("gemm", self.void(), &args);
    }

    /// y = alpha op(A) x + beta y
    #[allow(clippy::too_many_arguments)]
    pub fn gemv(
        &self,
        t: bool,
        (m, n): (Value, Value),
        alpha: Value,
        a: (Value, Value),
        x: (Value, Value),
        beta: Value,
        y: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let args = [
            lay,
            self.flag(t),
            m,
            n,
            alpha,
            a.0,
            a.1,
            x.0,
            x.1,
            beta,
            y.0,
            y.1,
        ];
        self.cblas("gemv", self.void(), &args);
    }

    /// A += alpha x y^T
    pub fn ger(
        &self,
        (m, n): (Value, Value),
        alpha: Value,
        x: (Value, Value),
        y: (Value, Value),
        a: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let args = [lay, m, n, alpha, x.0, x.1, y.0, y.1, a.0, a.1];
        self.cblas("ger", self.void(), &args);
    }

    fn tri_flags(&self, lower: bool, t: bool, unit: bool) -> [Value; 3] {
        let i32t = self.i32();
        [
            self.b.const_int(i32t, if lower { 122 } else { 121 }),
            self.flag(t),
            self.b.const_int(i32t, if unit { 132 } else { 131 }),
        ]
    }

    /// x = op(T) x (`solve`: x = op(T)^-1 x)
    #[allow(clippy::too_many_arguments)]
    pub fn trmv(
        &self,
        solve: bool,
        (lower, t, unit): (bool, bool, bool),
        n: Value,
        a: (Value, Value),
        x: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let [u, tr, d] = self.tri_flags(lower, t, unit);
        let args = [lay, u, tr, d, n, a.0, a.1, x.0, x.1];
        self.cblas(if solve { "trsv" } else { "trmv" }, self.void(), &args);
    }

    /// B = alpha op(T) B or alpha B op(T) (`solve`: op(T)^-1)
    #[allow(clippy::too_many_arguments)]
    pub fn trmm(
        &self,
        solve: bool,
        right: bool,
        (lower, t, unit): (bool, bool, bool),
        (m, n): (Value, Value),
        alpha: Value,
        a: (Value, Value),
        b: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let side = self.b.const_int(self.i32(), if right { 142 } else { 141 });
        let [u, tr, d] = self.tri_flags(lower, t, unit);
        let args = [lay, side, u, tr, d, m, n, alpha, a.0, a.1, b.0, b.1];
        self.cblas(if solve { "trsm" } else { "trmm" }, self.void(), &args);
    }

    /// y = alpha S x + beta y
    #[allow(clippy::too_many_arguments)]
    pub fn symv(
        &self,
        lower: bool,
        n: Value,
        alpha: Value,
        a: (Value, Value),
        x: (Value, Value),
        beta: Value,
        y: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let u = self.b.const_int(self.i32(), if lower { 122 } else { 121 });
        let args = [lay, u, n, alpha, a.0, a.1, x.0, x.1, beta, y.0, y.1];
        self.cblas("symv", self.void(), &args);
    }

    /// C = alpha S B + beta C (left) or alpha B S + beta C (right)
    #[allow(clippy::too_many_arguments)]
    pub fn symm(
        &self,
        (right, lower): (bool, bool),
        (m, n): (Value, Value),
        alpha: Value,
        a: (Value, Value),
        b: (Value, Value),
        beta: Value,
        c: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let side = self.b.const_int(self.i32(), if right { 142 } else { 141 });
        let u = self.b.const_int(self.i32(), if lower { 122 } else { 121 });
        let args = [
            lay, side, u, m, n, alpha, a.0, a.1, b.0, b.1, beta, c.0, c.1,
        ];
        self.cblas("symm", self.void(), &args);
    }

    /// C = alpha op(A) op(A)^T + beta C on a triangle; with `b`,
    /// syr2k: alpha (op(A) op(B)^T + op(B) op(A)^T) + beta C.
    #[allow(clippy::too_many_arguments)]
    pub fn syrk(
        &self,
        (lower, t): (bool, bool),
        (n, k): (Value, Value),
        alpha: Value,
        a: (Value, Value),
        b: Option<(Value, Value)>,
        beta: Value,
        c: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let u = self.b.const_int(self.i32(), if lower { 122 } else { 121 });
        let mut args = vec![lay, u, self.flag(t), n, k, alpha, a.0, a.1];
        if let Some(b) = b {
            args.extend([b.0, b.1]);
        }
        args.extend([beta, c.0, c.1]);
        let name = if b.is_some() { "syr2k" } else { "syrk" };
        self.cblas(name, self.void(), &args);
    }

    /// Y_tri += s (X + X^T) (s X[i,i] on the diagonal) over an n x n
    /// triangle: the adjoint of a symmetric matrix stored in that triangle.
    pub fn sym_add(&self, lower: bool, n: Value, s: Value, x: (Value, Value), y: (Value, Value)) {
        let h = self.helper(Helper::SymAdd { lower });
        let args = [
            s,
            self.i64(n),
            self.i64(n),
            x.0,
            self.i64(x.1),
            y.0,
            self.i64(y.1),
        ];
        self.b.call_fn(h, &args);
    }

    /// A heap n x n matrix: the symmetric matrix stored in a triangle of
    /// X (with its diagonal doubled when `double_diag`).
    pub fn sym_pack(
        &self,
        lower: bool,
        double_diag: bool,
        n: Value,
        x: (Value, Value),
    ) -> (Value, Value) {
        let p = self.temp(n, n);
        let h = self.helper(Helper::SymPack { lower, double_diag });
        let args = [
            self.real(0.0),
            self.i64(n),
            self.i64(n),
            x.0,
            self.i64(x.1),
            p.0,
            self.i64(p.1),
        ];
        self.b.call_fn(h, &args);
        p
    }

    /// X = Phi(X): the triangle with its diagonal halved, 0 elsewhere.
    pub fn phi(&self, lower: bool, n: Value, x: (Value, Value)) {
        let h = self.helper(Helper::Phi { lower });
        let null = self.b.zero(self.ptr());
        let z = self.b.const_int(self.b.i64(), 0);
        let args = [
            self.real(0.0),
            self.i64(n),
            self.i64(n),
            x.0,
            self.i64(x.1),
            null,
            z,
        ];
        self.b.call_fn(h, &args);
    }

    /// B = C^-1 B for C = L L^T (lower) or U^T U (upper) given the factor.
    pub fn chol_solve(
        &self,
        lower: bool,
        (n, r): (Value, Value),
        f: (Value, Value),
        b: (Value, Value),
    ) {
        let one = self.real(1.0);
        // lower: L^-T (L^-1 B); upper: U^-1 (U^-T B)
        self.trmm(true, false, (lower, !lower, false), (n, r), one, f, b);
        self.trmm(true, false, (lower, lower, false), (n, r), one, f, b);
    }

    /// X_tri = s X_tri over an n x n triangle.
    pub fn tri_scale(&self, lower: bool, n: Value, s: Value, x: (Value, Value)) {
        let h = self.helper(Helper::TriScale { lower });
        let null = self.b.zero(self.ptr());
        let z = self.b.const_int(self.b.i64(), 0);
        let args = [s, self.i64(n), self.i64(n), x.0, self.i64(x.1), null, z];
        self.b.call_fn(h, &args);
    }

    /// A_tri += s X over the n x n triangle a triangular routine reads.
    pub fn tri_add(
        &self,
        (lower, unit): (bool, bool),
        n: Value,
        s: Value,
        x: (Value, Value),
        a: (Value, Value),
    ) {
        let h = self.helper(Helper::TriAdd { lower, unit });
        let args = [
            s,
            self.i64(n),
            self.i64(n),
            x.0,
            self.i64(x.1),
            a.0,
            self.i64(a.1),
        ];
        self.b.call_fn(h, &args);
    }

    /// A heap n x n matrix (leading dimension returned) holding the
    /// triangle of A a triangular routine reads, zero elsewhere.
    pub fn tri_pack(
        &self,
        (lower, unit): (bool, bool),
        n: Value,
        a: (Value, Value),
    ) -> (Value, Value) {
        let p = self.calloc(n, n);
        let ld = self.packed_stride(a.1, Extent::Matrix(n, n));
        let h = self.helper(Helper::TriPack { lower, unit });
        let args = [
            self.real(0.0),
            self.i64(n),
            self.i64(n),
            a.0,
            self.i64(a.1),
            p,
            self.i64(ld),
        ];
        self.b.call_fn(h, &args);
        (p, ld)
    }

    /// A zeroed heap rows x cols matrix and its leading dimension.
    pub fn temp(&self, rows: Value, cols: Value) -> (Value, Value) {
        let p = self.calloc(rows, cols);
        (p, self.packed_stride(rows, Extent::Matrix(rows, cols)))
    }

    /// y += alpha x
    pub fn axpy(&self, n: Value, alpha: Value, x: (Value, Value), y: (Value, Value)) {
        self.cblas("axpy", self.void(), &[n, alpha, x.0, x.1, y.0, y.1]);
    }

    pub fn dot(&self, n: Value, x: (Value, Value), y: (Value, Value)) -> Value {
        self.cblas("dot", self.ft(), &[n, x.0, x.1, y.0, y.1])
    }

    pub fn copy(&self, n: Value, x: (Value, Value), y: (Value, Value)) {
        self.cblas("copy", self.void(), &[n, x.0, x.1, y.0, y.1]);
    }

    /// `|inc|`
    pub fn abs_int(&self, v: Value) -> Value {
        let neg = self
            .b
            .icmp(IntPredicate::LLVMIntSLT, v, self.b.zero(v.ty()));
        self.b
            .select(neg, self.b.sub_int(self.b.zero(v.ty()), v), v)
    }

    /// The stride of a packed copy of an array (see [`Emit::pack`]): the
    /// number of rows for a matrix (at least 1); for a vector the sign of
    /// its increment, so that the logical order of the elements is kept.
    pub fn packed_stride(&self, stride: Value, ext: Extent) -> Value {
        match ext {
            Extent::Matrix(rows, _) => {
                let small = self.b.icmp(IntPredicate::LLVMIntSLT, rows, self.int_c(1));
                self.b.select(small, self.int_c(1), rows)
            }
            Extent::Vector(_) => {
                let neg = self.b.icmp(IntPredicate::LLVMIntSLT, stride, self.int_c(0));
                self.b.select(neg, self.int_c(-1), self.int_c(1))
            }
        }
    }

    /// (rows, cols, ld) of the storage of an array: a vector is one row
    /// whose columns are `|inc|` apart.
    fn storage(&self, stride: Value, ext: Extent) -> (Value, Value, Value) {
        match ext {
            Extent::Matrix(r, c) => (r, c, stride),
            Extent::Vector(n) => (self.int_c(1), n, self.abs_int(stride)),
        }
    }

    /// Bytes of a packed rows x cols array.
    fn bytes(&self, rows: Value, cols: Value) -> Value {
        let i64t = self.b.i64();
        let r = self.b.int_cast(rows, i64t, true);
        let c = self.b.int_cast(cols, i64t, true);
        let n = self.b.mul_int(r, c);
        let size = self.module.alloc_size(self.ft()) as i64;
        self.b.mul_int(n, self.b.const_int(i64t, size))
    }

    /// A zeroed heap buffer of rows x cols elements.
    pub fn calloc(&self, rows: Value, cols: Value) -> Value {
        let i64t = self.b.i64();
        let f = declare(self.module, "calloc", self.ptr(), &[i64t, i64t]);
        let bytes = self.bytes(rows, cols);
        // at least one byte, so a null result always means failure
        let one = self.b.const_int(i64t, 1);
        let small = self.b.icmp(IntPredicate::LLVMIntSLT, bytes, one);
        let bytes = self.b.select(small, one, bytes);
        self.b.call_fn(f, &[one, bytes])
    }

    pub fn free(&self, p: Value) {
        let f = declare(self.module, "free", self.void(), &[self.ptr()]);
        self.b.call_fn(f, &[p]);
    }

    /// A heap copy of an array, to be used with [`Emit::packed_stride`].
    pub fn pack(&self, arr: &Array, ext: Extent) -> Value {
        let (rows, cols, ld) = self.storage(arr.stride, ext);
        let buf = self.calloc(rows, cols);
        let h = self.helper(Helper::Pack);
        self.b.call_fn(
            h,
            &[
                self.real(0.0),
                self.i64(rows),
                self.i64(cols),
                arr.ptr,
                self.i64(ld),
                buf,
                self.i64(rows),
            ],
        );
        buf
    }

    fn i64(&self, v: Value) -> Value {
        self.b.int_cast(v, self.b.i64(), true)
    }

    /// `X = beta X` over the storage of an array (`beta == 0` clears it,
    /// so that a NaN or infinity there does not survive).
    pub fn scale(&self, beta: Value, x: (Value, Value), ext: Extent) {
        let (rows, cols, ld) = self.storage(x.1, ext);
        let h = self.helper(Helper::Scale);
        let null = self.b.zero(self.ptr());
        let z = self.b.const_int(self.b.i64(), 0);
        self.b.call_fn(
            h,
            &[
                beta,
                self.i64(rows),
                self.i64(cols),
                x.0,
                self.i64(ld),
                null,
                z,
            ],
        );
    }

    /// `sum_ij X_ij Y_ij` over two matrices of the same shape.
    pub fn dot_matrix(&self, shape: (Value, Value), x: (Value, Value), y: (Value, Value)) -> Value {
        let h = self.helper(Helper::Dot);
        self.b.call_fn(
            h,
            &[
                self.real(0.0),
                self.i64(shape.0),
                self.i64(shape.1),
                x.0,
                self.i64(x.1),
                y.0,
                self.i64(y.1),
            ],
        )
    }

    /// `y_i += a sign(x_i)` (sign by the sign bit) over `n` elements, in
    /// storage order (`|incx|` and `|incy|` apart).
    pub fn sign_axpy(&self, n: Value, a: Value, x: (Value, Value), y: (Value, Value)) {
        let h = self.helper(Helper::SignAxpy);
        let one = self.b.const_int(self.b.i64(), 1);
        let (lx, ly) = (self.i64(self.abs_int(x.1)), self.i64(self.abs_int(y.1)));
        self.b.call_fn(h, &[a, one, self.i64(n), x.0, lx, y.0, ly]);
    }

    /// `sum_i sign(x_i) y_i` over `n` elements, in storage order.
    pub fn sign_dot(&self, n: Value, x: (Value, Value), y: (Value, Value)) -> Value {
        let h = self.helper(Helper::SignDot);
        let one = self.b.const_int(self.b.i64(), 1);
        let (lx, ly) = (self.i64(self.abs_int(x.1)), self.i64(self.abs_int(y.1)));
        self.b
            .call_fn(h, &[self.real(0.0), one, self.i64(n), x.0, lx, y.0, ly])
    }

    /// An internal helper function looping over a rows x cols matrix
    /// `(s, rows, cols, X, ldx, Y, ldy) -> T` (all helpers share this
    /// signature; unused operands are ignored).
    fn helper(&self, h: Helper) -> Value {
        let ft = self.ft();
        let name = format!("ferment.blas.{}.{}", h.name(), self.prec.letter());
        if let Some(f) = self.module.function(&name) {
            return f;
        }
        let ctx = self.module.context();
        let i64t = Type::int(ctx, 64);
        let ptr = self.ptr();
        let ret = if h.returns() { ft } else { Type::void(ctx) };
        let f = self.module.add_function(
            &name,
            Type::function(ret, &[ft, i64t, i64t, ptr, i64t, ptr, i64t], false),
        );
        f.set_internal();
        let p = f.params();
        let (s, rows, cols, x, ldx, y, ldy) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
        let b = Builder::new(self.module);
        let entry = f.append_block("entry");
        let outer = f.append_block("col");
        let inner = f.append_block("row");
        let latch = f.append_block("col.next");
        let exit = f.append_block("exit");
        b.at_end(entry);
        let zero = b.const_int(i64t, 0);
        let one = b.const_int(i64t, 1);
        let no_rows = b.icmp(IntPredicate::LLVMIntSLE, rows, zero);
        let empty = b.select(
            no_rows,
            no_rows,
            b.icmp(IntPredicate::LLVMIntSLE, cols, zero),
        );
        b.cond_br(empty, exit, outer);
        // for j in 0..cols
        b.at_end(outer);
        let j = b.phi(i64t, "j");
        let acc_col = b.phi(ft, "acc.col");
        b.br(inner);
        // for i in 0..rows
        b.at_end(inner);
        let i = b.phi(i64t, "i");
        let acc = b.phi(ft, "acc");
        let at = |base: Value, ld: Value| {
            let off = b.add_int(i, b.mul_int(j, ld));
            b.gep(ft, base, &[off])
        };
        let px = at(x, ldx);
        let fzero = b.const_real(ft, 0.0);
        let fone = b.const_real(ft, 1.0);
        let sign = |v: Value| b.intrinsic("llvm.copysign", &[ft], &[fone, v]);
        let acc_next = match h {
            Helper::Pack => {
                let v = b.load(ft, px);
                b.store(v, at(y, ldy));
                acc
            }
            Helper::Scale => {
                let v = b.load(ft, px);
                let is0 = b.fcmp(RealPredicate::LLVMRealOEQ, s, fzero);
                b.store(b.select(is0, fzero, b.fmul(s, v)), px);
                acc
            }
            Helper::Dot => {
                let u = b.load(ft, px);
                let v = b.load(ft, at(y, ldy));
                b.fadd(acc, b.fmul(u, v))
            }
            Helper::SignAxpy => {
                let u = b.load(ft, px);
                let py = at(y, ldy);
                let v = b.load(ft, py);
                b.store(b.fadd(v, b.fmul(s, sign(u))), py);
                acc
            }
            Helper::SignDot => {
                let u = b.load(ft, px);
                let v = b.load(ft, at(y, ldy));
                b.fadd(acc, b.fmul(sign(u), v))
            }
            Helper::TriAdd { lower, unit } | Helper::TriPack { lower, unit } => {
                // (i, j) in the triangle the routine reads
                let p = if lower {
                    IntPredicate::LLVMIntSGE
                } else {
                    IntPredicate::LLVMIntSLE
                };
                let mut inside = b.icmp(p, i, j);
                if unit {
                    let off = b.icmp(IntPredicate::LLVMIntNE, i, j);
                    inside = b.select(inside, off, inside);
                }
                let py = at(y, ldy);
                let u = b.load(ft, px);
                if matches!(h, Helper::TriAdd { .. }) {
                    let v = b.load(ft, py);
                    b.store(b.select(inside, b.fadd(v, b.fmul(s, u)), v), py);
                } else {
                    b.store(b.select(inside, u, fzero), py);
                }
                acc
            }
            Helper::Phi { lower } => {
                let p = if lower {
                    IntPredicate::LLVMIntSGE
                } else {
                    IntPredicate::LLVMIntSLE
                };
                let inside = b.icmp(p, i, j);
                let diag = b.icmp(IntPredicate::LLVMIntEQ, i, j);
                let v = b.load(ft, px);
                let kept = b.select(diag, b.fmul(b.const_real(ft, 0.5), v), v);
                b.store(b.select(inside, kept, fzero), px);
                acc
            }
            Helper::SymAdd { lower }
            | Helper::SymPack { lower, .. }
            | Helper::TriScale { lower } => {
                let p = if lower {
                    IntPredicate::LLVMIntSGE
                } else {
                    IntPredicate::LLVMIntSLE
                };
                let inside = b.icmp(p, i, j);
                let diag = b.icmp(IntPredicate::LLVMIntEQ, i, j);
                match h {
                    Helper::SymAdd { .. } => {
                        // X[j,i], read only where it is inside the matrix pair
                        let xt = b.gep(ft, x, &[b.add_int(j, b.mul_int(i, ldx))]);
                        let u = b.load(ft, px);
                        let ut = b.load(ft, xt);
                        let sum = b.select(diag, u, b.fadd(u, ut));
                        let py = at(y, ldy);
                        let v = b.load(ft, py);
                        b.store(b.select(inside, b.fadd(v, b.fmul(s, sum)), v), py);
                    }
                    Helper::SymPack { double_diag, .. } => {
                        // Y[i,j] = X[i,j] inside the triangle, X[j,i] outside
                        let xt = b.gep(ft, x, &[b.add_int(j, b.mul_int(i, ldx))]);
                        let src = b.select(inside, px, xt);
                        let u = b.load(ft, src);
                        let u = if double_diag {
                            b.select(diag, b.fadd(u, u), u)
                        } else {
                            u
                        };
                        b.store(u, at(y, ldy));
                    }
                    _ => {
                        let v = b.load(ft, px);
                        let is0 = b.fcmp(RealPredicate::LLVMRealOEQ, s, fzero);
                        let scaled = b.select(is0, fzero, b.fmul(s, v));
                        b.store(b.select(inside, scaled, v), px);
                    }
                }
                acc
            }
        };
        let i1 = b.add_int(i, one);
        let more = b.icmp(IntPredicate::LLVMIntSLT, i1, rows);
        let inner_end: Block = b.insert_block();
        b.cond_br(more, inner, latch);
        i.add_incoming(zero, outer);
        i.add_incoming(i1, inner_end);
        acc.add_incoming(acc_col, outer);
        acc.add_incoming(acc_next, inner_end);
        b.at_end(latch);
        let j1 = b.add_int(j, one);
        let more = b.icmp(IntPredicate::LLVMIntSLT, j1, cols);
        b.cond_br(more, outer, exit);
        j.add_incoming(zero, entry);
        j.add_incoming(j1, latch);
        acc_col.add_incoming(fzero, entry);
        acc_col.add_incoming(acc_next, latch);
        b.at_end(exit);
        if h.returns() {
            let r = b.phi(ft, "sum");
            r.add_incoming(fzero, entry);
            r.add_incoming(acc_next, latch);
            b.ret(r);
        } else {
            b.ret_void();
        }
        f
    }
}

#[derive(Clone, Copy)]
enum Helper {
    /// Y[i,j] = X[i,j]
    Pack,
    /// X[i,j] = s X[i,j] (0 when s == 0)
    Scale,
    /// sum X[i,j] Y[i,j]
    Dot,
    /// Y[i,j] += s sign(X[i,j])
    SignAxpy,
    /// sum sign(X[i,j]) Y[i,j]
    SignDot,
    /// Y[i,j] += s X[i,j] on the triangle a triangular routine reads
    TriAdd { lower: bool, unit: bool },
    /// Y[i,j] = X[i,j] on that triangle, 0 elsewhere
    TriPack { lower: bool, unit: bool },
    /// Y[i,j] += s (X[i,j] + X[j,i]) on a triangle (s X[i,i] on the diagonal)
    SymAdd { lower: bool },
    /// Y = the symmetric matrix stored in a triangle of X (diagonal doubled
    /// with `double_diag`: the triangle plus its transpose)
    SymPack { lower: bool, double_diag: bool },
    /// X[i,j] = s X[i,j] on a triangle (0 when s == 0)
    TriScale { lower: bool },
    /// X = the triangle of X with its diagonal halved, 0 elsewhere
    /// (Murray's Phi, in the Cholesky derivatives)
    Phi { lower: bool },
}

impl Helper {
    fn name(self) -> String {
        let tri = |what: &str, lower: bool, unit: bool| {
            format!(
                "{what}.{}.{}",
                if lower { "lower" } else { "upper" },
                if unit { "unit" } else { "nonunit" }
            )
        };
        match self {
            Helper::Pack => "pack".into(),
            Helper::Scale => "scale".into(),
            Helper::Dot => "dot".into(),
            Helper::SignAxpy => "signaxpy".into(),
            Helper::SignDot => "signdot".into(),
            Helper::TriAdd { lower, unit } => tri("triadd", lower, unit),
            Helper::TriPack { lower, unit } => tri("tripack", lower, unit),
            Helper::SymAdd { lower } => tri("symadd", lower, false),
            Helper::SymPack { lower, double_diag } => tri("sympack", lower, double_diag),
            Helper::TriScale { lower } => tri("triscale", lower, false),
            Helper::Phi { lower } => tri("phi", lower, false),
        }
    }
    fn returns(self) -> bool {
        matches!(self, Helper::Dot | Helper::SignDot)
    }
}

/// The derivative memory and scalar derivatives of one call at the
/// emission point.
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
}

/// Reverse mode: accumulates the adjoints of the call's inputs into their
/// shadows (and the output's adjoint becomes that of its old value).
/// `op`'s values are those at the emission point, with the arrays named
/// by [`Op::needed`] pointing at their values at the time of the call;
/// `result` is the primal result (read by `nrm2`). Returns the adjoints of
/// the scalars (by position).
pub fn adjoint(e: &Emit, op: &Op, d: &Derivs, result: Option<Value>) -> Vec<Option<Value>> {
    let arr = |i: usize| (op.arrays[i].ptr, op.arrays[i].stride);
    let sh = |i: usize| d.shadows[i];
    // the generator provides what `Op::needed` asks for
    let after = |i: usize| {
        d.after
            .get(i)
            .copied()
            .flatten()
            .expect("value of an output after the call")
    };
    let alpha = || op.scalars[0].value;
    let want = |i: usize| d.scalars.get(i).copied().unwrap_or(false);
    let mut out = vec![None; op.scalars.len()];
    let one = e.real(1.0);
    let dims = &op.dims;
    match op.kind {
        Kind::Gemm => {
            let Some(dc) = sh(2) else { return out };
            let (m, n, k) = (dims[0], dims[1], dims[2]);
            let [ta, tb] = op.trans;
            if let Some(da) = sh(0) {
                if !ta {
                    e.gemm(false, !tb, (m, k, n), alpha(), dc, arr(1), one, da);
                } else {
                    e.gemm(tb, true, (k, m, n), alpha(), arr(1), dc, one, da);
                }
            }
            if let Some(db) = sh(1) {
                if !tb {
                    e.gemm(!ta, false, (k, n, m), alpha(), arr(0), dc, one, db);
                } else {
                    e.gemm(true, ta, (n, k, m), alpha(), dc, arr(0), one, db);
                }
            }
            if want(0) {
                let p = e.calloc(m, n);
                let ld = e.packed_stride(op.arrays[2].stride, Extent::Matrix(m, n));
                e.gemm(ta, tb, (m, n, k), one, arr(0), arr(1), e.real(0.0), (p, ld));
                out[0] = Some(e.dot_matrix((m, n), dc, (p, ld)));
                e.free(p);
            }
            if want(1) {
                out[1] = Some(e.dot_matrix((m, n), dc, arr(2)));
            }
            e.scale(op.scalars[1].value, dc, Extent::Matrix(m, n));
        }
        Kind::Gemv => {
            let Some(dy) = sh(2) else { return out };
            let (m, n) = (dims[0], dims[1]);
            let t = op.trans[0];
            let ly = if t { n } else { m };
            if let Some(da) = sh(0) {
                if !t {
                    e.ger((m, n), alpha(), dy, arr(1), da);
                } else {
                    e.ger((m, n), alpha(), arr(1), dy, da);
                }
            }
            if let Some(dx) = sh(1) {
                e.gemv(!t, (m, n), alpha(), arr(0), dy, one, dx);
            }
            if want(0) {
                let p = e.calloc(e.int_c(1), ly);
                let unit = e.int_c(1);
                e.gemv(t, (m, n), one, arr(0), arr(1), e.real(0.0), (p, unit));
                out[0] = Some(e.dot(ly, dy, (p, unit)));
                e.free(p);
            }
            if want(1) {
                out[1] = Some(e.dot(ly, dy, arr(2)));
            }
            e.scale(op.scalars[1].value, dy, Extent::Vector(ly));
        }
        Kind::Ger => {
            let Some(da) = sh(2) else { return out };
            let (m, n) = (dims[0], dims[1]);
            if let Some(dx) = sh(0) {
                e.gemv(false, (m, n), alpha(), da, arr(1), one, dx);
            }
            if let Some(dy) = sh(1) {
                e.gemv(true, (m, n), alpha(), da, arr(0), one, dy);
            }
            if want(0) {
                let p = e.calloc(e.int_c(1), m);
                let unit = e.int_c(1);
                e.gemv(false, (m, n), one, da, arr(1), e.real(0.0), (p, unit));
                out[0] = Some(e.dot(m, arr(0), (p, unit)));
                e.free(p);
            }
        }
        Kind::Dot => {
            let Some(dr) = d.result else { return out };
            let n = dims[0];
            if let Some(dx) = sh(0) {
                e.axpy(n, dr, arr(1), dx);
            }
            if let Some(dy) = sh(1) {
                e.axpy(n, dr, arr(0), dy);
            }
        }
        Kind::Axpy => {
            let Some(dy) = sh(1) else { return out };
            let n = dims[0];
            if let Some(dx) = sh(0) {
                e.axpy(n, alpha(), dy, dx);
            }
            if want(0) {
                out[0] = Some(e.dot(n, arr(0), dy));
            }
        }
        Kind::Scal => {
            let Some(dx) = sh(0) else { return out };
            let n = count(e, op, dx.1);
            if want(0) {
                out[0] = Some(e.dot(n, arr(0), dx));
            }
            e.scale(alpha(), dx, Extent::Vector(n));
        }
        Kind::Copy => {
            let Some(dy) = sh(1) else { return out };
            let n = dims[0];
            if let Some(dx) = sh(0) {
                e.axpy(n, one, dy, dx);
            }
            e.scale(e.real(0.0), dy, Extent::Vector(n));
        }
        Kind::Nrm2 => {
            let (Some(dr), Some(dx), Some(r)) = (d.result, sh(0), result) else {
                return out;
            };
            // d|x| = x / |x| (0 at x = 0)
            let b = e.b;
            let zero = e.real(0.0);
            let is0 = b.fcmp(RealPredicate::LLVMRealOEQ, r, zero);
            let c = b.select(is0, zero, b.fdiv(dr, r));
            e.axpy(dims[0], c, arr(0), dx);
        }
        Kind::Symv => {
            let Some(dy) = sh(2) else { return out };
            let n = dims[0];
            let lower = op.lower;
            if let Some(da) = sh(0) {
                // dS = alpha y' x^T, folded onto the stored triangle
                let g = e.temp(n, n);
                e.ger((n, n), alpha(), dy, arr(1), g);
                e.sym_add(lower, n, one, g, da);
                e.free(g.0);
            }
            if let Some(dx) = sh(1) {
                e.symv(lower, n, alpha(), arr(0), dy, one, dx);
            }
            if want(0) {
                let unit = e.int_c(1);
                let p = e.calloc(unit, n);
                e.symv(lower, n, one, arr(0), arr(1), e.real(0.0), (p, unit));
                out[0] = Some(e.dot(n, dy, (p, unit)));
                e.free(p);
            }
            if want(1) {
                out[1] = Some(e.dot(n, dy, arr(2)));
            }
            e.scale(op.scalars[1].value, dy, Extent::Vector(n));
        }
        Kind::Symm => {
            let Some(dc) = sh(2) else { return out };
            let (m, n) = (dims[0], dims[1]);
            let (right, lower) = (op.right, op.lower);
            let zero = e.real(0.0);
            if let Some(da) = sh(0) {
                // dS = alpha C' B^T (left) or alpha B^T C' (right), folded
                let k = if right { n } else { m };
                let g = e.temp(k, k);
                if right {
                    e.gemm(true, false, (n, n, m), alpha(), arr(1), dc, zero, g);
                } else {
                    e.gemm(false, true, (m, m, n), alpha(), dc, arr(1), zero, g);
                }
                e.sym_add(lower, k, one, g, da);
                e.free(g.0);
            }
            if let Some(db) = sh(1) {
                e.symm((right, lower), (m, n), alpha(), arr(0), dc, one, db);
            }
            if want(0) {
                let p = e.temp(m, n);
                e.symm((right, lower), (m, n), one, arr(0), arr(1), zero, p);
                out[0] = Some(e.dot_matrix((m, n), dc, p));
                e.free(p.0);
            }
            if want(1) {
                out[1] = Some(e.dot_matrix((m, n), dc, arr(2)));
            }
            e.scale(op.scalars[1].value, dc, Extent::Matrix(m, n));
        }
        Kind::Syrk => {
            let Some(dc) = sh(1) else { return out };
            let (n, k) = (dims[0], dims[1]);
            let (lower, t) = (op.lower, op.trans[0]);
            let zero = e.real(0.0);
            if let Some(da) = sh(0) {
                // d op(A) = alpha (M + M^T) op(A), M = C' on the triangle
                let sm = e.sym_pack(lower, true, n, dc);
                if t {
                    e.gemm(false, false, (k, n, n), alpha(), arr(0), sm, one, da);
                } else {
                    e.gemm(false, false, (n, k, n), alpha(), sm, arr(0), one, da);
                }
                e.free(sm.0);
            }
            if want(0) {
                let p = e.temp(n, n);
                e.syrk((lower, t), (n, k), one, arr(0), None, zero, p);
                out[0] = Some(e.dot_matrix((n, n), dc, p));
                e.free(p.0);
            }
            if want(1) {
                let p = e.tri_pack((lower, false), n, arr(1));
                out[1] = Some(e.dot_matrix((n, n), dc, p));
                e.free(p.0);
            }
            e.tri_scale(lower, n, op.scalars[1].value, dc);
        }
        Kind::Potrf => {
            // A = L L^T: A' = L^-T Phi(L^T L') L^-1 folded onto the stored
            // triangle, which held L' (upper: U^T U, transposed throughout;
            // the fold does not see the transpose).
            let Some(da) = sh(0) else { return out };
            let n = dims[0];
            let lower = op.lower;
            let f = after(0);
            let p = e.tri_pack((lower, false), n, da);
            // lower: L^T L'; upper: U' U^T
            e.trmm(false, !lower, (lower, true, false), (n, n), one, f, p);
            e.phi(lower, n, p);
            // lower: L^-T P L^-1; upper: U^-1 P U^-T
            e.trmm(true, false, (lower, lower, false), (n, n), one, f, p);
            e.trmm(true, true, (lower, !lower, false), (n, n), one, f, p);
            e.tri_scale(lower, n, e.real(0.0), da);
            e.sym_add(lower, n, one, p, da);
            e.free(p.0);
        }
        Kind::Potrs => {
            // X = C^-1 B: B' = C^-1 X'; C' = -B' X^T, so L' -= tril((B' X^T + X B'^T) L)
            // (upper: U' -= triu(U (B' X^T + X B'^T)))
            let Some(db) = sh(1) else { return out };
            let (n, r) = (dims[0], dims[1]);
            let lower = op.lower;
            e.chol_solve(lower, (n, r), arr(0), db);
            if let Some(df) = sh(0) {
                // S is of rank 2r: lower: S L = B' (L^T X)^T + X (L^T B')^T;
                // upper: U S = (U B') X^T + (U X) B'^T (O(n^2 r), not O(n^3))
                let x = after(1);
                let ext = Extent::Matrix(n, r);
                let arr_f = arr(0);
                let copy = |v: (Value, Value)| {
                    let arr = Array {
                        ptr: v.0,
                        stride: v.1,
                        matrix: true,
                    };
                    let p = e.pack(&arr, ext);
                    let p = (p, e.packed_stride(v.1, ext));
                    // lower: L^T v; upper: U v
                    e.trmm(false, false, (lower, lower, false), (n, r), one, arr_f, p);
                    p
                };
                let fx = copy(x);
                let fb = copy(db);
                let g = e.temp(n, n);
                let zero = e.real(0.0);
                if lower {
                    e.gemm(false, true, (n, n, r), one, db, fx, zero, g);
                    e.gemm(false, true, (n, n, r), one, x, fb, one, g);
                } else {
                    e.gemm(false, true, (n, n, r), one, fb, x, zero, g);
                    e.gemm(false, true, (n, n, r), one, fx, db, one, g);
                }
                e.tri_add((lower, false), n, e.real(-1.0), g, df);
                for p in [g, fx, fb] {
                    e.free(p.0);
                }
            }
        }
        Kind::Trmv | Kind::Trsv => {
            let Some(dx) = sh(1) else { return out };
            let n = dims[0];
            let t = op.trans[0];
            let solve = op.kind == Kind::Trsv;
            let transposed = (op.lower, !t, op.unit);
            if solve {
                // x_in' = op(T)^-T x_out'; then dT = -x_in' x_out^T (transposed for op = T)
                e.trmv(true, transposed, n, arr(0), dx);
            }
            if let Some(da) = sh(0) {
                // trmv: dT = x_out' x_in^T (transposed for op = T)
                let (v, coef) = if solve {
                    (after(1), e.real(-1.0))
                } else {
                    (arr(1), one)
                };
                let g = e.temp(n, n);
                if t {
                    e.ger((n, n), coef, v, dx, g);
                } else {
                    e.ger((n, n), coef, dx, v, g);
                }
                e.tri_add((op.lower, op.unit), n, one, g, da);
                e.free(g.0);
            }
            if !solve {
                e.trmv(false, transposed, n, arr(0), dx);
            }
        }
        Kind::Trmm | Kind::Trsm => {
            let Some(db) = sh(1) else { return out };
            let (m, n) = (dims[0], dims[1]);
            let t = op.trans[0];
            let right = op.right;
            let k = if right { n } else { m };
            let transposed = (op.lower, !t, op.unit);
            let zero = e.real(0.0);
            if op.kind == Kind::Trsm {
                // G = op(T)^-T B' (left) or B' op(T)^-T (right), in place;
                // alpha' = <G, B_in>; dop(T) = -G B_out^T (left) or
                // -B_out^T G (right); B_in' = alpha G.
                e.trmm(true, right, transposed, (m, n), one, arr(0), db);
                if want(0) {
                    out[0] = Some(e.dot_matrix((m, n), db, arr(1)));
                }
                if let Some(da) = sh(0) {
                    let bo = after(1);
                    let g = e.temp(k, k);
                    let minus = e.real(-1.0);
                    if !right {
                        let (x, y) = if t { (bo, db) } else { (db, bo) };
                        e.gemm(false, true, (k, k, n), minus, x, y, zero, g);
                    } else {
                        let (x, y) = if t { (db, bo) } else { (bo, db) };
                        e.gemm(true, false, (k, k, m), minus, x, y, zero, g);
                    }
                    e.tri_add((op.lower, op.unit), k, one, g, da);
                    e.free(g.0);
                }
                e.scale(alpha(), db, Extent::Matrix(m, n));
            } else {
                // dop(T) = alpha B' B_in^T (left) or alpha B_in^T B' (right);
                // B_in' = alpha op(T)^T B' (or B' op(T)^T); alpha' = <op(T)^T B', B_in>.
                if let Some(da) = sh(0) {
                    let bi = arr(1);
                    let g = e.temp(k, k);
                    if !right {
                        let (x, y) = if t { (bi, db) } else { (db, bi) };
                        e.gemm(false, true, (k, k, n), alpha(), x, y, zero, g);
                    } else {
                        let (x, y) = if t { (db, bi) } else { (bi, db) };
                        e.gemm(true, false, (k, k, m), alpha(), x, y, zero, g);
                    }
                    e.tri_add((op.lower, op.unit), k, one, g, da);
                    e.free(g.0);
                }
                if want(0) {
                    e.trmm(false, right, transposed, (m, n), one, arr(0), db);
                    out[0] = Some(e.dot_matrix((m, n), db, arr(1)));
                    e.scale(alpha(), db, Extent::Matrix(m, n));
                } else {
                    e.trmm(false, right, transposed, (m, n), alpha(), arr(0), db);
                }
            }
        }
        Kind::Asum => {
            let (Some(dr), Some(dx)) = (d.result, sh(0)) else {
                return out;
            };
            // storage order pairs x (or its packed copy) with its shadow
            e.sign_axpy(count(e, op, dx.1), dr, arr(0), dx);
        }
    }
    out
}

/// Forward mode: updates the tangents of the arrays the call writes, in two
/// parts: emitted right before the primal call (`after == false`, its
/// inputs still in place) and right after it (solves need their result).
/// `d.shadows` are the tangent memories, `d.scalar_tangents` the scalars'
/// tangents.
pub fn tangent(e: &Emit, op: &Op, d: &Derivs, after: bool) {
    let after_phase = matches!(op.kind, Kind::Trsv | Kind::Trsm | Kind::Potrf | Kind::Potrs);
    if after && !after_phase || !after && matches!(op.kind, Kind::Potrf | Kind::Potrs) {
        return;
    }
    let arr = |i: usize| (op.arrays[i].ptr, op.arrays[i].stride);
    let sh = |i: usize| d.shadows[i];
    let st = |i: usize| d.scalar_tangents.get(i).copied().flatten();
    let alpha = || op.scalars[0].value;
    let one = e.real(1.0);
    let dims = &op.dims;
    match op.kind {
        Kind::Gemm => {
            let Some(dc) = sh(2) else { return };
            let (m, n, k) = (dims[0], dims[1], dims[2]);
            let [ta, tb] = op.trans;
            let beta = op.scalars[1].value;
            // dC = beta dC + alpha (dA B + A dB) + dalpha A B + dbeta C
            let mut scaled = false;
            if let Some(da) = sh(0) {
                e.gemm(ta, tb, (m, n, k), alpha(), da, arr(1), beta, dc);
                scaled = true;
            }
            if let Some(db) = sh(1) {
                let bb = if scaled { one } else { beta };
                e.gemm(ta, tb, (m, n, k), alpha(), arr(0), db, bb, dc);
                scaled = true;
            }
            if !scaled {
                e.scale(beta, dc, Extent::Matrix(m, n));
            }
            if let Some(dal) = st(0) {
                e.gemm(ta, tb, (m, n, k), dal, arr(0), arr(1), one, dc);
            }
            if let Some(dbe) = st(1) {
                axpy_matrix(e, (m, n), dbe, arr(2), dc);
            }
        }
        Kind::Gemv => {
            let Some(dy) = sh(2) else { return };
            let (m, n) = (dims[0], dims[1]);
            let t = op.trans[0];
            let beta = op.scalars[1].value;
            let ly = if t { n } else { m };
            let mut scaled = false;
            if let Some(da) = sh(0) {
                e.gemv(t, (m, n), alpha(), da, arr(1), beta, dy);
                scaled = true;
            }
            if let Some(dx) = sh(1) {
                let bb = if scaled { one } else { beta };
                e.gemv(t, (m, n), alpha(), arr(0), dx, bb, dy);
                scaled = true;
            }
            if !scaled {
                e.scale(beta, dy, Extent::Vector(ly));
            }
            if let Some(dal) = st(0) {
                e.gemv(t, (m, n), dal, arr(0), arr(1), one, dy);
            }
            if let Some(dbe) = st(1) {
                e.axpy(ly, dbe, arr(2), dy);
            }
        }
        Kind::Ger => {
            let Some(da) = sh(2) else { return };
            let (m, n) = (dims[0], dims[1]);
            if let Some(dx) = sh(0) {
                e.ger((m, n), alpha(), dx, arr(1), da);
            }
            if let Some(dy) = sh(1) {
                e.ger((m, n), alpha(), arr(0), dy, da);
            }
            if let Some(dal) = st(0) {
                e.ger((m, n), dal, arr(0), arr(1), da);
            }
        }
        Kind::Axpy => {
            let Some(dy) = sh(1) else { return };
            let n = dims[0];
            if let Some(dx) = sh(0) {
                e.axpy(n, alpha(), dx, dy);
            }
            if let Some(dal) = st(0) {
                e.axpy(n, dal, arr(0), dy);
            }
        }
        Kind::Scal => {
            let Some(dx) = sh(0) else { return };
            let n = count(e, op, dx.1);
            e.scale(alpha(), dx, Extent::Vector(n));
            if let Some(dal) = st(0) {
                e.axpy(n, dal, arr(0), dx);
            }
        }
        Kind::Copy => {
            let Some(dy) = sh(1) else { return };
            let n = dims[0];
            match sh(0) {
                Some(dx) => e.copy(n, dx, dy),
                None => e.scale(e.real(0.0), dy, Extent::Vector(n)),
            }
        }
        Kind::Symv => {
            // y' = beta y' + alpha (S x' + S' x) + alpha' S x + beta' y
            let Some(dy) = sh(2) else { return };
            let n = dims[0];
            let beta = op.scalars[1].value;
            let mut scaled = false;
            if let Some(dx) = sh(1) {
                e.symv(op.lower, n, alpha(), arr(0), dx, beta, dy);
                scaled = true;
            }
            if let Some(da) = sh(0) {
                let bb = if scaled { one } else { beta };
                e.symv(op.lower, n, alpha(), da, arr(1), bb, dy);
                scaled = true;
            }
            if !scaled {
                e.scale(beta, dy, Extent::Vector(n));
            }
            if let Some(dal) = st(0) {
                e.symv(op.lower, n, dal, arr(0), arr(1), one, dy);
            }
            if let Some(dbe) = st(1) {
                e.axpy(n, dbe, arr(2), dy);
            }
        }
        Kind::Symm => {
            let Some(dc) = sh(2) else { return };
            let (m, n) = (dims[0], dims[1]);
            let flags = (op.right, op.lower);
            let beta = op.scalars[1].value;
            let mut scaled = false;
            if let Some(db) = sh(1) {
                e.symm(flags, (m, n), alpha(), arr(0), db, beta, dc);
                scaled = true;
            }
            if let Some(da) = sh(0) {
                let bb = if scaled { one } else { beta };
                e.symm(flags, (m, n), alpha(), da, arr(1), bb, dc);
                scaled = true;
            }
            if !scaled {
                e.scale(beta, dc, Extent::Matrix(m, n));
            }
            if let Some(dal) = st(0) {
                e.symm(flags, (m, n), dal, arr(0), arr(1), one, dc);
            }
            if let Some(dbe) = st(1) {
                axpy_matrix(e, (m, n), dbe, arr(2), dc);
            }
        }
        Kind::Syrk => {
            // C' = beta C' + alpha (op(A') op(A)^T + op(A) op(A')^T) + alpha' op(A) op(A)^T
            //      + beta' C, on the triangle
            let Some(dc) = sh(1) else { return };
            let (n, k) = (dims[0], dims[1]);
            let flags = (op.lower, op.trans[0]);
            let beta = op.scalars[1].value;
            match sh(0) {
                Some(da) => e.syrk(flags, (n, k), alpha(), da, Some(arr(0)), beta, dc),
                None => e.tri_scale(op.lower, n, beta, dc),
            }
            if let Some(dal) = st(0) {
                e.syrk(flags, (n, k), dal, arr(0), None, one, dc);
            }
            if let Some(dbe) = st(1) {
                e.tri_add((op.lower, false), n, dbe, arr(1), dc);
            }
        }
        Kind::Potrf => {
            // after the call: L' = L Phi(L^-1 A' L^-T) (upper: U' = Phi(U^-T A' U^-1) U)
            let Some(da) = sh(0) else { return };
            let n = dims[0];
            let lower = op.lower;
            let f = arr(0);
            let p = e.sym_pack(lower, false, n, da);
            e.trmm(true, false, (lower, !lower, false), (n, n), one, f, p);
            e.trmm(true, true, (lower, lower, false), (n, n), one, f, p);
            e.phi(lower, n, p);
            e.trmm(false, !lower, (lower, false, false), (n, n), one, f, p);
            e.tri_scale(lower, n, e.real(0.0), da);
            e.tri_add((lower, false), n, one, p, da);
            e.free(p.0);
        }
        Kind::Potrs => {
            // after the call: X' = C^-1 (B' - C' X), C' = L' L^T + L L'^T
            // (upper: U'^T U + U^T U')
            let Some(db) = sh(1) else { return };
            let (n, r) = (dims[0], dims[1]);
            let lower = op.lower;
            if let Some(df) = sh(0) {
                let f = arr(0);
                let x = arr(1);
                let minus = e.real(-1.0);
                let zero = e.real(0.0);
                let p = e.tri_pack((lower, false), n, df);
                let y = e.pack(&op.arrays[1], Extent::Matrix(n, r));
                let y = (
                    y,
                    e.packed_stride(op.arrays[1].stride, Extent::Matrix(n, r)),
                );
                // lower: B' -= L' (L^T X); upper: B' -= U'^T (U X)
                e.trmm(false, false, (lower, lower, false), (n, r), one, f, y);
                e.gemm(!lower, false, (n, r, n), minus, p, y, one, db);
                // lower: B' -= L (L'^T X); upper: B' -= U^T (U' X)
                e.gemm(lower, false, (n, r, n), one, p, x, zero, y);
                e.trmm(false, false, (lower, !lower, false), (n, r), one, f, y);
                axpy_matrix(e, (n, r), minus, y, db);
                e.free(p.0);
                e.free(y.0);
            }
            e.chol_solve(lower, (n, r), arr(0), db);
        }
        Kind::Trmv => {
            // x' = op(T) x' + op(T') x
            let Some(dx) = sh(1) else { return };
            let n = dims[0];
            let t = op.trans[0];
            e.trmv(false, (op.lower, t, op.unit), n, arr(0), dx);
            if let Some(da) = sh(0) {
                let p = e.tri_pack((op.lower, op.unit), n, da);
                e.gemv(t, (n, n), one, p, arr(1), one, dx);
                e.free(p.0);
            }
        }
        Kind::Trsv => {
            // after the call: x' = op(T)^-1 (x_in' - op(T') x_out)
            let Some(dx) = sh(1).filter(|_| after) else {
                return;
            };
            let n = dims[0];
            let t = op.trans[0];
            if let Some(da) = sh(0) {
                let p = e.tri_pack((op.lower, op.unit), n, da);
                e.gemv(t, (n, n), e.real(-1.0), p, arr(1), one, dx);
                e.free(p.0);
            }
            e.trmv(true, (op.lower, t, op.unit), n, arr(0), dx);
        }
        Kind::Trmm => {
            // B' = alpha op(T) B' + alpha op(T') B + alpha' op(T) B
            let Some(db) = sh(1) else { return };
            let (m, n) = (dims[0], dims[1]);
            let t = op.trans[0];
            let flags = (op.lower, t, op.unit);
            let k = if op.right { n } else { m };
            let dal_term = st(0).map(|dal| {
                let q = e.pack(&op.arrays[1], Extent::Matrix(m, n));
                let q = (
                    q,
                    e.packed_stride(op.arrays[1].stride, Extent::Matrix(m, n)),
                );
                e.trmm(false, op.right, flags, (m, n), dal, arr(0), q);
                q
            });
            e.trmm(false, op.right, flags, (m, n), alpha(), arr(0), db);
            if let Some(da) = sh(0) {
                let p = e.tri_pack((op.lower, op.unit), k, da);
                if op.right {
                    e.gemm(false, t, (m, n, n), alpha(), arr(1), p, one, db);
                } else {
                    e.gemm(t, false, (m, n, m), alpha(), p, arr(1), one, db);
                }
                e.free(p.0);
            }
            if let Some(q) = dal_term {
                axpy_matrix(e, (m, n), one, q, db);
                e.free(q.0);
            }
        }
        Kind::Trsm => {
            // op(T) B_out' = alpha B_in' + alpha' B_in - op(T') B_out (left)
            let Some(db) = sh(1) else { return };
            let (m, n) = (dims[0], dims[1]);
            let t = op.trans[0];
            let k = if op.right { n } else { m };
            if !after {
                e.scale(alpha(), db, Extent::Matrix(m, n));
                if let Some(dal) = st(0) {
                    axpy_matrix(e, (m, n), dal, arr(1), db);
                }
                return;
            }
            if let Some(da) = sh(0) {
                let p = e.tri_pack((op.lower, op.unit), k, da);
                let minus = e.real(-1.0);
                if op.right {
                    e.gemm(false, t, (m, n, n), minus, arr(1), p, one, db);
                } else {
                    e.gemm(t, false, (m, n, m), minus, p, arr(1), one, db);
                }
                e.free(p.0);
            }
            e.trmm(
                true,
                op.right,
                (op.lower, t, op.unit),
                (m, n),
                one,
                arr(0),
                db,
            );
        }
        Kind::Dot | Kind::Nrm2 | Kind::Asum => {}
    }
}

/// Forward mode: the tangent of a returned value (`dot`, `nrm2`, `asum`),
/// emitted after the call (`result` is its value); `None` when no operand
/// has a tangent.
pub fn result_tangent(e: &Emit, op: &Op, d: &Derivs, result: Value) -> Option<Value> {
    let arr = |i: usize| (op.arrays[i].ptr, op.arrays[i].stride);
    let sh = |i: usize| d.shadows[i];
    let n = op.dims[0];
    let b = e.b;
    match op.kind {
        Kind::Dot => {
            let l = sh(0).map(|dx| e.dot(n, dx, arr(1)));
            let r = sh(1).map(|dy| e.dot(n, arr(0), dy));
            match (l, r) {
                (Some(l), Some(r)) => Some(b.fadd(l, r)),
                (l, r) => l.or(r),
            }
        }
        Kind::Nrm2 => {
            let dx = sh(0)?;
            let zero = e.real(0.0);
            let is0 = b.fcmp(RealPredicate::LLVMRealOEQ, result, zero);
            let q = b.fdiv(e.dot(n, arr(0), dx), result);
            Some(b.select(is0, zero, q))
        }
        Kind::Asum => {
            let dx = sh(0)?;
            Some(e.sign_dot(count(e, op, dx.1), arr(0), dx))
        }
        _ => None,
    }
}

/// Y += a X over two matrices of one shape (column by column).
fn axpy_matrix(e: &Emit, shape: (Value, Value), a: Value, x: (Value, Value), y: (Value, Value)) {
    let h = axpy_matrix_helper(e);
    e.b.call_fn(
        h,
        &[
            a,
            e.i64(shape.0),
            e.i64(shape.1),
            x.0,
            e.i64(x.1),
            y.0,
            e.i64(y.1),
        ],
    );
}

fn axpy_matrix_helper(e: &Emit) -> Value {
    // Y[:,j] += s X[:,j] for each column j: one axpy call per column.
    let name = format!("ferment.blas.axpy.{}", e.prec.letter());
    if let Some(f) = e.module.function(&name) {
        return f;
    }
    let ft = e.ft();
    let ctx = e.module.context();
    let i64t = Type::int(ctx, 64);
    let ptr = e.ptr();
    let f = e.module.add_function(
        &name,
        Type::function(
            Type::void(ctx),
            &[ft, i64t, i64t, ptr, i64t, ptr, i64t],
            false,
        ),
    );
    f.set_internal();
    let p = f.params();
    let (s, rows, cols, x, ldx, y, ldy) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
    let b = Builder::new(e.module);
    let entry = f.append_block("entry");
    let col = f.append_block("col");
    let exit = f.append_block("exit");
    b.at_end(entry);
    let zero = b.const_int(i64t, 0);
    let one = b.const_int(i64t, 1);
    let none = b.icmp(IntPredicate::LLVMIntSLE, cols, zero);
    b.cond_br(none, exit, col);
    b.at_end(col);
    let j = b.phi(i64t, "j");
    let inner = Emit {
        b: &b,
        module: e.module,
        prec: e.prec,
        int: Type::int(ctx, 32),
    };
    let px = b.gep(ft, x, &[b.mul_int(j, ldx)]);
    let py = b.gep(ft, y, &[b.mul_int(j, ldy)]);
    let n32 = b.int_cast(rows, Type::int(ctx, 32), true);
    let one32 = b.const_int(Type::int(ctx, 32), 1);
    inner.axpy(n32, s, (px, one32), (py, one32));
    let j1 = b.add_int(j, one);
    let more = b.icmp(IntPredicate::LLVMIntSLT, j1, cols);
    b.cond_br(more, col, exit);
    j.add_incoming(zero, entry);
    j.add_incoming(j1, col);
    b.at_end(exit);
    b.ret_void();
    f
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
        assert!(is_unsupported_routine("dsyr2k_"));
        assert!(is_unsupported_routine("LAPACKE_dgetrf"));
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
                .filter(|x| matches!(x, Matrix | Vector))
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
