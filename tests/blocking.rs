//! Blocked clients over real sockets: what differential scripts cannot
//! check (timing, disconnects, replies that must *not* arrive yet,
//! pipelining behind a blocking command, INFO/CLIENT LIST while parked).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Raw, Server};

/// A bare connection whose pending bytes can be peeked without blocking.
struct Conn(TcpStream);

impl Conn {
    fn new(srv: &Server) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", srv.port)).expect("connect");
        s.set_nodelay(true).expect("nodelay");
        Conn(s)
    }

    fn send(&mut self, text: &str) {
        self.0.write_all(text.as_bytes()).expect("write");
    }

    /// Everything that arrives within `wait`.
    fn read_for(&mut self, wait: Duration) -> String {
        self.0
            .set_read_timeout(Some(Duration::from_millis(20)))
            .expect("timeout");
        let end = Instant::now() + wait;
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while Instant::now() < end {
            match self.0.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// What has arrived so far, without waiting.
    fn drain(&mut self) -> String {
        self.0.set_nonblocking(true).expect("nonblocking");
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = self.0.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        self.0.set_nonblocking(false).expect("blocking");
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Reads until `want` bytes-as-text arrived or 5 s passed.
    fn read_until(&mut self, want: &str) -> String {
        self.0
            .set_read_timeout(Some(Duration::from_millis(20)))
            .expect("timeout");
        let end = Instant::now() + Duration::from_secs(5);
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while Instant::now() < end && !String::from_utf8_lossy(&out).contains(want) {
            if let Ok(n) = self.0.read(&mut buf) {
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

fn info_field(raw: &mut Raw, section: &str, field: &str) -> String {
    let text = raw.cmds(&format!("INFO {section}"));
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Polls INFO until `field` reads `want` (the server handles the other
/// connection asynchronously).
fn wait_info(raw: &mut Raw, section: &str, field: &str, want: &str) {
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if info_field(raw, section, field) == want {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!(
        "{field} stayed {} (wanted {want})",
        info_field(raw, section, field)
    );
}

#[test]
fn timeout_answers_the_null_array_on_time() {
    let srv = Server::reddish(&[]);
    let mut c = Conn::new(&srv);
    let t = Instant::now();
    c.send("BLPOP nosuch 0.25\r\n");
    let got = c.read_until("\r\n");
    let took = t.elapsed();
    assert_eq!(got, "*-1\r\n");
    assert!(took >= Duration::from_millis(240), "too early: {took:?}");
    assert!(took < Duration::from_millis(800), "too late: {took:?}");
    // RESP3: the null.
    c.send("HELLO 3\r\n");
    c.read_until("modules");
    c.read_for(Duration::from_millis(50));
    c.send("BZPOPMIN nosuch 0.05\r\n");
    assert_eq!(c.read_until("\r\n"), "_\r\n");
}

#[test]
fn a_disconnected_waiter_is_forgotten() {
    let srv = Server::reddish(&[]);
    let mut admin = srv.raw();
    {
        let mut c = Conn::new(&srv);
        c.send("BLPOP k 0\r\n");
        wait_info(&mut admin, "clients", "blocked_clients", "1");
    }
    wait_info(&mut admin, "clients", "blocked_clients", "0");
    wait_info(&mut admin, "clients", "connected_clients", "1");
    assert_eq!(admin.cmds("RPUSH k v"), ":1\r\n");
    assert_eq!(admin.cmds("LLEN k"), ":1\r\n", "nobody took the element");
}

#[test]
fn pipelined_commands_wait_behind_a_blocked_one() {
    let srv = Server::reddish(&[]);
    let mut admin = srv.raw();
    let mut c = Conn::new(&srv);
    c.send("BLPOP k 0\r\nPING\r\nLLEN k\r\n");
    assert_eq!(
        c.read_for(Duration::from_millis(150)),
        "",
        "nothing before the pop"
    );
    assert_eq!(admin.cmds("RPUSH k a b"), ":2\r\n");
    let got = c.read_until(":1\r\n");
    assert_eq!(got, "*2\r\n$1\r\nk\r\n$1\r\na\r\n+PONG\r\n:1\r\n");
}

#[test]
fn parked_clients_show_in_info_and_client_list() {
    let srv = Server::reddish(&[]);
    let mut admin = srv.raw();
    let mut a = Conn::new(&srv);
    let mut b = Conn::new(&srv);
    a.send("BLPOP k1 k2 0\r\n");
    b.send("BZPOPMIN z 100\r\n");
    wait_info(&mut admin, "clients", "blocked_clients", "2");
    assert_eq!(
        info_field(&mut admin, "clients", "clients_in_timeout_table"),
        "1"
    );
    let list = admin.cmds("CLIENT LIST");
    let blocked: Vec<&str> = list.lines().filter(|l| l.contains(" flags=b ")).collect();
    assert_eq!(blocked.len(), 2, "{list}");
    assert!(blocked.iter().any(|l| l.contains(" cmd=blpop ")));
    assert!(blocked.iter().any(|l| l.contains(" cmd=bzpopmin ")));
    // The saved arguments are the blocked client's argv memory.
    assert!(
        blocked.iter().any(|l| l.contains(" argv-mem=10 ")),
        "{list}"
    );
    assert_eq!(admin.cmds("ZADD z 1 m"), ":1\r\n");
    assert_eq!(
        b.read_until("1\r\n"),
        "*3\r\n$1\r\nz\r\n$1\r\nm\r\n$1\r\n1\r\n"
    );
    wait_info(&mut admin, "clients", "blocked_clients", "1");
    assert_eq!(
        info_field(&mut admin, "clients", "clients_in_timeout_table"),
        "0"
    );
    // Counted once in commandstats, when served.
    let stats = admin.cmds("INFO commandstats");
    assert!(stats.contains("cmdstat_bzpopmin:calls=1,"), "{stats}");
    assert!(!stats.contains("cmdstat_blpop:"), "{stats}");
}

#[test]
fn waiters_are_served_in_the_order_they_blocked() {
    let srv = Server::reddish(&[]);
    let mut admin = srv.raw();
    let mut conns: Vec<Conn> = Vec::new();
    for i in 0..20 {
        let mut c = Conn::new(&srv);
        c.send("BRPOP q 0\r\n");
        conns.push(c);
        wait_info(
            &mut admin,
            "clients",
            "blocked_clients",
            &(i + 1).to_string(),
        );
    }
    // One push of 20 elements: each waiter in turn pops from the tail.
    let mut cmd = String::from("LPUSH q");
    for i in 0..20 {
        cmd.push_str(&format!(" e{i:02}"));
    }
    assert_eq!(admin.cmds(&cmd), ":20\r\n");
    for (i, c) in conns.iter_mut().enumerate() {
        let want = format!("*2\r\n$1\r\nq\r\n$3\r\ne{i:02}\r\n");
        assert_eq!(c.read_until(&want), want);
    }
    assert_eq!(admin.cmds("EXISTS q"), ":0\r\n");
}

#[test]
fn client_unblock_timeout_and_error() {
    let srv = Server::reddish(&[]);
    let mut admin = srv.raw();
    let mut c = Conn::new(&srv);
    c.send("CLIENT ID\r\n");
    let id = c.read_until("\r\n");
    let id = id.trim().trim_start_matches(':');
    c.send("BLMOVE a b LEFT RIGHT 0\r\n");
    wait_info(&mut admin, "clients", "blocked_clients", "1");
    assert_eq!(admin.cmds(&format!("CLIENT UNBLOCK {id}")), ":1\r\n");
    assert_eq!(c.read_until("\r\n"), "*-1\r\n");
    c.send("BLPOP a 0\r\n");
    wait_info(&mut admin, "clients", "blocked_clients", "1");
    assert_eq!(admin.cmds(&format!("CLIENT UNBLOCK {id} ERROR")), ":1\r\n");
    assert_eq!(
        c.read_until("\r\n"),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    assert_eq!(admin.cmds(&format!("CLIENT UNBLOCK {id}")), ":0\r\n");
    let stats = admin.cmds("INFO errorstats");
    assert!(stats.contains("errorstat_UNBLOCKED:count=1"), "{stats}");
}

#[test]
fn idle_timeout_spares_parked_clients() {
    let srv = Server::reddish(&["--timeout", "1"]);
    let mut c = Conn::new(&srv);
    c.send("BLPOP k 0\r\n");
    std::thread::sleep(Duration::from_millis(2300));
    let mut admin = srv.raw();
    assert_eq!(admin.cmds("RPUSH k v"), ":1\r\n");
    assert_eq!(c.read_until("v\r\n"), "*2\r\n$1\r\nk\r\n$1\r\nv\r\n");
}

#[test]
fn blmove_chain_through_many_lists() {
    let srv = Server::reddish(&[]);
    let mut admin = srv.raw();
    let n = 10;
    let mut conns = Vec::new();
    for i in 0..n {
        let mut c = Conn::new(&srv);
        c.send(&format!("BLMOVE l{i} l{} RIGHT LEFT 0\r\n", i + 1));
        conns.push(c);
        wait_info(
            &mut admin,
            "clients",
            "blocked_clients",
            &(i + 1).to_string(),
        );
    }
    assert_eq!(admin.cmds("RPUSH l0 token"), ":1\r\n");
    for c in conns.iter_mut() {
        assert_eq!(c.read_until("token\r\n"), "$5\r\ntoken\r\n");
    }
    assert_eq!(
        admin.cmds(&format!("LRANGE l{n} 0 -1")),
        "*1\r\n$5\r\ntoken\r\n"
    );
    assert_eq!(admin.cmds("DBSIZE"), ":1\r\n");
}

#[test]
fn swapdb_serves_waiters_of_both_databases() {
    let srv = Server::reddish(&[]);
    let mut admin = srv.raw();
    let mut c = Conn::new(&srv);
    c.send("BLPOP k 0\r\n");
    wait_info(&mut admin, "clients", "blocked_clients", "1");
    admin.cmds("SELECT 5");
    assert_eq!(admin.cmds("RPUSH k from5"), ":1\r\n");
    assert_eq!(admin.cmds("SWAPDB 0 5"), "+OK\r\n");
    assert_eq!(
        c.read_until("from5\r\n"),
        "*2\r\n$1\r\nk\r\n$5\r\nfrom5\r\n"
    );
    // The waiter did not move with the data: a later waiter in db 0 is
    // served by a push to db 0.
    c.send("BLPOP k2 0\r\n");
    wait_info(&mut admin, "clients", "blocked_clients", "1");
    admin.cmds("SWAPDB 0 5");
    admin.cmds("SELECT 0");
    assert_eq!(admin.cmds("RPUSH k2 x"), ":1\r\n");
    assert_eq!(c.read_until("x\r\n"), "*2\r\n$2\r\nk2\r\n$1\r\nx\r\n");
}

/// Random blocking workloads run in lockstep on Redis 7.0 and reddish:
/// which waiter gets what, and when, must be the same.
#[test]
fn random_blocking_workload_matches_redis() {
    let redis = Server::redis(&[]);
    let ours = Server::reddish(&[]);
    let mut admin = [redis.raw(), ours.raw()];
    const WAITERS: usize = 6;
    let mut waiters: Vec<[Conn; 2]> = (0..WAITERS)
        .map(|_| [Conn::new(&redis), Conn::new(&ours)])
        .collect();
    let mut busy = [false; WAITERS];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut mismatches = Vec::new();
    let mut served_later = 0;
    for step in 0..240 {
        let idle: Vec<usize> = (0..WAITERS).filter(|&i| !busy[i]).collect();
        let (l1, l2) = (rnd(3), rnd(3));
        let (z1, z2) = (rnd(2), rnd(2));
        let side = |r: u64| if r == 0 { "LEFT" } else { "RIGHT" };
        if !idle.is_empty() && rnd(3) != 0 {
            let w = idle[rnd(idle.len() as u64) as usize];
            let cmd = match rnd(6) {
                0 => format!("BLPOP l{l1} l{l2} 0"),
                1 => format!("BRPOP l{l1} l{l2} 0"),
                2 => format!("BLMOVE l{l1} l{l2} {} {} 0", side(rnd(2)), side(rnd(2))),
                3 => format!("BLMPOP 0 2 l{l1} l{l2} {} COUNT 2", side(rnd(2))),
                4 => format!("BZPOPMIN z{z1} z{z2} 0"),
                _ => format!("BZMPOP 0 1 z{z1} MAX COUNT 2"),
            };
            for c in waiters[w].iter_mut() {
                c.send(&format!("{cmd}\r\n"));
            }
            busy[w] = true;
            std::thread::sleep(Duration::from_millis(20));
            let got: Vec<String> = waiters[w].iter_mut().map(Conn::drain).collect();
            if !got[0].is_empty() {
                busy[w] = false;
            }
            if got[0] != got[1] {
                mismatches.push(format!("step {step} w{w} {cmd}: {got:?}"));
            }
        } else {
            let n = step;
            let cmd = match rnd(10) {
                0 | 1 => format!("RPUSH l{l1} a{n} b{n}"),
                2 => format!("LPUSH l{l1} c{n}"),
                3 => format!("ZADD z{z1} {n} m{n} {} q{n}", n + 1),
                4 => format!("LMOVE l{l1} l{l2} LEFT RIGHT"),
                5 | 6 => format!("DEL l{l1} z{z1}"),
                7 => format!("SET l{l1} s{n}"),
                8 => format!("ZUNIONSTORE z{z1} 2 z{z2} l{l2}"),
                _ => "MULTI".to_string(),
            };
            let mut replies = Vec::new();
            for a in admin.iter_mut() {
                if cmd == "MULTI" {
                    a.cmds("MULTI");
                    a.cmds(&format!("RPUSH l{l2} t{n}"));
                    a.cmds(&format!("ZADD z{z2} 0 t{n}"));
                    a.cmds(&format!("LPUSH l{l1} u{n}"));
                    replies.push(a.cmds("EXEC"));
                } else {
                    replies.push(a.cmds(&cmd));
                }
            }
            if replies[0] != replies[1] {
                mismatches.push(format!("step {step} admin {cmd}: {replies:?}"));
            }
            std::thread::sleep(Duration::from_millis(15));
            for (w, pair) in waiters.iter_mut().enumerate() {
                if !busy[w] {
                    continue;
                }
                let got: Vec<String> = pair.iter_mut().map(Conn::drain).collect();
                if !got[0].is_empty() {
                    busy[w] = false;
                    served_later += 1;
                }
                if got[0] != got[1] {
                    mismatches.push(format!("step {step} w{w} after {cmd}: {got:?}"));
                }
            }
        }
    }
    for a in admin.iter_mut() {
        a.cmds("SELECT 0");
    }
    let state: Vec<String> = admin
        .iter_mut()
        .map(|a| {
            let mut s = String::new();
            for k in ["l0", "l1", "l2"] {
                s.push_str(&a.cmds(&format!("LRANGE {k} 0 -1")));
            }
            for k in ["z0", "z1"] {
                s.push_str(&a.cmds(&format!("ZRANGE {k} 0 -1 WITHSCORES")));
            }
            s.push_str(
                &a.cmds("INFO clients")
                    .lines()
                    .filter(|l| l.starts_with("blocked"))
                    .collect::<String>(),
            );
            s
        })
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(state[0], state[1]);
    assert!(
        served_later >= 20,
        "only {served_later} waiters were served by a later write"
    );
}

#[test]
fn a_command_held_by_client_pause_shows_as_blocked() {
    let srv = Server::reddish(&[]);
    let mut admin = srv.raw();
    assert_eq!(admin.cmds("CLIENT PAUSE 600 WRITE"), "+OK\r\n");
    let mut c = Conn::new(&srv);
    c.send("RPUSH held a\r\n");
    wait_info(&mut admin, "clients", "blocked_clients", "1");
    let list = admin.cmds("CLIENT LIST");
    assert_eq!(list.matches(" flags=b ").count(), 1, "{list}");
    assert_eq!(c.read_until("\r\n"), ":1\r\n");
    wait_info(&mut admin, "clients", "blocked_clients", "0");
    let list = admin.cmds("CLIENT LIST");
    assert_eq!(list.matches(" flags=b ").count(), 0, "{list}");
}
