//! Values and their encodings (Redis's `object.c`).
//!
//! A Redis value has a type (string, list, hash, set, zset, stream) and an
//! encoding, the in-memory form chosen for it, which `OBJECT ENCODING`
//! reveals. Strings have three: `int` (the value is a 64-bit integer kept as a
//! number), `embstr` (a short string created in one piece, at most 44 bytes)
//! and `raw` (any other string, and every string that was modified in place
//! by APPEND, SETRANGE or SETBIT). We keep the same three so that clients
//! and tests that look at encodings see what Redis would show.
//!
//! ## Size
//!
//! A `Value` lives *inside* its keyspace entry (see `db::dict`), so its size
//! is paid by every key. It is 40 bytes: a tag byte and then either an
//! integer, a pointer (raw strings, and the collection types as they come)
//! or, for short strings, the bytes themselves: an `embstr` of up to 38
//! bytes is stored inline, with no allocation at all, which is where Redis's
//! `embstr` idea (one allocation for object and string) goes one step
//! further. Strings of 39 to 44 bytes still show `embstr` but keep their
//! bytes in a boxed slice. A unit test pins the 40 bytes: new variants must
//! hold a pointer (`Box<...>`), not a large struct.

use crate::util::numbers::{fmt_i64, parse_i64};

/// Longest string that Redis stores as `embstr`.
pub const EMBSTR_MAX: usize = 44;

/// Bytes an `embstr` holds in place: what fits in a 40-byte `Value` next
/// to the enum tag and the length byte.
pub const INLINE_MAX: usize = 38;

/// `tag` value of an `EmbStr` whose bytes are on the heap.
const ON_HEAP: u8 = 0xff;

/// An `embstr`: up to `INLINE_MAX` bytes in place; longer ones (39 to 44
/// bytes from `from_bytes`, or whatever a caller builds) in a boxed slice
/// whose pointer and length are kept in the same bytes. Built with
/// `EmbStr::from(&[u8])`, `From<Vec<u8>>` or `From<Box<[u8]>>`.
pub struct EmbStr {
    /// Length when inline (0..=38), or `ON_HEAP`.
    tag: u8,
    /// Inline bytes, or (when on the heap) pointer then length, unaligned.
    buf: [u8; INLINE_MAX],
}

impl EmbStr {
    pub fn new(b: &[u8]) -> EmbStr {
        if b.len() <= INLINE_MAX {
            let mut buf = [0u8; INLINE_MAX];
            buf[..b.len()].copy_from_slice(b);
            EmbStr {
                tag: b.len() as u8,
                buf,
            }
        } else {
            EmbStr::boxed(b.into())
        }
    }

    fn boxed(b: Box<[u8]>) -> EmbStr {
        let len = b.len();
        let ptr = Box::into_raw(b) as *mut u8;
        let mut buf = [0u8; INLINE_MAX];
        buf[..8].copy_from_slice(&ptr.expose_provenance().to_ne_bytes());
        buf[8..16].copy_from_slice(&len.to_ne_bytes());
        EmbStr { tag: ON_HEAP, buf }
    }

    fn heap_parts(&self) -> (*mut u8, usize) {
        let mut p = [0u8; 8];
        let mut l = [0u8; 8];
        p.copy_from_slice(&self.buf[..8]);
        l.copy_from_slice(&self.buf[8..16]);
        (
            std::ptr::with_exposed_provenance_mut(usize::from_ne_bytes(p)),
            usize::from_ne_bytes(l),
        )
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        if self.tag == ON_HEAP {
            let (p, l) = self.heap_parts();
            // SAFETY: pointer and length come from a live Box<[u8]> we own.
            unsafe { std::slice::from_raw_parts(p, l) }
        } else {
            &self.buf[..self.tag as usize]
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        if self.tag == ON_HEAP {
            self.heap_parts().1
        } else {
            self.tag as usize
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes (0 when inline).
    pub fn heap_size(&self) -> usize {
        if self.tag == ON_HEAP {
            self.len()
        } else {
            0
        }
    }
}

impl Drop for EmbStr {
    fn drop(&mut self) {
        if self.tag == ON_HEAP {
            let (p, l) = self.heap_parts();
            // SAFETY: rebuilds the Box this value owns, exactly once.
            unsafe { drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, l))) }
        }
    }
}

impl Clone for EmbStr {
    fn clone(&self) -> EmbStr {
        EmbStr::new(self.as_bytes())
    }
}

impl PartialEq for EmbStr {
    fn eq(&self, other: &EmbStr) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl std::fmt::Debug for EmbStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl From<&[u8]> for EmbStr {
    fn from(b: &[u8]) -> EmbStr {
        EmbStr::new(b)
    }
}

impl From<Vec<u8>> for EmbStr {
    fn from(v: Vec<u8>) -> EmbStr {
        if v.len() <= INLINE_MAX {
            EmbStr::new(&v)
        } else {
            EmbStr::boxed(v.into_boxed_slice())
        }
    }
}

impl From<Box<[u8]>> for EmbStr {
    fn from(b: Box<[u8]>) -> EmbStr {
        if b.len() <= INLINE_MAX {
            EmbStr::new(&b)
        } else {
            EmbStr::boxed(b)
        }
    }
}

/// A string value.
#[derive(Clone, Debug, PartialEq)]
pub enum StrVal {
    Int(i64),
    /// `embstr`: in place up to `INLINE_MAX` bytes.
    Emb(EmbStr),
    Raw(Vec<u8>),
}

impl StrVal {
    /// What Redis's `tryObjectEncoding` makes of bytes stored by SET and
    /// friends: an integer when the text is one (and at most 20 characters),
    /// embstr when short, raw otherwise.
    pub fn from_bytes(b: &[u8]) -> StrVal {
        if b.len() <= 20 {
            if let Some(n) = parse_i64(b) {
                return StrVal::Int(n);
            }
        }
        if b.len() <= EMBSTR_MAX {
            StrVal::Emb(EmbStr::new(b))
        } else {
            StrVal::Raw(b.to_vec())
        }
    }

    pub fn from_int(n: i64) -> StrVal {
        StrVal::Int(n)
    }

    /// The string's bytes; an int is formatted into `tmp`.
    #[inline]
    pub fn bytes<'a>(&'a self, tmp: &'a mut [u8; 24]) -> &'a [u8] {
        match self {
            StrVal::Int(n) => fmt_i64(*n, tmp),
            StrVal::Emb(b) => b.as_bytes(),
            StrVal::Raw(v) => v,
        }
    }

    /// The value as an integer, if it is one in Redis's strict sense.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            StrVal::Int(n) => Some(*n),
            StrVal::Emb(b) => parse_i64(b.as_bytes()),
            StrVal::Raw(v) => parse_i64(v),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            StrVal::Int(n) => fmt_i64(*n, &mut [0; 24]).len(),
            StrVal::Emb(b) => b.len(),
            StrVal::Raw(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            StrVal::Int(_) => "int",
            StrVal::Emb(_) => "embstr",
            StrVal::Raw(_) => "raw",
        }
    }

    /// Turns the value into a raw string for modification in place, as
    /// Redis's `dbUnshareStringValue` does before APPEND or SETRANGE.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, StrVal::Raw(_)) {
            let mut tmp = [0u8; 24];
            let v = self.bytes(&mut tmp).to_vec();
            *self = StrVal::Raw(v);
        }
        match self {
            StrVal::Raw(v) => v,
            _ => unreachable!("made raw just above"),
        }
    }

    /// Heap bytes this value holds beyond its own header.
    pub fn heap_size(&self) -> usize {
        match self {
            StrVal::Int(_) => 0,
            StrVal::Emb(b) => b.heap_size(),
            StrVal::Raw(v) => v.capacity(),
        }
    }
}

/// A value of any type. Collection types join as their issues land, each
/// as a `Box` (or another one-pointer handle) so that `Value` stays 40 bytes.
/// Hashes, sets and sorted sets are held in place instead: their values
/// are enums whose small encoding is one buffer handle (at most 32 bytes)
/// and whose large encoding is itself boxed, so they fit the 40 bytes and
/// a small collection costs its keyspace entry plus one buffer, no extra
/// allocation (the many small hashes of a cache are the common case).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(StrVal),
    List(Box<crate::types::list_value::ListVal>),
    Hash(crate::types::hash_value::HashVal),
    Set(crate::types::set_value::SetVal),
    ZSet(crate::types::zset_value::ZSetVal),
    Stream(Box<crate::types::stream::StreamVal>),
}

/// Redis's `LAZYFREE_THRESHOLD`: a value whose free effort exceeds it is
/// freed by Redis's background thread when deleted asynchronously.
pub const LAZYFREE_THRESHOLD: u64 = 64;

impl Value {
    /// Redis's `lazyfreeGetFreeEffort`, as far as the lazy-free threshold
    /// needs it: quicklist nodes, table entries of a hashtable set or hash,
    /// skiplist length, stream rax nodes plus consumer groups times
    /// (1 + the first group's PEL); compact encodings and strings are one
    /// allocation. A stream with more listpack nodes than the threshold
    /// counts those nodes (a lower bound of its rax nodes) instead of
    /// walking the rax.
    pub fn free_effort(&self) -> u64 {
        match self {
            Value::Str(_) => 1,
            Value::List(l) => l.ql.node_count() as u64,
            Value::Hash(h) if h.encoding() == "hashtable" => h.len() as u64,
            Value::Set(s) if s.encoding() == "hashtable" => s.len() as u64,
            Value::ZSet(z) if z.encoding() == "skiplist" => z.len() as u64,
            Value::Hash(_) | Value::Set(_) | Value::ZSet(_) => 1,
            Value::Stream(s) => {
                let nodes = s.node_count() as u64;
                let mut effort = if nodes > LAZYFREE_THRESHOLD {
                    nodes
                } else {
                    s.rax_nodes()
                };
                if let Some(g) = s.groups.values().next() {
                    effort += s.groups.len() as u64 * (1 + g.pel.len() as u64);
                }
                effort
            }
        }
    }

    /// The name TYPE answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(v) => v.encoding(),
            Value::Hash(v) => v.encoding(),
            Value::Set(v) => v.encoding(),
            Value::ZSet(v) => v.encoding(),
            Value::Stream(v) => v.encoding(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_40_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 40);
    }

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(StrVal::from_bytes(b"123").encoding(), "int");
        assert_eq!(StrVal::from_bytes(b"0123").encoding(), "embstr");
        let s38 = [b'x'; 38];
        let s39 = [b'x'; 39];
        let s45 = [b'x'; 45];
        assert_eq!(StrVal::from_bytes(&s38).heap_size(), 0);
        assert_eq!(StrVal::from_bytes(&s39).heap_size(), 39);
        assert_eq!(StrVal::from_bytes(&s39).encoding(), "embstr");
        assert_eq!(StrVal::from_bytes(&s45).encoding(), "raw");
        let mut tmp = [0u8; 24];
        for b in [&b"hello"[..], &s38, &s39, &s45, b"-42", b""] {
            let v = StrVal::from_bytes(b);
            assert_eq!(v.bytes(&mut tmp), b);
            assert_eq!(v.len(), b.len());
        }
        // Callers build embstrs from slices, vectors and boxes of any size.
        for n in [0, 5, 38, 39, 44, 100] {
            let b = vec![b'y'; n];
            let e: EmbStr = b.as_slice().into();
            assert_eq!(e.as_bytes(), &b[..]);
            assert_eq!(EmbStr::from(b.clone()).clone().as_bytes(), &b[..]);
            assert_eq!(EmbStr::from(b.clone().into_boxed_slice()), e);
            assert_eq!(StrVal::Emb(e).len(), n);
        }
        let mut v = StrVal::from_bytes(b"abc");
        v.make_raw().push(b'd');
        assert_eq!(v.encoding(), "raw");
        assert_eq!(v.bytes(&mut tmp), b"abcd");
    }
}
