//! `reddish-server`: the command line of `redis-server`.
//!
//! `reddish-server [config-file] [--name value ...]`, `-v`, `-h`; the rest is
//! in `reddish::config` and `reddish::server`.

use std::io::Write;

use reddish::config::Config;

fn usage() -> ! {
    eprintln!(
        "Usage: ./reddish-server [/path/to/redis.conf] [options] [-]\n       ./reddish-server - (read config from stdin)\n       ./reddish-server -v or --version\n       ./reddish-server -h or --help\n\nExamples:\n       ./reddish-server (run the server with default conf)\n       ./reddish-server /etc/redis/6379.conf\n       ./reddish-server --port 7777\n       ./reddish-server /etc/myredis.conf --loglevel verbose -\n       ./reddish-server /etc/myredis.conf --loglevel verbose"
    );
    std::process::exit(1);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(first) = args.first() {
        match first.as_str() {
            "-v" | "--version" => {
                println!(
                    "Redis server v={} sha=00000000:0 malloc=libc bits=64 build=reddish-{}",
                    reddish::commands::connection::REDIS_VERSION,
                    env!("CARGO_PKG_VERSION")
                );
                return;
            }
            "-h" | "--help" => usage(),
            _ => {}
        }
    }
    let config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n{e}");
            std::process::exit(1);
        }
    };
    init_logging(&config);
    match reddish::server::event_loop::run(config) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            log::error!("{e}");
            std::process::exit(1);
        }
    }
}

/// Redis's log line: `pid:M dd Mon yyyy hh:mm:ss.mmm <level> message`.
fn init_logging(cfg: &Config) {
    let level = match cfg.loglevel.as_str() {
        "debug" => log::LevelFilter::Debug,
        "verbose" => log::LevelFilter::Debug,
        "warning" => log::LevelFilter::Warn,
        "nothing" => log::LevelFilter::Off,
        _ => log::LevelFilter::Info,
    };
    let mut b = env_logger::Builder::new();
    b.filter_level(level);
    b.format(|buf, rec| {
        let mark = match rec.level() {
            log::Level::Error | log::Level::Warn => '#',
            log::Level::Info => '*',
            _ => '-',
        };
        writeln!(
            buf,
            "{}:M {} {} {}",
            std::process::id(),
            buf.timestamp_millis(),
            mark,
            rec.args()
        )
    });
    if !cfg.logfile.is_empty() {
        if let Ok(f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&cfg.logfile)
        {
            b.target(env_logger::Target::Pipe(Box::new(f)));
        }
    }
    let _ = b.try_init();
}
