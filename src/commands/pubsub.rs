//! Pub/Sub commands (Redis's `pubsub.c`): SUBSCRIBE, UNSUBSCRIBE,
//! PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH and
//! PUBSUB's introspection subcommands.
//!
//! A subscription confirmation and every message are three-element frames:
//! arrays in RESP2, push frames (`>`) in RESP3. PUBLISH writes the message
//! straight into each subscriber's reply buffer and queues the subscriber
//! for writing; the publisher itself is `ctx.client` (its slab slot is empty
//! while its command runs), so a client publishing to itself is handled
//! apart. Whether a slow subscriber may keep growing its buffer is the
//! output-limit check's business (`client-output-buffer-limit pubsub`).

use super::table::{flags::*, CommandDef};
use super::{err, CmdError, CmdResult, Ctx};
use crate::protocol::reply::Reply;
use crate::server::client::Client;
use crate::server::event_loop::queue_write;
use crate::server::pubsub::Kind;
use crate::server::Server;
use crate::util::glob;

pub static COMMANDS: &[CommandDef] = &[
    CommandDef::new(
        "subscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        subscribe,
    )
    .acl("pubsub slow")
    .group("pubsub")
    .since("2.0.0"),
    CommandDef::new(
        "unsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        unsubscribe,
    )
    .acl("pubsub slow")
    .group("pubsub")
    .since("2.0.0"),
    CommandDef::new(
        "psubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        psubscribe,
    )
    .acl("pubsub slow")
    .group("pubsub")
    .since("2.0.0"),
    CommandDef::new(
        "punsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        punsubscribe,
    )
    .acl("pubsub slow")
    .group("pubsub")
    .since("2.0.0"),
    CommandDef::new(
        "ssubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        ssubscribe,
    )
    .keys(1, -1, 1)
    .acl("pubsub slow")
    .group("pubsub")
    .since("7.0.0"),
    CommandDef::new(
        "sunsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        sunsubscribe,
    )
    .keys(1, -1, 1)
    .acl("pubsub slow")
    .group("pubsub")
    .since("7.0.0"),
    CommandDef::new(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        publish,
    )
    .acl("pubsub fast")
    .group("pubsub")
    .since("2.0.0"),
    CommandDef::new(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        spublish,
    )
    .keys(1, 1, 1)
    .acl("pubsub fast")
    .group("pubsub")
    .since("7.0.0"),
    CommandDef::new("pubsub", -2, 0, container)
        .acl("slow")
        .group("pubsub")
        .since("2.8.0")
        .subs(PUBSUB_SUBS),
];

static PUBSUB_SUBS: &[CommandDef] = &[
    CommandDef::new("channels", -2, PUBSUB | LOADING | STALE, ps_channels)
        .acl("pubsub slow")
        .group("pubsub")
        .since("2.8.0"),
    CommandDef::new("numsub", -2, PUBSUB | LOADING | STALE, ps_numsub)
        .acl("pubsub slow")
        .group("pubsub")
        .since("2.8.0"),
    CommandDef::new("numpat", 2, PUBSUB | LOADING | STALE, ps_numpat)
        .acl("pubsub slow")
        .group("pubsub")
        .since("2.8.0"),
    CommandDef::new(
        "shardchannels",
        -2,
        PUBSUB | LOADING | STALE,
        ps_shardchannels,
    )
    .acl("pubsub slow")
    .group("pubsub")
    .since("7.0.0"),
    CommandDef::new("shardnumsub", -2, PUBSUB | LOADING | STALE, ps_shardnumsub)
        .acl("pubsub slow")
        .group("pubsub")
        .since("7.0.0"),
    CommandDef::new("help", 2, LOADING | STALE, ps_help)
        .acl("slow")
        .group("pubsub")
        .since("6.2.0"),
];

/// `execute` resolves the subcommand first, so the container never runs.
fn container(ctx: &mut Ctx) -> CmdResult {
    Err(err::unknown_subcommand(ctx.args.get(1), "pubsub"))
}

/// The frame header of a confirmation or message: `*n` or `>n`.
fn frame(r: &mut Reply, n: usize) {
    if r.resp3() {
        r.push(n);
    } else {
        r.array(n);
    }
}

/// Writes a push-type message even under CLIENT REPLY OFF/SKIP: Redis
/// marks these writes CLIENT_PUSHING, since they are not the reply to a
/// command the client chose to silence.
fn pushing(r: &mut Reply, f: impl FnOnce(&mut Reply)) {
    let muted = std::mem::replace(&mut r.muted, false);
    f(r);
    r.muted = muted;
}

fn confirm(r: &mut Reply, what: &[u8], name: Option<&[u8]>, count: usize) {
    pushing(r, |r| {
        frame(r, 3);
        r.bulk(what);
        match name {
            Some(n) => r.bulk(n),
            None => r.null(),
        }
        r.int(count as i64);
    });
}

fn count_of(ctx: &Ctx, k: Kind) -> usize {
    if k == Kind::Shard {
        ctx.client.subs.shard.len()
    } else {
        ctx.client.subs.count()
    }
}

fn do_subscribe(ctx: &mut Ctx, k: Kind, what: &[u8]) -> CmdResult {
    for i in 1..ctx.args.len() {
        let name = ctx.args.get(i);
        let token = ctx.client.token;
        if !ctx.client.subs.list(k).iter().any(|n| n == name) {
            ctx.client.subs.list(k).push(name.to_vec());
            ctx.srv.pubsub.add(k, name, token);
        }
        let count = count_of(ctx, k);
        confirm(&mut ctx.client.reply, what, Some(name), count);
    }
    Ok(())
}

fn do_unsubscribe(ctx: &mut Ctx, k: Kind, what: &[u8]) -> CmdResult {
    let token = ctx.client.token;
    if ctx.args.len() == 1 {
        let names = std::mem::take(ctx.client.subs.list(k));
        if names.is_empty() {
            let count = count_of(ctx, k);
            confirm(&mut ctx.client.reply, what, None, count);
            return Ok(());
        }
        for (i, name) in names.iter().enumerate() {
            ctx.srv.pubsub.remove(k, name, token);
            // Counts fall one by one, as Redis removes them one by one.
            let left = names.len() - i - 1;
            let count = if k == Kind::Shard {
                left
            } else {
                ctx.client.subs.count() + left
            };
            confirm(&mut ctx.client.reply, what, Some(name), count);
        }
        return Ok(());
    }
    for i in 1..ctx.args.len() {
        let name = ctx.args.get(i);
        let list = ctx.client.subs.list(k);
        if let Some(pos) = list.iter().position(|n| n == name) {
            list.remove(pos);
            ctx.srv.pubsub.remove(k, name, token);
        }
        let count = count_of(ctx, k);
        confirm(&mut ctx.client.reply, what, Some(name), count);
    }
    Ok(())
}

fn subscribe(ctx: &mut Ctx) -> CmdResult {
    do_subscribe(ctx, Kind::Channel, b"subscribe")
}
fn psubscribe(ctx: &mut Ctx) -> CmdResult {
    do_subscribe(ctx, Kind::Pattern, b"psubscribe")
}
fn ssubscribe(ctx: &mut Ctx) -> CmdResult {
    do_subscribe(ctx, Kind::Shard, b"ssubscribe")
}
fn unsubscribe(ctx: &mut Ctx) -> CmdResult {
    do_unsubscribe(ctx, Kind::Channel, b"unsubscribe")
}
fn punsubscribe(ctx: &mut Ctx) -> CmdResult {
    do_unsubscribe(ctx, Kind::Pattern, b"punsubscribe")
}
fn sunsubscribe(ctx: &mut Ctx) -> CmdResult {
    do_unsubscribe(ctx, Kind::Shard, b"sunsubscribe")
}

/// Delivers one message to one subscriber, whoever it is (`me` is the
/// client whose command runs, absent from `srv.clients` meanwhile).
fn deliver(srv: &mut Server, me: &mut Option<&mut Client>, token: usize, f: &dyn Fn(&mut Reply)) {
    if let Some(c) = me.as_deref_mut() {
        if c.token == token {
            pushing(&mut c.reply, f);
            return;
        }
    }
    if let Some(Some(c)) = srv.clients.get_mut(token) {
        pushing(&mut c.reply, f);
        queue_write(srv, token);
    }
}

/// Sends `msg` on `channel` to channel and pattern subscribers (Redis's
/// `pubsubPublishMessage`); returns the number of receivers.
pub fn publish_message(ctx: &mut Ctx, channel: &[u8], msg: &[u8], shard: bool) -> usize {
    publish_raw(ctx.srv, Some(&mut *ctx.client), channel, msg, shard)
}

/// The same without a Ctx: keyspace notifications from expiry cycles use it.
pub fn publish_raw(
    srv: &mut Server,
    me: Option<&mut Client>,
    channel: &[u8],
    msg: &[u8],
    shard: bool,
) -> usize {
    let mut me = me;
    let mut receivers = 0;
    let map = if shard {
        &srv.pubsub.shard
    } else {
        &srv.pubsub.channels
    };
    if let Some(list) = map.get(channel) {
        let mut tokens = std::mem::take(&mut srv.pubsub.scratch);
        tokens.clear();
        tokens.extend_from_slice(list);
        let kind: &[u8] = if shard { b"smessage" } else { b"message" };
        for &t in &tokens {
            deliver(srv, &mut me, t, &|r| {
                frame(r, 3);
                r.bulk(kind);
                r.bulk(channel);
                r.bulk(msg);
            });
            receivers += 1;
        }
        srv.pubsub.scratch = tokens;
    }
    if shard || srv.pubsub.patterns.is_empty() {
        return receivers;
    }
    let hits: Vec<(Vec<u8>, Vec<usize>)> = srv
        .pubsub
        .patterns
        .iter()
        .filter(|(p, _)| glob::matches(p, channel, false))
        .map(|(p, v)| (p.clone(), v.clone()))
        .collect();
    for (pat, tokens) in hits {
        for t in tokens {
            deliver(srv, &mut me, t, &|r| {
                frame(r, 4);
                r.bulk(b"pmessage");
                r.bulk(&pat);
                r.bulk(channel);
                r.bulk(msg);
            });
            receivers += 1;
        }
    }
    receivers
}

fn publish(ctx: &mut Ctx) -> CmdResult {
    let (ch, msg) = (ctx.args.get(1), ctx.args.get(2));
    let n = publish_message(ctx, ch, msg, false);
    ctx.client.reply.int(n as i64);
    Ok(())
}

fn spublish(ctx: &mut Ctx) -> CmdResult {
    let (ch, msg) = (ctx.args.get(1), ctx.args.get(2));
    let n = publish_message(ctx, ch, msg, true);
    ctx.client.reply.int(n as i64);
    Ok(())
}

fn list_names(ctx: &mut Ctx, shard: bool) -> CmdResult {
    if ctx.args.len() > 3 {
        let sub = ctx.args.get(1);
        let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
        return Err(CmdError::owned(format!(
            "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try PUBSUB HELP."
        )));
    }
    let pat = if ctx.args.len() == 3 {
        Some(ctx.args.get(2))
    } else {
        None
    };
    let map = if shard {
        &ctx.srv.pubsub.shard
    } else {
        &ctx.srv.pubsub.channels
    };
    let names: Vec<&Vec<u8>> = map
        .keys()
        .filter(|n| pat.is_none_or(|p| glob::matches(p, n, false)))
        .collect();
    ctx.client.reply.array(names.len());
    for n in names {
        ctx.client.reply.bulk(n);
    }
    Ok(())
}

fn ps_channels(ctx: &mut Ctx) -> CmdResult {
    list_names(ctx, false)
}
fn ps_shardchannels(ctx: &mut Ctx) -> CmdResult {
    list_names(ctx, true)
}

fn numsub(ctx: &mut Ctx, shard: bool) -> CmdResult {
    let n = ctx.args.len() - 2;
    if ctx.client.reply.resp3() {
        ctx.client.reply.map(n);
    } else {
        ctx.client.reply.array(n * 2);
    }
    for i in 2..ctx.args.len() {
        let ch = ctx.args.get(i);
        let map = if shard {
            &ctx.srv.pubsub.shard
        } else {
            &ctx.srv.pubsub.channels
        };
        let c = map.get(ch).map_or(0, |v| v.len());
        ctx.client.reply.bulk(ch);
        ctx.client.reply.int(c as i64);
    }
    Ok(())
}

fn ps_numsub(ctx: &mut Ctx) -> CmdResult {
    numsub(ctx, false)
}
fn ps_shardnumsub(ctx: &mut Ctx) -> CmdResult {
    numsub(ctx, true)
}

fn ps_numpat(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.srv.pubsub.patterns.len();
    ctx.client.reply.int(n as i64);
    Ok(())
}

fn ps_help(ctx: &mut Ctx) -> CmdResult {
    const LINES: &[&str] = &[
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    ctx.client.reply.array(LINES.len());
    for l in LINES {
        ctx.client.reply.simple(l.as_bytes());
    }
    Ok(())
}
