//! Strings and bitmaps the way applications use them, through the `redis`
//! crate: cache-aside, counters from several connections, SET NX PX locks,
//! fixed-window rate limits, sliding expiry with GETEX, big values,
//! bitmap analytics. Expiry is checked by waiting past deadlines, since
//! TTL/EXPIRE live in another family.

mod common;

use std::thread::sleep;
use std::time::Duration;

use common::Server;
use reddish::types::XorShift;
use redis::{cmd, Connection, RedisResult};

fn get(c: &mut Connection, k: &str) -> Option<Vec<u8>> {
    cmd("GET").arg(k).query(c).expect("GET")
}

#[test]
fn cache_aside_reads_through_and_expires() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let mut loads = 0;
    let mut fetch = |c: &mut Connection, id: u32| -> Vec<u8> {
        let key = format!("user:{id}");
        if let Some(v) = get(c, &key) {
            return v;
        }
        loads += 1;
        let v = format!("{{\"id\":{id},\"name\":\"user {id}\"}}").into_bytes();
        let _: () = cmd("SET")
            .arg(&key)
            .arg(&v)
            .arg("PX")
            .arg(300)
            .query(c)
            .expect("SET PX");
        v
    };
    let first = fetch(&mut c, 7);
    let second = fetch(&mut c, 7);
    assert_eq!(first, second);
    fetch(&mut c, 8);
    let many: Vec<Option<Vec<u8>>> = cmd("MGET")
        .arg("user:7")
        .arg("user:8")
        .arg("user:9")
        .query(&mut c)
        .expect("MGET");
    assert_eq!(many[0].as_deref(), Some(&first[..]));
    assert!(many[1].is_some() && many[2].is_none());
    sleep(Duration::from_millis(400));
    assert_eq!(get(&mut c, "user:7"), None, "entry outlived its PX");
    fetch(&mut c, 7);
    assert_eq!(loads, 3);
}

#[test]
fn counters_from_many_connections_add_up() {
    let srv = Server::reddish(&[]);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mut c = srv.client();
            std::thread::spawn(move || {
                for _ in 0..250 {
                    let _: i64 = cmd("INCR").arg("hits").query(&mut c).expect("INCR");
                }
                let _: i64 = cmd("INCRBY").arg("bytes").arg(1000).query(&mut c).unwrap();
                let _: i64 = cmd("DECRBY").arg("stock").arg(3).query(&mut c).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let mut c = srv.client();
    let total: i64 = cmd("GET").arg("hits").query(&mut c).unwrap();
    assert_eq!(total, 1000);
    let bytes: i64 = cmd("GET").arg("bytes").query(&mut c).unwrap();
    assert_eq!(bytes, 4000);
    let stock: i64 = cmd("GET").arg("stock").query(&mut c).unwrap();
    assert_eq!(stock, -12);
    let price: String = cmd("INCRBYFLOAT")
        .arg("price")
        .arg("10.5")
        .query(&mut c)
        .unwrap();
    assert_eq!(price, "10.5");
    let price: String = cmd("INCRBYFLOAT")
        .arg("price")
        .arg("0.1")
        .query(&mut c)
        .unwrap();
    assert_eq!(price, "10.6");
    let _: () = cmd("SET").arg("max").arg(i64::MAX).query(&mut c).unwrap();
    let r: RedisResult<i64> = cmd("INCR").arg("max").query(&mut c);
    let e = r.expect_err("INCR past i64::MAX");
    assert!(
        e.to_string()
            .contains("increment or decrement would overflow"),
        "{e}"
    );
    let _: () = cmd("SET").arg("name").arg("bob").query(&mut c).unwrap();
    let r: RedisResult<i64> = cmd("INCR").arg("name").query(&mut c);
    assert!(r.is_err());
}

#[test]
fn set_nx_px_lock_is_exclusive_and_times_out() {
    let srv = Server::reddish(&[]);
    let mut a = srv.client();
    let mut b = srv.client();
    let acquire = |c: &mut Connection, token: &str| -> bool {
        let r: Option<String> = cmd("SET")
            .arg("lock:job")
            .arg(token)
            .arg("NX")
            .arg("PX")
            .arg(200)
            .query(c)
            .expect("SET NX PX");
        r.as_deref() == Some("OK")
    };
    assert!(acquire(&mut a, "token-a"));
    assert!(!acquire(&mut b, "token-b"), "lock held twice");
    // Release only if still ours: GETDEL returns what it removed.
    let held: Option<String> = cmd("GETDEL").arg("lock:job").query(&mut a).unwrap();
    assert_eq!(held.as_deref(), Some("token-a"));
    assert!(acquire(&mut b, "token-b"));
    // b crashes without releasing: the deadline frees the lock.
    assert!(!acquire(&mut a, "token-a"));
    sleep(Duration::from_millis(300));
    assert!(acquire(&mut a, "token-a"), "lock did not expire");
    // SET ... NX GET tells the loser who holds it.
    let holder: Option<String> = cmd("SET")
        .arg("lock:job")
        .arg("token-c")
        .arg("NX")
        .arg("GET")
        .query(&mut b)
        .unwrap();
    assert_eq!(holder.as_deref(), Some("token-a"));
}

#[test]
fn fixed_window_rate_limit() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let limit = 5;
    let allow = |c: &mut Connection| -> bool {
        // Open the window once with its deadline; INCR keeps the deadline.
        let _: Option<String> = cmd("SET")
            .arg("rl:ip")
            .arg(0)
            .arg("PX")
            .arg(400)
            .arg("NX")
            .query(c)
            .unwrap();
        let n: i64 = cmd("INCR").arg("rl:ip").query(c).unwrap();
        n <= limit
    };
    let allowed = (0..8).filter(|_| allow(&mut c)).count();
    assert_eq!(allowed, 5);
    sleep(Duration::from_millis(500));
    assert!(allow(&mut c), "window did not reset");
}

#[test]
fn getex_slides_and_persists() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let _: () = cmd("SET")
        .arg("sess")
        .arg("data")
        .arg("PX")
        .arg(250)
        .query(&mut c)
        .unwrap();
    for _ in 0..4 {
        sleep(Duration::from_millis(100));
        let v: Option<String> = cmd("GETEX")
            .arg("sess")
            .arg("PX")
            .arg(250)
            .query(&mut c)
            .unwrap();
        assert_eq!(v.as_deref(), Some("data"), "session expired while in use");
    }
    sleep(Duration::from_millis(350));
    assert_eq!(get(&mut c, "sess"), None);

    let _: () = cmd("SETEX").arg("p").arg(1).arg("v").query(&mut c).unwrap();
    let _: Option<String> = cmd("GETEX").arg("p").arg("PERSIST").query(&mut c).unwrap();
    let _: () = cmd("PSETEX")
        .arg("q")
        .arg(100)
        .arg("v")
        .query(&mut c)
        .unwrap();
    let _: () = cmd("SET")
        .arg("k")
        .arg("v")
        .arg("PX")
        .arg(100)
        .query(&mut c)
        .unwrap();
    let _: () = cmd("SET")
        .arg("k")
        .arg("v2")
        .arg("KEEPTTL")
        .query(&mut c)
        .unwrap();
    let _: () = cmd("SET")
        .arg("plain")
        .arg("v")
        .arg("PX")
        .arg(100)
        .query(&mut c)
        .unwrap();
    let _: () = cmd("SET").arg("plain").arg("v2").query(&mut c).unwrap();
    sleep(Duration::from_millis(1100));
    assert_eq!(get(&mut c, "p").as_deref(), Some(&b"v"[..]), "PERSIST lost");
    assert_eq!(get(&mut c, "q"), None);
    assert_eq!(get(&mut c, "k"), None, "KEEPTTL dropped the deadline");
    assert_eq!(get(&mut c, "plain").as_deref(), Some(&b"v2"[..]));

    // A deadline in the past deletes at once.
    let _: () = cmd("SET").arg("old").arg("v").query(&mut c).unwrap();
    let v: Option<String> = cmd("GETEX")
        .arg("old")
        .arg("EXAT")
        .arg(1)
        .query(&mut c)
        .unwrap();
    assert_eq!(v.as_deref(), Some("v"));
    assert_eq!(get(&mut c, "old"), None);
}

#[test]
fn big_values_round_trip() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let _: () = cmd("SET").arg("big").arg(&big).query(&mut c).unwrap();
    assert_eq!(get(&mut c, "big").as_deref(), Some(&big[..]));
    let n: i64 = cmd("APPEND")
        .arg("big")
        .arg(&big[..100_000])
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 1_100_000);
    let tail: Vec<u8> = cmd("GETRANGE")
        .arg("big")
        .arg(-100_000)
        .arg(-1)
        .query(&mut c)
        .unwrap();
    assert_eq!(tail, &big[..100_000]);
    let n: i64 = cmd("SETRANGE")
        .arg("big")
        .arg(2_000_000)
        .arg("end")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 2_000_003);
    let gap: Vec<u8> = cmd("GETRANGE")
        .arg("big")
        .arg(1_999_998)
        .arg(-1)
        .query(&mut c)
        .unwrap();
    assert_eq!(gap, b"\0\0end");
    let lcs: i64 = cmd("LCS")
        .arg("big")
        .arg("nosuch")
        .arg("LEN")
        .query(&mut c)
        .unwrap();
    assert_eq!(lcs, 0);
}

#[test]
fn bitmaps_for_daily_active_users() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let monday = [1u64, 5, 77, 1000, 123_456];
    let tuesday = [5u64, 77, 999_999];
    for id in monday {
        let _: i64 = cmd("SETBIT")
            .arg("dau:mon")
            .arg(id)
            .arg(1)
            .query(&mut c)
            .unwrap();
    }
    for id in tuesday {
        let _: i64 = cmd("SETBIT")
            .arg("dau:tue")
            .arg(id)
            .arg(1)
            .query(&mut c)
            .unwrap();
    }
    let n: i64 = cmd("BITCOUNT").arg("dau:mon").query(&mut c).unwrap();
    assert_eq!(n, 5);
    let len: i64 = cmd("BITOP")
        .arg("AND")
        .arg("both")
        .arg("dau:mon")
        .arg("dau:tue")
        .query(&mut c)
        .unwrap();
    assert_eq!(len, 999_999 / 8 + 1);
    let both: i64 = cmd("BITCOUNT").arg("both").query(&mut c).unwrap();
    assert_eq!(both, 2);
    let _: i64 = cmd("BITOP")
        .arg("OR")
        .arg("any")
        .arg("dau:mon")
        .arg("dau:tue")
        .query(&mut c)
        .unwrap();
    let any: i64 = cmd("BITCOUNT").arg("any").query(&mut c).unwrap();
    assert_eq!(any, 6);
    let first: i64 = cmd("BITPOS").arg("dau:tue").arg(1).query(&mut c).unwrap();
    assert_eq!(first, 5);
    let first_free: i64 = cmd("BITPOS").arg("dau:mon").arg(0).query(&mut c).unwrap();
    assert_eq!(first_free, 0);
    let in_range: i64 = cmd("BITCOUNT")
        .arg("dau:mon")
        .arg(0)
        .arg(999)
        .arg("BIT")
        .query(&mut c)
        .unwrap();
    assert_eq!(in_range, 3);
    // Packed counters: four u16 per user slot, saturating.
    let r: Vec<Option<i64>> = cmd("BITFIELD")
        .arg("counters")
        .arg("OVERFLOW")
        .arg("SAT")
        .arg("INCRBY")
        .arg("u16")
        .arg("#3")
        .arg(70_000)
        .arg("INCRBY")
        .arg("i8")
        .arg("#0")
        .arg(-5)
        .arg("GET")
        .arg("u16")
        .arg("#3")
        .query(&mut c)
        .unwrap();
    assert_eq!(r, vec![Some(65_535), Some(-5), Some(65_535)]);
}

#[test]
fn pipelined_writes_and_reads() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let mut p = redis::pipe();
    for i in 0..500 {
        p.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
    }
    for i in 0..500 {
        p.cmd("INCRBY").arg(format!("k{i}")).arg(i);
    }
    let out: Vec<i64> = p.query(&mut c).unwrap();
    assert_eq!(out.len(), 500);
    assert!(out.iter().enumerate().all(|(i, &v)| v == 2 * i as i64));
    let n: i64 = cmd("MSETNX")
        .arg("k1")
        .arg("x")
        .arg("fresh")
        .arg("y")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 0);
    assert_eq!(get(&mut c, "fresh"), None, "MSETNX wrote partially");
}

/// A decimal number as a client might send it: a sign, up to 20 digits,
/// a point somewhere, sometimes an exponent.
fn random_number(r: &mut XorShift) -> String {
    let mut s = String::new();
    if r.below(3) == 0 {
        s.push('-');
    }
    let digits = 1 + r.below(20);
    let point = r.below(digits + 1);
    for i in 0..digits {
        if i == point && i > 0 {
            s.push('.');
        }
        s.push((b'0' + r.below(10) as u8) as char);
    }
    match r.below(6) {
        0 => s.push_str(&format!("e{}", r.below(40))),
        1 => s.push_str(&format!("e-{}", r.below(40))),
        _ => {}
    }
    s
}

/// INCRBYFLOAT computes in C's long double and prints with %.17Lf; our
/// software long double must print the same digits for everyday inputs.
#[test]
fn incrbyfloat_matches_redis_on_random_values() {
    let redis = Server::redis(&[]);
    let ours = Server::reddish(&[]);
    let (mut a, mut b) = (redis.raw(), ours.raw());
    let mut r = XorShift::new(0x9e37_79b9_7f4a_7c15);
    let mut mismatches = Vec::new();
    let mut sums = 0;
    for i in 0..3000 {
        let key = format!("f{}", r.below(8));
        let req: Vec<Vec<u8>> = if r.below(10) == 0 {
            let v = random_number(&mut r);
            vec![b"SET".to_vec(), key.into_bytes(), v.into_bytes()]
        } else {
            let v = random_number(&mut r);
            vec![b"INCRBYFLOAT".to_vec(), key.into_bytes(), v.into_bytes()]
        };
        let refs: Vec<&[u8]> = req.iter().map(|v| v.as_slice()).collect();
        let (x, y) = (a.cmd(&refs), b.cmd(&refs));
        if x.first() == Some(&b'$') && refs[0] == b"INCRBYFLOAT" {
            sums += 1;
        }
        if x != y {
            mismatches.push(format!(
                "#{i} {:?}: redis {:?} reddish {:?}",
                req.iter()
                    .map(|v| String::from_utf8_lossy(v).into_owned())
                    .collect::<Vec<_>>(),
                String::from_utf8_lossy(&x),
                String::from_utf8_lossy(&y)
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{}",
        mismatches[..mismatches.len().min(20)].join("\n")
    );
    assert!(sums > 2000, "only {sums} sums were compared");
}

/// Range arithmetic (negative indexes, BIT/BYTE units, partial edge bytes)
/// is where bitmap and substring commands go wrong; compare random ranges
/// on random strings against redis-server.
#[test]
fn ranges_and_bitfields_match_redis_on_random_inputs() {
    let redis = Server::redis(&[]);
    let ours = Server::reddish(&[]);
    let (mut a, mut b) = (redis.raw(), ours.raw());
    let mut r = XorShift::new(0x2545_f491_4f6c_dd1d);
    let mut mismatches = Vec::new();
    let int = |r: &mut XorShift| -> String {
        let v = r.below(400) as i64 - 200;
        v.to_string()
    };
    for i in 0..4000 {
        let key = format!("s{}", r.below(4));
        let mut req: Vec<String> = Vec::new();
        match r.below(10) {
            0 => {
                let len = r.below(20) as usize;
                let bytes: Vec<u8> = (0..len)
                    .map(|_| match r.below(4) {
                        0 => 0,
                        1 => 0xff,
                        _ => r.below(256) as u8,
                    })
                    .collect();
                let refs: Vec<&[u8]> = vec![b"SET", key.as_bytes(), &bytes];
                let (x, y) = (a.cmd(&refs), b.cmd(&refs));
                assert_eq!(x, y);
                continue;
            }
            1 | 2 => {
                req.extend(["BITCOUNT".into(), key.clone(), int(&mut r), int(&mut r)]);
                match r.below(3) {
                    0 => req.push("BIT".into()),
                    1 => req.push("byte".into()),
                    _ => {}
                }
            }
            3 | 4 => {
                req.extend(["BITPOS".into(), key.clone(), r.below(2).to_string()]);
                let n = r.below(4);
                if n >= 1 {
                    req.push(int(&mut r));
                }
                if n >= 2 {
                    req.push(int(&mut r));
                }
                if n >= 3 {
                    req.push(if r.below(2) == 0 { "BIT" } else { "BYTE" }.into());
                }
            }
            5 => req.extend(["GETRANGE".into(), key.clone(), int(&mut r), int(&mut r)]),
            9 => {
                req.extend(["LCS".into(), key.clone(), format!("s{}", r.below(4))]);
                match r.below(4) {
                    0 => req.push("LEN".into()),
                    1 => req.push("IDX".into()),
                    2 => req.extend(["IDX".into(), "WITHMATCHLEN".into()]),
                    _ => {}
                }
                if r.below(2) == 0 {
                    req.extend(["MINMATCHLEN".into(), r.below(4).to_string()]);
                }
            }
            6 => req.extend([
                "SETRANGE".into(),
                key.clone(),
                r.below(30).to_string(),
                "xy".into(),
            ]),
            _ => {
                let cmd = if r.below(4) == 0 {
                    "BITFIELD_RO"
                } else {
                    "BITFIELD"
                };
                req.extend([cmd.into(), key.clone()]);
                for _ in 0..1 + r.below(3) {
                    let signed = r.below(2) == 0;
                    let bits = 1 + r.below(if signed { 64 } else { 63 });
                    let ty = format!("{}{bits}", if signed { 'i' } else { 'u' });
                    let off = if r.below(3) == 0 {
                        format!("#{}", r.below(4))
                    } else {
                        r.below(100).to_string()
                    };
                    match r.below(4) {
                        0 => req.extend([
                            "OVERFLOW".into(),
                            ["WRAP", "SAT", "FAIL"][r.below(3) as usize].into(),
                        ]),
                        1 => req.extend(["GET".into(), ty, off]),
                        2 => {
                            let v = (r.next_u64() as i64) >> r.below(64);
                            req.extend(["SET".into(), ty, off, v.to_string()]);
                        }
                        _ => {
                            let v = (r.next_u64() as i64) >> r.below(64);
                            req.extend(["INCRBY".into(), ty, off, v.to_string()]);
                        }
                    }
                }
            }
        }
        let refs: Vec<&[u8]> = req.iter().map(|s| s.as_bytes()).collect();
        let (x, y) = (a.cmd(&refs), b.cmd(&refs));
        if x != y {
            mismatches.push(format!(
                "#{i} {req:?}: redis {:?} reddish {:?}",
                String::from_utf8_lossy(&x),
                String::from_utf8_lossy(&y)
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{}",
        mismatches[..mismatches.len().min(20)].join("\n")
    );
}
