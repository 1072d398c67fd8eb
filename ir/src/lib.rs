//! Thin, copyable handles over LLVM's C API.
//!
//! Role: give ferment's crates (plugin, type-analysis, activity-analysis) one
//! small vocabulary for reading and building IR: [`Value`], [`Type`],
//! [`Block`], [`Builder`], [`Module`]. Handles are plain pointers owned by the
//! host's LLVMContext; they are valid while the module they belong to lives.
//! This crate never links libLLVM: symbols come from the host process.
//!
//! Everything here is a direct wrapper; no policy lives in this crate.

#![allow(clippy::missing_safety_doc)]
// Handles wrap pointers owned by the host LLVM context; every function here
// is a thin wrapper whose safety rests on that invariant (see the crate doc).
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod builder;
mod types;
mod value;

pub use builder::Builder;
pub use llvm_sys::{
    LLVMIntPredicate as IntPredicate, LLVMOpcode as Opcode, LLVMRealPredicate as RealPredicate,
    LLVMTypeKind as TypeKind,
};
pub use types::Type;
pub use value::{Block, Value};

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use std::ffi::{CStr, CString};

/// A module owned by the host.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Module(pub LLVMModuleRef);

impl Module {
    /// Parses textual IR named `name` into a new module in a fresh context;
    /// the error is LLVM's message. For tests and tools that hold no host
    /// module (they must link libLLVM themselves; the plugin never calls it).
    pub fn parse_ir(text: &str, name: &str) -> Result<Module, String> {
        unsafe {
            let ctx = LLVMContextCreate();
            let cname = cstr(name);
            let buf = LLVMCreateMemoryBufferWithMemoryRangeCopy(
                text.as_ptr().cast(),
                text.len(),
                cname.as_ptr(),
            );
            let mut module = std::ptr::null_mut();
            let mut err = std::ptr::null_mut();
            let failed =
                llvm_sys::ir_reader::LLVMParseIRInContext2(ctx, buf, &mut module, &mut err) != 0;
            LLVMDisposeMemoryBuffer(buf);
            if failed {
                return Err(take_message(err));
            }
            Ok(Module(module))
        }
    }

    pub fn context(self) -> LLVMContextRef {
        unsafe { LLVMGetModuleContext(self.0) }
    }

    pub fn functions(self) -> Vec<Value> {
        let mut out = Vec::new();
        unsafe {
            let mut f = LLVMGetFirstFunction(self.0);
            while !f.is_null() {
                out.push(Value(f));
                f = LLVMGetNextFunction(f);
            }
        }
        out
    }

    pub fn globals(self) -> Vec<Value> {
        let mut out = Vec::new();
        unsafe {
            let mut g = LLVMGetFirstGlobal(self.0);
            while !g.is_null() {
                out.push(Value(g));
                g = LLVMGetNextGlobal(g);
            }
        }
        out
    }

    pub fn function(self, name: &str) -> Option<Value> {
        let c = CString::new(name).ok()?;
        let f = unsafe { LLVMGetNamedFunction(self.0, c.as_ptr()) };
        (!f.is_null()).then_some(Value(f))
    }

    pub fn global(self, name: &str) -> Option<Value> {
        let c = CString::new(name).ok()?;
        let g = unsafe { LLVMGetNamedGlobal(self.0, c.as_ptr()) };
        (!g.is_null()).then_some(Value(g))
    }

    /// An external global of type `ty` with no definition (a declaration).
    pub fn add_global_declaration(self, name: &str, ty: Type) -> Value {
        let c = CString::new(name).unwrap_or_default();
        Value(unsafe { LLVMAddGlobal(self.0, ty.0, c.as_ptr()) })
    }

    /// An internal global of type `ty` initialized to zero.
    pub fn add_zeroed_global(self, name: &str, ty: Type) -> Value {
        let c = CString::new(name).unwrap_or_default();
        unsafe {
            let g = LLVMAddGlobal(self.0, ty.0, c.as_ptr());
            LLVMSetInitializer(g, LLVMConstNull(ty.0));
            LLVMSetLinkage(g, llvm_sys::LLVMLinkage::LLVMInternalLinkage);
            Value(g)
        }
    }

    /// The global `name`, or, when the module has none, a new internal
    /// zero-initialized one of type `ty` that `setup` finishes (linkage,
    /// thread-locality, alignment). Helpers that share one global per module
    /// (locks, counters, shadow globals) find it by name this way.
    pub fn zeroed_global(self, name: &str, ty: Type, setup: impl FnOnce(Value)) -> Value {
        self.global(name).unwrap_or_else(|| {
            let g = self.add_zeroed_global(name, ty);
            setup(g);
            g
        })
    }

    /// An internal global in address space `space` (a GPU's `__shared__`
    /// memory, for instance) with an undefined initial value, which such
    /// spaces require.
    pub fn add_undef_global_in(self, name: &str, ty: Type, space: u32) -> Value {
        let c = CString::new(name).unwrap_or_default();
        unsafe {
            let g = LLVMAddGlobalInAddressSpace(self.0, ty.0, c.as_ptr(), space);
            LLVMSetInitializer(g, LLVMGetUndef(ty.0));
            LLVMSetLinkage(g, llvm_sys::LLVMLinkage::LLVMInternalLinkage);
            LLVMSetAlignment(g, 16);
            Value(g)
        }
    }

    /// An internal constant global holding `text` as a NUL-terminated C string.
    pub fn add_string_constant(self, name: &str, text: &str) -> Value {
        let c = CString::new(name).unwrap_or_default();
        unsafe {
            let ctx = LLVMGetModuleContext(self.0);
            let init = LLVMConstStringInContext2(ctx, text.as_ptr() as *const _, text.len(), 0);
            let g = LLVMAddGlobal(self.0, LLVMTypeOf(init), c.as_ptr());
            LLVMSetInitializer(g, init);
            LLVMSetGlobalConstant(g, 1);
            LLVMSetLinkage(g, llvm_sys::LLVMLinkage::LLVMPrivateLinkage);
            Value(g)
        }
    }

    pub fn add_function(self, name: &str, fn_ty: Type) -> Value {
        let c = CString::new(name).unwrap_or_default();
        Value(unsafe { LLVMAddFunction(self.0, c.as_ptr(), fn_ty.0) })
    }

    /// Declaration of an overloaded intrinsic such as `llvm.cos` for `tys`.
    pub fn intrinsic(self, name: &str, tys: &[Type]) -> Option<Value> {
        let id =
            unsafe { llvm_sys::core::LLVMLookupIntrinsicID(name.as_ptr() as *const _, name.len()) };
        if id == 0 {
            return None;
        }
        let mut raw: Vec<LLVMTypeRef> = tys.iter().map(|t| t.0).collect();
        let f = unsafe { LLVMGetIntrinsicDeclaration(self.0, id, raw.as_mut_ptr(), raw.len()) };
        (!f.is_null()).then_some(Value(f))
    }

    /// Size in bytes the data layout allocates for `ty`.
    pub fn alloc_size(self, ty: Type) -> u64 {
        unsafe {
            let dl = llvm_sys::target::LLVMGetModuleDataLayout(self.0);
            llvm_sys::target::LLVMABISizeOfType(dl, ty.0)
        }
    }

    /// ABI alignment in bytes of `ty`.
    pub fn abi_align(self, ty: Type) -> u32 {
        unsafe {
            let dl = llvm_sys::target::LLVMGetModuleDataLayout(self.0);
            llvm_sys::target::LLVMABIAlignmentOfType(dl, ty.0)
        }
    }

    pub fn print_to_string(self) -> String {
        unsafe { take_message(LLVMPrintModuleToString(self.0)) }
    }

    pub fn target_triple(self) -> String {
        let p = unsafe { LLVMGetTarget(self.0) };
        if p.is_null() {
            return String::new();
        }
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }

    pub fn source_file_name(self) -> String {
        let mut len = 0usize;
        let p = unsafe { LLVMGetSourceFileName(self.0, &mut len) };
        if p.is_null() {
            return String::new();
        }
        let bytes = unsafe { std::slice::from_raw_parts(p as *const u8, len) };
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// Copies and frees a message allocated by LLVM.
pub unsafe fn take_message(p: *mut std::os::raw::c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    let s = CStr::from_ptr(p).to_string_lossy().into_owned();
    LLVMDisposeMessage(p);
    s
}

pub(crate) fn cstr(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}
