//! # Quicklist: a list as a linked list of listpacks
//!
//! Corresponds to Redis's `quicklist.c` (Matt Stancliff's design; since
//! Redis 7.0 its nodes are listpacks). Every Redis 7.0 list is a quicklist
//! (`OBJECT ENCODING` says `quicklist`).
//!
//! ## Why Redis has it
//! A plain doubly linked list spends two pointers and an allocation per
//! element; one big listpack makes every push at the head a `memmove` of the
//! whole list. The quicklist is the middle road: a linked list whose nodes
//! are listpacks of bounded size. Pushes and pops at either end touch one
//! small listpack; an index lookup skips whole nodes by their counts; memory
//! per element is the listpack's (2 bytes for a small integer) plus one node
//! header per few hundred elements.
//!
//! The bound is `list-max-listpack-size` (the `fill`):
//! - negative: a byte limit per node, -1..-5 = 4, 8, 16, 32, 64 KB (default
//!   -2, 8 KB);
//! - positive: a maximum number of entries per node, with an 8 KB safety
//!   limit on the node's bytes all the same.
//!
//! Whether an element fits is *estimated* before inserting, exactly as
//! Redis does (`node bytes + element length + 8`), so our nodes split at
//! the same points as Redis's and memory matches. An insert in the middle
//! of a full node splits it in two and then tries to merge the neighbours
//! back (`_quicklistMergeNodes`), so the list does not fill up with
//! half-empty nodes.
//!
//! `list-compress-depth` keeps that many nodes at each end raw and
//! compresses the others with [`lzf`]: lists used as queues
//! only touch their ends, so the middle can sit compressed. As in Redis, a
//! node under 48 bytes is not compressed, nor one that would shrink by less
//! than 8 bytes.
//!
//! ## Plain nodes
//! An element of `packed_threshold` bytes or more (1 GB by default) does
//! not go into a listpack at all: it gets a node of its own, a *plain*
//! node (Redis's `QUICKLIST_NODE_CONTAINER_PLAIN`) holding just its bytes.
//! A listpack entry's header and the copies made by listpack edits are not
//! worth paying for a gigabyte, and a plain node is moved around by
//! pointer. Plain nodes never take a second element and never merge; they
//! are compressed like any other node. Where a big element lands follows
//! `_quicklistInsert`: next to the node when the insert point is at that
//! node's edge, else the listpack is split around the insert point and the
//! plain node goes between the halves. `LSET` of a big value into a
//! listpack (or of a small one over a plain node) inserts the new element
//! after the old one and deletes the old one, as `quicklistReplaceEntry`.
//!
//! The threshold is process-wide in Redis (a static in `quicklist.c` that
//! only `DEBUG QUICKLIST-PACKED-THRESHOLD` changes, so tests can make every
//! element "large"). Ours is a thread-local: all data lives on the reactor
//! thread, so for the server it is the same thing, and unit tests running
//! in parallel threads each get their own. The check costs the common path
//! one compare of the element's length per insert.
//!
//! ## How ours departs
//! - Nodes live in a `VecDeque` rather than a linked list: the same O(1)
//!   pushes at both ends, contiguous node headers, no pointers; inserting or
//!   removing a node in the middle moves node headers (a few dozen bytes
//!   each, a list of a million small elements has a few thousand nodes).
//!   A list of one node (most lists) keeps it inline in the list header
//!   instead: list header plus listpack, two allocations where Redis has
//!   four (robj, quicklist, node, listpack); 100,000 lists of 10 short
//!   items measure 228 counted / 267 RSS bytes per key against Redis
//!   7.0's 267 / 271.
//! - Reading never changes the list: where Redis decompresses a node "for
//!   use" and recompresses it afterwards, our `&self` readers decompress
//!   into a temporary. Readers that visit entries take a callback
//!   ([`Quicklist::for_each`], [`Quicklist::with`]) so that entries can be
//!   borrowed from that temporary without allocating per element.
//! - A plain node whose element is 4 GB or more is never compressed: its
//!   size would not fit the 32-bit `bytes` field, and our LZF encoder keeps
//!   32-bit offsets. Redis compresses those too.
//! - No bookmarks (Redis uses them only for defragmentation).

use super::listpack::{Entry, Listpack, Where};
use super::lzf;
use std::borrow::Cow;
use std::cell::Cell;
use std::collections::VecDeque;

/// Default `packed_threshold`: elements of 1 GB or more get plain nodes.
pub const DEFAULT_PACKED_THRESHOLD: usize = 1 << 30;

thread_local! {
    /// See the module documentation ("Plain nodes").
    static PACKED_THRESHOLD: Cell<usize> = const { Cell::new(DEFAULT_PACKED_THRESHOLD) };
}

/// The current plain-node threshold in bytes.
#[inline]
pub fn packed_threshold() -> usize {
    PACKED_THRESHOLD.with(Cell::get)
}

/// `quicklistisSetPackedThreshold`: 0 restores the default; anything above
/// 4 GB - 1 MB is refused (false): a listpack entry's length is 32 bits,
/// so anything near 4 GB must go to a plain node.
pub fn set_packed_threshold(sz: u64) -> bool {
    if sz > (1u64 << 32) - (1 << 20) {
        return false;
    }
    let sz = if sz == 0 {
        DEFAULT_PACKED_THRESHOLD
    } else {
        sz as usize
    };
    PACKED_THRESHOLD.with(|t| t.set(sz));
    true
}

/// `isLargeElement`: does an element of `sz` bytes need a plain node?
#[inline]
fn is_large(sz: usize) -> bool {
    sz >= packed_threshold()
}

/// Byte limits for fill -1..-5.
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Byte limit of a node when the fill counts entries.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Estimated per-entry overhead when checking whether an element fits.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Nodes smaller than this are not worth compressing.
const MIN_COMPRESS_BYTES: usize = 48;
/// Compression must save at least this much to be kept.
const MIN_COMPRESS_IMPROVE: usize = 8;
const FILL_MAX: i32 = (1 << 15) - 1;
const COMPRESS_MAX: i32 = (1 << 16) - 1;

/// An element taken out of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Int(i64),
    Str(Vec<u8>),
}

impl Item {
    fn from_entry(e: Entry<'_>) -> Self {
        match e {
            Entry::Int(v) => Item::Int(v),
            Entry::Str(s) => Item::Str(s.to_vec()),
        }
    }

    /// The element's bytes (integers formatted).
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Item::Str(s) => s,
            Item::Int(v) => Entry::Int(v).to_vec(),
        }
    }
}

#[derive(Debug, Clone)]
enum Data {
    Raw(Listpack),
    /// LZF stream of the listpack's bytes.
    Lzf(Box<[u8]>),
    /// A plain node's one element.
    Plain(Box<[u8]>),
    /// LZF stream of a plain node's element.
    PlainLzf(Box<[u8]>),
}

/// A node's content for reading: a listpack, or a plain node's element.
enum Content<'a> {
    Packed(Cow<'a, Listpack>),
    Plain(Cow<'a, [u8]>),
}

#[derive(Debug, Clone)]
struct Node {
    /// Elements in the node. 32 bits, as Redis's `quicklistNode.count()`
    /// (16 there): a node holds at most 64 KB, so this cannot overflow,
    /// and the smaller header keeps a one-node list's node array at 40
    /// bytes.
    cnt: u32,
    /// The listpack's size in bytes, compressed or not (`node->sz`).
    bytes: u32,
    data: Data,
}

impl Node {
    #[inline]
    fn count(&self) -> usize {
        self.cnt as usize
    }

    #[inline]
    fn sz(&self) -> usize {
        self.bytes as usize
    }

    fn new(lp: Listpack) -> Self {
        Node {
            cnt: lp.len() as u32,
            bytes: lp.bytes() as u32,
            data: Data::Raw(lp),
        }
    }

    /// A plain node holding `v` (`__quicklistCreatePlainNode`).
    fn plain(v: &[u8]) -> Self {
        Node {
            cnt: 1,
            bytes: v.len().min(u32::MAX as usize) as u32,
            data: Data::Plain(v.into()),
        }
    }

    #[inline]
    fn is_plain(&self) -> bool {
        matches!(self.data, Data::Plain(_) | Data::PlainLzf(_))
    }

    /// The node's content, decompressed into a temporary if need be.
    fn content(&self) -> Content<'_> {
        match &self.data {
            Data::Raw(lp) => Content::Packed(Cow::Borrowed(lp)),
            Data::Lzf(z) => Content::Packed(Cow::Owned(inflate(z, self.sz()))),
            Data::Plain(b) => Content::Plain(Cow::Borrowed(b)),
            Data::PlainLzf(z) => Content::Plain(Cow::Owned(
                lzf::decompress(z, self.sz()).expect("quicklist: our own LZF stream"),
            )),
        }
    }

    /// The listpack of a packed node, decompressed for writing (callers
    /// check `is_plain` first).
    fn raw_mut(&mut self) -> &mut Listpack {
        self.decompress();
        match &mut self.data {
            Data::Raw(lp) => lp,
            _ => unreachable!("quicklist: raw_mut of a plain node"),
        }
    }

    /// A plain node's element, taken out of the node.
    fn take_plain(&mut self) -> Vec<u8> {
        self.decompress();
        match std::mem::replace(&mut self.data, Data::Plain(Box::default())) {
            Data::Plain(b) => b.into_vec(),
            _ => unreachable!("quicklist: take_plain of a packed node"),
        }
    }

    fn sync(&mut self) {
        if let Data::Raw(lp) = &self.data {
            self.cnt = lp.len() as u32;
            self.bytes = lp.bytes() as u32;
        }
    }

    fn compress(&mut self) {
        if self.sz() < MIN_COMPRESS_BYTES {
            return;
        }
        match &self.data {
            Data::Raw(lp) => {
                if let Some(z) = lzf::compress(&lp.to_bytes(), self.sz()) {
                    if z.len() + MIN_COMPRESS_IMPROVE < self.sz() {
                        self.data = Data::Lzf(z.into_boxed_slice());
                    }
                }
            }
            // `bytes` saturates at 4 GB: larger elements stay raw.
            Data::Plain(b) if b.len() < u32::MAX as usize => {
                if let Some(z) = lzf::compress(b, b.len()) {
                    if z.len() + MIN_COMPRESS_IMPROVE < b.len() {
                        self.data = Data::PlainLzf(z.into_boxed_slice());
                    }
                }
            }
            _ => {}
        }
    }

    fn decompress(&mut self) {
        match &self.data {
            Data::Lzf(z) => self.data = Data::Raw(inflate(z, self.sz())),
            Data::PlainLzf(z) => {
                let b = lzf::decompress(z, self.sz()).expect("quicklist: our own LZF stream");
                self.data = Data::Plain(b.into_boxed_slice());
            }
            _ => {}
        }
    }

    fn is_compressed(&self) -> bool {
        matches!(self.data, Data::Lzf(_) | Data::PlainLzf(_))
    }

    fn storage_bytes(&self) -> usize {
        match &self.data {
            Data::Raw(lp) => lp.allocated(),
            Data::Lzf(z) | Data::Plain(z) | Data::PlainLzf(z) => z.len(),
        }
    }

    /// Size before compression (`node->sz`), exact for plain nodes of any
    /// size.
    fn full_sz(&self) -> usize {
        match &self.data {
            Data::Plain(b) => b.len(),
            _ => self.sz(),
        }
    }
}

fn inflate(z: &[u8], sz: usize) -> Listpack {
    let bytes = lzf::decompress(z, sz).expect("quicklist: our own LZF stream");
    Listpack::from_bytes(bytes).expect("quicklist: our own listpack")
}

/// How a node is stored, for the RDB writer and `DEBUG`-style inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeView<'a> {
    /// A listpack's bytes, Redis's layout (built by [`Listpack::to_bytes`]:
    /// our listpacks do not store the header).
    Raw(Cow<'a, [u8]>),
    /// An LZF stream and the size of the listpack it inflates to.
    Lzf(&'a [u8], usize),
    /// A plain node's element.
    Plain(&'a [u8]),
    /// A plain node's element as an LZF stream, and its size.
    PlainLzf(&'a [u8], usize),
}

impl NodeView<'_> {
    /// Redis's container code, the first field of each node in
    /// `RDB_TYPE_LIST_QUICKLIST_2`: 1 plain, 2 packed.
    pub fn container(&self) -> u8 {
        match self {
            NodeView::Raw(_) | NodeView::Lzf(..) => 2,
            NodeView::Plain(_) | NodeView::PlainLzf(..) => 1,
        }
    }
}

fn size_meets_optimization(sz: usize, fill: i32) -> bool {
    if fill >= 0 {
        return false;
    }
    OPTIMIZATION_LEVEL
        .get((-fill - 1) as usize)
        .is_some_and(|&limit| sz <= limit)
}

/// `_quicklistNodeAllowInsert`: may an element of `sz` bytes join `node`?
fn allow_insert(node: Option<&Node>, fill: i32, sz: usize) -> bool {
    let Some(node) = node else {
        return false;
    };
    // Large elements never get here: callers give them plain nodes first.
    if node.is_plain() {
        return false;
    }
    let new_sz = node.sz() + sz + SIZE_ESTIMATE_OVERHEAD;
    if size_meets_optimization(new_sz, fill) {
        true
    } else if new_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        (node.count() as i64) < fill as i64
    }
}

/// `_quicklistNodeAllowMerge`: may `a` and `b` become one node?
fn allow_merge(a: Option<&Node>, b: Option<&Node>, fill: i32) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return false;
    };
    if a.is_plain() || b.is_plain() {
        return false;
    }
    // Redis subtracts 11 for the header and terminator one of them drops.
    let merge_sz = a.sz() + b.sz() - 11;
    if size_meets_optimization(merge_sz, fill) {
        true
    } else if merge_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        (a.count() + b.count()) as i64 <= fill as i64
    }
}

/// The node array. Most lists are small and stay one node, which then
/// lives inline, inside the list's own allocation (a separate node array
/// would cost one more allocation per small list); longer lists spill to a
/// `VecDeque`, and a list that shrinks back to one node moves it inline.
#[derive(Debug, Clone)]
enum Nodes {
    One(Node),
    Many(VecDeque<Node>),
}

impl Default for Nodes {
    fn default() -> Self {
        Nodes::Many(VecDeque::new())
    }
}

impl Nodes {
    fn len(&self) -> usize {
        match self {
            Nodes::One(_) => 1,
            Nodes::Many(v) => v.len(),
        }
    }

    /// Node slots allocated outside the list header.
    fn heap_capacity(&self) -> usize {
        match self {
            Nodes::One(_) => 0,
            Nodes::Many(v) => v.capacity(),
        }
    }

    fn get(&self, i: usize) -> Option<&Node> {
        match self {
            Nodes::One(n) => (i == 0).then_some(n),
            Nodes::Many(v) => v.get(i),
        }
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut Node> {
        match self {
            Nodes::One(n) => (i == 0).then_some(n),
            Nodes::Many(v) => v.get_mut(i),
        }
    }

    fn front(&self) -> Option<&Node> {
        self.get(0)
    }

    fn back(&self) -> Option<&Node> {
        self.get(self.len().checked_sub(1)?)
    }

    fn front_mut(&mut self) -> Option<&mut Node> {
        self.get_mut(0)
    }

    fn back_mut(&mut self) -> Option<&mut Node> {
        let last = self.len().checked_sub(1)?;
        self.get_mut(last)
    }

    fn iter(&self) -> impl DoubleEndedIterator<Item = &Node> + '_ {
        let (a, b) = match self {
            Nodes::One(n) => (std::slice::from_ref(n), &[][..]),
            Nodes::Many(v) => v.as_slices(),
        };
        a.iter().chain(b)
    }

    fn insert(&mut self, at: usize, node: Node) {
        match self {
            Nodes::Many(v) if !v.is_empty() => v.insert(at, node),
            Nodes::Many(_) => *self = Nodes::One(node),
            Nodes::One(_) => {
                if let Nodes::One(old) = std::mem::take(self) {
                    let mut v = VecDeque::with_capacity(4);
                    v.push_back(old);
                    v.insert(at, node);
                    *self = Nodes::Many(v);
                }
            }
        }
    }

    fn push_back(&mut self, node: Node) {
        self.insert(self.len(), node);
    }

    fn push_front(&mut self, node: Node) {
        self.insert(0, node);
    }

    fn remove(&mut self, at: usize) -> Option<Node> {
        match self {
            Nodes::One(_) if at == 0 => match std::mem::take(self) {
                Nodes::One(n) => Some(n),
                Nodes::Many(_) => None,
            },
            Nodes::One(_) => None,
            Nodes::Many(v) => {
                let out = v.remove(at);
                if v.len() == 1 {
                    if let Some(n) = v.pop_front() {
                        *self = Nodes::One(n);
                    }
                }
                out
            }
        }
    }
}

impl std::ops::Index<usize> for Nodes {
    type Output = Node;
    fn index(&self, i: usize) -> &Node {
        self.get(i).expect("quicklist node index in range")
    }
}

impl std::ops::IndexMut<usize> for Nodes {
    fn index_mut(&mut self, i: usize) -> &mut Node {
        self.get_mut(i).expect("quicklist node index in range")
    }
}

/// A Redis list. See the module documentation.
#[derive(Debug, Clone)]
pub struct Quicklist {
    nodes: Nodes,
    count: usize,
    fill: i32,
    /// 32 bits (the range is 0..=65535): with it the header is 56 bytes,
    /// one allocator size class below 64.
    compress: u32,
}

impl Default for Quicklist {
    /// Redis's defaults: `list-max-listpack-size -2`, `list-compress-depth 0`.
    fn default() -> Self {
        Self::new(-2, 0)
    }
}

impl Quicklist {
    /// A list with `fill` (`list-max-listpack-size`) and `compress`
    /// (`list-compress-depth`), clamped as `quicklistSetOptions` does:
    /// fill to -5..=32767, depth to 0..=65535.
    pub fn new(fill: i32, compress: i32) -> Self {
        Quicklist {
            nodes: Nodes::default(),
            count: 0,
            fill: fill.clamp(-5, FILL_MAX),
            compress: compress.clamp(0, COMPRESS_MAX) as u32,
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn fill(&self) -> i32 {
        self.fill
    }

    pub fn compress_depth(&self) -> usize {
        self.compress as usize
    }

    /// Number of listpack nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes held: node storage (compressed size for compressed nodes) and
    /// node headers. Redis counts 32 bytes per `quicklistNode`.
    pub fn bytes(&self) -> usize {
        self.nodes.heap_capacity() * std::mem::size_of::<Node>()
            + self.nodes.iter().map(Node::storage_bytes).sum::<usize>()
    }

    /// Number of nodes currently LZF-compressed.
    pub fn compressed_nodes(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_compressed()).count()
    }

    /// Sum of the nodes' listpack sizes before compression (what Redis's
    /// `DEBUG OBJECT` calls `ql_uncompressed_size`).
    pub fn uncompressed_bytes(&self) -> usize {
        self.nodes.iter().map(Node::full_sz).sum()
    }

    /// Number of plain nodes (elements of `packed_threshold` bytes or more).
    pub fn plain_nodes(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_plain()).count()
    }

    /// Each node as stored, head to tail (for RDB and inspection).
    pub fn nodes(&self) -> impl Iterator<Item = NodeView<'_>> + '_ {
        self.nodes.iter().map(|n| match &n.data {
            Data::Raw(lp) => NodeView::Raw(Cow::Owned(lp.to_bytes())),
            Data::Lzf(z) => NodeView::Lzf(z, n.sz()),
            Data::Plain(b) => NodeView::Plain(b),
            Data::PlainLzf(z) => NodeView::PlainLzf(z, n.sz()),
        })
    }

    /// Appends a plain node holding `v` (RDB loading,
    /// `quicklistAppendPlainNode`), whatever the threshold.
    pub fn append_plain(&mut self, v: &[u8]) {
        self.count += 1;
        self.nodes.push_back(Node::plain(v));
        let last = self.nodes.len() - 1;
        self.compress_around(Some(last));
    }

    /// Appends a whole listpack as a node (RDB loading,
    /// `quicklistAppendListpack`). Empty listpacks are dropped.
    pub fn append_listpack(&mut self, lp: Listpack) {
        if lp.is_empty() {
            return;
        }
        self.count += lp.len();
        self.nodes.push_back(Node::new(lp));
        let last = self.nodes.len() - 1;
        self.compress_around(Some(last));
    }

    // ---- ends ----------------------------------------------------------

    pub fn push_front(&mut self, v: &[u8]) {
        if is_large(v.len()) {
            self.nodes.push_front(Node::plain(v));
            self.compress_around(Some(0));
        } else if allow_insert(self.nodes.front(), self.fill, v.len()) {
            let head = &mut self.nodes[0];
            head.raw_mut().push_front(v);
            head.sync();
        } else {
            let mut lp = Listpack::new();
            lp.push_front(v);
            self.nodes.push_front(Node::new(lp));
            self.compress_around(Some(0));
        }
        self.count += 1;
    }

    pub fn push_back(&mut self, v: &[u8]) {
        if is_large(v.len()) {
            self.nodes.push_back(Node::plain(v));
            let last = self.nodes.len() - 1;
            self.compress_around(Some(last));
        } else if allow_insert(self.nodes.back(), self.fill, v.len()) {
            let tail = self.nodes.back_mut().expect("checked");
            tail.raw_mut().push_back(v);
            tail.sync();
        } else {
            let mut lp = Listpack::new();
            lp.push_back(v);
            self.nodes.push_back(Node::new(lp));
            let last = self.nodes.len() - 1;
            self.compress_around(Some(last));
        }
        self.count += 1;
    }

    pub fn pop_front(&mut self) -> Option<Item> {
        let head = self.nodes.front_mut()?;
        if head.is_plain() {
            return Some(self.pop_plain(0));
        }
        let lp = head.raw_mut();
        let item = Item::from_entry(lp.get(0)?);
        lp.delete_range(0, 1);
        self.after_delete(0, 1);
        Some(item)
    }

    pub fn pop_back(&mut self) -> Option<Item> {
        let last = self.nodes.len().checked_sub(1)?;
        if self.nodes[last].is_plain() {
            return Some(self.pop_plain(last));
        }
        let lp = self.nodes[last].raw_mut();
        let item = Item::from_entry(lp.get(-1)?);
        lp.delete_range(-1, 1);
        self.after_delete(last, 1);
        Some(item)
    }

    // ---- by index ------------------------------------------------------

    /// Calls `f` with element `index` (negative from the tail).
    pub fn with<R>(&self, index: isize, f: impl FnOnce(Entry<'_>) -> R) -> Option<R> {
        let (ni, off) = self.locate(index)?;
        match self.nodes[ni].content() {
            Content::Packed(lp) => Some(f(lp.get(off as isize)?)),
            Content::Plain(b) => Some(f(Entry::Str(&b))),
        }
    }

    /// A copy of element `index`.
    pub fn get(&self, index: isize) -> Option<Item> {
        self.with(index, Item::from_entry)
    }

    /// Replaces element `index`; false if out of range (`LSET`,
    /// `quicklistReplaceEntry`). A change of container (a big value over a
    /// listpack entry, a small one over a plain node) inserts the new
    /// element after the old one and deletes the old.
    pub fn set(&mut self, index: isize, v: &[u8]) -> bool {
        let Some((ni, off)) = self.locate(index) else {
            return false;
        };
        let large = is_large(v.len());
        let node = &mut self.nodes[ni];
        if !node.is_plain() && !large {
            node.raw_mut().replace(off as isize, v);
            node.sync();
            self.compress_around(Some(ni));
        } else if node.is_plain() && large {
            *node = Node::plain(v);
            self.compress_around(Some(ni));
        } else if node.is_plain() {
            // The small value lands after the plain node (in the next node
            // or a new one), which stays at `ni`.
            self.insert_at(ni, 0, v, true);
            self.count -= 1;
            self.nodes.remove(ni);
            self.compress_around(None);
        } else {
            // A plain node after the entry (splitting its listpack if the
            // entry is not the last); the entry is then its node's last.
            self.insert_at(ni, off, v, true);
            if self.nodes[ni].count() == 1 {
                self.count -= 1;
                self.nodes.remove(ni);
                self.compress_around(None);
            } else {
                self.nodes[ni].raw_mut().delete_range(-1, 1);
                self.after_delete(ni, 1);
                if ni + 1 < self.nodes.len() {
                    self.compress_around(Some(ni + 1));
                }
            }
        }
        true
    }

    /// Inserts `v` before (`after == false`) or after element `index`
    /// (0-based, must exist), as `_quicklistInsert` does: into the node if it
    /// has room, else into a neighbour with room at the matching end, else a
    /// new node at a node boundary, else the node is split and the pieces
    /// merged with their neighbours where they fit.
    pub fn insert(&mut self, index: usize, v: &[u8], after: bool) {
        let (ni, off) = self
            .locate(index as isize)
            .expect("quicklist insert: index out of range");
        self.insert_at(ni, off, v, after);
    }

    /// [`Quicklist::insert`] at element `off` of node `ni`.
    fn insert_at(&mut self, ni: usize, off: usize, v: &[u8], after: bool) {
        let fill = self.fill;
        let sz = v.len();
        let node_count = self.nodes[ni].count();
        let at_tail = after && off == node_count - 1;
        let at_head = !after && off == 0;
        if is_large(sz) {
            let at = if after { ni + 1 } else { ni };
            if self.nodes[ni].is_plain() || at_tail || at_head {
                self.nodes.insert(at, Node::plain(v));
                self.compress_around(Some(ni + usize::from(!after)));
                self.compress_around(Some(at));
            } else {
                // Split around the entry and put the plain node between
                // the halves; plain nodes never merge, so no merging.
                let other = self.split(ni, off, after);
                if after {
                    self.nodes.insert(ni + 1, Node::plain(v));
                    self.nodes.insert(ni + 2, other);
                } else {
                    self.nodes.insert(ni, Node::plain(v));
                    self.nodes.insert(ni, other);
                }
                for i in ni..ni + 3 {
                    self.compress_around(Some(i));
                }
            }
            self.count += 1;
            return;
        }
        let full = !allow_insert(Some(&self.nodes[ni]), fill, sz);
        let avail_next = at_tail && allow_insert(self.nodes.get(ni + 1), fill, sz);
        let avail_prev = at_head && ni > 0 && allow_insert(self.nodes.get(ni - 1), fill, sz);
        if !full {
            let node = &mut self.nodes[ni];
            let lp = node.raw_mut();
            let p = lp.seek(off as isize).expect("offset in node");
            lp.insert_at(p, v, if after { Where::After } else { Where::Before });
            node.sync();
            self.compress_around(Some(ni));
        } else if avail_next {
            let next = &mut self.nodes[ni + 1];
            next.raw_mut().push_front(v);
            next.sync();
            self.compress_around(Some(ni + 1));
        } else if avail_prev {
            let prev = &mut self.nodes[ni - 1];
            prev.raw_mut().push_back(v);
            prev.sync();
            self.compress_around(Some(ni - 1));
        } else if at_tail || at_head {
            let mut lp = Listpack::new();
            lp.push_back(v);
            let at = if after { ni + 1 } else { ni };
            self.nodes.insert(at, Node::new(lp));
            self.compress_around(Some(at));
        } else {
            // Split: the new node takes the side away from the entry and
            // `v` at its near end.
            let mut other = self.split(ni, off, after);
            let lp = other.raw_mut();
            let center = if after {
                lp.push_front(v);
                other.sync();
                self.nodes.insert(ni + 1, other);
                ni
            } else {
                lp.push_back(v);
                other.sync();
                self.nodes.insert(ni, other);
                ni + 1
            };
            self.merge_around(center);
        }
        self.count += 1;
    }

    /// `_quicklistSplitNode`: with `after`, node `ni` keeps [0, off] and the
    /// returned node (not yet in the list) holds the rest; without, the
    /// node keeps [off, end] and the returned node holds [0, off).
    fn split(&mut self, ni: usize, off: usize, after: bool) -> Node {
        let node = &mut self.nodes[ni];
        let lp = node.raw_mut();
        let mut other = lp.clone();
        if after {
            lp.delete_range(off as isize + 1, usize::MAX);
            other.delete_range(0, off + 1);
        } else {
            lp.delete_range(0, off);
            other.delete_range(off as isize, usize::MAX);
        }
        node.sync();
        Node::new(other)
    }

    /// Deletes `count` elements from `start` (negative from the tail),
    /// clamped to the end of the list, as `quicklistDelRange`. Returns how
    /// many were deleted.
    pub fn delete_range(&mut self, start: isize, count: usize) -> usize {
        if count == 0 {
            return 0;
        }
        let Some((mut ni, mut off)) = self.locate(start) else {
            return 0;
        };
        let first = if start < 0 {
            (self.count as isize + start) as usize
        } else {
            start as usize
        };
        let mut extent = count.min(self.count - first);
        let total = extent;
        while extent > 0 {
            let c = self.nodes[ni].count();
            let del = (c - off).min(extent);
            if off == 0 && del == c {
                self.count -= c;
                self.nodes.remove(ni);
                self.compress_around(None);
            } else {
                let node = &mut self.nodes[ni];
                node.raw_mut().delete_range(off as isize, del);
                node.sync();
                self.count -= del;
                self.compress_around(Some(ni));
                ni += 1;
            }
            extent -= del;
            off = 0;
        }
        total
    }

    /// Removes elements equal to `v`: the first `count` from the head when
    /// `count > 0`, the last `-count` from the tail when negative, all when
    /// 0 (`LREM`). Returns how many were removed. Nodes are not merged
    /// afterwards, as in Redis.
    pub fn remove_matching(&mut self, v: &[u8], count: i64) -> usize {
        let limit = if count == 0 {
            usize::MAX
        } else {
            count.unsigned_abs() as usize
        };
        let from_tail = count < 0;
        let mut removed = 0;
        let mut ni = if from_tail {
            self.nodes.len() as isize - 1
        } else {
            0
        };
        while removed < limit && ni >= 0 && (ni as usize) < self.nodes.len() {
            let i = ni as usize;
            // Skip nodes without a match without decompressing for write.
            let has = match self.nodes[i].content() {
                Content::Packed(lp) => lp.first().and_then(|f| lp.find(f, v, 0)).is_some(),
                Content::Plain(b) => {
                    if *b == *v {
                        removed += 1;
                        self.count -= 1;
                        self.nodes.remove(i);
                        self.compress_around(None);
                        if from_tail {
                            ni -= 1;
                        }
                        continue;
                    }
                    false
                }
            };
            if !has {
                ni += if from_tail { -1 } else { 1 };
                continue;
            }
            let node = &mut self.nodes[i];
            let lp = node.raw_mut();
            let mut here = 0;
            if from_tail {
                let mut p = lp.last();
                while let Some(q) = p {
                    let prev = lp.prev(q);
                    if lp.get_at(q).eq_bytes(v) {
                        lp.delete_at(q);
                        here += 1;
                        if removed + here == limit {
                            break;
                        }
                    }
                    p = prev;
                }
            } else {
                let mut p = lp.first();
                while let Some(q) = p {
                    if lp.get_at(q).eq_bytes(v) {
                        p = lp.delete_at(q);
                        here += 1;
                        if removed + here == limit {
                            break;
                        }
                    } else {
                        p = lp.next(q);
                    }
                }
            }
            node.sync();
            removed += here;
            self.count -= here;
            if self.nodes[i].count() == 0 {
                self.nodes.remove(i);
                self.compress_around(None);
                if from_tail {
                    ni -= 1;
                }
            } else {
                self.compress_around(Some(i));
                ni += if from_tail { -1 } else { 1 };
            }
        }
        removed
    }

    // ---- iteration -----------------------------------------------------

    /// The node after `ni` in the walk's direction, None past either end.
    fn step_node(&self, ni: usize, reverse: bool) -> Option<usize> {
        if reverse {
            ni.checked_sub(1)
        } else {
            Some(ni + 1).filter(|&n| n < self.nodes.len())
        }
    }

    /// Visits elements from `start` (negative from the tail) towards the
    /// tail, or towards the head when `reverse`, until `f` returns false.
    /// Entries borrow from the node (or a temporary copy of a compressed
    /// one): nothing is allocated per element.
    pub fn for_each(&self, start: isize, reverse: bool, mut f: impl FnMut(Entry<'_>) -> bool) {
        let Some((mut ni, off)) = self.locate(start) else {
            return;
        };
        let mut first = Some(off);
        loop {
            let lp = match self.nodes[ni].content() {
                Content::Packed(lp) => lp,
                Content::Plain(b) => {
                    first = None;
                    if !f(Entry::Str(&b)) {
                        return;
                    }
                    match self.step_node(ni, reverse) {
                        Some(n) => ni = n,
                        None => return,
                    }
                    continue;
                }
            };
            let mut p = match first.take() {
                Some(o) => lp.seek(o as isize),
                None if reverse => lp.last(),
                None => lp.first(),
            };
            while let Some(q) = p {
                if !f(lp.get_at(q)) {
                    return;
                }
                p = if reverse { lp.prev(q) } else { lp.next(q) };
            }
            match self.step_node(ni, reverse) {
                Some(n) => ni = n,
                None => return,
            }
        }
    }

    /// Index of the first element equal to `v` (`LINSERT`'s pivot search).
    pub fn position(&self, v: &[u8]) -> Option<usize> {
        let mut i = 0;
        let mut found = false;
        self.for_each(0, false, |e| {
            found = e.eq_bytes(v);
            if !found {
                i += 1;
            }
            !found
        });
        found.then_some(i)
    }

    /// Copies of all elements, head to tail (convenient, allocating).
    pub fn to_vec(&self) -> Vec<Item> {
        let mut v = Vec::with_capacity(self.count);
        self.for_each(0, false, |e| {
            v.push(Item::from_entry(e));
            true
        });
        v
    }

    // ---- internals -----------------------------------------------------

    /// (node, offset in node) of element `index`, seeking from the nearer
    /// end (`quicklistGetIteratorAtIdx`).
    fn locate(&self, index: isize) -> Option<(usize, usize)> {
        let i = if index < 0 {
            self.count as isize + index
        } else {
            index
        };
        if i < 0 || i as usize >= self.count {
            return None;
        }
        let i = i as usize;
        if i <= (self.count - 1) / 2 {
            let mut acc = 0;
            for (ni, n) in self.nodes.iter().enumerate() {
                if acc + n.count() > i {
                    return Some((ni, i - acc));
                }
                acc += n.count();
            }
        } else {
            let mut acc = self.count;
            for ni in (0..self.nodes.len()).rev() {
                acc -= self.nodes[ni].count();
                if acc <= i {
                    return Some((ni, i - acc));
                }
            }
        }
        None
    }

    /// Removes plain node `ni` and returns its element.
    fn pop_plain(&mut self, ni: usize) -> Item {
        let b = self.nodes[ni].take_plain();
        self.count -= 1;
        self.nodes.remove(ni);
        self.compress_around(None);
        Item::Str(b)
    }

    /// After deleting `n` elements from node `ni` through `raw_mut`.
    fn after_delete(&mut self, ni: usize, n: usize) {
        self.count -= n;
        self.nodes[ni].sync();
        if self.nodes[ni].count() == 0 {
            self.nodes.remove(ni);
            self.compress_around(None);
        } else {
            self.compress_around(Some(ni));
        }
    }

    /// `__quicklistCompress`: keep `compress` nodes raw at each end,
    /// compress `node` if it lies beyond them, and compress the first node
    /// past the depth on each side (the one that just crossed over).
    fn compress_around(&mut self, node: Option<usize>) {
        let depth = self.compress as usize;
        let len = self.nodes.len();
        if depth == 0 || len < depth * 2 {
            return;
        }
        for i in 0..depth.min(len) {
            self.nodes[i].decompress();
            self.nodes[len - 1 - i].decompress();
        }
        if len <= depth * 2 {
            return;
        }
        if let Some(n) = node {
            if n >= depth && n < len - depth {
                self.nodes[n].compress();
            }
        }
        self.nodes[depth].compress();
        self.nodes[len - 1 - depth].compress();
    }

    /// `_quicklistMergeNodes` around node `center`: try (prev-prev, prev),
    /// (next, next-next), (prev, center), then (center, next).
    fn merge_around(&mut self, center: usize) {
        let fill = self.fill;
        let mut center = center;
        if center >= 2 && allow_merge(self.nodes.get(center - 2), self.nodes.get(center - 1), fill)
        {
            self.merge_pair(center - 2);
            center -= 1;
        }
        if allow_merge(self.nodes.get(center + 1), self.nodes.get(center + 2), fill) {
            self.merge_pair(center + 1);
        }
        let target = if center >= 1
            && allow_merge(self.nodes.get(center - 1), self.nodes.get(center), fill)
        {
            self.merge_pair(center - 1);
            center - 1
        } else {
            center
        };
        if allow_merge(self.nodes.get(target), self.nodes.get(target + 1), fill) {
            self.merge_pair(target);
        }
    }

    /// Merges node `a + 1` into node `a`, copying the smaller listpack into
    /// the larger as `lpMerge` does.
    fn merge_pair(&mut self, a: usize) {
        let mut right = self.nodes.remove(a + 1).expect("merge: right node");
        let left = &mut self.nodes[a];
        if left.sz() >= right.sz() {
            let r = right.raw_mut().clone();
            left.raw_mut().append(&r);
            left.sync();
        } else {
            let l = std::mem::take(left.raw_mut());
            right.raw_mut().prepend(&l);
            right.sync();
            *left = right;
        }
        self.compress_around(Some(a));
    }
}

impl Quicklist {
    /// Redis's `quicklistRepr` (DEBUG QUICKLIST): the list's and each
    /// node's header fields, and with `full` every node's entries. There
    /// are no bookmarks, and `recompress`/`attempted_compress` are always
    /// 0 (we keep no such transient flags).
    pub fn repr(&self, full: bool) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = write!(
            out,
            "{{count : {}}}\n{{len : {}}}\n{{fill : {}}}\n{{compress : {}}}\n{{bookmark_count : 0}}\n",
            self.count,
            self.nodes.len(),
            self.fill,
            self.compress
        );
        for (i, n) in self.nodes.iter().enumerate() {
            let _ = writeln!(
                out,
                "{{quicklist node({i})\n{{container : {}, encoding: {}, size: {}, count: {}, recompress: 0, attempted_compress: 0}}",
                if n.is_plain() { "PLAIN" } else { "PACKED" },
                if n.is_compressed() { "LZF" } else { "RAW" },
                n.full_sz(),
                n.count()
            );
            if full {
                match n.content() {
                    Content::Packed(lp) => {
                        out.push_str("{ listpack:\n");
                        out.push_str(&lp.repr());
                        out.push_str("}\n");
                    }
                    Content::Plain(b) => {
                        let _ = writeln!(out, "{{ entry : {} }}", String::from_utf8_lossy(&b));
                    }
                }
                out.push_str("}\n");
            }
        }
        out
    }

    /// Heap bytes outside the list header, as Redis's `objectComputeSize`
    /// estimates a quicklist: the spilled node array exactly, plus the mean
    /// storage (allocated listpack, or LZF bytes) of the first `samples`
    /// nodes times the node count. Nodes are filled alike, so a few tell
    /// the whole list; `usize::MAX` sums every node.
    pub fn mem_usage(&self, samples: usize) -> usize {
        let mut sum = 0usize;
        let mut seen = 0usize;
        for n in self.nodes.iter().take(samples) {
            sum += n.storage_bytes();
            seen += 1;
        }
        let nodes = self.nodes.heap_capacity() * std::mem::size_of::<Node>();
        if seen == 0 {
            nodes
        } else {
            nodes + (sum as f64 / seen as f64 * self.nodes.len() as f64) as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::XorShift;

    fn bytes_of(items: Vec<Item>) -> Vec<Vec<u8>> {
        items.into_iter().map(Item::into_bytes).collect()
    }

    fn check(ql: &Quicklist, model: &[Vec<u8>]) {
        assert_eq!(ql.len(), model.len());
        assert_eq!(bytes_of(ql.to_vec()), model);
        let mut back = Vec::new();
        ql.for_each(-1, true, |e| {
            back.push(e.to_vec());
            true
        });
        back.reverse();
        assert_eq!(back, model);
        let sum: usize = ql.nodes.iter().map(|n| n.count()).sum();
        assert_eq!(sum, ql.len());
        for n in ql.nodes.iter() {
            assert!(n.count() > 0, "no empty nodes");
            match n.content() {
                Content::Packed(lp) => {
                    assert_eq!((lp.len(), lp.bytes()), (n.count(), n.sz()));
                    // Only big elements get plain nodes.
                    assert!(lp.iter().all(|e| !is_large(e.to_vec().len())));
                }
                Content::Plain(b) => {
                    assert_eq!((n.count(), n.full_sz()), (1, b.len()));
                    assert!(is_large(b.len()), "a plain node holds a big element");
                }
            }
        }
        // Ends stay raw within the compress depth.
        let d = ql.compress as usize;
        let len = ql.nodes.len();
        for i in 0..d.min(len) {
            assert!(!ql.nodes[i].is_compressed());
            assert!(!ql.nodes[len - 1 - i].is_compressed());
        }
    }

    #[test]
    fn a_one_node_list_allocates_one_node_slot() {
        for head in [true, false] {
            let mut ql = Quicklist::new(-2, 0);
            for v in [b"a".as_ref(), b"bb", b"123"] {
                if head {
                    ql.push_front(v);
                } else {
                    ql.push_back(v);
                }
            }
            assert_eq!(ql.node_count(), 1);
            assert!(matches!(ql.nodes, Nodes::One(_)), "one node lives inline");
        }
        let mut ql = Quicklist::new(1, 0);
        for _ in 0..5 {
            ql.push_back(b"x");
        }
        assert_eq!(ql.to_vec().len(), 5, "growth past one node still works");
        assert_eq!(ql.node_count(), 5);
        for _ in 0..4 {
            ql.pop_front();
        }
        assert!(matches!(ql.nodes, Nodes::One(_)), "back inline at one node");
        ql.pop_front();
        assert!(ql.is_empty() && ql.node_count() == 0);
        ql.push_front(b"again");
        assert_eq!(ql.to_vec().len(), 1);
        assert_eq!(std::mem::size_of::<Node>(), 40, "node header size");
        assert_eq!(std::mem::size_of::<Nodes>(), 40, "one node inline, no tag");
        assert_eq!(std::mem::size_of::<Quicklist>(), 56, "list header size");
    }

    #[test]
    fn fill_limits_split_nodes_as_redis() {
        // -2 = 8 KB per node: 10-byte strings are 12 bytes each in the
        // listpack, and the estimate (sz + 10 + 8) must stay <= 8192.
        let mut ql = Quicklist::new(-2, 0);
        for _ in 0..2000 {
            ql.push_back(b"abcdefghij");
        }
        let first = ql.nodes[0].count();
        // 7 + 12k + 18 <= 8192  =>  k <= 680, so the node holds 681.
        assert_eq!(first, 681);
        assert_eq!(ql.node_count(), 3);
        // Positive fill counts entries.
        let mut ql = Quicklist::new(5, 0);
        for i in 0..12 {
            ql.push_back(i.to_string().as_bytes());
        }
        let counts: Vec<_> = ql.nodes.iter().map(|n| n.count()).collect();
        assert_eq!(counts, [5, 5, 2]);
        // ... with the 8 KB safety limit still applying.
        let mut ql = Quicklist::new(1000, 0);
        for _ in 0..10 {
            ql.push_back(&[b'x'; 3000]);
        }
        assert!(ql.nodes.iter().all(|n| n.sz() <= SIZE_SAFETY_LIMIT));
        assert_eq!(Quicklist::new(-9, 0).fill(), -5);
        assert_eq!(Quicklist::new(1 << 20, -1).fill(), FILL_MAX);
    }

    #[test]
    fn memory_of_a_list_of_small_ints() {
        // 10000 small integers: 2 bytes each in listpacks of <= 8 KB, so
        // about 20 KB plus a handful of nodes.
        let mut ql = Quicklist::default();
        for i in 0..10000 {
            ql.push_back((i % 100).to_string().as_bytes());
        }
        let payload: usize = ql.nodes.iter().map(|n| n.sz()).sum();
        assert_eq!(ql.node_count(), 3);
        assert_eq!(payload, 10000 * 2 + 3 * 7);
        assert!(ql.bytes() < payload + 1024, "{} bytes", ql.bytes());
    }

    #[test]
    fn compression_keeps_ends_raw_and_middle_small() {
        let mut ql = Quicklist::new(-1, 1);
        for i in 0..5000 {
            ql.push_back(format!("item-{:06}", i % 50).as_bytes());
        }
        assert!(ql.node_count() > 4);
        let n = ql.node_count();
        assert!(!ql.nodes[0].is_compressed());
        assert!(!ql.nodes[n - 1].is_compressed());
        assert!(ql.nodes.iter().skip(1).take(n - 2).all(Node::is_compressed));
        let raw: usize = ql.nodes.iter().map(|n| n.sz()).sum();
        assert!(ql.bytes() < raw / 2, "{} vs {}", ql.bytes(), raw);
        assert_eq!(ql.get(2500).unwrap().into_bytes(), b"item-000000");
        assert!(ql.set(2501, b"changed"));
        assert_eq!(ql.get(2501).unwrap().into_bytes(), b"changed");
        assert!(matches!(ql.nodes().nth(1), Some(NodeView::Lzf(..))));
    }

    /// Rebuilds a list from its [`NodeView`]s, as an RDB loader would.
    fn rebuild(ql: &Quicklist) -> Quicklist {
        let mut copy = Quicklist::new(ql.fill(), ql.compress_depth() as i32);
        for n in ql.nodes() {
            match n {
                NodeView::Raw(b) => copy.append_listpack(Listpack::from_bytes(b.to_vec()).unwrap()),
                NodeView::Lzf(z, sz) => copy.append_listpack(
                    Listpack::from_bytes(lzf::decompress(z, sz).unwrap()).unwrap(),
                ),
                NodeView::Plain(b) => copy.append_plain(b),
                NodeView::PlainLzf(z, sz) => copy.append_plain(&lzf::decompress(z, sz).unwrap()),
            }
        }
        copy
    }

    #[test]
    fn nodes_round_trip_through_append_listpack() {
        let mut ql = Quicklist::new(-1, 1);
        for i in 0..3000 {
            ql.push_back(format!("v{}", i % 37).as_bytes());
        }
        assert!(ql.compressed_nodes() > 0);
        let copy = rebuild(&ql);
        assert_eq!(copy.to_vec(), ql.to_vec());
        assert_eq!(copy.node_count(), ql.node_count());
        assert_eq!(copy.position(b"v36"), Some(36));
        assert_eq!(copy.position(b"v37"), None);
        assert_eq!(Quicklist::default().position(b"x"), None);
    }

    #[test]
    fn lrem_semantics() {
        let mut ql = Quicklist::new(3, 0);
        for v in ["a", "b", "a", "c", "a", "1", "a"] {
            ql.push_back(v.as_bytes());
        }
        assert_eq!(ql.remove_matching(b"a", -2), 2);
        assert_eq!(bytes_of(ql.to_vec()), [&b"a"[..], b"b", b"a", b"c", b"1"]);
        assert_eq!(ql.remove_matching(b"a", 1), 1);
        assert_eq!(bytes_of(ql.to_vec()), [&b"b"[..], b"a", b"c", b"1"]);
        assert_eq!(ql.remove_matching(b"01", 0), 0);
        assert_eq!(ql.remove_matching(b"1", 0), 1);
        assert_eq!(ql.remove_matching(b"zz", 0), 0);
        assert_eq!(ql.len(), 3);
    }

    /// Replays the operation stream that `redis-server` 7.0.15 was given
    /// (generated by the same xorshift on both sides: RPUSH, LPUSH,
    /// LINSERT, LSET, LREM, LPOP/RPOP, LTRIM) and compares, every 100
    /// operations, what Redis's `DEBUG OBJECT` reported: `ql_nodes` and
    /// `ql_uncompressed_size` (the sum of node listpack sizes). Equal
    /// numbers mean our nodes fill, split and merge where Redis's do.
    /// (fill, depth, seed, (nodes, uncompressed size) every 100 ops).
    type Replay = (i32, i32, u64, &'static [(usize, usize)]);

    #[test]
    fn node_layout_matches_redis() {
        #[rustfmt::skip]
        let expected: &[Replay] = &[
            (-2, 0, 11, &[(1, 4187), (2, 4123), (2, 5488), (3, 12297), (2, 3656), (2, 10023), (3, 15888), (2, 7788), (2, 8108), (4, 19314), (4, 17082), (4, 23525), (4, 26206), (6, 30642), (5, 29728), (7, 34979), (7, 41407), (9, 49677), (8, 42503), (9, 45605), (10, 49871), (11, 50997), (12, 56725), (13, 63330), (12, 61926), (14, 66915), (14, 71586), (16, 76261), (17, 85270), (18, 98487)]),
            (4, 0, 12, &[(5, 3686), (11, 15569), (17, 19508), (20, 25664), (19, 20705), (21, 24051), (25, 25685), (38, 33971), (45, 45594), (50, 49485), (52, 45623), (60, 57865), (62, 60254), (63, 59915), (67, 66594), (76, 75832), (78, 84609), (79, 80715), (89, 82618), (91, 96079), (96, 99130), (101, 99400), (98, 97023), (95, 90068), (101, 98972), (109, 109033), (108, 101979), (111, 104873), (113, 102300), (117, 108564)]),
            (-1, 1, 13, &[(3, 8567), (10, 24578), (11, 19126), (10, 22320), (14, 31226), (10, 20504), (13, 31499), (14, 30163), (15, 35888), (20, 50223), (20, 47440), (23, 54915), (21, 52938), (20, 45990), (20, 49859), (21, 56794), (22, 56309), (23, 53961), (21, 51165), (22, 58562), (22, 55518), (24, 62479), (26, 72108), (26, 64858), (29, 67350), (30, 66968), (28, 52295), (30, 59414), (32, 64745), (35, 70877)]),
            (2, 2, 14, &[(7, 2383), (25, 15264), (35, 20072), (44, 20188), (40, 16072), (56, 29127), (66, 26333), (72, 30853), (74, 33944), (79, 34590), (94, 57842), (103, 54606), (104, 55463), (114, 61715), (123, 61776), (132, 63239), (142, 65003), (143, 60710), (148, 79954), (155, 83749), (174, 94702), (189, 94778), (197, 103276), (207, 115444), (213, 113676), (212, 117855), (221, 120552), (225, 121428), (231, 125949), (232, 126434)]),
        ];
        fn val(r: &mut XorShift) -> Vec<u8> {
            match r.below(4) {
                0 => r.below(1000).to_string().into_bytes(),
                1 => vec![b'x'; r.below(300) as usize],
                2 => format!("m{}", r.below(50)).into_bytes(),
                _ => vec![b'y'; 100 + r.below(2000) as usize],
            }
        }
        for &(fill, depth, seed, want) in expected {
            let mut r = XorShift::new(seed);
            let mut ql = Quicklist::new(fill, depth);
            let mut model: Vec<Vec<u8>> = Vec::new();
            let mut got = Vec::new();
            for step in 0..3000 {
                let n = model.len();
                match r.below(10) {
                    0..=2 => {
                        let v = val(&mut r);
                        ql.push_back(&v);
                        model.push(v);
                    }
                    3 | 4 => {
                        let v = val(&mut r);
                        ql.push_front(&v);
                        model.insert(0, v);
                    }
                    5 if n > 0 => {
                        let piv = model[r.below(n as u64) as usize].clone();
                        let after = r.below(2) == 0;
                        let v = val(&mut r);
                        let j = ql.position(&piv).expect("pivot is in the list");
                        assert_eq!(model.iter().position(|m| *m == piv), Some(j));
                        ql.insert(j, &v, after);
                        model.insert(if after { j + 1 } else { j }, v);
                    }
                    6 if n > 0 => {
                        let i = r.below(n as u64) as usize;
                        let v = val(&mut r);
                        assert!(ql.set(i as isize, &v));
                        model[i] = v;
                    }
                    7 if n > 0 => {
                        let c = r.below(5) as i64 - 2;
                        let v = model[r.below(n as u64) as usize].clone();
                        let k = ql.remove_matching(&v, c);
                        let before = model.len();
                        let limit = if c == 0 {
                            usize::MAX
                        } else {
                            c.unsigned_abs() as usize
                        };
                        let mut left = limit;
                        if c >= 0 {
                            model.retain(|m| {
                                !(m == &v && left > 0 && {
                                    left -= 1;
                                    true
                                })
                            });
                        } else {
                            let mut rev: Vec<_> = model.drain(..).rev().collect();
                            rev.retain(|m| {
                                !(m == &v && left > 0 && {
                                    left -= 1;
                                    true
                                })
                            });
                            model = rev.into_iter().rev().collect();
                        }
                        assert_eq!(k, before - model.len());
                    }
                    8 => {
                        if r.below(2) == 0 {
                            ql.pop_front();
                            if !model.is_empty() {
                                model.remove(0);
                            }
                        } else {
                            ql.pop_back();
                            model.pop();
                        }
                    }
                    9 => {
                        // LTRIM start end, as ltrimCommand turns it into
                        // two range deletions.
                        let start = r.below(4) as i64;
                        let end = -1 - r.below(4) as i64;
                        let len = ql.len() as i64;
                        let end = len + end;
                        let (ltrim, rtrim) = if start > end || start >= len {
                            (len, 0)
                        } else {
                            (start, len - end - 1)
                        };
                        ql.delete_range(0, ltrim as usize);
                        ql.delete_range(-rtrim as isize, rtrim as usize);
                        if start > end || start >= len {
                            model.clear();
                        } else {
                            model = model[start as usize..=end as usize].to_vec();
                        }
                    }
                    _ => {}
                }
                if step % 100 == 99 {
                    got.push((ql.node_count(), ql.uncompressed_bytes()));
                    assert_eq!(ql.len(), model.len());
                }
            }
            check(&ql, &model);
            assert_eq!(got, want, "fill {fill} depth {depth}");
        }
    }

    fn random_value(rng: &mut XorShift) -> Vec<u8> {
        match rng.below(5) {
            0 => rng.below(1000).to_string().into_bytes(),
            1 => vec![b'a' + rng.below(3) as u8; 1 + rng.below(3) as usize],
            2 => vec![b'x'; rng.below(600) as usize],
            3 => (rng.next_u64() as i64).to_string().into_bytes(),
            _ => b"pivot".to_vec(),
        }
    }

    fn run_model(fill: i32, depth: i32, seed: u64, steps: usize) {
        let mut rng = XorShift::new(seed);
        let mut ql = Quicklist::new(fill, depth);
        let mut model: Vec<Vec<u8>> = Vec::new();
        for step in 0..steps {
            let n = model.len();
            match rng.below(18) {
                0..=4 => {
                    let v = random_value(&mut rng);
                    ql.push_back(&v);
                    model.push(v);
                }
                5..=8 => {
                    let v = random_value(&mut rng);
                    ql.push_front(&v);
                    model.insert(0, v);
                }
                9 => {
                    let got = ql.pop_front().map(Item::into_bytes);
                    let want = (!model.is_empty()).then(|| model.remove(0));
                    assert_eq!(got, want);
                }
                10 => assert_eq!(ql.pop_back().map(Item::into_bytes), model.pop()),
                11..=13 if n > 0 => {
                    let i = rng.below(n as u64) as usize;
                    let after = rng.below(2) == 0;
                    let v = random_value(&mut rng);
                    ql.insert(i, &v, after);
                    model.insert(if after { i + 1 } else { i }, v);
                }
                14 if n > 0 => {
                    let i = rng.below(n as u64) as isize;
                    let idx = if rng.below(2) == 0 { i } else { i - n as isize };
                    let v = random_value(&mut rng);
                    assert!(ql.set(idx, &v));
                    model[i as usize] = v;
                    assert!(!ql.set(n as isize, b"x"));
                }
                15 if n > 0 => {
                    let i = rng.below(n as u64) as usize;
                    let big = rng.below(10) == 0;
                    let k = rng.below(if big { 300 } else { 5 }) as usize;
                    let start = if rng.below(2) == 0 {
                        i as isize
                    } else {
                        i as isize - n as isize
                    };
                    let got = ql.delete_range(start, k);
                    let k = k.min(n - i);
                    assert_eq!(got, k);
                    model.drain(i..i + k);
                }
                16 if rng.below(3) == 0 => {
                    let v = random_value(&mut rng);
                    let c = rng.below(5) as i64 - 2;
                    let limit = if c == 0 {
                        usize::MAX
                    } else {
                        c.unsigned_abs() as usize
                    };
                    let mut want = 0;
                    if c >= 0 {
                        let mut i = 0;
                        while i < model.len() && want < limit {
                            if model[i] == v {
                                model.remove(i);
                                want += 1;
                            } else {
                                i += 1;
                            }
                        }
                    } else {
                        let mut i = model.len();
                        while i > 0 && want < limit {
                            i -= 1;
                            if model[i] == v {
                                model.remove(i);
                                want += 1;
                            }
                        }
                    }
                    assert_eq!(ql.remove_matching(&v, c), want, "step {step}");
                }
                _ if n > 0 => {
                    let i = rng.below(n as u64) as usize;
                    assert_eq!(ql.get(i as isize).unwrap().into_bytes(), model[i]);
                    assert_eq!(
                        ql.get(i as isize - n as isize).unwrap().into_bytes(),
                        model[i]
                    );
                    assert_eq!(ql.get(n as isize), None);
                    assert_eq!(ql.get(-(n as isize) - 1), None);
                }
                _ => {}
            }
            if step % 40 == 0 {
                check(&ql, &model);
            }
            if model.len() > 3000 {
                ql.delete_range(0, 2000);
                model.drain(0..2000);
            }
        }
        check(&ql, &model);
    }

    #[test]
    fn random_operations_match_vec_model() {
        for (fill, depth, seed) in [(-2, 0, 1), (4, 0, 2), (-1, 1, 3), (3, 2, 4), (-5, 0, 5)] {
            run_model(fill, depth, seed, 8000);
        }
    }

    /// Sets the (thread-local) threshold for one test and restores it.
    struct Threshold;
    impl Threshold {
        fn set(sz: u64) -> Threshold {
            assert!(set_packed_threshold(sz));
            Threshold
        }
    }
    impl Drop for Threshold {
        fn drop(&mut self) {
            set_packed_threshold(0);
        }
    }

    /// The same random operations with a threshold inside the range of
    /// the values' sizes (0 to 600 bytes), so plain and packed nodes mix,
    /// are inserted next to each other, split around, replaced by each
    /// other, compressed and deleted.
    #[test]
    fn plain_nodes_match_vec_model() {
        for (threshold, fill, depth, seed) in [
            (1, -2, 0, 11),
            (20, -2, 0, 12),
            (20, 4, 1, 13),
            (100, -1, 2, 14),
            (300, 3, 1, 15),
            (5, 1, 0, 16),
            (50, 128, 3, 17),
        ] {
            let _t = Threshold::set(threshold);
            run_model(fill, depth, seed, 6000);
        }
    }

    #[test]
    fn plain_nodes_round_trip_and_compress() {
        let _t = Threshold::set(100);
        let mut ql = Quicklist::new(-2, 1);
        for i in 0..40 {
            ql.push_back(format!("small-{i}").as_bytes());
            ql.push_back(&[b'a' + (i % 26) as u8; 500]);
        }
        // Small elements between plain nodes each get a listpack.
        assert_eq!(ql.node_count(), 80);
        assert_eq!(ql.plain_nodes(), 40);
        // Interior plain nodes of repeated bytes compress.
        assert!(
            ql.nodes
                .iter()
                .filter(|n| n.is_plain() && n.is_compressed())
                .count()
                >= 38
        );
        assert!(ql.nodes().any(|n| matches!(n, NodeView::PlainLzf(..))));
        let copy = rebuild(&ql);
        assert_eq!(copy.to_vec(), ql.to_vec());
        assert_eq!(copy.plain_nodes(), 40);
        assert_eq!(copy.uncompressed_bytes(), ql.uncompressed_bytes());
        assert_eq!(ql.get(41).unwrap().into_bytes(), vec![b'a' + 20; 500]);
        assert_eq!(ql.position(&[b'c'; 500]), Some(5));
        assert_eq!(ql.remove_matching(&[b'c'; 500], 0), 2);
        assert_eq!(ql.len(), 78);
        let repr = ql.repr(true);
        assert!(repr.starts_with("{count : 78}\n{len : 78}\n"));
        assert!(repr.contains("{container : PLAIN, encoding: LZF, size: 500, count: 1,"));
        assert!(repr.contains("{container : PACKED, encoding: RAW, size: 16, count: 1,"));
    }

    /// Layouts Redis 7.0.15 builds for the cases of `_quicklistInsert` and
    /// `quicklistReplaceEntry` with big elements (seen with DEBUG QUICKLIST
    /// and the ql_nodes of DEBUG OBJECT).
    #[test]
    fn plain_node_placement_follows_redis() {
        fn shape(ql: &Quicklist) -> Vec<(bool, usize)> {
            ql.nodes.iter().map(|n| (n.is_plain(), n.count())).collect()
        }
        let _t = Threshold::set(10);
        let big = [b'x'; 10];
        // Pushes: a plain node at the end, small ones start a new listpack.
        let mut ql = Quicklist::default();
        ql.push_back(b"a");
        ql.push_back(&big);
        ql.push_back(b"b");
        ql.push_front(&big);
        assert_eq!(shape(&ql), [(true, 1), (false, 1), (true, 1), (false, 1)]);
        // Insert inside a listpack splits it around the plain node.
        let mut ql = Quicklist::default();
        for v in [b"a", b"b", b"c", b"d"] {
            ql.push_back(v);
        }
        ql.insert(1, &big, true);
        assert_eq!(shape(&ql), [(false, 2), (true, 1), (false, 2)]);
        ql.insert(4, &big, false);
        assert_eq!(
            shape(&ql),
            [(false, 2), (true, 1), (false, 1), (true, 1), (false, 1)]
        );
        // At a listpack's edge: next to it, no split.
        ql.insert(0, &big, false);
        ql.insert(6, &big, true);
        assert_eq!(shape(&ql).len(), 7);
        assert_eq!(
            bytes_of(ql.to_vec()),
            [&big[..], b"a", b"b", &big, b"c", &big, b"d", &big]
        );
        // Small inserts around a plain node go to the neighbour listpack.
        let mut ql = Quicklist::default();
        ql.push_back(b"a");
        ql.push_back(&big);
        ql.push_back(b"z");
        ql.insert(1, b"b", false);
        ql.insert(2, b"y", true);
        assert_eq!(shape(&ql), [(false, 2), (true, 1), (false, 2)]);
        // LSET: "Crash due to split quicklist node wrongly" (list.tcl).
        let mut ql = Quicklist::default();
        ql.push_front(b"aa");
        ql.push_front(b"bb");
        assert!(ql.set(-2, &big));
        assert_eq!(shape(&ql), [(true, 1), (false, 1)]);
        assert_eq!(ql.pop_back().unwrap().into_bytes(), b"aa");
        assert_eq!(bytes_of(ql.to_vec()), [&big[..]]);
        // LSET in the middle of a listpack: split, plain node between.
        let mut ql = Quicklist::default();
        for v in [b"aa", b"bb", b"cc", b"dd", b"ee"] {
            ql.push_back(v);
        }
        assert!(ql.set(2, &big));
        assert_eq!(shape(&ql), [(false, 2), (true, 1), (false, 2)]);
        // Plain over plain stays in place; small over plain joins the
        // next listpack.
        assert!(ql.set(2, &[b'y'; 12]));
        assert_eq!(shape(&ql), [(false, 2), (true, 1), (false, 2)]);
        assert!(ql.set(2, b"cc"));
        assert_eq!(shape(&ql), [(false, 2), (false, 3)]);
        assert_eq!(
            bytes_of(ql.to_vec()),
            [&b"aa"[..], b"bb", b"cc", b"dd", b"ee"]
        );
        // LSET of the last element of a compressed list's tail listpack.
        let _t = Threshold::set(100);
        let mut ql = Quicklist::new(-2, 1);
        ql.push_back(&[b'x'; 100]);
        ql.push_back(&[b'x'; 32]);
        ql.push_back(&[b'x'; 32]);
        assert!(ql.set(-1, &[b'x'; 100]));
        assert_eq!(shape(&ql), [(true, 1), (false, 1), (true, 1)]);
    }

    /// Redis's own quicklist.c tests of plain nodes ("Comprassion Plain
    /// node", "NEXT plain node", "rotate plain node"), at several depths.
    #[test]
    fn redis_quicklist_c_plain_node_tests() {
        for depth in [0, 1, 2, 3, 4, 5, 6, 10] {
            let t = Threshold::set(1);
            let mut ql = Quicklist::new(-2, depth);
            for i in 0..500 {
                // 256 bytes: "hello<i>" then zeros, as the C test's buffer.
                let mut v = format!("hello{i}").into_bytes();
                v.resize(256, 0);
                ql.push_front(&v);
            }
            let mut i = 0;
            ql.for_each(-1, true, |e| {
                let mut want = format!("hello{i}").into_bytes();
                want.resize(256, 0);
                assert_eq!(e, Entry::Str(&want));
                i += 1;
                true
            });
            assert_eq!(i, 500);
            if depth > 0 {
                assert_eq!(ql.compressed_nodes(), 500 - 2 * depth as usize);
            }
            drop(t);

            let t = Threshold::set(3);
            let mut ql = Quicklist::new(-2, depth);
            let strings: [&[u8]; 5] = [b"hello1", b"hello2", b"h3", b"h4", b"hello5"];
            for s in strings {
                ql.push_front(s);
            }
            let mut got = Vec::new();
            ql.for_each(-1, true, |e| {
                got.push(e.to_vec());
                true
            });
            assert_eq!(got, strings);
            assert_eq!(ql.node_count(), 4, "h4 and h3 share a listpack");
            drop(t);

            let _t = Threshold::set(5);
            let mut ql = Quicklist::new(-2, depth);
            for s in [b"hello1", b"hello4", b"hello3", b"hello2"] {
                ql.push_front(s);
            }
            // quicklistRotate: the tail element moves to the head.
            let tail = ql.pop_back().unwrap().into_bytes();
            ql.push_front(&tail);
            for i in 1..5u8 {
                assert_eq!(ql.pop_front().unwrap().into_bytes()[5], b'0' + i);
            }
            assert!(ql.is_empty() && ql.node_count() == 0);
        }
    }

    #[test]
    fn threshold_limits() {
        let _t = Threshold::set(1);
        assert_eq!(packed_threshold(), 1);
        assert!(set_packed_threshold((1 << 32) - (1 << 20)));
        assert!(!set_packed_threshold((1 << 32) - (1 << 20) + 1));
        assert_eq!(packed_threshold(), (1 << 32) - (1 << 20));
        assert!(set_packed_threshold(0));
        assert_eq!(packed_threshold(), DEFAULT_PACKED_THRESHOLD);
    }
}
