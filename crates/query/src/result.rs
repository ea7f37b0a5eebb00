//! Results of statements, in the shape the native protocol's RESULT message carries them.

use bytes::Bytes;
use cql_types::CqlType;

/// One column of a result or of a prepared statement's bind variables.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpec {
    pub keyspace: String,
    pub table: String,
    pub name: String,
    pub typ: CqlType,
}

/// Rows metadata (spec §4.2.5.2).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultMetadata {
    pub columns: Vec<ColumnSpec>,
    /// Set: more pages follow; send this back to get the next one.
    pub paging_state: Option<Bytes>,
    /// Leave the column specs out (flag No_metadata); the column count is still sent.
    pub no_metadata: bool,
    /// v5 EXECUTE: the statement's result metadata changed since the client prepared it; this is
    /// its new result metadata id, sent with the full metadata (flag Metadata_changed).
    pub new_metadata_id: Option<Bytes>,
}

/// A page of rows. Each row has one cell per column; `None` is null.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rows {
    pub metadata: ResultMetadata,
    pub rows: Vec<Vec<Option<Bytes>>>,
}

/// What a PREPARE returns.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedResult {
    /// MD5 of keyspace and query text.
    pub id: Bytes,
    /// The v5 result metadata id (MD5 of the result columns).
    pub result_metadata_id: Bytes,
    /// The bind variables, in order.
    pub variables: Vec<ColumnSpec>,
    /// For each partition key column in key order, the index of the bind variable that sets it;
    /// empty when not every component is a plain bind marker.
    pub pk_indexes: Vec<u16>,
    /// Columns of the rows it will return (empty for non-SELECT, with `no_metadata` set).
    pub result: ResultMetadata,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaChangeType {
    Created,
    Updated,
    Dropped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaChangeTarget {
    Keyspace,
    Table(String),
    Type(String),
    Function { name: String, arg_types: Vec<String> },
    Aggregate { name: String, arg_types: Vec<String> },
}

/// A schema change: both the RESULT of a DDL statement and the SCHEMA_CHANGE event pushed to
/// connections that registered for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaChange {
    pub change: SchemaChangeType,
    pub keyspace: String,
    pub target: SchemaChangeTarget,
}

/// The result of a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    Void,
    Rows(Rows),
    SetKeyspace(String),
    Prepared(PreparedResult),
    SchemaChange(SchemaChange),
}
