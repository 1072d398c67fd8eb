! Fortran MOD and MODULO of reals, which flang calls in its runtime (_FortranAModReal4/8,
! _FortranAModuloReal4/8) at every optimization level, with negative arguments (where MOD and
! MODULO differ): mod(a, p) = a - int(a / p) p, modulo(a, p) = a - floor(a / p) p. Reverse mode
! against the analytic gradient and central finite differences, forward mode against the
! reverse gradient.
! RUN: flang
include 'check.inc'

module mod_modulo_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
contains
  real(8) function model(x)
    real(8), intent(in) :: x(3)
    model = modulo(x(1), x(2)) * x(3) + mod(x(1), x(2)) + modulo(-x(1), x(2)) &
            + mod(real(x(1), 4), real(x(3), 4))
  end function

  ! the primal with an assumed-shape point, for ferment_check
  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = model(x)
  end function
end module

program main
  use ferment_check
  use mod_modulo_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(3), dx(3), g(3), v(3), tangent, a, p, c
  x = [7.3d0, 2.1d0, -1.7d0]
  v = [0.5d0, -1d0, 2d0]
  a = x(1)
  p = x(2)
  c = x(3)
  ! modulo(a,p) = a - floor(a/p) p; mod(a,p) = a - aint(a/p) p; modulo(-a,p) = -a - floor(-a/p) p;
  ! mod(a,c) = a - aint(a/c) c
  g(1) = c + 1 - 1 + 1
  g(2) = -floor(a / p) * c - aint(a / p) - floor(-a / p)
  g(3) = modulo(a, p) - aint(a / c)
  ! piecewise linear (no kink within 2e-3 of x): exact differences but for the real(4)
  ! rounding (~1e-4 here)
  call check_gradient_fd('analytic gradient', oracle, x, g, 1d-3, 1d-3)
  dx = 0
  call f__enzyme_autodiff(model, enzyme_dup, x, dx)
  ! the real(4) MOD carries single-precision rounding of its argument
  call check_array('reverse vs analytic', dx, g, 1d-6)
  tangent = f__enzyme_fwddiff(model, enzyme_dup, x, v)
  call check_tangent_fd('forward', oracle, x, v, tangent, 1d-3, 1d-3, dx, 1d-6)
  call check_report()
end program
