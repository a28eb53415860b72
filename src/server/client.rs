//! One connected client (Redis's `client` struct and the read/write halves
//! of `networking.c`).
//!
//! A client owns its socket, its query buffer (bytes read but not yet
//! executed), its parser state and its reply buffer. Reading and writing
//! follow the edge-triggered rules of mio: a readiness event is reported
//! once, so after an event we either read until the kernel has nothing left
//! or remember that we stopped early (`Server::read_list`). A short read on a
//! stream socket means the kernel buffer is empty, which saves the extra
//! `read` that would only return `WouldBlock`.

use std::io::{self, Read, Write};

use mio::net::{TcpStream, UnixStream};

use crate::protocol::parser::Parser;
use crate::protocol::reply::Reply;

/// How much is read per call, as Redis's PROTO_IOBUF_LEN.
pub const READ_CHUNK: usize = 16 * 1024;
/// Most bytes read per call while a big bulk argument arrives.
pub const BIG_READ: usize = 1024 * 1024;
/// How much is written per client per loop iteration before others get a
/// turn, as Redis's NET_MAX_WRITES_PER_EVENT.
pub const WRITE_BUDGET: usize = 64 * 1024;

pub enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Conn {
    pub fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Conn::Tcp(s) => s,
            Conn::Unix(s) => s,
        }
    }

    pub fn fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self {
            Conn::Tcp(s) => s.as_raw_fd(),
            Conn::Unix(s) => s.as_raw_fd(),
        }
    }
}

impl Read for Conn {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(b),
            Conn::Unix(s) => s.read(b),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(b),
            Conn::Unix(s) => s.write(b),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Client flags shown by CLIENT LIST (`flags=`) and used by the loop.
#[derive(Default, Clone, Copy)]
pub struct Flags {
    /// A command held back by CLIENT PAUSE waits in the buffer (Redis's
    /// BLOCKED_POSTPONE: flag `b`, counted in `blocked_clients`).
    pub postponed: bool,
    /// QUIT, or a protocol error: close once the reply is written.
    pub close_after_reply: bool,
    /// Close before the loop sleeps (CLIENT KILL, output limits).
    pub close_asap: bool,
    pub unix_socket: bool,
    /// CLIENT REPLY SKIP: drop the reply of the next command only.
    pub reply_skip_next: bool,
    pub reply_off: bool,
    pub no_evict: bool,
    pub no_touch: bool,
    /// Loopback or unix socket peer (DEBUG `local`, protected mode).
    pub local: bool,
}

pub struct Client {
    pub id: u64,
    pub token: usize,
    pub conn: Conn,
    pub addr: String,
    pub laddr: String,
    /// Query buffer: `qbuf[qpos..qlen]` is unparsed input. The vector's
    /// length is its usable size, so reading never re-zeroes memory.
    pub qbuf: Vec<u8>,
    pub qlen: usize,
    pub qpos: usize,
    /// Largest query buffer use seen since the last cron check (qbuf-free hint).
    pub qbuf_peak: usize,
    pub parser: Parser,
    /// Unescaped arguments of an inline command.
    pub scratch: Vec<u8>,
    pub reply: Reply,
    pub db: usize,
    /// Set while parked by a blocking command (server/blocking.rs).
    pub blocked: Option<Box<super::blocking::Blocked>>,
    pub name: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    pub authenticated: bool,
    pub flags: Flags,
    pub ctime_ms: i64,
    pub last_interaction_ms: i64,
    /// Name of the last command run (CLIENT LIST `cmd=`); for a
    /// subcommand, `last_cmd_parent` holds the container (`client|list`).
    pub last_cmd: &'static str,
    pub last_cmd_parent: &'static str,
    /// Since when the output buffer has been over the soft limit (0 = not).
    pub obuf_soft_since_ms: i64,
    /// True while WRITABLE interest is registered with the poller.
    pub want_writable: bool,
    /// True while on `Server::write_list`.
    pub in_write_list: bool,
    /// True while on `Server::read_list` (flags avoid O(n) list searches
    /// when thousands of clients pipeline at once).
    pub in_read_list: bool,
    /// Total bytes read and written, for CLIENT LIST tot-net-in/out.
    pub net_in: u64,
    pub net_out: u64,
    pub commands_processed: u64,
    /// Pub/Sub subscriptions (subscribed mode when any).
    pub subs: crate::server::pubsub::ClientSubs,
    /// MULTI queue and WATCHed keys.
    pub multi: crate::server::watch::MultiState,
}

/// What a read from the socket produced.
pub enum ReadOutcome {
    /// Bytes arrived; `more` if the kernel may hold more (full chunk read).
    Data { more: bool },
    /// Nothing to read right now.
    WouldBlock,
    /// The peer closed or the socket failed.
    Closed,
}

impl Client {
    pub fn new(
        id: u64,
        token: usize,
        conn: Conn,
        addr: String,
        laddr: String,
        now_ms: i64,
    ) -> Client {
        Client {
            id,
            token,
            conn,
            addr,
            laddr,
            qbuf: Vec::new(),
            qlen: 0,
            qpos: 0,
            qbuf_peak: 0,
            parser: Parser::new(),
            scratch: Vec::new(),
            reply: Reply::default(),
            db: 0,
            blocked: None,
            name: None,
            lib_name: None,
            lib_ver: None,
            authenticated: false,
            flags: Flags::default(),
            ctime_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: "NULL",
            last_cmd_parent: "",
            obuf_soft_since_ms: 0,
            want_writable: false,
            in_write_list: false,
            in_read_list: false,
            net_in: 0,
            net_out: 0,
            commands_processed: 0,
            subs: Default::default(),
            multi: Default::default(),
        }
    }

    /// Reads one chunk (or the rest of a big bulk argument) from the socket.
    pub fn read_some(&mut self) -> ReadOutcome {
        // Drop consumed bytes first so the buffer does not creep forward.
        self.compact_query();
        let mut want = READ_CHUNK;
        if let Some(need) = self.parser.wanted() {
            // A big bulk argument: reserve room for all of it at once, as
            // Redis does for arguments of 32 KB and more, so it is not
            // copied repeatedly while the buffer grows. Reserving is only
            // address space; the buffer's length (zero-filled, so resident)
            // grows by at most BIG_READ per read, with the bytes that
            // actually arrive. Sizing it to the announced length instead let
            // three clients each sending `$500000000` and a few bytes pin
            // 1.2 GB of RSS (Redis: nothing).
            let have = self.qlen - self.qpos;
            if need > have {
                let missing = need - have;
                let full = self.qlen + missing;
                if full > self.qbuf.len() {
                    self.qbuf.reserve_exact(full - self.qbuf.len());
                }
                want = want.max(missing.min(BIG_READ));
            }
        }
        if self.qbuf.len() - self.qlen < want {
            let target = self.qlen + want;
            self.qbuf.resize(target, 0);
        }
        let end = (self.qlen + want).min(self.qbuf.len());
        match self.conn.read(&mut self.qbuf[self.qlen..end]) {
            Ok(0) => ReadOutcome::Closed,
            Ok(n) => {
                self.qlen += n;
                self.net_in += n as u64;
                self.qbuf_peak = self.qbuf_peak.max(self.qlen);
                ReadOutcome::Data {
                    more: n == end - (self.qlen - n),
                }
            }
            // Nothing came (typically the read tried right after accept).
            // The buffer, if empty, goes back to the server's shared one
            // after `process_input`, so idle clients pin no input buffer.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => ReadOutcome::WouldBlock,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => ReadOutcome::Data { more: true },
            Err(_) => ReadOutcome::Closed,
        }
    }

    /// Moves unparsed input to the front of the query buffer. A half-read
    /// multibulk keeps its first bytes too: the arguments already cut are
    /// spans into them (see `Parser::keep_from`).
    pub fn compact_query(&mut self) {
        let from = self.parser.keep_from(self.qpos);
        if from == 0 {
            return;
        }
        self.qbuf.copy_within(from..self.qlen, 0);
        self.parser.shift(from);
        self.qlen -= from;
        self.qpos -= from;
        // Give back a buffer a big request grew, once it is idle.
        if self.qlen == 0 && self.qbuf.len() > 4 * READ_CHUNK && !self.parser.in_progress() {
            self.qbuf = Vec::new();
        }
    }

    /// Bytes of input held for this client (CLIENT LIST qbuf=, the query buffer limit).
    pub fn query_len(&self) -> usize {
        self.qlen - self.qpos
    }

    /// Writes pending output, at most `WRITE_BUDGET` bytes. Returns
    /// Ok(true) when everything was written, Ok(false) when the kernel
    /// buffer is full or the budget ran out, Err when the socket failed.
    pub fn write_some(&mut self) -> io::Result<(bool, usize)> {
        let mut written = 0;
        while self.reply.pending() > 0 {
            let end = (self.reply.sent + WRITE_BUDGET - written).min(self.reply.buf.len());
            match self.conn.write(&self.reply.buf[self.reply.sent..end]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.reply.sent += n;
                    written += n;
                    self.net_out += n as u64;
                    if written >= WRITE_BUDGET || n < end - (self.reply.sent - n) {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        let done = self.reply.pending() == 0;
        self.reply.compact();
        Ok((done, written))
    }

    /// CLIENT LIST `flags=` letters.
    pub fn flag_letters(&self) -> String {
        // Redis 7.0's order: ... x b t R B d c u A U r e (T in 7.2).
        let mut s = String::new();
        if self.subs.active() {
            s.push('P');
        }
        if self.multi.queue.is_some() || self.multi.in_exec {
            s.push('x');
        }
        if self.blocked.is_some() || self.flags.postponed {
            s.push('b');
        }
        if self.flags.close_after_reply {
            s.push('c');
        }
        if self.flags.close_asap {
            s.push('A');
        }
        if self.flags.unix_socket {
            s.push('U');
        }
        if self.flags.no_evict {
            s.push('e');
        }
        if self.flags.no_touch {
            s.push('T');
        }
        if s.is_empty() {
            s.push('N');
        }
        s
    }
}
