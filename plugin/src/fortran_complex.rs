//! flang's runtime SUM, PRODUCT and DOT_PRODUCT of complex arrays in a canonical copy, as IR
//! ferment differentiates.
//!
//! Role: at -O0 flang lowers `sum(z)`, `product(z)` and `dot_product(x, y)` of complex(4) and
//! complex(8) arrays to `_FortranACppSumComplexK(result, array, file, line, dim, mask)`,
//! `_FortranACppProductComplexK(...)` (same arguments) and
//! `_FortranACppDotProductComplexK(result, x, y, file, line)`, which store the complex result
//! through their first argument. Each call in a canonical copy becomes a call of a helper built
//! here that does the same with loads, stores and floating-point arithmetic (accumulated in
//! double precision, as the real reductions in `fortran.rs`): whole arrays of rank 1 to 4
//! (without DIM), with a MASK of the array's shape or a scalar one, or none; DOT_PRODUCT of two
//! vectors of one size, `sum(conjg(x) * y)`. Anything else stops the program with a message
//! naming the call's file and line.

use crate::error::Result;
use crate::fortran::{
    call_helper, conformable_strides, float_code, mask_element, mask_length, runtime_calls, stop,
    TYPE,
};
use crate::fortran_matrix::{by_rank, helper_shell, index_loop, rank_of, shape_of};
use ferment_ir::{Builder, IntPredicate, Module, Type, Value};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Sum,
    Product,
    Dot,
}

fn complex_op(name: &str) -> Option<(Op, u32)> {
    Some(match name {
        "_FortranACppSumComplex4" => (Op::Sum, 32),
        "_FortranACppSumComplex8" => (Op::Sum, 64),
        "_FortranACppProductComplex4" => (Op::Product, 32),
        "_FortranACppProductComplex8" => (Op::Product, 64),
        "_FortranACppDotProductComplex4" => (Op::Dot, 32),
        "_FortranACppDotProductComplex8" => (Op::Dot, 64),
        _ => return None,
    })
}

/// Rewrites flang's complex SUM/PRODUCT/DOT_PRODUCT runtime calls in `f`;
/// says whether it did any.
pub fn lower_complex_reductions(f: Value) -> Result<bool> {
    let module = f.global_parent();
    let calls = runtime_calls(f, |name| {
        let (op, bits) = complex_op(name)?;
        Some(((op, bits), if op == Op::Dot { 5 } else { 6 }))
    });
    let b = Builder::new(module);
    let mut changed = false;
    for (call, (op, bits)) in calls {
        let masked = op != Op::Dot && !call.call_args()[5].is_null_constant();
        let helper = helper(module, op, bits, masked);
        call_helper(&b, call, helper, &call.call_args())?;
        changed = true;
    }
    Ok(changed)
}

/// `ferment.fortran.{sum,product,dot}.c<bits>[.masked]`: the runtime
/// routine's signature.
fn helper(module: Module, op: Op, bits: u32, masked: bool) -> Value {
    let (stem, what) = match op {
        Op::Sum => ("sum", "this SUM (flang runtime _FortranACppSumComplex*) is not differentiated by ferment: it handles the sum of a whole complex(4) or complex(8) array of rank 1 to 4, with a MASK of its shape or none"),
        Op::Product => ("product", "this PRODUCT (flang runtime _FortranACppProductComplex*) is not differentiated by ferment: it handles the product of a whole complex(4) or complex(8) array of rank 1 to 4, with a MASK of its shape or none"),
        Op::Dot => ("dot", "this DOT_PRODUCT (flang runtime _FortranACppDotProductComplex*) is not differentiated by ferment: it handles two complex(4) or complex(8) vectors of the same size"),
    };
    let suffix = if masked { ".masked" } else { "" };
    let name = format!("ferment.fortran.{stem}.c{bits}{suffix}");
    if let Some(f) = module.function(&name) {
        return f;
    }
    let ctx = module.context();
    let (ptr, i32t, i64t) = (Type::ptr(ctx), Type::int(ctx, 32), Type::int(ctx, 64));
    let t = if bits == 32 {
        Type::f32(ctx)
    } else {
        Type::f64(ctx)
    };
    let acc_ty = Type::f64(ctx);
    let params = match op {
        Op::Dot => vec![ptr, ptr, ptr, ptr, i32t],
        _ => vec![ptr, ptr, ptr, i32t, i32t, ptr],
    };
    let (f, b, bad) = helper_shell(module, &name, &params, Type::void(ctx));
    let p = f.params();
    let result = p[0];
    let (arrays, file, line) = match op {
        Op::Dot => (vec![p[1], p[2]], p[3], p[4]),
        _ => (vec![p[1]], p[2], p[3]),
    };
    let code = b.const_int(b.i8(), float_code(t, 2));
    let mut ok = b.const_int(Type::int(ctx, 1), 1);
    for &a in &arrays {
        let c = b.load(b.i8(), b.gep_i8(a, TYPE));
        ok = b.and_int(ok, b.icmp(IntPredicate::LLVMIntEQ, c, code));
    }
    if op != Op::Dot {
        // DIM absent.
        ok = b.and_int(
            ok,
            b.icmp(IntPredicate::LLVMIntEQ, p[4], b.const_int(i32t, 0)),
        );
    }
    let mask = masked.then(|| {
        let (fits, len) = mask_length(&b, p[5]);
        ok = b.and_int(ok, fits);
        (p[5], len)
    });
    let re = b.alloca(acc_ty, "re");
    let im = b.alloca(acc_ty, "im");
    let go = f.append_block("go");
    b.cond_br(ok, go, bad);
    b.at_end(go);
    let ranks: &[u64] = if op == Op::Dot { &[1] } else { &[1, 2, 3, 4] };
    by_rank(&b, f, rank_of(&b, arrays[0]), ranks, bad, |r| {
        let (ext, sm) = shape_of(&b, arrays[0], r);
        let mut strides = vec![sm];
        let mut same = b.const_int(Type::int(ctx, 1), 1);
        for &a in &arrays[1..] {
            same = b.and_int(
                same,
                b.icmp(
                    IntPredicate::LLVMIntEQ,
                    rank_of(&b, a),
                    b.const_int(i64t, r as i64),
                ),
            );
            let (aext, asm) = shape_of(&b, a, r);
            for (x, y) in aext.iter().zip(&ext) {
                same = b.and_int(same, b.icmp(IntPredicate::LLVMIntEQ, *x, *y));
            }
            strides.push(asm);
        }
        let mask = mask.map(|(m, len)| {
            let (conform, msm) = conformable_strides(&b, f, m, &ext);
            same = b.and_int(same, conform);
            (b.load(ptr, m), len, msm)
        });
        let run = f.append_block("elements");
        b.cond_br(same, run, bad);
        b.at_end(run);
        let one = if op == Op::Product { 1.0 } else { 0.0 };
        b.store(b.const_real(acc_ty, one), re);
        b.store(b.const_real(acc_ty, 0.0), im);
        let bases: Vec<Value> = arrays.iter().map(|&a| b.load(ptr, a)).collect();
        let half = u64::from(bits / 8);
        index_loop(&b, &ext, |idx, _| {
            // Each array's element: (real, imaginary) in double precision.
            let elems: Vec<(Value, Value)> = bases
                .iter()
                .zip(&strides)
                .map(|(&base, sm)| {
                    let mut off = b.const_int(i64t, 0);
                    for (&i, &s) in idx.iter().zip(sm) {
                        off = b.add_int(off, b.mul_int(i, s));
                    }
                    let at = b.gep(b.i8(), base, &[off]);
                    let x = b.fp_convert(b.load(t, at), acc_ty);
                    let y = b.fp_convert(b.load(t, b.gep_i8(at, half)), acc_ty);
                    (x, y)
                })
                .collect();
            let (ar, ai) = (b.load(acc_ty, re), b.load(acc_ty, im));
            let (nr, ni) = match op {
                Op::Sum => (b.fadd(ar, elems[0].0), b.fadd(ai, elems[0].1)),
                Op::Product => {
                    let (x, y) = elems[0];
                    (
                        b.fsub(b.fmul(ar, x), b.fmul(ai, y)),
                        b.fadd(b.fmul(ar, y), b.fmul(ai, x)),
                    )
                }
                Op::Dot => {
                    // conjg(x) * y
                    let ((xr, xi), (yr, yi)) = (elems[0], elems[1]);
                    (
                        b.fadd(ar, b.fadd(b.fmul(xr, yr), b.fmul(xi, yi))),
                        b.fadd(ai, b.fsub(b.fmul(xr, yi), b.fmul(xi, yr))),
                    )
                }
            };
            // A masked-out element leaves the accumulator as it was.
            let (nr, ni) = match &mask {
                Some((mbase, len, msm)) => {
                    let mut off = b.const_int(i64t, 0);
                    for (&i, &s) in idx.iter().zip(msm) {
                        off = b.add_int(off, b.mul_int(i, s));
                    }
                    let counts = mask_element(&b, f, *len, b.gep(b.i8(), *mbase, &[off]));
                    (b.select(counts, nr, ar), b.select(counts, ni, ai))
                }
                None => (nr, ni),
            };
            b.store(nr, re);
            b.store(ni, im);
        });
        b.store(b.fp_convert(b.load(acc_ty, re), t), result);
        b.store(b.fp_convert(b.load(acc_ty, im), t), b.gep_i8(result, half));
        b.ret_void();
    });
    b.at_end(bad);
    stop(&b, &format!("{name}.msg"), what, file, line);
    f
}
