! Fortran array intrinsics that flang lowers to its runtime at -O0 (SPREAD also at -O2):
! PRODUCT of a whole array, SUM/PRODUCT/MAXVAL/MINVAL along a dimension (_FortranA*Dim),
! SPREAD of a vector and of a scalar (_FortranASpread), RESHAPE of a vector into a matrix and
! of a matrix into a vector (_FortranAReshape).
! Reverse mode against central finite differences, forward mode against finite differences
! and against the reverse gradient (dot-product test).
! RUN: flang
include 'check.inc'

module array_intrinsics_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
contains
  real(8) function model(n, x)
    integer, intent(in) :: n
    real(8), intent(in) :: x(n)
    real(8) :: m(n, n), c(n), r(2, n / 2), v(n), t(n, 3)
    m = spread(x, 1, n)              ! m(i, j) = x(j)
    c = sum(m * transpose(m), dim=1) ! c(j) = x(j) sum(x)
    r = reshape(x, [2, n / 2])
    v = reshape(r * r, [n])          ! v = x**2
    t = spread(x, 2, 3)
    model = sum(c) + product(x(1:3)) + sum(maxval(r, dim=1)) + sum(minval(r, dim=2)) &
            + sum(product(t(:, 1:2), dim=2)) + sum(v * x) + 2 * sum(spread(x(1), 1, 2))
  end function
  ! the model at x alone (the other arguments from the module), for the checks
  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = model(size(x), x)
  end function
end module

program main
  use ferment_check
  use array_intrinsics_mod
  implicit none
  integer, parameter :: n = 6
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n), dx(n), v(n), tangent
  integer :: i
  do i = 1, n
    x(i) = 0.35d0 * i - 0.8d0 + 0.1d0 * mod(i, 2)  ! distinct values: no ties in MAXVAL/MINVAL
    v(i) = cos(1.0d0 * i)
  end do
  dx = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx)
  call check_gradient_fd('reverse', oracle, x, dx, 1d-5, 1d-6)
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v)
  call check_tangent_fd('forward', oracle, x, v, tangent, 1d-5, 1d-6, dx, 1d-10)
  call check_report()
end program
