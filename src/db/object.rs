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

/// Bytes an inline `embstr` holds: what fits in a 40-byte `Value` next to
/// the tag and the length byte.
pub const INLINE_MAX: usize = 38;

/// A short string stored in place.
#[derive(Clone, Copy)]
pub struct Inline {
    len: u8,
    buf: [u8; INLINE_MAX],
}

impl Inline {
    fn new(b: &[u8]) -> Inline {
        let mut buf = [0u8; INLINE_MAX];
        let n = b.len().min(INLINE_MAX);
        buf[..n].copy_from_slice(&b[..n]);
        Inline { len: n as u8, buf }
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

impl PartialEq for Inline {
    fn eq(&self, other: &Inline) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl std::fmt::Debug for Inline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// A string value.
#[derive(Clone, Debug, PartialEq)]
pub enum StrVal {
    Int(i64),
    /// `embstr` of at most `INLINE_MAX` bytes, in place.
    Emb(Inline),
    /// `embstr` of `INLINE_MAX + 1 ..= EMBSTR_MAX` bytes.
    EmbBox(Box<[u8]>),
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
        if b.len() <= INLINE_MAX {
            StrVal::Emb(Inline::new(b))
        } else if b.len() <= EMBSTR_MAX {
            StrVal::EmbBox(b.into())
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
            StrVal::EmbBox(b) => b,
            StrVal::Raw(v) => v,
        }
    }

    /// The value as an integer, if it is one in Redis's strict sense.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            StrVal::Int(n) => Some(*n),
            StrVal::Emb(b) => parse_i64(b.as_bytes()),
            StrVal::EmbBox(b) => parse_i64(b),
            StrVal::Raw(v) => parse_i64(v),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            StrVal::Int(n) => fmt_i64(*n, &mut [0; 24]).len(),
            StrVal::Emb(b) => b.len as usize,
            StrVal::EmbBox(b) => b.len(),
            StrVal::Raw(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            StrVal::Int(_) => "int",
            StrVal::Emb(_) | StrVal::EmbBox(_) => "embstr",
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
            StrVal::Int(_) | StrVal::Emb(_) => 0,
            StrVal::EmbBox(b) => b.len(),
            StrVal::Raw(v) => v.capacity(),
        }
    }
}

/// A value of any type. Collection types join as their issues land, each
/// as a `Box` (or another one-pointer handle) so that `Value` stays 40 bytes.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(StrVal),
}

impl Value {
    /// The name TYPE answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
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
        assert!(matches!(StrVal::from_bytes(&s38), StrVal::Emb(_)));
        assert!(matches!(StrVal::from_bytes(&s39), StrVal::EmbBox(_)));
        assert_eq!(StrVal::from_bytes(&s39).encoding(), "embstr");
        assert_eq!(StrVal::from_bytes(&s45).encoding(), "raw");
        let mut tmp = [0u8; 24];
        for b in [&b"hello"[..], &s38, &s39, &s45, b"-42", b""] {
            let v = StrVal::from_bytes(b);
            assert_eq!(v.bytes(&mut tmp), b);
            assert_eq!(v.len(), b.len());
        }
        let mut v = StrVal::from_bytes(b"abc");
        v.make_raw().push(b'd');
        assert_eq!(v.encoding(), "raw");
        assert_eq!(v.bytes(&mut tmp), b"abcd");
    }
}
