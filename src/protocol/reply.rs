//! Reply encoding: RESP2 and RESP3 (Redis's `networking.c`, the `addReply*` family).
//!
//! Every reply a command produces is appended, already encoded, to the client's
//! output buffer. Nothing is formatted through `format!` on the way: integers go
//! through a small stack buffer (`itoa`-style), bulk payloads are copied once.
//! The same call produces RESP2 or RESP3 depending on what the client asked for
//! with HELLO: `map_len` is `*2n` in RESP2 and `%n` in RESP3, `null` is `$-1` or
//! `_`, a double is a bulk string or a `,` frame. Commands therefore never look at
//! the protocol version unless the shapes differ in more than framing.

use crate::util::numbers::{fmt_double, fmt_i64};

/// A client's pending output and the protocol it speaks.
pub struct Reply {
    /// Encoded bytes not yet written to the socket (from `sent` on).
    pub buf: Vec<u8>,
    /// How much of `buf` the kernel has already taken.
    pub sent: usize,
    /// 2 or 3, set by HELLO.
    pub resp: u8,
    /// CLIENT REPLY OFF/SKIP: replies are dropped instead of appended.
    pub muted: bool,
}

impl Default for Reply {
    fn default() -> Self {
        Reply {
            buf: Vec::new(),
            sent: 0,
            resp: 2,
            muted: false,
        }
    }
}

impl Reply {
    #[inline]
    pub fn resp3(&self) -> bool {
        self.resp >= 3
    }

    /// Bytes produced but not yet written.
    #[inline]
    pub fn pending(&self) -> usize {
        self.buf.len() - self.sent
    }

    #[inline]
    pub fn raw(&mut self, b: &[u8]) {
        if !self.muted {
            self.buf.extend_from_slice(b);
        }
    }

    #[inline]
    fn header(&mut self, prefix: u8, n: i64) {
        if self.muted {
            return;
        }
        let mut tmp = [0u8; 24];
        let s = fmt_i64(n, &mut tmp);
        self.buf.reserve(s.len() + 3);
        self.buf.push(prefix);
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn ok(&mut self) {
        self.raw(b"+OK\r\n");
    }

    pub fn queued(&mut self) {
        self.raw(b"+QUEUED\r\n");
    }

    /// A status reply (`+text`). `text` must not contain CR or LF.
    pub fn simple(&mut self, text: &[u8]) {
        if self.muted {
            return;
        }
        self.buf.push(b'+');
        self.buf.extend_from_slice(text);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply. `text` is the whole message, code included
    /// (`ERR ...`, `WRONGTYPE ...`). Newlines are replaced by spaces, as Redis
    /// does, so a client-supplied name can never break the framing.
    pub fn error(&mut self, text: &[u8]) {
        if self.muted {
            return;
        }
        self.buf.push(b'-');
        let start = self.buf.len();
        self.buf.extend_from_slice(text);
        for b in &mut self.buf[start..] {
            if *b == b'\r' || *b == b'\n' {
                *b = b' ';
            }
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    #[inline]
    pub fn int(&mut self, n: i64) {
        match n {
            0 => self.raw(b":0\r\n"),
            1 => self.raw(b":1\r\n"),
            _ => self.header(b':', n),
        }
    }

    #[inline]
    pub fn bulk(&mut self, b: &[u8]) {
        if self.muted {
            return;
        }
        self.header(b'$', b.len() as i64);
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal form of `n` (GET of an int-encoded value).
    pub fn bulk_i64(&mut self, n: i64) {
        let mut tmp = [0u8; 24];
        let s = fmt_i64(n, &mut tmp);
        self.bulk(s);
    }

    /// The null bulk string: `$-1` in RESP2, `_` in RESP3.
    #[inline]
    pub fn null(&mut self) {
        if self.resp3() {
            self.raw(b"_\r\n")
        } else {
            self.raw(b"$-1\r\n")
        }
    }

    /// The null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        if self.resp3() {
            self.raw(b"_\r\n")
        } else {
            self.raw(b"*-1\r\n")
        }
    }

    #[inline]
    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    pub fn empty_array(&mut self) {
        self.raw(b"*0\r\n");
    }

    /// A map of `n` pairs: `%n` in RESP3, a flat array of `2n` in RESP2.
    pub fn map(&mut self, n: usize) {
        if self.resp3() {
            self.header(b'%', n as i64)
        } else {
            self.header(b'*', 2 * n as i64)
        }
    }

    /// A set: `~n` in RESP3, an array in RESP2.
    pub fn set(&mut self, n: usize) {
        if self.resp3() {
            self.header(b'~', n as i64)
        } else {
            self.header(b'*', n as i64)
        }
    }

    /// An out-of-band push frame (`>n`) in RESP3, an array in RESP2.
    pub fn push(&mut self, n: usize) {
        if self.resp3() {
            self.header(b'>', n as i64)
        } else {
            self.header(b'*', n as i64)
        }
    }

    /// A double as Redis 7.0 writes it (`%.17g`): a bulk string in RESP2,
    /// a `,` frame in RESP3.
    pub fn double(&mut self, d: f64) {
        let mut tmp = [0u8; 40];
        let s = fmt_double(d, &mut tmp);
        if self.resp3() {
            if self.muted {
                return;
            }
            self.buf.push(b',');
            self.buf.extend_from_slice(s);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(s);
        }
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, v: bool) {
        if self.resp3() {
            self.raw(if v { b"#t\r\n" } else { b"#f\r\n" })
        } else {
            self.int(v as i64)
        }
    }

    /// A verbatim string (`=len\r\ntxt:...`) in RESP3, a bulk string in RESP2.
    pub fn verbatim(&mut self, body: &[u8], format: &[u8; 3]) {
        if !self.resp3() {
            return self.bulk(body);
        }
        if self.muted {
            return;
        }
        self.header(b'=', body.len() as i64 + 4);
        self.buf.extend_from_slice(format);
        self.buf.push(b':');
        self.buf.extend_from_slice(body);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A big number (`(`) in RESP3, a bulk string in RESP2.
    pub fn big_number(&mut self, digits: &[u8]) {
        if !self.resp3() {
            return self.bulk(digits);
        }
        if self.muted {
            return;
        }
        self.buf.push(b'(');
        self.buf.extend_from_slice(digits);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An attribute map header (`|n`), RESP3 only; callers check the protocol.
    pub fn attribute(&mut self, n: usize) {
        self.header(b'|', n as i64);
    }

    /// Drops what the socket has taken and keeps the rest, so the buffer does
    /// not grow without end under a steady stream of partial writes.
    pub fn compact(&mut self) {
        if self.sent == self.buf.len() {
            self.buf.clear();
            self.sent = 0;
            // A huge one-off reply (KEYS * on a big db) should not pin its
            // memory for the rest of the connection's life.
            if self.buf.capacity() > 1 << 20 {
                self.buf = Vec::with_capacity(16 * 1024);
            }
        } else if self.sent > (64 * 1024) && self.sent * 2 > self.buf.len() {
            self.buf.drain(..self.sent);
            self.sent = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_differ_by_protocol() {
        let mut r = Reply::default();
        r.map(2);
        r.null();
        r.double(1.5);
        r.boolean(true);
        assert_eq!(r.buf, b"*4\r\n$-1\r\n$3\r\n1.5\r\n:1\r\n");
        let mut r = Reply {
            resp: 3,
            ..Reply::default()
        };
        r.map(2);
        r.null();
        r.double(1.5);
        r.boolean(true);
        assert_eq!(r.buf, b"%2\r\n_\r\n,1.5\r\n#t\r\n");
    }

    #[test]
    fn errors_never_break_framing() {
        let mut r = Reply::default();
        r.error(b"ERR bad\r\nname");
        assert_eq!(r.buf, b"-ERR bad  name\r\n");
    }

    #[test]
    fn muted_drops_everything() {
        let mut r = Reply {
            muted: true,
            ..Reply::default()
        };
        r.ok();
        r.bulk(b"x");
        r.int(5);
        assert!(r.buf.is_empty());
    }
}
