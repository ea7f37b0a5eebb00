//! The CQL language: text in, [`ast::Statement`] out, parsed with nom.
//!
//! Owns: the lexical rules (keywords are case-insensitive; unquoted identifiers are folded to lower
//! case, `"quoted"` ones keep their case; `--`, `//` and `/* */` comments), the grammar of every
//! statement, and [`ParseError`] with the line and column Cassandra reports in a SyntaxException.
//!
//! Must not know about: schemas, types of columns, values, execution or the protocol. A statement that
//! parses may still be invalid; deciding that is the query layer's job.

pub mod ast;
mod parser;

pub use parser::{parse_statement, parse_statements, ParseError};
