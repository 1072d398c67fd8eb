! A 1D nonlinear boundary-value problem as a Fortran user writes it: the Bratu-type equation
! -u'' = lam(x) * exp(u) on (0, 1), u(0) = u(1) = 0, discretized with central differences and
! solved by Newton's method in a DO WHILE loop on the residual norm (with an iteration cap); each
! Newton step solves the tridiagonal Jacobian system with the Thomas algorithm in an internal
! subroutine, on work arrays ALLOCATEd inside the differentiated function. The objective is a
! misfit of the solution against a target profile; reverse mode gives its gradient with respect
! to the whole source field lam(:), forward mode a directional derivative.
! Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
! forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module bratu_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, parameter :: n = 12
  real(8), parameter :: tol = 1d-13
  integer, parameter :: maxit = 30
contains
  pure elemental real(8) function target_profile(x)
    real(8), intent(in) :: x
    target_profile = 0.3d0 * sin(3.141592653589793d0 * x)
  end function

  real(8) function misfit(lam)
    real(8), intent(in) :: lam(n)
    real(8), allocatable :: u(:), r(:), a(:), b(:), c(:), du(:), xs(:)
    real(8) :: h, rnorm
    integer :: i, it
    allocate(u(n), r(n), a(n), b(n), c(n), du(n), xs(n))
    h = 1d0 / (n + 1)
    xs = [(i * h, i = 1, n)]
    u = 0
    rnorm = 1
    it = 0
    do while (rnorm > tol .and. it < maxit)
      call residual(u, r)
      rnorm = sqrt(dot_product(r, r))
      ! Jacobian of the residual: tridiagonal
      do i = 1, n
        a(i) = -1d0 / h**2
        c(i) = -1d0 / h**2
        b(i) = 2d0 / h**2 - lam(i) * exp(u(i))
      end do
      call thomas(a, b, c, -r, du)
      u = u + du
      it = it + 1
    end do
    misfit = 0.5d0 * h * sum((u - target_profile(xs))**2)
    deallocate(u, r, a, b, c, du, xs)
  contains
    subroutine residual(v, res)
      real(8), intent(in) :: v(:)
      real(8), intent(out) :: res(:)
      integer :: j
      real(8) :: left, right
      do j = 1, n
        left = 0
        right = 0
        if (j > 1) left = v(j - 1)
        if (j < n) right = v(j + 1)
        res(j) = (2 * v(j) - left - right) / h**2 - lam(j) * exp(v(j))
      end do
    end subroutine

    subroutine thomas(sub, diag, sup, rhs, sol)
      real(8), intent(in) :: sub(:), diag(:), sup(:), rhs(:)
      real(8), intent(out) :: sol(:)
      real(8) :: cp(size(diag)), dp(size(diag)), m
      integer :: j, m_n
      m_n = size(diag)
      cp(1) = sup(1) / diag(1)
      dp(1) = rhs(1) / diag(1)
      do j = 2, m_n
        m = diag(j) - sub(j) * cp(j - 1)
        cp(j) = sup(j) / m
        dp(j) = (rhs(j) - sub(j) * dp(j - 1)) / m
      end do
      sol(m_n) = dp(m_n)
      do j = m_n - 1, 1, -1
        sol(j) = dp(j) - cp(j) * sol(j + 1)
      end do
    end subroutine
  end function

  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = misfit(z)
  end function
end module

program main
  use ferment_check
  use bratu_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: lam(n), dlam(n), v(n), tangent
  integer :: i
  do i = 1, n
    lam(i) = 1.5d0 + 0.5d0 * cos(0.7d0 * i)
    v(i) = sin(1.3d0 * i)
  end do
  dlam = 0
  call f__enzyme_autodiff(misfit, enzyme_dup, lam, dlam)
  call check_gradient_fd('dJ/dlam', oracle, lam, dlam, 1d-5, 1d-6)
  tangent = f__enzyme_fwddiff(misfit, enzyme_dup, lam, v)
  call check_tangent_fd('forward', oracle, lam, v, tangent, 1d-5, 1d-6, dlam, 1d-10)
  call check_report()
end program
