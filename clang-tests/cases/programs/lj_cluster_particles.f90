! A small 2-D Lennard-Jones cluster as a Fortran user writes molecular dynamics: the atoms are an
! allocatable array of derived type (`type(atom), allocatable :: p(:)` with real(8) position,
! velocity and force components and a mass with a default value), allocated inside the
! differentiated function, forces from a smoothly cut-off pair potential in a double loop over
! `p(i)%x`, `p(j)%x`, a few velocity-Verlet steps (a type-bound-free subroutine taking the array
! intent(inout)), and a thermostat-like rescaling of the velocities by the kinetic energy's square
! root. The objective is the final total energy plus a restraint of the centre of mass. Reverse
! mode gives its gradient with respect to the initial positions and velocities, forward mode a
! directional derivative. Arrays of derived type allocated in the function were stopped at run
! time until session 39 (`fortran_derived::lower_derived_arrays`).
! Oracle: central differences, forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module lj_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, parameter :: natoms = 5, nsteps = 4
  real(8), parameter :: dt = 0.004d0, rcut = 2.5d0, sigma = 1d0, eps = 1d0
  type :: atom
    real(8) :: x(2), v(2), f(2)
    real(8) :: m = 1d0
  end type
contains
  ! Lennard-Jones pair energy shifted so that it and its slope vanish at rcut.
  pure real(8) function pair(r)
    real(8), intent(in) :: r
    real(8) :: s6, c6
    s6 = (sigma / r)**6
    c6 = (sigma / rcut)**6
    pair = 4 * eps * (s6 * s6 - s6) - 4 * eps * (c6 * c6 - c6) &
      + (r - rcut) * 24 * eps * (2 * c6 * c6 - c6) / rcut
  end function

  pure real(8) function dpair(r)
    real(8), intent(in) :: r
    real(8) :: s6, c6
    s6 = (sigma / r)**6
    c6 = (sigma / rcut)**6
    dpair = -24 * eps * (2 * s6 * s6 - s6) / r + 24 * eps * (2 * c6 * c6 - c6) / rcut
  end function

  subroutine forces(p, epot)
    type(atom), intent(inout) :: p(:)
    real(8), intent(out) :: epot
    integer :: i, j
    real(8) :: d(2), r, g
    epot = 0
    do i = 1, size(p)
      p(i)%f = 0
    end do
    do i = 1, size(p) - 1
      do j = i + 1, size(p)
        d = p(j)%x - p(i)%x
        r = sqrt(d(1)**2 + d(2)**2)
        if (r < rcut) then
          epot = epot + pair(r)
          g = dpair(r)
          p(i)%f = p(i)%f + g * d / r
          p(j)%f = p(j)%f - g * d / r
        end if
      end do
    end do
  end subroutine

  real(8) function kinetic(p)
    type(atom), intent(in) :: p(:)
    integer :: i
    kinetic = 0
    do i = 1, size(p)
      kinetic = kinetic + 0.5d0 * p(i)%m * (p(i)%v(1)**2 + p(i)%v(2)**2)
    end do
  end function

  ! z: positions (2 natoms) then velocities (2 natoms)
  real(8) function energy(z)
    real(8), intent(in) :: z(4 * natoms)
    type(atom), allocatable :: p(:)
    integer :: i, s
    real(8) :: epot, scale, com(2)
    allocate(p(natoms))
    do i = 1, natoms
      p(i)%x = z(2 * i - 1:2 * i)
      p(i)%v = z(2 * natoms + 2 * i - 1:2 * natoms + 2 * i)
      p(i)%m = 1d0 + 0.25d0 * mod(i, 2)
    end do
    call forces(p, epot)
    do s = 1, nsteps
      do i = 1, natoms
        p(i)%v = p(i)%v + 0.5d0 * dt * p(i)%f / p(i)%m
        p(i)%x = p(i)%x + dt * p(i)%v
      end do
      call forces(p, epot)
      do i = 1, natoms
        p(i)%v = p(i)%v + 0.5d0 * dt * p(i)%f / p(i)%m
      end do
      ! a gentle rescaling towards the kinetic energy 0.5 per atom
      scale = sqrt((1d0 + 0.5d0 * natoms) / (1d0 + kinetic(p)))
      do i = 1, natoms
        p(i)%v = p(i)%v * (0.9d0 + 0.1d0 * scale)
      end do
    end do
    com = 0
    do i = 1, natoms
      com = com + p(i)%m * p(i)%x
    end do
    energy = epot + kinetic(p) + 0.5d0 * sum(com**2)
  end function

  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = energy(z)
  end function
end module

program main
  use ferment_check
  use lj_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: z(4 * natoms), dz(4 * natoms), v(4 * natoms), t
  integer :: i
  ! a pentagon of side about 1.12 (near the pair minimum), slightly perturbed
  do i = 1, natoms
    z(2 * i - 1) = 0.95d0 * cos(2 * 3.14159265358979d0 * i / natoms) + 0.03d0 * sin(3d0 * i)
    z(2 * i) = 0.95d0 * sin(2 * 3.14159265358979d0 * i / natoms) + 0.02d0 * cos(5d0 * i)
    z(2 * natoms + 2 * i - 1) = 0.3d0 * sin(1.7d0 * i)
    z(2 * natoms + 2 * i) = 0.3d0 * cos(2.3d0 * i)
  end do
  do i = 1, 4 * natoms
    v(i) = cos(0.9d0 * i)
  end do
  dz = 0
  call f__enzyme_autodiff(energy, enzyme_dup, z, dz)
  call check_gradient_fd('gradient', oracle, z, dz, 1d-6, 1d-6)
  t = f__enzyme_fwddiff(energy, enzyme_dup, z, v)
  call check_tangent_fd('tangent', oracle, z, v, t, 1d-6, 1d-6, dz, 1d-10)
  call check_report()
end program
