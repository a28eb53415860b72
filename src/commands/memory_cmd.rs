//! MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP (Redis's
//! `memoryCommand` in `object.c`).
//!
//! Redis answers from its allocator counter (`zmalloc_used_memory`) and
//! per-object size estimates (`objectComputeSize`). We read the exact
//! counter of our counting global allocator (`server::memory`) for the
//! totals. MEMORY USAGE estimates one key as Redis does: the table entry,
//! the key bytes and the value's heap, with each collection type reporting
//! its own allocations (`mem_usage` on the value types: exact for compact
//! encodings, sampled elements for tables, skiplists and quicklists). The
//! sizes are the ones our allocator counter sees, so a key's MEMORY USAGE
//! matches the `used_memory` it added; figures differ from Redis's
//! (jemalloc size classes, `robj`, `dictEntry`) though they scale alike.

use super::info::allocator_stats;
use super::table::{flags::*, CommandDef};
use super::{err, CmdResult, Ctx};
use crate::db::dict::Dict;
use crate::db::object::Value;
use crate::server::memory;
use crate::util::numbers::parse_i64;

pub static COMMANDS: &[CommandDef] = &[CommandDef::new("memory", -2, 0, container)
    .acl("slow")
    .group("server")
    .since("4.0.0")
    .summary("A container for memory diagnostics commands")
    .subs(SUBCOMMANDS)];

static SUBCOMMANDS: &[CommandDef] = &[
    CommandDef::new("doctor", 2, 0, doctor)
        .acl("slow")
        .group("server")
        .since("4.0.0")
        .summary("Outputs memory problems report"),
    CommandDef::new("help", 2, LOADING | STALE, help)
        .acl("slow")
        .group("server")
        .since("4.0.0")
        .summary("Show helpful text about the different subcommands"),
    CommandDef::new("malloc-stats", 2, 0, malloc_stats)
        .acl("slow")
        .group("server")
        .since("4.0.0")
        .summary("Show allocator internal stats"),
    CommandDef::new("purge", 2, 0, purge)
        .acl("slow")
        .group("server")
        .since("4.0.0")
        .summary("Ask the allocator to release memory"),
    CommandDef::new("stats", 2, 0, stats)
        .acl("slow")
        .group("server")
        .since("4.0.0")
        .summary("Show memory usage details"),
    CommandDef::new("usage", -3, READONLY, usage)
        .keys(2, 2, 1)
        .acl("read slow")
        .group("server")
        .since("4.0.0")
        .summary("Estimate the memory usage of a key"),
];

/// Only reached when the subcommand is unknown, which `execute` answers.
fn container(ctx: &mut Ctx) -> CmdResult {
    Err(err::unknown_subcommand(ctx.args.get(1), "memory"))
}

const HELP: &[&str] = &[
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
];

fn help(ctx: &mut Ctx) -> CmdResult {
    let reply = &mut ctx.client.reply;
    reply.array(HELP.len());
    for line in HELP {
        reply.simple(line.as_bytes());
    }
    Ok(())
}

/// Heap bytes one value holds beyond the 40-byte `Value` that sits in
/// its keyspace entry (Redis's `objectComputeSize`). Compact encodings
/// (embedded strings, listpacks, intsets) are exact; hash tables,
/// skiplists and quicklists count their fixed parts (boxes, bucket
/// arrays, arenas, node arrays) exactly and their elements as the mean
/// of the first `samples` times the element count, as Redis does, so the
/// command stays O(samples) on a collection of millions.
fn value_size(v: &Value, samples: usize) -> usize {
    match v {
        Value::Str(s) => s.heap_size(),
        Value::Stream(s) => s.heap_size(),
        Value::List(l) => l.mem_usage(samples),
        Value::Hash(h) => h.mem_usage(samples),
        Value::Set(s) => s.mem_usage(samples),
        Value::ZSet(z) => z.mem_usage(samples),
    }
}

/// Redis's default `SAMPLES` (`OBJ_COMPUTE_SIZE_DEF_SAMPLES`).
const DEFAULT_SAMPLES: usize = 5;

/// MEMORY USAGE key [SAMPLES n]: the keyspace entry (header with the
/// `Value`, the optional deadline slot, the key bytes), its 8-byte bucket
/// slot, and the value's heap. `SAMPLES 0` means every element.
fn usage(ctx: &mut Ctx) -> CmdResult {
    let mut samples = DEFAULT_SAMPLES;
    let mut j = 3;
    while j < ctx.args.len() {
        if ctx.args.get(j).eq_ignore_ascii_case(b"samples") && j + 1 < ctx.args.len() {
            let n = parse_i64(ctx.args.get(j + 1)).ok_or(err::NOT_INT)?;
            if n < 0 {
                return Err(err::SYNTAX);
            }
            samples = if n == 0 { usize::MAX } else { n as usize };
            j += 2;
        } else {
            return Err(err::SYNTAX);
        }
    }
    let now = ctx.srv.now_ms;
    let key = ctx.args.get(2);
    let db = &mut ctx.srv.dbs[ctx.client.db];
    let Some(v) = db.peek(key, now) else {
        ctx.client.reply.null();
        return Ok(());
    };
    let heap = value_size(v, samples);
    let volatile = db.expire_at(key).is_some();
    let size = Dict::<Value>::entry_bytes(key.len(), volatile) + BUCKET_SLOT + heap;
    ctx.client.reply.int(size as i64);
    Ok(())
}

/// Each key's share of the keyspace bucket array (one pointer at load 1).
const BUCKET_SLOT: usize = std::mem::size_of::<usize>();

fn stats(ctx: &mut Ctx) -> CmdResult {
    let srv = &mut *ctx.srv;
    let used = memory::used_memory();
    srv.stats.peak_memory = srv.stats.peak_memory.max(used);
    let peak = srv.stats.peak_memory;
    let startup = srv.stats.startup_memory.min(used);
    let mut clients = 0u64;
    for (_, c) in srv.clients.iter() {
        if let Some(c) = c {
            clients += (c.qbuf.capacity() + c.reply.buf.capacity()) as u64;
        }
    }
    let mut dbs: Vec<(usize, u64)> = Vec::new();
    let mut keys = 0u64;
    let mut db_overhead = 0u64;
    for (i, d) in srv.dbs.iter().enumerate() {
        if d.is_empty() {
            continue;
        }
        keys += d.len() as u64;
        let o = d.overhead_bytes() as u64;
        db_overhead += o;
        dbs.push((i, o));
    }
    let overhead = (startup + clients + db_overhead).min(used);
    let dataset = used - overhead;
    let (allocated, held) = allocator_stats();
    let rss = memory::rss();
    let pct = |a: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    };
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let reply = &mut ctx.client.reply;
    reply.map(27 + dbs.len());
    let int = |r: &mut crate::protocol::reply::Reply, k: &str, v: i64| {
        r.bulk(k.as_bytes());
        r.int(v);
    };
    int(reply, "peak.allocated", peak as i64);
    int(reply, "total.allocated", used as i64);
    int(reply, "startup.allocated", startup as i64);
    int(reply, "replication.backlog", 0);
    int(reply, "clients.slaves", 0);
    int(reply, "clients.normal", clients as i64);
    int(reply, "cluster.links", 0);
    int(reply, "aof.buffer", 0);
    int(reply, "lua.caches", 0);
    int(reply, "functions.caches", 0);
    for (i, o) in &dbs {
        reply.bulk(format!("db.{i}").as_bytes());
        reply.map(3);
        int(reply, "overhead.hashtable.main", *o as i64);
        // Deadlines live in the entries and the timer wheel, not in a
        // second table; cluster mode's slot index does not exist.
        int(reply, "overhead.hashtable.expires", 0);
        int(reply, "overhead.hashtable.slot-to-keys", 0);
    }
    int(reply, "overhead.total", overhead as i64);
    int(reply, "keys.count", keys as i64);
    int(
        reply,
        "keys.bytes-per-key",
        dataset.checked_div(keys).unwrap_or(0) as i64,
    );
    int(reply, "dataset.bytes", dataset as i64);
    let dbl = |r: &mut crate::protocol::reply::Reply, k: &str, v: f64| {
        r.bulk(k.as_bytes());
        r.double(v);
    };
    dbl(
        reply,
        "dataset.percentage",
        pct(dataset, used - startup.min(used)),
    );
    dbl(reply, "peak.percentage", pct(used, peak));
    int(reply, "allocator.allocated", allocated as i64);
    int(reply, "allocator.active", held as i64);
    int(reply, "allocator.resident", rss as i64);
    dbl(
        reply,
        "allocator-fragmentation.ratio",
        ratio(held, allocated),
    );
    int(
        reply,
        "allocator-fragmentation.bytes",
        held as i64 - allocated as i64,
    );
    dbl(reply, "allocator-rss.ratio", ratio(rss, held));
    int(reply, "allocator-rss.bytes", rss as i64 - held as i64);
    dbl(reply, "rss-overhead.ratio", 1.0);
    int(reply, "rss-overhead.bytes", 0);
    dbl(reply, "fragmentation", ratio(rss, used));
    int(reply, "fragmentation.bytes", rss as i64 - used as i64);
    Ok(())
}

fn doctor(ctx: &mut Ctx) -> CmdResult {
    // Redis's getMemoryDoctorReport: below 5 MB it declines to judge.
    let text: &[u8] = if memory::used_memory() < 5 * 1024 * 1024 {
        b"Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
    } else {
        b"Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
    };
    ctx.client.reply.verbatim(text, b"txt");
    Ok(())
}

fn malloc_stats(ctx: &mut Ctx) -> CmdResult {
    // Redis without jemalloc answers exactly this.
    ctx.client
        .reply
        .bulk(b"Stats not supported for the current allocator");
    Ok(())
}

fn purge(ctx: &mut Ctx) -> CmdResult {
    memory::purge();
    ctx.client.reply.ok();
    Ok(())
}
