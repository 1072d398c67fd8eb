! A Fortran caller of the triangular and symmetric BLAS and the level 1
! routines blas/fortran_dgemm.f90 leaves out: dtrmv, dtrsv, dtrmm, dtrsm
! (left and right, transposed, unit diagonal), dsymv, dsymm, dsyrk, dsyr2k,
! dger, daxpy, dscal, dcopy, dnrm2, dasum, on explicit-shape arrays with a
! leading dimension larger than the rows (7 for 5 x 3), strides 2 and -1,
! alpha and beta from the input. The reverse-mode gradient against central
! finite differences, forward mode against finite differences and the
! reverse gradient; flang passes the character arguments' hidden lengths.
! LIBS: -lopenblas
include 'check.inc'

module m
  use iso_c_binding
  implicit none
  integer, parameter :: n = 5, k = 3, ld = 7, np = 50
  double precision, external :: dnrm2, dasum
contains
  real(c_double) function loss(p) bind(C)
    real(c_double), intent(in) :: p(np)
    real(c_double) :: t(ld, n), b(ld, k), c(ld, n), s(ld, n), x(10), y(10), al, be
    integer :: i, j
    do j = 1, n
      do i = 1, ld
        t(i, j) = 0
        c(i, j) = 0
        s(i, j) = 0
      end do
    end do
    do j = 1, n
      do i = 1, n
        t(i, j) = 0.3d0 * p(i + n * (j - 1))
        s(i, j) = p(mod(i * 3 + j * 7, np) + 1)
      end do
      t(j, j) = 2 + 0.1d0 * p(j)
    end do
    do j = 1, k
      do i = 1, ld
        b(i, j) = p(mod(i + 5 * j, np) + 1)
      end do
    end do
    do i = 1, 10
      x(i) = p(30 + i)
      y(i) = 0.5d0 * p(40 + i)
    end do
    al = 0.5d0 + p(26)
    be = 0.3d0 - p(27)
    call dtrmv('L', 'T', 'N', n, t, ld, x, 2)
    call dtrsv('U', 'N', 'U', n, t, ld, x, 2)
    call dtrsv('L', 'N', 'N', n, t, ld, y, -1)
    call dtrmm('L', 'U', 'N', 'N', n, k, al, t, ld, b, ld)
    call dtrsm('R', 'L', 'T', 'N', n, k, be, t, ld, b, ld)
    call dsymv('L', n, al, s, ld, x, 2, be, y, 1)
    call dsymm('L', 'U', n, k, be, s, ld, b, ld, al, c, ld)
    call dsyrk('U', 'T', k, n, al, c, ld, be, s, ld)
    call dsyr2k('L', 'N', n, k, al, b, ld, c, ld, be, s, ld)
    call dger(n, k, al, x, 2, y, -1, c, ld)
    call daxpy(n, be, x, 2, y, 1)
    call dscal(n, al, y, 2)
    call dcopy(k, b, 1, x, 3)
    loss = dnrm2(n, y, 1) + 0.5d0 * dasum(n, x, 2)
    do j = 1, n
      do i = 1, ld
        loss = loss + 0.1d0 * (c(i, j)**2 + s(i, j)**2)
      end do
    end do
    do j = 1, k
      do i = 1, ld
        loss = loss + 0.1d0 * b(i, j)**2
      end do
    end do
  end function

  ! the loss of the flat point (the finite-difference checks of check.inc)
  real(8) function loss_flat(x)
    real(8), intent(in) :: x(:)
    loss_flat = loss(x)
  end function
end module

program p
  use iso_c_binding
  use m
  use ferment_check
  implicit none
  interface
    subroutine autodiff(fn, a, da) bind(C, name="__enzyme_autodiff")
      import
      type(c_funptr), value :: fn
      real(c_double) :: a(*), da(*)
    end subroutine
    real(c_double) function fwddiff(fn, a, ta) bind(C, name="__enzyme_fwddiff")
      import
      type(c_funptr), value :: fn
      real(c_double) :: a(*), ta(*)
    end function
  end interface
  real(c_double) :: q(np), dq(np), tq(np), h, t
  integer :: i
  do i = 1, np
    q(i) = 0.4d0 * sin(0.9d0 * i + 0.3d0)
    tq(i) = cos(0.5d0 * i - 0.2d0)
  end do
  dq = 0
  call autodiff(c_funloc(loss), q, dq)
  h = 1d-6
  call check_gradient_fd('loss', loss_flat, [q], [dq], h, 1d-6)
  t = fwddiff(c_funloc(loss), q, tq)
  call check_tangent_fd('forward', loss_flat, [q], [tq], t, h, 1d-6, [dq], 1d-10)
  call check_report()
end program
