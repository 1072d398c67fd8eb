//! The plugin must never read an instruction that it (or LLVM on its behalf) has erased. Such a
//! read crashes the compiler only when the freed memory has been reused by something that looks
//! like the instruction kind being tested for, which made the one crash seen (one e2e job out of
//! 3946: `cpp/mlp_crtp_std_function.cpp` at -O2, in `dispatch::stop_unseen_targets`) hard to
//! repeat. Here glibc's allocator makes it repeatable: with the thread cache off
//! (`GLIBC_TUNABLES=glibc.malloc.tcache_count=0`) every freed block is filled with the byte of
//! `MALLOC_PERTURB_`; with that byte equal to LLVM 22's value id of a `call` (86) or an `invoke`
//! (34), a freed instruction reads as a call, and asking for its attributes follows a pointer made
//! of that byte.
//!
//! `stop_unseen_targets` listed a function's instructions, then ended the block of each unseen
//! `invoke` with `unreachable`; the successors' phis left with one incoming value were erased
//! while the list still held them. Before its fix each compile of a test below segfaulted.

use std::path::{Path, PathBuf};
use std::process::Command;

fn plugin() -> PathBuf {
    std::env::var_os("FERMENT_PLUGIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/libferment.so")
        })
}

/// Compiles the case `case` (under `cases/`, C++ or C by its name) to an object file at `-O{o}`
/// with `flags` and freed memory filled with `byte`; panics when clang fails.
fn compile_with_freed_memory_as(case: &str, byte: u8, o: u8, flags: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!(
        "ferment-freed-{}-{byte}-{o}-{}",
        std::process::id(),
        case.replace('/', "-")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (driver, std) = if case.ends_with(".c") {
        ("clang-22", None)
    } else {
        ("clang++-22", Some("-std=c++17"))
    };
    let mut cmd = Command::new(driver);
    cmd.env("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0")
        .env("MALLOC_PERTURB_", byte.to_string())
        .args(["-fno-crash-diagnostics", "-c"])
        .args(std)
        .arg(format!("-O{o}"))
        .args(flags)
        .arg("-I")
        .arg(root.join("include"))
        .arg("-I")
        .arg(root.join("../runtime/include"))
        .arg(format!("-fpass-plugin={}", plugin().display()))
        .arg(root.join("cases").join(case))
        .arg("-o")
        .arg(dir.join("out.o"));
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Value ids of LLVM 22: `Value::InstructionVal` (29) plus the opcode of `call` (57),
/// `invoke` (5), `cmpxchg` (36) or `atomicrmw` (37).
const CALL_ID: u8 = 86;
const INVOKE_ID: u8 = 34;
const CMPXCHG_ID: u8 = 65;
const ATOMICRMW_ID: u8 = 66;

#[test]
fn stopping_an_unseen_invoke_reads_no_erased_phi() {
    for byte in [CALL_ID, INVOKE_ID] {
        compile_with_freed_memory_as("cpp/mlp_crtp_std_function.cpp", byte, 2, &[]);
    }
}

/// `openmp::atomic_updates_as_critical` rewrote each compare-and-swap loop (`x *= v` under
/// `omp atomic`) while lazily filtering the function's instructions it had listed before: the
/// rewrite erases the exchange's extracts and the casts after it, which the filter then asked for
/// their opcode (and its second pass, looking for `atomicrmw`, asked them again). A freed
/// instruction read as an exchange had its operands followed. Segfaulted at -O0 and -O2.
#[test]
fn critical_atomic_updates_read_no_erased_extract() {
    for byte in [CMPXCHG_ID, ATOMICRMW_ID] {
        for o in [0, 2] {
            compile_with_freed_memory_as("openmp/atomic_updates.c", byte, o, &["-fopenmp"]);
        }
    }
}
