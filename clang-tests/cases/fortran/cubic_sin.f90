! Fortran: f(x) = x**3 + sin(x) in a module, bind(C), differentiated by calling
! __enzyme_autodiff (and __enzyme_fwddiff) through bind(C) interfaces with c_funloc.
! RUN: flang
include 'check.inc'

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

  ! f of a point of one component, for ferment_check
  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = f(x(1))
  end function oracle
end module cubic_sin_mod

program main
  use ferment_check
  use cubic_sin_mod
  implicit none
  real(c_double) :: xs(5) = [-1.5d0, -0.3d0, 0.4d0, 1.0d0, 2.2d0]
  real(c_double) :: x, g, t, want
  integer :: i
  do i = 1, size(xs)
    x = xs(i)
    want = 3.0d0 * x * x + cos(x)
    call check_gradient_fd('analytic derivative', oracle, [x], [want], 1.0d-6 * max(1.0d0, abs(x)), 1.0d-6)
    g = autodiff(c_funloc(f), x)
    call check_close('reverse vs analytic', g, want, 1.0d-10)
    t = fwddiff(c_funloc(f), x, 1.0d0)
    call check_close('forward vs analytic', t, want, 1.0d-10)
  end do
  call check_report()
end program main
