//! CQL's type system and values, with no I/O and no knowledge of tables.
//!
//! Owns: [`CqlType`] (every type Cassandra 5.0 has, printed the canonical way Cassandra prints it in
//! `system_schema.columns.type`), [`CqlValue`] with the native-protocol serialization of every type
//! (the bytes a cell stores and a driver receives), literal parsing ([`literal`]), the byte-comparable
//! key encodings the storage engine sorts by ([`key`]), and Cassandra's Murmur3 partitioner token ([`token`]).
//!
//! Must not know about: schemas, tables, statements, the protocol framing or the storage engine.
//!
//! # Map
//! * [`CqlType`]: `Display` writes Cassandra's canonical type text (`frozen<list<int>>`, `map<text, int>`,
//!   `frozen<tuple<int, text>>`, `vector<float, 3>`, `"MyUdt"`), `FromStr` reads it back (an unknown
//!   word becomes an unresolved UDT for the caller to resolve); [`maybe_quote`] quotes identifiers the
//!   way Cassandra does.
//! * [`CqlValue`]: `serialize`/`to_bytes`, `deserialize` (strict), `validate` (Cassandra's checks and
//!   messages for bound values), `compare` (Cassandra's comparator on serialized values) and CQL literal
//!   printing. Cassandra's *empty value* (an empty byte string that is neither null nor a value) is
//!   explained in the [`CqlValue`] documentation.
//! * [`literal`]: constants of the language to values, with Cassandra's implicit conversions.
//! * [`key`]: the memcmp-ordered storage key of a partition and clustering-key encoding.
//! * [`token`]: Murmur3 tokens, bit-for-bit as Cassandra computes them.
//!
//! Errors are values: a malformed serialized value, an unparsable literal or type text is reported as a
//! [`ValueError`] / [`TypeParseError`] whose message is Cassandra's own wording where Cassandra has one,
//! ready to be sent to a client. Nothing here panics on input data.

pub mod key;
pub mod literal;
pub mod token;
mod types;
mod value;

mod duration;
mod javafmt;
mod temporal;
mod vint;

pub use literal::LiteralKind;
pub use types::{maybe_quote, CqlType, NativeType, TypeParseError};
pub use value::{CqlValue, ValueError};
