//! End-to-end tests for the ferment plugin.
//!
//! The tests live in `tests/e2e.rs` (a `harness = false` test) and the programs they build in
//! `cases/`; the shared C header is `include/check.h`. Run them with
//! `cargo build --release -p ferment && cargo test -p ferment-clang-tests`.
