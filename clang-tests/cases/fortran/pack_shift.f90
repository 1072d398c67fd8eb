! Fortran PACK and UNPACK (flang runtime _FortranAPack/_FortranAUnpack at every -O) and CSHIFT
! and EOSHIFT of a vector (_FortranACshiftVector/_FortranAEoshiftVector at -O0) of real data:
! PACK of a vector and of a matrix, with a scalar mask, with VECTOR; UNPACK with an array and a
! scalar FIELD; CSHIFT by positive, negative and large shifts; EOSHIFT with and without a
! BOUNDARY (an active one). Beside them the same intrinsics of integer data and SPREAD/RESHAPE
! of integers (runtime calls kept, without derivative) whose results index the real data.
! Reverse mode against central finite differences, forward mode against finite differences
! and against the reverse gradient (dot-product test).
! RUN: flang
include 'check.inc'

module pack_shift_mod
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
    real(8) :: a(n, 2), u(n), w(n), v0(n)
    integer :: iv(n), jv(n), km(2, n / 2), k
    logical :: m(n)
    v0 = [(0.1d0 * k, k = 1, n)]
    a(:, 1) = x
    a(:, 2) = x * x
    m = x > 0
    model = sum(pack(x, m) ** 2) + sum(sin(pack(a, a > 0.3d0))) + sum(pack(x, flag) * 0.5d0)
    w = pack(x * 3, m, x)                    ! with VECTOR: its tail fills the result
    model = model + sum(w * x)
    u = unpack(x(n:1:-1), m, x * x)          ! FIELD an array
    model = model + sum(u * cos(x))
    u = unpack(x, .not. m, 0.25d0)           ! FIELD a scalar
    model = model + sum(u * u)
    do k = 1, 5                              ! CSHIFT/EOSHIFT by turns into one array
      select case (k)
      case (1)
        u = cshift(x, 2)
      case (2)
        u = cshift(x, -1) * x
      case (3)
        u = cshift(x, 7 * n + 1) * v0
      case (4)
        u = eoshift(x, 1)
      case default
        u = eoshift(x, -2, x(3))
      end select
      model = model + sum(u * x)
    end do
    ! integer data: kept runtime calls whose results index real data
    iv = [(mod(3 * k, n) + 1, k = 1, n)]
    jv = cshift(iv, 1) + 0 * eoshift(iv, 2)
    km = reshape(iv, [2, n / 2])
    model = model + x(jv(1)) * x(km(2, 1)) + sum(x(pack(iv, m))) + x(maxval(spread(iv, 1, 2)))
    jv = unpack(iv, m, 1)
    model = model + sum(x(jv))
  end function
  ! the model at x alone (the other arguments from the module), for the checks
  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = model(size(x), x, flag_now)
  end function
end module

program main
  use ferment_check
  use pack_shift_mod
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
