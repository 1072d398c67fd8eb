! ALLOCATE with SOURCE= and MOLD= of real(8) allocatable arrays inside the differentiated function:
! `allocate(b, source=a)` (flang: _FortranAAllocatableSetBounds from the source's bounds, then
! _FortranAAllocatableAllocateSource) and `allocate(c, mold=a)` (_FortranAAllocatableApplyMold,
! then _FortranAAllocatableAllocate), of rank 1 and 2. Refused until session 39 ("cannot
! differentiate call to '_FortranAAllocatableAllocateSource'"); now the ALLOCATE helper then the
! assignment helper, and the mold's element length, type code, rank and bounds copied.
! Reverse mode and forward mode against central differences, forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'
module source_mold_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
contains
  real(8) function f(z)
    real(8), intent(in) :: z(6)
    real(8), allocatable :: a(:), b(:), c(:), m(:, :), q(:, :), r(:, :)
    integer :: i
    allocate(a(4))
    a = z(1:4) * z(2:5)
    allocate(b, source=a)
    allocate(c, mold=a)
    c = 2 * b + z(6)
    b(2) = b(2) * z(1)
    allocate(m(2, 3))
    do i = 1, 3
      m(1, i) = sin(z(i))
      m(2, i) = z(i + 3)**2
    end do
    allocate(q, source=m)
    allocate(r, mold=q)
    r = q * m
    f = sum(b * c) + a(1) + sum(r) + q(2, 3) * c(4)
  end function
  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = f(z)
  end function
end module
program main
  use ferment_check
  use source_mold_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: z(6) = [0.5d0, -1.2d0, 0.8d0, 1.1d0, 0.3d0, -0.7d0], dz(6), t
  real(8) :: v(6) = [1d0, 2d0, 3d0, -1d0, 0.5d0, -2d0]
  dz = 0
  call f__enzyme_autodiff(f, enzyme_dup, z, dz)
  call check_gradient_fd('gradient', oracle, z, dz, 1d-6, 1d-6)
  t = f__enzyme_fwddiff(f, enzyme_dup, z, v)
  call check_tangent_fd('tangent', oracle, z, v, t, 1d-6, 1d-6, dz, 1d-10)
  call check_report()
end program
