//! How the analysis sees a call, and the per-callee summaries.
//!
//! Role: classify each call (inactive, memory transfer, fill, allocation,
//! free, summarized callee, opaque callee) and, for callees the caller lets
//! it look into, compute a [`Summary`] per callee and argument activity by
//! analyzing the callee's body. Summaries are cached in the [`Context`];
//! recursion gets a conservative summary. Reads IR only.

use crate::analysis::Activity;
use crate::memory::{allocation_kind, is_free_like, is_memcpy_like, is_memset_like};
use crate::Seeds;
use ferment_ir::Value;
use ferment_type_analysis::{BaseType, FunctionTypes};
use hashbrown::HashMap;
use std::cell::RefCell;
use std::rc::Rc;

/// How calls to other functions propagate activity.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CallPolicy {
    /// A call's result depends only on its varied by-value arguments, and
    /// usefulness flows from the result to the arguments. Pointer arguments
    /// are ignored. This is what the generators were built against (their
    /// callees are usually inlined into the canonical copy first).
    ByValue,
    /// Callees the context may summarize are analyzed under the call's
    /// argument activities; other calls are treated conservatively: a
    /// shadowed pointer argument makes the result varied (a float) or
    /// shadowed (a pointer), its float arguments useful (they may be
    /// written through it) and the call an active instruction.
    Interprocedural,
}

/// What a known library routine (a BLAS or MPI call) does with one argument.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ArgEffect {
    /// Carries no derivative (a dimension, a stride, a flag).
    Inert,
    /// Read: a float by value, or memory read through a pointer.
    Read,
    /// Memory written (and possibly read) through a pointer.
    Written,
    /// Memory written with floats that may carry derivatives whatever this
    /// function's own activities are: data received from another process
    /// (an MPI receive). The memory always gets a shadow.
    Received,
    /// Memory written with values that never carry a derivative (LAPACK's
    /// pivot indices and status): the write matters to what may be read
    /// again later, not to activity.
    WrittenInert,
}

impl ArgEffect {
    /// Whether the routine writes through the argument.
    pub fn writes(self) -> bool {
        matches!(
            self,
            ArgEffect::Written | ArgEffect::Received | ArgEffect::WrittenInert
        )
    }
}

/// Says, for a call to a known routine, what it does with each argument
/// (`None`: not a known routine).
pub type KnownCalls<'a> = &'a dyn Fn(Value) -> Option<Vec<ArgEffect>>;

/// What the analysis may ask about calls and memory.
pub struct Context<'a> {
    inactive_call: &'a dyn Fn(Value) -> bool,
    known: Option<KnownCalls<'a>>,
    policy: CallPolicy,
    summarize: Option<&'a dyn Fn(Value) -> bool>,
    types: Option<&'a FunctionTypes>,
    assume_useful: bool,
    context_globals: bool,
    pointer_copy_sources: bool,
    cache: RefCell<HashMap<SummaryKey, Rc<Summary>>>,
    in_progress: RefCell<Vec<Value>>,
    /// Per callee: [`crate::carried_globals_of`].
    globals: RefCell<HashMap<Value, Rc<Vec<Value>>>>,
}

impl<'a> Context<'a> {
    /// The by-value policy; `inactive_call` says whether a call is known to
    /// propagate no derivative (printf, rand, a user-annotated function...).
    pub fn new(inactive_call: &'a dyn Fn(Value) -> bool) -> Context<'a> {
        Context {
            inactive_call,
            known: None,
            policy: CallPolicy::ByValue,
            summarize: None,
            types: None,
            assume_useful: false,
            context_globals: false,
            pointer_copy_sources: false,
            cache: RefCell::new(HashMap::new()),
            in_progress: RefCell::new(Vec::new()),
            globals: RefCell::new(HashMap::new()),
        }
    }

    /// The interprocedural policy; `summarize` says which callees may be
    /// analyzed from their body (defined, no custom derivative: see
    /// [`crate::ModuleAnnotations::may_summarize`]).
    pub fn interprocedural(mut self, summarize: &'a dyn Fn(Value) -> bool) -> Context<'a> {
        self.policy = CallPolicy::Interprocedural;
        self.summarize = Some(summarize);
        self
    }

    /// Routines whose effect on each argument is known (BLAS): their
    /// written pointers receive active data when any argument they read
    /// carries a derivative, and read-only pointers need no shadow.
    pub fn with_known_calls(mut self, known: KnownCalls<'a>) -> Context<'a> {
        self.known = Some(known);
        self
    }

    /// Type-analysis facts: memory known to hold only integers carries no
    /// derivative (a `memcpy` of it is not an active instruction, a
    /// duplicated pointer to it needs no shadow).
    pub fn with_types(mut self, types: &'a FunctionTypes) -> Context<'a> {
        self.types = Some(types);
        self
    }

    /// Measurement switch: every float-carrying value counts as useful, so
    /// every varied value is active (no backward pruning). Derivatives stay
    /// correct, only bigger; compare instruction counts and run times with
    /// and without it.
    pub fn assume_useful(mut self, on: bool) -> Context<'a> {
        self.assume_useful = on;
        self
    }

    /// Callees are summarized under [`Seeds::context_globals`] (the
    /// caller's derivative takes global shadows from an Enzyme context, and
    /// so do its callees' derivatives).
    pub fn context_globals(mut self, on: bool) -> Context<'a> {
        self.context_globals = on;
        self
    }

    /// The globals `callee` (and what it calls) may read or write that a
    /// call carries to its derivative when the caller shadows them.
    pub fn carried_globals(&self, callee: Value) -> Rc<Vec<Value>> {
        if let Some(g) = self.globals.borrow().get(&callee) {
            return g.clone();
        }
        let g = Rc::new(crate::carried_globals_of(callee, self.context_globals));
        self.globals.borrow_mut().insert(callee, g.clone());
        g
    }

    pub(crate) fn assumes_useful(&self) -> bool {
        self.assume_useful
    }

    pub fn policy(&self) -> CallPolicy {
        self.policy
    }

    pub(crate) fn is_inactive_call(&self, call: Value) -> bool {
        (self.inactive_call)(call)
    }

    /// Whether type analysis knows the memory `p` points to holds integers
    /// only (no float, no pointer anywhere in it).
    pub fn integer_only_memory(&self, p: Value) -> bool {
        let Some(types) = self.types else {
            return false;
        };
        let tree = types.pointee(p);
        !tree.is_empty()
            && tree
                .iter()
                .all(|(path, t)| path.len() == 1 && t == BaseType::Integer)
    }

    /// Whether the bytes a `memcpy`/`memset` of `len` bytes (run-time
    /// lengths: the first 64) touches at `p` are known to hold integers
    /// only: [`Context::integer_only_memory`], and every 8-byte-aligned
    /// offset of the range known to start an integer. (A tree that knows
    /// one integer field of a struct whose float fields it lost says
    /// nothing about them: the copy may carry derivatives.)
    pub fn integer_only_bytes(&self, p: Value, len: Value) -> bool {
        if !self.integer_only_memory(p) {
            return false;
        }
        let Some(types) = self.types else {
            return false;
        };
        let n = len.const_int().filter(|n| *n > 0).unwrap_or(64).min(256);
        (0..n)
            .step_by(8)
            .all(|k| types.memory_at(p, k) == BaseType::Integer)
    }

    /// With `on`, a `memcpy` of a pointer from memory without shadow into
    /// shadowed memory asks for a shadow of its source
    /// ([`Context::copies_pointer`]). Only `-ferment-no-inline` turns it on:
    /// there kept callees (a `unique_ptr` move constructor, `std::function`'s
    /// `_M_create`) copy pointers by `memcpy` between objects that the
    /// caller's analysis does not see. (Default builds keep the earlier
    /// rule: turned on for them, forward mode of
    /// `cpp/string_concat_loop_keys.cpp` freed a stack address, and Eigen's
    /// -O0 copies of expressions over constant data were refused.)
    pub fn pointer_copy_sources(mut self, on: bool) -> Context<'a> {
        self.pointer_copy_sources = on;
        self
    }

    /// Whether type analysis knows that a `memcpy`/`memmove` of `len`
    /// bytes (a constant) from `s` to `d` in `f` copies a pointer: one of
    /// the two ranges holds one. (Unknown bytes, a run-time length, or
    /// [`Context::pointer_copy_sources`] off say no: a guessed range would
    /// reach the fields after a string's characters.)
    pub fn copies_pointer(&self, f: Value, s: Value, d: Value, len: Value) -> bool {
        if !self.pointer_copy_sources {
            return false;
        }
        let Some(types) = self.types.filter(|t| t.covers(f)) else {
            return false;
        };
        let Some(n) = len.const_int().filter(|n| *n > 0) else {
            return false;
        };
        let n = n.min(256);
        [s, d].iter().any(|p| {
            types
                .memory_types(*p, 0, n)
                .iter()
                .any(|(_, t)| *t == BaseType::Pointer)
        })
    }

    /// How the analysis treats `call`, given what it knows so far.
    pub(crate) fn classify(&self, call: Value, activity: &Activity) -> CallKind {
        if self.is_inactive_call(call) {
            return CallKind::Inactive;
        }
        let callee = call.called_function();
        let name = callee.map(|f| f.name()).unwrap_or_default();
        let nargs = call.num_call_args();
        if is_memcpy_like(&name) && nargs >= 2 {
            return CallKind::MemTransfer;
        }
        if is_memset_like(&name) && nargs >= 1 {
            return CallKind::MemSet;
        }
        if allocation_kind(call).is_some() {
            return CallKind::Alloc;
        }
        if is_free_like(&name) {
            return CallKind::Free;
        }
        if let Some(effects) = self.known.and_then(|k| k(call)) {
            return CallKind::Known(effects);
        }
        if self.policy == CallPolicy::ByValue {
            return CallKind::Opaque;
        }
        let Some(callee) = callee else {
            return CallKind::Opaque;
        };
        let may = self.summarize.is_some_and(|s| s(callee));
        let args = call.call_args();
        if !may || callee.params().len() != args.len() {
            return CallKind::Opaque;
        }
        let key = SummaryKey {
            callee,
            varied: args.iter().map(|a| activity.is_varied(*a)).collect(),
            shadowed: args
                .iter()
                .map(|a| a.ty().is_pointer() && activity.is_shadowed(*a))
                .collect(),
            globals: self
                .carried_globals(callee)
                .iter()
                .copied()
                .filter(|g| activity.is_shadowed(*g))
                .collect(),
        };
        CallKind::Summarized(self.summary(key))
    }

    fn summary(&self, key: SummaryKey) -> Rc<Summary> {
        if let Some(s) = self.cache.borrow().get(&key) {
            return s.clone();
        }
        if self.in_progress.borrow().contains(&key.callee) {
            // Recursion: assume the worst; not cached, so the outermost
            // analysis of the callee still gets its precise summary.
            let globals = self.carried_globals(key.callee);
            return Rc::new(Summary::conservative(&key, &globals));
        }
        self.in_progress.borrow_mut().push(key.callee);
        let s = Rc::new(Summary::compute(self, &key));
        self.in_progress.borrow_mut().pop();
        self.cache.borrow_mut().insert(key, s.clone());
        s
    }
}

/// How the analysis treats one call.
pub(crate) enum CallKind {
    /// Known to propagate no derivative.
    Inactive,
    /// `memcpy`/`memmove`: copies data (and derivatives) between objects.
    MemTransfer,
    /// `memset`: overwrites data (the shadow must be cleared).
    MemSet,
    /// Creates an object (shadowed on demand, like an `alloca`).
    Alloc,
    /// Releases an object.
    Free,
    /// A callee analyzed under this call's argument activities.
    Summarized(Rc<Summary>),
    /// A library routine with a known effect per argument.
    Known(Vec<ArgEffect>),
    /// Anything else: see [`CallPolicy`].
    Opaque,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct SummaryKey {
    callee: Value,
    varied: Vec<bool>,
    shadowed: Vec<bool>,
    /// The callee's carried globals the caller shadows.
    globals: Vec<Value>,
}

/// What a callee does with the activities of one call's arguments.
#[derive(Debug)]
pub(crate) struct Summary {
    /// The returned value depends on an active input (a float), or points
    /// into shadowed memory (a pointer).
    pub ret_varied: bool,
    /// Per argument: can influence the returned value.
    pub useful_via_return: Vec<bool>,
    /// Per argument: can influence data written to shadowed memory.
    pub useful_via_memory: Vec<bool>,
    /// The callee does derivative work even when its result is unused.
    pub active_inside: bool,
    /// Per argument: a pointer through which the callee stores active data
    /// although the call passes no shadow for it.
    pub wants_shadow: Vec<bool>,
    /// Carried globals the callee stores active data into (or was given
    /// shadowed): after the call they hold derivatives.
    pub shadowed_globals: Vec<Value>,
}

impl Summary {
    fn conservative(key: &SummaryKey, globals: &[Value]) -> Summary {
        let n = key.varied.len();
        let any = key.varied.iter().chain(&key.shadowed).any(|b| *b) || !key.globals.is_empty();
        let params = key.callee.params();
        Summary {
            ret_varied: any,
            useful_via_return: vec![true; n],
            useful_via_memory: vec![key.shadowed.iter().any(|b| *b) || !key.globals.is_empty(); n],
            active_inside: key.shadowed.iter().any(|b| *b) || !key.globals.is_empty(),
            wants_shadow: params
                .iter()
                .zip(&key.shadowed)
                .map(|(p, s)| any && !s && p.ty().is_pointer())
                .collect(),
            shadowed_globals: if any { globals.to_vec() } else { Vec::new() },
        }
    }

    fn compute(ctx: &Context, key: &SummaryKey) -> Summary {
        let f = key.callee;
        let params = f.params();
        let mut seeds = Seeds {
            active_args: key.varied.clone(),
            shadow_args: key.shadowed.clone(),
            active_return: true,
            context_globals: ctx.context_globals,
            shadow_globals: key.globals.clone(),
        };
        let with_ret = Activity::analyze_with(f, &seeds, ctx);
        seeds.active_return = false;
        let without_ret = Activity::analyze_with(f, &seeds, ctx);
        let ret_varied = f.instructions().into_iter().any(|r| {
            r.opcode() == ferment_ir::Opcode::LLVMRet && r.num_operands() == 1 && {
                let v = r.operand(0);
                with_ret.is_varied(v) || (v.ty().is_pointer() && with_ret.is_shadowed(v))
            }
        });
        // The analysis follows pointers through memory, not through struct
        // or array values: in a body as the host left it (a summary reads
        // the original callee; only the derivative's own copy has such
        // calls rewritten to `.ferment.outret`), a pair of pointers a callee
        // returns by value (-O0 C, C++ expression templates) loses its
        // shadows, and what the call reads through them would count as
        // inactive. Such a body gets the conservative answer for the return
        // and the arguments' usefulness.
        let blind = has_pointer_aggregates(f);
        let any = key.varied.iter().chain(&key.shadowed).any(|b| *b) || !key.globals.is_empty();
        let shadowed_any = key.shadowed.iter().any(|b| *b) || !key.globals.is_empty();
        Summary {
            ret_varied: ret_varied || (blind && any),
            useful_via_return: params
                .iter()
                .map(|p| blind || with_ret.is_useful(*p))
                .collect(),
            useful_via_memory: params
                .iter()
                .map(|p| (blind && shadowed_any) || without_ret.is_useful(*p))
                .collect(),
            active_inside: (blind && shadowed_any) || without_ret.has_active_instructions(),
            wants_shadow: params
                .iter()
                .map(|p| with_ret.wants_shadow_for(*p))
                .collect(),
            shadowed_globals: ctx
                .carried_globals(f)
                .iter()
                .copied()
                .filter(|g| with_ret.is_shadowed(*g) || without_ret.is_shadowed(*g))
                .collect(),
        }
    }
}

/// Whether `f` moves pointers inside struct or array values (a call or its
/// own `ret` of `{ptr, ptr}`, an `insertvalue`/`extractvalue`/`load` of
/// one), which [`Activity`] does not follow.
fn has_pointer_aggregates(f: Value) -> bool {
    let aggregate = |t: ferment_ir::Type| (t.is_struct() || t.is_array()) && t.contains_pointer();
    aggregate(f.global_value_type().fn_return())
        || f.instructions().into_iter().any(|i| aggregate(i.ty()))
}
