//! Forward mode of MPI calls (rules in `rules/mpi/`): each message on
//! floating-point data is followed by the same message on the tangents (a
//! buffer without a shadow sends zeros), in the same order on every rank, so
//! tangent messages match as the primal ones do. Min/max reductions pass on
//! the tangent of the rank holding the extremum; a non-blocking call starts
//! its tangent message at once and the wait completes it.

use super::TangentSweep;
use crate::error::{Error, Result};
use crate::rules::blas::Prec;
use crate::rules::mpi::runtime::Mpi;
use crate::rules::mpi::{self, is_in_place, may_be_in_place, reduction_of, Kind, Reduction, Role};
use ferment_ir::{Builder, Type, Value};

/// Handles `inst` when it is a call to a supported MPI routine.
pub(super) fn tangent_mpi(t: &mut TangentSweep, inst: Value) -> Result<bool> {
    let Some(c) = mpi::decode(inst)? else {
        return Ok(false);
    };
    let prec = match (c.kind, c.prec()) {
        (Kind::Inactive | Kind::Barrier, _) => return Ok(true),
        (Kind::Wait | Kind::Waitall, _) => Prec::D,
        (_, Some(p)) => p,
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
    let module = inst.function_of().global_parent();
    let ptr = Type::ptr(module.context());
    for p in c.args.iter().filter(|a| a.ty().is_pointer()) {
        if t.is_mixed(*p) {
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
    let before = Builder::new(module);
    before.before(inst);
    before.set_debug_loc_from(inst);
    let b = Builder::new(module);
    b.after(inst);
    b.set_debug_loc_from(inst);
    // (Batched mode refuses MPI calls: one lane.)
    let shadow = |p: Value| t.memory_shadow(p, 0).unwrap_or_else(|| b.zero(ptr));
    let arg = |role: Role, k: usize| c.arg(role, k);
    let m = Mpi {
        b: &b,
        module,
        prec,
    };
    match c.kind {
        Kind::Send => m.fwd_same(
            "MPI_Send",
            shadow(arg(Role::Sent, 0)),
            &[
                arg(Role::Count, 0),
                arg(Role::Type, 0),
                arg(Role::Dest, 0),
                arg(Role::Tag, 0),
                arg(Role::Comm, 0),
            ],
        ),
        Kind::Recv => m.fwd_same(
            "MPI_Recv",
            shadow(arg(Role::Recvd, 0)),
            &[
                arg(Role::Count, 0),
                arg(Role::Type, 0),
                arg(Role::Source, 0),
                arg(Role::Tag, 0),
                arg(Role::Comm, 0),
            ],
        ),
        Kind::Bcast => m.fwd_same(
            "MPI_Bcast",
            shadow(arg(Role::Both, 0)),
            &[
                arg(Role::Count, 0),
                arg(Role::Type, 0),
                arg(Role::Root, 0),
                arg(Role::Comm, 0),
            ],
        ),
        Kind::Sendrecv => {
            let send = [
                shadow(arg(Role::Sent, 0)),
                arg(Role::Count, 0),
                arg(Role::Type, 0),
                arg(Role::Dest, 0),
                arg(Role::Tag, 0),
            ];
            let recv = [
                shadow(arg(Role::Recvd, 0)),
                arg(Role::Count, 1),
                arg(Role::Type, 1),
                arg(Role::Source, 0),
                arg(Role::Tag, 1),
            ];
            m.fwd_sendrecv(send, recv, arg(Role::Comm, 0));
        }
        Kind::Allreduce | Kind::Reduce => {
            let (sbuf, rbuf) = (arg(Role::Sent, 0), arg(Role::Recvd, 0));
            let in_place = is_in_place(sbuf);
            let maybe_in_place = !in_place && may_be_in_place(sbuf, 4);
            let red = reduction_of(arg(Role::Op, 0)).unwrap_or(Reduction::Sum);
            let n = arg(Role::Count, 0);
            let root = (c.kind == Kind::Reduce).then(|| arg(Role::Root, 0));
            let copies = (red != Reduction::Sum).then(|| {
                let input = if in_place {
                    rbuf
                } else if maybe_in_place {
                    let test = mpi::in_place_test(&before, sbuf);
                    before.select(test, rbuf, sbuf)
                } else {
                    sbuf
                };
                let x = Mpi {
                    b: &before,
                    module,
                    prec,
                }
                .save(input, n, None);
                (x, rbuf)
            });
            let dr = shadow(rbuf);
            let ds = if in_place { b.zero(ptr) } else { shadow(sbuf) };
            let flag = if maybe_in_place {
                mpi::in_place_test(&b, sbuf)
            } else {
                b.const_int(Type::int(module.context(), 1), i64::from(in_place))
            };
            m.fwd_reduce(
                ds,
                flag,
                dr,
                n,
                arg(Role::Type, 0),
                root,
                arg(Role::Comm, 0),
                copies,
            );
        }
        Kind::Gather | Kind::Scatter | Kind::Allgather => {
            let send = [
                shadow(arg(Role::Sent, 0)),
                arg(Role::Count, 0),
                arg(Role::Type, 0),
            ];
            let recv = [
                shadow(arg(Role::Recvd, 0)),
                arg(Role::Count, 1),
                arg(Role::Type, 1),
            ];
            let root = (c.kind != Kind::Allgather).then(|| arg(Role::Root, 0));
            m.fwd_collect(c.kind, send, recv, root, arg(Role::Comm, 0));
        }
        Kind::Isend | Kind::Irecv => {
            let (buf, peer) = if c.kind == Kind::Isend {
                (arg(Role::Sent, 0), arg(Role::Dest, 0))
            } else {
                (arg(Role::Recvd, 0), arg(Role::Source, 0))
            };
            let d = shadow(buf);
            let req = arg(Role::Request, 0);
            let rec = m.record(
                req,
                c.kind == Kind::Irecv,
                d,
                arg(Role::Count, 0),
                arg(Role::Type, 0),
                peer,
                arg(Role::Tag, 0),
                arg(Role::Comm, 0),
            );
            m.fwd_start(rec);
        }
        Kind::Wait => {
            let req = arg(Role::Request, 0);
            let rec = Mpi {
                b: &before,
                module,
                prec,
            }
            .take(req);
            m.fwd_finish(rec);
        }
        Kind::Waitall => {
            let arr = Mpi {
                b: &before,
                module,
                prec,
            }
            .take_all(arg(Role::Count, 0), arg(Role::Requests, 0));
            m.fwd_finish_all(arg(Role::Count, 0), arr);
        }
        Kind::Barrier | Kind::Inactive => {}
    }
    Ok(true)
}
