//! Listening sockets (Redis's `listenToPort` and `anetTcpServer`).
//!
//! Sockets are built with socket2 so we control what std hides: SO_REUSEADDR
//! (a restarted server can bind while old connections sit in TIME_WAIT), the
//! listen backlog (`tcp-backlog`), IPV6_V6ONLY so `0.0.0.0` and `::` can both
//! be bound, and non-blocking mode for the poller. `bind` takes several
//! addresses; one prefixed with `-` is optional (skipped when the address is
//! not available on this machine, as Redis's default `-::1` is on hosts
//! without IPv6).

use std::io;
use std::net::{IpAddr, SocketAddr};

use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};

use crate::config::Config;

pub enum Listener {
    Tcp(mio::net::TcpListener),
    Unix(mio::net::UnixListener),
}

/// Binds every address of `bind` on `port` (none when port is 0) and the
/// unix socket if configured.
pub fn bind_all(cfg: &Config) -> io::Result<Vec<Listener>> {
    let mut out = bind_tcp(cfg)?;
    if let Some(path) = &cfg.unixsocket {
        let _ = std::fs::remove_file(path);
        let l = mio::net::UnixListener::bind(path)?;
        if cfg.unixsocketperm != 0 {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(cfg.unixsocketperm))?;
        }
        out.push(Listener::Unix(l));
    }
    Ok(out)
}

/// The poller token of the listener at `i` in the server's list; client
/// tokens are slab indexes and stay far below.
pub fn token(i: usize) -> mio::Token {
    mio::Token(LISTENER_BASE - i)
}

/// Listener tokens count down from here.
pub const LISTENER_BASE: usize = usize::MAX - 1;

/// CONFIG SET port / bind (Redis's `changeListenPort` / `changeBindAddr`):
/// closes every TCP listener first (the new addresses may overlap the old
/// ones on the same port), then binds the configured ones. On failure no
/// TCP listener is left; the caller restores the previous settings and
/// calls this again, as Redis re-applies its backup config. The unix socket
/// is kept as it is (`unixsocket` cannot change at run time).
pub fn relisten_tcp(
    listeners: &mut Vec<Listener>,
    registry: &mio::Registry,
    cfg: &Config,
) -> io::Result<()> {
    for l in listeners.iter_mut() {
        let _ = match l {
            Listener::Tcp(l) => registry.deregister(l),
            Listener::Unix(l) => registry.deregister(l),
        };
    }
    listeners.retain(|l| matches!(l, Listener::Unix(_)));
    let (mut all, res) = match bind_tcp(cfg) {
        Ok(tcp) => (tcp, Ok(())),
        Err(e) => (Vec::new(), Err(e)),
    };
    all.append(listeners);
    *listeners = all;
    for (i, l) in listeners.iter_mut().enumerate() {
        match l {
            Listener::Tcp(l) => registry.register(l, token(i), mio::Interest::READABLE)?,
            Listener::Unix(l) => registry.register(l, token(i), mio::Interest::READABLE)?,
        }
    }
    res
}

/// The TCP listeners alone: every address of `bind` on `port`.
fn bind_tcp(cfg: &Config) -> io::Result<Vec<Listener>> {
    let mut out = Vec::new();
    if cfg.port != 0 {
        for addr in &cfg.bind {
            let (optional, addr) = match addr.strip_prefix('-') {
                Some(a) => (true, a),
                None => (false, addr.as_str()),
            };
            let ip: IpAddr = match addr {
                "*" => "0.0.0.0".parse().map_err(io::Error::other)?,
                "::*" => "::".parse().map_err(io::Error::other)?,
                a => match a.parse() {
                    Ok(ip) => ip,
                    Err(_) => {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidInput,
                            format!("Invalid bind address '{a}'"),
                        ));
                    }
                },
            };
            match tcp_listener(SocketAddr::new(ip, cfg.port), cfg.tcp_backlog) {
                Ok(l) => out.push(Listener::Tcp(l)),
                Err(e)
                    if optional
                        && (e.kind() == io::ErrorKind::AddrNotAvailable
                            || e.raw_os_error() == Some(libc::EAFNOSUPPORT)
                            || e.raw_os_error() == Some(libc::EPROTONOSUPPORT)) =>
                {
                    log::debug!("Skipping optional bind address {addr}: {e}");
                }
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!(
                            "Could not create server TCP listening socket {addr}:{}: {e}",
                            cfg.port
                        ),
                    ));
                }
            }
        }
    }
    Ok(out)
}

fn tcp_listener(addr: SocketAddr, backlog: i32) -> io::Result<mio::net::TcpListener> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    sock.set_reuse_address(true)?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.bind(&addr.into())?;
    sock.listen(backlog)?;
    sock.set_nonblocking(true)?;
    Ok(mio::net::TcpListener::from_std(sock.into()))
}

/// Socket options for an accepted TCP connection: no Nagle delay (replies
/// are whole and should leave at once) and keepalive probes so dead peers
/// are noticed (`tcp-keepalive`, probes every third of it, as Redis).
pub fn tune_accepted(stream: &mio::net::TcpStream, keepalive_secs: u64) {
    let _ = stream.set_nodelay(true);
    if keepalive_secs > 0 {
        let d = std::time::Duration::from_secs(keepalive_secs);
        let ka = TcpKeepalive::new()
            .with_time(d)
            .with_interval(std::time::Duration::from_secs((keepalive_secs / 3).max(1)))
            .with_retries(3);
        let _ = SockRef::from(stream).set_tcp_keepalive(&ka);
    }
}
