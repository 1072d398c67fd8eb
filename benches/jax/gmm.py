"""gmm: ADBench GMM objective, vectorised (see benches/src/gmm.c for the math)."""
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

from common import fill


def setup(sizes):
    d, k, n = (list(sizes) + [10, 25, 1000][len(sizes):])[:3]
    icf_sz = d * (d + 1) // 2
    x = np.concatenate([fill(k, 11, -1, 1), fill(k * d, 12, 0, 1), fill(k * icf_sz, 13, -0.5, 0.5)])
    data = jnp.asarray(fill(n * d, 14, 0, 1).reshape(n, d))
    # strictly-lower entries of Q, column by column (ADBench's packing)
    rows, cols = [], []
    for c in range(d):
        for r in range(c + 1, d):
            rows.append(r)
            cols.append(c)
    rows, cols = np.array(rows, dtype=np.int32), np.array(cols, dtype=np.int32)
    gamma, m = 1.0, 0.0

    def f(v):
        alphas = v[:k]
        means = v[k:k + k * d].reshape(k, d)
        icf = v[k + k * d:].reshape(k, icf_sz)
        q, l = icf[:, :d], icf[:, d:]
        qdiag = jnp.exp(q)
        sum_qs = jnp.sum(q, axis=1)
        Q = jnp.zeros((k, d, d)).at[:, rows, cols].set(l) + jax_diag(qdiag)
        xc = data[:, None, :] - means[None, :, :]
        qxc = jnp.einsum("kij,nkj->nki", Q, xc)
        main = alphas[None, :] + sum_qs[None, :] - 0.5 * jnp.sum(qxc * qxc, axis=-1)
        slse = jnp.sum(logsumexp(main, axis=1))
        prior = jnp.sum(0.5 * gamma * gamma * (jnp.sum(qdiag * qdiag, 1) + jnp.sum(l * l, 1)) - m * sum_qs)
        return slse - n * logsumexp(alphas) + prior

    def jax_diag(qd):
        return qd[:, :, None] * jnp.eye(d)[None, :, :]

    return f, x, f"d={d} k={k} n={n}"
