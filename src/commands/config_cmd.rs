//! CONFIG GET/SET/RESETSTAT/REWRITE/HELP (Redis's `config.c`, the command
//! half).
//!
//! The settings themselves, their parsing, formatting and the rewrite of
//! the file live in `crate::config`; these handlers only turn arguments
//! into calls and results into replies. CONFIG SET is all or nothing: the
//! configuration is validated and changed as a whole, and restored if any
//! pair fails, as Redis does since 7.0.

use super::table::{flags::*, CommandDef};
use super::{CmdError, CmdResult, Ctx};
use crate::config::Config;
use crate::server::stats::Stats;

pub static COMMANDS: &[CommandDef] = &[CommandDef::new("config", -2, 0, container)
    .acl("slow")
    .group("server")
    .since("2.0.0")
    .subs(SUBCOMMANDS)];

static SUBCOMMANDS: &[CommandDef] = &[
    CommandDef::new("get", -3, ADMIN | NOSCRIPT | LOADING | STALE, get)
        .acl("admin slow dangerous")
        .group("server")
        .since("2.0.0"),
    CommandDef::new("set", -4, ADMIN | NOSCRIPT | LOADING | STALE, set)
        .acl("admin slow dangerous")
        .group("server")
        .since("2.0.0"),
    CommandDef::new(
        "resetstat",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        resetstat,
    )
    .acl("admin slow dangerous")
    .group("server")
    .since("2.0.0"),
    CommandDef::new("rewrite", 2, ADMIN | NOSCRIPT | LOADING | STALE, rewrite)
        .acl("admin slow dangerous")
        .group("server")
        .since("2.8.0"),
    CommandDef::new("help", 2, LOADING | STALE, help)
        .acl("slow")
        .group("server")
        .since("5.0.0"),
];

/// Never runs: `execute` dispatches to a subcommand or answers the error.
fn container(_ctx: &mut Ctx) -> CmdResult {
    Ok(())
}

fn get(ctx: &mut Ctx) -> CmdResult {
    let patterns: Vec<&[u8]> = ctx.args.iter().skip(2).collect();
    let found = Config::matching(&patterns);
    let reply = &mut ctx.client.reply;
    reply.map(found.len());
    for (name, idx) in found {
        reply.bulk(name.as_bytes());
        reply.bulk(ctx.srv.config.get(idx).as_bytes());
    }
    Ok(())
}

fn set(ctx: &mut Ctx) -> CmdResult {
    if !ctx.args.len().is_multiple_of(2) {
        return Err(super::err::SYNTAX);
    }
    let pairs: Vec<(&[u8], &[u8])> = (2..ctx.args.len())
        .step_by(2)
        .map(|i| (ctx.args.get(i), ctx.args.get(i + 1)))
        .collect();
    let local = ctx.client.flags.local;
    let srv = &mut *ctx.srv;
    let (listeners, registry) = (&mut srv.listeners, &srv.registry);
    let mut relisten = |cfg: &crate::config::Config| {
        crate::server::listener::relisten_tcp(listeners, registry, cfg)
    };
    srv.config
        .config_set(&pairs, local, &mut relisten)
        .map_err(CmdError::owned)?;
    srv.tcp_port = srv.config.port;
    ctx.client.reply.ok();
    Ok(())
}

fn resetstat(ctx: &mut Ctx) -> CmdResult {
    // Redis's resetServerStats, resetCommandTableStats, resetErrorTableStats:
    // every counter INFO shows starts again from zero.
    ctx.srv.stats = Stats::default();
    ctx.srv.table.reset_stats();
    ctx.client.reply.ok();
    Ok(())
}

fn rewrite(ctx: &mut Ctx) -> CmdResult {
    ctx.srv.config.rewrite().map_err(CmdError::owned)?;
    ctx.client.reply.ok();
    Ok(())
}

fn help(ctx: &mut Ctx) -> CmdResult {
    const LINES: &[&[u8]] = &[
        b"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"GET <pattern>",
        b"    Return parameters matching the glob-like <pattern> and their values.",
        b"SET <directive> <value>",
        b"    Set the configuration <directive> to <value>.",
        b"RESETSTAT",
        b"    Reset statistics reported by the INFO command.",
        b"REWRITE",
        b"    Rewrite the configuration file.",
        b"HELP",
        b"    Prints this help.",
    ];
    let reply = &mut ctx.client.reply;
    reply.array(LINES.len());
    for l in LINES {
        reply.simple(l);
    }
    Ok(())
}
