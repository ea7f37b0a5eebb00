//! One module per statement family. Each takes the parsed statement, the pinned schema and the
//! bound values, and produces a result (and, for writes, mutations applied through [`Ctx`]).

pub mod ddl;
pub mod describe;
pub mod disabled;
pub mod lwt;
pub mod modification;
pub mod select;

use std::ops::{Bound as KeyBound, RangeBounds};
use std::sync::Arc;

use bytes::Bytes;
use cql_parser::ast::QualifiedName;
use storage::Storage;

use crate::row::{rows_of_partition, CqlRow};
use crate::schema::{Schema, Table};
use crate::virtual_tables::{self, NodeInfo};
use crate::{ClientState, Error};

/// Everything a statement may read while it runs.
pub struct Ctx<'a> {
    pub storage: &'a Storage,
    pub schema: &'a Arc<Schema>,
    pub node: &'a NodeInfo,
    pub client: &'a ClientState,
    /// Server time in seconds, for TTLs and expiry.
    pub now_seconds: i32,
}

/// The live rows of a range, one partition at a time.
pub type PartitionRows<'a> = Box<dyn Iterator<Item = Result<Vec<CqlRow>, Error>> + 'a>;

impl Ctx<'_> {
    /// The keyspace a name refers to: its own, the request's, or the connection's.
    pub fn keyspace_of<'n>(
        &'n self,
        name: &'n QualifiedName,
        request_keyspace: Option<&'n str>,
    ) -> Result<&'n str, Error> {
        name.keyspace.as_deref().or(request_keyspace).or(self.client.keyspace.as_deref()).ok_or_else(|| {
            Error::invalid("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
        })
    }

    /// Resolves a table name against the schema.
    pub fn table(&self, name: &QualifiedName, request_keyspace: Option<&str>) -> Result<Arc<Table>, Error> {
        let ks = self.keyspace_of(name, request_keyspace)?;
        self.schema.table(ks, &name.name).cloned()
    }

    fn storage_error(e: storage::StorageError) -> Error {
        Error::Server(format!("storage error: {e}"))
    }

    /// The live rows of one partition.
    pub fn partition_rows(&self, table: &Table, key: &Bytes) -> Result<Vec<CqlRow>, Error> {
        if let Some(vt) = table.virtual_table {
            let rows = virtual_tables::rows(vt, table, self.schema, self.node, self.client)?;
            return Ok(rows.into_iter().filter(|r| r.partition_key == *key).collect());
        }
        if crate::trace::is_active() {
            return Ok(self.partition_rows_traced(table, key)?.0);
        }
        match self.storage.read_partition(table.id, key).map_err(Self::storage_error)? {
            None => Ok(Vec::new()),
            Some(p) => rows_of_partition(table, &storage_model::purge::live_view(p, self.now_seconds)),
        }
    }

    /// The live rows of one partition whose clustering lies in `ranges` (`start <= c < end`), read as
    /// a slice (only that part of a wide partition is read). For tables without static columns, whose
    /// rows do not depend on the rest of the partition; others, virtual tables and traced reads take
    /// [`Ctx::partition_rows`] (the caller filters by the ranges anyway).
    pub fn partition_rows_in(
        &self,
        table: &Table,
        key: &Bytes,
        ranges: &[(Bytes, Option<Bytes>)],
    ) -> Result<Vec<CqlRow>, Error> {
        if table.virtual_table.is_some() || crate::trace::is_active() || table.has_static_columns() {
            return self.partition_rows(table, key);
        }
        match self.storage.read_partition_slice(table.id, key, ranges).map_err(Self::storage_error)? {
            None => Ok(Vec::new()),
            Some(p) => rows_of_partition(table, &storage_model::purge::live_view(p, self.now_seconds)),
        }
    }

    /// The rows of a stored partition with its live view, the data they come from (for the index
    /// read, which checks its entries against it).
    pub fn partition_rows_and_view(
        &self,
        table: &Table,
        key: &Bytes,
    ) -> Result<(Vec<CqlRow>, Option<storage_model::Partition>), Error> {
        if crate::trace::is_active() {
            return self.partition_rows_traced(table, key);
        }
        let view = self
            .storage
            .read_partition(table.id, key)
            .map_err(Self::storage_error)?
            .map(|p| storage_model::purge::live_view(p, self.now_seconds));
        let rows = match &view {
            None => Vec::new(),
            Some(p) => rows_of_partition(table, p)?,
        };
        Ok((rows, view))
    }

    /// [`Ctx::partition_rows_and_view`] with the steps Cassandra traces for a single-partition read.
    fn partition_rows_traced(
        &self,
        table: &Table,
        key: &Bytes,
    ) -> Result<(Vec<CqlRow>, Option<storage_model::Partition>), Error> {
        use crate::trace::event;
        event(|| format!("Executing single-partition query on {}", table.name));
        event(|| "Acquiring sstable references".to_string());
        let sstables = self.storage.sstable_generations(table.id).map(|g| g.len()).unwrap_or(0);
        let partition = self.storage.read_partition(table.id, key).map_err(Self::storage_error)?;
        event(|| format!("Merged data from memtables and {sstables} sstables"));
        let tombstones = partition.as_ref().map_or(0, crate::trace::tombstones);
        let view = partition.map(|p| storage_model::purge::live_view(p, self.now_seconds));
        let rows = match &view {
            None => Vec::new(),
            Some(p) => rows_of_partition(table, p)?,
        };
        event(|| format!("Read {} live rows and {tombstones} tombstone cells", rows.len()));
        Ok((rows, view))
    }

    /// The live rows of every partition whose key is in the range, one partition at a time.
    pub fn scan_rows(
        &self,
        table: &Table,
        start: KeyBound<Bytes>,
        end: KeyBound<Bytes>,
    ) -> Result<PartitionRows<'_>, Error> {
        if let Some(vt) = table.virtual_table {
            let rows = virtual_tables::rows(vt, table, self.schema, self.node, self.client)?;
            let mut groups: Vec<Vec<CqlRow>> = Vec::new();
            for r in rows {
                if !RangeBounds::<Bytes>::contains(&(start.as_ref(), end.as_ref()), &r.partition_key) {
                    continue;
                }
                match groups.last_mut() {
                    Some(g) if g[0].partition_key == r.partition_key => g.push(r),
                    _ => groups.push(vec![r]),
                }
            }
            return Ok(Box::new(groups.into_iter().map(Ok)));
        }
        let now = self.now_seconds;
        let table = table.clone();
        if crate::trace::is_active() {
            let sstables = self.storage.sstable_generations(table.id).map(|g| g.len()).unwrap_or(0);
            crate::trace::event(|| format!("Executing seq scan across {sstables} sstables on {}", table.name));
        }
        let scan = self.storage.scan(table.id, start, end).map_err(Self::storage_error)?;
        Ok(Box::new(scan.map(move |p| {
            let p = p.map_err(Self::storage_error)?;
            rows_of_partition(&table, &storage_model::purge::live_view(p, now))
        })))
    }
}
