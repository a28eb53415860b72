//! Hashes the way applications use them, through the `redis` crate: an
//! object stored field by field that grows past the listpack limit, a full
//! HSCAN walk of a hash table, counters in fields.

mod common;

use std::collections::HashMap;

use common::Server;
use redis::cmd;

#[test]
fn big_hash_converts_and_hscan_sees_every_field_once() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    for i in 0..1000 {
        let _: i64 = cmd("HSET")
            .arg("h")
            .arg(format!("f{i}"))
            .arg(i)
            .query(&mut c)
            .expect("HSET");
        if i == 511 {
            let enc: String = cmd("OBJECT")
                .arg("ENCODING")
                .arg("h")
                .query(&mut c)
                .unwrap();
            assert_eq!(enc, "listpack");
        }
    }
    let enc: String = cmd("OBJECT")
        .arg("ENCODING")
        .arg("h")
        .query(&mut c)
        .unwrap();
    assert_eq!(enc, "hashtable");
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut cursor = 0u64;
    loop {
        let (next, items): (u64, Vec<String>) = cmd("HSCAN")
            .arg("h")
            .arg(cursor)
            .arg("COUNT")
            .arg(100)
            .query(&mut c)
            .expect("HSCAN");
        for p in items.chunks(2) {
            assert!(seen.insert(p[0].clone(), p[1].clone()).is_none());
        }
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    assert_eq!(seen["f123"], "123");
    let all: HashMap<String, i64> = cmd("HGETALL").arg("h").query(&mut c).unwrap();
    assert_eq!(all.len(), 1000);
    let n: i64 = cmd("HINCRBY")
        .arg("h")
        .arg("f999")
        .arg(1)
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 1000);
}

#[test]
fn deleting_last_field_deletes_key() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let _: i64 = cmd("HSET")
        .arg("u")
        .arg("a")
        .arg("1")
        .query(&mut c)
        .unwrap();
    let n: i64 = cmd("HDEL").arg("u").arg("a").query(&mut c).unwrap();
    assert_eq!(n, 1);
    let e: i64 = cmd("EXISTS").arg("u").query(&mut c).unwrap();
    assert_eq!(e, 0);
}
