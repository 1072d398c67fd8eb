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
    println!("cargo:rerun-if-changed=src/shim/finite_version.cpp");
    println!("cargo:rerun-if-changed=src/shim/variadic.cpp");
    println!("cargo:rerun-if-changed=src/shim/finite_test.cpp");
    println!("cargo:rerun-if-changed=src/shim/finite_test.h");
    println!("cargo:rerun-if-changed=src/shim/fuse_loops.cpp");
    println!("cargo:rerun-if-changed=src/shim/fuse_loops.h");
    println!("cargo:rerun-if-changed=src/shim/move_body.h");
    println!("cargo:rerun-if-env-changed=LLVM_SYS_221_PREFIX");
    let include = llvm_config("--includedir");
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .file("src/shim/shim.cpp")
        .file("src/shim/finite_version.cpp")
        .file("src/shim/variadic.cpp")
        .file("src/shim/finite_test.cpp")
        .file("src/shim/fuse_loops.cpp")
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
    build_clang_plugin(&include);
    // Only test binaries link libLLVM (see lib.rs); the cdylib never does.
    println!("cargo:rustc-link-search=native={}", llvm_config("--libdir"));
}

/// `libferment_clang.so`, the clang front-end plugin (`-fplugin=`: Enzyme's
/// source attributes, and loading the pass plugin), next to `libferment.so`
/// in the target directory. It needs clang's headers (Debian's
/// `libclang-22-dev`); without them it is skipped with a warning. Like the
/// pass plugin it links nothing: clang provides every symbol.
fn build_clang_plugin(include: &str) {
    println!("cargo:rerun-if-changed=clang/ferment_clang.cpp");
    let header = std::path::Path::new(include).join("clang/Sema/ParsedAttr.h");
    if !header.exists() {
        println!(
            "cargo:warning=clang headers not found ({}): libferment_clang.so (the -fplugin front end) is not built; install libclang-22-dev",
            header.display()
        );
        return;
    }
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/ferment-<hash>/out.
    let Some(profile_dir) = out_dir.ancestors().nth(3) else {
        return;
    };
    let built = out_dir.join("libferment_clang.so");
    let compiler = cc::Build::new().cpp(true).get_compiler();
    let status = Command::new(compiler.path())
        .args([
            "-std=c++17",
            "-fno-rtti",
            "-fno-exceptions",
            "-fPIC",
            "-shared",
            "-O2",
            "-w",
        ])
        .args([
            "-D_GNU_SOURCE",
            "-D__STDC_CONSTANT_MACROS",
            "-D__STDC_LIMIT_MACROS",
            "-DNDEBUG",
        ])
        .arg("-I")
        .arg(include)
        .arg("clang/ferment_clang.cpp")
        .arg("-o")
        .arg(&built)
        .status()
        .expect("run the C++ compiler for libferment_clang.so");
    assert!(status.success(), "building libferment_clang.so failed");
    std::fs::copy(&built, profile_dir.join("libferment_clang.so"))
        .expect("copy libferment_clang.so");
}
