// Rust without any __enzyme_* call: IR identical with and without the plugin.
// EXPECT-IR-UNCHANGED
fn f(x: f64) -> f64 {
    x.sin() * x.exp()
}

fn main() {
    let v: Vec<f64> = (0..10).map(|i| f(i as f64 * 0.1)).collect();
    println!("{}", v.iter().sum::<f64>());
}
