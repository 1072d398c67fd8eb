// CFLAGS: -std=c++17
// Enzyme's C++ interface: a Duplicated scalar passed by value in reverse mode has nowhere to
// receive its derivative. It is a compile error from the header naming the fix.
// EXPECT-ERROR: Duplicated/DuplicatedNoNeed of a value (not a pointer or reference) in reverse mode
#include <enzyme/enzyme>
static float f(float x) { return x * x; }
int main() {
  float x = 10, dx = 0;
  enzyme::autodiff<enzyme::Reverse>(f, enzyme::Duplicated<float>{x, dx});
  return (int)dx;
}
