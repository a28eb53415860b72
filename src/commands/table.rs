//! The command table (Redis's `commands.def`, generated there from
//! `src/commands/*.json`; declared here as static data).
//!
//! Each family file exports `COMMANDS: &[CommandDef]`; this module gathers
//! them into one lookup table at start-up. A definition carries what Redis's
//! does: the name, the arity with Redis's sign convention (`3` means exactly
//! three arguments counting the name, `-3` at least three), the flags that
//! drive checks (write, denyoom, noauth...) and COMMAND's output, the key
//! positions, the ACL categories, and subcommands for container commands
//! such as CONFIG and CLIENT.

use std::collections::HashMap;

use super::{CmdResult, Ctx};
use crate::server::stats::CommandStat;

pub type Handler = fn(&mut Ctx) -> CmdResult;

/// Command flags, with the names COMMAND INFO prints.
pub mod flags {
    pub const WRITE: u64 = 1 << 0;
    pub const READONLY: u64 = 1 << 1;
    pub const DENYOOM: u64 = 1 << 2;
    pub const ADMIN: u64 = 1 << 3;
    pub const PUBSUB: u64 = 1 << 4;
    pub const NOSCRIPT: u64 = 1 << 5;
    pub const BLOCKING: u64 = 1 << 6;
    pub const LOADING: u64 = 1 << 7;
    pub const STALE: u64 = 1 << 8;
    pub const SKIP_MONITOR: u64 = 1 << 9;
    pub const SKIP_SLOWLOG: u64 = 1 << 10;
    pub const FAST: u64 = 1 << 11;
    pub const NO_AUTH: u64 = 1 << 12;
    pub const MAY_REPLICATE: u64 = 1 << 13;
    pub const NO_MANDATORY_KEYS: u64 = 1 << 14;
    pub const NO_ASYNC_LOADING: u64 = 1 << 15;
    pub const NO_MULTI: u64 = 1 << 16;
    pub const MOVABLE_KEYS: u64 = 1 << 17;
    pub const ALLOW_BUSY: u64 = 1 << 18;
    pub const PROTECTED: u64 = 1 << 19;

    /// Names in the order Redis 7.0 prints them in COMMAND INFO.
    pub const NAMES: &[(u64, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        // may_replicate is hidden on purpose, as in Redis 7.0's
        // addReplyCommandFlags: it steers CLIENT PAUSE WRITE, not clients.
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// One command (or subcommand) definition.
pub struct CommandDef {
    /// Lower-case name; for a subcommand, the subcommand's own name.
    pub name: &'static str,
    pub arity: i32,
    pub flags: u64,
    /// ACL categories, space separated, without '@' (COMMAND INFO adds it).
    pub acl: &'static str,
    /// First key, last key (-1: up to the last argument), step; 0,0,0 = no keys.
    pub keys: (i32, i32, i32),
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    pub handler: Handler,
    pub subcommands: &'static [CommandDef],
}

impl CommandDef {
    /// A definition with no keys and no subcommands; refine with the
    /// builder methods below (all `const`, so tables stay static data).
    pub const fn new(name: &'static str, arity: i32, flags: u64, handler: Handler) -> CommandDef {
        CommandDef {
            name,
            arity,
            flags,
            acl: "",
            keys: (0, 0, 0),
            group: "",
            since: "1.0.0",
            summary: "",
            handler,
            subcommands: &[],
        }
    }
    pub const fn keys(mut self, first: i32, last: i32, step: i32) -> CommandDef {
        self.keys = (first, last, step);
        self
    }
    pub const fn acl(mut self, acl: &'static str) -> CommandDef {
        self.acl = acl;
        self
    }
    pub const fn group(mut self, group: &'static str) -> CommandDef {
        self.group = group;
        self
    }
    pub const fn since(mut self, since: &'static str) -> CommandDef {
        self.since = since;
        self
    }
    pub const fn summary(mut self, summary: &'static str) -> CommandDef {
        self.summary = summary;
        self
    }
    pub const fn subs(mut self, subs: &'static [CommandDef]) -> CommandDef {
        self.subcommands = subs;
        self
    }
}

/// Every family's table, in the order COMMAND lists them.
fn families() -> Vec<&'static [CommandDef]> {
    use super::*;
    vec![
        connection::COMMANDS,
        server_cmds::COMMANDS,
        config_cmd::COMMANDS,
        client_cmd::COMMANDS,
        info::COMMANDS,
        command_cmd::COMMANDS,
        debug::COMMANDS,
        strings::COMMANDS,
        sets::COMMANDS,
        bitmaps::COMMANDS,
        keys::COMMANDS,
        expire::COMMANDS,
        lists::COMMANDS,
        zsets::COMMANDS,
        memory_cmd::COMMANDS,
        hashes::COMMANDS,
        pubsub::COMMANDS,
        multi::COMMANDS,
        streams::COMMANDS,
    ]
}

/// FNV-1a for the command-name table. The table's keys are fixed at start-up
/// and names are short, so a keyed SipHash buys no safety here and cost 2% of
/// a GET in profiles.
#[derive(Default, Clone, Copy)]
pub struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type FnvMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// The lookup structure built at start-up, with per-command statistics.
pub struct CommandTable {
    /// Top-level commands by lower-case name.
    by_name: FnvMap<&'static [u8], usize>,
    /// Every entry (commands and subcommands): definition, parent index.
    entries: Vec<(&'static CommandDef, Option<usize>)>,
    /// Subcommand index by (parent, lower-case name).
    subs: FnvMap<(usize, &'static [u8]), usize>,
    stats: Vec<CommandStat>,
    /// Entries `rename-command x ""` took out of the table: no longer
    /// listed by COMMAND, COMMAND LIST or COMMAND DOCS.
    removed: Vec<bool>,
}

impl Default for CommandTable {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandTable {
    pub fn new() -> CommandTable {
        let mut t = CommandTable {
            by_name: FnvMap::default(),
            entries: Vec::new(),
            subs: FnvMap::default(),
            stats: Vec::new(),
            removed: Vec::new(),
        };
        for fam in families() {
            for def in fam {
                let idx = t.entries.len();
                t.entries.push((def, None));
                t.by_name.insert(def.name.as_bytes(), idx);
                for sub in def.subcommands {
                    let sidx = t.entries.len();
                    t.entries.push((sub, Some(idx)));
                    t.subs.insert((idx, sub.name.as_bytes()), sidx);
                }
            }
        }
        t.stats = vec![CommandStat::default(); t.entries.len()];
        t.removed = vec![false; t.entries.len()];
        t
    }

    /// Finds a top-level command, case-insensitively, without allocating
    /// for names of ordinary length.
    #[inline]
    pub fn lookup(&self, name: &[u8]) -> Option<usize> {
        let mut buf = [0u8; 32];
        if name.len() <= buf.len() {
            for (d, s) in buf.iter_mut().zip(name) {
                *d = s.to_ascii_lowercase();
            }
            self.by_name.get(&buf[..name.len()]).copied()
        } else {
            None
        }
    }

    /// `rename-command from to` (Redis's config.c): the command answers to
    /// `to` instead of `from`, or to nothing when `to` is empty. Only the
    /// lookup changes; its name in COMMAND INFO and INFO commandstats stays.
    /// Done at start-up only, so the new name is leaked to share the
    /// table's `'static` keys.
    pub fn rename(&mut self, from: &[u8], to: &[u8]) -> Result<(), &'static str> {
        let idx = self
            .lookup(from)
            .ok_or("No such command in rename-command")?;
        self.by_name.retain(|_, &mut i| i != idx);
        if to.is_empty() {
            self.removed[idx] = true;
            return Ok(());
        }
        let to: &'static [u8] = Box::leak(to.to_ascii_lowercase().into_boxed_slice());
        if self.by_name.contains_key(to) {
            return Err("Target command name already exists");
        }
        self.by_name.insert(to, idx);
        Ok(())
    }

    pub fn lookup_sub(&self, parent: usize, name: &[u8]) -> Option<(usize, &'static CommandDef)> {
        let mut buf = [0u8; 32];
        if name.len() > buf.len() {
            return None;
        }
        for (d, s) in buf.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        let i = *self.subs.get(&(parent, &buf[..name.len()]))?;
        Some((i, self.entries[i].0))
    }

    #[inline]
    pub fn def(&self, idx: usize) -> &'static CommandDef {
        self.entries[idx].0
    }

    pub fn parent(&self, idx: usize) -> Option<usize> {
        self.entries[idx].1
    }

    /// `name` or `parent|sub`, as Redis's `fullname`.
    pub fn fullname(&self, idx: usize) -> String {
        match self.entries[idx].1 {
            Some(p) => format!("{}|{}", self.entries[p].0.name, self.entries[idx].0.name),
            None => self.entries[idx].0.name.to_string(),
        }
    }

    #[inline]
    pub fn stat_mut(&mut self, idx: usize) -> &mut CommandStat {
        &mut self.stats[idx]
    }

    /// Every entry with its statistics, for INFO commandstats and CONFIG RESETSTAT.
    pub fn stats(&self) -> impl Iterator<Item = (usize, &CommandStat)> {
        self.stats.iter().enumerate()
    }

    pub fn reset_stats(&mut self) {
        for s in &mut self.stats {
            *s = CommandStat::default();
        }
    }

    /// Top-level commands in table order (renamed ones under their own
    /// name, removed ones not at all, as Redis lists `server.commands`).
    pub fn top_level(&self) -> impl Iterator<Item = (usize, &'static CommandDef)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|&(i, e)| e.1.is_none() && !self.removed[i])
            .map(|(i, e)| (i, e.0))
    }

    pub fn count(&self) -> usize {
        self.by_name.len()
    }
}
