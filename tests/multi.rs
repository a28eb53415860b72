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
