//! Memory accounting through a real server: INFO memory reports the exact
//! allocator count and the maxmemory settings, used_memory follows the
//! data both ways, MEMORY USAGE grows with the value, MEMORY STATS counts
//! keys.

mod common;

use common::Server;

fn info(c: &mut redis::Connection, section: &str) -> std::collections::HashMap<String, String> {
    let text: String = redis::cmd("INFO").arg(section).query(c).unwrap();
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

fn num(m: &std::collections::HashMap<String, String>, k: &str) -> u64 {
    m.get(k)
        .unwrap_or_else(|| panic!("no {k}"))
        .parse()
        .unwrap()
}

#[test]
fn used_memory_follows_the_data() {
    let srv = Server::reddish(&["--maxmemory", "1gb", "--maxmemory-policy", "allkeys-lru"]);
    let mut c = srv.client();
    let m0 = info(&mut c, "memory");
    assert_eq!(num(&m0, "maxmemory"), 1 << 30);
    assert_eq!(m0["maxmemory_human"], "1.00G");
    assert_eq!(m0["maxmemory_policy"], "allkeys-lru");
    let before = num(&m0, "used_memory");
    let val = vec![b'x'; 1000];
    let mut p = redis::pipe();
    for i in 0..10_000 {
        p.cmd("SET").arg(format!("k{i}")).arg(&val[..]).ignore();
    }
    let _: () = p.query(&mut c).unwrap();
    let m1 = info(&mut c, "memory");
    let after = num(&m1, "used_memory");
    // 10 MB of values: the count grows by at least that, and not wildly more.
    assert!(after - before >= 10_000_000, "{before} -> {after}");
    assert!(after - before < 14_000_000, "{before} -> {after}");
    assert!(num(&m1, "used_memory_peak") >= after);
    assert!(num(&m1, "used_memory_rss") > 0);
    let _: () = redis::cmd("FLUSHALL").arg("SYNC").query(&mut c).unwrap();
    let m2 = info(&mut c, "memory");
    let flushed = num(&m2, "used_memory");
    assert!(flushed < before + 1_000_000, "{before} -> {flushed}");
    assert!(num(&m2, "used_memory_peak") >= after);
}

#[test]
fn memory_usage_and_stats() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let _: () = redis::cmd("SET")
        .arg("small")
        .arg("x")
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(vec![b'x'; 10_000])
        .query(&mut c)
        .unwrap();
    let small: i64 = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg("small")
        .query(&mut c)
        .unwrap();
    let big: i64 = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg("big")
        .query(&mut c)
        .unwrap();
    assert!((1..200).contains(&small), "{small}");
    assert!((10_000..10_200).contains(&big), "{big}");
    let stats: Vec<redis::Value> = redis::cmd("MEMORY").arg("STATS").query(&mut c).unwrap();
    let pos = stats
        .iter()
        .position(|v| matches!(v, redis::Value::BulkString(b) if b == b"keys.count"))
        .expect("keys.count");
    assert_eq!(stats[pos + 1], redis::Value::Int(2));
}
