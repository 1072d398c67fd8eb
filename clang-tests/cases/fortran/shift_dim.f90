! CSHIFT and EOSHIFT along DIM of real arrays of rank 2 and 3 (flang runtime _FortranACshift/
! _FortranAEoshift at -O0, inline code at -O1 and up): scalar and runtime shifts, a shift per
! vector (integer(4) and integer(8) arrays), EOSHIFT with an active scalar BOUNDARY, an active
! BOUNDARY array and none, and a real(4) array. The primal is checked against explicit loops;
! reverse mode against central finite differences of the loops, forward mode against finite
! differences and against the reverse gradient (dot-product test).
! RUN: flang
! LEVELS: 0 1 2 3
module shift_dim_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
contains
  real(8) function model(n, x, s)
    integer, intent(in) :: n, s
    real(8), intent(in) :: x(n)
    real(8) :: a(4, 2), c(2, 2, 2)
    integer(8) :: sv(2, 2)
    a = reshape(x, [4, 2])
    c = reshape(x, [2, 2, 2])
    sv = reshape([1_8, -1_8, 2_8, -3_8], [2, 2])
    model = sum(cshift(a, s, dim=1) * a**2) + sum(cshift(a, [1, -2], dim=1) * a) &
      + sum(cshift(c, sv, dim=3) * c) + sum(cshift(c, s, dim=2) * sin(c))
    model = model + sum(eoshift(a, -1, dim=2, boundary=x(1)) * a) &
      + sum(eoshift(a, [1, -1, 2, 0], dim=2, boundary=x(5:8)) * a**2) &
      + sum(eoshift(c, 1, dim=2) * c) + sum(eoshift(a, s, dim=1, boundary=x(2) * x(3)) * a)
  end function

  real(8) function model4(n, x, s)
    integer, intent(in) :: n, s
    real(8), intent(in) :: x(n)
    real(4) :: a(4, 2)
    a = real(reshape(x, [4, 2]), 4)
    model4 = sum(dble(cshift(a, s, dim=2) * a)) + sum(dble(eoshift(a, -1, dim=1, boundary=a(1, :))))
  end function

  pure integer function wrap(i, s, m)
    integer, intent(in) :: i, s, m
    wrap = 1 + mod(i - 1 + s + 100 * m, m)
  end function

  ! source(.., i + s, ..) or the boundary value bd outside
  pure real(8) function eo(v, i, s, m, bd)
    integer, intent(in) :: i, s, m
    real(8), intent(in) :: v(m), bd
    if (i + s >= 1 .and. i + s <= m) then
      eo = v(i + s)
    else
      eo = bd
    end if
  end function

  real(8) function reference(n, x, s)
    integer, intent(in) :: n, s
    real(8), intent(in) :: x(n)
    real(8) :: a(4, 2), c(2, 2, 2)
    integer :: i, j, k, sv(2, 2), sa(2), sb(4)
    a = reshape(x, [4, 2])
    c = reshape(x, [2, 2, 2])
    sv = reshape([1, -1, 2, -3], [2, 2])
    sa = [1, -2]
    sb = [1, -1, 2, 0]
    reference = 0
    do j = 1, 2
      do i = 1, 4
        reference = reference + a(wrap(i, s, 4), j) * a(i, j)**2 + a(wrap(i, sa(j), 4), j) * a(i, j) &
          + eo(a(i, :), j, -1, 2, x(1)) * a(i, j) + eo(a(i, :), j, sb(i), 2, x(4 + i)) * a(i, j)**2 &
          + eo(a(:, j), i, s, 4, x(2) * x(3)) * a(i, j)
      end do
    end do
    do k = 1, 2
      do j = 1, 2
        do i = 1, 2
          reference = reference + c(i, j, wrap(k, sv(i, j), 2)) * c(i, j, k) &
            + c(i, wrap(j, s, 2), k) * sin(c(i, j, k)) + eo(c(i, :, k), j, 1, 2, 0d0) * c(i, j, k)
        end do
      end do
    end do
  end function

  real(8) function reference4(n, x, s)
    integer, intent(in) :: n, s
    real(8), intent(in) :: x(n)
    real(4) :: a(4, 2)
    integer :: i, j
    a = real(reshape(x, [4, 2]), 4)
    reference4 = 0
    do j = 1, 2
      do i = 1, 4
        reference4 = reference4 + dble(a(i, wrap(j, s, 2)) * a(i, j))
        if (i > 1) then
          reference4 = reference4 + dble(a(i - 1, j))
        else
          reference4 = reference4 + dble(a(1, j))
        end if
      end do
    end do
  end function
end module

program main
  use shift_dim_mod
  implicit none
  integer, parameter :: n = 8
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n) = [0.45d0, -1.1d0, 0.7d0, 1.9d0, -0.4d0, 1.2d0, 0.3d0, -0.8d0]
  real(8) :: v(n) = [1d0, -2d0, 0.5d0, 0.25d0, 3d0, -1d0, 0.75d0, 2d0]
  real(8) :: dx(n), e(n), h, fd, tangent, tol
  integer :: i, s, failures
  failures = 0
  do s = -5, 5, 2
    h = 1d-6
    tol = 1d-6
    if (abs(model(n, x, s) - reference(n, x, s)) > 1d-12 * max(1d0, abs(reference(n, x, s)))) then
      print *, 'mismatch: primal vs loops, s =', s, model(n, x, s), reference(n, x, s)
      failures = failures + 1
    end if
    dx = 0
    call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx, enzyme_const, s)
    do i = 1, n
      e = 0
      e(i) = h
      fd = (reference(n, x + e, s) - reference(n, x - e, s)) / (2 * h)
      if (abs(fd - dx(i)) > tol * max(1d0, abs(fd))) then
        print *, 'mismatch: reverse vs finite differences, s =', s, i, dx(i), fd
        failures = failures + 1
      end if
    end do
    tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v, enzyme_const, s)
    fd = (reference(n, x + h * v, s) - reference(n, x - h * v, s)) / (2 * h)
    if (abs(tangent - fd) > tol * max(1d0, abs(fd))) then
      print *, 'mismatch: forward vs finite differences, s =', s, tangent, fd
      failures = failures + 1
    end if
    if (abs(tangent - dot_product(dx, v)) > 1d-10 * max(1d0, abs(fd))) then
      print *, 'mismatch: forward vs reverse, s =', s, tangent, dot_product(dx, v)
      failures = failures + 1
    end if
    ! real(4): a bilinear and a linear form (exact central differences up to rounding)
    h = 1d-2
    tol = 1d-4
    if (abs(model4(n, x, s) - reference4(n, x, s)) > 1d-5 * max(1d0, abs(reference4(n, x, s)))) then
      print *, 'mismatch: real(4) primal vs loops, s =', s, model4(n, x, s), reference4(n, x, s)
      failures = failures + 1
    end if
    dx = 0
    call f__enzyme_autodiff(model4, enzyme_const, n, enzyme_dup, x, dx, enzyme_const, s)
    do i = 1, n
      e = 0
      e(i) = h
      fd = (reference4(n, x + e, s) - reference4(n, x - e, s)) / (2 * h)
      if (abs(fd - dx(i)) > tol * max(1d0, abs(fd))) then
        print *, 'mismatch: real(4) reverse vs finite differences, s =', s, i, dx(i), fd
        failures = failures + 1
      end if
    end do
    tangent = f__enzyme_fwddiff(model4, enzyme_const, n, enzyme_dup, x, v, enzyme_const, s)
    if (abs(tangent - dot_product(dx, v)) > 1d-5 * max(1d0, abs(tangent))) then
      print *, 'mismatch: real(4) forward vs reverse, s =', s, tangent, dot_product(dx, v)
      failures = failures + 1
    end if
  end do
  if (failures /= 0) stop 1
  print *, 'all checks passed'
end program
