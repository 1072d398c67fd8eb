//! Warp-aggregated atomic accumulation of adjoints.
//!
//! The adjoint of a value that every thread of a warp reads from the same
//! address (a weight, a `__shared__` tile element all threads use) is added
//! back by every thread with an atomic to that one address, and the
//! hardware serializes them: a tiled all-pairs kernel's gradient took 225x
//! its primal on an H200. When the whole warp is converged and every lane
//! adds to the same address, the lanes first sum their values with five
//! butterfly shuffles and lane 0 makes one atomic; otherwise each lane makes
//! its own, as before. Both tests are run-time (`activemask`,
//! `match.all.sync`, sm_70 and later), so the rewrite needs no uniformity
//! analysis and is exact for any address and any divergence.

use ferment_ir::{Builder, IntPredicate, Module, Type, TypeKind, Value};

/// The lowest PTX target with `match.all.sync`.
const MIN_SM: u32 = 70;

/// Whether functions compiled for `target_cpu` (`sm_NN`) can use
/// [`atomic_add_helper`].
pub fn can_aggregate(target_cpu: Option<&str>) -> bool {
    target_cpu
        .and_then(|c| c.strip_prefix("sm_"))
        .and_then(|v| {
            v.trim_end_matches(|c: char| c.is_ascii_alphabetic())
                .parse::<u32>()
                .ok()
        })
        .is_some_and(|sm| sm >= MIN_SM)
}

/// `void ferment.gpu.atomic_add.<f32|f64>(ptr p, T v)`: `*p += v`
/// atomically, aggregated over the warp when all 32 lanes are here and add
/// to the same `p` (see the module documentation). Convergent, like the
/// shuffles inside it.
pub fn atomic_add_helper(module: Module, ty: Type) -> Option<Value> {
    let ctx = module.context();
    let (name, bits) = match ty.kind() {
        TypeKind::LLVMFloatTypeKind => ("ferment.gpu.atomic_add.f32", 32),
        TypeKind::LLVMDoubleTypeKind => ("ferment.gpu.atomic_add.f64", 64),
        _ => return None,
    };
    if let Some(f) = module.function(name) {
        return Some(f);
    }
    let activemask = module.intrinsic("llvm.nvvm.activemask", &[])?;
    let match_all = module.intrinsic("llvm.nvvm.match.all.sync.i64p", &[])?;
    let bfly = module.intrinsic("llvm.nvvm.shfl.sync.bfly.i32", &[])?;
    let laneid = module.intrinsic("llvm.nvvm.read.ptx.sreg.laneid", &[])?;
    let (ptr, i32t, i64t) = (Type::ptr(ctx), Type::int(ctx, 32), Type::int(ctx, 64));
    let f = module.add_function(name, Type::function(Type::void(ctx), &[ptr, ty], false));
    f.set_internal();
    f.add_fn_enum_attribute("convergent");
    let (p, v) = (f.params()[0], f.params()[1]);
    let entry = f.append_block("entry");
    let check = f.append_block("same.address");
    let reduce = f.append_block("warp.sum");
    let leader = f.append_block("leader");
    let plain = f.append_block("plain");
    let exit = f.append_block("exit");
    let b = Builder::new(module);
    let all = b.const_int(i32t, -1);
    b.at_end(entry);
    let mask = b.call_fn(activemask, &[]);
    b.cond_br(b.icmp(IntPredicate::LLVMIntEQ, mask, all), check, plain);
    b.at_end(check);
    let m = b.call_fn(match_all, &[all, b.ptr_to_int(p, i64t)]);
    b.cond_br(b.extract_value(m, 1), reduce, plain);
    b.at_end(reduce);
    let c31 = b.const_int(i32t, 31);
    let shuffle = |x: Value, k: i64| -> Value {
        if bits == 32 {
            let w = b.bitcast(x, i32t);
            let r = b.call_fn(bfly, &[all, w, b.const_int(i32t, k), c31]);
            return b.bitcast(r, ty);
        }
        let w = b.bitcast(x, Type::vector(i32t, 2));
        let idx = |j: i64| b.const_int(i32t, j);
        let lo = b.extract_element(w, idx(0));
        let hi = b.extract_element(w, idx(1));
        let lo = b.call_fn(bfly, &[all, lo, b.const_int(i32t, k), c31]);
        let hi = b.call_fn(bfly, &[all, hi, b.const_int(i32t, k), c31]);
        let r = b.insert_element(b.undef(Type::vector(i32t, 2)), lo, idx(0));
        let r = b.insert_element(r, hi, idx(1));
        b.bitcast(r, ty)
    };
    let mut sum = v;
    for k in [16, 8, 4, 2, 1] {
        sum = b.fadd(sum, shuffle(sum, k));
    }
    let lane = b.call_fn(laneid, &[]);
    b.cond_br(
        b.icmp(IntPredicate::LLVMIntEQ, lane, b.const_int(i32t, 0)),
        leader,
        exit,
    );
    b.at_end(leader);
    b.atomic_fadd(p, sum);
    b.br(exit);
    b.at_end(plain);
    b.atomic_fadd(p, v);
    b.br(exit);
    b.at_end(exit);
    b.ret_void();
    Some(f)
}
