//! The keyspace hash table (Redis's `dict.c`).
//!
//! A Redis database is one big hash table from key to value. A general map
//! (std's `HashMap`) would work, but three things the server needs are out
//! of its reach, so, as Redis does, we keep our own:
//!
//! * **Growth never stops the world.** A table that doubles by moving a
//!   million entries at once freezes every client for tens of milliseconds.
//!   Here, as in `dict.c`, a resize allocates the new bucket array and then
//!   *incrementally rehashes*: every operation moves one bucket from the old
//!   table (`ht[0]`) to the new one (`ht[1]`), and the cron moves batches of
//!   100 buckets for up to a millisecond. While both tables are live, a key
//!   lives in the old table if rehash has not reached its old bucket yet and
//!   in the new one if it has, so a lookup reads one bucket and an insert
//!   goes where the key belongs (`table_for`). A table under 10% full is
//!   shrunk the same way (from the cron, as Redis's `tryResizeHashTables`).
//!   Rehash prefetches the entries of the buckets ahead of it (see
//!   `rehash_prefetch`), which makes moving a large table four times faster,
//!   and hands the old array's emptied pages back to the kernel as it goes
//!   (`Table::release_moved`), so that freeing a 64 MB array at the end is
//!   not a 4 ms stop of its own.
//! * **SCAN's guarantee**: every key present for the whole duration of a
//!   scan is returned at least once, even if the table grows or shrinks
//!   between calls. Bucket arrays are powers of two and the cursor is
//!   incremented in *reverse binary* (high bit first), Pieter Noordhuis's
//!   `dictScan` trick: the buckets a cursor has visited in a small table are
//!   exactly the "prefix-visited" buckets of any larger or smaller table, so
//!   a resize neither skips nor (much) repeats buckets.
//! * **O(1) random sampling** (RANDOMKEY, eviction, expiry statistics): pick a
//!   random non-empty bucket, then a random entry of its chain
//!   (`dictGetRandomKey`), or walk a few consecutive buckets from a random
//!   place (`dictGetSomeKeys`).
//!
//! ## Memory: one allocation per key
//!
//! Memory per key is a first-class figure. Redis 7.0 spends, per string key,
//! a `dictEntry` (24 B: key pointer, value pointer, next), an sds key
//! (header + bytes + NUL) and a `robj` with an embedded string (16 B header +
//! sds), three allocations that the allocator rounds up separately, plus 8 B of
//! bucket: about 120 B for an 11-byte key and a 32-byte value (137 B
//! measured with redis-benchmark's 16-byte keys). Here an entry
//! is **one** allocation:
//!
//! ```text
//!  0        8                         48        52        56         56|64
//!  | next   | value: V (40 B for Value) | key_len | meta    | [deadline] | key bytes ...
//! ```
//!
//! `meta` packs the 24-bit LRU clock (Redis's `robj.lru`) and flag bits;
//! the 8-byte deadline exists only in entries of volatile keys (the flag
//! `HAS_SLOT` says so), so keys without a TTL pay nothing for expiry and a
//! lookup reads its key's deadline from the entry it already found, where
//! Redis does a second lookup in its `expires` dict. Setting the first TTL
//! of a key reallocates its entry 8 bytes larger and relinks it. A 16-byte
//! key with a 32-byte value is 56 + 16 = 72 bytes, which glibc serves from
//! an 80-byte chunk; with the 8-byte bucket slot, 88 bytes per key.
//!
//! The hash does not live in the entry (that would be 8 more bytes); rehash
//! recomputes it, as Redis does.
//!
//! Measured (`redis-benchmark -t set -r 1000000 -d 32 -P 16 -n 5000000`,
//! ~993,000 keys of 16 bytes, RSS after minus before): Redis 7.0.15 (Debian
//! build, jemalloc 5.3) 141 B per key (used_memory 137 B), reddish with
//! glibc malloc 89 B (used_memory 89 B). With a TTL on every key (the entry grows by 8 bytes and the timer
//! wheel adds 16): Redis 201 B, reddish 123 B of total RSS per key.
//!
//! ## The hash function
//!
//! SipHash-1-3 with a 128-bit key drawn at random once per process.
//! Clients choose the keys, and with an unkeyed or weak hash an attacker
//! can send keys that all land in one chain and turn every lookup into a
//! linear walk (hash flooding); a keyed PRF with a secret key stops that.
//! Redis uses SipHash-1-2 (`siphash.c`: one compression round, two
//! finalization rounds, chosen because 2-4 cost it ~4%); we add one
//! finalization round, the 1-3 variant Rust's std and CPython use, for about
//! a nanosecond per key. It costs ~15 ns for a short key; a faster
//! non-cryptographic hash would save a few nanoseconds of a ~1 µs command
//! while giving up the flooding guarantee, so we keep SipHash.
//!
//! ## Safety
//!
//! Entries are raw heap blocks (`std::alloc`) linked by raw pointers, so this
//! module has `unsafe` code; it is all here, behind a safe API, and every
//! entry is owned by exactly one bucket chain of exactly one table. A
//! pointer to an entry is stable while the entry lives (rehash relinks
//! entries, it never moves them), except when a deadline slot is added.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::marker::PhantomData;
use std::mem::{align_of, size_of};
use std::ptr::{self, NonNull};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Tables from this many buckets get their pipelined lookups prefetched.
const PREFETCH_MIN_BUCKETS: usize = 1 << 20;

/// How many buckets ahead rehash prefetches entries.
const REHASH_PREFETCH: usize = 16;

/// Asks the CPU to start loading the cache line at `p` (a hint: it never
/// faults, null and dangling pointers included).
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetch is a hint and does not dereference the pointer.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Prefetches an entry's header and the first bytes of its key, which
/// start at offset 56 and so usually sit on the next cache line.
#[inline(always)]
fn prefetch_entry<T>(p: *const T) {
    // A null pointer is skipped: a prefetch of an unmapped page still costs
    // a page walk.
    if p.is_null() {
        return;
    }
    prefetch(p);
    prefetch((p as *const u8).wrapping_add(64));
}

/// Smallest non-empty table (Redis's `DICT_HT_INITIAL_SIZE`).
const INITIAL_SIZE: usize = 4;
/// Shrink when fewer than this percent of buckets are used (`HASHTABLE_MIN_FILL`).
const MIN_FILL_PERCENT: usize = 10;

/// Low 24 bits of `meta`: the LRU clock (or LFU data) of the entry.
pub const LRU_MASK: u32 = (1 << 24) - 1;
/// The entry carries an 8-byte deadline slot before its key.
const HAS_SLOT: u32 = 1 << 24;
/// The deadline slot holds a live deadline (the key is volatile).
const VOLATILE: u32 = 1 << 25;

#[repr(C)]
struct Entry<V> {
    next: *mut Entry<V>,
    value: V,
    key_len: u32,
    meta: u32,
}

impl<V> Entry<V> {
    const HDR: usize = size_of::<Entry<V>>();

    fn layout(has_slot: bool, key_len: usize) -> Layout {
        let size = Self::HDR + if has_slot { 8 } else { 0 } + key_len;
        match Layout::from_size_align(size, align_of::<Entry<V>>()) {
            Ok(l) => l,
            Err(_) => handle_alloc_error(Layout::new::<Entry<V>>()),
        }
    }

    /// Allocates an entry; `next` is null.
    fn alloc(key: &[u8], value: V, meta: u32, deadline: Option<i64>) -> NonNull<Entry<V>> {
        let has_slot = deadline.is_some();
        let layout = Self::layout(has_slot, key.len());
        // SAFETY: the layout has a non-zero size (the header); every byte we
        // later read is written here first.
        unsafe {
            let p = alloc(layout) as *mut Entry<V>;
            let Some(nn) = NonNull::new(p) else {
                handle_alloc_error(layout)
            };
            ptr::write(
                p,
                Entry {
                    next: ptr::null_mut(),
                    value,
                    key_len: key.len() as u32,
                    meta: (meta & !(HAS_SLOT | VOLATILE))
                        | if has_slot { HAS_SLOT | VOLATILE } else { 0 },
                },
            );
            let base = p as *mut u8;
            if let Some(d) = deadline {
                ptr::write_unaligned(base.add(Self::HDR) as *mut i64, d);
            }
            ptr::copy_nonoverlapping(key.as_ptr(), Self::key_ptr(p), key.len());
            nn
        }
    }

    /// # Safety
    /// `p` points to a live entry.
    unsafe fn key_ptr(p: *mut Entry<V>) -> *mut u8 {
        let slot = if (*p).meta & HAS_SLOT != 0 { 8 } else { 0 };
        (p as *mut u8).add(Self::HDR + slot)
    }

    /// # Safety
    /// `p` points to a live entry and the returned slice does not outlive it.
    unsafe fn key<'a>(p: *const Entry<V>) -> &'a [u8] {
        std::slice::from_raw_parts(Self::key_ptr(p as *mut _), (*p).key_len as usize)
    }

    /// # Safety
    /// `p` points to a live entry.
    unsafe fn deadline(p: *const Entry<V>) -> Option<i64> {
        if (*p).meta & VOLATILE != 0 {
            Some(ptr::read_unaligned(
                (p as *const u8).add(Self::HDR) as *const i64
            ))
        } else {
            None
        }
    }

    /// Frees the block without dropping the value (it was moved out).
    ///
    /// # Safety
    /// `p` is live, unlinked, and its value has been read out or dropped.
    unsafe fn free_block(p: *mut Entry<V>) {
        let layout = Self::layout((*p).meta & HAS_SLOT != 0, (*p).key_len as usize);
        dealloc(p as *mut u8, layout);
    }

    /// Drops the value and frees the block.
    ///
    /// # Safety
    /// `p` is live and unlinked.
    unsafe fn destroy(p: *mut Entry<V>) {
        ptr::drop_in_place(&mut (*p).value);
        Self::free_block(p);
    }
}

struct Table<V> {
    buckets: Vec<*mut Entry<V>>,
    used: usize,
    /// Buckets below this index have had their pages handed back to the
    /// kernel (see `release_moved`).
    released: usize,
}

/// How many moved buckets (8 bytes each) gather before their pages are
/// handed back: 512 KB, 128 pages, one `madvise` of about 30 µs.
const RELEASE_CHUNK: usize = 64 * 1024;
/// The kernel's page, the unit `madvise` hands back.
const PAGE: usize = 4096;

impl<V> Table<V> {
    fn empty() -> Table<V> {
        Table {
            buckets: Vec::new(),
            used: 0,
            released: 0,
        }
    }

    fn with_size(n: usize) -> Table<V> {
        Table {
            buckets: zeroed_buckets(n),
            used: 0,
            released: 0,
        }
    }

    /// Returns to the kernel the whole pages of the old table that rehash
    /// has already emptied, every `RELEASE_CHUNK` buckets.
    ///
    /// When rehash finishes, the old bucket array is freed at once, and a
    /// big one is its own `mmap`ed block: unmapping 64 MB of resident pages
    /// (an 8M-bucket table) takes the kernel 3-4 ms, measured here as a
    /// 4.2 ms loop iteration in the middle of a growth benchmark, every
    /// reply of that iteration waiting for it. Released as rehash goes, in
    /// steps of 128 pages, the same work is spread over the whole move, the
    /// final free unmaps pages that are no longer there, and the old
    /// table's memory leaves RSS while the new one fills.
    ///
    /// `MADV_DONTNEED` on private anonymous memory drops the pages; a later
    /// read finds zero-filled pages. Every bucket below `idx` is null, which
    /// is all zero bits, so the array reads the same either way, and only
    /// pages wholly inside it are touched (never a page it shares with
    /// another allocation).
    fn release_moved(&mut self, idx: usize) {
        if idx < self.released + RELEASE_CHUNK || !self.releases_pages() {
            return;
        }
        debug_assert!(self.buckets[self.released..idx].iter().all(|b| b.is_null()));
        if let Some(end) = self.release_pages(self.released, idx) {
            // Up to the page boundary, so the next step starts on one and
            // the page across it is not skipped.
            self.released = end;
        }
    }

    /// Hands back the whole pages inside buckets `from..to` of the array's
    /// allocation (its capacity, so popped slots count), which must all be
    /// null or unused. Returns the bucket index where the released pages
    /// end, or None if the range holds no whole page.
    fn release_pages(&self, from: usize, to: usize) -> Option<usize> {
        let slot = size_of::<*mut Entry<V>>();
        let to = to.min(self.buckets.capacity());
        let base = self.buckets.as_ptr() as usize;
        let start = (base + from * slot).next_multiple_of(PAGE);
        let end = (base + to * slot) & !(PAGE - 1);
        if end <= start {
            return None;
        }
        // SAFETY: [start, end) lies inside this table's own allocation and
        // holds only null or unused buckets, which read back the same from
        // the zero pages the kernel maps in after MADV_DONTNEED (private
        // anonymous memory). A failure (not expected) only leaves the pages
        // resident.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
        }
        Some((end - base) / slot)
    }

    /// Arrays this big hand back their emptied pages as they go; smaller
    /// ones are freed whole, cheaply.
    fn releases_pages(&self) -> bool {
        self.buckets.capacity() >= 2 * RELEASE_CHUNK
    }

    #[inline]
    fn size(&self) -> usize {
        self.buckets.len()
    }

    #[inline]
    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }
}

/// The per-process SipHash key.
fn seed() -> (u64, u64) {
    static SEED: OnceLock<(u64, u64)> = OnceLock::new();
    *SEED.get_or_init(|| {
        use std::hash::BuildHasher;
        // std's RandomState draws its keys from the OS's random source.
        let a = std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64);
        let b = std::collections::hash_map::RandomState::new().hash_one(0xd1c7_u64);
        (a, b ^ crate::server::unix_us() as u64)
    })
}

#[inline(always)]
fn sip_round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13);
    v[1] ^= v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16);
    v[3] ^= v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21);
    v[3] ^= v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17);
    v[1] ^= v[2];
    v[2] = v[2].rotate_left(32);
}

/// SipHash-C-D of `data` under the key `(k0, k1)`.
#[inline]
fn siphash<const C: usize, const D: usize>(k0: u64, k1: u64, data: &[u8]) -> u64 {
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let m = u64::from_le_bytes(w);
        v[3] ^= m;
        for _ in 0..C {
            sip_round(&mut v);
        }
        v[0] ^= m;
    }
    let mut b = (data.len() as u64) << 56;
    for (i, &x) in chunks.remainder().iter().enumerate() {
        b |= (x as u64) << (8 * i);
    }
    v[3] ^= b;
    for _ in 0..C {
        sip_round(&mut v);
    }
    v[0] ^= b;
    v[2] ^= 0xff;
    for _ in 0..D {
        sip_round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// The keyspace hash of `key` (SipHash-1-3, per-process random key).
#[inline]
/// A bucket array of `n` null pointers straight from `calloc`. `vec![null;
/// n]` is not specialised to a zeroed allocation for pointers to a generic
/// type and wrote every bucket (measured 5 ms for 1M buckets, 23 ms for 4M:
/// the reply that triggered a resize waited that long). Fresh zeroed pages
/// are instead faulted in one by one as the incremental rehash reaches them.
fn zeroed_buckets<V>(n: usize) -> Vec<*mut Entry<V>> {
    if n == 0 {
        return Vec::new();
    }
    let layout =
        std::alloc::Layout::array::<*mut Entry<V>>(n).expect("bucket array fits in memory");
    // SAFETY: the layout is non-empty; a null pointer is all zero bits, so
    // the zeroed block is `n` initialised null pointers, allocated by the
    // global allocator with exactly the layout `Vec` will free it with.
    unsafe {
        let p = std::alloc::alloc_zeroed(layout) as *mut *mut Entry<V>;
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        Vec::from_raw_parts(p, n, n)
    }
}

pub fn hash_key(key: &[u8]) -> u64 {
    let (k0, k1) = seed();
    siphash::<1, 3>(k0, k1, key)
}

/// Read access to one entry.
pub struct EntryRef<'a, V> {
    p: NonNull<Entry<V>>,
    _l: PhantomData<&'a Entry<V>>,
}

impl<'a, V> EntryRef<'a, V> {
    pub fn key(&self) -> &'a [u8] {
        // SAFETY: the entry lives as long as the dict borrow 'a.
        unsafe { Entry::key(self.p.as_ptr()) }
    }

    pub fn value(&self) -> &'a V {
        // SAFETY: as above.
        unsafe { &(*self.p.as_ptr()).value }
    }

    /// Unix ms deadline, if the key is volatile.
    pub fn deadline(&self) -> Option<i64> {
        // SAFETY: as above.
        unsafe { Entry::deadline(self.p.as_ptr()) }
    }

    /// The 24-bit LRU/LFU field.
    pub fn lru(&self) -> u32 {
        // SAFETY: as above.
        unsafe { (*self.p.as_ptr()).meta & LRU_MASK }
    }
}

/// Write access to one entry, able to remove it.
pub struct EntryMut<'a, V> {
    dict: &'a mut Dict<V>,
    /// The pointer that points at the entry: a bucket slot or a `next` field.
    link: *mut *mut Entry<V>,
    table: usize,
}

impl<'a, V> EntryMut<'a, V> {
    #[inline]
    fn ptr(&self) -> *mut Entry<V> {
        // SAFETY: `link` is valid while we hold the dict mutably.
        unsafe { *self.link }
    }

    pub fn key(&self) -> &[u8] {
        // SAFETY: the entry is live while we hold the dict.
        unsafe { Entry::key(self.ptr()) }
    }

    pub fn value(&self) -> &V {
        // SAFETY: as above.
        unsafe { &(*self.ptr()).value }
    }

    pub fn value_mut(&mut self) -> &mut V {
        // SAFETY: as above, and we hold the dict exclusively.
        unsafe { &mut (*self.ptr()).value }
    }

    pub fn into_value(self) -> &'a V {
        // SAFETY: the entry lives as long as the dict borrow 'a.
        unsafe { &(*self.ptr()).value }
    }

    pub fn into_value_mut(self) -> &'a mut V {
        // SAFETY: as above; self is consumed, so the borrow is unique.
        unsafe { &mut (*self.ptr()).value }
    }

    pub fn deadline(&self) -> Option<i64> {
        // SAFETY: live entry.
        unsafe { Entry::deadline(self.ptr()) }
    }

    pub fn lru(&self) -> u32 {
        // SAFETY: live entry.
        unsafe { (*self.ptr()).meta & LRU_MASK }
    }

    pub fn set_lru(&mut self, lru: u32) {
        // SAFETY: live entry, exclusive access.
        unsafe {
            let e = self.ptr();
            (*e).meta = ((*e).meta & !LRU_MASK) | (lru & LRU_MASK);
        }
    }

    /// Sets or clears the deadline. Returns the previous one.
    pub fn set_deadline(&mut self, deadline: Option<i64>) -> Option<i64> {
        let e = self.ptr();
        // SAFETY: live entry, exclusive access; when the block is
        // reallocated the link is repointed before anyone reads it.
        unsafe {
            let old = Entry::deadline(e);
            self.dict.note_deadline(old, deadline);
            match deadline {
                None => (*e).meta &= !VOLATILE,
                Some(d) if (*e).meta & HAS_SLOT != 0 => {
                    ptr::write_unaligned((e as *mut u8).add(Entry::<V>::HDR) as *mut i64, d);
                    (*e).meta |= VOLATILE;
                }
                Some(d) => {
                    // Grow the block by the 8-byte slot: move the value and
                    // key into a new block and relink it in place.
                    let value = ptr::read(&(*e).value);
                    let n = Entry::alloc(Entry::key(e), value, (*e).meta, Some(d)).as_ptr();
                    (*n).next = (*e).next;
                    *self.link = n;
                    Entry::free_block(e);
                }
            }
            old
        }
    }

    /// Unlinks the entry and returns its value and deadline.
    pub fn remove(self) -> (V, Option<i64>) {
        let e = self.ptr();
        // SAFETY: unlink first, then move the value out and free the block
        // without dropping the moved value.
        unsafe {
            *self.link = (*e).next;
            self.dict.ht[self.table].used -= 1;
            let d = Entry::deadline(e);
            self.dict.note_deadline(d, None);
            let v = ptr::read(&(*e).value);
            Entry::free_block(e);
            (v, d)
        }
    }
}

/// Counts of the two tables, for DEBUG HTSTATS-like output and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DictStats {
    pub size0: usize,
    pub used0: usize,
    pub size1: usize,
    pub used1: usize,
    pub rehashing: bool,
}

pub struct Dict<V> {
    ht: [Table<V>; 2],
    /// Next bucket of `ht[0]` to move while rehashing.
    rehash_idx: Option<usize>,
    /// Entries carrying a deadline, and the sum of their deadlines (for
    /// an exact average TTL in INFO keyspace).
    volatile: usize,
    deadline_sum: i128,
    rng: u64,
    /// Growth must not push the process past `maxmemory` (the keyspace's
    /// table; see `expand_allowed`).
    memory_guard: bool,
}

// SAFETY: the dict owns its entries exclusively; raw pointers never escape
// except through borrows of the dict.
unsafe impl<V: Send> Send for Dict<V> {}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Dict::new()
    }
}

impl<V> Drop for Dict<V> {
    fn drop(&mut self) {
        self.free_some(usize::MAX);
    }
}

impl<V> Dict<V> {
    pub fn new() -> Dict<V> {
        Dict {
            ht: [Table::empty(), Table::empty()],
            rehash_idx: None,
            volatile: 0,
            deadline_sum: 0,
            rng: (hash_key(b"rng") | 1) ^ crate::server::unix_us() as u64,
            memory_guard: false,
        }
    }

    /// Makes growth respect `maxmemory` (Redis's `dictExpandAllowed` for
    /// the keyspace dicts): a table at load 1 waits rather than allocate a
    /// bucket array that would take memory over the limit, since that
    /// allocation would only force the eviction of many keys. Past a load
    /// of 1.618 it grows anyway, so chains stay short.
    pub fn set_memory_guard(&mut self, on: bool) {
        self.memory_guard = on;
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.ht[0].used + self.ht[1].used
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries with a deadline.
    pub fn volatile_len(&self) -> usize {
        self.volatile
    }

    /// Mean deadline of the volatile entries (unix ms), if any.
    pub fn mean_deadline(&self) -> Option<i64> {
        (self.volatile > 0).then(|| (self.deadline_sum / self.volatile as i128) as i64)
    }

    /// Keeps the volatile count and deadline sum right when an entry's
    /// deadline goes from `old` to `new`.
    fn note_deadline(&mut self, old: Option<i64>, new: Option<i64>) {
        if let Some(o) = old {
            self.volatile -= 1;
            self.deadline_sum -= o as i128;
        }
        if let Some(n) = new {
            self.volatile += 1;
            self.deadline_sum += n as i128;
        }
    }

    #[inline]
    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    pub fn stats(&self) -> DictStats {
        DictStats {
            size0: self.ht[0].size(),
            used0: self.ht[0].used,
            size1: self.ht[1].size(),
            used1: self.ht[1].used,
            rehashing: self.is_rehashing(),
        }
    }

    /// Bytes of bucket arrays (the part of the dict that is not entries).
    pub fn bucket_bytes(&self) -> usize {
        (self.ht[0].size() + self.ht[1].size()) * size_of::<*mut Entry<V>>()
    }

    /// Heap bytes of one entry block for a key of `key_len` bytes.
    pub fn entry_bytes(key_len: usize, volatile: bool) -> usize {
        Entry::<V>::layout(volatile, key_len).size()
    }

    fn next_rand(&mut self) -> u64 {
        // xorshift64*: quality is ample for sampling.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Moves up to `n` buckets from the old table to the new one, visiting
    /// at most `10 n` empty buckets (`dictRehash`). False once done.
    pub fn rehash(&mut self, n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else {
            return false;
        };
        let mut empty_visits = n.saturating_mul(10);
        for _ in 0..n {
            if self.ht[0].used == 0 {
                break;
            }
            while self.ht[0].buckets[idx].is_null() {
                self.rehash_prefetch(idx);
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            self.rehash_prefetch(idx);
            let mut e = std::mem::replace(&mut self.ht[0].buckets[idx], ptr::null_mut());
            let mask = self.ht[1].mask();
            while !e.is_null() {
                // SAFETY: `e` is a live entry of chain idx, moved to ht[1].
                unsafe {
                    let next = (*e).next;
                    let h = hash_key(Entry::key(e)) as usize & mask;
                    (*e).next = self.ht[1].buckets[h];
                    self.ht[1].buckets[h] = e;
                    e = next;
                }
                self.ht[0].used -= 1;
                self.ht[1].used += 1;
            }
            idx += 1;
        }
        if self.ht[0].used == 0 {
            // Emptied: drop what is left of the old array's pages in one
            // step before freeing it.
            let size = self.ht[0].size();
            self.ht[0].release_moved(size);
            self.ht[0] = std::mem::replace(&mut self.ht[1], Table::empty());
            self.rehash_idx = None;
            return false;
        }
        self.rehash_idx = Some(idx);
        self.ht[0].release_moved(idx);
        true
    }

    /// Rehash reads every entry of the old table, in bucket order but at
    /// random addresses, so each one would be a cache miss (and, in a large
    /// table, a TLB miss): about 600 ns apiece on a virtual machine, more
    /// than a whole SET. As rehash reaches bucket `idx`, the entries of the
    /// buckets a few steps ahead are requested from memory, so their misses
    /// overlap instead of stalling one after another. Two stages, since a
    /// chain's second entry is known only once its head has arrived: heads
    /// 2D buckets ahead, second entries D ahead, where the heads are in
    /// cache by then. Timed on a 4M-entry table growing to 8M buckets (2
    /// vCPUs of an AMD EPYC): 590 ns per entry without, 135-165 ns with.
    #[inline]
    fn rehash_prefetch(&self, idx: usize) {
        let buckets = &self.ht[0].buckets;
        if let Some(&far) = buckets.get(idx + 2 * REHASH_PREFETCH) {
            prefetch_entry(far);
        }
        if let Some(&near) = buckets.get(idx + REHASH_PREFETCH) {
            if !near.is_null() {
                // SAFETY: a bucket's head is a live entry.
                prefetch_entry(unsafe { (*near).next });
            }
        }
    }

    /// Rehashes in batches of 100 buckets for about `budget` (the cron's
    /// `dictRehashMilliseconds`); nothing when not resizing.
    pub fn rehash_for(&mut self, budget: Duration) {
        let start = Instant::now();
        while self.rehash(100) && start.elapsed() < budget {}
    }

    #[inline]
    fn rehash_step(&mut self) {
        if self.rehash_idx.is_some() {
            self.rehash(1);
        }
    }

    fn start_resize(&mut self, want: usize) {
        let size = want.max(INITIAL_SIZE).next_power_of_two();
        if self.is_rehashing() || size == self.ht[0].size() {
            return;
        }
        if self.ht[0].size() == 0 {
            self.ht[0] = Table::with_size(size);
            return;
        }
        self.ht[1] = Table::with_size(size);
        self.rehash_idx = Some(0);
    }

    /// Grows when there are as many entries as buckets (`_dictExpandIfNeeded`).
    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        if self.ht[0].size() == 0 {
            self.start_resize(INITIAL_SIZE);
        } else if self.ht[0].used >= self.ht[0].size() {
            let (used, size) = (self.ht[0].used, self.ht[0].size());
            if self.memory_guard && used * 1000 <= size * 1618 {
                let more = (used + 1).next_power_of_two() * std::mem::size_of::<usize>();
                if !crate::db::evict::room_for(more) {
                    return;
                }
            }
            self.start_resize(used + 1);
        }
    }

    /// Shrinks a table less than 10% full (`htNeedsResize` + `dictResize`),
    /// from the cron. True if a resize started.
    pub fn shrink_if_needed(&mut self) -> bool {
        let size = self.ht[0].size();
        if self.is_rehashing() || size <= INITIAL_SIZE {
            return false;
        }
        if self.ht[0].used * 100 / size >= MIN_FILL_PERCENT {
            return false;
        }
        self.start_resize(self.ht[0].used);
        self.is_rehashing()
    }

    /// The one table that holds `hash`'s keys, and where a new one goes:
    /// the new table once rehash has moved the old bucket, the old table
    /// until then (always the old one when not rehashing). A lookup reads
    /// one bucket, where searching both tables, as Redis 7.0 does, costs two
    /// cache misses in a large table. Inserting into an unmoved old bucket
    /// also keeps a growing table's fresh pages from being touched at
    /// random: rehash fills them in order, so their page faults are spread
    /// over the whole move instead of bunched at its start.
    #[inline]
    fn table_for(&self, hash: u64) -> usize {
        match self.rehash_idx {
            Some(r) if hash as usize & self.ht[0].mask() < r => 1,
            _ => 0,
        }
    }

    /// True when the table is big enough that a lookup's bucket and entry
    /// are likely cache (and TLB) misses: from 1M buckets, 8 MB of bucket
    /// array and ~90 MB of entries.
    #[inline]
    pub fn is_large(&self) -> bool {
        self.ht[0].size() >= PREFETCH_MIN_BUCKETS
    }

    /// First stage of a lookup prefetch: the bucket slot `hash` maps to.
    #[inline]
    pub fn prefetch_bucket(&self, hash: u64) {
        let t = &self.ht[self.table_for(hash)];
        if t.size() > 0 {
            prefetch(t.buckets.as_ptr().wrapping_add(hash as usize & t.mask()));
        }
    }

    /// Second stage, once the bucket slot has arrived: the chain's first
    /// entry, whose key the lookup compares first.
    #[inline]
    pub fn prefetch_head(&self, hash: u64) {
        let t = &self.ht[self.table_for(hash)];
        if t.size() > 0 {
            prefetch_entry(t.buckets[hash as usize & t.mask()]);
        }
    }

    /// The entry pointer for `key`, searching both tables (no rehash step).
    fn find_ptr(&self, key: &[u8], hash: u64) -> *mut Entry<V> {
        let t = &self.ht[self.table_for(hash)];
        if t.size() == 0 {
            return ptr::null_mut();
        }
        let mut e = t.buckets[hash as usize & t.mask()];
        while !e.is_null() {
            // SAFETY: every pointer in a chain is a live entry.
            unsafe {
                if (*e).key_len as usize == key.len() && Entry::key(e) == key {
                    return e;
                }
                e = (*e).next;
            }
        }
        ptr::null_mut()
    }

    /// The link pointing at `key`'s entry and its table.
    fn find_link(&mut self, key: &[u8], hash: u64) -> Option<(*mut *mut Entry<V>, usize)> {
        let t = self.table_for(hash);
        let size = self.ht[t].size();
        if size == 0 {
            return None;
        }
        let idx = hash as usize & (size - 1);
        // SAFETY: idx < size; chain pointers are live entries.
        unsafe {
            let mut link: *mut *mut Entry<V> = self.ht[t].buckets.as_mut_ptr().add(idx);
            while !(*link).is_null() {
                let e = *link;
                if (*e).key_len as usize == key.len() && Entry::key(e) == key {
                    return Some((link, t));
                }
                link = &mut (*e).next;
            }
        }
        None
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.get_entry(key).map(|e| e.value())
    }

    pub fn get_entry(&self, key: &[u8]) -> Option<EntryRef<'_, V>> {
        self.get_entry_hashed(key, hash_key(key))
    }

    pub fn get_entry_hashed(&self, key: &[u8], hash: u64) -> Option<EntryRef<'_, V>> {
        NonNull::new(self.find_ptr(key, hash)).map(|p| EntryRef { p, _l: PhantomData })
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        !self.find_ptr(key, hash_key(key)).is_null()
    }

    /// Finds `key` for reading, writing or removal; moves one rehash bucket.
    pub fn find_mut(&mut self, key: &[u8]) -> Option<EntryMut<'_, V>> {
        self.find_mut_hashed(key, hash_key(key))
    }

    pub fn find_mut_hashed(&mut self, key: &[u8], hash: u64) -> Option<EntryMut<'_, V>> {
        self.rehash_step();
        let (link, table) = self.find_link(key, hash)?;
        Some(EntryMut {
            dict: self,
            link,
            table,
        })
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.find_mut(key).map(|e| e.into_value_mut())
    }

    /// Adds a key known to be absent (the caller just looked). Returns the
    /// new entry.
    pub fn insert_new_hashed(
        &mut self,
        key: &[u8],
        hash: u64,
        value: V,
        meta: u32,
        deadline: Option<i64>,
    ) -> EntryMut<'_, V> {
        self.rehash_step();
        self.expand_if_needed();
        let t = self.table_for(hash);
        let e = Entry::alloc(key, value, meta, deadline).as_ptr();
        self.note_deadline(None, deadline);
        let idx = hash as usize & self.ht[t].mask();
        // SAFETY: idx is within the (non-empty) table; e is fresh.
        let link = unsafe {
            (*e).next = self.ht[t].buckets[idx];
            self.ht[t].buckets[idx] = e;
            self.ht[t].buckets.as_mut_ptr().add(idx)
        };
        self.ht[t].used += 1;
        EntryMut {
            dict: self,
            link,
            table: t,
        }
    }

    /// Inserts or replaces; returns the old value. A replaced entry keeps its
    /// deadline and meta.
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        let h = hash_key(key);
        if let Some(mut e) = self.find_mut_hashed(key, h) {
            return Some(std::mem::replace(e.value_mut(), value));
        }
        self.insert_new_hashed(key, h, value, 0, None);
        None
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        self.find_mut(key).map(|e| e.remove().0)
    }

    /// Sets (or clears) `key`'s deadline. False if the key is absent.
    pub fn set_deadline(&mut self, key: &[u8], deadline: Option<i64>) -> bool {
        match self.find_mut(key) {
            Some(mut e) => {
                e.set_deadline(deadline);
                true
            }
            None => false,
        }
    }

    /// Removes every entry of the chain `hash` maps to for which `pred`
    /// says so, handing each removed value and deadline to `removed`. Used by
    /// active expiry, which knows a key only by its hash.
    pub fn remove_in_bucket(
        &mut self,
        hash: u64,
        mut pred: impl FnMut(EntryRef<'_, V>) -> bool,
        mut removed: impl FnMut(&[u8], V, Option<i64>),
    ) -> usize {
        let mut n = 0;
        let t = self.table_for(hash);
        let size = self.ht[t].size();
        if size == 0 {
            return 0;
        }
        let idx = hash as usize & (size - 1);
        // SAFETY: idx < size; chain pointers are live; a removed entry is
        // unlinked before its block is freed.
        unsafe {
            let mut link: *mut *mut Entry<V> = self.ht[t].buckets.as_mut_ptr().add(idx);
            while !(*link).is_null() {
                let e = *link;
                let r = EntryRef {
                    p: NonNull::new_unchecked(e),
                    _l: PhantomData,
                };
                if pred(r) {
                    *link = (*e).next;
                    self.ht[t].used -= 1;
                    let d = Entry::deadline(e);
                    self.note_deadline(d, None);
                    let v = ptr::read(&(*e).value);
                    removed(Entry::key(e), v, d);
                    Entry::free_block(e);
                    n += 1;
                } else {
                    link = &mut (*e).next;
                }
            }
        }
        n
    }

    /// Calls `f` on every entry of both tables.
    pub fn for_each(&self, mut f: impl FnMut(EntryRef<'_, V>)) {
        for t in &self.ht {
            for &b in &t.buckets {
                let mut e = b;
                while !e.is_null() {
                    // SAFETY: live chain entries; `f` cannot mutate the dict.
                    unsafe {
                        let next = (*e).next;
                        f(EntryRef {
                            p: NonNull::new_unchecked(e),
                            _l: PhantomData,
                        });
                        e = next;
                    }
                }
            }
        }
    }

    /// Calls `f` on the first `n` entries in bucket order and returns how
    /// many it saw: the cheap, deterministic sample MEMORY USAGE averages
    /// (Redis's `objectComputeSize` takes a dict iterator's first entries
    /// too). Stops early, so a large table costs only the buckets walked.
    pub fn for_each_first(&self, n: usize, mut f: impl FnMut(EntryRef<'_, V>)) -> usize {
        let mut seen = 0;
        for t in &self.ht {
            for &b in &t.buckets {
                let mut e = b;
                while !e.is_null() {
                    if seen >= n {
                        return seen;
                    }
                    // SAFETY: live chain entries; `f` cannot mutate the dict.
                    unsafe {
                        let next = (*e).next;
                        f(EntryRef {
                            p: NonNull::new_unchecked(e),
                            _l: PhantomData,
                        });
                        e = next;
                    }
                    seen += 1;
                }
            }
        }
        seen
    }

    fn emit_bucket(&self, t: usize, idx: usize, f: &mut impl FnMut(EntryRef<'_, V>)) {
        let mut e = self.ht[t].buckets[idx];
        while !e.is_null() {
            // SAFETY: live chain entries.
            unsafe {
                let next = (*e).next;
                f(EntryRef {
                    p: NonNull::new_unchecked(e),
                    _l: PhantomData,
                });
                e = next;
            }
        }
    }

    /// One step of SCAN (`dictScan`): calls `f` on every entry of the
    /// bucket(s) the cursor names and returns the next cursor, 0 when the
    /// whole table has been covered.
    ///
    /// The cursor is the bucket index with its bits reversed, incremented:
    /// adding one to the *high* bit first means that, after visiting bucket
    /// `b` of a table of size `2^k`, every bucket of a table of size `2^j`
    /// that "descends" from an already-visited prefix is done too. Growing
    /// the table splits bucket `b` into `b` and `b + 2^k`, which the cursor
    /// order visits next to each other; shrinking merges them, and the merged
    /// bucket is visited again only if one of its halves was not yet (keys
    /// may then be returned twice, never missed). While rehashing, the cursor
    /// walks the small table's bucket and then every bucket of the large
    /// table that expands it.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(EntryRef<'_, V>)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut v = cursor;
        if !self.is_rehashing() {
            let m0 = self.ht[0].mask() as u64;
            self.emit_bucket(0, (v & m0) as usize, &mut f);
            v |= !m0;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
        } else {
            let (small, large) = if self.ht[0].size() <= self.ht[1].size() {
                (0, 1)
            } else {
                (1, 0)
            };
            let m0 = self.ht[small].mask() as u64;
            let m1 = self.ht[large].mask() as u64;
            self.emit_bucket(small, (v & m0) as usize, &mut f);
            loop {
                self.emit_bucket(large, (v & m1) as usize, &mut f);
                v |= !m1;
                v = v.reverse_bits().wrapping_add(1).reverse_bits();
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v
    }

    /// A random entry as `dictGetFairRandomKey` picks it, which is what
    /// SRANDMEMBER, SPOP, HRANDFIELD and RANDOMKEY use: up to 15 entries from
    /// consecutive buckets (`sample`), then one of those uniformly. Picking a
    /// bucket first and then a chain element (`dictGetRandomKey`, kept as the
    /// fallback) favours keys alone in their bucket: with 10 keys in 16
    /// buckets and a few collisions, SRANDMEMBER -1000 fails the suite's
    /// chi-square test. The sample is fixed-size on the stack.
    pub fn random_entry(&mut self) -> Option<EntryRef<'_, V>> {
        const GETFAIR_NUM_ENTRIES: usize = 15;
        let mut picked = [std::ptr::null_mut::<Entry<V>>(); GETFAIR_NUM_ENTRIES];
        let mut n = 0;
        self.sample(GETFAIR_NUM_ENTRIES, |e| {
            picked[n] = e.p.as_ptr();
            n += 1;
        });
        if n == 0 {
            return self.bucket_random_entry();
        }
        let idx = self.next_rand() as usize % n;
        NonNull::new(picked[idx]).map(|p| EntryRef { p, _l: PhantomData })
    }

    /// `dictGetRandomKey`: a random non-empty bucket, then a random element
    /// of its chain. Chains are short (load ≤ 1 between resizes, ≥ 0.1 after
    /// shrinking), so both steps are O(1) on average.
    fn bucket_random_entry(&mut self) -> Option<EntryRef<'_, V>> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let head = loop {
            let r = self.next_rand() as usize;
            let e = match self.rehash_idx {
                Some(ri) => {
                    let s0 = self.ht[0].size();
                    let span = s0 + self.ht[1].size() - ri;
                    let h = ri + r % span;
                    if h >= s0 {
                        self.ht[1].buckets[h - s0]
                    } else {
                        self.ht[0].buckets[h]
                    }
                }
                None => self.ht[0].buckets[r & self.ht[0].mask()],
            };
            if !e.is_null() {
                break e;
            }
        };
        let mut len = 0;
        let mut e = head;
        while !e.is_null() {
            len += 1;
            // SAFETY: live chain entries.
            e = unsafe { (*e).next };
        }
        let mut pick = self.next_rand() as usize % len;
        let mut e = head;
        while pick > 0 {
            // SAFETY: as above; pick < chain length.
            e = unsafe { (*e).next };
            pick -= 1;
        }
        NonNull::new(e).map(|p| EntryRef { p, _l: PhantomData })
    }

    /// Up to `count` entries from consecutive buckets starting at a random
    /// place (`dictGetSomeKeys`): not uniform, but cheap, and what eviction
    /// and statistics need. Visits at most `10 * count` buckets.
    pub fn sample(&mut self, count: usize, mut f: impl FnMut(EntryRef<'_, V>)) -> usize {
        let count = count.min(self.len());
        if count == 0 {
            return 0;
        }
        for _ in 0..count {
            self.rehash_step();
        }
        let tables = if self.is_rehashing() { 2 } else { 1 };
        let maxsize = self.ht[0].size().max(self.ht[1].size());
        let mut i = self.next_rand() as usize & (maxsize - 1);
        let mut stored = 0;
        let mut empty_run = 0;
        let mut steps = count.saturating_mul(10);
        while stored < count && steps > 0 {
            steps -= 1;
            for t in 0..tables {
                // Buckets of ht[0] below rehash_idx are empty.
                if t == 0 && self.rehash_idx.is_some_and(|ri| i < ri) {
                    continue;
                }
                if i >= self.ht[t].size() {
                    continue;
                }
                let mut e = self.ht[t].buckets[i];
                if e.is_null() {
                    empty_run += 1;
                    if empty_run >= 5 && empty_run > count {
                        i = self.next_rand() as usize & (maxsize - 1);
                        empty_run = 0;
                    }
                    continue;
                }
                empty_run = 0;
                while !e.is_null() && stored < count {
                    // SAFETY: live chain entries.
                    unsafe {
                        let next = (*e).next;
                        f(EntryRef {
                            p: NonNull::new_unchecked(e),
                            _l: PhantomData,
                        });
                        e = next;
                    }
                    stored += 1;
                }
            }
            i = (i + 1) & (maxsize - 1);
        }
        stored
    }

    /// Frees up to `budget` entries and buckets, last buckets first, and the
    /// bucket arrays once empty; true when nothing is left. Lets a flushed
    /// table be freed a slice at a time (the dict is useless for lookups
    /// meanwhile). Empty buckets count too: the new table of a rehash cut
    /// short by the flush is mostly pages never touched, each of which
    /// costs a page fault to read: popping 2.6M empty buckets (5,247 pages)
    /// on the way to 1,024 entries once took 8 ms in one step.
    pub fn free_some(&mut self, budget: usize) -> bool {
        let mut freed = 0;
        for t in (0..2).rev() {
            while let Some(&b) = self.ht[t].buckets.last() {
                if freed >= budget {
                    return false;
                }
                let mut e = b;
                while !e.is_null() {
                    // SAFETY: we own the chain and drop it whole.
                    unsafe {
                        let next = (*e).next;
                        Entry::destroy(e);
                        e = next;
                    }
                    freed += 1;
                    self.ht[t].used -= 1;
                }
                self.ht[t].buckets.pop();
                freed += 1;
                // Hand back each emptied stretch of a big array, as rehash
                // does, so the array's own free at the end is cheap.
                let len = self.ht[t].buckets.len();
                if len.is_multiple_of(RELEASE_CHUNK) && self.ht[t].releases_pages() {
                    // One page more: the page across the stretch's top
                    // (the array is not page-aligned) was left by the step
                    // before, whose range ended inside it.
                    let page = PAGE / size_of::<*mut Entry<V>>();
                    self.ht[t].release_pages(len, len + RELEASE_CHUNK + page);
                }
            }
            self.ht[t] = Table::empty();
        }
        self.rehash_idx = None;
        self.volatile = 0;
        self.deadline_sum = 0;
        true
    }

    /// Empties the dict at once.
    pub fn clear(&mut self) {
        self.free_some(usize::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::XorShift;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn for_each_first_stops_at_n() {
        let mut d: Dict<()> = Dict::new();
        for i in 0..100 {
            d.insert(format!("k{i}").as_bytes(), ());
        }
        let mut seen = HashSet::new();
        assert_eq!(
            d.for_each_first(7, |e| assert!(seen.insert(e.key().to_vec()))),
            7
        );
        assert_eq!(seen.len(), 7);
        assert_eq!(d.for_each_first(usize::MAX, |_| {}), 100);
        assert_eq!(Dict::<()>::new().for_each_first(5, |_| {}), 0);
    }

    #[test]
    fn siphash_matches_reference_2_4() {
        // std's (deprecated) SipHasher is SipHash-2-4: checks our rounds.
        #[allow(deprecated)]
        use std::hash::{Hasher, SipHasher};
        for len in 0..40usize {
            let data: Vec<u8> = (0..len as u8).collect();
            #[allow(deprecated)]
            let mut h = SipHasher::new_with_keys(0x0706050403020100, 0x0f0e0d0c0b0a0908);
            h.write(&data);
            assert_eq!(
                siphash::<2, 4>(0x0706050403020100, 0x0f0e0d0c0b0a0908, &data),
                h.finish(),
                "len {len}"
            );
        }
    }

    #[test]
    fn entry_layout_is_compact() {
        use crate::db::object::Value;
        assert_eq!(size_of::<Value>(), 40);
        assert_eq!(Dict::<Value>::entry_bytes(16, false), 72);
        assert_eq!(Dict::<Value>::entry_bytes(16, true), 80);
    }

    /// The one-table rule while rehashing: old buckets below the rehash
    /// index are empty, so every key is where `table_for` looks, through
    /// inserts, removals and steps of a growth and then of a shrink.
    #[test]
    fn keys_live_in_one_table_while_rehashing() {
        let mut d: Dict<u64> = Dict::new();
        let mut model = HashMap::new();
        let check = |d: &Dict<u64>, model: &HashMap<Vec<u8>, u64>| {
            if let Some(r) = d.rehash_idx {
                assert!(d.ht[0].buckets[..r].iter().all(|b| b.is_null()));
            }
            check_model(d, model);
        };
        let mut i = 0u64;
        // Grow: fill past a resize, then insert and delete while it runs.
        while !(d.is_rehashing() && d.ht[0].size() >= 1024) {
            d.insert(format!("k{i}").as_bytes(), i);
            model.insert(format!("k{i}").into_bytes(), i);
            i += 1;
        }
        let mut steps = 0;
        while d.is_rehashing() {
            let k = format!("k{i}");
            d.insert(k.as_bytes(), i);
            model.insert(k.into_bytes(), i);
            let gone = format!("k{}", i / 2);
            d.remove(gone.as_bytes());
            model.remove(gone.as_bytes());
            i += 1;
            steps += 1;
            if steps % 64 == 0 {
                check(&d, &model);
            }
        }
        check(&d, &model);
        // Shrink: delete most keys, start the shrink, keep changing.
        let keys: Vec<Vec<u8>> = model.keys().cloned().collect();
        for k in keys.iter().skip(40) {
            d.remove(k);
            model.remove(k);
        }
        assert!(d.shrink_if_needed());
        while d.is_rehashing() {
            let k = format!("s{i}");
            d.insert(k.as_bytes(), i);
            model.insert(k.into_bytes(), i);
            i += 1;
            check(&d, &model);
        }
        check(&d, &model);
    }

    /// Rehash hands the emptied part of the old bucket array back to the
    /// kernel as it goes, so freeing the array at the end has little left
    /// to unmap; the released part still reads as empty buckets.
    #[test]
    fn rehash_hands_back_the_old_tables_pages() {
        let mut d: Dict<u64> = Dict::new();
        let mut i = 0u64;
        while !(d.is_rehashing() && d.ht[0].size() >= 4 * RELEASE_CHUNK) {
            d.insert(format!("k{i}").as_bytes(), i);
            i += 1;
        }
        let size = d.ht[0].size();
        while d.rehash_idx.is_some_and(|r| r < size * 3 / 4) {
            d.rehash(100);
        }
        let released = d.ht[0].released;
        assert!(released >= size / 2, "released {released} of {size}");
        let base = d.ht[0].buckets.as_ptr() as usize;
        let kept = resident_pages(base, base + released * size_of::<usize>());
        assert_eq!(kept, 0, "{kept} released pages still resident");
        assert!(d.ht[0].buckets[..released].iter().all(|b| b.is_null()));
        while d.is_rehashing() {
            d.insert(format!("k{i}").as_bytes(), i);
            i += 1;
            d.rehash(100);
        }
        assert_eq!(d.len() as u64, i);
        for j in 0..i {
            assert_eq!(d.get(format!("k{j}").as_bytes()), Some(&j));
        }
    }

    /// Pages of `[from, to)` (addresses) that are resident.
    fn resident_pages(from: usize, to: usize) -> usize {
        let (from, to) = (from.next_multiple_of(PAGE), to & !(PAGE - 1));
        if to <= from {
            return 0;
        }
        let mut v = vec![0u8; (to - from) / PAGE];
        // SAFETY: the caller passes a range of a live allocation; mincore
        // only reports on it.
        let rc = unsafe { libc::mincore(from as *mut libc::c_void, to - from, v.as_mut_ptr()) };
        assert_eq!(rc, 0);
        v.iter().filter(|&&r| r & 1 != 0).count()
    }

    /// A flushed table freed a slice at a time hands back the emptied end
    /// of its bucket array as it goes, as rehash does.
    #[test]
    fn freeing_in_slices_hands_back_the_emptied_buckets() {
        let mut d: Dict<u64> = Dict::new();
        let mut i = 0u64;
        while d.ht[0].size() < 4 * RELEASE_CHUNK || d.is_rehashing() {
            if d.is_rehashing() {
                d.rehash(1000);
            } else {
                d.insert(format!("k{i}").as_bytes(), i);
                i += 1;
            }
        }
        let size = d.ht[0].size();
        while d.ht[0].buckets.len() > size / 4 {
            assert!(!d.free_some(1000));
        }
        let len = d.ht[0].buckets.len();
        let base = d.ht[0].buckets.as_ptr() as usize;
        let slot = size_of::<usize>();
        let kept = resident_pages(
            base + len.next_multiple_of(RELEASE_CHUNK) * slot,
            base + size * slot,
        );
        assert_eq!(kept, 0, "{kept} pages of freed buckets still resident");
        assert!(resident_pages(base, base + len * slot) > 0);
        assert!(d.free_some(usize::MAX));
        assert_eq!(d.len(), 0);
    }

    /// A free step's budget covers the empty buckets it pops: the new table
    /// of a rehash that a flush cut short is nearly all empty buckets, on
    /// pages never touched, and must not be walked in one step.
    #[test]
    fn a_free_step_pops_a_bounded_number_of_buckets() {
        let mut d: Dict<u64> = Dict::new();
        let mut i = 0u64;
        while !(d.is_rehashing() && d.ht[1].size() >= 1 << 16) {
            d.insert(format!("k{i}").as_bytes(), i);
            i += 1;
        }
        let before = d.ht[1].buckets.len();
        assert!(!d.free_some(1024));
        let popped = before - d.ht[1].buckets.len();
        assert!(popped <= 1024, "{popped} buckets popped in one step");
        while !d.free_some(1024) {}
        assert_eq!(d.len(), 0);
    }

    fn check_model(d: &Dict<u64>, model: &HashMap<Vec<u8>, u64>) {
        assert_eq!(d.len(), model.len());
        for (k, v) in model {
            assert_eq!(d.get(k), Some(v));
        }
        let mut n = 0;
        d.for_each(|e| {
            assert_eq!(model.get(e.key()), Some(e.value()));
            n += 1;
        });
        assert_eq!(n, model.len());
    }

    #[test]
    fn random_ops_match_hashmap() {
        let mut rng = XorShift::new(0x1234_5678_9abc_def1);
        let mut d: Dict<u64> = Dict::new();
        let mut model: HashMap<Vec<u8>, u64> = HashMap::new();
        let mut deadlines: HashMap<Vec<u8>, i64> = HashMap::new();
        for round in 0..60_000u64 {
            // Phases of growth and of shrinking, so resizes go both ways.
            let space = if (round / 10_000) % 2 == 0 { 5000 } else { 50 };
            let k = format!("k{}", rng.below(space)).into_bytes();
            match rng.below(10) {
                0..=4 => {
                    let old = d.insert(&k, round);
                    assert_eq!(old, model.insert(k.clone(), round));
                }
                5..=6 => {
                    let had = d.find_mut(&k).map(|e| e.remove());
                    let m = model.remove(&k);
                    let md = deadlines.remove(&k);
                    assert_eq!(had, m.map(|v| (v, md)));
                }
                7 => {
                    let at = rng.below(1000) as i64;
                    assert_eq!(d.set_deadline(&k, Some(at)), model.contains_key(&k));
                    if model.contains_key(&k) {
                        deadlines.insert(k.clone(), at);
                    }
                }
                8 => {
                    d.set_deadline(&k, None);
                    deadlines.remove(&k);
                }
                _ => {
                    let got = d.get_entry(&k).map(|e| (*e.value(), e.deadline()));
                    let want = model.get(&k).map(|&v| (v, deadlines.get(&k).copied()));
                    assert_eq!(got, want);
                }
            }
            if round % 97 == 0 {
                d.shrink_if_needed();
            }
            if round % 1000 == 0 {
                check_model(&d, &model);
                assert_eq!(d.volatile_len(), deadlines.len());
                let sum: i128 = deadlines.values().map(|&x| x as i128).sum();
                let mean = (!deadlines.is_empty()).then(|| (sum / deadlines.len() as i128) as i64);
                assert_eq!(d.mean_deadline(), mean);
            }
        }
        check_model(&d, &model);
        // Drain every remaining rehash and check the shrink went through.
        for k in model.keys().cloned().collect::<Vec<_>>() {
            d.remove(&k);
        }
        while d.rehash(100) {}
        d.shrink_if_needed();
        while d.rehash(100) {}
        assert!(d.stats().size0 <= INITIAL_SIZE);
        assert_eq!(d.volatile_len(), 0);
    }

    /// Scans to completion while `between` changes the table after each
    /// step; every key present from start to end must be returned.
    fn scan_with(
        d: &mut Dict<u64>,
        stable: &HashSet<Vec<u8>>,
        mut between: impl FnMut(&mut Dict<u64>, usize),
    ) {
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan(cursor, |e| {
                seen.insert(e.key().to_vec());
            });
            if cursor == 0 {
                break;
            }
            between(d, step);
            step += 1;
            assert!(step < 1_000_000, "scan does not terminate");
        }
        for k in stable {
            assert!(
                seen.contains(k),
                "scan missed {:?}",
                String::from_utf8_lossy(k)
            );
        }
    }

    #[test]
    fn scan_returns_stable_keys_while_growing() {
        let mut d: Dict<u64> = Dict::new();
        let mut stable = HashSet::new();
        for i in 0..300u64 {
            let k = format!("stable:{i}").into_bytes();
            d.insert(&k, i);
            stable.insert(k);
        }
        while d.rehash(100) {}
        let mut n = 0u64;
        scan_with(&mut d, &stable, |d, _| {
            // Add enough keys per step to trigger several doublings, then
            // stop so that the scan can catch up and finish.
            for _ in 0..if n < 20_000 { 40 } else { 0 } {
                d.insert(format!("grow:{n}").as_bytes(), n);
                n += 1;
            }
        });
        assert!(d.len() > 20_000);
    }

    #[test]
    fn scan_returns_stable_keys_while_shrinking() {
        let mut d: Dict<u64> = Dict::new();
        let mut stable = HashSet::new();
        for i in 0..20_000u64 {
            d.insert(format!("tmp:{i}").as_bytes(), i);
        }
        for i in 0..100u64 {
            let k = format!("stable:{i}").into_bytes();
            d.insert(&k, i);
            stable.insert(k);
        }
        while d.rehash(100) {}
        let mut next = 0u64;
        let start_size = d.stats().size0;
        let mut min_size = start_size;
        scan_with(&mut d, &stable, |d, _| {
            for _ in 0..500 {
                if next < 20_000 {
                    d.remove(format!("tmp:{next}").as_bytes());
                    next += 1;
                }
            }
            d.shrink_if_needed();
            d.rehash(20);
            min_size = min_size.min(d.stats().size0);
        });
        assert!(min_size < start_size / 8, "{min_size} vs {start_size}");
    }

    #[test]
    fn scan_without_changes_returns_each_key_once() {
        let mut d: Dict<u64> = Dict::new();
        for i in 0..1000u64 {
            d.insert(format!("k{i}").as_bytes(), i);
        }
        let mut seen = HashMap::new();
        let mut cursor = 0;
        loop {
            cursor = d.scan(cursor, |e| *seen.entry(e.key().to_vec()).or_insert(0) += 1);
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 1000);
        assert!(seen.values().all(|&c| c == 1));
    }

    #[test]
    fn random_entry_and_sample_cover_the_table() {
        let mut d: Dict<u64> = Dict::new();
        assert!(d.random_entry().is_none());
        for i in 0..64u64 {
            d.insert(format!("k{i}").as_bytes(), i);
        }
        let mut seen = HashSet::new();
        for _ in 0..5000 {
            let v = *d.random_entry().expect("non-empty").value();
            seen.insert(v);
        }
        assert_eq!(seen.len(), 64, "random_entry should reach every key");
        let mut got = Vec::new();
        assert_eq!(d.sample(10, |e| got.push(*e.value())), 10);
        assert_eq!(got.len(), 10);
    }

    #[test]
    fn random_entry_is_fair_despite_chains() {
        // 10 keys in 16 buckets always collide somewhere; a bucket-first pick
        // gives a key sharing a bucket half the chance of a lone one.
        let mut d: Dict<u64> = Dict::new();
        for k in [
            "1",
            "5",
            "10",
            "50",
            "125",
            "MARY",
            "PATRICIA",
            "LINDA",
            "BARBARA",
            "ELIZABETH",
        ] {
            d.insert(k.as_bytes(), 0);
        }
        let mut counts = std::collections::HashMap::new();
        let draws = 100_000;
        for _ in 0..draws {
            let k = d.random_entry().expect("non-empty").key().to_vec();
            *counts.entry(k).or_insert(0u32) += 1;
        }
        let expect = draws as f64 / 10.0;
        let chi: f64 = counts
            .values()
            .map(|&c| (c as f64 - expect).powi(2) / expect)
            .sum();
        // df = 9: 40 is a 1e-5 tail; a 2:1 bias gives thousands.
        assert!(
            counts.len() == 10 && chi < 40.0,
            "chi-square {chi}: {counts:?}"
        );
    }

    #[test]
    fn incremental_rehash_moves_a_bucket_per_operation() {
        let mut d: Dict<u64> = Dict::new();
        for i in 0..1024u64 {
            d.insert(format!("k{i}").as_bytes(), i);
        }
        while d.rehash(100) {}
        // The 1025th key starts a resize to 2048 buckets, finished only by
        // later operations, never at once.
        d.insert(b"one-more", 0);
        let s = d.stats();
        assert!(s.rehashing && s.size1 == 2048, "{s:?}");
        assert!(s.used0 > 900, "rehash must be incremental: {s:?}");
        let mut ops = 0;
        while d.is_rehashing() {
            d.get_mut(b"k1");
            ops += 1;
        }
        assert!(ops > 100);
        assert_eq!(d.len(), 1025);
    }

    #[test]
    fn values_are_dropped_and_moved_exactly_once() {
        use std::rc::Rc;
        let token = Rc::new(());
        {
            let mut d: Dict<Rc<()>> = Dict::new();
            for i in 0..100 {
                d.insert(format!("k{i}").as_bytes(), token.clone());
            }
            for i in 0..50 {
                d.set_deadline(format!("k{i}").as_bytes(), Some(i));
            }
            assert_eq!(Rc::strong_count(&token), 101);
            drop(d.remove(b"k1"));
            d.insert(b"k2", token.clone());
            assert_eq!(Rc::strong_count(&token), 100);
            d.remove_in_bucket(hash_key(b"k3"), |e| e.key() == b"k3", |_, v, _| drop(v));
            assert_eq!(Rc::strong_count(&token), 99);
        }
        assert_eq!(Rc::strong_count(&token), 1);
    }
}
