//! Data-layout queries and the conversions between IR types, values and the
//! memory that holds them.
//!
//! Role: everything size-aware lives here: what an IR type alone says about
//! a value, how a loaded/stored value's tree relates to the memory tree at
//! its address, and the byte offset a GEP adds. Reads IR, never mutates it.

use crate::tree::{BaseType, FloatKind, TreeConflict, TypeTree, ANY, MAX_OFFSET};
use ferment_ir::{Module, Opcode, Type, TypeKind, Value};
use llvm_sys::target::{
    LLVMABISizeOfType, LLVMGetModuleDataLayout, LLVMOffsetOfElement, LLVMPointerSize,
    LLVMStoreSizeOfType, LLVMTargetDataRef,
};

/// Most vector lanes / array elements spelled out one by one.
const MAX_ELEMENTS: u64 = 64;

/// The floating-point format of a scalar IR type.
pub fn float_kind(ty: Type) -> Option<FloatKind> {
    Some(match ty.kind() {
        TypeKind::LLVMHalfTypeKind => FloatKind::Half,
        TypeKind::LLVMBFloatTypeKind => FloatKind::BFloat,
        TypeKind::LLVMFloatTypeKind => FloatKind::Float,
        TypeKind::LLVMDoubleTypeKind => FloatKind::Double,
        TypeKind::LLVMX86_FP80TypeKind => FloatKind::X86Fp80,
        TypeKind::LLVMFP128TypeKind => FloatKind::Fp128,
        TypeKind::LLVMPPC_FP128TypeKind => FloatKind::PpcFp128,
        _ => return None,
    })
}

/// What a scalar (or every lane of a vector) of this IR type certainly is.
/// Integers wider than one bit may carry pointers or float bits, so they
/// say nothing on their own.
pub fn scalar_base(ty: Type) -> BaseType {
    let s = ty.scalar();
    if let Some(k) = float_kind(s) {
        return BaseType::Float(k);
    }
    match s.kind() {
        TypeKind::LLVMPointerTypeKind => BaseType::Pointer,
        TypeKind::LLVMIntegerTypeKind if s.int_width() == 1 => BaseType::Integer,
        _ => BaseType::Unknown,
    }
}

fn is_aggregate(ty: Type) -> bool {
    ty.is_struct() || ty.is_array()
}

/// Most candidate offsets a GEP is followed with.
const MAX_CANDIDATES: usize = 8;
/// Arrays up to this length indexed by a variable count as all their
/// elements (longer ones as their first element).
const MAX_ARRAY_ELEMENTS: u64 = 64;

/// The byte offsets a GEP may add. A variable index that is a constant
/// choice (`select`/`phi` of constants) contributes each choice; any other
/// variable index counts as zero when it steps over elements wider than a
/// byte (every element of an array is assumed to look like element 0), and
/// makes the offset unknown when it steps over bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GepOffset {
    /// Candidate offsets; empty when unknown.
    pub offsets: Vec<i64>,
    /// Every index is a constant (the single offset is exact).
    pub exact: bool,
}

/// The values a variable index may take, when it is a small constant choice.
fn index_choices(v: Value) -> Option<Vec<i64>> {
    if let Some(c) = v.const_int() {
        return Some(vec![c]);
    }
    if !v.is_instruction() {
        return None;
    }
    let arms: Vec<Value> = match v.opcode() {
        Opcode::LLVMSelect => vec![v.operand(1), v.operand(2)],
        Opcode::LLVMPHI => v.incoming().into_iter().map(|(x, _)| x).collect(),
        _ => return None,
    };
    let mut out: Vec<i64> = arms.iter().map(|a| a.const_int()).collect::<Option<_>>()?;
    out.sort_unstable();
    out.dedup();
    (out.len() <= MAX_CANDIDATES).then_some(out)
}

/// A constant every value of the integer `v` is a multiple of (1 when
/// nothing better is known): `i << 3`, `i * 24`, sums of such terms.
fn known_multiple(v: Value, depth: u32) -> i64 {
    fn gcd(a: i64, b: i64) -> i64 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    if let Some(c) = v.const_int() {
        return c.unsigned_abs().min(1 << 20) as i64;
    }
    if depth > 6 || !v.is_instruction() {
        return 1;
    }
    let m = |x: Value| known_multiple(x, depth + 1);
    let product = |a: i64, b: i64| a.saturating_mul(b).min(1 << 20);
    match v.opcode() {
        Opcode::LLVMShl => match v.operand(1).const_int() {
            Some(k) if (0..20).contains(&k) => product(m(v.operand(0)).max(1), 1 << k),
            _ => 1,
        },
        Opcode::LLVMMul => product(m(v.operand(0)).max(1), m(v.operand(1)).max(1)),
        Opcode::LLVMAdd | Opcode::LLVMSub => gcd(m(v.operand(0)), m(v.operand(1))).max(1),
        Opcode::LLVMZExt | Opcode::LLVMSExt => m(v.operand(0)).max(1),
        _ => 1,
    }
}

/// The module's data layout.
pub struct Layout {
    dl: LLVMTargetDataRef,
}

impl Layout {
    pub fn new(module: Module) -> Layout {
        Layout {
            dl: unsafe { LLVMGetModuleDataLayout(module.0) },
        }
    }

    /// Bytes between consecutive elements of this type in an array.
    pub fn alloc_size(&self, ty: Type) -> i64 {
        unsafe { LLVMABISizeOfType(self.dl, ty.0) as i64 }
    }

    /// Bytes a load or store of this type touches.
    pub fn store_size(&self, ty: Type) -> i64 {
        unsafe { LLVMStoreSizeOfType(self.dl, ty.0) as i64 }
    }

    pub fn field_offset(&self, st: Type, field: u32) -> i64 {
        unsafe { LLVMOffsetOfElement(self.dl, st.0, field) as i64 }
    }

    pub fn pointer_size(&self) -> i64 {
        unsafe { LLVMPointerSize(self.dl) as i64 }
    }

    /// What the IR type alone says about a value of that type: floats and
    /// pointers at their offsets (`[-1]` for scalars and vectors).
    pub fn value_tree(&self, ty: Type) -> TypeTree {
        if !is_aggregate(ty) {
            return TypeTree::scalar(scalar_base(ty));
        }
        if ty.is_array() && !is_aggregate(ty.element_type()) {
            // every element alike: `[-1]` (every offset) instead of a list
            return TypeTree::scalar(scalar_base(ty.element_type()));
        }
        let mut out = TypeTree::new();
        self.for_each_leaf(ty, 0, &mut |off, leaf| {
            let _ = out.insert(&[off], scalar_base(leaf));
        });
        out
    }

    /// Calls `f(offset, scalar type)` for the scalar leaves of an aggregate.
    fn for_each_leaf(&self, ty: Type, base: i64, f: &mut dyn FnMut(i64, Type)) {
        if base > MAX_OFFSET {
            return;
        }
        if ty.is_struct() {
            for (i, field) in ty.struct_fields().into_iter().enumerate() {
                self.for_each_leaf(field, base + self.field_offset(ty, i as u32), f);
            }
        } else if ty.is_array() {
            let stride = self.alloc_size(ty.element_type());
            for i in 0..ty.array_len().min(MAX_ELEMENTS) {
                self.for_each_leaf(ty.element_type(), base + i as i64 * stride, f);
            }
        } else {
            f(base, ty)
        }
    }

    /// Lane stride and count of a fixed vector type.
    fn lanes(&self, ty: Type) -> (i64, u64) {
        let elem = ty.element_type();
        let stride = if elem.is_integer() && elem.int_width() < 8 {
            1
        } else {
            self.store_size(elem)
        };
        (stride.max(1), u64::from(ty.vector_len()).min(MAX_ELEMENTS))
    }

    /// Whether a scalar of `ty` can carry `base` at its first byte.
    fn fits(&self, ty: Type, base: BaseType) -> bool {
        let size = self.store_size(ty.scalar());
        match base {
            BaseType::Float(k) => !ty.scalar().is_integer() || k.store_size() as i64 == size,
            BaseType::Pointer => !ty.scalar().is_integer() || size == self.pointer_size(),
            _ => true,
        }
    }

    /// Pointers and pointer-sized integers can carry a pointee tree.
    fn may_hold_pointer(&self, ty: Type) -> bool {
        let s = ty.scalar();
        s.is_pointer() || (s.is_integer() && self.store_size(s) == self.pointer_size())
    }

    /// The tree of a value of type `ty` loaded from memory described by
    /// `mem` (a pointee tree: first element = byte offset).
    pub fn value_from_memory(
        &self,
        mem: &TypeTree,
        ty: Type,
        conflicts: &mut Vec<TreeConflict>,
    ) -> TypeTree {
        if is_aggregate(ty) {
            return mem.truncate(self.store_size(ty));
        }
        let (stride, count) = if ty.is_vector() {
            self.lanes(ty)
        } else {
            (0, 1)
        };
        let mut out = TypeTree::new();
        for lane in 0..count as i64 {
            let at = lane * stride;
            let part = mem
                .filter(|p, _| p[0] == at || p[0] == ANY)
                .map_first(|_| Some(ANY));
            let part = part.filter(|p, t| {
                if p.len() == 1 {
                    self.fits(ty, t)
                } else {
                    self.may_hold_pointer(ty)
                }
            });
            out.merge_in(&part, conflicts);
        }
        out
    }

    /// The memory tree (first element = byte offset) that storing a value
    /// of type `ty` described by `val` produces.
    pub fn memory_from_value(&self, val: &TypeTree, ty: Type) -> TypeTree {
        if is_aggregate(ty) {
            // `-1` (all bytes of the value) becomes each leaf's offset: in
            // memory `-1` would mean every offset around the value too
            let mut out = val.filter(|p, _| p[0] != ANY).truncate(self.store_size(ty));
            let whole = val.filter(|p, _| p[0] == ANY);
            if !whole.is_empty() {
                self.for_each_leaf(ty, 0, &mut |off, _| {
                    let mut ignored = Vec::new();
                    out.merge_in(&whole.map_first(|_| Some(off)), &mut ignored);
                });
            }
            return out;
        }
        let scalar = val.filter(|p, t| {
            p[0] == ANY
                && if p.len() == 1 {
                    self.fits(ty, t)
                } else {
                    self.may_hold_pointer(ty)
                }
        });
        if !ty.is_vector() {
            return scalar.map_first(|_| Some(0));
        }
        let (stride, count) = self.lanes(ty);
        let mut out = TypeTree::new();
        for lane in 0..count as i64 {
            let mut ignored = Vec::new();
            out.merge_in(&scalar.map_first(|_| Some(lane * stride)), &mut ignored);
        }
        out
    }

    /// Byte offsets a GEP instruction or constant expression may add.
    pub fn gep_offset(&self, gep: Value) -> GepOffset {
        let mut ty = Type(unsafe { llvm_sys::core::LLVMGetGEPSourceElementType(gep.0) });
        let mut offsets = vec![0i64];
        let mut exact = true;
        let mut cap = MAX_CANDIDATES;
        for (n, idx) in gep.operands().into_iter().skip(1).enumerate() {
            // Elements of the array this index selects in, when known.
            let extent = if n > 0 && ty.is_array() {
                ty.array_len()
            } else {
                0
            };
            let stride = if n == 0 {
                self.alloc_size(ty)
            } else if ty.is_struct() {
                let field = idx.const_int().unwrap_or(0).max(0) as u32;
                let off = self.field_offset(ty, field);
                offsets.iter_mut().for_each(|o| *o += off);
                ty = ty
                    .struct_fields()
                    .get(field as usize)
                    .copied()
                    .unwrap_or(ty);
                continue;
            } else {
                ty = ty.element_type();
                self.alloc_size(ty)
            };
            exact &= idx.const_int().is_some();
            let choices = match index_choices(idx) {
                Some(c) => c,
                // A variable index into an array of known length (a struct's
                // `double a[3]` indexed by a loop): any of its elements, so
                // that what is learned about one element holds for all.
                None if stride > 1 && (1..=MAX_ARRAY_ELEMENTS).contains(&extent) => {
                    cap = cap.max(MAX_ARRAY_ELEMENTS as usize);
                    (0..extent as i64).collect()
                }
                None if stride > 1 => vec![0],
                // A byte offset that is a multiple of an element's size
                // (`p + i * 8` written on `char *`, as a generic sort or
                // copy moves elements): any element, like a typed index.
                None if known_multiple(idx, 0) > 1 => vec![0],
                None => {
                    return GepOffset {
                        offsets: Vec::new(),
                        exact: false,
                    }
                }
            };
            let mut next: Vec<i64> = offsets
                .iter()
                .flat_map(|o| choices.iter().map(move |c| o + c * stride))
                .collect();
            next.sort_unstable();
            next.dedup();
            if next.len() > cap {
                return GepOffset {
                    offsets: Vec::new(),
                    exact: false,
                };
            }
            offsets = next;
        }
        GepOffset { offsets, exact }
    }

    /// Offset and type of field `idx` path inside an aggregate (for
    /// `extractvalue`/`insertvalue`).
    pub fn aggregate_field(&self, mut ty: Type, indices: &[u32]) -> (i64, Type) {
        let mut off = 0;
        for &i in indices {
            if ty.is_struct() {
                off += self.field_offset(ty, i);
                ty = ty.struct_fields().get(i as usize).copied().unwrap_or(ty);
            } else {
                ty = ty.element_type();
                off += i as i64 * self.alloc_size(ty);
            }
        }
        (off, ty)
    }
}

/// Strips constant-offset GEPs and pointer casts: `v` is the returned
/// base plus the returned offset.
pub fn base_and_offset(layout: &Layout, mut v: Value) -> (Value, i64) {
    let mut total = 0i64;
    for _ in 0..16 {
        if !(v.is_instruction() || v.is_constant_expr()) {
            break;
        }
        match v.opcode() {
            Opcode::LLVMGetElementPtr => match layout.gep_offset(v) {
                GepOffset {
                    offsets,
                    exact: true,
                } if offsets.len() == 1 => total += offsets[0],
                _ => break,
            },
            Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast => {}
            _ => break,
        }
        v = v.operand(0);
    }
    (v, total)
}

/// `v` as `base` plus a constant, when a chain of constant-offset GEPs and
/// pointer casts leads from `v` to `base`.
pub fn constant_offset_from(layout: &Layout, v: Value, base: Value) -> Option<i64> {
    let (root, off) = base_and_offset(layout, v);
    (root == base).then_some(off)
}

/// The element size of the array `v` walks, when `v` is (derived from) a
/// pointer phi stepped by a constant each iteration (`p.next = gep p, 16`):
/// the memory around such a pointer repeats every `stride` bytes. Followed
/// through constant-offset GEPs, casts, `freeze`, and phis and selects whose
/// incoming walkers all agree on one stride (`last = phi [end, p]`).
pub fn array_stride(layout: &Layout, v: Value) -> Option<i64> {
    let mut visiting = Vec::new();
    stride_of(layout, v, &mut visiting)
}

fn stride_of(layout: &Layout, v: Value, visiting: &mut Vec<Value>) -> Option<i64> {
    if visiting.len() > 12 || visiting.contains(&v) || !v.ty().is_pointer() {
        return None;
    }
    if !(v.is_instruction() || v.is_constant_expr()) {
        return None;
    }
    visiting.push(v);
    let found = match v.opcode() {
        Opcode::LLVMGetElementPtr => match layout.gep_offset(v) {
            GepOffset {
                offsets,
                exact: true,
            } if offsets.len() == 1 => stride_of(layout, v.operand(0), visiting),
            _ => None,
        },
        Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast | Opcode::LLVMFreeze => {
            stride_of(layout, v.operand(0), visiting)
        }
        Opcode::LLVMPHI => {
            let incoming: Vec<Value> = v.incoming().into_iter().map(|(i, _)| i).collect();
            let steps: Vec<i64> = incoming
                .iter()
                .filter_map(|&i| constant_offset_from(layout, i, v).filter(|c| *c != 0))
                .map(i64::abs)
                .collect();
            if steps.is_empty() {
                agreed(incoming.iter().map(|&i| stride_of(layout, i, visiting)))
            } else {
                agreed(steps.into_iter().map(Some))
            }
        }
        Opcode::LLVMSelect => agreed(
            [v.operand(1), v.operand(2)]
                .into_iter()
                .map(|i| stride_of(layout, i, visiting)),
        ),
        _ => None,
    };
    visiting.pop();
    found
}

/// The one stride the known ones agree on (unknown ones say nothing).
fn agreed(strides: impl Iterator<Item = Option<i64>>) -> Option<i64> {
    let mut out = None;
    for s in strides.flatten() {
        match out {
            None => out = Some(s),
            Some(o) if o == s => {}
            Some(_) => return None,
        }
    }
    out
}
