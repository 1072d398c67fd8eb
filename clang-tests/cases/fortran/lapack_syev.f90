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
include 'check.inc'

module lapack_syev_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  ! the job the oracle uses
  integer :: job_now
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

  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = model(size(x), x, job_now)
  end function
end module

program main
  use ferment_check
  use lapack_syev_mod
  implicit none
  integer, parameter :: m = 6
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(m) = [2d0, 0.3d0, 1d0, -0.1d0, 0.2d0, -1d0]
  real(8) :: v(m) = [1d0, -2d0, 0.5d0, 0.25d0, 3d0, -1d0]
  real(8) :: dx(m), tangent
  integer :: job
  do job = 0, 2
    job_now = job
    dx = 0
    call f__enzyme_autodiff(model, enzyme_const, m, enzyme_dup, x, dx, enzyme_const, job)
    call check_gradient_fd('reverse', oracle, x, dx, 1d-6, 1d-6)
    tangent = f__enzyme_fwddiff(model, enzyme_const, m, enzyme_dup, x, v, enzyme_const, job)
    call check_tangent_fd('forward', oracle, x, v, tangent, 1d-6, 1d-6, dx, 1d-9)
  end do
  call check_report()
end program
