// A template function over std::array and a method-like free function, with
// Enzyme's header name <enzyme/enzyme>; derivatives checked against the
// analytic gradient (exit 1 on a mismatch).
#include <enzyme/enzyme>

#include <array>
#include <cmath>
#include <cstdio>

template <std::size_t N>
double norm_times_sum(const std::array<double, N> &x) {
    double sq = 0, sum = 0;
    for (double v : x) {
        sq += v * v;
        sum += v;
    }
    return std::sqrt(sq) * sum;
}

static double wrapper(const std::array<double, 3> *x) { return norm_times_sum(*x); }

int main() {
    std::array<double, 3> x{0.3, -1.2, 2.5}, dx{};
    __enzyme_autodiff(reinterpret_cast<void *>(wrapper), enzyme_dup, &x, &dx);
    double sq = 0, sum = 0;
    for (double v : x) {
        sq += v * v;
        sum += v;
    }
    double r = std::sqrt(sq);
    int failures = 0;
    for (std::size_t i = 0; i < x.size(); i++) {
        double want = x[i] / r * sum + r;  // d/dx_i [ |x| * sum(x) ]
        bool ok = std::fabs(dx[i] - want) <= 1e-12 * std::fmax(1.0, std::fabs(want));
        std::printf("d/dx[%zu] %14.9f  analytic %14.9f  %s\n", i, dx[i], want, ok ? "ok" : "MISMATCH");
        failures += !ok;
    }
    double t = __enzyme_fwddiff(reinterpret_cast<void *>(wrapper), enzyme_dup, &x, &dx);
    // tangent along dx: sum_i grad_i * dx_i = |grad|^2
    double want = 0;
    for (std::size_t i = 0; i < x.size(); i++) want += dx[i] * dx[i];
    bool ok = std::fabs(t - want) <= 1e-10 * std::fmax(1.0, std::fabs(want));
    std::printf("tangent     %14.9f  analytic %14.9f  %s\n", t, want, ok ? "ok" : "MISMATCH");
    failures += !ok;
    return failures != 0;
}
