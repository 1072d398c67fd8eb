//! Statement-level delta reduction: delete statements (first in chunks, then one at a time),
//! replace an `if` by one of its branches, and a loop by one pass of its body, keeping every
//! edit after which the program still fails the same way.

use crate::program::{Program, Stmt};

#[derive(Clone, Copy)]
enum Op {
    Delete,
    Then,
    Else,
    Unroll,
}

/// Applies `op` to the `target`-th statement (pre-order) of `b`; false when it does not apply.
fn edit(b: &mut Vec<Stmt>, target: &mut usize, op: Op) -> Option<bool> {
    let mut i = 0;
    while i < b.len() {
        if *target == 0 {
            let st = b[i].clone();
            let applied = match (op, st) {
                (Op::Delete, _) => {
                    b.remove(i);
                    true
                }
                (Op::Then, Stmt::If { then, .. }) => {
                    b.splice(i..=i, then);
                    true
                }
                (Op::Else, Stmt::If { els, .. }) => {
                    b.splice(i..=i, els);
                    true
                }
                (Op::Unroll, Stmt::Loop { unrolled, body, .. }) => {
                    b[i] = Stmt::Scope {
                        pre: unrolled,
                        body,
                    };
                    true
                }
                _ => false,
            };
            return Some(applied);
        }
        *target -= 1;
        let r = match &mut b[i] {
            Stmt::Line(_) => None,
            Stmt::If { then, els, .. } => edit(then, target, op).or_else(|| edit(els, target, op)),
            Stmt::Loop { body, .. } | Stmt::Scope { body, .. } => edit(body, target, op),
        };
        if r.is_some() {
            return r;
        }
        i += 1;
    }
    None
}

fn apply(p: &Program, fi: usize, target: usize, op: Op) -> Option<Program> {
    let mut q = p.clone();
    let mut t = target;
    match edit(&mut q.funcs[fi].body, &mut t, op) {
        Some(true) => Some(q),
        _ => None,
    }
}

/// Reduces `p` while `fails` holds. `fails` compiles and runs a candidate.
pub fn reduce(p: &Program, fails: &mut dyn FnMut(&Program) -> bool) -> Program {
    let mut best = p.clone();
    // Chunks of top-level statements, largest first.
    for fi in 0..best.funcs.len() {
        let mut chunk = best.funcs[fi].body.len() / 2;
        while chunk >= 2 {
            let mut start = 0;
            while start + chunk <= best.funcs[fi].body.len() {
                let mut q = best.clone();
                q.funcs[fi].body.drain(start..start + chunk);
                if fails(&q) {
                    best = q;
                } else {
                    start += chunk;
                }
            }
            chunk /= 2;
        }
    }
    // Single edits until nothing changes.
    loop {
        let mut changed = false;
        for fi in 0..best.funcs.len() {
            let mut t = 0;
            loop {
                let mut any = false;
                let mut progressed = false;
                for op in [Op::Delete, Op::Then, Op::Else, Op::Unroll] {
                    if let Some(q) = apply(&best, fi, t, op) {
                        any = true;
                        if fails(&q) {
                            best = q;
                            changed = true;
                            progressed = true;
                            break;
                        }
                    }
                }
                if !any && apply(&best, fi, t, Op::Delete).is_none() {
                    break;
                }
                if !progressed {
                    t += 1;
                }
            }
        }
        if !changed {
            return best;
        }
    }
}
