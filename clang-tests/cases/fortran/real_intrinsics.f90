! Fortran real intrinsics that flang leaves to its runtime at every optimization level:
! SCALE, FRACTION, SET_EXPONENT, SPACING, ERFC_SCALED (_FortranAScale8...), EXPONENT (an
! integer result), next to intrinsics flang inlines or sends to libm (GAMMA, LOG_GAMMA, BESSEL_J0/J1/JN/Y0, HYPOT,
! integer and real powers). Reverse mode against central finite differences, forward mode
! against finite differences and the reverse gradient.
! RUN: flang
include 'check.inc'

module real_intrinsics_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
contains
  real(8) function model(x)
    real(8), intent(in) :: x(2)
    real(8) :: a, b
    a = x(1)
    b = x(2)
    model = scale(a, 3) + fraction(a) * b + set_exponent(b, 2) + spacing(a) * 1d10 &
            + erfc_scaled(a) + exponent(b) * a &
            + gamma(a) + log_gamma(b) + bessel_j0(a) + bessel_j1(b) + bessel_jn(2, a) &
            + bessel_y0(b) + hypot(a, b) + a ** 3 + b ** 2.5d0
  end function

  ! the primal with an assumed-shape point, for ferment_check
  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = model(x)
  end function
end module

program main
  use ferment_check
  use real_intrinsics_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(2), dx(2), v(2), tangent
  x = [1.3d0, 2.7d0]  ! away from powers of two: FRACTION/SET_EXPONENT/SPACING are smooth here
  v = [0.6d0, -0.8d0]
  dx = 0
  call f__enzyme_autodiff(model, enzyme_dup, x, dx)
  call check_gradient_fd('reverse', oracle, x, dx, 1d-6, 1d-6)
  tangent = f__enzyme_fwddiff(model, enzyme_dup, x, v)
  call check_tangent_fd('forward', oracle, x, v, tangent, 1d-6, 1d-6, dx, 1d-10)
  call check_report()
end program
