//! An owning IR builder with the handful of peepholes the derivative
//! generators rely on (multiplying by a constant one, adding a zero), so that
//! rules can be written plainly without littering the output.

use crate::{Block, Opcode, RealPredicate, Type, Value};
use llvm_sys::core::*;
use llvm_sys::debuginfo::LLVMInstructionGetDebugLoc;
use llvm_sys::prelude::*;
use llvm_sys::{
    LLVMFastMathAllowContract, LLVMFastMathAllowReassoc, LLVMFastMathAllowReciprocal,
    LLVMFastMathApproxFunc, LLVMFastMathNoSignedZeros,
};

pub struct Builder {
    raw: LLVMBuilderRef,
    ctx: LLVMContextRef,
    module: LLVMModuleRef,
    /// Mark `fadd`/`fsub`/`fmul` as contractable (fusable into FMAs).
    contract: std::cell::Cell<bool>,
    /// Mark floating-point arithmetic as freely reassociable, contractable,
    /// reciprocal-approximable and sign-of-zero insensitive.
    fast: std::cell::Cell<bool>,
    /// Whether the last positioning was [`Builder::at_end`] (then every
    /// instruction already in the insertion block precedes what is built).
    end: std::cell::Cell<bool>,
}

impl Drop for Builder {
    fn drop(&mut self) {
        unsafe { LLVMDisposeBuilder(self.raw) }
    }
}

const NONAME: *const std::os::raw::c_char = c"".as_ptr();

impl Builder {
    pub fn new(module: crate::Module) -> Builder {
        let ctx = module.context();
        Builder {
            raw: unsafe { LLVMCreateBuilderInContext(ctx) },
            ctx,
            module: module.0,
            contract: std::cell::Cell::new(false),
            fast: std::cell::Cell::new(false),
            end: std::cell::Cell::new(false),
        }
    }

    /// From now on, floating-point arithmetic this builder creates carries
    /// the fast-math flags `reassoc nsz arcp contract afn` (never `nnan` or
    /// `ninf`: a derivative may legitimately be infinite, and guards that
    /// test for zero or NaN must keep their meaning).
    pub fn set_fast_math(&self, on: bool) {
        self.fast.set(on);
    }

    /// From now on, floating-point adds, subtracts and multiplies this
    /// builder creates may be fused into FMAs by the backend (the
    /// `contract` flag), as the primal's own arithmetic may be under
    /// `-ffp-contract=on` (clang's default) or `fast` (flang's).
    pub fn set_contract(&self, on: bool) {
        self.contract.set(on);
    }

    /// A builder for code derived from `primal`: its arithmetic may be
    /// contracted exactly where the primal's may
    /// ([`Value::allows_fp_contraction`]).
    pub fn following(module: crate::Module, primal: Value) -> Builder {
        let b = Builder::new(module);
        b.set_contract(primal.allows_fp_contraction());
        b
    }

    fn fp_result(&self, v: LLVMValueRef) -> Value {
        let v = Value(v);
        if !v.is_instruction() {
            return v;
        }
        let mut flags = 0;
        if self.contract.get() {
            flags |= LLVMFastMathAllowContract;
        }
        if self.fast.get() {
            flags |= LLVMFastMathAllowReassoc
                | LLVMFastMathNoSignedZeros
                | LLVMFastMathAllowReciprocal
                | LLVMFastMathAllowContract
                | LLVMFastMathApproxFunc;
        }
        if flags != 0 {
            unsafe { LLVMSetFastMathFlags(v.0, LLVMGetFastMathFlags(v.0) | flags) }
        }
        v
    }

    pub fn context(&self) -> LLVMContextRef {
        self.ctx
    }
    pub fn module(&self) -> crate::Module {
        crate::Module(self.module)
    }

    // ---- positioning ----
    pub fn at_end(&self, b: Block) {
        self.end.set(true);
        unsafe { LLVMPositionBuilderAtEnd(self.raw, b.0) }
    }
    pub fn before(&self, i: Value) {
        self.end.set(false);
        unsafe { LLVMPositionBuilderBeforeInstrAndDbgRecords(self.raw, i.0) }
    }
    /// Whether the builder inserts at the end of its block (positioned by
    /// [`Builder::at_end`] and not moved since): every instruction of the
    /// block precedes, and so dominates, what it builds.
    pub fn is_at_end(&self) -> bool {
        self.end.get()
    }
    /// Positions right after `i` (after the phi group when `i` is a phi).
    pub fn after(&self, i: Value) {
        if i.is_invoke() {
            // An invoke's value exists from the start of its normal
            // destination on.
            if let Some(&normal) = i.successors().first() {
                match normal.first_insertion_point() {
                    Some(n) => self.before(n),
                    None => self.at_end(normal),
                }
                return;
            }
        }
        if i.opcode() == Opcode::LLVMPHI {
            match i.parent().first_insertion_point() {
                Some(n) => self.before(n),
                None => self.at_end(i.parent()),
            }
            return;
        }
        match i.next_instruction() {
            Some(n) => self.before(n),
            None => self.at_end(i.parent()),
        }
    }
    /// Positions after the phis of `b`, where a new phi goes (before a
    /// `landingpad`, unlike [`Builder::after`] a phi).
    pub fn after_phis(&self, b: Block) {
        match b.first_non_phi() {
            Some(i) => self.before(i),
            None => self.at_end(b),
        }
    }
    /// Positions before the first instruction of `b` (at its end if empty).
    pub fn at_start(&self, b: Block) {
        match b.first_instruction() {
            Some(i) => self.before(i),
            None => self.at_end(b),
        }
    }
    pub fn insert_block(&self) -> Block {
        Block(unsafe { LLVMGetInsertBlock(self.raw) })
    }
    pub fn set_debug_loc_from(&self, i: Value) {
        unsafe {
            let loc = LLVMInstructionGetDebugLoc(i.0);
            LLVMSetCurrentDebugLocation2(self.raw, loc);
        }
    }
    pub fn clear_debug_loc(&self) {
        unsafe { LLVMSetCurrentDebugLocation2(self.raw, std::ptr::null_mut()) }
    }

    // ---- constants ----
    pub fn const_real(&self, ty: Type, v: f64) -> Value {
        if ty.is_vector() {
            let s = self.const_real(ty.element_type(), v);
            let n = ty.vector_len();
            let mut elems = vec![s.0; n as usize];
            return Value(unsafe { LLVMConstVector(elems.as_mut_ptr(), n) });
        }
        Value(unsafe { LLVMConstReal(ty.0, v) })
    }
    pub fn zero(&self, ty: Type) -> Value {
        Value(unsafe { LLVMConstNull(ty.0) })
    }
    pub fn const_int(&self, ty: Type, v: i64) -> Value {
        Value(unsafe { LLVMConstInt(ty.0, v as u64, 1) })
    }
    pub fn undef(&self, ty: Type) -> Value {
        Value(unsafe { LLVMGetUndef(ty.0) })
    }
    pub fn poison(&self, ty: Type) -> Value {
        Value(unsafe { LLVMGetPoison(ty.0) })
    }
    pub fn i32(&self) -> Type {
        Type::int(self.ctx, 32)
    }
    pub fn i8(&self) -> Type {
        Type::int(self.ctx, 8)
    }
    pub fn i64(&self) -> Type {
        Type::int(self.ctx, 64)
    }

    // ---- floating-point arithmetic with peepholes ----
    fn is_const(v: Value, x: f64) -> bool {
        v.const_float() == Some(x)
    }
    fn is_zero(v: Value) -> bool {
        v.const_float() == Some(0.0)
            || unsafe { LLVMIsNull(v.0) != 0 && v.is_constant() && !v.ty().is_pointer() }
    }

    pub fn fadd(&self, a: Value, b: Value) -> Value {
        if Self::is_zero(a) {
            return b;
        }
        if Self::is_zero(b) {
            return a;
        }
        self.fp_result(unsafe { LLVMBuildFAdd(self.raw, a.0, b.0, NONAME) })
    }
    /// `a + b` for accumulating derivative contributions: the order of a
    /// sum of contributions is an artifact of the sweep, and the sign of a
    /// zero derivative carries no information, so the add may be
    /// reassociated (vectorized reductions) and `x + 0` folds to `x`.
    pub fn fadd_acc(&self, a: Value, b: Value) -> Value {
        let v = self.fadd(a, b);
        if v != a && v != b && v.is_instruction() {
            unsafe {
                LLVMSetFastMathFlags(
                    v.0,
                    LLVMGetFastMathFlags(v.0)
                        | LLVMFastMathAllowReassoc
                        | LLVMFastMathNoSignedZeros,
                )
            }
        }
        v
    }
    pub fn fsub(&self, a: Value, b: Value) -> Value {
        if Self::is_zero(b) {
            return a;
        }
        if Self::is_zero(a) {
            return self.fneg(b);
        }
        self.fp_result(unsafe { LLVMBuildFSub(self.raw, a.0, b.0, NONAME) })
    }
    pub fn fmul(&self, a: Value, b: Value) -> Value {
        if Self::is_const(a, 1.0) {
            return b;
        }
        if Self::is_const(b, 1.0) {
            return a;
        }
        if Self::is_const(a, -1.0) {
            return self.fneg(b);
        }
        if Self::is_const(b, -1.0) {
            return self.fneg(a);
        }
        self.fp_result(unsafe { LLVMBuildFMul(self.raw, a.0, b.0, NONAME) })
    }
    pub fn fdiv(&self, a: Value, b: Value) -> Value {
        if Self::is_const(b, 1.0) {
            return a;
        }
        self.fp_result(unsafe { LLVMBuildFDiv(self.raw, a.0, b.0, NONAME) })
    }
    pub fn fneg(&self, a: Value) -> Value {
        Value(unsafe { LLVMBuildFNeg(self.raw, a.0, NONAME) })
    }
    pub fn fcmp(&self, p: RealPredicate, a: Value, b: Value) -> Value {
        Value(unsafe { LLVMBuildFCmp(self.raw, p, a.0, b.0, NONAME) })
    }
    pub fn select(&self, c: Value, a: Value, b: Value) -> Value {
        Value(unsafe { LLVMBuildSelect(self.raw, c.0, a.0, b.0, NONAME) })
    }
    pub fn fpext(&self, v: Value, ty: Type) -> Value {
        Value(unsafe { LLVMBuildFPExt(self.raw, v.0, ty.0, NONAME) })
    }
    pub fn fptrunc(&self, v: Value, ty: Type) -> Value {
        Value(unsafe { LLVMBuildFPTrunc(self.raw, v.0, ty.0, NONAME) })
    }
    /// Converts a floating-point value to another floating-point type.
    pub fn fp_convert(&self, v: Value, ty: Type) -> Value {
        let (from, to) = (v.ty().scalar().float_bits(), ty.scalar().float_bits());
        if v.ty() == ty {
            v
        } else if from < to {
            self.fpext(v, ty)
        } else {
            self.fptrunc(v, ty)
        }
    }
    pub fn fptosi(&self, v: Value, ty: Type) -> Value {
        Value(unsafe { LLVMBuildFPToSI(self.raw, v.0, ty.0, NONAME) })
    }
    pub fn sitofp(&self, v: Value, ty: Type) -> Value {
        Value(unsafe { LLVMBuildSIToFP(self.raw, v.0, ty.0, NONAME) })
    }
    pub fn int_cast(&self, v: Value, ty: Type, signed: bool) -> Value {
        Value(unsafe { LLVMBuildIntCast2(self.raw, v.0, ty.0, signed as i32, NONAME) })
    }
    pub fn ptr_to_int(&self, v: Value, ty: Type) -> Value {
        Value(unsafe { LLVMBuildPtrToInt(self.raw, v.0, ty.0, NONAME) })
    }
    pub fn int_to_ptr(&self, v: Value, ty: Type) -> Value {
        Value(unsafe { LLVMBuildIntToPtr(self.raw, v.0, ty.0, NONAME) })
    }
    pub fn bitcast(&self, v: Value, ty: Type) -> Value {
        Value(unsafe { LLVMBuildBitCast(self.raw, v.0, ty.0, NONAME) })
    }
    pub fn sub_int(&self, a: Value, b: Value) -> Value {
        Value(unsafe { LLVMBuildSub(self.raw, a.0, b.0, NONAME) })
    }

    // ---- aggregates ----
    pub fn extract_value(&self, agg: Value, idx: u32) -> Value {
        Value(unsafe { LLVMBuildExtractValue(self.raw, agg.0, idx, NONAME) })
    }
    pub fn insert_value(&self, agg: Value, v: Value, idx: u32) -> Value {
        Value(unsafe { LLVMBuildInsertValue(self.raw, agg.0, v.0, idx, NONAME) })
    }
    /// `insertvalue` along a multi-index path (`agg.i.j = v`).
    pub fn insert_value_path(&self, agg: Value, path: &[u32], v: Value) -> Value {
        match path {
            [] => v,
            [i] => self.insert_value(agg, v, *i),
            [i, rest @ ..] => {
                let inner = self.extract_value(agg, *i);
                let inner = self.insert_value_path(inner, rest, v);
                self.insert_value(agg, inner, *i)
            }
        }
    }
    /// `extractvalue` along a multi-index path.
    pub fn extract_value_path(&self, agg: Value, path: &[u32]) -> Value {
        path.iter().fold(agg, |a, &i| self.extract_value(a, i))
    }
    pub fn extract_element(&self, vec: Value, idx: Value) -> Value {
        Value(unsafe { LLVMBuildExtractElement(self.raw, vec.0, idx.0, NONAME) })
    }
    /// A shuffle mask constant (`-1` lanes are poison).
    pub fn const_mask(&self, lanes: &[i32]) -> Value {
        let i32t = self.i32();
        let mut elems: Vec<LLVMValueRef> = lanes
            .iter()
            .map(|&l| {
                if l < 0 {
                    self.poison(i32t).0
                } else {
                    self.const_int(i32t, l as i64).0
                }
            })
            .collect();
        Value(unsafe { LLVMConstVector(elems.as_mut_ptr(), elems.len() as u32) })
    }
    /// A constant vector of the given constant lanes.
    pub fn const_vector(&self, lanes: &[Value]) -> Value {
        let mut elems: Vec<LLVMValueRef> = lanes.iter().map(|v| v.0).collect();
        Value(unsafe { LLVMConstVector(elems.as_mut_ptr(), elems.len() as u32) })
    }
    pub fn shuffle(&self, a: Value, b: Value, mask: Value) -> Value {
        Value(unsafe { LLVMBuildShuffleVector(self.raw, a.0, b.0, mask.0, NONAME) })
    }
    pub fn insert_element(&self, vec: Value, v: Value, idx: Value) -> Value {
        Value(unsafe { LLVMBuildInsertElement(self.raw, vec.0, v.0, idx.0, NONAME) })
    }

    // ---- memory ----
    pub fn alloca(&self, ty: Type, name: &str) -> Value {
        let c = crate::cstr(name);
        Value(unsafe { LLVMBuildAlloca(self.raw, ty.0, c.as_ptr()) })
    }
    pub fn load(&self, ty: Type, ptr: Value) -> Value {
        Value(unsafe { LLVMBuildLoad2(self.raw, ty.0, ptr.0, NONAME) })
    }
    /// A load with the alignment of the primal access `like`.
    pub fn load_like(&self, ty: Type, ptr: Value, like: Value) -> Value {
        let l = self.load(ty, ptr);
        let a = like.alignment();
        if a > 0 {
            self.set_alignment(l, a);
        }
        Self::copy_tbaa(l, ty, like);
        l
    }
    /// A store with the alignment of the primal access `like`.
    pub fn store_like(&self, v: Value, ptr: Value, like: Value) -> Value {
        let s = self.store(v, ptr);
        let a = like.alignment();
        if a > 0 {
            self.set_alignment(s, a);
        }
        Self::copy_tbaa(s, v.ty(), like);
        s
    }
    /// The access `new` of a value of type `ty` mirrors the primal access
    /// `like` (the same memory, its shadow, or a retyped copy): where it
    /// accesses the same type, it takes `like`'s `!tbaa` access tag. A
    /// shadow has its primal's layout and is accessed as its primal is, so
    /// the tag's claim (what type lives there) holds for it too; without
    /// it, a shadow store may alias every field and pointer of the
    /// program's structures, and LLVM reloads them after each one (in the
    /// loops of Enzyme's hand benchmark: `m->data`, `m->nrows`). A retyped
    /// access (an integer copy turned into a float one) keeps no tag.
    fn copy_tbaa(new: Value, ty: Type, like: Value) {
        let same = match like.opcode() {
            Opcode::LLVMLoad => like.ty() == ty,
            Opcode::LLVMStore => like.operand(0).ty() == ty,
            _ => false,
        };
        if same {
            new.copy_md(like, "tbaa");
        }
    }
    /// `addrspacecast` of a pointer (folded for constants).
    pub fn addrspace_cast(&self, p: Value, ty: Type) -> Value {
        Value(unsafe { LLVMBuildAddrSpaceCast(self.raw, p.0, ty.0, NONAME) })
    }
    pub fn and_int(&self, a: Value, b: Value) -> Value {
        Value(unsafe { LLVMBuildAnd(self.raw, a.0, b.0, NONAME) })
    }
    pub fn or_int(&self, a: Value, b: Value) -> Value {
        Value(unsafe { LLVMBuildOr(self.raw, a.0, b.0, NONAME) })
    }
    pub fn not(&self, a: Value) -> Value {
        Value(unsafe { LLVMBuildNot(self.raw, a.0, NONAME) })
    }
    pub fn freeze(&self, a: Value) -> Value {
        Value(unsafe { LLVMBuildFreeze(self.raw, a.0, NONAME) })
    }
    /// `atomicrmw fadd ptr, v monotonic`: an accumulation that other
    /// threads may make to the same address at the same time.
    pub fn atomic_fadd(&self, ptr: Value, v: Value) -> Value {
        Value(unsafe {
            LLVMBuildAtomicRMW(
                self.raw,
                llvm_sys::LLVMAtomicRMWBinOp::LLVMAtomicRMWBinOpFAdd,
                ptr.0,
                v.0,
                llvm_sys::LLVMAtomicOrdering::LLVMAtomicOrderingMonotonic,
                0,
            )
        })
    }
    pub fn store(&self, v: Value, ptr: Value) -> Value {
        Value(unsafe { LLVMBuildStore(self.raw, v.0, ptr.0) })
    }
    pub fn alloca_n(&self, ty: Type, count: Value, name: &str) -> Value {
        let c = crate::cstr(name);
        Value(unsafe { LLVMBuildArrayAlloca(self.raw, ty.0, count.0, c.as_ptr()) })
    }
    /// `llvm.memset(ptr, byte, len)` (alignment 1).
    pub fn memset(&self, ptr: Value, byte: Value, len: Value) -> Value {
        Value(unsafe { LLVMBuildMemSet(self.raw, ptr.0, byte.0, len.0, 1) })
    }
    /// `llvm.memmove(dst, src, len)` (alignment 1).
    pub fn memmove(&self, dst: Value, src: Value, len: Value) -> Value {
        Value(unsafe { LLVMBuildMemMove(self.raw, dst.0, 1, src.0, 1, len.0) })
    }
    /// `llvm.memcpy(dst, src, len)` (alignment 1).
    pub fn memcpy(&self, dst: Value, src: Value, len: Value) -> Value {
        Value(unsafe { LLVMBuildMemCpy(self.raw, dst.0, 1, src.0, 1, len.0) })
    }
    pub fn gep_i8(&self, ptr: Value, offset: u64) -> Value {
        if offset == 0 {
            return ptr;
        }
        let mut idx = [self.const_int(self.i64(), offset as i64).0];
        Value(unsafe {
            LLVMBuildInBoundsGEP2(self.raw, self.i8().0, ptr.0, idx.as_mut_ptr(), 1, NONAME)
        })
    }
    /// `getelementptr i8, ptr, offset` without `inbounds` (a run-time
    /// byte offset that may lead outside the object `ptr` points into).
    pub fn ptr_offset(&self, ptr: Value, offset: Value) -> Value {
        let mut idx = [offset.0];
        Value(unsafe { LLVMBuildGEP2(self.raw, self.i8().0, ptr.0, idx.as_mut_ptr(), 1, NONAME) })
    }
    pub fn set_alignment(&self, inst: Value, align: u32) {
        unsafe { LLVMSetAlignment(inst.0, align) }
    }

    // ---- control flow ----
    pub fn br(&self, b: Block) -> Value {
        Value(unsafe { LLVMBuildBr(self.raw, b.0) })
    }
    /// `atomicrmw add ptr, v seq_cst` on an integer; returns the old value.
    pub fn atomic_add_int(&self, ptr: Value, v: Value) -> Value {
        Value(unsafe {
            LLVMBuildAtomicRMW(
                self.raw,
                llvm_sys::LLVMAtomicRMWBinOp::LLVMAtomicRMWBinOpAdd,
                ptr.0,
                v.0,
                llvm_sys::LLVMAtomicOrdering::LLVMAtomicOrderingSequentiallyConsistent,
                0,
            )
        })
    }
    /// `cmpxchg ptr, expected, new acq_rel acquire`; returns the `{ old, ok }`
    /// pair (`ok`: the swap happened).
    pub fn cmpxchg(&self, ptr: Value, expected: Value, new: Value) -> Value {
        Value(unsafe {
            LLVMBuildAtomicCmpXchg(
                self.raw,
                ptr.0,
                expected.0,
                new.0,
                llvm_sys::LLVMAtomicOrdering::LLVMAtomicOrderingAcquireRelease,
                llvm_sys::LLVMAtomicOrdering::LLVMAtomicOrderingAcquire,
                0,
            )
        })
    }
    /// Makes a load or store atomic with acquire (load) / release (store)
    /// ordering; the access must be naturally aligned.
    pub fn make_atomic(&self, access: Value, acquire: bool) {
        let o = if acquire {
            llvm_sys::LLVMAtomicOrdering::LLVMAtomicOrderingAcquire
        } else {
            llvm_sys::LLVMAtomicOrdering::LLVMAtomicOrderingRelease
        };
        unsafe { LLVMSetOrdering(access.0, o) }
    }
    pub fn cond_br(&self, c: Value, t: Block, f: Block) -> Value {
        Value(unsafe { LLVMBuildCondBr(self.raw, c.0, t.0, f.0) })
    }
    pub fn switch(&self, v: Value, default: Block, cases: &[(Value, Block)]) -> Value {
        let s = unsafe { LLVMBuildSwitch(self.raw, v.0, default.0, cases.len() as u32) };
        for (c, b) in cases {
            unsafe { LLVMAddCase(s, c.0, b.0) };
        }
        Value(s)
    }
    pub fn ret(&self, v: Value) -> Value {
        Value(unsafe { LLVMBuildRet(self.raw, v.0) })
    }
    pub fn ret_void(&self) -> Value {
        Value(unsafe { LLVMBuildRetVoid(self.raw) })
    }
    pub fn unreachable(&self) -> Value {
        Value(unsafe { LLVMBuildUnreachable(self.raw) })
    }
    pub fn phi(&self, ty: Type, name: &str) -> Value {
        let c = crate::cstr(name);
        Value(unsafe { LLVMBuildPhi(self.raw, ty.0, c.as_ptr()) })
    }

    /// A loop `for i in 0..n` (`n` an i64; no iteration when `n <= 0`)
    /// around what `body(i)` emits at the builder, from the builder's
    /// block on; the builder ends in the loop's exit block.
    pub fn counted_loop(&self, name: &str, n: Value, body: impl FnOnce(Value)) {
        self.counted_loop_with(name, n, None, &[], |i, _| {
            body(i);
            Vec::new()
        });
    }

    /// [`Builder::counted_loop`], entered only when `n > 0` and `when`
    /// (an i1, if given) hold, carrying values: `body(i, carried)` gets the
    /// current values (`init` on the first iteration) and returns the next
    /// ones. Returns the carried values after the loop (`init` when it did
    /// not run). The loop is bottom-tested: header `name`, exit
    /// `name.exit`; the body may add blocks.
    pub fn counted_loop_with(
        &self,
        name: &str,
        n: Value,
        when: Option<Value>,
        init: &[Value],
        body: impl FnOnce(Value, &[Value]) -> Vec<Value>,
    ) -> Vec<Value> {
        let i64t = self.i64();
        let (zero, one) = (self.const_int(i64t, 0), self.const_int(i64t, 1));
        let pre = self.insert_block();
        let f = pre.parent();
        let head = f.append_block(name);
        let exit = f.append_block(&format!("{name}.exit"));
        let mut enter = self.icmp(crate::IntPredicate::LLVMIntSGT, n, zero);
        if let Some(w) = when {
            enter = self.and_int(enter, w);
        }
        self.cond_br(enter, head, exit);
        self.at_end(head);
        let i = self.phi(i64t, "i");
        let carried: Vec<Value> = init.iter().map(|v| self.phi(v.ty(), "")).collect();
        let next = body(i, &carried);
        assert_eq!(next.len(), init.len(), "counted_loop_with: carried values");
        let latch = self.insert_block();
        let i1 = self.add_int(i, one);
        let more = self.icmp(crate::IntPredicate::LLVMIntSLT, i1, n);
        self.cond_br(more, head, exit);
        i.add_incoming(zero, pre);
        i.add_incoming(i1, latch);
        for ((&p, &v0), &v1) in carried.iter().zip(init).zip(&next) {
            p.add_incoming(v0, pre);
            p.add_incoming(v1, latch);
        }
        exit.move_after(latch);
        self.at_end(exit);
        init.iter()
            .zip(&next)
            .map(|(&v0, &v1)| {
                let r = self.phi(v0.ty(), "");
                r.add_incoming(v0, pre);
                r.add_incoming(v1, latch);
                r
            })
            .collect()
    }

    /// Inserts a detached instruction (e.g. from `Value::clone_instruction`).
    pub fn insert(&self, inst: Value) {
        unsafe { LLVMInsertIntoBuilder(self.raw, inst.0) }
    }
    pub fn add_int(&self, a: Value, b: Value) -> Value {
        Value(unsafe { LLVMBuildAdd(self.raw, a.0, b.0, NONAME) })
    }
    pub fn udiv_int(&self, a: Value, b: Value) -> Value {
        Value(unsafe { LLVMBuildUDiv(self.raw, a.0, b.0, NONAME) })
    }
    pub fn mul_int(&self, a: Value, b: Value) -> Value {
        Value(unsafe { LLVMBuildMul(self.raw, a.0, b.0, NONAME) })
    }
    pub fn icmp(&self, p: crate::IntPredicate, a: Value, b: Value) -> Value {
        Value(unsafe { LLVMBuildICmp(self.raw, p, a.0, b.0, NONAME) })
    }
    pub fn gep(&self, elem: Type, ptr: Value, idx: &[Value]) -> Value {
        let mut raw: Vec<LLVMValueRef> = idx.iter().map(|v| v.0).collect();
        Value(unsafe {
            LLVMBuildInBoundsGEP2(
                self.raw,
                elem.0,
                ptr.0,
                raw.as_mut_ptr(),
                raw.len() as u32,
                NONAME,
            )
        })
    }

    // ---- calls ----
    pub fn call(&self, fn_ty: Type, callee: Value, args: &[Value]) -> Value {
        let mut raw: Vec<LLVMValueRef> = args.iter().map(|v| v.0).collect();
        Value(unsafe {
            LLVMBuildCall2(
                self.raw,
                fn_ty.0,
                callee.0,
                raw.as_mut_ptr(),
                raw.len() as u32,
                NONAME,
            )
        })
    }
    /// `invoke` of `callee`, continuing at `normal` or unwinding to
    /// `unwind`.
    pub fn invoke(
        &self,
        fn_ty: Type,
        callee: Value,
        args: &[Value],
        normal: Block,
        unwind: Block,
    ) -> Value {
        let mut raw: Vec<LLVMValueRef> = args.iter().map(|v| v.0).collect();
        Value(unsafe {
            LLVMBuildInvoke2(
                self.raw,
                fn_ty.0,
                callee.0,
                raw.as_mut_ptr(),
                raw.len() as u32,
                normal.0,
                unwind.0,
                NONAME,
            )
        })
    }
    /// A call of `f` standing in for `like`: where `like` is an `invoke`,
    /// an invoke with the same destinations placed before it (the builder
    /// then continues at the start of the normal destination); otherwise a
    /// plain call at the current position.
    pub fn call_like(&self, like: Value, f: Value, args: &[Value]) -> Value {
        if !like.is_invoke() {
            return self.call_fn(f, args);
        }
        let succ = like.successors();
        self.before(like);
        let c = self.invoke(f.global_value_type(), f, args, succ[0], succ[1]);
        self.after(c);
        c
    }
    pub fn call_fn(&self, f: Value, args: &[Value]) -> Value {
        self.call(f.global_value_type(), f, args)
    }
    /// Calls the overloaded intrinsic `name` (e.g. `llvm.cos`) at type `ty`.
    /// On NVPTX, transcendental functions have no instruction: the call goes
    /// to CUDA's libdevice (`__nv_cos`, `__nv_cosf`) instead.
    pub fn intrinsic(&self, name: &str, tys: &[Type], args: &[Value]) -> Value {
        if let Some(f) = self.libdevice(name, tys) {
            return self.call_fn(f, args);
        }
        let f = self
            .module()
            .intrinsic(name, tys)
            .unwrap_or_else(|| panic!("ferment internal error: unknown intrinsic {name}"));
        self.call_fn(f, args)
    }
    fn libdevice(&self, name: &str, tys: &[Type]) -> Option<Value> {
        const NV: &[&str] = &[
            "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin", "acos", "atan", "exp", "exp2",
            "exp10", "log", "log2", "log10", "pow", "powi", "ldexp",
        ];
        let base = name.strip_prefix("llvm.")?;
        if !NV.contains(&base) || !self.module().target_triple().starts_with("nvptx") {
            return None;
        }
        let ty = *tys.first()?;
        if ty.is_vector() {
            return None;
        }
        let (suffix, base) = match (ty.float_bits(), base) {
            (64, "powi") => ("", "powi"),
            (32, "powi") => ("f", "powi"),
            (64, b) => ("", b),
            (32, b) => ("f", b),
            _ => return None,
        };
        let fname = format!("__nv_{base}{suffix}");
        if let Some(f) = self.module().function(&fname) {
            return Some(f);
        }
        let params: Vec<Type> = match base {
            "pow" => vec![ty, ty],
            "powi" | "ldexp" => vec![ty, Type::int(self.ctx, 32)],
            _ => vec![ty],
        };
        Some(
            self.module()
                .add_function(&fname, Type::function(ty, &params, false)),
        )
    }

    /// `llvm.NAME` overloaded on the type of the first argument.
    pub fn unary_intrinsic(&self, name: &str, x: Value) -> Value {
        self.intrinsic(name, &[x.ty()], &[x])
    }
}
