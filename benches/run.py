#!/usr/bin/env python3
"""ferment benchmark driver: builds, checks, times, writes benches/report/.

usage: bash benches/run.sh [--quick] [--no-jax] [--no-enzyme] [--no-plain-flags] [--only a,b]
                          [--report-only] [--out DIR] [--plugin-flags "-mllvm -ferment-..."]

--plugin-flags adds its (whitespace-separated) flags to every compile that loads
the plugin (tuned, plain-flags and before-opt builds; not the plain build
without the plugin, nor Enzyme's): an A/B of a plugin option on the same build.

The full run writes benches/report/ (the committed report); --quick writes
benches/out/quick-report/ unless --out says otherwise, so a quick check
never overwrites the full report.

For every benchmark in benches/src (one translation unit each):
  * compiles it three ways, timing clang-22 each time (median of several):
      plain (no plugin; object only, it cannot link without ferment),
      with the plugin (after the optimizer, the default placement),
      with the plugin and -mllvm -ferment-before-opt (the ablation);
  * links the two plugin builds with harness.c (compiled without the plugin);
  * runs the after-opt binary at each size: it checks the hand-written
    adjoint against central finite differences and the ferment gradient
    against the hand-written one (exit 1 = mismatch: reported, nothing timed),
    then times primal / ferment / hand and measures peak heap of a gradient;
  * runs the before-opt binary (checks again, times the ferment gradient);
  * runs the JAX peer (benches/jax) when jax imports, and compares the
    gradient checksum with the C one;
  * builds the Enzyme peer (benches/enzyme/build.py, PyPI enzyme-ad) when it
    imports, with the tuned and the plain flags; its binary checks Enzyme's
    gradient against the hand-written adjoint before timing it;
  * at the headline size, times every tool built with plain -O2 as well.
Writes benches/report/results.json, REPORT.md and PNG plots (matplotlib,
skipped when absent). Exit status 1 when any check failed.
"""
import datetime
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benches")
SRC = os.path.join(BENCH, "src")
OUT = os.path.join(BENCH, "out")        # build products (git-ignored)
REPORT = os.path.join(BENCH, "report")
PLUGIN_BUILT = os.path.join(ROOT, "target", "release", "libferment.so")
# every compile of one run uses a snapshot of the plugin taken at the start,
# so that a rebuild during the run cannot mix two plugin versions
PLUGIN = os.path.join(OUT, "libferment.snapshot.so")
CC = os.environ.get("CC", "clang-22")
# --plugin-flags: extra flags for every compile that loads the plugin (set by main)
EXTRA_PLUGIN_FLAGS = []
# BLAS benchmarks run single-threaded, like every other tool here (set before running them)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# -fno-math-errno: otherwise every sqrt/exp may write errno, which makes
# functions like mag() impure and blocks LICM (and XLA has no errno either).
# -march=native: XLA compiles for the host CPU, so the C code does too.
CFLAGS = ["-O2", "-march=native", "-fno-math-errno"]
# how users build: plain -O2, no -march=native, C's default -fmath-errno (issue 19); every tool
# (primal, ferment, hand-written, Enzyme) is also built this way and timed at the headline size
PLAIN_CFLAGS = ["-O2"]
# the Enzyme peer (issue 19): PyPI enzyme-ad, run by benches/enzyme/build.py in this interpreter
# (or ENZYME_PYTHON); see that file and benches/README.md for exactly how the builds are made
ENZYME_PY = os.environ.get("ENZYME_PYTHON") or shutil.which("python3.11") or sys.executable
ENZYME_BUILD = os.path.join(BENCH, "enzyme", "build.py")
MEM_LIMIT = 12 << 30  # address-space limit per benchmark process

# name -> (full sizes, quick sizes, headline size index in full, before-opt size filter)
# Headline = the ADBench-like size used in the summary table.
BENCHES = {
    "gmm": dict(full=[[2, 10, 1000], [10, 25, 1000], [20, 50, 1000]], quick=[[2, 5, 200], [10, 25, 200]],
                headline=1, desc="GMM objective with Wishart prior (ADBench)"),
    # the same objective written again in the ADBench C style (int indices, helper functions,
    # lgamma constants, result through a pointer): does our tuning generalize? (issue 19)
    "gmm_adb": dict(full=[[10, 25, 1000], [64, 25, 1000]], quick=[[10, 25, 200], [64, 25, 1000]], headline=1,
                    jax=False, desc="GMM written in the ADBench C style (issue 19)"),
    "ba": dict(full=[[10, 1000, 4000], [49, 7776, 31843], [21, 11315, 36455], [161, 48126, 182072]],
               quick=[[10, 1000, 4000], [49, 7776, 31843]], headline=1,
               desc="bundle adjustment, 0.5|r|^2 (ADBench ba1..ba3 shapes)"),
    "ba_calls": dict(full=[[10, 1000, 4000], [49, 7776, 31843]], quick=[[10, 1000, 4000]], headline=1,
                     plugin_flags=["-mllvm", "-ferment-no-inline"], jax=False,
                     desc="BA with the projection kept as a non-inlined call (issue 7)"),
    "lstm": dict(full=[[2, 1024, 14], [4, 1024, 14], [2, 4096, 14], [4, 4096, 14]],
                 quick=[[2, 256, 14], [2, 1024, 14]], headline=0, desc="multi-layer LSTM loss (ADBench)"),
    "hand": dict(full=[[22, 544], [22, 2000], [22, 8000]], quick=[[22, 544]], headline=0,
                 desc="simplified skinned hand (ADBench-like)"),
    "mlp": dict(full=[[784, 128, 10, 16], [784, 128, 10, 64], [784, 128, 10, 128]],
                quick=[[784, 128, 10, 8], [784, 128, 10, 16]], headline=1,
                desc="MLP 784-128-10, softmax cross-entropy"),
    "mlp_blas": dict(full=[[784, 128, 10, 16], [784, 128, 10, 64], [784, 128, 10, 128]],
                     quick=[[784, 128, 10, 8], [784, 128, 10, 16]], headline=1, libs=["-lopenblas"],
                     jax_as="mlp", enzyme=False,
                     desc="the MLP with one cblas_dgemm per layer (issue 18; OpenBLAS, 1 thread)"),
    "gmm_blas": dict(full=[[2, 10, 1000], [10, 25, 1000], [20, 50, 1000]], quick=[[2, 5, 200], [10, 25, 200]],
                     headline=1, libs=["-lopenblas"], jax_as="gmm", enzyme=False,
                     desc="the GMM with one cblas_dgemm per mixture component (issue 18; OpenBLAS, 1 thread)"),
    "gp": dict(full=[[200, 3], [500, 3], [1000, 3]], quick=[[100, 3], [200, 3]], headline=1,
               libs=["-lopenblas", "-llapacke"], enzyme=False,
               desc="Gaussian-process log-likelihood with LAPACKE_dpotrf/dpotrs (issue 18)"),
    "ode": dict(full=[[16, 1000], [16, 10000], [16, 30000]], quick=[[16, 1000], [16, 3000]], headline=1,
                desc="RK4, 16-dim nonlinear system"),
    "taylor": dict(full=[[10000], [100000], [1000000]], quick=[[100000], [1000000]], headline=2,
                   desc="sum x^i/i, N = 10^6 (issue 6)"),
    "lse": dict(full=[[128000], [1280000]], quick=[[128000], [1280000]], headline=1, jax=False,
                desc="softmax cross-entropy over one long vector, log_sum_exp(x) - t.x (issue 19)"),
    "normalize": dict(full=[[1000], [2000], [4000], [8000], [16000], [32000]], quick=[[1000], [2000], [4000]],
                      headline=0, before_max=4000, alloc_tuned=True, desc="out = in/|in| (issue 6)"),
    "dot": dict(full=[[100000], [1000000], [4000000]], quick=[[100000], [1000000]], headline=1, jax=False,
                desc="dot product of two duplicated arrays (issue 5)"),
    "matvec": dict(full=[[250], [500], [1000]], quick=[[250], [500]], headline=2, jax=False,
                   desc="matrix-vector product on flat arrays, weighted sum (issue 5)"),
    "stencil": dict(full=[[1000, 100], [1000, 1000], [2000, 2000]], quick=[[500, 100], [1000, 300]], headline=1,
                    desc="in-place nonlinear heat equation, T steps (issue 6)"),
    "particles": dict(full=[[250], [1000], [2000]], quick=[[250], [500]], headline=1,
                      desc="Lennard-Jones energy over all pairs inside a cutoff (issue 19)"),
    "csr_jacobi": dict(full=[[100, 20], [300, 20]], quick=[[50, 10], [100, 20]], headline=1,
                       desc="K Jacobi iterations with a CSR matrix, 0.5|x_K|^2 (issue 19)"),
    # shapes outside the ADBench set (twentieth session): two triangular solves (reads of elements
    # the same loop stored earlier), and a convolution layer with ReLU
    "trisolve": dict(full=[[500], [1000], [2000]], quick=[[200], [500]], headline=1, jax=False,
                     desc="forward then back substitution with a dense lower-triangular L, 0.5|x|^2"),
    "conv2d": dict(full=[[4, 64, 8], [8, 128, 16]], quick=[[2, 32, 4], [4, 64, 8]], headline=0, jax=False,
                   desc="3x3 convolution layer + bias + ReLU, 0.5 sum relu^2"),
    # shapes from the twenty-first session (issue 19): a dense Cholesky factorization and solve (a scratch
    # factor written once, element by element, and read in a 3-deep nest), and in-place Gauss-Seidel sweeps
    # (a recurrence through memory behind boundary tests)
    "cholesky": dict(full=[[200], [300], [400]], quick=[[100], [200]], headline=1, jax=False,
                     desc="Cholesky factorization of a dense SPD A, two triangular solves, 0.5|x|^2"),
    "gauss_seidel": dict(full=[[100, 20], [200, 20], [400, 20]], quick=[[50, 10], [100, 20]], headline=1, jax=False,
                         desc="K in-place Gauss-Seidel sweeps, m x m screened Poisson, 0.5|x_K|^2"),
    "stencil_ckpt": dict(full=[[1000, 100], [1000, 1000], [2000, 2000]], quick=[[500, 100], [1000, 300]], headline=1,
                         src="stencil.c", plugin_flags=["-DSTENCIL_CHECKPOINT"], jax=False, enzyme=False,
                         desc="stencil with its time loop checkpointed (__enzyme_checkpoint_for, periodic snapshots)"),
    # C++ (std::vector) RK4 reaction-diffusion (issue 19), and the same program with its time loop an
    # __enzyme_checkpoint_for (snapshots every ceil(sqrt(steps)) steps, recomputation in the reverse sweep)
    "rk4": dict(full=[[10000, 100], [100000, 100]], quick=[[10000, 50]], headline=1, src="rk4.cpp",
                libs=["-lstdc++"], jax=False, enzyme=False,
                desc="C++ RK4 reaction-diffusion, boundary selects, scratch reused every step (issue 19)"),
    "rk4_ckpt": dict(full=[[10000, 100], [100000, 100]], quick=[[10000, 50]], headline=1, src="rk4.cpp",
                     plugin_flags=["-DRK4_CHECKPOINT"], libs=["-lstdc++"], jax=False, enzyme=False,
                     desc="rk4 with its time loop checkpointed (__enzyme_checkpoint_for, periodic snapshots)"),
    # C++ (std::vector) k-means objective sum_i min_k |x_i - c_k|^2 (issue 19): its gradient by reverse
    # mode, and (kmeans_hvp) the gradient and a Hessian-vector product by forward mode over reverse mode;
    # sizes k n d (k=1000 n=10000 d=16 is issue 19's size)
    "kmeans": dict(full=[[25, 1000, 16], [100, 10000, 16], [1000, 10000, 16]], quick=[[25, 1000, 16], [100, 2000, 16]], headline=1,
                   src="kmeans.cpp", libs=["-lstdc++"], jax=False, enzyme=False,
                   desc="C++ k-means objective, min over clusters with std::min, gradient (issue 19)"),
    "kmeans_hvp": dict(full=[[25, 1000, 16], [100, 10000, 16], [1000, 10000, 16]], quick=[[25, 1000, 16], [100, 2000, 16]], headline=1,
                       src="kmeans.cpp", plugin_flags=["-DKMEANS_HVP"], libs=["-lstdc++"], jax=False, enzyme=False,
                       desc="k-means gradient and Hessian-vector product, forward over reverse (issue 19)"),
    # OpenMP (issue 17): run here with libomp's default team (one thread per core); benches/openmp.sh
    # times them with 1 and 2 threads (wall time) and writes report/OPENMP.md
    "omp_stencil": dict(full=[[100000, 50], [400000, 50]], quick=[[20000, 20]], headline=0,
                        plugin_flags=["-fopenmp"], libs=["-fopenmp"], jax=False, enzyme=False,
                        desc="1-D nonlinear heat equation, each Jacobi step an omp parallel for (issue 17)"),
    "omp_particles": dict(full=[[500], [1000], [2000]], quick=[[250]], headline=1,
                          plugin_flags=["-fopenmp"], libs=["-fopenmp"], jax=False, enzyme=False,
                          desc="Lennard-Jones energy, omp parallel for reduction over particles (issue 17)"),
}
ORDER = ["gmm", "gmm_adb", "ba", "ba_calls", "lstm", "hand", "mlp", "mlp_blas", "gmm_blas", "gp", "ode", "taylor", "lse", "normalize", "dot", "matvec", "stencil",
         "stencil_ckpt", "particles", "csr_jacobi", "trisolve", "conv2d", "cholesky", "gauss_seidel", "rk4", "rk4_ckpt", "kmeans", "kmeans_hvp", "omp_stencil", "omp_particles"]
ADBENCH5 = ["gmm", "ba", "lstm", "mlp", "ode"]  # the set issue 8's geometric-mean target names


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT, MEM_LIMIT))


# ------------------------------------------------------------------ build
def compile_timed(src, obj, extra, reps):
    """median CPU time (user + system of the clang process) of one compile,
    and its median wall time"""
    cmd = [CC] + CFLAGS + extra + ["-I", os.path.join(ROOT, "runtime", "include"), "-c", src, "-o", obj]
    cpu, wall = [], []
    for _ in range(reps):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        r = sh(cmd)
        wall.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
        if r.returncode != 0:
            return None, None, r.stderr.strip()
    return statistics.median(cpu), statistics.median(wall), ""


def text_size(obj):
    """bytes of executable code in an object file (`size` .text column)"""
    r = sh(["size", obj])
    try:
        return int(r.stdout.splitlines()[1].split()[0])
    except (IndexError, ValueError):
        return None


def ferment_pass_time(src, extra):
    """seconds LLVM's -ftime-report charges to the ferment pass itself"""
    cmd = [CC] + CFLAGS + extra + ["-I", os.path.join(ROOT, "runtime", "include"), "-c", src, "-o",
                                   os.path.join(OUT, "timereport.o"), "-ftime-report"]
    r = sh(cmd)
    for line in r.stderr.splitlines():
        if "FermentPass" in line:
            cols = re.findall(r"([0-9.]+)\s*\(", line)  # user, system, user+system, wall
            return float(cols[2]) if len(cols) >= 3 else None
    return None


def source_flags(name):
    """the flags among a benchmark's plugin_flags that change the source
    compiled (-D..., -fopenmp), not the plugin: the compile without the
    plugin takes them too, so that the two compiles differ by the plugin only"""
    out, skip = [], False
    for f in BENCHES[name].get("plugin_flags", []):
        if skip or f == "-mllvm":
            skip = f == "-mllvm"
            continue
        out.append(f)
    return out


def build(name, reps, st):
    """Compile one benchmark three ways (timed) and link the two plugin builds."""
    src = os.path.join(SRC, BENCHES[name].get("src", name + ".c"))
    res = {}
    plug = ["-fpass-plugin=" + PLUGIN] + BENCHES[name].get("plugin_flags", []) + EXTRA_PLUGIN_FLAGS
    for key, obj, extra in (("plain", name + ".plain.o", source_flags(name)), ("plugin", name + ".o", plug),
                            ("before", name + ".before.o", plug + ["-mllvm", "-ferment-before-opt"])):
        cpu, wall, err = compile_timed(src, os.path.join(OUT, obj), extra, reps)
        res["compile_%s_s" % key] = cpu
        res["compile_%s_wall_s" % key] = wall
        res["text_%s" % key] = text_size(os.path.join(OUT, obj)) if cpu is not None else None
        if cpu is None and key != "plain":
            res["build_error" if key == "plugin" else "build_error_before"] = err
    res["ferment_pass_s"] = ferment_pass_time(src, plug)
    harness = os.path.join(OUT, "harness.o")
    for variant, obj in (("after", name + ".o"), ("before", name + ".before.o")):
        o = os.path.join(OUT, obj)
        if not os.path.exists(o) or res.get("build_error" if variant == "after" else "build_error_before"):
            continue
        exe = os.path.join(OUT, name + ("" if variant == "after" else ".before"))
        r = sh([CC, o, harness, "-lm"] + BENCHES[name].get("libs", []) + ["-o", exe])
        if r.returncode != 0:
            res["link_error_" + variant] = r.stderr.strip()
    return res


def build_plainflags(name):
    """the ferment build with PLAIN_CFLAGS (linked with the same harness)"""
    src = os.path.join(SRC, BENCHES[name].get("src", name + ".c"))
    obj = os.path.join(OUT, name + ".plainflags.o")
    cmd = [CC] + PLAIN_CFLAGS + ["-fpass-plugin=" + PLUGIN] + BENCHES[name].get("plugin_flags", []) + \
        EXTRA_PLUGIN_FLAGS + ["-I", os.path.join(ROOT, "runtime", "include"), "-c", src, "-o", obj]
    r = sh(cmd)
    if r.returncode != 0:
        return None, r.stderr.strip()
    exe = os.path.join(OUT, name + ".plainflags")
    r = sh([CC, obj, os.path.join(OUT, "harness.o"), "-lm"] + BENCHES[name].get("libs", []) + ["-o", exe])
    return (exe, "") if r.returncode == 0 else (None, r.stderr.strip())


def have_enzyme():
    try:
        r = sh([ENZYME_PY, ENZYME_BUILD, "--check"])
    except OSError:  # no such interpreter
        return False
    return r.returncode == 0


def build_enzyme(name, flags, tag):
    """The Enzyme build of one benchmark: clang-22 FLAGS emits the front end's IR (no LLVM
    passes), enzyme/build.py runs Enzyme's O3 pipeline with Enzyme in it (all
    __enzyme_autodiff calls) and downgrades the IR, clang-22 FLAGS generates code from it
    (no second optimization pipeline), linked with harness.o. Returns (exe, info)."""
    src = os.path.join(SRC, BENCHES[name].get("src", name + ".c"))
    base = os.path.join(OUT, "%s.enzyme%s" % (name, tag))
    info = {}
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    steps = [
        ("emit", [CC] + flags + ["-Xclang", "-disable-llvm-passes", "-S", "-emit-llvm", "-I",
                                 os.path.join(ROOT, "runtime", "include"), src, "-o", base + ".in.ll"]),
        ("enzyme", [ENZYME_PY, ENZYME_BUILD, base + ".in.ll", base + ".ll"]),
        ("codegen", [CC] + flags + ["-Wno-override-module", "-Xclang", "-disable-llvm-optzns", "-c", base + ".ll",
                                    "-o", base + ".o"]),
    ]
    for step, cmd in steps:
        r = sh(cmd, timeout=600)
        diag = "\n".join(l for l in r.stderr.splitlines()
                         if l.strip() and "amx-tf32" not in l and "Linking two modules" not in l)
        if step == "enzyme" and diag:
            # Enzyme reports some failures as diagnostics and still writes a module
            info["enzyme_diag"] = diag[:2000]
        if r.returncode != 0:
            info["error"] = "%s step failed: %s" % (step, (diag or "exit status %d" % r.returncode)[-1500:])
            return None, info
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    info["compile_s"] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    r = sh([CC, base + ".o", os.path.join(OUT, "harness.o"), "-lm", "-o", base])
    if r.returncode != 0:
        info["error"] = "link failed: " + r.stderr.strip()[-1500:]
        return None, info
    return base, info


def run_enzyme(exe, sizes, opts):
    """Enzyme's gradient takes the place of ferment's in its binary: the harness checks it
    against the hand-written adjoint (CHECK FAILED = wrong gradient, not timed), then times it."""
    res, msg = run_c(exe, sizes, opts, tools="ferment")
    if res is None:
        wrong = "CHECK FAILED" in msg
        return {"enzyme_wrong" if wrong else "enzyme_error": msg[-1500:]}
    return {"enzyme_s": res["ferment_s"], "enzyme_wall_s": res.get("ferment_wall_s"),
            "enzyme_heap": res.get("ferment_heap"), "enzyme_ad_err": res.get("ad_err")}


# ------------------------------------------------------------------ running
def parse_result(stdout):
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return None


# glibc returns freed memory above these thresholds to the OS, so a tape that is
# allocated and freed on every call page-faults again on every call; with these
# settings the heap keeps it (used for one extra, clearly labelled measurement)
TUNED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 31)}


def run_c(exe, sizes, opts, tools=None, timeout=600, env=None):
    cmd = [exe] + opts + ([] if tools is None else ["--tools", tools]) + [str(s) for s in sizes]
    full_env = None
    if env:
        full_env = dict(os.environ)
        full_env.update(env)
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=limit_memory,
                           env=full_env)
    except subprocess.TimeoutExpired:
        return None, "timeout after %ds" % timeout
    res = parse_result(r.stdout)
    msg = r.stderr.strip()
    if r.returncode != 0 or res is None:
        if r.returncode < 0:
            msg += " (killed by signal %d%s)" % (-r.returncode, ", likely the memory limit" if r.returncode in (-6, -11) else "")
        return None, msg or ("exit status %d" % r.returncode)
    return res, msg


def have_jax():
    r = sh([sys.executable, "-c", "import jax, numpy"])
    return r.returncode == 0


def run_jax(name, sizes, opts, timeout=600):
    cmd = [sys.executable, os.path.join(BENCH, "jax", "run_jax.py"), BENCHES[name].get("jax_as", name)] + opts + [str(s) for s in sizes]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    res = parse_result(r.stdout)
    if res is None:
        return None, r.stderr.strip()[-2000:]
    return res, ""


# ------------------------------------------------------------------ machine
def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = "%.1f GiB" % (kb / 2**20)
    except (OSError, ValueError, IndexError):
        pass
    git = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.strip()
    dirty = sh(["git", "-C", ROOT, "status", "--porcelain", "--", "plugin"]).stdout.strip()
    plugin_commit = sh(["git", "-C", ROOT, "log", "-1", "--format=%h", "--", "plugin"]).stdout.strip()
    cc = sh([CC, "--version"]).stdout.splitlines()
    mtime = datetime.datetime.fromtimestamp(os.path.getmtime(PLUGIN)).strftime("%Y-%m-%d %H:%M:%S") if os.path.exists(PLUGIN) else "missing"
    digest = ""
    if os.path.exists(PLUGIN):
        import hashlib
        with open(PLUGIN, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:12]
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S %Z").strip(),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "compiler": cc[0] if cc else CC,
        "cflags": " ".join(CFLAGS),
        "git_head": git,
        "plugin_last_commit": plugin_commit,
        "plugin_worktree_modified": bool(dirty),
        "plugin_built": mtime,
        "plugin_sha256": digest,
    }


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


# ------------------------------------------------------------------ main
def main():
    args = sys.argv[1:]
    quick = "--quick" in args
    no_jax = "--no-jax" in args
    no_enzyme = "--no-enzyme" in args
    no_plain = "--no-plain-flags" in args
    report_only = "--report-only" in args
    only = None
    if "--only" in args:
        only = args[args.index("--only") + 1].split(",")
    report_dir = REPORT if not quick else os.path.join(OUT, "quick-report")
    if "--out" in args:
        report_dir = os.path.abspath(args[args.index("--out") + 1])
    if "--plugin-flags" in args:
        EXTRA_PLUGIN_FLAGS[:] = args[args.index("--plugin-flags") + 1].split()
    if "-ferment-tape-arena" in EXTRA_PLUGIN_FLAGS:
        # the tape arena reserves 32 GiB of address space (PROT_NONE); under the 12 GiB limit
        # that reservation fails and the arena serves nothing (reverse/tape/arena.c)
        global MEM_LIMIT
        MEM_LIMIT += 33 << 30
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(report_dir, exist_ok=True)
    results_path = os.path.join(report_dir, "results.json")
    if report_only:
        with open(results_path) as f:
            data = json.load(f)
        import report
        report.write(data, report_dir)
        return 0

    if not os.path.exists(PLUGIN_BUILT):
        log("building the plugin (cargo build --release -p ferment) ...")
        r = subprocess.run(["cargo", "build", "--release", "-p", "ferment"], cwd=ROOT)
        if r.returncode != 0:
            log("plugin build failed")
            return 2
    if shutil.which(CC) is None:
        log(CC + " not found")
        return 2

    mode = "quick" if quick else "full"
    c_opts = ["--reps", "3", "--max-sec", "0.4", "--min-sample-ms", "10"] if quick else \
        ["--reps", "9", "--max-sec", "2", "--min-sample-ms", "20"]
    compile_reps = 1 if quick else 5
    jax_ok = (not no_jax) and have_jax()
    if not jax_ok:
        log("JAX peer: " + ("disabled (--no-jax)" if no_jax else "jax/numpy not importable: skipped"))

    enzyme_ok = (not no_enzyme) and have_enzyme()
    if not enzyme_ok:
        log("Enzyme peer: " + ("disabled (--no-enzyme)" if no_enzyme else
                               "enzyme_ad not importable by %s: skipped (install: %s -m pip install enzyme-ad; "
                               "python3.11, or set ENZYME_PYTHON)" % (ENZYME_PY, ENZYME_PY)))

    shutil.copy2(PLUGIN_BUILT, PLUGIN)
    r = sh([CC] + CFLAGS + ["-c", os.path.join(SRC, "harness.c"), "-o", os.path.join(OUT, "harness.o")])
    if r.returncode != 0:
        log(r.stderr)
        return 2

    enzyme_version = sh([ENZYME_PY, "-c", "import importlib.metadata as m; print(m.version('enzyme-ad'))"]).stdout.strip() \
        if enzyme_ok else None
    data = {"mode": mode, "machine": machine_info(), "jax": jax_ok, "enzyme": enzyme_ok, "benches": {}, "order": ORDER,
            "enzyme_version": enzyme_version,
            "plain_cflags": None if no_plain else " ".join(PLAIN_CFLAGS),
            "extra_plugin_flags": " ".join(EXTRA_PLUGIN_FLAGS),
            "loadavg_start": loadavg()}
    failures = 0
    t_start = time.time()
    for name in ORDER:
        if only and name not in only:
            continue
        cfg = BENCHES[name]
        sizes_list = cfg["quick"] if quick else cfg["full"]
        log("== %s: building (compile timed %dx per variant)" % (name, compile_reps))
        b = build(name, compile_reps, None)
        entry = {"desc": cfg["desc"], "build": b, "runs": [],
                 "headline": min(cfg["headline"], len(sizes_list) - 1) if not quick else len(sizes_list) - 1}
        if b.get("build_error"):
            log("   BUILD FAILED with the plugin:\n" + b["build_error"])
            failures += 1
        enz = {}
        if enzyme_ok and cfg.get("enzyme", True):
            for tag, flags in (("", CFLAGS), (".plainflags", PLAIN_CFLAGS if not no_plain else None)):
                if flags is None:
                    continue
                exe, info = build_enzyme(name, flags, tag)
                enz[tag] = exe
                b["enzyme" + tag.replace(".", "_")] = info
                if info.get("error"):
                    log("   Enzyme build%s failed: %s" % (tag, info["error"][-400:]))
        pexe = None
        if not no_plain:
            pexe, perr = build_plainflags(name)
            if perr:
                b["build_error_plainflags"] = perr
                log("   plain-flags build FAILED with the plugin:\n" + perr)
                failures += 1
        for sizes in sizes_list:
            run = {"sizes": sizes}
            exe = os.path.join(OUT, name)
            if os.path.exists(exe) and not b.get("build_error") and not b.get("link_error_after"):
                res, msg = run_c(exe, sizes, c_opts)
                if res is None:
                    run["error"] = msg
                    failures += 1
                    log("   %s %s: FAILED\n%s" % (name, sizes, msg))
                else:
                    run.update(res)
                    log("   %s: primal %.3g s, ferment %.3g s, hand %.3g s  [%s]" % (
                        res["size"], res["primal_s"], res["ferment_s"], res["hand_s"], msg.splitlines()[-1] if msg else ""))
            if cfg.get("alloc_tuned") and "ferment_s" in run:
                res, msg = run_c(exe, sizes, c_opts + ["--no-check"], tools="ferment,hand", env=TUNED_MALLOC)
                if res is not None:
                    run["ferment_tuned_s"] = res["ferment_s"]
                    run["hand_tuned_s"] = res["hand_s"]
                    log("   with glibc trim/mmap thresholds raised: ferment %.3g s" % res["ferment_s"])
            before_max = cfg.get("before_max")
            bexe = os.path.join(OUT, name + ".before")
            if before_max is not None and sizes[0] > before_max:
                run["before_skipped"] = "O(n^2) before optimization: skipped above n=%d" % before_max
            elif os.path.exists(bexe) and not b.get("build_error_before") and not b.get("link_error_before"):
                res, msg = run_c(bexe, sizes, c_opts, tools="ferment")
                if res is None:
                    run["before_error"] = msg
                    failures += 1
                    log("   before-opt %s: FAILED\n%s" % (sizes, msg))
                else:
                    run["before_s"] = res["ferment_s"]
                    run["before_heap"] = res["ferment_heap"]
                    run["before_leak"] = res.get("ferment_leak")
                    log("   before-opt: ferment %.3g s" % res["ferment_s"])
            if jax_ok and BENCHES[name].get("jax", True):
                res, msg = run_jax(name, sizes, c_opts)
                if res is None:
                    run["jax_error"] = msg
                    log("   JAX %s: failed: %s" % (sizes, msg[-500:]))
                else:
                    run["jax_grad_s"] = res["jax_grad_s"]
                    run["jax_primal_s"] = res["jax_primal_s"]
                    run["jax_grad_wall_s"] = res.get("jax_grad_wall_s")
                    run["jax_compile_s"] = res["jax_compile_s"]
                    run["jax_checksum"] = res["checksum"]
                    run["jax_version"] = res.get("jax_version")
                    if "checksum" in run:
                        c, j = run["checksum"], res["checksum"]
                        run["jax_agrees"] = abs(c - j) <= 1e-6 * max(abs(c), abs(j), 1e-12)
                    log("   JAX: grad %.3g s (compile %.2g s)%s" % (
                        res["jax_grad_s"], res["jax_compile_s"],
                        "" if run.get("jax_agrees", True) else "  GRADIENT CHECKSUM DIFFERS FROM C"))
            if enz.get(""):
                run.update(run_enzyme(enz[""], sizes, c_opts))
                # ferment timed the same way (its binary timing that tool alone), for the
                # ferment/Enzyme ratio: interleaved with the primal and the hand-written
                # adjoint, a gradient measures slower (cache and frequency effects)
                if "ferment_s" in run:
                    res, _ = run_c(exe, sizes, c_opts + ["--no-check"], tools="ferment")
                    if res is not None:
                        run["ferment_alone_s"] = res["ferment_s"]
                log("   Enzyme: " + ("grad %.3g s" % run["enzyme_s"] if "enzyme_s" in run else
                                     "WRONG GRADIENT" if "enzyme_wrong" in run else "failed"))
            is_headline = len(entry["runs"]) == entry["headline"]
            if is_headline and not no_plain:
                pl = {"flags": " ".join(PLAIN_CFLAGS)}
                if pexe:
                    res, msg = run_c(pexe, sizes, c_opts)
                    if res is None:
                        pl["error"] = msg[-1500:]
                        failures += 1
                        log("   plain flags %s: FAILED\n%s" % (sizes, msg))
                    else:
                        for k in ("primal_s", "ferment_s", "hand_s", "ferment_heap", "ad_err"):
                            pl[k] = res.get(k)
                if enz.get(".plainflags"):
                    pl.update(run_enzyme(enz[".plainflags"], sizes, c_opts))
                    if pexe and pl.get("ferment_s"):
                        res, _ = run_c(pexe, sizes, c_opts + ["--no-check"], tools="ferment")
                        if res is not None:
                            pl["ferment_alone_s"] = res["ferment_s"]
                run["plainflags"] = pl
                log("   plain flags: " + ", ".join("%s %.3g s" % (k[:-2], pl[k]) for k in
                                                   ("primal_s", "ferment_s", "hand_s", "enzyme_s") if pl.get(k)))
            if is_headline and "-lopenblas" in BENCHES[name].get("libs", []):
                # issue 18: the BLAS benchmarks once more with OpenBLAS threaded (2 threads, one
                # per core here); wall time is what a threaded call saves, so both are kept
                res, msg = run_c(exe, sizes, c_opts + ["--no-check"], env={"OPENBLAS_NUM_THREADS": "2"})
                if res is None:
                    run["blas_threads2_error"] = msg[-1500:]
                    log("   OpenBLAS 2 threads %s: FAILED\n%s" % (sizes, msg))
                else:
                    run["blas_threads2"] = {k: res.get(k) for k in (
                        "primal_s", "ferment_s", "hand_s", "primal_wall_s", "ferment_wall_s", "hand_wall_s")}
                    log("   OpenBLAS 2 threads: wall primal %.3g s, ferment %.3g s, hand %.3g s" % (
                        res["primal_wall_s"], res["ferment_wall_s"], res["hand_wall_s"]))
            entry["runs"].append(run)
        data["benches"][name] = entry
    data["elapsed_s"] = time.time() - t_start
    data["loadavg_end"] = loadavg()
    if only and os.path.exists(results_path):
        # merge into the previous results so a partial rerun keeps the rest
        with open(results_path) as f:
            old = json.load(f)
        if old.get("mode") == mode:
            old["benches"].update(data["benches"])
            old["machine"] = data["machine"]
            old["order"] = data["order"]  # a benchmark added since the full run takes its place
            data = old
    with open(results_path, "w") as f:
        json.dump(data, f, indent=1)
    if not only or "batched" in only:
        # Batched forward mode (issue 15): its own programs and table, included by report.py.
        r = subprocess.run(["bash", os.path.join(ROOT, "benches", "batched.sh"),
                            os.path.join(report_dir, "BATCHED.md")] + (["--no-jax"] if not jax_ok else []),
                           capture_output=True, text=True)
        if r.returncode != 0:
            failures += 1
            log("batched: FAILED\n%s" % (r.stdout + r.stderr)[-1500:])
        else:
            log("batched: " + " ".join(l for l in r.stdout.splitlines() if l.startswith("- ")))
    import report
    report.write(data, report_dir)
    log("wrote %s (%.0f s)" % (os.path.join(report_dir, "REPORT.md"), data["elapsed_s"]))
    if failures:
        log("%d failure(s): see the report" % failures)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
