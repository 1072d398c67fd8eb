// CFLAGS: -fopenmp
// omp sections (each section runs once, on some thread: the reverse sweep reverses it on the
// thread that ran it), sections with nowait and a reduction inside a region, and omp atomic
// read / write of a shared float published by one thread and read by all after a barrier.
#include "omp_check.h"

double three_sections(const double *x, int n) {
  double a = 0.0, b = 0.0, c = 0.0;
#pragma omp parallel sections
  {
#pragma omp section
    for (int i = 0; i < n / 2; i++)
      a += x[i] * x[i];
#pragma omp section
    for (int i = n / 2; i < n; i++)
      b += sin(x[i]);
#pragma omp section
    for (int i = 0; i < n; i++)
      c = c * 0.9 + x[i] * x[(i + 1) % n];
  }
  return a * (1.0 + b) + c;
}

// sections with a reduction and nowait, then a loop that reads the shared results
void sections_then_loop(const double *x, double *y, int n) {
  double lo = 0.0, hi = 0.0, total = 0.0;
#pragma omp parallel
  {
#pragma omp sections reduction(+ : total) nowait
    {
#pragma omp section
      {
        for (int i = 0; i < n; i += 2)
          lo += x[i];
        total += lo * lo;
      }
#pragma omp section
      {
        for (int i = 1; i < n; i += 2)
          hi += exp(0.1 * x[i]);
        total += hi;
      }
    }
#pragma omp barrier
#pragma omp for
    for (int i = 0; i < n; i++)
      y[i] = x[i] * (lo + 2.0 * hi) + total;
  }
}

// one thread publishes a value with omp atomic write; every thread reads it with omp atomic read
void publish(const double *x, double *y, int n) {
  double shared_v = 0.0;
#pragma omp parallel
  {
#pragma omp single
    {
      double v = x[0] * x[n - 1] + 1.0;
#pragma omp atomic write
      shared_v = v;
    }
    double mine;
#pragma omp atomic read
    mine = shared_v;
#pragma omp for
    for (int i = 0; i < n; i++)
      y[i] = mine * x[i] * x[i];
  }
}

DEFINE_SCALAR_CHECK(three_sections, n)
DEFINE_KERNEL_CHECK(sections_then_loop, n, n)
DEFINE_KERNEL_CHECK(publish, n, n)

int main(void) {
  static const int ns[] = {1, 6, 23};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    three_sections_check(ns[c], 3u + c);
    sections_then_loop_check(ns[c], 5u + c);
    publish_check(ns[c], 7u + c);
  }
  return check_report();
}
