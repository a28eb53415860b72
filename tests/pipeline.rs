//! Deep pipelines: many commands in one write, arguments split across reads.

mod common;

use common::{Raw, Server};

#[test]
fn ten_thousand_multibulk_commands_in_one_write() {
    let s = Server::reddish(&[]);
    let mut c = s.raw();
    let mut req = Vec::new();
    for i in 0..10_000 {
        let v = format!("value-{i}");
        req.extend_from_slice(&Raw::encode(&[b"ECHO", v.as_bytes()]));
    }
    c.send(&req);
    for i in 0..10_000 {
        let v = format!("value-{i}");
        assert_eq!(
            c.read_reply(),
            format!("${}\r\n{v}\r\n", v.len()).into_bytes()
        );
    }
}

#[test]
fn arguments_split_at_every_chunk_boundary() {
    // Commands larger than the 16 KB read chunk, so a command is always
    // half-parsed when a read ends.
    let s = Server::reddish(&[]);
    let mut c = s.raw();
    let big = vec![b'x'; 20_000];
    let mut req = Vec::new();
    for _ in 0..50 {
        req.extend_from_slice(&Raw::encode(&[b"ECHO", &big[..7000]]));
        req.extend_from_slice(&Raw::encode(&[b"ECHO", &big]));
    }
    c.send(&req);
    for _ in 0..50 {
        assert_eq!(c.read_reply().len(), 7000 + 7 + 2);
        assert_eq!(c.read_reply().len(), 20_000 + 8 + 2);
    }
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n");
}
