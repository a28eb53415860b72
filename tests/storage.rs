//! The keyspace storage engine, from outside: a model-checked property test
//! of `Db` under a fake clock, active expiry through a real server, and two
//! ignored measurements (memory per key, expiry lag and PING latency) that
//! print the figures quoted in the design notes.
//!
//! Run the measurements with
//! `cargo test --release --test storage -- --ignored --nocapture`.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Raw, Server};
use reddish::db::keyspace::Db;
use reddish::db::object::{StrVal, Value};
use reddish::types::XorShift;

fn val(b: &[u8]) -> Value {
    Value::Str(StrVal::from_bytes(b))
}

fn bytes_of(v: &Value) -> Vec<u8> {
    let Value::Str(s) = v else {
        panic!("the model only stores strings")
    };
    let mut tmp = [0u8; 24];
    s.bytes(&mut tmp).to_vec()
}

/// The model: key → (value, deadline).
type Model = HashMap<Vec<u8>, (Vec<u8>, Option<i64>)>;

/// Drops model keys whose deadline has passed, as lazy expiry would.
fn model_live<'a>(m: &'a mut Model, k: &[u8], now: i64) -> Option<&'a mut (Vec<u8>, Option<i64>)> {
    if m.get(k).is_some_and(|(_, d)| d.is_some_and(|d| d <= now)) {
        m.remove(k);
    }
    m.get_mut(k)
}

#[test]
fn random_operations_match_a_model_under_a_fake_clock() {
    let mut rng = XorShift::new(0xdead_beef_cafe_f00d);
    let mut db = Db::new();
    let mut model: Model = HashMap::new();
    let mut now: i64 = 1_700_000_000_000;
    let far = || Instant::now() + Duration::from_secs(60);
    for step in 0..200_000u32 {
        let space = if (step / 20_000) % 2 == 0 { 3000 } else { 100 };
        let k = format!("key:{}", rng.below(space)).into_bytes();
        match rng.below(16) {
            0..=3 => {
                // SET (sometimes KEEPTTL): the command looks the key up first.
                let keep = rng.below(4) == 0;
                let v = match rng.below(3) {
                    0 => rng.below(1000).to_string().into_bytes(),
                    1 => vec![b'x'; rng.below(60) as usize],
                    _ => format!("v{step}").into_bytes(),
                };
                db.lookup(&k, now);
                db.insert(&k, val(&v), keep);
                let ttl = match model_live(&mut model, &k, now) {
                    Some((_, d)) if keep => *d,
                    _ => None,
                };
                model.insert(k.clone(), (v, ttl));
            }
            4..=5 => {
                let got = db.remove(&k, now).map(|v| bytes_of(&v));
                let want = model_live(&mut model, &k, now).map(|e| e.0.clone());
                model.remove(&k);
                assert_eq!(got, want, "DEL at step {step}");
            }
            6..=7 => {
                let at = now + rng.below(3000) as i64 - 200;
                let live = db.lookup(&k, now).is_some();
                assert_eq!(live, model_live(&mut model, &k, now).is_some());
                if live {
                    assert!(db.set_expire(&k, at));
                    model.get_mut(&k).expect("live").1 = Some(at);
                }
            }
            8 => {
                let live = db.lookup(&k, now).is_some();
                let had = live && db.persist(&k);
                let want = match model_live(&mut model, &k, now) {
                    Some(e) => e.1.take().is_some(),
                    None => false,
                };
                assert_eq!(had, want, "PERSIST at step {step}");
            }
            9..=11 => {
                let got = db.lookup(&k, now).map(bytes_of);
                let want = model_live(&mut model, &k, now).map(|e| e.0.clone());
                assert_eq!(got, want, "GET at step {step}");
                if got.is_some() {
                    let want_ttl = model.get(&k).and_then(|e| e.1);
                    assert_eq!(db.expire_at(&k), want_ttl);
                }
            }
            12..=13 => now += rng.below(50) as i64,
            14 => {
                db.active_expire(now, far());
            }
            _ => {
                if let Some(rk) = db.random_key(now) {
                    assert!(model_live(&mut model, &rk, now).is_some());
                }
                db.rehash_for(Duration::from_micros(200));
                db.cron(Duration::from_millis(1));
            }
        }
        if step % 5000 == 4999 {
            // After a full active expiry, the table holds exactly the live keys.
            db.active_expire(now, far());
            model.retain(|_, (_, d)| d.is_none_or(|d| d > now));
            assert_eq!(db.len(), model.len(), "DBSIZE at step {step}");
            let vol: Vec<i64> = model.values().filter_map(|e| e.1).collect();
            assert_eq!(db.volatile_len(), vol.len());
            let avg = if vol.is_empty() {
                0
            } else {
                let sum: i128 = vol.iter().map(|&d| d as i128).sum();
                ((sum / vol.len() as i128) as i64 - now).max(0)
            };
            assert_eq!(db.avg_ttl(now), avg);
            let mut scanned = Vec::new();
            let mut cursor = 0;
            loop {
                cursor = db.scan(cursor, 10, now, |k, _| scanned.push(k.to_vec()));
                if cursor == 0 {
                    break;
                }
            }
            scanned.sort();
            scanned.dedup();
            let mut keys: Vec<Vec<u8>> = model.keys().cloned().collect();
            keys.sort();
            assert_eq!(scanned, keys, "SCAN at step {step}");
        }
    }
}

#[test]
fn scan_with_a_huge_count_returns_everything_in_one_call() {
    let mut db = Db::new();
    for i in 0..1000 {
        db.insert(format!("k{i}").as_bytes(), val(b"v"), false);
    }
    let mut n = 0;
    assert_eq!(db.scan(0, usize::MAX, 0, |_, _| n += 1), 0);
    assert_eq!(n, 1000);
}

/// True if the server knows the command (SET and friends come from another
/// family; this file's server tests need them).
fn knows(r: &mut Raw, probe: &[&[u8]]) -> bool {
    let rep = r.cmd(probe);
    !rep.starts_with(b"-ERR unknown command")
}

fn int_reply(rep: &[u8]) -> i64 {
    std::str::from_utf8(&rep[1..rep.len() - 2])
        .expect("utf8")
        .parse()
        .expect("integer reply")
}

fn info_field(r: &mut Raw, field: &str) -> Option<i64> {
    let rep = r.cmd(&[b"INFO", b"stats"]);
    let text = String::from_utf8_lossy(&rep).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn untouched_keys_with_short_ttls_vanish() {
    let srv = Server::reddish(&[]);
    let mut r = srv.raw();
    if !knows(&mut r, &[b"SET", b"probe", b"1"]) {
        eprintln!("SET is not in this build yet (strings family): skipping");
        return;
    }
    r.cmd(&[b"DEL", b"probe"]);
    let mut batch = Vec::new();
    for i in 0..2000 {
        let k = format!("tmp:{i}");
        let px = (50 + i % 150).to_string();
        batch.extend(Raw::encode(&[
            b"SET",
            k.as_bytes(),
            b"v",
            b"PX",
            px.as_bytes(),
        ]));
    }
    for i in 0..10 {
        batch.extend(Raw::encode(&[b"SET", format!("keep:{i}").as_bytes(), b"v"]));
    }
    r.send(&batch);
    for _ in 0..2010 {
        assert_eq!(r.read_reply(), b"+OK\r\n");
    }
    let start = Instant::now();
    let mut n = int_reply(&r.cmd(&[b"DBSIZE"]));
    assert!(n > 10, "keys expired before anyone looked: {n}");
    // Nobody reads the keys: only active expiry can make DBSIZE drop.
    while n > 10 && start.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(50));
        n = int_reply(&r.cmd(&[b"DBSIZE"]));
    }
    assert_eq!(n, 10, "active expiry left keys behind");
    assert!(start.elapsed() < Duration::from_secs(2));
    if let Some(e) = info_field(&mut r, "expired_keys") {
        assert_eq!(e, 2000);
    }
}

#[test]
fn active_expiry_can_be_switched_off() {
    let srv = Server::reddish(&[]);
    let mut r = srv.raw();
    if !knows(&mut r, &[b"SET", b"probe", b"1"])
        || !knows(&mut r, &[b"DEBUG", b"SET-ACTIVE-EXPIRE", b"0"])
    {
        eprintln!("SET or DEBUG is not in this build yet: skipping");
        return;
    }
    for i in 0..100 {
        let k = format!("k{i}");
        assert_eq!(
            r.cmd(&[b"SET", k.as_bytes(), b"v", b"PX", b"10"]),
            b"+OK\r\n"
        );
    }
    std::thread::sleep(Duration::from_millis(400));
    // Only lazy expiry runs: the dead keys are still counted...
    assert_eq!(int_reply(&r.cmd(&[b"DBSIZE"])), 101);
    // ...until active expiry is back.
    r.cmd(&[b"DEBUG", b"SET-ACTIVE-EXPIRE", b"1"]);
    let start = Instant::now();
    while int_reply(&r.cmd(&[b"DBSIZE"])) != 1 {
        assert!(start.elapsed() < Duration::from_secs(2), "not expired");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn flushall_of_many_keys_answers_at_once_and_frees_later() {
    let srv = Server::reddish(&[]);
    let mut r = srv.raw();
    if !knows(&mut r, &[b"DEBUG", b"POPULATE", b"200000"]) {
        eprintln!("DEBUG POPULATE is not in this build yet: skipping");
        return;
    }
    assert_eq!(int_reply(&r.cmd(&[b"DBSIZE"])), 200_000);
    let t = Instant::now();
    assert_eq!(r.cmd(&[b"FLUSHALL"]), b"+OK\r\n");
    let flush = t.elapsed();
    assert_eq!(int_reply(&r.cmd(&[b"DBSIZE"])), 0);
    assert_eq!(r.cmd(&[b"PING"]), b"+PONG\r\n");
    assert!(
        flush < Duration::from_millis(100),
        "FLUSHALL took {flush:?}"
    );
}

/// Parses a SCAN reply: (next cursor, keys).
fn parse_scan(rep: &[u8]) -> (u64, Vec<String>) {
    let text = String::from_utf8_lossy(rep).into_owned();
    let lines: Vec<&str> = text.split("\r\n").collect();
    // *2, $n, cursor, *k, then ($len, key) pairs.
    let cursor = lines[2].parse().expect("cursor");
    let keys = lines[4..]
        .chunks(2)
        .filter(|c| c.len() == 2 && c[0].starts_with('$'))
        .map(|c| c[1].to_string())
        .collect();
    (cursor, keys)
}

fn pipeline(r: &mut Raw, cmds: &[Vec<Vec<u8>>]) {
    let mut buf = Vec::new();
    for c in cmds {
        let parts: Vec<&[u8]> = c.iter().map(|x| x.as_slice()).collect();
        buf.extend(Raw::encode(&parts));
    }
    r.send(&buf);
    for _ in cmds {
        r.read_reply();
    }
}

#[test]
fn scan_over_the_wire_returns_stable_keys_while_the_table_grows_and_shrinks() {
    let srv = Server::reddish(&["--hz", "100"]);
    let mut r = srv.raw();
    if !knows(&mut r, &[b"SET", b"probe", b"1"]) {
        eprintln!("SET is not in this build yet: skipping");
        return;
    }
    r.cmd(&[b"DEL", b"probe"]);
    let set = |k: String| vec![b"SET".to_vec(), k.into_bytes(), b"v".to_vec()];
    let stable: Vec<String> = (0..500).map(|i| format!("stable:{i}")).collect();
    pipeline(
        &mut r,
        &stable.iter().map(|k| set(k.clone())).collect::<Vec<_>>(),
    );
    for phase in ["grow", "shrink"] {
        if phase == "shrink" {
            let tmp: Vec<_> = (0..30_000).map(|i| set(format!("tmp:{i}"))).collect();
            pipeline(&mut r, &tmp);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0u64;
        let mut step = 0u64;
        loop {
            let c = cursor.to_string();
            let (next, keys) = parse_scan(&r.cmd(&[b"SCAN", c.as_bytes(), b"COUNT", b"20"]));
            seen.extend(keys);
            cursor = next;
            if cursor == 0 {
                break;
            }
            step += 1;
            let batch: Vec<Vec<Vec<u8>>> = if phase == "grow" {
                (0..100)
                    .map(|i| set(format!("grow:{step}:{i}")))
                    .take(if step < 100 { 100 } else { 0 })
                    .collect()
            } else {
                (0..1000)
                    .map(|i| step * 1000 + i)
                    .filter(|&i| i < 30_000)
                    .map(|i| vec![b"DEL".to_vec(), format!("tmp:{i}").into_bytes()])
                    .collect()
            };
            pipeline(&mut r, &batch);
            if phase == "shrink" && step.is_multiple_of(5) {
                // Let the cron shrink the table and rehash between steps.
                std::thread::sleep(Duration::from_millis(30));
            }
            assert!(step < 100_000);
        }
        for k in &stable {
            assert!(seen.contains(k), "{phase}: SCAN missed {k}");
        }
    }
}

/// Resident set size of this process in bytes.
fn rss_bytes() -> usize {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = s
        .split_whitespace()
        .nth(1)
        .and_then(|x| x.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Measures this test process's RSS: run it alone (name it as a filter),
/// or the other tests' threads add their own memory.
#[test]
#[ignore = "measurement: run alone with --release -- --ignored --nocapture memory_per_key"]
fn memory_per_key_one_million_keys() {
    let before = rss_bytes();
    let mut db = Db::new();
    let value = [b'x'; 32];
    for i in 0..1_000_000u64 {
        // redis-benchmark's key shape: "key:" and 12 digits.
        let k = format!("key:{i:012}");
        db.insert(k.as_bytes(), val(&value), false);
    }
    // Let the last resize finish, as the cron would.
    while db.dict_stats().rehashing {
        db.rehash_for(Duration::from_millis(10));
    }
    let after = rss_bytes();
    let per_key = (after - before) as f64 / 1e6;
    println!(
        "1M keys, 16-byte keys, 32-byte values: {per_key:.1} B RSS per key ({:?})",
        db.dict_stats()
    );
    assert!(per_key < 100.0, "{per_key} B per key");
}

fn read_line(r: &mut BufReader<TcpStream>) -> String {
    let mut s = String::new();
    r.read_line(&mut s).expect("read");
    s
}

#[test]
#[ignore = "measurement: run with --release -- --ignored --nocapture"]
fn expiry_lag_and_ping_latency_one_million_keys() {
    // REDDISH_BIN may point at a release build; the cargo binary otherwise.
    let bin = std::env::var("REDDISH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_reddish-server").to_string());
    let srv = Server::start(&bin, &[]);
    let mut r = srv.raw();
    if !knows(&mut r, &[b"SET", b"probe", b"1"]) {
        eprintln!("SET is not in this build yet: skipping");
        return;
    }
    r.cmd(&[b"DEL", b"probe"]);
    const N: u64 = 1_000_000;
    let base_ms = {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock");
        d.as_millis() as i64 + 2000
    };
    // Deadlines spread evenly over 10 s, starting 2 s from now (PXAT).
    let mut deadlines = Vec::with_capacity(N as usize);
    let mut rng = XorShift::new(0x1234_5678);
    let mut w = TcpStream::connect(("127.0.0.1", srv.port)).expect("connect");
    let mut rd = BufReader::new(w.try_clone().expect("clone"));
    let reader = std::thread::spawn(move || {
        for _ in 0..N {
            let l = read_line(&mut rd);
            assert_eq!(l, "+OK\r\n");
        }
    });
    let mut buf = Vec::new();
    for i in 0..N {
        let at = base_ms + rng.below(10_000) as i64;
        deadlines.push(at);
        buf.extend(Raw::encode(&[
            b"SET",
            format!("key:{i:012}").as_bytes(),
            &[b'x'; 32],
            b"PXAT",
            at.to_string().as_bytes(),
        ]));
        if buf.len() > 1 << 20 {
            w.write_all(&buf).expect("write");
            buf.clear();
        }
    }
    w.write_all(&buf).expect("write");
    reader.join().expect("loader");
    deadlines.sort();
    let loaded = int_reply(&r.cmd(&[b"DBSIZE"]));
    let rss_kb = std::fs::read_to_string(format!("/proc/{}/status", srv.pid()))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    println!(
        "loaded {loaded} volatile keys; server RSS {} MB, {} B per key",
        rss_kb / 1024,
        rss_kb * 1024 / loaded.max(1) as u64
    );
    // A pinger measures worst latency while the monitor samples DBSIZE.
    let port = srv.port;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let pinger = std::thread::spawn(move || {
        let mut p = Raw::connect(port);
        let mut lat = Vec::new();
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            let t = Instant::now();
            p.send(b"PING\r\n");
            let rep = p.read_reply();
            assert_eq!(rep, b"+PONG\r\n");
            lat.push(t.elapsed());
            std::thread::sleep(Duration::from_millis(1));
        }
        lat.sort();
        lat
    });
    let mut worst_lag_ms = 0i64;
    loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis() as i64;
        let n = int_reply(&r.cmd(&[b"DBSIZE"])) as usize;
        // Keys still present: the n with the latest deadlines, at best. The
        // earliest of them tells how late expiry is running.
        if n > 0 {
            let oldest_present = deadlines[deadlines.len() - n];
            worst_lag_ms = worst_lag_ms.max(now - oldest_present);
        }
        if n == 0 {
            break;
        }
        assert!(now < base_ms + 15_000, "keys left: {n}");
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let lat = pinger.join().expect("pinger");
    let pct = |p: f64| lat[((lat.len() - 1) as f64 * p) as usize];
    let expired = info_field(&mut r, "expired_keys");
    let cpu = info_field(&mut r, "expire_cycle_cpu_milliseconds");
    let capped = info_field(&mut r, "expired_time_cap_reached_count");
    println!("expire cycles: {cpu:?} ms CPU, time cap reached {capped:?} times");
    // On a shared machine the worst PING is mostly the OS scheduler; the
    // percentiles say more about the server.
    println!(
        "expiry: worst lag behind deadline ≈ {worst_lag_ms} ms; PING over {} pings: p99 {:?}, p99.9 {:?}, max {:?}; expired_keys {expired:?}",
        lat.len(),
        pct(0.99),
        pct(0.999),
        pct(1.0)
    );
    assert!(worst_lag_ms < 1000);
}
