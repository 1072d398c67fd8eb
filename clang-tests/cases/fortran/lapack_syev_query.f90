! A LAPACK workspace query (dsyev with lwork = -1) inside a differentiated function computes
! nothing to differentiate: a compile error at the call that says where to query instead (a
! query whose lwork is known only at run time gives NaN derivatives, never wrong ones).
! RUN: flang
! LIBS: -lopenblas
! EXPECT-ERROR: lapack_syev_query.f90:20:5
! EXPECT-ERROR: cannot differentiate call to 'dsyev_' with lwork = -1
! EXPECT-ERROR: query the workspace size outside the differentiated function
module lapack_syev_query_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  external :: dsyev
contains
  real(8) function model(x)
    real(8), intent(in) :: x(4)
    real(8) :: a(2, 2), w(2), query(1), work(16)
    integer :: info
    a = reshape(x, [2, 2])
    call dsyev('V', 'U', 2, a, 2, w, query, -1, info)
    call dsyev('V', 'U', 2, a, 2, w, work, int(query(1)), info)
    model = sum(w**2)
  end function
end module

program main
  use lapack_syev_query_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8) :: x(4) = [2d0, 0.3d0, 0.3d0, -1d0], dx(4)
  dx = 0
  call f__enzyme_autodiff(model, enzyme_dup, x, dx)
  print *, dx
end program
