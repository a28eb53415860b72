//! CLIENT: the commands a connection uses to see and steer connections
//! (Redis's `clientCommand` and friends in `networking.c`).
//!
//! Every connection is a `Client` in `Server::clients`. CLIENT lets a
//! connection name itself (SETNAME/GETNAME), see every connection
//! (LIST/INFO, one line of `key=value` fields per client), close others
//! (KILL), silence its own replies (REPLY), hold back everybody's commands
//! for a while (PAUSE/UNPAUSE) and mark itself (NO-EVICT, NO-TOUCH).
//!
//! Two facts of our design shape this file:
//!
//! - While a command runs, its client is lifted out of `srv.clients` (its
//!   slot is `None`) and handed over as `ctx.client`, so one `&mut Server`
//!   and one `&mut Client` can coexist without aliasing. Whatever walks all
//!   clients (LIST, KILL) therefore puts the caller back in by hand, at its
//!   token.
//! - Clients are listed in creation order, as Redis's `server.clients` list
//!   is. Slab slots are reused, so we sort by id, which only grows.
//!
//! CLIENT KILL frees another client at once, as Redis's `freeClient` does,
//! so a CLIENT LIST right after it no longer shows the victim; killing
//! oneself (the old `KILL addr` form, or `SKIPME no`) is deferred until the
//! reply is written (`close_after_reply`), again as Redis does.
//!
//! The LIST/INFO line is Redis 7.0.15's field for field. Where our insides
//! differ (one growable reply buffer instead of a 16 KB static buffer plus
//! a list of blocks), the numbers are mapped onto Redis's meaning: `obl` is
//! what would sit in the static buffer, `oll`/`omem` what would overflow
//! into blocks. 7.2's CLIENT SETINFO and NO-TOUCH are accepted, but the
//! `lib-name=`/`lib-ver=` fields 7.2 appends are left out: 7.0's line is
//! the yardstick, and a parser expecting `resp=` last must keep working.

use std::io::Write;

use super::table::{flags::*, CommandDef};
use super::{err, Args, CmdError, CmdResult, Ctx};
use crate::server::client::{Client, READ_CHUNK};
use crate::server::Server;
use crate::util::numbers::parse_i64;

/// The subcommands' table entries, in the order Redis 7.0's COMMAND shows them.
static SUBCOMMANDS: &[CommandDef] = &[
    sub("unpause", 2, ADMIN, unpause)
        .since("6.2.0")
        .summary("Resume processing of clients that were paused"),
    sub("info", 2, 0, info)
        .since("6.2.0")
        .summary("Returns information about the current client connection."),
    sub("kill", -3, ADMIN, kill)
        .since("2.4.0")
        .summary("Kill the connection of a client"),
    sub("reply", 3, 0, reply)
        .since("3.2.0")
        .summary("Instruct the server whether to reply to commands"),
    CommandDef::new("help", 2, LOADING | STALE, help)
        .acl("slow connection")
        .group("connection")
        .since("5.0.0")
        .summary("Show helpful text about the different subcommands"),
    sub("setname", 3, 0, setname)
        .since("2.6.9")
        .summary("Set the current connection name"),
    sub("getname", 2, 0, getname)
        .since("2.6.9")
        .summary("Get the current connection name"),
    sub("unblock", -3, ADMIN, unblock)
        .since("5.0.0")
        .summary("Unblock a client blocked in a blocking command from a different connection"),
    sub("id", 2, 0, id)
        .since("5.0.0")
        .summary("Returns the client ID for the current connection"),
    sub("getredir", 2, 0, getredir)
        .since("6.0.0")
        .summary("Get tracking notifications redirection client ID if any"),
    sub("pause", -3, ADMIN, pause)
        .since("2.9.50")
        .summary("Stop processing commands from clients for some time"),
    sub("list", -2, ADMIN, list)
        .since("2.4.0")
        .summary("Get the list of client connections"),
    sub("no-evict", 3, ADMIN, no_evict)
        .since("7.0.0")
        .summary("Set client eviction mode for the current connection"),
    sub("trackinginfo", 2, 0, trackinginfo)
        .since("6.2.0")
        .summary(
        "Return information about server assisted client side caching for the current connection",
    ),
    // Redis 7.2 additions, accepted as 7.2 does.
    sub("no-touch", 3, 0, no_touch).since("7.2.0").summary(
        "Controls whether commands sent by the client affect the LRU/LFU of accessed keys",
    ),
    sub("setinfo", 4, 0, setinfo)
        .since("7.2.0")
        .summary("Sets information specific to the client or connection."),
];

/// A subcommand with the flags and ACL categories all CLIENT subcommands
/// share; `extra` is ADMIN for the ones that touch other connections, which
/// also puts them in @admin and @dangerous.
const fn sub(
    name: &'static str,
    arity: i32,
    extra: u64,
    handler: super::table::Handler,
) -> CommandDef {
    let acl = if extra & ADMIN != 0 {
        "admin slow dangerous connection"
    } else {
        "slow connection"
    };
    CommandDef::new(name, arity, extra | NOSCRIPT | LOADING | STALE, handler)
        .acl(acl)
        .group("connection")
}

pub static COMMANDS: &[CommandDef] = &[CommandDef::new("client", -2, 0, container)
    .acl("slow")
    .group("connection")
    .since("2.4.0")
    .summary("A container for client connection commands")
    .subs(SUBCOMMANDS)];

/// `execute` resolves the subcommand before calling anything, and arity -2
/// rejects a bare CLIENT, so the container itself never runs.
fn container(ctx: &mut Ctx) -> CmdResult {
    Err(err::unknown_subcommand(ctx.args.get(1), "client"))
}

/// Redis's `addReplySubcommandSyntaxError`: the subcommand exists but its
/// own argument checks refused the count.
fn subcommand_syntax(sub: &[u8]) -> CmdError {
    let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
    CmdError::owned(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try CLIENT HELP."
    ))
}

const HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
];

fn help(ctx: &mut Ctx) -> CmdResult {
    let r = &mut ctx.client.reply;
    r.array(HELP.len());
    for line in HELP {
        r.simple(line.as_bytes());
    }
    Ok(())
}

fn id(ctx: &mut Ctx) -> CmdResult {
    ctx.client.reply.int(ctx.client.id as i64);
    Ok(())
}

fn setname(ctx: &mut Ctx) -> CmdResult {
    let name = ctx.args.get(2);
    super::connection::validate_client_name(name)?;
    ctx.client.name = if name.is_empty() {
        None
    } else {
        Some(name.to_vec())
    };
    ctx.client.reply.ok();
    Ok(())
}

fn getname(ctx: &mut Ctx) -> CmdResult {
    match &ctx.client.name {
        Some(n) => ctx.client.reply.bulk(n),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

/// CLIENT REPLY ON|OFF|SKIP. OFF and SKIP answer nothing: OFF because
/// replies are now off, SKIP because it is itself the command before "the
/// next one". `execute` mutes the reply of a command run right after SKIP
/// and restores `muted` from `reply_off` afterwards; ON unmutes at once, so
/// that `SKIP` followed by `ON` still answers +OK, as in Redis where ON
/// clears the pending skip.
fn reply(ctx: &mut Ctx) -> CmdResult {
    let mode = ctx.args.get(2);
    let c = &mut *ctx.client;
    if mode.eq_ignore_ascii_case(b"on") {
        c.flags.reply_off = false;
        c.flags.reply_skip_next = false;
        c.reply.muted = false;
        c.reply.ok();
    } else if mode.eq_ignore_ascii_case(b"off") {
        c.flags.reply_off = true;
    } else if mode.eq_ignore_ascii_case(b"skip") {
        if !c.flags.reply_off {
            c.flags.reply_skip_next = true;
        }
    } else {
        return Err(err::SYNTAX);
    }
    Ok(())
}

/// Parses the `on`/`off` argument of NO-EVICT and NO-TOUCH.
fn on_off(arg: &[u8]) -> Result<bool, CmdError> {
    if arg.eq_ignore_ascii_case(b"on") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"off") {
        Ok(false)
    } else {
        Err(err::SYNTAX)
    }
}

fn no_evict(ctx: &mut Ctx) -> CmdResult {
    ctx.client.flags.no_evict = on_off(ctx.args.get(2))?;
    ctx.client.reply.ok();
    Ok(())
}

fn no_touch(ctx: &mut Ctx) -> CmdResult {
    ctx.client.flags.no_touch = on_off(ctx.args.get(2))?;
    ctx.client.reply.ok();
    Ok(())
}

/// CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2): what client libraries
/// announce about themselves. Same character rule as client names, so the
/// values could be printed in a CLIENT LIST line; empty clears.
fn setinfo(ctx: &mut Ctx) -> CmdResult {
    let attr = ctx.args.get(2);
    let val = ctx.args.get(3);
    let lib_name = if attr.eq_ignore_ascii_case(b"lib-name") {
        true
    } else if attr.eq_ignore_ascii_case(b"lib-ver") {
        false
    } else {
        return Err(CmdError::owned(format!(
            "ERR Unrecognized option '{}'",
            String::from_utf8_lossy(attr)
        )));
    };
    if val.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(CmdError::owned(format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            String::from_utf8_lossy(attr)
        )));
    }
    let v = if val.is_empty() {
        None
    } else {
        Some(val.to_vec())
    };
    if lib_name {
        ctx.client.lib_name = v;
    } else {
        ctx.client.lib_ver = v;
    }
    ctx.client.reply.ok();
    Ok(())
}

/// Client tracking is not implemented, so no client ever redirects.
fn getredir(ctx: &mut Ctx) -> CmdResult {
    ctx.client.reply.int(-1);
    Ok(())
}

/// What Redis answers for a client with tracking off.
fn trackinginfo(ctx: &mut Ctx) -> CmdResult {
    let r = &mut ctx.client.reply;
    r.map(3);
    r.bulk(b"flags");
    r.set(1);
    r.bulk(b"off");
    r.bulk(b"redirect");
    r.int(-1);
    r.bulk(b"prefixes");
    r.empty_array();
    Ok(())
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 if the client was parked by a
/// blocking command and is now released (with its timeout reply, or the
/// UNBLOCKED error), else 0.
fn unblock(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.args.len();
    if n > 4 {
        return Err(subcommand_syntax(ctx.args.get(1)));
    }
    let mut how = crate::server::blocking::Release::Timeout;
    if n == 4 {
        if ctx.args.get(3).eq_ignore_ascii_case(b"error") {
            how = crate::server::blocking::Release::Error;
        }
        let reason = ctx.args.get(3);
        if !reason.eq_ignore_ascii_case(b"timeout") && !reason.eq_ignore_ascii_case(b"error") {
            return Err(CmdError::new(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ));
        }
    }
    let id = parse_i64(ctx.args.get(2)).ok_or(err::NOT_INT)?;
    let done = crate::server::blocking::unblock_by_id(ctx.srv, id as u64, how);
    ctx.client.reply.int(done as i64);
    Ok(())
}

/// CLIENT PAUSE timeout [WRITE|ALL]. A second pause while one is running
/// never shortens or weakens it: the later end and the stronger mode win,
/// as Redis's `pauseClients` keeps the maximum of both.
fn pause(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.args.len();
    if n > 4 {
        return Err(subcommand_syntax(ctx.args.get(1)));
    }
    let mut all = true;
    if n == 4 {
        let mode = ctx.args.get(3);
        if mode.eq_ignore_ascii_case(b"write") {
            all = false;
        } else if !mode.eq_ignore_ascii_case(b"all") {
            return Err(CmdError::new("ERR CLIENT PAUSE mode must be WRITE or ALL"));
        }
    }
    let ms = parse_i64(ctx.args.get(2)).ok_or(CmdError::new(
        "ERR timeout is not an integer or out of range",
    ))?;
    if ms < 0 {
        return Err(CmdError::new("ERR timeout is negative"));
    }
    let srv = &mut *ctx.srv;
    // Redis 7.0 adds without an overflow check: a huge timeout wraps into
    // the past and the pause ends at the next check. Saturating instead
    // would freeze the server for good, so we wrap too.
    let end = if ms > 0 {
        ms.wrapping_add(srv.now_ms)
    } else {
        0
    };
    if srv.pause.until_ms > srv.now_ms {
        srv.pause.until_ms = srv.pause.until_ms.max(end);
        srv.pause.writes_only = srv.pause.writes_only && !all;
    } else {
        srv.pause.until_ms = end;
        srv.pause.writes_only = !all;
    }
    ctx.client.reply.ok();
    Ok(())
}

fn unpause(ctx: &mut Ctx) -> CmdResult {
    crate::server::cron::unpause(ctx.srv);
    ctx.client.reply.ok();
    Ok(())
}

/// Client classes of CLIENT LIST TYPE / CLIENT KILL TYPE (Redis's
/// `getClientTypeByName`; `slave` is the old name of `replica`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    Pubsub,
    Master,
}

fn parse_type(name: &[u8]) -> Result<ClientType, CmdError> {
    let t = if name.eq_ignore_ascii_case(b"normal") {
        ClientType::Normal
    } else if name.eq_ignore_ascii_case(b"slave") || name.eq_ignore_ascii_case(b"replica") {
        ClientType::Replica
    } else if name.eq_ignore_ascii_case(b"pubsub") {
        ClientType::Pubsub
    } else if name.eq_ignore_ascii_case(b"master") {
        ClientType::Master
    } else {
        return Err(CmdError::owned(format!(
            "ERR Unknown client type '{}'",
            String::from_utf8_lossy(name)
        )));
    };
    Ok(t)
}

/// The class a client belongs to (Redis's `getClientType`). There is no
/// replication and no pub/sub state on `Client` yet, so every client is
/// normal; those features extend this match when they land.
fn client_type(c: &Client) -> ClientType {
    if c.subs.active() {
        ClientType::Pubsub
    } else {
        ClientType::Normal
    }
}

/// Every client, the caller included, as (id, token) in creation order.
fn all_clients(srv: &Server, me: &Client) -> Vec<(u64, usize)> {
    let mut v: Vec<(u64, usize)> = srv
        .clients
        .iter()
        .filter_map(|(t, slot)| match slot {
            Some(c) => Some((c.id, t)),
            None if t == me.token => Some((me.id, t)),
            None => None,
        })
        .collect();
    v.sort_unstable();
    v
}

/// The client at `token`: the caller if it is its token.
fn client_at<'a>(srv: &'a Server, me: &'a Client, token: usize) -> Option<&'a Client> {
    if token == me.token {
        return Some(me);
    }
    srv.clients.get(token).and_then(|s| s.as_deref())
}

fn info(ctx: &mut Ctx) -> CmdResult {
    let mut out = Vec::with_capacity(320);
    cat_client_info(&mut out, ctx.srv, ctx.client, Some(ctx.args));
    out.push(b'\n');
    ctx.client.reply.verbatim(&out, b"txt");
    Ok(())
}

/// CLIENT LIST [TYPE type | ID id ...].
fn list(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let n = args.len();
    let mut only_type = None;
    let mut ids: Option<Vec<i64>> = None;
    if n == 4 && args.get(2).eq_ignore_ascii_case(b"type") {
        only_type = Some(parse_type(args.get(3))?);
    } else if n > 3 && args.get(2).eq_ignore_ascii_case(b"id") {
        let mut v = Vec::with_capacity(n - 3);
        for a in args.from(3).iter() {
            v.push(parse_i64(a).ok_or(CmdError::new("ERR Invalid client ID"))?);
        }
        ids = Some(v);
    } else if n != 2 {
        return Err(err::SYNTAX);
    }
    let (srv, me) = (&*ctx.srv, &*ctx.client);
    let clients = all_clients(srv, me);
    let mut out = Vec::with_capacity(320 * clients.len());
    let mut line = |c: &Client| {
        let running = (c.token == me.token).then_some(args);
        cat_client_info(&mut out, srv, c, running);
        out.push(b'\n');
    };
    match ids {
        // In the order asked for, repeats included, as Redis does.
        Some(ids) => {
            for want in ids {
                let found = u64::try_from(want)
                    .ok()
                    .and_then(|w| clients.binary_search_by_key(&w, |&(id, _)| id).ok());
                if let Some(c) = found.and_then(|i| client_at(srv, me, clients[i].1)) {
                    line(c);
                }
            }
        }
        None => {
            for &(_, t) in &clients {
                if let Some(c) = client_at(srv, me, t) {
                    if only_type.is_none_or(|ty| client_type(c) == ty) {
                        line(c);
                    }
                }
            }
        }
    }
    ctx.client.reply.verbatim(&out, b"txt");
    Ok(())
}

/// The local address as Redis prints it: a unix socket path gets `:0`.
fn local_addr(c: &Client) -> std::borrow::Cow<'_, str> {
    if c.flags.unix_socket && !c.laddr.ends_with(":0") {
        std::borrow::Cow::Owned(format!("{}:0", c.laddr))
    } else {
        std::borrow::Cow::Borrowed(&c.laddr)
    }
}

/// Size of Redis's static reply buffer: what fits there is `obl`, the rest
/// would go to the reply list (`oll` blocks, `omem` bytes).
const REPLY_CHUNK: usize = 16 * 1024;

/// One CLIENT LIST line, without the newline (Redis's `catClientInfoString`).
/// `running` holds the arguments when `c` is the client whose command is
/// executing: its query buffer and argv are then in use.
fn cat_client_info(out: &mut Vec<u8>, srv: &Server, c: &Client, running: Option<Args>) {
    let now_s = srv.now_ms / 1000;
    // While a command runs, Redis's query buffer still holds everything
    // read in this batch (it is trimmed once the batch is processed), the
    // running command included; `qlen` counts the same bytes. Between
    // batches only the unparsed rest remains.
    let (qbuf, argv_mem) = match running {
        // Inside EXEC Redis still holds EXEC's own argv.
        Some(_) if c.multi.in_exec => (c.qlen, c.multi.exec_shown.2),
        Some(args) => (c.qlen, args.iter().map(|a| a.len()).sum::<usize>()),
        None => (
            c.query_len(),
            c.blocked.as_ref().map_or(0, |b| b.argv_mem()),
        ),
    };
    // The running client's buffer is lent to the parser while it runs, so
    // its size is not at hand: a read sizes it to at least one chunk.
    let qbuf_cap = if running.is_some() {
        c.qlen.max(READ_CHUNK)
    } else {
        c.qbuf.len().max(qbuf)
    };
    let pending = c.reply.pending();
    let obl = pending.min(REPLY_CHUNK);
    let omem = pending - obl;
    let oll = omem.div_ceil(REPLY_CHUNK);
    // `rbs`/`rbp` are Redis's static reply buffer size and its recent peak;
    // ours is the one reply buffer's capacity and its current fill.
    let rbs = c.reply.buf.capacity();
    let multi = c.multi.shown();
    let tot_mem = std::mem::size_of::<Client>()
        + qbuf_cap
        + argv_mem
        + rbs
        + multi.1
        + c.scratch.capacity()
        + c.name.as_ref().map_or(0, |n| n.len());
    let _ = write!(
        out,
        "id={} addr={} laddr={} fd={} name=",
        c.id,
        c.addr,
        local_addr(c),
        c.conn.fd()
    );
    if let Some(n) = &c.name {
        out.extend_from_slice(n);
    }
    let _ = write!(
        out,
        " age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} cmd=",
        now_s - c.ctime_ms / 1000,
        now_s - c.last_interaction_ms / 1000,
        c.flag_letters(),
        c.db,
        c.subs.channels.len(),
        c.subs.patterns.len(),
        c.subs.shard.len(),
        multi.0,
        qbuf,
        qbuf_cap - qbuf,
        argv_mem,
        multi.1,
        rbs,
        c.reply.buf.len(),
        obl,
        oll,
        omem,
        tot_mem,
        if c.want_writable { "rw" } else { "r" },
    );
    if !c.last_cmd_parent.is_empty() {
        out.extend_from_slice(c.last_cmd_parent.as_bytes());
        out.push(b'|');
    }
    out.extend_from_slice(c.last_cmd.as_bytes());
    let _ = write!(out, " user=default redir=-1 resp={}", c.reply.resp);
}

/// What CLIENT KILL's options select.
struct KillFilter<'a> {
    addr: Option<&'a [u8]>,
    laddr: Option<&'a [u8]>,
    id: Option<u64>,
    ty: Option<ClientType>,
    skipme: bool,
}

impl KillFilter<'_> {
    fn matches(&self, c: &Client, is_me: bool) -> bool {
        self.addr.is_none_or(|a| a == c.addr.as_bytes())
            && self.laddr.is_none_or(|a| a == local_addr(c).as_bytes())
            && self.id.is_none_or(|id| id == c.id)
            && self.ty.is_none_or(|t| t == client_type(c))
            && !(is_me && self.skipme)
    }
}

/// CLIENT KILL addr (old form: +OK or an error) or CLIENT KILL option
/// value ... (new form: how many were killed).
fn kill(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let n = args.len();
    let mut f = KillFilter {
        addr: None,
        laddr: None,
        id: None,
        ty: None,
        skipme: true,
    };
    let old_form = n == 3;
    if old_form {
        f.addr = Some(args.get(2));
        // With the old form a client may kill itself.
        f.skipme = false;
    } else {
        let mut i = 2;
        while i < n {
            let opt = args.get(i);
            let Some(val) = (i + 1 < n).then(|| args.get(i + 1)) else {
                return Err(err::SYNTAX);
            };
            if opt.eq_ignore_ascii_case(b"id") {
                let id = parse_i64(val)
                    .filter(|&v| v >= 1)
                    .ok_or(CmdError::new("ERR client-id should be greater than 0"))?;
                f.id = Some(id as u64);
            } else if opt.eq_ignore_ascii_case(b"type") {
                f.ty = Some(parse_type(val)?);
            } else if opt.eq_ignore_ascii_case(b"addr") {
                f.addr = Some(val);
            } else if opt.eq_ignore_ascii_case(b"laddr") {
                f.laddr = Some(val);
            } else if opt.eq_ignore_ascii_case(b"user") {
                // `default` is the only user there is, and every client is it.
                if val != b"default" {
                    return Err(CmdError::owned(format!(
                        "ERR No such user '{}'",
                        String::from_utf8_lossy(val)
                    )));
                }
            } else if opt.eq_ignore_ascii_case(b"skipme") {
                if val.eq_ignore_ascii_case(b"yes") {
                    f.skipme = true;
                } else if val.eq_ignore_ascii_case(b"no") {
                    f.skipme = false;
                } else {
                    return Err(err::SYNTAX);
                }
            } else {
                return Err(err::SYNTAX);
            }
            i += 2;
        }
    }
    let me_token = ctx.client.token;
    let mut killed = 0i64;
    let mut close_me = false;
    let mut victims = Vec::new();
    for (_, t) in all_clients(ctx.srv, ctx.client) {
        let is_me = t == me_token;
        let Some(c) = client_at(ctx.srv, ctx.client, t) else {
            continue;
        };
        if !f.matches(c, is_me) {
            continue;
        }
        if is_me {
            close_me = true;
        } else {
            victims.push(t);
        }
        killed += 1;
    }
    for t in victims {
        free_now(ctx.srv, t);
    }
    if old_form {
        if killed == 0 {
            return Err(CmdError::new("ERR No such client"));
        }
        ctx.client.reply.ok();
    } else {
        ctx.client.reply.int(killed);
    }
    if close_me {
        ctx.client.flags.close_after_reply = true;
    }
    Ok(())
}

/// Frees another client right away, as Redis's `freeClient`: its pending
/// output is dropped and it vanishes from CLIENT LIST at once. Its token is
/// taken off the loop's lists too, so a new connection that reuses the slab
/// slot before the loop sleeps is not read, written or closed by mistake.
fn free_now(srv: &mut Server, t: usize) {
    log::debug!("Client killed by CLIENT KILL (token {t})");
    crate::server::event_loop::free_client(srv, t);
    srv.close_list.retain(|&x| x != t);
    srv.write_list.retain(|&x| x != t);
    srv.read_list.retain(|&x| x != t);
}
