//! Values and their encodings (Redis's `object.c`).
//!
//! A Redis value has a type (string, list, hash, set, zset, stream) and an
//! encoding, the in-memory form chosen for it, which `OBJECT ENCODING`
//! reveals. Strings have three: `int` (the value is a 64-bit integer kept as a
//! number), `embstr` (a short string created in one piece, at most 44 bytes)
//! and `raw` (any other string, and every string that was modified in place
//! by APPEND, SETRANGE or SETBIT). We keep the same three so that clients
//! and tests that look at encodings see what Redis would show.

use crate::util::numbers::{fmt_i64, parse_i64};

/// Longest string that Redis stores as `embstr`.
pub const EMBSTR_MAX: usize = 44;

/// A string value.
#[derive(Clone, Debug, PartialEq)]
pub enum StrVal {
    Int(i64),
    Emb(Box<[u8]>),
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
            StrVal::Emb(b.into())
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
            StrVal::Emb(b) => b,
            StrVal::Raw(v) => v,
        }
    }

    /// The value as an integer, if it is one in Redis's strict sense.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            StrVal::Int(n) => Some(*n),
            StrVal::Emb(b) => parse_i64(b),
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
            StrVal::Emb(b) => b.len(),
            StrVal::Raw(v) => v.capacity(),
        }
    }
}

/// A value of any type. Collection types join as their issues land.
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
