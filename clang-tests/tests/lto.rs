//! Link-time differentiation: a request in one translation unit for a function defined in
//! another, built with `-flto`. The compile step leaves the request for the link-time run
//! (`lld --load-pass-plugin`), which sees both bodies. The program checks its derivatives
//! against analytic values (d/dx x^3 sin x, reverse and forward) and exits non-zero otherwise.
//!
//! Structs passed by value across files: the file defining the function records at compile time
//! which IR parameters are the pieces of a split struct (`struct_params`), and the link-time run
//! checks the request in the other file against that record: the calls whose pairing is the
//! user's give the analytic derivatives, the others are link errors naming the struct, never a
//! wrong derivative.

use std::path::{Path, PathBuf};
use std::process::Command;

fn plugin() -> PathBuf {
    std::env::var_os("FERMENT_PLUGIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/libferment.so")
        })
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Compiles `files` (name, source) with `-flto` and the plugin at `o`, links them with the plugin
/// loaded into lld: the link's output on failure, else the program's.
fn build_and_run(dir: &Path, files: &[(&str, &str)], o: &str) -> Result<String, String> {
    let plugin = plugin();
    let mut objects = Vec::new();
    for (name, src) in files {
        let c = dir.join(format!("{name}.c"));
        std::fs::write(&c, src).unwrap();
        let obj = dir.join(format!("{name}.o"));
        run(Command::new("clang-22")
            .args([o, "-g", "-flto", "-c"])
            .arg(format!("-fpass-plugin={}", plugin.display()))
            .arg(&c)
            .arg("-o")
            .arg(&obj));
        objects.push(obj);
    }
    let exe = dir.join("prog");
    let _ = std::fs::remove_file(&exe);
    let out = Command::new("clang-22")
        .args([o, "-flto", "-fuse-ld=lld"])
        .arg(format!("-Wl,--load-pass-plugin={}", plugin.display()))
        .args(&objects)
        .arg("-lm")
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let out = Command::new(&exe).output().unwrap();
    assert!(
        out.status.success(),
        "{files:?} at {o}: wrong derivative:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

const STRUCT_MODEL: &str = r#"
#include <math.h>
typedef struct { double x, y; } V2;
typedef struct { int n; double s; } M;
typedef struct { double a, b, c, d; } V4;
double f2(V2 p) { return p.x * p.x * p.y + sin(p.y) * p.x; }
double fm(double w, M m) { return w * m.n * m.s * m.s; }
double f4(V4 s) { return s.a * s.b + s.c * s.c * s.d + exp(s.a * s.d); }
"#;

const STRUCT_DECLS: &str = r#"
#include <math.h>
#include <stdio.h>
typedef struct { double x, y; } V2;
typedef struct { int n; double s; } M;
typedef struct { double a, b, c, d; } V4;
double f2(V2 p);
double fm(double w, M m);
double f4(V4 s);
V2 __enzyme_autodiff(void *, ...);
void __enzyme_autodiff_v(void *, ...);
double __enzyme_autodiff_d(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_const, enzyme_dup;
"#;

/// The pairings that mean what the user wrote, against analytic partials: reverse mode of a
/// split {double, double} (adjoints in order), forward mode of a byval struct with its tangent
/// struct, reverse mode of a byval struct with the address of its gradient.
const STRUCT_OK: &str = r#"
int main(void) {
  int bad = 0;
  V2 p = {1.5, 0.7};
  V2 g = __enzyme_autodiff((void *)f2, p);
  double wx = 2 * p.x * p.y + sin(p.y), wy = p.x * p.x + cos(p.y) * p.x;
  V4 s = {0.5, 2, 3, 0.25}, ts = {1, 0, 0, 0}, ds = {0, 0, 0, 0};
  double e = exp(s.a * s.d);
  double t = __enzyme_fwddiff((void *)f4, s, ts);
  __enzyme_autodiff_v((void *)f4, enzyme_dup, s, &ds);
  double want_a = s.b + s.d * e, want_d = s.c * s.c + s.a * e;
  if (fabs(g.x - wx) > 1e-12 || fabs(g.y - wy) > 1e-12 || fabs(t - want_a) > 1e-12 ||
      fabs(ds.a - want_a) > 1e-12 || fabs(ds.d - want_d) > 1e-12) {
    printf("g %.17g %.17g want %.17g %.17g; f4 %.17g %.17g %.17g want %.17g %.17g\n", g.x, g.y,
           wx, wy, t, ds.a, ds.d, want_a, want_d);
    bad = 1;
  }
  return bad;
}
"#;

#[test]
fn struct_by_value_across_files() {
    let dir = std::env::temp_dir().join(format!("ferment-lto-struct-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // (call, what the link error says)
    let bad: &[(&str, &str)] = &[
        (
            "V2 p = {1.5, 0.7}, dp = {1.0, 0.0}; r = __enzyme_fwddiff((void *)f2, p, dp);",
            "'f2' takes 'V2' by value (parameter 1), which the C ABI passes as 2 separate values",
        ),
        (
            "M m = {3, 2.0}, dm = {0, 1.0}; r = __enzyme_fwddiff((void *)fm, 2.0, 1.0, m, dm);",
            "'fm' takes 'M' by value (parameter 2)",
        ),
        (
            "V2 p = {1.5, 0.7}; r = __enzyme_autodiff_d((void *)f2, enzyme_const, p);",
            "an activity marker applies to one of these values",
        ),
    ];
    for o in ["-O0", "-O2"] {
        let ok = format!("{STRUCT_DECLS}{STRUCT_OK}");
        if let Err(e) = build_and_run(&dir, &[("user", &ok), ("model", STRUCT_MODEL)], o) {
            panic!("the struct pairings that work failed to link at {o}:\n{e}");
        }
        for (call, msg) in bad {
            let user = format!(
                "{STRUCT_DECLS}int main(void) {{\n  double r;\n  {call}\n  printf(\"%g\\n\", r);\n  return 0;\n}}\n"
            );
            match build_and_run(&dir, &[("user", &user), ("model", STRUCT_MODEL)], o) {
                Ok(out) => panic!("{call} at {o}: linked and ran (printed {out}), want an error"),
                Err(e) => {
                    assert!(
                        e.contains(msg) && e.contains("user.c:"),
                        "{call} at {o}: the link error does not say `{msg}` at user.c:\n{e}"
                    );
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

const USER: &str = r#"
#include <math.h>
#include <stdio.h>
extern int enzyme_dup;
double model(double x);
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
int main(void) {
  int bad = 0;
  for (double x = -1.0; x <= 1.5; x += 0.5) {
    double want = 3 * x * x * sin(x) + x * x * x * cos(x);
    double r = __enzyme_autodiff((void *)model, x), f = __enzyme_fwddiff((void *)model, x, 1.0);
    if (fabs(r - want) > 1e-12 * (1 + fabs(want)) || fabs(f - want) > 1e-12 * (1 + fabs(want))) {
      printf("x=%g reverse %.17g forward %.17g want %.17g\n", x, r, f, want);
      bad = 1;
    }
  }
  return bad;
}
"#;

const MODEL: &str = r#"
#include <math.h>
double model(double x) { return x * x * x * sin(x); }
"#;

#[test]
fn request_for_a_function_of_another_translation_unit() {
    let plugin = plugin();
    let dir = std::env::temp_dir().join(format!("ferment-lto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, src) in [("user.c", USER), ("model.c", MODEL)] {
        std::fs::write(dir.join(name), src).unwrap();
    }
    for o in ["-O0", "-O2"] {
        for name in ["user", "model"] {
            run(Command::new("clang-22")
                .args([o, "-flto", "-c"])
                .arg(format!("-fpass-plugin={}", plugin.display()))
                .arg(dir.join(format!("{name}.c")))
                .arg("-o")
                .arg(dir.join(format!("{name}.o"))));
        }
        let exe = dir.join("prog");
        run(Command::new("clang-22")
            .args([o, "-flto", "-fuse-ld=lld"])
            .arg(format!("-Wl,--load-pass-plugin={}", plugin.display()))
            .arg(dir.join("user.o"))
            .arg(dir.join("model.o"))
            .arg("-lm")
            .arg("-o")
            .arg(&exe));
        run(&mut Command::new(&exe));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

const SHAPES_H: &str = r#"
struct Term {
  virtual double eval(double x) const = 0;
  virtual ~Term() {}
};
Term *make_remote(double a);
"#;

// The differentiated function and one derived class; the other derived class (and the factory
// that makes its objects) lives in remote.cpp. Built with -flto, the link-time run sees both
// and dispatches the virtual call over both overriders; built without, the remote overrider is
// not visible when the derivative is compiled, and the program stops with a message when the
// derivative reaches it (never a derivative without its contribution).
const SHAPES_USER: &str = r#"
#include <math.h>
#include <stdio.h>
#include "shapes.h"
extern "C" int enzyme_const;
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
struct Local : Term {
  double a;
  explicit Local(double a) : a(a) {}
  double eval(double x) const override { return a * x * x * x; }
};
__attribute__((noinline)) double f(const Term *t, double x) { return t->eval(x) * x; }
int main(int argc, char **argv) {
  (void)argv;
  int bad = 0;
  Local l(1.5);
  Term *r = make_remote(0.75);
  const Term *which[2] = {&l, r};
  for (int k = 0; k < 2; k++) {
    const Term *t = which[(k + argc - 1) % 2];
    double x = 0.8;
    double want = t == &l ? 4 * 1.5 * x * x * x : sin(0.75 * x) + 0.75 * x * cos(0.75 * x);
    double d = __enzyme_autodiff((void *)f, enzyme_const, t, x);
    double g = __enzyme_fwddiff((void *)f, enzyme_const, t, x, 1.0);
    if (fabs(d - want) > 1e-12 * (1 + fabs(want)) || fabs(g - want) > 1e-12 * (1 + fabs(want))) {
      printf("term %d: reverse %.17g forward %.17g want %.17g\n", k, d, g, want);
      bad = 1;
    }
  }
  delete r;
  return bad;
}
"#;

const SHAPES_REMOTE: &str = r#"
#include <math.h>
#include "shapes.h"
struct Remote : Term {
  double w;
  explicit Remote(double w) : w(w) {}
  double eval(double x) const override { return sin(w * x); }
};
Term *make_remote(double a) { return new Remote(a); }
"#;

#[test]
fn virtual_call_reaching_a_class_of_another_translation_unit() {
    let plugin = plugin();
    let dir = std::env::temp_dir().join(format!("ferment-lto-virtual-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, src) in [
        ("shapes.h", SHAPES_H),
        ("user.cpp", SHAPES_USER),
        ("remote.cpp", SHAPES_REMOTE),
    ] {
        std::fs::write(dir.join(name), src).unwrap();
    }
    for lto in [true, false] {
        for o in ["-O0", "-O2"] {
            for name in ["user", "remote"] {
                let mut c = Command::new("clang++-22");
                c.args([o, "-c"]);
                if lto {
                    c.arg("-flto");
                } else {
                    c.arg("-g");
                }
                run(c
                    .arg(format!("-fpass-plugin={}", plugin.display()))
                    .arg(dir.join(format!("{name}.cpp")))
                    .arg("-o")
                    .arg(dir.join(format!("{name}.o"))));
            }
            let exe = dir.join("prog");
            let mut c = Command::new("clang++-22");
            c.arg(o);
            if lto {
                c.args(["-flto", "-fuse-ld=lld"])
                    .arg(format!("-Wl,--load-pass-plugin={}", plugin.display()));
            }
            run(c
                .arg(dir.join("user.o"))
                .arg(dir.join("remote.o"))
                .arg("-lm")
                .arg("-o")
                .arg(&exe));
            if lto {
                run(&mut Command::new(&exe));
            } else {
                // The local class's derivative still works; the remote one stops the
                // program with a message naming the call site (debug information) and the
                // cause.
                let out = Command::new(&exe).output().unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(
                    !out.status.success()
                        && stderr.contains("not visible when the derivative was compiled")
                        && stderr.contains("through a pointer at ")
                        && stderr.contains("user.cpp:"),
                    "{o} without -flto: expected a stop with a message, got {:?}\n{stderr}",
                    out.status
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
