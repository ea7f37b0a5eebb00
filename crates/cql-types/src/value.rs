//! Typed CQL values and their native-protocol serialization (the `[bytes]` of a cell).

use std::net::IpAddr;

use bigdecimal::BigDecimal;
use num_bigint::BigInt;
use uuid::Uuid;

/// A typed CQL value. `Null` is not a variant: absence is `Option<CqlValue>` at the call site.
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

/// A value that does not fit its type, or bytes that do not decode as it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);
