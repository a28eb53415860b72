//! Commands: from argv to reply (Redis's `processCommand` and `call`).
//!
//! `execute` is the one door every command goes through. It looks the name
//! up in the static table, checks arity, authentication and CLIENT PAUSE,
//! runs the handler and keeps the statistics INFO commandstats and
//! errorstats report. Handlers live in one file per family, as Redis's
//! `t_string.c`, `t_hash.c`...: each receives a `Ctx` (the server, the
//! calling client and the arguments) and returns `Ok(())` after writing its
//! reply, or a `CmdError` whose text `execute` writes for it.
//!
//! Timing each command for commandstats and latencystats takes a monotonic
//! clock reading before and after the handler, as Redis's `call()` does.
//! In a pipeline the reading taken when one command ends is the next one's
//! start (`Server::clock_hint`): the clock is then read once per command,
//! not twice, which at pipeline 16 was a third of our user time. The hint
//! never spans a syscall or another client, so a command's measured time
//! grows at most by its predecessor's bookkeeping and its own parse.

pub mod bitmaps;
pub mod client_cmd;
pub mod command_cmd;
pub mod config_cmd;
pub mod connection;
pub mod debug;
pub mod expire;
pub mod hashes;
pub mod info;
pub mod keys;
pub mod lists;
pub mod memory_cmd;
pub mod multi;
pub mod pubsub;
pub mod server_cmds;
pub mod sets;
pub mod streams;
pub mod strings;
pub mod table;
pub mod zsets;

use std::borrow::Cow;

use crate::server::client::Client;
use crate::server::Server;
use table::flags;

/// The arguments of one command: spans into the query buffer, not copies.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    buf: &'a [u8],
    spans: &'a [(usize, usize)],
}

impl<'a> Args<'a> {
    pub fn new(buf: &'a [u8], spans: &'a [(usize, usize)]) -> Args<'a> {
        Args { buf, spans }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Argument `i` (0 is the command name). Out of range gives an empty slice.
    #[inline]
    pub fn get(&self, i: usize) -> &'a [u8] {
        match self.spans.get(i) {
            Some(&(a, b)) => &self.buf[a..b],
            None => &[],
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let buf = self.buf;
        self.spans.iter().map(move |&(a, b)| &buf[a..b])
    }

    /// Arguments from `i` on.
    pub fn from(&self, i: usize) -> Args<'a> {
        Args {
            buf: self.buf,
            spans: &self.spans[i.min(self.spans.len())..],
        }
    }
}

/// An error reply. The text is the whole message after `-`, code first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdError(pub Cow<'static, str>);

impl CmdError {
    pub const fn new(s: &'static str) -> CmdError {
        CmdError(Cow::Borrowed(s))
    }
    pub fn owned(s: String) -> CmdError {
        CmdError(Cow::Owned(s))
    }
}

/// The errors every family uses, with Redis's exact text.
pub mod err {
    use super::CmdError;
    pub const SYNTAX: CmdError = CmdError::new("ERR syntax error");
    /// Redis's getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX): random
    /// picks with a count refuse LONG_MIN, whose negation overflows.
    pub const COUNT_RANGE: CmdError = CmdError::new(
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
    pub const WRONGTYPE: CmdError =
        CmdError::new("WRONGTYPE Operation against a key holding the wrong kind of value");
    pub const NOT_INT: CmdError = CmdError::new("ERR value is not an integer or out of range");
    pub const NOT_FLOAT: CmdError = CmdError::new("ERR value is not a valid float");
    pub const OVERFLOW: CmdError = CmdError::new("ERR increment or decrement would overflow");
    pub const NO_KEY: CmdError = CmdError::new("ERR no such key");
    pub const DB_RANGE: CmdError = CmdError::new("ERR DB index is out of range");
    pub const NOAUTH: CmdError = CmdError::new("NOAUTH Authentication required.");
    pub const NOT_POSITIVE: CmdError = CmdError::new("ERR value is out of range, must be positive");
    pub const NOREPLICAS: CmdError = CmdError::new("NOREPLICAS Not enough good replicas to write.");
    pub const OOM: CmdError =
        CmdError::new("OOM command not allowed when used memory > 'maxmemory'.");
    pub const INVALID_EXPIRE: CmdError = CmdError::new("ERR invalid expire time in 'set' command");

    /// `ERR unknown subcommand 'x'. Try NAME HELP.`
    pub fn unknown_subcommand(sub: &[u8], cmd: &str) -> CmdError {
        let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
        CmdError::owned(format!(
            "ERR unknown subcommand '{sub}'. Try {} HELP.",
            cmd.to_ascii_uppercase()
        ))
    }

    pub fn wrong_arity(fullname: &str) -> CmdError {
        CmdError::owned(format!(
            "ERR wrong number of arguments for '{fullname}' command"
        ))
    }
}

pub type CmdResult = Result<(), CmdError>;

/// What a handler works with.
pub struct Ctx<'a> {
    pub srv: &'a mut Server,
    pub client: &'a mut Client,
    pub args: Args<'a>,
}

impl Ctx<'_> {
    /// The client's unsent replies reached its hard output limit: a command
    /// producing a huge reply stops early, as Redis's loops do on
    /// CLIENT_CLOSE_ASAP (the client is closed and gets none of it).
    pub fn obuf_hard_reached(&self) -> bool {
        crate::server::event_loop::obuf_hard_reached(self.srv, self.client)
    }

    /// The client's hard output limit in bytes (0: none), for loops that
    /// hold a borrow of the keyspace and compare `reply.pending()` to it.
    pub fn obuf_hard_limit(&self) -> u64 {
        crate::server::event_loop::obuf_hard_limit(self.srv, self.client)
    }

    /// The client's current database.
    #[inline]
    pub fn db(&mut self) -> &mut crate::db::keyspace::Db {
        &mut self.srv.dbs[self.client.db]
    }

    /// A write changed `key` in the client's database: Redis's
    /// `signalModifiedKey` (WATCH invalidation) followed by
    /// `notifyKeyspaceEvent(class, event, key, db)`. Call it where Redis
    /// calls both, with Redis's event name (`b"set"`, `b"lpush"`...) and
    /// class (`crate::server::notify::STRING`, `GENERIC`, `LIST`...).
    #[inline]
    pub fn changed(&mut self, class: u32, event: &[u8], key: &[u8]) {
        let db = self.client.db;
        self.modified(db, key);
        self.notify(class, event, key, db);
    }

    /// Redis's `signalModifiedKey` alone: clients watching `key` in `db`
    /// will see their EXEC fail.
    #[inline]
    pub fn modified(&mut self, db: usize, key: &[u8]) {
        // Redis bumps `server.dirty` where it signals a change; counting
        // here gives INFO's rdb_changes_since_last_save the same meaning
        // (one per changed key: Redis adds one per element for some
        // collection writes, such as SADD of three new members).
        self.srv.stats.dirty += 1;
        if !self.srv.watches.keys.is_empty() {
            multi::touch_key(self.srv, self.client, db, key);
        }
    }

    /// Redis's `notifyKeyspaceEvent` alone (events with no modification,
    /// such as `del` of an emptied collection after its own event, or
    /// `rename_from`/`rename_to` pairs). Costs one branch when
    /// notifications are off.
    #[inline]
    pub fn notify(&mut self, class: u32, event: &[u8], key: &[u8], db: usize) {
        let flags = self.srv.config.notify_keyspace_events;
        if flags == 0 {
            return;
        }
        // Events the Db logged during this command (a lazily expired key,
        // a created key) happened before this one: publish them first.
        multi::drain_expired(self.srv, Some(self.client));
        if flags & class != 0 {
            crate::server::notify::notify(self.srv, Some(self.client), class, event, key, db);
        }
    }
}

/// Redis's checkGoodReplicasStatus: with `min-replicas-to-write` and a
/// non-zero max lag, a master without enough good replicas refuses writes
/// (an EXEC of queued writes too); reddish never has replicas.
pub fn refused_for_replicas(srv: &Server, def: &table::CommandDef, client: &Client) -> bool {
    srv.config.min_replicas_to_write > 0
        && srv.config.min_replicas_max_lag > 0
        && (def.flags & flags::WRITE != 0 || (def.name == "exec" && client.multi.has_write))
}

/// Runs one command for `client`, writing its reply.
pub fn execute(srv: &mut Server, client: &mut Client, args: Args) {
    // One clock read per command in a pipeline: the previous command's end.
    let start = srv
        .clock_hint
        .take()
        .unwrap_or_else(std::time::Instant::now);
    srv.update_time_at(start);
    client.commands_processed += 1;
    // CLIENT REPLY SKIP silences whatever comes next, rejected commands too.
    if client.flags.reply_skip_next {
        client.flags.reply_skip_next = false;
        client.reply.muted = true;
    }
    let name = args.get(0);
    let Some(idx) = srv.table.lookup(name) else {
        let mut msg = String::from("ERR unknown command '");
        msg.push_str(&String::from_utf8_lossy(&name[..name.len().min(128)]));
        msg.push_str("', with args beginning with: ");
        let mut shown = String::new();
        for a in args.iter().skip(1) {
            if shown.len() >= 128 {
                break;
            }
            let room = 128 - shown.len();
            let a = String::from_utf8_lossy(a);
            let a: String = a.chars().take(room).collect();
            shown.push('\'');
            shown.push_str(&a);
            shown.push_str("' ");
        }
        msg.push_str(&shown);
        client.last_cmd = "NULL";
        client.last_cmd_parent = "";
        reject(srv, client, None, CmdError::owned(msg));
        return;
    };
    let mut def = srv.table.def(idx);
    let mut stat_idx = idx;
    if !def.subcommands.is_empty() && args.len() >= 2 {
        match srv.table.lookup_sub(idx, args.get(1)) {
            Some((sidx, sdef)) => {
                def = sdef;
                stat_idx = sidx;
            }
            None => {
                client.last_cmd = "NULL";
                client.last_cmd_parent = "";
                let e = err::unknown_subcommand(args.get(1), def.name);
                reject(srv, client, Some(idx), e);
                return;
            }
        }
    }
    // As Redis's processCommand, the command is recorded (CLIENT LIST
    // `cmd=`) once looked up, before arity and auth checks can reject it.
    // Commands run by EXEC leave it at `exec`, as in Redis.
    if !client.multi.in_exec {
        client.last_cmd = def.name;
        client.last_cmd_parent = if stat_idx != idx {
            srv.table.def(idx).name
        } else {
            ""
        };
    }
    if (def.arity > 0 && args.len() != def.arity as usize)
        || (args.len() < def.arity.unsigned_abs() as usize)
    {
        let full = srv.table.fullname(stat_idx);
        reject(srv, client, Some(stat_idx), err::wrong_arity(&full));
        return;
    }
    if !client.authenticated && def.flags & flags::NO_AUTH == 0 {
        reject(srv, client, Some(stat_idx), err::NOAUTH);
        return;
    }
    if def.flags & flags::PROTECTED != 0 && !debug::allowed(srv, client) {
        reject(srv, client, Some(stat_idx), debug::NOT_ALLOWED);
        return;
    }
    // Redis's processCommand: evict before every command when a limit is
    // set; refuse a denyoom command if nothing could be freed.
    crate::db::evict::sync_config(&srv.config, srv.now_ms);
    crate::db::evict::set_no_touch(client.flags.no_touch && def.name != "touch");
    crate::db::keyspace::hold_expiry(srv.pause.until_ms > srv.now_ms);
    if srv.config.maxmemory > 0 && !client.multi.in_exec {
        let oom = crate::db::evict::perform_evictions(srv) == crate::db::evict::Outcome::Fail;
        multi::drain_expired(srv, Some(client));
        // Queuing inside MULTI also takes memory, so everything but the
        // commands that end or shape the transaction is refused then.
        let queuing = client.multi.queue.is_some()
            && !matches!(
                def.name,
                "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
            );
        if oom
            && (def.flags & flags::DENYOOM != 0
                || queuing
                || (def.name == "exec" && client.multi.has_denyoom))
        {
            reject(srv, client, Some(stat_idx), err::OOM);
            return;
        }
    }
    // Redis's checkGoodReplicasStatus: with min-replicas-to-write set (and
    // a non-zero max lag) a master without enough good replicas refuses
    // writes; reddish never has replicas.
    if refused_for_replicas(srv, def, client) {
        reject(srv, client, Some(stat_idx), err::NOREPLICAS);
        return;
    }
    // RESP2 subscribed mode: the connection carries messages, so only
    // commands that manage subscriptions (and PING/QUIT/RESET) may run.
    if client.subs.active() && client.reply.resp == 2 {
        let n = def.name;
        let allowed = matches!(
            n,
            "ping"
                | "subscribe"
                | "ssubscribe"
                | "unsubscribe"
                | "sunsubscribe"
                | "psubscribe"
                | "punsubscribe"
                | "quit"
                | "reset"
        ) && stat_idx == idx;
        if !allowed {
            let full = srv.table.fullname(stat_idx);
            let e = CmdError::owned(format!(
                "ERR Can't execute '{full}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            ));
            reject(srv, client, Some(stat_idx), e);
            return;
        }
    }
    if client.multi.queue.is_some() {
        if def.flags & flags::NO_MULTI != 0 {
            let e = CmdError::new("ERR Command not allowed inside a transaction");
            reject(srv, client, Some(stat_idx), e);
            return;
        }
        if !multi::runs_in_multi(def.name) || stat_idx != idx {
            if def.flags & flags::WRITE != 0 {
                client.multi.has_write = true;
            }
            if def.flags & flags::DENYOOM != 0 {
                client.multi.has_denyoom = true;
            }
            if def.flags & flags::MAY_REPLICATE != 0 {
                client.multi.has_may_replicate = true;
            }
            let argv = args.iter().map(|a| a.to_vec()).collect();
            if let Some(q) = client.multi.queue.as_mut() {
                q.push(argv);
            }
            client.reply.queued();
            client.reply.muted = client.flags.reply_off;
            return;
        }
    }
    let flushed = multi::before_flush(srv, client, def);
    let misses = srv.stats.keyspace_misses;
    let absent = multi::absent_keys(srv, client, def, args);
    let result = {
        let mut ctx = Ctx { srv, client, args };
        (def.handler)(&mut ctx)
    };
    let end = std::time::Instant::now();
    let usec = end.saturating_duration_since(start).as_micros() as u64;
    srv.clock_hint = Some(end);
    // A command that parked its client is counted when it ends
    // (server::blocking), as Redis's updateStatsOnUnblock.
    if client.blocked.is_none() {
        let tracking = srv.config.latency_tracking;
        let st = srv.table.stat_mut(stat_idx);
        st.calls += 1;
        st.add_time(usec, tracking);
    }
    multi::drain_expired(srv, Some(client));
    if srv.stats.keyspace_misses != misses {
        let n = srv.stats.keyspace_misses - misses;
        multi::notify_misses(srv, client, def, args, absent, n);
    }
    // A blocking command that parked its client wrote nothing.
    if result.is_ok() && def.flags & flags::WRITE != 0 && client.blocked.is_none() {
        multi::signal_write(srv, client, def, args);
        if !flushed.is_empty() {
            multi::after_flush(srv, client, flushed);
        }
    }
    if let Err(e) = result {
        srv.table.stat_mut(stat_idx).failed_calls += 1;
        srv.stats.count_error(e.0.as_bytes());
        client.reply.error(e.0.as_bytes());
    }
    // CLIENT REPLY SKIP muted this one reply only; OFF/ON set the lasting state.
    client.reply.muted = client.flags.reply_off;
    srv.stats.total_commands_processed += 1;
    // As Redis's call(): the peak follows every command, not only INFO.
    let used = crate::server::memory::used_memory();
    if used > srv.stats.peak_memory {
        srv.stats.peak_memory = used;
    }
}

/// Answers an error for a command that was not run (Redis's `rejectCommand`).
fn reject(srv: &mut Server, client: &mut Client, idx: Option<usize>, e: CmdError) {
    // Inside MULTI a refused command dooms the transaction (EXECABORT).
    if client.multi.queue.is_some() {
        client.multi.aborted = true;
    }
    if let Some(i) = idx {
        srv.table.stat_mut(i).rejected_calls += 1;
    }
    // A refused EXEC ends any transaction (Redis's execCommandAbort), even
    // outside MULTI.
    if idx.is_some_and(|i| srv.table.def(i).name == "exec") {
        multi::discard_transaction(srv, client);
        let msg = e.0.strip_prefix("ERR ").unwrap_or(&e.0);
        let full = format!("EXECABORT Transaction discarded because of: {msg}");
        srv.stats.count_error(full.as_bytes());
        client.reply.error(full.as_bytes());
        client.reply.muted = client.flags.reply_off;
        return;
    }
    srv.stats.count_error(e.0.as_bytes());
    client.reply.error(e.0.as_bytes());
    client.reply.muted = client.flags.reply_off;
}
