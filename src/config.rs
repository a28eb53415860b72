//! Server configuration: redis.conf, the command line, CONFIG GET/SET/REWRITE
//! (Redis's `config.c`).
//!
//! Redis describes every setting once, in its `standardConfig` table: a
//! name, an optional alias (`slave-read-only` for `replica-read-only`),
//! flags (immutable, protected, sensitive, hidden, multi-argument), a type
//! (yes/no, number with bounds, string, enum, or "special" with its own
//! parser) and a default. Loading a file, `--name value` on the command
//! line, CONFIG SET, CONFIG GET and CONFIG REWRITE are all generic code that
//! walks that table. We do the same: [`TABLE`] is the single description,
//! and adding a setting is one entry in it.
//!
//! ## Where values live
//!
//! Every setting's current value is kept in `Config::values` (one [`Value`]
//! per table entry), which is what CONFIG GET and REWRITE read. Settings the
//! server actually uses also have a typed field on [`Config`] (`port`,
//! `timeout`, `maxclients`...) that hot paths read directly; a table entry
//! names the field with `.field(|c, v| c.timeout = v.num() as u64)`, and
//! every successful set copies the new value into it. So the fields are a
//! mirror: change settings through [`Config::set`], never by writing a field.
//! Entries without a field are accepted, validated, stored and answered by
//! CONFIG GET exactly as Redis would, and reported once at start-up as not
//! implemented.
//!
//! To make a stored setting take effect: add the typed field to `Config`
//! (any placeholder in `Default`, the hook overwrites it with the table's
//! default), then append `.field(|c, v| c.maxmemory = v.num() as u64)` to
//! its entry. Unsigned settings (`maxmemory`) keep their u64 bits in the
//! i64 of `Value::Num`; memory values are bytes.
//!
//! ## Loading
//!
//! `redis-server [file] [--name value ...] [-]` builds one text: the file,
//! then stdin if `-` was given, then the options, each `--name v1 v2` turned
//! into a line `name "v1" "v2"`. That text is parsed line by line like
//! Redis's `loadServerConfigFromString`: comments, `sdssplitargs` quoting,
//! `include`, and Redis's fatal error report with the line number.

use std::fmt::Write as _;

use crate::protocol::parser::split_args;
use crate::util::glob;

/// The Redis version we report in fatal config errors.
const VERSION: &str = crate::commands::connection::REDIS_VERSION;

/// `enable-debug-command` and friends: `no`, `yes`, or `local` (loopback and
/// unix-socket clients only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protected {
    No,
    Yes,
    Local,
}

impl Protected {
    fn from_enum(v: i64) -> Protected {
        match v {
            1 => Protected::Yes,
            2 => Protected::Local,
            _ => Protected::No,
        }
    }

    /// Redis's `allowProtectedAction`.
    pub fn allows(self, local_client: bool) -> bool {
        self == Protected::Yes || (self == Protected::Local && local_client)
    }
}

/// Limits of one client class (`client-output-buffer-limit <class> hard soft secs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

/// Redis's presets: normal, replica (named `slave` in CONFIG GET), pubsub.
const OBUF_DEFAULTS: [OutputLimit; 3] = [
    OutputLimit {
        hard: 0,
        soft: 0,
        soft_seconds: 0,
    },
    OutputLimit {
        hard: 256 << 20,
        soft: 64 << 20,
        soft_seconds: 60,
    },
    OutputLimit {
        hard: 32 << 20,
        soft: 8 << 20,
        soft_seconds: 60,
    },
];
const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// Flags of a table entry (Redis's `*_CONFIG` flags).
pub mod flags {
    pub const MODIFIABLE: u32 = 0;
    /// Only settable at start-up: CONFIG SET answers "can't set immutable config".
    pub const IMMUTABLE: u32 = 1 << 0;
    /// CONFIG SET allowed only per `enable-protected-configs`.
    pub const PROTECTED: u32 = 1 << 1;
    /// Value is a secret (redacted from SLOWLOG/MONITOR by those features).
    pub const SENSITIVE: u32 = 1 << 2;
    /// Not matched by CONFIG GET patterns, only by its exact name.
    pub const HIDDEN: u32 = 1 << 3;
    /// Takes several arguments in the file; CONFIG SET splits its value on spaces.
    pub const MULTI_ARG: u32 = 1 << 4;
    /// Refused while loading data (no effect yet: we never load).
    pub const DENY_LOADING: u32 = 1 << 5;
}
use flags::*;

/// How a number is written and parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumFmt {
    /// Plain integer (`string2ll`).
    Int,
    /// Bytes, with units `1k 1kb 1m 1mb 1g 1gb` accepted (`memtoull`).
    Memory,
    /// Bytes or a percentage `N%` (stored negative, as Redis does).
    MemoryPercent,
    /// Octal (`unixsocketperm`).
    Octal,
}

/// Validates a string value; `Err` is Redis's reason text.
pub type StrCheck = fn(&str) -> Result<(), &'static str>;

/// The type of a setting with its default.
#[derive(Clone, Copy)]
pub enum Kind {
    Bool(bool),
    Num {
        min: i64,
        max: i64,
        default: i64,
        fmt: NumFmt,
        /// Bounds compared as unsigned (C `unsigned`, `size_t`, `unsigned long long`).
        unsigned: bool,
    },
    /// `None` default: empty means "not set" (Redis's EMPTY_STRING_IS_NULL).
    Str {
        default: Option<&'static str>,
        check: Option<StrCheck>,
    },
    /// Names with their values; several names may share a value (the
    /// first is what CONFIG GET shows). `multi`: a set of flags, several
    /// names allowed (`shutdown-on-sigterm "save now"`).
    Enum {
        names: &'static [(&'static str, i64)],
        default: i64,
        multi: bool,
    },
    Special(Special),
}

/// Settings with their own syntax (Redis's `createSpecialConfig`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    Dir,
    Save,
    ClientOutputBufferLimit,
    OomScoreAdjValues,
    NotifyKeyspaceEvents,
    Bind,
    ReplicaOf,
    LatencyPercentiles,
}

/// Copies a freshly set value into the typed field of `Config` that the
/// server reads.
pub type Hook = fn(&mut Config, &Value);

/// One setting: Redis's `standardConfig`.
pub struct ConfigDef {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub flags: u32,
    pub kind: Kind,
    /// The typed field this setting drives; `None` = stored only (not implemented).
    pub field: Option<Hook>,
}

impl ConfigDef {
    const fn new(name: &'static str, flags: u32, kind: Kind) -> ConfigDef {
        ConfigDef {
            name,
            alias: None,
            flags,
            kind,
            field: None,
        }
    }
    pub const fn alias(mut self, alias: &'static str) -> ConfigDef {
        self.alias = Some(alias);
        self
    }
    pub const fn field(mut self, hook: Hook) -> ConfigDef {
        self.field = Some(hook);
        self
    }
    pub fn implemented(&self) -> bool {
        self.field.is_some()
    }
}

const fn boolean(name: &'static str, flags: u32, default: bool) -> ConfigDef {
    ConfigDef::new(name, flags, Kind::Bool(default))
}
const fn int(name: &'static str, flags: u32, min: i64, max: i64, default: i64) -> ConfigDef {
    num(name, flags, min, max, default, NumFmt::Int)
}
const fn num(
    name: &'static str,
    flags: u32,
    min: i64,
    max: i64,
    default: i64,
    fmt: NumFmt,
) -> ConfigDef {
    ConfigDef::new(
        name,
        flags,
        Kind::Num {
            min,
            max,
            default,
            fmt,
            unsigned: false,
        },
    )
}
/// An unsigned number: bounds checked and printed as unsigned, as Redis's
/// `createUIntConfig`/`createSizeTConfig`/`createULongLongConfig`.
const fn unum(
    name: &'static str,
    flags: u32,
    min: i64,
    max: i64,
    default: i64,
    fmt: NumFmt,
) -> ConfigDef {
    ConfigDef::new(
        name,
        flags,
        Kind::Num {
            min,
            max,
            default,
            fmt,
            unsigned: true,
        },
    )
}
const fn string(name: &'static str, flags: u32, default: Option<&'static str>) -> ConfigDef {
    ConfigDef::new(
        name,
        flags,
        Kind::Str {
            default,
            check: None,
        },
    )
}
const fn checked_string(
    name: &'static str,
    flags: u32,
    default: Option<&'static str>,
    check: StrCheck,
) -> ConfigDef {
    ConfigDef::new(
        name,
        flags,
        Kind::Str {
            default,
            check: Some(check),
        },
    )
}
const fn enumeration(
    name: &'static str,
    flags: u32,
    names: &'static [(&'static str, i64)],
    default: i64,
) -> ConfigDef {
    ConfigDef::new(
        name,
        flags,
        Kind::Enum {
            names,
            default,
            multi: false,
        },
    )
}
const fn special(name: &'static str, flags: u32, s: Special) -> ConfigDef {
    ConfigDef::new(name, flags, Kind::Special(s))
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
/// `ULLONG_MAX` as the i64 with the same bits; unsigned bounds compare as u64.
const ULLONG_MAX: i64 = -1;

const LOGLEVELS: &[(&str, i64)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const PROTECTED_ACTION: &[(&str, i64)] = &[("no", 0), ("yes", 1), ("local", 2)];
const MAXMEMORY_POLICY: &[(&str, i64)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const SYSLOG_FACILITY: &[(&str, i64)] = &[
    ("user", 8),
    ("local0", 128),
    ("local1", 136),
    ("local2", 144),
    ("local3", 152),
    ("local4", 160),
    ("local5", 168),
    ("local6", 176),
    ("local7", 184),
];
const SUPERVISED: &[(&str, i64)] = &[("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)];
const AOF_FSYNC: &[(&str, i64)] = &[("everysec", 1), ("always", 2), ("no", 0)];
const REPL_DISKLESS_LOAD: &[(&str, i64)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: &[(&str, i64)] = &[("no", 0), ("yes", 1), ("optional", 2)];
const OOM_SCORE_ADJ: &[(&str, i64)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: &[(&str, i64)] = &[("allchannels", 1), ("resetchannels", 0)];
const SANITIZE_DUMP: &[(&str, i64)] = &[("no", 0), ("yes", 1), ("clients", 2)];
const ENDPOINT_TYPE: &[(&str, i64)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR: &[(&str, i64)] = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];
const SHUTDOWN_FLAGS: &[(&str, i64)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];

/// Every setting of Redis 7.0, in the order of Redis's `static_configs`.
/// `.field(...)` marks the ones reddish implements.
pub static TABLE: &[ConfigDef] = &[
    // yes/no
    boolean("rdbchecksum", IMMUTABLE, true),
    boolean("daemonize", IMMUTABLE, false),
    boolean("io-threads-do-reads", IMMUTABLE, false),
    boolean("always-show-logo", IMMUTABLE, false).field(|c, v| c.always_show_logo = v.flag()),
    boolean("protected-mode", MODIFIABLE, true).field(|c, v| c.protected_mode = v.flag()),
    boolean("rdbcompression", MODIFIABLE, true),
    boolean("rdb-del-sync-files", MODIFIABLE, false),
    boolean("activerehashing", MODIFIABLE, true).field(|c, v| c.activerehashing = v.flag()),
    boolean("stop-writes-on-bgsave-error", MODIFIABLE, true),
    boolean("set-proc-title", IMMUTABLE, true),
    boolean("dynamic-hz", MODIFIABLE, true).field(|c, v| c.dynamic_hz = v.flag()),
    boolean("lazyfree-lazy-eviction", MODIFIABLE, false),
    boolean("lazyfree-lazy-expire", MODIFIABLE, false),
    boolean("lazyfree-lazy-server-del", MODIFIABLE, false),
    boolean("lazyfree-lazy-user-del", MODIFIABLE, false)
        .field(|c, v| c.lazyfree_lazy_user_del = v.flag()),
    boolean("lazyfree-lazy-user-flush", MODIFIABLE, false)
        .field(|c, v| c.lazyfree_lazy_user_flush = v.flag()),
    boolean("repl-disable-tcp-nodelay", MODIFIABLE, false),
    boolean("repl-diskless-sync", MODIFIABLE, true),
    boolean("aof-rewrite-incremental-fsync", MODIFIABLE, true),
    boolean("no-appendfsync-on-rewrite", MODIFIABLE, false),
    boolean("cluster-require-full-coverage", MODIFIABLE, true),
    boolean("rdb-save-incremental-fsync", MODIFIABLE, true),
    boolean("aof-load-truncated", MODIFIABLE, true),
    boolean("aof-use-rdb-preamble", MODIFIABLE, true),
    boolean("aof-timestamp-enabled", MODIFIABLE, false),
    boolean("cluster-replica-no-failover", MODIFIABLE, false).alias("cluster-slave-no-failover"),
    boolean("replica-lazy-flush", MODIFIABLE, false).alias("slave-lazy-flush"),
    boolean("replica-serve-stale-data", MODIFIABLE, true).alias("slave-serve-stale-data"),
    boolean("replica-read-only", MODIFIABLE, true).alias("slave-read-only"),
    boolean("replica-ignore-maxmemory", MODIFIABLE, true).alias("slave-ignore-maxmemory"),
    boolean("jemalloc-bg-thread", MODIFIABLE, true),
    boolean("activedefrag", MODIFIABLE, false),
    boolean("syslog-enabled", IMMUTABLE, false),
    boolean("cluster-enabled", IMMUTABLE, false),
    boolean("appendonly", MODIFIABLE | DENY_LOADING, false),
    boolean("cluster-allow-reads-when-down", MODIFIABLE, false),
    boolean("cluster-allow-pubsubshard-when-down", MODIFIABLE, true),
    boolean("crash-log-enabled", MODIFIABLE, true),
    boolean("crash-memcheck-enabled", MODIFIABLE, true),
    boolean("use-exit-on-panic", MODIFIABLE | HIDDEN, false),
    boolean("disable-thp", IMMUTABLE, true),
    boolean("cluster-allow-replica-migration", MODIFIABLE, true),
    boolean("replica-announced", MODIFIABLE, true),
    boolean("latency-tracking", MODIFIABLE, true).field(|c, v| c.latency_tracking = v.flag()),
    boolean("aof-disable-auto-gc", MODIFIABLE, false),
    boolean("replica-ignore-disk-write-errors", MODIFIABLE, false),
    // strings
    string("aclfile", IMMUTABLE, Some("")),
    string("unixsocket", IMMUTABLE, None).field(|c, v| c.unixsocket = v.opt_str()),
    string("pidfile", IMMUTABLE, None).field(|c, v| c.pidfile = v.opt_str()),
    string("replica-announce-ip", MODIFIABLE, None).alias("slave-announce-ip"),
    string("masteruser", MODIFIABLE | SENSITIVE, None),
    string("cluster-announce-ip", MODIFIABLE, None),
    string("cluster-config-file", IMMUTABLE, Some("nodes.conf")),
    checked_string(
        "cluster-announce-hostname",
        MODIFIABLE,
        None,
        valid_hostname,
    ),
    string("syslog-ident", IMMUTABLE, Some("redis")),
    checked_string(
        "dbfilename",
        MODIFIABLE | PROTECTED,
        Some("dump.rdb"),
        valid_dbfilename,
    ),
    checked_string(
        "appendfilename",
        IMMUTABLE,
        Some("appendonly.aof"),
        valid_aof_filename,
    ),
    checked_string(
        "appenddirname",
        IMMUTABLE,
        Some("appendonlydir"),
        valid_aof_dirname,
    ),
    string("server_cpulist", IMMUTABLE, None),
    string("bio_cpulist", IMMUTABLE, None),
    string("aof_rewrite_cpulist", IMMUTABLE, None),
    string("bgsave_cpulist", IMMUTABLE, None),
    string("ignore-warnings", MODIFIABLE, Some("")),
    checked_string(
        "proc-title-template",
        MODIFIABLE,
        Some("{title} {listen-addr} {server-mode}"),
        valid_proc_title,
    ),
    string("bind-source-addr", MODIFIABLE, None),
    string("logfile", IMMUTABLE, Some("")).field(|c, v| c.logfile = v.str().to_string()),
    string("masterauth", MODIFIABLE | SENSITIVE, None),
    string("requirepass", MODIFIABLE | SENSITIVE, None)
        .field(|c, v| c.requirepass = v.opt_str().map(String::into_bytes)),
    // enums
    enumeration("supervised", IMMUTABLE, SUPERVISED, 0),
    enumeration("syslog-facility", IMMUTABLE, SYSLOG_FACILITY, 128),
    enumeration(
        "repl-diskless-load",
        MODIFIABLE | DENY_LOADING,
        REPL_DISKLESS_LOAD,
        0,
    ),
    enumeration("loglevel", MODIFIABLE, LOGLEVELS, 2).field(|c, v| {
        c.loglevel = enum_name(LOGLEVELS, v.num()).to_string();
        crate::logging::set_level(&c.loglevel);
    }),
    enumeration("maxmemory-policy", MODIFIABLE, MAXMEMORY_POLICY, 7)
        .field(|c, v| c.maxmemory_policy = v.num() as u8),
    enumeration("appendfsync", MODIFIABLE, AOF_FSYNC, 1),
    enumeration("oom-score-adj", MODIFIABLE, OOM_SCORE_ADJ, 0)
        .field(|c, v| c.oom_score_adj = v.num() as u8),
    enumeration("acl-pubsub-default", MODIFIABLE, ACL_PUBSUB_DEFAULT, 0),
    enumeration("sanitize-dump-payload", MODIFIABLE, SANITIZE_DUMP, 0),
    enumeration("enable-protected-configs", IMMUTABLE, PROTECTED_ACTION, 0)
        .field(|c, v| c.enable_protected_configs = Protected::from_enum(v.num())),
    enumeration("enable-debug-command", IMMUTABLE, PROTECTED_ACTION, 0)
        .field(|c, v| c.enable_debug_command = Protected::from_enum(v.num())),
    enumeration("enable-module-command", IMMUTABLE, PROTECTED_ACTION, 0),
    enumeration(
        "cluster-preferred-endpoint-type",
        MODIFIABLE,
        ENDPOINT_TYPE,
        0,
    ),
    enumeration(
        "propagation-error-behavior",
        MODIFIABLE,
        PROPAGATION_ERROR,
        0,
    ),
    ConfigDef::new(
        "shutdown-on-sigint",
        MODIFIABLE | MULTI_ARG,
        Kind::Enum {
            names: SHUTDOWN_FLAGS,
            default: 0,
            multi: true,
        },
    ),
    ConfigDef::new(
        "shutdown-on-sigterm",
        MODIFIABLE | MULTI_ARG,
        Kind::Enum {
            names: SHUTDOWN_FLAGS,
            default: 0,
            multi: true,
        },
    ),
    // integers
    int("databases", IMMUTABLE, 1, INT_MAX, 16).field(|c, v| c.databases = v.num() as usize),
    int("port", MODIFIABLE, 0, 65535, 6379).field(|c, v| c.port = v.num() as u16),
    int("io-threads", IMMUTABLE, 1, 128, 1),
    int("auto-aof-rewrite-percentage", MODIFIABLE, 0, INT_MAX, 100),
    int(
        "cluster-replica-validity-factor",
        MODIFIABLE,
        0,
        INT_MAX,
        10,
    )
    .alias("cluster-slave-validity-factor"),
    int("list-max-listpack-size", MODIFIABLE, INT_MIN, INT_MAX, -2)
        .alias("list-max-ziplist-size")
        .field(|c, v| c.list_max_listpack_size = v.num() as i32),
    int("tcp-keepalive", MODIFIABLE, 0, INT_MAX, 300)
        .field(|c, v| c.tcp_keepalive = v.num() as u64),
    int("cluster-migration-barrier", MODIFIABLE, 0, INT_MAX, 1),
    int("active-defrag-cycle-min", MODIFIABLE, 1, 99, 1),
    int("active-defrag-cycle-max", MODIFIABLE, 1, 99, 25),
    int("active-defrag-threshold-lower", MODIFIABLE, 0, 1000, 10),
    int("active-defrag-threshold-upper", MODIFIABLE, 0, 1000, 100),
    int("lfu-log-factor", MODIFIABLE, 0, INT_MAX, 10)
        .field(|c, v| c.lfu_log_factor = v.num() as u32),
    int("lfu-decay-time", MODIFIABLE, 0, INT_MAX, 1)
        .field(|c, v| c.lfu_decay_time = v.num() as u32),
    int("replica-priority", MODIFIABLE, 0, INT_MAX, 100).alias("slave-priority"),
    int("repl-diskless-sync-delay", MODIFIABLE, 0, INT_MAX, 5),
    int("maxmemory-samples", MODIFIABLE, 1, INT_MAX, 5)
        .field(|c, v| c.maxmemory_samples = v.num() as u32),
    int("maxmemory-eviction-tenacity", MODIFIABLE, 0, 100, 10)
        .field(|c, v| c.maxmemory_eviction_tenacity = v.num() as u32),
    int("timeout", MODIFIABLE, 0, INT_MAX, 0).field(|c, v| c.timeout = v.num() as u64),
    int("replica-announce-port", MODIFIABLE, 0, 65535, 0).alias("slave-announce-port"),
    int("tcp-backlog", IMMUTABLE, 0, INT_MAX, 511).field(|c, v| c.tcp_backlog = v.num() as i32),
    int("cluster-port", IMMUTABLE, 0, 65535, 0),
    int("cluster-announce-bus-port", MODIFIABLE, 0, 65535, 0),
    int("cluster-announce-port", MODIFIABLE, 0, 65535, 0),
    int("cluster-announce-tls-port", MODIFIABLE, 0, 65535, 0),
    int("repl-timeout", MODIFIABLE, 1, INT_MAX, 60),
    int("repl-ping-replica-period", MODIFIABLE, 1, INT_MAX, 10).alias("repl-ping-slave-period"),
    int("list-compress-depth", MODIFIABLE, 0, INT_MAX, 0)
        .field(|c, v| c.list_compress_depth = v.num() as i32),
    int(
        "rdb-key-save-delay",
        MODIFIABLE | HIDDEN,
        INT_MIN,
        INT_MAX,
        0,
    ),
    int("key-load-delay", MODIFIABLE | HIDDEN, INT_MIN, INT_MAX, 0),
    int("active-expire-effort", MODIFIABLE, 1, 10, 1)
        .field(|c, v| c.active_expire_effort = v.num() as u32),
    int("hz", MODIFIABLE, 0, INT_MAX, 10).field(|c, v| {
        // A hint, as in Redis: out-of-range values are clamped, not refused.
        let hz = v.num().clamp(1, 500);
        c.hz = hz as u32;
        c.store("hz", Value::Num(hz));
    }),
    int("min-replicas-to-write", MODIFIABLE, 0, INT_MAX, 0)
        .alias("min-slaves-to-write")
        .field(|c, v| c.min_replicas_to_write = v.num() as u32),
    int("min-replicas-max-lag", MODIFIABLE, 0, INT_MAX, 10)
        .alias("min-slaves-max-lag")
        .field(|c, v| c.min_replicas_max_lag = v.num() as u32),
    int("watchdog-period", MODIFIABLE | HIDDEN, 0, INT_MAX, 0),
    int("shutdown-timeout", MODIFIABLE, 0, INT_MAX, 10),
    int("repl-diskless-sync-max-replicas", MODIFIABLE, 0, INT_MAX, 0),
    unum("maxclients", MODIFIABLE, 1, UINT_MAX, 10000, NumFmt::Int)
        .field(|c, v| c.maxclients = v.num() as usize),
    unum("unixsocketperm", IMMUTABLE, 0, 0o777, 0, NumFmt::Octal)
        .field(|c, v| c.unixsocketperm = v.num() as u32),
    unum("socket-mark-id", IMMUTABLE, 0, UINT_MAX, 0, NumFmt::Int),
    int(
        "active-defrag-max-scan-fields",
        MODIFIABLE,
        1,
        LONG_MAX,
        1000,
    ),
    int("slowlog-max-len", MODIFIABLE, 0, LONG_MAX, 128),
    int("acllog-max-len", MODIFIABLE, 0, LONG_MAX, 128),
    int("busy-reply-threshold", MODIFIABLE, 0, LONG_MAX, 5000).alias("lua-time-limit"),
    int("cluster-node-timeout", MODIFIABLE, 0, LONG_MAX, 15000),
    int("slowlog-log-slower-than", MODIFIABLE, -1, LONG_MAX, 10000),
    int("latency-monitor-threshold", MODIFIABLE, 0, LONG_MAX, 0),
    num(
        "proto-max-bulk-len",
        MODIFIABLE,
        1 << 20,
        LONG_MAX,
        512 << 20,
        NumFmt::Memory,
    )
    .field(|c, v| c.proto_max_bulk_len = v.num()),
    int("stream-node-max-entries", MODIFIABLE, 0, LONG_MAX, 100)
        .field(|c, v| c.stream_node_max_entries = v.num()),
    num(
        "repl-backlog-size",
        MODIFIABLE,
        1,
        LONG_MAX,
        1 << 20,
        NumFmt::Memory,
    ),
    unum("maxmemory", MODIFIABLE, 0, ULLONG_MAX, 0, NumFmt::Memory)
        .field(|c, v| c.maxmemory = v.num() as u64),
    unum(
        "cluster-link-sendbuf-limit",
        MODIFIABLE,
        0,
        ULLONG_MAX,
        0,
        NumFmt::Memory,
    ),
    unum(
        "hash-max-listpack-entries",
        MODIFIABLE,
        0,
        LONG_MAX,
        512,
        NumFmt::Int,
    )
    .alias("hash-max-ziplist-entries")
    .field(|c, v| c.hash_max_listpack_entries = v.num() as usize),
    unum(
        "set-max-intset-entries",
        MODIFIABLE,
        0,
        LONG_MAX,
        512,
        NumFmt::Int,
    )
    .field(|c, v| c.set_max_intset_entries = v.num() as usize),
    unum(
        "zset-max-listpack-entries",
        MODIFIABLE,
        0,
        LONG_MAX,
        128,
        NumFmt::Int,
    )
    .alias("zset-max-ziplist-entries")
    .field(|c, v| c.zset_max_listpack_entries = v.num() as usize),
    unum(
        "active-defrag-ignore-bytes",
        MODIFIABLE,
        1,
        LONG_MAX,
        100 << 20,
        NumFmt::Memory,
    ),
    unum(
        "hash-max-listpack-value",
        MODIFIABLE,
        0,
        LONG_MAX,
        64,
        NumFmt::Memory,
    )
    .alias("hash-max-ziplist-value")
    .field(|c, v| c.hash_max_listpack_value = v.num() as usize),
    unum(
        "stream-node-max-bytes",
        MODIFIABLE,
        0,
        LONG_MAX,
        4096,
        NumFmt::Memory,
    )
    .field(|c, v| c.stream_node_max_bytes = v.num() as usize),
    unum(
        "zset-max-listpack-value",
        MODIFIABLE,
        0,
        LONG_MAX,
        64,
        NumFmt::Memory,
    )
    .alias("zset-max-ziplist-value")
    .field(|c, v| c.zset_max_listpack_value = v.num() as usize),
    unum(
        "hll-sparse-max-bytes",
        MODIFIABLE,
        0,
        LONG_MAX,
        3000,
        NumFmt::Memory,
    ),
    unum(
        "tracking-table-max-keys",
        MODIFIABLE,
        0,
        LONG_MAX,
        1000000,
        NumFmt::Int,
    ),
    unum(
        "client-query-buffer-limit",
        MODIFIABLE,
        1 << 20,
        LONG_MAX,
        1 << 30,
        NumFmt::Memory,
    )
    .field(|c, v| c.client_query_buffer_limit = v.num() as u64),
    num(
        "maxmemory-clients",
        MODIFIABLE,
        -100,
        LONG_MAX,
        0,
        NumFmt::MemoryPercent,
    ),
    int("repl-backlog-ttl", MODIFIABLE, 0, LONG_MAX, 3600),
    num(
        "auto-aof-rewrite-min-size",
        MODIFIABLE,
        0,
        LONG_MAX,
        64 << 20,
        NumFmt::Memory,
    ),
    int(
        "loading-process-events-interval-bytes",
        MODIFIABLE | HIDDEN,
        1024,
        INT_MAX,
        2 << 20,
    ),
    // TLS (Debian builds Redis with TLS, so these exist)
    int("tls-port", MODIFIABLE, 0, 65535, 0),
    int("tls-session-cache-size", MODIFIABLE, 0, INT_MAX, 20 * 1024),
    int("tls-session-cache-timeout", MODIFIABLE, 0, INT_MAX, 300),
    boolean("tls-cluster", MODIFIABLE, false),
    boolean("tls-replication", MODIFIABLE, false),
    enumeration("tls-auth-clients", MODIFIABLE, TLS_AUTH_CLIENTS, 1),
    boolean("tls-prefer-server-ciphers", MODIFIABLE, false),
    boolean("tls-session-caching", MODIFIABLE, true),
    string("tls-cert-file", MODIFIABLE, None),
    string("tls-key-file", MODIFIABLE, None),
    string("tls-key-file-pass", MODIFIABLE, None),
    string("tls-client-cert-file", MODIFIABLE, None),
    string("tls-client-key-file", MODIFIABLE, None),
    string("tls-client-key-file-pass", MODIFIABLE, None),
    string("tls-dh-params-file", MODIFIABLE, None),
    string("tls-ca-cert-file", MODIFIABLE, None),
    string("tls-ca-cert-dir", MODIFIABLE, None),
    string("tls-protocols", MODIFIABLE, None),
    string("tls-ciphers", MODIFIABLE, None),
    string("tls-ciphersuites", MODIFIABLE, None),
    // special
    special("dir", MODIFIABLE | PROTECTED | DENY_LOADING, Special::Dir).field(|_, _| {}),
    special("save", MODIFIABLE | MULTI_ARG, Special::Save),
    special(
        "client-output-buffer-limit",
        MODIFIABLE | MULTI_ARG,
        Special::ClientOutputBufferLimit,
    )
    .field(|c, v| {
        if let Value::Obuf(l) = v {
            c.obuf_normal = l[0];
            c.obuf_replica = l[1];
            c.obuf_pubsub = l[2];
        }
    }),
    special(
        "oom-score-adj-values",
        MODIFIABLE | MULTI_ARG,
        Special::OomScoreAdjValues,
    )
    .field(|c, v| {
        for (slot, n) in c.oom_score_adj_values.iter_mut().zip(v.list()) {
            *slot = n.parse().unwrap_or(0);
        }
    }),
    special(
        "notify-keyspace-events",
        MODIFIABLE,
        Special::NotifyKeyspaceEvents,
    )
    .field(|c, v| {
        c.notify_keyspace_events = v.num() as u32;
        crate::server::notify::set_flags(c.notify_keyspace_events);
    }),
    special("bind", MODIFIABLE | MULTI_ARG, Special::Bind).field(|c, v| {
        c.bind = v.list().to_vec();
    }),
    special("replicaof", IMMUTABLE | MULTI_ARG, Special::ReplicaOf).alias("slaveof"),
    special(
        "latency-tracking-info-percentiles",
        MODIFIABLE | MULTI_ARG,
        Special::LatencyPercentiles,
    )
    .field(|c, v| c.latency_percentiles = v.list().to_vec()),
];

/// Directives of old versions that Redis 7.0 still accepts and ignores,
/// with their argument count (name included).
const DEPRECATED: &[(&str, usize)] = &[
    ("list-max-ziplist-entries", 2),
    ("list-max-ziplist-value", 2),
    ("lua-replicate-commands", 2),
];

/// The current value of one setting.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    /// Numbers, enum values, notify-keyspace-events flags. Unsigned
    /// settings keep the bits of their u64 here.
    Num(i64),
    /// `None`: an unset string (Redis's NULL).
    Str(Option<String>),
    /// save (numbers as text), bind, oom-score-adj-values, replicaof
    /// (`[host, port]` or empty), latency percentiles (formatted).
    List(Vec<String>),
    Obuf([OutputLimit; 3]),
    /// `dir` is the process's working directory, read live.
    Dir,
}

impl Value {
    pub fn flag(&self) -> bool {
        matches!(self, Value::Bool(true))
    }
    pub fn num(&self) -> i64 {
        match self {
            Value::Num(n) => *n,
            Value::Bool(b) => *b as i64,
            _ => 0,
        }
    }
    pub fn str(&self) -> &str {
        match self {
            Value::Str(Some(s)) => s,
            _ => "",
        }
    }
    pub fn opt_str(&self) -> Option<String> {
        match self {
            Value::Str(s) => s.clone(),
            _ => None,
        }
    }
    pub fn list(&self) -> &[String] {
        match self {
            Value::List(l) => l,
            _ => &[],
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// Eviction (db/evict.rs): limit in bytes, 0 = none.
    pub maxmemory: u64,
    /// The `MAXMEMORY_POLICY` enum value (7 = noeviction).
    pub maxmemory_policy: u8,
    pub maxmemory_samples: u32,
    pub maxmemory_eviction_tenacity: u32,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    pub port: u16,
    pub bind: Vec<String>,
    pub tcp_backlog: i32,
    pub tcp_keepalive: u64,
    pub unixsocket: Option<String>,
    pub unixsocketperm: u32,
    pub maxclients: usize,
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub stream_node_max_bytes: usize,
    pub stream_node_max_entries: i64,
    /// Idle seconds before a client is closed; 0 = never.
    pub timeout: u64,
    pub protected_mode: bool,
    pub requirepass: Option<Vec<u8>>,
    pub databases: usize,
    pub hz: u32,
    pub loglevel: String,
    pub logfile: String,
    pub proto_max_bulk_len: i64,
    /// Most members an integer-only set keeps as an intset.
    pub set_max_intset_entries: usize,
    pub client_query_buffer_limit: u64,
    pub obuf_normal: OutputLimit,
    pub obuf_replica: OutputLimit,
    pub obuf_pubsub: OutputLimit,
    pub enable_debug_command: Protected,
    pub enable_protected_configs: Protected,
    pub active_expire_effort: u32,
    pub dynamic_hz: bool,
    pub always_show_logo: bool,
    pub latency_tracking: bool,
    /// `latency-tracking-info-percentiles` as CONFIG GET prints them.
    pub latency_percentiles: Vec<String>,
    /// `list-max-listpack-size`: quicklist node fill (negative = byte budget).
    pub list_max_listpack_size: i32,
    /// `list-compress-depth`: uncompressed nodes at each end (0 = none).
    pub list_compress_depth: i32,
    /// Keyspace notification classes, Redis's `NOTIFY_*` bits.
    pub notify_keyspace_events: u32,
    /// `min-replicas-to-write` / `min-replicas-max-lag`: with both non-zero
    /// a master needs that many good replicas to accept writes; reddish has
    /// none, so writes are then refused with NOREPLICAS, as Redis does.
    pub min_replicas_to_write: u32,
    pub min_replicas_max_lag: u32,
    /// DEL and FLUSHDB/FLUSHALL without a mode act as UNLINK and ASYNC
    /// (only the lazyfreed_objects statistic tells: freeing is inline).
    pub lazyfree_lazy_user_del: bool,
    pub lazyfree_lazy_user_flush: bool,
    /// The cron lends rehashing tables 1 ms per tick (see `db::rehash_slice`).
    pub activerehashing: bool,
    /// `oom-score-adj`: 0 no, 1 relative (yes), 2 absolute; applied to
    /// /proc/self/oom_score_adj by [`apply_oom_score_adj`].
    pub oom_score_adj: u8,
    /// `oom-score-adj-values`: master, replica, background child.
    pub oom_score_adj_values: [i32; 3],
    /// Where `main` writes the process id (removed at exit).
    pub pidfile: Option<String>,
    /// The config file we were started with (absolute), for CONFIG REWRITE and INFO.
    pub config_file: Option<String>,
    /// One value per `TABLE` entry: what CONFIG GET and REWRITE read.
    pub values: Vec<Value>,
    /// Directives given at start-up that reddish accepts but does not act on.
    pub not_implemented: Vec<String>,
    /// `rename-command`, `user`, `loadmodule` lines, kept for CONFIG REWRITE.
    pub kept_lines: Vec<String>,
    /// `rename-command from to` pairs in file order, applied to the
    /// command table when the server starts (`to` empty: removed).
    pub renamed_commands: Vec<(String, String)>,
}

impl Default for Config {
    fn default() -> Self {
        let mut c = Config {
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            maxmemory: 0,
            maxmemory_policy: 7,
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            port: 6379,
            bind: Vec::new(),
            tcp_backlog: 511,
            tcp_keepalive: 300,
            unixsocket: None,
            unixsocketperm: 0,
            maxclients: 10000,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
            timeout: 0,
            protected_mode: true,
            requirepass: None,
            databases: 16,
            hz: 10,
            loglevel: "notice".into(),
            logfile: String::new(),
            proto_max_bulk_len: 512 * 1024 * 1024,
            set_max_intset_entries: 512,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            obuf_normal: OBUF_DEFAULTS[0],
            obuf_replica: OBUF_DEFAULTS[1],
            obuf_pubsub: OBUF_DEFAULTS[2],
            enable_debug_command: Protected::No,
            enable_protected_configs: Protected::No,
            active_expire_effort: 1,
            dynamic_hz: true,
            always_show_logo: false,
            latency_tracking: true,
            latency_percentiles: vec!["50".into(), "99".into(), "99.9".into()],
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            notify_keyspace_events: 0,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 10,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            activerehashing: true,
            oom_score_adj: 0,
            oom_score_adj_values: [0, 200, 800],
            pidfile: None,
            config_file: None,
            values: TABLE.iter().map(default_value).collect(),
            not_implemented: Vec::new(),
            kept_lines: Vec::new(),
            renamed_commands: Vec::new(),
        };
        for (i, def) in TABLE.iter().enumerate() {
            if let Some(hook) = def.field {
                let v = c.values[i].clone();
                hook(&mut c, &v);
            }
        }
        c
    }
}

fn default_value(def: &ConfigDef) -> Value {
    match def.kind {
        Kind::Bool(b) => Value::Bool(b),
        Kind::Num { default, .. } => Value::Num(default),
        Kind::Str { default, .. } => Value::Str(default.map(str::to_string)),
        Kind::Enum { default, .. } => Value::Num(default),
        Kind::Special(s) => match s {
            Special::Dir => Value::Dir,
            Special::Save => Value::List(
                ["3600", "1", "300", "100", "60", "10000"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            ),
            Special::ClientOutputBufferLimit => Value::Obuf(OBUF_DEFAULTS),
            Special::OomScoreAdjValues => Value::List(vec!["0".into(), "200".into(), "800".into()]),
            Special::NotifyKeyspaceEvents => Value::Num(0),
            Special::Bind => Value::List(vec!["*".into(), "-::*".into()]),
            Special::ReplicaOf => Value::List(Vec::new()),
            Special::LatencyPercentiles => {
                Value::List(vec!["50".into(), "99".into(), "99.9".into()])
            }
        },
    }
}

/// Finds a setting by name or alias, ignoring case.
pub fn lookup(name: &[u8]) -> Option<usize> {
    TABLE.iter().position(|d| {
        d.name.as_bytes().eq_ignore_ascii_case(name)
            || d.alias
                .is_some_and(|a| a.as_bytes().eq_ignore_ascii_case(name))
    })
}

fn enum_name(names: &[(&'static str, i64)], v: i64) -> &'static str {
    names
        .iter()
        .find(|(_, x)| *x == v)
        .map(|(n, _)| *n)
        .unwrap_or("unknown")
}

/// Why start-up configuration failed; `main` prints it as Redis does.
#[derive(Debug)]
pub enum LoadError {
    /// `*** FATAL CONFIG FILE ERROR ***` with the offending line, if any.
    Fatal {
        line: Option<(usize, String)>,
        reason: String,
    },
    /// A config file (or include) could not be opened: logged, exit 1.
    Open { path: String, reason: String },
}

impl LoadError {
    /// The text Redis prints to stderr for a fatal config error.
    pub fn report(&self) -> String {
        match self {
            LoadError::Fatal { line, reason } => {
                let mut s = format!("\n*** FATAL CONFIG FILE ERROR (Redis {VERSION}) ***\n");
                if let Some((n, text)) = line {
                    let _ = writeln!(s, "Reading the configuration file, at line {n}");
                    let _ = writeln!(s, ">>> '{text}'");
                }
                s.push_str(reason);
                s.push('\n');
                s
            }
            LoadError::Open { path, reason } => {
                format!("Fatal error, can't open config file '{path}': {reason}")
            }
        }
    }
}

/// The C library's text for an errno, as Redis prints with `strerror`.
pub fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            // SAFETY: strerror returns a pointer to a static NUL-terminated string.
            let p = unsafe { libc::strerror(code) };
            if p.is_null() {
                return e.to_string();
            }
            unsafe { std::ffi::CStr::from_ptr(p) }
                .to_string_lossy()
                .into_owned()
        }
        None => e.to_string(),
    }
}

/// What the command line asked for, before any file is read.
#[derive(Debug, Default, Clone)]
pub struct CommandLine {
    pub config_file: Option<String>,
    pub from_stdin: bool,
    /// `--name v1 v2` turned into `name "v1" "v2"` lines, as Redis's `main`.
    pub options: String,
}

/// Parses `[config-file] [--name value ...] [-]` exactly as redis-server's
/// `main`: the first argument is the file unless it starts with `-`; a
/// lone `-` first or last reads stdin; after an option name the next
/// argument is always its value, even if it starts with `--`.
pub fn parse_command_line(args: &[String]) -> CommandLine {
    let mut cl = CommandLine::default();
    let mut j = 0;
    if let Some(first) = args.first() {
        if !first.starts_with('-') {
            cl.config_file = Some(first.clone());
            j = 1;
        }
    }
    let argc = args.len();
    let mut handled_last = true;
    while j < argc {
        let a = &args[j];
        let next_is_opt = j + 1 < argc && args[j + 1].starts_with("--");
        if a == "-" && (j == 0 || j == argc - 1) {
            cl.from_stdin = true;
        } else if handled_last && a.starts_with("--") {
            if !cl.options.is_empty() {
                cl.options.push('\n');
            }
            cl.options.push_str(&a[2..]);
            cl.options.push(' ');
            let words = split_words(a.as_bytes()).map(|w| w.len()).unwrap_or(1);
            if words == 1 {
                handled_last = false;
                let is_save = a.eq_ignore_ascii_case("--save");
                if is_save && (j == argc - 1 || next_is_opt) {
                    // `--save` with no value means `save ""` (pre-7.0 behaviour).
                    cl.options.push_str("\"\"");
                    handled_last = true;
                } else if a.eq_ignore_ascii_case("--sentinel") && next_is_opt {
                    handled_last = true;
                }
            } else {
                handled_last = true;
            }
        } else {
            cl.options.push_str(&repr(a.as_bytes()));
            cl.options.push(' ');
            handled_last = true;
        }
        j += 1;
    }
    cl
}

/// Redis's `sdscatrepr`: a double-quoted string with escapes.
pub fn repr(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

/// `sdssplitargs` into owned strings; `None` on unbalanced quotes.
fn split_words(line: &[u8]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut spans = Vec::new();
    split_args(line, &mut out, &mut spans).ok()?;
    Some(
        spans
            .iter()
            .map(|&(a, b)| String::from_utf8_lossy(&out[a..b]).into_owned())
            .collect(),
    )
}

fn read_file(path: &str) -> Result<String, LoadError> {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| LoadError::Open {
            path: path.to_string(),
            reason: strerror(&e),
        })
}

/// State kept across the lines of one load (Redis's `reading_config_file`).
#[derive(Default)]
struct Loading {
    /// The first `save` line replaces the defaults; later ones add to it.
    save_loaded: bool,
}

impl Config {
    /// Builds the configuration from the command line as redis-server does:
    /// file, then stdin, then the options; stdin is read only if asked.
    pub fn from_args(args: &[String]) -> Result<Config, LoadError> {
        let cl = parse_command_line(args);
        let stdin = if cl.from_stdin {
            // The logger is not installed yet: Redis logs this line itself.
            println!(
                "{}",
                crate::logging::line(log::Level::Warn, "Reading config from stdin")
            );
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut s);
            Some(s)
        } else {
            None
        };
        Config::load(&cl, stdin.as_deref())
    }

    /// Loads from a parsed command line, with stdin's text given.
    pub fn load(cl: &CommandLine, stdin: Option<&str>) -> Result<Config, LoadError> {
        let mut cfg = Config::default();
        let mut text = String::new();
        if let Some(path) = &cl.config_file {
            text.push_str(&read_file(path)?);
            let abs = std::fs::canonicalize(path)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| path.clone());
            cfg.config_file = Some(abs);
        }
        if let Some(s) = stdin {
            text.push_str(s);
        }
        if !cl.options.is_empty() {
            text.push('\n');
            text.push_str(&cl.options);
        }
        let mut state = Loading::default();
        cfg.load_string(&text, &mut state)?;
        let cluster = cfg.get_named("cluster-enabled").flag();
        if cluster && !cfg.get_named("replicaof").list().is_empty() {
            return Err(LoadError::Fatal {
                line: None,
                reason: "replicaof directive not allowed in cluster mode".into(),
            });
        }
        if !cfg.logfile.is_empty() {
            if let Err(e) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&cfg.logfile)
            {
                return Err(LoadError::Fatal {
                    line: None,
                    reason: format!("Can't open the log file: {}", strerror(&e)),
                });
            }
        }
        Ok(cfg)
    }

    /// Parses config text (Redis's `loadServerConfigFromString`).
    fn load_string(&mut self, text: &str, state: &mut Loading) -> Result<(), LoadError> {
        for (i, raw) in text.split('\n').enumerate() {
            let line = raw.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |reason: &str| LoadError::Fatal {
                line: Some((i + 1, line.to_string())),
                reason: reason.to_string(),
            };
            let Some(argv) = split_words(line.as_bytes()) else {
                return Err(fail("Unbalanced quotes in configuration line"));
            };
            if argv.is_empty() {
                continue;
            }
            let name = argv[0].to_ascii_lowercase();
            if let Some(idx) = lookup(name.as_bytes()) {
                let def = &TABLE[idx];
                if def.flags & MULTI_ARG == 0 && argv.len() != 2 {
                    return Err(fail("wrong number of arguments"));
                }
                // A multi-argument setting given as one non-empty argument
                // is split again, so `--save "900 1"` works as in Redis.
                let split = if def.flags & MULTI_ARG != 0 && argv.len() == 2 && !argv[1].is_empty()
                {
                    split_words(argv[1].as_bytes())
                } else {
                    None
                };
                let args = split.as_deref().unwrap_or(&argv[1..]);
                self.set_args(idx, args, Some(state))
                    .map_err(|e| fail(&e))?;
                if !def.implemented() && !self.not_implemented.iter().any(|n| n == def.name) {
                    self.not_implemented.push(def.name.to_string());
                }
                continue;
            }
            if DEPRECATED
                .iter()
                .any(|(n, argc)| *n == name && *argc == argv.len())
            {
                continue;
            }
            match name.as_str() {
                "include" if argv.len() == 2 => {
                    let included = self.read_include(&argv[1])?;
                    self.load_string(&included, state)?;
                }
                "rename-command" if argv.len() == 3 => {
                    // Checked against the table as earlier renames left it.
                    let mut table = crate::commands::table::CommandTable::new();
                    for (from, to) in &self.renamed_commands {
                        let _ = table.rename(from.as_bytes(), to.as_bytes());
                    }
                    table
                        .rename(argv[1].as_bytes(), argv[2].as_bytes())
                        .map_err(fail)?;
                    self.renamed_commands
                        .push((argv[1].clone(), argv[2].clone()));
                    self.kept_lines.push(line.to_string());
                }
                "user" if argv.len() >= 2 => self.keep(line, "user"),
                "loadmodule" if argv.len() >= 2 => self.keep(line, "loadmodule"),
                n if n.contains('.') => {
                    if argv.len() != 2 {
                        return Err(fail("Module config specified without value"));
                    }
                    self.keep(line, "module configs");
                }
                "sentinel" => {
                    if argv.len() != 1 {
                        return Err(fail("sentinel directive while not in sentinel mode"));
                    }
                }
                _ => return Err(fail("Bad directive or wrong number of arguments")),
            }
        }
        Ok(())
    }

    /// `include path`, with glob patterns as Redis (no match is not an error).
    fn read_include(&self, path: &str) -> Result<String, LoadError> {
        if !path.contains(['*', '?', '[']) {
            return read_file(path);
        }
        let p = std::path::Path::new(path);
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
        let pattern = p.file_name().map(|f| f.to_string_lossy().into_owned());
        let (Some(pattern), Ok(entries)) = (
            pattern,
            std::fs::read_dir(dir.unwrap_or(std::path::Path::new("."))),
        ) else {
            return Ok(String::new());
        };
        let mut names: Vec<std::path::PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| {
                let n = e.file_name();
                let n = n.to_string_lossy();
                !n.starts_with('.') && glob::matches(pattern.as_bytes(), n.as_bytes(), false)
            })
            .map(|e| e.path())
            .collect();
        names.sort();
        let mut text = String::new();
        for n in names {
            text.push_str(&read_file(&n.display().to_string())?);
        }
        Ok(text)
    }

    fn keep(&mut self, line: &str, what: &str) {
        self.kept_lines.push(line.to_string());
        if !self.not_implemented.iter().any(|n| n == what) {
            self.not_implemented.push(what.to_string());
        }
    }

    /// Replaces the stored value of a setting by name (used by hooks that
    /// normalise, like `hz`).
    fn store(&mut self, name: &str, v: Value) {
        if let Some(i) = TABLE.iter().position(|d| d.name == name) {
            self.values[i] = v;
        }
    }

    /// Sets entry `idx` from its arguments, validating as Redis does.
    /// `Ok(true)` if the value changed. `loading` is Some while reading
    /// the config file (only `save` behaves differently then).
    fn set_args(
        &mut self,
        idx: usize,
        argv: &[String],
        loading: Option<&mut Loading>,
    ) -> Result<bool, String> {
        let def = &TABLE[idx];
        let arg0 = argv.first().map(String::as_str).unwrap_or("");
        let new = match def.kind {
            Kind::Bool(_) => {
                if arg0.eq_ignore_ascii_case("yes") {
                    Value::Bool(true)
                } else if arg0.eq_ignore_ascii_case("no") {
                    Value::Bool(false)
                } else {
                    return Err("argument must be 'yes' or 'no'".into());
                }
            }
            Kind::Num {
                min,
                max,
                fmt,
                unsigned,
                ..
            } => Value::Num(parse_number(arg0, min, max, fmt, unsigned)?),
            Kind::Str { default, check } => {
                if let Some(check) = check {
                    check(arg0)?;
                }
                if arg0.is_empty() && default.is_none() {
                    Value::Str(None)
                } else {
                    Value::Str(Some(arg0.to_string()))
                }
            }
            Kind::Enum { names, multi, .. } => Value::Num(parse_enum(argv, names, multi)?),
            Kind::Special(s) => self.parse_special(s, argv, loading)?,
        };
        let changed = self.values[idx] != new || matches!(new, Value::Dir);
        if changed {
            self.values[idx] = new.clone();
            if let Some(hook) = def.field {
                hook(self, &new);
            }
        }
        Ok(changed)
    }

    fn parse_special(
        &mut self,
        s: Special,
        argv: &[String],
        loading: Option<&mut Loading>,
    ) -> Result<Value, String> {
        // A single empty argument means "none" for the list-valued ones.
        let empty = argv.is_empty() || (argv.len() == 1 && argv[0].is_empty());
        match s {
            Special::Dir => {
                if argv.len() != 1 {
                    return Err("wrong number of arguments".into());
                }
                std::env::set_current_dir(&argv[0]).map_err(|e| strerror(&e))?;
                Ok(Value::Dir)
            }
            Special::Save => {
                let args: &[String] = if empty { &[] } else { argv };
                if !args.len().is_multiple_of(2) {
                    return Err("Invalid save parameters".into());
                }
                let mut pairs = Vec::with_capacity(args.len());
                for (j, a) in args.iter().enumerate() {
                    let v = strtoll_full(a).ok_or("Invalid save parameters")?;
                    if (j % 2 == 0 && v < 1) || (j % 2 == 1 && v < 0) {
                        return Err("Invalid save parameters".into());
                    }
                    pairs.push(v.to_string());
                }
                let mut list = Vec::new();
                if let Some(state) = loading {
                    // While loading, the first save line replaces the
                    // defaults and later ones add to it.
                    // `save ""` empties the list, even after earlier lines.
                    if state.save_loaded && !empty {
                        list = self.get_named("save").list().to_vec();
                    }
                    state.save_loaded = true;
                }
                list.extend(pairs);
                Ok(Value::List(list))
            }
            Special::ClientOutputBufferLimit => {
                let cur = match self.get_named("client-output-buffer-limit") {
                    Value::Obuf(l) => *l,
                    _ => OBUF_DEFAULTS,
                };
                parse_obuf(argv, cur).map(Value::Obuf)
            }
            Special::OomScoreAdjValues => {
                if argv.len() != 3 {
                    return Err("wrong number of arguments".into());
                }
                let mut out = Vec::new();
                for a in argv {
                    match strtoll_full(a) {
                        Some(v) if (-2000..=2000).contains(&v) => out.push(v.to_string()),
                        _ => {
                            return Err("Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into())
                        }
                    }
                }
                Ok(Value::List(out))
            }
            Special::NotifyKeyspaceEvents => {
                if argv.len() != 1 {
                    return Err("wrong number of arguments".into());
                }
                notify_flags(&argv[0])
                    .map(|f| Value::Num(f as i64))
                    .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into())
            }
            Special::Bind => {
                if argv.len() > 16 {
                    return Err("Too many bind addresses specified.".into());
                }
                Ok(Value::List(if empty { Vec::new() } else { argv.to_vec() }))
            }
            Special::ReplicaOf => {
                if argv.len() != 2 {
                    return Err("wrong number of arguments".into());
                }
                if argv[0].eq_ignore_ascii_case("no") && argv[1].eq_ignore_ascii_case("one") {
                    return Ok(Value::List(Vec::new()));
                }
                match strtoll_full(&argv[1]) {
                    Some(p) if (0..=65535).contains(&p) => {
                        Ok(Value::List(vec![argv[0].clone(), p.to_string()]))
                    }
                    _ => Err("Invalid master port".into()),
                }
            }
            Special::LatencyPercentiles => {
                if empty {
                    return Ok(Value::List(Vec::new()));
                }
                let mut out = Vec::new();
                for a in argv {
                    let p: f64 = crate::util::numbers::parse_f64(a.as_bytes())
                        .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
                    if !(0.0..=100.0).contains(&p) {
                        return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
                    }
                    out.push(trim_double(&format!("{p:.6}")));
                }
                Ok(Value::List(out))
            }
        }
    }

    fn get_named(&self, name: &str) -> &Value {
        let i = TABLE.iter().position(|d| d.name == name).unwrap_or(0);
        &self.values[i]
    }

    /// CONFIG GET's text for entry `idx` (Redis's `interface.get`).
    pub fn get(&self, idx: usize) -> String {
        let def = &TABLE[idx];
        let v = &self.values[idx];
        match def.kind {
            Kind::Bool(_) => if v.flag() { "yes" } else { "no" }.to_string(),
            Kind::Num { fmt, .. } => {
                let n = v.num();
                match fmt {
                    NumFmt::MemoryPercent if n < 0 => format!("{}%", -n),
                    NumFmt::Memory | NumFmt::MemoryPercent => (n as u64).to_string(),
                    NumFmt::Octal => format!("{n:o}"),
                    NumFmt::Int => {
                        if matches!(def.kind, Kind::Num { unsigned: true, .. }) {
                            (n as u64).to_string()
                        } else {
                            n.to_string()
                        }
                    }
                }
            }
            Kind::Str { .. } => v.str().to_string(),
            Kind::Enum { names, multi, .. } => enum_text(names, multi, v.num()),
            Kind::Special(s) => match s {
                Special::Dir => std::env::current_dir()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                Special::ClientOutputBufferLimit => match v {
                    Value::Obuf(l) => {
                        let mut s = String::new();
                        for (j, lim) in l.iter().enumerate() {
                            if j > 0 {
                                s.push(' ');
                            }
                            let _ = write!(
                                s,
                                "{} {} {} {}",
                                OBUF_CLASSES[j], lim.hard, lim.soft, lim.soft_seconds
                            );
                        }
                        s
                    }
                    _ => String::new(),
                },
                Special::NotifyKeyspaceEvents => notify_string(v.num() as u32),
                _ => v.list().join(" "),
            },
        }
    }

    /// Sets a setting by name from one CONFIG SET-style value (multi-arg
    /// settings split on spaces). For tests and internal callers.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let idx = lookup(name.as_bytes()).ok_or_else(|| format!("unknown config '{name}'"))?;
        let argv = split_set_value(&TABLE[idx], value);
        self.set_args(idx, &argv, None).map(|_| ())
    }

    /// CONFIG SET of several pairs, all or nothing (Redis's
    /// `configSetCommand`). `local_client` decides `local` for protected
    /// configs. `relisten` re-binds the TCP listeners after `port` or `bind`
    /// changed (the listeners belong to the server); if it fails, the
    /// previous settings are restored and it is called once more for them,
    /// as Redis's `restoreBackupConfig` re-applies. The error is the whole
    /// reply text.
    pub fn config_set(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        local_client: bool,
        relisten: &mut dyn FnMut(&Config) -> std::io::Result<()>,
    ) -> Result<(), String> {
        // Checked in order; the first problem is the one reported. An alias
        // and its primary name are distinct entries in Redis's dictionary,
        // so only the same spelling twice counts as a duplicate.
        let mut idxs: Vec<usize> = Vec::with_capacity(pairs.len());
        let mut keys: Vec<(usize, bool)> = Vec::with_capacity(pairs.len());
        for (name, _) in pairs {
            let shown = String::from_utf8_lossy(name);
            let Some(idx) = lookup(name) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{shown}'"
                ));
            };
            let def = &TABLE[idx];
            if def.flags & IMMUTABLE != 0 {
                return Err(set_failed(&shown, Some("can't set immutable config")));
            }
            if def.flags & PROTECTED != 0 && !self.enable_protected_configs.allows(local_client) {
                return Err(set_failed(&shown, Some("can't set protected config")));
            }
            let key = (idx, display_name(def, name) != def.name);
            if keys.contains(&key) {
                return Err(set_failed(&shown, Some("duplicate parameter")));
            }
            keys.push(key);
            idxs.push(idx);
        }
        let backup = self.clone();
        let cwd = std::env::current_dir().ok();
        let restore = |me: &mut Config| {
            *me = backup.clone();
            if let Some(d) = &cwd {
                let _ = std::env::set_current_dir(d);
            }
            crate::logging::set_level(&me.loglevel);
        };
        let mut changed = Vec::new();
        for (k, (name, value)) in pairs.iter().enumerate() {
            let idx = idxs[k];
            let def = &TABLE[idx];
            let shown = display_name(def, name);
            let value = String::from_utf8_lossy(value);
            let argv = split_set_value(def, &value);
            match self.set_args(idx, &argv, None) {
                Ok(true) => changed.push(idx),
                Ok(false) => {}
                Err(e) => {
                    restore(self);
                    return Err(set_failed(shown, Some(&e)));
                }
            }
        }
        // The apply step: settings whose change needs work beyond storing.
        // Port and bind share one re-bind, as Redis calls an apply function
        // once however many of its settings changed.
        if let Some(&idx) = changed
            .iter()
            .find(|&&i| matches!(TABLE[i].name, "port" | "bind"))
        {
            let name = TABLE[idx].name;
            if let Err(e) = relisten(self) {
                log::warn!("Failed to bind: {e}");
                log::warn!(
                    "Failed applying new configuration. Possibly related to new {name} setting. Restoring previous settings."
                );
                restore(self);
                if let Err(e) = relisten(self) {
                    log::warn!("Failed applying restored configuration: {e}");
                }
                let msg = if name == "port" {
                    "Unable to listen on this port. Check server logs."
                } else {
                    "Failed to bind to specified addresses."
                };
                return Err(set_failed(name, Some(msg)));
            }
        }
        if changed
            .iter()
            .any(|&i| matches!(TABLE[i].name, "oom-score-adj" | "oom-score-adj-values"))
        {
            if let Err(e) = apply_oom_score_adj(self) {
                log::warn!("{e}");
                let name = if changed.iter().any(|&i| TABLE[i].name == "oom-score-adj") {
                    "oom-score-adj"
                } else {
                    "oom-score-adj-values"
                };
                restore(self);
                if let Err(e) = apply_oom_score_adj(self) {
                    log::warn!("Failed applying restored configuration: {e}");
                }
                return Err(set_failed(
                    name,
                    Some("Failed to set current oom_score_adj. Check server logs."),
                ));
            }
        }
        Ok(())
    }

    /// Matches CONFIG GET patterns: `(name as shown, entry)` pairs, each
    /// name once, in table order for patterns (Redis: hash order).
    pub fn matching(patterns: &[&[u8]]) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = Vec::new();
        let seen = |out: &Vec<(String, usize)>, n: &[u8]| {
            out.iter()
                .any(|(k, _)| k.as_bytes().eq_ignore_ascii_case(n))
        };
        for pat in patterns {
            if !pat.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
                if seen(&out, pat) {
                    continue;
                }
                if let Some(idx) = lookup(pat) {
                    out.push((String::from_utf8_lossy(pat).into_owned(), idx));
                }
                continue;
            }
            for (idx, def) in TABLE.iter().enumerate() {
                if def.flags & HIDDEN != 0 {
                    continue;
                }
                for name in std::iter::once(def.name).chain(def.alias) {
                    if !seen(&out, name.as_bytes()) && glob::matches(pat, name.as_bytes(), true) {
                        out.push((name.to_string(), idx));
                    }
                }
            }
        }
        out
    }

    /// CONFIG REWRITE: rewrites the file in place (Redis's `rewriteConfig`).
    pub fn rewrite(&self) -> Result<(), String> {
        self.rewrite_file(false)
    }

    /// DEBUG CONFIG-REWRITE-FORCE-ALL: every setting written, defaults too.
    pub fn rewrite_force_all(&self) -> Result<(), String> {
        self.rewrite_file(true)
    }

    fn rewrite_file(&self, force_all: bool) -> Result<(), String> {
        let Some(path) = &self.config_file else {
            return Err("ERR The server is running without a config file".into());
        };
        let old = match std::fs::read(path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("ERR Rewriting config file: {}", strerror(&e))),
        };
        let content = self.rewrite_content_with(&old, force_all);
        let tmp = format!("{path}.tmp-{}", std::process::id());
        let res =
            std::fs::write(&tmp, content.as_bytes()).and_then(|_| std::fs::rename(&tmp, path));
        match res {
            Ok(()) => {
                log::warn!("CONFIG REWRITE executed with success.");
                Ok(())
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                log::warn!("CONFIG REWRITE failed: {}", strerror(&e));
                Err(format!("ERR Rewriting config file: {}", strerror(&e)))
            }
        }
    }

    /// The new file text for CONFIG REWRITE given the old one.
    pub fn rewrite_content(&self, old: &str) -> String {
        self.rewrite_content_with(old, false)
    }

    fn rewrite_content_with(&self, old: &str, force_all: bool) -> String {
        let mut st = RewriteState::read(old);
        st.force_write = force_all;
        for (idx, def) in TABLE.iter().enumerate() {
            self.rewrite_one(idx, def, &mut st);
        }
        // Lines reddish keeps but does not interpret stay as they are.
        st.remove_orphaned();
        st.content()
    }

    fn rewrite_one(&self, idx: usize, def: &ConfigDef, st: &mut RewriteState) {
        let name = def.name;
        let v = &self.values[idx];
        let dv = default_value(def);
        match def.kind {
            Kind::Bool(d) => {
                let line = format!("{name} {}", if v.flag() { "yes" } else { "no" });
                st.rewrite_line(name, line, v.flag() != d);
            }
            Kind::Num { fmt, default, .. } => {
                let n = v.num();
                let text = match fmt {
                    NumFmt::MemoryPercent if n < 0 => format!("{}%", -n),
                    NumFmt::Memory | NumFmt::MemoryPercent => format_memory(n),
                    NumFmt::Octal => format!("{n:o}"),
                    NumFmt::Int => self.get(idx),
                };
                st.rewrite_line(name, format!("{name} {text}"), n != default);
            }
            Kind::Str { default, .. } => match v {
                Value::Str(Some(s)) => {
                    let force = default != Some(s.as_str());
                    st.rewrite_line(name, format!("{name} {}", repr(s.as_bytes())), force);
                }
                _ => st.mark(name),
            },
            Kind::Enum {
                names,
                multi,
                default,
            } => {
                let line = format!("{name} {}", enum_text(names, multi, v.num()));
                st.rewrite_line(name, line, v.num() != default);
            }
            Kind::Special(s) => match s {
                Special::Dir => {
                    let cwd = self.get(idx);
                    st.rewrite_line(name, format!("{name} {}", repr(cwd.as_bytes())), true);
                }
                Special::Save => {
                    let l = v.list();
                    if l.is_empty() {
                        st.rewrite_line(name, "save \"\"".into(), true);
                    }
                    for p in l.chunks(2) {
                        if let [a, b] = p {
                            st.rewrite_line(name, format!("save {a} {b}"), true);
                        }
                    }
                    st.mark(name);
                }
                Special::ClientOutputBufferLimit => {
                    if let Value::Obuf(l) = v {
                        for (j, lim) in l.iter().enumerate() {
                            let class = if j == 1 { "replica" } else { OBUF_CLASSES[j] };
                            let line = format!(
                                "{name} {class} {} {} {}",
                                format_memory(lim.hard as i64),
                                format_memory(lim.soft as i64),
                                lim.soft_seconds
                            );
                            st.rewrite_line(name, line, *lim != OBUF_DEFAULTS[j]);
                        }
                    }
                }
                Special::OomScoreAdjValues => {
                    st.rewrite_line(name, format!("{name} {}", v.list().join(" ")), *v != dv);
                }
                Special::NotifyKeyspaceEvents => {
                    let flags = notify_string(v.num() as u32);
                    let line = format!("{name} {}", repr(flags.as_bytes()));
                    st.rewrite_line(name, line, v.num() != 0);
                }
                Special::Bind => {
                    if *v == dv {
                        st.mark(name);
                    } else {
                        let l = v.list();
                        let addrs = if l.is_empty() {
                            "\"\"".to_string()
                        } else {
                            l.join(" ")
                        };
                        st.rewrite_line(name, format!("{name} {addrs}"), true);
                    }
                }
                Special::ReplicaOf => match v.list() {
                    [host, port] => st.rewrite_line(name, format!("{name} {host} {port}"), true),
                    _ => st.mark(name),
                },
                Special::LatencyPercentiles => {
                    let l = v.list();
                    let line = if l.is_empty() {
                        format!("{name} \"\"")
                    } else {
                        format!("{name} {}", l.join(" "))
                    };
                    st.rewrite_line(name, line, true);
                }
            },
        }
    }
}

/// Redis's error for a failed CONFIG SET.
fn set_failed(name: &str, reason: Option<&str>) -> String {
    match reason {
        Some(r) => format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {r}"),
        None => format!("ERR CONFIG SET failed (possibly related to argument '{name}')"),
    }
}

/// The name Redis reports for a value error: the alias if that was used.
fn display_name<'a>(def: &'a ConfigDef, given: &[u8]) -> &'a str {
    match def.alias {
        Some(a) if a.as_bytes().eq_ignore_ascii_case(given) => a,
        _ => def.name,
    }
}

/// CONFIG SET's value as arguments: multi-argument settings split on
/// single spaces (`sdssplitlen`), an empty value giving no argument.
fn split_set_value(def: &ConfigDef, value: &str) -> Vec<String> {
    if def.flags & MULTI_ARG == 0 {
        return vec![value.to_string()];
    }
    if value.is_empty() {
        return Vec::new();
    }
    value.split(' ').map(str::to_string).collect()
}

fn enum_text(names: &[(&'static str, i64)], multi: bool, v: i64) -> String {
    if !multi {
        return enum_name(names, v).to_string();
    }
    if v == 0 {
        return enum_name(names, 0).to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for &(n, bit) in names {
        if bit != 0 && v & bit == bit {
            parts.push(n);
        }
    }
    parts.join(" ")
}

fn parse_enum(argv: &[String], names: &[(&'static str, i64)], multi: bool) -> Result<i64, String> {
    let find = |a: &str| {
        names
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(a))
            .map(|(_, v)| *v)
    };
    let bad = || {
        let list: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
        format!(
            "argument(s) must be one of the following: {}",
            list.join(", ")
        )
    };
    if !multi {
        return find(argv.first().map(String::as_str).unwrap_or("")).ok_or_else(bad);
    }
    if argv.is_empty() {
        return Err(bad());
    }
    let mut v = 0;
    for a in argv {
        v |= find(a).ok_or_else(bad)?;
    }
    Ok(v)
}

/// `strtoll(s, &end, 10)` that must consume the whole string.
fn strtoll_full(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if t.is_empty() {
        return Some(0).filter(|_| s.is_empty());
    }
    t.parse::<i64>().ok()
}

/// Parses a number as Redis's `numericParseString` then checks its bounds
/// as `numericBoundaryCheck`.
fn parse_number(s: &str, min: i64, max: i64, fmt: NumFmt, unsigned: bool) -> Result<i64, String> {
    let mut parsed = None;
    if matches!(fmt, NumFmt::Memory | NumFmt::MemoryPercent) {
        parsed = memtoull(s).map(|v| v as i64);
    }
    if parsed.is_none() && fmt == NumFmt::MemoryPercent && s.len() > 1 && s.ends_with('%') {
        if let Some(v) = crate::util::numbers::parse_i64(&s.as_bytes()[..s.len() - 1]) {
            if v >= 0 {
                parsed = Some(-v);
            }
        }
    }
    if parsed.is_none() && fmt == NumFmt::Octal {
        parsed = parse_octal(s);
    }
    if parsed.is_none() && fmt == NumFmt::Int {
        parsed = crate::util::numbers::parse_i64(s.as_bytes());
    }
    let Some(v) = parsed else {
        return Err(match fmt {
            NumFmt::MemoryPercent => "argument must be a memory or percent value",
            NumFmt::Memory => "argument must be a memory value",
            NumFmt::Octal => "argument couldn't be parsed as an octal number",
            NumFmt::Int => "argument couldn't be parsed into an integer",
        }
        .into());
    };
    if unsigned {
        let (u, lo, hi) = (v as u64, min as u64, max as u64);
        if u > hi || u < lo {
            return Err(if fmt == NumFmt::Octal {
                format!("argument must be between {lo:o} and {hi:o} inclusive")
            } else {
                format!("argument must be between {lo} and {hi} inclusive")
            });
        }
    } else if fmt == NumFmt::MemoryPercent && v < 0 {
        if v < min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -min
            ));
        }
    } else if v > max || v < min {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(v)
}

/// `strtoll(s, &end, 8)` consuming everything; an empty string is 0 as in C.
fn parse_octal(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() {
        return if s.is_empty() { Some(0) } else { None };
    }
    let v = i64::from_str_radix(digits, 8).ok()?;
    Some(if neg { -v } else { v })
}

/// Redis's `memtoull`: digits with an optional unit, `k`=1000, `kb`=1024,
/// `m`, `mb`, `g`, `gb`, case-insensitive; `None` on anything else.
pub fn memtoull(s: &str) -> Option<u64> {
    if s.starts_with('-') {
        return None;
    }
    let digits_end = s
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    let (digits, unit) = s.split_at(digits_end);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.len() >= 128 {
        return None;
    }
    // strtoull: no digits is 0, too many saturates (Redis 7.0 does not
    // check ERANGE here, nor overflow of the unit multiplication).
    let v: u64 = if digits.is_empty() {
        0
    } else {
        digits.parse().unwrap_or(u64::MAX)
    };
    Some(v.wrapping_mul(mul))
}

/// `1gb`/`1mb`/`1kb` when exact, else bytes (Redis's `rewriteConfigFormatMemory`).
fn format_memory(bytes: i64) -> String {
    const GB: i64 = 1 << 30;
    const MB: i64 = 1 << 20;
    const KB: i64 = 1 << 10;
    if bytes != 0 && bytes % GB == 0 {
        format!("{}gb", bytes / GB)
    } else if bytes != 0 && bytes % MB == 0 {
        format!("{}mb", bytes / MB)
    } else if bytes != 0 && bytes % KB == 0 {
        format!("{}kb", bytes / KB)
    } else {
        bytes.to_string()
    }
}

/// Drops trailing zeros of `%f` output (`99.900000` → `99.9`, `50.000000` → `50`).
fn trim_double(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    let t = s.trim_end_matches('0');
    t.trim_end_matches('.').to_string()
}

fn parse_obuf(argv: &[String], mut cur: [OutputLimit; 3]) -> Result<[OutputLimit; 3], String> {
    if !argv.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut set = [None; 3];
    for chunk in argv.chunks(4) {
        let class = match chunk[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let hard = memtoull(&chunk[1]);
        let soft = memtoull(&chunk[2]);
        let secs = strtoll_full(&chunk[3]).filter(|s| (0..=i32::MAX as i64).contains(s));
        let (Some(hard), Some(soft), Some(secs)) = (hard, soft, secs) else {
            return Err(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.".into(),
            );
        };
        set[class] = Some(OutputLimit {
            hard,
            soft,
            soft_seconds: secs as u64,
        });
    }
    for (j, s) in set.iter().enumerate() {
        if let Some(l) = s {
            cur[j] = *l;
        }
    }
    Ok(cur)
}

// Redis's NOTIFY_* bits (server.h).
const N_KEYSPACE: u32 = 1 << 0;
const N_KEYEVENT: u32 = 1 << 1;
const N_GENERIC: u32 = 1 << 2;
const N_STRING: u32 = 1 << 3;
const N_LIST: u32 = 1 << 4;
const N_SET: u32 = 1 << 5;
const N_HASH: u32 = 1 << 6;
const N_ZSET: u32 = 1 << 7;
const N_EXPIRED: u32 = 1 << 8;
const N_EVICTED: u32 = 1 << 9;
const N_STREAM: u32 = 1 << 10;
const N_KEY_MISS: u32 = 1 << 11;
const N_LOADED: u32 = 1 << 12;
const N_MODULE: u32 = 1 << 13;
const N_NEW: u32 = 1 << 14;
const N_ALL: u32 = N_GENERIC
    | N_STRING
    | N_LIST
    | N_SET
    | N_HASH
    | N_ZSET
    | N_EXPIRED
    | N_EVICTED
    | N_STREAM
    | N_MODULE;

/// Redis's `keyspaceEventsStringToFlags`.
pub fn notify_flags(s: &str) -> Option<u32> {
    let mut f = 0;
    for c in s.chars() {
        f |= match c {
            'A' => N_ALL,
            'g' => N_GENERIC,
            '$' => N_STRING,
            'l' => N_LIST,
            's' => N_SET,
            'h' => N_HASH,
            'z' => N_ZSET,
            'x' => N_EXPIRED,
            'e' => N_EVICTED,
            'K' => N_KEYSPACE,
            'E' => N_KEYEVENT,
            't' => N_STREAM,
            'm' => N_KEY_MISS,
            'd' => N_MODULE,
            'n' => N_NEW,
            _ => return None,
        };
    }
    let _ = N_LOADED;
    Some(f)
}

/// Redis's `keyspaceEventsFlagsToString`.
pub fn notify_string(f: u32) -> String {
    let mut s = String::new();
    if f & N_ALL == N_ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (N_GENERIC, 'g'),
            (N_STRING, '$'),
            (N_LIST, 'l'),
            (N_SET, 's'),
            (N_HASH, 'h'),
            (N_ZSET, 'z'),
            (N_EXPIRED, 'x'),
            (N_EVICTED, 'e'),
            (N_STREAM, 't'),
            (N_MODULE, 'd'),
            (N_NEW, 'n'),
        ] {
            if f & bit != 0 {
                s.push(c);
            }
        }
    }
    for (bit, c) in [(N_KEYSPACE, 'K'), (N_KEYEVENT, 'E'), (N_KEY_MISS, 'm')] {
        if f & bit != 0 {
            s.push(c);
        }
    }
    s
}

fn is_base_name(s: &str) -> bool {
    !s.contains('/') && !s.contains('\\')
}

fn valid_dbfilename(s: &str) -> Result<(), &'static str> {
    if !is_base_name(s) {
        return Err("dbfilename can't be a path, just a filename");
    }
    Ok(())
}

fn valid_aof_filename(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("appendfilename can't be empty");
    }
    if !is_base_name(s) {
        return Err("appendfilename can't be a path, just a filename");
    }
    Ok(())
}

fn valid_aof_dirname(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("appenddirname can't be empty");
    }
    if !is_base_name(s) {
        return Err("appenddirname can't be a path, just a dirname");
    }
    Ok(())
}

fn valid_hostname(s: &str) -> Result<(), &'static str> {
    if s.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !s
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

/// Redis's `validateProcTitleTemplate`: balanced braces around known names,
/// and `{title}` somewhere.
fn valid_proc_title(s: &str) -> Result<(), &'static str> {
    const ERR: &str = "template format is invalid or contains unknown variables";
    const VARS: &[&str] = &[
        "title",
        "listen-addr",
        "server-mode",
        "port",
        "tls-port",
        "unixsocket",
        "config-file",
    ];
    let mut rest = s;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err(ERR);
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or(ERR)?;
        if !VARS.contains(&&after[..close]) {
            return Err(ERR);
        }
        rest = &after[close + 1..];
    }
    // Redis expands the template with an empty title and refuses it only
    // if nothing but spaces is left. Variables that may expand to nothing
    // (the title, server mode, socket and config file) count as empty.
    let mut left = String::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        left.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').unwrap_or(after.len());
        let var = &after[..close];
        if !matches!(var, "title" | "server-mode" | "unixsocket" | "config-file") {
            left.push('x');
        }
        rest = after.get(close + 1..).unwrap_or("");
    }
    left.push_str(rest);
    if left.trim_matches(' ').is_empty() {
        return Err(ERR);
    }
    Ok(())
}

/// The old file split into lines plus where each option appears (Redis's
/// `rewriteConfigState`).
struct RewriteState {
    lines: Vec<Option<String>>,
    /// option name → indexes of its lines not yet reused.
    option_lines: Vec<(String, Vec<usize>)>,
    rewritten: Vec<String>,
    needs_signature: bool,
    /// Write every setting, defaults included (DEBUG CONFIG-REWRITE-FORCE-ALL).
    force_write: bool,
}

const SIGNATURE: &str = "# Generated by CONFIG REWRITE";

impl RewriteState {
    fn read(old: &str) -> RewriteState {
        let mut st = RewriteState {
            lines: Vec::new(),
            option_lines: Vec::new(),
            rewritten: Vec::new(),
            needs_signature: true,
            force_write: false,
        };
        if old.is_empty() {
            return st;
        }
        for raw in old.split('\n') {
            let line = raw.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
            if line.is_empty() || line.starts_with('#') {
                if line == SIGNATURE {
                    st.needs_signature = false;
                }
                st.lines.push(Some(line.to_string()));
                continue;
            }
            let argv = split_words(line.as_bytes());
            let known = argv.as_ref().and_then(|a| a.first()).is_some_and(|n| {
                lookup(n.as_bytes()).is_some()
                    || [
                        "include",
                        "rename-command",
                        "user",
                        "loadmodule",
                        "sentinel",
                    ]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(n))
            });
            let Some(argv) = argv.filter(|_| known) else {
                st.lines.push(Some(format!("# ??? {line}")));
                continue;
            };
            let mut name = argv[0].to_ascii_lowercase();
            // An alias line (hash-max-ziplist-entries) stands for its
            // setting, so the rewrite updates it in place rather than
            // adding a second line that a restart would read first.
            if let Some(i) = lookup(name.as_bytes()) {
                name = TABLE[i].name.to_string();
            }
            if let Some(p) = name.find("slave") {
                name = format!("{}replica{}", &name[..p], &name[p + 5..]);
            }
            st.lines.push(Some(line.to_string()));
            let n = st.lines.len() - 1;
            match st.option_lines.iter_mut().find(|(k, _)| *k == name) {
                Some((_, v)) => v.push(n),
                None => st.option_lines.push((name, vec![n])),
            }
        }
        // Like Redis, the empty piece after the final newline stays a line:
        // appended settings come after one blank line.
        st
    }

    fn mark(&mut self, option: &str) {
        if !self.rewritten.iter().any(|r| r == option) {
            self.rewritten.push(option.to_string());
        }
    }

    /// Reuses the option's next old line, or appends when forced (a
    /// non-default value), after the signature comment.
    fn rewrite_line(&mut self, option: &str, line: String, force: bool) {
        self.mark(option);
        let pos = self.option_lines.iter().position(|(k, _)| k == option);
        match pos {
            Some(p) => {
                let n = self.option_lines[p].1.remove(0);
                if self.option_lines[p].1.is_empty() {
                    self.option_lines.remove(p);
                }
                self.lines[n] = Some(line);
            }
            None if force || self.force_write => {
                if self.needs_signature {
                    self.lines.push(Some(SIGNATURE.to_string()));
                    self.needs_signature = false;
                }
                self.lines.push(Some(line));
            }
            None => {}
        }
    }

    /// Blanks the leftover lines of options that were rewritten (a second
    /// `save` line, a duplicate), keeping lines of options we don't handle.
    fn remove_orphaned(&mut self) {
        for (opt, lines) in &self.option_lines {
            if !self.rewritten.iter().any(|r| r == opt) {
                continue;
            }
            for &n in lines {
                self.lines[n] = Some(String::new());
            }
        }
        self.option_lines.clear();
    }

    /// Joins the lines, squeezing runs of empty lines into one.
    fn content(&self) -> String {
        let mut out = String::new();
        let mut was_empty = false;
        for l in self.lines.iter().flatten() {
            if l.is_empty() {
                if was_empty {
                    continue;
                }
                was_empty = true;
            } else {
                was_empty = false;
            }
            out.push_str(l);
            out.push('\n');
        }
        out
    }
}

/// The process's oom_score_adj before reddish first changed it, and whether
/// it did (Redis keeps the same two statics in `setOOMScoreAdj`).
static OOM_BASE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);
static OOM_ADJUSTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Redis's `setOOMScoreAdj` for the master class (called at start-up and
/// when `oom-score-adj` or its values change): with the setting on, writes
/// the master value (added to the score found before the first change, when
/// relative) clamped to ±1000 into /proc/self/oom_score_adj; turned off,
/// writes that original score back. Not Linux: nothing to do.
pub fn apply_oom_score_adj(cfg: &Config) -> Result<(), String> {
    use std::sync::atomic::Ordering::Relaxed;
    const PATH: &str = "/proc/self/oom_score_adj";
    if !cfg!(target_os = "linux") {
        return Ok(());
    }
    let val = if cfg.oom_score_adj != 0 {
        if !OOM_ADJUSTED.load(Relaxed) {
            let text = std::fs::read_to_string(PATH)
                .map_err(|e| format!("Unable to read oom_score_adj: {e}"))?;
            OOM_ADJUSTED.store(true, Relaxed);
            OOM_BASE.store(text.trim().parse().unwrap_or(0), Relaxed);
        }
        let mut v = cfg.oom_score_adj_values[0];
        if cfg.oom_score_adj == 1 {
            v += OOM_BASE.load(Relaxed);
        }
        v.clamp(-1000, 1000)
    } else if OOM_ADJUSTED.swap(false, Relaxed) {
        OOM_BASE.load(Relaxed)
    } else {
        return Ok(());
    };
    std::fs::write(PATH, format!("{val}\n"))
        .map_err(|e| format!("Unable to write oom_score_adj: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units() {
        assert_eq!(memtoull("1k"), Some(1000));
        assert_eq!(memtoull("1KB"), Some(1024));
        assert_eq!(memtoull("2mb"), Some(2 << 20));
        assert_eq!(memtoull("3G"), Some(3_000_000_000));
        assert_eq!(memtoull("1gb"), Some(1 << 30));
        assert_eq!(memtoull("10x"), None);
        assert_eq!(memtoull("-1"), None);
        assert_eq!(format_memory(64 << 20), "64mb");
        assert_eq!(format_memory(1000), "1000");
    }

    #[test]
    fn command_line_like_redis() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cl = parse_command_line(&a(&["/x.conf", "--port", "7", "--bind", "a", "b", "-"]));
        assert_eq!(cl.config_file.as_deref(), Some("/x.conf"));
        assert!(cl.from_stdin);
        assert_eq!(cl.options, "port \"7\" \nbind \"a\" \"b\" ");
        let cl = parse_command_line(&a(&["--save", "--port", "7"]));
        assert_eq!(cl.options, "save \"\"\nport \"7\" ");
        let cl = parse_command_line(&a(&["--requirepass", "--x"]));
        assert_eq!(cl.options, "requirepass \"--x\" ");
    }

    #[test]
    fn defaults_match_redis() {
        let c = Config::default();
        let get = |n: &str| c.get(lookup(n.as_bytes()).unwrap());
        assert_eq!(get("save"), "3600 1 300 100 60 10000");
        assert_eq!(
            get("client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        assert_eq!(get("bind"), "* -::*");
        assert_eq!(get("unixsocketperm"), "0");
        assert_eq!(get("proto-max-bulk-len"), "536870912");
        assert_eq!(get("maxclients"), "10000");
        assert_eq!(c.port, 6379);
        assert_eq!(c.bind, vec!["*".to_string(), "-::*".to_string()]);
    }

    #[test]
    fn force_all_rewrite_loads_back_identically() {
        let mut c = Config::default();
        c.set("maxmemory", "3mb").unwrap();
        c.set("save", "").unwrap();
        let text = c.rewrite_content_with("", true);
        assert!(text.contains("\nhash-max-listpack-entries 512\n"), "{text}");
        let mut back = Config::default();
        back.load_string(&text, &mut Loading::default()).unwrap();
        for (i, def) in TABLE.iter().enumerate() {
            assert_eq!(back.get(i), c.get(i), "{}", def.name);
        }
    }

    #[test]
    fn save_lines_accumulate_while_loading() {
        let mut c = Config::default();
        let mut st = Loading::default();
        c.load_string("save 900 1\nsave 300 10\n", &mut st).unwrap();
        assert_eq!(c.get(lookup(b"save").unwrap()), "900 1 300 10");
    }

    #[test]
    fn rewrite_keeps_comments_and_blanks_orphans() {
        let mut c = Config::default();
        c.set("hz", "20").unwrap();
        c.set("timeout", "5").unwrap();
        let out = c.rewrite_content("# hi\nhz 10\n\n\nhz 30\nfoo bar\n");
        assert!(out.starts_with("# hi\nhz 20\n\n# ??? foo bar\n"), "{out}");
        assert!(out.contains("# Generated by CONFIG REWRITE\n"));
        assert!(out.contains("\ntimeout 5\n"));
    }
}
