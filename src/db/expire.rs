//! Active expiry (Redis's `expire.c`, `activeExpireCycle`).
//!
//! A key with a TTL must disappear at its deadline even if no client ever
//! touches it again, or memory fills with dead keys. Lazy expiry (in
//! `db::keyspace`) handles keys that are touched; this module handles the
//! rest, on the reactor thread, in slices small enough that clients barely
//! notice.
//!
//! Redis samples random volatile keys and deletes the expired ones, repeating
//! while the sample says many are expired. We know exactly what is due: each
//! database keeps a timer wheel (`server::timer`) with an entry per volatile
//! key, and a cycle pops due entries and deletes their keys
//! (`Db::active_expire`). What stays from Redis is the *time budget* and its
//! two cycles, with the same configuration:
//!
//! * **Slow** cycle, from the cron (`hz` times a second): may run for
//!   `25% + 2% × (active-expire-effort − 1)` of the cron period (25 ms at
//!   hz 10, Redis's `ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC`).
//! * **Fast** cycle, before the loop sleeps: at most `1 ms + 0.25 ms ×
//!   (effort − 1)`, and not more often than every two such durations. Redis
//!   runs it only when the last slow cycle ran out of time or many sampled
//!   keys were expired; we run it whenever the wheel has something due,
//!   since asking the wheel costs nothing. Keys so vanish within a few
//!   milliseconds of their deadline, busy or idle: the loop sleeps no
//!   longer than until the wheel's next deadline (`db::next_wakeup_ms`).
//!
//! Whatever the budget leaves stays in the wheel for the next cycle, so a
//! million keys expiring in the same second never freeze the server.
//!
//! Measured (`tests/storage.rs`, ignored `expiry_lag_...`, release build,
//! 2 shared cores): 1,000,000 keys with deadlines spread over 10 s, nobody
//! reading them, one client sending PING every millisecond. Every key was
//! gone at most 11–18 ms after its deadline; PING p99 1.5 ms, p99.9 2.4 ms,
//! worst 3.6–13 ms (an idle server on this machine shows the same worst
//! case: scheduler noise). Redis 7.0.15 in the same run: keys up to 4.3 s
//! late, PING p99.9 24 ms. Cost: about 1.3 s of CPU for the million keys.
//!
//! Statistics, as INFO shows them: `expired_stale_perc` (a moving average of
//! the share of examined entries that deleted a key, in cycles that ran out
//! of time, that is an estimate of how many logically expired keys are still
//! in memory; a fraction, INFO prints it ×100),
//! `expired_time_cap_reached_count`, `expire_cycle_cpu_milliseconds`.

use std::time::{Duration, Instant};

use crate::server::Server;

/// Which of the two cycles to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cycle {
    Slow,
    Fast,
}

/// State that outlives one cycle.
#[derive(Default, Debug)]
pub struct ExpireState {
    /// Database where the last cycle stopped for lack of time.
    current_db: usize,
    /// When the last fast cycle started (µs since `Server::start`).
    last_fast_start_us: u64,
    /// Time spent in cycles, µs.
    time_used_us: u64,
    /// The last cycle stopped with due entries left.
    pub timelimit_exit: bool,
    /// Rehash time the cron granted and loop iterations have yet to spend, µs.
    pub rehash_credit_us: u64,
}

/// Fast cycle budget in µs (`ACTIVE_EXPIRE_CYCLE_FAST_DURATION` + effort).
fn fast_duration_us(effort: u32) -> u64 {
    1000 + 250 * effort as u64
}

/// The least time between two fast cycles, in whole ms (rounded up).
pub fn fast_spacing_ms(srv: &Server) -> u64 {
    let effort = srv.config.active_expire_effort.clamp(1, 10) - 1;
    (2 * fast_duration_us(effort)).div_ceil(1000)
}

/// Runs one expiry cycle over the databases.
pub fn active_expire_cycle(srv: &mut Server, kind: Cycle) {
    if !srv.active_expire_enabled {
        return;
    }
    let paused = srv.pause.until_ms > srv.now_ms;
    crate::db::keyspace::hold_expiry(paused);
    if paused {
        return;
    }
    active_expire_run(srv, kind);
    // Removed keys invalidate WATCH (the Db only lists them).
    crate::commands::multi::drain_expired(srv, None);
}

fn active_expire_run(srv: &mut Server, kind: Cycle) {
    let effort = srv.config.active_expire_effort.clamp(1, 10) - 1;
    let now = srv.now_ms;
    for db in &mut srv.dbs {
        db.tick_wheel(now);
    }
    let start = Instant::now();
    let budget_us = match kind {
        Cycle::Fast => {
            if !srv.dbs.iter().any(|db| db.expiry_due(now)) {
                return;
            }
            let d = fast_duration_us(effort);
            let start_us = srv.start.elapsed().as_micros() as u64;
            if srv.expire.last_fast_start_us != 0
                && start_us < srv.expire.last_fast_start_us + 2 * d
            {
                return;
            }
            srv.expire.last_fast_start_us = start_us.max(1);
            d
        }
        Cycle::Slow => {
            let perc = 25 + 2 * effort as u64;
            let hz = srv.config.hz.clamp(1, 500) as u64;
            perc * 1_000_000 / hz / 100
        }
    };
    let deadline = start + Duration::from_micros(budget_us);
    let n = srv.dbs.len();
    let mut checked = 0u64;
    let mut expired = 0u64;
    let mut timed_out = false;
    for i in 0..n {
        let idx = (srv.expire.current_db + i) % n;
        let run = srv.dbs[idx].active_expire(now, deadline);
        checked += run.checked;
        expired += run.expired;
        if run.timed_out {
            timed_out = true;
            srv.expire.current_db = idx;
            break;
        }
    }
    let st = &mut srv.expire;
    st.timelimit_exit = timed_out;
    st.time_used_us += start.elapsed().as_micros() as u64;
    srv.stats.expire_cycle_cpu_milliseconds = st.time_used_us / 1000;
    if timed_out {
        srv.stats.expired_time_cap_reached_count += 1;
    }
    if checked > 0 || kind == Cycle::Slow {
        let current = if timed_out && checked > 0 {
            expired as f64 / checked as f64
        } else {
            0.0
        };
        srv.stats.expired_stale_perc = current * 0.05 + srv.stats.expired_stale_perc * 0.95;
    }
}

/// The keyspace part of the cron (Redis's `databasesCron`): shrink sparse
/// tables, grant resizing tables their millisecond of rehash (Redis's
/// `incrementallyRehash`, spent by `db::rehash_slice`), then a slice of lazy
/// freeing.
pub fn databases_cron(srv: &mut Server) {
    for db in &mut srv.dbs {
        db.cron(Duration::ZERO);
    }
    let resizing = srv.dbs.iter().any(|db| db.is_rehashing());
    srv.expire.rehash_credit_us = if srv.config.activerehashing && resizing {
        super::REHASH_CREDIT_US
    } else {
        0
    };
    let hz = srv.config.hz.clamp(1, 500) as u64;
    super::lazy_free_step(srv, Duration::from_micros(100_000 / hz));
}
