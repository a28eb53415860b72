//! DEBUG: the test suite's back door (Redis's `debug.c`).
//!
//! DEBUG exists so that tests can look inside the server and poke at it:
//! fingerprint the whole dataset (DIGEST, to compare two servers that should
//! hold the same data), fill it quickly (POPULATE), freeze it (SLEEP), make
//! it send every RESP3 type (PROTOCOL, for client library tests), turn
//! background expiry off (SET-ACTIVE-EXPIRE), show a value's internals
//! (OBJECT, and LISTPACK / QUICKLIST, which dump a compact encoding's
//! layout to stdout as Redis's `lpRepr` / `quicklistRepr` do), make every
//! list element "large" so tests reach the quicklist's plain nodes
//! (QUICKLIST-PACKED-THRESHOLD). Because some of this is dangerous on a production server,
//! Redis 7 refuses DEBUG unless `enable-debug-command` is `yes`, or `local`
//! and the client is on loopback or a unix socket.
//!
//! The digest is Redis's own construction, so a reddish and a Redis holding
//! the same data print the same digest: per key, `mixDigest` the key name,
//! then the value's type (as a big-endian u32) and the value, XOR in the
//! marker `!!expire!!` if the key has a deadline; XOR the SHA-1 of each
//! key's digest into the total, after mixing in the database number. XOR makes the
//! result independent of iteration order; `mix` (XOR in the SHA-1 of the
//! data, then SHA-1 the running digest) makes it depend on order *within*
//! one key's fields.
//!
//! Subcommands that only make sense with machinery reddish does not have
//! (RELOAD and LOADAOF need persistence, MALLCTL needs jemalloc, the crash
//! commands would only crash) answer Redis's unknown-subcommand error.

use super::table::{flags::*, CommandDef};
use super::{err, CmdError, CmdResult, Ctx};
use crate::config::Protected;
use crate::db::keyspace::Db;
use crate::db::object::{StrVal, Value, EMBSTR_MAX};
use crate::util::numbers::{fmt_i64, parse_i64};
use crate::util::sha1::{hex, sha1};

pub static COMMANDS: &[CommandDef] = &[CommandDef::new(
    "debug",
    -2,
    ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED,
    debug,
)
.acl("admin slow dangerous")
.group("server")
.summary("A container for debugging commands")];

pub const NOT_ALLOWED: CmdError = CmdError::new(
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
);

/// Redis's help text for the subcommands we implement, in its order.
const HELP: &[&str] = &[
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "HELP",
    "    Prints this help.",
];

/// Whether `enable-debug-command` lets this client run DEBUG; `execute`
/// checks it for every command flagged PROTECTED, as Redis's processCommand.
pub fn allowed(srv: &crate::server::Server, client: &crate::server::client::Client) -> bool {
    match srv.config.enable_debug_command {
        Protected::Yes => true,
        Protected::Local => client.flags.local,
        Protected::No => false,
    }
}

fn debug(ctx: &mut Ctx) -> CmdResult {
    let sub = ctx.args.get(1);
    let argc = ctx.args.len();
    let is = |name: &str| sub.eq_ignore_ascii_case(name.as_bytes());
    if is("help") && argc == 2 {
        let r = &mut ctx.client.reply;
        r.array(HELP.len());
        for l in HELP {
            r.simple(l.as_bytes());
        }
    } else if is("sleep") && argc == 3 {
        let secs = strtod(ctx.args.get(2));
        if secs > 0.0 && secs.is_finite() {
            // The point of DEBUG SLEEP is to freeze the whole server.
            std::thread::sleep(std::time::Duration::from_secs_f64(secs.min(1e9)));
        }
        ctx.client.reply.ok();
    } else if is("protocol") && argc == 3 {
        protocol(ctx)?;
    } else if is("set-active-expire") && argc == 3 {
        ctx.srv.active_expire_enabled = atoi(ctx.args.get(2)) != 0;
        ctx.client.reply.ok();
    } else if is("object") && argc == 3 {
        object(ctx)?;
    } else if is("listpack") && argc == 3 {
        listpack_repr(ctx)?;
    } else if is("quicklist") && (argc == 3 || argc == 4) {
        quicklist_repr(ctx)?;
    } else if is("quicklist-packed-threshold") && argc == 3 {
        // A C string ends at the first NUL.
        let arg = ctx.args.get(2);
        let arg = &arg[..arg.iter().position(|&c| c == 0).unwrap_or(arg.len())];
        let ok = std::str::from_utf8(arg)
            .ok()
            .and_then(crate::config::memtoull)
            .is_some_and(crate::types::quicklist::set_packed_threshold);
        if !ok {
            return Err(CmdError::new(
                "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
            ));
        }
        ctx.client.reply.ok();
    } else if is("digest") && argc == 2 {
        let d = dataset_digest(&ctx.srv.dbs);
        ctx.client.reply.simple(&hex(&d));
    } else if is("digest-value") && argc >= 2 {
        let db = &mut ctx.srv.dbs[ctx.client.db];
        let r = &mut ctx.client.reply;
        r.array(argc - 2);
        for key in ctx.args.iter().skip(2) {
            let mut d = [0u8; 20];
            let has_deadline = db.expire_at(key).is_some();
            if let Some(v) = db.lookup(key, NO_EXPIRY) {
                value_digest(v, has_deadline, &mut d);
            }
            r.simple(&hex(&d));
        }
    } else if is("populate") && (3..=5).contains(&argc) {
        populate(ctx)?;
    } else if is("error") && argc == 3 {
        // The text goes out verbatim after the `-`, code or not.
        let msg = String::from_utf8_lossy(ctx.args.get(2)).into_owned();
        return Err(CmdError::owned(msg));
    } else if is("log") && argc == 3 {
        log::warn!("DEBUG LOG: {}", String::from_utf8_lossy(ctx.args.get(2)));
        ctx.client.reply.ok();
    } else if is("stringmatch-test") && argc == 2 {
        stringmatch_fuzz();
        ctx.client
            .reply
            .simple(b"Apparently Redis did not crash: test passed");
    } else {
        let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
        return Err(CmdError::owned(format!(
            "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try DEBUG HELP."
        )));
    }
    Ok(())
}

/// C's `strtod` on a prefix: the longest leading number, 0 if none.
fn strtod(s: &[u8]) -> f64 {
    let s = std::str::from_utf8(s).unwrap_or("").trim_start();
    (1..=s.len().min(64))
        .rev()
        .filter(|&n| s.is_char_boundary(n))
        .find_map(|n| s[..n].parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// C's `atoi`: optional sign and leading digits, 0 if none.
fn atoi(s: &[u8]) -> i64 {
    let s: &[u8] = {
        let start = s
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .unwrap_or(s.len());
        &s[start..]
    };
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        n = n.wrapping_mul(10).wrapping_add((c - b'0') as i64);
    }
    if neg {
        -n
    } else {
        n
    }
}

fn protocol(ctx: &mut Ctx) -> CmdResult {
    let name = ctx.args.get(2);
    let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
    let r = &mut ctx.client.reply;
    if is("string") {
        r.bulk(b"Hello World");
    } else if is("integer") {
        r.int(12345);
    } else if is("double") {
        // Redis's test value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        r.double(3.141);
    } else if is("bignum") {
        r.big_number(b"1234567999999999999999999999999999999");
    } else if is("null") {
        r.null();
    } else if is("array") || is("set") {
        if is("array") {
            r.array(3);
        } else {
            r.set(3);
        }
        for j in 0..3 {
            r.int(j);
        }
    } else if is("map") {
        r.map(3);
        for j in 0..3 {
            r.int(j);
            r.boolean(j == 1);
        }
    } else if is("attrib") {
        if r.resp3() {
            r.attribute(1);
            r.bulk(b"key-popularity");
            r.array(2);
            r.bulk(b"key:123");
            r.int(90);
        }
        // An attribute decorates a reply; a real one must follow it.
        r.bulk(b"Some real reply following the attribute");
    } else if is("push") {
        if !r.resp3() {
            return Err(CmdError::new("ERR RESP2 is not supported by this command"));
        }
        r.push(2);
        r.bulk(b"server-cpu-usage");
        r.int(42);
        // Push data is out of band; the command still owes its caller a reply.
        r.bulk(b"Some real reply following the push reply");
    } else if is("true") {
        r.boolean(true);
    } else if is("false") {
        r.boolean(false);
    } else if is("verbatim") {
        r.verbatim(b"This is a verbatim\nstring", b"txt");
    } else {
        return Err(CmdError::new("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"));
    }
    Ok(())
}

/// The "now" DEBUG reads the keyspace at: before every deadline, so no key
/// counts as expired. Redis's DEBUG reads with `dictFind`, not `lookupKey`:
/// a debug command must not change what it inspects, and logically expired
/// keys still count.
const NO_EXPIRY: i64 = i64::MIN;

/// Redis's `mixDigest`: XOR in the SHA-1 of `data`, then re-hash the digest.
fn mix(digest: &mut [u8; 20], data: &[u8]) {
    xor(digest, data);
    *digest = sha1(&digest[..]);
}

/// Redis's `xorDigest`: XOR in the SHA-1 of `data`.
fn xor(digest: &mut [u8; 20], data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(data)) {
        *d ^= h;
    }
}

/// Redis's type numbers (`OBJ_STRING` ...), which the digest mixes in.
fn type_code(v: &Value) -> u32 {
    match v {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
    }
}

/// Redis's `xorObjectDigest`: the value's type and content, and whether it
/// has a deadline. For the collection types Redis's rules are: a list mixes
/// each element in order; a set XORs in the SHA-1 of each member (order
/// free); a hash XORs in, per field, a fresh digest of mix(field) then
/// mix(value); a sorted set likewise with mix(member) then mix(score as
/// `%.17g`).
fn value_digest(v: &Value, has_deadline: bool, digest: &mut [u8; 20]) {
    mix(digest, &type_code(v).to_be_bytes());
    match v {
        Value::Str(s) => {
            let mut tmp = [0u8; 24];
            mix(digest, s.bytes(&mut tmp));
        }
        Value::List(l) => l.ql.for_each(0, false, |e| {
            let mut tmp = [0u8; 24];
            mix(digest, e.as_bytes(&mut tmp));
            true
        }),
        Value::Hash(h) => {
            h.for_each(|k, val| {
                let mut d = [0u8; 20];
                mix(&mut d, k);
                mix(&mut d, val);
                xor(digest, &d);
            });
        }
        Value::Set(v) => v.for_each(|m| match m {
            crate::types::set_value::Member::Int(n) => xor(digest, n.to_string().as_bytes()),
            crate::types::set_value::Member::Bytes(b) => xor(digest, b),
        }),
        Value::ZSet(z) => {
            let mut buf = [0u8; 40];
            z.for_each(|m, sc| {
                let mut ele = [0u8; 20];
                mix(&mut ele, m);
                mix(&mut ele, crate::util::numbers::fmt_double(sc, &mut buf));
                xor(digest, &ele);
            });
        }
        // As Redis: each entry mixes in "<ms>.<seq>", then its fields and
        // values in order; groups are not part of the digest.
        Value::Stream(s) => s.for_each(|e| {
            let id = format!("{}.{}", e.id.ms, e.id.seq);
            mix(digest, id.as_bytes());
            let mut a = [0u8; 24];
            let mut b = [0u8; 24];
            e.for_each(|f, v| {
                mix(digest, f.as_bytes(&mut a));
                mix(digest, v.as_bytes(&mut b));
            });
            true
        }),
    }
    if has_deadline {
        xor(digest, b"!!expire!!");
    }
}

/// Redis's `computeDatasetDigest`: all zeros for an empty dataset.
pub fn dataset_digest(dbs: &[Db]) -> [u8; 20] {
    let mut total = [0u8; 20];
    for (id, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        mix(&mut total, &(id as u32).to_be_bytes());
        db.for_each_key(NO_EXPIRY, |k, v| {
            let mut d = [0u8; 20];
            mix(&mut d, k);
            value_digest(v, db.expire_at(k).is_some(), &mut d);
            // Redis XORs in the SHA-1 of the key's digest, not the digest.
            xor(&mut total, &d);
        });
    }
    total
}

/// Redis's `getPositiveLongFromObjectOrReply` error, for bad text too.
fn positive(arg: &[u8]) -> Result<i64, CmdError> {
    parse_i64(arg).filter(|&n| n >= 0).ok_or(err::NOT_POSITIVE)
}

fn populate(ctx: &mut Ctx) -> CmdResult {
    let count = positive(ctx.args.get(2))?;
    // Redis first grows the table to hold `count` keys and answers this
    // error if it cannot; we refuse a count whose bucket array alone could
    // not fit in the machine, instead of looping until memory runs out.
    if count as u128 * 8 > super::info::total_system_memory() as u128 {
        return Err(CmdError::new("ERR OOM in dictTryExpand"));
    }
    let size = if ctx.args.len() == 5 {
        positive(ctx.args.get(4))? as usize
    } else {
        0
    };
    let prefix: &[u8] = if ctx.args.len() >= 4 {
        ctx.args.get(3)
    } else {
        b"key"
    };
    let now = ctx.srv.now_ms;
    let db = &mut ctx.srv.dbs[ctx.client.db];
    let mut key = Vec::new();
    let mut num = [0u8; 24];
    for j in 0..count {
        let n = fmt_i64(j, &mut num);
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        key.extend_from_slice(n);
        // Redis formats into a 128-byte buffer: longer names are cut there.
        key.truncate(127);
        if db.lookup(&key, now).is_some() {
            continue;
        }
        let mut val = b"value:".to_vec();
        val.extend_from_slice(n);
        if size > 0 {
            // A value of exactly `size` bytes: the text, cut or zero-padded.
            val.resize(size, 0);
        }
        // Redis creates these with createStringObject, never as integers.
        let sv = if val.len() <= EMBSTR_MAX {
            StrVal::Emb(val.into())
        } else {
            StrVal::Raw(val)
        };
        db.insert(&key, Value::Str(sv), false);
    }
    ctx.client.reply.ok();
    Ok(())
}

/// Bytes Redis's `rdbSaveLen` takes for a length.
fn rdb_len_size(n: u64) -> usize {
    if n < 1 << 6 {
        1
    } else if n < 1 << 14 {
        2
    } else if n <= u32::MAX as u64 {
        5
    } else {
        9
    }
}

/// Bytes of Redis's compact integer encoding, if `v` fits one.
fn rdb_int_size(v: i64) -> Option<usize> {
    if (-(1 << 7)..(1 << 7)).contains(&v) {
        Some(2)
    } else if (-(1 << 15)..(1 << 15)).contains(&v) {
        Some(3)
    } else if (-(1i64 << 31)..(1i64 << 31)).contains(&v) {
        Some(5)
    } else {
        None
    }
}

/// A quicklist's RDB_TYPE_LIST_QUICKLIST_2 size: the node count, then per
/// node its container kind (1 plain, 2 packed) and its listpack or plain
/// element as a string (`rdbSaveRawString`: LZF-compressed when that pays);
/// LZF nodes are written as they are stored: compressed length, raw
/// length, stream.
fn list_serialized_len(l: &crate::types::list_value::ListVal) -> usize {
    use crate::types::quicklist::NodeView;
    let mut n = rdb_len_size(l.ql.node_count() as u64);
    for node in l.ql.nodes() {
        n += rdb_len_size(node.container() as u64);
        n += match node {
            NodeView::Raw(b) => raw_string_len(&b),
            NodeView::Plain(b) => raw_string_len(b),
            // Our LZF encoder is not byte-identical to liblzf; the size
            // Redis reports is that of liblzf's output for the same bytes.
            NodeView::Lzf(z, sz) | NodeView::PlainLzf(z, sz) => {
                let raw = crate::types::lzf::decompress(z, sz).unwrap_or_default();
                match lzf_compressed_len(&raw, sz) {
                    c if c > 0 && c + 8 < sz => {
                        1 + rdb_len_size(c as u64) + rdb_len_size(sz as u64) + c
                    }
                    _ => raw_string_len(&raw),
                }
            }
        };
    }
    n
}

/// What Redis's `rdbSavedObjectLen` reports for a string value: a small
/// integer (or a short string that is one, in canonical form) as a compact
/// integer; a string over 20 bytes LZF-compressed when that saves at least
/// four bytes (type byte, both lengths, the compressed bytes); anything else
/// as length plus bytes.
fn serialized_len(s: &StrVal) -> usize {
    let mut tmp = [0u8; 24];
    let bytes = s.bytes(&mut tmp);
    // An integer's digits are too short to compress: one path for all.
    raw_string_len(bytes)
}

/// `rdbSaveRawString`'s size for `bytes`.
fn raw_string_len(bytes: &[u8]) -> usize {
    let as_int = if bytes.len() <= 11 {
        parse_i64(bytes).filter(|n| {
            let mut t = [0u8; 24];
            fmt_i64(*n, &mut t) == bytes
        })
    } else {
        None
    };
    if let Some(size) = as_int.and_then(rdb_int_size) {
        return size;
    }
    let len = bytes.len();
    if len > 20 {
        let comp = lzf_compressed_len(bytes, len - 4);
        if comp > 0 {
            return 1 + rdb_len_size(comp as u64) + rdb_len_size(len as u64) + comp;
        }
    }
    rdb_len_size(len as u64) + len
}

/// Size of the output of liblzf's `lzf_compress` (as built into Redis:
/// 16-bit hash, the VERY_FAST variant), or 0 if it does not fit in
/// `out_len` bytes. The RDB writer will need the bytes themselves; DEBUG
/// OBJECT needs only their count, but that count must be the one Redis
/// computes, so this follows the reference encoder step by step: literal
/// runs of up to 32 bytes behind a length byte, back references of 3 to
/// 264 bytes up to 8 KB back found through a hash of the next three bytes.
fn lzf_compressed_len(inp: &[u8], out_len: usize) -> usize {
    const HLOG: u32 = 16;
    const HSIZE: usize = 1 << HLOG;
    const MAX_LIT: usize = 1 << 5;
    const MAX_OFF: usize = 1 << 13;
    const MAX_REF: usize = (1 << 8) + (1 << 3);
    let in_len = inp.len();
    if in_len < 3 || out_len == 0 {
        return 0;
    }
    // Offsets into `inp`; 0 never matches (`ref > in_data` in C).
    let mut htab = vec![0u32; HSIZE];
    // Slack past out_len: the reference writes a few bytes before it checks.
    let mut out = vec![0u8; out_len + 8];
    let frst = |p: usize| ((inp[p] as u32) << 8) | inp[p + 1] as u32;
    let next = |v: u32, p: usize| (v << 8) | inp[p + 2] as u32;
    let idx = |h: u32| ((h >> (24 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1);
    let (mut ip, mut op, mut lit) = (0usize, 1usize, 0usize);
    let mut hval = frst(ip);
    while ip < in_len - 2 {
        hval = next(hval, ip);
        let slot = idx(hval);
        let r = htab[slot] as usize;
        htab[slot] = ip as u32;
        if r > 0
            && r < ip
            && ip - r - 1 < MAX_OFF
            && inp[r + 2] == inp[ip + 2]
            && inp[r] == inp[ip]
            && inp[r + 1] == inp[ip + 1]
        {
            let off = ip - r - 1;
            let mut len = 2;
            let maxlen = (in_len - ip - len).min(MAX_REF);
            if op + 3 + 1 >= out_len && op - usize::from(lit == 0) + 3 + 1 >= out_len {
                return 0;
            }
            out[op - lit - 1] = (lit as u8).wrapping_sub(1);
            op -= usize::from(lit == 0);
            // The reference unrolls 16 probes before its general loop; the
            // probe count shapes where long matches end, so keep it.
            let mut matched = true;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if inp[r + len] != inp[ip + len] {
                        matched = false;
                        break;
                    }
                }
            }
            if matched {
                loop {
                    len += 1;
                    if !(len < maxlen && inp[r + len] == inp[ip + len]) {
                        break;
                    }
                }
            }
            len -= 2;
            ip += 1;
            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 2; // the offset byte, then room for the next run's length
            lit = 0;
            ip += len + 1;
            if ip >= in_len - 2 {
                break;
            }
            ip -= 2;
            hval = frst(ip);
            for _ in 0..2 {
                hval = next(hval, ip);
                htab[idx(hval)] = ip as u32;
                ip += 1;
            }
        } else {
            if op >= out_len {
                return 0;
            }
            lit += 1;
            out[op] = inp[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
    }
    if op + 3 > out_len {
        return 0;
    }
    while ip < in_len {
        lit += 1;
        out[op] = inp[ip];
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op - usize::from(lit == 0)
}

fn object(ctx: &mut Ctx) -> CmdResult {
    let db = &mut ctx.srv.dbs[ctx.client.db];
    let key = ctx.args.get(2);
    // As Redis's DEBUG OBJECT: no LRU touch, so the idle time is real.
    let idle_secs = db.idle_secs_raw(key).ok_or(err::NO_KEY)?;
    let lru = db.lru_field(key).ok_or(err::NO_KEY)?;
    let v = db.peek(key, NO_EXPIRY).ok_or(err::NO_KEY)?;
    // Redis shares the integers 0..9999 between all keys, marking them with
    // an unkillable refcount; the same values show the same here.
    let refcount: i64 = match v {
        Value::Str(StrVal::Int(n)) if (0..10000).contains(n) => i32::MAX as i64,
        _ => 1,
    };
    let serialized = match v {
        Value::Str(s) => serialized_len(s),
        Value::List(l) => list_serialized_len(l),
        Value::Hash(h) => match h {
            crate::types::hash_value::HashVal::Listpack(lp) => lp.bytes(),
            _ => 0,
        },
        // Approximate: the RDB form (intset blob, or one string per member).
        Value::Set(v) => match v {
            crate::types::set_value::SetVal::Int(i) => i.bytes() + 2,
            crate::types::set_value::SetVal::Hash(h) => {
                let mut n = 1;
                h.for_each(|e| n += e.key().len() + 1);
                n
            }
        },
        // Not the RDB size: an estimate until RDB lands for sorted sets.
        Value::ZSet(z) => z.bytes(),
        // Not the RDB size: an estimate until RDB lands for streams.
        Value::Stream(s) => s.heap_size(),
    };
    let mut line = format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        v as *const Value,
        refcount,
        v.encoding(),
        serialized,
        lru,
        idle_secs
    );
    if let Value::List(l) = v {
        // Redis's quicklist extras (an empty list never exists as a key).
        let ql = &l.ql;
        line.push_str(&format!(
            " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
            ql.node_count(),
            ql.len() as f64 / ql.node_count().max(1) as f64,
            ql.fill(),
            u8::from(ql.compress_depth() != 0),
            ql.uncompressed_bytes()
        ));
    }
    ctx.client.reply.simple(line.as_bytes());
    Ok(())
}

/// Writes a structure dump where Redis's `printf` would: our stdout.
fn print_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    // A closed stdout must not fail the command (Redis ignores it too).
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// DEBUG LISTPACK: `lpRepr` of a listpack-encoded value (small hash or
/// sorted set) on stdout. Lists are never `listpack` in 7.0.
fn listpack_repr(ctx: &mut Ctx) -> CmdResult {
    use crate::types::hash_value::HashVal;
    use crate::types::listpack::Listpack;
    use crate::types::zset_value::ZSetVal;
    let db = &mut ctx.srv.dbs[ctx.client.db];
    let v = db
        .peek(ctx.args.get(2), ctx.srv.now_ms)
        .ok_or(err::NO_KEY)?;
    let lp = match v {
        Value::Hash(HashVal::Listpack(lp)) => Some(lp.repr()),
        // The sorted set's listpack is private to its type; rebuild the
        // same entries (member, then score as `zzlInsertAt` stores it).
        Value::ZSet(z @ ZSetVal::Listpack(_)) => {
            let mut lp = Listpack::new();
            let mut buf = [0u8; 40];
            z.for_each(|m, sc| {
                lp.push_back(m);
                lp.push_back(crate::util::numbers::fmt_double(sc, &mut buf));
            });
            Some(lp.repr())
        }
        _ => return Err(CmdError::new("ERR Not a listpack encoded object.")),
    };
    if let Some(text) = lp {
        print_stdout(&text);
    }
    ctx.client
        .reply
        .simple(b"Listpack structure printed on stdout");
    Ok(())
}

/// DEBUG QUICKLIST <key> [full]: `quicklistRepr` of a list on stdout;
/// `full` (C `atoi`, nonzero) adds every node's entries.
fn quicklist_repr(ctx: &mut Ctx) -> CmdResult {
    let full = ctx.args.len() == 4 && atoi(ctx.args.get(3)) != 0;
    let db = &mut ctx.srv.dbs[ctx.client.db];
    let v = db
        .peek(ctx.args.get(2), ctx.srv.now_ms)
        .ok_or(err::NO_KEY)?;
    let Value::List(l) = v else {
        return Err(CmdError::new("ERR Not a quicklist encoded object."));
    };
    print_stdout(&l.ql.repr(full));
    ctx.client
        .reply
        .simple(b"Quicklist structure printed on stdout");
    Ok(())
}

/// Redis's `stringmatchlen_fuzz_test`: random patterns against random
/// strings, to show the matcher survives anything. Uses a small xorshift
/// so the test needs no dependency.
fn stringmatch_fuzz() {
    let mut x: u64 = crate::server::unix_us() as u64 | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut pat = [0u8; 32];
    let mut s = [0u8; 32];
    for _ in 0..1000 {
        let plen = (next() % 32) as usize;
        let slen = (next() % 32) as usize;
        for b in pat.iter_mut().take(plen) {
            *b = (next() % 128) as u8;
        }
        for b in s.iter_mut().take(slen) {
            *b = (next() % 128) as u8;
        }
        crate::util::glob::matches(&pat[..plen], &s[..slen], false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialized_lengths_as_rdb() {
        assert_eq!(serialized_len(&StrVal::from_bytes(b"bar")), 4);
        assert_eq!(serialized_len(&StrVal::Int(5)), 2);
        assert_eq!(serialized_len(&StrVal::Int(1000)), 3);
        assert_eq!(serialized_len(&StrVal::Int(100_000)), 5);
        assert_eq!(serialized_len(&StrVal::Int(1 << 40)), 1 + 13);
        assert_eq!(serialized_len(&StrVal::Emb(b"12".to_vec().into())), 2);
        assert_eq!(serialized_len(&StrVal::Emb(b"012".to_vec().into())), 4);
    }

    fn populated(n: usize) -> StrVal {
        let mut v = b"value:0".to_vec();
        v.resize(n, 0);
        StrVal::Raw(v)
    }

    #[test]
    fn serialized_lengths_compress_as_redis() {
        // Redis 7.0.15, DEBUG OBJECT serializedlength of the same values.
        for (size, want) in [
            (21, 18),
            (25, 18),
            (30, 18),
            (50, 18),
            (100, 19),
            (1000, 28),
            (100000, 1157),
        ] {
            assert_eq!(serialized_len(&populated(size)), want, "size {size}");
        }
        let abc = b"abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabc";
        assert_eq!(serialized_len(&StrVal::Raw(abc.to_vec())), 14);
        assert_eq!(serialized_len(&StrVal::Raw(b"hello world ".repeat(50))), 30);
        assert_eq!(serialized_len(&StrVal::from_bytes(&[b'x'; 21])), 9);
        let mut fox = b"The quick brown fox jumps over the lazy dog. ".repeat(30);
        fox.extend(0..=255u8);
        assert_eq!(serialized_len(&StrVal::Raw(fox)), 333);
        // Incompressible: stored as is.
        let mut x: u64 = 88172645463325252;
        let noise: Vec<u8> = (0..300)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        assert_eq!(serialized_len(&StrVal::Raw(noise)), 302);
    }

    #[test]
    fn c_number_prefixes() {
        assert_eq!(atoi(b"12abc"), 12);
        assert_eq!(atoi(b" -3"), -3);
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(strtod(b"0.5s"), 0.5);
        assert_eq!(strtod(b"abc"), 0.0);
    }

    #[test]
    fn digest_of_one_string_key_matches_redis() {
        // Redis 7.0.15: SET foo bar; DEBUG DIGEST-VALUE foo.
        let v = Value::Str(StrVal::from_bytes(b"bar"));
        let mut d = [0u8; 20];
        value_digest(&v, false, &mut d);
        assert_eq!(&hex(&d), b"68467c70ae30376e7ce005bcc8827f5ba7fd67dc");
    }

    #[test]
    fn dataset_digest_matches_redis() {
        // Redis 7.0.15: DEBUG POPULATE 10; DEBUG DIGEST.
        let mut dbs = vec![Db::new(), Db::new()];
        for j in 0..10 {
            let k = format!("key:{j}");
            let v = format!("value:{j}");
            dbs[0].insert(
                k.as_bytes(),
                Value::Str(StrVal::Emb(v.as_bytes().into())),
                false,
            );
        }
        assert_eq!(
            &hex(&dataset_digest(&dbs)),
            b"ce5fa32eaf7d2733ec09b3abf74f796f92299e37"
        );
    }

    #[test]
    fn empty_dataset_digest_is_zero() {
        let dbs = vec![Db::new(), Db::new()];
        assert_eq!(dataset_digest(&dbs), [0u8; 20]);
    }

    #[test]
    fn sha1_streaming_is_used_consistently() {
        let mut s = crate::util::sha1::Sha1::new();
        s.update(b"ab");
        s.update(b"c");
        assert_eq!(s.finish(), sha1(b"abc"));
    }
}
