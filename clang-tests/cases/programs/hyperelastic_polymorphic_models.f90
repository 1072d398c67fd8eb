! A constitutive-model fit as a Fortran solid mechanicist writes it with Fortran 2003 objects: an
! abstract-like base type `material` with a type-bound strain energy and stress, extended by
! neo-Hookean, Mooney-Rivlin and Yeoh models (Mooney-Rivlin extending neo-Hookean); the model is picked by a CHARACTER option with SELECT CASE and created by
! `allocate(neo_hookean :: mat)` etc. of a `class(material), allocatable` inside the
! differentiated function (flang's runtime polymorphic ALLOCATE, with default component values),
! parameters are set through SELECT TYPE, and uniaxial stress at a list of stretches (an
! internal function using the type-bound stress) is compared with test data. Reverse mode gives
! the misfit's gradient with respect to the model parameters, forward mode a directional
! derivative, for each model.
! Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
! forward vs reverse.
! RUN: flang
! LEVELS: 0 1 2 3
include 'check.inc'

module materials_mod
  implicit none
  integer, bind(C, name="enzyme_dup") :: enzyme_dup
  integer, bind(C, name="enzyme_const") :: enzyme_const
  integer, parameter :: nobs = 6
  real(8) :: stretch(nobs) = [1.1d0, 1.25d0, 1.5d0, 1.8d0, 2.2d0, 2.6d0]
  real(8) :: measured(nobs) = [0.32d0, 0.71d0, 1.3d0, 1.95d0, 2.9d0, 4.1d0]
  integer :: which = 1
  type :: material
    real(8) :: bulk = 50d0
  contains
    procedure :: stress => material_stress
  end type
  type, extends(material) :: neo_hookean
    real(8) :: mu = 1d0
  contains
    procedure :: stress => neo_stress
  end type
  type, extends(neo_hookean) :: mooney_rivlin
    real(8) :: c01 = 0.1d0
  contains
    procedure :: stress => mr_stress
  end type
  type, extends(material) :: yeoh
    real(8) :: c1 = 0.5d0, c2 = 0d0, c3 = 0d0
  contains
    procedure :: stress => yeoh_stress
  end type
contains
  ! nominal uniaxial stress of an incompressible material at stretch lam
  real(8) function material_stress(self, lam)
    class(material), intent(in) :: self
    real(8), intent(in) :: lam
    material_stress = self%bulk * (lam - 1d0)
  end function

  real(8) function neo_stress(self, lam)
    class(neo_hookean), intent(in) :: self
    real(8), intent(in) :: lam
    neo_stress = self%mu * (lam - 1d0 / lam**2)
  end function

  real(8) function mr_stress(self, lam)
    class(mooney_rivlin), intent(in) :: self
    real(8), intent(in) :: lam
    mr_stress = 2d0 * (1d0 - 1d0 / lam**3) * (0.5d0 * self%mu * lam + self%c01)
  end function

  real(8) function yeoh_stress(self, lam)
    class(yeoh), intent(in) :: self
    real(8), intent(in) :: lam
    real(8) :: i1
    i1 = lam**2 + 2d0 / lam
    yeoh_stress = 2d0 * (lam - 1d0 / lam**2) * &
      (self%c1 + 2d0 * self%c2 * (i1 - 3d0) + 3d0 * self%c3 * (i1 - 3d0)**2)
  end function

  real(8) function misfit(p, model_id)
    real(8), intent(in) :: p(4)
    integer, intent(in) :: model_id
    character(len=16), parameter :: names(3) = [character(len=16) :: 'neo-hookean', 'mooney-rivlin', 'yeoh']
    misfit = fit(trim(names(model_id)))
  contains
    real(8) function fit(model)
      character(*), intent(in) :: model
      class(material), allocatable :: mat
      integer :: k
      select case (model)
      case ('neo-hookean')
        allocate(neo_hookean :: mat)
      case ('mooney-rivlin')
        allocate(mooney_rivlin :: mat)
      case default
        allocate(yeoh :: mat)
      end select
      select type (mat)
      type is (neo_hookean)
        mat%mu = p(1)
      type is (mooney_rivlin)
        mat%mu = p(1)
        mat%c01 = p(2)
      type is (yeoh)
        mat%c1 = 0.5d0 * p(1)
        mat%c2 = p(3) * p(2)
        mat%c3 = 0.01d0 * p(4)
      end select
      fit = 0
      do k = 1, nobs
        fit = fit + (mat%stress(stretch(k)) - measured(k))**2
      end do
      deallocate(mat)
    end function
  end function

  real(8) function oracle(z)
    real(8), intent(in) :: z(:)
    oracle = misfit(z, which)
  end function
end module

program main
  use ferment_check
  use materials_mod
  implicit none
  external :: f__enzyme_autodiff
  real(8), external :: f__enzyme_fwddiff
  real(8) :: p(4) = [0.9d0, 0.2d0, 0.15d0, 0.5d0], dp(4), v(4) = [1d0, 0.5d0, -0.3d0, 0.2d0], t
  do which = 1, 3
    dp = 0
    call f__enzyme_autodiff(misfit, enzyme_dup, p, dp, enzyme_const, which)
    call check_gradient_fd('gradient', oracle, p, dp, 1d-6, 1d-6)
    if (which == 1) call check_array('neo-Hookean: no dependence on p(2:4)', dp(2:4), [0d0, 0d0, 0d0], 0d0)
    t = f__enzyme_fwddiff(misfit, enzyme_dup, p, v, enzyme_const, which)
    call check_tangent_fd('tangent', oracle, p, v, t, 1d-6, 1d-6, dp, 1d-10)
  end do
  call check_report()
end program
