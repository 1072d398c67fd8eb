! A Fortran caller of LAPACK's dsyev (the Fortran interface dsyev_, flags and sizes by reference,
! a workspace, info; flang appends the flags' hidden lengths): eigenvalues and eigenvectors
! ('V') of the upper and of the lower triangle, and eigenvalues only ('N'), of a symmetric
! matrix built from x. The loss reads the eigenvalues and products of entries within an
! eigenvector (invariant under the sign LAPACK picks). Distinct eigenvalues. Reverse mode against
! central finite differences, forward mode against finite differences and against the reverse
! gradient (dot-product test).
! RUN: flang
! LEVELS: 0 1 2 3
! LIBS: -lopenblas
module lapack_syev_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  external :: dsyev
contains
  real(8) function model(m, x, job)
    integer, intent(in) :: m, job
    real(8), intent(in) :: x(m)
    integer, parameter :: n = 3
    real(8) :: a(n, n), w(n), work(64)
    integer :: info, i, j, k
    k = 0
    do j = 1, n
      do i = 1, j
        k = k + 1
        a(i, j) = x(k)
        a(j, i) = x(k)
      end do
    end do
    select case (job)
    case (0)
      call dsyev('V', 'U', n, a, n, w, work, 64, info)
    case (1)
      call dsyev('V', 'L', n, a, n, w, work, size(work), info)
    case default
      call dsyev('N', 'U', n, a, n, w, work, 64, info)
    end select
    model = 0
    do j = 1, n
      model = model + (1 + 0.3d0 * j) * w(j) + 0.1d0 * w(j)**2
      if (job < 2) then
        do i = 1, n
          model = model + (0.5d0 + 0.1d0 * i * j) * a(i, j) * a(mod(i, n) + 1, j)
        end do
      end if
    end do
    if (info /= 0) model = -1d300
  end function
end module

program main
  use lapack_syev_mod
  implicit none
  integer, parameter :: m = 6
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(m) = [2d0, 0.3d0, 1d0, -0.1d0, 0.2d0, -1d0]
  real(8) :: v(m) = [1d0, -2d0, 0.5d0, 0.25d0, 3d0, -1d0]
  real(8) :: dx(m), e(m), h, fd, tangent
  integer :: i, job, failures
  failures = 0
  h = 1d-6
  do job = 0, 2
    dx = 0
    call f__enzyme_autodiff(model, enzyme_const, m, enzyme_dup, x, dx, enzyme_const, job)
    do i = 1, m
      e = 0
      e(i) = h
      fd = (model(m, x + e, job) - model(m, x - e, job)) / (2 * h)
      if (abs(fd - dx(i)) > 1d-6 * max(1d0, abs(fd))) then
        print *, 'mismatch: reverse vs finite differences, job', job, i, dx(i), fd
        failures = failures + 1
      end if
    end do
    tangent = f__enzyme_fwddiff(model, enzyme_const, m, enzyme_dup, x, v, enzyme_const, job)
    fd = (model(m, x + h * v, job) - model(m, x - h * v, job)) / (2 * h)
    if (abs(tangent - fd) > 1d-6 * max(1d0, abs(fd))) then
      print *, 'mismatch: forward vs finite differences, job', job, tangent, fd
      failures = failures + 1
    end if
    if (abs(tangent - dot_product(dx, v)) > 1d-9 * max(1d0, abs(fd))) then
      print *, 'mismatch: forward vs reverse, job', job, tangent, dot_product(dx, v)
      failures = failures + 1
    end if
  end do
  if (failures /= 0) stop 1
  print *, 'all checks passed'
end program
