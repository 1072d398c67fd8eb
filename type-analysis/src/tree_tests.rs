//! Unit tests of the `TypeTree` lattice (no LLVM needed).

use super::*;

fn t(s: &str) -> TypeTree {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

const DOUBLE: BaseType = BaseType::Float(FloatKind::Double);
const FLOAT: BaseType = BaseType::Float(FloatKind::Float);

#[test]
fn base_join_is_a_lattice() {
    use BaseType::*;
    assert_eq!(Unknown.join(Integer), Ok(Integer));
    assert_eq!(Pointer.join(Unknown), Ok(Pointer));
    assert_eq!(DOUBLE.join(DOUBLE), Ok(DOUBLE));
    assert_eq!(DOUBLE.join(Anything), Ok(Anything));
    assert_eq!(Anything.join(Integer), Ok(Anything));
    assert_eq!(DOUBLE.join(Integer), Err((DOUBLE, Integer)));
    assert_eq!(DOUBLE.join(FLOAT), Err((DOUBLE, FLOAT)));
    assert_eq!(Pointer.join(Integer), Err((Pointer, Integer)));
    // commutative wherever it succeeds
    let all = [Unknown, Integer, Pointer, DOUBLE, FLOAT, Anything];
    for a in all {
        for b in all {
            assert_eq!(a.join(b).ok(), b.join(a).ok(), "{a} {b}");
        }
    }
}

#[test]
fn prints_in_enzyme_notation() {
    let mut tree = TypeTree::new();
    tree.insert(&[-1, 8], BaseType::Integer).unwrap();
    tree.insert(&[-1], BaseType::Pointer).unwrap();
    tree.insert(&[-1, 0], DOUBLE).unwrap();
    assert_eq!(
        tree.to_string(),
        "{[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Integer}"
    );
    assert_eq!(TypeTree::new().to_string(), "{}");
    assert_eq!(
        TypeTree::scalar(BaseType::Float(FloatKind::X86Fp80)).to_string(),
        "{[-1]:Float@x86_fp80}"
    );
}

#[test]
fn parse_round_trips() {
    for s in [
        "{}",
        "{[-1]:Float@half}",
        "{[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Integer}",
        "{[-1]:Pointer, [-1,-1]:Float@float}",
        "{[-1]:Pointer, [-1,8]:Pointer, [-1,8,0]:Float@bfloat}",
        "{[0]:Float@fp128, [16]:Anything}",
    ] {
        assert_eq!(t(s).to_string(), s);
    }
    assert!("[-1]:Integer".parse::<TypeTree>().is_err());
    assert!("{[-1]:Int}".parse::<TypeTree>().is_err());
    assert!("{[-1]:Float@quad}".parse::<TypeTree>().is_err());
    assert!("{[-1]:Integer, [-1]:Pointer}".parse::<TypeTree>().is_err());
}

#[test]
fn insert_reports_change_and_conflict() {
    let mut tree = t("{[-1]:Pointer, [-1,0]:Float@double}");
    assert_eq!(tree.insert(&[-1, 0], DOUBLE), Ok(false));
    assert_eq!(tree.insert(&[-1, 8], BaseType::Integer), Ok(true));
    let err = tree.insert(&[-1, 0], BaseType::Integer).unwrap_err();
    assert_eq!(err.to_string(), "[-1,0]: Float@double vs Integer");
    assert_eq!(
        tree.to_string(),
        "{[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Integer}"
    );
    assert_eq!(tree.insert(&[-1, 16], BaseType::Unknown), Ok(false));
}

#[test]
fn anything_absorbs() {
    let mut tree = t("{[-1]:Pointer, [-1,0]:Float@double}");
    assert_eq!(tree.insert(&[-1, 0], BaseType::Anything), Ok(true));
    assert_eq!(tree.lookup(&[-1, 0]), BaseType::Anything);
    assert_eq!(tree.insert(&[-1, 0], BaseType::Integer), Ok(false));
    assert_eq!(tree.lookup(&[-1, 0]), BaseType::Anything);
}

#[test]
fn wildcard_covers_and_subsumes() {
    // [-1,-1] = every element; a concrete element of the same type is implied
    let mut tree = t("{[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}");
    assert_eq!(tree.insert(&[-1, -1], DOUBLE), Ok(true));
    assert_eq!(tree.to_string(), "{[-1]:Pointer, [-1,-1]:Float@double}");
    assert_eq!(tree.insert(&[-1, 24], DOUBLE), Ok(false));
    assert_eq!(tree.lookup(&[-1, 400]), DOUBLE);
    assert!(tree.insert(&[-1, 16], BaseType::Integer).is_err());
    // a wildcard over a conflicting element conflicts
    let mut mixed = t("{[-1]:Pointer, [-1,8]:Integer}");
    assert!(mixed.insert(&[-1, -1], DOUBLE).is_err());
}

#[test]
fn merge_keeps_going_past_conflicts() {
    let mut a = t("{[-1]:Pointer, [-1,0]:Float@double}");
    let b = t("{[-1]:Pointer, [-1,0]:Integer, [-1,8]:Float@float}");
    let mut conflicts = Vec::new();
    assert!(a.merge_in(&b, &mut conflicts));
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].path, vec![-1, 0]);
    assert_eq!(
        a.to_string(),
        "{[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@float}"
    );
    assert!(t("{[-1]:Integer}").join(&t("{[-1]:Float@double}")).is_err());
}

#[test]
fn merge_is_idempotent_commutative_associative() {
    let xs = [
        t("{[-1]:Pointer}"),
        t("{[-1]:Pointer, [-1,0]:Float@double}"),
        t("{[-1]:Pointer, [-1,8]:Integer, [-1,16]:Pointer}"),
        t("{[-1]:Pointer, [-1,-1]:Float@double}"),
        t("{[-1]:Pointer, [-1,0]:Anything}"),
    ];
    for a in &xs {
        assert_eq!(a.join(a).unwrap(), *a);
        for b in &xs {
            assert_eq!(a.join(b).ok(), b.join(a).ok(), "{a} {b}");
            for c in &xs {
                let l = a.join(b).and_then(|ab| ab.join(c));
                let r = b.join(c).and_then(|bc| a.join(&bc));
                assert_eq!(l.ok(), r.ok(), "{a} {b} {c}");
            }
        }
    }
}

#[test]
fn only_and_pointee_are_inverse() {
    let data = t("{[0]:Float@double, [8]:Integer, [16]:Pointer, [16,0]:Float@float}");
    let ptr = TypeTree::pointer_to(&data);
    assert_eq!(ptr.to_string(), "{[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Integer, [-1,16]:Pointer, [-1,16,0]:Float@float}");
    assert_eq!(ptr.pointee(), data);
    assert_eq!(ptr.pointee().pointee(), TypeTree::new());
    assert_eq!(data.lookup(&[16]), BaseType::Pointer);
}

#[test]
fn only_respects_depth_limit() {
    let mut tree = TypeTree::scalar(BaseType::Pointer);
    for _ in 0..10 {
        tree = TypeTree::pointer_to(
            &tree
                .map_first(|_| Some(8))
                .join(&t("{[0]:Float@double}"))
                .unwrap(),
        );
    }
    assert!(tree.iter().all(|(p, _)| p.len() <= MAX_DEPTH));
    assert_eq!(tree.lookup(&[-1, 8, 8, 8, 8, 0]), DOUBLE);
}

#[test]
fn shift_moves_offsets_and_drops_negatives() {
    let data = t("{[0]:Float@double, [8]:Pointer, [8,0]:Integer}");
    assert_eq!(data.shift(-8).to_string(), "{[0]:Pointer, [0,0]:Integer}");
    assert_eq!(t("{[-1]:Integer}").shift(-8).to_string(), "{[-1]:Integer}");
    assert_eq!(
        t("{[0]:Float@double}").shift(16).to_string(),
        "{[16]:Float@double}"
    );
    assert_eq!(
        t("{[0]:Float@double}").shift(MAX_OFFSET + 1).to_string(),
        "{}"
    );
}

#[test]
fn shift_range_and_truncate() {
    let data = t("{[0]:Float@double, [8]:Integer, [16]:Float@float, [20]:Float@float}");
    assert_eq!(
        data.truncate(16).to_string(),
        "{[0]:Float@double, [8]:Integer}"
    );
    assert_eq!(
        data.shift_range(8, Some(12), 100).to_string(),
        "{[108]:Integer, [116]:Float@float}"
    );
    assert_eq!(
        data.shift_range(16, None, -16).to_string(),
        "{[0]:Float@float, [4]:Float@float}"
    );
    assert_eq!(
        data.outside(8, 8).to_string(),
        "{[0]:Float@double, [16]:Float@float, [20]:Float@float}"
    );
    // wildcard entries survive truncation: they describe every element
    assert_eq!(
        t("{[-1]:Float@double}").truncate(8).to_string(),
        "{[-1]:Float@double}"
    );
}

#[test]
fn roots_and_filters() {
    let p = t("{[-1]:Pointer, [-1,0]:Float@double}");
    assert_eq!(p.roots_only().to_string(), "{[-1]:Pointer}");
    assert_eq!(p.without_roots().to_string(), "{[-1,0]:Float@double}");
    assert_eq!(p.root(), BaseType::Pointer);
    assert_eq!(TypeTree::new().root(), BaseType::Unknown);
    assert_eq!(p.filter(|_, ty| ty.is_float()).len(), 1);
    assert_eq!(
        p.map_first(|o| (o == -1).then_some(0)).to_string(),
        "{[0]:Pointer, [0,0]:Float@double}"
    );
}

#[test]
fn offsets_beyond_limits_are_dropped() {
    let mut tree = TypeTree::new();
    assert_eq!(tree.insert(&[-1, MAX_OFFSET + 1], DOUBLE), Ok(false));
    assert_eq!(tree.insert(&[-1, -2], DOUBLE), Ok(false));
    assert_eq!(tree.insert(&[-1, 0, 0, 0, 0, 0, 0], DOUBLE), Ok(false));
    assert!(tree.is_empty());
}

#[test]
fn entry_count_is_bounded() {
    let mut tree = TypeTree::new();
    for off in 0..(MAX_ENTRIES + NEAR_ROOM) as i64 + 10 {
        let _ = tree.insert(&[-1, off], BaseType::Integer);
    }
    assert_eq!(tree.len(), MAX_ENTRIES + NEAR_ROOM);
    // what it points to keeps room in a tree full of what lies behind
    // pointers stored there, up to NEAR_BYTES
    let mut far = TypeTree::new();
    for off in 0..MAX_ENTRIES as i64 {
        let _ = far.insert(&[-1, 8 * off, 0], BaseType::Integer);
    }
    assert_eq!(far.insert(&[-1, 2000, 0], BaseType::Integer), Ok(false));
    assert_eq!(far.insert(&[-1, 0, 8], BaseType::Integer), Ok(false));
    assert_eq!(far.insert(&[-1, 8], BaseType::Pointer), Ok(true));
    assert_eq!(far.insert(&[-1, 200], BaseType::Integer), Ok(true));
    assert_eq!(far.insert(&[-1, NEAR_BYTES], BaseType::Integer), Ok(false));
    assert_eq!(far.len(), MAX_ENTRIES + 2);
    // a wildcard that subsumes entries still goes in
    assert_eq!(tree.insert(&[-1, -1], BaseType::Integer), Ok(true));
    assert_eq!(tree.len(), 1);
}

#[test]
fn periodic_shift_rotates_one_element() {
    // memory of std::pair<double,int>[]: {double, int} every 16 bytes, with
    // a far copy that disagrees (the entry nearest the start wins)
    let mem: TypeTree = "{[0]:Float@double, [8]:Integer, [16]:Float@double, [40]:Float@double}"
        .parse()
        .unwrap();
    // p - 8 points at the previous element's int: its next 8 bytes are a double
    let back = mem.periodic_shift(-8, 16, 32);
    assert_eq!(back.lookup(&[0]), BaseType::Integer);
    assert_eq!(back.lookup(&[8]), DOUBLE);
    assert_eq!(back.lookup(&[16]), BaseType::Integer);
    assert_eq!(back.lookup(&[24]), DOUBLE);
    assert_eq!(back.len(), 4);
    // a whole element further on: the same layout, never entries further out
    let next = mem.periodic_shift(16, 16, 32);
    assert_eq!(next, mem.periodic_shift(0, 16, 32));
    assert_eq!(next.periodic_shift(-16, 16, 32), next);
}

/// The reference semantics of `insert`: every entry tested for overlap, in
/// order (what the indexed search in `each_overlapping` must agree with).
fn insert_by_scan(tree: &mut TypeTree, path: &[i64], ty: BaseType) -> Result<bool, TreeConflict> {
    if ty == BaseType::Unknown || !keepable(path) {
        return Ok(false);
    }
    if tree.lookup(path) == ty && tree.map.get(&Key::new(path)) == Some(&ty) {
        return Ok(false);
    }
    let overlaps = |a: &[i64], b: &[i64]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x == y || *x == ANY || *y == ANY)
    };
    let mut redundant = Vec::new();
    for (p, t) in tree.iter() {
        if !overlaps(p, path) {
            continue;
        }
        let joined = t.join(ty).map_err(|_| TreeConflict {
            path: path.to_vec(),
            existing: t,
            incoming: ty,
        })?;
        if covers(p, path) && joined == t {
            return Ok(false);
        }
        if covers(path, p) && joined == ty {
            redundant.push(p.to_vec());
        }
    }
    if redundant.is_empty()
        && tree.len() >= MAX_ENTRIES
        && !(Key::new(path).near() && tree.len() < MAX_ENTRIES + NEAR_ROOM)
    {
        return Ok(false);
    }
    for p in redundant {
        tree.remove(Key::new(&p));
    }
    let key = Key::new(path);
    if tree.map.insert(key, ty).is_none() {
        tree.count(key, 1);
    }
    Ok(true)
}

/// Random trees of the shapes unoptimized C++ objects give (wildcards at
/// every depth, a few offsets, mixed types): the indexed insertion and the
/// copying fast paths of `only`, `pointee`, `map_first` and `merge_in`
/// give exactly what entry-by-entry insertion with a full scan gives.
#[test]
fn fast_paths_agree_with_scanning() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let offsets = [ANY, 0, 8, 16, 24];
    let types = [
        BaseType::Integer,
        BaseType::Pointer,
        DOUBLE,
        FLOAT,
        BaseType::Anything,
    ];
    for round in 0..400 {
        let mut fast = TypeTree::new();
        let mut slow = TypeTree::new();
        let n = 1 + next(if round % 4 == 0 { 300 } else { 40 }) as usize;
        for _ in 0..n {
            let len = 1 + next(MAX_DEPTH as u64) as usize;
            let path: Vec<i64> = (0..len)
                .map(|i| {
                    // wildcards more often near the root, as in real trees
                    if next(3) == 0 || (i == 0 && next(2) == 0) {
                        ANY
                    } else {
                        offsets[next(offsets.len() as u64) as usize]
                    }
                })
                .collect();
            let ty = types[next(types.len() as u64) as usize];
            assert_eq!(fast.insert(&path, ty), insert_by_scan(&mut slow, &path, ty));
            assert_eq!(fast, slow, "after {path:?}: {ty}");
        }
        let reference_only = |t: &TypeTree, o: i64| {
            t.rebuild(|p| {
                let mut q = vec![o];
                q.extend_from_slice(p);
                Some(q)
            })
        };
        for o in [ANY, 0, 8] {
            assert_eq!(fast.only(o), reference_only(&fast, o));
        }
        let pointee_ref =
            fast.rebuild(|p| (p.len() > 1 && (p[0] == ANY || p[0] == 0)).then(|| p[1..].to_vec()));
        assert_eq!(fast.pointee(), pointee_ref);
        let wild = fast.filter(|p, _| p[0] == ANY);
        for o in [ANY, 0, 16] {
            let by_rebuild = wild.rebuild(|p| {
                let mut q = p.to_vec();
                q[0] = o;
                Some(q)
            });
            assert_eq!(wild.map_first(|_| Some(o)), by_rebuild);
        }
        let mut merged = TypeTree::new();
        let mut ignored = Vec::new();
        merged.merge_in(&fast, &mut ignored);
        assert_eq!(merged, fast);
        // `shift` and `shift_range` copy; the reference inserts each entry
        for d in [-16, -8, 0, 8, 4096] {
            let by_rebuild = fast.rebuild(|p| {
                if p[0] == ANY {
                    return Some(p.to_vec());
                }
                let o = p[0] + d;
                (0..=MAX_OFFSET).contains(&o).then(|| {
                    let mut q = p.to_vec();
                    q[0] = o;
                    q
                })
            });
            assert_eq!(fast.shift(d), by_rebuild, "shift {d}");
            for (start, size) in [(0, Some(8)), (8, Some(16)), (16, None)] {
                let kept = fast.rebuild(|p| {
                    let inside =
                        p[0] == ANY || (p[0] >= start && size.is_none_or(|s| p[0] < start + s));
                    inside.then(|| p.to_vec())
                });
                assert_eq!(fast.shift_range(start, size, d), kept.shift(d));
            }
        }
        // merging into a non-empty tree (its entries skipped where the
        // target holds them already) = inserting each entry in order
        let mut other = fast.shift(8);
        let _ = other.insert(&[ANY, 0], DOUBLE);
        let mut by_insert = fast.clone();
        let mut expected = Vec::new();
        let mut changed = false;
        for (p, t) in other.iter() {
            match by_insert.insert(p, t) {
                Ok(c) => changed |= c,
                Err(e) => expected.push(e),
            }
        }
        let mut merged = fast.clone();
        let mut conflicts = Vec::new();
        assert_eq!(merged.merge_in(&other, &mut conflicts), changed);
        assert_eq!(merged, by_insert);
        assert_eq!(conflicts, expected);
    }
}
