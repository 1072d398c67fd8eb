//! Replaces an `__enzyme_*` call with a call of the generated derivative,
//! converting arguments to the parameter types (varargs promote `float` to
//! `double`) and the results to what the call's declaration returns: one
//! scalar, a struct of scalars, ABI-coerced forms such as `<2 x float>` (by
//! storing the natural C layout and reloading it as the call's type), or a
//! hidden `sret` pointer.

use super::request::{Activity, Mode, Request};
use crate::error::{Error, Result};
use ferment_ir::{Builder, Module, Opcode, Type, Value};

/// Converts `v` to `ty` where C's rules allow it.
fn convert(b: &Builder, v: Value, ty: Type, call: Value, what: &str) -> Result<Value> {
    let from = v.ty();
    if from == ty {
        return Ok(v);
    }
    if from.is_fp_like() && ty.is_fp_like() && from.is_vector() == ty.is_vector() {
        return Ok(b.fp_convert(v, ty));
    }
    if from.is_integer() && ty.is_integer() {
        return Ok(b.int_cast(v, ty, true));
    }
    if from.is_pointer() && ty.is_integer() {
        return Ok(b.ptr_to_int(v, ty));
    }
    if from.is_integer() && ty.is_pointer() {
        return Ok(b.int_to_ptr(v, ty));
    }
    if from.is_pointer() && ty.is_pointer() {
        return Ok(v);
    }
    if from.is_integer() && ty.is_fp_like() {
        return Ok(b.sitofp(v, ty));
    }
    Err(Error::at(
        call,
        format!(
            "{what}: the call passes {} where {} is expected",
            from.describe(),
            ty.describe()
        ),
    )
    .hint("declare the __enzyme_* prototype with matching parameter types"))
}

/// Lowers `req.call` to a call of `derivative`.
pub fn lower_call(module: Module, req: &Request, derivative: Value) -> Result<()> {
    let call = req.call;
    let b = Builder::new(module);
    b.before(call);
    b.set_debug_loc_from(call);
    let dparams = derivative.global_value_type().fn_params();
    let fparams = req.function.global_value_type().fn_params();
    let mut args = Vec::new();
    for (i, spec) in req.args.iter().enumerate() {
        let what = format!("parameter {} of '{}'", i + 1, req.function.name());
        args.push(convert(&b, spec.primal, fparams[i], call, &what)?);
    }
    for (i, spec) in req.args.iter().enumerate() {
        if let Some(s) = spec.shadow {
            let what = format!("shadow of parameter {} of '{}'", i + 1, req.function.name());
            args.push(convert(&b, s, fparams[i], call, &what)?);
        }
    }
    if args.len() < dparams.len() && req.mode == Mode::Reverse {
        // The seed of the active return value.
        let t = dparams[args.len()];
        args.push(b.const_real(t, 1.0));
    }
    if args.len() != dparams.len() {
        return Err(Error::at(
            call,
            "internal error: derivative signature mismatch",
        ));
    }
    let result = b.call_fn(derivative, &args);
    let out_ty = result.ty();
    let outputs: Vec<Value> = if out_ty.is_struct() {
        (0..out_ty.struct_fields().len() as u32)
            .map(|i| b.extract_value(result, i))
            .collect()
    } else if out_ty.is_void() {
        Vec::new()
    } else {
        vec![result]
    };
    let replacement = fit_results(module, &b, req, &outputs)?;
    if let Some(r) = replacement {
        call.replace_all_uses_with(r);
    }
    finish_replacement(&b, call);
    remove_dead_markers(req);
    let _ = Activity::Const;
    Ok(())
}

/// Erases the call; an `invoke` becomes a branch to its normal destination.
fn finish_replacement(b: &Builder, call: Value) {
    if call.is_invoke() {
        if let Some(normal) = call.successors().first() {
            b.before(call);
            b.br(*normal);
        }
    }
    if call.has_uses() {
        call.replace_all_uses_with(b.poison(call.ty()));
    }
    call.erase();
}

/// Offsets of `tys` laid out as a C struct, and the struct's size.
fn c_layout(module: Module, tys: &[Type]) -> (Vec<u64>, u64, u32) {
    let mut offsets = Vec::new();
    let mut off = 0u64;
    let mut max_align = 1u32;
    for t in tys {
        let align = module.abi_align(*t).max(1);
        max_align = max_align.max(align);
        off = off.div_ceil(align as u64) * align as u64;
        offsets.push(off);
        off += module.alloc_size(*t);
    }
    let size = off.div_ceil(max_align as u64) * max_align as u64;
    (offsets, size, max_align)
}

/// Maps the derivative's outputs to the value the call returns (or stores
/// them through its `sret` pointer).
fn fit_results(
    module: Module,
    b: &Builder,
    req: &Request,
    outputs: &[Value],
) -> Result<Option<Value>> {
    let call = req.call;
    let ret_ty = call.ty();
    if let Some(sret) = req.sret {
        let tys: Vec<Type> = outputs.iter().map(|o| o.ty()).collect();
        let (offsets, _, _) = c_layout(module, &tys);
        for (o, off) in outputs.iter().zip(offsets) {
            let p = b.gep_i8(sret, off);
            b.store(*o, p);
        }
        return Ok(None);
    }
    if ret_ty.is_void() {
        return Ok(None);
    }
    if outputs.is_empty() {
        return Ok(Some(b.zero(ret_ty)));
    }
    if outputs.len() == 1
        && !ret_ty.is_struct()
        && !ret_ty.is_array()
        && !(ret_ty.is_vector() && !outputs[0].ty().is_vector())
    {
        return convert(b, outputs[0], ret_ty, call, "result").map(Some);
    }
    if ret_ty.is_struct() {
        let fields = ret_ty.struct_fields();
        if fields.len() == outputs.len()
            && fields
                .iter()
                .zip(outputs)
                .all(|(f, o)| f.is_fp_like() == o.ty().is_fp_like() && !f.is_struct())
        {
            let mut agg = b.undef(ret_ty);
            for (i, (f, o)) in fields.iter().zip(outputs).enumerate() {
                let v = convert(b, *o, *f, call, "result")?;
                agg = b.insert_value(agg, v, i as u32);
            }
            return Ok(Some(agg));
        }
    }
    // ABI-coerced return (e.g. `{float, float}` returned as `<2 x float>`):
    // store the natural C layout and reload it as the call's type.
    let tys: Vec<Type> = outputs.iter().map(|o| o.ty()).collect();
    let (offsets, size, align) = c_layout(module, &tys);
    let bytes = size.max(module.alloc_size(ret_ty));
    let i8t = b.i8();
    let entry = call.function_of().entry_block();
    let eb = Builder::new(module);
    match entry.first_instruction() {
        Some(i) => eb.before(i),
        None => eb.at_end(entry),
    }
    let slot = eb.alloca(Type::array(i8t, bytes), "ferment.results");
    eb.set_alignment(slot, align.max(module.abi_align(ret_ty)));
    b.store(b.zero(Type::array(i8t, bytes)), slot);
    for (o, off) in outputs.iter().zip(offsets) {
        let p = b.gep_i8(slot, off);
        b.store(*o, p);
    }
    Ok(Some(b.load(ret_ty, slot)))
}

/// Erases marker loads that no longer have users.
fn remove_dead_markers(req: &Request) {
    erase_dead_marker_loads(req.markers.iter().copied());
}

/// Erases each distinct marker load once it has no users (at -O2 one load
/// of `enzyme_const` may feed several arguments).
fn erase_dead_marker_loads(markers: impl Iterator<Item = Value>) {
    let mut seen: Vec<Value> = Vec::new();
    for m in markers {
        if seen.contains(&m) {
            continue;
        }
        seen.push(m);
        if m.is_instruction() && m.opcode() == Opcode::LLVMLoad && !m.has_uses() {
            m.erase();
        }
    }
}

/// Replaces a failed request with a trap, so no wrong value can be used.
pub fn replace_with_trap(module: Module, call: Value) {
    let b = Builder::new(module);
    b.before(call);
    b.intrinsic("llvm.trap", &[], &[]);
    // Marker loads feeding the call must go too, or the program fails to
    // link on an undefined `enzyme_*` symbol instead of reporting the error.
    let args = call.call_args();
    finish_replacement(&b, call);
    let markers: Vec<Value> = args
        .into_iter()
        .filter(|a| super::request::marker_name(*a).is_some())
        .collect();
    erase_dead_marker_loads(markers.into_iter());
}

/// Removes `__enzyme_*` declarations and `enzyme_*` marker globals that no
/// longer have users (unused declarations must not reach the object file at
/// -O0, where nothing else deletes them).
pub fn cleanup_declarations(module: Module) {
    for f in module.functions() {
        if f.is_declaration() && !f.has_uses() && super::request::entry_kind(&f.name()).is_some() {
            f.delete_function();
        }
    }
    for g in module.globals() {
        if !g.name().starts_with("enzyme_") || !g.is_declaration() {
            continue;
        }
        if !g.has_uses() {
            g.delete_global();
        } else {
            // Leftover references (rustc -O0 null-checks extern statics):
            // define the marker privately so nothing is left to link.
            g.define_private_zero();
        }
    }
}
