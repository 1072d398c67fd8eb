! Fortran: ALLOCATE of a polymorphic allocatable inside the differentiated function
! (`allocate(child :: obj)` / `allocate(base :: obj)` of a `class(base), allocatable`, the type
! chosen at run time, flang's runtime _FortranAAllocatableInitDerivedForAllocate,
! _FortranAAllocatableAllocate and _FortranAAllocatableDeallocatePolymorphic), twice in a loop
! with an explicit DEALLOCATE: default component values, an allocatable component of the
! extended type allocated through SELECT TYPE, and type-bound dispatch on the dynamic type.
! Refused before session 38 (clang-tests/open/lorenz96_polymorphic_allocate.f90). Oracles: the
! analytic gradient, central differences, forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module polyalloc_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, bind(C, name="enzyme_const") :: enzyme_const
  type :: base
    real(8) :: scale = 1d0
  contains
    procedure :: eval => base_eval
  end type
  type, extends(base) :: child
    real(8), allocatable :: w(:)
    real(8) :: shift = 0.5d0
  contains
    procedure :: eval => child_eval
  end type
  integer :: mode = 1
contains
  real(8) function base_eval(self, x)
    class(base), intent(in) :: self
    real(8), intent(in) :: x
    base_eval = self%scale * x
  end function

  real(8) function child_eval(self, x)
    class(child), intent(in) :: self
    real(8), intent(in) :: x
    child_eval = self%scale * x * x + sum(self%w) * self%shift
  end function

  real(8) function f(x, m)
    real(8), intent(in) :: x(3)
    integer, intent(in) :: m
    class(base), allocatable :: obj
    integer :: k
    f = 0
    do k = 1, 2
      if (m == 1 .or. k == 2) then
        allocate(child :: obj)
      else
        allocate(base :: obj)
      end if
      obj%scale = obj%scale * x(2) * k
      select type (obj)
      type is (child)
        allocate(obj%w(2))
        obj%w = [x(3), x(3)**2]
      end select
      f = f + obj%eval(x(1))
      deallocate(obj)
    end do
  end function

  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = f(z, mode)
  end function
end module

program main
  use ferment_check
  use polyalloc_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(3) = [1.5d0, 2d0, 0.75d0], dx(3), v(3) = [0.3d0, -1.1d0, 0.6d0], t
  do mode = 1, 2
    dx = 0
    call f__enzyme_autodiff(f, enzyme_dup, x, dx, enzyme_const, mode)
    if (mode == 1) then
      call check_array('mode 1 analytic', dx, &
        [6 * x(1) * x(2), 3 * x(1)**2, 1 + 2 * x(3)], 1d-12)
    else
      call check_array('mode 2 analytic', dx, &
        [x(2) + 4 * x(1) * x(2), x(1) + 2 * x(1)**2, 0.5d0 * (1 + 2 * x(3))], 1d-12)
    end if
    call check_gradient_fd('gradient', oracle, x, dx, 1d-6, 1d-6)
    t = f__enzyme_fwddiff(f, enzyme_dup, x, v, enzyme_const, mode)
    call check_tangent_fd('tangent', oracle, x, v, t, 1d-6, 1d-6, dx, 1d-12)
  end do
  call check_report()
end program
