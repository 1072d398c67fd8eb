//! Inline assembly idioms of numerical libraries, rewritten as IR in a
//! canonical copy.
//!
//! Role: Eigen's SSE/AVX code (on by default on x86-64) computes minima and
//! maxima with `minpd`/`maxpd` in inline assembly (a workaround for
//! compilers that reorder NaN operands) and keeps values from being
//! optimized away with empty assembly statements. The generators cannot
//! differentiate assembly, so the idioms whose meaning is certain become
//! the IR they stand for; any other inline assembly stays and is an error
//! where it touches a derivative.

use ferment_ir::{Builder, Opcode, RealPredicate, Value};
use llvm_sys::core::*;

/// Rewrites the known idioms in `f`; returns how many it rewrote.
pub fn lower_idioms(f: Value) -> usize {
    let module = f.global_parent();
    let mut count = 0;
    for inst in f.instructions() {
        if !inst.is_call() || inst.is_invoke() {
            continue;
        }
        let callee = inst.called_operand();
        if unsafe { LLVMIsAInlineAsm(callee.0).is_null() } {
            continue;
        }
        let (text, constraints) = asm_strings(callee);
        // One instruction `OP operands`: what its two- and three-operand
        // forms are, if they are known.
        let ins = instruction(&text);
        let form = |operands: &str| ins.as_ref().filter(|(_, o)| o == operands).map(|(m, _)| *m);
        let min_max2 = form("$1,$0").and_then(min_max);
        let min_max3 = form("$1,$2,$0")
            .and_then(|m| m.strip_prefix('v'))
            .and_then(min_max);
        let fma231 = form("$1,$2,$0").is_some_and(|m| {
            matches!(
                m,
                "vfmadd231pd" | "vfmadd231ps" | "vfmadd231sd" | "vfmadd231ss"
            )
        });
        let args = inst.call_args();
        let b = Builder::new(module);
        b.before(inst);
        b.set_debug_loc_from(inst);
        let replacement = match (text.as_str(), constraints.as_slice()) {
            // An optimization barrier: the value passes through unchanged.
            ("", [out, tied]) if is_output(out) && tied == "0" && args.len() == 1 => Some(args[0]),
            // The same, through memory: the value is stored to the output.
            ("", [out, tied])
                if out.starts_with("=*")
                    && tied == "0"
                    && args.len() == 2
                    && inst.ty().is_void() =>
            {
                b.store(args[1], args[0]);
                None
            }
            // An assembly comment (Eigen marks its kernels so): no effect.
            (t, []) if t.starts_with('#') && !t.contains('\n') && inst.ty().is_void() => None,
            // A barrier on inputs only (no outputs): nothing to compute.
            ("", cs) if inst.ty().is_void() && cs.iter().all(|c| !c.starts_with('=')) => None,
            // `min/max{pd,ps,sd,ss} $1, $0` with $0 tied to the second
            // input: $0 = ($0 <op> $1) ? $0 : $1 (the second operand when
            // either is NaN, as the instruction does).
            (_, [out, src, tied])
                if is_output(out)
                    && !src.starts_with('=')
                    && tied == "0"
                    && args.len() == 2
                    && min_max2.is_some() =>
            {
                let pred = min_max2.unwrap_or(RealPredicate::LLVMRealOLT);
                let (dst, src) = (args[1], args[0]);
                let c = b.fcmp(pred, dst, src);
                Some(b.select(c, dst, src))
            }
            // AVX three-operand forms: `vmin/vmax{pd,ps} $1, $2, $0` is
            // $0 = ($2 <op> $1) ? $2 : $1.
            (_, [out, a, c])
                if is_output(out)
                    && !a.starts_with('=')
                    && !c.starts_with('=')
                    && args.len() == 2
                    && min_max3.is_some() =>
            {
                let pred = min_max3.unwrap_or(RealPredicate::LLVMRealOLT);
                let cond = b.fcmp(pred, args[1], args[0]);
                Some(b.select(cond, args[1], args[0]))
            }
            // `vfmadd231{pd,ps,sd,ss} $1, $2, $0` with $0 tied: $0 = $2 * $1 + $0.
            (_, [out, a, c, tied])
                if is_output(out)
                    && !a.starts_with('=')
                    && !c.starts_with('=')
                    && tied == "0"
                    && args.len() == 3
                    && fma231 =>
            {
                Some(b.intrinsic("llvm.fma", &[inst.ty()], &[args[1], args[0], args[2]]))
            }
            _ => continue,
        };
        if let Some(r) = replacement {
            if r.ty() != inst.ty() {
                continue;
            }
            inst.replace_all_uses_with(r);
        }
        inst.erase();
        count += 1;
    }
    count
}

/// A direct output constraint (`=x`, `=r`, ...).
fn is_output(c: &str) -> bool {
    c.starts_with('=') && !c.starts_with("=*")
}

/// An instruction's mnemonic and its operands without spaces
/// (`"minpd $1, $0"` is `("minpd", "$1,$0")`; `${1}` is `$1`).
fn instruction(text: &str) -> Option<(&str, String)> {
    let (op, operands) = text.split_once(char::is_whitespace)?;
    let operands = operands
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '{' && *c != '}')
        .collect();
    Some((op, operands))
}

/// The comparison an SSE `min*`/`max*` instruction makes of its
/// destination with its source.
fn min_max(op: &str) -> Option<RealPredicate> {
    match op {
        "minpd" | "minps" | "minsd" | "minss" => Some(RealPredicate::LLVMRealOLT),
        "maxpd" | "maxps" | "maxsd" | "maxss" => Some(RealPredicate::LLVMRealOGT),
        _ => None,
    }
}

/// The assembly text (trimmed) and the operand constraints (clobbers
/// dropped) of an inline-asm value.
fn asm_strings(asm: Value) -> (String, Vec<String>) {
    let read = |p: *const std::os::raw::c_char, n: usize| {
        if p.is_null() {
            String::new()
        } else {
            let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), n) };
            String::from_utf8_lossy(bytes).into_owned()
        }
    };
    let mut n = 0usize;
    let text = read(unsafe { LLVMGetInlineAsmAsmString(asm.0, &mut n) }, n);
    let mut m = 0usize;
    let cons = read(
        unsafe { LLVMGetInlineAsmConstraintString(asm.0, &mut m) },
        m,
    );
    let constraints = cons
        .split(',')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty() && !c.starts_with('~'))
        .collect();
    (text.trim().to_string(), constraints)
}

/// Magic-number rounding: `(a + C) - C` with `C` at least 2^51 (2^22 for
/// `float`) rounds `a` to a multiple of the spacing of numbers near `C`
/// (vectorized `exp`, `floor` and `round` in Eigen and fast math libraries,
/// often behind an optimization barrier). As a function of `a` it is a
/// staircase: its derivative is zero, while differentiating the two
/// additions would give one (and, e.g., cancel the whole derivative of
/// Eigen's `exp`). The result goes through `__enzyme_ignore_derivatives`
/// in the canonical copy; returns how many were marked.
pub fn mark_magic_rounding(f: Value) -> usize {
    let module = f.global_parent();
    let b = Builder::new(module);
    let mut count = 0;
    for inst in f.instructions() {
        let op = inst.opcode();
        if op != Opcode::LLVMFSub && op != Opcode::LLVMFAdd {
            continue;
        }
        let (sum, c) = (inst.operand(0), inst.operand(1));
        let Some(c) = c.splat_float() else {
            continue;
        };
        if !sum.is_instruction() || sum.opcode() != Opcode::LLVMFAdd {
            continue;
        }
        let added = [sum.operand(0), sum.operand(1)]
            .iter()
            .find_map(|v| v.splat_float());
        let Some(added) = added else {
            continue;
        };
        let big = if module.alloc_size(inst.ty().scalar()) == 4 {
            (1u64 << 22) as f64
        } else {
            (1u64 << 51) as f64
        };
        let undoes = if op == Opcode::LLVMFSub {
            c == added
        } else {
            c == -added
        };
        if !undoes || added.abs() < big || !added.is_finite() {
            continue;
        }
        let ty = inst.ty();
        let tag: String = ty
            .describe()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let name = format!("__enzyme_ignore_derivatives.ferment.{tag}");
        let ignore = crate::reverse::tape::declare(module, &name, ty, &[ty]);
        b.after(inst);
        let marked = b.call_fn(ignore, &[inst]);
        inst.replace_all_uses_with(marked);
        marked.set_operand(0, inst);
        count += 1;
    }
    count
}

/// x86 vector minima and maxima (`llvm.x86.sse2.min.pd`,
/// `llvm.x86.avx512.max.ps.512`...) become compare-and-select, and
/// x86 horizontal additions and subtractions (`llvm.x86.sse3.hadd.pd`,
/// `llvm.x86.avx.hsub.ps.256`...; Eigen reduces packets with them under
/// `-mavx`): per 128-bit lane, the sums (differences) of adjacent pairs of
/// the first operand, then of the second. Rewritten as two shuffles and one
/// vector operation, which the generators differentiate. Returns how many.
/// A floating-point `llvm.vector.reduce.OP` of a fixed-length vector as a
/// chain over its lanes, in lane order (the LLVM vectorizers make them from
/// `fmax` loops and fast-math sums; `__builtin_reduce_max` too): `fadd` and
/// `fmul` from the start value (the order of an ordered reduction; any order
/// is allowed with `reassoc`), `fmax`/`fmin` as `maxnum`/`minnum` (which
/// become selects), `fmaximum`/`fminimum` as `maximum`/`minimum`. The
/// derivative then follows the lanes' own rules. `None` for other reductions
/// (integers) and scalable vectors.
fn scalar_reduction(b: &Builder, inst: Value, op: &str) -> Option<Value> {
    let args = inst.call_args();
    let vec = *args.last()?;
    let ty = vec.ty();
    if ty.kind() != ferment_ir::TypeKind::LLVMVectorTypeKind || !ty.element_type().is_fp_like() {
        return None;
    }
    let chain = match op {
        "fadd" | "fmul" if args.len() == 2 => None,
        "fmax" => Some("llvm.maxnum"),
        "fmin" => Some("llvm.minnum"),
        "fmaximum" => Some("llvm.maximum"),
        "fminimum" => Some("llvm.minimum"),
        _ => return None,
    };
    if chain.is_some() && args.len() != 1 {
        return None;
    }
    b.before(inst);
    b.set_debug_loc_from(inst);
    let i32t = b.i32();
    let lanes: Vec<Value> = (0..ty.vector_len())
        .map(|i| b.extract_element(vec, b.const_int(i32t, i64::from(i))))
        .collect();
    let elem = ty.element_type();
    let r = match chain {
        None => lanes.into_iter().fold(args[0], |acc, x| {
            if op == "fadd" {
                b.fadd(acc, x)
            } else {
                b.fmul(acc, x)
            }
        }),
        Some(f) => {
            let mut it = lanes.into_iter();
            let first = it.next()?;
            it.fold(first, |acc, x| b.intrinsic(f, &[elem], &[acc, x]))
        }
    };
    Some(r)
}

pub fn lower_horizontal_ops(f: Value) -> usize {
    let module = f.global_parent();
    let b = Builder::new(module);
    let mut count = 0;
    for inst in f.instructions() {
        if !inst.is_call() {
            continue;
        }
        let Some(name) = inst.called_function().map(|c| c.name()) else {
            continue;
        };
        if let Some(op) = name.strip_prefix("llvm.vector.reduce.") {
            if let Some(r) = scalar_reduction(&b, inst, op.split('.').next().unwrap_or("")) {
                inst.replace_all_uses_with(r);
                inst.erase();
                count += 1;
            }
            continue;
        }
        let Some(rest) = [
            "llvm.x86.sse3.",
            "llvm.x86.sse2.",
            "llvm.x86.sse.",
            "llvm.x86.avx.",
            "llvm.x86.sse41.",
        ]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .or_else(|| {
            name.strip_prefix("llvm.x86.")
                .filter(|r| r.starts_with("avx512."))
        }) else {
            continue;
        };
        let args = inst.call_args();
        let min_max = rest
            .strip_prefix("avx512.")
            .unwrap_or(rest)
            .split('.')
            .next()
            .and_then(|op| match op {
                "min" => Some(RealPredicate::LLVMRealOLT),
                "max" => Some(RealPredicate::LLVMRealOGT),
                _ => None,
            });
        if let Some(pred) = min_max {
            // min/max{ps,pd} (AVX-512's with a rounding operand): the first
            // operand where it compares so with the second, else the second.
            let ty = inst.ty();
            if args.len() >= 2 && args[0].ty() == ty && args[1].ty() == ty && ty.is_fp_like() {
                b.before(inst);
                b.set_debug_loc_from(inst);
                let c = b.fcmp(pred, args[0], args[1]);
                let r = b.select(c, args[0], args[1]);
                inst.replace_all_uses_with(r);
                inst.erase();
                count += 1;
            }
            continue;
        }
        // round{pd,ps}(x, imm) (SSE4.1/AVX): floor, ceil, trunc or nearest
        // by the immediate's low bits (bit 2: the current rounding mode).
        if rest.starts_with("round.p") || rest.starts_with("sse41.round.p") {
            let ty = inst.ty();
            let Some(imm) = args.get(1).and_then(|a| a.const_int()) else {
                continue;
            };
            let which = if imm & 4 != 0 {
                "llvm.rint"
            } else {
                ["llvm.roundeven", "llvm.floor", "llvm.ceil", "llvm.trunc"][(imm & 3) as usize]
            };
            if args[0].ty() != ty || !ty.is_fp_like() {
                continue;
            }
            b.before(inst);
            let r = b.intrinsic(which, &[ty], &[args[0]]);
            inst.replace_all_uses_with(r);
            inst.erase();
            count += 1;
            continue;
        }
        let sub = rest.starts_with("hsub.");
        if !sub && !rest.starts_with("hadd.") {
            continue;
        }
        let ty = inst.ty();
        if args.len() != 2 || !ty.is_vector() || args[0].ty() != ty || args[1].ty() != ty {
            continue;
        }
        let n = ty.vector_len() as i32;
        let lane = (16 / module.alloc_size(ty.scalar())) as i32; // elements per 128 bits
        if lane < 2 || n % lane != 0 {
            continue;
        }
        let (mut evens, mut odds) = (Vec::new(), Vec::new());
        for k in 0..n / lane {
            for from in [0, n] {
                for j in 0..lane / 2 {
                    let i = from + k * lane + 2 * j;
                    evens.push(i);
                    odds.push(i + 1);
                }
            }
        }
        b.before(inst);
        b.set_debug_loc_from(inst);
        let e = b.shuffle(args[0], args[1], b.const_mask(&evens));
        let o = b.shuffle(args[0], args[1], b.const_mask(&odds));
        let r = if sub { b.fsub(e, o) } else { b.fadd(e, o) };
        inst.replace_all_uses_with(r);
        inst.erase();
        count += 1;
    }
    count
}
