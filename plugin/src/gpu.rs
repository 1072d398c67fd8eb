//! GPU (NVPTX) specifics of differentiation: the threads of a kernel run the
//! derivative together, so what one thread's reverse sweep does to memory
//! another thread may touch, and where the threads wait for each other, must
//! be mirrored faithfully.
//!
//! - Barriers (`__syncthreads`, `bar.sync`, `__syncwarp`) are repeated at the
//!   mirrored place of the reverse sweep ([`mirror_barrier`]).
//! - Adjoints of loads are accumulated with `atomicrmw fadd` unless the
//!   address is private to the thread ([`private_loads`]).
//! - Warp shuffles have reverse rules ([`Shuffle`]).
//! - Constructs whose reverse needs more than one block's cooperation
//!   (memory fences, grid synchronization, device-side launches) are errors
//!   ([`check_constructs`]).
//!
//! May touch: the reverse sweep's builder (through the callers); never the
//! analyses.

use crate::error::{Error, Result};
use ferment_activity_analysis::Activity;
use ferment_ir::{Block, Builder, Module, Opcode, Type, Value};
use hashbrown::HashSet;

/// Whether the module is compiled for an NVIDIA GPU.
pub fn is_gpu(module: Module) -> bool {
    module.target_triple().starts_with("nvptx")
}

/// Whether `name` is a barrier among the threads of a block or a warp.
pub fn is_barrier(name: &str) -> bool {
    (name.starts_with("llvm.nvvm.barrier") && !name.starts_with("llvm.nvvm.barrier.cluster"))
        || name.starts_with("llvm.nvvm.bar.")
}

/// Emits, at the builder's position in the reverse sweep, the barrier that
/// mirrors `inst`: the same barrier for the plain forms, a plain barrier on
/// the same id for the reducing forms (`__syncthreads_count`...), whose
/// result the reverse sweep does not need. `primal` gives an operand's value
/// as seen from the reverse sweep.
pub fn mirror_barrier(b: &Builder, inst: Value, mut primal: impl FnMut(Value) -> Value) {
    let Some(f) = inst.called_function() else {
        return;
    };
    let name = f.name();
    let args = inst.call_args();
    if name.starts_with("llvm.nvvm.barrier.cta.red.") {
        let aligned = name.contains(".aligned");
        let plain = if aligned {
            "llvm.nvvm.barrier.cta.sync.aligned.all"
        } else {
            "llvm.nvvm.barrier.cta.sync.all"
        };
        let id = primal(args[0]);
        let c = b
            .module()
            .intrinsic(plain, &[])
            .expect("NVPTX barrier intrinsic");
        b.call_fn(c, &[id]);
        return;
    }
    let ops: Vec<Value> = args.into_iter().map(&mut primal).collect();
    b.call_fn(f, &ops);
}

/// The kinds of `shfl.sync` (`__shfl_sync`, `__shfl_up_sync`,
/// `__shfl_down_sync`, `__shfl_xor_sync`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ShuffleKind {
    Idx,
    Up,
    Down,
    Bfly,
}

/// A float warp shuffle `llvm.nvvm.shfl.sync.<kind>.f32(mask, v, lane or
/// offset, c)`.
#[derive(Clone, Copy, Debug)]
pub struct Shuffle {
    pub kind: ShuffleKind,
    pub mask: Value,
    pub value: Value,
    pub offset: Value,
    pub c: Value,
}

/// Which shuffle `name` is, and whether it moves floats (`Some(true)`) or
/// 32-bit integers (`Some(false)`).
fn shuffle_name(name: &str) -> Option<(ShuffleKind, bool)> {
    let rest = name.strip_prefix("llvm.nvvm.shfl.sync.")?;
    let (kind, ty) = rest.split_once('.')?;
    let kind = match kind {
        "idx" => ShuffleKind::Idx,
        "up" => ShuffleKind::Up,
        "down" => ShuffleKind::Down,
        "bfly" => ShuffleKind::Bfly,
        _ => return None,
    };
    match ty {
        "f32" => Some((kind, true)),
        "i32" => Some((kind, false)),
        _ => None,
    }
}

impl Shuffle {
    /// The float shuffle `inst` is, if any.
    pub fn of(inst: Value) -> Option<Shuffle> {
        let name = inst.called_function()?.name();
        let (kind, true) = shuffle_name(&name)? else {
            return None;
        };
        let a = inst.call_args();
        (a.len() == 4).then(|| Shuffle {
            kind,
            mask: a[0],
            value: a[1],
            offset: a[2],
            c: a[3],
        })
    }

    /// Why the reverse rule cannot handle this shuffle, if it cannot.
    pub fn unsupported(&self) -> Option<String> {
        match self.c.const_int() {
            // The segment width is in bits 8..12; the clamp lane in bits
            // 0..4 must be the usual one for the kind.
            Some(c) if c & 0x1f == self.usual_clamp() => None,
            _ => Some(format!(
                "the shuffle's clamp operand '{}' is not the constant CUDA's __shfl_*_sync passes",
                self.c.short()
            )),
        }
    }

    fn usual_clamp(&self) -> i64 {
        if self.kind == ShuffleKind::Up {
            0
        } else {
            0x1f
        }
    }

    /// Forward mode: the tangent moves like the value.
    pub fn tangent(
        &self,
        b: &Builder,
        inst: Value,
        dv: Value,
        primal: &dyn Fn(Value) -> Value,
    ) -> Value {
        let f = inst.called_function().expect("shuffle callee");
        b.call_fn(
            f,
            &[primal(self.mask), dv, primal(self.offset), primal(self.c)],
        )
    }

    /// Reverse mode: the adjoint `d` of the result, sent back to the lanes
    /// the values came from. A butterfly is its own inverse; the reverse of
    /// a shift down by `k` is a shift up by `k`, where a lane whose source
    /// was out of range kept its own value (and keeps its own adjoint).
    pub fn adjoint(&self, b: &Builder, d: Value, primal: &mut dyn FnMut(Value) -> Value) -> Value {
        let m = b.module();
        let f32t = d.ty();
        let mask = primal(self.mask);
        let k = primal(self.offset);
        let c = primal(self.c);
        let i32t = Type::int(m.context(), 32);
        if self.kind == ShuffleKind::Idx {
            return self.broadcast_adjoint(b, mask, d, k);
        }
        if self.kind == ShuffleKind::Bfly {
            let f = m
                .intrinsic("llvm.nvvm.shfl.sync.bfly.f32", &[])
                .expect("shfl intrinsic");
            return b.call_fn(f, &[mask, d, k, c]);
        }
        // Down by k: lane i received lane i+k's value when that lane exists
        // in its segment (predicate of the down shuffle), else its own.
        // Reverse: lane i gets the adjoint of lane i-k when lane i-k
        // received from it (predicate of the up shuffle), plus its own when
        // it kept its own value. Up by k is the mirror image.
        let (there, back) = match self.kind {
            ShuffleKind::Down => ("down", "up"),
            _ => ("up", "down"),
        };
        let seg = b.and_int(c, b.const_int(i32t, 0x1f00));
        let c_there = c;
        let c_back = if back == "up" {
            seg
        } else {
            b.or_int(seg, b.const_int(i32t, 0x1f))
        };
        let fthere = m
            .intrinsic(&format!("llvm.nvvm.shfl.sync.{there}.f32p"), &[])
            .expect("shfl intrinsic");
        let fback = m
            .intrinsic(&format!("llvm.nvvm.shfl.sync.{back}.f32p"), &[])
            .expect("shfl intrinsic");
        let zero = b.zero(f32t);
        let moved = b.call_fn(fthere, &[mask, zero, k, c_there]);
        let kept_own = b.not(b.extract_value(moved, 1));
        let got = b.call_fn(fback, &[mask, d, k, c_back]);
        let from_other = b.select(b.extract_value(got, 1), b.extract_value(got, 0), zero);
        let own = b.select(kept_own, d, zero);
        b.fadd_acc(from_other, own)
    }
}

impl Shuffle {
    /// Reverse of `__shfl_sync(mask, v, sel)`: lane i read lane src(i), so
    /// lane l's adjoint is the sum of the adjoints of the lanes that read it.
    /// Every lane's (adjoint, source) pair is broadcast in turn (32 rounds of
    /// two shuffles) and each lane adds those aimed at it.
    fn broadcast_adjoint(&self, b: &Builder, mask: Value, d: Value, sel: Value) -> Value {
        let m = b.module();
        let i32t = Type::int(m.context(), 32);
        let c = self.c.const_int().unwrap_or(0x1f);
        let seg = (c >> 8) & 0x1f;
        let lane = b.call_fn(
            m.intrinsic("llvm.nvvm.read.ptx.sreg.laneid", &[])
                .expect("laneid"),
            &[],
        );
        let probe = m
            .intrinsic("llvm.nvvm.shfl.sync.idx.f32p", &[])
            .expect("shfl intrinsic");
        let cv = b.const_int(i32t, c);
        let valid = b.extract_value(b.call_fn(probe, &[mask, b.zero(d.ty()), sel, cv]), 1);
        // PTX: the source is minLane | (sel & ~segmask) when in range.
        let src = b.or_int(
            b.and_int(lane, b.const_int(i32t, seg)),
            b.and_int(sel, b.const_int(i32t, !seg & 0x1f)),
        );
        let src = b.select(valid, src, lane);
        let fd = m
            .intrinsic("llvm.nvvm.shfl.sync.idx.f32", &[])
            .expect("shfl intrinsic");
        let fi = m
            .intrinsic("llvm.nvvm.shfl.sync.idx.i32", &[])
            .expect("shfl intrinsic");
        let full = b.const_int(i32t, 0x1f);
        let mut acc = b.zero(d.ty());
        for l in 0..32 {
            let l = b.const_int(i32t, l);
            let dl = b.call_fn(fd, &[mask, d, l, full]);
            let sl = b.call_fn(fi, &[mask, src, l, full]);
            let mine = b.icmp(ferment_ir::IntPredicate::LLVMIntEQ, sl, lane);
            acc = b.fadd_acc(acc, b.select(mine, dl, b.zero(d.ty())));
        }
        acc
    }
}

/// Rejects, in a function that does derivative work on a GPU, what the
/// reverse sweep cannot mirror: memory fences (inter-block communication),
/// grid-wide synchronization (cooperative groups), device-side kernel
/// launches (dynamic parallelism), cluster barriers, shuffles without a
/// reverse rule, and 32-bit integer shuffles of an active double's halves.
pub fn check_constructs(blocks: &[Block], activity: &Activity, reverse: bool) -> Result<()> {
    for &blk in blocks {
        for inst in blk.instructions() {
            if inst.opcode() == Opcode::LLVMFence {
                return Err(Error::at(
                    inst,
                    "cannot differentiate a memory fence in GPU code: it orders communication between blocks, which the reverse sweep cannot mirror",
                )
                .hint("split the computation into separate kernel launches, or use __syncthreads() within a block"));
            }
            if !inst.is_call() {
                continue;
            }
            let name = inst.called_function().map(|f| f.name()).unwrap_or_default();
            if let Some(what) = unsupported_call(&name) {
                return Err(Error::at(
                    inst,
                    format!("cannot differentiate {what} ('{name}')"),
                )
                .hint("differentiate each kernel separately and launch the derivative kernels from the host, synchronizing between launches"));
            }
            if let Some(sh) = Shuffle::of(inst) {
                if reverse && activity.is_active(inst) {
                    if let Some(why) = sh.unsupported() {
                        return Err(Error::at(inst, format!("cannot differentiate warp shuffle '{name}': {why}"))
                            .hint("use CUDA's __shfl_*_sync functions (full segments), or stage the value in __shared__ memory"));
                    }
                }
            } else if let Some((_, false)) = shuffle_name(&name) {
                let v = inst.call_args()[1];
                if let Some(src) = float_bits_source(v) {
                    if activity.is_varied(src) {
                        return Err(Error::at(
                            inst,
                            format!("cannot differentiate a warp shuffle of the bits of the active value '{}' (CUDA shuffles a double as two 32-bit halves)", src.short()),
                        )
                        .hint("shuffle active values as float, or exchange doubles through __shared__ memory"));
                    }
                }
            }
        }
    }
    Ok(())
}

/// GPU calls that need the cooperation of other blocks or launches.
fn unsupported_call(name: &str) -> Option<&'static str> {
    const DYNAMIC: &[&str] = &[
        "cudaLaunchDevice",
        "cudaGetParameterBuffer",
        "cudaLaunchCooperativeKernel",
        "cudaDeviceSynchronize",
    ];
    const COOPERATIVE: &[&str] = &[
        "cudaCGSynchronize",
        "cudaCGGetIntrinsicHandle",
        "cudaCGGetRank",
        "cudaCGGetSize",
    ];
    if DYNAMIC.iter().any(|p| name.starts_with(p)) {
        return Some("a kernel launch from device code (dynamic parallelism)");
    }
    if COOPERATIVE.iter().any(|p| name.starts_with(p)) {
        return Some("grid-wide synchronization (cooperative groups)");
    }
    if name.starts_with("llvm.nvvm.barrier.cluster") {
        return Some("a thread-block cluster barrier");
    }
    if name.starts_with("llvm.nvvm.membar") || name.starts_with("llvm.nvvm.fence") {
        return Some("a memory fence in GPU code (communication between blocks)");
    }
    None
}

/// The float whose bits `v` carries (through truncations, shifts and
/// bitcasts), if any.
fn float_bits_source(v: Value) -> Option<Value> {
    let mut v = v;
    for _ in 0..8 {
        if !v.is_instruction() {
            return None;
        }
        match v.opcode() {
            Opcode::LLVMBitCast if v.operand(0).ty().scalar().is_float() => {
                return Some(v.operand(0))
            }
            Opcode::LLVMTrunc
            | Opcode::LLVMLShr
            | Opcode::LLVMAShr
            | Opcode::LLVMBitCast
            | Opcode::LLVMExtractElement => v = v.operand(0),
            _ => return None,
        }
    }
    None
}

/// Whether `v` is the same in every thread of a launch: a kernel
/// parameter, a global, a constant, or a cast or constant offset of one.
pub fn is_uniform(v: Value) -> bool {
    let mut v = v;
    for _ in 0..8 {
        if v.is_constant() {
            return true;
        }
        if v.is_argument() {
            return v.param_function().is_kernel();
        }
        if !v.is_instruction() {
            return false;
        }
        match v.opcode() {
            Opcode::LLVMAddrSpaceCast | Opcode::LLVMBitCast => v = v.operand(0),
            Opcode::LLVMGetElementPtr if v.operands()[1..].iter().all(|o| o.is_constant()) => {
                v = v.operand(0)
            }
            _ => return false,
        }
    }
    false
}

/// Strips integer widening and no-op casts.
fn strip_ext(v: Value) -> Value {
    let mut v = v;
    while v.is_instruction() && matches!(v.opcode(), Opcode::LLVMSExt | Opcode::LLVMZExt) {
        v = v.operand(0);
    }
    v
}

fn sreg(v: Value) -> Option<String> {
    let v = strip_ext(v);
    if !v.is_call() {
        return None;
    }
    let n = v.called_function()?.name();
    n.strip_prefix("llvm.nvvm.read.ptx.sreg.")
        .map(str::to_string)
}

/// Whether `v` is the global thread index along x,
/// `threadIdx.x + blockIdx.x * blockDim.x` (in any order).
fn is_global_thread_index(v: Value) -> bool {
    let v = strip_ext(v);
    if !v.is_instruction() || !matches!(v.opcode(), Opcode::LLVMAdd | Opcode::LLVMOr) {
        return false;
    }
    let (a, c) = (v.operand(0), v.operand(1));
    let is_tid = |x: Value| sreg(x).as_deref() == Some("tid.x");
    let is_block_base = |x: Value| {
        let x = strip_ext(x);
        x.is_instruction()
            && x.opcode() == Opcode::LLVMMul
            && matches!(
                (sreg(x.operand(0)).as_deref(), sreg(x.operand(1)).as_deref()),
                (Some("ctaid.x"), Some("ntid.x")) | (Some("ntid.x"), Some("ctaid.x"))
            )
    };
    v.opcode() == Opcode::LLVMAdd
        && ((is_tid(a) && is_block_base(c)) || (is_tid(c) && is_block_base(a)))
}

/// `(base argument, index)` of an access `gep T, arg, idx` (through
/// address-space casts), if it has that form.
fn argument_element(p: Value) -> Option<(Value, Value)> {
    let mut p = p;
    while p.is_instruction() && p.opcode() == Opcode::LLVMAddrSpaceCast {
        p = p.operand(0);
    }
    if !p.is_instruction() || p.opcode() != Opcode::LLVMGetElementPtr || p.num_operands() != 2 {
        return None;
    }
    let mut base = p.operand(0);
    while base.is_instruction() && base.opcode() == Opcode::LLVMAddrSpaceCast {
        base = base.operand(0);
    }
    base.is_argument().then(|| (base, strip_ext(p.operand(1))))
}

/// The loads whose adjoint may be accumulated with a plain read-modify-write
/// because no other thread can touch the address while the derivative runs.
///
/// The proof: the pointer arguments are the same in every thread
/// (`uniform_pointers`, checked at the call site); every access through an
/// argument is `arg[i]` with one index `i = threadIdx.x + blockIdx.x *
/// blockDim.x`; and the load's block also stores (non-atomically) to
/// `arg[i]`, so two threads running that block with the same `i` would race
/// in the primal program. Hence `i` is this thread's own and so are the
/// shadow elements it accumulates into. Anything else is accumulated
/// atomically.
pub fn private_loads(blocks: &[Block], uniform_pointers: bool) -> HashSet<Value> {
    let mut private = HashSet::new();
    if !uniform_pointers {
        return private;
    }
    let mut index: Option<Value> = None;
    let mut storing_blocks = HashSet::new();
    let mut loads = Vec::new();
    for &blk in blocks {
        for inst in blk.instructions() {
            let p = match inst.opcode() {
                Opcode::LLVMLoad => inst.operand(0),
                Opcode::LLVMStore => inst.operand(1),
                Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => inst.operand(0),
                _ if inst.is_call() => {
                    // A call may access argument memory in any pattern.
                    let name = inst.called_function().map(|f| f.name()).unwrap_or_default();
                    let harmless = name.starts_with("llvm.nvvm.")
                        || name.starts_with("__nv_")
                        || name.starts_with("llvm.lifetime")
                        || name.starts_with("llvm.dbg")
                        || !inst.call_args().iter().any(|a| a.ty().is_pointer());
                    if harmless {
                        continue;
                    }
                    return private;
                }
                _ => continue,
            };
            // Memory of the thread (its stack) or of the block (`__shared__`)
            // is no argument's; anything else not known to be an argument
            // (a pointer loaded from memory, an ordinary global that an
            // argument may point into) could alias one.
            let objects = ferment_activity_analysis::underlying_objects(p);
            let own = |o: &Value| {
                ferment_activity_analysis::allocation_kind(*o)
                    == Some(ferment_activity_analysis::AllocKind::Stack)
                    || (o.is_global() && o.address_space() == SHARED_SPACE)
            };
            if objects.iter().all(own) {
                continue;
            }
            if !objects.iter().all(|o| o.is_argument()) {
                return private;
            }
            let Some((_, i)) = argument_element(p) else {
                return private;
            };
            if !is_global_thread_index(i) || index.is_some_and(|j| j != i) {
                return private;
            }
            index = Some(i);
            match inst.opcode() {
                Opcode::LLVMStore => {
                    storing_blocks.insert(blk);
                }
                Opcode::LLVMLoad => loads.push(inst),
                _ => return private,
            }
        }
    }
    private.extend(
        loads
            .into_iter()
            .filter(|l| storing_blocks.contains(&l.parent())),
    );
    private
}

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
