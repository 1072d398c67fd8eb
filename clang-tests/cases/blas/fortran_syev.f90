! A Fortran caller of LAPACK's symmetric eigen-decomposition: dsyev with a
! workspace query first (lwork = -1: nothing is computed, the derivative
! does nothing either), then with eigenvectors ('V', upper triangle) on a
! 5 x 5 matrix (leading dimension 6) built from the input, and eigenvalues
! only ('N', lower) on another. The loss reads the eigenvalues and products
! of entries within one eigenvector (invariant under the sign LAPACK picks).
! Distinct eigenvalues. The reverse-mode gradient against central finite
! differences, forward mode against finite differences and the reverse
! gradient; flang passes the character arguments' hidden lengths.
! LIBS: -lopenblas
include 'check.inc'

module m
  use iso_c_binding
  implicit none
  integer, parameter :: n = 5, ld = 6
contains
  real(c_double) function loss(a) bind(C)
    real(c_double), intent(in) :: a(n, n)
    real(c_double) :: s(ld, n), t(ld, n), w(n), v(n), q(1)
    real(c_double), allocatable :: work(:)
    integer :: info, lwork, i, j, k
    do j = 1, n
      do i = 1, ld
        s(i, j) = 0
        t(i, j) = 0
      end do
    end do
    ! s = (a + a^T) / 2 + diag(1, 2, ..), t = a^T a
    do j = 1, n
      do i = 1, n
        s(i, j) = 0.5d0 * (a(i, j) + a(j, i))
        t(i, j) = 0
      end do
      s(j, j) = s(j, j) + j
    end do
    do j = 1, n
      do i = 1, n
        do k = 1, n
          t(i, j) = t(i, j) + a(k, i) * a(k, j)
        end do
      end do
    end do
    call dsyev('V', 'U', n, s, ld, w, q, -1, info)
    lwork = int(q(1))
    allocate(work(lwork))
    call dsyev('V', 'U', n, s, ld, w, work, lwork, info)
    call dsyev('N', 'L', n, t, ld, v, work, lwork, info)
    deallocate(work)
    loss = 0
    do i = 1, n
      loss = loss + w(i) * i + 0.1d0 * v(i) ** 2
    end do
    do j = 1, n
      loss = loss + s(1, j) * s(2, j) * j + s(3, j) ** 2
    end do
  end function

  ! the loss of the flat point (the finite-difference checks of check.inc)
  real(8) function loss_flat(x)
    real(8), intent(in) :: x(:)
    loss_flat = loss(reshape(x, [n, n]))
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
  real(c_double) :: a(n, n), da(n, n), ta(n, n), h, t
  integer :: i, j
  do j = 1, n
    do i = 1, n
      a(i, j) = 0.3d0 * sin(1.3d0 * i - 0.6d0 * j)
    end do
  end do
  da = 0
  call autodiff(c_funloc(loss), a, da)
  h = 1d-6
  call check_gradient_fd('loss', loss_flat, [a], [da], h, 1d-6)
  do j = 1, n
    do i = 1, n
      ta(i, j) = cos(0.7d0 * i + 0.4d0 * j)
    end do
  end do
  t = fwddiff(c_funloc(loss), a, ta)
  call check_tangent_fd('forward', loss_flat, [a], [ta], t, h, 1d-6, [da], 1d-10)
  call check_report()
end program
