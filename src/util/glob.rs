//! Glob-style pattern matching, exactly as Redis's `stringmatchlen`
//! (`util.c`), used by KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE and others.
//!
//! `*` any run of bytes, `?` one byte, `[abc]` `[^abc]` `[a-z]` classes
//! (a reversed range `[z-a]` works too), `\x` a literal `x`. Matching is on
//! bytes, not characters, and range bounds compare as C's signed `char`, so
//! bytes from 0x80 up sort below ASCII exactly as in Redis (checked against
//! redis-server by `tests/keys.rs` on random patterns).
//!
//! A pattern with many stars could take exponential time on a naive
//! matcher; like Redis, once a star's tail failed to match at every later
//! position, no longer match can succeed, so we stop there
//! (`skip_longer`). Recursion deeper than 1000 stars gives up with "no
//! match", which is Redis 7.0's answer too, not only a stack guard.

/// True if `string` matches `pattern`.
pub fn matches(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, nocase, &mut skip_longer, 0)
}

fn eq(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// A byte as C's signed `char` sees it.
fn signed(b: u8) -> i32 {
    b as i8 as i32
}

/// C's `tolower` in the "C" locale, on a signed `char` value: only ASCII
/// capitals change.
fn lower(c: i32) -> i32 {
    if (b'A' as i32..=b'Z' as i32).contains(&c) {
        c + 32
    } else {
        c
    }
}

fn match_impl(
    mut p: &[u8],
    mut s: &[u8],
    nocase: bool,
    skip_longer: &mut bool,
    nesting: u32,
) -> bool {
    // Protect the stack from pathological patterns, as Redis 7 does.
    if nesting > 1000 {
        return false;
    }
    while !p.is_empty() && !s.is_empty() {
        match p[0] {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if match_impl(&p[1..], s, nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s = &s[1..];
                }
                // The tail did not match anywhere: no longer string can match.
                *skip_longer = true;
                return false;
            }
            b'?' => {
                s = &s[1..];
            }
            b'[' => {
                p = &p[1..];
                let not = p.first() == Some(&b'^');
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                loop {
                    if p.is_empty() {
                        // Unterminated class: Redis backs up so the outer
                        // step consumes the last pattern byte.
                        break;
                    }
                    if p[0] == b'\\' && p.len() >= 2 {
                        p = &p[1..];
                        if p[0] == s[0] {
                            matched = true;
                        }
                    } else if p[0] == b']' {
                        break;
                    } else if p.len() >= 3 && p[1] == b'-' {
                        // Redis compares `char`s, which are signed on the
                        // platforms it ships for: a byte of 0x80 or more
                        // sorts before 'a'. `[a-\xff]` therefore spans
                        // \xff..a, not a..\xff, and we must agree.
                        let (mut start, mut end) = (signed(p[0]), signed(p[2]));
                        let mut c = signed(s[0]);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = lower(start);
                            end = lower(end);
                            c = lower(c);
                        }
                        p = &p[2..];
                        if c >= start && c <= end {
                            matched = true;
                        }
                    } else if eq(p[0], s[0], nocase) {
                        matched = true;
                    }
                    p = &p[1..];
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s = &s[1..];
                if p.is_empty() {
                    // Pattern ended inside the class.
                    return s.is_empty();
                }
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                if !eq(p[0], s[0], nocase) {
                    return false;
                }
                s = &s[1..];
            }
            c => {
                if !eq(c, s[0], nocase) {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
        if s.is_empty() {
            while p.first() == Some(&b'*') {
                p = &p[1..];
            }
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn m(p: &str, s: &str) -> bool {
        matches(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn redis_glob_rules() {
        // As in Redis, the matcher itself never matches an empty string
        // against a star; KEYS and SCAN special-case the lone "*" pattern.
        assert!(!m("*", ""));
        assert!(m("*", "abc"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("**a", "ba"));
        assert!(m("user:*", "user:1"));
        assert!(!m("", "a"));
        assert!(m("", ""));
        assert!(matches(b"HELLO", b"hello", true));
        // An unterminated class never matches, as in Redis.
        assert!(!m("a[", "a["));
    }

    #[test]
    fn ranges_compare_signed_chars_like_c() {
        // 0xff is -1 as a C char: [a-\xff] spans -1..=97.
        assert!(matches(b"[a-\xff]", b"\xff", false));
        assert!(matches(b"[a-\xff]", b"0", false));
        assert!(!matches(b"[a-\xff]", b"b", false));
        assert!(!matches(b"[a-\xff]", b"\x80", false));
        assert!(matches(b"[\x80-\xff]", b"\xc3", false));
        assert!(!matches(b"[\x80-\xff]", b"a", false));
        // [\x00-\x7f] covers no high byte.
        assert!(!matches(b"[\x00-\x7f]", b"\xe9", false));
        // Case folding leaves high bytes alone.
        assert!(matches(b"[A-C]", b"b", true));
        assert!(!matches(b"[A-C]", b"\xe2", true));
    }

    #[test]
    fn unterminated_classes_and_escapes() {
        // The class runs to the end of the pattern and still counts.
        assert!(m("a[b", "ab"));
        assert!(m("a[^", "ax"));
        assert!(!m("a[^", "a"));
        assert!(m("a[b-", "a-"));
        // A trailing backslash is a literal backslash.
        assert!(m("a\\", "a\\"));
        assert!(matches(b"a\\", b"a\\", false));
        // `]` right after `[` closes an empty class, which matches nothing.
        assert!(!m("[]]", "]"));
        // In `[x-]b` the `]` ends a range x..], so the class goes on to `b`.
        assert!(m("a[x-]b", "a]"));
        assert!(m("a[x-]b", "ab"));
        // Nesting deeper than 1000 stars gives up, as Redis 7.0 does.
        let deep = "a*".repeat(1001) + "a";
        assert!(!m(&deep, &"a".repeat(3000)));
        let shallow = "a*".repeat(999) + "a";
        assert!(m(&shallow, &"a".repeat(3000)));
    }

    #[test]
    fn pathological_patterns_finish() {
        let p = "a*".repeat(30) + "b";
        let s = "a".repeat(60);
        assert!(!m(&p, &s));
    }
}
