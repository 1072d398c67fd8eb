! A Fortran caller of BLAS: dgemm ('N','T' character arguments, flang passes
! hidden lengths), dgemv and ddot on explicit-shape arrays; the reverse-mode
! gradient of both matrix arguments against central finite differences,
! forward mode against finite differences and the reverse gradient.
! LIBS: -lopenblas
include 'check.inc'

module m
  use iso_c_binding
  implicit none
  integer, parameter :: mm = 3, nn = 4, kk = 5
contains
  real(c_double) function loss(a, b) bind(C)
    real(c_double), intent(in) :: a(mm, kk), b(nn, kk)
    real(c_double) :: c(mm, nn), y(nn), x(mm)
    real(c_double), external :: ddot
    integer :: i, j
    x(1) = 1d0
    x(2) = -2d0
    x(3) = 0.5d0
    do i = 1, nn
      do j = 1, mm
        c(j, i) = 0.5d0 * a(j, i)
      end do
    end do
    ! c = 1.5 a b^T + 0.25 c
    call dgemm('N', 'T', mm, nn, kk, 1.5d0, a, mm, b, nn, 0.25d0, c, mm)
    ! y = c^T x
    call dgemv('T', mm, nn, 1d0, c, mm, x, 1, 0d0, y, 1)
    loss = ddot(nn, y, 1, y, 1)
    do i = 1, nn
      do j = 1, mm
        loss = loss + c(j, i)**2
      end do
    end do
  end function

  ! the loss of the flat point [a, b] (the finite-difference checks of check.inc)
  real(8) function loss_flat(x)
    real(8), intent(in) :: x(:)
    loss_flat = loss(reshape(x(1:mm * kk), [mm, kk]), reshape(x(mm * kk + 1:), [nn, kk]))
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
  real(c_double) :: a(mm, kk), b(nn, kk), da(mm, kk), db(nn, kk), h
  real(c_double) :: ta(mm, kk), tb(nn, kk), t
  integer :: i, j
  do j = 1, kk
    do i = 1, mm
      a(i, j) = sin(0.3d0 * i + 0.7d0 * j)
    end do
    do i = 1, nn
      b(i, j) = cos(0.5d0 * i - 0.2d0 * j)
    end do
  end do
  da = 0
  db = 0
  call autodiff(c_funloc(loss), a, da, b, db)
  h = 1d-5
  call check_gradient_fd('loss', loss_flat, [a, b], [da, db], h, 1d-6)
  ! forward mode along one direction: against FD and the reverse gradient
  do j = 1, kk
    do i = 1, mm
      ta(i, j) = cos(0.9d0 * i - 0.4d0 * j)
    end do
    do i = 1, nn
      tb(i, j) = sin(0.6d0 * i + 0.3d0 * j)
    end do
  end do
  t = fwddiff(c_funloc(loss), a, ta, b, tb)
  call check_tangent_fd('forward', loss_flat, [a, b], [ta, tb], t, h, 1d-6, [da, db], 1d-10)
  call check_report()
end program
