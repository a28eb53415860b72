//! Watched keys for optimistic transactions (Redis's WATCH half of `multi.c`).
//!
//! Redis keeps, per database, a map key -> clients watching it; any write
//! to the key ("signalModifiedKey") marks those clients CLIENT_DIRTY_CAS so
//! their EXEC fails. Here the map is server-wide, keyed by (db, key), with
//! clients named by slab token; each client also lists its own watched keys
//! so UNWATCH, EXEC and disconnect remove them without a scan.
//!
//! Modification is signalled where it happens, as Redis does: each write
//! command calls `Ctx::changed` / `Ctx::modified` at the exact points where
//! Redis calls `signalModifiedKey`, so a write that changes nothing (SETNX
//! on an existing key, DEL of a missing key, SREM of an absent member,
//! ZADD of an unchanged score) leaves EXEC alone. Keys removed by expiry or
//! eviction are signalled when the Db's logs are drained; FLUSHDB, FLUSHALL
//! and SWAPDB touch the watched keys that exist in the databases they
//! change (`touchAllWatchedKeysInDb`). Write commands not yet converted to
//! the hook (the list family, for now) still touch every key their key
//! specification names (`commands::multi::signal_write`): an
//! over-approximation that can only make an EXEC fail safe.

use std::collections::HashMap;

/// One client watching one key.
pub struct Watcher {
    /// The client's slab token.
    pub token: usize,
    /// The key was already logically expired (still stored, deadline
    /// passed) when WATCH ran: Redis 7.0's `watchedKey.expired`. Deleting
    /// such a key is no change; a key that expires after WATCH is one.
    pub expired: bool,
}

#[derive(Default)]
pub struct Watches {
    pub keys: HashMap<(usize, Vec<u8>), Vec<Watcher>>,
}

impl Watches {
    pub fn add(&mut self, db: usize, key: &[u8], token: usize, expired: bool) {
        let v = self.keys.entry((db, key.to_vec())).or_default();
        if !v.iter().any(|w| w.token == token) {
            v.push(Watcher { token, expired });
        }
    }

    pub fn remove(&mut self, db: usize, key: &[u8], token: usize) {
        let k = (db, key.to_vec());
        if let Some(v) = self.keys.get_mut(&k) {
            v.retain(|w| w.token != token);
            if v.is_empty() {
                self.keys.remove(&k);
            }
        }
    }

    /// Tokens of the clients watching `key` in `db`.
    pub fn watchers(&self, db: usize, key: &[u8]) -> Vec<usize> {
        if self.keys.is_empty() {
            return Vec::new();
        }
        self.keys
            .get(&(db, key.to_vec()))
            .map(|v| v.iter().map(|w| w.token).collect())
            .unwrap_or_default()
    }

    /// Redis's `touchWatchedKey`: the clients a change of `key` in `db`
    /// invalidates. `present` says whether the key is still stored: a key
    /// that was already expired when watched and is now deleted has not
    /// logically changed, so its watchers are spared (and the flag cleared,
    /// a deleted key being no longer "expired").
    pub fn touch(&mut self, db: usize, key: &[u8], present: bool) -> Vec<usize> {
        let mut out = Vec::new();
        if let Some(v) = self.keys.get_mut(&(db, key.to_vec())) {
            for w in v.iter_mut() {
                if w.expired && !present {
                    w.expired = false;
                    continue;
                }
                out.push(w.token);
            }
        }
        out
    }

    /// Whether client `token` watched `key` in `db` while it was expired.
    pub fn watched_expired(&self, db: usize, key: &[u8], token: usize) -> bool {
        self.keys
            .get(&(db, key.to_vec()))
            .is_some_and(|v| v.iter().any(|w| w.token == token && w.expired))
    }

    /// Tokens watching any key of `db` (None: every database).
    pub fn watchers_of_db(&self, db: Option<usize>) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for ((d, _), v) in &self.keys {
            if db.is_none_or(|x| x == *d) {
                for w in v {
                    if !out.contains(&w.token) {
                        out.push(w.token);
                    }
                }
            }
        }
        out
    }
}

/// A client's transaction state.
#[derive(Default)]
pub struct MultiState {
    /// Inside MULTI: the queued commands (each argv owned).
    pub queue: Option<Vec<Vec<Vec<u8>>>>,
    /// A queueing error happened: EXEC answers EXECABORT.
    pub aborted: bool,
    /// A watched key changed: EXEC answers a null array.
    pub dirty: bool,
    /// The keys this client watches, as (db, key).
    pub watched: Vec<(usize, Vec<u8>)>,
    /// Queued commands flagged write (CLIENT PAUSE WRITE holds such EXECs).
    pub has_write: bool,
    /// Queued commands flagged may-replicate (PUBLISH...): CLIENT PAUSE
    /// WRITE holds such EXECs too.
    pub has_may_replicate: bool,
    /// Queued commands flagged denyoom: EXEC is refused as a whole when
    /// memory is over the limit, as Redis does.
    pub has_denyoom: bool,
    /// Set while EXEC runs the queue: queued commands skip the per-command
    /// eviction pass, since EXEC already did it once for all of them.
    pub in_exec: bool,
    /// While EXEC runs: the queue's length and `multi_mem`, and EXEC's own
    /// argv bytes, which CLIENT LIST keeps showing as Redis does (its
    /// transaction state lives until EXEC returns).
    pub exec_shown: (usize, usize, usize),
}

impl MultiState {
    /// Redis 7.0's `multi-mem`: per queued command its argument bytes plus
    /// one argv pointer per argument.
    pub fn queued_mem(queue: &[Vec<Vec<u8>>]) -> usize {
        queue
            .iter()
            .map(|argv| argv.iter().map(|a| a.len() + 8).sum::<usize>())
            .sum()
    }

    /// CLIENT LIST's `multi=` (-1 outside a transaction) and `multi-mem=`.
    pub fn shown(&self) -> (i64, usize) {
        match &self.queue {
            Some(q) => (q.len() as i64, Self::queued_mem(q)),
            None if self.in_exec => (self.exec_shown.0 as i64, self.exec_shown.1),
            None => (-1, 0),
        }
    }
}
