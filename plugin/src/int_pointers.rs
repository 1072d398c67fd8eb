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
//!
//! One loaded integer is a pointer, though: an integer as wide as a pointer
//! loaded from memory and turned back into a pointer (`inttoptr (load i64,
//! p)`) is a pointer moved through memory as an integer, as LLVM's
//! optimizer writes a moved `std::unique_ptr` (`load i64` from the old
//! buffer, `store i64` into the new one, `inttoptr` where it is used) when
//! it cannot forward the stored pointer. `load_pointers_as_pointers` makes
//! such a load a pointer load, its stores pointer stores, and its other
//! uses read it through `ptrtoint`, so the pointer carries its shadow: left
//! as integers, the pointer had none and what was read through it had no
//! derivative, silently (a zero derivative of a `std::vector` of
//! `unique_ptr`s to objects holding active values, grown after a branch).

use ferment_ir::{Builder, Opcode, Value};

/// How many operations an address computation may have.
const MAX_NODES: usize = 32;

/// Rewrites the loads of pointer-wide integers that `f` turns into pointers
/// as pointer loads (see the module's comment); returns how many.
pub fn load_pointers_as_pointers(f: Value) -> usize {
    let module = f.global_parent();
    let b = Builder::new(module);
    // The loads first: one load may have several `inttoptr`s.
    let mut loads: Vec<(Value, ferment_ir::Type)> = Vec::new();
    for inst in f.instructions() {
        if inst.opcode() != Opcode::LLVMIntToPtr {
            continue;
        }
        let load = inst.operand(0);
        if load.is_instruction()
            && load.opcode() == Opcode::LLVMLoad
            && !load.is_volatile_or_atomic()
            && load.ty().is_integer()
            && load.ty().int_width() == 64
            && !loads.iter().any(|(l, _)| *l == load)
        {
            loads.push((load, inst.ty()));
        }
    }
    for &(load, pty) in &loads {
        b.before(load);
        b.set_debug_loc_from(load);
        let pload = b.load_like(pty, load.operand(0), load);
        b.after(pload);
        let int = b.ptr_to_int(pload, load.ty());
        for u in load.users() {
            if u.opcode() == Opcode::LLVMIntToPtr && u.ty() == pty {
                u.replace_all_uses_with(pload);
                u.erase();
            } else if u.opcode() == Opcode::LLVMStore
                && u.operand(0) == load
                && u.operand(1) != load
                && !u.is_volatile_or_atomic()
            {
                b.before(u);
                b.set_debug_loc_from(u);
                b.store_like(pload, u.operand(1), u);
                u.erase();
            }
        }
        // The other integer uses read the pointer's address.
        load.replace_all_uses_with(int);
        load.erase();
        if int.users().is_empty() {
            int.erase();
        }
    }
    loads.len()
}

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
