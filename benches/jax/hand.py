"""hand: simplified skinned-mesh objective (see benches/src/hand.c)."""
import jax.numpy as jnp
import numpy as np

from common import fill


def euler(th):
    a, b, c = th[:, 0], th[:, 1], th[:, 2]
    ca, sa, cb, sb, cc, sc = jnp.cos(a), jnp.sin(a), jnp.cos(b), jnp.sin(b), jnp.cos(c), jnp.sin(c)
    R = jnp.stack([cc * cb, cc * sb * sa - sc * ca, cc * sb * ca + sc * sa,
                   sc * cb, sc * sb * sa + cc * ca, sc * sb * ca - cc * sa,
                   -sb, cb * sa, cb * ca], axis=1)
    return R.reshape(-1, 3, 3)


def setup(sizes):
    nb, nv = (list(sizes) + [22, 544][len(sizes):])[:2]
    parent = [-1 if j == 0 else (0 if (j - 1) % 4 == 0 else j - 1) for j in range(nb)]
    offs = fill(3 * nb, 41, -0.3, 0.3).reshape(nb, 3)
    offs[:, 1] += 1.0
    restj = np.zeros((nb, 3))
    for j in range(nb):
        restj[j] = offs[j] + (0 if parent[j] < 0 else restj[parent[j]])
    x = np.concatenate([fill(3 * nb, 42, -0.4, 0.4), fill(3, 43, -0.5, 0.5)])
    verts = fill(3 * nv, 44, -2, 5).reshape(nv, 3)
    W = fill(nv * nb, 45, 0, 1).reshape(nv, nb)
    W[np.arange(nv), np.arange(nv) % nb] += 4
    W /= W.sum(axis=1, keepdims=True)
    targets = jnp.asarray(fill(3 * nv, 46, -2, 5).reshape(nv, 3))
    d = jnp.asarray(verts[:, None, :] - restj[None, :, :])  # nv, nb, 3
    W = jnp.asarray(W)
    offs_j = jnp.asarray(offs)

    def f(v):
        R = euler(v[:3 * nb].reshape(nb, 3))
        T = v[3 * nb:]
        A, t = [None] * nb, [None] * nb
        for j in range(nb):
            p = parent[j]
            if p < 0:
                A[j], t[j] = R[j], T + offs_j[j]
            else:
                A[j], t[j] = A[p] @ R[j], A[p] @ offs_j[j] + t[p]
        A, t = jnp.stack(A), jnp.stack(t)
        moved = jnp.einsum("brc,vbc->vbr", A, d) + t[None, :, :]
        vp = jnp.einsum("vb,vbr->vr", W, moved)
        e = vp - targets
        return 0.5 * jnp.sum(e * e)

    return f, x, f"bones={nb} verts={nv}"
