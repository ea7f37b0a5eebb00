//! The rows of the system tables Sibyl computes on read: `system.local`, `system.peers(_v2)`,
//! `system_schema.*` and `system_virtual_schema.*`, derived from the node's identity and the schema.

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use cql_types::CqlValue;
use uuid::Uuid;

use crate::row::{virtual_row, CqlRow};
use crate::schema::{Schema, Table, VirtualTable};
use crate::{ClientState, Error};

/// What `system.local` says about this node.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub cluster_name: String,
    pub host_id: Uuid,
    pub listen_address: IpAddr,
    pub native_port: u16,
}

/// The version this node reports (`release_version`): the 5.0 line.
pub const RELEASE_VERSION: &str = "5.0.0";
/// The CQL version, equal to the first CQL_VERSION in SUPPORTED.
pub const CQL_VERSION: &str = "3.4.7";
/// The one datacenter of this node (system.local, NetworkTopologyStrategy options).
pub const DATACENTER: &str = "datacenter1";
/// The one token this node owns.
pub const TOKEN: &str = "-9223372036854775808";

fn text(s: &str) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(s.as_bytes()))
}
fn boolean(b: bool) -> Option<Bytes> {
    Some(Bytes::from(vec![b as u8]))
}
fn int(i: i32) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(&i.to_be_bytes()))
}
fn double(f: f64) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(&f.to_be_bytes()))
}
fn uuid(u: Uuid) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(u.as_bytes()))
}
fn inet(a: IpAddr) -> Option<Bytes> {
    Some(Bytes::from(CqlValue::Inet(a).to_bytes()))
}
fn text_list(items: &[String]) -> Option<Bytes> {
    Some(Bytes::from(CqlValue::List(items.iter().map(|s| CqlValue::Text(s.clone())).collect()).to_bytes()))
}
fn text_set(items: &[&str]) -> Option<Bytes> {
    let mut v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    v.sort();
    v.dedup();
    Some(Bytes::from(CqlValue::Set(v.into_iter().map(CqlValue::Text).collect()).to_bytes()))
}
fn text_map<'a>(entries: impl Iterator<Item = (&'a String, &'a String)>) -> Option<Bytes> {
    let v: Vec<(CqlValue, CqlValue)> =
        entries.map(|(k, v)| (CqlValue::Text(k.clone()), CqlValue::Text(v.clone()))).collect();
    Some(Bytes::from(CqlValue::Map(v).to_bytes()))
}

/// Sets the named column of a row being built.
struct RowBuilder<'t> {
    table: &'t Table,
    values: Vec<Option<Bytes>>,
}

impl<'t> RowBuilder<'t> {
    fn new(table: &'t Table) -> Self {
        RowBuilder { table, values: vec![None; table.columns.len()] }
    }
    fn set(mut self, column: &str, value: Option<Bytes>) -> Self {
        if let Some(i) = self.table.column_index(column) {
            self.values[i] = value;
        }
        self
    }
    fn build(self) -> Result<CqlRow, Error> {
        virtual_row(self.table, self.values)
    }
}

/// All rows of a virtual table, in storage order (partition token, then clustering).
pub fn rows(
    which: VirtualTable,
    table: &Table,
    schema: &Schema,
    node: &NodeInfo,
    client: &ClientState,
) -> Result<Vec<CqlRow>, Error> {
    let mut out = Vec::new();
    match which {
        VirtualTable::Local => {
            let rpc = client.local_address.map(|a: SocketAddr| a.ip()).unwrap_or(node.listen_address);
            out.push(
                RowBuilder::new(table)
                    .set("key", text("local"))
                    .set("bootstrapped", text("COMPLETED"))
                    .set("broadcast_address", inet(node.listen_address))
                    .set("broadcast_port", int(7000))
                    .set("cluster_name", text(&node.cluster_name))
                    .set("cql_version", text(CQL_VERSION))
                    .set("data_center", text(DATACENTER))
                    .set("gossip_generation", int(crate::clock::now_seconds()))
                    .set("host_id", uuid(node.host_id))
                    .set("listen_address", inet(node.listen_address))
                    .set("listen_port", int(7000))
                    .set("native_protocol_version", text("5"))
                    .set("partitioner", text("org.apache.cassandra.dht.Murmur3Partitioner"))
                    .set("rack", text("rack1"))
                    .set("release_version", text(RELEASE_VERSION))
                    .set("rpc_address", inet(rpc))
                    .set("rpc_port", int(node.native_port as i32))
                    .set("schema_version", uuid(schema.version))
                    .set("tokens", text_set(&[TOKEN]))
                    .build()?,
            );
        }
        VirtualTable::Peers | VirtualTable::PeersV2 | VirtualTable::Empty => {}
        VirtualTable::SchemaKeyspaces | VirtualTable::VirtualSchemaKeyspaces => {
            let want_virtual = which == VirtualTable::VirtualSchemaKeyspaces;
            for ks in schema.keyspaces.values().filter(|k| k.is_virtual == want_virtual) {
                let mut b = RowBuilder::new(table).set("keyspace_name", text(&ks.name));
                if !want_virtual {
                    b = b
                        .set("durable_writes", boolean(ks.durable_writes))
                        .set("replication", text_map(ks.replication.iter()));
                }
                out.push(b.build()?);
            }
        }
        VirtualTable::SchemaTables | VirtualTable::VirtualSchemaTables => {
            let want_virtual = which == VirtualTable::VirtualSchemaTables;
            for ks in schema.keyspaces.values().filter(|k| k.is_virtual == want_virtual) {
                for t in ks.tables.values() {
                    let p = &t.params;
                    let mut b = RowBuilder::new(table)
                        .set("keyspace_name", text(&ks.name))
                        .set("table_name", text(&t.name))
                        .set("comment", text(&p.comment));
                    if !want_virtual {
                        let flags: &[&str] = if t.is_counter() { &["compound", "counter"] } else { &["compound"] };
                        let ext: Vec<(CqlValue, CqlValue)> = p
                            .extensions
                            .iter()
                            .map(|(k, v)| (CqlValue::Text(k.clone()), CqlValue::Blob(v.clone())))
                            .collect();
                        b = b
                            .set("additional_write_policy", text(&p.additional_write_policy))
                            .set("allow_auto_snapshot", boolean(p.allow_auto_snapshot))
                            .set("bloom_filter_fp_chance", double(p.bloom_filter_fp_chance))
                            .set("caching", text_map(p.caching.iter()))
                            // Cassandra writes `cdc` only when cdc_enabled is on in cassandra.yaml.
                            .set("cdc", if p.cdc { boolean(true) } else { None })
                            .set("compaction", text_map(p.compaction.iter()))
                            .set("compression", text_map(p.compression.iter()))
                            .set("crc_check_chance", double(p.crc_check_chance))
                            .set("default_time_to_live", int(p.default_time_to_live))
                            .set("extensions", Some(Bytes::from(CqlValue::Map(ext).to_bytes())))
                            .set("flags", text_set(flags))
                            .set("gc_grace_seconds", int(p.gc_grace_seconds))
                            .set("id", uuid(t.id))
                            .set("incremental_backups", boolean(p.incremental_backups))
                            .set("max_index_interval", int(p.max_index_interval))
                            .set("memtable", text(&p.memtable))
                            .set("memtable_flush_period_in_ms", int(p.memtable_flush_period_in_ms))
                            .set("min_index_interval", int(p.min_index_interval))
                            .set("read_repair", text(&p.read_repair))
                            .set("speculative_retry", text(&p.speculative_retry));
                    }
                    out.push(b.build()?);
                }
            }
        }
        VirtualTable::SchemaColumns | VirtualTable::VirtualSchemaColumns => {
            let want_virtual = which == VirtualTable::VirtualSchemaColumns;
            for ks in schema.keyspaces.values().filter(|k| k.is_virtual == want_virtual) {
                for t in ks.tables.values() {
                    for c in &t.columns {
                        out.push(
                            RowBuilder::new(table)
                                .set("keyspace_name", text(&ks.name))
                                .set("table_name", text(&t.name))
                                .set("column_name", text(&c.name))
                                .set("clustering_order", text(c.clustering_order()))
                                .set("column_name_bytes", Some(Bytes::copy_from_slice(c.name.as_bytes())))
                                .set("kind", text(c.kind.as_str()))
                                .set("position", int(c.position))
                                .set("type", text(&c.typ.to_string()))
                                .build()?,
                        );
                    }
                }
            }
        }
        VirtualTable::SchemaTypes => {
            for ks in schema.keyspaces.values().filter(|k| !k.is_virtual) {
                for u in ks.types.values() {
                    let names: Vec<String> = u.fields.iter().map(|(n, _)| n.clone()).collect();
                    let types: Vec<String> = u.fields.iter().map(|(_, t)| t.to_string()).collect();
                    out.push(
                        RowBuilder::new(table)
                            .set("keyspace_name", text(&ks.name))
                            .set("type_name", text(&u.name))
                            .set("field_names", text_list(&names))
                            .set("field_types", text_list(&types))
                            .build()?,
                    );
                }
            }
        }
        VirtualTable::SchemaIndexes => {
            for ks in schema.keyspaces.values().filter(|k| !k.is_virtual) {
                for t in ks.tables.values() {
                    for i in &t.indexes {
                        out.push(
                            RowBuilder::new(table)
                                .set("keyspace_name", text(&ks.name))
                                .set("table_name", text(&t.name))
                                .set("index_name", text(&i.name))
                                .set("kind", text(i.kind.as_str()))
                                .set("options", text_map(i.options.iter()))
                                .build()?,
                        );
                    }
                }
            }
        }
        VirtualTable::BuiltIndexes => {
            for ks in schema.keyspaces.values().filter(|k| !k.is_virtual) {
                for i in ks.tables.values().flat_map(|t| &t.indexes) {
                    out.push(
                        RowBuilder::new(table)
                            .set("table_name", text(&ks.name))
                            .set("index_name", text(&i.name))
                            .set("value", Some(Bytes::new()))
                            .build()?,
                    );
                }
            }
        }
        VirtualTable::SchemaDroppedColumns
        | VirtualTable::SchemaTriggers
        | VirtualTable::SchemaViews
        | VirtualTable::SchemaFunctions
        | VirtualTable::SchemaAggregates
        | VirtualTable::SchemaColumnMasks => {}
    }
    out.sort_by(|a, b| (&a.partition_key, &a.clustering).cmp(&(&b.partition_key, &b.clustering)));
    Ok(out)
}
