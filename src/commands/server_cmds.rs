//! Server commands (Redis's `server.c` and `db.c` for FLUSHALL, FLUSHDB,
//! DBSIZE, TIME).

use super::table::{flags::*, CommandDef};
use super::{err, CmdResult, Ctx};

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
];

fn dbsize(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.db().len();
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// FLUSHDB/FLUSHALL take an optional ASYNC or SYNC; both free at once here
/// (a lazy-free thread would be a second thread touching values).
fn flush_mode(ctx: &Ctx) -> CmdResult {
    match ctx.args.len() {
        1 => Ok(()),
        2 if ctx.args.get(1).eq_ignore_ascii_case(b"async")
            || ctx.args.get(1).eq_ignore_ascii_case(b"sync") =>
        {
            Ok(())
        }
        _ => Err(err::SYNTAX),
    }
}

fn flushdb(ctx: &mut Ctx) -> CmdResult {
    flush_mode(ctx)?;
    ctx.db().clear();
    ctx.client.reply.ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx) -> CmdResult {
    flush_mode(ctx)?;
    for db in &mut ctx.srv.dbs {
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
