//! The wire protocol: RESP request parsing and reply encoding.

pub mod parser;
pub mod reply;
