//! Shared by the printer tests of `ferment-type-analysis` and
//! `ferment-activity-analysis` (included with `#[path]`; `env!` below names
//! the including crate): a literal-pattern subset of FileCheck (CHECK,
//! CHECK-NEXT, CHECK-NOT, CHECK-LABEL, CHECK-SAME), the real `FileCheck-22`
//! when installed, and the two ways a case runs: in-process, and through the
//! built plugin in `opt-22`.

use ferment_ir::Module;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

pub fn parse(text: &str, name: &str) -> Module {
    Module::parse_ir(text, name).unwrap_or_else(|e| panic!("{name}: invalid IR: {e}"))
}

#[derive(Debug, PartialEq)]
enum Kind {
    Check,
    Next,
    Not,
    Same,
}

fn directives(text: &str) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix(';') else {
            continue;
        };
        let rest = rest.trim_start();
        for (tag, kind) in [
            ("CHECK-NEXT:", Kind::Next),
            ("CHECK-NOT:", Kind::Not),
            ("CHECK-SAME:", Kind::Same),
            ("CHECK-LABEL:", Kind::Check),
            ("CHECK:", Kind::Check),
        ] {
            if let Some(p) = rest.strip_prefix(tag) {
                out.push((kind, p.trim().to_string()));
                break;
            }
        }
    }
    out
}

/// Checks `output` against the `; CHECK` lines of `text`.
pub fn check(output: &str, text: &str) -> Result<(), String> {
    let lines: Vec<&str> = output.lines().collect();
    let (mut line, mut col) = (0usize, 0usize);
    let mut nots: Vec<String> = Vec::new();
    let mut matched_any = false;
    let find_from = |pat: &str, line: usize, col: usize| -> Option<(usize, usize)> {
        for (i, l) in lines.iter().enumerate().skip(line) {
            let start = if i == line { col.min(l.len()) } else { 0 };
            if let Some(p) = l[start..].find(pat) {
                return Some((i, start + p + pat.len()));
            }
        }
        None
    };
    let directives = directives(text);
    if directives.is_empty() {
        return Err("no CHECK lines".into());
    }
    for (kind, pat) in directives {
        if pat.contains("{{") || pat.contains("[[") {
            return Err(format!("pattern `{pat}` needs FileCheck regex support"));
        }
        let found = match kind {
            Kind::Not => {
                nots.push(pat);
                continue;
            }
            Kind::Check => find_from(&pat, line, col),
            Kind::Next => {
                let next = if matched_any { line + 1 } else { 0 };
                lines
                    .get(next)
                    .and_then(|l| l.find(&pat).map(|p| (next, p + pat.len())))
            }
            Kind::Same => lines.get(line).and_then(|l| {
                l[col.min(l.len())..]
                    .find(&pat)
                    .map(|p| (line, col + p + pat.len()))
            }),
        };
        let Some((l2, c2)) = found else {
            return Err(format!(
                "{kind:?} `{pat}` not found after line {}: `{}`",
                line + 1,
                lines.get(line).unwrap_or(&"")
            ));
        };
        for n in nots.drain(..) {
            let from = if matched_any { line } else { 0 };
            let region: Vec<&str> = (from..=l2).filter_map(|i| lines.get(i).copied()).collect();
            if region.iter().any(|l| l.contains(&n)) {
                return Err(format!("CHECK-NOT `{n}` found before `{pat}`"));
            }
        }
        (line, col, matched_any) = (l2, c2, true);
    }
    for n in nots {
        if lines.iter().skip(line).any(|l| l.contains(&n)) {
            return Err(format!("CHECK-NOT `{n}` found after the last match"));
        }
    }
    Ok(())
}

pub fn filecheck_available() -> bool {
    Command::new("FileCheck-22")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `FileCheck-22 case` on `output`.
pub fn filecheck(case: &Path, output: &str) -> Result<(), String> {
    use std::io::Write;
    let mut child = Command::new("FileCheck-22")
        .arg(case)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(output.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Whether the case asks for every function (not `; MODE: requests`).
pub fn mode_all(text: &str) -> bool {
    !text.lines().any(|l| l.trim() == "; MODE: requests")
}

/// Runs case `name` in-process: `print(module, all)` must satisfy the
/// built-in checker and, when installed, FileCheck.
pub fn run_case(name: &str, print: impl Fn(Module, bool) -> String) {
    let path = cases_dir().join(format!("{name}.ll"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let output = print(parse(&text, name), mode_all(&text));
    if let Err(e) = check(&output, &text) {
        panic!("{name}: {e}\n--- output ---\n{output}");
    }
    if filecheck_available() {
        if let Err(e) = filecheck(&path, &output) {
            panic!("{name}: FileCheck-22 failed:\n{e}\n--- output ---\n{output}");
        }
    }
}

/// Runs `cases` through the real plugin: `opt-22 -passes=print<printer>`
/// (`print<printer;all>` unless the case says `; MODE: requests`) piped into
/// FileCheck-22. Skipped with a message when the plugin is not built, is
/// older than any of `sources` (files, or directories whose files count),
/// or FileCheck-22 is missing.
pub fn cases_through_the_plugin(cases: &[&str], printer: &str, sources: &[PathBuf]) {
    let plugin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/libferment.so");
    if !plugin.exists() {
        println!(
            "skipped: {} not built (cargo build --release -p ferment)",
            plugin.display()
        );
        return;
    }
    if !filecheck_available() {
        println!("skipped: FileCheck-22 not installed");
        return;
    }
    let built = std::fs::metadata(&plugin).and_then(|m| m.modified()).ok();
    let newest = sources
        .iter()
        .flat_map(|s| match std::fs::read_dir(s) {
            Ok(dir) => dir.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(_) => vec![s.clone()],
        })
        .filter_map(|p| std::fs::metadata(p).ok()?.modified().ok())
        .max();
    if let (Some(built), Some(newest)) = (built, newest) {
        if newest > built {
            println!(
                "skipped: {} is older than the printer's sources (cargo build --release -p ferment)",
                plugin.display()
            );
            return;
        }
    }
    let mut failures = Vec::new();
    for name in cases {
        let path = cases_dir().join(format!("{name}.ll"));
        let text = std::fs::read_to_string(&path).unwrap();
        let pass = if mode_all(&text) {
            format!("print<{printer};all>")
        } else {
            format!("print<{printer}>")
        };
        let out = Command::new("opt-22")
            .arg(format!("-load-pass-plugin={}", plugin.display()))
            .arg(format!("-passes={pass}"))
            .arg("-disable-output")
            .arg(&path)
            .output()
            .expect("opt-22 runs");
        let printed = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        if let Err(e) = filecheck(&path, &printed) {
            failures.push(format!("{name}: {e}\n--- output ---\n{printed}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Fails when a `.ll` file under `tests/cases` is missing from `cases`.
pub fn every_case_file_is_listed(cases: &[&str]) {
    let mut missing = Vec::new();
    for e in std::fs::read_dir(cases_dir()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "ll") {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            if !cases.contains(&stem.as_str()) {
                missing.push(stem);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "add these cases to `cases!`: {missing:?}"
    );
}
