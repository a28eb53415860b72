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
//! | [`stream::StreamVal`] | `t_stream.c` | streams (`stream`): listpack nodes in a B-tree |
//!
//! The byte layouts of listpack and intset are Redis's own, so the RDB writer
//! can emit them unchanged and the loader can adopt them after validation.
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

/// The allocation size jemalloc (Redis's allocator) would hand out for a
/// request of `n` bytes: 8, then steps of 16 up to 128, then four classes
/// per doubling (160, 192, 224, 256, 320, ...).
///
/// Our compact structures grow their buffers to the next class instead of
/// to the exact size. Two reasons: Redis reallocs on every insert, which
/// jemalloc absorbs for free within a class while the system allocator
/// may copy every time; and Redis's `used_memory` counts these class sizes
/// (`zmalloc_size`), so reserving them makes our figures Redis's figures.
pub fn alloc_class(n: usize) -> usize {
    if n <= 8 {
        8
    } else if n <= 128 {
        n.div_ceil(16) * 16
    } else {
        let k = usize::BITS - 1 - (n - 1).leading_zeros();
        let spacing = 1usize << (k - 2);
        n.div_ceil(spacing) * spacing
    }
}

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

#[cfg(test)]
mod tests {
    use super::alloc_class;

    #[test]
    fn jemalloc_classes() {
        let got: Vec<usize> = [1, 8, 9, 16, 17, 100, 128, 129, 207, 257, 4097, 8193]
            .iter()
            .map(|&n| alloc_class(n))
            .collect();
        assert_eq!(
            got,
            [8, 8, 16, 16, 32, 112, 128, 160, 224, 320, 5120, 10240]
        );
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
