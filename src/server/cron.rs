//! Periodic work (Redis's `serverCron` and `clientsCron`), run `hz` times a
//! second by the event loop.
//!
//! Small, bounded jobs only: sample the instantaneous rates INFO reports,
//! close clients idle past `timeout`, end a CLIENT PAUSE and re-serve the
//! clients it held back.

use super::Server;

pub fn run(srv: &mut Server) {
    srv.cron_loops += 1;
    let now = srv.now_ms;
    // Redis's serverCron caches the LRU clock first thing, every tick.
    for db in &mut srv.dbs {
        db.set_lru_clock(now);
    }
    srv.stats
        .ops_samples
        .track(now, srv.stats.total_commands_processed);
    srv.stats
        .net_in_samples
        .track(now, srv.stats.total_net_input_bytes);
    srv.stats
        .net_out_samples
        .track(now, srv.stats.total_net_output_bytes);

    if srv.config.timeout > 0 {
        let limit = srv.config.timeout as i64 * 1000;
        // A client whose command CLIENT PAUSE holds back is waiting on us,
        // not idle: Redis counts it as blocked, and blocked clients are
        // exempt from `timeout`. Until `unpause` below has re-served them
        // (the pause may have just expired), they still count as held.
        let paused = srv.pause.until_ms != 0;
        let idle: Vec<usize> = srv
            .clients
            .iter()
            .filter_map(|(t, c)| {
                c.as_ref()
                    .filter(|c| now - c.last_interaction_ms > limit)
                    .filter(|c| !(paused && c.query_len() > 0))
                    // Nor is a client parked by BLPOP and the like.
                    .filter(|c| c.blocked.is_none())
                    .map(|_| t)
            })
            .collect();
        for t in idle {
            log::debug!("Closing idle client");
            srv.schedule_close(t);
        }
    }

    crate::db::expire::active_expire_cycle(srv, crate::db::expire::Cycle::Slow);
    crate::db::expire::databases_cron(srv);

    if srv.pause.until_ms != 0 && srv.pause.until_ms <= now {
        unpause(srv);
    }
}

/// Ends CLIENT PAUSE and lets held-back clients run what they sent.
pub fn unpause(srv: &mut Server) {
    srv.pause = super::Pause::default();
    let held: Vec<usize> = srv
        .clients
        .iter()
        .filter(|(_, c)| c.as_ref().is_some_and(|c| c.query_len() > 0))
        .map(|(t, _)| t)
        .collect();
    for t in held {
        if let Some(Some(c)) = srv.clients.get_mut(t) {
            if !c.in_read_list {
                c.in_read_list = true;
                srv.read_list.push(t);
            }
        }
    }
}
