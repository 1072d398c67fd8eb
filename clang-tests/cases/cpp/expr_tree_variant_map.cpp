// A small symbolic expression tree evaluated recursively: nodes are std::variant<Num, Var, Unary,
// Binary> held in a std::vector (children by index), evaluation is a recursive std::visit with a
// generic lambda, variables are looked up by name in a std::map<std::string, double> built from
// the active array. Differentiated with respect to the variables' values. Oracles: analytic
// gradient, finite differences, forward vs reverse.
// On main b8e9884 a compile error at -O0..-O3: the recursive lambda rebuilds the visitor from
// its captures (the constant tree stands for its own shadow there), and at -O0 the map's key
// compare (`std::string::compare`, an invoke) was given a key reached through it.
// CFLAGS: -std=c++17
#include "check.h"
#include <map>
#include <string>
#include <variant>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Num { double v; };
struct Var { std::string name; };
struct Unary { char op; int a; };
struct Binary { char op; int a, b; };
using Node = std::variant<Num, Var, Unary, Binary>;
template <class... Ts> struct overloaded : Ts... { using Ts::operator()...; };
template <class... Ts> overloaded(Ts...) -> overloaded<Ts...>;

struct Expr {
  std::vector<Node> nodes;
  std::vector<std::string> names;
};

static double eval(const Expr &e, const std::map<std::string, double> &env, int i) {
  return std::visit(
      overloaded{[](const Num &n) { return n.v; },
                 [&](const Var &v) { return env.at(v.name); },
                 [&](const Unary &u) {
                   double a = eval(e, env, u.a);
                   switch (u.op) {
                   case 's': return sin(a);
                   case 'e': return exp(a);
                   default: return -a;
                   }
                 },
                 [&](const Binary &b) {
                   double x = eval(e, env, b.a), y = eval(e, env, b.b);
                   switch (b.op) {
                   case '+': return x + y;
                   case '*': return x * y;
                   case '/': return x / y;
                   default: return x - y;
                   }
                 }},
      e.nodes[i]);
}

static double evaluate(const Expr *e, const double *vals) {
  std::map<std::string, double> env;
  for (size_t k = 0; k < e->names.size(); k++) env[e->names[k]] = vals[k];
  return eval(*e, env, (int)e->nodes.size() - 1);
}

// f = sin(x * y) + exp(z) / (x + 2.5) - y
static Expr build() {
  Expr e;
  e.names = {"x", "y", "z"};
  e.nodes = {Var{"x"},        Var{"y"},           Var{"z"},         Binary{'*', 0, 1},
             Unary{'s', 3},   Unary{'e', 2},      Num{2.5},         Binary{'+', 0, 6},
             Binary{'/', 5, 7}, Binary{'+', 4, 8}, Binary{'-', 9, 1}};
  return e;
}

static Expr E;
static double vs[3] = {0.4, -1.3, 0.6};
static int which;
static double one(double t) {
  double y[3] = {vs[0], vs[1], vs[2]};
  y[which] = t;
  return evaluate(&E, y);
}

int main() {
  E = build();
  double x = vs[0], y = vs[1], z = vs[2];
  double want[3] = {y * cos(x * y) - exp(z) / ((x + 2.5) * (x + 2.5)), x * cos(x * y) - 1,
                    exp(z) / (x + 2.5)};
  double g[3] = {0, 0, 0};
  __enzyme_autodiff((void *)evaluate, enzyme_const, &E, enzyme_dup, vs, g);
  for (int i = 0; i < 3; i++) {
    which = i;
    CHECK_CLOSE_AT("oracle: analytic vs finite differences", i, want[i], fd1(one, vs[i]), RTOL_FD,
                   ATOL_FD);
    CHECK_CLOSE_AT("reverse", i, g[i], want[i], RTOL_D, ATOL_D);
    double d[3] = {0, 0, 0};
    d[i] = 1;
    CHECK_CLOSE_AT("forward", i,
                   __enzyme_fwddiff((void *)evaluate, enzyme_const, &E, enzyme_dup, vs, d),
                   want[i], RTOL_D, ATOL_D);
  }
  return check_report();
}
