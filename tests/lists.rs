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
