//! Hash values (Redis's `t_hash.c` encodings): a map from field to value.
//!
//! Small hashes are a listpack holding field, value, field, value... in
//! insertion order (Redis's `OBJ_ENCODING_LISTPACK`): one allocation, a
//! linear search that beats hashing at these sizes. Once a hash has more
//! than `hash-max-listpack-entries` fields or any field or value longer
//! than `hash-max-listpack-value` bytes it becomes a hash table, and never
//! goes back, as in Redis. The table is the keyspace's own [`Dict`]
//! (`db::dict`, Redis's `dict.c`): a field lives in its entry block (16
//! bytes of header plus the field's bytes, plus the 16-byte boxed value,
//! itself a second block), linked from an 8-byte bucket, like Redis's
//! dictEntry with its field and value sds. Using the dict rather than a
//! std `HashMap` gives HSCAN `dictScan`'s cursor (fields present for the
//! whole scan are returned at least once even when the table grows) and
//! O(1) random fields.

use crate::db::dict::{hash_key, Dict};
use crate::types::listpack::{CompactListpack, Entry};

/// The hash-table encoding: field → value.
pub type Table = Dict<SmallVal>;

/// Bytes a [`SmallVal`] holds in place.
const INLINE_VAL: usize = 22;

/// A hash table value: up to 22 bytes in place, inside the dict entry, so
/// that a field with a short value (the common case: counters, flags,
/// ids) is one allocation, like Redis's entry plus its two small sds;
/// longer values are boxed. 24 bytes either way.
#[derive(Clone)]
pub enum SmallVal {
    Inline { len: u8, buf: [u8; INLINE_VAL] },
    Heap(Box<[u8]>),
}

impl From<&[u8]> for SmallVal {
    fn from(b: &[u8]) -> Self {
        if b.len() <= INLINE_VAL {
            let mut buf = [0u8; INLINE_VAL];
            buf[..b.len()].copy_from_slice(b);
            SmallVal::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            SmallVal::Heap(b.into())
        }
    }
}

impl std::ops::Deref for SmallVal {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            SmallVal::Inline { len, buf } => &buf[..*len as usize],
            SmallVal::Heap(b) => b,
        }
    }
}

/// A hash value in one of its two encodings. Held in place by `Value`
/// (32 bytes); the table is boxed so that a listpack hash stays small.
pub enum HashVal {
    Listpack(CompactListpack),
    Table(Box<Table>),
}

impl Clone for HashVal {
    fn clone(&self) -> Self {
        match self {
            HashVal::Listpack(lp) => HashVal::Listpack(lp.clone()),
            HashVal::Table(t) => {
                let mut n = Table::new();
                t.for_each(|e| {
                    n.insert(e.key(), e.value().clone());
                });
                HashVal::Table(Box::new(n))
            }
        }
    }
}

impl PartialEq for HashVal {
    fn eq(&self, other: &Self) -> bool {
        if self.encoding() != other.encoding() || self.len() != other.len() {
            return false;
        }
        let mut same = true;
        self.for_each(|k, v| same &= other.get(k).as_deref() == Some(v));
        same
    }
}

impl std::fmt::Debug for HashVal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        self.for_each(|k, v| {
            m.entry(&String::from_utf8_lossy(k), &String::from_utf8_lossy(v));
        });
        m.finish()
    }
}

impl Default for HashVal {
    fn default() -> Self {
        HashVal::Listpack(CompactListpack::new())
    }
}

fn entry_vec(e: Entry) -> Vec<u8> {
    e.to_vec()
}

impl HashVal {
    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            HashVal::Listpack(_) => "listpack",
            HashVal::Table(_) => "hashtable",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            HashVal::Listpack(lp) => lp.len() / 2,
            HashVal::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `field`, copied out (listpack integers are formatted).
    pub fn get(&self, field: &[u8]) -> Option<Vec<u8>> {
        match self {
            HashVal::Listpack(lp) => {
                let f = lp.find(lp.first()?, field, 1)?;
                let v = lp.next(f)?;
                Some(entry_vec(lp.get_at(v)))
            }
            HashVal::Table(t) => t.get(field).map(|v| v.to_vec()),
        }
    }

    /// Calls `f` with the value of `field` without copying it out.
    pub fn with_value<R>(&self, field: &[u8], f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        match self {
            HashVal::Listpack(lp) => {
                let p = lp.find(lp.first()?, field, 1)?;
                let v = lp.next(p)?;
                let mut buf = [0u8; 24];
                Some(f(lp.get_at(v).as_bytes(&mut buf)))
            }
            HashVal::Table(t) => t.get(field).map(|v| f(v)),
        }
    }

    /// Length of the value of `field`.
    pub fn strlen(&self, field: &[u8]) -> Option<usize> {
        match self {
            HashVal::Listpack(lp) => {
                let f = lp.find(lp.first()?, field, 1)?;
                let v = lp.next(f)?;
                let mut buf = [0u8; 24];
                Some(lp.get_at(v).as_bytes(&mut buf).len())
            }
            HashVal::Table(t) => t.get(field).map(|v| v.len()),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        match self {
            HashVal::Listpack(lp) => lp.first().and_then(|f| lp.find(f, field, 1)).is_some(),
            HashVal::Table(t) => t.contains_key(field),
        }
    }

    /// Converts to a hash table when a write of `field`/`value` would pass
    /// the listpack limits (Redis's `hashTypeTryConversion`).
    pub fn maybe_convert(
        &mut self,
        max_entries: usize,
        max_value: usize,
        lens: &[usize],
        adds: usize,
    ) {
        if let HashVal::Listpack(lp) = self {
            let too_long = lens.iter().any(|&l| l > max_value);
            if too_long || lp.len() / 2 + adds > max_entries {
                self.convert();
            }
        }
    }

    /// Listpack to hash table.
    pub fn convert(&mut self) {
        if let HashVal::Listpack(lp) = self {
            let mut t = Table::new();
            let mut it = lp.iter();
            let mut buf = [0u8; 24];
            while let (Some(f), Some(v)) = (it.next(), it.next()) {
                let k = f.as_bytes(&mut buf);
                let mut vb = [0u8; 24];
                let val = SmallVal::from(v.as_bytes(&mut vb));
                t.insert_new_hashed(k, hash_key(k), val, 0, None);
            }
            *self = HashVal::Table(Box::new(t));
        }
    }

    /// Sets `field` to `value`; true when the field is new.
    pub fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        match self {
            HashVal::Listpack(lp) => {
                if let Some(f) = lp.first().and_then(|p| lp.find(p, field, 1)) {
                    if let Some(v) = lp.next(f) {
                        lp.replace_at(v, value);
                        return false;
                    }
                }
                lp.push_back(field);
                lp.push_back(value);
                true
            }
            HashVal::Table(t) => {
                let h = hash_key(field);
                if let Some(mut e) = t.find_mut_hashed(field, h) {
                    *e.value_mut() = value.into();
                    false
                } else {
                    t.insert_new_hashed(field, h, value.into(), 0, None);
                    true
                }
            }
        }
    }

    /// Deletes `field`; true if it existed.
    pub fn delete(&mut self, field: &[u8]) -> bool {
        match self {
            HashVal::Listpack(lp) => match lp.first().and_then(|p| lp.find(p, field, 1)) {
                Some(f) => {
                    lp.delete_at(f);
                    lp.delete_at(f);
                    true
                }
                None => false,
            },
            HashVal::Table(t) => {
                let gone = t.remove(field).is_some();
                // As `hashTypeDelete`: a table under 10% full shrinks.
                if gone {
                    t.shrink_if_needed();
                }
                gone
            }
        }
    }

    /// Visits every field and value in storage order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], &[u8])) {
        match self {
            HashVal::Listpack(lp) => {
                let mut it = lp.iter();
                let (mut b1, mut b2) = ([0u8; 24], [0u8; 24]);
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    f(k.as_bytes(&mut b1), v.as_bytes(&mut b2));
                }
            }
            HashVal::Table(t) => t.for_each(|e| f(e.key(), e.value())),
        }
    }

    /// The pair at position `i` (0..len) in storage order.
    pub fn nth(&self, i: usize) -> Option<(Vec<u8>, Vec<u8>)> {
        match self {
            HashVal::Listpack(lp) => {
                let k = lp.get((2 * i) as isize)?;
                let v = lp.get((2 * i + 1) as isize)?;
                Some((entry_vec(k), entry_vec(v)))
            }
            HashVal::Table(t) => {
                let mut k = 0;
                let mut out = None;
                t.for_each(|e| {
                    if k == i {
                        out = Some((e.key().to_vec(), e.value().to_vec()));
                    }
                    k += 1;
                });
                out
            }
        }
    }

    /// A random pair, O(1) on average for a table (`dictGetFairRandomKey`),
    /// the `r % len`-th for a listpack.
    pub fn random(&mut self, r: u64) -> Option<(Vec<u8>, Vec<u8>)> {
        match self {
            HashVal::Listpack(_) => {
                let n = self.len() as u64;
                if n == 0 {
                    return None;
                }
                self.nth((r % n) as usize)
            }
            HashVal::Table(t) => t
                .random_entry()
                .map(|e| (e.key().to_vec(), e.value().to_vec())),
        }
    }

    /// One HSCAN step from `cursor`: calls `f` on some pairs and returns
    /// the next cursor (0 when done). A listpack answers everything at
    /// once with cursor 0, as Redis does; a table walks `dictScan`'s
    /// reverse-binary bucket order, about `count` fields a call, so that
    /// every field present for the whole scan is returned at least once
    /// even if the table is resized between calls.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], &[u8])) -> u64 {
        match self {
            HashVal::Listpack(_) => {
                self.for_each(f);
                0
            }
            HashVal::Table(t) => {
                crate::types::set_value::scan_table(t, cursor, count, |e| f(e.key(), e.value()))
            }
        }
    }

    /// All pairs, copied (for sampling).
    pub fn pairs(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|k, v| out.push((k.to_vec(), v.to_vec())));
        out
    }
}

impl HashVal {
    /// Heap bytes the hash holds beyond its 40-byte `Value` (Redis's
    /// `objectComputeSize` for `OBJ_HASH`). A listpack is exact: its
    /// buffer's capacity. A table counts its box and bucket array exactly
    /// and its entries as the mean of the first `samples` (field block plus
    /// a boxed value's bytes) times the field count, as Redis samples.
    pub fn mem_usage(&self, samples: usize) -> usize {
        match self {
            HashVal::Listpack(lp) => lp.allocated(),
            HashVal::Table(t) => {
                let mut sum = 0usize;
                let seen = t.for_each_first(samples, |e| {
                    sum += Table::entry_bytes(e.key().len(), e.deadline().is_some());
                    if let SmallVal::Heap(b) = e.value() {
                        sum += b.len();
                    }
                });
                std::mem::size_of::<Table>() + t.bucket_bytes() + scale(sum, seen, t.len())
            }
        }
    }
}

/// `sum` over `seen` samples, extrapolated to `len` elements.
pub(crate) fn scale(sum: usize, seen: usize, len: usize) -> usize {
    if seen == 0 {
        0
    } else {
        (sum as f64 / seen as f64 * len as f64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_live_in_the_entry() {
        assert_eq!(std::mem::size_of::<SmallVal>(), 24);
        for n in [0, 1, 22, 23, 100] {
            let b = vec![b'v'; n];
            let v = SmallVal::from(&b[..]);
            assert_eq!(&*v, &b[..]);
            assert_eq!(matches!(v, SmallVal::Inline { .. }), n <= INLINE_VAL);
        }
        let mut h = HashVal::default();
        h.set(b"f", b"short");
        h.convert();
        h.set(b"g", &[b'x'; 40]);
        h.set(b"f", b"now a much longer value than before");
        assert_eq!(
            h.get(b"f"),
            Some(b"now a much longer value than before".to_vec())
        );
        assert_eq!(h.strlen(b"g"), Some(40));
        h.set(b"g", b"1");
        assert_eq!(h.get(b"g"), Some(b"1".to_vec()));
    }

    #[test]
    fn table_scan_random_clone_and_eq() {
        let mut h = HashVal::default();
        for i in 0..300 {
            h.set(format!("f{i}").as_bytes(), format!("v{i}").as_bytes());
        }
        h.convert();
        assert_eq!(h.encoding(), "hashtable");
        let copy = h.clone();
        assert_eq!(copy, h);
        let mut seen = std::collections::HashMap::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            cursor = h.scan(cursor, 10, |k, v| {
                seen.insert(k.to_vec(), v.to_vec());
            });
            calls += 1;
            if cursor == 0 {
                break;
            }
        }
        assert!(calls > 5);
        assert_eq!(seen.len(), 300);
        assert_eq!(seen.get(&b"f7"[..]), Some(&b"v7".to_vec()));
        let (f, v) = h.random(1).unwrap();
        assert_eq!(h.get(&f), Some(v));
        assert!(h.delete(b"f7"));
        assert_ne!(copy, h);
        let mut small = HashVal::default();
        small.set(b"a", b"1");
        assert_eq!(small.scan(5, 1, |_, _| ()), 0);
        assert_eq!(small.random(9), Some((b"a".to_vec(), b"1".to_vec())));
    }

    #[test]
    fn set_get_delete_convert() {
        let mut h = HashVal::default();
        assert!(h.set(b"a", b"1"));
        assert!(!h.set(b"a", b"22"));
        assert!(h.set(b"b", b"x"));
        assert_eq!(h.get(b"a"), Some(b"22".to_vec()));
        assert_eq!(h.strlen(b"a"), Some(2));
        assert_eq!(h.len(), 2);
        h.convert();
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"b"), Some(b"x".to_vec()));
        assert!(h.delete(b"a"));
        assert!(!h.delete(b"a"));
        assert_eq!(h.len(), 1);
        let mut l = HashVal::default();
        l.set(b"k", b"v");
        assert!(l.delete(b"k"));
        assert!(l.is_empty());
    }
}
