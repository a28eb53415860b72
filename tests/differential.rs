//! Differential tests: the same command script goes to Debian's redis-server
//! 7.0 and to reddish, and every raw reply must match byte for byte.
//!
//! Scripts live in `tests/scripts/*.redis`, one command per line in
//! redis-cli's quoting (`SET k "a b\x00"`). Adding a family is adding a file.
//! Line forms:
//!
//! - `CMD args...`        send on connection 1, compare the replies
//! - `@N CMD args...`     the same on connection N (1-9), for multi-client cases
//! - `@N> CMD args...`    send on connection N without reading (blocking
//!   commands; the runner then waits 30 ms so orders across connections hold)
//! - `@N<`                read one pending reply on connection N and compare
//! - `?CMD args...`       compare only the reply's type byte (RANDOMKEY, TIME...)
//! - `~CMD args...`       compare exactly except integers, which may differ by up
//!   to 1000 (millisecond clocks: XPENDING idle times, XINFO `seen-time`)
//! - `!sleep MS`          pause both servers' scripts
//! - `ID_n` as an argument: connection n's CLIENT ID on each server
//! - `# ...` and blank lines are ignored
//!
//! Each script runs on a fresh pair of servers started with the flags on its
//! first line if that line is `#! --flag value ...`.

mod common;

use common::{Raw, Server};
use reddish::protocol::parser::split_args;

fn split(line: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut spans = Vec::new();
    if split_args(line.as_bytes(), &mut out, &mut spans).is_err() {
        panic!("unbalanced quotes in script line: {line}");
    }
    spans.iter().map(|&(a, b)| out[a..b].to_vec()).collect()
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace("\r\n", "\\r\\n")
}

/// Equal line by line, except that integer lines (`:n`) may differ by up to
/// 1000: times measured by two servers a few milliseconds apart.
fn same_but_clocks(a: &[u8], b: &[u8]) -> bool {
    let la: Vec<&[u8]> = a.split(|&c| c == b'\n').collect();
    let lb: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
    la.len() == lb.len()
        && la.iter().zip(&lb).all(|(x, y)| {
            if x == y {
                return true;
            }
            let num = |l: &[u8]| -> Option<i64> {
                let t = std::str::from_utf8(l.strip_prefix(b":")?).ok()?;
                t.trim_end().parse().ok()
            };
            matches!((num(x), num(y)), (Some(p), Some(q)) if (p - q).abs() <= 1000)
        })
}

/// Runs one script; returns a description of each mismatch.
fn run_script(name: &str, text: &str) -> Vec<String> {
    let flags: Vec<String> = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("#!"))
        .map(|l| {
            split(l)
                .into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect()
        })
        .unwrap_or_default();
    let flags: Vec<&str> = flags.iter().map(|s| s.as_str()).collect();
    let redis = Server::redis(&flags);
    let ours = Server::reddish(&flags);
    let mut conns: Vec<Option<(Raw, Raw)>> = (0..10).map(|_| None).collect();
    // `ID_n` in a line stands for connection n's CLIENT ID on each server
    // (Redis spends ids on internal clients, so the numbers differ).
    let uses_ids = text.contains("ID_");
    let mut ids: Vec<(String, String)> = vec![Default::default(); 10];
    let mut failures = Vec::new();
    for (lineno, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(ms) = line.strip_prefix("!sleep ") {
            std::thread::sleep(std::time::Duration::from_millis(
                ms.trim().parse().unwrap_or(0),
            ));
            continue;
        }
        let (mut conn, mut rest) = (1usize, line);
        if let Some(r) = rest.strip_prefix('@') {
            conn = r[..1].parse().unwrap_or(1);
            rest = &r[1..];
        }
        let (send, read) = if let Some(r) = rest.strip_prefix('>') {
            rest = r;
            (true, false)
        } else if let Some(r) = rest.strip_prefix('<') {
            rest = r;
            (false, true)
        } else {
            (true, true)
        };
        let rest = rest.trim();
        let (type_only, rest) = match rest.strip_prefix('?') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let (clock, rest) = match rest.strip_prefix('~') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if conns[conn].is_none() {
            let mut pair = (redis.raw(), ours.raw());
            if uses_ids {
                let id = |r: &mut Raw| {
                    let b = r.cmd(&[b"CLIENT", b"ID"]);
                    String::from_utf8_lossy(&b[1..b.len().saturating_sub(2)]).into_owned()
                };
                ids[conn] = (id(&mut pair.0), id(&mut pair.1));
            }
            conns[conn] = Some(pair);
        }
        let Some(pair) = conns[conn].as_mut() else {
            continue;
        };
        if send {
            let args = split(rest);
            let with_ids = |side: usize| -> Vec<u8> {
                let args: Vec<Vec<u8>> = args
                    .iter()
                    .map(|a| match a.strip_prefix(b"ID_") {
                        Some(n) if uses_ids && n.len() == 1 && n[0].is_ascii_digit() => {
                            let (r, o) = &ids[(n[0] - b'0') as usize];
                            (if side == 0 { r } else { o }).as_bytes().to_vec()
                        }
                        _ => a.clone(),
                    })
                    .collect();
                let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
                Raw::encode(&refs)
            };
            pair.0.send(&with_ids(0));
            pair.1.send(&with_ids(1));
            if !read {
                // Let both servers take a command sent without reading
                // (a blocking one) before the next line goes out on
                // another connection: blocking orders depend on it.
                std::thread::sleep(std::time::Duration::from_millis(30));
            }
        }
        if read {
            let want = pair
                .0
                .try_read_reply()
                .unwrap_or_else(|| b"<closed>".to_vec());
            let got = pair
                .1
                .try_read_reply()
                .unwrap_or_else(|| b"<closed>".to_vec());
            let same = if type_only {
                want.first() == got.first()
            } else if clock {
                same_but_clocks(&want, &got)
            } else {
                want == got
            };
            if !same {
                failures.push(format!(
                    "{name}:{}: {line}\n    redis:   {}\n    reddish: {}",
                    lineno + 1,
                    show(&want),
                    show(&got)
                ));
                if got == b"<closed>" {
                    break;
                }
            }
        }
    }
    failures
}

#[test]
fn scripts_match_redis_byte_for_byte() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scripts");
    let only = std::env::var("SCRIPT").ok();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("scripts dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let mut failures = Vec::new();
    let mut ran = 0;
    for p in paths {
        if p.extension().and_then(|e| e.to_str()) != Some("redis") {
            continue;
        }
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let text = std::fs::read_to_string(&p).expect("read script");
        failures.extend(run_script(&name, &text));
        ran += 1;
    }
    assert!(ran > 0, "no scripts ran");
    if !failures.is_empty() {
        panic!("{} mismatches:\n{}", failures.len(), failures.join("\n"));
    }
}
