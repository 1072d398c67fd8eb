//! Link-time differentiation: a request in one translation unit for a function defined in
//! another, built with `-flto`. The compile step leaves the request for the link-time run
//! (`lld --load-pass-plugin`), which sees both bodies. The program checks its derivatives
//! against analytic values (d/dx x^3 sin x, reverse and forward) and exits non-zero otherwise.

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
