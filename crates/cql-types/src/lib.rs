//! CQL's type system and values, with no I/O and no knowledge of tables.
//!
//! Owns: [`CqlType`] (every type Cassandra 5.0 has, printed the canonical way Cassandra prints it in
//! `system_schema.columns.type`), [`CqlValue`] with the native-protocol serialization of every type
//! (the bytes a cell stores and a driver receives), literal parsing ([`literal`]), the byte-comparable
//! key encodings the storage engine sorts by ([`key`]), and Cassandra's Murmur3 partitioner token ([`token`]).
//!
//! Must not know about: schemas, tables, statements, the protocol framing or the storage engine.

pub mod key;
pub mod literal;
pub mod token;
mod types;
mod value;

pub use literal::LiteralKind;
pub use types::{CqlType, NativeType, TypeParseError};
pub use value::{CqlValue, ValueError};
