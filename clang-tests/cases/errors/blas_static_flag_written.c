// A BLAS flag held in a file-local variable that the file also writes: its value at the call is
// not known at compile time, so the call on active data stays a located error naming the
// routine and the argument (an unwritten one is read as its letter: blas/static_flags.c).
// EXPECT-ERROR: blas_static_flag_written.c:19:
// EXPECT-ERROR: cannot differentiate call to 'dgemv_': its transpose argument is not a compile-time constant
// LIBS: -lopenblas
void dgemv_(const char *, const int *, const int *, const double *, const double *, const int *,
            const double *, const int *, const double *, double *, const int *);
double __enzyme_autodiff(void *, ...);
extern int enzyme_dup;

static char trans = 'N';
static int three = 3, one = 1;
static double unit = 1.0, zero = 0.0;

void transpose_next(void) { trans = 'T'; }

static double f(double *A, double *x, double *y) {
  dgemv_(&trans, &three, &three, &unit, A, &three, x, &one, &zero, y, &one);
  return y[0] * y[1];
}

double g(double *A, double *dA, double *x, double *dx, double *y, double *dy) {
  return __enzyme_autodiff((void *)f, enzyme_dup, A, dA, enzyme_dup, x, dx, enzyme_dup, y, dy);
}

int main(void) { return 0; }
