! Fortran: an intrinsic flang leaves to its runtime that ferment does not differentiate (PACK of
! complex data, _FortranAPack at every -O) is a compile error at the statement, naming the
! runtime routine, never a silently wrong derivative.
! RUN: flang
! EXPECT-ERROR: unsupported_intrinsic.f90:21:5
! EXPECT-ERROR: cannot differentiate call to '_FortranAPack'
! EXPECT-ERROR: flang's runtime routine for a Fortran intrinsic
module unsupported_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
contains
  real(8) function model(n, a)
    integer, intent(in) :: n
    real(8), intent(in) :: a(n, 2)
    complex(8) :: z(n)
    integer :: i
    do i = 1, n
      z(i) = cmplx(a(i, 1), a(i, 2), 8)
    end do
    model = sum(real(pack(z, a(:, 1) > 0)))
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
