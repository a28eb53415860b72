//! Generic key commands: the ones that work on a key whatever its type
//! (Redis's `db.c` command half, plus `OBJECT` from `object.c`).
//!
//! DEL, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY, RENAME, COPY, MOVE, SWAPDB,
//! TOUCH and OBJECT never look inside a value: they move, count, copy or
//! describe whole entries of the keyspace. Each one goes through the `Db`
//! lookups, so a key whose deadline has passed is deleted on the spot and
//! behaves as missing (lazy expiry), exactly as Redis's `lookupKey*` does.
//!
//! Two Redis habits shape the replies here:
//!
//! - Option names are compared with C's `strcasecmp`, which stops at the
//!   first NUL byte: `COUNT\0junk` is `COUNT` to Redis. `opt_eq` mirrors it,
//!   so an odd client sees the same answer from both servers.
//! - KEYS and SCAN do not know how many keys will match before they have
//!   walked them. Redis writes a placeholder and patches the length in
//!   afterwards (`addReplyDeferredLen`); we write the matching keys straight
//!   into the reply buffer and insert the array header in front once the
//!   count is known, which costs one `memmove` and no allocation per key.
//!
//! The move-like commands (RENAME, MOVE, COPY) carry the key's deadline
//! along: Redis reads it with `getExpire` before the move and sets it again
//! on the destination, and so do we, built from `lookup`, `expire_at`,
//! `remove`, `insert` and `set_expire`.

use super::table::{flags::*, CommandDef};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::object::{StrVal, Value};
use crate::protocol::reply::Reply;
use crate::server::notify as ntf;
use crate::server::stats::Stats;
use crate::util::glob;
use crate::util::numbers::{fmt_u64, parse_i64};

pub static COMMANDS: &[CommandDef] = &[
    CommandDef::new("del", -2, WRITE, del)
        .keys(1, -1, 1)
        .acl("keyspace write slow")
        .group("generic")
        .summary("Delete a key"),
    CommandDef::new("unlink", -2, WRITE | FAST, del)
        .keys(1, -1, 1)
        .acl("keyspace write fast")
        .group("generic")
        .since("4.0.0")
        .summary(
            "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        ),
    CommandDef::new("exists", -2, READONLY | FAST, exists)
        .keys(1, -1, 1)
        .acl("keyspace read fast")
        .group("generic")
        .summary("Determine if a key exists"),
    CommandDef::new("type", 2, READONLY | FAST, type_cmd)
        .keys(1, 1, 1)
        .acl("keyspace read fast")
        .group("generic")
        .summary("Determine the type stored at key"),
    CommandDef::new("keys", 2, READONLY, keys)
        .acl("keyspace read slow dangerous")
        .group("generic")
        .summary("Find all keys matching the given pattern"),
    CommandDef::new("scan", -2, READONLY, scan)
        .acl("keyspace read slow")
        .group("generic")
        .since("2.8.0")
        .summary("Incrementally iterate the keys space"),
    CommandDef::new("randomkey", 1, READONLY, randomkey)
        .acl("keyspace read slow")
        .group("generic")
        .summary("Return a random key from the keyspace"),
    CommandDef::new("rename", 3, WRITE, rename)
        .keys(1, 2, 1)
        .acl("keyspace write slow")
        .group("generic")
        .summary("Rename a key"),
    CommandDef::new("renamenx", 3, WRITE | FAST, renamenx)
        .keys(1, 2, 1)
        .acl("keyspace write fast")
        .group("generic")
        .summary("Rename a key, only if the new key does not exist"),
    CommandDef::new("copy", -3, WRITE | DENYOOM, copy)
        .keys(1, 2, 1)
        .acl("keyspace write slow")
        .group("generic")
        .since("6.2.0")
        .summary("Copy a key"),
    CommandDef::new("move", 3, WRITE | FAST, move_cmd)
        .keys(1, 1, 1)
        .acl("keyspace write fast")
        .group("generic")
        .summary("Move a key to another database"),
    CommandDef::new("swapdb", 3, WRITE | FAST, swapdb)
        .acl("keyspace write fast dangerous")
        .group("server")
        .since("4.0.0")
        .summary("Swaps two Redis databases"),
    CommandDef::new("touch", -2, READONLY | FAST, touch)
        .keys(1, -1, 1)
        .acl("keyspace read fast")
        .group("generic")
        .since("3.2.1")
        .summary(
            "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        ),
    CommandDef::new("object", -2, 0, object_container)
        .acl("slow")
        .group("generic")
        .since("2.2.3")
        .summary("A container for object introspection commands")
        .subs(OBJECT_SUBCOMMANDS),
];

static OBJECT_SUBCOMMANDS: &[CommandDef] = &[
    CommandDef::new("encoding", 3, READONLY, object_encoding)
        .keys(2, 2, 1)
        .acl("keyspace read slow")
        .group("generic")
        .since("2.2.3")
        .summary("Inspect the internal encoding of a Redis object"),
    CommandDef::new("idletime", 3, READONLY, object_idletime)
        .keys(2, 2, 1)
        .acl("keyspace read slow")
        .group("generic")
        .since("2.2.3")
        .summary("Get the time since a Redis object was last accessed"),
    CommandDef::new("help", 2, LOADING | STALE, object_help)
        .acl("keyspace slow")
        .group("generic")
        .since("6.2.0")
        .summary("Show helpful text about the different subcommands"),
    CommandDef::new("freq", 3, READONLY, object_freq)
        .keys(2, 2, 1)
        .acl("keyspace read slow")
        .group("generic")
        .since("4.0.0")
        .summary("Get the logarithmic access frequency counter of a Redis object"),
    CommandDef::new("refcount", 3, READONLY, object_refcount)
        .keys(2, 2, 1)
        .acl("keyspace read slow")
        .group("generic")
        .since("2.2.3")
        .summary("Get the number of references to the value of the key"),
];

/// Redis's `shared.sameobjecterr`.
const SAME_OBJECT: CmdError = CmdError::new("ERR source and destination objects are the same");
pub(crate) const INVALID_CURSOR: CmdError = CmdError::new("ERR invalid cursor");

/// Shared integers: Redis keeps one object for each of 0..9999
/// (`OBJ_SHARED_INTEGERS`) and hands it out instead of allocating, with a
/// refcount pinned at `INT_MAX` so it is never freed.
const OBJ_SHARED_INTEGERS: i64 = 10_000;
const OBJ_SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// Under a maxmemory LRU/LFU policy Redis stops sharing integers, since a
/// shared object cannot carry a per-key access time
/// (MAXMEMORY_FLAG_NO_SHARED_INTEGERS). Judged when asked; Redis decides
/// when the value is made, which differs only for values stored before the
/// policy changed.
fn shares_integers(cfg: &crate::config::Config) -> bool {
    use crate::db::evict::policy::*;
    cfg.maxmemory == 0
        || !matches!(
            cfg.maxmemory_policy,
            VOLATILE_LRU | VOLATILE_LFU | ALLKEYS_LRU | ALLKEYS_LFU
        )
}

/// `strcasecmp(arg, name) == 0`: a case-insensitive match on `arg` up to
/// its first NUL byte, as Redis compares option names.
pub(crate) fn opt_eq(arg: &[u8], name: &[u8]) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(name)
}

/// Counts a read lookup in INFO's `keyspace_hits` / `keyspace_misses`, as
/// Redis's `lookupKeyRead*` does (write lookups, KEYS and RANDOMKEY do not
/// count). Returns `hit` for chaining.
pub(crate) fn count_read(stats: &mut Stats, hit: bool) -> bool {
    if hit {
        stats.keyspace_hits += 1;
    } else {
        stats.keyspace_misses += 1;
    }
    hit
}

/// Redis's `getIntFromObjectOrReply`: a strict 64-bit integer that must
/// also fit a C `int`. With a caller's message (`msg`) both failures give
/// it; without, each has its own text.
fn parse_int(arg: &[u8], msg: Option<CmdError>) -> Result<i64, CmdError> {
    let n = match parse_i64(arg) {
        Some(n) => n,
        None => return Err(msg.unwrap_or(err::NOT_INT)),
    };
    if n < i32::MIN as i64 || n > i32::MAX as i64 {
        return Err(msg.unwrap_or(CmdError::new(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        )));
    }
    Ok(n)
}

/// A database index that exists, or `ERR DB index is out of range`
/// (Redis's `selectDb` failing).
fn db_index(ctx: &Ctx, id: i64) -> Result<usize, CmdError> {
    if id < 0 || id as usize >= ctx.srv.dbs.len() {
        Err(err::DB_RANGE)
    } else {
        Ok(id as usize)
    }
}

/// A deferred reply header built on the stack: at most `*2`, a bulk
/// cursor and an array length, well under 80 bytes.
struct Header {
    buf: [u8; 80],
    len: usize,
}

impl Header {
    fn new() -> Header {
        Header {
            buf: [0; 80],
            len: 0,
        }
    }

    fn push(&mut self, b: &[u8]) {
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
    }

    /// `<prefix><n>\r\n`, as `*3\r\n` or `$5\r\n`.
    fn line(&mut self, prefix: u8, n: u64) {
        let mut tmp = [0u8; 24];
        self.push(&[prefix]);
        self.push(fmt_u64(n, &mut tmp));
        self.push(b"\r\n");
    }

    /// Inserts the header at `start` in the reply buffer, in front of the
    /// elements written since (Redis's `setDeferredArrayLen`).
    fn insert_into(&self, reply: &mut Reply, start: usize) {
        if !reply.muted {
            reply
                .buf
                .splice(start..start, self.buf[..self.len].iter().copied());
        }
    }
}

/// DEL and UNLINK. Freeing happens on this thread either way: our values
/// are dropped in place, and a huge one costs what Redis's lazyfree
/// threshold would have handed to its background thread.
fn del(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.srv.now_ms;
    // UNLINK (or DEL under lazyfree-lazy-user-del) counts what Redis's
    // freeObjAsync would have sent to its lazy-free thread.
    let lazy =
        ctx.args.get(0).eq_ignore_ascii_case(b"unlink") || ctx.srv.config.lazyfree_lazy_user_del;
    let mut n = 0;
    for key in ctx.args.from(1).iter() {
        if let Some(v) = ctx.srv.dbs[ctx.client.db].remove(key, now) {
            if lazy && v.free_effort() > crate::db::object::LAZYFREE_THRESHOLD {
                ctx.srv.stats.lazyfreed_objects += 1;
            }
            ctx.changed(ntf::GENERIC, b"del", key);
            n += 1;
        }
    }
    ctx.client.reply.int(n);
    Ok(())
}

/// EXISTS and TOUCH: the number of named keys that exist, duplicates
/// counted each time. TOUCH would also refresh each key's access time;
/// `lookup` is where the keyspace keeps that clock once it has one.
fn exists(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let db = &mut srv.dbs[ctx.client.db];
    let mut n = 0;
    for key in ctx.args.from(1).iter() {
        if count_read(&mut srv.stats, db.contains(key, now)) {
            n += 1;
        }
    }
    ctx.client.reply.int(n);
    Ok(())
}

/// TOUCH: like EXISTS, but each lookup refreshes the key's LRU/LFU field,
/// which EXISTS (and TYPE) leave alone, as Redis's LOOKUP_NOTOUCH does.
fn touch(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let db = &mut srv.dbs[ctx.client.db];
    let mut n = 0;
    for key in ctx.args.from(1).iter() {
        if count_read(&mut srv.stats, db.lookup(key, now).is_some()) {
            n += 1;
        }
    }
    ctx.client.reply.int(n);
    Ok(())
}

fn type_cmd(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let name = match srv.dbs[ctx.client.db].peek(ctx.args.get(1), now) {
        Some(v) => v.type_name(),
        None => "none",
    };
    count_read(&mut srv.stats, name != "none");
    ctx.client.reply.simple(name.as_bytes());
    Ok(())
}

/// KEYS pattern. A lone `*` takes every key without calling the matcher,
/// which is why it, and only it, returns the empty key too: the matcher
/// never matches a star against an empty string.
fn keys(ctx: &mut Ctx) -> CmdResult {
    let pattern = ctx.args.get(1);
    let all = pattern == b"*";
    let now = ctx.srv.now_ms;
    let reply = &mut ctx.client.reply;
    let start = reply.buf.len();
    let mut n = 0u64;
    ctx.srv.dbs[ctx.client.db].for_each_key(now, |k, _| {
        if all || glob::matches(pattern, k, false) {
            reply.bulk(k);
            n += 1;
        }
    });
    let mut header = Header::new();
    header.line(b'*', n);
    header.insert_into(reply, start);
    Ok(())
}

/// Parses a SCAN cursor as Redis's `parseScanCursorOrReply` does with
/// `strtoul`: an optional sign (a `-` wraps around, so `-1` is the largest
/// cursor), decimal digits, no leading space, and the text ends at the
/// first NUL byte. The empty string is cursor 0, as `strtoul` makes it.
pub(crate) fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    let s = &arg[..end];
    if s.is_empty() {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
///
/// Like Redis's `scanGenericCommand`, COUNT bounds the keys visited, not
/// the keys returned: filtering by pattern and type happens after the
/// visit, so a call may return fewer keys, even none, with a cursor that
/// is not 0. The loop stops after COUNT keys or `COUNT*10` steps, so a
/// sparse table cannot make one call walk the whole keyspace.
fn scan(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let mut cursor = parse_cursor(args.get(1)).ok_or(INVALID_CURSOR)?;
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_filter: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let rest = args.len() - i;
        let opt = args.get(i);
        if opt_eq(opt, b"count") && rest >= 2 {
            count = parse_i64(args.get(i + 1)).ok_or(err::NOT_INT)?;
            if count < 1 {
                return Err(err::SYNTAX);
            }
        } else if opt_eq(opt, b"match") && rest >= 2 {
            let p = args.get(i + 1);
            // A lone star is no filter at all (and so keeps the empty key).
            pattern = if p == b"*" { None } else { Some(p) };
        } else if opt_eq(opt, b"type") && rest >= 2 {
            type_filter = Some(args.get(i + 1));
        } else {
            return Err(err::SYNTAX);
        }
        i += 2;
    }

    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let db = &mut srv.dbs[ctx.client.db];
    let stats = &mut srv.stats;
    let reply = &mut ctx.client.reply;
    let start = reply.buf.len();
    let count = count as u64;
    let mut visited = 0u64;
    let mut returned = 0u64;
    let mut steps_left = count.saturating_mul(10);
    loop {
        // No step can visit more keys than there are; bounding the ask
        // keeps a COUNT near i64::MAX from overflowing inside the table.
        let want = (count - visited).min(db.len().max(1) as u64) as usize;
        cursor = db.scan(cursor, want, now, |k, v| {
            visited += 1;
            if let Some(p) = pattern {
                if !glob::matches(p, k, false) {
                    return;
                }
            }
            if let Some(t) = type_filter {
                // Redis looks the key up again to learn its type, and that
                // read lookup counts as a hit.
                count_read(stats, true);
                if !opt_eq(t, v.type_name().as_bytes()) {
                    return;
                }
            }
            reply.bulk(k);
            returned += 1;
        });
        if cursor == 0 || steps_left == 0 || visited >= count {
            break;
        }
        steps_left -= 1;
    }

    let mut header = Header::new();
    header.push(b"*2\r\n");
    let mut tmp = [0u8; 24];
    let c = fmt_u64(cursor, &mut tmp);
    header.line(b'$', c.len() as u64);
    header.push(c);
    header.push(b"\r\n");
    header.line(b'*', returned);
    header.insert_into(reply, start);
    Ok(())
}

fn randomkey(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.srv.now_ms;
    match ctx.srv.dbs[ctx.client.db].random_key(now) {
        Some(k) => ctx.client.reply.bulk(&k),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

fn rename(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, false)
}

fn renamenx(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, true)
}

/// RENAME and RENAMENX (Redis's `renameGenericCommand`). Renaming a key to
/// itself is a no-op that still insists the key exists; the deadline, if
/// any, moves with the value, and an overwritten destination loses its own.
fn rename_generic(ctx: &mut Ctx, nx: bool) -> CmdResult {
    let (src, dst) = (ctx.args.get(1), ctx.args.get(2));
    let now = ctx.srv.now_ms;
    let db = &mut ctx.srv.dbs[ctx.client.db];
    if db.lookup(src, now).is_none() {
        return Err(err::NO_KEY);
    }
    if src == dst {
        if nx {
            ctx.client.reply.int(0);
        } else {
            ctx.client.reply.ok();
        }
        return Ok(());
    }
    let deadline = db.expire_at(src);
    if nx && db.contains(dst, now) {
        ctx.client.reply.int(0);
        return Ok(());
    }
    let Some(val) = db.remove(src, now) else {
        return Err(err::NO_KEY);
    };
    // Redis deletes an existing destination and adds the key anew (a
    // `new` event), rather than overwriting it.
    db.remove(dst, now);
    db.insert(dst, val, false);
    if let Some(at) = deadline {
        db.set_expire(dst, at);
    }
    ctx.modified(ctx.client.db, src);
    ctx.modified(ctx.client.db, dst);
    ctx.notify(ntf::GENERIC, b"rename_from", src, ctx.client.db);
    ctx.notify(ntf::GENERIC, b"rename_to", dst, ctx.client.db);
    if nx {
        ctx.client.reply.int(1);
    } else {
        ctx.client.reply.ok();
    }
    Ok(())
}

/// COPY source destination [DB index] [REPLACE] (Redis's `copyCommand`).
fn copy(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let src_id = ctx.client.db;
    let mut dst_id = src_id;
    let mut replace = false;
    let mut j = 3;
    while j < args.len() {
        let opt = args.get(j);
        if opt_eq(opt, b"replace") {
            replace = true;
        } else if opt_eq(opt, b"db") && args.len() - j > 1 {
            let id = parse_int(args.get(j + 1), None)?;
            dst_id = db_index(ctx, id)?;
            j += 1;
        } else {
            return Err(err::SYNTAX);
        }
        j += 1;
    }
    let (key, newkey) = (args.get(1), args.get(2));
    if src_id == dst_id && key == newkey {
        return Err(SAME_OBJECT);
    }
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let src = &mut srv.dbs[src_id];
    // A copy is a fresh object: Redis's `dupStringObject` and friends.
    let val = src.lookup(key, now).cloned();
    count_read(&mut srv.stats, val.is_some());
    let Some(val) = val else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    let deadline = src.expire_at(key);
    let dst = &mut ctx.srv.dbs[dst_id];
    if dst.contains(newkey, now) && !replace {
        ctx.client.reply.int(0);
        return Ok(());
    }
    dst.remove(newkey, now);
    dst.insert(newkey, val, false);
    if let Some(at) = deadline {
        dst.set_expire(newkey, at);
    }
    ctx.modified(dst_id, newkey);
    ctx.notify(ntf::GENERIC, b"copy_to", newkey, dst_id);
    ctx.client.reply.int(1);
    Ok(())
}

/// MOVE key db (Redis's `moveCommand`): succeeds only if the key exists
/// here and not there.
fn move_cmd(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let id = parse_int(ctx.args.get(2), None)?;
    let dst_id = db_index(ctx, id)?;
    let src_id = ctx.client.db;
    if src_id == dst_id {
        return Err(SAME_OBJECT);
    }
    let now = ctx.srv.now_ms;
    let src = &mut ctx.srv.dbs[src_id];
    if src.lookup(key, now).is_none() {
        ctx.client.reply.int(0);
        return Ok(());
    }
    let deadline = src.expire_at(key);
    if ctx.srv.dbs[dst_id].contains(key, now) {
        ctx.client.reply.int(0);
        return Ok(());
    }
    let Some(val) = ctx.srv.dbs[src_id].remove(key, now) else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    let dst = &mut ctx.srv.dbs[dst_id];
    dst.insert(key, val, false);
    if let Some(at) = deadline {
        dst.set_expire(key, at);
    }
    ctx.modified(src_id, key);
    ctx.modified(dst_id, key);
    ctx.notify(ntf::GENERIC, b"move_from", key, src_id);
    ctx.notify(ntf::GENERIC, b"move_to", key, dst_id);
    ctx.client.reply.int(1);
    Ok(())
}

/// SWAPDB a b: clients stay on their index and see the other data, so
/// swapping the two `Db` values is the whole job.
fn swapdb(ctx: &mut Ctx) -> CmdResult {
    let a = parse_int(
        ctx.args.get(1),
        Some(CmdError::new("ERR invalid first DB index")),
    )?;
    let b = parse_int(
        ctx.args.get(2),
        Some(CmdError::new("ERR invalid second DB index")),
    )?;
    let n = ctx.srv.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(err::DB_RANGE);
    }
    if a != b {
        super::multi::touch_swapped(ctx.srv, ctx.client, a as usize, b as usize);
        let (lo, hi) = (a.min(b) as usize, a.max(b) as usize);
        let (left, right) = ctx.srv.dbs.split_at_mut(hi);
        std::mem::swap(&mut left[lo], &mut right[0]);
        // Parked clients stay with their database index, as Redis keeps
        // `blocking_keys`; keys they wait on may now hold data.
        std::mem::swap(&mut left[lo].waiters, &mut right[0].waiters);
        left[lo].rescan_waiters();
        right[0].rescan_waiters();
    }
    ctx.client.reply.ok();
    Ok(())
}

/// Only reached for a subcommand the table does not know, which `execute`
/// already answers; kept so the container has a handler.
fn object_container(ctx: &mut Ctx) -> CmdResult {
    Err(err::unknown_subcommand(ctx.args.get(1), "object"))
}

/// The value OBJECT looks at, or a null reply when the key is missing.
fn object_lookup<'a>(ctx: &'a mut Ctx) -> Option<&'a Value> {
    let now = ctx.srv.now_ms;
    let key = ctx.args.get(2);
    let srv = &mut *ctx.srv;
    // As Redis's objectCommandLookup: no LRU touch, or IDLETIME would
    // always read 0.
    let v = srv.dbs[ctx.client.db].peek(key, now);
    count_read(&mut srv.stats, v.is_some());
    v
}

fn object_encoding(ctx: &mut Ctx) -> CmdResult {
    match object_lookup(ctx).map(|v| v.encoding()) {
        Some(enc) => ctx.client.reply.bulk(enc.as_bytes()),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

/// OBJECT REFCOUNT. Our values are never shared, so the answer is 1,
/// except where Redis would hand out one of its shared integers: a string
/// holding 0..9999 in int encoding reports `INT_MAX` there. (A COPY of
/// such a value is a private object in Redis and reports 1; we cannot tell
/// it apart and report `INT_MAX` too.)
fn object_refcount(ctx: &mut Ctx) -> CmdResult {
    let shared = shares_integers(&ctx.srv.config);
    let rc = match object_lookup(ctx) {
        None => {
            ctx.client.reply.null();
            return Ok(());
        }
        Some(Value::Str(StrVal::Int(n))) if (0..OBJ_SHARED_INTEGERS).contains(n) && shared => {
            OBJ_SHARED_REFCOUNT
        }
        Some(_) => 1,
    };
    ctx.client.reply.int(rc);
    Ok(())
}

/// OBJECT IDLETIME: seconds since the key was last read or written, from
/// the 24-bit LRU clock; refused under an LFU policy, where the field
/// holds the LFU counter instead.
fn object_idletime(ctx: &mut Ctx) -> CmdResult {
    if object_lookup(ctx).is_none() {
        ctx.client.reply.null();
        return Ok(());
    }
    if crate::db::evict::is_lfu(ctx.srv.config.maxmemory_policy) {
        return Err(CmdError::new(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    let now = ctx.srv.now_ms;
    let idle = ctx.srv.dbs[ctx.client.db]
        .idle_ms(ctx.args.get(2), now)
        .unwrap_or(0);
    ctx.client.reply.int((idle / 1000) as i64);
    Ok(())
}

/// OBJECT FREQ: the LFU counter after decay (Redis's `LFUDecrAndReturn`),
/// only under an LFU eviction policy.
fn object_freq(ctx: &mut Ctx) -> CmdResult {
    if object_lookup(ctx).is_none() {
        ctx.client.reply.null();
        return Ok(());
    }
    if crate::db::evict::is_lfu(ctx.srv.config.maxmemory_policy) {
        let now = ctx.srv.now_ms;
        let f = ctx.srv.dbs[ctx.client.db]
            .lru_field(ctx.args.get(2))
            .unwrap_or(0);
        ctx.client
            .reply
            .int(crate::db::evict::lfu_decr_and_return(f, now) as i64);
        return Ok(());
    }
    Err(CmdError::new(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    ))
}

const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

fn object_help(ctx: &mut Ctx) -> CmdResult {
    let reply = &mut ctx.client.reply;
    reply.array(OBJECT_HELP.len());
    for line in OBJECT_HELP {
        reply.simple(line.as_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{opt_eq, parse_cursor};

    #[test]
    fn cursor_parses_like_strtoul() {
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b"+7"), Some(7));
        assert_eq!(parse_cursor(b"007"), Some(7));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b"5\0junk"), Some(5));
        assert_eq!(parse_cursor(b" 1"), None);
        assert_eq!(parse_cursor(b"1 "), None);
        assert_eq!(parse_cursor(b"-"), None);
        assert_eq!(parse_cursor(b"x"), None);
    }

    #[test]
    fn options_compare_like_strcasecmp() {
        assert!(opt_eq(b"CoUnT", b"count"));
        assert!(opt_eq(b"count\0junk", b"count"));
        assert!(!opt_eq(b"counts", b"count"));
        assert!(!opt_eq(b"", b"count"));
    }
}
