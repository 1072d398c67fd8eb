//! The query API the plugin uses: `TypeAnalysis::run` and `FunctionTypes`.

use ferment_ir::Module;
use ferment_type_analysis::{BaseType, FloatKind, TypeAnalysis, TypeTree};

#[link(name = "LLVM-22")]
extern "C" {}

fn parse(text: &str) -> Module {
    Module::parse_ir(text, "api.ll").unwrap_or_else(|e| panic!("invalid IR: {e}"))
}

const IR: &str = r#"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
define double @f(ptr %s, ptr %raw) {
  %x = load double, ptr %s, align 8
  %n.p = getelementptr inbounds i8, ptr %s, i64 8
  %n = load i64, ptr %n.p, align 8
  %m = mul i64 %n, 2
  ret double %x
}
define double @caller(ptr %a) {
  %r = call double @f(ptr %a, ptr null)
  ret double %r
}
"#;

const DOUBLE: BaseType = BaseType::Float(FloatKind::Double);

#[test]
fn run_answers_memory_questions() {
    let module = parse(IR);
    let f = module.function("f").unwrap();
    let types = TypeAnalysis::run(module, f);
    let [s, raw] = f.params()[..] else { panic!() };
    assert_eq!(types.memory_at(s, 0), DOUBLE);
    assert_eq!(types.memory_at(s, 8), BaseType::Integer);
    assert_eq!(types.memory_at(s, 16), BaseType::Unknown);
    assert_eq!(
        types.memory_types(s, 0, 16),
        vec![(0, DOUBLE), (8, BaseType::Integer)]
    );
    assert_eq!(types.tree(raw).to_string(), "{[-1]:Pointer}");
    assert_eq!(types.return_tree(f), TypeTree::scalar(DOUBLE));
    assert!(types.conflicts().is_empty());
    assert!(types.converged());
    // the direct caller takes part: its argument learns the struct layout
    let caller = module.function("caller").unwrap();
    assert!(types.functions().contains(&caller));
    assert_eq!(types.memory_at(caller.params()[0], 8), BaseType::Integer);
    // constants get what their IR type says
    let x = f.instructions()[0];
    assert_eq!(types.tree(x).root(), DOUBLE);
}

#[test]
fn seeds_flow_into_the_analysis() {
    let module = parse(IR);
    let f = module.function("f").unwrap();
    let raw = f.params()[1];
    let hint: TypeTree = "{[-1]:Pointer, [-1,0]:Float@float}".parse().unwrap();
    let types = TypeAnalysis::new(module).root(f).seed(raw, hint).solve();
    assert_eq!(types.memory_at(raw, 0), BaseType::Float(FloatKind::Float));
}

#[test]
fn access_base_names_the_struct_path() {
    let module = parse(
        r#"
define ptr @f(ptr %s) {
  %p = load ptr, ptr %s, align 8, !tbaa !0
  %n.p = getelementptr inbounds i8, ptr %s, i64 8
  %n = load i64, ptr %n.p, align 8, !tbaa !5
  %d = load double, ptr %p, align 8, !tbaa !6
  ret ptr %p
}
!0 = !{!1, !2, i64 0}
!1 = !{!"_ZTSNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE12_Alloc_hiderE", !2, i64 0}
!2 = !{!"p1 omnipotent char", !3, i64 0}
!3 = !{!"omnipotent char", !4, i64 0}
!4 = !{!"Simple C++ TBAA"}
!5 = !{!7, !8, i64 8}
!6 = !{!"double", !3, i64 0}
!7 = !{!"_ZTS4Pair", !8, i64 0, !8, i64 8}
!8 = !{!"long", !3, i64 0}
"#,
    );
    let f = module.function("f").unwrap();
    let loads: Vec<_> = f
        .instructions()
        .into_iter()
        .filter(|i| i.opcode() == ferment_ir::Opcode::LLVMLoad)
        .collect();
    let base = ferment_type_analysis::tbaa::access_base;
    assert_eq!(
        base(loads[0]),
        Some((
            "_ZTSNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE12_Alloc_hiderE".to_string(),
            0
        ))
    );
    assert_eq!(base(loads[1]), Some(("_ZTS4Pair".to_string(), 8)));
    // a scalar access (LLVM upgrades the old scalar format to a tag whose base is the scalar)
    assert_eq!(base(loads[2]), Some(("double".to_string(), 0)));
}
