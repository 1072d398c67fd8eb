! Fortran pointers given targets by ALLOCATE and DEALLOCATE (flang runtime
! _FortranAPointerSetBounds/_FortranAPointerAllocate/_FortranAPointerDeallocate, at every -O):
! a rank-1 and a rank-2 pointer, a pointer associated with a section of another's target, a
! pointer given a second target after the first is deallocated, and a work array allocated in
! the differentiated code and deallocated by the caller (the runtime checks that its target is
! one ALLOCATE made). Reverse mode against central finite differences, forward mode against
! finite differences and against the reverse gradient (dot-product test).
! RUN: flang
include 'check.inc'

module pointer_allocate_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  real(8), pointer :: scratch(:) => null()
contains
  real(8) function model(n, x)
    integer, intent(in) :: n
    real(8), intent(in) :: x(n)
    real(8), pointer :: p(:), q(:, :), col(:)
    integer :: i
    allocate(p(n))
    allocate(q(n, 2))
    do i = 1, n
      p(i) = x(i) * x(i)
      q(i, 1) = sin(x(i))
      q(i, 2) = p(i) * x(i)
    end do
    col => q(:, 2)
    model = 0
    do i = 1, n
      model = model + p(i) * q(i, 1) + 0.5d0 * col(i)
    end do
    deallocate(p)
    allocate(p(0:n - 1))               ! a second target, other bounds
    do i = 0, n - 1
      p(i) = cos(x(i + 1)) * model
    end do
    model = model + sum(p(1:n - 1))
    deallocate(p)
    deallocate(q)
    if (associated(scratch)) deallocate(scratch)
    allocate(scratch(n))               ! left to the caller, which deallocates it
    scratch = 2
  end function

  ! the primal as a function of the point alone, for ferment_check's finite differences
  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = model(size(x), x)
  end function
end module

program main
  use ferment_check
  use pointer_allocate_mod
  implicit none
  integer, parameter :: n = 5
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n) = [0.3d0, -0.5d0, 0.7d0, 1.1d0, -0.9d0], v(n) = [1d0, -2d0, 0.5d0, 0.25d0, 3d0]
  real(8) :: dx(n), tangent
  dx = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx)
  deallocate(scratch)                  ! by the runtime, after the derivative's ALLOCATE
  call check_gradient_fd('reverse', oracle, x, dx, 1d-6, 1d-6)
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v)
  deallocate(scratch)
  call check_tangent_fd('forward', oracle, x, v, tangent, 1d-6, 1d-6, dx, 1d-10)
  call check_report()
end program
