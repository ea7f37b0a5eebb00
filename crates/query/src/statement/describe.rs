//! Server-side DESCRIBE, with the result shapes of Cassandra 4.0+'s `DescribeStatement` that cqlsh prints.

use bytes::Bytes;
use cql_parser::ast::{Describe, DescribeTarget, QualifiedName};
use cql_types::{CqlType, CqlValue};

use crate::schema::{cql, quote_identifier, Keyspace, Schema};
use crate::{ClientState, ColumnSpec, Error, ResultMetadata, Rows};

fn text(s: &str) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(s.as_bytes()))
}

fn columns(names: &[&str]) -> Vec<ColumnSpec> {
    names
        .iter()
        .map(|n| ColumnSpec {
            keyspace: "system".into(),
            table: "describe".into(),
            name: n.to_string(),
            typ: CqlType::TEXT,
        })
        .collect()
}

fn listing(rows: Vec<(String, &str, String)>) -> Rows {
    Rows {
        metadata: ResultMetadata { columns: columns(&["keyspace_name", "type", "name"]), ..Default::default() },
        rows: rows
            .into_iter()
            .map(|(k, t, n)| vec![text(&quote_identifier(&k)), text(t), text(&quote_identifier(&n))])
            .collect(),
    }
}

fn elements(rows: Vec<(String, &'static str, String, String)>) -> Rows {
    Rows {
        metadata: ResultMetadata {
            columns: columns(&["keyspace_name", "type", "name", "create_statement"]),
            ..Default::default()
        },
        // Names come quoted when they need it (`elementKeyspaceQuotedIfNeeded`, `elementNameQuotedIfNeeded`).
        rows: rows
            .into_iter()
            .map(|(k, t, n, s)| vec![text(&quote_identifier(&k)), text(t), text(&quote_identifier(&n)), text(&s)])
            .collect(),
    }
}

fn keyspace_statement(ks: &Keyspace) -> String {
    if ks.is_virtual {
        format!("/*\nWarning: Keyspace {} is a virtual keyspace and cannot be recreated with CQL.\nStructure, for reference:\nVIRTUAL KEYSPACE {};\n*/", ks.name, quote_identifier(&ks.name))
    } else {
        cql::create_keyspace(ks)
    }
}

fn table_statement(ks: &Keyspace, t: &crate::schema::Table) -> String {
    let stmt = cql::create_table(t, false);
    if ks.is_virtual {
        format!(
            "/*\nWarning: Table {}.{} is a virtual table and cannot be recreated with CQL.\nStructure, for reference:\n{}\n*/",
            ks.name, t.name, stmt
        )
    } else {
        stmt
    }
}

fn keyspace_elements(ks: &Keyspace, only: bool) -> Vec<(String, &'static str, String, String)> {
    let mut out = vec![(ks.name.clone(), "keyspace", ks.name.clone(), keyspace_statement(ks))];
    if !only {
        for u in ks.types_in_dependency_order() {
            out.push((ks.name.clone(), "type", u.name.clone(), cql::create_type(u)));
        }
        for t in ks.tables.values() {
            out.extend(table_elements(ks, t));
        }
    }
    out
}

/// A table then its indexes by name (`DescribeStatement.getTableElements`).
fn table_elements(ks: &Keyspace, t: &crate::schema::Table) -> Vec<(String, &'static str, String, String)> {
    let mut out = vec![(ks.name.clone(), "table", t.name.clone(), table_statement(ks, t))];
    let mut indexes: Vec<&crate::index::IndexDef> = t.indexes.iter().collect();
    indexes.sort_by(|a, b| a.name.cmp(&b.name));
    for i in indexes {
        out.push((ks.name.clone(), "index", i.name.clone(), i.create_statement(t)));
    }
    out
}

/// `DESCRIBE INDEX [ks.]name`.
fn index_element(
    schema: &Schema,
    name: &QualifiedName,
    client: &ClientState,
) -> Result<(String, &'static str, String, String), Error> {
    let ks_name = name
        .keyspace
        .as_deref()
        .or(client.keyspace.as_deref())
        .ok_or_else(|| Error::invalid("No keyspace specified and no current keyspace"))?;
    let ks =
        schema.keyspaces.get(ks_name).ok_or_else(|| Error::invalid(format!("'{ks_name}' not found in keyspaces")))?;
    let t = ks.indexed_table(&name.name).ok_or_else(|| {
        Error::invalid(format!("Table for existing index '{}' not found in '{}'", name.name, ks.name))
    })?;
    let i = t
        .index(&name.name)
        .ok_or_else(|| Error::invalid(format!("Index '{}' not found in '{}'", name.name, ks.name)))?;
    Ok((ks.name.clone(), "index", i.name.clone(), i.create_statement(t)))
}

/// The table of `DESCRIBE TABLE` (`generic`: of `DESCRIBE name`, which without a current keyspace
/// takes the name as a keyspace's), with Cassandra's messages.
fn find_table<'s>(
    schema: &'s Schema,
    name: &QualifiedName,
    client: &ClientState,
    generic: bool,
) -> Result<(&'s Keyspace, &'s crate::schema::Table), Error> {
    let ks_name = match (&name.keyspace, client.keyspace.as_deref()) {
        (Some(k), _) => k.as_str(),
        (None, Some(current)) => current,
        (None, None) if generic => name.name.as_str(),
        (None, None) => return Err(Error::invalid("No keyspace specified and no current keyspace")),
    };
    let ks =
        schema.keyspaces.get(ks_name).ok_or_else(|| Error::invalid(format!("'{ks_name}' not found in keyspaces")))?;
    let t = ks.tables.get(&name.name).ok_or_else(|| {
        Error::invalid(if generic {
            format!("'{}' not found in keyspace '{}'", name.name, ks_name)
        } else {
            format!("Table '{}' not found in keyspace '{}'", name.name, ks_name)
        })
    })?;
    Ok((ks, t))
}

pub fn execute(schema: &Schema, stmt: &Describe, client: &ClientState, cluster_name: &str) -> Result<Rows, Error> {
    let current = client.keyspace.as_deref();
    let in_scope = |ks: &&std::sync::Arc<Keyspace>| current.map(|c| c == ks.name).unwrap_or(true);
    Ok(match &stmt.target {
        DescribeTarget::Keyspaces => {
            listing(schema.keyspaces.values().map(|k| (k.name.clone(), "keyspace", k.name.clone())).collect())
        }
        DescribeTarget::Tables => listing(
            schema
                .keyspaces
                .values()
                .filter(in_scope)
                .flat_map(|k| k.tables.values().map(|t| (k.name.clone(), "table", t.name.clone())))
                .collect(),
        ),
        DescribeTarget::Types => listing(
            schema
                .keyspaces
                .values()
                .filter(in_scope)
                .flat_map(|k| k.types.values().map(|u| (k.name.clone(), "type", u.name.clone())))
                .collect(),
        ),
        DescribeTarget::Functions | DescribeTarget::Aggregates => listing(Vec::new()),
        DescribeTarget::Keyspace { name, only } => {
            let name = name
                .as_deref()
                .or(current)
                .ok_or_else(|| Error::invalid("No keyspace specified and no current keyspace"))?;
            let ks =
                schema.keyspaces.get(name).ok_or_else(|| Error::invalid(format!("'{name}' not found in keyspaces")))?;
            elements(keyspace_elements(ks, *only))
        }
        DescribeTarget::Table(name) => {
            let (ks, t) = find_table(schema, name, client, false)?;
            elements(table_elements(ks, t))
        }
        DescribeTarget::Schema { full } => elements(
            schema
                .keyspaces
                .values()
                .filter(|k| *full || !k.is_system)
                .flat_map(|k| keyspace_elements(k, false))
                .collect(),
        ),
        DescribeTarget::Generic(name) => {
            if name.keyspace.is_none() {
                if let Some(ks) = schema.keyspaces.get(&name.name) {
                    return Ok(elements(keyspace_elements(ks, false)));
                }
            }
            let ks_name = name.keyspace.as_deref().or(current).unwrap_or(name.name.as_str());
            if let Some(ks) = schema.keyspaces.get(ks_name) {
                if !ks.tables.contains_key(&name.name) && ks.indexed_table(&name.name).is_some() {
                    return Ok(elements(vec![index_element(schema, name, client)?]));
                }
            }
            let (ks, t) = find_table(schema, name, client, true)?;
            elements(table_elements(ks, t))
        }
        DescribeTarget::Cluster => {
            let mut cols = columns(&["cluster", "partitioner", "snitch"]);
            let mut row = vec![
                text(cluster_name),
                text("org.apache.cassandra.dht.Murmur3Partitioner"),
                text("org.apache.cassandra.locator.SimpleSnitch"),
            ];
            if current.is_some() {
                let typ = CqlType::map(CqlType::TEXT, CqlType::list(CqlType::TEXT).frozen());
                cols.push(ColumnSpec {
                    keyspace: "system".into(),
                    table: "describe".into(),
                    name: "range_ownership".into(),
                    typ,
                });
                let v = CqlValue::Map(vec![(
                    CqlValue::Text(crate::virtual_tables::TOKEN.to_string()),
                    CqlValue::List(vec![CqlValue::Text("127.0.0.1:7000".to_string())]),
                )]);
                row.push(Some(Bytes::from(v.to_bytes())));
            }
            Rows { metadata: ResultMetadata { columns: cols, ..Default::default() }, rows: vec![row] }
        }
        DescribeTarget::Type(n) => {
            let ks_name = n
                .keyspace
                .as_deref()
                .or(current)
                .ok_or_else(|| Error::invalid("No keyspace specified and no current keyspace"))?;
            let ks = schema
                .keyspaces
                .get(ks_name)
                .ok_or_else(|| Error::invalid(format!("'{ks_name}' not found in keyspaces")))?;
            let u = ks
                .types
                .get(&n.name)
                .ok_or_else(|| Error::invalid(format!("User defined type '{}' not found in '{}'", n.name, ks.name)))?;
            elements(vec![(ks.name.clone(), "type", u.name.clone(), cql::create_type(u))])
        }
        DescribeTarget::Function(n) | DescribeTarget::Aggregate(n) => {
            return Err(Error::invalid(format!(
                "'{}' not found in keyspace '{}'",
                n.name,
                n.keyspace.as_deref().or(current).unwrap_or("")
            )))
        }
        DescribeTarget::Index(n) => elements(vec![index_element(schema, n, client)?]),
        DescribeTarget::MaterializedView(n) => {
            return Err(Error::invalid(format!(
                "'{}' not found in keyspace '{}'",
                n.name,
                n.keyspace.as_deref().or(current).unwrap_or("")
            )))
        }
    })
}
