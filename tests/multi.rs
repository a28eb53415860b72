//! Transactions through the redis crate: atomic pipelines and WATCH
//! invalidated by another client.

mod common;

use common::Server;

#[test]
fn atomic_pipeline_runs_all() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let (a, b): (i64, i64) = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg("n")
        .cmd("INCRBY")
        .arg("n")
        .arg(5)
        .query(&mut c)
        .unwrap();
    assert_eq!((a, b), (1, 6));
}

#[test]
fn watch_invalidated_by_other_client() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let mut other = srv.client();
    let _: () = redis::cmd("WATCH").arg("k").query(&mut c).unwrap();
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("x")
        .query(&mut other)
        .unwrap();
    let r: Option<(String,)> = redis::pipe()
        .atomic()
        .cmd("GET")
        .arg("k")
        .query(&mut c)
        .unwrap();
    assert_eq!(r, None);
}

/// Through the redis crate's atomic pipelines: a write that changes nothing
/// (SETNX on an existing key, SREM of an absent member) leaves WATCH alone,
/// while a real change makes EXEC answer nil.
#[test]
fn watch_ignores_no_op_writes() {
    let srv = Server::reddish(&[]);
    let mut a = srv.client();
    let mut b = srv.client();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut a).unwrap();
    let _: i64 = redis::cmd("SADD").arg("s").arg("m").query(&mut a).unwrap();
    let _: () = redis::cmd("WATCH").arg("k").arg("s").query(&mut a).unwrap();
    let _: i64 = redis::cmd("SETNX").arg("k").arg("x").query(&mut b).unwrap();
    let _: i64 = redis::cmd("SREM")
        .arg("s")
        .arg("absent")
        .query(&mut b)
        .unwrap();
    let r: Option<(String,)> = redis::pipe().atomic().get("k").query(&mut a).unwrap();
    assert_eq!(r, Some(("v".to_string(),)));
    let _: () = redis::cmd("WATCH").arg("k").arg("s").query(&mut a).unwrap();
    let _: i64 = redis::cmd("SREM").arg("s").arg("m").query(&mut b).unwrap();
    let r: Option<(String,)> = redis::pipe().atomic().get("k").query(&mut a).unwrap();
    assert_eq!(r, None);
}
