! Fortran: an intrinsic flang lowers to a runtime routine ferment has no rule for (NORM2 along a
! dimension, _FortranANorm2Dim at every -O) is a compile error at the statement that names the
! runtime routine, never a silently wrong derivative.
! RUN: flang
! EXPECT-ERROR: unsupported_intrinsic.f90:16:5
! EXPECT-ERROR: cannot differentiate call to '_FortranANorm2Dim', flang's runtime routine for a Fortran intrinsic
module unsupported_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
contains
  real(8) function model(n, a)
    integer, intent(in) :: n
    real(8), intent(in) :: a(n, 2)
    real(8) :: r(2)
    r = norm2(a, dim=1)
    model = r(1) * r(2)
  end function
end module

program main
  use unsupported_mod
  implicit none
  integer, parameter :: n = 3
  external :: f__enzyme_autodiff
  real(8) :: a(n, 2), da(n, 2)
  a = 1
  da = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, a, da)
  print *, da
end program
