//! Parsing one `__enzyme_*` call into a typed [`Request`].
//!
//! Each parameter of the differentiated function consumes call arguments; a
//! marker (a load of, or the address of, a global named `enzyme_*`, or a
//! metadata string) set before an argument decides its activity. Whole-call
//! markers (`enzyme_width`, `enzyme_primal_return`, ...) may appear anywhere.

use crate::error::{Error, Result};
use crate::shim;
use ferment_ir::{Opcode, Type, Value};

/// The part of a split-mode derivative a call asks for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Part {
    /// Combined reverse mode or forward mode: the whole derivative.
    Whole,
    /// `__enzyme_augmentfwd`: primal and tape.
    Augmented,
    /// `__enzyme_reverse`: the reverse sweep, consuming a tape.
    Reverse,
    /// `__enzyme_augmentsize`: the tape's size in bytes.
    TapeSize,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Mode {
    /// `__enzyme_autodiff`: forward and reverse sweeps in one call.
    Reverse,
    /// `__enzyme_fwddiff`: tangent propagation.
    Forward,
}

/// Whether reverse mode runs both sweeps in one function or in two.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Shape {
    /// One function: forward sweep, then reverse sweep.
    Combined,
    /// An augmented forward function returning a tape, and a reverse
    /// function consuming it.
    Split,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Activity {
    /// No derivative (`enzyme_const`).
    Const,
    /// Active scalar whose derivative is returned (`enzyme_out`).
    Active,
    /// Primal followed by its shadow/tangent (`enzyme_dup`).
    Dup,
    /// Like `Dup`, but the primal result is not needed (`enzyme_dupnoneed`).
    DupNoNeed,
}

impl Activity {
    pub fn has_shadow(self) -> bool {
        matches!(self, Activity::Dup | Activity::DupNoNeed)
    }
    pub fn marker_name(self) -> &'static str {
        match self {
            Activity::Const => "enzyme_const",
            Activity::Active => "enzyme_out",
            Activity::Dup => "enzyme_dup",
            Activity::DupNoNeed => "enzyme_dupnoneed",
        }
    }
}

/// One parameter of the differentiated function, as the call supplies it.
#[derive(Clone, Debug)]
pub struct ArgSpec {
    pub activity: Activity,
    /// The call operand for the primal value.
    pub primal: Value,
    /// The call operand for the shadow (tangent), for `Dup`/`DupNoNeed`.
    pub shadow: Option<Value>,
    /// Batched mode (`enzyme_width N`): the shadows of lanes 1..N (lane 0
    /// is `shadow`), or, for `enzyme_dupv`, the byte stride between the
    /// lanes' shadows, which start at `shadow`.
    pub lanes: Vec<Value>,
    pub lane_stride: Option<Value>,
}

/// The derivative a call asks for.
#[derive(Clone, Debug)]
pub struct Request {
    pub call: Value,
    pub shape: Shape,
    /// Split mode: which part the call asks for.
    pub part: Part,
    /// The `__enzyme_*` function's name.
    pub entry: String,
    pub mode: Mode,
    pub function: Value,
    pub args: Vec<ArgSpec>,
    /// Reverse: the return value is seeded with 1.0. Forward: its tangent is
    /// returned.
    pub return_active: bool,
    /// The primal return value is returned too.
    pub return_primal: bool,
    /// Hidden struct-return pointer of the call (C ABI for big structs).
    pub sret: Option<Value>,
    /// Marker values (loads of `enzyme_*` globals) to clean up.
    pub markers: Vec<Value>,
    /// `__enzyme_reverse`: arguments after the parameters (adjoint of the
    /// return value when active, then the tape).
    pub trailing: Vec<Value>,
    /// Forward mode of a function returning a struct through a hidden
    /// `sret` first parameter: the struct's type. Parameter 0 is then
    /// duplicated, its primal and N shadows are buffers the caller's frame
    /// provides (`materialize_sret`), and the call returns the N tangent
    /// structs read from the shadows (the primal struct first when asked).
    pub sret_result: Option<Type>,
    /// The `byval` struct type of each `trailing` argument the C ABI passes
    /// in memory (batched: a struct of the N adjoints of the return).
    pub trailing_byval: Vec<Option<Type>>,
    /// `enzyme_nofree`: the reverse sweep does not free the tape.
    pub nofree: bool,
    /// `enzyme_tape p` (with `enzyme_allocated n`): split mode keeps the
    /// tape in the caller's memory at `p` (of `n` bytes) instead of
    /// returning it / taking it as the last argument.
    pub tape_memory: Option<Value>,
    pub tape_allocated: Option<Value>,
    /// `enzyme_width N`: the number of derivative lanes (1 unless batched).
    pub width: u32,
    /// `__enzyme_fwdsplit`: forward mode taking the tape of an augmented
    /// forward pass last (in `trailing`, or in `enzyme_tape` memory). The
    /// derivative reads the values the augmented pass loaded from the
    /// tape's log ([`crate::fwdsplit`]), so it gives the tangents at the
    /// point that pass saw; the tape is not freed.
    pub fwdsplit: bool,
    /// The derivative reads (fwdsplit) or writes (split pair) the log of
    /// loaded values (`DerivativeKey::log_loads`).
    pub log_loads: bool,
    /// `enzyme_context, ctx`: the Enzyme context (`__enzyme_context`)
    /// holding the shadows of globals.
    pub context: Option<Value>,
    /// Combined reverse mode of a function returning its struct through
    /// `sret` whose call gives no adjoint buffer but names the return's
    /// activity first (Enzyme's C++ interface: `enzyme::autodiff<Reverse,
    /// Active<T>>`): `true` seeds 1.0 in every float of the struct (as a
    /// struct returned in registers is seeded), `false` (`Const<T>`) zero.
    /// `materialize_sret` gives that buffer in the caller's frame.
    pub sret_seed: Option<bool>,
    /// Combined reverse mode of such a function with `enzyme_primal_return`:
    /// the call returns the struct the derivative wrote to the primal
    /// buffer, then the derivatives.
    pub sret_primal: bool,
    /// `enzyme_runtime_activity`: a duplicated pointer whose shadow is its
    /// primal pointer at run time is inactive (Enzyme's runtime activity;
    /// see [`super::runtime_activity`]).
    pub runtime_activity: bool,
    /// IR parameters opening a struct passed by value that the C ABI split
    /// into several floats, named by `enzyme_struct_value` (ferment's C++
    /// header): the call passed the whole struct, then its whole shadow,
    /// and the parser paired them member by member
    /// ([`crate::struct_params`]).
    pub struct_values: Vec<usize>,
    /// The request's nesting depth (`DerivativeKey::level`): 1, or one more
    /// than the deepest request its function reaches (a `fwddiff` of a
    /// function that calls `fwddiff`: 2). Set by the frontend.
    pub level: u32,
}

/// What a derivative function depends on: requests with equal keys share it.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct DerivativeKey {
    pub function: Value,
    pub mode: Mode,
    pub shape: Shape,
    pub activities: Vec<Activity>,
    pub return_active: bool,
    pub return_primal: bool,
    /// What the caller knows about each pointer argument's memory (printed
    /// type trees; empty when nothing is known): callees used with
    /// different types get different derivatives (context sensitivity).
    /// Empty for requests, whose context comes from the original function.
    pub arg_types: Vec<String>,
    /// GPU: every pointer the request passes is the same in all threads of
    /// the launch (kernel parameters, globals), which lets the reverse sweep
    /// prove accesses thread-private ([`crate::gpu::private_loads`]).
    pub uniform_pointers: bool,
    /// Forward mode: the number of tangent lanes the derivative carries
    /// (`enzyme_width N` generated as one function, see
    /// [`crate::frontend::batch`]); 1 for every other derivative.
    pub width: u32,
    /// Split shape, for calls that stay calls: per argument, whether the
    /// caller vouches that nothing writes the memory it points to between
    /// the augmented forward function and the reverse function (the reverse
    /// sweep then reads it again instead of taping what was read); empty
    /// when it vouches for none.
    pub unchanged_args: Vec<bool>,
    /// A checkpointed loop function's split pair (`reverse::checkpoint`):
    /// per argument, whether `unchanged_args` vouches for it only on the
    /// condition that the memory the steps read through it lies outside
    /// every checkpoint region, which the reverse sweep then checks at run
    /// time (the caller proved that nothing else writes it between the
    /// loop and the reverse sweep). Empty for every other derivative.
    pub checked_args: Vec<bool>,
    /// `enzyme_context`: mutable globals take their shadows from the
    /// Enzyme context current when the derivative runs (see
    /// [`crate::context`]), and their values on entry carry derivatives;
    /// the derivatives of calls that stay calls inherit it.
    pub context: bool,
    /// Calls that stay calls: the mutable globals whose shadows the
    /// caller's derivative shares with this one (it reads and writes their
    /// `NAME.ferment.shadow` without clearing it; see
    /// [`crate::kept_globals`]). Empty for requests.
    pub globals: Vec<Value>,
    /// `__enzyme_fwdsplit`: the forward derivative reads the values the
    /// primal code loads from the tape's log, and the split pair of a
    /// function the module also asks a fwdsplit of writes that log (see
    /// [`crate::fwdsplit`]).
    pub log_loads: bool,
    /// Calls that stay calls: per argument, what may stand for its own
    /// shadow (a pointer to constant data the caller has no shadow for, an
    /// `enzyme_const` array's): bit `shadow::OWN_BEHIND`, pointers in the
    /// memory it points to (stored in an OpenMP region's shared variable);
    /// bit `shadow::OWN_ITSELF`, the argument itself (its shadow is then the
    /// pointer). The derivative accesses such pointers with the run-time
    /// check of `Shadows::maybe_own` (derivative memory only where the shadow
    /// differs from the pointer). Empty when nothing may.
    pub own_shadow_args: Vec<u8>,
    /// A request's own derivative: the derivatives entering it from its
    /// caller are the user's seeds and arguments' tangents, finite, not a
    /// caller's derivative that may be infinite ([`crate::rules::finite::
    /// boundary_may_be_infinite`]). False for every derivative reached from
    /// another derivative; a function both requested and called from a
    /// differentiated function gets one derivative of each kind.
    pub seeds_finite: bool,
    /// Reverse mode, calls that stay calls: per parameter, whether the
    /// caller cannot prove the value (a floating-point parameter) or the
    /// memory it points to (a pointer) finite, then one entry for the
    /// rest of memory (globals, memory reached through pointers read from
    /// memory): `b[0] = 1 / s; scale(b, u)`. The derivative counts those
    /// inputs as values that may be infinite
    /// ([`crate::rules::finite::input_values`]). Empty where all are
    /// finite (requests: the user's inputs).
    pub nonfinite_inputs: Vec<bool>,
    /// The nesting depth of the request that made this derivative (1 unless
    /// a request differentiates code holding another request's derivative):
    /// the derivatives of calls that stay calls inherit it. Each level has
    /// shadow globals of its own ([`crate::shadow`]: the tangent of a global
    /// at level 2 must not be the level-1 tangent, which is primal memory
    /// there), so a callee's derivative is made once per level.
    pub level: u32,
    /// Reverse mode: the reverse sweep meets frees of memory its function
    /// did not allocate and allocations of memory that may outlive their
    /// function through the per-thread list of freed pointers
    /// (`reverse::handoffs`). Set on a request's derivative, and on a
    /// parallel region's, where the functions it may call have both ends
    /// ([`crate::derive::Ctx::tree_handoffs`]); the derivatives of its
    /// calls that stay calls inherit it. False everywhere else.
    pub handoffs: bool,
}

impl DerivativeKey {
    /// The key with the caller's type knowledge dropped.
    pub fn without_types(&self) -> DerivativeKey {
        DerivativeKey {
            arg_types: Vec::new(),
            ..self.clone()
        }
    }

    /// The key without `nonfinite_inputs`.
    pub fn without_inputs(&self) -> DerivativeKey {
        DerivativeKey {
            nonfinite_inputs: Vec::new(),
            ..self.clone()
        }
    }
}

impl Request {
    pub fn key(&self) -> DerivativeKey {
        DerivativeKey {
            function: self.function,
            mode: self.mode,
            shape: self.shape,
            activities: self.args.iter().map(|a| a.activity).collect(),
            return_active: self.return_active,
            // The split pair's augmented sweep returns the primal anyway.
            return_primal: self.return_primal && self.mode == Mode::Forward,
            arg_types: Vec::new(),
            unchanged_args: Vec::new(),
            checked_args: Vec::new(),
            uniform_pointers: self.call.function_of().is_kernel()
                && self
                    .call
                    .call_args()
                    .into_iter()
                    .filter(|a| a.ty().is_pointer())
                    .all(crate::gpu::is_uniform),
            width: 1,
            context: self.context.is_some(),
            globals: Vec::new(),
            log_loads: self.log_loads,
            own_shadow_args: Vec::new(),
            seeds_finite: true,
            nonfinite_inputs: Vec::new(),
            level: self.level,
            handoffs: false,
        }
    }
}

/// The widest batch (`enzyme_width`) ferment accepts.
pub const MAX_WIDTH: i64 = 64;

/// Which entry point a callee name denotes, if any.
pub fn entry_kind(name: &str) -> Option<&'static str> {
    const ENTRIES: &[&str] = &[
        "__enzyme_autodiff",
        "__enzyme_fwddiff",
        "__enzyme_augmentfwd",
        "__enzyme_reverse",
        "__enzyme_augmentsize",
        "__enzyme_fwdsplit",
        "__enzyme_batch",
        "__enzyme_virtualreverse",
        "__enzyme_call_inactive",
        "__enzyme_ignore_derivatives",
    ];
    ENTRIES.iter().copied().find(|e| name.contains(e))
}

/// The name of the `enzyme_*` marker `v` denotes, if it is one.
/// Whether `ty` contains a pointer.
fn has_pointer(ty: Type) -> bool {
    if ty.is_pointer() {
        true
    } else if ty.is_struct() {
        ty.struct_fields().into_iter().any(has_pointer)
    } else if ty.is_array() {
        has_pointer(ty.element_type())
    } else {
        false
    }
}

/// Whether an active struct result can be seeded with 1.0 in its floats:
/// it has some, and no pointer to data a seed would have to reach.
fn seedable_struct(ty: Type) -> bool {
    fn has_float(ty: Type) -> bool {
        if ty.is_fp_like() {
            true
        } else if ty.is_struct() {
            ty.struct_fields().into_iter().any(has_float)
        } else if ty.is_array() {
            ty.array_len() > 0 && has_float(ty.element_type())
        } else {
            false
        }
    }
    has_float(ty) && !has_pointer(ty)
}

pub fn marker_name(v: Value) -> Option<String> {
    if let Some(s) = v.metadata_string() {
        return s.starts_with("enzyme_").then_some(s);
    }
    let v = v.strip_casts();
    let global = if v.is_instruction() && v.opcode() == Opcode::LLVMLoad {
        v.operand(0).strip_casts()
    } else {
        v
    };
    if global.is_global() {
        let n = global.name();
        if n.starts_with("enzyme_") {
            return Some(n);
        }
    }
    None
}

/// Whether the call passes the marker `name` among its arguments.
pub fn has_marker(call: Value, name: &str) -> bool {
    call.call_args()
        .into_iter()
        .any(|a| marker_name(a).as_deref() == Some(name))
}

/// The function a call's function argument names, if it can be traced.
pub fn trace_function_of(v: Value) -> Option<Value> {
    trace_function(v, 0)
}

/// The parameter of the enclosing function that an AD call's function
/// argument `v` is (directly, or through the stack slot it was spilled to
/// at -O0), if it is one (see `fn_params`).
pub fn trace_parameter_of(v: Value) -> Option<Value> {
    let mut v = v.strip_casts();
    for _ in 0..8 {
        if v.is_argument() {
            return Some(v);
        }
        if !(v.is_instruction() && v.opcode() == Opcode::LLVMLoad) {
            return None;
        }
        let slot = strip_zero_geps(v.operand(0));
        let stored: Vec<Value> = v
            .function_of()
            .instructions()
            .into_iter()
            .filter(|s| s.opcode() == Opcode::LLVMStore && strip_zero_geps(s.operand(1)) == slot)
            .map(|s| s.operand(0))
            .collect();
        match stored.as_slice() {
            [only] => v = only.strip_casts(),
            _ => return None,
        }
    }
    None
}

/// Follows the first argument of an AD call to the function it names.
fn trace_function(v: Value, depth: u32) -> Option<Value> {
    let v = v.strip_casts();
    if v.is_function() {
        return Some(v);
    }
    if depth > 8 {
        return None;
    }
    if v.is_call() {
        // -O0: a call that always returns the same function, such as the
        // conversion of a captureless C++ lambda to a function pointer
        // (`(void*)+lambda`).
        let callee = v.called_function()?;
        if callee.is_declaration() {
            return None;
        }
        let mut found = None;
        for i in callee.instructions() {
            if i.opcode() != Opcode::LLVMRet {
                continue;
            }
            let f = trace_function(*i.operands().first()?, depth + 1)?;
            if found.is_some_and(|g| g != f) {
                return None;
            }
            found = Some(f);
        }
        return found;
    }
    if v.is_instruction() && v.opcode() == Opcode::LLVMLoad {
        // -O0: the pointer was spilled to a local (possibly a field of one,
        // as with Fortran's c_funptr); find the single value stored there.
        let slot = strip_zero_geps(v.operand(0));
        if slot.is_global() {
            if let Some(init) = slot.global_initializer() {
                return trace_function(init, depth + 1);
            }
        }
        let stored: Vec<Value> = v
            .function_of()
            .instructions()
            .into_iter()
            .filter(|s| s.opcode() == Opcode::LLVMStore && strip_zero_geps(s.operand(1)) == slot)
            .map(|s| s.operand(0))
            .collect();
        if let [only] = stored.as_slice() {
            return trace_function(*only, depth + 1);
        }
    }
    None
}

/// Looks through casts and GEPs whose indices are all zero (same address).
fn strip_zero_geps(p: Value) -> Value {
    let mut p = p.strip_casts();
    for _ in 0..16 {
        let is_gep =
            (p.is_instruction() || p.is_constant_expr()) && p.opcode() == Opcode::LLVMGetElementPtr;
        if is_gep && p.operands()[1..].iter().all(|i| i.const_int() == Some(0)) {
            p = p.operand(0).strip_casts();
        } else {
            break;
        }
    }
    p
}

/// A short description of a call operand for messages.
fn describe_operand(v: Value) -> String {
    let base = v.strip_casts();
    if base.is_global() {
        format!("the global variable {}", base.short())
    } else if base.is_instruction() || base.is_argument() {
        format!("the value '{}'", base.describe())
    } else {
        format!("'{}'", base.describe())
    }
}

fn call_error(call: &Value, entry: &str, msg: String) -> Error {
    Error::at(*call, format!("in call to '{entry}': {msg}"))
}

/// Parses the AD call `call` to entry point `entry`.
pub fn parse(call: Value, entry: &str) -> Result<Request> {
    let (mode, shape, part) = match entry {
        "__enzyme_autodiff" => (Mode::Reverse, Shape::Combined, Part::Whole),
        "__enzyme_fwddiff" => (Mode::Forward, Shape::Combined, Part::Whole),
        "__enzyme_augmentfwd" => (Mode::Reverse, Shape::Split, Part::Augmented),
        "__enzyme_reverse" => (Mode::Reverse, Shape::Split, Part::Reverse),
        "__enzyme_augmentsize" => (Mode::Reverse, Shape::Split, Part::TapeSize),
        // Forward mode after an augmented forward pass: the tape comes
        // last, and the tangents are those of the state the augmented pass
        // saw (see `Request::fwdsplit`).
        "__enzyme_fwdsplit" => (Mode::Forward, Shape::Combined, Part::Whole),
        other => {
            return Err(
                Error::at(call, format!("'{other}' is not supported yet")).hint(
                    "use __enzyme_autodiff (reverse mode), __enzyme_fwddiff (forward mode) or \
                 __enzyme_augmentfwd/__enzyme_reverse (split reverse mode)",
                ),
            )
        }
    };
    let all_args = call.call_args();
    let mut pos = 0usize;
    let mut sret = None;
    if !all_args.is_empty() && shim::call_arg_is_sret(call, 0) {
        sret = Some(all_args[0]);
        pos = 1;
    }
    let Some(&fn_arg) = all_args.get(pos) else {
        return Err(
            call_error(&call, entry, "missing the function to differentiate".into())
                .hint("pass the function first: __enzyme_autodiff((void*)f, args...)"),
        );
    };
    pos += 1;
    let function = trace_function(fn_arg, 0).ok_or_else(|| {
        call_error(
            &call,
            entry,
            format!(
                "the first argument must be a function, but it is {}",
                describe_operand(fn_arg)
            ),
        )
        .hint("pass the function to differentiate itself, e.g. __enzyme_autodiff((void*)f, x); for a function chosen at run time (a table of function pointers), make one call per function, e.g. in a switch over them")
    })?;
    let fname = function.name();
    if function.is_declaration() {
        return Err(call_error(
            &call,
            entry,
            format!("function '{fname}' has no definition in this translation unit"),
        )
        .hint("define it in the same file, or build every file with -flto (full LTO, not =thin) and link with `clang-22 -flto -fuse-ld=lld -Wl,--load-pass-plugin=<libferment.so>`: the link-time run sees every body"));
    }
    let fn_ty = function.global_value_type();
    let params = fn_ty.fn_params();
    let mut req = Request {
        call,
        shape,
        part,
        entry: entry.to_string(),
        mode,
        function,
        args: Vec::new(),
        return_active: false,
        return_primal: false,
        sret,
        markers: Vec::new(),
        trailing: Vec::new(),
        trailing_byval: Vec::new(),
        sret_result: None,
        nofree: false,
        tape_memory: None,
        tape_allocated: None,
        width: 1,
        context: None,
        fwdsplit: entry == "__enzyme_fwdsplit",
        log_loads: entry == "__enzyme_fwdsplit",
        sret_seed: None,
        sret_primal: false,
        runtime_activity: false,
        struct_values: Vec::new(),
        level: 1,
    };
    if let Some(t) = shim::fn_param_sret_type(function, 0) {
        let none = ferment_ir::Builder::new(function.global_parent()).zero(params[0]);
        // Reverse mode (Enzyme's convention): the adjoint buffer of the
        // result comes first, right after the function.
        let seed = all_args
            .get(pos)
            .copied()
            .filter(|a| a.ty().is_pointer() && marker_name(*a).is_none());
        // Without a buffer, a return marker leading the markers says what
        // the seed is (the C++ interface passes one before the arguments).
        if mode == Mode::Reverse && part == Part::Whole && seed.is_none() {
            req.sret_seed = all_args[pos..]
                .iter()
                .map_while(|a| marker_name(*a))
                .find_map(|m| match m.as_str() {
                    "enzyme_active_return" => Some(true),
                    "enzyme_const_return" => Some(false),
                    _ => None,
                });
        }
        if req.sret_seed == Some(true) && !seedable_struct(t) {
            return Err(call_error(
                &call,
                entry,
                format!(
                    "reverse mode of '{fname}' with an active return of {}, which {}: a seed of 1.0 in its float members cannot reach the data it refers to",
                    t.describe(),
                    if has_pointer(t) { "holds pointers (a container's elements live elsewhere)" } else { "has no floating-point member" },
                ),
            )
            .hint("return the data through a parameter passed as enzyme::Duplicated (a shadow to seed), or use Const<T> for the result and differentiate a scalar function of it"));
        }
        if mode != Mode::Forward
            && part != Part::TapeSize
            && seed.is_none()
            && req.sret_seed.is_none()
        {
            return Err(call_error(
                &call,
                entry,
                format!(
                    "{} of '{fname}', which returns {} ({} bytes) through a hidden result pointer (sret), needs the result's adjoint buffer first, right after the function",
                    if part == Part::Whole { "reverse mode" } else { "split mode" },
                    t.describe(),
                    function.global_parent().alloc_size(t),
                ),
            )
            .hint(if part == Part::Whole {
                "pass a pointer to the struct's adjoint (the seed) as the first argument after the function: __enzyme_autodiff((void*)f, &d_result, args...), or enzyme_active_return there to seed 1.0 in every float member"
            } else {
                "pass a pointer to the struct's adjoint as the first argument after the function, in both calls: __enzyme_augmentfwd((void*)f, &d_result, args...) and __enzyme_reverse((void*)f, &d_result, args..., tape)"
            }));
        }
        if mode != Mode::Forward && seed.is_some() {
            pos += 1;
        }
        // Placeholders until the request is lowered (`materialize_sret`);
        // forward mode's lanes are counted once the width is known.
        req.sret_result = Some(t);
        req.args.push(ArgSpec {
            activity: Activity::Dup,
            primal: none,
            shadow: Some(seed.unwrap_or(none)),
            lanes: Vec::new(),
            lane_stride: None,
        });
    }
    if part == Part::TapeSize {
        // The size does not depend on the arguments: Enzyme's users pass
        // the activity markers alone (or the full argument list).
        req.markers = all_args[pos..]
            .iter()
            .copied()
            .filter(|a| marker_name(*a).is_some())
            .collect();
        return Ok(req);
    }
    let ret_ty = fn_ty.fn_return();
    crate::struct_params::check_signature(&req)?;

    let mut p = Parser {
        call,
        entry,
        args: all_args,
        pos,
        params,
        fname,
        req,
        const_return: false,
        dup_return: false,
        no_primal: false,
        pending: None,
        pending_stride: None,
        pending_byref: None,
        marked: Vec::new(),
    };
    while p.pos < p.args.len() {
        if (p.req.part == Part::Reverse || p.req.fwdsplit)
            && p.req.args.len() == p.params.len()
            && p.pending.is_none()
        {
            p.trailing()?;
            break;
        }
        let a = p.args[p.pos];
        p.pos += 1;
        match marker_name(a) {
            Some(m) => p.marker(a, &m)?,
            None => p.argument(a)?,
        }
    }
    let marked = std::mem::take(&mut p.marked);
    let mut req = p.finish(ret_ty)?;
    crate::struct_params::check(&req, &marked)?;
    // A module reading Enzyme's own shadows of globals (the context-free
    // `__enzyme_shadow(&g, width, lane)`): its derivatives use them.
    let module = call.function_of().global_parent();
    if req.context.is_none() && crate::context::has_default_context(module, req.width) {
        req.context = crate::context::default_context(module, req.width, call);
    }
    Ok(req)
}

/// The size `N` after `enzyme_byref`: a positive constant.
fn byref_size(call: &Value, entry: &str, v: Option<Value>) -> Result<u64> {
    v.and_then(|v| v.const_int())
        .filter(|n| *n > 0)
        .map(|n| n as u64)
        .ok_or_else(|| {
            call_error(
                call,
                entry,
                "enzyme_byref must be followed by the value's size in bytes (a constant), then a pointer to it".into(),
            )
            .hint("enzyme_byref, sizeof(x), &x")
        })
}

/// `enzyme_byref N` before a value of type `ty` (`what`): N must be its size.
fn check_byref_size(call: &Value, entry: &str, ty: Type, n: u64, what: &str) -> Result<()> {
    let module = call.function_of().global_parent();
    let size = module.alloc_size(ty);
    if size == n {
        return Ok(());
    }
    Err(call_error(
        call,
        entry,
        format!(
            "enzyme_byref {n} before {what}, which is a {} of {size} bytes",
            ty.describe()
        ),
    )
    .hint(format!(
        "give the size of the value the pointer points to: enzyme_byref, {size}, p"
    )))
}

/// The load of `ty` from `p` right before `call` that `enzyme_byref` asks
/// for: made once (a call is parsed more than once), tagged
/// `ferment.byref`; the load of an earlier parse is reused.
fn byref_load(call: Value, p: Value, ty: Type) -> Value {
    let mut prev = call.prev_instruction();
    while let Some(i) = prev.filter(|i| i.md_int("ferment.byref").is_some()) {
        if i.operand(0) == p && i.ty() == ty {
            return i;
        }
        prev = i.prev_instruction();
    }
    let b = ferment_ir::Builder::new(call.function_of().global_parent());
    b.before(call);
    b.set_debug_loc_from(call);
    let l = b.load(ty, p);
    l.set_md_int("ferment.byref", 1);
    l
}

/// The state of [`parse`] while it walks a call's arguments.
struct Parser<'e> {
    call: Value,
    entry: &'e str,
    /// The call's arguments, and the next one to read.
    args: Vec<Value>,
    pos: usize,
    /// The differentiated function's parameter types and name.
    params: Vec<Type>,
    fname: String,
    req: Request,
    const_return: bool,
    dup_return: bool,
    /// `enzyme_noret`: the primal is not wanted, whatever else says so.
    no_primal: bool,
    /// The activity marker waiting for its argument.
    pending: Option<(Activity, Value)>,
    /// `enzyme_dupv`: the byte stride read after the marker.
    pending_stride: Option<Value>,
    /// `enzyme_byref N`: the next value is passed through a pointer to
    /// its N bytes (the marker itself kept for messages).
    pending_byref: Option<u64>,
    /// Whether an activity marker preceded each parameter read so far.
    marked: Vec<bool>,
}

impl Parser<'_> {
    /// `__enzyme_reverse`: what follows the parameters is the return
    /// value's adjoint (when active) and the tape, last.
    fn trailing(&mut self) -> Result<()> {
        let Parser {
            call,
            entry,
            args: all_args,
            pos,
            fname,
            req,
            ..
        } = self;
        let (call, entry) = (*call, *entry);
        let first = *pos;
        let mut rest = all_args[*pos..].iter().copied().enumerate();
        while let Some((k, t)) = rest.next() {
            match marker_name(t).as_deref() {
                Some("enzyme_nofree") => {
                    req.nofree = true;
                    req.markers.push(t);
                }
                Some(m @ ("enzyme_allocated" | "enzyme_tape")) => {
                    // Enzyme's users also put the tape markers last.
                    req.markers.push(t);
                    let v = rest.next().map(|(_, v)| v).filter(|v| {
                        if m == "enzyme_tape" {
                            v.ty().is_pointer()
                        } else {
                            v.ty().is_integer()
                        }
                    });
                    let Some(v) = v else {
                        return Err(call_error(
                            &call,
                            entry,
                            format!(
                                "marker '{m}' must be followed by {}",
                                if m == "enzyme_tape" {
                                    "a pointer to the tape's memory"
                                } else {
                                    "the tape's size in bytes"
                                }
                            ),
                        ));
                    };
                    if m == "enzyme_tape" {
                        req.tape_memory = Some(v);
                    } else {
                        req.tape_allocated = Some(v);
                    }
                }
                Some("enzyme_byref") => {
                    // The return's adjoint(s), read from memory.
                    req.markers.push(t);
                    let n = byref_size(&call, entry, rest.next().map(|(_, v)| v))?;
                    let ret = req.function.global_value_type().fn_return();
                    let ty = if req.width > 1 {
                        Type::array(ret, u64::from(req.width))
                    } else {
                        ret
                    };
                    let Some((_, v)) = rest
                        .next()
                        .filter(|(_, v)| v.ty().is_pointer() && marker_name(*v).is_none())
                    else {
                        return Err(call_error(
                            &call,
                            entry,
                            "enzyme_byref, N must be followed by a pointer to the value's N bytes"
                                .into(),
                        ));
                    };
                    check_byref_size(&call, entry, ty, n, "the adjoint of the return value")?;
                    req.trailing.push(v);
                    req.trailing_byval.push(Some(ty));
                }
                Some(other) => {
                    return Err(call_error(
                        &call,
                        entry,
                        format!(
                            "marker '{other}' after the arguments of '{fname}' is not understood"
                        ),
                    ))
                }
                None => {
                    req.trailing.push(t);
                    req.trailing_byval
                        .push(shim::call_arg_byval_type(call, (first + k) as u32));
                }
            }
        }
        Ok(())
    }

    /// A marker argument `a` named `m`: an argument's activity (kept for
    /// the next argument), else a marker about the whole call.
    fn marker(&mut self, a: Value, m: &str) -> Result<()> {
        let Parser {
            call,
            entry,
            args: all_args,
            pos,
            req,
            pending,
            pending_stride,
            ..
        } = self;
        let (call, entry) = (*call, *entry);
        req.markers.push(a);
        let act = match m {
            "enzyme_const" => Some(Activity::Const),
            "enzyme_out" => Some(Activity::Active),
            "enzyme_dup" | "enzyme_dupv" => Some(Activity::Dup),
            "enzyme_dupnoneed" | "enzyme_dupnoneedv" => Some(Activity::DupNoNeed),
            _ => None,
        };
        if act.is_some() && m.ends_with('v') {
            // enzyme_dupv, STRIDE, x, shadows: lane k's shadow is at
            // shadows + k * STRIDE bytes.
            let stride = all_args.get(*pos).copied().filter(|v| v.ty().is_integer());
            let Some(stride) = stride else {
                return Err(call_error(
                    &call,
                    entry,
                    format!("marker '{m}' must be followed by the byte stride between the lanes' shadows, then the value and the first shadow"),
                ));
            };
            *pos += 1;
            *pending_stride = Some(stride);
        }
        if let Some(act) = act {
            if let Some((prev, _)) = pending {
                return Err(call_error(
                    &call,
                    entry,
                    format!(
                        "marker '{}' follows '{}' with no argument between them",
                        m,
                        prev.marker_name()
                    ),
                ));
            }
            *pending = Some((act, a));
            return Ok(());
        }
        self.call_marker(m)
    }

    /// A marker about the whole call (`enzyme_width`, `enzyme_context`,
    /// the return's and the tape's markers).
    fn call_marker(&mut self, m: &str) -> Result<()> {
        let Parser {
            call,
            entry,
            args: all_args,
            pos,
            req,
            const_return,
            dup_return,
            no_primal,
            pending_byref,
            ..
        } = self;
        let (call, entry, part) = (*call, *entry, req.part);
        match m {
            "enzyme_primal_return" => req.return_primal = !*no_primal,
            "enzyme_const_return" => *const_return = true,
            "enzyme_active_return" => {}
            "enzyme_dup_return" => *dup_return = true,
            "enzyme_noret" => {
                req.return_primal = false;
                *no_primal = true;
            }
            "enzyme_nofree" => req.nofree = true,
            // Promises about memory that only help Enzyme cache less:
            // ferment tapes what it needs regardless.
            "enzyme_not_overwritten" | "enzyme_nocache" => {}
            "enzyme_runtime_activity" => req.runtime_activity = true,
            "enzyme_struct_value" => {
                let k = req.args.len();
                let Some(pieces) = crate::struct_params::split_floats_at(req.function, k) else {
                    // Not split (one value, or passed in memory): positional
                    // pairing is already the struct's.
                    return Ok(());
                };
                let n = pieces.len();
                let act = all_args.get(*pos).copied().filter(|v| {
                    matches!(
                        marker_name(*v).as_deref(),
                        Some("enzyme_dup" | "enzyme_dupnoneed" | "enzyme_const" | "enzyme_out")
                    )
                });
                let act_name = act.and_then(marker_name);
                let forward = req.mode == Mode::Forward;
                let with_shadow = match act_name.as_deref() {
                    Some("enzyme_dup" | "enzyme_dupnoneed") => true,
                    Some(_) => false,
                    None => forward,
                };
                if with_shadow && !forward {
                    return Err(call_error(
                        &call,
                        entry,
                        "enzyme_struct_value before a struct passed by value with a shadow in reverse mode: its gradient would go to a copy the caller never sees".into(),
                    )
                    .hint("pass the struct enzyme_out (its adjoint is returned) or enzyme_const, or pass it by pointer"));
                }
                if with_shadow && req.width > 1 {
                    return Err(call_error(
                        &call,
                        entry,
                        "enzyme_struct_value with enzyme_width: a struct passed by value takes one shadow".into(),
                    )
                    .hint("pass the struct by pointer"));
                }
                let start = *pos + usize::from(act.is_some());
                let needed = if with_shadow { 2 * n } else { n };
                let values: Vec<Value> =
                    all_args.iter().skip(start).take(needed).copied().collect();
                let fits = values.len() == needed
                    && values
                        .iter()
                        .enumerate()
                        .all(|(i, v)| marker_name(*v).is_none() && v.ty() == pieces[i % n]);
                if !fits {
                    return Err(call_error(
                        &call,
                        entry,
                        format!(
                            "enzyme_struct_value must be followed by the struct (parameter {}){}",
                            k + 1,
                            if with_shadow {
                                " and then its shadow struct, both by value"
                            } else {
                                " by value"
                            }
                        ),
                    ));
                }
                // value i, then (with a shadow) its member in the shadow
                // struct: each member is one IR parameter of its own.
                let mut paired = Vec::with_capacity(2 * needed);
                for i in 0..n {
                    let active_out =
                        act_name.as_deref() == Some("enzyme_out") || (act.is_none() && !forward);
                    if let (Some(m), false) = (act, active_out) {
                        paired.push(m);
                    }
                    paired.push(values[i]);
                    if with_shadow {
                        paired.push(values[n + i]);
                    }
                }
                all_args.splice(*pos..start + needed, paired);
                // An active struct in reverse mode stays unmarked (the
                // adjoints come back in the struct's own layout, checked as
                // before); the others are paired here.
                if with_shadow || act_name.as_deref() == Some("enzyme_const") {
                    req.struct_values.push(k);
                }
            }
            "enzyme_byref" => {
                let n = byref_size(&call, entry, all_args.get(*pos).copied())?;
                *pos += 1;
                if pending_byref.is_some() {
                    return Err(call_error(
                        &call,
                        entry,
                        "enzyme_byref follows enzyme_byref with no argument between them".into(),
                    ));
                }
                *pending_byref = Some(n);
            }
            "enzyme_allocated" | "enzyme_tape" => {
                if part != Part::Augmented && part != Part::Reverse && !req.fwdsplit {
                    return Err(call_error(
                        &call,
                        entry,
                        format!("marker '{m}' belongs to split mode (__enzyme_augmentfwd / __enzyme_reverse)"),
                    ));
                }
                let Some(&v) = all_args.get(*pos) else {
                    return Err(call_error(
                        &call,
                        entry,
                        format!("marker '{m}' must be followed by a value"),
                    ));
                };
                *pos += 1;
                if m == "enzyme_tape" {
                    if !v.ty().is_pointer() {
                        return Err(call_error(
                            &call,
                            entry,
                            "enzyme_tape must be followed by a pointer to the tape's memory".into(),
                        ));
                    }
                    req.tape_memory = Some(v);
                } else {
                    if !v.ty().is_integer() {
                        return Err(call_error(
                            &call,
                            entry,
                            "enzyme_allocated must be followed by the tape's size in bytes".into(),
                        ));
                    }
                    req.tape_allocated = Some(v);
                }
            }
            "enzyme_context" => {
                let Some(&c) = all_args.get(*pos).filter(|v| v.ty().is_pointer()) else {
                    return Err(call_error(
                        &call,
                        entry,
                        "enzyme_context must be followed by a context from __enzyme_context(width)"
                            .into(),
                    ));
                };
                *pos += 1;
                req.context = Some(c);
                // The context's width is the derivative's, where the
                // context can be traced to its creation; the derivative
                // checks it when it runs either way.
                if let Some(w) = crate::context::traced_width(c) {
                    if !(1..=MAX_WIDTH).contains(&w) {
                        return Err(call_error(
                            &call,
                            entry,
                            format!("the context passed with enzyme_context has width {w}; ferment accepts 1 to {MAX_WIDTH}"),
                        ));
                    }
                    if w as u32 != req.width
                        && (req.width != 1
                            || req.args.len() > usize::from(req.sret_result.is_some()))
                    {
                        return Err(call_error(
                            &call,
                            entry,
                            format!("the context passed with enzyme_context has width {w}, the call {}", req.width),
                        )
                        .hint("put enzyme_context before the arguments, and give enzyme_width (if any) the context's width"));
                    }
                    req.width = w as u32;
                }
            }
            "enzyme_width" => {
                let w = all_args.get(*pos).and_then(|v| v.const_int());
                *pos += 1;
                let Some(w) = w.filter(|w| (1..=MAX_WIDTH).contains(w)) else {
                    return Err(call_error(
                        &call,
                        entry,
                        format!("enzyme_width must be followed by a constant batch width from 1 to {MAX_WIDTH}"),
                    ));
                };
                if req.args.len() > usize::from(req.sret_result.is_some()) {
                    return Err(call_error(
                        &call,
                        entry,
                        "enzyme_width must come before the arguments".into(),
                    ));
                }
                if let Some(cw) = req.context.and_then(crate::context::traced_width) {
                    if cw != w {
                        return Err(call_error(
                            &call,
                            entry,
                            format!("enzyme_width {w} differs from the width {cw} of the context passed with enzyme_context"),
                        ));
                    }
                }
                req.width = w as u32;
            }
            other => {
                return Err(call_error(
                    &call,
                    entry,
                    format!("marker '{other}' is not supported yet"),
                ));
            }
        }
        Ok(())
    }

    /// The value `a` for the next parameter, with its shadows.
    fn argument(&mut self, a: Value) -> Result<()> {
        let Parser {
            call,
            entry,
            args: all_args,
            pos,
            params,
            fname,
            req,
            pending,
            pending_stride,
            pending_byref,
            marked,
            ..
        } = self;
        let (call, entry, mode) = (*call, *entry, req.mode);
        let index = req.args.len();
        let mut a = a;
        marked.resize(index, false);
        marked.push(pending.is_some());
        let Some(&pty) = params.get(index) else {
            return Err(call_error(
                &call,
                entry,
                format!(
                    "too many arguments: '{fname}' takes {} parameter(s), but the call passes more after the markers are consumed",
                    params.len()
                ),
            )
            .hint("pass exactly one value per parameter, plus one shadow after each enzyme_dup argument"));
        };
        if let Some(n) = pending_byref.take() {
            // Enzyme's `enzyme_byref N, p`: the value is read from `p`
            // (its shadow, if any, is passed as usual).
            let what = format!("parameter {} of '{fname}'", index + 1);
            if let Some(t) = req.function.param_type_attribute(index as u32, "byval") {
                return Err(call_error(
                    &call,
                    entry,
                    format!(
                        "enzyme_byref before {what}, which takes a {} by value in memory (byval)",
                        t.describe()
                    ),
                )
                .hint("pass the struct itself (or the pointer to it without enzyme_byref)"));
            }
            if !a.ty().is_pointer() {
                return Err(call_error(
                    &call,
                    entry,
                    format!("enzyme_byref, N must be followed by a pointer to the value's N bytes ({what})"),
                ));
            }
            check_byref_size(&call, entry, pty, n, &what)?;
            a = byref_load(call, a, pty);
        }
        // (Not when the call's own sret stands for it: the parameter list
        // then starts after it.)
        let sret_param = params.len() == req.function.global_value_type().fn_params().len()
            && req.function.param_type_attribute(0, "sret").is_some();
        if index == 0 && !a.ty().is_pointer() && sret_param {
            return Err(call_error(
                &call,
                entry,
                format!("'{fname}' returns its result through memory (sret: a class or a big struct returned by value), which only forward mode supports, in a call declared to return that type too"),
            )
            .hint("in reverse mode, write the result through a pointer parameter passed with enzyme_dup (and its shadow)"));
        }
        let activity = match pending.take() {
            Some((act, _)) => act,
            None => default_activity(pty, mode),
        };
        check_marker_fits(&call, entry, fname, index, pty, activity, mode)?;
        let stride = pending_stride.take();
        let mut lanes = Vec::new();
        let shadow = if activity.has_shadow() {
            let Some(&s) = all_args.get(*pos) else {
                return Err(call_error(
                    &call,
                    entry,
                    format!(
                        "too few arguments: parameter {} of '{fname}' is duplicated ({}) but no shadow follows it",
                        index + 1,
                        activity.marker_name()
                    ),
                )
                .hint("pass the shadow (or tangent) right after the value"));
            };
            *pos += 1;
            if let Some(m) = marker_name(s) {
                return Err(call_error(
                    &call,
                    entry,
                    format!(
                        "parameter {} of '{fname}' is duplicated ({}), but the marker '{m}' follows it where its shadow belongs",
                        index + 1,
                        activity.marker_name()
                    ),
                )
                .hint("pass the shadow (or tangent) right after the value, before the next marker"));
            }
            if pty.is_pointer() && stride.is_none() && !s.ty().is_pointer() {
                return Err(call_error(
                    &call,
                    entry,
                    format!(
                        "parameter {} of '{fname}' is a pointer, but its shadow is a {}",
                        index + 1,
                        s.ty().describe()
                    ),
                )
                .hint(
                    "pass the shadow memory (a pointer of the same kind) right after the value",
                ));
            }
            if stride.is_some() && !pty.is_pointer() {
                return Err(call_error(
                    &call,
                    entry,
                    format!(
                        "enzyme_dupv: parameter {} of '{fname}' is a {}, not a pointer: a byte stride between lanes applies to shadow memory",
                        index + 1,
                        pty.describe()
                    ),
                )
                .hint(format!(
                    "pass the {} tangents of a scalar one by one after its value (enzyme_dup, or no marker)",
                    req.width
                )));
            }
            if stride.is_some() && !s.ty().is_pointer() {
                return Err(call_error(
                    &call,
                    entry,
                    format!(
                        "enzyme_dupv: parameter {} of '{fname}' needs a pointer to its lanes' shadows",
                        index + 1
                    ),
                ));
            }
            if stride.is_none() {
                for lane in 1..req.width {
                    let Some(&l) = all_args.get(*pos) else {
                        return Err(call_error(
                            &call,
                            entry,
                            format!(
                                "too few arguments: with enzyme_width {} parameter {} of '{fname}' needs {} shadows, but only {lane} follow it",
                                req.width,
                                index + 1,
                                req.width
                            ),
                        )
                        .hint("pass one shadow (or tangent) per lane after the value, or use enzyme_dupv with a stride"));
                    };
                    *pos += 1;
                    lanes.push(l);
                }
            }
            Some(s)
        } else {
            None
        };
        req.args.push(ArgSpec {
            activity,
            primal: a,
            shadow,
            lanes,
            lane_stride: stride,
        });
        Ok(())
    }

    /// Checks what the arguments left open and settles the return.
    fn finish(self, ret_ty: Type) -> Result<Request> {
        let Parser {
            call,
            entry,
            params,
            fname,
            mut req,
            const_return,
            dup_return,
            no_primal,
            pending,
            pending_byref,
            ..
        } = self;
        let (mode, part) = (req.mode, req.part);
        if req.sret_result.is_some() {
            if mode == Mode::Reverse && req.return_primal && part == Part::Whole && req.width <= 1 {
                req.sret_primal = true;
            } else if mode == Mode::Reverse && req.return_primal {
                return Err(call_error(
                    &call,
                    entry,
                    format!(
                        "reverse mode of '{fname}', which returns a struct through a hidden result pointer (sret), with enzyme_primal_return is not supported yet"
                    ),
                )
                .hint("call the function for its result, or return the struct through a pointer parameter passed with enzyme_dup"));
            }
            if mode == Mode::Reverse {
                // Batched: the N adjoint structs lie one after the other
                // from the buffer after the function (an array of N, as
                // forward mode returns N tangent structs).
                if let Some(t) = req.sret_result.filter(|_| req.width > 1) {
                    let module = req.function.global_parent();
                    let b = ferment_ir::Builder::new(module);
                    req.args[0].lane_stride =
                        Some(b.const_int(b.i64(), module.alloc_size(t) as i64));
                }
            } else {
                let none = req.args[0].primal;
                req.args[0].lanes = vec![none; req.width.max(1) as usize - 1];
            }
        }
        if pending_byref.is_some() {
            return Err(call_error(
                &call,
                entry,
                "marker 'enzyme_byref' is not followed by an argument".into(),
            ));
        }
        if let Some((act, _)) = pending {
            return Err(call_error(
                &call,
                entry,
                format!(
                    "marker '{}' is not followed by an argument",
                    act.marker_name()
                ),
            ));
        }
        if req.args.len() < params.len() {
            return Err(call_error(
                &call,
                entry,
                format!(
                    "too few arguments: '{fname}' takes {} parameter(s), but the call supplies {}",
                    params.len(),
                    req.args.len()
                ),
            )
            .hint(if req.width > 1 {
                format!("with enzyme_width {} each duplicated argument is followed by {} shadows, one per lane (or use enzyme_dupv, STRIDE, x, shadows); one interleaved shadow buffer per argument (Enzyme's -enzyme-vectorize-at-leaf-nodes layout) is not supported", req.width, req.width)
            } else if req.function.param_type_attribute(0, "sret").is_some() {
                format!("'{fname}' returns its result through memory (sret, e.g. a class returned by value): forward mode supports that; in reverse mode pass the result's memory as the first argument with enzyme_dup and its shadow")
            } else {
                "pass one value per parameter (and a shadow after each duplicated one)".to_string()
            }));
        }
        // A float, or a struct or array of floats (a small C struct
        // returned by value): its tangent, or its seed, has the same type.
        let float_ret = ret_ty.is_fp_value();
        req.return_active = float_ret && !const_return;
        // Split mode of a function returning a pointer: the augmented
        // forward sweep also returns the pointer's shadow (Enzyme's
        // `{tape, primal, shadow}`), through which the caller seeds the
        // reverse sweep; both halves share that derivative.
        // Forward mode of a function returning a pointer likewise returns
        // the pointer's shadow (with `enzyme_primal_return`, after the
        // primal).
        if (matches!(part, Part::Augmented | Part::Reverse) || mode == Mode::Forward)
            && !req.fwdsplit
            && ret_ty.is_pointer()
            && !const_return
            && req.width <= 1
        {
            req.return_active = true;
        }
        if mode == Mode::Forward && dup_return && !no_primal {
            req.return_primal = true;
        }
        if part == Part::Reverse {
            // The adjoints of an active return, one per lane (batched: N),
            // counted in float leaves: a small struct may come as one value,
            // in memory (`byval`), or split into its scalars by the C ABI.
            let tape = usize::from(req.tape_memory.is_none());
            let given = req.trailing.len().saturating_sub(tape);
            let leaves: Option<u64> = req.trailing[..given]
                .iter()
                .zip(&req.trailing_byval)
                .map(|(v, byval)| match byval {
                    Some(t) if v.ty().is_pointer() => leaf_count(*t),
                    _ => leaf_count(v.ty()).or(v.ty().is_integer().then_some(1)),
                })
                .sum();
            // (a returned pointer's adjoint comes through its shadow)
            let seeded = req.return_active && !ret_ty.is_pointer();
            let per_lane = if seeded { leaf_count(ret_ty) } else { Some(0) };
            let width = u64::from(req.width.max(1));
            let fits = match per_lane {
                Some(0) => given == 0,
                Some(n) => leaves == Some(n * width),
                None => false,
            };
            if !fits {
                let what = match (seeded, req.width) {
                    (false, _) => String::new(),
                    (true, w) if w <= 1 => "the adjoint of the return value, then ".into(),
                    (true, w) => format!(
                        "the {w} adjoints of the return value (one per lane, or one struct or array of {w}), then "
                    ),
                };
                return Err(call_error(
                    &call,
                    entry,
                    format!(
                        "expected {} more argument(s) after the arguments of '{fname}' ({what}{}), found {}",
                        usize::from(seeded) * (req.width.max(1) as usize) + tape,
                        if tape == 1 { "the tape returned by __enzyme_augmentfwd" } else { "the tape is passed with enzyme_tape" },
                        req.trailing.len()
                    ),
                )
                .hint(if seeded {
                    "the reverse sweep of a function with a floating-point result needs the result's adjoint (the seed, e.g. 1.0; 0.0 to differentiate only through the arguments' shadows), passed by value before the tape; from Fortran, declare it in the interface as `real(c_double), value :: dret`"
                } else {
                    "pass the arguments as for __enzyme_autodiff, then the tape"
                }));
            }
        }
        if req.fwdsplit {
            // The tape, last (a null pointer too), unless it is in
            // `enzyme_tape` memory.
            let expected = usize::from(req.tape_memory.is_none());
            let fits =
                req.trailing.len() == expected && req.trailing.iter().all(|t| t.ty().is_pointer());
            if !fits {
                return Err(call_error(
                    &call,
                    entry,
                    format!(
                        "expected {} after the arguments of '{fname}', found {} more argument(s)",
                        if expected == 1 {
                            "one more argument, the tape returned by __enzyme_augmentfwd (a pointer)"
                        } else {
                            "no more arguments (the tape is passed with enzyme_tape)"
                        },
                        req.trailing.len()
                    ),
                )
                .hint("pass the arguments as for __enzyme_fwddiff (each duplicated one followed by its tangent), then the tape"));
            }
        }
        if mode == Mode::Reverse && req.return_primal && part == Part::Whole {
            if ret_ty.is_void() {
                req.return_primal = false;
            } else {
                // The primal comes from the augmented forward sweep of the
                // split pair (one run of the function), the derivatives from
                // its reverse.
                req.shape = Shape::Split;
            }
        }
        if !ret_ty.is_void()
            && !ret_ty.is_fp_value()
            && !ret_ty.is_integer()
            && !ret_ty.is_pointer()
        {
            return Err(call_error(
                &call,
                entry,
                format!(
                    "'{fname}' returns {}, which is not supported yet",
                    ret_ty.describe()
                ),
            ));
        }
        Ok(req)
    }
}

/// The number of float leaves of `ty`: 1 for a float, a vector's length, the
/// sum over a struct's or array's fields; `None` for anything else.
pub(super) fn leaf_count(ty: Type) -> Option<u64> {
    if ty.is_float() {
        Some(1)
    } else if ty.is_vector() && ty.is_fp_like() {
        Some(u64::from(ty.vector_len()))
    } else if ty.is_struct() {
        ty.struct_fields().into_iter().map(leaf_count).sum()
    } else if ty.is_array() {
        leaf_count(ty.element_type()).map(|n| n * ty.array_len())
    } else {
        None
    }
}

fn default_activity(ty: Type, mode: Mode) -> Activity {
    if ty.is_pointer() {
        Activity::Dup
    } else if ty.is_fp_like() {
        match mode {
            Mode::Reverse => Activity::Active,
            Mode::Forward => Activity::Dup,
        }
    } else {
        Activity::Const
    }
}

fn check_marker_fits(
    call: &Value,
    entry: &str,
    fname: &str,
    index: usize,
    ty: Type,
    act: Activity,
    mode: Mode,
) -> Result<()> {
    let what = format!(
        "parameter {} of '{fname}' has type {}",
        index + 1,
        ty.describe()
    );
    match act {
        Activity::Const => Ok(()),
        Activity::Active if !ty.is_fp_like() => Err(call_error(
            call,
            entry,
            format!("marker 'enzyme_out' applies to floating-point values only, but {what}"),
        )
        .hint(if ty.is_pointer() {
            "use enzyme_dup and pass a shadow pointer after it"
        } else {
            "use enzyme_const for integers"
        })),
        Activity::Active if mode == Mode::Forward => Err(call_error(
            call,
            entry,
            format!("marker 'enzyme_out' is for reverse mode; in forward mode {what}"),
        )
        .hint("use enzyme_dup and pass the tangent after the value")),
        Activity::Dup | Activity::DupNoNeed if ty.is_integer() => Err(call_error(
            call,
            entry,
            format!(
                "marker '{}' cannot apply to an integer: {what}",
                act.marker_name()
            ),
        )
        .hint("integers carry no derivative: use enzyme_const")),
        Activity::Dup | Activity::DupNoNeed if mode == Mode::Reverse && ty.is_fp_like() => {
            Err(call_error(
                call,
                entry,
                format!(
                    "marker '{}' on a floating-point value in reverse mode: {what}",
                    act.marker_name()
                ),
            )
            .hint("use enzyme_out: the derivative of a scalar is returned"))
        }
        Activity::Dup | Activity::DupNoNeed if !ty.is_fp_like() && !ty.is_pointer() => {
            Err(call_error(
                call,
                entry,
                format!("marker '{}' is not supported for {what}", act.marker_name()),
            ))
        }
        _ => Ok(()),
    }
}
