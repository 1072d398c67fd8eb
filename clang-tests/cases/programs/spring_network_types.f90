! A spring-network (mass-spring cloth) energy as a Fortran user writes it: an array of derived
! type `spring` (integer end points, stiffness, rest length) built in a module, node positions
! in a 2-D array x(2, n) (coordinates in the fast index), per-spring energies from an elemental-
! style pure function of the extension with an OPTIONAL nonlinearity parameter, a penalty for
! nodes below the floor through MERGE, gravity, and a few damped relaxation steps that move the
! free nodes along the (hand-written) force in an intent(inout) array; the fixed nodes are masked
! with a LOGICAL array. The objective is the final total energy. Reverse mode gives its gradient
! with respect to the initial positions, forward mode a directional derivative.
! Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
! forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module springs_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, parameter :: nside = 4, n = nside * nside, nrelax = 3
  type :: spring
    integer :: a, b
    real(8) :: k, rest
  end type
  type(spring), allocatable :: net(:)
  logical :: pinned(n)
  real(8), parameter :: gmass = 0.3d0, floor_k = 50d0, step = 0.01d0
contains
  subroutine build()
    integer :: i, j, m, node
    type(spring) :: tmp(4 * n)
    m = 0
    do j = 1, nside
      do i = 1, nside
        node = i + (j - 1) * nside
        if (i < nside) then
          m = m + 1
          tmp(m) = spring(node, node + 1, 10d0 + i, 0.25d0)
        end if
        if (j < nside) then
          m = m + 1
          tmp(m) = spring(node, node + nside, 12d0 - j, 0.25d0)
        end if
        if (i < nside .and. j < nside) then
          m = m + 1
          tmp(m) = spring(node, node + nside + 1, 4d0, 0.25d0 * sqrt(2d0))
        end if
      end do
    end do
    net = tmp(1:m)
    pinned = .false.
    pinned(n - nside + 1) = .true.
    pinned(n) = .true.
  end subroutine

  pure real(8) function spring_energy(stretch, k, cubic)
    real(8), intent(in) :: stretch, k
    real(8), intent(in), optional :: cubic
    spring_energy = 0.5d0 * k * stretch**2
    if (present(cubic)) spring_energy = spring_energy + cubic * k * stretch**4
  end function

  real(8) function total_energy(x)
    real(8), intent(in) :: x(2, n)
    total_energy = energy_and_force(x)
  end function

  real(8) function energy_and_force(x, f)
    real(8), intent(in) :: x(2, n)
    real(8), intent(out), optional :: f(2, n)
    real(8) :: d(2), len, ext
    integer :: s
    energy_and_force = 0
    if (present(f)) f = 0
    do s = 1, size(net)
      d = x(:, net(s)%b) - x(:, net(s)%a)
      len = sqrt(sum(d**2))
      ext = len - net(s)%rest
      energy_and_force = energy_and_force + spring_energy(ext, net(s)%k, cubic=0.5d0)
      if (present(f)) then
        ! -dE/dx of the spring, on both ends
        f(:, net(s)%a) = f(:, net(s)%a) + net(s)%k * (ext + 2d0 * ext**3) * d / len
        f(:, net(s)%b) = f(:, net(s)%b) - net(s)%k * (ext + 2d0 * ext**3) * d / len
      end if
    end do
    energy_and_force = energy_and_force + gmass * sum(x(2, :)) &
      + 0.5d0 * floor_k * sum(merge(x(2, :)**2, 0d0, x(2, :) < 0d0))
    if (present(f)) then
      f(2, :) = f(2, :) - gmass - floor_k * merge(x(2, :), 0d0, x(2, :) < 0d0)
    end if
  end function

  subroutine relax(x)
    real(8), intent(inout) :: x(2, n)
    real(8) :: f(2, n), e
    integer :: it, i
    do it = 1, nrelax
      e = energy_and_force(x, f)
      do i = 1, n
        if (.not. pinned(i)) x(:, i) = x(:, i) + step * f(:, i)
      end do
    end do
  end subroutine

  real(8) function relaxed_energy(x0)
    real(8), intent(in) :: x0(2, n)
    real(8) :: x(2, n)
    x = x0
    call relax(x)
    relaxed_energy = total_energy(x)
  end function

  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = relaxed_energy(reshape(z, [2, n]))
  end function
end module

program main
  use ferment_check
  use springs_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(2, n), dx(2, n), v(2, n), tangent
  integer :: i, j, node
  call build()
  do j = 1, nside
    do i = 1, nside
      node = i + (j - 1) * nside
      x(1, node) = 0.27d0 * (i - 1) + 0.02d0 * sin(1.7d0 * node)
      x(2, node) = 0.26d0 * (j - 1) - 0.05d0 + 0.03d0 * cos(2.3d0 * node)
      v(1, node) = sin(0.9d0 * node)
      v(2, node) = cos(0.4d0 * node)
    end do
  end do
  dx = 0
  call f__enzyme_autodiff(relaxed_energy, enzyme_dup, x, dx)
  call check_gradient_fd('gradient', oracle, reshape(x, [2 * n]), reshape(dx, [2 * n]), 1d-6, 1d-6)
  tangent = f__enzyme_fwddiff(relaxed_energy, enzyme_dup, x, v)
  call check_tangent_fd('tangent', oracle, reshape(x, [2 * n]), reshape(v, [2 * n]), tangent, &
    1d-6, 1d-6, reshape(dx, [2 * n]), 1d-10)
  call check_report()
end program
