//! `-ferment-check` (alias `-enzyme-check`): each derivative call checks itself once at run time.
//!
//! After a lowered `__enzyme_autodiff` / `__enzyme_fwddiff` call, the derivative's directional
//! derivative `ad` is computed (reverse: `sum_i v_i * df/dx_i` for a pseudo-random direction `v`
//! fixed per call site; forward: the returned tangent, whose direction is the user's tangents)
//! and handed to a per-call-site checker. On its first run the checker evaluates the primal
//! function at `x +- h v` for two step sizes; where the two central differences agree (no kink or
//! jump nearby) and `ad` does not, it prints
//! `file:line: ferment: warning: self-check ...` to standard error. Later calls return at once.
//!
//! Checked: requests whose active arguments are floating-point scalars and whose return value
//! is an active floating-point scalar (other arguments `enzyme_const`). Requests with shadowed
//! memory, split mode and batched requests are not checked (finite differences would need to
//! copy memory of unknown extent). The checker calls the primal five more times: a function with
//! side effects sees them. Off by default; without the flag nothing is emitted.

use crate::frontend::request::{Activity, Mode, Request};
use ferment_ir::{Builder, IntPredicate, Module, RealPredicate, Type, Value};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// Set from the `-ferment-check` flag at the start of each module.
pub static ENABLED: AtomicBool = AtomicBool::new(false);
static SITES: AtomicU32 = AtomicU32::new(0);

fn scalar_fp(t: Type) -> bool {
    t.is_fp_like() && !t.is_vector() && matches!(t.float_bits(), 32 | 64)
}

/// Emits the check after the derivative call at `b`'s position. `primals` are the call's primal
/// arguments converted to the parameter types, `shadows` the tangents (forward mode), `outputs`
/// what the derivative returned. Does nothing for requests it cannot check.
pub fn instrument(
    module: Module,
    b: &Builder,
    req: &Request,
    primals: &[Value],
    shadows: &[Value],
    outputs: &[Value],
) {
    let triple = module.target_triple();
    if triple.starts_with("nvptx") || triple.starts_with("amdgcn") {
        return;
    }
    let f = req.function;
    let fty = f.global_value_type();
    // With an Enzyme context, the globals' tangents (seeded by the user)
    // are part of the result: the scalar arguments alone do not predict it.
    if req.return_primal
        || !req.return_active
        || !scalar_fp(fty.fn_return())
        || req.context.is_some()
    {
        return;
    }
    let params = fty.fn_params();
    // The active scalars: their parameter index and direction (as double).
    let f64t = Type::f64(module.context());
    let mut active: Vec<usize> = Vec::new();
    let mut shadow_k = 0;
    let mut dirs: Vec<Value> = Vec::new();
    let site = SITES.fetch_add(1, Ordering::Relaxed);
    let mut lcg = 0x9E37_79B9u32.wrapping_mul(site + 1);
    for (i, spec) in req.args.iter().enumerate() {
        match (req.mode, spec.activity) {
            (_, Activity::Const) => {}
            (Mode::Reverse, Activity::Active) if scalar_fp(params[i]) => {
                active.push(i);
                lcg = lcg.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                // in [-1, -0.25] U [0.25, 1]: every input moves
                let u = (lcg >> 8) as f64 / (1u32 << 24) as f64;
                let v = if u < 0.5 {
                    -0.25 - 1.5 * u
                } else {
                    0.25 + 1.5 * (u - 0.5)
                };
                dirs.push(b.const_real(f64t, v));
            }
            (Mode::Forward, Activity::Dup) if scalar_fp(params[i]) => {
                active.push(i);
                let Some(t) = shadows.get(shadow_k) else {
                    return;
                };
                shadow_k += 1;
                dirs.push(b.fp_convert(*t, f64t));
            }
            _ => return,
        }
    }
    let expected_outputs = match req.mode {
        Mode::Reverse => active.len(),
        Mode::Forward => 1,
    };
    if active.is_empty() || outputs.len() != expected_outputs || primals.len() != params.len() {
        return;
    }
    // The directional derivative the derivative claims.
    let ad = match req.mode {
        Mode::Reverse => {
            let mut s = b.const_real(f64t, 0.0);
            for (g, v) in outputs.iter().zip(&dirs) {
                let g = b.fp_convert(*g, f64t);
                s = b.fadd(s, b.fmul(g, *v));
            }
            s
        }
        Mode::Forward => b.fp_convert(outputs[0], f64t),
    };
    let single =
        active.iter().any(|&i| params[i].float_bits() == 32) || fty.fn_return().float_bits() == 32;
    // Without debug info: the source file and the calling function.
    let location = req.call.source_location().unwrap_or_else(|| {
        format!(
            "{}: in '{}'",
            module.source_file_name(),
            req.call.function_of().name()
        )
    });
    let checker = build_checker(module, req, site, &params, &active, single, &location);
    let mut args = primals.to_vec();
    args.extend(dirs);
    args.push(ad);
    b.call_fn(checker, &args);
}

/// `void __ferment_check.N(params..., dirs..., double ad)`.
fn build_checker(
    module: Module,
    req: &Request,
    site: u32,
    params: &[Type],
    active: &[usize],
    single: bool,
    location: &str,
) -> Value {
    let ctx = module.context();
    let f64t = Type::f64(ctx);
    let i8t = Type::int(ctx, 8);
    let void = Type::void(ctx);
    let mut ptys = params.to_vec();
    ptys.extend(active.iter().map(|_| f64t));
    ptys.push(f64t);
    let checker = module.add_function(
        &format!("__ferment_check.{site}"),
        Type::function(void, &ptys, false),
    );
    checker.set_internal();
    let seen = module.add_zeroed_global(&format!("__ferment_check.seen.{site}"), i8t);
    let entry = checker.append_block("entry");
    let work = checker.append_block("work");
    let warn = checker.append_block("warn");
    let exit = checker.append_block("exit");
    let b = Builder::new(module);
    let p = checker.params();
    let (xs, rest) = p.split_at(params.len());
    let (dirs, ad) = (&rest[..active.len()], rest[active.len()]);

    b.at_end(entry);
    let s = b.load(i8t, seen);
    let done = b.icmp(IntPredicate::LLVMIntNE, s, b.const_int(i8t, 0));
    b.cond_br(done, exit, work);

    b.at_end(work);
    b.store(b.const_int(i8t, 1), seen);
    let f = req.function;
    let fabs = |v: Value| b.unary_intrinsic("llvm.fabs", v);
    // scale of the point: 1 + sum |x_i|
    let mut scale = b.const_real(f64t, 1.0);
    for &i in active {
        scale = b.fadd(scale, fabs(b.fp_convert(xs[i], f64t)));
    }
    let (big, small, rtol) = if single {
        (3e-2, 3e-3, 3e-2)
    } else {
        (1e-5, 1e-6, 1e-4)
    };
    let central = |h: f64| -> Value {
        let h = b.fmul(b.const_real(f64t, h), scale);
        let eval = |sign: f64| -> Value {
            let mut args = xs.to_vec();
            for (k, &i) in active.iter().enumerate() {
                let x = b.fp_convert(xs[i], f64t);
                let step = b.fmul(b.fmul(h, dirs[k]), b.const_real(f64t, sign));
                args[i] = b.fp_convert(b.fadd(x, step), params[i]);
            }
            b.fp_convert(b.call_fn(f, &args), f64t)
        };
        let (fp, fm) = (eval(1.0), eval(-1.0));
        b.fdiv(b.fsub(fp, fm), b.fmul(b.const_real(f64t, 2.0), h))
    };
    let fd1 = central(big);
    let fd2 = central(small);
    let f0 = b.fp_convert(b.call_fn(f, xs), f64t);
    let atol = b.fmul(
        b.const_real(f64t, rtol * 1e-2),
        b.fadd(b.const_real(f64t, 1.0), fabs(f0)),
    );
    // smooth: the two step sizes agree (ordered compare: NaN is not smooth)
    let spread = b.fadd(fabs(fd1), fabs(fd2));
    let tol_fd = b.fadd(b.fmul(b.const_real(f64t, rtol * 0.1), spread), atol);
    let smooth = b.fcmp(RealPredicate::LLVMRealOLE, fabs(b.fsub(fd1, fd2)), tol_fd);
    // bad: AD and finite differences disagree (unordered compare: a NaN derivative is bad)
    let spread = b.fadd(fabs(ad), fabs(fd2));
    let tol = b.fadd(b.fmul(b.const_real(f64t, rtol), spread), atol);
    let bad = b.fcmp(RealPredicate::LLVMRealUGT, fabs(b.fsub(ad, fd2)), tol);
    let both = b.select(smooth, bad, b.const_int(Type::int(ctx, 1), 0));
    b.cond_br(both, warn, exit);

    b.at_end(warn);
    let mode = match req.mode {
        Mode::Reverse => "reverse",
        Mode::Forward => "forward",
    };
    let msg = format!(
        "{}: ferment: warning: self-check of the {mode}-mode derivative of '{}' failed: \
         directional derivative %.10g, central finite differences %.10g (-ferment-check)\n",
        location.replace('%', "%%"),
        f.name().replace('%', "%%")
    );
    let fmt = module.add_string_constant(&format!("__ferment_check.msg.{site}"), &msg);
    let i32t = Type::int(ctx, 32);
    let ptr = Type::ptr(ctx);
    let dprintf = module.function("dprintf").unwrap_or_else(|| {
        module.add_function("dprintf", Type::function(i32t, &[i32t, ptr], true))
    });
    b.call_fn(dprintf, &[b.const_int(i32t, 2), fmt, ad, fd2]);
    b.br(exit);

    b.at_end(exit);
    b.ret_void();
    checker
}
