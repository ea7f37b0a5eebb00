//! Aggregates, GROUP BY, and their interplay with LIMIT, PER PARTITION LIMIT, DISTINCT and paging.

mod support;

use support::{rows, Tester};

#[test]
fn aggregates_of_every_numeric_type() {
    // AggregationTest.testFunctions
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (a int, b int, c double, d decimal, e smallint, f tinyint, PRIMARY KEY (a, b))");
    let q = "SELECT max(b), min(b), sum(b), avg(b), max(c), sum(c), avg(c), sum(d), avg(d), max(e), min(e), sum(e), avg(e), max(f), min(f), sum(f), avg(f) FROM t";
    assert_eq!(t.columns("SELECT COUNT(*) FROM t"), ["count"]);
    assert_eq!(t.rows("SELECT COUNT(*) FROM t"), rows(&[&["0"]]));
    assert_eq!(
        t.columns(q),
        [
            "system.max(b)",
            "system.min(b)",
            "system.sum(b)",
            "system.avg(b)",
            "system.max(c)",
            "system.sum(c)",
            "system.avg(c)",
            "system.sum(d)",
            "system.avg(d)",
            "system.max(e)",
            "system.min(e)",
            "system.sum(e)",
            "system.avg(e)",
            "system.max(f)",
            "system.min(f)",
            "system.sum(f)",
            "system.avg(f)"
        ]
    );
    // an empty table: sums and averages are zero, min and max null
    assert_eq!(
        t.rows(q),
        rows(&[&[
            "null", "null", "0", "0", "null", "0.0", "0.0", "0", "0", "null", "null", "0", "0", "null", "null", "0",
            "0"
        ]])
    );
    t.exec("INSERT INTO t (a, b, c, d, e, f) VALUES (1, 1, 11.5, 11.5, 1, 1)");
    t.exec("INSERT INTO t (a, b, c, d, e, f) VALUES (1, 2, 9.5, 1.5, 2, 2)");
    t.exec("INSERT INTO t (a, b, c, d, e, f) VALUES (1, 3, 9.0, 2.0, 3, 3)");
    assert_eq!(
        t.rows(q),
        rows(&[&["3", "1", "6", "2", "11.5", "30.0", "10.0", "15.0", "5.0", "3", "1", "6", "2", "3", "1", "6", "2"]])
    );
    t.exec("INSERT INTO t (a, b, d) VALUES (1, 5, 1.0)");
    assert_eq!(t.rows("SELECT COUNT(*) FROM t"), rows(&[&["4"]]));
    assert_eq!(t.rows("SELECT COUNT(1) FROM t"), rows(&[&["4"]]));
    assert_eq!(t.rows("SELECT COUNT(b), count(c), count(e), count(f) FROM t"), rows(&[&["4", "3", "3", "3"]]));
    assert_eq!(t.columns("SELECT COUNT(b) FROM t"), ["system.count(b)"]);
    assert_eq!(
        t.column_specs("SELECT count(b), sum(e), avg(f)  FROM t").into_iter().map(|c| c.1).collect::<Vec<_>>(),
        ["bigint", "smallint", "tinyint"]
    );
}

#[test]
fn integer_average_truncates_and_sums_wrap() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, v int, b bigint, PRIMARY KEY (k, c))");
    t.exec("INSERT INTO t (k, c, v, b) VALUES (0, 0, 2147483647, 1)");
    t.exec("INSERT INTO t (k, c, v, b) VALUES (0, 1, 2147483647, 2)");
    t.exec("INSERT INTO t (k, c, v, b) VALUES (0, 2, 1, 2)");
    // sum(int) is an int and overflows like Java; avg(int) uses a long sum
    assert_eq!(t.rows("SELECT sum(v), avg(v), avg(b) FROM t"), rows(&[&["-1", "1431655765", "1"]]));
}

#[test]
fn aggregates_mixed_with_columns_use_the_first_row() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))");
    for c in 0..3 {
        t.exec(&format!("INSERT INTO t (k, c, v) VALUES (1, {c}, {})", c * 10));
    }
    assert_eq!(t.rows("SELECT k, c, v, count(*), max(v) FROM t WHERE k = 1"), rows(&[&["1", "0", "0", "3", "20"]]));
    // an empty result still gives one row
    assert_eq!(t.rows("SELECT k, count(*), max(v) FROM t WHERE k = 2"), rows(&[&["null", "0", "null"]]));
    // LIMIT applies to the result rows
    assert_eq!(t.rows("SELECT count(*) FROM t LIMIT 1"), rows(&[&["3"]]));
    assert_eq!(
        t.invalid("SELECT max(sum(v)) FROM t"),
        "aggregate functions cannot be used as arguments of aggregate functions"
    );
    assert_eq!(
        t.invalid("SELECT count(*) FROM t PER PARTITION LIMIT 1"),
        "PER PARTITION LIMIT is not allowed with aggregate queries."
    );
}

#[test]
fn nested_functions_and_aggregates() {
    // AggregationTest.testNestedFunctions
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (a int PRIMARY KEY, b timeuuid, c double, d double)");
    assert_eq!(
        t.columns("SELECT max(a), max(toUnixTimestamp(b)) FROM t"),
        ["system.max(a)", "system.max(system.tounixtimestamp(b))"]
    );
    assert_eq!(t.rows("SELECT max(a), max(toUnixTimestamp(b)) FROM t"), rows(&[&["null", "null"]]));
    assert_eq!(
        t.columns("SELECT max(a), toUnixTimestamp(max(b)) FROM t"),
        ["system.max(a)", "system.tounixtimestamp(system.max(b))"]
    );
    t.exec("INSERT INTO t (a, b, c, d) VALUES (1, maxTimeuuid('2011-02-03 04:05:00+0000'), -1.2, 2.1)");
    t.exec("INSERT INTO t (a, b, c, d) VALUES (2, maxTimeuuid('2011-02-03 04:06:00+0000'), 1.3, -3.4)");
    t.exec("INSERT INTO t (a, b, c, d) VALUES (3, maxTimeuuid('2011-02-03 04:10:00+0000'), 1.4, 1.2)");
    assert_eq!(t.rows("SELECT max(a), max(toUnixTimestamp(b)) FROM t"), rows(&[&["3", "1296706200000"]]));
    assert_eq!(t.rows("SELECT max(a), toUnixTimestamp(max(b)) FROM t"), rows(&[&["3", "1296706200000"]]));
}

/// SelectGroupByTest.testGroupByWithoutPaging's table.
fn group_by_table() -> Tester {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (a int, b int, c int, d int, e int, PRIMARY KEY (a, b, c, d))");
    for (a, b, c, d, e) in [
        (1, 2, 1, 3, 6),
        (1, 2, 2, 6, 12),
        (1, 3, 2, 12, 24),
        (1, 4, 2, 12, 24),
        (1, 4, 2, 6, 12),
        (2, 2, 3, 3, 6),
        (2, 4, 3, 6, 12),
        (3, 3, 2, 12, 24),
        (4, 8, 2, 12, 24),
    ] {
        t.exec(&format!("INSERT INTO t (a, b, c, d, e) VALUES ({a}, {b}, {c}, {d}, {e})"));
    }
    t.exec("DELETE FROM t WHERE a = 1 AND b = 3 AND c = 2 AND d = 12");
    t.exec("DELETE FROM t WHERE a = 3");
    t
}

fn sorted(mut r: Vec<Vec<String>>) -> Vec<Vec<String>> {
    r.sort_by_key(|row| row[0].parse::<i32>().unwrap_or(0));
    r
}

#[test]
fn group_by_over_ranges() {
    // SelectGroupByTest.testGroupByWithoutPaging (range queries, in token order: we sort by a)
    let mut t = group_by_table();
    assert_eq!(
        sorted(t.rows("SELECT a, b, e, count(b), max(e) FROM t GROUP BY a")),
        rows(&[&["1", "2", "6", "4", "24"], &["2", "2", "6", "2", "12"], &["4", "8", "24", "1", "24"]])
    );
    assert_eq!(
        sorted(t.rows("SELECT a, b, e, count(b), max(e) FROM t GROUP BY a, b")),
        rows(&[
            &["1", "2", "6", "2", "12"],
            &["1", "4", "12", "2", "24"],
            &["2", "2", "6", "1", "6"],
            &["2", "4", "12", "1", "12"],
            &["4", "8", "24", "1", "24"],
        ])
    );
    assert_eq!(
        sorted(t.rows("SELECT a, b, e, count(b), max(e) FROM t WHERE b = 2 GROUP BY a, b ALLOW FILTERING")),
        rows(&[&["1", "2", "6", "2", "12"], &["2", "2", "6", "1", "6"]])
    );
    assert!(t.rows("SELECT a, b, e, count(b), max(e) FROM t WHERE b IN () GROUP BY a, b ALLOW FILTERING").is_empty());
    assert_eq!(
        sorted(t.rows("SELECT a, b, c, d FROM t GROUP BY a, b")),
        rows(&[
            &["1", "2", "1", "3"],
            &["1", "4", "2", "6"],
            &["2", "2", "3", "3"],
            &["2", "4", "3", "6"],
            &["4", "8", "2", "12"]
        ])
    );
    assert_eq!(
        sorted(t.rows("SELECT a, b, e, count(b), max(e) FROM t GROUP BY a, b PER PARTITION LIMIT 1")),
        rows(&[&["1", "2", "6", "2", "12"], &["2", "2", "6", "1", "6"], &["4", "8", "24", "1", "24"]])
    );
    assert_eq!(
        sorted(t.rows("SELECT DISTINCT a, count(a) FROM t GROUP BY a")),
        rows(&[&["1", "1"], &["2", "1"], &["4", "1"]])
    );
    assert_eq!(t.rows("SELECT a, b, e, count(b), max(e) FROM t GROUP BY a, b LIMIT 2").len(), 2);
    assert_eq!(
        t.invalid("SELECT DISTINCT a, count(a) FROM t GROUP BY a, b"),
        "Grouping on clustering columns is not allowed for SELECT DISTINCT queries"
    );
    assert_eq!(
        t.invalid("SELECT a, b, c, count(b), max(e) FROM t GROUP BY a, b ORDER BY b DESC, c DESC"),
        "ORDER BY is only supported when the partition key is restricted by an EQ or an IN."
    );
}

#[test]
fn group_by_in_partitions() {
    // SelectGroupByTest.testGroupByWithoutPaging (single and multi-partition queries)
    let mut t = group_by_table();
    assert_eq!(
        t.rows("SELECT a, b, e, count(b), max(e) FROM t WHERE a = 1 GROUP BY a, b, c"),
        rows(&[&["1", "2", "6", "1", "6"], &["1", "2", "12", "1", "12"], &["1", "4", "12", "2", "24"]])
    );
    assert_eq!(
        t.rows("SELECT a, b, e, count(b), max(e) FROM t WHERE a = 1 AND b = 2 GROUP BY c"),
        rows(&[&["1", "2", "6", "1", "6"], &["1", "2", "12", "1", "12"]])
    );
    assert_eq!(t.rows("SELECT count(b), max(e) FROM t WHERE a = 1 GROUP BY a, b, c LIMIT 1"), rows(&[&["1", "6"]]));
    assert_eq!(
        t.rows("SELECT a, b, e, count(b), max(e) FROM t WHERE a = 1 GROUP BY a, b, c ORDER BY b DESC, c DESC"),
        rows(&[&["1", "4", "24", "2", "24"], &["1", "2", "12", "1", "12"], &["1", "2", "6", "1", "6"]])
    );
    assert_eq!(
        t.rows("SELECT a, b, e, count(b), max(e) FROM t WHERE a IN (1, 2, 4) GROUP BY a, b, c PER PARTITION LIMIT 1"),
        rows(&[&["1", "2", "6", "1", "6"], &["2", "2", "6", "1", "6"], &["4", "8", "24", "1", "24"]])
    );
    assert_eq!(
        t.rows("SELECT a, b, c, count(b), max(e) FROM t WHERE a IN (1, 2, 4) GROUP BY a, b ORDER BY b DESC, c DESC"),
        rows(&[
            &["4", "8", "2", "1", "24"],
            &["2", "4", "3", "1", "12"],
            &["1", "4", "2", "2", "24"],
            &["2", "2", "3", "1", "6"],
            &["1", "2", "2", "2", "12"],
        ])
    );
}

#[test]
fn group_by_errors() {
    let mut t = group_by_table();
    assert_eq!(
        t.invalid("SELECT a, b, d, count(b), max(c) FROM t WHERE a = 1 GROUP BY a, e"),
        "Group by is currently only supported on the columns of the PRIMARY KEY, got e"
    );
    assert_eq!(
        t.invalid("SELECT a, b, d, count(b), max(c) FROM t WHERE a = 1 GROUP BY c"),
        "Group by currently only support groups of columns following their declared order in the PRIMARY KEY"
    );
    assert_eq!(
        t.invalid("SELECT a, b, d, count(b), max(c) FROM t WHERE a = 1 GROUP BY a, c, b"),
        "Group by currently only support groups of columns following their declared order in the PRIMARY KEY"
    );
    assert_eq!(t.invalid("SELECT a FROM t GROUP BY a, zz"), "Undefined column name zz in table ks.t");
    t.exec("CREATE TABLE t2 (a int, b int, c int, PRIMARY KEY ((a, b), c))");
    assert_eq!(
        t.invalid("SELECT a, count(*) FROM t2 GROUP BY a"),
        "Group by is not supported on only a part of the partition key"
    );
}

#[test]
fn group_by_pages_by_group() {
    let mut t = group_by_table();
    let whole = t.rows("SELECT a, b, c, count(*) FROM t GROUP BY a, b, c");
    for page in 1..4 {
        let pages = t.pages("SELECT a, b, c, count(*) FROM t GROUP BY a, b, c", page);
        assert!(pages.iter().all(|p| p.len() <= page as usize));
        assert_eq!(pages.into_iter().flatten().collect::<Vec<_>>(), whole);
    }
    // aggregation without GROUP BY is one row whatever the page size
    let pages = t.pages("SELECT count(*) FROM t", 2);
    assert_eq!(pages, vec![rows(&[&["7"]])]);
}

#[test]
fn aggregation_without_partition_key_warns() {
    // SelectStatement.execute: ClientWarn for aggregation queries over many partitions.
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, PRIMARY KEY (k, c))");
    let mut warnings = |q: &str| t.processor.query(&mut t.state, q, &query::QueryOptions::default()).unwrap().warnings;
    assert_eq!(warnings("SELECT count(*) FROM t"), ["Aggregation query used without partition key"]);
    assert_eq!(
        warnings("SELECT count(*) FROM t WHERE k IN (1, 2)"),
        ["Aggregation query used on multiple partition keys (IN restriction)"]
    );
    assert!(warnings("SELECT count(*) FROM t WHERE k = 1").is_empty());
    assert!(warnings("SELECT k FROM t").is_empty());
}

/// SelectGroupByTest.testGroupByTimeRangesWithTimestamp's shape (CASSANDRA-11871).
fn time_series() -> Tester {
    let mut t = Tester::new();
    t.exec("CREATE TABLE ts (pk int, time timestamp, v int, PRIMARY KEY (pk, time))");
    for (pk, time, v) in [
        (1, "2016-09-27 16:10:00", 1),
        (1, "2016-09-27 16:12:00", 2),
        (1, "2016-09-27 16:14:00", 3),
        (1, "2016-09-27 16:15:00", 4),
        (1, "2016-09-27 16:21:00", 5),
        (2, "2016-09-27 16:10:00", 6),
        (2, "2016-09-27 16:26:00", 7),
    ] {
        t.exec(&format!("INSERT INTO ts (pk, time, v) VALUES ({pk}, '{time}+0000', {v})"));
    }
    t
}

#[test]
fn group_by_floor_of_a_timestamp() {
    let mut t = time_series();
    let q = "SELECT pk, floor(time, 5m), min(v), max(v), count(v) FROM ts GROUP BY pk, floor(time, 5m)";
    let got = t.rows(q);
    let want = rows(&[
        &["1", "'2016-09-27T16:10:00.000Z'", "1", "3", "3"],
        &["1", "'2016-09-27T16:15:00.000Z'", "4", "4", "1"],
        &["1", "'2016-09-27T16:20:00.000Z'", "5", "5", "1"],
        &["2", "'2016-09-27T16:10:00.000Z'", "6", "6", "1"],
        &["2", "'2016-09-27T16:25:00.000Z'", "7", "7", "1"],
    ]);
    assert_eq!(sorted(got.clone()), want);
    assert_eq!(t.columns(q)[1], "system.floor(time, 5m)");
    for page in 1..4 {
        assert_eq!(t.pages(q, page).into_iter().flatten().collect::<Vec<_>>(), got);
    }
    assert_eq!(
        t.rows("SELECT count(v) FROM ts WHERE pk = 1 GROUP BY pk, floor(time, 10m, '2016-09-27 16:05:00+0000')"),
        rows(&[&["3"], &["2"]])
    );
}

#[test]
fn group_by_function_errors() {
    let mut t = time_series();
    t.exec("CREATE TABLE ts2 (pk int, c int, t timestamp, v int, PRIMARY KEY (pk, c))");
    assert_eq!(
        t.invalid("SELECT count(v) FROM ts WHERE pk = 1 GROUP BY floor(time, 5m), pk"),
        "Functions are only supported on the last element of the GROUP BY clause"
    );
    assert_eq!(
        t.invalid("SELECT count(v) FROM ts2 GROUP BY pk, floor(t, 5m)"),
        "Group by functions are only supported on clustering columns, got t"
    );
    assert_eq!(
        t.invalid("SELECT count(v) FROM ts GROUP BY pk, now()"),
        "GROUP BY functions must have one clustering column name as parameter"
    );
    assert_eq!(
        t.invalid("SELECT count(v) FROM ts GROUP BY pk, max(time)"),
        "Aggregate functions are not supported within the GROUP BY clause, got: system.max"
    );
    assert_eq!(
        t.invalid("SELECT count(v) FROM ts GROUP BY pk, timestampasblob(time)"),
        "Only monotonic functions are supported in the GROUP BY clause. Got: system.timestampasblob : (timestamp) -> blob "
    );
}
