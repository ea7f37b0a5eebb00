//! Deletes of columns, rows, clustering ranges and partitions, static columns, and TRUNCATE, with
//! Cassandra 5.0's results and messages (`cql3/validation/operations/DeleteTest`, `UpdateTest`,
//! `InsertTest`, `StatementRestrictions`).

mod support;

use query::QueryResult;
use support::{rows, Tester};

fn two_clusterings() -> Tester {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (pk int, c1 int, c2 int, v int, PRIMARY KEY (pk, c1, c2))");
    for pk in 0..3 {
        for c1 in 0..3 {
            for c2 in 0..3 {
                t.exec(&format!(
                    "INSERT INTO t (pk, c1, c2, v) VALUES ({pk}, {c1}, {c2}, {})",
                    pk * 100 + c1 * 10 + c2
                ));
            }
        }
    }
    t
}

fn keys(t: &mut Tester, pk: i32) -> Vec<String> {
    t.rows(&format!("SELECT c1, c2 FROM t WHERE pk = {pk}")).into_iter().map(|r| format!("{}{}", r[0], r[1])).collect()
}

#[test]
fn row_prefix_and_slice_deletes() {
    // DeleteTest.testDeleteWithRangeAndTwoClusteringColumns
    let mut t = two_clusterings();
    t.exec("DELETE FROM t WHERE pk = 0 AND c1 = 1");
    assert_eq!(keys(&mut t, 0), ["00", "01", "02", "20", "21", "22"]);
    t.exec("DELETE FROM t WHERE pk = 0 AND c1 = 2 AND c2 > 0");
    assert_eq!(keys(&mut t, 0), ["00", "01", "02", "20"]);
    t.exec("DELETE FROM t WHERE pk = 0 AND c1 = 0 AND c2 >= 1 AND c2 < 2");
    assert_eq!(keys(&mut t, 0), ["00", "02", "20"]);
    t.exec("DELETE FROM t WHERE pk = 0 AND c1 < 2");
    assert_eq!(keys(&mut t, 0), ["20"]);
    t.exec("DELETE FROM t WHERE pk = 1 AND (c1, c2) > (1, 1)");
    assert_eq!(keys(&mut t, 1), ["00", "01", "02", "10", "11"]);
    t.exec("DELETE FROM t WHERE pk = 1 AND (c1, c2) >= (0, 1) AND (c1) <= (0)");
    assert_eq!(keys(&mut t, 1), ["00", "10", "11"]);
    t.exec("DELETE FROM t WHERE pk = 1 AND c1 IN (0, 1) AND c2 >= 1");
    assert_eq!(keys(&mut t, 1), ["00", "10"]);
    t.exec("DELETE FROM t WHERE pk = 1 AND (c1, c2) IN ((0, 0), (2, 2))");
    assert_eq!(keys(&mut t, 1), ["10"]);
    // An empty slice deletes nothing.
    t.exec("DELETE FROM t WHERE pk = 2 AND c1 > 2 AND c1 < 1");
    assert_eq!(keys(&mut t, 2).len(), 9);
    t.exec("DELETE FROM t WHERE pk = 2");
    assert!(keys(&mut t, 2).is_empty());
}

#[test]
fn column_deletes() {
    // DeleteTest.testDeleteWithTwoClusteringColumns
    let mut t = two_clusterings();
    t.exec("DELETE v FROM t WHERE pk = 0 AND c1 = 1 AND c2 = 1");
    assert_eq!(t.rows("SELECT * FROM t WHERE pk = 0 AND c1 = 1 AND c2 = 1"), rows(&[&["0", "1", "1", "null"]]));
    t.exec("DELETE v FROM t WHERE pk = 0 AND c1 = 0 AND c2 IN (1, 2)");
    assert_eq!(t.rows("SELECT v FROM t WHERE pk = 0 AND c1 = 0"), rows(&[&["0"], &["null"], &["null"]]));
    t.exec("DELETE FROM t WHERE pk IN (1, 2) AND c1 = 0 AND c2 = 0");
    assert_eq!(t.rows("SELECT count(*) FROM t WHERE pk IN (1, 2)"), rows(&[&["16"]]));
}

#[test]
fn invalid_deletes() {
    // DeleteTest.testDeleteWithTwoClusteringColumns / testDeleteWithRangeAndOneClusteringColumn
    let mut t = two_clusterings();
    let cases = [
        ("DELETE FROM t WHERE c1 = 1 AND c2 = 1", "Some partition key parts are missing: pk"),
        (
            "DELETE FROM t WHERE pk = 0 AND c2 = 1",
            "PRIMARY KEY column \"c2\" cannot be restricted as preceding column \"c1\" is not restricted",
        ),
        (
            "DELETE FROM t WHERE token(pk) = 0 AND c1 = 1 AND c2 = 1",
            "The token function cannot be used in WHERE clauses for DELETE statements",
        ),
        (
            "DELETE FROM t WHERE pk = 0 AND c1 = 1 AND c2 = 1 AND c1 = 1",
            "c1 cannot be restricted by more than one relation if it includes an Equal",
        ),
        ("DELETE v1 FROM t WHERE pk = 0 AND c1 = 1 AND c2 = 1", "Undefined column name v1 in table ks.t"),
        ("DELETE FROM t WHERE pk1 = 0 AND c1 = 1 AND c2 = 1", "Undefined column name pk1 in table ks.t"),
        (
            "DELETE FROM t WHERE pk > 0 AND c1 = 1 AND c2 = 1",
            "Only EQ and IN relation are supported on the partition key (unless you use the token() function) for DELETE statements",
        ),
        ("DELETE FROM t WHERE pk = 0 AND c1 = 1 AND c2 = 1 AND v = 3", "Non PRIMARY KEY columns found in where clause: v "),
        ("DELETE v FROM t WHERE pk = 0 AND c1 >= 1", "Range deletions are not supported for specific columns"),
        ("DELETE v FROM t WHERE pk = 0 AND c1 = 1", "Range deletions are not supported for specific columns"),
        ("DELETE v FROM t WHERE pk = 0", "Range deletions are not supported for specific columns"),
        ("DELETE v FROM t WHERE pk = 0 AND (c1, c2) >= (1, 1)", "Range deletions are not supported for specific columns"),
        ("DELETE pk FROM t WHERE pk = 0", "Invalid identifier pk for deletion (should not be a PRIMARY KEY part)"),
        (
            "DELETE FROM t WHERE pk = 0 AND c1 > 1 AND c2 = 1",
            "Clustering column \"c2\" cannot be restricted (preceding column \"c1\" is restricted by a non-EQ relation)",
        ),
        (
            "DELETE FROM t WHERE pk = 0 AND c1 > 1 AND c1 > 2",
            "More than one restriction was found for the start bound on c1",
        ),
        ("DELETE FROM t WHERE pk = 0 AND c1 = null", "Invalid null value in condition for column c1"),
        (
            "DELETE FROM t WHERE pk = 0 AND (pk, c1) = (1, 1)",
            "Multi-column relations can only be applied to clustering columns but was applied to: pk",
        ),
    ];
    for (q, m) in cases {
        assert_eq!(t.invalid(q), m, "{q}");
    }
}

#[test]
fn update_and_insert_need_the_full_key() {
    // UpdateTest / InsertTest
    let mut t = two_clusterings();
    assert_eq!(t.invalid("UPDATE t SET v = 1 WHERE pk = 0 AND c1 = 1"), "Some clustering keys are missing: c2");
    assert_eq!(t.invalid("UPDATE t SET v = 1 WHERE pk = 0"), "Some clustering keys are missing: c1, c2");
    assert_eq!(
        t.invalid("UPDATE t SET v = 1 WHERE pk = 0 AND c1 = 1 AND c2 > 1"),
        "Slice restrictions are not supported on the clustering columns in UPDATE statements"
    );
    assert_eq!(t.invalid("UPDATE t SET v = 1 WHERE c1 = 1 AND c2 = 1"), "Some partition key parts are missing: pk");
    assert_eq!(
        t.invalid("UPDATE t SET pk = 1 WHERE pk = 0 AND c1 = 1 AND c2 = 1"),
        "PRIMARY KEY part pk found in SET part"
    );
    assert_eq!(t.invalid("INSERT INTO t (pk, c1, v) VALUES (0, 1, 1)"), "Some clustering keys are missing: c2");
    assert_eq!(t.invalid("INSERT INTO t (c1, c2, v) VALUES (0, 1, 1)"), "Some partition key parts are missing: pk");
    assert_eq!(
        t.invalid("INSERT INTO t (pk, c1, c2, v, v) VALUES (0, 1, 1, 1, 1)"),
        "The column names contains duplicates"
    );
    assert_eq!(t.invalid("INSERT INTO t (pk, c1, c2) VALUES (0, 1)"), "Unmatched column names/values");
    // IN on clustering columns updates every row named.
    t.exec("UPDATE t SET v = -1 WHERE pk = 0 AND c1 IN (0, 1) AND c2 = 2");
    assert_eq!(t.rows("SELECT v FROM t WHERE pk = 0 AND c2 = 2 ALLOW FILTERING"), rows(&[&["-1"], &["-1"], &["22"]]));
}

#[test]
fn static_columns() {
    // DeleteTest.testDeleteWithAStaticColumn, UpdateTest.testUpdateWithStaticColumn
    let mut t = Tester::new();
    t.exec("CREATE TABLE s (pk int, c1 int, c2 int, v int, sv text static, PRIMARY KEY (pk, c1, c2))");
    t.exec("INSERT INTO s (pk, c1, c2, v, sv) VALUES (0, 0, 0, 0, 'A')");
    t.exec("INSERT INTO s (pk, c1, c2, v) VALUES (0, 0, 1, 1)");
    t.exec("INSERT INTO s (pk, c1, c2, v, sv) VALUES (1, 0, 0, 6, 'B')");
    t.exec("DELETE sv FROM s WHERE pk = 0");
    assert_eq!(t.rows("SELECT DISTINCT pk, sv FROM s WHERE pk IN (0, 1)"), rows(&[&["0", "null"], &["1", "'B'"]]));
    t.exec("DELETE sv, v FROM s WHERE pk = 1 AND c1 = 0 AND c2 = 0");
    assert_eq!(
        t.rows("SELECT * FROM s"),
        rows(&[&["1", "0", "0", "null", "null"], &["0", "0", "0", "null", "0"], &["0", "0", "1", "null", "1"]])
    );
    assert_eq!(
        t.invalid("DELETE sv FROM s WHERE pk = 0 AND c1 = 0 AND c2 = 1"),
        "Invalid restrictions on clustering columns since the DELETE statement modifies only static columns"
    );
    assert_eq!(
        t.invalid("UPDATE s SET sv = 'x' WHERE pk = 0 AND c1 = 0 AND c2 = 1"),
        "Invalid restrictions on clustering columns since the UPDATE statement modifies only static columns"
    );
    // A partition with only static data reads as one row with null clustering columns.
    t.exec("UPDATE s SET sv = 'only' WHERE pk = 5");
    assert_eq!(t.rows("SELECT * FROM s WHERE pk = 5"), rows(&[&["5", "null", "null", "'only'", "null"]]));
    t.exec("INSERT INTO s (pk, sv) VALUES (6, 'inserted')");
    assert_eq!(t.rows("SELECT pk, c1, sv FROM s WHERE pk = 6"), rows(&[&["6", "null", "'inserted'"]]));
    // Deleting the rows keeps the static row; deleting the partition removes it.
    t.exec("INSERT INTO s (pk, c1, c2, v, sv) VALUES (7, 0, 0, 0, 'seven')");
    t.exec("DELETE FROM s WHERE pk = 7 AND c1 = 0");
    assert_eq!(t.rows("SELECT * FROM s WHERE pk = 7"), rows(&[&["7", "null", "null", "'seven'", "null"]]));
    t.exec("DELETE FROM s WHERE pk = 7");
    assert!(t.rows("SELECT * FROM s WHERE pk = 7").is_empty());
    assert_eq!(
        t.invalid("CREATE TABLE bad (k int PRIMARY KEY, s int static)"),
        "Static columns are only useful (and thus allowed) if the table has at least one clustering column"
    );
}

#[test]
fn truncate_empties_the_table() {
    let mut t = two_clusterings();
    assert!(matches!(t.exec("TRUNCATE TABLE t"), QueryResult::Void));
    assert!(t.rows("SELECT * FROM t").is_empty());
    t.exec("INSERT INTO t (pk, c1, c2, v) VALUES (0, 0, 0, 0)");
    assert!(matches!(t.exec("TRUNCATE t"), QueryResult::Void));
    assert!(t.rows("SELECT * FROM t").is_empty());
}

#[test]
fn timestamps_decide_between_writes_and_deletes() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE k (k int PRIMARY KEY, v int)");
    t.exec("INSERT INTO k (k, v) VALUES (0, 1) USING TIMESTAMP 100");
    t.exec("DELETE FROM k USING TIMESTAMP 50 WHERE k = 0");
    assert_eq!(t.rows("SELECT v, writetime(v) FROM k"), rows(&[&["1", "100"]]));
    t.exec("DELETE FROM k USING TIMESTAMP 100 WHERE k = 0");
    assert!(t.rows("SELECT v FROM k").is_empty());
    t.exec("INSERT INTO k (k, v) VALUES (0, 2) USING TIMESTAMP 101");
    assert_eq!(t.rows("SELECT v FROM k"), rows(&[&["2"]]));
    let e = t.execute("INSERT INTO k (k, v) VALUES (0, 2) USING TIMESTAMP ?", vec![query::Value::Null]).unwrap_err();
    assert_eq!(e.to_string(), "Invalid null value of timestamp");
}

#[test]
fn batch_timestamps() {
    // BatchStatement.validate
    let mut t = Tester::new();
    t.exec("CREATE TABLE k (k int PRIMARY KEY, v int)");
    t.exec("BEGIN BATCH USING TIMESTAMP 10 INSERT INTO k (k, v) VALUES (0, 1); INSERT INTO k (k, v) VALUES (1, 1); APPLY BATCH");
    assert_eq!(t.rows("SELECT k, writetime(v) FROM k"), rows(&[&["1", "10"], &["0", "10"]]));
    assert_eq!(
        t.invalid("BEGIN BATCH USING TIMESTAMP 10 INSERT INTO k (k, v) VALUES (0, 1) USING TIMESTAMP 3; APPLY BATCH"),
        "Timestamp must be set either on BATCH or individual statements"
    );
}
