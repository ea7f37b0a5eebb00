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
pub(crate) use params::{cql_map as cql_string_map, quote as cql_quote};

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
    /// `system."IndexInfo"`: the secondary indexes that are built (all of them: Sibyl builds on creation).
    BuiltIndexes,
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
    /// Secondary indexes, by name.
    pub indexes: Vec<crate::index::IndexDef>,
    /// Columns dropped from the table, by name (`system_schema.dropped_columns`): their cells
    /// written up to the drop stay hidden, even once a column of that name is added again.
    pub dropped: BTreeMap<String, DroppedColumn>,
}

/// A dropped column, as Cassandra records it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DroppedColumn {
    /// The drop's timestamp in microseconds: cells written at or before it are dead.
    pub dropped_time: i64,
    /// The column's type in CQL (`list<text>`).
    #[serde(rename = "type")]
    pub typ: String,
    pub is_static: bool,
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
            indexes: Vec::new(),
            dropped: BTreeMap::new(),
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
    /// Indexes of the columns in the order `SELECT *` returns them (Cassandra's
    /// `allColumnsInSelectOrder`): partition key, clustering, then the static and then the regular
    /// columns each by name (where `columns` keeps Cassandra's create order, simple before multi-cell).
    pub fn select_order(&self) -> Vec<usize> {
        let first = self.partition_key_count + self.clustering_count;
        let mut out: Vec<usize> = (0..first).collect();
        for kind in [ColumnKind::Static, ColumnKind::Regular] {
            let mut cols: Vec<usize> = (first..self.columns.len()).filter(|&i| self.columns[i].kind == kind).collect();
            cols.sort_by(|&a, &b| self.columns[a].name.as_bytes().cmp(self.columns[b].name.as_bytes()));
            out.extend(cols);
        }
        out
    }

    /// The index of that name.
    pub fn index(&self, name: &str) -> Option<&crate::index::IndexDef> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// `(type, reversed)` of each clustering column, as the key codec wants them.
    pub fn clustering_types(&self) -> Vec<(CqlType, bool)> {
        self.clustering().iter().map(|c| (c.typ.clone(), c.reversed)).collect()
    }
}

/// A user-defined type of a keyspace (`CREATE TYPE`).
#[derive(Debug, Clone, PartialEq)]
pub struct UserType {
    pub keyspace: String,
    pub name: String,
    /// Fields in declaration order; field types are resolved (nested UDTs carry their fields) and kept
    /// as declared (a `set<text>` field stays non-frozen, as Cassandra keeps it).
    pub fields: Vec<(String, CqlType)>,
}

impl UserType {
    /// The type of a column declared with this UDT, frozen or not.
    pub fn as_type(&self, frozen: bool) -> CqlType {
        let t = CqlType::Udt {
            keyspace: self.keyspace.clone(),
            name: self.name.clone(),
            fields: self.fields.clone(),
            frozen: false,
        };
        if frozen {
            t.frozen_deep()
        } else {
            t
        }
    }

    /// The position of a field.
    pub fn field_position(&self, field: &str) -> Option<usize> {
        self.fields.iter().position(|(f, _)| f == field)
    }
}

/// True when `t` mentions the user type `ks.name` anywhere inside it.
pub fn references_udt(t: &CqlType, ks: &str, name: &str) -> bool {
    match t {
        CqlType::Udt { keyspace, name: n, fields, .. } => {
            (keyspace == ks && n == name) || fields.iter().any(|(_, f)| references_udt(f, ks, name))
        }
        CqlType::List { element, .. } | CqlType::Set { element, .. } | CqlType::Vector { element, .. } => {
            references_udt(element, ks, name)
        }
        CqlType::Map { key, value, .. } => references_udt(key, ks, name) || references_udt(value, ks, name),
        CqlType::Tuple(items) => items.iter().any(|i| references_udt(i, ks, name)),
        CqlType::Native(_) | CqlType::Custom(_) => false,
    }
}

/// `t` with every occurrence of the user type `new.keyspace.new.name` replaced by the new definition
/// (keeping each occurrence's frozenness; inside a frozen type the fields are frozen too).
pub fn replace_udt(t: &CqlType, new: &UserType) -> CqlType {
    match t {
        CqlType::Udt { keyspace, name, fields, frozen } => {
            if *keyspace == new.keyspace && *name == new.name {
                new.as_type(*frozen)
            } else {
                let fields = fields
                    .iter()
                    .map(|(n, f)| {
                        let f = replace_udt(f, new);
                        (n.clone(), if *frozen { f.frozen_deep() } else { f })
                    })
                    .collect();
                CqlType::Udt { keyspace: keyspace.clone(), name: name.clone(), fields, frozen: *frozen }
            }
        }
        CqlType::List { element, frozen } => {
            let e = replace_udt(element, new);
            CqlType::List { element: Box::new(if *frozen { e.frozen_deep() } else { e }), frozen: *frozen }
        }
        CqlType::Set { element, frozen } => {
            let e = replace_udt(element, new);
            CqlType::Set { element: Box::new(if *frozen { e.frozen_deep() } else { e }), frozen: *frozen }
        }
        CqlType::Map { key, value, frozen } => {
            let (k, v) = (replace_udt(key, new), replace_udt(value, new));
            let (k, v) = if *frozen { (k.frozen_deep(), v.frozen_deep()) } else { (k, v) };
            CqlType::Map { key: Box::new(k), value: Box::new(v), frozen: *frozen }
        }
        CqlType::Tuple(items) => CqlType::Tuple(items.iter().map(|i| replace_udt(i, new).frozen_deep()).collect()),
        CqlType::Vector { element, dimension } => {
            CqlType::Vector { element: Box::new(replace_udt(element, new)), dimension: *dimension }
        }
        other => other.clone(),
    }
}

/// `t` (as parsed from its text form, UDTs as name-only placeholders) with every UDT replaced by its
/// definition from `types`; `Err` names the first unknown type.
pub fn resolve_udts(t: &CqlType, types: &BTreeMap<String, Arc<UserType>>) -> Result<CqlType, String> {
    Ok(match t {
        CqlType::Udt { name, frozen, .. } => match types.get(name) {
            Some(u) => u.as_type(*frozen),
            None => return Err(name.clone()),
        },
        CqlType::List { element, frozen } => {
            CqlType::List { element: Box::new(resolve_udts(element, types)?), frozen: *frozen }
        }
        CqlType::Set { element, frozen } => {
            CqlType::Set { element: Box::new(resolve_udts(element, types)?), frozen: *frozen }
        }
        CqlType::Map { key, value, frozen } => CqlType::Map {
            key: Box::new(resolve_udts(key, types)?),
            value: Box::new(resolve_udts(value, types)?),
            frozen: *frozen,
        },
        CqlType::Tuple(items) => {
            CqlType::Tuple(items.iter().map(|i| resolve_udts(i, types)).collect::<Result<_, _>>()?)
        }
        CqlType::Vector { element, dimension } => {
            CqlType::Vector { element: Box::new(resolve_udts(element, types)?), dimension: *dimension }
        }
        other => other.clone(),
    })
}

/// A keyspace's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyspace {
    pub name: String,
    /// `class` (fully qualified) and the strategy's options.
    pub replication: BTreeMap<String, String>,
    pub durable_writes: bool,
    pub tables: BTreeMap<String, Arc<Table>>,
    /// User-defined types by name.
    pub types: BTreeMap<String, Arc<UserType>>,
    /// System keyspaces are neither altered nor dropped by users.
    pub is_system: bool,
    /// Virtual keyspaces (`system_views`, `system_virtual_schema`) are listed in
    /// `system_virtual_schema`, not in `system_schema`.
    pub is_virtual: bool,
}

impl Keyspace {
    /// The table holding the index of that name (index names are unique in a keyspace).
    pub fn indexed_table(&self, index: &str) -> Option<&Arc<Table>> {
        self.tables.values().find(|t| t.index(index).is_some())
    }

    /// The user types in the order DESCRIBE prints them (Cassandra's `Types.sortedStream`): by name,
    /// each preceded by the types it uses.
    pub fn types_in_dependency_order(&self) -> Vec<&Arc<UserType>> {
        fn visit<'a>(ks: &'a Keyspace, t: &CqlType, out: &mut Vec<&'a Arc<UserType>>) {
            match t {
                CqlType::Udt { name, fields, .. } => {
                    for (_, f) in fields {
                        visit(ks, f, out);
                    }
                    if let Some(u) = ks.types.get(name) {
                        if !out.iter().any(|o| o.name == u.name) {
                            out.push(u);
                        }
                    }
                }
                CqlType::List { element, .. } | CqlType::Set { element, .. } | CqlType::Vector { element, .. } => {
                    visit(ks, element, out)
                }
                CqlType::Map { key, value, .. } => {
                    visit(ks, key, out);
                    visit(ks, value, out);
                }
                CqlType::Tuple(items) => items.iter().for_each(|i| visit(ks, i, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for u in self.types.values() {
            visit(self, &u.as_type(false), &mut out);
        }
        out
    }
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

    /// Every table of every keyspace with its id, storage-backed ones only, and the hidden tables
    /// of their indexes.
    pub fn stored_table_ids(&self) -> Vec<Uuid> {
        self.keyspaces
            .values()
            .flat_map(|ks| ks.tables.values())
            .filter(|t| t.virtual_table.is_none())
            .flat_map(|t| std::iter::once(t.id).chain(t.indexes.iter().map(|i| i.storage_id)))
            .collect()
    }

    /// A digest of the user schema, as the new schema version after a change.
    /// The keyspaces of this schema with `table` put into (or replaced in) keyspace `ks`.
    pub fn keyspaces_with_table(&self, ks: &Keyspace, table: Table) -> BTreeMap<String, Arc<Keyspace>> {
        let mut new_ks = ks.clone();
        new_ks.tables.insert(table.name.clone(), Arc::new(table));
        let mut keyspaces = self.keyspaces.clone();
        keyspaces.insert(new_ks.name.clone(), Arc::new(new_ks));
        keyspaces
    }

    pub fn compute_version(&self) -> Uuid {
        use md5::{Digest, Md5};
        let mut h = Md5::new();
        for ks in self.keyspaces.values().filter(|k| !k.is_system) {
            h.update(ks.name.as_bytes());
            for (k, v) in &ks.replication {
                h.update(k.as_bytes());
                h.update(v.as_bytes());
            }
            for u in ks.types.values() {
                h.update(u.name.as_bytes());
                for (f, t) in &u.fields {
                    h.update(f.as_bytes());
                    h.update(t.to_string().as_bytes());
                }
            }
            for t in ks.tables.values() {
                h.update(t.name.as_bytes());
                h.update(t.id.as_bytes());
                for c in &t.columns {
                    h.update(c.name.as_bytes());
                    h.update(c.typ.to_string().as_bytes());
                }
                for i in &t.indexes {
                    h.update(i.name.as_bytes());
                    for (k, v) in &i.options {
                        h.update(k.as_bytes());
                        h.update(v.as_bytes());
                    }
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

/// The name as CQL would write it: quoted with `"` when needed (not a plain lower-case
/// identifier, or a reserved keyword).
pub fn quote_identifier(name: &str) -> String {
    cql_types::maybe_quote(name).into_owned()
}
