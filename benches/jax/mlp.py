"""mlp: two-layer perceptron, softmax cross-entropy (see benches/src/mlp.c)."""
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

from common import fill, mix_array


def setup(sizes):
    ni, nh, nc, nb = (list(sizes) + [784, 128, 10, 64][len(sizes):])[:4]
    s1, s2 = 1.0 / np.sqrt(ni), 1.0 / np.sqrt(nh)
    x = np.concatenate([fill(nh * ni, 61, -s1, s1), fill(nh, 62, -0.1, 0.1), fill(nc * nh, 63, -s2, s2),
                        fill(nc, 64, -0.1, 0.1)])
    inputs = jnp.asarray(fill(nb * ni, 65, 0, 1).reshape(nb, ni))
    labels = jnp.asarray((mix_array(66 * 1000003, nb) % np.uint64(nc)).astype(np.int64))
    o1, o2, o3 = nh * ni, nh * ni + nh, nh * ni + nh + nc * nh

    def f(v):
        w1, b1 = v[:o1].reshape(nh, ni), v[o1:o2]
        w2, b2 = v[o2:o3].reshape(nc, nh), v[o3:]
        h = jnp.tanh(inputs @ w1.T + b1)
        z = h @ w2.T + b2
        return jnp.mean(logsumexp(z, axis=1) - jnp.take_along_axis(z, labels[:, None], axis=1)[:, 0])

    return f, x, f"in={ni} hidden={nh} classes={nc} batch={nb}"
