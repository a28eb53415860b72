//! Shared test harness: start a real server on a free port, talk to it.
//!
//! `Server::reddish(&[...])` starts the binary under test with extra
//! `--name value` flags; `Server::redis(&[...])` starts Debian's
//! `redis-server` 7.0 the same way, for differential tests. Both are killed
//! when dropped. `Raw` speaks bytes and reads exactly one RESP reply back,
//! returning its raw bytes, so tests can assert framing byte for byte.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    // Ports below the kernel's ephemeral range (32768+), handed out from a
    // per-process counter: a port the kernel gives to `bind(0)` or to an
    // outgoing connection can never be one we are about to start a server
    // on, and two tests of one binary never pick the same one. The offset
    // by pid keeps test binaries run side by side apart.
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let base = (std::process::id() % 97) * 120;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 20000 + ((base + n) % 12000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    /// Starts reddish-server with `--port <free> --enable-debug-command yes` and `extra`.
    pub fn reddish(extra: &[&str]) -> Server {
        Self::start(env!("CARGO_BIN_EXE_reddish-server"), extra)
    }

    /// Starts Debian's redis-server with persistence off, for comparisons.
    pub fn redis(extra: &[&str]) -> Server {
        let mut args = vec!["--save", "", "--appendonly", "no"];
        args.extend_from_slice(extra);
        Self::start("redis-server", &args)
    }

    pub fn start(bin: &str, extra: &[&str]) -> Server {
        for _attempt in 0..5 {
            let port = free_port();
            let port_s = port.to_string();
            let mut args: Vec<&str> = vec!["--port", &port_s, "--enable-debug-command", "yes"];
            args.extend_from_slice(extra);
            let child = Command::new(bin)
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
            let mut s = Server { child, port };
            if s.wait_ready() {
                return s;
            }
        }
        panic!("{bin} did not start");
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                if s.write_all(b"PING\r\n").is_ok() {
                    // A server started with --requirepass answers NOAUTH: ready too.
                    let mut line = String::new();
                    if BufReader::new(&s).read_line(&mut line).is_ok()
                        && (line == "+PONG\r\n" || line.starts_with("-NOAUTH"))
                    {
                        return true;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A client through the `redis` crate.
    pub fn client(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .expect("client")
            .get_connection()
            .expect("connect")
    }

    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    /// True while the process is alive.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends SIGTERM and waits; returns the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        unsafe_kill(self.child.id(), 15);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

fn unsafe_kill(pid: u32, sig: i32) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw connection: send bytes, read whole RESP replies as bytes.
pub struct Raw {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        s.set_nodelay(true).expect("nodelay");
        Raw {
            r: BufReader::new(s.try_clone().expect("clone")),
            w: s,
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.w.write_all(bytes).expect("write");
    }

    /// Encodes `args` as a multibulk request.
    pub fn encode(args: &[&[u8]]) -> Vec<u8> {
        let mut v = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            v.extend_from_slice(a);
            v.extend_from_slice(b"\r\n");
        }
        v
    }

    /// Sends one command and returns its reply's raw bytes.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send(&Self::encode(args));
        self.read_reply()
    }

    /// Like `cmd`, from a string split on spaces.
    pub fn cmds(&mut self, line: &str) -> String {
        let parts: Vec<&[u8]> = line.split_whitespace().map(|s| s.as_bytes()).collect();
        String::from_utf8_lossy(&self.cmd(&parts)).into_owned()
    }

    /// Reads one complete reply (any RESP2/RESP3 type, nested) as raw bytes.
    pub fn read_reply(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.read_into(&mut out).expect("read reply");
        out
    }

    /// Reads one reply, or None if the connection was closed first.
    pub fn try_read_reply(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        self.read_into(&mut out).ok().map(|_| out)
    }

    fn read_into(&mut self, out: &mut Vec<u8>) -> std::io::Result<()> {
        let start = out.len();
        let n = self.r.read_until(b'\n', out)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let line = out[start..].to_vec();
        let body = std::str::from_utf8(&line[1..line.len().saturating_sub(2)]).unwrap_or("");
        match line[0] {
            b'$' | b'=' | b'!' => {
                let len: i64 = body.parse().unwrap_or(-1);
                if len >= 0 {
                    let mut b = vec![0u8; len as usize + 2];
                    self.r.read_exact(&mut b)?;
                    out.extend_from_slice(&b);
                }
            }
            b'*' | b'~' | b'>' => {
                let len: i64 = body.parse().unwrap_or(-1);
                for _ in 0..len.max(0) {
                    self.read_into(out)?;
                }
            }
            b'%' | b'|' => {
                let len: i64 = body.parse().unwrap_or(-1);
                for _ in 0..len.max(0) * 2 {
                    self.read_into(out)?;
                }
                if line[0] == b'|' {
                    // An attribute precedes the real reply.
                    self.read_into(out)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// True if the server closed the connection (read returns EOF).
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.r.read(&mut b), Ok(0) | Err(_))
    }
}
