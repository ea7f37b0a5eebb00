//! Lightweight transactions: `IF NOT EXISTS`, `IF EXISTS`, column conditions, conditional batches,
//! the `[applied]` result and its columns, as Cassandra 5.0 returns them
//! (`cql3/validation/operations/InsertUpdateIfConditionTest`, `ModificationStatement.buildCasResultSet`,
//! `CQL3CasRequest`, `ColumnCondition`).

mod support;

use std::sync::Arc;

use query::{QueryOptions, QueryResult, Value};
use support::{int, rows, Tester};

fn kv() -> Tester {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v1 int, v2 text)");
    t
}

#[test]
fn insert_if_not_exists_returns_the_existing_row() {
    let mut t = kv();
    assert_eq!(
        t.table("INSERT INTO t (k, v1, v2) VALUES (0, 2, 'foo') IF NOT EXISTS"),
        rows(&[&["[applied]"], &["true"]])
    );
    assert_eq!(
        t.table("INSERT INTO t (k, v1, v2) VALUES (0, 5, 'bar') IF NOT EXISTS"),
        rows(&[&["[applied]", "k", "v1", "v2"], &["false", "0", "2", "'foo'"]])
    );
    assert_eq!(t.rows("SELECT * FROM t"), rows(&[&["0", "2", "'foo'"]]));
    // The [applied] column belongs to the table.
    match t.exec("INSERT INTO t (k) VALUES (0) IF NOT EXISTS") {
        QueryResult::Rows(r) => {
            let c = &r.metadata.columns[0];
            assert_eq!((c.keyspace.as_str(), c.table.as_str(), c.typ.to_string()), ("ks", "t", "boolean".into()));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn update_and_delete_conditions() {
    // InsertUpdateIfConditionTest.testSimpleCas
    let mut t = kv();
    assert_eq!(t.table("UPDATE t SET v1 = 3 WHERE k = 0 IF EXISTS"), rows(&[&["[applied]"], &["false"]]));
    t.exec("INSERT INTO t (k, v1, v2) VALUES (0, 2, 'foo')");
    assert_eq!(t.table("UPDATE t SET v1 = 3 WHERE k = 0 IF v1 = 4"), rows(&[&["[applied]", "v1"], &["false", "2"]]));
    assert_eq!(
        t.table("UPDATE t SET v1 = 3 WHERE k = 0 IF v2 = 'x' AND v1 = 2"),
        rows(&[&["[applied]", "v2", "v1"], &["false", "'foo'", "2"]])
    );
    assert_eq!(
        t.table("UPDATE t SET v1 = 3, v2 = 'bar' WHERE k = 0 IF v1 = 2 AND v2 = 'foo'"),
        rows(&[&["[applied]"], &["true"]])
    );
    assert_eq!(t.rows("SELECT v1, v2 FROM t"), rows(&[&["3", "'bar'"]]));
    assert_eq!(t.rows("UPDATE t SET v1 = 4 WHERE k = 0 IF v2 IN ('x', 'bar')"), rows(&[&["true"]]));
    assert_eq!(t.rows("UPDATE t SET v1 = 5 WHERE k = 0 IF v1 != 4"), rows(&[&["false", "4"]]));
    assert_eq!(t.rows("UPDATE t SET v1 = 5 WHERE k = 0 IF v1 > 3 AND v1 <= 4"), rows(&[&["true"]]));
    assert_eq!(t.rows("UPDATE t SET v1 = 6 WHERE k = 0 IF v1 < 5"), rows(&[&["false", "5"]]));
    assert_eq!(t.rows("UPDATE t SET v1 = 6 WHERE k = 0 IF v1 IN (1, 2)"), rows(&[&["false", "5"]]));
    assert_eq!(t.rows("DELETE FROM t WHERE k = 0 IF v1 = 4"), rows(&[&["false", "5"]]));
    assert_eq!(t.rows("DELETE v2 FROM t WHERE k = 0 IF v1 = 5"), rows(&[&["true"]]));
    assert_eq!(t.rows("SELECT * FROM t"), rows(&[&["0", "5", "null"]]));
    assert_eq!(t.rows("DELETE FROM t WHERE k = 0 IF EXISTS"), rows(&[&["true"]]));
    assert!(t.rows("SELECT * FROM t").is_empty());
    assert_eq!(t.rows("DELETE FROM t WHERE k = 0 IF EXISTS"), rows(&[&["false"]]));
}

#[test]
fn null_in_conditions() {
    // ColumnCondition.Bound.compareWithOperator
    let mut t = kv();
    // On a missing row every column is null.
    assert_eq!(t.rows("UPDATE t SET v1 = 1 WHERE k = 0 IF v1 = null"), rows(&[&["true"]]));
    assert_eq!(t.rows("SELECT * FROM t"), rows(&[&["0", "1", "null"]]));
    assert_eq!(t.rows("UPDATE t SET v1 = 2 WHERE k = 0 IF v1 = null"), rows(&[&["false", "1"]]));
    assert_eq!(t.rows("UPDATE t SET v1 = 2 WHERE k = 0 IF v2 = null"), rows(&[&["true"]]));
    assert_eq!(t.rows("UPDATE t SET v1 = 3 WHERE k = 0 IF v1 != null"), rows(&[&["true"]]));
    assert_eq!(t.rows("UPDATE t SET v1 = 3 WHERE k = 0 IF v2 > 'a'"), rows(&[&["false", "null"]]));
    assert_eq!(
        t.invalid("UPDATE t SET v1 = 3 WHERE k = 0 IF v1 < null"),
        "Invalid comparison with null for operator \"<\""
    );
}

#[test]
fn collection_and_udt_conditions() {
    let mut t = Tester::new();
    t.exec("CREATE TYPE ab (a int, b text)");
    t.exec("CREATE TABLE c (k int PRIMARY KEY, l list<int>, m map<text, int>, s set<int>, u ab, fu frozen<ab>)");
    t.exec("INSERT INTO c (k, l, m, s, u, fu) VALUES (0, [1, 2], {'a': 1}, {1, 2}, {a: 1, b: 'x'}, {a: 2, b: 'y'})");
    assert_eq!(t.rows("UPDATE c SET l = [3] WHERE k = 0 IF m['a'] = 1"), rows(&[&["true"]]));
    assert_eq!(t.rows("UPDATE c SET l = [4] WHERE k = 0 IF m['b'] = 1"), rows(&[&["false", "{'a': 1}"]]));
    assert_eq!(t.rows("UPDATE c SET l = [4] WHERE k = 0 IF l[0] = 3"), rows(&[&["true"]]));
    assert_eq!(t.rows("UPDATE c SET l = [5] WHERE k = 0 IF l = [4]"), rows(&[&["true"]]));
    assert_eq!(t.rows("UPDATE c SET l = [6] WHERE k = 0 IF l > [4, 1]"), rows(&[&["true"]]));
    assert_eq!(t.rows("UPDATE c SET l = [7] WHERE k = 0 IF s = {1, 2} AND s CONTAINS 2"), rows(&[&["true"]]));
    assert_eq!(t.rows("UPDATE c SET l = [8] WHERE k = 0 IF m CONTAINS KEY 'z'"), rows(&[&["false", "{'a': 1}"]]));
    assert_eq!(t.rows("UPDATE c SET l = [8] WHERE k = 0 IF u.a = 1 AND fu.b = 'y'"), rows(&[&["true"]]));
    assert_eq!(t.rows("UPDATE c SET l = [9] WHERE k = 0 IF u = {a: 1, b: 'x'}"), rows(&[&["true"]]));
    assert_eq!(t.rows("SELECT l FROM c"), rows(&[&["[9]"]]));
    assert_eq!(
        t.invalid("UPDATE c SET l = [] WHERE k = 0 IF s[1] = 1"),
        "Invalid element access syntax for set column s"
    );
    assert_eq!(
        t.invalid("UPDATE c SET l = [] WHERE k = 0 IF k = 1"),
        "PRIMARY KEY column 'k' cannot have IF conditions"
    );
    assert_eq!(t.invalid("UPDATE c SET l = [] WHERE k = 0 IF u.z = 1"), "Unknown field z for column u");
}

#[test]
fn conditional_statement_restrictions() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, v int, s int static, PRIMARY KEY (k, c))");
    assert_eq!(
        t.invalid("UPDATE t SET v = 1 WHERE k IN (0, 1) AND c = 0 IF v = 1"),
        "IN on the partition key is not supported with conditional updates"
    );
    assert_eq!(
        t.invalid("UPDATE t SET v = 1 WHERE k = 0 AND c IN (0, 1) IF v = 1"),
        "IN on the clustering key columns is not supported with conditional updates"
    );
    // IN counts as an equality for DeleteStatement's primary key check, so the conditional check
    // answers (InsertUpdateIfConditionTest.testConditionalDelete)
    assert_eq!(
        t.invalid("DELETE v FROM t WHERE k = 0 AND c IN (0, 1) IF v = 1"),
        "IN on the clustering key columns is not supported with conditional deletions"
    );
    assert_eq!(
        t.invalid("DELETE FROM t WHERE k = 0 AND c IN (0, 1) IF v = 1"),
        "IN on the clustering key columns is not supported with conditional deletions"
    );
    assert_eq!(
        t.invalid("DELETE s FROM t WHERE k = 0 IF v = 1"),
        "DELETE statements must restrict all PRIMARY KEY columns with equality relations in order to use IF condition on non static columns"
    );
    assert_eq!(
        t.invalid("UPDATE t USING TIMESTAMP 1 SET v = 1 WHERE k = 0 AND c = 0 IF v = 1"),
        "Cannot provide custom timestamp for conditional updates"
    );
    assert_eq!(
        t.invalid("DELETE FROM t WHERE k = 0 IF EXISTS"),
        "DELETE statements must restrict all PRIMARY KEY columns with equality relations in order to delete non static columns"
    );
    t.exec("INSERT INTO t (k, c, v, s) VALUES (0, 0, 0, 1)");
    assert_eq!(t.rows("DELETE s FROM t WHERE k = 0 IF s = 1"), rows(&[&["true"]]));
    assert_eq!(t.rows("SELECT k, c, v, s FROM t"), rows(&[&["0", "0", "0", "null"]]));
}

#[test]
fn static_conditions() {
    // InsertUpdateIfConditionTest.testStaticColumnsCas
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, v int, s int static, PRIMARY KEY (k, c))");
    assert_eq!(t.rows("UPDATE t SET s = 1 WHERE k = 0 IF s = null"), rows(&[&["true"]]));
    assert_eq!(t.rows("UPDATE t SET s = 2 WHERE k = 0 IF s = 5"), rows(&[&["false", "1"]]));
    assert_eq!(
        t.rows("INSERT INTO t (k, s) VALUES (0, 9) IF NOT EXISTS"),
        rows(&[&["false", "0", "null", "1", "null"]])
    );
    assert_eq!(t.rows("INSERT INTO t (k, c, v) VALUES (0, 1, 1) IF NOT EXISTS"), rows(&[&["true"]]));
    assert_eq!(t.rows("UPDATE t SET v = 2, s = 2 WHERE k = 0 AND c = 1 IF v = 1 AND s = 1"), rows(&[&["true"]]));
    assert_eq!(t.rows("SELECT * FROM t"), rows(&[&["0", "1", "2", "2"]]));
    assert_eq!(
        t.table("UPDATE t SET v = 3 WHERE k = 0 AND c = 1 IF s = 3 AND v = 3"),
        rows(&[&["[applied]", "v", "s"], &["false", "2", "2"]])
    );
}

#[test]
fn conditional_batches_are_on_one_partition() {
    // InsertUpdateIfConditionTest / BatchStatement.makeCasRequest
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))");
    t.exec("CREATE TABLE other (k int PRIMARY KEY, v int)");
    assert_eq!(
        t.rows("BEGIN BATCH INSERT INTO t (k, c, v) VALUES (0, 0, 0) IF NOT EXISTS; INSERT INTO t (k, c, v) VALUES (0, 1, 1) IF NOT EXISTS; APPLY BATCH"),
        rows(&[&["true"]])
    );
    assert_eq!(
        t.table("BEGIN BATCH UPDATE t SET v = 5 WHERE k = 0 AND c = 0 IF v = 1; UPDATE t SET v = 6 WHERE k = 0 AND c = 1 IF v = 1; APPLY BATCH"),
        rows(&[&["[applied]", "k", "c", "v"], &["false", "0", "0", "0"], &["false", "0", "1", "1"]])
    );
    assert_eq!(
        t.rows("BEGIN BATCH UPDATE t SET v = 5 WHERE k = 0 AND c = 0 IF v = 0; DELETE FROM t WHERE k = 0 AND c = 1; INSERT INTO t (k, c, v) VALUES (0, 2, 2); APPLY BATCH"),
        rows(&[&["true"]])
    );
    assert_eq!(t.rows("SELECT c, v FROM t WHERE k = 0"), rows(&[&["0", "5"], &["2", "2"]]));
    assert_eq!(
        t.invalid("BEGIN BATCH UPDATE t SET v = 1 WHERE k = 0 AND c = 0 IF v = 1; UPDATE t SET v = 1 WHERE k = 1 AND c = 0; APPLY BATCH"),
        "Batch with conditions cannot span multiple partitions"
    );
    assert_eq!(
        t.invalid("BEGIN BATCH UPDATE t SET v = 1 WHERE k = 0 AND c = 0 IF v = 1; UPDATE other SET v = 1 WHERE k = 0; APPLY BATCH"),
        "Batch with conditions cannot span multiple tables"
    );
    assert_eq!(
        t.invalid("BEGIN BATCH USING TIMESTAMP 1 UPDATE t SET v = 1 WHERE k = 0 AND c = 0 IF v = 1; APPLY BATCH"),
        "Cannot provide custom timestamp for conditional BATCH"
    );
    assert_eq!(
        t.invalid("BEGIN BATCH INSERT INTO t (k, c, v) VALUES (0, 0, 0) IF NOT EXISTS; UPDATE t SET v = 1 WHERE k = 0 AND c = 0 IF EXISTS; APPLY BATCH"),
        "Cannot mix IF EXISTS and IF NOT EXISTS conditions for the same row"
    );
}

#[test]
fn prepared_conditions_bind_values() {
    let mut t = kv();
    t.exec("INSERT INTO t (k, v1) VALUES (0, 1)");
    let r = t.execute_rows("UPDATE t SET v1 = ? WHERE k = ? IF v1 = ?", vec![int(2), int(0), int(1)]);
    assert_eq!(r, rows(&[&["true"]]));
    let e = t.execute("UPDATE t SET v1 = ? WHERE k = ? IF v1 IN ?", vec![int(3), int(0), Value::Null]).unwrap_err();
    assert_eq!(e.to_string(), "Invalid null list in IN condition");
    let e = t.execute("UPDATE t SET v1 = ? WHERE k = ? IF v1 = ?", vec![int(3), int(0), Value::Unset]).unwrap_err();
    assert_eq!(e.to_string(), "Invalid 'unset' value in condition");
    let p = t.processor.prepare(&t.state, "UPDATE t SET v1 = ? WHERE k = ? IF v1 IN ?", None).unwrap();
    let names: Vec<&str> = p.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["v1", "k", "in(v1)"]);
}

#[test]
fn only_one_concurrent_insert_if_not_exists_wins() {
    let t = kv();
    let processor = Arc::new(t.processor);
    let state = t.state.clone();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let p = processor.clone();
            let mut s = state.clone();
            std::thread::spawn(move || {
                let q = format!("INSERT INTO t (k, v1) VALUES (0, {i}) IF NOT EXISTS");
                match p.query(&mut s, &q, &QueryOptions::default()).unwrap().result {
                    QueryResult::Rows(r) => r.rows[0][0].as_deref() == Some(&[1][..]),
                    other => panic!("{other:?}"),
                }
            })
        })
        .collect();
    let winners = threads.into_iter().map(|t| t.join().unwrap()).filter(|w| *w).count();
    assert_eq!(winners, 1);
}
