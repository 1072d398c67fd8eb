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
}

impl Program {
    pub fn emit(&self) -> String {
        let mut s = String::new();
        for c in &self.comment {
            s.push_str("// ");
            s.push_str(c);
            s.push('\n');
        }
        s.push_str(&self.defs);
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
        s.push('\n');
        s.push_str(&self.harness);
        s
    }

    /// Number of statements (all levels), for reports.
    pub fn stmt_count(&self) -> usize {
        self.funcs.iter().map(|f| count(&f.body)).sum()
    }
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
        text.contains(&pat) && self.name != name
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
