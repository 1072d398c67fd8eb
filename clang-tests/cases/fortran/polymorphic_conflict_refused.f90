! Fortran: a `class(material), allocatable` given one of two dynamic types by a `select case`,
! where one extension's `real(8) :: mu` and the other's `real(8), allocatable :: mus(:)` (a
! descriptor: a pointer, then integers) sit at the same byte offset after the parent. The one
! allocation would hold floats on one path and a pointer on the other, which the type analysis
! cannot tell apart, so the ALLOCATE is a compile error that says so and suggests a local variable
! of each dynamic type, never a wrong derivative. At -O1 and above flang merges the two ALLOCATEs
! into one runtime call of line 0: the error names the lines flang passes the runtime (session
! 39; reduced from clang-tests/open/hyperelastic_polymorphic_ogden.f90).
! RUN: flang
! LEVELS: 0 2
! EXPECT-ERROR: polymorphic_conflict_refused.f90:3
! EXPECT-ERROR: cannot differentiate call to '_FortranAAllocatableInitDerivedForAllocate'
! EXPECT-ERROR: hold real data in one and a pointer or integer
! EXPECT-ERROR: use a local variable of each dynamic type
module conflict_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, bind(C, name="enzyme_const") :: enzyme_const
  type :: material
    real(8) :: rho = 1d0
  end type
  type, extends(material) :: neo
    real(8) :: mu = 2d0
  end type
  type, extends(material) :: og
    real(8), allocatable :: mus(:)
  end type
contains
  real(8) function energy(x, kind)
    real(8), intent(in) :: x
    integer, intent(in) :: kind
    class(material), allocatable :: mat
    select case (kind)
    case (1)
      allocate(neo :: mat)
    case default
      allocate(og :: mat)
    end select
    mat%rho = x
    select type (mat)
    type is (neo)
      energy = mat%mu * mat%rho**2
    type is (og)
      allocate(mat%mus(2))
      mat%mus = x
      energy = sum(mat%mus) * mat%rho
    class default
      energy = 0
    end select
  end function
end module
program main
  use conflict_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8) :: x, dx
  integer :: k
  x = 0.7d0
  dx = 0
  k = 2
  call f__enzyme_autodiff(energy, enzyme_dup, x, dx, enzyme_const, k)
  print *, dx
end program
