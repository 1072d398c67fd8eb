! Fortran: Enzyme's statement form of function_like, `call f__enzyme_function_like(f, m)` with
! m the marker global enzyme_math_log1p (Enzyme's Fortran module defines one per library
! function): my_log1p's derivative is log1p's rule, 1/(1+x), not the derivative of its body (a
! three-term series whose own derivative is off by ~1e-5 at x = 0.4). Checked against the
! analytic derivative to 1e-13 (which the body's derivative misses) and, loosely, against
! central finite differences of the body; the call itself is removed (nothing to link).
! RUN: flang
module like_mod
  implicit none
  integer, bind(C, name="enzyme_math_log1p") :: enzyme_log1p
contains
  double precision function my_log1p(x)
    double precision, value :: x
    double precision :: z
    z = x / (2 + x)
    my_log1p = 2 * (z + z**3 / 3 + z**5 / 5)
  end function
  double precision function model(x)
    double precision, intent(in) :: x
    model = 3 * my_log1p(x * x)
  end function
end module

program main
  use like_mod
  implicit none
  external :: f__enzyme_function_like, f__enzyme_autodiff
  double precision :: xs(3) = [-0.6d0, 0.3d0, 0.63d0]
  double precision :: x, dx, want, h, fd
  integer :: i, failures
  failures = 0
  call f__enzyme_function_like(my_log1p, enzyme_log1p)
  do i = 1, size(xs)
    x = xs(i)
    want = 3 * 2 * x / (1 + x * x)
    h = 1d-6
    fd = (model(x + h) - model(x - h)) / (2 * h)
    if (abs(fd - want) > 1d-2) then
      print *, 'mismatch: oracle vs finite differences at', x, want, fd
      failures = failures + 1
    end if
    dx = 0
    call f__enzyme_autodiff(model, x, dx)
    if (abs(dx - want) > 1d-13) then
      print *, 'mismatch: reverse at', x, dx, want
      failures = failures + 1
    end if
  end do
  if (failures /= 0) stop 1
  print *, 'all checks passed'
end program
