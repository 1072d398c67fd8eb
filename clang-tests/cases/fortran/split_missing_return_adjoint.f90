! Split reverse mode of a Fortran function whose __enzyme_reverse interface omits the result's
! adjoint: a compile error at the call naming what is missing and how to declare it (never the
! tape read as the seed).
! RUN: flang
! EXPECT-ERROR: split_missing_return_adjoint.f90:47:3
! EXPECT-ERROR: expected 2 more argument(s) after the arguments of 'model' (the adjoint of the return value, then the tape
! EXPECT-ERROR: real(c_double), value :: dret
module split_missing_mod
  use iso_c_binding
  implicit none
  integer(c_int), bind(C, name="enzyme_const") :: enzyme_const
  integer(c_int), bind(C, name="enzyme_dup") :: enzyme_dup
  interface
    function augment_model(f, c1, n, d1, x, dx) result(tape) bind(C, name="__enzyme_augmentfwd")
      import :: c_ptr, c_int, c_double, c_funptr
      type(c_funptr), value :: f
      integer(c_int), value :: c1, d1
      integer(c_int) :: n
      real(c_double) :: x(*), dx(*)
      type(c_ptr) :: tape
    end function
    subroutine reverse_model(f, c1, n, d1, x, dx, tape) bind(C, name="__enzyme_reverse")
      import :: c_ptr, c_int, c_double, c_funptr
      type(c_funptr), value :: f
      integer(c_int), value :: c1, d1
      integer(c_int) :: n
      real(c_double) :: x(*), dx(*)
      type(c_ptr), value :: tape
    end subroutine
  end interface
contains
  real(c_double) function model(n, x) bind(C)
    integer(c_int) :: n
    real(c_double) :: x(n)
    model = sum(sin(x) * x)
  end function
end module

program main
  use split_missing_mod
  implicit none
  integer(c_int) :: nn = 3
  real(c_double) :: x(3) = [0.3d0, -0.5d0, 0.7d0], dx(3)
  type(c_ptr) :: tape
  dx = 0
  tape = augment_model(c_funloc(model), enzyme_const, nn, enzyme_dup, x, dx)
  call reverse_model(c_funloc(model), enzyme_const, nn, enzyme_dup, x, dx, tape)
  print *, dx
end program
