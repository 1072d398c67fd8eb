! An electrochemical impedance fit as a Fortran engineer writes it, in COMPLEX arithmetic: the
! impedance of a Randles-like circuit, a series resistance plus a charge-transfer resistance in
! parallel with a double-layer capacitance, plus a series inductance, Z(w) = Rs + i w L +
! Rct / (1 + i w Rct C), evaluated in an elemental function over a frequency sweep (array of
! COMPLEX(8) from CMPLX), compared with measured spectra through ABS, REAL, AIMAG and CONJG; the
! parameters enter through EXP of their logarithms (positivity), and the measured data are built
! with a perturbation. A second model adds a Warburg diffusion element in series with Rct
! (complex SQRT of i w, complex division in a loop, relative residuals). Reverse mode gives the
! gradient of the weighted misfit with respect to the log-parameters, forward mode a directional
! derivative, for both models.
! Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
! forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module impedance_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, parameter :: nf = 16
  real(8) :: omega(nf)
  complex(8) :: zmeas(nf)
contains
  pure elemental complex(8) function randles(w, rs, rct, cdl, ind)
    real(8), intent(in) :: w, rs, rct, cdl, ind
    complex(8), parameter :: j = (0d0, 1d0)
    randles = rs + j * w * ind + rct / (1d0 + j * w * rct * cdl)
  end function

  subroutine make_data()
    integer :: k
    do k = 1, nf
      omega(k) = 10d0**(-1d0 + 5d0 * (k - 1) / (nf - 1))
    end do
    zmeas = randles(omega, 12d0, 85d0, 2d-4, 1d-6)
    zmeas = zmeas * cmplx(1d0 + 0.01d0 * sin(omega), 0.02d0 * cos(3d0 * omega), kind=8)
  end subroutine

  real(8) function misfit(q)
    real(8), intent(in) :: q(4)
    complex(8) :: z(nf), r(nf)
    real(8) :: wgt(nf)
    z = randles(omega, exp(q(1)), exp(q(2)), exp(q(3)), exp(q(4)))
    r = z - zmeas
    ! modulus weighting, as in complex nonlinear least squares
    wgt = 1d0 / abs(zmeas)**2
    misfit = sum(wgt * real(r * conjg(r), 8)) + 0.1d0 * sum(aimag(z) / abs(z)) / nf
  end function

  ! Randles circuit with a Warburg element: Zf = Rct + sigma / sqrt(i w)
  real(8) function misfit_warburg(q)
    real(8), intent(in) :: q(5)
    complex(8), parameter :: j = (0d0, 1d0)
    complex(8) :: zf, z, rel
    integer :: k
    misfit_warburg = 0
    do k = 1, nf
      zf = exp(q(2)) + exp(q(5)) / sqrt(j * omega(k))
      z = exp(q(1)) + j * omega(k) * exp(q(4)) + zf / (1d0 + j * omega(k) * exp(q(3)) * zf)
      rel = (z - zmeas(k)) / zmeas(k)
      misfit_warburg = misfit_warburg + real(rel, 8)**2 + aimag(rel)**2
    end do
  end function

  real(8) function oracle(x)
    real(8), intent(in) :: x(:)
    oracle = misfit(x)
  end function

  real(8) function oracle_warburg(x)
    real(8), intent(in) :: x(:)
    oracle_warburg = misfit_warburg(x)
  end function
end module

program main
  use ferment_check
  use impedance_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: q(4), dq(4), v(4) = [0.5d0, -1d0, 0.25d0, 0.75d0], tangent
  real(8) :: qw(5), dqw(5), vw(5) = [0.5d0, -1d0, 0.25d0, 0.75d0, 0.4d0]
  call make_data()
  q = log([10d0, 100d0, 1.5d-4, 2d-6])
  dq = 0
  call f__enzyme_autodiff(misfit, enzyme_dup, q, dq)
  call check_gradient_fd('gradient', oracle, q, dq, 1d-6, 1d-6)
  tangent = f__enzyme_fwddiff(misfit, enzyme_dup, q, v)
  call check_tangent_fd('tangent', oracle, q, v, tangent, 1d-6, 1d-6, dq, 1d-10)
  qw = [q, log(30d0)]
  dqw = 0
  call f__enzyme_autodiff(misfit_warburg, enzyme_dup, qw, dqw)
  call check_gradient_fd('Warburg gradient', oracle_warburg, qw, dqw, 1d-6, 1d-6)
  tangent = f__enzyme_fwddiff(misfit_warburg, enzyme_dup, qw, vw)
  call check_tangent_fd('Warburg tangent', oracle_warburg, qw, vw, tangent, 1d-6, 1d-6, dqw, 1d-10)
  call check_report()
end program
