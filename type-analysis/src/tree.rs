//! The `TypeTree` lattice: what a value, and the memory it points to, holds.
//!
//! Role: pure data structure, no LLVM. A tree maps offset paths to a
//! [`BaseType`]. The first element of a path is a byte offset into the value
//! itself (`-1` = every byte, the usual case for scalars); each further
//! element is a byte offset into the memory reached by one more dereference
//! (`-1` = every offset, i.e. every element of an array). So a `double*` is
//! `{[-1]:Pointer, [-1,0]:Float@double}` and a `struct {double; long}*` is
//! `{[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Integer}`. A type is recorded
//! at the first byte of the thing it describes.
//!
//! Joining is monotone: `Unknown` is bottom, `Anything` absorbs everything,
//! and two different concrete types (Float vs Integer, Float@float vs
//! Float@double, Pointer vs Integer) are a [`TreeConflict`], which leaves the
//! tree unchanged. Paths deeper than [`MAX_DEPTH`] or with offsets beyond
//! [`MAX_OFFSET`] are dropped, and a tree keeps at most [`MAX_ENTRIES`]
//! entries, which bounds every fixed point.

use std::fmt;
use std::str::FromStr;

/// `-1` in a path: the value itself / every offset.
pub const ANY: i64 = -1;
/// Longest path kept (Enzyme's default depth, enough for `[-1,8,8,8,8,0]`).
pub const MAX_DEPTH: usize = 6;
/// Largest byte offset kept in a path.
pub const MAX_OFFSET: i64 = 4096;
/// Most entries one tree keeps; later ones are dropped (recursive types
/// with many pointer fields would otherwise grow trees exponentially).
pub const MAX_ENTRIES: usize = 128;
/// Bytes of the described thing (or of what a value points to) whose own
/// facts (`[k]` or `[-1,k]`, `k < NEAR_BYTES`) keep room in a full tree:
/// up to [`NEAR_ROOM`] more entries, so that the fields of an object itself
/// are never crowded out by what lies behind its pointers. Every offset a
/// tree keeps: unoptimized Eigen passes pointers into the middle of
/// expression objects (a `Block` of a `CwiseBinaryOp` of transposed
/// blocks), whose sizes lie hundreds of bytes into the object the caller's
/// tree describes, behind pointers to matrices whose own facts fill the
/// tree first; dropped, the callee's copy of a size "may hold floats".
/// Bounded (256 bytes, 64 entries): every offset with 128 more entries made
/// an -O0 Eigen Cholesky solve compile 40% longer; this bound fixes the same
/// expressions at 5%.
pub const NEAR_BYTES: i64 = 256;
/// How many entries past [`MAX_ENTRIES`] an object's own facts may add.
pub const NEAR_ROOM: usize = 64;

/// A floating-point format.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum FloatKind {
    Half,
    BFloat,
    Float,
    Double,
    X86Fp80,
    Fp128,
    PpcFp128,
}

impl FloatKind {
    pub const ALL: [FloatKind; 7] = [
        FloatKind::Half,
        FloatKind::BFloat,
        FloatKind::Float,
        FloatKind::Double,
        FloatKind::X86Fp80,
        FloatKind::Fp128,
        FloatKind::PpcFp128,
    ];

    /// The LLVM IR spelling (`double`, `x86_fp80`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FloatKind::Half => "half",
            FloatKind::BFloat => "bfloat",
            FloatKind::Float => "float",
            FloatKind::Double => "double",
            FloatKind::X86Fp80 => "x86_fp80",
            FloatKind::Fp128 => "fp128",
            FloatKind::PpcFp128 => "ppc_fp128",
        }
    }

    /// Bytes the value occupies when stored (x86_fp80: 10).
    pub fn store_size(self) -> u64 {
        match self {
            FloatKind::Half | FloatKind::BFloat => 2,
            FloatKind::Float => 4,
            FloatKind::Double => 8,
            FloatKind::X86Fp80 => 10,
            FloatKind::Fp128 | FloatKind::PpcFp128 => 16,
        }
    }
}

/// What one byte offset holds.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum BaseType {
    /// Nothing known (bottom); never stored in a tree.
    Unknown,
    Integer,
    Pointer,
    Float(FloatKind),
    /// Any type is acceptable here (top; absorbs the others).
    Anything,
}

impl BaseType {
    /// Lattice join; `Err` when two different concrete types meet.
    pub fn join(self, other: BaseType) -> Result<BaseType, (BaseType, BaseType)> {
        use BaseType::*;
        match (self, other) {
            (a, b) if a == b => Ok(a),
            (Unknown, b) => Ok(b),
            (a, Unknown) => Ok(a),
            (Anything, _) | (_, Anything) => Ok(Anything),
            (a, b) => Err((a, b)),
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, BaseType::Float(_))
    }

    /// Concrete: Integer, Pointer or a float (not Unknown, not Anything).
    pub fn is_concrete(self) -> bool {
        matches!(
            self,
            BaseType::Integer | BaseType::Pointer | BaseType::Float(_)
        )
    }
}

impl fmt::Display for BaseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaseType::Unknown => f.write_str("Unknown"),
            BaseType::Integer => f.write_str("Integer"),
            BaseType::Pointer => f.write_str("Pointer"),
            BaseType::Anything => f.write_str("Anything"),
            BaseType::Float(k) => write!(f, "Float@{}", k.name()),
        }
    }
}

impl FromStr for BaseType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "Unknown" => Ok(BaseType::Unknown),
            "Integer" => Ok(BaseType::Integer),
            "Pointer" => Ok(BaseType::Pointer),
            "Anything" => Ok(BaseType::Anything),
            other => {
                let kind = other
                    .strip_prefix("Float@")
                    .ok_or_else(|| format!("unknown base type `{other}`"))?;
                FloatKind::ALL
                    .into_iter()
                    .find(|k| k.name() == kind)
                    .map(BaseType::Float)
                    .ok_or_else(|| format!("unknown float kind `{kind}`"))
            }
        }
    }
}

/// Two concrete types met at one path.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TreeConflict {
    pub path: Vec<i64>,
    pub existing: BaseType,
    pub incoming: BaseType,
}

impl fmt::Display for TreeConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} vs {}",
            PathFmt(&self.path),
            self.existing,
            self.incoming
        )
    }
}

/// Formats a path as `[-1,8,0]`.
pub struct PathFmt<'a>(pub &'a [i64]);

impl fmt::Display for PathFmt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, o) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{o}")?;
        }
        f.write_str("]")
    }
}

/// `a` covers `b`: same length, and every position equal or `-1` in `a`.
fn covers(a: &[i64], b: &[i64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y || *x == ANY)
}

fn keepable(path: &[i64]) -> bool {
    !path.is_empty()
        && path.len() <= MAX_DEPTH
        && path.iter().all(|o| (ANY..=MAX_OFFSET).contains(o))
}

/// Calls `f` on each entry of `all` that overlaps `key`, in order, and
/// stops at the first that answers `true` (then `true`) or fails. `all` is
/// sorted and its entries agree with each other before position `pos` and
/// are compatible there with `key` (equal or `-1`), so at `pos` only two
/// runs can overlap: the entries with `-1` there and those with `key`'s
/// offset, each searched from the next position; a `-1` in `key` is scanned.
/// Finding the few entries of a large tree an insertion meets this way,
/// rather than testing every entry, is what keeps merges of trees full of
/// wildcards (unoptimized C++ objects holding pointers) cheap.
fn each_overlapping<E>(
    all: &[(Key, BaseType)],
    key: &Key,
    pos: usize,
    f: &mut impl FnMut(Key, BaseType) -> Result<bool, E>,
) -> Result<bool, E> {
    if all.is_empty() {
        return Ok(false);
    }
    if pos == MAX_DEPTH {
        for &(k, t) in all {
            if f(k, t)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    let c = key.0[pos];
    // keys that end before `pos` sort first
    let ended = all.partition_point(|(k, _)| k.0[pos] == PAD);
    if c == PAD {
        for &(k, t) in &all[..ended] {
            if f(k, t)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    let rest = &all[ended..];
    if c == ANY {
        for &(k, t) in rest {
            if k.overlaps(key) && f(k, t)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    let wild = rest.partition_point(|(k, _)| k.0[pos] == ANY);
    if each_overlapping(&rest[..wild], key, pos + 1, f)? {
        return Ok(true);
    }
    let rest = &rest[wild..];
    let lo = rest.partition_point(|(k, _)| k.0[pos] < c);
    let hi = lo + rest[lo..].partition_point(|(k, _)| k.0[pos] == c);
    each_overlapping(&rest[lo..hi], key, pos + 1, f)
}

/// Padding after the last offset of a [`Key`]: below every offset, so keys
/// sort like paths (a prefix first, `-1` before concrete offsets).
const PAD: i64 = i64::MIN;

/// A path stored inline (no allocation per entry).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Key([i64; MAX_DEPTH]);

/// Lexicographic, as the arrays compare; spelled out because the binary
/// searches of large trees spend most of their time here and the loop
/// over the first differing offset is several times cheaper than the
/// generic slice comparison.
impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        for i in 0..MAX_DEPTH {
            if self.0[i] != other.0[i] {
                return self.0[i].cmp(&other.0[i]);
            }
        }
        std::cmp::Ordering::Equal
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Key {
    /// `path` must be [`keepable`].
    fn new(path: &[i64]) -> Key {
        let mut k = [PAD; MAX_DEPTH];
        k[..path.len()].copy_from_slice(path);
        Key(k)
    }

    fn as_slice(&self) -> &[i64] {
        let n = self.0.iter().position(|&o| o == PAD).unwrap_or(MAX_DEPTH);
        &self.0[..n]
    }

    /// One of the first [`NEAR_BYTES`] bytes of the thing described, or
    /// of what the value itself points to (`[k]`, `[-1,k]`).
    fn near(&self) -> bool {
        let p = self.as_slice();
        let near = |o: i64| (0..NEAR_BYTES).contains(&o);
        match p {
            [k] => near(*k),
            [ANY, k] => near(*k),
            _ => false,
        }
    }

    /// Has a `-1` below the first position.
    fn deep_wild(&self) -> bool {
        self.as_slice()[1..].contains(&ANY)
    }

    /// Some byte may be described by both keys: same length, every
    /// position equal or `-1` in one of them (the hot test of `insert`).
    fn overlaps(&self, other: &Key) -> bool {
        self.0
            .iter()
            .zip(&other.0)
            .all(|(&x, &y)| x == y || (x == ANY && y != PAD) || (y == ANY && x != PAD))
    }

    /// [`covers`] on keys: same length, every position equal or `-1` in `self`.
    fn covers(&self, other: &Key) -> bool {
        self.0
            .iter()
            .zip(&other.0)
            .all(|(&x, &y)| x == y || (x == ANY && y != PAD))
    }
}

/// The entries of a tree, sorted by key. Trees are small (at most
/// [`MAX_ENTRIES`], mostly a handful) and are copied and rebuilt far more
/// often than they are searched: a sorted vector is one allocation, and
/// its lookups are binary searches over contiguous memory.
#[derive(Clone, Default, PartialEq, Eq, Hash, Debug)]
struct Entries(Vec<(Key, BaseType)>);

impl Entries {
    fn get(&self, key: &Key) -> Option<&BaseType> {
        self.0
            .binary_search_by(|(k, _)| k.cmp(key))
            .ok()
            .map(|i| &self.0[i].1)
    }

    /// Sets `key` to `ty`; returns the type it had.
    fn insert(&mut self, key: Key, ty: BaseType) -> Option<BaseType> {
        match self.0.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, ty)),
            Err(i) => {
                self.0.insert(i, (key, ty));
                None
            }
        }
    }

    fn remove(&mut self, key: &Key) -> Option<BaseType> {
        match self.0.binary_search_by(|(k, _)| k.cmp(key)) {
            Ok(i) => Some(self.0.remove(i).1),
            Err(_) => None,
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&Key, &BaseType)> {
        self.0.iter().map(|(k, t)| (k, t))
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A map from offset paths to base types (see the module documentation).
#[derive(Clone, Default, PartialEq, Eq, Hash, Debug)]
pub struct TypeTree {
    map: Entries,
    /// Entries with a `-1` below the first position.
    deep_wild: u32,
    /// Entries whose first element is not `-1`.
    concrete_first: u32,
}

impl TypeTree {
    pub fn new() -> TypeTree {
        TypeTree::default()
    }

    /// An empty tree with room for `n` entries.
    fn with_room(n: usize) -> TypeTree {
        TypeTree {
            map: Entries(Vec::with_capacity(n)),
            ..TypeTree::default()
        }
    }

    /// A tree with the single entry `path: ty`.
    pub fn leaf(path: &[i64], ty: BaseType) -> TypeTree {
        let mut t = TypeTree::new();
        let _ = t.insert(path, ty);
        t
    }

    /// `{[-1]:ty}`: a scalar value of type `ty`.
    pub fn scalar(ty: BaseType) -> TypeTree {
        TypeTree::leaf(&[ANY], ty)
    }

    /// `{[-1]:Pointer}` plus `pointee` one level down.
    pub fn pointer_to(pointee: &TypeTree) -> TypeTree {
        let mut t = pointee.only(ANY);
        let _ = t.insert(&[ANY], BaseType::Pointer);
        t
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[i64], BaseType)> {
        self.map.iter().map(|(k, t)| (k.as_slice(), *t))
    }

    /// The type recorded for `path`: the exact entry, else one that covers
    /// it with `-1`s, else `Unknown`.
    pub fn lookup(&self, path: &[i64]) -> BaseType {
        if !keepable(path) {
            return BaseType::Unknown;
        }
        if let Some(t) = self.map.get(&Key::new(path)) {
            return *t;
        }
        self.iter()
            .find(|(p, _)| covers(p, path))
            .map(|(_, t)| t)
            .unwrap_or(BaseType::Unknown)
    }

    /// Type of the value itself (`[-1]`).
    pub fn root(&self) -> BaseType {
        self.lookup(&[ANY])
    }

    /// Adds `path: ty`. Returns whether the tree changed; a conflicting entry
    /// leaves the tree as it was.
    pub fn insert(&mut self, path: &[i64], ty: BaseType) -> Result<bool, TreeConflict> {
        if ty == BaseType::Unknown || !keepable(path) {
            return Ok(false);
        }
        self.insert_key(Key::new(path), ty)
    }

    fn insert_key(&mut self, key: Key, ty: BaseType) -> Result<bool, TreeConflict> {
        if self.map.get(&key) == Some(&ty) {
            return Ok(false);
        }
        let mut redundant = Vec::new();
        // Whether `k: t`, an entry overlapping `key`, already says `ty`;
        // notes it when `key: ty` makes it redundant.
        let mut check = |k: Key, t: BaseType| -> Result<bool, TreeConflict> {
            let joined = t.join(ty).map_err(|_| TreeConflict {
                path: key.as_slice().to_vec(),
                existing: t,
                incoming: ty,
            })?;
            if k.covers(&key) && joined == t {
                return Ok(true);
            }
            if key.covers(&k) && joined == ty {
                redundant.push(k);
            }
            Ok(false)
        };
        // common case, no wildcard below the first position anywhere: only
        // the key itself and its `-1`-first twin can overlap
        if self.deep_wild == 0 && !key.deep_wild() && (key.0[0] != ANY || self.concrete_first == 0)
        {
            let mut twin = key;
            twin.0[0] = ANY;
            if let Some(&t) = self.map.get(&key) {
                if check(key, t)? {
                    return Ok(false);
                }
            }
            if twin != key {
                if let Some(&t) = self.map.get(&twin) {
                    if check(twin, t)? {
                        return Ok(false);
                    }
                }
            }
        } else if each_overlapping(&self.map.0, &key, 0, &mut check)? {
            return Ok(false);
        }
        if redundant.is_empty()
            && self.map.len() >= MAX_ENTRIES
            && !(key.near() && self.map.len() < MAX_ENTRIES + NEAR_ROOM)
        {
            return Ok(false);
        }
        for k in redundant {
            self.remove(k);
        }
        if self.map.insert(key, ty).is_none() {
            self.count(key, 1);
        }
        Ok(true)
    }

    fn remove(&mut self, key: Key) {
        if self.map.remove(&key).is_some() {
            self.count(key, -1);
        }
    }

    /// Keeps the wildcard counters in step with the map.
    fn count(&mut self, key: Key, delta: i32) {
        if key.deep_wild() {
            self.deep_wild = self.deep_wild.wrapping_add_signed(delta);
        }
        if key.0[0] != ANY {
            self.concrete_first = self.concrete_first.wrapping_add_signed(delta);
        }
    }

    /// Joins `other` into `self`, entry by entry; conflicting entries are
    /// skipped and reported in `conflicts`. Returns whether `self` changed.
    pub fn merge_in(&mut self, other: &TypeTree, conflicts: &mut Vec<TreeConflict>) -> bool {
        if self.is_empty() {
            // inserting a tree's entries into an empty one keeps them all
            *self = other.clone();
            return !self.is_empty();
        }
        // Entries that `self` already holds with the same type change
        // nothing whatever the others do (an earlier insertion can only
        // replace such an entry by one covering it with its type), so one
        // walk over both sorted lists finds the entries left to insert;
        // merging a tree into one that holds it already is the common case.
        let mut missing = Vec::new();
        let mine = &self.map.0;
        let mut i = 0;
        'other: for &(k, t) in &other.map.0 {
            while let Some(&(m, u)) = mine.get(i) {
                match m.cmp(&k) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Equal if u == t => continue 'other,
                    _ => break,
                }
            }
            missing.push((k, t));
        }
        let mut changed = false;
        for (k, t) in missing {
            match self.insert_key(k, t) {
                Ok(c) => changed |= c,
                Err(e) => conflicts.push(e),
            }
        }
        changed
    }

    /// The join of two trees, or the first conflict.
    pub fn join(&self, other: &TypeTree) -> Result<TypeTree, TreeConflict> {
        let mut out = self.clone();
        let mut conflicts = Vec::new();
        out.merge_in(other, &mut conflicts);
        match conflicts.into_iter().next() {
            Some(c) => Err(c),
            None => Ok(out),
        }
    }

    /// Prefixes every path with `offset` (`only(-1)` turns a pointee tree
    /// into the part of a pointer's tree below `[-1]`).
    pub fn only(&self, offset: i64) -> TypeTree {
        if (ANY..=MAX_OFFSET).contains(&offset) {
            // A common first element keeps the entries' order and which
            // of them overlap or cover each other, so inserting them one
            // by one would keep them all: copy them (paths that would
            // grow too deep are dropped, as `insert` drops them).
            let mut out = TypeTree::with_room(self.len());
            for (k, &t) in self.map.iter() {
                if k.0[MAX_DEPTH - 1] != PAD {
                    continue;
                }
                let mut q = [PAD; MAX_DEPTH];
                q[0] = offset;
                q[1..].copy_from_slice(&k.0[..MAX_DEPTH - 1]);
                out.push_sorted(Key(q), t);
            }
            return out;
        }
        self.rebuild(|p| {
            let mut q = Vec::with_capacity(p.len() + 1);
            q.push(offset);
            q.extend_from_slice(p);
            Some(q)
        })
    }

    /// What the value points to: entries under `[-1]` (or `[0]`) with that
    /// first element removed (Enzyme's `Data0`).
    pub fn pointee(&self) -> TypeTree {
        if self.concrete_first == 0 {
            // Only `[-1, ...]` entries: dropping the common first element
            // keeps their order and relations (see `only`).
            let mut out = TypeTree::with_room(self.len());
            for (k, &t) in self.map.iter() {
                if k.0[1] == PAD {
                    continue;
                }
                let mut q = [PAD; MAX_DEPTH];
                q[..MAX_DEPTH - 1].copy_from_slice(&k.0[1..]);
                out.push_sorted(Key(q), t);
            }
            return out;
        }
        self.rebuild(|p| (p.len() > 1 && (p[0] == ANY || p[0] == 0)).then(|| p[1..].to_vec()))
    }

    /// Adds `delta` to every concrete first offset, dropping entries that
    /// fall below zero or beyond [`MAX_OFFSET`]; `-1` stays `-1`. Used on
    /// memory trees for constant-offset GEPs.
    pub fn shift(&self, delta: i64) -> TypeTree {
        // Adding one delta to every concrete first offset keeps the
        // entries' order and which of them overlap or cover each other
        // (`-1` still sorts first), so inserting them one by one would only
        // drop what falls outside or finds the tree full: copy them.
        let mut out = TypeTree::with_room(self.len());
        for (k, &t) in self.map.iter() {
            let mut q = *k;
            if q.0[0] != ANY {
                match q.0[0].checked_add(delta) {
                    Some(o) if (0..=MAX_OFFSET).contains(&o) => q.0[0] = o,
                    _ => continue,
                }
            }
            out.push_if_room(q, t);
        }
        out
    }

    /// The memory of an array of `stride`-byte elements seen from `delta`
    /// bytes further on (what `shift(-delta)` says of memory that repeats
    /// every `stride` bytes): each concrete first offset is folded into one
    /// element (the entry nearest the start wins), moved by `-delta` modulo the stride
    /// and repeated over `[0, window)`; `-1` entries stay. Unlike `shift`,
    /// repeated steps never move entries further out.
    pub fn periodic_shift(&self, delta: i64, stride: i64, window: i64) -> TypeTree {
        let copies = (window.max(stride) + stride - 1) / stride;
        let mut out = TypeTree::new();
        for (p, t) in self.iter() {
            if p[0] == ANY {
                let _ = out.insert(p, t);
                continue;
            }
            let r = (p[0] - delta).rem_euclid(stride);
            let mut q = p.to_vec();
            for k in 0..copies {
                q[0] = r + k * stride;
                let _ = out.insert(&q, t);
            }
        }
        out
    }

    /// Keeps entries whose first offset is in `[start, start + size)` (and
    /// `-1` entries), then shifts them by `add` (Enzyme's `ShiftIndices`).
    pub fn shift_range(&self, start: i64, size: Option<i64>, add: i64) -> TypeTree {
        // a subset keeps the entries' order and relations (see `shift`)
        let mut kept = TypeTree::with_room(self.len());
        for (k, &t) in self.map.iter() {
            let o = k.0[0];
            if o == ANY || (o >= start && size.is_none_or(|s| o < start + s)) {
                kept.push_if_room(*k, t);
            }
        }
        kept.shift(add)
    }

    /// Drops entries whose first offset is `size` or more (a `memcpy` of
    /// `size` bytes copies only those).
    pub fn truncate(&self, size: i64) -> TypeTree {
        self.shift_range(0, Some(size), 0)
    }

    /// Entries whose first offset lies outside `[start, start + size)`.
    pub fn outside(&self, start: i64, size: i64) -> TypeTree {
        self.rebuild(|p| {
            (p[0] != ANY && (p[0] < start || p[0] >= start + size)).then(|| p.to_vec())
        })
    }

    /// Replaces the first element of every path for which `f` gives one.
    pub fn map_first(&self, f: impl Fn(i64) -> Option<i64>) -> TypeTree {
        let (Some(first), Some(last)) = (self.map.0.first(), self.map.0.last()) else {
            return TypeTree::new();
        };
        if first.0 .0[0] == last.0 .0[0] {
            // One first offset for all (sorted by it): replacing it keeps
            // the entries' order and relations (see `only`).
            return match f(first.0 .0[0]) {
                Some(o) if (ANY..=MAX_OFFSET).contains(&o) => {
                    let mut out = TypeTree::with_room(self.len());
                    for (k, &t) in self.map.iter() {
                        let mut q = *k;
                        q.0[0] = o;
                        out.push_sorted(q, t);
                    }
                    out
                }
                _ => TypeTree::new(),
            };
        }
        self.rebuild(|p| {
            f(p[0]).map(|o| {
                let mut q = p.to_vec();
                q[0] = o;
                q
            })
        })
    }

    /// Entries whose path is one element long (what the value is, not what
    /// it points to).
    pub fn roots_only(&self) -> TypeTree {
        self.rebuild(|p| (p.len() == 1).then(|| p.to_vec()))
    }

    /// Entries describing memory (paths longer than one element).
    pub fn without_roots(&self) -> TypeTree {
        self.rebuild(|p| (p.len() > 1).then(|| p.to_vec()))
    }

    /// Keeps only the entries satisfying `keep`.
    pub fn filter(&self, keep: impl Fn(&[i64], BaseType) -> bool) -> TypeTree {
        let mut out = TypeTree::new();
        for (k, &t) in self.map.iter() {
            if keep(k.as_slice(), t) {
                out.map.insert(*k, t);
                out.count(*k, 1);
            }
        }
        out
    }

    /// Appends an entry that sorts after every entry and relates to them
    /// as it did in the tree it comes from (no checks).
    fn push_sorted(&mut self, key: Key, ty: BaseType) {
        debug_assert!(self.map.0.last().is_none_or(|(k, _)| *k < key));
        self.map.0.push((key, ty));
        self.count(key, 1);
    }

    /// [`push_sorted`](Self::push_sorted) unless the tree is full, as
    /// `insert_key` decides for an entry that meets no other.
    fn push_if_room(&mut self, key: Key, ty: BaseType) {
        let len = self.map.len();
        if len >= MAX_ENTRIES && !(key.near() && len < MAX_ENTRIES + NEAR_ROOM) {
            return;
        }
        self.push_sorted(key, ty);
    }

    /// Builds a tree from rewritten paths; entries that now conflict are
    /// dropped (first one wins).
    fn rebuild(&self, f: impl Fn(&[i64]) -> Option<Vec<i64>>) -> TypeTree {
        let mut out = TypeTree::new();
        for (p, t) in self.iter() {
            if let Some(q) = f(p) {
                let _ = out.insert(&q, t);
            }
        }
        out
    }
}

impl fmt::Display for TypeTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (p, t)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}:{}", PathFmt(p), t)?;
        }
        f.write_str("}")
    }
}

/// Parses the printed notation, `{[-1]:Pointer, [-1,0]:Float@double}` (as in
/// the `enzyme_type` attribute).
impl FromStr for TypeTree {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let body = s
            .trim()
            .strip_prefix('{')
            .and_then(|b| b.strip_suffix('}'))
            .ok_or_else(|| format!("type tree `{s}` must be wrapped in braces"))?;
        let mut tree = TypeTree::new();
        let mut rest = body.trim();
        while !rest.is_empty() {
            let inner = rest
                .strip_prefix('[')
                .ok_or_else(|| format!("expected `[` in `{rest}`"))?;
            let (path, after) = inner
                .split_once(']')
                .ok_or_else(|| format!("unclosed path in `{rest}`"))?;
            let path = path
                .split(',')
                .map(|o| {
                    o.trim()
                        .parse::<i64>()
                        .map_err(|e| format!("bad offset `{o}`: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let after = after
                .trim_start()
                .strip_prefix(':')
                .ok_or_else(|| format!("expected `:` after path in `{rest}`"))?;
            let (ty, next) = after.split_once(',').unwrap_or((after, ""));
            tree.insert(&path, ty.parse()?)
                .map_err(|c| format!("conflicting entries: {c}"))?;
            rest = next.trim();
        }
        Ok(tree)
    }
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
