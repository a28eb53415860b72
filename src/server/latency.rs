//! Per-command latency histograms (Redis 7.0's `latency-tracking`, INFO
//! `latencystats`).
//!
//! Redis records every call's duration in an HDR histogram (Gil Tene's
//! High Dynamic Range histogram, the C port Redis vendors) with two
//! significant digits, from 1 ns to 1 s, and INFO prints the configured
//! percentiles (`latency-tracking-info-percentiles`, 50 99 99.9) per
//! command in microseconds. We keep the same bucket layout so the printed
//! numbers are the same for the same durations:
//!
//! * Values below 256 ns have a bucket each. Above, each power-of-two range
//!   [2^k, 2^(k+1)) is cut into 128 equal buckets, so a bucket is at most
//!   1/128 of its value wide: two significant digits.
//! * A percentile is the *highest* value of the bucket in which the running
//!   count reaches `p% × total` (rounded half up, at least 1), as
//!   `hdr_value_at_percentile` answers. A 9 µs call therefore reads as
//!   9.023 µs, exactly what Redis prints.
//! * Redis measures calls in whole microseconds and records µs × 1000, so
//!   we do too; durations are clamped to [1 ns, 1 s] as Redis clamps them.
//!
//! The counters come in chunks of 128 (one power of two, 1 KB), each
//! allocated when a duration first falls in it: a command whose calls take
//! 5 to 40 µs holds four chunks, and commands never called hold nothing.
//! (Redis allocates its whole 1 ns..1 s range, about 24 KB, on a command's
//! first call.) Small fixed steps also keep a slow call from growing one
//! big array at a moment when memory is tight.

/// Sub-buckets per power of two, halved (HDR's `sub_bucket_half_count`).
const HALF: u64 = 128;
const HALF_BITS: u32 = 7;
/// Redis's LATENCY_HISTOGRAM_MIN_VALUE / MAX_VALUE, in ns.
const MIN_NS: u64 = 1;
const MAX_NS: u64 = 1_000_000_000;

const CHUNK: usize = HALF as usize;

#[derive(Default, Debug, Clone)]
pub struct Histogram {
    chunks: Vec<Option<Box<[u64; CHUNK]>>>,
    total: u64,
}

/// (bucket, sub-bucket) of a value: HDR's `get_bucket_index` and
/// `get_sub_bucket_index` with a unit of 1.
fn bucket_of(v: u64) -> (u32, u64) {
    let pow2ceiling = 64 - (v | (2 * HALF - 1)).leading_zeros();
    let bucket = pow2ceiling - (HALF_BITS + 1);
    (bucket, v >> bucket)
}

fn index_of(v: u64) -> usize {
    let (bucket, sub) = bucket_of(v);
    (((bucket as u64 + 1) << HALF_BITS) + sub - HALF) as usize
}

/// The lowest value a counts index stands for.
fn value_at(index: usize) -> u64 {
    let index = index as u64;
    let mut bucket = (index >> HALF_BITS) as i64 - 1;
    let mut sub = (index & (HALF - 1)) + HALF;
    if bucket < 0 {
        sub -= HALF;
        bucket = 0;
    }
    sub << bucket
}

/// The highest value equivalent to `v` (same bucket).
fn highest_equivalent(v: u64) -> u64 {
    let (bucket, sub) = bucket_of(v);
    let lowest = sub << bucket;
    lowest + (1u64 << bucket) - 1
}

impl Histogram {
    /// Records one call that took `usec` microseconds.
    #[inline]
    pub fn record_usec(&mut self, usec: u64) {
        let ns = usec.saturating_mul(1000).clamp(MIN_NS, MAX_NS);
        let i = index_of(ns);
        let (c, off) = (i / CHUNK, i % CHUNK);
        if c >= self.chunks.len() {
            self.chunks.resize(c + 1, None);
        }
        self.chunks[c].get_or_insert_with(|| Box::new([0; CHUNK]))[off] += 1;
        self.total += 1;
    }

    /// The value in ns at `percentile` (0..=100), 0 if empty.
    pub fn value_at_percentile(&self, percentile: f64) -> u64 {
        let p = percentile.min(100.0);
        let want = (((p / 100.0) * self.total as f64) + 0.5) as u64;
        let want = want.max(1);
        let mut seen = 0;
        for (ci, chunk) in self.chunks.iter().enumerate() {
            let Some(chunk) = chunk else { continue };
            for (off, &n) in chunk.iter().enumerate() {
                seen += n;
                if n > 0 && seen >= want {
                    return highest_equivalent(value_at(ci * CHUNK + off));
                }
            }
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_as_redis_prints_them() {
        let mut h = Histogram::default();
        h.record_usec(9);
        assert_eq!(h.value_at_percentile(50.0), 9023);
        let mut h = Histogram::default();
        h.record_usec(72);
        assert_eq!(h.value_at_percentile(99.9), 72191);
        let mut h = Histogram::default();
        h.record_usec(0);
        assert_eq!(h.value_at_percentile(50.0), 1);
    }

    #[test]
    fn index_and_value_round_trip_and_grow_monotonically() {
        let mut last = 0;
        for v in [0u64, 1, 200, 255, 256, 300, 1000, 9000, 123_456, MAX_NS] {
            let i = index_of(v);
            assert!(i >= last, "{v}");
            last = i;
            let lo = value_at(i);
            assert!(lo <= v && v <= highest_equivalent(lo), "{v}: {lo}");
        }
    }

    #[test]
    fn percentiles_split_a_mixed_load() {
        let mut h = Histogram::default();
        for _ in 0..90 {
            h.record_usec(1);
        }
        for _ in 0..10 {
            h.record_usec(100);
        }
        assert_eq!(h.value_at_percentile(50.0), highest_equivalent(1000));
        assert_eq!(h.value_at_percentile(99.0), highest_equivalent(100_000));
        assert_eq!(h.value_at_percentile(90.0), highest_equivalent(1000));
    }
}
