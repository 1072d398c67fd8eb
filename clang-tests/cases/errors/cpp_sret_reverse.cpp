// CFLAGS: -std=c++17
// Reverse mode of a function returning a class by value (through a hidden sret pointer) with
// an Active<T> return seeds 1.0 in every float member; a class holding pointers
// (std::vector<double>: its elements live on the heap) cannot be seeded that way, so asking
// for it is a compile error naming the function, the type and what to do instead (the result
// as Const<T>, the default for a class, compiles: cpp/enzyme_cpp_reverse_struct.cpp).
// EXPECT-ERROR: with an active return of
// EXPECT-ERROR: which holds pointers
#include <enzyme/enzyme>
#include <vector>
static std::vector<double> twice(double x) { return std::vector<double>(2, x * x); }
int main() {
  auto r = enzyme::autodiff<enzyme::Reverse, enzyme::Active<std::vector<double>>>(twice, enzyme::Active<double>(2.0));
  return (int)enzyme::get<0>(enzyme::get<0>(r));
}
