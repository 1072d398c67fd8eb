! The functions to differentiate: bind(C), scalars by value, arrays explicit-shape. They must
! be in the same source file as the calls that differentiate them (the plugin sees one file).
module model
  use iso_c_binding
  implicit none
contains
  function f(x, y) bind(C) result(r)
    real(c_double), value :: x, y
    real(c_double) :: r
    r = x**2 * sin(y) + exp(x * y)
  end function

  function g(x) bind(C) result(r)
    real(c_float), value :: x
    real(c_float) :: r
    r = x**3 - 2 * x
  end function

  function energy(x, n) bind(C) result(r)
    integer(c_int), value :: n
    real(c_double), intent(in) :: x(n)
    real(c_double) :: r
    integer :: i
    r = 0
    do i = 1, n
      r = r + i * x(i)**3
    end do
  end function

  ! y(i) = x(i)**2 * x(n+1-i): a map R^n -> R^n
  subroutine mix(x, y, n) bind(C)
    integer(c_int), value :: n
    real(c_double), intent(in) :: x(n)
    real(c_double), intent(out) :: y(n)
    integer :: i
    do i = 1, n
      y(i) = x(i)**2 * x(n + 1 - i)
    end do
  end subroutine
end module

! Derivatives through the `ferment` module's generic interfaces (no bind(C)
! interface written by hand), checked against the analytic formulas.
program demo
  use iso_c_binding
  use ferment
  use model
  implicit none
  integer, parameter :: n = 4
  real(c_double) :: x, y, t, v(n), dv(n), w(n), dw(n), dirv(n)
  real(c_float) :: s, ds
  type(ferment_grad2) :: gr
  integer :: i, failures
  failures = 0
  x = 0.7d0
  y = -1.3d0

  gr = ferment_autodiff(c_funloc(f), x, y)
  call check("df/dx reverse", gr%d1, 2 * x * sin(y) + y * exp(x * y))
  call check("df/dy reverse", gr%d2, x**2 * cos(y) + x * exp(x * y))
  t = ferment_fwddiff(c_funloc(f), x, 1d0, y, 0d0)
  call check("df/dx forward", t, 2 * x * sin(y) + y * exp(x * y))

  s = 1.5
  ds = ferment_autodiff(c_funloc(g), s)
  call check("dg/ds single precision", real(ds, c_double), real(3 * s**2 - 2, c_double), 1d-5)

  v = [0.5d0, -1d0, 2d0, 0.25d0]
  dv = 0
  call ferment_gradient(c_funloc(energy), v, dv, n)
  do i = 1, n
    call check("d energy/dv(i)", dv(i), 3d0 * i * v(i)**2)
  end do
  dirv = [1d0, 2d0, -1d0, 0.5d0]
  t = ferment_fwddiff(c_funloc(energy), v, dirv, n)
  call check("energy tangent", t, sum(3d0 * [(i, i = 1, n)] * v**2 * dirv))

  ! Jacobian of mix: dy(i)/dx(j) = 2 x(i) x(n+1-i) [j = i] + x(i)**2 [j = n+1-i]
  dw = [1d0, -2d0, 0.5d0, 3d0]
  dv = 0
  call ferment_gradient(c_funloc(mix), v, dv, w, dw, n)
  do i = 1, n
    call check("J^T u (i)", dv(i), vjp(i))
  end do
  call ferment_tangent(c_funloc(mix), v, dirv, w, dw, n)
  do i = 1, n
    call check("J v (i)", dw(i), 2 * v(i) * v(n + 1 - i) * dirv(i) + v(i)**2 * dirv(n + 1 - i))
    call check("mix primal (i)", w(i), v(i)**2 * v(n + 1 - i))
  end do

  if (failures /= 0) stop 1
  print *, "all derivatives match"
contains
  ! (J^T u)(j) for u = [1, -2, 0.5, 3]
  real(c_double) function vjp(j)
    integer, intent(in) :: j
    real(c_double) :: u(n)
    u = [1d0, -2d0, 0.5d0, 3d0]
    vjp = u(j) * 2 * v(j) * v(n + 1 - j) + u(n + 1 - j) * v(n + 1 - j)**2
  end function

  subroutine check(what, got, want, tol)
    character(*), intent(in) :: what
    real(c_double), intent(in) :: got, want
    real(c_double), intent(in), optional :: tol
    real(c_double) :: eps
    eps = 1d-12
    if (present(tol)) eps = tol
    if (abs(got - want) <= eps * max(1d0, abs(want))) then
      print '(a24, 2f18.10, a)', what, got, want, "  ok"
    else
      print '(a24, 2f18.10, a)', what, got, want, "  MISMATCH"
      failures = failures + 1
    end if
  end subroutine
end program
