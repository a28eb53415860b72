//! Blocked clients (Redis's `blocked.c`, list part of `t_list.c`).
//!
//! A blocking command (BLPOP...) that finds nothing to serve parks its
//! client: the client keeps its saved arguments, and `Blocking` records it
//! in a FIFO per (db, key). A write that may feed a key with waiters calls
//! [`Blocking::signal`], which queues the key as ready; before the loop
//! sleeps, [`serve_ready`] walks the ready keys in signal order and, per
//! key, the waiters in the order they blocked, re-running each waiter's
//! command while the key still holds data (a served command that writes,
//! e.g. BLMOVE, may signal further keys, which are served in the same
//! pass, as Redis's handleClientsBlockedOnKeys loop). A parked client's
//! further input is not executed until it is unblocked. Timeouts are
//! checked by the cron (a scan of blocked clients; see `expire_timeouts`).
//!
//! Design: re-running the saved command is the generic "serve function"
//! every blocking family can reuse (sorted sets, streams): its handler just
//! has to serve when data is there and park otherwise. A waiter is only
//! re-run when its key is non-empty, so it cannot lose its queue position.

use std::collections::{HashMap, VecDeque};

use super::Server;

/// What a parked client waits for.
#[derive(Debug)]
pub struct Blocked {
    pub db: usize,
    pub keys: Vec<Vec<u8>>,
    /// Absolute unix ms; 0 = forever.
    pub deadline_ms: i64,
    /// The command to re-run when a key becomes ready.
    pub argv: Vec<Vec<u8>>,
}

#[derive(Default)]
pub struct Blocking {
    waiters: HashMap<(usize, Vec<u8>), VecDeque<usize>>,
    ready: VecDeque<(usize, Vec<u8>)>,
    /// Number of parked clients (INFO `blocked_clients`).
    pub count: usize,
}

impl Blocking {
    pub fn block(&mut self, token: usize, db: usize, keys: &[Vec<u8>]) {
        for k in keys {
            let q = self.waiters.entry((db, k.clone())).or_default();
            if !q.contains(&token) {
                q.push_back(token);
            }
        }
        self.count += 1;
    }

    pub fn unblock(&mut self, token: usize, b: &Blocked) {
        for k in &b.keys {
            let id = (b.db, k.clone());
            if let Some(q) = self.waiters.get_mut(&id) {
                q.retain(|&t| t != token);
                if q.is_empty() {
                    self.waiters.remove(&id);
                }
            }
        }
        self.count = self.count.saturating_sub(1);
    }

    /// A write touched `key`: queue it if someone waits on it.
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        if self.waiters.is_empty() {
            return;
        }
        let id = (db, key.to_vec());
        if self.waiters.contains_key(&id) && !self.ready.contains(&id) {
            self.ready.push_back(id);
        }
    }

    fn first_waiter(&self, id: &(usize, Vec<u8>)) -> Option<usize> {
        self.waiters.get(id).and_then(|q| q.front().copied())
    }
}

/// Takes `t` out of the registry and clears its blocked state.
pub fn unblock_client(srv: &mut Server, c: &mut super::client::Client) {
    if let Some(b) = c.blocked.take() {
        srv.blocking.unblock(c.token, &b);
    }
}

/// Serves ready keys (Redis's `handleClientsBlockedOnKeys`).
pub fn serve_ready(srv: &mut Server) {
    while let Some(id) = srv.blocking.ready.pop_front() {
        loop {
            let has_data = match srv.dbs[id.0].peek(&id.1, srv.now_ms) {
                Some(crate::db::object::Value::List(l)) => !l.is_empty(),
                _ => false,
            };
            if !has_data {
                break;
            }
            let Some(t) = srv.blocking.first_waiter(&id) else {
                break;
            };
            let Some(Some(mut c)) = srv.clients.get_mut(t).map(|s| s.take()) else {
                break;
            };
            let Some(b) = c.blocked.take() else {
                srv.clients[t] = Some(c);
                break;
            };
            srv.blocking.unblock(t, &b);
            let saved_db = c.db;
            c.db = b.db;
            let mut buf = Vec::new();
            let mut spans = Vec::with_capacity(b.argv.len());
            for a in &b.argv {
                spans.push((buf.len(), buf.len() + a.len()));
                buf.extend_from_slice(a);
            }
            crate::commands::execute(srv, &mut c, crate::commands::Args::new(&buf, &spans));
            c.db = saved_db;
            let unblocked = c.blocked.is_none();
            srv.clients[t] = Some(c);
            super::event_loop::queue_write(srv, t);
            if unblocked {
                super::event_loop::process_input(srv, t);
            }
        }
    }
}

/// Answers the null array to blocked clients whose timeout passed.
pub fn expire_timeouts(srv: &mut Server) {
    if srv.blocking.count == 0 {
        return;
    }
    let now = srv.now_ms;
    let due: Vec<usize> = srv
        .clients
        .iter()
        .filter_map(|(t, c)| {
            let b = c.as_ref()?.blocked.as_ref()?;
            (b.deadline_ms != 0 && b.deadline_ms <= now).then_some(t)
        })
        .collect();
    for t in due {
        let Some(Some(mut c)) = srv.clients.get_mut(t).map(|s| s.take()) else {
            continue;
        };
        unblock_client(srv, &mut c);
        c.reply.null_array();
        srv.clients[t] = Some(c);
        super::event_loop::queue_write(srv, t);
        super::event_loop::process_input(srv, t);
    }
}
