//! Hash commands (Redis's `t_hash.c`).
//!
//! A hash maps fields to values under one key. The encodings (listpack
//! while small, a hash table after) live in `types/hash_value.rs`; this
//! file parses arguments, converts the encoding before a write that would
//! pass `hash-max-listpack-entries` / `hash-max-listpack-value` (as
//! Redis's `hashTypeTryConversion`), deletes the key when its last field
//! goes, and answers with Redis 7.0's exact replies and error texts.
//! HINCRBYFLOAT reuses the long-double arithmetic of INCRBYFLOAT
//! (`strings::ext`) so results print exactly as Redis's `%.17Lf`.

use super::strings::ext::Ext;
use super::table::{flags::*, CommandDef};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::object::Value;
use crate::server::notify as ntf;
use crate::types::hash_value::HashVal;
use crate::util::numbers::parse_i64;

const fn h(name: &'static str, arity: i32, fl: u64, hd: super::table::Handler) -> CommandDef {
    CommandDef::new(name, arity, fl, hd)
        .keys(1, 1, 1)
        .group("hash")
}

pub static COMMANDS: &[CommandDef] = &[
    h("hset", -4, WRITE | DENYOOM | FAST, hset)
        .acl("write hash fast")
        .summary("Set the string value of a hash field"),
    h("hmset", -4, WRITE | DENYOOM | FAST, hmset)
        .acl("write hash fast")
        .summary("Set multiple hash fields to multiple values"),
    h("hsetnx", 4, WRITE | DENYOOM | FAST, hsetnx)
        .acl("write hash fast")
        .summary("Set the value of a hash field, only if the field does not exist"),
    h("hget", 3, READONLY | FAST, hget)
        .acl("read hash fast")
        .summary("Get the value of a hash field"),
    h("hmget", -3, READONLY | FAST, hmget)
        .acl("read hash fast")
        .summary("Get the values of all the given hash fields"),
    h("hdel", -3, WRITE | FAST, hdel)
        .acl("write hash fast")
        .summary("Delete one or more hash fields"),
    h("hlen", 2, READONLY | FAST, hlen)
        .acl("read hash fast")
        .summary("Get the number of fields in a hash"),
    h("hstrlen", 3, READONLY | FAST, hstrlen)
        .acl("read hash fast")
        .summary("Get the length of the value of a hash field"),
    h("hexists", 3, READONLY | FAST, hexists)
        .acl("read hash fast")
        .summary("Determine if a hash field exists"),
    h("hincrby", 4, WRITE | DENYOOM | FAST, hincrby)
        .acl("write hash fast")
        .summary("Increment the integer value of a hash field by the given number"),
    h("hincrbyfloat", 4, WRITE | DENYOOM | FAST, hincrbyfloat)
        .acl("write hash fast")
        .summary("Increment the float value of a hash field by the given amount"),
    h("hkeys", 2, READONLY, hkeys)
        .acl("read hash slow")
        .summary("Get all the fields in a hash"),
    h("hvals", 2, READONLY, hvals)
        .acl("read hash slow")
        .summary("Get all the values in a hash"),
    h("hgetall", 2, READONLY, hgetall)
        .acl("read hash slow")
        .summary("Get all the fields and values in a hash"),
    h("hrandfield", -2, READONLY, hrandfield)
        .acl("read hash slow")
        .summary("Get one or multiple random fields from a hash"),
    h("hscan", -3, READONLY, hscan)
        .acl("read hash slow")
        .summary("Incrementally iterate hash fields and associated values"),
];

/// The hash at `key` for reading, counting a hit or miss.
fn read_hash<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a HashVal>, CmdError> {
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let v = srv.dbs[ctx.client.db].lookup(key, now);
    super::keys::count_read(&mut srv.stats, v.is_some());
    match v {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(err::WRONGTYPE),
    }
}

/// The hash at `key` for writing, created empty when `create`.
fn write_hash<'a>(
    ctx: &'a mut Ctx,
    key: &[u8],
    create: bool,
) -> Result<Option<&'a mut HashVal>, CmdError> {
    let now = ctx.srv.now_ms;
    let db = &mut ctx.srv.dbs[ctx.client.db];
    match db.lookup(key, now) {
        Some(Value::Hash(_)) => {}
        Some(_) => return Err(err::WRONGTYPE),
        None if create => {
            db.insert(key, Value::Hash(Default::default()), false);
            ntf::flush_logged(ctx.srv, ctx.client);
        }
        None => return Ok(None),
    }
    match ctx.srv.dbs[ctx.client.db].lookup_mut(key, now) {
        Some(Value::Hash(h)) => Ok(Some(h)),
        _ => Ok(None),
    }
}

fn drop_if_empty(ctx: &mut Ctx, key: &[u8]) {
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    if let Some(Value::Hash(h)) = db.peek(key, now) {
        if h.is_empty() {
            db.remove(key, now);
        }
    }
}

fn set_pairs(ctx: &mut Ctx, name: &str) -> Result<i64, CmdError> {
    if ctx.args.len() % 2 == 1 {
        return Err(err::wrong_arity(name));
    }
    let (me, mv) = (
        ctx.srv.config.hash_max_listpack_entries,
        ctx.srv.config.hash_max_listpack_value,
    );
    let args = ctx.args;
    let key = args.get(1);
    let hv = write_hash(ctx, key, true)?.ok_or(err::WRONGTYPE)?;
    if let HashVal::Listpack(_) = hv {
        let too_long = (2..args.len()).any(|i| args.get(i).len() > mv);
        if too_long {
            hv.convert();
        }
    }
    let mut added = 0;
    let mut i = 2;
    while i + 1 < args.len() {
        if hv.set(args.get(i), args.get(i + 1)) {
            added += 1;
        }
        if let HashVal::Listpack(_) = hv {
            if hv.len() > me {
                hv.convert();
            }
        }
        i += 2;
    }
    Ok(added)
}

fn hset(ctx: &mut Ctx) -> CmdResult {
    let n = set_pairs(ctx, "hset")?;
    ctx.client.reply.int(n);
    ctx.changed(ntf::HASH, b"hset", ctx.args.get(1));
    Ok(())
}

fn hmset(ctx: &mut Ctx) -> CmdResult {
    set_pairs(ctx, "hmset")?;
    ctx.client.reply.ok();
    ctx.changed(ntf::HASH, b"hset", ctx.args.get(1));
    Ok(())
}

fn hsetnx(ctx: &mut Ctx) -> CmdResult {
    let (me, mv) = (
        ctx.srv.config.hash_max_listpack_entries,
        ctx.srv.config.hash_max_listpack_value,
    );
    let args = ctx.args;
    let hv = write_hash(ctx, args.get(1), true)?.ok_or(err::WRONGTYPE)?;
    if hv.contains(args.get(2)) {
        ctx.client.reply.int(0);
        return Ok(());
    }
    hv.maybe_convert(me, mv, &[args.get(2).len(), args.get(3).len()], 0);
    hv.set(args.get(2), args.get(3));
    if hv.len() > me {
        hv.convert();
    }
    ctx.client.reply.int(1);
    ctx.changed(ntf::HASH, b"hset", args.get(1));
    Ok(())
}

fn hget(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let v = read_hash(ctx, args.get(1))?.and_then(|h| h.get(args.get(2)));
    match v {
        Some(v) => ctx.client.reply.bulk(&v),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let vals: Vec<Option<Vec<u8>>> = match read_hash(ctx, args.get(1))? {
        Some(h) => (2..args.len()).map(|i| h.get(args.get(i))).collect(),
        None => vec![None; args.len() - 2],
    };
    ctx.client.reply.array(vals.len());
    for v in vals {
        match v {
            Some(v) => ctx.client.reply.bulk(&v),
            None => ctx.client.reply.null(),
        }
    }
    Ok(())
}

fn hdel(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let key = args.get(1);
    let mut n = 0;
    if let Some(hv) = write_hash(ctx, key, false)? {
        for i in 2..args.len() {
            if hv.delete(args.get(i)) {
                n += 1;
                if hv.is_empty() {
                    break;
                }
            }
        }
        let emptied = hv.is_empty();
        drop_if_empty(ctx, key);
        if n > 0 {
            ctx.changed(ntf::HASH, b"hdel", key);
            if emptied {
                let db = ctx.client.db;
                ctx.notify(ntf::GENERIC, b"del", key, db);
            }
        }
    }
    ctx.client.reply.int(n);
    Ok(())
}

fn hlen(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let n = read_hash(ctx, args.get(1))?.map_or(0, |h| h.len());
    ctx.client.reply.int(n as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let n = read_hash(ctx, args.get(1))?.and_then(|h| h.strlen(args.get(2)));
    ctx.client.reply.int(n.unwrap_or(0) as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let b = read_hash(ctx, args.get(1))?.is_some_and(|h| h.contains(args.get(2)));
    ctx.client.reply.int(b as i64);
    Ok(())
}

fn hincrby(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let by = parse_i64(args.get(3)).ok_or(err::NOT_INT)?;
    let (me, mv) = (
        ctx.srv.config.hash_max_listpack_entries,
        ctx.srv.config.hash_max_listpack_value,
    );
    let key = args.get(1);
    let hv = write_hash(ctx, key, true)?.ok_or(err::WRONGTYPE)?;
    let old = match hv.get(args.get(2)) {
        Some(v) => parse_i64(&v).ok_or(CmdError::new("ERR hash value is not an integer")),
        None => Ok(0),
    };
    let res = old.and_then(|o| o.checked_add(by).ok_or(err::OVERFLOW));
    let n = match res {
        Ok(n) => n,
        Err(e) => {
            drop_if_empty(ctx, key);
            return Err(e);
        }
    };
    let mut buf = [0u8; 24];
    let text = crate::util::numbers::fmt_i64(n, &mut buf);
    hv.maybe_convert(me, mv, &[args.get(2).len(), text.len()], 0);
    hv.set(args.get(2), text);
    if hv.len() > me {
        hv.convert();
    }
    ctx.client.reply.int(n);
    ctx.changed(ntf::HASH, b"hincrby", key);
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let by = Ext::parse(args.get(3)).ok_or(err::NOT_FLOAT)?;
    if !by.is_finite() {
        return Err(CmdError::new("ERR value is NaN or Infinity"));
    }
    let (me, mv) = (
        ctx.srv.config.hash_max_listpack_entries,
        ctx.srv.config.hash_max_listpack_value,
    );
    let key = args.get(1);
    let hv = write_hash(ctx, key, true)?.ok_or(err::WRONGTYPE)?;
    let old = match hv.get(args.get(2)) {
        Some(v) => Ext::parse(&v).ok_or(CmdError::new("ERR hash value is not a float")),
        None => Ok(Ext::ZERO),
    };
    let res = old.and_then(|o| {
        let s = o.add(by);
        if s.is_finite() {
            Ok(s)
        } else {
            Err(CmdError::new("ERR increment would produce NaN or Infinity"))
        }
    });
    let sum = match res {
        Ok(s) => s,
        Err(e) => {
            drop_if_empty(ctx, key);
            return Err(e);
        }
    };
    let text = sum.to_human();
    hv.maybe_convert(me, mv, &[args.get(2).len(), text.len()], 0);
    hv.set(args.get(2), &text);
    if hv.len() > me {
        hv.convert();
    }
    ctx.client.reply.bulk(&text);
    ctx.changed(ntf::HASH, b"hincrbyfloat", key);
    Ok(())
}

/// HKEYS, HVALS, HGETALL: which halves of each pair to send.
fn get_all(ctx: &mut Ctx, keys: bool, vals: bool) -> CmdResult {
    let args = ctx.args;
    let pairs = read_hash(ctx, args.get(1))?
        .map(|h| h.pairs())
        .unwrap_or_default();
    let r = &mut ctx.client.reply;
    if keys && vals {
        r.map(pairs.len());
    } else {
        r.array(pairs.len());
    }
    for (k, v) in &pairs {
        if keys {
            r.bulk(k);
        }
        if vals {
            r.bulk(v);
        }
    }
    Ok(())
}

fn hkeys(ctx: &mut Ctx) -> CmdResult {
    get_all(ctx, true, false)
}

fn hvals(ctx: &mut Ctx) -> CmdResult {
    get_all(ctx, false, true)
}

fn hgetall(ctx: &mut Ctx) -> CmdResult {
    get_all(ctx, true, true)
}

fn hrandfield(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    if args.len() == 2 {
        // A random pick steps the table's rehash, hence the `&mut` lookup
        // (after the counted read).
        let mut pick = None;
        if read_hash(ctx, args.get(1))?.is_some() {
            let r = crate::types::rand_below(u64::MAX);
            pick = write_hash(ctx, args.get(1), false)?.and_then(|h| h.random(r));
        }
        match pick {
            Some((f, _)) => ctx.client.reply.bulk(&f),
            None => ctx.client.reply.null(),
        }
        return Ok(());
    }
    let withvalues = if args.len() == 4 {
        if !args.get(3).eq_ignore_ascii_case(b"withvalues") {
            return Err(err::SYNTAX);
        }
        true
    } else if args.len() > 4 {
        return Err(err::SYNTAX);
    } else {
        false
    };
    let l = parse_i64(args.get(2)).ok_or(err::NOT_INT)?;
    if l == i64::MIN {
        return Err(err::COUNT_RANGE);
    }
    let pairs = read_hash(ctx, args.get(1))?
        .map(|h| h.pairs())
        .unwrap_or_default();
    if pairs.is_empty() || l == 0 {
        ctx.client.reply.empty_array();
        return Ok(());
    }
    let mut picks: Vec<usize> = Vec::new();
    if l < 0 {
        if withvalues && l.unsigned_abs() >= (i64::MAX / 2) as u64 {
            return Err(CmdError::new("ERR value is out of range"));
        }
        // Repeats allowed: streamed, not collected (a count of -1e9 would
        // be gigabytes), and cut short at the output hard limit as Redis.
        let n = l.unsigned_abs();
        let resp3 = ctx.client.reply.resp3();
        let per = if withvalues && !resp3 { 2 } else { 1 };
        ctx.client.reply.array((n * per) as usize);
        for k in 0..n {
            if k % 1024 == 0 && ctx.obuf_hard_reached() {
                break;
            }
            let (f, v) = &pairs[crate::types::rand_below(pairs.len() as u64) as usize];
            let r = &mut ctx.client.reply;
            if withvalues && resp3 {
                r.array(2);
            }
            r.bulk(f);
            if withvalues {
                r.bulk(v);
            }
        }
        return Ok(());
    } else if l as usize >= pairs.len() {
        picks.extend(0..pairs.len());
    } else {
        let mut idx: Vec<usize> = (0..pairs.len()).collect();
        for i in 0..l as usize {
            let j = i + crate::types::rand_below((idx.len() - i) as u64) as usize;
            idx.swap(i, j);
        }
        idx.truncate(l as usize);
        picks = idx;
    }
    let r = &mut ctx.client.reply;
    let resp3 = r.resp3();
    if withvalues && resp3 {
        r.array(picks.len());
        for &i in &picks {
            r.array(2);
            r.bulk(&pairs[i].0);
            r.bulk(&pairs[i].1);
        }
    } else {
        r.array(picks.len() * if withvalues { 2 } else { 1 });
        for &i in &picks {
            r.bulk(&pairs[i].0);
            if withvalues {
                r.bulk(&pairs[i].1);
            }
        }
    }
    Ok(())
}

fn hscan(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let cursor = super::keys::parse_cursor(args.get(2)).ok_or(super::keys::INVALID_CURSOR)?;
    let mut pattern: Option<&[u8]> = None;
    let mut count: i64 = 10;
    let mut i = 3;
    while i < args.len() {
        let a = args.get(i);
        let more = args.len() - i - 1;
        if a.eq_ignore_ascii_case(b"count") && more >= 1 {
            count = parse_i64(args.get(i + 1)).ok_or(err::NOT_INT)?;
            if count < 1 {
                return Err(err::SYNTAX);
            }
            i += 2;
        } else if a.eq_ignore_ascii_case(b"match") && more >= 1 {
            let p = args.get(i + 1);
            pattern = if p == b"*" { None } else { Some(p) };
            i += 2;
        } else {
            return Err(err::SYNTAX);
        }
    }
    let Some(hv) = read_hash(ctx, args.get(1))? else {
        let r = &mut ctx.client.reply;
        r.array(2);
        r.bulk(b"0");
        r.empty_array();
        return Ok(());
    };
    // A listpack answers everything at once; a table walks dictScan's
    // bucket order from the cursor, about `count` fields a call.
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let next = hv.scan(cursor, count as usize, |k, v| {
        if pattern.is_none_or(|p| crate::util::glob::matches(p, k, false)) {
            out.push((k.to_vec(), v.to_vec()));
        }
    });
    let r = &mut ctx.client.reply;
    r.array(2);
    r.bulk_i64(next as i64);
    r.array(out.len() * 2);
    for (k, v) in &out {
        r.bulk(k);
        r.bulk(v);
    }
    Ok(())
}
