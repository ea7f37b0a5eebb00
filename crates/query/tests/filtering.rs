//! WHERE clause restrictions: what needs ALLOW FILTERING, multi-column relations, IN, CONTAINS,
//! filtering on regular and static columns, and Cassandra's refusal messages.

mod support;

use support::{rows, Tester};

const FILTERING: &str = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING";

fn sorted(mut r: Vec<Vec<String>>) -> Vec<Vec<String>> {
    r.sort();
    r
}

#[test]
fn filtering_needs_allow_filtering() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, s int static, v int, PRIMARY KEY (k, c))");
    for k in 0..3 {
        for c in 0..3 {
            t.exec(&format!("INSERT INTO t (k, c, s, v) VALUES ({k}, {c}, {k}, {})", k * 10 + c));
        }
    }
    assert_eq!(t.invalid("SELECT * FROM t WHERE v = 1"), FILTERING);
    assert_eq!(t.invalid("SELECT * FROM t WHERE c = 1"), FILTERING);
    assert_eq!(t.invalid("SELECT * FROM t WHERE c > 1"), FILTERING);
    assert_eq!(t.invalid("SELECT * FROM t WHERE k > 1"), FILTERING);
    assert_eq!(t.invalid("SELECT * FROM t WHERE k = 1 AND v = 11"), FILTERING);
    assert_eq!(t.invalid("SELECT * FROM t WHERE s = 1"), FILTERING);
    assert_eq!(t.rows("SELECT k, c FROM t WHERE v = 11 ALLOW FILTERING"), rows(&[&["1", "1"]]));
    assert_eq!(
        sorted(t.rows("SELECT k, c FROM t WHERE c = 2 ALLOW FILTERING")),
        rows(&[&["0", "2"], &["1", "2"], &["2", "2"]])
    );
    assert_eq!(t.rows("SELECT k, c FROM t WHERE k = 1 AND v > 10 AND v < 12 ALLOW FILTERING"), rows(&[&["1", "1"]]));
    assert_eq!(
        sorted(t.rows("SELECT k, c FROM t WHERE s = 2 AND c >= 1 ALLOW FILTERING")),
        rows(&[&["2", "1"], &["2", "2"]])
    );
    assert_eq!(sorted(t.rows("SELECT k FROM t WHERE k >= 1 AND k < 2 AND c = 0 ALLOW FILTERING")), rows(&[&["1"]]));
    assert_eq!(
        sorted(t.rows("SELECT k, c FROM t WHERE v IN (1, 21) ALLOW FILTERING")),
        rows(&[&["0", "1"], &["2", "1"]])
    );
}

#[test]
fn partition_key_restrictions() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (a int, b int, c int, v int, PRIMARY KEY ((a, b), c))");
    t.exec("INSERT INTO t (a, b, c, v) VALUES (1, 1, 1, 1)");
    t.exec("INSERT INTO t (a, b, c, v) VALUES (1, 2, 1, 2)");
    // a partial partition key needs filtering
    assert_eq!(t.invalid("SELECT * FROM t WHERE a = 1"), FILTERING);
    assert_eq!(sorted(t.rows("SELECT v FROM t WHERE a = 1 ALLOW FILTERING")), rows(&[&["1"], &["2"]]));
    assert_eq!(t.rows("SELECT v FROM t WHERE a = 1 AND b IN (2, 3)"), rows(&[&["2"]]));
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE a = 1 AND a = 2 AND b = 1"),
        "a cannot be restricted by more than one relation if it includes an Equal"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE a IN (1) AND a = 2 AND b = 1"),
        "a cannot be restricted by more than one relation if it includes a IN"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE token(a) > 0 AND token(a) > 1"),
        "The token() function must be applied to all partition key components or none of them"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE token(b, a) > 0"),
        "The token function arguments must be in the partition key order: a, b"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE token(a, b) > 0 AND token(a, b) > 1"),
        "More than one restriction was found for the start bound on a, b"
    );
    assert_eq!(t.invalid("SELECT * FROM t WHERE a = null AND b = 1"), "Invalid null value in condition for column a");
}

#[test]
fn clustering_restrictions() {
    // SelectTest / SelectMultiColumnRelationTest messages
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (a int, b int, c int, d int, v int, PRIMARY KEY (a, b, c, d))");
    for b in 0..2 {
        for c in 0..2 {
            for d in 0..2 {
                t.exec(&format!("INSERT INTO t (a, b, c, d, v) VALUES (0, {b}, {c}, {d}, {})", b * 4 + c * 2 + d));
            }
        }
    }
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE a = 0 AND c = 1"),
        "PRIMARY KEY column \"c\" cannot be restricted as preceding column \"b\" is not restricted"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE a = 0 AND b > 0 AND c = 1"),
        "Clustering column \"c\" cannot be restricted (preceding column \"b\" is restricted by a non-EQ relation)"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE a = 0 AND c = 1 AND b > 0"),
        "PRIMARY KEY column \"c\" cannot be restricted (preceding column \"b\" is restricted by a non-EQ relation)"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE a = 0 AND b = 1 AND b > 0"),
        "b cannot be restricted by more than one relation if it includes an Equal"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE a = 0 AND b > 1 AND b = 0"),
        "Column \"b\" cannot be restricted by both an equality and an inequality relation"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE a = 0 AND b > 1 AND b >= 0"),
        "More than one restriction was found for the start bound on b"
    );
    assert_eq!(
        t.rows("SELECT v FROM t WHERE a = 0 AND c = 1 ALLOW FILTERING"),
        rows(&[&["2"], &["3"], &["6"], &["7"]])
    );
    assert_eq!(t.rows("SELECT v FROM t WHERE a = 0 AND b > 0 AND c = 1 ALLOW FILTERING"), rows(&[&["6"], &["7"]]));
    assert_eq!(t.rows("SELECT v FROM t WHERE a = 0 AND b IN (1, 0) AND c = 1 AND d IN (0)"), rows(&[&["2"], &["6"]]));
    assert_eq!(t.rows("SELECT v FROM t WHERE a = 0 AND b = 1 AND c > 0"), rows(&[&["6"], &["7"]]));
    assert_eq!(t.rows("SELECT v FROM t WHERE a = 0 AND b = 1 AND c >= 0 AND c < 1"), rows(&[&["4"], &["5"]]));
}

#[test]
fn multi_column_relations() {
    // SelectMultiColumnRelationTest.testMultiClusteringInvalidQueries
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (a int, b int, c int, d int, PRIMARY KEY (a, b, c, d))");
    for b in 0..2 {
        for c in 0..2 {
            for d in 0..2 {
                t.exec(&format!("INSERT INTO t (a, b, c, d) VALUES (0, {b}, {c}, {d})"));
            }
        }
    }
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE a = 0 AND (d, c, b) = (0, 0, 0)"),
        "Clustering columns must appear in the PRIMARY KEY order in multi-column relations: (d, c, b) = (0, 0, 0)"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE a = 0 AND (b, d) > (0, 0)"),
        "Clustering columns must appear in the PRIMARY KEY order in multi-column relations: (b, d) > (0, 0)"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE a = 0 AND (b, c) > (0, 1, 2)"),
        "Expected 2 elements in value tuple, but got 3: (0, 1, 2)"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE (a, b) = (0, 0)"),
        "Multi-column relations can only be applied to clustering columns but was applied to: a"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE a = 0 AND (b, c) > (0, null)"),
        "Invalid null value in condition for column c"
    );
    assert_eq!(
        t.rows("SELECT b, c, d FROM t WHERE a = 0 AND (b, c) = (1, 0)"),
        rows(&[&["1", "0", "0"], &["1", "0", "1"]])
    );
    assert_eq!(
        t.rows("SELECT b, c, d FROM t WHERE a = 0 AND (b, c, d) IN ((1, 0, 1), (0, 1, 0))"),
        rows(&[&["0", "1", "0"], &["1", "0", "1"]])
    );
    assert_eq!(
        t.rows("SELECT b, c, d FROM t WHERE a = 0 AND (b, c) > (0, 1) AND (b, c, d) < (1, 1, 1)"),
        rows(&[&["1", "0", "0"], &["1", "0", "1"], &["1", "1", "0"]])
    );
}

fn mixed_order_table(t: &mut Tester, orders: [&str; 4]) {
    t.exec("DROP TABLE IF EXISTS foo");
    t.exec(&format!(
        "CREATE TABLE foo (a int, b int, c int, d int, e int, PRIMARY KEY (a, b, c, d, e)) \
         WITH CLUSTERING ORDER BY (b {}, c {}, d {}, e {})",
        orders[0], orders[1], orders[2], orders[3]
    ));
    for (b, c, d, e) in [
        (2, 0, 0, 0),
        (1, 0, 0, 0),
        (0, 0, 0, 0),
        (0, 1, 2, -1),
        (0, 1, 1, -1),
        (0, 1, 1, 0),
        (0, 1, 1, 1),
        (0, 1, 0, 2),
        (0, 2, 1, -3),
        (0, 2, 0, 3),
        (-1, 2, 2, 2),
    ] {
        t.exec(&format!("INSERT INTO foo (a, b, c, d, e) VALUES (0, {b}, {c}, {d}, {e})"));
    }
}

#[test]
fn multi_column_slices_over_mixed_clustering_orders() {
    // cql_tests.py tuple_query_mixed_order_columns_test* (CASSANDRA-7281)
    let mut t = Tester::new();
    type Case<'a> = ([&'a str; 4], &'a str, &'a [&'a [&'a str]]);
    let cases: [Case<'_>; 6] = [
        (
            ["DESC", "ASC", "DESC", "ASC"],
            ">",
            &[
                &["0", "2", "0", "0", "0"],
                &["0", "1", "0", "0", "0"],
                &["0", "0", "1", "2", "-1"],
                &["0", "0", "1", "1", "1"],
                &["0", "0", "2", "1", "-3"],
                &["0", "0", "2", "0", "3"],
            ],
        ),
        (
            ["DESC", "DESC", "DESC", "ASC"],
            ">",
            &[
                &["0", "2", "0", "0", "0"],
                &["0", "1", "0", "0", "0"],
                &["0", "0", "2", "1", "-3"],
                &["0", "0", "2", "0", "3"],
                &["0", "0", "1", "2", "-1"],
                &["0", "0", "1", "1", "1"],
            ],
        ),
        (
            ["ASC", "DESC", "DESC", "ASC"],
            ">",
            &[
                &["0", "0", "2", "1", "-3"],
                &["0", "0", "2", "0", "3"],
                &["0", "0", "1", "2", "-1"],
                &["0", "0", "1", "1", "1"],
                &["0", "1", "0", "0", "0"],
                &["0", "2", "0", "0", "0"],
            ],
        ),
        (
            ["DESC", "ASC", "ASC", "DESC"],
            ">",
            &[
                &["0", "2", "0", "0", "0"],
                &["0", "1", "0", "0", "0"],
                &["0", "0", "1", "1", "1"],
                &["0", "0", "1", "2", "-1"],
                &["0", "0", "2", "0", "3"],
                &["0", "0", "2", "1", "-3"],
            ],
        ),
        (
            ["DESC", "ASC", "DESC", "ASC"],
            "<=",
            &[
                &["0", "0", "0", "0", "0"],
                &["0", "0", "1", "1", "-1"],
                &["0", "0", "1", "1", "0"],
                &["0", "0", "1", "0", "2"],
                &["0", "-1", "2", "2", "2"],
            ],
        ),
        (
            ["ASC", "DESC", "DESC", "ASC"],
            "<=",
            &[
                &["0", "-1", "2", "2", "2"],
                &["0", "0", "1", "1", "-1"],
                &["0", "0", "1", "1", "0"],
                &["0", "0", "1", "0", "2"],
                &["0", "0", "0", "0", "0"],
            ],
        ),
    ];
    for (orders, op, expected) in cases {
        mixed_order_table(&mut t, orders);
        let q = format!("SELECT * FROM foo WHERE a=0 AND (b, c, d, e) {op} (0, 1, 1, 0)");
        assert_eq!(t.rows(&q), rows(expected), "{orders:?} {op}");
    }
}

#[test]
fn contains_and_map_entries_with_allow_filtering() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>, v int)");
    t.exec("INSERT INTO t (k, l, s, m, v) VALUES (1, [1, 2], {'a'}, {'x': 1}, 1)");
    t.exec("INSERT INTO t (k, l, s, m, v) VALUES (2, [3], {'b'}, {'y': 2}, 2)");
    assert_eq!(t.invalid("SELECT k FROM t WHERE l CONTAINS 2"), FILTERING);
    assert_eq!(t.rows("SELECT k FROM t WHERE l CONTAINS 2 ALLOW FILTERING"), rows(&[&["1"]]));
    assert_eq!(t.rows("SELECT k FROM t WHERE s CONTAINS 'b' ALLOW FILTERING"), rows(&[&["2"]]));
    assert_eq!(t.rows("SELECT k FROM t WHERE m CONTAINS KEY 'x' ALLOW FILTERING"), rows(&[&["1"]]));
    assert_eq!(t.rows("SELECT k FROM t WHERE m CONTAINS 2 ALLOW FILTERING"), rows(&[&["2"]]));
    assert_eq!(t.rows("SELECT k FROM t WHERE m['y'] = 2 ALLOW FILTERING"), rows(&[&["2"]]));
    assert_eq!(
        t.invalid("SELECT k FROM t WHERE v CONTAINS 2 ALLOW FILTERING"),
        "Cannot use CONTAINS on non-collection column v"
    );
    // SelectTest.testFilteringWithoutIndicesWithCollections
    assert_eq!(
        t.invalid("SELECT k FROM t WHERE l CONTAINS null ALLOW FILTERING"),
        "Unsupported null value for column l"
    );
    assert_eq!(
        t.invalid("SELECT k FROM t WHERE m CONTAINS KEY null ALLOW FILTERING"),
        "Unsupported null value for column m"
    );
    assert_eq!(t.invalid("SELECT k FROM t WHERE m[null] = 2 ALLOW FILTERING"), "Unsupported null map key for column m");
    assert_eq!(
        t.invalid("SELECT k FROM t WHERE m['x'] = null ALLOW FILTERING"),
        "Unsupported null map value for column m"
    );
    assert_eq!(t.invalid("SELECT k FROM t WHERE v = null ALLOW FILTERING"), "Unsupported null value for column v");
    assert_eq!(
        t.invalid("SELECT k FROM t WHERE l CONTAINS KEY 2 ALLOW FILTERING"),
        "Cannot use CONTAINS KEY on non-map column l"
    );
}

#[test]
fn unsupported_relations() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int, s text)");
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE v IS NOT NULL ALLOW FILTERING"),
        "Unsupported restriction: v IS NOT NULL"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE s LIKE 'a%' ALLOW FILTERING"),
        "LIKE restriction is only supported on properly indexed columns. s LIKE 'a%' is not valid."
    );
    assert_eq!(t.invalid("SELECT * FROM t WHERE x = 1"), "Undefined column name x in table ks.t");
}

#[test]
fn static_only_selection_cannot_restrict_clustering() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, s int static, PRIMARY KEY (k, c))");
    assert_eq!(
        t.invalid("SELECT s FROM t WHERE k = 0 AND c = 1"),
        "Cannot restrict clustering columns when selecting only static columns"
    );
}

#[test]
fn equalities_then_a_multi_column_slice_read_within_each_prefix() {
    // SelectMultiColumnRelationTest.testMultiAndSingleColumnRelationMix, with c in descending order.
    let mut t = Tester::new();
    t.exec("CREATE TABLE m (a int, b int, c int, d int, PRIMARY KEY (a, b, c, d)) WITH CLUSTERING ORDER BY (b ASC, c DESC, d ASC)");
    for b in 0..2 {
        for c in 0..2 {
            for d in 0..2 {
                t.exec(&format!("INSERT INTO m (a, b, c, d) VALUES (0, {b}, {c}, {d})"));
            }
        }
    }
    assert_eq!(
        t.rows("SELECT b, c, d FROM m WHERE a = 0 AND b = 1 AND (c, d) > (0, 0)"),
        rows(&[&["1", "1", "0"], &["1", "1", "1"], &["1", "0", "1"]])
    );
    assert_eq!(
        t.rows("SELECT b, c, d FROM m WHERE a = 0 AND b IN (0, 1) AND (c, d) <= (0, 1)"),
        rows(&[&["0", "0", "0"], &["0", "0", "1"], &["1", "0", "0"], &["1", "0", "1"]])
    );
    assert_eq!(
        t.rows("SELECT b, c, d FROM m WHERE a = 0 AND (b) = (0) AND (c, d) IN ((1, 1), (0, 0))"),
        rows(&[&["0", "1", "1"], &["0", "0", "0"]])
    );
    assert_eq!(t.rows("SELECT b, c, d FROM m WHERE a = 0 AND (b, c) = (1, 0) AND d > 0"), rows(&[&["1", "0", "1"]]));
    // A single-column slice on the first column of a multi-column slice merges into it.
    assert_eq!(
        t.rows("SELECT b, c, d FROM m WHERE a = 0 AND b = 1 AND (c, d) > (0, 0) AND c <= 0"),
        rows(&[&["1", "0", "1"]])
    );
    assert_eq!(
        t.rows("SELECT b, c, d FROM m WHERE a = 0 AND b = 1 AND c < 1 AND (c, d) >= (0, 1)"),
        rows(&[&["1", "0", "1"]])
    );
}

#[test]
fn a_multi_column_relation_after_a_gap_is_a_filter() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE m (a int, b int, c int, d int, PRIMARY KEY (a, b, c, d))");
    for b in 0..2 {
        for c in 0..2 {
            for d in 0..2 {
                t.exec(&format!("INSERT INTO m (a, b, c, d) VALUES (0, {b}, {c}, {d})"));
            }
        }
    }
    assert_eq!(
        t.invalid("SELECT * FROM m WHERE a = 0 AND (c, d) >= (1, 1)"),
        "PRIMARY KEY column \"c\" cannot be restricted as preceding column \"b\" is not restricted"
    );
    assert_eq!(
        t.rows("SELECT b, c, d FROM m WHERE a = 0 AND (c, d) >= (1, 1) ALLOW FILTERING"),
        rows(&[&["0", "1", "1"], &["1", "1", "1"]])
    );
    assert_eq!(
        t.rows("SELECT b, c, d FROM m WHERE a = 0 AND (c, d) IN ((0, 1), (1, 0)) ALLOW FILTERING"),
        rows(&[&["0", "0", "1"], &["0", "1", "0"], &["1", "0", "1"], &["1", "1", "0"]])
    );
    assert_eq!(
        t.invalid("SELECT * FROM m WHERE a = 0 AND (b, c) > (0, 0) AND (c) < (1)"),
        "Column \"c\" cannot be restricted by two inequalities not starting with the same column"
    );
    assert_eq!(
        t.invalid("SELECT * FROM m WHERE a = 0 AND (b, c) > (0, 0) AND (b) IN ((0))"),
        "Column \"b\" cannot be restricted by both an equality and an inequality relation"
    );
    assert_eq!(
        t.invalid("SELECT * FROM m WHERE a = 0 AND (b, c) IN ((0, 0)) AND (b, c) > (0, 0)"),
        "b ,c cannot be restricted by more than one relation if it includes a IN"
    );
    assert_eq!(
        t.invalid("SELECT * FROM m WHERE a = 0 AND (b, c) = (0, 0) AND (c, d) = (0, 1)"),
        "c cannot be restricted by more than one relation if it includes an Equal"
    );
}
