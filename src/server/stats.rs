//! Counters behind INFO stats (Redis's `server.stat_*` fields).

/// Per-command counters for INFO commandstats.
#[derive(Default, Clone)]
pub struct CommandStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
    /// INFO latencystats, from the first call on (`latency-tracking`).
    pub latency: Option<Box<super::latency::Histogram>>,
}

impl CommandStat {
    /// Adds one call's duration to `usec` and, when tracking, to the
    /// latency histogram.
    #[inline]
    pub fn add_time(&mut self, usec: u64, tracking: bool) {
        self.usec += usec;
        if tracking {
            self.latency
                .get_or_insert_with(Default::default)
                .record_usec(usec);
        }
    }
}

#[derive(Default)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub total_net_input_bytes: u64,
    pub total_net_output_bytes: u64,
    pub rejected_connections: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub evicted_keys: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub total_reads_processed: u64,
    pub total_writes_processed: u64,
    pub client_qbuf_limit_disconnections: u64,
    pub client_outbuf_limit_disconnections: u64,
    /// Active expiry (filled by `db::expire`): share of sampled keys found
    /// expired, cycles stopped by their time budget, CPU spent.
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub expire_cycle_cpu_milliseconds: u64,
    /// Error replies by their first word (`ERR`, `WRONGTYPE`...): errorstats.
    pub errors: std::collections::BTreeMap<String, u64>,
    /// Samples for the instantaneous_* fields, filled by the cron.
    pub ops_samples: Samples,
    pub net_in_samples: Samples,
    pub net_out_samples: Samples,
    /// Writes since the last save (Redis's `server.dirty`): write
    /// commands add the number of changes they made. INFO
    /// rdb_changes_since_last_save.
    pub dirty: u64,
    /// Highest `used_memory` seen (INFO used_memory_peak).
    pub peak_memory: u64,
    /// `used_memory` of the empty server right after start.
    pub startup_memory: u64,
    /// Values Redis would have handed to its lazy-free thread (UNLINK of a
    /// big value, FLUSHALL ASYNC's keys): INFO lazyfreed_objects. Ours are
    /// freed at once, so nothing is ever pending.
    pub lazyfreed_objects: u64,
}

/// A ring of per-interval rates, as Redis's `trackInstantaneousMetric`.
#[derive(Default)]
pub struct Samples {
    last_time_ms: i64,
    last_value: u64,
    ring: [f64; 16],
    idx: usize,
}

impl Samples {
    pub fn track(&mut self, now_ms: i64, value: u64) {
        if self.last_time_ms != 0 {
            let dt = (now_ms - self.last_time_ms).max(1) as f64;
            let per_sec = (value.saturating_sub(self.last_value)) as f64 * 1000.0 / dt;
            self.ring[self.idx] = per_sec;
            self.idx = (self.idx + 1) % self.ring.len();
        }
        self.last_time_ms = now_ms;
        self.last_value = value;
    }

    pub fn rate(&self) -> f64 {
        self.ring.iter().sum::<f64>() / self.ring.len() as f64
    }
}

impl Stats {
    /// Counters for a server starting now: zero, except the memory
    /// baseline INFO measures the dataset against.
    pub fn at_start() -> Stats {
        let used = crate::commands::info::allocator_stats().0;
        Stats {
            peak_memory: used,
            startup_memory: used,
            ..Stats::default()
        }
    }

    /// Counts an error reply under its code (the text up to the first space).
    pub fn count_error(&mut self, text: &[u8]) {
        self.total_error_replies += 1;
        let code = text.split(|&c| c == b' ').next().unwrap_or(b"ERR");
        let code = String::from_utf8_lossy(&code[..code.len().min(64)]).into_owned();
        // Redis caps the table at 128 distinct codes to bound memory.
        if self.errors.len() < 128 || self.errors.contains_key(&code) {
            *self.errors.entry(code).or_insert(0) += 1;
        }
    }
}
