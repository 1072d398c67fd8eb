//! GPU (NVPTX) specifics of differentiation: the threads of a kernel run the
//! derivative together, so what one thread's reverse sweep does to memory
//! another thread may touch, and where the threads wait for each other, must
//! be mirrored faithfully.
//!
//! - Barriers (`__syncthreads`, `bar.sync`, `__syncwarp`) are repeated at the
//!   mirrored place of the reverse sweep ([`mirror_barrier`]).
//! - Adjoints of loads are accumulated with `atomicrmw fadd` unless the
//!   address is private to the thread ([`private_loads`], `privacy.rs`).
//! - `__shared__` arrays get `__shared__` shadows ([`shadow_shared_array`],
//!   `shared.rs`).
//! - Warp shuffles have reverse rules ([`Shuffle`], `shuffle.rs`).
//! - Constructs whose reverse needs more than one block's cooperation
//!   (memory fences, grid synchronization, device-side launches) are errors
//!   ([`check_constructs`]).
//!
//! May touch: the reverse sweep's builder (through the callers); never the
//! analyses.

mod aggregate;
mod hoist;
mod privacy;
mod shared;
mod shuffle;

pub use aggregate::{atomic_add_helper, can_aggregate};
pub use hoist::hoist_loads;
pub use privacy::{is_uniform, private_loads};
pub use shared::{
    copy_words_helper, free_heap_helper, scratch_cell, shadow_shared_array, skip_scratch_atomics,
    SHARED_SPACE,
};
use shuffle::shuffle_name;
pub use shuffle::{Shuffle, ShuffleKind};

use crate::error::{Error, Result};
use ferment_activity_analysis::Activity;
use ferment_ir::{Block, Builder, Module, Opcode, Value};

/// Whether `call` is CUDA libdevice math (`__nv_sin`, `__nv_sqrt`, ...):
/// a value computed from values, no pointer in or out, no memory touched
/// (the shim also marks such declarations `memory(none)` before
/// optimization).
pub fn is_libdevice_math(call: Value) -> bool {
    call.called_function()
        .is_some_and(|f| f.name().starts_with("__nv_"))
        && !call.ty().is_pointer()
        && !call.ty().is_void()
        && call.call_args().iter().all(|a| !a.ty().is_pointer())
}

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
            let name = inst.called_name();
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
