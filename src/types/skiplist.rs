//! # Skiplist and ZSet: the sorted set once it outgrows a listpack
//!
//! Corresponds to the data structures of Redis's `t_zset.c`: the `zsl*`
//! skiplist and the `zzl*` listpack encoding. A sorted set with
//! more than `zset-max-listpack-entries` (128) members, or a member longer
//! than `zset-max-listpack-value` (64), is kept as two structures over the
//! same members: a hash table from member to score, for `ZSCORE` and for
//! finding a member's score before touching the ordered side in O(1), and a
//! skiplist ordered by (score, member), for ranges and ranks in O(log n).
//!
//! ## The skiplist, as Redis shapes it
//! Pugh's skiplist is a sorted linked list where each node also sits, with
//! probability p per level, on sparser "express" lists above it; a search
//! runs along the top list and drops down a level whenever it would
//! overshoot. Redis departs from the paper in three ways, and so do we:
//! - elements may share a score; ties are broken by the member's bytes
//!   (`memcmp` order, shorter first on a common prefix), so the order is
//!   total and the same member is never inserted twice;
//! - every forward link stores its *span*, the number of level-0 steps it
//!   skips; summing spans along a search path gives an element's rank,
//!   which makes `ZRANK` and `ZRANGE by index` O(log n);
//! - each node has a backward pointer at level 0, so `ZREVRANGE` walks the
//!   list tail to head without a second set of links.
//!
//! p = 1/4 and at most 32 levels, as Redis: on average 1.33 links per node,
//! enough levels for 2^64 elements.
//!
//! ## How ours departs: an arena instead of pointers
//! Redis's nodes point at each other. Doubly linked structures in safe Rust
//! need either `Rc<RefCell<..>>` (a count and a flag per node, checks at
//! each step) or `unsafe`. We keep nodes in one `Vec` and link them by
//! `u32` index, with a free list of vacated slots reused by later inserts:
//! - safe code only, and a bad index is a panic, never memory corruption;
//! - no allocation per node: a node is 48 bytes in the arena;
//! - slots are contiguous, which helps the cache on scans.
//!
//! ## Where the bytes go
//! A big sorted set is mostly its nodes, so the layout is sized to the
//! byte (figures from `scripts/bench_bigzset.sh`, 1M members `member:N`:
//! 61 bytes per member of `used_memory` against Redis 7.0's 110, and an
//! RSS growth of 59 against 117):
//! - **Level 0 lives in the node.** Three nodes in four have only the
//!   bottom level, and there the span is always 1 (Redis stores it
//!   anyway): a node holds its level-0 forward link as a bare `u32`, next
//!   to the backward one. A level-0 search step reads the next node, which
//!   it needs for the score and, on a tie, the member.
//! - **Upper levels in a pool.** A node of height h > 1 owns h - 1
//!   consecutive `Level`s in a second arena. An upper link caches the score
//!   of the node it points to and where that node's own upper links start,
//!   so an upper search step reads one 20-byte `Level` and not the node
//!   (unless the scores tie): one cache miss per step. On average a node
//!   has 1/3 of an upper link, 7 bytes.
//! - **Short members inside the node.** A member of up to 23 bytes is
//!   stored in the node's 24-byte member field, its length in the last
//!   byte; a longer one is a `Box<[u8]>` in a side table that the field
//!   indexes. An `ids`-style member thus costs no allocation (glibc would
//!   give a 13-byte one a 32-byte chunk, plus 16 bytes of `Box`) and is
//!   compared without a pointer chase. Comparisons are frequent: whenever
//!   a search meets a score equal to the one it looks for it must order
//!   by member, and the member index compares members on every lookup; a
//!   long member costs two more cache misses each time (the table entry,
//!   then the bytes). The field was 16 bytes (members up to 15) until
//!   redis-benchmark's `ZADD myzset <score> element:<12 digits>` (20-byte
//!   members) showed it: with 24 bytes, 8 more per node, that test ran
//!   1.54x as fast (CPU per request 0.66x) and went from 0.95x Redis's
//!   throughput at -P 16 to 1.27x; a 12-byte member ran as fast as before.
//!   A longer member keeps its first 19 bytes in the field beside its
//!   table index, and a comparison reads the member itself only when that
//!   prefix matches: ZADD of 37-byte members with random scores went 1.12x
//!   as fast, and with every score equal (each step of each search then
//!   compares members) 1.11-1.18x, at 1.12x Redis's rate.
//! - **No height field.** A node's height is only needed when it is
//!   deleted, and the delete's search path already tells it: the number of
//!   levels on which the predecessor links to it.
//! - **Arenas grow by an eighth once past 128 KB**, glibc's mmap threshold:
//!   such blocks grow by `mremap`, which moves page mappings and copies
//!   nothing, so the small steps are cheap (no reply stalls in the bench),
//!   and a 1M-member set carries 6% of spare slots on average, not the 39%
//!   of doubling (which would be 20 bytes a member).
//!
//! The price: at most 2^32 - 2 members per sorted set, and a slot vacated by
//! a delete (its long member and its levels are freed at once, the slot's
//! 48 bytes are not) waits in the free list for the next insert. [`ZSet`]
//! compacts the arena with [`SkipList::shrink`] once vacated slots
//! outnumber live ones, so a set that shrinks gives its memory back too.
//! Index 0 is the header node, `NIL` (u32::MAX) is the null link.
//!
//! ## The small encoding
//! Below the thresholds a sorted set is one listpack of alternating member
//! and score entries, ordered as the skiplist would be ([`ListpackZSet`],
//! the `zzl*` functions of `t_zset.c`). A score that is an integer within
//! ±2^62 is stored as a listpack integer (`double2ll`), any other as its
//! `%.17g` text, exactly as Redis 7.0 writes it; so `ZADD z 1 a` costs
//! 3 + 2 bytes for the pair after the listpack's 7.
//!
//! [`ZSet`] pairs the skiplist with a member index, the role of Redis's
//! zset dict: a chained hash table of node ids whose chains run through
//! the nodes themselves, so a member's bytes are stored once (in its node)
//! and indexing it costs a 4-byte bucket share (and the node's 4-byte
//! chain link). Redis shares one sds
//! between its dict and skiplist for the same reason. The index resizes
//! incrementally and scans with `dictScan`'s cursor, as Redis's dict.

use super::listpack::{CompactListpack, Entry};
use super::XorShift;
use crate::db::dict::hash_key;
use std::cmp::Ordering;

/// Maximum number of levels (`ZSKIPLIST_MAXLEVEL`).
pub const MAX_LEVEL: usize = 32;
/// Null link.
pub const NIL: u32 = u32::MAX;
const HEAD: u32 = 0;

/// Index of a node in the arena; valid until that node is deleted.
pub type NodeId = u32;

/// One forward link on a level above the first, with two caches of the
/// node it points to: its score and where its own upper links start in the
/// pool. A search step on an upper level compares against the next node's
/// score and continues from that node's links, so it reads one `Level` and
/// never the node itself (unless the scores tie and members must be
/// compared). The score is kept as two `u32` halves so the struct is 20
/// bytes with 4-byte alignment rather than 24 with 8.
#[derive(Debug, Clone, Copy)]
struct Level {
    forward: u32,
    span: u32,
    score: [u32; 2],
    fwd_base: u32,
}

impl Level {
    const NONE: Level = Level {
        forward: NIL,
        span: 0,
        score: [0, 0],
        fwd_base: NIL,
    };

    fn new(forward: u32, span: u32, score: f64, fwd_base: u32) -> Level {
        let b = score.to_bits();
        Level {
            forward,
            span,
            score: [b as u32, (b >> 32) as u32],
            fwd_base,
        }
    }

    #[inline]
    fn score(&self) -> f64 {
        f64::from_bits(u64::from(self.score[0]) | (u64::from(self.score[1]) << 32))
    }

    #[inline]
    fn set_score(&mut self, score: f64) {
        let b = score.to_bits();
        self.score = [b as u32, (b >> 32) as u32];
    }
}

/// Size of a node's [`Member`] field.
const MEMBER_BYTES: usize = 24;
/// Members of up to this many bytes live inside their node; the field's
/// last byte, at this index, holds the length or [`LONG`].
const INLINE_MAX: usize = MEMBER_BYTES - 1;
/// The tag byte of a [`Member`] that refers to the long-member table.
const LONG: u8 = 0xFF;
/// Leading bytes of a long member kept in its [`Member`] field, between
/// the 4-byte table index and the tag byte.
const PREFIX: usize = MEMBER_BYTES - 5;

/// A node's member: up to [`INLINE_MAX`] bytes stored in place, the length
/// in the last byte; a longer one is a `Box<[u8]>` in the skiplist's
/// long-member table, its index in the first four bytes and [`LONG`] in
/// the last, and its first [`PREFIX`] bytes in between, so that most
/// comparisons with it are decided without reading the member itself.
/// Typical members (ids, `user:1234`) then cost no allocation of their
/// own: glibc would round a 13-byte one up to a 32-byte chunk and the
/// `Box` would add 16 bytes of pointer and length. Which form a member
/// takes depends on its length alone, so two members of different forms
/// are never equal.
#[derive(Debug, Clone, Copy, Default)]
struct Member([u8; MEMBER_BYTES]);

impl Member {
    fn inline(bytes: &[u8]) -> Member {
        debug_assert!(bytes.len() <= INLINE_MAX);
        let mut m = [0u8; MEMBER_BYTES];
        m[..bytes.len()].copy_from_slice(bytes);
        m[INLINE_MAX] = bytes.len() as u8;
        Member(m)
    }

    fn long(idx: u32, bytes: &[u8]) -> Member {
        debug_assert!(bytes.len() > INLINE_MAX);
        let mut m = [0u8; MEMBER_BYTES];
        m[..4].copy_from_slice(&idx.to_le_bytes());
        m[4..4 + PREFIX].copy_from_slice(&bytes[..PREFIX]);
        m[INLINE_MAX] = LONG;
        Member(m)
    }

    /// The same long member at another index of the table.
    fn moved_to(self, idx: u32) -> Member {
        let mut m = self.0;
        m[..4].copy_from_slice(&idx.to_le_bytes());
        Member(m)
    }

    #[inline]
    fn prefix(&self) -> &[u8] {
        &self.0[4..4 + PREFIX]
    }

    /// An inline member's bytes (only meaningful when `long_idx` is None).
    #[inline]
    fn inline_bytes(&self) -> &[u8] {
        &self.0[..self.0[INLINE_MAX] as usize]
    }

    /// The long-member table index, if the member is not inline.
    #[inline]
    fn long_idx(&self) -> Option<usize> {
        (self.0[INLINE_MAX] == LONG)
            .then(|| u32::from_le_bytes([self.0[0], self.0[1], self.0[2], self.0[3]]) as usize)
    }
}

/// A skiplist node: 48 bytes. Its level-0 link is the `next` field (that
/// level's span is always 1, so it needs no span and, as the next node is
/// read anyway to compare, no cached score); only the levels above, a
/// quarter of the nodes have any, take `Level`s in the pool.
#[derive(Debug, Clone, Copy)]
struct Node {
    ele: Member,
    score: f64,
    backward: u32,
    next: u32,
    /// This node's links on levels 1.. are `pool[upper..upper + height - 1]`
    /// (NIL for a node of height 1). The height itself is not stored: a
    /// delete learns it from the predecessors that link to the node.
    upper: u32,
    /// Next node in the same bucket of the owning [`ZSet`]'s member index
    /// (`MemberIndex::NONE`, 0, ends the chain).
    hnext: u32,
}

/// A score interval, `zrangespec`: `(1` is `min = 1, minex = true`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    /// A range no score can be in (`min > max`, or equal with an open end).
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a lexicographic range: `-`, `+`, `[member` or `(member`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LexBound<'a> {
    Min,
    Max,
    Incl(&'a [u8]),
    Excl(&'a [u8]),
}

impl<'a> LexBound<'a> {
    /// Parses a bound as `zslParseLexRangeItem`; None is Redis's
    /// "min or max not valid string range item". `+` and `-` must stand
    /// alone (Redis checks the byte after them against the terminating NUL,
    /// so a NUL there is accepted too).
    pub fn parse(s: &'a [u8]) -> Option<Self> {
        match s.first()? {
            b'+' if s.len() == 1 || s[1] == 0 => Some(LexBound::Max),
            b'-' if s.len() == 1 || s[1] == 0 => Some(LexBound::Min),
            b'(' => Some(LexBound::Excl(&s[1..])),
            b'[' => Some(LexBound::Incl(&s[1..])),
            _ => None,
        }
    }
}

/// A lexicographic interval, `zlexrangespec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LexRange<'a> {
    pub min: LexBound<'a>,
    pub max: LexBound<'a>,
}

impl<'a> LexRange<'a> {
    pub fn parse(min: &'a [u8], max: &'a [u8]) -> Option<Self> {
        Some(LexRange {
            min: LexBound::parse(min)?,
            max: LexBound::parse(max)?,
        })
    }

    pub fn gte_min(&self, v: &[u8]) -> bool {
        match self.min {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Incl(m) => v >= m,
            LexBound::Excl(m) => v > m,
        }
    }

    pub fn lte_max(&self, v: &[u8]) -> bool {
        match self.max {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Incl(m) => v <= m,
            LexBound::Excl(m) => v < m,
        }
    }

    /// As `zslIsInLexRange`'s first test: `-`/`+` count as open ends, so
    /// `- -` and `+ +` are empty, as are `+ -` and `[b [a`.
    pub fn is_empty(&self) -> bool {
        use std::cmp::Ordering::*;
        use LexBound::*;
        let (cmp, open) = match (self.min, self.max) {
            (Min, Min) | (Max, Max) => (Equal, true),
            (Min, _) | (_, Max) => (Less, false),
            (Max, _) | (_, Min) => (Greater, false),
            (Incl(a) | Excl(a), Incl(b) | Excl(b)) => (
                a.cmp(b),
                matches!(self.min, Excl(_)) || matches!(self.max, Excl(_)),
            ),
        };
        cmp == Greater || (cmp == Equal && open)
    }
}

/// Redis's zset skiplist, in an arena. See the module documentation.
#[derive(Debug)]
pub struct SkipList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    /// Every node's links above level 0, `height - 1` consecutive entries
    /// per node; the header's 31 come first.
    pool: Vec<Level>,
    /// Vacated link blocks by their length (`height - 1`), reused by nodes
    /// of that height.
    free_blocks: Vec<Vec<u32>>,
    /// Members longer than [`INLINE_MAX`], by the index their node holds.
    long: Vec<Box<[u8]>>,
    long_free: Vec<u32>,
    /// Sum of the lengths in `long`, so MEMORY USAGE is exact in O(1).
    long_bytes: usize,
    tail: u32,
    length: usize,
    level: usize,
    rng: XorShift,
}

impl Default for SkipList {
    fn default() -> Self {
        Self::new()
    }
}

/// Makes room for one more element in an arena. Doubling while small; past
/// 128 KB, glibc's mmap threshold (pinned in `main.rs`), by an eighth:
/// such a block is `mremap`ed, its pages moved rather than copied, so a
/// small step costs little and a big arena wastes 6% on average instead
/// of doubling's 39% (a 1M-member set would otherwise carry half a million
/// unused slots).
fn reserve_one<T>(v: &mut Vec<T>) {
    if v.len() < v.capacity() {
        return;
    }
    let cap = v.capacity();
    let extra = if cap * std::mem::size_of::<T>() < 128 * 1024 {
        cap.max(8)
    } else {
        cap / 8
    };
    v.reserve_exact(extra);
}

impl SkipList {
    pub fn new() -> Self {
        Self::with_rng(XorShift::from_entropy())
    }

    /// A skiplist whose level choices follow `rng` (tests want them fixed).
    pub fn with_rng(rng: XorShift) -> Self {
        let head = Node {
            ele: Member::default(),
            score: 0.0,
            backward: NIL,
            next: NIL,
            upper: 0,
            hnext: MemberIndex::NONE,
        };
        SkipList {
            nodes: vec![head],
            free: Vec::new(),
            pool: vec![Level::NONE; MAX_LEVEL - 1],
            free_blocks: vec![Vec::new(); MAX_LEVEL],
            long: Vec::new(),
            long_free: Vec::new(),
            long_bytes: 0,
            tail: NIL,
            length: 0,
            level: 1,
            rng,
        }
    }

    pub fn len(&self) -> usize {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Number of levels in use.
    pub fn levels(&self) -> usize {
        self.level
    }

    // ---- node access ---------------------------------------------------

    pub fn first(&self) -> Option<NodeId> {
        link(self.nodes[HEAD as usize].next)
    }

    pub fn last(&self) -> Option<NodeId> {
        link(self.tail)
    }

    pub fn next(&self, id: NodeId) -> Option<NodeId> {
        link(self.node(id).next)
    }

    pub fn prev(&self, id: NodeId) -> Option<NodeId> {
        link(self.node(id).backward)
    }

    pub fn score(&self, id: NodeId) -> f64 {
        self.node(id).score
    }

    pub fn member(&self, id: NodeId) -> &[u8] {
        self.ele(self.node(id))
    }

    /// (member, score) from head to tail; `.rev()` from tail to head.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            zsl: self,
            front: self.first(),
            back: self.last(),
            left: self.length,
        }
    }

    // ---- changing ------------------------------------------------------

    /// Inserts a member that is not present (the caller checks, through
    /// the dict, as `zslInsert`'s callers do). `score` must not be NaN.
    pub fn insert(&mut self, score: f64, ele: &[u8]) -> NodeId {
        debug_assert!(!score.is_nan());
        let m = self.store_member(ele);
        let id = self.alloc(m, score);
        self.link_node(id);
        id
    }

    /// Deletes (score, member); whether it was there.
    pub fn delete(&mut self, score: f64, ele: &[u8]) -> bool {
        let update = self.path_to(score, ele);
        let x = self.nodes[update[0] as usize].next;
        if x != NIL
            && self.nodes[x as usize].score == score
            && self.eq_ele(&self.nodes[x as usize], ele)
        {
            let h = self.unlink(x, &update);
            self.release(x, h);
            true
        } else {
            false
        }
    }

    /// Moves (cur, member) to `new` score, in place when its neighbours
    /// still bracket it (`zslUpdateScore`), else unlinked and linked again
    /// at its new place with a fresh height. Either way the node keeps its
    /// id (and member), so the caller's index needs no change. The member
    /// must be present.
    pub fn update_score(&mut self, cur: f64, ele: &[u8], new: f64) -> NodeId {
        let update = self.path_to(cur, ele);
        let x = self.nodes[update[0] as usize].next;
        assert!(
            x != NIL
                && self.nodes[x as usize].score == cur
                && self.eq_ele(&self.nodes[x as usize], ele),
            "zsl update_score: member not found"
        );
        let n = self.nodes[x as usize];
        let back_ok = n.backward == NIL || self.nodes[n.backward as usize].score < new;
        let fwd_ok = n.next == NIL || self.nodes[n.next as usize].score > new;
        if back_ok && fwd_ok {
            self.nodes[x as usize].score = new;
            for (i, &u) in update.iter().enumerate().take(self.level).skip(1) {
                let l = &mut self.pool[self.nodes[u as usize].upper as usize + i - 1];
                if l.forward == x {
                    l.set_score(new);
                }
            }
            return x;
        }
        let h = self.unlink(x, &update);
        if h > 1 {
            self.free_blocks[h - 1].push(n.upper);
        }
        self.nodes[x as usize].score = new;
        self.link_node(x);
        x
    }

    /// 1-based rank of (score, member), 0 if absent (`zslGetRank`).
    pub fn rank(&self, score: f64, ele: &[u8]) -> usize {
        let mut rank = 0usize;
        let mut x = HEAD;
        let mut xb = self.nodes[HEAD as usize].upper as usize;
        for i in (1..self.level).rev() {
            loop {
                let l = self.pool[xb + i - 1];
                let s = l.score();
                if l.forward != NIL
                    && (s < score || (s == score && self.cmp_ele_of(l.forward, ele).is_le()))
                {
                    rank += l.span as usize;
                    x = l.forward;
                    xb = l.fwd_base as usize;
                } else {
                    break;
                }
            }
            if x != HEAD && self.eq_ele(&self.nodes[x as usize], ele) {
                return rank;
            }
        }
        loop {
            let f = self.nodes[x as usize].next;
            if f == NIL {
                break;
            }
            let n = &self.nodes[f as usize];
            if n.score < score || (n.score == score && self.cmp_ele(n, ele).is_le()) {
                rank += 1;
                x = f;
            } else {
                break;
            }
        }
        if x != HEAD && self.eq_ele(&self.nodes[x as usize], ele) {
            return rank;
        }
        0
    }

    /// The node at 1-based `rank` (`zslGetElementByRank`).
    pub fn by_rank(&self, rank: usize) -> Option<NodeId> {
        if rank == 0 || rank > self.length {
            return None;
        }
        let mut traversed = 0usize;
        let mut x = HEAD;
        let mut xb = self.nodes[HEAD as usize].upper as usize;
        for i in (1..self.level).rev() {
            loop {
                let l = self.pool[xb + i - 1];
                if l.forward != NIL && traversed + l.span as usize <= rank {
                    traversed += l.span as usize;
                    x = l.forward;
                    xb = l.fwd_base as usize;
                } else {
                    break;
                }
            }
            if traversed == rank {
                return Some(x);
            }
        }
        while traversed < rank {
            x = self.nodes[x as usize].next;
            if x == NIL {
                return None;
            }
            traversed += 1;
        }
        Some(x)
    }

    /// Whether any element's score is in `r` (`zslIsInRange`).
    pub fn intersects_score(&self, r: &ScoreRange) -> bool {
        if r.is_empty() {
            return false;
        }
        match (self.last(), self.first()) {
            (Some(t), Some(h)) => r.gte_min(self.score(t)) && r.lte_max(self.score(h)),
            _ => false,
        }
    }

    /// First node with a score in `r` (`zslFirstInRange`).
    pub fn first_in_score(&self, r: &ScoreRange) -> Option<NodeId> {
        if !self.intersects_score(r) {
            return None;
        }
        let x = self.descend(|s, _| !r.gte_min(s));
        let x = self.nodes[x as usize].next;
        (x != NIL && r.lte_max(self.score(x))).then_some(x)
    }

    /// Last node with a score in `r` (`zslLastInRange`).
    pub fn last_in_score(&self, r: &ScoreRange) -> Option<NodeId> {
        if !self.intersects_score(r) {
            return None;
        }
        let x = self.descend(|s, _| r.lte_max(s));
        (x != HEAD && r.gte_min(self.score(x))).then_some(x)
    }

    /// Whether any member is in `r` (`zslIsInLexRange`).
    pub fn intersects_lex(&self, r: &LexRange<'_>) -> bool {
        if r.is_empty() {
            return false;
        }
        match (self.last(), self.first()) {
            (Some(t), Some(h)) => r.gte_min(self.member(t)) && r.lte_max(self.member(h)),
            _ => false,
        }
    }

    /// First node whose member is in `r` (`zslFirstInLexRange`). Lex
    /// ranges assume all scores are equal, as in Redis.
    pub fn first_in_lex(&self, r: &LexRange<'_>) -> Option<NodeId> {
        if !self.intersects_lex(r) {
            return None;
        }
        let x = self.descend(|_, id| !r.gte_min(self.ele_of(id)));
        let x = self.nodes[x as usize].next;
        (x != NIL && r.lte_max(self.member(x))).then_some(x)
    }

    /// Last node whose member is in `r` (`zslLastInLexRange`).
    pub fn last_in_lex(&self, r: &LexRange<'_>) -> Option<NodeId> {
        if !self.intersects_lex(r) {
            return None;
        }
        let x = self.descend(|_, id| r.lte_max(self.ele_of(id)));
        (x != HEAD && r.gte_min(self.member(x))).then_some(x)
    }

    /// Deletes ranks `start..=end`, 1-based (`zslDeleteRangeByRank`),
    /// showing each (member, score) to `removed` before it goes.
    pub fn delete_range_by_rank(
        &mut self,
        start: usize,
        end: usize,
        mut removed: impl FnMut(&[u8], f64),
    ) -> usize {
        let mut update = [HEAD; MAX_LEVEL];
        let mut traversed = 0usize;
        let mut x = HEAD;
        let mut xb = self.nodes[HEAD as usize].upper as usize;
        for i in (1..self.level).rev() {
            loop {
                let l = self.pool[xb + i - 1];
                if l.forward != NIL && traversed + (l.span as usize) < start {
                    traversed += l.span as usize;
                    x = l.forward;
                    xb = l.fwd_base as usize;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        while traversed + 1 < start {
            let f = self.nodes[x as usize].next;
            if f == NIL {
                break;
            }
            x = f;
            traversed += 1;
        }
        update[0] = x;
        traversed += 1;
        let mut x = self.nodes[x as usize].next;
        let mut n = 0;
        while x != NIL && traversed <= end {
            let next = self.nodes[x as usize].next;
            removed(self.ele_of(x), self.nodes[x as usize].score);
            let h = self.unlink(x, &update);
            self.release(x, h);
            n += 1;
            traversed += 1;
            x = next;
        }
        n
    }

    /// Bytes held: the arenas, the free lists and the long members.
    pub fn bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.free.capacity() * 4
            + self.pool.capacity() * std::mem::size_of::<Level>()
            + self.free_blocks.capacity() * std::mem::size_of::<Vec<u32>>()
            + self
                .free_blocks
                .iter()
                .map(|b| b.capacity() * 4)
                .sum::<usize>()
            + self.long.capacity() * std::mem::size_of::<Box<[u8]>>()
            + self.long_free.capacity() * 4
            + self.long_bytes
    }

    /// Gives back arena slots vacated by deletes, renumbering nodes.
    /// Invalidates every `NodeId` held outside.
    pub fn shrink(&mut self) {
        if self.free.is_empty() {
            return;
        }
        let mut fresh = SkipList::with_rng(self.rng.clone());
        fresh.nodes.reserve_exact(self.length + 1);
        fresh
            .long
            .reserve_exact(self.long.len() - self.long_free.len());
        let old = std::mem::take(&mut self.nodes);
        let mut long = std::mem::take(&mut self.long);
        let mut id = link(old[HEAD as usize].next);
        // Appending in order keeps each node's own height random, not its
        // former one; the shape stays a valid skiplist either way. Long
        // members move to the fresh table without being copied.
        while let Some(i) = id {
            let n = &old[i as usize];
            id = link(n.next);
            let m = match n.ele.long_idx() {
                Some(j) => {
                    let b = std::mem::take(&mut long[j]);
                    fresh.long_bytes += b.len();
                    fresh.long.push(b);
                    n.ele.moved_to((fresh.long.len() - 1) as u32)
                }
                None => n.ele,
            };
            let x = fresh.alloc(m, n.score);
            fresh.link_node(x);
        }
        *self = fresh;
    }

    // ---- internals -----------------------------------------------------

    fn node(&self, id: NodeId) -> &Node {
        assert!(id != HEAD, "zsl: the header is not an element");
        &self.nodes[id as usize]
    }

    #[inline]
    fn ele<'a>(&'a self, n: &'a Node) -> &'a [u8] {
        match n.ele.long_idx() {
            None => n.ele.inline_bytes(),
            Some(j) => &self.long[j],
        }
    }

    #[inline]
    fn ele_of(&self, x: u32) -> &[u8] {
        self.ele(&self.nodes[x as usize])
    }

    /// `n`'s member against `ele`, in `memcmp` order. A long member's own
    /// bytes are read only when its prefix matches `ele`'s start: members
    /// are compared on every score tie a search meets (leaderboards with
    /// integer scores tie all the time), and each read of a long member is
    /// two cache misses, its table entry and its bytes.
    #[inline]
    fn cmp_ele(&self, n: &Node, ele: &[u8]) -> Ordering {
        match n.ele.long_idx() {
            None => n.ele.inline_bytes().cmp(ele),
            Some(j) => {
                let k = ele.len().min(PREFIX);
                match n.ele.prefix()[..k].cmp(&ele[..k]) {
                    // `ele` is a proper prefix of the (longer) member.
                    Ordering::Equal if ele.len() <= PREFIX => Ordering::Greater,
                    Ordering::Equal => self.long[j][PREFIX..].cmp(&ele[PREFIX..]),
                    o => o,
                }
            }
        }
    }

    /// [`Self::cmp_ele`] of node `x`.
    #[inline]
    fn cmp_ele_of(&self, x: u32, ele: &[u8]) -> Ordering {
        self.cmp_ele(&self.nodes[x as usize], ele)
    }

    /// Whether `n`'s member is `ele`, by the same shortcut.
    #[inline]
    fn eq_ele(&self, n: &Node, ele: &[u8]) -> bool {
        match n.ele.long_idx() {
            None => n.ele.inline_bytes() == ele,
            Some(j) => {
                ele.len() > INLINE_MAX
                    && n.ele.prefix() == &ele[..PREFIX]
                    && self.long[j][PREFIX..] == ele[PREFIX..]
            }
        }
    }

    /// Per level, the last node sorting before (score, ele).
    fn path_to(&self, score: f64, ele: &[u8]) -> [u32; MAX_LEVEL] {
        self.path_while(|s, id| s < score || (s == score && self.cmp_ele_of(id, ele).is_lt()))
    }

    /// Per level, the last node for which `go(score, id)` holds (`go` must
    /// be monotone along the list: true then false). On the upper levels
    /// the score comes from the link's cache, so the node is read only if
    /// `go` asks for its member.
    fn path_while(&self, go: impl Fn(f64, u32) -> bool) -> [u32; MAX_LEVEL] {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        let mut xb = self.nodes[HEAD as usize].upper as usize;
        for i in (1..self.level).rev() {
            loop {
                let l = self.pool[xb + i - 1];
                if l.forward != NIL && go(l.score(), l.forward) {
                    x = l.forward;
                    xb = l.fwd_base as usize;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        loop {
            let f = self.nodes[x as usize].next;
            if f != NIL && go(self.nodes[f as usize].score, f) {
                x = f;
            } else {
                break;
            }
        }
        update[0] = x;
        update
    }

    /// The last node for which `go` holds, or the header.
    fn descend(&self, go: impl Fn(f64, u32) -> bool) -> u32 {
        self.path_while(go)[0]
    }

    /// Links the unlinked node `id` (its member and score set) at its place
    /// with a fresh random height (`zslInsert` after the allocation).
    fn link_node(&mut self, id: u32) {
        let score = self.nodes[id as usize].score;
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut r = 0u32;
        let mut x = HEAD;
        let mut xb = self.nodes[HEAD as usize].upper as usize;
        {
            let ele = self.ele_of(id);
            for i in (1..self.level).rev() {
                loop {
                    let l = self.pool[xb + i - 1];
                    let s = l.score();
                    if l.forward != NIL
                        && (s < score || (s == score && self.cmp_ele_of(l.forward, ele).is_lt()))
                    {
                        r += l.span;
                        x = l.forward;
                        xb = l.fwd_base as usize;
                    } else {
                        break;
                    }
                }
                update[i] = x;
                rank[i] = r;
            }
            loop {
                let f = self.nodes[x as usize].next;
                if f == NIL {
                    break;
                }
                let n = &self.nodes[f as usize];
                if n.score < score || (n.score == score && self.cmp_ele(n, ele).is_lt()) {
                    r += 1;
                    x = f;
                } else {
                    break;
                }
            }
            update[0] = x;
            rank[0] = r;
        }
        let lvl = self.random_level();
        let hb = self.nodes[HEAD as usize].upper as usize;
        if lvl > self.level {
            for i in self.level..lvl {
                rank[i] = 0;
                update[i] = HEAD;
                self.pool[hb + i - 1].span = self.length as u32;
            }
            self.level = lvl;
        }
        let idb = if lvl > 1 {
            self.alloc_block(lvl - 1)
        } else {
            NIL
        };
        self.nodes[id as usize].upper = idb;
        for i in 1..lvl {
            let ub = self.nodes[update[i] as usize].upper as usize + i - 1;
            let ul = self.pool[ub];
            let gap = rank[0] - rank[i];
            self.pool[idb as usize + i - 1] = Level {
                span: ul.span - gap,
                ..ul
            };
            self.pool[ub] = Level::new(id, gap + 1, score, idb);
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(lvl) {
            self.pool[self.nodes[u as usize].upper as usize + i - 1].span += 1;
        }
        let u0 = update[0] as usize;
        let f = self.nodes[u0].next;
        self.nodes[id as usize].next = f;
        self.nodes[u0].next = id;
        self.nodes[id as usize].backward = if update[0] == HEAD { NIL } else { update[0] };
        match f {
            NIL => self.tail = id,
            f => self.nodes[f as usize].backward = id,
        }
        self.length += 1;
    }

    /// Takes `x` out of every level (`zslDeleteNode`); `update` holds the
    /// predecessors found on the way to it. Returns `x`'s height: the
    /// levels on which its predecessor linked to it.
    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) -> usize {
        let mut height = 1;
        let xu = self.nodes[x as usize].upper as usize;
        for (i, &u) in update.iter().enumerate().take(self.level).skip(1) {
            let ub = self.nodes[u as usize].upper as usize + i - 1;
            if self.pool[ub].forward == x {
                let xl = self.pool[xu + i - 1];
                self.pool[ub] = Level {
                    span: self.pool[ub].span + xl.span - 1,
                    ..xl
                };
                height += 1;
            } else {
                self.pool[ub].span -= 1;
            }
        }
        let Node { next, backward, .. } = self.nodes[x as usize];
        debug_assert_eq!(self.nodes[update[0] as usize].next, x);
        self.nodes[update[0] as usize].next = next;
        match next {
            NIL => self.tail = backward,
            f => self.nodes[f as usize].backward = backward,
        }
        let hb = self.nodes[HEAD as usize].upper as usize;
        while self.level > 1 && self.pool[hb + self.level - 2].forward == NIL {
            self.level -= 1;
        }
        self.length -= 1;
        height
    }

    /// A member's storage: in place when short, else in the long table.
    fn store_member(&mut self, ele: &[u8]) -> Member {
        if ele.len() <= INLINE_MAX {
            return Member::inline(ele);
        }
        self.long_bytes += ele.len();
        match self.long_free.pop() {
            Some(j) => {
                self.long[j as usize] = ele.into();
                Member::long(j, ele)
            }
            None => {
                let j = self.long.len();
                assert!(j < NIL as usize, "zsl: long member table full");
                reserve_one(&mut self.long);
                self.long.push(ele.into());
                Member::long(j as u32, ele)
            }
        }
    }

    /// `len` consecutive pool entries for a node's upper levels.
    fn alloc_block(&mut self, len: usize) -> u32 {
        if let Some(b) = self.free_blocks[len].pop() {
            return b;
        }
        let b = self.pool.len();
        assert!(b + len < NIL as usize, "zsl: link pool full");
        for _ in 0..len {
            reserve_one(&mut self.pool);
            self.pool.push(Level::NONE);
        }
        b as u32
    }

    /// An unlinked node holding `ele` and `score`.
    fn alloc(&mut self, ele: Member, score: f64) -> u32 {
        let node = Node {
            ele,
            score,
            backward: NIL,
            next: NIL,
            upper: NIL,
            hnext: MemberIndex::NONE,
        };
        match self.free.pop() {
            Some(id) => {
                self.nodes[id as usize] = node;
                id
            }
            None => {
                let id = self.nodes.len() as u32;
                assert!(id != NIL, "zsl: arena full");
                reserve_one(&mut self.nodes);
                self.nodes.push(node);
                id
            }
        }
    }

    /// Frees an unlinked node of `height` levels: its slot, its link block
    /// and a long member's bytes.
    fn release(&mut self, x: u32, height: usize) {
        let n = &mut self.nodes[x as usize];
        if height > 1 {
            self.free_blocks[height - 1].push(n.upper);
        }
        if let Some(j) = n.ele.long_idx() {
            let b = std::mem::take(&mut self.long[j]);
            self.long_bytes -= b.len();
            self.long_free.push(j as u32);
        }
        n.ele = Member::default();
        n.upper = NIL;
        self.free.push(x);
    }

    /// 1 + one more level with probability 1/4 each time, at most 32.
    fn random_level(&mut self) -> usize {
        let mut lvl = 1;
        while lvl < MAX_LEVEL && (self.rng.next_u64() & 0xFFFF) < 0xFFFF / 4 {
            lvl += 1;
        }
        lvl
    }
}

fn link(x: u32) -> Option<NodeId> {
    (x != NIL).then_some(x)
}

/// Iterator over (member, score), both ways.
pub struct Iter<'a> {
    zsl: &'a SkipList,
    front: Option<NodeId>,
    back: Option<NodeId>,
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let x = self.front?;
        self.front = self.zsl.next(x);
        self.left -= 1;
        Some((self.zsl.member(x), self.zsl.score(x)))
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let x = self.back?;
        self.back = self.zsl.prev(x);
        self.left -= 1;
        Some((self.zsl.member(x), self.zsl.score(x)))
    }
}

/// How Redis 7.0's `zzlInsertAt` spells a score: an integer when the
/// double is integral and within ±`LLONG_MAX / 2` (`double2ll`), else the
/// `%.17g` text (`d2string`), `inf` and `-inf` included.
enum ScoreRepr {
    Int(i64),
    Text([u8; 40], usize),
}

fn score_repr(score: f64) -> ScoreRepr {
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if (-LIMIT..=LIMIT).contains(&score) && score == (score as i64) as f64 {
        return ScoreRepr::Int(score as i64);
    }
    let mut buf = [0u8; 40];
    let len = crate::util::numbers::fmt_double(score, &mut buf).len();
    ScoreRepr::Text(buf, len)
}

/// The score stored in a listpack entry (`zzlGetScore`).
pub fn entry_score(e: Entry<'_>) -> f64 {
    match e {
        Entry::Int(v) => v as f64,
        Entry::Str(s) => std::str::from_utf8(s)
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .unwrap_or(0.0),
    }
}

/// A sorted set in its `listpack` encoding: member, score, member, score...
/// in (score, member) order. Operations are linear scans, as in Redis:
/// the set is small by construction (`zset-max-listpack-entries`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListpackZSet {
    lp: CompactListpack,
}

impl ListpackZSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adopts a listpack (from RDB) holding member/score pairs in order.
    /// None if the entry count is odd.
    pub fn from_listpack(lp: CompactListpack) -> Option<Self> {
        lp.len().is_multiple_of(2).then_some(ListpackZSet { lp })
    }

    pub fn as_listpack(&self) -> &CompactListpack {
        &self.lp
    }

    pub fn into_listpack(self) -> CompactListpack {
        self.lp
    }

    pub fn len(&self) -> usize {
        self.lp.len() / 2
    }

    pub fn is_empty(&self) -> bool {
        self.lp.is_empty()
    }

    /// Size in bytes of the listpack.
    pub fn bytes(&self) -> usize {
        self.lp.bytes()
    }

    /// (member, score) in order; `.rev()` for descending.
    pub fn iter(&self) -> PairIter<'_> {
        PairIter {
            inner: self.lp.iter(),
        }
    }

    /// Offset of `member`'s entry and its score (`zzlFind`).
    fn find(&self, member: &[u8]) -> Option<(usize, f64)> {
        let first = self.lp.first()?;
        let off = self.lp.find(first, member, 1)?;
        let s = self.lp.next(off).expect("score follows member");
        Some((off, entry_score(self.lp.get_at(s))))
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|(_, s)| s)
    }

    /// Sets `member`'s score, adding it if new; a changed score moves the
    /// pair (delete and re-insert, as `zsetAdd` does). No NaN.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Added {
        match self.find(member) {
            Some((_, cur)) if cur == score => Added::Unchanged,
            Some((off, _)) => {
                self.delete_pair_at(off);
                self.insert_new(member, score);
                Added::Updated
            }
            None => {
                self.insert_new(member, score);
                Added::New
            }
        }
    }

    /// Removes `member`; its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (off, score) = self.find(member)?;
        self.delete_pair_at(off);
        Some(score)
    }

    /// 0-based rank, from the lowest score or (`reverse`) the highest.
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<usize> {
        let r = self.iter().position(|(m, _)| m.eq_bytes(member))?;
        Some(if reverse { self.len() - 1 - r } else { r })
    }

    /// The pair at 0-based `rank`.
    pub fn by_rank(&self, rank: usize) -> Option<(Entry<'_>, f64)> {
        let off = self.lp.seek(2 * rank as isize)?;
        let s = self.lp.next(off)?;
        Some((self.lp.get_at(off), entry_score(self.lp.get_at(s))))
    }

    /// Rank of the first pair whose score is in `r` (`zzlFirstInRange`).
    pub fn first_in_score(&self, r: &ScoreRange) -> Option<usize> {
        if r.is_empty() {
            return None;
        }
        let (i, (_, s)) = self.iter().enumerate().find(|(_, (_, s))| r.gte_min(*s))?;
        r.lte_max(s).then_some(i)
    }

    /// Rank of the last pair whose score is in `r` (`zzlLastInRange`).
    pub fn last_in_score(&self, r: &ScoreRange) -> Option<usize> {
        if r.is_empty() {
            return None;
        }
        let n = self.len();
        let (i, (_, s)) = self
            .iter()
            .rev()
            .enumerate()
            .find(|(_, (_, s))| r.lte_max(*s))?;
        r.gte_min(s).then_some(n - 1 - i)
    }

    /// Rank of the first pair whose member is in `r`.
    pub fn first_in_lex(&self, r: &LexRange<'_>) -> Option<usize> {
        if r.is_empty() {
            return None;
        }
        let mut buf = [0u8; 24];
        let (i, m) = self
            .iter()
            .enumerate()
            .find(|(_, (m, _))| r.gte_min(m.as_bytes(&mut buf)))
            .map(|(i, (m, _))| (i, m))?;
        r.lte_max(m.as_bytes(&mut buf)).then_some(i)
    }

    /// Rank of the last pair whose member is in `r`.
    pub fn last_in_lex(&self, r: &LexRange<'_>) -> Option<usize> {
        if r.is_empty() {
            return None;
        }
        let n = self.len();
        let mut buf = [0u8; 24];
        let (i, m) = self
            .iter()
            .rev()
            .enumerate()
            .find(|(_, (m, _))| r.lte_max(m.as_bytes(&mut buf)))
            .map(|(i, (m, _))| (i, m))?;
        r.gte_min(m.as_bytes(&mut buf)).then_some(n - 1 - i)
    }

    /// Deletes the pairs with a score in `r`; how many went.
    pub fn delete_range_by_score(&mut self, r: &ScoreRange) -> usize {
        match (self.first_in_score(r), self.last_in_score(r)) {
            (Some(a), Some(b)) if a <= b => self.delete_range_by_rank(a, b),
            _ => 0,
        }
    }

    /// Deletes the pairs with a member in `r`.
    pub fn delete_range_by_lex(&mut self, r: &LexRange<'_>) -> usize {
        match (self.first_in_lex(r), self.last_in_lex(r)) {
            (Some(a), Some(b)) if a <= b => self.delete_range_by_rank(a, b),
            _ => 0,
        }
    }

    /// Deletes 0-based ranks `start..=end` (clamped by the caller).
    pub fn delete_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        if start > end {
            return 0;
        }
        self.lp
            .delete_range(2 * start as isize, 2 * (end - start + 1))
            / 2
    }

    /// Converts to the skiplist encoding (`zsetConvert`).
    pub fn to_zset(&self) -> ZSet {
        let mut z = ZSet::new();
        let mut buf = [0u8; 24];
        for (m, s) in self.iter() {
            z.insert(m.as_bytes(&mut buf), s);
        }
        z
    }

    /// Builds the listpack form of a skiplist-encoded set (`zsetConvert`
    /// back, for `ZRANGESTORE` and friends and RDB).
    pub fn from_zset(z: &ZSet) -> Self {
        let mut out = ListpackZSet::new();
        for (m, s) in z.list().iter() {
            out.append_pair(m, s);
        }
        out
    }

    /// Inserts a member known to be absent at its sorted place
    /// (`zzlInsert`): before the first pair with a greater score, or an
    /// equal score and a greater member.
    fn insert_new(&mut self, member: &[u8], score: f64) {
        let mut buf = [0u8; 24];
        let mut p = self.lp.first();
        while let Some(m) = p {
            let sp = self.lp.next(m).expect("score follows member");
            let s = entry_score(self.lp.get_at(sp));
            if s > score || (s == score && self.lp.get_at(m).as_bytes(&mut buf) > member) {
                let at = self.lp.insert_at(m, member, super::listpack::Where::Before);
                self.insert_score_after(at, score);
                return;
            }
            p = self.lp.next(sp);
        }
        self.append_pair(member, score);
    }

    fn append_pair(&mut self, member: &[u8], score: f64) {
        self.lp.push_back(member);
        match score_repr(score) {
            ScoreRepr::Int(v) => self.lp.push_back_int(v),
            ScoreRepr::Text(b, n) => self.lp.push_back(&b[..n]),
        }
    }

    fn insert_score_after(&mut self, member_off: usize, score: f64) {
        let mut ibuf = [0u8; 24];
        let text;
        let bytes: &[u8] = match score_repr(score) {
            ScoreRepr::Int(v) => crate::util::numbers::fmt_i64(v, &mut ibuf),
            ScoreRepr::Text(b, n) => {
                text = b;
                &text[..n]
            }
        };
        self.lp
            .insert_at(member_off, bytes, super::listpack::Where::After);
    }

    fn delete_pair_at(&mut self, member_off: usize) {
        let next = self.lp.delete_at(member_off).expect("score follows member");
        self.lp.delete_at(next);
    }
}

/// Iterator over a [`ListpackZSet`]'s (member, score) pairs.
pub struct PairIter<'a> {
    inner: super::listpack::Iter<'a, false>,
}

impl<'a> Iterator for PairIter<'a> {
    type Item = (Entry<'a>, f64);

    fn next(&mut self) -> Option<Self::Item> {
        let m = self.inner.next()?;
        let s = self.inner.next()?;
        Some((m, entry_score(s)))
    }
}

impl<'a> DoubleEndedIterator for PairIter<'a> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let s = self.inner.next_back()?;
        let m = self.inner.next_back()?;
        Some((m, entry_score(s)))
    }
}

/// What [`ZSet::insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    New,
    Updated,
    Unchanged,
}

/// The member → node index of a [`ZSet`]: Redis's zset dict, without a
/// copy of the member. A chained hash table whose buckets hold node ids
/// (4 bytes each) and whose chains run through the nodes' `hnext` field,
/// so an indexed member costs its bucket share and nothing else; the
/// member's bytes are the skiplist node's. Everything else is `dict.c`:
/// power-of-two tables, growth at load 1 and shrinking under 10% into a
/// second table that buckets migrate to one per write (incremental
/// rehash: no pause when a million-member set doubles), and `dictScan`'s
/// reverse-binary cursor for ZSCAN.
#[derive(Default)]
struct MemberIndex {
    ht: [Vec<u32>; 2],
    used: usize,
    /// Next bucket of `ht[0]` to move while rehashing.
    rehash_idx: Option<usize>,
}

impl MemberIndex {
    const INITIAL: usize = 4;
    /// An empty bucket and the end of a chain: node 0, the header, which
    /// is never indexed. Zero, so that a new table is `calloc`ed: fresh
    /// pages that need no clearing, faulted in as the incremental rehash
    /// reaches them, where filling 1M buckets with `NIL` stalled the write
    /// that started the resize for 3 ms.
    const NONE: u32 = HEAD;

    fn tables(&self) -> usize {
        if self.rehash_idx.is_some() {
            2
        } else {
            1
        }
    }

    fn find(&self, zsl: &SkipList, member: &[u8], h: u64) -> Option<u32> {
        for t in &self.ht[..self.tables()] {
            if t.is_empty() {
                continue;
            }
            let mut x = t[h as usize & (t.len() - 1)];
            while x != Self::NONE {
                let n = &zsl.nodes[x as usize];
                if zsl.eq_ele(n, member) {
                    return Some(x);
                }
                x = n.hnext;
            }
        }
        None
    }

    fn link(&mut self, zsl: &mut SkipList, id: u32, h: u64) {
        self.rehash(zsl, 1);
        if self.rehash_idx.is_none() {
            if self.ht[0].is_empty() {
                self.ht[0] = vec![Self::NONE; Self::INITIAL];
            } else if self.used >= self.ht[0].len() {
                self.start_resize(self.used + 1);
            }
        }
        let t = self.tables() - 1;
        let b = h as usize & (self.ht[t].len() - 1);
        zsl.nodes[id as usize].hnext = self.ht[t][b];
        self.ht[t][b] = id;
        self.used += 1;
    }

    /// Takes node `id` (whose member hashes to `h`) out of its chain.
    fn unlink(&mut self, nodes: &mut [Node], id: u32, h: u64) {
        for t in 0..self.tables() {
            let len = self.ht[t].len();
            if len == 0 {
                continue;
            }
            let b = h as usize & (len - 1);
            let mut prev = Self::NONE;
            let mut x = self.ht[t][b];
            while x != Self::NONE {
                let next = nodes[x as usize].hnext;
                if x == id {
                    if prev == Self::NONE {
                        self.ht[t][b] = next;
                    } else {
                        nodes[prev as usize].hnext = next;
                    }
                    self.used -= 1;
                    return;
                }
                prev = x;
                x = next;
            }
        }
        debug_assert!(false, "zset index: node {id} not found");
    }

    fn start_resize(&mut self, want: usize) {
        let size = want.max(Self::INITIAL).next_power_of_two();
        if self.rehash_idx.is_some() || size == self.ht[0].len() {
            return;
        }
        self.ht[1] = vec![Self::NONE; size];
        self.rehash_idx = Some(0);
    }

    /// Moves up to `n` buckets of `ht[0]` to `ht[1]`, visiting at most
    /// `10 n` empty ones (`dictRehash`).
    fn rehash(&mut self, zsl: &mut SkipList, n: usize) {
        let Some(mut idx) = self.rehash_idx else {
            return;
        };
        let (mut moved, mut empty) = (0, n * 10);
        let mask1 = self.ht[1].len() - 1;
        while moved < n && idx < self.ht[0].len() {
            let mut x = self.ht[0][idx];
            if x == Self::NONE {
                idx += 1;
                empty -= 1;
                if empty == 0 {
                    break;
                }
                continue;
            }
            while x != Self::NONE {
                let next = zsl.nodes[x as usize].hnext;
                let b = hash_key(zsl.ele_of(x)) as usize & mask1;
                zsl.nodes[x as usize].hnext = self.ht[1][b];
                self.ht[1][b] = x;
                x = next;
            }
            self.ht[0][idx] = Self::NONE;
            idx += 1;
            moved += 1;
        }
        if idx >= self.ht[0].len() {
            self.ht[0] = std::mem::take(&mut self.ht[1]);
            self.rehash_idx = None;
        } else {
            self.rehash_idx = Some(idx);
        }
    }

    /// Starts shrinking a table under 10% full (`htNeedsResize`).
    fn shrink_if_needed(&mut self) {
        let size = self.ht[0].len();
        if self.rehash_idx.is_none() && size > Self::INITIAL && self.used * 100 / size < 10 {
            self.start_resize(self.used);
        }
    }

    fn emit_bucket(&self, nodes: &[Node], t: usize, b: usize, f: &mut impl FnMut(u32)) {
        let mut x = self.ht[t][b];
        while x != Self::NONE {
            f(x);
            x = nodes[x as usize].hnext;
        }
    }

    /// One `dictScan` step: the bucket(s) `cursor` names, then the next
    /// cursor (see `db::dict::Dict::scan` for why this order survives
    /// resizes).
    fn scan(&self, nodes: &[Node], cursor: u64, mut f: impl FnMut(u32)) -> u64 {
        if self.used == 0 || self.ht[0].is_empty() {
            return 0;
        }
        let mut v = cursor;
        if self.rehash_idx.is_none() {
            let m0 = (self.ht[0].len() - 1) as u64;
            self.emit_bucket(nodes, 0, (v & m0) as usize, &mut f);
            v |= !m0;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
        } else {
            let (small, large) = if self.ht[0].len() <= self.ht[1].len() {
                (0, 1)
            } else {
                (1, 0)
            };
            let m0 = (self.ht[small].len() - 1) as u64;
            let m1 = (self.ht[large].len() - 1) as u64;
            self.emit_bucket(nodes, small, (v & m0) as usize, &mut f);
            loop {
                self.emit_bucket(nodes, large, (v & m1) as usize, &mut f);
                v |= !m1;
                v = v.reverse_bits().wrapping_add(1).reverse_bits();
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v
    }

    fn bytes(&self) -> usize {
        (self.ht[0].capacity() + self.ht[1].capacity()) * 4
    }
}

/// A sorted set in its `skiplist` encoding: skiplist + member index (the
/// dict of Redis's `zset`).
#[derive(Default)]
pub struct ZSet {
    index: MemberIndex,
    zsl: SkipList,
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZSet")
            .field("len", &self.zsl.len())
            .field("zsl", &self.zsl)
            .finish()
    }
}

impl ZSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_rng(rng: XorShift) -> Self {
        ZSet {
            index: MemberIndex::default(),
            zsl: SkipList::with_rng(rng),
        }
    }

    pub fn len(&self) -> usize {
        self.zsl.len()
    }

    pub fn is_empty(&self) -> bool {
        self.zsl.is_empty()
    }

    /// The ordered side, for ranges, ranks and iteration.
    pub fn list(&self) -> &SkipList {
        &self.zsl
    }

    fn find(&self, member: &[u8], h: u64) -> Option<u32> {
        self.index.find(&self.zsl, member, h)
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member, hash_key(member))
            .map(|id| self.zsl.nodes[id as usize].score)
    }

    /// Sets `member`'s score (adding it if new). `score` must not be NaN.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Added {
        let h = hash_key(member);
        if let Some(id) = self.find(member, h) {
            let old = self.zsl.nodes[id as usize].score;
            if old == score {
                return Added::Unchanged;
            }
            // The node keeps its id (and its place in the index).
            self.zsl.update_score(old, member, score);
            return Added::Updated;
        }
        let id = self.zsl.insert(score, member);
        self.index.link(&mut self.zsl, id, h);
        Added::New
    }

    /// Removes `member`; its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let h = hash_key(member);
        let id = self.find(member, h)?;
        let score = self.zsl.nodes[id as usize].score;
        self.index.unlink(&mut self.zsl.nodes, id, h);
        self.zsl.delete(score, member);
        self.compact();
        Some(score)
    }

    /// Gives arena slots back once vacated ones outnumber live ones (node
    /// ids change, so the index is rebuilt); the cost is paid for by the
    /// deletes that vacated them. Then shrinks the index as Redis shrinks
    /// a zset's dict after deletions.
    fn compact(&mut self) {
        if self.zsl.free.len() > 64 && self.zsl.free.len() > self.zsl.len() {
            self.shrink_arena();
        }
        self.index.shrink_if_needed();
    }

    /// Renumbers the skiplist's nodes densely and rebuilds the index.
    fn shrink_arena(&mut self) {
        self.zsl.shrink();
        self.index = MemberIndex::default();
        let size = self.zsl.len().max(MemberIndex::INITIAL).next_power_of_two();
        self.index.ht[0] = vec![MemberIndex::NONE; size];
        let mut x = self.zsl.first();
        while let Some(id) = x {
            let h = hash_key(self.zsl.ele_of(id));
            self.index.link(&mut self.zsl, id, h);
            x = self.zsl.next(id);
        }
    }

    /// 0-based rank from the lowest score (`ZRANK`); `reverse` from the
    /// highest (`ZREVRANK`).
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<usize> {
        let score = self.score(member)?;
        let r = self.zsl.rank(score, member);
        debug_assert!(r > 0);
        Some(if reverse { self.len() - r } else { r - 1 })
    }

    fn ranks_of(&self, a: Option<NodeId>, b: Option<NodeId>) -> Option<(usize, usize)> {
        let (a, b) = (a?, b?);
        let ra = self.zsl.rank(self.zsl.score(a), self.zsl.member(a));
        let rb = self.zsl.rank(self.zsl.score(b), self.zsl.member(b));
        (ra >= 1 && ra <= rb).then(|| (ra - 1, rb - 1))
    }

    pub fn delete_range_by_score(&mut self, r: &ScoreRange) -> usize {
        let zsl = &self.zsl;
        match self.ranks_of(zsl.first_in_score(r), zsl.last_in_score(r)) {
            Some((a, b)) => self.delete_range_by_rank(a, b),
            None => 0,
        }
    }

    pub fn delete_range_by_lex(&mut self, r: &LexRange<'_>) -> usize {
        let zsl = &self.zsl;
        match self.ranks_of(zsl.first_in_lex(r), zsl.last_in_lex(r)) {
            Some((a, b)) => self.delete_range_by_rank(a, b),
            None => 0,
        }
    }

    /// Deletes 0-based ranks `start..=end` (already clamped by the caller).
    pub fn delete_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        if start > end || end >= self.len() {
            return 0;
        }
        // Out of the index first, while the nodes and their chains live.
        let mut x = self.zsl.by_rank(start + 1);
        for _ in start..=end {
            let Some(id) = x else { break };
            let h = hash_key(self.zsl.ele_of(id));
            x = self.zsl.next(id);
            self.index.unlink(&mut self.zsl.nodes, id, h);
        }
        let n = self.zsl.delete_range_by_rank(start + 1, end + 1, |_, _| ());
        self.compact();
        n
    }

    /// One ZSCAN step over the index (see `SetVal::scan`): calls `f` on
    /// about `count` (member, score) pairs and returns the next cursor.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], f64)) -> u64 {
        let mut cursor = cursor;
        let mut seen = 0usize;
        let mut calls = count.max(1).saturating_mul(10);
        let zsl = &self.zsl;
        loop {
            cursor = self.index.scan(&zsl.nodes, cursor, |id| {
                seen += 1;
                let n = &zsl.nodes[id as usize];
                f(zsl.ele(n), n.score)
            });
            calls -= 1;
            if cursor == 0 || seen >= count || calls == 0 {
                return cursor;
            }
        }
    }

    /// Approximate bytes held (index buckets plus the skiplist).
    pub fn bytes(&self) -> usize {
        self.index.bytes() + self.zsl.bytes()
    }
}

impl SkipList {
    /// Heap bytes, for MEMORY USAGE: everything [`SkipList::bytes`]
    /// counts, exactly and in O(1) (the long members' bytes are a running
    /// sum, short members live in the nodes), so unlike Redis's
    /// `objectComputeSize` nothing is sampled and `samples` is not needed.
    pub fn mem_usage(&self) -> usize {
        self.bytes()
    }
}

impl ZSet {
    /// Heap bytes outside the boxed `ZSet`: the member index's buckets
    /// plus [`SkipList::mem_usage`], all exact; `samples` (MEMORY USAGE's
    /// SAMPLES) does not change the answer.
    pub fn mem_usage(&self, _samples: usize) -> usize {
        self.index.bytes() + self.zsl.mem_usage()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Model key: (score, member) in the skiplist's order. Scores in tests
    /// are never NaN, so `total_cmp` agrees with `<` except for -0.0/0.0,
    /// which the generator never produces.
    #[derive(Debug, Clone, PartialEq)]
    struct K(f64, Vec<u8>);
    impl Eq for K {}
    impl PartialOrd for K {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for K {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.0.total_cmp(&o.0).then_with(|| self.1.cmp(&o.1))
        }
    }

    fn sorted(model: &BTreeMap<Vec<u8>, f64>) -> Vec<K> {
        let mut v: Vec<K> = model.iter().map(|(m, &s)| K(s, m.clone())).collect();
        v.sort();
        v
    }

    fn check_invariants(z: &ZSet) {
        let zsl = &z.zsl;
        // The index holds every node exactly once, each in the bucket its
        // member hashes to, in whichever table it lives.
        assert_eq!(z.index.used, zsl.len());
        let mut indexed = 0;
        for t in &z.index.ht {
            for (b, &head) in t.iter().enumerate() {
                let mut x = head;
                while x != MemberIndex::NONE {
                    let m = zsl.ele_of(x);
                    assert_eq!(hash_key(m) as usize & (t.len() - 1), b);
                    assert_eq!(z.index.find(zsl, m, hash_key(m)), Some(x));
                    indexed += 1;
                    x = zsl.nodes[x as usize].hnext;
                }
            }
        }
        assert_eq!(indexed, zsl.len());
        // Level 0 links every node once, backward links mirror it.
        let mut x = HEAD;
        let mut n = 0;
        while zsl.nodes[x as usize].next != NIL {
            let f = zsl.nodes[x as usize].next;
            let back = if x == HEAD { NIL } else { x };
            assert_eq!(zsl.nodes[f as usize].backward, back);
            x = f;
            n += 1;
        }
        assert_eq!(n, zsl.len());
        assert_eq!(zsl.tail, if n == 0 { NIL } else { x });
        // Upper spans add up to ranks, caches match their nodes, a node on
        // a level is on every level below, the level count is the highest
        // used level; the long-member sum is right.
        let heights = heights(zsl);
        for i in 1..zsl.level {
            let mut x = HEAD;
            let mut rank = 0usize;
            loop {
                let l = zsl.pool[zsl.nodes[x as usize].upper as usize + i - 1];
                if l.forward == NIL {
                    break;
                }
                rank += l.span as usize;
                let f = l.forward;
                assert_eq!(zsl.by_rank(rank), Some(f), "level {i}");
                assert_eq!(l.score().to_bits(), zsl.nodes[f as usize].score.to_bits());
                assert_eq!(l.fwd_base, zsl.nodes[f as usize].upper);
                assert!(heights[f as usize] > i);
                x = f;
            }
        }
        let hb = zsl.nodes[HEAD as usize].upper as usize;
        assert!(zsl.level == 1 || zsl.pool[hb + zsl.level - 2].forward != NIL);
        let long: usize = zsl
            .iter()
            .map(|(m, _)| m.len())
            .filter(|&l| l > INLINE_MAX)
            .sum();
        assert_eq!(long, zsl.long_bytes);
        let fwd: Vec<_> = zsl.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        let mut back: Vec<_> = zsl.iter().rev().map(|(m, s)| (m.to_vec(), s)).collect();
        back.reverse();
        assert_eq!(fwd, back);
    }

    /// Each node's height, counted by walking the levels (0 for free slots
    /// and the header).
    fn heights(zsl: &SkipList) -> Vec<usize> {
        let mut h = vec![0usize; zsl.nodes.len()];
        let mut x = zsl.nodes[HEAD as usize].next;
        while x != NIL {
            h[x as usize] = 1;
            x = zsl.nodes[x as usize].next;
        }
        for i in 1..zsl.level {
            let mut x = HEAD;
            loop {
                let f = zsl.pool[zsl.nodes[x as usize].upper as usize + i - 1].forward;
                if f == NIL {
                    break;
                }
                assert_eq!(
                    h[f as usize], i,
                    "a node on level {i} is on the levels below"
                );
                h[f as usize] = i + 1;
                x = f;
            }
        }
        h
    }

    /// Short members, and one in five made long enough (over
    /// `INLINE_MAX`) to live in the long-member table.
    fn rand_member(rng: &mut XorShift) -> Vec<u8> {
        let len = 1 + rng.below(3) as usize;
        let mut m: Vec<u8> = (0..len).map(|_| b'a' + rng.below(6) as u8).collect();
        if rng.below(5) == 0 {
            m.extend_from_slice(b"-a-member-longer-than-23");
        }
        m
    }

    fn rand_score(rng: &mut XorShift) -> f64 {
        match rng.below(4) {
            0 => 1.0,
            1 => rng.below(10) as f64,
            2 => (rng.below(1000) as f64) / 8.0 - 60.0,
            _ => [f64::INFINITY, f64::NEG_INFINITY, -3.5][rng.below(3) as usize],
        }
    }

    fn rand_range(rng: &mut XorShift) -> ScoreRange {
        let a = rand_score(rng);
        let b = rand_score(rng);
        let (min, max) = if rng.below(5) == 0 {
            (b, a)
        } else {
            (a.min(b), a.max(b))
        };
        ScoreRange {
            min,
            max,
            minex: rng.below(2) == 0,
            maxex: rng.below(2) == 0,
        }
    }

    fn rand_lex_bound(rng: &mut XorShift, buf: &mut Vec<u8>) -> &'static str {
        *buf = rand_member(rng);
        ["-", "+", "[", "("][rng.below(4) as usize]
    }

    #[test]
    fn lex_bound_parsing() {
        assert_eq!(LexBound::parse(b"-"), Some(LexBound::Min));
        assert_eq!(LexBound::parse(b"+"), Some(LexBound::Max));
        assert_eq!(LexBound::parse(b"+\0x"), Some(LexBound::Max));
        assert_eq!(LexBound::parse(b"+a"), None);
        assert_eq!(LexBound::parse(b"a"), None);
        assert_eq!(LexBound::parse(b""), None);
        assert_eq!(LexBound::parse(b"["), Some(LexBound::Incl(b"")));
        assert_eq!(LexBound::parse(b"(ab"), Some(LexBound::Excl(b"ab")));
        let r = |a: &'static [u8], b: &'static [u8]| LexRange::parse(a, b).unwrap().is_empty();
        assert!(r(b"-", b"-"));
        assert!(r(b"+", b"+"));
        assert!(r(b"+", b"-"));
        assert!(!r(b"-", b"+"));
        assert!(r(b"[b", b"[a"));
        assert!(!r(b"[a", b"[a"));
        assert!(r(b"(a", b"[a"));
        assert!(r(b"[a", b"-"));
        assert!(!r(b"[a", b"+"));
    }

    #[test]
    fn rank_and_order_by_score_then_member() {
        let mut z = ZSet::with_rng(XorShift::new(7));
        for (m, s) in [("b", 1.0), ("a", 1.0), ("c", 0.5), ("aa", 1.0)] {
            assert_eq!(z.insert(m.as_bytes(), s), Added::New);
        }
        let order: Vec<_> = z.list().iter().map(|(m, _)| m.to_vec()).collect();
        assert_eq!(order, [&b"c"[..], b"a", b"aa", b"b"]);
        assert_eq!(z.rank(b"aa", false), Some(2));
        assert_eq!(z.rank(b"aa", true), Some(1));
        assert_eq!(z.insert(b"c", 0.5), Added::Unchanged);
        assert_eq!(z.insert(b"c", 2.0), Added::Updated);
        assert_eq!(z.rank(b"c", false), Some(3));
        assert_eq!(z.rank(b"zz", false), None);
        assert_eq!(z.remove(b"a"), Some(1.0));
        assert_eq!(z.remove(b"a"), None);
        assert_eq!(z.len(), 3);
        check_invariants(&z);
    }

    #[test]
    fn member_index_grows_and_shrinks_incrementally() {
        let mut z = ZSet::with_rng(XorShift::new(5));
        let mut saw_rehash = false;
        for i in 0..5000u32 {
            z.insert(format!("m{i}").as_bytes(), (i % 97) as f64);
            saw_rehash |= z.index.rehash_idx.is_some();
            if i % 611 == 0 {
                check_invariants(&z);
            }
        }
        assert!(saw_rehash, "growth goes through incremental rehashing");
        check_invariants(&z);
        for i in 0..5000u32 {
            assert_eq!(z.score(format!("m{i}").as_bytes()), Some((i % 97) as f64));
        }
        // Updates that move nodes keep the index right.
        for i in (3..5000u32).step_by(3) {
            assert_eq!(
                z.insert(format!("m{i}").as_bytes(), -(i as f64)),
                Added::Updated
            );
        }
        check_invariants(&z);
        assert_eq!(z.delete_range_by_rank(10, 4899), 4890);
        for i in 0..200u32 {
            z.insert(format!("n{i}").as_bytes(), 0.5);
        }
        check_invariants(&z);
        assert!(
            z.index.ht[0].len() + z.index.ht[1].len() < 4096,
            "index shrank"
        );
        assert_eq!(z.len(), 310);
    }

    #[test]
    fn random_operations_match_btreemap() {
        let mut rng = XorShift::new(2024);
        let mut z = ZSet::with_rng(XorShift::new(99));
        let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
        for step in 0..6000 {
            match rng.below(10) {
                0..=3 => {
                    let m = rand_member(&mut rng);
                    let s = rand_score(&mut rng);
                    let expect = match model.insert(m.clone(), s) {
                        None => Added::New,
                        Some(old) if old == s => Added::Unchanged,
                        Some(_) => Added::Updated,
                    };
                    assert_eq!(z.insert(&m, s), expect);
                }
                4 => {
                    let m = rand_member(&mut rng);
                    assert_eq!(z.remove(&m), model.remove(&m));
                }
                5 => {
                    let r = rand_range(&mut rng);
                    let want = sorted(&model)
                        .into_iter()
                        .filter(|k| !r.is_empty() && r.gte_min(k.0) && r.lte_max(k.0))
                        .collect::<Vec<_>>();
                    let first = z.list().first_in_score(&r);
                    let last = z.list().last_in_score(&r);
                    assert_eq!(
                        first.map(|x| z.list().member(x).to_vec()),
                        want.first().map(|k| k.1.clone())
                    );
                    assert_eq!(
                        last.map(|x| z.list().member(x).to_vec()),
                        want.last().map(|k| k.1.clone())
                    );
                    if rng.below(4) == 0 {
                        assert_eq!(z.delete_range_by_score(&r), want.len(), "step {step}");
                        for k in want {
                            model.remove(&k.1);
                        }
                    }
                }
                6 => {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    let pa = rand_lex_bound(&mut rng, &mut a);
                    let pb = rand_lex_bound(&mut rng, &mut b);
                    let sa = [
                        pa.as_bytes(),
                        if pa.len() == 1 && "[(".contains(pa) {
                            &a
                        } else {
                            b""
                        },
                    ]
                    .concat();
                    let sb = [
                        pb.as_bytes(),
                        if pb.len() == 1 && "[(".contains(pb) {
                            &b
                        } else {
                            b""
                        },
                    ]
                    .concat();
                    let r = LexRange::parse(&sa, &sb).unwrap();
                    // Lex ranges are defined for equal scores: check on the
                    // member order, which is the skiplist order when all
                    // scores are equal, so only when they are.
                    let all_equal = model.values().all(|&s| s == 1.0);
                    if all_equal {
                        let want: Vec<&Vec<u8>> = model
                            .keys()
                            .filter(|m| !r.is_empty() && r.gte_min(m) && r.lte_max(m))
                            .collect();
                        let first = z
                            .list()
                            .first_in_lex(&r)
                            .map(|x| z.list().member(x).to_vec());
                        let last = z
                            .list()
                            .last_in_lex(&r)
                            .map(|x| z.list().member(x).to_vec());
                        assert_eq!(first.as_ref(), want.first().copied());
                        assert_eq!(last.as_ref(), want.last().copied());
                        if rng.below(3) == 0 {
                            assert_eq!(z.delete_range_by_lex(&r), want.len());
                            for m in want.into_iter().cloned().collect::<Vec<_>>() {
                                model.remove(&m);
                            }
                        }
                    }
                }
                7 => {
                    let all = sorted(&model);
                    if !all.is_empty() {
                        let i = rng.below(all.len() as u64) as usize;
                        let x = z.list().by_rank(i + 1).unwrap();
                        assert_eq!(z.list().member(x), &all[i].1[..]);
                        assert_eq!(z.rank(&all[i].1, false), Some(i));
                        assert_eq!(z.rank(&all[i].1, true), Some(all.len() - 1 - i));
                        if rng.below(3) == 0 {
                            let j = (i + rng.below(3) as usize).min(all.len() - 1);
                            assert_eq!(z.delete_range_by_rank(i, j), j - i + 1);
                            for k in &all[i..=j] {
                                model.remove(&k.1);
                            }
                        }
                    }
                    assert_eq!(z.list().by_rank(all.len() + 1), None);
                    assert_eq!(z.list().by_rank(0), None);
                }
                8 => {
                    // Switch to an all-equal-scores phase now and then so
                    // the lex checks above get exercised.
                    if rng.below(20) == 0 {
                        let keys: Vec<_> = model.keys().cloned().collect();
                        for k in keys {
                            z.insert(&k, 1.0);
                            model.insert(k, 1.0);
                        }
                    }
                }
                _ => {
                    if rng.below(50) == 0 {
                        z.shrink_arena();
                        assert!(z.zsl.free.is_empty());
                    }
                }
            }
            assert_eq!(z.len(), model.len());
            if step % 100 == 0 {
                let got: Vec<K> = z.list().iter().map(|(m, s)| K(s, m.to_vec())).collect();
                assert_eq!(got, sorted(&model), "step {step}");
                for (m, s) in &model {
                    assert_eq!(z.score(m), Some(*s));
                }
                check_invariants(&z);
            }
        }
    }

    #[test]
    fn listpack_zset_matches_redis_bytes() {
        // `ZADD z 1.5 a 3 b -0 c 1e20 d 4503599627370497 e 0.1 f -inf g` on
        // redis-server 7.0.15, `DUMP z`, LZF payload inflated: 81 bytes.
        let hex = concat!(
            "510000000e00816702842d696e6605816302000181660293302e313030303030",
            "30303030303030303030311481610283312e35048162020301816502f4010000",
            "0000001000098164028531652b323006ff",
        );
        let redis: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let mut z = ListpackZSet::new();
        for (s, m) in [
            (1.5, "a"),
            (3.0, "b"),
            (-0.0, "c"),
            (1e20, "d"),
            (4503599627370497.0, "e"),
            (0.1, "f"),
            (f64::NEG_INFINITY, "g"),
        ] {
            assert_eq!(z.insert(m.as_bytes(), s), Added::New);
        }
        assert_eq!(z.as_listpack().to_bytes(), &redis[..]);
        assert_eq!(z.score(b"f"), Some(0.1));
        assert_eq!(z.score(b"g"), Some(f64::NEG_INFINITY));
        assert_eq!(z.rank(b"a", false), Some(3));
        assert_eq!(z.rank(b"a", true), Some(3));
        assert_eq!(z.len(), 7);
    }

    #[test]
    fn listpack_zset_matches_skiplist_zset() {
        let mut rng = XorShift::new(77);
        let mut small = ListpackZSet::new();
        let mut big = ZSet::with_rng(XorShift::new(1));
        let member = |rng: &mut XorShift| -> Vec<u8> {
            if rng.below(3) == 0 {
                rng.below(30).to_string().into_bytes()
            } else {
                rand_member(rng)
            }
        };
        for step in 0..5000 {
            match rng.below(8) {
                0..=3 => {
                    let m = member(&mut rng);
                    let s = if rng.below(4) == 0 {
                        0.1 * rng.below(9) as f64
                    } else {
                        rand_score(&mut rng)
                    };
                    assert_eq!(small.insert(&m, s), big.insert(&m, s));
                }
                4 => {
                    let m = member(&mut rng);
                    assert_eq!(small.remove(&m), big.remove(&m));
                }
                5 => {
                    let r = rand_range(&mut rng);
                    let zsl = big.list();
                    let rank_of = |x: NodeId| zsl.rank(zsl.score(x), zsl.member(x)) - 1;
                    assert_eq!(
                        small.first_in_score(&r),
                        zsl.first_in_score(&r).map(rank_of)
                    );
                    assert_eq!(small.last_in_score(&r), zsl.last_in_score(&r).map(rank_of));
                    if rng.below(5) == 0 {
                        assert_eq!(
                            small.delete_range_by_score(&r),
                            big.delete_range_by_score(&r)
                        );
                    }
                }
                6 => {
                    let n = small.len();
                    if n > 0 {
                        let a = rng.below(n as u64) as usize;
                        let b = (a + rng.below(3) as usize).min(n - 1);
                        let m = small.by_rank(a).unwrap().0.to_vec();
                        assert_eq!(small.rank(&m, false), big.rank(&m, false));
                        assert_eq!(small.rank(&m, true), big.rank(&m, true));
                        if rng.below(4) == 0 {
                            assert_eq!(
                                small.delete_range_by_rank(a, b),
                                big.delete_range_by_rank(a, b)
                            );
                        }
                    }
                }
                _ => {
                    // Lex queries are only meaningful on equal scores.
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    let pa = rand_lex_bound(&mut rng, &mut a);
                    let pb = rand_lex_bound(&mut rng, &mut b);
                    let sa = [pa.as_bytes(), if "[(".contains(pa) { &a } else { b"" }].concat();
                    let sb = [pb.as_bytes(), if "[(".contains(pb) { &b } else { b"" }].concat();
                    let r = LexRange::parse(&sa, &sb).unwrap();
                    let mut eq = ListpackZSet::new();
                    let mut eqz = ZSet::new();
                    let mut buf = [0u8; 24];
                    for (m, _) in small.iter() {
                        eq.insert(m.as_bytes(&mut buf), 7.0);
                        eqz.insert(m.as_bytes(&mut buf), 7.0);
                    }
                    let zsl = eqz.list();
                    let rank_of = |x: NodeId| zsl.rank(zsl.score(x), zsl.member(x)) - 1;
                    assert_eq!(eq.first_in_lex(&r), zsl.first_in_lex(&r).map(rank_of));
                    assert_eq!(eq.last_in_lex(&r), zsl.last_in_lex(&r).map(rank_of));
                    assert_eq!(eq.delete_range_by_lex(&r), eqz.delete_range_by_lex(&r));
                }
            }
            assert_eq!(small.len(), big.len(), "step {step}");
            if step % 50 == 0 {
                let a: Vec<(Vec<u8>, f64)> = small.iter().map(|(m, s)| (m.to_vec(), s)).collect();
                let b: Vec<(Vec<u8>, f64)> =
                    big.list().iter().map(|(m, s)| (m.to_vec(), s)).collect();
                assert_eq!(a, b, "step {step}");
                let mut back: Vec<_> = small.iter().rev().map(|(m, s)| (m.to_vec(), s)).collect();
                back.reverse();
                assert_eq!(back, a);
                assert_eq!(ListpackZSet::from_zset(&big), small);
                let round: Vec<_> = small
                    .to_zset()
                    .list()
                    .iter()
                    .map(|(m, s)| (m.to_vec(), s))
                    .collect();
                assert_eq!(round, a);
            }
            if small.len() > 120 {
                small = ListpackZSet::new();
                big = ZSet::new();
            }
        }
    }

    #[test]
    fn arena_is_compacted_after_mass_deletes() {
        let mut z = ZSet::with_rng(XorShift::new(3));
        for i in 0..1000 {
            z.insert(format!("m{i}").as_bytes(), i as f64);
        }
        let full = z.bytes();
        let r = ScoreRange {
            min: 0.0,
            max: 899.0,
            minex: false,
            maxex: false,
        };
        assert_eq!(z.delete_range_by_score(&r), 900);
        assert!(z.zsl.free.is_empty(), "compacted");
        assert!(z.bytes() < full / 4, "{} of {}", z.bytes(), full);
        assert_eq!(z.rank(b"m950", false), Some(50));
        check_invariants(&z);
    }

    #[test]
    fn a_long_members_prefix_orders_it_as_its_bytes_do() {
        // Members around every boundary: shorter than the prefix, as long,
        // inline to 23 bytes, long beyond; sharing ever longer starts and
        // differing in their last byte or in their length.
        let mut members: Vec<Vec<u8>> = vec![vec![]];
        for len in [1, 18, 19, 20, 23, 24, 25, 30, 40] {
            for last in [b'a', b'b', b'c'] {
                let mut m = vec![b'b'; len];
                m[len - 1] = last;
                members.push(m);
            }
        }
        let mut zsl = SkipList::new();
        let ids: Vec<u32> = members.iter().map(|m| zsl.insert(1.0, m)).collect();
        for (m, &id) in members.iter().zip(&ids) {
            let n = zsl.nodes[id as usize];
            assert_eq!(n.ele.long_idx().is_some(), m.len() > INLINE_MAX);
            for e in &members {
                assert_eq!(zsl.cmp_ele(&n, e), m.as_slice().cmp(e), "{m:?} {e:?}");
                assert_eq!(zsl.eq_ele(&n, e), m == e);
            }
        }
        // Equal scores: the list is in member order, and each is found.
        let got: Vec<Vec<u8>> = zsl.iter().map(|(m, _)| m.to_vec()).collect();
        let mut want = members.clone();
        want.sort();
        assert_eq!(got, want);
        for (i, m) in want.iter().enumerate() {
            assert_eq!(zsl.rank(1.0, m), i + 1);
        }
        // A shrink moves long members to new slots and keeps their prefix.
        for m in &want[..10] {
            assert!(zsl.delete(1.0, m));
        }
        zsl.shrink();
        let got: Vec<Vec<u8>> = zsl.iter().map(|(m, _)| m.to_vec()).collect();
        assert_eq!(got, want[10..]);
        for (i, m) in want[10..].iter().enumerate() {
            assert_eq!(zsl.rank(1.0, m), i + 1);
        }
    }

    #[test]
    fn members_inline_up_to_23_bytes_and_long_beyond() {
        let mut z = ZSet::with_rng(XorShift::new(11));
        let member = |len: usize| -> Vec<u8> { (0..len).map(|i| b'a' + (i % 26) as u8).collect() };
        for len in 0..40 {
            z.insert(&member(len), -(len as f64));
        }
        assert_eq!(z.zsl.long.len(), 40 - 24);
        assert_eq!(z.zsl.long_bytes, (24..40).sum::<usize>());
        for len in 0..40 {
            let m = member(len);
            assert_eq!(z.score(&m), Some(-(len as f64)));
            let id = z.find(&m, hash_key(&m)).unwrap();
            assert_eq!(z.zsl.member(id), &m[..]);
            assert_eq!(
                z.zsl.nodes[id as usize].ele.long_idx().is_some(),
                len > INLINE_MAX
            );
        }
        // A move keeps the node, and with it a long member's storage.
        let m = member(30);
        let id = z.find(&m, hash_key(&m)).unwrap();
        assert_eq!(z.insert(&m, 100.0), Added::Updated);
        assert_eq!(z.find(&m, hash_key(&m)), Some(id));
        assert_eq!(z.rank(&m, false), Some(39));
        check_invariants(&z);
        // Freed long slots are reused, and the byte sum follows.
        for len in (24..35).filter(|&l| l != 30) {
            assert_eq!(z.remove(&member(len)), Some(-(len as f64)));
        }
        assert_eq!(z.zsl.long_free.len(), 10);
        z.insert(&member(35)[1..], 0.0);
        assert_eq!(z.zsl.long_free.len(), 9);
        assert_eq!(z.zsl.long.len(), 40 - 24);
        check_invariants(&z);
        z.shrink_arena();
        assert_eq!(z.zsl.long.len(), 40 - 24 - 9);
        assert!(z.zsl.long_free.is_empty());
        check_invariants(&z);
        assert_eq!(z.score(&member(39)), Some(-39.0));
        assert_eq!(z.score(&member(35)[1..]), Some(0.0));
    }

    #[test]
    fn arenas_grow_by_an_eighth_once_large() {
        let mut v: Vec<Node> = Vec::new();
        let mut caps = vec![];
        for _ in 0..20000 {
            reserve_one(&mut v);
            if caps.last() != Some(&v.capacity()) {
                caps.push(v.capacity());
            }
            v.push(SkipList::new().nodes[0]);
        }
        // Doubling to 128 KB (2731 nodes of 48 bytes), then +1/8.
        assert_eq!(&caps[..4], &[8, 16, 32, 64]);
        let big = caps.iter().position(|&c| c * 48 >= 128 * 1024).unwrap();
        for w in caps[big..].windows(2) {
            assert_eq!(w[1], w[0] + w[0] / 8);
        }
        assert!(v.capacity() < 20000 * 9 / 8 + 1);
        assert_eq!(std::mem::size_of::<Node>(), 48);
        assert_eq!(std::mem::size_of::<Level>(), 20);
    }

    #[test]
    fn levels_follow_p_quarter() {
        let mut zsl = SkipList::with_rng(XorShift::new(5));
        let n = 20000;
        for i in 0..n {
            zsl.insert(i as f64, b"m");
        }
        let links: usize = heights(&zsl).iter().sum();
        let avg = links as f64 / n as f64;
        assert!((1.28..1.39).contains(&avg), "average levels {avg}");
        assert!(zsl.levels() >= 6 && zsl.levels() <= 12);
    }

    /// Rough speed figures of the big-set operations, run by hand with
    /// `cargo test --release --lib skiplist::tests::speed -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn speed() {
        use std::time::Instant;
        let n = 1_000_000usize;
        let ops = 200_000usize;
        let mut rng = XorShift::new(1);
        let members: Vec<Vec<u8>> = (0..n).map(|i| format!("member:{i}").into_bytes()).collect();
        let mut z = ZSet::new();
        let report = |what: &str, t: Instant, k: usize| {
            eprintln!(
                "{what:>24}: {:6.0} ns/op",
                t.elapsed().as_nanos() as f64 / k as f64
            );
        };
        let t = Instant::now();
        let mut worst = vec![(std::time::Duration::ZERO, 0); 5];
        for (i, m) in members.iter().enumerate() {
            let t1 = Instant::now();
            z.insert(m, rng.below(1 << 30) as f64);
            let d = t1.elapsed();
            if d > worst[4].0 {
                worst[4] = (d, i);
                worst.sort_by(|a, b| b.cmp(a));
            }
        }
        report("insert 1M", t, n);
        // Stalls would show at the same positions run after run (arena or
        // index growth); the machine's own noise does not.
        eprintln!("{:>24}: {worst:?}", "worst inserts (at)");
        let pick: Vec<usize> = (0..ops).map(|_| rng.below(n as u64) as usize).collect();
        let t = Instant::now();
        let mut sum = 0.0;
        for &i in &pick {
            sum += z.score(&members[i]).unwrap_or(0.0);
        }
        report("score", t, ops);
        let t = Instant::now();
        let mut total = 0usize;
        for &i in &pick {
            total += z.rank(&members[i], false).unwrap_or(0);
        }
        report("rank", t, ops);
        let t = Instant::now();
        for &i in &pick {
            let mut x = z.list().by_rank(i + 1);
            for _ in 0..10 {
                let Some(id) = x else { break };
                total += z.list().member(id).len();
                x = z.list().next(id);
            }
        }
        report("by_rank + 10 next", t, ops);
        let t = Instant::now();
        for &i in &pick {
            z.insert(&members[i], rng.below(1 << 30) as f64);
        }
        report("update score (move)", t, ops);
        let t = Instant::now();
        for _ in 0..ops {
            z.delete_range_by_rank(0, 0);
        }
        report("pop min", t, ops);
        let t = Instant::now();
        for &i in &pick {
            z.remove(&members[i]);
        }
        report("remove", t, ops);
        eprintln!(
            "(sums {sum} {total}, {} left, {} bytes)",
            z.len(),
            z.bytes()
        );
    }
}
