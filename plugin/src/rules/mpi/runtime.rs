//! The MPI derivative rules, as internal helper functions emitted into the
//! module on first use (`ferment.mpi.<rule>.<d|s>`). Each takes the
//! operands of one primal call (and the shadows of its buffers, null where a
//! buffer has none) and does the adjoint's or the tangent's communication:
//!
//! - the adjoint of a send receives the adjoint into a scratch buffer and adds
//!   it into the send buffer's shadow; the adjoint of a receive sends the
//!   receive buffer's shadow, then zeroes it (a receive from
//!   `MPI_PROC_NULL` changed nothing, and keeps its shadow);
//! - a sum reduction's adjoint is the sum of the result's adjoints (an
//!   allreduce, or a broadcast from the root); min/max give it to the lowest
//!   rank holding the extremum (found by a min-reduction of ranks);
//! - broadcast and gather/scatter/allgather are reversed by their transposes
//!   (reduce to the root, scatter/gather, reduce-scatter);
//! - a non-blocking call leaves a record (`record`) in a list, keyed by the
//!   address of its request variable (not the request's value: Open MPI
//!   hands out one shared completed request for every call that finished at
//!   once, an eager send or a message to `MPI_PROC_NULL`); the wait that
//!   completes it takes the record out (`take`), so the wait's adjoint starts
//!   the adjoint message and the adjoint of the `MPI_Isend`/`MPI_Irecv`
//!   completes it (`complete`). Forward mode starts the tangent message at
//!   the call and completes it at the wait.
//!
//! All buffers the helpers allocate are freed by them.

use crate::reverse::tape::declare;
use crate::rules::blas::Prec;
use ferment_ir::{Builder, IntPredicate, Module, RealPredicate, Type, Value};

/// Open MPI's `MPI_PROC_NULL`.
const PROC_NULL: i64 = -2;

/// Record slots (8 bytes each) of a non-blocking call.
const R_NEXT: u64 = 0;
const R_REQ: u64 = 8;
const R_RECV: u64 = 16;
const R_SHADOW: u64 = 24;
const R_COUNT: u64 = 32;
const R_TYPE: u64 = 40;
const R_PEER: u64 = 48;
const R_TAG: u64 = 56;
const R_COMM: u64 = 64;
const R_DREQ: u64 = 72;
const R_TMP: u64 = 80;
/// Bytes per element (a wait does not know the precision of its message).
const R_SIZE: u64 = 88;
/// The request's value right after the call (matched when no wait names
/// the variable itself: a wait on a copy).
const R_VAL: u64 = 96;
const RECORD_BYTES: i64 = 104;

/// Emits calls of the helpers for one precision at `b`'s position.
pub struct Mpi<'a> {
    pub b: &'a Builder,
    pub module: Module,
    pub prec: Prec,
}

/// A helper function under construction.
struct Fb {
    b: Builder,
    f: Value,
    m: Module,
    prec: Prec,
}

fn letter(p: Prec) -> char {
    match p {
        Prec::D => 'd',
        Prec::S => 's',
    }
}

impl Fb {
    fn ctx(&self) -> llvm_sys::prelude::LLVMContextRef {
        self.m.context()
    }
    fn ptr(&self) -> Type {
        Type::ptr(self.ctx())
    }
    fn i32(&self) -> Type {
        Type::int(self.ctx(), 32)
    }
    fn i64(&self) -> Type {
        Type::int(self.ctx(), 64)
    }
    fn ft(&self) -> Type {
        self.prec.ty(self.m)
    }
    fn size(&self) -> i64 {
        self.m.alloc_size(self.ft()) as i64
    }
    fn c32(&self, v: i64) -> Value {
        self.b.const_int(self.i32(), v)
    }
    fn c64(&self, v: i64) -> Value {
        self.b.const_int(self.i64(), v)
    }
    fn null(&self) -> Value {
        self.b.zero(self.ptr())
    }
    /// An Open MPI predefined handle (`ompi_mpi_op_sum`).
    fn handle(&self, name: &str) -> Value {
        self.m.global(name).unwrap_or_else(|| {
            self.m
                .add_global_declaration(name, Type::int(self.ctx(), 8))
        })
    }
    /// `int name(args)`.
    fn mpi(&self, name: &str, args: &[Value]) -> Value {
        let tys: Vec<Type> = args.iter().map(|a| a.ty()).collect();
        let f = declare(self.m, name, self.i32(), &tys);
        self.b
            .call(Type::function(self.i32(), &tys, false), f, args)
    }
    fn libc(&self, name: &str, ret: Type, args: &[Value]) -> Value {
        let tys: Vec<Type> = args.iter().map(|a| a.ty()).collect();
        let f = declare(self.m, name, ret, &tys);
        self.b.call(Type::function(ret, &tys, false), f, args)
    }
    fn wide(&self, n: Value) -> Value {
        self.b.int_cast(n, self.i64(), true)
    }
    /// Bytes of `n` elements (`n` an i32 or i64 count; negative counts as 0).
    fn bytes(&self, n: Value, size: i64) -> Value {
        let n = self.wide(n);
        let neg = self.b.icmp(IntPredicate::LLVMIntSLT, n, self.c64(0));
        let n = self.b.select(neg, self.c64(0), n);
        self.b.mul_int(n, self.c64(size))
    }
    /// A zeroed buffer of `n` elements (at least one byte).
    fn calloc(&self, n: Value, size: i64) -> Value {
        let bytes = self.bytes(n, size);
        self.libc("calloc", self.ptr(), &[self.c64(1), self.max1(bytes)])
    }
    /// A zeroed buffer of `n` elements of `size` (an i64) bytes.
    fn calloc_dyn(&self, n: Value, size: Value) -> Value {
        let bytes = self.b.mul_int(self.bytes(n, 1), size);
        self.libc("calloc", self.ptr(), &[self.c64(1), self.max1(bytes)])
    }
    /// [`Fb::or_zeros`] with the element size an i64 value.
    fn or_zeros_dyn(&self, p: Value, n: Value, size: Value) -> (Value, Value) {
        let is_null = self.is_null(p);
        let want = self.b.select(is_null, self.wide(n), self.c64(0));
        let scratch = self.calloc_dyn(want, size);
        let scratch = self.b.select(is_null, scratch, self.null());
        (self.b.select(is_null, scratch, p), scratch)
    }
    /// `dst[i] += src[i]` in the precision `size` (4 or 8 bytes) says.
    fn add_dyn(&self, dst: Value, src: Value, n: Value, size: Value) {
        let single = self.b.icmp(IntPredicate::LLVMIntEQ, size, self.c64(4));
        let s = add_helper(self.m, Prec::S);
        let d = add_helper(self.m, Prec::D);
        let h = self.b.select(single, s, d);
        let ty = s.global_value_type();
        self.b.call(ty, h, &[dst, src, self.wide(n)]);
    }
    fn max1(&self, bytes: Value) -> Value {
        let small = self.b.icmp(IntPredicate::LLVMIntSLT, bytes, self.c64(1));
        self.b.select(small, self.c64(1), bytes)
    }
    fn free(&self, p: Value) {
        self.libc("free", Type::void(self.ctx()), &[p]);
    }
    /// Frees `p` when `release` (an i1) holds: a split-shape reverse sweep
    /// run with `enzyme_nofree` keeps what the next run needs.
    fn free_if(&self, release: Value, p: Value) {
        self.free(self.b.select(release, p, self.null()));
    }
    /// `p` when non-null, else a zeroed scratch buffer of `n` elements;
    /// and what to free afterwards (null or the scratch).
    fn or_zeros(&self, p: Value, n: Value) -> (Value, Value) {
        let is_null = self.is_null(p);
        let want = self.b.select(is_null, self.wide(n), self.c64(0));
        let scratch = self.calloc(want, self.size());
        let scratch = self.b.select(is_null, scratch, self.null());
        (self.b.select(is_null, scratch, p), scratch)
    }
    fn is_null(&self, p: Value) -> Value {
        self.b.icmp(IntPredicate::LLVMIntEQ, p, self.null())
    }
    /// Runs `then` when `cond` holds.
    fn when(&self, cond: Value, then: impl FnOnce(&Fb)) {
        let yes = self.f.append_block("then");
        let done = self.f.append_block("done");
        self.b.cond_br(cond, yes, done);
        self.b.at_end(yes);
        then(self);
        self.b.br(done);
        self.b.at_end(done);
    }
    /// `for i in 0..n` (`n` i64).
    fn for_n(&self, n: Value, body: impl FnOnce(&Fb, Value)) {
        let entry = self.b.insert_block();
        let head = self.f.append_block("loop");
        let exit = self.f.append_block("loop.exit");
        let any = self.b.icmp(IntPredicate::LLVMIntSGT, n, self.c64(0));
        self.b.cond_br(any, head, exit);
        self.b.at_end(head);
        let i = self.b.phi(self.i64(), "i");
        body(self, i);
        let i1 = self.b.add_int(i, self.c64(1));
        let more = self.b.icmp(IntPredicate::LLVMIntSLT, i1, n);
        let latch = self.b.insert_block();
        self.b.cond_br(more, head, exit);
        i.add_incoming(self.c64(0), entry);
        i.add_incoming(i1, latch);
        self.b.at_end(exit);
    }
    fn zero_fill(&self, p: Value, n: Value) {
        let bytes = self.bytes(n, self.size());
        self.b.memset(p, self.b.const_int(self.b.i8(), 0), bytes);
    }
    fn copy(&self, dst: Value, src: Value, n: Value) {
        let bytes = self.bytes(n, self.size());
        self.b.memmove(dst, src, bytes);
    }
    /// `dst[i] += src[i]` for `i < n` (nothing when `dst` is null).
    fn add(&self, dst: Value, src: Value, n: Value) {
        let h = add_helper(self.m, self.prec);
        self.b.call_fn(h, &[dst, src, self.wide(n)]);
    }
    fn comm_rank(&self, comm: Value) -> Value {
        let slot = self.slot();
        self.mpi("MPI_Comm_rank", &[comm, slot]);
        self.b.load(self.i32(), slot)
    }
    fn comm_size(&self, comm: Value) -> Value {
        let slot = self.slot();
        self.mpi("MPI_Comm_size", &[comm, slot]);
        self.b.load(self.i32(), slot)
    }
    /// An i32 stack slot in the helper's entry block.
    fn slot(&self) -> Value {
        let here = self.b.insert_block();
        let entry = self.f.entry_block();
        match entry.first_instruction() {
            Some(first) => self.b.before(first),
            None => self.b.at_end(entry),
        }
        let s = self.b.alloca(self.i32(), "slot");
        self.b.at_end(here);
        s
    }
    fn field(&self, rec: Value, off: u64, ty: Type) -> Value {
        self.b.load(ty, self.b.gep_i8(rec, off))
    }
    fn set_field(&self, rec: Value, off: u64, v: Value) {
        self.b.store(v, self.b.gep_i8(rec, off));
    }
}

/// Defines (once) the helper `name` with parameters `params`, its body built
/// by `body` from the parameters; returns the function.
fn helper(
    m: Module,
    prec: Prec,
    name: &str,
    ret: Option<Type>,
    params: &[Type],
    body: impl FnOnce(&Fb, &[Value]) -> Option<Value>,
) -> Value {
    let full = format!("ferment.mpi.{name}.{}", letter(prec));
    if let Some(f) = m.function(&full) {
        return f;
    }
    let ctx = m.context();
    let f = m.add_function(
        &full,
        Type::function(ret.unwrap_or_else(|| Type::void(ctx)), params, false),
    );
    f.set_internal();
    let b = Builder::new(m);
    let entry = f.append_block("entry");
    b.at_end(entry);
    let fb = Fb { b, f, m, prec };
    let p = f.params();
    match body(&fb, &p) {
        Some(v) => fb.b.ret(v),
        None => fb.b.ret_void(),
    };
    // An ill-formed helper would be compiled into garbage (clang does not
    // verify the module it optimizes): stop here instead.
    if let Err(report) = crate::shim::verify_function(f) {
        panic!(
            "internal error: the MPI helper '{}' failed LLVM's verifier:\n{report}",
            f.name()
        );
    }
    f
}

fn add_helper(m: Module, prec: Prec) -> Value {
    let ctx = m.context();
    let (ptr, i64t) = (Type::ptr(ctx), Type::int(ctx, 64));
    helper(m, prec, "add", None, &[ptr, ptr, i64t], |fb, p| {
        let (dst, src, n) = (p[0], p[1], p[2]);
        let has = fb.b.icmp(IntPredicate::LLVMIntNE, dst, fb.null());
        fb.when(has, |fb| {
            fb.for_n(n, |fb, i| {
                let ft = fb.ft();
                let pd = fb.b.gep(ft, dst, &[i]);
                let v = fb.b.load(ft, fb.b.gep(ft, src, &[i]));
                let old = fb.b.load(ft, pd);
                fb.b.store(fb.b.fadd(old, v), pd);
            });
        });
        None
    })
}

/// `ds[i] += tmp[i]` where this rank is the lowest holding the extremum
/// (`x[i] == r[i]`); every rank of `comm` must call it.
fn owner_add_helper(m: Module, prec: Prec) -> Value {
    let ctx = m.context();
    let (ptr, i32t) = (Type::ptr(ctx), Type::int(ctx, 32));
    helper(
        m,
        prec,
        "owner_add",
        None,
        &[ptr, ptr, ptr, ptr, i32t, ptr],
        |fb, p| {
            let (ds, tmp, x, r, n, comm) = (p[0], p[1], p[2], p[3], p[4], p[5]);
            let rank = fb.comm_rank(comm);
            let cand = fb.calloc(n, 4);
            let ft = fb.ft();
            let n64 = fb.wide(n);
            fb.for_n(n64, |fb, i| {
                let xv = fb.b.load(ft, fb.b.gep(ft, x, &[i]));
                let rv = fb.b.load(ft, fb.b.gep(ft, r, &[i]));
                let holds = fb.b.fcmp(RealPredicate::LLVMRealOEQ, xv, rv);
                let c = fb.b.select(holds, rank, fb.c32(i32::MAX as i64));
                fb.b.store(c, fb.b.gep(fb.i32(), cand, &[i]));
            });
            let in_place = fb.b.int_to_ptr(fb.c64(1), fb.ptr());
            fb.mpi(
                "MPI_Allreduce",
                &[
                    in_place,
                    cand,
                    n,
                    fb.handle("ompi_mpi_int"),
                    fb.handle("ompi_mpi_op_min"),
                    comm,
                ],
            );
            let has = fb.b.icmp(IntPredicate::LLVMIntNE, ds, fb.null());
            fb.when(has, |fb| {
                fb.for_n(n64, |fb, i| {
                    let owner = fb.b.load(fb.i32(), fb.b.gep(fb.i32(), cand, &[i]));
                    let mine = fb.b.icmp(IntPredicate::LLVMIntEQ, owner, rank);
                    let v = fb.b.load(ft, fb.b.gep(ft, tmp, &[i]));
                    let v = fb.b.select(mine, v, fb.b.zero(ft));
                    let pd = fb.b.gep(ft, ds, &[i]);
                    let old = fb.b.load(ft, pd);
                    fb.b.store(fb.b.fadd(old, v), pd);
                });
            });
            fb.free(cand);
            None
        },
    )
}

/// `tmp[i] = dx[i]` where this rank owns the extremum, else 0 (forward
/// mode's min/max); every rank of `comm` must call it. Returns `tmp`.
fn owner_pick_helper(m: Module, prec: Prec) -> Value {
    let ctx = m.context();
    let (ptr, i32t) = (Type::ptr(ctx), Type::int(ctx, 32));
    helper(
        m,
        prec,
        "owner_pick",
        Some(ptr),
        &[ptr, ptr, ptr, i32t, ptr],
        |fb, p| {
            let (dx, x, r, n, comm) = (p[0], p[1], p[2], p[3], p[4]);
            let tmp = fb.calloc(n, fb.size());
            // owner_add into a zeroed buffer: tmp[i] = [owner] dx[i]
            let (dxv, scratch) = fb.or_zeros(dx, n);
            let h = owner_add_helper(fb.m, fb.prec);
            fb.b.call_fn(h, &[tmp, dxv, x, r, n, comm]);
            fb.free(scratch);
            Some(tmp)
        },
    )
}

impl Mpi<'_> {
    fn ctx(&self) -> llvm_sys::prelude::LLVMContextRef {
        self.module.context()
    }
    fn ptr(&self) -> Type {
        Type::ptr(self.ctx())
    }
    fn i32(&self) -> Type {
        Type::int(self.ctx(), 32)
    }
    fn i1(&self) -> Type {
        Type::int(self.ctx(), 1)
    }
    /// `release` for a combined-shape reverse sweep (always frees).
    pub fn always(&self) -> Value {
        self.b.const_int(self.i1(), 1)
    }
    fn call(&self, h: Value, args: &[Value]) -> Value {
        self.b.call_fn(h, args)
    }

    /// The shadow to pass for a buffer without one.
    pub fn none(&self) -> Value {
        self.b.zero(self.ptr())
    }

    /// Reverse of `MPI_Send(buf, n, dt, dest, tag, comm)`.
    pub fn rev_send(&self, d: Value, n: Value, dt: Value, peer: Value, tag: Value, comm: Value) {
        let (p, i) = (self.ptr(), self.i32());
        let h = helper(
            self.module,
            self.prec,
            "rev_send",
            None,
            &[p, i, p, i, i, p],
            |fb, a| {
                let tmp = fb.calloc(a[1], fb.size());
                fb.mpi("MPI_Recv", &[tmp, a[1], a[2], a[3], a[4], a[5], fb.null()]);
                fb.add(a[0], tmp, a[1]);
                fb.free(tmp);
                None
            },
        );
        self.call(h, &[d, n, dt, peer, tag, comm]);
    }

    /// Reverse of `MPI_Recv(buf, n, dt, src, tag, comm, status)`.
    pub fn rev_recv(&self, d: Value, n: Value, dt: Value, peer: Value, tag: Value, comm: Value) {
        let (p, i) = (self.ptr(), self.i32());
        let h = helper(
            self.module,
            self.prec,
            "rev_recv",
            None,
            &[p, i, p, i, i, p],
            |fb, a| {
                let real = fb.b.icmp(IntPredicate::LLVMIntNE, a[3], fb.c32(PROC_NULL));
                fb.when(real, |fb| {
                    let (buf, scratch) = fb.or_zeros(a[0], a[1]);
                    fb.mpi("MPI_Send", &[buf, a[1], a[2], a[3], a[4], a[5]]);
                    fb.zero_fill(buf, a[1]);
                    fb.free(scratch);
                });
                None
            },
        );
        self.call(h, &[d, n, dt, peer, tag, comm]);
    }

    /// Reverse of `MPI_Sendrecv`: `send` = (shadow, count, type, dest,
    /// tag), `recv` likewise with the source.
    pub fn rev_sendrecv(&self, send: [Value; 5], recv: [Value; 5], comm: Value) {
        let (p, i) = (self.ptr(), self.i32());
        let h = helper(
            self.module,
            self.prec,
            "rev_sendrecv",
            None,
            &[p, i, p, i, i, p, i, p, i, i, p],
            |fb, a| {
                let (ds, sn, sdt, dest, stag) = (a[0], a[1], a[2], a[3], a[4]);
                let (dr, rn, rdt, src, rtag) = (a[5], a[6], a[7], a[8], a[9]);
                let comm = a[10];
                let tmp = fb.calloc(sn, fb.size());
                let (buf, scratch) = fb.or_zeros(dr, rn);
                fb.mpi(
                    "MPI_Sendrecv",
                    &[
                        buf,
                        rn,
                        rdt,
                        src,
                        rtag,
                        tmp,
                        sn,
                        sdt,
                        dest,
                        stag,
                        comm,
                        fb.null(),
                    ],
                );
                let real = fb.b.icmp(IntPredicate::LLVMIntNE, src, fb.c32(PROC_NULL));
                fb.when(real, |fb| fb.zero_fill(buf, rn));
                fb.add(ds, tmp, sn);
                fb.free(tmp);
                fb.free(scratch);
                None
            },
        );
        let mut args = send.to_vec();
        args.extend(recv);
        args.push(comm);
        self.call(h, &args);
    }

    /// Reverse of `MPI_Allreduce(s, r, n, dt, op, comm)`; `ds` is the
    /// shadow of the input (the result's with `MPI_IN_PLACE`); for min/max,
    /// `xr` are copies of the input and the result (None: a sum).
    #[allow(clippy::too_many_arguments)]
    pub fn rev_allreduce(
        &self,
        ds: Value,
        dr: Value,
        n: Value,
        dt: Value,
        comm: Value,
        xr: Option<(Value, Value)>,
        release: Value,
    ) {
        let (p, i, b1) = (self.ptr(), self.i32(), self.i1());
        let h = helper(
            self.module,
            self.prec,
            "rev_allreduce",
            None,
            &[p, p, i, p, p, p, p, b1],
            |fb, a| {
                let (ds, dr, n, dt, comm, x, r) = (a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
                let tmp = fb.calloc(n, fb.size());
                let (buf, scratch) = fb.or_zeros(dr, n);
                fb.mpi(
                    "MPI_Allreduce",
                    &[buf, tmp, n, dt, fb.handle("ompi_mpi_op_sum"), comm],
                );
                fb.zero_fill(buf, n);
                let sum = fb.is_null(x);
                let yes = fb.f.append_block("sum");
                let no = fb.f.append_block("extremum");
                let done = fb.f.append_block("done");
                fb.b.cond_br(sum, yes, no);
                fb.b.at_end(yes);
                fb.add(ds, tmp, n);
                fb.b.br(done);
                fb.b.at_end(no);
                let h = owner_add_helper(fb.m, fb.prec);
                fb.b.call_fn(h, &[ds, tmp, x, r, n, comm]);
                fb.free_if(a[7], x);
                fb.free_if(a[7], r);
                fb.b.br(done);
                fb.b.at_end(done);
                fb.free(tmp);
                fb.free(scratch);
                None
            },
        );
        let (x, r) = xr.unwrap_or((self.none(), self.none()));
        self.call(h, &[ds, dr, n, dt, comm, x, r, release]);
    }

    /// Reverse of `MPI_Reduce(s, r, n, dt, op, root, comm)` (see
    /// [`Mpi::rev_allreduce`]; the result and its copy exist at the root).
    #[allow(clippy::too_many_arguments)]
    pub fn rev_reduce(
        &self,
        ds: Value,
        dr: Value,
        n: Value,
        dt: Value,
        root: Value,
        comm: Value,
        xr: Option<(Value, Value)>,
        release: Value,
    ) {
        let (p, i, b1) = (self.ptr(), self.i32(), self.i1());
        let h = helper(
            self.module,
            self.prec,
            "rev_reduce",
            None,
            &[p, p, i, p, i, p, p, p, b1],
            |fb, a| {
                let (ds, dr, n, dt, root, comm, x, r) =
                    (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
                let rank = fb.comm_rank(comm);
                let at_root = fb.b.icmp(IntPredicate::LLVMIntEQ, rank, root);
                let tmp = fb.calloc(n, fb.size());
                let has = fb.b.icmp(IntPredicate::LLVMIntNE, dr, fb.null());
                let own = fb.b.select(at_root, has, at_root);
                fb.when(own, |fb| {
                    fb.copy(tmp, dr, n);
                    fb.zero_fill(dr, n);
                });
                fb.mpi("MPI_Bcast", &[tmp, n, dt, root, comm]);
                let sum = fb.is_null(x);
                let yes = fb.f.append_block("sum");
                let no = fb.f.append_block("extremum");
                let done = fb.f.append_block("done");
                fb.b.cond_br(sum, yes, no);
                fb.b.at_end(yes);
                fb.add(ds, tmp, n);
                fb.b.br(done);
                fb.b.at_end(no);
                fb.mpi("MPI_Bcast", &[r, n, dt, root, comm]);
                let h = owner_add_helper(fb.m, fb.prec);
                fb.b.call_fn(h, &[ds, tmp, x, r, n, comm]);
                fb.free_if(a[8], x);
                fb.free_if(a[8], r);
                fb.b.br(done);
                fb.b.at_end(done);
                fb.free(tmp);
                None
            },
        );
        let (x, r) = xr.unwrap_or((self.none(), self.none()));
        self.call(h, &[ds, dr, n, dt, root, comm, x, r, release]);
    }

    /// Reverse of `MPI_Bcast(buf, n, dt, root, comm)`.
    pub fn rev_bcast(&self, d: Value, n: Value, dt: Value, root: Value, comm: Value) {
        let (p, i) = (self.ptr(), self.i32());
        let h = helper(
            self.module,
            self.prec,
            "rev_bcast",
            None,
            &[p, i, p, i, p],
            |fb, a| {
                let (d, n, dt, root, comm) = (a[0], a[1], a[2], a[3], a[4]);
                let rank = fb.comm_rank(comm);
                let tmp = fb.calloc(n, fb.size());
                let (buf, scratch) = fb.or_zeros(d, n);
                fb.mpi(
                    "MPI_Reduce",
                    &[buf, tmp, n, dt, fb.handle("ompi_mpi_op_sum"), root, comm],
                );
                let at_root = fb.b.icmp(IntPredicate::LLVMIntEQ, rank, root);
                let yes = fb.f.append_block("root");
                let no = fb.f.append_block("other");
                let done = fb.f.append_block("done");
                fb.b.cond_br(at_root, yes, no);
                fb.b.at_end(yes);
                fb.copy(buf, tmp, n);
                fb.b.br(done);
                fb.b.at_end(no);
                fb.zero_fill(buf, n);
                fb.b.br(done);
                fb.b.at_end(done);
                fb.free(tmp);
                fb.free(scratch);
                None
            },
        );
        self.call(h, &[d, n, dt, root, comm]);
    }

    /// Reverse of `MPI_Gather`, `MPI_Scatter` and `MPI_Allgather`:
    /// `send` = (shadow, count, type), `recv` likewise; `root` is None for
    /// `MPI_Allgather`.
    pub fn rev_collect(
        &self,
        kind: super::Kind,
        send: [Value; 3],
        recv: [Value; 3],
        root: Option<Value>,
        comm: Value,
    ) {
        let (p, i) = (self.ptr(), self.i32());
        let name = match kind {
            super::Kind::Gather => "rev_gather",
            super::Kind::Scatter => "rev_scatter",
            _ => "rev_allgather",
        };
        let h = helper(
            self.module,
            self.prec,
            name,
            None,
            &[p, i, p, p, i, p, i, p],
            |fb, a| {
                let (ds, sn, sdt, dr, rn, rdt, root, comm) =
                    (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
                let rank = fb.comm_rank(comm);
                let size = fb.comm_size(comm);
                let at_root = fb.b.icmp(IntPredicate::LLVMIntEQ, rank, root);
                let all_r = fb.b.mul_int(fb.wide(rn), fb.wide(size));
                let all_s = fb.b.mul_int(fb.wide(sn), fb.wide(size));
                let sum = fb.handle("ompi_mpi_op_sum");
                match kind {
                    super::Kind::Gather => {
                        // root's recv segments go back to the senders
                        let tmp = fb.calloc(sn, fb.size());
                        let (buf, scratch) = fb.or_zeros(dr, all_r);
                        fb.mpi("MPI_Scatter", &[buf, rn, rdt, tmp, sn, sdt, root, comm]);
                        fb.when(at_root, |fb| fb.zero_fill(buf, all_r));
                        fb.add(ds, tmp, sn);
                        fb.free(tmp);
                        fb.free(scratch);
                    }
                    super::Kind::Scatter => {
                        let tmp = fb.calloc(all_s, fb.size());
                        let (buf, scratch) = fb.or_zeros(dr, rn);
                        fb.mpi("MPI_Gather", &[buf, rn, rdt, tmp, sn, sdt, root, comm]);
                        fb.zero_fill(buf, rn);
                        fb.when(at_root, |fb| fb.add(ds, tmp, all_s));
                        fb.free(tmp);
                        fb.free(scratch);
                    }
                    _ => {
                        let tmp = fb.calloc(sn, fb.size());
                        let (buf, scratch) = fb.or_zeros(dr, all_r);
                        fb.mpi("MPI_Reduce_scatter_block", &[buf, tmp, rn, rdt, sum, comm]);
                        fb.zero_fill(buf, all_r);
                        fb.add(ds, tmp, sn);
                        fb.free(tmp);
                        fb.free(scratch);
                    }
                }
                None
            },
        );
        let root = root.unwrap_or_else(|| self.b.const_int(self.i32(), 0));
        self.call(
            h,
            &[
                send[0], send[1], send[2], recv[0], recv[1], recv[2], root, comm,
            ],
        );
    }

    /// A heap copy of `n` elements at `src` (null: zeros), made on every
    /// rank, or only at `root` (elsewhere zeros).
    pub fn save(&self, src: Value, n: Value, root: Option<(Value, Value)>) -> Value {
        let (p, i) = (self.ptr(), self.i32());
        let h = helper(
            self.module,
            self.prec,
            "save",
            Some(p),
            &[p, i, i, i, p],
            |fb, a| {
                let (src, n, rooted, root, comm) = (a[0], a[1], a[2], a[3], a[4]);
                let buf = fb.calloc(n, fb.size());
                let has = fb.b.icmp(IntPredicate::LLVMIntNE, src, fb.null());
                let is_rooted = fb.b.icmp(IntPredicate::LLVMIntNE, rooted, fb.c32(0));
                let go = fb.f.append_block("go");
                let check = fb.f.append_block("check");
                let done = fb.f.append_block("done");
                fb.b.cond_br(has, check, done);
                fb.b.at_end(check);
                let skip = fb.f.append_block("rooted");
                fb.b.cond_br(is_rooted, skip, go);
                fb.b.at_end(skip);
                let rank = fb.comm_rank(comm);
                let at_root = fb.b.icmp(IntPredicate::LLVMIntEQ, rank, root);
                fb.b.cond_br(at_root, go, done);
                fb.b.at_end(go);
                fb.copy(buf, src, n);
                fb.b.br(done);
                fb.b.at_end(done);
                Some(buf)
            },
        );
        let (flag, root, comm) = match root {
            Some((r, c)) => (self.b.const_int(i, 1), r, c),
            None => (self.b.const_int(i, 0), self.b.const_int(i, 0), self.none()),
        };
        self.call(h, &[src, n, flag, root, comm])
    }

    // ---- forward mode ----

    /// Tangent of `MPI_Send` / `MPI_Recv` / `MPI_Bcast`: the same call on
    /// the shadow (zeros when there is none).
    pub fn fwd_same(&self, name: &str, d: Value, rest: &[Value]) {
        let p = self.ptr();
        let mut params = vec![p];
        params.extend(rest.iter().map(|v| v.ty()));
        let n = rest[0];
        let helper_name = format!("fwd.{}", name.trim_start_matches("MPI_").to_lowercase());
        let nrest = rest.len();
        let call_name = name.to_string();
        let h = helper(
            self.module,
            self.prec,
            &helper_name,
            None,
            &params,
            |fb, a| {
                let (buf, scratch) = fb.or_zeros(a[0], a[1]);
                let mut args = vec![buf];
                args.extend_from_slice(&a[1..=nrest]);
                if call_name == "MPI_Recv" {
                    args.push(fb.null());
                }
                fb.mpi(&call_name, &args);
                fb.free(scratch);
                None
            },
        );
        let _ = n;
        let mut args = vec![d];
        args.extend_from_slice(rest);
        self.call(h, &args);
    }

    /// Tangent of `MPI_Sendrecv`.
    pub fn fwd_sendrecv(&self, send: [Value; 5], recv: [Value; 5], comm: Value) {
        let (p, i) = (self.ptr(), self.i32());
        let h = helper(
            self.module,
            self.prec,
            "fwd_sendrecv",
            None,
            &[p, i, p, i, i, p, i, p, i, i, p],
            |fb, a| {
                let (sbuf, s1) = fb.or_zeros(a[0], a[1]);
                let (rbuf, s2) = fb.or_zeros(a[5], a[6]);
                fb.mpi(
                    "MPI_Sendrecv",
                    &[
                        sbuf,
                        a[1],
                        a[2],
                        a[3],
                        a[4],
                        rbuf,
                        a[6],
                        a[7],
                        a[8],
                        a[9],
                        a[10],
                        fb.null(),
                    ],
                );
                fb.free(s1);
                fb.free(s2);
                None
            },
        );
        let mut args = send.to_vec();
        args.extend(recv);
        args.push(comm);
        self.call(h, &args);
    }

    /// Tangent of `MPI_Allreduce` / `MPI_Reduce` (`root` None for the
    /// former): `ds` null with `in_place` set means `MPI_IN_PLACE`; for
    /// min/max `xr` = (copy of the input, the result) after the call.
    #[allow(clippy::too_many_arguments)]
    pub fn fwd_reduce(
        &self,
        ds: Value,
        in_place: Value,
        dr: Value,
        n: Value,
        dt: Value,
        root: Option<Value>,
        comm: Value,
        xr: Option<(Value, Value)>,
    ) {
        let (p, i) = (self.ptr(), self.i32());
        let rooted = root.is_some();
        let name = if rooted {
            "fwd_reduce"
        } else {
            "fwd_allreduce"
        };
        let h = helper(
            self.module,
            self.prec,
            name,
            None,
            &[p, Type::int(self.ctx(), 1), p, i, p, i, p, p, p],
            |fb, a| {
                let (ds, in_place, dr, n, dt, root, comm, x, r) =
                    (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
                let rank = fb.comm_rank(comm);
                let at_root = if rooted {
                    fb.b.icmp(IntPredicate::LLVMIntEQ, rank, root)
                } else {
                    fb.b.const_int(Type::int(fb.ctx(), 1), 1)
                };
                let n_at_root = fb.b.select(at_root, fb.wide(n), fb.c64(0));
                let (rbuf, s2) = fb.or_zeros(dr, n_at_root);
                let sum = fb.is_null(x);
                let yes = fb.f.append_block("sum");
                let no = fb.f.append_block("extremum");
                let done = fb.f.append_block("done");
                fb.b.cond_br(sum, yes, no);
                // sum: the same reduction of the tangents
                fb.b.at_end(yes);
                let (sbuf, s1) = fb.or_zeros(ds, n);
                let ip = fb.b.int_to_ptr(fb.c64(1), fb.ptr());
                let sbuf = fb.b.select(in_place, ip, sbuf);
                let mut args = vec![sbuf, rbuf, n, dt, fb.handle("ompi_mpi_op_sum")];
                if rooted {
                    args.push(root);
                }
                args.push(comm);
                fb.mpi(
                    if rooted {
                        "MPI_Reduce"
                    } else {
                        "MPI_Allreduce"
                    },
                    &args,
                );
                fb.free(s1);
                fb.b.br(done);
                // min/max: the owner's tangent
                fb.b.at_end(no);
                let rr = fb.calloc(n, fb.size());
                let hr = fb.b.icmp(IntPredicate::LLVMIntNE, r, fb.null());
                let own = fb.b.select(at_root, hr, at_root);
                fb.when(own, |fb| fb.copy(rr, r, n));
                if rooted {
                    fb.mpi("MPI_Bcast", &[rr, n, dt, root, comm]);
                }
                let dx = fb.b.select(in_place, dr, ds);
                let pick = owner_pick_helper(fb.m, fb.prec);
                let tmp = fb.b.call_fn(pick, &[dx, x, rr, n, comm]);
                let mut args = vec![tmp, rbuf, n, dt, fb.handle("ompi_mpi_op_sum")];
                if rooted {
                    args.push(root);
                }
                args.push(comm);
                fb.mpi(
                    if rooted {
                        "MPI_Reduce"
                    } else {
                        "MPI_Allreduce"
                    },
                    &args,
                );
                fb.free(tmp);
                fb.free(rr);
                fb.free(x);
                fb.b.br(done);
                fb.b.at_end(done);
                fb.free(s2);
                None
            },
        );
        let (x, r) = xr.unwrap_or((self.none(), self.none()));
        let root = root.unwrap_or_else(|| self.b.const_int(i, 0));
        self.call(h, &[ds, in_place, dr, n, dt, root, comm, x, r]);
    }

    /// Tangent of `MPI_Gather`, `MPI_Scatter`, `MPI_Allgather`: the same
    /// call on the shadows.
    pub fn fwd_collect(
        &self,
        kind: super::Kind,
        send: [Value; 3],
        recv: [Value; 3],
        root: Option<Value>,
        comm: Value,
    ) {
        let (p, i) = (self.ptr(), self.i32());
        let name = match kind {
            super::Kind::Gather => "fwd_gather",
            super::Kind::Scatter => "fwd_scatter",
            _ => "fwd_allgather",
        };
        let h = helper(
            self.module,
            self.prec,
            name,
            None,
            &[p, i, p, p, i, p, i, p],
            |fb, a| {
                let (ds, sn, sdt, dr, rn, rdt, root, comm) =
                    (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
                let size = fb.comm_size(comm);
                let all_r = fb.b.mul_int(fb.wide(rn), fb.wide(size));
                let all_s = fb.b.mul_int(fb.wide(sn), fb.wide(size));
                let (s_n, r_n, call) = match kind {
                    super::Kind::Gather => (fb.wide(sn), all_r, "MPI_Gather"),
                    super::Kind::Scatter => (all_s, fb.wide(rn), "MPI_Scatter"),
                    _ => (fb.wide(sn), all_r, "MPI_Allgather"),
                };
                let (sbuf, s1) = fb.or_zeros(ds, s_n);
                let (rbuf, s2) = fb.or_zeros(dr, r_n);
                let mut args = vec![sbuf, sn, sdt, rbuf, rn, rdt];
                if kind != super::Kind::Allgather {
                    args.push(root);
                }
                args.push(comm);
                fb.mpi(call, &args);
                fb.free(s1);
                fb.free(s2);
                None
            },
        );
        let root = root.unwrap_or_else(|| self.b.const_int(self.i32(), 0));
        self.call(
            h,
            &[
                send[0], send[1], send[2], recv[0], recv[1], recv[2], root, comm,
            ],
        );
    }

    // ---- non-blocking calls ----

    /// Records a non-blocking call right after it (`req` the address of
    /// its request variable): returns the record.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        req: Value,
        recv: bool,
        d: Value,
        n: Value,
        dt: Value,
        peer: Value,
        tag: Value,
        comm: Value,
    ) -> Value {
        let (p, i) = (self.ptr(), self.i32());
        let head = pending_list(self.module);
        let h = helper(
            self.module,
            self.prec,
            "record",
            Some(p),
            &[p, i, p, i, p, i, i, p],
            |fb, a| {
                let rec = fb.libc("malloc", fb.ptr(), &[fb.c64(RECORD_BYTES)]);
                let old = fb.b.load(fb.ptr(), head);
                fb.set_field(rec, R_NEXT, old);
                fb.set_field(rec, R_REQ, a[0]);
                fb.set_field(rec, R_RECV, fb.wide(a[1]));
                fb.set_field(rec, R_SHADOW, a[2]);
                fb.set_field(rec, R_COUNT, fb.wide(a[3]));
                fb.set_field(rec, R_TYPE, a[4]);
                fb.set_field(rec, R_PEER, fb.wide(a[5]));
                fb.set_field(rec, R_TAG, fb.wide(a[6]));
                fb.set_field(rec, R_COMM, a[7]);
                fb.set_field(rec, R_DREQ, fb.null());
                fb.set_field(rec, R_TMP, fb.null());
                fb.set_field(rec, R_SIZE, fb.c64(fb.size()));
                fb.set_field(rec, R_VAL, fb.b.load(fb.ptr(), a[0]));
                fb.b.store(rec, head);
                Some(rec)
            },
        );
        let flag = self.b.const_int(i, i64::from(recv));
        self.call(h, &[req, flag, d, n, dt, peer, tag, comm])
    }

    /// Before a wait: the record of the request variable at `req` (null:
    /// none), taken out of the list.
    pub fn take(&self, req: Value) -> Value {
        self.call(take_helper(self.module, self.prec), &[req])
    }

    /// Before a `MPI_Waitall(count, reqs, ...)`: the records of its
    /// requests, in a heap array.
    pub fn take_all(&self, count: Value, reqs: Value) -> Value {
        let (p, i) = (self.ptr(), self.i32());
        let h = helper(
            self.module,
            self.prec,
            "take_all",
            Some(p),
            &[i, p],
            |fb, a| {
                let arr = fb.calloc(a[0], 8);
                let take = take_helper(fb.m, fb.prec);
                fb.for_n(fb.wide(a[0]), |fb, k| {
                    let r = fb.b.gep(fb.ptr(), a[1], &[k]);
                    let rec = fb.b.call_fn(take, &[r]);
                    fb.b.store(rec, fb.b.gep(fb.ptr(), arr, &[k]));
                });
                Some(arr)
            },
        );
        self.call(h, &[count, reqs])
    }

    /// Starts the message of a record: forward mode's tangent (`adjoint`
    /// false: the same direction, on the shadow) or the adjoint (the
    /// reverse direction; a received adjoint goes to a scratch buffer).
    fn start_helper(&self, adjoint: bool) -> Value {
        let p = self.ptr();
        helper(
            self.module,
            self.prec,
            if adjoint { "rev_wait" } else { "fwd_start" },
            None,
            &[p],
            |fb, a| {
                let rec = a[0];
                let has = fb.b.icmp(IntPredicate::LLVMIntNE, rec, fb.null());
                fb.when(has, |fb| {
                    let i32t = fb.i32();
                    let n = fb.b.int_cast(fb.field(rec, R_COUNT, fb.i64()), i32t, true);
                    let dt = fb.field(rec, R_TYPE, fb.ptr());
                    let peer = fb.b.int_cast(fb.field(rec, R_PEER, fb.i64()), i32t, true);
                    let tag = fb.b.int_cast(fb.field(rec, R_TAG, fb.i64()), i32t, true);
                    let comm = fb.field(rec, R_COMM, fb.ptr());
                    let recv = fb.field(rec, R_RECV, fb.i64());
                    let shadow = fb.field(rec, R_SHADOW, fb.ptr());
                    let dreq = fb.b.gep_i8(rec, R_DREQ);
                    let size = fb.field(rec, R_SIZE, fb.i64());
                    let receives = fb.b.icmp(IntPredicate::LLVMIntNE, recv, fb.c64(0));
                    // adjoint: a receive becomes a send and vice versa
                    let receive_now = if adjoint {
                        fb.b.icmp(IntPredicate::LLVMIntEQ, recv, fb.c64(0))
                    } else {
                        receives
                    };
                    let yes = fb.f.append_block("receive");
                    let no = fb.f.append_block("send");
                    let done = fb.f.append_block("started");
                    fb.b.cond_br(receive_now, yes, no);
                    fb.b.at_end(yes);
                    let into = if adjoint {
                        let tmp = fb.calloc_dyn(n, size);
                        fb.set_field(rec, R_TMP, tmp);
                        tmp
                    } else {
                        let (buf, scratch) = fb.or_zeros_dyn(shadow, n, size);
                        fb.set_field(rec, R_TMP, scratch);
                        buf
                    };
                    fb.mpi("MPI_Irecv", &[into, n, dt, peer, tag, comm, dreq]);
                    fb.b.br(done);
                    fb.b.at_end(no);
                    let (buf, scratch) = fb.or_zeros_dyn(shadow, n, size);
                    fb.set_field(rec, R_TMP, scratch);
                    fb.mpi("MPI_Isend", &[buf, n, dt, peer, tag, comm, dreq]);
                    fb.b.br(done);
                    fb.b.at_end(done);
                });
                None
            },
        )
    }

    /// Forward mode, right after `MPI_Isend`/`MPI_Irecv` was recorded:
    /// starts the tangent message.
    pub fn fwd_start(&self, rec: Value) {
        let h = self.start_helper(false);
        self.call(h, &[rec]);
    }

    /// Forward mode, after a wait: completes the tangent message of `rec`
    /// (null: nothing) and frees the record.
    pub fn fwd_finish(&self, rec: Value) {
        let h = finish_helper(self.module, self.prec);
        self.call(h, &[rec]);
    }

    /// Forward mode, after a `MPI_Waitall`: [`Mpi::fwd_finish`] on each.
    pub fn fwd_finish_all(&self, count: Value, arr: Value) {
        let (p, i) = (self.ptr(), self.i32());
        let h = helper(
            self.module,
            self.prec,
            "fwd_finish_all",
            None,
            &[i, p],
            |fb, a| {
                let fin = finish_helper(fb.m, fb.prec);
                fb.for_n(fb.wide(a[0]), |fb, k| {
                    let rec = fb.b.load(fb.ptr(), fb.b.gep(fb.ptr(), a[1], &[k]));
                    fb.b.call_fn(fin, &[rec]);
                });
                fb.free(a[1]);
                None
            },
        );
        self.call(h, &[count, arr]);
    }

    /// Reverse of a wait: starts the adjoint message of `rec`.
    pub fn rev_wait(&self, rec: Value) {
        let h = self.start_helper(true);
        self.call(h, &[rec]);
    }

    /// Reverse of a `MPI_Waitall`: [`Mpi::rev_wait`] on each record
    /// (`release`: free the array of records afterwards).
    pub fn rev_wait_all(&self, count: Value, arr: Value, release: Value) {
        let start = self.start_helper(true);
        let (p, i, b1) = (self.ptr(), self.i32(), self.i1());
        let h = helper(
            self.module,
            self.prec,
            "rev_waitall",
            None,
            &[i, p, b1],
            |fb, a| {
                fb.for_n(fb.wide(a[0]), |fb, k| {
                    let rec = fb.b.load(fb.ptr(), fb.b.gep(fb.ptr(), a[1], &[k]));
                    fb.b.call_fn(start, &[rec]);
                });
                fb.free_if(a[2], a[1]);
                None
            },
        );
        self.call(h, &[count, arr, release]);
    }

    /// Reverse of `MPI_Isend`/`MPI_Irecv`: waits for the adjoint message,
    /// adds a received adjoint into the send buffer's shadow or zeroes the
    /// receive buffer's, frees the record (when `release`).
    pub fn rev_complete(&self, rec: Value, release: Value) {
        let (p, b1) = (self.ptr(), self.i1());
        let h = helper(
            self.module,
            self.prec,
            "rev_complete",
            None,
            &[p, b1],
            |fb, a| {
                let rec = a[0];
                // A record no wait took (its wait was not recognized): the
                // adjoint message was never started. Stop rather than
                // return a wrong derivative.
                let started = fb.field(rec, R_DREQ, fb.ptr());
                fb.when(fb.is_null(started), |fb| {
                    let msg = "ferment: the derivative of an MPI_Isend/MPI_Irecv found no matching MPI_Wait/MPI_Waitall (wait on the request variable the call wrote)\n";
                    crate::reverse::tape::emit_stop(&fb.b, "ferment.mpi.unmatched", msg);
                });
                fb.mpi("MPI_Wait", &[fb.b.gep_i8(rec, R_DREQ), fb.null()]);
                let n = fb.field(rec, R_COUNT, fb.i64());
                let recv = fb.field(rec, R_RECV, fb.i64());
                let shadow = fb.field(rec, R_SHADOW, fb.ptr());
                let tmp = fb.field(rec, R_TMP, fb.ptr());
                let peer = fb.field(rec, R_PEER, fb.i64());
                // Read before the branch: both arms use it.
                let size = fb.field(rec, R_SIZE, fb.i64());
                let receives = fb.b.icmp(IntPredicate::LLVMIntNE, recv, fb.c64(0));
                let yes = fb.f.append_block("was.receive");
                let no = fb.f.append_block("was.send");
                let done = fb.f.append_block("done");
                fb.b.cond_br(receives, yes, no);
                fb.b.at_end(yes);
                let real = fb.b.icmp(IntPredicate::LLVMIntNE, peer, fb.c64(PROC_NULL));
                let has = fb.b.icmp(IntPredicate::LLVMIntNE, shadow, fb.null());
                let clear = fb.b.select(real, has, real);
                fb.when(clear, |fb| {
                    let bytes = fb.b.mul_int(n, size);
                    fb.b.memset(shadow, fb.b.const_int(fb.b.i8(), 0), bytes);
                });
                fb.b.br(done);
                fb.b.at_end(no);
                fb.add_dyn(shadow, tmp, n, size);
                fb.b.br(done);
                fb.b.at_end(done);
                fb.free(tmp);
                fb.set_field(rec, R_TMP, fb.null());
                fb.free_if(a[1], rec);
                None
            },
        );
        self.call(h, &[rec, release]);
    }
}

/// The module's list of recorded non-blocking calls not yet waited for.
fn pending_list(m: Module) -> Value {
    let name = "ferment.mpi.pending";
    m.zeroed_global(name, Type::ptr(m.context()), |_| ())
}

/// The record whose field `key` equals the argument, taken out of the
/// list (null: none).
fn take_by_helper(m: Module, prec: Prec, key: u64) -> Value {
    let p = Type::ptr(m.context());
    let head = pending_list(m);
    let name = if key == R_REQ {
        "take.slot"
    } else {
        "take.value"
    };
    helper(m, prec, name, Some(p), &[p], |fb, a| {
        // walk the list through the address of each link
        let entry = fb.b.insert_block();
        let lp = fb.f.append_block("walk");
        let found = fb.f.append_block("found");
        let next = fb.f.append_block("next");
        let none = fb.f.append_block("none");
        fb.b.br(lp);
        fb.b.at_end(lp);
        let link = fb.b.phi(fb.ptr(), "link");
        let cur = fb.b.load(fb.ptr(), link);
        fb.b.cond_br(fb.is_null(cur), none, next);
        fb.b.at_end(next);
        let req = fb.field(cur, key, fb.ptr());
        let hit = fb.b.icmp(IntPredicate::LLVMIntEQ, req, a[0]);
        let step = fb.f.append_block("step");
        fb.b.cond_br(hit, found, step);
        fb.b.at_end(step);
        let nl = fb.b.gep_i8(cur, R_NEXT);
        fb.b.br(lp);
        link.add_incoming(head, entry);
        link.add_incoming(nl, step);
        fb.b.at_end(found);
        let after = fb.field(cur, R_NEXT, fb.ptr());
        fb.b.store(after, link);
        fb.b.ret(cur);
        fb.b.at_end(none);
        Some(fb.null())
    })
}

/// The record of the request variable at the argument: matched by the
/// variable's address, else (a wait on a copy) by the request's value.
fn take_helper(m: Module, prec: Prec) -> Value {
    let p = Type::ptr(m.context());
    let by_slot = take_by_helper(m, prec, R_REQ);
    let by_value = take_by_helper(m, prec, R_VAL);
    helper(m, prec, "take", Some(p), &[p], |fb, a| {
        let rec = fb.b.call_fn(by_slot, &[a[0]]);
        let missing = fb.is_null(rec);
        let entry = fb.b.insert_block();
        let again = fb.f.append_block("by.value");
        let done = fb.f.append_block("done");
        fb.b.cond_br(missing, again, done);
        fb.b.at_end(again);
        let value = fb.b.load(fb.ptr(), a[0]);
        let other = fb.b.call_fn(by_value, &[value]);
        fb.b.br(done);
        fb.b.at_end(done);
        let r = fb.b.phi(fb.ptr(), "rec");
        r.add_incoming(rec, entry);
        r.add_incoming(other, again);
        Some(r)
    })
}

fn finish_helper(m: Module, prec: Prec) -> Value {
    let p = Type::ptr(m.context());
    helper(m, prec, "fwd_finish", None, &[p], |fb, a| {
        let rec = a[0];
        let has = fb.b.icmp(IntPredicate::LLVMIntNE, rec, fb.null());
        fb.when(has, |fb| {
            fb.mpi("MPI_Wait", &[fb.b.gep_i8(rec, R_DREQ), fb.null()]);
            fb.free(fb.field(rec, R_TMP, fb.ptr()));
            fb.free(rec);
        });
        None
    })
}
