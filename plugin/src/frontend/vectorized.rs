//! `__enzyme_batch(f, enzyme_width, N, [enzyme_vector | enzyme_scalar] args...)`: the primal
//! function over N lanes. An argument marked `enzyme_scalar` is one value that every lane
//! shares; any other (`enzyme_vector`, the default) is followed by N values, one per lane.
//! `enzyme_buffer, STRIDE, p` is a pointer argument whose lane k is `p + k * STRIDE` bytes.
//! The call runs `f` once per lane and returns the N results as the aggregate (struct, array
//! or vector) the caller's prototype declares, or through its `sret` pointer.

use super::lower::{convert, erase_dead_marker_loads, finish_replacement, fit_call_results};
use super::request::{marker_name, trace_function_of, MAX_WIDTH};
use crate::error::{Error, Result};
use crate::shim;
use ferment_ir::{Builder, Module, Value};

/// Lowers one `__enzyme_batch` call.
pub fn lower(module: Module, call: Value) -> Result<()> {
    let mut args = call.call_args();
    let sret = (!args.is_empty() && shim::call_arg_is_sret(call, 0)).then(|| args.remove(0));
    let f = args
        .first()
        .and_then(|a| trace_function_of(*a))
        .ok_or_else(|| {
            Error::at(
                call,
                "the first argument of __enzyme_batch must be the function to run",
            )
        })?;
    let mut markers = Vec::new();
    let mut pos = 1;
    let width = match args.get(pos).and_then(|a| marker_name(*a)).as_deref() {
        Some("enzyme_width") => {
            markers.push(args[pos]);
            let w = args.get(pos + 1).and_then(|v| v.const_int());
            pos += 2;
            w.filter(|w| (1..=MAX_WIDTH).contains(w)).ok_or_else(|| {
                Error::at(
                    call,
                    format!(
                        "enzyme_width must be followed by a constant width from 1 to {MAX_WIDTH}"
                    ),
                )
            })? as usize
        }
        _ => {
            return Err(Error::at(
                call,
                "__enzyme_batch needs enzyme_width, N after the function",
            )
            .hint("__enzyme_batch(f, enzyme_width, 4, x1, x2, x3, x4)"))
        }
    };
    let fty = f.global_value_type();
    let params = fty.fn_params();
    // lanes[k][j]: lane k's value of parameter j.
    let mut lanes: Vec<Vec<Value>> = vec![Vec::new(); width];
    for (j, want) in params.iter().enumerate() {
        let mut scalar = false;
        let mut stride = None;
        match args.get(pos).and_then(|a| marker_name(*a)).as_deref() {
            Some("enzyme_scalar") => {
                markers.push(args[pos]);
                scalar = true;
                pos += 1;
            }
            Some("enzyme_vector") => {
                markers.push(args[pos]);
                pos += 1;
            }
            Some("enzyme_buffer") => {
                markers.push(args[pos]);
                let s = args.get(pos + 1).copied().filter(|v| v.ty().is_integer());
                let ok = s.is_some()
                    && want.is_pointer()
                    && args.get(pos + 2).is_some_and(|p| p.ty().is_pointer());
                if !ok {
                    return Err(Error::at(
                        call,
                        format!(
                            "__enzyme_batch: enzyme_buffer must be followed by an integer byte stride and one pointer, for a pointer parameter (parameter {} of '{}')",
                            j + 1,
                            f.name()
                        ),
                    )
                    .hint("enzyme_buffer, sizeof(lane), p: lane k gets p + k * sizeof(lane) bytes"));
                }
                stride = s;
                pos += 2;
            }
            Some(other) => {
                return Err(Error::at(
                    call,
                    format!("marker '{other}' is not understood in __enzyme_batch"),
                )
                .hint(
                    "each argument is enzyme_vector (N values, the default) or enzyme_scalar (one)",
                ))
            }
            None => {}
        }
        let count = if scalar || stride.is_some() { 1 } else { width };
        if pos + count > args.len() {
            return Err(Error::at(
                call,
                format!(
                    "__enzyme_batch: parameter {} of '{}' needs {count} value(s); the call has too few arguments",
                    j + 1,
                    f.name()
                ),
            ));
        }
        let b = Builder::new(module);
        b.before(call);
        for (k, lane) in lanes.iter_mut().enumerate() {
            let v = match stride {
                Some(s) => {
                    let off = b.mul_int(s, b.const_int(s.ty(), k as i64));
                    b.gep(b.i8(), args[pos], &[off])
                }
                None => args[pos + if scalar { 0 } else { k }],
            };
            lane.push(convert(&b, v, *want, call, "argument")?);
        }
        pos += count;
    }
    if pos != args.len() {
        return Err(Error::at(
            call,
            format!(
                "__enzyme_batch: '{}' takes {} parameter(s); the call has {} argument(s) too many",
                f.name(),
                params.len(),
                args.len() - pos
            ),
        ));
    }
    let b = Builder::new(module);
    b.before(call);
    b.set_debug_loc_from(call);
    let results: Vec<Value> = lanes.iter().map(|lane| b.call_fn(f, lane)).collect();
    let outputs: Vec<Value> = if fty.fn_return().is_void() {
        Vec::new()
    } else {
        results
    };
    let replacement = fit_call_results(module, &b, call, sret, &outputs)?;
    if let Some(r) = replacement {
        call.replace_all_uses_with(r);
    }
    finish_replacement(&b, call);
    erase_dead_marker_loads(markers.into_iter());
    Ok(())
}
