! An implicit (backward Euler) 2-D heat-conduction solver as a Fortran user writes it: the grid
! temperature is a 2-D array T(nx, ny) swept in column-major order (i inner), the operator
! (I - dt div k grad) with face conductivities from arithmetic means is applied matrix-free in an
! internal subroutine, and each time step is solved by conjugate gradients in a DO WHILE loop on
! the residual norm (relative tolerance, iteration cap), inner products as SUM over the
! whole 2-D arrays of products; a heat source term switched on for the first steps. The
! objective is the mean squared deviation of the final field from a target at a set of probe
! cells. Reverse mode gives its gradient with respect to the conductivity field k(nx, ny),
! forward mode a directional derivative.
! Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
! forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module heatcg_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, parameter :: nx = 7, ny = 6, nsteps = 4, maxcg = 200
  real(8), parameter :: dt = 0.02d0, h = 1d0 / 8, rtol = 1d-12
contains
  real(8) function probe_misfit(k)
    real(8), intent(in) :: k(nx, ny)
    real(8), allocatable :: t(:, :), b(:, :), r(:, :), p(:, :), q(:, :)
    real(8) :: rr, rr_new, alpha, beta, rr0
    integer :: step, it, i, j
    allocate(t(nx, ny), b(nx, ny), r(nx, ny), p(nx, ny), q(nx, ny))
    t = 0
    do step = 1, nsteps
      b = t
      if (step <= 2) then
        do j = 1, ny
          do i = 1, nx
            b(i, j) = b(i, j) + dt * exp(-((i - 3.2d0)**2 + (j - 2.7d0)**2) / 2d0)
          end do
        end do
      end if
      ! CG on A t = b, warm-started from the previous step
      call apply(t, q)
      r = b - q
      p = r
      rr = sum(r * r)
      rr0 = sum(b * b)
      it = 0
      do while (rr > rtol**2 * rr0 .and. it < maxcg)
        call apply(p, q)
        alpha = rr / sum(p * q)
        t = t + alpha * p
        r = r - alpha * q
        rr_new = sum(r * r)
        beta = rr_new / rr
        p = r + beta * p
        rr = rr_new
        it = it + 1
      end do
    end do
    probe_misfit = ((t(2, 2) - 0.02d0)**2 + (t(4, 3) - 0.03d0)**2 + (t(6, 5) - 0.005d0)**2) / 3
    deallocate(t, b, r, p, q)
  contains
    ! q = (I - dt div k grad) u with zero Dirichlet values outside the grid
    subroutine apply(u, out)
      real(8), intent(in) :: u(:, :)
      real(8), intent(out) :: out(:, :)
      integer :: ii, jj
      real(8) :: flux, kf, un
      do jj = 1, ny
        do ii = 1, nx
          flux = 0
          ! west, east, south, north faces
          un = 0
          kf = k(ii, jj)
          if (ii > 1) then
            un = u(ii - 1, jj)
            kf = 0.5d0 * (k(ii, jj) + k(ii - 1, jj))
          end if
          flux = flux + kf * (un - u(ii, jj))
          un = 0
          kf = k(ii, jj)
          if (ii < nx) then
            un = u(ii + 1, jj)
            kf = 0.5d0 * (k(ii, jj) + k(ii + 1, jj))
          end if
          flux = flux + kf * (un - u(ii, jj))
          un = 0
          kf = k(ii, jj)
          if (jj > 1) then
            un = u(ii, jj - 1)
            kf = 0.5d0 * (k(ii, jj) + k(ii, jj - 1))
          end if
          flux = flux + kf * (un - u(ii, jj))
          un = 0
          kf = k(ii, jj)
          if (jj < ny) then
            un = u(ii, jj + 1)
            kf = 0.5d0 * (k(ii, jj) + k(ii, jj + 1))
          end if
          flux = flux + kf * (un - u(ii, jj))
          out(ii, jj) = u(ii, jj) - dt / h**2 * flux
        end do
      end do
    end subroutine
  end function

  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = probe_misfit(reshape(z, [nx, ny]))
  end function
end module

program main
  use ferment_check
  use heatcg_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: k(nx, ny), dk(nx, ny), v(nx, ny), tangent
  integer :: i, j
  do j = 1, ny
    do i = 1, nx
      k(i, j) = 1d0 + 0.4d0 * sin(0.8d0 * i + 0.5d0 * j)
      v(i, j) = cos(0.3d0 * i * j)
    end do
  end do
  dk = 0
  call f__enzyme_autodiff(probe_misfit, enzyme_dup, k, dk)
  call check_gradient_fd('gradient', oracle, reshape(k, [nx * ny]), reshape(dk, [nx * ny]), 1d-6, 1d-6)
  tangent = f__enzyme_fwddiff(probe_misfit, enzyme_dup, k, v)
  call check_tangent_fd('tangent', oracle, reshape(k, [nx * ny]), reshape(v, [nx * ny]), tangent, &
    1d-6, 1d-6, reshape(dk, [nx * ny]), 1d-10)
  call check_report()
end program
