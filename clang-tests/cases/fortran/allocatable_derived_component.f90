! ALLOCATE of an allocatable component of derived type (`type(layer), allocatable :: lay` inside
! a polymorphic object, `allocate(o%lay)`, then `allocate(o%lay%w(3))`) inside the differentiated
! function, and at k = 2 deallocated (`deallocate(o%lay)`, freeing `lay%w` too) and given again.
! The component's descriptor is reached through the object's base address, so its type
! is not known at compile time: until session 39 lower_allocations' helper stopped at run time at
! every -O ("this ALLOCATE (flang runtime _FortranAAllocatableAllocate) is not differentiated",
! clang-tests/open/, session 38). fortran_derived now gives the ALLOCATEs of descriptors other
! than the function's own a helper that dispatches on the addendum (written by the object's
! default initialization) over the allocatable components' types of the types it lowered, and
! calls the intrinsic types' helper for other descriptors. The same program with a
! non-allocatable `type(layer) :: lay` is cases/fortran/polymorphic_allocate_nested.f90.
! Oracles: central differences, forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'
module pm
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  type :: vec2
    real(8) :: a = 1d0, b = 2d0
  end type
  type :: layer
    real(8), allocatable :: w(:)
  end type
  type :: base
    type(vec2) :: v
    real(8) :: s = 0.5d0
  contains
    procedure :: eval => base_eval
  end type
  type, extends(base) :: deep
    type(layer), allocatable :: lay
    integer :: count = 3
  contains
    procedure :: eval => deep_eval
  end type
contains
  real(8) function base_eval(self, x)
    class(base), intent(in) :: self
    real(8), intent(in) :: x
    base_eval = self%s * x * self%v%a + self%v%b
  end function
  real(8) function deep_eval(self, x)
    class(deep), intent(in) :: self
    real(8), intent(in) :: x
    deep_eval = self%count * sum(self%lay%w) * x + self%v%b * self%s
  end function
  real(8) function f(x)
    real(8), intent(in) :: x(3)
    class(base), allocatable :: o
    integer :: k
    f = 0
    do k = 1, 4
      if (mod(k, 2) == 0) then
        allocate(deep :: o)
      else
        allocate(base :: o)
      end if
      o%s = x(1) * k
      o%v%a = x(2)
      select type (o)
      type is (deep)
        allocate(o%lay)
        allocate(o%lay%w(3))
        o%lay%w = x * k
        if (k == 2) then
          ! a component deallocated (with its own allocatable component) and given again
          deallocate(o%lay)
          allocate(o%lay)
          allocate(o%lay%w(3))
          o%lay%w = x * x(2) * k
        end if
      end select
      f = f + o%eval(x(3))
      deallocate(o)
    end do
  end function
  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = f(z)
  end function
end module
program main
  use ferment_check
  use pm
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(3) = [0.7d0, 1.3d0, -0.4d0], dx(3), v(3) = [1d0, 2d0, -1d0], t
  dx = 0
  call f__enzyme_autodiff(f, enzyme_dup, x, dx)
  call check_gradient_fd('gradient', oracle, x, dx, 1d-6, 1d-6)
  t = f__enzyme_fwddiff(f, enzyme_dup, x, v)
  call check_tangent_fd('tangent', oracle, x, v, t, 1d-6, 1d-6, dx, 1d-10)
  call check_report()
end program
