//! The crate's API as the generators use it: `Activity::analyze` (the
//! by-value call policy), `analyze_with` a [`Context`], instruction versus
//! value activity, `rename`, and `canonicalize`.

use ferment_activity_analysis::{
    canonicalize, is_known_inactive_function, seeds_of, Activity, ArgActivity, CallerUse, Context,
    Mode, ModuleAnnotations, Reason, Request, RetActivity, Seeds, ValueActivity,
};
use ferment_ir::{Module, Value};

// The library never links libLLVM; this test binary parses IR itself.
#[link(name = "LLVM-22")]
extern "C" {}

fn parse(text: &str) -> Module {
    Module::parse_ir(text, "api.ll").unwrap_or_else(|e| panic!("invalid IR: {e}"))
}

fn inst(f: Value, name: &str) -> Value {
    f.instructions()
        .into_iter()
        .find(|i| i.name() == name)
        .unwrap_or_else(|| panic!("no %{name}"))
}

fn nth_store(f: Value, n: usize) -> Value {
    f.instructions()
        .into_iter()
        .filter(|i| i.opcode() == ferment_ir::Opcode::LLVMStore)
        .nth(n)
        .expect("store")
}

const SQUARE: &str = r#"
@enzyme_dup = external global i32
@enzyme_out = external global i32
declare { double, double } @__enzyme_autodiff(...)

define void @square(double %x, double %y, ptr %o1, ptr %o2) {
  %a = fmul double %x, %x
  store double %a, ptr %o1
  %b = fmul double %x, %y
  store double %b, ptr %o2
  ret void
}

define double @caller(double %x, double %y) {
  %o1 = alloca double
  %o2 = alloca double
  %d1 = alloca double
  %d2 = alloca double
  %r = call { double, double } (...) @__enzyme_autodiff(ptr @square, ptr @enzyme_out, double %x, ptr @enzyme_out, double %y, ptr @enzyme_dup, ptr %o1, ptr %d1, ptr @enzyme_dup, ptr %o2, ptr %d2)
  %dx = extractvalue { double, double } %r, 0
  %v = load double, ptr %o2
  %s = fadd double %dx, %v
  ret double %s
}
"#;

#[test]
fn canonicalize_the_square_example() {
    let m = parse(SQUARE);
    let square = m.function("square").unwrap();
    let call = inst(m.function("caller").unwrap(), "r");
    let args = call.call_args();
    let primals = [args[2], args[4], args[6], args[9]];
    let mut request = Request {
        mode: Mode::Reverse,
        args: vec![
            ArgActivity::Active,
            ArgActivity::Active,
            ArgActivity::Dup,
            ArgActivity::Dup,
        ],
        ret: RetActivity::Void,
        returns_primal: false,
        uses: None,
    };
    let uses = CallerUse::of_call(call, &request, &primals);
    assert_eq!(uses.derivative_used, [true, false, true, true]);
    assert_eq!(uses.primal_memory_used, [true, true, false, true]);
    request.uses = Some(uses);
    let inactive = |_: Value| false;
    let c = canonicalize(square, &request, &Context::new(&inactive));
    assert_eq!(
        c.args,
        [
            ArgActivity::Active,
            ArgActivity::Const,
            ArgActivity::DupNoNeed,
            ArgActivity::Dup
        ]
    );
    assert_eq!(c.ret, RetActivity::Void);
    assert_eq!(c.arg_reasons[1], [Reason::DerivativeUnused]);
    assert_eq!(c.arg_reasons[2], [Reason::PrimalMemoryUnused]);
    assert_eq!(c.seeds, seeds_of(&square.params(), &c.args, false));
    let y = square.params()[1];
    assert!(!c.activity.is_varied(y));
    // With no caller to look at, nothing is dropped.
    request.uses = None;
    let c = canonicalize(square, &request, &Context::new(&inactive));
    assert_eq!(c.args, request.args);
}

#[test]
fn canonicalize_drops_what_cannot_matter() {
    let m = parse(
        r#"
define double @f(double %x, double %y, ptr %ints, ptr %unused) {
  %k = load i32, ptr %ints
  %kf = sitofp i32 %k to double
  %c = fcmp ogt double %y, 0.0
  %r = fmul double %x, %kf
  ret double %r
}
"#,
    );
    let f = m.function("f").unwrap();
    let inactive = |_: Value| false;
    let request = Request::defaults(f, Mode::Reverse);
    assert_eq!(
        request.args,
        [
            ArgActivity::Active,
            ArgActivity::Active,
            ArgActivity::Dup,
            ArgActivity::Dup
        ]
    );
    assert_eq!(request.ret, RetActivity::Active);
    let c = canonicalize(f, &request, &Context::new(&inactive));
    assert_eq!(
        c.args,
        [
            ArgActivity::Active,
            ArgActivity::Const,
            ArgActivity::Const,
            ArgActivity::Const
        ]
    );
    assert_eq!(c.arg_reasons[1], [Reason::NotUseful]);
    assert_eq!(c.arg_reasons[2], [Reason::ShadowUnused]);
    assert_eq!(c.ret, RetActivity::ActiveNoNeed);
    assert_eq!(c.ret_reasons, [Reason::PrimalNotReturned]);
}

#[test]
fn instruction_and_value_activity_differ() {
    let m = parse(
        r#"
define void @f(ptr %out, double %x) {
  %p = getelementptr inbounds double, ptr %out, i64 1
  %y = fmul double %x, %x
  store double %y, ptr %p
  store double 0.0, ptr %out
  ret void
}
"#,
    );
    let f = m.function("f").unwrap();
    let seeds = Seeds {
        active_args: vec![false, true],
        shadow_args: vec![true, false],
        active_return: false,
        context_globals: false,
        shadow_globals: Vec::new(),
    };
    let a = Activity::analyze(f, &seeds, &|_| false);
    let p = inst(f, "p");
    assert_eq!(a.value_activity(p), ValueActivity::Shadowed);
    assert!(!a.is_active_instruction(p));
    let y = inst(f, "y");
    assert_eq!(a.value_activity(y), ValueActivity::Active);
    assert!(a.is_active_instruction(y));
    // Storing a constant into shadowed memory must clear the shadow.
    assert!(a.is_active_instruction(nth_store(f, 1)));
    assert!(a.is_active_instruction(nth_store(f, 0)));
}

#[test]
fn call_policies() {
    let m = parse(
        r#"
declare double @mystery(ptr)

define double @f(ptr %a) {
  %r = call double @mystery(ptr %a)
  ret double %r
}
"#,
    );
    let f = m.function("f").unwrap();
    let seeds = Seeds {
        active_args: vec![false],
        shadow_args: vec![true],
        active_return: true,
        context_globals: false,
        shadow_globals: Vec::new(),
    };
    let inactive = |_: Value| false;
    let r = inst(f, "r");
    // By value (the generators' view): a pointer argument carries nothing.
    let by_value = Activity::analyze(f, &seeds, &inactive);
    assert!(!by_value.is_varied(r));
    assert!(by_value.is_active_instruction(r));
    // Interprocedural: an opaque callee may read the shadowed memory.
    let never = |_: Value| false;
    let ctx = Context::new(&inactive).interprocedural(&never);
    let precise = Activity::analyze_with(f, &seeds, &ctx);
    assert!(precise.is_active(r));
}

#[test]
fn rename_moves_every_fact() {
    let m = parse(
        r#"
define double @f(double %x) {
  %y = fmul double %x, %x
  %z = fadd double %y, 1.0
  ret double %z
}
"#,
    );
    let f = m.function("f").unwrap();
    let seeds = Seeds {
        active_args: vec![true],
        shadow_args: vec![false],
        active_return: true,
        context_globals: false,
        shadow_globals: Vec::new(),
    };
    let mut a = Activity::analyze(f, &seeds, &|_| false);
    let (y, z) = (inst(f, "y"), inst(f, "z"));
    a.rename(y, z);
    assert!(a.is_active(z) && a.is_active_instruction(z));
    assert!(!a.is_active(y) && !a.is_active_instruction(y));
}

#[test]
fn inactive_functions() {
    assert!(is_known_inactive_function("printf"));
    assert!(is_known_inactive_function("drand48"));
    assert!(is_known_inactive_function("llvm.lifetime.start.p0"));
    assert!(!is_known_inactive_function("sin"));
    let m = parse(
        r#"
@__enzyme_inactivefn_log = global [1 x ptr] [ptr @log_value]
@__enzyme_register_gradient_g = global [3 x ptr] [ptr @g, ptr @g_aug, ptr @g_rev]

define double @log_value(double %v) {
  ret double %v
}
define double @g(double %v) {
  ret double %v
}
define ptr @g_aug(double %v) {
  ret ptr null
}
define double @g_rev(double %v, double %d, ptr %t) {
  ret double %d
}
define double @plain(double %v) {
  ret double %v
}
"#,
    );
    let notes = ModuleAnnotations::scan(m);
    let (log, g, plain) = (
        m.function("log_value").unwrap(),
        m.function("g").unwrap(),
        m.function("plain").unwrap(),
    );
    assert!(notes.is_inactive_function(log));
    assert!(!notes.may_summarize(log));
    assert!(notes.has_own_derivative(g));
    assert!(!notes.may_summarize(g));
    assert!(!notes.has_own_derivative(m.function("g_rev").unwrap()));
    assert!(notes.may_summarize(plain));
}

#[test]
fn activity_names() {
    let names: Vec<&str> = [
        RetActivity::Active,
        RetActivity::ActiveNoNeed,
        RetActivity::Dup,
        RetActivity::DupNoNeed,
        RetActivity::Const,
        RetActivity::ConstNoNeed,
        RetActivity::Void,
    ]
    .iter()
    .map(|r| r.name())
    .collect();
    assert_eq!(
        names,
        [
            "active",
            "activenoneed",
            "dup",
            "dupnoneed",
            "const",
            "constnoneed",
            "void"
        ]
    );
    assert!(RetActivity::ActiveNoNeed.wants_derivative());
    assert!(!RetActivity::ActiveNoNeed.wants_primal());
    assert!(ArgActivity::DupNoNeed.has_shadow());
    assert_eq!(ArgActivity::Active.to_string(), "active");
}

#[test]
fn print_function_without_a_request() {
    let m = parse(
        r#"
define double @f(ptr %p, double %x) {
  %v = load double, ptr %p
  %y = fmul double %v, %x
  store double 0.0, ptr %p
  ret double %y
}
"#,
    );
    let f = m.function("f").unwrap();
    let seeds = Seeds {
        active_args: vec![false, true],
        shadow_args: vec![true, false],
        active_return: true,
        context_globals: false,
        shadow_globals: Vec::new(),
    };
    let inactive = |_: Value| false;
    let out =
        ferment_activity_analysis::print_function(f, &seeds, "seeds", &Context::new(&inactive));
    assert_eq!(
        out,
        "function @f: seeds\n  %p: shadowed\n  %x: active\n  %v: value=active inst=active\n  \
         %y: value=active inst=active\n  store double 0.000000e+00, %p: inst=active\n  \
         ret %y: inst=active\n"
    );
}

#[test]
fn assume_useful_keeps_every_varied_value() {
    let m = parse(
        r#"
define double @f(double %x, double %y) {
  %dead = fmul double %y, %y
  %r = fmul double %x, 2.0
  ret double %r
}
"#,
    );
    let f = m.function("f").unwrap();
    let seeds = Seeds {
        active_args: vec![true, true],
        shadow_args: vec![false, false],
        active_return: true,
        context_globals: false,
        shadow_globals: Vec::new(),
    };
    let inactive = |_: Value| false;
    let dead = inst(f, "dead");
    let pruned = Activity::analyze(f, &seeds, &inactive);
    assert!(!pruned.is_active(dead));
    let ctx = Context::new(&inactive).assume_useful(true);
    let all = Activity::analyze_with(f, &seeds, &ctx);
    assert!(all.is_active(dead) && all.is_active_instruction(dead));
}

#[test]
fn cxx_library_templates_defined_here_are_not_inactive() {
    let m = parse(
        r#"
declare ptr @_ZNSolsEd(ptr, double)
define void @_ZNSt6vectorIdSaIdEE9push_backERKd(ptr %v, ptr %x) {
  %d = load double, ptr %x
  store double %d, ptr %v
  ret void
}
"#,
    );
    let out = m.function("_ZNSolsEd").expect("ostream <<");
    let push = m
        .function("_ZNSt6vectorIdSaIdEE9push_backERKd")
        .expect("push_back");
    // Stream output is known by name; std::vector's members are not (they
    // move doubles), and neither are libstdc++'s list hooks (they link nodes
    // holding doubles, and the plugin repeats them on the shadow nodes).
    assert!(is_known_inactive_function(&out.name()));
    assert!(!is_known_inactive_function(&push.name()));
    assert!(!is_known_inactive_function(
        "_ZNSt8__detail15_List_node_base7_M_hookEPS0_"
    ));
    assert!(ferment_activity_analysis::is_known_inactive_callee(out));
    assert!(!ferment_activity_analysis::is_known_inactive_callee(push));
    // A string member defined in the module is differentiated from its body.
    let m = parse(
        r#"
define i64 @_ZNKSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE4sizeEv(ptr %s) {
  ret i64 0
}
"#,
    );
    let size = m
        .function("_ZNKSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE4sizeEv")
        .expect("string::size");
    assert!(is_known_inactive_function(&size.name()));
    assert!(!ferment_activity_analysis::is_known_inactive_callee(size));
}
