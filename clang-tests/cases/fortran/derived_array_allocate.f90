! An allocatable array of derived type allocated inside the differentiated function
! (`type(particle), allocatable :: p(:), grid(:, :)`, real(8) components with default values), filled and
! advanced by loops over `p(i)%x`, `p(i)%v`, deallocated at the end of the function. Stopped at
! run time until session 39 ("this ALLOCATE ... handles an unallocated allocatable of intrinsic
! type"): now fortran_derived's array helper (`malloc` of the elements, each given the type's
! default initialization) and `free`. A type with allocatable components keeps the runtime call.
! Reverse mode against central differences, forward mode against central differences and the
! reverse gradient.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'
module derived_array_allocate_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, parameter :: n = 5
  type :: particle
    real(8) :: x = 0d0, v = 0d0, m = 1d0
  end type
contains
  real(8) function energy(z)
    real(8), intent(in) :: z(2 * n)
    type(particle), allocatable :: p(:), grid(:, :)
    integer :: i, s
    real(8), parameter :: dt = 0.1d0
    allocate(p(n))
    do i = 1, n
      p(i)%x = z(i)
      p(i)%v = z(n + i)
      p(i)%m = 1d0 + 0.1d0 * i
    end do
    do s = 1, 3
      do i = 1, n
        p(i)%v = p(i)%v - dt * p(i)%x / p(i)%m
        p(i)%x = p(i)%x + dt * p(i)%v
      end do
    end do
    energy = 0
    do i = 1, n
      energy = energy + 0.5d0 * p(i)%m * p(i)%v**2 + 0.5d0 * p(i)%x**2
    end do
    ! a rank-2 array: the default mass (1) of row 2 weighs row 1's positions
    allocate(grid(2, n))
    do i = 1, n
      grid(1, i)%x = p(i)%x * p(i)%v
    end do
    do i = 1, n
      energy = energy + grid(2, i)%m * grid(1, i)%x**2
    end do
  end function
  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = energy(z)
  end function
end module
program main
  use ferment_check
  use derived_array_allocate_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: z(2 * n), dz(2 * n), v(2 * n), t
  integer :: i
  do i = 1, 2 * n
    z(i) = 0.2d0 * i - 0.9d0
    v(i) = sin(1.3d0 * i)
  end do
  dz = 0
  call f__enzyme_autodiff(energy, enzyme_dup, z, dz)
  call check_gradient_fd('gradient', oracle, z, dz, 1d-6, 1d-6)
  t = f__enzyme_fwddiff(energy, enzyme_dup, z, v)
  call check_tangent_fd('tangent', oracle, z, v, t, 1d-6, 1d-6, dz, 1d-10)
  call check_report()
end program
