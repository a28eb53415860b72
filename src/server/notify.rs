//! Keyspace notifications (Redis's `notify.c`).
//!
//! When `notify-keyspace-events` enables a class, a change to a key is
//! published twice: on `__keyspace@<db>__:<key>` with the event name as
//! message, and on `__keyevent@<db>__:<event>` with the key as message
//! (each only if the K or E flag is set). The class bits are Redis's
//! NOTIFY_* values, as `config.rs` parses them.
//!
//! Wired so far: `expired` (keys removed by lazy or active expiry, drained
//! from `Db::expired_log`). Per-command events (set, del, expire...) are
//! still to be added at each write command through `notify`.

use crate::server::client::Client;
use crate::server::Server;

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
