"""JAX peer of benches/src/jacobian.c and benches/src/hessian.c (issue 15): the same functions
and inputs (the C programs' sequential splitmix64 draws), the 32 x 32 Jacobian by
jax.jit(jax.jacfwd(rhs)) and jax.jit(jax.jacrev(rhs)), the 100 x 100 Hessian by
jax.jit(jax.hessian(objective)). Prints one JSON line per benchmark with CPU seconds per
Jacobian / Hessian and the same weighted checksum the C programs print.
    python3 benches/jax/batched.py"""
import json
import sys

import common  # noqa: F401  (sets JAX_PLATFORMS=cpu before jax is imported)
import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
MASK = (1 << 64) - 1


class Draws:
    """The C programs' urand(&s): s += golden ratio, splitmix64 of s, top 53 bits."""

    def __init__(self, seed):
        self.s = seed

    def __call__(self):
        z = common.mix_scalar(self.s)  # the finaliser of s + golden ratio, the C program's new s
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK
        return (z >> 11) * 2.0**-53


def weighted(m):
    """sum over [j][i] of m[j][i] * ((i * n + j) % 7 + 1), m indexed [column][row]."""
    n = m.shape[0]
    i, j = np.meshgrid(np.arange(n), np.arange(n))
    return float(np.sum(np.asarray(m) * ((i * n + j) % 7 + 1)))


def jacobian_bench():
    ns, nr = 31, 64
    d = Draws(15)
    a, b, e, keq, h = (np.zeros(nr) for _ in range(5))
    for r in range(nr):
        a[r] = 1e3 * (0.5 + d())
        b[r] = 1.5 * d() - 0.5
        e[r] = 2000.0 + 6000.0 * d()
        keq[r] = 0.1 + 10.0 * d()
        h[r] = 500.0 * (d() - 0.5)
    r = np.arange(nr)
    ra, rb, pc, pd = r % ns, (7 * r + 3) % ns, (11 * r + 5) % ns, (13 * r + 9) % ns
    y = np.array([0.05 + d() for _ in range(ns)] + [0.0])
    y[ns] = 1200.0 + 200.0 * d()

    def rhs(y):
        t = y[ns]
        kf = a * t ** b * jnp.exp(-e / t)
        w = kf * y[ra] * y[rb] - kf / keq * y[pc] * y[pd]
        f = jnp.zeros(ns + 1).at[ra].add(-w).at[rb].add(-w).at[pc].add(w).at[pd].add(w)
        return f.at[ns].add(-jnp.sum(h * w) * 1e-3)

    y = jnp.asarray(y)
    out = {"bench": "jacobian"}
    for name, jac in (("jacfwd", jax.jacfwd), ("jacrev", jax.jacrev)):
        fn = jax.jit(jac(rhs))
        jm = fn(y).block_until_ready()  # [row i][column j]
        out[name + "_s"] = common.time_fn(lambda: fn(y).block_until_ready())[0]
        out[name + "_checksum"] = weighted(np.asarray(jm).T)
    prim = jax.jit(rhs)
    prim(y).block_until_ready()
    out["primal_s"] = common.time_fn(lambda: prim(y).block_until_ready())[0]
    return out


def hessian_bench():
    n, k = 100, 20
    d = Draws(99)
    am = np.array([[0.2 * (d() - 0.5) for _ in range(n)] for _ in range(k)])
    x = np.zeros(n)
    for j in range(n):
        x[j] = 0.5 + 0.5 * d()
        d()  # V[j] in the C program

    def objective(x):
        u = x[1:] - x[:-1] ** 2
        v = 1.0 - x[:-1]
        return jnp.sum(100.0 * u * u + v * v) + jnp.log(jnp.sum(jnp.exp(am @ x)))

    x = jnp.asarray(x)
    fn = jax.jit(jax.hessian(objective))
    hm = fn(x).block_until_ready()
    out = {"bench": "hessian", "hessian_s": common.time_fn(lambda: fn(x).block_until_ready())[0],
           "hessian_checksum": weighted(np.asarray(hm).T)}
    prim = jax.jit(objective)
    prim(x).block_until_ready()
    out["primal_s"] = common.time_fn(lambda: prim(x).block_until_ready())[0]
    return out


if __name__ == "__main__":
    for b in (jacobian_bench, hessian_bench):
        print(json.dumps(b()))
    sys.stdout.flush()
