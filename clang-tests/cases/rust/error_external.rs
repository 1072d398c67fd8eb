// Rust: a request ferment cannot serve stops the rustc compile with the error (rustc's
// diagnostic handler drops LLVM's generic errors, so ferment reports them itself) instead of
// compiling to a trap.
// RUN: rustc
// EXPECT-ERROR: cannot differentiate call to external function 'ext'
// EXPECT-ERROR: stopping the compile

extern "C" {
    fn __enzyme_autodiff(f: extern "C" fn(f64) -> f64, x: f64) -> f64;
    fn ext(x: f64) -> f64;
}

extern "C" fn g(x: f64) -> f64 {
    x * unsafe { ext(x) }
}

fn main() {
    println!("{}", unsafe { __enzyme_autodiff(g, 2.0) });
}
