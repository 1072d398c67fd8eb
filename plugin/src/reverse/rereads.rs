//! Which loads read memory nothing overwrites after them, so that the
//! reverse sweep (combined shape) may read it again instead of taping the
//! value; also which BLAS operands stay unchanged after their call.
//!
//! Memory is split into classes: each allocation, or `restrict` parameter,
//! whose address does not escape is its own; everything else is one.

use ferment_activity_analysis::{allocation_kind, underlying_objects, AllocKind};
use ferment_ir::{Opcode, Value};
use hashbrown::HashMap;

/// Memory classes for the "not overwritten afterwards" question: each
/// allocation of the function whose address does not escape is its own
/// class; arguments, globals, escaped allocations and anything else form
/// one class, since they may alias each other (a pointer loaded from memory
/// may point into an allocation whose address was stored there).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum MemClass {
    Local(Value),
    External,
}

/// The memory classes `p` may point into. A fresh allocation whose address
/// does not escape is a class of its own, and so is a `noalias`
/// (`restrict`) parameter that does not escape: no other pointer reaches
/// its memory while the function runs.
fn classes_of(p: Value, escaped: &Objects) -> Vec<MemClass> {
    underlying_objects(p)
        .into_iter()
        // null points into no memory (`std::vector`'s data while empty):
        // no access through it is defined
        .filter(|o| !o.is_null_constant())
        .map(|o| match allocation_kind(o) {
            Some(
                AllocKind::Stack | AllocKind::Heap { .. } | AllocKind::Calloc | AllocKind::Realloc,
            ) if !escaped.escaped.contains(&o) => MemClass::Local(o),
            None if escaped.restrict.contains(&o) && !escaped.escaped.contains(&o) => {
                MemClass::Local(o)
            }
            _ => MemClass::External,
        })
        .collect()
}

/// What [`classes_of`] needs to know about the function's objects.
struct Objects {
    /// Allocations and parameters whose address escapes (see
    /// [`escaped_objects`]).
    escaped: hashbrown::HashSet<Value>,
    /// Parameters the user declared `restrict` (`noalias`).
    restrict: hashbrown::HashSet<Value>,
}

/// Objects whose address may be reached other than through their own
/// pointer: stored into memory, turned into an integer, passed to a call
/// that is not a memory operation, or returned.
fn escaped_objects(blocks: &[ferment_ir::Block]) -> hashbrown::HashSet<Value> {
    let mut out = hashbrown::HashSet::new();
    for &blk in blocks {
        for inst in blk.instructions() {
            let escaping: Vec<Value> = match inst.opcode() {
                Opcode::LLVMStore => vec![inst.operand(0)],
                Opcode::LLVMPtrToInt if is_offset_only(inst) => Vec::new(),
                Opcode::LLVMPtrToInt | Opcode::LLVMRet => inst.operands(),
                Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => inst.operands(),
                Opcode::LLVMCall | Opcode::LLVMInvoke => {
                    let name = inst.called_name();
                    // BLAS and MPI routines do not keep their pointer
                    // arguments (a non-blocking receive writes its buffer
                    // by the wait; the receive itself counts as the write).
                    let memory_op = crate::rules::known_effects(inst).is_some()
                        || crate::shadow::is_memcpy(&name)
                        || crate::shadow::is_memset(&name)
                        || crate::shadow::is_free(&name)
                        || name.starts_with("llvm.lifetime")
                        || name.starts_with("llvm.dbg")
                        || name.starts_with("llvm.assume");
                    if memory_op {
                        Vec::new()
                    } else {
                        inst.call_args()
                    }
                }
                _ => Vec::new(),
            };
            for v in escaping {
                if v.ty().is_pointer() {
                    out.extend(underlying_objects(v));
                }
            }
        }
    }
    out
}

/// Whether `ptrtoint` `p` only serves differences of two pointers into the
/// same objects (`std::vector`'s `end - begin`, the size its destructor
/// passes to `operator delete`): an offset, from which no address can be
/// rebuilt, so the pointer does not escape through it.
fn is_offset_only(p: Value) -> bool {
    let objs = |q: Value| {
        let mut o = underlying_objects(q.operand(0));
        o.sort();
        o.dedup();
        o
    };
    let mine = objs(p);
    !mine.is_empty()
        && p.users().into_iter().all(|u| {
            u.opcode() == Opcode::LLVMSub
                && u.operands().into_iter().all(|o| {
                    o.is_instruction() && o.opcode() == Opcode::LLVMPtrToInt && objs(o) == mine
                })
        })
}

/// Loads whose memory no write can change after they execute, so the
/// reverse sweep may read it again instead of taping the value.
pub struct Rereads {
    /// Each write (store, memory call, free, unknown call) with the memory
    /// classes it may touch (`None`: anything).
    writers: Vec<(Value, Option<Vec<MemClass>>)>,
    objects: Objects,
    /// Blocks reachable from each block through at least one edge.
    reach: HashMap<ferment_ir::Block, hashbrown::HashSet<ferment_ir::Block>>,
    memo: std::cell::RefCell<HashMap<Value, bool>>,
    /// Per BLAS call and array operand: nothing writes the array after the
    /// call (see `reverse/blas.rs`).
    blas_operands: HashMap<(Value, Value), bool>,
    /// Split shape: the parameters whose memory nothing changes between the
    /// two sweeps; only loads from them are read again.
    split_roots: Option<hashbrown::HashSet<Value>>,
    /// Heap allocations whose `free`s move to the reverse sweep, with those
    /// frees (see [`deferrable_frees`]).
    pub deferred: HashMap<Value, Vec<Value>>,
    /// Stores that move to the end of the reverse sweep (see
    /// [`tail_stores`]), in program order.
    pub tail: Vec<Value>,
    /// Parameters whose memory is a block of known size (a checkpointed
    /// segment's regions, [`PARAM_EXTENTS`]): element count, element size.
    extents: HashMap<Value, (Value, Value)>,
    /// (load, store) pairs where the store, though it may run after the
    /// load, never writes what the load read (`shim::frontier_rereads`:
    /// forward substitution's `y[j]`, `j < i`, against `y[i] = ...`; across
    /// a loop nest, a factorization's finished rows or columns).
    passed: hashbrown::HashSet<(Value, Value)>,
}

/// String attribute of a function whose pointer parameters reach blocks of
/// known size: `i:m:e;...`, parameter `i` points to the start of `e`-byte
/// elements, as many as integer parameter `m` says (`#c`: `c` of them), which no other pointer
/// reaches while the function runs (`i` is `noalias` too). A checkpointed
/// segment's reverse copy says so of its regions
/// ([`crate::reverse::checkpoint`]): its loads from them may then be read
/// from snapshots like fresh allocations' ([`Rereads::local_allocation`]).
pub const PARAM_EXTENTS: &str = "ferment-param-extents";

/// Allocators and deallocators whose pairing ferment knows.
const ALLOCATORS: &[&str] = &["malloc", "calloc", "aligned_alloc", "_Znwm", "_Znam"];
const DEALLOCATORS: &[&str] = &["free", "_ZdlPv", "_ZdlPvm", "_ZdaPv", "_ZdaPvm"];

/// Scratch memory the function allocates once (outside loops) and frees
/// before it returns: the combined shape frees it when the reverse sweep
/// passes the allocation instead, so the reverse sweep may read it again
/// rather than tape what was read from it. Each allocation qualifies when
/// its address does not escape and every free of it that can reach a
/// return is outside loops (frees on paths that never return stay); a
/// free of a phi of several such allocations moves with them. The
/// end of a stack array's lifetime (`llvm.lifetime.end`, -O1 and above)
/// counts as its free and is dropped from the derivative.
fn deferrable_frees(
    blocks: &[ferment_ir::Block],
    escaped: &Objects,
    returns: &dyn Fn(ferment_ir::Block) -> bool,
    in_loop: &dyn Fn(ferment_ir::Block) -> bool,
) -> HashMap<Value, Vec<Value>> {
    let mut frees: HashMap<Value, Vec<Value>> = HashMap::new();
    let mut refused = hashbrown::HashSet::new();
    let mut shared: Vec<Vec<Value>> = Vec::new();
    for &blk in blocks {
        for inst in blk.instructions() {
            if !inst.is_call() {
                continue;
            }
            let Some(name) = inst.called_function().map(|f| f.name()) else {
                continue;
            };
            // The end of a stack array's lifetime moves the same way: the
            // reverse sweep passes the alloca after its last read there.
            let lifetime_end = name.starts_with("llvm.lifetime.end");
            if !(crate::shadow::is_free(&name) || lifetime_end) || !returns(blk) {
                continue;
            }
            let freed = if lifetime_end {
                match inst.call_args().iter().position(|a| a.ty().is_pointer()) {
                    Some(i) => i,
                    None => continue,
                }
            } else {
                ferment_activity_analysis::freed_pointer_argument(&name)
            };
            let objects = underlying_objects(inst.operand(freed));
            let known = (lifetime_end || DEALLOCATORS.contains(&name.as_str())) && !in_loop(blk);
            // A free of a phi of several allocations (a scratch block
            // allocated on two paths: `malloc` here, `calloc` there, or
            // one call the optimizer duplicated into both arms of a
            // guard) moves too when every one of them qualifies: the
            // reverse of each allocation frees that one, where the
            // forward sweep allocated it. Only for deallocators taking
            // the pointer alone (a sized delete's size would be the
            // phi's, not the allocation's).
            let single = objects.len() == 1 || (!lifetime_end && inst.call_args().len() == 1);
            let ok = |o: &Value| {
                let allocator = o
                    .is_call()
                    .then(|| o.called_function().map(|f| f.name()))
                    .flatten()
                    .unwrap_or_default();
                let allocated = if lifetime_end {
                    allocation_kind(*o) == Some(AllocKind::Stack)
                } else {
                    ALLOCATORS.contains(&allocator.as_str())
                };
                allocated && !in_loop(o.parent()) && !escaped.escaped.contains(o)
            };
            if known && single && !objects.is_empty() && objects.iter().all(ok) {
                for o in &objects {
                    frees.entry(*o).or_default().push(inst);
                }
                shared.push(objects);
            } else {
                refused.extend(objects.iter().copied());
            }
        }
    }
    // A free that stays in place (one of its allocations refused) keeps
    // all of its allocations' frees in place: none is freed twice.
    loop {
        let before = refused.len();
        for objs in &shared {
            if objs.iter().any(|o| refused.contains(o)) {
                refused.extend(objs.iter().copied());
            }
        }
        if refused.len() == before {
            break;
        }
    }
    frees.retain(|o, _| !refused.contains(o));
    frees
}

/// Combined shape: the stores to memory anyone may reach (arguments,
/// globals, escaped allocations) that end the function, `*err = f` in
/// `void f(..., double *err)`: in the single returning block, after them
/// nothing reads or writes memory but other such stores, stores to the
/// function's own allocations, and frees moved to the reverse sweep.
/// Executed at the end of the reverse sweep instead, they leave the memory
/// the forward sweep read as it was while the reverse sweep reads it again,
/// so the loads they might alias (any argument, without `restrict`) need not
/// be taped; the memory ends up as the primal leaves it. Not with `invoke`
/// (the reverse sweep may start from an unwinding edge), on GPUs or in
/// OpenMP regions (other threads).
fn tail_stores(
    blocks: &[ferment_ir::Block],
    escaped: &Objects,
    moved: &hashbrown::HashSet<Value>,
) -> Vec<Value> {
    let rets: Vec<ferment_ir::Block> = blocks
        .iter()
        .copied()
        .filter(|b| {
            b.terminator()
                .is_some_and(|t| t.opcode() == Opcode::LLVMRet)
        })
        .collect();
    let [ret_blk] = rets[..] else {
        return Vec::new();
    };
    if blocks.iter().any(|b| {
        b.terminator()
            .is_some_and(|t| t.opcode() != Opcode::LLVMRet && t.is_invoke())
    }) {
        return Vec::new();
    }
    let f = ret_blk.parent();
    if crate::gpu::is_gpu(f.global_parent()) || crate::openmp::is_parallel_region(f) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut cur = ret_blk.terminator().and_then(|t| t.prev_instruction());
    while let Some(i) = cur {
        cur = i.prev_instruction();
        if moved.contains(&i) {
            continue;
        }
        match i.opcode() {
            Opcode::LLVMStore => {
                if i.is_volatile_or_atomic() {
                    break;
                }
                let cs = classes_of(i.operand(1), escaped);
                if cs.is_empty() {
                    break;
                }
                if cs.iter().all(|c| *c == MemClass::External) {
                    out.push(i);
                } else if !cs.iter().all(|c| matches!(c, MemClass::Local(_))) {
                    break;
                }
            }
            Opcode::LLVMCall => {
                let name = i.called_name();
                let harmless = name.starts_with("llvm.lifetime")
                    || name.starts_with("llvm.dbg")
                    || name.starts_with("llvm.assume")
                    || i.call_accesses_no_memory();
                if !harmless {
                    break;
                }
            }
            Opcode::LLVMLoad
            | Opcode::LLVMInvoke
            | Opcode::LLVMCallBr
            | Opcode::LLVMAtomicRMW
            | Opcode::LLVMAtomicCmpXchg
            | Opcode::LLVMFence
            | Opcode::LLVMVAArg => break,
            _ => {}
        }
    }
    out.reverse();
    out
}

impl Rereads {
    /// For the combined shape only: in the split shape the caller may
    /// overwrite memory (and stack memory dies) between the two sweeps.
    /// `restrict`: the parameters whose primal counterpart is `noalias`.
    /// `in_loop`: whether a block is inside a loop.
    pub fn new(
        blocks: &[ferment_ir::Block],
        restrict: hashbrown::HashSet<Value>,
        in_loop: &dyn Fn(ferment_ir::Block) -> bool,
    ) -> Rereads {
        let mut writers = Vec::new();
        let escaped = Objects {
            escaped: escaped_objects(blocks),
            restrict,
        };
        let mut reach = HashMap::new();
        for &b in blocks {
            let mut seen = hashbrown::HashSet::new();
            let mut work: Vec<ferment_ir::Block> = b.successors();
            while let Some(x) = work.pop() {
                if seen.insert(x) {
                    work.extend(x.successors());
                }
            }
            reach.insert(b, seen);
        }
        let is_ret = |b: ferment_ir::Block| {
            b.terminator()
                .is_some_and(|t| t.opcode() == Opcode::LLVMRet)
        };
        let returns = |b: ferment_ir::Block| {
            is_ret(b) || reach.get(&b).is_some_and(|r| r.iter().any(|x| is_ret(*x)))
        };
        let deferred = deferrable_frees(blocks, &escaped, &returns, in_loop);
        let moved: hashbrown::HashSet<Value> = deferred.values().flatten().copied().collect();
        let tail = tail_stores(blocks, &escaped, &moved);
        for &blk in blocks {
            for inst in blk.instructions() {
                if moved.contains(&inst) {
                    continue;
                }
                let touched = match inst.opcode() {
                    Opcode::LLVMStore => Some(Some(classes_of(inst.operand(1), &escaped))),
                    Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => Some(None),
                    Opcode::LLVMCall | Opcode::LLVMInvoke => call_touches(inst, &escaped),
                    _ => None,
                };
                if let Some(t) = touched {
                    writers.push((inst, t));
                }
            }
        }
        let r = Rereads {
            writers,
            objects: escaped,
            reach,
            memo: std::cell::RefCell::new(HashMap::new()),
            blas_operands: HashMap::new(),
            split_roots: None,
            deferred,
            tail,
            extents: HashMap::new(),
            passed: hashbrown::HashSet::new(),
        };
        let mut r = r;
        r.passed = r.frontier_pairs(blocks);
        let r = r;
        // Decide every load now: the generators later replace and erase
        // instructions (calls), which must not be looked at again.
        for &blk in blocks {
            for inst in blk.instructions() {
                if inst.opcode() == Opcode::LLVMLoad {
                    r.decide(inst);
                }
            }
        }
        let mut r = r;
        for &blk in blocks {
            for inst in blk.instructions() {
                if crate::rules::blas::known_effects(inst).is_some() {
                    for p in inst.call_args().into_iter().filter(|a| a.ty().is_pointer()) {
                        let safe = r.unwritten_after(inst, p);
                        r.blas_operands.insert((inst, p), safe);
                    }
                }
            }
        }
        r
    }

    /// For the split shape, where the caller runs between the two sweeps:
    /// only loads from `unchanged` parameters (see [`unchanged_roots`]) are
    /// read again; no free moves, and BLAS operands are copied.
    pub fn for_split(
        blocks: &[ferment_ir::Block],
        unchanged: hashbrown::HashSet<Value>,
    ) -> Rereads {
        let r = Rereads {
            writers: Vec::new(),
            objects: Objects {
                escaped: hashbrown::HashSet::new(),
                restrict: hashbrown::HashSet::new(),
            },
            reach: HashMap::new(),
            memo: std::cell::RefCell::new(HashMap::new()),
            blas_operands: HashMap::new(),
            split_roots: Some(unchanged),
            deferred: HashMap::new(),
            tail: Vec::new(),
            extents: HashMap::new(),
            passed: hashbrown::HashSet::new(),
        };
        for &blk in blocks {
            for inst in blk.instructions() {
                if inst.opcode() == Opcode::LLVMLoad {
                    r.decide(inst);
                }
            }
        }
        r
    }

    /// Whether nothing writes the memory `p` points into after `at`
    /// executes (decided for BLAS operands when the function was analyzed).
    pub fn blas_operand_unchanged(&self, call: Value, p: Value) -> bool {
        self.blas_operands.get(&(call, p)).copied().unwrap_or(false)
    }

    /// The writes that may touch the memory `p` points into and can run
    /// after `at`.
    fn writes_after(&self, at: Value, p: Value) -> Vec<(Value, bool)> {
        let mine = classes_of(p, &self.objects);
        self.writers
            .iter()
            .filter(|(w, touched)| {
                let may_touch = match touched {
                    None => true,
                    Some(cs) => cs.iter().any(|c| mine.contains(c)),
                };
                may_touch && !self.tail.contains(w) && self.after(at, *w)
            })
            .map(|(w, touched)| (*w, touched.is_some()))
            .collect()
    }

    /// Whether no write that may touch the memory `p` points into can run
    /// after `at` (a store proven never to write what load `at` read,
    /// [`Rereads::passed`], does not count).
    fn unwritten_after(&self, at: Value, p: Value) -> bool {
        self.writes_after(at, p)
            .iter()
            .all(|(w, _)| self.passed.contains(&(at, *w)))
    }

    /// The (load, store) pairs `shim::frontier_rereads` proves: for each
    /// load whose only later writes are stores into memory of known class
    /// (a fresh allocation or `restrict` parameter of its own), each such
    /// store; the load is then read again when every pair holds.
    fn frontier_pairs(&self, blocks: &[ferment_ir::Block]) -> hashbrown::HashSet<(Value, Value)> {
        let Some(f) = blocks.first().map(|b| b.parent()) else {
            return hashbrown::HashSet::new();
        };
        let mut pairs = Vec::new();
        for &blk in blocks {
            for l in blk.instructions() {
                if l.opcode() != Opcode::LLVMLoad || l.is_volatile_or_atomic() {
                    continue;
                }
                let p = l.operand(0);
                if !classes_of(p, &self.objects)
                    .iter()
                    .all(|c| matches!(c, MemClass::Local(_)))
                {
                    continue;
                }
                let later = self.writes_after(l, p);
                if !later.is_empty()
                    && later
                        .iter()
                        .all(|(w, known)| *known && w.opcode() == Opcode::LLVMStore)
                {
                    pairs.extend(later.into_iter().map(|(w, _)| (l, w)));
                }
            }
        }
        crate::shim::frontier_rereads(f, &pairs)
            .into_iter()
            .zip(pairs)
            .filter(|(ok, _)| *ok)
            .map(|(_, pair)| pair)
            .collect()
    }

    /// Whether `w` can execute after `l` (later in `l`'s block, or in a
    /// block reachable from it).
    fn after(&self, l: Value, w: Value) -> bool {
        let (lb, wb) = (l.parent(), w.parent());
        if self.reach.get(&lb).is_some_and(|r| r.contains(&wb)) {
            return true;
        }
        if lb == wb {
            let mut cur = l.next_instruction();
            while let Some(i) = cur {
                if i == w {
                    return true;
                }
                cur = i.next_instruction();
            }
        }
        false
    }

    /// Combined shape: whether store `s` is the only write that may touch
    /// the memory `p` points into among the writes in blocks `inside`
    /// accepts (in the split shape nothing is known: false).
    pub fn sole_writer_within(
        &self,
        s: Value,
        p: Value,
        inside: &dyn Fn(ferment_ir::Block) -> bool,
    ) -> bool {
        self.writers_within(p, inside)
            .is_some_and(|ws| ws.iter().all(|&w| w == s))
    }

    /// Combined shape: the writes in blocks `inside` accepts that may touch
    /// the memory `p` points into (`None` in the split shape, or when `p`'s
    /// memory is not known).
    pub fn writers_within(
        &self,
        p: Value,
        inside: &dyn Fn(ferment_ir::Block) -> bool,
    ) -> Option<Vec<Value>> {
        if self.split_roots.is_some() {
            return None;
        }
        let mine = classes_of(p, &self.objects);
        if mine.is_empty() {
            return None;
        }
        Some(
            self.writers
                .iter()
                .filter(|(w, touched)| {
                    inside(w.parent())
                        && touched
                            .as_ref()
                            .is_none_or(|cs| cs.iter().any(|c| mine.contains(c)))
                })
                .map(|(w, _)| *w)
                .collect(),
        )
    }

    /// Combined shape: the allocation `p` points into when it is exactly
    /// one fresh `malloc`/`calloc`/`aligned_alloc`/`new` block whose address
    /// does not escape (so only the function's own accesses through it
    /// reach its memory), with the call's size operands (`calloc`: both).
    pub fn local_allocation(&self, p: Value) -> Option<(Value, Vec<Value>)> {
        if self.split_roots.is_some() {
            return None;
        }
        // A null pointer among the objects (`std::vector`'s data before it
        // allocates anything) points into no memory: no load reads it.
        let objs: Vec<Value> = underlying_objects(p)
            .into_iter()
            .filter(|o| !o.is_null_constant())
            .collect();
        let [o] = objs.as_slice() else {
            return None;
        };
        if classes_of(*o, &self.objects) != [MemClass::Local(*o)] {
            return None;
        }
        // a parameter reaching a block of known size ([`PARAM_EXTENTS`])
        if let Some(&(count, elem)) = self.extents.get(o) {
            return Some((*o, vec![count, elem]));
        }
        if !o.is_call() {
            return None;
        }
        let name = o.called_name();
        let sizes = match name.as_str() {
            "malloc" | "_Znwm" | "_Znam" => vec![o.operand(0)],
            "calloc" => vec![o.operand(0), o.operand(1)],
            "aligned_alloc" => vec![o.operand(1)],
            _ => return None,
        };
        Some((*o, sizes))
    }

    /// Combined shape: whether, in every iteration of the loop whose blocks
    /// `inside` accepts and whose header is `header`, the memory `load`
    /// reads holds what it held when the iteration entered the header: no
    /// write that may touch it (a store, `memcpy` or `memset`; any other
    /// writing call inside the loop refuses) can run between the header and
    /// the load without passing the header again.
    /// Declares the parameters of [`PARAM_EXTENTS`] (read from `declared`,
    /// the function the derivative is of; `params` are the corresponding
    /// values of the function analysed): those that are `restrict` here
    /// become blocks of known size.
    pub fn set_param_extents(&mut self, declared: Value, params: &[Value]) {
        let Some(text) = declared.string_attribute(PARAM_EXTENTS) else {
            return;
        };
        let m = declared.global_parent();
        let b = ferment_ir::Builder::new(m);
        for item in text.split(';') {
            let v: Vec<&str> = item.split(':').collect();
            let [i, n, e] = v.as_slice() else { continue };
            let (Ok(i), Ok(e)) = (i.parse::<usize>(), e.parse::<usize>()) else {
                continue;
            };
            // `#c`: a constant count
            let count = match n.strip_prefix('#') {
                Some(c) => c.parse::<i64>().ok().map(|c| b.const_int(b.i64(), c)),
                None => n.parse::<usize>().ok().and_then(|n| params.get(n).copied()),
            };
            let (Some(&p), Some(count)) = (params.get(i), count) else {
                continue;
            };
            if p.ty().is_pointer() && count.ty().is_integer() && e > 0 {
                let elem = b.const_int(count.ty(), e as i64);
                self.extents.insert(p, (count, elem));
            }
        }
    }

    pub fn unwritten_since_header(
        &self,
        load: Value,
        header: ferment_ir::Block,
        inside: &dyn Fn(ferment_ir::Block) -> bool,
    ) -> bool {
        self.unwritten_since_header_except(load, header, inside, &|_| false)
    }

    /// [`Rereads::unwritten_since_header`], with the writes `exempt`
    /// accepts known not to touch the memory `load` reads.
    pub fn unwritten_since_header_except(
        &self,
        load: Value,
        header: ferment_ir::Block,
        inside: &dyn Fn(ferment_ir::Block) -> bool,
        exempt: &dyn Fn(Value) -> bool,
    ) -> bool {
        if self.split_roots.is_some() {
            return false;
        }
        let mine = classes_of(load.operand(0), &self.objects);
        if mine.is_empty() {
            return false;
        }
        let lb = load.parent();
        self.writers.iter().all(|(w, touched)| {
            let wb = w.parent();
            if !inside(wb) || exempt(*w) {
                return true;
            }
            let may_touch = match touched {
                None => true,
                Some(cs) => cs.iter().any(|c| mine.contains(c)),
            };
            if !may_touch {
                return true;
            }
            let plain_write = w.opcode() == Opcode::LLVMStore || {
                let name = w.called_name();
                w.is_call() && (crate::shadow::is_memcpy(&name) || crate::shadow::is_memset(&name))
            };
            if !plain_write {
                return false;
            }
            if wb == lb {
                let mut cur = w.next_instruction();
                while let Some(i) = cur {
                    if i == load {
                        return false;
                    }
                    cur = i.next_instruction();
                }
            }
            // blocks reachable from w's block inside the loop without
            // entering the header
            let mut seen = hashbrown::HashSet::new();
            let mut work: Vec<ferment_ir::Block> = wb.successors();
            while let Some(x) = work.pop() {
                if x == header || !inside(x) || !seen.insert(x) {
                    continue;
                }
                if x == lb {
                    return false;
                }
                work.extend(x.successors());
            }
            true
        })
    }

    /// Decided when the function was analyzed; loads created later are not.
    pub fn safe(&self, load: Value) -> bool {
        self.memo.borrow().get(&load).copied().unwrap_or(false)
    }

    fn decide(&self, load: Value) -> bool {
        let safe = match &self.split_roots {
            Some(roots) => {
                let objs = underlying_objects(load.operand(0));
                !objs.is_empty() && objs.iter().all(|o| roots.contains(o))
            }
            None => self.unwritten_after(load, load.operand(0)),
        };
        self.memo.borrow_mut().insert(load, safe);
        safe
    }
}

/// The memory classes a call may write (or free); `None` when it writes
/// nothing, `Some(None)` when it may write anything.
fn call_touches(call: Value, escaped: &Objects) -> Option<Option<Vec<MemClass>>> {
    let Some(callee) = call.called_function() else {
        return Some(None);
    };
    let name = callee.name();
    if name.starts_with("llvm.lifetime.end") {
        // The stack slot may be reused for something else afterwards.
        let p = call.call_args().into_iter().find(|a| a.ty().is_pointer())?;
        return Some(Some(classes_of(p, escaped)));
    }
    if name.starts_with("llvm.lifetime")
        || name.starts_with("llvm.assume")
        || name.starts_with("llvm.dbg")
    {
        return None;
    }
    if crate::shadow::is_free(&name) {
        let freed = ferment_activity_analysis::freed_pointer_argument(&name);
        return Some(Some(classes_of(call.operand(freed), escaped)));
    }
    if crate::shadow::is_memcpy(&name) || crate::shadow::is_memset(&name) {
        return Some(Some(classes_of(call.operand(0), escaped)));
    }
    if matches!(
        allocation_kind(call),
        Some(AllocKind::Realloc | AllocKind::OutParam { .. })
    ) {
        // realloc frees its argument; posix_memalign writes through it
        return Some(Some(classes_of(call.operand(0), escaped)));
    }
    if allocation_kind(call).is_some() {
        return None;
    }
    if let Some(effects) = crate::rules::known_effects(call) {
        // BLAS and MPI routines write only their output arrays.
        let written: Vec<MemClass> = call
            .call_args()
            .into_iter()
            .zip(effects)
            .filter(|(_, e)| e.writes())
            .flat_map(|(a, _)| classes_of(a, escaped))
            .collect();
        return (!written.is_empty()).then_some(Some(written));
    }
    if let Some(rule) = crate::rules::call_rule(&name).filter(|_| callee.is_declaration()) {
        // Math functions write only their outputs (frexp's exponent).
        let args = call.call_args();
        let outputs: Vec<MemClass> = rule
            .writes
            .iter()
            .filter_map(|&w| args.get(w))
            .flat_map(|&p| classes_of(p, escaped))
            .collect();
        return (!outputs.is_empty()).then_some(Some(outputs));
    }
    if crate::frontend::is_inactive_call(call) {
        // fread, sscanf, time...: inactive, but they write through their
        // pointer arguments.
        if ferment_activity_analysis::inactive_function_writes_or_aliases(&name) {
            let written: Vec<MemClass> = call
                .call_args()
                .into_iter()
                .filter(|a| a.ty().is_pointer())
                .flat_map(|a| classes_of(a, escaped))
                .collect();
            return Some(Some(written));
        }
        if ferment_activity_analysis::fortran_integer_result(&name) == Some(true) {
            // flang's MAXLOC, COUNT along a dimension...: their result
            // descriptor alone.
            let written: Vec<MemClass> = call
                .call_args()
                .into_iter()
                .take(1)
                .flat_map(|a| classes_of(a, escaped))
                .collect();
            return Some(Some(written));
        }
        return None;
    }
    // A function of this module reaches a non-escaped allocation or
    // `restrict` parameter only through a pointer it receives, and passing
    // one makes it escape (`escaped_objects`): it writes only memory anyone
    // may reach. Not on GPUs or in OpenMP regions, where other threads may
    // write such memory across a barrier inside the call.
    let f = call.function_of();
    if !callee.is_declaration()
        && !crate::gpu::is_gpu(f.global_parent())
        && !crate::openmp::is_parallel_region(f)
    {
        return Some(Some(vec![MemClass::External]));
    }
    Some(None)
}

/// Of `roots` — parameters whose memory nothing outside the derivative
/// writes while it runs: the `restrict` parameters of a combined
/// derivative (writing such memory other than through the parameter is
/// undefined in C), or those a split derivative's caller vouches for
/// ([`vouched_arguments`]) — the ones this function itself never writes,
/// frees or lets escape (stores the pointer, returns it, passes it to a
/// call that may write through it or keep it). Their memory holds the same
/// values in the reverse sweep as when the forward sweep read it.
pub fn unchanged_roots(
    blocks: &[ferment_ir::Block],
    roots: &hashbrown::HashSet<Value>,
) -> hashbrown::HashSet<Value> {
    let mut spoiled = hashbrown::HashSet::new();
    let mut spoil = |p: Value| {
        if p.ty().is_pointer() {
            spoiled.extend(
                underlying_objects(p)
                    .into_iter()
                    .filter(|o| roots.contains(o)),
            );
        } else if !p.ty().is_fp_like() && !p.ty().is_integer() {
            // An aggregate or vector may carry a pointer: assume the worst.
            spoiled.extend(roots.iter().copied());
        }
    };
    for &blk in blocks {
        for inst in blk.instructions() {
            match inst.opcode() {
                Opcode::LLVMStore => {
                    // Handing the pointer to parallel regions that only
                    // read through it is no escape.
                    if crate::openmp::forked_pointer_slot(inst.operand(1)) != Some(inst) {
                        spoil(inst.operand(0));
                    }
                    spoil(inst.operand(1));
                }
                Opcode::LLVMPtrToInt
                | Opcode::LLVMRet
                | Opcode::LLVMAtomicRMW
                | Opcode::LLVMAtomicCmpXchg => inst.operands().into_iter().for_each(&mut spoil),
                Opcode::LLVMInsertValue | Opcode::LLVMInsertElement => spoil(inst.operand(1)),
                Opcode::LLVMCall | Opcode::LLVMInvoke => {
                    call_writes_or_keeps(inst).into_iter().for_each(&mut spoil)
                }
                _ => {}
            }
        }
    }
    roots
        .iter()
        .copied()
        .filter(|r| !spoiled.contains(r))
        .collect()
}

/// The pointer arguments of `call` that it may write through or keep a
/// copy of.
fn call_writes_or_keeps(call: Value) -> Vec<Value> {
    let args = call.call_args();
    let pointers = || {
        args.iter()
            .copied()
            .filter(|a| !a.ty().is_fp_like())
            .collect()
    };
    let Some(callee) = call.called_function() else {
        return pointers();
    };
    let name = callee.name();
    if let Some(covered) = callee.string_attribute(crate::frontend::loops::CHECKPOINT_COVERED) {
        // A checkpointed time loop neither writes nor keeps a step argument
        // outside its regions (`reverse::checkpoint::check_writes` stops
        // the compile otherwise).
        let first = args.len() - covered.len();
        return args
            .iter()
            .enumerate()
            .filter(|&(i, a)| {
                !a.ty().is_fp_like() && (i < first || covered.as_bytes()[i - first] == b'r')
            })
            .map(|(_, a)| *a)
            .collect();
    }
    if name.starts_with("llvm.lifetime")
        || name.starts_with("llvm.dbg")
        || name.starts_with("llvm.assume")
    {
        return Vec::new();
    }
    if crate::shadow::is_memcpy(&name)
        || crate::shadow::is_memset(&name)
        || crate::shadow::is_free(&name)
    {
        return vec![call.operand(0)];
    }
    if let Some(kind) = allocation_kind(call) {
        return match kind {
            AllocKind::Realloc | AllocKind::OutParam { .. } => vec![call.operand(0)],
            _ => Vec::new(),
        };
    }
    if let Some(effects) = crate::rules::known_effects(call) {
        return args
            .iter()
            .zip(effects)
            .filter(|(_, e)| e.writes())
            .map(|(a, _)| *a)
            .collect();
    }
    if let Some(rule) = crate::rules::call_rule(&name).filter(|_| callee.is_declaration()) {
        return rule
            .writes
            .iter()
            .filter_map(|&w| args.get(w).copied())
            .collect();
    }
    if crate::frontend::is_inactive_call(call)
        && !ferment_activity_analysis::inactive_function_writes_or_aliases(&name)
    {
        // flang's MAXLOC, COUNT along a dimension...: their result
        // descriptor alone.
        return match ferment_activity_analysis::fortran_integer_result(&name) {
            Some(true) => args.iter().take(1).copied().collect(),
            _ => Vec::new(),
        };
    }
    // Any other function: only a parameter it promises to read and not to
    // keep (`readonly captures(none)`, which LLVM infers at -O1 and above)
    // leaves the memory alone.
    args.iter()
        .enumerate()
        .filter(|&(i, a)| {
            let promised = callee.param_has_attribute(i as u32, "readonly")
                && callee.param_captures_none(i as u32);
            !a.ty().is_fp_like() && !promised
        })
        .map(|(_, a)| *a)
        .collect()
}

/// For a call of a function differentiated in split shape: which of its
/// arguments point only into `unchanged` roots, so that nothing writes
/// their memory between the callee's augmented forward function and its
/// reverse function (empty when none does).
pub fn vouched_arguments(args: &[Value], unchanged: &hashbrown::HashSet<Value>) -> Vec<bool> {
    let flags: Vec<bool> = args
        .iter()
        .map(|a| {
            a.ty().is_pointer() && {
                let objs = underlying_objects(*a);
                !objs.is_empty() && objs.iter().all(|o| unchanged.contains(o))
            }
        })
        .collect();
    if flags.contains(&true) {
        flags
    } else {
        Vec::new()
    }
}
