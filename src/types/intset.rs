//! # Intset: a set of integers as one sorted array
//!
//! Corresponds to Redis's `intset.c`. A set whose members are all integers
//! (and that has at most `set-max-intset-entries`, 512 by default) is kept
//! as a sorted array of fixed-width integers:
//!
//! ```text
//! <encoding u32 LE: 2, 4 or 8> <length u32 LE> <length integers LE, ascending>
//! ```
//!
//! ## Why Redis has it
//! A hash-table set costs a table slot, an entry and a string object per
//! member, well over 50 bytes for a number that needs 2 to 8. The intset
//! spends exactly the width of its widest member on each: `SADD s 1 2 3`
//! is 8 + 3 × 2 = 14 bytes. Membership is a binary search, insertion a
//! `memmove`; both are fast at a few hundred elements, and past the
//! threshold Redis converts the set to a hash table anyway.
//!
//! The width is the smallest that holds every member. Adding a member that
//! does not fit *upgrades* the whole array in place (16 → 32 → 64 bits),
//! walking from the end so no element is overwritten before it is moved;
//! the new member then goes first (if negative) or last (if positive),
//! since it is beyond every existing one. Removing members never
//! downgrades, as in Redis.
//!
//! ## How ours departs
//! The heap buffer holds only the members, in Redis's byte order and
//! width; the 8-byte header (width and count) is not stored but derived:
//! the width lives in the struct, the count is the buffer length divided
//! by the width. The struct sits inside the keyspace entry anyway, so the
//! header would only cost heap: ten 32-bit members are a 40-byte request,
//! one 48-byte glibc chunk, where the 48-byte blob would take 64. The
//! buffer grows by [`alloc_class`](super::alloc_class) steps, so most
//! inserts cost no copy. [`IntSet::to_bytes`] builds Redis's blob (header
//! included) for RDB, and [`IntSet::from_bytes`] adopts one.

const HDR: usize = 8;

/// Sorted set of integers in Redis's intset layout.
#[derive(Clone, PartialEq, Eq)]
pub struct IntSet {
    /// The members, `enc` bytes each, little-endian, ascending.
    buf: Vec<u8>,
    /// Width of each member: 2, 4 or 8.
    enc: u8,
}

impl std::fmt::Debug for IntSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Default for IntSet {
    fn default() -> Self {
        Self::new()
    }
}

/// The narrowest width (in bytes) that holds `v`.
fn width_of(v: i64) -> usize {
    if v < i32::MIN as i64 || v > i32::MAX as i64 {
        8
    } else if v < i16::MIN as i64 || v > i16::MAX as i64 {
        4
    } else {
        2
    }
}

impl IntSet {
    /// An empty intset: 8 bytes, 16-bit encoding (as `intsetNew`).
    pub fn new() -> Self {
        IntSet {
            buf: Vec::new(),
            enc: 2,
        }
    }

    /// Adopts a serialized intset after `intsetValidateIntegrity`'s deep
    /// checks: known encoding, size matching the length, members strictly
    /// ascending.
    pub fn from_bytes(buf: Vec<u8>) -> Option<Self> {
        if buf.len() < HDR {
            return None;
        }
        let enc = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        let len = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]) as usize;
        if !matches!(enc, 2 | 4 | 8) || len.checked_mul(enc)?.checked_add(HDR)? != buf.len() {
            return None;
        }
        let mut body = buf[HDR..].to_vec();
        body.shrink_to(super::alloc_class(body.len()));
        let s = IntSet {
            buf: body,
            enc: enc as u8,
        };
        let mut prev = None;
        for v in s.iter() {
            if prev.is_some_and(|p| p >= v) {
                return None;
            }
            prev = Some(v);
        }
        Some(s)
    }

    /// The serialized form, Redis's blob (`intsetBlobLen` bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.bytes());
        out.extend_from_slice(&(self.enc as u32).to_le_bytes());
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.buf);
        out
    }

    /// Size of Redis's blob: 8 + len × width (`intsetBlobLen`).
    pub fn bytes(&self) -> usize {
        HDR + self.buf.len()
    }

    /// Heap bytes reserved for the members.
    pub fn allocated(&self) -> usize {
        self.buf.capacity()
    }

    /// Width of each member in bytes: 2, 4 or 8.
    #[inline]
    pub fn encoding(&self) -> usize {
        self.enc as usize
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len() / self.enc as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Member at sorted position `pos`.
    pub fn get(&self, pos: usize) -> Option<i64> {
        (pos < self.len()).then(|| self.at(pos, self.encoding()))
    }

    pub fn min(&self) -> Option<i64> {
        self.get(0)
    }

    pub fn max(&self) -> Option<i64> {
        self.len().checked_sub(1).and_then(|p| self.get(p))
    }

    pub fn contains(&self, v: i64) -> bool {
        width_of(v) <= self.encoding() && self.search(v).is_ok()
    }

    /// Adds `v`; false if it was already there.
    pub fn insert(&mut self, v: i64) -> bool {
        let enc = self.encoding();
        if width_of(v) > enc {
            self.upgrade_and_add(v);
            return true;
        }
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(pos) => pos,
        };
        let len = self.len();
        super::reserve_class(&mut self.buf, enc);
        self.buf.resize((len + 1) * enc, 0);
        let from = pos * enc;
        self.buf.copy_within(from..len * enc, from + enc);
        self.put(pos, enc, v);
        true
    }

    /// Removes `v`; false if it was not there.
    pub fn remove(&mut self, v: i64) -> bool {
        let enc = self.encoding();
        if width_of(v) > enc {
            return false;
        }
        let Ok(pos) = self.search(v) else {
            return false;
        };
        let len = self.len();
        let from = (pos + 1) * enc;
        self.buf.copy_within(from..len * enc, from - enc);
        self.buf.truncate((len - 1) * enc);
        super::shrink_class(&mut self.buf);
        true
    }

    /// A member chosen by `r` (pass a random number), as `intsetRandom`.
    pub fn random(&self, r: u64) -> Option<i64> {
        let len = self.len();
        (len > 0).then(|| self.at((r % len as u64) as usize, self.encoding()))
    }

    /// Members in ascending order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = i64> + ExactSizeIterator + '_ {
        let enc = self.encoding();
        (0..self.len()).map(move |i| self.at(i, enc))
    }

    /// Binary search: Ok(position) or Err(insertion point). The two end
    /// checks first make appends of ascending ids O(1), as Redis does.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let len = self.len();
        let enc = self.encoding();
        if len == 0 {
            return Err(0);
        }
        if v > self.at(len - 1, enc) {
            return Err(len);
        }
        if v < self.at(0, enc) {
            return Err(0);
        }
        let (mut lo, mut hi) = (0usize, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let m = self.at(mid, enc);
            match m.cmp(&v) {
                std::cmp::Ordering::Equal => return Ok(mid),
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        Err(lo)
    }

    fn upgrade_and_add(&mut self, v: i64) {
        let old = self.encoding();
        let new = width_of(v);
        let len = self.len();
        let prepend = usize::from(v < 0);
        super::reserve_class(&mut self.buf, (len + 1) * new - len * old);
        self.buf.resize((len + 1) * new, 0);
        // Back to front, so nothing is overwritten before it is read.
        for i in (0..len).rev() {
            let x = self.at(i, old);
            self.put(i + prepend, new, x);
        }
        self.put(if prepend == 1 { 0 } else { len }, new, v);
        self.enc = new as u8;
    }

    #[inline]
    fn at(&self, pos: usize, enc: usize) -> i64 {
        let p = pos * enc;
        let b = &self.buf[p..p + enc];
        match enc {
            2 => i16::from_le_bytes([b[0], b[1]]) as i64,
            4 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            _ => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        }
    }

    fn put(&mut self, pos: usize, enc: usize, v: i64) {
        let p = pos * enc;
        let dst = &mut self.buf[p..p + enc];
        match enc {
            2 => dst.copy_from_slice(&(v as i16).to_le_bytes()),
            4 => dst.copy_from_slice(&(v as i32).to_le_bytes()),
            _ => dst.copy_from_slice(&v.to_le_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::XorShift;
    use std::collections::BTreeSet;

    #[test]
    fn layout_and_upgrades() {
        let mut s = IntSet::new();
        assert_eq!(s.to_bytes(), &[2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(s.allocated(), 0, "an empty intset allocates nothing");
        for v in [3, 1, 2] {
            assert!(s.insert(v));
        }
        assert!(!s.insert(2));
        assert_eq!(s.bytes(), 14);
        assert_eq!(
            &s.to_bytes()[..],
            &[2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0]
        );
        assert!(s.insert(70000));
        assert_eq!(s.encoding(), 4);
        assert_eq!(s.bytes(), 8 + 4 * 4);
        assert!(s.insert(-5_000_000_000));
        assert_eq!(s.encoding(), 8);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [-5_000_000_000, 1, 2, 3, 70000]
        );
        assert!(s.remove(-5_000_000_000));
        assert_eq!(s.encoding(), 8, "no downgrade, as in Redis");
        assert!(!s.remove(i64::MAX));
        assert!(!s.contains(i64::MIN));
        assert_eq!(s.min(), Some(1));
        assert_eq!(s.max(), Some(70000));
        let copy = IntSet::from_bytes(s.to_bytes()).unwrap();
        assert_eq!(
            copy.iter().collect::<Vec<_>>(),
            s.iter().collect::<Vec<_>>()
        );
        assert_eq!(copy.to_bytes(), s.to_bytes());
        let mut bad = s.to_bytes();
        bad.swap(8, 16);
        assert!(IntSet::from_bytes(bad).is_none());
        assert!(IntSet::from_bytes(vec![3, 0, 0, 0, 0, 0, 0, 0]).is_none());
    }

    #[test]
    fn small_intsets_fit_glibc_chunks() {
        let mut s = IntSet::new();
        for v in 0..500 {
            s.insert(v * 7);
        }
        // redis-server 7.0.15: `SADD s 0 7 14 ... 3493` has `MEMORY USAGE`
        // 1072 = 16 (robj) + 1024 (this 1008-byte intset's class) + 8 + 24.
        // Ours: 1000 bytes of members, a 1008-byte glibc chunk.
        assert_eq!(s.bytes(), 8 + 500 * 2);
        assert_eq!(s.allocated(), 1000);
        // Ten 32-bit members: a 40-byte request, one 48-byte chunk
        // (Redis: the 48-byte blob in jemalloc's 48 class plus a 16-byte robj).
        let mut t = IntSet::new();
        for v in 100_000..100_010 {
            t.insert(v);
        }
        assert_eq!(t.allocated(), 40);
    }

    #[test]
    fn from_bytes_never_panics_on_garbage() {
        let mut rng = XorShift::new(9);
        for _ in 0..20000 {
            let n = rng.below(40) as usize;
            let mut b: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8 & 0x0f).collect();
            if n >= 8 && rng.below(2) == 0 {
                let enc = [2u32, 4, 8][rng.below(3) as usize];
                b[0..4].copy_from_slice(&enc.to_le_bytes());
                let len = (n - 8) / enc as usize;
                b[4..8].copy_from_slice(&(len as u32).to_le_bytes());
                b.truncate(8 + len * enc as usize);
            }
            if let Some(s) = IntSet::from_bytes(b) {
                let v: Vec<i64> = s.iter().collect();
                assert!(v.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }

    #[test]
    fn random_operations_match_btreeset() {
        let mut rng = XorShift::new(42);
        let mut s = IntSet::new();
        let mut model = BTreeSet::new();
        for step in 0..20000 {
            let v = match rng.below(4) {
                0 => rng.below(100) as i64 - 50,
                1 => (rng.below(200_000) as i64) - 100_000,
                2 => rng.next_u64() as i64 >> rng.below(40),
                _ => rng.next_u64() as i64,
            };
            match rng.below(3) {
                0 | 1 => assert_eq!(s.insert(v), model.insert(v), "step {step}"),
                _ => {
                    let pick = if rng.below(2) == 0 {
                        s.random(rng.next_u64()).unwrap_or(v)
                    } else {
                        v
                    };
                    assert_eq!(s.remove(pick), model.remove(&pick));
                }
            }
            assert_eq!(s.contains(v), model.contains(&v));
            assert_eq!(s.len(), model.len());
            if step % 500 == 0 {
                assert!(s.iter().eq(model.iter().copied()));
                let widest = model.iter().map(|&v| width_of(v)).max().unwrap_or(2);
                assert!(s.encoding() >= widest);
                assert_eq!(s.bytes(), 8 + s.len() * s.encoding());
            }
            if model.len() > 600 {
                s = IntSet::new();
                model.clear();
            }
        }
    }
}
