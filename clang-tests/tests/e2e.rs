//! End-to-end test harness for the ferment plugin (plain std, `harness = false`).
//!
//! Every file under `clang-tests/cases/` (C, C++, Fortran, Rust) is a test case. It is compiled
//! with the plugin loaded into clang / opt / flang / rustc, linked and run; the program checks its
//! own gradients against independent oracles and exits non-zero on a mismatch.
//!
//! Header directives, in the leading comment lines of a case (`//` or `!` for Fortran):
//!   RUN: <hosts>               subset of `clang opt flang rustc` (default: by language)
//!   EXPECT-ERROR: <substring>  (repeatable) compiling must fail cleanly and print every substring
//!   EXPECT-WARNING: <substring> (repeatable) the plugin step must succeed and print every
//!                              substring on stderr; the program then runs as usual
//!   EXPECT-IR-UNCHANGED        IR with and without the plugin must be identical (-O0 and -O2)
//!   VALGRIND                   the natively linked programs of every clang and opt config run
//!                              under valgrind's memcheck (no invalid access, no definite leak)
//!   CFLAGS: <flags>            extra compiler flags (whitespace separated; `@FERMENT_CLANG@`
//!                              is the path of libferment_clang.so, the -fplugin front end;
//!                              `@CASE_DIR@` the folder holding the case)
//!   LIBS: <flags>              libraries to link, after the objects (e.g. `-lopenblas`)
//!   LEVELS: <n>...             optimization levels for flang and rustc (default `0 2`),
//!                              e.g. `LEVELS: 0 1 2 3`; for clang and opt too when given
//!                              (default 0..3 and 0 2: a C/C++ case that lists fewer says why)
//!   PTX: <function> has|lacks|has>=N <text>  (repeatable; CUDA, -O1 and up) the PTX of the
//!                              kernel or function (with the functions it calls) contains / does not
//!                              contain / contains at least N times <text>,
//!                              e.g. `PTX: grad_sum has bar.sync`, `PTX: grad_sq lacks atom.`
//!   GPU: rev|fwd NAME f|d N M BLOCKS THREADS  (repeatable; CUDA) kernels NAME_f(x, y, n) and
//!                              NAME_grad(x, dx, y, dy, n), checked against finite differences by
//!                              clang-tests/gpu/runner.c: on a GPU by scripts/gpu-check.sh, and here
//!                              in the CPU emulator (clang-tests/gpu/emu; at most 2 blocks, N and M
//!                              scaled down with them): configs cuda-emu-O0, cuda-emu-O2
//!   IR-ATTACH: @g <metadata>   (repeatable; `RUN: opt` only) append `, <metadata>` to the
//!                              definition of global @g in the emitted IR before opt runs, e.g.
//!                              `IR-ATTACH: @w !enzyme_shadow !{ptr @dw}` (C cannot spell it)
//!
//! Cases under `mpi/` are compiled with `mpicc` (`OMPI_CC` = the driver) and run by `mpirun` on 2
//! and 4 ranks; skipped where Open MPI is missing.
//!
//! Usage: cargo test -p ferment-clang-tests --test e2e -- [FILTER]
//! Environment: FERMENT_PLUGIN (plugin path), FERMENT_E2E_JOBS (1 or 2), FERMENT_E2E_TIMEOUT
//! (seconds per step, default 60), FERMENT_E2E_KEEP (keep work dirs of passing jobs),
//! FERMENT_E2E_PLUGIN_FLAGS (whitespace-separated flags added to every compile that loads the
//! plugin, e.g. `-mllvm -ferment-tape-arena`: clang and flang take them as written, opt without
//! the `-mllvm`s, rustc as `-C llvm-args=`), FERMENT_E2E_TIMES (file to write each job's wall
//! seconds to, slowest first; the ten slowest are printed to stderr at the end in any case).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

const CRASH_MARKERS: &[&str] = &[
    "Stack dump",
    "PLEASE submit a bug report",
    "frontend command failed due to signal",
    "unable to execute command",
    "internal compiler error",
];

const CLANG: &str = "clang-22";
const CLANGXX: &str = "clang++-22";
const OPT: &str = "opt-22";
const LLI: &str = "lli-22";
const FLANG: &str = "flang-22";

// ---------------------------------------------------------------------------------------------
// Cases and configurations

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lang {
    C,
    Cxx,
    Fortran,
    Rust,
    Cuda,
}

impl Lang {
    fn from_path(p: &Path) -> Option<Lang> {
        match p.extension()?.to_str()? {
            "c" => Some(Lang::C),
            "cpp" | "cc" | "cxx" => Some(Lang::Cxx),
            "f90" | "f95" | "f03" | "f08" | "F90" => Some(Lang::Fortran),
            "rs" => Some(Lang::Rust),
            "cu" => Some(Lang::Cuda),
            _ => None,
        }
    }
    fn comment(self) -> &'static str {
        match self {
            Lang::Fortran => "!",
            _ => "//",
        }
    }
    fn driver(self) -> &'static str {
        match self {
            Lang::C | Lang::Cuda => CLANG,
            Lang::Cxx => CLANGXX,
            Lang::Fortran => FLANG,
            Lang::Rust => "rustc",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Host {
    Clang,
    Opt,
    Flang,
    Rustc,
    /// CUDA device code: clang -x cuda --cuda-device-only to PTX, then
    /// `ptxas -c` (when a ptxas is found); nothing runs (no GPU here).
    Cuda,
}

#[derive(Debug)]
struct Case {
    name: String,
    path: PathBuf,
    lang: Lang,
    hosts: Vec<Host>,
    expect_errors: Vec<String>,
    /// `EXPECT-WARNING:` texts the plugin step's stderr must contain.
    expect_warnings: Vec<String>,
    ir_unchanged: bool,
    cflags: Vec<String>,
    /// Link flags placed after the objects (`LIBS:`).
    libs: Vec<String>,
    /// (global name, metadata text) appended to the global's definition in
    /// the IR that opt reads.
    ir_attach: Vec<(String, String)>,
    /// C file with the same stem as a Fortran case, compiled and linked with it.
    companion: Option<PathBuf>,
    /// A problem with the case file itself; reported as a failure.
    header_error: Option<String>,
    /// `PTX:` checks: (function, least number of occurrences (0: none
    /// allowed), text).
    ptx_checks: Vec<(String, usize, String)>,
    /// `GPU:` kernels, as runner arguments scaled for the CPU emulator.
    gpu_specs: Vec<String>,
    /// `LEVELS:` the -O levels flang and rustc compile at.
    levels: Vec<u8>,
    /// Whether `LEVELS:` was given (then clang and opt compile at those levels too).
    levels_given: bool,
    /// `VALGRIND`: clang and opt configs run their program under memcheck.
    valgrind: bool,
}

#[derive(Clone, Debug)]
enum Config {
    /// clang/clang++ -fpass-plugin at -O<n>
    Clang(u8),
    /// clang -S -emit-llvm -O<n>, opt -passes=enzyme, link natively
    Opt(u8),
    /// clang -S -emit-llvm -O0, opt -passes=enzyme, run with lli
    Lli,
    /// flang -fpass-plugin at -O<n>
    Flang(u8),
    /// rustc -Z llvm-plugins at opt-level <n>
    Rustc(u8),
    /// CUDA device compile to PTX at -O<n> for sm_<arch>, checked by ptxas
    /// when present
    Cuda(u8, u8),
    /// CUDA kernels with `GPU:` lines compiled at -O<n>, lowered to host
    /// code and run in the CPU emulator: gradients against finite
    /// differences
    CudaEmu(u8),
    /// clang -S -emit-llvm at -O<n> with the plugin, twice: the two texts
    /// must be identical (the plugin's output may not depend on hashing);
    /// for an EXPECT-ERROR case, both compiles must fail with the same
    /// diagnostics
    Deterministic(u8),
    /// clang at -O<n>, the program run under valgrind's memcheck (no invalid
    /// access, no definite leak); memory, loop, C++ and OpenMP cases without
    /// sanitizers
    Valgrind(u8),
    /// compile to IR with and without the plugin at -O<n>, compare
    IrUnchanged(u8),
    /// readelf -d on the plugin
    Readelf,
}

impl Config {
    fn label(&self) -> String {
        match self {
            Config::Clang(o) => format!("clang-O{o}"),
            Config::Opt(o) => format!("opt-O{o}"),
            Config::Lli => "lli".to_string(),
            Config::Flang(o) => format!("flang-O{o}"),
            Config::Rustc(o) => format!("rustc-O{o}"),
            Config::Cuda(o, sm) => format!("cuda-sm{sm}-O{o}"),
            Config::CudaEmu(o) => format!("cuda-emu-O{o}"),
            Config::Valgrind(o) => format!("valgrind-O{o}"),
            Config::Deterministic(o) => format!("deterministic-O{o}"),
            Config::IrUnchanged(o) => format!("ir-unchanged-O{o}"),
            Config::Readelf => "readelf".to_string(),
        }
    }
}

fn configs_for(case: &Case) -> Vec<Config> {
    let mut v = Vec::new();
    if case.ir_unchanged {
        v.push(Config::IrUnchanged(0));
        v.push(Config::IrUnchanged(2));
        return v;
    }
    let error_case = !case.expect_errors.is_empty();
    for h in &case.hosts {
        match h {
            Host::Clang if case.levels_given => {
                case.levels.iter().for_each(|&o| v.push(Config::Clang(o)))
            }
            Host::Clang => (0..=3).for_each(|o| v.push(Config::Clang(o))),
            Host::Opt if case.levels_given => {
                case.levels.iter().for_each(|&o| v.push(Config::Opt(o)));
                if !error_case {
                    v.push(Config::Lli);
                }
            }
            Host::Opt => {
                v.push(Config::Opt(0));
                v.push(Config::Opt(2));
                if !error_case {
                    v.push(Config::Lli);
                }
            }
            Host::Flang => case.levels.iter().for_each(|&o| v.push(Config::Flang(o))),
            Host::Rustc => case.levels.iter().for_each(|&o| v.push(Config::Rustc(o))),
            Host::Cuda => {
                v.push(Config::Cuda(0, 90));
                for o in 1..=3 {
                    v.push(Config::Cuda(o, 80));
                    v.push(Config::Cuda(o, 90));
                }
                if !case.gpu_specs.is_empty() && !error_case {
                    v.push(Config::CudaEmu(0));
                    v.push(Config::CudaEmu(2));
                }
            }
        }
    }
    // Every memory, loop, C++ and OpenMP test's derivative also runs under
    // memcheck (sanitizer builds check themselves).
    let memory_test = case.name.starts_with("memory/")
        || case.name.starts_with("loops/")
        || case.name.starts_with("context/")
        || case.name.starts_with("cpp/");
    let sanitized = case.cflags.iter().any(|f| f.starts_with("-fsanitize"));
    // OpenMP cases too: each runs its checks with 1, 2 and 4 threads itself.
    let memcheck = memory_test || case.name.starts_with("openmp/");
    if memcheck && !sanitized && !error_case && case.hosts.contains(&Host::Clang) {
        v.push(Config::Valgrind(2));
    }
    // Output, and for an error case the diagnostics, may not depend on
    // hashing: compiled twice, compared.
    if (memory_test || case.name.starts_with("calls/") || error_case)
        && case.hosts.contains(&Host::Clang)
    {
        // At -O2, or at the case's first level where its levels leave -O2 out
        // (an error only -O0 gives).
        let o = if case.levels_given && !case.levels.contains(&2) {
            case.levels.first().copied().unwrap_or(2)
        } else {
            2
        };
        v.push(Config::Deterministic(o));
    }
    v
}

fn parse_case(root: &Path, path: &Path, lang: Lang) -> Case {
    let name = path
        .strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    let mut case = Case {
        name,
        path: path.to_path_buf(),
        lang,
        hosts: Vec::new(),
        expect_errors: Vec::new(),
        expect_warnings: Vec::new(),
        ir_unchanged: false,
        cflags: Vec::new(),
        libs: Vec::new(),
        ir_attach: Vec::new(),
        companion: None,
        header_error: None,
        ptx_checks: Vec::new(),
        gpu_specs: Vec::new(),
        levels: vec![0, 2],
        levels_given: false,
        valgrind: false,
    };
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            case.header_error = Some(format!("cannot read {}: {e}", path.display()));
            return case;
        }
    };
    let mut errors = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let Some(body) = t.strip_prefix(lang.comment()) else {
            break;
        };
        let body = body.trim_start_matches(lang.comment()).trim();
        let (key, value) = match body.split_once(':') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (body, ""),
        };
        match key {
            "RUN" => {
                for h in value.split(|c: char| c.is_whitespace() || c == ',') {
                    match h {
                        "" => {}
                        "clang" => case.hosts.push(Host::Clang),
                        "opt" => case.hosts.push(Host::Opt),
                        "flang" => case.hosts.push(Host::Flang),
                        "rustc" => case.hosts.push(Host::Rustc),
                        "cuda" => case.hosts.push(Host::Cuda),
                        other => errors.push(format!("unknown host `{other}` in RUN line")),
                    }
                }
            }
            "EXPECT-ERROR" => {
                if value.is_empty() {
                    errors.push("empty EXPECT-ERROR".to_string());
                } else {
                    case.expect_errors.push(value.to_string());
                }
            }
            "EXPECT-WARNING" => {
                if value.is_empty() {
                    errors.push("empty EXPECT-WARNING".to_string());
                } else {
                    case.expect_warnings.push(value.to_string());
                }
            }
            "EXPECT-IR-UNCHANGED" => case.ir_unchanged = true,
            "VALGRIND" => case.valgrind = true,
            "PTX" => {
                let mut w = value.splitn(3, char::is_whitespace);
                let least = |k: &str| match k {
                    "has" => Some(1),
                    "lacks" => Some(0),
                    _ => k
                        .strip_prefix("has>=")
                        .and_then(|n| n.parse::<usize>().ok()),
                };
                match (w.next(), w.next().and_then(least), w.next().map(str::trim)) {
                    (Some(f), Some(n), Some(t)) if !t.is_empty() => {
                        case.ptx_checks.push((f.to_string(), n, t.to_string()))
                    }
                    _ => errors.push(format!(
                        "PTX wants `<function> has|lacks|has>=N <text>`, got `{value}`"
                    )),
                }
            }
            "GPU" => match gpu_spec(value) {
                Some(s) => case.gpu_specs.push(s),
                None => errors.push(format!(
                    "GPU wants `rev|fwd NAME f|d N M BLOCKS THREADS`, got `{value}`"
                )),
            },
            "CFLAGS" => case
                .cflags
                .extend(value.split_whitespace().map(str::to_string)),
            "LIBS" => case
                .libs
                .extend(value.split_whitespace().map(str::to_string)),
            "LEVELS" => {
                let levels: Vec<u8> = value
                    .split_whitespace()
                    .filter_map(|l| l.parse().ok().filter(|&o| o <= 3))
                    .collect();
                if levels.is_empty() || levels.len() != value.split_whitespace().count() {
                    errors.push(format!("LEVELS wants -O levels 0..3, got `{value}`"));
                } else {
                    case.levels = levels;
                    case.levels_given = true;
                }
            }
            "IR-ATTACH" => {
                let parsed = value.split_once(char::is_whitespace).and_then(|(g, md)| {
                    let g = g.strip_prefix('@')?;
                    let simple =
                        !g.is_empty() && g.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    let md = md.trim();
                    (simple && md.starts_with('!') && !md.contains(['|', '\\', '&']))
                        .then(|| (g.to_string(), md.to_string()))
                });
                match parsed {
                    Some(a) => case.ir_attach.push(a),
                    None => errors.push(format!(
                        "IR-ATTACH wants `@name !kind !{{...}}` (name of letters, digits, _; no | \\ &), got `{value}`"
                    )),
                }
            }
            k if k.starts_with("RUN")
                || k.starts_with("EXPECT")
                || k.starts_with("CFLAGS")
                || k.starts_with("LIBS")
                || k.starts_with("XFAIL") =>
            {
                errors.push(format!("unknown directive `{k}`"))
            }
            _ => {}
        }
    }
    if case.hosts.is_empty() {
        case.hosts.push(match lang {
            Lang::C | Lang::Cxx => Host::Clang,
            Lang::Fortran => Host::Flang,
            Lang::Rust => Host::Rustc,
            Lang::Cuda => Host::Cuda,
        });
    }
    for h in &case.hosts {
        let ok = match h {
            Host::Clang | Host::Opt => matches!(lang, Lang::C | Lang::Cxx),
            Host::Flang => lang == Lang::Fortran,
            Host::Rustc => lang == Lang::Rust,
            Host::Cuda => lang == Lang::Cuda,
        };
        if !ok {
            errors.push(format!("host {h:?} cannot compile a {lang:?} file"));
        }
    }
    if !case.ir_attach.is_empty() && case.hosts.iter().any(|h| *h != Host::Opt) {
        errors.push("IR-ATTACH needs `RUN: opt` (only opt reads the edited IR)".to_string());
    }
    if case.ir_unchanged && !case.expect_errors.is_empty() {
        errors.push("EXPECT-IR-UNCHANGED and EXPECT-ERROR are exclusive".to_string());
    }
    if !case.expect_warnings.is_empty() && !case.expect_errors.is_empty() {
        errors.push("EXPECT-WARNING and EXPECT-ERROR are exclusive".to_string());
    }
    if lang == Lang::Fortran {
        let c = path.with_extension("c");
        if c.exists() {
            case.companion = Some(c);
        }
    }
    if !errors.is_empty() {
        case.header_error = Some(errors.join("; "));
    }
    case
}

fn discover(root: &Path) -> Vec<Case> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if Lang::from_path(&p).is_some() {
                files.push(p);
            }
        }
    }
    files.sort();
    // A C file next to a Fortran file of the same stem is that Fortran case's companion.
    let is_companion = |p: &Path| {
        Lang::from_path(p) == Some(Lang::C)
            && ["f90", "f95", "f03", "f08", "F90"]
                .iter()
                .any(|e| p.with_extension(e).exists())
    };
    files
        .iter()
        .filter(|p| !is_companion(p))
        .map(|p| parse_case(root, p, Lang::from_path(p).unwrap()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Running commands with a timeout

struct Output {
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
    timed_out: bool,
    spawn_error: Option<String>,
}

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}

fn run_cmd(cmd: &mut Command, timeout: Duration) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Own process group, so that a timeout kills the compiler's children too.
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Output {
                status: None,
                stdout: String::new(),
                stderr: String::new(),
                timed_out: false,
                spawn_error: Some(format!("cannot start {:?}: {e}", cmd.get_program())),
            }
        }
    };
    let pipe_reader = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out_t = pipe_reader(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err_t = pipe_reader(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
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
            unsafe {
                kill(-(child.id() as i32), 9);
            }
            let _ = child.kill();
            break child.wait().ok();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
        timed_out,
        spawn_error: None,
    }
}

fn render_cmd(cmd: &Command) -> String {
    let mut s = String::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            let _ = write!(s, "{}={} ", k.to_string_lossy(), v.to_string_lossy());
        }
    }
    s.push_str(&shell_quote(&cmd.get_program().to_string_lossy()));
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&shell_quote(&a.to_string_lossy()));
    }
    s
}

fn shell_quote(a: &str) -> String {
    if !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=+:,@%".contains(c))
    {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

fn status_text(o: &Output) -> String {
    if let Some(e) = &o.spawn_error {
        return e.clone();
    }
    if o.timed_out {
        return "timed out (killed)".to_string();
    }
    match o.status {
        Some(s) => match (s.code(), s.signal()) {
            (Some(c), _) => format!("exit status {c}"),
            (None, Some(sig)) => format!("killed by signal {sig}"),
            _ => "unknown status".to_string(),
        },
        None => "no status".to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Jobs

struct Env {
    plugin: PathBuf,
    include: PathBuf,
    work: PathBuf,
    timeout: Duration,
    keep: bool,
    /// FERMENT_E2E_PLUGIN_FLAGS, as clang would take them (`-mllvm -ferment-...`).
    extra: Vec<String>,
}

struct Step {
    what: &'static str,
    cmd: Command,
    /// The step that runs the plugin on the case (the one an EXPECT-ERROR case must fail).
    main: bool,
}

impl Step {
    fn main(what: &'static str, cmd: Command) -> Step {
        Step {
            what,
            cmd,
            main: true,
        }
    }
    fn aux(what: &'static str, cmd: Command) -> Step {
        Step {
            what,
            cmd,
            main: false,
        }
    }
}

struct Job {
    case: Arc<Case>,
    config: Config,
}

enum Verdict {
    Pass,
    Fail(String),
    Skip(String),
}

/// One step failed: the message says which step, with its command and output.
fn step_failure(what: &str, cmd: &Command, o: &Output, extra: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "    step: {what} ({}){}", status_text(o), extra);
    let _ = writeln!(s, "    command: {}", render_cmd(cmd));
    for (name, text) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        if text.trim().is_empty() {
            let _ = writeln!(s, "    {name}: (empty)");
        } else {
            let _ = writeln!(s, "    {name}:");
            let lines: Vec<&str> = text.lines().collect();
            let max = 80;
            for l in lines.iter().take(max) {
                let _ = writeln!(s, "      | {l}");
            }
            if lines.len() > max {
                let _ = writeln!(s, "      | ... ({} more lines)", lines.len() - max);
            }
        }
    }
    s
}

fn succeeded(o: &Output) -> bool {
    !o.timed_out && o.spawn_error.is_none() && o.status.is_some_and(|s| s.success())
}

fn crashed(o: &Output) -> bool {
    o.timed_out
        || o.status.is_none_or(|s| s.signal().is_some())
        || CRASH_MARKERS
            .iter()
            .any(|m| o.stderr.contains(m) || o.stdout.contains(m))
}

/// Runs one step that must succeed.
fn must_succeed(what: &str, cmd: &mut Command, env: &Env) -> Result<Output, String> {
    let o = run_cmd(cmd, env.timeout);
    if succeeded(&o) && !crashed(&o) {
        Ok(o)
    } else {
        let extra = if succeeded(&o) {
            ", but the output shows a crash"
        } else {
            ""
        };
        Err(step_failure(what, cmd, &o, extra))
    }
}

/// Cases under `mpi/` are built with `mpicc` and run with `mpirun`.
fn is_mpi(case: &Case) -> bool {
    case.name.starts_with("mpi/")
}

fn mpi_available() -> bool {
    let ok = |c: &mut Command| {
        c.stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    ok(Command::new("mpicc").arg("-showme:version")) && ok(Command::new("mpirun").arg("--version"))
}

fn tool_available(tool: &str) -> bool {
    static CACHE: Mutex<Vec<(String, bool)>> = Mutex::new(Vec::new());
    if let Some((_, ok)) = CACHE.lock().unwrap().iter().find(|(t, _)| t == tool) {
        return *ok;
    }
    let ok = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    CACHE.lock().unwrap().push((tool.to_string(), ok));
    ok
}

impl Env {
    /// The flags that load the plugin into clang (or flang), with FERMENT_E2E_PLUGIN_FLAGS.
    fn plugin_flags_clang(&self) -> Vec<String> {
        let mut v = vec![format!("-fpass-plugin={}", self.plugin.display())];
        v.extend(self.extra.iter().cloned());
        v
    }

    /// FERMENT_E2E_PLUGIN_FLAGS for opt: LLVM options given directly (no `-mllvm`).
    fn extra_flags_opt(&self) -> impl Iterator<Item = &String> {
        self.extra.iter().filter(|f| *f != "-mllvm")
    }

    fn c_compile(&self, case: &Case, driver: &str) -> Command {
        let mut c = if is_mpi(case) {
            // Open MPI's wrapper around the same compiler
            let mut c = Command::new("mpicc");
            c.env("OMPI_CC", driver);
            c
        } else {
            Command::new(driver)
        };
        // No preprocessed-source crash reports littering /tmp; the stack dump still prints.
        c.arg("-fno-crash-diagnostics");
        c.arg("-I").arg(&self.include);
        // What users include: ferment.h and the enzyme/ headers.
        c.arg("-I").arg(self.include.join("../../runtime/include"));
        // `@FERMENT_CLANG@`: the clang front-end plugin built next to the pass plugin;
        // `@CASE_DIR@`: the folder of the case (for files next to it, such as lists).
        let front = self.plugin.with_file_name("libferment_clang.so");
        let dir = case
            .path
            .parent()
            .map(|d| d.canonicalize().unwrap_or_else(|_| d.to_path_buf()));
        let dir = dir.unwrap_or_default().display().to_string();
        c.args(case.cflags.iter().map(|f| {
            f.replace("@FERMENT_CLANG@", &front.display().to_string())
                .replace("@CASE_DIR@", &dir)
        }));
        c
    }

    fn rustc(&self, case: &Case, o: u8, with_plugin: bool, single_cgu: bool) -> Command {
        let mut c = Command::new("rustc");
        c.env("RUSTC_BOOTSTRAP", "1");
        c.args(["--edition", "2021", "-C"])
            .arg(format!("opt-level={o}"));
        if !with_plugin || single_cgu {
            // one .ll file for --emit=llvm-ir
            c.args(["-C", "codegen-units=1"]);
        }
        if with_plugin {
            c.arg(format!("-Zllvm-plugins={}", self.plugin.display()));
            c.args(self.extra_flags_opt().map(|f| format!("-Cllvm-args={f}")));
        }
        c.args(&case.cflags);
        c
    }

    /// The compile commands of a case under a config, all but the last producing `exe`
    /// (or, for opt/lli, `out.ll`).
    fn build_steps(&self, case: &Case, cfg: &Config, dir: &Path, dbg: bool) -> Vec<Step> {
        let src = &case.path;
        let exe = dir.join("a.out");
        let mut steps = Vec::new();
        match cfg {
            Config::Clang(o) | Config::Valgrind(o) => {
                let mut c = self.c_compile(case, case.lang.driver());
                c.arg(format!("-O{o}")).args(self.plugin_flags_clang());
                // -O0 and -O3 builds carry debug info (as users' debug and
                // release-with-debug-info builds do): the derivative must
                // handle debug records as well as plain code.
                if dbg || (matches!(cfg, Config::Clang(_)) && (*o == 0 || *o == 3)) {
                    c.arg("-g");
                }
                c.arg(src).arg("-lm").args(&case.libs).arg("-o").arg(&exe);
                steps.push(Step::main("compile+link with the plugin", c));
            }
            Config::Opt(_) | Config::Lli => {
                let o = if let Config::Opt(o) = cfg { *o } else { 0 };
                let in_ll = dir.join("in.ll");
                let out_ll = dir.join("out.ll");
                let mut c = self.c_compile(case, case.lang.driver());
                c.args(["-S", "-emit-llvm"]).arg(format!("-O{o}"));
                if dbg {
                    c.arg("-g");
                }
                c.arg(src).arg("-o").arg(&in_ll);
                steps.push(Step::aux("emit IR (no plugin)", c));
                for (g, md) in &case.ir_attach {
                    let mut e = Command::new("sed");
                    e.arg("-i")
                        .arg(format!("s|^\\(@{g} = .*\\)$|\\1, {md}|"))
                        .arg(&in_ll);
                    steps.push(Step::aux("attach metadata to a global (IR-ATTACH)", e));
                }
                let mut p = Command::new(OPT);
                p.arg(format!("-load-pass-plugin={}", self.plugin.display()))
                    .args(self.extra_flags_opt())
                    .arg("-passes=enzyme")
                    .arg(&in_ll)
                    .arg("-S")
                    .arg("-o")
                    .arg(&out_ll);
                steps.push(Step::main("opt -passes=enzyme", p));
                if matches!(cfg, Config::Opt(_)) {
                    let mut l = Command::new(case.lang.driver());
                    l.arg(&out_ll)
                        .arg("-lm")
                        .args(&case.libs)
                        .arg("-o")
                        .arg(&exe);
                    steps.push(Step::aux("link opt output", l));
                }
            }
            Config::Flang(o) => {
                let mut objs = Vec::new();
                if let Some(comp) = &case.companion {
                    let obj = dir.join("companion.o");
                    let mut c = self.c_compile(case, CLANG);
                    c.arg("-c")
                        .arg(format!("-O{o}"))
                        .args(self.plugin_flags_clang());
                    c.arg(comp).arg("-o").arg(&obj);
                    steps.push(Step::aux("compile companion C file", c));
                    objs.push(obj);
                }
                let mut c = Command::new(FLANG);
                // `include 'check.inc'`: the shared checks of Fortran cases
                c.arg("-I").arg(&self.include);
                c.args(&case.cflags);
                c.arg(format!("-O{o}")).args(self.plugin_flags_clang());
                if dbg {
                    c.arg("-g");
                }
                // flang writes .mod files into the current directory
                c.current_dir(dir);
                c.arg(src)
                    .args(&objs)
                    .arg("-lm")
                    .args(&case.libs)
                    .arg("-o")
                    .arg(&exe);
                steps.push(Step::main("compile+link with the plugin", c));
            }
            Config::Cuda(o, sm) => {
                let ptx = dir.join("k.ptx");
                let mut c = Command::new(CLANG);
                c.args(["-x", "cuda"])
                    .arg(format!("--cuda-gpu-arch=sm_{sm}"))
                    .args(["-nocudainc", "-nocudalib", "--cuda-device-only"])
                    .args(["-Xclang", "-target-feature", "-Xclang", "+ptx80"])
                    .arg("-fno-crash-diagnostics")
                    .arg("-I")
                    .arg(&self.include)
                    .arg("-I")
                    .arg(self.include.join("../../runtime/include"))
                    .args(&case.cflags)
                    .arg(format!("-O{o}"))
                    .args(self.plugin_flags_clang());
                if dbg {
                    c.arg("-g");
                }
                c.arg("-S").arg(src).arg("-o").arg(&ptx);
                steps.push(Step::main("compile the kernels to PTX with the plugin", c));
                if let Some(ptxas) = find_ptxas() {
                    let mut a = Command::new(ptxas);
                    a.arg("-c")
                        .arg(format!("-arch=sm_{sm}"))
                        .arg(&ptx)
                        .arg("-o")
                        .arg(dir.join("k.o"));
                    steps.push(Step::aux("assemble the PTX with ptxas", a));
                }
            }
            Config::CudaEmu(o) => {
                let gpu = self.include.join("../gpu");
                let ll = dir.join("k.ll");
                let host = dir.join("host.ll");
                let mut c = Command::new(CLANG);
                c.args([
                    "-x",
                    "cuda",
                    "--cuda-gpu-arch=sm_80",
                    "-nocudainc",
                    "-nocudalib",
                ])
                .args(["--cuda-device-only", "-fno-crash-diagnostics"])
                .args(["-Xclang", "-target-feature", "-Xclang", "+ptx80"])
                .arg("-I")
                .arg(&self.include)
                .arg("-I")
                .arg(self.include.join("../../runtime/include"))
                .args(&case.cflags)
                .arg(format!("-O{o}"))
                .args(self.plugin_flags_clang());
                if dbg {
                    c.arg("-g");
                }
                c.args(["-S", "-emit-llvm"]).arg(src).arg("-o").arg(&ll);
                steps.push(Step::main("compile the kernels to IR with the plugin", c));
                let mut l = Command::new("python3");
                l.arg(gpu.join("emu/lower.py")).arg(&ll).arg(&host);
                steps.push(Step::aux("lower the kernels to host code", l));
                let mut e = Command::new(CLANG);
                e.args(["-O0", "-shared", "-fPIC", "-Wno-override-module"])
                    .arg(&host)
                    .arg(gpu.join("emu/cuda_emu.c"))
                    .arg("-o")
                    .arg(dir.join("libk.so"))
                    .args(["-lpthread", "-lm"]);
                steps.push(Step::aux("build the CPU emulator with the kernels", e));
                let mut r = Command::new(CLANG);
                r.arg("-O1")
                    .arg(gpu.join("runner.c"))
                    .arg("-o")
                    .arg(dir.join("runner"))
                    .args(["-ldl", "-lm"]);
                steps.push(Step::aux("build the GPU runner", r));
            }
            Config::Rustc(o) => {
                let mut c = self.rustc(case, *o, true, false);
                if dbg {
                    c.arg("-g");
                }
                c.arg(src).arg("-o").arg(&exe);
                c.current_dir(dir);
                steps.push(Step::main("compile+link with the plugin", c));
            }
            Config::IrUnchanged(_) | Config::Readelf | Config::Deterministic(_) => {}
        }
        steps
    }

    fn run_job(&self, job: &Job) -> Verdict {
        let case = &job.case;
        if let Some(e) = &case.header_error {
            return Verdict::Fail(format!("    bad test case header: {e}\n"));
        }
        // Missing tools: skip rather than fail.
        let tools: Vec<&str> = match &job.config {
            Config::Clang(_) if case.valgrind => vec![case.lang.driver(), "valgrind"],
            Config::Clang(_) => vec![case.lang.driver()],
            Config::Opt(_) if case.valgrind => vec![case.lang.driver(), OPT, "valgrind"],
            Config::Opt(_) => vec![case.lang.driver(), OPT],
            Config::Lli => vec![case.lang.driver(), OPT, LLI],
            Config::Flang(_) => {
                if case.companion.is_some() {
                    vec![FLANG, CLANG]
                } else {
                    vec![FLANG]
                }
            }
            Config::Rustc(_) => vec!["rustc"],
            Config::Cuda(..) => vec![CLANG],
            Config::CudaEmu(_) => vec![CLANG, "python3"],
            Config::Valgrind(_) => vec![case.lang.driver(), "valgrind"],
            Config::Deterministic(_) => vec![case.lang.driver()],
            Config::IrUnchanged(_) => vec![case.lang.driver()],
            Config::Readelf => vec!["readelf"],
        };
        for t in tools {
            if !tool_available(t) {
                return Verdict::Skip(format!("{t} not found"));
            }
        }
        if is_mpi(case) && !mpi_available() {
            return Verdict::Skip(
                "mpicc/mpirun not found (MPI cases need libopenmpi-dev and openmpi-bin: scripts/deps.sh)"
                    .to_string(),
            );
        }
        let dir = self
            .work
            .join(case.name.replace(['/', '.'], "_"))
            .join(job.config.label());
        let _ = fs::remove_dir_all(&dir);
        if let Err(e) = fs::create_dir_all(&dir) {
            return Verdict::Fail(format!("    cannot create {}: {e}\n", dir.display()));
        }
        let v = match &job.config {
            Config::Readelf => self.readelf_check(),
            Config::IrUnchanged(o) => self.ir_unchanged(case, *o, &dir),
            Config::Deterministic(o) => self.deterministic(case, *o, &dir),
            _ if !case.expect_errors.is_empty() => self.error_case(case, &job.config, &dir),
            _ => self.normal_case(case, &job.config, &dir),
        };
        if matches!(v, Verdict::Pass) && !self.keep {
            let _ = fs::remove_dir_all(&dir);
        }
        v
    }

    fn normal_case(&self, case: &Case, cfg: &Config, dir: &Path) -> Verdict {
        for mut st in self.build_steps(case, cfg, dir, false) {
            let o = match must_succeed(st.what, &mut st.cmd, self) {
                Ok(o) => o,
                Err(e) => return Verdict::Fail(e),
            };
            let missing: Vec<String> = case
                .expect_warnings
                .iter()
                .filter(|s| st.main && !o.stderr.contains(s.as_str()))
                .map(|s| format!("`{s}`"))
                .collect();
            if !missing.is_empty() {
                return Verdict::Fail(step_failure(
                    st.what,
                    &st.cmd,
                    &o,
                    &format!(": stderr lacks expected warning {}", missing.join(", ")),
                ));
            }
        }
        if let Config::CudaEmu(_) = cfg {
            let mut r = Command::new(dir.join("runner"));
            r.arg(dir.join("k.ll"))
                .args(&case.gpu_specs)
                .env("FERMENT_CUDA_LIB", dir.join("libk.so"))
                .env("FERMENT_GPU_REPS", "1");
            return match must_succeed("run the kernels in the CPU emulator", &mut r, self) {
                Ok(_) => Verdict::Pass,
                Err(e) => Verdict::Fail(e),
            };
        }
        if let Config::Cuda(o, _) = cfg {
            // Structural checks are about optimized code (at -O0 the kernel's
            // arguments go through the stack and nothing is proven).
            let checks: &[(String, usize, String)] = if *o >= 1 { &case.ptx_checks } else { &[] };
            // No GPU on the build machines: the kernels are compiled and
            // assembled, not run (see clang-tests/README.md); scripts/gpu-check.sh
            // runs them where a GPU is.
            return match fs::read_to_string(dir.join("k.ptx")) {
                Ok(ptx) => match check_ptx(&ptx, checks) {
                    Ok(()) => Verdict::Pass,
                    Err(e) => Verdict::Fail(format!("    {e}\n")),
                },
                Err(e) => Verdict::Fail(format!("    cannot read the PTX: {e}\n")),
            };
        }
        let mut run = if let Config::Lli = cfg {
            let mut c = Command::new(LLI);
            c.arg(dir.join("out.ll"));
            c
        } else if matches!(cfg, Config::Valgrind(_))
            || (case.valgrind && matches!(cfg, Config::Clang(_) | Config::Opt(_)))
        {
            let mut c = Command::new("valgrind");
            c.args([
                "-q",
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite",
            ]);
            if case.name.starts_with("openmp/") {
                // libomp's own bookkeeping, never freed (see the file).
                c.arg(format!(
                    "--suppressions={}",
                    Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("valgrind-libomp.supp")
                        .display()
                ));
            }
            c.arg(dir.join("a.out"));
            c
        } else {
            Command::new(dir.join("a.out"))
        };
        run.current_dir(dir);
        // BLAS cases: one thread, so runs are reproducible and jobs do not
        // oversubscribe the machine.
        run.env("OPENBLAS_NUM_THREADS", "1");
        // libomp (19 and 22) runs `schedule(dynamic)` loops, which clang marks
        // nonmonotonic, with its work-stealing dispatcher, and that has an
        // open race that aborts at random under load ("Assertion failure at
        // kmp_dispatch.cpp(1618)": llvm/llvm-project issues 54422 and 132164,
        // seen in programs without any AD). Plain dynamic dispatch is one of
        // the assignments the schedule allows and the derivatives follow
        // whatever assignment the run time makes.
        run.env("KMP_FORCE_MONOTONIC_DYNAMIC_SCHEDULE", "1");
        if is_mpi(case) {
            return self.run_mpi(dir);
        }
        let o = run_cmd(&mut run, self.timeout);
        if succeeded(&o) {
            Verdict::Pass
        } else {
            Verdict::Fail(step_failure("run the program", &run, &o, ""))
        }
    }

    /// An MPI case runs on 2 and on 4 ranks (loopback, oversubscribed).
    fn run_mpi(&self, dir: &Path) -> Verdict {
        for np in ["2", "4"] {
            let mut run = Command::new("mpirun");
            run.args(["--allow-run-as-root", "--oversubscribe", "-np", np])
                .arg(dir.join("a.out"))
                .current_dir(dir)
                .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
                .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
                .env("OMPI_MCA_rmaps_base_oversubscribe", "1");
            let o = run_cmd(&mut run, self.timeout);
            if !succeeded(&o) {
                return Verdict::Fail(step_failure(
                    &format!("run the program on {np} ranks"),
                    &run,
                    &o,
                    "",
                ));
            }
        }
        Verdict::Pass
    }

    fn error_case(&self, case: &Case, cfg: &Config, dir: &Path) -> Verdict {
        let steps = self.build_steps(case, cfg, dir, true);
        let n = steps.len();
        for st in steps {
            let (what, mut cmd) = (st.what, st.cmd);
            let o = run_cmd(&mut cmd, self.timeout);
            // Steps before the plugin runs (emit IR, companion) must succeed.
            if !st.main {
                if !succeeded(&o) {
                    return Verdict::Fail(step_failure(what, &cmd, &o, ""));
                }
                continue;
            }
            if succeeded(&o) {
                return Verdict::Fail(step_failure(
                    what,
                    &cmd,
                    &o,
                    ": expected the compile to FAIL with an error, but it succeeded",
                ));
            }
            if crashed(&o) {
                return Verdict::Fail(step_failure(
                    what,
                    &cmd,
                    &o,
                    ": expected a clean error, got a crash/timeout",
                ));
            }
            if case.lang == Lang::Rust && o.status.and_then(|s| s.code()) == Some(101) {
                return Verdict::Fail(step_failure(what, &cmd, &o, ": rustc ICE (exit 101)"));
            }
            let missing: Vec<&String> = case
                .expect_errors
                .iter()
                .filter(|s| !o.stderr.contains(s.as_str()))
                .collect();
            if !missing.is_empty() {
                let list: Vec<String> = missing.iter().map(|s| format!("`{s}`")).collect();
                return Verdict::Fail(step_failure(
                    what,
                    &cmd,
                    &o,
                    &format!(": stderr lacks expected {}", list.join(", ")),
                ));
            }
            return Verdict::Pass;
        }
        Verdict::Fail(format!("    harness: no plugin step among {n} steps\n"))
    }

    fn deterministic(&self, case: &Case, o: u8, dir: &Path) -> Verdict {
        if !case.expect_errors.is_empty() {
            return self.deterministic_errors(case, o, dir);
        }
        let mut texts = Vec::new();
        for k in 0..2 {
            let out = dir.join(format!("run{k}.ll"));
            let mut c = self.c_compile(case, case.lang.driver());
            c.args(["-S", "-emit-llvm"])
                .arg(format!("-O{o}"))
                .args(self.plugin_flags_clang());
            c.arg(&case.path).arg("-o").arg(&out);
            if let Err(e) = must_succeed("emit IR with the plugin", &mut c, self) {
                return Verdict::Fail(e);
            }
            match fs::read_to_string(&out) {
                Ok(t) => texts.push(t),
                Err(e) => {
                    return Verdict::Fail(format!("    cannot read {}: {e}\n", out.display()))
                }
            }
        }
        match texts[0].lines().zip(texts[1].lines()).position(|(a, b)| a != b) {
            None if texts[0].len() == texts[1].len() => Verdict::Pass,
            at => Verdict::Fail(format!(
                "    two compiles with the plugin produced different IR (first difference at line {})\n",
                at.map_or_else(|| "end".to_string(), |l| (l + 1).to_string())
            )),
        }
    }

    /// An error case compiled twice (with debug info, as for EXPECT-ERROR):
    /// both compiles fail cleanly and print the same diagnostics.
    fn deterministic_errors(&self, case: &Case, o: u8, dir: &Path) -> Verdict {
        let mut texts = Vec::new();
        for k in 0..2 {
            let mut c = self.c_compile(case, case.lang.driver());
            c.args(["-S", "-emit-llvm", "-g"])
                .arg(format!("-O{o}"))
                .args(self.plugin_flags_clang());
            c.arg(&case.path)
                .arg("-o")
                .arg(dir.join(format!("run{k}.ll")));
            let out = run_cmd(&mut c, self.timeout);
            if succeeded(&out) || crashed(&out) {
                return Verdict::Fail(step_failure(
                    "compile with the plugin",
                    &c,
                    &out,
                    ": expected a clean compile error",
                ));
            }
            texts.push(out.stderr);
        }
        if texts[0] == texts[1] {
            return Verdict::Pass;
        }
        let at = texts[0]
            .lines()
            .zip(texts[1].lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "end".to_string(), |l| (l + 1).to_string());
        Verdict::Fail(format!(
            "    two compiles with the plugin printed different diagnostics (first difference at line {at}):\n--- first\n{}\n--- second\n{}\n",
            texts[0], texts[1]
        ))
    }

    fn ir_unchanged(&self, case: &Case, o: u8, dir: &Path) -> Verdict {
        let mut texts = Vec::new();
        for with in [false, true] {
            let out = dir.join(if with { "with.ll" } else { "without.ll" });
            let mut c = match case.lang {
                Lang::C | Lang::Cxx | Lang::Cuda => {
                    let mut c = self.c_compile(case, case.lang.driver());
                    c.args(["-S", "-emit-llvm"]).arg(format!("-O{o}"));
                    if with {
                        c.args(self.plugin_flags_clang());
                    }
                    c.arg(&case.path).arg("-o").arg(&out);
                    c
                }
                Lang::Fortran => {
                    let mut c = Command::new(FLANG);
                    c.args(&case.cflags)
                        .args(["-S", "-emit-llvm"])
                        .arg(format!("-O{o}"));
                    if with {
                        c.args(self.plugin_flags_clang());
                    }
                    c.current_dir(dir);
                    c.arg(&case.path).arg("-o").arg(&out);
                    c
                }
                Lang::Rust => {
                    let mut c = self.rustc(case, o, with, true);
                    c.arg("--emit=llvm-ir").arg(&case.path).arg("-o").arg(&out);
                    c.current_dir(dir);
                    c
                }
            };
            let what = if with {
                "emit IR with the plugin"
            } else {
                "emit IR without the plugin"
            };
            if let Err(e) = must_succeed(what, &mut c, self) {
                return Verdict::Fail(e);
            }
            match fs::read_to_string(&out) {
                Ok(t) => texts.push(
                    t.lines()
                        .filter(|l| !l.starts_with("; ModuleID"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                Err(e) => {
                    return Verdict::Fail(format!("    cannot read {}: {e}\n", out.display()))
                }
            }
        }
        if texts[0] == texts[1] {
            return Verdict::Pass;
        }
        let (a, b) = (&texts[0], &texts[1]);
        let la: Vec<&str> = a.lines().collect();
        let lb: Vec<&str> = b.lines().collect();
        let first = (0..la.len().max(lb.len()))
            .find(|&i| la.get(i) != lb.get(i))
            .unwrap_or(0);
        let mut s = format!(
            "    IR differs with the plugin loaded (-O{o}); see {}/without.ll and with.ll\n    first difference at line {}:\n",
            dir.display(),
            first + 1
        );
        for i in first..(first + 6) {
            if let Some(l) = la.get(i) {
                let _ = writeln!(s, "      - {l}");
            }
        }
        for i in first..(first + 6) {
            if let Some(l) = lb.get(i) {
                let _ = writeln!(s, "      + {l}");
            }
        }
        Verdict::Fail(s)
    }

    fn readelf_check(&self) -> Verdict {
        let mut c = Command::new("readelf");
        c.arg("-d").arg(&self.plugin);
        let o = match must_succeed("readelf -d", &mut c, self) {
            Ok(o) => o,
            Err(e) => return Verdict::Fail(e),
        };
        let bad: Vec<&str> = o
            .stdout
            .lines()
            .filter(|l| l.contains("(NEEDED)") && l.contains("LLVM"))
            .collect();
        if bad.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail(format!(
                "    the plugin must not depend on libLLVM (the host provides LLVM):\n{}\n",
                bad.iter()
                    .map(|l| format!("      | {}", l.trim()))
                    .collect::<Vec<_>>()
                    .join("\n")
            ))
        }
    }
}

// ---------------------------------------------------------------------------------------------

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn find_plugin(ws: &Path) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("FERMENT_PLUGIN").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        let candidates = if p.is_absolute() {
            vec![p.clone()]
        } else {
            vec![
                std::env::current_dir().unwrap_or_default().join(&p),
                ws.join(&p),
            ]
        };
        return candidates.into_iter().find(|c| c.is_file()).ok_or(format!(
            "FERMENT_PLUGIN={} does not name an existing file",
            p.display()
        ));
    }
    let mut candidates = Vec::new();
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR").filter(|p| !p.is_empty()) {
        let t = PathBuf::from(t);
        let t = if t.is_absolute() { t } else { ws.join(t) };
        candidates.push(t.join("release/libferment.so"));
    }
    candidates.push(ws.join("target/release/libferment.so"));
    for c in &candidates {
        if c.is_file() {
            return Ok(c.clone());
        }
    }
    Err(format!(
        "the ferment plugin was not found (looked at {}).\n\
         Build it first with `cargo build --release -p ferment` (from {}), \
         or point FERMENT_PLUGIN at libferment.so.",
        candidates
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        ws.display()
    ))
}

/// Prints the slowest jobs (wall time of each job: compile, run, valgrind) to stderr, and with
/// `FERMENT_E2E_TIMES=FILE` writes every job's seconds and name to FILE, slowest first.
fn report_times(times: &mut [(Duration, String)]) {
    times.sort_by_key(|t| std::cmp::Reverse(t.0));
    if let Some(path) = std::env::var_os("FERMENT_E2E_TIMES").filter(|p| !p.is_empty()) {
        let mut out = String::new();
        for (dt, job) in times.iter() {
            let _ = writeln!(out, "{:.2}\t{job}", dt.as_secs_f64());
        }
        if let Err(e) = fs::write(&path, out) {
            eprintln!("cannot write {}: {e}", Path::new(&path).display());
        }
    }
    eprintln!("slowest jobs:");
    for (dt, job) in times.iter().take(10) {
        eprintln!("  {:7.1} s  {job}", dt.as_secs_f64());
    }
}

fn parse_filter() -> Option<String> {
    // libtest flags that take a value; everything else starting with '-' is ignored.
    const WITH_VALUE: &[&str] = &[
        "--test-threads",
        "--skip",
        "--logfile",
        "--format",
        "--color",
        "-Z",
        "--report-time",
        "--shuffle-seed",
    ];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a.starts_with('-') {
            if WITH_VALUE.contains(&a.as_str()) {
                args.next();
            }
            continue;
        }
        return Some(a);
    }
    None
}

fn main() {
    let ws = workspace_root();
    let plugin = match find_plugin(&ws) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .map(|t| if t.is_absolute() { t } else { ws.join(t) })
        .unwrap_or_else(|| ws.join("target"));
    let timeout_s: u64 = std::env::var("FERMENT_E2E_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let jobs_n: usize = std::env::var("FERMENT_E2E_JOBS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
        .clamp(1, 2);
    let env = Arc::new(Env {
        plugin,
        include: ws.join("clang-tests/include"),
        work: target.join("clang-tests"),
        timeout: Duration::from_secs(timeout_s),
        keep: std::env::var_os("FERMENT_E2E_KEEP").is_some(),
        extra: std::env::var("FERMENT_E2E_PLUGIN_FLAGS")
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
    });

    let filter = parse_filter();
    let cases_root = ws.join("clang-tests/cases");
    let mut all: Vec<Arc<Case>> = discover(&cases_root).into_iter().map(Arc::new).collect();
    all.push(Arc::new(Case {
        name: "readelf-no-libllvm".to_string(),
        path: env.plugin.clone(),
        lang: Lang::C,
        hosts: Vec::new(),
        expect_errors: Vec::new(),
        expect_warnings: Vec::new(),
        ir_unchanged: false,
        cflags: Vec::new(),
        libs: Vec::new(),
        ir_attach: Vec::new(),
        companion: None,
        header_error: None,
        ptx_checks: Vec::new(),
        gpu_specs: Vec::new(),
        levels: Vec::new(),
        levels_given: false,
        valgrind: false,
    }));

    let mut jobs: Vec<Job> = Vec::new();
    for case in &all {
        let cfgs = if case.name == "readelf-no-libllvm" {
            vec![Config::Readelf]
        } else if case.header_error.is_some() {
            vec![Config::Clang(0)]
        } else {
            configs_for(case)
        };
        for config in cfgs {
            let full = format!("{} [{}]", case.name, config.label());
            if filter.as_ref().is_none_or(|f| full.contains(f.as_str())) {
                jobs.push(Job {
                    case: case.clone(),
                    config,
                });
            }
        }
    }
    // Slow hosts first, so that the two workers finish together.
    jobs.sort_by_key(|j| match j.config {
        Config::Rustc(_) => 0,
        Config::Flang(_) => 1,
        _ => 2,
    });
    let total = jobs.len();
    eprintln!(
        "ferment e2e: {total} jobs from {} cases, plugin {}, {jobs_n} workers",
        all.len(),
        env.plugin.display()
    );
    if total == 0 {
        println!("0 passed, 0 failed");
        if let Some(f) = filter {
            eprintln!("(no case matches the filter `{f}`)");
        }
        return;
    }

    let queue = Arc::new(Mutex::new(jobs.into_iter().collect::<VecDeque<Job>>()));
    let (tx, rx) = mpsc::channel::<(String, String, Verdict, Duration)>();
    let mut workers = Vec::new();
    for _ in 0..jobs_n {
        let queue = queue.clone();
        let tx = tx.clone();
        let env = env.clone();
        workers.push(std::thread::spawn(move || loop {
            let job = match queue.lock().unwrap().pop_front() {
                Some(j) => j,
                None => break,
            };
            let t0 = Instant::now();
            let v = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| env.run_job(&job)))
                .unwrap_or_else(|_| Verdict::Fail("    harness panicked\n".to_string()));
            let _ = tx.send((job.case.name.clone(), job.config.label(), v, t0.elapsed()));
        }));
    }
    drop(tx);

    let start = Instant::now();
    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    let mut times = Vec::new();
    for (name, cfg, v, dt) in rx {
        times.push((dt, format!("{name} [{cfg}]")));
        match v {
            Verdict::Pass => {
                passed += 1;
                println!("ok   {name} [{cfg}]");
            }
            Verdict::Skip(why) => {
                skipped += 1;
                println!("skip {name} [{cfg}] ({why})");
            }
            Verdict::Fail(msg) => {
                failed += 1;
                println!("FAIL {name} [{cfg}]\n{msg}");
                failures.push(format!("{name} [{cfg}]"));
            }
        }
    }
    for w in workers {
        let _ = w.join();
    }
    if !failures.is_empty() {
        println!("\nfailures:");
        for f in &failures {
            println!("    {f}");
        }
    }
    report_times(&mut times);
    eprintln!("(took {:.1} s)", start.elapsed().as_secs_f64());
    if skipped > 0 {
        println!("{passed} passed, {failed} failed, {skipped} skipped");
    } else {
        println!("{passed} passed, {failed} failed");
    }
    if failed > 0 {
        std::process::exit(1);
    }
}

/// A `GPU:` line as the runner's argument, scaled to at most 2 blocks for
/// the CPU emulator (N, and M unless it is 1, scaled with the blocks).
fn gpu_spec(value: &str) -> Option<String> {
    let w: Vec<&str> = value.split_whitespace().collect();
    let [mode @ ("rev" | "fwd"), name, ty @ ("f" | "d"), n, m, blocks, threads] = w[..] else {
        return None;
    };
    let num = |s: &str| s.parse::<u64>().ok().filter(|&v| v > 0);
    let (n, m, blocks, threads) = (num(n)?, num(m)?, num(blocks)?, num(threads)?);
    let b = blocks.min(2);
    let scale = |v: u64| (v * b / blocks).max(1);
    let m = if m == 1 { 1 } else { scale(m) };
    Some(format!("{mode}:{name}:{ty}:{}:{m}:{b}:{threads}", scale(n)))
}

/// The PTX text of each function (`.entry` kernels and `.func`s), by name.
fn ptx_functions(ptx: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in ptx.lines() {
        let mut rest = line.trim_start();
        for p in [".visible", ".weak", ".extern"] {
            rest = rest.strip_prefix(p).map(str::trim_start).unwrap_or(rest);
        }
        let header = rest
            .strip_prefix(".entry ")
            .or_else(|| rest.strip_prefix(".func "));
        if let Some(mut h) = header.map(str::trim_start) {
            if h.starts_with('(') {
                // A return parameter list comes first.
                h = h.split_once(')').map(|(_, r)| r.trim_start()).unwrap_or("");
            }
            let name = h.split(['(', ' ', ';']).next().unwrap_or("").to_string();
            out.push((name, String::new()));
        }
        if let Some(last) = out.last_mut() {
            last.1.push_str(line);
            last.1.push('\n');
        }
    }
    out
}

/// Runs `PTX:` checks: the function's text, with the texts of the functions
/// it calls (derivatives are often separate `.func`s at low optimization).
fn check_ptx(ptx: &str, checks: &[(String, usize, String)]) -> Result<(), String> {
    let funcs = ptx_functions(ptx);
    for (f, want, text) in checks {
        let Some(start) = funcs.iter().position(|(n, _)| n.contains(f.as_str())) else {
            return Err(format!(
                "PTX check: no function whose name contains `{f}` in the PTX"
            ));
        };
        let mut seen = vec![start];
        let mut i = 0;
        while i < seen.len() {
            let body = &funcs[seen[i]].1;
            for (k, (n, _)) in funcs.iter().enumerate() {
                let called = [format!(" {n},"), format!("\t{n},")]
                    .iter()
                    .any(|c| body.contains(c.as_str()));
                if !seen.contains(&k) && !n.is_empty() && called {
                    seen.push(k);
                }
            }
            i += 1;
        }
        let found: usize = seen
            .iter()
            .map(|&k| funcs[k].1.matches(text.as_str()).count())
            .sum();
        let ok = if *want == 0 {
            found == 0
        } else {
            found >= *want
        };
        if !ok {
            let expected = if *want == 0 {
                "none".to_string()
            } else {
                format!("at least {want}")
            };
            return Err(format!(
                "PTX check: `{}` (with its callees) contains `{text}` {found} time(s), expected {expected}",
                funcs[start].0
            ));
        }
    }
    Ok(())
}

/// A `ptxas` to assemble PTX with: $FERMENT_PTXAS, `ptxas` on PATH, or the
/// one scripts/deps.sh unpacks from the nvidia-cuda-nvcc wheel.
fn find_ptxas() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FERMENT_PTXAS") {
        return Some(PathBuf::from(p));
    }
    if tool_available("ptxas") {
        return Some(PathBuf::from("ptxas"));
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tools/ptxas");
    local.exists().then_some(local)
}
