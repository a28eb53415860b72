//! Streams beyond what a fixed script can check: auto-generated IDs (they
//! depend on the clock), exact idle times and delivery counts, a job-queue
//! workflow through the `redis` crate, and a long randomized run of stream
//! commands sent to Debian's redis-server 7.0 and to reddish side by side
//! with small node sizes, every reply compared byte for byte.

mod common;

use common::{Raw, Server};
use redis::cmd;

fn parse_id(s: &str) -> (u64, u64) {
    let (a, b) = s.split_once('-').expect("ms-seq");
    (a.parse().unwrap(), b.parse().unwrap())
}

#[test]
fn auto_ids_follow_the_clock_and_stay_monotonic() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let mut last = (0, 0);
    for i in 0..2000 {
        let id: String = cmd("XADD")
            .arg("s")
            .arg("*")
            .arg("n")
            .arg(i)
            .query(&mut c)
            .unwrap();
        let id = parse_id(&id);
        assert!(id > last, "{id:?} after {last:?}");
        assert!(id.0 >= before);
        last = id;
    }
    // A future explicit ID: `*` then keeps its ms and counts the sequence.
    let future = last.0 + 1_000_000;
    let _: String = cmd("XADD")
        .arg("s")
        .arg(format!("{future}-5"))
        .arg("a")
        .arg(1)
        .query(&mut c)
        .unwrap();
    let id: String = cmd("XADD")
        .arg("s")
        .arg("*")
        .arg("a")
        .arg(1)
        .query(&mut c)
        .unwrap();
    assert_eq!(parse_id(&id), (future, 6));
    let id: String = cmd("XADD")
        .arg("s")
        .arg(format!("{future}-*"))
        .arg("a")
        .arg(1)
        .query(&mut c)
        .unwrap();
    assert_eq!(parse_id(&id), (future, 7));
    let n: i64 = cmd("XLEN").arg("s").query(&mut c).unwrap();
    assert_eq!(n, 2003);
}

/// The delivery counts of an extended XPENDING reply (each entry is id,
/// consumer, idle, count: the count is every second integer).
fn counts(reply: &str) -> Vec<i64> {
    let ints: Vec<i64> = reply
        .split("\r\n")
        .filter_map(|l| l.strip_prefix(':'))
        .map(|n| n.parse().unwrap())
        .collect();
    ints.iter().skip(1).step_by(2).copied().collect()
}

#[test]
fn idle_times_and_delivery_counts_are_exact() {
    let srv = Server::reddish(&[]);
    let mut r = Raw::connect(srv.port);
    r.cmds("XADD q 1-1 f 1");
    r.cmds("XADD q 1-2 f 2");
    r.cmds("XGROUP CREATE q g 0");
    r.cmds("XREADGROUP GROUP g alice STREAMS q >");
    // Two history reads count two more deliveries of each entry.
    r.cmds("XREADGROUP GROUP g alice STREAMS q 0");
    r.cmds("XREADGROUP GROUP g alice STREAMS q 0");
    let p = r.cmds("XPENDING q g - + 10");
    assert!(p.contains("$5\r\nalice\r\n"), "{p}");
    assert_eq!(counts(&p), [3, 3], "{p}");
    // IDLE sets the delivery time in the past; RETRYCOUNT the counter.
    r.cmds("XCLAIM q g bob 0 1-1 IDLE 50000 RETRYCOUNT 9 JUSTID");
    let p = r.cmds("XPENDING q g - 1-1 10");
    let nums: Vec<i64> = p
        .split("\r\n")
        .filter_map(|l| l.strip_prefix(':'))
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(nums.len(), 2, "{p}");
    assert!((50000..51000).contains(&nums[0]), "{p}");
    assert_eq!(nums[1], 9);
    // IDLE filter: only 1-1 has been idle that long.
    let p = r.cmds("XPENDING q g IDLE 40000 - + 10");
    assert!(p.starts_with("*1\r\n") && p.contains("1-1"), "{p}");
    // XAUTOCLAIM with JUSTID leaves the counter alone, without it adds one.
    r.cmds("XAUTOCLAIM q g carol 0 0 JUSTID");
    let p = r.cmds("XPENDING q g - + 10 carol");
    assert_eq!(counts(&p), [9, 3], "{p}");
    r.cmds("XAUTOCLAIM q g dave 0 0");
    let p = r.cmds("XPENDING q g - + 10 dave");
    assert_eq!(counts(&p), [10, 4], "{p}");
    // XINFO CONSUMERS: dave was just seen, alice a while ago (at least 0).
    std::thread::sleep(std::time::Duration::from_millis(30));
    let info = r.cmds("XINFO CONSUMERS q g");
    assert!(info.starts_with("*4\r\n"), "{info}");
}

#[test]
fn job_queue_through_the_redis_crate() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let _: () = cmd("XGROUP")
        .arg("CREATE")
        .arg("jobs")
        .arg("workers")
        .arg("$")
        .arg("MKSTREAM")
        .query(&mut c)
        .unwrap();
    for i in 0..50 {
        let _: String = cmd("XADD")
            .arg("jobs")
            .arg("MAXLEN")
            .arg("~")
            .arg(1000)
            .arg("*")
            .arg("job")
            .arg(i)
            .query(&mut c)
            .unwrap();
    }
    let mut done = 0;
    for w in ["w1", "w2", "w3"] {
        loop {
            let v: redis::Value = cmd("XREADGROUP")
                .arg("GROUP")
                .arg("workers")
                .arg(w)
                .arg("COUNT")
                .arg(7)
                .arg("STREAMS")
                .arg("jobs")
                .arg(">")
                .query(&mut c)
                .unwrap();
            let redis::Value::Array(streams) = v else {
                break;
            };
            let redis::Value::Array(pair) = &streams[0] else {
                panic!("pair")
            };
            let redis::Value::Array(entries) = &pair[1] else {
                panic!("entries")
            };
            for e in entries {
                let redis::Value::Array(e) = e else { panic!() };
                let redis::Value::BulkString(id) = &e[0] else {
                    panic!()
                };
                let n: i64 = cmd("XACK")
                    .arg("jobs")
                    .arg("workers")
                    .arg(id.as_slice())
                    .query(&mut c)
                    .unwrap();
                assert_eq!(n, 1);
                done += 1;
            }
            if entries.len() < 7 || done >= 20 * (1 + (w == "w3") as usize * 2) {
                break;
            }
        }
    }
    assert_eq!(done, 50);
    let v: redis::Value = cmd("XPENDING")
        .arg("jobs")
        .arg("workers")
        .query(&mut c)
        .unwrap();
    let redis::Value::Array(v) = v else { panic!() };
    assert_eq!(v[0], redis::Value::Int(0));
}

/// Waits until INFO reports `n` blocked clients (so that blocking order is
/// the order of our sends, however busy the machine).
fn wait_blocked(w: &mut Raw, n: usize) {
    let want = format!("blocked_clients:{n}\r\n");
    for _ in 0..500 {
        if w.cmds("INFO clients").contains(&want) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    panic!("never saw {want}");
}

#[test]
fn blocked_readers_are_served_in_order_and_time_out() {
    let srv = Server::reddish(&[]);
    let mut w = Raw::connect(srv.port);
    w.cmds("XGROUP CREATE q g $ MKSTREAM");
    // Five group readers and two plain readers, blocked in this order.
    let mut readers: Vec<Raw> = Vec::new();
    for i in 0..5 {
        let mut r = Raw::connect(srv.port);
        r.send(&Raw::encode(&[
            b"XREADGROUP",
            b"GROUP",
            b"g",
            format!("c{i}").as_bytes(),
            b"BLOCK",
            b"0",
            b"STREAMS",
            b"q",
            b">",
        ]));
        readers.push(r);
        wait_blocked(&mut w, i + 1);
    }
    let mut plain: Vec<Raw> = (0..2).map(|_| Raw::connect(srv.port)).collect();
    for p in &mut plain {
        p.send(&Raw::encode(&[
            b"XREAD", b"BLOCK", b"0", b"STREAMS", b"q", b"$",
        ]));
    }
    wait_blocked(&mut w, 7);
    let mut slow = Raw::connect(srv.port);
    slow.send(&Raw::encode(&[
        b"XREAD", b"BLOCK", b"150", b"STREAMS", b"other", b"$",
    ]));
    // Each entry goes to exactly one group reader, oldest first; both
    // plain readers see the first entry.
    for (i, reader) in readers.iter_mut().enumerate() {
        w.cmds(&format!("XADD q 1-{} n {i}", i + 1));
        let got = reader.read_reply();
        let got = String::from_utf8_lossy(&got);
        assert!(got.contains(&format!("1-{}", i + 1)), "reader {i}: {got}");
    }
    for p in &mut plain {
        let got = String::from_utf8_lossy(&p.read_reply()).into_owned();
        assert!(got.contains("1-1") && !got.contains("1-2"), "{got}");
    }
    let t = std::time::Instant::now();
    assert_eq!(slow.read_reply(), b"*-1\r\n");
    assert!(t.elapsed() < std::time::Duration::from_secs(2));
    let p = w.cmds("XPENDING q g");
    assert!(p.starts_with("*4\r\n:5\r\n"), "{p}");
}

#[test]
fn active_expiry_releases_a_blocked_group_reader() {
    let srv = Server::reddish(&[]);
    let mut w = Raw::connect(srv.port);
    w.cmds("XGROUP CREATE q g $ MKSTREAM");
    w.cmds("PEXPIRE q 100");
    let mut r = Raw::connect(srv.port);
    r.send(&Raw::encode(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        b"c",
        b"BLOCK",
        b"5000",
        b"STREAMS",
        b"q",
        b">",
    ]));
    let t = std::time::Instant::now();
    // Nobody touches the key: the expiry cycle deletes it.
    assert_eq!(
        String::from_utf8_lossy(&r.read_reply()),
        "-UNBLOCKED the stream key no longer exists\r\n"
    );
    assert!(t.elapsed() < std::time::Duration::from_millis(3000));
}

#[test]
fn watch_sees_xadd_and_block_with_data_answers_at_once() {
    let srv = Server::reddish(&[]);
    let mut a = Raw::connect(srv.port);
    let mut b = Raw::connect(srv.port);
    a.cmds("XADD s 1-1 a 1");
    a.cmds("WATCH s");
    b.cmds("XADD s 1-2 a 2");
    a.cmds("MULTI");
    a.cmds("XLEN s");
    assert_eq!(a.cmds("EXEC"), "*-1\r\n");
    let r = a.cmds("XREAD BLOCK 0 STREAMS s 1-1");
    assert!(r.contains("1-2"), "{r}");
    let r = a.cmds("XREAD BLOCK 100 COUNT 1 STREAMS s 0");
    assert!(r.contains("1-1") && !r.contains("1-2"), "{r}");
}

/// `used_memory` from INFO memory.
fn used_memory(r: &mut Raw) -> i64 {
    let info = r.cmds("INFO memory");
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory")
}

/// Appends `n` entries of three small fields with explicit IDs, pipelined.
fn load(r: &mut Raw, n: usize) {
    let mut batch = Vec::new();
    for i in 1..=n {
        let id = format!("{i}-1");
        let v = (i % 1000).to_string();
        batch.extend(Raw::encode(&[
            b"XADD",
            b"big",
            id.as_bytes(),
            b"name",
            b"user",
            b"score",
            v.as_bytes(),
            b"city",
            b"paris",
        ]));
        if i % 10000 == 0 || i == n {
            r.send(&batch);
            batch.clear();
            for _ in 0..(if i % 10000 == 0 { 10000 } else { i % 10000 }) {
                r.read_reply();
            }
        }
    }
}

#[test]
fn a_big_stream_takes_no_more_memory_than_in_redis() {
    let n = 200_000;
    let redis = Server::redis(&[]);
    let ours = Server::reddish(&[]);
    let mut figures = Vec::new();
    for srv in [&redis, &ours] {
        let mut r = srv.raw();
        let before = used_memory(&mut r);
        load(&mut r, n);
        assert_eq!(r.cmds("XLEN big"), format!(":{n}\r\n"));
        figures.push(used_memory(&mut r) - before);
    }
    let (theirs, mine) = (figures[0], figures[1]);
    eprintln!("{n} entries: reddish {mine} bytes, Redis {theirs} bytes");
    assert!(mine <= theirs, "reddish {mine} > Redis {theirs}");
}

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

#[test]
fn random_commands_match_redis() {
    let flags = [
        "--stream-node-max-entries",
        "5",
        "--stream-node-max-bytes",
        "120",
    ];
    let redis = Server::redis(&flags);
    let ours = Server::reddish(&flags);
    let mut rr = redis.raw();
    let mut oo = ours.raw();
    let mut rng = Rng(0x5eed_1234);
    let mut ms = 1u64;
    let mut mismatches = Vec::new();
    let mut errors = 0;
    for step in 0..4000 {
        let key = ["s1", "s2"][rng.below(2) as usize];
        let id = |rng: &mut Rng, ms: u64| format!("{}-{}", rng.below(ms + 2), rng.below(4));
        let line: Vec<String> = match rng.below(20) {
            0..=6 => {
                ms += rng.below(2);
                let mut v = vec!["XADD".into(), key.into()];
                match rng.below(6) {
                    0 => v.extend(["MAXLEN".into(), "~".into(), rng.below(30).to_string()]),
                    1 => v.extend(["MAXLEN".into(), rng.below(30).to_string()]),
                    2 => v.extend(["MINID".into(), "~".into(), id(&mut rng, ms)]),
                    3 => v.extend(["MINID".into(), id(&mut rng, ms)]),
                    _ => {}
                }
                v.push(format!("{ms}-{}", rng.below(3)));
                for f in 0..1 + rng.below(3) {
                    let name = if rng.below(4) == 0 {
                        format!("x{f}")
                    } else {
                        format!("f{f}")
                    };
                    v.push(name);
                    v.push("v".repeat(rng.below(40) as usize));
                }
                v
            }
            7 | 8 => vec![
                "XDEL".into(),
                key.into(),
                id(&mut rng, ms),
                id(&mut rng, ms),
            ],
            9 => vec![
                "XTRIM".into(),
                key.into(),
                "MAXLEN".into(),
                ["~", "="][rng.below(2) as usize].into(),
                rng.below(40).to_string(),
            ],
            10 => vec![
                "XTRIM".into(),
                key.into(),
                "MINID".into(),
                ["~", "="][rng.below(2) as usize].into(),
                id(&mut rng, ms),
            ],
            11 => vec![
                "XRANGE".into(),
                key.into(),
                id(&mut rng, ms),
                "+".into(),
                "COUNT".into(),
                rng.below(8).to_string(),
            ],
            12 => vec![
                "XREVRANGE".into(),
                key.into(),
                "+".into(),
                format!("({}", id(&mut rng, ms)),
            ],
            13 => vec!["XINFO".into(), "STREAM".into(), key.into()],
            14 => vec![
                "XGROUP".into(),
                "CREATE".into(),
                key.into(),
                format!("g{}", rng.below(2)),
                id(&mut rng, ms),
                "MKSTREAM".into(),
            ],
            15 => vec![
                "XREADGROUP".into(),
                "GROUP".into(),
                format!("g{}", rng.below(2)),
                format!("c{}", rng.below(3)),
                "COUNT".into(),
                (1 + rng.below(4)).to_string(),
                "STREAMS".into(),
                key.into(),
                [">", "0"][rng.below(2) as usize].into(),
            ],
            16 => vec![
                "XACK".into(),
                key.into(),
                format!("g{}", rng.below(2)),
                id(&mut rng, ms),
            ],
            17 => vec!["XINFO".into(), "GROUPS".into(), key.into()],
            18 => vec![
                "XAUTOCLAIM".into(),
                key.into(),
                format!("g{}", rng.below(2)),
                format!("c{}", rng.below(3)),
                "0".into(),
                id(&mut rng, ms),
                "COUNT".into(),
                (1 + rng.below(4)).to_string(),
                "JUSTID".into(),
            ],
            _ => vec![
                "XREAD".into(),
                "COUNT".into(),
                "3".into(),
                "STREAMS".into(),
                key.into(),
                id(&mut rng, ms),
            ],
        };
        let args: Vec<&[u8]> = line.iter().map(|s| s.as_bytes()).collect();
        let want = rr.cmd(&args);
        let got = oo.cmd(&args);
        if want.first() == Some(&b'-') {
            errors += 1;
        }
        if want != got {
            mismatches.push(format!(
                "step {step}: {}\n  redis:   {}\n  reddish: {}",
                line.join(" "),
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(&got)
            ));
            if mismatches.len() > 5 {
                break;
            }
        }
    }
    let d1 = rr.cmds("DEBUG DIGEST");
    let d2 = oo.cmds("DEBUG DIGEST");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(d1, d2);
    // The run exercised real work, not mostly error paths.
    assert!(errors < 1200, "{errors} errors");
    let info = oo.cmds("XINFO STREAM s1");
    assert!(info.contains("entries-added"), "{info}");
    eprintln!("{errors} error replies; s1: {}", info.replace("\r\n", " "));
}
