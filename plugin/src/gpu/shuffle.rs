//! Warp shuffles (`shfl.sync`): which ones a kernel uses, their tangents
//! (the same shuffle of the tangent) and their adjoints.

use ferment_ir::{Builder, Type, Value};

/// The kinds of `shfl.sync` (`__shfl_sync`, `__shfl_up_sync`,
/// `__shfl_down_sync`, `__shfl_xor_sync`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ShuffleKind {
    Idx,
    Up,
    Down,
    Bfly,
}

/// A float warp shuffle `llvm.nvvm.shfl.sync.<kind>.f32(mask, v, lane or
/// offset, c)`.
#[derive(Clone, Copy, Debug)]
pub struct Shuffle {
    pub kind: ShuffleKind,
    pub mask: Value,
    pub value: Value,
    pub offset: Value,
    pub c: Value,
}

/// Which shuffle `name` is, and whether it moves floats (`Some(true)`) or
/// 32-bit integers (`Some(false)`).
pub(super) fn shuffle_name(name: &str) -> Option<(ShuffleKind, bool)> {
    let rest = name.strip_prefix("llvm.nvvm.shfl.sync.")?;
    let (kind, ty) = rest.split_once('.')?;
    let kind = match kind {
        "idx" => ShuffleKind::Idx,
        "up" => ShuffleKind::Up,
        "down" => ShuffleKind::Down,
        "bfly" => ShuffleKind::Bfly,
        _ => return None,
    };
    match ty {
        "f32" => Some((kind, true)),
        "i32" => Some((kind, false)),
        _ => None,
    }
}

impl Shuffle {
    /// The float shuffle `inst` is, if any.
    pub fn of(inst: Value) -> Option<Shuffle> {
        let name = inst.called_function()?.name();
        let (kind, true) = shuffle_name(&name)? else {
            return None;
        };
        let a = inst.call_args();
        (a.len() == 4).then(|| Shuffle {
            kind,
            mask: a[0],
            value: a[1],
            offset: a[2],
            c: a[3],
        })
    }

    /// Why the reverse rule cannot handle this shuffle, if it cannot.
    pub fn unsupported(&self) -> Option<String> {
        match self.c.const_int() {
            // The segment width is in bits 8..12; the clamp lane in bits
            // 0..4 must be the usual one for the kind.
            Some(c) if c & 0x1f == self.usual_clamp() => None,
            _ => Some(format!(
                "the shuffle's clamp operand '{}' is not the constant CUDA's __shfl_*_sync passes",
                self.c.short()
            )),
        }
    }

    fn usual_clamp(&self) -> i64 {
        if self.kind == ShuffleKind::Up {
            0
        } else {
            0x1f
        }
    }

    /// Forward mode: the tangent moves like the value.
    pub fn tangent(
        &self,
        b: &Builder,
        inst: Value,
        dv: Value,
        primal: &dyn Fn(Value) -> Value,
    ) -> Value {
        let f = inst.called_function().expect("shuffle callee");
        b.call_fn(
            f,
            &[primal(self.mask), dv, primal(self.offset), primal(self.c)],
        )
    }

    /// Reverse mode: the adjoint `d` of the result, sent back to the lanes
    /// the values came from. A butterfly is its own inverse; the reverse of
    /// a shift down by `k` is a shift up by `k`, where a lane whose source
    /// was out of range kept its own value (and keeps its own adjoint).
    pub fn adjoint(&self, b: &Builder, d: Value, primal: &mut dyn FnMut(Value) -> Value) -> Value {
        let m = b.module();
        let f32t = d.ty();
        let mask = primal(self.mask);
        let k = primal(self.offset);
        let c = primal(self.c);
        let i32t = Type::int(m.context(), 32);
        if self.kind == ShuffleKind::Idx {
            return self.broadcast_adjoint(b, mask, d, k);
        }
        if self.kind == ShuffleKind::Bfly {
            let f = m
                .intrinsic("llvm.nvvm.shfl.sync.bfly.f32", &[])
                .expect("shfl intrinsic");
            return b.call_fn(f, &[mask, d, k, c]);
        }
        // Down by k: lane i received lane i+k's value when that lane exists
        // in its segment (predicate of the down shuffle), else its own.
        // Reverse: lane i gets the adjoint of lane i-k when lane i-k
        // received from it (predicate of the up shuffle), plus its own when
        // it kept its own value. Up by k is the mirror image.
        let (there, back) = match self.kind {
            ShuffleKind::Down => ("down", "up"),
            _ => ("up", "down"),
        };
        let seg = b.and_int(c, b.const_int(i32t, 0x1f00));
        let c_there = c;
        let c_back = if back == "up" {
            seg
        } else {
            b.or_int(seg, b.const_int(i32t, 0x1f))
        };
        let fthere = m
            .intrinsic(&format!("llvm.nvvm.shfl.sync.{there}.f32p"), &[])
            .expect("shfl intrinsic");
        let fback = m
            .intrinsic(&format!("llvm.nvvm.shfl.sync.{back}.f32p"), &[])
            .expect("shfl intrinsic");
        let zero = b.zero(f32t);
        let moved = b.call_fn(fthere, &[mask, zero, k, c_there]);
        let kept_own = b.not(b.extract_value(moved, 1));
        let got = b.call_fn(fback, &[mask, d, k, c_back]);
        let from_other = b.select(b.extract_value(got, 1), b.extract_value(got, 0), zero);
        let own = b.select(kept_own, d, zero);
        b.fadd_acc(from_other, own)
    }
}

impl Shuffle {
    /// Reverse of `__shfl_sync(mask, v, sel)`: lane i read lane src(i), so
    /// lane l's adjoint is the sum of the adjoints of the lanes that read it.
    /// Every lane's (adjoint, source) pair is broadcast in turn (32 rounds of
    /// two shuffles) and each lane adds those aimed at it.
    fn broadcast_adjoint(&self, b: &Builder, mask: Value, d: Value, sel: Value) -> Value {
        let m = b.module();
        let i32t = Type::int(m.context(), 32);
        let c = self.c.const_int().unwrap_or(0x1f);
        let seg = (c >> 8) & 0x1f;
        let lane = b.call_fn(
            m.intrinsic("llvm.nvvm.read.ptx.sreg.laneid", &[])
                .expect("laneid"),
            &[],
        );
        let probe = m
            .intrinsic("llvm.nvvm.shfl.sync.idx.f32p", &[])
            .expect("shfl intrinsic");
        let cv = b.const_int(i32t, c);
        let valid = b.extract_value(b.call_fn(probe, &[mask, b.zero(d.ty()), sel, cv]), 1);
        // PTX: the source is minLane | (sel & ~segmask) when in range.
        let src = b.or_int(
            b.and_int(lane, b.const_int(i32t, seg)),
            b.and_int(sel, b.const_int(i32t, !seg & 0x1f)),
        );
        let src = b.select(valid, src, lane);
        let fd = m
            .intrinsic("llvm.nvvm.shfl.sync.idx.f32", &[])
            .expect("shfl intrinsic");
        let fi = m
            .intrinsic("llvm.nvvm.shfl.sync.idx.i32", &[])
            .expect("shfl intrinsic");
        let full = b.const_int(i32t, 0x1f);
        let mut acc = b.zero(d.ty());
        for l in 0..32 {
            let l = b.const_int(i32t, l);
            let dl = b.call_fn(fd, &[mask, d, l, full]);
            let sl = b.call_fn(fi, &[mask, src, l, full]);
            let mine = b.icmp(ferment_ir::IntPredicate::LLVMIntEQ, sl, lane);
            acc = b.fadd_acc(acc, b.select(mine, dl, b.zero(d.ty())));
        }
        acc
    }
}
