//! The user schema on disk: `<data_dir>/schema.json`, rewritten whole on every DDL (written to a
//! temporary file, fsynced, renamed, directory fsynced), so a crash leaves the old or the new schema.
//!
//! Why a file and not `system_schema` tables in the engine: the storage engine opens tables by id,
//! so it must know the schema before it replays the commitlog; a small file read first keeps start-up
//! free of that bootstrap cycle. System keyspaces are built in code and never written here.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{resolve_udts, Keyspace, Schema, Table, TableParams, UserType};
use crate::index::{IndexDef, IndexKind, TargetKind};
use crate::Error;

const FILE: &str = "schema.json";

#[derive(Serialize, Deserialize)]
struct SchemaFile {
    format: u32,
    keyspaces: Vec<KeyspaceFile>,
}

#[derive(Serialize, Deserialize)]
struct KeyspaceFile {
    name: String,
    replication: BTreeMap<String, String>,
    durable_writes: bool,
    /// User types, each after the types it uses.
    #[serde(default)]
    types: Vec<TypeFile>,
    tables: Vec<TableFile>,
}

#[derive(Serialize, Deserialize)]
struct TypeFile {
    name: String,
    field_names: Vec<String>,
    field_types: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct TableFile {
    name: String,
    id: Uuid,
    columns: Vec<ColumnFile>,
    params: TableParams,
    #[serde(default)]
    indexes: Vec<IndexFile>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    dropped: BTreeMap<String, super::DroppedColumn>,
}

#[derive(Serialize, Deserialize)]
struct IndexFile {
    name: String,
    kind: String,
    column: String,
    /// `simple`, `values`, `keys`, `entries` or `full`.
    target: String,
    options: BTreeMap<String, String>,
    storage_id: Uuid,
}

fn target_name(t: TargetKind) -> &'static str {
    match t {
        TargetKind::Simple => "simple",
        other => other.as_str(),
    }
}

fn parse_target(s: &str) -> Option<TargetKind> {
    Some(match s {
        "simple" => TargetKind::Simple,
        "values" => TargetKind::Values,
        "keys" => TargetKind::Keys,
        "entries" => TargetKind::Entries,
        "full" => TargetKind::Full,
        _ => return None,
    })
}

#[derive(Serialize, Deserialize)]
struct ColumnFile {
    name: String,
    #[serde(rename = "type")]
    typ: String,
    kind: String,
    position: i32,
    reversed: bool,
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Server(format!("{what} {}: {e}", path.display()))
}

/// Writes the user keyspaces of `schema` durably.
pub fn save(schema: &Schema, dir: &Path) -> Result<(), Error> {
    let file = SchemaFile {
        format: 1,
        keyspaces: schema
            .keyspaces
            .values()
            .filter(|k| !k.is_system)
            .map(|k| KeyspaceFile {
                name: k.name.clone(),
                replication: k.replication.clone(),
                durable_writes: k.durable_writes,
                types: k
                    .types_in_dependency_order()
                    .into_iter()
                    .map(|u| TypeFile {
                        name: u.name.clone(),
                        field_names: u.fields.iter().map(|(n, _)| n.clone()).collect(),
                        field_types: u.fields.iter().map(|(_, t)| t.to_string()).collect(),
                    })
                    .collect(),
                tables: k
                    .tables
                    .values()
                    .map(|t| TableFile {
                        name: t.name.clone(),
                        id: t.id,
                        params: t.params.clone(),
                        dropped: t.dropped.clone(),
                        indexes: t
                            .indexes
                            .iter()
                            .map(|i| IndexFile {
                                name: i.name.clone(),
                                kind: i.kind.as_str().to_string(),
                                column: i.column.clone(),
                                target: target_name(i.target).to_string(),
                                options: i.options.clone(),
                                storage_id: i.storage_id,
                            })
                            .collect(),
                        columns: t
                            .columns
                            .iter()
                            .map(|c| ColumnFile {
                                name: c.name.clone(),
                                typ: c.typ.to_string(),
                                kind: c.kind.as_str().to_string(),
                                position: c.position,
                                reversed: c.reversed,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&file).map_err(|e| Error::Server(format!("cannot encode schema: {e}")))?;
    fs::create_dir_all(dir).map_err(|e| io_error("cannot create", dir, e))?;
    let tmp = dir.join(format!("{FILE}.tmp"));
    let path = dir.join(FILE);
    {
        let mut f = fs::File::create(&tmp).map_err(|e| io_error("cannot create", &tmp, e))?;
        f.write_all(&json).map_err(|e| io_error("cannot write", &tmp, e))?;
        f.sync_all().map_err(|e| io_error("cannot sync", &tmp, e))?;
    }
    fs::rename(&tmp, &path).map_err(|e| io_error("cannot rename", &tmp, e))?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Reads the user keyspaces saved by [`save`]; none when the file does not exist yet.
pub fn load(dir: &Path) -> Result<Vec<Keyspace>, Error> {
    let path = dir.join(FILE);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error("cannot read", &path, e)),
    };
    let file: SchemaFile = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Server(format!("corrupt schema file {}: {e}", path.display())))?;
    let corrupt = |e: String| Error::Server(format!("corrupt schema file {}: {e}", path.display()));
    let mut out = Vec::new();
    for k in file.keyspaces {
        let mut types: BTreeMap<String, Arc<UserType>> = BTreeMap::new();
        for t in k.types {
            let mut fields = Vec::new();
            for (n, ty) in t.field_names.into_iter().zip(t.field_types) {
                let parsed = ty.parse::<cql_types::CqlType>().map_err(|e| corrupt(e.to_string()))?;
                let resolved = resolve_udts(&parsed, &types).map_err(|u| corrupt(format!("unknown type {u}")))?;
                fields.push((n, resolved));
            }
            types.insert(t.name.clone(), Arc::new(UserType { keyspace: k.name.clone(), name: t.name, fields }));
        }
        let mut tables = BTreeMap::new();
        for t in k.tables {
            let mut pk = Vec::new();
            let mut ck = Vec::new();
            let mut others = Vec::new();
            for c in t.columns {
                let parsed = c.typ.parse::<cql_types::CqlType>().map_err(|e| corrupt(e.to_string()))?;
                let typ = resolve_udts(&parsed, &types).map_err(|u| corrupt(format!("unknown type {u}")))?;
                match c.kind.as_str() {
                    "partition_key" => pk.push((c.position, c.name, typ)),
                    "clustering" => ck.push((c.position, c.name, typ, c.reversed)),
                    "static" => others.push((c.name, typ, true)),
                    _ => others.push((c.name, typ, false)),
                }
            }
            pk.sort_by_key(|c| c.0);
            ck.sort_by_key(|c| c.0);
            let mut table = Table::new(
                &k.name,
                &t.name,
                t.id,
                pk.into_iter().map(|(_, n, t)| (n, t)).collect(),
                ck.into_iter().map(|(_, n, t, r)| (n, t, r)).collect(),
                others,
                t.params,
            );
            table.dropped = t.dropped;
            for i in t.indexes {
                table.indexes.push(IndexDef {
                    kind: IndexKind::parse(&i.kind).ok_or_else(|| corrupt(format!("index kind {}", i.kind)))?,
                    target: parse_target(&i.target).ok_or_else(|| corrupt(format!("index target {}", i.target)))?,
                    name: i.name,
                    column: i.column,
                    options: i.options,
                    storage_id: i.storage_id,
                });
            }
            tables.insert(t.name, Arc::new(table));
        }
        out.push(Keyspace {
            name: k.name,
            replication: k.replication,
            durable_writes: k.durable_writes,
            tables,
            types,
            is_system: false,
            is_virtual: false,
        });
    }
    Ok(out)
}

/// The node's identity, created once: `<data_dir>/node.json`.
#[derive(Serialize, Deserialize)]
pub struct NodeIdentity {
    pub host_id: Uuid,
}

pub fn load_or_create_identity(dir: &Path) -> Result<NodeIdentity, Error> {
    let path = dir.join("node.json");
    if let Ok(bytes) = fs::read(&path) {
        if let Ok(id) = serde_json::from_slice::<NodeIdentity>(&bytes) {
            return Ok(id);
        }
    }
    let id = NodeIdentity { host_id: Uuid::new_v4() };
    fs::create_dir_all(dir).map_err(|e| io_error("cannot create", dir, e))?;
    let json = serde_json::to_vec(&id).map_err(|e| Error::Server(e.to_string()))?;
    fs::write(&path, json).map_err(|e| io_error("cannot write", &path, e))?;
    Ok(id)
}
