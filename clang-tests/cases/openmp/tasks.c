// CFLAGS: -fopenmp
// OpenMP tasks: the derivative runs each task where it is created (an undeferred task, one of
// the executions OpenMP allows), so the gradient is that of the computed program, without the
// tasks' parallelism. Tasks spawned in a loop by one thread, tasks accumulating into a shared
// variable with omp atomic, a chain of tasks ordered by depend clauses, a taskgroup, taskwait,
// and a taskloop.
#include "omp_check.h"

void spawned(const double *x, double *y, int n) {
  double c = 0.5;
#pragma omp parallel
#pragma omp single
  for (int i = 0; i < n; i++) {
#pragma omp task firstprivate(i)
    y[i] = x[i] * x[i] * c + sin(x[(i + 1) % n]);
  }
}

double atomic_tasks(const double *x, int n) {
  double s = 0.0;
#pragma omp parallel
  {
#pragma omp single nowait
    for (int i = 0; i < n; i += 2) {
#pragma omp task shared(s)
      {
        double v = exp(0.1 * x[i]) * x[(i + 1) % n];
#pragma omp atomic
        s += v;
      }
    }
#pragma omp taskwait
  }
  return s * s;
}

double chained(const double *x, int n) {
  double a = 0.0, b = 0.0, r = 0.0;
#pragma omp parallel
#pragma omp single
  {
#pragma omp task depend(out : a) shared(a)
    for (int i = 0; i < n; i++)
      a += x[i] * x[i];
#pragma omp task depend(in : a) depend(out : b) shared(a, b)
    b = sqrt(1.0 + a) * x[0];
#pragma omp taskgroup
    {
#pragma omp task depend(in : b) shared(b, r)
      r = b * b + cos(b);
    }
#pragma omp taskwait
  }
  return r + a;
}

void task_loop(const double *x, double *y, int n) {
#pragma omp parallel
#pragma omp single
#pragma omp taskloop grainsize(2)
  for (int i = 0; i < n; i++)
    y[i] = x[i] * x[n - 1 - i] + tanh(x[i]);
}

DEFINE_KERNEL_CHECK(spawned, n, n)
DEFINE_SCALAR_CHECK(atomic_tasks, n)
DEFINE_SCALAR_CHECK(chained, n)
DEFINE_KERNEL_CHECK(task_loop, n, n)

int main(void) {
  static const int ns[] = {1, 6, 23};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    spawned_check(ns[c], 3u + c);
    atomic_tasks_check(ns[c], 5u + c);
    chained_check(ns[c], 7u + c);
    task_loop_check(ns[c], 9u + c);
  }
  return check_report();
}
