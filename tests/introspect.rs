//! Server introspection over the wire: INFO values are true, COMMAND
//! describes our own table, DEBUG is refused unless enabled, SHUTDOWN exits
//! cleanly. The differential scripts (server.redis, debug.redis) compare
//! shapes with Redis; these tests check what only our own server can tell:
//! that the numbers follow what actually happened.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{Raw, Server};

/// The body of a bulk or verbatim reply.
fn body(reply: &[u8]) -> String {
    let s = String::from_utf8_lossy(reply).into_owned();
    let start = s.find("\r\n").map(|i| i + 2).unwrap_or(0);
    let end = s.len().saturating_sub(2).max(start);
    s[start..end].to_string()
}

/// INFO parsed into field -> value, plus the section headers in order.
fn info(raw: &mut Raw, args: &str) -> (HashMap<String, String>, Vec<String>) {
    let line = format!("INFO {args}");
    let reply = raw.cmds(line.trim());
    let text = body(reply.as_bytes());
    let mut fields = HashMap::new();
    let mut sections = Vec::new();
    for l in text.split("\r\n") {
        if let Some(h) = l.strip_prefix("# ") {
            sections.push(h.to_string());
        } else if let Some((k, v)) = l.split_once(':') {
            fields.insert(k.to_string(), v.to_string());
        }
    }
    (fields, sections)
}

fn num(f: &HashMap<String, String>, k: &str) -> i64 {
    f.get(k)
        .unwrap_or_else(|| panic!("no field {k}"))
        .parse()
        .unwrap_or_else(|_| panic!("{k} is not an integer: {:?}", f.get(k)))
}

#[test]
fn info_sections_are_chosen_as_redis_chooses_them() {
    let s = Server::reddish(&[]);
    let mut r = s.raw();
    let default = [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Modules",
        "Errorstats",
        "Cluster",
        "Keyspace",
    ];
    assert_eq!(info(&mut r, "").1, default);
    assert_eq!(info(&mut r, "default").1, default);
    let all = info(&mut r, "all").1;
    assert!(all.contains(&"Commandstats".to_string()));
    assert!(all.contains(&"Latencystats".to_string()));
    assert_eq!(info(&mut r, "everything").1, all);
    // Several at once, in canonical order whatever the argument order.
    assert_eq!(
        info(&mut r, "keyspace CLIENTS server").1,
        ["Server", "Clients", "Keyspace"]
    );
    assert_eq!(info(&mut r, "nosuch").1, Vec::<String>::new());
    assert_eq!(r.cmds("INFO nosuch"), "$0\r\n\r\n");
    // RESP3: a verbatim string of format txt.
    r.cmds("HELLO 3");
    let reply = r.cmds("INFO cluster");
    assert_eq!(reply, "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n");
}

#[test]
fn server_section_describes_this_process() {
    let s = Server::reddish(&[]);
    let mut r = s.raw();
    let (f, _) = info(&mut r, "server");
    assert_eq!(f["redis_version"], "7.0.15");
    assert_eq!(f["reddish_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(num(&f, "process_id"), s.pid() as i64);
    assert_eq!(num(&f, "tcp_port"), s.port as i64);
    assert_eq!(f["run_id"].len(), 40);
    assert!(f["run_id"].bytes().all(|c| c.is_ascii_hexdigit()));
    assert!(
        f["executable"].ends_with("reddish-server"),
        "{}",
        f["executable"]
    );
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    assert!((num(&f, "server_time_usec") - now_us).abs() < 5_000_000);
    assert!(num(&f, "uptime_in_seconds") < 60);
    assert_eq!(num(&f, "uptime_in_days"), 0);
    assert_eq!(num(&f, "lru_clock"), (now_us / 1_000_000) & 0xFF_FFFF);
}

#[test]
fn client_and_command_counters_follow_traffic() {
    let s = Server::reddish(&[]);
    let mut r = s.raw();
    let (a, _) = info(&mut r, "stats clients");
    for _ in 0..5 {
        assert_eq!(r.cmds("PING"), "+PONG\r\n");
    }
    let mut others: Vec<Raw> = (0..3).map(|_| s.raw()).collect();
    for o in &mut others {
        o.cmds("PING");
    }
    let (b, _) = info(&mut r, "stats clients");
    // Five PINGs and the first INFO on this connection, three PINGs elsewhere.
    assert_eq!(
        num(&b, "total_commands_processed") - num(&a, "total_commands_processed"),
        9
    );
    assert_eq!(
        num(&b, "connected_clients"),
        num(&a, "connected_clients") + 3
    );
    assert_eq!(
        num(&b, "total_connections_received") - num(&a, "total_connections_received"),
        3
    );
    assert_eq!(num(&b, "blocked_clients"), 0);
    // Each PING is 14 bytes as a multibulk request, each reply 7 bytes.
    let sent = num(&b, "total_net_input_bytes") - num(&a, "total_net_input_bytes");
    assert!(sent >= 8 * 14, "{sent}");
    let out = num(&b, "total_net_output_bytes") - num(&a, "total_net_output_bytes");
    assert!(out >= 8 * 7, "{out}");
    drop(others);
    std::thread::sleep(Duration::from_millis(100));
    let (c, _) = info(&mut r, "clients");
    assert_eq!(num(&c, "connected_clients"), num(&a, "connected_clients"));
}

#[test]
fn commandstats_and_errorstats_count_calls_and_errors() {
    let s = Server::reddish(&[]);
    let mut r = s.raw();
    for _ in 0..3 {
        r.cmds("ECHO x");
    }
    r.cmds("COMMAND COUNT");
    r.cmds("SELECT"); // wrong arity: rejected before running
    r.cmds("SELECT 99"); // runs and fails
    r.cmds("NOSUCHCOMMAND");
    let (f, _) = info(&mut r, "commandstats errorstats");
    let echo = &f["cmdstat_echo"];
    assert!(echo.starts_with("calls=3,usec="), "{echo}");
    assert!(echo.ends_with(",rejected_calls=0,failed_calls=0"), "{echo}");
    assert!(f["cmdstat_command|count"].starts_with("calls=1,"));
    let select = &f["cmdstat_select"];
    assert!(select.starts_with("calls=1,"), "{select}");
    assert!(
        select.ends_with(",rejected_calls=1,failed_calls=1"),
        "{select}"
    );
    assert_eq!(f["errorstat_ERR"], "count=3");
    assert!(!f.contains_key("cmdstat_time"));
    let (st, _) = info(&mut r, "stats");
    assert_eq!(num(&st, "total_error_replies"), 3);
}

#[test]
fn keyspace_reports_every_non_empty_database() {
    let s = Server::reddish(&[]);
    let mut r = s.raw();
    assert_eq!(info(&mut r, "keyspace").0.len(), 0);
    r.cmds("DEBUG POPULATE 7");
    r.cmds("SELECT 2");
    r.cmds("DEBUG POPULATE 3 other");
    let (f, _) = info(&mut r, "keyspace");
    assert_eq!(f["db0"], "keys=7,expires=0,avg_ttl=0");
    assert_eq!(f["db2"], "keys=3,expires=0,avg_ttl=0");
    assert_eq!(f.len(), 2);
}

#[test]
fn memory_and_cpu_are_measured() {
    let s = Server::reddish(&[]);
    let mut r = s.raw();
    let (a, _) = info(&mut r, "memory cpu");
    assert!(num(&a, "used_memory") > 0);
    assert!(num(&a, "used_memory_rss") > 0);
    assert!(num(&a, "used_memory_peak") >= num(&a, "used_memory"));
    assert!(num(&a, "total_system_memory") > 0);
    assert_eq!(num(&a, "maxmemory"), 0);
    assert_eq!(a["maxmemory_policy"], "noeviction");
    r.cmds("DEBUG POPULATE 20000 k 100");
    let (b, _) = info(&mut r, "memory cpu");
    // 20000 values of 100 bytes and their keys: at least 2 MB more in use.
    assert!(
        num(&b, "used_memory") - num(&a, "used_memory") > 2_000_000,
        "{} -> {}",
        a["used_memory"],
        b["used_memory"]
    );
    assert!(num(&b, "used_memory_peak") >= num(&b, "used_memory"));
    let cpu = |f: &HashMap<String, String>| -> f64 {
        f["used_cpu_user"].parse::<f64>().unwrap() + f["used_cpu_sys"].parse::<f64>().unwrap()
    };
    assert!(cpu(&b) > cpu(&a));
    assert!(b["used_cpu_user_main_thread"].parse::<f64>().unwrap() > 0.0);
}

#[test]
fn instantaneous_ops_follow_load() {
    let s = Server::reddish(&[]);
    let mut r = s.raw();
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(1200) {
        r.cmds("PING");
    }
    let (f, _) = info(&mut r, "stats");
    assert!(num(&f, "instantaneous_ops_per_sec") > 0);
}

#[test]
fn command_describes_our_own_table() {
    let s = Server::reddish(&[]);
    let mut r = s.raw();
    let count: usize = r.cmds("COMMAND COUNT")[1..].trim().parse().unwrap();
    let list = r.cmds("COMMAND LIST");
    let names: Vec<&str> = list
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('$') && !l.starts_with('*'))
        .collect();
    assert_eq!(names.iter().filter(|n| !n.contains('|')).count(), count);
    assert!(names.contains(&"command|getkeys"));
    assert!(names.contains(&"info"));
    let all = r.cmds("COMMAND");
    assert!(all.starts_with(&format!("*{count}\r\n")));
    let docs = r.cmds("COMMAND DOCS");
    assert!(docs.starts_with(&format!("*{}\r\n", 2 * count)));
    // The key spec reddish derives for a command Redis does not know is a
    // plain index/range; for known ones it is Redis's. Either way GETKEYS
    // finds nothing where there are no keys.
    assert_eq!(
        r.cmds("COMMAND GETKEYS echo x"),
        "-ERR The command has no key arguments\r\n"
    );
}

#[test]
fn debug_is_refused_unless_enabled() {
    let bin = env!("CARGO_BIN_EXE_reddish-server");
    let s = Server::start(bin, &["--enable-debug-command", "no"]);
    let mut r = s.raw();
    let refused = "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n";
    assert_eq!(r.cmds("DEBUG HELP"), refused);
    assert_eq!(r.cmds("DEBUG POPULATE 10"), refused);
    assert_eq!(r.cmds("DBSIZE"), ":0\r\n");
    // Arity is checked first, as Redis does.
    assert_eq!(
        r.cmds("DEBUG"),
        "-ERR wrong number of arguments for 'debug' command\r\n"
    );
    // `local` allows loopback clients, which we are.
    let s = Server::start(bin, &["--enable-debug-command", "local"]);
    let mut r = s.raw();
    assert_eq!(r.cmds("DEBUG POPULATE 2"), "+OK\r\n");
    assert_eq!(r.cmds("DBSIZE"), ":2\r\n");
}

#[test]
fn debug_object_sleep_and_populate() {
    let s = Server::reddish(&[]);
    let mut r = s.raw();
    r.cmds("DEBUG POPULATE 3");
    let obj = r.cmds("DEBUG OBJECT key:1");
    assert!(obj.starts_with("+Value at:0x"), "{obj}");
    assert!(
        obj.contains(" refcount:1 encoding:embstr serializedlength:8 lru:"),
        "{obj}"
    );
    assert!(obj.ends_with(" lru_seconds_idle:0\r\n"), "{obj}");
    // "value:0" and 93 zero bytes: LZF-compressed as Redis does, 19 bytes.
    r.cmds("DEBUG POPULATE 1 big 100");
    let obj = r.cmds("DEBUG OBJECT big:0");
    assert!(obj.contains(" encoding:raw serializedlength:19 "), "{obj}");
    // A count no machine could hold is refused up front.
    assert_eq!(
        r.cmds("DEBUG POPULATE 100000000000000"),
        "-ERR OOM in dictTryExpand\r\n"
    );
    let start = Instant::now();
    assert_eq!(r.cmds("DEBUG SLEEP 0.3"), "+OK\r\n");
    assert!(start.elapsed() >= Duration::from_millis(300));
    // The whole server sleeps, not only this client.
    let mut other = s.raw();
    r.send(&Raw::encode(&[b"DEBUG", b"SLEEP", b"0.3"]));
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    assert_eq!(other.cmds("PING"), "+PONG\r\n");
    assert!(start.elapsed() >= Duration::from_millis(150));
    assert_eq!(r.read_reply(), b"+OK\r\n");
}

#[test]
fn shutdown_closes_without_reply_and_exits_zero() {
    let mut s = Server::reddish(&[]);
    let mut r = s.raw();
    assert_eq!(
        r.cmds("SHUTDOWN SAVE"),
        "-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
    );
    assert!(s.alive());
    let mut other = s.raw();
    assert_eq!(other.cmds("PING"), "+PONG\r\n");
    r.send(&Raw::encode(&[b"SHUTDOWN"]));
    assert_eq!(r.try_read_reply(), None, "SHUTDOWN must not reply");
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!s.alive());
    assert_eq!(s.terminate(), Some(0));
    assert!(other.is_closed());
}

#[test]
fn shutdown_save_force_exits_zero() {
    let mut s = Server::reddish(&[]);
    let mut r = s.raw();
    r.send(&Raw::encode(&[b"SHUTDOWN", b"SAVE", b"FORCE"]));
    assert_eq!(r.try_read_reply(), None);
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(s.terminate(), Some(0));
}

/// INFO latencystats: one line per command called, the configured
/// percentiles in µs with three decimals as Redis's HDR histogram prints
/// them (a bucket's highest value: never a round number above 256 ns);
/// nothing while latency-tracking is off; CONFIG RESETSTAT clears them.
#[test]
fn latencystats_per_command() {
    let srv = common::Server::reddish(&[]);
    let mut c = srv.client();
    let _: () = redis::cmd("SET").arg("a").arg("b").query(&mut c).unwrap();
    let info: String = redis::cmd("INFO")
        .arg("latencystats")
        .query(&mut c)
        .unwrap();
    let line = info
        .lines()
        .find(|l| l.starts_with("latency_percentiles_usec_set:"))
        .unwrap_or_else(|| panic!("{info}"));
    let parts: Vec<&str> = line.split(':').nth(1).unwrap().split(',').collect();
    assert_eq!(parts.len(), 3, "{line}");
    for (p, want) in parts.iter().zip(["p50=", "p99=", "p99.9="]) {
        assert!(p.starts_with(want), "{line}");
        let v = &p[want.len()..];
        assert_eq!(v.split('.').nth(1).map(str::len), Some(3), "{line}");
    }
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("latency-tracking")
        .arg("no")
        .query(&mut c)
        .unwrap();
    let info: String = redis::cmd("INFO")
        .arg("latencystats")
        .query(&mut c)
        .unwrap();
    assert!(!info.contains("latency_percentiles"), "{info}");
    let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query(&mut c).unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("latency-tracking")
        .arg("yes")
        .query(&mut c)
        .unwrap();
    let info: String = redis::cmd("INFO")
        .arg("latencystats")
        .query(&mut c)
        .unwrap();
    assert!(!info.contains("usec_set:"), "{info}");
}

/// A reply as a tree, enough to reorder what Redis prints in hash order.
#[derive(Debug, PartialEq, Clone)]
enum Resp {
    Leaf(Vec<u8>),
    Array(Vec<Resp>),
}

fn parse_resp(b: &[u8], at: &mut usize) -> Resp {
    let end = *at + b[*at..].windows(2).position(|w| w == b"\r\n").unwrap();
    let line = b[*at..end].to_vec();
    *at = end + 2;
    match line[0] {
        b'*' => {
            let n: i64 = std::str::from_utf8(&line[1..]).unwrap().parse().unwrap();
            Resp::Array((0..n.max(0)).map(|_| parse_resp(b, at)).collect())
        }
        b'$' => {
            let n: i64 = std::str::from_utf8(&line[1..]).unwrap().parse().unwrap();
            if n < 0 {
                return Resp::Leaf(line);
            }
            let body = b[*at..*at + n as usize].to_vec();
            *at += n as usize + 2;
            Resp::Leaf(body)
        }
        _ => Resp::Leaf(line),
    }
}

/// COMMAND INFO of every command both servers define is Redis's, entry for
/// entry: flags, key positions, ACL categories, tips, key specs and each
/// subcommand. Only the order of subcommands is Redis's hash order (it
/// changes with every start), so subcommands are compared by name. CLIENT
/// differs by design: TRACKING and CACHING are not built, NO-TOUCH and
/// SETINFO (Redis 7.2) are.
#[test]
fn command_info_matches_redis_for_every_shared_command() {
    let ours = Server::reddish(&[]);
    let redis = Server::redis(&[]);
    let (mut o, mut r) = (ours.raw(), redis.raw());
    let list = o.cmds("COMMAND LIST");
    let names: Vec<&str> = list
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('$') && !l.starts_with('*'))
        .filter(|l| !l.contains('|'))
        .collect();
    let allowed_missing = ["client|caching", "client|tracking"];
    let allowed_extra = ["client|no-touch", "client|setinfo"];
    let mut compared = 0;
    let mut bad = Vec::new();
    for name in &names {
        let get = |raw: &mut Raw| {
            let b = raw.cmd(&[b"COMMAND", b"INFO", name.as_bytes()]);
            match parse_resp(&b, &mut 0) {
                Resp::Array(mut v) if v.len() == 1 => v.remove(0),
                other => panic!("{name}: {other:?}"),
            }
        };
        let (mine, theirs) = (get(&mut o), get(&mut r));
        let (Resp::Array(mine), Resp::Array(theirs)) = (mine, theirs) else {
            continue; // not a Redis 7.0 command
        };
        compared += 1;
        if mine[..9] != theirs[..9] {
            bad.push(format!(
                "{name}: {:?}\n  redis: {:?}",
                &mine[..9],
                &theirs[..9]
            ));
        }
        let subs = |v: &Resp| -> Vec<(Vec<u8>, Resp)> {
            let Resp::Array(list) = v else {
                return Vec::new();
            };
            let mut out: Vec<_> = list
                .iter()
                .map(|s| match s {
                    Resp::Array(f) => match &f[0] {
                        Resp::Leaf(n) => (n.clone(), s.clone()),
                        _ => panic!("{name}: subcommand without a name"),
                    },
                    _ => panic!("{name}: subcommand is not an array"),
                })
                .collect();
            out.sort_by(|a, b| a.0.cmp(&b.0));
            out
        };
        let (ms, ts) = (subs(&mine[9]), subs(&theirs[9]));
        for (n, t) in &ts {
            let n_s = String::from_utf8_lossy(n);
            match ms.iter().find(|(m, _)| m == n) {
                Some((_, m)) if m == t => {}
                Some((_, m)) => bad.push(format!("{n_s}: {m:?}\n  redis: {t:?}")),
                None if allowed_missing.contains(&n_s.as_ref()) => {}
                None => bad.push(format!("{n_s}: missing")),
            }
        }
        for (n, _) in &ms {
            let n_s = String::from_utf8_lossy(n);
            if !ts.iter().any(|(t, _)| t == n) && !allowed_extra.contains(&n_s.as_ref()) {
                bad.push(format!("{n_s}: not a Redis 7.0 subcommand"));
            }
        }
    }
    assert!(compared > 180, "compared only {compared}");
    assert!(
        bad.is_empty(),
        "{} differences:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
