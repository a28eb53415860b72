//! The data: databases, values, expiry (Redis's `db.c`, `object.c`, `expire.c`).

pub mod keyspace;
pub mod object;
