//! Transactions (Redis's `multi.c`): MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! After MULTI, `execute` queues each command (replying +QUEUED) instead of
//! running it; a command refused while queueing (unknown, wrong arity,
//! not allowed in a transaction) marks the transaction aborted and EXEC
//! then answers EXECABORT. EXEC runs the queue through `execute` again, one
//! command after the other, so each is counted in commandstats as Redis
//! counts it, and nothing else can run in between: the server has a single
//! thread. WATCH is optimistic locking: `signal_write` marks every client
//! watching a written key dirty and its EXEC answers a null array.

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
    ctx.client.reply.ok();
    Ok(())
}

/// Leaves MULTI state and drops every watch (Redis's discardTransaction).
pub fn discard_transaction(srv: &mut Server, client: &mut Client) {
    client.multi.queue = None;
    client.multi.aborted = false;
    client.multi.has_write = false;
    client.multi.has_denyoom = false;
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
    if ctx.client.multi.dirty {
        discard_transaction(ctx.srv, ctx.client);
        ctx.client.reply.null_array();
        return Ok(());
    }
    discard_transaction(ctx.srv, ctx.client);
    ctx.client.reply.array(queue.len());
    let mut buf = Vec::new();
    let mut spans = Vec::new();
    ctx.client.multi.in_exec = true;
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
        ctx.srv.watches.add(db, key, ctx.client.token);
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

/// Redis's `signalModifiedKey`, for one key.
pub fn touch_key(srv: &mut Server, client: &mut Client, db: usize, key: &[u8]) {
    if srv.watches.keys.is_empty() {
        return;
    }
    let w = srv.watches.watchers(db, key);
    mark_dirty(srv, client, w);
}

/// Before FLUSHDB/FLUSHALL/SWAPDB run: the clients watching a key that
/// exists now (Redis's `touchAllWatchedKeysInDb` only touches keys the
/// emptied or swapped database holds). Marked dirty once the command ran.
pub fn before_flush(srv: &mut Server, client: &Client, def: &CommandDef) -> Vec<usize> {
    if srv.watches.keys.is_empty() {
        return Vec::new();
    }
    let only = match def.name {
        "flushdb" => Some(client.db),
        "flushall" | "swapdb" => None,
        _ => return Vec::new(),
    };
    let now = srv.now_ms;
    let mut out = Vec::new();
    let keys: Vec<(usize, Vec<u8>, Vec<usize>)> = srv
        .watches
        .keys
        .iter()
        .filter(|((d, _), _)| only.is_none_or(|x| x == *d))
        .map(|((d, k), v)| (*d, k.clone(), v.clone()))
        .collect();
    for (d, k, v) in keys {
        let exists = if def.name == "swapdb" {
            srv.dbs.iter_mut().any(|db| db.contains(&k, now))
        } else {
            srv.dbs.get_mut(d).is_some_and(|db| db.contains(&k, now))
        };
        if exists {
            out.extend(v);
        }
    }
    out
}

/// Marks the clients `before_flush` found.
pub fn after_flush(srv: &mut Server, client: &mut Client, tokens: Vec<usize>) {
    mark_dirty(srv, client, tokens);
}

/// After a write command ran: signals the keys its key specification names,
/// and the whole databases FLUSHDB/FLUSHALL/SWAPDB change.
pub fn signal_write(srv: &mut Server, client: &mut Client, def: &CommandDef, args: Args) {
    if srv.watches.keys.is_empty() {
        return;
    }
    match def.name {
        "flushdb" | "flushall" | "swapdb" => return,
        "move" => {
            if let Some(d) = crate::util::numbers::parse_i64(args.get(2)) {
                if d >= 0 {
                    touch_key(srv, client, d as usize, args.get(1));
                }
            }
        }
        _ => {}
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

/// Takes the keys every Db removed by expiry or eviction, publishes their
/// `expired`/`evicted` events and invalidates their watchers. Run after
/// each command, each eviction pass and each active expiry cycle.
pub fn drain_expired(srv: &mut Server, client: Option<&mut Client>) {
    let mut client = client;
    for db in 0..srv.dbs.len() {
        for evicted in [false, true] {
            let d = &mut srv.dbs[db];
            let log = if evicted {
                &mut d.evicted_log
            } else {
                &mut d.expired_log
            };
            if log.is_empty() {
                continue;
            }
            let keys = std::mem::take(log);
            let (class, event): (u32, &[u8]) = if evicted {
                (crate::server::notify::EVICTED, b"evicted")
            } else {
                (crate::server::notify::EXPIRED, b"expired")
            };
            for k in &keys {
                crate::server::notify::notify(srv, client.as_deref_mut(), class, event, k, db);
            }
            if srv.watches.keys.is_empty() {
                continue;
            }
            for k in keys {
                for t in srv.watches.watchers(db, &k) {
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
