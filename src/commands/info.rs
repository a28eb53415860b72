//! INFO: the server describes itself (Redis's `genRedisInfoString` in
//! `server.c`).
//!
//! INFO answers one text document of `# Section` headers followed by
//! `field:value` lines, CRLF-terminated, sections separated by a blank
//! line. Monitoring tools and client libraries parse it by field name, so
//! the names, their order and their formats (`%.2f`, `1.23M`...) are those of
//! Redis 7.0.15. The arguments choose sections: none or `default` gives the
//! default set, `all` every section, `everything` every section including
//! module-generated ones (there are none here), and several names may be
//! given at once; unknown names are ignored and the sections always come out
//! in the canonical order.
//!
//! Every value is measured, not made up. Where reddish lacks the feature a
//! field describes (persistence, replication, Lua, cluster), the field shows
//! what an idle Redis shows for it: no save in progress, `role:master` with
//! no replicas, and so on. A few figures depend on machinery that is not
//! there yet; each says so where it is computed.
//!
//! INFO is a bulk string in RESP2 and a verbatim string (`=`, format `txt`)
//! in RESP3, exactly as Redis sends it.

use std::fmt::Write as _;

use super::table::{flags::*, CommandDef};
use super::{CmdResult, Ctx};
use crate::commands::connection::REDIS_VERSION;
use crate::server::Server;

pub static COMMANDS: &[CommandDef] = &[CommandDef::new("info", -1, LOADING | STALE, info)
    .acl("slow dangerous")
    .group("server")
    .summary("Get information and statistics about the server")];

/// Sections in the order Redis prints them. The flag says whether the
/// section belongs to the default set.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

fn info(ctx: &mut Ctx) -> CmdResult {
    let mut wanted = [false; SECTIONS.len()];
    if ctx.args.len() == 1 {
        for (w, s) in wanted.iter_mut().zip(SECTIONS) {
            *w = s.1;
        }
    }
    for arg in ctx.args.iter().skip(1) {
        if arg.eq_ignore_ascii_case(b"all") || arg.eq_ignore_ascii_case(b"everything") {
            wanted = [true; SECTIONS.len()];
        } else if arg.eq_ignore_ascii_case(b"default") {
            for (w, s) in wanted.iter_mut().zip(SECTIONS) {
                *w |= s.1;
            }
        } else if let Some(i) = SECTIONS
            .iter()
            .position(|s| arg.eq_ignore_ascii_case(s.0.as_bytes()))
        {
            wanted[i] = true;
        }
    }
    let text = info_string(ctx.srv, &wanted);
    ctx.client.reply.verbatim(text.as_bytes(), b"txt");
    Ok(())
}

/// Builds the INFO text for the chosen sections (indexes into `SECTIONS`).
pub fn info_string(srv: &mut Server, wanted: &[bool]) -> String {
    // Grown as needed, like Redis's sds: used_memory (read while this is
    // being built) then counts only the text so far, not a 4 KB reserve,
    // which kept keys evicted to 4 KB under what INFO showed.
    let mut out = String::new();
    for (i, (name, _)) in SECTIONS.iter().enumerate() {
        if !wanted.get(i).copied().unwrap_or(false) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        match *name {
            "server" => server_section(srv, &mut out),
            "clients" => clients_section(srv, &mut out),
            "memory" => memory_section(srv, &mut out),
            "persistence" => persistence_section(srv, &mut out),
            "stats" => stats_section(srv, &mut out),
            "replication" => replication_section(srv, &mut out),
            "cpu" => cpu_section(&mut out),
            "modules" => out.push_str("# Modules\r\n"),
            "commandstats" => commandstats_section(srv, &mut out),
            "errorstats" => errorstats_section(srv, &mut out),
            // Redis fills this from per-command latency histograms
            // (latency-tracking). We keep none yet, so the section is
            // printed as Redis prints it with tracking disabled: empty.
            "latencystats" => latencystats_section(srv, &mut out),
            "cluster" => out.push_str("# Cluster\r\ncluster_enabled:0\r\n"),
            _ => keyspace_section(srv, &mut out),
        }
    }
    out
}

/// Appends `name:value\r\n`.
macro_rules! field {
    ($out:expr, $name:expr, $($fmt:tt)*) => {{
        let _ = write!($out, "{}:", $name);
        let _ = write!($out, $($fmt)*);
        $out.push_str("\r\n");
    }};
}

fn uname() -> String {
    // SAFETY: utsname is plain data; uname fills it with NUL-terminated strings.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return String::new();
        }
        let f = |s: &[libc::c_char]| {
            let b: Vec<u8> = s
                .iter()
                .take_while(|&&c| c != 0)
                .map(|&c| c as u8)
                .collect();
            String::from_utf8_lossy(&b).into_owned()
        };
        format!(
            "{} {} {}",
            f(&u.sysname[..]),
            f(&u.release[..]),
            f(&u.machine[..])
        )
    }
}

fn server_section(srv: &Server, out: &mut String) {
    let uptime = srv.uptime();
    out.push_str("# Server\r\n");
    field!(out, "redis_version", "{REDIS_VERSION}");
    field!(out, "redis_git_sha1", "00000000");
    field!(out, "redis_git_dirty", "0");
    field!(out, "redis_build_id", "{}", build_id());
    field!(out, "redis_mode", "standalone");
    field!(out, "os", "{}", uname());
    field!(out, "arch_bits", "{}", usize::BITS);
    // Instant is CLOCK_MONOTONIC through clock_gettime, and mio polls with epoll.
    field!(out, "monotonic_clock", "POSIX clock_gettime");
    field!(out, "multiplexing_api", "epoll");
    field!(out, "atomicvar_api", "c11-builtin");
    // Redis prints the GCC that built it, or 0.0.0 when built otherwise.
    field!(out, "gcc_version", "0.0.0");
    field!(out, "process_id", "{}", std::process::id());
    field!(out, "process_supervised", "no");
    field!(out, "run_id", "{}", srv.run_id);
    field!(out, "tcp_port", "{}", srv.tcp_port);
    field!(out, "server_time_usec", "{}", crate::server::unix_us());
    field!(out, "uptime_in_seconds", "{uptime}");
    field!(out, "uptime_in_days", "{}", uptime / 86400);
    // No dynamic hz yet: the cron runs at the configured rate.
    field!(out, "hz", "{}", srv.config.hz);
    field!(out, "configured_hz", "{}", srv.config.hz);
    // The cached clock keys are stamped with (every database holds the same).
    let lru = srv.dbs.first().map_or(0, |db| db.lru_clock());
    field!(out, "lru_clock", "{}", lru);
    field!(out, "executable", "{}", srv.executable);
    field!(
        out,
        "config_file",
        "{}",
        srv.config.config_file.as_deref().unwrap_or("")
    );
    field!(out, "io_threads_active", "0");
    field!(out, "reddish_version", "{}", env!("CARGO_PKG_VERSION"));
}

/// A stable identifier of this build, as Redis's build id is a hash of the
/// build environment: here, of our version and the binary's size.
fn build_id() -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    let exe_len = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| m.len())
        .unwrap_or(0);
    for b in env!("CARGO_PKG_VERSION")
        .bytes()
        .chain(exe_len.to_le_bytes())
    {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{:015x}", h >> 4)
}

fn clients_section(srv: &Server, out: &mut String) {
    let mut max_in = 0usize;
    let mut max_out = 0usize;
    for (_, c) in srv.clients.iter() {
        if let Some(c) = c {
            max_in = max_in.max(c.qbuf_peak);
            max_out = max_out.max(c.reply.pending());
        }
    }
    out.push_str("# Clients\r\n");
    field!(out, "connected_clients", "{}", srv.client_count());
    field!(out, "cluster_connections", "0");
    field!(out, "maxclients", "{}", srv.config.maxclients);
    field!(out, "client_recent_max_input_buffer", "{max_in}");
    field!(out, "client_recent_max_output_buffer", "{max_out}");
    // Parked by a blocking command, or holding a command CLIENT PAUSE
    // postpones (Redis blocks those too).
    let postponed = if srv.pause.until_ms != 0 {
        srv.clients
            .iter()
            .filter(|(_, c)| c.as_ref().is_some_and(|c| c.flags.postponed))
            .count()
    } else {
        0
    };
    field!(out, "blocked_clients", "{}", srv.blocking.count + postponed);
    // No client tracking exists yet.
    field!(out, "tracking_clients", "0");
    field!(
        out,
        "clients_in_timeout_table",
        "{}",
        srv.blocking.timeouts_len()
    );
}

/// Redis's `bytesToHuman`.
pub fn bytes_to_human(n: u64) -> String {
    let d = n as f64;
    const K: f64 = 1024.0;
    if n < 1024 {
        format!("{n}B")
    } else if d < K * K {
        format!("{:.2}K", d / K)
    } else if d < K * K * K {
        format!("{:.2}M", d / (K * K))
    } else if d < K * K * K * K {
        format!("{:.2}G", d / (K * K * K))
    } else if d < K * K * K * K * K {
        format!("{:.2}T", d / (K * K * K * K))
    } else if d < K * K * K * K * K * K {
        format!("{:.2}P", d / (K * K * K * K * K))
    } else {
        format!("{n}B")
    }
}

/// What the allocator reports: (bytes handed out, bytes it holds from the
/// kernel). Bytes handed out are the counting global allocator's exact
/// figure (server/memory.rs); glibc's bookkeeping or RSS only stand in
/// when it is not installed (library unit tests).
pub fn allocator_stats() -> (u64, u64) {
    // The counting global allocator (server/memory.rs) is exact; glibc's
    // figures remain for what it holds from the kernel.
    let counted = crate::server::memory::used_memory();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if counted > 0 {
        // SAFETY: mallinfo2 only reads the allocator's own counters.
        let m = unsafe { libc::mallinfo2() };
        let held = (m.arena + m.hblkhd) as u64;
        return (counted, held.max(counted));
    }
    if counted > 0 {
        return (counted, counted);
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 only reads the allocator's own counters.
        let m = unsafe { libc::mallinfo2() };
        let used = (m.uordblks + m.hblkhd) as u64;
        let held = (m.arena + m.hblkhd) as u64;
        if used > 0 {
            return (used, held);
        }
    }
    let rss = crate::server::memory::rss();
    (rss, rss)
}

pub fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages < 0 || page < 0 {
        0
    } else {
        pages as u64 * page as u64
    }
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn memory_section(srv: &mut Server, out: &mut String) {
    let (used, held) = allocator_stats();
    let rss = crate::server::memory::rss();
    srv.stats.peak_memory = srv.stats.peak_memory.max(used);
    let peak = srv.stats.peak_memory;
    let startup = srv.stats.startup_memory.min(used);
    // Overhead as Redis counts it: what the empty server needed at start
    // plus the clients' buffers. The rest is the dataset.
    let mut clients_mem = 0u64;
    for (_, c) in srv.clients.iter() {
        if let Some(c) = c {
            clients_mem += (c.qbuf.len() + c.reply.buf.capacity()) as u64;
        }
    }
    let overhead = (startup + clients_mem).min(used);
    let dataset = used - overhead;
    out.push_str("# Memory\r\n");
    field!(out, "used_memory", "{used}");
    field!(out, "used_memory_human", "{}", bytes_to_human(used));
    field!(out, "used_memory_rss", "{rss}");
    field!(out, "used_memory_rss_human", "{}", bytes_to_human(rss));
    field!(out, "used_memory_peak", "{peak}");
    field!(out, "used_memory_peak_human", "{}", bytes_to_human(peak));
    field!(out, "used_memory_peak_perc", "{:.2}%", pct(used, peak));
    field!(out, "used_memory_overhead", "{overhead}");
    field!(out, "used_memory_startup", "{startup}");
    field!(out, "used_memory_dataset", "{dataset}");
    field!(
        out,
        "used_memory_dataset_perc",
        "{:.2}%",
        pct(dataset, used - startup)
    );
    field!(out, "allocator_allocated", "{used}");
    field!(out, "allocator_active", "{held}");
    field!(out, "allocator_resident", "{rss}");
    let sys = total_system_memory();
    field!(out, "total_system_memory", "{sys}");
    field!(out, "total_system_memory_human", "{}", bytes_to_human(sys));
    // No Lua and no functions: their engines use no memory at all here.
    field!(out, "used_memory_lua", "0");
    field!(out, "used_memory_vm_eval", "0");
    field!(out, "used_memory_lua_human", "0B");
    field!(out, "used_memory_scripts_eval", "0");
    field!(out, "number_of_cached_scripts", "0");
    field!(out, "number_of_functions", "0");
    field!(out, "number_of_libraries", "0");
    field!(out, "used_memory_vm_functions", "0");
    field!(out, "used_memory_vm_total", "0");
    field!(out, "used_memory_vm_total_human", "0B");
    field!(out, "used_memory_functions", "0");
    field!(out, "used_memory_scripts", "0");
    field!(out, "used_memory_scripts_human", "0B");
    let maxmem = srv.config.maxmemory;
    field!(out, "maxmemory", "{maxmem}");
    field!(out, "maxmemory_human", "{}", bytes_to_human(maxmem));
    field!(
        out,
        "maxmemory_policy",
        "{}",
        crate::db::evict::policy_name(srv.config.maxmemory_policy)
    );
    field!(out, "allocator_frag_ratio", "{:.2}", ratio(held, used));
    field!(out, "allocator_frag_bytes", "{}", held.saturating_sub(used));
    field!(out, "allocator_rss_ratio", "{:.2}", ratio(rss, held));
    field!(out, "allocator_rss_bytes", "{}", rss as i64 - held as i64);
    field!(out, "rss_overhead_ratio", "{:.2}", ratio(rss, rss));
    field!(out, "rss_overhead_bytes", "0");
    field!(out, "mem_fragmentation_ratio", "{:.2}", ratio(rss, used));
    field!(
        out,
        "mem_fragmentation_bytes",
        "{}",
        rss as i64 - used as i64
    );
    field!(out, "mem_not_counted_for_evict", "0");
    field!(out, "mem_replication_backlog", "0");
    field!(out, "mem_total_replication_buffers", "0");
    field!(out, "mem_clients_slaves", "0");
    field!(out, "mem_clients_normal", "{clients_mem}");
    field!(out, "mem_cluster_links", "0");
    field!(out, "mem_aof_buffer", "0");
    field!(out, "mem_allocator", "libc");
    field!(out, "active_defrag_running", "0");
    field!(out, "lazyfree_pending_objects", "0");
    field!(out, "lazyfreed_objects", "{}", srv.stats.lazyfreed_objects);
}

fn persistence_section(srv: &Server, out: &mut String) {
    out.push_str("# Persistence\r\n");
    for f in [
        "loading",
        "async_loading",
        "current_cow_peak",
        "current_cow_size",
        "current_cow_size_age",
    ] {
        field!(out, f, "0");
    }
    field!(out, "current_fork_perc", "0.00");
    field!(out, "current_save_keys_processed", "0");
    field!(out, "current_save_keys_total", "0");
    field!(out, "rdb_changes_since_last_save", "{}", srv.stats.dirty);
    field!(out, "rdb_bgsave_in_progress", "0");
    // Redis counts the start as the last save (nothing unsaved yet).
    field!(out, "rdb_last_save_time", "{}", srv.start_unix_ms / 1000);
    field!(out, "rdb_last_bgsave_status", "ok");
    field!(out, "rdb_last_bgsave_time_sec", "-1");
    field!(out, "rdb_current_bgsave_time_sec", "-1");
    for f in [
        "rdb_saves",
        "rdb_last_cow_size",
        "rdb_last_load_keys_expired",
        "rdb_last_load_keys_loaded",
        "aof_enabled",
        "aof_rewrite_in_progress",
        "aof_rewrite_scheduled",
    ] {
        field!(out, f, "0");
    }
    field!(out, "aof_last_rewrite_time_sec", "-1");
    field!(out, "aof_current_rewrite_time_sec", "-1");
    field!(out, "aof_last_bgrewrite_status", "ok");
    field!(out, "aof_rewrites", "0");
    field!(out, "aof_rewrites_consecutive_failures", "0");
    field!(out, "aof_last_write_status", "ok");
    field!(out, "aof_last_cow_size", "0");
    field!(out, "module_fork_in_progress", "0");
    field!(out, "module_fork_last_cow_size", "0");
}

fn stats_section(srv: &Server, out: &mut String) {
    let s = &srv.stats;
    let expired: u64 = srv.dbs.iter().map(|d| d.expired_keys).sum();
    out.push_str("# Stats\r\n");
    field!(
        out,
        "total_connections_received",
        "{}",
        s.total_connections_received
    );
    field!(
        out,
        "total_commands_processed",
        "{}",
        s.total_commands_processed
    );
    field!(
        out,
        "instantaneous_ops_per_sec",
        "{}",
        s.ops_samples.rate() as i64
    );
    field!(out, "total_net_input_bytes", "{}", s.total_net_input_bytes);
    field!(
        out,
        "total_net_output_bytes",
        "{}",
        s.total_net_output_bytes
    );
    field!(out, "total_net_repl_input_bytes", "0");
    field!(out, "total_net_repl_output_bytes", "0");
    field!(
        out,
        "instantaneous_input_kbps",
        "{:.2}",
        s.net_in_samples.rate() / 1024.0
    );
    field!(
        out,
        "instantaneous_output_kbps",
        "{:.2}",
        s.net_out_samples.rate() / 1024.0
    );
    field!(out, "instantaneous_input_repl_kbps", "0.00");
    field!(out, "instantaneous_output_repl_kbps", "0.00");
    field!(out, "rejected_connections", "{}", s.rejected_connections);
    field!(out, "sync_full", "0");
    field!(out, "sync_partial_ok", "0");
    field!(out, "sync_partial_err", "0");
    field!(out, "expired_keys", "{expired}");
    field!(
        out,
        "expired_stale_perc",
        "{:.2}",
        s.expired_stale_perc * 100.0
    );
    field!(
        out,
        "expired_time_cap_reached_count",
        "{}",
        s.expired_time_cap_reached_count
    );
    field!(
        out,
        "expire_cycle_cpu_milliseconds",
        "{}",
        s.expire_cycle_cpu_milliseconds
    );
    field!(out, "evicted_keys", "{}", s.evicted_keys);
    field!(out, "evicted_clients", "0");
    field!(
        out,
        "total_eviction_exceeded_time",
        "{}",
        srv.evictor.total_exceeded_ms()
    );
    field!(
        out,
        "current_eviction_exceeded_time",
        "{}",
        srv.evictor.current_exceeded_ms()
    );
    field!(out, "keyspace_hits", "{}", s.keyspace_hits);
    field!(out, "keyspace_misses", "{}", s.keyspace_misses);
    field!(out, "pubsub_channels", "{}", srv.pubsub.channels.len());
    field!(out, "pubsub_patterns", "{}", srv.pubsub.patterns.len());
    field!(out, "pubsubshard_channels", "{}", srv.pubsub.shard.len());
    for f in [
        "latest_fork_usec",
        "total_forks",
        "migrate_cached_sockets",
        "slave_expires_tracked_keys",
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
        "total_active_defrag_time",
        "current_active_defrag_time",
        "tracking_total_keys",
        "tracking_total_items",
        "tracking_total_prefixes",
    ] {
        field!(out, f, "0");
    }
    field!(
        out,
        "unexpected_error_replies",
        "{}",
        s.unexpected_error_replies
    );
    field!(out, "total_error_replies", "{}", s.total_error_replies);
    field!(out, "dump_payload_sanitizations", "0");
    field!(out, "total_reads_processed", "{}", s.total_reads_processed);
    field!(
        out,
        "total_writes_processed",
        "{}",
        s.total_writes_processed
    );
    field!(out, "io_threaded_reads_processed", "0");
    field!(out, "io_threaded_writes_processed", "0");
    field!(out, "reply_buffer_shrinks", "0");
    field!(out, "reply_buffer_expands", "0");
}

/// The replication id: random per process, as Redis makes a new one at
/// start when it is a master without a saved id.
fn master_replid() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| crate::server::random_hex(40))
}

fn replication_section(srv: &Server, out: &mut String) {
    out.push_str("# Replication\r\n");
    field!(out, "role", "master");
    field!(out, "connected_slaves", "0");
    if srv.config.min_replicas_to_write > 0 && srv.config.min_replicas_max_lag > 0 {
        field!(out, "min_slaves_good_slaves", "0");
    }
    field!(out, "master_failover_state", "no-failover");
    field!(out, "master_replid", "{}", master_replid());
    field!(out, "master_replid2", "{}", "0".repeat(40));
    field!(out, "master_repl_offset", "0");
    field!(out, "second_repl_offset", "-1");
    field!(out, "repl_backlog_active", "0");
    field!(out, "repl_backlog_size", "1048576");
    field!(out, "repl_backlog_first_byte_offset", "0");
    field!(out, "repl_backlog_histlen", "0");
}

fn rusage(who: libc::c_int) -> (libc::timeval, libc::timeval) {
    // SAFETY: getrusage fills the zeroed struct; on failure it stays zero.
    unsafe {
        let mut r: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut r);
        (r.ru_stime, r.ru_utime)
    }
}

fn cpu_section(out: &mut String) {
    let tv = |t: libc::timeval| format!("{}.{:06}", t.tv_sec, t.tv_usec);
    let (s, u) = rusage(libc::RUSAGE_SELF);
    let (cs, cu) = rusage(libc::RUSAGE_CHILDREN);
    let (ts, tu) = rusage(libc::RUSAGE_THREAD);
    out.push_str("# CPU\r\n");
    field!(out, "used_cpu_sys", "{}", tv(s));
    field!(out, "used_cpu_user", "{}", tv(u));
    field!(out, "used_cpu_sys_children", "{}", tv(cs));
    field!(out, "used_cpu_user_children", "{}", tv(cu));
    field!(out, "used_cpu_sys_main_thread", "{}", tv(ts));
    field!(out, "used_cpu_user_main_thread", "{}", tv(tu));
}

fn commandstats_section(srv: &Server, out: &mut String) {
    out.push_str("# Commandstats\r\n");
    for (i, st) in srv.table.stats() {
        if st.calls == 0 && st.failed_calls == 0 && st.rejected_calls == 0 {
            continue;
        }
        let per_call = if st.calls == 0 {
            0.0
        } else {
            st.usec as f64 / st.calls as f64
        };
        let _ = write!(
            out,
            "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
            srv.table.fullname(i),
            st.calls,
            st.usec,
            per_call,
            st.rejected_calls,
            st.failed_calls
        );
    }
}

/// `latency_percentiles_usec_<cmd>:p50=…,p99=…` for every command with a
/// histogram (server/latency.rs), values in µs with three decimals.
fn latencystats_section(srv: &Server, out: &mut String) {
    out.push_str("# Latencystats\r\n");
    if !srv.config.latency_tracking {
        return;
    }
    let pcts = &srv.config.latency_percentiles;
    for (i, st) in srv.table.stats() {
        let Some(h) = st.latency.as_deref() else {
            continue;
        };
        let _ = write!(out, "latency_percentiles_usec_{}:", srv.table.fullname(i));
        for (j, p) in pcts.iter().enumerate() {
            let v = h.value_at_percentile(p.parse().unwrap_or(0.0)) as f64 / 1000.0;
            let sep = if j == 0 { "" } else { "," };
            let _ = write!(out, "{sep}p{p}={v:.3}");
        }
        out.push_str("\r\n");
    }
}

fn errorstats_section(srv: &Server, out: &mut String) {
    out.push_str("# Errorstats\r\n");
    for (code, n) in &srv.stats.errors {
        let _ = write!(out, "errorstat_{code}:count={n}\r\n");
    }
}

fn keyspace_section(srv: &Server, out: &mut String) {
    out.push_str("# Keyspace\r\n");
    for (i, db) in srv.dbs.iter().enumerate() {
        let keys = db.len();
        if keys == 0 {
            continue;
        }
        // Redis estimates avg_ttl from expiry samples; we keep a running
        // sum of deadlines, so ours is exact.
        let _ = write!(
            out,
            "db{i}:keys={keys},expires={},avg_ttl={}\r\n",
            db.volatile_len(),
            db.avg_ttl(srv.now_ms)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes_as_redis() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1024), "1.00K");
        assert_eq!(bytes_to_human(990688), "967.47K");
        assert_eq!(bytes_to_human(6803456), "6.49M");
        assert_eq!(bytes_to_human(25276514304), "23.54G");
    }
}
