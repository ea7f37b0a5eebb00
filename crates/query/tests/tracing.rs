//! Request traces in `system_traces` and prepared statements kept in `system.prepared_statements`.

mod support;

use std::collections::BTreeMap;

use query::{trace, Error, QueryOptions};
use support::{int, Tester};

fn uuid_literal(id: uuid::Uuid) -> String {
    id.hyphenated().to_string()
}

#[test]
fn a_traced_query_writes_its_session_and_events_to_system_traces() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v text)");
    t.exec("INSERT INTO t (k, v) VALUES (1, 'a')");
    let mut session = trace::Session::new("Execute CQL3 query", None, BTreeMap::new());
    let state = &mut t.state;
    let processor = &t.processor;
    session.run(|| processor.query(state, "SELECT v FROM t WHERE k = 1", &QueryOptions::default())).unwrap();
    t.processor.write_trace(&session);
    let id = uuid_literal(session.id);
    let rows = t.rows(&format!(
        "SELECT request, command, coordinator_port, duration FROM system_traces.sessions WHERE session_id = {id}"
    ));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0..3], ["'Execute CQL3 query'", "'QUERY'", "7000"]);
    assert_ne!(rows[0][3], "null", "the duration marks the session complete");
    let activities: Vec<String> = t
        .rows(&format!("SELECT activity FROM system_traces.events WHERE session_id = {id}"))
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(
        activities,
        [
            "'Parsing SELECT v FROM t WHERE k = 1'",
            "'Preparing statement'",
            "'Executing single-partition query on t'",
            "'Acquiring sstable references'",
            "'Merged data from memtables and 0 sstables'",
            "'Read 1 live rows and 0 tombstone cells'",
        ]
    );
    let ttl = t.rows(&format!("SELECT ttl(request) FROM system_traces.sessions WHERE session_id = {id}"));
    let ttl: i32 = ttl[0][0].parse().unwrap();
    assert!((86_000..=86_400).contains(&ttl), "{ttl}");
}

#[test]
fn an_untraced_query_writes_no_trace() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v text)");
    t.exec("SELECT v FROM t WHERE k = 1");
    assert!(t.rows("SELECT session_id FROM system_traces.sessions").is_empty());
}

#[test]
fn a_prepared_statement_executes_by_its_id_after_a_restart() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v text)");
    t.exec("INSERT INTO t (k, v) VALUES (1, 'a')");
    let p = t.processor.prepare(&t.state, "SELECT v FROM t WHERE k = ?", None).unwrap();
    let mut t = t.reopen();
    let options = QueryOptions { values: vec![int(1)], ..Default::default() };
    let r = t.processor.execute(&mut t.state, &p.id, &options).unwrap();
    assert_eq!(
        support::show_rows(&match r.result {
            query::QueryResult::Rows(r) => r,
            other => panic!("{other:?}"),
        }),
        [["'a'"]]
    );
}

#[test]
fn prepared_statements_are_listed_with_their_keyspace_and_text() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v text)");
    t.processor.prepare(&t.state, "SELECT v FROM t WHERE k = ?", None).unwrap();
    assert_eq!(
        t.rows("SELECT logged_keyspace, query_string FROM system.prepared_statements"),
        [["'ks'", "'SELECT v FROM t WHERE k = ?'"]]
    );
}

#[test]
fn dropping_a_table_forgets_its_prepared_statements_also_after_a_restart() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v text)");
    t.exec("CREATE TABLE u (k int PRIMARY KEY)");
    let on_t = t.processor.prepare(&t.state, "SELECT v FROM t WHERE k = ?", None).unwrap();
    let on_u = t.processor.prepare(&t.state, "SELECT k FROM u WHERE k = ?", None).unwrap();
    t.exec("DROP TABLE t");
    let options = QueryOptions { values: vec![int(1)], ..Default::default() };
    assert!(matches!(t.processor.execute(&mut t.state, &on_t.id, &options), Err(Error::Unprepared { .. })));
    assert_eq!(t.rows("SELECT query_string FROM system.prepared_statements"), [["'SELECT k FROM u WHERE k = ?'"]]);
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v text)");
    let mut t = t.reopen();
    assert!(matches!(t.processor.execute(&mut t.state, &on_t.id, &options), Err(Error::Unprepared { .. })));
    assert!(t.processor.execute(&mut t.state, &on_u.id, &options).is_ok());
}

#[test]
fn altering_a_tables_columns_forgets_its_prepared_statements() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v text, w int)");
    let p = t.processor.prepare(&t.state, "SELECT v FROM t WHERE k = ?", None).unwrap();
    t.exec("ALTER TABLE t DROP w");
    let options = QueryOptions { values: vec![int(1)], ..Default::default() };
    assert!(matches!(t.processor.execute(&mut t.state, &p.id, &options), Err(Error::Unprepared { .. })));
}

#[test]
fn dropping_a_keyspace_forgets_its_prepared_statements() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v text)");
    t.processor.prepare(&t.state, "SELECT v FROM t WHERE k = ?", None).unwrap();
    t.exec("DROP KEYSPACE ks");
    assert!(t.rows("SELECT query_string FROM system.prepared_statements").is_empty());
}

#[test]
fn a_recorded_statement_that_no_longer_prepares_is_removed_at_start() {
    let mut t = Tester::new();
    t.exec("INSERT INTO system.prepared_statements (prepared_id, logged_keyspace, query_string) VALUES (0x01, 'ks', 'SELECT v FROM gone WHERE k = ?')");
    let mut t = t.reopen();
    assert!(t.rows("SELECT query_string FROM system.prepared_statements").is_empty());
    let options = QueryOptions { values: vec![int(1)], ..Default::default() };
    assert!(matches!(t.processor.execute(&mut t.state, &[1], &options), Err(Error::Unprepared { .. })));
}
