//! # LZF: the fast, small compressor Redis uses for quicklist nodes and RDB
//!
//! Corresponds to Redis's vendored `lzf_c.c` / `lzf_d.c` (Marc Lehmann's
//! liblzf). Redis compresses the inner nodes of a list when
//! `list-compress-depth` is set, and strings in RDB files when
//! `rdbcompression` is on. LZF is chosen for speed, not ratio: it is an
//! LZ77 variant with a 8 KB window and a one-probe hash table, so it
//! compresses at hundreds of MB/s and decompresses faster still.
//!
//! The stream is a sequence of two kinds of runs:
//!
//! ```text
//! 000LLLLL <L+1 literal bytes>                  L+1 in 1..=32
//! LLLooooo oooooooo                             match, len L+2 (L in 1..=6)
//! 111ooooo LLLLLLLL oooooooo                    match, len L+9
//! ```
//!
//! where the 13-bit `o` is the distance back minus one. Decompression is a
//! loop over those runs and is what must be exact: anything Redis wrote, we
//! read. Compression only needs to produce a valid stream; ours is a
//! straightforward greedy matcher (hash of the next three bytes, one
//! candidate, extend as far as 264 bytes) in the spirit of liblzf, so its
//! output may differ from Redis's in a few bytes of ratio but decodes the
//! same everywhere.

const HLOG: u32 = 14;
const MAX_LIT: usize = 32;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3) + 1; // longest match: 264 + 1 - 1

fn hash3(a: u8, b: u8, c: u8) -> usize {
    let v = ((a as u32) << 16) | ((b as u32) << 8) | c as u32;
    (v.wrapping_mul(2654435761) >> (32 - HLOG)) as usize
}

/// Compresses `input`; None when the result would exceed `limit` bytes
/// (as `lzf_compress` returns 0 when the output buffer is too small).
pub fn compress(input: &[u8], limit: usize) -> Option<Vec<u8>> {
    let n = input.len();
    let mut table = vec![0u32; 1 << HLOG];
    let mut out = Vec::with_capacity(limit.min(n + n / 32 + 2));
    let mut lit_pos = 0;
    let mut lit = 0usize;
    out.push(0);
    let mut ip = 0;
    while ip < n {
        if ip + 2 < n {
            let h = hash3(input[ip], input[ip + 1], input[ip + 2]);
            let cand = table[h] as usize;
            table[h] = ip as u32 + 1;
            if cand > 0 {
                let r = cand - 1;
                let off = ip - r - 1;
                if off < MAX_OFF && input[r..r + 3] == input[ip..ip + 3] {
                    let maxlen = (n - ip).min(MAX_REF - 1);
                    let mut len = 3;
                    while len < maxlen && input[r + len] == input[ip + len] {
                        len += 1;
                    }
                    if lit > 0 {
                        out[lit_pos] = (lit - 1) as u8;
                    } else {
                        out.pop();
                    }
                    let l = len - 2;
                    if l < 7 {
                        out.push(((l << 5) | (off >> 8)) as u8);
                    } else {
                        out.push(((7 << 5) | (off >> 8)) as u8);
                        out.push((l - 7) as u8);
                    }
                    out.push(off as u8);
                    // Remember the positions inside the match too, so the
                    // next repeat of this text finds a candidate.
                    for p in ip + 1..(ip + len).min(n.saturating_sub(2)) {
                        table[hash3(input[p], input[p + 1], input[p + 2])] = p as u32 + 1;
                    }
                    ip += len;
                    lit_pos = out.len();
                    out.push(0);
                    lit = 0;
                    if out.len() > limit {
                        return None;
                    }
                    continue;
                }
            }
        }
        out.push(input[ip]);
        ip += 1;
        lit += 1;
        if lit == MAX_LIT {
            out[lit_pos] = (MAX_LIT - 1) as u8;
            lit_pos = out.len();
            out.push(0);
            lit = 0;
        }
        if out.len() > limit + 1 {
            return None;
        }
    }
    if lit > 0 {
        out[lit_pos] = (lit - 1) as u8;
    } else {
        out.pop();
    }
    (out.len() <= limit).then_some(out)
}

/// Decompresses into exactly `out_len` bytes (the caller knows the size,
/// as Redis stores it next to the blob); None on a malformed stream.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(out_len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let len = ctrl + 1;
            if ip + len > input.len() || out.len() + len > out_len {
                return None;
            }
            out.extend_from_slice(&input[ip..ip + len]);
            ip += len;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip)? as usize;
                ip += 1;
            }
            len += 2;
            let back = ((ctrl & 0x1f) << 8) + *input.get(ip)? as usize + 1;
            ip += 1;
            if back > out.len() || out.len() + len > out_len {
                return None;
            }
            let start = out.len() - back;
            // Overlapping copies repeat the pattern: byte by byte.
            for k in 0..len {
                let b = out[start + k];
                out.push(b);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::XorShift;

    #[test]
    fn round_trips() {
        let mut rng = XorShift::new(3);
        for case in 0..400 {
            let n = rng.below(if case % 10 == 0 { 20000 } else { 600 }) as usize;
            let alphabet = 1 + rng.below(if case % 3 == 0 { 256 } else { 4 }) as u8;
            let data: Vec<u8> = (0..n)
                .map(|i| {
                    if rng.below(4) == 0 {
                        (i % 7) as u8
                    } else {
                        (rng.next_u64() % alphabet as u64) as u8
                    }
                })
                .collect();
            let limit = n + n / 16 + 64;
            let c = compress(&data, limit).expect("fits in generous limit");
            assert_eq!(decompress(&c, n).as_deref(), Some(&data[..]), "case {case}");
            if c.len() > 1 {
                assert!(compress(&data, c.len() - 1).is_none());
            }
        }
    }

    #[test]
    fn decompress_never_panics_on_garbage() {
        let mut rng = XorShift::new(11);
        for _ in 0..20000 {
            let n = rng.below(64) as usize;
            let input: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
            let out_len = rng.below(300) as usize;
            if let Some(out) = decompress(&input, out_len) {
                assert_eq!(out.len(), out_len);
            }
        }
    }

    #[test]
    fn repetitive_data_shrinks() {
        let data = b"hello world ".repeat(500);
        let c = compress(&data, data.len()).unwrap();
        assert!(c.len() < data.len() / 20, "{} bytes", c.len());
        assert_eq!(decompress(&c, data.len()).unwrap(), data);
    }

    #[test]
    fn reads_liblzf_output() {
        // Captured from redis-server 7.0.15: `SET k <32 x 'a'>` then `DUMP k`
        // gives an LZF-encoded RDB string (0xC3, clen 9, len 32) whose
        // stream is: literal "aa", match of 28 at distance 1, literal "aa".
        let stream = [0x01, b'a', b'a', 0xE0, 0x13, 0x00, 0x01, b'a', b'a'];
        assert_eq!(decompress(&stream, 32).unwrap(), vec![b'a'; 32]);
        // `SET k2 <"hello world " x 50>`: 600 bytes from 26.
        let hex = "0c68656c6c6f20776f726c642068e0ff0be1ff07e13007016420";
        let stream: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let want = b"hello world ".repeat(50);
        assert_eq!(decompress(&stream, 600).unwrap(), want);
        // Damaged streams are refused, never a panic.
        assert!(decompress(&stream, 599).is_none());
        assert!(decompress(&[0xE0, 0x16, 0x00], 31).is_none());
        assert!(decompress(&[0x05, b'a'], 6).is_none());
        assert!(decompress(&[0xE0], 9).is_none());
    }
}
