#!/usr/bin/env python3
"""A/B of one plugin option on the same plugin build, benchmark by benchmark.

usage: python3 benches/ab_flags.py --flags "-mllvm -ferment-X" [--plugin P.so] [--only a,b]
                                   [--rounds 3] [--all-sizes] [--out DIR]
                                   [--base-flags "-mllvm -Y"]

Builds every benchmark of benches/run.py (its headline size; every full size
with --all-sizes) four ways: the tuned flags (-O2 -march=native -fno-math-errno)
and the plain flags (-O2), each without (A) and with (B) --flags, all with the
same plugin (default target/release/libferment.so, copied first); --base-flags
go to A and B alike (e.g. -mllvm -align-all-functions=6, to take code
placement out of the comparison). Each B binary
runs the harness's check once (hand-written adjoint against finite differences,
ferment against the hand-written one). Then, for --rounds rounds, runs every
A and B binary back to back, alternating which goes first, timing the primal and
the ferment gradient (--tools primal,ferment). Prints per benchmark and flag set
the median ferment time of A and B, their ratio B/A, and the same ratio with
each run's time divided by its own primal time (less sensitive to the load of
the machine changing between runs). Writes DIR/ab.json (default a new /tmp dir).
One process at a time. Exit status 1 when a build or a check failed.

Every run has run.py's address-space limit raised by 33 GiB: the tape arena
(-ferment-tape-arena) reserves 32 GiB of address space (PROT_NONE), which under
run.py's own 12 GiB limit fails, and the arena then serves nothing. Binaries
already in DIR are reused (a second run with the same DIR only times).
"""
import json
import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (benches/run.py: BENCHES, ORDER, flags, run_c)

# room for the tape arena's 32 GiB reservation (see above)
run.MEM_LIMIT += 33 << 30
HARNESS_OPTS = ["--reps", "5", "--max-sec", "1", "--min-sample-ms", "20"]


def arg(args, name, default=None):
    return args[args.index(name) + 1] if name in args else default


def build(out, name, cflags, extra, tag):
    cfg = run.BENCHES[name]
    src = os.path.join(run.SRC, cfg.get("src", name + ".c"))
    obj = os.path.join(out, "%s.%s.o" % (name, tag))
    exe = os.path.join(out, "%s.%s" % (name, tag))
    if os.path.exists(exe):
        return exe, ""
    r = run.sh([run.CC] + cflags + ["-fpass-plugin=" + run.PLUGIN] + cfg.get("plugin_flags", []) + extra +
               ["-I", os.path.join(run.ROOT, "runtime", "include"), "-c", src, "-o", obj])
    if r.returncode != 0:
        return None, r.stderr.strip()[-1500:]
    r = run.sh([run.CC, obj, os.path.join(out, "harness.o"), "-lm"] + cfg.get("libs", []) + ["-o", exe])
    return (exe, "") if r.returncode == 0 else (None, r.stderr.strip()[-1500:])


def main():
    args = sys.argv[1:]
    flags = arg(args, "--flags", "").split()
    base = arg(args, "--base-flags", "").split()
    if not flags:
        print(__doc__, file=sys.stderr)
        return 2
    plugin = arg(args, "--plugin", run.PLUGIN_BUILT)
    only = arg(args, "--only")
    only = only.split(",") if only else None
    rounds = int(arg(args, "--rounds", "3"))
    out = os.path.abspath(arg(args, "--out") or tempfile.mkdtemp(prefix="ab-flags."))
    os.makedirs(out, exist_ok=True)
    run.PLUGIN = os.path.join(out, "libferment.so")
    shutil.copy2(plugin, run.PLUGIN)
    r = run.sh([run.CC] + run.CFLAGS + ["-c", os.path.join(run.SRC, "harness.c"), "-o", os.path.join(out, "harness.o")])
    if r.returncode != 0:
        print(r.stderr, file=sys.stderr)
        return 2
    sets = (("tuned", run.CFLAGS), ("plain", run.PLAIN_CFLAGS))
    jobs, failures = [], 0
    for name in run.ORDER:
        if only and name not in only:
            continue
        cfg = run.BENCHES[name]
        sizes = cfg["full"] if "--all-sizes" in args else [cfg["full"][cfg["headline"]]]
        for set_name, cflags in sets:
            exes = {}
            for ab, extra in (("A", base), ("B", base + flags)):
                exe, err = build(out, name, cflags, extra, set_name + ab)
                if exe is None:
                    run.log("%s %s %s: build FAILED\n%s" % (name, set_name, ab, err))
                    failures += 1
                exes[ab] = exe
            if not exes["A"] or not exes["B"]:
                continue
            for sz in sizes:
                res, msg = run.run_c(exes["B"], sz, ["--check-only"])
                if res is None and "CHECK FAILED" in msg:
                    run.log("%s %s %s: B CHECK FAILED\n%s" % (name, set_name, sz, msg[-1500:]))
                    failures += 1
                    continue
                jobs.append({"bench": name, "set": set_name, "sizes": sz, "exe": exes, "A": [], "B": []})
    run.log("%d rows, %d rounds" % (len(jobs), rounds))
    for k in range(rounds):
        for i, j in enumerate(jobs):
            order = ("A", "B") if (k + i) % 2 == 0 else ("B", "A")
            for ab in order:
                res, msg = run.run_c(j["exe"][ab], j["sizes"], HARNESS_OPTS + ["--no-check"], tools="primal,ferment")
                if res is None:
                    run.log("%s %s %s %s: run FAILED: %s" % (j["bench"], j["set"], j["sizes"], ab, msg[-500:]))
                    failures += 1
                    continue
                j[ab].append({"ferment_s": res["ferment_s"], "primal_s": res["primal_s"],
                              "ferment_heap": res.get("ferment_heap"), "load": run.loadavg()})
        run.log("round %d of %d done (load %s)" % (k + 1, rounds, run.loadavg()))
    print("| benchmark | flags | sizes | A ferment s | B ferment s | B/A | B/A per primal |")
    print("|---|---|---|---:|---:|---:|---:|")
    for j in jobs:
        if not j["A"] or not j["B"]:
            continue
        fa = statistics.median(x["ferment_s"] for x in j["A"])
        fb = statistics.median(x["ferment_s"] for x in j["B"])
        ra = statistics.median(x["ferment_s"] / x["primal_s"] for x in j["A"])
        rb = statistics.median(x["ferment_s"] / x["primal_s"] for x in j["B"])
        j.update(median_A=fa, median_B=fb, ratio=fb / fa, ratio_per_primal=rb / ra)
        print("| %s | %s | %s | %.4g | %.4g | %.3f | %.3f |" % (
            j["bench"], j["set"], " ".join(map(str, j["sizes"])), fa, fb, fb / fa, rb / ra), flush=True)
    with open(os.path.join(out, "ab.json"), "w") as f:
        json.dump({"flags": flags, "base_flags": base, "rounds": rounds, "harness_opts": HARNESS_OPTS, "rows": jobs}, f, indent=1)
    run.log("outputs in " + out)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
