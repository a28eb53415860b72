//! # Set values (Redis's `t_set.c` object layer)
//!
//! A Redis 7.0 set has two encodings. While every member is an integer by
//! Redis's `string2ll` rules (canonical decimal, no spaces, no `+`, no
//! leading zeros) and there are at most `set-max-intset-entries` of them,
//! the set is an [`IntSet`]: a sorted array of fixed-width integers, a few
//! bytes per member, which is also why Redis replies with such sets in
//! ascending order. The first non-integer member, or one member past the
//! threshold, converts the set to a hash table for good (Redis never
//! converts back; 7.2's listpack sets do not exist in 7.0).
//!
//! Our hash table is the keyspace's own [`Dict`] (`db::dict`, Redis's
//! `dict.c`) with no value, for the three things a std `HashSet` cannot
//! give: a uniformly random member in O(1) (SPOP and SRANDMEMBER; a
//! `HashSet` can only be walked to the n-th element), SSCAN's guarantee
//! under growth (the reverse-binary bucket cursor of `dictScan`), and
//! memory: a member is one block of 16 bytes plus its bytes, linked from
//! an 8-byte bucket, where a `HashSet<Box<[u8]>>` spends a 16-byte slot
//! (with its load-factor slack) and a separate block. Iteration order is
//! bucket order, which Redis does not promise either.

use super::intset::IntSet;
use crate::db::dict::Dict;
use crate::util::numbers::parse_i64;

/// The hash-table encoding: members as keys, no values.
pub type Table = Dict<()>;

/// A set value in one of Redis 7.0's two encodings.
pub enum SetVal {
    Int(IntSet),
    /// Boxed so an intset-encoded value stays one `Vec` and a width wide
    /// (32 bytes, held in place by `Value`): the small sets are the many.
    Hash(Box<Table>),
}

impl Clone for SetVal {
    fn clone(&self) -> Self {
        match self {
            SetVal::Int(s) => SetVal::Int(s.clone()),
            SetVal::Hash(h) => {
                let mut t = Table::new();
                h.for_each(|e| {
                    t.insert(e.key(), ());
                });
                SetVal::Hash(Box::new(t))
            }
        }
    }
}

impl PartialEq for SetVal {
    fn eq(&self, other: &Self) -> bool {
        if self.encoding() != other.encoding() || self.len() != other.len() {
            return false;
        }
        match (self, other) {
            (SetVal::Int(a), SetVal::Int(b)) => a == b,
            _ => {
                let mut same = true;
                self.for_each(|m| same &= other.contains(&m.to_vec()));
                same
            }
        }
    }
}

impl std::fmt::Debug for SetVal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_set();
        self.for_each(|m| {
            l.entry(&String::from_utf8_lossy(&m.to_vec()).into_owned());
        });
        l.finish()
    }
}

/// One member, borrowed from the set or materialised from the intset.
pub enum Member<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl Member<'_> {
    /// Owned bytes of the member.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Member::Int(n) => n.to_string().into_bytes(),
            Member::Bytes(b) => b.to_vec(),
        }
    }
}

impl SetVal {
    /// An empty set fit for a first member `first` (Redis's `setTypeCreate`).
    pub fn for_member(first: &[u8]) -> SetVal {
        if parse_i64(first).is_some() {
            SetVal::Int(IntSet::new())
        } else {
            SetVal::Hash(Box::default())
        }
    }

    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            SetVal::Int(_) => "intset",
            SetVal::Hash(_) => "hashtable",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            SetVal::Int(s) => s.len(),
            SetVal::Hash(h) => h.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            SetVal::Int(s) => parse_i64(m).is_some_and(|n| s.contains(n)),
            SetVal::Hash(h) => h.contains_key(m),
        }
    }

    fn convert_to_hash(&mut self) {
        if let SetVal::Int(s) = self {
            let mut h = Table::new();
            let mut buf = [0u8; 24];
            for n in s.iter() {
                let k = crate::util::numbers::fmt_i64(n, &mut buf);
                h.insert_new_hashed(k, crate::db::dict::hash_key(k), (), 0, None);
            }
            *self = SetVal::Hash(Box::new(h));
        }
    }

    /// Adds `m`; true if it was new. Converts as Redis's `setTypeAdd`.
    pub fn add(&mut self, m: &[u8], max_intset: usize) -> bool {
        if let SetVal::Int(s) = self {
            if let Some(n) = parse_i64(m) {
                if !s.insert(n) {
                    return false;
                }
                if s.len() > max_intset {
                    self.convert_to_hash();
                }
                return true;
            }
            self.convert_to_hash();
        }
        match self {
            SetVal::Hash(h) => {
                let hash = crate::db::dict::hash_key(m);
                if h.get_entry_hashed(m, hash).is_some() {
                    false
                } else {
                    h.insert_new_hashed(m, hash, (), 0, None);
                    true
                }
            }
            SetVal::Int(_) => false,
        }
    }

    /// Removes `m`; true if it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            SetVal::Int(s) => parse_i64(m).is_some_and(|n| s.remove(n)),
            SetVal::Hash(h) => {
                let gone = h.remove(m).is_some();
                // As `setTypeRemove`: a table under 10% full shrinks.
                if gone {
                    h.shrink_if_needed();
                }
                gone
            }
        }
    }

    /// Calls `f` on every member (intsets in ascending order).
    pub fn for_each(&self, mut f: impl FnMut(Member<'_>)) {
        match self {
            SetVal::Int(s) => s.iter().for_each(|n| f(Member::Int(n))),
            SetVal::Hash(h) => h.for_each(|e| f(Member::Bytes(e.key()))),
        }
    }

    /// All members as owned bytes.
    pub fn members(&self) -> Vec<Vec<u8>> {
        let mut v = Vec::with_capacity(self.len());
        self.for_each(|m| v.push(m.to_vec()));
        v
    }

    /// The member at position `i` of the iteration order (`i < len`):
    /// O(1) for an intset, a walk for a table (prefer [`SetVal::random`]).
    pub fn nth(&self, i: usize) -> Option<Vec<u8>> {
        match self {
            SetVal::Int(s) => s.get(i).map(|n| n.to_string().into_bytes()),
            SetVal::Hash(h) => {
                let mut k = 0;
                let mut out = None;
                h.for_each(|e| {
                    if k == i {
                        out = Some(e.key().to_vec());
                    }
                    k += 1;
                });
                out
            }
        }
    }

    /// A uniformly random member, O(1) on average in both encodings
    /// (`setTypeRandomElement`: `intsetRandom` or `dictGetFairRandomKey`).
    /// `r` is a random number for the intset pick.
    pub fn random(&mut self, r: u64) -> Option<Vec<u8>> {
        match self {
            SetVal::Int(s) => s.random(r).map(|n| n.to_string().into_bytes()),
            SetVal::Hash(h) => h.random_entry().map(|e| e.key().to_vec()),
        }
    }

    /// One SSCAN step from `cursor`: calls `f` on some members and returns
    /// the next cursor (0 when done). An intset answers everything at once
    /// with cursor 0, as Redis does for its compact encodings; a table
    /// walks buckets in `dictScan`'s reverse-binary order, so every member
    /// present for the whole scan is returned at least once even if the
    /// table grows or shrinks between calls. `count` buckets-worth of
    /// members are visited, at most ten times that many buckets (Redis's
    /// `maxiterations`), as `scanGenericCommand`.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(Member<'_>)) -> u64 {
        match self {
            SetVal::Int(_) => {
                self.for_each(f);
                0
            }
            SetVal::Hash(h) => scan_table(h, cursor, count, |e| f(Member::Bytes(e.key()))),
        }
    }
}

impl SetVal {
    /// Heap bytes the set holds beyond its 40-byte `Value` (Redis's
    /// `objectComputeSize` for `OBJ_SET`): an intset's buffer exactly; a
    /// table's box and buckets exactly plus the mean member block of the
    /// first `samples` times the member count.
    pub fn mem_usage(&self, samples: usize) -> usize {
        match self {
            SetVal::Int(s) => s.allocated(),
            SetVal::Hash(t) => {
                let mut sum = 0usize;
                let seen = t.for_each_first(samples, |e| {
                    sum += Table::entry_bytes(e.key().len(), e.deadline().is_some());
                });
                std::mem::size_of::<Table>()
                    + t.bucket_bytes()
                    + super::hash_value::scale(sum, seen, t.len())
            }
        }
    }
}

/// `scanGenericCommand`'s loop over a dict: call `dictScan` until `count`
/// elements were seen or the cursor wraps, giving up after `10 * count`
/// calls so a sparse table cannot make one call walk everything.
pub fn scan_table<V>(
    d: &Dict<V>,
    cursor: u64,
    count: usize,
    mut f: impl FnMut(crate::db::dict::EntryRef<'_, V>),
) -> u64 {
    let mut cursor = cursor;
    let mut seen = 0usize;
    let mut calls = count.max(1).saturating_mul(10);
    loop {
        cursor = d.scan(cursor, |e| {
            seen += 1;
            f(e)
        });
        calls -= 1;
        if cursor == 0 || seen >= count || calls == 0 {
            return cursor;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_in_place_in_a_value() {
        // `Value::Set` holds a SetVal in place: at most 32 bytes.
        assert!(std::mem::size_of::<SetVal>() <= 32);
    }

    #[test]
    fn scan_returns_every_original_member_while_the_table_grows_and_shrinks() {
        let mut s = SetVal::for_member(b"m");
        for i in 0..1000 {
            s.add(format!("m{i}").as_bytes(), 512);
        }
        let mut seen = std::collections::HashSet::new();
        let (mut cursor, mut calls, mut extra) = (0u64, 0, 0);
        loop {
            let mut got = 0;
            cursor = s.scan(cursor, 10, |m| {
                got += 1;
                seen.insert(m.to_vec());
            });
            assert!(got <= 60, "COUNT 10 returned {got}");
            calls += 1;
            // Grow past two doublings, then delete the additions again.
            if calls < 40 {
                for _ in 0..100 {
                    s.add(format!("x{extra}").as_bytes(), 512);
                    extra += 1;
                }
            } else if extra > 0 {
                for _ in 0..extra.min(500) {
                    extra -= 1;
                    s.remove(format!("x{extra}").as_bytes());
                }
            }
            if cursor == 0 {
                break;
            }
        }
        assert!(calls > 10, "a table scan takes several calls");
        for i in 0..1000 {
            assert!(seen.contains(format!("m{i}").as_bytes()), "m{i} missed");
        }
    }

    #[test]
    fn random_members_are_members_and_all_show_up() {
        let mut s = SetVal::for_member(b"a");
        for m in ["a", "b", "c", "d", "e"] {
            s.add(m.as_bytes(), 512);
        }
        let mut hits = std::collections::HashSet::new();
        for r in 0..500u64 {
            let m = s.random(r).unwrap();
            assert!(s.contains(&m));
            hits.insert(m);
        }
        assert_eq!(hits.len(), 5);
        let mut i = SetVal::for_member(b"1");
        i.add(b"7", 512);
        assert!(matches!(i.random(3).as_deref(), Some(b"7") | Some(b"1")));
    }

    #[test]
    fn converts_on_string_and_threshold() {
        let mut s = SetVal::for_member(b"1");
        assert!(s.add(b"1", 3));
        assert!(!s.add(b"1", 3));
        assert!(s.add(b"2", 3));
        assert!(s.add(b"3", 3));
        assert_eq!(s.encoding(), "intset");
        assert!(s.add(b"4", 3));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"4") && s.contains(b"1"));
        let mut t = SetVal::for_member(b"1");
        t.add(b"1", 512);
        t.add(b"01", 512);
        assert_eq!(t.encoding(), "hashtable");
        assert_eq!(t.len(), 2);
        assert!(t.remove(b"01"));
        assert_eq!(t.encoding(), "hashtable");
    }
}
