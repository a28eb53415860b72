//! Memory accounting: the exact byte count behind `used_memory`
//! (Redis's `zmalloc.c`).
//!
//! Redis wraps every allocation in `zmalloc`, which adds the size the
//! allocator really handed out (`zmalloc_size`, i.e. `malloc_usable_size`)
//! to an atomic counter, `used_memory`. INFO, MEMORY STATS and above all
//! eviction (`performEvictions` in evict.c) read that counter: eviction
//! frees keys until it drops under `maxmemory`, so it must be exact and
//! cheap to read.
//!
//! We get the same effect without touching any call site: [`Counting`] is
//! the process's `#[global_allocator]`, a thin wrapper over the system
//! allocator that adds the requested layout size on `alloc` and subtracts
//! it on `dealloc`. Rust tells `dealloc` the layout, so no
//! `malloc_usable_size` call is needed on the hot path (Redis needs it
//! because C `free` has no size). The count is therefore the bytes asked
//! for, slightly below what glibc reserves (its 8-byte chunk header and
//! 16-byte rounding); RSS and `mem_fragmentation_ratio` show the rest.
//!
//! The allocator underneath is glibc's malloc (`std::alloc::System`),
//! chosen by measurement against jemalloc 5.3 (Debian's libjemalloc2, the
//! allocator Redis ships with, preloaded under the same binary; the
//! `tikv-jemallocator` crate builds the same jemalloc). Release build,
//! 1M keys with 32-byte values loaded by `redis-cli --pipe`, then
//! `redis-benchmark -t set -r 1000000 -n 1000000 -d 32 -c 50`, on a
//! shared 2-core machine:
//!
//! | allocator | RSS bytes/key | SET rps | SET rps, -P 16 |
//! |---|---:|---:|---:|
//! | glibc 2.41 | 88 | 84 900 | 739 000 |
//! | jemalloc 5.3 | 95 | 61 300 | 427 000 |
//!
//! glibc is smaller per key (our entries are one allocation each, sizes
//! that glibc's 16-byte granularity fits better than jemalloc's size
//! classes) and was not slower, so it stays: no dependency, no C build.
//! The counter sits above the allocator, so switching is one line in
//! [`Counting`].
//!
//! RSS comes from `/proc/self/statm` (Redis's `zmalloc_get_rss`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static USED: AtomicUsize = AtomicUsize::new(0);

/// The counting allocator; `main.rs` installs it as `#[global_allocator]`.
pub struct Counting;

// SAFETY: every method forwards to `System` with the same arguments, and the
// counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            USED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            USED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        USED.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                USED.fetch_add(new_size - layout.size(), Ordering::Relaxed);
            } else {
                USED.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Bytes currently allocated through the global allocator (Redis's
/// `zmalloc_used_memory`). Zero when the counting allocator is not
/// installed (unit tests of the library), so callers fall back.
#[inline]
pub fn used_memory() -> u64 {
    USED.load(Ordering::Relaxed) as u64
}

/// Resident set size in bytes, from `/proc/self/statm`.
pub fn rss() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = s
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
    pages * page
}

/// Sets glibc malloc's two parameters that decide whether freeing can stall
/// the loop. Called once at startup, before any other thread exists.
///
/// * **The mmap threshold stays at its initial 128 KB.** By default glibc
///   raises it each time a large mmapped block is freed, so after the
///   keyspace table's first resize the next, bigger bucket array came from
///   the heap, where `calloc` must clear it byte by byte: measured 3 ms at
///   512K buckets, 10 ms at 2M, and a 45 ms reply while a db grew to 10M
///   keys. From fresh mmapped pages the zeroing is the kernel's, done page
///   by page as the incremental rehash first touches them.
/// * **No fastbins** (`M_MXFAST` 0). glibc keeps freed chunks of up to 128
///   bytes (a key's entry is 72-80) in "fastbins", unmerged, and merges them
///   all at once in `malloc_consolidate` the next time a large block is
///   asked for or freed. After FLUSHALL ASYNC of 9M keys, whose entries are
///   freed a millisecond at a time, that merge came inside whichever
///   command next allocated a client buffer: PINGs took 140-320 ms each and
///   the worst 1.1-1.9 s (Redis, whose jemalloc has no such step: 8.4 ms).
///   Without fastbins each free merges its own chunk (the per-thread cache
///   in front still serves the usual alloc-free pairs): the worst PING in
///   the same test was 15.9-34.9 ms over three runs (12-35 ms once each
///   free step also counted the empty buckets it pops), with the same bytes
///   per key and no throughput change measured on SET, GET, LPUSH and
///   LPOP.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator parameters.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_MXFAST, 0);
    }
}

/// Gives freed heap back to the kernel (MEMORY PURGE; glibc's
/// `malloc_trim`, where Redis calls jemalloc's purge).
pub fn purge() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    /// Bytes held in freed fastbin chunks, over all arenas.
    fn fastbin_bytes() -> usize {
        // SAFETY: mallinfo2 only reads the allocator's statistics.
        unsafe { libc::mallinfo2() }.fsmblks
    }

    /// After `tune_allocator`, freed small blocks are merged as they are
    /// freed, so none pile up in fastbins for a later burst to merge.
    #[test]
    fn freed_small_blocks_do_not_wait_in_fastbins() {
        super::tune_allocator();
        let before = fastbin_bytes();
        let mut blocks: Vec<Box<[u8; 64]>> = (0..10_000).map(|i| Box::new([i as u8; 64])).collect();
        // One by one, and measured before the vector's own 80 KB buffer is
        // freed: a free that large would merge the fastbins anyway.
        blocks.drain(..).for_each(drop);
        let after = fastbin_bytes();
        drop(blocks);
        assert!(
            after <= before,
            "fastbins grew from {before} to {after} bytes"
        );
    }
}
