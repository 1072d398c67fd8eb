! CSHIFT and EOSHIFT along DIM of real arrays of rank 2 and 3 (flang runtime _FortranACshift/
! _FortranAEoshift at -O0, inline code at -O1 and up): scalar and runtime shifts, a shift per
! vector (integer(4) and integer(8) arrays), EOSHIFT with an active scalar BOUNDARY, an active
! BOUNDARY array and none, and a real(4) array. The primal is checked against explicit loops;
! reverse mode against central finite differences of the loops, forward mode against finite
! differences and against the reverse gradient (dot-product test).
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module shift_dim_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  ! the shift the oracles below use
  integer :: shift_now
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

  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = reference(size(x), x, shift_now)
  end function

  real(8) function oracle4(x)
    real(8), intent(in) :: x(:)
    oracle4 = reference4(size(x), x, shift_now)
  end function
end module

program main
  use ferment_check
  use shift_dim_mod
  implicit none
  integer, parameter :: n = 8
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n) = [0.45d0, -1.1d0, 0.7d0, 1.9d0, -0.4d0, 1.2d0, 0.3d0, -0.8d0]
  real(8) :: v(n) = [1d0, -2d0, 0.5d0, 0.25d0, 3d0, -1d0, 0.75d0, 2d0]
  real(8) :: dx(n), tangent
  integer :: s
  do s = -5, 5, 2
    shift_now = s
    call check_close('primal vs loops', model(n, x, s), reference(n, x, s), 1d-12)
    dx = 0
    call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx, enzyme_const, s)
    call check_gradient_fd('reverse', oracle, x, dx, 1d-6, 1d-6)
    tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v, enzyme_const, s)
    call check_tangent_fd('forward', oracle, x, v, tangent, 1d-6, 1d-6, dx, 1d-10)
    ! real(4): a bilinear and a linear form (exact central differences up to rounding)
    call check_close('real(4) primal vs loops', model4(n, x, s), reference4(n, x, s), 1d-5)
    dx = 0
    call f__enzyme_autodiff(model4, enzyme_const, n, enzyme_dup, x, dx, enzyme_const, s)
    call check_gradient_fd('real(4) reverse', oracle4, x, dx, 1d-2, 1d-4)
    tangent = f__enzyme_fwddiff(model4, enzyme_const, n, enzyme_dup, x, v, enzyme_const, s)
    call check_close('real(4) forward vs reverse', tangent, dot_product(dx, v), 1d-5)
  end do
  call check_report()
end program
