//! The deterministic CI campaign: 180 generated programs (seeds 1..=180, every 5th with
//! `-mllvm -ferment-no-inline`) at -O0 and -O2, 20 of the numeric variant, 24 of the clamp variant
//! (seeds 1000100..1000123, every 4th no-inline), 12 of the hvp variant (forward over reverse, seeds
//! 25600000..25600011, every 3rd no-inline), 10 of the sci variant (seeds 26700000..26700009,
//! every 4th no-inline), 10 of the corner variant (seeds 27800000..27800009, every 4th
//! no-inline), 10 of the hazard variant (seeds 3140000..3140009) and 10 of the flat variant (seeds
//! 3146000..3146009, both every 2nd no-inline), 20 OpenMP programs (the omp variant, each with 1,
//! 2 and 4 threads) and 60 malformed requests, through the
//! `ferment-fuzz ci` binary. Needs the release plugin (`cargo build --release -p ferment`), like
//! the end-to-end tests.
use std::process::Command;

fn main() {
    let bin = env!("CARGO_BIN_EXE_ferment-fuzz");
    let st = Command::new(bin)
        .arg("ci")
        .status()
        .expect("cannot run ferment-fuzz");
    if !st.success() {
        eprintln!("fuzz campaign: FAILED (see above; reduced cases under target/fuzz/found/)");
        std::process::exit(1);
    }
    println!("fuzz campaign: ok");
}
