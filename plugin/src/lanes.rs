//! Lane order of vectorized loops that run downwards.
//!
//! Every reverse sweep walks its loops from the last iteration to the first.
//! LLVM's loop vectorizer gives lane `k` iteration `i - k`, so each load and
//! store of consecutive memory comes with a lane-reversing shuffle. Where a
//! loop body is purely lane-wise, InstCombine cancels the reversals; a
//! first-order recurrence (an adjoint carried to the next iteration) puts
//! splice shuffles between them and they stay: the stencil's reverse loop
//! spends a third of its shuffle work on them.
//!
//! Role: after the vectorizer, re-express groups of lane-wise instructions
//! of a single-block loop in memory order ("flipped") when that leaves fewer
//! shuffles. A group is a connected set of lane-wise instructions; loads,
//! stores, calls and shuffles bound it. Shuffles absorb any lane order for
//! free (their masks are rewritten); other boundaries pay one reversal.
//! Groups are flipped greedily while the count of shuffles drops. Runs only
//! on ferment's own functions (`ferment.*`), from the shim's pass at the
//! vectorizer-end extension point, which then runs InstCombine.

use ferment_ir::{Block, Builder, Opcode, TypeKind, Value};
use hashbrown::{HashMap, HashSet};

/// Cost of a reversal placed outside the loop (runs once). A power of two,
/// so that sums of costs are exact whatever order the sets iterate in.
const OUTSIDE: f64 = 0.0625;

/// Intrinsics that act lane by lane (their scalar operands, if any, apply to
/// every lane alike).
const LANE_WISE_INTRINSICS: &[&str] = &[
    "fmuladd",
    "fma",
    "fabs",
    "sqrt",
    "minnum",
    "maxnum",
    "minimum",
    "maximum",
    "minimumnum",
    "maximumnum",
    "copysign",
    "floor",
    "ceil",
    "trunc",
    "rint",
    "nearbyint",
    "round",
    "roundeven",
    "exp",
    "exp2",
    "exp10",
    "log",
    "log2",
    "log10",
    "sin",
    "cos",
    "tan",
    "pow",
    "powi",
    "smax",
    "smin",
    "umax",
    "umin",
    "abs",
    "canonicalize",
];

/// Flips lane order where it saves shuffles in the single-block loops of
/// `f`. Returns whether anything changed.
pub fn reorder_lanes(f: Value) -> bool {
    let cfg = crate::cfg::Cfg::new(f);
    let mut changed = false;
    for b in f.blocks() {
        let ps = cfg.preds(b);
        if !ps.contains(&b) {
            continue;
        }
        let outside: Vec<Block> = ps.iter().copied().filter(|p| *p != b).collect();
        let [preheader] = outside.as_slice() else {
            continue;
        };
        if let Some(mut l) = LoopBody::new(f, b, *preheader) {
            changed |= l.run();
        }
    }
    changed
}

struct LoopBody {
    f: Value,
    block: Block,
    preheader: Block,
    lanes: u32,
    /// Lane-wise instructions of `lanes` lanes.
    lane_wise: Vec<Value>,
    /// Shuffles producing `lanes` lanes.
    shuffles: Vec<Value>,
    in_block: HashSet<Value>,
}

fn is_fixed_vector(v: Value, lanes: u32) -> bool {
    let t = v.ty();
    t.kind() == TypeKind::LLVMVectorTypeKind && t.vector_len() == lanes
}

fn reverse_mask(lanes: u32) -> Vec<i32> {
    (0..lanes as i32).rev().collect()
}

impl LoopBody {
    fn new(f: Value, block: Block, preheader: Block) -> Option<LoopBody> {
        let insts = block.instructions();
        // The lane count of the reversals, if the body has any.
        let lanes = insts.iter().find_map(|&i| {
            if i.opcode() != Opcode::LLVMShuffleVector {
                return None;
            }
            let n = i.ty().vector_len();
            let src = i.operand(0).ty();
            (src.kind() == TypeKind::LLVMVectorTypeKind
                && src.vector_len() == n
                && n > 1
                && i.shuffle_mask() == reverse_mask(n))
            .then_some(n)
        })?;
        let mut l = LoopBody {
            f,
            block,
            preheader,
            lanes,
            lane_wise: Vec::new(),
            shuffles: Vec::new(),
            in_block: insts.iter().copied().collect(),
        };
        for &i in &insts {
            if !is_fixed_vector(i, lanes) {
                continue;
            }
            if i.opcode() == Opcode::LLVMShuffleVector {
                l.shuffles.push(i);
            } else if l.is_lane_wise(i) {
                l.lane_wise.push(i);
            }
        }
        Some(l)
    }

    fn is_lane_wise(&self, i: Value) -> bool {
        use Opcode::*;
        match i.opcode() {
            LLVMFAdd | LLVMFSub | LLVMFMul | LLVMFDiv | LLVMFRem | LLVMAdd | LLVMSub | LLVMMul
            | LLVMUDiv | LLVMSDiv | LLVMURem | LLVMSRem | LLVMShl | LLVMLShr | LLVMAShr
            | LLVMAnd | LLVMOr | LLVMXor | LLVMFNeg | LLVMICmp | LLVMFCmp | LLVMSelect
            | LLVMPHI | LLVMFreeze => true,
            LLVMTrunc | LLVMZExt | LLVMSExt | LLVMFPToUI | LLVMFPToSI | LLVMUIToFP | LLVMSIToFP
            | LLVMFPTrunc | LLVMFPExt | LLVMPtrToInt | LLVMIntToPtr | LLVMBitCast => {
                is_fixed_vector(i.operand(0), self.lanes)
            }
            LLVMCall => i.called_function().is_some_and(|g| {
                let name = g.name();
                name.strip_prefix("llvm.")
                    .and_then(|rest| rest.split('.').next())
                    .is_some_and(|base| LANE_WISE_INTRINSICS.contains(&base))
            }),
            _ => false,
        }
    }

    /// Operand indices of lane-wise `i` that carry lanes (phi: incoming values).
    fn lane_operands(&self, i: Value) -> Vec<usize> {
        let n = if i.opcode() == Opcode::LLVMCall {
            i.num_call_args()
        } else {
            i.num_operands()
        };
        (0..n)
            .filter(|&k| is_fixed_vector(i.operand(k), self.lanes))
            .collect()
    }

    fn is_shuffle(&self, v: Value) -> bool {
        self.in_block.contains(&v)
            && v.opcode() == Opcode::LLVMShuffleVector
            && is_fixed_vector(v, self.lanes)
    }

    /// Mask of shuffle `s` producing its result in flipped order (`flipped`)
    /// or memory order, from operands in the order `flip` gives them.
    fn version_mask(&self, s: Value, flipped: bool, flip: &HashSet<Value>) -> Vec<i32> {
        let m = s.shuffle_mask();
        let n = m.len();
        let w = s.operand(0).ty().vector_len() as i32;
        let (fa, fb) = (flip.contains(&s.operand(0)), flip.contains(&s.operand(1)));
        (0..n)
            .map(|k| {
                let j = m[if flipped { n - 1 - k } else { k }];
                if j < 0 {
                    -1
                } else if j < w {
                    if fa {
                        w - 1 - j
                    } else {
                        j
                    }
                } else if fb {
                    w + (w - 1 - (j - w))
                } else {
                    j
                }
            })
            .collect()
    }

    /// Operand (0 or 1) that `mask` passes through unchanged, if any.
    fn identity_operand(&self, s: Value, mask: &[i32]) -> Option<usize> {
        let w = s.operand(0).ty().vector_len() as i32;
        if mask.len() as i32 != w || mask.iter().all(|&j| j < 0) {
            return None;
        }
        (0..2).find(|&op| {
            mask.iter()
                .enumerate()
                .all(|(k, &j)| j < 0 || j == k as i32 + op as i32 * w)
        })
    }

    /// A vector built in the block from scalars: `insertelement`s at
    /// constant lanes on a constant (or on another such link used only
    /// here). Rebuilt in flipped order at no cost in shuffles.
    fn is_gather(&self, v: Value) -> bool {
        if !self.in_block.contains(&v)
            || v.opcode() != Opcode::LLVMInsertElement
            || !is_fixed_vector(v, self.lanes)
            || v.operand(2).const_int().is_none()
        {
            return false;
        }
        let base = v.operand(0);
        base.is_constant() || (self.is_gather(base) && base.users().len() == 1)
    }

    /// What providing `v` in flipped order costs.
    fn flipped_cost(&self, v: Value, flip: &HashSet<Value>) -> f64 {
        if flip.contains(&v) || v.is_constant() {
            0.0
        } else if self.is_gather(v) {
            // Free when the original goes away with its users.
            if v.users().iter().all(|u| flip.contains(u)) {
                0.0
            } else {
                1.0
            }
        } else if !self.in_block.contains(&v) {
            OUTSIDE
        } else {
            1.0
        }
    }

    /// Users of a flipped `i` that need it in memory order.
    fn order_users(&self, i: Value, flip: &HashSet<Value>) -> Vec<Value> {
        // In use-list order, not by address: the rewrite inserts exit phis
        // in this order, and the output may not depend on where LLVM
        // allocated the users.
        let mut out: Vec<Value> = Vec::new();
        for u in i.users() {
            if !flip.contains(&u) && !self.is_shuffle(u) && !out.contains(&u) {
                out.push(u);
            }
        }
        out
    }

    /// Whether user `u` of a loop value can get it reversed after the loop:
    /// an instruction outside the loop, or an LCSSA phi of the loop's exit.
    fn after_loop(&self, u: Value) -> bool {
        if self.in_block.contains(&u) {
            return false;
        }
        u.opcode() != Opcode::LLVMPHI || u.incoming().iter().all(|(_, b)| *b == self.block)
    }

    /// Shuffles in the block after flipping `flip` (reversals to add
    /// included); the original body is `cost(&empty)`.
    fn cost(&self, flip: &HashSet<Value>) -> f64 {
        let mut c = 0.0;
        let mut wanted: HashSet<Value> = HashSet::new();
        for &i in flip {
            for k in self.lane_operands(i) {
                wanted.insert(i.operand(k));
            }
        }
        for &v in &wanted {
            if !self.is_shuffle(v) {
                c += self.flipped_cost(v, flip);
            }
        }
        for &i in flip {
            let users = self.order_users(i, flip);
            if users.iter().any(|u| !self.after_loop(*u)) {
                c += 1.0;
            } else if !users.is_empty() {
                c += OUTSIDE;
            }
        }
        // Each distinct mask a shuffle is needed with, unless it passes an
        // operand through unchanged.
        for &s in &self.shuffles {
            let mut masks = Vec::new();
            if s.users().iter().any(|u| !flip.contains(u)) {
                masks.push(self.version_mask(s, false, flip));
            }
            if wanted.contains(&s) {
                masks.push(self.version_mask(s, true, flip));
            }
            masks.dedup();
            c += masks
                .iter()
                .filter(|m| self.identity_operand(s, m).is_none())
                .count() as f64;
        }
        c
    }

    /// Connected groups of lane-wise instructions.
    fn groups(&self) -> Vec<Vec<Value>> {
        let index: HashMap<Value, usize> = self
            .lane_wise
            .iter()
            .enumerate()
            .map(|(k, v)| (*v, k))
            .collect();
        let mut parent: Vec<usize> = (0..self.lane_wise.len()).collect();
        fn root(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        for (k, &i) in self.lane_wise.iter().enumerate() {
            for o in self.lane_operands(i) {
                if let Some(&j) = index.get(&i.operand(o)) {
                    let (a, b) = (root(&mut parent, k), root(&mut parent, j));
                    parent[a] = b;
                }
            }
        }
        // In block order of each group's first instruction (the greedy
        // search visits groups in this order; addresses would make the
        // result vary between compiles).
        let mut slot: Vec<Option<usize>> = vec![None; self.lane_wise.len()];
        let mut out: Vec<Vec<Value>> = Vec::new();
        for (k, &i) in self.lane_wise.iter().enumerate() {
            let r = root(&mut parent, k);
            let g = *slot[r].get_or_insert_with(|| {
                out.push(Vec::new());
                out.len() - 1
            });
            out[g].push(i);
        }
        out
    }

    /// Greedy moves over `groups` from `flip`: add (or remove) a group while
    /// that saves at least one shuffle.
    fn improve(
        &self,
        groups: &[Vec<Value>],
        mut flip: HashSet<Value>,
        add: bool,
    ) -> (HashSet<Value>, f64) {
        let mut best = self.cost(&flip);
        for _ in 0..3 {
            let mut improved = false;
            for g in groups {
                if flip.contains(&g[0]) == add {
                    continue;
                }
                let mut trial = flip.clone();
                for v in g {
                    if add {
                        trial.insert(*v);
                    } else {
                        trial.remove(v);
                    }
                }
                let c = self.cost(&trial);
                if c < best - 0.5 {
                    flip = trial;
                    best = c;
                    improved = true;
                }
            }
            if !improved {
                break;
            }
        }
        (flip, best)
    }

    fn run(&mut self) -> bool {
        if self.lane_wise.is_empty() {
            return false;
        }
        let groups = self.groups();
        // Groups tied by shuffles (interleaved parts of one recurrence) may
        // only pay off together: also start from everything flipped.
        let (up, up_cost) = self.improve(&groups, HashSet::new(), true);
        let all: HashSet<Value> = self.lane_wise.iter().copied().collect();
        let (down, down_cost) = self.improve(&groups, all, false);
        let (flip, c) = if down_cost < up_cost - 0.5 {
            (down, down_cost)
        } else {
            (up, up_cost)
        };
        // `up` only ever holds groups that saved a shuffle; `down` may end
        // no better than the loop as it is.
        if flip.is_empty() || c > self.cost(&HashSet::new()) - 0.5 {
            return false;
        }
        Rewrite::new(self, flip).apply();
        true
    }
}

/// Applies a chosen flip set to the loop body.
struct Rewrite<'l> {
    l: &'l LoopBody,
    b: Builder,
    flip: HashSet<Value>,
    /// Shuffles rebuilt because an operand is flipped or rebuilt.
    rebuilt: HashSet<Value>,
    clones: HashMap<Value, Value>,
    flipped: HashMap<Value, Value>,
    versions: HashMap<(Value, Vec<i32>), Value>,
    in_order: HashMap<Value, Value>,
}

impl<'l> Rewrite<'l> {
    fn new(l: &'l LoopBody, flip: HashSet<Value>) -> Rewrite<'l> {
        let mut rebuilt = HashSet::new();
        loop {
            let before = rebuilt.len();
            for &s in &l.shuffles {
                if (0..2).any(|k| {
                    let o = s.operand(k);
                    flip.contains(&o) || rebuilt.contains(&o)
                }) {
                    rebuilt.insert(s);
                }
            }
            if rebuilt.len() == before {
                break;
            }
        }
        Rewrite {
            l,
            b: Builder::new(l.f.global_parent()),
            flip,
            rebuilt,
            clones: HashMap::new(),
            flipped: HashMap::new(),
            versions: HashMap::new(),
            in_order: HashMap::new(),
        }
    }

    fn reverse(&self, v: Value) -> Value {
        let mask = self.b.const_mask(&reverse_mask(self.l.lanes));
        self.b.shuffle(v, self.b.poison(v.ty()), mask)
    }

    /// `v` in flipped order.
    fn flipped(&mut self, v: Value) -> Value {
        if let Some(&c) = self.clones.get(&v) {
            return c;
        }
        if let Some(&r) = self.flipped.get(&v) {
            return r;
        }
        let r = if self.l.is_shuffle(v) {
            self.version(v, true)
        } else if self.l.is_gather(v) {
            let base = self.flipped(v.operand(0));
            let lane = self.l.lanes as i64 - 1 - v.operand(2).const_int().unwrap_or(0);
            self.b.before(v);
            let idx = self.b.const_int(v.operand(2).ty(), lane);
            self.b.insert_element(base, v.operand(1), idx)
        } else if v.is_constant() || !self.l.in_block.contains(&v) {
            match self.l.preheader.terminator() {
                Some(t) => self.b.before(t),
                None => self.b.at_end(self.l.preheader),
            }
            self.reverse(v)
        } else {
            self.b.after(v);
            self.reverse(v)
        };
        self.flipped.insert(v, r);
        r
    }

    /// The value standing for operand `o` of a rebuilt shuffle.
    fn shuffle_operand(&mut self, o: Value) -> Value {
        if let Some(&c) = self.clones.get(&o) {
            c
        } else if self.rebuilt.contains(&o) {
            self.version(o, false)
        } else {
            o
        }
    }

    /// Shuffle `s` producing flipped or memory order (`s` itself when
    /// nothing about it changes).
    fn version(&mut self, s: Value, flipped: bool) -> Value {
        let mask = self.l.version_mask(s, flipped, &self.flip);
        if let Some(&v) = self.versions.get(&(s, mask.clone())) {
            return v;
        }
        let a = self.shuffle_operand(s.operand(0));
        let bv = self.shuffle_operand(s.operand(1));
        let v = match self.l.identity_operand(s, &mask) {
            Some(0) => a,
            Some(_) => bv,
            None if !self.rebuilt.contains(&s) && mask == s.shuffle_mask() => s,
            None => {
                self.b.before(s);
                let m = self.b.const_mask(&mask);
                self.b.shuffle(a, bv, m)
            }
        };
        self.versions.insert((s, mask), v);
        v
    }

    /// Flipped `i`'s value in memory order, for its user `u`: one reversal
    /// in the loop for users in the loop, one after the loop for each user
    /// there (an LCSSA phi is replaced by a phi of the flipped value).
    fn in_memory_order(&mut self, i: Value, u: Value) -> Value {
        let c = self.clones[&i];
        if self.l.after_loop(u) {
            if u.opcode() == Opcode::LLVMPHI {
                let exit = u.parent();
                self.b.at_start(exit);
                let p = self.b.phi(c.ty(), "");
                for _ in u.incoming() {
                    p.add_incoming(c, self.l.block);
                }
                self.b.after(p);
                return self.reverse(p);
            }
            self.b.before(u);
            return self.reverse(c);
        }
        if let Some(&v) = self.in_order.get(&i) {
            return v;
        }
        self.b.after(c);
        let v = self.reverse(c);
        self.in_order.insert(i, v);
        v
    }

    fn apply(mut self) {
        let block = self.l.block;
        let order: Vec<Value> = block
            .instructions()
            .into_iter()
            .filter(|i| self.flip.contains(i))
            .collect();
        for &i in &order {
            let c = i.clone_instruction();
            self.b.before(i);
            self.b.insert(c);
            self.clones.insert(i, c);
        }
        for &i in &order {
            let c = self.clones[&i];
            for k in self.l.lane_operands(i) {
                let v = self.flipped(i.operand(k));
                c.set_operand(k, v);
            }
        }
        for &i in &order {
            for u in self.l.order_users(i, &self.flip) {
                if self.rebuilt.contains(&u) {
                    continue;
                }
                let v = self.in_memory_order(i, u);
                if u.opcode() == Opcode::LLVMPHI && self.l.after_loop(u) {
                    u.replace_all_uses_with(v);
                    u.erase();
                    continue;
                }
                for k in 0..u.num_operands() {
                    if u.operand(k) == i {
                        u.set_operand(k, v);
                    }
                }
            }
        }
        let rebuilt: Vec<Value> = self
            .l
            .shuffles
            .iter()
            .copied()
            .filter(|s| self.rebuilt.contains(s))
            .collect();
        for &s in &rebuilt {
            for u in s.users() {
                if self.flip.contains(&u) || self.rebuilt.contains(&u) {
                    continue;
                }
                let v = self.version(s, false);
                for k in 0..u.num_operands() {
                    if u.operand(k) == s {
                        u.set_operand(k, v);
                    }
                }
            }
        }
        // The originals are now used only by each other.
        let dead: Vec<Value> = order.iter().chain(rebuilt.iter()).copied().collect();
        for &d in &dead {
            d.replace_all_uses_with(self.b.poison(d.ty()));
        }
        for d in dead {
            d.erase();
        }
        for s in self.l.shuffles.iter() {
            if !self.rebuilt.contains(s) && !s.has_uses() {
                s.erase();
            }
        }
    }
}
