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
        let idle: Vec<usize> = srv
            .clients
            .iter()
            .filter_map(|(t, c)| {
                c.as_ref()
                    .filter(|c| now - c.last_interaction_ms > limit)
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
        if !srv.read_list.contains(&t) {
            srv.read_list.push(t);
        }
    }
}
