//! The request parser (Redis's `processMultibulkBuffer` and
//! `processInlineBuffer` in `networking.c`).
//!
//! Clients send either a multibulk request (`*<argc>\r\n` followed by `argc`
//! bulk strings `$<len>\r\n<bytes>\r\n`) or an inline command (a line of
//! words, what you type in telnet). The parser is sans-io and incremental: it
//! is handed the client's query buffer and a position, and either cuts one
//! complete command out of it or says it needs more bytes, remembering how
//! far it got so a 500 MB value arriving in 16 KB pieces is not re-scanned.
//!
//! Arguments are not copied: a multibulk argument is a `(start, end)` span
//! into the query buffer. Only inline commands, whose quoting (`"a\x41"`)
//! changes the bytes, are unescaped into a small scratch buffer.
//!
//! Every malformed input is an error value with Redis's exact wording; the
//! caller answers it and closes that one client. Nothing here can panic on
//! what a client sends, and nothing allocates more than the client has
//! actually sent (a `*3000000000` header reserves a bounded argv).

/// Longest inline request or `*`/`$` header line, as Redis's PROTO_INLINE_MAX_SIZE.
pub const INLINE_MAX: usize = 64 * 1024;
/// Bulk arguments at least this big get the query buffer pre-sized for them.
pub const BIG_ARG: i64 = 32 * 1024;

/// What the connection is allowed to send, from config and auth state.
#[derive(Clone, Copy)]
pub struct Limits {
    pub max_bulk: i64,
    /// An unauthenticated client (requirepass set) may send at most 10
    /// arguments of 16 KB each, as in Redis.
    pub unauthenticated: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// `spans` (in the query buffer, or in the scratch buffer when `inline`)
    /// hold one command; `pos` was moved past it.
    Command,
    /// Bytes are missing; `pos` may have moved past consumed headers.
    Incomplete,
    /// An empty line or `*0`/`*-1`: nothing to run, keep parsing.
    Empty,
}

/// Protocol errors, each rendered with Redis's text.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum ProtoError {
    TooBigMbulkCount,
    InvalidMultibulkLength,
    UnauthenticatedMultibulkLength,
    TooBigBulkCount,
    ExpectedDollar(u8),
    InvalidBulkLength,
    UnauthenticatedBulkLength,
    TooBigInline,
    UnbalancedQuotes,
}

impl ProtoError {
    pub fn message(&self) -> String {
        let m = match self {
            ProtoError::TooBigMbulkCount => "too big mbulk count string",
            ProtoError::InvalidMultibulkLength => "invalid multibulk length",
            ProtoError::UnauthenticatedMultibulkLength => "unauthenticated multibulk length",
            ProtoError::TooBigBulkCount => "too big bulk count string",
            ProtoError::ExpectedDollar(c) => {
                return format!("ERR Protocol error: expected '$', got '{}'", *c as char)
            }
            ProtoError::InvalidBulkLength => "invalid bulk length",
            ProtoError::UnauthenticatedBulkLength => "unauthenticated bulk length",
            ProtoError::TooBigInline => "too big inline request",
            ProtoError::UnbalancedQuotes => "unbalanced quotes in request",
        };
        format!("ERR Protocol error: {m}")
    }
}

/// Incremental parse state of one connection.
#[derive(Default)]
pub struct Parser {
    /// Argument spans of the command being parsed.
    pub spans: Vec<(usize, usize)>,
    /// True when `spans` index the scratch buffer (inline command).
    pub inline: bool,
    /// Arguments still expected in the current multibulk; 0 = none started.
    multibulk_left: i64,
    /// Length of the bulk being waited for, -1 if its header is not read.
    bulk_len: i64,
    /// Where the command being parsed (or the last one cut) begins in the
    /// buffer. Bytes from here on must survive a buffer compaction while the
    /// command is half-read: its finished arguments are spans into them.
    start: usize,
}

impl Parser {
    pub fn new() -> Self {
        Parser {
            spans: Vec::new(),
            inline: false,
            multibulk_left: 0,
            bulk_len: -1,
            start: 0,
        }
    }

    /// True while a command is half-read (its spans must survive a buffer shift).
    pub fn in_progress(&self) -> bool {
        self.multibulk_left > 0
    }

    /// How far the caller may drop bytes from the front of the buffer when
    /// the parser has reached `pos`: up to `pos`, except that a half-read
    /// command keeps everything from its first byte, because the arguments
    /// already cut are spans into those bytes.
    pub fn keep_from(&self, pos: usize) -> usize {
        if self.in_progress() {
            self.start.min(pos)
        } else {
            pos
        }
    }

    /// Where the last command cut (or the one being read) began, so a caller
    /// that must not run it yet (CLIENT PAUSE) can rewind to it.
    pub fn command_start(&self) -> usize {
        self.start
    }

    /// Shifts remembered positions after the caller dropped `n` bytes from
    /// the front of the query buffer; `n` must not exceed `keep_from`.
    pub fn shift(&mut self, n: usize) {
        self.start = self.start.saturating_sub(n);
        if !self.inline {
            for s in &mut self.spans {
                s.0 = s.0.saturating_sub(n);
                s.1 = s.1.saturating_sub(n);
            }
        }
    }

    /// Bytes the buffer should be able to hold from `pos` to finish the
    /// current big bulk argument, so it can be read in one piece.
    pub fn wanted(&self) -> Option<usize> {
        if self.multibulk_left > 0 && self.bulk_len >= BIG_ARG {
            Some(self.bulk_len as usize + 2)
        } else {
            None
        }
    }

    /// Tries to cut one command from `buf[*pos..]`.
    pub fn parse(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        limits: Limits,
        scratch: &mut Vec<u8>,
    ) -> Result<Parsed, ProtoError> {
        if *pos >= buf.len() {
            return Ok(Parsed::Incomplete);
        }
        if self.multibulk_left == 0 && buf[*pos] != b'*' {
            return self.parse_inline(buf, pos, scratch);
        }
        self.parse_multibulk(buf, pos, limits)
    }

    fn parse_multibulk(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        limits: Limits,
    ) -> Result<Parsed, ProtoError> {
        if self.multibulk_left == 0 {
            let rest = &buf[*pos..];
            let Some(cr) = memchr(b'\r', rest) else {
                if rest.len() > INLINE_MAX {
                    return Err(ProtoError::TooBigMbulkCount);
                }
                return Ok(Parsed::Incomplete);
            };
            if cr + 2 > rest.len() {
                return Ok(Parsed::Incomplete);
            }
            let n = crate::util::numbers::parse_i64(&rest[1..cr]);
            let n = match n {
                Some(n) if n <= i32::MAX as i64 => n,
                _ => return Err(ProtoError::InvalidMultibulkLength),
            };
            if limits.unauthenticated && n > 10 {
                return Err(ProtoError::UnauthenticatedMultibulkLength);
            }
            self.start = *pos;
            *pos += cr + 2;
            if n <= 0 {
                return Ok(Parsed::Empty);
            }
            self.multibulk_left = n;
            self.inline = false;
            self.spans.clear();
            // Reserve for what is plausible, not for what was announced.
            self.spans.reserve(n.min(1024) as usize);
        }
        while self.multibulk_left > 0 {
            if self.bulk_len == -1 {
                let rest = &buf[*pos..];
                let Some(cr) = memchr(b'\r', rest) else {
                    if rest.len() > INLINE_MAX {
                        return Err(ProtoError::TooBigBulkCount);
                    }
                    return Ok(Parsed::Incomplete);
                };
                if cr + 2 > rest.len() {
                    return Ok(Parsed::Incomplete);
                }
                if rest[0] != b'$' {
                    return Err(ProtoError::ExpectedDollar(rest[0]));
                }
                let len = match crate::util::numbers::parse_i64(&rest[1..cr]) {
                    Some(l) if l >= 0 && l <= limits.max_bulk => l,
                    _ => return Err(ProtoError::InvalidBulkLength),
                };
                if limits.unauthenticated && len > 16384 {
                    return Err(ProtoError::UnauthenticatedBulkLength);
                }
                *pos += cr + 2;
                self.bulk_len = len;
            }
            let len = self.bulk_len as usize;
            if buf.len() - *pos < len + 2 {
                return Ok(Parsed::Incomplete);
            }
            self.spans.push((*pos, *pos + len));
            *pos += len + 2;
            self.bulk_len = -1;
            self.multibulk_left -= 1;
        }
        Ok(Parsed::Command)
    }

    fn parse_inline(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        scratch: &mut Vec<u8>,
    ) -> Result<Parsed, ProtoError> {
        let rest = &buf[*pos..];
        let Some(nl) = memchr(b'\n', rest) else {
            if rest.len() > INLINE_MAX {
                return Err(ProtoError::TooBigInline);
            }
            return Ok(Parsed::Incomplete);
        };
        let mut line = &rest[..nl];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        scratch.clear();
        self.spans.clear();
        self.inline = true;
        self.start = *pos;
        split_args(line, scratch, &mut self.spans).map_err(|_| ProtoError::UnbalancedQuotes)?;
        *pos += nl + 1;
        if self.spans.is_empty() {
            return Ok(Parsed::Empty);
        }
        Ok(Parsed::Command)
    }
}

/// Calls `f` with the second argument (the key, for most commands) of each
/// complete multibulk command at the front of `buf`, up to `max` of them,
/// and returns how many it saw. A hint for prefetching only: it stops at
/// the first inline, incomplete or malformed command, leaving those to
/// `Parser::parse`, and reads nothing beyond `buf`.
pub fn peek_keys(buf: &[u8], max: usize, mut f: impl FnMut(&[u8])) -> usize {
    /// The number in a `<prefix><digits>\r\n` line at `buf[*pos..]`, read
    /// with the parser's own rules (`parse_i64`); a line longer than any
    /// 64-bit number is not searched to its end.
    fn header(buf: &[u8], pos: &mut usize, prefix: u8) -> Option<usize> {
        let rest = buf.get(*pos..)?;
        if rest.first() != Some(&prefix) {
            return None;
        }
        let cr = memchr(b'\r', &rest[..rest.len().min(24)])?;
        if rest.get(cr + 1) != Some(&b'\n') {
            return None;
        }
        let n = crate::util::numbers::parse_i64(&rest[1..cr]).filter(|&n| n >= 0)?;
        *pos += cr + 2;
        Some(n as usize)
    }
    // Bounds keep a hint cheap whatever the client sent.
    const MAX_ARGC: usize = 1024;
    const MAX_SCAN: usize = 64 * 1024;
    let mut pos = 0;
    let mut seen = 0;
    while seen < max && pos < MAX_SCAN {
        let Some(argc) = header(buf, &mut pos, b'*') else {
            break;
        };
        if argc > MAX_ARGC {
            break;
        }
        let mut key: Option<(usize, usize)> = None;
        for i in 0..argc {
            let Some(len) = header(buf, &mut pos, b'$') else {
                return seen;
            };
            let end = match pos.checked_add(len) {
                Some(e) if buf.get(e..e + 2) == Some(b"\r\n") => e,
                _ => return seen,
            };
            if i == 1 {
                key = Some((pos, end));
            }
            pos = end + 2;
        }
        if let Some((s, e)) = key {
            f(&buf[s..e]);
        }
        seen += 1;
    }
    seen
}

#[inline]
pub fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Splits a line into arguments exactly as Redis's `sdssplitargs`: words
/// separated by blanks, `"double quotes"` with `\n \r \t \b \a \\ \" \xHH`
/// escapes, `'single quotes'` with `\'`; a closing quote must be followed by
/// a blank or the end of the line. Output bytes go to `out`, spans to `spans`.
#[allow(clippy::result_unit_err)]
pub fn split_args(
    line: &[u8],
    out: &mut Vec<u8>,
    spans: &mut Vec<(usize, usize)>,
) -> Result<(), ()> {
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n
            && (line[i] == b' '
                || line[i] == b'\t'
                || line[i] == b'\n'
                || line[i] == b'\r'
                || line[i] == 0x0b
                || line[i] == 0x0c)
        {
            i += 1;
        }
        if i >= n {
            return Ok(());
        }
        let start = out.len();
        let mut inq = false;
        let mut insq = false;
        loop {
            if inq {
                if i >= n {
                    return Err(());
                }
                if line[i] == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && hex(line[i + 2]).is_some()
                    && hex(line[i + 3]).is_some()
                {
                    out.push(hex(line[i + 2]).unwrap_or(0) * 16 + hex(line[i + 3]).unwrap_or(0));
                    i += 3;
                } else if line[i] == b'\\' && i + 1 < n {
                    i += 1;
                    out.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        c => c,
                    });
                } else if line[i] == b'"' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return Err(());
                    }
                    i += 1;
                    break;
                } else {
                    out.push(line[i]);
                }
            } else if insq {
                if i >= n {
                    return Err(());
                }
                if line[i] == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    out.push(b'\'');
                } else if line[i] == b'\'' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return Err(());
                    }
                    i += 1;
                    break;
                } else {
                    out.push(line[i]);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        i += 1;
                        break;
                    }
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => out.push(c),
                }
            }
            i += 1;
        }
        spans.push((start, out.len()));
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits {
        max_bulk: 512 * 1024 * 1024,
        unauthenticated: false,
    };

    fn parse_all(input: &[u8]) -> (Vec<Vec<Vec<u8>>>, Result<(), ProtoError>) {
        let mut p = Parser::new();
        let mut pos = 0;
        let mut scratch = Vec::new();
        let mut cmds = Vec::new();
        loop {
            match p.parse(input, &mut pos, L, &mut scratch) {
                Ok(Parsed::Command) => {
                    let src: &[u8] = if p.inline { &scratch } else { input };
                    cmds.push(p.spans.iter().map(|&(a, b)| src[a..b].to_vec()).collect());
                }
                Ok(Parsed::Empty) => {}
                Ok(Parsed::Incomplete) => return (cmds, Ok(())),
                Err(e) => return (cmds, Err(e)),
            }
        }
    }

    #[test]
    fn multibulk_and_inline() {
        let (c, r) = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\nset a \"b\\x41\"\r\n");
        assert!(r.is_ok());
        assert_eq!(c.len(), 3);
        assert_eq!(c[0], vec![b"GET".to_vec(), b"k".to_vec()]);
        assert_eq!(c[1], vec![b"PING".to_vec()]);
        assert_eq!(c[2], vec![b"set".to_vec(), b"a".to_vec(), b"bA".to_vec()]);
    }

    #[test]
    fn incremental_byte_by_byte() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
        let mut p = Parser::new();
        let mut pos = 0;
        let mut scratch = Vec::new();
        for end in 1..input.len() {
            assert_eq!(
                p.parse(&input[..end], &mut pos, L, &mut scratch),
                Ok(Parsed::Incomplete)
            );
        }
        assert_eq!(
            p.parse(input, &mut pos, L, &mut scratch),
            Ok(Parsed::Command)
        );
        assert_eq!(pos, input.len());
    }

    #[test]
    fn errors_match_redis() {
        assert_eq!(
            parse_all(b"*3000000000\r\n").1,
            Err(ProtoError::InvalidMultibulkLength)
        );
        assert_eq!(
            parse_all(b"*abc\r\n").1,
            Err(ProtoError::InvalidMultibulkLength)
        );
        assert_eq!(
            parse_all(b"*1\r\nfoo\r\n").1,
            Err(ProtoError::ExpectedDollar(b'f'))
        );
        assert_eq!(
            parse_all(b"*1\r\n$-5\r\n").1,
            Err(ProtoError::InvalidBulkLength)
        );
        assert_eq!(
            parse_all(b"*1\r\n$10000000000\r\n").1,
            Err(ProtoError::InvalidBulkLength)
        );
        assert_eq!(
            parse_all(b"set a \"b\r\n").1,
            Err(ProtoError::UnbalancedQuotes)
        );
        assert_eq!(
            parse_all(&vec![b'a'; 70000]).1,
            Err(ProtoError::TooBigInline)
        );
        let mut big = b"*1\r\n$".to_vec();
        big.extend(std::iter::repeat_n(b'1', 70000));
        assert_eq!(parse_all(&big).1, Err(ProtoError::TooBigBulkCount));
        assert_eq!(
            ProtoError::ExpectedDollar(b'x').message(),
            "ERR Protocol error: expected '$', got 'x'"
        );
    }

    /// Feeds `input` in two reads cut at `cut`, dropping consumed bytes in
    /// between as `Client::compact_query` does.
    fn parse_in_two_reads(input: &[u8], cut: usize) -> Vec<Vec<Vec<u8>>> {
        let mut p = Parser::new();
        let mut scratch = Vec::new();
        let mut cmds = Vec::new();
        let mut buf = input[..cut].to_vec();
        let mut pos = 0;
        for round in 0..2 {
            loop {
                match p.parse(&buf, &mut pos, L, &mut scratch) {
                    Ok(Parsed::Command) => {
                        let src: &[u8] = if p.inline { &scratch } else { &buf };
                        cmds.push(p.spans.iter().map(|&(a, b)| src[a..b].to_vec()).collect());
                    }
                    Ok(Parsed::Empty) => {}
                    Ok(Parsed::Incomplete) => break,
                    Err(e) => panic!("{e:?}"),
                }
            }
            if round == 0 {
                let from = p.keep_from(pos);
                buf.drain(..from);
                p.shift(from);
                pos -= from;
                buf.extend_from_slice(&input[cut..]);
            }
        }
        cmds
    }

    /// Found by the fuzzer: a command whose arguments arrived in two reads
    /// made the compaction between them drop bytes its spans pointed to
    /// (overflow panic in `shift`, or silently wrong arguments).
    #[test]
    fn command_split_across_reads_keeps_its_arguments() {
        let input = b"PING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n";
        for cut in 0..=input.len() {
            let cmds = parse_in_two_reads(input, cut);
            assert_eq!(
                cmds,
                vec![
                    vec![b"PING".to_vec()],
                    vec![b"ECHO".to_vec(), b"hello".to_vec()]
                ],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn empty_requests_are_skipped() {
        let (c, r) = parse_all(b"*0\r\n*-1\r\n\r\n   \r\nPING\r\n");
        assert!(r.is_ok());
        assert_eq!(c, vec![vec![b"PING".to_vec()]]);
    }

    #[test]
    fn random_bytes_never_panic() {
        // Neither the parser nor the prefetch hint (`peek_keys`).
        let mut x: u64 = 0x9E3779B97F4A7C15;
        for _ in 0..20000 {
            let mut v = Vec::new();
            for _ in 0..(x % 40) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let alphabet = b"*$\r\n0123-abc \"'\\x";
                v.push(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            let _ = parse_all(&v);
            let _ = peeked(&v, 16);
        }
    }

    fn peeked(buf: &[u8], max: usize) -> (usize, Vec<Vec<u8>>) {
        let mut keys = Vec::new();
        let n = peek_keys(buf, max, |k| keys.push(k.to_vec()));
        (n, keys)
    }

    #[test]
    fn peek_keys_sees_complete_commands_only() {
        let two = b"*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$2\r\nk2\r\n";
        assert_eq!(peeked(two, 16), (2, vec![b"k1".to_vec(), b"k2".to_vec()]));
        assert_eq!(peeked(two, 1), (1, vec![b"k1".to_vec()]));
        // A command without a second argument counts but names no key.
        let ping = b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        assert_eq!(peeked(ping, 16), (2, vec![b"k".to_vec()]));
        // Every cut of a complete pair: never a key from a partial command.
        for cut in 0..two.len() {
            let (n, keys) = peeked(&two[..cut], 16);
            assert_eq!(keys.len(), n, "cut {cut}");
            assert!(n <= 1 || cut == two.len(), "cut {cut}");
        }
        // Inline, malformed and absurd headers stop the scan quietly.
        for bad in [
            &b"GET k\r\n"[..],
            b"*2\r\n$3\r\nGET\r\n$-1\r\n",
            b"*2\r\n$99999999999999999999\r\nx",
            b"*2\r\n$\r\n",
            b"*99999999\r\n$1\r\na\r\n",
            b"*2\r\n$3\r\nGET\r\n$1\r\nkXY",
        ] {
            assert_eq!(peeked(bad, 16), (0, vec![]), "{bad:?}");
        }
    }
}
