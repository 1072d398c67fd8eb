//! Type handles: queries used by the analyses and constructors used by the
//! generators.

use crate::TypeKind;
use llvm_sys::core::*;
use llvm_sys::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Type(pub LLVMTypeRef);

impl Type {
    pub fn kind(self) -> TypeKind {
        unsafe { LLVMGetTypeKind(self.0) }
    }

    pub fn context(self) -> LLVMContextRef {
        unsafe { LLVMGetTypeContext(self.0) }
    }

    /// half, bfloat, float, double, x86_fp80, fp128, ppc_fp128.
    pub fn is_float(self) -> bool {
        matches!(
            self.kind(),
            TypeKind::LLVMHalfTypeKind
                | TypeKind::LLVMBFloatTypeKind
                | TypeKind::LLVMFloatTypeKind
                | TypeKind::LLVMDoubleTypeKind
                | TypeKind::LLVMX86_FP80TypeKind
                | TypeKind::LLVMFP128TypeKind
                | TypeKind::LLVMPPC_FP128TypeKind
        )
    }

    pub fn is_vector(self) -> bool {
        matches!(
            self.kind(),
            TypeKind::LLVMVectorTypeKind | TypeKind::LLVMScalableVectorTypeKind
        )
    }

    /// A float or a vector of floats: the types an adjoint can be kept in.
    pub fn is_fp_like(self) -> bool {
        self.is_float() || (self.is_vector() && self.element_type().is_float())
    }

    /// A struct or array made only of floats (or float vectors), at any depth, e.g. the
    /// `{ double, double }` a small C struct is returned as: its tangent and adjoint are values
    /// of the same type, field by field.
    pub fn is_fp_aggregate(self) -> bool {
        let leaves_fp = |t: Type| t.is_fp_like() || t.is_fp_aggregate();
        match self.kind() {
            TypeKind::LLVMStructTypeKind => {
                let fields = self.struct_fields();
                !fields.is_empty() && fields.into_iter().all(leaves_fp)
            }
            TypeKind::LLVMArrayTypeKind => self.array_len() > 0 && leaves_fp(self.element_type()),
            _ => false,
        }
    }

    /// A value that carries a derivative of its own type: a float, a float vector, or an
    /// aggregate of those.
    pub fn is_fp_value(self) -> bool {
        self.is_fp_like() || self.is_fp_aggregate()
    }

    /// Whether the type holds a floating-point value anywhere (struct
    /// fields and array elements included).
    pub fn contains_float(self) -> bool {
        match self.kind() {
            TypeKind::LLVMStructTypeKind => {
                self.struct_fields().into_iter().any(|t| t.contains_float())
            }
            TypeKind::LLVMArrayTypeKind | TypeKind::LLVMVectorTypeKind => {
                self.element_type().contains_float()
            }
            _ => self.is_float(),
        }
    }

    /// Whether the type holds a pointer anywhere (struct field, array or
    /// vector element).
    pub fn contains_pointer(self) -> bool {
        match self.kind() {
            TypeKind::LLVMStructTypeKind => self
                .struct_fields()
                .into_iter()
                .any(|t| t.contains_pointer()),
            TypeKind::LLVMArrayTypeKind | TypeKind::LLVMVectorTypeKind => {
                self.element_type().contains_pointer()
            }
            _ => self.is_pointer(),
        }
    }

    pub fn is_integer(self) -> bool {
        self.kind() == TypeKind::LLVMIntegerTypeKind
    }

    pub fn is_pointer(self) -> bool {
        self.kind() == TypeKind::LLVMPointerTypeKind
    }

    pub fn is_void(self) -> bool {
        self.kind() == TypeKind::LLVMVoidTypeKind
    }

    pub fn is_struct(self) -> bool {
        self.kind() == TypeKind::LLVMStructTypeKind
    }

    pub fn is_array(self) -> bool {
        self.kind() == TypeKind::LLVMArrayTypeKind
    }

    pub fn int_width(self) -> u32 {
        unsafe { LLVMGetIntTypeWidth(self.0) }
    }

    pub fn element_type(self) -> Type {
        Type(unsafe { LLVMGetElementType(self.0) })
    }

    pub fn vector_len(self) -> u32 {
        unsafe { LLVMGetVectorSize(self.0) }
    }

    pub fn array_len(self) -> u64 {
        unsafe { LLVMGetArrayLength2(self.0) }
    }

    /// The name of a named struct type (`struct.Item`), `None` for literal
    /// structs and other types.
    pub fn struct_name(self) -> Option<String> {
        if !self.is_struct() {
            return None;
        }
        // SAFETY: a struct type of a live context; the name (if any) is owned
        // by the type.
        unsafe {
            let p = LLVMGetStructName(self.0);
            (!p.is_null()).then(|| std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned())
        }
    }

    pub fn struct_fields(self) -> Vec<Type> {
        let n = unsafe { LLVMCountStructElementTypes(self.0) } as usize;
        let mut v: Vec<LLVMTypeRef> = vec![std::ptr::null_mut(); n];
        unsafe { LLVMGetStructElementTypes(self.0, v.as_mut_ptr()) };
        v.into_iter().map(Type).collect()
    }

    pub fn fn_return(self) -> Type {
        Type(unsafe { LLVMGetReturnType(self.0) })
    }

    pub fn fn_params(self) -> Vec<Type> {
        let n = unsafe { LLVMCountParamTypes(self.0) } as usize;
        let mut v: Vec<LLVMTypeRef> = vec![std::ptr::null_mut(); n];
        unsafe { LLVMGetParamTypes(self.0, v.as_mut_ptr()) };
        v.into_iter().map(Type).collect()
    }

    pub fn fn_is_vararg(self) -> bool {
        unsafe { LLVMIsFunctionVarArg(self.0) != 0 }
    }

    /// Scalar element type: the element of a vector, else the type itself.
    pub fn scalar(self) -> Type {
        if self.is_vector() {
            self.element_type()
        } else {
            self
        }
    }

    /// Bit width of a floating-point scalar type (0 for other types).
    pub fn float_bits(self) -> u32 {
        match self.kind() {
            TypeKind::LLVMHalfTypeKind | TypeKind::LLVMBFloatTypeKind => 16,
            TypeKind::LLVMFloatTypeKind => 32,
            TypeKind::LLVMDoubleTypeKind => 64,
            TypeKind::LLVMX86_FP80TypeKind => 80,
            TypeKind::LLVMFP128TypeKind | TypeKind::LLVMPPC_FP128TypeKind => 128,
            _ => 0,
        }
    }

    pub fn describe(self) -> String {
        unsafe { crate::take_message(LLVMPrintTypeToString(self.0)) }
    }

    // ---- constructors in a context ----
    pub fn void(ctx: LLVMContextRef) -> Type {
        Type(unsafe { LLVMVoidTypeInContext(ctx) })
    }
    pub fn int(ctx: LLVMContextRef, bits: u32) -> Type {
        Type(unsafe { LLVMIntTypeInContext(ctx, bits) })
    }
    pub fn f32(ctx: LLVMContextRef) -> Type {
        Type(unsafe { LLVMFloatTypeInContext(ctx) })
    }
    pub fn f64(ctx: LLVMContextRef) -> Type {
        Type(unsafe { LLVMDoubleTypeInContext(ctx) })
    }
    pub fn ptr(ctx: LLVMContextRef) -> Type {
        Type(unsafe { LLVMPointerTypeInContext(ctx, 0) })
    }
    pub fn array(elem: Type, n: u64) -> Type {
        Type(unsafe { LLVMArrayType2(elem.0, n) })
    }
    /// `<n x elem>`
    pub fn vector(elem: Type, n: u32) -> Type {
        Type(unsafe { LLVMVectorType(elem.0, n) })
    }
    pub fn literal_struct(ctx: LLVMContextRef, fields: &[Type]) -> Type {
        let mut raw: Vec<LLVMTypeRef> = fields.iter().map(|t| t.0).collect();
        Type(unsafe { LLVMStructTypeInContext(ctx, raw.as_mut_ptr(), raw.len() as u32, 0) })
    }
    pub fn function(ret: Type, params: &[Type], vararg: bool) -> Type {
        let mut raw: Vec<LLVMTypeRef> = params.iter().map(|t| t.0).collect();
        Type(unsafe { LLVMFunctionType(ret.0, raw.as_mut_ptr(), raw.len() as u32, vararg as i32) })
    }
}
