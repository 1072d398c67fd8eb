! Fortran: a polymorphic ALLOCATE inside the differentiated function that no derivative reaches
! (a counter object of a type with a deferred-length character component, which ferment's
! lowering does not read) keeps flang's runtime calls: InitDerivedForAllocate, Allocate and
! DeallocatePolymorphic run as in the program without AD (no compile error, no run-time stop),
! while the real data around it is differentiated. Oracles: the analytic gradient, central
! differences, forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module polycount_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  type :: counter
    integer :: n = 0
    character(len=:), allocatable :: label
  contains
    procedure :: bump => counter_bump
  end type
  type, extends(counter) :: loud_counter
    integer :: step = 2
  contains
    procedure :: bump => loud_bump
  end type
contains
  subroutine counter_bump(self)
    class(counter), intent(inout) :: self
    self%n = self%n + 1
  end subroutine
  subroutine loud_bump(self)
    class(loud_counter), intent(inout) :: self
    self%n = self%n + self%step
  end subroutine

  real(8) function f(x)
    real(8), intent(in) :: x(4)
    class(counter), allocatable :: c
    integer :: i
    allocate(loud_counter :: c)
    f = 0
    do i = 1, size(x)
      call c%bump()
      f = f + c%n * x(i)**2
    end do
    if (allocated(c%label)) f = -1d300
  end function

  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = f(z)
  end function
end module

program main
  use ferment_check
  use polycount_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(4) = [0.5d0, -1d0, 1.5d0, 2d0], dx(4), v(4) = [1d0, 0.5d0, -0.25d0, 2d0], t
  integer :: i
  dx = 0
  call f__enzyme_autodiff(f, enzyme_dup, x, dx)
  call check_array('analytic', dx, [(2 * (2 * i) * x(i), i = 1, 4)], 1d-12)
  call check_gradient_fd('gradient', oracle, x, dx, 1d-6, 1d-6)
  t = f__enzyme_fwddiff(f, enzyme_dup, x, v)
  call check_tangent_fd('tangent', oracle, x, v, t, 1d-6, 1d-6, dx, 1d-12)
  call check_report()
end program
