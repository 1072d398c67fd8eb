! ferment.f90 -- the markers of Enzyme's calling convention for Fortran.
!
! Build your program with the plugin loaded into flang:
!     flang-22 -O2 -fpass-plugin=/path/to/libferment.so ferment.f90 prog.f90
! `use ferment` gives you the marker variables below. Passing one BY VALUE
! before an argument sets that argument's activity, exactly as in C
! (see runtime/include/ferment.h and README.md):
!     enzyme_const  x        no derivative for x
!     enzyme_out    x        active scalar, derivative returned (reverse mode)
!     enzyme_dup    p, dp    primal followed by its shadow (derivatives are ADDED)
! Unmarked: real -> active in reverse mode and followed by its tangent in
! forward mode; pointer (c_ptr, or an array passed by reference) ->
! duplicated; integer -> constant.
!
! Unlike C's `extern int enzyme_dup;`, this module DEFINES the globals, so a
! program that uses it links with or without the plugin (without it, the
! calls to __enzyme_* stay undefined).
!
! Declaring the entry point for your own signature
! ------------------------------------------------
! Fortran has no varargs, so write one interface per signature. ferment
! matches any name that CONTAINS `__enzyme_autodiff` (or `__enzyme_fwddiff`),
! so give each interface its own suffix:
!
!     module my_model
!       use iso_c_binding
!       implicit none
!     contains
!       ! the function to differentiate: bind(C), scalars by value
!       function relu3(x) bind(C) result(y)
!         real(c_double), value :: x
!         real(c_double) :: y
!         y = 0
!         if (x > 0) y = x**3
!       end function
!     end module
!
!     program demo
!       use iso_c_binding
!       use ferment
!       use my_model
!       implicit none
!       interface
!         ! reverse mode, one active real -> its derivative
!         function autodiff_d(f, x) bind(C, name="__enzyme_autodiff_d") result(dx)
!           import :: c_funptr, c_double
!           type(c_funptr), value :: f
!           real(c_double), value :: x
!           real(c_double) :: dx
!         end function
!         ! reverse mode with a marker: x is constant, derivative for z only
!         function autodiff_cd(f, mc, x, z) bind(C, name="__enzyme_autodiff_cd") result(dz)
!           import :: c_funptr, c_double, c_int
!           type(c_funptr), value :: f
!           integer(c_int), value :: mc
!           real(c_double), value :: x, z
!           real(c_double) :: dz
!         end function
!         ! forward mode: x followed by its tangent
!         function fwddiff_d(f, x, dx) bind(C, name="__enzyme_fwddiff_d") result(dy)
!           import :: c_funptr, c_double
!           type(c_funptr), value :: f
!           real(c_double), value :: x, dx
!           real(c_double) :: dy
!         end function
!       end interface
!       print *, autodiff_d(c_funloc(relu3), 2.0_c_double)              ! 12
!       print *, fwddiff_d(c_funloc(relu3), 2.0_c_double, 1.0_c_double)  ! 12
!     end program
!
! and call `autodiff_cd(c_funloc(g), enzyme_const, x, z)` for a g(x, z).
! Use `real(c_float)` with its own interface for single precision (no
! promotion happens here, unlike C varargs).
module ferment
  use iso_c_binding, only: c_int
  implicit none
  private

  ! ---- per-argument markers -------------------------------------------------
  integer(c_int), bind(C, name="enzyme_dup"), public :: enzyme_dup = 0
  integer(c_int), bind(C, name="enzyme_dupnoneed"), public :: enzyme_dupnoneed = 0
  integer(c_int), bind(C, name="enzyme_out"), public :: enzyme_out = 0
  integer(c_int), bind(C, name="enzyme_const"), public :: enzyme_const = 0
  integer(c_int), bind(C, name="enzyme_dupv"), public :: enzyme_dupv = 0
  integer(c_int), bind(C, name="enzyme_dupnoneedv"), public :: enzyme_dupnoneedv = 0
  integer(c_int), bind(C, name="enzyme_byref"), public :: enzyme_byref = 0
  integer(c_int), bind(C, name="enzyme_not_overwritten"), public :: enzyme_not_overwritten = 0

  ! ---- whole-call markers ---------------------------------------------------
  integer(c_int), bind(C, name="enzyme_width"), public :: enzyme_width = 0
  integer(c_int), bind(C, name="enzyme_scalar"), public :: enzyme_scalar = 0
  integer(c_int), bind(C, name="enzyme_vector"), public :: enzyme_vector = 0
  integer(c_int), bind(C, name="enzyme_buffer"), public :: enzyme_buffer = 0
  integer(c_int), bind(C, name="enzyme_primal_return"), public :: enzyme_primal_return = 0
  integer(c_int), bind(C, name="enzyme_const_return"), public :: enzyme_const_return = 0
  integer(c_int), bind(C, name="enzyme_active_return"), public :: enzyme_active_return = 0
  integer(c_int), bind(C, name="enzyme_dup_return"), public :: enzyme_dup_return = 0
  integer(c_int), bind(C, name="enzyme_noret"), public :: enzyme_noret = 0
  integer(c_int), bind(C, name="enzyme_tape"), public :: enzyme_tape = 0
  integer(c_int), bind(C, name="enzyme_allocated"), public :: enzyme_allocated = 0
  integer(c_int), bind(C, name="enzyme_nofree"), public :: enzyme_nofree = 0
  integer(c_int), bind(C, name="enzyme_runtime_activity"), public :: enzyme_runtime_activity = 0
end module ferment
