//! Control-flow facts the generators need: predecessor lists (one entry per
//! CFG edge, as phis count them), reverse post-order, and back edges.

pub mod loops;

use ferment_ir::{Block, Value};
use hashbrown::{HashMap, HashSet};

pub struct Cfg {
    /// Blocks in reverse post-order from the entry (unreachable ones last).
    pub rpo: Vec<Block>,
    /// Predecessors of each block, one entry per edge (duplicates kept).
    pub preds: HashMap<Block, Vec<Block>>,
    /// Edges `(from, to)` that close a cycle in the depth-first order.
    pub back_edges: Vec<(Block, Block)>,
}

impl Cfg {
    pub fn new(function: Value) -> Cfg {
        let blocks = function.blocks();
        let mut preds: HashMap<Block, Vec<Block>> =
            blocks.iter().map(|&b| (b, Vec::new())).collect();
        for &b in &blocks {
            for s in b.successors() {
                preds.entry(s).or_default().push(b);
            }
        }
        // Iterative DFS for post-order and back edges.
        let mut post = Vec::new();
        let mut back_edges = Vec::new();
        let mut visited: HashSet<Block> = HashSet::new();
        let mut on_stack: HashSet<Block> = HashSet::new();
        if let Some(&entry) = blocks.first() {
            let mut stack: Vec<(Block, Vec<Block>, usize)> = vec![(entry, entry.successors(), 0)];
            visited.insert(entry);
            on_stack.insert(entry);
            while let Some((b, succs, i)) = stack.last_mut() {
                if *i < succs.len() {
                    let s = succs[*i];
                    *i += 1;
                    let from = *b;
                    if on_stack.contains(&s) {
                        back_edges.push((from, s));
                    } else if visited.insert(s) {
                        on_stack.insert(s);
                        stack.push((s, s.successors(), 0));
                    }
                } else {
                    let b = *b;
                    on_stack.remove(&b);
                    post.push(b);
                    stack.pop();
                }
            }
        }
        let mut rpo: Vec<Block> = post.into_iter().rev().collect();
        for &b in &blocks {
            if !visited.contains(&b) {
                rpo.push(b);
            }
        }
        Cfg {
            rpo,
            preds,
            back_edges,
        }
    }

    pub fn preds(&self, b: Block) -> &[Block] {
        self.preds.get(&b).map(|v| v.as_slice()).unwrap_or(&[])
    }

    pub fn has_cycles(&self) -> bool {
        !self.back_edges.is_empty()
    }
}
