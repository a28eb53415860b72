//! Sorted set values (Redis's `OBJ_ZSET`, `t_zset.c`): the two encodings a
//! key of this type can have and the conversions between them.
//!
//! A new sorted set starts as a listpack of member/score pairs
//! ([`ListpackZSet`]) while it has at most `zset-max-listpack-entries`
//! members, none longer than `zset-max-listpack-value` bytes; the first
//! write that crosses either limit converts it to the skiplist + dict pair
//! ([`ZSet`]), and it never converts back by itself, as in Redis (only a
//! command that builds a fresh set, like ZUNIONSTORE or ZRANGESTORE,
//! chooses the encoding from its result size, Redis's `zsetTypeCreate`).
//!
//! Every read the commands need is expressed over 0-based ranks in
//! ascending order: a score or lex range is first turned into the ranks of
//! its first and last element (O(log n) on the skiplist), then walked. That
//! keeps the command code free of per-encoding branches.

use crate::types::listpack::Entry;
use crate::types::skiplist::{Added, LexRange, ListpackZSet, ScoreRange, ZSet};

/// A sorted set value.
#[derive(Debug)]
pub enum ZSetVal {
    Listpack(ListpackZSet),
    /// Boxed so a small set's value stays the listpack's 32 bytes rather
    /// than the size of the dict + skiplist headers.
    Skiplist(Box<ZSet>),
}

impl Clone for ZSetVal {
    fn clone(&self) -> Self {
        match self {
            ZSetVal::Listpack(l) => ZSetVal::Listpack(l.clone()),
            ZSetVal::Skiplist(z) => {
                let mut n = ZSet::new();
                for (m, s) in z.list().iter() {
                    n.insert(m, s);
                }
                ZSetVal::Skiplist(Box::new(n))
            }
        }
    }
}

impl PartialEq for ZSetVal {
    fn eq(&self, other: &Self) -> bool {
        if self.len() != other.len() || self.encoding() != other.encoding() {
            return false;
        }
        let mut a = Vec::new();
        let mut b = Vec::new();
        self.for_each(|m, s| a.push((m.to_vec(), s)));
        other.for_each(|m, s| b.push((m.to_vec(), s)));
        a == b
    }
}

/// The encoding limits, read from the config at each write.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

impl ZSetVal {
    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match self {
            ZSetVal::Listpack(_) => "listpack",
            ZSetVal::Skiplist(_) => "skiplist",
        }
    }

    /// An empty set in the encoding Redis's `zsetTypeCreate` picks for
    /// `size_hint` members, the longest `max_len` bytes long.
    pub fn with_capacity(size_hint: usize, max_len: usize, lim: Limits) -> ZSetVal {
        if size_hint <= lim.entries && max_len <= lim.value && lim.entries > 0 {
            ZSetVal::Listpack(ListpackZSet::new())
        } else {
            ZSetVal::Skiplist(Box::default())
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZSetVal::Listpack(l) => l.len(),
            ZSetVal::Skiplist(z) => z.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSetVal::Listpack(l) => l.score(member),
            ZSetVal::Skiplist(z) => z.score(member),
        }
    }

    /// Sets a score, converting to the skiplist first when the new member
    /// would cross a limit (`zsetAdd`'s check).
    pub fn insert(&mut self, member: &[u8], score: f64, lim: Limits) -> Added {
        if let ZSetVal::Listpack(l) = self {
            let new_member = l.score(member).is_none();
            if new_member && (l.len() + 1 > lim.entries || member.len() > lim.value) {
                let z = l.to_zset();
                *self = ZSetVal::Skiplist(Box::new(z));
            }
        }
        match self {
            ZSetVal::Listpack(l) => l.insert(member, score),
            ZSetVal::Skiplist(z) => z.insert(member, score),
        }
    }

    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZSetVal::Listpack(l) => l.remove(member),
            ZSetVal::Skiplist(z) => z.remove(member),
        }
    }

    /// 0-based rank from the lowest score, or the highest with `reverse`.
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<usize> {
        match self {
            ZSetVal::Listpack(l) => l.rank(member, reverse),
            ZSetVal::Skiplist(z) => z.rank(member, reverse),
        }
    }

    /// Ascending ranks (first, last) of the elements with a score in `r`.
    pub fn score_ranks(&self, r: &ScoreRange) -> Option<(usize, usize)> {
        match self {
            ZSetVal::Listpack(l) => {
                let a = l.first_in_score(r)?;
                let b = l.last_in_score(r)?;
                (a <= b).then_some((a, b))
            }
            ZSetVal::Skiplist(z) => {
                let zsl = z.list();
                let a = zsl.first_in_score(r)?;
                let b = zsl.last_in_score(r)?;
                let ra = zsl.rank(zsl.score(a), zsl.member(a)) - 1;
                let rb = zsl.rank(zsl.score(b), zsl.member(b)) - 1;
                (ra <= rb).then_some((ra, rb))
            }
        }
    }

    /// Ascending ranks (first, last) of the elements with a member in `r`.
    pub fn lex_ranks(&self, r: &LexRange<'_>) -> Option<(usize, usize)> {
        match self {
            ZSetVal::Listpack(l) => {
                let a = l.first_in_lex(r)?;
                let b = l.last_in_lex(r)?;
                (a <= b).then_some((a, b))
            }
            ZSetVal::Skiplist(z) => {
                let zsl = z.list();
                let a = zsl.first_in_lex(r)?;
                let b = zsl.last_in_lex(r)?;
                let ra = zsl.rank(zsl.score(a), zsl.member(a)) - 1;
                let rb = zsl.rank(zsl.score(b), zsl.member(b)) - 1;
                (ra <= rb).then_some((ra, rb))
            }
        }
    }

    /// Calls `f` on ranks `start..=end` (ascending ranks, clamped by the
    /// caller), from `start` up, or from `end` down with `reverse`.
    pub fn walk(&self, start: usize, end: usize, reverse: bool, mut f: impl FnMut(&[u8], f64)) {
        if start > end || end >= self.len() {
            return;
        }
        let n = end - start + 1;
        match self {
            ZSetVal::Listpack(l) => {
                let mut buf = [0u8; 24];
                if reverse {
                    let skip = l.len() - 1 - end;
                    for (m, s) in l.iter().rev().skip(skip).take(n) {
                        f(entry_bytes(&m, &mut buf), s);
                    }
                } else {
                    for (m, s) in l.iter().skip(start).take(n) {
                        f(entry_bytes(&m, &mut buf), s);
                    }
                }
            }
            ZSetVal::Skiplist(z) => {
                let zsl = z.list();
                let mut x = zsl.by_rank(if reverse { end + 1 } else { start + 1 });
                for _ in 0..n {
                    let Some(id) = x else { break };
                    f(zsl.member(id), zsl.score(id));
                    x = if reverse { zsl.prev(id) } else { zsl.next(id) };
                }
            }
        }
    }

    /// Every (member, score) in ascending order.
    pub fn for_each(&self, f: impl FnMut(&[u8], f64)) {
        let n = self.len();
        if n > 0 {
            self.walk(0, n - 1, false, f);
        }
    }

    /// Deletes ascending ranks `start..=end`; how many went.
    pub fn delete_ranks(&mut self, start: usize, end: usize) -> usize {
        match self {
            ZSetVal::Listpack(l) => l.delete_range_by_rank(start, end),
            ZSetVal::Skiplist(z) => z.delete_range_by_rank(start, end),
        }
    }

    /// One ZSCAN step: a listpack answers everything at once with cursor 0
    /// (as Redis for its compact encodings); a skiplist set walks its
    /// dict's buckets from `cursor` (`dictScan`), about `count` members a
    /// call, returning the next cursor (0 when done).
    pub fn scan(&self, cursor: u64, count: usize, f: impl FnMut(&[u8], f64)) -> u64 {
        match self {
            ZSetVal::Listpack(_) => {
                self.for_each(f);
                0
            }
            ZSetVal::Skiplist(z) => z.scan(cursor, count, f),
        }
    }

    /// Approximate heap bytes.
    pub fn bytes(&self) -> usize {
        match self {
            ZSetVal::Listpack(l) => l.bytes(),
            ZSetVal::Skiplist(z) => z.bytes(),
        }
    }
}

impl ZSetVal {
    /// Heap bytes the sorted set holds beyond its 40-byte `Value` (Redis's
    /// `objectComputeSize` for `OBJ_ZSET`): a listpack's buffer exactly;
    /// a skiplist's arenas, index and long members exactly (short members
    /// live in the nodes), so for sorted sets `samples` changes nothing.
    pub fn mem_usage(&self, samples: usize) -> usize {
        match self {
            ZSetVal::Listpack(l) => l.as_listpack().allocated(),
            ZSetVal::Skiplist(z) => std::mem::size_of::<ZSet>() + z.mem_usage(samples),
        }
    }
}

fn entry_bytes<'b>(e: &'b Entry<'b>, buf: &'b mut [u8; 24]) -> &'b [u8] {
    e.as_bytes(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: Limits = Limits {
        entries: 4,
        value: 8,
    };

    fn collect(z: &ZSetVal, s: usize, e: usize, rev: bool) -> Vec<(Vec<u8>, f64)> {
        let mut v = Vec::new();
        z.walk(s, e, rev, |m, sc| v.push((m.to_vec(), sc)));
        v
    }

    #[test]
    fn zscan_covers_a_growing_skiplist_set() {
        let lim = Limits {
            entries: 4,
            value: 64,
        };
        let mut z = ZSetVal::with_capacity(0, 0, lim);
        for i in 0..500 {
            z.insert(format!("m{i}").as_bytes(), i as f64, lim);
        }
        assert_eq!(z.encoding(), "skiplist");
        let mut seen = std::collections::HashMap::new();
        let mut cursor = 0;
        let mut n = 0;
        loop {
            cursor = z.scan(cursor, 10, |m, s| {
                seen.insert(m.to_vec(), s);
            });
            for _ in 0..50 {
                z.insert(format!("x{n}").as_bytes(), -1.0, lim);
                n += 1;
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            assert_eq!(seen.get(format!("m{i}").as_bytes()), Some(&(i as f64)));
        }
        let mut small = ZSetVal::with_capacity(0, 0, LIM);
        small.insert(b"a", 1.0, LIM);
        let mut all = 0;
        assert_eq!(small.scan(99, 1, |_, _| all += 1), 0);
        assert_eq!(all, 1);
    }

    #[test]
    fn small_value_is_small() {
        assert!(std::mem::size_of::<ZSetVal>() <= 32);
    }

    #[test]
    fn converts_on_entries_and_value_and_walks_alike() {
        let mut z = ZSetVal::with_capacity(0, 0, LIM);
        for (i, m) in ["a", "b", "c", "d"].iter().enumerate() {
            z.insert(m.as_bytes(), i as f64, LIM);
        }
        assert_eq!(z.encoding(), "listpack");
        let lp = collect(&z, 1, 3, true);
        let mut big = z.clone();
        big.insert(b"e", 10.0, LIM);
        assert_eq!(big.encoding(), "skiplist");
        assert_eq!(collect(&big, 1, 3, true), lp);
        assert_eq!(big.rank(b"e", false), Some(4));
        let r = ScoreRange {
            min: 1.0,
            max: 10.0,
            minex: true,
            maxex: false,
        };
        assert_eq!(big.score_ranks(&r), Some((2, 4)));
        assert_eq!(z.score_ranks(&r), Some((2, 3)));
        let mut long = z.clone();
        long.insert(b"aaaaaaaaaaaa", 0.5, LIM);
        assert_eq!(long.encoding(), "skiplist");
        assert_eq!(big.delete_ranks(0, 1), 2);
        assert_eq!(big.len(), 3);
        assert_eq!(big.clone(), big);
    }
}
