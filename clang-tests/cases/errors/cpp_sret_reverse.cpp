// CFLAGS: -std=c++17
// Reverse mode of a function returning a class by value (through a hidden sret pointer) is a
// compile error naming the function and what to do instead (Enzyme's convention: the result's
// adjoint buffer first, which the C++ interface does not pass; forward mode supports it).
// EXPECT-ERROR: through a hidden result pointer (sret)
// EXPECT-ERROR: __enzyme_autodiff((void*)f, &d_result, args...)
#include <enzyme/enzyme>
#include <vector>
static std::vector<double> twice(double x) { return std::vector<double>(2, x * x); }
int main() {
  auto r = enzyme::autodiff<enzyme::Reverse>(twice, enzyme::Active<double>(2.0));
  return (int)enzyme::get<0>(enzyme::get<0>(r));
}
