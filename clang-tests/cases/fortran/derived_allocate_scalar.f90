! Fortran: ALLOCATE of a non-polymorphic allocatable scalar of derived type (`type(layer),
! allocatable :: p; allocate(p)`) inside the differentiated function, with an allocatable array
! component and a default value: flang calls _FortranAAllocatableAllocate on a descriptor whose
! type info it stored as a constant (no InitDerivedForAllocate); fortran_derived reads the type
! from that store (stopped at run time before session 38). Oracles: the analytic gradient,
! central differences, forward vs reverse.
! LEVELS: 0 1 2 3
! RUN: flang
include 'check.inc'
module dam
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  type :: layer
    real(8), allocatable :: w(:)
    real(8) :: bias = 0.5d0
  end type
contains
  real(8) function f(x)
    real(8), intent(in) :: x(3)
    type(layer), allocatable :: p
    allocate(p)
    allocate(p%w(3))
    p%w = x**2
    f = sum(p%w) * p%bias
  end function
  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = f(z)
  end function
end module
program main
  use ferment_check
  use dam
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(3) = [0.7d0, 1.3d0, -0.4d0], dx(3), v(3) = [1d0, -2d0, 0.5d0], t
  dx = 0
  call f__enzyme_autodiff(f, enzyme_dup, x, dx)
  call check_array('analytic', dx, x, 1d-12)
  call check_gradient_fd('gradient', oracle, x, dx, 1d-6, 1d-6)
  t = f__enzyme_fwddiff(f, enzyme_dup, x, v)
  call check_tangent_fd('tangent', oracle, x, v, t, 1d-6, 1d-6, dx, 1d-12)
  call check_report()
end program
