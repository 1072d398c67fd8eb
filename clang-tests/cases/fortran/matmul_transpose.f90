! Fortran MATMUL and TRANSPOSE of real arrays, which flang lowers at -O0 to its runtime routines
! _FortranAMatmulReal8Real8/_FortranAMatmulReal4Real4 and _FortranATranspose on array descriptors
! (at -O2 it inlines loops): matrix times matrix, matrix times vector, vector times matrix, a
! transposed temporary, a strided section, a real(4) product; scalars assigned to whole arrays
! (flang's _FortranAAssign with a rank-0 right side at -O0). Reverse mode (against the analytic
! gradient and central finite differences), forward mode along a direction (against finite
! differences and the reverse gradient).
! RUN: flang
include 'check.inc'

module matmul_mod
  implicit none
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
contains
  ! model = sum((A A^T v)**2) + dot(u, matmul(u, A)) + sum(matmul(A(1:n:2, :), u)) + sum(real(A,4) x real(A,4))
  real(8) function model(n, a, u)
    integer, intent(in) :: n
    real(8), intent(in) :: a(n, n), u(n)
    real(8) :: b(n, n), v(n), w(n)
    real(4) :: s(n, n)
    integer :: twos(n)
    twos = 2  ! a scalar broadcast of integers (v = 1 below: of reals)
    v = 1
    b = matmul(a, transpose(a))
    w = matmul(b, v)
    s = matmul(real(a, 4), real(a, 4))
    model = sum(w * w) * twos(n) / 2 + dot_product(u, matmul(u, a)) + sum(matmul(a(1:n:2, :), u)) + sum(s)
  end function

  ! the model of A (n x n) and u (n) packed in one point [A(:), u], for ferment_check
  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    integer :: n
    n = nint((sqrt(4d0 * size(z) + 1) - 1) / 2)
    oracle = model(n, reshape(z(1:n * n), [n, n]), z(n * n + 1:))
  end function
end module

program main
  use ferment_check
  use matmul_mod
  implicit none
  integer, parameter :: n = 4
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: a(n, n), u(n), da(n, n), du(n), ga(n, n), gu(n)
  real(8) :: va(n, n), vu(n), tangent, c(n), w(n), r(n), colsum(n), z(n * n + n)
  integer :: i, j, k
  do j = 1, n
    do i = 1, n
      a(i, j) = 0.1d0 * i - 0.2d0 * j + 0.05d0 * i * j
      va(i, j) = sin(1d0 * i + 2d0 * j)
    end do
    u(j) = 0.3d0 * j - 0.5d0
    vu(j) = cos(1d0 * j)
  end do
  ! Analytic gradient. c = A^T 1 (column sums of A), w = A c = A A^T 1.
  ! d/dA sum(w^2) = 2 (w c^T + 1 (A^T w)^T); d/dA u^T A u = u u^T; d/dA sum(A(odd,:) u) = r u^T
  ! with r the indicator of odd rows; d/dA sum(A A) = 1 (A^T 1)^T... = colsum(A)-based terms:
  ! sum(A A) = sum_ij sum_k A_ik A_kj, d/dA_pq = sum_j A_qj + sum_i A_ip.
  do j = 1, n
    c(j) = sum(a(:, j))
  end do
  do i = 1, n
    w(i) = dot_product(a(i, :), c)
    colsum(i) = sum(a(i, :))  ! row sums
    r(i) = merge(1d0, 0d0, mod(i, 2) == 1)
  end do
  do j = 1, n
    do i = 1, n
      ga(i, j) = 2 * (w(i) * c(j) + sum(a(:, j) * w)) + u(i) * u(j) + r(i) * u(j) + colsum(j) + c(i)
    end do
  end do
  do k = 1, n
    gu(k) = dot_product(a(k, :), u) + dot_product(u, a(:, k)) + sum(a(1:n:2, k))
  end do
  z = [reshape(a, [n * n]), u]
  call check_gradient_fd('analytic gradient', oracle, z, [reshape(ga, [n * n]), gu], 1d-3, 1d-3)
  da = 0
  du = 0
  call f__enzyme_autodiff(model, enzyme_const, n, enzyme_dup, a, da, enzyme_dup, u, du)
  ! the real(4) product carries single-precision rounding
  call check_array('reverse in A vs analytic', reshape(da, [n * n]), reshape(ga, [n * n]), 1d-5)
  call check_array('reverse in u vs analytic', du, gu, 1d-12)
  tangent = f__enzyme_fwddiff(model, enzyme_const, n, enzyme_dup, a, va, enzyme_dup, u, vu)
  call check_tangent_fd('forward', oracle, z, [reshape(va, [n * n]), vu], tangent, 1d-3, 1d-3, &
    [reshape(da, [n * n]), du], 1d-6)
  call check_report()
end program
