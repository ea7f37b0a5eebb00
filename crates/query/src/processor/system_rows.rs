//! The rows the server writes to its own stored system tables: traces (`system_traces.sessions` and
//! `events`) and prepared statements (`system.prepared_statements`, prepared again at start and
//! dropped with the tables they use, as Cassandra's `QueryProcessor` does).

use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;
use cql_parser::ast::Statement;
use cql_types::CqlValue;
use storage_model::Mutation;

use super::{parse, Prepared, QueryProcessor};
use crate::bind::Values;
use crate::schema::system::PREPARED_STATEMENTS;
use crate::schema::{Schema, Table};
use crate::statement::modification::{self, Plan};
use crate::{trace, ClientState, Error, Value};

/// `system.local.broadcast_port`: the port traces name for the coordinator and event sources.
const STORAGE_PORT: i32 = 7000;

const INSERT_SESSION: &str = "INSERT INTO system_traces.sessions (session_id, client, command, coordinator, \
     coordinator_port, duration, parameters, request, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL 86400";
const INSERT_EVENT: &str = "INSERT INTO system_traces.events (session_id, event_id, activity, source, source_port, \
     source_elapsed, thread) VALUES (?, ?, ?, ?, ?, ?, ?) USING TTL 86400";
const INSERT_PREPARED: &str =
    "INSERT INTO system.prepared_statements (prepared_id, logged_keyspace, query_string) VALUES (?, ?, ?)";
const DELETE_PREPARED: &str = "DELETE FROM system.prepared_statements WHERE prepared_id = ?";

fn bytes(v: Vec<u8>) -> Value {
    Value::Bytes(Bytes::from(v))
}
fn text(s: &str) -> Value {
    Value::Bytes(Bytes::copy_from_slice(s.as_bytes()))
}
fn int(i: i32) -> Value {
    Value::Bytes(Bytes::copy_from_slice(&i.to_be_bytes()))
}
fn uuid(u: uuid::Uuid) -> Value {
    Value::Bytes(Bytes::copy_from_slice(u.as_bytes()))
}
fn inet(a: Option<std::net::IpAddr>) -> Value {
    a.map_or(Value::Null, |a| bytes(CqlValue::Inet(a).to_bytes()))
}

/// The tables a statement reads or writes, as `(keyspace, table)`.
fn statement_tables(statement: &Statement, keyspace: Option<&str>) -> Vec<(String, String)> {
    let name = match statement {
        Statement::Select(s) => &s.table,
        Statement::Insert(s) => &s.table,
        Statement::Update(s) => &s.table,
        Statement::Delete(s) => &s.table,
        Statement::Batch(b) => return b.statements.iter().flat_map(|s| statement_tables(s, keyspace)).collect(),
        _ => return Vec::new(),
    };
    match name.keyspace.as_deref().or(keyspace) {
        Some(ks) => vec![(ks.to_string(), name.name.clone())],
        None => Vec::new(),
    }
}

/// True when a schema change makes statements prepared against `before` invalid (Cassandra's
/// `onDropKeyspace`, `onDropTable`, and `onAlterTable` when the columns changed).
fn invalidated(before: &Table, after: Option<&Arc<Table>>) -> bool {
    match after {
        None => true,
        Some(after) => after.id != before.id || after.columns != before.columns,
    }
}

/// Records the bound values of an EXECUTE as Cassandra's trace parameters: the query text and
/// `bound_var_<i>_<name>` with each value as a CQL literal (cut at 1000 characters).
pub(super) fn trace_execute_parameters(prepared: &Prepared, values: &[Value]) {
    trace::parameters(|| {
        let mut out = vec![("query".to_string(), prepared.query.clone())];
        for (i, (spec, value)) in prepared.variables.iter().zip(values).enumerate() {
            let mut literal = match value {
                Value::Null => "null".to_string(),
                Value::Unset => "<unset>".to_string(),
                Value::Bytes(b) => CqlValue::cql_literal(&spec.typ, b).unwrap_or_else(|_| "<invalid>".to_string()),
            };
            if literal.chars().count() > 1000 {
                literal = literal.chars().take(1000).collect::<String>() + "...'";
            }
            out.push((format!("bound_var_{i}_{}", spec.name), literal));
        }
        out
    });
}

impl QueryProcessor {
    /// The mutations of an INSERT or DELETE on a system table, bound to `values` (as Cassandra runs
    /// its internal statements).
    fn internal_mutations(&self, schema: &Schema, cql: &str, values: &[Value]) -> Result<Vec<Mutation>, Error> {
        let statement = parse(cql)?;
        let name = match &statement {
            Statement::Insert(s) => &s.table,
            Statement::Delete(s) => &s.table,
            _ => return Err(Error::Server(format!("not an internal write: {cql}"))),
        };
        let table = schema.table(name.keyspace.as_deref().unwrap_or("system"), &name.name)?.clone();
        let specs = modification::variables(&statement, &table)?;
        let values = Values { values, names: None, specs: &specs };
        let plan = Plan::new(table, &statement, &values, None, crate::clock::now_seconds())?;
        Ok(plan.mutations(&mut |_| Ok(None), None)?.0)
    }

    /// Applies internal writes; they are not waited for (traces and prepared statements are
    /// best-effort, as in Cassandra).
    fn apply_internal(&self, mutations: Vec<Mutation>) -> Result<(), Error> {
        let mutations = modification::coalesce(mutations);
        self.storage.apply(&mutations).map_err(|e| Error::Server(format!("write failed: {e}")))?;
        Ok(())
    }

    /// Writes a finished traced request to `system_traces`: its session row (with its duration, so
    /// readers polling for it see it complete) and its events, with the traces' one-day TTL.
    pub fn write_trace(&self, session: &trace::Session) {
        if let Err(e) = self.try_write_trace(session) {
            tracing::warn!(session = %session.id, error = %e, "cannot write the trace");
        }
    }

    fn try_write_trace(&self, session: &trace::Session) -> Result<(), Error> {
        let schema = self.schema();
        let coordinator = Some(self.node.listen_address);
        let parameters: Vec<(CqlValue, CqlValue)> =
            session.parameters.iter().map(|(k, v)| (CqlValue::Text(k.clone()), CqlValue::Text(v.clone()))).collect();
        let session_row = [
            uuid(session.id),
            inet(session.client),
            text(trace::COMMAND_QUERY),
            inet(coordinator),
            int(STORAGE_PORT),
            session.duration_micros.map_or(Value::Null, int),
            bytes(CqlValue::Map(parameters).to_bytes()),
            text(&session.request),
            Value::Bytes(Bytes::copy_from_slice(&session.started_at.to_be_bytes())),
        ];
        let mut mutations = self.internal_mutations(&schema, INSERT_SESSION, &session_row)?;
        for e in &session.events {
            let row = [
                uuid(session.id),
                uuid(e.id),
                text(&e.activity),
                inet(coordinator),
                int(STORAGE_PORT),
                int(e.elapsed_micros),
                text(&e.thread),
            ];
            mutations.extend(self.internal_mutations(&schema, INSERT_EVENT, &row)?);
        }
        self.apply_internal(mutations)
    }

    /// The steps of a write, as Cassandra traces them.
    pub(super) fn trace_write(&self, mutations: &[Mutation]) {
        trace::event(|| "Determining replicas for mutation".to_string());
        trace::event(|| "Appending to commitlog".to_string());
        let schema = self.schema();
        let mut names: Vec<&str> = Vec::new();
        for m in mutations {
            let name = schema
                .keyspaces
                .values()
                .flat_map(|k| k.tables.values())
                .find(|t| t.id == m.table)
                .map_or("unknown table", |t| t.name.as_str());
            if !names.contains(&name) {
                names.push(name);
            }
        }
        for name in names {
            trace::event(|| format!("Adding to {name} memtable"));
        }
    }

    /// Remembers a newly prepared statement in `system.prepared_statements`.
    pub(super) fn persist_prepared(&self, id: &Bytes, keyspace: Option<&str>, query: &str) {
        let values = [Value::Bytes(id.clone()), keyspace.map_or(Value::Null, text), text(query)];
        let r = self.internal_mutations(&self.schema(), INSERT_PREPARED, &values).and_then(|m| self.apply_internal(m));
        if let Err(e) = r {
            tracing::warn!(error = %e, "cannot persist a prepared statement");
        }
    }

    fn forget_prepared(&self, id: &Bytes) {
        let r = self
            .internal_mutations(&self.schema(), DELETE_PREPARED, &[Value::Bytes(id.clone())])
            .and_then(|m| self.apply_internal(m));
        if let Err(e) = r {
            tracing::warn!(error = %e, "cannot remove a prepared statement");
        }
    }

    /// At start: prepares again every statement of `system.prepared_statements`, under the id it
    /// had; those that no longer prepare (their table is gone) are removed.
    pub(super) fn load_prepared_statements(&self) {
        let schema = self.schema();
        let Ok(table) = schema.table("system", PREPARED_STATEMENTS).cloned() else { return };
        let now = crate::clock::now_seconds();
        let scan = match self.storage.scan(table.id, Bound::Unbounded, Bound::Unbounded) {
            Ok(scan) => scan,
            Err(e) => return tracing::warn!(error = %e, "cannot read the prepared statements"),
        };
        let mut loaded = 0usize;
        for partition in scan {
            let rows = match partition
                .map_err(|e| Error::Server(e.to_string()))
                .and_then(|p| crate::row::rows_of_partition(&table, &storage_model::purge::live_view(p, now)))
            {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read a prepared statement");
                    continue;
                }
            };
            for row in rows {
                let [Some(id), keyspace, Some(query)] = &row.values[..] else { continue };
                let keyspace = keyspace.as_ref().map(|k| String::from_utf8_lossy(k).into_owned());
                let query = String::from_utf8_lossy(query).into_owned();
                let state = ClientState { keyspace, ..Default::default() };
                match self.prepare_statement(&state, &query, None) {
                    Ok((_, prepared)) => {
                        self.prepared.write().insert(id.clone(), prepared);
                        loaded += 1;
                    }
                    Err(e) => {
                        tracing::warn!(%query, error = %e, "prepared statement recreation error, removing it");
                        self.forget_prepared(id);
                    }
                }
            }
        }
        if loaded > 0 {
            tracing::info!(count = loaded, "prepared statements loaded");
        }
    }

    /// After a schema change: drops the prepared statements on tables that were dropped or whose
    /// columns changed, from the cache and from `system.prepared_statements`.
    pub(super) fn invalidate_prepared(&self, before: &Schema, after: &Schema) {
        let stale: Vec<Bytes> = self
            .prepared
            .read()
            .iter()
            .filter(|(_, p)| {
                statement_tables(&p.statement, p.keyspace.as_deref()).iter().any(|(ks, t)| {
                    let Ok(old) = before.table(ks, t) else { return false };
                    invalidated(old, after.keyspaces.get(ks).and_then(|k| k.tables.get(t)))
                })
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in stale {
            self.prepared.write().remove(&id);
            self.forget_prepared(&id);
        }
    }
}
