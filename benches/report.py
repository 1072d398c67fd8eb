"""Writes REPORT.md and PNG plots from the results run.py collected.

Everything in the report is computed from results.json; the targets of
issues 6 and 8 are evaluated here, with the measured numbers.
"""
import math
import os

TARGET_SET = ["gmm", "ba", "lstm", "mlp", "ode"]


def fmt_t(s):
    if s is None or s < 0:
        return "–"
    if s < 1e-3:
        return "%.1f µs" % (s * 1e6)
    if s < 1:
        return "%.2f ms" % (s * 1e3)
    return "%.2f s" % s


def fmt_r(x, digits=2):
    if x is None or not math.isfinite(x):
        return "–"
    if x >= 100:
        return "%.0f×" % x
    if x >= 10:
        return "%.1f×" % x
    return ("%." + str(digits) + "f×") % x


def fmt_b(b):
    if b is None or b < 0:
        return "–"
    if b < 1024:
        return "%d B" % b
    if b < 1 << 20:
        return "%.1f KiB" % (b / 1024)
    if b < 1 << 30:
        return "%.1f MiB" % (b / 2**20)
    return "%.2f GiB" % (b / 2**30)


def ratio(a, b):
    if a is None or b is None or a <= 0 or b <= 0:
        return None
    return a / b


def geomean(xs):
    xs = [x for x in xs if x is not None and x > 0]
    if not xs:
        return None
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def slope(pts):
    """least-squares exponent e of t = c n^e"""
    pts = [(math.log(x), math.log(y)) for x, y in pts if x and y and x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx if sxx > 0 else None


def headline(entry):
    runs = entry["runs"]
    if not runs:
        return None
    h = entry.get("headline", 0)
    return runs[min(h, len(runs) - 1)]


def ok(run):
    return run is not None and "ferment_s" in run and run.get("ferment_s", -1) > 0


def enzyme_cell(run, build=None):
    """Enzyme's gradient time, or why there is none"""
    if run is None:
        return "–"
    if run.get("enzyme_s"):
        return fmt_t(run["enzyme_s"])
    if run.get("enzyme_wrong"):
        return "**wrong gradient**"
    if run.get("enzyme_error"):
        return "failed"
    if build and build.get("error"):
        return "build failed"
    return "–"


def alone(run):
    """ferment's gradient time measured the way Enzyme's is (the binary timing that tool
    alone), where the run has it; else the interleaved time"""
    return run.get("ferment_alone_s") or run["ferment_s"]


def row(name, run):
    """cells of the main table for one run"""
    if run is None:
        return None
    if "ferment_s" not in run:
        err = run.get("error", "failed").splitlines()
        return [name, "`%s`" % " ".join(map(str, run["sizes"])), "**FAILED**: " + (err[-1] if err else "")] + [""] * 13
    p, f, h = run["primal_s"], run["ferment_s"], run["hand_s"]
    b, j = run.get("before_s"), run.get("jax_grad_s")
    fd = 2 * run["nparams"] * p if p > 0 else None
    jcell = fmt_t(j)
    if j and run.get("jax_agrees") is False:
        jcell += " (grad differs!)"
    return [name, run["size"], fmt_t(p), fmt_t(f), fmt_t(h), fmt_r(ratio(f, p)), fmt_r(ratio(f, h)),
            fmt_t(b) if b else ("skipped" if run.get("before_skipped") else ("failed" if run.get("before_error") else "–")),
            fmt_r(ratio(b, f)), jcell, fmt_r(ratio(j, f), 3), enzyme_cell(run), fmt_r(ratio(alone(run), run.get("enzyme_s"))),
            fmt_t(fd) + (" (%s)" % fmt_r(ratio(fd, f)) if fd else ""),
            fmt_b(run.get("ferment_heap")), fmt_b(run.get("hand_heap"))]


HEAD = ["benchmark", "size", "primal", "ferment grad", "hand grad", "grad/primal", "grad/hand",
        "before-opt grad", "before/after", "JAX grad", "JAX/ferment", "Enzyme grad", "ferment/Enzyme", "FD grad (est.)", "ferment tape", "hand heap"]
HEAD_ALL = HEAD + ["JAX grad (wall)", "JAX compile"]


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def verdict(met):
    if met == "partly":
        return "**partly met**: the derivative's work is O(n) (tuned-malloc exponent), its default-malloc time is not"
    return "**met**" if met else "**not met**"


def plots(data, outdir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as e:  # matplotlib absent: skip cleanly
        return "Plots skipped: matplotlib is not available (%s)." % type(e).__name__
    names = [n for n in data["order"] if n in data["benches"]]
    files = []
    cols = 3
    rows_n = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows_n, cols, figsize=(5 * cols, 3.9 * rows_n), squeeze=False)
    xlabels = {"gmm": "parameters", "ba": "observations", "lstm": "layers × characters", "hand": "vertices",
               "mlp": "batch size", "ode": "RK4 steps", "taylor": "N", "normalize": "n", "dot": "n", "matvec": "n", "stencil": "n × T",
               "particles": "particles", "csr_jacobi": "nonzeros × iterations",
               "trisolve": "n²", "conv2d": "F·C·H²", "cholesky": "n", "gauss_seidel": "m²·K"}
    series = [("ferment_s", "ferment (after opt)", "C0", "o-"), ("before_s", "ferment before opt", "C3", "s--"),
              ("ferment_tuned_s", "ferment, tuned malloc", "C0", "o:"),
              ("hand_s", "hand-written", "C2", "^-"), ("jax_grad_s", "JAX jit grad", "C1", "d-"),
              ("enzyme_s", "Enzyme", "C4", "v-"),
              ("primal_s", "primal (C)", "0.5", "x:")]
    for k, name in enumerate(names):
        ax = axes[k // cols][k % cols]
        runs = [r for r in data["benches"][name]["runs"] if "size_metric" in r]
        for key, label, color, style in series:
            pts = [(r["size_metric"], r[key]) for r in runs if r.get(key) is not None and r.get(key, -1) > 0]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color=color, label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(name)
        ax.set_xlabel(xlabels.get(name, "size"))
        ax.set_ylabel("seconds per call")
        ax.grid(True, which="both", alpha=0.3)
        if k == 0:
            ax.legend(fontsize=7)
        # one file per benchmark as well
        f2, a2 = plt.subplots(figsize=(5.5, 4))
        for key, label, color, style in series:
            pts = [(r["size_metric"], r[key]) for r in runs if r.get(key) is not None and r.get(key, -1) > 0]
            if pts:
                a2.plot([p[0] for p in pts], [p[1] for p in pts], style, color=color, label=label)
        a2.set_xscale("log")
        a2.set_yscale("log")
        a2.set_title("%s: gradient time vs size" % name)
        a2.set_xlabel(xlabels.get(name, "size"))
        a2.set_ylabel("seconds per call")
        a2.grid(True, which="both", alpha=0.3)
        a2.legend(fontsize=8)
        f2.tight_layout()
        fn = "%s.png" % name
        f2.savefig(os.path.join(outdir, fn), dpi=90)
        plt.close(f2)
        files.append(fn)
    for k in range(len(names), rows_n * cols):
        axes[k // cols][k % cols].axis("off")
    fig.suptitle("Gradient time vs problem size (lower is better)")
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "all.png"), dpi=80)
    plt.close(fig)
    return "![gradient time vs size, all benchmarks](all.png)\n\nPer benchmark: " + ", ".join(
        "[%s](%s)" % (f[:-4], f) for f in files) + "."


def peers(L, data, names):
    """Section: ferment vs Enzyme vs hand-written vs primal, tuned and plain flags; returns the
    issue-19 target rows"""
    B = data["benches"]
    tl = []
    variants = [("tuned", "`%s`" % data["machine"]["cflags"], lambda r: r)]
    if data.get("plain_cflags"):
        variants.append(("plain", "`%s`" % data["plain_cflags"], lambda r: r.get("plainflags")))
    L.append("## ferment, Enzyme, hand-written and primal side by side (issue 19)")
    L.append("")
    if not data.get("enzyme"):
        L.append("Enzyme (`enzyme-ad`) was not installed for this run: its columns are empty.")
        L.append("")
    for key, flags, get in variants:
        rows, fe, fh, fp, eh = [], {}, {}, {}, {}
        for n in names:
            r0 = headline(B[n])
            r = get(r0) if r0 else None
            if not r or not r.get("ferment_s"):
                if r0 is not None:
                    rows.append([n, r0.get("size", r0["sizes"]), "**FAILED**" if r is not None else "–"] + [""] * 8)
                continue
            f, h, p, e = r["ferment_s"], r.get("hand_s"), r.get("primal_s"), r.get("enzyme_s")
            fe[n], fh[n], fp[n] = ratio(alone(r), e), ratio(f, h), ratio(f, p)
            eh[n] = ratio(e, h)
            bkey = "enzyme" if key == "tuned" else "enzyme_plainflags"
            rows.append([n, r0["size"], fmt_t(p), fmt_t(h), fmt_t(f), enzyme_cell(r, B[n]["build"].get(bkey)),
                         fmt_r(fe[n]), fmt_r(fh[n]), fmt_r(fp[n]), fmt_r(eh[n]), fmt_r(ratio(e, p))])
        g = [geomean(list(d.values())) for d in (fe, fh, fp, eh)]
        rows.append(["**geometric mean**", "", "", "", "", "", fmt_r(g[0]), fmt_r(g[1]), fmt_r(g[2]), fmt_r(g[3]), ""])
        L.append("### %s flags: %s" % ("Tuned" if key == "tuned" else "Plain", flags))
        L.append("")
        L.append(table(["benchmark", "size", "primal", "hand grad", "ferment grad", "Enzyme grad", "ferment/Enzyme",
                        "ferment/hand", "ferment/primal", "Enzyme/hand", "Enzyme/primal"], rows))
        L.append("")
        lab = "" if key == "tuned" else " (plain flags)"
        fev = {n: v for n, v in fe.items() if v}
        wrong = [n for n in names if headline(B[n]) and (get(headline(B[n])) or {}).get("enzyme_wrong")]
        if data.get("enzyme"):
            slower = [n for n, v in fev.items() if v > 1.0]
            tl.append(("issue 19%s: ferment ≤ 1.0× Enzyme on every benchmark" % lab,
                       "%d of %d met; behind on %s; Enzyme's gradient wrong (not timed) on %s; %s" % (
                           len(fev) - len(slower), len(fev), ", ".join(slower) or "none", ", ".join(wrong) or "none",
                           ", ".join("%s %s" % (n, fmt_r(v)) for n, v in fev.items())),
                       not slower and bool(fev)))
            tl.append(("issue 19%s: ferment/Enzyme geometric mean ≤ 0.9× (where Enzyme's gradient is right)" % lab,
                       fmt_r(g[0]), g[0] is not None and g[0] <= 0.9))
        over = {n: v for n, v in fh.items() if v and v > 1.3}
        tl.append(("issue 19%s: ferment ≤ 1.3× hand-written on every benchmark" % lab,
                   "%d of %d met; over: %s" % (len(fh) - len(over), len(fh),
                                                ", ".join("%s %s" % (n, fmt_r(v)) for n, v in over.items()) or "none"),
                   not over))
        overp = {n: v for n, v in fp.items() if v and v > 4}
        tl.append(("issue 19%s: ferment ≤ 4× primal on every benchmark" % lab,
                   "%d of %d met; over: %s" % (len(fp) - len(overp), len(fp),
                                                ", ".join("%s %s" % (n, fmt_r(v)) for n, v in overp.items()) or "none"),
                   not overp))
        tl.append(("issue 19%s: ferment/hand-written geometric mean ≤ 1.1×" % lab, fmt_r(g[1]),
                   g[1] is not None and g[1] <= 1.1))
    L.append("Headline size of every benchmark, one run. *Enzyme grad*: Enzyme's gradient of the same C source, "
             "built as described in benches/README.md, checked against the hand-written adjoint like ferment's "
             "before it is timed (**wrong gradient** = the check failed, nothing timed; such rows are left out of "
             "the ferment/Enzyme geometric mean). Ratios > 1 in *ferment/Enzyme* mean ferment is slower. The "
             "Enzyme binary times Enzyme's gradient alone, so *ferment/Enzyme* divides a time of ferment's "
             "gradient also measured alone (a second run of ferment's binary timing only that gradient; "
             "*ferment grad* is the time interleaved with the primal and the hand-written adjoint). The "
             "plain-flags table builds primal, hand-written adjoint, ferment and Enzyme with plain `-O2` "
             "(no `-march=native`, C's default `-fmath-errno`).")
    L.append("")
    enotes = []
    for n in names:
        for tag in ("enzyme", "enzyme_plainflags"):
            info = B[n]["build"].get(tag) or {}
            if info.get("error"):
                enotes.append("- %s (%s): build failed: `%s`" % (n, tag, info["error"].splitlines()[0][:300]))
            elif "error" in (info.get("enzyme_diag") or ""):
                # warnings (e.g. "unknown tbaa call instruction user" on libm calls under
                # -fmath-errno) stay in results.json only
                first = [l for l in info["enzyme_diag"].splitlines() if "error" in l][0]
                enotes.append("- %s (%s): Enzyme error diagnostic, module still produced (the gradient check "
                              "decides): `%s`" % (n, tag, first[:300]))
        r0 = headline(B[n])
        for r, lab in ((r0, "tuned"), ((r0 or {}).get("plainflags"), "plain")):
            if r and r.get("enzyme_wrong"):
                first = [l for l in r["enzyme_wrong"].splitlines() if "CHECK FAILED" in l]
                # the harness names the timed gradient "ferment"; in this binary it is Enzyme's
                msg = (first or [""])[0].replace("ferment", "Enzyme")[:300]
                enotes.append("- %s (%s flags): Enzyme's gradient is wrong: `%s`" % (n, lab, msg))
    if enotes:
        L.append("Enzyme build notes:")
        L.append("")
        L.extend(enotes)
        L.append("")
    return tl


def write(data, outdir):
    m = data["machine"]
    B = data["benches"]
    names = [n for n in data["order"] if n in B]
    L = []
    L.append("# ferment benchmarks")
    L.append("")
    L.append("Generated by `bash benches/run.sh%s` — do not edit by hand; every number below comes from "
             "`results.json` of that run." % ("" if data["mode"] == "full" else " --quick"))
    L.append("")
    L.append("## Machine and build")
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    L.append("| date | %s |" % m["date"])
    L.append("| CPU | %s, `nproc` = %s, %s RAM, Linux %s |" % (m["cpu"], m["nproc"], m["mem"], m["kernel"]))
    L.append("| compiler | %s, flags `%s` |" % (m["compiler"], m["cflags"]))
    L.append("| plugin | `target/release/libferment.so` built %s (sha256 %s…, copied once at the start of the run); "
             "last plugin commit %s%s; workspace HEAD %s |" % (
                 m["plugin_built"], m.get("plugin_sha256", "?"), m["plugin_last_commit"],
                 " (plugin/ had uncommitted changes)" if m["plugin_worktree_modified"] else "", m["git_head"]))
    jv = next((r.get("jax_version") for n in names for r in B[n]["runs"] if r.get("jax_version")), None)
    L.append("| JAX peer | %s |" % (("jax %s, CPU, float64, `jax.jit(jax.grad(f))`, XLA limited to one intra-op thread" % jv)
                                    if data["jax"] else "not installed: skipped"))
    L.append("| Enzyme peer | %s |" % (
        "PyPI `enzyme-ad` %s (Enzyme with its own LLVM 24.0.0git), run by `benches/enzyme/build.py`: Enzyme's "
        "O3 pipeline on the front end's IR, then clang-22 code generation with the same flags; see benches/README.md"
        % data.get("enzyme_version", "") if data.get("enzyme") else "enzyme-ad not installed: skipped"))
    if data.get("plain_cflags"):
        L.append("| plain-flags variant | `%s` (how users build), every tool, headline size |" % data["plain_cflags"])
    L.append("| mode | %s run, %.0f s in all |" % (data["mode"], data.get("elapsed_s", 0)))
    L.append("| load average (1, 5, 15 min) | %s at the start, %s at the end (the machine is shared; other "
             "processes add noise) |" % (data.get("loadavg_start", "?"), data.get("loadavg_end", "?")))
    L.append("")
    L.append("Timing: every time is the median over repeated samples after warm-up of the **CPU time** per call "
             "(user + system, all threads of the process: `CLOCK_PROCESS_CPUTIME_ID` in C, `time.process_time()` "
             "for JAX), because the machine is shared and wall time includes other processes' turns; wall "
             "medians are in `results.json` too. A sample repeats the call until it lasts ≥ 20 ms; up to 9 "
             "samples, fewer when one call is slow; in C the primal, ferment and hand-written samples are "
             "interleaved. The C code is single-threaded; JAX may use a second thread (its wall time is listed "
             "in the all-sizes table). "
             "Before anything is timed, every binary checks the hand-written adjoint against central finite "
             "differences (coordinates and random directions) and the ferment gradient against the hand-written "
             "one component by component; the JAX gradient is compared through a weighted checksum.")
    L.append("")

    # ---------------- headline table
    L.append("## Summary (one representative, ADBench-like size per benchmark)")
    L.append("")
    rows = [row(n, headline(B[n])) for n in names]
    L.append(table(HEAD, [r for r in rows if r]))
    L.append("")
    L.append("Columns: *grad/primal* = ferment gradient time / primal time; *grad/hand* = ferment / hand-written "
             "adjoint; *before/after* = ferment with `-mllvm -ferment-before-opt` / ferment at its default "
             "placement (after the function simplification pipeline); *JAX/ferment* > 1 means ferment is faster; "
             "*FD grad (est.)* = 2·p·primal (central differences, p parameters), in parentheses its ratio to the "
             "ferment gradient; *ferment tape* / *hand heap* = peak heap growth during one gradient call "
             "(malloc/realloc/free interposed in the benchmark binary: tape plus shadow buffers).")
    L.append("")

    # ---------------- peers side by side (issue 19)
    peer_targets = peers(L, data, names)

    # ---------------- targets
    L.append("## Targets (issues 19, 8, 6 and 5)")
    L.append("")
    hl = {n: headline(B[n]) for n in names}
    tl = list(peer_targets)
    gh = geomean([ratio(hl[n]["ferment_s"], hl[n]["hand_s"]) for n in TARGET_SET if n in hl and ok(hl[n])])
    if gh is not None:
        tl.append(("gradient/hand-written ≤ 1.3× (geometric mean over GMM, BA, LSTM, MLP, ODE)",
                   "%s" % fmt_r(gh), gh <= 1.3))
    gp = {n: ratio(hl[n]["ferment_s"], hl[n]["primal_s"]) for n in TARGET_SET if n in hl and ok(hl[n])}
    if gp:
        tl.append(("gradient/primal ≤ 4× for each of GMM, BA, LSTM, MLP, ODE",
                   ", ".join("%s %s" % (n, fmt_r(v)) for n, v in gp.items()), all(v <= 4 for v in gp.values())))
    jx = {n: ratio(hl[n].get("jax_grad_s"), hl[n]["ferment_s"]) for n in names if ok(hl[n]) and hl[n].get("jax_grad_s")}
    if jx:
        faster = [n for n, v in jx.items() if v > 1]
        tl.append(("ferment faster than JAX-jit CPU gradients on every objective",
                   "faster on %d of %d (%s); JAX/ferment: %s" % (
                       len(faster), len(jx), ", ".join(faster) if faster else "none",
                       ", ".join("%s %s" % (n, fmt_r(v, 3)) for n, v in jx.items())), len(faster) == len(jx)))
    else:
        tl.append(("ferment faster than JAX-jit CPU gradients on every objective", "JAX not installed: not measured", False))
    bo = {n: ratio(hl[n].get("before_s"), hl[n]["ferment_s"]) for n in TARGET_SET + ["hand"] if n in hl and ok(hl[n])}
    gbo = geomean(list(bo.values()))
    if gbo is not None:
        tl.append(("before-opt/after-opt ≥ 2× (geometric mean over the ADBench-style objectives: GMM, BA, LSTM, Hand, MLP, ODE)",
                   "%s (%s)" % (fmt_r(gbo), ", ".join("%s %s" % (n, fmt_r(v)) for n, v in bo.items() if v)), gbo >= 2))
    ct = {n: ratio(B[n]["build"].get("compile_plugin_s"), B[n]["build"].get("compile_plain_s")) for n in names}
    ctv = {n: v for n, v in ct.items() if v}
    if ctv:
        worst = max(ctv.values())
        tl.append(("plugin compile-time overhead ≤ 30% per translation unit",
                   "%d of %d within 30%%; worst %+.0f%% (%s); %s" % (
                       sum(1 for v in ctv.values() if v <= 1.3), len(ctv), (worst - 1) * 100, max(ctv, key=ctv.get),
                                              ", ".join("%s %+.1f%%" % (n, (v - 1) * 100) for n, v in ctv.items())),
                   worst <= 1.3))
    if "taylor" in hl and ok(hl["taylor"]):
        r = hl["taylor"]
        v = ratio(r["ferment_s"], r["primal_s"])
        tl.append(("issue 6: taylor series N=10^6 derivative/primal ≤ 2×", "%s (%s)" % (fmt_r(v), r["size"]), v <= 2))
    if "normalize" in B:
        runs = [r for r in B["normalize"]["runs"] if ok(r)]
        pts = {int(r["size_metric"]): r["ferment_s"] for r in runs}
        if 1000 in pts and 2000 in pts and 4000 in pts:
            e_all = slope([(r["size_metric"], r["ferment_s"]) for r in runs])
            e_tuned = slope([(r["size_metric"], r.get("ferment_tuned_s")) for r in runs])
            e_before = slope([(r["size_metric"], r.get("before_s")) for r in runs])
            lin = e_all is not None and e_all <= 1.3
            if not lin and e_tuned is not None and e_tuned <= 1.3:
                lin = "partly"
            tl.append(("issue 6: normalize derivative grows linearly (n = 1000, 2000, 4000)",
                       "%s → %s → %s; fitted exponent t ∝ n^e over n = %d..%d: e = %s (tuned malloc: e = %s; "
                       "before opt, n ≤ 4000: e = %s)" % (
                           fmt_t(pts[1000]), fmt_t(pts[2000]), fmt_t(pts[4000]), min(pts), max(pts),
                           "%.2f" % e_all if e_all else "?", "%.2f" % e_tuned if e_tuned else "?",
                           "%.2f" % e_before if e_before else "?"), lin))
    if "stencil" in hl and ok(hl["stencil"]):
        r = hl["stencil"]
        v = ratio(r["ferment_s"], r["primal_s"])
        tl.append(("issue 6: stencil derivative/primal ≤ 4×", "%s (%s)" % (fmt_r(v), r["size"]), v <= 4))
        tape = r.get("ferment_heap")
        if tape and r.get("min_tape"):
            tl.append(("issue 6: stencil tape bytes vs the minimum (one state copy per step)",
                       "%s vs %s = %s the minimum (hand-written: %s)" % (
                           fmt_b(tape), fmt_b(r["min_tape"]), fmt_r(tape / r["min_tape"]), fmt_b(r.get("hand_heap"))),
                       tape <= 1.5 * r["min_tape"]))
    i5 = [(n, hl[n]) for n in ("dot", "matvec", "stencil") if n in hl and ok(hl[n])]
    if i5:
        vals = [(n, ratio(r["ferment_s"], r["primal_s"]), r) for n, r in i5]
        tl.append(("issue 5: derivative/primal ≤ 3× for dot, matvec, stencil",
                   "; ".join("%s %s (%s; heap %s)" % (n, fmt_r(v), r["size"], fmt_b(r.get("ferment_heap") or 0))
                             for n, v, r in vals),
                   len(vals) == 3 and all(v <= 3 for _, v, _ in vals)))
    L.append(table(["target", "measured", "verdict"], [(a, b, verdict(c)) for a, b, c in tl]))
    L.append("")
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report_notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            L.append(f.read().strip())
        L.append("")

    # ---------------- all sizes
    L.append("## All sizes")
    L.append("")
    allrows = []
    for n in names:
        for r in B[n]["runs"]:
            x = row(n, r)
            if x:
                if "ferment_s" in r:
                    x = x + [fmt_t(r.get("jax_grad_wall_s")), fmt_t(r.get("jax_compile_s"))]
                else:
                    x = x + ["", ""]
                allrows.append(x)
    L.append(table(HEAD_ALL, allrows))
    L.append("")
    errs = []
    for n in names:
        for r in B[n]["runs"]:
            for key in ("error", "before_error", "jax_error"):
                if r.get(key):
                    errs.append("- %s %s (%s): `%s`" % (n, r["sizes"], key, r[key].strip().splitlines()[-1][:300]))
            if r.get("jax_agrees") is False:
                errs.append("- %s %s: the JAX gradient checksum differs from the C one (%r vs %r)" % (
                    n, r["sizes"], r.get("jax_checksum"), r.get("checksum")))
        for key in ("build_error", "build_error_before"):
            if B[n]["build"].get(key):
                errs.append("- %s (%s): `%s`" % (n, key, B[n]["build"][key].splitlines()[0][:300]))
    if errs:
        L.append("### Failures")
        L.append("")
        L.extend(errs)
        L.append("")
    chk = []
    for n in names:
        for r in B[n]["runs"]:
            if "fd_err" in r:
                jag = r.get("jax_agrees")
                ez = ("%.1e" % r["enzyme_ad_err"] if r.get("enzyme_ad_err") is not None else
                      "**wrong**" if r.get("enzyme_wrong") else "–")
                chk.append([n, r["size"], "%.1e" % r["fd_err"], "%.1e" % r["ad_err"], ez,
                            "yes" if jag else ("–" if jag is None else "**no**")])
    L.append("### Correctness checks behind those numbers")
    L.append("")
    L.append("*hand vs FD*: worst relative error of the hand-written adjoint against central finite differences; "
             "*ferment vs hand*: worst difference relative to the gradient's max-norm (the run fails above 1e-9); "
             "*Enzyme vs hand*: the same measure for Enzyme's gradient (**wrong**: above 1e-9, not timed); "
             "*JAX agrees*: the JAX gradient's weighted checksum matches the C one to 1e-6.")
    L.append("")
    L.append(table(["benchmark", "size", "hand vs FD", "ferment vs hand", "Enzyme vs hand", "JAX agrees"], chk))
    L.append("")

    # ---------------- normalize scaling
    if "normalize" in B:
        L.append("## Vector normalization: does the derivative stay O(n)?")
        L.append("")
        rr = []
        prev = None
        for r in B["normalize"]["runs"]:
            if not ok(r):
                continue
            g = (r["ferment_s"] / prev["ferment_s"]) if prev else None
            gb = (r["before_s"] / prev["before_s"]) if prev and r.get("before_s") and prev.get("before_s") else None
            gt = (r["ferment_tuned_s"] / prev["ferment_tuned_s"]) if prev and r.get("ferment_tuned_s") and prev.get("ferment_tuned_s") else None
            rr.append([int(r["size_metric"]), fmt_t(r["primal_s"]), fmt_t(r["ferment_s"]),
                       "×%.2f" % g if g else "", fmt_t(r.get("ferment_tuned_s")), "×%.2f" % gt if gt else "",
                       fmt_t(r.get("before_s")) if r.get("before_s") else "skipped",
                       "×%.2f" % gb if gb else "", fmt_t(r["hand_s"]), fmt_b(r.get("ferment_heap"))])
            prev = r
        L.append(table(["n", "primal", "ferment (after opt)", "growth", "ferment, tuned malloc", "growth",
                        "ferment before opt", "growth", "hand", "ferment tape"], rr))
        L.append("")
        L.append("Doubling n doubles a linear-time derivative (×2) and quadruples a quadratic one (×4). After the "
                 "optimizer has hoisted `mag(in)` out of the loop (LICM; this needs `restrict` and "
                 "`-fno-math-errno`, otherwise `sqrt` may write errno and `mag` is not loop-invariant), ferment "
                 "differentiates the O(n) loop; placed before the optimizer it differentiates the O(n²) one. "
                 "*tuned malloc*: the same binary run with `MALLOC_MMAP_THRESHOLD_` and `MALLOC_TRIM_THRESHOLD_` "
                 "raised, so that glibc keeps the freed tape instead of returning it to the kernel and faulting it "
                 "in again on the next call; the difference between the two columns is allocation cost, not "
                 "derivative arithmetic.")
        L.append("")

    # ---------------- tape
    L.append("## Tape size")
    L.append("")
    tr = []
    for n in names:
        for r in B[n]["runs"]:
            if ok(r):
                tr.append([n, r["size"], fmt_b(r.get("ferment_heap")), fmt_b(r.get("before_heap")),
                           fmt_b(r.get("hand_heap")),
                           fmt_b(r["min_tape"]) if r.get("min_tape") else "–",
                           fmt_r(r["ferment_heap"] / r["min_tape"]) if r.get("min_tape") else "–"])
    L.append(table(["benchmark", "size", "ferment", "ferment before opt", "hand-written", "minimum", "ferment/minimum"], tr))
    L.append("")
    leaks = ["%s %s: %s%s" % (n, r["size"], fmt_b(r.get("ferment_leak")), "" if not r.get("before_leak") else
                               " (before-opt: %s)" % fmt_b(r.get("before_leak")))
             for n in names for r in B[n]["runs"] if ok(r) and (r.get("ferment_leak") or r.get("before_leak"))]
    L.append("Heap still held after a ferment gradient call returned (a leak): " +
             ("; ".join(leaks) if leaks else "none in any benchmark (every tape and shadow buffer was freed)") + ".")
    L.append("")
    L.append("Peak heap growth during one gradient call. The minimum (stencil, ODE) is one copy of the state per "
             "step, what a reverse sweep without checkpointing must keep: 8·n·T bytes for the stencil, 8·D·S for RK4.")
    L.append("")

    # ---------------- BLAS threaded (issue 18)
    tr = []
    for n in names:
        run = headline(B[n])
        t2 = (run or {}).get("blas_threads2")
        if not t2:
            continue
        tr.append([n, run["size"], fmt_t(run.get("primal_wall_s")), fmt_t(t2.get("primal_wall_s")),
                   fmt_t(run.get("ferment_wall_s")), fmt_t(t2.get("ferment_wall_s")),
                   fmt_t(run.get("hand_wall_s")), fmt_t(t2.get("hand_wall_s")),
                   fmt_r(ratio(t2.get("ferment_wall_s"), t2.get("primal_wall_s"))),
                   fmt_r(ratio(t2.get("ferment_wall_s"), t2.get("hand_wall_s")))])
    if tr:
        L.append("## BLAS benchmarks with OpenBLAS threaded (issue 18)")
        L.append("")
        L.append(table(["benchmark", "size", "primal, 1 thread", "primal, 2 threads", "ferment grad, 1 thread",
                        "ferment grad, 2 threads", "hand grad, 1 thread", "hand grad, 2 threads",
                        "grad/primal, 2 threads", "grad/hand, 2 threads"], tr))
        L.append("")
        L.append("Wall time (median) at the headline size, the same binaries run with `OPENBLAS_NUM_THREADS=1` "
                 "(every other table) and `=2` (one thread per core here). Only the BLAS calls run in parallel; "
                 "the loops around them stay serial in every tool. The cores are shared with other processes, "
                 "so the 2-thread column is noisier than the rest.")
        L.append("")

    # ---------------- compile time
    L.append("## Compile time (clang-22, one translation unit each)")
    L.append("")
    cr = []

    def pct(a, b):
        return "%+.0f%%" % ((a / b - 1) * 100) if a and b else "–"

    for n in names:
        b = B[n]["build"]
        p, w, bf = b.get("compile_plain_s"), b.get("compile_plugin_s"), b.get("compile_before_s")
        fp = b.get("ferment_pass_s")
        cr.append([n + ".c", fmt_t(p), fmt_t(w), pct(w, p), fmt_t(bf), pct(bf, p),
                   fmt_t(fp) if fp is not None else "–",
                   "%s → %s" % (b.get("text_plain") or "?", b.get("text_plugin") or "?"),
                   fmt_t((b.get("enzyme") or {}).get("compile_s"))])
    L.append(table(["translation unit", "without plugin", "with plugin", "overhead", "with plugin, before-opt",
                    "overhead", "ferment pass itself", "code bytes (.text) without → with", "Enzyme build"], cr))
    L.append("")
    L.append("CPU time (user + system) of `clang-22 %s -c` on the translation unit, median of %s runs "
             "(wall times are in `results.json`). The translation unit holds the primal, the hand-written "
             "adjoint and one `__enzyme_autodiff` call; without the plugin it still compiles to an object (the "
             "`__enzyme_*` calls stay undefined), so the difference is the plugin's cost: loading the shared "
             "object, differentiating, and optimizing and generating code for the derivative. *ferment pass "
             "itself* is what `-ftime-report` charges to the ferment pass; the rest of the overhead is LLVM "
             "optimizing and compiling the generated derivative, whose size shows in the `.text` column. "
             "*Enzyme build*: CPU time of the whole Enzyme build of the file, once (front end, Python start-up "
             "and loading the 480 MB `enzyme_call` module, Enzyme's O3 pipeline, clang-22 code generation): not "
             "comparable with the plugin columns, listed only to show what the peer costs here." % (
                 m["cflags"], "5" if data["mode"] == "full" else "1"))
    L.append("")

    # ---------------- batched modes (benches/batched.sh writes BATCHED.md)
    batched = os.path.join(outdir, "BATCHED.md")
    if os.path.exists(batched):
        body = open(batched).read().splitlines()
        L.append("## Batched forward and reverse mode: Jacobian and Hessian (issue 15)")
        L.append("")
        L += body[2:] if body and body[0].startswith("# ") else body
        L.append("")

    # ---------------- plots
    L.append("## Plots")
    L.append("")
    L.append(plots(data, outdir))
    L.append("")
    with open(os.path.join(outdir, "REPORT.md"), "w") as f:
        f.write("\n".join(L))
