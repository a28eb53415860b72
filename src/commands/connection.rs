//! Connection commands (Redis's PING, ECHO, QUIT, SELECT, AUTH, HELLO and
//! RESET, spread over `server.c` and `networking.c` there).
//!
//! These touch only the calling client: which database it uses, which
//! protocol it speaks, whether it is authenticated.

use super::table::{flags::*, CommandDef};
use super::{err, CmdError, CmdResult, Ctx};
use crate::util::numbers::parse_i64;

/// The version we answer with: clients gate features on it, and reddish
/// implements Redis 7.0's behaviour, so it speaks as 7.0.15.
pub const REDIS_VERSION: &str = "7.0.15";

pub static COMMANDS: &[CommandDef] = &[
    CommandDef::new("ping", -1, FAST, ping)
        .acl("fast connection")
        .group("connection"),
    CommandDef::new("echo", 2, LOADING | STALE | FAST, echo)
        .acl("fast connection")
        .group("connection"),
    CommandDef::new(
        "quit",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        quit,
    )
    .acl("fast connection")
    .group("connection"),
    CommandDef::new("select", 2, LOADING | STALE | FAST, select)
        .acl("fast connection")
        .group("connection"),
    CommandDef::new(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        auth,
    )
    .acl("fast connection")
    .group("connection")
    .since("1.0.0"),
    CommandDef::new(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        hello,
    )
    .acl("fast connection")
    .group("connection")
    .since("6.0.0"),
    CommandDef::new(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        reset,
    )
    .acl("fast connection")
    .group("connection")
    .since("6.2.0"),
];

fn ping(ctx: &mut Ctx) -> CmdResult {
    // RESP2 subscribed mode answers in the message frame shape.
    if ctx.client.subs.active() && !ctx.client.reply.resp3() && ctx.args.len() <= 2 {
        ctx.client.reply.array(2);
        ctx.client.reply.bulk(b"pong");
        ctx.client.reply.bulk(ctx.args.get(1));
        return Ok(());
    }
    match ctx.args.len() {
        1 => ctx.client.reply.raw(b"+PONG\r\n"),
        2 => ctx.client.reply.bulk(ctx.args.get(1)),
        _ => return Err(err::wrong_arity("ping")),
    }
    Ok(())
}

fn echo(ctx: &mut Ctx) -> CmdResult {
    ctx.client.reply.bulk(ctx.args.get(1));
    Ok(())
}

fn quit(ctx: &mut Ctx) -> CmdResult {
    ctx.client.reply.ok();
    ctx.client.flags.close_after_reply = true;
    Ok(())
}

fn select(ctx: &mut Ctx) -> CmdResult {
    let id = parse_i64(ctx.args.get(1))
        .filter(|&n| n >= i32::MIN as i64 && n <= i32::MAX as i64)
        .ok_or(err::NOT_INT)?;
    if id < 0 || id as usize >= ctx.srv.dbs.len() {
        return Err(err::DB_RANGE);
    }
    ctx.client.db = id as usize;
    ctx.client.reply.ok();
    Ok(())
}

const WRONGPASS: CmdError =
    CmdError::new("WRONGPASS invalid username-password pair or user is disabled.");

/// Checks a user/password pair against the only user we have, `default`.
fn check_credentials(ctx: &Ctx, user: &[u8], pass: &[u8]) -> bool {
    if user != b"default" {
        return false;
    }
    match &ctx.srv.config.requirepass {
        Some(p) => constant_time_eq(p, pass),
        None => true,
    }
}

/// Compares without an early exit, so timing does not leak the password.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= (*a.get(i).unwrap_or(&0) ^ *b.get(i).unwrap_or(&1)) as usize;
    }
    diff == 0
}

fn auth(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.args.len();
    if n > 3 {
        return Err(err::SYNTAX);
    }
    let (user, pass) = if n == 2 {
        if ctx.srv.config.requirepass.is_none() {
            return Err(CmdError::new(
                "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
            ));
        }
        (&b"default"[..], ctx.args.get(1))
    } else {
        (ctx.args.get(1), ctx.args.get(2))
    };
    if check_credentials(ctx, user, pass) {
        ctx.client.authenticated = true;
        ctx.client.reply.ok();
        Ok(())
    } else {
        Err(WRONGPASS)
    }
}

fn hello(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let mut ver = 0;
    let mut i = 1;
    if args.len() >= 2 {
        let v = parse_i64(args.get(1)).ok_or(CmdError::new(
            "ERR Protocol version is not an integer or out of range",
        ))?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::new("NOPROTO unsupported protocol version"));
        }
        ver = v as u8;
        i = 2;
    }
    let mut setname: Option<&[u8]> = None;
    let mut creds: Option<(&[u8], &[u8])> = None;
    while i < args.len() {
        let more = args.len() - i - 1;
        let opt = args.get(i);
        if opt.eq_ignore_ascii_case(b"auth") && more >= 2 {
            creds = Some((args.get(i + 1), args.get(i + 2)));
            i += 3;
        } else if opt.eq_ignore_ascii_case(b"setname") && more >= 1 {
            setname = Some(args.get(i + 1));
            i += 2;
        } else {
            return Err(CmdError::owned(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    if let Some((u, p)) = creds {
        if !check_credentials(ctx, u, p) {
            return Err(WRONGPASS);
        }
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated {
        return Err(CmdError::new(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    if let Some(name) = setname {
        validate_client_name(name)?;
        ctx.client.name = if name.is_empty() {
            None
        } else {
            Some(name.to_vec())
        };
    }
    if ver != 0 {
        ctx.client.reply.resp = ver;
    }
    let r = &mut ctx.client.reply;
    r.map(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.int(r.resp as i64);
    r.bulk(b"id");
    r.int(ctx.client.id as i64);
    let r = &mut ctx.client.reply;
    r.bulk(b"mode");
    r.bulk(b"standalone");
    r.bulk(b"role");
    r.bulk(b"master");
    r.bulk(b"modules");
    r.empty_array();
    Ok(())
}

/// Client names may not contain spaces, newlines or other special
/// characters (they would break CLIENT LIST), as Redis's `validateClientName`.
pub fn validate_client_name(name: &[u8]) -> CmdResult {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(CmdError::new(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

fn reset(ctx: &mut Ctx) -> CmdResult {
    let token = ctx.client.token;
    crate::server::pubsub::forget_client(&mut ctx.srv.pubsub, &mut ctx.client.subs, token);
    super::multi::discard_transaction(ctx.srv, ctx.client);
    let c = &mut *ctx.client;
    c.db = 0;
    c.reply.resp = 2;
    c.name = None;
    c.flags.reply_off = false;
    c.flags.reply_skip_next = false;
    c.flags.no_evict = false;
    c.flags.no_touch = false;
    c.authenticated = ctx.srv.config.requirepass.is_none();
    // CLIENT REPLY OFF muted this very reply too; RESET always answers.
    c.reply.muted = false;
    c.reply.raw(b"+RESET\r\n");
    Ok(())
}
