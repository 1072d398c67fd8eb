! A Fortran caller of BLAS: dgemm ('N','T' character arguments, flang passes
! hidden lengths), dgemv and ddot on explicit-shape arrays; the reverse-mode
! gradient of both matrix arguments against central finite differences,
! forward mode against finite differences and the reverse gradient.
! LIBS: -lopenblas
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
end module

program p
  use iso_c_binding
  use m
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
  real(c_double) :: a(mm, kk), b(nn, kk), da(mm, kk), db(nn, kk), keep, fd, h
  real(c_double) :: ta(mm, kk), tb(nn, kk), t, dot
  integer :: i, j, bad
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
  bad = 0
  do j = 1, kk
    do i = 1, mm
      keep = a(i, j)
      a(i, j) = keep + h
      fd = loss(a, b)
      a(i, j) = keep - h
      fd = (fd - loss(a, b)) / (2 * h)
      a(i, j) = keep
      if (abs(da(i, j) - fd) > 1d-6 * (1 + abs(fd))) then
        print *, "mismatch da", i, j, da(i, j), fd
        bad = bad + 1
      end if
    end do
    do i = 1, nn
      keep = b(i, j)
      b(i, j) = keep + h
      fd = loss(a, b)
      b(i, j) = keep - h
      fd = (fd - loss(a, b)) / (2 * h)
      b(i, j) = keep
      if (abs(db(i, j) - fd) > 1d-6 * (1 + abs(fd))) then
        print *, "mismatch db", i, j, db(i, j), fd
        bad = bad + 1
      end if
    end do
  end do
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
  fd = (loss(a + h * ta, b + h * tb) - loss(a - h * ta, b - h * tb)) / (2 * h)
  dot = sum(da * ta) + sum(db * tb)
  if (abs(t - fd) > 1d-6 * (1 + abs(fd))) then
    print *, "mismatch forward", t, fd
    bad = bad + 1
  end if
  if (abs(t - dot) > 1d-10 * (1 + abs(dot))) then
    print *, "mismatch forward vs reverse", t, dot
    bad = bad + 1
  end if
  if (bad /= 0) stop 1
  print *, "ok"
end program
