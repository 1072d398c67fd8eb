! A Fortran 2003 object-oriented model, as climate-style codes are organised: a derived type
! `lorenz96` with allocatable state and forcing components and type-bound procedures
! (tendency, rk4 step), an extends'ed type adding a linear damping (an overriding tendency
! called through class(...) dispatch), a 4D-Var-like cost: background term plus observation
! misfits every few steps (an if with mod on the step counter), all inside a module function
! differentiated with respect to the initial state and the forcing field.
! Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences,
! forward vs reverse. Refused at every -O in session 37 (compile error at the ALLOCATE: flang's
! _FortranAAllocatableInitDerivedForAllocate, Allocate and DeallocatePolymorphic), differentiated
! since session 38 (`fortran_derived.rs`); cases/programs/lorenz96_oop_adjoint.f90 is the same
! program with a local type(damped96) variable.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module lorenz_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, parameter :: n = 10, nsteps = 30, nforce = n
  type :: lorenz96
    real(8), allocatable :: x(:), f(:)
    real(8) :: dt = 0.01d0
  contains
    procedure :: tendency => l96_tendency
    procedure :: step => l96_step
  end type
  type, extends(lorenz96) :: damped96
    real(8) :: gamma = 0.1d0
  contains
    procedure :: tendency => damped_tendency
  end type
contains
  subroutine l96_tendency(self, x, dx)
    class(lorenz96), intent(in) :: self
    real(8), intent(in) :: x(:)
    real(8), intent(out) :: dx(:)
    integer :: i, m
    m = size(x)
    do i = 1, m
      dx(i) = (x(modulo(i, m) + 1) - x(modulo(i - 3, m) + 1)) * x(modulo(i - 2, m) + 1) - x(i) + self%f(i)
    end do
  end subroutine

  subroutine damped_tendency(self, x, dx)
    class(damped96), intent(in) :: self
    real(8), intent(in) :: x(:)
    real(8), intent(out) :: dx(:)
    call l96_tendency(self, x, dx)
    dx = dx - self%gamma * x**3 / (1d0 + x**2)
  end subroutine

  subroutine l96_step(self)
    class(lorenz96), intent(inout) :: self
    real(8) :: k1(size(self%x)), k2(size(self%x)), k3(size(self%x)), k4(size(self%x))
    call self%tendency(self%x, k1)
    call self%tendency(self%x + 0.5d0 * self%dt * k1, k2)
    call self%tendency(self%x + 0.5d0 * self%dt * k2, k3)
    call self%tendency(self%x + self%dt * k3, k4)
    self%x = self%x + self%dt / 6d0 * (k1 + 2d0 * k2 + 2d0 * k3 + k4)
  end subroutine

  real(8) function cost(x0, forcing)
    real(8), intent(in) :: x0(n), forcing(nforce)
    class(lorenz96), allocatable :: model
    integer :: s, i
    allocate(damped96 :: model)
    allocate(model%x(n), model%f(n))
    model%x = x0
    model%f = forcing
    cost = 0.5d0 * sum((x0 - 1d0)**2)
    do s = 1, nsteps
      call model%step()
      if (mod(s, 10) == 0) then
        do i = 1, n, 2
          cost = cost + (model%x(i) - sin(0.3d0 * i + 0.1d0 * s))**2
        end do
      end if
    end do
  end function

  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = cost(z(1:n), z(n + 1:))
  end function
end module

program main
  use ferment_check
  use lorenz_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x0(n), dx0(n), f(n), df(n), vx(n), vf(n), tangent
  integer :: i
  do i = 1, n
    x0(i) = 1d0 + 0.5d0 * sin(0.9d0 * i)
    f(i) = 8d0 + 0.2d0 * cos(1.0d0 * i)
    vx(i) = cos(0.5d0 * i)
    vf(i) = 0.1d0 * sin(0.7d0 * i)
  end do
  dx0 = 0
  df = 0
  call f__enzyme_autodiff(cost, enzyme_dup, x0, dx0, enzyme_dup, f, df)
  call check_gradient_fd('dJ/d[x0,f]', oracle, [x0, f], [dx0, df], 1d-6, 1d-5)
  tangent = f__enzyme_fwddiff(cost, enzyme_dup, x0, vx, enzyme_dup, f, vf)
  call check_tangent_fd('forward', oracle, [x0, f], [vx, vf], tangent, 1d-6, 1d-5, [dx0, df], 1d-10)
  call check_report()
end program
