//! Bitmap commands (Redis's `bitops.c`).
//!
//! Redis has no bitmap type: a bitmap is a string read as an array of bits,
//! bit 0 being the most significant bit of byte 0. SETBIT and BITFIELD's
//! writes grow the string with zero bytes as far as the highest bit they
//! touch (and turn it `raw`, as any in-place change does); reads past the
//! end see zeros. Bit offsets are bounded by `proto-max-bulk-len` (in bytes,
//! so 2^32 bits by default), which keeps one command from allocating more
//! than a client could have sent as a string.
//!
//! BITFIELD treats the string as packed signed or unsigned integers of 1 to
//! 64 bits (unsigned stops at 63 so every value fits a signed reply) at any
//! bit offset, with three overflow policies for SET and INCRBY: WRAP (two's
//! complement modulo), SAT (clamp) and FAIL (no write, a null reply). The
//! overflow checks below follow Redis's arithmetic exactly, including its
//! treatment of a SET value that does not fit the type.
//!
//! Counting (BITCOUNT) and searching (BITPOS) go eight bytes at a time: a
//! `u64::count_ones` per word is one POPCNT instruction, and BITPOS skips
//! whole words of 0x00 or 0xff before looking at single bits.

use super::table::{flags::*, CommandDef};
use super::{err, CmdError, CmdResult, Ctx};
use crate::db::keyspace::Db;
use crate::db::object::{StrVal, Value};
use crate::server::client::Client;
use crate::server::notify as ntf;
use crate::util::numbers::parse_i64;

const fn b(name: &'static str, arity: i32, fl: u64, h: super::table::Handler) -> CommandDef {
    CommandDef::new(name, arity, fl, h)
        .keys(1, 1, 1)
        .group("bitmap")
}

pub static COMMANDS: &[CommandDef] = &[
    b("setbit", 4, WRITE | DENYOOM, setbit)
        .acl("write bitmap slow")
        .since("2.2.0")
        .summary("Sets or clears the bit at offset in the string value stored at key"),
    b("getbit", 3, READONLY | FAST, getbit)
        .acl("read bitmap fast")
        .since("2.2.0")
        .summary("Returns the bit value at offset in the string value stored at key"),
    b("bitcount", -2, READONLY, bitcount)
        .acl("read bitmap slow")
        .since("2.6.0")
        .summary("Count set bits in a string"),
    b("bitpos", -3, READONLY, bitpos)
        .acl("read bitmap slow")
        .since("2.8.7")
        .summary("Find first bit set or clear in a string"),
    b("bitop", -4, WRITE | DENYOOM, bitop)
        .keys(2, -1, 1)
        .acl("write bitmap slow")
        .since("2.6.0")
        .summary("Perform bitwise operations between strings"),
    b("bitfield", -2, WRITE | DENYOOM, bitfield)
        .acl("write bitmap slow")
        .since("3.2.0")
        .summary("Perform arbitrary bitfield integer operations on strings"),
    b("bitfield_ro", -2, READONLY | FAST, bitfield_ro)
        .acl("read bitmap fast")
        .since("6.0.0")
        .summary(
            "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        ),
];

const BAD_OFFSET: CmdError = CmdError::new("ERR bit offset is not an integer or out of range");
const BAD_BIT: CmdError = CmdError::new("ERR bit is not an integer or out of range");
const BAD_TYPE: CmdError = CmdError::new(
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
);

/// Redis's `getBitOffsetFromArgument`: a non-negative integer whose byte
/// lies below `proto-max-bulk-len`; with `hash`, `#N` means N * `bits`.
fn bit_offset(ctx: &Ctx, arg: &[u8], hash: bool, bits: u32) -> Result<u64, CmdError> {
    let use_hash = hash && arg.first() == Some(&b'#');
    let digits = if use_hash { &arg[1..] } else { arg };
    let mut off = parse_i64(digits).ok_or(BAD_OFFSET)?;
    if use_hash {
        off = off.wrapping_mul(bits as i64);
    }
    if off < 0 || (off >> 3) >= ctx.srv.config.proto_max_bulk_len {
        return Err(BAD_OFFSET);
    }
    Ok(off as u64)
}

/// Redis's `lookupStringForBitCommand`: the key's bytes, made raw and
/// zero-extended to hold bit `maxbit`, or a new zeroed raw string. The
/// flag says whether the key was created or grew.
fn bits_for_write<'d>(
    db: &'d mut Db,
    key: &[u8],
    now: i64,
    maxbit: u64,
) -> Result<(&'d mut Vec<u8>, bool), CmdError> {
    let need = (maxbit >> 3) as usize + 1;
    let mut dirty = false;
    match db.lookup(key, now) {
        None => {
            let mut v = StrVal::from_bytes(b"");
            v.make_raw().resize(need, 0);
            db.insert(key, Value::Str(v), false);
            dirty = true;
        }
        Some(Value::Str(_)) => {}
        #[allow(unreachable_patterns)]
        Some(_) => return Err(err::WRONGTYPE),
    }
    match db.lookup_mut(key, now) {
        Some(Value::Str(s)) => {
            let raw = s.make_raw();
            if raw.len() < need {
                raw.resize(need, 0);
                dirty = true;
            }
            Ok((raw, dirty))
        }
        #[allow(unreachable_patterns)]
        _ => Err(err::WRONGTYPE),
    }
}

/// Looks `key` up for reading (counting a hit or miss) and calls `f` with
/// the calling client and the value's bytes, borrowed from the database,
/// or None when the key does not exist.
fn with_bytes<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&mut Client, Option<&[u8]>) -> R,
) -> Result<R, CmdError> {
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let client = &mut *ctx.client;
    match srv.dbs[client.db].lookup(key, now) {
        None => {
            srv.stats.keyspace_misses += 1;
            Ok(f(client, None))
        }
        Some(v) => {
            srv.stats.keyspace_hits += 1;
            match v {
                Value::Str(s) => {
                    let mut tmp = [0u8; 24];
                    Ok(f(client, Some(s.bytes(&mut tmp))))
                }
                #[allow(unreachable_patterns)]
                _ => Err(err::WRONGTYPE),
            }
        }
    }
}

fn setbit(ctx: &mut Ctx) -> CmdResult {
    let off = bit_offset(ctx, ctx.args.get(2), false, 0)?;
    let on = parse_i64(ctx.args.get(3)).ok_or(BAD_BIT)?;
    if on & !1 != 0 {
        return Err(BAD_BIT);
    }
    let now = ctx.srv.now_ms;
    let (bytes, dirty) =
        bits_for_write(&mut ctx.srv.dbs[ctx.client.db], ctx.args.get(1), now, off)?;
    let byte = (off >> 3) as usize;
    let mask = 1u8 << (7 - (off & 7));
    let old = bytes[byte] & mask != 0;
    if on == 1 {
        bytes[byte] |= mask;
    } else {
        bytes[byte] &= !mask;
    }
    // As Redis 7.0: only a created or grown key, or a flipped bit, is a change.
    if dirty || old != (on == 1) {
        ctx.changed(ntf::STRING, b"setbit", ctx.args.get(1));
    }
    ctx.client.reply.int(old as i64);
    Ok(())
}

fn getbit(ctx: &mut Ctx) -> CmdResult {
    let off = bit_offset(ctx, ctx.args.get(2), false, 0)?;
    let now = ctx.srv.now_ms;
    let srv = &mut *ctx.srv;
    let bit = match srv.dbs[ctx.client.db].lookup(ctx.args.get(1), now) {
        None => {
            srv.stats.keyspace_misses += 1;
            false
        }
        Some(v) => {
            srv.stats.keyspace_hits += 1;
            match v {
                Value::Str(s) => {
                    let mut tmp = [0u8; 24];
                    let b = s.bytes(&mut tmp);
                    let byte = (off >> 3) as usize;
                    byte < b.len() && b[byte] & (1 << (7 - (off & 7))) != 0
                }
                #[allow(unreachable_patterns)]
                _ => return Err(err::WRONGTYPE),
            }
        }
    };
    ctx.client.reply.int(bit as i64);
    Ok(())
}

/// Set bits in `p`, a word at a time.
pub fn popcount(p: &[u8]) -> u64 {
    let mut words = p.chunks_exact(8);
    let mut n: u64 = 0;
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        n += u64::from_ne_bytes(a).count_ones() as u64;
    }
    for &c in words.remainder() {
        n += c.count_ones() as u64;
    }
    n
}

/// Redis's `redisBitpos`: the position of the first `bit` in `p`. Not
/// finding a 1 is -1; not finding a 0 is the bit just past the end, since a
/// string is conceptually followed by zeros.
pub fn bitpos_in(p: &[u8], bit: bool) -> i64 {
    let skip = if bit { 0u8 } else { 0xff };
    let mut i = 0;
    while i + 8 <= p.len() {
        let mut a = [0u8; 8];
        a.copy_from_slice(&p[i..i + 8]);
        if u64::from_ne_bytes(a) != u64::from_ne_bytes([skip; 8]) {
            break;
        }
        i += 8;
    }
    while i < p.len() {
        if p[i] != skip {
            let c = if bit { p[i] } else { !p[i] };
            return (i * 8) as i64 + c.leading_zeros() as i64;
        }
        i += 1;
    }
    if bit {
        -1
    } else {
        (p.len() * 8) as i64
    }
}

/// Parses BYTE|BIT (case-insensitive). True for BIT.
fn unit_is_bit(arg: &[u8]) -> Result<bool, CmdError> {
    if arg.eq_ignore_ascii_case(b"bit") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"byte") {
        Ok(false)
    } else {
        Err(err::SYNTAX)
    }
}

fn bitcount(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    // Redis looks the key up before parsing the range: a missing key
    // answers 0 whatever follows.
    let r = with_bytes(ctx, args.get(1), |client, v| -> CmdResult {
        let Some(p) = v else {
            client.reply.int(0);
            return Ok(());
        };
        let slen = p.len() as i64;
        let (mut start, mut end);
        let (mut first_mask, mut last_mask) = (0u8, 0u8);
        match args.len() {
            4 | 5 => {
                let mut totlen = slen;
                start = parse_i64(args.get(2)).ok_or(err::NOT_INT)?;
                end = parse_i64(args.get(3)).ok_or(err::NOT_INT)?;
                let isbit = args.len() == 5 && unit_is_bit(args.get(4))?;
                if isbit {
                    totlen <<= 3;
                }
                if start < 0 && end < 0 && start > end {
                    client.reply.int(0);
                    return Ok(());
                }
                if start < 0 {
                    start = totlen.wrapping_add(start);
                }
                if end < 0 {
                    end = totlen.wrapping_add(end);
                }
                start = start.max(0);
                end = end.max(0);
                if end >= totlen {
                    end = totlen - 1;
                }
                if isbit && start <= end {
                    first_mask = !((1u32 << (8 - (start & 7))) - 1) as u8;
                    last_mask = ((1u32 << (7 - (end & 7))) - 1) as u8;
                    start >>= 3;
                    end >>= 3;
                }
            }
            2 => {
                start = 0;
                end = slen - 1;
            }
            _ => return Err(err::SYNTAX),
        }
        if start > end {
            client.reply.int(0);
            return Ok(());
        }
        let (s, e) = (start as usize, end as usize);
        let mut count = popcount(&p[s..=e]) as i64;
        if first_mask != 0 {
            count -= (p[s] & first_mask).count_ones() as i64;
        }
        if last_mask != 0 {
            count -= (p[e] & last_mask).count_ones() as i64;
        }
        client.reply.int(count);
        Ok(())
    })?;
    r
}

fn bitpos(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let bit = parse_i64(args.get(2)).ok_or(err::NOT_INT)?;
    if bit != 0 && bit != 1 {
        return Err(CmdError::new("ERR The bit argument must be 1 or 0."));
    }
    let bit = bit == 1;
    let r = with_bytes(ctx, args.get(1), |client, v| -> CmdResult {
        let Some(p) = v else {
            client.reply.int(if bit { -1 } else { 0 });
            return Ok(());
        };
        let slen = p.len() as i64;
        let (mut start, mut end);
        let mut end_given = false;
        let (mut first_mask, mut last_mask) = (0u8, 0u8);
        match args.len() {
            4..=6 => {
                let mut totlen = slen;
                start = parse_i64(args.get(3)).ok_or(err::NOT_INT)?;
                let isbit = args.len() == 6 && unit_is_bit(args.get(5))?;
                if args.len() >= 5 {
                    end = parse_i64(args.get(4)).ok_or(err::NOT_INT)?;
                    end_given = true;
                } else if isbit {
                    end = (totlen << 3) + 7;
                } else {
                    end = totlen - 1;
                }
                if isbit {
                    totlen <<= 3;
                }
                if start < 0 {
                    start = totlen.wrapping_add(start);
                }
                if end < 0 {
                    end = totlen.wrapping_add(end);
                }
                start = start.max(0);
                end = end.max(0);
                if end >= totlen {
                    end = totlen - 1;
                }
                if isbit && start <= end {
                    first_mask = !((1u32 << (8 - (start & 7))) - 1) as u8;
                    last_mask = ((1u32 << (7 - (end & 7))) - 1) as u8;
                    start >>= 3;
                    end >>= 3;
                }
            }
            3 => {
                start = 0;
                end = slen - 1;
            }
            _ => return Err(err::SYNTAX),
        }
        if start > end {
            client.reply.int(-1);
            return Ok(());
        }
        let mut bytes = end - start + 1;
        let masked = |c: u8, m: u8| if bit { c & !m } else { c | m };
        // The edge bytes of a BIT range are searched with the bits outside
        // the range forced to the value not searched for, as Redis does.
        let pos = 'search: {
            if first_mask != 0 {
                let mut c = masked(p[start as usize], first_mask);
                if last_mask != 0 && bytes == 1 {
                    c = masked(c, last_mask);
                }
                let pos = bitpos_in(&[c], bit);
                if bytes == 1 || (pos != -1 && pos != 8) {
                    break 'search pos;
                }
                start += 1;
                bytes -= 1;
            }
            let cur = bytes - (last_mask != 0) as i64;
            if cur > 0 {
                let s = start as usize;
                let pos = bitpos_in(&p[s..s + cur as usize], bit);
                if bytes == cur || (pos != -1 && pos != cur << 3) {
                    break 'search pos;
                }
                start += cur;
                bytes -= cur;
            }
            bitpos_in(&[masked(p[end as usize], last_mask)], bit)
        };
        if end_given && !bit && pos == bytes << 3 {
            client.reply.int(-1);
            return Ok(());
        }
        client
            .reply
            .int(if pos != -1 { pos + (start << 3) } else { pos });
        Ok(())
    })?;
    r
}

fn bitop(ctx: &mut Ctx) -> CmdResult {
    #[derive(PartialEq, Clone, Copy)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let args = ctx.args;
    let name = args.get(1);
    let op = if name.eq_ignore_ascii_case(b"and") {
        Op::And
    } else if name.eq_ignore_ascii_case(b"or") {
        Op::Or
    } else if name.eq_ignore_ascii_case(b"xor") {
        Op::Xor
    } else if name.eq_ignore_ascii_case(b"not") {
        Op::Not
    } else {
        return Err(err::SYNTAX);
    };
    if op == Op::Not && args.len() != 4 {
        return Err(CmdError::new(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    // Sources are copied out first: the destination may be one of them.
    let mut srcs: Vec<Vec<u8>> = Vec::with_capacity(args.len() - 3);
    for j in 3..args.len() {
        let v = with_bytes(ctx, args.get(j), |_, v| v.map(|b| b.to_vec()))?;
        srcs.push(v.unwrap_or_default());
    }
    let maxlen = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let target = args.get(2);
    let now = ctx.srv.now_ms;
    if maxlen == 0 {
        if ctx.db().remove(target, now).is_some() {
            ctx.changed(ntf::GENERIC, b"del", target);
        }
        ctx.client.reply.int(0);
        return Ok(());
    }
    let mut res = vec![0u8; maxlen];
    let byte = |s: &Vec<u8>, i: usize| s.get(i).copied().unwrap_or(0);
    match op {
        Op::Not => {
            for (i, r) in res.iter_mut().enumerate() {
                *r = !byte(&srcs[0], i);
            }
        }
        _ => {
            res[..srcs[0].len()].copy_from_slice(&srcs[0]);
            for s in &srcs[1..] {
                for (i, r) in res.iter_mut().enumerate() {
                    let c = byte(s, i);
                    match op {
                        Op::And => *r &= c,
                        Op::Or => *r |= c,
                        _ => *r ^= c,
                    }
                }
            }
        }
    }
    let mut v = StrVal::from_bytes(b"");
    *v.make_raw() = res;
    ctx.db().insert(target, Value::Str(v), false);
    ctx.changed(ntf::STRING, b"set", target);
    ctx.client.reply.int(maxlen as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// BITFIELD

#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq)]
enum FieldOp {
    Get,
    Set,
    Incrby,
}

struct Field {
    op: FieldOp,
    offset: u64,
    value: i64,
    overflow: Overflow,
    bits: u32,
    signed: bool,
}

/// Redis's `getBitfieldTypeFromArgument`: `i1`..`i64` or `u1`..`u63`.
/// Redis reads the width with `strlen`, so it stops at a NUL byte.
fn field_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(BAD_TYPE),
    };
    let rest = &arg[1..];
    let rest = &rest[..rest.iter().position(|&c| c == 0).unwrap_or(rest.len())];
    match parse_i64(rest) {
        Some(n) if n >= 1 && n <= if signed { 64 } else { 63 } => Ok((signed, n as u32)),
        _ => Err(BAD_TYPE),
    }
}

fn get_unsigned(p: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for j in 0..bits as u64 {
        let o = offset + j;
        let byte = p.get((o >> 3) as usize).copied().unwrap_or(0);
        v = (v << 1) | ((byte >> (7 - (o & 7))) & 1) as u64;
    }
    v
}

fn get_signed(p: &[u8], offset: u64, bits: u32) -> i64 {
    let mut v = get_unsigned(p, offset, bits) as i64;
    if bits < 64 && v & (1i64 << (bits - 1)) != 0 {
        v |= -1i64 << bits;
    }
    v
}

fn set_unsigned(p: &mut [u8], offset: u64, bits: u32, value: u64) {
    for j in 0..bits as u64 {
        let bit = (value >> (bits as u64 - 1 - j)) & 1;
        let o = offset + j;
        let byte = (o >> 3) as usize;
        let mask = 1u8 << (7 - (o & 7));
        if let Some(c) = p.get_mut(byte) {
            if bit == 1 {
                *c |= mask;
            } else {
                *c &= !mask;
            }
        }
    }
}

/// Redis's `checkUnsignedBitfieldOverflow`: Some(value to store) when the
/// operation overflows (the wrapped or saturated value; irrelevant for
/// FAIL), None when it does not.
fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max = (1u64 << bits) - 1;
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrap = || value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > maxincr) {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => max,
        })
    } else if incr < 0 && incr < minincr {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => 0,
        })
    } else {
        None
    }
}

/// Redis's `checkSignedBitfieldOverflow`, same contract.
fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max: i64 = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => max,
        })
    } else if value < min
        || (bits != 64 && incr < minincr)
        || (value < 0 && incr < 0 && incr < minincr)
    {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => min,
        })
    } else {
        None
    }
}

fn bitfield(ctx: &mut Ctx) -> CmdResult {
    bitfield_generic(ctx, false)
}

fn bitfield_ro(ctx: &mut Ctx) -> CmdResult {
    bitfield_generic(ctx, true)
}

fn bitfield_generic(ctx: &mut Ctx, ro_cmd: bool) -> CmdResult {
    let args = ctx.args;
    let mut ops: Vec<Field> = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut readonly = true;
    let mut highest: u64 = 0;
    let mut j = 2;
    while j < args.len() {
        let rem = args.len() - j - 1;
        let sub = args.get(j);
        let op = if sub.eq_ignore_ascii_case(b"get") && rem >= 2 {
            FieldOp::Get
        } else if sub.eq_ignore_ascii_case(b"set") && rem >= 3 {
            FieldOp::Set
        } else if sub.eq_ignore_ascii_case(b"incrby") && rem >= 3 {
            FieldOp::Incrby
        } else if sub.eq_ignore_ascii_case(b"overflow") && rem >= 1 {
            let t = args.get(j + 1);
            overflow = if t.eq_ignore_ascii_case(b"wrap") {
                Overflow::Wrap
            } else if t.eq_ignore_ascii_case(b"sat") {
                Overflow::Sat
            } else if t.eq_ignore_ascii_case(b"fail") {
                Overflow::Fail
            } else {
                return Err(CmdError::new("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(err::SYNTAX);
        };
        let (signed, bits) = field_type(args.get(j + 1))?;
        let offset = bit_offset(ctx, args.get(j + 2), true, bits)?;
        let mut value = 0;
        if op != FieldOp::Get {
            readonly = false;
            highest = highest.max(offset + bits as u64 - 1);
            value = parse_i64(args.get(j + 3)).ok_or(err::NOT_INT)?;
        }
        ops.push(Field {
            op,
            offset,
            value,
            overflow,
            bits,
            signed,
        });
        j += if op == FieldOp::Get { 3 } else { 4 };
    }
    let key = args.get(1);
    if readonly {
        return with_bytes(ctx, key, |client, v| {
            let p = v.unwrap_or(&[]);
            let reply = &mut client.reply;
            reply.array(ops.len());
            for f in &ops {
                if f.signed {
                    reply.int(get_signed(p, f.offset, f.bits));
                } else {
                    reply.int(get_unsigned(p, f.offset, f.bits) as i64);
                }
            }
        });
    }
    if ro_cmd {
        return Err(CmdError::new(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    // `bit_offset` bounded each offset by proto-max-bulk-len; a field may
    // reach up to 63 bits past it, as in Redis.
    let now = ctx.srv.now_ms;
    let mut created = false;
    if ctx.srv.config.notify_keyspace_events != 0 {
        // Create the key first so its `new` event precedes the reply.
        created = bits_for_write(&mut ctx.srv.dbs[ctx.client.db], key, now, highest)?.1;
        ntf::flush_logged(ctx.srv, ctx.client);
    }
    let (p, grown) = bits_for_write(&mut ctx.srv.dbs[ctx.client.db], key, now, highest)?;
    // As Redis 7.0: a write counts as a change (one `dirty` each) only when
    // the key was created or grew, or the field's value differs.
    let dirty = created || grown;
    let reply = &mut ctx.client.reply;
    reply.array(ops.len());
    let mut changes = 0;
    for f in &ops {
        match (f.op, f.signed) {
            (FieldOp::Get, true) => reply.int(get_signed(p, f.offset, f.bits)),
            (FieldOp::Get, false) => reply.int(get_unsigned(p, f.offset, f.bits) as i64),
            (_, true) => {
                let old = get_signed(p, f.offset, f.bits);
                let (of, new, ret) = if f.op == FieldOp::Incrby {
                    let of = signed_overflow(old, f.value, f.bits, f.overflow);
                    let new = of.unwrap_or_else(|| old.wrapping_add(f.value));
                    (of.is_some(), new, new)
                } else {
                    let of = signed_overflow(f.value, 0, f.bits, f.overflow);
                    (of.is_some(), of.unwrap_or(f.value), old)
                };
                if of && f.overflow == Overflow::Fail {
                    reply.null();
                } else {
                    reply.int(ret);
                    set_unsigned(p, f.offset, f.bits, new as u64);
                    if dirty || old != new {
                        changes += 1;
                    }
                }
            }
            (_, false) => {
                let old = get_unsigned(p, f.offset, f.bits);
                let (of, new, ret) = if f.op == FieldOp::Incrby {
                    let of = unsigned_overflow(old, f.value, f.bits, f.overflow);
                    let new = of.unwrap_or_else(|| old.wrapping_add(f.value as u64));
                    (of.is_some(), new, new)
                } else {
                    let v = f.value as u64;
                    let of = unsigned_overflow(v, 0, f.bits, f.overflow);
                    (of.is_some(), of.unwrap_or(v), old)
                };
                if of && f.overflow == Overflow::Fail {
                    reply.null();
                } else {
                    reply.int(ret as i64);
                    set_unsigned(p, f.offset, f.bits, new);
                    if dirty || old != new {
                        changes += 1;
                    }
                }
            }
        }
    }
    if changes > 0 {
        ctx.changed(ntf::STRING, b"setbit", key);
        ctx.srv.stats.dirty += changes - 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popcount_matches_naive() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 37 % 251) as u8).collect();
        for len in [0, 1, 7, 8, 9, 63, 64, 65, 1000] {
            let naive: u64 = data[..len].iter().map(|c| c.count_ones() as u64).sum();
            assert_eq!(popcount(&data[..len]), naive);
        }
    }

    #[test]
    fn bitpos_finds_first_bit() {
        assert_eq!(bitpos_in(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10], true), 75);
        assert_eq!(bitpos_in(&[0xff; 9], false), 72);
        assert_eq!(bitpos_in(&[0xff, 0xfe], false), 15);
        assert_eq!(bitpos_in(&[], true), -1);
        assert_eq!(bitpos_in(&[], false), 0);
        assert_eq!(bitpos_in(&[0; 16], true), -1);
    }

    #[test]
    fn fields_round_trip() {
        let mut p = vec![0u8; 16];
        set_unsigned(&mut p, 5, 13, 0x1abc);
        assert_eq!(get_unsigned(&p, 5, 13), 0x1abc);
        set_unsigned(&mut p, 3, 64, (-2i64) as u64);
        assert_eq!(get_signed(&p, 3, 64), -2);
        set_unsigned(&mut p, 0, 4, 0b1111);
        assert_eq!(get_signed(&p, 0, 4), -1);
    }

    #[test]
    fn overflow_rules() {
        assert_eq!(signed_overflow(127, 1, 8, Overflow::Wrap), Some(-128));
        assert_eq!(signed_overflow(127, 1, 8, Overflow::Sat), Some(127));
        assert_eq!(signed_overflow(-128, -1, 8, Overflow::Sat), Some(-128));
        assert_eq!(signed_overflow(100, 27, 8, Overflow::Wrap), None);
        assert_eq!(unsigned_overflow(255, 1, 8, Overflow::Wrap), Some(0));
        assert_eq!(unsigned_overflow(0, -1, 8, Overflow::Sat), Some(0));
        assert_eq!(unsigned_overflow(u64::MAX, 0, 8, Overflow::Wrap), Some(255));
        assert_eq!(
            signed_overflow(i64::MAX, 1, 64, Overflow::Wrap),
            Some(i64::MIN)
        );
    }
}
