//! ferment-fuzz: a differential fuzzer for the ferment plugin.
//!
//! ```text
//! ferment-fuzz run [--start S] [--count N] [--jobs J] [--valgrind-every K] [--found DIR]
//!                  [--flags "-mllvm -ferment-X ..."]    # added to every compile (after the
//!                                                  # variant's), e.g. an option under test
//!                  [--levels 1,3]                  # the -O levels each program is checked
//!                                                  # at and compared across (default 0,2)
//!                  [--variant default|no-inline|omp|numeric[,no-inline]|user[,no-inline]
//!                             |api[,no-inline]|guard[,no-inline]|clamp[,no-inline]
//!                             |edge[,no-inline]|sci[,no-inline]|corner[,no-inline]
//!                             |abi[,no-inline]|solve[,no-inline]|mix[,no-inline]
//!                             |hazard[,no-inline]
//!                             |split[,FAMILY...]|hvp[,FAMILY...]]
//!                                                  # no-inline: every compile with
//!                                                  # -mllvm -ferment-no-inline; omp: OpenMP
//!                                                  # kernels, 1, 2 and 4 threads; numeric:
//!                                                  # shapes of numerical code (gen.rs);
//!                                                  # user: everyday C (gen/user.rs);
//!                                                  # api: float libm, int conversions in
//!                                                  # loops, ties, enzyme_dupv (gen/api.rs);
//!                                                  # guard: guarded values whose discarded
//!                                                  # side is infinite (gen/guard.rs);
//!                                                  # clamp: infinite partials at clamped
//!                                                  # zeros, discarded quotients through
//!                                                  # memory (gen/clamp.rs); edge: VLAs,
//!                                                  # goto, modf/frexp, row pointers,
//!                                                  # realloc growth (gen/edge.rs); sci:
//!                                                  # index arrays, CSR, static locals,
//!                                                  # Horner, Kahan, tridiagonal solves,
//!                                                  # pivoting (gen/sci.rs); corner:
//!                                                  # long double, sign bits, remainder,
//!                                                  # ilogb, qsort, complex (gen/corner.rs);
//!                                                  # abi: structs holding arrays by
//!                                                  # value, variadic helpers, a switch
//!                                                  # on an int mode (gen/abi.rs);
//!                                                  # solve: do/while to a tolerance
//!                                                  # with break, 2-D arrays to
//!                                                  # helpers (gen/solve.rs); mix:
//!                                                  # kink chains, run-time index
//!                                                  # scatters, static caches, structs
//!                                                  # of arrays, switch in loops, returns
//!                                                  # from loops, float with double
//!                                                  # (gen/mix.rs); hazard: values
//!                                                  # infinite on some paths, through
//!                                                  # callees, selects and trip counts
//!                                                  # in memory (gen/hazard.rs); split:
//!                                                  # split mode checked on every
//!                                                  # program of the families given;
//!                                                  # hvp:
//!                                                  # forward-over-reverse checks of any
//!                                                  # family's programs (harness.rs); cpp:
//!                                                  # C++17 (clang++), std::vector,
//!                                                  # classes, virtual calls through
//!                                                  # unique_ptr, lambdas, std::function,
//!                                                  # pairs, tuples (gen/cpp.rs)
//! ferment-fuzz malformed [--start S] [--count N] [--jobs J]
//! ferment-fuzz ci                     # the fixed campaign CI runs (seeds 1..=180, every 5th
//!                                     # with -ferment-no-inline; 20 numeric; 24 clamp; 12
//!                                     # hvp; 10 sci; 10 corner; 10 hazard; 10 flat; 20 omp;
//!                                     # 60 malformed)
//! ferment-fuzz show SEED [--variant V] # print the program of a seed
//! ferment-fuzz check FILE [--variant V]  # one program file through the oracles
//! ferment-fuzz malformed-show SEED    # print a malformed request
//! ```
//! A seed determines the program (its size too), so `show SEED` reproduces any finding. Every
//! failure is reduced (statement-level delta debugging) and written to the found directory as a
//! clang-tests case. Environment: `FERMENT_PLUGIN` (default target/release/libferment.so),
//! `FERMENT_FUZZ_JOBS` (default 2).

mod exec;
mod gen;
mod harness;
mod malformed;
mod program;
mod reduce;
mod rng;

use exec::{Brev, Env, Fd, Outcome};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn find_plugin(ws: &Path) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("FERMENT_PLUGIN").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("FERMENT_PLUGIN={} is not a file", p.display()))
        };
    }
    let mut c = Vec::new();
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR").filter(|p| !p.is_empty()) {
        c.push(ws.join(t).join("release/libferment.so"));
    }
    c.push(ws.join("target/release/libferment.so"));
    c.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        "the ferment plugin was not found: run `cargo build --release -p ferment` first, or set FERMENT_PLUGIN"
            .to_string()
    })
}

/// The size of the program of `seed` (statements in the kernel).
pub fn size_for(seed: u64) -> usize {
    let mut r = rng::Rng::new(seed.wrapping_mul(31));
    3 + r.below(22)
}

/// Seeds of the CI campaign that fail because of an open, reported ferment bug, with the
/// reduced reproducer.
const KNOWN_FAILURES: &[(u64, &str)] = &[];

/// OpenMP programs in the CI campaign (the omp variant, seeds 1..=CI_OMP).
const CI_OMP: u64 = 20;

/// Programs of the default variant in the CI campaign (seeds 1..=CI_DEFAULT).
const CI_DEFAULT: u64 = 180;

/// Programs of the numeric variant in the CI campaign (seeds 1..=CI_NUMERIC); with the default
/// ones, about the time 200 default programs took.
const CI_NUMERIC: u64 = 20;

/// Programs of the clamp variant in the CI campaign (seeds CI_CLAMP_START.., every 4th with
/// `-ferment-no-inline`): infinite partials at clamped or exact zeros, the strong-zero products.
const CI_CLAMP: u64 = 24;
const CI_CLAMP_START: u64 = 1000100;

/// Programs of the hvp variant in the CI campaign (seeds CI_HVP_START.., every 3rd with
/// `-ferment-no-inline`): forward mode over the reverse and split derivatives, also with calls
/// kept (forward over an augmented function's frame, over the reverse sweep's helpers).
const CI_HVP: u64 = 12;
const CI_HVP_START: u64 = 25600000;

/// Programs of the sci variant in the CI campaign (seeds CI_SCI_START.., every 4th with
/// `-ferment-no-inline`): index arrays, CSR products, static locals, tridiagonal solves.
const CI_SCI: u64 = 10;
const CI_SCI_START: u64 = 26700000;

/// Programs of the corner variant in the CI campaign (seeds CI_CORNER_START.., every 4th with
/// `-ferment-no-inline`): long double, sign bits, remainder/ilogb, qsort, complex arithmetic.
const CI_CORNER: u64 = 10;
const CI_CORNER_START: u64 = 27800000;

/// Programs of the hazard variant in the CI campaign (seeds CI_HAZARD_START.., every 2nd with
/// `-ferment-no-inline`): zero divisors, logs and roots on one side of a branch or select,
/// quotients written by callees (the shapes of the wrong-derivative bugs of rounds 30-33).
const CI_HAZARD: u64 = 10;
const CI_HAZARD_START: u64 = 3140000;

/// Programs of the flat variant in the CI campaign (seeds CI_FLAT_START.., every 2nd with
/// `-ferment-no-inline`): functions flat at an infinite argument of quotients by an exact zero.
const CI_FLAT: u64 = 10;
const CI_FLAT_START: u64 = 3146000;

#[derive(Default)]
struct Stats {
    programs: usize,
    /// Passing programs by how far finite differences applied.
    pass: BTreeMap<Fd, usize>,
    /// Passing programs by what the previous finite-difference oracle concluded.
    old_fd: BTreeMap<String, Vec<u64>>,
    skipped: usize,
    rejected: BTreeMap<String, Vec<u64>>,
    failures: BTreeMap<String, Vec<u64>>,
    found: Vec<String>,
    /// Passing programs whose batched reverse check ran and passed.
    brev_checked: usize,
    /// Passing programs whose batched reverse request ferment rejected, by kind.
    brev_rejected: BTreeMap<String, Vec<u64>>,
    /// Passing programs whose forward-over-reverse checks (hvp variant) ran and passed, and
    /// how many of them included finite differences of the gradient.
    hvp_checked: usize,
    hvp_fd: usize,
    /// Passing programs whose forward-over-reverse requests ferment rejected, by kind.
    hvp_rejected: BTreeMap<String, Vec<u64>>,
}

impl Stats {
    fn report(&self, what: &str, secs: f64) -> String {
        let n = |k: Fd| self.pass.get(&k).copied().unwrap_or(0);
        let mut s = format!(
            "{what}: {} programs in {secs:.0} s: {} passed with every oracle ({} of them at a point moved \
             off a branch boundary, {} single precision with a looser finite-difference tolerance), {} \
             passed every oracle but finite differences ({} path changes within the step at every point \
             tried, {} noisy differences on a stable path), {} skipped (non-finite primal), {} rejected \
             by ferment, {} failed\n",
            self.programs,
            n(Fd::Checked) + n(Fd::CheckedMoved) + n(Fd::Single),
            n(Fd::CheckedMoved),
            n(Fd::Single),
            n(Fd::Unstable) + n(Fd::Noisy),
            n(Fd::Unstable),
            n(Fd::Noisy),
            self.skipped,
            self.rejected.values().map(|v| v.len()).sum::<usize>(),
            self.failures.values().map(|v| v.len()).sum::<usize>()
        );
        s.push_str(&format!(
            "batched reverse mode (sampled, about half the seeds) on the passing programs: {} checked, {} \
             rejected by ferment (the program passed without it)\n",
            self.brev_checked,
            self.brev_rejected.values().map(Vec::len).sum::<usize>()
        ));
        for (k, v) in &self.brev_rejected {
            let seeds: Vec<String> = v.iter().take(6).map(|x| x.to_string()).collect();
            s.push_str(&format!("  {:6}  {k}  [{}]\n", v.len(), seeds.join(" ")));
        }
        if self.hvp_checked > 0 || !self.hvp_rejected.is_empty() {
            s.push_str(&format!(
                "forward-over-reverse (hvp variant) on the passing programs: {} checked ({} with finite \
                 differences of the gradient), {} rejected by ferment (the program passed without it)\n",
                self.hvp_checked,
                self.hvp_fd,
                self.hvp_rejected.values().map(Vec::len).sum::<usize>()
            ));
            for (k, v) in &self.hvp_rejected {
                let seeds: Vec<String> = v.iter().take(6).map(|x| x.to_string()).collect();
                s.push_str(&format!("  {:6}  {k}  [{}]\n", v.len(), seeds.join(" ")));
            }
        }
        let old = |k: &str| self.old_fd.get(k).map_or(0, Vec::len);
        let wrong: Vec<String> = self
            .old_fd
            .get("wrong")
            .map(|v| v.iter().take(8).map(|x| x.to_string()).collect())
            .unwrap_or_default();
        s.push_str(&format!(
            "the previous oracle (two steps at X0, no path record) on the passing programs: {} checked, \
             {} skipped, {} false wrong-gradient reports [{}]\n",
            old("checked"),
            old("skipped"),
            old("wrong"),
            wrong.join(" ")
        ));
        if !self.rejected.is_empty() {
            s.push_str("compile errors by kind (clean ferment diagnostics):\n");
            for (k, v) in &self.rejected {
                let seeds: Vec<String> = v.iter().take(6).map(|x| x.to_string()).collect();
                s.push_str(&format!("  {:6}  {k}  [{}]\n", v.len(), seeds.join(" ")));
            }
        }
        if !self.failures.is_empty() {
            s.push_str("FAILURES by kind (seeds):\n");
            for (k, v) in &self.failures {
                let seeds: Vec<String> = v.iter().take(12).map(|x| x.to_string()).collect();
                s.push_str(&format!("  {:6}  {k}  [{}]\n", v.len(), seeds.join(" ")));
            }
        }
        for f in &self.found {
            s.push_str(&format!("reduced reproducer: {f}\n"));
        }
        s
    }
}

/// The part of a failure that must stay the same while reducing.
fn failure_key(s: &str) -> String {
    if s.starts_with("wrong") {
        s.to_string()
    } else {
        s.split(':').next().unwrap_or(s).to_string()
    }
}

/// The levels a failure is reduced at: the one level its key names, else the campaign's.
fn levels_for(key: &str, campaign: &[u8]) -> Vec<u8> {
    let named: Vec<u8> = (0..=3u8)
        .filter(|d| key.contains(&format!("-O{d}")))
        .collect();
    match named[..] {
        [d] => vec![d],
        // "-O0 vs -O2": reproduced only with both levels
        _ => campaign.to_vec(),
    }
}

/// The flags of the no-inline variant: calls stay calls, so helpers get derivatives of their own.
const NO_INLINE: &[&str] = &["-mllvm", "-ferment-no-inline"];

struct Opts {
    start: u64,
    count: u64,
    jobs: usize,
    valgrind_every: u64,
    /// Every K-th seed is compiled with `-mllvm -ferment-no-inline` too (0: none).
    no_inline_every: u64,
    found: PathBuf,
    reduce_max: usize,
    /// Flags added to every compile (`--variant no-inline`: `-mllvm -ferment-no-inline`).
    extra: Vec<String>,
    /// The generator's families (`--variant omp,numeric,...`; see `gen::Variant`).
    variant: gen::Variant,
    /// The -O levels every program is checked at, and compared across (`--levels 1,3`; default
    /// 0,2); a valgrind seed runs at the last one only.
    levels: Vec<u8>,
}

fn parse_opts(args: &[String]) -> Opts {
    let ws = workspace();
    let mut o = Opts {
        start: 1,
        count: 100,
        jobs: std::env::var("FERMENT_FUZZ_JOBS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2),
        valgrind_every: 0,
        no_inline_every: 0,
        found: ws.join("fuzz/found"),
        reduce_max: 2,
        extra: Vec::new(),
        variant: gen::Variant::default(),
        levels: vec![0, 2],
    };
    let mut flags = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--start" => o.start = v.parse().expect("--start N"),
            "--count" => o.count = v.parse().expect("--count N"),
            "--jobs" => o.jobs = v.parse().expect("--jobs N"),
            "--valgrind-every" => o.valgrind_every = v.parse().expect("--valgrind-every K"),
            "--no-inline-every" => o.no_inline_every = v.parse().expect("--no-inline-every K"),
            "--found" => o.found = PathBuf::from(v),
            "--reduce-max" => o.reduce_max = v.parse().expect("--reduce-max N"),
            "--levels" => {
                o.levels = v
                    .split(',')
                    .map(|l| {
                        l.parse()
                            .ok()
                            .filter(|l| *l <= 3)
                            .expect("--levels L,L (0..3)")
                    })
                    .collect();
                assert!(!o.levels.is_empty(), "--levels L,L");
            }
            "--flags" => flags.extend(v.split_whitespace().map(str::to_string)),
            "--variant" => {
                for part in v.split(',') {
                    match part {
                        "default" => o.extra.clear(),
                        "no-inline" => o.extra = NO_INLINE.iter().map(|f| f.to_string()).collect(),
                        f if o.variant.add(f) => {}
                        _ => panic!(
                            "--variant default|no-inline|{} (or a comma list)",
                            gen::Variant::all_names().join("|")
                        ),
                    }
                }
            }
            a => panic!("unknown option {a}"),
        }
        i += 2;
    }
    o.extra.extend(flags);
    o
}

fn env(work: &Path, valgrind: bool, extra: &[String]) -> Env {
    let ws = workspace();
    let plugin = find_plugin(&ws).unwrap_or_else(|e| {
        eprintln!("ferment-fuzz: {e}");
        std::process::exit(2)
    });
    Env {
        plugin,
        include: ws.join("clang-tests/include"),
        work: work.to_path_buf(),
        clang: "clang-22".into(),
        compile_timeout: Duration::from_secs(120),
        run_timeout: Duration::from_secs(20),
        valgrind,
        extra: extra.to_vec(),
    }
}

/// Runs seeds `start..start+count` on `jobs` threads.
fn campaign(o: &Opts) -> Stats {
    let ws = workspace();
    let work = ws.join("target/fuzz/work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&o.found).unwrap();
    let stats = Arc::new(Mutex::new(Stats::default()));
    let next = Arc::new(AtomicUsize::new(0));
    let reduced: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    std::thread::scope(|s| {
        for _ in 0..o.jobs.max(1) {
            let (stats, next, reduced, work) =
                (stats.clone(), next.clone(), reduced.clone(), work.clone());
            s.spawn(move || loop {
                let k = next.fetch_add(1, Ordering::SeqCst) as u64;
                if k >= o.count {
                    break;
                }
                let seed = o.start + k;
                let vg =
                    !o.variant.omp && o.valgrind_every > 0 && seed.is_multiple_of(o.valgrind_every);
                let mut e = env(&work, vg, &o.extra);
                if o.no_inline_every > 0
                    && seed.is_multiple_of(o.no_inline_every)
                    && !e.extra.iter().any(|f| f == NO_INLINE[1])
                {
                    e.extra.extend(NO_INLINE.iter().map(|f| f.to_string()));
                }
                let p = gen::generate_variant(seed, size_for(seed), &o.variant);
                let src = work.join(format!("s{seed}.{}", p.ext()));
                std::fs::write(&src, p.emit()).unwrap();
                let levels = if vg {
                    &o.levels[o.levels.len() - 1..]
                } else {
                    &o.levels[..]
                };
                let r = e.check_program(&src, levels);
                let mut st = stats.lock().unwrap();
                st.programs += 1;
                match &r {
                    Outcome::Pass {
                        fd,
                        old_fd,
                        brev,
                        hvp,
                        hvp_fd,
                        ..
                    } => {
                        match hvp {
                            Brev::Absent => {}
                            Brev::Checked => {
                                st.hvp_checked += 1;
                                st.hvp_fd += usize::from(*hvp_fd);
                            }
                            Brev::Rejected(k) => {
                                st.hvp_rejected.entry(k.clone()).or_default().push(seed)
                            }
                        }
                        *st.pass.entry(*fd).or_default() += 1;
                        st.old_fd.entry(old_fd.clone()).or_default().push(seed);
                        match brev {
                            Brev::Absent => {}
                            Brev::Checked => st.brev_checked += 1,
                            Brev::Rejected(k) => {
                                st.brev_rejected.entry(k.clone()).or_default().push(seed)
                            }
                        }
                    }
                    Outcome::Skip => st.skipped += 1,
                    Outcome::Rejected(k) => st.rejected.entry(k.clone()).or_default().push(seed),
                    Outcome::Fail(f) => {
                        st.failures.entry(f.clone()).or_default().push(seed);
                    }
                }
                drop(st);
                if let Outcome::Fail(f) = r {
                    eprintln!("seed {seed}: FAIL {f}");
                    let key = failure_key(&f);
                    let n = {
                        let mut m = reduced.lock().unwrap();
                        let n = m.entry(key.clone()).or_default();
                        *n += 1;
                        *n
                    };
                    let path = if n <= o.reduce_max {
                        reduce_and_write(&e, &p, &key, &f, &o.found, &o.levels)
                    } else {
                        let dst = o.found.join(format!("unreduced_{seed}.{}", p.ext()));
                        let _ = std::fs::copy(&src, &dst);
                        dst
                    };
                    stats.lock().unwrap().found.push(path.display().to_string());
                } else {
                    let _ = std::fs::remove_file(&src);
                }
            });
        }
    });
    Arc::try_unwrap(stats).ok().unwrap().into_inner().unwrap()
}

fn reduce_and_write(
    e: &Env,
    p: &program::Program,
    key: &str,
    full: &str,
    found: &Path,
    campaign: &[u8],
) -> PathBuf {
    let levels = levels_for(key, campaign);
    let tmp = e.work.join(format!("reduce{}.{}", p.seed, p.ext()));
    let mut tries = 0;
    let mut fails = |q: &program::Program| {
        tries += 1;
        std::fs::write(&tmp, q.emit()).unwrap();
        matches!(e.check_program(&tmp, &levels), Outcome::Fail(f) if failure_key(&f) == key)
    };
    let before = p.stmt_count();
    let mut r = reduce::reduce(p, &mut fails);
    let _ = std::fs::remove_file(&tmp);
    // The campaign variant's flags, so that the reproducer fails on its own.
    let cflags = format!("CFLAGS: {}", e.extra.join(" "));
    if !e.extra.is_empty() && !r.comment.contains(&cflags) {
        r.comment.push(cflags);
    }
    r.comment.push(format!("Failure: {full}"));
    r.comment.push(format!(
        "Reduced from {before} to {} statements ({tries} candidates); reproduce the original (size {}) \
         with `cargo run --release -p ferment-fuzz -- show {}`.",
        r.stmt_count(),
        p.size,
        p.seed
    ));
    let dst = found.join(format!("seed{}.{}", p.seed, p.ext()));
    std::fs::write(&dst, r.emit()).unwrap();
    eprintln!("seed {}: reduced to {}", p.seed, dst.display());
    dst
}

#[derive(Default)]
struct MStats {
    total: usize,
    by_mutation: BTreeMap<&'static str, (usize, usize)>,
    failures: Vec<String>,
}

fn malformed_campaign(o: &Opts) -> MStats {
    let work = workspace().join("target/fuzz/malformed");
    std::fs::create_dir_all(&work).unwrap();
    let stats = Arc::new(Mutex::new(MStats::default()));
    let next = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        for _ in 0..o.jobs.max(1) {
            let (stats, next, work) = (stats.clone(), next.clone(), work.clone());
            s.spawn(move || loop {
                let k = next.fetch_add(1, Ordering::SeqCst) as u64;
                if k >= o.count {
                    break;
                }
                let seed = o.start + k;
                let e = env(&work, false, &o.extra);
                let c = malformed::generate(seed);
                let src = work.join(format!("bad{seed}.c"));
                std::fs::write(&src, &c.source).unwrap();
                let exe = src.with_extension("out");
                let opt = if seed.is_multiple_of(2) { 0 } else { 2 };
                let r = e.compile(&src, &exe, opt, &[]);
                let want_loc = format!("bad{seed}.c:{}:", c.line);
                let verdict = if r.timed_out {
                    Some("compile timeout".to_string())
                } else if c.mutation == "none" {
                    (!r.ok()).then(|| {
                        format!(
                            "the well-formed request was rejected: {}",
                            r.stderr.lines().next().unwrap_or("")
                        )
                    })
                } else if r.crashed() {
                    Some(format!("crash: {}", r.stderr.lines().next().unwrap_or("")))
                } else if r.ok() {
                    Some("accepted: a derivative was produced for a malformed request".to_string())
                } else if !r.stderr.contains("ferment:") {
                    Some(format!(
                        "rejected without a ferment diagnostic: {}",
                        r.stderr.lines().next().unwrap_or("")
                    ))
                } else if !r.stderr.contains(&want_loc) {
                    Some(format!(
                        "the diagnostic does not name {want_loc}: {}",
                        r.stderr
                            .lines()
                            .find(|l| l.contains("ferment:"))
                            .unwrap_or("")
                    ))
                } else {
                    None
                };
                let _ = std::fs::remove_file(&exe);
                let mut st = stats.lock().unwrap();
                st.total += 1;
                let ent = st.by_mutation.entry(c.mutation).or_default();
                ent.0 += 1;
                match verdict {
                    None => {
                        let _ = std::fs::remove_file(&src);
                    }
                    Some(v) => {
                        ent.1 += 1;
                        st.failures.push(format!(
                            "{} (-O{opt}, {}): {v}",
                            src.display(),
                            c.mutation
                        ));
                    }
                }
            });
        }
    });
    Arc::try_unwrap(stats).ok().unwrap().into_inner().unwrap()
}

fn malformed_report(m: &MStats, secs: f64) -> String {
    let mut s = format!(
        "malformed requests: {} in {secs:.0} s, {} not rejected cleanly\n",
        m.total,
        m.failures.len()
    );
    for (k, (n, bad)) in &m.by_mutation {
        s.push_str(&format!(
            "  {n:5} {k}{}\n",
            if *bad > 0 {
                format!(" ({bad} FAILED)")
            } else {
                String::new()
            }
        ));
    }
    for f in &m.failures {
        s.push_str(&format!("  FAIL {f}\n"));
    }
    s
}

/// ` (variant: numeric, -mllvm -ferment-no-inline)` and the like, for campaign reports.
fn variant_label(o: &Opts) -> String {
    let mut parts: Vec<String> = o.variant.names().into_iter().map(String::from).collect();
    if !o.extra.is_empty() {
        parts.push(o.extra.join(" "));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" (variant: {})", parts.join(", "))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = args.first().map(String::as_str).unwrap_or("help");
    let t = Instant::now();
    match cmd {
        "show" => {
            let seed: u64 = args[1].parse().expect("show SEED");
            let o = parse_opts(&args[2..]);
            print!(
                "{}",
                gen::generate_variant(seed, size_for(seed), &o.variant).emit()
            );
        }
        "check" => {
            // One file (a reproducer, a hand-edited program) through the same oracles.
            let src = PathBuf::from(args.get(1).expect("check FILE"));
            let o = parse_opts(&args[2..]);
            let work = workspace().join("target/fuzz/work");
            std::fs::create_dir_all(&work).unwrap();
            let r = env(&work, false, &o.extra).check_program(&src, &[0, 2]);
            println!("{r:?}");
            std::process::exit(i32::from(matches!(r, Outcome::Fail(_))));
        }
        "malformed-show" => {
            let seed: u64 = args[1].parse().expect("malformed-show SEED");
            print!("{}", malformed::generate(seed).source);
        }
        "run" => {
            let o = parse_opts(&args[1..]);
            let st = campaign(&o);
            print!(
                "{}",
                st.report(
                    &format!(
                        "seeds {}..{}{}",
                        o.start,
                        o.start + o.count - 1,
                        variant_label(&o)
                    ),
                    t.elapsed().as_secs_f64()
                )
            );
            std::process::exit(i32::from(!st.failures.is_empty()));
        }
        "malformed" => {
            let o = parse_opts(&args[1..]);
            let m = malformed_campaign(&o);
            print!("{}", malformed_report(&m, t.elapsed().as_secs_f64()));
            std::process::exit(i32::from(!m.failures.is_empty()));
        }
        "ci" => {
            // The fixed campaign: the same seeds every time, so CI is deterministic; findings go
            // under target/ (not into the source tree).
            let mut o = parse_opts(&args[1..]);
            o.start = 1;
            o.count = CI_DEFAULT;
            o.found = workspace().join("target/fuzz/found");
            o.reduce_max = 0;
            // Every 5th seed with calls kept as calls (the no-inline variant): same time.
            o.no_inline_every = 5;
            let st = campaign(&o);
            print!(
                "{}",
                st.report(
                    &format!("ci campaign (seeds 1..{CI_DEFAULT})"),
                    t.elapsed().as_secs_f64()
                )
            );
            // Known, reported bugs (each with its reproducer) are expected to fail; a known seed
            // that passes fails the campaign too, so the list stays current.
            let failing: Vec<u64> = st.failures.values().flatten().copied().collect();
            let mut bad = false;
            for s in &failing {
                match KNOWN_FAILURES.iter().find(|k| k.0 == *s) {
                    Some((_, repro)) => println!("expected failure: seed {s} (open bug, {repro})"),
                    None => bad = true,
                }
            }
            for (s, repro) in KNOWN_FAILURES {
                if !failing.contains(s) {
                    println!("UNEXPECTED PASS: seed {s} ({repro}): remove it from KNOWN_FAILURES");
                    bad = true;
                }
            }
            // Shapes of numerical code (the numeric variant).
            let ci_part =
                |label: &str, start: u64, count: u64, no_inline_every: u64, family: &str| {
                    let t = Instant::now();
                    let mut p = parse_opts(&args[1..]);
                    p.start = start;
                    p.count = count;
                    p.found = o.found.clone();
                    p.reduce_max = 0;
                    p.no_inline_every = no_inline_every;
                    assert!(p.variant.add(family), "a variant name");
                    let st = campaign(&p);
                    let seeds = format!("seeds {start}..{}", start + count - 1);
                    let what = format!("ci campaign, {label} variant ({seeds})");
                    print!("{}", st.report(&what, t.elapsed().as_secs_f64()));
                    !st.failures.is_empty()
                };
            bad |= ci_part("numeric", 1, CI_NUMERIC, 0, "numeric");
            // Infinite partials at clamped or exact zeros (the clamp variant).
            bad |= ci_part("clamp", CI_CLAMP_START, CI_CLAMP, 4, "clamp");
            // Forward over reverse (the hvp variant).
            bad |= ci_part("hvp", CI_HVP_START, CI_HVP, 3, "hvp");
            // Scientific kernels (the sci variant).
            bad |= ci_part("sci", CI_SCI_START, CI_SCI, 4, "sci");
            // Corners of C and its library (the corner variant).
            bad |= ci_part("corner", CI_CORNER_START, CI_CORNER, 4, "corner");
            // Guarded quotients, logs and roots at their singular points (hazard, flat).
            bad |= ci_part("hazard", CI_HAZARD_START, CI_HAZARD, 2, "hazard");
            bad |= ci_part("flat", CI_FLAT_START, CI_FLAT, 2, "flat");
            // OpenMP kernels (the omp variant), each checked with 1, 2 and 4 threads.
            bad |= ci_part("omp", 1, CI_OMP, 0, "omp");
            let t2 = Instant::now();
            o.count = 60;
            let m = malformed_campaign(&o);
            print!("{}", malformed_report(&m, t2.elapsed().as_secs_f64()));
            std::process::exit(i32::from(bad || !m.failures.is_empty()));
        }
        _ => {
            eprintln!("usage: ferment-fuzz run|malformed|ci|show SEED|malformed-show SEED [--start S] [--count N] [--jobs J] [--valgrind-every K] [--found DIR] [--levels L,L]");
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::levels_for;

    #[test]
    fn failures_reduce_at_the_level_they_name() {
        assert_eq!(levels_for("wrong-O3: d/dx0", &[1, 3]), vec![3]);
        assert_eq!(levels_for("compile-crash-O1", &[1, 3]), vec![1]);
        assert_eq!(levels_for("run-timeout-O0", &[0, 2]), vec![0]);
        // a disagreement between levels needs both
        assert_eq!(
            levels_for("opt-mismatch: -O0 vs -O2 (1 vs 2)", &[0, 2]),
            vec![0, 2]
        );
        assert_eq!(
            levels_for("opt-mismatch: -O1 vs -O3 (1 vs 2)", &[1, 3]),
            vec![1, 3]
        );
    }
}
