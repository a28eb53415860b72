//! String commands (Redis's `t_string.c`).
//!
//! A Redis string is a byte array of at most `proto-max-bulk-len` bytes
//! that is also, when its text is a canonical 64-bit integer, a number:
//! INCR and friends parse it with Redis's strict `string2ll` rules and
//! store the result back as an `int`-encoded value. The encoding a value
//! gets follows Redis's `tryObjectEncoding` for anything a client SETs
//! (`int` if the text is an integer of at most 20 characters, `embstr` up
//! to 44 bytes, `raw` beyond), while values modified in place (APPEND,
//! SETRANGE) become `raw`, and INCRBYFLOAT's result is a plain string
//! (`embstr`/`raw`, never `int`), because that is what `OBJECT ENCODING`
//! shows on Redis and clients that inspect it must see the same.
//!
//! The SET family shares one option parser, as Redis's
//! `parseExtendedStringArgumentsOrReply` does for SET and GETEX: options may
//! repeat, but conflicting ones (NX with XX, two different expiry units,
//! KEEPTTL or PERSIST with an expiry) are a syntax error. Relative expiry
//! times become absolute unix milliseconds before they reach the keyspace,
//! and overflow anywhere on the way is Redis's "invalid expire time" error.
//!
//! INCRBYFLOAT is the one place where Redis computes in C's `long double`
//! (x87 80-bit extended precision on x86-64) and prints with `%.17Lf`. A
//! 64-bit `f64` would print `10.6` as `10.59999999999999964`, so the
//! `ext` module below emulates the 64-bit-mantissa arithmetic in software:
//! correctly rounded parsing, round-to-nearest-even addition and exact
//! decimal printing. Where it can still differ from glibc: hexadecimal
//! float input (`0x1p3`, which strtold accepts and we reject) and results
//! in the subnormal range below about 1e-4931 (glibc keeps fewer mantissa
//! bits there; we keep 64).

use super::table::{flags::*, CommandDef};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::object::{StrVal, Value, EMBSTR_MAX};
use crate::protocol::reply::Reply;
use crate::server::notify as ntf;
use crate::util::numbers::parse_i64;

const fn s(name: &'static str, arity: i32, fl: u64, h: super::table::Handler) -> CommandDef {
    CommandDef::new(name, arity, fl, h)
        .keys(1, 1, 1)
        .group("string")
}

pub static COMMANDS: &[CommandDef] = &[
    s("get", 2, READONLY | FAST, get)
        .acl("read string fast")
        .summary("Get the value of a key"),
    s("set", -3, WRITE | DENYOOM, set)
        .acl("write string slow")
        .summary("Set the string value of a key"),
    s("setnx", 3, WRITE | DENYOOM | FAST, setnx)
        .acl("write string fast")
        .summary("Set the value of a key, only if the key does not exist"),
    s("setex", 4, WRITE | DENYOOM, setex)
        .acl("write string slow")
        .since("2.0.0")
        .summary("Set the value and expiration of a key"),
    s("psetex", 4, WRITE | DENYOOM, psetex)
        .acl("write string slow")
        .since("2.6.0")
        .summary("Set the value and expiration in milliseconds of a key"),
    s("append", 3, WRITE | DENYOOM | FAST, append)
        .acl("write string fast")
        .since("2.0.0")
        .summary("Append a value to a key"),
    s("strlen", 2, READONLY | FAST, strlen)
        .acl("read string fast")
        .since("2.2.0")
        .summary("Get the length of the value stored in a key"),
    s("getdel", 2, WRITE | FAST, getdel)
        .acl("write string fast")
        .since("6.2.0")
        .summary("Get the value of a key and delete the key"),
    s("getex", -2, WRITE | FAST, getex)
        .acl("write string fast")
        .since("6.2.0")
        .summary("Get the value of a key and optionally set its expiration"),
    s("setrange", 4, WRITE | DENYOOM, setrange)
        .acl("write string slow")
        .since("2.2.0")
        .summary("Overwrite part of a string at key starting at the specified offset"),
    s("getrange", 4, READONLY, getrange)
        .acl("read string slow")
        .since("2.4.0")
        .summary("Get a substring of the string stored at a key"),
    s("substr", 4, READONLY, getrange)
        .acl("read string slow")
        .summary("Get a substring of the string stored at a key"),
    s("incr", 2, WRITE | DENYOOM | FAST, incr)
        .acl("write string fast")
        .summary("Increment the integer value of a key by one"),
    s("decr", 2, WRITE | DENYOOM | FAST, decr)
        .acl("write string fast")
        .summary("Decrement the integer value of a key by one"),
    s("mget", -2, READONLY | FAST, mget)
        .keys(1, -1, 1)
        .acl("read string fast")
        .summary("Get the values of all the given keys"),
    s("mset", -3, WRITE | DENYOOM, mset)
        .keys(1, -1, 2)
        .acl("write string slow")
        .since("1.0.1")
        .summary("Set multiple keys to multiple values"),
    s("msetnx", -3, WRITE | DENYOOM, msetnx)
        .keys(1, -1, 2)
        .acl("write string slow")
        .since("1.0.1")
        .summary("Set multiple keys to multiple values, only if none of the keys exist"),
    s("incrby", 3, WRITE | DENYOOM | FAST, incrby)
        .acl("write string fast")
        .summary("Increment the integer value of a key by the given amount"),
    s("decrby", 3, WRITE | DENYOOM | FAST, decrby)
        .acl("write string fast")
        .summary("Decrement the integer value of a key by the given number"),
    s("incrbyfloat", 3, WRITE | DENYOOM | FAST, incrbyfloat)
        .acl("write string fast")
        .since("2.6.0")
        .summary("Increment the float value of a key by the given amount"),
    s("getset", 3, WRITE | DENYOOM | FAST, getset)
        .acl("write string fast")
        .summary("Set the string value of a key and return its old value"),
    s("lcs", -3, READONLY, lcs)
        .keys(1, 2, 1)
        .acl("read string slow")
        .since("7.0.0")
        .summary("Find longest common substring"),
];

/// Redis's reply when a string would outgrow `proto-max-bulk-len`.
pub const TOO_BIG: CmdError =
    CmdError::new("ERR string exceeds maximum allowed size (proto-max-bulk-len)");

/// Checks that a string of `offset + append` bytes is allowed (Redis's
/// `checkStringLength`, overflow included).
pub fn check_len(ctx: &Ctx, offset: u64, append: u64) -> CmdResult {
    match offset.checked_add(append) {
        Some(t) if t <= ctx.srv.config.proto_max_bulk_len.max(0) as u64 => Ok(()),
        _ => Err(TOO_BIG),
    }
}

/// A string object that is not tried as an integer (Redis's
/// `createStringObject`): embstr when short, raw otherwise. INCRBYFLOAT's
/// result is one of these, so `OBJECT ENCODING` never says `int` for it.
fn plain_string(b: &[u8]) -> StrVal {
    if b.len() <= EMBSTR_MAX {
        StrVal::Emb(b.into())
    } else {
        StrVal::Raw(b.to_vec())
    }
}

/// Writes a string value as a bulk reply.
#[inline]
pub fn reply_str(reply: &mut Reply, v: &StrVal) {
    match v.as_int_encoded() {
        Some(n) => reply.bulk_i64(n),
        None => {
            let mut tmp = [0u8; 24];
            reply.bulk(v.bytes(&mut tmp));
        }
    }
}

trait IntEncoded {
    fn as_int_encoded(&self) -> Option<i64>;
}

impl IntEncoded for StrVal {
    /// The integer when the value is `int`-encoded, without parsing text.
    #[inline]
    fn as_int_encoded(&self) -> Option<i64> {
        if self.encoding() == "int" {
            self.as_int()
        } else {
            None
        }
    }
}

/// Redis's `getGenericCommand`: replies with the value or null, counting a
/// keyspace hit or miss. `Ok(true)` if the key existed.
fn get_generic(ctx: &mut Ctx, key: &[u8]) -> Result<bool, CmdError> {
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    match srv.dbs[ctx.client.db].lookup(key, now) {
        None => {
            srv.stats.keyspace_misses += 1;
            ctx.client.reply.null();
            Ok(false)
        }
        Some(v) => {
            srv.stats.keyspace_hits += 1;
            match v {
                Value::Str(s) => {
                    reply_str(&mut ctx.client.reply, s);
                    Ok(true)
                }
                #[allow(unreachable_patterns)]
                _ => Err(err::WRONGTYPE),
            }
        }
    }
}

fn get(ctx: &mut Ctx) -> CmdResult {
    get_generic(ctx, ctx.args.get(1)).map(|_| ())
}

// ---------------------------------------------------------------------------
// SET and its options

const OPT_NX: u32 = 1 << 0;
const OPT_XX: u32 = 1 << 1;
const OPT_EX: u32 = 1 << 2;
const OPT_PX: u32 = 1 << 3;
const OPT_KEEPTTL: u32 = 1 << 4;
const OPT_GET: u32 = 1 << 5;
const OPT_EXAT: u32 = 1 << 6;
const OPT_PXAT: u32 = 1 << 7;
const OPT_PERSIST: u32 = 1 << 8;
const ANY_EXPIRE: u32 = OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT;

#[derive(PartialEq, Clone, Copy)]
enum OptsFor {
    Set,
    Get,
}

/// Parses SET's or GETEX's options the way Redis does: returns the flags
/// and the argument index of the expiry value, if any.
fn parse_ext_opts(ctx: &Ctx, which: OptsFor) -> Result<(u32, Option<usize>), CmdError> {
    let args = ctx.args;
    let mut fl = 0u32;
    let mut expire = None;
    let mut j = if which == OptsFor::Get { 2 } else { 3 };
    let is_set = which == OptsFor::Set;
    while j < args.len() {
        let opt = args.get(j);
        let has_next = j + 1 < args.len();
        let eq = |s: &str| opt.eq_ignore_ascii_case(s.as_bytes());
        // Each unit excludes the others and KEEPTTL/PERSIST, not itself:
        // `EX 1 EX 2` is accepted and the last one wins, as in Redis.
        let unit = |me: u32| fl & (OPT_KEEPTTL | OPT_PERSIST | (ANY_EXPIRE & !me)) == 0;
        if eq("nx") && fl & OPT_XX == 0 && is_set {
            fl |= OPT_NX;
        } else if eq("xx") && fl & OPT_NX == 0 && is_set {
            fl |= OPT_XX;
        } else if eq("get") && is_set {
            fl |= OPT_GET;
        } else if eq("keepttl") && fl & (OPT_PERSIST | ANY_EXPIRE) == 0 && is_set {
            fl |= OPT_KEEPTTL;
        } else if eq("persist") && !is_set && fl & (ANY_EXPIRE | OPT_KEEPTTL) == 0 {
            fl |= OPT_PERSIST;
        } else if has_next && eq("ex") && unit(OPT_EX) {
            fl |= OPT_EX;
            expire = Some(j + 1);
            j += 1;
        } else if has_next && eq("px") && unit(OPT_PX) {
            fl |= OPT_PX;
            expire = Some(j + 1);
            j += 1;
        } else if has_next && eq("exat") && unit(OPT_EXAT) {
            fl |= OPT_EXAT;
            expire = Some(j + 1);
            j += 1;
        } else if has_next && eq("pxat") && unit(OPT_PXAT) {
            fl |= OPT_PXAT;
            expire = Some(j + 1);
            j += 1;
        } else {
            return Err(err::SYNTAX);
        }
        j += 1;
    }
    Ok((fl, expire))
}

/// `ERR invalid expire time in '<cmd>' command`.
fn invalid_expire(cmd: &str) -> CmdError {
    match cmd {
        "set" => err::INVALID_EXPIRE,
        _ => CmdError::owned(format!("ERR invalid expire time in '{cmd}' command")),
    }
}

/// Turns an expiry argument into an absolute deadline in unix ms (Redis's
/// `getExpireMillisecondsOrReply`): not positive, or overflowing on the way
/// to milliseconds or when `now` is added, is an error.
fn expire_deadline(ctx: &Ctx, arg: &[u8], fl: u32, cmd: &str) -> Result<i64, CmdError> {
    let v = parse_i64(arg).ok_or(err::NOT_INT)?;
    let seconds = fl & (OPT_EX | OPT_EXAT) != 0;
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(invalid_expire(cmd));
    }
    let mut ms = if seconds { v * 1000 } else { v };
    if fl & (OPT_EX | OPT_PX) != 0 {
        // Redis adds with wrapping C arithmetic, then rejects a result that
        // is not positive.
        ms = ms.wrapping_add(ctx.srv.now_ms);
    }
    if ms <= 0 {
        return Err(invalid_expire(cmd));
    }
    Ok(ms)
}

/// Redis's `setGenericCommand`. `ok`/`abort` are the replies for the set
/// and not-set cases (SETNX answers 1/0, SET answers OK/null).
fn set_generic(
    ctx: &mut Ctx,
    fl: u32,
    val: &[u8],
    expire: Option<&[u8]>,
    cmd: &str,
    ok: Option<i64>,
    abort: Option<i64>,
) -> CmdResult {
    let key = ctx.args.get(1);
    let deadline = match expire {
        Some(e) => Some(expire_deadline(ctx, e, fl, cmd)?),
        None => None,
    };
    if fl & OPT_GET != 0 {
        get_generic(ctx, key)?;
    }
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    let found = db.contains(key, now);
    if (fl & OPT_NX != 0 && found) || (fl & OPT_XX != 0 && !found) {
        if fl & OPT_GET == 0 {
            match abort {
                Some(n) => ctx.client.reply.int(n),
                None => ctx.client.reply.null(),
            }
        }
        return Ok(());
    }
    db.insert(
        key,
        Value::Str(StrVal::from_bytes(val)),
        fl & OPT_KEEPTTL != 0,
    );
    if let Some(at) = deadline {
        db.set_expire(key, at);
    }
    ctx.changed(ntf::STRING, b"set", key);
    if deadline.is_some() {
        let db = ctx.client.db;
        ctx.notify(ntf::GENERIC, b"expire", key, db);
    }
    if fl & OPT_GET == 0 {
        match ok {
            Some(n) => ctx.client.reply.int(n),
            None => ctx.client.reply.ok(),
        }
    }
    Ok(())
}

fn set(ctx: &mut Ctx) -> CmdResult {
    let (fl, exp) = parse_ext_opts(ctx, OptsFor::Set)?;
    let exp = exp.map(|i| ctx.args.get(i));
    set_generic(ctx, fl, ctx.args.get(2), exp, "set", None, None)
}

fn setnx(ctx: &mut Ctx) -> CmdResult {
    set_generic(
        ctx,
        OPT_NX,
        ctx.args.get(2),
        None,
        "setnx",
        Some(1),
        Some(0),
    )
}

fn setex(ctx: &mut Ctx) -> CmdResult {
    let e = ctx.args.get(2);
    set_generic(ctx, OPT_EX, ctx.args.get(3), Some(e), "setex", None, None)
}

fn psetex(ctx: &mut Ctx) -> CmdResult {
    let e = ctx.args.get(2);
    set_generic(ctx, OPT_PX, ctx.args.get(3), Some(e), "psetex", None, None)
}

fn getset(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    get_generic(ctx, key)?;
    let v = StrVal::from_bytes(ctx.args.get(2));
    ctx.db().insert(key, Value::Str(v), false);
    ctx.changed(ntf::STRING, b"set", key);
    Ok(())
}

fn getdel(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    if get_generic(ctx, key)? {
        let now = ctx.srv.now_ms;
        if ctx.db().remove(key, now).is_some() {
            ctx.changed(ntf::GENERIC, b"del", key);
        }
    }
    Ok(())
}

fn getex(ctx: &mut Ctx) -> CmdResult {
    let (fl, exp) = parse_ext_opts(ctx, OptsFor::Get)?;
    let key = ctx.args.get(1);
    let now = ctx.srv.now_ms;
    // Like Redis: the key is looked up before the expiry is validated, so
    // a missing key answers null even when the time is invalid.
    let srv = &mut *ctx.srv;
    match srv.dbs[ctx.client.db].lookup(key, now) {
        None => {
            srv.stats.keyspace_misses += 1;
            ctx.client.reply.null();
            return Ok(());
        }
        Some(v) => {
            srv.stats.keyspace_hits += 1;
            match v {
                Value::Str(_) => {}
                #[allow(unreachable_patterns)]
                _ => return Err(err::WRONGTYPE),
            }
        }
    }
    let deadline = match exp {
        Some(i) => Some(expire_deadline(ctx, ctx.args.get(i), fl, "getex")?),
        None => None,
    };
    let db = &mut ctx.srv.dbs[ctx.client.db];
    if let Some(Value::Str(s)) = db.lookup(key, now) {
        reply_str(&mut ctx.client.reply, s);
    }
    match deadline {
        Some(at) if fl & (OPT_EXAT | OPT_PXAT) != 0 && at <= now => {
            db.remove(key, now);
            ctx.changed(ntf::GENERIC, b"del", key);
        }
        Some(at) => {
            db.set_expire(key, at);
            ctx.changed(ntf::GENERIC, b"expire", key);
        }
        None if fl & OPT_PERSIST != 0 && db.persist(key) => {
            ctx.changed(ntf::GENERIC, b"persist", key);
        }
        None => {}
    }
    Ok(())
}

fn mget(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.args.len() - 1;
    ctx.client.reply.array(n);
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let db = &mut srv.dbs[ctx.client.db];
    for key in ctx.args.iter().skip(1) {
        match db.lookup(key, now) {
            None => {
                srv.stats.keyspace_misses += 1;
                ctx.client.reply.null();
            }
            Some(v) => {
                srv.stats.keyspace_hits += 1;
                match v {
                    Value::Str(s) => reply_str(&mut ctx.client.reply, s),
                    #[allow(unreachable_patterns)]
                    _ => ctx.client.reply.null(),
                }
            }
        }
    }
    Ok(())
}

fn mset_generic(ctx: &mut Ctx, nx: bool) -> CmdResult {
    let args = ctx.args;
    if args.len().is_multiple_of(2) {
        return Err(err::wrong_arity(if nx { "msetnx" } else { "mset" }));
    }
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    if nx {
        for j in (1..args.len()).step_by(2) {
            if db.contains(args.get(j), now) {
                ctx.client.reply.int(0);
                return Ok(());
            }
        }
    }
    for j in (1..args.len()).step_by(2) {
        let v = StrVal::from_bytes(args.get(j + 1));
        ctx.db().insert(args.get(j), Value::Str(v), false);
        ctx.changed(ntf::STRING, b"set", args.get(j));
    }
    if nx {
        ctx.client.reply.int(1);
    } else {
        ctx.client.reply.ok();
    }
    Ok(())
}

fn mset(ctx: &mut Ctx) -> CmdResult {
    mset_generic(ctx, false)
}

fn msetnx(ctx: &mut Ctx) -> CmdResult {
    mset_generic(ctx, true)
}

/// Looks a key up for writing and hands its string value (or None) to `f`.
/// A value of another type is WRONGTYPE.
fn with_str_for_write<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(Option<&StrVal>) -> R,
) -> Result<R, CmdError> {
    let now = ctx.srv.now_ms;
    match ctx.db().lookup(key, now) {
        None => Ok(f(None)),
        Some(Value::Str(s)) => Ok(f(Some(s))),
        #[allow(unreachable_patterns)]
        Some(_) => Err(err::WRONGTYPE),
    }
}

/// Redis's `incrDecrCommand`.
fn incr_decr(ctx: &mut Ctx, by: i64) -> CmdResult {
    let key = ctx.args.get(1);
    let (old, existed) = with_str_for_write(ctx, key, |v| match v {
        None => Some((0, false)),
        Some(s) => s.as_int().map(|n| (n, true)),
    })?
    .ok_or(err::NOT_INT)?;
    let new = old.checked_add(by).ok_or(err::OVERFLOW)?;
    replace_value(ctx, key, existed, StrVal::from_int(new));
    ctx.changed(ntf::STRING, b"incrby", key);
    ctx.client.reply.int(new);
    Ok(())
}

/// Stores a computed value. An existing key is overwritten in place, as
/// Redis's `dbOverwrite` does: it keeps its deadline and no key bytes are
/// copied (this is the counter hot path); a new key is added without one.
fn replace_value(ctx: &mut Ctx, key: &[u8], existed: bool, v: StrVal) {
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    if existed {
        if let Some(Value::Str(s)) = db.lookup_mut(key, now) {
            *s = v;
            return;
        }
    }
    db.insert(key, Value::Str(v), false);
}

fn incr(ctx: &mut Ctx) -> CmdResult {
    incr_decr(ctx, 1)
}

fn decr(ctx: &mut Ctx) -> CmdResult {
    incr_decr(ctx, -1)
}

fn incrby(ctx: &mut Ctx) -> CmdResult {
    let by = parse_i64(ctx.args.get(2)).ok_or(err::NOT_INT)?;
    incr_decr(ctx, by)
}

fn decrby(ctx: &mut Ctx) -> CmdResult {
    let by = parse_i64(ctx.args.get(2)).ok_or(err::NOT_INT)?;
    if by == i64::MIN {
        return Err(CmdError::new("ERR decrement would overflow"));
    }
    incr_decr(ctx, -by)
}

fn incrbyfloat(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let (old, existed) = with_str_for_write(ctx, key, |v| match v {
        None => Some((ext::Ext::ZERO, false)),
        Some(s) => {
            let mut tmp = [0u8; 24];
            ext::Ext::parse(s.bytes(&mut tmp)).map(|x| (x, true))
        }
    })?
    .ok_or(err::NOT_FLOAT)?;
    let incr = ext::Ext::parse(ctx.args.get(2)).ok_or(err::NOT_FLOAT)?;
    let sum = old.add(incr);
    if !sum.is_finite() {
        return Err(CmdError::new("ERR increment would produce NaN or Infinity"));
    }
    let text = sum.to_human();
    replace_value(ctx, key, existed, plain_string(&text));
    ctx.changed(ntf::STRING, b"incrbyfloat", key);
    ctx.client.reply.bulk(&text);
    Ok(())
}

fn append(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let add = ctx.args.get(2);
    let cur = with_str_for_write(ctx, key, |v| v.map(|s| s.len()))?;
    let total = match cur {
        None => {
            ctx.db()
                .insert(key, Value::Str(StrVal::from_bytes(add)), false);
            add.len()
        }
        Some(len) => {
            check_len(ctx, len as u64, add.len() as u64)?;
            let now = ctx.srv.now_ms;
            match ctx.db().lookup_mut(key, now) {
                Some(Value::Str(s)) => {
                    let raw = s.make_raw();
                    raw.extend_from_slice(add);
                    raw.len()
                }
                #[allow(unreachable_patterns)]
                _ => return Err(err::WRONGTYPE),
            }
        }
    };
    ctx.changed(ntf::STRING, b"append", key);
    ctx.client.reply.int(total as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    match srv.dbs[ctx.client.db].lookup(ctx.args.get(1), now) {
        None => {
            srv.stats.keyspace_misses += 1;
            ctx.client.reply.int(0);
        }
        Some(v) => {
            srv.stats.keyspace_hits += 1;
            match v {
                Value::Str(s) => ctx.client.reply.int(s.len() as i64),
                #[allow(unreachable_patterns)]
                _ => return Err(err::WRONGTYPE),
            }
        }
    }
    Ok(())
}

fn setrange(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.args.get(1);
    let value = ctx.args.get(3);
    let offset = parse_i64(ctx.args.get(2)).ok_or(err::NOT_INT)?;
    if offset < 0 {
        return Err(CmdError::new("ERR offset is out of range"));
    }
    let offset = offset as u64;
    let cur = with_str_for_write(ctx, key, |v| v.map(|s| s.len()))?;
    match cur {
        None if value.is_empty() => {
            ctx.client.reply.int(0);
            return Ok(());
        }
        Some(len) if value.is_empty() => {
            ctx.client.reply.int(len as i64);
            return Ok(());
        }
        _ => {}
    }
    check_len(ctx, offset, value.len() as u64)?;
    let now = ctx.srv.now_ms;
    let db = ctx.db();
    if cur.is_none() {
        let mut v = StrVal::from_bytes(b"");
        v.make_raw();
        db.insert(key, Value::Str(v), false);
    }
    let len = match db.lookup_mut(key, now) {
        Some(Value::Str(s)) => {
            let raw = s.make_raw();
            let off = offset as usize;
            let end = off + value.len();
            if raw.len() < end {
                raw.resize(end, 0);
            }
            raw[off..end].copy_from_slice(value);
            raw.len()
        }
        #[allow(unreachable_patterns)]
        _ => return Err(err::WRONGTYPE),
    };
    ctx.changed(ntf::STRING, b"setrange", key);
    ctx.client.reply.int(len as i64);
    Ok(())
}

fn getrange(ctx: &mut Ctx) -> CmdResult {
    let mut start = parse_i64(ctx.args.get(2)).ok_or(err::NOT_INT)?;
    let mut end = parse_i64(ctx.args.get(3)).ok_or(err::NOT_INT)?;
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let v = match srv.dbs[ctx.client.db].lookup(ctx.args.get(1), now) {
        None => {
            srv.stats.keyspace_misses += 1;
            ctx.client.reply.bulk(b"");
            return Ok(());
        }
        Some(v) => {
            srv.stats.keyspace_hits += 1;
            match v {
                Value::Str(s) => s,
                #[allow(unreachable_patterns)]
                _ => return Err(err::WRONGTYPE),
            }
        }
    };
    let mut tmp = [0u8; 24];
    let b = v.bytes(&mut tmp);
    let len = b.len() as i64;
    if start < 0 && end < 0 && start > end {
        ctx.client.reply.bulk(b"");
        return Ok(());
    }
    if start < 0 {
        start = start.wrapping_add(len);
    }
    if end < 0 {
        end = end.wrapping_add(len);
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        ctx.client.reply.bulk(b"");
    } else {
        ctx.client.reply.bulk(&b[start as usize..=end as usize]);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// LCS

fn lcs(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let now = ctx.srv.now_ms;
    let mut vals: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut wrong = false;
    for (i, slot) in vals.iter_mut().enumerate() {
        let srv = &mut *ctx.srv;
        match srv.dbs[ctx.client.db].lookup(args.get(1 + i), now) {
            None => srv.stats.keyspace_misses += 1,
            Some(v) => {
                srv.stats.keyspace_hits += 1;
                match v {
                    Value::Str(s) => {
                        let mut tmp = [0u8; 24];
                        *slot = s.bytes(&mut tmp).to_vec();
                    }
                    #[allow(unreachable_patterns)]
                    _ => wrong = true,
                }
            }
        }
    }
    if wrong {
        return Err(CmdError::new(
            "ERR The specified keys must contain string values",
        ));
    }
    let (mut getlen, mut getidx, mut withmatchlen) = (false, false, false);
    let mut minmatchlen: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let opt = args.get(j);
        let more = j + 1 < args.len();
        if opt.eq_ignore_ascii_case(b"idx") {
            getidx = true;
        } else if opt.eq_ignore_ascii_case(b"len") {
            getlen = true;
        } else if opt.eq_ignore_ascii_case(b"withmatchlen") {
            withmatchlen = true;
        } else if opt.eq_ignore_ascii_case(b"minmatchlen") && more {
            minmatchlen = parse_i64(args.get(j + 1)).ok_or(err::NOT_INT)?.max(0);
            j += 1;
        } else {
            return Err(err::SYNTAX);
        }
        j += 1;
    }
    if getidx && getlen {
        return Err(CmdError::new(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    let [a, b] = &vals;
    let (alen, blen) = (a.len(), b.len());
    if alen as u64 >= u32::MAX as u64 - 1 || blen as u64 >= u32::MAX as u64 - 1 {
        return Err(CmdError::new("ERR String too long for LCS"));
    }
    // The table is (alen+1) x (blen+1) u32 cells; Redis refuses it when it
    // would not fit in memory, we refuse it past proto-max-bulk-len so one
    // command cannot take the server's memory.
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells.saturating_mul(4) > ctx.srv.config.proto_max_bulk_len.max(0) as u64 {
        return Err(CmdError::new(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let w = blen + 1;
    let mut dp = vec![0u32; cells as usize];
    for i in 1..=alen {
        for jj in 1..=blen {
            dp[i * w + jj] = if a[i - 1] == b[jj - 1] {
                dp[(i - 1) * w + jj - 1] + 1
            } else {
                dp[(i - 1) * w + jj].max(dp[i * w + jj - 1])
            };
        }
    }
    let total = dp[alen * w + blen];
    let computelcs = getidx || !getlen;
    let mut result = vec![0u8; if computelcs { total as usize } else { 0 }];
    let mut idx = total as usize;
    // Ranges as (a_start, a_end, b_start, b_end, len), walked from the end.
    let mut ranges: Vec<[u64; 5]> = Vec::new();
    let (mut i, mut jj) = (alen, blen);
    let (mut as_, mut ae, mut bs, mut be) = (alen, 0usize, 0usize, 0usize);
    while computelcs && i > 0 && jj > 0 {
        let mut emit = false;
        if a[i - 1] == b[jj - 1] {
            result[idx - 1] = a[i - 1];
            if as_ == alen {
                as_ = i - 1;
                ae = i - 1;
                bs = jj - 1;
                be = jj - 1;
            } else if as_ == i && bs == jj {
                as_ -= 1;
                bs -= 1;
            } else {
                emit = true;
            }
            if as_ == 0 || bs == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            jj -= 1;
        } else {
            if dp[(i - 1) * w + jj] > dp[i * w + jj - 1] {
                i -= 1;
            } else {
                jj -= 1;
            }
            if as_ != alen {
                emit = true;
            }
        }
        if emit {
            let mlen = (ae as u64).wrapping_sub(as_ as u64).wrapping_add(1) & 0xffff_ffff;
            if minmatchlen == 0 || mlen >= minmatchlen as u64 {
                ranges.push([as_ as u64, ae as u64, bs as u64, be as u64, mlen]);
            }
            as_ = alen;
        }
    }
    let reply = &mut ctx.client.reply;
    if getidx {
        reply.map(2);
        reply.bulk(b"matches");
        reply.array(ranges.len());
        for r in &ranges {
            reply.array(2 + withmatchlen as usize);
            reply.array(2);
            reply.int(r[0] as i64);
            reply.int(r[1] as i64);
            reply.array(2);
            reply.int(r[2] as i64);
            reply.int(r[3] as i64);
            if withmatchlen {
                reply.int(r[4] as i64);
            }
        }
        reply.bulk(b"len");
        reply.int(total as i64);
    } else if getlen {
        reply.int(total as i64);
    } else {
        reply.bulk(&result);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// INCRBYFLOAT's long double

/// A software model of x87 80-bit extended precision (C's `long double` on
/// x86-64 Linux, what Redis's INCRBYFLOAT computes in): a sign, a 64-bit
/// mantissa with an explicit top bit, a binary exponent. Only what
/// INCRBYFLOAT needs: `strtold`-style parsing, addition, and `%.17Lf`.
pub(crate) mod ext {
    /// Largest exponent of the top mantissa bit (LDBL_MAX_EXP - 1).
    const MAX_TOP_EXP: i64 = 16383;
    /// Below this the value is zero even as a subnormal (LDBL_TRUE_MIN is 2^-16445).
    const MIN_TOP_EXP: i64 = -16446;

    /// value = (-1)^neg * mant * 2^exp; `mant` has its top bit set unless
    /// the value is zero; `inf` marks overflow.
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct Ext {
        neg: bool,
        mant: u64,
        exp: i64,
        inf: bool,
    }

    /// A little-endian arbitrary-size unsigned integer, just big enough
    /// for exact decimal conversion.
    #[derive(Clone)]
    struct Big(Vec<u32>);

    impl Big {
        fn from_u128(mut v: u128) -> Big {
            let mut d = Vec::new();
            while v != 0 {
                d.push(v as u32);
                v >>= 32;
            }
            Big(d)
        }
        fn trim(&mut self) {
            while self.0.last() == Some(&0) {
                self.0.pop();
            }
        }
        fn is_zero(&self) -> bool {
            self.0.iter().all(|&x| x == 0)
        }
        fn mul_add(&mut self, m: u32, a: u32) {
            let mut carry = a as u64;
            for x in self.0.iter_mut() {
                let v = *x as u64 * m as u64 + carry;
                *x = v as u32;
                carry = v >> 32;
            }
            if carry != 0 {
                self.0.push(carry as u32);
            }
        }
        fn pow10(n: u32) -> Big {
            let mut b = Big(vec![1]);
            for _ in 0..n / 9 {
                b.mul_add(1_000_000_000, 0);
            }
            for _ in 0..n % 9 {
                b.mul_add(10, 0);
            }
            b
        }
        fn bits(&self) -> u64 {
            for i in (0..self.0.len()).rev() {
                if self.0[i] != 0 {
                    return i as u64 * 32 + (32 - self.0[i].leading_zeros()) as u64;
                }
            }
            0
        }
        fn shl(&self, n: u64) -> Big {
            let words = (n / 32) as usize;
            let bits = (n % 32) as u32;
            let mut d = vec![0u32; words];
            let mut carry = 0u32;
            for &x in &self.0 {
                if bits == 0 {
                    d.push(x);
                } else {
                    d.push((x << bits) | carry);
                    carry = x >> (32 - bits);
                }
            }
            if carry != 0 {
                d.push(carry);
            }
            let mut b = Big(d);
            b.trim();
            b
        }
        fn cmp(&self, o: &Big) -> std::cmp::Ordering {
            let n = self.0.len().max(o.0.len());
            for i in (0..n).rev() {
                let a = self.0.get(i).copied().unwrap_or(0);
                let b = o.0.get(i).copied().unwrap_or(0);
                if a != b {
                    return a.cmp(&b);
                }
            }
            std::cmp::Ordering::Equal
        }
        /// self -= o, requires self >= o.
        fn sub(&mut self, o: &Big) {
            let mut borrow = 0i64;
            for i in 0..self.0.len() {
                let v = self.0[i] as i64 - o.0.get(i).copied().unwrap_or(0) as i64 - borrow;
                if v < 0 {
                    self.0[i] = (v + (1i64 << 32)) as u32;
                    borrow = 1;
                } else {
                    self.0[i] = v as u32;
                    borrow = 0;
                }
            }
            self.trim();
        }
        /// Divides in place by `d`, returning the remainder.
        fn div_small(&mut self, d: u32) -> u32 {
            let mut rem = 0u64;
            for x in self.0.iter_mut().rev() {
                let v = (rem << 32) | *x as u64;
                *x = (v / d as u64) as u32;
                rem = v % d as u64;
            }
            self.trim();
            rem as u32
        }
        fn to_decimal(&self) -> Vec<u8> {
            let mut b = self.clone();
            let mut chunks = Vec::new();
            while !b.is_zero() {
                chunks.push(b.div_small(1_000_000_000));
            }
            let mut out = Vec::new();
            match chunks.pop() {
                None => out.push(b'0'),
                Some(top) => out.extend_from_slice(top.to_string().as_bytes()),
            }
            while let Some(c) = chunks.pop() {
                out.extend_from_slice(format!("{c:09}").as_bytes());
            }
            out
        }
    }

    /// Rounds a mantissa of `bits` significant bits held in `q` (u128),
    /// with `sticky` telling whether anything non-zero lies below it, to 64
    /// bits, ties to even. Returns (mantissa, exponent adjustment).
    fn round_to_64(q: u128, sticky: bool) -> (u64, i64) {
        let bits = 128 - q.leading_zeros() as i64;
        if bits <= 64 {
            let sh = 64 - bits;
            return ((q << sh) as u64, -sh);
        }
        let extra = (bits - 64) as u32;
        let mut m = (q >> extra) as u64;
        let half = 1u128 << (extra - 1);
        let low = q & ((1u128 << extra) - 1);
        let round_up = low > half || (low == half && (sticky || m & 1 == 1));
        let mut adj = extra as i64;
        if round_up {
            m = m.wrapping_add(1);
            if m == 0 {
                m = 1 << 63;
                adj += 1;
            }
        }
        (m, adj)
    }

    impl Ext {
        pub const ZERO: Ext = Ext {
            neg: false,
            mant: 0,
            exp: 0,
            inf: false,
        };

        fn make(neg: bool, mant: u64, exp: i64) -> Ext {
            if mant == 0 || exp + 63 < MIN_TOP_EXP {
                return Ext {
                    neg,
                    mant: 0,
                    exp: 0,
                    inf: false,
                };
            }
            Ext {
                neg,
                mant,
                exp,
                inf: exp + 63 > MAX_TOP_EXP,
            }
        }

        pub fn is_finite(&self) -> bool {
            !self.inf
        }

        /// Parses like Redis's `string2ld` (glibc `strtold`, then: no
        /// leading space, nothing left over, no NaN, no overflow or
        /// underflow to zero). `inf` parses, as it does in C.
        pub fn parse(s: &[u8]) -> Option<Ext> {
            if s.is_empty() || s.len() >= 5 * 1024 {
                return None;
            }
            let (neg, body) = match s[0] {
                b'-' => (true, &s[1..]),
                b'+' => (false, &s[1..]),
                _ => (false, s),
            };
            if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
                return Some(Ext {
                    neg,
                    mant: 1 << 63,
                    exp: MAX_TOP_EXP,
                    inf: true,
                });
            }
            if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
                return Ext::parse_hex(neg, &body[2..]);
            }
            let mut digits = Big(Vec::new());
            let mut ndigits = 0usize;
            let mut dexp: i64 = 0;
            let mut seen_digit = false;
            let mut i = 0;
            let mut dot = false;
            while i < body.len() {
                let c = body[i];
                if c.is_ascii_digit() {
                    seen_digit = true;
                    if ndigits > 0 || c != b'0' {
                        // Keep at most 800 significant digits: enough for
                        // a correctly rounded 64-bit mantissa in practice.
                        if ndigits < 800 {
                            digits.mul_add(10, (c - b'0') as u32);
                            ndigits += 1;
                            if dot {
                                dexp -= 1;
                            }
                        } else if !dot {
                            dexp += 1;
                        }
                    } else if dot {
                        dexp -= 1;
                    }
                } else if c == b'.' && !dot {
                    dot = true;
                } else {
                    break;
                }
                i += 1;
            }
            if !seen_digit {
                return None;
            }
            if i < body.len() {
                let c = body[i];
                if c != b'e' && c != b'E' {
                    return None;
                }
                let rest = &body[i + 1..];
                let (eneg, edigits) = match rest.first() {
                    Some(b'-') => (true, &rest[1..]),
                    Some(b'+') => (false, &rest[1..]),
                    _ => (false, rest),
                };
                if edigits.is_empty() || !edigits.iter().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                let mut e: i64 = 0;
                for &c in edigits {
                    e = (e * 10 + (c - b'0') as i64).min(1_000_000);
                }
                dexp += if eneg { -e } else { e };
            }
            if digits.is_zero() {
                return Some(Ext { neg, ..Ext::ZERO });
            }
            // Quick range checks before any big arithmetic.
            let mag = ndigits as i64 + dexp;
            if mag > 4934 {
                return None;
            }
            if mag < -4952 {
                return None;
            }
            let (num, den) = if dexp >= 0 {
                let mut n = digits;
                let p = Big::pow10(dexp as u32);
                n = mul(&n, &p);
                (n, Big(vec![1]))
            } else {
                (digits, Big::pow10((-dexp) as u32))
            };
            // q = floor(num * 2^s / den) has 66 or 67 bits.
            let s = 66 - (num.bits() as i64 - den.bits() as i64);
            let (mut n, d) = if s >= 0 {
                (num.shl(s as u64), den)
            } else {
                (num, den.shl((-s) as u64))
            };
            let mut q: u128 = 0;
            for bit in (0..=67u32).rev() {
                let ds = d.shl(bit as u64);
                if n.cmp(&ds) != std::cmp::Ordering::Less {
                    n.sub(&ds);
                    q |= 1u128 << bit;
                }
            }
            let (m, adj) = round_to_64(q, !n.is_zero());
            let e = adj - s;
            let x = Ext::make(neg, m, e);
            if x.inf || x.mant == 0 {
                return None; // ERANGE: overflow, or underflow to zero
            }
            Some(x)
        }

        /// strtold's hexadecimal form: `0x` hex digits, an optional point,
        /// an optional `p` binary exponent (decimal digits).
        fn parse_hex(neg: bool, s: &[u8]) -> Option<Ext> {
            let mut q: u128 = 0;
            let mut sticky = false;
            let mut e2: i64 = 0;
            let (mut dot, mut seen) = (false, false);
            let mut i = 0;
            while i < s.len() {
                let c = s[i];
                if let Some(d) = (c as char).to_digit(16) {
                    seen = true;
                    if q >> 120 == 0 {
                        q = (q << 4) | d as u128;
                        if dot {
                            e2 -= 4;
                        }
                    } else {
                        sticky |= d != 0;
                        if !dot {
                            e2 += 4;
                        }
                    }
                } else if c == b'.' && !dot {
                    dot = true;
                } else {
                    break;
                }
                i += 1;
            }
            if !seen {
                return None;
            }
            if i < s.len() {
                if s[i] | 0x20 != b'p' {
                    return None;
                }
                let rest = &s[i + 1..];
                let (eneg, ed) = match rest.first() {
                    Some(b'-') => (true, &rest[1..]),
                    Some(b'+') => (false, &rest[1..]),
                    _ => (false, rest),
                };
                if ed.is_empty() || !ed.iter().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                let mut e: i64 = 0;
                for &c in ed {
                    e = (e * 10 + (c - b'0') as i64).min(1_000_000);
                }
                e2 += if eneg { -e } else { e };
            }
            if q == 0 {
                return Some(Ext { neg, ..Ext::ZERO });
            }
            let (m, adj) = round_to_64(q, sticky);
            let x = Ext::make(neg, m, e2 + adj);
            if x.inf || x.mant == 0 {
                return None;
            }
            Some(x)
        }

        /// Round-to-nearest-even addition, as the x87 FPU does it.
        pub fn add(self, o: Ext) -> Ext {
            if self.inf || o.inf {
                let inf = Ext {
                    inf: true,
                    mant: 1 << 63,
                    exp: MAX_TOP_EXP,
                    neg: if self.inf { self.neg } else { o.neg },
                };
                // inf - inf is NaN, which the caller rejects as well.
                return inf;
            }
            if o.mant == 0 {
                if self.mant == 0 {
                    return Ext {
                        neg: self.neg && o.neg,
                        ..Ext::ZERO
                    };
                }
                return self;
            }
            if self.mant == 0 {
                return o;
            }
            let (a, b) = if self.exp >= o.exp {
                (self, o)
            } else {
                (o, self)
            };
            let d = a.exp - b.exp;
            let big_a = (a.mant as u128) << 62;
            let (big_b, sticky) = if d >= 126 {
                (0u128, true)
            } else {
                let full = (b.mant as u128) << 62;
                let shifted = full >> d;
                (shifted, (shifted << d) != full)
            };
            let base = a.exp - 62;
            if a.neg == b.neg {
                let sum = big_a + big_b;
                let (m, adj) = round_to_64(sum, sticky);
                return Ext::make(a.neg, m, base + adj);
            }
            // Opposite signs: subtract the smaller magnitude. A sticky
            // remainder makes the subtrahend a little larger, which one
            // low bit below 62 guard bits represents exactly enough.
            let bb = big_b | sticky as u128;
            let (neg, diff) = if big_a >= bb {
                (a.neg, big_a - bb)
            } else {
                (b.neg, bb - big_a)
            };
            if diff == 0 {
                return Ext::ZERO;
            }
            let (m, adj) = round_to_64(diff, false);
            Ext::make(neg, m, base + adj)
        }

        /// `%.17Lf` with trailing zeros (and a bare point) removed, and
        /// `-0` written `0`: Redis's `ld2string` in human mode.
        pub fn to_human(self) -> Vec<u8> {
            let mut out = Vec::new();
            if self.neg {
                out.push(b'-');
            }
            if self.exp >= 0 {
                let int = Big::from_u128(self.mant as u128).shl(self.exp as u64);
                out.extend_from_slice(&int.to_decimal());
            } else {
                // mant * 10^17 fits in u128; shift right by -exp with
                // round-half-even, giving units of 1e-17.
                let n = self.mant as u128 * 100_000_000_000_000_000u128;
                let k = (-self.exp) as u32;
                let q = if k >= 127 {
                    0
                } else {
                    let q = n >> k;
                    let rem = n & ((1u128 << k) - 1);
                    let half = 1u128 << (k - 1);
                    if rem > half || (rem == half && q & 1 == 1) {
                        q + 1
                    } else {
                        q
                    }
                };
                let int = q / 100_000_000_000_000_000u128;
                let frac = q % 100_000_000_000_000_000u128;
                out.extend_from_slice(int.to_string().as_bytes());
                if frac != 0 {
                    let f = format!("{frac:017}");
                    out.push(b'.');
                    out.extend_from_slice(f.trim_end_matches('0').as_bytes());
                }
            }
            if out == b"-0" {
                out = b"0".to_vec();
            }
            out
        }
    }

    fn mul(a: &Big, b: &Big) -> Big {
        let mut r = vec![0u32; a.0.len() + b.0.len() + 1];
        for (i, &x) in a.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &y) in b.0.iter().enumerate() {
                let v = r[i + j] as u64 + x as u64 * y as u64 + carry;
                r[i + j] = v as u32;
                carry = v >> 32;
            }
            let mut k = i + b.0.len();
            while carry != 0 {
                let v = r[k] as u64 + carry;
                r[k] = v as u32;
                carry = v >> 32;
                k += 1;
            }
        }
        let mut b = Big(r);
        b.trim();
        b
    }

    #[cfg(test)]
    mod tests {
        use super::Ext;

        fn inc(a: &str, b: &str) -> String {
            let x = Ext::parse(a.as_bytes()).unwrap();
            let y = Ext::parse(b.as_bytes()).unwrap();
            String::from_utf8(x.add(y).to_human()).unwrap()
        }

        #[test]
        fn ordinary_values_print_as_typed() {
            assert_eq!(inc("10.5", "0.1"), "10.6");
            assert_eq!(inc("0", "10.5"), "10.5");
            assert_eq!(inc("-1", "1"), "0");
            assert_eq!(inc("3", "-5.5"), "-2.5");
            assert_eq!(inc("1", "1e3"), "1001");
            // Not exact in 64 bits: Redis prints these same digits.
            assert_eq!(inc("0", "1e30"), "1000000000000000000024696061952");
            assert_eq!(inc("10.5", "3000.1"), "3010.60000000000000009");
            assert_eq!(inc("10.5", "123456789012345678"), "123456789012345688.5");
            assert_eq!(inc("3", "0x10"), "19");
        }

        #[test]
        fn rejects_what_strtold_rejects() {
            for bad in [
                "", " 1", "1 ", "abc", "nan", "1e", "1e99999", "1e-99999", ".",
            ] {
                assert!(Ext::parse(bad.as_bytes()).is_none(), "{bad}");
            }
            assert!(!Ext::parse(b"inf").unwrap().is_finite());
        }
    }
}

/// In-process tests of what the wire cannot show yet: the encoding each
/// command leaves behind (OBJECT ENCODING belongs to another family) and
/// the proto-max-bulk-len limit at a size small enough to test.
#[cfg(test)]
mod tests {
    use crate::commands::{execute, Args};
    use crate::config::Config;
    use crate::server::client::{Client, Conn};
    use crate::server::Server;

    struct Harness {
        srv: Server,
        client: Client,
        _poll: mio::Poll,
        _peer: mio::net::UnixStream,
    }

    impl Harness {
        fn new() -> Harness {
            let poll = mio::Poll::new().expect("poll");
            let registry = poll.registry().try_clone().expect("registry");
            let srv = Server::new(Config::default(), registry);
            let (a, peer) = mio::net::UnixStream::pair().expect("pair");
            let mut client = Client::new(1, 1, Conn::Unix(a), String::new(), String::new(), 0);
            client.authenticated = true;
            Harness {
                srv,
                client,
                _poll: poll,
                _peer: peer,
            }
        }

        /// Runs one command and returns its raw reply.
        fn run(&mut self, argv: &[&[u8]]) -> Vec<u8> {
            let mut buf = Vec::new();
            let mut spans = Vec::new();
            for a in argv {
                spans.push((buf.len(), buf.len() + a.len()));
                buf.extend_from_slice(a);
            }
            self.client.reply.buf.clear();
            execute(&mut self.srv, &mut self.client, Args::new(&buf, &spans));
            std::mem::take(&mut self.client.reply.buf)
        }

        fn cmd(&mut self, line: &str) -> String {
            let argv: Vec<&[u8]> = line.split(' ').map(|s| s.as_bytes()).collect();
            String::from_utf8_lossy(&self.run(&argv)).into_owned()
        }

        fn enc(&mut self, key: &str) -> &'static str {
            let now = self.srv.now_ms;
            match self.srv.dbs[0].lookup(key.as_bytes(), now) {
                Some(v) => v.encoding(),
                None => "none",
            }
        }
    }

    #[test]
    fn encodings_follow_redis() {
        let mut h = Harness::new();
        let e44 = "e".repeat(44);
        let e45 = "e".repeat(45);
        h.cmd("SET k 123");
        assert_eq!(h.enc("k"), "int");
        h.cmd("SET k -9223372036854775808");
        assert_eq!(h.enc("k"), "int");
        h.cmd("SET k 007");
        assert_eq!(h.enc("k"), "embstr");
        h.cmd(&format!("SET k {e44}"));
        assert_eq!(h.enc("k"), "embstr");
        h.cmd(&format!("SET k {e45}"));
        assert_eq!(h.enc("k"), "raw");
        h.cmd("SET k 123456789012345678901");
        assert_eq!(h.enc("k"), "embstr");
        h.cmd("SET k abc");
        h.cmd("APPEND k d");
        assert_eq!(h.enc("k"), "raw");
        h.cmd("APPEND newk 12");
        assert_eq!(h.enc("newk"), "int");
        h.cmd("SET k 12");
        h.cmd("SETRANGE k 0 3");
        assert_eq!(h.enc("k"), "raw");
        h.cmd("SETRANGE fresh 0 1");
        assert_eq!(h.enc("fresh"), "raw");
        h.cmd("SET k abc");
        h.cmd("SET k 10");
        h.cmd("INCR k");
        assert_eq!(h.enc("k"), "int");
        h.cmd("INCRBY counter 5");
        assert_eq!(h.enc("counter"), "int");
        h.cmd("INCRBYFLOAT f 1");
        assert_eq!(h.enc("f"), "embstr");
        h.cmd("MSET m1 1 m2 x");
        assert_eq!((h.enc("m1"), h.enc("m2")), ("int", "embstr"));
        h.cmd("GETSET m1 y");
        assert_eq!(h.enc("m1"), "embstr");
        h.cmd("SETNX nx 5");
        assert_eq!(h.enc("nx"), "int");
    }

    #[test]
    fn string_limit_is_proto_max_bulk_len() {
        let mut h = Harness::new();
        h.srv.config.proto_max_bulk_len = 1024;
        let too_big = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
        assert_eq!(h.cmd("SETRANGE k 1023 x"), ":1024\r\n");
        assert_eq!(h.cmd("SETRANGE k 1024 x"), too_big);
        assert_eq!(h.cmd("SETRANGE new 1024 x"), too_big);
        assert_eq!(h.cmd("APPEND k x"), too_big);
        assert_eq!(h.cmd("STRLEN k"), ":1024\r\n");
        assert_eq!(h.cmd("SET a x"), "+OK\r\n");
        let fill = "y".repeat(1023);
        assert_eq!(h.cmd(&format!("APPEND a {fill}")), ":1024\r\n");
        // Bit offsets are bounded by the same limit, in bytes.
        let bad = "-ERR bit offset is not an integer or out of range\r\n";
        assert_eq!(h.cmd("SETBIT b 8192 1"), bad);
        assert_eq!(h.cmd("SETBIT b 8191 1"), ":0\r\n");
        assert_eq!(h.cmd("STRLEN b"), ":1024\r\n");
        assert_eq!(h.cmd("BITFIELD b GET u8 8192"), bad);
        assert_eq!(h.cmd("BITFIELD b SET u8 #1023 255"), "*1\r\n:1\r\n");
        assert_eq!(h.enc("b"), "raw");
        // LCS refuses a table larger than the limit: 16 x 16 cells of 4 bytes.
        h.cmd("SET l1 aaaaaaaaaaaaaaa");
        assert_eq!(h.cmd("LCS l1 l1 LEN"), ":15\r\n");
        h.cmd("SET l2 aaaaaaaaaaaaaaaa");
        assert_eq!(
            h.cmd("LCS l2 l2 LEN"),
            "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n"
        );
    }

    #[test]
    fn reads_count_hits_and_misses() {
        let mut h = Harness::new();
        h.cmd("SET a 1");
        h.cmd("GET a");
        h.cmd("GET nosuch");
        h.cmd("MGET a nosuch nosuch2");
        h.cmd("STRLEN a");
        h.cmd("GETBIT a 0");
        h.cmd("INCR a"); // a write lookup: not counted
        assert_eq!(h.srv.stats.keyspace_hits, 4);
        assert_eq!(h.srv.stats.keyspace_misses, 3);
    }
}
