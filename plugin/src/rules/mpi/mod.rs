//! Derivative rules for MPI calls (Open MPI): the adjoint of a message is a
//! message the other way, the tangent of a message is the same message on
//! the tangents.
//!
//! Role (this file): the table of supported routines as data (each
//! argument's role: buffer sent or received, count, datatype, peer, tag,
//! communicator, reduction, root, request, status), the decoding of a call
//! into an [`MpiCall`] (which precision its buffers carry: Open MPI's
//! datatypes are the addresses of globals such as `ompi_mpi_double`; integer
//! data carries no derivative), each argument's effect for the activity
//! analysis ([`known_effects`]) and the up-front check that turns anything
//! else MPI into an error naming the call ([`check`]). The rules themselves
//! are internal helper functions (`runtime.rs`, `ferment.mpi.*`) that the
//! generators (`reverse/mpi.rs`, `forward/mpi.rs`) call.

pub mod runtime;

use crate::error::{Error, Result};
use crate::rules::blas::Prec;
use ferment_activity_analysis::ArgEffect;
use ferment_ir::Value;

/// What one argument of a routine is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    /// A buffer whose values this process sends.
    Sent,
    /// A buffer this process receives into.
    Recvd,
    /// `MPI_Bcast`'s buffer: sent at the root, received elsewhere.
    Both,
    Count,
    Type,
    /// A destination rank.
    Dest,
    /// A source rank.
    Source,
    Tag,
    Comm,
    Op,
    Root,
    /// `MPI_Request *` (one request).
    Request,
    /// `MPI_Request[]` of `MPI_Waitall`.
    Requests,
    /// A status (or array of statuses) written by the call.
    Status,
    /// An integer written by the call (`MPI_Comm_rank`'s rank).
    IntOut,
}

use Role::*;

/// The routines ferment differentiates.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Send,
    Recv,
    Isend,
    Irecv,
    Wait,
    Waitall,
    Sendrecv,
    Allreduce,
    Reduce,
    Bcast,
    Gather,
    Scatter,
    Allgather,
    Barrier,
    /// No derivative, no communication of data (`MPI_Comm_rank`, `MPI_Wtime`).
    Inactive,
}

struct Routine {
    name: &'static str,
    kind: Kind,
    roles: &'static [Role],
}

static ROUTINES: &[Routine] = &[
    Routine {
        name: "MPI_Send",
        kind: Kind::Send,
        roles: &[Sent, Count, Type, Dest, Tag, Comm],
    },
    Routine {
        name: "MPI_Recv",
        kind: Kind::Recv,
        roles: &[Recvd, Count, Type, Source, Tag, Comm, Status],
    },
    Routine {
        name: "MPI_Isend",
        kind: Kind::Isend,
        roles: &[Sent, Count, Type, Dest, Tag, Comm, Request],
    },
    Routine {
        name: "MPI_Irecv",
        kind: Kind::Irecv,
        roles: &[Recvd, Count, Type, Source, Tag, Comm, Request],
    },
    Routine {
        name: "MPI_Wait",
        kind: Kind::Wait,
        roles: &[Request, Status],
    },
    Routine {
        name: "MPI_Waitall",
        kind: Kind::Waitall,
        roles: &[Count, Requests, Status],
    },
    Routine {
        name: "MPI_Sendrecv",
        kind: Kind::Sendrecv,
        roles: &[
            Sent, Count, Type, Dest, Tag, Recvd, Count, Type, Source, Tag, Comm, Status,
        ],
    },
    Routine {
        name: "MPI_Allreduce",
        kind: Kind::Allreduce,
        roles: &[Sent, Recvd, Count, Type, Op, Comm],
    },
    Routine {
        name: "MPI_Reduce",
        kind: Kind::Reduce,
        roles: &[Sent, Recvd, Count, Type, Op, Root, Comm],
    },
    Routine {
        name: "MPI_Bcast",
        kind: Kind::Bcast,
        roles: &[Both, Count, Type, Root, Comm],
    },
    Routine {
        name: "MPI_Gather",
        kind: Kind::Gather,
        roles: &[Sent, Count, Type, Recvd, Count, Type, Root, Comm],
    },
    Routine {
        name: "MPI_Scatter",
        kind: Kind::Scatter,
        roles: &[Sent, Count, Type, Recvd, Count, Type, Root, Comm],
    },
    Routine {
        name: "MPI_Allgather",
        kind: Kind::Allgather,
        roles: &[Sent, Count, Type, Recvd, Count, Type, Comm],
    },
    Routine {
        name: "MPI_Barrier",
        kind: Kind::Barrier,
        roles: &[Comm],
    },
    Routine {
        name: "MPI_Comm_rank",
        kind: Kind::Inactive,
        roles: &[Comm, IntOut],
    },
    Routine {
        name: "MPI_Comm_size",
        kind: Kind::Inactive,
        roles: &[Comm, IntOut],
    },
    Routine {
        name: "MPI_Wtime",
        kind: Kind::Inactive,
        roles: &[],
    },
];

/// Open MPI's predefined datatypes that hold integers, characters or
/// booleans (their data carries no derivative).
const INTEGER_TYPES: &[&str] = &[
    "int",
    "unsigned",
    "long",
    "unsigned_long",
    "long_long_int",
    "long_long",
    "unsigned_long_long",
    "short",
    "unsigned_short",
    "char",
    "signed_char",
    "unsigned_char",
    "wchar",
    "int8_t",
    "uint8_t",
    "int16_t",
    "uint16_t",
    "int32_t",
    "uint32_t",
    "int64_t",
    "uint64_t",
    "c_bool",
    "cxx_bool",
    "aint",
    "offset",
    "count",
    "integer",
    "logical",
    "character",
    "2int",
];

/// What a buffer's datatype says about its derivatives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Data {
    Float(Prec),
    /// Integer data: no derivative.
    Inactive,
}

/// A decoded call.
#[derive(Clone, Debug)]
pub struct MpiCall {
    pub kind: Kind,
    pub name: &'static str,
    /// The call's arguments, in the routine's order.
    pub args: Vec<Value>,
    /// What its buffers carry (`Inactive` for calls without buffers).
    pub data: Data,
}

/// The name of an MPI function (`MPI_*` or the profiling `PMPI_*`) called
/// by `call`, if any.
pub fn mpi_name(call: Value) -> Option<String> {
    if !call.is_call() {
        return None;
    }
    let name = call.called_function()?.name();
    let base = name.strip_prefix('P').unwrap_or(&name);
    base.starts_with("MPI_").then(|| base.to_string())
}

fn routine(call: Value) -> Option<&'static Routine> {
    let f = call.called_function()?;
    if !f.is_declaration() {
        return None;
    }
    let name = f.name();
    let base = name.strip_prefix('P').unwrap_or(&name);
    ROUTINES.iter().find(|r| r.name == base)
}

/// The Open MPI global a constant handle points to (`ompi_mpi_double`).
fn handle_name(v: Value) -> Option<String> {
    let g = v.strip_casts();
    g.is_global().then(|| g.name())
}

/// What datatype operand `v` carries.
fn data_of(v: Value) -> Option<Data> {
    let name = handle_name(v)?;
    let t = name.strip_prefix("ompi_mpi_")?;
    match t {
        "double" | "real8" | "double_precision" => Some(Data::Float(Prec::D)),
        "float" | "real4" | "real" => Some(Data::Float(Prec::S)),
        _ if INTEGER_TYPES.contains(&t) => Some(Data::Inactive),
        _ => None,
    }
}

/// The reduction of an `MPI_Allreduce`/`MPI_Reduce`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reduction {
    Sum,
    Min,
    Max,
}

pub fn reduction_of(v: Value) -> Option<Reduction> {
    match handle_name(v)?.as_str() {
        "ompi_mpi_op_sum" => Some(Reduction::Sum),
        "ompi_mpi_op_min" => Some(Reduction::Min),
        "ompi_mpi_op_max" => Some(Reduction::Max),
        _ => None,
    }
}

/// Decodes a call to a supported MPI routine (None: not one). Errors for a
/// supported routine used in a way ferment cannot differentiate.
pub fn decode(call: Value) -> Result<Option<MpiCall>> {
    let Some(r) = routine(call) else {
        return Ok(None);
    };
    let args = call.call_args();
    if args.len() != r.roles.len() {
        return Err(Error::at(
            call,
            format!(
                "cannot differentiate call to '{}': it takes {} arguments, not {}",
                r.name,
                r.roles.len(),
                args.len()
            ),
        ));
    }
    let mut data = Data::Inactive;
    let mut first: Option<Data> = None;
    for (role, &a) in r.roles.iter().zip(&args) {
        if *role != Type {
            continue;
        }
        let Some(d) = data_of(a) else {
            return Err(Error::at(
                call,
                format!(
                    "cannot differentiate call to '{}': its datatype ({}) is not one ferment knows (MPI_DOUBLE and MPI_FLOAT carry derivatives, integer datatypes none; derived datatypes are not supported)",
                    r.name,
                    a.short()
                ),
            )
            .hint("send the data as a contiguous MPI_DOUBLE or MPI_FLOAT buffer (this requires Open MPI's mpi.h)"));
        };
        match first {
            Some(f) if f != d => {
                return Err(Error::at(
                    call,
                    format!(
                        "cannot differentiate call to '{}': its send and receive datatypes differ",
                        r.name
                    ),
                ))
            }
            _ => first = Some(d),
        }
        data = d;
    }
    Ok(Some(MpiCall {
        kind: r.kind,
        name: r.name,
        args,
        data,
    }))
}

impl MpiCall {
    /// The argument with role `role` (the `k`-th of that role).
    pub fn arg(&self, role: Role, k: usize) -> Value {
        let r = ROUTINES
            .iter()
            .find(|r| r.name == self.name)
            .expect("decoded from the table");
        let i = r
            .roles
            .iter()
            .enumerate()
            .filter(|(_, x)| **x == role)
            .nth(k)
            .map(|(i, _)| i)
            .expect("role of the routine");
        self.args[i]
    }
    pub fn prec(&self) -> Option<Prec> {
        match self.data {
            Data::Float(p) => Some(p),
            Data::Inactive => None,
        }
    }
}

/// What a supported MPI call does with each argument, for the activity
/// analysis and the tape's overwrite analysis (None: not one).
pub fn known_effects(call: Value) -> Option<Vec<ArgEffect>> {
    let r = routine(call)?;
    let float = matches!(
        decode(call),
        Ok(Some(MpiCall {
            data: Data::Float(_),
            ..
        }))
    ) || r.roles.iter().all(|x| *x != Type);
    let out: Vec<ArgEffect> = r
        .roles
        .iter()
        .map(|role| match role {
            Sent if float => ArgEffect::Read,
            Recvd | Both if float => ArgEffect::Received,
            Recvd | Both => ArgEffect::Written,
            Request | Requests | Status | IntOut => ArgEffect::Written,
            _ => ArgEffect::Inert,
        })
        .collect();
    (out.len() == call.num_call_args()).then_some(out)
}

/// The supported routines, for messages.
pub fn supported_names() -> String {
    ROUTINES
        .iter()
        .map(|r| r.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Open MPI's `MPI_ANY_SOURCE` / `MPI_ANY_TAG`.
const ANY: i64 = -1;

/// Checks an MPI call inside a function being differentiated: an MPI
/// function ferment has no rule for, or a supported one used in a way it
/// cannot differentiate, is an error naming the call.
pub fn check(call: Value) -> Result<()> {
    let Some(name) = mpi_name(call) else {
        return Ok(());
    };
    let Some(c) = decode(call)? else {
        return Err(Error::at(
            call,
            format!("cannot differentiate through the MPI call '{name}': ferment has no derivative rule for it"),
        )
        .hint(format!(
            "ferment differentiates {}; move other MPI calls outside the differentiated function, \
             or wrap them in a function registered with __enzyme_register_gradient",
            supported_names()
        )));
    };
    if c.data == Data::Inactive {
        return Ok(());
    }
    let is_const = |v: Value, k: i64| v.const_int() == Some(k);
    let any_peer =
        || is_const(c.arg(Source, 0), ANY) || is_const(c.arg(Tag, c.kind_recv_tag()), ANY);
    match c.kind {
        Kind::Recv | Kind::Irecv | Kind::Sendrecv if any_peer() => Err(Error::at(
            call,
            format!("cannot differentiate '{}' with MPI_ANY_SOURCE or MPI_ANY_TAG: the derivative must send its adjoint back to one known rank", c.name),
        )
        .hint("receive from an explicit source rank with an explicit tag")),
        Kind::Allreduce | Kind::Reduce if reduction_of(c.arg(Op, 0)).is_none() => Err(Error::at(
            call,
            format!(
                "cannot differentiate '{}' with the reduction {}: ferment differentiates MPI_SUM, MPI_MIN and MPI_MAX",
                c.name,
                c.arg(Op, 0).short()
            ),
        )
        .hint("pass MPI_SUM, MPI_MIN or MPI_MAX directly (not through a variable)")),
        Kind::Gather | Kind::Scatter | Kind::Allgather
            if [c.arg(Sent, 0), c.arg(Recvd, 0)]
                .into_iter()
                .any(|v| may_be_in_place(v, 4)) =>
        {
            Err(Error::at(
                call,
                format!("cannot differentiate '{}' with MPI_IN_PLACE", c.name),
            )
            .hint("use separate send and receive buffers"))
        }
        _ => Ok(()),
    }
}

impl MpiCall {
    /// Which `Tag` argument is the receive tag.
    fn kind_recv_tag(&self) -> usize {
        usize::from(self.kind == Kind::Sendrecv)
    }
}

/// `p == MPI_IN_PLACE` at run time.
pub fn in_place_test(b: &ferment_ir::Builder, p: Value) -> Value {
    let ctx = b.module().context();
    let one = b.const_int(ferment_ir::Type::int(ctx, 64), 1);
    let ip = b.int_to_ptr(one, ferment_ir::Type::ptr(ctx));
    b.icmp(ferment_ir::IntPredicate::LLVMIntEQ, p, ip)
}

/// Whether `v` may be `MPI_IN_PLACE`: the constant, or a select or phi
/// (`rank == root ? MPI_IN_PLACE : buf`) with it among its operands.
pub fn may_be_in_place(v: Value, depth: u32) -> bool {
    if is_in_place(v) {
        return true;
    }
    if depth == 0 || !v.is_instruction() {
        return false;
    }
    let ops = match v.opcode() {
        ferment_ir::Opcode::LLVMSelect => vec![v.operand(1), v.operand(2)],
        ferment_ir::Opcode::LLVMPHI => v.incoming().into_iter().map(|(x, _)| x).collect(),
        _ => return false,
    };
    ops.into_iter().any(|o| may_be_in_place(o, depth - 1))
}

/// Whether `v` is Open MPI's `MPI_IN_PLACE` (`(void *) 1`) as a constant.
pub fn is_in_place(v: Value) -> bool {
    v.is_constant_expr() && v.opcode() == ferment_ir::Opcode::LLVMIntToPtr && {
        v.operand(0).const_int() == Some(1)
    }
}
