//! Server commands (Redis's `server.c` and `db.c` for FLUSHALL, FLUSHDB,
//! DBSIZE, TIME, SHUTDOWN).
//!
//! SHUTDOWN does not exit from inside the command: it raises
//! `srv.shutdown.requested`, and the event loop, once this iteration's
//! replies are written, leaves its loop, flushes what clients are still
//! owed and exits with status 0 (Redis's `prepareForShutdown` and
//! `finishShutdown`). The client that asked gets no reply: its connection
//! simply closes, as with Redis.

use super::table::{flags::*, CommandDef};
use super::{err, CmdError, CmdResult, Ctx};

pub static COMMANDS: &[CommandDef] = &[
    CommandDef::new("dbsize", 1, READONLY | FAST, dbsize)
        .acl("keyspace read fast")
        .group("server"),
    CommandDef::new("flushdb", -1, WRITE, flushdb)
        .acl("keyspace write slow dangerous")
        .group("server"),
    CommandDef::new("flushall", -1, WRITE, flushall)
        .acl("keyspace write slow dangerous")
        .group("server"),
    CommandDef::new("time", 1, LOADING | STALE | FAST, time)
        .acl("fast")
        .group("server")
        .since("2.6.0"),
    CommandDef::new(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
        shutdown,
    )
    .acl("admin slow dangerous")
    .group("server")
    .summary("Synchronously save the dataset to disk and then shut down the server"),
];

fn dbsize(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.db().len();
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// FLUSHDB/FLUSHALL take an optional ASYNC or SYNC; both free at once here
/// (a lazy-free thread would be a second thread touching values). True for
/// ASYNC, or no mode with lazyfree-lazy-user-flush: Redis then counts every
/// flushed key in lazyfreed_objects (`emptyDbAsync`), and so do we.
fn flush_mode(ctx: &Ctx) -> Result<bool, CmdError> {
    match ctx.args.len() {
        1 => Ok(ctx.srv.config.lazyfree_lazy_user_flush),
        2 if ctx.args.get(1).eq_ignore_ascii_case(b"async") => Ok(true),
        2 if ctx.args.get(1).eq_ignore_ascii_case(b"sync") => Ok(false),
        _ => Err(err::SYNTAX),
    }
}

fn flushdb(ctx: &mut Ctx) -> CmdResult {
    if flush_mode(ctx)? {
        ctx.srv.stats.lazyfreed_objects += ctx.db().len() as u64;
    }
    ctx.db().clear();
    ctx.client.reply.ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx) -> CmdResult {
    let lazy = flush_mode(ctx)?;
    for db in &mut ctx.srv.dbs {
        if lazy {
            ctx.srv.stats.lazyfreed_objects += db.len() as u64;
        }
        db.clear();
    }
    ctx.client.reply.ok();
    Ok(())
}

fn time(ctx: &mut Ctx) -> CmdResult {
    let us = crate::server::unix_us();
    let r = &mut ctx.client.reply;
    r.array(2);
    r.bulk_i64(us / 1_000_000);
    r.bulk_i64(us % 1_000_000);
    Ok(())
}

fn shutdown(ctx: &mut Ctx) -> CmdResult {
    let (mut save, mut nosave, mut force, mut abort) = (false, false, false, false);
    for a in ctx.args.iter().skip(1) {
        if a.eq_ignore_ascii_case(b"nosave") {
            nosave = true;
        } else if a.eq_ignore_ascii_case(b"save") {
            save = true;
        } else if a.eq_ignore_ascii_case(b"now") {
            // NOW skips waiting for replicas to catch up; we have none.
        } else if a.eq_ignore_ascii_case(b"force") {
            force = true;
        } else if a.eq_ignore_ascii_case(b"abort") {
            abort = true;
        } else {
            return Err(err::SYNTAX);
        }
    }
    if (abort && ctx.args.len() != 2) || (save && nosave) {
        return Err(err::SYNTAX);
    }
    if abort {
        // A shutdown here never waits (no replicas to wait for), so there is
        // never one in progress to abort.
        return Err(CmdError::new("ERR No shutdown in progress."));
    }
    if save && !force {
        // SAVE demands a snapshot, and reddish cannot write one yet: refuse
        // as Redis refuses when its final save fails. FORCE goes ahead.
        log::warn!("Error trying to save the DB, can't exit: persistence is not available.");
        log::warn!("Errors trying to shut down the server. Check the logs for more information.");
        return Err(CmdError::new("ERR Errors trying to SHUTDOWN. Check logs."));
    }
    ctx.srv.shutdown.requested = true;
    // Nothing after SHUTDOWN in this client's pipeline runs.
    ctx.client.flags.close_asap = true;
    Ok(())
}
