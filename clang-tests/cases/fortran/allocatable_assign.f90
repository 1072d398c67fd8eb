! Fortran assignments that flang lowers to its runtime routine _FortranAAssign (an allocatable
! left side, scalar or array, allocated or reallocated by the assignment; a strided right side; a
! rank-2 array; integer data beside real data), in a function differentiated in reverse mode
! (gradient against the analytic one and central finite differences) and forward mode (tangent
! along a direction against finite differences along it). Enzyme's implicit-interface calls
! f__enzyme_autodiff / f__enzyme_fwddiff with the markers passed by reference.
! RUN: flang
include 'check.inc'

module assign_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
contains
  real(8) function model(n, x)
    integer, intent(in) :: n
    real(8), intent(in) :: x(n)
    real(8), allocatable :: t, w(:), s(:), m(:,:), c(:,:)
    integer, allocatable :: k(:), idx(:)
    integer :: i
    t = x(1)             ! scalar allocatable, allocated by the assignment
    allocate(w(2))
    w = x                ! reallocated from 2 to n elements
    s = x(1:n:2)         ! strided right side
    allocate(m(n, 2))
    do i = 1, n
      m(i, 1) = x(i)
      m(i, 2) = sin(x(i))
    end do
    c = m                ! rank 2, allocated by the assignment
    allocate(k(n))
    do i = 1, n
      k(i) = i
    end do
    idx = k              ! integer data
    model = t**3
    do i = 1, n
      model = model + w(i)**2 * i + c(i, 1) * c(i, 2) + idx(i) * w(i)
    end do
    do i = 1, size(s)
      model = model + s(i) * w(i)
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
  use assign_mod
  implicit none
  integer, parameter :: n = 5
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n) = [0.3d0, -1.1d0, 0.7d0, 1.9d0, -0.4d0], v(n) = [1d0, -2d0, 0.5d0, 0.25d0, 3d0]
  real(8) :: dx(n), want(n), tangent
  integer :: i, ns
  ns = (n + 1) / 2
  do i = 1, n
    want(i) = 2 * x(i) * i + sin(x(i)) + x(i) * cos(x(i)) + i
    if (mod(i, 2) == 1) want(i) = want(i) + x((i + 1) / 2)
    if (i <= ns) want(i) = want(i) + x(2 * i - 1)
  end do
  want(1) = want(1) + 3 * x(1)**2
  call check_gradient_fd('analytic gradient', oracle, x, want, 1d-6, 1d-6)
  dx = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx)
  call check_array('reverse vs analytic', dx, want, 1d-12)
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v)
  call check_tangent_fd('forward', oracle, x, v, tangent, 1d-6, 1d-6, want, 1d-12)
  call check_report()
end program
