//! The entry point the protocol layer calls: QUERY, PREPARE, EXECUTE and BATCH.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use cql_parser::ast::{BatchKind, Statement, UsingParam};
use parking_lot::{Mutex, RwLock};
use storage::Storage;
use storage_model::{Mutation, Partition};

use crate::bind::{Bound, Values};
use crate::schema::{persist, system, Schema};
use crate::statement::ddl::{self, SchemaEdit, StorageAction};
use crate::statement::modification::Plan;
use crate::statement::{describe, lwt, modification, select, Ctx};
use crate::trace;
use crate::virtual_tables::NodeInfo;

mod system_rows;
use crate::{
    BatchOptions, BatchStatement, ClientState, ColumnSpec, Error, Outcome, PreparedResult, QueryOptions, QueryResult,
    ResultMetadata, Value,
};
use system_rows::trace_execute_parameters;

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
    /// The query text it was prepared from (for traces and `system.prepared_statements`).
    query: String,
    /// The keyspace in use when it was prepared: unqualified names resolve against it.
    keyspace: Option<String>,
    variables: Vec<ColumnSpec>,
}

/// Executes statements. One per server, shared by all connections (`Send + Sync`).
pub struct QueryProcessor {
    storage: Storage,
    schema: RwLock<Arc<Schema>>,
    /// The tables of the current schema that have secondary indexes, by id (writes to them add
    /// index entries).
    indexed_tables: RwLock<Arc<HashMap<uuid::Uuid, Arc<crate::schema::Table>>>>,
    /// Serializes schema changes (reads never wait on it).
    ddl: Mutex<()>,
    node: NodeInfo,
    data_dir: PathBuf,
    prepared: RwLock<HashMap<Bytes, Arc<Prepared>>>,
    /// Striped per-partition locks, held from the read to the write of read-before-write statements:
    /// conditional writes (lightweight transactions) and counter updates, which on this single node
    /// are a read-modify-write of an absolute value.
    partition_locks: Vec<Mutex<()>>,
    /// Authentication and authorization settings and caches (`crate::auth`).
    pub(crate) auth: crate::auth::AuthState,
}

/// Number of partition lock stripes.
const PARTITION_LOCK_STRIPES: usize = 256;

/// One write statement of a request with what binds it.
struct WriteItem<'a> {
    statement: &'a Statement,
    values: &'a Values<'a>,
    keyspace: Option<&'a str>,
}

/// What a BATCH adds around its statements.
struct BatchInfo<'a> {
    kind: BatchKind,
    /// `USING` of a `BEGIN BATCH` statement.
    using: &'a [UsingParam],
    /// The values of a `BEGIN BATCH` statement (for its `USING TIMESTAMP ?`).
    values: Option<&'a Values<'a>>,
}

/// Cassandra's `BatchStatement.validate`, and the batch's timestamp (its `USING TIMESTAMP`, else the
/// client's, else one server timestamp shared by every statement).
/// Cassandra's default `batch_size_fail_threshold` (50KiB).
const BATCH_SIZE_FAIL_THRESHOLD: usize = 50 * 1024;

/// `BatchStatement.verifyBatchSize`: a batch over more than one partition whose data exceeds the
/// fail threshold is refused (the size is that of the encoded partition updates).
fn verify_batch_size(mutations: &[Mutation]) -> Result<(), Error> {
    let partitions: std::collections::HashSet<(uuid::Uuid, &Bytes)> =
        mutations.iter().map(|m| (m.table, &m.partition.key)).collect();
    if partitions.len() <= 1 {
        return Ok(());
    }
    let mut size = 0;
    let mut buf = Vec::new();
    for m in mutations {
        buf.clear();
        storage_model::codec::encode_partition(&m.partition, &mut buf);
        size += buf.len().saturating_sub(m.partition.key.len());
    }
    if size > BATCH_SIZE_FAIL_THRESHOLD {
        tracing::error!(size, threshold = BATCH_SIZE_FAIL_THRESHOLD, "batch too large (see batch_size_fail_threshold)");
        return Err(Error::invalid("Batch too large"));
    }
    Ok(())
}

fn validate_batch(
    batch: &BatchInfo<'_>,
    items: &[WriteItem<'_>],
    tables: &[Arc<crate::schema::Table>],
    client_timestamp: Option<i64>,
) -> Result<Option<i64>, Error> {
    let has_ts = |using: &[UsingParam]| using.iter().any(|u| matches!(u, UsingParam::Timestamp(_)));
    if batch.using.iter().any(|u| matches!(u, UsingParam::Ttl(_))) {
        return Err(Error::invalid("Global TTL on the BATCH statement is not supported."));
    }
    let has_conditions = items.iter().any(|i| match i.statement {
        Statement::Insert(s) => s.if_not_exists,
        Statement::Update(s) => s.conditions.is_some(),
        Statement::Delete(s) => s.conditions.is_some(),
        _ => false,
    });
    let timestamp_set = has_ts(batch.using);
    if timestamp_set {
        if has_conditions {
            return Err(Error::invalid("Cannot provide custom timestamp for conditional BATCH"));
        }
        if batch.kind == BatchKind::Counter {
            return Err(Error::invalid("Cannot provide custom timestamp for counter BATCH"));
        }
    }
    let mut has_counters = false;
    let mut has_non_counters = false;
    for (item, table) in items.iter().zip(tables) {
        let using = match item.statement {
            Statement::Insert(s) => &s.using,
            Statement::Update(s) => &s.using,
            Statement::Delete(s) => &s.using,
            _ => continue,
        };
        if timestamp_set && has_ts(using) {
            return Err(Error::invalid("Timestamp must be set either on BATCH or individual statements"));
        }
        if table.is_counter() {
            has_counters = true;
        } else {
            has_non_counters = true;
        }
    }
    if timestamp_set && has_counters {
        return Err(Error::invalid("Cannot provide custom timestamp for a BATCH containing counters"));
    }
    if batch.kind == BatchKind::Counter && has_non_counters {
        return Err(Error::invalid("Cannot include non-counter statement in a counter batch"));
    }
    if has_counters && has_non_counters {
        return Err(Error::invalid("Counter and non-counter mutations cannot exist in the same batch"));
    }
    if batch.kind == BatchKind::Logged && has_counters {
        return Err(Error::invalid("Cannot include a counter statement in a logged batch"));
    }
    if has_conditions && tables.iter().any(|t| t.id != tables[0].id) {
        return Err(Error::invalid("Batch with conditions cannot span multiple tables"));
    }
    let mut timestamp = None;
    for u in batch.using {
        if let UsingParam::Timestamp(t) = u {
            let empty = Values { values: &[], names: None, specs: &[] };
            match crate::bind::eval(t, &cql_types::CqlType::BIGINT, "[timestamp]", batch.values.unwrap_or(&empty))? {
                Bound::Value(b) => {
                    timestamp = Some(
                        <[u8; 8]>::try_from(b.as_ref())
                            .map(i64::from_be_bytes)
                            .map_err(|_| Error::invalid("Invalid timestamp value"))?,
                    )
                }
                Bound::Null => return Err(Error::invalid("Invalid null value of timestamp")),
                Bound::Unset => {}
            }
        }
    }
    Ok(timestamp.or(client_timestamp).or_else(|| Some(crate::clock::write_timestamp())))
}

/// A batch's conditions on one row must be of one kind (Cassandra's `CQL3CasRequest`).
fn check_cas_row_conflicts(
    earlier: &[lwt::CasStatement<'_>],
    plan: &Plan,
    clustering: &Option<Bytes>,
) -> Result<(), Error> {
    use modification::Conditions as C;
    for e in earlier.iter().filter(|e| e.plan.has_conditions() && e.clustering == *clustering) {
        match (&e.plan.conditions, &plan.conditions) {
            (C::Exists, C::Exists) | (C::NotExists, C::NotExists) | (C::Columns(_), C::Columns(_)) => {}
            (C::Exists, C::NotExists) | (C::NotExists, C::Exists) => {
                return Err(Error::invalid("Cannot mix IF EXISTS and IF NOT EXISTS conditions for the same row"))
            }
            (C::Exists | C::NotExists, C::Columns(_)) => {
                return Err(Error::invalid("Cannot mix IF conditions and IF NOT EXISTS for the same row"))
            }
            (C::Columns(_), C::NotExists) => {
                return Err(Error::invalid("Cannot mix IF conditions and IF NOT EXISTS for the same row"))
            }
            (C::Columns(_), C::Exists) => {
                return Err(Error::invalid("Cannot mix IF conditions and IF EXISTS for the same row"))
            }
            _ => {}
        }
    }
    Ok(())
}

fn parse(query: &str) -> Result<Statement, Error> {
    cql_parser::parse_statement(query).map_err(|e| Error::Syntax(e.to_string()))
}

/// [`parse`], with the steps Cassandra traces for it.
fn parse_traced(query: &str) -> Result<Statement, Error> {
    trace::event(|| format!("Parsing {query}"));
    let statement = parse(query)?;
    trace::event(|| "Preparing statement".to_string());
    Ok(statement)
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
            indexed_tables: RwLock::new(Arc::new(crate::index::indexed_tables(&schema))),
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
            partition_locks: (0..PARTITION_LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            auth: crate::auth::AuthState::new(crate::auth::AuthConfig::default()),
        };
        processor.sync_table_params(&processor.schema());
        processor.load_prepared_statements();
        Ok(processor)
    }

    /// Tells the storage engine the per-table settings it enforces (compaction, compression, bloom
    /// filter, gc_grace_seconds, allow_auto_snapshot); refused maps fall back to the defaults.
    fn sync_table_params(&self, schema: &Schema) {
        for t in schema.keyspaces.values().flat_map(|k| k.tables.values()).filter(|t| t.virtual_table.is_none()) {
            let p = &t.params;
            let maps = storage::TableOptions::from_cassandra_maps(&p.compaction, &p.compression);
            let options = storage::TableOptions {
                bloom_filter_fp_chance: p.bloom_filter_fp_chance,
                gc_grace_seconds: p.gc_grace_seconds,
                allow_auto_snapshot: p.allow_auto_snapshot,
                ..maps.unwrap_or_else(|e| {
                    tracing::warn!(table = %t.id, error = %e, "unsupported compaction or compression options");
                    storage::TableOptions::default()
                })
            };
            // Index tables take their table's settings with gc_grace_seconds 0, as Cassandra's
            // (`updateIndexTableMetadata`): the deletions of stale entries need no grace period.
            for index in &t.indexes {
                let options = storage::TableOptions { gc_grace_seconds: 0, ..options.clone() };
                if let Err(e) = self.storage.set_table_options(index.storage_id, options) {
                    tracing::warn!(table = %index.storage_id, error = %e, "cannot set the index table's storage options");
                }
            }
            if let Err(e) = self.storage.set_table_options(t.id, options) {
                tracing::warn!(table = %t.id, error = %e, "cannot set the table's storage options");
            }
        }
    }

    /// The current schema snapshot.
    pub fn schema(&self) -> Arc<Schema> {
        self.schema.read().clone()
    }

    /// The storage engine under the tables (for tools and tests that inspect stored data).
    pub fn storage(&self) -> &storage::Storage {
        &self.storage
    }

    /// Runs a QUERY message.
    pub fn query(&self, state: &mut ClientState, query: &str, options: &QueryOptions) -> Result<Outcome, Error> {
        let statement = parse_traced(query)?;
        let values = Values { values: &options.values, names: options.names.as_deref(), specs: &[] };
        self.run(state, &statement, &values, options, options.keyspace.as_deref())
    }

    /// Runs a PREPARE message; `keyspace` is the v5 per-request keyspace.
    pub fn prepare(&self, state: &ClientState, query: &str, keyspace: Option<&str>) -> Result<PreparedResult, Error> {
        let (result, prepared) = self.prepare_statement(state, query, keyspace)?;
        let fresh = self.prepared.write().insert(result.id.clone(), prepared.clone()).is_none();
        if fresh {
            self.persist_prepared(&result.id, prepared.keyspace.as_deref(), query);
        }
        Ok(result)
    }

    /// Parses and checks a statement for PREPARE, without caching it.
    fn prepare_statement(
        &self,
        state: &ClientState,
        query: &str,
        keyspace: Option<&str>,
    ) -> Result<(PreparedResult, Arc<Prepared>), Error> {
        let statement = parse_traced(query)?;
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
            _ => {
                crate::statement::disabled::prepare(&statement, keyspace.as_deref())?;
                (Vec::new(), Vec::new(), Vec::new())
            }
        };
        let id = statement_id(keyspace.as_deref(), query);
        let result = ResultMetadata {
            columns: result_columns.clone(),
            paging_state: None,
            no_metadata: result_columns.is_empty(),
            new_metadata_id: None,
        };
        let prepared =
            Arc::new(Prepared { statement, query: query.to_string(), keyspace, variables: variables.clone() });
        let result =
            PreparedResult { id, result_metadata_id: metadata_id(&result_columns), variables, pk_indexes, result };
        Ok((result, prepared))
    }

    /// Runs an EXECUTE message. An unknown id gives `Error::Unprepared` carrying that id.
    pub fn execute(&self, state: &mut ClientState, id: &[u8], options: &QueryOptions) -> Result<Outcome, Error> {
        let prepared = self.lookup(id)?;
        if trace::is_active() {
            trace_execute_parameters(&prepared, &options.values);
        }
        if options.values.len() != prepared.variables.len() {
            return Err(Error::invalid(format!(
                "There were {} markers(?) in CQL but {} bound variables",
                prepared.variables.len(),
                options.values.len()
            )));
        }
        let values = Values { values: &options.values, names: options.names.as_deref(), specs: &prepared.variables };
        let keyspace = options.keyspace.as_deref().or(prepared.keyspace.as_deref());
        let mut outcome = self.run(state, &prepared.statement, &values, options, keyspace)?;
        // v5: a client holding another result metadata id than the current one (the table was
        // altered since it prepared) gets the new id and the full metadata.
        if let (QueryResult::Rows(rows), Some(client_id)) = (&mut outcome.result, &options.result_metadata_id) {
            let current = metadata_id(&rows.metadata.columns);
            if current != client_id {
                rows.metadata.no_metadata = false;
                rows.metadata.new_metadata_id = Some(current);
            }
        }
        Ok(outcome)
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
        let parsed: Vec<(Arc<Prepared>, &[Value])> = statements
            .iter()
            .map(|s| match s {
                BatchStatement::Query { query, values } => {
                    let statement = parse_traced(query)?;
                    let prepared = Prepared {
                        statement,
                        query: query.clone(),
                        keyspace: options.keyspace.clone().or_else(|| state.keyspace.clone()),
                        variables: Vec::new(),
                    };
                    Ok((Arc::new(prepared), values.as_slice()))
                }
                BatchStatement::Prepared { id, values } => Ok((self.lookup(id)?, values.as_slice())),
            })
            .collect::<Result<_, Error>>()?;
        let values: Vec<Values<'_>> =
            parsed.iter().map(|(p, v)| Values { values: v, names: None, specs: &p.variables }).collect();
        let items: Vec<WriteItem<'_>> = parsed
            .iter()
            .zip(&values)
            .map(|((p, _), v)| WriteItem {
                statement: &p.statement,
                values: v,
                keyspace: options.keyspace.as_deref().or(p.keyspace.as_deref()),
            })
            .collect();
        let kind = match options.kind {
            1 => BatchKind::Unlogged,
            2 => BatchKind::Counter,
            _ => BatchKind::Logged,
        };
        for item in &items {
            crate::auth::authorize(self, state, item.statement, item.keyspace)?;
        }
        let batch = BatchInfo { kind, using: &[], values: None };
        self.execute_writes(&ctx, &items, Some(batch), options.timestamp)
    }

    /// Runs INSERT, UPDATE, DELETE statements, alone or as one batch: binds them into plans, checks
    /// Cassandra's batch rules, then writes blindly, or under the partitions' locks when the writes
    /// read first (list operations by index or value, counters) or are conditional.
    fn execute_writes(
        &self,
        ctx: &Ctx<'_>,
        items: &[WriteItem<'_>],
        batch: Option<BatchInfo<'_>>,
        client_timestamp: Option<i64>,
    ) -> Result<Outcome, Error> {
        let now = ctx.now_seconds;
        let tables: Vec<Arc<crate::schema::Table>> = items
            .iter()
            .map(|i| {
                let name = match i.statement {
                    Statement::Insert(s) => &s.table,
                    Statement::Update(s) => &s.table,
                    Statement::Delete(s) => &s.table,
                    _ => {
                        return Err(Error::invalid(
                            "Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.",
                        ))
                    }
                };
                ctx.table(name, i.keyspace)
            })
            .collect::<Result<_, _>>()?;
        let mut default_timestamp = client_timestamp;
        if let Some(b) = &batch {
            default_timestamp = validate_batch(b, items, &tables, client_timestamp)?;
        }
        let mut plans = Vec::with_capacity(items.len());
        for (item, table) in items.iter().zip(&tables) {
            plans.push(Plan::new(table.clone(), item.statement, item.values, default_timestamp, now)?);
        }
        if plans.iter().any(Plan::has_conditions) {
            return self.execute_cas(&plans, batch.is_some());
        }
        if !plans.iter().any(Plan::needs_read) {
            let mut mutations = Vec::new();
            for p in &plans {
                let (m, _) = p.mutations(&mut |_| Ok(None), None)?;
                mutations.extend(m);
            }
            if batch.is_some() {
                verify_batch_size(&mutations)?;
            }
            return self.write(mutations);
        }
        // Read-before-write: hold the partitions' locks from the read to the write.
        let keys: Vec<(uuid::Uuid, &Bytes)> =
            plans.iter().flat_map(|p| p.partitions.iter().map(move |k| (p.table.id, k))).collect();
        let _guards = self.lock_partitions(&keys);
        let mut cache: HashMap<(uuid::Uuid, Bytes), Option<Partition>> = HashMap::new();
        let mut mutations = Vec::new();
        let mut deltas = Vec::new();
        for p in &plans {
            let table = p.table.clone();
            let (m, d) = p.mutations(&mut |k| self.read_live(&mut cache, &table, k, now), None)?;
            mutations.extend(m);
            deltas.extend(d);
        }
        if !deltas.is_empty() {
            let by_id: HashMap<uuid::Uuid, Arc<crate::schema::Table>> =
                plans.iter().map(|p| (p.table.id, p.table.clone())).collect();
            let mut stored = |id, k: &Bytes| match by_id.get(&id) {
                Some(t) => {
                    self.storage.read_partition(t.id, k).map_err(|e| Error::Server(format!("storage error: {e}")))
                }
                None => Ok(None),
            };
            mutations.extend(modification::resolve_counters(deltas, &mut stored, now)?);
        }
        if batch.is_some() {
            verify_batch_size(&mutations)?;
        }
        self.write(mutations)
    }

    /// A conditional statement or batch (all on one partition): check, then write if it applies.
    fn execute_cas(&self, plans: &[Plan], is_batch: bool) -> Result<Outcome, Error> {
        let table = plans[0].table.clone();
        if plans.iter().any(|p| p.table.id != table.id) {
            return Err(Error::invalid("Batch with conditions cannot span multiple tables"));
        }
        let mut key: Option<&Bytes> = None;
        for p in plans {
            if is_batch && p.pk_in {
                return Err(Error::invalid(
                    "Batch with conditions cannot span multiple partitions (you cannot use IN on the partition key)",
                ));
            }
            if p.has_conditions() || !is_batch {
                p.cas_clustering()?;
            } else if p.ck_in {
                // Every statement of a conditional batch writes one row or one slice.
                let what = if p.kind == modification::Kind::Delete { "deletions" } else { "updates" };
                return Err(Error::invalid(format!(
                    "IN on the clustering key columns is not supported with conditional {what}"
                )));
            }
            match (key, p.partitions.first()) {
                (None, Some(k)) => key = Some(k),
                (Some(k), Some(other)) if k != other => {
                    return Err(Error::invalid("Batch with conditions cannot span multiple partitions"))
                }
                _ => {}
            }
        }
        let Some(key) = key else {
            return Err(Error::invalid("Some partition key parts are missing"));
        };
        let mut statements = Vec::new();
        for p in plans {
            let clustering = if p.has_conditions() { p.cas_clustering()? } else { None };
            if p.has_conditions() {
                check_cas_row_conflicts(&statements, p, &clustering)?;
            }
            statements.push(lwt::CasStatement { plan: p, clustering });
        }
        let now = plans[0].now;
        let _guard = self.lock_partitions(&[(table.id, key)]);
        let mut cache: HashMap<(uuid::Uuid, Bytes), Option<Partition>> = HashMap::new();
        let current = self.read_live(&mut cache, &table, key, now)?;
        let applied = lwt::applies(&table, &statements, current.as_ref())?;
        let rows = lwt::result(&table, &statements, current.as_ref(), applied, is_batch)?;
        let mut durable = None;
        if applied {
            // Conditional writes take the server's time, as Paxos ballots do.
            let timestamp = crate::clock::write_timestamp();
            let mut mutations = Vec::new();
            for p in plans {
                let (m, _) = p.mutations(&mut |k| self.read_live(&mut cache, &table, k, now), Some(timestamp))?;
                mutations.extend(m);
            }
            durable = self.write(mutations)?.durable;
        }
        Ok(Outcome { result: QueryResult::Rows(rows), durable, warnings: Vec::new() })
    }

    /// The live view of a partition (cached for the rest of the request: every statement of a batch
    /// sees the data as it was before the batch).
    fn read_live(
        &self,
        cache: &mut HashMap<(uuid::Uuid, Bytes), Option<Partition>>,
        table: &crate::schema::Table,
        key: &Bytes,
        now: i32,
    ) -> Result<Option<Partition>, Error> {
        if let Some(p) = cache.get(&(table.id, key.clone())) {
            return Ok(p.clone());
        }
        let p = self
            .storage
            .read_partition(table.id, key)
            .map_err(|e| Error::Server(format!("storage error: {e}")))?
            .map(|p| storage_model::purge::live_view(p, now))
            .filter(|p| !storage_model::purge::is_live_empty(p));
        cache.insert((table.id, key.clone()), p.clone());
        Ok(p)
    }

    /// Locks the stripes of these partitions, in stripe order (so two requests never wait on each
    /// other in a cycle). Held across a read and the write that depends on it, never across an await.
    fn lock_partitions(&self, keys: &[(uuid::Uuid, &Bytes)]) -> Vec<parking_lot::MutexGuard<'_, ()>> {
        use std::hash::{Hash, Hasher};
        let mut stripes: Vec<usize> = keys
            .iter()
            .map(|(t, k)| {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                t.hash(&mut h);
                k.hash(&mut h);
                (h.finish() % self.partition_locks.len() as u64) as usize
            })
            .collect();
        stripes.sort_unstable();
        stripes.dedup();
        stripes.into_iter().map(|i| self.partition_locks[i].lock()).collect()
    }

    fn write(&self, mutations: Vec<Mutation>) -> Result<Outcome, Error> {
        let mut mutations = modification::coalesce(mutations);
        if mutations.is_empty() {
            return Ok(Outcome { result: QueryResult::Void, durable: None, warnings: Vec::new() });
        }
        let base = mutations.len();
        self.check_indexed_values(&mutations)?;
        self.add_index_entries(&mut mutations);
        if trace::is_active() {
            self.trace_write(&mutations);
        }
        let ack = match self.storage.apply(&mutations) {
            // An index dropped since its entries were made: make them again from the current schema.
            Err(storage::StorageError::UnknownTable(id)) if mutations[base..].iter().any(|m| m.table == id) => {
                mutations.truncate(base);
                self.add_index_entries(&mut mutations);
                self.storage.apply(&mutations)
            }
            other => other,
        }
        .map_err(|e| Error::Server(format!("write failed: {e}")))?;
        Ok(Outcome { result: QueryResult::Void, durable: Some(ack), warnings: Vec::new() })
    }

    /// Refuses writes with a value too large for an index of their table.
    fn check_indexed_values(&self, mutations: &[Mutation]) -> Result<(), Error> {
        let indexed = self.indexed_tables.read().clone();
        for m in mutations {
            if let Some(t) = indexed.get(&m.table) {
                crate::index::entries::check_indexed_values(t, m)?;
            }
        }
        Ok(())
    }

    /// Adds the entries secondary indexes get from these writes, to be applied with them.
    fn add_index_entries(&self, mutations: &mut Vec<Mutation>) {
        let indexed = self.indexed_tables.read().clone();
        if indexed.is_empty() {
            return;
        }
        let mut extra = Vec::new();
        for m in mutations.iter() {
            if let Some(t) = indexed.get(&m.table) {
                extra.extend(crate::index::entries::index_mutations(t, m));
            }
        }
        mutations.extend(extra);
    }

    pub(crate) fn run(
        &self,
        state: &mut ClientState,
        statement: &Statement,
        values: &Values<'_>,
        options: &QueryOptions,
        keyspace: Option<&str>,
    ) -> Result<Outcome, Error> {
        crate::auth::authorize(self, state, statement, keyspace)?;
        let schema = self.schema();
        let now = options.now_in_seconds.unwrap_or_else(crate::clock::now_seconds);
        let rows = |r| Ok(Outcome { result: QueryResult::Rows(r), durable: None, warnings: Vec::new() });
        match statement {
            Statement::Select(s) => {
                let ctx =
                    Ctx { storage: &self.storage, schema: &schema, node: &self.node, client: state, now_seconds: now };
                let table = ctx.table(&s.table, keyspace)?;
                let (result, warnings) = select::execute_with_warnings(&ctx, s, &table, values, options)?;
                Ok(Outcome { result: QueryResult::Rows(result), durable: None, warnings })
            }
            Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => {
                let ctx =
                    Ctx { storage: &self.storage, schema: &schema, node: &self.node, client: state, now_seconds: now };
                let item = WriteItem { statement, values, keyspace };
                self.execute_writes(&ctx, std::slice::from_ref(&item), None, options.timestamp)
            }
            Statement::Batch(b) => {
                let ctx =
                    Ctx { storage: &self.storage, schema: &schema, node: &self.node, client: state, now_seconds: now };
                let items: Vec<WriteItem<'_>> =
                    b.statements.iter().map(|statement| WriteItem { statement, values, keyspace }).collect();
                let batch = BatchInfo { kind: b.kind, using: &b.using, values: Some(values) };
                self.execute_writes(&ctx, &items, Some(batch), options.timestamp)
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
                for index in &table.indexes {
                    self.storage
                        .truncate_table(index.storage_id)
                        .map_err(|e| Error::Server(format!("truncate failed: {e}")))?;
                }
                Ok(Outcome { result: QueryResult::Void, durable: None, warnings: Vec::new() })
            }
            _ => {
                if let Some(outcome) = crate::auth::execute_statement(self, state, statement, keyspace) {
                    return outcome;
                }
                let outcome = self.schema_change(state, statement, keyspace)?;
                crate::auth::after_schema_change(self, state, &outcome);
                Ok(outcome)
            }
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
            Statement::CreateType(s) => ddl::create_type(&schema, s, &ks_of(&s.name)?)?,
            Statement::AlterType(s) => ddl::alter_type(&schema, s, &ks_of(&s.name)?)?,
            Statement::DropType(s) => ddl::drop_type(&schema, s, &ks_of(&s.name)?)?,
            Statement::CreateIndex(s) => {
                // CreateIndexStatement.Raw.prepare: the table's keyspace, else the index name's.
                let ks = match (&s.table.keyspace, &s.keyspace) {
                    (None, Some(k)) => k.clone(),
                    _ => ks_of(&s.table)?,
                };
                crate::index::ddl::create_index(&schema, s, &ks)?
            }
            Statement::DropIndex(s) => crate::index::ddl::drop_index(&schema, s, &ks_of(&s.name)?)?,
            s if crate::statement::disabled::handles(s) => {
                crate::statement::disabled::execute(&schema, s, keyspace.or(state.keyspace.as_deref()))?;
                None
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
        *self.indexed_tables.write() = Arc::new(crate::index::indexed_tables(&new_schema));
        *self.schema.write() = new_schema.clone();
        self.invalidate_prepared(&schema, &new_schema);
        self.sync_table_params(&new_schema);
        for action in &edit.actions {
            match action {
                StorageAction::DropTable(id) => {
                    if let Err(e) = self.storage.drop_table(*id) {
                        tracing::warn!(table = %id, error = %e, "dropped table's files could not all be removed");
                    }
                }
                StorageAction::BuildIndex { keyspace, table, index } => {
                    let table = new_schema.table(keyspace, table)?;
                    if let Some(index) = table.index(index) {
                        crate::index::entries::build(&self.storage, table, index, crate::clock::now_seconds())?;
                    }
                }
                StorageAction::CreateTable(_) => {}
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
