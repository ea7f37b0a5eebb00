//! CQL in, rows out: the query layer driven through `QueryProcessor` on a real storage engine in a
//! temporary directory (no sockets).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bytes::Bytes;
use query::{ClientState, Error, NodeConfig, QueryOptions, QueryProcessor, QueryResult, Value};

struct Tester {
    _dir: tempfile::TempDir,
    processor: QueryProcessor,
    state: ClientState,
}

fn config(dir: &std::path::Path) -> NodeConfig {
    NodeConfig {
        cluster_name: "Test Cluster".into(),
        listen_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
        native_port: 9042,
        data_dir: dir.to_path_buf(),
        storage: storage::StorageConfig {
            data_dir: dir.join("data"),
            commitlog_dir: dir.join("commitlog"),
            sync: storage::SyncMode::Periodic { period: Duration::from_millis(100) },
            commitlog_segment_size_bytes: 1 << 20,
            memtable_flush_threshold_bytes: 1 << 20,
            compaction_threshold: 4,
            ..storage::StorageConfig::new(dir)
        },
    }
}

impl Tester {
    fn new() -> Tester {
        let dir = tempfile::tempdir().unwrap();
        let processor = QueryProcessor::open(config(dir.path())).unwrap();
        let mut t = Tester { _dir: dir, processor, state: ClientState { protocol_version: 4, ..Default::default() } };
        t.exec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
        t.exec("USE ks");
        t
    }

    fn reopen(self) -> Tester {
        self.processor.shutdown().unwrap();
        let Tester { _dir, processor, state } = self;
        drop(processor);
        let processor = QueryProcessor::open(config(_dir.path())).unwrap();
        Tester { _dir, processor, state }
    }

    fn try_exec(&mut self, q: &str) -> Result<QueryResult, Error> {
        self.processor.query(&mut self.state, q, &QueryOptions::default()).map(|o| o.result)
    }

    fn exec(&mut self, q: &str) -> QueryResult {
        self.try_exec(q).unwrap_or_else(|e| panic!("{q}: {e}"))
    }

    /// The rows of a SELECT, each cell shown as an int (4 bytes), bigint (8) or UTF-8 text.
    fn rows(&mut self, q: &str) -> Vec<Vec<String>> {
        match self.exec(q) {
            QueryResult::Rows(r) => r.rows.into_iter().map(|row| row.into_iter().map(show).collect()).collect(),
            other => panic!("{q}: not rows: {other:?}"),
        }
    }
}

fn show(v: Option<Bytes>) -> String {
    match v {
        None => "null".into(),
        Some(b) if b.len() == 4 && !b.iter().all(|c| c.is_ascii_graphic()) => {
            i32::from_be_bytes([b[0], b[1], b[2], b[3]]).to_string()
        }
        Some(b) => String::from_utf8_lossy(&b).into_owned(),
    }
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

#[test]
fn inserted_row_is_selected_by_its_key() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE users (id int PRIMARY KEY, name text, email text)");
    t.exec("INSERT INTO users (id, name, email) VALUES (1, 'Ada', 'ada@example.com')");
    assert_eq!(t.rows("SELECT name, email FROM users WHERE id = 1"), vec![row(&["Ada", "ada@example.com"])]);
    assert_eq!(t.rows("SELECT * FROM users WHERE id = 1"), vec![row(&["1", "ada@example.com", "Ada"])]);
}

#[test]
fn clustering_slices_follow_clustering_order() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE ts (k int, c int, v text, PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY (c DESC)");
    for c in 1..=5 {
        t.exec(&format!("INSERT INTO ts (k, c, v) VALUES (1, {c}, 'v{c}')"));
    }
    assert_eq!(t.rows("SELECT c FROM ts WHERE k = 1 AND c > 2"), vec![row(&["5"]), row(&["4"]), row(&["3"])]);
    assert_eq!(t.rows("SELECT c FROM ts WHERE k = 1 AND c >= 2 AND c < 4"), vec![row(&["3"]), row(&["2"])]);
    assert_eq!(t.rows("SELECT c FROM ts WHERE k = 1 ORDER BY c ASC LIMIT 2"), vec![row(&["1"]), row(&["2"])]);
}

#[test]
fn deleted_row_is_gone_and_update_overwrites() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE kv (k int PRIMARY KEY, v text)");
    t.exec("INSERT INTO kv (k, v) VALUES (1, 'a')");
    t.exec("UPDATE kv SET v = 'b' WHERE k = 1");
    assert_eq!(t.rows("SELECT v FROM kv WHERE k = 1"), vec![row(&["b"])]);
    t.exec("DELETE FROM kv WHERE k = 1");
    assert!(t.rows("SELECT v FROM kv WHERE k = 1").is_empty());
}

#[test]
fn unknown_column_is_an_invalid_request_naming_the_table() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE kv (k int PRIMARY KEY, v text)");
    match t.try_exec("SELECT x FROM kv") {
        Err(Error::Invalid(m)) => assert_eq!(m, "Undefined column name x in table ks.kv"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn syntax_error_is_a_syntax_exception() {
    let mut t = Tester::new();
    assert!(matches!(t.try_exec("SELEC * FROM kv"), Err(Error::Syntax(_))));
}

#[test]
fn table_dropped_and_created_again_starts_empty() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE kv (k int PRIMARY KEY, v text)");
    t.exec("INSERT INTO kv (k, v) VALUES (1, 'a')");
    t.exec("DROP TABLE kv");
    t.exec("CREATE TABLE kv (k int PRIMARY KEY, v text)");
    assert!(t.rows("SELECT * FROM kv").is_empty());
}

#[test]
fn schema_and_rows_survive_a_restart() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE kv (k int PRIMARY KEY, v text)");
    t.exec("INSERT INTO kv (k, v) VALUES (7, 'seven')");
    let mut t = t.reopen();
    t.exec("USE ks");
    assert_eq!(t.rows("SELECT v FROM kv WHERE k = 7"), vec![row(&["seven"])]);
}

#[test]
fn paging_returns_every_row_once() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE p (k int, c int, PRIMARY KEY (k, c))");
    for k in 0..3 {
        for c in 0..50 {
            t.exec(&format!("INSERT INTO p (k, c) VALUES ({k}, {c})"));
        }
    }
    let mut seen = Vec::new();
    let mut options = QueryOptions { page_size: Some(7), ..Default::default() };
    loop {
        let r = match t.processor.query(&mut t.state, "SELECT k, c FROM p", &options).unwrap().result {
            QueryResult::Rows(r) => r,
            other => panic!("{other:?}"),
        };
        assert!(r.rows.len() <= 7);
        seen.extend(r.rows.into_iter().map(|row| row.into_iter().map(show).collect::<Vec<_>>()));
        match r.metadata.paging_state {
            Some(s) => options.paging_state = Some(s),
            None => break,
        }
    }
    assert_eq!(seen.len(), 150);
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 150);
}

#[test]
fn system_local_has_one_row_with_the_release_version() {
    let mut t = Tester::new();
    let rows = t.rows("SELECT release_version, cluster_name FROM system.local WHERE key = 'local'");
    assert_eq!(rows, vec![row(&[query::RELEASE_VERSION, "Test Cluster"])]);
}

#[test]
fn system_schema_columns_describe_a_new_table() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE kv (k int PRIMARY KEY, v text)");
    let rows = t.rows(
        "SELECT column_name, kind, type FROM system_schema.columns WHERE keyspace_name = 'ks' AND table_name = 'kv'",
    );
    assert_eq!(rows, vec![row(&["k", "partition_key", "int"]), row(&["v", "regular", "text"])]);
}

#[test]
fn prepared_statement_binds_values() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE kv (k int PRIMARY KEY, v text)");
    let p = t.processor.prepare(&t.state, "INSERT INTO kv (k, v) VALUES (?, ?)", None).unwrap();
    assert_eq!(p.pk_indexes, vec![0]);
    let options = QueryOptions {
        values: vec![Value::Bytes(Bytes::from_static(&[0, 0, 0, 3])), Value::Bytes(Bytes::from_static(b"three"))],
        ..Default::default()
    };
    t.processor.execute(&mut t.state, &p.id, &options).unwrap();
    assert_eq!(t.rows("SELECT v FROM kv WHERE k = 3"), vec![row(&["three"])]);
}

#[test]
fn empty_batch_is_valid() {
    let mut t = Tester::new();
    assert_eq!(t.exec("BEGIN BATCH APPLY BATCH"), QueryResult::Void);
}
