//! CLIENT commands and connection-level behaviour over real sockets: what a
//! differential script cannot show (other connections closing, time passing,
//! limits enforced at accept and parse time). Where the behaviour is
//! deterministic the same test runs against Redis 7.0 too, so the
//! expectations themselves are checked.

mod common;

use std::time::{Duration, Instant};

use common::{Raw, Server};

/// A server started with `--requirepass`. The shared harness probes
/// readiness with a PING that must answer +PONG, which a password-protected
/// server refuses, so these are started here and probed for -NOAUTH.
struct Protected {
    child: std::process::Child,
    port: u16,
}

impl Protected {
    fn start(bin: &str, pre: &[&str], pass: &str) -> Protected {
        for _ in 0..5 {
            let port = common::free_port().to_string();
            let mut args = pre.to_vec();
            args.extend_from_slice(&["--port", &port, "--requirepass", pass]);
            let child = std::process::Command::new(bin)
                .args(&args)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn server");
            let mut s = Protected {
                child,
                port: port.parse().expect("port"),
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = s.child.try_wait() {
                    break;
                }
                if let Ok(stream) = std::net::TcpStream::connect(("127.0.0.1", s.port)) {
                    drop(stream);
                    if s.raw().cmds("PING").starts_with("-NOAUTH") {
                        return s;
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = s.child.kill();
        }
        panic!("{bin} did not start");
    }

    fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }
}

impl Drop for Protected {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn both_with_password(pass: &str) -> [Protected; 2] {
    [
        Protected::start("redis-server", &["--save", "", "--appendonly", "no"], pass),
        Protected::start(env!("CARGO_BIN_EXE_reddish-server"), &[], pass),
    ]
}

/// Both servers started with the same flags: Redis first, then ours.
fn both(extra: &[&str]) -> [Server; 2] {
    [Server::redis(extra), Server::reddish(extra)]
}

/// The body of a bulk reply (`$n\r\n...\r\n`) as text.
fn bulk_text(reply: &[u8]) -> String {
    let s = String::from_utf8_lossy(reply).into_owned();
    let body = s.split_once("\r\n").map(|(_, b)| b).unwrap_or("");
    body.strip_suffix("\r\n").unwrap_or(body).to_string()
}

/// A field of this connection's CLIENT INFO line.
fn info_field(r: &mut Raw, field: &str) -> String {
    let line = bulk_text(&r.cmd(&[b"CLIENT", b"INFO"]));
    field_of(&line, field).unwrap_or_default()
}

fn field_of(line: &str, field: &str) -> Option<String> {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(field)?.strip_prefix('='))
        .map(str::to_string)
}

fn client_list(r: &mut Raw) -> Vec<String> {
    bulk_text(&r.cmd(&[b"CLIENT", b"LIST"]))
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn client_list_line_has_redis_fields_in_redis_order() {
    let keys = |line: &str| -> Vec<String> {
        line.split_whitespace()
            .map(|kv| kv.split('=').next().unwrap_or("").to_string())
            .collect()
    };
    let [redis, ours] = both(&[]);
    let mut lines = Vec::new();
    for s in [&redis, &ours] {
        let mut a = s.raw();
        assert_eq!(a.cmds("CLIENT SETNAME first"), "+OK\r\n");
        let list = client_list(&mut a);
        assert_eq!(list.len(), 1, "{list:?}");
        lines.push(list[0].clone());
    }
    assert_eq!(
        keys(&lines[0]),
        keys(&lines[1]),
        "\n{}\n{}",
        lines[0],
        lines[1]
    );
    let ours = &lines[1];
    // Values that are the same on both servers for a fresh connection.
    for (k, v) in [
        ("name", "first"),
        ("flags", "N"),
        ("db", "0"),
        ("multi", "-1"),
        ("qbuf", "26"),
        ("argv-mem", "10"),
        ("events", "r"),
        ("cmd", "client|list"),
        ("user", "default"),
        ("redir", "-1"),
        ("resp", "2"),
    ] {
        assert_eq!(field_of(ours, k).as_deref(), Some(v), "{k} in {ours}");
    }
}

#[test]
fn client_list_shows_every_connection_in_creation_order() {
    let s = Server::reddish(&[]);
    let mut conns: Vec<Raw> = (0..4).map(|_| s.raw()).collect();
    for (i, c) in conns.iter_mut().enumerate() {
        assert_eq!(c.cmds(&format!("CLIENT SETNAME c{i}")), "+OK\r\n");
    }
    // Free a middle slot and reconnect: the slab reuses the slot, the list
    // must still follow creation order.
    drop(conns.remove(1));
    std::thread::sleep(Duration::from_millis(100));
    let mut late = s.raw();
    assert_eq!(late.cmds("CLIENT SETNAME late"), "+OK\r\n");
    let list = client_list(&mut conns[0]);
    let names: Vec<String> = list.iter().filter_map(|l| field_of(l, "name")).collect();
    assert_eq!(names, ["c0", "c2", "c3", "late"], "{list:#?}");
    let ids: Vec<u64> = list
        .iter()
        .filter_map(|l| field_of(l, "id")?.parse().ok())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    // The others last ran SETNAME; the caller is running LIST.
    assert_eq!(field_of(&list[1], "cmd").as_deref(), Some("client|setname"));
    assert_eq!(field_of(&list[0], "cmd").as_deref(), Some("client|list"));
    // CLIENT LIST ID answers in the order asked, repeats included.
    let (a, b) = (ids[3].to_string(), ids[0].to_string());
    let reply = conns[0].cmd(&[
        b"CLIENT",
        b"LIST",
        b"ID",
        a.as_bytes(),
        b"999",
        b.as_bytes(),
        a.as_bytes(),
    ]);
    let names: Vec<String> = bulk_text(&reply)
        .lines()
        .filter_map(|l| field_of(l, "name"))
        .collect();
    assert_eq!(names, ["late", "c0", "late"]);
}

#[test]
fn cmd_field_records_rejected_commands_as_redis() {
    for s in both(&[]) {
        let mut a = s.raw();
        let mut b = s.raw();
        assert_eq!(a.cmds("CLIENT SETNAME watched"), "+OK\r\n");
        let id = info_field(&mut a, "id");
        let cmd_of_a = |b: &mut Raw| {
            let line = bulk_text(&b.cmd(&[b"CLIENT", b"LIST", b"ID", id.as_bytes()]));
            field_of(&line, "cmd").unwrap_or_default()
        };
        for (sent, want) in [
            ("nosuchcommand", "NULL"),
            ("CLIENT SETNAME", "client|setname"),
            ("CLIENT nosuch", "NULL"),
            ("PING a b", "ping"),
            ("CLIENT", "client"),
        ] {
            assert!(a.cmds(sent).starts_with('-'), "{sent}");
            assert_eq!(cmd_of_a(&mut b), want, "after {sent}");
        }
    }
}

#[test]
fn client_kill_by_id_closes_the_other_connection() {
    for s in both(&[]) {
        let mut a = s.raw();
        let mut b = s.raw();
        let id = info_field(&mut b, "id");
        let reply = a.cmd(&[b"CLIENT", b"KILL", b"ID", id.as_bytes()]);
        assert_eq!(reply, b":1\r\n");
        assert!(b.is_closed());
        // Gone from the list at once, and a second kill finds nobody.
        assert_eq!(client_list(&mut a).len(), 1);
        let reply = a.cmd(&[b"CLIENT", b"KILL", b"ID", id.as_bytes()]);
        assert_eq!(reply, b":0\r\n");
    }
}

#[test]
fn client_kill_old_form_by_address() {
    for s in both(&[]) {
        let mut a = s.raw();
        let mut b = s.raw();
        let addr = info_field(&mut b, "addr");
        assert_eq!(a.cmd(&[b"CLIENT", b"KILL", addr.as_bytes()]), b"+OK\r\n");
        assert!(b.is_closed());
        assert_eq!(
            a.cmd(&[b"CLIENT", b"KILL", addr.as_bytes()]),
            b"-ERR No such client\r\n"
        );
        assert_eq!(a.cmds("PING"), "+PONG\r\n");
    }
}

#[test]
fn client_kill_filters_by_addr_laddr_and_skipme() {
    for s in both(&[]) {
        let mut a = s.raw();
        let mut b = s.raw();
        let mut c = s.raw();
        let b_addr = info_field(&mut b, "addr");
        let laddr = info_field(&mut a, "laddr");
        assert_eq!(laddr, format!("127.0.0.1:{}", s.port));
        let reply = a.cmd(&[
            b"CLIENT",
            b"KILL",
            b"ADDR",
            b_addr.as_bytes(),
            b"SKIPME",
            b"yes",
        ]);
        assert_eq!(reply, b":1\r\n");
        assert!(b.is_closed());
        // Everyone on this local address but me: only c is left.
        let reply = a.cmd(&[b"CLIENT", b"KILL", b"LADDR", laddr.as_bytes()]);
        assert_eq!(reply, b":1\r\n");
        assert!(c.is_closed());
        assert_eq!(a.cmds("PING"), "+PONG\r\n");
    }
}

#[test]
fn client_kill_self_replies_first_then_closes() {
    for s in both(&[]) {
        let mut a = s.raw();
        let mut other = s.raw();
        let addr = info_field(&mut a, "addr");
        // A command pipelined behind the kill is never answered.
        let mut req = Raw::encode(&[b"CLIENT", b"KILL", addr.as_bytes()]);
        req.extend_from_slice(&Raw::encode(&[b"PING"]));
        a.send(&req);
        assert_eq!(a.read_reply(), b"+OK\r\n");
        assert!(a.is_closed());
        // SKIPME no counts the caller too, and closes it after the reply.
        assert_eq!(other.cmds("CLIENT KILL TYPE normal SKIPME no"), ":1\r\n");
        assert!(other.is_closed());
    }
}

#[test]
fn client_pause_write_holds_writes_while_reads_answer() {
    let s = Server::reddish(&[]);
    let mut admin = s.raw();
    let mut writer = s.raw();
    let mut reader = s.raw();
    let start = Instant::now();
    assert_eq!(admin.cmds("CLIENT PAUSE 1000 WRITE"), "+OK\r\n");
    writer.send(&Raw::encode(&[b"SET", b"k", b"v"]));
    // Reads keep flowing during a WRITE pause, and do not see the held SET.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(reader.cmds("GET k"), "$-1\r\n");
    assert_eq!(reader.cmds("PING"), "+PONG\r\n");
    assert!(start.elapsed() < Duration::from_millis(800));
    assert_eq!(writer.read_reply(), b"+OK\r\n");
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(950), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    assert_eq!(reader.cmds("GET k"), "$1\r\nv\r\n");
}

#[test]
fn client_pause_all_holds_every_command() {
    let s = Server::reddish(&[]);
    let mut admin = s.raw();
    let mut other = s.raw();
    let start = Instant::now();
    assert_eq!(admin.cmds("CLIENT PAUSE 400 ALL"), "+OK\r\n");
    assert_eq!(other.cmds("PING"), "+PONG\r\n");
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(350), "{waited:?}");
}

#[test]
fn client_unpause_releases_held_commands_early() {
    let s = Server::reddish(&[]);
    let mut admin = s.raw();
    let mut writer = s.raw();
    let start = Instant::now();
    assert_eq!(admin.cmds("CLIENT PAUSE 20000 WRITE"), "+OK\r\n");
    writer.send(&Raw::encode(&[b"FLUSHALL"]));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(admin.cmds("CLIENT UNPAUSE"), "+OK\r\n");
    assert_eq!(writer.read_reply(), b"+OK\r\n");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn client_pause_keeps_the_longer_and_stronger_pause() {
    let s = Server::reddish(&[]);
    let mut admin = s.raw();
    let mut other = s.raw();
    let start = Instant::now();
    assert_eq!(admin.cmds("CLIENT PAUSE 500 WRITE"), "+OK\r\n");
    // Shorter but stronger: ALL until the later end.
    assert_eq!(admin.cmds("CLIENT PAUSE 50 ALL"), "+OK\r\n");
    assert_eq!(other.cmds("PING"), "+PONG\r\n");
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(450), "{waited:?}");
}

#[test]
fn client_reply_off_skip_on() {
    for s in both(&[]) {
        let mut r = s.raw();
        let mut req = Vec::new();
        for cmd in [
            &[&b"CLIENT"[..], b"REPLY", b"OFF"][..],
            &[b"PING", b"a"],
            &[b"NOSUCH"],
            &[b"CLIENT", b"REPLY", b"ON"],
            &[b"PING", b"b"],
            &[b"CLIENT", b"REPLY", b"SKIP"],
            &[b"PING", b"c"],
            &[b"PING", b"d"],
        ] {
            req.extend_from_slice(&Raw::encode(cmd));
        }
        r.send(&req);
        assert_eq!(r.read_reply(), b"+OK\r\n");
        assert_eq!(r.read_reply(), b"$1\r\nb\r\n");
        assert_eq!(r.read_reply(), b"$1\r\nd\r\n");
        assert_eq!(r.cmds("PING"), "+PONG\r\n");
    }
}

#[test]
fn idle_clients_are_closed_after_timeout() {
    for s in both(&["--timeout", "1"]) {
        let mut idle = s.raw();
        let mut busy = s.raw();
        assert_eq!(idle.cmds("PING"), "+PONG\r\n");
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(2600) {
            assert_eq!(busy.cmds("PING"), "+PONG\r\n");
            std::thread::sleep(Duration::from_millis(200));
        }
        assert!(idle.is_closed());
        assert_eq!(busy.cmds("PING"), "+PONG\r\n");
    }
}

#[test]
fn clients_held_by_pause_are_not_idle() {
    for s in both(&["--timeout", "1"]) {
        let mut admin = s.raw();
        let mut writer = s.raw();
        assert_eq!(admin.cmds("CLIENT PAUSE 2600 WRITE"), "+OK\r\n");
        writer.send(&Raw::encode(&[b"SET", b"k", b"v"]));
        // Well past the timeout, the held writer still gets its answer.
        assert_eq!(writer.read_reply(), b"+OK\r\n");
        // The admin connection really was idle, and was closed.
        assert!(admin.is_closed());
    }
}

#[test]
fn maxclients_rejects_the_connection_over_the_limit() {
    for s in both(&["--maxclients", "5"]) {
        // Let the readiness probe's connection go first.
        std::thread::sleep(Duration::from_millis(100));
        let mut conns: Vec<Raw> = (0..5).map(|_| s.raw()).collect();
        for c in conns.iter_mut() {
            assert_eq!(c.cmds("PING"), "+PONG\r\n");
        }
        let mut extra = s.raw();
        assert_eq!(
            extra.read_reply(),
            b"-ERR max number of clients reached\r\n"
        );
        assert!(extra.is_closed());
        // A slot freed is a slot available again.
        drop(conns.pop());
        std::thread::sleep(Duration::from_millis(200));
        let mut again = s.raw();
        assert_eq!(again.cmds("PING"), "+PONG\r\n");
    }
}

#[test]
fn requirepass_gates_commands_until_auth() {
    for s in both_with_password("sekret") {
        let mut r = s.raw();
        assert_eq!(r.cmds("PING"), "-NOAUTH Authentication required.\r\n");
        assert_eq!(r.cmds("CLIENT ID"), "-NOAUTH Authentication required.\r\n");
        assert_eq!(
            r.cmds("AUTH wrong"),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        );
        assert_eq!(r.cmds("AUTH sekret"), "+OK\r\n");
        assert_eq!(r.cmds("PING"), "+PONG\r\n");
        assert!(r.cmds("CLIENT ID").starts_with(':'));
        // Once authenticated, the unauthenticated limits are lifted.
        let big: Vec<&[u8]> = std::iter::once(&b"PING"[..])
            .chain(std::iter::repeat_n(&b"x"[..], 1))
            .collect();
        assert_eq!(r.cmd(&big), b"$1\r\nx\r\n");
        let many: Vec<&[u8]> = std::iter::once(&b"CLIENT"[..])
            .chain([&b"LIST"[..], b"ID"])
            .chain(std::iter::repeat_n(&b"999"[..], 20))
            .collect();
        assert_eq!(r.cmd(&many), b"$0\r\n\r\n");
    }
}

#[test]
fn unauthenticated_clients_may_not_send_big_requests() {
    for s in both_with_password("sekret") {
        let mut r = s.raw();
        // Only the header: the server answers and closes on it, and bytes
        // left unread at close would turn the close into a reset.
        r.send(b"*11\r\n");
        assert_eq!(
            r.read_reply(),
            b"-ERR Protocol error: unauthenticated multibulk length\r\n"
        );
        assert!(r.is_closed());

        let mut r = s.raw();
        // The header alone is refused; sending the payload too would only
        // race the close (unread bytes turn it into a reset).
        r.send(b"*2\r\n$4\r\nAUTH\r\n$16385\r\n");
        assert_eq!(
            r.read_reply(),
            b"-ERR Protocol error: unauthenticated bulk length\r\n"
        );
        assert!(r.is_closed());

        // Ten arguments of 16 KB are still fine before AUTH.
        let mut r = s.raw();
        let ok = vec![b'x'; 16384];
        let args: Vec<&[u8]> = std::iter::once(&b"PING"[..])
            .chain(std::iter::repeat_n(&ok[..], 9))
            .collect();
        assert_eq!(r.cmd(&args)[..7], *b"-NOAUTH");
    }
}

/// A client that pipelines commands but never reads their replies is
/// disconnected once its pending output passes the hard limit.
#[test]
fn output_buffer_limit_disconnects_a_client_that_never_reads() {
    use std::io::Write;
    for s in both(&["--client-output-buffer-limit", "normal 1mb 0 0"]) {
        let mut greedy = std::net::TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
        greedy
            .set_write_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let payload = vec![b'x'; 64 * 1024];
        let req = Raw::encode(&[b"ECHO", &payload]);
        // 25 MB of replies: far past the limit, and more than loopback
        // buffers hold, so the writes fail once the server has cut us off.
        for _ in 0..400 {
            if greedy.write_all(&req).is_err() {
                break;
            }
        }
        let mut watcher = s.raw();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let list = client_list(&mut watcher);
            if list.len() == 1 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "greedy client still connected: {list:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn no_evict_shows_as_flag_e() {
    for s in both(&[]) {
        let mut r = s.raw();
        assert_eq!(r.cmds("CLIENT NO-EVICT on"), "+OK\r\n");
        assert_eq!(info_field(&mut r, "flags"), "e");
        assert_eq!(r.cmds("CLIENT NO-EVICT off"), "+OK\r\n");
        assert_eq!(info_field(&mut r, "flags"), "N");
    }
}

/// NO-TOUCH and SETINFO are Redis 7.2 commands: checked against what 7.2
/// answers, since the 7.0 reference server has neither.
#[test]
fn redis_7_2_no_touch_and_setinfo() {
    let s = Server::reddish(&[]);
    let mut r = s.raw();
    assert_eq!(r.cmds("CLIENT NO-TOUCH on"), "+OK\r\n");
    assert_eq!(info_field(&mut r, "flags"), "T");
    assert_eq!(r.cmds("CLIENT NO-TOUCH maybe"), "-ERR syntax error\r\n");
    assert_eq!(r.cmds("CLIENT NO-TOUCH off"), "+OK\r\n");
    assert_eq!(info_field(&mut r, "flags"), "N");

    assert_eq!(r.cmds("CLIENT SETINFO lib-name redis-py"), "+OK\r\n");
    assert_eq!(r.cmds("CLIENT SETINFO LIB-VER 5.0.1"), "+OK\r\n");
    assert_eq!(
        r.cmds("CLIENT SETINFO badger hamster"),
        "-ERR Unrecognized option 'badger'\r\n"
    );
    assert_eq!(
        r.cmd(&[b"CLIENT", b"SETINFO", b"Lib-Name", b"redis py"]),
        b"-ERR Lib-Name cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(
        r.cmds("CLIENT SETINFO lib-name"),
        "-ERR wrong number of arguments for 'client|setinfo' command\r\n"
    );
    // 7.0's line format is kept: no lib-name=/lib-ver= fields.
    let line = bulk_text(&r.cmd(&[b"CLIENT", b"INFO"]));
    assert!(line.trim_end().ends_with("resp=2"), "{line}");
}

/// This host's first non-loopback IPv4 address, read from the routing the
/// kernel would use (a UDP "connect" sends nothing); None on a host with
/// no such interface.
fn non_loopback_ip() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// Redis 7.0's protected mode ignores `bind` (its default binds every
/// interface): with no password a non-loopback client is DENIED even when
/// `bind 0.0.0.0` was given explicitly; a password lets it in. Checked
/// against Redis too.
#[test]
fn protected_mode_denies_non_loopback_clients_whatever_bind_says() {
    let Some(ip) = non_loopback_ip() else {
        eprintln!("no non-loopback address on this host: nothing to check");
        return;
    };
    for srv in [
        Server::reddish(&["--bind", "0.0.0.0"]),
        Server::redis(&["--bind", "0.0.0.0"]),
    ] {
        let connect = || {
            let s = std::net::TcpStream::connect((ip, srv.port)).expect("connect");
            s.set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            s
        };
        let mut reply = String::new();
        let _ = std::io::Read::read_to_string(&mut connect(), &mut reply);
        assert!(
            reply.starts_with("-DENIED Redis is running in protected mode"),
            "{reply}"
        );
        let mut local = srv.raw();
        assert_eq!(local.cmds("CONFIG SET requirepass secret"), "+OK\r\n");
        let mut s = connect();
        std::io::Write::write_all(&mut s, b"AUTH secret\r\nPING\r\n").expect("write");
        let mut buf = [0u8; 64];
        let mut got = Vec::new();
        while got.len() < 12 {
            let n = std::io::Read::read(&mut s, &mut buf).expect("read");
            assert!(n > 0, "closed: {}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"+OK\r\n+PONG\r\n");
    }
}

/// What CLIENT PAUSE WRITE holds, as Redis 7.0 decides it after its other
/// checks: an EXEC whose queue has a write or may-replicate command, a
/// write sent inside MULTI (before it is queued), a container's write
/// subcommand (XGROUP CREATE); a command with the wrong arity is answered
/// at once. The transcript must match Redis's.
#[test]
fn client_pause_write_holds_what_redis_holds() {
    let mut transcripts = Vec::new();
    for srv in [Server::reddish(&[]), Server::redis(&[])] {
        let mut a = srv.raw();
        let mut b = srv.raw();
        let mut t = Vec::new();
        let blocked = |b: &mut Raw| {
            let info = b.cmds("INFO clients");
            info.lines()
                .find(|l| l.starts_with("blocked_clients:"))
                .unwrap_or("none")
                .to_string()
        };
        let held = |a: &mut Raw, b: &mut Raw, t: &mut Vec<String>, cmd: &str| {
            assert_eq!(b.cmds("CLIENT PAUSE 60000 WRITE"), "+OK\r\n");
            a.send(cmd.as_bytes());
            std::thread::sleep(Duration::from_millis(100));
            t.push(format!("{}: {}", cmd.trim(), blocked(b)));
            assert_eq!(b.cmds("CLIENT UNPAUSE"), "+OK\r\n");
            t.push(String::from_utf8_lossy(&a.read_reply()).into_owned());
        };
        t.push(a.cmds("MULTI") + &a.cmds("SET FOO BAR"));
        held(&mut a, &mut b, &mut t, "EXEC\r\n");
        t.push(a.cmds("MULTI"));
        held(&mut a, &mut b, &mut t, "SET FOO BAZ\r\n");
        t.push(a.cmds("EXEC"));
        t.push(a.cmds("MULTI") + &a.cmds("PUBLISH ch m"));
        held(&mut a, &mut b, &mut t, "EXEC\r\n");
        t.push(b.cmds("XADD s 1-1 a b"));
        held(&mut a, &mut b, &mut t, "XGROUP CREATE s g $\r\n");
        held(&mut a, &mut b, &mut t, "SET FOO\r\n");
        transcripts.push(t);
    }
    assert!(transcripts[0]
        .iter()
        .any(|l| l == "EXEC: blocked_clients:1"));
    assert!(transcripts[0]
        .iter()
        .any(|l| l == "SET FOO: blocked_clients:0"));
    assert_eq!(transcripts[0], transcripts[1]);
}

/// The hard output limit is checked as replies are made, before anything
/// is sent (Redis's closeClientOnOutputBufferLimitReached): a reply over it
/// closes the client with nothing written, and HRANDFIELD / SRANDMEMBER /
/// ZRANDMEMBER with a huge negative count stop at the limit instead of
/// building gigabytes. Same outcome on Redis.
#[test]
fn output_hard_limit_closes_before_sending() {
    for srv in [Server::reddish(&[]), Server::redis(&[])] {
        let mut admin = srv.raw();
        let big = "x".repeat(150_000);
        assert_eq!(
            String::from_utf8_lossy(&admin.cmd(&[b"SET", b"big", big.as_bytes()])),
            "+OK\r\n"
        );
        assert_eq!(admin.cmds("HSET h a b"), ":1\r\n");
        assert_eq!(admin.cmds("SADD s a"), ":1\r\n");
        assert_eq!(admin.cmds("ZADD z 1 a"), ":1\r\n");
        assert_eq!(
            String::from_utf8_lossy(&admin.cmd(&[
                b"CONFIG",
                b"SET",
                b"client-output-buffer-limit",
                b"normal 100000 0 0"
            ])),
            "+OK\r\n"
        );
        for cmd in [
            "GET big",
            "HRANDFIELD h -999999999",
            "SRANDMEMBER s -999999999",
            "ZRANDMEMBER z -999999999",
        ] {
            let start = Instant::now();
            let mut c = srv.raw();
            c.send(cmd.as_bytes());
            c.send(b"\r\n");
            // EOF (or reset) before any byte of a reply.
            assert!(c.is_closed(), "{cmd}: a reply arrived");
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{cmd}: {:?}",
                start.elapsed()
            );
        }
        assert_eq!(admin.cmds("PING"), "+PONG\r\n");
    }
}
