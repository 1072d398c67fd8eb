//! `FERMENT_TIME=1` (or `-mllvm -ferment-time-report`): where the plugin's
//! own compile time goes.
//!
//! Role: measurement only; changes nothing in the module. Code marks a phase
//! with `let _t = timing::scope("type analysis");` and the time until the
//! guard drops is charged to that phase, minus the time of phases nested in
//! it (each phase's own time, so the lines add up to the total). At the end
//! of a module's run [`report`] prints one `ferment-time:` line per phase to
//! stderr (milliseconds of the thread's CPU time on Linux, so that a loaded
//! machine does not inflate them; wall time elsewhere; how many times it
//! ran). Without the variable a scope costs one cached flag test.

use std::cell::RefCell;
use std::sync::OnceLock;
use std::time::Duration;

/// The calling thread's CPU time (Linux), else the time since the first call.
fn now() -> Duration {
    #[cfg(target_os = "linux")]
    {
        #[repr(C)]
        struct Timespec {
            sec: std::os::raw::c_long,
            nsec: std::os::raw::c_long,
        }
        extern "C" {
            fn clock_gettime(clock: std::os::raw::c_int, tp: *mut Timespec) -> std::os::raw::c_int;
        }
        const CLOCK_THREAD_CPUTIME_ID: std::os::raw::c_int = 3;
        let mut ts = Timespec { sec: 0, nsec: 0 };
        if unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0 {
            return Duration::new(ts.sec as u64, ts.nsec as u32);
        }
    }
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// Whether `FERMENT_TIME` is set (to anything but `0`) or the host was
/// given `-ferment-time-report`; read once (the first phase starts inside a
/// pass, after the host has parsed its options).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var_os("FERMENT_TIME").is_some_and(|v| v != "0")
            || crate::shim::time_report_option()
    })
}

#[derive(Default)]
struct Timers {
    /// Open phases: start and the time of the phases nested in it so far.
    open: Vec<(Duration, Duration)>,
    /// Own time and count per phase, in first-seen order.
    totals: Vec<(&'static str, Duration, u32)>,
    /// Free-form lines (sizes) printed with the report.
    notes: Vec<String>,
}

thread_local! {
    static TIMERS: RefCell<Timers> = RefCell::new(Timers::default());
}

/// Charges the time until it drops to `phase` (see the module comment).
pub struct Scope {
    phase: Option<&'static str>,
}

/// Starts timing `phase`; a no-op unless [`enabled`].
pub fn scope(phase: &'static str) -> Scope {
    if !enabled() {
        return Scope { phase: None };
    }
    TIMERS.with(|t| t.borrow_mut().open.push((now(), Duration::ZERO)));
    Scope { phase: Some(phase) }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let Some(phase) = self.phase else { return };
        TIMERS.with(|t| {
            let mut t = t.borrow_mut();
            let Some((start, nested)) = t.open.pop() else {
                return;
            };
            let all = now().saturating_sub(start);
            if let Some(parent) = t.open.last_mut() {
                parent.1 += all;
            }
            let own = all.saturating_sub(nested);
            match t.totals.iter_mut().find(|(p, _, _)| *p == phase) {
                Some(entry) => {
                    entry.1 += own;
                    entry.2 += 1;
                }
                None => t.totals.push((phase, own, 1)),
            }
        })
    }
}

/// Adds a line to the next report (e.g. a derivative's size); a no-op
/// unless [`enabled`].
pub fn note(line: impl FnOnce() -> String) {
    if enabled() {
        TIMERS.with(|t| t.borrow_mut().notes.push(line()));
    }
}

/// Prints the phases timed since the last report (largest first) under
/// `title`, with their sum, and forgets them.
pub fn report(title: &str) {
    if !enabled() {
        return;
    }
    let (mut totals, notes) = TIMERS.with(|t| {
        let mut t = t.borrow_mut();
        (std::mem::take(&mut t.totals), std::mem::take(&mut t.notes))
    });
    if totals.is_empty() && notes.is_empty() {
        return;
    }
    totals.sort_by_key(|e| std::cmp::Reverse(e.1));
    let sum: Duration = totals.iter().map(|(_, d, _)| *d).sum();
    let mut out = format!(
        "ferment-time: {title}: {:.2} ms (CPU)\n",
        sum.as_secs_f64() * 1e3
    );
    for (phase, d, n) in totals {
        out += &format!(
            "ferment-time:   {:>8.2} ms  {phase} ({n}x)\n",
            d.as_secs_f64() * 1e3
        );
    }
    for line in notes {
        out += &format!("ferment-time:   {line}\n");
    }
    eprint!("{out}");
    crate::shim::print_inner_pass_times();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_time_is_not_counted_twice() {
        // Exercises the bookkeeping directly (the variable may be unset).
        TIMERS.with(|t| *t.borrow_mut() = Timers::default());
        TIMERS.with(|t| t.borrow_mut().open.push((now(), Duration::ZERO)));
        let outer = Scope {
            phase: Some("outer"),
        };
        TIMERS.with(|t| t.borrow_mut().open.push((now(), Duration::ZERO)));
        let inner = Scope {
            phase: Some("inner"),
        };
        let spin = now();
        while now().saturating_sub(spin) < Duration::from_millis(20) {
            std::hint::black_box(0);
        }
        drop(inner);
        drop(outer);
        let totals = TIMERS.with(|t| std::mem::take(&mut t.borrow_mut().totals));
        let get = |p: &str| totals.iter().find(|e| e.0 == p).map(|e| e.1).unwrap();
        assert!(get("inner") >= Duration::from_millis(20));
        assert!(get("outer") < Duration::from_millis(10));
    }
}
