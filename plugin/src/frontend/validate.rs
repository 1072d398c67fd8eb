//! Up-front checks that every active construct of a function can be
//! differentiated, so a generator never emits a silently wrong derivative:
//! anything unsupported is a located error naming the construct.

use crate::error::{Error, Result};
use crate::rules;
use ferment_activity_analysis::Activity;
use ferment_ir::{Block, Opcode, Value};

/// Checks `blocks` (the reachable blocks of a function) under `activity`.
/// `differentiable_call` says whether the generator differentiates a call by
/// calling the callee's derivative.
pub fn check_function(
    blocks: &[Block],
    activity: &Activity,
    differentiable_call: &dyn Fn(Value) -> bool,
) -> Result<()> {
    for &blk in blocks {
        for inst in blk.instructions() {
            if crate::context::is_runtime_call(inst) {
                // The derivatives of a context's shadows live in a second
                // context (`shadow.rs`, `context::tangent_twin`).
                continue;
            }
            if activity.context_globals() && is_thread_fork(inst) {
                return Err(Error::at(
                    inst,
                    "an OpenMP parallel region in a derivative called with enzyme_context is not supported (its threads would not see the context)",
                )
                .hint("call the derivative without enzyme_context, or without the parallel region"));
            }
            if inst.is_call() && differentiable_call(inst) {
                continue;
            }
            // Every MPI call matters (the matching call on another rank
            // may carry derivatives), active here or not.
            if rules::mpi::mpi_name(inst).is_some() {
                rules::mpi::check(inst)?;
                continue;
            }
            check_instruction(inst, activity)?;
        }
    }
    Ok(())
}

/// Whether `inst` starts threads (an OpenMP fork, as the canonical copy
/// has it or as clang emits it).
fn is_thread_fork(inst: Value) -> bool {
    inst.is_call()
        && (crate::openmp::is_fork(inst) || {
            let callee = inst.called_operand().strip_casts();
            callee.is_function() && callee.name().starts_with("__kmpc_fork")
        })
}

fn varied_operand(inst: Value, activity: &Activity) -> Option<Value> {
    let ops = if inst.is_call() {
        inst.call_args()
    } else {
        inst.operands()
    };
    ops.into_iter()
        .find(|o| activity.is_varied(*o) || activity.is_shadowed(*o))
}

fn check_instruction(inst: Value, activity: &Activity) -> Result<()> {
    let op = inst.opcode();
    let active = activity.is_active(inst);
    let Some(varied) = varied_operand(inst, activity) else {
        return Ok(());
    };
    match op {
        Opcode::LLVMFAdd
        | Opcode::LLVMFSub
        | Opcode::LLVMFMul
        | Opcode::LLVMFDiv
        | Opcode::LLVMFNeg
        | Opcode::LLVMFRem
        | Opcode::LLVMFreeze
        | Opcode::LLVMFPExt
        | Opcode::LLVMFPTrunc
        | Opcode::LLVMSelect
        | Opcode::LLVMPHI
        | Opcode::LLVMExtractValue
        | Opcode::LLVMInsertValue
        | Opcode::LLVMExtractElement
        | Opcode::LLVMInsertElement
        | Opcode::LLVMShuffleVector
        | Opcode::LLVMLoad
        | Opcode::LLVMGetElementPtr
        | Opcode::LLVMAddrSpaceCast => Ok(()),
        // Derivative-free uses of an active value.
        Opcode::LLVMFCmp
        | Opcode::LLVMICmp
        | Opcode::LLVMFPToSI
        | Opcode::LLVMFPToUI
        | Opcode::LLVMRet
        | Opcode::LLVMBr
        | Opcode::LLVMSwitch => Ok(()),
        Opcode::LLVMPtrToInt if !activity.is_varied(inst.operand(0)) => Ok(()),
        // `atomicAdd(p, v)` whose returned old value carries no derivative.
        Opcode::LLVMAtomicRMW if ferment_activity_analysis::float_accumulation(inst).is_some() => {
            if active {
                return Err(Error::at(inst, format!("cannot differentiate the value returned by the atomic update '{}' (the memory's old contents, which depend on the order the threads ran in)", inst.describe()))
                    .hint("ignore the result of atomicAdd on active data, or read the accumulator after a barrier"));
            }
            Ok(())
        }
        Opcode::LLVMCall if crate::gpu::Shuffle::of(inst).is_some() => Ok(()),
        Opcode::LLVMCall | Opcode::LLVMInvoke => check_call(inst, activity, active, varied),
        Opcode::LLVMStore => check_store(inst, activity),
        Opcode::LLVMBitCast | Opcode::LLVMPtrToInt if !inst.ty().contains_float() => {
            match bits_reaching_float(inst) {
                None => Ok(()),
                Some(user) if crate::openmp::is_fork(user) => Err(crate::openmp::captured_by_value(user)),
                Some(user) if user.opcode() == Opcode::LLVMAtomicCmpXchg => Err(Error::at(
                    inst,
                    format!(
                        "cannot differentiate an atomic update of an active floating-point variable other than x += v / x -= v: '{}' exchanges its bits in a compare-and-swap loop (omp atomic x *= v, x = x > v ? x : v, a C11 _Atomic double updated by *=, /=, or through atomic_compare_exchange)",
                        user.describe()
                    ),
                )
                .hint("put the update in an omp critical section (or between omp_set_lock / omp_unset_lock), or write it as x += v")),
                Some(user) => Err(Error::at(
                    inst,
                    format!(
                        "cannot differentiate through '{}': it reinterprets an active floating-point value as bits, and '{}' turns those bits back into a float with no integer arithmetic that makes a new number in between (a sign, exponent or last-place trick whose derivative is not zero)",
                        inst.describe(),
                        user.describe()
                    ),
                )
                .hint("use fabs/copysign/ldexp/nextafter instead of manipulating the bits of an active value")),
            }
        }
        Opcode::LLVMBitCast => Ok(()),
        // omp atomic x += v / x -= v on a scalar float whose old value is
        // not used.
        Opcode::LLVMAtomicRMW
            if inst.atomic_float_add_sign().is_some()
                && !inst.ty().is_vector()
                && !active
                && activity.is_shadowed(inst.operand(0)) =>
        {
            Ok(())
        }
        _ if !active && !inst.ty().contains_float() && !inst.ty().is_pointer() => Ok(()),
        _ => Err(Error::at(inst, format!("cannot differentiate instruction '{}' yet", inst.describe()))
            .hint("rewrite this operation with floating-point arithmetic or a libm function")),
    }
}

/// The bits of an active float (`bits`, an integer reinterpretation) carry
/// no derivative once integer arithmetic has made a new number of them, as
/// in the fast inverse square root's `K - (i >> 1)`: that initial guess is a
/// constant for differentiation, like Enzyme's. Bits that reach a float
/// again unchanged, or through masks only (`& 0x7fff...`, `^ sign`), are the
/// same number up to its sign or exponent: dropping their derivative would be
/// wrong, and so would be adding a multiple of the lowest exponent bit
/// (`i + (1 << 52)` doubles a double) or a few units in the last place
/// (`i + 1`: the next number, as Fortran's inlined NEAREST computes it). Returns the first such use (or a use
/// ferment cannot follow).
fn bits_reaching_float(bits: Value) -> Option<Value> {
    let mantissa_bits = match bits.operand(0).ty().scalar().float_bits() {
        16 => 10,
        32 => 23,
        _ => 52,
    };
    let exponent_step = |v: Value| {
        v.const_int()
            .is_some_and(|k| k != 0 && k.trailing_zeros() >= mantissa_bits)
    };
    // A few units in the last place (Fortran's NEAREST, nextafter written
    // with bits): the neighbouring number, whose derivative is 1, not 0.
    let small = |v: Value| {
        v.const_int()
            .is_some_and(|k| k != 0 && k.unsigned_abs() <= 16)
    };
    let last_place_step = |v: Value| {
        small(v)
            || (v.is_instruction()
                && v.opcode() == Opcode::LLVMSelect
                && small(v.operand(1))
                && small(v.operand(2)))
    };
    let mut work = vec![bits];
    let mut seen = hashbrown::HashSet::new();
    while let Some(v) = work.pop() {
        if !seen.insert(v) {
            continue;
        }
        for user in v.users() {
            if !user.is_instruction() {
                return Some(user);
            }
            match user.opcode() {
                // A power-of-two scaling in disguise: follow it.
                Opcode::LLVMAdd | Opcode::LLVMSub
                    if exponent_step(user.operand(0)) || exponent_step(user.operand(1)) =>
                {
                    work.push(user)
                }
                // A step of a few units in the last place: follow it.
                Opcode::LLVMAdd | Opcode::LLVMSub
                    if (user.operand(0) == v && last_place_step(user.operand(1)))
                        || (user.operand(1) == v && last_place_step(user.operand(0))) =>
                {
                    work.push(user)
                }
                // A new number: its derivative with respect to the float is
                // not defined by the bits (shifts, offsets, products, ...).
                Opcode::LLVMAdd
                | Opcode::LLVMSub
                | Opcode::LLVMMul
                | Opcode::LLVMShl
                | Opcode::LLVMLShr
                | Opcode::LLVMAShr
                | Opcode::LLVMUDiv
                | Opcode::LLVMSDiv
                | Opcode::LLVMURem
                | Opcode::LLVMSRem
                | Opcode::LLVMTrunc
                | Opcode::LLVMICmp
                | Opcode::LLVMSIToFP
                | Opcode::LLVMUIToFP => {}
                // The same bits, or masked ones: follow them.
                Opcode::LLVMAnd
                | Opcode::LLVMOr
                | Opcode::LLVMXor
                | Opcode::LLVMPHI
                | Opcode::LLVMSelect
                | Opcode::LLVMZExt
                | Opcode::LLVMSExt
                | Opcode::LLVMFreeze => work.push(user),
                _ => return Some(user),
            }
        }
    }
    None
}

fn check_store(inst: Value, activity: &Activity) -> Result<()> {
    let (v, p) = (inst.operand(0), inst.operand(1));
    if activity.is_shadowed(p) {
        return Ok(());
    }
    let carries = activity.is_varied(v) || (v.ty().is_pointer() && activity.is_shadowed(v));
    if !carries {
        return Ok(());
    }
    let objects = ferment_activity_analysis::underlying_objects(p);
    if stores_through_null(inst, p, &objects) {
        return Ok(());
    }
    // A global the user declared inactive drops what is stored into it.
    if !objects.is_empty()
        && objects
            .iter()
            .all(|o| ferment_activity_analysis::is_inactive_global_stand_in(&o.name()))
    {
        return Ok(());
    }
    // A C++ exception object (`throw E(x)` with a float member): what it
    // holds leaves the function by unwinding, where no derivative is
    // defined (Enzyme's neither); the handler sees the value alone.
    if !objects.is_empty()
        && objects.iter().all(|o| {
            o.is_call()
                && o.called_function().map(|f| f.name()).as_deref()
                    == Some("__cxa_allocate_exception")
        })
    {
        return Ok(());
    }
    // A pointer made from an integer that `int_pointers` could not tie to
    // one pointer has no known object, so no shadow at a matching offset.
    if let Some(i2p) = objects
        .iter()
        .find(|o| o.is_instruction() && o.opcode() == Opcode::LLVMIntToPtr)
    {
        return Err(Error::at(
            inst,
            format!(
                "an active value is stored through a pointer made from an integer ('{}'), which has no derivative memory (shadow)",
                i2p.describe()
            ),
        )
        .hint("compute the address from one pointer's address and constants alone (rounding it, e.g. ((uintptr_t)p + 63) & ~63, works), or align the buffer with alignas(N), aligned_alloc or posix_memalign"));
    }
    let what = objects
        .iter()
        .find(|o| !o.is_instruction())
        .map(|o| {
            if o.is_global() {
                format!("the global variable {}", o.short())
            } else if o.is_argument() {
                // Release builds of clang drop parameter names: say which one it is.
                let k = o
                    .param_function()
                    .params()
                    .iter()
                    .position(|p| *p == *o)
                    .map_or(0, |k| k + 1);
                format!(
                    "argument {k} ({}), which has no shadow (enzyme_const or not duplicated)",
                    o.short()
                )
            } else {
                o.short().to_string()
            }
        })
        .or_else(|| pointer_from_global(&objects))
        .unwrap_or_else(|| "memory ferment cannot track".to_string());
    let through_global = objects.iter().all(|o| !o.is_global()) && what.contains("global");
    Err(Error::at(
        inst,
        if what.contains("which has no shadow") {
            format!("an active value is stored into {what}: its derivative would be lost")
        } else {
            format!("an active value is stored into {what}, which has no derivative memory (shadow)")
        },
    )
    .hint(if through_global {
        "give the global holding the pointer a shadow (`!enzyme_shadow`, or an Enzyme context: __enzyme_context, __enzyme_shadow and enzyme_context), set it inside the differentiated function right before the statement that uses it (its shadow is then the stored pointer's), or pass the pointer as an argument with enzyme_dup"
    } else if objects.iter().any(|o| o.is_global()) {
        "pass the data through a pointer argument with enzyme_dup instead of a global variable"
    } else {
        "pass this pointer with enzyme_dup and a shadow, or keep the active value in a local variable"
    }))
}

/// Whether store `inst` writes through null or an address computed from it
/// (`getelementptr double, ptr null, %i`): undefined behaviour in address
/// space 0 unless the function says null is a valid address, so the path
/// never runs in a defined program and its derivative does not matter (the
/// shadow of such an address is itself, `shadow.rs`). Eigen's copy into
/// `aligned_malloc`'s result, which is null for an empty tensor, becomes such
/// a loop in a branch LLVM cannot prove dead (a `Tensor` assigned from a
/// convolution).
///
/// LLVM folds a constant offset from null into the address itself
/// (`inttoptr (i64 -8 to ptr)`: `r[n - 1]` of a `std::vector` on the path
/// where `n == 0` left its data null): an address less than a page away
/// from null ([`NULL_PAGE`]) counts as null too; no object lives there.
fn stores_through_null(inst: Value, p: Value, objects: &[Value]) -> bool {
    !objects.is_empty()
        && objects.iter().all(|&o| near_null(o))
        && p.address_space() == 0
        && !inst
            .parent()
            .parent()
            .has_fn_enum_attribute("null_pointer_is_valid")
}

/// How far from null (either way, in bytes) a constant address counts as
/// an offset from null: the page at address 0 is never mapped, nor is the
/// top of the address space.
const NULL_PAGE: i64 = 4096;

/// Whether `o` is null, or a constant address made from an integer less
/// than [`NULL_PAGE`] bytes away from it.
fn near_null(o: Value) -> bool {
    o.is_null_constant()
        || (o.is_constant_expr()
            && o.opcode() == Opcode::LLVMIntToPtr
            && o.operand(0)
                .const_int()
                .is_some_and(|a| (-NULL_PAGE..NULL_PAGE).contains(&a)))
}

/// For a store through pointers loaded from global variables: "memory
/// whose address is read from the global variable @g".
fn pointer_from_global(objects: &[Value]) -> Option<String> {
    let globals: Vec<Value> = objects
        .iter()
        .filter(|o| o.is_instruction() && o.opcode() == Opcode::LLVMLoad)
        .flat_map(|l| ferment_activity_analysis::underlying_objects(l.operand(0)))
        .filter(|g| g.is_global())
        .collect();
    let g = globals.first()?;
    Some(format!(
        "memory whose address is read from the global variable {}",
        g.short()
    ))
}

fn check_call(inst: Value, activity: &Activity, active: bool, varied: Value) -> Result<()> {
    let callee = inst.called_function();
    let name = callee.map(|f| f.name()).unwrap_or_default();
    // The shadowed pointer arguments: memory that carries derivatives.
    let shadowed_arg = || {
        inst.call_args().into_iter().enumerate().find(|(i, a)| {
            a.ty().is_pointer()
                && activity.is_shadowed(*a)
                && !ferment_activity_analysis::formatted_output_va_list(&name, *i)
        })
    };
    if crate::frontend::is_inactive_call(inst) {
        // A library function that writes through its pointers, or returns a
        // pointer into them, would leave derivative memory stale or reach
        // it without its shadow.
        if ferment_activity_analysis::inactive_function_writes_or_aliases(&name) {
            if let Some((i, a)) = shadowed_arg() {
                return Err(Error::at(
                    inst,
                    format!(
                        "cannot differentiate call to '{name}': argument {} ({}) points to memory that carries derivatives, which '{name}' may write or return a pointer into",
                        i + 1,
                        a.short()
                    ),
                )
                .hint(if name.starts_with("_FortranA") {
                    format!("'{name}' is flang's runtime routine for a Fortran intrinsic (CSHIFT, EOSHIFT, SPREAD, RESHAPE, TRANSPOSE, PACK or UNPACK of a type other than real(4)/real(8), or of a shape ferment does not handle); ferment differentiates it only where its data are integer, logical or character: write the operation on real data as a loop or with array sections")
                } else {
                    format!("pass '{name}' a separate buffer that holds no active data, and copy the values over with ordinary assignments")
                }));
            }
        }
        // flang's MAXLOC, COUNT... write integers into their first argument.
        if ferment_activity_analysis::fortran_integer_result(&name) == Some(true) {
            if let Some(&a) = inst
                .call_args()
                .first()
                .filter(|a| activity.is_shadowed(**a))
            {
                return Err(Error::at(
                    inst,
                    format!(
                        "cannot differentiate call to '{name}': its result descriptor ({}) is memory that carries derivatives, and '{name}' writes integers there",
                        a.short()
                    ),
                )
                .hint("assign the intrinsic's result to an integer or logical variable of its own"));
            }
        }
        return Ok(());
    }
    if crate::shadow::is_memcpy(&name)
        || crate::shadow::is_memset(&name)
        || crate::shadow::is_free(&name)
        || crate::shadow::is_mirrored_structure_call(&name)
        || ferment_activity_analysis::allocation_kind(inst).is_some()
    {
        return Ok(());
    }
    if rules::blas::decode(inst)?.is_some() {
        return Ok(());
    }
    if rules::blas::is_unsupported_routine(&name) {
        return Err(Error::at(
            inst,
            format!("cannot differentiate call to the BLAS/LAPACK routine '{name}': ferment has no derivative rule for it"),
        )
        .hint(format!(
            "ferment differentiates these BLAS routines in single and double precision (cblas_ and Fortran forms): {}; \
             register a custom gradient for '{name}', or compute it with supported routines",
            rules::blas::supported_names()
        )));
    }
    if let Some(rule) = rules::call_rule(&name) {
        let args = inst.call_args();
        let result = match rule.result_field {
            Some(k) if inst.ty().is_struct() => inst.ty().struct_fields().get(k as usize).copied(),
            Some(_) => None,
            None => Some(inst.ty()),
        };
        let fits = args.len() == rule.arity
            && result.is_some_and(|t| t.is_fp_like())
            && rule.writes.iter().all(|&w| args[w].ty().is_pointer());
        if !fits {
            return Err(Error::at(
                inst,
                format!("cannot differentiate call to '{name}': its signature does not match the math function '{}'", rule.name),
            ));
        }
        // The value written through the pointer has derivative zero; the
        // shadow of that memory is not updated, so it must have none.
        if let Some(&w) = rule.writes.iter().find(|&&w| activity.is_shadowed(args[w])) {
            return Err(Error::at(
                inst,
                format!(
                    "cannot differentiate call to '{name}': argument {} ({}) points to memory that carries derivatives, and ferment does not update derivatives written through it",
                    w + 1,
                    args[w].short()
                ),
            )
            .hint(format!("pass '{name}' the address of a local variable that holds no active data, then copy the value")));
        }
        return Ok(());
    }
    // Calls whose result does not matter and that take the active value only
    // by value cannot propagate a derivative.
    if !active && !inst.ty().is_void() && !inst.call_args().iter().any(|a| a.ty().is_pointer()) {
        return Ok(());
    }
    let Some(callee) = callee else {
        return Err(Error::at(
            inst,
            format!(
                "cannot differentiate an indirect call receiving the active value {}: no function of this file that the pointer may hold has the call's type, so its target is defined elsewhere",
                varied.short()
            ),
        )
        .hint("define the target in this file, or build every file with -flto and load the plugin into the linker (the link-time run sees every file's functions); or call the function directly, or pass it as an argument of the differentiated function marked enzyme_const (ferment then differentiates a copy calling it directly)"));
    };
    let what = if callee.is_declaration() {
        "external function"
    } else {
        "function"
    };
    if callee.is_declaration()
        && (name.starts_with("_FortranAAllocatable") || name.starts_with("_FortranAPointer"))
    {
        // flang's runtime for ALLOCATE/DEALLOCATE statements that
        // `fortran::lower_allocations` and `fortran_derived` do not rewrite
        // (a polymorphic `allocate(T :: x)` of a type with components they
        // do not read, an array of derived type, SOURCE=/MOLD=): not an
        // intrinsic.
        let conflict = crate::fortran_derived::types_conflict_at(inst);
        let why = if conflict {
            "this polymorphic allocatable is given dynamic types that hold real data in one and a pointer or integer (an allocatable component's descriptor) in another at the same byte offset, which ferment's type analysis cannot tell apart in the one allocation"
        } else {
            "it handles allocatables and pointers of intrinsic type, and a polymorphic scalar `allocate(T :: x)` whose types have numeric, allocatable, pointer and derived-type components with constant default values; not character or logical allocatable components, arrays of derived type with allocatable components, dynamic types that hold real data where another holds a pointer or integer, SOURCE= or MOLD= of derived type"
        };
        let mut err = Error::at(
            inst,
            format!("cannot differentiate call to '{name}', flang's runtime routine for an ALLOCATE, DEALLOCATE or pointer statement of a kind ferment does not differentiate ({why})"),
        );
        // Optimization merges the calls of several statements (the
        // branches of a `select case` that each ALLOCATE) into one of line
        // 0: the lines flang passes the runtime name them.
        let unlocated = err.location.as_deref().is_none_or(|l| l.ends_with(":0"));
        let lines = flang_statement_lines(inst);
        if unlocated && !lines.is_empty() {
            if let Some(file) = inst
                .function_of()
                .source_location()
                .and_then(|l| l.rsplit_once(':').map(|(f, _)| f.to_string()))
            {
                err.location = Some(format!("{file}:{}", lines[0]));
            }
            if lines.len() > 1 {
                let all: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                err.message = format!(
                    "{} (the statements at lines {}, merged into one call by optimization)",
                    err.message,
                    all.join(", ")
                );
            }
        }
        let hint = if conflict {
            "use a local variable of each dynamic type instead (`type(T) :: x` rather than `class(B), allocatable :: x` with `allocate(T :: x)`), or declare the extensions' components so that no real component of one shares its bytes with an allocatable or pointer component of another"
        } else {
            "use a local variable of the dynamic type instead (`type(T) :: x` rather than `class(B), allocatable :: x` with `allocate(T :: x)`): its type-bound procedures and allocatable components are differentiated"
        };
        return Err(err.hint(hint));
    }
    if callee.is_declaration() && name.starts_with("_FortranA") {
        // flang's runtime: a Fortran intrinsic ferment has no rule for.
        return Err(Error::at(
            inst,
            format!("cannot differentiate call to '{name}', flang's runtime routine for a Fortran intrinsic (named after it): ferment has no derivative rule for it"),
        )
        .hint("write the operation on real data as a loop or with array sections and elemental operations; the README lists the Fortran intrinsics ferment differentiates"));
    }
    if callee.is_declaration() && name.starts_with("llvm.") {
        // An LLVM intrinsic: the user can neither define nor register it.
        let hint = if name.starts_with("llvm.experimental.constrained.") {
            "strict floating-point semantics (`-ffp-model=strict`, `-frounding-math`, `#pragma STDC FENV_ACCESS ON`) make clang emit constrained intrinsics, which ferment does not differentiate: build the differentiated code without them"
        } else if name.starts_with("llvm.x86.") || name.starts_with("llvm.aarch64.") {
            "write the operation with portable arithmetic, or run ferment on IR from before LLVM's vectorizers (`clang -fpass-plugin` does; with `opt`, emit the IR with `-O2 -fno-vectorize -fno-slp-vectorize` or `-Xclang -disable-llvm-passes`)"
        } else {
            "write the operation with plain arithmetic or a maths-library call ferment has a rule for (the README lists them)"
        };
        return Err(Error::at(
            inst,
            format!("cannot differentiate call to the LLVM intrinsic '{name}': ferment has no derivative rule for it"),
        )
        .hint(hint));
    }
    Err(Error::at(
        inst,
        format!("cannot differentiate call to {what} '{name}': ferment has no definition or derivative rule for it"),
    )
    .hint(format!(
        "define '{name}' in this translation unit (or build with -flto); or register its derivative: \
         `void* __enzyme_register_gradient_{name}[3] = {{ (void*){name}, (void*)augmented_forward, (void*)reverse }};`; \
         or, if it does not affect the result, mark it inactive: \
         `void* __enzyme_inactivefn_{name}[1] = {{ (void*){name} }};`"
    )))
}

/// The source lines flang passes the runtime calls of the statement of the
/// runtime call `inst` (ALLOCATE: `_FortranAAllocatableAllocate` on the same
/// descriptor, also for `InitDerivedForAllocate`, which takes no line;
/// DEALLOCATE: the deallocations): constants, or `phi`s and `select`s of
/// them where optimization merged the calls of several statements; sorted.
fn flang_statement_lines(inst: Value) -> Vec<i64> {
    let Some(desc) = inst.call_args().first().map(|a| a.strip_casts()) else {
        return Vec::new();
    };
    let deallocation = inst
        .called_function()
        .is_some_and(|g| g.name().starts_with("_FortranAAllocatableDeallocate"));
    let mut lines = Vec::new();
    for i in inst.function_of().instructions() {
        if !i.is_call() || i.is_invoke() {
            continue;
        }
        let Some(g) = i.called_function() else {
            continue;
        };
        let args = i.call_args();
        let at = match (g.name().as_str(), args.len()) {
            ("_FortranAAllocatableAllocate", 7) => 5,
            ("_FortranAAllocatableDeallocate", 5) => 4,
            ("_FortranAAllocatableDeallocatePolymorphic", 6) => 5,
            _ => continue,
        };
        if args[0].strip_casts() != desc || deallocation != (at == 4 || args.len() == 6) {
            continue;
        }
        constant_lines(args[at], 0, &mut lines);
    }
    lines.sort_unstable();
    lines.dedup();
    lines
}

/// The positive constants `v` may be: itself, or through `phi`s and
/// `select`s (a few deep).
fn constant_lines(v: Value, depth: u32, out: &mut Vec<i64>) {
    if let Some(c) = v.const_int() {
        if c > 0 {
            out.push(c);
        }
        return;
    }
    if depth > 4 || !v.is_instruction() {
        return;
    }
    let ops = match v.opcode() {
        Opcode::LLVMPHI => v.operands(),
        Opcode::LLVMSelect => v.operands()[1..].to_vec(),
        _ => return,
    };
    for o in ops {
        constant_lines(o, depth + 1, out);
    }
}
