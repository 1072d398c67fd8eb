! Derived-type dummies with intent(out): flang default-initializes them through its runtime
! (_FortranAInitialize) at -O0, for a type without and a type with default initialization.
! A leapfrog-like pendulum step called in a loop, the state passed through structure
! constructors and assignments. Reverse mode against central finite differences, forward mode
! against finite differences and the reverse gradient.
! RUN: flang
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
end module

program main
  use derived_intent_out_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(2), dx(2), v(2), e(2), h, fd, tangent
  integer :: i, failures
  failures = 0
  x = [0.5d0, 0.2d0]
  v = [0.3d0, -1.1d0]
  dx = 0
  call f__enzyme_autodiff(energy, enzyme_const, 50, enzyme_dup, x, dx)
  h = 1d-6
  do i = 1, 2
    e = 0
    e(i) = h
    fd = (energy(50, x + e) - energy(50, x - e)) / (2 * h)
    if (abs(fd - dx(i)) > 1d-6 * max(1d0, abs(fd))) then
      print *, 'mismatch: reverse vs finite differences at', i, dx(i), fd
      failures = failures + 1
    end if
  end do
  tangent = f__enzyme_fwddiff(energy, enzyme_const, 50, enzyme_dup, x, v)
  fd = (energy(50, x + h * v) - energy(50, x - h * v)) / (2 * h)
  if (abs(tangent - fd) > 1d-6 * max(1d0, abs(fd))) then
    print *, 'mismatch: forward vs finite differences', tangent, fd
    failures = failures + 1
  end if
  if (abs(tangent - dot_product(dx, v)) > 1d-10 * max(1d0, abs(fd))) then
    print *, 'mismatch: forward vs reverse', tangent, dot_product(dx, v)
    failures = failures + 1
  end if
  if (failures /= 0) stop 1
  print *, 'all checks passed'
end program
