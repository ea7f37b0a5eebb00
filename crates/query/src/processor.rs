//! The entry point the protocol layer calls: QUERY, PREPARE, EXECUTE and BATCH.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::{BatchOptions, BatchStatement, ClientState, Error, Outcome, PreparedResult, QueryOptions};

/// What the query layer needs to know about the node and where to keep things.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub cluster_name: String,
    /// The address clients connect to (system.local.listen_address / broadcast_address).
    pub listen_address: IpAddr,
    pub native_port: u16,
    /// Where the schema and node identity are persisted.
    pub data_dir: PathBuf,
    pub storage: storage::StorageConfig,
}

/// Executes statements. One per server, shared by all connections (`Send + Sync`).
pub struct QueryProcessor {}

impl QueryProcessor {
    /// Loads the schema and opens the storage engine (replaying the commitlog).
    pub fn open(_config: NodeConfig) -> Result<QueryProcessor, Error> {
        Ok(QueryProcessor {})
    }

    /// Runs a QUERY message.
    pub fn query(&self, _state: &mut ClientState, _query: &str, _options: &QueryOptions) -> Result<Outcome, Error> {
        Err(Error::Server("not implemented".into()))
    }

    /// Runs a PREPARE message; `keyspace` is the v5 per-request keyspace.
    pub fn prepare(
        &self,
        _state: &ClientState,
        _query: &str,
        _keyspace: Option<&str>,
    ) -> Result<PreparedResult, Error> {
        Err(Error::Server("not implemented".into()))
    }

    /// Runs an EXECUTE message. An unknown id gives `Error::Unprepared` carrying that id.
    pub fn execute(&self, _state: &mut ClientState, _id: &[u8], _options: &QueryOptions) -> Result<Outcome, Error> {
        Err(Error::Server("not implemented".into()))
    }

    /// Runs a BATCH message.
    pub fn batch(
        &self,
        _state: &mut ClientState,
        _statements: &[BatchStatement],
        _options: &BatchOptions,
    ) -> Result<Outcome, Error> {
        Err(Error::Server("not implemented".into()))
    }

    /// Flushes memtables and syncs the commitlog: call once on shutdown.
    pub fn shutdown(&self) -> Result<(), Error> {
        Ok(())
    }
}
