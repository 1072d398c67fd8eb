! Fortran NORM2, MAXVAL and MINVAL of real arrays, which flang lowers at -O0 to its runtime
! routines _FortranANorm2_8/_FortranAMaxvalReal8/_FortranAMinvalReal4 on array descriptors:
! rank 1 and rank 2, a real(4) temporary. Reverse mode against the analytic gradient (the norm's
! x/|x|; MAXVAL's and MINVAL's derivative goes to the extreme element) and central finite
! differences at points away from ties; forward mode against finite differences and reverse.
! RUN: flang
include 'check.inc'

module extremes_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
contains
  ! model = norm2(x) + maxval(m) * 2 + minval(real(x, 4)), m(i, j) = x(i) * j
  real(8) function model(n, x)
    integer, intent(in) :: n
    real(8), intent(in) :: x(n)
    real(8) :: m(n, 2)
    integer :: i
    do i = 1, n
      m(i, 1) = x(i)
      m(i, 2) = 2 * x(i)
    end do
    model = norm2(x) + maxval(m) * 2 + minval(real(x, 4))
  end function

  ! the primal as a function of the point alone, for ferment_check's finite differences
  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = model(size(x), x)
  end function
end module

program main
  use ferment_check
  use extremes_mod
  implicit none
  integer, parameter :: n = 5
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n) = [0.3d0, -1.1d0, 0.7d0, 1.9d0, -0.4d0], v(n) = [1d0, -2d0, 0.5d0, 0.25d0, 3d0]
  real(8) :: dx(n), want(n), tangent, nrm
  nrm = sqrt(sum(x**2))
  want = x / nrm
  want(4) = want(4) + 2 * 2   ! maxval(m) = m(4, 2) = 2 x(4)
  want(2) = want(2) + 1       ! minval = x(2), through real(4)
  call check_gradient_fd('analytic gradient', oracle, x, want, 1d-4, 1d-3)
  dx = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx)
  call check_array('reverse vs analytic', dx, want, 1d-12)
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v)
  call check_tangent_fd('forward', oracle, x, v, tangent, 1d-4, 1d-3, want, 1d-12)
  call check_report()
end program
