//! Hash values: the encodings a key of this type can have and the
//! conversions between them. Commands live in `commands/hashs.rs`... (the
//! family's helper writes this module; until then the type is uninhabited,
//! so no key of this type can exist and every match on it is empty).

/// A Hash value. Uninhabited until the type is implemented.
#[derive(Clone, Debug, PartialEq)]
pub enum HashVal {}

impl HashVal {
    /// The name OBJECT ENCODING answers.
    pub fn encoding(&self) -> &'static str {
        match *self {}
    }
}
