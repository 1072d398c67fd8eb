! Single precision from a Fortran caller (the other Fortran cases are real(8)): sgemm ('N','T'),
! ssyrk, spotrf/spotrs ('U'), strsm ('L','U','T','N'), sgesv (pivoting), sgemv ('T'), saxpy
! (stride 4), sscal and sdot on explicit-shape real(4) arrays (3 x 5 and 3 x 3 blocks of arrays
! with leading dimension 4). The real(4) reverse gradient is checked against central finite
! differences of the same function written with the real(8) routines (an oracle without float
! rounding), the real(4) forward derivative against those differences and the reverse gradient.
! LIBS: -lopenblas
include 'check.inc'

module m
  use iso_c_binding
  implicit none
  integer, parameter :: ld = 4, n = 3, k = 5, r = 2
contains
  real(c_float) function loss_s(a, b) bind(C)
    real(c_float), intent(in) :: a(ld, k), b(ld, k)
    real(c_float) :: c(ld, n), s(ld, n), g(ld, n), x(ld, r), z(ld, r), y(k)
    real(c_float), external :: sdot
    integer :: ipiv(n), info, i, j
    ! element loops (whole-array assignment calls flang's runtime at -O0)
    do j = 1, n
      do i = 1, ld
        c(i, j) = 0.2 * a(i, j)
        s(i, j) = 0
      end do
      s(j, j) = 3
    end do
    call sgemm('N', 'T', n, n, k, 0.7, a, ld, b, ld, 0.5, c, ld)  ! c = 0.7 a b^T + 0.5 c
    call ssyrk('U', 'N', n, k, 0.5, a, ld, 1.0, s, ld)            ! s = 0.5 a a^T + 3 I
    call spotrf('U', n, s, ld, info)
    do j = 1, r
      do i = 1, ld
        x(i, j) = c(i, j)
        z(i, j) = b(i, j + 2)
      end do
    end do
    call spotrs('U', n, r, s, ld, x, ld, info)
    call strsm('L', 'U', 'T', 'N', n, r, 0.8, s, ld, x, ld)
    do j = 1, n
      do i = 1, ld
        g(i, j) = c(i, j)
      end do
      g(mod(j, n) + 1, j) = g(mod(j, n) + 1, j) + 4   ! pivots off the diagonal
    end do
    call sgesv(n, r, g, ld, ipiv, z, ld, info)
    call sgemv('T', n, k, 1.0, a, ld, x, 1, 0.0, y, 1)
    call saxpy(k, 0.3, b, ld, y, 1)
    call sscal(n, 1.1, z(1, 2), 1)
    loss_s = sdot(k, y, 1, y, 1)
    do j = 1, r
      do i = 1, n
        loss_s = loss_s + x(i, j)**2 + z(i, j)**2
      end do
    end do
    do j = 1, n
      do i = 1, n
        loss_s = loss_s + 0.5 * s(i, j)**2 + 0.1 * g(i, j)**2
      end do
    end do
  end function

  ! the same function in double precision: the finite-difference oracle
  real(8) function loss_d(a, b)
    real(8), intent(in) :: a(ld, k), b(ld, k)
    real(8) :: c(ld, n), s(ld, n), g(ld, n), x(ld, r), z(ld, r), y(k)
    real(8), external :: ddot
    integer :: ipiv(n), info, i, j
    do j = 1, n
      do i = 1, ld
        c(i, j) = 0.2d0 * a(i, j)
        s(i, j) = 0
      end do
      s(j, j) = 3
    end do
    call dgemm('N', 'T', n, n, k, 0.7d0, a, ld, b, ld, 0.5d0, c, ld)
    call dsyrk('U', 'N', n, k, 0.5d0, a, ld, 1d0, s, ld)
    call dpotrf('U', n, s, ld, info)
    do j = 1, r
      do i = 1, ld
        x(i, j) = c(i, j)
        z(i, j) = b(i, j + 2)
      end do
    end do
    call dpotrs('U', n, r, s, ld, x, ld, info)
    call dtrsm('L', 'U', 'T', 'N', n, r, 0.8d0, s, ld, x, ld)
    do j = 1, n
      do i = 1, ld
        g(i, j) = c(i, j)
      end do
      g(mod(j, n) + 1, j) = g(mod(j, n) + 1, j) + 4
    end do
    call dgesv(n, r, g, ld, ipiv, z, ld, info)
    call dgemv('T', n, k, 1d0, a, ld, x, 1, 0d0, y, 1)
    call daxpy(k, 0.3d0, b, ld, y, 1)
    call dscal(n, 1.1d0, z(1, 2), 1)
    loss_d = ddot(k, y, 1, y, 1)
    do j = 1, r
      do i = 1, n
        loss_d = loss_d + x(i, j)**2 + z(i, j)**2
      end do
    end do
    do j = 1, n
      do i = 1, n
        loss_d = loss_d + 0.5d0 * s(i, j)**2 + 0.1d0 * g(i, j)**2
      end do
    end do
  end function

  ! the double loss of the flat point [a, b] (the finite-difference checks of check.inc)
  real(8) function loss_flat(p)
    real(8), intent(in) :: p(:)
    loss_flat = loss_d(reshape(p(1:ld * k), [ld, k]), reshape(p(ld * k + 1:), [ld, k]))
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
      real(c_float) :: a(*), da(*), b(*), db(*)
    end subroutine
    real(c_float) function fwddiff(fn, a, ta, b, tb) bind(C, name="__enzyme_fwddiff")
      import
      type(c_funptr), value :: fn
      real(c_float) :: a(*), ta(*), b(*), tb(*)
    end function
  end interface
  real(c_float) :: a(ld, k), b(ld, k), da(ld, k), db(ld, k), ta(ld, k), tb(ld, k), t
  integer :: i, j
  do j = 1, k
    do i = 1, ld
      a(i, j) = real(0.5d0 * sin(0.3d0 * i + 0.7d0 * j), c_float)
      b(i, j) = real(0.5d0 * cos(0.5d0 * i - 0.2d0 * j), c_float)
      ta(i, j) = real(cos(0.9d0 * i - 0.4d0 * j), c_float)
      tb(i, j) = real(sin(0.6d0 * i + 0.3d0 * j), c_float)
    end do
  end do
  da = 0
  db = 0
  call autodiff(c_funloc(loss_s), a, da, b, db)
  call check_gradient_fd('loss', loss_flat, real([a, b], 8), real([da, db], 8), 1d-6, 2d-3)
  t = fwddiff(c_funloc(loss_s), a, ta, b, tb)
  call check_tangent_fd('forward', loss_flat, real([a, b], 8), real([ta, tb], 8), real(t, 8), &
    1d-6, 2d-3, real([da, db], 8), 2d-3)
  call check_report()
end program
