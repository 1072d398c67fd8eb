//! Shadow pointers: for every pointer the activity analysis marks as
//! shadowed, a pointer of the same shape into derivative memory.
//!
//! Role: walk the primal blocks in order and emit, right after each
//! shadowed pointer's definition, its shadow: duplicated arguments map to
//! their shadow parameters, `alloca`/`malloc`/`calloc` get zeroed shadow
//! allocations, GEPs and casts are replayed on the shadow base, phis and
//! selects choose among shadows, and a pointer loaded from memory has its
//! shadow loaded from the shadow memory. Pointers stored into shadowed
//! memory have their shadows stored alongside, so pointer-linked structures
//! (lists, arrays of pointers) keep a shadow structure of the same shape.
//!
//! Used by both generators; what each does with float data in memory is
//! theirs (reverse accumulates adjoints, forward carries tangents).

use crate::error::{Error, Result};
use crate::reverse::tape::declare;
use ferment_activity_analysis::{allocation_kind, is_string_create, Activity, AllocKind};
use ferment_ir::{Builder, Module, Opcode, Type, Value};
use ferment_type_analysis::BaseType;
use hashbrown::{HashMap, HashSet};

pub struct Shadows {
    map: HashMap<Value, Value>,
    /// Heap allocations made for shadows, with their primal allocation.
    pub heap: Vec<(Value, Value)>,
    /// Calls replaced by the call hook: (old call, new primal value).
    pub renamed: Vec<(Value, Value)>,
    /// The calls the hook replaced, out of their blocks and freed only when
    /// these shadows are dropped, at the end of the derivative
    /// ([`crate::shim::Detached`]): handles to them stay keys meanwhile
    /// (`renamed` for the activity facts, `own_args`, the call sites'
    /// originals), and an instruction made later at a freed one's address
    /// would inherit their facts.
    detached: crate::shim::Detached,
    /// `realloc`s: (call, old shadow, bytes carried over).
    pub reallocs: Vec<(Value, Value, Value)>,
    /// Pointers that may point into memory without a shadow: a phi or
    /// select merging shadowed pointers with pointers into constant memory
    /// (an `enzyme_const` argument, a constant table), and what is derived
    /// from them. Their "shadow" is the primal pointer itself wherever it
    /// points into constant memory, so derivative memory is accessed through
    /// them only where the shadow differs from the primal pointer, and they
    /// may only be read through (see [`check_mixed`]). In the order found,
    /// so that which error is reported does not depend on hashing.
    mixed: OrderedSet,
    /// The pointers without a shadow that stand for their own shadow in a
    /// mixed pointer (phi and select inputs, pointers stored into shadowed
    /// memory).
    own_shadows: Vec<Value>,
    /// Phis and selects merging a pointer loaded from memory this function
    /// did not allocate (an argument's, a global's: a caller may have stored
    /// a pointer to constant data there as its own shadow, e.g. an
    /// `enzyme_const` array captured by an OpenMP region or passed through a
    /// pointer to a callee) with other pointers, and what is derived from
    /// them. Accessed like mixed pointers (derivative memory only where the
    /// shadow differs from the pointer), but not restricted to reads: where
    /// every input has a shadow of its own, nothing changes.
    maybe_own: OrderedSet,
    /// The members of `maybe_own` that are pointers loaded from memory a
    /// caller may have filled with pointers standing for their own shadows
    /// (a parameter flagged in `DerivativeKey::own_shadow_args`), and what
    /// is derived from them: only loads and stores may go through them
    /// (see [`check_own_loaded`]).
    own_loaded: OrderedSet,
    /// This function's stack objects into which a member of `own_loaded`
    /// may be stored (see [`own_locals`]): what is loaded back from them is
    /// in `own_loaded` too.
    own_locals: HashSet<Value>,
    /// Calls differentiated on their own that receive pointers which may
    /// stand for their own shadows, or memory holding such pointers: per
    /// call (and per call of a derivative replacing one), the bits of each
    /// argument (`DerivativeKey::own_shadow_args` of the callee's
    /// derivative).
    own_args: HashMap<Value, Vec<u8>>,
    /// Stores of integers into memory type analysis knows holds integers
    /// there, repeated on the shadow memory ([`mirrors_integer_store`]):
    /// the shadow keeps them (neither mode zeroes them as constants).
    pub integer_mirrors: HashSet<Value>,
    /// Forward mode: a pointer into a constant global without a shadow
    /// that meets pointers with shadows (a merge, a store into shadowed
    /// memory) gets the same address in a zero twin of the global
    /// ([`zero_twin_shadow`]) instead of standing for its own shadow.
    forward_mode: bool,
}

/// A set of values that iterates in insertion order.
#[derive(Default)]
struct OrderedSet {
    members: HashSet<Value>,
    order: Vec<Value>,
}

impl OrderedSet {
    fn insert(&mut self, v: Value) -> bool {
        let new = self.members.insert(v);
        if new {
            self.order.push(v);
        }
        new
    }
    fn contains(&self, v: &Value) -> bool {
        self.members.contains(v)
    }
    fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// What the call hook puts in place of a call.
pub struct Substitute {
    /// The new primal value (None for void calls).
    pub replacement: Option<Value>,
    /// Its shadow, for a returned pointer.
    pub shadow: Option<Value>,
    /// The call of the derivative that takes the call's arguments, where the
    /// key passed `DerivativeKey::own_shadow_args` on.
    pub call: Option<Value>,
}

/// `DerivativeKey::own_shadow_args`: the memory the argument points to may
/// hold pointers standing for their own shadows.
pub const OWN_BEHIND: u8 = 1;
/// `DerivativeKey::own_shadow_args`: the argument itself may stand for its
/// own shadow.
pub const OWN_ITSELF: u8 = 2;

/// Called for each call instruction; may replace it (reverse mode
/// augments calls to differentiated functions).
pub type CallHook<'a> = &'a mut dyn FnMut(Value, &Shadows, &Builder) -> Result<Option<Substitute>>;

impl Shadows {
    pub fn get(&self, p: Value) -> Option<Value> {
        self.map.get(&p).copied()
    }

    /// Detaches `inst`, replaced or dropped by the caller, and frees it with
    /// these shadows (see `detached`).
    pub fn keep_detached(&mut self, inst: Value) {
        self.detached.keep(inst);
    }

    /// Whether `p` may point into memory without a shadow, its shadow then
    /// being `p` itself (see `mixed`).
    pub fn is_mixed(&self, p: Value) -> bool {
        self.mixed.contains(&p)
    }

    /// Whether the shadow of `p` may be `p` itself at run time: a mixed
    /// pointer, or one of `maybe_own`. Loads and stores through it touch
    /// derivative memory only where the shadow differs from `p`.
    pub fn may_be_own(&self, p: Value) -> bool {
        self.mixed.contains(&p) || self.maybe_own.contains(&p)
    }

    /// For `call`, differentiated on its own: per argument, whether the
    /// memory it points to may hold pointers standing for their own
    /// shadows (empty when none may).
    pub fn own_shadow_args(&self, call: Value) -> Vec<u8> {
        self.own_args.get(&call).cloned().unwrap_or_default()
    }

    /// Whether `call` passes `v` as an argument its derivative knows may
    /// stand for its own shadow (`OWN_ITSELF`), at every place it does.
    fn passes_as_own(&self, call: Value, v: Value) -> bool {
        let Some(flags) = self.own_args.get(&call) else {
            return false;
        };
        let args = call.call_args();
        args.contains(&v)
            && args
                .iter()
                .enumerate()
                .filter(|(_, a)| **a == v)
                .all(|(k, _)| flags.get(k).is_some_and(|f| f & OWN_ITSELF != 0))
    }

    /// The shadow of `p`, or null/undef for constant pointers.
    /// The derivative memory at address `p`, for a copy or a pointer store
    /// through it: as `of` (constant addresses inside a shadowed global
    /// included), but None where `p` has none of its own (null, undef, an
    /// address computed from null or from an integer, which `of` makes their
    /// own shadows).
    pub fn of_memory(&self, b: &Builder, p: Value) -> Option<Value> {
        if let Some(s) = self.map.get(&p) {
            return Some(*s);
        }
        let sh = self.of(b, p)?;
        let null = sh.is_constant() && unsafe { llvm_sys::core::LLVMIsNull(sh.0) != 0 };
        (sh != p && !null).then_some(sh)
    }

    pub fn of(&self, b: &Builder, p: Value) -> Option<Value> {
        if let Some(s) = self.map.get(&p) {
            return Some(*s);
        }
        if p.is_constant() && (p.is_undef() || unsafe { llvm_sys::core::LLVMIsNull(p.0) != 0 }) {
            return Some(b.zero(p.ty()));
        }
        // A pointer computed from null (`getelementptr i8, ptr null, %n`,
        // the end of an empty vector's storage after folding) points into
        // no object: like null, it is its own shadow.
        if null_based(p) {
            return Some(p);
        }
        // A constant integer as a pointer (MPI's `MPI_IN_PLACE` is
        // `(void *) 1`) points into no object either.
        if p.is_constant_expr()
            && p.opcode() == Opcode::LLVMIntToPtr
            && p.operand(0).const_int().is_some()
        {
            return Some(p);
        }
        // A constant address inside a shadowed global: the same address
        // inside its shadow.
        if p.is_constant_expr() {
            let base = self.of(b, p.operand(0))?;
            return Some(match p.opcode() {
                Opcode::LLVMGetElementPtr => const_gep_on(p, base),
                Opcode::LLVMBitCast => base,
                Opcode::LLVMAddrSpaceCast => {
                    Value(unsafe { llvm_sys::core::LLVMConstAddrSpaceCast(base.0, p.ty().0) })
                }
                _ => return None,
            });
        }
        None
    }
}

/// The constant GEP `p` with `base` in place of its pointer operand (the
/// same indices into a shadow or twin of the global `p` addresses).
fn const_gep_on(p: Value, base: Value) -> Value {
    unsafe {
        let src = llvm_sys::core::LLVMGetGEPSourceElementType(p.0);
        let mut idx: Vec<_> = p.operands()[1..].iter().map(|v| v.0).collect();
        Value(llvm_sys::core::LLVMConstGEP2(
            src,
            base.0,
            idx.as_mut_ptr(),
            idx.len() as u32,
        ))
    }
}

/// Emits at `b` the shadow of constant address `p` (GEPs and casts of a
/// global whose shadow is an instruction), recording it in `s`.
fn materialize_shadow(s: &mut Shadows, b: &Builder, p: Value) -> Option<Value> {
    if let Some(sh) = s.map.get(&p) {
        return Some(*sh);
    }
    if !p.is_constant_expr() {
        return None;
    }
    let sh = match p.opcode() {
        Opcode::LLVMGetElementPtr => {
            let base = materialize_shadow(s, b, p.operand(0))?;
            let src = Type(unsafe { llvm_sys::core::LLVMGetGEPSourceElementType(p.0) });
            b.gep(src, base, &p.operands()[1..])
        }
        Opcode::LLVMBitCast => materialize_shadow(s, b, p.operand(0))?,
        Opcode::LLVMAddrSpaceCast => {
            let base = materialize_shadow(s, b, p.operand(0))?;
            b.addrspace_cast(base, p.ty())
        }
        _ => return None,
    };
    s.map.insert(p, sh);
    Some(sh)
}

/// Whether `p` is an instruction computing an address from a null pointer
/// (through GEPs and casts).
fn null_based(p: Value) -> bool {
    let mut v = p;
    while v.is_instruction()
        && matches!(
            v.opcode(),
            Opcode::LLVMGetElementPtr | Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast
        )
    {
        v = v.operand(0);
        if v.is_constant() && !v.is_constant_expr() {
            return unsafe { llvm_sys::core::LLVMIsNull(v.0) != 0 };
        }
    }
    false
}

/// The shadow of a mutable global: an internal zero-initialized global next
/// to it, shared by every derivative in the module of one mode: the
/// adjoint `NAME.ferment.shadow` in reverse and split modes, the tangent
/// `NAME.ferment.tangent` in forward mode. Apart, because a derivative may
/// be differentiated again: forward mode over a gradient reads and writes
/// the adjoint global as primal memory while it keeps the tangent of the
/// global itself (one global for both, the tangent overwrote the adjoint:
/// forward-over-reverse gave a wrong gradient and Hessian product,
/// `clang-tests/cases/fuzz/fwd_over_rev_global.c`).
/// It is zeroed when a request starts (a reverse-mode derivative on entry, a
/// forward-mode request before its call, see [`zero_shadow_globals`]): the
/// global's value on entry is treated as a constant, while data flowing
/// through it is differentiated.
/// Lanes after the first (batched modes) get globals of their own
/// (`NAME.ferment.shadow.<lane>`, `NAME.ferment.tangent.<lane>`), and so do
/// the derivatives of a nested request (`DerivativeKey::level` L above 1:
/// `NAME.ferment.tangent.levelL`, then the lane): forward over forward with
/// kept calls, the outer derivative's tangent of `g` is not the inner one's
/// `NAME.ferment.tangent`, which it differentiates as primal memory
/// (`clang-tests/cases/fuzz/fwd_over_fwd_kept_global_noinline.c`).
fn shadow_global(module: Module, g: Value, lane: usize, level: u32, forward: bool) -> Value {
    let kind = if forward { "tangent" } else { "shadow" };
    let mut name = format!("{}.ferment.{kind}", g.name());
    if level > 1 {
        name.push_str(&format!(".level{level}"));
    }
    if lane > 0 {
        name.push_str(&format!(".{lane}"));
    }
    // A thread-local variable's shadow is per thread too.
    module.zeroed_global(&name, g.global_value_type(), |shadow| unsafe {
        let mode = llvm_sys::core::LLVMGetThreadLocalMode(g.0);
        llvm_sys::core::LLVMSetThreadLocalMode(shadow.0, mode);
    })
}

/// The user's shadow of `g` (`!enzyme_shadow !{ptr @dg}`), checked: a
/// global variable at least as large as `g`. It is used as is, like the
/// shadow of a duplicated argument: the derivative reads the global's
/// tangent or accumulates its adjoint there, and never clears it.
fn user_shadow_global(module: Module, g: Value, at: Value) -> Result<Option<Value>> {
    let Some(sg) = g.user_shadow() else {
        return Ok(None);
    };
    let hint = "attach `!enzyme_shadow !{ptr @g_shadow}` naming one global variable of the same type as @g";
    if !sg.is_global() {
        return Err(Error::at(
            at,
            format!(
                "the shadow named by `!enzyme_shadow` on global @{} is not a global variable (vector-mode shadow lists are not supported)",
                g.name()
            ),
        )
        .hint(hint));
    }
    let (need, have) = (
        module.alloc_size(g.global_value_type()),
        module.alloc_size(sg.global_value_type()),
    );
    if have < need {
        return Err(Error::at(
            at,
            format!(
                "the shadow @{} of global @{} (`!enzyme_shadow`) has {have} bytes, the global {need}",
                sg.name(),
                g.name()
            ),
        )
        .hint(hint));
    }
    Ok(Some(sg))
}

/// Builds shadows for `f`'s shadowed pointers. `params` maps each duplicated
/// parameter to its shadow parameter; `blocks` is the reverse post-order.
#[allow(clippy::too_many_arguments)]
pub fn build(
    module: Module,
    activity: &Activity,
    params: &[(Value, Value)],
    blocks: &[ferment_ir::Block],
    level: u32,
    forward_mode: bool,
    heap_stack_shadows: bool,
    hook: Option<CallHook>,
    types: Option<&ferment_type_analysis::FunctionTypes>,
    own_params: &[(Value, u8)],
) -> Result<Shadows> {
    // The instructions to visit, listed before any is added: what follows
    // an invoke goes into its normal destination, a later block.
    let listed: Vec<Vec<Value>> = blocks.iter().map(|b| b.instructions()).collect();
    let walk = Walk {
        module,
        activity,
        blocks,
        listed: &listed,
        lane: 0,
        level,
        forward_mode,
        heap_stack_shadows,
        types,
        own_params,
    };
    walk.build(params, hook)
}

/// The instructions of `blocks`, listed before any shadow is added (see
/// [`build_lane`]).
pub fn list_instructions(blocks: &[ferment_ir::Block]) -> Vec<Vec<Value>> {
    blocks.iter().map(|b| b.instructions()).collect()
}

/// [`build`] for one lane of a batched derivative, walking the instructions
/// `listed` before any lane's shadows were added (what one lane adds is
/// never visited by the next; a lane other than 0 gets shadow globals of
/// its own).
#[allow(clippy::too_many_arguments)]
pub fn build_lane(
    module: Module,
    activity: &Activity,
    params: &[(Value, Value)],
    blocks: &[ferment_ir::Block],
    listed: &[Vec<Value>],
    lane: usize,
    level: u32,
    heap_stack_shadows: bool,
    hook: Option<CallHook>,
    types: Option<&ferment_type_analysis::FunctionTypes>,
    own_params: &[(Value, u8)],
) -> Result<Shadows> {
    let walk = Walk {
        module,
        activity,
        blocks,
        listed,
        lane,
        level,
        forward_mode: false,
        heap_stack_shadows,
        types,
        own_params,
    };
    walk.build(params, hook)
}

/// Batched forward mode: one set of shadows per tangent lane (`params[k]`
/// maps each duplicated parameter to lane k's shadow parameter), each a
/// separate copy of derivative memory, built over the same primal
/// instructions (what one lane adds is never visited by the next).
pub fn build_lanes(
    module: Module,
    activity: &Activity,
    params: &[Vec<(Value, Value)>],
    blocks: &[ferment_ir::Block],
    own_params: &[(Value, u8)],
    level: u32,
) -> Result<Vec<Shadows>> {
    let listed: Vec<Vec<Value>> = blocks.iter().map(|b| b.instructions()).collect();
    let mut lanes = Vec::with_capacity(params.len());
    for (lane, p) in params.iter().enumerate() {
        let walk = Walk {
            module,
            activity,
            blocks,
            listed: &listed,
            lane,
            level,
            forward_mode: true,
            heap_stack_shadows: false,
            types: None,
            own_params,
        };
        lanes.push(walk.build(p, None)?);
    }
    Ok(lanes)
}

/// One walk over the primal instructions building one lane's shadows.
struct Walk<'a> {
    module: Module,
    activity: &'a Activity,
    blocks: &'a [ferment_ir::Block],
    listed: &'a [Vec<Value>],
    /// The tangent lane (0 unless batched): lanes other than 0 get shadow
    /// globals of their own.
    lane: usize,
    /// `DerivativeKey::level`: nested requests get shadow globals of their
    /// own.
    level: u32,
    forward_mode: bool,
    heap_stack_shadows: bool,
    types: Option<&'a ferment_type_analysis::FunctionTypes>,
    /// The parameters that may stand for their own shadows or whose memory
    /// may hold such pointers, with their bits
    /// (`DerivativeKey::own_shadow_args`).
    own_params: &'a [(Value, u8)],
}

impl Walk<'_> {
    fn build(&self, params: &[(Value, Value)], mut hook: Option<CallHook>) -> Result<Shadows> {
        let Walk {
            module,
            activity,
            blocks,
            listed,
            lane,
            level,
            forward_mode,
            heap_stack_shadows,
            types,
            own_params,
        } = *self;
        let mut s = Shadows {
            map: params.iter().copied().collect(),
            heap: Vec::new(),
            renamed: Vec::new(),
            detached: Default::default(),
            reallocs: Vec::new(),
            mixed: OrderedSet::default(),
            own_shadows: Vec::new(),
            maybe_own: OrderedSet::default(),
            own_loaded: OrderedSet::default(),
            own_locals: HashSet::new(),
            own_args: HashMap::new(),
            integer_mirrors: HashSet::new(),
            forward_mode,
        };
        // From the instructions listed before any shadow existed: shadows
        // zero themselves with `malloc_usable_size`.
        let asks_usable = listed.iter().flatten().any(|&i| asks_usable_size(i));
        let b = Builder::new(module);
        let mut phis = Vec::new();
        // Where a pointer without a shadow was stored (its shadow there is
        // the pointer itself): per object, the byte offsets of those stores,
        // or `None` for somewhere in the object.
        let layout = ferment_type_analysis::Layout::new(module);
        let mut self_shadow_memory = SelfShadowed::default();
        // Shadowed pointer arguments of calls differentiated on their own,
        // taken before the walk (which replaces those calls).
        let callee_arguments = callee_arguments(activity, &layout, listed);
        // The memory such calls receive where the callee's derivative may
        // store a pointer without a shadow (a constant argument) in place
        // of its shadow (`fill_rows(rows, c, a)`: `rows[1] = c`): pointers
        // loaded back from it here are mixed, as after a store of this
        // function's own.
        let callee_stored: Vec<Value> = callee_arguments
            .iter()
            .filter(|c| stores_own_shadow(activity, c.call, c.callee, forward_mode))
            .flat_map(|c| c.objects.iter().copied())
            .collect();
        // What the caller may have passed in place of shadows (flagged
        // parameters, and at -O0 their spills loaded back): memory that may
        // hold pointers standing for their own shadows, and such pointers.
        let flagged = |bit: u8| -> Vec<Value> {
            own_params
                .iter()
                .filter(|(_, f)| f & bit != 0)
                .map(|(p, _)| *p)
                .collect()
        };
        let mut own_objects = with_spills(&flagged(OWN_BEHIND), listed);
        let own_pointers = with_spills(&flagged(OWN_ITSELF), listed);
        s.own_locals = own_locals(activity, listed, &mut own_objects, &own_pointers);
        for p in flagged(OWN_ITSELF) {
            s.maybe_own.insert(p);
            s.own_loaded.insert(p);
        }
        s.own_args = own_shadow_args(
            activity,
            &layout,
            listed,
            &callee_arguments,
            &own_objects,
            &own_pointers,
        );
        // Forward mode: integer-only memory calls and the shadow call made
        // for each.
        let mut integer_copies: Vec<(Value, Value)> = Vec::new();
        // Forward mode: memcpys of floats and the shadow copy made for each.
        let mut float_copies: Vec<(Value, Value)> = Vec::new();
        // Forward mode: frees and the free of the shadow made for each.
        let mut shadow_frees: Vec<(Value, Value)> = Vec::new();
        // Mutable globals that hold active data get shadow globals, zeroed here.
        // (In order of first use, so the output does not depend on hashing.)
        let mut globals: Vec<(Value, Value)> = Vec::new();
        for insts in listed {
            for &inst in insts {
                for o in inst.operands() {
                    for base in ferment_activity_analysis::underlying_objects(o) {
                        if base.is_global()
                            && activity.is_shadowed(base)
                            && !s.map.contains_key(&base)
                            && !globals.iter().any(|(g, _)| *g == base)
                        {
                            globals.push((base, inst));
                        }
                    }
                }
            }
        }
        if let Some(first) = blocks.first().and_then(|b| b.first_non_phi()) {
            // Globals only callees use, whose shadows this derivative
            // shares with theirs ([`crate::kept_globals`]): cleared here
            // with the others (unless this derivative's caller owns them).
            for g in activity.shadowed_globals() {
                if g.address_space() == 0
                    && ferment_activity_analysis::carried_global(g, activity.context_globals())
                    && !globals.iter().any(|(h, _)| *h == g)
                {
                    globals.push((g, first));
                }
            }
            b.before(first);
            let mut from_context = false;
            for (g, first_use) in globals {
                if activity.context_globals() && ferment_activity_analysis::context_global(g) {
                    // `enzyme_context`: the context's shadow, as it is
                    // (the user seeds tangents and reads adjoints there).
                    let sg = crate::context::global_shadow(module, &b, g, lane, first_use)?;
                    s.map.insert(g, sg);
                    from_context = true;
                    continue;
                }
                if let Some(user) = user_shadow_global(module, g, first_use)? {
                    if lane > 0 {
                        return Err(Error::not_batched(
                        first_use,
                        format!(
                            "the global @{} with the user's shadow (`!enzyme_shadow`): one shadow cannot hold several lanes",
                            g.name()
                        ),
                    ));
                    }
                    s.map.insert(g, user);
                    continue;
                }
                let size = module.alloc_size(g.global_value_type());
                if g.address_space() == crate::gpu::SHARED_SPACE && crate::gpu::is_gpu(module) {
                    if lane > 0 {
                        return Err(Error::not_batched(
                            first_use,
                            "code using __shared__ memory",
                        ));
                    }
                    let sg = crate::gpu::shadow_shared_array(module, &b, g, blocks, first_use)?;
                    s.map.insert(g, sg);
                    continue;
                }
                let sg = shadow_global(module, g, lane, level, forward_mode);
                if is_thread_local(g) {
                    // Each thread has its own copy of the shadow (the
                    // global denotes the running thread's): a request
                    // starts a new generation, and each derivative clears
                    // the running thread's copy on entry if the thread has
                    // not cleared it in this generation ([`thread_shadow`]).
                    let (clear_stale, request) = thread_shadow(module, sg);
                    if !forward_mode && !activity.is_seeded_global(g) {
                        b.atomic_add_int(request, b.const_int(Type::int(module.context(), 64), 1));
                    }
                    b.call_fn(clear_stale, &[]);
                    s.map.insert(g, sg);
                    continue;
                }
                // Forward mode zeroes it once per request, before the call
                // (`zero_shadow_globals`): a callee's derivative clearing
                // it on entry would drop tangents its caller (or an earlier
                // activation of a recursion) stored there. In reverse mode
                // a derivative clears it on entry unless its caller shares
                // it (`DerivativeKey::globals`), holding the pointer
                // shadows the caller stored and adjoints for the caller.
                if !forward_mode && !activity.is_seeded_global(g) {
                    let size = b.const_int(Type::int(module.context(), 64), size as i64);
                    b.memset(sg, b.const_int(b.i8(), 0), size);
                }
                s.map.insert(g, sg);
            }
            if from_context {
                // Those shadows are run-time values: constant addresses
                // inside their globals get their shadows here, as
                // instructions (see `Shadows::of` for constant shadows).
                for insts in listed {
                    for &inst in insts {
                        for o in inst.operands() {
                            if o.is_constant_expr() && o.ty().is_pointer() {
                                materialize_shadow(&mut s, &b, o);
                            }
                        }
                    }
                }
            }
        }
        let ctx = module.context();
        let i64t = Type::int(ctx, 64);
        // Context run time: each `ferment.ctx.enter` with what its tangent
        // twin returned (see `context::tangent_twin`).
        let mut tangent_entries: HashMap<Value, Value> = HashMap::new();
        // Calls the hook replaced and detached: gone from `listed` for what
        // follows the walk (they have no operands and no block left).
        let mut erased: HashSet<Value> = HashSet::new();
        for (&blk, insts) in blocks.iter().zip(listed) {
            for &inst in insts {
                if inst.is_call() {
                    if let Some(h) = hook.as_mut() {
                        if let Some(sub) = h(inst, &s, &b)? {
                            // (Copied: the checks after the walk look the
                            // flags up by the listed calls, and `inst` keeps
                            // its address while these shadows live.)
                            if let Some(c) = sub.call {
                                if let Some(flags) = s.own_args.get(&inst).cloned() {
                                    s.own_args.insert(c, flags);
                                }
                            }
                            if let Some(r) = sub.replacement {
                                inst.replace_all_uses_with(r);
                                s.renamed.push((inst, r));
                                if let Some(sh) = sub.shadow {
                                    s.map.insert(r, sh);
                                }
                            }
                            erased.insert(inst);
                            s.keep_detached(inst);
                            continue;
                        }
                    }
                }
                if crate::context::is_runtime_call(inst) {
                    // Code that uses an Enzyme context (a reverse derivative
                    // called with one): the tangents (forward mode) or
                    // adjoints (reverse mode) of its shadows live in a second
                    // context.
                    if lane >= 64 {
                        return Err(Error::not_batched(
                            inst,
                            "forward mode over code that uses an Enzyme context, beyond 64 lanes",
                        ));
                    }
                    if let Some(twin) = crate::context::tangent_twin(
                        module,
                        &b,
                        inst,
                        lane,
                        &s,
                        &mut tangent_entries,
                    )? {
                        s.map.insert(inst, twin);
                    }
                    continue;
                }
                if let Some(AllocKind::OutParam { size_arg }) = allocation_kind(inst) {
                    // posix_memalign(&p, a, n): allocate the shadow object the
                    // same way into the shadow of the slot, zeroed.
                    if let Some(slot) = s.of(&b, inst.operand(0)) {
                        b.after(inst);
                        b.set_debug_loc_from(inst);
                        let mut args = inst.call_args();
                        args[0] = slot;
                        b.call(inst.called_fn_type(), inst.called_operand(), &args);
                        let sp = b.load(Type::ptr(ctx), slot);
                        let n = usable_size(module, &b, sp, inst.operand(size_arg));
                        b.memset(sp, b.const_int(b.i8(), 0), n);
                        s.heap.push((inst, sp));
                    }
                }
                if inst.is_call() && is_mirrored_structure_call(&inst.called_name()) {
                    mirror_structure_call(&b, &mut s, inst)?;
                }
                if activity.is_shadowed(inst) && !s.map.contains_key(&inst) {
                    b.after(inst);
                    b.set_debug_loc_from(inst);
                    let shadow = match inst.opcode() {
                        Opcode::LLVMPHI => {
                            b.after_phis(blk);
                            let p = b.phi(inst.ty(), "shadow");
                            phis.push((inst, p));
                            p
                        }
                        Opcode::LLVMAlloca => {
                            let elem = ferment_ir::Type(unsafe {
                                llvm_sys::core::LLVMGetAllocatedType(inst.0)
                            });
                            let count = inst.operand(0);
                            let size = b.mul_int(
                                b.int_cast(count, i64t, false),
                                b.const_int(i64t, module.alloc_size(elem) as i64),
                            );
                            let a = if heap_stack_shadows {
                                // Split shape: the shadow must outlive the
                                // augmented function; the reverse sweep frees it.
                                let ptr = Type::ptr(ctx);
                                let malloc = declare(module, "malloc", ptr, &[i64t]);
                                let m = b.call_fn(malloc, &[size]);
                                s.heap.push((inst, m));
                                m
                            } else {
                                // The primal's alignment: accesses of the shadow copy the
                                // primal's (an `align 16` load of an `align 8` slot faults once
                                // it becomes an aligned vector load).
                                let a = b.alloca_n(elem, count, "shadow");
                                b.set_alignment(a, inst.alignment());
                                a
                            };
                            b.memset(a, b.const_int(b.i8(), 0), size);
                            a
                        }
                        Opcode::LLVMGetElementPtr
                        | Opcode::LLVMBitCast
                        | Opcode::LLVMAddrSpaceCast
                        | Opcode::LLVMFreeze => {
                            let base = s
                                .of(&b, inst.operand(0))
                                .ok_or_else(|| missing(inst, inst.operand(0)))?;
                            let c = inst.clone_instruction();
                            c.set_operand(0, base);
                            b.insert(c);
                            c
                        }
                        Opcode::LLVMSelect => {
                            let t = s.of_or_self(&b, inst, inst.operand(1))?;
                            let e = s.of_or_self(&b, inst, inst.operand(2))?;
                            if loaded_from_outside(inst.operand(1))
                                || loaded_from_outside(inst.operand(2))
                            {
                                s.maybe_own.insert(inst);
                            }
                            b.select(inst.operand(0), t, e)
                        }
                        Opcode::LLVMLoad => {
                            let sp = s
                                .of(&b, inst.operand(0))
                                .ok_or_else(|| missing(inst, inst.operand(0)))?;
                            if own_pointers.contains(&inst)
                                || (!own_objects.is_empty()
                                    && ferment_activity_analysis::underlying_objects(
                                        inst.operand(0),
                                    )
                                    .iter()
                                    .any(|o| own_objects.contains(o)))
                            {
                                s.maybe_own.insert(inst);
                                s.own_loaded.insert(inst);
                            }
                            b.load_like(inst.ty(), sp, inst)
                        }
                        Opcode::LLVMCall | Opcode::LLVMInvoke => match allocation_kind(inst) {
                            Some(AllocKind::Heap { size_arg }) => {
                                // In a function that asks a block's usable size
                                // (a gradient zeroing its shadows, which forward
                                // mode over it repeats on the tangents), a
                                // `malloc` block's shadow is asked for the bytes
                                // the primal block really has, so that writes up
                                // to that size stay inside the shadow too.
                                // Elsewhere it asks for the requested size, which
                                // the derivative's analyses of the block use.
                                let c =
                                    if inst.called_function().is_some_and(|f| f.name() == "malloc")
                                        && asks_usable
                                    {
                                        let mut args = inst.call_args();
                                        args[size_arg] =
                                            usable_size(module, &b, inst, inst.operand(size_arg));
                                        b.call(inst.called_fn_type(), inst.called_operand(), &args)
                                    } else {
                                        same_call(&b, inst)
                                    };
                                let n = usable_size(module, &b, c, inst.operand(size_arg));
                                b.memset(c, b.const_int(b.i8(), 0), n);
                                s.heap.push((inst, c));
                                c
                            }
                            Some(AllocKind::Calloc) => {
                                let c = same_call(&b, inst);
                                s.heap.push((inst, c));
                                c
                            }
                            // A string's character buffer (`_M_create`,
                            // which leaves the capacity in its second
                            // argument): a zeroed block of its own from
                            // `operator new`, as the string frees it with
                            // `operator delete`. Not freed with the
                            // allocation's reverse: where the primal block
                            // is freed, so is this one
                            // ([`mirror_string_free`]); else it belongs to
                            // the shadow string holding it, as the primal
                            // block to the primal string.
                            None if is_string_create(inst) => {
                                let ptr = Type::ptr(ctx);
                                let cap = b.load(i64t, inst.operand(1));
                                let n = b.add_int(cap, b.const_int(i64t, 1));
                                let new = declare(module, "_Znwm", ptr, &[i64t]);
                                let c = b.call_fn(new, &[n]);
                                b.memset(c, b.const_int(b.i8(), 0), n);
                                c
                            }
                            Some(AllocKind::Realloc) if forward_mode => {
                                // Tangents need no history: grow the shadow in
                                // place and zero what is new.
                                let old = s
                                    .of(&b, inst.operand(0))
                                    .unwrap_or_else(|| b.zero(inst.ty()));
                                let n = b.int_cast(inst.operand(1), i64t, false);
                                let ptr = Type::ptr(ctx);
                                let realloc = declare(module, "realloc", ptr, &[ptr, i64t]);
                                let old_size = usable_size(module, &b, old, b.const_int(i64t, 0));
                                let c = b.call_fn(realloc, &[old, n]);
                                let new_size = usable_size(module, &b, c, n);
                                let grew = b.icmp(
                                    ferment_ir::IntPredicate::LLVMIntUGT,
                                    new_size,
                                    old_size,
                                );
                                let tail = b.select(
                                    grew,
                                    b.sub_int(new_size, old_size),
                                    b.const_int(i64t, 0),
                                );
                                let at = b.select(grew, old_size, b.const_int(i64t, 0));
                                let dst = b.gep(b.i8(), c, &[at]);
                                b.memset(dst, b.const_int(b.i8(), 0), tail);
                                c
                            }
                            Some(AllocKind::Realloc) => {
                                // A fresh zeroed shadow holding the old shadow's
                                // contents; the old shadow stays alive for the
                                // reverse sweep (which moves adjoints back).
                                let old = s
                                    .of(&b, inst.operand(0))
                                    .unwrap_or_else(|| b.zero(inst.ty()));
                                let n = b.int_cast(inst.operand(1), i64t, false);
                                let ptr = Type::ptr(ctx);
                                let malloc = declare(module, "malloc", ptr, &[i64t]);
                                let usable = declare(module, "malloc_usable_size", i64t, &[ptr]);
                                let c = b.call_fn(malloc, &[n]);
                                let full = usable_size(module, &b, c, n);
                                b.memset(c, b.const_int(b.i8(), 0), full);
                                let old_size = b.call_fn(usable, &[old]);
                                let lt = b.icmp(ferment_ir::IntPredicate::LLVMIntULT, old_size, n);
                                let keep = b.select(lt, old_size, n);
                                b.memmove(c, old, keep);
                                s.heap.push((inst, c));
                                s.reallocs.push((inst, old, keep));
                                c
                            }
                            _ => return Err(unsupported(inst)),
                        },
                        _ => return Err(unsupported(inst)),
                    };
                    s.map.insert(inst, shadow);
                }
                // A pointer stored into shadowed memory: store its shadow too.
                // A pointer without one (into constant memory) stands for its
                // own shadow; pointers loaded back from that memory are mixed.
                // The address may be a constant expression (a field of a
                // global: `gh[1].p = p`), as for loads.
                if inst.opcode() == Opcode::LLVMStore && inst.operand(0).ty().is_pointer() {
                    let (v, p) = (inst.operand(0), inst.operand(1));
                    if let Some(sp) = s.of_memory(&b, p) {
                        let moves_string = moves_string_buffer(inst);
                        let size = moves_string.then(|| string_block_size(&b, v));
                        b.after(inst);
                        let size = size.unwrap_or_else(|| b.zero(i64t));
                        let sv = match s.of(&b, v) {
                            // A string's data pointer moved into another
                            // string's: where its shadow is stale (the
                            // library grew only the primal string), the
                            // shadow string gets a block of its own
                            // ([`own_string_block`]).
                            Some(sv) if moves_string => {
                                own_string_block(module, &b, &s, inst, sp, size, Some(sv))
                            }
                            Some(sv) => sv,
                            // Code: a function (a callback, a
                            // `std::function`'s invoker or manager) or a
                            // C++ virtual table (constant function
                            // pointers) has no derivative memory: it is its
                            // own shadow, and calls through it dispatch on
                            // the primal pointer (`dispatch.rs`).
                            None if points_to_code(v) => v,
                            // A string's data pointer without a shadow (set
                            // by a library call only the primal string saw,
                            // `"x" + std::to_string(i)`'s `_M_replace`)
                            // moved into another string's data pointer: the
                            // shadow string gets a copy of the characters
                            // of its own ([`own_string_block`]); the same
                            // block in both strings was freed twice.
                            None if moves_string => {
                                own_string_block(module, &b, &s, inst, sp, size, None)
                            }
                            // Forward mode: constant data's tangent is
                            // zero (see `zero_twin_shadow`).
                            None => match forward_mode.then(|| zero_twin_shadow(&b, v)).flatten() {
                                Some(z) => z,
                                None => {
                                    self_shadow_memory.record(&layout, p);
                                    s.own_shadows.push(v);
                                    warn_constant_pointer_escapes(module, inst);
                                    v
                                }
                            },
                        };
                        b.store_like(sv, sp, inst);
                    }
                }
                if mirrors_integer_store(module, types, inst) {
                    if let Some(sp) = s.of_memory(&b, inst.operand(1)) {
                        b.after(inst);
                        b.store_like(inst.operand(0), sp, inst);
                        s.integer_mirrors.insert(inst);
                    }
                }
                if forward_mode {
                    let next = inst.next_instruction();
                    let integer_only = integer_only_memory_call(module, types, inst);
                    let copy = forward_memory_call(&b, &s, inst, integer_only)?;
                    let made = inst.next_instruction();
                    if let Some(copy) = copy {
                        if integer_only {
                            integer_copies.push((inst, copy));
                        } else if is_memcpy(&inst.called_name()) {
                            float_copies.push((inst, copy));
                        }
                    }
                    if made != next && is_free(&inst.called_name()) {
                        shadow_frees.extend(made.map(|m| (inst, m)));
                    }
                } else if let Some(types) = types {
                    reverse_mode_copy_pointers(module, &b, &s, types, inst);
                    if integer_only_memory_call(module, Some(types), inst) {
                        mirror_integer_memory_call(&b, &s, inst);
                    }
                    mirror_string_free(&b, &s, inst);
                }
            }
        }
        let live: Vec<Vec<Value>>;
        let listed: &[Vec<Value>] = if erased.is_empty() {
            listed
        } else {
            live = listed
                .iter()
                .map(|insts| {
                    insts
                        .iter()
                        .copied()
                        .filter(|i| !erased.contains(i))
                        .collect()
                })
                .collect();
            &live
        };
        for (phi, sp) in phis {
            for (v, blk) in phi.incoming() {
                let sv = s.of_or_self(&b, phi, v)?;
                if phi.ty().is_pointer() && loaded_from_outside(v) {
                    s.maybe_own.insert(phi);
                }
                sp.add_incoming(sv, blk);
            }
        }
        if !self_shadow_memory.is_empty() || !callee_stored.is_empty() {
            self_shadow_memory.follow_copies(&layout, listed);
            // A call differentiated on its own (a callee left a call, as
            // at -O0 past the inlining budget) that receives such memory
            // would load the pointer and its "shadow", the same pointer,
            // and read or accumulate derivatives in the constant data
            // itself: a silently wrong derivative. Only this function's
            // own loads compare a pointer with its shadow (see `mixed`).
            for c in &callee_arguments {
                if s.own_args
                    .get(&c.call)
                    .is_none_or(|f| f[c.index] & OWN_BEHIND == 0)
                    && c.objects
                        .iter()
                        .any(|o| self_shadow_memory.fields.contains_key(o))
                    && reads_floats_behind(c.callee, c.index, 0)
                {
                    return Err(c.error.clone());
                }
            }
            if !callee_stored.is_empty() {
                for o in &callee_stored {
                    self_shadow_memory.fields.insert(*o, None);
                }
                self_shadow_memory.follow_copies(&layout, listed);
            }
            for insts in listed {
                for &inst in insts {
                    if inst.opcode() == Opcode::LLVMLoad
                        && inst.ty().is_pointer()
                        && s.map.contains_key(&inst)
                        && self_shadow_memory.may_load(&layout, inst.operand(0))
                    {
                        // A load of what stores on every path to it wrote
                        // (at -O0, `gptr = a; gptr[0] = x;` through a global
                        // that holds a constant array elsewhere) is one of
                        // those pointers, mixed only if one of them is.
                        let unmixed = stored_before(inst).is_some_and(|vs| {
                            vs.iter().all(|v| {
                                s.map.contains_key(v)
                                    && !s.own_shadows.contains(v)
                                    && !s.may_be_own(*v)
                            })
                        });
                        if !unmixed {
                            s.mixed.insert(inst);
                        }
                    }
                }
            }
        }
        check_mixed(module, types, &layout, listed, &mut s)?;
        derive_maybe_own(&mut s);
        check_own_loaded(module, types, &s)?;
        // Floats copied out of memory that may be constant data standing
        // for its own shadow (`float_copy_from`): where the source's shadow
        // is the source itself, the copy's tangent is zero, not the
        // constant values the shadow copy just brought over.
        for (inst, made) in float_copies {
            let args = inst.call_args();
            if !s.may_be_own(args[1]) || shadow_from_caller(args[1]) {
                continue;
            }
            let (Some(sd), Some(ss)) = (s.get(args[0]), s.get(args[1])) else {
                continue;
            };
            b.after(made);
            let mut own = b.icmp(ferment_ir::IntPredicate::LLVMIntEQ, ss, args[1]);
            if shadow_from_caller(args[0]) {
                // (a destination that is its own shadow keeps the primal copy)
                let apart = b.icmp(ferment_ir::IntPredicate::LLVMIntNE, sd, args[0]);
                own = b.and_int(own, apart);
            }
            let n = args[2];
            let bytes = b.select(own, n, b.zero(n.ty()));
            b.memset(sd, b.const_int(b.i8(), 0), bytes);
        }
        // Integers copied or set through a pointer that may have no shadow
        // (its shadow then being the memory itself): the shadow copy would
        // overwrite primal data, and integers carry no derivative.
        for (inst, made) in integer_copies {
            if s.is_mixed(inst.call_args()[0]) {
                s.keep_detached(made);
            }
        }
        // A free frees the shadow only where that is not the memory itself
        // (a string's heap buffer, which has none, reached through a mixed
        // pointer here or in a caller, which stored it in shadow memory).
        // free(NULL) and operator delete(nullptr) do nothing; a user's
        // deallocator is not known to accept null.
        for (inst, made) in shadow_frees {
            let name = inst.called_name();
            let at = ferment_activity_analysis::freed_pointer_argument(&name);
            let p = inst.call_args()[at];
            if !name.starts_with(ferment_activity_analysis::FREE_LIKE_PREFIX) {
                let sp = made.call_args()[at];
                b.before(made);
                let own = b.icmp(ferment_ir::IntPredicate::LLVMIntEQ, sp, p);
                made.set_operand(at, b.select(own, b.zero(sp.ty()), sp));
            }
        }
        Ok(s)
    }
}

/// The values `load` may read when stores on every path to it wrote them
/// ([`ferment_activity_analysis::stored_before`]; calls in between may be
/// libm functions with a derivative rule and no pointer argument, which
/// write errno at most, or, for a global variable whose address is never
/// taken, calls that do not use it, `keeps_global`).
fn stored_before(load: Value) -> Option<Vec<Value>> {
    let at = load.operand(0);
    ferment_activity_analysis::stored_before(load, &|c| {
        if c.opcode() == Opcode::LLVMStore {
            return ferment_activity_analysis::keeps_global(c, at);
        }
        let name = c.called_name();
        c.call_accesses_no_memory()
            || (crate::rules::call_rule(&name).is_some()
                && c.call_args().iter().all(|a| !a.ty().is_pointer()))
            || ferment_activity_analysis::keeps_global(c, at)
    })
}

/// The places in memory where a pointer without a shadow was stored in
/// place of its shadow. Tracked per field: a struct that holds both a
/// pointer to constant data (GSL's stepper holds its constant type
/// descriptor) and a pointer to active data (the stepper's work arrays)
/// must not make the second one mixed when it is loaded back.
#[derive(Default)]
struct SelfShadowed {
    /// Per object, the offsets of the stores (`None`: an unknown offset).
    fields: HashMap<Value, Option<Vec<i64>>>,
}

/// Bytes of a stored pointer (address space 0).
const POINTER_BYTES: i64 = 8;

impl SelfShadowed {
    fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Records a store of a shadowless pointer at `p`.
    fn record(&mut self, layout: &ferment_type_analysis::Layout, p: Value) {
        for (o, offset) in object_offsets(layout, p) {
            let entry = self.fields.entry(o).or_insert_with(|| Some(Vec::new()));
            match (entry.as_mut(), offset) {
                (Some(offsets), Some(at)) => offsets.push(at),
                _ => *entry = None,
            }
        }
    }

    /// Extends the record through `memcpy`/`memmove` (a struct holding a
    /// recorded pointer copied whole: Eigen's `Block` of a `Map` over a
    /// constant argument copies the `Map`): the copy's fields hold the same
    /// pointers, at the same distance from where the copy starts.
    fn follow_copies(&mut self, layout: &ferment_type_analysis::Layout, listed: &[Vec<Value>]) {
        let copies: Vec<Value> = listed
            .iter()
            .flatten()
            .copied()
            .filter(|i| {
                i.is_call()
                    && i.num_call_args() >= 3
                    && i.called_function()
                        .is_some_and(|f| ferment_activity_analysis::is_memcpy_like(&f.name()))
            })
            .collect();
        // Each round follows one more copy of a copy; the record only grows.
        for _ in 0..=copies.len() {
            let mut changed = false;
            for &c in &copies {
                let len = c.operand(2).const_int();
                let dsts = object_offsets(layout, c.operand(0));
                for (o, src_at) in object_offsets(layout, c.operand(1)) {
                    let Some(fields) = self.fields.get(&o).cloned() else {
                        continue;
                    };
                    // The recorded fields' offsets from the copy's start
                    // (`None`: any).
                    let moved: Option<Vec<i64>> = match (fields, src_at, len) {
                        (Some(fields), Some(at), Some(len)) => Some(
                            fields
                                .iter()
                                .filter(|&&f| f + POINTER_BYTES > at && f < at + len)
                                .map(|&f| f - at)
                                .collect(),
                        ),
                        _ => None,
                    };
                    if moved.as_ref().is_some_and(|m| m.is_empty()) {
                        continue;
                    }
                    for &(d, dst_at) in &dsts {
                        let entry = self.fields.entry(d).or_insert_with(|| Some(Vec::new()));
                        match (entry.as_mut(), &moved, dst_at) {
                            (None, _, _) => {}
                            (Some(offsets), Some(moved), Some(at)) => {
                                for m in moved {
                                    if !offsets.contains(&(m + at)) {
                                        offsets.push(m + at);
                                        changed = true;
                                    }
                                }
                            }
                            _ => {
                                *entry = None;
                                changed = true;
                            }
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Whether a pointer loaded from `p` may be one of the recorded ones.
    fn may_load(&self, layout: &ferment_type_analysis::Layout, p: Value) -> bool {
        object_offsets(layout, p).into_iter().any(|(o, offset)| {
            match (self.fields.get(&o), offset) {
                (None, _) => false,
                (Some(None), _) | (_, None) => true,
                (Some(Some(offsets)), Some(offset)) => offsets
                    .iter()
                    .any(|&at| at < offset + POINTER_BYTES && offset < at + POINTER_BYTES),
            }
        })
    }
}

/// Whether the derivative of `callee`, differentiated on its own for
/// `call`, may store a pointer argument without a shadow into memory in
/// place of its shadow: an argument with none (no zero twin in forward
/// mode, see `forward::forward_call`) that the callee stores
/// ([`param_escapes`]).
fn stores_own_shadow(activity: &Activity, call: Value, callee: Value, forward_mode: bool) -> bool {
    call.call_args().into_iter().enumerate().any(|(j, a)| {
        a.ty().is_pointer()
            && !activity.is_shadowed(a)
            && !a.is_null_constant()
            && !a.is_undef()
            && !points_to_code(a)
            && (!forward_mode || !has_zero_twin(a))
            && !crate::derive::is_frame_storage(call, j)
            && may_be_outside_data(a)
            && param_escapes(callee, j)
    })
}

/// Whether `a` may point into memory with floating-point data that is
/// neither this function's own stack or heap block nor a mutable global: a
/// constant table or what the caller passed. Those are the shadowless
/// pointers that can stand for their own shadow and have values read or
/// adjoints added through them; a fresh block or global without a shadow
/// holds no active data (activity analysis shadows any that could), and a
/// constant without floats (C++ at -O0: `&names[i]` of a table of C
/// strings, kept by a `std::unordered_map` insertion) has nothing to read
/// or add.
fn may_be_outside_data(a: Value) -> bool {
    let objects = ferment_activity_analysis::underlying_objects(a);
    objects.is_empty()
        || objects.iter().any(|&o| {
            ferment_activity_analysis::allocation_kind(o).is_none()
                && !constant_without_floats(o, 4)
        })
}

/// Whether `c` is a constant global, or a constant made of such globals,
/// functions, integers and nulls, with no floating-point data in it or in
/// the constant globals it points to (`depth` levels deep).
fn constant_without_floats(c: Value, depth: u32) -> bool {
    if c.is_function() || c.is_null_constant() || c.is_undef() {
        return true;
    }
    if c.is_global() {
        let constant = unsafe { llvm_sys::core::LLVMIsGlobalConstant(c.0) } != 0;
        let ty = c.global_value_type();
        return constant
            && !ty.contains_float()
            && (!ty.contains_pointer()
                || depth > 0
                    && c.global_initializer()
                        .is_some_and(|init| constant_without_floats(init, depth - 1)));
    }
    if !c.is_constant() {
        return false;
    }
    if c.ty().is_pointer() && !c.is_constant_expr() {
        return false;
    }
    (0..c.num_operands()).all(|i| constant_without_floats(c.operand(i), depth))
}

/// A shadowed pointer argument of a call differentiated on its own.
struct CalleeArgument {
    call: Value,
    arg: Value,
    callee: Value,
    index: usize,
    /// The objects it points into.
    objects: Vec<Value>,
    /// The error if that memory holds pointers standing for their own
    /// shadows and the callee reads through them.
    error: Error,
}

fn callee_arguments(
    activity: &Activity,
    layout: &ferment_type_analysis::Layout,
    listed: &[Vec<Value>],
) -> Vec<CalleeArgument> {
    let mut out = Vec::new();
    for &inst in listed.iter().flatten() {
        if !inst.is_call() || !activity.is_active_instruction(inst) {
            continue;
        }
        let Some(callee) = inst
            .called_function()
            .filter(|f| !f.is_declaration() && !f.name().starts_with("llvm."))
        else {
            continue;
        };
        for (index, a) in inst.call_args().into_iter().enumerate() {
            if !a.ty().is_pointer() || !activity.is_shadowed(a) {
                continue;
            }
            let objects: Vec<Value> = object_offsets(layout, a)
                .into_iter()
                .map(|(o, _)| o)
                .collect();
            if objects.is_empty() {
                continue;
            }
            let error = Error::at(
                inst,
                format!(
                    "'{}' passes '{}', memory that holds a pointer to constant data in place of its shadow, to a function differentiated on its own, which would take that data for derivatives",
                    inst.describe(),
                    a.describe()
                ),
            )
            .hint(if crate::openmp::is_parallel_region(callee) {
                "an OpenMP region reads the constant pointer through its shared variable: list it as firstprivate in the parallel construct (firstprivate(p)), or pass the constant data with enzyme_dup and a (zeroed) shadow"
            } else {
                "pass the constant data with enzyme_dup and a (zeroed) shadow, or compile with optimization (-O1 or higher) so that the call is inlined"
            });
            out.push(CalleeArgument {
                call: inst,
                arg: a,
                callee,
                index,
                objects,
                error,
            });
        }
    }
    out
}

/// How deep [`reads_floats_behind`] follows calls before it assumes a read.
const BEHIND_DEPTH: u32 = 4;

/// Whether function `f` may read or write floating-point data through a
/// pointer it loads from the memory its parameter `k` points into (a
/// `Map`'s data pointer, loaded from the `Map` object), following calls.
/// Calls that only look at the object itself (its sizes: `resizeLike`)
/// read none.
fn reads_floats_behind(f: Value, k: usize, depth: u32) -> bool {
    if f.is_declaration() || depth > BEHIND_DEPTH {
        return true;
    }
    let Some(&param) = f.params().get(k) else {
        return true;
    };
    // Pointers into the object, and pointers loaded from it (the data).
    let mut objects = vec![param];
    let mut data: Vec<Value> = Vec::new();
    let mut seen = HashSet::new();
    let derives = |u: Value, v: Value| match u.opcode() {
        Opcode::LLVMGetElementPtr => u.operand(0) == v,
        Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast | Opcode::LLVMPHI | Opcode::LLVMSelect => {
            u.ty().is_pointer()
        }
        _ => false,
    };
    while let Some(v) = objects.pop() {
        if !seen.insert(v) {
            continue;
        }
        for u in v.users() {
            if !u.is_instruction() {
                return true;
            }
            if derives(u, v) {
                objects.push(u);
                continue;
            }
            match u.opcode() {
                Opcode::LLVMLoad if u.ty().is_pointer() => data.push(u),
                Opcode::LLVMLoad => {
                    if u.ty().scalar().is_fp_value() {
                        return true;
                    }
                }
                Opcode::LLVMStore if u.operand(1) == v => {
                    if u.operand(0).ty().scalar().is_fp_value() {
                        return true;
                    }
                }
                Opcode::LLVMICmp | Opcode::LLVMPtrToInt => {}
                Opcode::LLVMCall | Opcode::LLVMInvoke => {
                    let name = u.called_name();
                    if name.starts_with("llvm.lifetime")
                        || name.starts_with("llvm.dbg")
                        || name.starts_with("llvm.assume")
                    {
                        continue;
                    }
                    let Some(g) = u.called_function() else {
                        return true;
                    };
                    for (j, a) in u.call_args().into_iter().enumerate() {
                        if a == v && reads_floats_behind(g, j, depth + 1) {
                            return true;
                        }
                    }
                    // An accessor returning the object (`derived()`).
                    if u.ty().is_pointer() {
                        objects.push(u);
                    }
                }
                // Returned: the caller follows the call's result.
                Opcode::LLVMRet => {}
                // Spilled to a local variable (-O0): what is loaded back.
                Opcode::LLVMStore
                    if u.operand(0) == v
                        && u.operand(1).is_instruction()
                        && u.operand(1).opcode() == Opcode::LLVMAlloca =>
                {
                    for l in u.operand(1).users() {
                        match l.opcode() {
                            Opcode::LLVMLoad => objects.push(l),
                            Opcode::LLVMStore if l.operand(1) == u.operand(1) => {}
                            Opcode::LLVMCall
                                if l.called_function().is_some_and(|g| {
                                    g.name().starts_with("llvm.lifetime")
                                        || g.name().starts_with("llvm.dbg")
                                }) => {}
                            _ => return true,
                        }
                    }
                }
                // Stored elsewhere: followed no further.
                _ => return true,
            }
        }
    }
    // The data: any use but a comparison counts as a read, except that
    // accesses through a select or phi merging it are checked at run time
    // (`Shadows::maybe_own`: derivative memory only where the shadow differs
    // from the pointer).
    data.iter().any(|&d| data_is_read(d))
}

/// Whether pointer `d`, loaded from memory whose shadow may hold `d` itself,
/// is read other than through a select or phi (which get the run-time
/// check), compared, or loaded from for a comparison only, through GEPs and
/// casts.
fn data_is_read(d: Value) -> bool {
    let mut work = vec![d];
    let mut seen = HashSet::new();
    while let Some(v) = work.pop() {
        if !seen.insert(v) {
            continue;
        }
        for u in v.users() {
            if !u.is_instruction() {
                return true;
            }
            match u.opcode() {
                Opcode::LLVMICmp | Opcode::LLVMSelect | Opcode::LLVMPHI => {}
                Opcode::LLVMGetElementPtr if u.operand(0) == v => work.push(u),
                Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast => work.push(u),
                // A value only compared carries no derivative (`c[i] < s`).
                Opcode::LLVMLoad
                    if u.users().iter().all(|w| {
                        w.is_instruction()
                            && matches!(w.opcode(), Opcode::LLVMFCmp | Opcode::LLVMICmp)
                    }) => {}
                _ => return true,
            }
        }
    }
    false
}

/// The objects `p` may point into, each with the constant byte offset of
/// `p` in it (`None`: unknown), through constant-offset GEPs, casts, phis
/// and selects. Null and undefined incoming pointers point into no object
/// (a constructor's `return NULL` on a failed allocation).
fn object_offsets(layout: &ferment_type_analysis::Layout, p: Value) -> Vec<(Value, Option<i64>)> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut work = vec![(p, 0i64)];
    while let Some((v, at)) = work.pop() {
        if out.len() + work.len() > 64 {
            // Too many paths: every object, offsets unknown.
            return ferment_activity_analysis::underlying_objects(p)
                .into_iter()
                .map(|o| (o, None))
                .collect();
        }
        let (base, offset) = ferment_type_analysis::base_and_offset(layout, v);
        let at = at + offset;
        if !seen.insert((base, at)) {
            continue;
        }
        if base.is_null_constant() || base.is_undef() {
            continue;
        }
        if base.is_instruction() {
            match base.opcode() {
                Opcode::LLVMPHI => {
                    work.extend(base.incoming().into_iter().map(|(x, _)| (x, at)));
                    continue;
                }
                Opcode::LLVMSelect => {
                    work.push((base.operand(1), at));
                    work.push((base.operand(2), at));
                    continue;
                }
                Opcode::LLVMGetElementPtr => {
                    // A variable offset.
                    out.extend(
                        ferment_activity_analysis::underlying_objects(base)
                            .into_iter()
                            .map(|o| (o, None)),
                    );
                    continue;
                }
                _ => {}
            }
        }
        out.push((base, Some(at)));
    }
    out
}

impl Shadows {
    /// The shadow of `v`, an incoming pointer of the phi or select `merge`;
    /// a pointer without one (into constant memory) stands for its own
    /// shadow and makes `merge` mixed.
    fn of_or_self(&mut self, b: &Builder, merge: Value, v: Value) -> Result<Value> {
        if let Some(sv) = self.of(b, v) {
            return Ok(sv);
        }
        if !v.ty().is_pointer() {
            return Err(missing(merge, v));
        }
        if self.forward_mode {
            if let Some(z) = zero_twin_shadow(b, v) {
                return Ok(z);
            }
        }
        self.mixed.insert(merge);
        self.own_shadows.push(v);
        Ok(v)
    }
}

/// Forward mode: the shadow of `v`, a pointer without one, when it points
/// into a single global constant (`static const double tbl[8]`) holding
/// no pointers: the same address in `NAME.ferment.zero`, a private
/// constant of the same type, all zeros. Constant memory is never written
/// (a store into it is undefined behaviour), so its tangent is zero, and
/// a merge of it with duplicated data (`c ? p : tbl`, or the gradient's
/// `c ? dp : tbl` that forward mode over reverse meets) needs no run-time
/// test of whether the pointer stands for its own shadow: loads through it
/// read zero tangents there, and a store through it, which the primal
/// would make into the constant too, never happens. An instruction's
/// twin address is computed right after it (`b` is not moved).
pub(crate) fn zero_twin_shadow(b: &Builder, v: Value) -> Option<Value> {
    let g = zero_twin_of(v)?;
    let module = b.module();
    let ty = g.global_value_type();
    let name = format!("{}.ferment.zero", g.name());
    let zero = module.zeroed_global(&name, ty, |z| unsafe {
        llvm_sys::core::LLVMSetGlobalConstant(z.0, 1);
        llvm_sys::core::LLVMSetLinkage(z.0, llvm_sys::LLVMLinkage::LLVMPrivateLinkage);
        llvm_sys::core::LLVMSetAlignment(z.0, llvm_sys::core::LLVMGetAlignment(g.0).max(16));
    });
    if v == g {
        return Some(zero);
    }
    if v.is_constant_expr() {
        // The same constant offset inside the twin.
        return match v.opcode() {
            Opcode::LLVMGetElementPtr if v.operand(0) == g => Some(const_gep_on(v, zero)),
            _ => None,
        };
    }
    if !v.is_instruction() {
        return None;
    }
    // `zero + (v - g)`, computed where `v` is defined.
    let b = Builder::new(module);
    b.after(v);
    let i64t = Type::int(module.context(), 64);
    let offset = b.sub_int(b.ptr_to_int(v, i64t), b.ptr_to_int(g, i64t));
    Some(b.gep(b.i8(), zero, &[offset]))
}

/// Whether `f`'s parameter `k` (a pointer), or an address made from it,
/// is stored into memory that is not a local object of the call tree, or
/// passed on to a function of this module whose parameter does so (what
/// phis and selects make of it is followed): where it has no shadow, such
/// a use makes it stand for its own shadow in `f`'s derivative (the
/// question of `stores_own_shadow`; forward mode's zero twins ask
/// [`param_stored_or_merged`]). A pointer stored into a local object (a
/// spill slot, a C++ iterator or a lambda object on the stack at -O0) is
/// followed through what is loaded back from that object, its copies and
/// the functions it is passed to ([`FlowAnalysis`]).
pub(crate) fn param_escapes(f: Value, k: usize) -> bool {
    let mut analysis = FlowAnalysis {
        done: HashMap::new(),
        active: Vec::new(),
    };
    analysis
        .flow((f, k, Held::Pointer))
        .0
        .is_none_or(|flow| !flow.stored_into.is_empty())
}

/// What a value followed by [`FlowAnalysis`] is: the pointer itself (or an
/// address made from it), or the address of memory that holds it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Held {
    Pointer,
    Holder,
}

/// Where a parameter's pointer goes in a function that keeps it in local
/// memory: the parameters whose memory it may be stored into (the caller
/// follows its arguments there as holders), and what the function may
/// return (the caller follows the call's result).
#[derive(Clone, Default, PartialEq, Eq, Debug)]
struct Flow {
    stored_into: std::collections::BTreeSet<usize>,
    returns_pointer: bool,
    returns_holder: bool,
}

/// A function, one of its parameters, and what that parameter is.
type FlowKey = (Value, usize, Held);

/// Calls deeper than this count as escapes.
const FLOW_DEPTH: usize = 48;

/// How the pointer parameter `k` of `f` (`Held::Pointer`), or the pointer
/// held in the memory that parameter `k` points to (`Held::Holder`), flows
/// through `f`: None where it may escape (see [`param_escapes`]). Followed:
/// addresses made from it; stores of it into a stack object of `f` (whose
/// every use is then followed as a holder: loads give the pointer back,
/// `memcpy` copies the holder into another stack object) or into memory
/// reached from a parameter (reported in [`Flow::stored_into`]); calls of
/// functions of this module, through their own flow. Anything else that
/// takes a holder's address (a store of it outside a spill slot, an
/// external function) counts as an escape. Recursive functions get the
/// least fixed point: a call of a function under analysis gives the flow
/// assumed so far, and the function is analysed again until what it gives
/// is what was assumed; results that rest on an outer assumption are not
/// kept.
struct FlowAnalysis {
    done: HashMap<FlowKey, Option<Flow>>,
    /// The functions under analysis, outermost first: the flow assumed for
    /// each and whether a call used that assumption.
    active: Vec<(FlowKey, Option<Flow>, bool)>,
}

impl FlowAnalysis {
    /// The flow of `key`, and the position in `active` of the outermost
    /// assumption it rests on (`usize::MAX` for none).
    fn flow(&mut self, key: FlowKey) -> (Option<Flow>, usize) {
        if let Some(flow) = self.done.get(&key) {
            return (flow.clone(), usize::MAX);
        }
        if let Some(at) = self.active.iter().position(|a| a.0 == key) {
            self.active[at].2 = true;
            return (self.active[at].1.clone(), at);
        }
        if self.active.len() >= FLOW_DEPTH {
            return (None, usize::MAX);
        }
        let at = self.active.len();
        self.active.push((key, Some(Flow::default()), false));
        loop {
            let mut low = usize::MAX;
            let flow = self.flow_of(key, &mut low);
            let (_, assumed, used) = &mut self.active[at];
            if *used && flow != *assumed {
                *assumed = flow;
                *used = false;
                continue;
            }
            self.active.pop();
            if low >= at {
                self.done.insert(key, flow.clone());
                return (flow, usize::MAX);
            }
            return (flow, low);
        }
    }

    /// One pass over `key`'s function, calls answered by [`Self::flow`];
    /// `low` gets the outermost assumption used.
    fn flow_of(&mut self, (f, k, held): FlowKey, low: &mut usize) -> Option<Flow> {
        let params = f.params();
        let &p = params.get(k)?;
        let mut flow = Flow::default();
        let mut work = vec![(p, held)];
        let mut seen = HashSet::new();
        // The memory that a store (or a copy) of the pointer writes into: a
        // stack object of `f` is followed as a holder, a parameter's memory is
        // reported to the caller; anything else escapes.
        let target = |q: Value, flow: &mut Flow, work: &mut Vec<(Value, Held)>| -> Option<()> {
            let root = strip_addresses(q);
            if root.is_instruction() && root.opcode() == Opcode::LLVMAlloca {
                work.push((root, Held::Holder));
                return Some(());
            }
            let j = param_origin(&params, root, 2)?;
            flow.stored_into.insert(j);
            Some(())
        };
        while let Some((v, held)) = work.pop() {
            if !seen.insert((v, held)) {
                continue;
            }
            for u in v.users() {
                if !u.is_instruction() {
                    continue;
                }
                match (u.opcode(), held) {
                    (Opcode::LLVMGetElementPtr, _) if u.operand(0) != v => {}
                    (
                        Opcode::LLVMGetElementPtr | Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast,
                        _,
                    ) => work.push((u, held)),
                    (Opcode::LLVMSelect, _) if u.operand(0) == v => {}
                    (Opcode::LLVMPHI | Opcode::LLVMSelect, _) => work.push((u, held)),
                    (Opcode::LLVMRet, Held::Pointer) => flow.returns_pointer = true,
                    (Opcode::LLVMRet, Held::Holder) => flow.returns_holder = true,
                    // The pointer stored into memory.
                    (Opcode::LLVMStore, Held::Pointer) if u.operand(0) == v => {
                        target(u.operand(1), &mut flow, &mut work)?
                    }
                    // A holder's address stored: only into a spill slot, whose
                    // loads are holders too.
                    (Opcode::LLVMStore, Held::Holder) if u.operand(0) == v => {
                        let loads = spill_loads(u.operand(1))?;
                        work.extend(loads.into_iter().map(|l| (l, Held::Holder)));
                    }
                    (Opcode::LLVMLoad, Held::Holder) => work.push((u, Held::Pointer)),
                    (Opcode::LLVMCall | Opcode::LLVMInvoke, _) => {
                        let args = u.call_args();
                        let Some(callee) = u.called_function() else {
                            if held == Held::Holder && args.contains(&v) {
                                return None;
                            }
                            continue;
                        };
                        if callee.is_declaration() {
                            if held == Held::Pointer {
                                continue;
                            }
                            let name = callee.name();
                            if name.starts_with("llvm.memcpy") || name.starts_with("llvm.memmove") {
                                if args.get(1) == Some(&v) {
                                    target(args[0], &mut flow, &mut work)?;
                                }
                            } else if !(name.starts_with("llvm.lifetime")
                                || name.starts_with("llvm.memset")
                                || name.starts_with("llvm.dbg"))
                            {
                                return None;
                            }
                            continue;
                        }
                        for (i, a) in args.iter().enumerate() {
                            if *a != v || crate::derive::is_frame_storage(u, i) {
                                continue;
                            }
                            let (inner, rests_on) = self.flow((callee, i, held));
                            *low = (*low).min(rests_on);
                            let inner = inner?;
                            for &j in &inner.stored_into {
                                target(*args.get(j)?, &mut flow, &mut work)?;
                            }
                            if inner.returns_pointer {
                                work.push((u, Held::Pointer));
                            }
                            if inner.returns_holder {
                                work.push((u, Held::Holder));
                            }
                        }
                    }
                    (Opcode::LLVMStore | Opcode::LLVMICmp, Held::Holder) => {}
                    (_, Held::Holder) => return None,
                    _ => {}
                }
            }
        }
        Some(flow)
    }
}

/// `v` without the address arithmetic and casts on it.
fn strip_addresses(mut v: Value) -> Value {
    while v.is_instruction()
        && matches!(
            v.opcode(),
            Opcode::LLVMGetElementPtr | Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast
        )
    {
        v = v.operand(0);
    }
    v
}

/// The parameter (its index in `params`) that address `v` is made from:
/// directly, or loaded back from a spill slot that only ever receives
/// addresses made from that parameter (`this` at -O0).
fn param_origin(params: &[Value], v: Value, depth: u32) -> Option<usize> {
    let v = strip_addresses(v);
    if v.is_argument() {
        return params.iter().position(|&p| p == v);
    }
    if depth == 0 || !v.is_instruction() || v.opcode() != Opcode::LLVMLoad {
        return None;
    }
    let slot = v.operand(0);
    spill_loads(slot)?;
    let mut origin = None;
    for w in slot.users() {
        if w.opcode() == Opcode::LLVMStore {
            let j = param_origin(params, w.operand(0), depth - 1)?;
            if origin.is_some_and(|o| o != j) {
                return None;
            }
            origin = Some(j);
        }
    }
    origin
}

/// Whether `f`'s parameter `k` (a pointer), or an address made from it,
/// is stored into memory (any memory but its own spill slot: a local
/// object counts), merged by a phi or select, or passed on to a function
/// of this module whose parameter does so (`depth` calls deep; deeper ones
/// count as doing so). Forward mode's question for a constant global
/// passed to a call differentiated on its own: where the callee stores or
/// merges it, the callee's derivative needs a shadow for it (the global's
/// zero twin), even where what it is stored into is a local object (a row
/// of pointers whose shadow row then holds the twin). Unlike
/// [`param_escapes`], which asks whether the pointer leaves the call tree.
pub(crate) fn param_stored_or_merged(f: Value, k: usize, depth: u32) -> bool {
    let Some(&p) = f.params().get(k) else {
        return false;
    };
    let mut work = vec![p];
    let mut seen = HashSet::new();
    while let Some(v) = work.pop() {
        if !seen.insert(v) {
            continue;
        }
        for u in v.users() {
            if !u.is_instruction() {
                continue;
            }
            match u.opcode() {
                Opcode::LLVMGetElementPtr | Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast => {
                    work.push(u)
                }
                // A spill (at -O0 every parameter goes through its stack
                // slot): what is loaded back is followed instead.
                Opcode::LLVMStore if u.operand(0) == v => match spill_loads(u.operand(1)) {
                    Some(loads) => work.extend(loads),
                    None => return true,
                },
                Opcode::LLVMPHI | Opcode::LLVMSelect => return true,
                Opcode::LLVMCall | Opcode::LLVMInvoke => {
                    let Some(callee) = u.called_function() else {
                        continue;
                    };
                    if callee.is_declaration() {
                        continue;
                    }
                    let passed = u.call_args().iter().enumerate().any(|(i, a)| {
                        *a == v
                            && !crate::derive::is_frame_storage(u, i)
                            && (depth == 0 || param_stored_or_merged(callee, i, depth - 1))
                    });
                    if passed {
                        return true;
                    }
                }
                _ => {}
            }
        }
    }
    false
}

/// The constant global that `v` points into, where it has a zero twin
/// ([`zero_twin_shadow`]).
fn zero_twin_of(v: Value) -> Option<Value> {
    let objects = ferment_activity_analysis::underlying_objects(v);
    let [g] = objects[..] else {
        return None;
    };
    let ty = g.global_value_type();
    let fits = g.is_global()
        && unsafe { llvm_sys::core::LLVMIsGlobalConstant(g.0) } != 0
        && !is_thread_local(g)
        && g.address_space() == 0
        && !points_to_code(g)
        && !ty.contains_pointer()
        && g.global_parent().alloc_size(ty) != 0;
    let placed = v == g
        || (v.is_constant_expr() && v.opcode() == Opcode::LLVMGetElementPtr && v.operand(0) == g)
        || v.is_instruction();
    (fits && placed).then_some(g)
}

/// Whether forward mode gives `v` a zero twin as its shadow.
fn has_zero_twin(v: Value) -> bool {
    zero_twin_of(v).is_some()
}

/// The loads of `slot` where it is a stack slot only loaded and stored
/// directly (a spilled variable); None otherwise.
fn spill_loads(slot: Value) -> Option<Vec<Value>> {
    if !slot.is_instruction() || slot.opcode() != Opcode::LLVMAlloca {
        return None;
    }
    let users = slot.users();
    let direct = users.iter().all(|w| {
        w.is_instruction()
            && match w.opcode() {
                Opcode::LLVMLoad => true,
                Opcode::LLVMStore => w.operand(1) == slot && w.operand(0) != slot,
                _ => false,
            }
    });
    direct.then(|| {
        users
            .into_iter()
            .filter(|w| w.opcode() == Opcode::LLVMLoad)
            .collect()
    })
}

/// A pointer without derivative memory (an `enzyme_const` argument, a
/// global's data) stored by `store` into memory with derivatives that the
/// caller sees (reached from an argument or a global): the shadow memory
/// receives the pointer itself, so a later derivative that reads floats
/// through the structure (`dc` passed again with `c`) adds their adjoints
/// to that constant data, and the caller's own writes through the shadow
/// (zeroing or seeding derivatives) write it too. Enzyme warns about the
/// same store ("mismatched activity"); so does ferment, once per store and
/// message.
fn warn_constant_pointer_escapes(module: Module, store: Value) {
    static WARNED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let (v, p) = (store.operand(0), store.operand(1));
    let outside = |o: &Value| o.is_argument() || o.is_global();
    let stored = ferment_activity_analysis::underlying_objects(v);
    let into = ferment_activity_analysis::underlying_objects(p);
    if stored.is_empty() || !stored.iter().all(outside) || !into.iter().any(outside) {
        return;
    }
    // Read-only data without floats (the type_info a `std::function`'s
    // manager hands out): no adjoint can be added to it, no derivative
    // written through it.
    let float_free_constant = |o: &Value| {
        o.is_global()
            && unsafe { llvm_sys::core::LLVMIsGlobalConstant(o.0) } != 0
            && !o.global_value_type().contains_float()
    };
    if stored.iter().all(float_free_constant) {
        return;
    }
    let globals = |objects: &[Value]| -> String {
        let names: Vec<String> = objects
            .iter()
            .filter(|o| o.is_global() && !o.name().is_empty())
            .map(|o| format!("'{}'", o.name()))
            .collect();
        if names.is_empty() {
            String::new()
        } else {
            format!(" ({})", names.join(", "))
        }
    };
    let msg = format!(
        "mismatched activity: stores a pointer without derivative memory (an enzyme_const argument or a global's data{}) into memory with derivatives that the caller sees (reached from an argument or a global{}): the shadow receives the pointer itself, so a later derivative reading floats through it adds their adjoints to that constant data, and writes through the shadow (zeroing or seeding derivatives) change it",
        globals(&stored),
        globals(&into)
    );
    let e = Error::at(store, msg)
        .hint("pass the stored pointer duplicated (enzyme_dup, with its own derivative memory), or store it only into memory without derivatives");
    let text = e.to_string();
    let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
    if !warned.contains(&text) {
        warned.push(text.clone());
        crate::shim::report_warning(module, &text);
    }
}

/// Whether pointer `v` is (an offset or cast of) a pointer loaded from
/// memory this function did not allocate: a caller may have stored a
/// pointer without a shadow there, standing for its own shadow.
fn loaded_from_outside(v: Value) -> bool {
    let mut v = v;
    while v.is_instruction()
        && matches!(
            v.opcode(),
            Opcode::LLVMGetElementPtr
                | Opcode::LLVMBitCast
                | Opcode::LLVMAddrSpaceCast
                | Opcode::LLVMFreeze
        )
    {
        v = v.operand(0);
    }
    if !(v.is_instruction() && v.opcode() == Opcode::LLVMLoad && v.ty().is_pointer()) {
        return false;
    }
    let objects = ferment_activity_analysis::underlying_objects(v.operand(0));
    objects.is_empty()
        || objects.iter().any(|o| {
            !(o.is_instruction()
                && (o.opcode() == Opcode::LLVMAlloca || allocation_kind(*o).is_some()))
        })
}

/// Extends `maybe_own` to the pointers derived from its members (GEPs,
/// casts, phis, selects).
fn derive_maybe_own(s: &mut Shadows) {
    let mut work: Vec<Value> = s.maybe_own.order.clone();
    while let Some(v) = work.pop() {
        for u in v.users() {
            if !u.is_instruction() || !u.ty().is_pointer() || !s.map.contains_key(&u) {
                continue;
            }
            let derived = match u.opcode() {
                Opcode::LLVMGetElementPtr => u.operand(0) == v,
                Opcode::LLVMBitCast
                | Opcode::LLVMAddrSpaceCast
                | Opcode::LLVMFreeze
                | Opcode::LLVMPHI
                | Opcode::LLVMSelect => true,
                // a pointer loaded through it: its shadow, loaded from the
                // pointer itself, is the loaded pointer
                Opcode::LLVMLoad => u.operand(0) == v,
                _ => false,
            };
            if !derived {
                continue;
            }
            let own_loaded = s.own_loaded.contains(&v) && s.own_loaded.insert(u);
            if s.maybe_own.insert(u) || own_loaded {
                work.push(u);
            }
        }
    }
}

/// The parameters `params`, and at -O0 the pointers loaded back from the
/// stack slots they were spilled to.
fn with_spills(params: &[Value], listed: &[Vec<Value>]) -> HashSet<Value> {
    let mut out: HashSet<Value> = params.iter().copied().collect();
    if out.is_empty() {
        return out;
    }
    for &inst in listed.iter().flatten() {
        if inst.opcode() != Opcode::LLVMLoad || !inst.ty().is_pointer() {
            continue;
        }
        let slot = inst.operand(0);
        if !(slot.is_instruction() && slot.opcode() == Opcode::LLVMAlloca) {
            continue;
        }
        let mut stored = slot
            .users()
            .into_iter()
            .filter(|u| u.opcode() == Opcode::LLVMStore && u.operand(1) == slot)
            .map(|u| u.operand(0))
            .peekable();
        if stored.peek().is_some() && stored.all(|v| params.contains(&v)) {
            out.insert(inst);
        }
    }
    out
}

/// Adds to `own_objects` (memory that may hold pointers standing for their
/// own shadows, as the caller passed them) this function's shadowed stack
/// objects into which such a pointer may be stored: a closure, iterator or
/// argument struct rebuilt from captured pointers (`struct Clo n = {k->c,
/// k->a}` before a recursive call; a lambda object a recursive
/// `std::visit` builds from its captures). The shadow store puts the
/// pointer's shadow there, the pointer itself where it stands for its own,
/// so the object's shadow follows the caller's convention: loads back from
/// it may stand for their own shadows too (and calls receiving it are
/// flagged `OWN_BEHIND` by [`own_shadow_args`]). Only allocas, whose every
/// reader is this function or a call it flags, not memory a caller sees.
/// Over-approximates the walk's `own_loaded` (to a fixed point: a copy of
/// such a copy). Returns the objects added.
fn own_locals(
    activity: &Activity,
    listed: &[Vec<Value>],
    own_objects: &mut HashSet<Value>,
    own_pointers: &HashSet<Value>,
) -> HashSet<Value> {
    let mut added = HashSet::new();
    if own_objects.is_empty() && own_pointers.is_empty() {
        return added;
    }
    loop {
        let mut own: HashSet<Value> = own_pointers.clone();
        loop {
            let mut changed = false;
            for &inst in listed.iter().flatten() {
                if !inst.ty().is_pointer() || own.contains(&inst) {
                    continue;
                }
                let add = match inst.opcode() {
                    Opcode::LLVMLoad => {
                        own.contains(&inst.operand(0))
                            || ferment_activity_analysis::underlying_objects(inst.operand(0))
                                .iter()
                                .any(|o| own_objects.contains(o))
                    }
                    Opcode::LLVMGetElementPtr
                    | Opcode::LLVMBitCast
                    | Opcode::LLVMAddrSpaceCast
                    | Opcode::LLVMFreeze => own.contains(&inst.operand(0)),
                    Opcode::LLVMPHI => inst.incoming().into_iter().any(|(v, _)| own.contains(&v)),
                    Opcode::LLVMSelect => {
                        own.contains(&inst.operand(1)) || own.contains(&inst.operand(2))
                    }
                    _ => false,
                };
                if add {
                    own.insert(inst);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut grew = false;
        for &inst in listed.iter().flatten() {
            if inst.opcode() != Opcode::LLVMStore || !own.contains(&inst.operand(0)) {
                continue;
            }
            // (a string's data pointer moved between strings is allowed
            // as it is: `check_own_loaded`)
            let value = inst.operand(0);
            if is_string_buffer(value)
                || ferment_activity_analysis::underlying_objects(value)
                    .iter()
                    .any(|o| points_into_string(*o))
            {
                continue;
            }
            let objects = ferment_activity_analysis::underlying_objects(inst.operand(1));
            let local = |o: &Value| {
                o.is_instruction() && o.opcode() == Opcode::LLVMAlloca && activity.is_shadowed(*o)
            };
            if objects.is_empty() || !objects.iter().all(local) {
                continue;
            }
            for o in objects {
                if own_objects.insert(o) {
                    added.insert(o);
                    grew = true;
                }
            }
        }
        if !grew {
            return added;
        }
    }
}

/// Whether pointer `v`, stored into shadowed memory, may have no shadow of
/// its own (it then stands for its own shadow there); an over-approximation
/// taken before the shadows are built.
fn may_stand_for_own_shadow(activity: &Activity, v: Value) -> bool {
    !(activity.is_shadowed(v)
        || v.is_null_constant()
        || v.is_undef()
        || null_based(v)
        || points_to_code(v))
}

/// The calls differentiated on their own that receive memory which may hold
/// pointers standing for their own shadows (stored here, or by this
/// derivative's caller: `own_objects`) and read data behind them, or such a
/// pointer itself (loaded from that memory, merged by a phi or select with a
/// pointer without a shadow, or passed in: `own_pointers`, and what is
/// derived from those): per call, the
/// bits of each argument. Their derivatives check those pointers at run time
/// (`DerivativeKey::own_shadow_args`) instead of taking constant data for
/// derivatives. Computed before the shadows are built (the call hook makes
/// the callees' keys), so it over-approximates what the walk finds.
fn own_shadow_args(
    activity: &Activity,
    layout: &ferment_type_analysis::Layout,
    listed: &[Vec<Value>],
    callee_arguments: &[CalleeArgument],
    own_objects: &HashSet<Value>,
    own_pointers: &HashSet<Value>,
) -> HashMap<Value, Vec<u8>> {
    let mut out = HashMap::new();
    if callee_arguments.is_empty() {
        return out;
    }
    let mut memory = SelfShadowed::default();
    for &inst in listed.iter().flatten() {
        if inst.opcode() == Opcode::LLVMStore
            && inst.operand(0).ty().is_pointer()
            && activity.is_shadowed(inst.operand(1))
            && may_stand_for_own_shadow(activity, inst.operand(0))
        {
            memory.record(layout, inst.operand(1));
        }
    }
    for &o in own_objects {
        memory.fields.insert(o, None);
    }
    if !memory.is_empty() {
        memory.follow_copies(layout, listed);
    }
    // Pointers that may stand for their own shadows, to a fixed point
    // (phis see their incoming values from later blocks).
    let mut own: HashSet<Value> = own_pointers.clone();
    // (A phi or select merging a pointer loaded from outside with others,
    // a member of `maybe_own`, is not counted: nothing is known to stand
    // for its own shadow there.)
    let in_own =
        |own: &HashSet<Value>, v: Value| own.contains(&v) || may_stand_for_own_shadow(activity, v);
    loop {
        let mut changed = false;
        for &inst in listed.iter().flatten() {
            if !inst.ty().is_pointer() || !activity.is_shadowed(inst) || own.contains(&inst) {
                continue;
            }
            let add = match inst.opcode() {
                Opcode::LLVMLoad => {
                    own.contains(&inst.operand(0))
                        || (!memory.is_empty() && memory.may_load(layout, inst.operand(0)))
                }
                Opcode::LLVMGetElementPtr
                | Opcode::LLVMBitCast
                | Opcode::LLVMAddrSpaceCast
                | Opcode::LLVMFreeze => own.contains(&inst.operand(0)),
                Opcode::LLVMPHI => inst.incoming().into_iter().any(|(v, _)| in_own(&own, v)),
                Opcode::LLVMSelect => {
                    in_own(&own, inst.operand(1)) || in_own(&own, inst.operand(2))
                }
                _ => false,
            };
            if add {
                own.insert(inst);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for c in callee_arguments {
        let mut bits = 0;
        if !memory.is_empty()
            && c.objects.iter().any(|o| memory.fields.contains_key(o))
            && reads_floats_behind(c.callee, c.index, 0)
        {
            bits |= OWN_BEHIND;
        }
        if own.contains(&c.arg) {
            bits |= OWN_ITSELF;
        }
        if bits != 0 {
            let flags = out
                .entry(c.call)
                .or_insert_with(|| vec![0; c.call.num_call_args()]);
            flags[c.index] |= bits;
        }
    }
    out
}

/// Pointers loaded from memory that may hold pointers standing for their
/// own shadows are accessed with a run-time check (loads and stores of
/// floats through them touch derivative memory only where the shadow
/// differs from the pointer). Any other use that would reach derivative
/// memory through them (a memory call, a call, an atomic update, storing
/// the pointer elsewhere) is an error naming it.
fn check_own_loaded(
    module: Module,
    types: Option<&ferment_type_analysis::FunctionTypes>,
    s: &Shadows,
) -> Result<()> {
    if s.own_loaded.is_empty() {
        return Ok(());
    }
    let shadows: HashSet<Value> = s.map.values().copied().collect();
    for &v in &s.own_loaded.order {
        for u in v.users() {
            if !u.is_instruction() || shadows.contains(&u) {
                continue;
            }
            let fine = match u.opcode() {
                Opcode::LLVMLoad
                | Opcode::LLVMGetElementPtr
                | Opcode::LLVMBitCast
                | Opcode::LLVMAddrSpaceCast
                | Opcode::LLVMFreeze
                | Opcode::LLVMPHI
                | Opcode::LLVMSelect
                | Opcode::LLVMICmp
                | Opcode::LLVMPtrToInt => true,
                // (a string's data pointer moved between strings, as
                // `std::sort` of strings does: only characters are read
                // or copied through it, and its shadow, itself where it
                // stands for its own, goes along)
                Opcode::LLVMStore => {
                    u.operand(1) == v
                        || !s.map.contains_key(&u.operand(1))
                        || (u.operand(0) == v && {
                            // (into a local object rebuilt from captured
                            // pointers: `own_locals`)
                            let objects =
                                ferment_activity_analysis::underlying_objects(u.operand(1));
                            !objects.is_empty() && objects.iter().all(|o| s.own_locals.contains(o))
                        })
                        || (u.operand(0) == v && {
                            // (or the string's own local buffer)
                            let objects = ferment_activity_analysis::underlying_objects(v);
                            !objects.is_empty()
                                && objects
                                    .iter()
                                    .all(|o| !s.own_loaded.contains(o) || points_into_string(*o))
                                && objects.iter().any(|o| points_into_string(*o))
                        })
                }
                Opcode::LLVMCall | Opcode::LLVMInvoke if s.passes_as_own(u, v) => true,
                Opcode::LLVMCall | Opcode::LLVMInvoke => {
                    let name = u.called_name();
                    name.starts_with("llvm.lifetime")
                        || name.starts_with("llvm.dbg")
                        || name.starts_with("llvm.assume")
                        || name.starts_with("llvm.prefetch")
                        || (reads_only(u) && !u.ty().scalar().is_fp_value())
                        || string_reader(u)
                        || float_copy_from(module, types, u, v)
                        || integer_only_memory_call(module, types, u)
                }
                _ => false,
            };
            if !fine {
                return Err(Error::at(
                    u,
                    format!(
                        "'{}' passes on or updates through '{}', a pointer loaded from memory where the caller may have stored a pointer to constant data in place of its shadow",
                        u.describe(),
                        v.describe()
                    ),
                )
                .hint("pass the constant data with enzyme_dup and a (zeroed) shadow; in an OpenMP region, list the pointer as firstprivate (firstprivate(p))"));
            }
        }
    }
    Ok(())
}

/// Extends the mixed pointers to what is derived from them (GEPs, casts,
/// phis, selects, pointers loaded through them) and checks that they are
/// only read through. A store, memory call or other call through a pointer
/// that may point into constant memory would need a shadow there (the
/// stored derivative would be lost, or written into the constant data), so
/// it is an error naming the merge.
fn check_mixed(
    module: Module,
    types: Option<&ferment_type_analysis::FunctionTypes>,
    layout: &ferment_type_analysis::Layout,
    listed: &[Vec<Value>],
    s: &mut Shadows,
) -> Result<()> {
    if s.mixed.is_empty() {
        return Ok(());
    }
    let shadows: HashSet<Value> = s.map.values().copied().collect();
    // Only the function's own instructions count: the walk's guards
    // (`forward_memory_call` selects between a pointer and its shadow)
    // are derivative code.
    let primal: HashSet<Value> = listed.iter().flatten().copied().collect();
    // Breadth-first from the merges in program order: the error names the
    // first offending use found that way, the same on every compile.
    let mut work: std::collections::VecDeque<(Value, Value)> =
        s.mixed.order.iter().map(|&m| (m, m)).collect();
    // Shadowed memory a mixed pointer was stored into (its shadow stored
    // in the shadow memory, which there is the pointer itself where it has
    // no shadow): pointers loaded back from it are mixed too.
    let mut stored = SelfShadowed::default();
    // Only where every pointer standing for its own shadow points into
    // memory this function allocates (a string's heap buffer, from
    // `_M_create`, an allocation wrapper): the activity
    // analysis, which sees every store into it (callees included), gave it
    // no shadow, so no derivative is written through it anywhere. Memory
    // from outside (a constant argument or global) may be written by
    // callees that do not know the pointer is its own shadow.
    let own_shadows_fresh = s.own_shadows.iter().all(|&p| {
        let objects = ferment_activity_analysis::underlying_objects(p);
        !objects.is_empty()
            && objects.iter().all(|o| {
                o.is_null_constant()
                    || ferment_activity_analysis::returns_fresh_memory(*o)
                    || is_string_create(*o)
                    || is_string_buffer(*o)
                    || matches!(
                        allocation_kind(*o),
                        Some(AllocKind::Heap { .. } | AllocKind::Calloc | AllocKind::Stack)
                    )
            })
    });
    while let Some((v, origin)) = work.pop_front() {
        for u in v.users() {
            if u.is_instruction()
                && u.opcode() == Opcode::LLVMStore
                && u.operand(0) == v
                && u.operand(1) != v
                && s.map.contains_key(&u.operand(1))
                && own_shadows_fresh
            {
                stored.record(layout, u.operand(1));
                stored.follow_copies(layout, listed);
                for &inst in listed.iter().flatten() {
                    if inst.opcode() == Opcode::LLVMLoad
                        && inst.ty().is_pointer()
                        && s.map.contains_key(&inst)
                        && stored.may_load(layout, inst.operand(0))
                        && s.mixed.insert(inst)
                    {
                        work.push_back((inst, origin));
                    }
                }
                continue;
            }
            if !u.is_instruction() || shadows.contains(&u) || !primal.contains(&u) {
                continue;
            }
            let derived = match u.opcode() {
                // passed to a function differentiated on its own whose
                // derivative checks it at run time
                Opcode::LLVMCall | Opcode::LLVMInvoke if s.passes_as_own(u, v) => false,
                Opcode::LLVMLoad => u.ty().is_pointer(),
                Opcode::LLVMGetElementPtr => u.operand(0) == v,
                Opcode::LLVMBitCast
                | Opcode::LLVMAddrSpaceCast
                | Opcode::LLVMFreeze
                | Opcode::LLVMPHI
                | Opcode::LLVMSelect => true,
                Opcode::LLVMICmp | Opcode::LLVMPtrToInt => false,
                // integers written through it carry no derivative
                Opcode::LLVMStore
                    if u.operand(1) == v && u.operand(0).ty().scalar().is_integer() =>
                {
                    false
                }
                // nor do integers copied or set through it (a string's
                // characters, in its own buffer or on the heap)
                Opcode::LLVMCall | Opcode::LLVMInvoke
                    if integer_only_memory_call(module, types, u) =>
                {
                    false
                }
                // floats copied out of it: the copy's derivative checks at
                // run time whether the source is its own shadow
                Opcode::LLVMCall | Opcode::LLVMInvoke if float_copy_from(module, types, u, v) => {
                    false
                }
                // freeing it: the primal memory is freed; its shadow only
                // where that is not the memory itself (forward mode)
                Opcode::LLVMCall | Opcode::LLVMInvoke if is_free(&u.called_name()) => false,
                // a call that only reads memory (`memcmp`, `strlen`)
                // returning no float: what it returns is derived from the
                // pointer, or an integer
                Opcode::LLVMCall | Opcode::LLVMInvoke
                    if reads_only(u) && !u.ty().scalar().is_fp_value() =>
                {
                    true
                }
                _ => {
                    return Err(Error::at(
                        u,
                        format!(
                            "'{}' writes or passes on a pointer that may point into memory without derivative memory: '{}' merges pointers to duplicated data with pointers to constant data",
                            u.describe(),
                            origin.describe()
                        ),
                    )
                    .hint("pass the constant data with enzyme_dup and a (zeroed) shadow, or keep the two cases apart so that only reads go through the merged pointer"));
                }
            };
            if derived && u.ty().is_pointer() && s.mixed.insert(u) {
                work.push_back((u, origin));
            }
        }
    }
    Ok(())
}

/// Whether `p` points to code: a function, or into a C++ virtual table (a
/// constant `_ZTV` global).
fn points_to_code(p: Value) -> bool {
    let objects = ferment_activity_analysis::underlying_objects(p);
    let code = |o: &Value| {
        o.is_function()
            || (o.is_global()
                && o.name().starts_with("_ZTV")
                && unsafe { llvm_sys::core::LLVMIsGlobalConstant(o.0) != 0 })
    };
    // (a null, undef or poison object beside code, `c ? sin : 0`, has no
    // derivative memory either)
    let neutral = |o: &Value| unsafe {
        llvm_sys::core::LLVMIsNull(o.0) != 0 || llvm_sys::core::LLVMIsUndef(o.0) != 0
    };
    objects.iter().any(code) && objects.iter().all(|o| code(o) || neutral(o))
}

/// Whether `v` loads a `std::basic_string`'s data pointer (`_M_p`, by its
/// TBAA tag): it points into the string's own buffer or onto the heap
/// block the string allocated, which hold characters only (libstdc++'s
/// own members, kept calls included, write nothing else there). A load
/// the optimizer left without a tag (merged from two branches) counts
/// when another pointer access through the same address carries the tag.
fn is_string_buffer(v: Value) -> bool {
    let data_pointer = |u: Value| ferment_type_analysis::tbaa::string_access(u) == Some(0);
    if !v.is_instruction() || v.opcode() != Opcode::LLVMLoad {
        return false;
    }
    if data_pointer(v) {
        return true;
    }
    let at = v.operand(0);
    v.ty().is_pointer()
        && ferment_type_analysis::tbaa::access_base(v).is_none()
        && at.users().into_iter().any(|u| {
            u.is_instruction()
                && match u.opcode() {
                    Opcode::LLVMLoad => u.operand(0) == at && u.ty().is_pointer(),
                    Opcode::LLVMStore => u.operand(1) == at && u.operand(0).ty().is_pointer(),
                    _ => false,
                }
                && data_pointer(u)
        })
}

/// Whether the call `inst` may only read memory (LLVM's `memory`
/// attribute: no `mod` bit in any location, or a known reader).
fn reads_only(inst: Value) -> bool {
    // libstdc++'s hashing of a string's characters (declared without
    // attributes) and C string functions
    const READERS: [&str; 8] = [
        "_ZSt11_Hash_bytesPKvmm",
        "_ZSt15_Fnv_hash_bytesPKvmm",
        "memcmp",
        "bcmp",
        "strlen",
        "strcmp",
        "strncmp",
        "strchr",
    ];
    READERS.contains(&inst.called_name().as_str())
        || inst
            .call_memory_effects()
            .is_some_and(|e| e & 0xAAAA_AAAA_AAAA_AAAA == 0)
}

/// Whether `inst` calls an external `const` member of libstdc++'s
/// `std::string` (`compare`, `find`, `rfind`...; invoked where exceptions
/// are on): it reads the string's characters and writes no memory but
/// character buffers it is given (`copy`, left out), so a string reached
/// through a pointer that may stand for its own shadow (a `std::map`'s key
/// compared at -O0) passes nothing derivative on.
fn string_reader(inst: Value) -> bool {
    let name = inst.called_name();
    inst.called_function().is_some_and(|f| f.is_declaration())
        && name.starts_with("_ZNKSt7__cxx1112basic_string")
        && !name.contains("4copyE")
        && !inst.ty().scalar().is_fp_value()
}

/// Whether `inst` is a `memcpy`/`memmove`/`memset` of memory that type
/// analysis knows holds integers only (no floats, no pointers): it carries
/// no derivative, and its shadow needs no copy.
pub fn integer_only_memory_call(
    module: Module,
    types: Option<&ferment_type_analysis::FunctionTypes>,
    inst: Value,
) -> bool {
    let Some(types) = types else {
        return false;
    };
    if !inst.is_call() {
        return false;
    }
    let name = inst.called_name();
    let args = inst.call_args();
    let (dst, src) = if is_memcpy(&name) {
        (args[0], Some(args[1]))
    } else if is_memset(&name) {
        (args[0], None)
    } else {
        return false;
    };
    let src = src.unwrap_or(dst);
    let layout = crate::retype::copy_layout(module, types, dst, src, args[2]);
    if layout == (crate::retype::CopyLayout::NoFloats { pointers: false }) {
        return true;
    }
    // A run-time number of bytes copied between byte-aligned memory that
    // starts with integers on both sides: characters (`std::string`'s
    // `char_traits::copy`). Type analysis may also know floats further on
    // (the double after a short string's buffer in a `pair<string,
    // double>`), which a copy of characters does not reach.
    let bytes = |p: Value| {
        types.memory_at(p, 0) == BaseType::Integer
            && !types
                .memory_types(p, 0, 8)
                .iter()
                .any(|(_, t)| *t != BaseType::Integer)
    };
    // A run-time number of bytes copied between byte-aligned memory where
    // one side is a `std::string`'s buffer (its data pointer, by its TBAA
    // tag): characters too, even where type analysis does not know the
    // other side (a string moved into a temporary by `std::sort`).
    // (A short string's own buffer is 8-byte aligned as a field of its
    // string: a copy into or out of one is characters whatever the
    // alignment, `std::stable_sort` moving strings between elements and
    // its temporary buffer.)
    // A copy of as many bytes as a `std::string` holds characters (its
    // length field, by its TBAA tag, plus the terminator): its characters,
    // wherever they are copied (a short string's own buffer moved into a
    // temporary element by `std::stable_sort`, next to the element's
    // doubles), unless type analysis knows a float at either end.
    let no_float_at = |p: Value| !matches!(types.memory_at(p, 0), BaseType::Float(_));
    // Any copy into a string's buffer, of a constant length too (a literal
    // copied into a new string), writes characters. (Not every copy out of
    // one: bytes copied into a double carry no derivative, and its adjoint
    // must be cleared.)
    points_into_string(dst)
        || args[2].const_int().is_none()
            && ((inst.call_arg_align(0) == 1
                && (is_memset(&name) || inst.call_arg_align(1) == 1)
                && bytes(dst)
                && bytes(src))
                || points_into_string(dst)
                || points_into_string(src)
                || (is_memcpy(&name)
                    && string_length_bytes(args[2], 0)
                    && no_float_at(dst)
                    && no_float_at(src)))
}

/// Whether the byte count `n` is a `std::string`'s length (a load of its
/// `_M_string_length`, by the TBAA tag), plus a constant or scaled by one
/// (a character's size), or a choice between such counts.
fn string_length_bytes(n: Value, depth: u32) -> bool {
    if depth > 6 || !n.is_instruction() {
        return false;
    }
    let konst = |v: Value| v.const_int().is_some();
    match n.opcode() {
        Opcode::LLVMLoad => ferment_type_analysis::tbaa::string_access(n) == Some(8),
        Opcode::LLVMAdd | Opcode::LLVMMul | Opcode::LLVMShl => {
            (string_length_bytes(n.operand(0), depth + 1) && konst(n.operand(1)))
                || (n.opcode() != Opcode::LLVMShl
                    && konst(n.operand(0))
                    && string_length_bytes(n.operand(1), depth + 1))
        }
        Opcode::LLVMZExt | Opcode::LLVMSExt | Opcode::LLVMTrunc | Opcode::LLVMFreeze => {
            string_length_bytes(n.operand(0), depth + 1)
        }
        Opcode::LLVMSelect => {
            string_length_bytes(n.operand(1), depth + 1)
                && string_length_bytes(n.operand(2), depth + 1)
        }
        Opcode::LLVMPHI => {
            let k = n.num_operands();
            k > 0 && (0..k).all(|i| string_length_bytes(n.operand(i as _), depth + 1))
        }
        _ => false,
    }
}

/// Whether `p` points into `std::string` buffers only: every object it is
/// based on is a string's data pointer (by its TBAA tag) or a buffer
/// libstdc++ made for a string.
pub fn points_into_string(p: Value) -> bool {
    let objects = ferment_activity_analysis::underlying_objects(p);
    !objects.is_empty()
        && objects
            .iter()
            .all(|o| is_string_buffer(*o) || is_string_create(*o))
}

/// Whether the shadow of pointer `p` may come from a caller, who may have
/// passed the primal memory as its own shadow (undefined in Enzyme, but
/// common: a struct's shadow copied from the struct, pointer fields and
/// all): `p` is based on an argument or on a pointer loaded from memory,
/// not only on this function's own allocations and globals. Memory calls
/// through such a pointer compare it with its shadow at run time, so that
/// their derivatives never write into the primal memory (see
/// `forward_memory_call`, `reverse::memory`).
pub fn shadow_from_caller(p: Value) -> bool {
    let objects = ferment_activity_analysis::underlying_objects(p);
    objects.is_empty()
        || objects.iter().any(|o| {
            o.is_argument()
                || (o.is_instruction() && o.opcode() == Opcode::LLVMLoad)
                || (o.is_call() && allocation_kind(*o).is_none())
        })
}

/// Whether `inst` is a `memcpy`/`memmove` of floats only (no pointers, no
/// integers) whose source, and not its destination, is `v`, a pointer that
/// may stand for its own shadow (constant data). Its derivative reads the
/// source's shadow only where that differs from the source, checked at run
/// time: forward mode zeroes the destination's tangents instead, reverse
/// mode clears the destination's adjoints without adding them to the
/// constant data.
pub fn float_copy_from(
    module: Module,
    types: Option<&ferment_type_analysis::FunctionTypes>,
    inst: Value,
    v: Value,
) -> bool {
    let Some(types) = types else {
        return false;
    };
    if !inst.is_call() || !is_memcpy(&inst.called_name()) {
        return false;
    }
    let args = inst.call_args();
    args[1] == v
        && args[0] != v
        && matches!(
            crate::retype::copy_layout(module, types, args[0], args[1], args[2]),
            crate::retype::CopyLayout::Floats(_)
        )
}

/// Reverse mode's forward sweep: a memcpy of memory holding pointers copies
/// their shadows too (the float parts' shadows hold adjoints, which only the
/// reverse sweep moves).
fn reverse_mode_copy_pointers(
    module: Module,
    b: &Builder,
    s: &Shadows,
    types: &ferment_type_analysis::FunctionTypes,
    inst: Value,
) {
    if !inst.is_call() {
        return;
    }
    let name = inst.called_name();
    if !is_memcpy(&name) {
        return;
    }
    let args = inst.call_args();
    let (Some(sd), Some(ss)) = (s.of_memory(b, args[0]), s.of_memory(b, args[1])) else {
        return;
    };
    match crate::retype::copy_layout(module, types, args[0], args[1], args[2]) {
        crate::retype::CopyLayout::NoFloats { pointers: true } => {
            b.after(inst);
            b.memmove(sd, ss, args[2]);
        }
        crate::retype::CopyLayout::Fields { pointers, .. } => {
            b.after(inst);
            let ptr = Type::ptr(module.context());
            for off in pointers {
                let v = b.load(ptr, b.gep_i8(ss, off));
                b.store(v, b.gep_i8(sd, off));
            }
        }
        _ => {}
    }
}

/// Whether the store `inst` writes an integer (not a pointer, not a
/// float) into memory that type analysis knows holds integers in all the
/// bytes written: a count, a hash, a string's length or characters. Such
/// a store is repeated on the shadow memory in both modes, so that shadow
/// structures stay in sync with the primal ones (a shadow container's
/// `size()`, its keys); those bytes are never adjoints or tangents, so
/// neither mode clears them as it clears integer constants
/// ([`stores_integer_constant`]).
pub fn mirrors_integer_store(
    module: Module,
    types: Option<&ferment_type_analysis::FunctionTypes>,
    inst: Value,
) -> bool {
    let Some(types) = types else {
        return false;
    };
    if !inst.is_instruction() || inst.opcode() != Opcode::LLVMStore || inst.is_volatile_or_atomic()
    {
        return false;
    }
    let (v, p) = (inst.operand(0), inst.operand(1));
    let ty = v.ty();
    if !(ty.is_integer() || (ty.is_vector() && ty.scalar().is_integer())) {
        return false;
    }
    let size = module.alloc_size(ty) as i64;
    let known = types.memory_types(p, 0, size.max(1));
    types.memory_at(p, 0) == BaseType::Integer
        && !known.is_empty()
        && known.iter().all(|(_, t)| *t == BaseType::Integer)
}

/// Reverse mode: a `memcpy`/`memmove`/`memset` of integers only
/// (`integer_only_memory_call`: a string's characters) is repeated on the
/// shadow memory in the forward sweep, from the source's shadow (or the
/// source itself, without one), so that shadow strings hold the primal's
/// characters. A destination that is its own shadow (mixed, or primal
/// memory a caller passed as its shadow) is left to the primal call: a
/// second `memmove` of overlapping bytes would move them again.
fn mirror_integer_memory_call(b: &Builder, s: &Shadows, inst: Value) {
    let name = inst.called_name();
    let args = inst.call_args();
    let Some(sd) = s.of_memory(b, args[0]) else {
        return;
    };
    b.after(inst);
    b.set_debug_loc_from(inst);
    let n = args[2];
    let apart = b.icmp(ferment_ir::IntPredicate::LLVMIntNE, sd, args[0]);
    let bytes = b.select(apart, n, b.zero(n.ty()));
    if is_memset(&name) {
        b.memset(sd, args[1], bytes);
    } else {
        let from = s.of_memory(b, args[1]).unwrap_or(args[1]);
        b.memmove(sd, from, bytes);
    }
}

/// Whether the store `inst` writes a string's data pointer (`_M_p`, by its
/// TBAA tag) loaded from another string ([`is_string_buffer`]): a move of
/// that string's characters, heap block and all.
fn moves_string_buffer(inst: Value) -> bool {
    let v = inst.operand(0);
    ferment_type_analysis::tbaa::string_access(inst) == Some(0)
        && is_string_buffer(v)
        && v.operand(0) != inst.operand(1)
}

/// The shadow to store for `store v, D._M_p`, where `v = load S._M_p` is
/// another string's data pointer ([`moves_string_buffer`]) whose shadow is
/// `shadow` (`None`: `v` stands for its own shadow) and `sp` the address of
/// `D`'s shadow data pointer. A library call that only the primal string
/// saw (`"x" + std::to_string(i)`'s `_M_replace`, `+=`) leaves the shadow
/// string behind: its data pointer is then `v` itself (`S` has no shadow)
/// or still `S`'s shadow's own short buffer while `v` is on the heap. Moved
/// as it is, the shadow `D` would share the primal's heap block (both
/// strings free it) or point into another string's short buffer (freed as
/// if from the heap). There the shadow string gets a block of its own from
/// `operator new` holding a copy of the characters: strings hold no
/// floating-point data, so a copy of the bytes is as good a shadow as the
/// bytes. Its size is `S`'s capacity + 1, read right after `v` is loaded
/// (16 where `v` is `S`'s own short buffer). It is freed where the primal
/// block is ([`mirror_string_free`], forward mode's mirrored frees), else it
/// stays with the shadow string, as `_M_create`'s shadow blocks do. Where
/// the destination may be its own shadow (a caller's container passed as
/// its own shadow), the shadow store there is the primal store, unchanged.
fn own_string_block(
    module: Module,
    b: &Builder,
    s: &Shadows,
    inst: Value,
    sp: Value,
    n: Value,
    shadow: Option<Value>,
) -> Value {
    use ferment_ir::IntPredicate::{LLVMIntEQ, LLVMIntNE};
    let (v, d) = (inst.operand(0), inst.operand(1));
    let ctx = module.context();
    let string = v.operand(0);
    b.set_debug_loc_from(inst);
    let local = b.gep_i8(string, 16);
    let ptr = Type::ptr(ctx);
    let new = declare(module, "_Znwm", ptr, &[b.i64()]);
    let (sv, mut stale) = match shadow {
        None if !shadow_from_caller(d) => {
            // stale on every path: the block, unconditionally
            let block = b.call_fn(new, &[n]);
            b.memcpy(block, v, n);
            return block;
        }
        None => (v, b.const_int(Type::int(ctx, 1), 1)),
        Some(sv) => {
            let mut stale = b.icmp(LLVMIntEQ, sv, v);
            if let Some(shadow_string) = s.of(b, string) {
                let shadow_local = b.gep_i8(shadow_string, 16);
                let behind = b.and_int(
                    b.icmp(LLVMIntEQ, sv, shadow_local),
                    b.icmp(LLVMIntNE, v, local),
                );
                stale = b.or_int(stale, behind);
            }
            (sv, stale)
        }
    };
    if shadow_from_caller(d) {
        stale = b.and_int(stale, b.icmp(LLVMIntNE, sp, d));
    }
    // Without a branch (the walk keeps the blocks as listed): a one-byte
    // block where the shadow is not stale, deleted again.
    let zero = b.const_int(b.i64(), 0);
    let one = b.const_int(b.i64(), 1);
    let block = b.call_fn(new, &[b.select(stale, n, one)]);
    b.memcpy(block, v, b.select(stale, n, zero));
    let delete = declare(module, "_ZdlPv", Type::void(ctx), &[ptr]);
    b.call_fn(delete, &[b.select(stale, b.zero(ptr), block)]);
    b.select(stale, block, sv)
}

/// The size of the block [`own_string_block`] gives a copy of the string
/// data pointer `v = load S._M_p`: `S`'s capacity + 1, read right after the
/// load (16 where `v` is `S`'s own short buffer, whose bytes there are
/// characters). Leaves the builder after those instructions.
fn string_block_size(b: &Builder, v: Value) -> Value {
    let i64t = b.i64();
    b.after(v);
    b.set_debug_loc_from(v);
    let local = b.gep_i8(v.operand(0), 16);
    let cap = b.load(i64t, local);
    let short = b.icmp(ferment_ir::IntPredicate::LLVMIntEQ, v, local);
    b.select(
        short,
        b.const_int(i64t, 16),
        b.add_int(cap, b.const_int(i64t, 1)),
    )
}

/// Reverse mode: a free of a string's character buffer (a string's data
/// pointer, by its TBAA tag, or a block from `_M_create`) frees the
/// shadow's buffer in the forward sweep too, unless that is the freed
/// block itself or the shadow string's own short buffer (the primal freed
/// a block the shadow string never got: grown by a library call that only
/// the primal string saw). Characters carry no adjoint, so nothing in the
/// reverse sweep reads that shadow again; each shadow block from
/// `_M_create` is freed here or stays with the shadow string holding it.
fn mirror_string_free(b: &Builder, s: &Shadows, inst: Value) {
    if !inst.is_call() {
        return;
    }
    let name = inst.called_name();
    if !matches!(name.as_str(), "_ZdlPv" | "_ZdlPvm") {
        return;
    }
    let p = inst.call_args()[0];
    let Some(sp) = s.get(p) else {
        return;
    };
    let data_pointer = p.is_instruction()
        && p.opcode() == Opcode::LLVMLoad
        && ferment_type_analysis::tbaa::string_access(p) == Some(0);
    // the string whose data pointer was loaded: its shadow's own buffer
    // lies 16 bytes into it
    let string = if is_string_create(p) {
        None
    } else if data_pointer {
        match s.get(p.operand(0)) {
            Some(at) => Some(at),
            None => return,
        }
    } else {
        return;
    };
    let Some(f) = inst.called_function() else {
        return;
    };
    b.after(inst);
    b.set_debug_loc_from(inst);
    let ptr = p.ty();
    let mut keep = b.icmp(ferment_ir::IntPredicate::LLVMIntEQ, sp, p);
    if let Some(at) = string {
        let local = b.gep_i8(at, 16);
        keep = b.or_int(keep, b.icmp(ferment_ir::IntPredicate::LLVMIntEQ, sp, local));
    }
    let mut args = inst.call_args();
    args[0] = b.select(keep, b.zero(ptr), sp);
    b.call_fn(f, &args);
}

/// Forward mode: memcpy/memmove/memset/free act on the tangent memory too.
/// The addresses go through `Shadows::of_memory`: a copy into or out of a
/// global at a constant offset (`memcpy(garr + 1, ...)`) takes a constant
/// expression, whose shadow is the same offset into the global's shadow.
/// `integer_only`: the call moves integers only (`integer_only_memory_call`),
/// whose tangents need no guard. Returns the shadow copy or set it made.
fn forward_memory_call(
    b: &Builder,
    s: &Shadows,
    inst: Value,
    integer_only: bool,
) -> Result<Option<Value>> {
    if !inst.is_call() {
        return Ok(None);
    }
    let name = inst.called_name();
    let args = inst.call_args();
    let mut copy = None;
    if is_memcpy(&name) {
        if let Some(sd) = s.of_memory(b, args[0]) {
            b.after(inst);
            let n = args[2];
            // A caller may have passed the primal memory as its own shadow
            // (`shadow_from_caller`): there the destination's "tangent" is
            // the primal data, which only the primal copy writes, and a
            // source equal to its shadow is constant data, whose tangent
            // is zero.
            let dst_own = shadow_from_caller(args[0])
                .then(|| b.icmp(ferment_ir::IntPredicate::LLVMIntEQ, sd, args[0]));
            match s.of_memory(b, args[1]) {
                Some(ss) => {
                    let from = match dst_own {
                        Some(own) => b.select(own, args[1], ss),
                        None => ss,
                    };
                    copy = Some(b.memmove(sd, from, n));
                    if !integer_only && shadow_from_caller(args[1]) {
                        let src_own = b.icmp(ferment_ir::IntPredicate::LLVMIntEQ, ss, args[1]);
                        let clear = match dst_own {
                            Some(own) => b.select(own, b.const_int(src_own.ty(), 0), src_own),
                            None => src_own,
                        };
                        let bytes = b.select(clear, n, b.zero(n.ty()));
                        b.memset(sd, b.const_int(b.i8(), 0), bytes);
                    }
                }
                None => {
                    let bytes = match dst_own {
                        Some(own) => b.select(own, b.zero(n.ty()), n),
                        None => n,
                    };
                    // Integers only (a string's characters from a literal
                    // or a constant key): the shadow holds the primal's
                    // bytes, as in reverse mode (`mirror_integer_memory_call`),
                    // so that a tangent container's keys match the primal's.
                    copy = Some(if integer_only {
                        b.memmove(sd, args[1], bytes)
                    } else {
                        b.memset(sd, b.const_int(b.i8(), 0), bytes)
                    });
                }
            };
        }
    } else if is_memset(&name) {
        if let Some(sd) = s.of_memory(b, args[0]) {
            b.after(inst);
            let n = args[2];
            let bytes = if shadow_from_caller(args[0]) {
                let own = b.icmp(ferment_ir::IntPredicate::LLVMIntEQ, sd, args[0]);
                b.select(own, b.zero(n.ty()), n)
            } else {
                n
            };
            // A set of integers (characters) sets the shadow's the same.
            let value = if integer_only {
                args[1]
            } else {
                b.const_int(b.i8(), 0)
            };
            copy = Some(b.memset(sd, value, bytes));
        }
    } else if is_free(&name) {
        let at = ferment_activity_analysis::freed_pointer_argument(&name);
        if let Some(sp) = s.get(args[at]) {
            if let Some(f) = inst.called_function() {
                b.after(inst);
                let mut fargs = args.clone();
                fargs[at] = sp;
                b.call_fn(f, &fargs);
            }
        }
    }
    Ok(copy)
}

/// Whether `i` calls `malloc_usable_size`.
fn asks_usable_size(i: Value) -> bool {
    i.is_call()
        && i.called_function()
            .is_some_and(|g| g.name() == "malloc_usable_size")
}

/// Bytes usable in the heap block `p` (glibc's `malloc_usable_size`), so
/// that a shadow's allocator slack is zeroed too; `requested` on targets
/// without it (GPUs).
fn usable_size(module: Module, b: &Builder, p: Value, requested: Value) -> Value {
    let ctx = module.context();
    let i64t = Type::int(ctx, 64);
    let triple = module.target_triple();
    // A user allocator (`__enzyme_allocation_like`) may hand out memory
    // malloc does not know.
    let user_allocated = p.is_call()
        && p.called_function().is_some_and(|f| {
            f.name()
                .starts_with(ferment_activity_analysis::ALLOC_LIKE_PREFIX)
        });
    if user_allocated
        || triple.contains("nvptx")
        || triple.contains("amdgcn")
        || triple.contains("wasm")
    {
        return b.int_cast(requested, i64t, false);
    }
    let f = declare(module, "malloc_usable_size", i64t, &[Type::ptr(ctx)]);
    b.call_fn(f, &[p])
}

/// A plain call with the same callee and arguments as `inst` (a call or
/// an invoke).
fn same_call(b: &Builder, inst: Value) -> Value {
    b.call(
        inst.called_fn_type(),
        inst.called_operand(),
        &inst.call_args(),
    )
}

/// libstdc++'s out-of-line functions that link container nodes (list hooks,
/// red-black tree insertion, rebalancing and iteration): they move pointers
/// only, so on shadowed nodes the same call on the shadows keeps the shadow
/// structure a mirror of the primal one. They carry no derivative.
pub fn is_mirrored_structure_call(name: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "_ZNSt8__detail15_List_node_base",
        "_ZSt29_Rb_tree_insert_and_rebalance",
        "_ZSt28_Rb_tree_rebalance_for_erase",
        "_ZSt18_Rb_tree_increment",
        "_ZSt18_Rb_tree_decrement",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The same call on the shadows of its pointer arguments, right after it;
/// its pointer result is the shadow of the primal result.
fn mirror_structure_call(b: &Builder, s: &mut Shadows, inst: Value) -> Result<()> {
    let args = inst.call_args();
    if !args
        .iter()
        .any(|a| a.ty().is_pointer() && s.get(*a).is_some())
    {
        return Ok(());
    }
    let mut shadow_args = Vec::with_capacity(args.len());
    for a in &args {
        if !a.ty().is_pointer() {
            shadow_args.push(*a);
            continue;
        }
        match s.of(b, *a) {
            Some(sa) => shadow_args.push(sa),
            None => return Err(missing(inst, *a)),
        }
    }
    b.after(inst);
    b.set_debug_loc_from(inst);
    let c = b.call(inst.called_fn_type(), inst.called_operand(), &shadow_args);
    if inst.ty().is_pointer() {
        s.map.insert(inst, c);
    }
    Ok(())
}

/// Whether a store of `v` writes integer constants (`store i64 0`, `store
/// <2 x i64> zeroinitializer`, the bits of a double): what LLVM makes of a
/// small `memset`, or of a `memcpy` from a constant table, also into memory
/// type analysis cannot tell holds floats (an element of an array it only
/// sees indexed by variables), where `retype` cannot give the store a float
/// type. A constant has no derivative: its tangent or adjoint is zero, and
/// both modes store zeros into the derivative memory rather than skip it (a
/// zero is also a null pointer's shadow; an integer's shadow carries
/// nothing). Bytes (flags) are left alone.
pub fn stores_integer_constant(v: Value) -> bool {
    let ty = v.ty();
    let int =
        (ty.is_integer() && ty.int_width() >= 16) || (ty.is_vector() && ty.scalar().is_integer());
    int && v.is_constant() && !v.is_constant_expr()
}

pub fn is_memcpy(name: &str) -> bool {
    ferment_activity_analysis::is_memcpy_like(name)
}

pub fn is_memset(name: &str) -> bool {
    ferment_activity_analysis::is_memset_like(name)
}

pub fn is_free(name: &str) -> bool {
    ferment_activity_analysis::is_free_like(name)
}

fn missing(inst: Value, operand: Value) -> Error {
    Error::at(
        inst,
        format!(
            "cannot find derivative memory for {} used by '{}': it is not duplicated",
            operand.short(),
            inst.describe()
        ),
    )
    .hint(
        "pass pointers to active data with enzyme_dup and a shadow (or mark the data enzyme_const)",
    )
}

fn unsupported(inst: Value) -> Error {
    Error::at(
        inst,
        format!(
            "cannot create derivative memory (a shadow) for '{}' yet",
            inst.describe()
        ),
    )
    .hint("allocate active buffers with malloc/calloc/new or on the stack")
}

/// Forward mode: before the call of the derivative `target` that lowers a
/// request, zeroes the shadow globals (`NAME.ferment.tangent[.<lane>]`) that
/// `target` and the functions it calls use. Their bodies do not: a
/// derivative called again (a recursion reading a memo table back, a helper
/// called twice) must see the tangents stored by the calls before it.
pub fn zero_shadow_globals(module: Module, b: &Builder, target: Value, level: u32) {
    let mut seen: HashSet<Value> = HashSet::new();
    let mut work = vec![target];
    let mut globals: Vec<Value> = Vec::new();
    while let Some(f) = work.pop() {
        if f.is_declaration() || !seen.insert(f) {
            continue;
        }
        for inst in f.instructions() {
            if let Some(callee) = inst.is_call().then(|| inst.called_function()).flatten() {
                work.push(callee);
            }
            for o in inst.operands() {
                if !o.ty().is_pointer() || !(o.is_global() || o.is_constant_expr()) {
                    continue;
                }
                for g in ferment_activity_analysis::underlying_objects(o) {
                    // `__shared__` shadows are cleared by the block inside
                    // the derivative (`gpu::shadow_shared_array`).
                    if g.is_global()
                        && is_tangent_global_name(&g.name(), level)
                        && g.address_space() != crate::gpu::SHARED_SPACE
                        && !globals.contains(&g)
                    {
                        globals.push(g);
                    }
                }
            }
        }
    }
    let i64t = Type::int(module.context(), 64);
    for g in globals {
        if is_thread_local(g) {
            // Each thread clears its own copy on first use ([`thread_shadow`]).
            let (_, request) = thread_shadow(module, g);
            b.atomic_add_int(request, b.const_int(i64t, 1));
            continue;
        }
        let size = module.alloc_size(g.global_value_type());
        b.memset(g, b.const_int(b.i8(), 0), b.const_int(i64t, size as i64));
    }
}

fn is_thread_local(g: Value) -> bool {
    g.is_global() && !g.is_function() && unsafe { llvm_sys::core::LLVMIsThreadLocal(g.0) != 0 }
}

/// The shadow of a thread-local variable (OpenMP `threadprivate`) is
/// thread-local too, and every thread's copy must start a request at zero,
/// though the request starts on one thread. A request bumps a counter
/// (`SHADOW.request`, shared) instead of clearing the shadow, and each
/// derivative using the shadow calls `SHADOW.clear_stale()` on entry, which
/// clears the running thread's copy when the thread last cleared it for an
/// earlier request (`SHADOW.seen`, thread-local). Every thread of an
/// OpenMP team runs the region's derivative, so each copy is cleared
/// before the thread's first use in the request. Returns
/// `(clear_stale, request)`.
fn thread_shadow(module: Module, sg: Value) -> (Value, Value) {
    let ctx = module.context();
    let i64t = Type::int(ctx, 64);
    let name = sg.name();
    let request = module.zeroed_global(&format!("{name}.request"), i64t, |_| ());
    let fresh_name = format!("{name}.clear_stale");
    if let Some(f) = module.function(&fresh_name) {
        return (f, request);
    }
    let seen = module.add_zeroed_global(&format!("{name}.seen"), i64t);
    unsafe {
        let mode = llvm_sys::core::LLVMGetThreadLocalMode(sg.0);
        llvm_sys::core::LLVMSetThreadLocalMode(seen.0, mode);
    }
    let f = module.add_function(&fresh_name, Type::function(Type::void(ctx), &[], false));
    f.set_internal();
    let b = Builder::new(module);
    let entry = f.append_block("entry");
    let clear = f.append_block("clear");
    let done = f.append_block("done");
    b.at_end(entry);
    let now = b.load(i64t, request);
    b.set_alignment(now, 8);
    b.make_atomic(now, true);
    let last = b.load(i64t, seen);
    let same = b.icmp(ferment_ir::IntPredicate::LLVMIntEQ, now, last);
    b.cond_br(same, done, clear);
    b.at_end(clear);
    let size = module.alloc_size(sg.global_value_type());
    b.memset(sg, b.const_int(b.i8(), 0), b.const_int(i64t, size as i64));
    b.store(now, seen);
    b.br(done);
    b.at_end(done);
    b.ret_void();
    (f, request)
}

/// A forward-mode shadow global of derivatives at `level`,
/// `NAME.ferment.tangent` or `NAME.ferment.tangent.<lane>` (level 1),
/// `NAME.ferment.tangent.levelL[.<lane>]` ([`shadow_global`]); not a
/// reverse-mode one, nor another level's, which a derivative differentiated
/// again uses as primal memory.
fn is_tangent_global_name(name: &str, level: u32) -> bool {
    let base = match name.rsplit_once('.') {
        Some((b, l)) if !l.is_empty() && l.bytes().all(|c| c.is_ascii_digit()) => b,
        _ => name,
    };
    if level > 1 {
        base.strip_suffix(&format!(".level{level}"))
            .is_some_and(|b| b.ends_with(".ferment.tangent"))
    } else {
        base.ends_with(".ferment.tangent")
    }
}
