//! The `user` variant (`--variant user`; with `,no-inline` too): shapes of everyday C that the
//! default and numeric variants lack (`Gen::user_stmt`, drawn for 35% of the statements, and two
//! helper shapes drawn for 40% of the helpers):
//! - running minima / maxima with the winner's index and a payload computed with it (`if (c <
//!   best) { best = c; bi = i; pay = ...; }`, the select form, `fmin`/`fmax`, starts at
//!   `HUGE_VAL`, a large constant or an active value, ties through `<=` / `>=`, early exits,
//!   other carried values in the same loop), then the winner's element read at `bi`;
//! - `while` loops with `continue` and a data-dependent `break`, `do while` on a tolerance;
//! - time stepping between two buffers (heap or stack) swapped by pointer or copied back with
//!   `memcpy` / `memmove` / a loop each step;
//! - `memmove` of an array onto itself shifted, `memset` of active data (whole or part);
//! - whole-struct assignment and swaps in an array of structs (`struct S`: double, int,
//!   double[2]);
//! - pointers into the middle of arrays (`p + 1`, `&p[2]`) passed to helpers that loop over a
//!   window (`Window`) or recurse on halves (`Halves`, `HalvesW`: `h(p, m / 2)`, `h(p + m / 2,
//!   m - m / 2)`);
//! - integer accumulators that index arrays (`ia = (ia + 3 + (c ? 1 : 0)) % N`) and data-dependent
//!   counters used as indices and as values;
//! - `float` arrays filled from doubles and read back, with a float sum;
//! - `switch` with fallthrough; `&&` / `||` of comparisons of active values;
//! - pointer-walking loops (`for (double *q = p; q < p + n; q++)`) and a pointer chosen by a
//!   comparison (`c ? p0 : p1`, both duplicated, or a duplicated and a constant array);
//! - `size_t` and unsigned count-down loops; a global array (`garr`) written and read by the
//!   kernel; an array's address stored in a global pointer (`gptr`) and used through it.
//!
//! Every new draw is behind the variant's flag, so the other variants' programs are unchanged.

use super::{lit, Gen, Helper, HelperShape, Scope};
use crate::program::{Func, Stmt};

impl Gen {
    /// A statement of the `user` variant, or None when the scope offers nothing it needs.
    pub(super) fn user_stmt(&mut self, sc: &Scope) -> Option<Stmt> {
        let k = self.next_loop;
        self.next_loop += 1;
        match self.rng.below(14) {
            0..=2 if self.loop_depth < 2 && !sc.locals.is_empty() => Some(self.extremum(sc, k)),
            3 if self.loop_depth < 2 => Some(self.while_loop(sc, k)),
            4 if self.loop_depth < 2 && !sc.locals.is_empty() => Some(self.ping_pong(sc, k)),
            5 => self.mem_ops(sc),
            6 => self.struct_copy(sc, k),
            7 => self.window_call(sc),
            8 if self.loop_depth < 2 => self.int_index(sc, k),
            9 if self.loop_depth < 2 && !sc.locals.is_empty() && self.rng.chance(0.3) => {
                Some(self.float_array(sc, k))
            }
            10 => self.fallthrough(sc),
            11 => {
                let c1 = self.cond(sc);
                let c2 = self.cond(sc);
                let op = *self.rng.pick(&["&&", "||"]);
                let neg = if self.rng.chance(0.2) { "!" } else { "" };
                let nt = self.rng.range(1, 2);
                let then = self.block(sc, nt);
                let ne = self.rng.below(2);
                let els = self.block(sc, ne);
                Some(Stmt::If {
                    cond: format!("{neg}({c1}) {op} ({c2})"),
                    then,
                    els,
                })
            }
            12 => self.global_pointer(sc),
            _ if self.loop_depth < 2 => self.pointer_loop(sc, k),
            _ => None,
        }
    }

    /// A running minimum or maximum over a loop, with the winner's index and a payload.
    fn extremum(&mut self, sc: &Scope, k: usize) -> Stmt {
        let v = self.rng.pick(&sc.locals).clone();
        let i = format!("i{k}");
        let mut inner = sc.clone();
        inner.idx.push(i.clone());
        let n = self.count(sc);
        let min = self.rng.chance(0.5);
        let op = match (min, self.rng.chance(0.25)) {
            (true, false) => "<",
            (true, true) => "<=",
            (false, false) => ">",
            (false, true) => ">=",
        };
        let (b, c, bi, py) = (
            format!("b{k}"),
            format!("c{k}"),
            format!("bi{k}"),
            format!("py{k}"),
        );
        let init = match self.rng.below(4) {
            0 | 1 => (if min { "HUGE_VAL" } else { "-HUGE_VAL" }).to_string(),
            2 => (if min { "1e30" } else { "(-1e30)" }).to_string(),
            _ => {
                let (e, _) = self.expr(sc, 1);
                format!("({e})")
            }
        };
        self.loop_depth += 1;
        let mut body = Vec::new();
        if self.rng.chance(0.3) {
            // another value carried by the same loop
            body.extend(self.block(&inner, 1));
        }
        let (ce, _) = self.expr(&inner, 2);
        body.push(Stmt::Line(format!("double {c} = {ce};")));
        let exit = self.rng.below(5);
        if exit == 0 {
            body.push(Stmt::Line(format!("if (BR({c} > 1.9)) break;")));
        }
        let mut pin = inner.clone();
        pin.vars.push((c.clone(), 3.0));
        let (pe, _) = self.expr(&pin, 2);
        let pay = self.squash(&pe);
        let form = self.rng.below(4);
        match form {
            0 | 1 => body.push(Stmt::If {
                cond: format!("BR({c} {op} {b})"),
                then: vec![
                    Stmt::Line(format!("{b} = {c};")),
                    Stmt::Line(format!("{bi} = {i};")),
                    Stmt::Line(format!("{py} = {pay};")),
                ],
                els: vec![],
            }),
            2 => {
                body.push(Stmt::Line(format!("{bi} = BR({c} {op} {b}) ? {i} : {bi};")));
                body.push(Stmt::Line(format!("{b} = BR({c} {op} {b}) ? {c} : {b};")));
            }
            _ => {
                let f = if min { "FMIN" } else { "FMAX" };
                body.push(Stmt::Line(format!("{b} = {f}({b}, {c});")));
            }
        }
        if exit == 1 {
            body.push(Stmt::Line(format!("if (BR({b} {op} (-1.5))) break;")));
        }
        self.loop_depth -= 1;
        let a = lit(self.rng.real(-0.9, 0.9));
        let bb = lit(self.rng.real(0.1, 0.5));
        let mut use_ = format!("{v} = {a} * {v} + {bb} * tanh({b})");
        if form < 2 {
            use_.push_str(&format!(" + 0.25 * {py}"));
        }
        if !sc.read_arrs.is_empty() {
            let arr = self.rng.pick(&sc.read_arrs).clone();
            use_.push_str(&format!(" + 0.125 * {arr}[{bi}]"));
        }
        use_.push_str(&format!(" + 0.03125 * {bi};"));
        Stmt::Scope {
            pre: format!("double {b} = {init}, {py} = 0.0; int {bi} = 0;"),
            body: vec![
                Stmt::Loop {
                    head: format!("for (int {i} = 0; {i} < {n}; {i}++)"),
                    unrolled: format!("const int {i} = 0;"),
                    body,
                },
                Stmt::Line(use_),
            ],
        }
    }

    /// `while (++i < n)` with `continue` and a data-dependent `break`, or a `do while` on a
    /// tolerance; the exit index flows into a local.
    fn while_loop(&mut self, sc: &Scope, k: usize) -> Stmt {
        let i = format!("i{k}");
        let n = self.count(sc);
        let mut inner = sc.clone();
        inner.idx.push(i.clone());
        self.loop_depth += 1;
        let mut body = Vec::new();
        if self.rng.chance(0.6) {
            let c = if self.rng.chance(0.4) {
                format!("{i} % 3 == 1")
            } else {
                let (e, _) = self.expr(&inner, 2);
                format!("BR({e} > 0.8)")
            };
            body.push(Stmt::Line(format!("if ({c}) continue;")));
        }
        let nb = self.rng.range(1, 3);
        body.extend(self.block(&inner, nb));
        let (e, _) = self.expr(&inner, 2);
        body.push(Stmt::Line(format!("if (BR({e} > 1.2)) break;")));
        self.loop_depth -= 1;
        let tail = match sc.locals.first() {
            Some(v) if self.rng.chance(0.5) => vec![Stmt::Line(format!("{v} += 0.0625 * {i};"))],
            _ => vec![],
        };
        if self.rng.chance(0.7) {
            let mut b = vec![Stmt::Loop {
                head: format!("while (++{i} < {n})"),
                unrolled: format!("{i} = 0;"),
                body,
            }];
            b.extend(tail);
            Stmt::Scope {
                pre: format!("int {i} = -1;"),
                body: b,
            }
        } else {
            // do while: the first pass always runs (n >= 1)
            let mut b = vec![Stmt::Loop {
                head: "do".to_string(),
                unrolled: String::new(),
                body,
            }];
            b.push(Stmt::Line(format!("while (++{i} < {n});")));
            b.extend(tail);
            Stmt::Scope {
                pre: format!("int {i} = 0;"),
                body: b,
            }
        }
    }

    /// Time stepping between two buffers, swapped by pointer or copied back each step.
    fn ping_pong(&mut self, sc: &Scope, k: usize) -> Stmt {
        let v = self.rng.pick(&sc.locals).clone();
        let (u, w, j, q, t) = (
            format!("u{k}"),
            format!("w{k}"),
            format!("j{k}"),
            format!("q{k}"),
            format!("t{k}"),
        );
        let heap = self.rng.chance(0.6);
        let mut pre = Vec::new();
        if heap {
            pre.push(format!(
                "double *{u} = (double *)malloc(N * sizeof(double)), *{w} = (double *)malloc(N * sizeof(double));"
            ));
        } else {
            pre.push(format!(
                "double {u}b[N], {w}b[N];\n    double *{u} = {u}b, *{w} = {w}b;"
            ));
        }
        let src = if sc.vars.is_empty() {
            format!("0.5 - 0.1 * {q}")
        } else if sc.read_arrs.is_empty() || self.rng.chance(0.2) {
            let (s, _) = self.rng.pick(&sc.vars).clone();
            format!("{s} * (0.3 + 0.1 * {q}) - 0.05 * {q}")
        } else {
            let a = self.rng.pick(&sc.read_arrs).clone();
            format!("0.5 * {a}[{q}] + 0.125")
        };
        pre.push(format!(
            "for (int {q} = 0; {q} < N; {q}++) {u}[{q}] = {src};"
        ));
        let steps = if self.rng.chance(0.3) {
            self.count(sc)
        } else {
            format!("{}", self.rng.range(1, 4))
        };
        let mut inner = sc.clone();
        inner.idx.push(j.clone());
        inner.vars.push((format!("{u}[{j}]"), 3.0));
        inner.vars.push((format!("{u}[({j} + 1) % N]"), 3.0));
        inner.vars.push((format!("{u}[({j} + N - 1) % N]"), 3.0));
        let (e, _) = self.expr(&inner, 2);
        let sq = self.squash(&e);
        let c = lit(self.rng.real(-0.9, 0.9));
        let kk = lit(self.rng.real(0.1, 0.8));
        let step =
            format!("for (int {j} = 0; {j} < N; {j}++) {w}[{j}] = {c} * {u}[{j}] + {kk} * {sq};");
        let back = match self.rng.below(5) {
            0 | 1 => format!("{{ double *sw{k} = {u}; {u} = {w}; {w} = sw{k}; }}"),
            2 => format!("memcpy({u}, {w}, N * sizeof(double));"),
            3 => format!("memmove({u}, {w}, N * sizeof(double));"),
            _ => format!("for (int {j} = 0; {j} < N; {j}++) {u}[{j}] = {w}[{j}];"),
        };
        let a = lit(self.rng.real(-0.9, 0.9));
        let b = lit(self.rng.real(0.1, 0.5));
        let mut body = vec![
            Stmt::Loop {
                head: format!("for (int {t} = 0; {t} < {steps}; {t}++)"),
                unrolled: format!("const int {t} = 0;"),
                body: vec![Stmt::Line(step), Stmt::Line(back)],
            },
            Stmt::Line(format!(
                "{v} = {a} * {v} + {b} * ({u}[0] + 0.5 * {u}[N - 1] - 0.25 * {w}[1]);"
            )),
        ];
        if heap {
            body.push(Stmt::Line(format!("free({u}); free({w});")));
        }
        Stmt::Scope {
            pre: pre.join("\n    "),
            body,
        }
    }

    /// `memmove` of an array onto itself shifted, `memset` of active data, a partial copy
    /// between two arrays through `&a[i]`.
    fn mem_ops(&mut self, sc: &Scope) -> Option<Stmt> {
        if sc.write_arrs.is_empty() {
            return None;
        }
        let d = self.rng.pick(&sc.write_arrs).clone();
        let line = match self.rng.below(6) {
            0 => format!("memmove({d} + 1, {d}, (N - 1) * sizeof(double));"),
            1 => format!("memmove({d}, {d} + 1, (N - 1) * sizeof(double));"),
            2 => format!("memmove(&{d}[1], &{d}[0], 2 * sizeof(double));"),
            3 => format!("memset({d} + 1, 0, sizeof(double));"),
            4 if self.rng.chance(0.3) => format!("memset({d}, 0, N * sizeof(double));"),
            _ => {
                let s = self.rng.pick(&sc.read_arrs).clone();
                if s == d {
                    return None;
                }
                format!("memcpy(&{d}[1], &{s}[N - 2], sizeof(double));")
            }
        };
        Some(Stmt::Line(line))
    }

    /// Whole-struct assignment or a swap between two `struct S` (double, int, double[2]).
    fn struct_copy(&mut self, sc: &Scope, k: usize) -> Option<Stmt> {
        if sc.struct_ptrs.is_empty() {
            return None;
        }
        let pa = self.rng.pick(&sc.struct_ptrs).clone();
        let a = self.elem(sc, &pa);
        let pb = self.rng.pick(&sc.struct_ptrs).clone();
        let b = self.elem(sc, &pb);
        Some(Stmt::Line(if self.rng.chance(0.5) {
            format!("*({a}) = *({b});")
        } else {
            format!("{{ struct S sw{k} = *({a}); *({a}) = *({b}); *({b}) = sw{k}; }}")
        }))
    }

    /// A call of a `Window` or `Halves` helper on a pointer into the middle of an array.
    fn window_call(&mut self, sc: &Scope) -> Option<Stmt> {
        let cands: Vec<Helper> = self.helpers[..self.callable]
            .iter()
            .filter(|h| match h.shape {
                HelperShape::Window | HelperShape::HalvesW => {
                    !sc.write_arrs.is_empty() && !sc.locals.is_empty()
                }
                HelperShape::Halves => !sc.read_arrs.is_empty() && !sc.locals.is_empty(),
                _ => false,
            })
            .cloned()
            .collect();
        if cands.is_empty() {
            return None;
        }
        let h = self.rng.pick(&cands).clone();
        let arr = if h.shape == HelperShape::Halves {
            self.rng.pick(&sc.read_arrs).clone()
        } else {
            self.rng.pick(&sc.write_arrs).clone()
        };
        let o = self.rng.below(3);
        let m = if o < 2 && self.rng.chance(0.3) {
            format!("N - {} - 1", o)
        } else {
            format!("N - {o}")
        };
        let p = if self.rng.chance(0.5) {
            format!("{arr} + {o}")
        } else {
            format!("&{arr}[{o}]")
        };
        let (e, _) = self.expr(sc, 2);
        let v = self.rng.pick(&sc.locals).clone();
        let a = lit(self.rng.real(-0.9, 0.9));
        let b = lit(self.rng.real(0.1, 0.5));
        Some(Stmt::Line(match h.shape {
            HelperShape::HalvesW => format!("{}({p}, {m}, {e});", h.name),
            _ => format!("{v} = {a} * {v} + {b} * tanh({}({p}, {m}, {e}));", h.name),
        }))
    }

    /// An integer accumulator that indexes an array, or a data-dependent counter.
    fn int_index(&mut self, sc: &Scope, k: usize) -> Option<Stmt> {
        let (i, ia) = (format!("i{k}"), format!("ia{k}"));
        let n = self.count(sc);
        let mut inner = sc.clone();
        inner.idx.push(i.clone());
        if self.rng.chance(0.5) {
            if sc.write_arrs.is_empty() && (sc.locals.is_empty() || sc.read_arrs.is_empty()) {
                return None;
            }
            let step = self.rng.range(1, 4);
            let c = self.cond(&inner);
            let upd = format!("{ia} = ({ia} + {step} + (({c}) ? 1 : 0)) % N;");
            let (e, _) = self.expr(&inner, 2);
            let sq = self.squash(&e);
            let cc = lit(self.rng.real(-0.9, 0.9));
            let kk = lit(self.rng.real(0.1, 0.8));
            let use_ = if !sc.write_arrs.is_empty()
                && (sc.locals.is_empty() || sc.read_arrs.is_empty() || self.rng.chance(0.6))
            {
                let a = self.rng.pick(&sc.write_arrs).clone();
                format!("{a}[{ia}] = {cc} * {a}[{ia}] + {kk} * {sq};")
            } else {
                let v = self.rng.pick(&sc.locals).clone();
                let a = self.rng.pick(&sc.read_arrs).clone();
                format!("{v} = {cc} * {v} + {kk} * {sq} + 0.25 * {a}[{ia}];")
            };
            Some(Stmt::Scope {
                pre: format!("int {ia} = {};", self.rng.below(3)),
                body: vec![Stmt::Loop {
                    head: format!("for (int {i} = 0; {i} < {n}; {i}++)"),
                    unrolled: format!("const int {i} = 0;"),
                    body: vec![Stmt::Line(upd), Stmt::Line(use_)],
                }],
            })
        } else {
            if sc.locals.is_empty() || sc.read_arrs.is_empty() {
                return None;
            }
            let v = self.rng.pick(&sc.locals).clone();
            let a = self.rng.pick(&sc.read_arrs).clone();
            let c = self.cond(&inner);
            let a2 = self.rng.pick(&sc.read_arrs).clone();
            let cc = lit(self.rng.real(-0.9, 0.9));
            Some(Stmt::Scope {
                pre: format!("int {ia} = 0;"),
                body: vec![
                    Stmt::Loop {
                        head: format!("for (int {i} = 0; {i} < {n}; {i}++)"),
                        unrolled: format!("const int {i} = 0;"),
                        body: vec![Stmt::Line(format!("if ({c}) {ia}++;"))],
                    },
                    Stmt::Line(format!(
                        "{v} = {cc} * {v} + 0.25 * {a2}[{ia} % N] + 0.0625 * {ia} * sin({v} + {a}[0]);"
                    )),
                ],
            })
        }
    }

    /// A `float` array filled from doubles, read back as doubles, maybe summed in float.
    fn float_array(&mut self, sc: &Scope, k: usize) -> Stmt {
        self.single = true;
        let v = self.rng.pick(&sc.locals).clone();
        let (fa, q) = (format!("fa{k}"), format!("q{k}"));
        let mut inner = sc.clone();
        inner.idx.push(q.clone());
        let (e, _) = self.expr(&inner, 2);
        let sq = self.squash(&e);
        let a = lit(self.rng.real(-0.9, 0.9));
        let b = lit(self.rng.real(0.1, 0.5));
        let i = self.index(sc);
        let mut lines = vec![format!(
            "for (int {q} = 0; {q} < N; {q}++) {fa}[{q}] = FRTF({sq});"
        )];
        if self.rng.chance(0.5) {
            let c = lit(self.rng.real(0.1, 0.9));
            lines.push(format!(
                "float fs{k} = 0.0f;\n    for (int {q} = 0; {q} < N; {q}++) fs{k} += {c}f * {fa}[{q}];"
            ));
            lines.push(format!(
                "{v} = {a} * {v} + {b} * (double){fa}[{i}] + 0.25 * (double)fs{k};"
            ));
        } else {
            lines.push(format!("{v} = {a} * {v} + {b} * (double){fa}[{i}];"));
        }
        Stmt::Scope {
            pre: format!("float {fa}[N];"),
            body: lines.into_iter().map(Stmt::Line).collect(),
        }
    }

    /// An array's address stored into the global pointer `gptr`, then an element read or
    /// updated through it.
    fn global_pointer(&mut self, sc: &Scope) -> Option<Stmt> {
        let write = !sc.write_arrs.is_empty() && (sc.locals.is_empty() || self.rng.chance(0.5));
        if !write && (sc.locals.is_empty() || sc.read_arrs.is_empty()) {
            return None;
        }
        let i = self.index(sc);
        let (e, _) = self.expr(sc, 2);
        let sq = self.squash(&e);
        let c = lit(self.rng.real(-0.9, 0.9));
        let kk = lit(self.rng.real(0.1, 0.8));
        Some(Stmt::Line(if write {
            let a = self.rng.pick(&sc.write_arrs).clone();
            format!("gptr = {a}; gptr[{i}] = {c} * gptr[{i}] + {kk} * {sq};")
        } else {
            let a = self.rng.pick(&sc.read_arrs).clone();
            let v = self.rng.pick(&sc.locals).clone();
            format!("gptr = (double *){a}; {v} = {c} * {v} + {kk} * gptr[{i}] * {sq};")
        }))
    }

    /// A `switch` whose cases fall through.
    fn fallthrough(&mut self, sc: &Scope) -> Option<Stmt> {
        let sel = match sc.idx.last() {
            Some(i) if self.rng.chance(0.5) => format!("{i} % 4"),
            _ => {
                let (e, _) = self.expr(sc, 2);
                format!("BRI((int)FLOOR(2.0 + 1.9 * tanh({e})))")
            }
        };
        let mut arms = String::new();
        for c in 0..4 {
            let Stmt::Line(x) = self.assign(sc) else {
                unreachable!()
            };
            match c {
                0 => arms.push_str(&format!("case 0: {x} ")),
                1 => arms.push_str(&format!("case 1: {x} break; ")),
                2 => arms.push_str(&format!("case 2: {x} /* fallthrough */ ")),
                _ => arms.push_str(&format!("default: {x}")),
            }
        }
        Some(Stmt::Line(format!("switch ({sel}) {{ {arms} }}")))
    }

    /// A loop walking a pointer over an array, or an element update through a pointer chosen by
    /// a comparison.
    fn pointer_loop(&mut self, sc: &Scope, k: usize) -> Option<Stmt> {
        if sc.write_arrs.is_empty() {
            return None;
        }
        let q = format!("pq{k}");
        let c = lit(self.rng.real(-0.9, 0.9));
        let kk = lit(self.rng.real(0.1, 0.8));
        if self.rng.chance(0.5) {
            let a = self.rng.pick(&sc.write_arrs).clone();
            let n = self.count(sc);
            let mut inner = sc.clone();
            inner.vars.push((format!("(*{q})"), 2.0));
            self.loop_depth += 1;
            let (e, _) = self.expr(&inner, 2);
            self.loop_depth -= 1;
            let sq = self.squash(&e);
            Some(Stmt::Loop {
                head: format!("for (double *{q} = {a}; {q} < {a} + {n}; {q}++)"),
                unrolled: format!("double *{q} = {a};"),
                body: vec![Stmt::Line(format!("*{q} = {c} * *{q} + {kk} * {sq};"))],
            })
        } else {
            let cond = self.cond(sc);
            let i = self.index(sc);
            let (e, _) = self.expr(sc, 2);
            let sq = self.squash(&e);
            let a1 = self.rng.pick(&sc.write_arrs).clone();
            if self.rng.chance(0.5) && !sc.locals.is_empty() {
                // a read through a pointer that may be a constant array
                let a2 = self.rng.pick(&sc.read_arrs).clone();
                let v = self.rng.pick(&sc.locals).clone();
                return Some(Stmt::Line(format!(
                    "{{ const double *{q} = ({cond}) ? {a1} : {a2}; {v} = {c} * {v} + {kk} * {q}[{i}] * {sq}; }}"
                )));
            }
            let a2 = self.rng.pick(&sc.write_arrs).clone();
            Some(Stmt::Line(format!(
                "{{ double *{q} = ({cond}) ? {a1} : {a2}; {q}[{i}] = {c} * {q}[{i}] + {kk} * {sq}; }}"
            )))
        }
    }

    /// The helper shapes of the `user` variant: `Window` (`double h(double *p, int m, double
    /// s)`, loops over `p[0..m)`), `Halves` (`double h(const double *p, int m, double s)`,
    /// recursive on the two halves), `HalvesW` (`void h(double *p, int m, double s)`, the same,
    /// writing).
    pub(super) fn user_helper(&mut self, name: String, attr: &str) -> Func {
        let shape = *self.rng.pick(&[
            HelperShape::Window,
            HelperShape::Window,
            HelperShape::Halves,
            HelperShape::HalvesW,
        ]);
        let c = lit(self.rng.real(0.2, 0.5));
        let kk = lit(self.rng.real(0.1, 0.45));
        let (head, pre, body, post, bound) = match shape {
            HelperShape::Window => {
                let sc = Scope {
                    vars: vec![("s".into(), 3.0), ("acc".into(), 3.0), ("p[j]".into(), 3.0)],
                    locals: vec!["acc".into()],
                    write_elems: vec!["p[j]".into()],
                    idx: vec!["j".into()],
                    ..Scope::default()
                };
                self.loop_depth = 1;
                let nb = self.rng.range(1, 3);
                let mut body = self.block(&sc, nb);
                self.loop_depth = 0;
                let (e, _) = self.expr(&sc, 2);
                let sq = self.squash(&e);
                body.push(Stmt::Line(format!(
                    "if (j + 1 < m) p[j] = {c} * p[j] + {kk} * {sq} + 0.25 * p[j + 1];"
                )));
                (
                    format!("{attr} double {name}(double *p, int m, double s)"),
                    vec!["double acc = 0.125;".to_string()],
                    vec![Stmt::Loop {
                        head: "for (int j = 0; j < m; j++)".into(),
                        unrolled: "const int j = 0;".into(),
                        body,
                    }],
                    vec!["return acc + 0.5 * p[m - 1];".to_string()],
                    6.0,
                )
            }
            HelperShape::Halves => {
                let sc = Scope {
                    vars: vec![("s".into(), 3.0), ("p[0]".into(), 3.0)],
                    ..Scope::default()
                };
                let (e, _) = self.expr(&sc, 2);
                let leaf = self.squash(&e);
                let (e2, _) = self.expr(&sc, 1);
                let s2 = self.squash(&e2);
                (
                    format!("{attr} double {name}(const double *p, int m, double s)"),
                    vec![
                        format!("if (m == 1) return {leaf};"),
                        "int hm = m / 2;".to_string(),
                    ],
                    vec![],
                    vec![format!(
                        "return {c} * {name}(p, hm, s) + {kk} * {name}(p + hm, m - hm, {s2});"
                    )],
                    2.0,
                )
            }
            _ => {
                let sc = Scope {
                    vars: vec![("s".into(), 3.0), ("p[0]".into(), 3.0)],
                    ..Scope::default()
                };
                let (e, _) = self.expr(&sc, 2);
                let leaf = self.squash(&e);
                let cc = lit(self.rng.real(-0.9, 0.9));
                (
                    format!("{attr} void {name}(double *p, int m, double s)"),
                    vec![
                        format!("if (m == 1) {{ p[0] = {cc} * p[0] + {kk} * {leaf}; return; }}"),
                        "int hm = m / 2;".to_string(),
                    ],
                    vec![],
                    vec![
                        format!("{name}(p + hm, m - hm, s);"),
                        format!("{name}(p, hm, {c} * p[m - 1] + 0.5 * s);"),
                    ],
                    0.0,
                )
            }
        };
        self.helpers.push(Helper {
            name: name.clone(),
            shape,
            bound,
        });
        Func {
            name,
            head,
            pre,
            body,
            post,
        }
    }
}
