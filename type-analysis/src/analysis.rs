//! The interprocedural fixed point and the query API the plugin uses.
//!
//! Role: own the per-value trees, run the worklist until nothing changes
//! and answer questions afterwards. What each instruction implies lives in
//! `rules.rs` and `calls.rs`; which functions take part lives in `scope.rs`.
//! The analysis is flow- and context-insensitive: one tree per SSA value,
//! merged over every call site of a function. It never mutates IR.

use crate::layout::{array_stride, Layout};
use crate::scope::{self, Request};
use crate::tree::{BaseType, TreeConflict, TypeTree, ANY};
use crate::{calls, rules};
use ferment_ir::{Module, Opcode, Value};
use hashbrown::{HashMap, HashSet};
use std::collections::VecDeque;
use std::fmt;

/// Safety net: visits per tracked value before the solver gives up.
const VISITS_PER_VALUE: usize = 400;

/// Two facts about one value that cannot both hold.
#[derive(Clone, Debug)]
pub struct TypeConflict {
    /// The value whose tree conflicts.
    pub value: Value,
    /// The instruction whose rule produced the second fact.
    pub cause: Value,
    pub conflict: TreeConflict,
}

impl fmt::Display for TypeConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "type conflict for {} at {}",
            crate::printer::value_name(self.value),
            self.conflict
        )?;
        if self.cause.is_instruction() {
            write!(f, " (from `{}`", self.cause.describe())?;
            if let Some(loc) = self.cause.source_location() {
                write!(f, " at {loc}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Builder for one analysis run.
pub struct TypeAnalysis {
    module: Module,
    roots: Vec<Value>,
    whole_module: bool,
    seeds: Vec<(Value, TypeTree)>,
}

impl TypeAnalysis {
    pub fn new(module: Module) -> TypeAnalysis {
        TypeAnalysis {
            module,
            roots: Vec::new(),
            whole_module: false,
            seeds: Vec::new(),
        }
    }

    /// Analyzes `function`, the functions it calls and its direct callers.
    pub fn run(module: Module, function: Value) -> FunctionTypes {
        TypeAnalysis::new(module).root(function).solve()
    }

    /// Adds a function (with its callees and callers) to the analysis.
    pub fn root(mut self, function: Value) -> TypeAnalysis {
        self.roots.push(function);
        self
    }

    /// Analyzes every defined function of the module together.
    pub fn whole_module(mut self) -> TypeAnalysis {
        self.whole_module = true;
        self
    }

    /// A fact known from outside (a request's marker, a user hint).
    pub fn seed(mut self, value: Value, tree: TypeTree) -> TypeAnalysis {
        self.seeds.push((value, tree));
        self
    }

    pub fn solve(self) -> FunctionTypes {
        let functions = if self.whole_module {
            self.module
                .functions()
                .into_iter()
                .filter(|f| !f.is_declaration())
                .collect()
        } else {
            scope::closure(self.module, &self.roots)
        };
        let mut solver = Solver::new(self.module, &functions);
        for (v, t) in &self.seeds {
            solver.add(*v, t, *v);
        }
        solver.run();
        solver.finish(functions)
    }
}

/// The result: a tree for every value of the analyzed functions.
pub struct FunctionTypes {
    layout: Layout,
    trees: HashMap<Value, TypeTree>,
    returns: HashMap<Value, TypeTree>,
    conflicts: Vec<TypeConflict>,
    functions: Vec<Value>,
    function_set: HashSet<Value>,
    converged: bool,
    visits: usize,
}

impl FunctionTypes {
    /// Rule applications the fixed point took (a cost measure).
    pub fn visits(&self) -> usize {
        self.visits
    }

    /// Entries of the largest tree (a size measure).
    pub fn largest_tree(&self) -> usize {
        self.trees.values().map(TypeTree::len).max().unwrap_or(0)
    }

    /// The tree of any value (constants and values outside the analyzed
    /// functions get what their IR type says).
    pub fn tree(&self, v: Value) -> TypeTree {
        self.trees
            .get(&v)
            .cloned()
            .unwrap_or_else(|| constant_tree(&self.layout, v))
    }

    /// What `f` returns.
    pub fn return_tree(&self, f: Value) -> TypeTree {
        self.returns.get(&f).cloned().unwrap_or_default()
    }

    /// What the memory `p` points to holds (first element = byte offset).
    pub fn pointee(&self, p: Value) -> TypeTree {
        self.tree(p).pointee()
    }

    /// The type of the memory at `p + offset` (`Unknown` when not known).
    pub fn memory_at(&self, p: Value, offset: i64) -> BaseType {
        self.pointee(p).lookup(&[offset])
    }

    /// Every type that the `size` bytes at `p + offset` hold, in order.
    pub fn memory_types(&self, p: Value, offset: i64, size: i64) -> Vec<(i64, BaseType)> {
        let data = self.pointee(p);
        data.iter()
            .filter(|(path, _)| {
                path.len() == 1
                    && (path[0] == ANY || (path[0] >= offset && path[0] < offset + size))
            })
            .map(|(path, t)| (path[0], t))
            .collect()
    }

    pub fn conflicts(&self) -> &[TypeConflict] {
        &self.conflicts
    }

    /// Whether `f` took part.
    pub fn covers(&self, f: Value) -> bool {
        self.function_set.contains(&f)
    }

    /// The functions that took part (in module order).
    pub fn functions(&self) -> &[Value] {
        &self.functions
    }

    /// False when the solver stopped at its visit limit.
    pub fn converged(&self) -> bool {
        self.converged
    }
}

/// What a value that is not tracked (a constant) holds.
pub(crate) fn constant_tree(layout: &Layout, v: Value) -> TypeTree {
    if v.is_function() || v.is_global_value() {
        return TypeTree::scalar(BaseType::Pointer);
    }
    if v.const_int().is_some() || v.is_undef() {
        return TypeTree::new();
    }
    layout.value_tree(v.ty())
}

/// The worklist engine; rules read and extend its trees.
pub(crate) struct Solver {
    pub module: Module,
    pub layout: Layout,
    state: HashMap<Value, TypeTree>,
    returns: HashMap<Value, TypeTree>,
    /// Call instructions (and `__enzyme_*` requests) per callee.
    sites: HashMap<Value, Vec<Value>>,
    /// `ret` instructions per function.
    rets: HashMap<Value, Vec<Value>>,
    pub requests: HashMap<Value, Request>,
    in_scope: HashSet<Value>,
    queue: VecDeque<Value>,
    queued: HashSet<Value>,
    conflicts: Vec<TypeConflict>,
    seen_conflicts: HashSet<(Value, Vec<i64>)>,
    converged: bool,
    visits: usize,
    /// [`array_stride`] of GEP bases, computed once each.
    strides: HashMap<Value, Option<i64>>,
    /// Class views ([`rules::CLASS_VIEW`]) by the pointer they view.
    views: HashMap<Value, Vec<Value>>,
    /// The same views, in module order.
    view_list: Vec<Value>,
    /// Whether the caller's facts flow into class views (the second round
    /// of [`Solver::run`]).
    pub forward_views: bool,
    /// Each class view's tree after the first round: what its branch's
    /// own code says.
    view_own: HashMap<Value, TypeTree>,
    /// Facts about a viewed object's bytes that did not join a view's tree
    /// (view, path, type), and every type that met another in a viewed
    /// pointer's tree (pointer, path, type); [`Solver::view_conflicts`]
    /// keeps those no candidate class's own code explains.
    dropped: Vec<(Value, Vec<i64>, BaseType)>,
    met: Vec<(Value, Vec<i64>, BaseType)>,
    noted: HashSet<(Value, Vec<i64>, BaseType)>,
}

impl Solver {
    fn new(module: Module, functions: &[Value]) -> Solver {
        let layout = Layout::new(module);
        let mut s = Solver {
            module,
            layout,
            state: HashMap::new(),
            returns: HashMap::new(),
            sites: HashMap::new(),
            rets: HashMap::new(),
            requests: HashMap::new(),
            in_scope: functions.iter().copied().collect(),
            queue: VecDeque::new(),
            queued: HashSet::new(),
            conflicts: Vec::new(),
            seen_conflicts: HashSet::new(),
            converged: true,
            visits: 0,
            strides: HashMap::new(),
            views: HashMap::new(),
            view_list: Vec::new(),
            forward_views: false,
            view_own: HashMap::new(),
            dropped: Vec::new(),
            met: Vec::new(),
            noted: HashSet::new(),
        };
        for &f in functions {
            for (i, p) in f.params().into_iter().enumerate() {
                let mut t = s.layout.value_tree(p.ty());
                if let Some(hint) = scope::enzyme_type_attr(f, i as u32 + 1) {
                    let mut ignored = Vec::new();
                    t.merge_in(&hint, &mut ignored);
                }
                s.state.insert(p, t);
            }
            let ret = scope::enzyme_type_attr(f, 0)
                .unwrap_or_else(|| s.layout.value_tree(f.global_value_type().fn_return()));
            s.returns.insert(f, ret);
            for inst in f.instructions() {
                if !inst.ty().is_void() {
                    s.state.insert(inst, s.layout.value_tree(inst.ty()));
                }
                s.register(inst);
                if rules::is_class_view(inst) {
                    s.views.entry(inst.operand(0)).or_default().push(inst);
                    s.view_list.push(inst);
                }
                match inst.opcode() {
                    Opcode::LLVMRet => s.rets.entry(f).or_default().push(inst),
                    Opcode::LLVMCall | Opcode::LLVMInvoke => {
                        if let Some(callee) = inst.called_function() {
                            s.sites.entry(callee).or_default().push(inst);
                        }
                    }
                    _ => {}
                }
            }
        }
        for req in scope::requests(module) {
            if s.in_scope.contains(&req.function) || s.in_scope.contains(&req.call.function_of()) {
                s.sites.entry(req.function).or_default().push(req.call);
                s.queue_value(req.call);
                s.requests.insert(req.call, req);
            }
        }
        s
    }

    /// Starts tracking an instruction and the constant expressions and
    /// globals among its operands.
    fn register(&mut self, v: Value) {
        if !self.state.contains_key(&v) {
            if v.is_global() {
                let vt = v.global_value_type();
                // an aggregate's value tree is already keyed by byte offset
                let tree = self.layout.value_tree(vt);
                let mem = if vt.is_struct() || vt.is_array() {
                    tree
                } else {
                    self.layout.memory_from_value(&tree, vt)
                };
                self.state.insert(v, TypeTree::pointer_to(&mem));
            } else if v.is_constant_expr() {
                self.state.insert(v, self.layout.value_tree(v.ty()));
            }
        }
        self.queue_value(v);
        for op in v.operands() {
            if self.state.contains_key(&op) {
                continue;
            }
            if op.is_global() || (op.is_constant_expr() && is_tracked_cast_or_gep(op)) {
                self.register(op);
            }
        }
    }

    fn queue_value(&mut self, v: Value) {
        if (v.is_instruction() || v.is_constant_expr()) && self.queued.insert(v) {
            self.queue.push_back(v);
        }
    }

    pub fn in_scope(&self, f: Value) -> bool {
        self.in_scope.contains(&f)
    }

    /// The element size of the array `v` walks ([`array_stride`]).
    pub fn array_stride(&mut self, v: Value) -> Option<i64> {
        if let Some(&s) = self.strides.get(&v) {
            return s;
        }
        let s = array_stride(&self.layout, v);
        self.strides.insert(v, s);
        s
    }

    /// The current tree of `v`.
    pub fn tree(&self, v: Value) -> TypeTree {
        self.state
            .get(&v)
            .cloned()
            .unwrap_or_else(|| constant_tree(&self.layout, v))
    }

    pub fn return_tree(&self, f: Value) -> TypeTree {
        self.returns.get(&f).cloned().unwrap_or_default()
    }

    /// Joins `t` into the tree of `v`; `cause` is the instruction whose
    /// rule says so (kept for conflict messages).
    pub fn add(&mut self, v: Value, t: &TypeTree, cause: Value) {
        let Some(cur) = self.state.get_mut(&v) else {
            return;
        };
        let mut conflicts = Vec::new();
        let changed = cur.merge_in(t, &mut conflicts);
        if !conflicts.is_empty() && self.views.contains_key(&v) {
            for c in &conflicts {
                if c.path.len() >= 2 && c.path[0] == ANY {
                    for ty in [c.existing, c.incoming] {
                        if self.noted.insert((v, c.path.clone(), ty)) {
                            self.met.push((v, c.path.clone(), ty));
                        }
                    }
                }
            }
        }
        self.record(v, cause, conflicts);
        if changed {
            self.changed(v);
        }
    }

    /// The caller's facts about the object a class view sees (the viewed
    /// pointer's tree) join the view's tree where they agree with it; the
    /// others are noted, for [`Solver::view_conflicts`].
    pub fn forward_into_view(&mut self, view: Value, base: Value) {
        let incoming = TypeTree::pointer_to(&self.tree(base).pointee());
        let Some(cur) = self.state.get_mut(&view) else {
            return;
        };
        let mut conflicts = Vec::new();
        let changed = cur.merge_in(&incoming, &mut conflicts);
        let mut others = Vec::new();
        for c in conflicts {
            if c.path.len() >= 2 && c.path[0] == ANY {
                if self.noted.insert((view, c.path.clone(), c.incoming)) {
                    self.dropped.push((view, c.path, c.incoming));
                }
            } else {
                others.push(c);
            }
        }
        self.record(view, view, others);
        if changed {
            self.changed(view);
        }
    }

    /// Contradictions about viewed objects that the classes do not explain:
    /// a type that a viewed pointer's tree met (or that a view left out)
    /// at a path where no view's own tree (its first-round tree) holds that
    /// type is a caller's fact about the object no candidate class's code
    /// states, so it contradicts each view that holds another type there.
    /// Types that some candidate class's own code holds are that class's
    /// fields, not a contradiction in the others.
    fn view_conflicts(&self) -> Vec<TypeConflict> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let own = |w: Value, path: &[i64]| {
            self.view_own
                .get(&w)
                .map_or(BaseType::Unknown, |t| t.lookup(path))
        };
        let facts = self
            .dropped
            .iter()
            .map(|(view, path, ty)| (view.operand(0), path, *ty))
            .chain(self.met.iter().map(|(base, path, ty)| (*base, path, *ty)));
        for (base, path, ty) in facts {
            let Some(views) = self.views.get(&base) else {
                continue;
            };
            if !ty.is_concrete() || views.iter().any(|&w| own(w, path) == ty) {
                continue;
            }
            for &w in views {
                let mine = own(w, path);
                if mine.is_concrete() && seen.insert((w, path.clone())) {
                    out.push(TypeConflict {
                        value: w,
                        cause: w,
                        conflict: TreeConflict {
                            path: path.clone(),
                            existing: mine,
                            incoming: ty,
                        },
                    });
                }
            }
        }
        out
    }

    /// Joins `t` into what `f` returns.
    pub fn add_return(&mut self, f: Value, t: &TypeTree, cause: Value) {
        let Some(cur) = self.returns.get_mut(&f) else {
            return;
        };
        let mut conflicts = Vec::new();
        let changed = cur.merge_in(t, &mut conflicts);
        self.record(f, cause, conflicts);
        if changed {
            for v in self.rets.get(&f).cloned().unwrap_or_default() {
                self.queue_value(v);
            }
            for v in self.sites.get(&f).cloned().unwrap_or_default() {
                self.queue_value(v);
            }
        }
    }

    fn record(&mut self, value: Value, cause: Value, conflicts: Vec<TreeConflict>) {
        for c in conflicts {
            if self.seen_conflicts.insert((value, c.path.clone())) {
                self.conflicts.push(TypeConflict {
                    value,
                    cause,
                    conflict: c,
                });
            }
        }
    }

    fn changed(&mut self, v: Value) {
        self.queue_value(v);
        for u in v.users() {
            if self.state.contains_key(&u)
                || (u.is_instruction() && u.ty().is_void() && self.in_scope(u.function_of()))
            {
                self.queue_value(u);
            }
        }
        if v.is_argument() {
            let f = Value(unsafe { llvm_sys::core::LLVMGetParamParent(v.0) });
            for site in self.sites.get(&f).cloned().unwrap_or_default() {
                self.queue_value(site);
            }
        }
    }

    /// The fixed point, in two rounds where the module has class views: the
    /// first without the caller's facts flowing into them, so that each
    /// view's tree first holds what its class's own code says, the second
    /// with them (see [`Solver::forward_into_view`]).
    fn run(&mut self) {
        let limit = VISITS_PER_VALUE * (self.state.len() + 16);
        self.drain(limit);
        if self.views.is_empty() {
            return;
        }
        let views = self.view_list.clone();
        for &v in &views {
            self.view_own.insert(v, self.tree(v));
        }
        self.forward_views = true;
        for v in views {
            self.queue_value(v);
        }
        self.drain(limit);
        let extra = self.view_conflicts();
        self.conflicts.extend(extra);
    }

    fn drain(&mut self, limit: usize) {
        while let Some(v) = self.queue.pop_front() {
            self.queued.remove(&v);
            self.visits += 1;
            if self.visits > limit {
                self.converged = false;
                break;
            }
            if v.is_call() {
                calls::visit(self, v);
            } else {
                rules::visit(self, v);
            }
        }
    }

    fn finish(self, functions: Vec<Value>) -> FunctionTypes {
        let function_set: HashSet<Value> = functions.into_iter().collect();
        let order: Vec<Value> = self
            .module
            .functions()
            .into_iter()
            .filter(|f| function_set.contains(f))
            .collect();
        FunctionTypes {
            layout: self.layout,
            trees: self.state,
            returns: self.returns,
            conflicts: self.conflicts,
            functions: order,
            function_set,
            converged: self.converged,
            visits: self.visits,
        }
    }
}

fn is_tracked_cast_or_gep(v: Value) -> bool {
    matches!(
        v.opcode(),
        Opcode::LLVMGetElementPtr
            | Opcode::LLVMBitCast
            | Opcode::LLVMAddrSpaceCast
            | Opcode::LLVMPtrToInt
            | Opcode::LLVMIntToPtr
    )
}
