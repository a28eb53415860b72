//! Keyspace notifications (Redis's `notify.c`).
//!
//! When `notify-keyspace-events` enables a class, a change to a key is
//! published twice: on `__keyspace@<db>__:<key>` with the event name as
//! message, and on `__keyevent@<db>__:<event>` with the key as message
//! (each only if the K or E flag is set). The class bits are Redis's
//! NOTIFY_* values, as `config.rs` parses them.
//!
//! Where events come from:
//! - each write command calls `Ctx::changed` / `Ctx::notify` exactly where
//!   Redis's `t_*.c` call `signalModifiedKey` / `notifyKeyspaceEvent`,
//!   with the same event names, classes, order and conditions (a no-op
//!   write such as SETNX on an existing key publishes nothing);
//! - `expired` and `evicted` happen inside the Db (lazy expiry in a lookup,
//!   the expiry cycle, eviction), which knows nothing of clients: the Db
//!   logs the keys and `commands::multi::drain_expired` publishes them;
//! - `new` is Redis's `dbAdd` event: the Db logs created keys, but only
//!   while the `n` class is on (`new_on`, a flag mirrored from the config
//!   so `Db::insert` tests one static instead of reaching the config).
//!
//! Logged events are drained before every command event is published
//! (`Ctx::notify`), so a subscriber sees `expired`, `new`, then the
//! command's own event, in Redis's order.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::server::client::Client;
use crate::server::Server;

static NEW_ON: AtomicBool = AtomicBool::new(false);

/// Called whenever notify-keyspace-events is set (startup or CONFIG SET).
pub fn set_flags(flags: u32) {
    NEW_ON.store(flags & NEW != 0, Ordering::Relaxed);
}

/// True while created keys must be logged for `new` events.
#[inline]
pub fn new_on() -> bool {
    NEW_ON.load(Ordering::Relaxed)
}

pub const KEYSPACE: u32 = 1 << 0;
pub const KEYEVENT: u32 = 1 << 1;
pub const GENERIC: u32 = 1 << 2;
pub const STRING: u32 = 1 << 3;
pub const LIST: u32 = 1 << 4;
pub const SET: u32 = 1 << 5;
pub const HASH: u32 = 1 << 6;
pub const ZSET: u32 = 1 << 7;
pub const EXPIRED: u32 = 1 << 8;
pub const EVICTED: u32 = 1 << 9;
pub const STREAM: u32 = 1 << 10;
pub const KEY_MISS: u32 = 1 << 11;
pub const NEW: u32 = 1 << 14;

/// Publishes now the events the Db logged so far (`expired`, `evicted`,
/// `new`). Handlers call it between creating a key and writing a reply
/// that Redis writes before its own event, so a RESP3 client subscribed
/// to its own events gets the `new` push before the reply, as in Redis.
#[inline]
pub fn flush_logged(srv: &mut Server, client: &mut Client) {
    if srv.config.notify_keyspace_events != 0 {
        crate::commands::multi::drain_expired(srv, Some(client));
    }
}

/// Redis's `notifyKeyspaceEvent`.
pub fn notify(
    srv: &mut Server,
    me: Option<&mut Client>,
    class: u32,
    event: &[u8],
    key: &[u8],
    db: usize,
) {
    let flags = srv.config.notify_keyspace_events;
    if flags & class == 0 {
        return;
    }
    let mut me = me;
    let mut dbs = itoa_db(db);
    if flags & KEYSPACE != 0 {
        let mut ch = Vec::with_capacity(16 + key.len());
        ch.extend_from_slice(b"__keyspace@");
        ch.append(&mut dbs.clone());
        ch.extend_from_slice(b"__:");
        ch.extend_from_slice(key);
        crate::commands::pubsub::publish_raw(srv, me.as_deref_mut(), &ch, event, false);
    }
    if flags & KEYEVENT != 0 {
        let mut ch = Vec::with_capacity(16 + event.len());
        ch.extend_from_slice(b"__keyevent@");
        ch.append(&mut dbs);
        ch.extend_from_slice(b"__:");
        ch.extend_from_slice(event);
        crate::commands::pubsub::publish_raw(srv, me, &ch, key, false);
    }
}

fn itoa_db(db: usize) -> Vec<u8> {
    db.to_string().into_bytes()
}
