! Gaussian-process hyperparameter fitting as a Fortran statistician writes it: a squared-
! exponential covariance matrix K(n, n) with a noise nugget filled in column-major order on an
! ALLOCATABLE 2-D array, its Cholesky factor computed in place (lower triangle, columns outer,
! SQRT of the pivot), triangular solves by forward and back substitution in internal
! subroutines, and the negative log marginal likelihood 0.5 y^T K^{-1} y + sum(log(diag L)) +
! n/2 log(2 pi). Hyperparameters enter through their logarithms. Reverse mode gives the gradient
! with respect to (log lengthscale, log variance, log noise), forward mode a directional
! derivative.
! Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
! forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module gp_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, parameter :: n = 14
  real(8), parameter :: pi = 3.141592653589793d0
  real(8) :: xs(n), ys(n)
contains
  subroutine make_data()
    integer :: i
    do i = 1, n
      xs(i) = 0.35d0 * i + 0.1d0 * sin(2d0 * i)
      ys(i) = sin(xs(i)) + 0.3d0 * cos(3d0 * xs(i)) + 0.05d0 * sin(17d0 * i)
    end do
  end subroutine

  real(8) function nlml(theta)
    real(8), intent(in) :: theta(3)
    real(8), allocatable :: k(:, :), alpha(:), z(:)
    real(8) :: ell, sf2, sn2, s
    integer :: i, j, p
    ell = exp(theta(1))
    sf2 = exp(2 * theta(2))
    sn2 = exp(2 * theta(3))
    allocate(k(n, n), alpha(n), z(n))
    do j = 1, n
      do i = 1, n
        k(i, j) = sf2 * exp(-0.5d0 * ((xs(i) - xs(j)) / ell)**2)
      end do
      k(j, j) = k(j, j) + sn2
    end do
    ! Cholesky, K = L L^T, L kept in the lower triangle
    do j = 1, n
      s = k(j, j)
      do p = 1, j - 1
        s = s - k(j, p)**2
      end do
      k(j, j) = sqrt(s)
      do i = j + 1, n
        s = k(i, j)
        do p = 1, j - 1
          s = s - k(i, p) * k(j, p)
        end do
        k(i, j) = s / k(j, j)
      end do
    end do
    call lower_solve(ys, z)
    call upper_solve(z, alpha)
    nlml = 0.5d0 * dot_product(ys, alpha) + 0.5d0 * n * log(2 * pi)
    do i = 1, n
      nlml = nlml + log(k(i, i))
    end do
    deallocate(k, alpha, z)
  contains
    subroutine lower_solve(b, x)
      real(8), intent(in) :: b(:)
      real(8), intent(out) :: x(:)
      integer :: r, q
      do r = 1, n
        x(r) = b(r)
        do q = 1, r - 1
          x(r) = x(r) - k(r, q) * x(q)
        end do
        x(r) = x(r) / k(r, r)
      end do
    end subroutine

    subroutine upper_solve(b, x)
      real(8), intent(in) :: b(:)
      real(8), intent(out) :: x(:)
      integer :: r, q
      do r = n, 1, -1
        x(r) = b(r)
        do q = r + 1, n
          x(r) = x(r) - k(q, r) * x(q)
        end do
        x(r) = x(r) / k(r, r)
      end do
    end subroutine
  end function

  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = nlml(z)
  end function
end module

program main
  use ferment_check
  use gp_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: theta(3) = [0.2d0, 0.1d0, -1.5d0], dtheta(3), v(3) = [1d0, -0.5d0, 0.3d0], tangent
  call make_data()
  dtheta = 0
  call f__enzyme_autodiff(nlml, enzyme_dup, theta, dtheta)
  call check_gradient_fd('gradient', oracle, theta, dtheta, 1d-6, 1d-6)
  tangent = f__enzyme_fwddiff(nlml, enzyme_dup, theta, v)
  call check_tangent_fd('tangent', oracle, theta, v, tangent, 1d-6, 1d-6, dtheta, 1d-10)
  call check_report()
end program
