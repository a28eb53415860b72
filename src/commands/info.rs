//! (to be written)

use super::table::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
