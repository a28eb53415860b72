//! Set commands (Redis's `t_set.c`).
//!
//! A set key holds a [`SetVal`]: an intset while every member is an integer
//! and there are at most `set-max-intset-entries` of them, a hash table
//! otherwise (see `types/set_value.rs`). Commands that compute a new set
//! (SUNION, SDIFF and their STORE forms) build it through the same `add`
//! as SADD, so a result of few integers is an intset and replies in
//! ascending order, exactly as Redis's `sunionDiffGenericCommand` does with
//! its `createIntsetObject` destination. SINTER walks the smallest input
//! and probes the others, as `sinterGenericCommand` does.
//!
//! Store forms delete the destination when the result is empty and answer
//! 0, and replace any value (and TTL) it had otherwise. A missing key is an
//! empty set everywhere; a key of another type is WRONGTYPE, checked for
//! every input before any work, as Redis 7.0 does.
//!
//! Randomness (SPOP, SRANDMEMBER) comes from the commands' one random
//! stream (`types::rand_below`), shared with HRANDFIELD and ZRANDMEMBER:
//! only the reactor thread runs commands, so no lock is involved.

use super::table::{flags::*, CommandDef};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::object::Value;
use crate::protocol::reply::Reply;
use crate::server::notify as ntf;
use crate::types::set_value::{Member, SetVal};
use crate::util::glob;
use crate::util::numbers::parse_i64;

const fn s(name: &'static str, arity: i32, fl: u64, h: super::table::Handler) -> CommandDef {
    CommandDef::new(name, arity, fl, h)
        .keys(1, 1, 1)
        .group("set")
}

pub static COMMANDS: &[CommandDef] = &[
    s("sadd", -3, WRITE | DENYOOM | FAST, sadd)
        .acl("write set fast")
        .summary("Add one or more members to a set"),
    s("scard", 2, READONLY | FAST, scard)
        .acl("read set fast")
        .summary("Get the number of members in a set"),
    s("sdiff", -2, READONLY, sdiff)
        .keys(1, -1, 1)
        .acl("read set slow")
        .summary("Subtract multiple sets"),
    s("sdiffstore", -3, WRITE | DENYOOM, sdiffstore)
        .keys(1, -1, 1)
        .acl("write set slow")
        .summary("Subtract multiple sets and store the resulting set in a key"),
    s("sinter", -2, READONLY, sinter)
        .keys(1, -1, 1)
        .acl("read set slow")
        .summary("Intersect multiple sets"),
    s("sintercard", -3, READONLY | MOVABLE_KEYS, sintercard)
        .keys(0, 0, 0)
        .acl("read set slow")
        .since("7.0.0")
        .summary("Intersect multiple sets and return the cardinality of the result"),
    s("sinterstore", -3, WRITE | DENYOOM, sinterstore)
        .keys(1, -1, 1)
        .acl("write set slow")
        .summary("Intersect multiple sets and store the resulting set in a key"),
    s("sismember", 3, READONLY | FAST, sismember)
        .acl("read set fast")
        .summary("Determine if a given value is a member of a set"),
    s("smembers", 2, READONLY, smembers)
        .acl("read set slow")
        .summary("Get all the members in a set"),
    s("smismember", -3, READONLY | FAST, smismember)
        .acl("read set fast")
        .since("6.2.0")
        .summary("Returns the membership associated with the given elements for a set"),
    s("smove", 4, WRITE | FAST, smove)
        .keys(1, 2, 1)
        .acl("write set fast")
        .summary("Move a member from one set to another"),
    s("spop", -2, WRITE | FAST, spop)
        .acl("write set fast")
        .summary("Remove and return one or multiple random members from a set"),
    s("srandmember", -2, READONLY, srandmember)
        .acl("read set slow")
        .summary("Get one or multiple random members from a set"),
    s("srem", -3, WRITE | FAST, srem)
        .acl("write set fast")
        .summary("Remove one or more members from a set"),
    s("sscan", -3, READONLY, sscan)
        .acl("read set slow")
        .since("2.8.0")
        .summary("Incrementally iterate Set elements"),
    s("sunion", -2, READONLY, sunion)
        .keys(1, -1, 1)
        .acl("read set slow")
        .summary("Add multiple sets"),
    s("sunionstore", -3, WRITE | DENYOOM, sunionstore)
        .keys(1, -1, 1)
        .acl("write set slow")
        .summary("Add multiple sets and store the resulting set in a key"),
];

fn rand_below(n: usize) -> usize {
    crate::types::rand_below(n as u64) as usize
}

fn reply_member(reply: &mut Reply, m: Member<'_>) {
    match m {
        Member::Int(n) => reply.bulk_i64(n),
        Member::Bytes(b) => reply.bulk(b),
    }
}

/// Replies with a whole set as a RESP3 set (array in RESP2).
fn reply_set(reply: &mut Reply, v: &SetVal) {
    reply.set(v.len());
    v.for_each(|m| reply_member(reply, m));
}

/// Looks up a set for reading: `Ok(None)` if missing, WRONGTYPE if not a set.
fn read_set<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a SetVal>, CmdError> {
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    match srv.dbs[ctx.client.db].lookup(key, now) {
        None => {
            srv.stats.keyspace_misses += 1;
            Ok(None)
        }
        Some(Value::Set(s)) => {
            srv.stats.keyspace_hits += 1;
            Ok(Some(s))
        }
        Some(_) => {
            srv.stats.keyspace_hits += 1;
            Err(err::WRONGTYPE)
        }
    }
}

/// As `read_set`, for the reads that need `&mut` (a random pick steps the
/// table's incremental rehash), borrowing only the server.
fn read_set_mut<'a>(
    srv: &'a mut crate::server::Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut SetVal>, CmdError> {
    let now = srv.now_ms;
    match srv.dbs[db].lookup_mut(key, now) {
        None => {
            srv.stats.keyspace_misses += 1;
            Ok(None)
        }
        Some(Value::Set(s)) => {
            srv.stats.keyspace_hits += 1;
            Ok(Some(s))
        }
        Some(_) => {
            srv.stats.keyspace_hits += 1;
            Err(err::WRONGTYPE)
        }
    }
}

fn sadd(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.srv.now_ms;
    let max = ctx.srv.config.set_max_intset_entries;
    let key = ctx.args.get(1);
    let db = &mut ctx.srv.dbs[ctx.client.db];
    let mut added = 0;
    match db.lookup_mut(key, now) {
        Some(Value::Set(s)) => {
            for m in ctx.args.from(2).iter() {
                added += s.add(m, max) as i64;
            }
        }
        Some(_) => return Err(err::WRONGTYPE),
        None => {
            let mut s = SetVal::for_member(ctx.args.get(2));
            for m in ctx.args.from(2).iter() {
                added += s.add(m, max) as i64;
            }
            db.insert(key, Value::Set(s), false);
        }
    }
    if added > 0 {
        ctx.changed(ntf::SET, b"sadd", key);
    }
    ctx.client.reply.int(added);
    Ok(())
}

fn srem(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.srv.now_ms;
    let key = ctx.args.get(1);
    let db = &mut ctx.srv.dbs[ctx.client.db];
    let mut removed = 0;
    let mut empty = false;
    match db.lookup_mut(key, now) {
        Some(Value::Set(s)) => {
            for m in ctx.args.from(2).iter() {
                removed += s.remove(m) as i64;
                if s.is_empty() {
                    empty = true;
                    break;
                }
            }
        }
        Some(_) => return Err(err::WRONGTYPE),
        None => {}
    }
    if empty {
        db.remove(key, now);
    }
    if removed > 0 {
        ctx.changed(ntf::SET, b"srem", key);
        if empty {
            let db = ctx.client.db;
            ctx.notify(ntf::GENERIC, b"del", key, db);
        }
    }
    ctx.client.reply.int(removed);
    Ok(())
}

fn scard(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let n = read_set(ctx, key)?.map_or(0, |s| s.len());
    ctx.client.reply.int(n as i64);
    Ok(())
}

fn sismember(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let m = ctx.args.get(2);
    let yes = read_set(ctx, key)?.is_some_and(|s| s.contains(m));
    ctx.client.reply.int(yes as i64);
    Ok(())
}

fn smismember(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let args = ctx.args;
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let reply = &mut ctx.client.reply;
    let set = match srv.dbs[ctx.client.db].lookup(key, now) {
        None => {
            srv.stats.keyspace_misses += 1;
            None
        }
        Some(Value::Set(s)) => {
            srv.stats.keyspace_hits += 1;
            Some(s)
        }
        Some(_) => {
            srv.stats.keyspace_hits += 1;
            return Err(err::WRONGTYPE);
        }
    };
    reply.array(args.len() - 2);
    for m in args.from(2).iter() {
        reply.int(set.is_some_and(|s| s.contains(m)) as i64);
    }
    Ok(())
}

fn smembers(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let reply = &mut ctx.client.reply;
    match srv.dbs[ctx.client.db].lookup(key, now) {
        None => {
            srv.stats.keyspace_misses += 1;
            reply.set(0);
        }
        Some(Value::Set(s)) => {
            srv.stats.keyspace_hits += 1;
            reply_set(reply, s);
        }
        Some(_) => {
            srv.stats.keyspace_hits += 1;
            return Err(err::WRONGTYPE);
        }
    }
    Ok(())
}

fn smove(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.srv.now_ms;
    let max = ctx.srv.config.set_max_intset_entries;
    let (src, dst, m) = (ctx.args.get(1), ctx.args.get(2), ctx.args.get(3));
    let db = &mut ctx.srv.dbs[ctx.client.db];
    let dst_state = match db.lookup(dst, now) {
        None => None,
        Some(Value::Set(_)) => Some(true),
        Some(_) => Some(false),
    };
    let src_set = match db.lookup_mut(src, now) {
        None => {
            ctx.client.reply.int(0);
            return Ok(());
        }
        Some(Value::Set(s)) => s,
        Some(_) => return Err(err::WRONGTYPE),
    };
    if dst_state == Some(false) {
        return Err(err::WRONGTYPE);
    }
    if src == dst {
        let yes = src_set.contains(m);
        ctx.client.reply.int(yes as i64);
        return Ok(());
    }
    if !src_set.remove(m) {
        ctx.client.reply.int(0);
        return Ok(());
    }
    let src_emptied = src_set.is_empty();
    let cur = ctx.client.db;
    ctx.notify(ntf::SET, b"srem", src, cur);
    let db = &mut ctx.srv.dbs[cur];
    if src_emptied {
        db.remove(src, now);
        ctx.notify(ntf::GENERIC, b"del", src, cur);
    }
    let db = &mut ctx.srv.dbs[cur];
    let added = match db.lookup_mut(dst, now) {
        Some(Value::Set(d)) => d.add(m, max),
        _ => {
            let mut d = SetVal::for_member(m);
            d.add(m, max);
            db.insert(dst, Value::Set(d), false);
            true
        }
    };
    ctx.modified(cur, src);
    if added {
        ctx.changed(ntf::SET, b"sadd", dst);
    }
    ctx.client.reply.int(1);
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Diff,
}

/// Collects clones of the sets at `keys` (None for missing), checking types
/// first as Redis does.
fn gather(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<Vec<Option<SetVal>>, CmdError> {
    let mut out = Vec::with_capacity(keys.len());
    for &k in keys {
        out.push(read_set(ctx, k)?.cloned());
    }
    Ok(out)
}

fn union_diff(ctx: &mut Ctx, from: usize, op: Op) -> Result<SetVal, CmdError> {
    let max = ctx.srv.config.set_max_intset_entries;
    let args = ctx.args;
    let keys: Vec<&[u8]> = args.from(from).iter().collect();
    let sets = gather(ctx, &keys)?;
    let mut out = SetVal::Int(crate::types::intset::IntSet::new());
    match op {
        Op::Union => {
            for s in sets.iter().flatten() {
                s.for_each(|m| {
                    out.add(&m.to_vec(), max);
                });
            }
        }
        Op::Diff => {
            if let Some(Some(first)) = sets.first() {
                first.for_each(|m| {
                    let b = m.to_vec();
                    if !sets[1..].iter().flatten().any(|o| o.contains(&b)) {
                        out.add(&b, max);
                    }
                });
            }
        }
    }
    Ok(out)
}

/// Stores a SUNIONSTORE/SDIFFSTORE/SINTERSTORE result; `event` is the
/// command's keyspace event, published when the result is not empty.
fn store(ctx: &mut Ctx, dst: &[u8], result: SetVal, event: &[u8]) {
    let now = ctx.srv.now_ms;
    let n = result.len();
    let db = &mut ctx.srv.dbs[ctx.client.db];
    // As Redis: the reply goes out before the events (but after `new`,
    // which `setKey` publishes), for a RESP3 client hearing its own events.
    if n == 0 {
        let removed = db.remove(dst, now).is_some();
        ctx.client.reply.int(0);
        if removed {
            ctx.changed(ntf::GENERIC, b"del", dst);
        }
    } else {
        db.insert(dst, Value::Set(result), false);
        if ctx.srv.config.notify_keyspace_events != 0 {
            super::multi::drain_expired(ctx.srv, Some(ctx.client));
        }
        ctx.client.reply.int(n as i64);
        ctx.changed(ntf::SET, event, dst);
    }
}

fn sunion(ctx: &mut Ctx) -> CmdResult {
    let r = union_diff(ctx, 1, Op::Union)?;
    reply_set(&mut ctx.client.reply, &r);
    Ok(())
}

fn sdiff(ctx: &mut Ctx) -> CmdResult {
    let r = union_diff(ctx, 1, Op::Diff)?;
    reply_set(&mut ctx.client.reply, &r);
    Ok(())
}

fn sunionstore(ctx: &mut Ctx) -> CmdResult {
    let r = union_diff(ctx, 2, Op::Union)?;
    store(ctx, ctx.args.get(1), r, b"sunionstore");
    Ok(())
}

fn sdiffstore(ctx: &mut Ctx) -> CmdResult {
    let r = union_diff(ctx, 2, Op::Diff)?;
    store(ctx, ctx.args.get(1), r, b"sdiffstore");
    Ok(())
}

/// The intersection's members, walking the smallest set; stops after
/// `limit` members when non-zero. None if any input is missing.
fn intersect(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    limit: usize,
) -> Result<Option<Vec<Vec<u8>>>, CmdError> {
    let sets = gather(ctx, keys)?;
    if sets.iter().any(|s| s.is_none()) {
        return Ok(None);
    }
    let mut sets: Vec<SetVal> = sets.into_iter().flatten().collect();
    sets.sort_by_key(|s| s.len());
    let mut out = Vec::new();
    if let Some((first, rest)) = sets.split_first() {
        let mut done = false;
        first.for_each(|m| {
            if done {
                return;
            }
            let b = m.to_vec();
            if rest.iter().all(|o| o.contains(&b)) {
                out.push(b);
                if limit != 0 && out.len() >= limit {
                    done = true;
                }
            }
        });
    }
    Ok(Some(out))
}

fn sinter(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let keys: Vec<&[u8]> = args.from(1).iter().collect();
    let r = intersect(ctx, &keys, 0)?.unwrap_or_default();
    let reply = &mut ctx.client.reply;
    reply.set(r.len());
    for m in &r {
        reply.bulk(m);
    }
    Ok(())
}

fn sinterstore(ctx: &mut Ctx) -> CmdResult {
    let max = ctx.srv.config.set_max_intset_entries;
    let args = ctx.args;
    let keys: Vec<&[u8]> = args.from(2).iter().collect();
    let r = intersect(ctx, &keys, 0)?.unwrap_or_default();
    let mut out = SetVal::Int(crate::types::intset::IntSet::new());
    for m in &r {
        out.add(m, max);
    }
    store(ctx, ctx.args.get(1), out, b"sinterstore");
    Ok(())
}

fn sintercard(ctx: &mut Ctx) -> CmdResult {
    const NUMKEYS: CmdError = CmdError::new("ERR numkeys should be greater than 0");
    const LIMIT: CmdError = CmdError::new("ERR LIMIT can't be negative");
    let numkeys = match parse_i64(ctx.args.get(1)) {
        Some(n) if n >= 1 => n as usize,
        _ => return Err(NUMKEYS),
    };
    if numkeys > ctx.args.len() - 2 {
        return Err(CmdError::new(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let mut limit = 0usize;
    let mut j = 2 + numkeys;
    while j < ctx.args.len() {
        let a = ctx.args.get(j);
        if a.eq_ignore_ascii_case(b"limit") && j + 1 < ctx.args.len() {
            limit = match parse_i64(ctx.args.get(j + 1)) {
                Some(n) if n >= 0 => n as usize,
                _ => return Err(LIMIT),
            };
            j += 2;
        } else {
            return Err(err::SYNTAX);
        }
    }
    let args = ctx.args;
    let keys: Vec<&[u8]> = args.from(2).iter().take(numkeys).collect();
    let n = intersect(ctx, &keys, limit)?.map_or(0, |r| r.len());
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// Parses SPOP/SRANDMEMBER's count: NOT_INT when not an integer.
fn parse_count(b: &[u8]) -> Result<i64, CmdError> {
    parse_i64(b).ok_or(err::NOT_INT)
}

fn spop(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.srv.now_ms;
    let key = ctx.args.get(1);
    let count = match ctx.args.len() {
        2 => None,
        3 => {
            let c = match parse_i64(ctx.args.get(2)) {
                Some(c) if c >= 0 => c,
                _ => return Err(err::NOT_POSITIVE),
            };
            Some(c as usize)
        }
        _ => return Err(err::SYNTAX),
    };
    // Redis publishes `spop` before replying: a RESP3 client subscribed to
    // its own events gets the push first.
    if count != Some(0) && ctx.srv.config.notify_keyspace_events != 0 {
        if let Some(Value::Set(_)) = ctx.srv.dbs[ctx.client.db].peek(key, now) {
            ctx.notify(ntf::SET, b"spop", key, ctx.client.db);
        }
    }
    let db = &mut ctx.srv.dbs[ctx.client.db];
    let reply = &mut ctx.client.reply;
    let set = match db.lookup_mut(key, now) {
        None => {
            match count {
                None => reply.null(),
                Some(_) => reply.set(0),
            }
            return Ok(());
        }
        Some(Value::Set(s)) => s,
        Some(_) => return Err(err::WRONGTYPE),
    };
    let cur = ctx.client.db;
    match count {
        None => {
            if let Some(m) = set.random(rand_below(usize::MAX) as u64) {
                set.remove(&m);
                reply.bulk(&m);
            }
        }
        Some(0) => reply.set(0),
        Some(c) if c >= set.len() => {
            reply_set(reply, set);
            db.remove(key, now);
            ctx.notify(ntf::GENERIC, b"del", key, cur);
            ctx.modified(cur, key);
            return Ok(());
        }
        // Few of many (Redis's SPOP_MOVE_STRATEGY_MUL case): pop random
        // members one by one, O(count).
        Some(c) if c * 5 < set.len() => {
            reply.set(c);
            for _ in 0..c {
                if let Some(m) = set.random(rand_below(usize::MAX) as u64) {
                    set.remove(&m);
                    reply.bulk(&m);
                }
            }
        }
        Some(c) => {
            // One pass to list the members, then a partial Fisher-Yates
            // shuffle: O(n) whatever the count, instead of a walk per pop.
            let mut all = set.members();
            for i in 0..c {
                let j = i + rand_below(all.len() - i);
                all.swap(i, j);
            }
            reply.set(c);
            for m in &all[..c] {
                set.remove(m);
                reply.bulk(m);
            }
        }
    }
    let emptied = set.is_empty();
    if emptied {
        db.remove(key, now);
    }
    if count != Some(0) {
        if emptied {
            ctx.notify(ntf::GENERIC, b"del", key, cur);
        }
        ctx.modified(cur, key);
    }
    Ok(())
}

fn srandmember(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let count = match ctx.args.len() {
        2 => None,
        3 => {
            let c = parse_count(ctx.args.get(2))?;
            if c == i64::MIN {
                return Err(err::COUNT_RANGE);
            }
            Some(c)
        }
        _ => return Err(err::SYNTAX),
    };
    let db = ctx.client.db;
    let hard = ctx.obuf_hard_limit();
    let set = read_set_mut(ctx.srv, db, key)?;
    let reply = &mut ctx.client.reply;
    let Some(set) = set else {
        match count {
            None => reply.null(),
            Some(_) => reply.empty_array(),
        }
        return Ok(());
    };
    match count {
        None => {
            if let Some(m) = set.random(rand_below(usize::MAX) as u64) {
                reply.bulk(&m);
            }
        }
        Some(0) => reply.empty_array(),
        Some(c) if c < 0 => {
            // Repeats allowed: independent O(1) picks.
            let n = c.unsigned_abs() as usize;
            reply.array(n);
            for k in 0..n {
                // Cut short at the output hard limit, as Redis (the client
                // is closed and gets none of it).
                if k % 1024 == 0 && hard > 0 && reply.pending() as u64 >= hard {
                    break;
                }
                match set.random(rand_below(usize::MAX) as u64) {
                    Some(m) => reply.bulk(&m),
                    None => reply.null(),
                }
            }
        }
        Some(c) if c as usize >= set.len() => {
            reply.array(set.len());
            set.for_each(|m| reply_member(reply, m));
        }
        // Few of many (Redis's SRANDMEMBER_SUB_STRATEGY_MUL case): random
        // picks until `c` distinct ones, O(c).
        Some(c) if (c as usize) * 3 < set.len() => {
            let c = c as usize;
            let mut picked: std::collections::HashSet<Vec<u8>> =
                std::collections::HashSet::with_capacity(c);
            while picked.len() < c {
                if let Some(m) = set.random(rand_below(usize::MAX) as u64) {
                    picked.insert(m);
                }
            }
            reply.array(c);
            for m in &picked {
                reply.bulk(m);
            }
        }
        Some(c) => {
            let mut all = set.members();
            let c = c as usize;
            for i in 0..c {
                let j = i + rand_below(all.len() - i);
                all.swap(i, j);
            }
            reply.array(c);
            for m in &all[..c] {
                reply.bulk(m);
            }
        }
    }
    Ok(())
}

fn sscan(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let cursor = super::keys::parse_cursor(ctx.args.get(2)).ok_or(super::keys::INVALID_CURSOR)?;
    let mut pattern: Option<&[u8]> = None;
    let mut count = 10usize;
    let mut j = 3;
    while j < ctx.args.len() {
        let a = ctx.args.get(j);
        let more = j + 1 < ctx.args.len();
        if a.eq_ignore_ascii_case(b"count") && more {
            let c = parse_i64(ctx.args.get(j + 1)).ok_or(err::NOT_INT)?;
            if c < 1 {
                return Err(err::SYNTAX);
            }
            count = c as usize;
            j += 2;
        } else if a.eq_ignore_ascii_case(b"match") && more {
            let p = ctx.args.get(j + 1);
            pattern = if p == b"*" { None } else { Some(p) };
            j += 2;
        } else {
            return Err(err::SYNTAX);
        }
    }
    let db = ctx.client.db;
    let set = read_set_mut(ctx.srv, db, key)?;
    let reply = &mut ctx.client.reply;
    let Some(set) = set else {
        reply.array(2);
        reply.bulk(b"0");
        reply.empty_array();
        return Ok(());
    };
    let mut out = Vec::new();
    let next = set.scan(cursor, count, |m| {
        let b = m.to_vec();
        if pattern.is_none_or(|p| glob::matches(p, &b, false)) {
            out.push(b);
        }
    });
    reply.array(2);
    reply.bulk_i64(next as i64);
    reply.array(out.len());
    for m in &out {
        reply.bulk(m);
    }
    Ok(())
}
