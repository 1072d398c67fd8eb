! A Fortran caller of LAPACK: dgesv on a copy of the matrix (pivoting: the
! largest entries sit off the diagonal), dgetrs with 'T' on the factors, and
! dpotrf/dpotrs ('L') on a symmetric positive definite matrix built from the
! input; flang passes the character arguments' hidden lengths. The
! reverse-mode gradient of both arguments against central finite
! differences, forward mode against finite differences and the reverse
! gradient.
! LIBS: -lopenblas
include 'check.inc'

module m
  use iso_c_binding
  implicit none
  integer, parameter :: n = 4, r = 2
contains
  real(c_double) function loss(a, b) bind(C)
    real(c_double), intent(in) :: a(n, n), b(n, r)
    real(c_double) :: f(n, n), x(n, r), y(n, r), s(n, n)
    integer :: ipiv(n), info, i, j, k
    ! element loops (whole-array assignment calls flang's runtime at -O0)
    do j = 1, n
      do i = 1, n
        f(i, j) = a(i, j)
      end do
    end do
    do j = 1, r
      do i = 1, n
        x(i, j) = b(i, j)
        y(i, j) = b(i, j)
      end do
    end do
    call dgesv(n, r, f, n, ipiv, x, n, info)
    call dgetrs('T', n, r, f, n, ipiv, y, n, info)
    ! s = a^T a + 4 I, positive definite
    do j = 1, n
      do i = 1, n
        s(i, j) = 0
        do k = 1, n
          s(i, j) = s(i, j) + a(k, i) * a(k, j)
        end do
      end do
      s(j, j) = s(j, j) + 4d0
    end do
    call dpotrf('L', n, s, n, info)
    call dpotrs('L', n, r, s, n, y, n, info)
    loss = 0
    do j = 1, r
      do i = 1, n
        loss = loss + x(i, j)**2 + 0.5d0 * y(i, j)**2
      end do
    end do
    do j = 1, n
      do i = 1, n
        loss = loss + f(i, j)**2
      end do
    end do
  end function

  ! the loss of the flat point [a, b] (the finite-difference checks of check.inc)
  real(8) function loss_flat(x)
    real(8), intent(in) :: x(:)
    loss_flat = loss(reshape(x(1:n * n), [n, n]), reshape(x(n * n + 1:), [n, r]))
  end function
end module

program p
  use iso_c_binding
  use m
  use ferment_check
  implicit none
  interface
    subroutine autodiff(fn, a, da, b, db) bind(C, name="__enzyme_autodiff")
      import
      type(c_funptr), value :: fn
      real(c_double) :: a(*), da(*), b(*), db(*)
    end subroutine
    real(c_double) function fwddiff(fn, a, ta, b, tb) bind(C, name="__enzyme_fwddiff")
      import
      type(c_funptr), value :: fn
      real(c_double) :: a(*), ta(*), b(*), tb(*)
    end function
  end interface
  real(c_double) :: a(n, n), b(n, r), da(n, n), db(n, r), h
  real(c_double) :: ta(n, n), tb(n, r), t
  integer :: i, j
  do j = 1, n
    do i = 1, n
      a(i, j) = 0.4d0 * sin(1.1d0 * i + 0.7d0 * j)
      if (mod(i + 2 * j, 4) == 1) a(i, j) = 2.5d0 + 0.3d0 * i - 0.2d0 * j
    end do
    do i = 1, r
      b(j, i) = cos(0.5d0 * j - 0.2d0 * i)
    end do
  end do
  da = 0
  db = 0
  call autodiff(c_funloc(loss), a, da, b, db)
  h = 1d-6
  call check_gradient_fd('loss', loss_flat, [a, b], [da, db], h, 1d-6)
  do j = 1, n
    do i = 1, n
      ta(i, j) = cos(0.6d0 * i - 0.3d0 * j)
    end do
    do i = 1, r
      tb(j, i) = sin(0.8d0 * j + 0.5d0 * i)
    end do
  end do
  t = fwddiff(c_funloc(loss), a, ta, b, tb)
  call check_tangent_fd('forward', loss_flat, [a, b], [ta, tb], t, h, 1d-6, [da, db], 1d-10)
  call check_report()
end program
