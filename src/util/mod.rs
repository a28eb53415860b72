//! Small pieces shared by many commands.

pub mod glob;
pub mod numbers;
pub mod sha1;
