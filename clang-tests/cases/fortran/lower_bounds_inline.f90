! Arrays with lower bounds below 1 (a dummy x(-2:n-3), a local a(-1:m-2, 0:1)) under flang-22's
! inline intrinsics at -O1 and up: CSHIFT along DIM, EOSHIFT, a reversed section. flang marks its
! index arithmetic `i + (-2)` `nuw`, which is poison for every i from 2: without ferment's repair
! (fortran_flags.rs) LLVM -O2 miscompiles the primal (cshift(a, s, dim=1) reads garbage). The
! primal is checked against explicit loops over 1-based copies, reverse mode against central
! finite differences of those, forward mode against finite differences and against the reverse
! gradient (dot-product test).
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module lower_bounds_inline_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  ! the shift the oracle uses
  integer :: shift_now
contains
  real(8) function model(n, x, s)
    integer, intent(in) :: n, s
    real(8), intent(in) :: x(-2:n-3)
    real(8) :: a(-1:n/2-2, 0:1), b(n)
    a = reshape(x, [n / 2, 2])
    b = x(n-3:-2:-1)
    model = sum(cshift(a, s, dim=1) * a) + sum(cshift(a, -1, dim=2) * a**2) &
      + sum(eoshift(x, s) * x) + sum(b * x**2)
  end function

  pure integer function wrap(i, s, m)
    integer, intent(in) :: i, s, m
    wrap = 1 + mod(i - 1 + s + 100 * m, m)
  end function

  real(8) function reference(n, x, s)
    integer, intent(in) :: n, s
    real(8), intent(in) :: x(n)
    real(8) :: a(n / 2, 2), e
    integer :: i, j, m
    m = n / 2
    a = reshape(x, [m, 2])
    reference = 0
    do j = 1, 2
      do i = 1, m
        reference = reference + a(wrap(i, s, m), j) * a(i, j) + a(i, wrap(j, -1, 2)) * a(i, j)**2
      end do
    end do
    do i = 1, n
      e = 0
      if (i + s >= 1 .and. i + s <= n) e = x(i + s)
      reference = reference + e * x(i) + x(n + 1 - i) * x(i)**2
    end do
  end function

  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = reference(size(x), x, shift_now)
  end function
end module

program main
  use ferment_check
  use lower_bounds_inline_mod
  implicit none
  integer, parameter :: n = 8
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n) = [0.45d0, -1.1d0, 0.7d0, 1.9d0, -0.4d0, 1.2d0, 0.3d0, -0.8d0]
  real(8) :: v(n) = [1d0, -2d0, 0.5d0, 0.25d0, 3d0, -1d0, 0.75d0, 2d0]
  real(8) :: dx(n), tangent
  integer :: s
  do s = -5, 5, 2
    shift_now = s
    call check_close('primal vs loops', model(n, x, s), reference(n, x, s), 1d-12)
    dx = 0
    call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx, enzyme_const, s)
    call check_gradient_fd('reverse', oracle, x, dx, 1d-6, 1d-6)
    tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v, enzyme_const, s)
    call check_tangent_fd('forward', oracle, x, v, tangent, 1d-6, 1d-6, dx, 1d-10)
  end do
  call check_report()
end program
