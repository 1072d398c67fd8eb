"""Shared helpers for the JAX peers: the same deterministic inputs as
benches/src/harness.c (splitmix64), and timing with warm-up + median."""
import os
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np  # noqa: E402

MASK = (1 << 64) - 1


def mix64(z):
    """splitmix64 finaliser on a uint64 numpy array (wrapping arithmetic)."""
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def urand(seed, n, start=0):
    key = np.uint64((seed * 0x100000001B3) & MASK)
    i = np.arange(start, start + n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = mix64(key ^ i)
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


def fill(n, seed, lo, hi):
    return lo + (hi - lo) * urand(seed, n)


def mix_scalar(z):
    """bench_mix64 on a Python int (for integer data such as indices)."""
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def mix_array(base, n):
    """bench_mix64(base + i) for i in 0..n-1 as uint64 numpy array."""
    i = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return mix64(np.uint64(base & MASK) + i)


def checksum(g):
    g = np.asarray(g, dtype=np.float64).ravel()
    return float(np.sum(g * (1.0 + urand(777, g.size))))


def time_fn(fn, reps=7, min_sample=0.02, max_sec=4.0):
    """median (CPU seconds, wall seconds) per call of fn() (which must block
    until done), plus the sample count and the calls per sample. CPU time is
    time.process_time(): all threads of this process, user + system, the
    same clock as the C harness (CLOCK_PROCESS_CPUTIME_ID)."""
    t0 = time.process_time()
    fn()
    t1 = max(time.process_time() - t0, 1e-9)
    inner = max(1, int(np.ceil(min_sample / t1)))
    t0 = time.process_time()
    for _ in range(inner):
        fn()
    ts = (time.process_time() - t0) / inner
    while reps > 3 and reps * inner * ts > max_sec:
        reps -= 1
    cpu, wall = [], []
    for _ in range(reps):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(inner):
            fn()
        wall.append((time.perf_counter() - w0) / inner)
        cpu.append((time.process_time() - c0) / inner)
    return float(np.median(cpu)), float(np.median(wall)), reps, inner
