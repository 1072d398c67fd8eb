! complex(8) and complex(4) arithmetic and assignment in a differentiated function: scalars
! (cmplx, *, /, exp, conjg, abs, real, aimag), whole-array assignment of complex data (flang
! runtime _FortranAAssign at -O0, to an allocatable too), a complex scalar broadcast to an array,
! SUM (with and without MASK), PRODUCT and DOT_PRODUCT of complex arrays (_FortranACppSumComplex8
! ... at -O0). The primal is checked against the same computation on real and imaginary parts
! written out by hand; reverse mode against central finite differences of that, forward mode
! against finite differences and against the reverse gradient (dot-product test).
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module complex_arith_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
contains
  real(8) function model(n, x)
    integer, intent(in) :: n
    real(8), intent(in) :: x(n)
    complex(8) :: z, w, a(n), b(n)
    complex(8), allocatable :: c(:)
    complex(4) :: s(n)
    logical :: m(n)
    z = cmplx(x(1), x(2), kind=8)
    w = z * z + cmplx(0d0, x(3), kind=8) / z
    a = cmplx(x, x**2, kind=8)
    b = a
    a = a * w
    c = b
    c(1) = (0.5d0, -1d0)
    s = (0.25, 0.5)
    s = s * cmplx(x, 1d0, kind=4)
    m = x > 0
    z = sum(a) + exp(z) * conjg(w) + sum(c, mask=m) + product(b(1:3)) + dot_product(b, c) + sum(s)
    model = real(z) * aimag(z) + abs(w)
  end function

  ! the same on (real, imaginary) pairs
  real(8) function reference(n, x)
    integer, intent(in) :: n
    real(8), intent(in) :: x(n)
    real(8) :: zr, zi, wr, wi, tr, ti, d, er, ei, ar, ai, br, bi, cr, ci, pr, pi, q
    integer :: i
    ! w = z*z + (0, x3) / z
    zr = x(1); zi = x(2)
    d = zr**2 + zi**2
    wr = zr**2 - zi**2 + x(3) * zi / d
    wi = 2 * zr * zi + x(3) * zr / d
    ! exp(z) * conjg(w)
    er = exp(zr) * cos(zi); ei = exp(zr) * sin(zi)
    tr = er * wr + ei * wi
    ti = ei * wr - er * wi
    pr = 1; pi = 0
    do i = 1, n
      br = x(i); bi = x(i)**2
      ! a = b * w
      ar = br * wr - bi * wi; ai = br * wi + bi * wr
      tr = tr + ar; ti = ti + ai
      if (i == 1) then
        cr = 0.5d0; ci = -1d0
      else
        cr = br; ci = bi
      end if
      if (x(i) > 0) then
        tr = tr + cr; ti = ti + ci
      end if
      if (i <= 3) then
        q = pr * br - pi * bi
        pi = pr * bi + pi * br
        pr = q
      end if
      ! conjg(b) * c
      tr = tr + br * cr + bi * ci; ti = ti + br * ci - bi * cr
      ! s = (0.25, 0.5) * (x, 1) in complex(4)
      tr = tr + dble(real(0.25 * real(x(i), 4) - 0.5, 4))
      ti = ti + dble(real(0.25 + 0.5 * real(x(i), 4), 4))
    end do
    tr = tr + pr; ti = ti + pi
    reference = tr * ti + sqrt(wr**2 + wi**2)
  end function

  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = reference(size(x), x)
  end function
end module

program main
  use ferment_check
  use complex_arith_mod
  implicit none
  integer, parameter :: n = 4
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n) = [0.45d0, -1.1d0, 0.7d0, 1.9d0]
  real(8) :: v(n) = [1d0, -2d0, 0.5d0, 0.25d0]
  real(8) :: dx(n), tangent
  call check_close('primal vs real arithmetic', model(n, x), reference(n, x), 1d-5)
  ! central differences of the real(4) parts are rough: a step of 1e-3 and a loose tolerance
  dx = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx)
  call check_gradient_fd('reverse', oracle, x, dx, 1d-3, 1d-4)
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v)
  call check_tangent_fd('forward', oracle, x, v, tangent, 1d-3, 1d-4, dx, 1d-10)
  call check_report()
end program
