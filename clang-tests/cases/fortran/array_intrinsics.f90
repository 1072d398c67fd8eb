! Fortran array intrinsics that flang lowers to its runtime at -O0 (SPREAD also at -O2):
! PRODUCT of a whole array, SUM/PRODUCT/MAXVAL/MINVAL along a dimension (_FortranA*Dim),
! SPREAD of a vector and of a scalar (_FortranASpread), RESHAPE of a vector into a matrix and
! of a matrix into a vector (_FortranAReshape).
! Reverse mode against central finite differences, forward mode against finite differences
! and against the reverse gradient (dot-product test).
! RUN: flang
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
end module

program main
  use array_intrinsics_mod
  implicit none
  integer, parameter :: n = 6
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n), dx(n), v(n), e(n), h, fd, tangent
  integer :: i, failures
  failures = 0
  do i = 1, n
    x(i) = 0.35d0 * i - 0.8d0 + 0.1d0 * mod(i, 2)  ! distinct values: no ties in MAXVAL/MINVAL
    v(i) = cos(1.0d0 * i)
  end do
  dx = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx)
  h = 1d-5
  do i = 1, n
    e = 0
    e(i) = h
    fd = (model(n, x + e) - model(n, x - e)) / (2 * h)
    if (abs(fd - dx(i)) > 1d-6 * max(1d0, abs(fd))) then
      print *, 'mismatch: reverse vs finite differences at', i, dx(i), fd
      failures = failures + 1
    end if
  end do
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v)
  fd = (model(n, x + h * v) - model(n, x - h * v)) / (2 * h)
  if (abs(tangent - fd) > 1d-6 * max(1d0, abs(fd))) then
    print *, 'mismatch: forward vs finite differences', tangent, fd
    failures = failures + 1
  end if
  if (abs(tangent - dot_product(dx, v)) > 1d-10 * max(1d0, abs(fd))) then
    print *, 'mismatch: forward vs reverse', tangent, dot_product(dx, v)
    failures = failures + 1
  end if
  if (failures /= 0) stop 1
  print *, 'all checks passed'
end program
