//! The data: databases, values, expiry (Redis's `db.c`, `object.c`, `expire.c`).

pub mod dict;
pub mod evict;
pub mod expire;
pub mod keyspace;
pub mod object;

use std::time::Duration;

use crate::server::Server;

/// Keyspace work done once per loop iteration, after replies are written
/// (the keyspace half of Redis's `beforeSleep`): a fast active-expiry cycle
/// and a millisecond of lazy freeing. Nothing here delays a reply already
/// computed; a command arriving meanwhile waits at most ~1 ms.
pub fn before_sleep(srv: &mut Server) {
    expire::active_expire_cycle(srv, expire::Cycle::Fast);
    // Also catches a limit lowered by CONFIG SET below current usage,
    // where Redis starts its eviction timer at once.
    let max = srv.config.maxmemory;
    if max > 0 && (srv.evictor.pending || crate::server::memory::used_memory() > max) {
        evict::sync_config(&srv.config, srv.now_ms);
        evict::perform_evictions(srv);
        crate::commands::multi::drain_expired(srv, None);
    }
    lazy_free_step(srv, Duration::from_millis(1));
    rehash_slice(srv);
}

/// Rehash time the cron grants per tick (`activerehashing`): Redis's
/// `dictRehashMilliseconds(d, 1)`.
pub const REHASH_CREDIT_US: u64 = 1000;
/// The most of it one loop iteration spends.
const REHASH_SLICE_US: u64 = 100;

/// Active rehashing, in slices. Commands move a resizing table along one
/// bucket at a time, and an idle server would never finish without help,
/// so, as Redis does, the cron lends each tick 1 ms of rehashing. Redis
/// spends the millisecond at once, inside the cron; a reply that arrived
/// meanwhile waits for it, on top of the rest of that iteration's work,
/// and while a large table grows the iterations are already the longest.
/// Here the millisecond is spent 100 µs per loop iteration, after replies
/// went out, and the loop does not sleep while some of it is left: the same
/// rehash rate, with a tenth of the delay for any reply.
fn rehash_slice(srv: &mut Server) {
    let credit = srv.expire.rehash_credit_us;
    if credit == 0 {
        return;
    }
    let start = std::time::Instant::now();
    let slice = Duration::from_micros(credit.min(REHASH_SLICE_US));
    if let Some(db) = srv.dbs.iter_mut().find(|db| db.is_rehashing()) {
        db.rehash_for(slice);
    }
    let spent = (start.elapsed().as_micros() as u64).max(1);
    srv.expire.rehash_credit_us = if srv.dbs.iter().any(|db| db.is_rehashing()) {
        credit.saturating_sub(spent)
    } else {
        0
    };
}

/// How long the loop may sleep before background work on the keyspace is
/// due: an eviction pass cut short, rehash time the cron granted and the
/// loop has not spent yet, a flushed table still being freed, or the next
/// key deadline. Without
/// it an idle server would wake only for the cron, and a backlog of due
/// keys would wait for the slow cycle's long slice; waking for the fast
/// cycle instead keeps each slice at about a millisecond. Never less than
/// the fast cycle's minimum spacing, so a backlog does not spin the loop.
pub fn next_wakeup_ms(srv: &Server) -> Option<u64> {
    if srv.evictor.pending || srv.expire.rehash_credit_us > 0 {
        return Some(0);
    }
    if srv.dbs.iter().any(|db| db.has_garbage()) {
        return Some(1);
    }
    if !srv.active_expire_enabled {
        return None;
    }
    let now = srv.now_ms;
    let due = srv.dbs.iter().filter_map(|db| db.ms_until_due(now)).min()?;
    Some(due.max(expire::fast_spacing_ms(srv)))
}

/// Frees flushed tables (FLUSHDB/FLUSHALL of big databases) for about
/// `budget`. The cron gives it 10% of its period and each loop iteration
/// 1 ms: 5 million flushed keys are gone in about 2 s on a busy server
/// (longer when idle). Meanwhile most replies wait at most the 1 ms slice;
/// the worst PING measured while 9M keys were freed was 12-35 ms over six
/// runs (Redis, which frees on a background thread: 8-15 ms). That needs
/// glibc's fastbins off (`server::memory::tune_allocator`): with them, the
/// millions of freed entries were merged in one burst inside a later
/// allocation, and PINGs during the free waited 140 ms to 1.9 s.
///
/// glibc keeps the freed chunks for reuse rather than returning them to the
/// kernel, so RSS does not drop after a flush (new keys reuse the memory).
/// `malloc_trim(0)` would give the pages back, but on a fragmented heap of
/// half a gigabyte it was measured to stall the loop for 1.3 s, so we do
/// not call it; a jemalloc build would purge on its own.
pub fn lazy_free_step(srv: &mut Server, budget: Duration) {
    if let Some(db) = srv.dbs.iter_mut().find(|db| db.has_garbage()) {
        db.free_garbage(budget);
    }
}
