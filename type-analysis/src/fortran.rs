//! flang's runtime routines with integer or logical results.
//!
//! Role: the one list of them, which the type analysis (the result
//! descriptor they fill holds integers) and the activity analysis (they
//! carry no derivative) share.

use crate::tree::{BaseType, TypeTree, ANY};

/// flang's runtime routines whose results are integers or logicals: the
/// locations MAXLOC, MINLOC and FINDLOC, COUNT, ANY, ALL, PARITY, and the
/// reductions of integer arrays. They read their arguments (real arrays
/// among them: a location carries no derivative) and write nothing but,
/// for those that return an array, their first argument: an unallocated
/// result descriptor they allocate and fill with integers or logicals.
/// `Some(true)`: writes its first argument; `Some(false)`: writes nothing;
/// `None`: not one of them.
pub fn fortran_integer_result(name: &str) -> Option<bool> {
    let rest = name.strip_prefix("_FortranA")?;
    // Routines returning their result: COUNT, ANY, ALL, PARITY of a whole
    // logical array, the integer reductions of a whole array.
    const SCALAR: &[&str] = &["Count", "Any", "All", "Parity"];
    const INTEGER_REDUCTIONS: &[&str] = &[
        "SumInteger",
        "ProductInteger",
        "MaxvalInteger",
        "MinvalInteger",
        "IAll",
        "IAny",
        "IParity",
    ];
    const KINDS: &[&str] = &["1", "2", "4", "8", "16"];
    if SCALAR.contains(&rest)
        || INTEGER_REDUCTIONS
            .iter()
            .any(|r| rest.strip_prefix(r).is_some_and(|k| KINDS.contains(&k)))
    {
        return Some(false);
    }
    // Routines filling a result descriptor: the locations (by the array's
    // type, or along a dimension) and the logical reductions along one.
    const DIM: &[&str] = &[
        "MaxlocDim",
        "MinlocDim",
        "Findloc",
        "FindlocDim",
        "CountDim",
        "AnyDim",
        "AllDim",
        "ParityDim",
        "IAllDim",
        "IAnyDim",
        "IParityDim",
    ];
    let location = ["Maxloc", "Minloc"].iter().any(|l| {
        rest.strip_prefix(l).is_some_and(|t| {
            t == "Character"
                || ["Real", "Integer", "Unsigned"].iter().any(|ty| {
                    t.strip_prefix(ty)
                        .is_some_and(|k| KINDS.contains(&k) || k == "10")
                })
        })
    });
    (DIM.contains(&rest) || location).then_some(true)
}

/// What the result descriptor such a routine fills holds: the base address
/// of integer or logical data, then integer fields (`elem_len`, `version`,
/// `rank`, `type`, `attribute`, `extra`, and each dimension's lower bound,
/// extent and byte stride; flang's `ISO_Fortran_binding.h`), up to rank 7.
pub(crate) fn result_descriptor() -> TypeTree {
    let mut t = TypeTree::leaf(&[0], BaseType::Pointer);
    let mut add = |path: &[i64]| {
        t.insert(path, BaseType::Integer)
            .expect("a fresh tree has no conflicts");
    };
    add(&[0, ANY]);
    for off in [8, 16, 20, 21, 22, 23] {
        add(&[off]);
    }
    for d in 0..7 {
        for field in [0, 8, 16] {
            add(&[24 + 24 * d + field]);
        }
    }
    TypeTree::pointer_to(&t)
}

/// flang's runtime routines of ALLOCATE and DEALLOCATE statements that stay
/// calls in a canonical copy (those of a polymorphic allocatable whose
/// types the plugin's `fortran_derived` does not read): their first
/// argument is the allocatable's descriptor.
pub(crate) fn allocation_routine(name: &str) -> bool {
    matches!(
        name,
        "_FortranAAllocatableInitDerivedForAllocate"
            | "_FortranAAllocatableInitDerived"
            | "_FortranAAllocatableAllocate"
            | "_FortranAAllocatableDeallocate"
            | "_FortranAAllocatableDeallocatePolymorphic"
    )
}

/// What such a routine's descriptor holds whatever its rank: the base
/// address and the integer fields before the dimensions (`elem_len`,
/// `version`, `rank`, `type`, `attribute`, `extra`).
pub(crate) fn descriptor_header() -> TypeTree {
    let mut t = TypeTree::leaf(&[0], BaseType::Pointer);
    for off in [8, 16, 20, 21, 22, 23] {
        t.insert(&[off], BaseType::Integer)
            .expect("a fresh tree has no conflicts");
    }
    TypeTree::pointer_to(&t)
}
