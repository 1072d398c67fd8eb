! Fortran: a polymorphic ALLOCATE inside the differentiated function (`allocate(child :: obj)` of
! a `class(base), allocatable`, flang's runtime _FortranAAllocatableInitDerivedForAllocate) is a
! compile error at the statement that says it is an ALLOCATE ferment does not differentiate and
! suggests a local variable of the dynamic type (found in session 37 in a Lorenz-96 program,
! clang-tests/open/lorenz96_polymorphic_allocate.f90), never a silently wrong derivative.
! RUN: flang
! EXPECT-ERROR: polymorphic_allocate_refused.f90:37:5
! EXPECT-ERROR: cannot differentiate call to '_FortranAAllocatableInitDerivedForAllocate'
! EXPECT-ERROR: an ALLOCATE, DEALLOCATE or pointer statement
! EXPECT-ERROR: use a local variable of the dynamic type
module polyalloc_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  type :: base
    real(8) :: scale = 1d0
  contains
    procedure :: eval => base_eval
  end type
  type, extends(base) :: child
  contains
    procedure :: eval => child_eval
  end type
contains
  real(8) function base_eval(self, x)
    class(base), intent(in) :: self
    real(8), intent(in) :: x
    base_eval = self%scale * x
  end function
  real(8) function child_eval(self, x)
    class(child), intent(in) :: self
    real(8), intent(in) :: x
    child_eval = self%scale * x * x
  end function
  real(8) function f(x)
    real(8), intent(in) :: x(2)
    class(base), allocatable :: obj
    allocate(child :: obj)
    obj%scale = x(2)
    f = obj%eval(x(1)) + x(2)
  end function
end module

program main
  use polyalloc_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8) :: x(2) = [1d0, 2d0], dx(2) = 0
  call f__enzyme_autodiff(f, enzyme_dup, x, dx)
  print *, dx
end program
