//! Clients blocked on keys (Redis 7.0's `blocked.c`).
//!
//! BLPOP, BZPOPMIN, XREAD BLOCK... answer at once when their keys hold
//! data; otherwise the client is *parked*: it gets no reply, its further
//! input is left unread in its buffer (`event_loop::process_input` stops at
//! a parked client), and it waits until one of its keys is fed, its timeout
//! passes, CLIENT UNBLOCK releases it, or it disconnects.
//!
//! ## Bookkeeping, as Redis's
//!
//! * Per database (`Db::waiters`, a [`DbWaiters`]): for each key someone
//!   waits on, the FIFO of parked clients (Redis's `db->blocking_keys`),
//!   and the keys made *ready* since the last serving pass (Redis's
//!   `db->ready_keys` plus the global `server.ready_keys` list; our global
//!   order is a sequence number stamped on each ready key).
//! * A key becomes ready when it is *created* holding a type someone may
//!   wait for (Redis's `signalKeyAsReady`, called from `dbAdd`). The Db
//!   layer does it (`DbWaiters::created`, from `Db::insert` and friends),
//!   so every command that creates a list or sorted set (LPUSH, LMOVE,
//!   ZUNIONSTORE, MOVE, RENAME or COPY to a new name...) readies waiters
//!   without knowing about them. (Redis's RENAME and COPY REPLACE onto an
//!   existing key delete and re-add it, which signals; `Db::rename` and
//!   `Db::insert_with_expire` do the same, a plain `Db::insert` over an
//!   existing key does not.) A push to an existing list needs
//!   no signal: a non-empty list cannot have waiters of its own type. When
//!   nobody is parked in a database, the cost is one `is_empty` test.
//! * Overwriting an existing key (SET-like `dbOverwrite`) does not signal,
//!   as in Redis 7.0; SWAPDB rescans the blocking keys of both databases
//!   (Redis's `scanDatabaseForReadyKeys`).
//! * Timeouts: an ordered set of (deadline, token) (Redis's
//!   `clients_timeout_table` radix tree), checked before the loop sleeps;
//!   the loop's poll timeout is shortened to the nearest deadline.
//!
//! ## Serving ([`serve_ready`], Redis's `handleClientsBlockedOnKeys`)
//!
//! Run after every top-level command (so after EXEC as a whole, never in
//! the middle of a transaction) and before the loop sleeps. Ready keys are
//! taken in the order they were signalled; for each, its waiters in the
//! order they blocked, while the key still exists. A waiter whose type does
//! not match the key's (BLPOP waiting on a key created as a sorted set)
//! stays parked, as in Redis 7.0. Serving can create keys (BLMOVE pushes to
//! its destination), which become ready in turn: the pass repeats until no
//! key is ready. A served client's pending input is then processed
//! (through `read_list`, like Redis's `processUnblockedClients`).
//!
//! ## Plugging a type in
//!
//! A blocking command that finds nothing calls [`park`] with its keys, its
//! deadline ([`parse_timeout`]), the [`BType`] it waits for and a
//! [`ServeFn`]. The serve function is later called with a `Ctx` whose
//! `args` are the command's own saved arguments and with the ready key: it
//! re-reads its options from `args`, pops from *that* key (not the first
//! non-empty one: Redis serves the key that became ready), writes the reply
//! and the keyspace events, and returns true; false leaves the client
//! parked (XREAD when the new entries are not past its ID). Streams
//! (XREAD/XREADGROUP) park with `BType::Stream`, add an arm for their
//! value in [`btype_of`] (then XADD creating a stream signals through the
//! Db), and call `db.waiters.signal(key)` when XADD appends to an existing
//! stream (unlike a list, a stream can have waiters while non-empty).
//! A timed-out client gets the null array (`*-1`, RESP3 `_`), which is
//! Redis 7.0's reply for lists, sorted sets and streams alike.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};

use super::client::Client;
use super::Server;
use crate::commands::{Args, CmdError, Ctx};
use crate::db::object::Value;

/// What a parked client waits for: a key holding this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BType {
    List,
    ZSet,
    Stream,
}

/// The blocking type a value can feed, if any.
#[inline]
pub fn btype_of(v: &Value) -> Option<BType> {
    match v {
        Value::List(_) => Some(BType::List),
        Value::ZSet(_) => Some(BType::ZSet),
        Value::Stream(_) => Some(BType::Stream),
        _ => None,
    }
}

/// Serves a parked client from a ready key: true if it was answered (and
/// is to be unblocked), false to keep it parked.
pub type ServeFn = fn(&mut Ctx, &[u8]) -> bool;

/// A parked client's state (Redis's `c->bpop`).
pub struct Blocked {
    pub db: usize,
    /// The keys, deduplicated, in argument order.
    pub keys: Vec<Vec<u8>>,
    /// Absolute unix ms; 0 waits forever.
    pub deadline_ms: i64,
    pub btype: BType,
    pub serve: ServeFn,
    /// The command's arguments, packed: `buf` and spans into it.
    buf: Vec<u8>,
    spans: Vec<(usize, usize)>,
    /// The command's table index, for INFO commandstats on unblock.
    stat_idx: Option<usize>,
}

impl Blocked {
    /// Bytes of saved arguments (CLIENT LIST `argv-mem`).
    pub fn argv_mem(&self) -> usize {
        self.buf.len()
    }
}

impl std::fmt::Debug for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocked")
            .field("db", &self.db)
            .field("keys", &self.keys)
            .field("deadline_ms", &self.deadline_ms)
            .field("btype", &self.btype)
            .finish()
    }
}

/// Orders ready keys across databases as Redis's one global list does.
static READY_SEQ: AtomicU64 = AtomicU64::new(0);

/// A database's waiters and ready keys.
#[derive(Default)]
pub struct DbWaiters {
    /// Key -> tokens of the clients parked on it, oldest first.
    queues: HashMap<Vec<u8>, VecDeque<usize>>,
    /// Keys signalled since the last serving pass, with their global order.
    ready: Vec<(u64, Vec<u8>)>,
}

impl DbWaiters {
    /// A key was created holding `v` (Redis's `signalKeyAsReady` from
    /// `dbAdd`). Free when nobody waits in this database.
    #[inline]
    pub fn created(&mut self, key: &[u8], v: &Value) {
        if self.queues.is_empty() || btype_of(v).is_none() {
            return;
        }
        self.signal(key);
    }

    /// Queues `key` as ready if someone waits on it and it is not queued.
    pub fn signal(&mut self, key: &[u8]) {
        if !self.queues.contains_key(key) || self.ready.iter().any(|(_, k)| k == key) {
            return;
        }
        let seq = READY_SEQ.fetch_add(1, Ordering::Relaxed);
        self.ready.push((seq, key.to_vec()));
    }

    /// Keys with waiters (SWAPDB rescans them).
    pub fn waited_keys(&self) -> Vec<Vec<u8>> {
        self.queues.keys().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }

    fn add(&mut self, key: &[u8], token: usize) {
        self.queues
            .entry(key.to_vec())
            .or_default()
            .push_back(token);
    }

    fn remove(&mut self, key: &[u8], token: usize) {
        if let Some(q) = self.queues.get_mut(key) {
            if let Some(i) = q.iter().position(|&t| t == token) {
                q.remove(i);
            }
            if q.is_empty() {
                self.queues.remove(key);
            }
        }
    }
}

/// Server-wide blocking state.
#[derive(Default)]
pub struct Blocking {
    /// Parked clients (INFO `blocked_clients`).
    pub count: usize,
    /// (deadline, token) of parked clients with a timeout (INFO
    /// `clients_in_timeout_table`).
    timeouts: BTreeSet<(i64, usize)>,
}

impl Blocking {
    /// Clients with a timeout.
    pub fn timeouts_len(&self) -> usize {
        self.timeouts.len()
    }

    /// The nearest deadline, for the loop's poll timeout.
    pub fn next_deadline(&self) -> Option<i64> {
        self.timeouts.first().map(|&(d, _)| d)
    }
}

/// Redis's `getTimeoutFromObjectOrReply` in seconds: the absolute deadline
/// in unix ms, 0 for "forever". Like Redis, a value whose milliseconds do
/// not fit a 64-bit integer (inf, 1e30) converts as C's cast does on x86,
/// to the most negative integer, and so is "negative".
pub fn parse_timeout(arg: &[u8], now_ms: i64) -> Result<i64, CmdError> {
    let t = crate::util::numbers::parse_f64(arg)
        .ok_or(CmdError::new("ERR timeout is not a float or out of range"))?;
    let ms = t * 1000.0;
    let ms = if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&ms) {
        ms as i64
    } else {
        i64::MIN
    };
    if ms < 0 {
        return Err(CmdError::new("ERR timeout is negative"));
    }
    if ms == 0 {
        return Ok(0);
    }
    if ms > i64::MAX - now_ms {
        return Err(CmdError::new("ERR timeout is out of range"));
    }
    Ok(now_ms + ms)
}

/// True where blocking is not allowed (inside MULTI/EXEC): the command
/// must answer as if its timeout had passed.
#[inline]
pub fn denied(ctx: &Ctx) -> bool {
    ctx.client.multi.in_exec
}

/// Parks the calling client on `keys` (Redis's `blockForKeys`). The
/// command's arguments are saved for `serve`; no reply is written now.
pub fn park(ctx: &mut Ctx, keys: Vec<Vec<u8>>, deadline_ms: i64, btype: BType, serve: ServeFn) {
    let mut uniq: Vec<Vec<u8>> = Vec::with_capacity(keys.len());
    for k in keys {
        if !uniq.contains(&k) {
            uniq.push(k);
        }
    }
    let db = ctx.client.db;
    let token = ctx.client.token;
    for k in &uniq {
        ctx.srv.dbs[db].waiters.add(k, token);
    }
    let mut buf = Vec::new();
    let mut spans = Vec::with_capacity(ctx.args.len());
    for a in ctx.args.iter() {
        spans.push((buf.len(), buf.len() + a.len()));
        buf.extend_from_slice(a);
    }
    if deadline_ms != 0 {
        ctx.srv.blocking.timeouts.insert((deadline_ms, token));
    }
    ctx.srv.blocking.count += 1;
    let stat_idx = ctx.srv.table.lookup(ctx.args.get(0));
    ctx.client.blocked = Some(Box::new(Blocked {
        db,
        keys: uniq,
        deadline_ms,
        btype,
        serve,
        buf,
        spans,
        stat_idx,
    }));
}

/// Forgets `b` in the registries (Redis's `unblockClient` bookkeeping).
fn unregister(srv: &mut Server, token: usize, b: &Blocked) {
    for k in &b.keys {
        srv.dbs[b.db].waiters.remove(k, token);
    }
    if b.deadline_ms != 0 {
        srv.blocking.timeouts.remove(&(b.deadline_ms, token));
    }
    srv.blocking.count = srv.blocking.count.saturating_sub(1);
}

/// Counts the blocked command in INFO commandstats now that it ended
/// (Redis's `updateStatsOnUnblock`): a command that blocked was not
/// counted when it ran.
fn count_call(srv: &mut Server, b: &Blocked, failed: bool) {
    if let Some(i) = b.stat_idx {
        let st = srv.table.stat_mut(i);
        st.calls += 1;
        if failed {
            st.failed_calls += 1;
        }
    }
}

/// After a client left the parked state: send its reply, and run what it
/// pipelined behind the blocking command.
fn resume(srv: &mut Server, c: &mut Client) {
    if !c.in_write_list {
        c.in_write_list = true;
        srv.write_list.push(c.token);
    }
    if !c.in_read_list {
        c.in_read_list = true;
        srv.read_list.push(c.token);
    }
}

/// A disconnecting client is forgotten (from `free_client`).
pub fn unblock_client(srv: &mut Server, c: &mut Client) {
    if let Some(b) = c.blocked.take() {
        unregister(srv, c.token, &b);
    }
}

/// Any ready key waiting to be served?
#[inline]
pub fn pending(srv: &Server) -> bool {
    srv.blocking.count > 0 && srv.dbs.iter().any(|d| !d.waiters.ready.is_empty())
}

/// Serves the clients parked on ready keys (Redis's
/// `handleClientsBlockedOnKeys`). The caller's own client must be in its
/// slab slot.
pub fn serve_ready(srv: &mut Server) {
    loop {
        let mut batch: Vec<(u64, usize, Vec<u8>)> = Vec::new();
        for (i, d) in srv.dbs.iter_mut().enumerate() {
            batch.extend(d.waiters.ready.drain(..).map(|(s, k)| (s, i, k)));
        }
        if batch.is_empty() {
            return;
        }
        batch.sort_unstable_by_key(|e| e.0);
        for (_, db, key) in batch {
            serve_key(srv, db, &key);
        }
    }
}

fn serve_key(srv: &mut Server, db: usize, key: &[u8]) {
    // Walk the queue by position: a served waiter leaves it (the next one
    // moves into its place), a skipped one stays; nobody joins while
    // serving, since no client command runs meanwhile.
    let mut i = 0;
    loop {
        let Some(t) = srv.dbs[db]
            .waiters
            .queues
            .get(key)
            .and_then(|q| q.get(i))
            .copied()
        else {
            return;
        };
        let now = srv.now_ms;
        // A stream waiter is also served when its key is gone or holds
        // another type: XREADGROUP then fails (Redis 7.0's
        // `unblockDeletedStreamReadgroupClients`), XREAD stays parked.
        let vt = srv.dbs[db].peek(key, now).map(btype_of);
        let Some(Some(mut c)) = srv.clients.get_mut(t).map(Option::take) else {
            i += 1;
            continue;
        };
        let matches = c
            .blocked
            .as_ref()
            .is_some_and(|b| b.db == db && (vt == Some(Some(b.btype)) || b.btype == BType::Stream));
        let b = match c.blocked.take() {
            Some(b) if matches => b,
            other => {
                c.blocked = other;
                srv.clients[t] = Some(c);
                i += 1;
                continue;
            }
        };
        let start = std::time::Instant::now();
        let errors_before = srv.stats.total_error_replies;
        let served = {
            let mut ctx = Ctx {
                srv: &mut *srv,
                client: &mut c,
                args: Args::new(&b.buf, &b.spans),
            };
            (b.serve)(&mut ctx, key)
        };
        // Keys the serve created or expired: their events now, as after
        // a command.
        crate::commands::multi::drain_expired(srv, Some(&mut c));
        if served {
            unregister(srv, t, &b);
            let failed = srv.stats.total_error_replies != errors_before;
            count_call(srv, &b, failed);
            if let Some(i) = b.stat_idx {
                let tracking = srv.config.latency_tracking;
                let usec = start.elapsed().as_micros() as u64;
                srv.table.stat_mut(i).add_time(usec, tracking);
            }
            resume(srv, &mut c);
        } else {
            c.blocked = Some(b);
            i += 1;
        }
        srv.clients[t] = Some(c);
    }
}

/// Answers the clients whose timeout passed, then serves ready keys; run
/// before the loop sleeps.
pub fn before_sleep(srv: &mut Server) {
    if srv.blocking.count == 0 {
        return;
    }
    let now = srv.now_ms;
    while let Some(&(d, t)) = srv.blocking.timeouts.first() {
        if d > now {
            break;
        }
        srv.blocking.timeouts.pop_first();
        release(srv, t, Release::Timeout);
    }
    serve_ready(srv);
}

/// How a client leaves the parked state without being served.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Release {
    Timeout,
    /// CLIENT UNBLOCK ... ERROR.
    Error,
}

/// Unblocks the parked client at `token` with a timeout or error reply;
/// false if it was not parked.
fn release(srv: &mut Server, t: usize, how: Release) -> bool {
    let Some(Some(mut c)) = srv.clients.get_mut(t).map(Option::take) else {
        return false;
    };
    let Some(b) = c.blocked.take() else {
        srv.clients[t] = Some(c);
        return false;
    };
    unregister(srv, t, &b);
    match how {
        Release::Timeout => {
            c.reply.null_array();
            count_call(srv, &b, false);
        }
        Release::Error => {
            const MSG: &[u8] = b"UNBLOCKED client unblocked via CLIENT UNBLOCK";
            c.reply.error(MSG);
            srv.stats.count_error(MSG);
            count_call(srv, &b, true);
        }
    }
    resume(srv, &mut c);
    srv.clients[t] = Some(c);
    true
}

/// CLIENT UNBLOCK: releases the parked client with this id; false if no
/// such client is parked.
pub fn unblock_by_id(srv: &mut Server, id: u64, how: Release) -> bool {
    let t = srv
        .clients
        .iter()
        .find(|(_, c)| c.as_ref().is_some_and(|c| c.id == id))
        .map(|(t, _)| t);
    match t {
        Some(t) => release(srv, t, how),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_as_redis() {
        let now = 1_000_000;
        assert_eq!(parse_timeout(b"0", now), Ok(0));
        assert_eq!(parse_timeout(b"1.5", now), Ok(now + 1500));
        assert_eq!(parse_timeout(b"-0.0001", now), Ok(0));
        assert_eq!(parse_timeout(b"0.0001", now), Ok(0));
        let neg = Err(CmdError::new("ERR timeout is negative"));
        assert_eq!(parse_timeout(b"-1", now), neg);
        assert_eq!(parse_timeout(b"inf", now), neg);
        assert_eq!(parse_timeout(b"1e30", now), neg);
        let nf = Err(CmdError::new("ERR timeout is not a float or out of range"));
        assert_eq!(parse_timeout(b"abc", now), nf);
        assert_eq!(parse_timeout(b"", now), nf);
        assert_eq!(parse_timeout(b" 1", now), nf);
        assert_eq!(parse_timeout(b"nan", now), nf);
        assert_eq!(
            parse_timeout(b"5000000000000000", i64::MAX / 2),
            Err(CmdError::new("ERR timeout is out of range"))
        );
    }

    #[test]
    fn ready_keys_are_queued_once_and_only_with_waiters() {
        let mut w = DbWaiters::default();
        let v = Value::List(Box::new(crate::types::list_value::ListVal::new(-2, 0)));
        w.created(b"k", &v);
        assert!(w.ready.is_empty());
        w.add(b"k", 7);
        w.created(b"k", &v);
        w.created(b"k", &v);
        assert_eq!(w.ready.len(), 1);
        w.remove(b"k", 7);
        assert!(w.is_empty());
    }
}
