//! Generic key and expiry commands over the wire, for what a differential
//! script cannot check: results whose order is the hash table's (KEYS,
//! SCAN), a full SCAN of a large keyspace, a randomized comparison of the
//! glob matcher against Redis itself, and deadlines passing in real time.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use common::Server;
use redis::{Commands, Connection, Value};

/// A small deterministic generator (xorshift64*), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn keys(con: &mut Connection, pattern: &[u8]) -> BTreeSet<Vec<u8>> {
    redis::cmd("KEYS")
        .arg(pattern)
        .query::<Vec<Vec<u8>>>(con)
        .expect("KEYS")
        .into_iter()
        .collect()
}

/// One SCAN call: the next cursor and the keys returned.
fn scan_step(con: &mut Connection, cursor: u64, extra: &[&str]) -> (u64, Vec<Vec<u8>>) {
    let mut c = redis::cmd("SCAN");
    c.arg(cursor);
    for a in extra {
        c.arg(*a);
    }
    let (next, keys): (String, Vec<Vec<u8>>) = c.query(con).expect("SCAN");
    (next.parse().expect("cursor is decimal"), keys)
}

/// A whole SCAN: every key returned, with how often.
fn scan_all(con: &mut Connection, extra: &[&str]) -> HashMap<Vec<u8>, usize> {
    let mut seen = HashMap::new();
    let mut cursor = 0;
    let mut calls = 0;
    loop {
        let (next, batch) = scan_step(con, cursor, extra);
        for k in batch {
            *seen.entry(k).or_insert(0) += 1;
        }
        calls += 1;
        assert!(calls < 1_000_000, "SCAN never finished");
        if next == 0 {
            return seen;
        }
        cursor = next;
    }
}

/// Sets `{prefix}0..n`. Pipelines stay small (a few KB): a pipeline larger
/// than one read chunk currently crashes the server in
/// `Parser::shift` (query-buffer compaction), which is not this family's
/// code; see the branch report.
fn fill(con: &mut Connection, prefix: &str, n: usize) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
        let mut pipe = redis::pipe();
        for i in chunk {
            pipe.cmd("SET").arg(format!("{prefix}{i}")).arg(*i).ignore();
        }
        pipe.query::<()>(con).expect("fill");
    }
}

/// Random keys and patterns drawn from the bytes that mean something to the
/// matcher (and a few that C sees as negative `char`s), KEYS on both
/// servers, same set of keys back every time.
#[test]
fn glob_matches_redis_on_random_patterns() {
    const ALPHABET: &[u8] = b"abcAB*?[]^-\\\x00\xe9\xff0";
    let redis = Server::redis(&[]);
    let ours = Server::reddish(&[]);
    let mut rc = redis.client();
    let mut oc = ours.client();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut pipe = redis::pipe();
    for _ in 0..400 {
        let len = rng.below(7);
        let key: Vec<u8> = (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect();
        pipe.cmd("SET").arg(key).arg(1).ignore();
    }
    pipe.query::<()>(&mut rc).expect("fill redis");
    pipe.query::<()>(&mut oc).expect("fill reddish");
    assert_eq!(keys(&mut rc, b"*"), keys(&mut oc, b"*"));

    let mut differences = Vec::new();
    let mut nonempty = 0;
    for _ in 0..3000 {
        let len = rng.below(9);
        let pattern: Vec<u8> = (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect();
        let want = keys(&mut rc, &pattern);
        let got = keys(&mut oc, &pattern);
        if !want.is_empty() {
            nonempty += 1;
        }
        if want != got {
            differences.push(format!("{pattern:?}: redis {want:?}, reddish {got:?}"));
        }
    }
    assert!(
        differences.is_empty(),
        "{} patterns differ:\n{}",
        differences.len(),
        differences[..differences.len().min(20)].join("\n")
    );
    // The comparison means something only if patterns do match keys.
    assert!(nonempty > 300, "only {nonempty} patterns matched anything");
}

/// Patterns that make a naive matcher take exponential time or recurse
/// without bound: both servers answer, and answer the same.
#[test]
fn glob_pathological_patterns_match_redis() {
    let redis = Server::redis(&[]);
    let ours = Server::reddish(&[]);
    let mut rc = redis.client();
    let mut oc = ours.client();
    let long_a = "a".repeat(5000);
    let cases: Vec<(String, String)> = vec![
        (long_a.clone(), "a*".repeat(40) + "b"),
        (long_a.clone(), "*a".repeat(2000)),
        (long_a.clone(), "a*".repeat(999) + "a"),
        (long_a.clone(), "a*".repeat(1001) + "a"),
        (long_a.clone(), "a*".repeat(1100)),
        (long_a.clone(), "*?".repeat(1500)),
        (long_a, "?*".repeat(3000)),
    ];
    for (key, pattern) in cases {
        let _: () = rc.set(&key, 1).expect("set");
        let _: () = oc.set(&key, 1).expect("set");
        let want = keys(&mut rc, pattern.as_bytes());
        let got = keys(&mut oc, pattern.as_bytes());
        assert_eq!(
            want,
            got,
            "pattern of {} bytes on a key of {}",
            pattern.len(),
            key.len()
        );
        let _: () = rc.del(&key).expect("del");
        let _: () = oc.del(&key).expect("del");
    }
}

#[test]
fn keys_star_returns_everything_including_the_empty_key() {
    let s = Server::reddish(&[]);
    let mut con = s.client();
    fill(&mut con, "k", 500);
    let _: () = con.set("", "empty").expect("set");
    let all = keys(&mut con, b"*");
    assert_eq!(all.len(), 501);
    assert!(all.contains(b"".as_slice()));
    assert!(!keys(&mut con, b"**").contains(b"".as_slice()));
    assert_eq!(keys(&mut con, b"k1?").len(), 10);
    assert_eq!(keys(&mut con, b"k4??").len(), 100);
}

#[test]
fn scan_visits_every_key_of_a_large_db() {
    let s = Server::reddish(&[]);
    let mut con = s.client();
    fill(&mut con, "key:", 10_000);
    for count in [None, Some("1000"), Some("100000")] {
        let extra: Vec<&str> = count.map(|c| vec!["COUNT", c]).unwrap_or_default();
        let seen = scan_all(&mut con, &extra);
        assert_eq!(seen.len(), 10_000, "COUNT {count:?}");
        for i in 0..10_000 {
            assert!(
                seen.contains_key(format!("key:{i}").as_bytes()),
                "COUNT {count:?} missed key:{i}"
            );
        }
    }
    // COUNT is a hint for how much work one call does, not a filter: a
    // call with a large COUNT may not need to return fewer than asked.
    let (_, batch) = scan_step(&mut con, 0, &["COUNT", "100"]);
    assert!(!batch.is_empty() && batch.len() <= 1000);
}

#[test]
fn scan_with_match_and_type() {
    let s = Server::reddish(&[]);
    let mut con = s.client();
    fill(&mut con, "user:", 2000);
    fill(&mut con, "order:", 3000);
    let users = scan_all(&mut con, &["MATCH", "user:*", "COUNT", "50"]);
    assert_eq!(users.len(), 2000);
    assert!(users.keys().all(|k| k.starts_with(b"user:")));
    let tens = scan_all(&mut con, &["MATCH", "order:1?"]);
    let want: BTreeSet<Vec<u8>> = (10..20)
        .map(|i| format!("order:{i}").into_bytes())
        .collect();
    assert_eq!(tens.keys().cloned().collect::<BTreeSet<_>>(), want);
    let strings = scan_all(&mut con, &["TYPE", "STRING", "COUNT", "500"]);
    assert_eq!(strings.len(), 5000);
    assert!(scan_all(&mut con, &["TYPE", "hash"]).is_empty());
    assert!(scan_all(&mut con, &["MATCH", "user:*", "TYPE", "zset"]).is_empty());
    let both = scan_all(&mut con, &["TYPE", "string", "MATCH", "*:19*"]);
    // user:19, user:190..199, user:1900..1999, and the same for orders.
    assert_eq!(both.len(), 2 * (1 + 10 + 100));
}

#[test]
fn expired_keys_vanish_from_every_view() {
    let s = Server::reddish(&[]);
    let mut con = s.client();
    fill(&mut con, "short:", 100);
    fill(&mut con, "long:", 100);
    for i in 0..100 {
        let _: i64 = con.pexpire(format!("short:{i}"), 100).expect("pexpire");
        let _: i64 = con.expire(format!("long:{i}"), 100).expect("expire");
    }
    let ttl: i64 = con.ttl("long:0").expect("ttl");
    assert_eq!(ttl, 100);
    let pttl: i64 = con.pttl("short:0").expect("pttl");
    assert!((1..=100).contains(&pttl), "pttl {pttl}");
    std::thread::sleep(Duration::from_millis(250));

    assert_eq!(keys(&mut con, b"short:*").len(), 0);
    assert_eq!(keys(&mut con, b"*").len(), 100);
    let seen = scan_all(&mut con, &[]);
    assert_eq!(seen.len(), 100);
    assert!(seen.keys().all(|k| k.starts_with(b"long:")));
    for _ in 0..50 {
        let k: Vec<u8> = redis::cmd("RANDOMKEY").query(&mut con).expect("randomkey");
        assert!(k.starts_with(b"long:"));
    }
    let got: Option<String> = con.get("short:5").expect("get");
    assert_eq!(got, None);
    let ttl: i64 = con.ttl("short:5").expect("ttl");
    assert_eq!(ttl, -2);
    let n: i64 = con.exists("short:6").expect("exists");
    assert_eq!(n, 0);
    let ok: redis::RedisResult<()> = con.rename("short:7", "x");
    assert_eq!(
        ok.unwrap_err().to_string(),
        "An error was signalled by the server - ResponseError: no such key"
    );
}

#[test]
fn deadlines_survive_rename_move_copy_and_persist() {
    let s = Server::reddish(&[]);
    let mut con = s.client();
    let _: () = con.set("a", "1").expect("set");
    let _: i64 = con.pexpire("a", 300).expect("pexpire");
    let _: () = con.rename("a", "b").expect("rename");
    let v: Value = redis::cmd("COPY")
        .arg("b")
        .arg("c")
        .query(&mut con)
        .expect("copy");
    assert_eq!(v, Value::Int(1));
    let v: Value = redis::cmd("MOVE")
        .arg("c")
        .arg(1)
        .query(&mut con)
        .expect("move");
    assert_eq!(v, Value::Int(1));
    let _: () = con.set("p", "1").expect("set");
    let _: i64 = con.pexpire("p", 300).expect("pexpire");
    let n: i64 = con.persist("p").expect("persist");
    assert_eq!(n, 1);
    let at: i64 = redis::cmd("PEXPIRETIME")
        .arg("b")
        .query(&mut con)
        .expect("pexpiretime");
    assert!(at > 0);

    std::thread::sleep(Duration::from_millis(450));
    let n: i64 = con.exists(&["a", "b", "c"]).expect("exists");
    assert_eq!(n, 0, "renamed and copied keys keep the deadline");
    let _: () = redis::cmd("SELECT").arg(1).query(&mut con).expect("select");
    let n: i64 = con.exists("c").expect("exists");
    assert_eq!(n, 0, "a moved key keeps the deadline");
    let _: () = redis::cmd("SELECT").arg(0).query(&mut con).expect("select");
    let got: Option<String> = con.get("p").expect("get");
    assert_eq!(got.as_deref(), Some("1"), "PERSIST removed the deadline");
}

#[test]
fn swapdb_swaps_data_and_deadlines() {
    let s = Server::reddish(&[]);
    let mut con = s.client();
    let _: () = con.set("zero", "0").expect("set");
    let _: i64 = con.pexpire("zero", 200).expect("pexpire");
    let _: () = redis::cmd("SWAPDB")
        .arg(0)
        .arg(9)
        .query(&mut con)
        .expect("swapdb");
    let got: Option<String> = con.get("zero").expect("get");
    assert_eq!(got, None);
    let _: () = redis::cmd("SELECT").arg(9).query(&mut con).expect("select");
    let got: Option<String> = con.get("zero").expect("get");
    assert_eq!(got.as_deref(), Some("0"));
    std::thread::sleep(Duration::from_millis(300));
    let got: Option<String> = con.get("zero").expect("get");
    assert_eq!(got, None);
}

/// Cursors and counts at the edges of their ranges are valid input: Redis
/// masks the cursor to its table and answers. The server must survive them.
/// Ignored until the keyspace rewrite lands: the interim `Db::scan` adds
/// the cursor to the count and overflows (panics in debug builds) on
/// `SCAN -1`, which is `SCAN 18446744073709551615`.
#[test]
fn scan_survives_extreme_cursors_and_counts() {
    let s = Server::reddish(&[]);
    let mut con = s.client();
    fill(&mut con, "k", 50);
    for (cursor, count) in [
        ("-1", "10"),
        ("18446744073709551615", "9223372036854775807"),
        ("9223372036854775808", "1"),
        ("0", "9223372036854775807"),
    ] {
        let v: Value = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(count)
            .query(&mut con)
            .expect("SCAN answers");
        assert!(matches!(v, Value::Array(ref a) if a.len() == 2), "{v:?}");
    }
    let pong: String = redis::cmd("PING").query(&mut con).expect("alive");
    assert_eq!(pong, "PONG");
}

/// Random sequences of the deterministic key and expiry commands, sent to
/// both servers, every reply compared byte for byte. Deadlines are set only
/// with absolute times or with times already past, so no reply depends on
/// the millisecond a command happens to run in.
#[test]
fn random_command_sequences_match_redis() {
    let redis = Server::redis(&[]);
    let ours = Server::reddish(&[]);
    let mut rc = redis.raw();
    let mut oc = ours.raw();
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    const KEYS: &[&str] = &["a", "b", "c", ""];
    const VALUES: &[&str] = &[
        "1",
        "hello",
        "-5",
        "9999",
        "10000",
        "123456789012345678901234567890123456789012345678",
    ];
    const ABS: &[&str] = &[
        "4102444800",
        "4102444900",
        "4102444800000",
        "4102444900000",
        "1",
        "0",
        "-1",
        "9223372036854775807",
        "x",
    ];
    const PAST: &[&str] = &["0", "-1", "-100", "x", "9223372036854775807"];
    const FLAGS: &[&str] = &["NX", "XX", "GT", "LT"];
    const DBS: &[&str] = &["0", "1", "2", "16", "-1", "x"];
    let mut mismatches = Vec::new();
    for step in 0..20_000 {
        let key = |rng: &mut Rng| KEYS[rng.below(KEYS.len())].to_string();
        let mut cmd: Vec<String> = Vec::new();
        match rng.below(17) {
            0 | 1 => {
                cmd = vec!["SET".into(), key(&mut rng)];
                cmd.push(VALUES[rng.below(VALUES.len())].into());
            }
            2 => {
                cmd.push(["DEL", "UNLINK", "EXISTS", "TOUCH"][rng.below(4)].into());
                for _ in 0..1 + rng.below(3) {
                    cmd.push(key(&mut rng));
                }
            }
            3 => cmd = vec!["TYPE".into(), key(&mut rng)],
            4 => {
                cmd = vec![
                    ["RENAME", "RENAMENX"][rng.below(2)].into(),
                    key(&mut rng),
                    key(&mut rng),
                ]
            }
            5 => {
                cmd = vec!["COPY".into(), key(&mut rng), key(&mut rng)];
                if rng.below(2) == 0 {
                    cmd.push("DB".into());
                    cmd.push(DBS[rng.below(DBS.len())].into());
                }
                if rng.below(2) == 0 {
                    cmd.push("REPLACE".into());
                }
            }
            6 => {
                cmd = vec![
                    "MOVE".into(),
                    key(&mut rng),
                    DBS[rng.below(DBS.len())].into(),
                ]
            }
            7 => cmd = vec!["SELECT".into(), DBS[rng.below(3)].into()],
            8 => {
                cmd = vec![
                    "SWAPDB".into(),
                    DBS[rng.below(DBS.len())].into(),
                    DBS[rng.below(DBS.len())].into(),
                ]
            }
            9..=11 => {
                cmd = vec![
                    ["EXPIREAT", "PEXPIREAT"][rng.below(2)].into(),
                    key(&mut rng),
                    ABS[rng.below(ABS.len())].into(),
                ];
                for _ in 0..rng.below(3) {
                    cmd.push(FLAGS[rng.below(FLAGS.len())].into());
                }
            }
            12 => {
                cmd = vec![
                    ["EXPIRE", "PEXPIRE"][rng.below(2)].into(),
                    key(&mut rng),
                    PAST[rng.below(PAST.len())].into(),
                ];
                for _ in 0..rng.below(3) {
                    cmd.push(FLAGS[rng.below(FLAGS.len())].into());
                }
            }
            13 | 14 => {
                cmd = vec![
                    ["EXPIRETIME", "PEXPIRETIME", "PERSIST"][rng.below(3)].into(),
                    key(&mut rng),
                ]
            }
            15 => cmd = vec!["OBJECT".into(), "ENCODING".into(), key(&mut rng)],
            _ => cmd = vec!["GET".into(), key(&mut rng)],
        }
        let args: Vec<&[u8]> = cmd.iter().map(|s| s.as_bytes()).collect();
        let want = rc.cmd(&args);
        let got = oc.cmd(&args);
        if want != got {
            mismatches.push(format!(
                "step {step}: {cmd:?}\n    redis:   {:?}\n    reddish: {:?}",
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(&got)
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first ones:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(10)].join("\n")
    );
}

fn changes(c: &mut redis::Connection) -> u64 {
    let info: String = redis::cmd("INFO").arg("persistence").query(c).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("rdb_changes_since_last_save")
}

/// INFO rdb_changes_since_last_save moves with real changes only: a SETBIT
/// that leaves the bit as it was, or a DEL of a missing key, adds nothing
/// (Redis's "SETBIT/BITFIELD only increase dirty when the value changed").
#[test]
fn dirty_counts_real_changes_only() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let _: () = redis::cmd("SETBIT")
        .arg("b")
        .arg(0)
        .arg(1)
        .query(&mut c)
        .unwrap();
    let d = changes(&mut c);
    let _: () = redis::cmd("SETBIT")
        .arg("b")
        .arg(0)
        .arg(1)
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("DEL").arg("missing").query(&mut c).unwrap();
    assert_eq!(changes(&mut c), d);
    let _: () = redis::cmd("SETBIT")
        .arg("b")
        .arg(0)
        .arg(0)
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("MSET")
        .arg("x")
        .arg(1)
        .arg("y")
        .arg(2)
        .query(&mut c)
        .unwrap();
    assert_eq!(changes(&mut c), d + 3);
}

/// BITFIELD SET/INCRBY count one change per field whose value moved (or
/// every field when the key was created or grew), as Redis 7.0's
/// `bitfieldGeneric`; a SET rewriting the same value adds nothing.
#[test]
fn bitfield_dirty_counts_changed_fields() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let bf = |c: &mut redis::Connection, args: &[&str]| {
        let _: redis::Value = redis::cmd("BITFIELD").arg("f").arg(args).query(c).unwrap();
    };
    let d = changes(&mut c);
    bf(&mut c, &["SET", "i5", "0", "0", "SET", "u3", "8", "0"]);
    assert_eq!(changes(&mut c), d + 2, "created: every field counts");
    bf(&mut c, &["SET", "i5", "0", "0"]);
    assert_eq!(changes(&mut c), d + 2, "same value: no change");
    bf(
        &mut c,
        &[
            "SET", "i5", "0", "1", "SET", "u3", "8", "0", "INCRBY", "u3", "8", "2",
        ],
    );
    assert_eq!(changes(&mut c), d + 4);
    bf(
        &mut c,
        &[
            "INCRBY", "u3", "8", "0", "OVERFLOW", "FAIL", "INCRBY", "u3", "8", "9",
        ],
    );
    assert_eq!(
        changes(&mut c),
        d + 4,
        "INCRBY 0 and a failed INCRBY change nothing"
    );
}

/// OBJECT IDLETIME counts whole seconds of an LRU clock that ticks with the
/// server's cron, so after 2.1 s it reads 2 or 3 depending on the clock's
/// phase (Redis alike); OBJECT itself never touches the key, and an access
/// brings it back to 0.
#[test]
fn object_idletime_counts_from_the_last_access() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let idle = |c: &mut Connection| -> i64 {
        redis::cmd("OBJECT")
            .arg("IDLETIME")
            .arg("idle:k")
            .query(c)
            .unwrap()
    };
    let _: () = c.set("idle:k", "v").unwrap();
    assert_eq!(idle(&mut c), 0);
    std::thread::sleep(Duration::from_millis(2100));
    let first = idle(&mut c);
    assert!((2..=3).contains(&first), "idle {first}");
    assert!((first..=3).contains(&idle(&mut c)));
    let _: String = c.get("idle:k").unwrap();
    assert_eq!(idle(&mut c), 0);
}

/// INFO lazyfreed_objects once nothing is pending: Redis's lazy-free
/// thread counts a value when it has freed it, a moment after the reply.
fn lazyfreed(c: &mut redis::Connection) -> u64 {
    let field = |c: &mut redis::Connection, name: &str| -> u64 {
        let info: String = redis::cmd("INFO").arg("memory").query(c).unwrap();
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .expect(name)
    };
    for _ in 0..200 {
        if field(c, "lazyfree_pending_objects:") == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // The thread lowers "pending" just before it raises "freed".
    std::thread::sleep(Duration::from_millis(20));
    field(c, "lazyfreed_objects:")
}

/// INFO lazyfreed_objects counts what Redis hands to its lazy-free thread:
/// UNLINK (or DEL under lazyfree-lazy-user-del) of a value whose free effort
/// passes 64 (a hashtable set of 100, a stream of 200 nodes; not a small
/// set), and every key of an ASYNC flush. Same numbers from Redis 7.0.
#[test]
fn lazyfreed_objects_counts_async_frees() {
    for srv in [Server::reddish(&[]), Server::redis(&[])] {
        let mut c = srv.client();
        let cmd = |c: &mut redis::Connection, args: &[&str]| {
            let _: redis::Value = redis::cmd(args[0]).arg(&args[1..]).query(c).unwrap();
        };
        let big: Vec<String> = (0..100).map(|i| format!("m{i}")).collect();
        let sadd = |c: &mut redis::Connection, key: &str, n: usize| {
            let _: i64 = redis::cmd("SADD").arg(key).arg(&big[..n]).query(c).unwrap();
        };
        let mut seen = Vec::new();
        sadd(&mut c, "big", 100);
        sadd(&mut c, "small", 10);
        cmd(&mut c, &["UNLINK", "big", "small"]);
        seen.push(lazyfreed(&mut c));
        sadd(&mut c, "big", 100);
        cmd(&mut c, &["DEL", "big"]);
        seen.push(lazyfreed(&mut c));
        cmd(&mut c, &["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"]);
        sadd(&mut c, "big", 100);
        cmd(&mut c, &["DEL", "big"]);
        seen.push(lazyfreed(&mut c));
        cmd(&mut c, &["CONFIG", "SET", "stream-node-max-entries", "5"]);
        for i in 0..1000 {
            cmd(&mut c, &["XADD", "st", "*", "f", &i.to_string()]);
        }
        cmd(&mut c, &["UNLINK", "st"]);
        seen.push(lazyfreed(&mut c));
        cmd(&mut c, &["MSET", "a", "1", "b", "2", "c", "3"]);
        cmd(&mut c, &["FLUSHALL", "ASYNC"]);
        seen.push(lazyfreed(&mut c));
        cmd(&mut c, &["MSET", "a", "1", "b", "2"]);
        cmd(&mut c, &["FLUSHDB", "SYNC"]);
        seen.push(lazyfreed(&mut c));
        cmd(&mut c, &["CONFIG", "RESETSTAT"]);
        seen.push(lazyfreed(&mut c));
        assert_eq!(seen, [1, 1, 2, 3, 6, 6, 0], "port {}", srv.port);
    }
}
