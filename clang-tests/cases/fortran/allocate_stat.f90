! Fortran ALLOCATE and DEALLOCATE with STAT=, which flang lowers to its runtime routines
! _FortranAAllocatableSetBounds/_FortranAAllocatableAllocate/_FortranAAllocatableDeallocate:
! rank-1 and rank-2 work arrays allocated and freed on every iteration of a loop inside the
! differentiated function, holding active values. Reverse mode against the analytic gradient and
! central finite differences; forward mode against finite differences and the reverse gradient.
! RUN: flang
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
end module

program main
  use alloc_mod
  implicit none
  integer, parameter :: n = 4
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n) = [0.3d0, -1.1d0, 0.7d0, 1.9d0], v(n) = [1d0, -2d0, 0.5d0, 0.25d0]
  real(8) :: dx(n), want(n), e(n), h, fd, tangent
  integer :: i, failures
  failures = 0
  h = 1d-6
  do i = 1, n
    want(i) = 2 * 14 * x(i) + 3 * (cos(x(i)) - x(i) * sin(x(i)))
    e = 0
    e(i) = h
    fd = (model(n, x + e) - model(n, x - e)) / (2 * h)
    if (abs(fd - want(i)) > 1d-6 * max(1d0, abs(want(i)))) then
      print *, 'mismatch: oracle vs finite differences at', i, want(i), fd
      failures = failures + 1
    end if
  end do
  dx = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx)
  do i = 1, n
    if (abs(dx(i) - want(i)) > 1d-12 * max(1d0, abs(want(i)))) then
      print *, 'mismatch: reverse at', i, dx(i), want(i)
      failures = failures + 1
    end if
  end do
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v)
  fd = (model(n, x + h * v) - model(n, x - h * v)) / (2 * h)
  if (abs(tangent - fd) > 1d-6 * max(1d0, abs(fd))) then
    print *, 'mismatch: forward vs finite differences', tangent, fd
    failures = failures + 1
  end if
  if (abs(tangent - dot_product(want, v)) > 1d-12 * max(1d0, abs(fd))) then
    print *, 'mismatch: forward vs reverse', tangent, dot_product(want, v)
    failures = failures + 1
  end if
  if (failures /= 0) stop 1
  print *, 'all checks passed'
end program
