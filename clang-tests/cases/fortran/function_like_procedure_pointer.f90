! Fortran: Enzyme's procedure-pointer spelling of function_like, a module procedure pointer named
! fn__enzyme_function_like__log1p pointing at my_log1p (flang mangles the name with its module;
! the library function is the part after the double underscore): my_log1p's derivative is
! log1p's rule, 1/(1+x), not the derivative of its body (a three-term series whose derivative
! is off by ~1e-6). Single precision (the float log1p rule). Checked against the analytic
! derivative, which the body's derivative misses, and loosely against finite differences.
! RUN: flang
include 'check.inc'

module like_ptr_mod
  implicit none
  procedure(my_log1p), pointer, private :: fn__enzyme_function_like__log1p => my_log1p
contains
  real function my_log1p(x)
    real, value :: x
    real :: z
    z = x / (2 + x)
    my_log1p = 2 * (z + z**3 / 3 + z**5 / 5)
  end function
  real function model(x)
    real, intent(in) :: x
    model = 3 * my_log1p(x * x)
  end function

  ! the model of a point of one component, in double precision for ferment_check
  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = dble(model(real(x(1))))
  end function
end module

program main
  use ferment_check
  use like_ptr_mod
  implicit none
  external :: f__enzyme_autodiff
  real :: xs(3) = [-0.9, 0.5, 0.8]
  real :: x, dx, want
  integer :: i
  do i = 1, size(xs)
    x = xs(i)
    want = 3 * 2 * x / (1 + x * x)
    ! loosely: the body is a truncated series of log1p, in single precision
    call check_gradient_fd('analytic derivative', oracle, [dble(x)], [dble(want)], 1d-2, 2d-2)
    dx = 0
    call f__enzyme_autodiff(model, x, dx)
    call check_close('reverse vs analytic', dble(dx), dble(want), 1d-6)
  end do
  call check_report()
end program
