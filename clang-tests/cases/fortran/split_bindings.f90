! Split reverse mode from Fortran through explicit bind(C) interfaces to __enzyme_augmentfwd and
! __enzyme_reverse (Enzyme's split pattern with bindings): the augmented forward sweep returns
! the tape as a type(c_ptr), the reverse sweep takes it last. A real(c_double) function (the
! return's adjoint passed by value before the tape) and a subroutine with an array result (no
! return adjoint: the output's shadow carries the seed) that overwrites its input, whose old
! values the reverse sweep needs from the tape. Gradients against central finite differences.
! RUN: flang
include 'check.inc'

module split_bindings_mod
  use iso_c_binding
  implicit none
  integer(c_int), bind(C, name="enzyme_const") :: enzyme_const
  integer(c_int), bind(C, name="enzyme_dup") :: enzyme_dup
  ! the seed of the subroutine's result, for its oracle
  real(c_double) :: step_seed(4)
  interface
    function augment_model(f, c1, n, d1, x, dx) result(tape) bind(C, name="__enzyme_augmentfwd")
      import :: c_ptr, c_int, c_double, c_funptr
      type(c_funptr), value :: f
      integer(c_int), value :: c1, d1
      integer(c_int) :: n
      real(c_double) :: x(*), dx(*)
      type(c_ptr) :: tape
    end function
    subroutine reverse_model(f, c1, n, d1, x, dx, dret, tape) bind(C, name="__enzyme_reverse")
      import :: c_ptr, c_int, c_double, c_funptr
      type(c_funptr), value :: f
      integer(c_int), value :: c1, d1
      integer(c_int) :: n
      real(c_double) :: x(*), dx(*)
      real(c_double), value :: dret
      type(c_ptr), value :: tape
    end subroutine
    function augment_step(f, c1, n, d1, x, dx, d2, y, dy) result(tape) &
        bind(C, name="__enzyme_augmentfwd")
      import :: c_ptr, c_int, c_double, c_funptr
      type(c_funptr), value :: f
      integer(c_int), value :: c1, d1, d2
      integer(c_int) :: n
      real(c_double) :: x(*), dx(*), y(*), dy(*)
      type(c_ptr) :: tape
    end function
    subroutine reverse_step(f, c1, n, d1, x, dx, d2, y, dy, tape) bind(C, name="__enzyme_reverse")
      import :: c_ptr, c_int, c_double, c_funptr
      type(c_funptr), value :: f
      integer(c_int), value :: c1, d1, d2
      integer(c_int) :: n
      real(c_double) :: x(*), dx(*), y(*), dy(*)
      type(c_ptr), value :: tape
    end subroutine
  end interface
contains
  real(c_double) function model(n, x) bind(C)
    integer(c_int) :: n
    real(c_double) :: x(n)
    integer :: i
    model = 0
    do i = 1, n
      model = model + sin(x(i)) * x(i) + x(i) * x(mod(i, n) + 1)
    end do
  end function

  ! y(i) = exp(x(i)) * x(i+1) (cyclic); x is overwritten with its squares
  subroutine step(n, x, y) bind(C)
    integer(c_int) :: n
    real(c_double) :: x(n), y(n)
    integer :: i
    do i = 1, n
      y(i) = exp(0.5d0 * x(i)) * x(mod(i, n) + 1)
    end do
    x = x * x
  end subroutine

  ! the function's result times the return adjoint 2 the test passes, for ferment_check
  real(8) function oracle_model(x)
    real(8), intent(in) :: x(:)
    real(c_double) :: xc(size(x))
    integer(c_int) :: m
    m = size(x)
    xc = x
    oracle_model = 2 * model(m, xc)
  end function

  ! the subroutine's result y projected on the seed its shadow gets, for ferment_check
  real(8) function oracle_step(x)
    real(8), intent(in) :: x(:)
    real(c_double) :: xc(size(x)), y(size(x))
    integer(c_int) :: m
    m = size(x)
    xc = x
    call step(m, xc, y)
    oracle_step = dot_product(step_seed, y)
  end function
end module

program main
  use ferment_check
  use split_bindings_mod
  implicit none
  integer(c_int), parameter :: n = 4
  integer(c_int) :: nn = n
  real(c_double) :: x(n) = [0.3d0, -0.5d0, 0.7d0, 1.1d0], w(n) = [1d0, -2d0, 0.5d0, 3d0]
  real(c_double) :: dx(n), y(n), dy(n), xs(n)
  type(c_ptr) :: tape
  ! a function: the return's adjoint 2 before the tape
  dx = 0
  tape = augment_model(c_funloc(model), enzyme_const, nn, enzyme_dup, x, dx)
  call reverse_model(c_funloc(model), enzyme_const, nn, enzyme_dup, x, dx, 2d0, tape)
  call check_gradient_fd('function, reverse', oracle_model, x, dx, 1d-6, 1d-6)
  ! a subroutine: no return adjoint, the seed is the result's shadow dy = w
  xs = x
  dx = 0
  dy = 0
  tape = augment_step(c_funloc(step), enzyme_const, nn, enzyme_dup, xs, dx, enzyme_dup, y, dy)
  dy = w
  call reverse_step(c_funloc(step), enzyme_const, nn, enzyme_dup, xs, dx, enzyme_dup, y, dy, tape)
  ! x is overwritten with x*x: its adjoint w.r.t. the new value is 0 here (dx was 0 on entry)
  step_seed = w
  call check_gradient_fd('subroutine, reverse', oracle_step, x, dx, 1d-6, 1d-6)
  call check_report()
end program
