//! Number parsing and formatting with Redis's exact rules (`util.c`:
//! `string2ll`, `ll2string`, `string2d`, and the `%.17g` of `addReplyDouble`).
//!
//! Redis is strict about what it accepts as an integer: no sign other than a
//! leading `-`, no spaces, no leading zeros, no `-0`, at most 20 characters.
//! Clients rely on that (`SET k 007` then `INCR k` is an error, not 8), so we
//! reproduce it exactly instead of using `str::parse`. Formatting writes into
//! a caller's stack buffer: replies never allocate for a number.

/// Parses a signed 64-bit integer exactly as Redis's `string2ll`.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' {
        (true, &s[1..])
    } else {
        (false, s)
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Parses an unsigned 64-bit integer with the same strictness (`string2ull`
/// is looser in Redis; only used where Redis calls `string2ll` and then
/// checks the sign, so the sign check lives with the caller).
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s == b"0" {
        return Some(0);
    }
    if s.is_empty() || s.len() > 20 || !(b'1'..=b'9').contains(&s[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(v)
}

/// Parses a double as Redis's `getDoubleFromObject` does with `strtod`:
/// no leading space, nothing left over, no NaN, and a value that overflows
/// to infinity or underflows to zero is an error (ERANGE) unless the input
/// spelled out `inf` itself.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s[0].is_ascii_whitespace() || s.len() > 5000 {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(if text.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    // Rust accepts forms strtod does not ("1_0" is not one of them, but
    // "infinity" variants and "nan" are handled above and below); strtod
    // accepts hex floats, which Redis users practically never send.
    if !body
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let v: f64 = text.parse().ok()?;
    if v.is_nan() || v.is_infinite() {
        return None;
    }
    if v == 0.0 {
        // Underflow: a non-zero mantissa that rounded to zero is ERANGE.
        let mantissa = body.split(['e', 'E']).next().unwrap_or("");
        if mantissa.bytes().any(|c| (b'1'..=b'9').contains(&c)) {
            return None;
        }
    }
    Some(v)
}

/// Writes `n` in decimal into `buf` and returns the digits.
#[inline]
pub fn fmt_i64(n: i64, buf: &mut [u8; 24]) -> &[u8] {
    let mut i = buf.len();
    let neg = n < 0;
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// Writes `n` in decimal into `buf` and returns the digits.
pub fn fmt_u64(n: u64, buf: &mut [u8; 24]) -> &[u8] {
    let mut i = buf.len();
    let mut v = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

/// Formats a double as C's `printf("%.17g")`, which is what Redis 7.0's
/// `addReplyDouble` sends (so ZSCORE of 1.1 is `1.1000000000000001`), with
/// Redis's spelling of the infinities.
pub fn fmt_double(d: f64, buf: &mut [u8; 40]) -> &[u8] {
    fmt_g(d, 17, buf)
}

/// `printf("%.<precision>g")` for finite and infinite doubles.
pub fn fmt_g(d: f64, precision: usize, buf: &mut [u8; 40]) -> &[u8] {
    use std::io::Write;
    if d.is_nan() {
        buf[..3].copy_from_slice(b"nan");
        return &buf[..3];
    }
    if d.is_infinite() {
        let s: &[u8] = if d > 0.0 { b"inf" } else { b"-inf" };
        buf[..s.len()].copy_from_slice(s);
        return &buf[..s.len()];
    }
    let p = precision.clamp(1, 17);
    // Scientific form with p significant digits: exact, correctly rounded.
    let mut sci = [0u8; 40];
    let len = {
        let mut w = &mut sci[..];
        let _ = write!(w, "{:.*e}", p - 1, d);
        40 - w.len()
    };
    let sci = &sci[..len];
    let neg = sci[0] == b'-';
    let body = if neg { &sci[1..] } else { sci };
    let epos = body.iter().position(|&c| c == b'e').unwrap_or(body.len());
    let mut digits = [0u8; 17];
    let mut nd = 0;
    for &c in &body[..epos] {
        if c.is_ascii_digit() && nd < 17 {
            digits[nd] = c;
            nd += 1;
        }
    }
    let exp: i32 = std::str::from_utf8(&body[epos + 1..])
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    // %g drops trailing zeros of the significand.
    while nd > 1 && digits[nd - 1] == b'0' {
        nd -= 1;
    }
    let mut out = 0;
    let mut put = |c: u8, out: &mut usize| {
        buf[*out] = c;
        *out += 1;
    };
    if neg {
        put(b'-', &mut out);
    }
    if exp < -4 || exp >= p as i32 {
        put(digits[0], &mut out);
        if nd > 1 {
            put(b'.', &mut out);
            for &c in &digits[1..nd] {
                put(c, &mut out);
            }
        }
        put(b'e', &mut out);
        put(if exp < 0 { b'-' } else { b'+' }, &mut out);
        let e = exp.unsigned_abs();
        if e >= 100 {
            put(b'0' + (e / 100) as u8, &mut out);
        }
        put(b'0' + ((e / 10) % 10) as u8, &mut out);
        put(b'0' + (e % 10) as u8, &mut out);
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        for (i, &d) in digits.iter().enumerate().take(int_len.max(nd)) {
            if i < int_len {
                put(if i < nd { d } else { b'0' }, &mut out);
            }
        }
        for _ in digits.len()..int_len {
            put(b'0', &mut out);
        }
        if nd > int_len {
            put(b'.', &mut out);
            for &c in &digits[int_len..nd] {
                put(c, &mut out);
            }
        }
    } else {
        put(b'0', &mut out);
        put(b'.', &mut out);
        for _ in 0..(-exp - 1) {
            put(b'0', &mut out);
        }
        for &c in &digits[..nd] {
            put(c, &mut out);
        }
    }
    &buf[..out]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_strict() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"1a",
            b"0x10",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", std::str::from_utf8(bad));
        }
    }

    #[test]
    fn doubles_parse_like_strtod() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"-Inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        for bad in [&b""[..], b" 1", b"1 ", b"nan", b"1e400", b"1e-400", b"abc"] {
            assert_eq!(parse_f64(bad), None, "{:?}", std::str::from_utf8(bad));
        }
    }

    fn g(d: f64) -> String {
        let mut b = [0u8; 40];
        String::from_utf8(fmt_double(d, &mut b).to_vec()).unwrap()
    }

    #[test]
    fn doubles_format_as_percent_17g() {
        assert_eq!(g(1.1), "1.1000000000000001");
        assert_eq!(g(1.5), "1.5");
        assert_eq!(g(0.0), "0");
        assert_eq!(g(-0.0), "-0");
        assert_eq!(g(100.0), "100");
        assert_eq!(g(1e17), "1e+17");
        assert_eq!(g(1e16), "10000000000000000");
        assert_eq!(g(0.0001), "0.0001");
        assert_eq!(g(0.00001), "1.0000000000000001e-05");
        assert_eq!(g(f64::INFINITY), "inf");
        assert_eq!(g(-3.0), "-3");
        assert_eq!(g(1e300), "1.0000000000000001e+300");
    }

    #[test]
    fn ints_format() {
        let mut b = [0u8; 24];
        assert_eq!(fmt_i64(i64::MIN, &mut b), b"-9223372036854775808");
        assert_eq!(fmt_i64(0, &mut b), b"0");
        assert_eq!(fmt_u64(u64::MAX, &mut b), b"18446744073709551615");
    }
}
