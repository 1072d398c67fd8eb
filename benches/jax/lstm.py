"""lstm: ADBench LSTM sequence loss with lax.scan (see benches/src/lstm.c)."""
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

from common import fill


def setup(sizes):
    l, c, b = (list(sizes) + [2, 1024, 14][len(sizes):])[:3]
    x = fill(l * 8 * b + 3 * b, 31, -1, 1)
    state0 = jnp.asarray(fill(l * 2 * b, 32, -1, 1).reshape(l, 2, b))
    seq = jnp.asarray(fill(c * b, 33, 0, 1).reshape(c, b))

    def f(v):
        main = v[:l * 8 * b].reshape(l, 2, 4, b)
        extra = v[l * 8 * b:].reshape(3, b)

        def step(state, xs):
            inp, gold = xs
            xp = inp * extra[0]
            new = []
            for i in range(l):
                w, bias = main[i, 0], main[i, 1]
                h, s = state[i, 0], state[i, 1]
                fg = jax.nn.sigmoid(xp * w[0] + bias[0])
                ig = jax.nn.sigmoid(h * w[1] + bias[1])
                og = jax.nn.sigmoid(xp * w[2] + bias[2])
                ch = jnp.tanh(h * w[3] + bias[3])
                s = s * fg + ig * ch
                h = og * jnp.tanh(s)
                new.append(jnp.stack([h, s]))
                xp = h
            y = xp * extra[1] + extra[2]
            return jnp.stack(new), jnp.sum(gold * (y - logsumexp(y)))

        _, tot = jax.lax.scan(step, state0, (seq[:-1], seq[1:]))
        return -jnp.sum(tot) / ((c - 1) * b)

    return f, x, f"l={l} c={c} b={b}"
