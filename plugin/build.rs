//! Builds the thin C++ glue (plugin registration, pipeline helpers) against
//! the LLVM 22 headers. Nothing is linked against libLLVM: the host process
//! (clang, opt, flang or rustc) provides every LLVM symbol at load time.

use std::process::Command;

fn llvm_config(arg: &str) -> String {
    let prefix = std::env::var("LLVM_SYS_221_PREFIX").unwrap_or_else(|_| "/usr/lib/llvm-22".into());
    let exe = format!("{prefix}/bin/llvm-config");
    let out = Command::new(&exe)
        .arg(arg)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {exe}: {e} (install llvm-22-dev)"));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn main() {
    println!("cargo:rerun-if-changed=src/shim/shim.cpp");
    println!("cargo:rerun-if-env-changed=LLVM_SYS_221_PREFIX");
    let include = llvm_config("--includedir");
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .file("src/shim/shim.cpp")
        .include(&include)
        .flag("-std=c++17")
        .flag("-fno-rtti")
        .flag("-fno-exceptions")
        .flag("-fPIC")
        .flag_if_supported("-Wno-unused-parameter")
        .define("_GNU_SOURCE", None)
        .define("__STDC_CONSTANT_MACROS", None)
        .define("__STDC_FORMAT_MACROS", None)
        .define("__STDC_LIMIT_MACROS", None)
        .define("NDEBUG", None)
        .warnings(false);
    build.compile("ferment_shim");
    // Only test binaries link libLLVM (see lib.rs); the cdylib never does.
    println!("cargo:rustc-link-search=native={}", llvm_config("--libdir"));
}
