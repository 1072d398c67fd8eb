"""csr_jacobi: K Jacobi iterations with a CSR matrix, 0.5|x_K|^2 (see benches/src/csr_jacobi.c).
Parameters: the nonzero values (nnz, each row's diagonal first) then b (n)."""
import jax
import jax.numpy as jnp
import numpy as np

from common import fill, urand


def setup(sizes):
    m = sizes[0] if sizes else 100
    k_iters = sizes[1] if len(sizes) > 1 else 20
    n = m * m
    rows, cols, diag = [], [], []
    for r in range(m):
        for c in range(m):
            i = r * m + c
            diag.append(len(cols))
            nb = [i] + ([i - m] if r > 0 else []) + ([i - 1] if c > 0 else []) + \
                ([i + 1] if c < m - 1 else []) + ([i + m] if r < m - 1 else [])
            rows += [i] * len(nb)
            cols += nb
    nnz = len(cols)
    rows, cols, diag = np.array(rows), np.array(cols), np.array(diag)
    is_diag = np.zeros(nnz, dtype=bool)
    is_diag[diag] = True
    u = urand(41, nnz)
    vals = np.where(is_diag, 4.5 + u, -u)
    x0 = np.concatenate([vals, fill(n, 42, -1.0, 1.0)])
    off = np.nonzero(~is_diag)[0]
    off_rows, off_cols = jnp.asarray(rows[off]), jnp.asarray(cols[off])
    off, diag = jnp.asarray(off), jnp.asarray(diag)

    def f(p):
        v, b = p[:nnz], p[nnz:]
        voff, d = v[off], v[diag]

        def step(_, x):
            return (b - jax.ops.segment_sum(voff * x[off_cols], off_rows, num_segments=n)) / d

        x = jax.lax.fori_loop(0, k_iters, step, jnp.zeros(n))
        return 0.5 * jnp.sum(x * x)

    return f, x0, f"m={m} (n={n}, nnz={nnz}) K={k_iters}"
