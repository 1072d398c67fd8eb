//! C99 / C++ complex arithmetic in a canonical copy, as real arithmetic.
//!
//! Role: `double complex` code (and `std::complex<double>`, which libstdc++
//! builds on the same functions) calls runtime routines ferment has no
//! body for: `__muldc3`/`__divdc3` (the multiplication and division clang
//! emits, with their NaN recovery) and libm's `cabs`, `carg`, `cexp`, `clog`,
//! `csqrt`, `cpow`, `csin`, `ccos`, `ctan`, `csinh`, `ccosh`, `ctanh` (and the
//! `float complex` ones: `__mulsc3`, `cabsf`..., whose values x86-64 passes
//! as `<2 x float>`). Each call
//! in a canonical copy becomes the real formula in the real and imaginary
//! parts, built from operations and libm functions that have derivative
//! rules. For finite values the formulas give the routines' results (up to
//! rounding in the last bits for division and the transcendental ones) and
//! their exact derivatives; the routines' special handling of infinities
//! and NaNs has no derivative to give.

use ferment_ir::{Builder, RealPredicate, Type, Value};

/// The complex routines rewritten, with their parameter count (doubles).
const ROUTINES: &[(&str, usize)] = &[
    ("__muldc3", 4),
    ("__divdc3", 4),
    ("cabs", 2),
    ("carg", 2),
    ("cexp", 2),
    ("clog", 2),
    ("csqrt", 2),
    ("cpow", 4),
    ("csin", 2),
    ("ccos", 2),
    ("ctan", 2),
    ("csinh", 2),
    ("ccosh", 2),
    ("ctanh", 2),
];

/// What a call of `name` is: the routine's base name (the `double`
/// spelling) and the element type's width in bits.
fn routine(name: &str) -> Option<(&'static str, usize, u32)> {
    let (base, bits) = match name {
        "__mulsc3" => ("__muldc3", 32),
        "__divsc3" => ("__divdc3", 32),
        _ => match ROUTINES.iter().find(|(r, _)| *r == name) {
            Some(_) => (name, 64),
            None => (name.strip_suffix('f')?, 32),
        },
    };
    let &(r, arity) = ROUTINES.iter().find(|(r, _)| *r == base)?;
    Some((r, arity, bits))
}

/// Rewrites the calls of complex routines in `f`; returns how many.
pub fn lower_complex_calls(f: Value) -> usize {
    let module = f.global_parent();
    let b = Builder::new(module);
    let mut n = 0;
    for call in f.instructions() {
        // An invoke continues to its normal destination (the routines do
        // not throw); one whose unwind destination has phis stays.
        if !call.is_call() || (call.is_invoke() && !call.successors()[1].phis().is_empty()) {
            continue;
        }
        let Some(callee) = call.called_function() else {
            continue;
        };
        let Some((name, arity, bits)) = routine(&callee.name()) else {
            continue;
        };
        let ctx = module.context();
        let ty = if bits == 64 {
            Type::f64(ctx)
        } else {
            Type::f32(ctx)
        };
        // The parts: scalars, or (float complex on x86-64) `<2 x float>`s.
        let pair = |t: Type| t.is_vector() && t.vector_len() == 2 && t.element_type() == ty;
        let args = call.call_args();
        let count: Option<usize> = args.iter().try_fold(0, |n, a| {
            if a.ty() == ty {
                Some(n + 1)
            } else if pair(a.ty()) {
                Some(n + 2)
            } else {
                None
            }
        });
        if count != Some(arity) || !shape_ok(call, ty) {
            continue;
        }
        b.before(call);
        let i32t = Type::int(ctx, 32);
        let mut parts = Vec::new();
        for a in args {
            if pair(a.ty()) {
                parts.push(b.extract_element(a, b.const_int(i32t, 0)));
                parts.push(b.extract_element(a, b.const_int(i32t, 1)));
            } else {
                parts.push(a);
            }
        }
        b.set_debug_loc_from(call);
        let c = Cx {
            b: &b,
            ty,
            suffix: if bits == 64 { "" } else { "f" },
        };
        let z = (parts[0], parts[1]);
        let result = match name {
            "__muldc3" => Out::Pair(c.mul(z, (parts[2], parts[3]))),
            "__divdc3" => Out::Pair(c.div(z, (parts[2], parts[3]))),
            "cabs" => Out::Real(c.abs(z)),
            "carg" => Out::Real(c.arg(z)),
            "cexp" => Out::Pair(c.exp(z)),
            "clog" => Out::Pair(c.log(z)),
            "csqrt" => Out::Pair(c.sqrt(z)),
            "cpow" => Out::Pair(c.exp(c.mul((parts[2], parts[3]), c.log(z)))),
            "csin" => Out::Pair(c.sin(z)),
            "ccos" => Out::Pair(c.cos(z)),
            "ctan" => Out::Pair(c.tan(z)),
            "csinh" => Out::Pair(c.sinh(z)),
            "ccosh" => Out::Pair(c.cosh(z)),
            "ctanh" => Out::Pair(c.tanh(z)),
            _ => continue,
        };
        let v = match result {
            Out::Real(r) => r,
            Out::Pair((re, im)) if call.ty().is_vector() => {
                let v = b.undef(call.ty());
                let v = b.insert_element(v, re, b.const_int(i32t, 0));
                b.insert_element(v, im, b.const_int(i32t, 1))
            }
            Out::Pair((re, im)) => {
                let agg = b.undef(call.ty());
                let agg = b.insert_value(agg, re, 0);
                b.insert_value(agg, im, 1)
            }
        };
        call.replace_all_uses_with(v);
        if call.is_invoke() {
            b.br(call.successors()[0]);
        }
        call.erase();
        n += 1;
    }
    n
}

/// The element type for the real routines; `{T, T}` or `<2 x T>` for the
/// others.
fn shape_ok(call: Value, ty: Type) -> bool {
    let r = call.ty();
    r == ty
        || (r.is_struct() && r.struct_fields() == [ty, ty])
        || (r.is_vector() && r.vector_len() == 2 && r.element_type() == ty)
}

enum Out {
    Real(Value),
    Pair((Value, Value)),
}

type C = (Value, Value);

struct Cx<'a> {
    b: &'a Builder,
    ty: Type,
    /// `f` for the `float` functions of libm.
    suffix: &'static str,
}

impl Cx<'_> {
    fn libm(&self, name: &str, args: &[Value]) -> Value {
        let params = vec![self.ty; args.len()];
        let name = format!("{name}{}", self.suffix);
        let f = crate::reverse::tape::declare(self.b.module(), &name, self.ty, &params);
        self.b.call_fn(f, args)
    }
    fn k(&self, v: f64) -> Value {
        self.b.const_real(self.ty, v)
    }
    fn mul(&self, (a, b): C, (c, d): C) -> C {
        let x = self.b;
        (
            x.fsub(x.fmul(a, c), x.fmul(b, d)),
            x.fadd(x.fmul(a, d), x.fmul(b, c)),
        )
    }
    /// Smith's division (the scaling-free form of what `__divdc3` does).
    fn div(&self, (a, b): C, (c, d): C) -> C {
        let x = self.b;
        let fabs = |v: Value| x.intrinsic("llvm.fabs", &[self.ty], &[v]);
        let wide = x.fcmp(RealPredicate::LLVMRealOGE, fabs(c), fabs(d));
        // |c| >= |d|: r = d/c, den = c + d r
        let r1 = x.fdiv(d, c);
        let den1 = x.fadd(c, x.fmul(d, r1));
        let re1 = x.fdiv(x.fadd(a, x.fmul(b, r1)), den1);
        let im1 = x.fdiv(x.fsub(b, x.fmul(a, r1)), den1);
        // |c| < |d|: r = c/d, den = c r + d
        let r2 = x.fdiv(c, d);
        let den2 = x.fadd(x.fmul(c, r2), d);
        let re2 = x.fdiv(x.fadd(x.fmul(a, r2), b), den2);
        let im2 = x.fdiv(x.fsub(x.fmul(b, r2), a), den2);
        (x.select(wide, re1, re2), x.select(wide, im1, im2))
    }
    fn abs(&self, (a, b): C) -> Value {
        self.libm("hypot", &[a, b])
    }
    fn arg(&self, (a, b): C) -> Value {
        self.libm("atan2", &[b, a])
    }
    fn exp(&self, (a, b): C) -> C {
        let x = self.b;
        let e = self.libm("exp", &[a]);
        (
            x.fmul(e, self.libm("cos", &[b])),
            x.fmul(e, self.libm("sin", &[b])),
        )
    }
    fn log(&self, z: C) -> C {
        (self.libm("log", &[self.abs(z)]), self.arg(z))
    }
    /// Principal square root, computed from the larger of the two half
    /// sums so that no cancellation occurs.
    fn sqrt(&self, (a, b): C) -> C {
        let x = self.b;
        let r = self.abs((a, b));
        let half = self.k(0.5);
        let t_pos = self.libm("sqrt", &[x.fmul(half, x.fadd(r, a))]);
        let t_neg = self.libm("sqrt", &[x.fmul(half, x.fsub(r, a))]);
        let fabs_b = x.intrinsic("llvm.fabs", &[self.ty], &[b]);
        let two = self.k(2.0);
        // a >= 0: (t, b / 2t); a < 0: (|b| / 2t, copysign(t, b)).
        let nonneg = x.fcmp(RealPredicate::LLVMRealOGE, a, self.k(0.0));
        let re_pos = t_pos;
        let im_pos = x.fdiv(b, x.fmul(two, t_pos));
        let re_neg = x.fdiv(fabs_b, x.fmul(two, t_neg));
        let im_neg = x.intrinsic("llvm.copysign", &[self.ty], &[t_neg, b]);
        let re = x.select(nonneg, re_pos, re_neg);
        let im = x.select(nonneg, im_pos, im_neg);
        // sqrt(0) = 0 (with the sign of b's zero).
        let zero = x.fcmp(RealPredicate::LLVMRealOEQ, r, self.k(0.0));
        (x.select(zero, self.k(0.0), re), x.select(zero, b, im))
    }
    fn sin(&self, (a, b): C) -> C {
        let x = self.b;
        (
            x.fmul(self.libm("sin", &[a]), self.libm("cosh", &[b])),
            x.fmul(self.libm("cos", &[a]), self.libm("sinh", &[b])),
        )
    }
    fn cos(&self, (a, b): C) -> C {
        let x = self.b;
        (
            x.fmul(self.libm("cos", &[a]), self.libm("cosh", &[b])),
            x.fneg(x.fmul(self.libm("sin", &[a]), self.libm("sinh", &[b]))),
        )
    }
    fn sinh(&self, (a, b): C) -> C {
        let x = self.b;
        (
            x.fmul(self.libm("sinh", &[a]), self.libm("cos", &[b])),
            x.fmul(self.libm("cosh", &[a]), self.libm("sin", &[b])),
        )
    }
    fn cosh(&self, (a, b): C) -> C {
        let x = self.b;
        (
            x.fmul(self.libm("cosh", &[a]), self.libm("cos", &[b])),
            x.fmul(self.libm("sinh", &[a]), self.libm("sin", &[b])),
        )
    }
    /// tan(a + bi) = (sin 2a + i sinh 2b) / (cos 2a + cosh 2b)
    fn tan(&self, (a, b): C) -> C {
        let x = self.b;
        let (a2, b2) = (x.fmul(self.k(2.0), a), x.fmul(self.k(2.0), b));
        let den = x.fadd(self.libm("cos", &[a2]), self.libm("cosh", &[b2]));
        (
            x.fdiv(self.libm("sin", &[a2]), den),
            x.fdiv(self.libm("sinh", &[b2]), den),
        )
    }
    /// tanh(a + bi) = (sinh 2a + i sin 2b) / (cosh 2a + cos 2b)
    fn tanh(&self, (a, b): C) -> C {
        let x = self.b;
        let (a2, b2) = (x.fmul(self.k(2.0), a), x.fmul(self.k(2.0), b));
        let den = x.fadd(self.libm("cosh", &[a2]), self.libm("cos", &[b2]));
        (
            x.fdiv(self.libm("sinh", &[a2]), den),
            x.fdiv(self.libm("sin", &[b2]), den),
        )
    }
}
