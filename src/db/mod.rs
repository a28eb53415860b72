//! The data: databases, values, expiry (Redis's `db.c`, `object.c`, `expire.c`).

pub mod dict;
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
    lazy_free_step(srv, Duration::from_millis(1));
}

/// Frees flushed tables (FLUSHDB/FLUSHALL of big databases) for about
/// `budget`. The cron gives it 10% of its period and each loop iteration
/// 1 ms: a flushed million keys (~150 ns each) is gone within about a
/// second when the server is idle, faster when it is busy, and no client
/// waits more than ~10 ms meanwhile. Once the last table is freed, glibc is
/// asked to hand the now unused pages back to the kernel (`malloc_trim`):
/// it keeps freed memory for reuse otherwise, and RSS would not drop.
pub fn lazy_free_step(srv: &mut Server, budget: Duration) {
    let mut finished = false;
    for db in &mut srv.dbs {
        if db.has_garbage() {
            finished |= db.free_garbage(budget);
            break;
        }
    }
    if finished && !srv.dbs.iter().any(|db| db.has_garbage()) {
        release_free_memory();
    }
}

/// Returns free heap pages to the kernel.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks and trims the allocator's own free
    // lists; it is safe to call at any time from the allocating thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
