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

/// `void ferment.gpu.free_heap(ptr p, ptr local)`: `free(p)` unless `p` is
/// null or the per-thread local buffer `local` (a tape's first rows).
/// Never `free(NULL)`: compute-sanitizer's device-heap checking stops such
/// kernels with an illegal address (they run clean with that check off).
pub fn free_heap_helper(module: Module) -> Value {
    const NAME: &str = "ferment.gpu.free_heap";
    if let Some(f) = module.function(NAME) {
        return f;
    }
    let ctx = module.context();
    let ptr = Type::ptr(ctx);
    let f = module.add_function(NAME, Type::function(Type::void(ctx), &[ptr, ptr], false));
    f.set_internal();
    let (p, local) = (f.params()[0], f.params()[1]);
    let entry = f.append_block("entry");
    let release = f.append_block("free");
    let exit = f.append_block("exit");
    let b = Builder::new(module);
    let ne = ferment_ir::IntPredicate::LLVMIntNE;
    b.at_end(entry);
    let heap = b.and_int(b.icmp(ne, p, b.zero(ptr)), b.icmp(ne, p, local));
    b.cond_br(heap, release, exit);
    b.at_end(release);
    let free = crate::reverse::tape::declare(module, "free", Type::void(ctx), &[ptr]);
    b.call_fn(free, &[p]);
    b.br(exit);
    b.at_end(exit);
    b.ret_void();
    f
}

/// `void ferment.gpu.copy_words(ptr dst, ptr src, i64 bytes)`: a copy
/// between two 8-byte-aligned buffers that do not overlap, by 64-bit words
/// then bytes (NVPTX lowers a `memcpy` of unknown length to a byte loop).
/// Tape buffers moving to a larger heap buffer use it.
pub fn copy_words_helper(module: Module) -> Value {
    const NAME: &str = "ferment.gpu.copy_words";
    if let Some(f) = module.function(NAME) {
        return f;
    }
    let ctx = module.context();
    let (ptr, i64t, i8t) = (Type::ptr(ctx), Type::int(ctx, 64), Type::int(ctx, 8));
    let f = module.add_function(
        NAME,
        Type::function(Type::void(ctx), &[ptr, ptr, i64t], false),
    );
    f.set_internal();
    let (dst, src, bytes) = (f.params()[0], f.params()[1], f.params()[2]);
    let entry = f.append_block("entry");
    let words_loop = f.append_block("words");
    let tail_check = f.append_block("tail.check");
    let tail_loop = f.append_block("tail");
    let exit = f.append_block("exit");
    let b = Builder::new(module);
    let ult = ferment_ir::IntPredicate::LLVMIntULT;
    b.at_end(entry);
    let words = b.udiv_int(bytes, b.const_int(i64t, 8));
    let zero = b.const_int(i64t, 0);
    let one = b.const_int(i64t, 1);
    b.cond_br(b.icmp(ult, zero, words), words_loop, tail_check);
    b.at_end(words_loop);
    let i = b.phi(i64t, "i");
    let w = b.load(i64t, b.gep(i64t, src, &[i]));
    b.store(w, b.gep(i64t, dst, &[i]));
    let next = b.add_int(i, one);
    b.cond_br(b.icmp(ult, next, words), words_loop, tail_check);
    i.add_incoming(zero, entry);
    i.add_incoming(next, words_loop);
    b.at_end(tail_check);
    let start = b.mul_int(words, b.const_int(i64t, 8));
    b.cond_br(b.icmp(ult, start, bytes), tail_loop, exit);
    b.at_end(tail_loop);
    let j = b.phi(i64t, "j");
    let c = b.load(i8t, b.gep(i8t, src, &[j]));
    b.store(c, b.gep(i8t, dst, &[j]));
    let next = b.add_int(j, one);
    b.cond_br(b.icmp(ult, next, bytes), tail_loop, exit);
    j.add_incoming(start, tail_check);
    j.add_incoming(next, tail_loop);
    b.at_end(exit);
    b.ret_void();
    f
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

/// Whether `p` is the scratch cell of [`scratch_cell`] (through its cast).
fn is_scratch_cell(p: Value) -> bool {
    let g = p.strip_casts();
    g.is_global() && g.name().starts_with("ferment.gpu.scratch.")
}

/// Makes each atomic accumulation of `f` (an `atomicrmw`, or a call of
/// `gpu::atomic_add_helper`) into `select(own, scratch, shadow)`
/// (the adjoint of a read through a pointer that may point into constant
/// memory) conditional: a thread whose pointer is constant skips the atomic,
/// instead of contending with every other such thread for the one scratch
/// cell (measured on an H200: 178x the primal's time with 2M threads
/// serialized on the cell).
pub fn skip_scratch_atomics(module: Module, f: Value) {
    let sites: Vec<Value> = f
        .blocks()
        .into_iter()
        .flat_map(|blk| blk.instructions())
        .filter(|i| {
            let accumulates = i.opcode() == ferment_ir::Opcode::LLVMAtomicRMW
                || i.is_call()
                    && i.called_function()
                        .is_some_and(|f| f.name().starts_with("ferment.gpu.atomic_add."));
            accumulates && !i.has_uses() && {
                let p = i.operand(0);
                p.is_instruction()
                    && p.opcode() == ferment_ir::Opcode::LLVMSelect
                    && is_scratch_cell(p.operand(1))
                    && !is_scratch_cell(p.operand(2))
            }
        })
        .collect();
    let b = Builder::new(module);
    for atomic in sites {
        let select = atomic.operand(0);
        b.before(atomic);
        let not_own = b.not(select.operand(0));
        let then = crate::shim::if_then_after(not_own);
        b.before(then);
        let copy = atomic.clone_instruction();
        b.insert(copy);
        copy.set_operand(0, select.operand(2));
        atomic.erase();
        if !select.has_uses() {
            select.erase();
        }
    }
}
