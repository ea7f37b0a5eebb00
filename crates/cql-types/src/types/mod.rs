//! CQL types and their canonical text form.

use std::fmt;

/// A native (non-composite) CQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NativeType {
    Ascii,
    Bigint,
    Blob,
    Boolean,
    Counter,
    Date,
    Decimal,
    Double,
    Duration,
    Float,
    Inet,
    Int,
    Smallint,
    /// `text` and its alias `varchar` (Cassandra prints `text`).
    Text,
    Time,
    Timestamp,
    Timeuuid,
    Tinyint,
    Uuid,
    Varint,
}

/// A resolved CQL type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CqlType {
    Native(NativeType),
    List {
        element: Box<CqlType>,
        frozen: bool,
    },
    Set {
        element: Box<CqlType>,
        frozen: bool,
    },
    Map {
        key: Box<CqlType>,
        value: Box<CqlType>,
        frozen: bool,
    },
    /// Tuples are always frozen.
    Tuple(Vec<CqlType>),
    /// A user-defined type, resolved: its fields in declaration order.
    Udt {
        keyspace: String,
        name: String,
        fields: Vec<(String, CqlType)>,
        frozen: bool,
    },
    /// `vector<element, dimension>` (Cassandra 5.0).
    Vector {
        element: Box<CqlType>,
        dimension: u32,
    },
    /// A custom type given by its Java class name.
    Custom(String),
}

/// A type string that is not a valid CQL type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid type '{text}': {reason}")]
pub struct TypeParseError {
    pub text: String,
    pub reason: String,
}

impl NativeType {
    /// The canonical lower-case name (`text`, never `varchar`).
    pub fn name(self) -> &'static str {
        match self {
            NativeType::Ascii => "ascii",
            NativeType::Bigint => "bigint",
            NativeType::Blob => "blob",
            NativeType::Boolean => "boolean",
            NativeType::Counter => "counter",
            NativeType::Date => "date",
            NativeType::Decimal => "decimal",
            NativeType::Double => "double",
            NativeType::Duration => "duration",
            NativeType::Float => "float",
            NativeType::Inet => "inet",
            NativeType::Int => "int",
            NativeType::Smallint => "smallint",
            NativeType::Text => "text",
            NativeType::Time => "time",
            NativeType::Timestamp => "timestamp",
            NativeType::Timeuuid => "timeuuid",
            NativeType::Tinyint => "tinyint",
            NativeType::Uuid => "uuid",
            NativeType::Varint => "varint",
        }
    }

    /// Looks a native type up by name, case-insensitively; `varchar` is `text`.
    pub fn from_name(name: &str) -> Option<NativeType> {
        let n = name.to_ascii_lowercase();
        Some(match n.as_str() {
            "ascii" => NativeType::Ascii,
            "bigint" => NativeType::Bigint,
            "blob" => NativeType::Blob,
            "boolean" => NativeType::Boolean,
            "counter" => NativeType::Counter,
            "date" => NativeType::Date,
            "decimal" => NativeType::Decimal,
            "double" => NativeType::Double,
            "duration" => NativeType::Duration,
            "float" => NativeType::Float,
            "inet" => NativeType::Inet,
            "int" => NativeType::Int,
            "smallint" => NativeType::Smallint,
            "text" | "varchar" => NativeType::Text,
            "time" => NativeType::Time,
            "timestamp" => NativeType::Timestamp,
            "timeuuid" => NativeType::Timeuuid,
            "tinyint" => NativeType::Tinyint,
            "uuid" => NativeType::Uuid,
            "varint" => NativeType::Varint,
            _ => return None,
        })
    }
}

impl CqlType {
    pub const TEXT: CqlType = CqlType::Native(NativeType::Text);
    pub const INT: CqlType = CqlType::Native(NativeType::Int);
    pub const BIGINT: CqlType = CqlType::Native(NativeType::Bigint);
    pub const UUID: CqlType = CqlType::Native(NativeType::Uuid);
    pub const BOOLEAN: CqlType = CqlType::Native(NativeType::Boolean);
    pub const INET: CqlType = CqlType::Native(NativeType::Inet);
    pub const BLOB: CqlType = CqlType::Native(NativeType::Blob);
    pub const DOUBLE: CqlType = CqlType::Native(NativeType::Double);
    pub const TIMESTAMP: CqlType = CqlType::Native(NativeType::Timestamp);

    /// `list<element>` (not frozen).
    pub fn list(element: CqlType) -> CqlType {
        CqlType::List { element: Box::new(element), frozen: false }
    }
    /// `set<element>` (not frozen).
    pub fn set(element: CqlType) -> CqlType {
        CqlType::Set { element: Box::new(element), frozen: false }
    }
    /// `map<key, value>` (not frozen).
    pub fn map(key: CqlType, value: CqlType) -> CqlType {
        CqlType::Map { key: Box::new(key), value: Box::new(value), frozen: false }
    }
    /// The same type, frozen (collections and UDTs; others are returned unchanged).
    pub fn frozen(self) -> CqlType {
        match self {
            CqlType::List { element, .. } => CqlType::List { element, frozen: true },
            CqlType::Set { element, .. } => CqlType::Set { element, frozen: true },
            CqlType::Map { key, value, .. } => CqlType::Map { key, value, frozen: true },
            CqlType::Udt { keyspace, name, fields, .. } => CqlType::Udt { keyspace, name, fields, frozen: true },
            other => other,
        }
    }
    /// True for non-frozen collections and UDTs, whose cells are stored one element at a time.
    pub fn is_multi_cell(&self) -> bool {
        matches!(
            self,
            CqlType::List { frozen: false, .. }
                | CqlType::Set { frozen: false, .. }
                | CqlType::Map { frozen: false, .. }
                | CqlType::Udt { frozen: false, .. }
        )
    }
    /// True for `counter`.
    pub fn is_counter(&self) -> bool {
        matches!(self, CqlType::Native(NativeType::Counter))
    }

    /// True if the serialized form of this type may be the empty byte string, as Cassandra's serializers
    /// accept it (`validate`): every type except `smallint`, `tinyint`, `date`, `time`, `duration` and
    /// `vector`. For `text`, `ascii` and `blob` the empty byte string is simply the empty value; for the
    /// others it is Cassandra's "empty value", which is neither null nor any value of the type.
    pub fn allows_empty(&self) -> bool {
        !matches!(
            self,
            CqlType::Native(
                NativeType::Smallint | NativeType::Tinyint | NativeType::Date | NativeType::Time | NativeType::Duration
            ) | CqlType::Vector { .. }
        )
    }

    /// True if the empty byte string is an ordinary value of this type (`''` for text/ascii, `0x` for
    /// blob and custom types) rather than Cassandra's special "empty value".
    pub fn empty_is_a_value(&self) -> bool {
        matches!(self, CqlType::Native(NativeType::Text | NativeType::Ascii | NativeType::Blob) | CqlType::Custom(_))
    }

    /// The length of every serialized value of this type, if it is fixed (Cassandra's
    /// `valueLengthIfFixed`): used by vectors, whose fixed-length elements carry no length prefix.
    pub fn value_length_if_fixed(&self) -> Option<usize> {
        match self {
            CqlType::Native(n) => match n {
                NativeType::Tinyint | NativeType::Boolean => Some(1),
                NativeType::Smallint => Some(2),
                NativeType::Int | NativeType::Float | NativeType::Date => Some(4),
                NativeType::Bigint
                | NativeType::Counter
                | NativeType::Double
                | NativeType::Time
                | NativeType::Timestamp => Some(8),
                NativeType::Uuid | NativeType::Timeuuid => Some(16),
                _ => None,
            },
            CqlType::Vector { element, dimension } => {
                element.value_length_if_fixed().and_then(|n| n.checked_mul(usize::try_from(*dimension).ok()?))
            }
            _ => None,
        }
    }

    /// The same type with every nested collection and UDT frozen (what `frozen<...>` does to the
    /// types inside it, and what a tuple does to its components). The outer type itself is frozen too.
    pub fn frozen_deep(self) -> CqlType {
        match self {
            CqlType::List { element, .. } => CqlType::List { element: Box::new(element.frozen_deep()), frozen: true },
            CqlType::Set { element, .. } => CqlType::Set { element: Box::new(element.frozen_deep()), frozen: true },
            CqlType::Map { key, value, .. } => {
                CqlType::Map { key: Box::new(key.frozen_deep()), value: Box::new(value.frozen_deep()), frozen: true }
            }
            CqlType::Udt { keyspace, name, fields, .. } => CqlType::Udt {
                keyspace,
                name,
                fields: fields.into_iter().map(|(n, t)| (n, t.frozen_deep())).collect(),
                frozen: true,
            },
            CqlType::Tuple(components) => CqlType::Tuple(components.into_iter().map(CqlType::frozen_deep).collect()),
            other => other,
        }
    }
}

impl fmt::Display for CqlType {
    /// Cassandra's canonical form, as in `system_schema.columns.type`: `text`, `frozen<list<int>>`,
    /// `map<text, int>`, `tuple<int, text>`, `vector<float, 3>`, UDT names unquoted unless they need quotes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::types::display::fmt_type(self, f)
    }
}

impl std::str::FromStr for CqlType {
    type Err = TypeParseError;
    /// Parses the canonical text form back (as stored in `system_schema.columns.type`). UDT names
    /// are resolved by `resolve_udt`-free parsing: a bare unknown word becomes
    /// `Udt { keyspace: "", name, fields: vec![], frozen }` for the caller to resolve.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::types::display::parse_type(s)
    }
}

mod display;
mod ident;

pub use ident::maybe_quote;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_types_allow_the_empty_value() {
        assert!(CqlType::INT.allows_empty());
        assert!(CqlType::list(CqlType::INT).allows_empty());
        assert!(CqlType::TEXT.allows_empty());
    }

    #[test]
    fn newer_fixed_width_types_reject_the_empty_value() {
        for n in [NativeType::Smallint, NativeType::Tinyint, NativeType::Date, NativeType::Time, NativeType::Duration] {
            assert!(!CqlType::Native(n).allows_empty(), "{n:?}");
        }
    }

    #[test]
    fn empty_bytes_are_a_value_only_for_strings_and_blobs() {
        assert!(CqlType::TEXT.empty_is_a_value());
        assert!(CqlType::BLOB.empty_is_a_value());
        assert!(!CqlType::INT.empty_is_a_value());
    }

    #[test]
    fn fixed_length_types_report_their_length() {
        assert_eq!(CqlType::INT.value_length_if_fixed(), Some(4));
        assert_eq!(CqlType::UUID.value_length_if_fixed(), Some(16));
        assert_eq!(CqlType::TEXT.value_length_if_fixed(), None);
        let vector = CqlType::Vector { element: Box::new(CqlType::Native(NativeType::Float)), dimension: 3 };
        assert_eq!(vector.value_length_if_fixed(), Some(12));
    }

    #[test]
    fn frozen_deep_freezes_nested_types() {
        let t = CqlType::map(CqlType::TEXT, CqlType::list(CqlType::INT)).frozen_deep();
        assert_eq!(t, CqlType::map(CqlType::TEXT, CqlType::list(CqlType::INT).frozen()).frozen());
    }
}
