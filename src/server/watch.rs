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

#[derive(Default)]
pub struct Watches {
    pub keys: HashMap<(usize, Vec<u8>), Vec<usize>>,
}

impl Watches {
    pub fn add(&mut self, db: usize, key: &[u8], token: usize) {
        let v = self.keys.entry((db, key.to_vec())).or_default();
        if !v.contains(&token) {
            v.push(token);
        }
    }

    pub fn remove(&mut self, db: usize, key: &[u8], token: usize) {
        let k = (db, key.to_vec());
        if let Some(v) = self.keys.get_mut(&k) {
            v.retain(|&t| t != token);
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
            .cloned()
            .unwrap_or_default()
    }

    /// Tokens watching any key of `db` (None: every database).
    pub fn watchers_of_db(&self, db: Option<usize>) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for ((d, _), v) in &self.keys {
            if db.is_none_or(|x| x == *d) {
                for &t in v {
                    if !out.contains(&t) {
                        out.push(t);
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
    /// Queued commands flagged denyoom: EXEC is refused as a whole when
    /// memory is over the limit, as Redis does.
    pub has_denyoom: bool,
    /// Set while EXEC runs the queue: queued commands skip the per-command
    /// eviction pass, since EXEC already did it once for all of them.
    pub in_exec: bool,
}
