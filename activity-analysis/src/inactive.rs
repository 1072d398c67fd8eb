//! Which calls can never carry a derivative, and which callees the analysis
//! may look into.
//!
//! Role: the known-inactive library functions (I/O, timing, randomness,
//! bookkeeping intrinsics) and what a module says about its own functions
//! through the annotations of INTERFACE.md: `__enzyme_inactivefn*` globals,
//! the `enzyme_inactive` string in `llvm.global.annotations` or as a
//! function attribute (inactive), and `__enzyme_register_*` /
//! `__enzyme_function_like*` globals (the function has its own derivative,
//! so its body says nothing about its activity). Reads globals only.

use ferment_ir::{Module, Value};
use hashbrown::HashSet;

/// Library functions whose calls never carry a derivative: their results do
/// not depend on active inputs (or are not differentiable quantities) and
/// they write no floating-point data that a derivative could flow through.
/// Those that write through their pointer arguments, or return a pointer
/// into them, are also in [`WRITES_OR_ALIASES`]: they are inactive only
/// where that memory carries no derivative (the generators check).
pub fn is_known_inactive_function(name: &str) -> bool {
    const EXACT: &[&str] = &[
        // flang's runtime: integer results of real arguments (EXPONENT), the
        // floating-point exception flags NEAREST raises, fatal errors
        "_FortranAExponent4_4",
        "_FortranAExponent4_8",
        "_FortranAExponent8_4",
        "_FortranAExponent8_8",
        "_FortranAMapException",
        "_FortranAferaiseexcept",
        "_FortranAReportFatalUserError",
        // whether a pointer's target is one its ALLOCATE made (reads the
        // descriptor and the footer after the data)
        "ValidatePointerPayload",
        // output
        "printf",
        "puts",
        "putchar",
        "putc",
        "fprintf",
        "dprintf",
        "fputs",
        "fputc",
        "fflush",
        "fwrite",
        "vprintf",
        "vfprintf",
        "perror",
        // files
        "fopen",
        "fdopen",
        "freopen",
        "fclose",
        "fseek",
        "ftell",
        "rewind",
        "feof",
        "ferror",
        "clearerr",
        "fileno",
        "setvbuf",
        "setbuf",
        "remove",
        "rename",
        "fgetc",
        "getc",
        "getchar",
        "ungetc",
        // process
        "abort",
        "exit",
        "_exit",
        "atexit",
        "__assert_fail",
        "__cxa_guard_acquire",
        // dynamic_cast (its result is rebuilt from the object's pointer in
        // the canonical copy; the call reads type information only)
        "__dynamic_cast",
        "__cxa_guard_release",
        "__errno_location",
        "getenv",
        "getpid",
        "sleep",
        "usleep",
        // memory advice (ferment's own tape buffers ask for huge pages)
        "madvise",
        "posix_madvise",
        // randomness and time (floating-point results that depend on no input)
        "rand",
        "srand",
        "random",
        "srandom",
        "drand48",
        "lrand48",
        "mrand48",
        "srand48",
        "clock",
        "difftime",
        "omp_get_wtime",
        "omp_get_thread_num",
        "omp_get_num_threads",
        "omp_get_max_threads",
        "omp_get_num_procs",
        // initializing or destroying an OpenMP lock (setting and unsetting one are
        // rewritten into ticketed sections by the plugin)
        "omp_init_lock",
        "omp_destroy_lock",
        "omp_in_parallel",
        // OpenMP runtime bookkeeping (libomp): thread ids, worksharing
        // bounds (integers written through pointers), barriers; the plugin's
        // OpenMP support (plugin/src/openmp.rs) handles the rest
        "__kmpc_global_thread_num",
        "__kmpc_barrier",
        "__kmpc_push_num_threads",
        "__kmpc_for_static_fini",
        "__kmpc_dispatch_deinit",
        // omp single / master / masked: which thread runs the block (the
        // reverse sweep replays each thread's own branch from its tape)
        "__kmpc_single",
        "__kmpc_end_single",
        "__kmpc_master",
        "__kmpc_end_master",
        "__kmpc_masked",
        "__kmpc_end_masked",
        // doacross loops (ordered(n) with depend): the iteration space and
        // the waits for other iterations (the waits that order the reverse
        // sweep are rewritten into ticketed ones by the plugin)
        "__kmpc_doacross_init",
        "__kmpc_doacross_fini",
        "__kmpc_doacross_wait",
        "MPI_Wtime",
        // strings (read only, no pointer into the arguments returned)
        "strlen",
        "strnlen",
        "strcmp",
        "strncmp",
        "strcasecmp",
        "strncasecmp",
        "strcoll",
        "strspn",
        "strcspn",
        "memcmp",
        "bcmp",
        "atoi",
        "atol",
        "atoll",
        "atof",
        "strdup",
        "strndup",
        "isalpha",
        "isdigit",
        "isspace",
        "isalnum",
        "isupper",
        "islower",
        "toupper",
        "tolower",
        // allocation bookkeeping
        "malloc_usable_size",
        // Fortran runtime I/O
        "_gfortran_st_write",
        "_gfortran_st_write_done",
        "_gfortran_transfer_character_write",
        "_gfortran_transfer_real_write",
        "_gfortran_transfer_integer_write",
        "_gfortran_stop_string",
        "_FortranAioBeginExternalListOutput",
        "_FortranAioOutputReal64",
        "_FortranAioOutputReal32",
        "_FortranAioOutputAscii",
        "_FortranAioOutputInteger32",
        "_FortranAioEndIoStatement",
        "_FortranAStopStatement",
    ];
    // Integer-valued math (`ilogb`, `lround`...) in every precision.
    const INT_MATH: &[&str] = &["ilogb", "lround", "llround", "lrint", "llrint"];
    let int_math = || {
        let stem = name
            .strip_suffix('f')
            .or_else(|| name.strip_suffix('l'))
            .unwrap_or(name);
        INT_MATH.contains(&name) || INT_MATH.contains(&stem)
    };
    const PREFIX: &[&str] = &[
        // the plugin's own OpenMP helpers (tickets of critical sections)
        "ferment.omp.",
        "llvm.dbg.",
        "llvm.lifetime.",
        "llvm.assume",
        "llvm.expect",
        "llvm.invariant.",
        "llvm.experimental.noalias",
        "llvm.prefetch",
        "llvm.donothing",
        "llvm.trap",
        "llvm.debugtrap",
        "llvm.stacksave",
        "llvm.stackrestore",
        "llvm.pseudoprobe",
        "llvm.sideeffect",
        "llvm.is.fpclass",
        "llvm.lround",
        "llvm.llround",
        "llvm.lrint",
        "llvm.llrint",
        "llvm.fptosi.sat",
        "llvm.fptoui.sat",
        "llvm.ctpop",
        "llvm.ctlz",
        "llvm.cttz",
        "llvm.abs",
        "llvm.smax",
        "llvm.smin",
        "llvm.umax",
        "llvm.umin",
        "llvm.nvvm.read.ptx.sreg",
        "llvm.nvvm.barrier",
        "__enzyme_call_inactive",
        "__enzyme_ignore_derivatives",
    ];
    EXACT.contains(&name)
        || inactive_function_writes_or_aliases(name)
        || ferment_type_analysis::fortran_integer_result(name).is_some()
        || int_math()
        || PREFIX.iter().any(|p| name.starts_with(p))
        || is_cxx_library_name(name)
}

/// libstdc++'s stream and string machinery (`std::ostream::operator<<`,
/// `std::endl`, `std::ios_base::Init`, `std::string` members and its
/// allocator): inactive
/// when external. The prefixes also match templates a translation unit
/// defines, such as the members of `std::vector<double>`, which move
/// floating-point data: see [`is_known_inactive_callee`].
///
/// Never `_ZNSt` as a whole: libstdc++'s out-of-line list hooks and tree
/// rebalancing move pointers to nodes holding active data (the plugin repeats
/// them on the shadow nodes).
fn is_cxx_library_name(name: &str) -> bool {
    const CXX: &[&str] = &[
        "_ZNSo",
        "_ZStlsISt11char_traits",
        "_ZSt4endl",
        "_ZSt16__ostream_insert",
        "_ZNSt8ios_base",
        "_ZNSt9basic_ios",
        "_ZNKSt9basic_ios",
        "_ZNSt6locale",
        "_ZNKSt6locale",
        "_ZNSt7__cxx1112basic_string",
        // std::allocator<char> / <wchar_t> (stateless; external where
        // libstdc++ instantiates them, e.g. at -O0)
        "_ZNSaIcE",
        "_ZNSaIwE",
        "_ZNKSt7__cxx1112basic_string",
        "_ZNSt7__cxx1118basic_stringstream",
        "_ZNSt7__cxx1119basic_ostringstream",
        "_ZNSt7__cxx1119basic_istringstream",
        "_ZNKSt7__cxx1119basic_ostringstream",
        "_ZNKSt7__cxx1118basic_stringstream",
        "_ZNSt7__cxx1115basic_stringbuf",
        "_ZNSt13basic_filebuf",
        "_ZNKSt13basic_filebuf",
        "_ZNSt14basic_ofstream",
        "_ZNSt14basic_ifstream",
        "_ZNSt13basic_fstream",
        "_ZNSt15basic_streambuf",
        "_ZNSt6chrono",
        "_ZSt11_Hash_bytes",
        "_ZNKSt8__detail20_Prime_rehash_policy",
        "_ZSt20__throw_",
        "_ZSt17__throw_bad_alloc",
        "_ZSt28__throw_bad_array_new_length",
        "_ZSt9terminate",
        // the standard exception classes' out-of-line members (constructors
        // from strings, destructors, `what()`): at -O0 their virtual
        // destructors are candidates of a virtual destructor call through
        // any class pointer (`dispatch.rs`)
        "_ZNSt9exception",
        "_ZNKSt9exception",
        "_ZNSt13bad_exception",
        "_ZNKSt13bad_exception",
        "_ZNSt9bad_alloc",
        "_ZNKSt9bad_alloc",
        "_ZNSt20bad_array_new_length",
        "_ZNKSt20bad_array_new_length",
        "_ZNSt8bad_cast",
        "_ZNKSt8bad_cast",
        "_ZNSt10bad_typeid",
        "_ZNKSt10bad_typeid",
        "_ZNSt17bad_function_call",
        "_ZNKSt17bad_function_call",
        "_ZNSt12bad_weak_ptr",
        "_ZNKSt12bad_weak_ptr",
        "_ZNSt11logic_error",
        "_ZNKSt11logic_error",
        "_ZNSt12domain_error",
        "_ZNSt16invalid_argument",
        "_ZNSt12length_error",
        "_ZNSt12out_of_range",
        "_ZNSt13runtime_error",
        "_ZNKSt13runtime_error",
        "_ZNSt11range_error",
        "_ZNSt14overflow_error",
        "_ZNSt15underflow_error",
    ];
    CXX.iter().any(|p| name.starts_with(p))
}

/// [`is_known_inactive_function`] for a callee: a C++ standard library
/// function the module defines (a template instantiated here, such as
/// `std::vector<double>::_M_realloc_insert`) is differentiated from its
/// body, not taken as inactive by its name.
pub fn is_known_inactive_callee(f: Value) -> bool {
    let name = f.name();
    if f.is_function() && !f.is_declaration() && is_cxx_library_name(&name) {
        return false;
    }
    is_known_inactive_function(&name)
}

/// Known-inactive library functions that write through a pointer argument
/// (`fread`, `sscanf`, `strcpy`, `time`...) or return a pointer into one
/// (`strchr`, `strtod`'s end pointer). Calling them is derivative-free only
/// when no pointer argument points to memory with derivatives: a write would
/// leave that memory's derivative stale, a returned pointer would reach it
/// without its shadow. Such a call is a compile error.
pub const WRITES_OR_ALIASES: &[&str] = &[
    // flang's runtime array transformations, left as calls where their
    // source holds integer, logical or character data (the plugin rewrites
    // those of real data): they allocate and fill their result
    "_FortranASpread",
    "_FortranAReshape",
    "_FortranATranspose",
    "_FortranAPack",
    "_FortranAUnpack",
    "_FortranACshift",
    "_FortranACshiftVector",
    "_FortranAEoshift",
    "_FortranAEoshiftVector",
    // OpenMP worksharing: loop bounds written through pointers
    "__kmpc_for_static_init_4",
    "__kmpc_for_static_init_4u",
    "__kmpc_for_static_init_8",
    "__kmpc_for_static_init_8u",
    "__kmpc_dispatch_init_4",
    "__kmpc_dispatch_init_4u",
    "__kmpc_dispatch_init_8",
    "__kmpc_dispatch_init_8u",
    "__kmpc_dispatch_next_4",
    "__kmpc_dispatch_next_4u",
    "__kmpc_dispatch_next_8",
    "__kmpc_dispatch_next_8u",
    "__kmpc_dispatch_fini_4",
    "__kmpc_dispatch_fini_4u",
    "__kmpc_dispatch_fini_8",
    "__kmpc_dispatch_fini_8u",
    // input into caller buffers (a double read from a file is a constant)
    "fread",
    "read",
    "fgets",
    "getline",
    "scanf",
    "fscanf",
    "sscanf",
    "vscanf",
    "vfscanf",
    "vsscanf",
    // formatted output into caller buffers
    "sprintf",
    "snprintf",
    "vsprintf",
    "vsnprintf",
    // string copies and searches
    "strcpy",
    "strncpy",
    "stpcpy",
    "strcat",
    "strncat",
    "strtok",
    "strtok_r",
    "strchr",
    "strrchr",
    "strstr",
    "strpbrk",
    "memchr",
    "strtod",
    "strtof",
    "strtold",
    "strtol",
    "strtoul",
    "strtoll",
    "strtoull",
    // time and randomness with output arguments
    "time",
    "clock_gettime",
    "gettimeofday",
    "localtime",
    "gmtime",
    "localtime_r",
    "gmtime_r",
    "rand_r",
    "erand48",
    "nrand48",
    "jrand48",
];

/// Whether argument `arg` of a call to `name` is a math function's output
/// pointer that receives a value without derivative: the exponent of
/// `frexp`, the integral part of `modf`, the quotient bits of `remquo`, the
/// sign of `lgamma_r` (in every precision). The derivative rules of these
/// functions (plugin `rules/calls.rs`) declare the same arguments.
pub fn derivative_free_output(name: &str, arg: usize) -> bool {
    const OUTPUTS: &[(&str, usize)] = &[("frexp", 1), ("modf", 1), ("remquo", 2), ("lgamma_r", 1)];
    let name = name.strip_prefix("__builtin_").unwrap_or(name);
    let stem = if let Some(s) = name
        .strip_suffix("f_r")
        .or_else(|| name.strip_suffix("l_r"))
    {
        format!("{s}_r")
    } else if OUTPUTS.iter().any(|(n, _)| *n == name) {
        name.to_string()
    } else {
        name.strip_suffix('f')
            .or_else(|| name.strip_suffix('l'))
            .unwrap_or(name)
            .to_string()
    };
    OUTPUTS.iter().any(|&(n, i)| n == stem && i == arg)
}

/// Whether argument `arg` of a call to `name` (one of
/// [`WRITES_OR_ALIASES`]) is the `va_list` of a formatted-output function:
/// it writes only the list's own position fields, never the arguments the
/// list holds (a `va_list` of active doubles, made by a variadic helper
/// whose calls ferment rewrites, `plugin/src/shim/variadic.cpp`).
pub fn formatted_output_va_list(name: &str, arg: usize) -> bool {
    matches!((name, arg), ("vsprintf", 2) | ("vsnprintf", 3))
}

/// Templates of the C++ library that a translation unit defines but whose
/// results carry no derivative and which write only into their result:
/// `__gnu_cxx::__to_xstring`, behind `std::to_string` of a number, formats
/// its variadic argument through `vsnprintf` into the returned string.
const WRITES_OR_ALIASES_PREFIX: &[&str] = &["_ZN9__gnu_cxx12__to_xstring"];

/// Whether `name` is in [`WRITES_OR_ALIASES`] (or a template of
/// [`WRITES_OR_ALIASES_PREFIX`]).
pub fn inactive_function_writes_or_aliases(name: &str) -> bool {
    WRITES_OR_ALIASES.contains(&name)
        || WRITES_OR_ALIASES_PREFIX.iter().any(|p| name.starts_with(p))
}

/// What a module's annotations say about its functions.
#[derive(Default, Debug, Clone)]
pub struct ModuleAnnotations {
    inactive: HashSet<Value>,
    own_derivative: HashSet<Value>,
}

/// The Enzyme annotation a global's name spells, from its `__enzyme_`: the
/// name itself in C (`__enzyme_register_gradient_sq`), the part after the
/// module prefix for a Fortran module or program variable, which flang
/// mangles (`_QMmEf__enzyme_register_gradient_sq` for a variable
/// `f__enzyme_register_gradient_sq` of module `m`; Fortran names cannot
/// start with an underscore). `None` for any other global.
pub fn enzyme_global_name(name: &str) -> Option<&str> {
    if name.starts_with("__enzyme_") {
        return Some(name);
    }
    if !name.starts_with("_Q") {
        return None;
    }
    // flang ends a variable's scope with `E`, then the variable's name.
    let at = name.find("__enzyme_")?;
    name[..at].contains('E').then(|| &name[at..])
}

impl ModuleAnnotations {
    /// Reads the annotations of `module`.
    pub fn scan(module: Module) -> ModuleAnnotations {
        let mut out = ModuleAnnotations::default();
        for g in module.globals() {
            let full = g.name();
            let name = enzyme_global_name(&full).unwrap_or(&full);
            let Some(init) = g.global_initializer() else {
                continue;
            };
            if name.starts_with("__enzyme_inactivefn") {
                collect_functions(init, &mut out.inactive, 0);
            } else if name.starts_with("__enzyme_register_gradient")
                || name.starts_with("__enzyme_register_derivative")
                || name.starts_with("__enzyme_register_splitderivative")
                || name.starts_with("__enzyme_function_like")
            {
                // The first element is the primal function; the others are
                // its derivatives.
                if let Some(f) = first_function(init) {
                    out.own_derivative.insert(f);
                }
            } else if name == "llvm.global.annotations" {
                for (f, note) in global_annotations(g) {
                    if note == "enzyme_inactive" {
                        out.inactive.insert(f);
                    } else if note.starts_with("enzyme_function_like") {
                        out.own_derivative.insert(f);
                    }
                }
            }
        }
        for f in module.functions() {
            if f.string_attribute("enzyme_inactive").is_some() {
                out.inactive.insert(f);
            }
        }
        out
    }

    /// Whether the user declared `f` inactive.
    pub fn is_inactive_function(&self, f: Value) -> bool {
        self.inactive.contains(&f)
    }

    /// Whether `f` comes with a user-registered derivative (or stands for a
    /// known math function): its body says nothing about its activity.
    pub fn has_own_derivative(&self, f: Value) -> bool {
        self.own_derivative.contains(&f)
    }

    /// Whether a call never carries a derivative: a known-inactive library
    /// function or a function the user declared inactive.
    pub fn is_inactive_call(&self, call: Value) -> bool {
        let Some(f) = call.called_function() else {
            return false;
        };
        self.inactive.contains(&f) || is_known_inactive_callee(f)
    }

    /// Whether the analysis may summarize calls to `f` from its body:
    /// defined, not variadic, no registered derivative.
    pub fn may_summarize(&self, f: Value) -> bool {
        f.is_function()
            && !f.is_declaration()
            && !f.global_value_type().fn_is_vararg()
            && !self.own_derivative.contains(&f)
            && !self.inactive.contains(&f)
    }
}

fn collect_functions(v: Value, out: &mut HashSet<Value>, depth: u32) {
    let v = v.strip_casts();
    if v.is_function() {
        out.insert(v);
        return;
    }
    if depth > 4 || !v.is_constant() {
        return;
    }
    for o in v.operands() {
        collect_functions(o, out, depth + 1);
    }
}

/// The first function inside a constant (an array or struct initializer).
fn first_function(v: Value) -> Option<Value> {
    let v = v.strip_casts();
    if v.is_function() {
        return Some(v);
    }
    if !v.is_constant() || v.is_global_value() {
        return None;
    }
    v.operands().first().and_then(|o| first_function(*o))
}

/// The `(global variable, note)` pairs of `llvm.global.annotations` (the
/// global `g`): what `__attribute__((annotate("note")))` on a global
/// variable says.
pub fn global_variable_annotations(g: Value) -> Vec<(Value, String)> {
    let Some(init) = g.global_initializer() else {
        return Vec::new();
    };
    init.operands()
        .into_iter()
        .filter_map(|entry| {
            let var = entry.operands().first()?.strip_casts();
            if !var.is_global() {
                return None;
            }
            let note = entry.operands().get(1)?.c_string()?;
            Some((var, note))
        })
        .collect()
}

/// The `(function, note)` pairs of `llvm.global.annotations` (the global
/// `g`): what `__attribute__((annotate("note")))` on a function says.
pub fn global_annotations(g: Value) -> Vec<(Value, String)> {
    let Some(init) = g.global_initializer() else {
        return Vec::new();
    };
    init.operands()
        .into_iter()
        .filter_map(|entry| {
            let f = first_function(entry)?;
            let note = entry.operands().get(1)?.c_string()?;
            Some((f, note))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_functions() {
        for f in [
            "printf", "memcmp", "bcmp", "strlen", "getenv", "clock", "rand", "fopen",
        ] {
            assert!(is_known_inactive_function(f), "{f}");
            assert!(!inactive_function_writes_or_aliases(f), "{f}");
        }
        for f in [
            "fread", "sscanf", "strtod", "strchr", "strcpy", "time", "snprintf",
        ] {
            assert!(is_known_inactive_function(f), "{f}");
            assert!(inactive_function_writes_or_aliases(f), "{f}");
        }
        for f in [
            "_FortranAMaxlocReal8",
            "_FortranAMinlocDim",
            "_FortranACountDim",
        ] {
            assert!(is_known_inactive_function(f), "{f}");
            assert_eq!(
                ferment_type_analysis::fortran_integer_result(f),
                Some(true),
                "{f}"
            );
        }
        for f in ["_FortranACount", "_FortranAAll", "_FortranASumInteger4"] {
            assert!(is_known_inactive_function(f), "{f}");
            assert_eq!(
                ferment_type_analysis::fortran_integer_result(f),
                Some(false),
                "{f}"
            );
        }
        for f in [
            "_FortranAAllocatableAllocate",
            "_FortranASumReal8",
            "_FortranAMaxlocReal8x",
            "_FortranASumDim",
        ] {
            assert!(!is_known_inactive_function(f), "{f}");
        }
        for f in ["ilogb", "ilogbf", "lroundl", "llrint"] {
            assert!(is_known_inactive_function(f), "{f}");
        }
        for f in ["sin", "frexp", "memcpy", "qsort", "logb", "lrintx"] {
            assert!(!is_known_inactive_function(f), "{f}");
        }
    }

    #[test]
    fn math_outputs() {
        assert!(derivative_free_output("frexp", 1));
        assert!(derivative_free_output("frexpf", 1));
        assert!(derivative_free_output("modfl", 1));
        assert!(derivative_free_output("remquof", 2));
        assert!(derivative_free_output("lgammaf_r", 1));
        assert!(derivative_free_output("lgamma_r", 1));
        assert!(!derivative_free_output("frexp", 0));
        assert!(!derivative_free_output("remquo", 1));
        assert!(!derivative_free_output("sscanf", 1));
    }
}
