//! Lets test binaries find libLLVM-22 (the library itself never links it).
fn main() {
    println!("cargo:rustc-link-search=native=/usr/lib/llvm-22/lib");
    println!("cargo:rerun-if-changed=build.rs");
}
