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

/// The CLIENT LIST fields a transaction shows, for a queueing client seen
/// from outside and for CLIENT LIST run inside EXEC, are Redis's: flags=x,
/// multi=<queued>, multi-mem (argument bytes plus a pointer per argument),
/// and inside EXEC argv-mem and cmd of EXEC itself.
#[test]
fn client_list_shows_the_transaction_as_redis_does() {
    fn fields(line: &str, names: &[&str]) -> String {
        names
            .iter()
            .map(|n| {
                line.split(' ')
                    .find(|f| f.split('=').next() == Some(n))
                    .unwrap_or("?")
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
    let names = ["flags", "multi", "argv-mem", "multi-mem", "cmd"];
    let mut seen = Vec::new();
    for srv in [Server::redis(&[]), Server::reddish(&[])] {
        let mut queuer = srv.raw();
        queuer.cmds("MULTI");
        queuer.cmds("SET a b");
        queuer.cmds("SET abc defgh");
        let mut other = srv.raw();
        let list = other.cmds("CLIENT LIST");
        let line = list.lines().find(|l| l.contains("multi=2")).unwrap_or("");
        let outside = fields(line, &names);
        queuer.cmds("CLIENT LIST");
        let exec = queuer.cmds("EXEC");
        let line = exec.lines().find(|l| l.contains("id=")).unwrap_or("");
        let inside = fields(line, &names);
        seen.push((outside, inside));
    }
    assert_eq!(seen[0].0, "flags=x multi=2 argv-mem=0 multi-mem=64 cmd=set");
    assert_eq!(
        seen[0].1,
        "flags=x multi=3 argv-mem=4 multi-mem=90 cmd=exec"
    );
    assert_eq!(seen[1], seen[0]);
}

/// INFO replication shows `min_slaves_good_slaves` exactly while
/// min-replicas-to-write and min-replicas-max-lag are both non-zero (the
/// differential script cannot compare INFO replication: master_replid is
/// random).
#[test]
fn info_replication_shows_good_replicas_when_min_replicas_is_set() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let info = |c: &mut redis::Connection| -> String {
        redis::cmd("INFO").arg("replication").query(c).unwrap()
    };
    assert!(!info(&mut c).contains("min_slaves_good_slaves"));
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("min-replicas-to-write")
        .arg(1)
        .query(&mut c)
        .unwrap();
    assert!(info(&mut c).contains("\r\nconnected_slaves:0\r\nmin_slaves_good_slaves:0\r\n"));
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("min-replicas-max-lag")
        .arg(0)
        .query(&mut c)
        .unwrap();
    assert!(!info(&mut c).contains("min_slaves_good_slaves"));
}

/// An EXEC refused before it runs (here: writes queued, then
/// min-replicas-to-write set by another client) is a rejected call of
/// `exec` in INFO commandstats, as Redis's rejectCommand counts it.
#[test]
fn refused_exec_counts_as_rejected_call() {
    let srv = Server::reddish(&[]);
    let mut c = srv.client();
    let mut other = srv.client();
    let _: () = redis::cmd("MULTI").query(&mut c).unwrap();
    let _: () = redis::cmd("INCR").arg("x").query(&mut c).unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("min-replicas-to-write")
        .arg(1)
        .query(&mut other)
        .unwrap();
    let e = redis::cmd("EXEC")
        .query::<redis::Value>(&mut c)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("NOREPLICAS Not enough good replicas to write."),
        "{e}"
    );
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut c)
        .unwrap();
    let exec = stats
        .lines()
        .find(|l| l.starts_with("cmdstat_exec:"))
        .unwrap_or_default();
    assert!(
        exec.contains("calls=0,") && exec.contains(",rejected_calls=1,"),
        "{exec}"
    );
    let n: Option<i64> = redis::cmd("GET").arg("x").query(&mut c).unwrap();
    assert_eq!(n, None);
}
