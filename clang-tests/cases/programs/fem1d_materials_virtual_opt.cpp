// RUN: opt
// LEVELS: 0 1 2 3
// VALGRIND
// cases/programs/fem1d_materials_virtual.cpp (session 37, issue 14) run as Enzyme users run it,
// through opt (`clang++ -O<n> -S -emit-llvm`, `opt -load-pass-plugin=libferment.so
// -passes=enzyme`, link without -O), under valgrind. At opt-O2 and opt-O3 the reverse derivative
// of tip_objective wrote tape rows past the end of a 512-byte `ferment.tape.take` block (valgrind
// invalid write, then glibc's "realloc(): invalid next size"): the host had vectorized the
// elimination's inner loop, whose count is exact only behind its `n - c >= 4` guard, and the rows
// reserved for the whole nest multiplied that count where the guard fails (fixed in session 37;
// reduced: loops/opt_vectorized_nest_rows.c).
#include "fem1d_materials_virtual.cpp"
