//! The schema: keyspaces, tables and columns, as one immutable snapshot that statements pin for
//! their whole life. DDL builds a new snapshot and swaps it in.

pub mod cql;
mod params;
pub mod persist;
pub mod system;

use std::collections::BTreeMap;
use std::sync::Arc;

use cql_types::CqlType;
use uuid::Uuid;

pub use params::TableParams;

use crate::Error;

/// The role of a column in its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColumnKind {
    PartitionKey,
    Clustering,
    Regular,
    Static,
}

impl ColumnKind {
    /// As `system_schema.columns.kind` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnKind::PartitionKey => "partition_key",
            ColumnKind::Clustering => "clustering",
            ColumnKind::Regular => "regular",
            ColumnKind::Static => "static",
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub typ: CqlType,
    pub kind: ColumnKind,
    /// Position within the partition key or the clustering key; -1 for regular and static columns.
    pub position: i32,
    /// Clustering columns only: `CLUSTERING ORDER BY (c DESC)`.
    pub reversed: bool,
}

impl Column {
    pub fn is_primary_key(&self) -> bool {
        matches!(self.kind, ColumnKind::PartitionKey | ColumnKind::Clustering)
    }
    /// `asc`, `desc` or `none`, as `system_schema.columns.clustering_order` spells it.
    pub fn clustering_order(&self) -> &'static str {
        match (self.kind, self.reversed) {
            (ColumnKind::Clustering, false) => "asc",
            (ColumnKind::Clustering, true) => "desc",
            _ => "none",
        }
    }
}

/// Which virtual table computes a system table's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VirtualTable {
    Local,
    Peers,
    PeersV2,
    SchemaKeyspaces,
    SchemaTables,
    SchemaColumns,
    SchemaDroppedColumns,
    SchemaTriggers,
    SchemaViews,
    SchemaTypes,
    SchemaFunctions,
    SchemaAggregates,
    SchemaIndexes,
    SchemaColumnMasks,
    VirtualSchemaKeyspaces,
    VirtualSchemaTables,
    VirtualSchemaColumns,
    /// A system table Sibyl describes but keeps empty.
    Empty,
}

/// A table's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub keyspace: String,
    pub name: String,
    pub id: Uuid,
    /// Partition key columns in key order, clustering columns in key order, then static and
    /// regular columns in Cassandra's order (simple before multi-cell, then by name).
    pub columns: Vec<Column>,
    pub partition_key_count: usize,
    pub clustering_count: usize,
    pub params: TableParams,
    /// `Some` for system tables computed on read.
    pub virtual_table: Option<VirtualTable>,
}

impl Table {
    /// Builds a table, putting the columns in canonical order and numbering key positions.
    pub fn new(
        keyspace: &str,
        name: &str,
        id: Uuid,
        partition_key: Vec<(String, CqlType)>,
        clustering: Vec<(String, CqlType, bool)>,
        mut others: Vec<(String, CqlType, bool)>,
        params: TableParams,
    ) -> Table {
        let mut columns = Vec::new();
        let partition_key_count = partition_key.len();
        let clustering_count = clustering.len();
        for (i, (name, typ)) in partition_key.into_iter().enumerate() {
            columns.push(Column { name, typ, kind: ColumnKind::PartitionKey, position: i as i32, reversed: false });
        }
        for (i, (name, typ, reversed)) in clustering.into_iter().enumerate() {
            columns.push(Column { name, typ, kind: ColumnKind::Clustering, position: i as i32, reversed });
        }
        // Cassandra orders statics before regulars, simple before multi-cell, then by name bytes.
        others.sort_by(|a, b| {
            (!a.2, a.1.is_multi_cell(), a.0.as_bytes()).cmp(&(!b.2, b.1.is_multi_cell(), b.0.as_bytes()))
        });
        for (name, typ, is_static) in others {
            let kind = if is_static { ColumnKind::Static } else { ColumnKind::Regular };
            columns.push(Column { name, typ, kind, position: -1, reversed: false });
        }
        Table {
            keyspace: keyspace.to_string(),
            name: name.to_string(),
            id,
            columns,
            partition_key_count,
            clustering_count,
            params,
            virtual_table: None,
        }
    }

    pub fn partition_key(&self) -> &[Column] {
        &self.columns[..self.partition_key_count]
    }
    pub fn clustering(&self) -> &[Column] {
        &self.columns[self.partition_key_count..self.partition_key_count + self.clustering_count]
    }
    /// Static and regular columns.
    pub fn non_key_columns(&self) -> &[Column] {
        &self.columns[self.partition_key_count + self.clustering_count..]
    }
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
    pub fn has_static_columns(&self) -> bool {
        self.columns.iter().any(|c| c.kind == ColumnKind::Static)
    }
    pub fn is_counter(&self) -> bool {
        self.columns.iter().any(|c| c.typ.is_counter())
    }
    /// `(type, reversed)` of each clustering column, as the key codec wants them.
    pub fn clustering_types(&self) -> Vec<(CqlType, bool)> {
        self.clustering().iter().map(|c| (c.typ.clone(), c.reversed)).collect()
    }
}

/// A keyspace's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyspace {
    pub name: String,
    /// `class` (fully qualified) and the strategy's options.
    pub replication: BTreeMap<String, String>,
    pub durable_writes: bool,
    pub tables: BTreeMap<String, Arc<Table>>,
    /// System keyspaces are neither altered nor dropped by users.
    pub is_system: bool,
    /// Virtual keyspaces (`system_views`, `system_virtual_schema`) are listed in
    /// `system_virtual_schema`, not in `system_schema`.
    pub is_virtual: bool,
}

/// An immutable snapshot of the whole schema.
#[derive(Debug, Clone)]
pub struct Schema {
    pub keyspaces: BTreeMap<String, Arc<Keyspace>>,
    /// Changes on every schema change (system.local.schema_version).
    pub version: Uuid,
}

impl Schema {
    pub fn keyspace(&self, name: &str) -> Result<&Arc<Keyspace>, Error> {
        self.keyspaces.get(name).ok_or_else(|| Error::invalid(format!("keyspace {name} does not exist")))
    }

    /// The table, or Cassandra's error for a missing keyspace or table.
    pub fn table(&self, keyspace: &str, name: &str) -> Result<&Arc<Table>, Error> {
        let ks = self.keyspace(keyspace)?;
        ks.tables.get(name).ok_or_else(|| Error::invalid(format!("table {name} does not exist")))
    }

    /// Every table of every keyspace with its id, storage-backed ones only.
    pub fn stored_table_ids(&self) -> Vec<Uuid> {
        self.keyspaces
            .values()
            .flat_map(|ks| ks.tables.values())
            .filter(|t| t.virtual_table.is_none())
            .map(|t| t.id)
            .collect()
    }

    /// A digest of the user schema, as the new schema version after a change.
    pub fn compute_version(&self) -> Uuid {
        use md5::{Digest, Md5};
        let mut h = Md5::new();
        for ks in self.keyspaces.values().filter(|k| !k.is_system) {
            h.update(ks.name.as_bytes());
            for (k, v) in &ks.replication {
                h.update(k.as_bytes());
                h.update(v.as_bytes());
            }
            for t in ks.tables.values() {
                h.update(t.name.as_bytes());
                h.update(t.id.as_bytes());
                for c in &t.columns {
                    h.update(c.name.as_bytes());
                    h.update(c.typ.to_string().as_bytes());
                }
            }
        }
        let mut bytes: [u8; 16] = h.finalize().into();
        // Name-based UUID (version 3), as Cassandra's schema digest is.
        bytes[6] = (bytes[6] & 0x0f) | 0x30;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Uuid::from_bytes(bytes)
    }
}

/// Whether a name needs double quotes to be read back as itself.
pub fn needs_quoting(name: &str) -> bool {
    let mut chars = name.chars();
    let valid = match chars.next() {
        Some(c) if c.is_ascii_lowercase() => chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        _ => false,
    };
    !valid || cql::is_reserved_keyword(name)
}

/// The name as CQL would write it: quoted with `"` when needed.
pub fn quote_identifier(name: &str) -> String {
    if needs_quoting(name) {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_string()
    }
}
