//! Stream commands (Redis's `t_stream.c`, command half).
//!
//! The storage (listpack nodes, IDs, consumer groups, the 7.0 counters)
//! lives in `types/stream.rs`; this file parses arguments with Redis's
//! exact rules and error texts, applies them, and writes the replies. A
//! few Redis habits shape the code:
//!
//! - Errors are reported before anything changes: XADD, XDEL, XACK and
//!   XCLAIM parse every ID first, so a bad argument leaves the stream as
//!   it was.
//! - Replies whose length is only known at the end (ranges with COUNT,
//!   XCLAIM, XPENDING) reserve their header position and splice it in
//!   afterwards, as Redis's `addReplyDeferredLen` does.
//! - Times (`delivery_time`, consumers' `seen_time`) are the command's
//!   clock, `srv.now_ms`.
//!
//! Blocking reads (XREAD/XREADGROUP BLOCK) join the server's
//! blocked-clients machinery (`server/blocking.rs`, Redis's `blocked.c`):
//! a read that finds nothing parks its client on its keys with `$`
//! already resolved to each stream's last ID (the saved arguments are
//! rewritten), XADD readies the key, and [`serve_blocked`] answers the
//! waiters in the order they blocked, as Redis's
//! `serveClientsBlockedOnStreamKey` does. A consumer-group reader whose
//! stream is deleted (or replaced) or whose group is destroyed is released
//! with Redis's error.

use super::table::{flags::*, CommandDef};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::object::Value;
use crate::protocol::reply::Reply;
use crate::server::blocking::{self, BType};
use crate::server::notify::STREAM;
use crate::server::Server;
use crate::types::stream::{
    parse_id, AppendError, EntryRef, Group, NodeLimits, StreamId, StreamVal, Trim,
    INVALID_ENTRIES_READ,
};
use crate::util::numbers::{fmt_i64, parse_i64};

const fn x(name: &'static str, arity: i32, fl: u64, hd: super::table::Handler) -> CommandDef {
    CommandDef::new(name, arity, fl, hd)
        .keys(1, 1, 1)
        .group("stream")
        .since("5.0.0")
}

const fn sub(name: &'static str, arity: i32, fl: u64, hd: super::table::Handler) -> CommandDef {
    CommandDef::new(name, arity, fl, hd)
        .keys(2, 2, 1)
        .group("stream")
        .since("5.0.0")
}

pub static COMMANDS: &[CommandDef] = &[
    x("xadd", -5, WRITE | DENYOOM | FAST, xadd)
        .acl("write stream fast")
        .summary("Appends a new entry to a stream"),
    x("xrange", -4, READONLY, xrange)
        .acl("read stream slow")
        .summary("Return a range of elements in a stream, with IDs matching the specified IDs interval"),
    x("xrevrange", -4, READONLY, xrevrange)
        .acl("read stream slow")
        .summary("Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE"),
    x("xlen", 2, READONLY | FAST, xlen)
        .acl("read stream fast")
        .summary("Return the number of entries in a stream"),
    x("xdel", -3, WRITE | FAST, xdel)
        .acl("write stream fast")
        .summary("Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist."),
    x("xtrim", -4, WRITE, xtrim)
        .acl("write stream slow")
        .summary("Trims the stream to (approximately if '~' is passed) a certain size"),
    CommandDef::new("xread", -4, READONLY | BLOCKING | MOVABLE_KEYS, xread)
        .acl("read stream slow blocking")
        .group("stream")
        .since("5.0.0")
        .summary("Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block."),
    CommandDef::new("xreadgroup", -7, WRITE | BLOCKING | MOVABLE_KEYS, xreadgroup)
        .acl("write stream slow blocking")
        .group("stream")
        .since("5.0.0")
        .summary("Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block."),
    x("xsetid", -3, WRITE | DENYOOM | FAST, xsetid)
        .acl("write stream fast")
        .summary("An internal command for replicating stream values"),
    x("xack", -4, WRITE | FAST, xack)
        .acl("write stream fast")
        .summary("Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL."),
    x("xpending", -3, READONLY, xpending)
        .acl("read stream slow")
        .summary("Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged."),
    x("xclaim", -6, WRITE | FAST, xclaim)
        .acl("write stream fast")
        .summary("Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer."),
    x("xautoclaim", -6, WRITE | FAST, xautoclaim)
        .acl("write stream fast")
        .since("6.2.0")
        .summary("Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer."),
    CommandDef::new("xgroup", -2, 0, container)
        .acl("slow")
        .group("stream")
        .since("5.0.0")
        .summary("A container for consumer groups commands")
        .subs(XGROUP_SUBS),
    CommandDef::new("xinfo", -2, 0, container)
        .acl("slow")
        .group("stream")
        .since("5.0.0")
        .summary("A container for stream introspection commands")
        .subs(XINFO_SUBS),
];

static XGROUP_SUBS: &[CommandDef] = &[
    sub("create", -5, WRITE | DENYOOM, xgroup_create)
        .acl("write stream slow")
        .summary("Create a consumer group."),
    sub("setid", -5, WRITE, xgroup_setid)
        .acl("write stream slow")
        .summary("Set a consumer group to an arbitrary last delivered ID value."),
    sub("destroy", 4, WRITE, xgroup_destroy)
        .acl("write stream slow")
        .summary("Destroy a consumer group."),
    sub("createconsumer", 5, WRITE | DENYOOM, xgroup_createconsumer)
        .acl("write stream slow")
        .since("6.2.0")
        .summary("Create a consumer in a consumer group."),
    sub("delconsumer", 5, WRITE, xgroup_delconsumer)
        .acl("write stream slow")
        .summary("Delete a consumer from a consumer group."),
    CommandDef::new("help", 2, LOADING | STALE, xgroup_help)
        .acl("stream slow")
        .group("stream")
        .since("5.0.0")
        .summary("Show helpful text about the different subcommands"),
];

static XINFO_SUBS: &[CommandDef] = &[
    sub("consumers", 4, READONLY, xinfo_consumers)
        .acl("read stream slow")
        .summary("List the consumers in a consumer group"),
    sub("groups", 3, READONLY, xinfo_groups)
        .acl("read stream slow")
        .summary("List the consumer groups of a stream"),
    sub("stream", -3, READONLY, xinfo_stream)
        .acl("read stream slow")
        .summary("Get information about a stream"),
    CommandDef::new("help", 2, LOADING | STALE, xinfo_help)
        .acl("stream slow")
        .group("stream")
        .since("5.0.0")
        .summary("Show helpful text about the different subcommands"),
];

fn container(_ctx: &mut Ctx) -> CmdResult {
    Ok(())
}

// ---- errors -------------------------------------------------------------

const INVALID_ID: CmdError =
    CmdError::new("ERR Invalid stream ID specified as stream command argument");
const ID_TOO_SMALL: CmdError = CmdError::new(
    "ERR The ID specified in XADD is equal or smaller than the target stream top item",
);

fn nogroup(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::owned(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(group)
    ))
}

fn nogroup_for_key(group: &[u8], key: &[u8]) -> CmdError {
    CmdError::owned(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        String::from_utf8_lossy(group),
        String::from_utf8_lossy(key)
    ))
}

/// Redis's `getLongLongFromObjectOrReply` with an optional message.
fn ll(arg: &[u8], msg: Option<&'static str>) -> Result<i64, CmdError> {
    parse_i64(arg).ok_or_else(|| match msg {
        Some(m) => CmdError::owned(format!("ERR {m}")),
        None => err::NOT_INT,
    })
}

fn strict_id(arg: &[u8]) -> Result<StreamId, CmdError> {
    parse_id(arg, 0, true, false)
        .map(|p| p.id)
        .ok_or(INVALID_ID)
}

fn loose_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, CmdError> {
    parse_id(arg, missing_seq, false, false)
        .map(|p| p.id)
        .ok_or(INVALID_ID)
}

/// Redis's `streamParseIntervalIDOrReply`: `(` makes the bound exclusive
/// (and the ID strict). Returns the ID and whether it was exclusive.
fn interval_id(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), CmdError> {
    if arg.len() > 1 && arg[0] == b'(' {
        Ok((
            parse_id(&arg[1..], missing_seq, true, false)
                .map(|p| p.id)
                .ok_or(INVALID_ID)?,
            true,
        ))
    } else {
        Ok((loose_id(arg, missing_seq)?, false))
    }
}

fn eq_ic(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

// ---- replies ------------------------------------------------------------

fn reply_id(r: &mut Reply, id: StreamId) {
    let mut b = [0u8; 48];
    r.bulk(id.fmt(&mut b));
}

fn reply_entry(r: &mut Reply, e: &EntryRef) {
    r.array(2);
    reply_id(r, e.id);
    r.array(e.num_fields * 2);
    let mut a = [0u8; 24];
    let mut b = [0u8; 24];
    e.for_each(|f, v| {
        r.bulk(f.as_bytes(&mut a));
        r.bulk(v.as_bytes(&mut b));
    });
}

/// Where a length header will go once the count is known.
fn defer(r: &Reply) -> usize {
    r.buf.len()
}

/// Splices `*n` in at `mark`; with `map`, `%n` for RESP3 clients (XREAD's
/// stream-to-entries map, whose RESP2 form is an array of pairs).
fn set_deferred(r: &mut Reply, mark: usize, n: usize, map: bool) {
    if r.muted {
        return;
    }
    let prefix = if map && r.resp3() { b'%' } else { b'*' };
    let mut t = [0u8; 24];
    let digits = fmt_i64(n as i64, &mut t);
    let mut h = Vec::with_capacity(digits.len() + 3);
    h.push(prefix);
    h.extend_from_slice(digits);
    h.extend_from_slice(b"\r\n");
    r.buf.splice(mark..mark, h);
}

/// Replies with the entries of `[start, end]`, at most `count` (0 = all).
fn reply_range(
    r: &mut Reply,
    s: &StreamVal,
    start: StreamId,
    end: StreamId,
    count: usize,
    rev: bool,
) -> usize {
    let mark = defer(r);
    let mut n = 0;
    s.range(start, end, rev, |e| {
        reply_entry(r, &e);
        n += 1;
        count == 0 || n < count
    });
    set_deferred(r, mark, n, false);
    n
}

// ---- lookups ------------------------------------------------------------

fn limits(srv: &Server) -> NodeLimits {
    NodeLimits {
        max_bytes: srv.config.stream_node_max_bytes,
        max_entries: srv.config.stream_node_max_entries,
    }
}

/// The stream at `key` for reading (counted as a keyspace hit or miss).
fn read_stream<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut StreamVal>, CmdError> {
    let now = srv.now_ms;
    let v = srv.dbs[db].lookup_mut(key, now);
    super::keys::count_read(&mut srv.stats, v.is_some());
    match v {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(err::WRONGTYPE),
    }
}

/// The stream at `key` for writing.
fn write_stream<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut StreamVal>, CmdError> {
    let now = srv.now_ms;
    match srv.dbs[db].lookup_mut(key, now) {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(err::WRONGTYPE),
    }
}

// ---- XADD / XTRIM -------------------------------------------------------

struct AddTrimArgs {
    trim: Option<Trim>,
    approx: bool,
    limit: i64,
    nomkstream: bool,
    /// The ID argument's position (XADD), and the parsed ID if not `*`.
    id_pos: usize,
    id: Option<(StreamId, bool)>,
}

/// Redis's `streamParseAddOrTrimArgsOrReply`.
/// The part MAXLEN and MINID share: only one of them, then an optional
/// `~` (approximate) or `=` before the threshold. Returns the index of the
/// argument just before the threshold.
fn trim_strategy(
    a: &mut AddTrimArgs,
    next: &[u8],
    more: usize,
    i: usize,
) -> Result<usize, CmdError> {
    if a.trim.is_some() {
        return Err(CmdError::new(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
        ));
    }
    a.approx = more >= 2 && next == b"~";
    Ok(if more >= 2 && (next == b"~" || next == b"=") {
        i + 1
    } else {
        i
    })
}

fn parse_add_trim(ctx: &Ctx, xadd: bool) -> Result<AddTrimArgs, CmdError> {
    let args = ctx.args;
    let argc = args.len();
    let mut a = AddTrimArgs {
        trim: None,
        approx: false,
        limit: -1,
        nomkstream: false,
        id_pos: argc,
        id: None,
    };
    let mut limit_given = false;
    let mut i = 2;
    while i < argc {
        let more = argc - 1 - i;
        let opt = args.get(i);
        if xadd && opt == b"*" {
            break;
        } else if eq_ic(opt, "maxlen") && more > 0 {
            i = trim_strategy(&mut a, args.get(i + 1), more, i)?;
            let maxlen = ll(args.get(i + 1), None)?;
            if maxlen < 0 {
                return Err(CmdError::new("ERR The MAXLEN argument must be >= 0."));
            }
            i += 1;
            a.trim = Some(Trim::MaxLen(maxlen as u64));
        } else if eq_ic(opt, "minid") && more > 0 {
            i = trim_strategy(&mut a, args.get(i + 1), more, i)?;
            let min = strict_id(args.get(i + 1))?;
            i += 1;
            a.trim = Some(Trim::MinId(min));
        } else if eq_ic(opt, "limit") && more > 0 {
            let l = ll(args.get(i + 1), None)?;
            if l < 0 {
                return Err(CmdError::new("ERR The LIMIT argument must be >= 0."));
            }
            a.limit = l;
            limit_given = true;
            i += 1;
        } else if xadd && eq_ic(opt, "nomkstream") {
            a.nomkstream = true;
        } else if xadd {
            let p = parse_id(opt, 0, true, true).ok_or(INVALID_ID)?;
            a.id = Some((p.id, p.seq_given));
            break;
        } else {
            return Err(err::SYNTAX);
        }
        i += 1;
    }
    a.id_pos = i;
    if a.limit > 0 && a.trim.is_none() {
        return Err(CmdError::new(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && a.trim.is_none() {
        return Err(CmdError::new(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if limit_given {
        if !a.approx {
            return Err(CmdError::new(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else if a.approx {
        let per_node = ctx.srv.config.stream_node_max_entries;
        a.limit = per_node.saturating_mul(100);
        if a.limit <= 0 {
            a.limit = 10000;
        }
        if a.limit > 1_000_000 {
            a.limit = 1_000_000;
        }
    } else {
        a.limit = 0;
    }
    Ok(a)
}

fn xadd(ctx: &mut Ctx) -> CmdResult {
    let a = parse_add_trim(ctx, true)?;
    let args = ctx.args;
    let field_pos = a.id_pos + 1;
    let argc = args.len();
    if argc < field_pos + 2 || (argc - field_pos) % 2 == 1 {
        return Err(err::wrong_arity("xadd"));
    }
    if let Some((id, true)) = a.id {
        if id.is_zero() {
            return Err(CmdError::new(
                "ERR The ID specified in XADD must be greater than 0-0",
            ));
        }
    }
    let key = args.get(1);
    let db = ctx.client.db;
    let lim = limits(ctx.srv);
    let now = ctx.srv.now_ms.max(0) as u64;
    let srv = &mut *ctx.srv;
    match write_stream(srv, db, key)? {
        Some(_) => {}
        None if a.nomkstream => {
            ctx.client.reply.null();
            return Ok(());
        }
        None => srv.dbs[db].insert(key, Value::Stream(Box::default()), false),
    }
    let s = write_stream(srv, db, key)?.ok_or(err::WRONGTYPE)?;
    if s.last_id == StreamId::MAX {
        return Err(CmdError::new(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    // Most entries have a few fields: keep their slices on the stack.
    let mut stack: [&[u8]; 32] = [&[]; 32];
    let heap: Vec<&[u8]>;
    let pairs: &[&[u8]] = if argc - field_pos <= stack.len() {
        for (k, i) in (field_pos..argc).enumerate() {
            stack[k] = args.get(i);
        }
        &stack[..argc - field_pos]
    } else {
        heap = (field_pos..argc).map(|i| args.get(i)).collect();
        &heap
    };
    let id = match s.append(a.id, pairs, now, lim) {
        Ok(id) => id,
        Err(AppendError::IdTooSmall) => {
            // A stream created just now for this XADD must not stay empty.
            drop_if_new_and_empty(srv, db, key);
            return Err(ID_TOO_SMALL);
        }
        Err(AppendError::TooLarge) => {
            drop_if_new_and_empty(srv, db, key);
            return Err(CmdError::new("ERR Elements are too large to be stored"));
        }
    };
    let mut trimmed = 0;
    if let Some(t) = a.trim {
        trimmed = s.trim(t, a.approx, a.limit);
    }
    reply_id(&mut ctx.client.reply, id);
    // A stream can have waiters while it holds entries: every XADD readies
    // it (a new key was readied by its creation).
    let w = &mut ctx.srv.dbs[db].waiters;
    if !w.is_empty() {
        w.signal(key);
    }
    ctx.changed(STREAM, b"xadd", key);
    if trimmed > 0 {
        ctx.notify(STREAM, b"xtrim", key, db);
    }
    Ok(())
}

/// Removes `key` if it holds an empty stream with no groups and no history
/// (one this command created before failing).
fn drop_if_new_and_empty(srv: &mut Server, db: usize, key: &[u8]) {
    let now = srv.now_ms;
    if let Some(Value::Stream(s)) = srv.dbs[db].peek(key, now) {
        if s.is_empty() && s.entries_added == 0 && s.groups.is_empty() && s.last_id.is_zero() {
            srv.dbs[db].remove(key, now);
        }
    }
}

fn xtrim(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let db = ctx.client.db;
    // Redis looks the key up first: a missing key answers 0 before parsing.
    if write_stream(ctx.srv, db, key)?.is_none() {
        ctx.client.reply.int(0);
        return Ok(());
    }
    let a = parse_add_trim(ctx, false)?;
    let s = write_stream(ctx.srv, db, key)?.ok_or(err::WRONGTYPE)?;
    let t = a.trim.ok_or(err::SYNTAX)?;
    let n = s.trim(t, a.approx, a.limit);
    ctx.client.reply.int(n);
    if n > 0 {
        ctx.changed(STREAM, b"xtrim", key);
    }
    Ok(())
}

// ---- XRANGE / XREVRANGE / XLEN / XDEL ---------------------------------------

fn range_generic(ctx: &mut Ctx, rev: bool) -> CmdResult {
    let args = ctx.args;
    let (sa, ea) = if rev {
        (args.get(3), args.get(2))
    } else {
        (args.get(2), args.get(3))
    };
    let (mut start, startex) = interval_id(sa, 0)?;
    if startex {
        start = start
            .incr()
            .ok_or(CmdError::new("ERR invalid start ID for the interval"))?;
    }
    let (mut end, endex) = interval_id(ea, u64::MAX)?;
    if endex {
        end = end
            .decr()
            .ok_or(CmdError::new("ERR invalid end ID for the interval"))?;
    }
    let mut count: i64 = -1;
    let mut j = 4;
    while j < args.len() {
        if eq_ic(args.get(j), "count") && j + 1 < args.len() {
            count = ll(args.get(j + 1), None)?;
            if count < 0 {
                count = 0;
            }
            j += 2;
        } else {
            return Err(err::SYNTAX);
        }
    }
    let db = ctx.client.db;
    let Some(s) = read_stream(ctx.srv, db, args.get(1))? else {
        ctx.client.reply.empty_array();
        return Ok(());
    };
    if count == 0 {
        ctx.client.reply.null_array();
        return Ok(());
    }
    let count = if count < 0 { 0 } else { count as usize };
    reply_range(&mut ctx.client.reply, s, start, end, count, rev);
    Ok(())
}

fn xrange(ctx: &mut Ctx) -> CmdResult {
    range_generic(ctx, false)
}

fn xrevrange(ctx: &mut Ctx) -> CmdResult {
    range_generic(ctx, true)
}

fn xlen(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.client.db;
    let n = read_stream(ctx.srv, db, ctx.args.get(1))?.map_or(0, |s| s.len());
    ctx.client.reply.int(n as i64);
    Ok(())
}

fn xdel(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let key = args.get(1);
    let db = ctx.client.db;
    let Some(_) = write_stream(ctx.srv, db, key)? else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    let mut ids = Vec::with_capacity(args.len() - 2);
    for i in 2..args.len() {
        ids.push(strict_id(args.get(i))?);
    }
    let s = write_stream(ctx.srv, db, key)?.ok_or(err::WRONGTYPE)?;
    let mut deleted = 0;
    let mut first_gone = false;
    for id in ids {
        if s.xdel(id) {
            deleted += 1;
            if id == s.first_id {
                first_gone = true;
            }
        }
    }
    if first_gone {
        s.refresh_first_id();
    }
    ctx.client.reply.int(deleted);
    if deleted > 0 {
        ctx.changed(STREAM, b"xdel", key);
    }
    Ok(())
}

fn xsetid(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let key = args.get(1);
    let id = strict_id(args.get(2))?;
    let mut entries_added: i64 = -1;
    let mut max_xdel = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if eq_ic(args.get(i), "entriesadded") && more > 0 {
            entries_added = ll(args.get(i + 1), None)?;
            if entries_added < 0 {
                return Err(CmdError::new("ERR entries_added must be positive"));
            }
            i += 2;
        } else if eq_ic(args.get(i), "maxdeletedid") && more > 0 {
            max_xdel = strict_id(args.get(i + 1))?;
            if id < max_xdel {
                return Err(CmdError::new(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
            i += 2;
        } else {
            return Err(err::SYNTAX);
        }
    }
    let db = ctx.client.db;
    let s = write_stream(ctx.srv, db, key)?.ok_or(err::NO_KEY)?;
    if !s.is_empty() {
        if id < s.edge_id(true).unwrap_or_default() {
            return Err(CmdError::new(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added != -1 && (s.len() as i64) > entries_added {
            return Err(CmdError::new(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if !max_xdel.is_zero() {
        s.max_deleted_id = max_xdel;
    }
    ctx.client.reply.ok();
    ctx.changed(STREAM, b"xsetid", key);
    Ok(())
}

// ---- XREAD / XREADGROUP -------------------------------------------------

/// Redis's `getTimeoutFromObjectOrReply` in milliseconds: the absolute
/// deadline in unix ms, 0 for "forever".
fn parse_timeout_ms(arg: &[u8], now: i64) -> Result<i64, CmdError> {
    let t = parse_i64(arg).ok_or(CmdError::new(
        "ERR timeout is not an integer or out of range",
    ))?;
    if t < 0 {
        return Err(CmdError::new("ERR timeout is negative"));
    }
    if t == 0 {
        return Ok(0);
    }
    // Redis 7.0 adds without an overflow check; a sum past the range
    // blocks (at least) for ever there, and here.
    Ok(now.saturating_add(t))
}

fn xread(ctx: &mut Ctx) -> CmdResult {
    read_generic(ctx, false)
}

fn xreadgroup(ctx: &mut Ctx) -> CmdResult {
    read_generic(ctx, true)
}

/// XREAD and XREADGROUP (Redis's `xreadCommand`).
fn read_generic(ctx: &mut Ctx, group_mode: bool) -> CmdResult {
    let args = ctx.args;
    let argc = args.len();
    let mut timeout: i64 = -1;
    let mut count: i64 = 0;
    let mut streams_arg = 0;
    let mut streams_count = 0;
    let mut noack = false;
    let mut group: Option<(&[u8], &[u8])> = None;
    let name = if group_mode { "XREADGROUP" } else { "XREAD" };
    let mut i = 1;
    while i < argc {
        let more = argc - i - 1;
        let o = args.get(i);
        if eq_ic(o, "block") && more > 0 {
            i += 1;
            timeout = parse_timeout_ms(args.get(i), ctx.srv.now_ms)?;
        } else if eq_ic(o, "count") && more > 0 {
            i += 1;
            count = ll(args.get(i), None)?;
            if count < 0 {
                count = 0;
            }
        } else if eq_ic(o, "streams") && more > 0 {
            streams_arg = i + 1;
            streams_count = argc - streams_arg;
            if streams_count % 2 != 0 {
                return Err(CmdError::owned(format!(
                    "ERR Unbalanced {name} list of streams: for each stream key an ID or '$' must be specified."
                )));
            }
            streams_count /= 2;
            break;
        } else if eq_ic(o, "group") && more >= 2 {
            if !group_mode {
                return Err(CmdError::new(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            group = Some((args.get(i + 1), args.get(i + 2)));
            i += 2;
        } else if eq_ic(o, "noack") {
            if !group_mode {
                return Err(CmdError::new(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            noack = true;
        } else {
            return Err(err::SYNTAX);
        }
        i += 1;
    }
    if streams_arg == 0 {
        return Err(err::SYNTAX);
    }
    if group_mode && group.is_none() {
        return Err(CmdError::new("ERR Missing GROUP option for XREADGROUP"));
    }
    let db = ctx.client.db;
    let now = ctx.srv.now_ms;
    // Resolve every ID first (errors before any change). `None` is `>`.
    let mut ids: Vec<Option<StreamId>> = Vec::with_capacity(streams_count);
    for k in 0..streams_count {
        let key = args.get(streams_arg + k);
        let ida = args.get(streams_arg + streams_count + k);
        let s = read_stream(ctx.srv, db, key)?;
        if let Some((g, _)) = group {
            let has = s.as_ref().is_some_and(|s| s.groups.contains_key(g));
            if !has {
                return Err(CmdError::owned(format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    String::from_utf8_lossy(key),
                    String::from_utf8_lossy(g)
                )));
            }
        }
        if ida == b"$" {
            if group_mode {
                return Err(CmdError::new(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ));
            }
            ids.push(Some(s.map_or(StreamId::MIN, |s| s.last_id)));
        } else if ida == b">" {
            if !group_mode {
                return Err(CmdError::new(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ));
            }
            ids.push(None);
        } else {
            ids.push(Some(strict_id(ida)?));
        }
    }
    let count = count as usize;
    let mut served = 0usize;
    let mut mark = 0usize;
    for (k, gt) in ids.iter().enumerate() {
        let key = args.get(streams_arg + k);
        let srv = &mut *ctx.srv;
        let Some(s) = read_stream(srv, db, key)? else {
            continue;
        };
        let reply = &mut ctx.client.reply;
        match group {
            None => {
                let gt = gt.unwrap_or_default();
                if s.is_empty() {
                    continue;
                }
                let last = s.edge_id(true).unwrap_or_default();
                if last <= gt {
                    continue;
                }
                served += 1;
                if served == 1 {
                    mark = defer(reply);
                }
                if !reply.resp3() {
                    reply.array(2);
                }
                reply.bulk(key);
                let start = gt.incr().unwrap_or(StreamId::MAX);
                reply_range(reply, s, start, StreamId::MAX, count, false);
            }
            Some((gname, cname)) => {
                let serve_history = gt.is_some();
                let mut start = StreamId::MIN;
                let mut serve = false;
                let lim_ok = !s.is_empty();
                let glast = s.groups.get(gname).map(|g| g.last_id).unwrap_or_default();
                if let Some(id) = gt {
                    serve = true;
                    start = id.incr().unwrap_or(StreamId::MAX);
                } else if lim_ok {
                    let maxid = s.edge_id(true).unwrap_or_default();
                    if maxid > glast {
                        serve = true;
                        start = glast.incr().unwrap_or(StreamId::MAX);
                    }
                }
                if !serve {
                    continue;
                }
                served += 1;
                if served == 1 {
                    mark = defer(reply);
                }
                if !reply.resp3() {
                    reply.array(2);
                }
                reply.bulk(key);
                let created = serve_group(
                    reply,
                    s,
                    gname,
                    cname,
                    start,
                    count,
                    noack,
                    serve_history,
                    now,
                );
                if created {
                    ctx.notify(STREAM, b"xgroup-createconsumer", key, db);
                }
            }
        }
    }
    if served > 0 {
        set_deferred(&mut ctx.client.reply, mark, served, true);
        return Ok(());
    }
    if timeout != -1 {
        if blocking::denied(ctx) {
            ctx.client.reply.null_array();
            return Ok(());
        }
        // Park with `$` replaced by the ID it meant now, so that entries
        // added later are what the client gets.
        let mut buf = Vec::new();
        let mut spans = Vec::with_capacity(argc);
        for i in 0..argc {
            let a = args.get(i);
            let start = buf.len();
            let k = i.wrapping_sub(streams_arg + streams_count);
            match ids.get(k) {
                Some(Some(id)) if i >= streams_arg + streams_count && a == b"$" => {
                    let mut t = [0u8; 48];
                    buf.extend_from_slice(id.fmt(&mut t));
                }
                _ => buf.extend_from_slice(a),
            }
            spans.push((start, buf.len()));
        }
        let keys: Vec<Vec<u8>> = (0..streams_count)
            .map(|k| args.get(streams_arg + k).to_vec())
            .collect();
        let mut saved = Ctx {
            srv: &mut *ctx.srv,
            client: &mut *ctx.client,
            args: super::Args::new(&buf, &spans),
        };
        blocking::park(&mut saved, keys, timeout, BType::Stream, serve_blocked);
        return Ok(());
    }
    ctx.client.reply.null_array();
    Ok(())
}

/// How many entries a blocked read gets when it gave no COUNT (Redis's
/// `XREAD_BLOCKED_DEFAULT_COUNT`).
const BLOCKED_DEFAULT_COUNT: usize = 1000;

/// Serves a client parked by XREAD/XREADGROUP BLOCK now that `key` is
/// ready (Redis's `serveClientsBlockedOnStreamKey`). `ctx.args` are the
/// command's saved arguments, `$` already resolved. True when the client
/// was answered.
fn serve_blocked(ctx: &mut Ctx, key: &[u8]) -> bool {
    let args = ctx.args;
    let argc = args.len();
    let mut count = 0usize;
    let mut group: Option<(&[u8], &[u8])> = None;
    let mut noack = false;
    let mut streams_arg = argc;
    let mut i = 1;
    while i < argc {
        let o = args.get(i);
        if (eq_ic(o, "block") || eq_ic(o, "count")) && i + 1 < argc {
            if eq_ic(o, "count") {
                count = parse_i64(args.get(i + 1)).unwrap_or(0).max(0) as usize;
            }
            i += 2;
        } else if eq_ic(o, "group") && i + 2 < argc {
            group = Some((args.get(i + 1), args.get(i + 2)));
            i += 3;
        } else if eq_ic(o, "noack") {
            noack = true;
            i += 1;
        } else if eq_ic(o, "streams") {
            streams_arg = i + 1;
            break;
        } else {
            i += 1;
        }
    }
    let n = argc.saturating_sub(streams_arg) / 2;
    let Some(k) = (0..n).find(|&k| args.get(streams_arg + k) == key) else {
        return false;
    };
    let count = if count == 0 {
        BLOCKED_DEFAULT_COUNT
    } else {
        count
    };
    let db = ctx.client.db;
    let now = ctx.srv.now_ms;
    let fail = |ctx: &mut Ctx, msg: &'static str| {
        ctx.srv.stats.count_error(msg.as_bytes());
        ctx.client.reply.error(msg.as_bytes());
        true
    };
    let s = match ctx.srv.dbs[db].peek(key, now) {
        Some(Value::Stream(_)) => match ctx.srv.dbs[db].lookup_mut(key, now) {
            Some(Value::Stream(s)) => s,
            _ => return false,
        },
        // Gone or replaced: group readers are released, plain readers wait.
        _ if group.is_some() => {
            return fail(ctx, "UNBLOCKED the stream key no longer exists");
        }
        _ => return false,
    };
    let gt = match group {
        Some((g, _)) => match s.groups.get(g) {
            Some(g) => g.last_id,
            None => {
                return fail(
                    ctx,
                    "NOGROUP the consumer group this client was blocked on no longer exists",
                )
            }
        },
        None => match parse_id(args.get(streams_arg + n + k), 0, true, false) {
            Some(p) => p.id,
            None => return false,
        },
    };
    if s.last_id <= gt {
        return false;
    }
    let start = gt.incr().unwrap_or(StreamId::MAX);
    let r = &mut ctx.client.reply;
    if r.resp3() {
        r.map(1);
    } else {
        r.array(1);
        r.array(2);
    }
    r.bulk(key);
    match group {
        Some((gname, cname)) => {
            if serve_group(r, s, gname, cname, start, count, noack, false, now) {
                ctx.notify(STREAM, b"xgroup-createconsumer", key, db);
            }
        }
        None => {
            reply_range(r, s, start, StreamId::MAX, count, false);
        }
    }
    true
}

/// Serves one stream of an XREADGROUP (Redis's `streamReplyWithRange` with
/// a group, or `streamReplyWithRangeFromConsumerPEL` for history reads).
/// Returns whether the consumer was created.
#[allow(clippy::too_many_arguments)]
fn serve_group(
    reply: &mut Reply,
    s: &mut StreamVal,
    gname: &[u8],
    cname: &[u8],
    start: StreamId,
    count: usize,
    noack: bool,
    history: bool,
    now: i64,
) -> bool {
    let Some(mut g) = s.groups.remove(gname) else {
        reply.empty_array();
        return false;
    };
    let (c, created) = g.consumer_mut(cname, now);
    c.seen_time = now;
    if history {
        let ids: Vec<StreamId> = c
            .pel
            .range(start..)
            .take(if count == 0 { usize::MAX } else { count })
            .copied()
            .collect();
        reply.array(ids.len());
        for id in ids {
            match s.get(id) {
                Some(e) => {
                    reply_entry(reply, &e);
                    if let Some(n) = g.pel.get_mut(&id) {
                        n.delivery_time = now;
                        n.delivery_count += 1;
                    }
                }
                None => {
                    reply.array(2);
                    reply_id(reply, id);
                    reply.null_array();
                }
            }
        }
    } else {
        let mut delivered: Vec<StreamId> = Vec::new();
        let mark = defer(reply);
        let mut n = 0;
        s.range(start, StreamId::MAX, false, |e| {
            reply_entry(reply, &e);
            delivered.push(e.id);
            n += 1;
            count == 0 || n < count
        });
        set_deferred(reply, mark, n, false);
        for id in delivered {
            if id > g.last_id {
                if g.entries_read != INVALID_ENTRIES_READ && !s.has_tombstones_from(id) {
                    g.entries_read += 1;
                } else if s.entries_added > 0 {
                    g.entries_read = s.estimate_distance(id);
                }
                g.last_id = id;
            }
            if !noack {
                g.assign(id, cname, now, 1);
            }
        }
    }
    s.groups.insert(gname.to_vec(), g);
    created
}

// ---- XGROUP -------------------------------------------------------------

/// Parses `[MKSTREAM] [ENTRIESREAD n]` (CREATE) or `[ENTRIESREAD n]` (SETID).
fn group_options(ctx: &Ctx, create: bool) -> Result<(bool, i64), CmdError> {
    let args = ctx.args;
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    let mut i = 5;
    while i < args.len() {
        let a = args.get(i);
        if create && eq_ic(a, "mkstream") {
            mkstream = true;
            i += 1;
        } else if eq_ic(a, "entriesread") && i + 1 < args.len() {
            entries_read = ll(args.get(i + 1), None)?;
            if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                return Err(CmdError::new(
                    "ERR value for ENTRIESREAD must be positive or -1",
                ));
            }
            i += 2;
        } else {
            return Err(subcommand_syntax(ctx));
        }
    }
    Ok((mkstream, entries_read))
}

/// Redis's `addReplySubcommandSyntaxError`.
fn subcommand_syntax(ctx: &Ctx) -> CmdError {
    let cmd = String::from_utf8_lossy(ctx.args.get(0)).to_ascii_uppercase();
    let sub = String::from_utf8_lossy(ctx.args.get(1)).into_owned();
    CmdError::owned(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {cmd} HELP."
    ))
}

const NEED_KEY: CmdError = CmdError::new("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");

fn xgroup_create(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let (mkstream, entries_read) = group_options(ctx, true)?;
    let key = args.get(2);
    let gname = args.get(3);
    let db = ctx.client.db;
    let exists = write_stream(ctx.srv, db, key)?.is_some();
    if !exists && !mkstream {
        return Err(NEED_KEY);
    }
    let ida = args.get(4);
    let id = if ida == b"$" {
        match write_stream(ctx.srv, db, key)? {
            Some(s) => s.last_id,
            None => StreamId::MIN,
        }
    } else {
        strict_id(ida)?
    };
    if !exists {
        ctx.srv.dbs[db].insert(key, Value::Stream(Box::default()), false);
        let db_idx = ctx.client.db;
        ctx.modified(db_idx, key);
    }
    let s = write_stream(ctx.srv, db, key)?.ok_or(err::WRONGTYPE)?;
    if s.groups.contains_key(gname) {
        return Err(CmdError::new(
            "BUSYGROUP Consumer Group name already exists",
        ));
    }
    s.groups
        .insert(gname.to_vec(), Group::new(id, entries_read));
    ctx.client.reply.ok();
    ctx.changed(STREAM, b"xgroup-create", key);
    Ok(())
}

/// The group named in argv[3] of the stream in argv[2], or Redis's errors.
fn group_of<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
    gname: &[u8],
) -> Result<(&'a mut StreamVal, bool), CmdError> {
    let s = write_stream(srv, db, key)?.ok_or(NEED_KEY)?;
    let has = s.groups.contains_key(gname);
    Ok((s, has))
}

fn xgroup_setid(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let (key, gname) = (args.get(2), args.get(3));
    let db = ctx.client.db;
    let (s, has) = group_of(ctx.srv, db, key, gname)?;
    if !has {
        return Err(nogroup_for_key(gname, key));
    }
    let last = s.last_id;
    let (_, entries_read) = group_options(ctx, false)?;
    let ida = args.get(4);
    let id = if ida == b"$" { last } else { loose_id(ida, 0)? };
    let s = write_stream(ctx.srv, db, key)?.ok_or(NEED_KEY)?;
    if let Some(g) = s.groups.get_mut(gname) {
        g.last_id = id;
        g.entries_read = entries_read;
    }
    ctx.client.reply.ok();
    ctx.changed(STREAM, b"xgroup-setid", key);
    Ok(())
}

fn xgroup_destroy(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let (key, gname) = (args.get(2), args.get(3));
    let db = ctx.client.db;
    let (s, _) = group_of(ctx.srv, db, key, gname)?;
    if s.groups.remove(gname).is_some() {
        ctx.client.reply.int(1);
        ctx.changed(STREAM, b"xgroup-destroy", key);
        // Readers blocked on the group are released with NOGROUP.
        let w = &mut ctx.srv.dbs[db].waiters;
        if !w.is_empty() {
            w.signal(key);
        }
    } else {
        ctx.client.reply.int(0);
    }
    Ok(())
}

fn xgroup_createconsumer(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let (key, gname, cname) = (args.get(2), args.get(3), args.get(4));
    let db = ctx.client.db;
    let now = ctx.srv.now_ms;
    let (s, has) = group_of(ctx.srv, db, key, gname)?;
    if !has {
        return Err(nogroup_for_key(gname, key));
    }
    let g = s.groups.get_mut(gname).ok_or(err::SYNTAX)?;
    let created = if g.consumers.contains_key(cname) {
        false
    } else {
        g.consumer_mut(cname, now);
        true
    };
    ctx.client.reply.int(created as i64);
    if created {
        ctx.changed(STREAM, b"xgroup-createconsumer", key);
    }
    Ok(())
}

fn xgroup_delconsumer(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let (key, gname, cname) = (args.get(2), args.get(3), args.get(4));
    let db = ctx.client.db;
    let (s, has) = group_of(ctx.srv, db, key, gname)?;
    if !has {
        return Err(nogroup_for_key(gname, key));
    }
    let g = s.groups.get_mut(gname).ok_or(err::SYNTAX)?;
    match g.delete_consumer(cname) {
        Some(pending) => {
            ctx.client.reply.int(pending as i64);
            ctx.changed(STREAM, b"xgroup-delconsumer", key);
        }
        None => ctx.client.reply.int(0),
    }
    Ok(())
}

const XGROUP_HELP: &[&str] = &[
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
];

const XINFO_HELP: &[&str] = &[
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
];

fn help(ctx: &mut Ctx, lines: &[&str]) -> CmdResult {
    let r = &mut ctx.client.reply;
    r.array(lines.len());
    for l in lines {
        r.simple(l.as_bytes());
    }
    Ok(())
}

fn xgroup_help(ctx: &mut Ctx) -> CmdResult {
    help(ctx, XGROUP_HELP)
}

fn xinfo_help(ctx: &mut Ctx) -> CmdResult {
    help(ctx, XINFO_HELP)
}

// ---- XACK / XPENDING / XCLAIM / XAUTOCLAIM ------------------------------

fn xack(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let (key, gname) = (args.get(1), args.get(2));
    let db = ctx.client.db;
    let has = match read_stream(ctx.srv, db, key)? {
        Some(s) => s.groups.contains_key(gname),
        None => false,
    };
    if !has {
        ctx.client.reply.int(0);
        return Ok(());
    }
    let mut ids = Vec::with_capacity(args.len() - 3);
    for i in 3..args.len() {
        ids.push(strict_id(args.get(i))?);
    }
    let s = write_stream(ctx.srv, db, key)?.ok_or(err::WRONGTYPE)?;
    let g = s.groups.get_mut(gname).ok_or(err::SYNTAX)?;
    let mut n = 0;
    for id in ids {
        if g.ack(id) {
            n += 1;
        }
    }
    ctx.client.reply.int(n);
    Ok(())
}

fn xpending(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let argc = args.len();
    let (key, gname) = (args.get(1), args.get(2));
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(err::SYNTAX);
    }
    let mut start = StreamId::MIN;
    let mut end = StreamId::MAX;
    let mut count: i64 = 0;
    let mut minidle: i64 = 0;
    let mut consumer: Option<&[u8]> = None;
    if argc >= 6 {
        let mut startidx = 3;
        if eq_ic(args.get(3), "idle") {
            minidle = ll(args.get(4), None)?;
            if argc < 8 {
                return Err(err::SYNTAX);
            }
            startidx += 2;
        }
        count = ll(args.get(startidx + 2), None)?;
        if count < 0 {
            count = 0;
        }
        let (s, sx) = interval_id(args.get(startidx), 0)?;
        start = s;
        if sx {
            start = start
                .incr()
                .ok_or(CmdError::new("ERR invalid start ID for the interval"))?;
        }
        let (e, ex) = interval_id(args.get(startidx + 1), u64::MAX)?;
        end = e;
        if ex {
            end = end
                .decr()
                .ok_or(CmdError::new("ERR invalid end ID for the interval"))?;
        }
        if startidx + 3 < argc {
            consumer = Some(args.get(startidx + 3));
        }
    }
    let db = ctx.client.db;
    let now = ctx.srv.now_ms;
    let s = read_stream(ctx.srv, db, key)?;
    let Some(g) = s.and_then(|s| s.groups.get(gname)) else {
        return Err(nogroup(key, gname));
    };
    let r = &mut ctx.client.reply;
    if justinfo {
        r.array(4);
        r.int(g.pel.len() as i64);
        if g.pel.is_empty() {
            r.null();
            r.null();
            r.null_array();
        } else {
            reply_id(r, *g.pel.keys().next().expect("non-empty"));
            reply_id(r, *g.pel.keys().next_back().expect("non-empty"));
            let with: Vec<_> = g
                .consumers
                .iter()
                .filter(|(_, c)| !c.pel.is_empty())
                .collect();
            r.array(with.len());
            for (name, c) in with {
                r.array(2);
                r.bulk(name);
                r.bulk_i64(c.pel.len() as i64);
            }
        }
        return Ok(());
    }
    let ids: Box<dyn Iterator<Item = StreamId>> = match consumer {
        Some(cn) => match g.consumers.get(cn) {
            Some(c) => Box::new(c.pel.range(start..).copied()),
            None => {
                r.empty_array();
                return Ok(());
            }
        },
        None => Box::new(g.pel.range(start..).map(|(k, _)| *k)),
    };
    let mark = defer(r);
    let mut n = 0;
    if start <= end {
        for id in ids {
            if count == 0 || id > end {
                break;
            }
            let Some(nack) = g.pel.get(&id) else {
                continue;
            };
            let idle = (now - nack.delivery_time).max(0);
            if minidle != 0 && idle < minidle {
                continue;
            }
            n += 1;
            count -= 1;
            r.array(4);
            reply_id(r, id);
            r.bulk(&nack.consumer);
            r.int(idle);
            r.int(nack.delivery_count as i64);
        }
    }
    set_deferred(r, mark, n, false);
    Ok(())
}

fn xclaim(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let argc = args.len();
    let (key, gname, cname) = (args.get(1), args.get(2), args.get(3));
    let db = ctx.client.db;
    let now = ctx.srv.now_ms;
    let has = match read_stream(ctx.srv, db, key)? {
        Some(s) => s.groups.contains_key(gname),
        None => false,
    };
    if !has {
        return Err(nogroup(key, gname));
    }
    let mut minidle = ll(
        args.get(4),
        Some("Invalid min-idle-time argument for XCLAIM"),
    )?;
    if minidle < 0 {
        minidle = 0;
    }
    let mut j = 5;
    let mut ids = Vec::new();
    while j < argc {
        match parse_id(args.get(j), 0, true, false) {
            Some(p) => ids.push(p.id),
            None => break,
        }
        j += 1;
    }
    let mut force = false;
    let mut justid = false;
    let mut deliverytime: i64 = -1;
    let mut retrycount: i64 = -1;
    let mut last_id = StreamId::MIN;
    while j < argc {
        let more = argc - 1 - j;
        let opt = args.get(j);
        if eq_ic(opt, "force") {
            force = true;
        } else if eq_ic(opt, "justid") {
            justid = true;
        } else if eq_ic(opt, "idle") && more > 0 {
            j += 1;
            let idle = ll(args.get(j), Some("Invalid IDLE option argument for XCLAIM"))?;
            deliverytime = now.wrapping_sub(idle);
        } else if eq_ic(opt, "time") && more > 0 {
            j += 1;
            deliverytime = ll(args.get(j), Some("Invalid TIME option argument for XCLAIM"))?;
        } else if eq_ic(opt, "retrycount") && more > 0 {
            j += 1;
            retrycount = ll(
                args.get(j),
                Some("Invalid RETRYCOUNT option argument for XCLAIM"),
            )?;
        } else if eq_ic(opt, "lastid") && more > 0 {
            j += 1;
            last_id = strict_id(args.get(j))?;
        } else {
            return Err(CmdError::owned(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                String::from_utf8_lossy(opt)
            )));
        }
        j += 1;
    }
    let s = write_stream(ctx.srv, db, key)?.ok_or(err::WRONGTYPE)?;
    let Some(mut g) = s.groups.remove(gname) else {
        return Err(nogroup(key, gname));
    };
    if last_id > g.last_id {
        g.last_id = last_id;
    }
    if deliverytime != -1 {
        if deliverytime < 0 || deliverytime > now {
            deliverytime = now;
        }
    } else {
        deliverytime = now;
    }
    let r = &mut ctx.client.reply;
    let mark = defer(r);
    let mut n = 0;
    let mut created = false;
    let mut consumer_ready = false;
    for id in ids {
        let exists = s.contains(id);
        if !exists {
            if g.pel.contains_key(&id) {
                g.ack(id);
            }
            continue;
        }
        let mut fresh = false;
        if force && !g.pel.contains_key(&id) {
            fresh = true;
        } else if !g.pel.contains_key(&id) {
            continue;
        }
        let (old_time, old_count) = match g.pel.get(&id) {
            Some(nk) => (nk.delivery_time, nk.delivery_count),
            None => (now, 1),
        };
        if !fresh && minidle != 0 && now - old_time < minidle {
            continue;
        }
        if !consumer_ready {
            let (c, c_created) = g.consumer_mut(cname, now);
            c.seen_time = now;
            created = c_created;
            consumer_ready = true;
        }
        let cnt = if retrycount >= 0 {
            retrycount as u64
        } else if !justid {
            old_count + 1
        } else {
            old_count
        };
        g.assign(id, cname, deliverytime, cnt);
        if justid {
            reply_id(r, id);
        } else if let Some(e) = s.get(id) {
            reply_entry(r, &e);
        }
        n += 1;
    }
    s.groups.insert(gname.to_vec(), g);
    set_deferred(r, mark, n, false);
    if created {
        ctx.notify(STREAM, b"xgroup-createconsumer", key, db);
    }
    Ok(())
}

fn xautoclaim(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let argc = args.len();
    let (key, gname, cname) = (args.get(1), args.get(2), args.get(3));
    let db = ctx.client.db;
    let now = ctx.srv.now_ms;
    let mut minidle = ll(
        args.get(4),
        Some("Invalid min-idle-time argument for XAUTOCLAIM"),
    )?;
    if minidle < 0 {
        minidle = 0;
    }
    let (mut start, sx) = interval_id(args.get(5), 0)?;
    if sx {
        start = start
            .incr()
            .ok_or(CmdError::new("ERR invalid start ID for the interval"))?;
    }
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < argc {
        let more = argc - 1 - j;
        let opt = args.get(j);
        if eq_ic(opt, "count") && more > 0 {
            let max = i64::MAX / 16;
            count = match parse_i64(args.get(j + 1)) {
                Some(c) if (1..=max).contains(&c) => c,
                _ => return Err(CmdError::new("ERR COUNT must be > 0")),
            };
            j += 1;
        } else if eq_ic(opt, "justid") {
            justid = true;
        } else {
            return Err(err::SYNTAX);
        }
        j += 1;
    }
    let s = match read_stream(ctx.srv, db, key)? {
        Some(s) if s.groups.contains_key(gname) => s,
        _ => return Err(nogroup(key, gname)),
    };
    let mut g = s.groups.remove(gname).expect("checked");
    let mut attempts = count.saturating_mul(10);
    let mut deleted: Vec<StreamId> = Vec::new();
    let r = &mut ctx.client.reply;
    r.array(3);
    let end_mark = defer(r);
    let mark = defer(r);
    let mut n = 0;
    let mut created = false;
    let mut consumer_ready = false;
    // `cursor` is where the next PEL lookup starts (Redis's rax iterator).
    let mut cursor = std::ops::Bound::Included(start);
    loop {
        if attempts == 0 {
            break;
        }
        attempts -= 1;
        if count == 0 {
            break;
        }
        let Some((&id, nack)) = g.pel.range((cursor, std::ops::Bound::Unbounded)).next() else {
            break;
        };
        cursor = std::ops::Bound::Excluded(id);
        if !s.contains(id) {
            g.ack(id);
            deleted.push(id);
            count -= 1;
            continue;
        }
        if minidle != 0 && now - nack.delivery_time < minidle {
            continue;
        }
        let cnt = if justid {
            nack.delivery_count
        } else {
            nack.delivery_count + 1
        };
        if !consumer_ready {
            let (c, c_created) = g.consumer_mut(cname, now);
            c.seen_time = now;
            created = c_created;
            consumer_ready = true;
        }
        g.assign(id, cname, now, cnt);
        if justid {
            reply_id(r, id);
        } else if let Some(e) = s.get(id) {
            reply_entry(r, &e);
        }
        n += 1;
        count -= 1;
    }
    let next = g
        .pel
        .range((cursor, std::ops::Bound::Unbounded))
        .next()
        .map(|(k, _)| *k)
        .unwrap_or_default();
    set_deferred(r, mark, n, false);
    // The cursor goes before the entries: splice its bulk in at end_mark.
    if !r.muted {
        let mut b = [0u8; 48];
        let idb = next.fmt(&mut b);
        let mut h = Vec::with_capacity(idb.len() + 8);
        h.push(b'$');
        let mut t = [0u8; 24];
        h.extend_from_slice(fmt_i64(idb.len() as i64, &mut t));
        h.extend_from_slice(b"\r\n");
        h.extend_from_slice(idb);
        h.extend_from_slice(b"\r\n");
        r.buf.splice(end_mark..end_mark, h);
    }
    r.array(deleted.len());
    for id in &deleted {
        reply_id(r, *id);
    }
    s.groups.insert(gname.to_vec(), g);
    if created {
        ctx.notify(STREAM, b"xgroup-createconsumer", key, db);
    }
    Ok(())
}

// ---- XINFO --------------------------------------------------------------

fn xinfo_consumers(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.srv.now_ms;
    let args = ctx.args;
    let (key, gname) = (args.get(2), args.get(3));
    let s = {
        let db = ctx.client.db;
        read_stream(ctx.srv, db, key)?.ok_or(err::NO_KEY)?
    };
    let Some(g) = s.groups.get(gname) else {
        return Err(nogroup_for_key(gname, key));
    };
    let r = &mut ctx.client.reply;
    r.array(g.consumers.len());
    for (name, c) in &g.consumers {
        r.map(3);
        r.bulk(b"name");
        r.bulk(name);
        r.bulk(b"pending");
        r.int(c.pel.len() as i64);
        r.bulk(b"idle");
        r.int((now - c.seen_time).max(0));
    }
    Ok(())
}

fn reply_lag(r: &mut Reply, s: &StreamVal, g: &Group) {
    match s.lag(g) {
        Some(l) => r.int(l),
        None => r.null(),
    }
}

fn reply_entries_read(r: &mut Reply, g: &Group) {
    if g.entries_read != INVALID_ENTRIES_READ {
        r.int(g.entries_read);
    } else {
        r.null();
    }
}

fn xinfo_groups(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.client.db;
    let key = ctx.args.get(2);
    let s: &StreamVal = read_stream(ctx.srv, db, key)?.ok_or(err::NO_KEY)?;
    let r = &mut ctx.client.reply;
    r.array(s.groups.len());
    for (name, g) in &s.groups {
        r.map(6);
        r.bulk(b"name");
        r.bulk(name);
        r.bulk(b"consumers");
        r.int(g.consumers.len() as i64);
        r.bulk(b"pending");
        r.int(g.pel.len() as i64);
        r.bulk(b"last-delivered-id");
        reply_id(r, g.last_id);
        r.bulk(b"entries-read");
        reply_entries_read(r, g);
        r.bulk(b"lag");
        reply_lag(r, s, g);
    }
    Ok(())
}

fn xinfo_stream(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let argc = args.len();
    let mut full = false;
    let mut count: i64 = 10;
    if argc > 3 {
        let optc = argc - 3;
        if (optc != 1 && optc != 3) || !eq_ic(args.get(3), "full") {
            return Err(subcommand_syntax(ctx));
        }
        full = true;
        if optc == 3 {
            if !eq_ic(args.get(4), "count") {
                return Err(subcommand_syntax(ctx));
            }
            count = ll(args.get(5), None)?;
            if count < 0 {
                count = 10;
            }
        }
    }
    let db = ctx.client.db;
    let key = args.get(2);
    let s: &StreamVal = read_stream(ctx.srv, db, key)?.ok_or(err::NO_KEY)?;
    let r = &mut ctx.client.reply;
    r.map(if full { 9 } else { 10 });
    r.bulk(b"length");
    r.int(s.len() as i64);
    r.bulk(b"radix-tree-keys");
    r.int(s.node_count() as i64);
    r.bulk(b"radix-tree-nodes");
    r.int(s.rax_nodes() as i64);
    r.bulk(b"last-generated-id");
    reply_id(r, s.last_id);
    r.bulk(b"max-deleted-entry-id");
    reply_id(r, s.max_deleted_id);
    r.bulk(b"entries-added");
    r.int(s.entries_added as i64);
    r.bulk(b"recorded-first-entry-id");
    reply_id(r, s.first_id);
    if !full {
        r.bulk(b"groups");
        r.int(s.groups.len() as i64);
        r.bulk(b"first-entry");
        let mut any = false;
        s.range(StreamId::MIN, StreamId::MAX, false, |e| {
            reply_entry(r, &e);
            any = true;
            false
        });
        if !any {
            r.null();
        }
        r.bulk(b"last-entry");
        let mut any = false;
        s.range(StreamId::MIN, StreamId::MAX, true, |e| {
            reply_entry(r, &e);
            any = true;
            false
        });
        if !any {
            r.null();
        }
        return Ok(());
    }
    let count = count as usize;
    r.bulk(b"entries");
    reply_range(r, s, StreamId::MIN, StreamId::MAX, count, false);
    r.bulk(b"groups");
    r.array(s.groups.len());
    let cap = if count == 0 { usize::MAX } else { count };
    for (name, g) in &s.groups {
        r.map(7);
        r.bulk(b"name");
        r.bulk(name);
        r.bulk(b"last-delivered-id");
        reply_id(r, g.last_id);
        r.bulk(b"entries-read");
        reply_entries_read(r, g);
        r.bulk(b"lag");
        reply_lag(r, s, g);
        r.bulk(b"pel-count");
        r.int(g.pel.len() as i64);
        r.bulk(b"pending");
        let shown = g.pel.len().min(cap);
        r.array(shown);
        for (id, nack) in g.pel.iter().take(shown) {
            r.array(4);
            reply_id(r, *id);
            r.bulk(&nack.consumer);
            r.int(nack.delivery_time);
            r.int(nack.delivery_count as i64);
        }
        r.bulk(b"consumers");
        r.array(g.consumers.len());
        for (cn, c) in &g.consumers {
            r.map(4);
            r.bulk(b"name");
            r.bulk(cn);
            r.bulk(b"seen-time");
            r.int(c.seen_time);
            r.bulk(b"pel-count");
            r.int(c.pel.len() as i64);
            r.bulk(b"pending");
            let shown = c.pel.len().min(cap);
            r.array(shown);
            for id in c.pel.iter().take(shown) {
                let nack = g.pel.get(id);
                r.array(3);
                reply_id(r, *id);
                r.int(nack.map_or(0, |n| n.delivery_time));
                r.int(nack.map_or(0, |n| n.delivery_count as i64));
            }
        }
    }
    Ok(())
}
