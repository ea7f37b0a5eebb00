//! The entry point the protocol layer calls: QUERY, PREPARE, EXECUTE and BATCH.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use cql_parser::ast::Statement;
use parking_lot::{Mutex, RwLock};
use storage::Storage;
use storage_model::Mutation;

use crate::bind::Values;
use crate::schema::{persist, system, Schema};
use crate::statement::ddl::{self, SchemaEdit, StorageAction};
use crate::statement::{describe, modification, select, Ctx};
use crate::virtual_tables::NodeInfo;
use crate::{
    BatchOptions, BatchStatement, ClientState, ColumnSpec, Error, Outcome, PreparedResult, QueryOptions, QueryResult,
    ResultMetadata,
};

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

/// A prepared statement, kept by id.
struct Prepared {
    statement: Statement,
    /// The keyspace in use when it was prepared: unqualified names resolve against it.
    keyspace: Option<String>,
    variables: Vec<ColumnSpec>,
}

/// Executes statements. One per server, shared by all connections (`Send + Sync`).
pub struct QueryProcessor {
    storage: Storage,
    schema: RwLock<Arc<Schema>>,
    /// Serializes schema changes (reads never wait on it).
    ddl: Mutex<()>,
    node: NodeInfo,
    data_dir: PathBuf,
    prepared: RwLock<HashMap<Bytes, Arc<Prepared>>>,
}

fn parse(query: &str) -> Result<Statement, Error> {
    cql_parser::parse_statement(query).map_err(|e| Error::Syntax(e.to_string()))
}

/// MD5 of keyspace and query text, as Cassandra computes statement ids.
fn statement_id(keyspace: Option<&str>, query: &str) -> Bytes {
    use md5::{Digest, Md5};
    let mut h = Md5::new();
    if let Some(k) = keyspace {
        h.update(k.as_bytes());
    }
    h.update(query.as_bytes());
    Bytes::copy_from_slice(&h.finalize())
}

fn metadata_id(columns: &[ColumnSpec]) -> Bytes {
    use md5::{Digest, Md5};
    let mut h = Md5::new();
    for c in columns {
        h.update(c.keyspace.as_bytes());
        h.update(c.table.as_bytes());
        h.update(c.name.as_bytes());
        h.update(c.typ.to_string().as_bytes());
    }
    Bytes::copy_from_slice(&h.finalize())
}

impl QueryProcessor {
    /// Loads the schema and opens the storage engine (replaying the commitlog).
    pub fn open(config: NodeConfig) -> Result<QueryProcessor, Error> {
        let identity = persist::load_or_create_identity(&config.data_dir)?;
        let mut keyspaces = std::collections::BTreeMap::new();
        for ks in system::keyspaces() {
            keyspaces.insert(ks.name.clone(), Arc::new(ks));
        }
        for ks in persist::load(&config.data_dir)? {
            keyspaces.insert(ks.name.clone(), Arc::new(ks));
        }
        let mut schema = Schema { keyspaces, version: uuid::Uuid::nil() };
        schema.version = schema.compute_version();
        let storage = Storage::open(config.storage.clone(), &schema.stored_table_ids())
            .map_err(|e| Error::Server(format!("cannot open storage: {e}")))?;
        let processor = QueryProcessor {
            storage,
            schema: RwLock::new(Arc::new(schema)),
            ddl: Mutex::new(()),
            node: NodeInfo {
                cluster_name: config.cluster_name,
                host_id: identity.host_id,
                listen_address: config.listen_address,
                native_port: config.native_port,
            },
            data_dir: config.data_dir,
            prepared: RwLock::new(HashMap::new()),
        };
        processor.sync_table_params(&processor.schema());
        Ok(processor)
    }

    /// Tells the storage engine the per-table settings it enforces (gc_grace_seconds).
    fn sync_table_params(&self, schema: &Schema) {
        for t in schema.keyspaces.values().flat_map(|k| k.tables.values()).filter(|t| t.virtual_table.is_none()) {
            if let Err(e) = self.storage.set_gc_grace_seconds(t.id, t.params.gc_grace_seconds) {
                tracing::warn!(table = %t.id, error = %e, "cannot set gc_grace_seconds");
            }
        }
    }

    /// The current schema snapshot.
    pub fn schema(&self) -> Arc<Schema> {
        self.schema.read().clone()
    }

    /// Runs a QUERY message.
    pub fn query(&self, state: &mut ClientState, query: &str, options: &QueryOptions) -> Result<Outcome, Error> {
        let statement = parse(query)?;
        let values = Values { values: &options.values, names: options.names.as_deref(), specs: &[] };
        self.run(state, &statement, &values, options, options.keyspace.as_deref())
    }

    /// Runs a PREPARE message; `keyspace` is the v5 per-request keyspace.
    pub fn prepare(&self, state: &ClientState, query: &str, keyspace: Option<&str>) -> Result<PreparedResult, Error> {
        let statement = parse(query)?;
        let keyspace = keyspace.map(str::to_string).or_else(|| state.keyspace.clone());
        let schema = self.schema();
        let ctx = Ctx { storage: &self.storage, schema: &schema, node: &self.node, client: state, now_seconds: 0 };
        let (variables, result_columns, pk_indexes) = match &statement {
            Statement::Select(s) => {
                let table = ctx.table(&s.table, keyspace.as_deref())?;
                let vars = select::variables(s, &table)?;
                let pk = pk_indexes(&table, &vars);
                (vars, select::result_columns(s, &table)?, pk)
            }
            Statement::Insert(i) => {
                let table = ctx.table(&i.table, keyspace.as_deref())?;
                let vars = modification::variables(&statement, &table)?;
                let pk = pk_indexes(&table, &vars);
                (vars, Vec::new(), pk)
            }
            Statement::Update(u) => {
                let table = ctx.table(&u.table, keyspace.as_deref())?;
                let vars = modification::variables(&statement, &table)?;
                let pk = pk_indexes(&table, &vars);
                (vars, Vec::new(), pk)
            }
            Statement::Delete(d) => {
                let table = ctx.table(&d.table, keyspace.as_deref())?;
                let vars = modification::variables(&statement, &table)?;
                let pk = pk_indexes(&table, &vars);
                (vars, Vec::new(), pk)
            }
            Statement::Batch(b) => {
                let mut specs = crate::bind::VariableSpecs::default();
                for s in &b.statements {
                    let name =
                        match s {
                            Statement::Insert(i) => &i.table,
                            Statement::Update(u) => &u.table,
                            Statement::Delete(d) => &d.table,
                            _ => return Err(Error::invalid(
                                "Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.",
                            )),
                        };
                    let table = ctx.table(name, keyspace.as_deref())?;
                    modification::collect_variables(s, &table, &mut specs)?;
                }
                for u in &b.using {
                    if let cql_parser::ast::UsingParam::Timestamp(t) = u {
                        specs.visit(t, "", "", "[timestamp]", &cql_types::CqlType::BIGINT);
                    }
                }
                let vars = specs.finish(keyspace.as_deref().unwrap_or(""), "");
                (vars, Vec::new(), Vec::new())
            }
            _ => (Vec::new(), Vec::new(), Vec::new()),
        };
        let id = statement_id(keyspace.as_deref(), query);
        let result = ResultMetadata {
            columns: result_columns.clone(),
            paging_state: None,
            no_metadata: result_columns.is_empty(),
        };
        let prepared = Arc::new(Prepared { statement, keyspace, variables: variables.clone() });
        self.prepared.write().insert(id.clone(), prepared);
        Ok(PreparedResult { id, result_metadata_id: metadata_id(&result_columns), variables, pk_indexes, result })
    }

    /// Runs an EXECUTE message. An unknown id gives `Error::Unprepared` carrying that id.
    pub fn execute(&self, state: &mut ClientState, id: &[u8], options: &QueryOptions) -> Result<Outcome, Error> {
        let prepared = self.lookup(id)?;
        if options.values.len() != prepared.variables.len() {
            return Err(Error::invalid(format!(
                "There were {} markers(?) in CQL but {} bound variables",
                prepared.variables.len(),
                options.values.len()
            )));
        }
        let values = Values { values: &options.values, names: options.names.as_deref(), specs: &prepared.variables };
        let keyspace = options.keyspace.as_deref().or(prepared.keyspace.as_deref());
        self.run(state, &prepared.statement, &values, options, keyspace)
    }

    fn lookup(&self, id: &[u8]) -> Result<Arc<Prepared>, Error> {
        self.prepared.read().get(id).cloned().ok_or_else(|| Error::Unprepared {
            message: format!(
                "Prepared query with ID {} not found (either the query was not prepared on this host (maybe the host has been restarted?) or you have prepared too many queries and it has been evicted from the internal cache)",
                id.iter().map(|b| format!("{b:02x}")).collect::<String>()
            ),
            id: Bytes::copy_from_slice(id),
        })
    }

    /// Runs a BATCH message.
    pub fn batch(
        &self,
        state: &mut ClientState,
        statements: &[BatchStatement],
        options: &BatchOptions,
    ) -> Result<Outcome, Error> {
        let schema = self.schema();
        let now = options.now_in_seconds.unwrap_or_else(crate::clock::now_seconds);
        let ctx = Ctx { storage: &self.storage, schema: &schema, node: &self.node, client: state, now_seconds: now };
        let timestamp = options.timestamp.or_else(|| Some(crate::clock::write_timestamp()));
        let mut mutations = Vec::new();
        for s in statements {
            match s {
                BatchStatement::Query { query, values } => {
                    let statement = parse(query)?;
                    let v = Values { values, names: None, specs: &[] };
                    mutations.extend(self.mutations(&ctx, &statement, &v, timestamp, options.keyspace.as_deref())?);
                }
                BatchStatement::Prepared { id, values } => {
                    let prepared = self.lookup(id)?;
                    let v = Values { values, names: None, specs: &prepared.variables };
                    let ks = options.keyspace.as_deref().or(prepared.keyspace.as_deref());
                    mutations.extend(self.mutations(&ctx, &prepared.statement, &v, timestamp, ks)?);
                }
            }
        }
        self.write(mutations)
    }

    /// The mutations of an INSERT, UPDATE or DELETE (or a BATCH of them).
    fn mutations(
        &self,
        ctx: &Ctx<'_>,
        statement: &Statement,
        values: &Values<'_>,
        timestamp: Option<i64>,
        keyspace: Option<&str>,
    ) -> Result<Vec<Mutation>, Error> {
        let now = ctx.now_seconds;
        match statement {
            Statement::Insert(i) => modification::insert(&*ctx.table(&i.table, keyspace)?, i, values, timestamp, now),
            Statement::Update(u) => modification::update(&*ctx.table(&u.table, keyspace)?, u, values, timestamp, now),
            Statement::Delete(d) => modification::delete(&*ctx.table(&d.table, keyspace)?, d, values, timestamp, now),
            Statement::Batch(b) => {
                let mut out = Vec::new();
                let mut ts = timestamp;
                for u in &b.using {
                    if let cql_parser::ast::UsingParam::Timestamp(t) = u {
                        let bound = crate::bind::eval(t, &cql_types::CqlType::BIGINT, "[timestamp]", values)?;
                        if let crate::bind::Bound::Value(b) = bound {
                            if let Ok(cql_types::CqlValue::Bigint(v)) =
                                cql_types::CqlValue::deserialize(&cql_types::CqlType::BIGINT, &b)
                            {
                                ts = Some(v);
                            }
                        }
                    }
                }
                let ts = ts.or_else(|| Some(crate::clock::write_timestamp()));
                for s in &b.statements {
                    out.extend(self.mutations(ctx, s, values, ts, keyspace)?);
                }
                Ok(out)
            }
            _ => Err(Error::invalid(
                "Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.",
            )),
        }
    }

    fn write(&self, mutations: Vec<Mutation>) -> Result<Outcome, Error> {
        let mutations = modification::coalesce(mutations);
        if mutations.is_empty() {
            return Ok(Outcome { result: QueryResult::Void, durable: None, warnings: Vec::new() });
        }
        let ack = self.storage.apply(&mutations).map_err(|e| Error::Server(format!("write failed: {e}")))?;
        Ok(Outcome { result: QueryResult::Void, durable: Some(ack), warnings: Vec::new() })
    }

    fn run(
        &self,
        state: &mut ClientState,
        statement: &Statement,
        values: &Values<'_>,
        options: &QueryOptions,
        keyspace: Option<&str>,
    ) -> Result<Outcome, Error> {
        let schema = self.schema();
        let now = options.now_in_seconds.unwrap_or_else(crate::clock::now_seconds);
        let rows = |r| Ok(Outcome { result: QueryResult::Rows(r), durable: None, warnings: Vec::new() });
        match statement {
            Statement::Select(s) => {
                let ctx =
                    Ctx { storage: &self.storage, schema: &schema, node: &self.node, client: state, now_seconds: now };
                let table = ctx.table(&s.table, keyspace)?;
                rows(select::execute(&ctx, s, &table, values, options)?)
            }
            Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) | Statement::Batch(_) => {
                let ctx =
                    Ctx { storage: &self.storage, schema: &schema, node: &self.node, client: state, now_seconds: now };
                let mutations = self.mutations(&ctx, statement, values, options.timestamp, keyspace)?;
                self.write(mutations)
            }
            Statement::Use(name) => {
                schema.keyspace(name)?;
                state.keyspace = Some(name.clone());
                Ok(Outcome { result: QueryResult::SetKeyspace(name.clone()), durable: None, warnings: Vec::new() })
            }
            Statement::Describe(d) => {
                let mut client = state.clone();
                if let Some(k) = keyspace {
                    client.keyspace = Some(k.to_string());
                }
                rows(describe::execute(&schema, d, &client, &self.node.cluster_name)?)
            }
            Statement::Truncate(name) => {
                let ctx =
                    Ctx { storage: &self.storage, schema: &schema, node: &self.node, client: state, now_seconds: now };
                let table = ctx.table(name, keyspace)?;
                if table.virtual_table.is_some() {
                    return Err(Error::invalid(format!(
                        "Cannot truncate system table {}.{}",
                        table.keyspace, table.name
                    )));
                }
                self.storage.truncate_table(table.id).map_err(|e| Error::Server(format!("truncate failed: {e}")))?;
                Ok(Outcome { result: QueryResult::Void, durable: None, warnings: Vec::new() })
            }
            _ => self.schema_change(state, statement, keyspace),
        }
    }

    fn schema_change(
        &self,
        state: &ClientState,
        statement: &Statement,
        keyspace: Option<&str>,
    ) -> Result<Outcome, Error> {
        let _guard = self.ddl.lock();
        let schema = self.schema();
        let ks_of = |name: &cql_parser::ast::QualifiedName| -> Result<String, Error> {
            name.keyspace
                .clone()
                .or_else(|| keyspace.map(str::to_string))
                .or_else(|| state.keyspace.clone())
                .ok_or_else(|| {
                    Error::invalid(
                        "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename",
                    )
                })
        };
        let edit: Option<SchemaEdit> = match statement {
            Statement::CreateKeyspace(s) => ddl::create_keyspace(&schema, s)?,
            Statement::AlterKeyspace(s) => ddl::alter_keyspace(&schema, s)?,
            Statement::DropKeyspace(s) => ddl::drop_keyspace(&schema, s)?,
            Statement::CreateTable(s) => ddl::create_table(&schema, s, &ks_of(&s.name)?)?,
            Statement::AlterTable(s) => ddl::alter_table(&schema, s, &ks_of(&s.name)?)?,
            Statement::DropTable(s) => ddl::drop_table(&schema, s, &ks_of(&s.name)?)?,
            Statement::CreateType(_) | Statement::AlterType(_) | Statement::DropType(_) => {
                return Err(Error::invalid("User-defined types are not supported yet"))
            }
            Statement::CreateIndex(_) | Statement::DropIndex(_) => {
                return Err(Error::invalid("Secondary indexes are not supported yet"))
            }
            _ => return Err(Error::invalid("Unsupported statement")),
        };
        let Some(edit) = edit else {
            return Ok(Outcome { result: QueryResult::Void, durable: None, warnings: Vec::new() });
        };
        let mut new_schema = Schema { keyspaces: edit.keyspaces, version: uuid::Uuid::nil() };
        new_schema.version = new_schema.compute_version();
        if new_schema.version == schema.version {
            new_schema.version = uuid::Uuid::new_v4();
        }
        for action in &edit.actions {
            if let StorageAction::CreateTable(id) = action {
                self.storage.create_table(*id).map_err(|e| Error::Server(format!("cannot create table: {e}")))?;
            }
        }
        persist::save(&new_schema, &self.data_dir)?;
        let new_schema = Arc::new(new_schema);
        *self.schema.write() = new_schema.clone();
        self.sync_table_params(&new_schema);
        for action in &edit.actions {
            if let StorageAction::DropTable(id) = action {
                if let Err(e) = self.storage.drop_table(*id) {
                    tracing::warn!(table = %id, error = %e, "dropped table's files could not all be removed");
                }
            }
        }
        Ok(Outcome { result: QueryResult::SchemaChange(edit.change), durable: None, warnings: Vec::new() })
    }

    /// Flushes memtables and syncs the commitlog: call once on shutdown.
    pub fn shutdown(&self) -> Result<(), Error> {
        self.storage.shutdown().map_err(|e| Error::Server(format!("shutdown failed: {e}")))
    }
}

/// For each partition key column, the index of the bind variable that sets it by `=`.
fn pk_indexes(table: &crate::schema::Table, vars: &[ColumnSpec]) -> Vec<u16> {
    let mut out = Vec::new();
    for c in table.partition_key() {
        match vars.iter().position(|v| v.name == c.name && v.typ == c.typ) {
            Some(i) => out.push(i as u16),
            None => return Vec::new(),
        }
    }
    out
}
