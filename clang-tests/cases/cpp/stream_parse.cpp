// Standard streams inside a differentiated function: a std::istringstream parsed with >> into a
// double and a float, ignore(), get(char) and get(buf, n, delim), and std::cout, std::cerr and
// std::wcout output, next to the float math; the parsed numbers are constants of the
// derivative. Reverse and forward mode; oracle: the analytic derivative.
#include "check.h"
#include <iostream>
#include <sstream>
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
double parsed(double v) {
  std::istringstream in("7 2.5 tail\tmore");
  double a; float b;
  in >> a >> b;
  in.ignore();
  char c; in.get(c);
  char word[6]; in.get(word, 4, '\t');
  std::cout << "v=" << v << " a=" << a << '\n';
  std::cerr << "b=" << b << std::endl;
  std::wcout << L"c=" << (wchar_t)c << L"\n";
  return v * v * a * b + (word[0] == 'a' ? v : 0.0);
}
int main() {
  for (double v : {-1.5, 0.25, 3.0}) {
    double want = 2 * v * 7 * 2.5 + 1.0;
    CHECK_CLOSE_AT("reverse", v, __enzyme_autodiff((void *)parsed, v), want, RTOL_D, 0);
    CHECK_CLOSE_AT("forward", v, __enzyme_fwddiff((void *)parsed, v, 1.0), want, RTOL_D, 0);
  }
  return check_report();
}
