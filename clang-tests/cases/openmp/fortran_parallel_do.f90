! CFLAGS: -fopenmp
! flang's OpenMP: a parallel do (flang outlines it as `<f>..omp_par` and passes the captured
! variables in one struct) with a stencil, and a reduction(+), differentiated through bind(C)
! interfaces to __enzyme_autodiff. Checked against analytic gradients with 1, 2 and 4 threads.
module m
  use iso_c_binding
  implicit none
  integer(c_int), bind(C, name="enzyme_const") :: enzyme_const
  integer(c_int), bind(C, name="enzyme_dup") :: enzyme_dup
contains
  subroutine stencil(x, y, n) bind(C)
    integer(c_int), value :: n
    real(c_double) :: x(n), y(n)
    integer :: i
    !$omp parallel do
    do i = 2, n - 1
      y(i) = x(i-1) * x(i) + x(i+1)**2
    end do
    !$omp end parallel do
  end subroutine
  real(c_double) function energy(x, n) bind(C)
    integer(c_int), value :: n
    real(c_double), intent(in) :: x(n)
    integer :: i
    energy = 0
    !$omp parallel do reduction(+:energy)
    do i = 1, n
      energy = energy + sin(x(i)) * i
    end do
    !$omp end parallel do
  end function
end module
program p
  use iso_c_binding
  use omp_lib
  use m
  implicit none
  interface
    subroutine grad_stencil(fn, md, x, dx, md2, y, dy, mc, n) bind(C, name="__enzyme_autodiff")
      import
      type(c_funptr), value :: fn
      integer(c_int), value :: md, md2, mc, n
      real(c_double) :: x(*), dx(*), y(*), dy(*)
    end subroutine
    subroutine grad_energy(fn, md, x, dx, mc, n) bind(C, name="__enzyme_autodiff_e")
      import
      type(c_funptr), value :: fn
      integer(c_int), value :: md, mc, n
      real(c_double) :: x(*), dx(*)
    end subroutine
  end interface
  integer, parameter :: n = 23
  real(c_double) :: x(n), dx(n), y(n), dy(n), w
  integer :: i, k, t, threads(3) = [1, 2, 4]
  do t = 1, 3
    call omp_set_num_threads(threads(t))
    do i = 1, n
      x(i) = 0.1d0 * i - 1d0
    end do
    dx = 0
    dy = 1
    y = 0
    call grad_stencil(c_funloc(stencil), enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, n)
    do k = 1, n  ! d/dx_k sum_{i=2}^{n-1} (x_{i-1} x_i + x_{i+1}^2)
      w = 0
      if (k + 1 >= 2 .and. k + 1 <= n - 1) w = w + x(k + 1)
      if (k >= 2 .and. k <= n - 1) w = w + x(k - 1)
      if (k - 1 >= 2 .and. k - 1 <= n - 1) w = w + 2 * x(k)
      if (abs(dx(k) - w) > 1d-12) then
        print *, "stencil mismatch", threads(t), k, dx(k), w
        stop 1
      end if
    end do
    dx = 0
    call grad_energy(c_funloc(energy), enzyme_dup, x, dx, enzyme_const, n)
    do k = 1, n
      if (abs(dx(k) - cos(x(k)) * k) > 1d-12) then
        print *, "energy mismatch", threads(t), k, dx(k), cos(x(k)) * k
        stop 1
      end if
    end do
  end do
  print *, "ok"
end program
