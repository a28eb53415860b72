//! Server configuration (Redis's `config.c`).
//!
//! Holds every setting the server reads at run time. This is the minimal
//! skeleton: defaults and `--name value` overrides; the full redis.conf
//! parser, CONFIG GET/SET/REWRITE live here too once written.

/// `enable-debug-command` and friends: `no`, `yes`, or `local` (loopback and
/// unix-socket clients only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protected {
    No,
    Yes,
    Local,
}

/// Limits of one client class (`client-output-buffer-limit <class> hard soft secs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub port: u16,
    pub bind: Vec<String>,
    /// True when the user set `bind` (protected mode cares).
    pub bind_explicit: bool,
    pub tcp_backlog: i32,
    pub tcp_keepalive: u64,
    pub unixsocket: Option<String>,
    pub unixsocketperm: u32,
    pub maxclients: usize,
    /// Idle seconds before a client is closed; 0 = never.
    pub timeout: u64,
    pub protected_mode: bool,
    pub requirepass: Option<Vec<u8>>,
    pub databases: usize,
    pub hz: u32,
    pub loglevel: String,
    pub logfile: String,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: u64,
    pub obuf_normal: OutputLimit,
    pub obuf_replica: OutputLimit,
    pub obuf_pubsub: OutputLimit,
    pub enable_debug_command: Protected,
    pub enable_protected_configs: Protected,
    pub active_expire_effort: u32,
    pub dynamic_hz: bool,
    /// The config file we were started with, for CONFIG REWRITE and INFO.
    pub config_file: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["127.0.0.1".into(), "-::1".into()],
            bind_explicit: false,
            tcp_backlog: 511,
            tcp_keepalive: 300,
            unixsocket: None,
            unixsocketperm: 0,
            maxclients: 10000,
            timeout: 0,
            protected_mode: true,
            requirepass: None,
            databases: 16,
            hz: 10,
            loglevel: "notice".into(),
            logfile: String::new(),
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            obuf_normal: OutputLimit {
                hard: 0,
                soft: 0,
                soft_seconds: 0,
            },
            obuf_replica: OutputLimit {
                hard: 256 << 20,
                soft: 64 << 20,
                soft_seconds: 60,
            },
            obuf_pubsub: OutputLimit {
                hard: 32 << 20,
                soft: 8 << 20,
                soft_seconds: 60,
            },
            enable_debug_command: Protected::No,
            enable_protected_configs: Protected::No,
            active_expire_effort: 1,
            dynamic_hz: true,
            config_file: None,
        }
    }
}

impl Config {
    /// Builds the configuration from the command line as redis-server reads
    /// it: `[config-file] [--name value ...]`.
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let mut cfg = Config::default();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            if let Some(name) = a.strip_prefix("--") {
                let mut vals = Vec::new();
                i += 1;
                while i < args.len() && !args[i].starts_with("--") {
                    vals.push(args[i].clone());
                    i += 1;
                }
                cfg.apply(name, &vals)?;
            } else {
                return Err(format!("config files are not read yet: {a}"));
            }
        }
        Ok(cfg)
    }

    fn apply(&mut self, name: &str, vals: &[String]) -> Result<(), String> {
        let one = || {
            vals.first()
                .cloned()
                .ok_or_else(|| format!("wrong number of arguments for {name}"))
        };
        let yes = |v: String| match v.as_str() {
            "yes" => Ok(true),
            "no" => Ok(false),
            _ => Err("argument must be 'yes' or 'no'".to_string()),
        };
        let num = |v: String| {
            v.parse::<u64>()
                .map_err(|_| "argument couldn't be parsed into an integer".to_string())
        };
        match name.to_ascii_lowercase().as_str() {
            "port" => self.port = num(one()?)? as u16,
            "bind" => {
                self.bind = vals.to_vec();
                self.bind_explicit = true;
            }
            "timeout" => self.timeout = num(one()?)?,
            "protected-mode" => self.protected_mode = yes(one()?)?,
            "requirepass" => {
                let v = one()?;
                self.requirepass = if v.is_empty() {
                    None
                } else {
                    Some(v.into_bytes())
                }
            }
            "databases" => self.databases = num(one()?)? as usize,
            "hz" => self.hz = num(one()?)? as u32,
            "unixsocket" => self.unixsocket = Some(one()?),
            "maxclients" => self.maxclients = num(one()?)? as usize,
            "loglevel" => self.loglevel = one()?,
            "logfile" => self.logfile = one()?,
            "enable-debug-command" => {
                self.enable_debug_command = match one()?.as_str() {
                    "yes" => Protected::Yes,
                    "local" => Protected::Local,
                    _ => Protected::No,
                }
            }
            // Persistence settings are accepted so scripts can pass the
            // same flags to both servers.
            "save" | "appendonly" | "daemonize" => {}
            _ => {
                return Err(format!(
                    "Bad directive or wrong number of arguments: {name}"
                ))
            }
        }
        Ok(())
    }
}
