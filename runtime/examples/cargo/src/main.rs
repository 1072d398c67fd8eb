//! std::autodiff's attribute macros on a stable rustc with the ferment plugin: reverse and
//! forward mode, scalars and slices, each derivative checked against its analytic formula.
use ferment_runtime::{autodiff_forward, autodiff_reverse};

// f(x) = x sin x.  df(x, seed) -> (f(x), seed * f'(x)); tf(x, tx) -> (f(x), f'(x) tx)
#[autodiff_reverse(df, Active, Active)]
#[autodiff_forward(tf, Dual, Dual)]
fn f(x: f64) -> f64 {
    x * x.sin()
}

// g(x, k, y) = x^k e^y with an integer constant k.
#[autodiff_reverse(dg, Active, Const, Active, Active)]
#[autodiff_forward(tg, Dual, Const, Const, DualOnly)]
fn g(x: f64, k: i32, y: f64) -> f64 {
    x.powi(k) * y.exp()
}

// Single precision, derivative only.
#[autodiff_reverse(dh, Active, ActiveOnly)]
fn h(x: f32) -> f32 {
    x * x * x - 2.0 * x
}

// A scalar function of a slice: E(x) = sum_i (i+1) x_i^3.
#[autodiff_reverse(denergy, Duplicated, Active)]
#[autodiff_forward(tenergy, Dual, DualOnly)]
fn energy(x: &[f64]) -> f64 {
    x.iter().enumerate().map(|(i, v)| (i + 1) as f64 * v * v * v).sum()
}

// A map with an output argument: y_i = x_i^2 x_{n-1-i} (scaled by a constant).
#[autodiff_reverse(dmix, Duplicated, Const, Duplicated)]
#[autodiff_forward(tmix, Dual, Const, Dual)]
fn mix(x: &[f64; 4], scale: f64, y: &mut [f64; 4]) {
    for i in 0..4 {
        y[i] = scale * x[i] * x[i] * x[3 - i];
    }
}

fn main() {
    let mut failures = 0;
    let mut check = |what: &str, got: f64, want: f64, tol: f64| {
        let ok = (got - want).abs() <= tol * want.abs().max(1.0);
        println!("{what:32} {got:16.10} analytic {want:16.10} {}", if ok { "ok" } else { "MISMATCH" });
        failures += usize::from(!ok);
    };

    let x = 0.8;
    let (y, d) = df(x, 1.0);
    check("f(x) from df", y, x * x.sin(), 1e-15);
    check("f'(x) reverse", d, x.sin() + x * x.cos(), 1e-12);
    let (_, d3) = df(x, 3.0);
    check("3 f'(x) reverse (seed 3)", d3, 3.0 * (x.sin() + x * x.cos()), 1e-12);
    let (y, t) = tf(x, 2.0);
    check("f(x) from tf", y, x * x.sin(), 1e-15);
    check("2 f'(x) forward", t, 2.0 * (x.sin() + x * x.cos()), 1e-12);

    let (x, k, yv) = (1.3, 3, -0.4);
    let (v, dx, dy) = dg(x, k, yv, 1.0);
    check("g from dg", v, x.powi(3) * yv.exp(), 1e-14);
    check("dg/dx reverse", dx, 3.0 * x * x * yv.exp(), 1e-12);
    check("dg/dy reverse", dy, x.powi(3) * yv.exp(), 1e-12);
    check("dg/dx forward", tg(x, 1.0, k, yv), 3.0 * x * x * yv.exp(), 1e-12);

    let s = 1.5f32;
    check("h'(s) f32 reverse", dh(s, 1.0) as f64, (3.0 * s * s - 2.0) as f64, 1e-6);

    let v = vec![0.5, -1.0, 2.0, 0.25, 1.5];
    let mut dv = vec![0.0; v.len()];
    let e = denergy(&v, &mut dv, 1.0);
    check("E from denergy", e, energy(&v), 1e-15);
    for i in 0..v.len() {
        check(&format!("dE/dx[{i}] reverse"), dv[i], 3.0 * (i + 1) as f64 * v[i] * v[i], 1e-12);
    }
    let dir = vec![1.0, 2.0, -1.0, 0.5, -0.25];
    let want: f64 = (0..v.len()).map(|i| 3.0 * (i + 1) as f64 * v[i] * v[i] * dir[i]).sum();
    check("dE along dir forward", tenergy(&v, &dir), want, 1e-12);

    let xm = [0.5, -1.0, 2.0, 0.25];
    let scale = 1.5;
    let jac = |i: usize, j: usize| {
        let mut d = 0.0;
        if j == i {
            d += 2.0 * scale * xm[i] * xm[3 - i];
        }
        if j == 3 - i {
            d += scale * xm[i] * xm[i];
        }
        d
    };
    let mut ym = [0.0; 4];
    let mut dym = [1.0, -2.0, 0.5, 3.0];
    let u = dym;
    let mut dxm = [0.0; 4];
    dmix(&xm, &mut dxm, scale, &mut ym, &mut dym);
    for j in 0..4 {
        let want: f64 = (0..4).map(|i| u[i] * jac(i, j)).sum();
        check(&format!("(J^T u)[{j}] reverse"), dxm[j], want, 1e-12);
    }
    let vdir = [1.0, 2.0, -1.0, 0.5];
    let mut tym = [0.0; 4];
    tmix(&xm, &vdir, scale, &mut ym, &mut tym);
    for i in 0..4 {
        let want: f64 = (0..4).map(|j| jac(i, j) * vdir[j]).sum();
        check(&format!("(J v)[{i}] forward"), tym[i], want, 1e-12);
        check(&format!("y[{i}] primal"), ym[i], scale * xm[i] * xm[i] * xm[3 - i], 1e-15);
    }

    if failures != 0 {
        eprintln!("{failures} mismatches");
        std::process::exit(1);
    }
    println!("all derivatives match");
}
