//! Sorted sets the way applications use them, through the `redis` crate:
//! a leaderboard that grows past the listpack limit (so ranks and ranges
//! run on the skiplist), checked against a model; a sliding-window rate
//! limiter (ZREMRANGEBYSCORE + ZCARD); a priority queue drained with
//! ZPOPMIN; and random operations compared with the real Redis.

mod common;

use common::Server;
use reddish::types::XorShift;
use redis::{cmd, Connection};

fn encoding(c: &mut Connection, k: &str) -> String {
    cmd("OBJECT")
        .arg("ENCODING")
        .arg(k)
        .query(c)
        .expect("OBJECT")
}

#[test]
fn leaderboard_ranks_match_a_model_across_the_conversion() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let mut model: Vec<(i64, String)> = Vec::new();
    let mut rng = XorShift::new(7);
    for i in 0..1000 {
        let score = (rng.below(500)) as i64;
        let name = format!("player{i}");
        let added: i64 = cmd("ZADD")
            .arg("lb")
            .arg(score)
            .arg(&name)
            .query(&mut c)
            .unwrap();
        assert_eq!(added, 1);
        model.push((score, name));
        if i == 100 {
            assert_eq!(encoding(&mut c, "lb"), "listpack");
        }
    }
    assert_eq!(encoding(&mut c, "lb"), "skiplist");
    model.sort();
    for probe in [0usize, 1, 499, 998, 999] {
        let (_, ref name) = model[probe];
        let r: i64 = cmd("ZRANK").arg("lb").arg(name).query(&mut c).unwrap();
        assert_eq!(r as usize, probe);
        let rr: i64 = cmd("ZREVRANK").arg("lb").arg(name).query(&mut c).unwrap();
        assert_eq!(rr as usize, 999 - probe);
    }
    let top: Vec<String> = cmd("ZREVRANGE")
        .arg("lb")
        .arg(0)
        .arg(9)
        .query(&mut c)
        .unwrap();
    let want: Vec<String> = model.iter().rev().take(10).map(|p| p.1.clone()).collect();
    assert_eq!(top, want);
    let n: i64 = cmd("ZCOUNT")
        .arg("lb")
        .arg(100)
        .arg("(200")
        .query(&mut c)
        .unwrap();
    let wn = model.iter().filter(|p| p.0 >= 100 && p.0 < 200).count();
    assert_eq!(n as usize, wn);
}

#[test]
fn sliding_window_rate_limiter() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let mut allowed = 0;
    for t in 0..100i64 {
        let _: i64 = cmd("ZREMRANGEBYSCORE")
            .arg("rl")
            .arg("-inf")
            .arg(t - 10)
            .query(&mut c)
            .unwrap();
        let n: i64 = cmd("ZCARD").arg("rl").query(&mut c).unwrap();
        if n < 5 {
            let _: i64 = cmd("ZADD")
                .arg("rl")
                .arg(t)
                .arg(format!("req{t}"))
                .query(&mut c)
                .unwrap();
            allowed += 1;
        }
    }
    // Five per 10-tick window.
    assert_eq!(allowed, 50);
}

#[test]
fn priority_queue_drains_in_order_and_deletes_the_key() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    for (p, job) in [(3, "c"), (1, "a"), (2, "b")] {
        let _: i64 = cmd("ZADD").arg("q").arg(p).arg(job).query(&mut c).unwrap();
    }
    let mut order = Vec::new();
    loop {
        let v: Vec<String> = cmd("ZPOPMIN").arg("q").query(&mut c).unwrap();
        if v.is_empty() {
            break;
        }
        order.push(v[0].clone());
    }
    assert_eq!(order, ["a", "b", "c"]);
    let exists: i64 = cmd("EXISTS").arg("q").query(&mut c).unwrap();
    assert_eq!(exists, 0);
}

#[test]
fn random_operations_match_redis() {
    let ours = Server::reddish(&["--zset-max-listpack-entries", "16"]);
    let theirs = Server::redis(&["--zset-max-listpack-entries", "16"]);
    let (mut a, mut b) = (ours.client(), theirs.client());
    let mut rng = XorShift::new(42);
    for _ in 0..3000 {
        let m = format!("m{}", rng.below(60));
        let s = rng.below(40) as i64 - 20;
        let lo = rng.below(40) as i64 - 20;
        let hi = lo + rng.below(20) as i64;
        let c = match rng.below(8) {
            0..=2 => cmd("ZADD").arg("z").arg(s).arg(&m).clone(),
            3 => cmd("ZREM").arg("z").arg(&m).clone(),
            4 => cmd("ZRANGEBYSCORE")
                .arg("z")
                .arg(lo)
                .arg(format!("({hi}"))
                .arg("WITHSCORES")
                .clone(),
            5 => cmd("ZRANK").arg("z").arg(&m).clone(),
            6 => cmd("ZREMRANGEBYRANK").arg("z").arg(lo).arg(hi).clone(),
            _ => cmd("ZRANGE")
                .arg("z")
                .arg(lo)
                .arg(hi)
                .arg("REV")
                .arg("WITHSCORES")
                .clone(),
        };
        let x: redis::Value = c.query(&mut a).unwrap();
        let y: redis::Value = c.query(&mut b).unwrap();
        assert_eq!(x, y);
    }
}
