"""stencil: explicit nonlinear heat equation, T steps (see benches/src/stencil.c)."""
import jax
import jax.numpy as jnp
import numpy as np

from common import fill

R, DT = 0.25, 0.01


def setup(sizes):
    n, steps = (list(sizes) + [1000, 1000][len(sizes):])[:2]
    x = np.concatenate([fill(n, 71, -1, 1), [1.0]])

    def f(v):
        k = v[n]

        def body(_, u):
            mid = u[1:-1]
            return u.at[1:-1].set(mid + R * (u[:-2] - 2 * mid + u[2:]) - DT * k * mid * mid * mid)

        u = jax.lax.fori_loop(0, steps, body, v[:n])
        return 0.5 * jnp.sum(u * u)

    return f, x, f"n={n} T={steps}"
