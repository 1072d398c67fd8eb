! Local variables of derived types with allocatable components: at the end of their scope flang
! calls its runtime _FortranADestroy, which frees the allocated components (at -O0 and at -O2).
! A component array allocated and filled from active data, a nested derived type holding
! another allocatable, a default-initialized real component, a pointer component (left alone),
! and a second call of the function (the components are allocated again). Reverse mode against
! the analytic gradient and central finite differences, forward mode against finite differences
! and the reverse gradient.
! RUN: flang
include 'check.inc'

module derived_allocatable_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  type :: inner
    real(8), allocatable :: c(:)
  end type
  type :: holder
    real(8), allocatable :: v(:)
    real(8) :: w = 1.5d0
    type(inner) :: nested
    real(8), pointer :: p(:) => null()
  end type
contains
  ! model = sum((w x)^2) + sum(sin(x) x)
  real(8) function model(n, x)
    integer, intent(in) :: n
    real(8), intent(in) :: x(n)
    type(holder) :: h
    integer :: i
    allocate(h%v(n), h%nested%c(n))
    do i = 1, n
      h%v(i) = x(i) * h%w
      h%nested%c(i) = sin(x(i))
    end do
    model = 0
    do i = 1, n
      model = model + h%v(i)**2 + h%nested%c(i) * x(i)
    end do
  end function

  ! the primal as a function of the point alone, for ferment_check's finite differences
  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = model(size(x), x)
  end function
end module

program main
  use ferment_check
  use derived_allocatable_mod
  implicit none
  integer, parameter :: n = 5
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n), dx(n), g(n), v(n), tangent
  integer :: i, k
  do i = 1, n
    x(i) = 0.3d0 * i - 0.7d0
    v(i) = cos(2d0 * i)
    g(i) = 2 * 1.5d0**2 * x(i) + cos(x(i)) * x(i) + sin(x(i))
  end do
  call check_gradient_fd('analytic gradient', oracle, x, g, 1d-5, 1d-6)
  do k = 1, 2
    dx = 0
    call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx)
    call check_array('reverse vs analytic', dx, g, 1d-12)
  end do
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v)
  call check_tangent_fd('forward', oracle, x, v, tangent, 1d-5, 1d-6, dx, 1d-10)
  call check_report()
end program
