! Scalars filled into allocatable components of a local derived type (`h%f = 0d0`, `h%m = 0.5d0`:
! flang's _FortranAAssign with a scalar right side) of rank 1 and 2, with two real(8) components
! after the descriptors. At -O0 the left side's rank read from the descriptor (copied into the
! object) does not fold, and the fills of the other ranks read `dt` and `gamma` as dimensions:
! refused as "reads memory that may hold floating-point data as an integer" until session 39
! (clang-tests/open/derived_fill_component_O0.f90, found in session 38's crash hunt); the helper
! now has the copies and fills of the rank the component's declared type shows alone.
! Reverse mode against the analytic gradient and central differences, forward mode against
! central differences and the reverse gradient. With -ferment-no-inline (the helpers are inlined
! even then); `derived_fill_component.f90` is the same without.
! RUN: flang
! CFLAGS: -mllvm -ferment-no-inline
include 'check.inc'

module derived_fill_component_noinline_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, parameter :: n = 6
  type :: state
    real(8), allocatable :: x(:), f(:), m(:, :)
    real(8) :: dt = 0.25d0
    real(8) :: gamma = 0.5d0
  end type
contains
  ! cost = dt sum(x^2) + gamma sum(f x) + sum(m^2), x and f the point's two halves, m's first
  ! row x and its second row 0.5
  real(8) function cost(z)
    real(8), intent(in) :: z(2 * n)
    type(state) :: h
    allocate(h%x(n), h%f(n), h%m(2, n))
    h%f = 0d0
    h%m = 0.5d0
    h%x = z(1:n)
    h%f = z(n + 1:2 * n)
    h%m(1, :) = h%x
    cost = h%dt * sum(h%x**2) + h%gamma * sum(h%f * h%x) + sum(h%m**2)
  end function

  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = cost(z)
  end function
end module

program main
  use ferment_check
  use derived_fill_component_noinline_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: z(2 * n), dz(2 * n), g(2 * n), v(2 * n), tangent
  integer :: i
  do i = 1, 2 * n
    z(i) = 0.3d0 * i - 1.1d0
    v(i) = cos(1.7d0 * i)
  end do
  do i = 1, n
    g(i) = 2 * 0.25d0 * z(i) + 0.5d0 * z(n + i) + 2 * z(i)
    g(n + i) = 0.5d0 * z(i)
  end do
  call check_gradient_fd('analytic gradient', oracle, z, g, 1d-5, 1d-6)
  dz = 0
  call f__enzyme_autodiff(cost, enzyme_dup, z, dz)
  call check_array('reverse vs analytic', dz, g, 1d-12)
  tangent = f__enzyme_fwddiff(cost, enzyme_dup, z, v)
  call check_tangent_fd('forward', oracle, z, v, tangent, 1d-5, 1d-6, dz, 1d-10)
  call check_report()
end program
