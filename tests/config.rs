//! Configuration over a real process: config files with `include` and
//! quotes, `-` for stdin, fatal errors with Redis's report and exit code,
//! command-line overrides, CONFIG REWRITE round trips, run-time effects of
//! CONFIG SET. Where Redis can be asked too, the two are compared.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, Raw};

const BIN: &str = env!("CARGO_BIN_EXE_reddish-server");

/// A scratch directory for one test, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "reddish-config-{tag}-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&p).expect("mkdir");
        TempDir(p)
    }
    fn file(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).expect("write");
        p.display().to_string()
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running server started with exactly the arguments given. Its output
/// goes to a log file, shown if a connection to it is refused.
struct Proc {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Proc {
    /// A raw connection. A refusal panics with what tells its cause: whether
    /// the server process still runs, and the end of its log.
    fn raw(&self) -> Raw {
        if let Err(e) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
            let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
                .unwrap_or_else(|_| "(gone)".into());
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            panic!(
                "connect to port {}: {e}; server pid {} stat: {}; log tail (newest first):\n{}",
                self.port,
                self.child.id(),
                stat.trim(),
                tail.join("\n")
            );
        }
        Raw::connect(self.port)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // A test failing with this server alive tells how the server was
        // doing: still running or exited (and how), and what it logged.
        if std::thread::panicking() {
            let status = self.child.try_wait();
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!(
                "server pid {} on port {}: {:?} (None: still running); its log:\n{log}",
                self.child.id(),
                self.port,
                status
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Starts `bin` with `args` (which must set `--port {port}` or a file with
/// it) and waits until the port accepts connections.
fn spawn(bin: &str, args: &[&str], port: u16, stdin: Option<&str>) -> Proc {
    let log =
        std::env::temp_dir().join(format!("reddish-config-{}-{port}.log", std::process::id()));
    let out = std::fs::File::create(&log).expect("log file");
    let err = out.try_clone().expect("log file");
    let mut child = Command::new(bin)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("spawn");
    if let Some(text) = stdin {
        let mut s = child.stdin.take().expect("stdin");
        s.write_all(text.as_bytes()).expect("write stdin");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(st)) = child.try_wait() {
            let _ = child.wait();
            panic!("{bin} exited early: {st}");
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Proc { child, port, log };
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{bin} did not start");
}

/// Runs the binary to completion (for start-up failures).
fn run(bin: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        let mut s = child.stdin.take().expect("stdin");
        let _ = s.write_all(stdin.unwrap_or("").as_bytes());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{bin} {args:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// CONFIG GET of one name, as its value text.
fn get(r: &mut Raw, name: &str) -> String {
    let reply = r.cmd(&[b"CONFIG", b"GET", name.as_bytes()]);
    let text = String::from_utf8_lossy(&reply).into_owned();
    let parts: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(parts[0], "*2", "CONFIG GET {name}: {text}");
    parts[4].to_string()
}

fn set(r: &mut Raw, name: &str, value: &str) -> String {
    String::from_utf8_lossy(&r.cmd(&[b"CONFIG", b"SET", name.as_bytes(), value.as_bytes()]))
        .into_owned()
}

#[test]
fn config_file_with_include_quotes_and_units() {
    let dir = TempDir::new("file");
    let port = free_port();
    let inc = dir.file("inc.conf", "maxmemory 2mb\n# comment in include\n");
    let main = dir.file(
        "main.conf",
        &format!(
            "# a comment\n\n   port {port}   \nSAVE 900 1\nsave 300 10\ninclude {inc}\n\
             requirepass \"se cr\\x41t\"\nproc-title-template '{{title}} {{port}}'\n\
             maxmemory-clients 5%\nhz 1000\nslave-read-only no\nlist-max-ziplist-entries 5\n\
             notify-keyspace-events \"KEA\"\n"
        ),
    );
    let p = spawn(BIN, &[&main], port, None);
    let mut r = p.raw();
    assert_eq!(r.cmds("PING"), "-NOAUTH Authentication required.\r\n");
    let _ = r.cmd(&[b"AUTH", b"se crAt"]);
    assert_eq!(r.cmds("PING"), "+PONG\r\n");
    assert_eq!(get(&mut r, "save"), "900 1 300 10");
    assert_eq!(get(&mut r, "maxmemory"), "2097152");
    assert_eq!(get(&mut r, "requirepass"), "se crAt");
    assert_eq!(get(&mut r, "proc-title-template"), "{title} {port}");
    assert_eq!(get(&mut r, "maxmemory-clients"), "5%");
    assert_eq!(get(&mut r, "hz"), "500");
    assert_eq!(get(&mut r, "replica-read-only"), "no");
    assert_eq!(get(&mut r, "notify-keyspace-events"), "AKE");
    assert_eq!(get(&mut r, "port"), port.to_string());
}

#[test]
fn stdin_is_appended_after_the_file_and_options_after_stdin() {
    let dir = TempDir::new("stdin");
    let port = free_port();
    let main = dir.file("main.conf", "timeout 10\nmaxclients 50\n");
    let port_s = port.to_string();
    let p = spawn(
        BIN,
        &[&main, "--port", &port_s, "--maxclients", "70", "-"],
        port,
        Some("timeout 20\nmaxclients 60\n"),
    );
    let mut r = p.raw();
    assert_eq!(get(&mut r, "timeout"), "20");
    assert_eq!(get(&mut r, "maxclients"), "70");
}

#[test]
fn command_line_options_like_redis() {
    let port = free_port();
    let port_s = port.to_string();
    let p = spawn(
        BIN,
        &[
            "--port",
            &port_s,
            "--bind",
            "127.0.0.1",
            "-::1",
            "--save",
            "--hz",
            "33",
            "--requirepass",
            "--x",
        ],
        port,
        None,
    );
    let mut r = p.raw();
    let _ = r.cmd(&[b"AUTH", b"--x"]);
    assert_eq!(get(&mut r, "bind"), "127.0.0.1 -::1");
    assert_eq!(get(&mut r, "save"), "");
    assert_eq!(get(&mut r, "hz"), "33");
    assert_eq!(get(&mut r, "requirepass"), "--x");
}

/// The fatal report (stderr) and exit code for bad configurations, compared
/// with Redis's own.
#[test]
fn fatal_errors_match_redis() {
    let dir = TempDir::new("fatal");
    let cases = [
        "foo bar",
        "port",
        "port abc",
        "maxmemory 10x",
        "appendonly maybe",
        "save \"a",
        "loglevel nothing",
        "hz 1 2",
        "client-output-buffer-limit foo 1 2 3",
        "save 10",
        "unixsocketperm 999",
        "maxmemory-clients 200%",
        "rename-command FOO BAR",
        "x.y",
        "sentinel monitor a",
        "maxclients 0",
        "databases 0",
        "dbfilename a/b",
        "oom-score-adj-values 1 2",
        "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
    ];
    for (i, case) in cases.iter().enumerate() {
        let f = dir.file(&format!("bad{i}.conf"), &format!("# first\n{case}\n"));
        let ours = run(BIN, &[&f], None);
        let theirs = run("redis-server", &[&f], None);
        assert_eq!(ours.status.code(), Some(1), "{case}");
        assert_eq!(
            String::from_utf8_lossy(&ours.stderr),
            String::from_utf8_lossy(&theirs.stderr),
            "{case}"
        );
    }
    // An unknown directive from the command line: the options are lines
    // after the file, quoted.
    let ours = run(BIN, &["--port", "abc"], None);
    let theirs = run("redis-server", &["--port", "abc"], None);
    assert_eq!(ours.status.code(), Some(1));
    assert_eq!(ours.stderr, theirs.stderr);
    let expected = "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n\
                    Reading the configuration file, at line 2\n>>> 'port \"abc\"'\n\
                    argument couldn't be parsed into an integer\n";
    assert_eq!(String::from_utf8_lossy(&ours.stderr), expected);
    // Unbalanced quotes from stdin.
    let ours = run(BIN, &["-"], Some("port \"1"));
    assert_eq!(ours.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&ours.stderr)
        .ends_with(">>> 'port \"1'\nUnbalanced quotes in configuration line\n"));
    // A missing file is logged, exit 1.
    let ours = run(BIN, &["/nonexistent/reddish.conf"], None);
    assert_eq!(ours.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&ours.stdout).contains(
        "# Fatal error, can't open config file '/nonexistent/reddish.conf': No such file or directory"
    ));
}

#[test]
fn version_and_help() {
    let out = run(BIN, &["-v"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Redis server v=7.0.15 "));
    let out = run(BIN, &["--help"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("Usage: ./reddish-server"));
}

#[test]
fn rewrite_round_trip() {
    let dir = TempDir::new("rewrite");
    let port = free_port();
    let original = format!(
        "# top comment\nport {port}\nsave 900 1\nsave 300 10\nhz 10\n# another\nhz 20\n\n\n\
         maxmemory-policy allkeys-lru\nslave-read-only yes\nbogus-directive-line\n"
    );
    // The bogus line would stop start-up: add it after starting.
    let main = dir.file("r.conf", &original.replace("bogus-directive-line\n", ""));
    let p = spawn(BIN, &[&main], port, None);
    std::fs::write(&main, &original).expect("write");
    let mut r = p.raw();
    assert_eq!(set(&mut r, "timeout", "5"), "+OK\r\n");
    assert_eq!(set(&mut r, "maxmemory-policy", "noeviction"), "+OK\r\n");
    assert_eq!(set(&mut r, "maxmemory", "10mb"), "+OK\r\n");
    assert_eq!(
        set(&mut r, "client-output-buffer-limit", "pubsub 1mb 2 3"),
        "+OK\r\n"
    );
    assert_eq!(r.cmds("CONFIG REWRITE"), "+OK\r\n");
    let text = std::fs::read_to_string(&main).expect("read");
    let cwd = std::env::current_dir().expect("cwd").display().to_string();
    let expected = format!(
        "# top comment\nport {port}\nsave 900 1\nsave 300 10\nhz 20\n# another\n\n\
         maxmemory-policy noeviction\nreplica-read-only yes\n# ??? bogus-directive-line\n\n\
         # Generated by CONFIG REWRITE\n"
    );
    assert!(text.starts_with(&expected), "{text}");
    for line in [
        "timeout 5\n",
        "maxmemory 10mb\n",
        "client-output-buffer-limit pubsub 1mb 2 3\n",
        "latency-tracking-info-percentiles 50 99 99.9\n",
        &format!("dir \"{cwd}\"\n"),
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    drop(p);
    // The rewritten file starts a server with the same settings.
    std::fs::write(&main, text.replace("# ??? bogus-directive-line\n", "")).expect("write");
    let p = spawn(BIN, &[&main], port, None);
    let mut r = p.raw();
    assert_eq!(get(&mut r, "timeout"), "5");
    assert_eq!(get(&mut r, "maxmemory"), "10485760");
    assert_eq!(get(&mut r, "hz"), "20");
    assert_eq!(get(&mut r, "save"), "900 1 300 10");
    assert_eq!(
        get(&mut r, "client-output-buffer-limit"),
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 2 3"
    );
}

#[test]
fn rewrite_without_a_file() {
    let port = free_port();
    let port_s = port.to_string();
    let p = spawn(BIN, &["--port", &port_s], port, None);
    let mut r = p.raw();
    assert_eq!(
        r.cmds("CONFIG REWRITE"),
        "-ERR The server is running without a config file\r\n"
    );
}

#[test]
fn runtime_effects_of_config_set() {
    let dir = TempDir::new("runtime");
    let port = free_port();
    let port_s = port.to_string();
    let log = dir.path().join("log.txt").display().to_string();
    let p = spawn(
        BIN,
        &[
            "--port",
            &port_s,
            "--logfile",
            &log,
            "--loglevel",
            "warning",
        ],
        port,
        None,
    );
    let mut r = p.raw();
    // requirepass: new connections must authenticate, this one stays in.
    assert_eq!(set(&mut r, "requirepass", "pw"), "+OK\r\n");
    assert_eq!(r.cmds("PING"), "+PONG\r\n");
    let mut r2 = p.raw();
    assert_eq!(r2.cmds("PING"), "-NOAUTH Authentication required.\r\n");
    assert_eq!(r2.cmds("AUTH pw"), "+OK\r\n");
    assert_eq!(set(&mut r, "requirepass", ""), "+OK\r\n");
    let mut r3 = p.raw();
    assert_eq!(r3.cmds("PING"), "+PONG\r\n");
    // maxclients: one more connection is refused with Redis's error.
    assert_eq!(set(&mut r, "maxclients", "3"), "+OK\r\n");
    let mut r4 = p.raw();
    assert_eq!(
        String::from_utf8_lossy(&r4.read_reply()),
        "-ERR max number of clients reached\r\n"
    );
    assert_eq!(set(&mut r, "maxclients", "100"), "+OK\r\n");
    // proto-max-bulk-len: a larger bulk is a protocol error.
    assert_eq!(set(&mut r, "proto-max-bulk-len", "1mb"), "+OK\r\n");
    let mut r5 = p.raw();
    r5.send(b"*2\r\n$4\r\nECHO\r\n$2000000\r\n");
    assert_eq!(
        String::from_utf8_lossy(&r5.read_reply()),
        "-ERR Protocol error: invalid bulk length\r\n"
    );
    // loglevel: the log is in Redis's format and follows CONFIG SET. The
    // protocol error above was verbose-level, hidden at `warning`; the
    // next one is shown once the level is `verbose`.
    assert_eq!(set(&mut r, "loglevel", "verbose"), "+OK\r\n");
    let mut r6 = p.raw();
    r6.send(b"*2\r\n$4\r\nECHO\r\n$2000000\r\n");
    let _ = r6.read_reply();
    assert_eq!(set(&mut r, "loglevel", "notice"), "+OK\r\n");
    assert_eq!(
        r.cmds("CONFIG REWRITE"),
        "-ERR The server is running without a config file\r\n"
    );
    assert_eq!(set(&mut r, "port", &port_s), "+OK\r\n");
    let text = std::fs::read_to_string(&log).expect("log");
    let line = text
        .lines()
        .find(|l| l.contains("Redis is starting"))
        .expect("start line");
    let pid = p.child.id().to_string();
    assert!(line.starts_with(&format!("{pid}:C ")), "{line}");
    assert!(
        line.ends_with(" # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"),
        "{line}"
    );
    // `pid:M dd Mon yyyy hh:mm:ss.mmm # text`
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(fields[1].len(), 2);
    assert_eq!(fields[2].len(), 3);
    assert_eq!(fields[3].len(), 4);
    assert_eq!(fields[4].len(), 12);
    let proto: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("Protocol error"))
        .collect();
    assert_eq!(proto.len(), 1, "{text}");
    assert!(proto[0].starts_with(&format!("{pid}:M ")), "{text}");
    assert!(proto[0].contains(" - Protocol error"), "{text}");
    // "Ready to accept connections" is a notice: hidden at warning level.
    assert!(!text.contains("Ready to accept"), "{text}");
}

#[test]
fn config_get_everything_matches_redis() {
    let port = free_port();
    let port_s = port.to_string();
    let args = ["--port", &port_s, "--save", "", "--appendonly", "no"];
    let ours = spawn(BIN, &args, port, None);
    let mut r = ours.raw();
    let a = sorted_pairs(&r.cmd(&[b"CONFIG", b"GET", b"*"]));
    drop(r);
    drop(ours);
    let port2 = free_port();
    let port2_s = port2.to_string();
    let theirs = spawn(
        "redis-server",
        &["--port", &port2_s, "--save", "", "--appendonly", "no"],
        port2,
        None,
    );
    let mut r = theirs.raw();
    let b = sorted_pairs(&r.cmd(&[b"CONFIG", b"GET", b"*"]));
    let b: Vec<(String, String)> = b
        .into_iter()
        .map(|(k, v)| {
            if k == "port" {
                (k, port.to_string())
            } else {
                (k, v)
            }
        })
        .collect();
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
}

/// A flat CONFIG GET reply as sorted (name, value) pairs.
fn sorted_pairs(reply: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(reply).into_owned();
    let parts: Vec<&str> = text.split("\r\n").collect();
    let mut vals = Vec::new();
    let mut i = 1;
    while i + 1 < parts.len() {
        vals.push(parts[i + 1].to_string());
        i += 2;
    }
    let mut out: Vec<(String, String)> = vals
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect();
    out.sort();
    out
}

#[test]
fn protected_configs_local_and_pidfile() {
    let dir = TempDir::new("protected");
    let port = free_port();
    let port_s = port.to_string();
    let pidfile = dir.path().join("r.pid").display().to_string();
    let p = spawn(
        BIN,
        &[
            "--port",
            &port_s,
            "--enable-protected-configs",
            "local",
            "--pidfile",
            &pidfile,
            "--save",
            "900 1",
        ],
        port,
        None,
    );
    let text = std::fs::read_to_string(&pidfile).expect("pidfile");
    assert_eq!(text, format!("{}\n", p.child.id()));
    let mut r = p.raw();
    // A loopback client may change protected configs under `local`.
    let d = std::fs::canonicalize(dir.path()).expect("canon");
    let d = d.display().to_string();
    assert_eq!(set(&mut r, "dir", &d), "+OK\r\n");
    assert_eq!(get(&mut r, "dir"), d);
    assert_eq!(set(&mut r, "dbfilename", "x.rdb"), "+OK\r\n");
    assert_eq!(
        set(&mut r, "dir", "/nonexistent/dir"),
        "-ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory\r\n"
    );
    assert_eq!(get(&mut r, "dir"), d);
    // `--save "900 1"`: one argument split again, as Redis does.
    assert_eq!(get(&mut r, "save"), "900 1");
}

/// `--save ""` after `save` lines in the file empties the list, as Redis's
/// special case does; a proc-title template needs only to expand to
/// something, `{title}` or not (the Tcl suite starts servers that way).
#[test]
fn empty_save_resets_file_lines_and_free_proc_title_templates() {
    let dir = TempDir::new("save");
    for (extra, want) in [("", "900 1 300 10 60 5"), ("x", "")] {
        let port = free_port();
        let port_s = port.to_string();
        let main = dir.file(&format!("s{extra}.conf"), "save 900 1\nsave 300 10\n");
        let save = if extra.is_empty() { "60 5" } else { "" };
        let args = [main.as_str(), "--port", &port_s, "--save", save];
        let p = spawn(BIN, &args, port, None);
        let mut r = p.raw();
        assert_eq!(get(&mut r, "save"), want);
    }
    let port = free_port();
    let port_s = port.to_string();
    let args = [
        "--port",
        &port_s,
        "--proc-title-template",
        "--my--title--template",
    ];
    let p = spawn(BIN, &args, port, None);
    let mut r = p.raw();
    assert_eq!(get(&mut r, "proc-title-template"), "--my--title--template");
    assert_eq!(set(&mut r, "proc-title-template", "abc"), "+OK\r\n");
    assert!(set(&mut r, "proc-title-template", "{title}").starts_with("-ERR"));
}

/// CONFIG SET port / bind re-bind the listeners at once, as Redis's
/// changeListenPort / changeBindAddr: connected clients stay, new ones use
/// the new address; a port or address that cannot be bound is refused with
/// Redis's text and the previous listeners come back.
#[test]
fn config_set_port_and_bind_rebind_listeners() {
    let port = free_port();
    let port_s = port.to_string();
    let p = spawn(BIN, &["--port", &port_s, "--bind", "127.0.0.1"], port, None);
    let mut r = p.raw();
    let up = |port: u16| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();

    let new_port = free_port();
    assert_eq!(set(&mut r, "port", &new_port.to_string()), "+OK\r\n");
    assert!(!up(port), "old port still listening");
    assert_eq!(Raw::connect(new_port).cmds("PING"), "+PONG\r\n");
    assert!(r
        .cmds("INFO server")
        .contains(&format!("\r\ntcp_port:{new_port}\r\n")));

    // A port someone else holds: refused, and the current one still serves.
    let busy = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let busy_port = busy.local_addr().expect("addr").port().to_string();
    assert_eq!(
        set(&mut r, "port", &busy_port),
        "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n"
    );
    assert_eq!(
        r.cmds("CONFIG GET port"),
        format!(
            "*2\r\n$4\r\nport\r\n${}\r\n{new_port}\r\n",
            new_port.to_string().len()
        )
    );
    assert_eq!(Raw::connect(new_port).cmds("PING"), "+PONG\r\n");

    assert_eq!(
        set(&mut r, "bind", "999.999.999.999"),
        "-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.\r\n"
    );
    assert_eq!(Raw::connect(new_port).cmds("PING"), "+PONG\r\n");

    // No address at all: nobody new gets in, the connected client stays.
    assert_eq!(set(&mut r, "bind", ""), "+OK\r\n");
    assert!(!up(new_port));
    assert_eq!(r.cmds("PING"), "+PONG\r\n");
    // Overlapping the old address on the same port works: old ones close first.
    assert_eq!(set(&mut r, "bind", "127.0.0.1"), "+OK\r\n");
    assert_eq!(set(&mut r, "bind", "* -::*"), "+OK\r\n");
    assert_eq!(Raw::connect(new_port).cmds("PING"), "+PONG\r\n");
}

/// oom-score-adj acts on /proc/self/oom_score_adj as Redis's
/// setOOMScoreAdj: relative values add to the score found when reddish
/// first took control, absolute ones replace it, and turning the setting
/// off puts that score back (the suite's "CONFIG SET oom score restored on
/// disable" and "relative and absolute").
#[test]
fn oom_score_adj_follows_config_set() {
    if !Path::new("/proc/self/oom_score_adj").exists() {
        return;
    }
    let port = free_port();
    let port_s = port.to_string();
    let p = spawn(BIN, &["--port", &port_s], port, None);
    let file = format!("/proc/{}/oom_score_adj", p.child.id());
    let score = || -> i32 {
        std::fs::read_to_string(&file)
            .expect("read")
            .trim()
            .parse()
            .expect("number")
    };
    let mut r = Raw::connect(port);
    std::fs::write(&file, "22\n").expect("raise our own child's score");
    assert_eq!(
        String::from_utf8_lossy(&r.cmd(&[
            b"CONFIG",
            b"SET",
            b"oom-score-adj-values",
            b"9 9 9",
            b"oom-score-adj",
            b"yes"
        ])),
        "+OK\r\n"
    );
    assert_eq!(score(), 31);
    assert_eq!(set(&mut r, "oom-score-adj-values", "15 20 30"), "+OK\r\n");
    assert_eq!(score(), 37);
    assert_eq!(set(&mut r, "oom-score-adj", "absolute"), "+OK\r\n");
    assert_eq!(score(), 15);
    assert_eq!(set(&mut r, "oom-score-adj", "no"), "+OK\r\n");
    assert_eq!(score(), 22);
    // Off: the values change nothing.
    assert_eq!(set(&mut r, "oom-score-adj-values", "1 1 1"), "+OK\r\n");
    assert_eq!(score(), 22);
}

/// `rename-command` takes effect (it was only kept for CONFIG REWRITE): the
/// old name is unknown, the new one runs the command under its own name in
/// INFO commandstats, an empty name removes it; the result matches Redis
/// 7.0 reply for reply.
#[test]
fn rename_command_renames_and_removes() {
    let mut replies = Vec::new();
    for bin in [BIN, "redis-server"] {
        let port = free_port();
        let port_s = port.to_string();
        let p = spawn(
            bin,
            &[
                "--port",
                &port_s,
                "--save",
                "",
                "--rename-command",
                "flushdb",
                "badger",
                "--rename-command",
                "keys",
                "",
            ],
            port,
            None,
        );
        let mut r = p.raw();
        let mut got = Vec::new();
        for c in ["FLUSHDB", "BADGER", "KEYS *", "COMMAND INFO badger"] {
            got.push(r.cmds(c));
        }
        // Listed under its own name; a removed command not at all (and
        // COMMAND's array length agrees with what follows).
        let list = r.cmds("COMMAND LIST");
        got.push(format!(
            "flushdb listed: {}, keys listed: {}",
            list.contains("\r\nflushdb\r\n"),
            list.contains("\r\nkeys\r\n")
        ));
        let all = r.cmd(&[b"COMMAND"]);
        let count = r.cmds("COMMAND COUNT");
        got.push(format!(
            "COMMAND header matches COUNT: {}",
            all.starts_with(format!("*{}\r\n", &count[1..count.len() - 2]).as_bytes())
        ));
        assert_eq!(
            r.cmds("PING"),
            "+PONG\r\n",
            "COMMAND's reply was longer than announced"
        );
        let stats = r.cmds("INFO commandstats");
        got.push(
            stats
                .lines()
                .find(|l| l.starts_with("cmdstat_flushdb:calls=1,"))
                .map(|_| "flushdb counted".to_string())
                .unwrap_or(stats),
        );
        replies.push(got);
    }
    assert_eq!(
        replies[0][0],
        "-ERR unknown command 'FLUSHDB', with args beginning with: \r\n"
    );
    assert_eq!(replies[0][1], "+OK\r\n");
    assert_eq!(replies[0], replies[1]);
}
