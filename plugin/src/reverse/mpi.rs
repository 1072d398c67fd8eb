//! Reverse mode of MPI calls (rules in `rules/mpi/`).
//!
//! Every MPI call on floating-point data takes part in the reverse sweep,
//! whether or not this rank's own data there is active: the matching call
//! on another rank may carry derivatives, and each message's adjoint must
//! be matched. Buffers without a shadow pass null (the rules send zeros and
//! drop what they receive). What a rule needs from the forward sweep (the
//! input and result of a min/max reduction, the record of a non-blocking
//! call) is made right at the call and reaches the reverse sweep through
//! the tape like any value.

use super::ReverseSweep;
use crate::error::{Error, Result};
use crate::reverse::tape::declare;
use crate::rules::blas::Prec;
use crate::rules::mpi::runtime::Mpi;
use crate::rules::mpi::{
    self, is_in_place, may_be_in_place, reduction_of, Kind, MpiCall, Reduction, Role,
};
use ferment_ir::{Builder, Type, Value};

/// Handles `inst` when it is a call to a supported MPI routine.
pub(super) fn reverse_mpi(s: &mut ReverseSweep, inst: Value) -> Result<bool> {
    let Some(c) = mpi::decode(inst)? else {
        return Ok(false);
    };
    let prec = match (c.kind, c.prec()) {
        (Kind::Inactive, _) => return Ok(true),
        (Kind::Wait | Kind::Waitall | Kind::Barrier, _) => Prec::D,
        (_, Some(p)) => p,
        // integer data carries no derivative
        (_, None) => return Ok(true),
    };
    if inst.is_invoke() {
        return Err(Error::at(
            inst,
            format!(
                "cannot differentiate call to '{}' where it may throw (an invoke)",
                c.name
            ),
        )
        .hint("call MPI outside the try block"));
    }
    let module = s.module;
    let ptr = Type::ptr(module.context());
    for p in c.args.iter().filter(|a| a.ty().is_pointer()) {
        if s.first_shadows().is_some_and(|sh| sh.is_mixed(*p)) {
            return Err(Error::at(
                inst,
                format!(
                    "cannot differentiate call to '{}': buffer {} may point to memory with or without derivatives, depending on the path taken",
                    c.name,
                    p.short()
                ),
            )
            .hint("give the MPI call buffers that are either always active or always constant"));
        }
    }
    let fwd = Builder::new(module);
    fwd.before(inst);
    fwd.set_debug_loc_from(inst);
    let after = Builder::new(module);
    after.after(inst);
    after.set_debug_loc_from(inst);
    let arg = |role: Role, k: usize| c.arg(role, k);

    // Forward-sweep work, then the values the reverse sweep needs.
    match c.kind {
        Kind::Isend | Kind::Irecv => {
            let buf = if c.kind == Kind::Isend {
                arg(Role::Sent, 0)
            } else {
                arg(Role::Recvd, 0)
            };
            let shadow = s
                .first_shadows()
                .and_then(|sh| sh.of(&after, buf))
                .unwrap_or_else(|| after.zero(ptr));
            let req = arg(Role::Request, 0);
            let peer = if c.kind == Kind::Isend {
                arg(Role::Dest, 0)
            } else {
                arg(Role::Source, 0)
            };
            let m = Mpi {
                b: &after,
                module,
                prec,
            };
            let rec = m.record(
                req,
                c.kind == Kind::Irecv,
                shadow,
                arg(Role::Count, 0),
                arg(Role::Type, 0),
                peer,
                arg(Role::Tag, 0),
                arg(Role::Comm, 0),
            );
            let rec = s.primal(rec);
            let m = Mpi {
                b: &s.b,
                module,
                prec,
            };
            let release = s.free_flag.unwrap_or_else(|| m.always());
            m.rev_complete(rec, release);
        }
        Kind::Wait => {
            let m = Mpi {
                b: &fwd,
                module,
                prec,
            };
            let req = arg(Role::Request, 0);
            let rec = m.take(req);
            let rec = s.primal(rec);
            let m = Mpi {
                b: &s.b,
                module,
                prec,
            };
            m.rev_wait(rec);
        }
        Kind::Waitall => {
            let m = Mpi {
                b: &fwd,
                module,
                prec,
            };
            let arr = m.take_all(arg(Role::Count, 0), arg(Role::Requests, 0));
            let arr = s.primal(arr);
            let count = s.primal(arg(Role::Count, 0));
            let m = Mpi {
                b: &s.b,
                module,
                prec,
            };
            let release = s.free_flag.unwrap_or_else(|| m.always());
            m.rev_wait_all(count, arr, release);
        }
        Kind::Barrier => {
            let comm = s.primal(arg(Role::Comm, 0));
            let i32t = Type::int(module.context(), 32);
            let f = declare(module, "MPI_Barrier", i32t, &[ptr]);
            s.b.call(Type::function(i32t, &[ptr], false), f, &[comm]);
        }
        Kind::Send | Kind::Recv => {
            let (buf, peer) = if c.kind == Kind::Send {
                (arg(Role::Sent, 0), arg(Role::Dest, 0))
            } else {
                (arg(Role::Recvd, 0), arg(Role::Source, 0))
            };
            let d = shadow_or_null(s, buf);
            let n = s.primal(arg(Role::Count, 0));
            let dt = s.primal(arg(Role::Type, 0));
            let peer = s.primal(peer);
            let tag = s.primal(arg(Role::Tag, 0));
            let comm = s.primal(arg(Role::Comm, 0));
            let m = Mpi {
                b: &s.b,
                module,
                prec,
            };
            if c.kind == Kind::Send {
                m.rev_send(d, n, dt, peer, tag, comm);
            } else {
                m.rev_recv(d, n, dt, peer, tag, comm);
            }
        }
        Kind::Sendrecv => {
            let ds = shadow_or_null(s, arg(Role::Sent, 0));
            let dr = shadow_or_null(s, arg(Role::Recvd, 0));
            let send = [
                ds,
                s.primal(arg(Role::Count, 0)),
                s.primal(arg(Role::Type, 0)),
                s.primal(arg(Role::Dest, 0)),
                s.primal(arg(Role::Tag, 0)),
            ];
            let recv = [
                dr,
                s.primal(arg(Role::Count, 1)),
                s.primal(arg(Role::Type, 1)),
                s.primal(arg(Role::Source, 0)),
                s.primal(arg(Role::Tag, 1)),
            ];
            let comm = s.primal(arg(Role::Comm, 0));
            let m = Mpi {
                b: &s.b,
                module,
                prec,
            };
            m.rev_sendrecv(send, recv, comm);
        }
        Kind::Allreduce | Kind::Reduce => {
            let (sbuf, rbuf) = (arg(Role::Sent, 0), arg(Role::Recvd, 0));
            // `MPI_IN_PLACE`, or `rank == root ? MPI_IN_PLACE : buf`
            let in_place = is_in_place(sbuf);
            let maybe_in_place = !in_place && may_be_in_place(sbuf, 4);
            let red = reduction_of(arg(Role::Op, 0)).unwrap_or(Reduction::Sum);
            let n = arg(Role::Count, 0);
            let root = (c.kind == Kind::Reduce).then(|| arg(Role::Root, 0));
            let comm = arg(Role::Comm, 0);
            let copies = if red == Reduction::Sum {
                None
            } else {
                let input = if in_place {
                    rbuf
                } else if maybe_in_place {
                    fwd.select(mpi::in_place_test(&fwd, sbuf), rbuf, sbuf)
                } else {
                    sbuf
                };
                let x = Mpi {
                    b: &fwd,
                    module,
                    prec,
                }
                .save(input, n, None);
                let r = Mpi {
                    b: &after,
                    module,
                    prec,
                }
                .save(rbuf, n, root.map(|r| (r, comm)));
                Some((s.primal(x), s.primal(r)))
            };
            let dr = shadow_or_null(s, rbuf);
            let ds = if in_place {
                dr
            } else if maybe_in_place {
                let ds = shadow_or_null(s, sbuf);
                let sb = s.primal(sbuf);
                let test = mpi::in_place_test(&s.b, sb);
                s.b.select(test, dr, ds)
            } else {
                shadow_or_null(s, sbuf)
            };
            let n = s.primal(n);
            let dt = s.primal(arg(Role::Type, 0));
            let comm = s.primal(comm);
            let root = root.map(|r| s.primal(r));
            let m = Mpi {
                b: &s.b,
                module,
                prec,
            };
            let release = s.free_flag.unwrap_or_else(|| m.always());
            match root {
                None => m.rev_allreduce(ds, dr, n, dt, comm, copies, release),
                Some(root) => m.rev_reduce(ds, dr, n, dt, root, comm, copies, release),
            }
        }
        Kind::Bcast => {
            let d = shadow_or_null(s, arg(Role::Both, 0));
            let n = s.primal(arg(Role::Count, 0));
            let dt = s.primal(arg(Role::Type, 0));
            let root = s.primal(arg(Role::Root, 0));
            let comm = s.primal(arg(Role::Comm, 0));
            let m = Mpi {
                b: &s.b,
                module,
                prec,
            };
            m.rev_bcast(d, n, dt, root, comm);
        }
        Kind::Gather | Kind::Scatter | Kind::Allgather => {
            let (send, recv, root, comm) = collect_operands(s, &c);
            let m = Mpi {
                b: &s.b,
                module,
                prec,
            };
            m.rev_collect(c.kind, send, recv, root, comm);
        }
        Kind::Inactive => {}
    }
    Ok(true)
}

fn shadow_or_null(s: &mut ReverseSweep, p: Value) -> Value {
    match s.shadow_in_reverse(p) {
        Some(sp) => sp,
        None => s.b.zero(Type::ptr(s.module.context())),
    }
}

type Operands = ([Value; 3], [Value; 3], Option<Value>, Value);

fn collect_operands(s: &mut ReverseSweep, c: &MpiCall) -> Operands {
    let ds = shadow_or_null(s, c.arg(Role::Sent, 0));
    let dr = shadow_or_null(s, c.arg(Role::Recvd, 0));
    let send = [
        ds,
        s.primal(c.arg(Role::Count, 0)),
        s.primal(c.arg(Role::Type, 0)),
    ];
    let recv = [
        dr,
        s.primal(c.arg(Role::Count, 1)),
        s.primal(c.arg(Role::Type, 1)),
    ];
    let root = (c.kind != Kind::Allgather).then(|| c.arg(Role::Root, 0));
    let root = root.map(|r| s.primal(r));
    let comm = s.primal(c.arg(Role::Comm, 0));
    (send, recv, root, comm)
}
