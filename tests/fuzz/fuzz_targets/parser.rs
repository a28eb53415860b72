//! Fuzz target: arbitrary client bytes through the request parser.
//!
//! The event loop calls `Parser::parse` again and again on one client's
//! query buffer until it answers `Incomplete` (wait for more bytes) or an
//! error (reply and close). This target does the same twice: once with all
//! bytes in one read, once in two reads cut at a point chosen by the first
//! byte, dropping consumed bytes in between exactly as
//! `Client::compact_query` does. Both must cut the same commands and end
//! the same way, which checks the state the parser keeps between calls
//! (`multibulk_left`, `bulk_len`, spans pointing into the buffer), not only
//! the absence of panics. `split_args` also gets the raw bytes as one line.
//! Any panic, overflow or out-of-bounds is a bug: the server promises never
//! to panic on what a client sends.

#![no_main]

use libfuzzer_sys::fuzz_target;
use reddish::protocol::parser::{split_args, Limits, Parsed, Parser, ProtoError};

type Commands = Vec<Vec<Vec<u8>>>;

/// Runs the parser over `buf` from `pos` the way the event loop does,
/// appending each command cut. Returns the error that would close the
/// client, if any.
fn drain(
    p: &mut Parser,
    buf: &[u8],
    pos: &mut usize,
    limits: Limits,
    scratch: &mut Vec<u8>,
    out: &mut Commands,
) -> Option<ProtoError> {
    // Each successful call consumes at least one byte or stops, so this
    // bound is never reached by a correct parser; it turns a livelock
    // into a failure instead of a hang.
    for _ in 0..=buf.len() + 1 {
        let before = *pos;
        match p.parse(buf, pos, limits, scratch) {
            Ok(Parsed::Command) => {
                assert!(*pos > before && *pos <= buf.len());
                assert!(!p.spans.is_empty());
                let src: &[u8] = if p.inline { scratch } else { buf };
                out.push(p.spans.iter().map(|&(a, b)| src[a..b].to_vec()).collect());
            }
            Ok(Parsed::Empty) => assert!(*pos > before, "an empty request consumed nothing"),
            Ok(Parsed::Incomplete) => {
                assert!(*pos <= buf.len());
                return None;
            }
            Err(e) => {
                assert!(e.message().starts_with("ERR Protocol error: "));
                return Some(e);
            }
        }
    }
    panic!("parser made no progress");
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        // Small enough that the fuzzer can reach "invalid bulk length" by
        // announcing a length just over it, large enough for real commands.
        max_bulk: 1 << 20,
        unauthenticated: data.first().is_some_and(|b| b & 0x80 != 0),
    };
    let mut scratch = Vec::new();

    // One read holding everything.
    let mut whole = Commands::new();
    let mut p = Parser::new();
    let mut pos = 0;
    let whole_end = drain(&mut p, data, &mut pos, limits, &mut scratch, &mut whole);

    // Two reads: a prefix, then the rest appended after compaction.
    let cut = if data.is_empty() {
        0
    } else {
        data[0] as usize % (data.len() + 1)
    };
    let mut split = Commands::new();
    let mut p = Parser::new();
    let mut pos = 0;
    let mut buf = data[..cut].to_vec();
    if drain(&mut p, &buf, &mut pos, limits, &mut scratch, &mut split).is_none() {
        let from = p.keep_from(pos);
        assert!(from <= pos);
        buf.drain(..from);
        p.shift(from);
        pos -= from;
        buf.extend_from_slice(&data[cut..]);
        let split_end = drain(&mut p, &buf, &mut pos, limits, &mut scratch, &mut split);
        assert_eq!(
            whole, split,
            "commands differ when the input is split at {cut}"
        );
        assert_eq!(whole_end, split_end);
    }
    // (A first read that already fails may fail earlier than the whole
    // input would, on an over-long line; Redis does the same.)

    // The inline splitter on its own.
    let mut out = Vec::new();
    let mut spans = Vec::new();
    if split_args(data, &mut out, &mut spans).is_ok() {
        for &(a, b) in &spans {
            assert!(a <= b && b <= out.len());
        }
    }
});
