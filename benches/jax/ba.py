"""ba: bundle adjustment, 0.5 * |residuals|^2 (see benches/src/ba.c)."""
import jax.numpy as jnp
import numpy as np

from common import fill, mix_array, urand

NCP = 11


def rodrigues(r, X):
    sq = jnp.sum(r * r, axis=1, keepdims=True)
    nz = sq != 0
    theta = jnp.sqrt(jnp.where(nz, sq, 1.0))  # safe: no NaN gradients at 0
    wv = r / theta
    ct, st = jnp.cos(theta), jnp.sin(theta)
    full = X * ct + jnp.cross(wv, X) * st + wv * (jnp.sum(wv * X, axis=1, keepdims=True) * (1 - ct))
    first = X + jnp.cross(r, X)
    return jnp.where(nz, full, first)


def setup(sizes):
    nc, npt, no = (list(sizes) + [21, 11315, 36455][len(sizes):])[:3]
    u = urand(21, nc * NCP).reshape(nc, NCP)
    cams = np.empty((nc, NCP))
    cams[:, 0:3] = 0.2 * (u[:, 0:3] - 0.5)
    cams[:, 3:6] = 0.5 * (u[:, 3:6] - 0.5)
    cams[:, 6] = 0.8 + 0.4 * u[:, 6]
    cams[:, 7] = 0.1 * (u[:, 7] - 0.5)
    cams[:, 8] = 0.1 * (u[:, 8] - 0.5)
    cams[:, 9] = 0.1 * (u[:, 9] - 0.5)
    cams[:, 10] = 0.02 * (u[:, 10] - 0.5)
    if nc > 1:
        cams[1, 0:3] = 0
    up = urand(22, 3 * npt).reshape(npt, 3)
    pts = np.empty((npt, 3))
    pts[:, 0:2] = 2 * (up[:, 0:2] - 0.5)
    pts[:, 2] = 3 + 2 * up[:, 2]
    w = fill(no, 23, 0.5, 1.5)
    cam_idx = (mix_array(24 * 1000003, no) % np.uint64(nc)).astype(np.int64)
    pt_idx = (mix_array(25 * 1000003, no) % np.uint64(npt)).astype(np.int64)
    first = np.arange(no) < npt
    pt_idx[first] = np.arange(no)[first]
    feats = jnp.asarray(fill(2 * no, 26, -0.5, 0.5).reshape(no, 2))
    x = np.concatenate([cams.ravel(), pts.ravel(), w])
    ci, pi = jnp.asarray(cam_idx), jnp.asarray(pt_idx)

    def f(v):
        cm = v[:nc * NCP].reshape(nc, NCP)[ci]
        X = v[nc * NCP:nc * NCP + 3 * npt].reshape(npt, 3)[pi]
        wt = v[nc * NCP + 3 * npt:]
        xc = rodrigues(cm[:, 0:3], X - cm[:, 3:6])
        p = xc[:, 0:2] / xc[:, 2:3]
        rsq = jnp.sum(p * p, axis=1, keepdims=True)
        L = 1 + cm[:, 9:10] * rsq + cm[:, 10:11] * rsq * rsq
        proj = cm[:, 6:7] * (p * L) + cm[:, 7:9]
        e = wt[:, None] * (proj - feats)
        ew = 1 - wt * wt
        return 0.5 * (jnp.sum(e * e) + jnp.sum(ew * ew))

    return f, x, f"cams={nc} pts={npt} obs={no}"
