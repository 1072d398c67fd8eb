! Fortran ALLOCATE and DEALLOCATE with STAT=, which flang lowers to its runtime routines
! _FortranAAllocatableSetBounds/_FortranAAllocatableAllocate/_FortranAAllocatableDeallocate:
! rank-1 and rank-2 work arrays allocated and freed on every iteration of a loop inside the
! differentiated function, holding active values. Reverse mode against the analytic gradient and
! central finite differences; forward mode against finite differences and the reverse gradient.
! RUN: flang
include 'check.inc'

module alloc_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
contains
  ! model = sum over it = 1..3 of sum_i (it x_i)^2 + x_i cos(x_i)
  real(8) function model(n, x)
    integer, intent(in) :: n
    real(8), intent(in) :: x(n)
    real(8), allocatable :: work(:), m(:, :)
    integer :: it, i, ist
    model = 0
    do it = 1, 3
      allocate(work(n), stat=ist)
      if (ist /= 0) stop 2
      allocate(m(2, n), stat=ist)
      if (ist /= 0) stop 3
      do i = 1, n
        work(i) = x(i) * it
        m(1, i) = x(i)
        m(2, i) = cos(x(i))
      end do
      do i = 1, n
        model = model + work(i)**2 + m(1, i) * m(2, i)
      end do
      deallocate(m, stat=ist)
      deallocate(work, stat=ist)
      if (ist /= 0) stop 4
    end do
  end function

  ! the primal as a function of the point alone, for ferment_check's finite differences
  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = model(size(x), x)
  end function
end module

program main
  use ferment_check
  use alloc_mod
  implicit none
  integer, parameter :: n = 4
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n) = [0.3d0, -1.1d0, 0.7d0, 1.9d0], v(n) = [1d0, -2d0, 0.5d0, 0.25d0]
  real(8) :: dx(n), want(n), tangent
  want = 2 * 14 * x + 3 * (cos(x) - x * sin(x))
  call check_gradient_fd('analytic gradient', oracle, x, want, 1d-6, 1d-6)
  dx = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx)
  call check_array('reverse vs analytic', dx, want, 1d-12)
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v)
  call check_tangent_fd('forward', oracle, x, v, tangent, 1d-6, 1d-6, want, 1d-12)
  call check_report()
end program
