//! Sorted set commands (Redis's `t_zset.c`): ZADD, ZRANGE and its family,
//! ranks, counts, removals by range, pops.
//!
//! The value type and its two encodings live in `types/zset_value.rs`;
//! every range command here turns its range (ranks, scores or lex) into a
//! pair of ascending ranks and walks them, so the reply length is known
//! before the first element is written and nothing is collected.

use super::table::{flags::*, CommandDef};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::object::Value;
use crate::server::notify as ntf;
use crate::types::skiplist::{Added, LexRange, ScoreRange};
use crate::types::zset_value::{Limits, ZSetVal};
use crate::util::numbers::{parse_f64, parse_i64};

const fn z(name: &'static str, arity: i32, fl: u64, h: super::table::Handler) -> CommandDef {
    CommandDef::new(name, arity, fl, h)
        .keys(1, 1, 1)
        .group("sorted-set")
}

pub static COMMANDS: &[CommandDef] = &[
    z("zadd", -4, WRITE | DENYOOM | FAST, zadd).acl("write sortedset fast").since("1.2.0").summary("Add one or more members to a sorted set, or update its score if it already exists"),
    z("zincrby", 4, WRITE | DENYOOM | FAST, zincrby).acl("write sortedset fast").since("1.2.0").summary("Increment the score of a member in a sorted set"),
    z("zcard", 2, READONLY | FAST, zcard).acl("read sortedset fast").since("1.2.0").summary("Get the number of members in a sorted set"),
    z("zscore", 3, READONLY | FAST, zscore).acl("read sortedset fast").since("1.2.0").summary("Get the score associated with the given member in a sorted set"),
    z("zmscore", -3, READONLY | FAST, zmscore).acl("read sortedset fast").since("6.2.0").summary("Get the score associated with the given members in a sorted set"),
    z("zrem", -3, WRITE | FAST, zrem).acl("write sortedset fast").since("1.2.0").summary("Remove one or more members from a sorted set"),
    z("zrank", 3, READONLY | FAST, zrank).acl("read sortedset fast").since("2.0.0").summary("Determine the index of a member in a sorted set"),
    z("zrevrank", 3, READONLY | FAST, zrevrank).acl("read sortedset fast").since("2.0.0").summary("Determine the index of a member in a sorted set, with scores ordered from high to low"),
    z("zcount", 4, READONLY | FAST, zcount).acl("read sortedset fast").since("2.0.0").summary("Count the members in a sorted set with scores within the given values"),
    z("zlexcount", 4, READONLY | FAST, zlexcount).acl("read sortedset fast").since("2.8.9").summary("Count the number of members in a sorted set between a given lexicographical range"),
    z("zrange", -4, READONLY, zrange).acl("read sortedset slow").since("1.2.0").summary("Return a range of members in a sorted set"),
    z("zrevrange", -4, READONLY, zrevrange).acl("read sortedset slow").since("1.2.0").summary("Return a range of members in a sorted set, by index, with scores ordered from high to low"),
    z("zrangebyscore", -4, READONLY, zrangebyscore).acl("read sortedset slow").since("1.0.5").summary("Return a range of members in a sorted set, by score"),
    z("zrevrangebyscore", -4, READONLY, zrevrangebyscore).acl("read sortedset slow").since("2.2.0").summary("Return a range of members in a sorted set, by score, with scores ordered from high to low"),
    z("zrangebylex", -4, READONLY, zrangebylex).acl("read sortedset slow").since("2.8.9").summary("Return a range of members in a sorted set, by lexicographical range"),
    z("zrevrangebylex", -4, READONLY, zrevrangebylex).acl("read sortedset slow").since("2.8.9").summary("Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings."),
    z("zremrangebyrank", 4, WRITE, zremrangebyrank).acl("write sortedset slow").since("2.0.0").summary("Remove all members in a sorted set within the given indexes"),
    z("zremrangebyscore", 4, WRITE, zremrangebyscore).acl("write sortedset slow").since("1.2.0").summary("Remove all members in a sorted set within the given scores"),
    z("zremrangebylex", 4, WRITE, zremrangebylex).acl("write sortedset slow").since("2.8.9").summary("Remove all members in a sorted set between the given lexicographical range"),
    z("zpopmin", -2, WRITE | FAST, zpopmin).acl("write sortedset fast").since("5.0.0").summary("Remove and return members with the lowest scores in a sorted set"),
    z("zpopmax", -2, WRITE | FAST, zpopmax).acl("write sortedset fast").since("5.0.0").summary("Remove and return members with scores in a sorted set"),
    // Blocking pops (serve function `bzpop_serve`, server/blocking.rs).
    z("bzpopmin", -3, WRITE | NOSCRIPT | BLOCKING | FAST, bzpopmin).keys(1, -2, 1).acl("write sortedset fast blocking").since("5.0.0").summary("Remove and return the member with the lowest score from one or more sorted sets, or block until one is available"),
    z("bzpopmax", -3, WRITE | NOSCRIPT | BLOCKING | FAST, bzpopmax).keys(1, -2, 1).acl("write sortedset fast blocking").since("5.0.0").summary("Remove and return the member with the highest score from one or more sorted sets, or block until one is available"),
    CommandDef::new("bzmpop", -5, WRITE | BLOCKING | MOVABLE_KEYS, bzmpop).group("sorted-set").acl("write sortedset slow blocking").since("7.0.0").summary("Remove and return members with scores in a sorted set or block until one is available"),
    CommandDef::new("zunion", -3, READONLY | MOVABLE_KEYS, zunion).group("sorted-set").acl("read sortedset slow").since("6.2.0").summary("Add multiple sorted sets"),
    CommandDef::new("zinter", -3, READONLY | MOVABLE_KEYS, zinter).group("sorted-set").acl("read sortedset slow").since("6.2.0").summary("Intersect multiple sorted sets"),
    CommandDef::new("zdiff", -3, READONLY | MOVABLE_KEYS, zdiff).group("sorted-set").acl("read sortedset slow").since("6.2.0").summary("Subtract multiple sorted sets"),
    z("zunionstore", -4, WRITE | DENYOOM | MOVABLE_KEYS, zunionstore).acl("write sortedset slow").since("2.0.0").summary("Add multiple sorted sets and store the resulting sorted set in a new key"),
    z("zinterstore", -4, WRITE | DENYOOM | MOVABLE_KEYS, zinterstore).acl("write sortedset slow").since("2.0.0").summary("Intersect multiple sorted sets and store the resulting sorted set in a new key"),
    z("zdiffstore", -4, WRITE | DENYOOM | MOVABLE_KEYS, zdiffstore).acl("write sortedset slow").since("6.2.0").summary("Subtract multiple sorted sets and store the resulting sorted set in a new key"),
    z("zrangestore", -5, WRITE | DENYOOM, zrangestore).keys(1, 2, 1).acl("write sortedset slow").since("6.2.0").summary("Store a range of members from sorted set into another key"),
    CommandDef::new("zmpop", -4, WRITE | MOVABLE_KEYS, zmpop).group("sorted-set").acl("write sortedset slow").since("7.0.0").summary("Remove and return members with scores in a sorted set"),
    CommandDef::new("zintercard", -3, READONLY | MOVABLE_KEYS, zintercard).group("sorted-set").acl("read sortedset slow").since("7.0.0").summary("Intersect multiple sorted sets and return the cardinality of the result"),
    z("zrandmember", -2, READONLY, zrandmember).acl("read sortedset slow").since("6.2.0").summary("Get one or multiple random elements from a sorted set"),
    z("zscan", -3, READONLY, zscan).acl("read sortedset slow").since("2.8.0").summary("Incrementally iterate sorted sets elements and associated scores"),
];

const NAN_SCORE: CmdError = CmdError::new("ERR resulting score is not a number (NaN)");
const NOT_FLOAT_RANGE: CmdError = CmdError::new("ERR min or max is not a float");
const NOT_LEX_RANGE: CmdError = CmdError::new("ERR min or max not valid string range item");

fn limits(ctx: &Ctx) -> Limits {
    Limits {
        entries: ctx.srv.config.zset_max_listpack_entries,
        value: ctx.srv.config.zset_max_listpack_value,
    }
}

/// Looks a key up for reading, counting the hit or miss.
fn read<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a ZSetVal>, CmdError> {
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    match srv.dbs[ctx.client.db].lookup(key, now) {
        None => {
            srv.stats.keyspace_misses += 1;
            Ok(None)
        }
        Some(Value::ZSet(z)) => {
            srv.stats.keyspace_hits += 1;
            Ok(Some(z))
        }
        Some(_) => {
            srv.stats.keyspace_hits += 1;
            Err(err::WRONGTYPE)
        }
    }
}

/// As [`read`], also handing out the reply buffer (disjoint borrows).
fn read_split<'a>(
    ctx: &'a mut Ctx,
    key: &[u8],
) -> Result<(Option<&'a ZSetVal>, &'a mut crate::protocol::reply::Reply), CmdError> {
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let reply = &mut ctx.client.reply;
    match srv.dbs[ctx.client.db].lookup(key, now) {
        None => {
            srv.stats.keyspace_misses += 1;
            Ok((None, reply))
        }
        Some(Value::ZSet(z)) => {
            srv.stats.keyspace_hits += 1;
            Ok((Some(z), reply))
        }
        Some(_) => {
            srv.stats.keyspace_hits += 1;
            Err(err::WRONGTYPE)
        }
    }
}

fn write<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut ZSetVal>, CmdError> {
    let now = ctx.srv.now_ms;
    let db = ctx.client.db;
    match ctx.srv.dbs[db].lookup_mut(key, now) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(err::WRONGTYPE),
    }
}

/// Deletes `key` if its set became empty (no empty collection may exist).
fn drop_if_empty(ctx: &mut Ctx, key: &[u8]) {
    let now = ctx.srv.now_ms;
    let db = ctx.client.db;
    if let Some(Value::ZSet(z)) = ctx.srv.dbs[db].peek(key, now) {
        if z.is_empty() {
            ctx.srv.dbs[db].remove(key, now);
        }
    }
}

/// `zslParseRange`'s bound: `(x` is exclusive; NaN is rejected.
fn parse_score_bound(s: &[u8]) -> Option<(f64, bool)> {
    let (body, ex) = match s.first() {
        Some(b'(') => (&s[1..], true),
        _ => (s, false),
    };
    parse_f64(body).map(|v| (v, ex))
}

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    let (a, ax) = parse_score_bound(min).ok_or(NOT_FLOAT_RANGE)?;
    let (b, bx) = parse_score_bound(max).ok_or(NOT_FLOAT_RANGE)?;
    Ok(ScoreRange {
        min: a,
        max: b,
        minex: ax,
        maxex: bx,
    })
}

// ---------------------------------------------------------------------------
// ZADD / ZINCRBY

const NX: u8 = 1;
const XX: u8 = 2;
const GT: u8 = 4;
const LT: u8 = 8;
const CH: u8 = 16;
const INCR: u8 = 32;

fn zadd(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let mut fl = 0u8;
    let mut i = 2;
    while i < args.len() {
        let a = args.get(i);
        let f = if a.eq_ignore_ascii_case(b"nx") {
            NX
        } else if a.eq_ignore_ascii_case(b"xx") {
            XX
        } else if a.eq_ignore_ascii_case(b"gt") {
            GT
        } else if a.eq_ignore_ascii_case(b"lt") {
            LT
        } else if a.eq_ignore_ascii_case(b"ch") {
            CH
        } else if a.eq_ignore_ascii_case(b"incr") {
            INCR
        } else {
            break;
        };
        fl |= f;
        i += 1;
    }
    let pairs = args.len() - i;
    if pairs == 0 || !pairs.is_multiple_of(2) {
        return Err(err::SYNTAX);
    }
    if fl & NX != 0 && fl & XX != 0 {
        return Err(CmdError::new(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    let gl = (fl & GT != 0) as u8 + (fl & LT != 0) as u8 + (fl & NX != 0) as u8;
    if gl > 1 {
        return Err(CmdError::new(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if fl & INCR != 0 && pairs > 2 {
        return Err(CmdError::new(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let n = pairs / 2;
    let mut maxlen = 0;
    for k in 0..n {
        parse_f64(args.get(i + 2 * k)).ok_or(err::NOT_FLOAT)?;
        maxlen = maxlen.max(args.get(i + 2 * k + 1).len());
    }
    let key = args.get(1);
    let lim = limits(ctx);
    let now = ctx.srv.now_ms;
    let db = ctx.client.db;
    match ctx.srv.dbs[db].lookup_mut(key, now) {
        Some(Value::ZSet(_)) => {}
        Some(_) => return Err(err::WRONGTYPE),
        None => {
            if fl & XX != 0 {
                if fl & INCR != 0 {
                    ctx.client.reply.null();
                } else {
                    ctx.client.reply.int(0);
                }
                return Ok(());
            }
            let v = ZSetVal::with_capacity(n, maxlen, lim);
            ctx.srv.dbs[db].insert(key, Value::ZSet(v), false);
            ntf::flush_logged(ctx.srv, ctx.client);
        }
    }
    let Some(Value::ZSet(zs)) = ctx.srv.dbs[db].lookup_mut(key, now) else {
        return Ok(());
    };
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0);
    let mut last: Option<f64> = None;
    let mut nan = false;
    for k in 0..n {
        let mut score = parse_f64(args.get(i + 2 * k)).unwrap_or(0.0);
        let m = args.get(i + 2 * k + 1);
        match zs.score(m) {
            Some(cur) => {
                if fl & NX != 0 {
                    continue;
                }
                if fl & INCR != 0 {
                    score += cur;
                    if score.is_nan() {
                        nan = true;
                        break;
                    }
                }
                if (fl & LT != 0 && score >= cur) || (fl & GT != 0 && score <= cur) {
                    continue;
                }
                last = Some(score);
                if score != cur {
                    zs.insert(m, score, lim);
                    updated += 1;
                }
                processed += 1;
            }
            None => {
                if fl & XX != 0 {
                    continue;
                }
                if zs.insert(m, score, lim) == Added::New {
                    added += 1;
                }
                last = Some(score);
                processed += 1;
            }
        }
    }
    drop_if_empty(ctx, key);
    if nan {
        return Err(NAN_SCORE);
    }
    if fl & INCR != 0 {
        match (processed, last) {
            (1, Some(s)) => ctx.client.reply.double(s),
            _ => ctx.client.reply.null(),
        }
    } else {
        ctx.client
            .reply
            .int(if fl & CH != 0 { added + updated } else { added });
    }
    if added + updated > 0 {
        ctx.changed(
            ntf::ZSET,
            if fl & INCR != 0 { b"zincr" } else { b"zadd" },
            key,
        );
    }
    Ok(())
}

fn zincrby(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let inc = parse_f64(args.get(2)).ok_or(err::NOT_FLOAT)?;
    let key = args.get(1);
    let m = args.get(3);
    let lim = limits(ctx);
    let now = ctx.srv.now_ms;
    let db = ctx.client.db;
    match ctx.srv.dbs[db].lookup_mut(key, now) {
        Some(Value::ZSet(zs)) => {
            let old = zs.score(m);
            let s = old.unwrap_or(0.0) + inc;
            if s.is_nan() {
                return Err(NAN_SCORE);
            }
            zs.insert(m, s, lim);
            ctx.client.reply.double(s);
            if old != Some(s) {
                ctx.changed(ntf::ZSET, b"zincr", key);
            }
        }
        Some(_) => return Err(err::WRONGTYPE),
        None => {
            let mut v = ZSetVal::with_capacity(1, m.len(), lim);
            v.insert(m, inc, lim);
            ctx.srv.dbs[db].insert(key, Value::ZSet(v), false);
            ntf::flush_logged(ctx.srv, ctx.client);
            ctx.client.reply.double(inc);
            ctx.changed(ntf::ZSET, b"zincr", key);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Point reads

fn zcard(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let n = read(ctx, key)?.map_or(0, |z| z.len());
    ctx.client.reply.int(n as i64);
    Ok(())
}

fn zscore(ctx: &mut Ctx) -> CmdResult {
    let (key, m) = (ctx.args.get(1), ctx.args.get(2));
    match read(ctx, key)?.and_then(|z| z.score(m)) {
        Some(s) => ctx.client.reply.double(s),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let key = args.get(1);
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let z = match srv.dbs[ctx.client.db].lookup(key, now) {
        None => {
            srv.stats.keyspace_misses += 1;
            None
        }
        Some(Value::ZSet(z)) => {
            srv.stats.keyspace_hits += 1;
            Some(z)
        }
        Some(_) => return Err(err::WRONGTYPE),
    };
    let r = &mut ctx.client.reply;
    r.array(args.len() - 2);
    for i in 2..args.len() {
        match z.and_then(|z| z.score(args.get(i))) {
            Some(s) => r.double(s),
            None => r.null(),
        }
    }
    Ok(())
}

fn rank_generic(ctx: &mut Ctx, rev: bool) -> CmdResult {
    let (key, m) = (ctx.args.get(1), ctx.args.get(2));
    match read(ctx, key)?.and_then(|z| z.rank(m, rev)) {
        Some(r) => ctx.client.reply.int(r as i64),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

fn zrank(ctx: &mut Ctx) -> CmdResult {
    rank_generic(ctx, false)
}

fn zrevrank(ctx: &mut Ctx) -> CmdResult {
    rank_generic(ctx, true)
}

fn zcount(ctx: &mut Ctx) -> CmdResult {
    let r = parse_score_range(ctx.args.get(2), ctx.args.get(3))?;
    let key = ctx.args.get(1);
    let n = read(ctx, key)?
        .and_then(|z| z.score_ranks(&r))
        .map_or(0, |(a, b)| b - a + 1);
    ctx.client.reply.int(n as i64);
    Ok(())
}

fn zlexcount(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let r = LexRange::parse(args.get(2), args.get(3)).ok_or(NOT_LEX_RANGE)?;
    let n = read(ctx, args.get(1))?
        .and_then(|z| z.lex_ranks(&r))
        .map_or(0, |(a, b)| b - a + 1);
    ctx.client.reply.int(n as i64);
    Ok(())
}

fn zrem(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let key = args.get(1);
    let mut n = 0;
    if let Some(z) = write(ctx, key)? {
        for i in 2..args.len() {
            if z.remove(args.get(i)).is_some() {
                n += 1;
                if z.is_empty() {
                    break;
                }
            }
        }
    }
    let emptied = removed_key(ctx, key);
    if n > 0 {
        ctx.notify(ntf::ZSET, b"zrem", key, ctx.client.db);
        if emptied {
            ctx.notify(ntf::GENERIC, b"del", key, ctx.client.db);
        }
        ctx.modified(ctx.client.db, key);
    }
    ctx.client.reply.int(n);
    Ok(())
}

// ---------------------------------------------------------------------------
// ZRANGE and friends

#[derive(Clone, Copy, PartialEq)]
enum By {
    Rank,
    Score,
    Lex,
}

/// Clamps Redis-style (possibly negative) start/end to ascending ranks.
fn clamp_ranks(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut s = if start < 0 { len + start } else { start };
    let mut e = if end < 0 { len + end } else { end };
    if s < 0 {
        s = 0;
    }
    if s > e || s >= len {
        return None;
    }
    if e >= len {
        e = len - 1;
    }
    Some((s as usize, e as usize))
}

/// `zrangeGenericCommand` for the reply-producing forms; `first_opt` is
/// where options start, `by`/`rev` are preset by the legacy commands.
fn range_generic(ctx: &mut Ctx, by0: Option<By>, rev0: bool) -> CmdResult {
    range_impl(ctx, by0, rev0, false)
}

fn zrangestore(ctx: &mut Ctx) -> CmdResult {
    range_impl(ctx, None, false, true)
}

fn range_impl(ctx: &mut Ctx, by0: Option<By>, rev0: bool, store: bool) -> CmdResult {
    let args = ctx.args;
    let s = store as usize;
    let mut by = by0;
    let mut rev = if by0.is_some() { Some(rev0) } else { None };
    let mut withscores = false;
    let mut limit: Option<(i64, i64)> = None;
    let mut j = 4 + s;
    while j < args.len() {
        let a = args.get(j);
        let left = args.len() - j - 1;
        if !store && a.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
        } else if a.eq_ignore_ascii_case(b"limit") && left >= 2 {
            let o = parse_i64(args.get(j + 1)).ok_or(err::NOT_INT)?;
            let c = parse_i64(args.get(j + 2)).ok_or(err::NOT_INT)?;
            limit = Some((o, c));
            j += 2;
        } else if rev.is_none() && a.eq_ignore_ascii_case(b"rev") {
            rev = Some(true);
        } else if by.is_none() && a.eq_ignore_ascii_case(b"bylex") {
            by = Some(By::Lex);
        } else if by.is_none() && a.eq_ignore_ascii_case(b"byscore") {
            by = Some(By::Score);
        } else {
            return Err(err::SYNTAX);
        }
        j += 1;
    }
    let by = by.unwrap_or(By::Rank);
    let rev = rev.unwrap_or(false);
    // As Redis, `LIMIT x -1` is the default and allowed with ranks (and ignored).
    if limit.is_some_and(|(_, c)| c != -1) && by == By::Rank {
        return Err(CmdError::new(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == By::Lex {
        return Err(CmdError::new(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut lo, mut hi) = (args.get(2 + s), args.get(3 + s));
    if rev && by != By::Rank {
        std::mem::swap(&mut lo, &mut hi);
    }
    enum R<'a> {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange<'a>),
    }
    let range = match by {
        By::Rank => R::Rank(
            parse_i64(lo).ok_or(err::NOT_INT)?,
            parse_i64(hi).ok_or(err::NOT_INT)?,
        ),
        By::Score => R::Score(parse_score_range(lo, hi)?),
        By::Lex => R::Lex(LexRange::parse(lo, hi).ok_or(NOT_LEX_RANGE)?),
    };
    let key = args.get(1 + s);
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let z = match srv.dbs[ctx.client.db].lookup(key, now) {
        None => {
            srv.stats.keyspace_misses += 1;
            if store {
                let removed = srv.dbs[ctx.client.db].remove(args.get(1), now).is_some();
                ctx.client.reply.int(0);
                if removed {
                    ctx.changed(ntf::GENERIC, b"del", args.get(1));
                }
            } else {
                ctx.client.reply.empty_array();
            }
            return Ok(());
        }
        Some(Value::ZSet(z)) => {
            srv.stats.keyspace_hits += 1;
            z
        }
        Some(_) => return Err(err::WRONGTYPE),
    };
    let ranks = match range {
        R::Rank(s, e) => {
            // Rank ranges count from the chosen end.
            clamp_ranks(s, e, z.len()).map(|(s, e)| {
                if rev {
                    (z.len() - 1 - e, z.len() - 1 - s)
                } else {
                    (s, e)
                }
            })
        }
        R::Score(r) => z.score_ranks(&r),
        R::Lex(r) => z.lex_ranks(&r),
    };
    // LIMIT: skip `offset` from the walking end, keep at most `count`.
    let limit = if by == By::Rank { None } else { limit };
    let ranks = match (ranks, limit) {
        (Some((a, b)), Some((off, cnt))) => {
            if off < 0 {
                None
            } else {
                let total = (b - a + 1) as i64;
                let keep = if cnt < 0 {
                    total - off
                } else {
                    cnt.min(total - off)
                };
                if off >= total || keep <= 0 {
                    None
                } else if rev {
                    Some((b - (off + keep - 1) as usize, b - off as usize))
                } else {
                    Some((a + off as usize, a + (off + keep - 1) as usize))
                }
            }
        }
        (r, _) => r,
    };

    if store {
        let mut out = Vec::new();
        if let Some((a, b)) = ranks {
            z.walk(a, b, rev, |m, sc| out.push((m.to_vec(), sc)));
        }
        store_result(ctx, args.get(1), &out);
        return Ok(());
    }
    let r = &mut ctx.client.reply;
    let Some((a, b)) = ranks else {
        r.empty_array();
        return Ok(());
    };
    let n = b - a + 1;
    let pairs = withscores && r.resp3();
    r.array(if withscores && !pairs { 2 * n } else { n });
    z.walk(a, b, rev, |m, s| {
        if pairs {
            r.array(2);
        }
        r.bulk(m);
        if withscores {
            r.double(s);
        }
    });
    Ok(())
}

fn zrange(ctx: &mut Ctx) -> CmdResult {
    range_generic(ctx, None, false)
}
fn zrevrange(ctx: &mut Ctx) -> CmdResult {
    range_generic(ctx, Some(By::Rank), true)
}
fn zrangebyscore(ctx: &mut Ctx) -> CmdResult {
    range_generic(ctx, Some(By::Score), false)
}
fn zrevrangebyscore(ctx: &mut Ctx) -> CmdResult {
    range_generic(ctx, Some(By::Score), true)
}
fn zrangebylex(ctx: &mut Ctx) -> CmdResult {
    range_generic(ctx, Some(By::Lex), false)
}
fn zrevrangebylex(ctx: &mut Ctx) -> CmdResult {
    range_generic(ctx, Some(By::Lex), true)
}

// ---------------------------------------------------------------------------
// Removal by range, pops

fn zremrange(ctx: &mut Ctx, by: By) -> CmdResult {
    let args = ctx.args;
    let (lo, hi) = (args.get(2), args.get(3));
    let (mut rs, mut re, mut sr, mut lr) = (0, 0, None, None);
    match by {
        By::Rank => {
            rs = parse_i64(lo).ok_or(err::NOT_INT)?;
            re = parse_i64(hi).ok_or(err::NOT_INT)?;
        }
        By::Score => sr = Some(parse_score_range(lo, hi)?),
        By::Lex => lr = Some(LexRange::parse(lo, hi).ok_or(NOT_LEX_RANGE)?),
    }
    let key = args.get(1);
    let mut n = 0;
    if let Some(z) = write(ctx, key)? {
        let ranks = match by {
            By::Rank => clamp_ranks(rs, re, z.len()),
            By::Score => sr.and_then(|r| z.score_ranks(&r)),
            By::Lex => lr.and_then(|r| z.lex_ranks(&r)),
        };
        if let Some((a, b)) = ranks {
            n = z.delete_ranks(a, b);
        }
    }
    let emptied = removed_key(ctx, key);
    if n > 0 {
        let ev: &[u8] = match by {
            By::Rank => b"zremrangebyrank",
            By::Score => b"zremrangebyscore",
            By::Lex => b"zremrangebylex",
        };
        ctx.changed(ntf::ZSET, ev, key);
        if emptied {
            ctx.notify(ntf::GENERIC, b"del", key, ctx.client.db);
        }
    }
    ctx.client.reply.int(n as i64);
    Ok(())
}

fn zremrangebyrank(ctx: &mut Ctx) -> CmdResult {
    zremrange(ctx, By::Rank)
}
fn zremrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zremrange(ctx, By::Score)
}
fn zremrangebylex(ctx: &mut Ctx) -> CmdResult {
    zremrange(ctx, By::Lex)
}

/// `genericZpopCommand` for ZPOPMIN/ZPOPMAX.
fn zpop(ctx: &mut Ctx, max: bool) -> CmdResult {
    let args = ctx.args;
    if args.len() > 3 {
        return Err(err::SYNTAX);
    }
    let has_count = args.len() == 3;
    let count = if has_count {
        let c = parse_i64(args.get(2)).ok_or(err::NOT_POSITIVE)?;
        if c < 0 {
            return Err(err::NOT_POSITIVE);
        }
        c as usize
    } else {
        1
    };
    let key = args.get(1);
    let resp3 = ctx.client.reply.resp3();
    let now = ctx.srv.now_ms;
    let r = &mut ctx.client.reply;
    let z = match ctx.srv.dbs[ctx.client.db].lookup_mut(key, now) {
        None => {
            r.empty_array();
            return Ok(());
        }
        Some(Value::ZSet(z)) => z,
        Some(_) => return Err(err::WRONGTYPE),
    };
    let n = count.min(z.len());
    if n == 0 {
        r.empty_array();
        return Ok(());
    }
    let (a, b) = if max {
        (z.len() - n, z.len() - 1)
    } else {
        (0, n - 1)
    };
    let pairs = resp3 && has_count;
    r.array(if pairs { n } else { 2 * n });
    if ctx.srv.config.notify_keyspace_events != 0 {
        return pop_announced(ctx, key, max, (a, b), pairs);
    }
    z.walk(a, b, max, |m, s| {
        if pairs {
            r.array(2);
        }
        r.bulk(m);
        r.double(s);
    });
    z.delete_ranks(a, b);
    popped(ctx, key, max);
    Ok(())
}

fn zpopmin(ctx: &mut Ctx) -> CmdResult {
    zpop(ctx, false)
}
fn zpopmax(ctx: &mut Ctx) -> CmdResult {
    zpop(ctx, true)
}

// ---------------------------------------------------------------------------
// ZUNION / ZINTER / ZDIFF and their STORE forms (`zunionInterDiffGenericCommand`)

#[derive(Clone, Copy, PartialEq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Agg {
    Sum,
    Min,
    Max,
}

fn aggregate(agg: Agg, target: &mut f64, v: f64) {
    match agg {
        Agg::Sum => {
            *target += v;
            // inf + -inf: Redis turns the NaN into 0.
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Agg::Min => *target = target.min(v),
        Agg::Max => *target = target.max(v),
    }
}

/// Computes the result (sorted by score, member) or replies with an error.
/// `dst` is Some for the STORE forms (numkeys is then argument 2).
fn setop_generic(ctx: &mut Ctx, op: SetOp, store: bool) -> CmdResult {
    let args = ctx.args;
    let nk_idx = if store { 2 } else { 1 };
    let setnum = parse_i64(args.get(nk_idx)).ok_or(err::NOT_INT)?;
    if setnum < 1 {
        let name = match (op, store) {
            (SetOp::Union, false) => "zunion",
            (SetOp::Union, true) => "zunionstore",
            (SetOp::Inter, false) => "zinter",
            (SetOp::Inter, true) => "zinterstore",
            (SetOp::Diff, false) => "zdiff",
            (SetOp::Diff, true) => "zdiffstore",
        };
        return Err(CmdError::owned(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    if setnum as usize > args.len() - (nk_idx + 1) {
        return Err(err::SYNTAX);
    }
    let setnum = setnum as usize;
    let first = nk_idx + 1;
    // Keys are checked before the options are parsed, as in Redis.
    let now = ctx.srv.now_ms;
    let db = ctx.client.db;
    for k in 0..setnum {
        let key = args.get(first + k);
        match ctx.srv.dbs[db].lookup(key, now) {
            None => ctx.srv.stats.keyspace_misses += 1,
            // Plain sets are valid inputs, every member with score 1
            // (Redis's zuiInitIterator).
            Some(Value::ZSet(_)) | Some(Value::Set(_)) => ctx.srv.stats.keyspace_hits += 1,
            Some(_) => return Err(err::WRONGTYPE),
        }
    }
    let mut weights = vec![1.0f64; setnum];
    let mut agg = Agg::Sum;
    let mut withscores = false;
    let mut j = first + setnum;
    while j < args.len() {
        let remaining = args.len() - j;
        let a = args.get(j);
        if op != SetOp::Diff && remaining > setnum && a.eq_ignore_ascii_case(b"weights") {
            j += 1;
            for w in weights.iter_mut() {
                *w = parse_f64(args.get(j))
                    .ok_or(CmdError::new("ERR weight value is not a float"))?;
                j += 1;
            }
            continue;
        } else if op != SetOp::Diff && remaining >= 2 && a.eq_ignore_ascii_case(b"aggregate") {
            let v = args.get(j + 1);
            agg = if v.eq_ignore_ascii_case(b"sum") {
                Agg::Sum
            } else if v.eq_ignore_ascii_case(b"min") {
                Agg::Min
            } else if v.eq_ignore_ascii_case(b"max") {
                Agg::Max
            } else {
                return Err(err::SYNTAX);
            };
            j += 2;
            continue;
        } else if !store && a.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
        } else {
            return Err(err::SYNTAX);
        }
        j += 1;
    }
    // Inputs are copied out: the result may be stored over one of them.
    let mut sets: Vec<Vec<(Vec<u8>, f64)>> = Vec::with_capacity(setnum);
    for k in 0..setnum {
        let key = args.get(first + k);
        let mut v = Vec::new();
        match ctx.srv.dbs[db].lookup(key, now) {
            Some(Value::ZSet(z)) => z.for_each(|m, s| v.push((m.to_vec(), s))),
            Some(Value::Set(s)) => s.for_each(|m| v.push((m.to_vec(), 1.0))),
            _ => {}
        }
        sets.push(v);
    }
    let mut result: Vec<(Vec<u8>, f64)> = Vec::new();
    match op {
        SetOp::Union => {
            let mut acc: std::collections::HashMap<Vec<u8>, f64> = Default::default();
            for (k, set) in sets.into_iter().enumerate() {
                for (m, s) in set {
                    let mut v = weights[k] * s;
                    if v.is_nan() {
                        v = 0.0;
                    }
                    match acc.get_mut(&m) {
                        Some(t) => aggregate(agg, t, v),
                        None => {
                            acc.insert(m, v);
                        }
                    }
                }
            }
            result.extend(acc);
        }
        SetOp::Inter => {
            let mut order: Vec<usize> = (0..setnum).collect();
            order.sort_by_key(|&k| sets[k].len());
            let maps: Vec<std::collections::HashMap<&[u8], f64>> = sets
                .iter()
                .map(|s| s.iter().map(|(m, v)| (m.as_slice(), *v)).collect())
                .collect();
            let base = order[0];
            'outer: for (m, s) in &sets[base] {
                let mut score = weights[base] * s;
                if score.is_nan() {
                    score = 0.0;
                }
                for &k in &order[1..] {
                    match maps[k].get(m.as_slice()) {
                        Some(&o) => {
                            let mut v = weights[k] * o;
                            if v.is_nan() {
                                v = 0.0;
                            }
                            aggregate(agg, &mut score, v);
                        }
                        None => continue 'outer,
                    }
                }
                result.push((m.clone(), score));
            }
        }
        SetOp::Diff => {
            let others: std::collections::HashSet<&[u8]> = sets[1..]
                .iter()
                .flat_map(|s| s.iter().map(|(m, _)| m.as_slice()))
                .collect();
            for (m, s) in &sets[0] {
                if !others.contains(m.as_slice()) {
                    result.push((m.clone(), *s));
                }
            }
        }
    }
    result.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    if store {
        store_result(ctx, args.get(1), &result);
        return Ok(());
    }
    let r = &mut ctx.client.reply;
    let pairs = withscores && r.resp3();
    r.array(if withscores && !pairs {
        2 * result.len()
    } else {
        result.len()
    });
    for (m, s) in &result {
        if pairs {
            r.array(2);
        }
        r.bulk(m);
        if withscores {
            r.double(*s);
        }
    }
    Ok(())
}

fn zunion(ctx: &mut Ctx) -> CmdResult {
    setop_generic(ctx, SetOp::Union, false)
}
fn zinter(ctx: &mut Ctx) -> CmdResult {
    setop_generic(ctx, SetOp::Inter, false)
}
fn zdiff(ctx: &mut Ctx) -> CmdResult {
    setop_generic(ctx, SetOp::Diff, false)
}
fn zunionstore(ctx: &mut Ctx) -> CmdResult {
    setop_generic(ctx, SetOp::Union, true)
}
fn zinterstore(ctx: &mut Ctx) -> CmdResult {
    setop_generic(ctx, SetOp::Inter, true)
}
fn zdiffstore(ctx: &mut Ctx) -> CmdResult {
    setop_generic(ctx, SetOp::Diff, true)
}

/// Stores a computed result at `dst` (deleting it when empty) in the
/// encoding its size calls for, and replies with its length.
fn store_result(ctx: &mut Ctx, dst: &[u8], result: &[(Vec<u8>, f64)]) {
    let now = ctx.srv.now_ms;
    let db = ctx.client.db;
    // As Redis: the reply goes out before the events (but after `new`,
    // which `setKey` publishes), for a RESP3 client hearing its own events.
    if result.is_empty() {
        let removed = ctx.srv.dbs[db].remove(dst, now).is_some();
        ctx.client.reply.int(0);
        if removed {
            ctx.changed(ntf::GENERIC, b"del", dst);
        }
        return;
    }
    let lim = limits(ctx);
    let maxlen = result.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
    let mut z = ZSetVal::with_capacity(result.len(), maxlen, lim);
    for (m, s) in result {
        z.insert(m, *s, lim);
    }
    ctx.srv.dbs[db].insert(dst, Value::ZSet(z), false);
    if ctx.srv.config.notify_keyspace_events != 0 {
        super::multi::drain_expired(ctx.srv, Some(ctx.client));
    }
    ctx.client.reply.int(result.len() as i64);
    ctx.changed(ntf::ZSET, store_event(ctx.args.get(0)), dst);
}

/// The keyspace event of a storing command: its own name, lowercase.
fn store_event(name: &[u8]) -> &'static [u8] {
    const EVENTS: [&[u8]; 4] = [
        b"zunionstore",
        b"zinterstore",
        b"zdiffstore",
        b"zrangestore",
    ];
    EVENTS
        .into_iter()
        .find(|e| name.eq_ignore_ascii_case(e))
        .unwrap_or(b"zrangestore")
}

/// `drop_if_empty`, telling whether it deleted the key.
fn removed_key(ctx: &mut Ctx, key: &[u8]) -> bool {
    let now = ctx.srv.now_ms;
    let had = ctx.srv.dbs[ctx.client.db].contains(key, now);
    drop_if_empty(ctx, key);
    had && !ctx.srv.dbs[ctx.client.db].contains(key, now)
}

/// The pop with keyspace notifications on: Redis's `genericZpopCommand`
/// publishes its event right after the reply's array header, so a RESP3
/// client subscribed to its own events gets the push there, before the
/// popped elements (collected first, as the event needs the server).
fn pop_announced(
    ctx: &mut Ctx,
    key: &[u8],
    max: bool,
    (a, b): (usize, usize),
    pairs: bool,
) -> CmdResult {
    let now = ctx.srv.now_ms;
    let mut items = Vec::with_capacity(b - a + 1);
    // The caller's lookup already counted this access (LRU/LFU).
    let touch = crate::db::evict::no_touch();
    crate::db::evict::set_no_touch(true);
    if let Some(Value::ZSet(z)) = ctx.srv.dbs[ctx.client.db].lookup_mut(key, now) {
        z.walk(a, b, max, |m, s| items.push((m.to_vec(), s)));
        z.delete_ranks(a, b);
    }
    crate::db::evict::set_no_touch(touch);
    ctx.changed(ntf::ZSET, if max { b"zpopmax" } else { b"zpopmin" }, key);
    let r = &mut ctx.client.reply;
    for (m, s) in &items {
        if pairs {
            r.array(2);
        }
        r.bulk(m);
        r.double(*s);
    }
    if removed_key(ctx, key) {
        ctx.notify(ntf::GENERIC, b"del", key, ctx.client.db);
    }
    Ok(())
}

/// After ZPOPMIN/ZPOPMAX/ZMPOP popped from `key`: its events, as Redis's
/// `genericZpopCommand`, and the key's removal once empty.
fn popped(ctx: &mut Ctx, key: &[u8], max: bool) {
    let emptied = removed_key(ctx, key);
    ctx.changed(ntf::ZSET, if max { b"zpopmax" } else { b"zpopmin" }, key);
    if emptied {
        ctx.notify(ntf::GENERIC, b"del", key, ctx.client.db);
    }
}

// ---------------------------------------------------------------------------
// ZMPOP, ZINTERCARD, ZRANDMEMBER, ZSCAN

fn zmpop(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    const NUMKEYS: CmdError = CmdError::new("ERR numkeys should be greater than 0");
    let n = parse_i64(args.get(1)).ok_or(NUMKEYS)?;
    if n < 1 {
        return Err(NUMKEYS);
    }
    let n = n as usize;
    if n + 2 >= args.len() {
        return Err(err::SYNTAX);
    }
    let w = args.get(2 + n);
    let max = if w.eq_ignore_ascii_case(b"min") {
        false
    } else if w.eq_ignore_ascii_case(b"max") {
        true
    } else {
        return Err(err::SYNTAX);
    };
    let mut count = 1usize;
    let mut j = 3 + n;
    let mut seen = false;
    while j < args.len() {
        if !seen && args.get(j).eq_ignore_ascii_case(b"count") && j + 1 < args.len() {
            const CNT: CmdError = CmdError::new("ERR count should be greater than 0");
            let c = parse_i64(args.get(j + 1)).ok_or(CNT)?;
            if c < 1 {
                return Err(CNT);
            }
            count = c as usize;
            seen = true;
            j += 2;
        } else {
            return Err(err::SYNTAX);
        }
    }
    let now = ctx.srv.now_ms;
    let db = ctx.client.db;
    for k in 0..n {
        let key = args.get(2 + k);
        let r = &mut ctx.client.reply;
        let z = match ctx.srv.dbs[db].lookup_mut(key, now) {
            None => continue,
            Some(Value::ZSet(z)) => z,
            Some(_) => return Err(err::WRONGTYPE),
        };
        let c = count.min(z.len());
        let (a, b) = if max {
            (z.len() - c, z.len() - 1)
        } else {
            (0, c - 1)
        };
        r.array(2);
        r.bulk(key);
        r.array(c);
        if ctx.srv.config.notify_keyspace_events != 0 {
            return pop_announced(ctx, key, max, (a, b), true);
        }
        z.walk(a, b, max, |m, s| {
            r.array(2);
            r.bulk(m);
            r.double(s);
        });
        z.delete_ranks(a, b);
        popped(ctx, key, max);
        return Ok(());
    }
    ctx.client.reply.null_array();
    Ok(())
}

/// A ZINTERCARD input: a sorted set, or a plain set (members only).
enum CardInput {
    Z(ZSetVal),
    S(crate::types::set_value::SetVal),
}

impl CardInput {
    fn len(&self) -> usize {
        match self {
            CardInput::Z(z) => z.len(),
            CardInput::S(s) => s.len(),
        }
    }

    fn contains(&self, m: &[u8]) -> bool {
        match self {
            CardInput::Z(z) => z.score(m).is_some(),
            CardInput::S(s) => s.contains(m),
        }
    }

    fn for_each_member(&self, mut f: impl FnMut(&[u8])) {
        match self {
            CardInput::Z(z) => z.for_each(|m, _| f(m)),
            CardInput::S(s) => s.for_each(|m| match m {
                crate::types::set_value::Member::Int(n) => {
                    let mut buf = [0u8; 24];
                    f(crate::util::numbers::fmt_i64(n, &mut buf))
                }
                crate::types::set_value::Member::Bytes(b) => f(b),
            }),
        }
    }
}

fn zintercard(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let n = parse_i64(args.get(1)).ok_or(err::NOT_INT)?;
    if n < 1 {
        return Err(CmdError::new(
            "ERR at least 1 input key is needed for 'zintercard' command",
        ));
    }
    let n = n as usize;
    if n > args.len() - 2 {
        return Err(err::SYNTAX);
    }
    let mut limit = 0usize;
    let mut j = 2 + n;
    while j < args.len() {
        if args.get(j).eq_ignore_ascii_case(b"limit") && j + 1 < args.len() {
            const NEG: CmdError = CmdError::new("ERR LIMIT can't be negative");
            let l = parse_i64(args.get(j + 1)).ok_or(NEG)?;
            if l < 0 {
                return Err(NEG);
            }
            limit = l as usize;
            j += 2;
        } else {
            return Err(err::SYNTAX);
        }
    }
    let now = ctx.srv.now_ms;
    let db = ctx.client.db;
    let mut sets: Vec<&CardInput> = Vec::with_capacity(n);
    let mut empty = false;
    for k in 0..n {
        match ctx.srv.dbs[db].peek(args.get(2 + k), now) {
            None => {
                empty = true;
                ctx.srv.stats.keyspace_misses += 1;
            }
            Some(Value::ZSet(_)) | Some(Value::Set(_)) => ctx.srv.stats.keyspace_hits += 1,
            Some(_) => return Err(err::WRONGTYPE),
        }
    }
    if empty {
        ctx.client.reply.int(0);
        return Ok(());
    }
    let dbr = &mut ctx.srv.dbs[db];
    let mut copies: Vec<CardInput> = Vec::with_capacity(n);
    for k in 0..n {
        match dbr.lookup(args.get(2 + k), now) {
            Some(Value::ZSet(z)) => copies.push(CardInput::Z(z.clone())),
            Some(Value::Set(s)) => copies.push(CardInput::S(s.clone())),
            _ => {}
        }
    }
    for c in &copies {
        sets.push(c);
    }
    sets.sort_by_key(|z| z.len());
    let mut card = 0usize;
    let mut done = false;
    sets[0].for_each_member(|m| {
        if done {
            return;
        }
        if sets[1..].iter().all(|o| o.contains(m)) {
            card += 1;
            if limit > 0 && card >= limit {
                done = true;
            }
        }
    });
    ctx.client.reply.int(card as i64);
    Ok(())
}

fn zrandmember(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    if args.len() > 4 {
        return Err(err::SYNTAX);
    }
    let key = args.get(1);
    if args.len() == 2 {
        match read_split(ctx, key)? {
            (None, r) => r.null(),
            (Some(z), r) => {
                let i = crate::types::rand_below(z.len() as u64) as usize;
                z.walk(i, i, false, |m, _| r.bulk(m));
            }
        }
        return Ok(());
    }
    let count = parse_i64(args.get(2)).ok_or(err::NOT_INT)?;
    let withscores = if args.len() == 4 {
        if !args.get(3).eq_ignore_ascii_case(b"withscores") {
            return Err(err::SYNTAX);
        }
        true
    } else {
        false
    };
    if count == i64::MIN {
        return Err(err::COUNT_RANGE);
    }
    if withscores && count < -(i64::MAX / 2) {
        return Err(CmdError::new("ERR value is out of range"));
    }
    let resp3 = ctx.client.reply.resp3();
    let hard = ctx.obuf_hard_limit();
    let (z, r) = match read_split(ctx, key)? {
        (None, r) => {
            r.empty_array();
            return Ok(());
        }
        (Some(z), r) => (z, r),
    };
    let len = z.len();
    let pairs = withscores && resp3;
    let emit = |r: &mut crate::protocol::reply::Reply, i: usize| {
        z.walk(i, i, false, |m, s| {
            if pairs {
                r.array(2);
            }
            r.bulk(m);
            if withscores {
                r.double(s);
            }
        });
    };
    if count < 0 {
        // Repeats allowed: each pick is written as it is drawn, so the
        // count (up to LONG_MAX, as in Redis) never sizes an allocation.
        let n = count.unsigned_abs() as usize;
        r.array(if withscores && !pairs { 2 * n } else { n });
        for k in 0..n {
            // Cut short at the output hard limit, as Redis (the client is
            // closed and gets none of it).
            if k % 1024 == 0 && hard > 0 && r.pending() as u64 >= hard {
                break;
            }
            emit(r, crate::types::rand_below(len as u64) as usize);
        }
        return Ok(());
    }
    let picks: Vec<usize> = if count == 0 {
        Vec::new()
    } else if count as usize >= len {
        // The whole set; Redis 7.0 walks a listpack-encoded one from its
        // tail here, and the order is unspecified for the skiplist form.
        (0..len).rev().collect()
    } else {
        // Distinct members: a partial Fisher-Yates over the ranks.
        let mut idx: Vec<usize> = (0..len).collect();
        for i in 0..count as usize {
            let j = i + crate::types::rand_below((len - i) as u64) as usize;
            idx.swap(i, j);
        }
        idx.truncate(count as usize);
        idx
    };
    r.array(if pairs || !withscores {
        picks.len()
    } else {
        2 * picks.len()
    });
    for i in picks {
        emit(r, i);
    }
    Ok(())
}

/// ZSCAN: the whole set in one reply with cursor 0 (a valid SCAN answer:
/// Redis does the same for listpack-encoded sets).
fn zscan(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let cur = args.get(2);
    let cursor = super::keys::parse_cursor(cur).ok_or(super::keys::INVALID_CURSOR)?;
    let mut pattern: Option<&[u8]> = None;
    let mut count = 10usize;
    let mut j = 3;
    while j < args.len() {
        let a = args.get(j);
        if j + 1 >= args.len() {
            return Err(err::SYNTAX);
        }
        if a.eq_ignore_ascii_case(b"count") {
            let c = parse_i64(args.get(j + 1)).ok_or(err::NOT_INT)?;
            if c < 1 {
                return Err(err::SYNTAX);
            }
            count = c as usize;
        } else if a.eq_ignore_ascii_case(b"match") {
            pattern = Some(args.get(j + 1));
        } else {
            return Err(err::SYNTAX);
        }
        j += 2;
    }
    let key = args.get(1);
    let z = read(ctx, key)?;
    let mut out: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut next = 0;
    if let Some(z) = z {
        next = z.scan(cursor, count, |m, s| {
            if pattern.is_none_or(|p| crate::util::glob::matches(p, m, false)) {
                out.push((m.to_vec(), s));
            }
        });
    }
    let r = &mut ctx.client.reply;
    r.array(2);
    r.bulk_i64(next as i64);
    r.array(out.len() * 2);
    let mut buf = [0u8; 40];
    for (m, s) in &out {
        r.bulk(m);
        r.bulk(crate::util::numbers::fmt_double(*s, &mut buf));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// BZPOPMIN, BZPOPMAX, BZMPOP (`blockingGenericZpopCommand`): serve at once
// from the first non-empty key, else park (server/blocking.rs) with
// `bzpop_serve`, which pops from the key that became ready.

/// Pops from the zset at `key` and answers with the key: `[key, member,
/// score]` for BZPOPMIN/BZPOPMAX (`count` None), `[key, [[member,
/// score]...]]` for BZMPOP. Events `zpopmin`/`zpopmax`, then `del`.
fn bzpop_reply(ctx: &mut Ctx, key: &[u8], max: bool, count: Option<usize>) {
    let now = ctx.srv.now_ms;
    let db = ctx.client.db;
    let r = &mut ctx.client.reply;
    let Some(Value::ZSet(z)) = ctx.srv.dbs[db].lookup_mut(key, now) else {
        return;
    };
    let c = count.unwrap_or(1).min(z.len());
    if c == 0 {
        return;
    }
    let (a, b) = if max {
        (z.len() - c, z.len() - 1)
    } else {
        (0, c - 1)
    };
    r.array(if count.is_some() { 2 } else { 3 });
    r.bulk(key);
    if count.is_some() {
        r.array(c);
    }
    if ctx.srv.config.notify_keyspace_events != 0 {
        let _ = pop_announced(ctx, key, max, (a, b), count.is_some());
        return;
    }
    z.walk(a, b, max, |m, s| {
        if count.is_some() {
            r.array(2);
        }
        r.bulk(m);
        r.double(s);
    });
    z.delete_ranks(a, b);
    popped(ctx, key, max);
}

/// Serves from the first non-empty key of `first..end` or parks.
fn bzpop_generic(
    ctx: &mut Ctx,
    first: usize,
    end: usize,
    max: bool,
    count: Option<usize>,
    deadline: i64,
) -> CmdResult {
    for k in first..end {
        let key = ctx.args.get(k);
        if write(ctx, key)?.is_some() {
            bzpop_reply(ctx, key, max, count);
            return Ok(());
        }
    }
    if crate::server::blocking::denied(ctx) {
        ctx.client.reply.null_array();
        return Ok(());
    }
    let keys = (first..end).map(|k| ctx.args.get(k).to_vec()).collect();
    crate::server::blocking::park(
        ctx,
        keys,
        deadline,
        crate::server::blocking::BType::ZSet,
        bzpop_serve,
    );
    Ok(())
}

/// BZMPOP's `numkeys key... MIN|MAX [COUNT n]` from argument 2: (end of
/// keys, max, count).
fn bzmpop_parse(args: super::Args) -> Result<(usize, bool, usize), CmdError> {
    const NUMKEYS: CmdError = CmdError::new("ERR numkeys should be greater than 0");
    const CNT: CmdError = CmdError::new("ERR count should be greater than 0");
    let n = parse_i64(args.get(2)).filter(|&n| n >= 1).ok_or(NUMKEYS)? as u64;
    let w = 3u64.saturating_add(n);
    if w >= args.len() as u64 {
        return Err(err::SYNTAX);
    }
    let w = w as usize;
    let max = match args.get(w) {
        x if x.eq_ignore_ascii_case(b"min") => false,
        x if x.eq_ignore_ascii_case(b"max") => true,
        _ => return Err(err::SYNTAX),
    };
    let mut count = None;
    let mut j = w + 1;
    while j < args.len() {
        if count.is_none() && args.get(j).eq_ignore_ascii_case(b"count") && j + 1 < args.len() {
            count = Some(parse_i64(args.get(j + 1)).filter(|&c| c >= 1).ok_or(CNT)? as usize);
            j += 2;
        } else {
            return Err(err::SYNTAX);
        }
    }
    Ok((w, max, count.unwrap_or(1)))
}

fn bzpopmin(ctx: &mut Ctx) -> CmdResult {
    let last = ctx.args.len() - 1;
    let deadline = crate::server::blocking::parse_timeout(ctx.args.get(last), ctx.srv.now_ms)?;
    bzpop_generic(ctx, 1, last, false, None, deadline)
}

fn bzpopmax(ctx: &mut Ctx) -> CmdResult {
    let last = ctx.args.len() - 1;
    let deadline = crate::server::blocking::parse_timeout(ctx.args.get(last), ctx.srv.now_ms)?;
    bzpop_generic(ctx, 1, last, true, None, deadline)
}

fn bzmpop(ctx: &mut Ctx) -> CmdResult {
    let (end, max, count) = bzmpop_parse(ctx.args)?;
    let deadline = crate::server::blocking::parse_timeout(ctx.args.get(1), ctx.srv.now_ms)?;
    bzpop_generic(ctx, 3, end, max, Some(count), deadline)
}

/// Serve function of the blocking zset pops: `ctx.args` are the parked
/// command's arguments, `key` the sorted set that became ready.
fn bzpop_serve(ctx: &mut Ctx, key: &[u8]) -> bool {
    let name = ctx.args.get(0);
    if name.eq_ignore_ascii_case(b"bzmpop") {
        let (max, count) = bzmpop_parse(ctx.args).map_or((false, 1), |(_, m, c)| (m, c));
        bzpop_reply(ctx, key, max, Some(count));
    } else {
        bzpop_reply(ctx, key, name.eq_ignore_ascii_case(b"bzpopmax"), None);
    }
    true
}
