// C++ without any __enzyme_* call: IR identical with and without the plugin.
// EXPECT-IR-UNCHANGED
#include <cmath>
#include <vector>

template <typename T> T dot(const std::vector<T> &a, const std::vector<T> &b) {
  T s = 0;
  for (size_t i = 0; i < a.size(); i++)
    s += a[i] * b[i];
  return s;
}

int main(int argc, char **) {
  std::vector<double> a(10, argc), b(10, 0.5);
  return (int)std::sqrt(dot(a, b));
}
