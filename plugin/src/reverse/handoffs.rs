//! Shadows of heap memory that one function allocates and another frees.
//!
//! The reverse of an allocation frees its shadow (every use of the shadow
//! in the reverse sweep comes before it), unless the memory outlives the
//! function: returned, or stored where its caller reaches it. Whether such
//! memory is freed later in the forward sweep, and by whom, is known only
//! at run time and at any depth of calls that stay calls (a factory's node
//! freed by the caller when its key is there, `make(Box *b)` storing
//! `new double[n]` into a caller's local that the caller deletes, libstdc++'s
//! `_M_allocate_node` at -O0). So the two ends meet through a per-thread
//! list of freed pointers:
//! - the reverse of a free of memory the function did not allocate itself
//!   (a pointer from a call, from memory or an argument) records the primal
//!   pointer (`ferment.handoff.push`);
//! - the reverse of an allocation whose memory may outlive its function
//!   removes its pointer from the list (`ferment.handoff.take`): found, the
//!   memory was freed after it in the forward sweep, and the shadow is freed
//!   now; not found, the memory outlives the sweep (linked into the user's
//!   structure) and so does its shadow;
//! - a `realloc` is both: its reverse looks its own block up, then records
//!   the old block it freed (a kept `push` growing its caller's array).
//!
//! The reverse sweep meets the frees in the reverse order of the forward
//! sweep, so a pointer is looked for only after every later free of it was
//! recorded and before any earlier one: an address that `malloc` reused
//! finds the entry of its own lifetime. Each request's reverse sweep opens a
//! frame on the list (`ferment.handoff.mark`) and drops what is left in it
//! at its end (`ferment.handoff.release`, which frees the buffer once the
//! outermost frame ends): entries of one sweep never meet the allocations
//! of another.
//!
//! Only in derivatives whose request (or parallel region) may call
//! functions with both ends (`DerivativeKey::handoffs`, decided by
//! [`super::memory::handoffs_needed`] on the functions the request's
//! function may reach), and on Linux CPU targets (thread-local storage):
//! elsewhere memory that outlives its function keeps its shadow, and no
//! frame is opened (a parallel region's frame would stop the team rewrite,
//! `openmp_team.rs`).

use crate::reverse::tape::declare;
use ferment_ir::{Builder, IntPredicate, Module, Type, Value};

/// The list's helper functions.
#[derive(Clone, Copy)]
pub(super) struct Handoffs {
    /// `void push(ptr freed)`
    pub push: Value,
    /// `i1 take(ptr allocated)`: whether it was there (and is now removed)
    pub take: Value,
    /// `i64 mark()`: opens a frame, returns the enclosing one's
    pub mark: Value,
    /// `void release(i64 enclosing)`: drops the frame's entries
    pub release: Value,
}

const PUSH: &str = "ferment.handoff.push";
const TAKE: &str = "ferment.handoff.take";
const MARK: &str = "ferment.handoff.mark";
const RELEASE: &str = "ferment.handoff.release";

/// Whether `module`'s target has thread-local storage in the usual sense
/// (Linux CPUs; not GPUs, not Android).
pub(crate) fn supported(module: Module) -> bool {
    let t = module.target_triple();
    t.contains("-linux")
        && !t.contains("android")
        && !t.starts_with("nvptx")
        && !t.starts_with("amdgcn")
}

/// Whether `f` or a function it calls, at any depth, records a free or
/// looks an allocation up: a frame is opened only then (a request whose
/// frees all became its own once its callees were inlined has none).
pub(super) fn reaches_list(module: Module, f: Value) -> bool {
    let ends: Vec<Value> = [PUSH, TAKE]
        .into_iter()
        .filter_map(|n| module.function(n))
        .collect();
    if ends.is_empty() {
        return false;
    }
    let mut work = vec![f];
    let mut seen = hashbrown::HashSet::new();
    seen.insert(f);
    while let Some(g) = work.pop() {
        for i in g.instructions() {
            let Some(c) = i.is_call().then(|| i.called_function()).flatten() else {
                continue;
            };
            if ends.contains(&c) {
                return true;
            }
            if !c.is_declaration() && seen.insert(c) {
                work.push(c);
            }
        }
    }
    false
}

/// The helpers of `module`, defined on first use; `None` on targets
/// without thread-local storage in the usual sense (GPUs, non-Linux).
pub(super) fn helpers(module: Module) -> Option<Handoffs> {
    if let (Some(push), Some(take), Some(mark), Some(release)) = (
        module.function(PUSH),
        module.function(TAKE),
        module.function(MARK),
        module.function(RELEASE),
    ) {
        return Some(Handoffs {
            push,
            take,
            mark,
            release,
        });
    }
    if !supported(module) {
        return None;
    }
    let ctx = module.context();
    let (ptr, i64t, i1t, void) = (
        Type::ptr(ctx),
        Type::int(ctx, 64),
        Type::int(ctx, 1),
        Type::void(ctx),
    );
    let global = |name: &str, ty: Type| {
        let g = module.add_zeroed_global(name, ty);
        g.set_thread_local();
        g
    };
    // the buffer, its length and capacity (entries), and where the
    // innermost request's frame starts
    let data = global("ferment.handoff.data", ptr);
    let len = global("ferment.handoff.len", i64t);
    let cap = global("ferment.handoff.cap", i64t);
    let floor = global("ferment.handoff.floor", i64t);
    let realloc = declare(module, "realloc", ptr, &[ptr, i64t]);
    let free = declare(module, "free", void, &[ptr]);
    let b = Builder::new(module);
    let one = b.const_int(i64t, 1);
    let zero = b.const_int(i64t, 0);

    // push(p): grow by doubling when full, then append
    let push = module.add_function(PUSH, Type::function(void, &[ptr], false));
    push.set_internal();
    let p = push.params()[0];
    let entry = push.append_block("entry");
    let grow = push.append_block("grow");
    let append = push.append_block("append");
    b.at_end(entry);
    let n = b.load(i64t, len);
    let c = b.load(i64t, cap);
    let full = b.icmp(IntPredicate::LLVMIntEQ, n, c);
    b.cond_br(full, grow, append);
    b.at_end(grow);
    let doubled = b.add_int(b.add_int(c, c), b.const_int(i64t, 16));
    let buf = b.load(ptr, data);
    let bytes = b.mul_int(doubled, b.const_int(i64t, 8));
    let grown = b.call_fn(realloc, &[buf, bytes]);
    b.store(grown, data);
    b.store(doubled, cap);
    b.br(append);
    b.at_end(append);
    let buf = b.load(ptr, data);
    b.store(p, b.gep(ptr, buf, &[n]));
    b.store(b.add_int(n, one), len);
    b.ret_void();

    // take(p): the frame's entries from the newest down; a found one is
    // replaced by the last entry
    let take = module.add_function(TAKE, Type::function(i1t, &[ptr], false));
    take.set_internal();
    let p = take.params()[0];
    let entry = take.append_block("entry");
    let test = take.append_block("test");
    let look = take.append_block("look");
    let found = take.append_block("found");
    let missing = take.append_block("missing");
    b.at_end(entry);
    let n = b.load(i64t, len);
    let low = b.load(i64t, floor);
    let buf = b.load(ptr, data);
    b.br(test);
    b.at_end(test);
    let i = b.phi(i64t, "i");
    let done = b.icmp(IntPredicate::LLVMIntULE, i, low);
    b.cond_br(done, missing, look);
    b.at_end(look);
    let j = b.sub_int(i, one);
    let at = b.gep(ptr, buf, &[j]);
    let q = b.load(ptr, at);
    let hit = b.icmp(IntPredicate::LLVMIntEQ, q, p);
    b.cond_br(hit, found, test);
    i.add_incoming(n, entry);
    i.add_incoming(j, look);
    b.at_end(found);
    let last = b.sub_int(n, one);
    let moved = b.load(ptr, b.gep(ptr, buf, &[last]));
    b.store(moved, at);
    b.store(last, len);
    b.ret(b.const_int(i1t, 1));
    b.at_end(missing);
    b.ret(b.const_int(i1t, 0));

    // mark(): the frame starts at the current length
    let mark = module.add_function(MARK, Type::function(i64t, &[], false));
    mark.set_internal();
    b.at_end(mark.append_block("entry"));
    let enclosing = b.load(i64t, floor);
    b.store(b.load(i64t, len), floor);
    b.ret(enclosing);

    // release(enclosing): drop the frame; the outermost frees the buffer
    let release = module.add_function(RELEASE, Type::function(void, &[i64t], false));
    release.set_internal();
    let enclosing = release.params()[0];
    let entry = release.append_block("entry");
    let empty = release.append_block("empty");
    let exit = release.append_block("exit");
    b.at_end(entry);
    let start = b.load(i64t, floor);
    b.store(start, len);
    b.store(enclosing, floor);
    let none = b.icmp(IntPredicate::LLVMIntEQ, start, zero);
    b.cond_br(none, empty, exit);
    b.at_end(empty);
    b.call_fn(free, &[b.load(ptr, data)]);
    b.store(b.zero(ptr), data);
    b.store(zero, cap);
    b.br(exit);
    b.at_end(exit);
    b.ret_void();
    Some(Handoffs {
        push,
        take,
        mark,
        release,
    })
}
