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
//! Our hash table is std's `HashSet<Box<[u8]>>` for now: one allocation per
//! member, like Redis's sds keys. Its iteration order differs from Redis's
//! dict, which is fine because Redis makes no promise about it either.

use std::collections::HashSet;

use super::intset::IntSet;
use crate::util::numbers::parse_i64;

/// A set value in one of Redis 7.0's two encodings.
#[derive(Clone, Debug, PartialEq)]
pub enum SetVal {
    Int(IntSet),
    /// Boxed so an intset-encoded value stays one `Vec` and a width wide
    /// (32 bytes, held in place by `Value`): the small sets are the many.
    Hash(Box<HashSet<Box<[u8]>>>),
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
            SetVal::Hash(h) => h.contains(m),
        }
    }

    fn convert_to_hash(&mut self) {
        if let SetVal::Int(s) = self {
            let h: HashSet<Box<[u8]>> = s
                .iter()
                .map(|n| n.to_string().into_bytes().into_boxed_slice())
                .collect();
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
                if h.contains(m) {
                    false
                } else {
                    h.insert(m.into());
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
            SetVal::Hash(h) => h.remove(m),
        }
    }

    /// Calls `f` on every member (intsets in ascending order).
    pub fn for_each(&self, mut f: impl FnMut(Member<'_>)) {
        match self {
            SetVal::Int(s) => s.iter().for_each(|n| f(Member::Int(n))),
            SetVal::Hash(h) => h.iter().for_each(|b| f(Member::Bytes(b))),
        }
    }

    /// All members as owned bytes.
    pub fn members(&self) -> Vec<Vec<u8>> {
        let mut v = Vec::with_capacity(self.len());
        self.for_each(|m| v.push(m.to_vec()));
        v
    }

    /// The member at position `i` of the iteration order (`i < len`).
    pub fn nth(&self, i: usize) -> Option<Vec<u8>> {
        match self {
            SetVal::Int(s) => s.get(i).map(|n| n.to_string().into_bytes()),
            SetVal::Hash(h) => h.iter().nth(i).map(|b| b.to_vec()),
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
