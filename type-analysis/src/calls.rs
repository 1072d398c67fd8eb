//! Call rules: defined callees, `__enzyme_*` requests and hints,
//! intrinsics, and the known library functions (as a table).
//!
//! Role: what a call implies for its arguments and result. Defined callees
//! in the analysis share trees with the call (arguments and return, both
//! ways); external functions contribute what the table below says, and
//! otherwise only their IR types. Adding a library function is one line.

use crate::analysis::Solver;
use crate::layout::base_and_offset;
use crate::rules;
use crate::tree::{BaseType, FloatKind, TypeTree, ANY};
use ferment_ir::{Opcode, Value};

/// What a known function says about one argument or its result.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fact {
    /// Nothing beyond the IR type.
    Any,
    Int,
    Ptr,
    /// Pointer to bytes of a C string (`{[-1]:Pointer, [-1,-1]:Integer}`).
    Str,
    /// Pointer to an int (`frexp`'s exponent).
    PtrInt,
    /// Pointer to a pointer (`posix_memalign`).
    PtrPtr,
    /// Pointer to a float of the same format as the first argument.
    PtrSameFloat,
}

use Fact::*;

/// Known external functions: names, result, arguments (extra variadic
/// arguments get nothing beyond their IR types).
const KNOWN: &[(&[&str], Fact, &[Fact])] = &[
    (&["malloc", "_Znwm", "_Znam", "valloc"], Ptr, &[Int]),
    (&["AllocateValidatedPointerPayload"], Ptr, &[Int, Int]),
    (
        &[
            "_ZnwmRKSt9nothrow_t",
            "_ZnamRKSt9nothrow_t",
            "_ZnwmSt11align_val_t",
            "_ZnamSt11align_val_t",
        ],
        Ptr,
        &[Int, Any],
    ),
    (&["calloc", "aligned_alloc", "memalign"], Ptr, &[Int, Int]),
    (&["realloc"], Ptr, &[Ptr, Int]),
    (&["posix_memalign"], Int, &[PtrPtr, Int, Int]),
    (&["free", "_ZdlPv", "_ZdaPv", "cfree"], Any, &[Ptr]),
    (
        &[
            "_ZdlPvm",
            "_ZdaPvm",
            "_ZdlPvSt11align_val_t",
            "_ZdaPvSt11align_val_t",
        ],
        Any,
        &[Ptr, Int],
    ),
    (&["strlen"], Int, &[Str]),
    (&["strnlen"], Int, &[Str, Int]),
    (&["strcmp"], Int, &[Str, Str]),
    (&["strncmp"], Int, &[Str, Str, Int]),
    (&["strcpy", "strcat"], Str, &[Str, Str]),
    (&["strncpy", "strncat"], Str, &[Str, Str, Int]),
    (&["strdup"], Str, &[Str]),
    (
        &["printf", "puts", "perror", "atoi", "atol", "atoll"],
        Int,
        &[Str],
    ),
    (&["fprintf", "fputs"], Int, &[Ptr, Str]),
    (&["sprintf"], Int, &[Str, Str]),
    (&["snprintf"], Int, &[Str, Int, Str]),
    (&["putchar", "abs", "labs", "llabs"], Int, &[Int]),
    (&["exit", "_exit", "srand", "usleep", "sleep"], Any, &[Int]),
    (&["rand", "getchar", "clock"], Int, &[]),
    (&["time"], Int, &[Ptr]),
    (&["fopen"], Ptr, &[Str, Str]),
    (&["fclose", "fflush"], Int, &[Ptr]),
    (
        &["strtol", "strtoul", "strtoll", "strtoull"],
        Int,
        &[Str, PtrPtr, Int],
    ),
    (&["strtod", "strtof"], Any, &[Str, PtrPtr]),
    (&["memcmp"], Int, &[Ptr, Ptr, Int]),
    (
        &["ldexp", "ldexpf", "ldexpl", "scalbn", "scalbnf", "scalbnl"],
        Any,
        &[Any, Int],
    ),
    (&["frexp", "frexpf", "frexpl"], Any, &[Any, PtrInt]),
    (&["modf", "modff", "modfl"], Any, &[Any, PtrSameFloat]),
    (
        &["sincos", "sincosf", "sincosl"],
        Any,
        &[Any, PtrSameFloat, PtrSameFloat],
    ),
    (&["lgamma_r", "lgammaf_r"], Any, &[Any, PtrInt]),
    (&["jn", "yn"], Any, &[Int, Any]),
    (
        &["lround", "llround", "lrint", "llrint", "ilogb"],
        Int,
        &[Any],
    ),
    (&["cudaMalloc"], Int, &[PtrPtr, Int]),
    (&["cudaFree"], Int, &[Ptr]),
    (&["cudaMemcpy"], Int, &[Ptr, Ptr, Int, Int]),
];

fn known(name: &str) -> Option<(Fact, &'static [Fact])> {
    KNOWN
        .iter()
        .find(|(names, _, _)| names.contains(&name))
        .map(|(_, r, a)| (*r, *a))
}

fn fact_tree(fact: Fact, first_arg: Option<Value>) -> TypeTree {
    let ptr_to = |t: BaseType| TypeTree::pointer_to(&TypeTree::leaf(&[0], t));
    match fact {
        Any => TypeTree::new(),
        Int => TypeTree::scalar(BaseType::Integer),
        Ptr => TypeTree::scalar(BaseType::Pointer),
        Str => TypeTree::pointer_to(&TypeTree::leaf(&[ANY], BaseType::Integer)),
        PtrInt => ptr_to(BaseType::Integer),
        PtrPtr => ptr_to(BaseType::Pointer),
        PtrSameFloat => match first_arg.and_then(|a| crate::layout::float_kind(a.ty())) {
            Some(k) => ptr_to(BaseType::Float(k)),
            None => TypeTree::scalar(BaseType::Pointer),
        },
    }
}

/// Applies the rule of a call or invoke.
pub(crate) fn visit(s: &mut Solver, call: Value) {
    if rules::is_class_view(call) {
        rules::class_view(s, call);
        return;
    }
    if let Some(req) = s.requests.get(&call).cloned() {
        let params = req.function.params();
        for (arg, p) in req.links {
            link(s, arg, params[p], call);
        }
        return;
    }
    let Some(f) = call.called_function() else {
        return;
    };
    let name = f.name();
    let args = call.call_args();
    if name.starts_with("llvm.") {
        intrinsic(s, call, &name, &args);
    } else if name.contains("__enzyme_") {
        hint(s, call, &name, &args);
    } else if !f.is_declaration() && s.in_scope(f) {
        for (arg, param) in args.iter().zip(f.params()) {
            if arg.ty().kind() == param.ty().kind() {
                link(s, *arg, param, call);
            }
        }
        if !call.ty().is_void() {
            let r = s.return_tree(f);
            s.add(call, &r, call);
            let c = s.tree(call);
            s.add_return(f, &c, call);
        }
    } else {
        external(s, call, f, &name, &args);
    }
}

/// An argument and a parameter hold the same thing.
fn link(s: &mut Solver, arg: Value, param: Value, cause: Value) {
    let ta = s.tree(arg);
    s.add(param, &ta, cause);
    let tp = s.tree(param);
    s.add(arg, &tp, cause);
}

fn external(s: &mut Solver, call: Value, f: Value, name: &str, args: &[Value]) {
    for (i, arg) in args.iter().enumerate() {
        if let Some(t) = crate::scope::enzyme_type_attr(f, i as u32 + 1) {
            s.add(*arg, &t, call);
        }
    }
    if let Some(t) = crate::scope::enzyme_type_attr(f, 0) {
        s.add(call, &t, call);
    }
    if crate::fortran::allocation_routine(name) {
        if let Some(&desc) = args.first() {
            s.add(desc, &crate::fortran::descriptor_header(), call);
        }
    }
    if crate::fortran::fortran_integer_result(name) == Some(true) {
        if let Some(&result) = args.first() {
            s.add(result, &crate::fortran::result_descriptor(), call);
        }
    }
    let Some((ret, params)) = known(name) else {
        return;
    };
    let first = args.first().copied();
    s.add(call, &fact_tree(ret, first), call);
    for (arg, fact) in args.iter().zip(params) {
        s.add(*arg, &fact_tree(*fact, first), call);
    }
    if let (true, Some(&old_block)) = (name == "realloc", args.first()) {
        // the new block holds what the old one held
        let old = s.tree(old_block).without_roots();
        s.add(call, &old, call);
        let new = s.tree(call).without_roots();
        s.add(old_block, &new, call);
    }
}

/// `__enzyme_double(p, bytes)` and friends: the memory at `p` holds that type.
fn hint(s: &mut Solver, call: Value, name: &str, args: &[Value]) {
    let (base, step) = if name.contains("__enzyme_double") {
        (BaseType::Float(FloatKind::Double), 8)
    } else if name.contains("__enzyme_float") {
        (BaseType::Float(FloatKind::Float), 4)
    } else if name.contains("__enzyme_integer") {
        (BaseType::Integer, 1)
    } else if name.contains("__enzyme_pointer") {
        (BaseType::Pointer, s.layout.pointer_size())
    } else {
        return;
    };
    let Some(&p) = args.first() else { return };
    let mut data = TypeTree::new();
    match args.get(1).and_then(|n| n.const_int()) {
        Some(bytes) => {
            for off in (0..bytes.min(crate::tree::MAX_OFFSET)).step_by(step as usize) {
                let _ = data.insert(&[off], base);
            }
        }
        None => {
            let _ = data.insert(&[ANY], base);
        }
    }
    s.add(p, &TypeTree::pointer_to(&data), call);
}

/// GPU thread/block id and size intrinsics: integers.
const THREAD_IDS: &[&str] = &[
    "nvvm.read.ptx.sreg.",
    "amdgcn.workitem.id.",
    "amdgcn.workgroup.id.",
];

fn intrinsic(s: &mut Solver, call: Value, name: &str, args: &[Value]) {
    let base = name.trim_start_matches("llvm.");
    let family = base.split('.').next().unwrap_or("");
    let int = TypeTree::scalar(BaseType::Integer);
    match family {
        "memcpy" | "memmove" if args.len() >= 3 => {
            let (dst, src, len) = (args[0], args[1], args[2]);
            // a copy within one object shifted by `d` (memmove(p + 8, p, n))
            // says the memory repeats every `d` bytes: move one period only,
            // or every round would add entries `d` bytes further on
            let (db, doff) = base_and_offset(&s.layout, dst);
            let (sb, soff) = base_and_offset(&s.layout, src);
            let period = (db == sb && doff != soff).then(|| (doff - soff).abs());
            // A copy of a run-time length touches no byte past the end of
            // a stack slot it reads or writes (that would be undefined):
            // what it says of either side is bounded by the bytes left in
            // the slot. Unbounded, a node's fields copied back into a
            // short string's 16-byte buffer land past the slot's end, on
            // whatever the frame puts next.
            //
            // Likewise a parameter's `dereferenceable(N)` (a C++ reference:
            // N is the size of the referenced type) where the copy starts
            // strictly inside those N bytes: a moved `std::string&&`'s
            // 16-byte buffer at offset 16 of 32, copied into a new node's
            // buffer by `_Map_base::operator[]` kept from inlining, whose
            // node holds the mapped `double` right after the buffer. N is
            // only a lower bound of the object's size (a base-class
            // reference, a trailing flexible array), so a copy that starts
            // at or past it is left unbounded, and entries at any offset
            // (arrays) are kept by the truncation anyway.
            let left = |b: Value, off: i64| {
                if b.is_argument() {
                    let f = b.param_function();
                    let i = f.params().iter().position(|p| *p == b)?;
                    let n = i64::try_from(f.param_dereferenceable(i as u32)?).ok()?;
                    return Some(n - off).filter(|&n| n > 0);
                }
                (b.is_instruction() && b.opcode() == Opcode::LLVMAlloca)
                    .then(|| b.operand(0).const_int())
                    .flatten()
                    .map(|count| s.layout.alloc_size(b.allocated_type()) * count - off)
                    .filter(|&n| n >= 0)
            };
            let bound = [left(db, doff), left(sb, soff)].into_iter().flatten().min();
            let copy = |t: TypeTree| {
                let t = match len.const_int() {
                    Some(n) => t.truncate(n),
                    // A run-time number of bytes out of (or into) memory
                    // whose every byte is an integer (a C string, a byte
                    // buffer): the bytes copied are integers, the ones
                    // after them are not said to be. Copied as it is, "every
                    // byte an integer" would type the fields that follow a
                    // short string's buffer in its object (the `double`
                    // after the `std::string` of a struct) as integers too.
                    None => {
                        let bytes = |p: &[i64], b: BaseType| {
                            p.len() == 1 && p[0] == ANY && b == BaseType::Integer
                        };
                        let mut kept = t.filter(|p, b| !bytes(p, b));
                        if t.iter().any(|(p, b)| bytes(p, b)) {
                            let _ = kept.insert(&[0], BaseType::Integer);
                        }
                        match bound {
                            Some(n) => kept.truncate(n),
                            None => kept,
                        }
                    }
                };
                match period {
                    Some(d) => t.filter(|p, _| (0..d).contains(&p[0])),
                    None => t,
                }
            };
            let from_src = copy(s.tree(src).pointee());
            s.add(dst, &TypeTree::pointer_to(&from_src), call);
            let from_dst = copy(s.tree(dst).pointee());
            s.add(src, &TypeTree::pointer_to(&from_dst), call);
            s.add(len, &int, call);
        }
        "memset" if args.len() >= 3 => s.add(args[2], &int, call),
        "umax" | "umin" | "smax" | "smin" | "abs" | "ctpop" | "ctlz" | "cttz" | "bswap"
        | "bitreverse" | "fshl" | "fshr" => {
            s.add(call, &int, call);
            for a in args {
                s.add(*a, &int, call);
            }
        }
        "lround" | "llround" | "lrint" | "llrint" | "fptosi" | "fptoui" | "objectsize" => {
            s.add(call, &int, call)
        }
        "nvvm" | "amdgcn" if THREAD_IDS.iter().any(|p| base.starts_with(p)) => {
            s.add(call, &int, call)
        }
        "powi" | "ldexp" if args.len() >= 2 => s.add(args[1], &int, call),
        "ptrmask" | "expect" | "launder" | "strip" if !args.is_empty() => {
            let t = s.tree(args[0]);
            s.add(call, &t, call);
            let back = s.tree(call);
            s.add(args[0], &back, call);
        }
        "masked" => masked(s, call, base, args),
        _ => {}
    }
}

/// `llvm.masked.load/store`: like a load or store of the vector type.
fn masked(s: &mut Solver, call: Value, base: &str, args: &[Value]) {
    let Some(p) = args.iter().copied().find(|a| a.ty().is_pointer()) else {
        return;
    };
    let val = if base.starts_with("masked.load") {
        call
    } else if base.starts_with("masked.store") {
        args[0]
    } else {
        return;
    };
    let ty = val.ty();
    let mem = s.layout.memory_from_value(&s.tree(val), ty);
    s.add(p, &TypeTree::pointer_to(&mem), call);
    let mut conflicts = Vec::new();
    let loaded = s
        .layout
        .value_from_memory(&s.tree(p).pointee(), ty, &mut conflicts);
    s.add(val, &loaded, call);
}
