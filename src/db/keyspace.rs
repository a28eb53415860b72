//! One database: keys, values and deadlines (Redis's `db.c`).
//!
//! Every read and every write goes through `lookup`/`lookup_mut`, which check
//! the key's deadline first and delete it if it has passed: this is the lazy
//! half of expiry, and it is why a client can never see an expired key even
//! if the active half has not reached it yet.

use std::collections::HashMap;

use super::object::Value;

#[derive(Default)]
pub struct Db {
    map: HashMap<Box<[u8]>, Value>,
    expires: HashMap<Box<[u8]>, i64>,
    /// Keys deleted because their deadline passed (INFO expired_keys).
    pub expired_keys: u64,
}

impl Db {
    pub fn new() -> Db {
        Db::default()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Keys with a deadline.
    pub fn volatile_len(&self) -> usize {
        self.expires.len()
    }

    /// Deletes `key` if its deadline is at or before `now` (ms). True if it did.
    fn expire_if_needed(&mut self, key: &[u8], now: i64) -> bool {
        match self.expires.get(key) {
            Some(&at) if at <= now => {
                self.expires.remove(key);
                self.map.remove(key);
                self.expired_keys += 1;
                true
            }
            _ => false,
        }
    }

    pub fn lookup(&mut self, key: &[u8], now: i64) -> Option<&Value> {
        self.expire_if_needed(key, now);
        self.map.get(key)
    }

    pub fn lookup_mut(&mut self, key: &[u8], now: i64) -> Option<&mut Value> {
        self.expire_if_needed(key, now);
        self.map.get_mut(key)
    }

    pub fn contains(&mut self, key: &[u8], now: i64) -> bool {
        self.lookup(key, now).is_some()
    }

    /// Stores `val` under `key`, replacing any old value; the old deadline
    /// goes away unless `keep_ttl` (SET ... KEEPTTL).
    pub fn insert(&mut self, key: &[u8], val: Value, keep_ttl: bool) {
        if !keep_ttl {
            self.expires.remove(key);
        }
        self.map.insert(key.into(), val);
    }

    /// Removes a live key and returns its value.
    pub fn remove(&mut self, key: &[u8], now: i64) -> Option<Value> {
        if self.expire_if_needed(key, now) {
            return None;
        }
        self.expires.remove(key);
        self.map.remove(key)
    }

    /// The key's deadline in unix ms, if it has one (caller looked it up first).
    pub fn expire_at(&self, key: &[u8]) -> Option<i64> {
        self.expires.get(key).copied()
    }

    /// Sets the deadline of an existing key. False if the key does not exist.
    pub fn set_expire(&mut self, key: &[u8], at: i64) -> bool {
        if !self.map.contains_key(key) {
            return false;
        }
        self.expires.insert(key.into(), at);
        true
    }

    /// Drops the deadline; true if there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.expires.remove(key).is_some()
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.expires.clear();
    }

    /// Calls `f` on every key (KEYS). Expired keys are skipped.
    pub fn for_each_key(&self, now: i64, mut f: impl FnMut(&[u8], &Value)) {
        for (k, v) in &self.map {
            if matches!(self.expires.get(k), Some(&at) if at <= now) {
                continue;
            }
            f(k, v);
        }
    }

    /// One step of SCAN: calls `f` on some keys and returns the next cursor
    /// (0 when done). This map-backed version walks keys in sorted order,
    /// the cursor being how many were returned; `db::dict` replaces it.
    pub fn scan(
        &self,
        cursor: u64,
        count: usize,
        now: i64,
        mut f: impl FnMut(&[u8], &Value),
    ) -> u64 {
        let mut keys: Vec<&Box<[u8]>> = self.map.keys().collect();
        keys.sort();
        let start = cursor as usize;
        let end = (start + count.max(1)).min(keys.len());
        for k in &keys[start.min(end)..end] {
            if matches!(self.expires.get(&***k), Some(&at) if at <= now) {
                continue;
            }
            if let Some(v) = self.map.get(&***k) {
                f(k, v);
            }
        }
        if end >= keys.len() {
            0
        } else {
            end as u64
        }
    }

    /// A random live key (RANDOMKEY), or None if the database is empty.
    pub fn random_key(&mut self, now: i64) -> Option<Vec<u8>> {
        for _ in 0..100 {
            if self.map.is_empty() {
                return None;
            }
            let n = (crate::server::unix_us() as u64 % self.map.len() as u64) as usize;
            let k = self.map.keys().nth(n)?.to_vec();
            if !self.expire_if_needed(&k, now) {
                return Some(k);
            }
        }
        None
    }
}
