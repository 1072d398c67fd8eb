! Fortran: derivatives registered with Enzyme's Fortran spelling, a module variable of a derived
! type whose procedure-pointer components name the primal and its rules. flang mangles the
! variable f__enzyme_register_gradient_cube to _QMcube_rulesEf__enzyme_register_gradient_cube;
! ferment reads it like C's __enzyme_register_gradient_cube (also at -O2, where the primal would
! otherwise be inlined into its caller). The rules count their calls, so the test sees that they
! ran; the derivatives are checked against the analytic 3x^2 and central finite differences, in
! reverse mode (augmented forward + reverse, by-reference Fortran arguments) and forward mode.
! RUN: flang
include 'check.inc'

module cube_rules
  implicit none
  integer :: forward_calls = 0, reverse_calls = 0
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  type :: gradient_rule
    procedure(cube), pointer, nopass :: primal => cube
    procedure(cube_aug), pointer, nopass :: augmented => cube_aug
    procedure(cube_rev), pointer, nopass :: reverse => cube_rev
  end type
  type :: tangent_rule
    procedure(cube), pointer, nopass :: primal => cube
    procedure(cube_fwd), pointer, nopass :: forward => cube_fwd
  end type
  type(gradient_rule) :: f__enzyme_register_gradient_cube
  type(tangent_rule) :: f__enzyme_register_derivative_cube
contains
  subroutine cube(x, y)
    double precision, intent(in) :: x
    double precision, intent(out) :: y
    y = x * x * x
  end subroutine
  subroutine cube_aug(x, dx, y, dy)
    double precision, intent(in) :: x, dx
    double precision, intent(out) :: y
    double precision, intent(inout) :: dy
    call cube(x, y)
  end subroutine
  subroutine cube_rev(x, dx, y, dy)
    double precision, intent(in) :: x, y
    double precision, intent(inout) :: dx, dy
    reverse_calls = reverse_calls + 1
    dx = dx + 3 * x * x * dy
    dy = 0
  end subroutine
  subroutine cube_fwd(x, dx, y, dy)
    double precision, intent(in) :: x, dx
    double precision, intent(out) :: y, dy
    forward_calls = forward_calls + 1
    call cube(x, y)
    dy = 3 * x * x * dx
  end subroutine
  ! model(x) = cube(x) + sin(x)
  double precision function model(x)
    double precision, intent(in) :: x
    double precision :: c
    call cube(x, c)
    model = c + sin(x)
  end function
  subroutine model_sub(x, y)
    double precision, intent(in) :: x
    double precision, intent(out) :: y
    y = model(x)
  end subroutine

  ! the model of a point of one component, for ferment_check
  double precision function oracle(x)
    double precision, intent(in) :: x(:)
    oracle = model(x(1))
  end function
end module

program main
  use ferment_check
  use cube_rules
  implicit none
  external :: f__enzyme_autodiff, f__enzyme_fwddiff
  double precision :: xs(3) = [-1.3d0, 0.2d0, 1.7d0]
  double precision :: x, dx, y, dy, want
  integer :: i
  do i = 1, size(xs)
    x = xs(i)
    want = 3 * x * x + cos(x)
    call check_gradient_fd('analytic derivative', oracle, [x], [want], 1d-6, 1d-6)
    dx = 0
    call f__enzyme_autodiff(model, x, dx)
    call check_close('reverse vs analytic', dx, want, 1d-12)
    dx = 1
    y = 0
    dy = 0
    call f__enzyme_fwddiff(model_sub, enzyme_dup, x, dx, enzyme_dup, y, dy)
    call check_close('forward vs analytic', dy, want, 1d-12)
    call check_close('forward primal', y, model(x), 1d-12)
  end do
  if (reverse_calls /= 3 .or. forward_calls /= 3) then
    print *, 'the registered rules did not run:', reverse_calls, forward_calls
    stop 1
  end if
  call check_report()
end program
