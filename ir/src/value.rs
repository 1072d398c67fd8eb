//! Value and basic-block handles: instructions, arguments, constants,
//! functions and globals are all [`Value`]s, as in LLVM.

use crate::{Opcode, RealPredicate, Type};
use llvm_sys::core::*;
use llvm_sys::debuginfo::*;
use llvm_sys::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Value(pub LLVMValueRef);

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Block(pub LLVMBasicBlockRef);

impl Value {
    pub fn ty(self) -> Type {
        Type(unsafe { LLVMTypeOf(self.0) })
    }

    pub fn name(self) -> String {
        let mut len = 0usize;
        let p = unsafe { LLVMGetValueName2(self.0, &mut len) };
        if p.is_null() {
            return String::new();
        }
        let bytes = unsafe { std::slice::from_raw_parts(p as *const u8, len) };
        String::from_utf8_lossy(bytes).into_owned()
    }

    pub fn set_name(self, name: &str) {
        let c = crate::cstr(name);
        unsafe { LLVMSetValueName2(self.0, c.as_ptr(), name.len()) }
    }

    /// The textual IR of this value (one instruction, or a constant).
    pub fn describe(self) -> String {
        unsafe { crate::take_message(LLVMPrintValueToString(self.0)) }
            .trim()
            .to_string()
    }

    /// `%name` for named values, the printed text otherwise.
    pub fn short(self) -> String {
        let n = self.name();
        if !n.is_empty() {
            if self.is_function() || self.is_global() {
                return format!("@{n}");
            }
            return format!("%{n}");
        }
        let d = self.describe();
        match d.split_once(" = ") {
            Some((lhs, _)) => lhs.trim().to_string(),
            None => d,
        }
    }

    // ---- classification ----
    pub fn is_instruction(self) -> bool {
        unsafe { !LLVMIsAInstruction(self.0).is_null() }
    }
    pub fn is_argument(self) -> bool {
        unsafe { !LLVMIsAArgument(self.0).is_null() }
    }
    pub fn is_cast(self) -> bool {
        unsafe { !LLVMIsACastInst(self.0).is_null() }
    }
    pub fn is_constant(self) -> bool {
        unsafe { LLVMIsConstant(self.0) != 0 }
    }
    pub fn is_function(self) -> bool {
        unsafe { !LLVMIsAFunction(self.0).is_null() }
    }
    pub fn is_global(self) -> bool {
        unsafe { !LLVMIsAGlobalVariable(self.0).is_null() }
    }
    /// The operand of `!enzyme_shadow !{...}` on this global variable (the
    /// user-provided shadow global), if the global carries that metadata.
    /// The value is whatever the node holds; callers check that it is a
    /// global of the right size.
    pub fn user_shadow(self) -> Option<Value> {
        const KIND: &str = "enzyme_shadow";
        unsafe {
            if LLVMIsAGlobalVariable(self.0).is_null() {
                return None;
            }
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let kind = LLVMGetMDKindIDInContext(ctx, KIND.as_ptr() as *const _, KIND.len() as u32);
            let mut n = 0usize;
            let entries = LLVMGlobalCopyAllMetadata(self.0, &mut n);
            let mut found = None;
            for i in 0..n as u32 {
                if LLVMValueMetadataEntriesGetKind(entries, i) != kind {
                    continue;
                }
                let node =
                    LLVMMetadataAsValue(ctx, LLVMValueMetadataEntriesGetMetadata(entries, i));
                let count = LLVMGetMDNodeNumOperands(node) as usize;
                if count >= 1 {
                    let mut ops = vec![std::ptr::null_mut(); count];
                    LLVMGetMDNodeOperands(node, ops.as_mut_ptr());
                    found = (!ops[0].is_null()).then_some(Value(ops[0]));
                }
            }
            if !entries.is_null() {
                LLVMDisposeValueMetadataEntries(entries);
            }
            found
        }
    }
    /// Puts this instruction in (`scope`) or outside (`!scope`) the
    /// module-wide alias scope `name`: `!alias.scope` or `!noalias` with a
    /// one-scope list, so that LLVM's scoped-noalias analysis knows that the
    /// two groups of memory accesses never overlap. Scopes are identified
    /// by their string, so every function that uses `name` shares it.
    pub fn set_alias_scope(self, name: &str, scope: bool) {
        unsafe {
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let string = |s: &str| LLVMMDStringInContext2(ctx, s.as_ptr() as *const _, s.len());
            let domain_name = format!("{name} domain");
            let mut domain_ops = [string(&domain_name)];
            let domain = LLVMMDNodeInContext2(ctx, domain_ops.as_mut_ptr(), 1);
            let mut scope_ops = [string(name), domain];
            let node = LLVMMDNodeInContext2(ctx, scope_ops.as_mut_ptr(), 2);
            let kind_name = if scope { "alias.scope" } else { "noalias" };
            let kind = LLVMGetMDKindIDInContext(
                ctx,
                kind_name.as_ptr() as *const _,
                kind_name.len() as u32,
            );
            // Keep the scopes the instruction already lists (from inlining).
            let mut list_ops = vec![node];
            let old = LLVMGetMetadata(self.0, kind);
            if !old.is_null() {
                let count = LLVMGetMDNodeNumOperands(old) as usize;
                let mut ops = vec![std::ptr::null_mut(); count];
                LLVMGetMDNodeOperands(old, ops.as_mut_ptr());
                for op in ops.into_iter().filter(|o| !o.is_null()) {
                    let md = LLVMValueAsMetadata(op);
                    if md != node {
                        list_ops.push(md);
                    }
                }
            }
            let list = LLVMMDNodeInContext2(ctx, list_ops.as_mut_ptr(), list_ops.len());
            LLVMSetMetadata(self.0, kind, LLVMMetadataAsValue(ctx, list));
        }
    }
    /// Copies `from`'s `!<kind>` metadata (if it has one) onto this
    /// instruction.
    pub fn copy_md(self, from: Value, kind: &str) {
        unsafe {
            if LLVMIsAInstruction(from.0).is_null() {
                return;
            }
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let k = LLVMGetMDKindIDInContext(ctx, kind.as_ptr() as *const _, kind.len() as u32);
            let node = LLVMGetMetadata(from.0, k);
            if !node.is_null() {
                LLVMSetMetadata(self.0, k, node);
            }
        }
    }
    /// Attaches `!<kind> !{i64 n}` to this instruction (a number ferment
    /// gives it, read back by [`Value::md_int`]).
    pub fn set_md_int(self, kind: &str, n: i64) {
        unsafe {
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let k = LLVMGetMDKindIDInContext(ctx, kind.as_ptr() as *const _, kind.len() as u32);
            let c = LLVMConstInt(LLVMInt64TypeInContext(ctx), n as u64, 1);
            let mut ops = [LLVMValueAsMetadata(c)];
            let node = LLVMMDNodeInContext2(ctx, ops.as_mut_ptr(), 1);
            LLVMSetMetadata(self.0, k, LLVMMetadataAsValue(ctx, node));
        }
    }
    /// Attaches `!<kind> !{i64 n0, i64 n1, ...}` to this instruction (read
    /// back by [`Value::md_ints`]).
    pub fn set_md_ints(self, kind: &str, ns: &[i64]) {
        unsafe {
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let k = LLVMGetMDKindIDInContext(ctx, kind.as_ptr() as *const _, kind.len() as u32);
            let i64t = LLVMInt64TypeInContext(ctx);
            let mut ops: Vec<_> = ns
                .iter()
                .map(|n| LLVMValueAsMetadata(LLVMConstInt(i64t, *n as u64, 1)))
                .collect();
            let node = LLVMMDNodeInContext2(ctx, ops.as_mut_ptr(), ops.len());
            LLVMSetMetadata(self.0, k, LLVMMetadataAsValue(ctx, node));
        }
    }
    /// The numbers [`Value::set_md_ints`] attached under `kind`, if any.
    pub fn md_ints(self, kind: &str) -> Option<Vec<i64>> {
        unsafe {
            if LLVMIsAInstruction(self.0).is_null() {
                return None;
            }
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let k = LLVMGetMDKindIDInContext(ctx, kind.as_ptr() as *const _, kind.len() as u32);
            let node = LLVMGetMetadata(self.0, k);
            if node.is_null() {
                return None;
            }
            let n = LLVMGetMDNodeNumOperands(node) as usize;
            let mut ops = vec![std::ptr::null_mut(); n];
            LLVMGetMDNodeOperands(node, ops.as_mut_ptr());
            ops.into_iter()
                .map(|o| {
                    (!o.is_null() && !LLVMIsAConstantInt(o).is_null())
                        .then(|| LLVMConstIntGetSExtValue(o))
                })
                .collect()
        }
    }
    /// The number [`Value::set_md_int`] attached under `kind`, if any.
    pub fn md_int(self, kind: &str) -> Option<i64> {
        match self.md_ints(kind)?[..] {
            [n] => Some(n),
            _ => None,
        }
    }
    /// Removes this instruction's `!<kind>` metadata, if any.
    pub fn remove_md(self, kind: &str) {
        unsafe {
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let k = LLVMGetMDKindIDInContext(ctx, kind.as_ptr() as *const _, kind.len() as u32);
            LLVMSetMetadata(self.0, k, std::ptr::null_mut());
        }
    }
    /// Whether this instruction's `!alias.scope` list names the scope `name`
    /// (one [`Value::set_alias_scope`] put it in).
    pub fn in_alias_scope(self, name: &str) -> bool {
        unsafe {
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let kind_name = "alias.scope";
            let kind = LLVMGetMDKindIDInContext(
                ctx,
                kind_name.as_ptr() as *const _,
                kind_name.len() as u32,
            );
            let list = LLVMGetMetadata(self.0, kind);
            if list.is_null() {
                return false;
            }
            let count = LLVMGetMDNodeNumOperands(list) as usize;
            let mut scopes = vec![std::ptr::null_mut(); count];
            LLVMGetMDNodeOperands(list, scopes.as_mut_ptr());
            scopes.into_iter().filter(|s| !s.is_null()).any(|scope| {
                if LLVMGetMDNodeNumOperands(scope) == 0 {
                    return false;
                }
                let n = LLVMGetMDNodeNumOperands(scope) as usize;
                let mut ops = vec![std::ptr::null_mut(); n];
                LLVMGetMDNodeOperands(scope, ops.as_mut_ptr());
                let first = ops[0];
                if first.is_null() {
                    return false;
                }
                let mut len = 0u32;
                let s = LLVMGetMDString(first, &mut len);
                !s.is_null()
                    && std::slice::from_raw_parts(s as *const u8, len as usize) == name.as_bytes()
            })
        }
    }
    /// Attaches `!enzyme_shadow !{ptr @shadow}` to this global variable
    /// (what [`Value::user_shadow`] reads).
    pub fn set_user_shadow(self, shadow: Value) {
        const KIND: &str = "enzyme_shadow";
        unsafe {
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let kind = LLVMGetMDKindIDInContext(ctx, KIND.as_ptr() as *const _, KIND.len() as u32);
            let mut ops = [LLVMValueAsMetadata(shadow.0)];
            let node = LLVMMDNodeInContext2(ctx, ops.as_mut_ptr(), 1);
            LLVMGlobalSetMetadata(self.0, kind, node);
        }
    }
    /// Whether the function's floating-point arithmetic may be contracted
    /// into FMAs: it calls `llvm.fmuladd` (clang's `-ffp-contract=on`) or
    /// carries the `contract` flag (`-ffp-contract=fast`, flang's default).
    pub fn allows_fp_contraction(self) -> bool {
        self.instructions().into_iter().any(|i| {
            if i.is_call() {
                return i
                    .called_function()
                    .is_some_and(|f| f.name().starts_with("llvm.fmuladd"));
            }
            unsafe {
                LLVMCanValueUseFastMathFlags(i.0) != 0
                    && LLVMGetFastMathFlags(i.0) & llvm_sys::LLVMFastMathAllowContract != 0
            }
        })
    }
    pub fn is_global_value(self) -> bool {
        unsafe { !LLVMIsAGlobalValue(self.0).is_null() }
    }
    pub fn is_constant_expr(self) -> bool {
        unsafe { !LLVMIsAConstantExpr(self.0).is_null() }
    }
    pub fn is_call(self) -> bool {
        unsafe { !LLVMIsACallInst(self.0).is_null() || !LLVMIsAInvokeInst(self.0).is_null() }
    }
    pub fn is_undef(self) -> bool {
        unsafe { LLVMIsUndef(self.0) != 0 || !LLVMIsAPoisonValue(self.0).is_null() }
    }
    pub fn is_metadata_as_value(self) -> bool {
        unsafe { !LLVMIsAMDString(self.0).is_null() || !LLVMIsAMDNode(self.0).is_null() }
    }

    /// The value of a floating-point constant, if it is one.
    pub fn const_float(self) -> Option<f64> {
        unsafe {
            if LLVMIsAConstantFP(self.0).is_null() {
                return None;
            }
            let mut lost = 0;
            Some(LLVMConstRealGetDouble(self.0, &mut lost))
        }
    }

    /// Element `i` of a constant aggregate or vector, where there is one.
    pub fn aggregate_element(self, i: u32) -> Option<Value> {
        if !self.is_constant() {
            return None;
        }
        let e = unsafe { LLVMGetAggregateElement(self.0, i) };
        (!e.is_null()).then_some(Value(e))
    }

    /// The value of a floating-point constant, or of every lane of a vector
    /// constant whose lanes are all that value.
    pub fn splat_float(self) -> Option<f64> {
        if let Some(x) = self.const_float() {
            return Some(x);
        }
        if !self.is_constant() || !self.ty().is_vector() {
            return None;
        }
        let n = self.ty().vector_len();
        let mut value = None;
        for i in 0..n {
            let e = Value(unsafe { LLVMGetAggregateElement(self.0, i) });
            if e.0.is_null() {
                return None;
            }
            let x = e.const_float()?;
            match value {
                None => value = Some(x),
                Some(v) if v.to_bits() == x.to_bits() => {}
                Some(_) => return None,
            }
        }
        value
    }

    pub fn const_int(self) -> Option<i64> {
        unsafe {
            if LLVMIsAConstantInt(self.0).is_null() {
                return None;
            }
            Some(LLVMConstIntGetSExtValue(self.0))
        }
    }

    // ---- instructions ----
    pub fn opcode(self) -> Opcode {
        unsafe {
            if self.is_constant_expr() {
                LLVMGetConstOpcode(self.0)
            } else {
                LLVMGetInstructionOpcode(self.0)
            }
        }
    }
    pub fn num_operands(self) -> usize {
        unsafe { LLVMGetNumOperands(self.0).max(0) as usize }
    }
    pub fn operand(self, i: usize) -> Value {
        Value(unsafe { LLVMGetOperand(self.0, i as u32) })
    }
    pub fn operands(self) -> Vec<Value> {
        (0..self.num_operands()).map(|i| self.operand(i)).collect()
    }
    pub fn set_operand(self, i: usize, v: Value) {
        unsafe { LLVMSetOperand(self.0, i as u32, v.0) }
    }
    pub fn parent(self) -> Block {
        Block(unsafe { LLVMGetInstructionParent(self.0) })
    }
    pub fn next_instruction(self) -> Option<Value> {
        let n = unsafe { LLVMGetNextInstruction(self.0) };
        (!n.is_null()).then_some(Value(n))
    }
    pub fn prev_instruction(self) -> Option<Value> {
        let n = unsafe { LLVMGetPreviousInstruction(self.0) };
        (!n.is_null()).then_some(Value(n))
    }
    /// Moves this instruction (same block or another) to just before `at`.
    pub fn move_before(self, at: Value) {
        unsafe {
            LLVMInstructionRemoveFromParent(self.0);
            let b = LLVMCreateBuilderInContext(LLVMGetTypeContext(LLVMTypeOf(self.0)));
            LLVMPositionBuilderBefore(b, at.0);
            LLVMInsertIntoBuilder(b, self.0);
            LLVMDisposeBuilder(b);
        }
    }
    /// Whether this call site, or the function it calls, is marked as
    /// accessing no memory (`memory(none)`).
    pub fn call_accesses_no_memory(self) -> bool {
        unsafe {
            let name = "memory";
            let kind = LLVMGetEnumAttributeKindForName(name.as_ptr() as *const _, name.len());
            let index = llvm_sys::LLVMAttributeFunctionIndex;
            let mut a = LLVMGetCallSiteEnumAttribute(self.0, index, kind);
            if a.is_null() {
                if let Some(f) = self.called_function() {
                    a = LLVMGetEnumAttributeAtIndex(f.0, index, kind);
                }
            }
            !a.is_null() && LLVMGetEnumAttributeValue(a) == 0
        }
    }
    /// The `align` attribute of this call site's argument `i` (0-based),
    /// or 1 where it has none.
    pub fn call_arg_align(self, i: u32) -> u64 {
        unsafe {
            let name = "align";
            let kind = LLVMGetEnumAttributeKindForName(name.as_ptr() as *const _, name.len());
            let a = LLVMGetCallSiteEnumAttribute(self.0, i + 1, kind);
            if a.is_null() {
                1
            } else {
                LLVMGetEnumAttributeValue(a).max(1)
            }
        }
    }
    /// The encoded `memory` effects of this call site (2 bits per location,
    /// LLVM's `MemoryEffects`), the call site's and its callee's combined;
    /// `None` when neither carries the attribute (any effect).
    pub fn call_memory_effects(self) -> Option<u64> {
        unsafe {
            let name = "memory";
            let kind = LLVMGetEnumAttributeKindForName(name.as_ptr() as *const _, name.len());
            let index = llvm_sys::LLVMAttributeFunctionIndex;
            let site = LLVMGetCallSiteEnumAttribute(self.0, index, kind);
            let callee = self
                .called_function()
                .map(|f| LLVMGetEnumAttributeAtIndex(f.0, index, kind))
                .filter(|a| !a.is_null());
            match (site.is_null(), callee) {
                (true, None) => None,
                (false, None) => Some(LLVMGetEnumAttributeValue(site)),
                (true, Some(a)) => Some(LLVMGetEnumAttributeValue(a)),
                (false, Some(a)) => {
                    Some(LLVMGetEnumAttributeValue(site) & LLVMGetEnumAttributeValue(a))
                }
            }
        }
    }
    /// The lanes a `shufflevector` selects (-1 for undefined lanes).
    pub fn shuffle_mask(self) -> Vec<i32> {
        let n = unsafe { LLVMGetNumMaskElements(self.0) };
        (0..n)
            .map(|i| unsafe { LLVMGetMaskValue(self.0, i) })
            .collect()
    }
    /// Whether an `add`/`sub`/`mul`/`shl` has the `nsw` (no signed wrap)
    /// flag.
    pub fn has_nsw(self) -> bool {
        unsafe { LLVMGetNSW(self.0) != 0 }
    }
    /// Whether an `add`/`sub`/`mul`/`shl` has the `nuw` (no unsigned wrap)
    /// flag.
    pub fn has_nuw(self) -> bool {
        unsafe { LLVMGetNUW(self.0) != 0 }
    }
    /// Sets or clears the `nsw` flag of an `add`/`sub`/`mul`/`shl`/`trunc`.
    pub fn set_nsw(self, on: bool) {
        unsafe { LLVMSetNSW(self.0, on as i32) }
    }
    /// Sets or clears the `nuw` flag of an `add`/`sub`/`mul`/`shl`/`trunc`.
    pub fn set_nuw(self, on: bool) {
        unsafe { LLVMSetNUW(self.0, on as i32) }
    }
    /// Whether a `zext`/`uitofp` has the `nneg` flag.
    pub fn has_nneg(self) -> bool {
        unsafe { LLVMGetNNeg(self.0) != 0 }
    }
    /// Sets or clears the `nneg` flag of a `zext`/`uitofp`.
    pub fn set_nneg(self, on: bool) {
        unsafe { LLVMSetNNeg(self.0, on as i32) }
    }
    /// Alignment of a load, store or alloca.
    pub fn alignment(self) -> u32 {
        unsafe { LLVMGetAlignment(self.0) }
    }
    /// The operation of an `atomicrmw` (`None` for other instructions).
    pub fn atomic_rmw_op(self) -> Option<llvm_sys::LLVMAtomicRMWBinOp> {
        unsafe { (!LLVMIsAAtomicRMWInst(self.0).is_null()).then(|| LLVMGetAtomicRMWBinOp(self.0)) }
    }
    /// The address space of a pointer-typed value.
    pub fn address_space(self) -> u32 {
        unsafe { LLVMGetPointerAddressSpace(LLVMTypeOf(self.0)) }
    }
    /// A detached copy of this instruction (same operands).
    pub fn clone_instruction(self) -> Value {
        Value(unsafe { LLVMInstructionClone(self.0) })
    }
    pub fn erase(self) {
        unsafe { LLVMInstructionEraseFromParent(self.0) }
    }
    pub fn replace_all_uses_with(self, with: Value) {
        unsafe { LLVMReplaceAllUsesWith(self.0, with.0) }
    }
    pub fn users(self) -> Vec<Value> {
        let mut out = Vec::new();
        unsafe {
            let mut u = LLVMGetFirstUse(self.0);
            while !u.is_null() {
                out.push(Value(LLVMGetUser(u)));
                u = LLVMGetNextUse(u);
            }
        }
        out
    }
    /// Whether a load or store is volatile or atomic (not a plain access).
    pub fn is_volatile_or_atomic(self) -> bool {
        unsafe {
            LLVMGetVolatile(self.0) != 0
                || LLVMGetOrdering(self.0)
                    != llvm_sys::LLVMAtomicOrdering::LLVMAtomicOrderingNotAtomic
        }
    }
    /// The type an `alloca` allocates (one element of it).
    pub fn allocated_type(self) -> Type {
        Type(unsafe { LLVMGetAllocatedType(self.0) })
    }
    pub fn has_uses(self) -> bool {
        unsafe { !LLVMGetFirstUse(self.0).is_null() }
    }
    pub fn fcmp_predicate(self) -> RealPredicate {
        unsafe { LLVMGetFCmpPredicate(self.0) }
    }
    /// The predicate of an `icmp` (None for anything else).
    pub fn icmp_predicate(self) -> Option<crate::IntPredicate> {
        (self.opcode() == Opcode::LLVMICmp).then(|| unsafe { LLVMGetICmpPredicate(self.0) })
    }
    /// The source element type of a `getelementptr` (None for anything else).
    pub fn gep_source_element_type(self) -> Option<Type> {
        (self.opcode() == Opcode::LLVMGetElementPtr)
            .then(|| Type(unsafe { LLVMGetGEPSourceElementType(self.0) }))
    }
    pub fn is_terminator(self) -> bool {
        unsafe { !LLVMIsATerminatorInst(self.0).is_null() }
    }
    pub fn successors(self) -> Vec<Block> {
        let n = unsafe { LLVMGetNumSuccessors(self.0) };
        (0..n)
            .map(|i| Block(unsafe { LLVMGetSuccessor(self.0, i) }))
            .collect()
    }
    pub fn incoming(self) -> Vec<(Value, Block)> {
        let n = unsafe { LLVMCountIncoming(self.0) };
        (0..n)
            .map(|i| unsafe {
                (
                    Value(LLVMGetIncomingValue(self.0, i)),
                    Block(LLVMGetIncomingBlock(self.0, i)),
                )
            })
            .collect()
    }
    pub fn add_incoming(self, v: Value, b: Block) {
        let mut vs = [v.0];
        let mut bs = [b.0];
        unsafe { LLVMAddIncoming(self.0, vs.as_mut_ptr(), bs.as_mut_ptr(), 1) }
    }
    pub fn extract_indices(self) -> Vec<u32> {
        let n = unsafe { LLVMGetNumIndices(self.0) } as usize;
        let p = unsafe { LLVMGetIndices(self.0) };
        if p.is_null() {
            return Vec::new();
        }
        unsafe { std::slice::from_raw_parts(p, n) }.to_vec()
    }

    // ---- calls ----
    /// Operand that is called (possibly a cast or a non-function value).
    pub fn called_operand(self) -> Value {
        Value(unsafe { LLVMGetCalledValue(self.0) })
    }
    /// The function called, looking through pointer casts.
    pub fn called_function(self) -> Option<Value> {
        let c = self.called_operand().strip_casts();
        c.is_function().then_some(c)
    }
    /// The name of the function called (looking through pointer casts), or
    /// the empty string for an indirect call.
    pub fn called_name(self) -> String {
        self.called_function().map(|f| f.name()).unwrap_or_default()
    }
    pub fn called_fn_type(self) -> Type {
        Type(unsafe { LLVMGetCalledFunctionType(self.0) })
    }
    pub fn num_call_args(self) -> usize {
        unsafe { LLVMGetNumArgOperands(self.0) as usize }
    }
    pub fn call_args(self) -> Vec<Value> {
        (0..self.num_call_args()).map(|i| self.operand(i)).collect()
    }
    pub fn is_invoke(self) -> bool {
        unsafe { !LLVMIsAInvokeInst(self.0).is_null() }
    }
    /// Sets successor `i` of a terminator (for an invoke, 0 is the normal
    /// destination and 1 the unwind destination).
    pub fn set_successor(self, i: u32, b: Block) {
        unsafe { LLVMSetSuccessor(self.0, i, b.0) }
    }

    /// Whether this is a constant null (zero) value of any type.
    pub fn is_null_constant(self) -> bool {
        self.is_constant() && unsafe { LLVMIsNull(self.0) != 0 }
    }

    /// This value without sign or zero extensions (instructions).
    pub fn strip_int_ext(self) -> Value {
        let mut v = self;
        while v.is_instruction() && matches!(v.opcode(), Opcode::LLVMSExt | Opcode::LLVMZExt) {
            v = v.operand(0);
        }
        v
    }

    /// Looks through bitcast/addrspacecast/ptrtoint/inttoptr (instructions
    /// and constant expressions).
    pub fn strip_casts(self) -> Value {
        let mut v = self;
        for _ in 0..64 {
            if v.is_constant_expr() || v.is_instruction() {
                match v.opcode() {
                    Opcode::LLVMBitCast
                    | Opcode::LLVMAddrSpaceCast
                    | Opcode::LLVMPtrToInt
                    | Opcode::LLVMIntToPtr => {
                        v = v.operand(0);
                        continue;
                    }
                    _ => {}
                }
            }
            break;
        }
        v
    }

    // ---- functions ----
    pub fn params(self) -> Vec<Value> {
        let n = unsafe { LLVMCountParams(self.0) };
        (0..n)
            .map(|i| Value(unsafe { LLVMGetParam(self.0, i) }))
            .collect()
    }
    pub fn blocks(self) -> Vec<Block> {
        let mut out = Vec::new();
        unsafe {
            let mut b = LLVMGetFirstBasicBlock(self.0);
            while !b.is_null() {
                out.push(Block(b));
                b = LLVMGetNextBasicBlock(b);
            }
        }
        out
    }
    pub fn entry_block(self) -> Block {
        Block(unsafe { LLVMGetEntryBasicBlock(self.0) })
    }
    pub fn is_declaration(self) -> bool {
        unsafe { LLVMIsDeclaration(self.0) != 0 }
    }
    /// The function's own type (not the pointer type).
    pub fn global_value_type(self) -> Type {
        Type(unsafe { LLVMGlobalGetValueType(self.0) })
    }
    pub fn append_block(self, name: &str) -> Block {
        let c = crate::cstr(name);
        Block(unsafe {
            LLVMAppendBasicBlockInContext(
                LLVMGetTypeContext(LLVMTypeOf(self.0)),
                self.0,
                c.as_ptr(),
            )
        })
    }
    /// A new block inserted before `before` (e.g. a new entry block).
    pub fn insert_block_before(self, before: Block, name: &str) -> Block {
        let c = crate::cstr(name);
        Block(unsafe {
            LLVMInsertBasicBlockInContext(
                LLVMGetTypeContext(LLVMTypeOf(self.0)),
                before.0,
                c.as_ptr(),
            )
        })
    }
    pub fn delete_function(self) {
        unsafe { LLVMDeleteFunction(self.0) }
    }
    pub fn delete_global(self) {
        unsafe { LLVMDeleteGlobal(self.0) }
    }
    pub fn global_parent(self) -> crate::Module {
        crate::Module(unsafe { LLVMGetGlobalParent(self.0) })
    }
    /// Makes a global variable thread-local (general-dynamic model).
    pub fn set_thread_local(self) {
        unsafe { LLVMSetThreadLocal(self.0, 1) }
    }
    /// Weak linkage: the linker keeps one definition of this name across
    /// the program's objects.
    pub fn set_weak(self) {
        unsafe { LLVMSetLinkage(self.0, llvm_sys::LLVMLinkage::LLVMWeakAnyLinkage) }
    }
    /// Internal or private linkage: nothing outside the module can refer
    /// to this global.
    pub fn has_local_linkage(self) -> bool {
        matches!(
            unsafe { LLVMGetLinkage(self.0) },
            llvm_sys::LLVMLinkage::LLVMInternalLinkage | llvm_sys::LLVMLinkage::LLVMPrivateLinkage
        )
    }
    /// `linkonce_odr` linkage and hidden visibility: the linker keeps one
    /// definition of this name per linked object (a run time every
    /// translation unit may carry), and drops it where nothing uses it.
    pub fn set_linkonce_odr_hidden(self) {
        unsafe {
            LLVMSetLinkage(self.0, llvm_sys::LLVMLinkage::LLVMLinkOnceODRLinkage);
            LLVMSetVisibility(self.0, llvm_sys::LLVMVisibility::LLVMHiddenVisibility);
        }
    }
    pub fn set_internal(self) {
        unsafe { LLVMSetLinkage(self.0, llvm_sys::LLVMLinkage::LLVMInternalLinkage) }
    }
    /// `extern_weak` linkage of a declaration: its address is null where
    /// no linked object defines it.
    pub fn set_extern_weak(self) {
        unsafe { LLVMSetLinkage(self.0, llvm_sys::LLVMLinkage::LLVMExternalWeakLinkage) }
    }
    /// Turns a global declaration into an internal, zero-initialized
    /// definition.
    pub fn define_private_zero(self) {
        unsafe {
            let ty = LLVMGlobalGetValueType(self.0);
            LLVMSetInitializer(self.0, LLVMConstNull(ty));
            LLVMSetLinkage(self.0, llvm_sys::LLVMLinkage::LLVMInternalLinkage);
        }
    }
    pub fn global_initializer(self) -> Option<Value> {
        let v = unsafe { LLVMGetInitializer(self.0) };
        (!v.is_null()).then_some(Value(v))
    }
    /// Instructions of the function in block order.
    pub fn instructions(self) -> Vec<Value> {
        self.blocks()
            .into_iter()
            .flat_map(|b| b.instructions())
            .collect()
    }
    /// The string attribute `key` of parameter `i` of this function.
    pub fn param_string_attribute(self, i: u32, key: &str) -> Option<String> {
        unsafe {
            let a = LLVMGetStringAttributeAtIndex(
                self.0,
                i + 1,
                key.as_ptr() as *const _,
                key.len() as u32,
            );
            if a.is_null() {
                return None;
            }
            let mut len = 0u32;
            let p = LLVMGetStringAttributeValue(a, &mut len);
            let bytes = std::slice::from_raw_parts(p as *const u8, len as usize);
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
    }
    /// Adds the string attribute `key`=`value` to parameter `i` of this
    /// function.
    pub fn add_param_string_attribute(self, i: u32, key: &str, value: &str) {
        unsafe {
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let a = LLVMCreateStringAttribute(
                ctx,
                key.as_ptr() as *const _,
                key.len() as u32,
                value.as_ptr() as *const _,
                value.len() as u32,
            );
            LLVMAddAttributeAtIndex(self.0, i + 1, a);
        }
    }
    pub fn add_string_attribute(self, key: &str, value: &str) {
        unsafe {
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let a = LLVMCreateStringAttribute(
                ctx,
                key.as_ptr() as *const _,
                key.len() as u32,
                value.as_ptr() as *const _,
                value.len() as u32,
            );
            LLVMAddAttributeAtIndex(self.0, llvm_sys::LLVMAttributeFunctionIndex, a);
        }
    }
    /// Adds the enum attribute `name` (with `value`, e.g. the encoded
    /// `memory` effects, 0 = `memory(none)`) to a call site's function
    /// attributes, replacing one of the same kind.
    pub fn add_call_enum_attribute(self, name: &str, value: u64) {
        unsafe {
            let kind = LLVMGetEnumAttributeKindForName(name.as_ptr() as *const _, name.len());
            if kind == 0 {
                return;
            }
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let a = LLVMCreateEnumAttribute(ctx, kind, value);
            LLVMAddCallSiteAttribute(self.0, llvm_sys::LLVMAttributeFunctionIndex, a);
        }
    }
    /// Adds the enum function attribute `name` (e.g. `convergent`) to a
    /// function.
    pub fn add_fn_enum_attribute(self, name: &str) {
        unsafe {
            let kind = LLVMGetEnumAttributeKindForName(name.as_ptr() as *const _, name.len());
            if kind == 0 {
                return;
            }
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let a = LLVMCreateEnumAttribute(ctx, kind, 0);
            LLVMAddAttributeAtIndex(self.0, llvm_sys::LLVMAttributeFunctionIndex, a);
        }
    }
    /// For an `atomicrmw fadd` / `fsub`: the sign of the added value (+1 /
    /// -1); None for other operations.
    pub fn atomic_float_add_sign(self) -> Option<f64> {
        use llvm_sys::LLVMAtomicRMWBinOp::*;
        if self.opcode() != Opcode::LLVMAtomicRMW {
            return None;
        }
        match unsafe { LLVMGetAtomicRMWBinOp(self.0) } {
            LLVMAtomicRMWBinOpFAdd => Some(1.0),
            LLVMAtomicRMWBinOpFSub => Some(-1.0),
            _ => None,
        }
    }
    /// Adds the string attribute `key`=`value` to a call site.
    pub fn add_call_string_attribute(self, key: &str, value: &str) {
        unsafe {
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let a = LLVMCreateStringAttribute(
                ctx,
                key.as_ptr() as *const _,
                key.len() as u32,
                value.as_ptr() as *const _,
                value.len() as u32,
            );
            LLVMAddCallSiteAttribute(self.0, llvm_sys::LLVMAttributeFunctionIndex, a);
        }
    }
    /// The value of a call site's string attribute `key`.
    pub fn call_string_attribute(self, key: &str) -> Option<String> {
        unsafe {
            let a = LLVMGetCallSiteStringAttribute(
                self.0,
                llvm_sys::LLVMAttributeFunctionIndex,
                key.as_ptr() as *const _,
                key.len() as u32,
            );
            if a.is_null() {
                return None;
            }
            let mut len = 0u32;
            let p = LLVMGetStringAttributeValue(a, &mut len);
            let bytes = std::slice::from_raw_parts(p as *const u8, len as usize);
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
    }
    /// Whether a call site carries the string attribute `key`.
    pub fn has_call_string_attribute(self, key: &str) -> bool {
        unsafe {
            !LLVMGetCallSiteStringAttribute(
                self.0,
                llvm_sys::LLVMAttributeFunctionIndex,
                key.as_ptr() as *const _,
                key.len() as u32,
            )
            .is_null()
        }
    }
    /// Whether parameter `i` of this function is marked `noalias` (C's
    /// `restrict`).
    /// Whether this function has the enum function attribute `name`
    /// (`null_pointer_is_valid`, `nounwind`, ...).
    pub fn has_fn_enum_attribute(self, name: &str) -> bool {
        unsafe {
            let kind = LLVMGetEnumAttributeKindForName(name.as_ptr() as *const _, name.len());
            kind != 0
                && !LLVMGetEnumAttributeAtIndex(self.0, llvm_sys::LLVMAttributeFunctionIndex, kind)
                    .is_null()
        }
    }
    /// Whether parameter `i` of this function has the enum attribute `name`
    /// (`readonly`, `noalias`, ...).
    pub fn param_has_attribute(self, i: u32, name: &str) -> bool {
        unsafe {
            let kind = LLVMGetEnumAttributeKindForName(name.as_ptr() as *const _, name.len());
            !LLVMGetEnumAttributeAtIndex(self.0, i + 1, kind).is_null()
        }
    }
    /// The type carried by the type attribute `name` (`sret`, `byval`, ...)
    /// of parameter `i` of this function, if it has one.
    pub fn param_type_attribute(self, i: u32, name: &str) -> Option<Type> {
        unsafe {
            let kind = LLVMGetEnumAttributeKindForName(name.as_ptr() as *const _, name.len());
            let a = LLVMGetEnumAttributeAtIndex(self.0, i + 1, kind);
            if a.is_null() || LLVMIsTypeAttribute(a) == 0 {
                return None;
            }
            Some(Type(LLVMGetTypeAttributeValue(a)))
        }
    }
    /// The byte count of parameter `i`'s `dereferenceable(N)` attribute of
    /// this function, if it has one.
    pub fn param_dereferenceable(self, i: u32) -> Option<u64> {
        let name = "dereferenceable";
        unsafe {
            let kind = LLVMGetEnumAttributeKindForName(name.as_ptr() as *const _, name.len());
            let a = LLVMGetEnumAttributeAtIndex(self.0, i + 1, kind);
            (!a.is_null()).then(|| LLVMGetEnumAttributeValue(a))
        }
    }
    /// Whether parameter `i` of this function is `captures(none)`: the
    /// function keeps no copy of the pointer beyond the call.
    pub fn param_captures_none(self, i: u32) -> bool {
        let name = "captures";
        unsafe {
            let kind = LLVMGetEnumAttributeKindForName(name.as_ptr() as *const _, name.len());
            let a = LLVMGetEnumAttributeAtIndex(self.0, i + 1, kind);
            !a.is_null() && LLVMGetEnumAttributeValue(a) == 0
        }
    }
    /// Adds the enum attribute `name` (without a value: `noalias`,
    /// `nocapture`...) to parameter `i` of this function.
    pub fn add_param_enum_attribute(self, i: u32, name: &str) {
        unsafe {
            let kind = LLVMGetEnumAttributeKindForName(name.as_ptr() as *const _, name.len());
            if kind == 0 {
                return;
            }
            let ctx = LLVMGetTypeContext(LLVMTypeOf(self.0));
            let a = LLVMCreateEnumAttribute(ctx, kind, 0);
            LLVMAddAttributeAtIndex(self.0, i + 1, a);
        }
    }
    pub fn param_is_noalias(self, i: u32) -> bool {
        let name = "noalias";
        unsafe {
            let kind = LLVMGetEnumAttributeKindForName(name.as_ptr() as *const _, name.len());
            !LLVMGetEnumAttributeAtIndex(self.0, i + 1, kind).is_null()
        }
    }
    pub fn string_attribute(self, key: &str) -> Option<String> {
        unsafe {
            let a = LLVMGetStringAttributeAtIndex(
                self.0,
                llvm_sys::LLVMAttributeFunctionIndex,
                key.as_ptr() as *const _,
                key.len() as u32,
            );
            if a.is_null() {
                return None;
            }
            let mut len = 0u32;
            let p = LLVMGetStringAttributeValue(a, &mut len);
            let bytes = std::slice::from_raw_parts(p as *const u8, len as usize);
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
    }

    /// The text of a constant C string: a global holding `c"...\00"`, or the
    /// constant data itself (looking through casts).
    pub fn c_string(self) -> Option<String> {
        let v = self.strip_casts();
        let data = if unsafe { !LLVMIsAGlobalVariable(v.0).is_null() } {
            v.global_initializer()?
        } else {
            v
        };
        unsafe {
            if LLVMIsAConstantDataSequential(data.0).is_null() {
                return None;
            }
            let mut len = 0usize;
            let p = LLVMGetAsString(data.0, &mut len);
            if p.is_null() {
                return None;
            }
            let bytes = std::slice::from_raw_parts(p as *const u8, len);
            let text = bytes.split(|&c| c == 0).next().unwrap_or(&[]);
            Some(String::from_utf8_lossy(text).into_owned())
        }
    }

    /// The metadata string wrapped by a `metadata !"..."` operand, if any.
    pub fn metadata_string(self) -> Option<String> {
        if !self.is_metadata_as_value() {
            return None;
        }
        let mut len = 0u32;
        let p = unsafe { LLVMGetMDString(self.0, &mut len) };
        if p.is_null() {
            return None;
        }
        let bytes = unsafe { std::slice::from_raw_parts(p as *const u8, len as usize) };
        Some(String::from_utf8_lossy(bytes).into_owned())
    }

    // ---- debug locations ----
    /// `file:line:col` of an instruction (or `file:line` of a function), when
    /// the module has debug info.
    pub fn source_location(self) -> Option<String> {
        unsafe {
            if !self.is_instruction() && !self.is_function() {
                return None;
            }
            if self.is_instruction() && LLVMInstructionGetDebugLoc(self.0).is_null() {
                return None;
            }
            if self.is_function() && LLVMGetSubprogram(self.0).is_null() {
                return None;
            }
            let mut len = 0u32;
            let f = LLVMGetDebugLocFilename(self.0, &mut len);
            if f.is_null() || len == 0 {
                return None;
            }
            let file =
                String::from_utf8_lossy(std::slice::from_raw_parts(f as *const u8, len as usize))
                    .into_owned();
            let line = LLVMGetDebugLocLine(self.0);
            if self.is_instruction() {
                let col = LLVMGetDebugLocColumn(self.0);
                if col > 0 {
                    return Some(format!("{file}:{line}:{col}"));
                }
            }
            Some(format!("{file}:{line}"))
        }
    }

    /// Drops this instruction's debug location (a clone moved into a
    /// function without debug info).
    pub fn clear_debug_loc(self) {
        unsafe { LLVMInstructionSetDebugLoc(self.0, std::ptr::null_mut()) }
    }

    /// Copies the debug location of `from` onto this instruction.
    pub fn copy_debug_loc(self, from: Value) {
        unsafe {
            let loc = LLVMInstructionGetDebugLoc(from.0);
            if !loc.is_null() {
                LLVMInstructionSetDebugLoc(self.0, loc);
            }
        }
    }

    pub fn function_of(self) -> Value {
        self.parent().parent()
    }
    /// The function a parameter belongs to.
    pub fn param_function(self) -> Value {
        Value(unsafe { LLVMGetParamParent(self.0) })
    }
    /// Whether this function is a GPU kernel entry (`ptx_kernel` or
    /// `amdgpu_kernel` calling convention).
    pub fn is_kernel(self) -> bool {
        // llvm::CallingConv::PTX_Kernel and AMDGPU_KERNEL.
        matches!(unsafe { LLVMGetFunctionCallConv(self.0) }, 71 | 91)
    }
}

impl Block {
    pub fn instructions(self) -> Vec<Value> {
        let mut out = Vec::new();
        unsafe {
            let mut i = LLVMGetFirstInstruction(self.0);
            while !i.is_null() {
                out.push(Value(i));
                i = LLVMGetNextInstruction(i);
            }
        }
        out
    }
    pub fn terminator(self) -> Option<Value> {
        let t = unsafe { LLVMGetBasicBlockTerminator(self.0) };
        (!t.is_null()).then_some(Value(t))
    }
    pub fn first_instruction(self) -> Option<Value> {
        let t = unsafe { LLVMGetFirstInstruction(self.0) };
        (!t.is_null()).then_some(Value(t))
    }
    /// First instruction that is not a phi.
    pub fn first_non_phi(self) -> Option<Value> {
        self.instructions()
            .into_iter()
            .find(|i| i.opcode() != Opcode::LLVMPHI)
    }
    /// Where code that belongs at the start of the block goes: after the
    /// phis and after a `landingpad` (which must stay the first non-phi
    /// instruction of an unwind destination).
    pub fn first_insertion_point(self) -> Option<Value> {
        let first = self.first_non_phi()?;
        if first.opcode() == Opcode::LLVMLandingPad {
            return first.next_instruction();
        }
        Some(first)
    }
    pub fn phis(self) -> Vec<Value> {
        self.instructions()
            .into_iter()
            .take_while(|i| i.opcode() == Opcode::LLVMPHI)
            .collect()
    }
    pub fn parent(self) -> Value {
        Value(unsafe { LLVMGetBasicBlockParent(self.0) })
    }
    pub fn as_value(self) -> Value {
        Value(unsafe { LLVMBasicBlockAsValue(self.0) })
    }
    pub fn name(self) -> String {
        let p = unsafe { LLVMGetBasicBlockName(self.0) };
        if p.is_null() {
            return String::new();
        }
        unsafe { std::ffi::CStr::from_ptr(p) }
            .to_string_lossy()
            .into_owned()
    }
    pub fn successors(self) -> Vec<Block> {
        self.terminator()
            .map(|t| t.successors())
            .unwrap_or_default()
    }
    pub fn move_after(self, other: Block) {
        unsafe { LLVMMoveBasicBlockAfter(self.0, other.0) }
    }
}

#[allow(dead_code)]
fn _assert_copy(_: LLVMValueRef) {}
