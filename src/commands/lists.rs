//! List commands (Redis's `t_list.c`).
//!
//! A list is a sequence of byte strings addressed from either end; every
//! list is a quicklist (see `types::list_value`). Handlers follow Redis's
//! order of checks exactly (option parsing, then key lookup, then type),
//! because that order decides which error a malformed call gets. A list
//! that loses its last element is deleted at once: empty lists never exist.
//!
//! The blocking variants (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) serve
//! at once when a key holds data and otherwise park the client through
//! `server::blocking`, with [`serve_blocked`] as their serve function.
//!
//! Every write reports Redis's keyspace events (`Ctx::changed`, the
//! `notifyKeyspaceEvent` calls of `t_list.c`): `lpush`/`rpush`,
//! `lpop`/`rpop`, `linsert`, `lset`, `lrem`, `ltrim`, and `del` when a
//! list loses its last element.

use super::keys::count_read;
use super::table::{flags::*, CommandDef};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::object::Value;
use crate::server::blocking::{self, BType};
use crate::server::notify::{GENERIC, LIST};
use crate::server::Server;
use crate::types::list_value::ListVal;
use crate::util::numbers::parse_i64;

const fn l(name: &'static str, arity: i32, fl: u64, h: super::table::Handler) -> CommandDef {
    CommandDef::new(name, arity, fl, h)
        .keys(1, 1, 1)
        .group("list")
}

pub static COMMANDS: &[CommandDef] = &[
    l("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, blmove)
        .keys(1, 2, 1)
        .acl("write list slow blocking")
        .since("6.2.0")
        .summary("Pop an element from a list, push it to another list and return it; or block until one is available"),
    CommandDef::new("blmpop", -5, WRITE | BLOCKING | MOVABLE_KEYS, blmpop)
        .keys(0, 0, 0)
        .group("list")
        .acl("write list slow blocking")
        .since("7.0.0")
        .summary("Pop elements from a list, or block until one is available"),
    l("blpop", -3, WRITE | NOSCRIPT | BLOCKING, blpop)
        .keys(1, -2, 1)
        .acl("write list slow blocking")
        .summary("Remove and get the first element in a list, or block until one is available"),
    l("brpop", -3, WRITE | NOSCRIPT | BLOCKING, brpop)
        .keys(1, -2, 1)
        .acl("write list slow blocking")
        .summary("Remove and get the last element in a list, or block until one is available"),
    l("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, brpoplpush)
        .keys(1, 2, 1)
        .acl("write list slow blocking")
        .summary("Pop an element from a list, push it to another list and return it; or block until one is available"),
    l("lindex", 3, READONLY, lindex)
        .acl("read list slow")
        .summary("Get an element from a list by its index"),
    l("linsert", 5, WRITE | DENYOOM, linsert)
        .acl("write list slow")
        .summary("Insert an element before or after another element in a list"),
    l("llen", 2, READONLY | FAST, llen)
        .acl("read list fast")
        .summary("Get the length of a list"),
    l("lmove", 5, WRITE | DENYOOM, lmove)
        .keys(1, 2, 1)
        .acl("write list slow")
        .since("6.2.0")
        .summary("Pop an element from a list, push it to another list and return it"),
    CommandDef::new("lmpop", -4, WRITE | MOVABLE_KEYS, lmpop)
        .keys(0, 0, 0)
        .group("list")
        .acl("write list slow")
        .since("7.0.0")
        .summary("Pop elements from a list"),
    l("lpop", -2, WRITE | FAST, lpop)
        .acl("write list fast")
        .summary("Remove and get the first elements in a list"),
    l("lpos", -3, READONLY, lpos)
        .acl("read list slow")
        .since("6.0.6")
        .summary("Return the index of matching elements on a list"),
    l("lpush", -3, WRITE | DENYOOM | FAST, lpush)
        .acl("write list fast")
        .summary("Prepend one or multiple elements to a list"),
    l("lpushx", -3, WRITE | DENYOOM | FAST, lpushx)
        .acl("write list fast")
        .summary("Prepend an element to a list, only if the list exists"),
    l("lrange", 4, READONLY, lrange)
        .acl("read list slow")
        .summary("Get a range of elements from a list"),
    l("lrem", 4, WRITE, lrem)
        .acl("write list slow")
        .summary("Remove elements from a list"),
    l("lset", 4, WRITE | DENYOOM, lset)
        .acl("write list slow")
        .summary("Set the value of an element in a list by its index"),
    l("ltrim", 4, WRITE, ltrim)
        .acl("write list slow")
        .summary("Trim a list to the specified range"),
    l("rpop", -2, WRITE | FAST, rpop)
        .acl("write list fast")
        .summary("Remove and get the last elements in a list"),
    l("rpoplpush", 3, WRITE | DENYOOM, rpoplpush)
        .keys(1, 2, 1)
        .acl("write list slow")
        .summary("Remove the last element in a list, prepend it to another list and return it"),
    l("rpush", -3, WRITE | DENYOOM | FAST, rpush)
        .acl("write list fast")
        .summary("Append one or multiple elements to a list"),
    l("rpushx", -3, WRITE | DENYOOM | FAST, rpushx)
        .acl("write list fast")
        .summary("Append an element to a list, only if the list exists"),
];

/// A fresh list shaped by the current `list-max-listpack-size` and
/// `list-compress-depth` (CONFIG SET applies to lists created afterwards).
fn new_list(ctx: &Ctx) -> ListVal {
    let c = &ctx.srv.config;
    ListVal::new(c.list_max_listpack_size, c.list_compress_depth)
}

/// Redis's `getLongFromObjectOrReply`.
fn parse_long(arg: &[u8]) -> Result<i64, CmdError> {
    parse_i64(arg).ok_or(err::NOT_INT)
}

/// The list at `key` for writing: `Ok(None)` if missing, WRONGTYPE if not a list.
fn list_mut<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut ListVal>, CmdError> {
    let now = srv.now_ms;
    match srv.dbs[db].lookup_mut(key, now) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(err::WRONGTYPE),
    }
}

/// The list at `key` for reading, counting a keyspace hit or miss.
fn list_read<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a ListVal>, CmdError> {
    let now = srv.now_ms;
    let v = srv.dbs[db].lookup(key, now);
    count_read(&mut srv.stats, v.is_some());
    match v {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(err::WRONGTYPE),
    }
}

/// Deletes `key` if its list became empty, with Redis's `del` event.
fn drop_if_empty(ctx: &mut Ctx, key: &[u8]) {
    let now = ctx.srv.now_ms;
    let db = ctx.client.db;
    if let Some(Value::List(l)) = ctx.srv.dbs[db].peek(key, now) {
        if l.is_empty() {
            ctx.srv.dbs[db].remove(key, now);
            ctx.notify(GENERIC, b"del", key, db);
        }
    }
}

/// Redis's `listElementsRemoved`: the pop event, `del` if the list
/// emptied, and the WATCH signal.
fn elements_removed(ctx: &mut Ctx, key: &[u8], head: bool) {
    let db = ctx.client.db;
    ctx.notify(LIST, pop_event(head), key, db);
    drop_if_empty(ctx, key);
    ctx.modified(db, key);
}

fn pop_event(head: bool) -> &'static [u8] {
    if head {
        b"lpop"
    } else {
        b"rpop"
    }
}

fn push_event(head: bool) -> &'static [u8] {
    if head {
        b"lpush"
    } else {
        b"rpush"
    }
}

// ---- push ----------------------------------------------------------------

fn push_generic(ctx: &mut Ctx, head: bool, only_existing: bool) -> CmdResult {
    let key = ctx.args.get(1);
    let args = ctx.args;
    let len = match list_mut(ctx.srv, ctx.client.db, key)? {
        Some(l) => {
            for v in args.iter().skip(2) {
                if head {
                    l.ql.push_front(v);
                } else {
                    l.ql.push_back(v);
                }
            }
            l.len()
        }
        None if only_existing => 0,
        None => {
            let mut l = new_list(ctx);
            for v in args.iter().skip(2) {
                if head {
                    l.ql.push_front(v);
                } else {
                    l.ql.push_back(v);
                }
            }
            let n = l.len();
            let db = ctx.client.db;
            ctx.srv.dbs[db].insert(key, Value::List(Box::new(l)), false);
            n
        }
    };
    if len > 0 {
        ctx.changed(LIST, push_event(head), key);
    }
    ctx.client.reply.int(len as i64);
    Ok(())
}

fn lpush(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, true, false)
}
fn rpush(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, false, false)
}
fn lpushx(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, true, true)
}
fn rpushx(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, false, true)
}

// ---- pop -----------------------------------------------------------------

fn pop_generic(ctx: &mut Ctx, head: bool) -> CmdResult {
    if ctx.args.len() > 3 {
        let name = if head { "lpop" } else { "rpop" };
        return Err(err::wrong_arity(name));
    }
    let count = if ctx.args.len() == 3 {
        // Redis's getPositiveLongFromObjectOrReply: one text for both failures.
        let n = parse_i64(ctx.args.get(2))
            .filter(|&n| n >= 0)
            .ok_or(err::NOT_POSITIVE)?;
        Some(n as usize)
    } else {
        None
    };
    let key = ctx.args.get(1);
    let Some(l) = list_mut(ctx.srv, ctx.client.db, key)? else {
        match count {
            Some(_) => ctx.client.reply.null_array(),
            None => ctx.client.reply.null(),
        }
        return Ok(());
    };
    match count {
        None => {
            let item = if head {
                l.ql.pop_front()
            } else {
                l.ql.pop_back()
            };
            if let Some(item) = item {
                ctx.client.reply.bulk(&item.into_bytes());
            }
        }
        Some(0) => {
            ctx.client.reply.empty_array();
            return Ok(());
        }
        Some(n) => {
            let n = n.min(l.len());
            ctx.client.reply.array(n);
            for _ in 0..n {
                let item = if head {
                    l.ql.pop_front()
                } else {
                    l.ql.pop_back()
                };
                if let Some(item) = item {
                    ctx.client.reply.bulk(&item.into_bytes());
                }
            }
        }
    }
    elements_removed(ctx, key, head);
    Ok(())
}

fn lpop(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, true)
}
fn rpop(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, false)
}

// ---- reads ---------------------------------------------------------------

fn llen(ctx: &mut Ctx) -> CmdResult {
    let n = list_read(ctx.srv, ctx.client.db, ctx.args.get(1))?.map_or(0, |l| l.len());
    ctx.client.reply.int(n as i64);
    Ok(())
}

fn lindex(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let idx_arg = ctx.args.get(2);
    let Some(l) = list_read(ctx.srv, ctx.client.db, key)? else {
        ctx.client.reply.null();
        return Ok(());
    };
    let idx = parse_long(idx_arg)?;
    let item = isize::try_from(idx).ok().and_then(|i| l.ql.get(i));
    match item {
        Some(item) => ctx.client.reply.bulk(&item.into_bytes()),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

/// Redis's LRANGE/LTRIM index rules: negative indexes count from the
/// tail, start is clamped at 0 and end at the last element; None when the
/// range selects nothing.
fn clamp_range(start: i64, end: i64, len: i64) -> Option<(i64, i64)> {
    let start = if start < 0 {
        start.saturating_add(len).max(0)
    } else {
        start
    };
    let end = if end < 0 {
        end.saturating_add(len)
    } else {
        end
    };
    if start > end || start >= len {
        return None;
    }
    Some((start, end.min(len - 1)))
}

fn lrange(ctx: &mut Ctx) -> CmdResult {
    let start = parse_long(ctx.args.get(2))?;
    let end = parse_long(ctx.args.get(3))?;
    let key = ctx.args.get(1);
    let Some(l) = list_read(ctx.srv, ctx.client.db, key)? else {
        ctx.client.reply.empty_array();
        return Ok(());
    };
    let len = l.len() as i64;
    let Some((start, end)) = clamp_range(start, end, len) else {
        ctx.client.reply.empty_array();
        return Ok(());
    };
    let n = (end - start + 1) as usize;
    // Split borrows: the list lives in the server, the reply in the client.
    let now = ctx.srv.now_ms;
    let Some(Value::List(l)) = ctx.srv.dbs[ctx.client.db].peek(key, now) else {
        return Ok(());
    };
    let reply = &mut ctx.client.reply;
    reply.array(n);
    let mut left = n;
    l.ql.for_each(start as isize, false, |e| {
        let mut tmp = [0u8; 24];
        reply.bulk(e.as_bytes(&mut tmp));
        left -= 1;
        left > 0
    });
    Ok(())
}

fn lpos(ctx: &mut Ctx) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut i = 3;
    while i < ctx.args.len() {
        let opt = ctx.args.get(i);
        let has_val = i + 1 < ctx.args.len();
        if opt.eq_ignore_ascii_case(b"rank") && has_val {
            rank = parse_long(ctx.args.get(i + 1))?;
            if rank == 0 {
                return Err(CmdError::new(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if opt.eq_ignore_ascii_case(b"count") && has_val {
            let c = parse_long(ctx.args.get(i + 1))?;
            if c < 0 {
                return Err(CmdError::new("ERR COUNT can't be negative"));
            }
            count = Some(c);
        } else if opt.eq_ignore_ascii_case(b"maxlen") && has_val {
            maxlen = parse_long(ctx.args.get(i + 1))?;
            if maxlen < 0 {
                return Err(CmdError::new("ERR MAXLEN can't be negative"));
            }
        } else {
            return Err(err::SYNTAX);
        }
        i += 2;
    }
    let key = ctx.args.get(1);
    let ele = ctx.args.get(2);
    let Some(l) = list_read(ctx.srv, ctx.client.db, key)? else {
        match count {
            Some(_) => ctx.client.reply.empty_array(),
            None => ctx.client.reply.null(),
        }
        return Ok(());
    };
    let reverse = rank < 0;
    // Matches to skip before the first one reported. Redis negates a
    // negative rank in C, where LONG_MIN stays negative and so skips none.
    let mut skip = if rank == i64::MIN {
        0
    } else {
        rank.unsigned_abs() - 1
    };
    let limit = count.map_or(1, |c| if c == 0 { u64::MAX } else { c as u64 });
    let len = l.len();
    let mut found: Vec<i64> = Vec::new();
    let mut idx: usize = 0;
    let mut seen: i64 = 0;
    let start = if reverse { -1 } else { 0 };
    l.ql.for_each(start, reverse, |e| {
        if maxlen != 0 && seen >= maxlen {
            return false;
        }
        seen += 1;
        if e.eq_bytes(ele) {
            if skip > 0 {
                skip -= 1;
            } else {
                let pos = if reverse { len - 1 - idx } else { idx };
                found.push(pos as i64);
                if found.len() as u64 >= limit {
                    return false;
                }
            }
        }
        idx += 1;
        true
    });
    match count {
        Some(_) => {
            ctx.client.reply.array(found.len());
            for p in found {
                ctx.client.reply.int(p);
            }
        }
        None => match found.first() {
            Some(&p) => ctx.client.reply.int(p),
            None => ctx.client.reply.null(),
        },
    }
    Ok(())
}

// ---- in-place edits ------------------------------------------------------

fn lset(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let idx_arg = ctx.args.get(2);
    let val = ctx.args.get(3);
    let l = list_mut(ctx.srv, ctx.client.db, key)?.ok_or(err::NO_KEY)?;
    let idx = parse_long(idx_arg)?;
    let ok = isize::try_from(idx).is_ok_and(|i| l.ql.set(i, val));
    if !ok {
        return Err(CmdError::new("ERR index out of range"));
    }
    ctx.client.reply.ok();
    ctx.changed(LIST, b"lset", key);
    Ok(())
}

fn linsert(ctx: &mut Ctx) -> CmdResult {
    let w = ctx.args.get(2);
    let after = if w.eq_ignore_ascii_case(b"after") {
        true
    } else if w.eq_ignore_ascii_case(b"before") {
        false
    } else {
        return Err(err::SYNTAX);
    };
    let key = ctx.args.get(1);
    let pivot = ctx.args.get(3);
    let val = ctx.args.get(4);
    let Some(l) = list_mut(ctx.srv, ctx.client.db, key)? else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    let n = match l.ql.position(pivot) {
        Some(i) => {
            l.ql.insert(i, val, after);
            l.len() as i64
        }
        None => -1,
    };
    if n > 0 {
        ctx.changed(LIST, b"linsert", key);
    }
    ctx.client.reply.int(n);
    Ok(())
}

fn lrem(ctx: &mut Ctx) -> CmdResult {
    let count = parse_long(ctx.args.get(2))?;
    let key = ctx.args.get(1);
    let val = ctx.args.get(3);
    let Some(l) = list_mut(ctx.srv, ctx.client.db, key)? else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    let n = l.ql.remove_matching(val, count);
    let db = ctx.client.db;
    if n > 0 {
        ctx.notify(LIST, b"lrem", key, db);
    }
    drop_if_empty(ctx, key);
    ctx.client.reply.int(n as i64);
    if n > 0 {
        ctx.modified(db, key);
    }
    Ok(())
}

fn ltrim(ctx: &mut Ctx) -> CmdResult {
    let start = parse_long(ctx.args.get(2))?;
    let end = parse_long(ctx.args.get(3))?;
    let key = ctx.args.get(1);
    let Some(l) = list_mut(ctx.srv, ctx.client.db, key)? else {
        ctx.client.reply.ok();
        return Ok(());
    };
    let len = l.len() as i64;
    let (ltrim, rtrim) = match clamp_range(start, end, len) {
        None => (len, 0),
        Some((start, end)) => (start, len - end - 1),
    };
    l.ql.delete_range(0, ltrim as usize);
    if rtrim > 0 {
        l.ql.delete_range(-(rtrim as isize), rtrim as usize);
    }
    let db = ctx.client.db;
    ctx.notify(LIST, b"ltrim", key, db);
    drop_if_empty(ctx, key);
    ctx.modified(db, key);
    ctx.client.reply.ok();
    Ok(())
}

// ---- moves ---------------------------------------------------------------

fn parse_side(arg: &[u8]) -> Result<bool, CmdError> {
    if arg.eq_ignore_ascii_case(b"left") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Ok(false)
    } else {
        Err(err::SYNTAX)
    }
}

/// LMOVE's core (Redis's `lmoveGenericCommand`): pops from `src` at
/// `from_head`, pushes into `dst` at `to_head`, answers the element.
fn move_generic(
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from_head: bool,
    to_head: bool,
) -> CmdResult {
    if list_mut(ctx.srv, ctx.client.db, src)?.is_none() {
        ctx.client.reply.null();
        return Ok(());
    }
    // The destination's type is checked before anything moves.
    let dst_exists = list_mut(ctx.srv, ctx.client.db, dst)?.is_some();
    let Some(l) = list_mut(ctx.srv, ctx.client.db, src)? else {
        return Ok(());
    };
    let Some(item) = (if from_head {
        l.ql.pop_front()
    } else {
        l.ql.pop_back()
    }) else {
        ctx.client.reply.null();
        return Ok(());
    };
    let v = item.into_bytes();
    if src == dst || dst_exists {
        // Same key: the element rotates within the list, TTL untouched.
        if let Some(d) = list_mut(ctx.srv, ctx.client.db, dst)? {
            if to_head {
                d.ql.push_front(&v);
            } else {
                d.ql.push_back(&v);
            }
        }
    } else {
        let mut d = new_list(ctx);
        d.ql.push_back(&v);
        let db = ctx.client.db;
        ctx.srv.dbs[db].insert(dst, Value::List(Box::new(d)), false);
    }
    // Redis's order: the push is reported first (lmoveHandlePush).
    ctx.changed(LIST, push_event(to_head), dst);
    ctx.client.reply.bulk(&v);
    elements_removed(ctx, src, from_head);
    Ok(())
}

fn lmove(ctx: &mut Ctx) -> CmdResult {
    let from = parse_side(ctx.args.get(3))?;
    let to = parse_side(ctx.args.get(4))?;
    move_generic(ctx, ctx.args.get(1), ctx.args.get(2), from, to)
}

fn rpoplpush(ctx: &mut Ctx) -> CmdResult {
    move_generic(ctx, ctx.args.get(1), ctx.args.get(2), false, true)
}

fn lmpop(ctx: &mut Ctx) -> CmdResult {
    let keys = lmpop_parse(ctx, 1)?;
    if !lmpop_serve(ctx, keys)? {
        ctx.client.reply.null_array();
    }
    Ok(())
}

/// LMPOP's arguments from `numkeys` at `at`: (first key, end of keys, head, count).
fn lmpop_parse(ctx: &Ctx, at: usize) -> Result<(usize, usize, bool, usize), CmdError> {
    let numkeys = parse_i64(ctx.args.get(at))
        .filter(|&n| n > 0)
        .ok_or(CmdError::new("ERR numkeys should be greater than 0"))?;
    let where_idx = (at as u64 + 1).saturating_add(numkeys as u64);
    if where_idx >= ctx.args.len() as u64 {
        return Err(err::SYNTAX);
    }
    let where_idx = where_idx as usize;
    let head = parse_side(ctx.args.get(where_idx))?;
    let mut count: Option<i64> = None;
    let mut i = where_idx + 1;
    while i < ctx.args.len() {
        if ctx.args.get(i).eq_ignore_ascii_case(b"count")
            && count.is_none()
            && i + 1 < ctx.args.len()
        {
            let c = parse_i64(ctx.args.get(i + 1))
                .filter(|&c| c > 0)
                .ok_or(CmdError::new("ERR count should be greater than 0"))?;
            count = Some(c);
            i += 2;
        } else {
            return Err(err::SYNTAX);
        }
    }
    Ok((at + 1, where_idx, head, count.unwrap_or(1) as usize))
}

/// Pops from the first non-empty list; false if all were empty.
fn lmpop_serve(
    ctx: &mut Ctx,
    (first, end, head, count): (usize, usize, bool, usize),
) -> Result<bool, CmdError> {
    for k in first..end {
        let key = ctx.args.get(k);
        if list_mut(ctx.srv, ctx.client.db, key)?.is_some() {
            pop_range_reply(ctx, key, head, count);
            return Ok(true);
        }
    }
    Ok(false)
}

/// Redis's `listPopRangeAndReplyWithKey`: `[key, [elements...]]`.
fn pop_range_reply(ctx: &mut Ctx, key: &[u8], head: bool, count: usize) {
    let Ok(Some(l)) = list_mut(ctx.srv, ctx.client.db, key) else {
        return;
    };
    let n = count.min(l.len());
    let r = &mut ctx.client.reply;
    r.array(2);
    r.bulk(key);
    r.array(n);
    for _ in 0..n {
        let it = if head {
            l.ql.pop_front()
        } else {
            l.ql.pop_back()
        };
        if let Some(it) = it {
            r.bulk(&it.into_bytes());
        }
    }
    elements_removed(ctx, key, head);
}

// ---- blocking variants -----------------------------------------------------

/// Pops one element for BLPOP/BRPOP: `[key, element]`.
fn pop_one_reply(ctx: &mut Ctx, key: &[u8], head: bool) {
    let Ok(Some(l)) = list_mut(ctx.srv, ctx.client.db, key) else {
        return;
    };
    let it = if head {
        l.ql.pop_front()
    } else {
        l.ql.pop_back()
    };
    let Some(it) = it else { return };
    let r = &mut ctx.client.reply;
    r.array(2);
    r.bulk(key);
    r.bulk(&it.into_bytes());
    elements_removed(ctx, key, head);
}

/// Redis's `blockingPopGenericCommand`: the keys are `first..end`; serve
/// from the first non-empty list, else block (or answer the null array
/// inside MULTI).
fn bpop_generic(
    ctx: &mut Ctx,
    first: usize,
    end: usize,
    head: bool,
    count: Option<usize>,
    deadline: i64,
) -> CmdResult {
    for k in first..end {
        let key = ctx.args.get(k);
        if list_mut(ctx.srv, ctx.client.db, key)?.is_none() {
            continue;
        }
        match count {
            Some(n) => pop_range_reply(ctx, key, head, n),
            None => pop_one_reply(ctx, key, head),
        }
        return Ok(());
    }
    if blocking::denied(ctx) {
        ctx.client.reply.null_array();
        return Ok(());
    }
    let keys = (first..end).map(|k| ctx.args.get(k).to_vec()).collect();
    blocking::park(ctx, keys, deadline, BType::List, serve_blocked);
    Ok(())
}

fn blpop(ctx: &mut Ctx) -> CmdResult {
    let last = ctx.args.len() - 1;
    let deadline = blocking::parse_timeout(ctx.args.get(last), ctx.srv.now_ms)?;
    bpop_generic(ctx, 1, last, true, None, deadline)
}

fn brpop(ctx: &mut Ctx) -> CmdResult {
    let last = ctx.args.len() - 1;
    let deadline = blocking::parse_timeout(ctx.args.get(last), ctx.srv.now_ms)?;
    bpop_generic(ctx, 1, last, false, None, deadline)
}

fn blmpop(ctx: &mut Ctx) -> CmdResult {
    let (first, end, head, count) = lmpop_parse(ctx, 2)?;
    let deadline = blocking::parse_timeout(ctx.args.get(1), ctx.srv.now_ms)?;
    bpop_generic(ctx, first, end, head, Some(count), deadline)
}

/// Redis's `blmoveGenericCommand`: only the source is checked before
/// blocking; a wrong-typed destination is reported when served.
fn bmove_generic(ctx: &mut Ctx, from: bool, to: bool, deadline: i64) -> CmdResult {
    let src = ctx.args.get(1);
    if list_mut(ctx.srv, ctx.client.db, src)?.is_some() {
        return move_generic(ctx, src, ctx.args.get(2), from, to);
    }
    if blocking::denied(ctx) {
        ctx.client.reply.null();
        return Ok(());
    }
    blocking::park(
        ctx,
        vec![src.to_vec()],
        deadline,
        BType::List,
        serve_blocked,
    );
    Ok(())
}

fn blmove(ctx: &mut Ctx) -> CmdResult {
    let from = parse_side(ctx.args.get(3))?;
    let to = parse_side(ctx.args.get(4))?;
    let deadline = blocking::parse_timeout(ctx.args.get(5), ctx.srv.now_ms)?;
    bmove_generic(ctx, from, to, deadline)
}

fn brpoplpush(ctx: &mut Ctx) -> CmdResult {
    let deadline = blocking::parse_timeout(ctx.args.get(3), ctx.srv.now_ms)?;
    bmove_generic(ctx, false, true, deadline)
}

/// The serve function of every blocking list command (Redis's
/// `serveClientBlockedOnList`): `ctx.args` are the parked command's
/// arguments, `key` the list that became ready. Always answers.
pub fn serve_blocked(ctx: &mut Ctx, key: &[u8]) -> bool {
    let name = ctx.args.get(0);
    if name.eq_ignore_ascii_case(b"blmove") || name.eq_ignore_ascii_case(b"brpoplpush") {
        let (from, to) = if name.eq_ignore_ascii_case(b"blmove") {
            (
                parse_side(ctx.args.get(3)).unwrap_or(true),
                parse_side(ctx.args.get(4)).unwrap_or(true),
            )
        } else {
            (false, true)
        };
        let dst = ctx.args.get(2);
        // A destination of the wrong type answers WRONGTYPE; nothing moves.
        if let Err(e) = move_generic(ctx, key, dst, from, to) {
            ctx.srv.stats.count_error(e.0.as_bytes());
            ctx.client.reply.error(e.0.as_bytes());
        }
    } else if name.eq_ignore_ascii_case(b"blmpop") {
        let (head, count) = match lmpop_parse(ctx, 2) {
            Ok((_, _, head, count)) => (head, count),
            Err(_) => (true, 1),
        };
        pop_range_reply(ctx, key, head, count);
    } else {
        pop_one_reply(ctx, key, name.eq_ignore_ascii_case(b"blpop"));
    }
    true
}
