//! The `print<ferment-activity>` printer pass: activities of the functions
//! that requests differentiate (or of every defined function with `all`).
//!
//! Role: parse each `__enzyme_*` call into a [`request::Request`] and hand
//! its activities, and for a combined (non-split) call the call site itself
//! (what the caller reads of the results), to
//! [`ferment_activity_analysis::print_module`], which prints per function:
//! the request's argument/return activities before and after
//! canonicalization, then every argument and instruction under the
//! canonical activities, with the value/instruction split:
//!
//! ```text
//! function @f: __enzyme_autodiff
//!   request: (%x: active, %p: dup, %n: const) -> active
//!   canonical: (%x: active, %p: const, %n: const) -> activenoneed
//!   note: %p: dup -> const: no active instruction reads or writes its memory
//!   note: return: active -> activenoneed: the request does not return the primal value
//!   %x: active
//!   %m: value=active inst=active
//!   %q: value=shadowed inst=const
//!   store double 0.000000e+00, %q: inst=active
//! ```
//!
//! (notation: see the `printer` module of `ferment-activity-analysis`).
//! Calls that fail to parse print as `; <error>` lines. The functions are
//! analyzed as they are in the module (unoptimized at -O0), not as the
//! generators' canonical copies; callees are summarized, not inlined.

use super::{find_ad_calls, is_inactive_call, request};
use ferment_activity_analysis as activity;
use ferment_ir::{Module, Value};
use request::{Activity, Mode, Part};

/// `print<ferment-activity>`: activities of the functions that requests
/// differentiate (or of every defined function with `all`).
pub fn print_activity(module: Module, all: bool) -> String {
    use std::fmt::Write;
    let _inactive = super::UserInactive::enter(module);
    let mut out = String::new();
    let mut targets = Vec::new();
    for (call, entry) in find_ad_calls(module) {
        if matches!(
            entry,
            "__enzyme_call_inactive" | "__enzyme_ignore_derivatives"
        ) {
            continue;
        }
        match request::parse(call, entry) {
            Ok(req) => targets.push(print_target(&req)),
            Err(e) => {
                let _ = writeln!(out, "; {e}");
            }
        }
    }
    out.push_str(&activity::print_module(
        module,
        &targets,
        all,
        &is_inactive_call,
    ));
    out
}

/// The analysis crate's view of a parsed request.
fn print_target(req: &request::Request) -> activity::PrintTarget {
    let mode = match req.mode {
        Mode::Reverse => activity::Mode::Reverse,
        Mode::Forward => activity::Mode::Forward,
    };
    let args = req
        .args
        .iter()
        .map(|a| match a.activity {
            Activity::Const => activity::ArgActivity::Const,
            Activity::Active => activity::ArgActivity::Active,
            Activity::Dup => activity::ArgActivity::Dup,
            Activity::DupNoNeed => activity::ArgActivity::DupNoNeed,
        })
        .collect();
    let ret = if req.function.global_value_type().fn_return().is_void() {
        activity::RetActivity::Void
    } else if !req.return_active {
        activity::RetActivity::Const
    } else if mode == activity::Mode::Reverse {
        activity::RetActivity::Active
    } else {
        activity::RetActivity::Dup
    };
    let mut request = activity::Request {
        mode,
        args,
        ret,
        returns_primal: req.return_primal,
        uses: None,
    };
    // Split-mode halves must agree on one activity pattern: only a
    // combined call may drop what its own caller does not read.
    if req.part == Part::Whole {
        let primals: Vec<Value> = req.args.iter().map(|a| a.primal).collect();
        request.uses = Some(activity::CallerUse::of_call(req.call, &request, &primals));
    }
    activity::PrintTarget {
        function: req.function,
        header: req.entry.clone(),
        request,
    }
}
