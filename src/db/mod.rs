//! The data: databases, values, expiry (Redis's `db.c`, `object.c`, `expire.c`).

pub mod dict;
pub mod expire;
pub mod keyspace;
pub mod object;
