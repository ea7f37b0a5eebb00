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
