//! CONFIG GET/SET/RESETSTAT/REWRITE (Redis's `config.c`, the command half).

use super::table::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
