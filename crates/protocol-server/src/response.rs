//! Response messages (spec §4.2) and their body encodings, per protocol version.
//!
//! Version differences handled here:
//! - v3: no partition key indexes in PREPARED metadata; `date`, `time`, `smallint`, `tinyint` are
//!   sent as custom types; FUNCTION/AGGREGATE schema changes become "keyspace updated";
//!   Function_failure becomes Invalid (all as Cassandra does).
//! - v4: `duration` is sent as the custom type `DurationType`.
//! - v5: `duration` is 0x0015; PREPARED carries the result metadata id.
//!
//! `vector` has no option id in any version: Cassandra sends it as the custom type
//! `org.apache.cassandra.db.marshal.VectorType(<element class> , <dimension>)`.

use std::fmt::Write as _;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use cql_types::{CqlType, NativeType};
use query::{
    ColumnSpec, Error, ErrorCode, PreparedResult, QueryResult, ResultMetadata, Rows, SchemaChange, SchemaChangeTarget,
    SchemaChangeType,
};

use crate::compression;
use crate::frame::{Opcode, ProtocolVersion};
use crate::wire;

/// The CQL version advertised in SUPPORTED (and in `system.local.cql_version`).
pub const CQL_VERSION: &str = query::CQL_VERSION;

/// A message the server sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    Error(Error),
    Ready,
    /// The authenticator's class name.
    Authenticate(String),
    Supported,
    AuthSuccess(Option<Bytes>),
    Result(QueryResult),
    Event(Event),
}

/// A server-pushed event.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    SchemaChange(Arc<SchemaChange>),
}

/// Result kinds (spec §4.2.5).
mod kind {
    pub const VOID: i32 = 0x0001;
    pub const ROWS: i32 = 0x0002;
    pub const SET_KEYSPACE: i32 = 0x0003;
    pub const PREPARED: i32 = 0x0004;
    pub const SCHEMA_CHANGE: i32 = 0x0005;
}

/// Rows metadata flags (spec §4.2.5.2).
pub mod metadata_flags {
    pub const GLOBAL_TABLES_SPEC: i32 = 0x0001;
    pub const HAS_MORE_PAGES: i32 = 0x0002;
    pub const NO_METADATA: i32 = 0x0004;
    /// v5 only.
    pub const METADATA_CHANGED: i32 = 0x0008;
}

/// The SUPPORTED multimap: what STARTUP accepts.
pub fn supported_options() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("CQL_VERSION", vec![CQL_VERSION]),
        ("COMPRESSION", compression::SUPPORTED.to_vec()),
        ("PROTOCOL_VERSIONS", ProtocolVersion::SUPPORTED.iter().map(|v| v.describe()).collect()),
    ]
}

/// The SUPPORTED body, encoded once (it is the same for every version).
fn supported_body() -> &'static [u8] {
    static BODY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BODY.get_or_init(|| {
        let mut out = BytesMut::new();
        wire::write_string_multimap(&mut out, &supported_options());
        out.to_vec()
    })
}

impl Response {
    pub fn opcode(&self) -> Opcode {
        match self {
            Response::Error(_) => Opcode::Error,
            Response::Ready => Opcode::Ready,
            Response::Authenticate(_) => Opcode::Authenticate,
            Response::Supported => Opcode::Supported,
            Response::AuthSuccess(_) => Opcode::AuthSuccess,
            Response::Result(_) => Opcode::Result,
            Response::Event(_) => Opcode::Event,
        }
    }

    /// Appends the message body (without tracing id, warnings or custom payload).
    pub fn encode_body(&self, version: ProtocolVersion, out: &mut BytesMut) {
        match self {
            Response::Error(e) => encode_error(e, version, out),
            Response::Ready => {}
            Response::Authenticate(class) => wire::write_string(out, class),
            Response::Supported => out.extend_from_slice(supported_body()),
            Response::AuthSuccess(token) => wire::write_bytes(out, token.as_deref()),
            Response::Result(r) => encode_result(r, version, out),
            Response::Event(Event::SchemaChange(change)) => {
                wire::write_string(out, "SCHEMA_CHANGE");
                encode_schema_change(change, version, out);
            }
        }
    }
}

/// ERROR: `<code><message>` then the code's own fields (spec §9).
pub fn encode_error(error: &Error, version: ProtocolVersion, out: &mut BytesMut) {
    if version < ProtocolVersion::V4 {
        if let Error::FunctionFailure { message, .. } = error {
            // v3 has no Function_failure: Cassandra sends Invalid with the error's description.
            wire::write_int(out, ErrorCode::Invalid as i32);
            wire::write_string(out, &format!("ERROR FUNCTION_FAILURE: {message}"));
            return;
        }
    }
    wire::write_int(out, error.code() as i32);
    wire::write_string(out, &error.to_string());
    match error {
        Error::Unavailable { consistency, required, alive, .. } => {
            wire::write_consistency(out, *consistency);
            wire::write_int(out, *required);
            wire::write_int(out, *alive);
        }
        Error::WriteTimeout { consistency, received, block_for, write_type, .. } => {
            wire::write_consistency(out, *consistency);
            wire::write_int(out, *received);
            wire::write_int(out, *block_for);
            wire::write_string(out, write_type);
        }
        Error::ReadTimeout { consistency, received, block_for, data_present, .. } => {
            wire::write_consistency(out, *consistency);
            wire::write_int(out, *received);
            wire::write_int(out, *block_for);
            wire::write_byte(out, u8::from(*data_present));
        }
        Error::FunctionFailure { keyspace, function, arg_types, .. } => {
            wire::write_string(out, keyspace);
            wire::write_string(out, function);
            wire::write_string_list(out, arg_types);
        }
        Error::AlreadyExists { keyspace, table, .. } => {
            wire::write_string(out, keyspace);
            wire::write_string(out, table);
        }
        Error::Unprepared { id, .. } => wire::write_short_bytes(out, id),
        _ => {}
    }
}

/// RESULT (spec §4.2.5).
pub fn encode_result(result: &QueryResult, version: ProtocolVersion, out: &mut BytesMut) {
    match result {
        QueryResult::Void => wire::write_int(out, kind::VOID),
        QueryResult::Rows(rows) => {
            wire::write_int(out, kind::ROWS);
            encode_rows(rows, version, out);
        }
        QueryResult::SetKeyspace(ks) => {
            wire::write_int(out, kind::SET_KEYSPACE);
            wire::write_string(out, ks);
        }
        QueryResult::Prepared(p) => {
            wire::write_int(out, kind::PREPARED);
            encode_prepared(p, version, out);
        }
        QueryResult::SchemaChange(change) => {
            wire::write_int(out, kind::SCHEMA_CHANGE);
            encode_schema_change(change, version, out);
        }
    }
}

/// The keyspace and table every column shares, if they all share one (Global_tables_spec).
fn global_table(columns: &[ColumnSpec]) -> Option<(&str, &str)> {
    let first = columns.first()?;
    columns
        .iter()
        .all(|c| c.keyspace == first.keyspace && c.table == first.table)
        .then_some((first.keyspace.as_str(), first.table.as_str()))
}

fn encode_col_specs(columns: &[ColumnSpec], global: bool, version: ProtocolVersion, out: &mut BytesMut) {
    for c in columns {
        if !global {
            wire::write_string(out, &c.keyspace);
            wire::write_string(out, &c.table);
        }
        wire::write_string(out, &c.name);
        write_type(out, &c.typ, version);
    }
}

/// `<flags><columns_count>[<paging_state>][<new_metadata_id>][<global_table_spec>?<col_spec_1>...<col_spec_n>]`
/// (v5 §4.2.5.2; `new_metadata_id` with Metadata_changed, v5 only).
pub fn encode_result_metadata(meta: &ResultMetadata, version: ProtocolVersion, out: &mut BytesMut) {
    use metadata_flags::*;
    let global = global_table(&meta.columns);
    let new_id = meta.new_metadata_id.as_ref().filter(|_| version >= ProtocolVersion::V5);
    let no_metadata = meta.no_metadata && new_id.is_none();
    let mut flags = 0;
    if global.is_some() {
        flags |= GLOBAL_TABLES_SPEC;
    }
    if meta.paging_state.is_some() {
        flags |= HAS_MORE_PAGES;
    }
    if no_metadata {
        flags |= NO_METADATA;
    }
    if new_id.is_some() {
        flags |= METADATA_CHANGED;
    }
    wire::write_int(out, flags);
    wire::write_int(out, meta.columns.len() as i32);
    if let Some(state) = &meta.paging_state {
        wire::write_bytes(out, Some(state));
    }
    if let Some(id) = new_id {
        wire::write_short_bytes(out, id);
    }
    if no_metadata {
        return;
    }
    if let Some((ks, table)) = global {
        wire::write_string(out, ks);
        wire::write_string(out, table);
    }
    encode_col_specs(&meta.columns, global.is_some(), version, out);
}

/// Rows: `<metadata><rows_count><rows_content>`. Rows are written as given; the connection
/// checks beforehand that each has one cell per column.
pub fn encode_rows(rows: &Rows, version: ProtocolVersion, out: &mut BytesMut) {
    encode_result_metadata(&rows.metadata, version, out);
    wire::write_int(out, rows.rows.len() as i32);
    for row in &rows.rows {
        for cell in row {
            wire::write_bytes(out, cell.as_deref());
        }
    }
}

/// Whether every row has exactly one cell per column (a Rows result that does not would
/// desynchronise the client).
pub fn rows_are_well_formed(rows: &Rows) -> bool {
    let n = rows.metadata.columns.len();
    rows.rows.iter().all(|r| r.len() == n)
}

/// Prepared: `<id>[<result_metadata_id>]<metadata><result_metadata>` with
/// metadata `<flags><columns_count>[<pk_count><pk_index_1>...]<global_table_spec>?<col_specs>`.
pub fn encode_prepared(p: &PreparedResult, version: ProtocolVersion, out: &mut BytesMut) {
    wire::write_short_bytes(out, &p.id);
    if version >= ProtocolVersion::V5 {
        wire::write_short_bytes(out, &p.result_metadata_id);
    }
    let global = global_table(&p.variables);
    wire::write_int(out, if global.is_some() { metadata_flags::GLOBAL_TABLES_SPEC } else { 0 });
    wire::write_int(out, p.variables.len() as i32);
    if version >= ProtocolVersion::V4 {
        wire::write_int(out, p.pk_indexes.len() as i32);
        for i in &p.pk_indexes {
            wire::write_short(out, *i);
        }
    }
    if let Some((ks, table)) = global {
        wire::write_string(out, ks);
        wire::write_string(out, table);
    }
    encode_col_specs(&p.variables, global.is_some(), version, out);
    encode_result_metadata(&p.result, version, out);
}

fn change_name(change: SchemaChangeType) -> &'static str {
    match change {
        SchemaChangeType::Created => "CREATED",
        SchemaChangeType::Updated => "UPDATED",
        SchemaChangeType::Dropped => "DROPPED",
    }
}

/// `<change_type><target><options>` (spec §4.2.6), shared by the RESULT and the EVENT.
pub fn encode_schema_change(change: &SchemaChange, version: ProtocolVersion, out: &mut BytesMut) {
    let ks = change.keyspace.as_str();
    match &change.target {
        SchemaChangeTarget::Keyspace => {
            wire::write_string(out, change_name(change.change));
            wire::write_string(out, "KEYSPACE");
            wire::write_string(out, ks);
        }
        SchemaChangeTarget::Table(name) | SchemaChangeTarget::Type(name) => {
            let target = if matches!(change.target, SchemaChangeTarget::Table(_)) { "TABLE" } else { "TYPE" };
            wire::write_string(out, change_name(change.change));
            wire::write_string(out, target);
            wire::write_string(out, ks);
            wire::write_string(out, name);
        }
        SchemaChangeTarget::Function { name, arg_types } | SchemaChangeTarget::Aggregate { name, arg_types } => {
            if version < ProtocolVersion::V4 {
                // v3 cannot describe functions: say the keyspace was updated, as Cassandra does.
                wire::write_string(out, "UPDATED");
                wire::write_string(out, "KEYSPACE");
                wire::write_string(out, ks);
                return;
            }
            let target =
                if matches!(change.target, SchemaChangeTarget::Function { .. }) { "FUNCTION" } else { "AGGREGATE" };
            wire::write_string(out, change_name(change.change));
            wire::write_string(out, target);
            wire::write_string(out, ks);
            wire::write_string(out, name);
            wire::write_string_list(out, arg_types);
        }
    }
}

/// Type option ids (spec §4.2.5.2).
pub mod type_id {
    pub const CUSTOM: u16 = 0x0000;
    pub const ASCII: u16 = 0x0001;
    pub const BIGINT: u16 = 0x0002;
    pub const BLOB: u16 = 0x0003;
    pub const BOOLEAN: u16 = 0x0004;
    pub const COUNTER: u16 = 0x0005;
    pub const DECIMAL: u16 = 0x0006;
    pub const DOUBLE: u16 = 0x0007;
    pub const FLOAT: u16 = 0x0008;
    pub const INT: u16 = 0x0009;
    pub const TIMESTAMP: u16 = 0x000B;
    pub const UUID: u16 = 0x000C;
    pub const VARCHAR: u16 = 0x000D;
    pub const VARINT: u16 = 0x000E;
    pub const TIMEUUID: u16 = 0x000F;
    pub const INET: u16 = 0x0010;
    pub const DATE: u16 = 0x0011;
    pub const TIME: u16 = 0x0012;
    pub const SMALLINT: u16 = 0x0013;
    pub const TINYINT: u16 = 0x0014;
    pub const DURATION: u16 = 0x0015;
    pub const LIST: u16 = 0x0020;
    pub const MAP: u16 = 0x0021;
    pub const SET: u16 = 0x0022;
    pub const UDT: u16 = 0x0030;
    pub const TUPLE: u16 = 0x0031;
}

/// The option id of a native type and the first version that has it (older ones get the custom
/// class name, as Cassandra's `DataType` does). `text` is sent as Varchar (0x000D) like Cassandra.
fn native_id(t: NativeType) -> (u16, ProtocolVersion) {
    use type_id::*;
    use ProtocolVersion::*;
    match t {
        NativeType::Ascii => (ASCII, V3),
        NativeType::Bigint => (BIGINT, V3),
        NativeType::Blob => (BLOB, V3),
        NativeType::Boolean => (BOOLEAN, V3),
        NativeType::Counter => (COUNTER, V3),
        NativeType::Decimal => (DECIMAL, V3),
        NativeType::Double => (DOUBLE, V3),
        NativeType::Float => (FLOAT, V3),
        NativeType::Int => (INT, V3),
        NativeType::Timestamp => (TIMESTAMP, V3),
        NativeType::Uuid => (UUID, V3),
        NativeType::Text => (VARCHAR, V3),
        NativeType::Varint => (VARINT, V3),
        NativeType::Timeuuid => (TIMEUUID, V3),
        NativeType::Inet => (INET, V3),
        NativeType::Date => (DATE, V4),
        NativeType::Time => (TIME, V4),
        NativeType::Smallint => (SMALLINT, V4),
        NativeType::Tinyint => (TINYINT, V4),
        NativeType::Duration => (DURATION, V5),
    }
}

/// Appends a type as an [option].
pub fn write_type(out: &mut BytesMut, typ: &CqlType, version: ProtocolVersion) {
    match typ {
        CqlType::Native(n) => {
            let (id, since) = native_id(*n);
            if version >= since {
                wire::write_short(out, id);
            } else {
                wire::write_short(out, type_id::CUSTOM);
                wire::write_string(out, &marshal_class(typ));
            }
        }
        CqlType::List { element, .. } => {
            wire::write_short(out, type_id::LIST);
            write_type(out, element, version);
        }
        CqlType::Set { element, .. } => {
            wire::write_short(out, type_id::SET);
            write_type(out, element, version);
        }
        CqlType::Map { key, value, .. } => {
            wire::write_short(out, type_id::MAP);
            write_type(out, key, version);
            write_type(out, value, version);
        }
        CqlType::Tuple(items) => {
            wire::write_short(out, type_id::TUPLE);
            wire::write_short(out, items.len() as u16);
            for t in items {
                write_type(out, t, version);
            }
        }
        CqlType::Udt { keyspace, name, fields, .. } => {
            wire::write_short(out, type_id::UDT);
            wire::write_string(out, keyspace);
            wire::write_string(out, name);
            wire::write_short(out, fields.len() as u16);
            for (field, t) in fields {
                wire::write_string(out, field);
                write_type(out, t, version);
            }
        }
        CqlType::Vector { .. } => {
            wire::write_short(out, type_id::CUSTOM);
            wire::write_string(out, &marshal_class(typ));
        }
        CqlType::Custom(class) => {
            wire::write_short(out, type_id::CUSTOM);
            wire::write_string(out, class);
        }
    }
}

const MARSHAL: &str = "org.apache.cassandra.db.marshal.";

fn native_class(t: NativeType) -> &'static str {
    match t {
        NativeType::Ascii => "AsciiType",
        NativeType::Bigint => "LongType",
        NativeType::Blob => "BytesType",
        NativeType::Boolean => "BooleanType",
        NativeType::Counter => "CounterColumnType",
        NativeType::Date => "SimpleDateType",
        NativeType::Decimal => "DecimalType",
        NativeType::Double => "DoubleType",
        NativeType::Duration => "DurationType",
        NativeType::Float => "FloatType",
        NativeType::Inet => "InetAddressType",
        NativeType::Int => "Int32Type",
        NativeType::Smallint => "ShortType",
        NativeType::Text => "UTF8Type",
        NativeType::Time => "TimeType",
        NativeType::Timestamp => "TimestampType",
        NativeType::Timeuuid => "TimeUUIDType",
        NativeType::Tinyint => "ByteType",
        NativeType::Uuid => "UUIDType",
        NativeType::Varint => "IntegerType",
    }
}

/// The Java class-name form of a type (Cassandra's `AbstractType.toString()`), used for custom
/// type options: `org.apache.cassandra.db.marshal.Int32Type`,
/// `org.apache.cassandra.db.marshal.FrozenType(org.apache.cassandra.db.marshal.ListType(...))`,
/// `org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType , 3)`.
pub fn marshal_class(typ: &CqlType) -> String {
    let mut s = String::new();
    write_marshal(&mut s, typ, false);
    s
}

fn write_marshal(s: &mut String, typ: &CqlType, ignore_freezing: bool) {
    let frozen_collection = |s: &mut String, frozen: bool, class: &str, params: &[&CqlType]| {
        let wrap = frozen && !ignore_freezing;
        if wrap {
            let _ = write!(s, "{MARSHAL}FrozenType(");
        }
        let _ = write!(s, "{MARSHAL}{class}(");
        for (i, p) in params.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            write_marshal(s, p, ignore_freezing || frozen);
        }
        s.push(')');
        if wrap {
            s.push(')');
        }
    };
    match typ {
        CqlType::Native(n) => {
            let _ = write!(s, "{MARSHAL}{}", native_class(*n));
        }
        CqlType::List { element, frozen } => frozen_collection(s, *frozen, "ListType", &[element]),
        CqlType::Set { element, frozen } => frozen_collection(s, *frozen, "SetType", &[element]),
        CqlType::Map { key, value, frozen } => frozen_collection(s, *frozen, "MapType", &[key, value]),
        CqlType::Tuple(items) => {
            let _ = write!(s, "{MARSHAL}TupleType(");
            for (i, t) in items.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                write_marshal(s, t, true);
            }
            s.push(')');
        }
        CqlType::Udt { keyspace, name, fields, frozen } => {
            let wrap = *frozen && !ignore_freezing;
            if wrap {
                let _ = write!(s, "{MARSHAL}FrozenType(");
            }
            let _ = write!(s, "{MARSHAL}UserType({keyspace},{}", hex(name.as_bytes()));
            for (field, t) in fields {
                let _ = write!(s, ",{}:", hex(field.as_bytes()));
                write_marshal(s, t, ignore_freezing || *frozen);
            }
            s.push(')');
            if wrap {
                s.push(')');
            }
        }
        CqlType::Vector { element, dimension } => {
            // Vector elements are always frozen (VectorType.getInstance freezes them).
            let _ = write!(s, "{MARSHAL}VectorType(");
            write_marshal(s, &element.as_ref().clone().frozen(), false);
            let _ = write!(s, " , {dimension})");
        }
        CqlType::Custom(class) => s.push_str(class),
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProtocolVersion::*;

    fn body(r: &Response, v: ProtocolVersion) -> Vec<u8> {
        let mut out = BytesMut::new();
        r.encode_body(v, &mut out);
        out.to_vec()
    }

    fn string(s: &str) -> Vec<u8> {
        let mut v = (s.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(s.as_bytes());
        v
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    fn col(ks: &str, table: &str, name: &str, typ: CqlType) -> ColumnSpec {
        ColumnSpec { keyspace: ks.into(), table: table.into(), name: name.into(), typ }
    }

    fn type_bytes(t: &CqlType, v: ProtocolVersion) -> Vec<u8> {
        let mut out = BytesMut::new();
        write_type(&mut out, t, v);
        out.to_vec()
    }

    fn error_body(e: Error) -> Vec<u8> {
        body(&Response::Error(e), V4)
    }

    #[test]
    fn ready_has_an_empty_body() {
        assert!(body(&Response::Ready, V4).is_empty());
        assert_eq!(Response::Ready.opcode(), Opcode::Ready);
    }

    #[test]
    fn authenticate_is_the_authenticator_class_name() {
        let class = "org.apache.cassandra.auth.PasswordAuthenticator";
        assert_eq!(body(&Response::Authenticate(class.into()), V4), string(class));
    }

    #[test]
    fn auth_success_is_a_bytes_token() {
        assert_eq!(body(&Response::AuthSuccess(None), V4), [0xFF, 0xFF, 0xFF, 0xFF]);
    }

    #[test]
    fn supported_lists_cql_version_compression_and_protocol_versions() {
        let expected = cat(&[
            &[0, 3],
            &string("CQL_VERSION"),
            &[0, 1],
            &string("3.4.7"),
            &string("COMPRESSION"),
            &[0, 2],
            &string("snappy"),
            &string("lz4"),
            &string("PROTOCOL_VERSIONS"),
            &[0, 3],
            &string("3/v3"),
            &string("4/v4"),
            &string("5/v5"),
        ]);
        assert_eq!(body(&Response::Supported, V4), expected);
    }

    #[test]
    fn supported_has_no_scylla_or_product_type_keys() {
        assert!(supported_options().iter().all(|(k, _)| !k.starts_with("SCYLLA") && *k != "PRODUCT_TYPE"));
    }

    #[test]
    fn server_error_is_code_and_message() {
        assert_eq!(error_body(Error::Server("boom".into())), cat(&[&[0, 0, 0, 0], &string("boom")]));
    }

    #[test]
    fn protocol_error_is_code_0x000a() {
        assert_eq!(error_body(Error::Protocol("bad".into())), cat(&[&[0, 0, 0, 0x0A], &string("bad")]));
    }

    #[test]
    fn simple_errors_have_no_extra_fields() {
        for (e, code) in [
            (Error::BadCredentials("m".into()), 0x0100i32),
            (Error::Overloaded("m".into()), 0x1001),
            (Error::Syntax("m".into()), 0x2000),
            (Error::Unauthorized("m".into()), 0x2100),
            (Error::Invalid("m".into()), 0x2200),
            (Error::Config("m".into()), 0x2300),
        ] {
            assert_eq!(error_body(e), cat(&[&code.to_be_bytes(), &string("m")]));
        }
    }

    #[test]
    fn unavailable_carries_consistency_required_and_alive() {
        let e = Error::Unavailable { message: "m".into(), consistency: 4, required: 2, alive: 1 };
        assert_eq!(error_body(e), cat(&[&[0, 0, 0x10, 0], &string("m"), &[0, 4], &[0, 0, 0, 2], &[0, 0, 0, 1]]));
    }

    #[test]
    fn write_timeout_carries_consistency_received_block_for_and_write_type() {
        let e = Error::WriteTimeout {
            message: "m".into(),
            consistency: 1,
            received: 0,
            block_for: 1,
            write_type: "SIMPLE".into(),
        };
        assert_eq!(
            error_body(e),
            cat(&[&[0, 0, 0x11, 0], &string("m"), &[0, 1], &[0, 0, 0, 0], &[0, 0, 0, 1], &string("SIMPLE")])
        );
    }

    #[test]
    fn read_timeout_carries_consistency_received_block_for_and_data_present() {
        let e =
            Error::ReadTimeout { message: "m".into(), consistency: 1, received: 0, block_for: 1, data_present: true };
        assert_eq!(error_body(e), cat(&[&[0, 0, 0x12, 0], &string("m"), &[0, 1], &[0, 0, 0, 0], &[0, 0, 0, 1], &[1]]));
    }

    #[test]
    fn function_failure_carries_keyspace_function_and_arg_types() {
        let e = Error::FunctionFailure {
            message: "m".into(),
            keyspace: "ks".into(),
            function: "f".into(),
            arg_types: vec!["int".into()],
        };
        assert_eq!(
            error_body(e),
            cat(&[&[0, 0, 0x14, 0], &string("m"), &string("ks"), &string("f"), &[0, 1], &string("int")])
        );
    }

    #[test]
    fn function_failure_in_v3_is_invalid() {
        let e = Error::FunctionFailure {
            message: "m".into(),
            keyspace: "k".into(),
            function: "f".into(),
            arg_types: vec![],
        };
        assert_eq!(body(&Response::Error(e), V3), cat(&[&[0, 0, 0x22, 0], &string("ERROR FUNCTION_FAILURE: m")]));
    }

    #[test]
    fn already_exists_carries_keyspace_and_table() {
        let e = Error::AlreadyExists { message: "m".into(), keyspace: "ks".into(), table: "".into() };
        assert_eq!(error_body(e), cat(&[&[0, 0, 0x24, 0], &string("m"), &string("ks"), &string("")]));
    }

    #[test]
    fn unprepared_carries_the_id_as_short_bytes() {
        let e = Error::Unprepared { message: "m".into(), id: Bytes::from_static(&[0xAB, 0xCD]) };
        assert_eq!(error_body(e), cat(&[&[0, 0, 0x25, 0], &string("m"), &[0, 2, 0xAB, 0xCD]]));
    }

    #[test]
    fn void_result_is_kind_one() {
        assert_eq!(body(&Response::Result(QueryResult::Void), V4), [0, 0, 0, 1]);
    }

    #[test]
    fn set_keyspace_result_is_kind_three_and_the_name() {
        assert_eq!(
            body(&Response::Result(QueryResult::SetKeyspace("ks".into())), V4),
            cat(&[&[0, 0, 0, 3], &string("ks")])
        );
    }

    #[test]
    fn rows_of_one_table_use_the_global_table_spec() {
        let rows = Rows {
            metadata: ResultMetadata {
                columns: vec![col("ks", "t", "k", CqlType::INT), col("ks", "t", "v", CqlType::TEXT)],
                ..Default::default()
            },
            rows: vec![vec![Some(Bytes::from_static(&[0, 0, 0, 1])), None]],
        };
        let expected = cat(&[
            &[0, 0, 0, 2],
            &[0, 0, 0, 1],
            &[0, 0, 0, 2],
            &string("ks"),
            &string("t"),
            &string("k"),
            &[0, 0x09],
            &string("v"),
            &[0, 0x0D],
            &[0, 0, 0, 1],
            &[0, 0, 0, 4, 0, 0, 0, 1],
            &[0xFF, 0xFF, 0xFF, 0xFF],
        ]);
        assert_eq!(body(&Response::Result(QueryResult::Rows(rows)), V4), expected);
    }

    #[test]
    fn rows_of_several_tables_spell_out_each_column_table() {
        let rows = Rows {
            metadata: ResultMetadata {
                columns: vec![col("a", "t", "x", CqlType::BOOLEAN), col("b", "t", "y", CqlType::UUID)],
                ..Default::default()
            },
            rows: vec![],
        };
        let expected = cat(&[
            &[0, 0, 0, 2],
            &[0, 0, 0, 0],
            &[0, 0, 0, 2],
            &string("a"),
            &string("t"),
            &string("x"),
            &[0, 0x04],
            &string("b"),
            &string("t"),
            &string("y"),
            &[0, 0x0C],
            &[0, 0, 0, 0],
        ]);
        assert_eq!(body(&Response::Result(QueryResult::Rows(rows)), V4), expected);
    }

    #[test]
    fn rows_with_more_pages_carry_the_paging_state_before_the_specs() {
        let rows = Rows {
            metadata: ResultMetadata {
                columns: vec![col("ks", "t", "k", CqlType::INT)],
                paging_state: Some(Bytes::from_static(&[9, 9])),
                ..Default::default()
            },
            rows: vec![],
        };
        let expected = cat(&[
            &[0, 0, 0, 2],
            &[0, 0, 0, 3],
            &[0, 0, 0, 1],
            &[0, 0, 0, 2, 9, 9],
            &string("ks"),
            &string("t"),
            &string("k"),
            &[0, 9],
            &[0, 0, 0, 0],
        ]);
        assert_eq!(body(&Response::Result(QueryResult::Rows(rows)), V4), expected);
    }

    #[test]
    fn rows_without_metadata_send_flags_count_and_paging_state_only() {
        let rows = Rows {
            metadata: ResultMetadata {
                columns: vec![col("ks", "t", "k", CqlType::INT)],
                paging_state: Some(Bytes::from_static(&[1])),
                no_metadata: true,
                new_metadata_id: None,
            },
            rows: vec![vec![Some(Bytes::new())]],
        };
        let expected =
            cat(&[&[0, 0, 0, 2], &[0, 0, 0, 7], &[0, 0, 0, 1], &[0, 0, 0, 1, 1], &[0, 0, 0, 1], &[0, 0, 0, 0]]);
        assert_eq!(body(&Response::Result(QueryResult::Rows(rows)), V4), expected);
    }

    #[test]
    fn v5_rows_with_a_new_metadata_id_send_it_after_the_paging_state_with_the_full_metadata() {
        let rows = Rows {
            metadata: ResultMetadata {
                columns: vec![col("ks", "t", "k", CqlType::INT)],
                paging_state: Some(Bytes::from_static(&[1])),
                // The client asked to skip the metadata, but its id is stale: it gets them anyway.
                no_metadata: true,
                new_metadata_id: Some(Bytes::from_static(&[0xAB, 0xCD])),
            },
            rows: vec![],
        };
        let expected = cat(&[
            &[0, 0, 0, 2],
            &[0, 0, 0, 0x0B], // Global_tables_spec | Has_more_pages | Metadata_changed
            &[0, 0, 0, 1],
            &[0, 0, 0, 1, 1],
            &[0, 2, 0xAB, 0xCD],
            &string("ks"),
            &string("t"),
            &string("k"),
            &[0, 9],
            &[0, 0, 0, 0],
        ]);
        assert_eq!(body(&Response::Result(QueryResult::Rows(rows.clone())), V5), expected);
        // v4 has no metadata ids: the flag and id are never sent.
        let v4 = body(&Response::Result(QueryResult::Rows(rows)), V4);
        assert_eq!(&v4[4..8], [0, 0, 0, 7]);
    }

    #[test]
    fn rows_with_a_missing_cell_are_not_well_formed() {
        let rows = Rows {
            metadata: ResultMetadata { columns: vec![col("k", "t", "a", CqlType::INT)], ..Default::default() },
            rows: vec![vec![]],
        };
        assert!(!rows_are_well_formed(&rows));
    }

    fn prepared() -> PreparedResult {
        PreparedResult {
            id: Bytes::from_static(&[0xAA, 0xBB]),
            result_metadata_id: Bytes::from_static(&[0xCC]),
            variables: vec![col("ks", "t", "k", CqlType::INT), col("ks", "t", "c", CqlType::TEXT)],
            pk_indexes: vec![0],
            result: ResultMetadata { no_metadata: true, ..Default::default() },
        }
    }

    #[test]
    fn prepared_v4_has_id_metadata_with_pk_indexes_and_result_metadata() {
        let expected = cat(&[
            &[0, 0, 0, 4],
            &[0, 2, 0xAA, 0xBB],
            &[0, 0, 0, 1],
            &[0, 0, 0, 2],
            &[0, 0, 0, 1, 0, 0],
            &string("ks"),
            &string("t"),
            &string("k"),
            &[0, 0x09],
            &string("c"),
            &[0, 0x0D],
            &[0, 0, 0, 4, 0, 0, 0, 0],
        ]);
        assert_eq!(body(&Response::Result(QueryResult::Prepared(prepared())), V4), expected);
    }

    #[test]
    fn prepared_v3_has_no_pk_indexes() {
        let b = body(&Response::Result(QueryResult::Prepared(prepared())), V3);
        assert_eq!(&b[..20], cat(&[&[0, 0, 0, 4], &[0, 2, 0xAA, 0xBB], &[0, 0, 0, 1], &[0, 0, 0, 2], &string("ks")]));
    }

    #[test]
    fn prepared_v5_has_the_result_metadata_id_after_the_id() {
        let b = body(&Response::Result(QueryResult::Prepared(prepared())), V5);
        assert_eq!(&b[..15], cat(&[&[0, 0, 0, 4], &[0, 2, 0xAA, 0xBB], &[0, 1, 0xCC], &[0, 0, 0, 1]]));
    }

    #[test]
    fn prepared_without_variables_has_no_global_table_spec() {
        let p = PreparedResult { variables: vec![], pk_indexes: vec![], ..prepared() };
        let b = body(&Response::Result(QueryResult::Prepared(p)), V4);
        assert_eq!(&b[8..20], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn schema_change_result_for_a_table_is_change_target_keyspace_and_name() {
        let change = SchemaChange {
            change: SchemaChangeType::Created,
            keyspace: "ks".into(),
            target: SchemaChangeTarget::Table("t".into()),
        };
        let expected = cat(&[&[0, 0, 0, 5], &string("CREATED"), &string("TABLE"), &string("ks"), &string("t")]);
        assert_eq!(body(&Response::Result(QueryResult::SchemaChange(change)), V4), expected);
    }

    #[test]
    fn schema_change_for_a_keyspace_has_only_the_keyspace() {
        let change = SchemaChange {
            change: SchemaChangeType::Dropped,
            keyspace: "ks".into(),
            target: SchemaChangeTarget::Keyspace,
        };
        let mut out = BytesMut::new();
        encode_schema_change(&change, V4, &mut out);
        assert_eq!(&out[..], cat(&[&string("DROPPED"), &string("KEYSPACE"), &string("ks")]));
    }

    #[test]
    fn schema_change_for_a_function_carries_arg_types_in_v4() {
        let change = SchemaChange {
            change: SchemaChangeType::Updated,
            keyspace: "ks".into(),
            target: SchemaChangeTarget::Function { name: "f".into(), arg_types: vec!["int".into(), "text".into()] },
        };
        let mut out = BytesMut::new();
        encode_schema_change(&change, V4, &mut out);
        assert_eq!(
            &out[..],
            cat(&[
                &string("UPDATED"),
                &string("FUNCTION"),
                &string("ks"),
                &string("f"),
                &[0, 2],
                &string("int"),
                &string("text")
            ])
        );
    }

    #[test]
    fn schema_change_for_an_aggregate_in_v3_is_keyspace_updated() {
        let change = SchemaChange {
            change: SchemaChangeType::Created,
            keyspace: "ks".into(),
            target: SchemaChangeTarget::Aggregate { name: "a".into(), arg_types: vec![] },
        };
        let mut out = BytesMut::new();
        encode_schema_change(&change, V3, &mut out);
        assert_eq!(&out[..], cat(&[&string("UPDATED"), &string("KEYSPACE"), &string("ks")]));
    }

    #[test]
    fn schema_change_event_starts_with_the_event_type() {
        let change = SchemaChange {
            change: SchemaChangeType::Created,
            keyspace: "ks".into(),
            target: SchemaChangeTarget::Type("u".into()),
        };
        let expected =
            cat(&[&string("SCHEMA_CHANGE"), &string("CREATED"), &string("TYPE"), &string("ks"), &string("u")]);
        assert_eq!(body(&Response::Event(Event::SchemaChange(Arc::new(change))), V4), expected);
    }

    #[test]
    fn native_types_use_their_option_ids() {
        use NativeType::*;
        let cases = [
            (Ascii, 0x01),
            (Bigint, 0x02),
            (Blob, 0x03),
            (Boolean, 0x04),
            (Counter, 0x05),
            (Decimal, 0x06),
            (Double, 0x07),
            (Float, 0x08),
            (Int, 0x09),
            (Timestamp, 0x0B),
            (Uuid, 0x0C),
            (Text, 0x0D),
            (Varint, 0x0E),
            (Timeuuid, 0x0F),
            (Inet, 0x10),
            (Date, 0x11),
            (Time, 0x12),
            (Smallint, 0x13),
            (Tinyint, 0x14),
        ];
        for (t, id) in cases {
            assert_eq!(type_bytes(&CqlType::Native(t), V4), [0, id], "{t:?}");
        }
    }

    #[test]
    fn duration_is_custom_in_v4_and_0x0015_in_v5() {
        let d = CqlType::Native(NativeType::Duration);
        assert_eq!(type_bytes(&d, V4), cat(&[&[0, 0], &string("org.apache.cassandra.db.marshal.DurationType")]));
        assert_eq!(type_bytes(&d, V5), [0, 0x15]);
    }

    #[test]
    fn v4_only_types_are_custom_in_v3() {
        let date = CqlType::Native(NativeType::Date);
        assert_eq!(type_bytes(&date, V3), cat(&[&[0, 0], &string("org.apache.cassandra.db.marshal.SimpleDateType")]));
        let tiny = CqlType::list(CqlType::Native(NativeType::Tinyint));
        assert_eq!(
            type_bytes(&tiny, V3),
            cat(&[&[0, 0x20, 0, 0], &string("org.apache.cassandra.db.marshal.ByteType")])
        );
    }

    #[test]
    fn collections_nest_their_element_options() {
        assert_eq!(type_bytes(&CqlType::list(CqlType::INT), V4), [0, 0x20, 0, 0x09]);
        assert_eq!(type_bytes(&CqlType::set(CqlType::TEXT).frozen(), V4), [0, 0x22, 0, 0x0D]);
        assert_eq!(
            type_bytes(&CqlType::map(CqlType::TEXT, CqlType::list(CqlType::BIGINT)), V4),
            [0, 0x21, 0, 0x0D, 0, 0x20, 0, 0x02]
        );
    }

    #[test]
    fn tuple_is_count_then_component_options() {
        assert_eq!(
            type_bytes(&CqlType::Tuple(vec![CqlType::INT, CqlType::BLOB]), V4),
            [0, 0x31, 0, 2, 0, 0x09, 0, 0x03]
        );
    }

    #[test]
    fn udt_is_keyspace_name_and_named_fields() {
        let udt = CqlType::Udt {
            keyspace: "ks".into(),
            name: "addr".into(),
            fields: vec![("street".into(), CqlType::TEXT), ("no".into(), CqlType::INT)],
            frozen: true,
        };
        let expected = cat(&[
            &[0, 0x30],
            &string("ks"),
            &string("addr"),
            &[0, 2],
            &string("street"),
            &[0, 0x0D],
            &string("no"),
            &[0, 9],
        ]);
        assert_eq!(type_bytes(&udt, V4), expected);
    }

    #[test]
    fn custom_type_is_its_class_name() {
        let t = CqlType::Custom("com.example.MyType".into());
        assert_eq!(type_bytes(&t, V4), cat(&[&[0, 0], &string("com.example.MyType")]));
    }

    #[test]
    fn vector_is_the_custom_vector_type_as_cassandra_5_sends_it() {
        let v = CqlType::Vector { element: Box::new(CqlType::Native(NativeType::Float)), dimension: 3 };
        let class = "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType , 3)";
        assert_eq!(type_bytes(&v, V4), cat(&[&[0, 0], &string(class)]));
        assert_eq!(type_bytes(&v, V5), cat(&[&[0, 0], &string(class)]));
    }

    #[test]
    fn vector_of_a_collection_freezes_its_element() {
        let v = CqlType::Vector { element: Box::new(CqlType::list(CqlType::INT)), dimension: 2 };
        assert_eq!(
            marshal_class(&v),
            "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FrozenType(\
             org.apache.cassandra.db.marshal.ListType(org.apache.cassandra.db.marshal.Int32Type)) , 2)"
        );
    }

    #[test]
    fn marshal_class_of_a_frozen_udt_hex_encodes_names() {
        let udt = CqlType::Udt {
            keyspace: "ks".into(),
            name: "ab".into(),
            fields: vec![("x".into(), CqlType::list(CqlType::INT).frozen())],
            frozen: true,
        };
        assert_eq!(
            marshal_class(&udt),
            "org.apache.cassandra.db.marshal.FrozenType(org.apache.cassandra.db.marshal.UserType(ks,6162,78:\
             org.apache.cassandra.db.marshal.ListType(org.apache.cassandra.db.marshal.Int32Type)))"
        );
    }

    #[test]
    fn marshal_class_of_a_map_lists_key_and_value_without_spaces() {
        assert_eq!(
            marshal_class(&CqlType::map(CqlType::TEXT, CqlType::set(CqlType::UUID).frozen())),
            "org.apache.cassandra.db.marshal.MapType(org.apache.cassandra.db.marshal.UTF8Type,\
             org.apache.cassandra.db.marshal.FrozenType(org.apache.cassandra.db.marshal.SetType(\
             org.apache.cassandra.db.marshal.UUIDType)))"
        );
    }
}
