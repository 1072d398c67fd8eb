//! Malformed AD requests: a well-formed call of `__enzyme_autodiff` / `__enzyme_fwddiff` on a
//! small function, broken in one way. Each must be rejected by ferment with a diagnostic at the
//! call's line: never a crash and never a compiled program.

use crate::rng::Rng;
use std::fmt::Write as _;

/// One argument of a well-formed request.
#[derive(Clone)]
enum Arg {
    /// A double scalar (active by default).
    Scalar(&'static str),
    /// A pointer with its shadow.
    Ptr(&'static str),
    /// An int.
    Int(&'static str),
}

struct Base {
    /// Definition of `g`.
    def: &'static str,
    args: &'static [Arg],
}

const BASES: &[Base] = &[
    Base {
        def: "static double g(double x, double y) { return x * sin(y) + y; }",
        args: &[Arg::Scalar("x"), Arg::Scalar("y")],
    },
    Base {
        def: "static double g(double *p, int n) {\n  double s = 0.0;\n  for (int i = 0; i < n; i++)\n    s += p[i] * p[i];\n  return s;\n}",
        args: &[Arg::Ptr("p"), Arg::Int("n")],
    },
    Base {
        def: "static double g(double x, double *p, int n) {\n  double s = x;\n  for (int i = 0; i < n; i++)\n    s = s * p[i] + cos(x);\n  return s;\n}",
        args: &[Arg::Scalar("x"), Arg::Ptr("p"), Arg::Int("n")],
    },
    Base {
        def: "static void g(double *p, double *q, int n) {\n  for (int i = 0; i < n; i++)\n    q[i] = exp(p[i]) * q[i];\n}",
        args: &[Arg::Ptr("p"), Arg::Ptr("q"), Arg::Int("n")],
    },
];

/// The ways a request is broken. Every one of them is invalid whatever the base.
/// "none" is the well-formed request itself, which must compile: it shows the other failures
/// come from the mutation.
pub const MUTATIONS: &[&str] = &[
    "none",
    "drop-last-argument",
    "extra-argument",
    "trailing-marker",
    "marker-before-function",
    "two-markers-in-a-row",
    "not-a-function-global",
    "not-a-function-null",
    "not-a-function-runtime-pointer",
    "double-for-pointer",
    "pointer-for-double",
    "double-for-int",
    "missing-shadow",
    "out-on-pointer",
    "out-in-forward-mode",
    "reverse-without-tape",
    "return-type-too-small",
    "dup-on-int",
    "dup-on-scalar-in-reverse",
    "dupnoneed-on-scalar-in-reverse",
];

pub struct Case {
    pub mutation: &'static str,
    pub source: String,
    /// The line of the bad call (1-based), which the diagnostic must name.
    pub line: usize,
}

/// The arguments of the well-formed request, as source text.
fn args(b: &Base, fwd: bool, explicit: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut scalars = 0;
    for a in b.args {
        match a {
            Arg::Scalar(x) => {
                scalars += 1;
                // One active scalar in reverse mode: the call returns one double.
                if !fwd && scalars > 1 {
                    out.push("enzyme_const".into());
                    out.push(x.to_string());
                    continue;
                }
                if explicit {
                    out.push(if fwd { "enzyme_dup" } else { "enzyme_out" }.to_string());
                }
                out.push(x.to_string());
                if fwd {
                    out.push(format!("d{x}"));
                }
            }
            Arg::Ptr(p) => {
                if explicit {
                    out.push("enzyme_dup".into());
                }
                out.push(p.to_string());
                out.push(format!("d{p}"));
            }
            Arg::Int(n) => out.push(n.to_string()),
        }
    }
    out
}

pub fn generate(seed: u64) -> Case {
    let mut rng = Rng::new(seed ^ 0xBAD);
    let mutation = MUTATIONS[(seed as usize) % MUTATIONS.len()];
    // Bases the mutation applies to.
    let fits = |b: &Base| match mutation {
        "double-for-pointer" | "out-on-pointer" | "missing-shadow" => {
            b.args.iter().any(|a| matches!(a, Arg::Ptr(_)))
        }
        "pointer-for-double" | "dup-on-scalar-in-reverse" | "dupnoneed-on-scalar-in-reverse" => {
            b.args.iter().any(|a| matches!(a, Arg::Scalar(_)))
        }
        "double-for-int" | "dup-on-int" => b.args.iter().any(|a| matches!(a, Arg::Int(_))),
        "return-type-too-small" => {
            b.args
                .iter()
                .filter(|a| matches!(a, Arg::Scalar(_)))
                .count()
                > 1
        }
        "out-in-forward-mode" => b.args.iter().any(|a| matches!(a, Arg::Scalar(_))),
        _ => true,
    };
    let bases: Vec<&Base> = BASES.iter().filter(|b| fits(b)).collect();
    let b = *rng.pick(&bases);
    let fwd = match mutation {
        "out-in-forward-mode" => true,
        "out-on-pointer"
        | "reverse-without-tape"
        | "return-type-too-small"
        | "dup-on-scalar-in-reverse"
        | "dupnoneed-on-scalar-in-reverse" => false,
        _ => rng.chance(0.4),
    };
    let explicit = rng.chance(0.5);
    let mut a = args(b, fwd, explicit);
    let mut callee = "(void *)g".to_string();
    let mut entry = if fwd {
        "__enzyme_fwddiff"
    } else {
        "__enzyme_autodiff"
    };
    let mut prelude = String::new();
    let nth = |a: &Vec<String>, name: &str| a.iter().position(|s| s == name).unwrap();
    match mutation {
        "drop-last-argument" => {
            a.pop();
        }
        "extra-argument" => a.push("1.25".into()),
        "trailing-marker" => {
            a.push((*rng.pick(&["enzyme_const", "enzyme_dup", "enzyme_out"])).into())
        }
        "marker-before-function" => callee = format!("(void *)&enzyme_dup, {callee}"),
        "two-markers-in-a-row" => {
            let i = rng.below(a.len());
            a.insert(i, "enzyme_const".into());
            a.insert(i, "enzyme_dup".into());
        }
        "not-a-function-global" => callee = "(void *)&not_a_function".into(),
        "not-a-function-null" => callee = "(void *)0".into(),
        "not-a-function-runtime-pointer" => {
            callee = "fp".into();
            prelude.push_str("  void *fp = getenv(\"HOME\");\n");
        }
        "double-for-pointer" => {
            let p = b
                .args
                .iter()
                .find_map(|x| if let Arg::Ptr(p) = x { Some(*p) } else { None })
                .unwrap();
            let i = nth(&a, p);
            a[i] = "1.5".into();
        }
        "pointer-for-double" => {
            let x = b
                .args
                .iter()
                .find_map(|x| {
                    if let Arg::Scalar(p) = x {
                        Some(*p)
                    } else {
                        None
                    }
                })
                .unwrap();
            let i = nth(&a, x);
            a[i] = "buf".into();
        }
        "double-for-int" => {
            let n = b
                .args
                .iter()
                .find_map(|x| if let Arg::Int(p) = x { Some(*p) } else { None })
                .unwrap();
            let i = nth(&a, n);
            a[i] = "2.5".into();
        }
        "missing-shadow" => {
            let p = b
                .args
                .iter()
                .find_map(|x| if let Arg::Ptr(p) = x { Some(*p) } else { None })
                .unwrap();
            let i = nth(&a, &format!("d{p}"));
            a.remove(i);
        }
        "out-on-pointer" => {
            let p = b
                .args
                .iter()
                .find_map(|x| if let Arg::Ptr(p) = x { Some(*p) } else { None })
                .unwrap();
            let i = nth(&a, p);
            if i > 0 && a[i - 1] == "enzyme_dup" {
                a[i - 1] = "enzyme_out".into();
            } else {
                a.insert(i, "enzyme_out".into());
            }
            // no shadow after an enzyme_out argument
            let d = nth(&a, &format!("d{p}"));
            a.remove(d);
        }
        "out-in-forward-mode" => {
            let x = b
                .args
                .iter()
                .find_map(|x| {
                    if let Arg::Scalar(p) = x {
                        Some(*p)
                    } else {
                        None
                    }
                })
                .unwrap();
            let i = nth(&a, x);
            if i > 0 && a[i - 1] == "enzyme_dup" {
                a[i - 1] = "enzyme_out".into();
            } else {
                a.insert(i, "enzyme_out".into());
            }
            let d = nth(&a, &format!("d{x}"));
            a.remove(d);
        }
        "reverse-without-tape" => entry = "__enzyme_reverse",
        "none" => {}
        "return-type-too-small" => {
            // every scalar active: two derivatives returned through an `int`
            while let Some(i) = a.iter().position(|s| s == "enzyme_const") {
                a.remove(i);
            }
            entry = "__enzyme_autodiff_int";
        }
        "dup-on-int" => {
            let n = b
                .args
                .iter()
                .find_map(|x| if let Arg::Int(p) = x { Some(*p) } else { None })
                .unwrap();
            let i = nth(&a, n);
            a.insert(i + 1, "dn".into());
            a.insert(i, "enzyme_dup".into());
        }
        "dup-on-scalar-in-reverse" | "dupnoneed-on-scalar-in-reverse" => {
            let x = b
                .args
                .iter()
                .find_map(|x| {
                    if let Arg::Scalar(p) = x {
                        Some(*p)
                    } else {
                        None
                    }
                })
                .unwrap();
            let i = nth(&a, x);
            if i > 0 && a[i - 1] == "enzyme_out" {
                a.remove(i - 1);
            }
            let i = nth(&a, x);
            a.insert(i + 1, format!("d{x}"));
            let m = if mutation == "dup-on-int" || mutation == "dup-on-scalar-in-reverse" {
                "enzyme_dup"
            } else {
                "enzyme_dupnoneed"
            };
            a.insert(i, m.into());
        }
        _ => unreachable!(),
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "// Malformed request ({mutation}), generated by ferment-fuzz (seed {seed})."
    );
    s.push_str("#include <math.h>\n#include <stdio.h>\n#include <stdlib.h>\n");
    s.push_str("extern int enzyme_dup, enzyme_const, enzyme_out, enzyme_dupnoneed;\n");
    s.push_str("double __enzyme_autodiff(void *, ...);\ndouble __enzyme_fwddiff(void *, ...);\n");
    s.push_str("double __enzyme_reverse(void *, ...);\nint __enzyme_autodiff_int(void *, ...);\n");
    s.push_str("double not_a_function = 3.0;\n");
    s.push_str(b.def);
    s.push_str("\n\nint main(void) {\n");
    s.push_str("  double x = 0.5, y = 1.25, dx = 1.0, dy = 0.0;\n");
    s.push_str(
        "  double p[4] = {1, 2, 3, 4}, dp[4] = {0}, q[4] = {1, 1, 1, 1}, dq[4] = {1, 0, 0, 0};\n",
    );
    s.push_str("  double buf[4] = {0};\n  int n = 4, dn = 0;\n");
    s.push_str(&prelude);
    let _ = writeln!(s, "  double r = {entry}({callee}, {});", a.join(", "));
    let line = s.lines().count();
    s.push_str(
        "  printf(\"%g %g %g %g %g %g %d\\n\", r, x, y, dx, dy, dp[0] + dq[0] + buf[0], n + dn);\n",
    );
    s.push_str("  return 0;\n}\n");
    Case {
        mutation,
        source: s,
        line,
    }
}
