// Hand-written checkpointing with split mode, as users do for long time loops: a reaction-
// diffusion step `step(const Params*, const double *u, double *unew)` is run forward with
// __enzyme_augmentfwd once per time step, each step's tape kept in a std::vector<void*>
// (tape returned) or in one preallocated arena (enzyme_allocated + enzyme_tape, size from
// __enzyme_augmentsize), then the adjoints are swept backwards step by step with
// __enzyme_reverse (each state has its own adjoint buffer, given to both halves of a step),
// accumulating the parameter adjoint in a shadow Params. The result must
// match __enzyme_autodiff of the whole loop and central differences.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences,
// whole-loop reverse mode.
#include "check.h"
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" {
extern int enzyme_tape, enzyme_allocated;
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
int __enzyme_augmentsize(void *, ...);
double __enzyme_autodiff(void *, ...);
}

enum { N = 16, STEPS = 12 };

struct Params {
  double D;     // diffusivity
  double k;     // reaction rate
  double dt, dx;
  double src[N]; // a source field
};

// one explicit step of u_t = D u_xx + k u (1 - u) + src, Neumann ends
static void step(const Params *p, const double *u, double *un) {
  for (int i = 0; i < N; i++) {
    double l = i > 0 ? u[i - 1] : u[i + 1];
    double r = i < N - 1 ? u[i + 1] : u[i - 1];
    double lap = (l - 2.0 * u[i] + r) / (p->dx * p->dx);
    double react = p->k * u[i] * (1.0 - u[i]);
    un[i] = u[i] + p->dt * (p->D * lap + react + p->src[i] * std::exp(-u[i]));
  }
}

static double objective_of(const double *u) {
  double j = 0.0;
  for (int i = 0; i < N; i++) j += (u[i] - 0.5) * (u[i] - 0.5) * (1.0 + 0.1 * i);
  return j;
}

// the whole loop, for finite differences and the whole-loop gradient
static double whole(const Params *p, const double *u0) {
  double a[N], b[N];
  std::memcpy(a, u0, sizeof a);
  for (int s = 0; s < STEPS; s++) {
    step(p, a, b);
    std::memcpy(a, b, sizeof a);
  }
  return objective_of(a);
}

static void adjoint_objective(const double *u, double *du) {
  for (int i = 0; i < N; i++) du[i] = 2.0 * (u[i] - 0.5) * (1.0 + 0.1 * i);
}

int main() {
  Params p{};
  p.D = 0.8, p.k = 1.5, p.dt = 0.0015, p.dx = 1.0 / N;
  double u0[N];
  for (int i = 0; i < N; i++) p.src[i] = 0.3 * std::sin(0.5 * i), u0[i] = 0.2 + 0.6 * std::exp(-0.05 * (i - 6) * (i - 6));

  // reference: reverse mode over the whole loop
  Params dp_ref{};
  double du0_ref[N] = {0};
  __enzyme_autodiff((void *)whole, enzyme_dup, &p, &dp_ref, enzyme_dup, u0, du0_ref);

  // (1) returned tapes, one per step; every state has its adjoint buffer (the same shadow
  // pointers go to __enzyme_augmentfwd and to __enzyme_reverse of a step)
  std::vector<std::vector<double>> states(STEPS + 1, std::vector<double>(N));
  std::vector<std::vector<double>> adj(STEPS + 1, std::vector<double>(N, 0.0));
  std::memcpy(states[0].data(), u0, sizeof u0);
  std::vector<void *> tapes;
  Params dp{};
  for (int s = 0; s < STEPS; s++)
    tapes.push_back(__enzyme_augmentfwd((void *)step, enzyme_dup, &p, &dp, enzyme_dup, states[s].data(),
                                        adj[s].data(), enzyme_dup, states[s + 1].data(), adj[s + 1].data()));
  adjoint_objective(states[STEPS].data(), adj[STEPS].data());
  for (int s = STEPS - 1; s >= 0; s--)
    __enzyme_reverse((void *)step, enzyme_dup, &p, &dp, enzyme_dup, states[s].data(), adj[s].data(), enzyme_dup,
                     states[s + 1].data(), adj[s + 1].data(), tapes[s]);
  std::vector<double> &lam = adj[0];
  CHECK_CLOSE("primal matches", objective_of(states[STEPS].data()), whole(&p, u0), 1e-14, 1e-14);
  CHECK_ARRAY_CLOSE("du0 vs whole loop", lam.data(), du0_ref, N, 1e-11, 1e-13);
  CHECK_CLOSE("dD vs whole loop", dp.D, dp_ref.D, 1e-11, 1e-13);
  CHECK_CLOSE("dk vs whole loop", dp.k, dp_ref.k, 1e-11, 1e-13);
  CHECK_ARRAY_CLOSE("dsrc vs whole loop", dp.src, dp_ref.src, N, 1e-11, 1e-13);
  CHECK_ARRAY_FD("du0 fd", u0, N, lam, 1e-6, whole(&p, u0), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("dD fd", dp.D, FD_AT(p.D, 1e-6, whole(&p, u0)), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("dk fd", dp.k, FD_AT(p.k, 1e-6, whole(&p, u0)), RTOL_FD, ATOL_FD);
  CHECK_ARRAY_FD("dsrc fd", p.src, N, dp.src, 1e-6, whole(&p, u0), RTOL_FD, ATOL_FD);

  // (2) tapes in one arena of caller memory
  int size = __enzyme_augmentsize((void *)step, enzyme_dup, enzyme_dup, enzyme_dup);
  size_t stride = size > 0 ? (size_t)(size + 15) / 16 * 16 : 16;
  char *arena = static_cast<char *>(std::aligned_alloc(16, stride * STEPS));
  Params dp2{};
  for (auto &a : adj) std::fill(a.begin(), a.end(), 0.0);
  for (int s = 0; s < STEPS; s++)
    __enzyme_augmentfwd((void *)step, enzyme_allocated, size, enzyme_tape, arena + s * stride, enzyme_dup, &p, &dp2,
                        enzyme_dup, states[s].data(), adj[s].data(), enzyme_dup, states[s + 1].data(),
                        adj[s + 1].data());
  adjoint_objective(states[STEPS].data(), adj[STEPS].data());
  for (int s = STEPS - 1; s >= 0; s--)
    __enzyme_reverse((void *)step, enzyme_allocated, size, enzyme_tape, arena + s * stride, enzyme_dup, &p, &dp2,
                     enzyme_dup, states[s].data(), adj[s].data(), enzyme_dup, states[s + 1].data(), adj[s + 1].data());
  std::free(arena);
  CHECK_ARRAY_CLOSE("arena du0", lam.data(), du0_ref, N, 1e-11, 1e-13);
  CHECK_CLOSE("arena dD", dp2.D, dp_ref.D, 1e-11, 1e-13);
  CHECK_ARRAY_CLOSE("arena dsrc", dp2.src, dp_ref.src, N, 1e-11, 1e-13);
  return check_report();
}
