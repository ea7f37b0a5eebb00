//! Typed CQL values and their native-protocol serialization (the `[bytes]` of a cell).

use std::cmp::Ordering;
use std::net::IpAddr;

use bigdecimal::BigDecimal;
use num_bigint::BigInt;
use uuid::Uuid;

use crate::CqlType;

mod codec;
mod compare;
mod cql_text;
pub(crate) mod layout;
pub(crate) mod order;
mod validate;

/// A typed CQL value. `Null` is not a variant: absence is `Option<CqlValue>` at the call site.
///
/// # Serialized values
/// A value of a type is serialized exactly as native protocol v4/v5 §6 says (and as Cassandra stores it
/// in a cell): fixed-width big-endian integers, IEEE floats, UTF-8 text, `varint` as minimal
/// two's-complement bytes, `decimal` as an `i32` scale then the unscaled varint, `date` as a `u32` with
/// the epoch at 2^31, `time` as `i64` nanoseconds, `duration` as three zig-zag vints, collections as an
/// `i32` count then `i32`-length-prefixed elements, tuples and UDTs as `i32`-length-prefixed components
/// (`-1` for null) and vectors as their elements back to back (fixed-width elements bare, others with an
/// unsigned-vint length prefix).
///
/// # Empty values
/// Cassandra lets the empty byte string stand for a value of most types (it is *not* null). For `text`,
/// `ascii` and `blob` (and custom types) it is just the empty string / empty blob, and [`CqlValue::deserialize`]
/// returns it as such. For the other types that allow it (see [`CqlType::allows_empty`]) it is a
/// distinct "empty value" with no [`CqlValue`]: [`CqlValue::deserialize_or_empty`] returns `Ok(None)` for
/// it, [`CqlValue::deserialize`] an error, [`CqlValue::validate`] accepts it, [`CqlValue::compare`] sorts
/// it before every other value and [`CqlValue::cql_literal`] prints it as `null`. `smallint`, `tinyint`,
/// `date`, `time`, `duration` and vectors reject it, with Cassandra's messages.
#[derive(Debug, Clone, PartialEq)]
pub enum CqlValue {
    Ascii(String),
    Bigint(i64),
    Blob(Vec<u8>),
    Boolean(bool),
    Counter(i64),
    /// Days since the epoch with 2^31 at 1970-01-01, as the protocol encodes it.
    Date(u32),
    Decimal(BigDecimal),
    Double(f64),
    Duration {
        months: i32,
        days: i32,
        nanoseconds: i64,
    },
    Float(f32),
    Inet(IpAddr),
    Int(i32),
    Smallint(i16),
    Text(String),
    /// Nanoseconds since midnight.
    Time(i64),
    /// Milliseconds since the epoch.
    Timestamp(i64),
    Timeuuid(Uuid),
    Tinyint(i8),
    Uuid(Uuid),
    Varint(BigInt),
    /// Elements of a list (or vector), in order; `None` is a null element (only legal inside tuples/UDTs).
    List(Vec<CqlValue>),
    /// Elements of a set, sorted by the element type's order, without duplicates.
    Set(Vec<CqlValue>),
    /// Entries of a map, sorted by key order, without duplicate keys.
    Map(Vec<(CqlValue, CqlValue)>),
    /// Tuple components; `None` is null.
    Tuple(Vec<Option<CqlValue>>),
    /// UDT field values in declaration order; `None` is null.
    Udt(Vec<Option<CqlValue>>),
    Vector(Vec<CqlValue>),
}

/// A value that does not fit its type, or bytes that do not decode as it. The message is the one
/// Cassandra gives for the same problem where there is one (e.g. `Expected 4 or 0 byte int (3)`), so a
/// caller can send it to the client as-is (as an `Invalid` error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

impl ValueError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        ValueError(message.into())
    }
}

impl CqlValue {
    /// Appends the serialized form of this value to `out`. Set elements are written sorted by their
    /// type's order without duplicates, and map entries sorted by key with the last of duplicate keys
    /// kept, whatever order the value holds them in. (A decimal whose scale does not fit an `i32`, which
    /// no parsed or deserialized value has, is written with the scale saturated.)
    pub fn serialize(&self, out: &mut Vec<u8>) {
        codec::serialize(self, out);
    }

    /// The serialized form of this value.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.serialize(&mut out);
        out
    }

    /// Decodes a serialized value of type `typ`, strictly: wrong lengths, invalid UTF-8, non-ASCII
    /// `ascii`, a non-version-1 `timeuuid`, malformed collections, null collection elements and trailing
    /// bytes are errors. The empty byte string decodes to `''` / `0x` for text, ascii, blob and custom
    /// types and is an error for every other type (see [`CqlValue::deserialize_or_empty`]); so is an
    /// empty value nested inside a collection, tuple or UDT. Tuples and UDTs with fewer components than
    /// their type are padded with nulls. An unresolved UDT type (no fields) cannot be decoded.
    pub fn deserialize(typ: &CqlType, bytes: &[u8]) -> Result<CqlValue, ValueError> {
        codec::deserialize(typ, bytes)?.ok_or_else(|| ValueError(format!("Empty value for type {typ}")))
    }

    /// Like [`CqlValue::deserialize`], but returns `Ok(None)` for the empty value of a type that allows it
    /// (every type but `smallint`, `tinyint`, `date`, `time`, `duration` and vectors; for text, ascii, blob
    /// and custom types the empty byte string is the ordinary empty value instead).
    pub fn deserialize_or_empty(typ: &CqlType, bytes: &[u8]) -> Result<Option<CqlValue>, ValueError> {
        codec::deserialize(typ, bytes)
    }

    /// Checks a serialized value of type `typ` (e.g. a bound value from a driver) the way Cassandra's
    /// serializers do, with their messages: `Expected 4 or 0 byte int (3)`, `String didn't validate.`,
    /// `Not enough bytes to read a list`, ... The empty value is accepted for the types Cassandra accepts
    /// it for, at the top level and nested. Stricter than Cassandra in a few corners: null collection
    /// elements, 4-byte decimals (no unscaled bytes), durations with trailing bytes and text that is
    /// Java's modified UTF-8 rather than UTF-8 are rejected.
    pub fn validate(typ: &CqlType, bytes: &[u8]) -> Result<(), ValueError> {
        validate::validate(typ, bytes)
    }

    /// Orders two serialized values of type `typ` with Cassandra's comparator for it: numeric for
    /// integers, `varint`, `decimal` (numerically, `1.0 == 1.00`), `float` and `double` (Java's
    /// `compare`: `-0.0 < 0.0`, NaN last); unsigned bytes for text, ascii, blob, inet, date and time;
    /// signed for timestamp; `false < true`; `timeuuid` by embedded timestamp then by signed bytes;
    /// `uuid` by version, then timestamp (version 1) or unsigned bytes, then unsigned bytes; frozen
    /// collections element by element then by size; tuples and UDTs component by component with null
    /// first and trailing nulls ignored; the empty value before everything. Bytes that do not decode as
    /// the type are compared as unsigned bytes.
    pub fn compare(typ: &CqlType, a: &[u8], b: &[u8]) -> Ordering {
        compare::compare(typ, a, b)
    }

    /// The CQL literal for this value, as Cassandra's `toCQLLiteral` writes it: strings single-quoted
    /// with `''` escapes, blobs as `0x...`, timestamps as `'2024-01-02T03:04:05.678Z'`, dates as
    /// `'2024-01-02'`, times as `'03:04:05.000000000'`, inets quoted, uuids and numbers bare, durations
    /// like `1h30m`, `[...]` for lists and vectors, `{...}` for sets, `{k: v}` for maps, `(...)` for tuples.
    /// A UDT value does not know its field names, so it is written like a tuple here: use
    /// [`CqlValue::to_cql_literal_for`] to get `{field: value}`.
    pub fn to_cql_literal(&self) -> String {
        cql_text::value_literal(self, None)
    }

    /// Like [`CqlValue::to_cql_literal`], with the type supplying UDT field names (`{street: 'x', n: 1}`,
    /// names quoted when needed).
    pub fn to_cql_literal_for(&self, typ: &CqlType) -> String {
        cql_text::value_literal(self, Some(typ))
    }

    /// The CQL literal for a serialized value of type `typ`, as Cassandra's `toCQLLiteral(ByteBuffer)`:
    /// like [`CqlValue::to_cql_literal_for`], and the empty value prints as `null` (`''` for text and
    /// ascii, `0x` for blobs and custom types), also inside collections, tuples and UDTs.
    pub fn cql_literal(typ: &CqlType, bytes: &[u8]) -> Result<String, ValueError> {
        cql_text::bytes_literal(typ, bytes)
    }

    /// The type this value naturally has (the element type of a collection is taken from its first
    /// element, `blob` when it has none; UDT fields are unnamed). Used to order set elements and map keys.
    pub fn natural_type(&self) -> CqlType {
        codec::natural_type(self)
    }
}

#[cfg(test)]
mod tests;
