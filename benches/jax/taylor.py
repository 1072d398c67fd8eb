"""taylor: f(x) = sum_{i=1..N} x^i / i (see benches/src/taylor.c)."""
import jax.numpy as jnp
import numpy as np


def setup(sizes):
    n = sizes[0] if sizes else 1000000
    i = jnp.arange(1, n + 1, dtype=jnp.float64)

    def f(x):
        return jnp.sum(x[0] ** i / i)

    return f, np.array([0.999]), f"N={n}"
