//! Dominators and natural loops of a function.
//!
//! Role: tell the reverse sweep which loops exist, their headers, latches
//! and bodies, and which loop a block belongs to. The canonical copy is in
//! loop-simplify form (a preheader, one latch, dedicated exits); an
//! irreducible cycle is reported as an error by the caller.

use super::Cfg;
use ferment_ir::Block;
use hashbrown::{HashMap, HashSet};

/// Index of a loop in [`Loops::loops`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct LoopId(pub usize);

#[derive(Debug)]
pub struct Loop {
    pub header: Block,
    pub latches: Vec<Block>,
    pub blocks: HashSet<Block>,
    pub parent: Option<LoopId>,
    pub depth: usize,
}

#[derive(Default)]
pub struct Loops {
    pub loops: Vec<Loop>,
    /// Innermost loop of each block in a loop.
    innermost: HashMap<Block, LoopId>,
}

/// Immediate dominators over the reachable blocks (Cooper, Harvey, Kennedy).
pub fn dominators(cfg: &Cfg, reachable: &[Block]) -> HashMap<Block, Block> {
    let order: HashMap<Block, usize> = reachable.iter().enumerate().map(|(i, b)| (*b, i)).collect();
    let mut idom: HashMap<Block, Block> = HashMap::new();
    let Some(&entry) = reachable.first() else {
        return idom;
    };
    idom.insert(entry, entry);
    let mut changed = true;
    while changed {
        changed = false;
        for &b in &reachable[1..] {
            let mut new: Option<Block> = None;
            for &p in cfg.preds(b) {
                if !idom.contains_key(&p) {
                    continue;
                }
                new = Some(match new {
                    None => p,
                    Some(n) => nearest_common_dominator(&idom, &order, p, n),
                });
            }
            if let Some(n) = new {
                if idom.get(&b) != Some(&n) {
                    idom.insert(b, n);
                    changed = true;
                }
            }
        }
    }
    idom
}

/// The nearest block dominating both `a` and `b`, from [`dominators`] and
/// the reverse post-order positions of the blocks it was given.
pub fn nearest_common_dominator(
    idom: &HashMap<Block, Block>,
    order: &HashMap<Block, usize>,
    mut a: Block,
    mut b: Block,
) -> Block {
    while a != b {
        while order[&a] > order[&b] {
            a = idom[&a];
        }
        while order[&b] > order[&a] {
            b = idom[&b];
        }
    }
    a
}

/// Whether `a` dominates `b`.
pub fn dominates(idom: &HashMap<Block, Block>, a: Block, mut b: Block) -> bool {
    loop {
        if a == b {
            return true;
        }
        match idom.get(&b) {
            Some(&p) if p != b => b = p,
            _ => return false,
        }
    }
}

impl Loops {
    /// Finds the natural loops. Returns the offending edge `(from, to)` when
    /// a cycle is irreducible (its target does not dominate its source).
    pub fn find(cfg: &Cfg, reachable: &[Block]) -> Result<Loops, (Block, Block)> {
        let idom = dominators(cfg, reachable);
        let live: HashSet<Block> = reachable.iter().copied().collect();
        let mut by_header: HashMap<Block, (Vec<Block>, HashSet<Block>)> = HashMap::new();
        let mut headers: Vec<Block> = Vec::new();
        for &(from, to) in &cfg.back_edges {
            if !live.contains(&from) {
                continue;
            }
            if !dominates(&idom, to, from) {
                return Err((from, to));
            }
            let entry = by_header.entry(to).or_insert_with(|| {
                headers.push(to);
                (Vec::new(), HashSet::new())
            });
            entry.0.push(from);
            // Body: the header plus everything reaching the latch without it.
            entry.1.insert(to);
            let mut stack = vec![from];
            while let Some(b) = stack.pop() {
                if entry.1.insert(b) {
                    stack.extend(cfg.preds(b).iter().copied().filter(|p| live.contains(p)));
                }
            }
        }
        let mut loops: Vec<Loop> = headers
            .into_iter()
            .map(|h| {
                let (latches, blocks) = by_header.remove(&h).unwrap_or_default();
                Loop {
                    header: h,
                    latches,
                    blocks,
                    parent: None,
                    depth: 1,
                }
            })
            .collect();
        // Parent: the smallest other loop containing the header.
        let n = loops.len();
        for i in 0..n {
            let mut best: Option<usize> = None;
            for j in 0..n {
                if i != j
                    && loops[j].blocks.contains(&loops[i].header)
                    && loops[j].blocks.len() > loops[i].blocks.len()
                    && best.is_none_or(|b| loops[j].blocks.len() < loops[b].blocks.len())
                {
                    best = Some(j);
                }
            }
            loops[i].parent = best.map(LoopId);
        }
        for i in 0..n {
            let mut d = 1;
            let mut p = loops[i].parent;
            while let Some(LoopId(q)) = p {
                d += 1;
                p = loops[q].parent;
            }
            loops[i].depth = d;
        }
        let mut innermost: HashMap<Block, LoopId> = HashMap::new();
        for (i, l) in loops.iter().enumerate() {
            for &b in &l.blocks {
                let better = match innermost.get(&b) {
                    None => true,
                    Some(&LoopId(j)) => loops[j].depth < l.depth,
                };
                if better {
                    innermost.insert(b, LoopId(i));
                }
            }
        }
        Ok(Loops { loops, innermost })
    }

    /// Innermost loop containing `b`.
    pub fn loop_of(&self, b: Block) -> Option<LoopId> {
        self.innermost.get(&b).copied()
    }

    pub fn get(&self, id: LoopId) -> &Loop {
        &self.loops[id.0]
    }

    pub fn contains(&self, id: LoopId, b: Block) -> bool {
        self.loops[id.0].blocks.contains(&b)
    }

    /// Loops containing `b`, outermost first.
    pub fn nest_of(&self, b: Block) -> Vec<LoopId> {
        let mut out = Vec::new();
        let mut cur = self.loop_of(b);
        while let Some(l) = cur {
            out.push(l);
            cur = self.loops[l.0].parent;
        }
        out.reverse();
        out
    }

    /// Loops whose iteration the reverse sweep enters when it walks the
    /// forward edge `from -> to` backwards: loops exited by the edge and the
    /// loop whose back edge it is. Outermost first.
    pub fn entered_in_reverse(&self, from: Block, to: Block) -> Vec<LoopId> {
        self.nest_of(from)
            .into_iter()
            .filter(|&l| !self.contains(l, to) || self.loops[l.0].header == to)
            .collect()
    }
}
