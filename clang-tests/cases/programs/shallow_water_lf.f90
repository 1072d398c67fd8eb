! A 1D shallow-water dam-break-like solver as a Fortran modeller writes it: conserved variables
! h and hu on a grid with reflecting walls (ghost cells filled in an internal subroutine),
! Rusanov (local Lax-Friedrichs) fluxes computed with array sections h(1:n) and h(2:n+1), the
! wave speed with SQRT and MAX, the time step from the CFL condition with MAXVAL, a fixed end
! time reached with a shortened last step (DO WHILE on the time), allocatable flux arrays
! ALLOCATEd inside the differentiated function. The objective is the misfit of the final depth
! at gauge cells. Reverse mode gives its gradient with respect to the initial depth profile,
! forward mode a directional derivative.
! Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
! forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module swe_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, parameter :: n = 24, ngauge = 4
  real(8), parameter :: grav = 9.81d0, dx = 1d0 / n, cfl = 0.4d0, tend = 0.05d0
  integer :: gauge(ngauge) = [3, 9, 15, 21]
  real(8) :: hobs(ngauge) = [1.02d0, 1.1d0, 0.97d0, 1.01d0]
contains
  real(8) function gauge_misfit(h0)
    real(8), intent(in) :: h0(n)
    real(8) :: h(0:n + 1), hu(0:n + 1), dt, t, smax
    real(8), allocatable :: fh(:), fhu(:), c(:)
    integer :: nstep
    allocate(fh(n + 1), fhu(n + 1), c(0:n + 1))
    h(1:n) = h0
    hu(1:n) = 0
    t = 0
    nstep = 0
    do while (t < tend - 1d-14 .and. nstep < 1000)
      call walls()
      c = abs(hu / h) + sqrt(grav * h)
      smax = maxval(c)
      dt = min(cfl * dx / smax, tend - t)
      call rusanov()
      h(1:n) = h(1:n) - dt / dx * (fh(2:n + 1) - fh(1:n))
      hu(1:n) = hu(1:n) - dt / dx * (fhu(2:n + 1) - fhu(1:n))
      t = t + dt
      nstep = nstep + 1
    end do
    gauge_misfit = 0.5d0 * sum((h(gauge) - hobs)**2)
    deallocate(fh, fhu, c)
  contains
    subroutine walls()
      h(0) = h(1)
      hu(0) = -hu(1)
      h(n + 1) = h(n)
      hu(n + 1) = -hu(n)
    end subroutine

    subroutine rusanov()
      ! interface i sits between cells i-1 and i; the dissipation speed is a smooth maximum of
      ! the two cells' speeds (MAX itself ties at the walls, where the ghost mirrors the cell)
      real(8) :: a(n + 1)
      a = 0.5d0 * (c(0:n) + c(1:n + 1)) + 0.5d0 * sqrt((c(0:n) - c(1:n + 1))**2 + 1d-6)
      fh = 0.5d0 * (hu(0:n) + hu(1:n + 1)) - 0.5d0 * a * (h(1:n + 1) - h(0:n))
      fhu = 0.5d0 * (hu(0:n)**2 / h(0:n) + 0.5d0 * grav * h(0:n)**2 &
        + hu(1:n + 1)**2 / h(1:n + 1) + 0.5d0 * grav * h(1:n + 1)**2) &
        - 0.5d0 * a * (hu(1:n + 1) - hu(0:n))
    end subroutine
  end function

  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = gauge_misfit(z)
  end function
end module

program main
  use ferment_check
  use swe_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: h0(n), dh0(n), v(n), tangent
  integer :: i
  ! a bump off the cell centres' symmetry axis: no two cells tie for MAXVAL's wave speed
  do i = 1, n
    h0(i) = 1d0 + 0.3d0 * exp(-((i - 10.3d0) / 3d0)**2)
    v(i) = cos(0.4d0 * i)
  end do
  dh0 = 0
  call f__enzyme_autodiff(gauge_misfit, enzyme_dup, h0, dh0)
  call check_gradient_fd('gradient', oracle, h0, dh0, 1d-7, 1d-6)
  tangent = f__enzyme_fwddiff(gauge_misfit, enzyme_dup, h0, v)
  call check_tangent_fd('tangent', oracle, h0, v, tangent, 1d-7, 1d-6, dh0, 1d-10)
  call check_report()
end program
