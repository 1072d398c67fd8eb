! Fortran: `call f__enzyme_function_like(f, m)` naming a function ferment has no rule for (the
! marker global enzyme_math_gamma_p) is a compile error at that call, not an ignored statement.
! RUN: flang
! EXPECT-ERROR: function_like_call_unknown.f90:25:3
! EXPECT-ERROR: declared function-like "gamma_p", but ferment has no derivative rule for "gamma_p"
module like_mod
  implicit none
  integer, bind(C, name="enzyme_math_gamma_p") :: enzyme_gamma_p
contains
  double precision function my_gamma_p(x)
    double precision, value :: x
    my_gamma_p = x * x
  end function
  double precision function model(x)
    double precision, intent(in) :: x
    model = my_gamma_p(x)
  end function
end module

program main
  use like_mod
  implicit none
  external :: f__enzyme_function_like, f__enzyme_autodiff
  double precision :: x, dx
  call f__enzyme_function_like(my_gamma_p, enzyme_gamma_p)
  x = 2
  dx = 0
  call f__enzyme_autodiff(model, x, dx)
  print *, dx
end program
