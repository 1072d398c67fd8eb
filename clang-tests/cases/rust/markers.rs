// Rust: a two-argument function with an `enzyme_const` marker (an extern static read with
// unsafe), two active arguments returned as a #[repr(C)] struct, and forward mode with tangents.
// RUN: rustc

#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct D2 {
    dx: f64,
    dy: f64,
}

extern "C" {
    static enzyme_const: i32;
    #[link_name = "__enzyme_autodiff"]
    fn autodiff_x_const_y(f: extern "C" fn(f64, f64) -> f64, x: f64, m: i32, y: f64) -> f64;
    #[link_name = "__enzyme_autodiff_d2"]
    fn autodiff_both(f: extern "C" fn(f64, f64) -> f64, x: f64, y: f64) -> D2;
    #[link_name = "__enzyme_fwddiff"]
    fn fwddiff2(f: extern "C" fn(f64, f64) -> f64, x: f64, dx: f64, y: f64, dy: f64) -> f64;
}

#[inline(never)]
extern "C" fn g(x: f64, y: f64) -> f64 {
    x * x * y + (x * y).sin() - y.exp() / (1.0 + x * x)
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-10 * want.abs().max(1.0)
}

fn main() {
    let mut failures = 0;
    let mut check = |what: &str, got: f64, want: f64| {
        if !close(got, want) {
            eprintln!("mismatch: {what} got={got} want={want}");
            failures += 1;
        }
    };
    for &(x, y) in &[(0.3f64, 1.4f64), (-1.2, 0.5), (2.0, -0.9)] {
        let q = 1.0 + x * x;
        let wx = 2.0 * x * y + y * (x * y).cos() + y.exp() * 2.0 * x / (q * q);
        let wy = x * x + x * (x * y).cos() - y.exp() / q;
        let c = unsafe { enzyme_const };
        let r = unsafe { autodiff_x_const_y(g, x, c, y) };
        check(&format!("reverse d/dx (y enzyme_const) at ({x}, {y})"), r, wx);
        let b = unsafe { autodiff_both(g, x, y) };
        check(&format!("reverse struct d/dx at ({x}, {y})"), b.dx, wx);
        check(&format!("reverse struct d/dy at ({x}, {y})"), b.dy, wy);
        let t = unsafe { fwddiff2(g, x, 0.5, y, -2.0) };
        check(&format!("forward direction (0.5, -2) at ({x}, {y})"), t, 0.5 * wx - 2.0 * wy);
    }
    if failures != 0 {
        std::process::exit(1);
    }
    println!("all checks passed");
}
