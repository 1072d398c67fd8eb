"""ode: RK4 over many steps with lax.fori_loop (see benches/src/ode.c)."""
import jax
import jax.numpy as jnp
import numpy as np

from common import fill


def setup(sizes):
    d, steps = (list(sizes) + [16, 10000][len(sizes):])[:2]
    x = np.concatenate([fill(d, 51, -1, 1), fill(d, 52, 0.5, 1.5)])
    target = jnp.asarray(fill(d, 53, 0.5, 1.2))
    h = 10.0 / steps

    def f(v):
        y0, k = v[:d], v[d:]

        def F(y):
            return k * (1 + jnp.sin(jnp.roll(y, -1))) - y * y * y

        def body(_, y):
            k1 = F(y)
            k2 = F(y + 0.5 * h * k1)
            k3 = F(y + 0.5 * h * k2)
            k4 = F(y + h * k3)
            return y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)

        y = jax.lax.fori_loop(0, steps, body, y0)
        return jnp.sum((y - target) ** 2)

    return f, x, f"D={d} steps={steps}"
