//! # Listpack: many small strings and integers in one allocation
//!
//! Corresponds to Redis's `listpack.c` (Salvatore Sanfilippo's format, in
//! Redis since 7.0 the only small encoding: small hashes, small sorted sets
//! and every node of a list's quicklist are listpacks).
//!
//! ## Why Redis has it
//! A hash with three fields stored as a hash table costs a table, three
//! entries with two pointers each, and six separately allocated strings:
//! a few hundred bytes of headers and pointers for perhaps thirty bytes of
//! data. A listpack is instead one contiguous byte string:
//!
//! ```text
//! <total-bytes u32 LE> <count u16 LE> <entry> <entry> ... <0xFF>
//! entry = <encoding + data> <backlen>
//! ```
//!
//! Each entry spends one byte of encoding on the common cases: integers
//! 0..=127 take a single byte in all, a short string takes its length plus
//! two bytes. `backlen` (1 to 5 bytes, 7 bits per byte, read right to left)
//! repeats the length of `encoding + data`, so the list can be walked
//! backwards without the cascading updates of its predecessor, the ziplist,
//! whose entries stored the length of the *previous* entry. Lookup is a
//! linear scan, which is why Redis converts to a real hash table or skiplist
//! past a threshold (`hash-max-listpack-entries 128`, `-value 64` ...): for
//! a few hundred bytes a scan through one cache-friendly buffer beats
//! chasing pointers.
//!
//! | first byte | meaning | entry size (with backlen) |
//! |---|---|---|
//! | `0xxxxxxx` | uint 0..=127 | 2 |
//! | `10llllll` | string, len < 64 | len + 2 |
//! | `110xxxxx` + 1 | int -4096..=4095 (13-bit two's complement) | 3 |
//! | `1110llll` + 1 | string, len < 4096 (length big-endian) | len + 2 + backlen |
//! | `0xF1`/`F2`/`F3`/`F4` | 16/24/32/64-bit int, little-endian | 4 / 5 / 6 / 10 |
//! | `0xF0` + 4 | string, 32-bit length LE | len + 5 + backlen |
//! | `0xFF` | end of listpack | — |
//!
//! A string that is a canonical integer (Redis's `lpStringToInt64`, the same
//! rule as `string2ll`: no `+`, no leading zeros, no `-0`, fits in i64) is
//! stored as an integer; callers get back [`Entry::Int`] and must format it
//! when they need the bytes. This is why `"10"` costs 2 bytes, not 4.
//!
//! ## How ours departs
//! The entries are exactly Redis's bytes, so [`Listpack::to_bytes`] gives
//! an RDB writer Redis's blob and [`Listpack::from_bytes`] adopts what an
//! RDB file holds after validating it. Four departures:
//! - the 6-byte header is not stored: the buffer is the entries and the
//!   terminator. The total size is the buffer's length and the count is a
//!   field, and the struct lives inside the keyspace entry, so the header
//!   would only cost heap; six bytes matter because they decide the malloc
//!   chunk (a 10-member sorted set's 137-byte listpack is a 131-byte
//!   buffer in a 144-byte chunk, where Redis's jemalloc gives 160).
//! - positions are byte offsets into the buffer (`usize`) instead of raw
//!   pointers; every mutation that can move entries returns the offset the
//!   caller should continue from, as Redis's functions return a new `p`.
//! - hashes and sorted sets use [`CompactListpack`], whose entries also
//!   drop their backlen: they are short (converted to tables past 512 or
//!   128 pairs) and walked forward, so the byte or more per entry buys
//!   little; walking backwards costs one forward pass instead. Quicklist
//!   nodes ([`Listpack`]) keep Redis's layout, since lists pop from both
//!   ends of 8 KB nodes.
//! - the element count is a field, never the header's saturating one
//!   (Redis's header says 65535, "unknown, count by scanning", past that);
//!   `len()` is O(1) always.
//!
//! The buffer grows and shrinks by [`alloc_class`](super::alloc_class)
//! steps (the sizes glibc's malloc really hands out): Redis `realloc`s a
//! listpack on every change and lets the allocator round; reserving the
//! rounded size spares us a copy per push while wasting nothing (100 small
//! integers: a 207-byte listpack, a 201-byte buffer in a 216-byte request).

use crate::util::numbers::parse_i64;

/// Bytes of Redis's header (total bytes u32, count u16), not stored here.
pub const HEADER_BYTES: usize = 6;
const EOF: u8 = 0xFF;
/// The header's count field saturates here ("count unknown").
const NUMELE_UNKNOWN: usize = 65535;

/// One element as stored: integers come back as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl<'a> Entry<'a> {
    /// The element's bytes: a borrowed string, or the integer formatted into
    /// the caller's stack buffer.
    pub fn as_bytes<'b>(&'b self, buf: &'b mut [u8; 24]) -> &'b [u8] {
        match *self {
            Entry::Str(s) => s,
            Entry::Int(v) => crate::util::numbers::fmt_i64(v, buf),
        }
    }

    /// An owned copy of the bytes (for values that outlive the listpack).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut buf = [0u8; 24];
        self.as_bytes(&mut buf).to_vec()
    }

    /// Whether this element equals `s` as Redis's `lpCompare` decides: an
    /// integer entry equals only the canonical spelling of that integer.
    pub fn eq_bytes(&self, s: &[u8]) -> bool {
        match *self {
            Entry::Str(e) => e == s,
            Entry::Int(v) => parse_i64(s) == Some(v),
        }
    }
}

/// Where [`Listpack::insert_at`] puts the new element relative to `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    Before,
    After,
}

/// An element encoded, ready to be copied in: `encoding + data` (an integer
/// is encoded on the stack; a string is referenced and copied once).
enum Encoded<'a> {
    Int([u8; 9], usize),
    Str([u8; 5], usize, &'a [u8]),
}

impl<'a> Encoded<'a> {
    fn of_bytes(s: &'a [u8]) -> Self {
        match parse_i64(s) {
            Some(v) => Self::of_int(v),
            None => Self::of_str(s),
        }
    }

    fn of_str(s: &'a [u8]) -> Self {
        let len = s.len();
        let mut h = [0u8; 5];
        let n = if len < 64 {
            h[0] = 0x80 | len as u8;
            1
        } else if len < 4096 {
            h[0] = 0xE0 | (len >> 8) as u8;
            h[1] = (len & 0xff) as u8;
            2
        } else {
            h[0] = 0xF0;
            h[1..5].copy_from_slice(&(len as u32).to_le_bytes());
            5
        };
        Encoded::Str(h, n, s)
    }

    fn of_int(v: i64) -> Self {
        let mut b = [0u8; 9];
        let n = if (0..=127).contains(&v) {
            b[0] = v as u8;
            1
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u64) & 0x1fff;
            b[0] = 0xC0 | (u >> 8) as u8;
            b[1] = (u & 0xff) as u8;
            2
        } else if (-32768..=32767).contains(&v) {
            b[0] = 0xF1;
            b[1..3].copy_from_slice(&(v as i16).to_le_bytes());
            3
        } else if (-8388608..=8388607).contains(&v) {
            b[0] = 0xF2;
            b[1..4].copy_from_slice(&(v as i32).to_le_bytes()[..3]);
            4
        } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
            b[0] = 0xF3;
            b[1..5].copy_from_slice(&(v as i32).to_le_bytes());
            5
        } else {
            b[0] = 0xF4;
            b[1..9].copy_from_slice(&v.to_le_bytes());
            9
        };
        Encoded::Int(b, n)
    }

    /// Length of encoding + data (what backlen records).
    fn enc_len(&self) -> usize {
        match self {
            Encoded::Int(_, n) => *n,
            Encoded::Str(_, n, s) => n + s.len(),
        }
    }

    /// Whole entry length, backlen included when the listpack keeps them.
    fn entry_len(&self, backlen: bool) -> usize {
        let l = self.enc_len();
        if backlen {
            l + backlen_size(l)
        } else {
            l
        }
    }

    fn write(&self, dst: &mut [u8], backlen: bool) {
        let l = match self {
            Encoded::Int(b, n) => {
                dst[..*n].copy_from_slice(&b[..*n]);
                *n
            }
            Encoded::Str(h, n, s) => {
                dst[..*n].copy_from_slice(&h[..*n]);
                dst[*n..*n + s.len()].copy_from_slice(s);
                n + s.len()
            }
        };
        if backlen {
            encode_backlen(&mut dst[l..], l);
        }
    }
}

fn backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2097151 {
        3
    } else if l < 268435455 {
        4
    } else {
        5
    }
}

/// Writes `l` most significant group first; every byte but the first has
/// the high bit set, so a reader walking backwards knows where to stop.
fn encode_backlen(dst: &mut [u8], l: usize) {
    let n = backlen_size(l);
    for (i, b) in dst[..n].iter_mut().enumerate() {
        let shift = 7 * (n - 1 - i);
        let group = ((l >> shift) & 127) as u8;
        *b = if i == 0 { group } else { group | 128 };
    }
}

/// Listpack: see the module documentation. `B` says whether entries keep
/// their backlen (Redis's layout, walkable both ways in O(1) a step); the
/// compact form without them is for the listpacks of hashes and sorted
/// sets, which are short (they convert past 128 to 512 entries) and walked
/// forward: it saves a byte or more per entry, 20 bytes of a 10-member
/// sorted set, which moves the buffer into a smaller malloc chunk.
#[derive(Clone, PartialEq, Eq)]
pub struct RawListpack<const B: bool> {
    buf: Vec<u8>,
    count: usize,
}

/// Redis's listpack layout (quicklist nodes).
pub type Listpack = RawListpack<true>;

/// Listpack entries without backlens (small hashes and sorted sets); its
/// [`to_bytes`](RawListpack::to_bytes) still gives Redis's bytes.
pub type CompactListpack = RawListpack<false>;

impl<const B: bool> std::fmt::Debug for RawListpack<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<const B: bool> Default for RawListpack<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const B: bool> RawListpack<B> {
    /// An empty listpack (Redis's 7 bytes of `lpNew(0)`: here just the
    /// terminator).
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(super::alloc_class(1));
        buf.push(EOF);
        RawListpack { buf, count: 0 }
    }

    /// Adopts a serialized listpack (as found in an RDB file) after checking
    /// every entry, as `lpValidateIntegrity` with deep validation does:
    /// header size, terminator, each encoding in bounds, each backlen
    /// consistent, and the count when the header knows it.
    pub fn from_bytes(mut buf: Vec<u8>) -> Option<Self> {
        if buf.len() < HEADER_BYTES + 1 {
            return None;
        }
        let total = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        if total != buf.len() || buf[total - 1] != EOF {
            return None;
        }
        let hdr_count = u16::from_le_bytes([buf[4], buf[5]]) as usize;
        buf.drain(..HEADER_BYTES);
        let total = buf.len();
        let lp = RawListpack::<true> { buf, count: 0 };
        let mut p = 0;
        let mut count = 0;
        while lp.buf[p] != EOF {
            let enc = lp.checked_enc_len(p)?;
            let bl = backlen_size(enc);
            let end = p.checked_add(enc)?.checked_add(bl)?;
            if end > total - 1 {
                return None;
            }
            if lp.decode_backlen(end - 1) != enc {
                return None;
            }
            p = end;
            count += 1;
        }
        if p != total - 1 || (hdr_count != NUMELE_UNKNOWN && hdr_count != count) {
            return None;
        }
        if B {
            return Some(RawListpack { buf: lp.buf, count });
        }
        let mut body = Vec::with_capacity(super::alloc_class(total));
        let mut p = 0;
        while lp.buf[p] != EOF {
            let l = lp.enc_len(p);
            body.extend_from_slice(&lp.buf[p..p + l]);
            p += l + backlen_size(l);
        }
        body.push(EOF);
        Some(RawListpack { buf: body, count })
    }

    /// The serialized form, byte for byte what Redis would store (the
    /// header rebuilt in front of the stored entries).
    pub fn to_bytes(&self) -> Vec<u8> {
        let total = self.bytes();
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(&(self.count.min(NUMELE_UNKNOWN) as u16).to_le_bytes());
        if B {
            out.extend_from_slice(&self.buf);
        } else {
            let mut p = 0;
            while self.buf[p] != EOF {
                let l = self.enc_len(p);
                out.extend_from_slice(&self.buf[p..p + l]);
                let at = out.len();
                out.resize(at + backlen_size(l), 0);
                encode_backlen(&mut out[at..], l);
                p += l;
            }
            out.push(EOF);
        }
        out
    }

    /// Size in bytes of Redis's form (`lpBytes`): header, entries and
    /// terminator. Quicklists compare it with their node limits, as Redis.
    /// O(1) with backlens, a walk without.
    pub fn bytes(&self) -> usize {
        let mut n = self.buf.len() + HEADER_BYTES;
        if !B {
            let mut p = 0;
            while self.buf[p] != EOF {
                let l = self.enc_len(p);
                n += backlen_size(l);
                p += l;
            }
        }
        n
    }

    /// Heap bytes reserved for the buffer.
    pub fn allocated(&self) -> usize {
        self.buf.capacity()
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    // ---- walking -------------------------------------------------------

    /// Offset of the first entry.
    pub fn first(&self) -> Option<usize> {
        (self.buf[0] != EOF).then_some(0)
    }

    /// Offset of the last entry.
    pub fn last(&self) -> Option<usize> {
        self.prev(self.buf.len() - 1)
    }

    /// Offset of the entry after the one at `off`.
    pub fn next(&self, off: usize) -> Option<usize> {
        let n = off + self.entry_len(off);
        (self.buf[n] != EOF).then_some(n)
    }

    /// Offset of the entry before `off` (`off` may be the terminator's).
    pub fn prev(&self, off: usize) -> Option<usize> {
        if off == 0 {
            return None;
        }
        if !B {
            // No backlens: walk from the front (these listpacks are short).
            let mut p = 0;
            loop {
                let n = p + self.entry_len(p);
                if n >= off {
                    return Some(p);
                }
                p = n;
            }
        }
        let enc = self.decode_backlen(off - 1);
        Some(off - enc - backlen_size(enc))
    }

    /// Offset of element `index`; negative counts from the tail (-1 last),
    /// as `lpSeek`, walking from whichever end is nearer.
    pub fn seek(&self, index: isize) -> Option<usize> {
        let len = self.count as isize;
        let i = if index < 0 { len + index } else { index };
        if i < 0 || i >= len {
            return None;
        }
        if !B || i < len / 2 {
            let mut p = 0;
            for _ in 0..i {
                p += self.entry_len(p);
            }
            Some(p)
        } else {
            let mut p = self.buf.len() - 1;
            for _ in 0..(len - i) {
                p = self.prev(p)?;
            }
            Some(p)
        }
    }

    /// The element at `off`.
    pub fn get_at(&self, off: usize) -> Entry<'_> {
        let b = &self.buf;
        let c = b[off];
        if c & 0x80 == 0 {
            Entry::Int((c & 0x7f) as i64)
        } else if c & 0xC0 == 0x80 {
            let len = (c & 0x3f) as usize;
            Entry::Str(&b[off + 1..off + 1 + len])
        } else if c & 0xE0 == 0xC0 {
            let u = (((c & 0x1f) as i64) << 8) | b[off + 1] as i64;
            Entry::Int(if u >= 1 << 12 { u - (1 << 13) } else { u })
        } else if c & 0xF0 == 0xE0 {
            let len = (((c & 0x0f) as usize) << 8) | b[off + 1] as usize;
            Entry::Str(&b[off + 2..off + 2 + len])
        } else {
            match c {
                0xF1 => Entry::Int(i16::from_le_bytes([b[off + 1], b[off + 2]]) as i64),
                0xF2 => {
                    let u = i32::from_le_bytes([0, b[off + 1], b[off + 2], b[off + 3]]);
                    Entry::Int((u >> 8) as i64)
                }
                0xF3 => {
                    Entry::Int(
                        i32::from_le_bytes([b[off + 1], b[off + 2], b[off + 3], b[off + 4]]) as i64,
                    )
                }
                0xF4 => {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(&b[off + 1..off + 9]);
                    Entry::Int(i64::from_le_bytes(a))
                }
                0xF0 => {
                    let len = u32::from_le_bytes([b[off + 1], b[off + 2], b[off + 3], b[off + 4]])
                        as usize;
                    Entry::Str(&b[off + 5..off + 5 + len])
                }
                _ => panic!("listpack: bad encoding byte {c:#x} at {off}"),
            }
        }
    }

    /// The element at `index` (negative from the tail).
    pub fn get(&self, index: isize) -> Option<Entry<'_>> {
        self.seek(index).map(|p| self.get_at(p))
    }

    /// Elements front to back; `.rev()` walks back to front.
    pub fn iter(&self) -> Iter<'_, B> {
        Iter {
            lp: self,
            front: 0,
            back: self.buf.len() - 1,
            left: self.count,
            offs: Vec::new(),
        }
    }

    /// Finds an element equal to `s`, starting at `off` and then looking only
    /// at every `skip + 1`-th entry, as `lpFind`: a hash stores field, value,
    /// field, value, so `find(first, field, 1)` visits fields only. The
    /// integer form of `s` is computed once, not per entry.
    pub fn find(&self, off: usize, s: &[u8], skip: usize) -> Option<usize> {
        let as_int = parse_i64(s);
        let mut p = off;
        let end = self.buf.len() - 1;
        while p < end {
            let matched = match self.get_at(p) {
                Entry::Str(e) => as_int.is_none() && e == s,
                Entry::Int(v) => as_int == Some(v),
            };
            if matched {
                return Some(p);
            }
            p += self.entry_len(p);
            for _ in 0..skip {
                if p >= end {
                    return None;
                }
                p += self.entry_len(p);
            }
        }
        None
    }

    // ---- changing ------------------------------------------------------

    /// Appends `s` (stored as an integer when it is a canonical one).
    pub fn push_back(&mut self, s: &[u8]) {
        let end = self.buf.len() - 1;
        self.insert_encoded(end, &Encoded::of_bytes(s));
    }

    /// Prepends `s`.
    pub fn push_front(&mut self, s: &[u8]) {
        self.insert_encoded(0, &Encoded::of_bytes(s));
    }

    /// Appends an integer without going through its string form.
    pub fn push_back_int(&mut self, v: i64) {
        let end = self.buf.len() - 1;
        self.insert_encoded(end, &Encoded::of_int(v));
    }

    /// Inserts `s` before or after the entry at `off` (`Before` the
    /// terminator's offset appends). Returns the new entry's offset.
    pub fn insert_at(&mut self, off: usize, s: &[u8], w: Where) -> usize {
        let at = match w {
            Where::Before => off,
            Where::After => off + self.entry_len(off),
        };
        self.insert_encoded(at, &Encoded::of_bytes(s));
        at
    }

    /// Inserts `s` so that it becomes element `index` (0..=len).
    pub fn insert(&mut self, index: usize, s: &[u8]) {
        assert!(index <= self.count, "listpack insert index out of range");
        let at = if index == self.count {
            self.buf.len() - 1
        } else {
            self.seek(index as isize).expect("index checked")
        };
        self.insert_encoded(at, &Encoded::of_bytes(s));
    }

    /// Replaces the entry at `off` with `s`; the offset stays valid.
    pub fn replace_at(&mut self, off: usize, s: &[u8]) {
        let old = self.entry_len(off);
        let e = Encoded::of_bytes(s);
        let new = e.entry_len(B);
        self.resize_gap(off, old, new);
        e.write(&mut self.buf[off..off + new], B);
    }

    /// Replaces element `index`; false when out of range.
    pub fn replace(&mut self, index: isize, s: &[u8]) -> bool {
        match self.seek(index) {
            Some(p) => {
                self.replace_at(p, s);
                true
            }
            None => false,
        }
    }

    /// Deletes the entry at `off`; returns the offset of the entry that
    /// followed it, now at `off`, or None if it was the last.
    pub fn delete_at(&mut self, off: usize) -> Option<usize> {
        let l = self.entry_len(off);
        self.resize_gap(off, l, 0);
        self.count -= 1;
        (self.buf[off] != EOF).then_some(off)
    }

    /// Deletes `num` elements starting at `index` (negative from the tail),
    /// clamped to the end, as `lpDeleteRange`. Returns how many went.
    pub fn delete_range(&mut self, index: isize, num: usize) -> usize {
        let Some(start) = self.seek(index) else {
            return 0;
        };
        let first = if index < 0 {
            (self.count as isize + index) as usize
        } else {
            index as usize
        };
        let n = num.min(self.count - first);
        if n == 0 {
            return 0;
        }
        let mut end = start;
        for _ in 0..n {
            end += self.entry_len(end);
        }
        self.resize_gap(start, end - start, 0);
        self.count -= n;
        n
    }

    /// Appends every element of `other` (both keep Redis's layout, so this
    /// is one copy of `other`'s entry bytes), as `lpMerge` does.
    pub fn append(&mut self, other: &Self) {
        let body = &other.buf[..other.buf.len() - 1];
        let end = self.buf.len() - 1;
        super::reserve_class(&mut self.buf, body.len());
        self.buf.splice(end..end, body.iter().copied());
        self.count += other.count;
    }

    /// Prepends every element of `other`.
    pub fn prepend(&mut self, other: &Self) {
        let body = &other.buf[..other.buf.len() - 1];
        super::reserve_class(&mut self.buf, body.len());
        self.buf.splice(0..0, body.iter().copied());
        self.count += other.count;
    }

    /// Gives back spare capacity (`lpShrinkToFit`).
    pub fn shrink_to_fit(&mut self) {
        super::shrink_class(&mut self.buf);
    }

    /// Redis's `lpRepr` (DEBUG LISTPACK, DEBUG QUICKLIST ... 1): the
    /// layout of every entry, as text. `addr` is the entry's offset in
    /// Redis's blob (we have no stable pointers to print).
    pub fn repr(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{{total bytes {}}} {{num entries {}}}",
            self.bytes(),
            self.count
        );
        let mut p = self.first();
        let mut index = 0;
        let mut blob_off = HEADER_BYTES;
        while let Some(off) = p {
            let enc = self.enc_len(off);
            let hdr = match self.buf[off] {
                c if c & 0xF0 == 0xE0 => 2,
                0xF0 => 5,
                _ => 1,
            };
            let back = backlen_size(enc);
            let _ = write!(
                out,
                "{{\n\taddr: 0x{blob_off:08x},\n\tindex: {index:2},\n\toffset: {blob_off:1},\n\thdr+entrylen+backlen: {:2},\n\thdrlen: {hdr:3},\n\tbacklen: {back:2},\n\tpayload: {:1}\n\tbytes: ",
                enc + back,
                enc - hdr
            );
            let mut bl = [0u8; 5];
            encode_backlen(&mut bl, enc);
            for b in self.buf[off..off + enc].iter().chain(&bl[..back]) {
                let _ = write!(out, "{b:02x}|");
            }
            let mut num = [0u8; 24];
            let e = self.get_at(off);
            let v = e.as_bytes(&mut num);
            out.push_str("\n\t[str]");
            out.push_str(&String::from_utf8_lossy(&v[..v.len().min(40)]));
            if v.len() > 40 {
                out.push_str("...");
            }
            out.push_str("\n}\n");
            index += 1;
            blob_off += enc + back;
            p = self.next(off);
        }
        out.push_str("{end}\n\n");
        out
    }

    // ---- internals -----------------------------------------------------

    fn insert_encoded(&mut self, at: usize, e: &Encoded<'_>) {
        let n = e.entry_len(B);
        self.resize_gap(at, 0, n);
        e.write(&mut self.buf[at..at + n], B);
        self.count += 1;
    }

    /// Turns the `old` bytes at `at` into `new` bytes, moving the tail.
    fn resize_gap(&mut self, at: usize, old: usize, new: usize) {
        let len = self.buf.len();
        if new > old {
            let grow = new - old;
            super::reserve_class(&mut self.buf, grow);
            self.buf.resize(len + grow, 0);
            self.buf.copy_within(at + old..len, at + new);
        } else if old > new {
            self.buf.copy_within(at + old..len, at + new);
            self.buf.truncate(len - (old - new));
            // Redis reallocs down on every delete; so do we, or a list that
            // grew and shrank would keep its peak allocation.
            super::shrink_class(&mut self.buf);
        }
    }

    /// Length of `encoding + data` of the entry at `off`.
    fn enc_len(&self, off: usize) -> usize {
        let b = &self.buf;
        let c = b[off];
        if c & 0x80 == 0 {
            1
        } else if c & 0xC0 == 0x80 {
            1 + (c & 0x3f) as usize
        } else if c & 0xE0 == 0xC0 {
            2
        } else if c & 0xF0 == 0xE0 {
            2 + ((((c & 0x0f) as usize) << 8) | b[off + 1] as usize)
        } else {
            match c {
                0xF1 => 3,
                0xF2 => 4,
                0xF3 => 5,
                0xF4 => 9,
                0xF0 => {
                    5 + u32::from_le_bytes([b[off + 1], b[off + 2], b[off + 3], b[off + 4]])
                        as usize
                }
                _ => panic!("listpack: bad encoding byte {c:#x} at {off}"),
            }
        }
    }

    /// As `enc_len`, for untrusted bytes: None if the header runs off the end.
    fn checked_enc_len(&self, off: usize) -> Option<usize> {
        let b = &self.buf;
        let need = match b[off] {
            c if c & 0xF0 == 0xE0 || c & 0xE0 == 0xC0 => 2,
            0xF0 => 5,
            0xF5..=0xFE => return None,
            _ => 1,
        };
        if off + need > b.len() {
            return None;
        }
        Some(self.enc_len(off))
    }

    #[inline]
    fn entry_len(&self, off: usize) -> usize {
        let l = self.enc_len(off);
        if B {
            l + backlen_size(l)
        } else {
            l
        }
    }

    /// Reads the backlen whose last byte is at `p`.
    fn decode_backlen(&self, mut p: usize) -> usize {
        let mut v = 0usize;
        let mut shift = 0;
        loop {
            let c = self.buf[p];
            v |= ((c & 127) as usize) << shift;
            if c & 128 == 0 || shift >= 28 || p == 0 {
                return v;
            }
            shift += 7;
            p -= 1;
        }
    }
}

/// Iterator over a listpack's elements, both ways.
pub struct Iter<'a, const B: bool> {
    lp: &'a RawListpack<B>,
    front: usize,
    back: usize,
    left: usize,
    /// Without backlens, walking backwards uses the offsets of the entries
    /// left, gathered in one forward pass at the first `next_back`.
    offs: Vec<u32>,
}

impl<'a, const B: bool> Iterator for Iter<'a, B> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.left == 0 {
            return None;
        }
        let e = self.lp.get_at(self.front);
        self.front += self.lp.entry_len(self.front);
        self.left -= 1;
        Some(e)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<'a, const B: bool> DoubleEndedIterator for Iter<'a, B> {
    fn next_back(&mut self) -> Option<Entry<'a>> {
        if self.left == 0 {
            return None;
        }
        if !B {
            if self.offs.is_empty() {
                let mut p = self.front;
                while p < self.back {
                    self.offs.push(p as u32);
                    p += self.lp.entry_len(p);
                }
            }
            self.back = self.offs.pop()? as usize;
            self.left -= 1;
            return Some(self.lp.get_at(self.back));
        }
        self.back = self.lp.prev(self.back)?;
        self.left -= 1;
        Some(self.lp.get_at(self.back))
    }
}

impl<const B: bool> ExactSizeIterator for Iter<'_, B> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::XorShift;

    fn owned(e: Entry<'_>) -> Vec<u8> {
        e.to_vec()
    }

    #[test]
    fn empty_is_seven_bytes() {
        let lp = Listpack::new();
        assert_eq!(lp.to_bytes(), &[7, 0, 0, 0, 0, 0, 0xFF]);
        assert_eq!(lp.len(), 0);
        assert_eq!(lp.first(), None);
        assert_eq!(lp.last(), None);
        assert_eq!(lp.get(0), None);
        assert_eq!(lp.get(-1), None);
    }

    #[test]
    fn hundred_small_ints_take_207_bytes() {
        // 6 header + 100 * (1 encoding + 1 backlen) + 1 terminator. On
        // redis-server 7.0.15 a hash of fields 0..49 with values 50..99
        // has `MEMORY USAGE` 272 = 16 (robj) + 224 (this listpack's
        // jemalloc class) + 8 (key sds) + 24 (dictEntry). Ours stores the
        // 201 bytes after the header in a 216-byte request (a 224-byte
        // glibc chunk, header included).
        let mut lp = Listpack::new();
        for i in 0..100 {
            lp.push_back(i.to_string().as_bytes());
        }
        assert_eq!(lp.bytes(), 207);
        assert_eq!(lp.allocated(), 216);
        lp.delete_range(0, 90);
        assert_eq!(lp.bytes(), 27);
        assert_eq!(lp.allocated(), 24, "shrinks as a realloc would");
        assert_eq!(lp.get(2), Some(Entry::Int(92)));
    }

    #[test]
    fn encodings_are_redis_bytes() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"0", &[0x00, 0x01]),
            (b"127", &[0x7f, 0x01]),
            (b"128", &[0xC0, 0x80, 0x02]),
            (b"-1", &[0xDF, 0xFF, 0x02]),
            (b"-4096", &[0xD0, 0x00, 0x02]),
            (b"4095", &[0xCF, 0xFF, 0x02]),
            (b"4096", &[0xF1, 0x00, 0x10, 0x03]),
            (b"-32769", &[0xF2, 0xFF, 0x7F, 0xFF, 0x04]),
            (b"8388608", &[0xF3, 0x00, 0x00, 0x80, 0x00, 0x05]),
            (
                b"-9223372036854775808",
                &[0xF4, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x09],
            ),
            (b"abc", &[0x83, b'a', b'b', b'c', 0x04]),
            (b"", &[0x80, 0x01]),
            (b"007", &[0x83, b'0', b'0', b'7', 0x04]),
            (b"-0", &[0x82, b'-', b'0', 0x03]),
            (b"+1", &[0x82, b'+', b'1', 0x03]),
        ];
        for (input, expect) in cases {
            let mut lp = Listpack::new();
            lp.push_back(input);
            assert_eq!(&lp.to_bytes()[6..lp.bytes() - 1], *expect, "{input:?}");
            assert_eq!(owned(lp.get(0).unwrap()), input.to_vec());
        }
        // 12-bit string: length big-endian in the low nibble + next byte,
        // backlen of 202 needs two bytes.
        let s = vec![b'x'; 200];
        let mut lp = Listpack::new();
        lp.push_back(&s);
        let b = lp.to_bytes();
        assert_eq!(&b[6..8], &[0xE0, 200]);
        assert_eq!(&b[208..210], &[202 >> 7, (202 & 127) | 128]);
        // 32-bit string.
        let s = vec![b'y'; 5000];
        let mut lp = Listpack::new();
        lp.push_back(&s);
        assert_eq!(&lp.to_bytes()[6..11], &[0xF0, 0x88, 0x13, 0, 0]);
        assert_eq!(lp.bytes(), 6 + 5 + 5000 + 2 + 1);
        lp.push_back(b"z");
        assert_eq!(lp.get(-2), Some(Entry::Str(&s[..])));
        assert_eq!(lp.iter().rev().count(), 2);
    }

    #[test]
    fn matches_redis_dump_of_a_small_hash() {
        // `HSET h f1 10 field2 -1 f3 hello f4 -5000000000 f5 300` on
        // redis-server 7.0.15, then `DUMP h`: the listpack inside the
        // RDB_TYPE_HASH_LISTPACK payload, byte for byte.
        let hex = "380000000a00826631030a01866669656c643207dfff02826633038568656c6c\
                   6f0682663403f4000efad5feffffff0982663503c12c02ff";
        let redis: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let mut lp = Listpack::new();
        for s in [
            "f1",
            "10",
            "field2",
            "-1",
            "f3",
            "hello",
            "f4",
            "-5000000000",
            "f5",
            "300",
        ] {
            lp.push_back(s.as_bytes());
        }
        assert_eq!(lp.to_bytes(), &redis[..]);
        let adopted = Listpack::from_bytes(redis).unwrap();
        assert_eq!(adopted.get(7), Some(Entry::Int(-5_000_000_000)));
    }

    #[test]
    fn header_count_saturates() {
        let mut lp = Listpack::new();
        for _ in 0..65536 {
            lp.push_back_int(1);
        }
        assert_eq!(&lp.to_bytes()[4..6], &[0xFF, 0xFF]);
        assert_eq!(lp.len(), 65536);
        let copy = Listpack::from_bytes(lp.to_bytes()).unwrap();
        assert_eq!(copy.len(), 65536);
        lp.delete_range(0, 2);
        assert_eq!(&lp.to_bytes()[4..6], &65534u16.to_le_bytes());
    }

    #[test]
    fn find_skips_values() {
        let mut lp = Listpack::new();
        for s in [&b"f1"[..], b"10", b"10", b"v2", b"f3", b"f1"] {
            lp.push_back(s);
        }
        let first = lp.first().unwrap();
        let at = |i: isize| lp.seek(i).unwrap();
        assert_eq!(lp.find(first, b"f1", 1), Some(at(0)));
        assert_eq!(lp.find(first, b"10", 1), Some(at(2)));
        assert_eq!(lp.find(first, b"f3", 1), Some(at(4)));
        // "f1" as a value (index 5) is not a field.
        assert_eq!(lp.find(at(2), b"f1", 1), None);
        assert_eq!(lp.find(first, b"v2", 1), None);
        assert_eq!(lp.find(first, b"v2", 0), Some(at(3)));
        assert_eq!(lp.find(first, b"010", 0), None);
    }

    #[test]
    fn from_bytes_rejects_damage() {
        let mut lp = Listpack::new();
        lp.push_back(b"hello");
        lp.push_back(b"300");
        let good = lp.to_bytes();
        assert!(Listpack::from_bytes(good.clone()).is_some());
        for i in 0..good.len() {
            for delta in [1u8, 0x40, 0x80] {
                let mut bad = good.clone();
                bad[i] = bad[i].wrapping_add(delta);
                // Must not panic; may or may not be accepted (a changed
                // string byte is still a valid listpack).
                if let Some(lp) = Listpack::from_bytes(bad) {
                    let _ = lp.iter().count();
                    let _ = lp.iter().rev().count();
                }
            }
        }
        let mut short = good.clone();
        short.pop();
        assert!(Listpack::from_bytes(short).is_none());
    }

    #[test]
    fn from_bytes_never_panics_on_garbage() {
        let mut rng = XorShift::new(0xBAD);
        let mut accepted = 0;
        for round in 0..20000 {
            let mut buf = if round % 2 == 0 {
                // A valid listpack with a few bytes damaged.
                let mut lp = Listpack::new();
                for _ in 0..rng.below(6) {
                    lp.push_back(&random_value(&mut rng)[..]);
                }
                let mut b = lp.to_bytes();
                for _ in 0..1 + rng.below(3) {
                    let i = rng.below(b.len() as u64) as usize;
                    b[i] = rng.next_u64() as u8;
                }
                b
            } else {
                let n = 7 + rng.below(40) as usize;
                let mut b: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                b[0..4].copy_from_slice(&(n as u32).to_le_bytes());
                b[n - 1] = 0xFF;
                b
            };
            if rng.below(10) == 0 {
                buf.truncate(rng.below(buf.len() as u64) as usize);
            }
            if let Some(lp) = Listpack::from_bytes(buf) {
                accepted += 1;
                let fwd: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
                let mut back: Vec<Vec<u8>> = lp.iter().rev().map(|e| e.to_vec()).collect();
                back.reverse();
                assert_eq!(fwd, back);
                assert_eq!(fwd.len(), lp.len());
            }
        }
        assert!(accepted > 100, "the generator should also make valid ones");
    }

    fn random_value(rng: &mut XorShift) -> Vec<u8> {
        match rng.below(6) {
            0 => rng.below(300).to_string().into_bytes(),
            1 => (rng.next_u64() as i64).to_string().into_bytes(),
            2 => ((rng.next_u64() as i64) >> rng.below(64))
                .to_string()
                .into_bytes(),
            3 => vec![b'a' + rng.below(26) as u8; rng.below(80) as usize],
            4 => vec![b'q'; 4000 + rng.below(200) as usize],
            _ => format!("0{}", rng.below(10)).into_bytes(),
        }
    }

    #[test]
    fn random_operations_match_vec_model() {
        random_ops::<true>(0x5eed);
    }

    #[test]
    fn compact_listpacks_match_the_model_and_redis_bytes() {
        random_ops::<false>(0x5eed);
        random_ops::<false>(77);
        let mut c = CompactListpack::new();
        for v in [&b"field:1"[..], b"12", b"", b"-5000", &[b'x'; 300]] {
            c.push_back(v);
        }
        assert_eq!(c.bytes(), c.to_bytes().len());
        // A 10-member sorted set's pairs: Redis's 137-byte listpack (a
        // 160-byte jemalloc class) is a 111-byte buffer here, 120 reserved
        // (a 128-byte glibc chunk).
        let mut z = CompactListpack::new();
        for i in 0..10 {
            z.push_back(format!("member:{i}").as_bytes());
            z.push_back(format!("{}", 500 + i).as_bytes());
        }
        assert_eq!(z.bytes(), 137);
        assert_eq!(z.allocated(), 120);
        let mut r = Listpack::new();
        for e in c.iter() {
            r.push_back(&owned(e));
        }
        assert_eq!(c.to_bytes(), r.to_bytes());
        assert_eq!(c.prev(c.seek(-1).unwrap()), c.seek(-2));
        assert_eq!(c.last(), c.seek(4));
    }

    fn random_ops<const B: bool>(seed: u64) {
        let mut rng = XorShift::new(seed);
        let mut lp = RawListpack::<B>::new();
        let mut model: Vec<Vec<u8>> = Vec::new();
        for step in 0..4000 {
            let n = model.len();
            match rng.below(9) {
                0 => {
                    let v = random_value(&mut rng);
                    lp.push_back(&v);
                    model.push(v);
                }
                1 => {
                    let v = random_value(&mut rng);
                    lp.push_front(&v);
                    model.insert(0, v);
                }
                2 => {
                    let i = rng.below(n as u64 + 1) as usize;
                    let v = random_value(&mut rng);
                    lp.insert(i, &v);
                    model.insert(i, v);
                }
                3 if n > 0 => {
                    let i = rng.below(n as u64) as usize;
                    let v = random_value(&mut rng);
                    assert!(lp.replace(i as isize - n as isize, &v));
                    model[i] = v;
                }
                4 if n > 0 => {
                    let i = rng.below(n as u64) as usize;
                    let k = rng.below(4) as usize;
                    let got = lp.delete_range(i as isize, k);
                    let k = k.min(n - i);
                    assert_eq!(got, k);
                    model.drain(i..i + k);
                }
                5 if n > 0 => {
                    let i = rng.below(n as u64) as usize;
                    let p = lp.seek(i as isize).unwrap();
                    let next = lp.delete_at(p);
                    model.remove(i);
                    assert_eq!(next.is_some(), i < model.len());
                }
                6 if n > 0 => {
                    let i = rng.below(n as u64) as usize;
                    let v = random_value(&mut rng);
                    let p = lp.seek(i as isize).unwrap();
                    let w = if rng.below(2) == 0 {
                        Where::Before
                    } else {
                        Where::After
                    };
                    let q = lp.insert_at(p, &v, w);
                    assert_eq!(owned(lp.get_at(q)), v);
                    model.insert(if w == Where::Before { i } else { i + 1 }, v);
                }
                7 if n > 0 => {
                    let i = rng.below(n as u64) as usize;
                    let first = lp.first().unwrap();
                    let found = lp.find(first, &model[i], 0).unwrap();
                    let j = model.iter().position(|m| *m == model[i]).unwrap();
                    assert_eq!(found, lp.seek(j as isize).unwrap());
                }
                _ => {
                    let k = rng.below(4) as usize;
                    let mut other = RawListpack::<B>::new();
                    let mut vals = Vec::new();
                    for _ in 0..k {
                        let v = random_value(&mut rng);
                        other.push_back(&v);
                        vals.push(v);
                    }
                    if rng.below(2) == 0 {
                        lp.append(&other);
                        model.extend(vals);
                    } else {
                        lp.prepend(&other);
                        model.splice(0..0, vals);
                    }
                }
            }
            assert_eq!(lp.len(), model.len(), "step {step}");
            if step % 50 == 0 || lp.len() < 8 {
                let fwd: Vec<Vec<u8>> = lp.iter().map(owned).collect();
                assert_eq!(fwd, model);
                let mut back: Vec<Vec<u8>> = lp.iter().rev().map(owned).collect();
                back.reverse();
                assert_eq!(back, model);
                for (i, m) in model.iter().enumerate() {
                    assert_eq!(&owned(lp.get(i as isize).unwrap()), m);
                    let neg = i as isize - model.len() as isize;
                    assert_eq!(&owned(lp.get(neg).unwrap()), m);
                }
                let again = RawListpack::<B>::from_bytes(lp.to_bytes()).unwrap();
                assert_eq!(again, lp);
                let mut redis = Listpack::new();
                for m in &model {
                    redis.push_back(m);
                }
                assert_eq!(lp.to_bytes(), redis.to_bytes());
                assert_eq!(lp.bytes(), redis.bytes());
                let mut it = lp.iter();
                let mut mixed = Vec::new();
                while let Some(e) = if mixed.len() % 3 == 0 {
                    it.next_back()
                } else {
                    it.next()
                } {
                    mixed.push(owned(e));
                }
                assert_eq!(mixed.len(), model.len());
            }
            if lp.len() > 300 {
                lp.delete_range(0, 200);
                model.drain(0..200);
            }
        }
    }
}
