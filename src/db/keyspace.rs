//! One database: keys, values and deadlines (Redis's `db.c`).
//!
//! Every read and every write goes through `lookup`/`lookup_mut`, which check
//! the key's deadline first and delete it if it has passed: this is the lazy
//! half of expiry, and it is why a client can never see an expired key even
//! if the active half has not reached it yet.
//!
//! ## Layout
//!
//! * `dict`: our hash table (`db::dict`), one allocation per key holding the
//!   key, the value, the 24-bit LRU clock and, for volatile keys only, the
//!   deadline. Redis keeps deadlines in a second dict (`db->expires`) and
//!   looks there on every access; here the deadline sits in the entry the
//!   lookup already found.
//! * `wheel`: the active-expiry schedule (`server::timer`), one 16-byte
//!   entry (deadline, key hash) per volatile key. Entries are not removed
//!   when a key is deleted, persisted or given a later deadline: the expiry
//!   tick (`db::expire`) validates each entry against the keys of its hash
//!   bucket when it fires. The invariant it relies on: **every volatile key
//!   has a wheel entry at or before its deadline.** `set_expire` therefore
//!   adds an entry only when the key had no deadline or gets an earlier one,
//!   and a fired entry whose key is not yet due reschedules it; so refreshing
//!   a TTL on every access (session caches) does not pile up entries.
//! * `garbage`: tables emptied by FLUSHDB/FLUSHALL, freed a slice at a
//!   time by the cron and before the loop sleeps (see `Db::clear`).
//!
//! The LRU clock is Redis's: seconds, modulo 2^24 (`LRU_CLOCK_RESOLUTION`
//! 1000 ms), stamped on the entry by every `lookup`/`lookup_mut`/`insert`
//! (`insert` uses the clock cached by the last lookup or expiry cycle).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::dict::{hash_key, Dict, DictStats, EntryRef, LRU_MASK};
use super::object::Value;
use crate::server::timer::{Step, Wheel};

/// The 24-bit LRU clock for `now_ms` (Redis's `LRU_CLOCK()`).
#[inline]
pub fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / 1000) as u64 & LRU_MASK as u64) as u32
}

/// Wheel time for a deadline (negative deadlines are simply due).
#[inline]
fn wheel_time(at: i64) -> u64 {
    at.max(0) as u64
}

/// Set while CLIENT PAUSE holds writes: expired keys read as missing but
/// are not deleted, and active expiry waits, as in Redis 7.0 (a paused
/// server must not change its dataset, so that a failover can rely on it).
static EXPIRY_HELD: AtomicBool = AtomicBool::new(false);

pub fn hold_expiry(on: bool) {
    EXPIRY_HELD.store(on, Ordering::Relaxed);
}

#[inline]
pub fn expiry_held() -> bool {
    EXPIRY_HELD.load(Ordering::Relaxed)
}

/// Set whenever a Db appends to one of its key logs (expired, evicted,
/// new), so the server's drain after every command costs one load when
/// nothing happened instead of a visit to all sixteen databases.
static KEY_LOGS: AtomicBool = AtomicBool::new(false);

#[inline]
pub fn mark_logged() {
    KEY_LOGS.store(true, Ordering::Relaxed);
}

/// True (once) if some log may hold keys since the last call.
#[inline]
pub fn take_logged() -> bool {
    KEY_LOGS.swap(false, Ordering::Relaxed)
}

/// Tables larger than this are freed incrementally after a flush.
const LAZY_FREE_THRESHOLD: usize = 64 * 1024;

/// What one active-expiry run on a database did.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExpireRun {
    /// Wheel entries examined.
    pub checked: u64,
    /// Keys deleted.
    pub expired: u64,
    /// Entries that deleted nothing (key gone, persisted or re-expired).
    pub stale: u64,
    /// The time budget ran out with due entries left.
    pub timed_out: bool,
}

#[derive(Default)]
pub struct Db {
    dict: Dict<Value>,
    wheel: Wheel<u64>,
    garbage: Vec<Dict<Value>>,
    /// The LRU clock, cached: the cron refreshes it `hz` times a second
    /// (`set_lru_clock`), as Redis's `serverCron` refreshes
    /// `server.lruclock`. Every reader uses this one copy: lookups and
    /// writes stamp it on the key, and OBJECT IDLETIME, DEBUG OBJECT and
    /// eviction subtract the key's stamp from it. A fresh clock on one
    /// side and the cached one on the other would disagree by a second
    /// whenever a second boundary falls between the last tick and now.
    clock: u32,
    /// Keys deleted because their deadline passed (INFO expired_keys).
    pub expired_keys: u64,
    /// Keys removed by lazy or active expiry since the server last drained
    /// this list (`commands::multi::drain_expired`): the Db knows nothing of
    /// clients, so WATCH invalidation (and later `expired` notifications)
    /// happen server side.
    pub expired_log: Vec<Vec<u8>>,
    /// Keys removed by memory eviction, drained the same way (`evicted`
    /// notifications, WATCH invalidation).
    pub evicted_log: Vec<Vec<u8>>,
    /// Clients parked on keys of this database and the keys made ready
    /// for them (`server::blocking`): creating a list or sorted set
    /// signals its waiters.
    pub waiters: crate::server::blocking::DbWaiters,
    /// Keys created (Redis's `dbAdd`), logged only while the `n` class of
    /// notify-keyspace-events is on, drained the same way into `new` events.
    pub new_log: Vec<Vec<u8>>,
}

impl Db {
    pub fn new() -> Db {
        let mut db = Db::default();
        db.dict.set_memory_guard(true);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        db.clock = lru_clock(now);
        db
    }

    /// Caches the LRU clock for `now` (the cron's tick).
    pub fn set_lru_clock(&mut self, now: i64) {
        self.clock = lru_clock(now);
    }

    /// The cached LRU clock.
    pub fn lru_clock(&self) -> u32 {
        self.clock
    }

    pub fn len(&self) -> usize {
        self.dict.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// Keys with a deadline.
    pub fn volatile_len(&self) -> usize {
        self.dict.volatile_len()
    }

    /// Average remaining TTL of the volatile keys in ms, 0 if none (INFO
    /// keyspace `avg_ttl`). Exact, from the sum of deadlines the table
    /// keeps, where Redis keeps a running estimate from its expiry samples.
    pub fn avg_ttl(&self, now: i64) -> i64 {
        self.dict
            .mean_deadline()
            .map_or(0, |m| m.saturating_sub(now).max(0))
    }

    /// Table sizes, for DEBUG HTSTATS-like reports.
    pub fn dict_stats(&self) -> DictStats {
        self.dict.stats()
    }

    /// Prefetches the buckets, then the first entries, that the commands
    /// waiting in a client's query buffer will look up (see
    /// `server::event_loop::prefetch_pipeline`). Only on a large table,
    /// where those lookups would miss the cache, and only for two commands
    /// or more, whose misses can overlap.
    pub fn prefetch_keys(&self, pending: &[u8]) {
        const MAX: usize = 16;
        if !self.dict.is_large() {
            return;
        }
        let mut hashes = [0u64; MAX];
        let mut n = 0;
        crate::protocol::parser::peek_keys(pending, MAX, |key| {
            hashes[n] = hash_key(key);
            n += 1;
        });
        if n < 2 {
            return;
        }
        for &h in &hashes[..n] {
            self.dict.prefetch_bucket(h);
        }
        for &h in &hashes[..n] {
            self.dict.prefetch_head(h);
        }
    }

    /// Bytes of bucket arrays and wheel slots: the keyspace's own overhead
    /// beyond the entries (for INFO memory breakdowns).
    pub fn overhead_bytes(&self) -> usize {
        self.dict.bucket_bytes() + self.wheel.heap_bytes()
    }

    /// Deletes `key` if its deadline is at or before `now` (ms). True if it did.
    pub fn expire_if_needed(&mut self, key: &[u8], now: i64) -> bool {
        match self.dict.find_mut(key) {
            Some(e) if e.deadline().is_some_and(|at| at <= now) && !expiry_held() => {
                e.remove();
                self.expired_keys += 1;
                self.expired_log.push(key.to_vec());
                mark_logged();
                if !self.waiters.is_empty() {
                    self.waiters.signal(key);
                }
                true
            }
            _ => false,
        }
    }

    /// The live value of `key`, refreshing its LRU clock.
    pub fn lookup(&mut self, key: &[u8], now: i64) -> Option<&Value> {
        self.lookup_mut(key, now).map(|v| &*v)
    }

    /// The live value of `key` for modification, refreshing its LRU clock.
    pub fn lookup_mut(&mut self, key: &[u8], now: i64) -> Option<&mut Value> {
        let mut e = self.dict.find_mut(key)?;
        if e.deadline().is_some_and(|at| at <= now) {
            if expiry_held() {
                return None;
            }
            e.remove();
            self.expired_keys += 1;
            self.expired_log.push(key.to_vec());
            mark_logged();
            if !self.waiters.is_empty() {
                self.waiters.signal(key);
            }
            return None;
        }
        if !super::evict::no_touch() {
            let field = super::evict::touch(e.lru(), self.clock, now);
            e.set_lru(field);
        }
        Some(e.into_value_mut())
    }

    /// The live value without touching its LRU clock (TYPE, OBJECT, DEBUG
    /// and the like must not make a key look recently used).
    pub fn peek(&mut self, key: &[u8], now: i64) -> Option<&Value> {
        let e = self.dict.find_mut(key)?;
        if e.deadline().is_some_and(|at| at <= now) {
            if expiry_held() {
                return None;
            }
            e.remove();
            self.expired_keys += 1;
            self.expired_log.push(key.to_vec());
            mark_logged();
            if !self.waiters.is_empty() {
                self.waiters.signal(key);
            }
            return None;
        }
        Some(e.into_value())
    }

    /// Seconds since the key was last used, by the cached clock, without
    /// looking at its deadline (DEBUG OBJECT shows even a key that is due).
    pub fn idle_secs_raw(&mut self, key: &[u8]) -> Option<u64> {
        let lru = self.dict.find_mut(key)?.lru();
        Some(super::evict::idle_ms(lru, self.clock) / 1000)
    }

    /// The raw 24-bit LRU/LFU field of `key` (OBJECT FREQ, eviction).
    pub fn lru_field(&mut self, key: &[u8]) -> Option<u32> {
        Some(self.dict.find_mut(key)?.lru())
    }

    /// Milliseconds since the key was last used (OBJECT IDLETIME × 1000),
    /// at LRU clock resolution.
    pub fn idle_ms(&mut self, key: &[u8], now: i64) -> Option<u64> {
        self.peek(key, now)?;
        self.idle_secs_raw(key).map(|s| s * 1000)
    }

    pub fn contains(&mut self, key: &[u8], now: i64) -> bool {
        self.peek(key, now).is_some()
    }

    /// Stores `val` under `key`, replacing any old value; the old deadline
    /// goes away unless `keep_ttl` (SET ... KEEPTTL). The caller has looked
    /// the key up first (so an expired old value was already deleted).
    pub fn insert(&mut self, key: &[u8], val: Value, keep_ttl: bool) {
        let h = hash_key(key);
        let lfu = super::evict::lfu_mode();
        let lru = self.clock;
        if let Some(mut e) = self.dict.find_mut_hashed(key, h) {
            if matches!(e.value(), Value::Stream(_)) && !self.waiters.is_empty() {
                self.waiters.signal(key);
            }
            *e.value_mut() = val;
            if !keep_ttl {
                e.set_deadline(None);
            }
            // Under LFU an overwritten key keeps its counter (Redis's
            // dbSetValue); the caller's lookup already counted the access.
            if !lfu {
                e.set_lru(lru);
            }
            return;
        }
        let lru = if lfu { super::evict::lfu_init() } else { lru };
        self.waiters.created(key, &val);
        if crate::server::notify::new_on() {
            self.new_log.push(key.to_vec());
            mark_logged();
        }
        self.dict.insert_new_hashed(key, h, val, lru, None);
    }

    /// Adds or replaces `key` with `val` and the given deadline (RESTORE,
    /// RENAME, MOVE, COPY: the value arrives with its TTL).
    pub fn insert_with_expire(&mut self, key: &[u8], val: Value, at: Option<i64>) {
        // Redis deletes and re-adds here (dbAdd): waiters are signalled
        // even when an old value is replaced.
        self.waiters.created(key, &val);
        self.insert(key, val, false);
        if let Some(at) = at {
            self.set_expire(key, at);
        }
    }

    /// Removes a live key and returns its value.
    pub fn remove(&mut self, key: &[u8], now: i64) -> Option<Value> {
        self.remove_with_expire(key, now).map(|(v, _)| v)
    }

    /// Removes a live key and returns its value and deadline (RENAME, MOVE,
    /// GETDEL).
    pub fn remove_with_expire(&mut self, key: &[u8], now: i64) -> Option<(Value, Option<i64>)> {
        let e = self.dict.find_mut(key)?;
        if e.deadline().is_some_and(|at| at <= now) {
            if expiry_held() {
                return None;
            }
            e.remove();
            self.expired_keys += 1;
            self.expired_log.push(key.to_vec());
            mark_logged();
            if !self.waiters.is_empty() {
                self.waiters.signal(key);
            }
            return None;
        }
        let removed = e.remove();
        self.gone(key);
        Some(removed)
    }

    /// A key was deleted: clients blocked on it by XREADGROUP must hear of
    /// it (Redis's `signalDeletedKeyAsReady`). One test when nobody waits.
    #[inline]
    fn gone(&mut self, key: &[u8]) {
        if !self.waiters.is_empty() {
            self.waiters.signal(key);
        }
    }

    /// Alias of `remove` for GETDEL-style callers.
    pub fn get_and_remove(&mut self, key: &[u8], now: i64) -> Option<Value> {
        self.remove(key, now)
    }

    /// Moves `from` to `to` with its deadline, replacing `to` (RENAME).
    /// False if `from` does not exist.
    pub fn rename(&mut self, from: &[u8], to: &[u8], now: i64) -> bool {
        let Some((v, at)) = self.remove_with_expire(from, now) else {
            return false;
        };
        self.waiters.created(to, &v);
        self.insert(to, v, false);
        if let Some(at) = at {
            self.set_expire(to, at);
        }
        true
    }

    /// The key's deadline in unix ms, if it has one (caller looked it up first).
    pub fn expire_at(&self, key: &[u8]) -> Option<i64> {
        self.dict.get_entry(key).and_then(|e| e.deadline())
    }

    /// Sets the deadline of an existing key. False if the key does not exist.
    pub fn set_expire(&mut self, key: &[u8], at: i64) -> bool {
        let h = hash_key(key);
        let Some(mut e) = self.dict.find_mut_hashed(key, h) else {
            return false;
        };
        let old = e.set_deadline(Some(at));
        // Keep "a wheel entry at or before the deadline" true, adding no
        // entry when an existing one already fires early enough.
        if old.is_none_or(|o| at < o) {
            self.wheel.insert(wheel_time(at), h);
        }
        true
    }

    /// Drops the deadline; true if there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        match self.dict.find_mut(key) {
            Some(mut e) => e.set_deadline(None).is_some(),
            None => false,
        }
    }

    /// Empties the database. A big table is detached at once and freed a
    /// slice at a time (`db::lazy_free_step`), so FLUSHALL on millions of
    /// keys answers immediately; this is Redis's lazy free, done on our one
    /// thread in small steps instead of on a background thread.
    pub fn clear(&mut self) {
        if self.dict.is_empty() {
            return;
        }
        for k in self.waiters.waited_keys() {
            self.waiters.signal(&k);
        }
        let old = std::mem::take(&mut self.dict);
        self.dict.set_memory_guard(true);
        self.wheel.clear();
        if old.len() > LAZY_FREE_THRESHOLD {
            self.garbage.push(old);
        }
    }

    /// Exchanges the contents of two databases (SWAPDB); counters stay.
    pub fn swap(&mut self, other: &mut Db) {
        std::mem::swap(&mut self.dict, &mut other.dict);
        std::mem::swap(&mut self.wheel, &mut other.wheel);
        // Waiters stay with their database: the keys they wait on may now
        // hold data.
        self.rescan_waiters();
        other.rescan_waiters();
    }

    /// Signals every waited key that holds a type clients block on
    /// (Redis's `scanDatabaseForReadyKeys`, after SWAPDB).
    pub fn rescan_waiters(&mut self) {
        if self.waiters.is_empty() {
            return;
        }
        for k in self.waiters.waited_keys() {
            if let Some(v) = self.dict.get_entry(&k).map(|e| e.value()) {
                if crate::server::blocking::btype_of(v).is_some() {
                    self.waiters.signal(&k);
                }
            }
        }
    }

    /// Calls `f` on every key (KEYS). Expired keys are skipped.
    pub fn for_each_key(&self, now: i64, mut f: impl FnMut(&[u8], &Value)) {
        self.dict.for_each(|e| {
            if e.deadline().is_none_or(|at| at > now) {
                f(e.key(), e.value());
            }
        });
    }

    /// Calls `f` on every live key with its value and deadline (DEBUG
    /// DIGEST, snapshots): one walk, no per-key deadline lookup.
    pub fn for_each_entry(&self, now: i64, mut f: impl FnMut(&[u8], &Value, Option<i64>)) {
        self.dict.for_each(|e| {
            let d = e.deadline();
            if d.is_none_or(|at| at > now) {
                f(e.key(), e.value(), d);
            }
        });
    }

    /// One step of SCAN: calls `f` on the keys of a few buckets and returns
    /// the next cursor (0 when done). As Redis's `scanGenericCommand`, it
    /// visits buckets until `count` keys were seen or `10 × count` buckets
    /// were visited. Every key present during the whole scan is returned
    /// (see `Dict::scan`); expired keys are skipped.
    pub fn scan(
        &self,
        cursor: u64,
        count: usize,
        now: i64,
        mut f: impl FnMut(&[u8], &Value),
    ) -> u64 {
        let count = count.max(1);
        let mut seen = 0;
        let mut cursor = cursor;
        let mut iterations = count.saturating_mul(10);
        loop {
            cursor = self.dict.scan(cursor, |e: EntryRef<'_, Value>| {
                seen += 1;
                if e.deadline().is_none_or(|at| at > now) {
                    f(e.key(), e.value());
                }
            });
            iterations -= 1;
            if cursor == 0 || iterations == 0 || seen >= count {
                return cursor;
            }
        }
    }

    /// A random live key (RANDOMKEY), or None if the database is empty.
    /// Expired keys met on the way are deleted, as `dbRandomKey` does; each
    /// round deletes one, so the loop ends.
    pub fn random_key(&mut self, now: i64) -> Option<Vec<u8>> {
        let mut tries = 100;
        loop {
            let e = self.dict.random_entry()?;
            let key = e.key().to_vec();
            if e.deadline().is_some_and(|at| at <= now) {
                // Paused: expired keys stay; after enough of them, answer
                // one rather than loop forever over an all-expired table.
                if expiry_held() {
                    tries -= 1;
                    if tries == 0 {
                        return Some(key);
                    }
                    continue;
                }
                if self.dict.remove(&key).is_some() {
                    self.expired_keys += 1;
                    self.expired_log.push(key.clone());
                    mark_logged();
                    self.gone(&key);
                }
                continue;
            }
            return Some(key);
        }
    }

    /// Up to `count` keys sampled from the table (eviction, statistics).
    pub fn sample(&mut self, count: usize, mut f: impl FnMut(&[u8], &Value, Option<i64>, u32)) {
        self.dict
            .sample(count, |e| f(e.key(), e.value(), e.deadline(), e.lru()));
    }

    /// Periodic upkeep (Redis's `databasesCron`): shrink a sparse table,
    /// free flushed tables for up to `free_budget`. Rehashing has its own
    /// slices (`db::rehash_slice`).
    pub fn cron(&mut self, free_budget: Duration) {
        self.dict.shrink_if_needed();
        self.free_garbage(free_budget);
    }

    /// True while the table is being resized.
    pub fn is_rehashing(&self) -> bool {
        self.dict.is_rehashing()
    }

    /// Rehashes a resizing table for about `budget`.
    pub fn rehash_for(&mut self, budget: Duration) {
        self.dict.rehash_for(budget);
    }

    /// True while flushed tables wait to be freed.
    pub fn has_garbage(&self) -> bool {
        !self.garbage.is_empty()
    }

    /// Frees flushed tables for about `budget`, 1024 entries or buckets at a
    /// time.
    /// True if this call freed the last of them.
    pub fn free_garbage(&mut self, budget: Duration) -> bool {
        if self.garbage.is_empty() {
            return false;
        }
        let start = Instant::now();
        while let Some(g) = self.garbage.last_mut() {
            if g.free_some(1024) {
                self.garbage.pop();
            }
            if start.elapsed() >= budget {
                break;
            }
        }
        self.garbage.is_empty()
    }

    /// Keeps an empty wheel's time current (cheap; the expiry cycle calls
    /// it for every database).
    pub fn tick_wheel(&mut self, now: i64) {
        self.wheel.advance_if_empty(wheel_time(now));
    }

    /// Milliseconds from `now` until the wheel may have something due
    /// (0: already), None when nothing is scheduled.
    pub fn ms_until_due(&self, now: i64) -> Option<u64> {
        self.wheel
            .next_deadline()
            .map(|d| d.saturating_sub(wheel_time(now)))
    }

    /// True if the wheel has something due at `now`.
    pub fn expiry_due(&self, now: i64) -> bool {
        self.wheel
            .next_deadline()
            .is_some_and(|d| d <= wheel_time(now))
    }

    /// Active expiry: deletes keys whose deadline has passed, as the wheel
    /// says, until `deadline` (checked every 16 entries).
    pub fn active_expire(&mut self, now: i64, deadline: Instant) -> ExpireRun {
        let mut run = ExpireRun::default();
        // If the clock stepped back, the wheel's time is ahead of `now`:
        // judge deadlines by the wheel's time, or a key found "not due"
        // would be rescheduled at or before it, fire again at once, and
        // loop forever. Keys then expire up to the clock step early.
        let wnow = wheel_time(now).max(self.wheel.elapsed());
        let now = now.max(wnow as i64);
        let mut steps = 0u32;
        loop {
            steps += 1;
            if steps.is_multiple_of(16) && Instant::now() >= deadline {
                run.timed_out = self.expiry_due(now);
                break;
            }
            let h = match self.wheel.poll_step(wnow) {
                Step::Fired(_, h) => h,
                // Cascading moves up to 512 entries: worth a clock check.
                Step::Working => {
                    steps = 15;
                    continue;
                }
                Step::Idle => break,
            };
            run.checked += 1;
            let mut reschedule: Option<i64> = None;
            let log = &mut self.expired_log;
            let waiters = &mut self.waiters;
            let n = self.dict.remove_in_bucket(
                h,
                |e| match e.deadline() {
                    Some(at) if at <= now => true,
                    Some(at) => {
                        // Not due: re-expired later. Keep the invariant by
                        // scheduling it anew, once, from its own entry.
                        if hash_key(e.key()) == h {
                            reschedule = Some(reschedule.map_or(at, |r| r.min(at)));
                        }
                        false
                    }
                    None => false,
                },
                |k, v, _| {
                    log.push(k.to_vec());
                    mark_logged();
                    if !waiters.is_empty() {
                        waiters.signal(k);
                    }
                    drop(v)
                },
            );
            if let Some(at) = reschedule {
                self.wheel.insert(wheel_time(at), h);
            }
            if n == 0 {
                run.stale += 1;
            }
            run.expired += n as u64;
        }
        self.expired_keys += run.expired;
        run
    }
}

#[cfg(test)]
impl Db {
    pub(crate) fn wheel_len(&self) -> usize {
        self.wheel.len()
    }

    pub(crate) fn garbage_len(&self) -> usize {
        self.garbage.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::object::StrVal;

    fn s(b: &[u8]) -> Value {
        Value::Str(StrVal::from_bytes(b))
    }

    #[test]
    fn re_expiring_does_not_pile_up_wheel_entries() {
        let mut db = Db::new();
        db.insert(b"session", s(b"v"), false);
        // A TTL refreshed on every access moves the deadline later each time.
        for i in 0..1000 {
            assert!(db.set_expire(b"session", 10_000 + i));
        }
        assert_eq!(db.wheel_len(), 1);
        // The entry fires at the first deadline, finds the key not due,
        // and reschedules it at its real deadline.
        let far = Instant::now() + Duration::from_secs(10);
        let run = db.active_expire(10_500, far);
        assert_eq!((run.checked, run.expired), (1, 0));
        assert_eq!(db.wheel_len(), 1);
        assert_eq!(db.len(), 1);
        let run = db.active_expire(10_999, far);
        assert_eq!((run.checked, run.expired), (1, 1));
        assert_eq!(db.len(), 0);
        assert_eq!(db.expired_keys, 1);
    }

    #[test]
    fn active_expire_drops_stale_entries_and_respects_persist() {
        let mut db = Db::new();
        for i in 0..100 {
            let k = format!("k{i}");
            db.insert(k.as_bytes(), s(b"v"), false);
            db.set_expire(k.as_bytes(), 1000);
        }
        db.persist(b"k1");
        db.remove(b"k2", 0);
        db.insert(b"k3", s(b"new"), false);
        let far = Instant::now() + Duration::from_secs(10);
        let run = db.active_expire(999, far);
        assert_eq!(run.checked, 0);
        let run = db.active_expire(1000, far);
        assert_eq!(run.expired, 97);
        assert_eq!(db.len(), 2);
        assert!(db.contains(b"k1", 5000) && db.contains(b"k3", 5000));
        assert_eq!(db.volatile_len(), 0);
        assert_eq!(db.wheel_len(), 0);
    }

    #[test]
    fn active_expire_stops_at_its_deadline() {
        let mut db = Db::new();
        for i in 0..50_000 {
            let k = format!("k{i}");
            db.insert(k.as_bytes(), s(b"v"), false);
            db.set_expire(k.as_bytes(), 1000);
        }
        let run = db.active_expire(2000, Instant::now());
        assert!(run.timed_out);
        assert!(run.checked < 50_000);
        let far = Instant::now() + Duration::from_secs(60);
        db.active_expire(2000, far);
        assert!(db.is_empty());
        assert_eq!(db.expired_keys, 50_000);
    }

    #[test]
    fn big_flush_is_freed_by_the_cron() {
        let mut db = Db::new();
        for i in 0..(LAZY_FREE_THRESHOLD + 10) {
            db.insert(format!("k{i}").as_bytes(), s(b"v"), false);
        }
        db.clear();
        assert!(db.is_empty());
        assert_eq!(db.garbage_len(), 1);
        db.insert(b"fresh", s(b"v"), false);
        for _ in 0..10_000 {
            db.cron(Duration::from_millis(5));
            if db.garbage_len() == 0 {
                break;
            }
        }
        assert_eq!(db.garbage_len(), 0);
        assert_eq!(db.len(), 1);
    }

    #[test]
    fn lru_clock_wraps_at_24_bits() {
        assert_eq!(lru_clock(1_795_738_182_000), 576070);
    }

    #[test]
    fn lru_clock_and_idle_time() {
        let mut db = Db::new();
        db.set_lru_clock(1_000_000);
        db.insert(b"k", s(b"v"), false);
        db.set_lru_clock(1_003_000);
        db.lookup(b"k", 1_003_000);
        db.set_lru_clock(1_008_000);
        assert_eq!(db.idle_ms(b"k", 1_008_000), Some(5000));
        db.peek(b"k", 1_010_000);
        db.set_lru_clock(1_013_000);
        assert_eq!(db.idle_ms(b"k", 1_013_000), Some(10_000));
    }

    #[test]
    fn idle_time_reads_the_cached_clock_that_writes_stamp() {
        // Between two cron ticks a second boundary passes (the command's
        // own time says 2 s later): stamp and reading both use the cached
        // clock, so a key written and read before the next tick is idle 0,
        // as on Redis.
        let mut db = Db::new();
        db.set_lru_clock(1_999_950);
        db.insert(b"k", s(b"v"), false);
        assert_eq!(db.idle_ms(b"k", 2_000_050), Some(0));
        db.set_lru_clock(2_000_060);
        assert_eq!(db.idle_ms(b"k", 2_000_060), Some(1000));
        db.lookup(b"k", 2_000_070);
        assert_eq!(db.idle_ms(b"k", 2_000_070), Some(0));
    }

    #[test]
    fn rename_keeps_the_deadline() {
        let mut db = Db::new();
        db.insert(b"a", s(b"1"), false);
        db.set_expire(b"a", 5000);
        assert!(db.rename(b"a", b"b", 100));
        assert_eq!(db.expire_at(b"b"), Some(5000));
        assert!(db.lookup(b"a", 100).is_none());
        assert!(db.lookup(b"b", 5000).is_none());
        assert_eq!(db.expired_keys, 1);
    }

    #[test]
    fn a_clock_stepping_back_cannot_stall_active_expiry() {
        let mut db = Db::new();
        db.insert(b"k", s(b"v"), false);
        db.set_expire(b"k", 10_000);
        let far = Instant::now() + Duration::from_secs(5);
        db.active_expire(9_000, far);
        // A deadline between the stepped-back clock and the wheel's time:
        // judged by the clock it is not due, and rescheduling it would put
        // it straight back among the due entries.
        db.set_expire(b"k", 8_500);
        // The clock steps back 1 s below the wheel's time.
        let run = db.active_expire(8_000, far);
        assert!(run.checked <= 2, "{run:?}");
        assert_eq!(db.len(), 0, "judged by the wheel's time (9000 ms)");
    }

    #[test]
    fn random_key_skips_and_deletes_expired_keys() {
        let mut db = Db::new();
        for i in 0..500 {
            let k = format!("dead{i}");
            db.insert(k.as_bytes(), s(b"v"), false);
            db.set_expire(k.as_bytes(), 10);
        }
        db.insert(b"alive", s(b"v"), false);
        assert_eq!(db.random_key(100).as_deref(), Some(&b"alive"[..]));
        assert!(db.expired_keys > 0);
        db.remove(b"alive", 100);
        assert_eq!(db.random_key(100), None);
        assert_eq!(db.len(), 0);
    }

    #[test]
    fn for_each_entry_reports_deadlines_and_skips_the_dead() {
        let mut db = Db::new();
        db.insert(b"a", s(b"1"), false);
        db.insert(b"b", s(b"2"), false);
        db.insert(b"c", s(b"3"), false);
        db.set_expire(b"b", 500);
        db.set_expire(b"c", 50);
        let mut seen = Vec::new();
        db.for_each_entry(100, |k, _, d| seen.push((k.to_vec(), d)));
        seen.sort();
        assert_eq!(
            seen,
            vec![(b"a".to_vec(), None), (b"b".to_vec(), Some(500))]
        );
    }
}
