//! What the caller of a request reads of its results.
//!
//! Role: look at an `__enzyme_*` call site and say which results the
//! caller uses ([`CallerUse`]): which returned derivatives it reads, whether
//! it reads the returned primal, and whether it ever reads the memory of a
//! duplicated pointer after the call. Canonicalization drops what is never
//! read. Reads IR only; knows the calling convention of INTERFACE.md.

use crate::canonical::{ArgActivity, Mode, Request};
use crate::memory::underlying_objects;
use ferment_ir::{Opcode, Value};
use hashbrown::HashSet;

/// What the caller reads of a request's results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerUse {
    /// Per parameter: the derivative the call returns for it (reverse mode,
    /// active scalars) is read.
    pub derivative_used: Vec<bool>,
    /// Per parameter: the memory a duplicated pointer points to is read by
    /// the caller (after the call).
    pub primal_memory_used: Vec<bool>,
    /// The returned primal value is read.
    pub primal_return_used: bool,
    /// The returned derivative (forward mode: the return's tangent) is read.
    pub return_derivative_used: bool,
}

impl CallerUse {
    /// Everything used (no caller to look at).
    pub fn everything(n: usize) -> CallerUse {
        CallerUse {
            derivative_used: vec![true; n],
            primal_memory_used: vec![true; n],
            primal_return_used: true,
            return_derivative_used: true,
        }
    }

    /// What `call` (the `__enzyme_*` call of `request`) uses, following the
    /// calling convention of INTERFACE.md: reverse mode returns the
    /// derivatives of the active scalars in order (one: the value; several:
    /// an aggregate); forward mode returns the return's tangent, or
    /// `{primal, tangent}` when it returns the primal too. `primals[i]` is
    /// the call operand holding parameter `i`'s primal value. A result the
    /// call does not return by value (a hidden `sret` pointer) or that is
    /// stored whole counts as used.
    pub fn of_call(call: Value, request: &Request, primals: &[Value]) -> CallerUse {
        let n = request.args.len();
        let mut u = CallerUse::everything(n);
        let result = ResultUse::of(call);
        match request.mode {
            Mode::Reverse if !request.returns_primal => {
                let actives = (0..n).filter(|i| request.args[*i] == ArgActivity::Active);
                for (k, i) in actives.enumerate() {
                    u.derivative_used[i] = result.element(k);
                }
            }
            Mode::Reverse => {}
            Mode::Forward if request.returns_primal => {
                u.primal_return_used = result.element(0);
                u.return_derivative_used = result.element(1);
            }
            Mode::Forward => u.return_derivative_used = result.element(0),
        }
        for (i, a) in request.args.iter().enumerate() {
            if let Some(p) = primals
                .get(i)
                .filter(|p| a.has_shadow() && p.ty().is_pointer())
            {
                u.primal_memory_used[i] = caller_reads_memory(*p, call);
            }
        }
        u
    }
}

/// Which parts of a call's result are read.
enum ResultUse {
    Unused,
    Whole,
    Fields(Vec<u32>),
}

impl ResultUse {
    fn of(call: Value) -> ResultUse {
        if call.ty().is_void() {
            return ResultUse::Whole;
        }
        let users = call.users();
        if users.is_empty() {
            return ResultUse::Unused;
        }
        let extracts = users
            .iter()
            .all(|u| u.is_instruction() && u.opcode() == Opcode::LLVMExtractValue);
        if !extracts {
            return ResultUse::Whole;
        }
        ResultUse::Fields(
            users
                .iter()
                .filter(|u| u.has_uses())
                .filter_map(|u| u.extract_indices().first().copied())
                .collect(),
        )
    }

    fn element(&self, k: usize) -> bool {
        match self {
            ResultUse::Unused => false,
            ResultUse::Whole => true,
            ResultUse::Fields(f) => f.contains(&(k as u32)),
        }
    }
}

/// Whether the caller may read the memory `p` points to, other than
/// through `call`: only a local variable that the caller merely writes (or
/// passes to `call`) is known not to be read.
fn caller_reads_memory(p: Value, call: Value) -> bool {
    let objects = underlying_objects(p);
    let [object] = objects.as_slice() else {
        return true;
    };
    if !object.is_instruction() || object.opcode() != Opcode::LLVMAlloca {
        return true;
    }
    let mut seen = HashSet::new();
    let mut work = vec![*object];
    while let Some(v) = work.pop() {
        if !seen.insert(v) {
            continue;
        }
        for u in v.users() {
            if u == call {
                continue;
            }
            match u.opcode() {
                Opcode::LLVMStore if u.operand(1) == v && u.operand(0) != v => {}
                Opcode::LLVMGetElementPtr
                | Opcode::LLVMBitCast
                | Opcode::LLVMAddrSpaceCast
                | Opcode::LLVMFreeze => work.push(u),
                Opcode::LLVMCall
                    if u.called_function()
                        .is_some_and(|f| f.name().starts_with("llvm.lifetime.")) => {}
                _ => return true,
            }
        }
    }
    false
}
