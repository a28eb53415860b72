//! # Compact data structures for the collection types
//!
//! Redis keeps small collections in compact byte layouts and switches a key
//! to a pointer-based structure only when it grows past a configured size;
//! that switch is most of why Redis uses little memory per key. This module
//! holds those structures, free of commands and of the keyspace, each in the
//! file named after its Redis counterpart:
//!
//! | structure | Redis file | used for (`OBJECT ENCODING`) |
//! |---|---|---|
//! | [`listpack::Listpack`] | `listpack.c` | small hashes and sorted sets (`listpack`), quicklist nodes |
//! | [`intset::IntSet`] | `intset.c` | sets of integers (`intset`) |
//! | [`quicklist::Quicklist`] | `quicklist.c` | lists (`quicklist`) |
//! | [`skiplist::ListpackZSet`] | `t_zset.c` (`zzl*`) | small sorted sets (`listpack`) |
//! | [`skiplist::ZSet`] | `t_zset.c` (`zsl*`) | large sorted sets (`skiplist`) |
//! | [`lzf`] | `lzf_c.c`, `lzf_d.c` | compressed quicklist nodes, RDB strings |
//! | [`stream::StreamVal`] | `t_stream.c` | streams (`stream`): listpack nodes in a sorted deque |
//!
//! The entries of a listpack and the members of an intset are laid out
//! byte for byte as Redis's; only their small headers are not stored (the
//! struct, held inside the keyspace entry, knows the size and count), so
//! `to_bytes()` rebuilds Redis's blob for the RDB writer and `from_bytes()`
//! adopts one after validation.
//!
//! Everything here is single-threaded and allocation-conscious, like the
//! rest of the server: no locks, no reference counting.

pub mod hash_value;
pub mod intset;
pub mod list_value;
pub mod listpack;
pub mod lzf;
pub mod quicklist;
pub mod set_value;
pub mod skiplist;
pub mod stream;
pub mod zset_value;

/// The capacity to reserve for a buffer of `n` bytes: what the allocator
/// will really hand out for it, so that no byte of the block is wasted and
/// growth within the block costs no copy.
///
/// Our allocator is glibc's malloc (see `server::memory`): a chunk carries
/// an 8-byte header and chunk sizes are multiples of 16 (32 at least), so
/// a request of `16k - 8` bytes uses its chunk exactly. Up to
/// [`FIT_MAX`] bytes we reserve just that, the smallest such size holding
/// `n`: small collections are the many, and a 131-byte listpack then takes
/// a 144-byte chunk where Redis's jemalloc rounds it up to its 160 class.
/// Past `FIT_MAX` the steps become geometric, jemalloc's four classes per
/// doubling (minus the header), so that a buffer growing one element at a
/// time (a quicklist node of 8 KB) is copied O(log n) times, not once per
/// 16 bytes.
pub fn alloc_class(n: usize) -> usize {
    const HEADER: usize = 8;
    if n <= FIT_MAX {
        ((n + HEADER).div_ceil(16) * 16).max(32) - HEADER
    } else {
        let m = n + HEADER;
        let k = usize::BITS - 1 - (m - 1).leading_zeros();
        let spacing = 1usize << (k - 2);
        m.div_ceil(spacing) * spacing - HEADER
    }
}

/// Largest buffer sized to the next 16 bytes rather than a geometric class.
pub const FIT_MAX: usize = 1016;

/// Grows `buf` so that `extra` more bytes fit, to a jemalloc class.
pub(crate) fn reserve_class(buf: &mut Vec<u8>, extra: usize) {
    let need = buf.len() + extra;
    if need > buf.capacity() {
        buf.reserve_exact(alloc_class(need) - buf.len());
    }
}

/// Gives back capacity beyond the class of the current length, as a
/// shrinking `realloc` under jemalloc does.
pub(crate) fn shrink_class(buf: &mut Vec<u8>) {
    let want = alloc_class(buf.len());
    if buf.capacity() > want {
        buf.shrink_to(want);
    }
}

/// Marsaglia's xorshift64*: the structures need cheap randomness (skiplist
/// levels, SRANDMEMBER picks) and tests need a reproducible stream; neither
/// needs cryptographic quality, so no crate.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator from `seed` (0 is replaced, xorshift would stay at 0).
    pub fn new(seed: u64) -> Self {
        XorShift(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// A generator seeded from the process's hash randomness, so that
    /// skiplist shapes are not predictable from outside.
    pub fn from_entropy() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x5EED);
        Self::new(h.finish())
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-enough value in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

thread_local! {
    /// The commands' random numbers (SRANDMEMBER, SPOP, HRANDFIELD,
    /// ZRANDMEMBER), one stream for the reactor thread as Redis draws from
    /// one `random()` state. A generator seeded per call from the clock and
    /// a counter would start consecutive calls from nearly equal seeds,
    /// whose first outputs are correlated: ZRANDMEMBER did that and failed
    /// Redis's chi-square test of its distribution one run in two.
    static RNG: std::cell::RefCell<XorShift> = std::cell::RefCell::new(XorShift::from_entropy());
}

/// A random number in `0..n` from the commands' stream (`n` = 0 counts as 1).
pub fn rand_below(n: u64) -> u64 {
    RNG.with(|r| r.borrow_mut().below(n.max(1)))
}

#[cfg(test)]
mod tests {
    use super::alloc_class;

    #[test]
    fn glibc_fit_then_geometric_classes() {
        let got: Vec<usize> = [0, 1, 24, 25, 40, 41, 131, 137, 1016, 1017, 4097, 8193]
            .iter()
            .map(|&n| alloc_class(n))
            .collect();
        assert_eq!(
            got,
            [24, 24, 24, 40, 40, 56, 136, 152, 1016, 1272, 5112, 10232]
        );
        for n in 0..20_000 {
            let c = alloc_class(n);
            assert!(c >= n && (c + 8).is_multiple_of(16), "{n} -> {c}");
        }
    }
}

/// Rough speed figures, run by hand with
/// `cargo test --release --lib types::bench -- --ignored --nocapture`.
#[cfg(test)]
mod bench {
    use super::*;
    use std::time::Instant;

    #[test]
    #[ignore]
    fn speeds() {
        let n = 1_000_000;
        let t = Instant::now();
        let mut ql = quicklist::Quicklist::default();
        for i in 0..n {
            ql.push_back(format!("value:{}", i % 1000).as_bytes());
        }
        let push = t.elapsed();
        let t = Instant::now();
        while ql.pop_front().is_some() {}
        eprintln!(
            "quicklist: {n} push_back {:?} ({:.0} ns each), pop_front all {:?}",
            push,
            push.as_nanos() as f64 / n as f64,
            t.elapsed()
        );
        let mut rng = XorShift::new(1);
        let m = 200_000;
        let t = Instant::now();
        let mut z = skiplist::ZSet::new();
        for i in 0..m {
            z.insert(
                format!("member:{i}").as_bytes(),
                rng.below(1_000_000) as f64,
            );
        }
        let ins = t.elapsed();
        let t = Instant::now();
        let mut total = 0;
        for i in (0..m).step_by(7) {
            total += z.rank(format!("member:{i}").as_bytes(), false).unwrap_or(0);
        }
        eprintln!(
            "zset: {m} inserts {:?} ({:.0} ns each), {} ranks {:?} (sum {total}), {} bytes",
            ins,
            ins.as_nanos() as f64 / m as f64,
            m / 7,
            t.elapsed(),
            z.bytes()
        );
        let t = Instant::now();
        let mut s = intset::IntSet::new();
        for _ in 0..512 * 200 {
            if s.len() == 512 {
                s = intset::IntSet::new();
            }
            s.insert((rng.next_u64() % 100_000) as i64);
        }
        eprintln!(
            "intset: 102400 inserts into sets of <= 512: {:?}",
            t.elapsed()
        );
    }
}
