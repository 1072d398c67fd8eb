//! TBAA metadata as a type hint.
//!
//! Role: read the `!tbaa` access tag of a load or store and turn the C type
//! it names (`double`, `int`, `any pointer`, `p1 double`, ...) into the tree
//! of the accessed value. `omnipotent char` and unknown names say nothing.
//! Reads metadata only.

use crate::tree::{BaseType, FloatKind, TypeTree, ANY};
use ferment_ir::Value;
use llvm_sys::core::{
    LLVMGetMDKindIDInContext, LLVMGetMDNodeNumOperands, LLVMGetMDNodeOperands, LLVMGetMetadata,
};

/// Base type of a scalar TBAA type name.
fn scalar(name: &str) -> Option<BaseType> {
    Some(match name {
        "double" => BaseType::Float(FloatKind::Double),
        "float" => BaseType::Float(FloatKind::Float),
        "long double" => BaseType::Float(FloatKind::X86Fp80),
        "_Float16" | "__fp16" => BaseType::Float(FloatKind::Half),
        "__bf16" => BaseType::Float(FloatKind::BFloat),
        "__float128" => BaseType::Float(FloatKind::Fp128),
        "int" | "long" | "long long" | "short" | "bool" | "_Bool" | "__int128" | "wchar_t"
        | "char16_t" | "char32_t" => BaseType::Integer,
        "any pointer" | "vtable pointer" => BaseType::Pointer,
        _ => return None,
    })
}

/// Tree of a value whose TBAA type is `name`: `p2 double` is a pointer to a
/// pointer to a double.
pub fn tree_for_name(name: &str) -> Option<TypeTree> {
    if let Some(rest) = name.strip_prefix('p') {
        let (depth, pointee) = rest.split_once(' ')?;
        let depth: usize = depth.parse().ok()?;
        // pointers at [-1], [-1,0], ... (depth of them), the pointee below
        let path = |len: usize| {
            std::iter::once(ANY)
                .chain(std::iter::repeat_n(0, len - 1))
                .collect::<Vec<i64>>()
        };
        let mut t = TypeTree::new();
        for len in 1..=depth {
            let _ = t.insert(&path(len), BaseType::Pointer);
        }
        if let Some(b) = scalar(pointee) {
            let _ = t.insert(&path(depth + 1), b);
        }
        return Some(t);
    }
    scalar(name).map(TypeTree::scalar)
}

fn operands(md: Value) -> Vec<Value> {
    let n = unsafe { LLVMGetMDNodeNumOperands(md.0) } as usize;
    let mut ops = vec![std::ptr::null_mut(); n];
    unsafe { LLVMGetMDNodeOperands(md.0, ops.as_mut_ptr()) };
    ops.into_iter().map(Value).collect()
}

/// The tree the `!tbaa` tag of a load or store gives the accessed value.
pub fn access_tree(inst: Value) -> Option<TypeTree> {
    let ctx = inst.ty().context();
    let kind = unsafe { LLVMGetMDKindIDInContext(ctx, c"tbaa".as_ptr(), 4) };
    let tag = unsafe { LLVMGetMetadata(inst.0, kind) };
    if tag.is_null() {
        return None;
    }
    let ops = operands(Value(tag));
    let first = ops.first().copied().filter(|v| !v.0.is_null())?;
    // old scalar format: !{!"double", !parent}; struct-path: !{!base, !access, i64 off}
    let name = match first.metadata_string() {
        Some(n) => n,
        None => {
            let access = ops.get(1).copied().filter(|v| !v.0.is_null())?;
            operands(access)
                .first()
                .copied()
                .filter(|v| !v.0.is_null())?
                .metadata_string()?
        }
    };
    tree_for_name(&name)
}

/// The struct type and byte offset a struct-path `!tbaa` tag of a load or
/// store names (`_ZTS...` for C++ types), when it has one.
pub fn access_base(inst: Value) -> Option<(String, i64)> {
    let ctx = inst.ty().context();
    let kind = unsafe { LLVMGetMDKindIDInContext(ctx, c"tbaa".as_ptr(), 4) };
    let tag = unsafe { LLVMGetMetadata(inst.0, kind) };
    if tag.is_null() {
        return None;
    }
    let ops = operands(Value(tag));
    let base = ops.first().copied().filter(|v| !v.0.is_null())?;
    if base.metadata_string().is_some() {
        return None;
    }
    let name = operands(base)
        .first()
        .copied()
        .filter(|v| !v.0.is_null())?
        .metadata_string()?;
    let offset = ops.get(2).copied().filter(|v| !v.0.is_null())?;
    Some((name, offset.const_int()?))
}

/// Where in a libstdc++ `std::__cxx11::basic_string` (of any character
/// type) the load or store `inst` accesses, by its struct-path `!tbaa` tag:
/// the tag names the string (or its `_Alloc_hider`, which sits at offset 0
/// and holds `_M_p`) and the offset within it.
pub fn string_access(inst: Value) -> Option<i64> {
    let (name, off) = access_base(inst)?;
    let rest = name.strip_prefix("_ZTSNSt7__cxx1112basic_stringI")?;
    (rest.ends_with("EE") || rest.ends_with("E12_Alloc_hiderE")).then_some(off)
}

#[cfg(test)]
mod tests {
    use super::tree_for_name;

    #[test]
    fn names_map_to_trees() {
        let s = |n: &str| tree_for_name(n).map(|t| t.to_string());
        assert_eq!(s("double").as_deref(), Some("{[-1]:Float@double}"));
        assert_eq!(s("int").as_deref(), Some("{[-1]:Integer}"));
        assert_eq!(s("any pointer").as_deref(), Some("{[-1]:Pointer}"));
        assert_eq!(
            s("p1 double").as_deref(),
            Some("{[-1]:Pointer, [-1,0]:Float@double}")
        );
        assert_eq!(
            s("p2 int").as_deref(),
            Some("{[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Integer}")
        );
        assert_eq!(s("p1 omnipotent char").as_deref(), Some("{[-1]:Pointer}"));
        assert_eq!(s("omnipotent char"), None);
        assert_eq!(s("struct S"), None);
    }
}
