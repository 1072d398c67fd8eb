! Fortran: a polymorphic ALLOCATE inside the differentiated function whose dynamic type has a
! component ferment's lowering does not read (a deferred-length character allocatable: the
! runtime's default initialization and deallocation of it stay runtime calls), with active data
! stored into the object, is a compile error at the statement that says it is an ALLOCATE
! ferment does not differentiate and suggests a local variable of the dynamic type, never a
! silently wrong derivative. (`polymorphic_allocate.f90` is the same kind of ALLOCATE of types
! ferment reads, which is differentiated.)
! RUN: flang
! EXPECT-ERROR: polymorphic_allocate_refused.f90:40:5
! EXPECT-ERROR: cannot differentiate call to '_FortranAAllocatableInitDerivedForAllocate'
! EXPECT-ERROR: an ALLOCATE, DEALLOCATE or pointer statement
! EXPECT-ERROR: use a local variable of the dynamic type
module polyalloc_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  type :: base
    real(8) :: scale = 1d0
    character(len=:), allocatable :: label
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
