! An inverse heat-conduction problem as a Fortran user writes it: a 2D explicit finite-difference
! solver on an allocatable grid with a spatially varying conductivity field k(i,j) (harmonic
! means on the faces), Dirichlet boundaries held in a ghost layer, a heat source switched on
! for part of the time loop (an if on the step counter), a time step from the stability limit
! (maxval of k), and a misfit of sensor readings (gathered with an integer index array) against
! measurements. Reverse mode gives the misfit's gradient with respect to the whole conductivity
! field, forward mode a directional derivative.
! Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences,
! forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module heat2d_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, parameter :: nx = 8, ny = 7, nsteps = 40, nsens = 5
  integer :: sens_i(nsens) = [2, 4, 6, 7, 3], sens_j(nsens) = [2, 3, 5, 6, 6]
  real(8) :: meas(nsens) = [0.11d0, 0.32d0, 0.18d0, 0.09d0, 0.05d0]
contains
  real(8) function hmean(a, b)
    real(8), intent(in) :: a, b
    hmean = 2d0 * a * b / (a + b)
  end function

  real(8) function misfit(k)
    real(8), intent(in) :: k(nx, ny)
    real(8), allocatable :: u(:, :), un(:, :)
    real(8) :: dt, flux, src
    integer :: i, j, s
    allocate(u(0:nx + 1, 0:ny + 1), un(0:nx + 1, 0:ny + 1))
    u = 0d0
    u(0, :) = 0.2d0          ! a warm left wall
    dt = 0.2d0 / maxval(k)
    do s = 1, nsteps
      un = u
      do j = 1, ny
        do i = 1, nx
          flux = 0d0
          if (i > 1) then
            flux = flux + hmean(k(i, j), k(i - 1, j)) * (u(i - 1, j) - u(i, j))
          else
            flux = flux + k(i, j) * (u(i - 1, j) - u(i, j))
          end if
          if (i < nx) flux = flux + hmean(k(i, j), k(i + 1, j)) * (u(i + 1, j) - u(i, j))
          if (j > 1) flux = flux + hmean(k(i, j), k(i, j - 1)) * (u(i, j - 1) - u(i, j))
          if (j < ny) flux = flux + hmean(k(i, j), k(i, j + 1)) * (u(i, j + 1) - u(i, j))
          src = 0d0
          if (s <= nsteps / 2 .and. i == 5 .and. j == 4) src = 1d0
          un(i, j) = u(i, j) + dt * (flux + src)
        end do
      end do
      u = un
    end do
    misfit = 0d0
    do s = 1, nsens
      misfit = misfit + (u(sens_i(s), sens_j(s)) - meas(s))**2
    end do
    deallocate(u, un)
  end function

  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = misfit(reshape(x, [nx, ny]))
  end function
end module

program main
  use ferment_check
  use heat2d_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: k(nx, ny), dk(nx, ny), v(nx, ny), tangent
  integer :: i, j
  do j = 1, ny
    do i = 1, nx
      k(i, j) = 0.5d0 + 0.3d0 * sin(0.7d0 * i) * cos(0.4d0 * j)
      v(i, j) = cos(1.1d0 * i + 0.3d0 * j)
    end do
  end do
  k(3, 3) = 0.95d0   ! the largest entry, unique: maxval's derivative is defined
  dk = 0
  call f__enzyme_autodiff(misfit, enzyme_dup, k, dk)
  call check_gradient_fd('dJ/dk', oracle, reshape(k, [nx * ny]), reshape(dk, [nx * ny]), 1d-6, 1d-5)
  tangent = f__enzyme_fwddiff(misfit, enzyme_dup, k, v)
  call check_tangent_fd('forward', oracle, reshape(k, [nx * ny]), reshape(v, [nx * ny]), tangent, 1d-6, 1d-5, &
                        reshape(dk, [nx * ny]), 1d-10)
  call check_report()
end program
