! A chemical-kinetics parameter fit as a Fortran user writes it: a consecutive reaction
! A -> B -> C with Arrhenius rate constants held in a derived type with type-bound procedures
! (rates, right-hand side), integrated over a temperature ramp by a routine whose method is a
! CHARACTER option ('euler', 'heun' or 'rk4', chosen with SELECT CASE) and whose step count is an
! OPTIONAL argument; the state is an intent(inout) array. The objective is a least-squares misfit
! of the intermediate concentration at sampling times against data. Reverse mode gives its
! gradient with respect to the log pre-exponential factors and the activation energies.
! Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
! forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module kinetics_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, bind(C, name="enzyme_const") :: enzyme_const
  real(8), parameter :: rgas = 8.314d-3
  integer, parameter :: nsamp = 4
  real(8) :: data_b(nsamp) = [0.21d0, 0.33d0, 0.36d0, 0.31d0]
  type :: mechanism
    real(8) :: lna(2), ea(2)
  contains
    procedure :: rates => mech_rates
    procedure :: rhs => mech_rhs
  end type
contains
  pure function mech_rates(self, temp) result(k)
    class(mechanism), intent(in) :: self
    real(8), intent(in) :: temp
    real(8) :: k(2)
    k = exp(self%lna - self%ea / (rgas * temp))
  end function

  pure function mech_rhs(self, c, temp) result(dc)
    class(mechanism), intent(in) :: self
    real(8), intent(in) :: c(3), temp
    real(8) :: dc(3), k(2)
    k = self%rates(temp)
    dc(1) = -k(1) * c(1)
    dc(2) = k(1) * c(1) - k(2) * c(2)
    dc(3) = k(2) * c(2)
  end function

  pure real(8) function ramp(t)
    real(8), intent(in) :: t
    ramp = 300d0 + 40d0 * t / (1d0 + t)
  end function

  subroutine integrate(m, c, t0, t1, method, nsteps)
    type(mechanism), intent(in) :: m
    real(8), intent(inout) :: c(3)
    real(8), intent(in) :: t0, t1
    character(*), intent(in) :: method
    integer, intent(in), optional :: nsteps
    real(8) :: dt, t, k1(3), k2(3), k3(3), k4(3)
    integer :: s, ns
    ns = 20
    if (present(nsteps)) ns = nsteps
    dt = (t1 - t0) / ns
    t = t0
    do s = 1, ns
      select case (method)
      case ('euler')
        c = c + dt * m%rhs(c, ramp(t))
      case ('heun')
        k1 = m%rhs(c, ramp(t))
        k2 = m%rhs(c + dt * k1, ramp(t + dt))
        c = c + 0.5d0 * dt * (k1 + k2)
      case default
        k1 = m%rhs(c, ramp(t))
        k2 = m%rhs(c + 0.5d0 * dt * k1, ramp(t + 0.5d0 * dt))
        k3 = m%rhs(c + 0.5d0 * dt * k2, ramp(t + 0.5d0 * dt))
        k4 = m%rhs(c + dt * k3, ramp(t + dt))
        c = c + dt / 6d0 * (k1 + 2 * k2 + 2 * k3 + k4)
      end select
      t = t + dt
    end do
  end subroutine

  real(8) function loss(p, imethod)
    real(8), intent(in) :: p(4)
    integer, intent(in) :: imethod
    type(mechanism) :: m
    real(8) :: c(3)
    integer :: j
    character(len=5), parameter :: names(3) = ['euler', 'heun ', 'rk4  ']
    m%lna = p(1:2)
    m%ea = p(3:4)
    c = [1d0, 0d0, 0d0]
    loss = 0
    do j = 1, nsamp
      if (imethod == 3) then
        call integrate(m, c, 0.5d0 * (j - 1), 0.5d0 * j, trim(names(imethod)))
      else
        call integrate(m, c, 0.5d0 * (j - 1), 0.5d0 * j, trim(names(imethod)), nsteps=10 * imethod)
      end if
      loss = loss + (c(2) - data_b(j))**2
    end do
  end function

  real(8) function oracle_euler(z)
    real(8), intent(in) :: z(:)
    oracle_euler = loss(z, 1)
  end function
  real(8) function oracle_heun(z)
    real(8), intent(in) :: z(:)
    oracle_heun = loss(z, 2)
  end function
  real(8) function oracle_rk4(z)
    real(8), intent(in) :: z(:)
    oracle_rk4 = loss(z, 3)
  end function
end module

program main
  use ferment_check
  use kinetics_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: p(4) = [9d0, 8d0, 25d0, 22d0], dp(4), v(4) = [0.3d0, -0.2d0, 0.5d0, 0.1d0], tangent
  integer :: im
  do im = 1, 3
    dp = 0
    call f__enzyme_autodiff(loss, enzyme_dup, p, dp, enzyme_const, im)
    tangent = f__enzyme_fwddiff(loss, enzyme_dup, p, v, enzyme_const, im)
    select case (im)
    case (1)
      call check_gradient_fd('euler gradient', oracle_euler, p, dp, 1d-6, 1d-6)
      call check_tangent_fd('euler tangent', oracle_euler, p, v, tangent, 1d-6, 1d-6, dp, 1d-10)
    case (2)
      call check_gradient_fd('heun gradient', oracle_heun, p, dp, 1d-6, 1d-6)
      call check_tangent_fd('heun tangent', oracle_heun, p, v, tangent, 1d-6, 1d-6, dp, 1d-10)
    case default
      call check_gradient_fd('rk4 gradient', oracle_rk4, p, dp, 1d-6, 1d-6)
      call check_tangent_fd('rk4 tangent', oracle_rk4, p, v, tangent, 1d-6, 1d-6, dp, 1d-10)
    end select
  end do
  call check_report()
end program
