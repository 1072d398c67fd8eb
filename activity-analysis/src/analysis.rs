//! The fixed point over one function: varied, shadowed, useful, and which
//! instructions do derivative work.
//!
//! Role: starting from a request's [`Seeds`], compute
//! - *shadowed* and *varied* forward (a pointer derived from, or loaded
//!   through, a shadowed pointer is shadowed; an allocation receiving active
//!   data becomes shadowed; a float computed from a varied value, or loaded
//!   from shadowed memory, is varied), until neither set grows;
//! - *useful* backward from the active outputs (the returned value when the
//!   return is active; anything stored into shadowed memory);
//! - *active instructions*: those whose own operation must be
//!   differentiated (see [`Activity::is_active_instruction`]).
//!
//! Calls go through [`crate::Context`] (inactive functions, summaries).

use crate::calls::{ArgEffect, CallKind, Context};
use crate::memory::{allocation_kind, is_memcpy_like, underlying_objects, AllocKind};
use crate::{type_can_be_active, Seeds};
use ferment_ir::{Opcode, Value};
use hashbrown::HashSet;

/// Result of the analysis over one function.
#[derive(Default, Debug)]
pub struct Activity {
    varied: HashSet<Value>,
    useful: HashSet<Value>,
    shadowed: HashSet<Value>,
    active_insts: HashSet<Value>,
    /// Parameters through which active data is stored although they have no
    /// shadow (the caller must give them one).
    unshadowed_params: HashSet<Value>,
    /// Analyzed under [`Seeds::context_globals`].
    context_globals: bool,
    /// [`Seeds::shadow_globals`].
    seeded_globals: Vec<Value>,
}

/// What one value is, for a generator or a reader of the printer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ValueActivity {
    /// Carries a derivative (varied and useful).
    Active,
    /// A pointer that needs a shadow pointer.
    Shadowed,
    /// Neither.
    Const,
}

fn is_op(v: Value, ops: &[Opcode]) -> bool {
    v.is_instruction() && ops.contains(&v.opcode())
}

/// Instructions whose pointer result points into the same object as their
/// pointer operands.
const POINTER_DERIVING: &[Opcode] = &[
    Opcode::LLVMGetElementPtr,
    Opcode::LLVMBitCast,
    Opcode::LLVMAddrSpaceCast,
    // `freeze` of a pointer (loop unswitching guards a hoisted comparison
    // with it) is the same pointer.
    Opcode::LLVMFreeze,
    Opcode::LLVMPHI,
    Opcode::LLVMSelect,
];

/// The operands a pointer-deriving instruction takes its object from.
fn pointer_sources(i: Value) -> Vec<Value> {
    match i.opcode() {
        Opcode::LLVMSelect => vec![i.operand(1), i.operand(2)],
        Opcode::LLVMGetElementPtr => vec![i.operand(0)],
        _ => i.operands(),
    }
}

/// An `atomicrmw` that adds a float to memory (`atomicAdd` on a GPU, an
/// OpenMP atomic update): `(value, pointer)`. Like a store, it puts active
/// data into the memory it writes.
pub fn float_accumulation(i: Value) -> Option<(Value, Value)> {
    use llvm_sys::LLVMAtomicRMWBinOp::*;
    let op = i.atomic_rmw_op()?;
    (matches!(op, LLVMAtomicRMWBinOpFAdd | LLVMAtomicRMWBinOpFSub) && i.ty().is_fp_like())
        .then(|| (i.operand(1), i.operand(0)))
}

impl Activity {
    /// Analyzes `function` under `seeds` with the by-value call policy.
    /// `inactive_call` says whether a call instruction is known to propagate
    /// no derivative (printf, rand, a user-annotated function...).
    pub fn analyze(
        function: Value,
        seeds: &Seeds,
        inactive_call: &dyn Fn(Value) -> bool,
    ) -> Activity {
        Activity::analyze_with(function, seeds, &Context::new(inactive_call))
    }

    /// Analyzes `function` under `seeds` in `ctx` (call policy, summaries,
    /// type facts).
    pub fn analyze_with(function: Value, seeds: &Seeds, ctx: &Context) -> Activity {
        let mut a = Activity {
            context_globals: seeds.context_globals,
            seeded_globals: seeds.shadow_globals.clone(),
            ..Activity::default()
        };
        a.shadowed.extend(seeds.shadow_globals.iter().copied());
        for (i, p) in function.params().iter().enumerate() {
            if seeds.active_args.get(i).copied().unwrap_or(false) && type_can_be_active(p.ty()) {
                a.varied.insert(*p);
            }
            if seeds.shadow_args.get(i).copied().unwrap_or(false) && p.ty().is_pointer() {
                a.shadowed.insert(*p);
            }
        }
        let insts = function.instructions();
        // A global with a user-provided shadow (`!enzyme_shadow`), or any
        // global under `enzyme_context`, holds active data from the start,
        // whether or not the function stores into it. (Each global's
        // metadata is read once.)
        let mut globals_seen = HashSet::new();
        for &i in &insts {
            for o in i.operands() {
                if o.is_constant() && o.ty().is_pointer() {
                    for base in underlying_objects(o) {
                        if base.is_global()
                            && globals_seen.insert(base)
                            && (base.user_shadow().is_some()
                                || (seeds.context_globals && crate::context_global(base)))
                        {
                            a.shadowed.insert(base);
                        }
                    }
                }
            }
        }
        // A pointer result whose shadow the caller asks for: the memory the
        // function allocates and returns gets a shadow.
        if seeds.active_return {
            for &i in &insts {
                if i.opcode() != Opcode::LLVMRet
                    || i.num_operands() != 1
                    || !i.operand(0).ty().is_pointer()
                {
                    continue;
                }
                for base in underlying_objects(i.operand(0)) {
                    if allocation_kind(base).is_some() || crate::returns_fresh_memory(base) {
                        a.shadowed.insert(base);
                    }
                }
            }
        }
        loop {
            let before = (a.varied.len(), a.shadowed.len());
            a.propagate_shadows(&insts, ctx);
            a.propagate_varied(&insts, ctx);
            a.demand_shadows(&insts, ctx);
            if (a.varied.len(), a.shadowed.len()) == before {
                break;
            }
        }
        a.propagate_useful(&insts, seeds, ctx);
        a.mark_active_instructions(&insts, seeds, ctx);
        a
    }

    /// Pointers derived from shadowed pointers are shadowed; so are pointers
    /// loaded from shadowed memory, pointers calls return into it, and
    /// `realloc`s of shadowed objects.
    fn propagate_shadows(&mut self, insts: &[Value], ctx: &Context) {
        for &i in insts {
            if !i.ty().is_pointer() || self.is_shadowed(i) {
                continue;
            }
            let shadowed = if is_op(i, POINTER_DERIVING) {
                pointer_sources(i).iter().any(|o| self.is_shadowed(*o))
            } else if is_op(i, &[Opcode::LLVMLoad]) {
                self.is_shadowed(i.operand(0))
            } else if allocation_kind(i) == Some(AllocKind::Realloc) {
                // The new object holds the old one's (shadowed) contents.
                self.is_shadowed(i.operand(0))
            } else if crate::context_runtime_pointer(i) {
                true
            } else if i.is_call() {
                self.call_result_varied(i, ctx)
            } else {
                false
            };
            if shadowed {
                self.shadowed.insert(i);
            }
        }
    }

    /// Whether a call's result depends on its active inputs (a float) or
    /// points into shadowed memory (a pointer).
    fn call_result_varied(&self, call: Value, ctx: &Context) -> bool {
        let shadowed_arg = || {
            call.call_args()
                .iter()
                .any(|a| a.ty().is_pointer() && self.is_shadowed(*a))
        };
        match ctx.classify(call, self) {
            CallKind::Inactive | CallKind::Alloc | CallKind::Free => false,
            // libc's memcpy/memset return their destination.
            CallKind::MemTransfer | CallKind::MemSet => {
                ctx.policy() == crate::CallPolicy::Interprocedural
                    && call.ty().is_pointer()
                    && self.is_shadowed(call.operand(0))
            }
            CallKind::Summarized(s) => s.ret_varied,
            CallKind::Known(e) => !call.ty().is_pointer() && self.reads_active(call, &e),
            CallKind::Opaque => match ctx.policy() {
                crate::CallPolicy::ByValue => {
                    !call.ty().is_pointer()
                        && call.call_args().iter().any(|o| self.varied.contains(o))
                }
                crate::CallPolicy::Interprocedural => {
                    (!call.ty().is_pointer()
                        && call.call_args().iter().any(|o| self.varied.contains(o)))
                        || shadowed_arg()
                }
            },
        }
    }

    /// Allocations that receive active data (or merge with shadowed
    /// pointers) need shadows themselves.
    fn demand_shadows(&mut self, insts: &[Value], ctx: &Context) {
        let mut want: Vec<Value> = Vec::new();
        for &i in insts {
            if !i.is_instruction() {
                continue;
            }
            match i.opcode() {
                Opcode::LLVMStore => {
                    let (v, p) = (i.operand(0), i.operand(1));
                    let active_data =
                        self.varied.contains(&v) || (v.ty().is_pointer() && self.is_shadowed(v));
                    if active_data && !self.is_shadowed(p) {
                        want.push(p);
                    }
                    // A pointer stored into shadowed memory comes back as a
                    // shadowed pointer when loaded (a row of an array of
                    // row pointers): like a phi merging it with shadowed
                    // pointers, what it points into needs a shadow.
                    if v.ty().is_pointer() && self.is_shadowed(p) && !self.is_shadowed(v) {
                        want.push(v);
                    }
                }
                Opcode::LLVMAtomicRMW => {
                    if let Some((v, p)) = float_accumulation(i) {
                        if self.varied.contains(&v) && !self.is_shadowed(p) {
                            want.push(p);
                        }
                    }
                }
                Opcode::LLVMPHI | Opcode::LLVMSelect
                    if i.ty().is_pointer() && self.is_shadowed(i) =>
                {
                    want.extend(
                        pointer_sources(i)
                            .into_iter()
                            .filter(|o| !self.is_shadowed(*o)),
                    );
                }
                _ if i.is_call() => {
                    let name = i.called_name();
                    if is_memcpy_like(&name) && i.num_call_args() >= 2 {
                        // memcpy/memmove from a shadowed to a plain pointer.
                        let (d, s) = (i.operand(0), i.operand(1));
                        if self.is_shadowed(s)
                            && !self.is_shadowed(d)
                            && !ctx.integer_only_bytes(s, i.operand(2))
                        {
                            want.push(d);
                        }
                        // A copy of a pointer from plain into shadowed memory
                        // (a -O0 move constructor's 8-byte `memcpy` of a
                        // `unique_ptr`): like a pointer stored there, it comes
                        // back as a shadowed pointer when loaded, so the
                        // source needs a shadow holding the pointer's shadow
                        // (without one, the shadow copy gets the primal
                        // pointer, and a read of the shadow object reads the
                        // primal values as derivatives).
                        if self.is_shadowed(d)
                            && !self.is_shadowed(s)
                            && ctx.copies_pointer(i.parent().parent(), s, d, i.operand(2))
                        {
                            want.push(s);
                        }
                    } else {
                        want.extend(self.pointers_receiving_active_data(i, ctx));
                    }
                }
                _ => {}
            }
        }
        let mut seen: HashSet<Value> = HashSet::new();
        while let Some(p) = want.pop() {
            if !seen.insert(p) {
                continue;
            }
            for base in underlying_objects(p) {
                if (crate::returns_fresh_memory(base) || crate::is_string_create(base))
                    && !self.is_shadowed(base)
                {
                    // Memory an allocation wrapper returns: the call returns
                    // its shadow too. (A string's character buffer from
                    // `_M_create` gets one of its own.)
                    self.shadowed.insert(base);
                } else if base.is_call()
                    && allocation_kind(base).is_none()
                    && !self.is_shadowed(base)
                {
                    // A pointer a call returns (`data()`, `derived()`, an
                    // accessor left a call): it points into memory reached
                    // through the call's pointer arguments, which need
                    // shadows so that the call can return one. (Where it
                    // does not, the call stays without a shadow and the
                    // store that needed one is an error.)
                    want.extend(
                        base.call_args()
                            .into_iter()
                            .filter(|a| a.ty().is_pointer() && !self.is_shadowed(*a)),
                    );
                } else if allocation_kind(base).is_some() {
                    self.shadowed.insert(base);
                } else if base.is_argument() && !self.is_shadowed(base) {
                    self.unshadowed_params.insert(base);
                } else if base.is_instruction()
                    && base.opcode() == Opcode::LLVMLoad
                    && !self.is_shadowed(base)
                {
                    // A pointer kept in a local variable (the slot
                    // `posix_memalign` writes, a pointer spilled to the
                    // stack): the variable needs a shadow holding the
                    // pointer's shadow.
                    for slot in underlying_objects(base.operand(0)) {
                        if matches!(
                            allocation_kind(slot),
                            Some(AllocKind::Stack | AllocKind::Heap { .. } | AllocKind::Calloc)
                        ) {
                            self.shadowed.insert(slot);
                        } else if allocation_kind(slot) == Some(AllocKind::Global)
                            && slot.address_space() == 0
                            && slot.user_shadow().is_none()
                            && crate::memory::set_before_every_read(slot, insts)
                        {
                            // A global pointer variable (`gptr = a; gptr[i] =
                            // x;`) that this function sets before each read:
                            // its shadow global holds the pointer's shadow,
                            // stored beside each store of the pointer. (One
                            // read before a store would find no shadow there:
                            // a pointer set before the call; that stays an
                            // error.)
                            self.shadowed.insert(slot);
                        } else if slot.is_argument() && !self.is_shadowed(slot) {
                            // The caller's variable, passed by address (an
                            // OpenMP region's captured pointer): it needs a
                            // shadow holding the pointer's shadow.
                            self.unshadowed_params.insert(slot);
                        } else if slot.is_instruction()
                            && slot.opcode() == Opcode::LLVMLoad
                            && !self.is_shadowed(slot)
                        {
                            // The variable is itself reached through a
                            // loaded pointer (a work array kept in a state
                            // struct kept in a stepper struct, as GSL's ODE
                            // steppers hold theirs): that pointer needs a
                            // shadow too, one level further out.
                            want.push(slot);
                        } else if slot.is_call()
                            && allocation_kind(slot).is_none()
                            && !self.is_shadowed(slot)
                        {
                            // The variable is a field of an object a call
                            // returned (`Node *top = make(n); top->f[i] =
                            // x;` with `make` kept a call): that pointer
                            // needs a shadow, as above.
                            want.push(slot);
                        }
                    }
                }
            }
        }
    }

    /// Unshadowed pointer arguments through which `call` may store active
    /// data: what a summary says, or (an opaque call under the
    /// interprocedural policy that receives anything active) all of them.
    fn pointers_receiving_active_data(&self, call: Value, ctx: &Context) -> Vec<Value> {
        let args = call.call_args();
        let unshadowed = |a: &Value| a.ty().is_pointer() && !self.is_shadowed(*a);
        match ctx.classify(call, self) {
            CallKind::Summarized(s) => args
                .into_iter()
                .zip(&s.wants_shadow)
                .filter(|(a, w)| **w && unshadowed(a))
                .map(|(a, _)| a)
                .chain(
                    s.shadowed_globals
                        .iter()
                        .copied()
                        .filter(|g| !self.is_shadowed(*g)),
                )
                .collect(),
            CallKind::Known(e) => {
                let reads_active = self.reads_active(call, &e);
                args.into_iter()
                    .zip(e)
                    .filter(|(a, e)| {
                        unshadowed(a)
                            && (*e == ArgEffect::Received
                                || (*e == ArgEffect::Written && reads_active))
                    })
                    .map(|(a, _)| a)
                    .collect()
            }
            CallKind::Opaque if ctx.policy() == crate::CallPolicy::Interprocedural => {
                let receives = args.iter().any(|a| {
                    self.varied.contains(a) || (a.ty().is_pointer() && self.is_shadowed(*a))
                });
                if receives {
                    // Outputs of math functions (the exponent of `frexp`)
                    // receive derivative-free values only.
                    let name = call.called_name();
                    args.into_iter()
                        .enumerate()
                        .filter(|(i, a)| unshadowed(a) && !crate::derivative_free_output(&name, *i))
                        .map(|(_, a)| a)
                        .collect()
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        }
    }

    fn propagate_varied(&mut self, insts: &[Value], ctx: &Context) {
        for &i in insts {
            if self.varied.contains(&i) || !type_can_be_active(i.ty()) {
                continue;
            }
            let varied = if i.opcode() == Opcode::LLVMLoad {
                self.is_shadowed(i.operand(0))
            } else if let Some((v, p)) = float_accumulation(i) {
                // The old value it returns is a read of that memory.
                self.is_shadowed(p) || self.varied.contains(&v)
            } else if i.is_call() {
                self.call_result_varied(i, ctx)
            } else {
                i.operands().iter().any(|o| self.varied.contains(o))
            };
            if varied {
                self.varied.insert(i);
            }
        }
    }

    fn propagate_useful(&mut self, insts: &[Value], seeds: &Seeds, ctx: &Context) {
        if ctx.assumes_useful() {
            let params = insts.first().map(|i| i.function_of().params());
            for v in insts.iter().copied().chain(params.into_iter().flatten()) {
                if type_can_be_active(v.ty()) {
                    self.useful.insert(v);
                }
            }
            return;
        }
        let mut work: Vec<Value> = Vec::new();
        for &i in insts {
            match i.opcode() {
                Opcode::LLVMRet if seeds.active_return && i.num_operands() == 1 => {
                    work.push(i.operand(0))
                }
                // Anything written to shadowed memory may reach an output.
                Opcode::LLVMStore if self.is_shadowed(i.operand(1)) => work.push(i.operand(0)),
                Opcode::LLVMAtomicRMW => match float_accumulation(i) {
                    Some((v, p)) if self.is_shadowed(p) => work.push(v),
                    _ => {}
                },
                Opcode::LLVMCall | Opcode::LLVMInvoke => {
                    work.extend(self.args_useful_through_memory(i, ctx))
                }
                _ => {}
            }
        }
        while let Some(v) = work.pop() {
            if !type_can_be_active(v.ty()) || !self.useful.insert(v) || !v.is_instruction() {
                continue;
            }
            if v.opcode() == Opcode::LLVMLoad {
                continue;
            }
            let ops = if v.is_call() {
                match ctx.classify(v, self) {
                    CallKind::Inactive => continue,
                    CallKind::Summarized(s) => v
                        .call_args()
                        .into_iter()
                        .zip(&s.useful_via_return)
                        .filter(|(_, u)| **u)
                        .map(|(a, _)| a)
                        .collect(),
                    _ => v.call_args(),
                }
            } else {
                v.operands()
            };
            for o in ops {
                if !self.useful.contains(&o) {
                    work.push(o);
                }
            }
        }
    }

    /// Arguments of `call` that can reach shadowed memory through the call.
    fn args_useful_through_memory(&self, call: Value, ctx: &Context) -> Vec<Value> {
        match ctx.classify(call, self) {
            CallKind::Summarized(s) => call
                .call_args()
                .into_iter()
                .zip(&s.useful_via_memory)
                .filter(|(_, u)| **u)
                .map(|(a, _)| a)
                .collect(),
            CallKind::Opaque
                if ctx.policy() == crate::CallPolicy::Interprocedural
                    && self.has_shadowed_pointer_arg(call) =>
            {
                call.call_args()
            }
            CallKind::Known(e) if self.writes_shadowed(call, &e) => call.call_args(),
            _ => Vec::new(),
        }
    }

    /// Whether a known routine reads an argument that carries a derivative
    /// (a varied float, or shadowed memory).
    fn reads_active(&self, call: Value, effects: &[ArgEffect]) -> bool {
        call.call_args().iter().zip(effects).any(|(a, e)| {
            !matches!(e, ArgEffect::Inert | ArgEffect::WrittenInert)
                && (self.varied.contains(a) || (a.ty().is_pointer() && self.is_shadowed(*a)))
        })
    }

    /// Whether a known routine writes memory that carries derivatives.
    fn writes_shadowed(&self, call: Value, effects: &[ArgEffect]) -> bool {
        call.call_args()
            .iter()
            .zip(effects)
            .any(|(a, e)| e.writes() && *e != ArgEffect::WrittenInert && self.is_shadowed(*a))
    }

    fn has_shadowed_pointer_arg(&self, call: Value) -> bool {
        call.call_args()
            .iter()
            .any(|a| a.ty().is_pointer() && self.is_shadowed(*a))
    }

    /// Marks the instructions whose own operation must be differentiated.
    fn mark_active_instructions(&mut self, insts: &[Value], seeds: &Seeds, ctx: &Context) {
        for &i in insts {
            let active = match i.opcode() {
                Opcode::LLVMStore => {
                    let (v, p) = (i.operand(0), i.operand(1));
                    // A store into shadowed memory writes the shadow too:
                    // the stored value's derivative, or zero for a constant
                    // float, or the shadow of a stored pointer.
                    self.is_shadowed(p)
                        && (v.ty().contains_float() || (v.ty().is_pointer() && self.is_shadowed(v)))
                }
                Opcode::LLVMAtomicRMW => match float_accumulation(i) {
                    Some((_, p)) => self.is_shadowed(p),
                    None => !i.ty().is_void() && self.is_active(i),
                },
                Opcode::LLVMRet => {
                    seeds.active_return && i.num_operands() == 1 && self.is_active(i.operand(0))
                }
                Opcode::LLVMCall | Opcode::LLVMInvoke => self.call_is_active(i, ctx),
                _ => !i.ty().is_void() && self.is_active(i),
            };
            if active {
                self.active_insts.insert(i);
            }
        }
    }

    fn call_is_active(&self, call: Value, ctx: &Context) -> bool {
        let shadowed = |v: Value| self.is_shadowed(v);
        match ctx.classify(call, self) {
            CallKind::Inactive | CallKind::Alloc | CallKind::Free => false,
            CallKind::MemTransfer => {
                let (d, s) = (call.operand(0), call.operand(1));
                let len = call.operand(2);
                (shadowed(d) || shadowed(s))
                    && !(ctx.integer_only_bytes(d, len) || ctx.integer_only_bytes(s, len))
            }
            CallKind::MemSet => {
                let d = call.operand(0);
                shadowed(d) && !ctx.integer_only_bytes(d, call.operand(2))
            }
            CallKind::Summarized(s) => self.is_active(call) || s.active_inside,
            CallKind::Known(e) => self.is_active(call) || self.writes_shadowed(call, &e),
            CallKind::Opaque => {
                self.is_active(call)
                    || self.has_shadowed_pointer_arg(call)
                    || call.call_args().iter().any(|a| self.is_active(*a))
            }
        }
    }

    /// Transfers every fact about `old` to `new` (a generator replaced one
    /// value by another computing the same thing).
    pub fn rename(&mut self, old: Value, new: Value) {
        for set in [
            &mut self.varied,
            &mut self.useful,
            &mut self.shadowed,
            &mut self.active_insts,
        ] {
            if set.remove(&old) {
                set.insert(new);
            }
        }
    }

    /// Depends on an active input.
    pub fn is_varied(&self, v: Value) -> bool {
        self.varied.contains(&v)
    }

    /// Can influence an active output.
    pub fn is_useful(&self, v: Value) -> bool {
        self.useful.contains(&v)
    }

    /// Carries a derivative: varied and useful.
    pub fn is_active(&self, v: Value) -> bool {
        self.varied.contains(&v) && self.useful.contains(&v)
    }

    /// A pointer that needs a shadow pointer.
    /// Whether the analysis ran under [`Seeds::context_globals`]: the
    /// shadowed globals then take their shadows from the context.
    pub fn context_globals(&self) -> bool {
        self.context_globals
    }

    /// Whether `g` is one of [`Seeds::shadow_globals`]: its shadow is the
    /// caller's, holding what the caller put there (never cleared here).
    pub fn is_seeded_global(&self, g: Value) -> bool {
        self.seeded_globals.contains(&g)
    }

    /// The shadowed globals (used here, or only by callees), sorted by name.
    pub fn shadowed_globals(&self) -> Vec<Value> {
        let mut gs: Vec<Value> = self
            .shadowed
            .iter()
            .copied()
            .filter(|g| g.is_global() && allocation_kind(*g) == Some(AllocKind::Global))
            .collect();
        gs.sort_by_key(|g| g.name());
        gs
    }

    pub fn is_shadowed(&self, v: Value) -> bool {
        if self.shadowed.contains(&v) {
            return true;
        }
        // A constant address inside a shadowed global (`getelementptr @g, ...`).
        v.is_constant_expr()
            && matches!(
                v.opcode(),
                Opcode::LLVMGetElementPtr | Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast
            )
            && self.is_shadowed(v.operand(0))
    }

    /// Whether the instruction's own operation must be differentiated
    /// (Enzyme's "not a constant instruction"): it propagates a derivative
    /// from its operands to its result, or reads or writes shadow memory
    /// (an active load; any float store into shadowed memory, a constant one
    /// included, since the shadow must be overwritten; a `memcpy`/`memset`
    /// touching shadowed memory; a call doing derivative work), or returns
    /// the active result. Computing a shadow *pointer* (a GEP of a shadowed
    /// pointer, an allocation that gets a shadow) is not derivative work:
    /// such instructions are constant instructions with a shadowed value.
    pub fn is_active_instruction(&self, inst: Value) -> bool {
        self.active_insts.contains(&inst)
    }

    /// Whether any instruction does derivative work.
    pub fn has_active_instructions(&self) -> bool {
        !self.active_insts.is_empty()
    }

    /// Whether active data is stored through the parameter `p` although it
    /// has no shadow (a caller must pass one for the derivative to be right).
    pub fn wants_shadow_for(&self, p: Value) -> bool {
        self.unshadowed_params.contains(&p)
    }

    /// The value's activity: shadowed pointers first, then active values.
    pub fn value_activity(&self, v: Value) -> ValueActivity {
        if self.is_shadowed(v) {
            ValueActivity::Shadowed
        } else if self.is_active(v) {
            ValueActivity::Active
        } else {
            ValueActivity::Const
        }
    }

    /// Printer notation for one value.
    pub fn label(&self, v: Value) -> &'static str {
        if self.is_shadowed(v) {
            return "shadowed";
        }
        match (self.is_varied(v), self.is_useful(v)) {
            (true, true) => "active",
            (true, false) => "const (varied, not useful)",
            (false, true) => "const (useful, not varied)",
            (false, false) => "const",
        }
    }
}
