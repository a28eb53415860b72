//! List values (Redis's `t_list.c` object layer over `quicklist.c`).
//!
//! Redis 7.0 stores every list as a quicklist: a doubly linked chain of
//! listpack nodes, each bounded by `list-max-listpack-size` (negative: a
//! byte budget per node, -2 = 8 KiB; positive: an element count), with
//! `list-compress-depth` nodes at each end kept uncompressed. 7.0 has no
//! separate small-list encoding (7.2 added plain listpack lists), so OBJECT
//! ENCODING always answers `quicklist`. We wrap `types::quicklist::Quicklist`
//! directly: it already implements node splitting, merging, LZF
//! compression and plain nodes (one element of `packed_threshold` bytes or
//! more per node, see `DEBUG QUICKLIST-PACKED-THRESHOLD`) with Redis's
//! rules, so this type only names the encoding.

use super::quicklist::Quicklist;

/// Default `list-max-listpack-size`: 8 KiB per node.
pub const DEFAULT_FILL: i32 = -2;
/// Default `list-compress-depth`: no compression.
pub const DEFAULT_COMPRESS: i32 = 0;

/// A list value: a quicklist of listpack nodes.
#[derive(Clone, Debug)]
pub struct ListVal {
    pub ql: Quicklist,
}

impl PartialEq for ListVal {
    fn eq(&self, other: &Self) -> bool {
        self.ql.len() == other.ql.len() && self.ql.to_vec() == other.ql.to_vec()
    }
}

impl ListVal {
    /// An empty list with the given node fill and compress depth; callers
    /// must push before storing it (an empty list never exists as a key).
    pub fn new(fill: i32, compress: i32) -> ListVal {
        ListVal {
            ql: Quicklist::new(fill, compress),
        }
    }

    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    pub fn len(&self) -> usize {
        self.ql.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ql.is_empty()
    }

    /// Heap bytes the list holds beyond its 40-byte `Value` (Redis's
    /// `objectComputeSize` for `OBJ_LIST`): the boxed list header plus the
    /// quicklist's nodes, sampled over `samples` nodes.
    pub fn mem_usage(&self, samples: usize) -> usize {
        std::mem::size_of::<ListVal>() + self.ql.mem_usage(samples)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_ignores_node_layout() {
        let mut a = ListVal::new(2, 0);
        let mut b = ListVal::new(-2, 0);
        for v in [b"x".as_ref(), b"12", b"yy"] {
            a.ql.push_back(v);
            b.ql.push_back(v);
        }
        assert!(a.ql.node_count() > b.ql.node_count());
        assert_eq!(a, b);
        b.ql.push_back(b"z");
        assert_ne!(a, b);
    }
}
