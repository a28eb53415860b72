//! `reddish-server`: the command line of `redis-server`.
//!
//! `reddish-server [config-file] [--name value ...] [-]`, `-v`/`--version`,
//! `-h`/`--help`. Reading and checking the configuration is in
//! `reddish::config`, the log in `reddish::logging`, the server in
//! `reddish::server`. A bad configuration stops here with Redis's report
//! on stderr and exit code 1, before anything listens.

use reddish::config::{Config, LoadError, TABLE};

/// Every allocation is counted: `used_memory` and eviction read the count.
#[global_allocator]
static ALLOC: reddish::server::memory::Counting = reddish::server::memory::Counting;

fn usage() -> ! {
    eprintln!(
        "Usage: ./reddish-server [/path/to/redis.conf] [options] [-]\n       ./reddish-server - (read config from stdin)\n       ./reddish-server -v or --version\n       ./reddish-server -h or --help\n\nExamples:\n       ./reddish-server (run the server with default conf)\n       echo 'maxmemory 128mb' | ./reddish-server -\n       ./reddish-server /etc/redis/6379.conf\n       ./reddish-server --port 7777\n       ./reddish-server /etc/myredis.conf --loglevel verbose -\n       ./reddish-server /etc/myredis.conf --loglevel verbose"
    );
    std::process::exit(1);
}

fn main() {
    reddish::server::memory::tune_allocator();
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
        Err(e @ LoadError::Fatal { .. }) => {
            eprint!("{}", e.report());
            std::process::exit(1);
        }
        Err(e @ LoadError::Open { .. }) => {
            println!("{}", reddish::logging::line(log::Level::Warn, &e.report()));
            std::process::exit(1);
        }
    };
    reddish::logging::init(&config.loglevel, &config.logfile);
    log::warn!("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    log::warn!(
        "Redis version={}, bits=64, commit=00000000, modified=0, pid={}, just started",
        reddish::commands::connection::REDIS_VERSION,
        std::process::id()
    );
    if config.config_file.is_none() {
        log::warn!(
            "Warning: no config file specified, using the default config. In order to specify a config file use reddish-server /path/to/redis.conf"
        );
    } else {
        log::warn!("Configuration loaded");
    }
    if !config.not_implemented.is_empty() {
        log::warn!(
            "Accepted but not implemented by reddish (stored for CONFIG GET only): {}",
            config.not_implemented.join(", ")
        );
    }
    log::debug!("{} settings known", TABLE.len());
    reddish::logging::set_role_master();
    // Redis's createPidFile: best effort, a failure is only logged.
    let pidfile = config.pidfile.clone();
    if let Some(p) = &pidfile {
        if let Err(e) = std::fs::write(p, format!("{}\n", std::process::id())) {
            log::warn!(
                "Failed to write PID file: {}",
                reddish::config::strerror(&e)
            );
        }
    }
    let code = match reddish::server::event_loop::run(config) {
        Ok(code) => code,
        Err(e) => {
            log::error!("{e}");
            1
        }
    };
    if let Some(p) = &pidfile {
        let _ = std::fs::remove_file(p);
    }
    std::process::exit(code);
}
