! Fortran MAXLOC/MINLOC/FINDLOC/COUNT/ANY (integer and logical results, without derivative, whose
! calls flang lowers at -O0 to _FortranAMaxlocReal8, _FortranAMinlocDim, _FortranACount...)
! used to index real arrays, and SUM/PRODUCT/MAXVAL/MINVAL with MASK= (_FortranASumReal8 & co.
! with a mask descriptor: logical(4), logical(1), a scalar mask), also along a dimension
! (_FortranASumDim & co.): the derivative goes through the masked-in elements only. Reverse mode against central finite differences, forward mode
! against finite differences and against the reverse gradient (dot-product test); the points
! keep away from ties and from the mask thresholds.
! RUN: flang
include 'check.inc'

module locations_masks_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  ! the arguments besides x, for oracle
  logical :: flag_now
contains
  real(8) function model(n, x, flag)
    integer, intent(in) :: n
    real(8), intent(in) :: x(n)
    logical, intent(in) :: flag
    real(8) :: a(n, 2)
    logical(1) :: small(n)
    logical :: small2(n, 2)
    integer :: k, kk(2), j(1), ij(2), m(1), iv(n), f(1)
    a(:, 1) = x
    a(:, 2) = x * x
    small = abs(x) < 1d0
    small2 = a > 0.3d0 .and. a < 1.5d0
    iv = [(mod(3 * k, 7), k = 1, n)]
    k = maxloc(x, 1)                    ! along DIM of a vector
    j = minloc(x)                       ! whole array
    kk = maxloc(a, dim=1)               ! along DIM of a matrix
    ij = minloc(a)                      ! a matrix's position
    m = maxloc(x, mask=x < 1d0)         ! with MASK
    f = findloc(iv, 6)                  ! of integer data
    model = x(k) * x(j(1)) + a(kk(2), 2) + a(ij(1), ij(2)) * x(m(1)) + x(f(1)) &
          + count(x > 0) * x(1) + merge(x(2), x(3), any(x > 1.5d0))
    model = model + sum(x, mask=x > 0) + maxval(x, mask=x < 0.5d0) &
          + product(x, mask=x > 0.3d0) + minval(a, mask=a > 0.1d0) &
          + 3 * sum(a, mask=a < 0) + sum(x * x, mask=small) + 2 * sum(x, mask=flag)
    ! along a dimension (_FortranASumDim, _FortranAMaxvalDim, _FortranAProductDim with a mask)
    model = model + sum(sum(a, dim=1, mask=a > 0.5d0)) + sum(maxval(a, dim=2, mask=a < 2d0)) &
          + sum(product(a, dim=1, mask=small2)) + sum(minval(a, dim=2, mask=flag))
    ! NORM2 along a dimension (_FortranANorm2Dim at every -O)
    model = model + sum(norm2(a, dim=1)) + sum(norm2(a, dim=2) * x)
  end function
  ! the model at x alone (the other arguments from the module), for the checks
  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = model(size(x), x, flag_now)
  end function
end module

program main
  use ferment_check
  use locations_masks_mod
  implicit none
  integer, parameter :: n = 6
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n) = [0.45d0, -1.1d0, 0.7d0, 1.9d0, -0.4d0, 1.2d0]
  real(8) :: v(n) = [1d0, -2d0, 0.5d0, 0.25d0, 3d0, -1d0]
  real(8) :: dx(n), tangent
  logical :: flag
  flag = .true.
  flag_now = flag
  dx = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx, enzyme_const, flag)
  call check_gradient_fd('reverse', oracle, x, dx, 1d-6, 1d-6)
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v, enzyme_const, flag)
  call check_tangent_fd('forward', oracle, x, v, tangent, 1d-6, 1d-6, dx, 1d-10)
  call check_report()
end program
