! Fortran NORM2, MAXVAL and MINVAL of real arrays, which flang lowers at -O0 to its runtime
! routines _FortranANorm2_8/_FortranAMaxvalReal8/_FortranAMinvalReal4 on array descriptors:
! rank 1 and rank 2, a real(4) temporary. Reverse mode against the analytic gradient (the norm's
! x/|x|; MAXVAL's and MINVAL's derivative goes to the extreme element) and central finite
! differences at points away from ties; forward mode against finite differences and reverse.
! RUN: flang
module extremes_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
contains
  ! model = norm2(x) + maxval(m) * 2 + minval(real(x, 4)), m(i, j) = x(i) * j
  real(8) function model(n, x)
    integer, intent(in) :: n
    real(8), intent(in) :: x(n)
    real(8) :: m(n, 2)
    integer :: i
    do i = 1, n
      m(i, 1) = x(i)
      m(i, 2) = 2 * x(i)
    end do
    model = norm2(x) + maxval(m) * 2 + minval(real(x, 4))
  end function
end module

program main
  use extremes_mod
  implicit none
  integer, parameter :: n = 5
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: x(n) = [0.3d0, -1.1d0, 0.7d0, 1.9d0, -0.4d0], v(n) = [1d0, -2d0, 0.5d0, 0.25d0, 3d0]
  real(8) :: dx(n), want(n), e(n), h, fd, tangent, nrm
  integer :: i, failures
  failures = 0
  nrm = sqrt(sum(x**2))
  want = x / nrm
  want(4) = want(4) + 2 * 2   ! maxval(m) = m(4, 2) = 2 x(4)
  want(2) = want(2) + 1       ! minval = x(2), through real(4)
  h = 1d-4
  do i = 1, n
    e = 0
    e(i) = h
    fd = (model(n, x + e) - model(n, x - e)) / (2 * h)
    if (abs(fd - want(i)) > 1d-3 * max(1d0, abs(want(i)))) then
      print *, 'mismatch: oracle vs finite differences at', i, want(i), fd
      failures = failures + 1
    end if
  end do
  dx = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, x, dx)
  do i = 1, n
    if (abs(dx(i) - want(i)) > 1d-12 * max(1d0, abs(want(i)))) then
      print *, 'mismatch: reverse at', i, dx(i), want(i)
      failures = failures + 1
    end if
  end do
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, x, v)
  fd = (model(n, x + h * v) - model(n, x - h * v)) / (2 * h)
  if (abs(tangent - fd) > 1d-3 * max(1d0, abs(fd))) then
    print *, 'mismatch: forward vs finite differences', tangent, fd
    failures = failures + 1
  end if
  if (abs(tangent - dot_product(want, v)) > 1d-12 * max(1d0, abs(fd))) then
    print *, 'mismatch: forward vs reverse', tangent, dot_product(want, v)
    failures = failures + 1
  end if
  if (failures /= 0) stop 1
  print *, 'all checks passed'
end program
