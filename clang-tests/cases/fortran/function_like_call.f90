! Fortran: Enzyme's statement form of function_like, `call f__enzyme_function_like(f, m)` with
! m the marker global enzyme_math_log1p (Enzyme's Fortran module defines one per library
! function): my_log1p's derivative is log1p's rule, 1/(1+x), not the derivative of its body (a
! three-term series whose own derivative is off by ~1e-5 at x = 0.4). Checked against the
! analytic derivative to 1e-13 (which the body's derivative misses) and, loosely, against
! central finite differences of the body; the call itself is removed (nothing to link).
! RUN: flang
include 'check.inc'

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

  ! the model of a point of one component, for ferment_check
  double precision function oracle(x)
    double precision, intent(in) :: x(:)
    oracle = model(x(1))
  end function
end module

program main
  use ferment_check
  use like_mod
  implicit none
  external :: f__enzyme_function_like, f__enzyme_autodiff
  double precision :: xs(3) = [-0.6d0, 0.3d0, 0.63d0]
  double precision :: x, dx, want
  integer :: i
  call f__enzyme_function_like(my_log1p, enzyme_log1p)
  do i = 1, size(xs)
    x = xs(i)
    want = 3 * 2 * x / (1 + x * x)
    ! loosely: the body is a truncated series of log1p
    call check_gradient_fd('analytic derivative', oracle, [x], [want], 1d-6, 1d-2)
    dx = 0
    call f__enzyme_autodiff(model, x, dx)
    call check_close('reverse vs analytic', dx, want, 1d-13)
  end do
  call check_report()
end program
