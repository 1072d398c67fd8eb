#!/usr/bin/env python3
"""Where the compile time of each benchmark goes, with and without the plugin.

usage: python3 benches/compile_profile.py [--reps N] [--only a,b] [--json FILE]
                                          [--plugin SO[,SO2]] [--time] [--codegen]
                                          [--functions N]

For every benchmark of benches/run.py (same sources, flags and plugin flags):
  * the CPU time (user + system) of clang-22 without the plugin (the AD call
    stays an external call) and with it, median of N runs; with two plugins
    (--plugin OLD,NEW) the runs alternate between them, so that a change in
    the machine's load hits both alike;
  * -ftime-report of the plugin build: the seconds of ferment's own passes
    (FermentPass, FermentLanesPass) and the passes whose time grew most
    against the build without the plugin (the derivative's own optimization
    and code generation);
  * the size of ferment's functions (derivatives and their helpers) when the
    host's vectorizer starts on them, and in the optimized module, beside the
    rest of the file (the derivative is optimized and compiled like any other
    code of its size: the overhead grows with its optimized share, diluted
    by the front end's fixed cost in small files);
  * with --time, the plugin's per-phase times (FERMENT_TIME=1);
  * with --codegen, the code generation CPU time of three parts of the
    optimized module, each extracted alone (llvm-extract) and compiled by
    clang-22 with the same flags but no IR passes, median of N, less the
    time of an empty module: ferment's functions, the hand-written adjoint
    (functions whose name contains "hand") and the rest. The plain build
    generates code for the last two, the plugin's for all three: ferment's
    time over theirs is what no trimming of ferment's own pass removes;
  * with --functions N, the N functions of the optimized module whose code
    generation costs most, each extracted and compiled alone the same way
    (median of --reps runs, empty module subtracted), with their instruction
    counts: which derivative, augmented forward or reverse copy to shrink.
Prints a table; --json writes the numbers. Needs no report directory and
writes only under benches/out/.
"""
import json
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (benches/run.py: sources, flags, plugin flags)

OUT = os.path.join(run.OUT, "compile-profile")


def source(name):
    return os.path.join(run.SRC, run.BENCHES[name].get("src", name + ".c"))


def flags(name, plugin):
    extra = run.source_flags(name)
    if plugin:
        extra = ["-fpass-plugin=" + plugin] + run.BENCHES[name].get("plugin_flags", [])
    return [run.CC] + run.CFLAGS + extra + ["-I", os.path.join(run.ROOT, "runtime", "include"),
                                            "-c", source(name)]


def cpu_time(cmd, env=None):
    import resource
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise RuntimeError(" ".join(cmd) + "\n" + r.stderr[-2000:])
    return (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), r.stderr


def pass_times(stderr):
    """user+system seconds per pass of the 'Pass execution timing report'"""
    out, on = {}, False
    for line in stderr.splitlines():
        if "Pass execution timing report" in line:
            on = True
            continue
        if on and "===---" in line and out:
            break
        if not on:
            continue
        cols = re.findall(r"([0-9.]+)\s*\(\s*[0-9.]+%\)", line)
        if len(cols) >= 3:
            name = re.sub(r"^\s*(?:[0-9.]+\s*\(\s*[0-9.]+%\)\s*)+", "", line).strip()
            name = re.sub(r" #\d+$", "", name)
            if name != "Total":
                out[name] = out.get(name, 0.0) + float(cols[2])
    return out


def function_sizes(text):
    """instructions per function of printed IR (the first print of each)"""
    sizes, cur, n = {}, None, 0
    for line in text.splitlines():
        if line.startswith("define "):
            m = re.search(r"@([^(]+)\(", line)
            cur, n = (m.group(1).strip('"') if m else "?"), 0
        elif cur and line == "}":
            sizes.setdefault(cur, n)
            cur = None
        elif cur and line.startswith("  ") and not line.strip().startswith(";"):
            n += 1
    return sizes


def sizes_before_vectorizer(name, plugin):
    """instructions per function when LoopVectorize starts on it"""
    cmd = flags(name, plugin) + ["-o", os.path.join(OUT, name + ".o"),
                                 "-mllvm", "-print-before=loop-vectorize"]
    return function_sizes(cpu_time(cmd)[1])


def sizes_optimized(name, plugin):
    """instructions per function of the optimized module (what code generation gets)"""
    r = subprocess.run(flags(name, plugin)[:-1] + ["-S", "-emit-llvm", "-o", "-",
                                                   source(name)],
                       capture_output=True, text=True)
    return function_sizes(r.stdout)


LLVM_EXTRACT = os.environ.get("LLVM_EXTRACT", "llvm-extract-22")
PARTS = (("ferment", r"^ferment\..*"), ("hand", r".*hand.*"))


def codegen_times(name, plugin, reps):
    """code generation seconds (CPU, median of reps, empty module subtracted)
    of ferment's functions, the hand-written adjoint and the rest"""
    ll = os.path.join(OUT, name + ".opt.ll")
    r = subprocess.run(flags(name, plugin)[:-1] + ["-S", "-emit-llvm", "-o", ll, source(name)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    text = open(ll).read()
    defined = [m.strip('"') for m in re.findall(r"^define [^@]*@(\"[^\"]+\"|[^(]+)\(", text, re.M)]
    groups = {k: [f for f in defined if re.fullmatch(rx, f)] for k, rx in PARTS}
    groups["hand"] = [f for f in groups["hand"] if f not in groups["ferment"]]
    taken = set(groups["ferment"]) | set(groups["hand"])
    groups["rest"] = [f for f in defined if f not in taken]
    header = "".join(l + "\n" for l in text.splitlines()
                     if l.startswith("target ") or l.startswith("source_filename"))
    files = {}
    empty = os.path.join(OUT, name + ".empty.ll")
    with open(empty, "w") as f:
        f.write(header + "define void @ferment_empty() {\n  ret void\n}\n")
    files["empty"] = empty
    for k, fns in groups.items():
        if not fns:
            continue
        out = os.path.join(OUT, "%s.%s.bc" % (name, k))
        cmd = [LLVM_EXTRACT, ll, "-o", out] + ["--func=" + f for f in fns]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(" ".join(cmd) + "\n" + r.stderr[-2000:])
        files[k] = out
    cg = [run.CC] + run.CFLAGS + ["-Wno-override-module", "-Xclang", "-disable-llvm-passes", "-c"]
    times = {k: [] for k in files}
    for _ in range(reps):
        for k, path in files.items():
            times[k].append(cpu_time(cg + [path, "-o", os.path.join(OUT, name + ".part.o")])[0])
    base = statistics.median(times.pop("empty"))
    return {k: max(0.0, statistics.median(t) - base) for k, t in times.items()}


def function_codegen_times(name, plugin, reps, top):
    """the `top` functions of the optimized module with the most code
    generation CPU seconds (each alone, median of reps, empty module
    subtracted), as (seconds, instructions, name)"""
    ll = os.path.join(OUT, name + ".fn.ll")
    r = subprocess.run(flags(name, plugin)[:-1] + ["-S", "-emit-llvm", "-o", ll, source(name)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    text = open(ll).read()
    sizes = function_sizes(text)
    header = "".join(l + "\n" for l in text.splitlines()
                     if l.startswith("target ") or l.startswith("source_filename"))
    empty = os.path.join(OUT, name + ".empty.ll")
    with open(empty, "w") as f:
        f.write(header + "define void @ferment_empty() {\n  ret void\n}\n")
    files = {"": empty}
    for i, fn in enumerate(sizes):
        out = os.path.join(OUT, "%s.fn%d.bc" % (name, i))
        r = subprocess.run([LLVM_EXTRACT, ll, "-o", out, "--func=" + fn], capture_output=True, text=True)
        if r.returncode == 0:
            files[fn] = out
    cg = [run.CC] + run.CFLAGS + ["-Wno-override-module", "-Xclang", "-disable-llvm-passes", "-c"]
    times = {k: [] for k in files}
    for _ in range(reps):
        for k, path in files.items():
            times[k].append(cpu_time(cg + [path, "-o", os.path.join(OUT, name + ".part.o")])[0])
    base = statistics.median(times.pop(""))
    rows = [(max(0.0, statistics.median(t) - base), sizes[k], k) for k, t in times.items()]
    return sorted(rows, reverse=True)[:top]


def ferment_phases(stderr):
    return [l for l in stderr.splitlines() if l.startswith("ferment-time")]


def main():
    args = sys.argv[1:]
    reps = int(args[args.index("--reps") + 1]) if "--reps" in args else 5
    only = args[args.index("--only") + 1].split(",") if "--only" in args else run.ORDER
    plugins = (args[args.index("--plugin") + 1].split(",") if "--plugin" in args
               else [os.environ.get("FERMENT_PLUGIN", run.PLUGIN_BUILT)])
    plugins = [os.path.abspath(p) for p in plugins]
    os.makedirs(OUT, exist_ok=True)
    results = {}
    for name in only:
        res = {"plain_s": [], "plugin_s": [[] for _ in plugins]}
        obj = ["-o", os.path.join(OUT, name + ".o")]
        for _ in range(reps):
            res["plain_s"].append(cpu_time(flags(name, None) + obj)[0])
            for i, p in enumerate(plugins):
                res["plugin_s"][i].append(cpu_time(flags(name, p) + obj)[0])
        res["plain_s"] = statistics.median(res["plain_s"])
        res["plugin_s"] = [statistics.median(t) for t in res["plugin_s"]]
        base = pass_times(cpu_time(flags(name, None) + obj + ["-ftime-report"])[1])
        res["per_plugin"] = []
        for p in plugins:
            env = dict(os.environ, FERMENT_TIME="1") if "--time" in args else None
            _, err = cpu_time(flags(name, p) + obj + ["-ftime-report"], env)
            with_p = pass_times(err)
            own = {k: v for k, v in with_p.items() if "Ferment" in k}
            grew = sorted(((with_p.get(k, 0) - base.get(k, 0), k) for k in with_p if "Ferment" not in k),
                          reverse=True)[:4]
            sizes = sizes_before_vectorizer(name, p)
            ferment = sum(v for k, v in sizes.items() if k.startswith("ferment."))
            rest = sum(v for k, v in sizes.items() if not k.startswith("ferment."))
            final = sizes_optimized(name, p)
            ferment_final = sum(v for k, v in final.items() if k.startswith("ferment."))
            rest_final = sum(v for k, v in final.items() if not k.startswith("ferment."))
            res["per_plugin"].append({"own": own, "grew": grew, "ferment_insts": ferment,
                                      "other_insts": rest, "ferment_final_insts": ferment_final,
                                      "other_final_insts": rest_final, "phases": ferment_phases(err)})
            if "--codegen" in args:
                res["per_plugin"][-1]["codegen_s"] = codegen_times(name, p, reps)
            if "--functions" in args:
                top = int(args[args.index("--functions") + 1])
                res["per_plugin"][-1]["functions"] = function_codegen_times(name, p, reps, top)
        results[name] = res
        line = "%-13s plain %.3fs" % (name, res["plain_s"])
        for i, p in enumerate(plugins):
            pp = res["per_plugin"][i]
            own = sum(pp["own"].values())
            t = res["plugin_s"][i]
            line += " | plugin %.3fs (+%3.0f%%) own %.3fs (%2.0f%%) ferment IR %d vs %d, optimized %d vs %d (%+.0f%%)" % (
                t, 100 * (t / res["plain_s"] - 1), own, 100 * own / t, pp["ferment_insts"], pp["other_insts"],
                pp["ferment_final_insts"], pp["other_final_insts"],
                100 * pp["ferment_final_insts"] / max(1, pp["other_final_insts"]))
        print(line, flush=True)
        for i, p in enumerate(plugins):
            pp = res["per_plugin"][i]
            print("    [%d] own: %s; grew most: %s" % (
                i, ", ".join("%s %.4f" % (k.replace("{anonymous}::", ""), v) for k, v in pp["own"].items()),
                ", ".join("%s +%.3f" % (k, d) for d, k in pp["grew"])), flush=True)
            for l in pp["phases"]:
                print("    [%d] %s" % (i, l))
            if "codegen_s" in pp:
                cg = pp["codegen_s"]
                f, h, r = cg.get("ferment", 0), cg.get("hand", 0), cg.get("rest", 0)
                print("    [%d] codegen: ferment %.3fs, hand-written adjoint %.3fs, rest %.3fs; "
                      "ferment/hand %s, ferment/(hand + rest) %.0f%%" % (
                          i, f, h, r, "%.2fx" % (f / h) if h > 0 else "-", 100 * f / max(1e-9, h + r)),
                      flush=True)
            for secs, insts, fn in pp.get("functions", []):
                print("    [%d] %.3fs %5d insts  %s" % (i, secs, insts, fn), flush=True)
    if "--json" in args:
        with open(args[args.index("--json") + 1], "w") as f:
            json.dump({"plugins": plugins, "reps": reps, "results": results}, f, indent=1)
    for i, p in enumerate(plugins):
        over = [r["plugin_s"][i] / r["plain_s"] - 1 for r in results.values()]
        own = [sum(r["per_plugin"][i]["own"].values()) / r["plugin_s"][i] for r in results.values()]
        print("[%d] %s: overhead median %+.0f%%, worst %+.0f%%, within 50%%: %d of %d; own share worst %.0f%%" % (
            i, p, 100 * statistics.median(over), 100 * max(over), sum(o <= 0.5 for o in over), len(over),
            100 * max(own)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
