// CFLAGS: -std=c++17
// Reverse mode of a function returning a class by value (through a hidden sret pointer) is a
// compile error naming the function and what to do instead (forward mode supports it).
// EXPECT-ERROR: returns its result through memory (sret
// EXPECT-ERROR: write the result through a pointer parameter passed with enzyme_dup
#include <enzyme/enzyme>
#include <vector>
static std::vector<double> twice(double x) { return std::vector<double>(2, x * x); }
int main() {
  auto r = enzyme::autodiff<enzyme::Reverse>(twice, enzyme::Active<double>(2.0));
  return (int)enzyme::get<0>(enzyme::get<0>(r));
}
