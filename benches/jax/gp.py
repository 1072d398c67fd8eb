"""gp: Gaussian-process negative log marginal likelihood (see benches/src/gp.c)."""
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np

from common import fill


def setup(sizes):
    n, d = (list(sizes) + [500, 3][len(sizes):])[:2]
    x = np.concatenate([fill(n * d, 71, 0, 1), np.array([np.log(0.5), 0.0])])
    y = jnp.asarray(fill(n, 73, -1, 1))
    noise = 0.1

    def f(v):
        xs = v[:n * d].reshape(n, d)
        ell2, sf2 = jnp.exp(2 * v[n * d]), jnp.exp(2 * v[n * d + 1])
        r2 = jnp.sum((xs[:, None, :] - xs[None, :, :]) ** 2, axis=2)
        k = sf2 * jnp.exp(-0.5 * r2 / ell2) + noise * jnp.eye(n)
        chol = jnp.linalg.cholesky(k)
        a = jsl.cho_solve((chol, True), y)
        return 0.5 * jnp.dot(y, a) + jnp.sum(jnp.log(jnp.diag(chol)))

    return f, x, f"n={n} d={d}"
