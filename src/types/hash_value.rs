//! Hash values (Redis's `t_hash.c` encodings): a map from field to value.
//!
//! Small hashes are a listpack holding field, value, field, value... in
//! insertion order (Redis's `OBJ_ENCODING_LISTPACK`): one allocation, a
//! linear search that beats hashing at these sizes. Once a hash has more
//! than `hash-max-listpack-entries` fields or any field or value longer
//! than `hash-max-listpack-value` bytes it becomes a hash table, and never
//! goes back, as in Redis. The table is a std `HashMap` of boxed byte
//! slices (two allocations per entry, like Redis's dict entry plus two
//! sds strings, without the sds headers).

use std::collections::HashMap;

use crate::types::listpack::{Entry, Listpack};

/// The hash-table encoding: boxed so a listpack hash stays small.
pub type Table = HashMap<Box<[u8]>, Box<[u8]>>;

/// A hash value in one of its two encodings.
#[derive(Clone, Debug, PartialEq)]
pub enum HashVal {
    Listpack(Listpack),
    Table(Box<Table>),
}

impl Default for HashVal {
    fn default() -> Self {
        HashVal::Listpack(Listpack::new())
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
            let mut t = HashMap::with_capacity(lp.len() / 2);
            let mut it = lp.iter();
            while let (Some(f), Some(v)) = (it.next(), it.next()) {
                t.insert(
                    entry_vec(f).into_boxed_slice(),
                    entry_vec(v).into_boxed_slice(),
                );
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
                if let Some(v) = t.get_mut(field) {
                    *v = value.into();
                    false
                } else {
                    t.insert(field.into(), value.into());
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
            HashVal::Table(t) => t.remove(field).is_some(),
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
            HashVal::Table(t) => {
                for (k, v) in t.iter() {
                    f(k, v);
                }
            }
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
            HashVal::Table(t) => t.iter().nth(i).map(|(k, v)| (k.to_vec(), v.to_vec())),
        }
    }

    /// All pairs, copied (for sampling).
    pub fn pairs(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|k, v| out.push((k.to_vec(), v.to_vec())));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
