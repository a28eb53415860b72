//! The server log (Redis's `serverLog` in `server.c`).
//!
//! Redis writes one line per event: `pid:role dd Mon yyyy hh:mm:ss.mmm L
//! message`, where the role is `C` while the configuration is read and `M`
//! once the server runs as a master, and `L` shows the level: `.` debug,
//! `-` verbose, `*` notice, `#` warning. `loglevel` hides the lower levels
//! and can change at run time (CONFIG SET); `logfile` sends the lines to a
//! file instead of standard output.
//!
//! We log through the `log` crate, with `env_logger` as the writer and our
//! own format. Redis's four levels map onto `log`'s: debug → `trace!`,
//! verbose → `debug!`, notice → `info!`, warning → `warn!` (and `error!`).
//! The writer is built to let everything through and the level is enforced
//! with `log::set_max_level`, which is one atomic store: that is what lets
//! CONFIG SET loglevel take effect without rebuilding the logger.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

/// `C` until the server is initialised, then `M`.
static ROLE: AtomicU8 = AtomicU8::new(b'C');

/// Switches the role letter to `M` (the server now runs as a master).
pub fn set_role_master() {
    ROLE.store(b'M', Ordering::Relaxed);
}

/// The `log` filter for a Redis `loglevel` name.
pub fn level_filter(loglevel: &str) -> log::LevelFilter {
    match loglevel {
        "debug" => log::LevelFilter::Trace,
        "verbose" => log::LevelFilter::Debug,
        "warning" => log::LevelFilter::Warn,
        "nothing" => log::LevelFilter::Off,
        _ => log::LevelFilter::Info,
    }
}

/// Applies `loglevel` now (start-up and CONFIG SET).
pub fn set_level(loglevel: &str) {
    log::set_max_level(level_filter(loglevel));
}

/// Redis's level mark.
fn mark(level: log::Level) -> char {
    match level {
        log::Level::Error | log::Level::Warn => '#',
        log::Level::Info => '*',
        log::Level::Debug => '-',
        log::Level::Trace => '.',
    }
}

/// `27 Nov 2026 00:06:02.619` in local time, as Redis's `strftime("%d %b
/// %Y %H:%M:%S.")` plus milliseconds.
pub fn timestamp() -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    let ms = now.subsec_millis();
    // SAFETY: localtime_r writes into the zeroed struct we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::localtime_r(&secs, &mut tm) };
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        MONTHS[(tm.tm_mon.clamp(0, 11)) as usize],
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        ms
    )
}

/// One log line without the newline (for messages printed before the
/// logger exists, such as a missing config file).
pub fn line(level: log::Level, msg: &str) -> String {
    format!(
        "{}:{} {} {} {}",
        std::process::id(),
        ROLE.load(Ordering::Relaxed) as char,
        timestamp(),
        mark(level),
        msg
    )
}

/// Installs the logger: `logfile` ("" = standard output) and `loglevel`.
pub fn init(loglevel: &str, logfile: &str) {
    let mut b = env_logger::Builder::new();
    b.filter_level(log::LevelFilter::Trace);
    b.format(|buf, rec| writeln!(buf, "{}", line(rec.level(), &rec.args().to_string())));
    b.target(env_logger::Target::Stdout);
    if !logfile.is_empty() {
        if let Ok(f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logfile)
        {
            b.target(env_logger::Target::Pipe(Box::new(f)));
        }
    }
    let _ = b.try_init();
    set_level(loglevel);
}
