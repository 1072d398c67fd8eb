//! Building BLAS calls (always the CBLAS interface, column-major) and the
//! few loop helpers the rules need (`ferment.blas.*`: pack, scale,
//! elementwise dot, triangle and symmetric folds, Murray's Phi).

use super::{Array, Extent, Prec};
use crate::reverse::tape::declare;
use ferment_ir::{Builder, IntPredicate, Module, RealPredicate, Type, Value};

/// Builds CBLAS calls and the few helper loops the rules need, at the
/// builder's position.
pub struct Emit<'a> {
    pub b: &'a Builder,
    pub module: Module,
    pub prec: Prec,
    /// Integer type of dimensions (the primal's).
    pub int: Type,
    /// The tape cache's `(take, release)` (`reverse::tape::tape_cache_helpers`)
    /// for the rules' temporary matrices and operand copies, when on: a
    /// gradient that allocates and frees several megabytes of them had glibc
    /// trim its heap on every call and page-fault it back on the next (gp at
    /// n = 500: a third of the gradient's time in the kernel); else
    /// `calloc` and `free`.
    pub cache: Option<(Value, Value)>,
}

const COL_MAJOR: i64 = 102;
const NO_TRANS: i64 = 111;
const TRANS: i64 = 112;

impl Emit<'_> {
    pub(super) fn ft(&self) -> Type {
        self.prec.ty(self.module)
    }
    pub(super) fn ptr(&self) -> Type {
        Type::ptr(self.module.context())
    }
    pub(super) fn i32(&self) -> Type {
        Type::int(self.module.context(), 32)
    }
    pub fn real(&self, x: f64) -> Value {
        self.b.const_real(self.ft(), x)
    }
    pub(super) fn int_c(&self, x: i64) -> Value {
        self.b.const_int(self.int, x)
    }
    pub(super) fn flag(&self, t: bool) -> Value {
        self.b
            .const_int(self.i32(), if t { TRANS } else { NO_TRANS })
    }
    pub(super) fn cblas(&self, base: &str, ret: Type, args: &[Value]) -> Value {
        let name = format!("cblas_{}{}", self.prec.letter(), base);
        let tys: Vec<Type> = args.iter().map(|a| a.ty()).collect();
        let f = declare(self.module, &name, ret, &tys);
        self.b.call(Type::function(ret, &tys, false), f, args)
    }
    pub(super) fn void(&self) -> Type {
        Type::void(self.module.context())
    }

    /// C = alpha op(A) op(B) + beta C
    #[allow(clippy::too_many_arguments)]
    pub fn gemm(
        &self,
        ta: bool,
        tb: bool,
        (m, n, k): (Value, Value, Value),
        alpha: Value,
        a: (Value, Value),
        b: (Value, Value),
        beta: Value,
        c: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let args = [
            lay,
            self.flag(ta),
            self.flag(tb),
            m,
            n,
            k,
            alpha,
            a.0,
            a.1,
            b.0,
            b.1,
            beta,
            c.0,
            c.1,
        ];
        self.cblas("gemm", self.void(), &args);
    }

    /// y = alpha op(A) x + beta y
    #[allow(clippy::too_many_arguments)]
    pub fn gemv(
        &self,
        t: bool,
        (m, n): (Value, Value),
        alpha: Value,
        a: (Value, Value),
        x: (Value, Value),
        beta: Value,
        y: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let args = [
            lay,
            self.flag(t),
            m,
            n,
            alpha,
            a.0,
            a.1,
            x.0,
            x.1,
            beta,
            y.0,
            y.1,
        ];
        self.cblas("gemv", self.void(), &args);
    }

    /// A += alpha x y^T
    pub fn ger(
        &self,
        (m, n): (Value, Value),
        alpha: Value,
        x: (Value, Value),
        y: (Value, Value),
        a: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let args = [lay, m, n, alpha, x.0, x.1, y.0, y.1, a.0, a.1];
        self.cblas("ger", self.void(), &args);
    }

    pub(super) fn tri_flags(&self, lower: bool, t: bool, unit: bool) -> [Value; 3] {
        let i32t = self.i32();
        [
            self.b.const_int(i32t, if lower { 122 } else { 121 }),
            self.flag(t),
            self.b.const_int(i32t, if unit { 132 } else { 131 }),
        ]
    }

    /// x = op(T) x (`solve`: x = op(T)^-1 x)
    #[allow(clippy::too_many_arguments)]
    pub fn trmv(
        &self,
        solve: bool,
        (lower, t, unit): (bool, bool, bool),
        n: Value,
        a: (Value, Value),
        x: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let [u, tr, d] = self.tri_flags(lower, t, unit);
        let args = [lay, u, tr, d, n, a.0, a.1, x.0, x.1];
        self.cblas(if solve { "trsv" } else { "trmv" }, self.void(), &args);
    }

    /// B = alpha op(T) B or alpha B op(T) (`solve`: op(T)^-1)
    #[allow(clippy::too_many_arguments)]
    pub fn trmm(
        &self,
        solve: bool,
        right: bool,
        (lower, t, unit): (bool, bool, bool),
        (m, n): (Value, Value),
        alpha: Value,
        a: (Value, Value),
        b: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let side = self.b.const_int(self.i32(), if right { 142 } else { 141 });
        let [u, tr, d] = self.tri_flags(lower, t, unit);
        let args = [lay, side, u, tr, d, m, n, alpha, a.0, a.1, b.0, b.1];
        self.cblas(if solve { "trsm" } else { "trmm" }, self.void(), &args);
    }

    /// y = alpha S x + beta y
    #[allow(clippy::too_many_arguments)]
    pub fn symv(
        &self,
        lower: bool,
        n: Value,
        alpha: Value,
        a: (Value, Value),
        x: (Value, Value),
        beta: Value,
        y: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let u = self.b.const_int(self.i32(), if lower { 122 } else { 121 });
        let args = [lay, u, n, alpha, a.0, a.1, x.0, x.1, beta, y.0, y.1];
        self.cblas("symv", self.void(), &args);
    }

    /// C = alpha S B + beta C (left) or alpha B S + beta C (right)
    #[allow(clippy::too_many_arguments)]
    pub fn symm(
        &self,
        (right, lower): (bool, bool),
        (m, n): (Value, Value),
        alpha: Value,
        a: (Value, Value),
        b: (Value, Value),
        beta: Value,
        c: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let side = self.b.const_int(self.i32(), if right { 142 } else { 141 });
        let u = self.b.const_int(self.i32(), if lower { 122 } else { 121 });
        let args = [
            lay, side, u, m, n, alpha, a.0, a.1, b.0, b.1, beta, c.0, c.1,
        ];
        self.cblas("symm", self.void(), &args);
    }

    /// C = alpha op(A) op(A)^T + beta C on a triangle; with `b`,
    /// syr2k: alpha (op(A) op(B)^T + op(B) op(A)^T) + beta C.
    #[allow(clippy::too_many_arguments)]
    pub fn syrk(
        &self,
        (lower, t): (bool, bool),
        (n, k): (Value, Value),
        alpha: Value,
        a: (Value, Value),
        b: Option<(Value, Value)>,
        beta: Value,
        c: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let u = self.b.const_int(self.i32(), if lower { 122 } else { 121 });
        let mut args = vec![lay, u, self.flag(t), n, k, alpha, a.0, a.1];
        if let Some(b) = b {
            args.extend([b.0, b.1]);
        }
        args.extend([beta, c.0, c.1]);
        let name = if b.is_some() { "syr2k" } else { "syrk" };
        self.cblas(name, self.void(), &args);
    }

    /// A_tri += alpha x x^T (`y`: alpha (x y^T + y x^T)), on a triangle.
    pub fn syr(
        &self,
        lower: bool,
        n: Value,
        alpha: Value,
        x: (Value, Value),
        y: Option<(Value, Value)>,
        a: (Value, Value),
    ) {
        let lay = self.b.const_int(self.i32(), COL_MAJOR);
        let u = self.b.const_int(self.i32(), if lower { 122 } else { 121 });
        let mut args = vec![lay, u, n, alpha, x.0, x.1];
        if let Some(y) = y {
            args.extend([y.0, y.1]);
        }
        args.extend([a.0, a.1]);
        let name = if y.is_some() { "syr2" } else { "syr" };
        self.cblas(name, self.void(), &args);
    }

    /// Y_tri += s (X + X^T) (s X[i,i] on the diagonal) over an n x n
    /// triangle: the adjoint of a symmetric matrix stored in that triangle.
    pub fn sym_add(&self, lower: bool, n: Value, s: Value, x: (Value, Value), y: (Value, Value)) {
        let h = self.helper(Helper::SymAdd { lower });
        let args = [
            s,
            self.i64(n),
            self.i64(n),
            x.0,
            self.i64(x.1),
            y.0,
            self.i64(y.1),
        ];
        self.b.call_fn(h, &args);
    }

    /// A heap n x n matrix: the symmetric matrix stored in a triangle of
    /// X (with its diagonal doubled when `double_diag`).
    pub fn sym_pack(
        &self,
        lower: bool,
        double_diag: bool,
        n: Value,
        x: (Value, Value),
    ) -> (Value, Value) {
        let p = self.temp(n, n);
        let h = self.helper(Helper::SymPack { lower, double_diag });
        let args = [
            self.real(0.0),
            self.i64(n),
            self.i64(n),
            x.0,
            self.i64(x.1),
            p.0,
            self.i64(p.1),
        ];
        self.b.call_fn(h, &args);
        p
    }

    /// X = Phi(X): the triangle with its diagonal halved, 0 elsewhere.
    pub fn phi(&self, lower: bool, n: Value, x: (Value, Value)) {
        let h = self.helper(Helper::Phi { lower });
        let null = self.b.zero(self.ptr());
        let z = self.b.const_int(self.b.i64(), 0);
        let args = [
            self.real(0.0),
            self.i64(n),
            self.i64(n),
            x.0,
            self.i64(x.1),
            null,
            z,
        ];
        self.b.call_fn(h, &args);
    }

    /// B = C^-1 B for C = L L^T (lower) or U^T U (upper) given the factor.
    pub fn chol_solve(
        &self,
        lower: bool,
        (n, r): (Value, Value),
        f: (Value, Value),
        b: (Value, Value),
    ) {
        let one = self.real(1.0);
        // lower: L^-T (L^-1 B); upper: U^-1 (U^-T B)
        self.trmm(true, false, (lower, !lower, false), (n, r), one, f, b);
        self.trmm(true, false, (lower, lower, false), (n, r), one, f, b);
    }

    /// X_tri = s X_tri over an n x n triangle.
    pub fn tri_scale(&self, lower: bool, n: Value, s: Value, x: (Value, Value)) {
        let h = self.helper(Helper::TriScale { lower });
        let null = self.b.zero(self.ptr());
        let z = self.b.const_int(self.b.i64(), 0);
        let args = [s, self.i64(n), self.i64(n), x.0, self.i64(x.1), null, z];
        self.b.call_fn(h, &args);
    }

    /// A_tri += s X over the n x n triangle a triangular routine reads.
    pub fn tri_add(
        &self,
        (lower, unit): (bool, bool),
        n: Value,
        s: Value,
        x: (Value, Value),
        a: (Value, Value),
    ) {
        let h = self.helper(Helper::TriAdd { lower, unit });
        let args = [
            s,
            self.i64(n),
            self.i64(n),
            x.0,
            self.i64(x.1),
            a.0,
            self.i64(a.1),
        ];
        self.b.call_fn(h, &args);
    }

    /// A heap n x n matrix (leading dimension returned) holding the
    /// triangle of A a triangular routine reads, zero elsewhere.
    pub fn tri_pack(
        &self,
        (lower, unit): (bool, bool),
        n: Value,
        a: (Value, Value),
    ) -> (Value, Value) {
        let p = self.calloc(n, n);
        let ld = self.packed_stride(a.1, Extent::Matrix(n, n));
        let h = self.helper(Helper::TriPack { lower, unit });
        let args = [
            self.real(0.0),
            self.i64(n),
            self.i64(n),
            a.0,
            self.i64(a.1),
            p,
            self.i64(ld),
        ];
        self.b.call_fn(h, &args);
        (p, ld)
    }

    /// A heap rows x cols matrix (leading dimension returned) holding the
    /// transpose of the cols x rows matrix stored at `x`.
    pub fn transposed(&self, x: (Value, Value), rows: Value, cols: Value) -> (Value, Value) {
        let p = self.temp(rows, cols);
        self.transpose_into(x, (rows, cols), p);
        p
    }

    /// Y = X^T for a rows x cols Y (X is cols x rows).
    pub fn transpose_into(
        &self,
        x: (Value, Value),
        (rows, cols): (Value, Value),
        y: (Value, Value),
    ) {
        let h = self.helper(Helper::Transpose);
        let args = [
            self.real(0.0),
            self.i64(rows),
            self.i64(cols),
            x.0,
            self.i64(x.1),
            y.0,
            self.i64(y.1),
        ];
        self.b.call_fn(h, &args);
    }

    /// X[i,j] = X[i,j] / (w[j] - w[i]) off the diagonal, 0 on it (the
    /// eigenvector rules; `w` contiguous).
    pub fn eig_gap(&self, n: Value, x: (Value, Value), w: Value) {
        let h = self.helper(Helper::EigGap);
        let args = [
            self.real(0.0),
            self.i64(n),
            self.i64(n),
            x.0,
            self.i64(x.1),
            w,
            self.b.const_int(self.b.i64(), 1),
        ];
        self.b.call_fn(h, &args);
    }

    /// A heap rows x cols matrix and its leading dimension, not cleared:
    /// for the output of a BLAS call with `beta == 0` that writes all of
    /// it (BLAS does not read such an output).
    pub fn scratch(&self, rows: Value, cols: Value) -> (Value, Value) {
        let ld = self.packed_stride(rows, Extent::Matrix(rows, cols));
        let Some((take, _)) = self.cache else {
            return (self.calloc(rows, cols), ld);
        };
        let bytes = self.bytes(rows, cols);
        let one = self.b.const_int(self.b.i64(), 1);
        let small = self.b.icmp(IntPredicate::LLVMIntSLT, bytes, one);
        let bytes = self.b.select(small, one, bytes);
        (self.b.call_fn(take, &[self.b.zero(self.ptr()), bytes]), ld)
    }

    /// A zeroed heap rows x cols matrix and its leading dimension.
    pub fn temp(&self, rows: Value, cols: Value) -> (Value, Value) {
        let p = self.calloc(rows, cols);
        (p, self.packed_stride(rows, Extent::Matrix(rows, cols)))
    }

    /// y += alpha x
    pub fn axpy(&self, n: Value, alpha: Value, x: (Value, Value), y: (Value, Value)) {
        self.cblas("axpy", self.void(), &[n, alpha, x.0, x.1, y.0, y.1]);
    }

    pub fn dot(&self, n: Value, x: (Value, Value), y: (Value, Value)) -> Value {
        self.cblas("dot", self.ft(), &[n, x.0, x.1, y.0, y.1])
    }

    pub fn copy(&self, n: Value, x: (Value, Value), y: (Value, Value)) {
        self.cblas("copy", self.void(), &[n, x.0, x.1, y.0, y.1]);
    }

    /// `|inc|`
    pub fn abs_int(&self, v: Value) -> Value {
        let neg = self
            .b
            .icmp(IntPredicate::LLVMIntSLT, v, self.b.zero(v.ty()));
        self.b
            .select(neg, self.b.sub_int(self.b.zero(v.ty()), v), v)
    }

    /// The stride of a packed copy of an array (see [`Emit::pack`]): the
    /// number of rows for a matrix (at least 1); for a vector the sign of
    /// its increment, so that the logical order of the elements is kept.
    pub fn packed_stride(&self, stride: Value, ext: Extent) -> Value {
        match ext {
            Extent::Matrix(rows, _) => {
                let small = self.b.icmp(IntPredicate::LLVMIntSLT, rows, self.int_c(1));
                self.b.select(small, self.int_c(1), rows)
            }
            Extent::Vector(_) => {
                let neg = self.b.icmp(IntPredicate::LLVMIntSLT, stride, self.int_c(0));
                self.b.select(neg, self.int_c(-1), self.int_c(1))
            }
        }
    }

    /// (rows, cols, ld) of the storage of an array: a vector is one row
    /// whose columns are `|inc|` apart.
    pub(super) fn storage(&self, stride: Value, ext: Extent) -> (Value, Value, Value) {
        match ext {
            Extent::Matrix(r, c) => (r, c, stride),
            Extent::Vector(n) => (self.int_c(1), n, self.abs_int(stride)),
        }
    }

    /// Bytes of a packed rows x cols array.
    pub(super) fn bytes(&self, rows: Value, cols: Value) -> Value {
        let i64t = self.b.i64();
        let r = self.b.int_cast(rows, i64t, true);
        let c = self.b.int_cast(cols, i64t, true);
        let n = self.b.mul_int(r, c);
        let size = self.module.alloc_size(self.ft()) as i64;
        self.b.mul_int(n, self.b.const_int(i64t, size))
    }

    /// A zeroed heap buffer of rows x cols elements.
    pub fn calloc(&self, rows: Value, cols: Value) -> Value {
        let i64t = self.b.i64();
        let f = declare(self.module, "calloc", self.ptr(), &[i64t, i64t]);
        let bytes = self.bytes(rows, cols);
        // at least one byte, so a null result always means failure
        let one = self.b.const_int(i64t, 1);
        let small = self.b.icmp(IntPredicate::LLVMIntSLT, bytes, one);
        let bytes = self.b.select(small, one, bytes);
        match self.cache {
            Some((take, _)) => {
                let p = self.b.call_fn(take, &[self.b.zero(self.ptr()), bytes]);
                let byte = self.b.const_int(Type::int(self.module.context(), 8), 0);
                self.b.memset(p, byte, bytes);
                p
            }
            None => self.b.call_fn(f, &[one, bytes]),
        }
    }

    /// Frees a block from [`Emit::calloc`] or [`Emit::pack`] (back to the
    /// tape cache when on).
    pub fn free(&self, p: Value) {
        match self.cache {
            Some((_, release)) => {
                self.b.call_fn(release, &[p]);
            }
            None => {
                let f = declare(self.module, "free", self.void(), &[self.ptr()]);
                self.b.call_fn(f, &[p]);
            }
        }
    }

    /// A heap copy of an array, to be used with [`Emit::packed_stride`]
    /// (from the tape cache when on, not cleared first).
    pub fn pack(&self, arr: &Array, ext: Extent) -> Value {
        let (rows, cols, ld) = self.storage(arr.stride, ext);
        let buf = match self.cache {
            Some((take, _)) => {
                let bytes = self.bytes(rows, cols);
                let one = self.b.const_int(self.b.i64(), 1);
                let small = self.b.icmp(IntPredicate::LLVMIntSLT, bytes, one);
                let bytes = self.b.select(small, one, bytes);
                self.b.call_fn(take, &[self.b.zero(self.ptr()), bytes])
            }
            None => self.calloc(rows, cols),
        };
        let h = self.helper(Helper::Pack);
        self.b.call_fn(
            h,
            &[
                self.real(0.0),
                self.i64(rows),
                self.i64(cols),
                arr.ptr,
                self.i64(ld),
                buf,
                self.i64(rows),
            ],
        );
        buf
    }

    pub(super) fn i64(&self, v: Value) -> Value {
        self.b.int_cast(v, self.b.i64(), true)
    }

    /// `X = beta X` over the storage of an array (`beta == 0` clears it,
    /// so that a NaN or infinity there does not survive).
    pub fn scale(&self, beta: Value, x: (Value, Value), ext: Extent) {
        let (rows, cols, ld) = self.storage(x.1, ext);
        let h = self.helper(Helper::Scale);
        let null = self.b.zero(self.ptr());
        let z = self.b.const_int(self.b.i64(), 0);
        self.b.call_fn(
            h,
            &[
                beta,
                self.i64(rows),
                self.i64(cols),
                x.0,
                self.i64(ld),
                null,
                z,
            ],
        );
    }

    /// `sum_ij X_ij Y_ij` over two matrices of the same shape.
    pub fn dot_matrix(&self, shape: (Value, Value), x: (Value, Value), y: (Value, Value)) -> Value {
        let h = self.helper(Helper::Dot);
        self.b.call_fn(
            h,
            &[
                self.real(0.0),
                self.i64(shape.0),
                self.i64(shape.1),
                x.0,
                self.i64(x.1),
                y.0,
                self.i64(y.1),
            ],
        )
    }

    /// The number of entries of a matrix that are not 0 (NaN counts), as a
    /// float.
    pub fn nonzero(&self, shape: (Value, Value), x: (Value, Value)) -> Value {
        let h = self.helper(Helper::NonZero);
        let null = self.b.zero(self.ptr());
        let z = self.b.const_int(self.b.i64(), 0);
        self.b.call_fn(
            h,
            &[
                self.real(0.0),
                self.i64(shape.0),
                self.i64(shape.1),
                x.0,
                self.i64(x.1),
                null,
                z,
            ],
        )
    }

    /// `y_i += a sign(x_i)` (sign by the sign bit) over `n` elements, in
    /// storage order (`|incx|` and `|incy|` apart).
    pub fn sign_axpy(&self, n: Value, a: Value, x: (Value, Value), y: (Value, Value)) {
        let h = self.helper(Helper::SignAxpy);
        let one = self.b.const_int(self.b.i64(), 1);
        let (lx, ly) = (self.i64(self.abs_int(x.1)), self.i64(self.abs_int(y.1)));
        self.b.call_fn(h, &[a, one, self.i64(n), x.0, lx, y.0, ly]);
    }

    /// `sum_i sign(x_i) y_i` over `n` elements, in storage order.
    pub fn sign_dot(&self, n: Value, x: (Value, Value), y: (Value, Value)) -> Value {
        let h = self.helper(Helper::SignDot);
        let one = self.b.const_int(self.b.i64(), 1);
        let (lx, ly) = (self.i64(self.abs_int(x.1)), self.i64(self.abs_int(y.1)));
        self.b
            .call_fn(h, &[self.real(0.0), one, self.i64(n), x.0, lx, y.0, ly])
    }

    /// An internal helper function looping over a rows x cols matrix
    /// `(s, rows, cols, X, ldx, Y, ldy) -> T` (all helpers share this
    /// signature; unused operands are ignored).
    fn helper(&self, h: Helper) -> Value {
        let ft = self.ft();
        let name = format!("ferment.blas.{}.{}", h.name(), self.prec.letter());
        if let Some(f) = self.module.function(&name) {
            return f;
        }
        let ctx = self.module.context();
        let i64t = Type::int(ctx, 64);
        let ptr = self.ptr();
        let ret = if h.returns() { ft } else { Type::void(ctx) };
        let f = self.module.add_function(
            &name,
            Type::function(ret, &[ft, i64t, i64t, ptr, i64t, ptr, i64t], false),
        );
        f.set_internal();
        let p = f.params();
        let (s, rows, cols, x, ldx, y, ldy) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
        let b = Builder::new(self.module);
        b.at_end(f.append_block("entry"));
        let zero = b.const_int(i64t, 0);
        let one = b.const_int(i64t, 1);
        let some = b.and_int(
            b.icmp(IntPredicate::LLVMIntSGT, rows, zero),
            b.icmp(IntPredicate::LLVMIntSGT, cols, zero),
        );
        // An elementwise helper over contiguous storage (every leading
        // dimension equal to `rows`) runs as one column of rows x cols
        // elements: one loop the optimizer vectorizes, where a row-major
        // n x 10 matrix would be n columns of 10.
        let (rows, cols) = match h.elementwise() {
            Some(uses_y) => {
                let mut flat = b.icmp(IntPredicate::LLVMIntEQ, ldx, rows);
                if uses_y {
                    let y_flat = b.icmp(IntPredicate::LLVMIntEQ, ldy, rows);
                    flat = b.and_int(flat, y_flat);
                }
                (
                    b.select(flat, b.mul_int(rows, cols), rows),
                    b.select(flat, one, cols),
                )
            }
            None => (rows, cols),
        };
        let fzero = b.const_real(ft, 0.0);
        let sum = b.counted_loop_with("col", cols, Some(some), &[fzero], |j, acc| {
            b.counted_loop_with("row", rows, None, acc, |i, acc| {
                vec![self.helper_element(&b, h, (i, j), acc[0], [s, x, ldx, y, ldy])]
            })
        });
        if h.returns() {
            b.ret(sum[0]);
        } else {
            b.ret_void();
        }
        // The row loop of a triangle or symmetric helper: one interleave
        // (no vectorized epilogue), or rolled where it reads X[j,i]
        // (`Helper::lean_loops`); compile time, issue 19.
        if let Some(rolled) = h.lean_loops() {
            crate::shim::lean_helper_loops(f, rolled);
        }
        // The column loop (run once over contiguous storage) stays rolled
        // like a derivative's outer loops (compile time, issue 19).
        crate::shim::no_runtime_unroll(f);
        f
    }

    /// The element `(i, j)` of helper `h` (see [`Emit::helper`]): its
    /// accumulator's next value (`acc` where it has none).
    fn helper_element(
        &self,
        b: &Builder,
        h: Helper,
        (i, j): (Value, Value),
        acc: Value,
        [s, x, ldx, y, ldy]: [Value; 5],
    ) -> Value {
        let ft = self.ft();
        let at = |base: Value, ld: Value| {
            let off = b.add_int(i, b.mul_int(j, ld));
            b.gep(ft, base, &[off])
        };
        let px = at(x, ldx);
        let fzero = b.const_real(ft, 0.0);
        let fone = b.const_real(ft, 1.0);
        let sign = |v: Value| b.intrinsic("llvm.copysign", &[ft], &[fone, v]);
        match h {
            Helper::EigGap => {
                let wi = b.load(ft, b.gep(ft, y, &[i]));
                let wj = b.load(ft, b.gep(ft, y, &[j]));
                let diag = b.icmp(IntPredicate::LLVMIntEQ, i, j);
                let v = b.load(ft, px);
                b.store(b.select(diag, fzero, b.fdiv(v, b.fsub(wj, wi))), px);
                acc
            }
            Helper::Transpose => {
                let xt = b.gep(ft, x, &[b.add_int(j, b.mul_int(i, ldx))]);
                let v = b.load(ft, xt);
                b.store(v, at(y, ldy));
                acc
            }
            Helper::Pack => {
                let v = b.load(ft, px);
                b.store(v, at(y, ldy));
                acc
            }
            Helper::Scale => {
                let v = b.load(ft, px);
                let is0 = b.fcmp(RealPredicate::LLVMRealOEQ, s, fzero);
                b.store(b.select(is0, fzero, b.fmul(s, v)), px);
                acc
            }
            Helper::Dot => {
                let u = b.load(ft, px);
                let v = b.load(ft, at(y, ldy));
                b.fadd(acc, b.fmul(u, v))
            }
            Helper::SignAxpy => {
                let u = b.load(ft, px);
                let py = at(y, ldy);
                let v = b.load(ft, py);
                b.store(b.fadd(v, b.fmul(s, sign(u))), py);
                acc
            }
            Helper::NonZero => {
                let u = b.load(ft, px);
                let nz = b.fcmp(RealPredicate::LLVMRealUNE, u, fzero);
                b.fadd(acc, b.select(nz, fone, fzero))
            }
            Helper::SignDot => {
                let u = b.load(ft, px);
                let v = b.load(ft, at(y, ldy));
                b.fadd(acc, b.fmul(sign(u), v))
            }
            Helper::TriAdd { lower, unit } | Helper::TriPack { lower, unit } => {
                // (i, j) in the triangle the routine reads
                let p = if lower {
                    IntPredicate::LLVMIntSGE
                } else {
                    IntPredicate::LLVMIntSLE
                };
                let mut inside = b.icmp(p, i, j);
                if unit {
                    let off = b.icmp(IntPredicate::LLVMIntNE, i, j);
                    inside = b.select(inside, off, inside);
                }
                let py = at(y, ldy);
                let u = b.load(ft, px);
                if matches!(h, Helper::TriAdd { .. }) {
                    let v = b.load(ft, py);
                    b.store(b.select(inside, b.fadd(v, b.fmul(s, u)), v), py);
                } else {
                    b.store(b.select(inside, u, fzero), py);
                }
                acc
            }
            Helper::Phi { lower } => {
                let p = if lower {
                    IntPredicate::LLVMIntSGE
                } else {
                    IntPredicate::LLVMIntSLE
                };
                let inside = b.icmp(p, i, j);
                let diag = b.icmp(IntPredicate::LLVMIntEQ, i, j);
                let v = b.load(ft, px);
                let kept = b.select(diag, b.fmul(b.const_real(ft, 0.5), v), v);
                b.store(b.select(inside, kept, fzero), px);
                acc
            }
            Helper::SymAdd { lower }
            | Helper::SymPack { lower, .. }
            | Helper::TriScale { lower } => {
                let p = if lower {
                    IntPredicate::LLVMIntSGE
                } else {
                    IntPredicate::LLVMIntSLE
                };
                let inside = b.icmp(p, i, j);
                let diag = b.icmp(IntPredicate::LLVMIntEQ, i, j);
                match h {
                    Helper::SymAdd { .. } => {
                        // X[j,i], read only where it is inside the matrix pair
                        let xt = b.gep(ft, x, &[b.add_int(j, b.mul_int(i, ldx))]);
                        let u = b.load(ft, px);
                        let ut = b.load(ft, xt);
                        let sum = b.select(diag, u, b.fadd(u, ut));
                        let py = at(y, ldy);
                        let v = b.load(ft, py);
                        b.store(b.select(inside, b.fadd(v, b.fmul(s, sum)), v), py);
                    }
                    Helper::SymPack { double_diag, .. } => {
                        // Y[i,j] = X[i,j] inside the triangle, X[j,i] outside
                        let xt = b.gep(ft, x, &[b.add_int(j, b.mul_int(i, ldx))]);
                        let src = b.select(inside, px, xt);
                        let u = b.load(ft, src);
                        let u = if double_diag {
                            b.select(diag, b.fadd(u, u), u)
                        } else {
                            u
                        };
                        b.store(u, at(y, ldy));
                    }
                    _ => {
                        let v = b.load(ft, px);
                        let is0 = b.fcmp(RealPredicate::LLVMRealOEQ, s, fzero);
                        let scaled = b.select(is0, fzero, b.fmul(s, v));
                        b.store(b.select(inside, scaled, v), px);
                    }
                }
                acc
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Helper {
    /// Y[i,j] = X[i,j]
    Pack,
    /// Y[i,j] = X[j,i]
    Transpose,
    /// X[i,j] /= Y[j] - Y[i] off the diagonal, 0 on it
    EigGap,
    /// X[i,j] = s X[i,j] (0 when s == 0)
    Scale,
    /// sum X[i,j] Y[i,j]
    Dot,
    /// Y[i,j] += s sign(X[i,j])
    SignAxpy,
    /// sum sign(X[i,j]) Y[i,j]
    SignDot,
    /// the number of X[i,j] != 0
    NonZero,
    /// Y[i,j] += s X[i,j] on the triangle a triangular routine reads
    TriAdd { lower: bool, unit: bool },
    /// Y[i,j] = X[i,j] on that triangle, 0 elsewhere
    TriPack { lower: bool, unit: bool },
    /// Y[i,j] += s (X[i,j] + X[j,i]) on a triangle (s X[i,i] on the diagonal)
    SymAdd { lower: bool },
    /// Y = the symmetric matrix stored in a triangle of X (diagonal doubled
    /// with `double_diag`: the triangle plus its transpose)
    SymPack { lower: bool, double_diag: bool },
    /// X[i,j] = s X[i,j] on a triangle (0 when s == 0)
    TriScale { lower: bool },
    /// X = the triangle of X with its diagonal halved, 0 elsewhere
    /// (Murray's Phi, in the Cholesky derivatives)
    Phi { lower: bool },
}

impl Helper {
    /// For a helper whose element operation does not depend on the
    /// element's position: whether it reads `Y` too.
    fn elementwise(self) -> Option<bool> {
        match self {
            Helper::Pack | Helper::Dot | Helper::SignAxpy | Helper::SignDot => Some(true),
            Helper::Scale | Helper::NonZero => Some(false),
            _ => None,
        }
    }

    pub(super) fn name(self) -> String {
        let tri = |what: &str, lower: bool, unit: bool| {
            format!(
                "{what}.{}.{}",
                if lower { "lower" } else { "upper" },
                if unit { "unit" } else { "nonunit" }
            )
        };
        match self {
            Helper::Pack => "pack".into(),
            Helper::Transpose => "transpose".into(),
            Helper::EigGap => "eiggap".into(),
            Helper::Scale => "scale".into(),
            Helper::Dot => "dot".into(),
            Helper::SignAxpy => "signaxpy".into(),
            Helper::SignDot => "signdot".into(),
            Helper::NonZero => "nonzero".into(),
            Helper::TriAdd { lower, unit } => tri("triadd", lower, unit),
            Helper::TriPack { lower, unit } => tri("tripack", lower, unit),
            Helper::SymAdd { lower } => tri("symadd", lower, false),
            Helper::SymPack { lower, double_diag } => tri("sympack", lower, double_diag),
            Helper::TriScale { lower } => tri("triscale", lower, false),
            Helper::Phi { lower } => tri("phi", lower, false),
        }
    }
    pub(super) fn returns(self) -> bool {
        matches!(self, Helper::Dot | Helper::SignDot | Helper::NonZero)
    }

    /// How the row loop of a helper over one square matrix's triangle or
    /// symmetric pair is compiled (`shim::lean_helper_loops`): `Some(true)`
    /// rolled and scalar where it reads `X[j,i]` (the vectorizer's only
    /// plan assumes `ldx == 1`, impossible for more than one row, so its
    /// vector loops never ran), `Some(false)` one interleave (the same
    /// vector loop, no vectorized epilogue), `None` (the elementwise
    /// helpers, whose flat loop can be all of a matrix, and `Transpose`,
    /// whose `ldx` is 1 for a single column) the host's treatment.
    fn lean_loops(self) -> Option<bool> {
        match self {
            Helper::SymAdd { .. } | Helper::SymPack { .. } => Some(true),
            Helper::EigGap
            | Helper::TriAdd { .. }
            | Helper::TriPack { .. }
            | Helper::TriScale { .. }
            | Helper::Phi { .. } => Some(false),
            _ => None,
        }
    }
}

/// Y += a X over two matrices of one shape (column by column).
pub(super) fn axpy_matrix(
    e: &Emit,
    shape: (Value, Value),
    a: Value,
    x: (Value, Value),
    y: (Value, Value),
) {
    let h = axpy_matrix_helper(e);
    e.b.call_fn(
        h,
        &[
            a,
            e.i64(shape.0),
            e.i64(shape.1),
            x.0,
            e.i64(x.1),
            y.0,
            e.i64(y.1),
        ],
    );
}

fn axpy_matrix_helper(e: &Emit) -> Value {
    // Y[:,j] += s X[:,j] for each column j: one axpy call per column.
    let name = format!("ferment.blas.axpy.{}", e.prec.letter());
    if let Some(f) = e.module.function(&name) {
        return f;
    }
    let ft = e.ft();
    let ctx = e.module.context();
    let i64t = Type::int(ctx, 64);
    let ptr = e.ptr();
    let f = e.module.add_function(
        &name,
        Type::function(
            Type::void(ctx),
            &[ft, i64t, i64t, ptr, i64t, ptr, i64t],
            false,
        ),
    );
    f.set_internal();
    let p = f.params();
    let (s, rows, cols, x, ldx, y, ldy) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
    let b = Builder::new(e.module);
    b.at_end(f.append_block("entry"));
    b.counted_loop("col", cols, |j| {
        let inner = Emit {
            b: &b,
            module: e.module,
            prec: e.prec,
            int: Type::int(ctx, 32),
            cache: e.cache,
        };
        let px = b.gep(ft, x, &[b.mul_int(j, ldx)]);
        let py = b.gep(ft, y, &[b.mul_int(j, ldy)]);
        let n32 = b.int_cast(rows, Type::int(ctx, 32), true);
        let one32 = b.const_int(Type::int(ctx, 32), 1);
        inner.axpy(n32, s, (px, one32), (py, one32));
    });
    b.ret_void();
    crate::shim::no_runtime_unroll(f);
    f
}
