//! Argument and return activity canonicalization (as Enzyme's MLIR work
//! does it), a visible step before code generation.
//!
//! Role: from what a request marks ([`Request`]: the user's markers and
//! defaults) and what its caller does with the results ([`CallerUse`]),
//! compute the activities a generator actually needs ([`Canonical`]):
//! - a derivative the caller never reads is not computed: an `enzyme_out`
//!   argument whose returned derivative is unused becomes `const`; a return
//!   tangent that is unused drops to `const`/`constnoneed`;
//! - a primal the caller never reads is not returned: `active` →
//!   `activenoneed`, `dup` → `dupnoneed`, `const` → `constnoneed` for the
//!   return; `dup` → `dupnoneed` for a pointer whose memory the caller never
//!   reads after the call;
//! - an argument that cannot influence an active output (not useful) yields
//!   a zero derivative without generated work: `active`/`dup` → `const`;
//! - a duplicated pointer whose memory no active instruction reads or
//!   writes (or, by type analysis, that holds only integers) needs no
//!   shadow: `dup`/`dupnoneed` → `const`;
//! - an active return that depends on no active input needs no seed.
//!
//! The result only ever lowers activities, so the fixed point (re-analyzing
//! after each round) terminates. The calling convention stays that of the
//! request: a slot whose activity was lowered still exists, it holds zero
//! (derivatives) or is left unspecified (primal values). Never mutates IR.

use crate::analysis::Activity;
use crate::caller::CallerUse;
use crate::calls::Context;
use crate::Seeds;
use ferment_ir::{Opcode, Value};
use hashbrown::HashSet;
use std::fmt;

/// Which derivative a request asks for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Mode {
    /// Reverse mode (`__enzyme_autodiff`, split mode).
    Reverse,
    /// Forward mode (`__enzyme_fwddiff`).
    Forward,
}

/// The activity of one argument.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ArgActivity {
    /// No derivative (`enzyme_const`).
    Const,
    /// Active scalar; reverse mode returns its derivative (`enzyme_out`).
    Active,
    /// Primal and shadow (a pointer) or tangent (a forward-mode scalar)
    /// (`enzyme_dup`).
    Dup,
    /// Like `Dup`, but the primal memory's contents afterwards are not
    /// needed (`enzyme_dupnoneed`).
    DupNoNeed,
}

impl ArgActivity {
    /// The name used by the printer (Enzyme-MLIR's spelling).
    pub fn name(self) -> &'static str {
        match self {
            ArgActivity::Const => "const",
            ArgActivity::Active => "active",
            ArgActivity::Dup => "dup",
            ArgActivity::DupNoNeed => "dupnoneed",
        }
    }

    pub fn has_shadow(self) -> bool {
        matches!(self, ArgActivity::Dup | ArgActivity::DupNoNeed)
    }
}

impl fmt::Display for ArgActivity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The activity of the return value: whether its derivative (reverse: the
/// seed; forward: the returned tangent) and its primal value are computed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum RetActivity {
    /// The function returns nothing.
    Void,
    /// Reverse: derivative seeded, primal returned.
    Active,
    /// Reverse: derivative seeded, primal not returned.
    ActiveNoNeed,
    /// Forward: tangent and primal returned.
    Dup,
    /// Forward: tangent returned, primal not.
    DupNoNeed,
    /// No derivative; primal returned.
    Const,
    /// Neither derivative nor primal.
    ConstNoNeed,
}

impl RetActivity {
    /// The name used by the printer (Enzyme-MLIR's spelling).
    pub fn name(self) -> &'static str {
        match self {
            RetActivity::Void => "void",
            RetActivity::Active => "active",
            RetActivity::ActiveNoNeed => "activenoneed",
            RetActivity::Dup => "dup",
            RetActivity::DupNoNeed => "dupnoneed",
            RetActivity::Const => "const",
            RetActivity::ConstNoNeed => "constnoneed",
        }
    }

    /// The return's derivative is seeded (reverse) or computed (forward).
    pub fn wants_derivative(self) -> bool {
        matches!(
            self,
            RetActivity::Active
                | RetActivity::ActiveNoNeed
                | RetActivity::Dup
                | RetActivity::DupNoNeed
        )
    }

    /// The primal return value is computed and returned.
    pub fn wants_primal(self) -> bool {
        matches!(
            self,
            RetActivity::Active | RetActivity::Dup | RetActivity::Const
        )
    }

    fn of(mode: Mode, derivative: bool, primal: bool) -> RetActivity {
        match (mode, derivative, primal) {
            (Mode::Reverse, true, true) => RetActivity::Active,
            (Mode::Reverse, true, false) => RetActivity::ActiveNoNeed,
            (Mode::Forward, true, true) => RetActivity::Dup,
            (Mode::Forward, true, false) => RetActivity::DupNoNeed,
            (_, false, true) => RetActivity::Const,
            (_, false, false) => RetActivity::ConstNoNeed,
        }
    }
}

impl fmt::Display for RetActivity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a request marks, before canonicalization.
#[derive(Clone, Debug)]
pub struct Request {
    pub mode: Mode,
    /// Per parameter of the differentiated function.
    pub args: Vec<ArgActivity>,
    /// The return value's activity as marked: `Active` (reverse) or `Dup`
    /// (forward) when its derivative is asked for, `Const` otherwise,
    /// `Void` when there is none.
    pub ret: RetActivity,
    /// The call returns the primal return value too.
    pub returns_primal: bool,
    /// What the caller reads of the results; `None`: everything.
    pub uses: Option<CallerUse>,
}

impl Request {
    /// The activities a request with no markers gets (INTERFACE.md): floats
    /// active (reverse) or duplicated (forward), pointers duplicated,
    /// anything else constant; a float return active.
    pub fn defaults(function: Value, mode: Mode) -> Request {
        let float = match mode {
            Mode::Reverse => ArgActivity::Active,
            Mode::Forward => ArgActivity::Dup,
        };
        let args = function
            .params()
            .iter()
            .map(|p| {
                if p.ty().is_pointer() {
                    ArgActivity::Dup
                } else if p.ty().is_fp_like() {
                    float
                } else {
                    ArgActivity::Const
                }
            })
            .collect();
        let ret_ty = function.global_value_type().fn_return();
        let ret = if ret_ty.is_void() {
            RetActivity::Void
        } else if ret_ty.is_fp_like() {
            match mode {
                Mode::Reverse => RetActivity::Active,
                Mode::Forward => RetActivity::Dup,
            }
        } else {
            RetActivity::Const
        };
        Request {
            mode,
            args,
            ret,
            returns_primal: false,
            uses: None,
        }
    }

    /// The analysis seeds of these activities on `function`.
    pub fn seeds(&self, function: Value) -> Seeds {
        seeds_of(&function.params(), &self.args, self.ret.wants_derivative())
    }
}

/// The analysis seeds of argument activities on `params`.
pub fn seeds_of(params: &[Value], args: &[ArgActivity], active_return: bool) -> Seeds {
    let ptr = |i: usize| params.get(i).is_some_and(|p| p.ty().is_pointer());
    Seeds {
        active_args: args
            .iter()
            .enumerate()
            .map(|(i, a)| !ptr(i) && *a != ArgActivity::Const)
            .collect(),
        shadow_args: args
            .iter()
            .enumerate()
            .map(|(i, a)| ptr(i) && a.has_shadow())
            .collect(),
        active_return,
        context_globals: false,
        shadow_globals: Vec::new(),
    }
}

/// Why canonicalization lowered an activity.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reason {
    /// The argument cannot influence an active output.
    NotUseful,
    /// The caller never reads the derivative returned for the argument.
    DerivativeUnused,
    /// No active instruction reads or writes the memory the pointer reaches.
    ShadowUnused,
    /// Type analysis: the memory the pointer reaches holds only integers.
    IntegerMemory,
    /// The caller never reads the pointer's memory after the call.
    PrimalMemoryUnused,
    /// The request does not return the primal return value.
    PrimalNotReturned,
    /// The caller never reads the returned primal value.
    PrimalUnused,
    /// The caller never reads the returned tangent.
    ReturnDerivativeUnused,
    /// The return value depends on no active input.
    NotVaried,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::NotUseful => "it cannot influence an active output",
            Reason::DerivativeUnused => "the caller never reads its derivative",
            Reason::ShadowUnused => "no active instruction reads or writes its memory",
            Reason::IntegerMemory => "it points to integer-only memory",
            Reason::PrimalMemoryUnused => "the caller never reads its memory after the call",
            Reason::PrimalNotReturned => "the request does not return the primal value",
            Reason::PrimalUnused => "the caller never reads the primal return value",
            Reason::ReturnDerivativeUnused => "the caller never reads the returned tangent",
            Reason::NotVaried => "the return value depends on no active input",
        })
    }
}

/// The activities after canonicalization, and the analysis under them.
#[derive(Debug)]
pub struct Canonical {
    pub args: Vec<ArgActivity>,
    pub ret: RetActivity,
    /// Per argument: why its activity was lowered (empty: unchanged).
    pub arg_reasons: Vec<Vec<Reason>>,
    pub ret_reasons: Vec<Reason>,
    /// The seeds of the canonical activities.
    pub seeds: Seeds,
    /// The analysis of the function under `seeds`.
    pub activity: Activity,
}

/// Canonicalizes `request` on `function` (see the module documentation).
pub fn canonicalize(function: Value, request: &Request, ctx: &Context) -> Canonical {
    let params = function.params();
    let n = request.args.len();
    let uses = request
        .uses
        .clone()
        .unwrap_or_else(|| CallerUse::everything(n));
    let is_ptr = |i: usize| params.get(i).is_some_and(|p| p.ty().is_pointer());
    let used = |v: &[bool], i: usize| v.get(i).copied().unwrap_or(true);
    let mut args = request.args.clone();
    let mut arg_reasons = vec![Vec::new(); n];
    // What the caller never reads need not be computed.
    for i in 0..n {
        match args[i] {
            ArgActivity::Active
                if request.mode == Mode::Reverse && !used(&uses.derivative_used, i) =>
            {
                args[i] = ArgActivity::Const;
                arg_reasons[i].push(Reason::DerivativeUnused);
            }
            ArgActivity::Dup if is_ptr(i) && !used(&uses.primal_memory_used, i) => {
                args[i] = ArgActivity::DupNoNeed;
                arg_reasons[i].push(Reason::PrimalMemoryUnused);
            }
            _ => {}
        }
    }
    let mut ret_reasons = Vec::new();
    let void = request.ret == RetActivity::Void;
    let mut derivative = !void && request.ret.wants_derivative();
    if derivative && request.mode == Mode::Forward && !uses.return_derivative_used {
        derivative = false;
        ret_reasons.push(Reason::ReturnDerivativeUnused);
    }
    let primal = if void {
        false
    } else if !request.returns_primal {
        ret_reasons.push(Reason::PrimalNotReturned);
        false
    } else if !uses.primal_return_used {
        ret_reasons.push(Reason::PrimalUnused);
        false
    } else {
        true
    };
    // What cannot matter given the analysis; each round only lowers.
    loop {
        let seeds = seeds_of(&params, &args, derivative);
        let activity = Activity::analyze_with(function, &seeds, ctx);
        let mut changed = false;
        if derivative && !returns_varied(function, &activity) {
            derivative = false;
            ret_reasons.push(Reason::NotVaried);
            changed = true;
        }
        for i in 0..n.min(params.len()) {
            let p = params[i];
            let reason = match args[i] {
                ArgActivity::Const => None,
                _ if !is_ptr(i) => (!activity.is_useful(p)).then_some(Reason::NotUseful),
                ArgActivity::Dup | ArgActivity::DupNoNeed if ctx.integer_only_memory(p) => {
                    Some(Reason::IntegerMemory)
                }
                ArgActivity::Dup | ArgActivity::DupNoNeed => {
                    (!shadow_needed(&activity, p)).then_some(Reason::ShadowUnused)
                }
                ArgActivity::Active => None,
            };
            if let Some(r) = reason {
                args[i] = ArgActivity::Const;
                arg_reasons[i].push(r);
                changed = true;
            }
        }
        if !changed {
            let ret = if void {
                RetActivity::Void
            } else {
                RetActivity::of(request.mode, derivative, primal)
            };
            return Canonical {
                args,
                ret,
                arg_reasons,
                ret_reasons,
                seeds,
                activity,
            };
        }
    }
}

/// Whether some returned value depends on an active input.
fn returns_varied(function: Value, activity: &Activity) -> bool {
    function.instructions().into_iter().any(|r| {
        r.opcode() == Opcode::LLVMRet && r.num_operands() == 1 && activity.is_varied(r.operand(0))
    })
}

/// Whether some active instruction reads or writes memory reached from the
/// shadowed pointer `p` (through derived pointers and pointers loaded from
/// that memory).
fn shadow_needed(activity: &Activity, p: Value) -> bool {
    let mut seen = HashSet::new();
    let mut work = vec![p];
    while let Some(v) = work.pop() {
        if !seen.insert(v) {
            continue;
        }
        for u in v.users() {
            if activity.is_active_instruction(u) {
                return true;
            }
            if u.ty().is_pointer() && activity.is_shadowed(u) {
                work.push(u);
            }
        }
    }
    false
}
