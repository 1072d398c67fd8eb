! Derived-type dummies with intent(out): flang default-initializes them through its runtime
! (_FortranAInitialize) at -O0, for a type without and a type with default initialization.
! A leapfrog-like pendulum step called in a loop, the state passed through structure
! constructors and assignments. Reverse mode against central finite differences, forward mode
! against finite differences and the reverse gradient.
! RUN: flang
include 'check.inc'

module derived_intent_out_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  type :: state
    real(8) :: x, y
  end type
  type :: damped
    real(8) :: x, y
    real(8) :: damp = 0.99d0
  end type
contains
  subroutine step(p, q, dt)
    type(state), intent(in) :: p
    type(state), intent(out) :: q
    real(8), intent(in) :: dt
    q%x = p%x + dt * p%y
    q%y = p%y - dt * sin(q%x)
  end subroutine
  subroutine damp_step(p, q)
    type(damped), intent(in) :: p
    type(damped), intent(out) :: q
    q%x = p%x
    q%y = p%y * q%damp
  end subroutine
  real(8) function energy(n, x)
    integer, intent(in) :: n
    real(8), intent(in) :: x(2)
    type(state) :: a, b
    type(damped) :: c, d
    integer :: i
    a = state(x(1), x(2))
    do i = 1, n
      call step(a, b, 0.01d0)
      a = b
      c%x = a%x
      c%y = a%y
      call damp_step(c, d)
      a%y = d%y
    end do
    energy = 0.5d0 * a%y**2 - cos(a%x)
  end function

  ! the energy of 50 steps as a function of the point alone, for ferment_check
  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = energy(50, x)
  end function
end module

program main
  use ferment_check
  use derived_intent_out_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(2), dx(2), v(2), tangent
  x = [0.5d0, 0.2d0]
  v = [0.3d0, -1.1d0]
  dx = 0
  call f__enzyme_autodiff(energy, enzyme_const, 50, enzyme_dup, x, dx)
  call check_gradient_fd('reverse', oracle, x, dx, 1d-6, 1d-6)
  tangent = f__enzyme_fwddiff(energy, enzyme_const, 50, enzyme_dup, x, v)
  call check_tangent_fd('forward', oracle, x, v, tangent, 1d-6, 1d-6, dx, 1d-10)
  call check_report()
end program
