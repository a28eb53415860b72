//! # reddish: a Redis-compatible server, read from top to bottom
//!
//! reddish answers the Redis protocol exactly as Redis 7.0 does, and is built
//! the way Redis is built: one thread owns all the data and runs commands one
//! after another, so no command ever sees another half-done and nothing needs
//! a lock. This page is the map; each module opens with the Redis concept it
//! implements and the file of Redis it corresponds to.
//!
//! Follow one command, `GET k`, from socket to reply:
//!
//! | step | module | Redis counterpart |
//! |---|---|---|
//! | the loop wakes up: a socket is readable | [`server::event_loop`] | `ae.c`, `beforeSleep` in `server.c` |
//! | bytes land in the client's query buffer | [`server::client`] | `readQueryFromClient` in `networking.c` |
//! | a complete command is cut out, in place | [`protocol::parser`] | `processMultibulkBuffer` |
//! | name → definition, arity and auth checks | [`commands`], [`commands::table`] | `processCommand`, `commands.def` |
//! | the handler runs against the database | `commands::<family>`, [`db::keyspace`] | `t_string.c`, `db.c` |
//! | the reply is encoded into the client's buffer | [`protocol::reply`] | `addReply*` |
//! | before sleeping, replies are written | [`server::event_loop`] | `handleClientsWithPendingWrites` |
//! | the loop waits: a short spin, naps under heavy load, then sleep | [`server::idle`] | `aeApiPoll` (Redis only sleeps) |
//!
//! Values of the collection types live in [`types`] (`listpack.c`, `intset.c`,
//! `quicklist.c`, the skiplist of `t_zset.c`): compact encodings first.
//!
//! Around that path: [`config`] (redis.conf, CONFIG), [`server::cron`]
//! (`serverCron`), [`server::listener`] (`anet.c`), [`util::numbers`]
//! (`util.c`: Redis's strict number parsing and `%.17g`).

pub mod commands;
pub mod config;
pub mod db;
pub mod logging;
pub mod protocol;
pub mod server;
pub mod types;
pub mod util;
