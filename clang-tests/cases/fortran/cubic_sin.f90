! Fortran: f(x) = x**3 + sin(x) in a module, bind(C), differentiated by calling
! __enzyme_autodiff (and __enzyme_fwddiff) through bind(C) interfaces with c_funloc.
! RUN: flang
module cubic_sin_mod
  use iso_c_binding
  implicit none
  interface
    real(c_double) function autodiff(fn, x) bind(C, name="__enzyme_autodiff")
      import :: c_funptr, c_double
      type(c_funptr), value :: fn
      real(c_double), value :: x
    end function autodiff
    real(c_double) function fwddiff(fn, x, dx) bind(C, name="__enzyme_fwddiff")
      import :: c_funptr, c_double
      type(c_funptr), value :: fn
      real(c_double), value :: x, dx
    end function fwddiff
  end interface
contains
  real(c_double) function f(x) bind(C, name="cubic_sin")
    real(c_double), value :: x
    f = x**3 + sin(x)
  end function f
end module cubic_sin_mod

program main
  use cubic_sin_mod
  implicit none
  real(c_double) :: xs(5) = [-1.5d0, -0.3d0, 0.4d0, 1.0d0, 2.2d0]
  real(c_double) :: x, g, t, want, h, fd
  integer :: i, failures
  failures = 0
  do i = 1, size(xs)
    x = xs(i)
    want = 3.0d0 * x * x + cos(x)
    h = 1.0d-6 * max(1.0d0, abs(x))
    fd = (f(x + h) - f(x - h)) / (2.0d0 * h)
    if (abs(fd - want) > 1.0d-6 * max(1.0d0, abs(want))) then
      print *, 'mismatch: oracle vs finite differences at x=', x, ' got=', want, ' want=', fd
      failures = failures + 1
    end if
    g = autodiff(c_funloc(f), x)
    if (abs(g - want) > 1.0d-10 * max(1.0d0, abs(want))) then
      print *, 'mismatch: reverse at x=', x, ' got=', g, ' want=', want
      failures = failures + 1
    end if
    t = fwddiff(c_funloc(f), x, 1.0d0)
    if (abs(t - want) > 1.0d-10 * max(1.0d0, abs(want))) then
      print *, 'mismatch: forward at x=', x, ' got=', t, ' want=', want
      failures = failures + 1
    end if
  end do
  if (failures /= 0) stop 1
  print *, 'all checks passed'
end program main
