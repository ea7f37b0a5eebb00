//! Statement execution: the schema, the system tables, and CQL semantics on top of the storage engine.
//!
//! Owns: the [`Schema`](schema) (keyspaces, tables, columns, their persistence and the `system_schema`
//! view of them), the virtual system tables (`system.local`, `system.peers`…), preparing statements
//! (ids are MD5 of keyspace and query text, as Cassandra computes them), binding values, turning
//! statements into storage mutations and reads, paging, and the CQL errors Cassandra gives.
//!
//! Must not know about: sockets, frames or protocol versions beyond what a result needs (the
//! `protocol-server` crate encodes [`QueryResult`]s); how the storage engine lays data out on disk.

pub mod auth;
mod bind;
mod clock;
mod error;
mod functions;
mod index;
mod json;
mod paging;
mod processor;
mod result;
mod row;
pub mod schema;
mod statement;
pub mod trace;
mod virtual_tables;

pub use auth::{AuthConfig, Authenticator, Authorizer};
pub use error::{Error, ErrorCode};
pub use processor::{NodeConfig, QueryProcessor};
pub use result::{
    ColumnSpec, PreparedResult, QueryResult, ResultMetadata, Rows, SchemaChange, SchemaChangeTarget, SchemaChangeType,
};
pub use virtual_tables::{CQL_VERSION, RELEASE_VERSION};

use bytes::Bytes;

/// How a request wants its statement run, decoded from the protocol's query parameters.
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    /// The consistency level's protocol code (accepted, not enforced on a single node).
    pub consistency: u16,
    pub values: Vec<Value>,
    /// Names of the values when the client sent named values.
    pub names: Option<Vec<String>>,
    /// The client asked not to repeat the result metadata (EXECUTE only).
    pub skip_metadata: bool,
    /// v5 EXECUTE: the result metadata id the client holds. When the statement's current one
    /// differs, the rows carry the new id and full metadata (Metadata_changed), skip_metadata or not.
    pub result_metadata_id: Option<Bytes>,
    /// Rows per page; `None` (or <= 0) means everything in one page.
    pub page_size: Option<i32>,
    pub paging_state: Option<Bytes>,
    pub serial_consistency: Option<u16>,
    /// The client-supplied default timestamp (microseconds).
    pub timestamp: Option<i64>,
    /// The v5 per-request keyspace.
    pub keyspace: Option<String>,
    /// The v5 now_in_seconds override.
    pub now_in_seconds: Option<i32>,
}

/// A bound value as sent by the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    /// Protocol v4+ "not set": the column is left untouched.
    Unset,
    Bytes(Bytes),
}

/// Per-connection state the statements can read and change.
#[derive(Debug, Clone, Default)]
pub struct ClientState {
    /// The keyspace `USE` selected.
    pub keyspace: Option<String>,
    /// The negotiated native protocol version (3, 4 or 5).
    pub protocol_version: u8,
    /// The local address of the client's socket: what `system.local.rpc_address` reports to it.
    pub local_address: Option<std::net::SocketAddr>,
    /// The role the client logged in as (`None`: anonymous, or not yet logged in when an
    /// authenticator requires it).
    pub user: Option<String>,
    /// A statement the server runs itself (on `system_auth`): never checked for permissions.
    pub internal: bool,
}

/// One statement of a BATCH message: query text or a prepared id, with its values.
#[derive(Debug, Clone)]
pub enum BatchStatement {
    Query { query: String, values: Vec<Value> },
    Prepared { id: Bytes, values: Vec<Value> },
}

/// Options of a BATCH message.
#[derive(Debug, Clone, Default)]
pub struct BatchOptions {
    /// 0 logged, 1 unlogged, 2 counter.
    pub kind: u8,
    pub consistency: u16,
    pub serial_consistency: Option<u16>,
    pub timestamp: Option<i64>,
    pub keyspace: Option<String>,
    pub now_in_seconds: Option<i32>,
}

/// What executing a statement produced: the result, and a future that resolves when the writes it
/// made are durable (already resolved in periodic commitlog mode or for reads). The protocol layer
/// answers only after awaiting it.
pub struct Outcome {
    pub result: QueryResult,
    pub durable: Option<storage::WriteAck>,
    /// Warnings to send with the response.
    pub warnings: Vec<String>,
}
