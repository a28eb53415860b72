//! Pub/Sub behaviour the differential scripts cannot show: delivery through
//! the redis crate's pubsub API, and a subscriber that never reads being
//! cut off by `client-output-buffer-limit pubsub` while others carry on.

mod common;

use std::time::{Duration, Instant};

use common::Server;

#[test]
fn redis_crate_pubsub_roundtrip() {
    let srv = Server::reddish(&[]);
    let mut sub_conn = srv.client();
    let mut publisher = srv.client();
    let mut ps = sub_conn.as_pubsub();
    ps.subscribe("news").unwrap();
    ps.psubscribe("n*").unwrap();
    let n: i64 = redis::cmd("PUBLISH")
        .arg("news")
        .arg("hi")
        .query(&mut publisher)
        .unwrap();
    assert_eq!(n, 2);
    let m1 = ps.get_message().unwrap();
    assert_eq!(m1.get_channel_name(), "news");
    assert_eq!(m1.get_payload::<String>().unwrap(), "hi");
    let m2 = ps.get_message().unwrap();
    assert_eq!(m2.get_pattern::<String>().unwrap(), "n*");
}

#[test]
fn slow_subscriber_is_disconnected() {
    let srv = Server::reddish(&["--client-output-buffer-limit", "pubsub 1mb 512kb 60"]);
    let mut sub = srv.raw();
    sub.cmd(&[b"SUBSCRIBE", b"big"]);
    let mut publisher = srv.client();
    let payload = vec![b'x'; 64 * 1024];
    for _ in 0..200 {
        let _: i64 = redis::cmd("PUBLISH")
            .arg("big")
            .arg(&payload[..])
            .query(&mut publisher)
            .unwrap();
    }
    // The subscriber is gone: nobody receives any more.
    let n: i64 = redis::cmd("PUBLISH")
        .arg("big")
        .arg("x")
        .query(&mut publisher)
        .unwrap();
    assert_eq!(n, 0);
    let mut other = srv.client();
    let t = Instant::now();
    let _: String = redis::cmd("PING").query(&mut other).unwrap();
    assert!(t.elapsed() < Duration::from_secs(1));
}

#[test]
fn info_and_client_list_show_subscriptions() {
    let srv = Server::reddish(&[]);
    let mut sub = srv.raw();
    sub.send(&common::Raw::encode(&[b"SUBSCRIBE", b"a", b"b"]));
    sub.read_reply();
    sub.read_reply();
    sub.cmd(&[b"PSUBSCRIBE", b"p*"]);
    let mut c = srv.client();
    let info: String = redis::cmd("INFO").arg("stats").query(&mut c).unwrap();
    assert!(info.contains("pubsub_channels:2\r\n"), "{info}");
    assert!(info.contains("pubsub_patterns:1\r\n"), "{info}");
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .arg("TYPE")
        .arg("pubsub")
        .query(&mut c)
        .unwrap();
    assert!(list.contains(" flags=P "), "{list}");
    assert!(list.contains(" sub=2 psub=1 ssub=0 multi=-1 "), "{list}");
}

/// Keyspace events through the redis crate, with the flags given at
/// startup (the `new` class included, which the Db logs only while on) and
/// in a database other than 0.
#[test]
fn keyspace_events_from_startup_flags() {
    let srv = Server::reddish(&["--notify-keyspace-events", "KEn$g"]);
    let mut sub_conn = srv.client();
    let mut c = srv.client();
    let mut ps = sub_conn.as_pubsub();
    ps.psubscribe("__key*@5__:*").unwrap();
    let _: () = redis::cmd("SELECT").arg(5).query(&mut c).unwrap();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    let _: () = redis::cmd("SET").arg("k").arg("w").query(&mut c).unwrap();
    let _: i64 = redis::cmd("DEL")
        .arg("k")
        .arg("missing")
        .query(&mut c)
        .unwrap();
    let mut got = Vec::new();
    for _ in 0..8 {
        let m = ps.get_message().unwrap();
        got.push(format!(
            "{} {}",
            m.get_channel_name(),
            m.get_payload::<String>().unwrap()
        ));
    }
    assert_eq!(
        got,
        [
            "__keyspace@5__:k new",
            "__keyevent@5__:new k",
            "__keyspace@5__:k set",
            "__keyevent@5__:set k",
            "__keyspace@5__:k set",
            "__keyevent@5__:set k",
            "__keyspace@5__:k del",
            "__keyevent@5__:del k",
        ]
    );
}
