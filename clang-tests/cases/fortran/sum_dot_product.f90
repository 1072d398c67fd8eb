! Fortran SUM and DOT_PRODUCT of real arrays, which flang lowers at -O0 to its runtime routines
! _FortranASumReal8/_FortranASumReal4/_FortranADotProductReal8 on array descriptors (at -O2 it
! inlines loops): whole rank-1 and rank-2 arrays, a strided section, a real(4) temporary. Reverse
! mode with both arrays duplicated (gradients against the analytic ones and central finite
! differences), forward mode along a direction (against finite differences and the reverse
! gradients).
! RUN: flang
module reductions_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
contains
  ! model = sum(x) * dot(x, y) + sum(x y^T) + sum(x(1::2))^2 + sum(real(x, 4))
  real(8) function model(n, x, y)
    integer, intent(in) :: n
    real(8), intent(in) :: x(n), y(n)
    real(8) :: m(n, 3)
    integer :: i, j
    do j = 1, 3
      do i = 1, n
        m(i, j) = x(i) * y(j)
      end do
    end do
    model = sum(x) * dot_product(x, y) + sum(m) + sum(x(1:n:2))**2 + sum(real(x, 4))
  end function
end module

program main
  use reductions_mod
  implicit none
  integer, parameter :: n = 5
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n) = [0.3d0, -1.1d0, 0.7d0, 1.9d0, -0.4d0], y(n) = [2d0, 0.5d0, -1d0, 0.1d0, 1.3d0]
  real(8) :: v(n) = [1d0, -2d0, 0.5d0, 0.25d0, 3d0], w(n) = [0.5d0, 1d0, -1d0, 2d0, 0d0]
  real(8) :: dx(n), dy(n), gx(n), gy(n), e(n), h, fd, tangent, s1, d, sy, s3
  integer :: i, failures
  failures = 0
  s1 = 0
  d = 0
  sy = 0
  s3 = 0
  do i = 1, n
    s1 = s1 + x(i)
    d = d + x(i) * y(i)
    if (i <= 3) sy = sy + y(i)
    if (mod(i, 2) == 1) s3 = s3 + x(i)
  end do
  do i = 1, n
    gx(i) = d + s1 * y(i) + sy + 1
    if (mod(i, 2) == 1) gx(i) = gx(i) + 2 * s3
    gy(i) = s1 * x(i)
    if (i <= 3) gy(i) = gy(i) + s1
  end do
  h = 1d-2  ! the model is quadratic but for the real(4) rounding: exact central differences
  do i = 1, n
    e = 0
    e(i) = h
    fd = (model(n, x + e, y) - model(n, x - e, y)) / (2 * h)
    if (abs(fd - gx(i)) > 1d-4 * max(1d0, abs(gx(i)))) then
      print *, 'mismatch: oracle vs finite differences in x at', i, gx(i), fd
      failures = failures + 1
    end if
    fd = (model(n, x, y + e) - model(n, x, y - e)) / (2 * h)
    if (abs(fd - gy(i)) > 1d-4 * max(1d0, abs(gy(i)))) then
      print *, 'mismatch: oracle vs finite differences in y at', i, gy(i), fd
      failures = failures + 1
    end if
  end do
  dx = 0
  dy = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx, enzyme_dup, y, dy)
  do i = 1, n
    ! sum(real(x, 4)) carries single-precision rounding
    if (abs(dx(i) - gx(i)) > 1d-6 * max(1d0, abs(gx(i))) .or. &
        abs(dy(i) - gy(i)) > 1d-12 * max(1d0, abs(gy(i)))) then
      print *, 'mismatch: reverse at', i, dx(i), gx(i), dy(i), gy(i)
      failures = failures + 1
    end if
  end do
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v, enzyme_dup, y, w)
  fd = (model(n, x + h * v, y + h * w) - model(n, x - h * v, y - h * w)) / (2 * h)
  if (abs(tangent - fd) > 1d-4 * max(1d0, abs(fd))) then
    print *, 'mismatch: forward vs finite differences', tangent, fd
    failures = failures + 1
  end if
  if (abs(tangent - dot_product(dx, v) - dot_product(dy, w)) > 1d-6 * max(1d0, abs(fd))) then
    print *, 'mismatch: forward vs reverse', tangent, dot_product(dx, v) + dot_product(dy, w)
    failures = failures + 1
  end if
  if (failures /= 0) stop 1
  print *, 'all checks passed'
end program
