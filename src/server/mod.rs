//! The server: its state and its reactor (Redis's `server.c` and `ae.c`).
//!
//! `Server` is the one struct that owns everything: configuration, the
//! databases, the connected clients, counters. Exactly one thread touches it,
//! the event loop in `event_loop.rs`, so nothing here needs a lock; a command
//! handler receives `&mut Server` and sees and changes the world alone.

pub mod blocking;
pub mod client;
pub mod cron;
pub mod event_loop;
pub mod idle;
pub mod latency;
pub mod listener;
pub mod memory;
pub mod notify;
pub mod pubsub;
pub mod stats;
pub mod timer;
pub mod watch;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use slab::Slab;

use crate::commands::table::CommandTable;
use crate::config::Config;
use crate::db::keyspace::Db;
use client::Client;
use stats::Stats;

/// Set by SIGTERM/SIGINT; the loop notices it after `epoll_wait` is interrupted.
pub static SHUTDOWN_SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// How SHUTDOWN asked to stop (NOSAVE/SAVE/NOW/FORCE/ABORT are parsed by the command).
#[derive(Clone, Copy, Debug, Default)]
pub struct ShutdownRequest {
    pub requested: bool,
}

/// CLIENT PAUSE state.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pause {
    /// Unix ms until which clients are paused; 0 = not paused.
    pub until_ms: i64,
    /// WRITE mode pauses only writes; ALL pauses every command.
    pub writes_only: bool,
}

pub struct Server {
    pub config: Config,
    pub dbs: Vec<Db>,
    /// Connected clients, indexed by their mio token. The slot of the client
    /// whose command is running is `None` for the duration (see `commands`).
    pub clients: Slab<Option<Box<Client>>>,
    pub stats: Stats,
    /// Eviction pool and over-limit timing (db/evict.rs).
    pub evictor: crate::db::evict::Evictor,
    pub table: CommandTable,
    pub registry: mio::Registry,
    /// Wall clock of the current loop iteration, in unix ms and µs: commands
    /// see one stable "now", as Redis's cached `mstime`.
    pub now_ms: i64,
    pub now_us: i64,
    /// Wall clock and monotonic clock read together at the last sync (every
    /// loop iteration); commands derive "now" from the monotonic clock
    /// alone, which they read anyway to time themselves: one clock read per
    /// command instead of two.
    clock_sync: (Instant, i64),
    /// The monotonic reading taken when the previous command's handler
    /// returned, while the same client's pipeline is being run: the next
    /// command starts from it instead of reading the clock again. Cleared
    /// whenever anything but parsing happens in between (a syscall, another
    /// client), so it never stretches a command's measured time by more than
    /// its predecessor's bookkeeping and its own parse.
    pub clock_hint: Option<Instant>,
    pub start: Instant,
    pub start_unix_ms: i64,
    pub next_client_id: u64,
    pub run_id: String,
    pub shutdown: ShutdownRequest,
    pub pause: Pause,
    /// The query buffer lent to whichever client reads next (Redis 7.4's
    /// "reusable query buffer"): a client whose input is fully consumed
    /// gives it back, so idle connections hold no input buffer at all.
    pub shared_qbuf: Vec<u8>,
    /// Tokens of clients with output waiting to be written.
    pub write_list: Vec<usize>,
    /// Tokens of clients with bytes left unread or commands left unparsed.
    pub read_list: Vec<usize>,
    /// Clients parked by blocking commands (blocking.rs).
    pub blocking: blocking::Blocking,
    /// Clients to close before the loop sleeps (CLIENT KILL, limits).
    pub close_list: Vec<usize>,
    /// Ports actually bound (port 0 in the config asks for none).
    pub tcp_port: u16,
    /// Listening sockets, TCP first; the poller token of entry `i` is
    /// `listener::token(i)`. Replaced by CONFIG SET port / bind.
    pub listeners: Vec<listener::Listener>,
    pub cron_loops: u64,
    /// DEBUG SET-ACTIVE-EXPIRE: when false only lazy expiry runs.
    pub active_expire_enabled: bool,
    /// Active expiry bookkeeping between cycles (`db::expire`).
    pub expire: crate::db::expire::ExpireState,
    pub executable: String,
    /// Channel, pattern and shard-channel subscribers.
    pub pubsub: pubsub::PubSub,
    /// WATCHed keys.
    pub watches: watch::Watches,
}

pub fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub fn unix_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

impl Server {
    pub fn new(config: Config, registry: mio::Registry) -> Server {
        let dbs = (0..config.databases.max(1)).map(|_| Db::new()).collect();
        let now_us = unix_us();
        Server {
            dbs,
            clients: Slab::with_capacity(1024),
            stats: Stats::at_start(),
            evictor: Default::default(),
            table: {
                let mut t = CommandTable::new();
                for (from, to) in &config.renamed_commands {
                    // Validated when the configuration was loaded.
                    let _ = t.rename(from.as_bytes(), to.as_bytes());
                }
                t
            },
            registry,
            now_ms: now_us / 1000,
            now_us,
            clock_sync: (Instant::now(), now_us),
            clock_hint: None,
            start: Instant::now(),
            start_unix_ms: now_us / 1000,
            next_client_id: 1,
            run_id: random_hex(40),
            shutdown: ShutdownRequest::default(),
            pause: Pause::default(),
            shared_qbuf: Vec::new(),
            write_list: Vec::new(),
            read_list: Vec::new(),
            blocking: blocking::Blocking::default(),
            close_list: Vec::new(),
            tcp_port: config.port,
            listeners: Vec::new(),
            cron_loops: 0,
            active_expire_enabled: true,
            expire: Default::default(),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            pubsub: pubsub::PubSub::default(),
            watches: watch::Watches::default(),
            config,
        }
    }

    /// Refreshes the cached clock (once per loop iteration and per command).
    #[inline]
    pub fn update_time(&mut self) {
        self.now_us = unix_us();
        self.now_ms = self.now_us / 1000;
        self.clock_sync = (Instant::now(), self.now_us);
    }

    /// Sets "now" from a monotonic reading taken by the caller (the
    /// command's start time), relative to the last wall-clock sync.
    #[inline]
    pub fn update_time_at(&mut self, at: Instant) {
        let us =
            self.clock_sync.1 + at.saturating_duration_since(self.clock_sync.0).as_micros() as i64;
        self.now_us = us;
        self.now_ms = us / 1000;
    }

    /// Seconds since start.
    pub fn uptime(&self) -> u64 {
        self.start.elapsed().as_secs()
    }

    /// Number of connected clients, including one whose command is running.
    pub fn client_count(&self) -> usize {
        self.clients.len()
    }

    /// Marks a client to be closed before the loop sleeps.
    pub fn schedule_close(&mut self, token: usize) {
        if !self.close_list.contains(&token) {
            self.close_list.push(token);
        }
    }
}

/// Hex digits from the kernel's random source, for the run id.
pub fn random_hex(n: usize) -> String {
    use std::io::Read;
    let mut bytes = vec![0u8; n.div_ceil(2)];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if !ok {
        let mut x = unix_us() as u64 ^ (std::process::id() as u64) << 32;
        for b in bytes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
    }
    let mut s = String::with_capacity(n);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s.truncate(n);
    s
}
