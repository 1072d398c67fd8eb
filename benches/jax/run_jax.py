"""Times one JAX peer: jit-compiled objective and jax.grad, float64 on CPU.

usage: python3 benches/jax/run_jax.py NAME [--reps R] [--min-sample-ms M] [--max-sec S] SIZE...
Prints `RESULT {json}` (jax_primal_s, jax_grad_s: median CPU seconds per call;
*_wall_s: wall seconds; jax_compile_s; checksum of
the gradient with the same weights as harness.c). XLA is limited to one
thread (intra-op) so that it competes with single-threaded C code.
"""
import importlib
import json
import os
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

from common import checksum, time_fn  # noqa: E402


def main():
    args = sys.argv[1:]
    name = args.pop(0)
    reps, min_sample, max_sec = 7, 0.02, 4.0
    sizes = []
    while args:
        a = args.pop(0)
        if a == "--reps":
            reps = int(args.pop(0))
        elif a == "--min-sample-ms":
            min_sample = float(args.pop(0)) * 1e-3
        elif a == "--max-sec":
            max_sec = float(args.pop(0))
        else:
            sizes.append(int(a))
    mod = importlib.import_module(name)
    f, x0, label = mod.setup(sizes)
    x = jnp.asarray(x0, dtype=jnp.float64)
    fj = jax.jit(f)
    gj = jax.jit(jax.grad(f))
    t0 = time.perf_counter()
    g = gj(x).block_until_ready()
    compile_s = time.perf_counter() - t0
    obj = float(fj(x).block_until_ready())
    tp, tpw, _, _ = time_fn(lambda: fj(x).block_until_ready(), reps, min_sample, max_sec)
    tg, tgw, ns, inner = time_fn(lambda: gj(x).block_until_ready(), reps, min_sample, max_sec)
    print("RESULT " + json.dumps({
        "bench": name, "size": label, "objective": obj, "checksum": checksum(g),
        "jax_primal_s": tp, "jax_grad_s": tg, "jax_primal_wall_s": tpw, "jax_grad_wall_s": tgw,
        "jax_compile_s": compile_s,
        "samples": ns, "inner": inner, "jax_version": jax.__version__,
    }), flush=True)


if __name__ == "__main__":
    main()
