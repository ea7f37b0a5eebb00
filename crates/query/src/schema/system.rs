//! The system keyspaces Cassandra 5.0 has, with the tables drivers and cqlsh read. Their rows are
//! computed on read (see `virtual_tables`); their definitions live here, in code.

use std::collections::BTreeMap;
use std::sync::Arc;

use cql_types::CqlType;
use uuid::Uuid;

use super::{Keyspace, Table, TableParams, VirtualTable};

/// A name-based (version 3) UUID, as Cassandra derives system table ids.
pub fn name_based_id(keyspace: &str, table: &str) -> Uuid {
    use md5::{Digest, Md5};
    let mut h = Md5::new();
    h.update(keyspace.as_bytes());
    h.update(table.as_bytes());
    let mut bytes: [u8; 16] = h.finalize().into();
    bytes[6] = (bytes[6] & 0x0f) | 0x30;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

fn typ(s: &str) -> CqlType {
    // The definitions below are written by hand and tested to parse.
    s.parse().unwrap_or_else(|_| CqlType::Custom(format!("unparsable {s}")))
}

struct Def<'a> {
    name: &'a str,
    partition_key: &'a [(&'a str, &'a str)],
    clustering: &'a [(&'a str, &'a str)],
    others: &'a [(&'a str, &'a str)],
    source: VirtualTable,
    comment: &'a str,
}

fn build(keyspace: &str, d: &Def<'_>) -> Table {
    let params = TableParams { comment: d.comment.to_string(), gc_grace_seconds: 0, ..TableParams::default() };
    let mut t = Table::new(
        keyspace,
        d.name,
        name_based_id(keyspace, d.name),
        d.partition_key.iter().map(|(n, t)| (n.to_string(), typ(t))).collect(),
        d.clustering.iter().map(|(n, t)| (n.to_string(), typ(t), false)).collect(),
        d.others.iter().map(|(n, t)| (n.to_string(), typ(t), false)).collect(),
        params,
    );
    t.virtual_table = Some(d.source);
    t
}

fn keyspace(name: &str, class: &str, rf: Option<&str>, defs: &[Def<'_>], is_virtual: bool) -> Keyspace {
    let mut replication = BTreeMap::new();
    replication.insert("class".to_string(), format!("org.apache.cassandra.locator.{class}"));
    if let Some(rf) = rf {
        replication.insert("replication_factor".to_string(), rf.to_string());
    }
    Keyspace {
        name: name.to_string(),
        replication,
        durable_writes: true,
        tables: defs.iter().map(|d| (d.name.to_string(), Arc::new(build(name, d)))).collect(),
        types: BTreeMap::new(),
        is_system: true,
        is_virtual,
    }
}

const TABLE_OPTIONS: &[(&str, &str)] = &[
    ("additional_write_policy", "text"),
    ("allow_auto_snapshot", "boolean"),
    ("bloom_filter_fp_chance", "double"),
    ("caching", "frozen<map<text, text>>"),
    ("cdc", "boolean"),
    ("comment", "text"),
    ("compaction", "frozen<map<text, text>>"),
    ("compression", "frozen<map<text, text>>"),
    ("crc_check_chance", "double"),
    ("default_time_to_live", "int"),
    ("extensions", "frozen<map<text, blob>>"),
    ("gc_grace_seconds", "int"),
    ("id", "uuid"),
    ("incremental_backups", "boolean"),
    ("max_index_interval", "int"),
    ("memtable", "text"),
    ("memtable_flush_period_in_ms", "int"),
    ("min_index_interval", "int"),
    ("read_repair", "text"),
    ("speculative_retry", "text"),
];

/// Every system keyspace, in a fixed order.
pub fn keyspaces() -> Vec<Keyspace> {
    let mut tables_columns: Vec<(&str, &str)> = TABLE_OPTIONS.to_vec();
    tables_columns.push(("flags", "frozen<set<text>>"));
    let mut views_columns: Vec<(&str, &str)> = TABLE_OPTIONS.to_vec();
    views_columns.extend([
        ("base_table_id", "uuid"),
        ("base_table_name", "text"),
        ("include_all_columns", "boolean"),
        ("where_clause", "text"),
    ]);
    let system = [
        Def {
            name: "local",
            partition_key: &[("key", "text")],
            clustering: &[],
            others: &[
                ("bootstrapped", "text"),
                ("broadcast_address", "inet"),
                ("broadcast_port", "int"),
                ("cluster_name", "text"),
                ("cql_version", "text"),
                ("data_center", "text"),
                ("gossip_generation", "int"),
                ("host_id", "uuid"),
                ("listen_address", "inet"),
                ("listen_port", "int"),
                ("native_protocol_version", "text"),
                ("partitioner", "text"),
                ("rack", "text"),
                ("release_version", "text"),
                ("rpc_address", "inet"),
                ("rpc_port", "int"),
                ("schema_version", "uuid"),
                ("tokens", "set<text>"),
                ("truncated_at", "map<uuid, blob>"),
            ],
            source: VirtualTable::Local,
            comment: "information about the local node",
        },
        Def {
            name: "peers",
            partition_key: &[("peer", "inet")],
            clustering: &[],
            others: &[
                ("data_center", "text"),
                ("host_id", "uuid"),
                ("preferred_ip", "inet"),
                ("rack", "text"),
                ("release_version", "text"),
                ("rpc_address", "inet"),
                ("schema_version", "uuid"),
                ("tokens", "set<text>"),
            ],
            source: VirtualTable::Peers,
            comment: "information about known peers in the cluster",
        },
        Def {
            name: "peers_v2",
            partition_key: &[("peer", "inet")],
            clustering: &[("peer_port", "int")],
            others: &[
                ("data_center", "text"),
                ("host_id", "uuid"),
                ("native_address", "inet"),
                ("native_port", "int"),
                ("preferred_ip", "inet"),
                ("preferred_port", "int"),
                ("rack", "text"),
                ("release_version", "text"),
                ("schema_version", "uuid"),
                ("tokens", "set<text>"),
            ],
            source: VirtualTable::PeersV2,
            comment: "information about known peers in the cluster",
        },
        // Its `table_name` holds a keyspace name, as in Cassandra.
        Def {
            name: "IndexInfo",
            partition_key: &[("table_name", "text")],
            clustering: &[("index_name", "text")],
            others: &[("value", "blob")],
            source: VirtualTable::BuiltIndexes,
            comment: "built column indexes",
        },
    ];
    let schema = [
        Def {
            name: "keyspaces",
            partition_key: &[("keyspace_name", "text")],
            clustering: &[],
            others: &[("durable_writes", "boolean"), ("replication", "frozen<map<text, text>>")],
            source: VirtualTable::SchemaKeyspaces,
            comment: "keyspace definitions",
        },
        Def {
            name: "tables",
            partition_key: &[("keyspace_name", "text")],
            clustering: &[("table_name", "text")],
            others: &tables_columns,
            source: VirtualTable::SchemaTables,
            comment: "table definitions",
        },
        Def {
            name: "columns",
            partition_key: &[("keyspace_name", "text")],
            clustering: &[("table_name", "text"), ("column_name", "text")],
            others: &[
                ("clustering_order", "text"),
                ("column_name_bytes", "blob"),
                ("kind", "text"),
                ("position", "int"),
                ("type", "text"),
            ],
            source: VirtualTable::SchemaColumns,
            comment: "column definitions",
        },
        Def {
            name: "column_masks",
            partition_key: &[("keyspace_name", "text")],
            clustering: &[("table_name", "text"), ("column_name", "text")],
            others: &[
                ("function_argument_types", "frozen<list<text>>"),
                ("function_argument_values", "frozen<list<text>>"),
                ("function_keyspace", "text"),
                ("function_name", "text"),
            ],
            source: VirtualTable::SchemaColumnMasks,
            comment: "column dynamic data masks",
        },
        Def {
            name: "dropped_columns",
            partition_key: &[("keyspace_name", "text")],
            clustering: &[("table_name", "text"), ("column_name", "text")],
            others: &[("dropped_time", "timestamp"), ("kind", "text"), ("type", "text")],
            source: VirtualTable::SchemaDroppedColumns,
            comment: "dropped column registry",
        },
        Def {
            name: "triggers",
            partition_key: &[("keyspace_name", "text")],
            clustering: &[("table_name", "text"), ("trigger_name", "text")],
            others: &[("options", "frozen<map<text, text>>")],
            source: VirtualTable::SchemaTriggers,
            comment: "trigger definitions",
        },
        Def {
            name: "views",
            partition_key: &[("keyspace_name", "text")],
            clustering: &[("view_name", "text")],
            others: &views_columns,
            source: VirtualTable::SchemaViews,
            comment: "view definitions",
        },
        Def {
            name: "types",
            partition_key: &[("keyspace_name", "text")],
            clustering: &[("type_name", "text")],
            others: &[("field_names", "frozen<list<text>>"), ("field_types", "frozen<list<text>>")],
            source: VirtualTable::SchemaTypes,
            comment: "user defined type definitions",
        },
        Def {
            name: "functions",
            partition_key: &[("keyspace_name", "text")],
            clustering: &[("function_name", "text"), ("argument_types", "frozen<list<text>>")],
            others: &[
                ("argument_names", "frozen<list<text>>"),
                ("body", "text"),
                ("called_on_null_input", "boolean"),
                ("language", "text"),
                ("return_type", "text"),
            ],
            source: VirtualTable::SchemaFunctions,
            comment: "user defined function definitions",
        },
        Def {
            name: "aggregates",
            partition_key: &[("keyspace_name", "text")],
            clustering: &[("aggregate_name", "text"), ("argument_types", "frozen<list<text>>")],
            others: &[
                ("final_func", "text"),
                ("initcond", "text"),
                ("return_type", "text"),
                ("state_func", "text"),
                ("state_type", "text"),
            ],
            source: VirtualTable::SchemaAggregates,
            comment: "user defined aggregate definitions",
        },
        Def {
            name: "indexes",
            partition_key: &[("keyspace_name", "text")],
            clustering: &[("table_name", "text"), ("index_name", "text")],
            others: &[("kind", "text"), ("options", "frozen<map<text, text>>")],
            source: VirtualTable::SchemaIndexes,
            comment: "secondary index definitions",
        },
    ];
    let virtual_schema = [
        Def {
            name: "keyspaces",
            partition_key: &[("keyspace_name", "text")],
            clustering: &[],
            others: &[],
            source: VirtualTable::VirtualSchemaKeyspaces,
            comment: "virtual keyspace definitions",
        },
        Def {
            name: "tables",
            partition_key: &[("keyspace_name", "text")],
            clustering: &[("table_name", "text")],
            others: &[("comment", "text")],
            source: VirtualTable::VirtualSchemaTables,
            comment: "virtual table definitions",
        },
        Def {
            name: "columns",
            partition_key: &[("keyspace_name", "text")],
            clustering: &[("table_name", "text"), ("column_name", "text")],
            others: &[
                ("clustering_order", "text"),
                ("column_name_bytes", "blob"),
                ("kind", "text"),
                ("position", "int"),
                ("type", "text"),
            ],
            source: VirtualTable::VirtualSchemaColumns,
            comment: "virtual column definitions",
        },
    ];
    let mut all = vec![
        keyspace("system", "LocalStrategy", None, &system, false),
        keyspace("system_auth", "SimpleStrategy", Some("1"), &[], false),
        keyspace("system_distributed", "SimpleStrategy", Some("3"), &[], false),
        keyspace("system_schema", "LocalStrategy", None, &schema, false),
        keyspace("system_traces", "SimpleStrategy", Some("2"), &[], false),
        keyspace("system_views", "LocalStrategy", None, &[], true),
        keyspace("system_virtual_schema", "LocalStrategy", None, &virtual_schema, true),
    ];
    add_stored_tables(&mut all);
    crate::auth::schema::add_tables(&mut all);
    all
}

/// A system table kept in storage like a user table (rows written by the server, read with plain
/// SELECTs), not computed on read.
fn stored(
    keyspace: &str,
    name: &str,
    partition_key: &[(&str, &str)],
    clustering: &[(&str, &str)],
    others: &[(&str, &str)],
    comment: &str,
) -> Table {
    let d = Def { name, partition_key, clustering, others, source: VirtualTable::Empty, comment };
    let mut t = build(keyspace, &d);
    t.virtual_table = None;
    t
}

/// The system tables Sibyl stores: `system.prepared_statements` (Cassandra's `SystemKeyspace`) and
/// `system_traces.sessions` and `events` (Cassandra's `TraceKeyspace`).
fn add_stored_tables(keyspaces: &mut [Keyspace]) {
    let tables = [
        stored(
            "system",
            PREPARED_STATEMENTS,
            &[("prepared_id", "blob")],
            &[],
            &[("logged_keyspace", "text"), ("query_string", "text")],
            "prepared statements",
        ),
        stored(
            TRACES,
            "sessions",
            &[("session_id", "uuid")],
            &[],
            &[
                ("client", "inet"),
                ("command", "text"),
                ("coordinator", "inet"),
                ("coordinator_port", "int"),
                ("duration", "int"),
                ("parameters", "map<text, text>"),
                ("request", "text"),
                ("started_at", "timestamp"),
            ],
            "tracing sessions",
        ),
        stored(
            TRACES,
            "events",
            &[("session_id", "uuid")],
            &[("event_id", "timeuuid")],
            &[
                ("activity", "text"),
                ("source", "inet"),
                ("source_elapsed", "int"),
                ("source_port", "int"),
                ("thread", "text"),
            ],
            "tracing events",
        ),
    ];
    for t in tables {
        if let Some(ks) = keyspaces.iter_mut().find(|k| k.name == t.keyspace) {
            ks.tables.insert(t.name.clone(), Arc::new(t));
        }
    }
}

/// The keyspace of the trace tables.
pub const TRACES: &str = "system_traces";
/// `system.prepared_statements`: the statements prepared on this node, prepared again at start.
pub const PREPARED_STATEMENTS: &str = "prepared_statements";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_tables_and_prepared_statements_are_stored_tables_with_cassandras_columns() {
        let all = keyspaces();
        let find = |ks: &str, t: &str| all.iter().find(|k| k.name == ks).unwrap().tables.get(t).unwrap().clone();
        let sessions = find("system_traces", "sessions");
        assert!(sessions.virtual_table.is_none());
        assert_eq!(sessions.params.gc_grace_seconds, 0);
        let cols: Vec<(&str, String)> = sessions.columns.iter().map(|c| (c.name.as_str(), c.typ.to_string())).collect();
        assert_eq!(cols[0], ("session_id", "uuid".to_string()));
        assert!(cols.contains(&("parameters", "map<text, text>".to_string())));
        let events = find("system_traces", "events");
        assert_eq!(events.clustering()[0].name, "event_id");
        assert_eq!(events.clustering()[0].typ.to_string(), "timeuuid");
        let prepared = find("system", "prepared_statements");
        assert!(prepared.virtual_table.is_none());
        assert_eq!(prepared.partition_key()[0].name, "prepared_id");
        assert_eq!(prepared.id, name_based_id("system", "prepared_statements"));
    }

    #[test]
    fn every_system_column_type_parses() {
        for ks in keyspaces() {
            for t in ks.tables.values() {
                for c in &t.columns {
                    assert!(!matches!(c.typ, CqlType::Custom(_)), "{}.{}.{}", ks.name, t.name, c.name);
                }
            }
        }
    }
}
