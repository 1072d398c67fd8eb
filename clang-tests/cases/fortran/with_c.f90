! Fortran + C: the Fortran program differentiates a two-argument Fortran function
! g(x, y) = x*y**2 + exp(x)/y (bind(C)) with __enzyme_autodiff, y marked enzyme_const (the marker
! global is declared in Fortran with bind(C)); the analytic oracle lives in the companion C file
! with_c.c, linked in.
! RUN: flang
module with_c_mod
  use iso_c_binding
  implicit none
  integer(c_int), bind(C, name="enzyme_const") :: enzyme_const
  interface
    real(c_double) function autodiff_xc(fn, x, m, y) bind(C, name="__enzyme_autodiff")
      import :: c_funptr, c_double, c_int
      type(c_funptr), value :: fn
      real(c_double), value :: x
      integer(c_int), value :: m
      real(c_double), value :: y
    end function autodiff_xc
    real(c_double) function oracle_dgdx(x, y) bind(C, name="oracle_dgdx")
      import :: c_double
      real(c_double), value :: x, y
    end function oracle_dgdx
  end interface
contains
  real(c_double) function g(x, y) bind(C, name="with_c_g")
    real(c_double), value :: x, y
    g = x * y**2 + exp(x) / y
  end function g
end module with_c_mod

program main
  use with_c_mod
  implicit none
  real(c_double) :: xs(3) = [-0.7d0, 0.5d0, 1.8d0], ys(3) = [1.3d0, -2.0d0, 0.6d0]
  real(c_double) :: r, want
  integer :: i, failures
  failures = 0
  do i = 1, 3
    want = oracle_dgdx(xs(i), ys(i))
    r = autodiff_xc(c_funloc(g), xs(i), enzyme_const, ys(i))
    if (abs(r - want) > 1.0d-10 * max(1.0d0, abs(want))) then
      print *, 'mismatch: reverse d/dx at x=', xs(i), ' got=', r, ' want=', want
      failures = failures + 1
    end if
  end do
  if (failures /= 0) stop 1
  print *, 'all checks passed'
end program main
