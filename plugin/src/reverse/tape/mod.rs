//! The tape: primal values the reverse sweep needs, cached or recomputed.
//!
//! - A value outside loops is stored to a stack slot right after its
//!   definition; `mem2reg` later turns the slot back into a register, so it
//!   costs nothing.
//! - A value inside loop `L` is stored into a growable heap buffer indexed by
//!   `L`'s execution counter: every execution of `L`'s header takes the next
//!   index (`cnt_L++`). The reverse sweep replays iterations in exactly the
//!   reverse order, so it walks the same indices downwards (`ridx_L`), set
//!   whenever it enters an iteration (see [`Tape::enter_iteration`]). This
//!   needs no trip count and serves nested, triangular and while loops.
//!   A loop's cached values share one row per iteration in one buffer.
//!   Where scalar evolution bounds the iterations at loop entry, the rows
//!   are reserved once in the preheader (the body stays check-free and
//!   vectorizable); otherwise the header doubles the buffer when full.
//!   Buffers are freed at the end of the reverse sweep.
//! - In split mode (an augmented forward function and a separate reverse
//!   function) every slot lives in one frame instead of the stack, which
//!   the augmented function returns as the tape and the reverse function
//!   reads. Its size is fixed (loop rows live in buffers of their own), so
//!   a caller that knows it passes storage for it — in its own frame, on
//!   its stack, or in its loop's tape row ([`Tape::call_storage`]) — and
//!   no `malloc`/`free` runs per call; given none (the user's
//!   `__enzyme_augmentfwd`, recursion), the augmented function allocates
//!   the frame on the heap, and its first byte tells the reverse function
//!   to free it.
//! - Cheap pure values (integer and float arithmetic, casts, compares) whose
//!   operands are available in the reverse sweep are recomputed instead of
//!   cached.

pub use super::rereads::{unchanged_roots, Rereads, PARAM_EXTENTS};
use crate::cfg::loops::{LoopId, Loops};
use crate::shim;
use ferment_ir::{Block, Builder, IntPredicate, Module, Opcode, Type, Value};
use hashbrown::HashMap;

mod buffers;
mod frame;
mod rebuild;
mod recompute;
mod shadow_offsets;
mod siblings;
mod snapshot;
mod swap;

pub use buffers::{tape_cache_helpers, HUGE_TAPE_BYTES};
pub use rebuild::{FirstOnly, Rebuild};
pub use recompute::tape_only_calls;
use recompute::{induction_increment, Induction};

/// A slot as the forward sweep and the reverse sweep address it (the same
/// stack slot in combined mode; one frame field reached from two
/// functions in split mode).
#[derive(Clone, Copy)]
pub struct SlotPtr {
    pub fwd: Value,
    pub rev: Value,
}

/// Where slots live.
struct Frame {
    /// Builds at the top of the forward entry block.
    fwd_entry: Builder,
    /// Builds at the top of the reverse entry block (split mode).
    rev_entry: Option<Builder>,
    /// Split mode: the frame pointer in each function, the `malloc` call
    /// whose size is patched at the end, and the bytes used so far.
    split: Option<(Value, Value, Value)>,
    size: u64,
    /// Split mode: the largest alignment a field of the frame needs.
    align: u64,
    /// Split mode: the augmented function's parameter giving storage for
    /// the frame (null: allocate it on the heap).
    storage: Option<Value>,
}

/// Split mode: frame byte 0 says whether the augmented function allocated
/// the frame on the heap (1) or the caller gave storage (0).
const OWNED_OFFSET: u64 = 0;

/// The largest frame a caller holds for a callee in its own frame, stack or
/// tape row (larger frames stay on the heap).
const MAX_CALLER_FRAME: u64 = 4096;

/// Storage a caller reserved for a callee's frame (see
/// [`Tape::call_storage`]).
#[derive(Clone, Copy)]
pub enum CallStorage {
    /// A stack slot (combined shape) or a field of the caller's own frame.
    Fixed(SlotPtr),
    /// Bytes at `off` of the row of loop `lp`.
    Row { lp: LoopId, off: u64 },
}

enum Slot {
    /// Stack slot or frame field (value outside loops).
    Scalar(SlotPtr),
    /// Heap buffer of `ty` indexed by the loop's counter; the pointer lives
    /// in the stack slot `ptr`.
    Buffer { lp: LoopId, off: u64, ty: Type },
}

/// A header phi `phi = [first, preheader], [prev, latch]` of loop `lp` that
/// the reverse sweep reads as field `off` of the previous row: the forward
/// sweep stores `prev` there in every iteration and `first` into the row
/// before each instance's first (see [`Tape::carried_field`]).
struct CarriedField {
    lp: LoopId,
    phi: Value,
    off: u64,
    ty: Type,
    /// The block entering the loop (the phi's incoming block from outside,
    /// as it was before any growth check split a block) and the value the
    /// phi takes there.
    preheader: Block,
    first: Value,
}

/// GPU: bytes of per-thread local memory for each loop's first tape rows.
const GPU_LOCAL_TAPE_BYTES: u64 = 1024;

/// Per-loop counters.
struct LoopTape {
    /// The forward sweep's header execution counter.
    cnt_fwd: Value,
    /// The store giving the counter its start value at function entry: 0,
    /// or 1 once a carried value is read from the previous row (row 0 is
    /// then never an iteration's, so row `r - 1` always exists).
    cnt_init: Value,
    /// Whether the rows start at 1 (see `cnt_init`).
    padded: bool,
    /// The reverse sweep's copy of the header's execution counter (the
    /// forward sweep counts up in a slot), counting down (the frame stays
    /// intact, so a kept tape can be reversed again).
    rcnt: Value,
    /// Index of the iteration the reverse sweep is in.
    ridx: SlotPtr,
    /// Capacity of this loop's tape buffer, in rows (iterations).
    cap: SlotPtr,
    /// Index of the current iteration in the forward sweep.
    idx: Value,
    /// Last instruction of the header's counter prologue.
    prologue_end: Value,
    /// The loop's tape buffer: one row per iteration holding every value
    /// cached in this loop, contiguously.
    buf: Option<SlotPtr>,
    /// Bytes of a row so far.
    row: u64,
    /// `mul idx, STRIDE` instructions; the stride is known once every
    /// cached value has its place, and patched in by `finish`.
    strides: Vec<Value>,
    /// GPU: the per-thread local array holding the first rows (the buffer
    /// moves to device `malloc` memory only when it outgrows it).
    local: Option<Value>,
}

pub struct Tape {
    module: Module,
    slots: HashMap<Value, Slot>,
    loops: HashMap<LoopId, LoopTape>,
    frame: Frame,
    /// Split mode: each forward argument's counterpart in the reverse
    /// function.
    args: HashMap<Value, Value>,
    /// Split mode: the forward function's shadow arguments, and the byte
    /// offset from one of them that is taped in place of each pointer built
    /// from it alone (`shadow_offsets.rs`).
    shadow_args: hashbrown::HashSet<Value>,
    shadow_offsets: HashMap<Value, Value>,
    /// Inserts stores after definitions.
    saver: Builder,
    /// What was cached and recomputed, for `-ferment-print-tape`.
    pub report: Report,
    /// Whether an instruction touches a loop's row buffer (stores, loads,
    /// the GPU growth's memmove): each carries [`ROW_OP`] until
    /// [`Tape::fence_rows`] reads it. A mark, not a set of handles: an
    /// instruction erased meanwhile takes its mark along, where a new one
    /// made at its address would be taken for it.
    made_row_ops: std::cell::Cell<bool>,
    recomputed: hashbrown::HashSet<Value>,
    /// While the reverse sweep reverses a run of instructions that change
    /// nothing a reload reads ([`Tape::memo_begin`]): what each primal
    /// value was reloaded as, reused where the builder is at the end of the
    /// block holding it. Without it every use rebuilt its whole recomputed
    /// chain (ba: 5317 instructions generated, 529 after CSE).
    memo: Option<HashMap<Value, Value>>,
    /// Per loop: the counter's value on entry to the current instance
    /// (read in the forward preheader), and the reverse sweep's local copy
    /// of it, set wherever the reverse sweep enters a new instance.
    bases: HashMap<LoopId, (Value, Value)>,
    /// Where the reverse sweep enters a new instance of a loop (walking an
    /// exit edge or a `ret` inside it backwards): the instruction before
    /// which that instance's base is read.
    instance_entries: Vec<(LoopId, Value)>,
    /// Loops whose reverse may run their first iteration only (see
    /// [`Tape::reverse_first_iteration_only`]).
    first_only: Vec<FirstOnly>,
    /// Per heap block, its users as the reverse sweep first met them
    /// ([`Tape::block_users`]).
    block_users: HashMap<Value, rebuild::BlockUsers>,
    /// Per filling store, [`Rebuild::first_column_only`] as the reverse
    /// sweep first asked (see [`Tape::first_column_only`]).
    first_column: HashMap<Value, Option<LoopId>>,
    /// Carried header phis read from the previous row (see
    /// [`Tape::carried_field`]), in creation order.
    carried: Vec<CarriedField>,
    /// The reverse sweep's reads of a loop counter that only number the
    /// iterations of an instance ([`Tape::iteration`], and
    /// [`Tape::enter_iteration`]'s decrement): see [`Tape::local_count`].
    count_reads: hashbrown::HashSet<Value>,
    rereads: Option<Rereads>,
    /// Combined shape: pointer loads of the forward sweep from shadow memory,
    /// each with the primal load it shadows (see [`Tape::set_shadow_loads`]).
    shadow_loads: HashMap<Value, Value>,
    /// Split mode: frame fields the reverse function reads, each read once
    /// at its entry ([`Tape::frame_read`]).
    frame_reads: HashMap<Value, Value>,
    /// Calls recomputed like cheap arithmetic: `sin`/`cos` calls whose
    /// reverse computes the other function of the same argument anyway
    /// (their partial): recomputing them next to it costs little (the
    /// backend makes one `sincos` of the pair), taping them costs a row
    /// field; and, combined shape, calls the forward sweep would compute for
    /// the tape alone ([`tape_only_calls`]).
    paired: hashbrown::HashSet<Value>,
    /// Dominator tree of the function (immediate dominators), for
    /// [`Tape::forwarded`].
    idom: Option<HashMap<Block, Block>>,
    /// Per load: the snapshot it is read from, if any (see `snapshot.rs`).
    snap_plans: std::cell::RefCell<HashMap<Value, Option<snapshot::SnapPlan>>>,
    /// The snapshot buffers (see `snapshot.rs`).
    snaps: Vec<snapshot::Snapshot>,
    /// Per value: the next iteration's snapshot that holds it, if any
    /// (see `snapshot.rs`, [`Tape::stored_in_next_snapshot`]).
    next_plans: std::cell::RefCell<HashMap<Value, Option<snapshot::NextPlan>>>,
    /// Shadow blocks whose slots a reversed copy may swap (`swap.rs`):
    /// pointers into them are rebuilt from the slots, never taped.
    swap_roots: hashbrown::HashSet<Value>,
    /// Copies whose reverse swaps shadow buffers (`swap.rs`).
    swaps: HashMap<Value, swap::ShadowSwap>,
    /// Row buffers of [`HUGE_TAPE_BYTES`] or more are advised to use
    /// transparent huge pages (`-ferment-no-huge-pages` turns it off).
    pub huge_pages: bool,
    /// Row buffers of 64 KiB or more are kept for the next
    /// gradient of the thread (`-ferment-no-tape-cache` turns it off).
    pub tape_cache: bool,
    /// The tape cache's helpers take row buffers from the tape arena
    /// (`-ferment-tape-arena` turns it on).
    pub tape_arena: bool,
    /// Whether [`Tape::memo_begin`] takes effect (`-ferment-no-reload-memo`
    /// turns it off).
    pub reload_memo: bool,
    /// Whether a load may read a sibling loop's tape field
    /// ([`Tape::sibling_load`]; `-ferment-no-sibling-loads` turns it off).
    pub sibling_loads: bool,
    /// Whether loads of buffers swapped by pointers may read a snapshot
    /// (`-ferment-no-swapped-snapshots` turns it off).
    pub swapped_snapshots: bool,
}

/// Pure, cheap instructions the reverse sweep may recompute: arithmetic
/// (divisions included: one costs less than writing and reading back a tape
/// entry), casts, compares, selects, address arithmetic, and calls of the
/// pure arithmetic intrinsics. On GPUs also CUDA's libdevice math
/// (`__nv_sqrt`, `__nv_sin`, ...: tens of instructions, against a tape row
/// in per-thread local memory or device `malloc`, the slowest memory a
/// thread has).
fn is_cheap(v: Value) -> bool {
    if v.opcode() == Opcode::LLVMCall {
        if crate::gpu::is_libdevice_math(v) {
            return true;
        }
        const PURE: &[&str] = &[
            "llvm.fmuladd.",
            "llvm.fma.",
            "llvm.fabs.",
            "llvm.sqrt.",
            "llvm.copysign.",
            "llvm.minnum.",
            "llvm.maxnum.",
            "llvm.minimum.",
            "llvm.maximum.",
            // integer clamps (`i >= 2 ? i - 2 : 0`, `min(i + 1, n - 1)`):
            // a clamped address is rebuilt, not taped as a pointer
            "llvm.smin.",
            "llvm.smax.",
            "llvm.umin.",
            "llvm.umax.",
            "llvm.usub.sat.",
            "llvm.uadd.sat.",
            "llvm.ssub.sat.",
            "llvm.sadd.sat.",
            "llvm.abs.",
        ];
        if calls_one_of(v, ROUNDING) {
            return rounds_inline(v);
        }
        return calls_one_of(v, PURE);
    }
    if is_division(v) {
        return divides_safely(v);
    }
    matches!(
        v.opcode(),
        Opcode::LLVMFAdd
            | Opcode::LLVMFSub
            | Opcode::LLVMFMul
            | Opcode::LLVMFDiv
            | Opcode::LLVMFNeg
            | Opcode::LLVMAdd
            | Opcode::LLVMSub
            | Opcode::LLVMMul
            | Opcode::LLVMShl
            // (a shift past the width is poison, never undefined behaviour:
            // a flattened index's `k >> 6`, `k / 64` of an unsigned `k`)
            | Opcode::LLVMLShr
            | Opcode::LLVMAShr
            | Opcode::LLVMAnd
            | Opcode::LLVMOr
            | Opcode::LLVMXor
            | Opcode::LLVMSIToFP
            | Opcode::LLVMUIToFP
            // a table or cell index from a coordinate (`(long)floor(x)`):
            // one conversion instruction, so the loads at that index are
            // read again instead of taped with their addresses
            | Opcode::LLVMFPToSI
            | Opcode::LLVMFPToUI
            | Opcode::LLVMFPExt
            | Opcode::LLVMFPTrunc
            | Opcode::LLVMZExt
            | Opcode::LLVMSExt
            | Opcode::LLVMTrunc
            | Opcode::LLVMICmp
            | Opcode::LLVMFCmp
            | Opcode::LLVMSelect
            | Opcode::LLVMExtractValue
            | Opcode::LLVMGetElementPtr
            | Opcode::LLVMBitCast
    )
}

/// Integer division or remainder (scalar or vector).
fn is_division(v: Value) -> bool {
    matches!(
        v.opcode(),
        Opcode::LLVMUDiv | Opcode::LLVMURem | Opcode::LLVMSDiv | Opcode::LLVMSRem
    )
}

/// Integer division or remainder by a constant it never traps on (not
/// zero; for the signed ones not -1 either, whose quotient of the least
/// value overflows): safe to compute anywhere, even on the values of an
/// iteration that did not run (a shifted rebuild's first iteration), so
/// the index of a flattened array (`k / (NX * NY)`, `k % NX`) is rebuilt
/// instead of taping everything computed from it.
fn divides_safely(v: Value) -> bool {
    let signed = matches!(v.opcode(), Opcode::LLVMSDiv | Opcode::LLVMSRem);
    v.ty().is_integer()
        && v.ty().int_width() <= 64
        && v.operand(1)
            .const_int()
            .is_some_and(|d| d != 0 && !(signed && d == -1))
}

/// Scalar integer division or remainder by a variable (`(i + 1) % n` of a
/// periodic index): the reverse sweep rebuilds it where the forward sweep
/// computed it, from the same operands, with the divisor guarded
/// ([`guarded_division`]) so that no rebuild can trap. Not in the
/// speculating rebuilds (shifted, forwarded, BLAS operand, tape-only
/// calls), which use [`is_cheap`] alone.
fn divides_by_variable(v: Value) -> bool {
    is_division(v)
        && v.ty().is_integer()
        && v.ty().int_width() <= 64
        && v.operand(1).const_int().is_none()
}

/// The rebuilt division `c` (a clone of `v` with rebuilt operands, not yet
/// inserted) made total: a zero divisor (and for the signed ones -1)
/// replaced by 1, and a signed quotient by -1 negated. Where the forward
/// sweep divided, its divisor was neither zero nor (with its dividend the
/// least value) -1, and the result is the forward sweep's.
fn guarded_division(b: &Builder, v: Value, c: Value) -> Value {
    let (x, d) = (c.operand(0), c.operand(1));
    let ty = d.ty();
    let one = b.const_int(ty, 1);
    let signed = matches!(v.opcode(), Opcode::LLVMSDiv | Opcode::LLVMSRem);
    // zero (unsigned), or zero and -1 (signed: d + 1 <= 1 unsigned)
    let bad = if signed {
        b.icmp(IntPredicate::LLVMIntULE, b.add_int(d, one), one)
    } else {
        b.icmp(IntPredicate::LLVMIntEQ, d, b.zero(ty))
    };
    c.set_operand(1, b.select(bad, one, d));
    b.insert(c);
    if v.opcode() != Opcode::LLVMSDiv {
        // x % 1 = 0 = x % -1 (signed)
        return c;
    }
    let minus_one = b.icmp(IntPredicate::LLVMIntEQ, d, b.const_int(ty, -1));
    b.select(minus_one, b.sub_int(b.zero(ty), x), c)
}

/// Rounding to an integral value (`round(dx / box)` of a periodic box's
/// minimum image, `floor` of a cell or table index).
const ROUNDING: &[&str] = &[
    "llvm.round.",
    "llvm.floor.",
    "llvm.ceil.",
    "llvm.trunc.",
    "llvm.rint.",
    "llvm.nearbyint.",
    "llvm.roundeven.",
];

/// A rounding call the reverse sweep does not rebuild (a libm call on this
/// target, see [`rounds_inline`]). Its derivative is zero, so no adjoint
/// needs its value: only what is computed from it does, and a cell or
/// table index's fraction, index and gathered corners all hang off the
/// same few rounding results. Recomputation may tape such calls as leaves
/// (`Tape::recomputable`).
fn taped_rounding(v: Value) -> bool {
    calls_one_of(v, ROUNDING) && !rounds_inline(v)
}

/// Whether `v` is a call of a function whose name starts with one of
/// `prefixes` (intrinsic families: `"llvm.floor."`).
fn calls_one_of(v: Value, prefixes: &[&str]) -> bool {
    v.opcode() == Opcode::LLVMCall
        && v.called_function().is_some_and(|f| {
            let name = f.name();
            prefixes.iter().any(|p| name.starts_with(p))
        })
}

/// At most this many distinct rounding results are taped in place of one
/// value rebuilt from them (a trilinear cell's three `floor`s).
const ROUNDING_LEAVES: usize = 4;

/// Whether the target of `v`'s function rounds in a few instructions
/// (x86 with SSE4.1's `roundsd`, AArch64's `frint*`). Without them (x86-64's
/// baseline SSE2) LLVM calls libm's `floor`/`round`, and the value is taped:
/// cells' minimum image, rebuilt from the coordinates instead of taped, took
/// its tape row per candidate pair from 64 to 16 bytes.
fn rounds_inline(v: Value) -> bool {
    let features = v
        .parent()
        .parent()
        .string_attribute("target-features")
        .unwrap_or_default();
    features
        .split(',')
        .any(|f| matches!(f, "+sse4.1" | "+neon" | "+fp-armv8"))
}

/// Stands for a loop tape's row stride until `Tape::finish` knows it.
const STRIDE_PLACEHOLDER: i64 = 0x7fff_fff1;

/// Alignment of a cached value inside a tape row (at most 8 bytes, so rows
/// of any mix pack tightly and stay aligned).
fn field_align(module: Module, ty: Type) -> u64 {
    (module.abi_align(ty) as u64).clamp(1, 8)
}

/// Address of field `off` of row `idx` of a loop tape buffer at `base`, and
/// the `mul idx, STRIDE` whose stride `Tape::finish` patches in.
fn row_field(b: &Builder, base: Value, idx: Value, off: u64) -> (Value, Value) {
    let stride = b.mul_int(idx, b.const_int(b.i64(), STRIDE_PLACEHOLDER));
    let row = b.gep(b.i8(), base, &[stride]);
    (b.gep_i8(row, off), stride)
}

/// How many operand levels a recomputation may reach through: a bilinear
/// warp's residual is 19 levels above its loads of the displacements
/// (interpolation, gathered corners, their index from `fptosi`, `floor` and
/// the clamp's compares and selects); with 12 it taped 96 bytes per pixel.
const RECOMPUTE_DEPTH: u32 = 20;

/// Alias scope of the reverse sweep's adjoint accesses to shadow memory
/// (the load and store of `*shadow += d`, and of reading and clearing the
/// adjoint of a store) through pointers that are not mixed
/// (`Shadows::is_mixed`). The reverse sweep's reads of primal memory
/// (values rebuilt instead of taped, snapshot reads) are marked outside it:
/// primal memory and shadow memory never overlap (the user's shadows are
/// memory of their own, as re-reading primal memory after adjoint stores
/// already assumes), so LLVM may keep a rebuilt `x[i] - mu[i]` out of a
/// reverse loop that adds into the shadow of an argument, and vectorize it.
pub const SHADOW_SCOPE: &str = "ferment.adjoints";

/// Marks `c`, a load of primal memory emitted in the reverse sweep, as
/// outside [`SHADOW_SCOPE`]; other instructions are left alone.
pub(super) fn mark_primal_read(c: Value) {
    if c.opcode() == Opcode::LLVMLoad {
        c.set_alias_scope(SHADOW_SCOPE, false);
    }
}

/// Whether instruction `a` comes after `v` in `v`'s block.
fn defined_later(a: Value, v: Value) -> bool {
    if !a.is_instruction() || a.parent() != v.parent() {
        return false;
    }
    let mut i = v.next_instruction();
    while let Some(x) = i {
        if x == a {
            return true;
        }
        i = x.next_instruction();
    }
    false
}

impl Tape {
    /// A tape for a combined function (slots on the stack of `entry`), or,
    /// with `split = Some((rev_entry, rev_frame, args))`, for an augmented
    /// function whose slots live in a heap frame that the reverse function
    /// receives as `rev_frame`.
    pub fn new(
        module: Module,
        entry: Block,
        split: Option<(Block, Value, HashMap<Value, Value>)>,
    ) -> Tape {
        let at_top = |blk: Block| {
            let b = Builder::new(module);
            b.at_start(blk);
            b
        };
        let fwd_entry = at_top(entry);
        let (rev_entry, frame_split, args) = match split {
            Some((rev_block, rev_frame, args)) => {
                let ptr = Type::ptr(module.context());
                let i64t = Type::int(module.context(), 64);
                let malloc = declare(module, "malloc", ptr, &[i64t]);
                let call = fwd_entry.call_fn(malloc, &[fwd_entry.const_int(i64t, 8)]);
                (Some(at_top(rev_block)), Some((call, rev_frame, call)), args)
            }
            None => (None, None, HashMap::new()),
        };
        Tape {
            module,
            slots: HashMap::new(),
            loops: HashMap::new(),
            frame: Frame {
                fwd_entry,
                rev_entry,
                split: frame_split,
                size: if frame_split.is_some() {
                    OWNED_OFFSET + 1
                } else {
                    0
                },
                align: 1,
                storage: None,
            },
            args,
            shadow_args: hashbrown::HashSet::new(),
            shadow_offsets: HashMap::new(),
            saver: Builder::new(module),
            report: Report::default(),
            made_row_ops: Default::default(),
            recomputed: hashbrown::HashSet::new(),
            memo: None,
            bases: HashMap::new(),
            first_only: Vec::new(),
            block_users: HashMap::new(),
            first_column: HashMap::new(),
            carried: Vec::new(),
            instance_entries: Vec::new(),
            count_reads: hashbrown::HashSet::new(),
            rereads: None,
            shadow_loads: HashMap::new(),
            frame_reads: HashMap::new(),
            paired: hashbrown::HashSet::new(),
            idom: None,
            snap_plans: Default::default(),
            snaps: Vec::new(),
            next_plans: Default::default(),
            swap_roots: hashbrown::HashSet::new(),
            swaps: HashMap::new(),
            huge_pages: true,
            tape_cache: true,
            tape_arena: false,
            reload_memo: true,
            sibling_loads: true,
            swapped_snapshots: true,
        }
    }

    fn i64(&self) -> Type {
        Type::int(self.module.context(), 64)
    }

    /// Reverse sweep: the value of the slot `ptr` (a `SlotPtr::rev`) holds
    /// once the forward sweep is over. Split mode: read once, at the top of
    /// the reverse function, since the reverse function writes no field of
    /// its frame (its loop positions are its own locals); a read per use
    /// would be repeated wherever an adjoint store in between might, for
    /// LLVM, overwrite the frame. Combined mode: read at `b` (the slot is a
    /// stack slot LLVM promotes).
    pub(super) fn frame_read(&mut self, b: &Builder, ty: Type, ptr: Value) -> Value {
        let Some(rb) = &self.frame.rev_entry else {
            return b.load(ty, ptr);
        };
        if let Some(&v) = self.frame_reads.get(&ptr) {
            if v.ty() == ty {
                return v;
            }
        }
        let v = rb.load(ty, ptr);
        self.frame_reads.insert(ptr, v);
        v
    }

    /// A slot of type `i1` into which the forward sweep ORs whether one of
    /// `values` is infinite or NaN (`v - v` is NaN): false while all of
    /// them were finite, true once one was not. The values may be in loops
    /// (one flag for all their iterations, read back with
    /// [`Self::frame_read`]); an OR of the comparisons keeps the forward
    /// loops vectorizable, which a floating-point sum in order would not.
    /// Two scalar values of one block ([`block_pairs`]: thomas' two
    /// quotients per iteration) share one comparison
    /// `fcmp uno (a - a), (b - b)` and one OR after the later of them. The
    /// flag comes from a comparison, not from `v`'s own bits: forward mode
    /// over the derivative refuses an active value's bits turned back into
    /// a float.
    pub fn nonfinite_flag(&mut self, values: &[Value]) -> SlotPtr {
        let i1t = Type::int(self.module.context(), 1);
        let no = self.frame.fwd_entry.const_int(i1t, 0);
        let acc = self.slot(i1t, "finite.seen", Some(no));
        for group in block_pairs(values) {
            let last = *group.last().expect("a group has a value");
            self.position_after(last);
            let b = &self.saver;
            let lanes: Vec<Value> = group
                .iter()
                .flat_map(|&v| {
                    let z = b.fsub(v, v);
                    if z.ty().is_vector() {
                        (0..z.ty().vector_len())
                            .map(|k| b.extract_element(z, b.const_int(b.i32(), k as i64)))
                            .collect()
                    } else {
                        vec![z]
                    }
                })
                .collect();
            let mut seen = b.load(i1t, acc.fwd);
            if let ([x, y], 2) = (&lanes[..], group.len()) {
                let nonfinite = b.fcmp(ferment_ir::RealPredicate::LLVMRealUNO, *x, *y);
                b.store(b.or_int(seen, nonfinite), acc.fwd);
                continue;
            }
            for l in lanes {
                let nonfinite = b.fcmp(ferment_ir::RealPredicate::LLVMRealUNO, l, l);
                seen = b.or_int(seen, nonfinite);
            }
            b.store(seen, acc.fwd);
        }
        acc
    }

    /// The forward function's frame pointer (split mode).
    pub fn frame_pointer(&self) -> Option<Value> {
        self.frame.split.map(|(f, _, _)| f)
    }

    /// Split mode: the frame's final size and alignment (once the reverse
    /// sweep is complete).
    pub fn frame_layout(&self) -> crate::derive::FrameLayout {
        crate::derive::FrameLayout {
            size: self.frame.size.max(8),
            align: self.frame.align,
        }
    }

    /// Split mode: the augmented function's frame-storage parameter.
    pub fn set_frame_storage(&mut self, storage: Value) {
        self.frame.storage = Some(storage);
    }

    /// A new slot of type `ty`, initialized to `init` at function entry.
    pub fn slot(&mut self, ty: Type, name: &str, init: Option<Value>) -> SlotPtr {
        let fr = &mut self.frame;
        let ptr = match fr.split {
            None => {
                let s = fr.fwd_entry.alloca(ty, name);
                SlotPtr { fwd: s, rev: s }
            }
            Some((fwd_base, rev_base, _)) => {
                let align = self.module.abi_align(ty).max(1) as u64;
                fr.align = fr.align.max(align);
                let off = fr.size.div_ceil(align) * align;
                fr.size = off + self.module.alloc_size(ty);
                let fwd = fr.fwd_entry.gep_i8(fwd_base, off);
                let rev = match &fr.rev_entry {
                    Some(rb) => rb.gep_i8(rev_base, off),
                    None => fwd,
                };
                SlotPtr { fwd, rev }
            }
        };
        if let Some(v) = init {
            fr.fwd_entry.store(v, ptr.fwd);
        }
        ptr
    }

    /// Where the reverse sweep's own slots go: the reverse function's entry,
    /// or the forward entry when both sweeps share one function.
    fn reverse_entry(&self) -> &Builder {
        self.frame
            .rev_entry
            .as_ref()
            .unwrap_or(&self.frame.fwd_entry)
    }

    /// A slot the reverse sweep alone uses (a stack slot of the reverse
    /// function).
    pub fn reverse_local(&mut self, ty: Type, name: &str) -> Value {
        self.reverse_entry().alloca(ty, name)
    }

    /// [`Self::reverse_local`], holding zero from the start.
    pub fn reverse_local_zeroed(&mut self, ty: Type, name: &str) -> Value {
        let b = self.reverse_entry();
        let slot = b.alloca(ty, name);
        b.store(b.zero(ty), slot);
        slot
    }

    /// Counters of loop `lp`, created on first use (the forward prologue
    /// goes at the top of the header, after its phis).
    fn loop_tape(&mut self, loops: &Loops, lp: LoopId) -> &LoopTape {
        if !self.loops.contains_key(&lp) {
            let i64t = self.i64();
            let zero = self.frame.fwd_entry.const_int(i64t, 0);
            let cnt = self.slot(i64t, "tape.cnt", None);
            let cnt_init = self.frame.fwd_entry.store(zero, cnt.fwd);
            // The reverse sweep's position: a local of the reverse function
            // in split mode (the forward sweep never reads it).
            let ridx = match &self.frame.rev_entry {
                Some(rb) => {
                    let local = rb.alloca(i64t, "tape.ridx");
                    SlotPtr {
                        fwd: local,
                        rev: local,
                    }
                }
                None => self.slot(i64t, "tape.ridx", None),
            };
            let rcnt = match &self.frame.rev_entry {
                Some(rb) => {
                    let local = rb.alloca(i64t, "tape.rcnt");
                    let total = rb.load(i64t, cnt.rev);
                    rb.store(total, local);
                    local
                }
                None => cnt.fwd,
            };
            let cap = self.slot(i64t, "tape.cap", Some(zero));
            let header = loops.get(lp).header;
            let b = &self.saver;
            match header.first_insertion_point() {
                Some(i) => b.before(i),
                None => b.at_end(header),
            }
            let idx = b.load(i64t, cnt.fwd);
            let next = b.add_int(idx, b.const_int(i64t, 1));
            let prologue_end = b.store(next, cnt.fwd);
            self.loops.insert(
                lp,
                LoopTape {
                    cnt_fwd: cnt.fwd,
                    cnt_init,
                    padded: false,
                    rcnt,
                    ridx,
                    cap,
                    idx,
                    prologue_end,
                    buf: None,
                    row: 0,
                    strides: Vec::new(),
                    local: None,
                },
            );
        }
        &self.loops[&lp]
    }

    /// Reverse sweep: moves to the previous iteration of `lp` (at `b`).
    pub fn enter_iteration(&mut self, loops: &Loops, b: &Builder, lp: LoopId) {
        let i64t = self.i64();
        let lt = self.loop_tape(loops, lp);
        let c = b.load(i64t, lt.rcnt);
        let c1 = b.sub_int(c, b.const_int(i64t, 1));
        // The count of the iterations left to reverse is at least 1 here
        // (one per forward iteration): the decrement wraps neither way,
        // which lets SCEV see the reverse loop's counter as a plain
        // induction variable (`shim::split_private_loops` needs it).
        if c1.is_instruction() {
            c1.set_nsw(true);
            c1.set_nuw(true);
        }
        b.store(c1, lt.rcnt);
        b.store(c1, lt.ridx.rev);
        self.count_reads.insert(c);
    }

    /// Starts (or continues) reusing reloads: the caller promises that
    /// until [`Tape::memo_end`] nothing is built that changes what a reload
    /// reads (primal memory, tape rows and slots, loop counters, shadow
    /// pointers) and nothing built is erased or moved.
    pub fn memo_begin(&mut self) {
        if self.reload_memo {
            self.memo.get_or_insert_with(HashMap::new);
        }
    }

    /// Stops reusing reloads and forgets them (see [`Tape::memo_begin`]).
    pub fn memo_end(&mut self) {
        self.memo = None;
    }

    /// The reload of `v` already built in `b`'s block, where the builder is
    /// at the end of it and [`Tape::memo_begin`] is in effect; builds nothing.
    pub fn reloaded_here(&self, b: &Builder, v: Value) -> Option<Value> {
        if !b.is_at_end() {
            return None;
        }
        let r = *self.memo.as_ref()?.get(&v)?;
        (r.parent() == b.insert_block()).then_some(r)
    }

    /// `v` as seen at `b`'s insertion point in the reverse sweep.
    pub fn reload(&mut self, loops: &Loops, b: &Builder, v: Value) -> Value {
        if !v.is_instruction() {
            return self.args.get(&v).copied().unwrap_or(v);
        }
        if self.memo.is_none() {
            return self.reload_fresh(loops, b, v);
        }
        let here = b.insert_block();
        if b.is_at_end() {
            if let Some(&r) = self.memo.as_ref().and_then(|m| m.get(&v)) {
                if r.parent() == here {
                    return r;
                }
            }
        }
        let r = self.reload_fresh(loops, b, v);
        // (the block the builder is in after the reload: building it may
        // have moved on)
        if r.is_instruction() && r.parent() == b.insert_block() {
            if let Some(m) = self.memo.as_mut() {
                m.insert(v, r);
            }
        }
        r
    }

    fn reload_fresh(&mut self, loops: &Loops, b: &Builder, v: Value) -> Value {
        if let Some(p) = self.rebuild_swapped(loops, b, v) {
            return p;
        }
        let lp = loops.loop_of(v.parent());
        if lp.is_some() && self.recomputable(loops, v, RECOMPUTE_DEPTH) {
            return self.recompute(loops, b, v);
        }
        if lp.is_none() && self.frame.split.is_some() && self.recomputable_in_frame(loops, v) {
            return self.recompute(loops, b, v);
        }
        if !self.slots.contains_key(&v) {
            if let Some(p) = self.rebuild_from_shadow_arg(loops, b, v) {
                return p;
            }
            if let Some(s) = self.sibling_load(loops, v) {
                return self.read_sibling(loops, b, s);
            }
            self.create_slot(loops, v, lp);
        }
        match &self.slots[&v] {
            Slot::Scalar(s) => {
                let s = *s;
                self.frame_read(b, v.ty(), s.rev)
            }
            Slot::Buffer { lp, off, ty } => {
                let (lp, off, ty) = (*lp, *off, *ty);
                self.read_row(b, lp, off, ty, |_, r| r)
            }
        }
    }

    /// The row field holding carried phi `phi` of `lp` (created on first
    /// use): `prev` stored in every iteration — a field of its own, not
    /// `prev`'s cache, whose entry in the row before an instance may be
    /// its last iteration's own value — and, at each instance's entry,
    /// the start value stored into the row before its first
    /// ([`Tape::install_carried_starts`]). That row exists: the rows start
    /// at 1 ([`Tape::pad_rows`]) and an entry reserves up to it.
    fn carried_field(
        &mut self,
        loops: &Loops,
        lp: LoopId,
        phi: Value,
        prev: Value,
        (preheader, first): (Block, Value),
    ) -> u64 {
        if let Some(c) = self.carried.iter().find(|c| c.phi == phi) {
            return c.off;
        }
        let off = self.row_field_of(loops, prev, lp);
        self.pad_rows(lp);
        self.carried.push(CarriedField {
            lp,
            phi,
            off,
            ty: phi.ty(),
            preheader,
            first,
        });
        off
    }

    /// Forward sweep, after the row growth checks: right before `enters`
    /// (the branch entering each loop with carried fields, in `carried`'s
    /// order, taken before the checks split their blocks), the start value
    /// in the row before the instance's first, and room for that row (`need
    /// = cnt`, no rows of its own) unless the loop is in `reserved`: a
    /// reservation before the entry (in the preheader, or before the whole
    /// nest) covered rows up to the counter and beyond.
    pub(super) fn install_carried_starts(
        &mut self,
        enters: &[Value],
        reserved: &hashbrown::HashSet<LoopId>,
    ) {
        let i64t = self.i64();
        let ptr_ty = Type::ptr(self.module.context());
        let g = Builder::new(self.module);
        for (c, &enter) in std::mem::take(&mut self.carried).iter().zip(enters) {
            if !reserved.contains(&c.lp) {
                self.reserve_at(&g, c.lp, enter.parent(), g.const_int(i64t, 0));
            }
            let lt = &self.loops[&c.lp];
            g.before(enter);
            let cnt = g.load(i64t, lt.cnt_fwd);
            let row = g.sub_int(cnt, g.const_int(i64t, 1));
            let base = g.load(ptr_ty, lt.buf.expect("loop tape buffer").fwd);
            let (at, stride) = row_field(&g, base, row, c.off);
            stride.set_operand(1, g.const_int(i64t, lt.stride() as i64));
            let st = g.store(c.first, at);
            g.set_alignment(st, field_align(self.module, c.ty) as u32);
            self.mark_row_op(st);
        }
    }

    /// Starts `lp`'s rows at 1: the forward counter's entry value becomes 1
    /// (the reservations count from the counter, so they take the padding
    /// row along; the reverse sweep walks the same indices down to 1).
    fn pad_rows(&mut self, lp: LoopId) {
        let i64t = self.i64();
        let one = self.frame.fwd_entry.const_int(i64t, 1);
        if let Some(lt) = self.loops.get_mut(&lp) {
            if !lt.padded {
                lt.cnt_init.set_operand(0, one);
                lt.padded = true;
            }
        }
    }

    /// Field `off` (of type `ty`) of `lp`'s tape row `row(b, r)`, where `r`
    /// is the row the reverse sweep is in.
    fn read_row(
        &mut self,
        b: &Builder,
        lp: LoopId,
        off: u64,
        ty: Type,
        row: impl FnOnce(&Builder, Value) -> Value,
    ) -> Value {
        let lt = &self.loops[&lp];
        let (ridx, buf) = (lt.ridx, lt.buf.expect("loop tape buffer"));
        let r = b.load(self.i64(), ridx.rev);
        let idx = row(b, r);
        let base = self.frame_read(b, Type::ptr(self.module.context()), buf.rev);
        let (at, stride) = row_field(b, base, idx, off);
        if let Some(lt) = self.loops.get_mut(&lp) {
            lt.strides.push(stride);
        }
        let l = b.load(ty, at);
        b.set_alignment(l, field_align(self.module, ty) as u32);
        self.mark_row_op(l);
        l
    }

    fn create_slot(&mut self, loops: &Loops, v: Value, lp: Option<LoopId>) {
        let ty = v.ty();
        let Some(lp) = lp else {
            let s = self.slot(ty, "tape", None);
            // A global's shadow from an Enzyme context is computed at the
            // top of the entry block, possibly before the slot's address.
            if crate::context::is_global_shadow(v) && defined_later(s.fwd, v) {
                self.saver.after(s.fwd);
            } else {
                self.position_after(v);
            }
            self.saver.store(v, s.fwd);
            self.slots.insert(v, Slot::Scalar(s));
            return;
        };
        let off = self.row_field_of(loops, v, lp);
        self.slots.insert(v, Slot::Buffer { lp, off, ty });
    }

    /// A new field of `lp`'s rows that the forward sweep fills with `v` in
    /// every iteration; its offset.
    fn row_field_of(&mut self, loops: &Loops, v: Value, lp: LoopId) -> u64 {
        let ty = v.ty();
        let ptr_ty = Type::ptr(self.module.context());
        let idx = self.loop_tape(loops, lp).idx;
        if self.loops[&lp].buf.is_none() {
            let null = self.frame.fwd_entry.zero(ptr_ty);
            let buf = self.slot(ptr_ty, "tape.buf", Some(null));
            if let Some(lt) = self.loops.get_mut(&lp) {
                lt.buf = Some(buf);
            }
        }
        let align = field_align(self.module, ty);
        let lt = self.loops.get_mut(&lp).expect("loop tape");
        let off = lt.row.div_ceil(align) * align;
        lt.row = off + self.module.alloc_size(ty);
        let buf = lt.buf.expect("loop tape buffer");
        // At the end of v's block rather than right after v: the row is the
        // same, and a store after all of v's users keeps a loop-carried value
        // a recurrence the vectorizer can handle (it cannot sink a store).
        match v.parent().terminator() {
            Some(t) if t != v => self.saver.before(t),
            _ => self.position_after(v),
        }
        let base = self.saver.load(ptr_ty, buf.fwd);
        let (at, stride) = row_field(&self.saver, base, idx, off);
        let st = self.saver.store(v, at);
        self.saver.set_alignment(st, align as u32);
        self.mark_row_op(st);
        if let Some(lt) = self.loops.get_mut(&lp) {
            lt.strides.push(stride);
        }
        self.report.add(|| {
            format!(
                "  cache `{}`: {} bytes x executions of {}",
                v.describe(),
                self.module.alloc_size(ty),
                describe_loop(loops, lp)
            )
        });
        off
    }

    /// Positions the saver right after `v` (after the counter prologue for a
    /// header phi).
    fn position_after(&self, v: Value) {
        if v.opcode() == Opcode::LLVMPHI {
            if let Some(lt) = self
                .loops
                .values()
                .find(|lt| lt.prologue_end.parent() == v.parent())
            {
                self.saver.after(lt.prologue_end);
                return;
            }
        }
        self.saver.after(v);
    }

    fn loop_counter_fwd(&mut self, loops: &Loops, lp: LoopId) -> Value {
        self.loop_tape(loops, lp).cnt_fwd
    }

    /// The iteration number (from 0) of the loop instance the reverse sweep
    /// is in: its counter index minus the counter's value when the instance
    /// was entered (read in the preheader, cached like any value there).
    fn iteration(&mut self, loops: &Loops, b: &Builder, lp: LoopId, preheader: Block) -> Value {
        let i64t = self.i64();
        self.instance_base(loops, lp, preheader);
        let local = self.bases[&lp].1;
        let ridx = self.loops[&lp].ridx;
        let r = b.load(i64t, ridx.rev);
        self.count_reads.insert(r);
        b.sub_int(r, b.load(i64t, local))
    }

    /// The forward sweep's counter of `lp` on entry to its current instance
    /// (read in `preheader`), created on first use with the reverse sweep's
    /// local copy of it (see [`Tape::iteration`]).
    fn instance_base(&mut self, loops: &Loops, lp: LoopId, preheader: Block) -> Value {
        if let Some(&(base, _)) = self.bases.get(&lp) {
            return base;
        }
        let i64t = self.i64();
        let cnt_fwd = self.loop_counter_fwd(loops, lp);
        let term = preheader.terminator().expect("preheader terminator");
        let pb = Builder::new(self.module);
        pb.before(term);
        let base = pb.load(i64t, cnt_fwd);
        let local = self.reverse_local(i64t, "rev.base");
        self.bases.insert(lp, (base, local));
        base
    }

    /// Records that the reverse sweep enters a new instance of `lp` just
    /// before `at` (a terminator it emitted).
    pub fn note_instance_entry(&mut self, lp: LoopId, at: Value) {
        self.instance_entries.push((lp, at));
    }

    /// Reads each loop instance's base once, where the reverse sweep enters
    /// the instance, instead of in every reverse iteration: a read of the
    /// tape inside the reverse loop would have to be repeated after every
    /// store of an adjoint (they might alias), which keeps the loop scalar.
    pub fn install_instance_bases(&mut self, loops: &Loops) {
        let entries = std::mem::take(&mut self.instance_entries);
        for &(lp, at) in &entries {
            self.install_exit_copies(loops, lp, at);
        }
        // decided per loop before anything is emitted: every instance of a
        // loop is numbered the same way
        let local: hashbrown::HashSet<LoopId> = entries
            .iter()
            .filter_map(|&(lp, _)| {
                let &(base, _) = self.bases.get(&lp)?;
                self.local_count(loops, lp, base).then_some(lp)
            })
            .collect();
        // (decided before the instance bases add their reads of the counters)
        let first: Vec<LoopId> = self
            .first_only
            .iter()
            .filter(|c| {
                rebuild::shadow_in_column_0(c, &self.first_only) && self.untaped_nest(loops, c.lp)
            })
            .map(|c| c.lp)
            .collect();
        for &lp in &first {
            self.report.add(|| {
                format!(
                    "  reverse only the first iteration of {} (the adjoint it reads is zero in the others)",
                    describe_loop(loops, lp)
                )
            });
        }
        for (lp, at) in entries {
            let Some(&(base, local_base)) = self.bases.get(&lp) else {
                continue;
            };
            let b = Builder::new(self.module);
            b.before(at);
            let v = match self.counted_trips(loops, &b, lp) {
                Some(trips) if local.contains(&lp) => {
                    // the instance's iterations are numbered from 0 here
                    let i64t = self.i64();
                    let last = b.sub_int(trips, b.const_int(i64t, 1));
                    let lt = &self.loops[&lp];
                    b.store(last, lt.rcnt);
                    b.store(last, lt.ridx.rev);
                    b.const_int(i64t, 0)
                }
                Some(trips) => {
                    let i64t = self.i64();
                    let r = b.load(i64t, self.loops[&lp].ridx.rev);
                    b.add_int(b.sub_int(r, trips), b.const_int(i64t, 1))
                }
                None => self.reload(loops, &b, base),
            };
            b.store(v, local_base);
            if first.contains(&lp) {
                // the instance's first iteration is the only one left
                let lt = &self.loops[&lp];
                b.store(v, lt.rcnt);
                b.store(v, lt.ridx.rev);
            }
        }
    }

    /// Lets the reverse sweep run only the first iteration of each instance
    /// of `c.lp`, whose other iterations hand on nothing but the adjoint
    /// they read from the operand's shadow outside column 0
    /// (`Rebuild::first_column_only`). Done where that shadow is zero there
    /// (`rebuild::shadow_in_column_0`, once every such nest is known), the
    /// nest keeps no tape row and its inner loops' counters only number
    /// their instances' iterations ([`Tape::untaped_nest`]).
    pub fn reverse_first_iteration_only(&mut self, c: FirstOnly) {
        self.first_only.push(c);
    }

    /// [`Rebuild::first_column_only`] as the reverse sweep first asks for
    /// it: a second `gemm` call on the same nest (gmm_blas's call on the
    /// path that skips the nest) comes after the first one's reverse added
    /// uses of the nest's values outside it.
    pub fn first_column_only(
        &mut self,
        loops: &Loops,
        rb: &Rebuild,
        active: &dyn Fn(Value) -> bool,
    ) -> Option<LoopId> {
        *self
            .first_column
            .entry(rb.store())
            .or_insert_with(|| rb.first_column_only(loops, active))
    }

    /// [`rebuild::block_users`] of `p` as the reverse sweep first asks
    /// for them, before it adds uses of its own (a slot holding `p` for a
    /// later rule).
    pub fn block_users(&mut self, p: Value) -> rebuild::BlockUsers {
        self.block_users
            .entry(p)
            .or_insert_with(|| rebuild::block_users(p))
            .clone()
    }

    /// Whether skipping all but the first iteration of `lp`'s instance
    /// moves nothing the reverse sweep reads: no loop of the nest has tape
    /// rows (or GPU local rows, padded counts, snapshots), and the reverse counter
    /// of each inner loop, which then stays above the forward sweep's
    /// count, is read only for iteration numbers within an instance
    /// ([`Tape::count_reads`]). `lp`'s own counter is set to its instance's
    /// first iteration, as the full reverse would leave it.
    fn untaped_nest(&self, loops: &Loops, lp: LoopId) -> bool {
        if self.frame.split.is_some() || self.snapshots_within(loops, lp) {
            return false;
        }
        (0..loops.loops.len()).map(LoopId).all(|l| {
            if !is_ancestor(loops, lp, l) {
                return true;
            }
            let Some(lt) = self.loops.get(&l) else {
                return true;
            };
            if lt.buf.is_some() || lt.local.is_some() || lt.padded {
                return false;
            }
            l == lp
                || lt.ridx.rev.users().into_iter().all(|u| match u.opcode() {
                    Opcode::LLVMStore => u.operand(0) != lt.ridx.rev,
                    Opcode::LLVMLoad => self.count_reads.contains(&u),
                    _ => false,
                })
        })
    }

    /// Combined shape: whether loop `lp`'s counter only numbers the
    /// iterations of each instance, so the reverse sweep may number them
    /// from 0 where it enters the instance instead of continuing the count
    /// the forward sweep carried through every loop around it (csr_jacobi's
    /// row loop `p = p0 + 1 .. p1 - 1`: the forward count was an add per
    /// iteration and a value carried through the nest for nothing): an
    /// innermost loop with no tape row, whose forward index feeds only its
    /// own increment, whose reverse index is read only for iteration numbers
    /// ([`Tape::count_reads`]) and whose counter is read only there, by the
    /// forward prologue and by the instance bases (`base`).
    fn local_count(&self, loops: &Loops, lp: LoopId, base: Value) -> bool {
        let Some(lt) = self.loops.get(&lp) else {
            return false;
        };
        if self.frame.split.is_some()
            || lt.buf.is_some()
            || lt.local.is_some()
            || lt.padded
            || lt.rcnt != lt.cnt_fwd
            || loops.loops.iter().any(|l| l.parent == Some(lp))
        {
            return false;
        }
        let next = lt.prologue_end.operand(0);
        if lt.idx.users().iter().any(|&u| u != next) {
            return false;
        }
        // only stores into the slot (never of its address) and known reads
        let slot_ok = |slot: Value, reads: &dyn Fn(Value) -> bool| {
            slot.users().into_iter().all(|u| match u.opcode() {
                Opcode::LLVMStore => u.operand(0) != slot && u.operand(1) == slot,
                Opcode::LLVMLoad => reads(u),
                _ => false,
            })
        };
        slot_ok(lt.ridx.rev, &|u| self.count_reads.contains(&u))
            && slot_ok(lt.cnt_fwd, &|u| {
                u == lt.idx || u == base || self.count_reads.contains(&u)
            })
    }

    /// How many iterations the instance of `lp` the reverse sweep enters at
    /// `b` (just after entering its last iteration) ran, rebuilt instead of
    /// taped when `lp` is counted: an induction `iv = start, start + step,
    /// ...` leaves the loop (its only exit, no `ret` inside) exactly when
    /// `iv + step` reaches `n` (see `recompute::counted_trips`), with
    /// `start` and `n` rebuilt in the reverse sweep without taping anything:
    /// `(n - start) / step` for the equality exit. The last iteration is
    /// row `ridx`, so the instance began at `ridx - m + 1` (a sparse row
    /// loop `p = p0 + 1 .. p1 - 1`, and its unrolled copies, no longer tapes
    /// its base counter once per row), or its iterations are numbered from
    /// 0 there ([`Tape::local_count`]).
    fn counted_trips(&mut self, loops: &Loops, b: &Builder, lp: LoopId) -> Option<Value> {
        let lo = loops.get(lp);
        if lo.blocks.iter().any(|blk| blk.successors().is_empty()) {
            return None;
        }
        let (start, step, n, exit) = lo
            .header
            .phis()
            .into_iter()
            .find_map(|phi| recompute::counted_trips(loops, lp, phi))?;
        if !self.free_to_reload(loops, lp, start) || !self.free_to_reload(loops, lp, n) {
            return None;
        }
        let i64t = self.i64();
        let e = self.reload(loops, b, n);
        let s = b.int_cast(self.reload(loops, b, start), e.ty(), false);
        let diff = b.sub_int(e, s);
        let trips = match exit {
            // the smallest m >= 1 with m step == n - start (in n's width):
            // (n - start - step) / step + 1, unsigned
            recompute::Exit::Equal => {
                let step_c = b.const_int(e.ty(), step);
                let m = b.udiv_int(b.sub_int(diff, step_c), step_c);
                b.add_int(b.int_cast(m, i64t, false), b.const_int(i64t, 1))
            }
            // `while (++iv < n)`: one iteration when n <= start
            recompute::Exit::Below(pred) => {
                let more = b.icmp(pred, s, e);
                let d = b.select(more, diff, b.const_int(diff.ty(), 1));
                b.int_cast(d, i64t, false)
            }
        };
        Some(trips)
    }

    /// Whether the reverse sweep can have `v` (defined outside `lp`) where
    /// it enters an instance of `lp` without taping anything new for it.
    fn free_to_reload(&self, loops: &Loops, lp: LoopId, v: Value) -> bool {
        if !v.is_instruction() || self.slots.contains_key(&v) {
            return true;
        }
        match loops.loop_of(v.parent()) {
            None => self.frame.split.is_none() || self.recomputable_in_frame(loops, v),
            Some(l) => {
                l != lp && is_ancestor(loops, l, lp) && self.recomputable(loops, v, RECOMPUTE_DEPTH)
            }
        }
    }

    fn recompute_induction(
        &mut self,
        loops: &Loops,
        b: &Builder,
        v: Value,
        iv: Induction,
    ) -> Value {
        match iv {
            Induction::FirstOrRest {
                lp,
                preheader,
                first,
                rest,
            } => {
                let k = self.iteration(loops, b, lp, preheader);
                let is_first = b.icmp(IntPredicate::LLVMIntEQ, k, b.const_int(self.i64(), 0));
                b.select(is_first, first, rest)
            }
            Induction::Affine {
                lp,
                preheader,
                start,
                step,
            } => {
                let k = self.iteration(loops, b, lp, preheader);
                let ty = v.ty();
                let k = b.int_cast(k, ty, false);
                let start = self.reload(loops, b, start);
                let r = b.add_int(start, b.mul_int(k, b.const_int(ty, step)));
                // The primal's increment `v + step` keeps its no-wrap
                // flags in the rebuilt `start + k * step`: where that sum
                // wraps, some increment before iteration `k` did, and the
                // primal's `v` is poison there. Scalar evolution then sees
                // the reverse loop's `k + 1` as a recurrence that does not
                // wrap, and can order its values (`shim::peel_last_iterations`:
                // the first reverse iteration's `k + 1 < n - 1`). Only
                // for i64 and a step of 1 or -1: the iteration number `k`
                // (under 2^63) and `k * step` are then exact.
                if r.is_instruction()
                    && r.opcode() == Opcode::LLVMAdd
                    && ty.int_width() == 64
                    && (step == 1 || step == -1)
                {
                    if let Some(next) = induction_increment(loops, lp, v) {
                        r.set_nsw(next.has_nsw());
                        if step == 1 && next.has_nuw() {
                            r.set_nuw(true);
                        }
                    }
                }
                r
            }
            Induction::Strided {
                lp,
                preheader,
                start,
                step,
            } => {
                let k = self.iteration(loops, b, lp, preheader);
                let ty = v.ty();
                let k = b.int_cast(k, ty, false);
                let start = self.reload(loops, b, start);
                let step = self.reload(loops, b, step);
                b.add_int(start, b.mul_int(k, step))
            }
            Induction::Carried {
                lp,
                preheader,
                first,
                prev,
            } => {
                let i64t = self.i64();
                if !crate::gpu::is_gpu(self.module) {
                    // Row r - 1 holds the previous iteration's `prev`, and
                    // the row before an instance's first holds `first`: one
                    // read at a consecutive address, no test of the
                    // iteration (a `select` there costs a compare and a
                    // blend per cell in a vectorized reverse loop).
                    let off = self.carried_field(loops, lp, v, prev, (preheader, first));
                    return self.read_row(b, lp, off, v.ty(), |b, r| {
                        b.sub_int(r, b.const_int(i64t, 1))
                    });
                }
                // GPU (local rows of an exact count): row r - 1, or row r
                // itself on the first iteration, whose value is not used.
                let k = self.iteration(loops, b, lp, preheader);
                let is_first = b.icmp(IntPredicate::LLVMIntEQ, k, b.const_int(i64t, 0));
                if !self.slots.contains_key(&prev) {
                    self.create_slot(loops, prev, Some(lp));
                }
                let Slot::Buffer { off, ty, .. } = self.slots[&prev] else {
                    unreachable!("a value of a loop is taped in the loop's rows");
                };
                let earlier = self.read_row(b, lp, off, ty, |b, r| {
                    b.select(is_first, r, b.sub_int(r, b.const_int(i64t, 1)))
                });
                let first = self.reload(loops, b, first);
                b.select(is_first, first, earlier)
            }
        }
    }
}

impl LoopTape {
    /// Bytes per row: a power of two up to 64, then whole 32-byte units
    /// (no field is more than 8-aligned, and a power of two no smaller than
    /// the row is a multiple of every field's alignment). A
    /// vectorized loop reads its rows as an interleaved group of `stride / 8`
    /// members, which de-interleaves cheaply for powers of two (three
    /// doubles per row read back as 24-byte rows cost gmm's reverse sweep
    /// twice the time of 32-byte rows). A row of less than 8 bytes (only
    /// comparisons and small integers: the branch bits of a running
    /// maximum, a `min` over clusters tapes one byte per point and cluster)
    /// is the next power of two of its bytes rather than 8 bytes per
    /// iteration.
    fn stride(&self) -> u64 {
        if self.row < 8 {
            return self.row.max(1).next_power_of_two();
        }
        let bytes = self.row.div_ceil(8) * 8;
        if bytes <= 64 {
            bytes.next_power_of_two()
        } else {
            bytes.div_ceil(32) * 32
        }
    }
}

/// "the loop at file:line" (or its header block's name) and its depth.
fn describe_loop(loops: &Loops, lp: LoopId) -> String {
    let l = loops.get(lp);
    let at = l
        .header
        .instructions()
        .into_iter()
        .find_map(|i| i.source_location())
        .unwrap_or_else(|| format!("block '{}'", l.header.name()));
    format!("the loop at {at} (depth {})", l.depth)
}

fn is_ancestor(loops: &Loops, outer: LoopId, mut inner: LoopId) -> bool {
    loop {
        if inner == outer {
            return true;
        }
        match loops.get(inner).parent {
            Some(p) => inner = p,
            None => return false,
        }
    }
}

/// The lines of the tape report (`-ferment-print-tape`): built only when
/// the report is asked for (printing an instruction walks the module's
/// metadata, which is slow with debug information).
#[derive(Default)]
pub struct Report {
    pub on: bool,
    pub lines: Vec<String>,
}

impl Report {
    pub fn add(&mut self, line: impl FnOnce() -> String) {
        if self.on {
            self.lines.push(line());
        }
    }
}

/// The module's declaration of a C library function (added when missing).
pub fn declare(module: Module, name: &str, ret: Type, params: &[Type]) -> Value {
    module
        .function(name)
        .unwrap_or_else(|| module.add_function(name, Type::function(ret, params, false)))
}

/// Emits, at the end of `b`'s block in `f`, a call of `free` (declared by
/// [`declare`]) on `p` when the i1 `flag` holds (a split-shape reverse
/// sweep's free flag: `enzyme_nofree` keeps the tape), and leaves `b` at
/// the end of the block after it.
pub fn free_when(b: &Builder, f: Value, free: Value, flag: Value, p: Value) {
    let release = f.append_block("release");
    let kept = f.append_block("kept");
    b.cond_br(flag, release, kept);
    b.at_end(release);
    b.call_fn(free, &[p]);
    b.br(kept);
    b.at_end(kept);
}

/// Emits, at `b`'s position, a run-time stop: `message` written to standard
/// error (kept in the private string global `global`), then `abort()`.
/// The caller ends the block (`unreachable`) where nothing follows.
pub fn emit_stop(b: &Builder, global: &str, message: &str) {
    let module = b.module();
    let ctx = module.context();
    let (i32t, i64t) = (Type::int(ctx, 32), Type::int(ctx, 64));
    let text = module
        .global(global)
        .unwrap_or_else(|| module.add_string_constant(global, message));
    let write = declare(module, "write", i64t, &[i32t, Type::ptr(ctx), i64t]);
    b.call_fn(
        write,
        &[
            b.const_int(i32t, 2),
            text,
            b.const_int(i64t, message.len() as i64),
        ],
    );
    b.call_fn(declare(module, "abort", Type::void(ctx), &[]), &[]);
}

/// `values` in the groups of [`Tape::nonfinite_flag`]: two scalar
/// instructions of the same type, neither a phi nor a terminator, that
/// are the only such values of their block, as a pair in block order; every
/// other value alone, as before. A block with more of them keeps a test per
/// value, which the SLP vectorizer already turns into one vector comparison
/// and an OR reduction (kalman's eight quotients: a tree of adds feeding one
/// comparison took 1.6% more instructions at plain -O2).
fn block_pairs(values: &[Value]) -> Vec<Vec<Value>> {
    let pairable = |v: Value| {
        v.is_instruction()
            && !v.ty().is_vector()
            && v.opcode() != Opcode::LLVMPHI
            && !v.is_terminator()
    };
    let mut groups: Vec<Vec<Value>> = Vec::new();
    let mut done: hashbrown::HashSet<Value> = hashbrown::HashSet::new();
    for &v in values {
        if !done.insert(v) {
            continue;
        }
        let same_block: Vec<Value> = if pairable(v) {
            let mut seen = hashbrown::HashSet::new();
            values
                .iter()
                .copied()
                .filter(|&w| w.is_instruction() && w.parent() == v.parent() && seen.insert(w))
                .collect()
        } else {
            Vec::new()
        };
        match same_block[..] {
            [a, b] if pairable(a) && pairable(b) && a.ty() == b.ty() => {
                let order = v.parent().instructions();
                let pos = |x: Value| order.iter().position(|&i| i == x);
                let pair = if pos(a) < pos(b) {
                    vec![a, b]
                } else {
                    vec![b, a]
                };
                done.extend(pair.iter().copied());
                groups.push(pair);
            }
            _ => groups.push(vec![v]),
        }
    }
    groups
}
