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
! For the usual signatures the module has generic entry points (see
! "generic entry points" below): ferment_autodiff, ferment_fwddiff,
! ferment_gradient and ferment_tangent, e.g.
!     g = ferment_autodiff(c_funloc(f), x, y)    ! type(ferment_grad2): g%d1, g%d2
!     call ferment_gradient(c_funloc(e), x, dx, n)
!
! Declaring the entry point for your own signature
! ------------------------------------------------
! Fortran has no varargs, so write one interface per other signature. ferment
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
  use iso_c_binding, only: c_int, c_double, c_float, c_funptr
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
  integer(c_int), bind(C, name="enzyme_struct_value"), public :: enzyme_struct_value = 0

  ! ---- whole-call markers ---------------------------------------------------
  integer(c_int), bind(C, name="enzyme_width"), public :: enzyme_width = 0
  integer(c_int), bind(C, name="enzyme_context"), public :: enzyme_context = 0
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
  ! ---- generic entry points for the usual signatures -----------------------
  ! Fortran has no varargs, so each specific below is a bind(C) interface to
  ! a suffixed entry point (ferment matches names that CONTAIN
  ! __enzyme_autodiff / __enzyme_fwddiff). The function or subroutine to
  ! differentiate must be bind(C), take its scalars with `value`, its arrays
  ! as explicit-shape/assumed-size dummies and `n` as `integer(c_int), value`;
  ! pass it as c_funloc(f). Arrays are duplicated (primal, then shadow: the
  ! reverse mode ADDS into the shadow, zero it first), reals are active,
  ! the integer n is constant.
  !
  !   g = ferment_autodiff(c_funloc(f), x)         f(x): df/dx
  !   g = ferment_autodiff(c_funloc(f), x, y)      f(x,y): ferment_grad2 (%d1, %d2)
  !   g = ferment_autodiff(c_funloc(f), x, y, z)   f(x,y,z): ferment_grad3
  !   t = ferment_fwddiff(c_funloc(f), x, dx)      tangent of f(x) along dx
  !   t = ferment_fwddiff(c_funloc(f), x, dx, y, dy)
  !   t = ferment_fwddiff(c_funloc(f), x, dx, n)   f(x(n), n), x and dx arrays
  !   call ferment_gradient(c_funloc(f), x, dx, n)        f(x(n), n) -> real: dx += grad
  !   call ferment_gradient(c_funloc(s), x, dx, y, dy, n) subroutine s(x(n), y(n), n):
  !                                                       dx += J^T dy (dy is consumed)
  !   call ferment_tangent(c_funloc(s), x, dx, y, dy, n)  subroutine s: dy = J dx
  ! The scalar forms exist for real(c_double) and real(c_float).
  type, bind(C), public :: ferment_grad2
    real(c_double) :: d1, d2
  end type
  type, bind(C), public :: ferment_grad3
    real(c_double) :: d1, d2, d3
  end type
  public :: ferment_autodiff, ferment_fwddiff, ferment_gradient, ferment_tangent

  interface ferment_autodiff
    function ferment_autodiff_d1(f, x) bind(C, name="__enzyme_autodiff_ferment_d1") result(d)
      import :: c_funptr, c_double
      type(c_funptr), value :: f
      real(c_double), value :: x
      real(c_double) :: d
    end function
    function ferment_autodiff_d2(f, x, y) bind(C, name="__enzyme_autodiff_ferment_d2") result(d)
      import :: c_funptr, c_double, ferment_grad2
      type(c_funptr), value :: f
      real(c_double), value :: x, y
      type(ferment_grad2) :: d
    end function
    function ferment_autodiff_d3(f, x, y, z) bind(C, name="__enzyme_autodiff_ferment_d3") result(d)
      import :: c_funptr, c_double, ferment_grad3
      type(c_funptr), value :: f
      real(c_double), value :: x, y, z
      type(ferment_grad3) :: d
    end function
    function ferment_autodiff_f1(f, x) bind(C, name="__enzyme_autodiff_ferment_f1") result(d)
      import :: c_funptr, c_float
      type(c_funptr), value :: f
      real(c_float), value :: x
      real(c_float) :: d
    end function
  end interface

  interface ferment_fwddiff
    function ferment_fwddiff_d1(f, x, dx) bind(C, name="__enzyme_fwddiff_ferment_d1") result(t)
      import :: c_funptr, c_double
      type(c_funptr), value :: f
      real(c_double), value :: x, dx
      real(c_double) :: t
    end function
    function ferment_fwddiff_d2(f, x, dx, y, dy) bind(C, name="__enzyme_fwddiff_ferment_d2") result(t)
      import :: c_funptr, c_double
      type(c_funptr), value :: f
      real(c_double), value :: x, dx, y, dy
      real(c_double) :: t
    end function
    function ferment_fwddiff_f1(f, x, dx) bind(C, name="__enzyme_fwddiff_ferment_f1") result(t)
      import :: c_funptr, c_float
      type(c_funptr), value :: f
      real(c_float), value :: x, dx
      real(c_float) :: t
    end function
    function ferment_fwddiff_a1(f, x, dx, n) bind(C, name="__enzyme_fwddiff_ferment_a1") result(t)
      import :: c_funptr, c_double, c_int
      type(c_funptr), value :: f
      real(c_double) :: x(*), dx(*)
      integer(c_int), value :: n
      real(c_double) :: t
    end function
  end interface

  interface ferment_gradient
    subroutine ferment_gradient_a1(f, x, dx, n) bind(C, name="__enzyme_autodiff_ferment_a1")
      import :: c_funptr, c_double, c_int
      type(c_funptr), value :: f
      real(c_double) :: x(*), dx(*)
      integer(c_int), value :: n
    end subroutine
    subroutine ferment_gradient_a2(f, x, dx, y, dy, n) bind(C, name="__enzyme_autodiff_ferment_a2")
      import :: c_funptr, c_double, c_int
      type(c_funptr), value :: f
      real(c_double) :: x(*), dx(*), y(*), dy(*)
      integer(c_int), value :: n
    end subroutine
  end interface

  interface ferment_tangent
    subroutine ferment_tangent_a2(f, x, dx, y, dy, n) bind(C, name="__enzyme_fwddiff_ferment_a2")
      import :: c_funptr, c_double, c_int
      type(c_funptr), value :: f
      real(c_double) :: x(*), dx(*), y(*), dy(*)
      integer(c_int), value :: n
    end subroutine
  end interface
end module ferment
