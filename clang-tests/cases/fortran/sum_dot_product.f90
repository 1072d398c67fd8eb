! Fortran SUM and DOT_PRODUCT of real arrays, which flang lowers at -O0 to its runtime routines
! _FortranASumReal8/_FortranASumReal4/_FortranADotProductReal8 on array descriptors (at -O2 it
! inlines loops): whole rank-1 and rank-2 arrays, a strided section, a real(4) temporary. Reverse
! mode with both arrays duplicated (gradients against the analytic ones and central finite
! differences), forward mode along a direction (against finite differences and the reverse
! gradients).
! RUN: flang
include 'check.inc'

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

  ! the model of x and y packed in one point [x, y], for ferment_check
  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    integer :: n
    n = size(z) / 2
    oracle = model(n, z(1:n), z(n + 1:))
  end function
end module

program main
  use ferment_check
  use reductions_mod
  implicit none
  integer, parameter :: n = 5
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n) = [0.3d0, -1.1d0, 0.7d0, 1.9d0, -0.4d0], y(n) = [2d0, 0.5d0, -1d0, 0.1d0, 1.3d0]
  real(8) :: v(n) = [1d0, -2d0, 0.5d0, 0.25d0, 3d0], w(n) = [0.5d0, 1d0, -1d0, 2d0, 0d0]
  real(8) :: dx(n), dy(n), gx(n), gy(n), tangent, s1, d, sy, s3
  integer :: i
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
  ! the model is quadratic but for the real(4) rounding: exact central differences at h = 1e-2
  call check_gradient_fd('analytic gradient', oracle, [x, y], [gx, gy], 1d-2, 1d-4)
  dx = 0
  dy = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx, enzyme_dup, y, dy)
  ! sum(real(x, 4)) carries single-precision rounding
  call check_array('reverse in x vs analytic', dx, gx, 1d-6)
  call check_array('reverse in y vs analytic', dy, gy, 1d-12)
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v, enzyme_dup, y, w)
  call check_tangent_fd('forward', oracle, [x, y], [v, w], tangent, 1d-2, 1d-4, [dx, dy], 1d-6)
  call check_report()
end program
