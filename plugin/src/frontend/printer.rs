//! The `print<ferment-activity>` printer pass: activities of the functions
//! that requests differentiate (or of every defined function with `all`).

use super::{find_ad_calls, is_inactive_call, request, seeds_for};
use ferment_ir::{Module, Value};

/// `print<ferment-activity>`: activities of the functions that requests
/// differentiate (or of every defined function with `all`).
pub fn print_activity(module: Module, all: bool) -> String {
    use ferment_activity_analysis::{Activity, Seeds};
    use std::fmt::Write;
    let mut out = String::new();
    let mut targets: Vec<(Value, Seeds, String)> = Vec::new();
    for (call, entry) in find_ad_calls(module) {
        match request::parse(call, entry) {
            Ok(req) => {
                let seeds = seeds_for(&req.function.params(), &req.key());
                let acts: Vec<&str> = req.args.iter().map(|a| a.activity.marker_name()).collect();
                let header = format!(
                    "{} [{}] return: {}",
                    entry,
                    acts.join(", "),
                    if req.return_active { "active" } else { "const" }
                );
                targets.push((req.function, seeds, header));
            }
            Err(e) => {
                let _ = writeln!(out, "; {e}");
            }
        }
    }
    if all {
        for f in module.functions() {
            if !f.is_declaration() && !targets.iter().any(|(t, _, _)| *t == f) {
                let n = f.params().len();
                targets.push((
                    f,
                    Seeds {
                        active_args: vec![true; n],
                        shadow_args: vec![true; n],
                        active_return: true,
                    },
                    "all arguments active".into(),
                ));
            }
        }
    }
    for (f, seeds, header) in targets {
        let a = Activity::analyze(f, &seeds, &is_inactive_call);
        let _ = writeln!(out, "function @{}: {}", f.name(), header);
        for p in f.params() {
            let _ = writeln!(out, "  {}: {}", p.short(), a.label(p));
        }
        for i in f.instructions() {
            if i.ty().is_void() {
                continue;
            }
            let _ = writeln!(out, "  {}: {}", i.short(), a.label(i));
        }
    }
    out
}
