//! Compiling a program with the plugin loaded into clang, running it, and classifying the
//! outcome.

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Lines in a compiler's output that mean it crashed rather than reported an error.
pub const CRASH_MARKERS: &[&str] = &[
    "Stack dump",
    "PLEASE submit a bug report",
    "frontend command failed due to signal",
    "unable to execute command",
    "internal compiler error",
    "LLVM ERROR",
    "Assertion",
    "Broken module",
    "panicked at",
];

pub struct Env {
    pub plugin: PathBuf,
    pub include: PathBuf,
    pub work: PathBuf,
    pub clang: String,
    pub compile_timeout: Duration,
    pub run_timeout: Duration,
    /// Run every binary under valgrind memcheck too (slow; for samples).
    pub valgrind: bool,
    /// Flags added to every compile (a campaign variant, e.g. `-mllvm -ferment-no-inline`).
    pub extra: Vec<String>,
}

pub struct Output {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl Output {
    pub fn ok(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }
    pub fn crashed(&self) -> bool {
        self.signal.is_some() || CRASH_MARKERS.iter().any(|m| self.stderr.contains(m))
    }
}

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}

pub fn run_cmd(cmd: &mut Command, timeout: Duration) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Output {
                code: None,
                signal: None,
                stdout: String::new(),
                stderr: format!("cannot start {:?}: {e}", cmd.get_program()),
                timed_out: false,
            }
        }
    };
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t1 = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        String::from_utf8_lossy(&b).into_owned()
    });
    let t2 = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = se.read_to_end(&mut b);
        String::from_utf8_lossy(&b).into_owned()
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) => {}
            Err(_) => break None,
        }
        if start.elapsed() > timeout {
            timed_out = true;
            // SAFETY: kill(2) on the child's own process group.
            unsafe {
                kill(-(child.id() as i32), 9);
            }
            break child.wait().ok();
        }
        std::thread::sleep(Duration::from_millis(3));
    };
    Output {
        code: status.and_then(|s| s.code()),
        signal: status.and_then(|s| s.signal()),
        stdout: t1.join().unwrap_or_default(),
        stderr: t2.join().unwrap_or_default(),
        timed_out,
    }
}

/// The outcome of one program at one optimization level.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Ran and every check passed; `fd` says whether and where finite differences applied.
    Pass {
        fd: Fd,
        /// What the previous oracle (two steps at X0, no path record) concluded: "checked",
        /// "skipped" or "wrong" (a false positive, since every check passed).
        old_fd: String,
        values: Vec<f64>,
        rtol: f64,
        brev: Brev,
        /// The hvp variant's forward-over-reverse checks (`harness::hessian`).
        hvp: Brev,
        /// Those checks included central differences of the gradient (`hvp-fd: checked`).
        hvp_fd: bool,
    },
    /// The primal was not finite at the chosen point: nothing to check.
    Skip,
    /// A clean ferment diagnostic: a construct ferment rejects (kind = normalized message).
    Rejected(String),
    /// Anything that is a bug (in ferment, or in the generator).
    Fail(String),
}

/// What became of a program's batched reverse check (or its forward-over-reverse checks).
#[derive(Clone, Debug, PartialEq)]
pub enum Brev {
    /// The program has none (not sampled).
    Absent,
    /// Compiled, ran and passed.
    Checked,
    /// ferment rejected the batched request (kind = normalized message) and the program passed
    /// without it.
    Rejected(String),
}

/// Whether the finite-difference oracle applied to a passing program (the forward-vs-reverse,
/// split, batched and -O0/-O2 oracles always do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fd {
    /// Checked at the given point: the recorded path is the same at x and x ± h v.
    Checked,
    /// Checked at a point moved off X0, because the path changed within the step at X0.
    CheckedMoved,
    /// The path is stable but central differences with two steps disagree (strong curvature,
    /// or a non-smooth operation the generator does not record).
    Noisy,
    /// The path changes within the step at every point tried.
    Unstable,
    /// Single precision inside: checked with a larger step and a looser tolerance (finite
    /// differences see float rounding).
    Single,
}

impl Fd {
    fn parse(stdout: &str) -> Fd {
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("fd: "))
            .unwrap_or("");
        if line.starts_with("checked (single") {
            Fd::Single
        } else if line.starts_with("checked at point 0") {
            Fd::Checked
        } else if line.starts_with("checked") {
            Fd::CheckedMoved
        } else if line.starts_with("noisy") {
            Fd::Noisy
        } else if line.starts_with("single") {
            Fd::Single
        } else {
            Fd::Unstable
        }
    }
}

/// The first ferment diagnostic, without locations, names and numbers: a stable "kind".
pub fn diagnostic_kind(stderr: &str) -> Option<String> {
    let line = stderr.lines().find(|l| l.contains("ferment:"))?;
    let msg = &line[line.find("ferment:").unwrap() + 8..];
    let mut out = String::new();
    let mut in_quote = false;
    for c in msg.trim().chars() {
        match c {
            '\'' => {
                if !in_quote {
                    out.push_str("'_'");
                }
                in_quote = !in_quote;
            }
            _ if in_quote => {}
            '0'..='9' => {
                if !out.ends_with('#') {
                    out.push('#')
                }
            }
            _ => out.push(c),
        }
    }
    if let Some(p) = out.find(" (while differentiating") {
        out.truncate(p);
    }
    let mut kind: String = out.chars().take(120).collect();
    if let Some(at) = internal_function_kind(msg) {
        kind.push_str(&format!(" [in {at}]"));
    }
    Some(kind)
}

/// The family of the ferment-generated function a diagnostic names as the one being
/// differentiated (`ferment.augmented.*`, `ferment.adjoint.memcpy.*`...: forward mode over a
/// reverse derivative differentiates them), so that refusals of different causes with the same
/// message are counted apart. `None` for a user function.
fn internal_function_kind(msg: &str) -> Option<String> {
    const AT: &str = "(while differentiating '";
    let p = msg.find(AT)? + AT.len();
    let name = &msg[p..p + msg[p..].find('\'')?];
    let rest = name.strip_prefix("ferment.")?;
    // `ferment.<kind>.` then, for the reverse-sweep helpers, their operation
    let mut parts = rest.split('.');
    let first = parts.next()?;
    let family = match first {
        "adjoint" | "tape" | "omp" | "fwdsplit" => format!("ferment.{first}.{}.*", parts.next()?),
        _ => format!("ferment.{first}.*"),
    };
    let outret = if name.ends_with(".ferment.outret") {
        " (out-return copy)"
    } else {
        ""
    };
    Some(format!("{family}{outret}"))
}

fn first_lines(s: &str, n: usize) -> String {
    s.lines().take(n).collect::<Vec<_>>().join(" | ")
}

impl Env {
    pub fn compile(&self, src: &Path, exe: &Path, opt: u8, extra: &[&str]) -> Output {
        // C++ sources (the cpp variant) go to clang++ (which links the C++ library).
        let cxx;
        let driver = if src.extension().is_some_and(|e| e == "cpp") {
            cxx = self.clang.replacen("clang", "clang++", 1);
            &cxx
        } else {
            &self.clang
        };
        let mut c = Command::new(driver);
        c.arg("-fno-crash-diagnostics")
            .arg(format!("-O{opt}"))
            .arg("-g")
            .arg("-w")
            .arg(format!("-fpass-plugin={}", self.plugin.display()))
            .arg("-I")
            .arg(&self.include)
            .args(&self.extra)
            .args(extra)
            .arg(src)
            .arg("-lm")
            .arg("-o")
            .arg(exe);
        run_cmd(&mut c, self.compile_timeout)
    }

    /// Compiles `src`: `Err` with the outcome when it does not give a binary (a clean ferment
    /// diagnostic is `Rejected`, anything else a `Fail`).
    fn compile_classified(
        &self,
        src: &Path,
        exe: &Path,
        opt: u8,
        flags: &[&str],
    ) -> Result<(), Outcome> {
        let o = self.compile(src, exe, opt, flags);
        if o.timed_out {
            return Err(Outcome::Fail(format!("compile-timeout-O{opt}")));
        }
        if o.crashed() {
            let what = o
                .stderr
                .lines()
                .find(|l| CRASH_MARKERS.iter().any(|m| l.contains(m)) || l.contains("ferment"))
                .unwrap_or("")
                .to_string();
            return Err(Outcome::Fail(format!(
                "compile-crash-O{opt}: {}",
                what.chars().take(100).collect::<String>()
            )));
        }
        if !o.ok() {
            // An internal error (a derivative that failed LLVM's verifier, say) is ferment's own
            // bug, not a refusal of the program: it fails the program like a crash does.
            if let Some(line) = o
                .stderr
                .lines()
                .find(|l| l.contains("ferment:") && l.contains("internal error"))
            {
                return Err(Outcome::Fail(format!(
                    "compile-internal-error-O{opt}: {}",
                    line.chars().take(100).collect::<String>()
                )));
            }
            if let Some(k) = diagnostic_kind(&o.stderr) {
                return Err(Outcome::Rejected(k));
            }
            if o.stderr.contains("undefined reference") {
                return Err(Outcome::Fail(format!(
                    "link-error-O{opt}: {}",
                    first_lines(&o.stderr, 2)
                )));
            }
            return Err(Outcome::Fail(format!(
                "compile-error-without-diagnostic-O{opt}: {}",
                first_lines(&o.stderr, 3)
            )));
        }
        Ok(())
    }

    /// Compiles and runs `src` (already written) at -O`opt`.
    pub fn check(&self, src: &Path, opt: u8) -> Outcome {
        let exe = src.with_extension(format!("O{opt}"));
        // `// CFLAGS:` directives in the leading comment, as in clang-tests cases.
        let text = std::fs::read_to_string(src).unwrap_or_default();
        let flags: Vec<&str> = text
            .lines()
            .take_while(|l| l.starts_with("//"))
            .filter_map(|l| l.strip_prefix("// CFLAGS:"))
            .flat_map(|l| l.split_whitespace())
            .collect();
        // A rejection of an optional part alone (batched reverse mode, forward-over-reverse:
        // the program passes without it) is counted on its own; every other oracle still runs.
        // Each part the program has is left out in turn until it compiles; the parts left out
        // are those rejected, each with the rejection it was left out for.
        let (mut brev_rejected, mut hvp_rejected) = (None, None);
        let mut res = self.compile_classified(src, &exe, opt, &flags);
        let mut f2 = flags.clone();
        for part in ["FUZZ_NO_HVP", "FUZZ_NO_BREV"] {
            let Err(Outcome::Rejected(kind)) = &res else {
                break;
            };
            if !text.contains(part) {
                continue;
            }
            f2.push(if part == "FUZZ_NO_HVP" {
                "-DFUZZ_NO_HVP"
            } else {
                "-DFUZZ_NO_BREV"
            });
            let slot = if part == "FUZZ_NO_HVP" {
                &mut hvp_rejected
            } else {
                &mut brev_rejected
            };
            *slot = Some(kind.clone());
            match self.compile_classified(src, &exe, opt, &f2) {
                Err(r2 @ Outcome::Fail(_)) => return r2,
                r2 => res = r2,
            }
        }
        if let Err(r) = res {
            // Rejected without the optional parts too: the first rejection counts.
            return match hvp_rejected.or(brev_rejected) {
                Some(k) => Outcome::Rejected(k),
                None => r,
            };
        }
        let mut cmd = if self.valgrind {
            let mut v = Command::new("valgrind");
            v.args([
                "-q",
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite",
            ]);
            v.arg(&exe);
            v
        } else {
            Command::new(&exe)
        };
        // libomp's work-stealing dispatch of nonmonotonic `schedule(dynamic)`
        // loops aborts at random under load (an open libomp race, llvm-project
        // issues 54422 and 132164); the e2e harness avoids it the same way.
        cmd.env("KMP_FORCE_MONOTONIC_DYNAMIC_SCHEDULE", "1");
        let r = run_cmd(
            &mut cmd,
            self.run_timeout * if self.valgrind { 20 } else { 1 },
        );
        let _ = std::fs::remove_file(&exe);
        if r.timed_out {
            return Outcome::Fail(format!("run-timeout-O{opt}"));
        }
        if let Some(sig) = r.signal {
            return Outcome::Fail(format!("run-signal-{sig}-O{opt}"));
        }
        if r.code == Some(99) && self.valgrind {
            return Outcome::Fail(format!("valgrind-O{opt}: {}", first_lines(&r.stderr, 2)));
        }
        if r.stdout.starts_with("skip:") {
            return Outcome::Skip;
        }
        if r.code != Some(0) {
            // The first failing check names the oracle.
            let what = r
                .stderr
                .lines()
                .find_map(|l| {
                    let p = l.find("mismatch: ")?;
                    let rest = &l[p + 10..];
                    Some(rest.split(" got=").next().unwrap_or(rest).to_string())
                })
                .unwrap_or_else(|| format!("exit {:?}: {}", r.code, first_lines(&r.stderr, 2)));
            return Outcome::Fail(format!("wrong-O{opt}: {what}"));
        }
        let values = r
            .stdout
            .lines()
            .filter(|l| l.starts_with("JV ") || l.starts_with("JTW ") || l.starts_with("HV "))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .collect();
        let rtol = r
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("cmp-rtol ")?.trim().parse().ok())
            .unwrap_or(1e-8);
        let brev = match brev_rejected {
            Some(k) => Brev::Rejected(k),
            None if r.stdout.contains("brev: checked") => Brev::Checked,
            None => Brev::Absent,
        };
        let hvp = match hvp_rejected {
            Some(k) => Brev::Rejected(k),
            None if r.stdout.contains("hvp: checked") => Brev::Checked,
            None => Brev::Absent,
        };
        Outcome::Pass {
            fd: Fd::parse(&r.stdout),
            brev,
            old_fd: r
                .stdout
                .lines()
                .find_map(|l| l.strip_prefix("old-fd: "))
                .unwrap_or("")
                .to_string(),
            values,
            rtol,
            hvp,
            hvp_fd: r.stdout.contains("hvp-fd: checked"),
        }
    }

    /// Both optimization levels and their agreement; the outcome that counts.
    pub fn check_program(&self, src: &Path, levels: &[u8]) -> Outcome {
        let mut first: Option<Outcome> = None;
        let (mut brev_rejected, mut hvp_rejected) = (None, None);
        for &o in levels {
            let r = self.check(src, o);
            if let Outcome::Pass { brev, hvp, .. } = &r {
                if let Brev::Rejected(k) = brev {
                    brev_rejected.get_or_insert_with(|| k.clone());
                }
                if let Brev::Rejected(k) = hvp {
                    hvp_rejected.get_or_insert_with(|| k.clone());
                }
            }
            match (&first, &r) {
                // A rejection at either level is a rejection (optimization may remove or create
                // the construct); a failure at either level is a failure.
                (_, Outcome::Fail(_)) | (_, Outcome::Rejected(_)) => return r,
                (None, _) => first = Some(r),
                (
                    Some(Outcome::Pass {
                        values: a, rtol, ..
                    }),
                    Outcome::Pass { values: b, .. },
                ) => {
                    // Forward-over-reverse left out at one level prints no `HV` values there
                    // (they come last).
                    if a.len() != b.len() && hvp_rejected.is_none() {
                        return Outcome::Fail("opt-mismatch: different output".into());
                    }
                    let scale = a.iter().chain(b.iter()).fold(1.0f64, |m, v| m.max(v.abs()));
                    for (x, y) in a.iter().zip(b) {
                        let tol = rtol * (x.abs() + y.abs()) + 1e-3 * rtol * scale;
                        // NaN never agrees
                        if (x - y).abs().partial_cmp(&tol).is_none_or(|c| c.is_gt()) {
                            return Outcome::Fail(format!(
                                "opt-mismatch: -O{} vs -O{o} ({x} vs {y})",
                                levels[0]
                            ));
                        }
                    }
                }
                (Some(a), b) if std::mem::discriminant(a) != std::mem::discriminant(b) => {
                    return Outcome::Fail(format!(
                        "opt-mismatch: {a:?} at -O{} vs {b:?} at -O{o}",
                        levels[0]
                    ));
                }
                _ => {}
            }
        }
        // A batched reverse or forward-over-reverse request rejected at either level counts as
        // rejected.
        match first {
            Some(Outcome::Pass {
                fd,
                old_fd,
                values,
                rtol,
                brev,
                hvp,
                hvp_fd,
            }) => Outcome::Pass {
                fd,
                old_fd,
                values,
                rtol,
                brev: brev_rejected.map_or(brev, Brev::Rejected),
                hvp: hvp_rejected.map_or(hvp, Brev::Rejected),
                hvp_fd,
            },
            first => first.unwrap_or(Outcome::Skip),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::diagnostic_kind;

    #[test]
    fn refusals_name_the_internal_function_they_come_from() {
        let memcpy = "x.c:5:1: error: ferment: an active value is stored into argument 2 (ptr %1), which has no shadow (while differentiating 'ferment.adjoint.memcpy.double')\n";
        assert_eq!(
            diagnostic_kind(memcpy).unwrap(),
            "an active value is stored into argument # (ptr %#), which has no shadow [in ferment.adjoint.memcpy.*]"
        );
        let frame = "error: ferment: '%s' merges pointers (while differentiating 'ferment.augmented.f.ferment.outret')\n";
        assert_eq!(
            diagnostic_kind(frame).unwrap(),
            "'_' merges pointers [in ferment.augmented.* (out-return copy)]"
        );
        let user = "error: ferment: no rule for 'g' (while differentiating 'f')\n";
        assert_eq!(diagnostic_kind(user).unwrap(), "no rule for '_'");
    }
}
