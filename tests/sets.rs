//! Set commands over the wire, for what a differential script cannot
//! compare byte for byte: hash-table sets (whose reply order is the dict's),
//! so every multi-member reply is sorted here and compared with a real
//! redis-server given the same commands; random replies (SPOP,
//! SRANDMEMBER) checked for count, distinctness and membership.

mod common;

use std::collections::BTreeSet;

use common::Server;
use redis::{Connection, Value};

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

/// A reply with every array's elements sorted, so dict order does not matter.
fn normalize(v: Value) -> Value {
    match v {
        Value::Array(items) | Value::Set(items) => {
            let mut items: Vec<Value> = items.into_iter().map(normalize).collect();
            items.sort_by_key(|x| format!("{x:?}"));
            Value::Array(items)
        }
        other => other,
    }
}

fn run(con: &mut Connection, args: &[String]) -> Result<Value, String> {
    let mut c = redis::cmd(&args[0]);
    for a in &args[1..] {
        c.arg(a);
    }
    c.query::<Value>(con)
        .map(normalize)
        .map_err(|e| e.to_string())
}

fn members(con: &mut Connection, key: &str) -> BTreeSet<String> {
    redis::cmd("SMEMBERS").arg(key).query(con).unwrap()
}

#[test]
fn random_workload_matches_redis_unordered() {
    let ours = Server::reddish(&[]);
    let theirs = Server::redis(&[]);
    let (mut a, mut b) = (ours.client(), theirs.client());
    let mut rng = Rng(0x5eed);
    let keys = ["k1", "k2", "k3", "k4"];
    let cmds = [
        "SADD",
        "SREM",
        "SMEMBERS",
        "SUNION",
        "SINTER",
        "SDIFF",
        "SUNIONSTORE",
        "SINTERSTORE",
        "SDIFFSTORE",
        "SCARD",
        "SMOVE",
        "SISMEMBER",
        "SMISMEMBER",
        "SINTERCARD",
        "SSCAN",
    ];
    for step in 0..3000 {
        let cmd = cmds[rng.below(cmds.len())];
        let mut args = vec![cmd.to_string()];
        let member = |rng: &mut Rng| -> String {
            if rng.below(3) == 0 {
                format!("m{}", rng.below(40))
            } else {
                rng.below(60).to_string()
            }
        };
        match cmd {
            "SADD" | "SREM" | "SMISMEMBER" => {
                args.push(keys[rng.below(4)].into());
                for _ in 0..1 + rng.below(6) {
                    args.push(member(&mut rng));
                }
            }
            "SISMEMBER" => {
                args.push(keys[rng.below(4)].into());
                args.push(member(&mut rng));
            }
            "SMOVE" => {
                args.push(keys[rng.below(4)].into());
                args.push(keys[rng.below(4)].into());
                args.push(member(&mut rng));
            }
            "SMEMBERS" | "SCARD" => args.push(keys[rng.below(4)].into()),
            "SINTERCARD" => {
                let n = 1 + rng.below(3);
                args.push(n.to_string());
                for _ in 0..n {
                    args.push(keys[rng.below(4)].into());
                }
            }
            "SSCAN" => {
                args.push(keys[rng.below(4)].into());
                args.push("0".into());
                args.push("COUNT".into());
                args.push("1000".into());
            }
            _ => {
                for _ in 0..1 + rng.below(3) {
                    args.push(keys[rng.below(4)].into());
                }
            }
        }
        let (x, y) = (run(&mut a, &args), run(&mut b, &args));
        // SSCAN of a hash-table set may take several calls on Redis; compare
        // only when Redis finished in one.
        if cmd == "SSCAN" {
            continue;
        }
        assert_eq!(x, y, "step {step}: {args:?}");
    }
    for k in keys {
        assert_eq!(members(&mut a, k), members(&mut b, k), "{k}");
    }
}

#[test]
fn spop_and_srandmember_counts() {
    let ours = Server::reddish(&[]);
    let mut c = ours.client();
    let all: Vec<String> = (0..100).map(|i| format!("e{i}")).collect();
    let _: i64 = redis::cmd("SADD").arg("s").arg(&all).query(&mut c).unwrap();
    let r: Vec<String> = redis::cmd("SRANDMEMBER")
        .arg("s")
        .arg(10)
        .query(&mut c)
        .unwrap();
    assert_eq!(r.len(), 10);
    assert_eq!(r.iter().collect::<BTreeSet<_>>().len(), 10);
    assert!(r.iter().all(|m| all.contains(m)));
    let r: Vec<String> = redis::cmd("SRANDMEMBER")
        .arg("s")
        .arg(-300)
        .query(&mut c)
        .unwrap();
    assert_eq!(r.len(), 300);
    assert!(r.iter().all(|m| all.contains(m)));
    let popped: Vec<String> = redis::cmd("SPOP").arg("s").arg(30).query(&mut c).unwrap();
    assert_eq!(popped.iter().collect::<BTreeSet<_>>().len(), 30);
    let left = members(&mut c, "s");
    assert_eq!(left.len(), 70);
    assert!(popped.iter().all(|m| !left.contains(m)));
    let one: String = redis::cmd("SPOP").arg("s").query(&mut c).unwrap();
    assert!(!members(&mut c, "s").contains(&one));
    let rest: Vec<String> = redis::cmd("SPOP").arg("s").arg(1000).query(&mut c).unwrap();
    assert_eq!(rest.len(), 69);
    let exists: i64 = redis::cmd("EXISTS").arg("s").query(&mut c).unwrap();
    assert_eq!(exists, 0);
}

#[test]
fn sscan_covers_hashtable_set() {
    let ours = Server::reddish(&[]);
    let mut c = ours.client();
    let all: BTreeSet<String> = (0..1000).map(|i| format!("x{i}")).collect();
    let _: i64 = redis::cmd("SADD")
        .arg("s")
        .arg(all.iter().collect::<Vec<_>>())
        .query(&mut c)
        .unwrap();
    let mut seen = BTreeSet::new();
    let mut cursor = "0".to_string();
    loop {
        let (next, batch): (String, Vec<String>) = redis::cmd("SSCAN")
            .arg("s")
            .arg(&cursor)
            .query(&mut c)
            .unwrap();
        seen.extend(batch);
        if next == "0" {
            break;
        }
        cursor = next;
    }
    assert_eq!(seen, all);
}

#[test]
fn resp3_types_match_redis() {
    let ours = Server::reddish(&[]);
    let theirs = Server::redis(&[]);
    for srv in [&ours, &theirs] {
        let mut r = srv.raw();
        r.cmd(&[b"HELLO", b"3"]);
        r.cmd(&[b"SADD", b"h", b"a"]);
        r.cmd(&[b"SADD", b"h", b"b"]);
    }
    let (mut x, mut y) = (ours.raw(), theirs.raw());
    for r in [&mut x, &mut y] {
        r.cmd(&[b"HELLO", b"3"]);
    }
    for args in [
        &[&b"SMEMBERS"[..], b"h"][..],
        &[b"SUNION", b"h"],
        &[b"SINTER", b"h", b"h"],
        &[b"SDIFF", b"h"],
        &[b"SRANDMEMBER", b"h", b"5"],
        &[b"SRANDMEMBER", b"h", b"-1"],
        &[b"SMISMEMBER", b"h", b"a"],
        &[b"SISMEMBER", b"h", b"a"],
    ] {
        let (p, q) = (x.cmd(args), y.cmd(args));
        assert_eq!(p.first(), q.first(), "{args:?}");
        assert_eq!(p.len(), q.len(), "{args:?}");
    }
}
