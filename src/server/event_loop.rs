//! The reactor (Redis's `ae.c` main loop with `beforeSleep`).
//!
//! One mio `Poll` waits on the listeners and every client. Each iteration:
//!
//! 1. poll, with a zero timeout if some client still has unread input or
//!    unwritten output, else until the next cron tick (after a spin of a
//!    few µs while spins keep catching the next request, and under heavy
//!    load a nap or two in `nanosleep`: `idle.rs`);
//! 2. accept new connections and read from readable clients, running every
//!    complete command in what was read (one 16 KB read per client per
//!    iteration, so a pipelining client cannot starve the others);
//! 3. serve again the clients that stopped early (`read_list`);
//! 4. run the cron when due (client timeouts, statistics, expiry);
//! 5. before sleeping, write pending replies (`write_list`), at most 64 KB
//!    per client per iteration; WRITABLE interest is registered only when
//!    the kernel's send buffer is full, as Redis does;
//! 6. close clients marked for closing.
//!
//! mio is edge-triggered: an event is reported once per change. The loop
//! therefore never drops a client with bytes in its socket: a read that
//! filled the whole chunk puts the client on `read_list` to be read again
//! next iteration.

use std::io::{self, Write};
use std::time::Duration;

use mio::{Events, Interest, Poll, Token};

use super::client::{Client, Conn, ReadOutcome};
use super::listener::{self, Listener};
use super::{cron, Server, SHUTDOWN_SIGNAL};
use crate::config::Config;
use crate::protocol::parser::{Limits, Parsed};

use listener::LISTENER_BASE;

const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

extern "C" fn on_signal(sig: libc::c_int) {
    SHUTDOWN_SIGNAL.store(sig, std::sync::atomic::Ordering::SeqCst);
}

fn install_signal_handlers() {
    // SAFETY: the handler only stores into an atomic, which is
    // async-signal-safe; SA_RESTART is left off so epoll_wait returns EINTR
    // and the loop notices the request at once. SIGPIPE is ignored so a
    // write to a closed socket is an error value, not a dead process.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGTERM, &sa, std::ptr::null_mut());
        libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// Binds, then serves until shutdown. Returns the process exit code.
pub fn run(config: Config) -> io::Result<i32> {
    let mut poll = Poll::new()?;
    let mut listeners = listener::bind_all(&config)?;
    for (i, l) in listeners.iter_mut().enumerate() {
        let tok = listener::token(i);
        match l {
            Listener::Tcp(l) => poll.registry().register(l, tok, Interest::READABLE)?,
            Listener::Unix(l) => poll.registry().register(l, tok, Interest::READABLE)?,
        }
    }
    let registry = poll.registry().try_clone()?;
    let mut srv = Server::new(config, registry);
    srv.listeners = listeners;
    if let Err(e) = crate::config::apply_oom_score_adj(&srv.config) {
        log::warn!("{e}");
    }
    install_signal_handlers();
    // Redis's startup banner: its ASCII logo when asked for (test suites
    // look for "PID: n" in it), otherwise one line. Ours is plain text.
    if srv.config.always_show_logo {
        log::warn!(
            "\n\n    reddish {} (Redis {} compatible) 64 bit\n    Running in standalone mode\n    Port: {}\n    PID: {}\n",
            env!("CARGO_PKG_VERSION"),
            crate::commands::connection::REDIS_VERSION,
            srv.config.port,
            std::process::id()
        );
    } else {
        log::info!("Running mode=standalone, port={}.", srv.config.port);
    }
    log::info!(
        "reddish {} started, pid={}, port={}, config={}",
        env!("CARGO_PKG_VERSION"),
        std::process::id(),
        srv.config.port,
        srv.config.config_file.as_deref().unwrap_or("(none)")
    );
    log::info!("Ready to accept connections");
    let mut events = Events::with_capacity(1024);
    let mut next_cron = srv.now_ms;
    let mut eof_suspects: Vec<usize> = Vec::new();
    let mut idle = super::idle::IdleWait::on_this_thread();
    loop {
        let timeout = if !srv.read_list.is_empty() || !srv.write_list.is_empty() {
            Duration::ZERO
        } else {
            let cron = (next_cron - srv.now_ms).clamp(0, 1000) as u64;
            let work = crate::db::next_wakeup_ms(&srv).unwrap_or(u64::MAX);
            // A parked client's deadline may come before the cron tick.
            let parked = srv
                .blocking
                .next_deadline()
                .map_or(u64::MAX, |d| (d - srv.now_ms).max(0) as u64);
            Duration::from_millis(cron.min(work).min(parked))
        };
        match idle.wait(&mut poll, &mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        srv.update_time();
        let sig = SHUTDOWN_SIGNAL.swap(0, std::sync::atomic::Ordering::SeqCst);
        if sig != 0 {
            let name = if sig == libc::SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            log::warn!("Received {name} scheduling shutdown...");
            srv.shutdown.requested = true;
        }
        for ev in events.iter() {
            let t = ev.token().0;
            if t > LISTENER_BASE - srv.listeners.len() && t <= LISTENER_BASE {
                accept_all(&mut srv, LISTENER_BASE - t);
                continue;
            }
            if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                handle_readable(&mut srv, t);
                // Edge-triggered: a FIN that arrived with the last bytes is
                // reported once, together with them. A short read took the
                // bytes but not the end of stream, so read once more in the
                // next iteration, after the replies were written, to see
                // it; otherwise the socket would sit in CLOSE_WAIT forever.
                if ev.is_read_closed() {
                    eof_suspects.push(t);
                }
            }
            if ev.is_writable() {
                queue_write(&mut srv, t);
            }
        }
        let again = std::mem::take(&mut srv.read_list);
        for t in again {
            if let Some(Some(c)) = srv.clients.get_mut(t) {
                c.in_read_list = false;
            }
            handle_readable(&mut srv, t);
        }
        if srv.now_ms >= next_cron {
            cron::run(&mut srv);
            let hz = srv.config.hz.clamp(1, 500) as i64;
            next_cron = srv.now_ms + 1000 / hz;
        }
        before_sleep(&mut srv);
        // After the replies went out, so its millisecond delays no reply.
        crate::db::before_sleep(&mut srv);
        for t in eof_suspects.drain(..) {
            if matches!(srv.clients.get(t), Some(Some(_))) && !srv.read_list.contains(&t) {
                srv.read_list.push(t);
            }
        }
        if srv.shutdown.requested {
            break;
        }
    }
    finish_shutdown(&mut srv);
    // The process ends next, and the kernel takes the whole heap back at
    // once. Dropping the keyspace would free every key one by one first:
    // 5.6 s for 10 million keys, a restart delay Redis does not have
    // either (it exits without freeing). Sockets and files close at exit.
    std::mem::forget(srv);
    Ok(0)
}

fn accept_all(srv: &mut Server, i: usize) {
    loop {
        // Looked up again for every connection: a new client's first
        // commands run from here, and a CONFIG SET port/bind among them
        // replaces the listeners.
        let Some(l) = srv.listeners.get_mut(i) else {
            return;
        };
        let keepalive = srv.config.tcp_keepalive;
        let accepted = match l {
            Listener::Tcp(l) => l.accept().map(|(s, peer)| {
                listener::tune_accepted(&s, keepalive);
                let laddr = s.local_addr().map(|a| a.to_string()).unwrap_or_default();
                let local = peer.ip().is_loopback();
                (Conn::Tcp(s), peer.to_string(), laddr, local, false)
            }),
            Listener::Unix(l) => l.accept().map(|(s, _)| {
                let path = srv.config.unixsocket.clone().unwrap_or_default();
                (Conn::Unix(s), format!("{path}:0"), path, true, true)
            }),
        };
        match accepted {
            Ok((mut conn, addr, laddr, local, unix)) => {
                if srv.clients.len() >= srv.config.maxclients {
                    let _ = conn.write(b"-ERR max number of clients reached\r\n");
                    srv.stats.rejected_connections += 1;
                    continue;
                }
                // Redis 7.0 protects whatever `bind` says (its default
                // binds every interface): only a password or
                // protected-mode no lets a non-loopback client in.
                if srv.config.protected_mode && srv.config.requirepass.is_none() && !local {
                    log::warn!("Denied connection from {addr}: protected mode");
                    let _ = conn.write(PROTECTED_MODE_DENIED);
                    srv.stats.rejected_connections += 1;
                    continue;
                }
                srv.stats.total_connections_received += 1;
                let entry = srv.clients.vacant_entry();
                let token = entry.key();
                if token >= LISTENER_BASE - 64 {
                    continue;
                }
                if srv
                    .registry
                    .register(conn.source(), Token(token), Interest::READABLE)
                    .is_err()
                {
                    continue;
                }
                let id = srv.next_client_id;
                srv.next_client_id += 1;
                let mut c = Client::new(id, token, conn, addr, laddr, srv.now_ms);
                c.flags.local = local;
                c.flags.unix_socket = unix;
                c.authenticated = srv.config.requirepass.is_none();
                entry.insert(Some(Box::new(c)));
                // Data may already be waiting; the edge may have fired before
                // registration, so try a read now.
                handle_readable(srv, token);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                log::warn!("Accepting client connection: {e}");
                return;
            }
        }
    }
}

/// Reads one chunk from a client and runs the commands it completes.
fn handle_readable(srv: &mut Server, t: usize) {
    let Some(Some(c)) = srv.clients.get_mut(t) else {
        return;
    };
    if c.flags.close_after_reply || c.flags.close_asap {
        return;
    }
    if c.qbuf.is_empty() && !srv.shared_qbuf.is_empty() {
        c.qbuf = std::mem::take(&mut srv.shared_qbuf);
    }
    let before = c.net_in;
    let outcome = c.read_some();
    srv.stats.total_net_input_bytes += c.net_in - before;
    match outcome {
        ReadOutcome::Closed => {
            free_client(srv, t);
            return;
        }
        ReadOutcome::WouldBlock => {}
        ReadOutcome::Data { more } => {
            srv.stats.total_reads_processed += 1;
            c.last_interaction_ms = srv.now_ms;
            if more && !c.in_read_list {
                c.in_read_list = true;
                srv.read_list.push(t);
            }
        }
    }
    process_input(srv, t);
}

/// Memory-level parallelism for pipelines. In a table of millions of keys
/// each lookup costs a cache miss on its bucket and another on the entry
/// (with TLB misses on top), several hundred nanoseconds that a command
/// spends waiting, one command after the other. When a client's buffer
/// holds several commands, their keys are hashed up front and their
/// buckets, then their first entries, requested together, so the misses of
/// a 16-command pipeline overlap instead of adding up (Valkey 8 does the
/// same). Small tables skip it: their lookups hit the cache already.
fn prefetch_pipeline(srv: &Server, c: &Client) {
    if c.parser.in_progress() || c.qlen <= c.qpos {
        return;
    }
    if let Some(db) = srv.dbs.get(c.db) {
        db.prefetch_keys(&c.qbuf[c.qpos..c.qlen]);
    }
}

/// Cuts complete commands out of the client's query buffer and runs them.
pub fn process_input(srv: &mut Server, t: usize) {
    // A new batch: its first command reads the clock afresh.
    srv.clock_hint = None;
    let Some(slot) = srv.clients.get_mut(t) else {
        return;
    };
    let Some(mut c) = slot.take() else { return };
    prefetch_pipeline(srv, &c);
    loop {
        // A parked client's further input waits until it is unblocked.
        if c.flags.close_after_reply || c.flags.close_asap || c.blocked.is_some() {
            break;
        }
        let limits = Limits {
            max_bulk: srv.config.proto_max_bulk_len,
            unauthenticated: !c.authenticated,
        };
        let parsed = {
            let Client {
                qbuf,
                qlen,
                qpos,
                parser,
                scratch,
                ..
            } = &mut *c;
            parser.parse(&qbuf[..*qlen], qpos, limits, scratch)
        };
        match parsed {
            Ok(Parsed::Command) => {
                // The security check of Redis: a browser tricked into
                // talking to us sends "POST" or "Host:" first.
                let qbuf = std::mem::take(&mut c.qbuf);
                let scratch = std::mem::take(&mut c.scratch);
                let spans = std::mem::take(&mut c.parser.spans);
                let src: &[u8] = if c.parser.inline { &scratch } else { &qbuf };
                let args = crate::commands::Args::new(src, &spans);
                let first = args.get(0);
                if paused_for(srv, &c, args) {
                    // CLIENT PAUSE: leave the command in the buffer; the
                    // cron re-serves the client when the pause ends.
                    // Rewind to the command's first byte, which lies before
                    // where this parse call began if it came in several reads.
                    c.qpos = c.parser.command_start();
                    c.qbuf = qbuf;
                    c.scratch = scratch;
                    c.parser.spans = spans;
                    // Redis blocks such a client (BLOCKED_POSTPONE): it
                    // shows as blocked in INFO and CLIENT LIST.
                    c.flags.postponed = true;
                    break;
                } else if first.eq_ignore_ascii_case(b"post")
                    || first.eq_ignore_ascii_case(b"host:")
                {
                    log::warn!("Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.");
                    c.flags.close_asap = true;
                } else {
                    c.flags.postponed = false;
                    crate::commands::execute(srv, &mut c, args);
                    if obuf_hard_reached(srv, &c) {
                        close_for_obuf(srv, &mut c);
                    }
                }
                c.qbuf = qbuf;
                c.scratch = scratch;
                // Kept for the next command, unless a huge one (SADD of
                // 100k members) grew it: 16 bytes per argument would stay
                // counted in used_memory, where Redis frees argv each time.
                if spans.capacity() <= 1024 {
                    c.parser.spans = spans;
                }
                // Keys this command made ready are served before the
                // client's next command (Redis's processCommand).
                if super::blocking::pending(srv) {
                    srv.clients[t] = Some(c);
                    super::blocking::serve_ready(srv);
                    srv.clock_hint = None;
                    match srv.clients.get_mut(t).and_then(Option::take) {
                        Some(back) => c = back,
                        None => return,
                    }
                }
            }
            Ok(Parsed::Empty) => continue,
            Ok(Parsed::Incomplete) => break,
            Err(e) => {
                let msg = e.message();
                log::debug!(
                    "Protocol error ({msg}) from client: id={} addr={}",
                    c.id,
                    c.addr
                );
                c.reply.muted = false;
                c.reply.error(msg.as_bytes());
                srv.stats.count_error(msg.as_bytes());
                c.flags.close_after_reply = true;
                c.qpos = c.qlen;
                break;
            }
        }
    }
    if c.query_len() as u64 > srv.config.client_query_buffer_limit {
        log::warn!(
            "Closing client that reached max query buffer length: id={} addr={} qbuf={}",
            c.id,
            c.addr,
            c.query_len()
        );
        srv.stats.client_qbuf_limit_disconnections += 1;
        c.flags.close_asap = true;
    }
    if c.qpos == c.qlen
        && !c.parser.in_progress()
        && !c.qbuf.is_empty()
        && srv.shared_qbuf.is_empty()
    {
        // Everything read was executed: lend the buffer back (or free it,
        // if a big argument grew it).
        c.qpos = 0;
        c.qlen = 0;
        let buf = std::mem::take(&mut c.qbuf);
        if buf.len() <= 4 * super::client::READ_CHUNK {
            srv.shared_qbuf = buf;
        }
    }
    let token = c.token;
    let has_output = c.reply.pending() > 0;
    let closing = c.flags.close_asap;
    let needs_write = has_output && !c.in_write_list;
    if needs_write {
        c.in_write_list = true;
    }
    if let Some(slot) = srv.clients.get_mut(token) {
        *slot = Some(c);
    }
    if needs_write {
        srv.write_list.push(token);
    }
    if closing
        || (!has_output
            && srv
                .clients
                .get(token)
                .and_then(|s| s.as_ref())
                .is_some_and(|c| c.flags.close_after_reply))
    {
        srv.schedule_close(token);
    }
}

/// True if CLIENT PAUSE holds this command back: every command in ALL
/// mode; in WRITE mode the ones that may change data (as Redis, also
/// EVAL-like and PUBLISH-like commands flagged may_replicate).
/// CLIENT PAUSE holds this command (Redis's processCommand postpones it).
/// Redis decides after its own checks, so a command they would refuse
/// (unknown, wrong arity, unauthenticated, protected, NOREPLICAS) is
/// answered at once, here by letting it run into that error. Under WRITE,
/// only commands flagged write or may-replicate wait (the subcommand's
/// flags for a container), and EXEC when it queued such commands, and a
/// write sent inside MULTI waits before being queued.
fn paused_for(srv: &Server, c: &Client, args: crate::commands::Args) -> bool {
    use crate::commands::table::flags::{MAY_REPLICATE, NO_AUTH, PROTECTED, WRITE};
    if srv.pause.until_ms <= srv.now_ms {
        return false;
    }
    let Some(idx) = srv.table.lookup(args.get(0)) else {
        return false;
    };
    let mut def = srv.table.def(idx);
    if !def.subcommands.is_empty() && args.len() >= 2 {
        match srv.table.lookup_sub(idx, args.get(1)) {
            Some((_, sub)) => def = sub,
            None => return false,
        }
    }
    let n = args.len();
    if (def.arity > 0 && n != def.arity as usize) || n < def.arity.unsigned_abs() as usize {
        return false;
    }
    if !c.authenticated && def.flags & NO_AUTH == 0 {
        return false;
    }
    if def.flags & PROTECTED != 0 && !crate::commands::debug::allowed(srv, c) {
        return false;
    }
    let exec = def.name == "exec";
    let writes = def.flags & (WRITE | MAY_REPLICATE) != 0
        || (exec && (c.multi.has_write || c.multi.has_may_replicate));
    if crate::commands::refused_for_replicas(srv, def, c) {
        return false;
    }
    !srv.pause.writes_only || writes
}

/// Puts a client on the write list (after a writable event or new output).
pub fn queue_write(srv: &mut Server, t: usize) {
    if let Some(Some(c)) = srv.clients.get_mut(t) {
        if !c.in_write_list {
            c.in_write_list = true;
            srv.write_list.push(t);
        }
    }
}

/// Writes pending replies and closes clients marked for it.
fn before_sleep(srv: &mut Server) {
    super::blocking::before_sleep(srv);
    let list = std::mem::take(&mut srv.write_list);
    for t in list {
        let Some(Some(c)) = srv.clients.get_mut(t) else {
            continue;
        };
        c.in_write_list = false;
        // As Redis: a client marked to be closed gets nothing more (its
        // pending replies after a POST/Host: line are dropped, not sent).
        if c.flags.close_asap {
            continue;
        }
        match c.write_some() {
            Err(_) => {
                srv.schedule_close(t);
                continue;
            }
            Ok((done, written)) => {
                if written > 0 {
                    srv.stats.total_net_output_bytes += written as u64;
                    srv.stats.total_writes_processed += 1;
                    c.last_interaction_ms = srv.now_ms;
                }
                if done {
                    if c.want_writable {
                        c.want_writable = false;
                        let _ = srv.registry.reregister(
                            c.conn.source(),
                            mio::Token(t),
                            Interest::READABLE,
                        );
                    }
                    if c.flags.close_after_reply {
                        srv.schedule_close(t);
                    }
                } else if written >= super::client::WRITE_BUDGET {
                    // Budget spent, the kernel may take more: our turn again next iteration.
                    c.in_write_list = true;
                    srv.write_list.push(t);
                } else if !c.want_writable {
                    c.want_writable = true;
                    let _ = srv.registry.reregister(
                        c.conn.source(),
                        mio::Token(t),
                        Interest::READABLE | Interest::WRITABLE,
                    );
                }
            }
        }
    }
    check_output_limits(srv);
    let close = std::mem::take(&mut srv.close_list);
    for t in close {
        free_client(srv, t);
    }
}

/// True when `c`'s unsent replies reach its class's hard output limit
/// (Redis checks this as replies are appended, before anything is sent).
pub fn obuf_hard_reached(srv: &Server, c: &Client) -> bool {
    let hard = obuf_hard_limit(srv, c);
    hard > 0 && c.reply.pending() as u64 >= hard
}

/// The hard output limit of `c`'s class (pubsub while subscribed), 0 = none.
pub fn obuf_hard_limit(srv: &Server, c: &Client) -> u64 {
    if c.subs.active() {
        srv.config.obuf_pubsub.hard
    } else {
        srv.config.obuf_normal.hard
    }
}

/// Redis's closeClientOnOutputBufferLimitReached (async): nothing more is
/// sent to the client, it reads no further commands, and it is closed
/// before the loop sleeps.
fn close_for_obuf(srv: &mut Server, c: &mut Client) {
    log::warn!(
        "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
        c.id,
        c.addr
    );
    c.flags.close_asap = true;
    srv.stats.client_outbuf_limit_disconnections += 1;
    srv.schedule_close(c.token);
}

/// Enforces `client-output-buffer-limit normal`: a client whose unsent
/// replies pass the hard limit, or stay over the soft limit for the soft
/// seconds, is disconnected rather than allowed to eat memory.
fn check_output_limits(srv: &mut Server) {
    let normal = srv.config.obuf_normal;
    let pubsub = srv.config.obuf_pubsub;
    let now = srv.now_ms;
    let mut over = Vec::new();
    for (t, slot) in srv.clients.iter_mut() {
        let Some(c) = slot else { continue };
        // Subscribed clients are the pubsub class (Redis's getClientType).
        let lim = if c.subs.active() { pubsub } else { normal };
        if lim.hard == 0 && lim.soft == 0 {
            continue;
        }
        let pending = c.reply.pending() as u64;
        if pending == 0 {
            c.obuf_soft_since_ms = 0;
            continue;
        }
        let hard = lim.hard > 0 && pending >= lim.hard;
        let mut soft = false;
        if lim.soft > 0 && pending >= lim.soft {
            if c.obuf_soft_since_ms == 0 {
                c.obuf_soft_since_ms = now;
            } else if (now - c.obuf_soft_since_ms) as u64 > lim.soft_seconds * 1000 {
                soft = true;
            }
        } else {
            c.obuf_soft_since_ms = 0;
        }
        if hard || soft {
            log::warn!("Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.", c.id, c.addr);
            c.flags.close_asap = true;
            over.push(t);
        }
    }
    for t in over {
        srv.stats.client_outbuf_limit_disconnections += 1;
        srv.schedule_close(t);
    }
}

/// Deregisters and drops a client.
pub fn free_client(srv: &mut Server, t: usize) {
    if let Some(Some(_)) = srv.clients.get(t) {
        if let Some(Some(mut c)) = srv.clients.try_remove(t) {
            super::blocking::unblock_client(srv, &mut c);
            let _ = srv.registry.deregister(c.conn.source());
            crate::server::pubsub::forget_client(&mut srv.pubsub, &mut c.subs, t);
            for (db, key) in std::mem::take(&mut c.multi.watched) {
                srv.watches.remove(db, &key, t);
            }
        }
    }
}

/// Flushes what can be flushed and says goodbye.
fn finish_shutdown(srv: &mut Server) {
    log::warn!("User requested shutdown...");
    let deadline = std::time::Instant::now() + Duration::from_millis(500);
    for (_, slot) in srv.clients.iter_mut() {
        if let Some(c) = slot {
            while c.reply.pending() > 0 && std::time::Instant::now() < deadline {
                match c.write_some() {
                    Ok((true, _)) | Err(_) => break,
                    Ok((false, _)) => std::thread::sleep(Duration::from_millis(1)),
                }
            }
        }
    }
    if let Some(path) = &srv.config.unixsocket {
        let _ = std::fs::remove_file(path);
    }
    log::warn!("Redis is now ready to exit, bye bye...");
}
