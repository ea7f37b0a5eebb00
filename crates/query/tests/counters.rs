//! Counter tables: increments and decrements, reads as bigint sums, and Cassandra 5.0's rules
//! (`cql3/validation/entities/CountersTest`, `ModificationStatement.validate`, `BatchStatement.validate`,
//! `CreateTableStatement`).

mod support;

use std::sync::Arc;

use query::{QueryOptions, Value};
use support::{bigint, rows, Tester};

fn counters() -> Tester {
    let mut t = Tester::new();
    t.exec("CREATE TABLE c (k int, ck int, n counter, m counter, PRIMARY KEY (k, ck))");
    t
}

#[test]
fn increments_and_decrements_sum_up() {
    // CountersTest.testRegularCounters
    let mut t = counters();
    t.exec("UPDATE c SET n = n + 1 WHERE k = 0 AND ck = 0");
    t.exec("UPDATE c SET n = n + 10, m = m - 4 WHERE k = 0 AND ck = 0");
    t.exec("UPDATE c SET n -= 2 WHERE k = 0 AND ck = 0");
    t.exec("UPDATE c SET n += 3 WHERE k = 0 AND ck = 1");
    assert_eq!(t.rows("SELECT ck, n, m FROM c WHERE k = 0"), rows(&[&["0", "9", "-4"], &["1", "3", "null"]]));
    assert_eq!(t.column_specs("SELECT n FROM c"), [("n".to_string(), "counter".to_string())]);
    t.exec("UPDATE c SET n = n + -9223372036854775807 WHERE k = 1 AND ck = 0");
    t.exec("UPDATE c SET n = n - 1 WHERE k = 1 AND ck = 0");
    assert_eq!(t.rows("SELECT n FROM c WHERE k = 1"), rows(&[&["-9223372036854775808"]]));
}

#[test]
fn bound_increments() {
    let mut t = counters();
    t.execute("UPDATE c SET n = n + ? WHERE k = 0 AND ck = 0", vec![bigint(5)]).unwrap();
    t.execute("UPDATE c SET n = n - ? WHERE k = 0 AND ck = 0", vec![bigint(2)]).unwrap();
    t.execute("UPDATE c SET n = n + ? WHERE k = 0 AND ck = 0", vec![Value::Unset]).unwrap();
    assert_eq!(t.rows("SELECT n FROM c"), rows(&[&["3"]]));
    assert_eq!(
        t.execute("UPDATE c SET n = n + ? WHERE k = 0 AND ck = 0", vec![Value::Null]).unwrap_err().to_string(),
        "Invalid null value for counter increment"
    );
}

#[test]
fn counter_rules_and_messages() {
    let mut t = counters();
    assert_eq!(
        t.invalid("INSERT INTO c (k, ck, n) VALUES (0, 0, 1)"),
        "INSERT statements are not allowed on counter tables, use UPDATE instead"
    );
    assert_eq!(
        t.invalid("UPDATE c SET n = 1 WHERE k = 0 AND ck = 0"),
        "Cannot set the value of counter column n (counters can only be incremented/decremented, not set)"
    );
    assert_eq!(
        t.invalid("UPDATE c USING TIMESTAMP 5 SET n = n + 1 WHERE k = 0 AND ck = 0"),
        "Cannot provide custom timestamp for counter updates"
    );
    assert_eq!(
        t.invalid("UPDATE c USING TTL 5 SET n = n + 1 WHERE k = 0 AND ck = 0"),
        "Cannot provide custom TTL for counter updates"
    );
    assert_eq!(
        t.invalid("UPDATE c SET n = n + 1 WHERE k = 0 AND ck = 0 IF n = 1"),
        "Conditions on counters are not supported"
    );
    assert_eq!(
        t.invalid("UPDATE c SET n = n + 1 WHERE k = 0 AND ck = 0 IF EXISTS"),
        "Conditional updates are not supported on counter tables"
    );
    assert_eq!(
        t.invalid("CREATE TABLE bad (k int PRIMARY KEY, n counter, v int)"),
        "Cannot mix counter and non counter columns in the same table"
    );
    assert_eq!(
        t.invalid("CREATE TABLE bad (k counter PRIMARY KEY, n counter)"),
        "counter type is not supported for PRIMARY KEY column 'k'"
    );
    assert_eq!(
        t.invalid("CREATE TABLE bad (k int PRIMARY KEY, n counter) WITH default_time_to_live = 1"),
        "Cannot set default_time_to_live on a table with counters"
    );
    assert_eq!(
        t.invalid("CREATE TABLE bad (k int PRIMARY KEY, l list<counter>)"),
        "Counters are not allowed inside collections: list<counter>"
    );
}

#[test]
fn counter_batches() {
    // BatchStatement.validate
    let mut t = counters();
    t.exec("CREATE TABLE plain (k int PRIMARY KEY, v int)");
    t.exec("BEGIN COUNTER BATCH UPDATE c SET n = n + 1 WHERE k = 0 AND ck = 0; UPDATE c SET n = n + 2 WHERE k = 0 AND ck = 0; UPDATE c SET m = m + 1 WHERE k = 1 AND ck = 0; APPLY BATCH");
    assert_eq!(t.rows("SELECT k, ck, n, m FROM c"), rows(&[&["1", "0", "null", "1"], &["0", "0", "3", "null"]]));
    t.exec("BEGIN UNLOGGED BATCH UPDATE c SET n = n + 1 WHERE k = 0 AND ck = 0; APPLY BATCH");
    assert_eq!(t.rows("SELECT n FROM c WHERE k = 0"), rows(&[&["4"]]));
    assert_eq!(
        t.invalid("BEGIN COUNTER BATCH UPDATE plain SET v = 1 WHERE k = 0; APPLY BATCH"),
        "Cannot include non-counter statement in a counter batch"
    );
    assert_eq!(
        t.invalid("BEGIN UNLOGGED BATCH UPDATE plain SET v = 1 WHERE k = 0; UPDATE c SET n = n + 1 WHERE k = 0 AND ck = 0; APPLY BATCH"),
        "Counter and non-counter mutations cannot exist in the same batch"
    );
    assert_eq!(
        t.invalid("BEGIN BATCH UPDATE c SET n = n + 1 WHERE k = 0 AND ck = 0; APPLY BATCH"),
        "Cannot include a counter statement in a logged batch"
    );
    assert_eq!(
        t.invalid("BEGIN COUNTER BATCH USING TIMESTAMP 3 UPDATE c SET n = n + 1 WHERE k = 0 AND ck = 0; APPLY BATCH"),
        "Cannot provide custom timestamp for counter BATCH"
    );
}

#[test]
fn a_deleted_counter_column_stays_deleted() {
    // Cells.resolveCounter: a counter cell's tombstone wins over any counter cell (CASSANDRA-7346).
    let mut t = counters();
    t.exec("UPDATE c SET n = n + 5, m = m + 1 WHERE k = 0 AND ck = 0");
    t.exec("DELETE n FROM c WHERE k = 0 AND ck = 0");
    t.exec("UPDATE c SET n = n + 1, m = m + 1 WHERE k = 0 AND ck = 0");
    assert_eq!(t.rows("SELECT n, m FROM c"), rows(&[&["null", "2"]]));
    t.exec("UPDATE c SET n = n + 1 WHERE k = 0 AND ck = 1");
    assert_eq!(t.rows("SELECT ck, n FROM c WHERE k = 0"), rows(&[&["0", "null"], &["1", "1"]]));
}

#[test]
fn a_counter_in_a_deleted_row_starts_again_after_a_column_delete() {
    let mut t = counters();
    t.exec("UPDATE c SET n = n + 5 WHERE k = 0 AND ck = 0");
    t.exec("DELETE n FROM c WHERE k = 0 AND ck = 0");
    t.exec("DELETE FROM c WHERE k = 0 AND ck = 0");
    t.exec("UPDATE c SET n = n + 2 WHERE k = 0 AND ck = 0");
    assert_eq!(t.rows("SELECT n FROM c"), rows(&[&["2"]]));
}

#[test]
fn deleted_counters_start_again_from_zero() {
    let mut t = counters();
    t.exec("UPDATE c SET n = n + 5 WHERE k = 0 AND ck = 0");
    t.exec("DELETE FROM c WHERE k = 0 AND ck = 0");
    assert!(t.rows("SELECT n FROM c").is_empty());
    t.exec("UPDATE c SET n = n + 1 WHERE k = 0 AND ck = 0");
    assert_eq!(t.rows("SELECT n FROM c"), rows(&[&["1"]]));
}

#[test]
fn concurrent_increments_are_not_lost() {
    let t = counters();
    let processor = Arc::new(t.processor);
    let state = t.state.clone();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let p = processor.clone();
            let mut s = state.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    p.query(&mut s, "UPDATE c SET n = n + 1 WHERE k = 0 AND ck = 0", &QueryOptions::default()).unwrap();
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    let mut s = state.clone();
    let r = processor.query(&mut s, "SELECT n FROM c WHERE k = 0", &QueryOptions::default()).unwrap().result;
    match r {
        query::QueryResult::Rows(r) => assert_eq!(support::show_rows(&r), rows(&[&["400"]])),
        other => panic!("{other:?}"),
    }
}
