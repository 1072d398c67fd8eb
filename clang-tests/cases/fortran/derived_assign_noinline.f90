! Assignments to the allocatable components of a local derived type with -ferment-no-inline:
! `h%x = z(1:n)` and `h%f = z(n+1:2n)` (flang's _FortranAAssign), with two real(8) components
! after the two descriptors. ferment's helpers for the runtime routines are inlined even then:
! as functions of their own, their copies for ranks 2 to 4 read past the rank-1 descriptors into
! `dt` and `gamma`, which was refused as "reads memory that may hold floating-point data as an
! integer" in ferment.fortran.fill.f64.r4 (crash hunt of session 38,
! programs/lorenz96_oop_adjoint.f90 with -ferment-no-inline). A scalar filled into such a
! component (`h%f = 0d0`) was refused at -O0 until session 39: `derived_fill_component_noinline.f90`.
! Reverse mode against the analytic gradient and central differences, forward mode against
! central differences and the reverse gradient.
! RUN: flang
! CFLAGS: -mllvm -ferment-no-inline
include 'check.inc'

module derived_assign_noinline_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, parameter :: n = 6
  type :: state
    real(8), allocatable :: x(:), f(:)
    real(8) :: dt = 0.25d0
    real(8) :: gamma = 0.5d0
  end type
contains
  ! cost = dt sum(x^2) + gamma sum(f x), x and f the point's two halves
  real(8) function cost(z)
    real(8), intent(in) :: z(2 * n)
    type(state) :: h
    allocate(h%x(n), h%f(n))
    h%x = z(1:n)
    h%f = z(n + 1:2 * n)
    cost = h%dt * sum(h%x**2) + h%gamma * sum(h%f * h%x)
  end function

  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = cost(z)
  end function
end module

program main
  use ferment_check
  use derived_assign_noinline_mod
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
    g(i) = 2 * 0.25d0 * z(i) + 0.5d0 * z(n + i)
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
