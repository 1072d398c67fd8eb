//! Class views (`rules::CLASS_VIEW`): the object pointer as each branch of
//! a virtual call's dispatcher sees it. Different candidate classes' fields
//! at one offset do not contradict each other in the views; a caller's fact
//! about the object that no candidate class's own code states still
//! contradicts a view that holds another type there.

use ferment_ir::{Module, Value};
use ferment_type_analysis::{BaseType, FloatKind, TypeAnalysis};

#[link(name = "LLVM-22")]
extern "C" {}

const DOUBLE: BaseType = BaseType::Float(FloatKind::Double);

fn parse(text: &str) -> Module {
    Module::parse_ir(text, "views.ll").unwrap_or_else(|e| panic!("invalid IR: {e}"))
}

fn named(f: Value, name: &str) -> Value {
    f.instructions()
        .into_iter()
        .find(|i| i.name() == name)
        .unwrap_or_else(|| panic!("no %{name}"))
}

/// Two branches: one class holds an integer at offset 8, the other a
/// double; `CALLER` is spliced into the entry block.
fn two_classes(caller: &str) -> String {
    format!(
        r#"
define void @f(ptr %obj, ptr %out, ptr %idx, i1 %c) {{
entry:
{caller}
  br i1 %c, label %a, label %b
a:
  %va = getelementptr i8, ptr %obj, i64 0, !ferment.class_view !0
  %pa = getelementptr inbounds i8, ptr %va, i64 8
  %ia = load i64, ptr %pa, align 8
  %m = mul i64 %ia, 3
  store i64 %m, ptr %idx, align 8
  br label %done
b:
  %vb = getelementptr i8, ptr %obj, i64 0, !ferment.class_view !0
  %pb = getelementptr inbounds i8, ptr %vb, i64 8
  %db = load double, ptr %pb, align 8
  store double %db, ptr %out, align 8
  br label %done
done:
  ret void
}}
!0 = !{{i64 1}}
"#
    )
}

#[test]
fn each_class_keeps_its_own_field() {
    let module = parse(&two_classes(""));
    let f = module.function("f").unwrap();
    let types = TypeAnalysis::run(module, f);
    let (va, vb) = (named(f, "va"), named(f, "vb"));
    assert_eq!(types.memory_at(va, 8), BaseType::Integer);
    assert_eq!(types.memory_at(vb, 8), DOUBLE);
    // the dispatched pointer still meets both
    let obj = f.params()[0];
    assert!(types.conflicts().iter().any(|c| c.value == obj));
    for v in [va, vb, named(f, "pa"), named(f, "pb")] {
        assert!(
            types.conflicts().iter().all(|c| c.value != v),
            "{:?}",
            types.conflicts()
        );
    }
}

#[test]
fn caller_facts_flow_into_the_views() {
    // the caller's pointer at offset 16 reaches both branches
    let caller =
        "  %q = getelementptr inbounds i8, ptr %obj, i64 16\n  store ptr null, ptr %q, align 8";
    let module = parse(&two_classes(caller));
    let f = module.function("f").unwrap();
    let types = TypeAnalysis::run(module, f);
    for v in [named(f, "va"), named(f, "vb")] {
        assert_eq!(types.memory_at(v, 16), BaseType::Pointer);
    }
}

#[test]
fn a_caller_fact_no_class_states_contradicts_the_views() {
    // the caller stores a pointer at offset 8, where one class holds an
    // integer and the other a double: neither explains it
    let caller =
        "  %q = getelementptr inbounds i8, ptr %obj, i64 8\n  store ptr null, ptr %q, align 8";
    let module = parse(&two_classes(caller));
    let f = module.function("f").unwrap();
    let types = TypeAnalysis::run(module, f);
    for v in [named(f, "va"), named(f, "vb")] {
        assert!(
            types
                .conflicts()
                .iter()
                .any(|c| c.value == v && c.conflict.path == [-1, 8]),
            "{:?}",
            types.conflicts()
        );
    }
}

#[test]
fn one_class_contradicted_by_its_caller() {
    // one candidate class reads an integer at offset 8; the caller stores
    // a double there
    let module = parse(
        r#"
define void @f(ptr %obj, ptr %idx, double %x) {
entry:
  %q = getelementptr inbounds i8, ptr %obj, i64 8
  store double %x, ptr %q, align 8
  %va = getelementptr i8, ptr %obj, i64 0, !ferment.class_view !0
  %pa = getelementptr inbounds i8, ptr %va, i64 8
  %ia = load i64, ptr %pa, align 8
  %m = mul i64 %ia, 3
  store i64 %m, ptr %idx, align 8
  ret void
}
!0 = !{i64 1}
"#,
    );
    let f = module.function("f").unwrap();
    let types = TypeAnalysis::run(module, f);
    let va = named(f, "va");
    assert!(
        types
            .conflicts()
            .iter()
            .any(|c| c.value == va && c.conflict.path == [-1, 8]),
        "{:?}",
        types.conflicts()
    );
}
