! Regularized logistic regression as a Fortran statistician writes it: a design matrix X(n, p)
! filled column by column (column-major loops), an intercept, a linear predictor from MATMUL,
! a pure elemental log-sigmoid written stably with MERGE, labels stored as LOGICALs turned into
! 0/1 with MERGE, observation weights clipped with WHERE, an elastic-net penalty (SUM of ABS
! smoothed by SQRT, and DOT_PRODUCT), and MAXVAL for a margin diagnostic folded into the loss.
! Reverse mode gives the gradient of the penalized negative log-likelihood with respect to the
! coefficients, forward mode a directional derivative.
! Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
! forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module logreg_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, parameter :: nobs = 30, np = 4
  real(8) :: xmat(nobs, np), wts(nobs)
  logical :: ylab(nobs)
  real(8), parameter :: alpha = 0.05d0, l1 = 0.02d0, eps = 1d-6
contains
  pure elemental real(8) function log_sigmoid(z)
    real(8), intent(in) :: z
    ! log(1 / (1 + exp(-z))), without overflow on either side
    log_sigmoid = merge(-log(1d0 + exp(-z)), z - log(1d0 + exp(z)), z >= 0d0)
  end function

  subroutine make_data()
    integer :: i, j
    do j = 1, np
      do i = 1, nobs
        xmat(i, j) = sin(0.37d0 * i * j + 0.2d0 * j) + 0.1d0 * j
      end do
    end do
    do i = 1, nobs
      ylab(i) = mod(i * 7, 5) < 2 .or. xmat(i, 1) > 0.6d0
      wts(i) = 0.5d0 + 1.5d0 * abs(cos(0.9d0 * i))
    end do
  end subroutine

  real(8) function penalized_nll(beta)
    real(8), intent(in) :: beta(np + 1)
    real(8), allocatable :: eta(:), y(:), w(:)
    real(8) :: margin
    allocate(eta(nobs), y(nobs), w(nobs))
    eta = matmul(xmat, beta(2:)) + beta(1)
    y = merge(1d0, 0d0, ylab)
    w = wts
    where (w > 1.6d0)
      w = 1.6d0
    elsewhere (w < 0.6d0)
      w = 0.6d0
    end where
    penalized_nll = -sum(w * (y * log_sigmoid(eta) + (1 - y) * log_sigmoid(-eta))) / nobs
    penalized_nll = penalized_nll + 0.5d0 * alpha * dot_product(beta(2:), beta(2:)) &
      + l1 * sum(sqrt(beta(2:)**2 + eps))
    margin = maxval(abs(eta))
    penalized_nll = penalized_nll + 1d-3 * margin**2
    deallocate(eta, y, w)
  end function

  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = penalized_nll(z)
  end function
end module

program main
  use ferment_check
  use logreg_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: beta(np + 1) = [0.1d0, 0.8d0, -0.5d0, 0.3d0, 1.2d0], db(np + 1), tangent
  real(8) :: v(np + 1) = [1d0, -0.5d0, 0.25d0, 2d0, -1d0]
  call make_data()
  db = 0
  call f__enzyme_autodiff(penalized_nll, enzyme_dup, beta, db)
  call check_gradient_fd('gradient', oracle, beta, db, 1d-6, 1d-7)
  tangent = f__enzyme_fwddiff(penalized_nll, enzyme_dup, beta, v)
  call check_tangent_fd('tangent', oracle, beta, v, tangent, 1d-6, 1d-7, db, 1d-12)
  call check_report()
end program
