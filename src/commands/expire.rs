//! Expiry commands: setting, reading and dropping a key's deadline
//! (Redis's `expire.c`, command half).
//!
//! A deadline is an absolute time in unix milliseconds kept beside the key;
//! the keyspace deletes the key when a lookup finds the time passed (lazy
//! expiry) and the cron samples keys with deadlines to delete the rest
//! (active expiry). The commands here only translate what a client says
//! into that one number and back:
//!
//! - EXPIRE / PEXPIRE take a relative time in seconds / milliseconds,
//!   EXPIREAT / PEXPIREAT an absolute one. All four become "unix ms" with
//!   overflow checks first, so a huge argument is
//!   `ERR invalid expire time in '<command>' command`, never a wrap-around.
//! - A deadline already in the past deletes the key at once and still
//!   answers 1, as Redis does (it replicates a DEL for it).
//! - Redis 7.0's NX / XX / GT / LT conditions compare against the current
//!   deadline, a key without one counting as infinitely far: GT can never
//!   beat it, LT always does.
//! - TTL rounds to the nearest second (`(ms + 500) / 1000`), so a key with
//!   1.5 s left shows 2, not 1.

use super::keys::{count_read, opt_eq};
use super::table::{flags::*, CommandDef};
use super::{CmdError, CmdResult, Ctx};
use crate::server::notify as ntf;
use crate::util::numbers::parse_i64;

pub static COMMANDS: &[CommandDef] = &[
    CommandDef::new("expire", -3, WRITE | FAST, expire)
        .keys(1, 1, 1)
        .acl("keyspace write fast")
        .group("generic")
        .summary("Set a key's time to live in seconds"),
    CommandDef::new("pexpire", -3, WRITE | FAST, pexpire)
        .keys(1, 1, 1)
        .acl("keyspace write fast")
        .group("generic")
        .since("2.6.0")
        .summary("Set a key's time to live in milliseconds"),
    CommandDef::new("expireat", -3, WRITE | FAST, expireat)
        .keys(1, 1, 1)
        .acl("keyspace write fast")
        .group("generic")
        .since("1.2.0")
        .summary("Set the expiration for a key as a UNIX timestamp"),
    CommandDef::new("pexpireat", -3, WRITE | FAST, pexpireat)
        .keys(1, 1, 1)
        .acl("keyspace write fast")
        .group("generic")
        .since("2.6.0")
        .summary("Set the expiration for a key as a UNIX timestamp specified in milliseconds"),
    CommandDef::new("ttl", 2, READONLY | FAST, ttl)
        .keys(1, 1, 1)
        .acl("keyspace read fast")
        .group("generic")
        .summary("Get the time to live for a key in seconds"),
    CommandDef::new("pttl", 2, READONLY | FAST, pttl)
        .keys(1, 1, 1)
        .acl("keyspace read fast")
        .group("generic")
        .since("2.6.0")
        .summary("Get the time to live for a key in milliseconds"),
    CommandDef::new("expiretime", 2, READONLY | FAST, expiretime)
        .keys(1, 1, 1)
        .acl("keyspace read fast")
        .group("generic")
        .since("7.0.0")
        .summary("Get the expiration Unix timestamp for a key"),
    CommandDef::new("pexpiretime", 2, READONLY | FAST, pexpiretime)
        .keys(1, 1, 1)
        .acl("keyspace read fast")
        .group("generic")
        .since("7.0.0")
        .summary("Get the expiration Unix timestamp for a key in milliseconds"),
    CommandDef::new("persist", 2, WRITE | FAST, persist)
        .keys(1, 1, 1)
        .acl("keyspace write fast")
        .group("generic")
        .since("2.2.0")
        .summary("Remove the expiration from a key"),
];

fn expire(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.srv.now_ms;
    expire_generic(ctx, now, Unit::Seconds, "expire")
}

fn pexpire(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.srv.now_ms;
    expire_generic(ctx, now, Unit::Millis, "pexpire")
}

fn expireat(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 0, Unit::Seconds, "expireat")
}

fn pexpireat(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 0, Unit::Millis, "pexpireat")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Seconds,
    Millis,
}

/// The NX / XX / GT / LT options of the EXPIRE family.
#[derive(Default)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

/// Redis's `parseExtendedExpireArgumentsOrReply`. Options are checked
/// before the time argument is parsed, so `EXPIRE k abc NX XX` reports the
/// option clash, not the bad number.
fn parse_conditions(ctx: &Ctx) -> Result<Conditions, CmdError> {
    let mut c = Conditions::default();
    for opt in ctx.args.from(3).iter() {
        if opt_eq(opt, b"nx") {
            c.nx = true;
        } else if opt_eq(opt, b"xx") {
            c.xx = true;
        } else if opt_eq(opt, b"gt") {
            c.gt = true;
        } else if opt_eq(opt, b"lt") {
            c.lt = true;
        } else {
            // Redis formats the option with %s, so it ends at a NUL byte.
            let end = opt.iter().position(|&b| b == 0).unwrap_or(opt.len());
            return Err(CmdError::owned(format!(
                "ERR Unsupported option {}",
                String::from_utf8_lossy(&opt[..end])
            )));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(CmdError::new(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if c.gt && c.lt {
        return Err(CmdError::new(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(c)
}

fn invalid_expire(cmd: &str) -> CmdError {
    CmdError::owned(format!("ERR invalid expire time in '{cmd}' command"))
}

/// Redis's `expireGenericCommand`: `base` is now for the relative forms
/// and 0 for the absolute ones.
fn expire_generic(ctx: &mut Ctx, base: i64, unit: Unit, cmd: &str) -> CmdResult {
    let cond = parse_conditions(ctx)?;
    let mut when = parse_i64(ctx.args.get(2)).ok_or(super::err::NOT_INT)?;
    if unit == Unit::Seconds {
        when = when.checked_mul(1000).ok_or_else(|| invalid_expire(cmd))?;
    }
    // Only an overflow upwards is an error: a very negative time is just
    // "long ago" and deletes the key.
    if when > i64::MAX - base {
        return Err(invalid_expire(cmd));
    }
    when += base;

    let key = ctx.args.get(1);
    let now = ctx.srv.now_ms;
    let db = &mut ctx.srv.dbs[ctx.client.db];
    if db.lookup(key, now).is_none() {
        ctx.client.reply.int(0);
        return Ok(());
    }
    let current = db.expire_at(key);
    let refused = (cond.nx && current.is_some())
        || (cond.xx && current.is_none())
        // No deadline is an infinite one: nothing is greater.
        || (cond.gt && current.is_none_or(|cur| when <= cur))
        // ...and anything is less.
        || (cond.lt && current.is_some_and(|cur| when >= cur));
    if refused {
        ctx.client.reply.int(0);
        return Ok(());
    }
    if when <= now {
        db.remove(key, now);
        ctx.changed(ntf::GENERIC, b"del", key);
        ctx.client.reply.int(1);
    } else {
        db.set_expire(key, when);
        ctx.client.reply.int(1);
        ctx.changed(ntf::GENERIC, b"expire", key);
    }
    Ok(())
}

fn ttl(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, false, false)
}

fn pttl(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, true, false)
}

fn expiretime(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, false, true)
}

fn pexpiretime(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, true, true)
}

/// Redis's `ttlGenericCommand`: -2 for a missing key, -1 for no deadline,
/// otherwise the remaining (or absolute) time, never below 0.
fn ttl_generic(ctx: &mut Ctx, millis: bool, absolute: bool) -> CmdResult {
    let key = ctx.args.get(1);
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let db = &mut srv.dbs[ctx.client.db];
    if !count_read(&mut srv.stats, db.contains(key, now)) {
        ctx.client.reply.int(-2);
        return Ok(());
    }
    let Some(at) = db.expire_at(key) else {
        ctx.client.reply.int(-1);
        return Ok(());
    };
    let t = if absolute { at } else { at.saturating_sub(now) }.max(0);
    // Round to the nearest second. Near i64::MAX the `+ 500` would
    // overflow; Redis still answers the true quotient, so widen.
    let v = if millis {
        t
    } else {
        ((t as i128 + 500) / 1000) as i64
    };
    ctx.client.reply.int(v);
    Ok(())
}

fn persist(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let now = ctx.srv.now_ms;
    let db = &mut ctx.srv.dbs[ctx.client.db];
    let n = if db.lookup(key, now).is_some() && db.persist(key) {
        ctx.changed(ntf::GENERIC, b"persist", key);
        1
    } else {
        0
    };
    ctx.client.reply.int(n);
    Ok(())
}
