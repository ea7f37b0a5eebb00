//! Shared by the integration tests: a query processor on a real storage engine in a temporary
//! directory (no sockets), driven with CQL text, with results shown as CQL literals (as cqlsh prints
//! them: `'text'`, `[1, 2]`, `{a: 1}`, `null`) for compact assertions.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bytes::Bytes;
use cql_types::{CqlType, CqlValue};
use query::{ClientState, Error, NodeConfig, QueryOptions, QueryProcessor, QueryResult, Rows, Value};

pub struct Tester {
    _dir: tempfile::TempDir,
    pub processor: QueryProcessor,
    pub state: ClientState,
}

fn config(dir: &std::path::Path) -> NodeConfig {
    NodeConfig {
        cluster_name: "Test Cluster".into(),
        listen_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
        native_port: 9042,
        data_dir: dir.to_path_buf(),
        storage: storage::StorageConfig {
            sync: storage::SyncMode::Periodic { period: Duration::from_millis(100) },
            commitlog_segment_size_bytes: 1 << 20,
            memtable_flush_threshold_bytes: 1 << 20,
            compaction_threshold: 4,
            ..storage::StorageConfig::new(dir)
        },
    }
}

/// A cell as cqlsh prints it (`null` for null).
pub fn show(typ: &CqlType, v: &Option<Bytes>) -> String {
    match v {
        None => "null".into(),
        Some(b) => CqlValue::cql_literal(typ, b).unwrap_or_else(|e| format!("<invalid: {e}>")),
    }
}

/// The rows of a result, each cell as a CQL literal.
pub fn show_rows(r: &Rows) -> Vec<Vec<String>> {
    r.rows.iter().map(|row| row.iter().zip(&r.metadata.columns).map(|(v, c)| show(&c.typ, v)).collect()).collect()
}

/// An expected row from its cells.
pub fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

/// Expected rows from their cells.
pub fn rows(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter().map(|r| row(r)).collect()
}

pub fn int(v: i32) -> Value {
    Value::Bytes(Bytes::copy_from_slice(&v.to_be_bytes()))
}

pub fn bigint(v: i64) -> Value {
    Value::Bytes(Bytes::copy_from_slice(&v.to_be_bytes()))
}

pub fn text(v: &str) -> Value {
    Value::Bytes(Bytes::copy_from_slice(v.as_bytes()))
}

impl Tester {
    /// A fresh node with keyspace `ks` in use.
    pub fn new() -> Tester {
        let dir = tempfile::tempdir().unwrap();
        let processor = QueryProcessor::open(config(dir.path())).unwrap();
        let mut t = Tester { _dir: dir, processor, state: ClientState { protocol_version: 4, ..Default::default() } };
        t.exec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
        t.exec("USE ks");
        t
    }

    /// Shuts the node down and opens it again on the same directory.
    pub fn reopen(self) -> Tester {
        self.processor.shutdown().unwrap();
        let Tester { _dir, processor, state } = self;
        drop(processor);
        let processor = QueryProcessor::open(config(_dir.path())).unwrap();
        Tester { _dir, processor, state }
    }

    /// Runs `q` with bound `values` and the other `options`.
    pub fn try_exec_with(&mut self, q: &str, values: Vec<Value>, options: QueryOptions) -> Result<QueryResult, Error> {
        let options = QueryOptions { values, ..options };
        self.processor.query(&mut self.state, q, &options).map(|o| o.result)
    }

    pub fn try_exec(&mut self, q: &str) -> Result<QueryResult, Error> {
        self.try_exec_with(q, Vec::new(), QueryOptions::default())
    }

    pub fn exec(&mut self, q: &str) -> QueryResult {
        self.try_exec(q).unwrap_or_else(|e| panic!("{q}: {e:?}"))
    }

    /// Runs `q` as if the server's clock said `now` (seconds since the epoch), for TTLs.
    pub fn exec_at(&mut self, q: &str, now: i32) -> QueryResult {
        let options = QueryOptions { now_in_seconds: Some(now), ..Default::default() };
        self.try_exec_with(q, Vec::new(), options).unwrap_or_else(|e| panic!("{q}: {e:?}"))
    }

    fn result_rows(&mut self, q: &str, r: QueryResult) -> Rows {
        match r {
            QueryResult::Rows(r) => r,
            other => panic!("{q}: not rows: {other:?}"),
        }
    }

    /// The rows of a statement returning rows, as CQL literals.
    pub fn rows(&mut self, q: &str) -> Vec<Vec<String>> {
        let r = self.exec(q);
        show_rows(&self.result_rows(q, r))
    }

    /// [`Tester::rows`] at server time `now`.
    pub fn rows_at(&mut self, q: &str, now: i32) -> Vec<Vec<String>> {
        let r = self.exec_at(q, now);
        show_rows(&self.result_rows(q, r))
    }

    /// The names of the result columns.
    pub fn columns(&mut self, q: &str) -> Vec<String> {
        let r = self.exec(q);
        self.result_rows(q, r).metadata.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// The names and types of the result columns.
    pub fn column_specs(&mut self, q: &str) -> Vec<(String, String)> {
        let r = self.exec(q);
        self.result_rows(q, r).metadata.columns.iter().map(|c| (c.name.clone(), c.typ.to_string())).collect()
    }

    /// The result's column names, then its rows.
    pub fn table(&mut self, q: &str) -> Vec<Vec<String>> {
        let r = self.exec(q);
        let r = self.result_rows(q, r);
        let mut out = vec![r.metadata.columns.iter().map(|c| c.name.clone()).collect()];
        out.extend(show_rows(&r));
        out
    }

    /// Every page of a query run with this page size.
    pub fn pages(&mut self, q: &str, page_size: i32) -> Vec<Vec<Vec<String>>> {
        let mut options = QueryOptions { page_size: Some(page_size), ..Default::default() };
        let mut out = Vec::new();
        loop {
            let r = self.try_exec_with(q, Vec::new(), options.clone()).unwrap_or_else(|e| panic!("{q}: {e:?}"));
            let r = self.result_rows(q, r);
            out.push(show_rows(&r));
            match r.metadata.paging_state {
                Some(s) => options.paging_state = Some(s),
                None => return out,
            }
        }
    }

    /// The error of a statement that must fail.
    pub fn error(&mut self, q: &str) -> Error {
        match self.try_exec(q) {
            Ok(r) => panic!("{q}: expected an error, got {r:?}"),
            Err(e) => e,
        }
    }

    /// The message of a statement that must fail with an InvalidRequest.
    pub fn invalid(&mut self, q: &str) -> String {
        match self.error(q) {
            Error::Invalid(m) => m,
            other => panic!("{q}: expected an InvalidRequest, got {other:?}"),
        }
    }

    /// Prepares and executes `q` with `values`.
    pub fn execute(&mut self, q: &str, values: Vec<Value>) -> Result<QueryResult, Error> {
        let p = self.processor.prepare(&self.state, q, None)?;
        let options = QueryOptions { values, ..Default::default() };
        self.processor.execute(&mut self.state, &p.id, &options).map(|o| o.result)
    }

    /// [`Tester::execute`] of a statement returning rows.
    pub fn execute_rows(&mut self, q: &str, values: Vec<Value>) -> Vec<Vec<String>> {
        let r = self.execute(q, values).unwrap_or_else(|e| panic!("{q}: {e:?}"));
        show_rows(&self.result_rows(q, r))
    }
}
