"""normalize: s(in) = sum_i w_i in_i / |in| (see benches/src/normalize.c)."""
import jax.numpy as jnp

from common import fill


def setup(sizes):
    n = sizes[0] if sizes else 1000
    x = fill(n, 1, -1, 1)
    w = jnp.asarray(fill(n, 2, -1, 1))

    def f(v):
        return jnp.sum(w * (v / jnp.sqrt(jnp.sum(v * v))))

    return f, x, f"n={n}"
