//! The CQL language: text in, [`ast::Statement`] out, parsed with nom.
//!
//! Owns: the lexical rules (keywords are case-insensitive; unquoted identifiers are folded to lower
//! case, `"quoted"` ones keep their case; `--`, `//` and `/* */` comments), the grammar of every
//! statement, and [`ParseError`] with the line and column Cassandra reports in a SyntaxException.
//!
//! Must not know about: schemas, types of columns, values, execution or the protocol. A statement that
//! parses may still be invalid; deciding that is the query layer's job.
//!
//! The grammar follows Cassandra 5.0's `Parser.g` and `Lexer.g`, split by domain: `lexer` (tokens),
//! `names` (identifiers, reserved keywords), `types`, `terms` (values), `relations` (`WHERE`/`IF`),
//! `select`, `modification` (insert/update/delete/batch), `properties`, `ddl` (keyspaces, tables, types,
//! indexes), `view` (materialized views), `udf` (functions, aggregates, triggers) and `describe`;
//! `input` holds the parsing machinery (nom parsers over the token list) and the error tracking that
//! words and places syntax errors as Cassandra's ANTLR parser does.

pub mod ast;
mod auth;
mod ddl;
mod describe;
mod input;
mod lexer;
mod modification;
mod names;
mod parser;
mod properties;
mod relations;
mod select;
mod terms;
mod types;
mod udf;
mod view;

pub use auth::option_name as role_option_name;
pub use parser::{parse_statement, parse_statements, ParseError};
