! Fortran arrays: an explicit-shape real(c_double) array argument duplicated through a bind(C)
! interface to __enzyme_autodiff (shadow array dx receives the gradient), the n argument marked
! enzyme_const through a bind(C) module variable. Checked against the analytic gradient.
module m
  use iso_c_binding
  implicit none
  integer(c_int), bind(C, name="enzyme_const") :: enzyme_const
contains
  real(c_double) function sumsq(x, n) bind(C)
    integer(c_int), value :: n
    real(c_double), intent(in) :: x(n)
    integer :: i
    sumsq = 0
    do i = 1, n
      sumsq = sumsq + x(i)**2 * i + sin(x(i))
    end do
  end function
end module
program p
  use iso_c_binding
  use m
  implicit none
  interface
    subroutine autodiff(fn, x, dx, mc, n) bind(C, name="__enzyme_autodiff")
      import
      type(c_funptr), value :: fn
      real(c_double) :: x(*), dx(*)
      integer(c_int), value :: mc, n
    end subroutine
  end interface
  real(c_double) :: x(4) = [0.5d0, -1d0, 2d0, 0.25d0], dx(4) = 0
  integer :: i
  call autodiff(c_funloc(sumsq), x, dx, enzyme_const, 4)
  do i = 1, 4
    if (abs(dx(i) - (2*x(i)*i + cos(x(i)))) > 1d-12) then
      print *, "mismatch", i, dx(i), 2*x(i)*i + cos(x(i))
      stop 1
    end if
  end do
  print *, "ok", dx
end program
