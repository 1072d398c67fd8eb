#!/usr/bin/env bash
# Runs N fuzz programs (default 1000) with fresh seeds, plus N/10 malformed requests, on
# FERMENT_FUZZ_JOBS workers (default 2). Failures are reduced into fuzz/found/.
#   fuzz/run.sh [N] [START_SEED] [VARIANT]
# VARIANT: default, no-inline (every compile with -mllvm -ferment-no-inline: calls stay
# calls, so every helper gets derivatives of its own), or omp (OpenMP kernels compiled with
# -fopenmp, checked with 1, 2 and 4 threads; never under valgrind), or numeric (Newton
# iterations to a tolerance, function-pointer tables and callbacks, scratch buffers, structs of
# arrays, strided matrices, floor as an index, float arithmetic: see fuzz/src/gen.rs), also
# numeric,no-inline, or user (everyday C: running minima with index, while/do loops, ping-pong
# buffers, memmove/memset, struct copies, interior pointers, globals: fuzz/src/gen/user.rs), also
# user,no-inline, or api (single-precision libm, integer-to-float conversions in loops, kinks at
# exact ties and signed zeros, batched shadows through enzyme_dupv: fuzz/src/gen/api.rs), also
# api,no-inline, or guard (guarded values whose discarded side is infinite or NaN: a quotient,
# logarithm or square root of an exact zero computed before the test that discards it, isfinite
# guards, min/max with an infinite operand, loops that skip a zero: fuzz/src/gen/guard.rs), also
# guard,no-inline, or clamp (infinite partials at clamped zeros: cbrt/pow/asin/acos/exp(-1/z)/
# exp(c log z) of fmax(e, 0) or of a value clamped to [-1, 1], and quotients of an exact zero
# stored to memory and discarded after they are read back: fuzz/src/gen/clamp.rs; 24 seeds of it
# are in the CI campaign), also clamp,no-inline, or
# edge (variable-length arrays in loops, alloca, goto out of nested loops and into a loop body,
# modf/frexp/ldexp, arrays of row pointers, realloc growth, data-dependent while:
# fuzz/src/gen/edge.rs), also edge,no-inline, or sci (scatter-adds through int index arrays,
# gathers through constant index tables, CSR sparse matrix-vector products, static local
# arrays, Horner's rule counting down, Kahan sums, tridiagonal (Thomas) solves, partial-pivoting
# swaps, in-place prefix and suffix recurrences: fuzz/src/gen/sci.rs), also sci,no-inline, or corner
# (long double accumulators, sign bits through a union or memcpy, remainder/rint/ilogb/nextafter,
# qsort with a comparator, complex arithmetic: fuzz/src/gen/corner.rs), also corner,no-inline, or abi
# (structs holding arrays passed and returned by value, variadic helpers, a switch on an integer
# mode argument: fuzz/src/gen/abi.rs), also abi,no-inline, or solve (fixed-point and Jacobi
# iterations in do/while loops left by a break on a convergence test, 2-D arrays passed to
# helpers: fuzz/src/gen/solve.rs), also solve,no-inline, or mix (chains of fmin/fmax/fabs/
# copysign/hypot/fma kinks, gathers and scatter-adds through indices computed from the data,
# static caches and accumulators, a struct holding arrays by pointer, switch in a loop, returns
# from inside loops, float mixed with double: fuzz/src/gen/mix.rs), also mix,no-inline, or hazard
# (values infinite on some paths only: a zero divisor, log or sqrt on one side of a branch,
# quotients written, returned or multiplied into memory by helpers, selects of guarded values,
# int trip counts read from memory: fuzz/src/gen/hazard.rs), also hazard,no-inline, or flat
# (functions flat at an infinite argument of quotients by an exact zero with an active numerator:
# fuzz/src/gen/flat.rs; combinable, e.g. flat,no-inline), or split (split
# mode checked on every program, not on 35%: combinable with the other families, e.g.
# split,mix,no-inline), or hvp (forward-over-reverse: forward mode of a
# function calling the reverse or split derivative, checked for the gradient, the Hessian's
# symmetry, lanes, split vs combined and finite differences of the gradient; combinable with the
# other families, e.g. hvp,user,no-inline: fuzz/src/harness.rs `hessian`; 12 seeds of it, every
# 3rd no-inline, are in the CI campaign). A rejection of the forward-over-reverse requests alone
# is counted apart, by message and by the ferment function it names (`[in ferment.augmented.*]`),
# or cpp (C++17 programs compiled with clang++-22 -std=c++17: std::vector push_back/resize/
# reserve/range-for, a value type with operators, a virtual eval through
# std::vector<std::unique_ptr<Base>>, lambdas called directly, through a template and through
# std::function, std::array, std::pair/std::tuple results, std::accumulate/std::inner_product,
# std::min/std::max, references: fuzz/src/gen/cpp.rs), also cpp,no-inline.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-1000}
start=${2:-$(( ($(date +%s) % 100000) * 10000 + 1000 ))}
variant=${3:-default}
CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1} cargo build --release -q -p ferment -p ferment-fuzz
rc=0
./target/release/ferment-fuzz run --start "$start" --count "$n" --valgrind-every 50 --variant "$variant" || rc=1
./target/release/ferment-fuzz malformed --start "$start" --count $(( n / 10 + 1 )) --variant "$variant" || rc=1
exit $rc
