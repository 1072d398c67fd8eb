//! `__shared__` shadows, cleared by the block, and the scratch cell for
//! adjoints of constant memory.

use crate::error::{Error, Result};
use ferment_ir::{Block, Builder, Module, Type, Value};

use super::is_barrier;

/// NVPTX's address space of `__shared__` memory.
pub const SHARED_SPACE: u32 = 3;

/// The shadow of a `__shared__` array `g`: another `__shared__` array (one
/// per block, like `g`), zeroed at the derivative's entry by all the
/// threads of the block together, followed by a barrier. All threads of a
/// block must therefore call the derivative, which a function that waits at
/// barriers already requires: a function without one is an error.
pub fn shadow_shared_array(
    module: Module,
    b: &Builder,
    g: Value,
    blocks: &[Block],
    first_use: Value,
) -> Result<Value> {
    let has_barrier = blocks.iter().flat_map(|blk| blk.instructions()).any(|i| {
        i.is_call()
            && i.called_function().is_some_and(|f| {
                is_barrier(&f.name()) && !f.name().starts_with("llvm.nvvm.bar.warp")
            })
    });
    if !has_barrier {
        return Err(Error::at(
            first_use,
            format!("the __shared__ array @{} carries derivatives in a function without __syncthreads(): its shadow must be cleared by the whole block before use, which needs a barrier that every thread reaches", g.name()),
        )
        .hint("call __syncthreads() in the function (all threads of the block must call the derivative), or use a per-thread local array"));
    }
    let ty = g.global_value_type();
    let bytes = module.alloc_size(ty);
    if !bytes.is_multiple_of(4) {
        return Err(Error::at(
            first_use,
            format!(
                "the __shared__ array @{} has a size ({bytes} bytes) that is not a multiple of 4",
                g.name()
            ),
        )
        .hint("pad the array to a whole number of 32-bit words"));
    }
    let name = format!("{}.ferment.shadow", g.name());
    let sg = match module.global(&name) {
        Some(existing) => existing,
        None => module.add_undef_global_in(&name, ty, SHARED_SPACE),
    };
    let ctx = module.context();
    let generic = Type::ptr(ctx);
    let p = b.addrspace_cast(sg, generic);
    let words = b.const_int(Type::int(ctx, 64), (bytes / 4) as i64);
    b.call_fn(zero_shared_helper(module), &[p, words]);
    let bar = module
        .intrinsic("llvm.nvvm.barrier.cta.sync.aligned.all", &[])
        .expect("NVPTX barrier intrinsic");
    b.call_fn(bar, &[b.const_int(b.i32(), 0)]);
    Ok(sg)
}

/// `void ferment.gpu.zero_shared(ptr p, i64 words)`: the threads of the
/// block zero `words` 32-bit words at `p` together, thread `t` of `n`
/// zeroing words `t, t + n, ...`.
fn zero_shared_helper(module: Module) -> Value {
    const NAME: &str = "ferment.gpu.zero_shared";
    if let Some(f) = module.function(NAME) {
        return f;
    }
    let ctx = module.context();
    let (ptr, i64t, i32t) = (Type::ptr(ctx), Type::int(ctx, 64), Type::int(ctx, 32));
    let f = module.add_function(NAME, Type::function(Type::void(ctx), &[ptr, i64t], false));
    f.set_internal();
    let (p, words) = (f.params()[0], f.params()[1]);
    let entry = f.append_block("entry");
    let body = f.append_block("loop");
    let exit = f.append_block("exit");
    let b = Builder::new(module);
    b.at_end(entry);
    let sreg = |s: &str| {
        let r = module
            .intrinsic(&format!("llvm.nvvm.read.ptx.sreg.{s}"), &[])
            .expect("NVPTX special register");
        b.call_fn(r, &[])
    };
    let (tx, ty, tz) = (sreg("tid.x"), sreg("tid.y"), sreg("tid.z"));
    let (nx, ny, nz) = (sreg("ntid.x"), sreg("ntid.y"), sreg("ntid.z"));
    let t = b.add_int(tx, b.mul_int(nx, b.add_int(ty, b.mul_int(ny, tz))));
    let n = b.mul_int(nx, b.mul_int(ny, nz));
    let t = b.int_cast(t, i64t, false);
    let n = b.int_cast(n, i64t, false);
    let any = b.icmp(ferment_ir::IntPredicate::LLVMIntULT, t, words);
    b.cond_br(any, body, exit);
    b.at_end(body);
    let i = b.phi(i64t, "i");
    b.store(b.const_int(i32t, 0), b.gep(i32t, p, &[i]));
    let next = b.add_int(i, n);
    let more = b.icmp(ferment_ir::IntPredicate::LLVMIntULT, next, words);
    b.cond_br(more, body, exit);
    i.add_incoming(t, entry);
    i.add_incoming(next, body);
    b.at_end(exit);
    b.ret_void();
    f
}

/// A global cell of type `ty` (NVPTX's global address space) that adjoints
/// meant for constant memory are sent to and nothing reads: the GPU
/// counterpart of a scratch stack slot, usable by atomic accumulations.
pub fn scratch_cell(module: Module, b: &Builder, ty: Type) -> Value {
    const GLOBAL_SPACE: u32 = 1;
    let name = format!("ferment.gpu.scratch.{}", ty.describe());
    let g = match module.global(&name) {
        Some(g) => g,
        None => module.add_undef_global_in(&name, ty, GLOBAL_SPACE),
    };
    b.addrspace_cast(g, Type::ptr(module.context()))
}
