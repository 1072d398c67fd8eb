//! The shape of a generated program: functions made of statements that the minimizer can delete
//! or unwrap one at a time, and the fixed parts (declarations, the test harness `main`) that it
//! never touches. Local variables are declared and initialized in a fixed prologue, so deleting
//! any statement still leaves a program that compiles.

#[derive(Clone, Debug)]
pub enum Stmt {
    /// One simple statement, e.g. `t1 = sin(t0) * s0;` or `if (i0 == k) break;`.
    Line(String),
    If {
        cond: String,
        then: Vec<Stmt>,
        els: Vec<Stmt>,
    },
    /// `head { body }`; `unrolled` declares the loop variable (first iteration only) for the
    /// minimizer's "replace the loop by its body".
    Loop {
        head: String,
        unrolled: String,
        body: Vec<Stmt>,
    },
    /// `{ pre body }`: a loop the minimizer unwrapped.
    Scope { pre: String, body: Vec<Stmt> },
}

#[derive(Clone, Debug)]
pub struct Func {
    pub name: String,
    /// `static inline double h0(double a, double b)`, without the brace.
    pub head: String,
    pub pre: Vec<String>,
    pub body: Vec<Stmt>,
    pub post: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Program {
    pub seed: u64,
    pub size: usize,
    /// Leading comment lines (directives such as `// CFLAGS:` go here).
    pub comment: Vec<String>,
    /// Includes, `#define N`, struct types, `__enzyme_*` declarations.
    pub defs: String,
    pub funcs: Vec<Func>,
    /// Everything after the functions: the flattening wrapper and `main`.
    pub harness: String,
    /// C++ (the cpp variant): written `.cpp` and compiled with `clang++-22`.
    pub cpp: bool,
}

impl Program {
    /// The source file's extension: `cpp` or `c`.
    pub fn ext(&self) -> &'static str {
        if self.cpp {
            "cpp"
        } else {
            "c"
        }
    }

    pub fn emit(&self) -> String {
        let mut s = String::new();
        for c in &self.comment {
            s.push_str("// ");
            s.push_str(c);
            s.push('\n');
        }
        s.push_str(&self.defs);
        let funcs = self.emit_funcs();
        s.push_str(&plain(&funcs));
        s.push_str("\n// The same functions again, recording every branch decision for the finite-difference\n// oracle (never differentiated).\n");
        let names: Vec<&str> = self.funcs.iter().map(|f| f.name.as_str()).collect();
        s.push_str(&path_copy(&funcs, &names));
        s.push('\n');
        s.push_str(&self.harness);
        s
    }

    /// The functions with their non-smooth markers (`BR(`, `FABS(`, ...) still in.
    fn emit_funcs(&self) -> String {
        let mut s = String::new();
        for f in &self.funcs {
            // A helper nobody calls any more (after minimization) is left out.
            if f.name != "f"
                && !self
                    .funcs
                    .iter()
                    .any(|g| g.name != f.name && g.calls(&f.name))
            {
                continue;
            }
            s.push('\n');
            s.push_str(&f.head);
            s.push_str(" {\n");
            for l in &f.pre {
                s.push_str("  ");
                s.push_str(l);
                s.push('\n');
            }
            emit_block(&mut s, &f.body, 1);
            for l in &f.post {
                s.push_str("  ");
                s.push_str(l);
                s.push('\n');
            }
            s.push_str("}\n");
        }
        s
    }

    /// Number of statements (all levels), for reports.
    pub fn stmt_count(&self) -> usize {
        self.funcs.iter().map(|f| count(&f.body)).sum()
    }
}

/// Markers of the operations where a program's path can change (comparisons, kinks, jumps):
/// `(marker, in the differentiated copy, in the recording copy)`. The differentiated copy is the
/// plain C; the recording copy (the primal the finite differences see) hashes each decision
/// into `path_hash`, so the harness can tell whether `x ± h v` takes the path of `x`.
pub const MARKERS: &[(&str, &str, &str)] = &[
    ("BR(", "(", "path_br("),
    ("BRI(", "(", "path_bri("),
    ("FABS(", "fabs(", "path_fabs("),
    ("FMIN(", "fmin(", "path_fmin("),
    ("FMAX(", "fmax(", "path_fmax("),
    // `std::min`/`std::max` of doubles (the cpp variant): recorded as `fmin`/`fmax` (the same
    // decision away from NaNs)
    ("STDMIN(", "std::min(", "path_fmin("),
    ("STDMAX(", "std::max(", "path_fmax("),
    ("FDIM(", "fdim(", "path_fdim("),
    ("COPYSIGN(", "copysign(", "path_copysign("),
    ("ATAN2(", "atan2(", "path_atan2("),
    ("FLOOR(", "floor(", "path_floor("),
    ("CEIL(", "ceil(", "path_ceil("),
    ("ROUND(", "round(", "path_round("),
    ("TRUNC(", "trunc(", "path_trunc("),
    ("FMOD(", "fmod(", "path_fmod("),
    ("REMAINDER(", "remainder(", "path_remainder("),
    ("RINT(", "rint(", "path_rint("),
    ("ILOGB(", "ilogb(", "path_ilogb("),
    // Single-precision round trips (`(double)(float)e`, and `(float)e` as a float operand):
    // the recording copy records each one's input and can perturb its output, which measures
    // how much float rounding of derivatives there may move the result (`frt_bound`).
    ("FRT(", "(double)(float)(", "path_frt("),
    ("FRTF(", "(float)(", "path_frt("),
];

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Replaces `from` by `to` where `from` does not continue an identifier.
fn replace_token(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(p) = rest.find(from) {
        let prev = if p > 0 {
            rest[..p].chars().last()
        } else {
            out.chars().last()
        };
        out.push_str(&rest[..p]);
        if prev.is_some_and(is_ident) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[p + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Replaces `&name` by `&name_path` where `name` is not followed by an identifier character.
fn replace_addr(text: &str, name: &str) -> String {
    let from = format!("&{name}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(p) = rest.find(&from) {
        out.push_str(&rest[..p + from.len()]);
        rest = &rest[p + from.len()..];
        if !rest.chars().next().is_some_and(is_ident) {
            out.push_str("_path");
        }
    }
    out.push_str(rest);
    out
}

/// Whether `text` takes the address `&name` of the function `name`.
fn takes_addr(text: &str, name: &str) -> bool {
    let from = format!("&{name}");
    text.match_indices(&from)
        .any(|(p, _)| !text[p + from.len()..].chars().next().is_some_and(is_ident))
}

/// The differentiated copy: markers become the plain C operations.
pub fn plain(text: &str) -> String {
    MARKERS
        .iter()
        .fold(text.to_string(), |t, (m, p, _)| replace_token(&t, m, p))
}

/// The recording copy: markers record, every function `g` becomes `g_path`, and OpenMP pragmas
/// are dropped (it runs serially, so the path record is deterministic).
pub fn path_copy(text: &str, names: &[&str]) -> String {
    let t = MARKERS
        .iter()
        .fold(text.to_string(), |t, (m, _, r)| replace_token(&t, m, r));
    let t = names.iter().fold(t, |t, n| {
        let t = replace_token(&t, &format!("{n}("), &format!("{n}_path("));
        // an address taken (a table of function pointers, a callback argument)
        replace_addr(&t, n)
    });
    t.split_inclusive('\n')
        .filter(|l| !l.trim_start().starts_with("#pragma omp"))
        .collect()
}

impl Func {
    fn calls(&self, name: &str) -> bool {
        let pat = format!("{name}(");
        let mut text = String::new();
        for l in self.pre.iter().chain(self.post.iter()) {
            text.push_str(l);
        }
        emit_block(&mut text, &self.body, 0);
        // A recursive helper calling itself does not keep itself alive.
        (text.contains(&pat) || takes_addr(&text, name)) && self.name != name
    }
}

fn count(b: &[Stmt]) -> usize {
    b.iter()
        .map(|s| match s {
            Stmt::Line(_) => 1,
            Stmt::If { then, els, .. } => 1 + count(then) + count(els),
            Stmt::Loop { body, .. } | Stmt::Scope { body, .. } => 1 + count(body),
        })
        .sum()
}

fn indent(s: &mut String, level: usize) {
    for _ in 0..level {
        s.push_str("  ");
    }
}

pub fn emit_block(s: &mut String, b: &[Stmt], level: usize) {
    for st in b {
        match st {
            Stmt::Line(l) => {
                indent(s, level);
                s.push_str(l);
                s.push('\n');
            }
            Stmt::If { cond, then, els } => {
                indent(s, level);
                s.push_str(&format!("if ({cond}) {{\n"));
                emit_block(s, then, level + 1);
                if !els.is_empty() {
                    indent(s, level);
                    s.push_str("} else {\n");
                    emit_block(s, els, level + 1);
                }
                indent(s, level);
                s.push_str("}\n");
            }
            Stmt::Loop { head, body, .. } => {
                indent(s, level);
                s.push_str(head);
                s.push_str(" {\n");
                emit_block(s, body, level + 1);
                indent(s, level);
                s.push_str("}\n");
            }
            Stmt::Scope { pre, body } => {
                indent(s, level);
                s.push_str("{\n");
                indent(s, level + 1);
                s.push_str(pre);
                s.push('\n');
                emit_block(s, body, level + 1);
                indent(s, level);
                s.push_str("}\n");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_become_plain_c_or_recording_calls() {
        let text = "if (BR(a < b)) u = FABS(h0(x)) + sth0(y) + t[BRI((int)x)];";
        assert_eq!(
            plain(text),
            "if ((a < b)) u = fabs(h0(x)) + sth0(y) + t[((int)x)];"
        );
        assert_eq!(
            path_copy(text, &["h0", "f"]),
            "if (path_br(a < b)) u = path_fabs(h0_path(x)) + sth0(y) + t[path_bri((int)x)];"
        );
    }

    #[test]
    fn the_recording_copy_takes_the_recording_functions_addresses() {
        let text = "double (*ftab[3])(double) = {&h1, &h10, &h1};\nu = h2(&h1, x);";
        assert_eq!(
            path_copy(text, &["h1", "h2"]),
            "double (*ftab[3])(double) = {&h1_path, &h10, &h1_path};\nu = h2_path(&h1_path, x);"
        );
        assert!(takes_addr(text, "h1") && takes_addr(text, "h10") && !takes_addr(text, "h2"));
    }

    #[test]
    fn the_recording_copy_drops_openmp_pragmas() {
        let text = "  #pragma omp parallel for schedule(static)\n  for (;;) {\n#pragma omp atomic\n    a[j] += FRT(d);\n  }\n";
        assert_eq!(
            path_copy(text, &[]),
            "  for (;;) {\n    a[j] += path_frt(d);\n  }\n"
        );
        assert_eq!(
            plain(text),
            "  #pragma omp parallel for schedule(static)\n  for (;;) {\n#pragma omp atomic\n    a[j] += (double)(float)(d);\n  }\n"
        );
    }

    #[test]
    fn every_marker_has_a_recording_function() {
        let runtime = crate::harness::PATH_RUNTIME;
        for (m, p, r) in MARKERS {
            assert!(m.ends_with('(') && p.ends_with('(') && r.ends_with('('));
            assert!(
                runtime.contains(&format!(" {r}")),
                "{r} is not defined in the path runtime"
            );
        }
    }
}
