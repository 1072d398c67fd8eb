! A small neural-network classifier as a Fortran scientist writes it: a derived type `mlp` with
! ALLOCATABLE weight matrices and bias vectors and a type-bound `forward` (MATMUL over a batch
! held column-wise, TANH hidden layer, SPREAD of the bias over the batch), a numerically stable
! softmax cross-entropy (MAXVAL and SUM along DIM=1 of a 2-D array, EXP, LOG), integer class
! labels used as indices, and weight decay on the flattened parameters. The parameters arrive as
! one flat vector, unpacked with RESHAPE into the object inside the differentiated function.
! Reverse mode gives the gradient of the mean loss with respect to all weights, forward mode a
! directional derivative.
! Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
! forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module mlp_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, parameter :: nin = 3, nhid = 5, nout = 4, nbatch = 8
  integer, parameter :: nparam = nhid * nin + nhid + nout * nhid + nout
  real(8) :: xb(nin, nbatch)
  integer :: labels(nbatch)
  real(8), parameter :: decay = 1d-3
  type :: mlp
    real(8), allocatable :: w1(:, :), b1(:), w2(:, :), b2(:)
  contains
    procedure :: forward => mlp_forward
  end type
contains
  subroutine make_batch()
    integer :: i, j
    do j = 1, nbatch
      do i = 1, nin
        xb(i, j) = sin(0.7d0 * i + 1.3d0 * j)
      end do
      labels(j) = mod(3 * j, nout) + 1
    end do
  end subroutine

  function mlp_forward(self, x) result(logits)
    class(mlp), intent(in) :: self
    real(8), intent(in) :: x(:, :)
    real(8) :: logits(size(self%b2), size(x, 2))
    real(8) :: hid(size(self%b1), size(x, 2))
    hid = tanh(matmul(self%w1, x) + spread(self%b1, 2, size(x, 2)))
    logits = matmul(self%w2, hid) + spread(self%b2, 2, size(x, 2))
  end function

  real(8) function loss(theta)
    real(8), intent(in) :: theta(nparam)
    type(mlp) :: net
    real(8) :: z(nout, nbatch), zmax(nbatch), lse(nbatch)
    integer :: j, at
    allocate(net%w1(nhid, nin), net%b1(nhid), net%w2(nout, nhid), net%b2(nout))
    at = 0
    net%w1 = reshape(theta(at + 1:at + nhid * nin), [nhid, nin])
    at = at + nhid * nin
    net%b1 = theta(at + 1:at + nhid)
    at = at + nhid
    net%w2 = reshape(theta(at + 1:at + nout * nhid), [nout, nhid])
    at = at + nout * nhid
    net%b2 = theta(at + 1:at + nout)
    z = net%forward(xb)
    zmax = maxval(z, dim=1)
    lse = zmax + log(sum(exp(z - spread(zmax, 1, nout)), dim=1))
    loss = 0
    do j = 1, nbatch
      loss = loss + lse(j) - z(labels(j), j)
    end do
    loss = loss / nbatch + 0.5d0 * decay * sum(theta**2)
  end function

  real(8) function oracle(p)
    real(8), intent(in) :: p(:)
    oracle = loss(p)
  end function
end module

program main
  use ferment_check
  use mlp_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: theta(nparam), dtheta(nparam), v(nparam), tangent
  integer :: i
  call make_batch()
  do i = 1, nparam
    theta(i) = 0.6d0 * sin(1.1d0 * i + 0.3d0)
    v(i) = cos(0.37d0 * i)
  end do
  dtheta = 0
  call f__enzyme_autodiff(loss, enzyme_dup, theta, dtheta)
  call check_gradient_fd('gradient', oracle, theta, dtheta, 1d-6, 1d-6)
  tangent = f__enzyme_fwddiff(loss, enzyme_dup, theta, v)
  call check_tangent_fd('tangent', oracle, theta, v, tangent, 1d-6, 1d-6, dtheta, 1d-10)
  call check_report()
end program
