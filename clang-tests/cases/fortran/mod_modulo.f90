! Fortran MOD and MODULO of reals, which flang calls in its runtime (_FortranAModReal4/8,
! _FortranAModuloReal4/8) at every optimization level, with negative arguments (where MOD and
! MODULO differ): mod(a, p) = a - int(a / p) p, modulo(a, p) = a - floor(a / p) p. Reverse mode
! against the analytic gradient and central finite differences, forward mode against the
! reverse gradient.
! RUN: flang
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
end module

program main
  use mod_modulo_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(3), dx(3), g(3), v(3), e(3), h, fd, tangent, a, p, c
  integer :: i, failures
  failures = 0
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
  h = 1d-3  ! piecewise linear: exact differences but for the real(4) rounding (~1e-4 here)
  do i = 1, 3
    e = 0
    e(i) = h
    fd = (model(x + e) - model(x - e)) / (2 * h)
    if (abs(fd - g(i)) > 1d-3 * max(1d0, abs(g(i)))) then
      print *, 'mismatch: oracle vs finite differences at', i, g(i), fd
      failures = failures + 1
    end if
  end do
  dx = 0
  call f__enzyme_autodiff(model, enzyme_dup, x, dx)
  do i = 1, 3
    ! the real(4) MOD carries single-precision rounding of its argument
    if (abs(dx(i) - g(i)) > 1d-6 * max(1d0, abs(g(i)))) then
      print *, 'mismatch: reverse at', i, dx(i), g(i)
      failures = failures + 1
    end if
  end do
  tangent = f__enzyme_fwddiff(model, enzyme_dup, x, v)
  if (abs(tangent - dot_product(dx, v)) > 1d-6 * max(1d0, abs(tangent))) then
    print *, 'mismatch: forward vs reverse', tangent, dot_product(dx, v)
    failures = failures + 1
  end if
  if (failures /= 0) stop 1
  print *, 'all checks passed'
end program
