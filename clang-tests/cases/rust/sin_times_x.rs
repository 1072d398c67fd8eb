// Rust: differentiate `extern "C" fn f(x) = sin(x) * x` with __enzyme_autodiff and
// __enzyme_fwddiff declared with concrete signatures; analytic oracle, exit(1) on mismatch.
// RUN: rustc

extern "C" {
    fn __enzyme_autodiff(f: extern "C" fn(f64) -> f64, x: f64) -> f64;
    fn __enzyme_fwddiff(f: extern "C" fn(f64) -> f64, x: f64, dx: f64) -> f64;
}

#[no_mangle]
#[inline(never)]
pub extern "C" fn sin_times_x(x: f64) -> f64 {
    x.sin() * x
}

#[inline(never)]
extern "C" fn exp_poly(x: f64) -> f64 {
    (0.5 * x).exp() + x.powi(3) - x.sqrt()
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-10 * want.abs().max(1.0)
}

fn main() {
    let mut failures = 0;
    for &x in &[-2.0f64, -0.4, 0.3, 1.0, 2.7] {
        let want = x.cos() * x + x.sin();
        let h = 1e-6 * x.abs().max(1.0);
        let fd = (sin_times_x(x + h) - sin_times_x(x - h)) / (2.0 * h);
        if (fd - want).abs() > 1e-6 * want.abs().max(1.0) {
            eprintln!("mismatch: oracle vs finite differences at x={x} got={want} want={fd}");
            failures += 1;
        }
        let r = unsafe { __enzyme_autodiff(sin_times_x, x) };
        if !close(r, want) {
            eprintln!("mismatch: reverse sin(x)*x at x={x} got={r} want={want}");
            failures += 1;
        }
        let t = unsafe { __enzyme_fwddiff(sin_times_x, x, 1.0) };
        if !close(t, want) {
            eprintln!("mismatch: forward sin(x)*x at x={x} got={t} want={want}");
            failures += 1;
        }
        if x > 0.0 {
            let want = 0.5 * (0.5 * x).exp() + 3.0 * x * x - 0.5 / x.sqrt();
            let r = unsafe { __enzyme_autodiff(exp_poly, x) };
            if !close(r, want) {
                eprintln!("mismatch: reverse exp_poly at x={x} got={r} want={want}");
                failures += 1;
            }
        }
    }
    if failures != 0 {
        eprintln!("{failures} checks failed");
        std::process::exit(1);
    }
    println!("all checks passed");
}
