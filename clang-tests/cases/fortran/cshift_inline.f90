! CSHIFT as flang-22 expands it inline at -O1 and up, by negative, positive, runtime and
! per-column shifts, of a vector and along both dimensions of a matrix (at -O0 the runtime's
! _FortranACshiftVector/_FortranACshift). flang marks the arithmetic over the shift's signed
! remainder `nuw`, which is poison for a negative remainder:
! without ferment's repair (fortran_flags.rs) LLVM -O2 folds the shift wrongly and the primal
! itself reads x(0) (model = 0.9855 instead of 1.2285 for the first line below). The primal is
! checked against explicit loops, reverse mode against central finite differences, forward mode
! against finite differences and against the reverse gradient (dot-product test).
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module cshift_inline_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  ! the shift the oracle of model2 uses
  integer :: shift_now
contains
  real(8) function model(n, x, flag)
    integer, intent(in) :: n
    real(8), intent(in) :: x(n)
    logical, intent(in) :: flag
    real(8) :: u(n), w(n)
    integer :: k
    model = 0
    model = model + sum(cshift(x,2)*x) + sum(cshift(x,-1)*x**2)
  end function

  ! the same shifts by a runtime amount s, and of a matrix view a(n/2, 2) along each dimension
  real(8) function model2(n, x, s)
    integer, intent(in) :: n, s
    real(8), intent(in) :: x(n)
    real(8) :: a(n / 2, 2)
    a = reshape(x, [n / 2, 2])
    model2 = sum(cshift(x, s) * x) + sum(cshift(x, -4) * x**3) + sum(cshift(x, s - n) * sin(x))
    model2 = model2 + sum(cshift(a, -1, dim=1) * a) + sum(cshift(a, s, dim=2) * a**2)
    model2 = model2 + sum(cshift(a, [1, -1], dim=1) * a**2)
  end function

  ! explicit loops: r(i) = v(1 + mod(i - 1 + s, m)) with a non-negative mod argument
  pure integer function wrap(i, s, m)
    integer, intent(in) :: i, s, m
    wrap = 1 + mod(i - 1 + s + 100 * m, m)
  end function

  real(8) function reference(n, x)
    integer, intent(in) :: n
    real(8), intent(in) :: x(n)
    integer :: i
    reference = 0
    do i = 1, n
      reference = reference + x(wrap(i, 2, n)) * x(i) + x(wrap(i, -1, n)) * x(i)**2
    end do
  end function

  real(8) function reference2(n, x, s)
    integer, intent(in) :: n, s
    real(8), intent(in) :: x(n)
    real(8) :: a(n / 2, 2)
    integer :: i, j, m, sh(2)
    m = n / 2
    a = reshape(x, [m, 2])
    sh = [1, -1]
    reference2 = 0
    do i = 1, n
      reference2 = reference2 + x(wrap(i, s, n)) * x(i) + x(wrap(i, -4, n)) * x(i)**3 &
        + x(wrap(i, s - n, n)) * sin(x(i))
    end do
    do j = 1, 2
      do i = 1, m
        reference2 = reference2 + a(wrap(i, -1, m), j) * a(i, j) &
          + a(i, wrap(j, s, 2)) * a(i, j)**2 + a(wrap(i, sh(j), m), j) * a(i, j)**2
      end do
    end do
  end function

  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = reference(size(x), x)
  end function

  real(8) function oracle2(x)
    real(8), intent(in) :: x(:)
    oracle2 = reference2(size(x), x, shift_now)
  end function
end module

program main
  use ferment_check
  use cshift_inline_mod
  implicit none
  integer, parameter :: n = 6
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n) = [0.45d0, -1.1d0, 0.7d0, 1.9d0, -0.4d0, 1.2d0]
  real(8) :: v(n) = [1d0, -2d0, 0.5d0, 0.25d0, 3d0, -1d0]
  real(8) :: dx(n), tangent
  logical :: flag
  integer :: s
  flag = .true.
  call check_close('primal vs loops', model(n, x, flag), reference(n, x), 1d-12)
  dx = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx, enzyme_const, flag)
  call check_gradient_fd('reverse', oracle, x, dx, 1d-6, 1d-6)
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v, enzyme_const, flag)
  call check_tangent_fd('forward', oracle, x, v, tangent, 1d-6, 1d-6, dx, 1d-10)
  do s = -7, 8, 3
    shift_now = s
    call check_close('primal 2 vs loops', model2(n, x, s), reference2(n, x, s), 1d-12)
    dx = 0
    call f__enzyme_autodiff(model2, enzyme_const, n, enzyme_dup, x, dx, enzyme_const, s)
    call check_gradient_fd('reverse 2', oracle2, x, dx, 1d-6, 1d-6)
    tangent = f__enzyme_fwddiff(model2, enzyme_const, n, enzyme_dup, x, v, enzyme_const, s)
    call check_tangent_fd('forward 2', oracle2, x, v, tangent, 1d-6, 1d-6, dx, 1d-10)
  end do
  call check_report()
end program
