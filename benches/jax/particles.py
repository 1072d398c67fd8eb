"""particles: Lennard-Jones energy over all pairs inside a cutoff (see benches/src/particles.c)."""
import jax.numpy as jnp
import numpy as np

from common import urand

RC2 = 2.5 * 2.5


def setup(sizes):
    n = sizes[0] if sizes else 1000
    side = 1
    while side ** 3 < n:  # ceil(cbrt(n)) in the C code
        side += 1
    p = np.arange(n)
    cell = np.stack([p % side, (p // side) % side, p // (side * side)], axis=1).astype(np.float64)
    x = (1.2 * cell + 0.2 * (urand(31, 3 * n).reshape(n, 3) - 0.5)).ravel()
    upper = jnp.asarray(np.triu(np.ones((n, n), dtype=bool), 1))

    def f(v):
        r = v.reshape(n, 3)
        d = r[:, None, :] - r[None, :, :]
        r2 = jnp.sum(d * d, axis=-1)
        inside = upper & (r2 < RC2)
        s2 = 1.0 / jnp.where(inside, r2, 1.0)
        s6 = s2 * s2 * s2
        return jnp.sum(jnp.where(inside, 4.0 * (s6 * s6 - s6), 0.0))

    return f, x, f"N={n}"
