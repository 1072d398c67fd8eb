//! Pointers made from integers computed from one pointer, rewritten as an
//! offset from that pointer in a canonical copy.
//!
//! Role: code that aligns a buffer by rounding its address as an integer,
//! `(double *)(((uintptr_t)raw + 63) & ~63)`, or strips low bits with
//! `llvm.ptrmask`, makes a pointer that LLVM's IR ties to no object, so the
//! analyses would find no shadow for it. When the integer is computed from
//! the address of exactly one pointer `p` and constants, by the arithmetic
//! of rounding (add, sub, and, or, shifts, multiplication, division and
//! remainder), the result is `p` moved by `int - (uintptr_t)p` bytes, and
//! it becomes `getelementptr i8, p, int - (uintptr_t)p`: the shadow is then
//! the shadow of `p` moved by the same number of bytes, the same offset
//! into an object of the same size. Anything else stays as it is (an error
//! where it carries a derivative): integers mixing two addresses, `xor`
//! (an XOR-linked list reaches other objects), or other integers such as a
//! loaded one, which may hold another object's address. Touches only the
//! copy it is given.

use ferment_ir::{Builder, Opcode, Value};

/// How many operations an address computation may have.
const MAX_NODES: usize = 32;

/// Rewrites the pointers made from one pointer's address in `f`; returns
/// how many it rewrote.
pub fn rebase_integer_pointers(f: Value) -> usize {
    let module = f.global_parent();
    let b = Builder::new(module);
    let mut count = 0;
    for inst in f.instructions() {
        let (int, base) = match inst.opcode() {
            Opcode::LLVMIntToPtr => {
                let int = inst.operand(0);
                let Some(p2i) = single_address_source(int) else {
                    continue;
                };
                (int, p2i)
            }
            Opcode::LLVMCall if is_ptrmask(inst) && inst.operand(1).const_int().is_some() => {
                // llvm.ptrmask(p, m): the address of p with bits cleared.
                let (p, mask) = (inst.operand(0), inst.operand(1));
                b.before(inst);
                b.set_debug_loc_from(inst);
                let p2i = b.ptr_to_int(p, mask.ty());
                let masked = b.and_int(p2i, mask);
                (masked, p2i)
            }
            _ => continue,
        };
        let p = base.operand(0);
        if p.ty() != inst.ty() || base.ty() != int.ty() {
            continue;
        }
        b.before(inst);
        b.set_debug_loc_from(inst);
        let offset = b.sub_int(int, base);
        let rebased = b.gep(b.i8(), p, &[offset]);
        inst.replace_all_uses_with(rebased);
        inst.erase();
        count += 1;
    }
    count
}

fn is_ptrmask(call: Value) -> bool {
    call.called_function()
        .is_some_and(|c| c.name().starts_with("llvm.ptrmask."))
}

/// The one `ptrtoint` whose address integer `v` is computed from (through
/// integer arithmetic and casts), if there is exactly one pointer involved.
fn single_address_source(v: Value) -> Option<Value> {
    let mut todo = vec![v];
    let mut seen = Vec::new();
    let mut source: Option<Value> = None;
    while let Some(x) = todo.pop() {
        if seen.contains(&x) {
            continue;
        }
        seen.push(x);
        if seen.len() > MAX_NODES {
            return None;
        }
        if !x.is_instruction() {
            // Plain integer constants only (a constant expression may hold
            // an address; an argument may be one).
            x.const_int()?;
            continue;
        }
        match x.opcode() {
            Opcode::LLVMPtrToInt => {
                let p = x.operand(0);
                match source {
                    Some(s) if s.operand(0) != p => return None,
                    Some(_) => {}
                    None => source = Some(x),
                }
            }
            Opcode::LLVMAdd
            | Opcode::LLVMSub
            | Opcode::LLVMAnd
            | Opcode::LLVMOr
            | Opcode::LLVMShl
            | Opcode::LLVMLShr
            | Opcode::LLVMAShr
            | Opcode::LLVMMul
            | Opcode::LLVMUDiv
            | Opcode::LLVMURem
            | Opcode::LLVMZExt
            | Opcode::LLVMSExt
            | Opcode::LLVMTrunc => todo.extend(x.operands()),
            // Any other integer (a load, a call, a phi) may hold an
            // address of another object.
            _ => return None,
        }
    }
    source
}
