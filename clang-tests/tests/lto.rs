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
