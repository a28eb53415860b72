//! List commands through the redis crate: typical use, and a list large
//! enough to span many quicklist nodes checked against a Vec model.

mod common;

use common::Server;

#[test]
fn queue_and_stack_use() {
    let srv = Server::reddish(&[]);
    let mut con = srv.client();
    let n: i64 = redis::cmd("RPUSH")
        .arg("q")
        .arg(&["a", "b", "c"])
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 3);
    let v: String = redis::cmd("LPOP").arg("q").query(&mut con).unwrap();
    assert_eq!(v, "a");
    let v: Vec<String> = redis::cmd("LRANGE")
        .arg("q")
        .arg(0)
        .arg(-1)
        .query(&mut con)
        .unwrap();
    assert_eq!(v, ["b", "c"]);
    let v: Vec<String> = redis::cmd("RPOP").arg("q").arg(5).query(&mut con).unwrap();
    assert_eq!(v, ["c", "b"]);
    let e: i64 = redis::cmd("EXISTS").arg("q").query(&mut con).unwrap();
    assert_eq!(e, 0, "an emptied list is deleted");
}

#[test]
fn many_nodes_match_a_model() {
    let srv = Server::reddish(&[]);
    let mut con = srv.client();
    let mut model: Vec<String> = Vec::new();
    for i in 0..3000 {
        let v = format!("value-{i}-{}", "x".repeat(i % 50));
        if i % 3 == 0 {
            let _: i64 = redis::cmd("LPUSH")
                .arg("l")
                .arg(&v)
                .query(&mut con)
                .unwrap();
            model.insert(0, v);
        } else {
            let _: i64 = redis::cmd("RPUSH")
                .arg("l")
                .arg(&v)
                .query(&mut con)
                .unwrap();
            model.push(v);
        }
    }
    let _: () = redis::cmd("LTRIM")
        .arg("l")
        .arg(100)
        .arg(-100)
        .query(&mut con)
        .unwrap();
    model = model[100..model.len() - 99].to_vec();
    let got: Vec<String> = redis::cmd("LRANGE")
        .arg("l")
        .arg(0)
        .arg(-1)
        .query(&mut con)
        .unwrap();
    assert_eq!(got, model);
    for i in [0usize, 1, 500, 1234, model.len() - 1] {
        let v: String = redis::cmd("LINDEX")
            .arg("l")
            .arg(i)
            .query(&mut con)
            .unwrap();
        assert_eq!(v, model[i]);
    }
}

/// A small deterministic generator, so both servers get the same stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Elements of every kind around the thresholds used below: integers,
/// short strings, strings of 9..=11, 99..=101 and ~1000 bytes, big
/// compressible and incompressible ones.
fn element(r: &mut Rng) -> Vec<u8> {
    match r.below(9) {
        0 => r.below(100_000).to_string().into_bytes(),
        1 => format!("m{}", r.below(20)).into_bytes(),
        2 => vec![b'a' + r.below(3) as u8; 9 + r.below(3) as usize],
        3 => vec![b'b'; 99 + r.below(3) as usize],
        4 => vec![b'c' + r.below(2) as u8; 990 + r.below(20) as usize],
        5 => vec![b'd'; 3000 + r.below(3000) as usize],
        6 => (0..200 + r.below(300))
            .map(|_| (r.next() >> 24) as u8)
            .collect(),
        7 => vec![b'e'; r.below(40) as usize],
        _ => b"pivot".to_vec(),
    }
}

/// DEBUG OBJECT without what differs by nature (address, LRU clock).
fn debug_object(reply: &[u8]) -> String {
    let line = String::from_utf8_lossy(reply).into_owned();
    line.split(' ')
        .filter(|f| !f.starts_with("at:") && !f.starts_with("lru"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The same random list commands against Redis 7.0 and reddish under
/// small `DEBUG QUICKLIST-PACKED-THRESHOLD`s (so big and small elements,
/// plain and packed nodes, mix), with and without compression: every
/// reply must match byte for byte, and so must DEBUG OBJECT's node count,
/// uncompressed size and serialized length, which show that plain nodes
/// are placed, split around, replaced and compressed where Redis does.
#[test]
fn plain_nodes_match_redis() {
    let redis = Server::redis(&["--enable-debug-command", "yes"]);
    let ours = Server::reddish(&[]);
    let mut a = redis.raw();
    let mut b = ours.raw();
    let mut pair = [&mut a, &mut b];
    let mut both = |args: &[&[u8]]| -> (Vec<u8>, Vec<u8>) {
        let [a, b] = &mut pair;
        (a.cmd(args), b.cmd(args))
    };
    for (round, (threshold, fill, depth)) in [
        ("1b", "-2", "0"),
        ("10b", "-2", "1"),
        ("100b", "4", "2"),
        ("1K", "-1", "1"),
        ("1kb", "128", "0"),
        ("500", "1", "3"),
    ]
    .into_iter()
    .enumerate()
    {
        let (x, y) = both(&[b"FLUSHALL"]);
        assert_eq!(x, y);
        for args in [
            &[
                &b"DEBUG"[..],
                b"QUICKLIST-PACKED-THRESHOLD",
                threshold.as_bytes(),
            ][..],
            &[
                b"CONFIG",
                b"SET",
                b"list-max-listpack-size",
                fill.as_bytes(),
            ],
            &[b"CONFIG", b"SET", b"list-compress-depth", depth.as_bytes()],
        ] {
            let (x, y) = both(args);
            assert_eq!(x, b"+OK\r\n");
            assert_eq!(x, y);
        }
        let mut r = Rng(0x9E37_79B9 + round as u64);
        let keys: [&[u8]; 2] = [b"l1", b"l2"];
        let mut max_nodes = 0;
        for step in 0..1500 {
            let key = keys[r.below(10).min(1) as usize];
            let other = if key == keys[0] { keys[1] } else { keys[0] };
            let idx = (r.below(60) as i64 - 30).to_string().into_bytes();
            let v = element(&mut r);
            let pivot = element(&mut r);
            let args: Vec<&[u8]> = match r.below(16) {
                0..=2 => vec![b"RPUSH", key, &v],
                3..=4 => vec![b"LPUSH", key, &v],
                5 => vec![b"LINSERT", key, b"BEFORE", &pivot, &v],
                6 => vec![b"LINSERT", key, b"AFTER", &pivot, &v],
                7 | 8 => vec![b"LSET", key, &idx, &v],
                9 => vec![b"LREM", key, &idx, &pivot],
                10 => vec![b"LPOP", key],
                11 => vec![b"RPOP", key],
                12 => vec![b"LTRIM", key, &idx, b"-3"],
                13 => vec![b"LMOVE", key, other, b"LEFT", b"RIGHT"],
                14 => vec![b"LPOS", key, &pivot, b"RANK", b"-1"],
                _ => vec![b"LINDEX", key, &idx],
            };
            let (x, y) = both(&args);
            assert_eq!(
                String::from_utf8_lossy(&x),
                String::from_utf8_lossy(&y),
                "round {round} step {step}: {:?}",
                args.iter()
                    .map(|a| String::from_utf8_lossy(&a[..a.len().min(20)]).into_owned())
                    .collect::<Vec<_>>()
            );
            if step % 20 == 0 {
                for k in keys {
                    let (x, y) = both(&[b"LRANGE", k, b"0", b"-1"]);
                    assert_eq!(x, y, "round {round} step {step}: LRANGE");
                    let (x, y) = both(&[b"DEBUG", b"OBJECT", k]);
                    let (x, y) = (debug_object(&x), debug_object(&y));
                    assert_eq!(x, y, "round {round} step {step}: DEBUG OBJECT");
                    if let Some(n) = x.split("ql_nodes:").nth(1) {
                        let n: usize = n.split(' ').next().unwrap().parse().unwrap();
                        max_nodes = max_nodes.max(n);
                    }
                }
            }
        }
        assert!(
            max_nodes >= 10,
            "round {round}: lists of {max_nodes} nodes at most"
        );
    }
    let (x, y) = both(&[b"DEBUG", b"QUICKLIST-PACKED-THRESHOLD", b"0"]);
    assert_eq!(
        (x.as_slice(), y.as_slice()),
        (&b"+OK\r\n"[..], &b"+OK\r\n"[..])
    );
}
