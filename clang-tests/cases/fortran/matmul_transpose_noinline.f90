! matmul_transpose.f90 (MATMUL, TRANSPOSE and scalar-to-array assignments through flang's runtime
! at -O0) with -ferment-no-inline: ferment's helpers for the runtime routines are inlined even
! then. Before session 38 they stayed functions of their own, and at -O0 this program (and
! array_intrinsics, complex_arith, cshift_inline, lower_bounds_inline, shift_dim.f90) crashed
! with a segmentation fault when run. Same checks and oracles as matmul_transpose.f90.
! RUN: flang
! CFLAGS: -mllvm -ferment-no-inline
include 'matmul_transpose.f90'
