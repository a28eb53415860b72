//! Transactions (Redis's `multi.c`): MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! After MULTI, `execute` queues each command (replying +QUEUED) instead of
//! running it; a command refused while queueing (unknown, wrong arity,
//! not allowed in a transaction) marks the transaction aborted and EXEC
//! then answers EXECABORT. EXEC runs the queue through `execute` again, one
//! command after the other, so each is counted in commandstats as Redis
//! counts it, and nothing else can run in between: the server has a single
//! thread. WATCH is optimistic locking: a real change to a watched key
//! (signalled by the write command itself through `Ctx::changed`, or by
//! expiry, eviction and flushes) marks every client watching it dirty and
//! its EXEC answers a null array. `signal_write` is the coarse fallback for
//! write commands that do not signal their own changes yet.

use super::table::{flags::*, CommandDef};
use super::{Args, CmdError, CmdResult, Ctx};
use crate::server::client::Client;
use crate::server::Server;

pub static COMMANDS: &[CommandDef] = &[
    CommandDef::new(
        "multi",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        multi,
    )
    .acl("fast transaction")
    .group("transactions")
    .since("1.2.0"),
    CommandDef::new("exec", 1, NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG, exec)
        .acl("slow transaction")
        .group("transactions")
        .since("1.2.0"),
    CommandDef::new(
        "discard",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        discard,
    )
    .acl("fast transaction")
    .group("transactions")
    .since("2.0.0"),
    CommandDef::new(
        "watch",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        watch,
    )
    .keys(1, -1, 1)
    .acl("fast transaction")
    .group("transactions")
    .since("2.2.0"),
    CommandDef::new(
        "unwatch",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        unwatch,
    )
    .acl("fast transaction")
    .group("transactions")
    .since("2.2.0"),
];

/// Commands that run immediately even inside MULTI.
pub fn runs_in_multi(name: &str) -> bool {
    matches!(
        name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

fn multi(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.queue.is_some() {
        return Err(CmdError::new("ERR MULTI calls can not be nested"));
    }
    ctx.client.multi.queue = Some(Vec::new());
    ctx.client.multi.aborted = false;
    ctx.client.multi.has_write = false;
    ctx.client.multi.has_denyoom = false;
    ctx.client.multi.has_may_replicate = false;
    ctx.client.reply.ok();
    Ok(())
}

/// Leaves MULTI state and drops every watch (Redis's discardTransaction).
pub fn discard_transaction(srv: &mut Server, client: &mut Client) {
    client.multi.queue = None;
    client.multi.aborted = false;
    client.multi.has_write = false;
    client.multi.has_denyoom = false;
    client.multi.has_may_replicate = false;
    unwatch_all(srv, client);
}

pub fn unwatch_all(srv: &mut Server, client: &mut Client) {
    for (db, key) in std::mem::take(&mut client.multi.watched) {
        srv.watches.remove(db, &key, client.token);
    }
    client.multi.dirty = false;
}

fn exec(ctx: &mut Ctx) -> CmdResult {
    let Some(queue) = ctx.client.multi.queue.take() else {
        return Err(CmdError::new("ERR EXEC without MULTI"));
    };
    if ctx.client.multi.aborted {
        discard_transaction(ctx.srv, ctx.client);
        return Err(CmdError::new(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if ctx.client.multi.dirty || watched_key_expired(ctx.srv, ctx.client) {
        discard_transaction(ctx.srv, ctx.client);
        ctx.client.reply.null_array();
        return Ok(());
    }
    discard_transaction(ctx.srv, ctx.client);
    ctx.client.reply.array(queue.len());
    let mut buf = Vec::new();
    let mut spans = Vec::new();
    ctx.client.multi.in_exec = true;
    ctx.client.multi.exec_shown = (
        queue.len(),
        crate::server::watch::MultiState::queued_mem(&queue),
        ctx.args.iter().map(|a| a.len()).sum(),
    );
    for argv in queue {
        buf.clear();
        spans.clear();
        for a in &argv {
            let s = buf.len();
            buf.extend_from_slice(a);
            spans.push((s, buf.len()));
        }
        super::execute(ctx.srv, ctx.client, Args::new(&buf, &spans));
    }
    ctx.client.multi.in_exec = false;
    Ok(())
}

fn discard(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.queue.is_none() {
        return Err(CmdError::new("ERR DISCARD without MULTI"));
    }
    discard_transaction(ctx.srv, ctx.client);
    ctx.client.reply.ok();
    Ok(())
}

fn watch(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.queue.is_some() {
        return Err(CmdError::new("ERR WATCH inside MULTI is not allowed"));
    }
    let db = ctx.client.db;
    for i in 1..ctx.args.len() {
        let key = ctx.args.get(i);
        if ctx
            .client
            .multi
            .watched
            .iter()
            .any(|(d, k)| *d == db && k == key)
        {
            continue;
        }
        ctx.client.multi.watched.push((db, key.to_vec()));
        let expired = key_is_expired(ctx.srv, db, key);
        ctx.srv.watches.add(db, key, ctx.client.token, expired);
    }
    ctx.client.reply.ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx) -> CmdResult {
    unwatch_all(ctx.srv, ctx.client);
    ctx.client.reply.ok();
    Ok(())
}

fn mark_dirty(srv: &mut Server, client: &mut Client, tokens: Vec<usize>) {
    for t in tokens {
        if t == client.token {
            client.multi.dirty = true;
        } else if let Some(Some(c)) = srv.clients.get_mut(t) {
            c.multi.dirty = true;
        }
    }
}

/// Redis's `keyIsExpired`: the key is still stored but its deadline has
/// passed (only lazy or active expiry has not deleted it yet).
fn key_is_expired(srv: &Server, db: usize, key: &[u8]) -> bool {
    let now = srv.now_ms;
    srv.dbs
        .get(db)
        .and_then(|d| d.expire_at(key))
        .is_some_and(|at| at <= now)
}

/// Whether `key` is stored in `db`, expired or not (Redis's `dictFind`).
fn present(srv: &mut Server, db: usize, key: &[u8]) -> bool {
    srv.dbs
        .get_mut(db)
        .is_some_and(|d| d.lru_field(key).is_some())
}

/// Redis's `isWatchedKeyExpired`, checked by EXEC: a key that was alive
/// when watched and has expired since (even if nothing deleted it yet)
/// fails the transaction.
fn watched_key_expired(srv: &Server, client: &Client) -> bool {
    client.multi.watched.iter().any(|(db, key)| {
        !srv.watches.watched_expired(*db, key, client.token) && key_is_expired(srv, *db, key)
    })
}

/// Redis's `signalModifiedKey`, for one key.
pub fn touch_key(srv: &mut Server, client: &mut Client, db: usize, key: &[u8]) {
    if srv.watches.keys.is_empty() {
        return;
    }
    let is_present = present(srv, db, key);
    let w = srv.watches.touch(db, key, is_present);
    mark_dirty(srv, client, w);
}

/// Redis's `touchAllWatchedKeysInDb(emptied, replaced_with)`: the clients
/// watching a key of `emptied` that is stored there or in `replaced_with`,
/// with Redis 7.0's care for expired keys (a key watched while expired that
/// simply goes away is no change; a missing key replaced by an expired one
/// becomes "watched while expired").
fn touch_all_in_db(srv: &mut Server, emptied: usize, replaced_with: Option<usize>) -> Vec<usize> {
    let keys: Vec<Vec<u8>> = srv
        .watches
        .keys
        .keys()
        .filter(|(d, _)| *d == emptied)
        .map(|(_, k)| k.clone())
        .collect();
    let mut out = Vec::new();
    for k in keys {
        let in_emptied = present(srv, emptied, &k);
        let in_replaced = replaced_with.is_some_and(|r| present(srv, r, &k));
        if !in_emptied && !in_replaced {
            continue;
        }
        let replaced_expired = replaced_with.is_some_and(|r| key_is_expired(srv, r, &k));
        let Some(ws) = srv.watches.keys.get_mut(&(emptied, k)) else {
            continue;
        };
        for w in ws.iter_mut() {
            if w.expired {
                if !in_replaced {
                    w.expired = false;
                    continue;
                } else if replaced_expired {
                    continue;
                }
            } else if !in_emptied && replaced_expired {
                w.expired = true;
                continue;
            }
            out.push(w.token);
        }
    }
    out
}

/// Before FLUSHDB/FLUSHALL run: the clients whose watched keys they
/// change. Marked dirty once the command ran.
pub fn before_flush(srv: &mut Server, client: &Client, def: &CommandDef) -> Vec<usize> {
    if srv.watches.keys.is_empty() {
        return Vec::new();
    }
    match def.name {
        "flushdb" => touch_all_in_db(srv, client.db, None),
        "flushall" => (0..srv.dbs.len())
            .flat_map(|d| touch_all_in_db(srv, d, None))
            .collect(),
        _ => Vec::new(),
    }
}

/// SWAPDB a b, before the swap: each database's watched keys see the
/// other's contents arrive.
pub fn touch_swapped(srv: &mut Server, client: &mut Client, a: usize, b: usize) {
    if srv.watches.keys.is_empty() {
        return;
    }
    let mut out = touch_all_in_db(srv, a, Some(b));
    out.extend(touch_all_in_db(srv, b, Some(a)));
    mark_dirty(srv, client, out);
}

/// Marks the clients `before_flush` found.
pub fn after_flush(srv: &mut Server, client: &mut Client, tokens: Vec<usize>) {
    mark_dirty(srv, client, tokens);
}

/// Write commands that signal their own changes through
/// `Ctx::changed`/`Ctx::modified`, exactly where Redis calls
/// `signalModifiedKey` (so a no-op write, such as SETNX on an existing key
/// or SREM of a missing member, leaves WATCH alone as in Redis). Named one
/// by one rather than by group, so a command added later to a converted
/// family stays on the safe generic path until it calls the hook itself.
const PRECISE: &[&str] = &[
    // strings
    "set",
    "setnx",
    "setex",
    "psetex",
    "getset",
    "getdel",
    "getex",
    "mset",
    "msetnx",
    "incr",
    "decr",
    "incrby",
    "decrby",
    "incrbyfloat",
    "append",
    "setrange",
    // bitmaps
    "setbit",
    "bitop",
    "bitfield",
    // keyspace
    "del",
    "unlink",
    "rename",
    "renamenx",
    "copy",
    "move",
    "expire",
    "pexpire",
    "expireat",
    "pexpireat",
    "persist",
    "flushdb",
    "flushall",
    "swapdb",
    // hashes
    "hset",
    "hmset",
    "hsetnx",
    "hdel",
    "hincrby",
    "hincrbyfloat",
    // sets
    "sadd",
    "srem",
    "smove",
    "spop",
    "sunionstore",
    "sdiffstore",
    "sinterstore",
    // sorted sets
    "zadd",
    "zincrby",
    "zrem",
    "zremrangebyrank",
    "zremrangebyscore",
    "zremrangebylex",
    "zpopmin",
    "zpopmax",
    "zmpop",
    "zunionstore",
    "zinterstore",
    "zdiffstore",
    "zrangestore",
    "bzpopmin",
    "bzpopmax",
    "bzmpop",
    // lists
    "lpush",
    "rpush",
    "lpushx",
    "rpushx",
    "linsert",
    "lset",
    "lrem",
    "ltrim",
    "lpop",
    "rpop",
    "lmpop",
    "lmove",
    "rpoplpush",
    "blpop",
    "brpop",
    "blmpop",
    "blmove",
    "brpoplpush",
];

/// After a write command ran: for the families not yet converted to the
/// precise per-command hook (any family added later), touches
/// every key its key specification names, whether or not it changed:
/// safe, since a spurious invalidation only makes an EXEC fail.
pub fn signal_write(srv: &mut Server, client: &mut Client, def: &CommandDef, args: Args) {
    if srv.watches.keys.is_empty() || PRECISE.contains(&def.name) {
        return;
    }
    let (first, last, step) = def.keys;
    if first <= 0 || step <= 0 {
        return;
    }
    let n = args.len() as i32;
    let last = if last < 0 { n + last } else { last };
    let mut i = first;
    while i <= last && i < n {
        let db = client.db;
        touch_key(srv, client, db, args.get(i as usize));
        i += step;
    }
}

/// With the `m` class on, the arguments (by index) naming keys that do not
/// exist before the command runs: the candidates for its `keymiss` events.
/// Empty (no allocation) otherwise.
pub fn absent_keys(srv: &mut Server, client: &Client, def: &CommandDef, args: Args) -> Vec<usize> {
    let mut out = Vec::new();
    if srv.config.notify_keyspace_events & crate::server::notify::KEY_MISS == 0 {
        return out;
    }
    // OBJECT looks keys up without notifying (Redis's LOOKUP_NONOTIFY).
    if matches!(def.name, "encoding" | "freq" | "idletime" | "refcount") {
        return out;
    }
    let (db, now) = (client.db, srv.now_ms);
    let mut check = |i: usize| {
        if i < args.len() && !srv.dbs[db].contains(args.get(i), now) {
            out.push(i);
        }
    };
    // Movable keys: the numkeys forms that read their keys.
    let numkeys_at = match def.name {
        "zunion" | "zinter" | "zdiff" | "sintercard" | "zintercard" => 1,
        "zunionstore" | "zinterstore" | "zdiffstore" => 2,
        _ => 0,
    };
    if numkeys_at > 0 {
        if numkeys_at == 2 {
            check(1);
        }
        let n = crate::util::numbers::parse_i64(args.get(numkeys_at)).unwrap_or(0);
        let n = n.clamp(0, args.len() as i64) as usize;
        for i in numkeys_at + 1..(numkeys_at + 1 + n).min(args.len()) {
            check(i);
        }
        return out;
    }
    let (first, last, step) = def.keys;
    if first <= 0 || step <= 0 {
        return out;
    }
    let count = args.len() as i32;
    let last = if last < 0 { count + last } else { last };
    let mut i = first;
    while i <= last && i < count {
        check(i as usize);
        i += step;
    }
    out
}

/// The `keymiss` events of a command whose lookups missed `n` times.
/// Redis publishes them from `lookupKeyRead` itself; rather than hooking
/// every read path, the server notices that the miss counter moved and
/// names `n` of the keys that were absent before the command: the first
/// ones for a read command (keys are read in argument order), the last
/// ones for a write command (its key specification starts with the
/// destination, which is written, not read; COPY reads its first key).
pub fn notify_misses(
    srv: &mut Server,
    client: &mut Client,
    def: &CommandDef,
    args: Args,
    absent: Vec<usize>,
    n: u64,
) {
    use super::table::flags::READONLY;
    let n = (n as usize).min(absent.len());
    let picked = if def.flags & READONLY != 0 || def.name == "copy" {
        &absent[..n]
    } else {
        &absent[absent.len() - n..]
    };
    let db = client.db;
    for &i in picked {
        let class = crate::server::notify::KEY_MISS;
        crate::server::notify::notify(srv, Some(client), class, b"keymiss", args.get(i), db);
    }
}

/// Takes the keys every Db removed by expiry or eviction, publishes their
/// `expired`/`evicted` events and invalidates their watchers. Run after
/// each command, each eviction pass and each active expiry cycle.
pub fn drain_expired(srv: &mut Server, client: Option<&mut Client>) {
    if !crate::db::keyspace::take_logged() {
        return;
    }
    let mut client = client;
    for db in 0..srv.dbs.len() {
        for which in 0..3 {
            let d = &mut srv.dbs[db];
            let log = match which {
                0 => &mut d.expired_log,
                1 => &mut d.evicted_log,
                _ => &mut d.new_log,
            };
            if log.is_empty() {
                continue;
            }
            let keys = std::mem::take(log);
            let (class, event): (u32, &[u8]) = match which {
                0 => (crate::server::notify::EXPIRED, b"expired"),
                1 => (crate::server::notify::EVICTED, b"evicted"),
                _ => (crate::server::notify::NEW, b"new"),
            };
            for k in &keys {
                crate::server::notify::notify(srv, client.as_deref_mut(), class, event, k, db);
            }
            // A created key is no modification by itself: the command that
            // created it signals it (Redis's dbAdd does not touch WATCH).
            if which == 2 || srv.watches.keys.is_empty() {
                continue;
            }
            for k in keys {
                // Redis signals the deleted key (deleteExpiredKeyAndPropagate,
                // eviction): no change for a client that watched it expired.
                for t in srv.watches.touch(db, &k, false) {
                    match client.as_deref_mut() {
                        Some(c) if c.token == t => c.multi.dirty = true,
                        _ => {
                            if let Some(Some(c)) = srv.clients.get_mut(t) {
                                c.multi.dirty = true;
                            }
                        }
                    }
                }
            }
        }
    }
}
