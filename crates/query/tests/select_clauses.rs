//! Selectors (names, types, aliases, terms, casts, arithmetic, token), DISTINCT, ORDER BY, LIMIT and
//! full-table scans, with the results and messages Cassandra 5.0 gives.

mod support;

use support::{row, rows, Tester};

#[test]
fn aliases_name_result_columns() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    t.exec("INSERT INTO t (k, v) VALUES (1, 2)");
    assert_eq!(t.columns("SELECT k AS a, v AS \"B\" FROM t"), ["a", "B"]);
    assert_eq!(t.rows("SELECT k AS a, v AS b FROM t"), rows(&[&["1", "2"]]));
}

#[test]
fn function_results_are_named_after_the_qualified_function() {
    // JsonTest.testSelectJsonSyntax: system.tojson(system.blobasint(system.intasblob(v)))
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int, b blob)");
    t.exec("INSERT INTO t (k, v, b) VALUES (1, 2, 0x00000003)");
    assert_eq!(
        t.column_specs("SELECT blobAsInt(b), blob_as_int(b), intAsBlob(v), toJson(blobAsInt(intAsBlob(v))) FROM t"),
        [
            ("system.blobasint(b)".to_string(), "int".to_string()),
            ("system.blob_as_int(b)".to_string(), "int".to_string()),
            ("system.intasblob(v)".to_string(), "blob".to_string()),
            ("system.tojson(system.blobasint(system.intasblob(v)))".to_string(), "text".to_string()),
        ]
    );
    assert_eq!(
        t.rows("SELECT blobAsInt(b), blob_as_int(b), intAsBlob(v), toJson(blobAsInt(intAsBlob(v))) FROM t"),
        rows(&[&["3", "3", "0x00000002", "'2'"]])
    );
}

#[test]
fn writetime_and_ttl() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int, w int)");
    t.exec("INSERT INTO t (k, v) VALUES (1, 2) USING TIMESTAMP 1234 AND TTL 1000");
    t.exec("INSERT INTO t (k, w) VALUES (1, 3) USING TIMESTAMP 5678");
    assert_eq!(
        t.columns("SELECT writetime(v), ttl(v), maxwritetime(w) FROM t"),
        ["writetime(v)", "ttl(v)", "maxwritetime(w)"]
    );
    let r = t.rows("SELECT writetime(v), ttl(v), writetime(w), ttl(w) FROM t");
    assert_eq!(r[0][0], "1234");
    let ttl: i32 = r[0][1].parse().unwrap();
    assert!((990..=1000).contains(&ttl), "{ttl}");
    assert_eq!(&r[0][2..], ["5678", "null"]);
    assert_eq!(
        t.invalid("SELECT writetime(k) FROM t"),
        "Cannot use selection function writetime on PRIMARY KEY part k"
    );
    assert_eq!(t.invalid("SELECT ttl(k) FROM t"), "Cannot use selection function ttl on PRIMARY KEY part k");
}

#[test]
fn writetime_and_ttl_of_multi_cell_collections_are_lists() {
    // WritetimeOrTTLTest.testList / testSet (Cassandra 5.0): one value per element.
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, l list<int>, s set<int>)");
    t.exec("INSERT INTO t (k, l, s) VALUES (1, [1], {1}) USING TIMESTAMP 1");
    t.exec("UPDATE t USING TIMESTAMP 2 AND TTL 20000 SET l = l + [2], s = s + {2} WHERE k = 1");
    assert_eq!(
        t.column_specs("SELECT writetime(l), maxwritetime(l), ttl(s) FROM t"),
        [
            ("writetime(l)".to_string(), "list<bigint>".to_string()),
            ("maxwritetime(l)".to_string(), "bigint".to_string()),
            ("ttl(s)".to_string(), "list<int>".to_string())
        ]
    );
    let r = t.rows("SELECT writetime(l), maxwritetime(l) FROM t");
    assert_eq!(r, rows(&[&["[1, 2]", "2"]]));
    // TTL(s): null for the element without one (a list with a null element, as drivers decode it)
    let raw = match t.exec("SELECT ttl(s) FROM t") {
        query::QueryResult::Rows(r) => r.rows[0][0].clone().unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(&raw[..12], &[0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 4]);
    let ttl = i32::from_be_bytes([raw[12], raw[13], raw[14], raw[15]]);
    assert!((19_990..=20_000).contains(&ttl), "{ttl}");
}

#[test]
fn terms_as_selectors_need_a_type() {
    // TermSelectionTest.testSelectLiteral
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (pk int, ck int, t text, PRIMARY KEY (pk, ck))");
    t.exec("INSERT INTO t (pk, ck, t) VALUES (1, 1, 'one')");
    t.exec("INSERT INTO t (pk, ck, t) VALUES (1, 2, 'two')");
    assert_eq!(
        t.invalid("SELECT ck, t, 42 FROM t"),
        "Cannot infer type for term 42 in selection clause (try using a cast to force a type)"
    );
    assert!(t.invalid("SELECT ck, t, 'a const' FROM t").starts_with("Cannot infer type for term 'a const'"));
    assert!(t.invalid("SELECT ck, ? FROM t").starts_with("Cannot infer type for term ?"));
    assert_eq!(t.columns("SELECT ck, t, (int)42, (int)43 FROM t"), ["ck", "t", "(int)42", "(int)43"]);
    assert_eq!(
        t.rows("SELECT ck, (text)'a const', (int) 42 FROM t"),
        rows(&[&["1", "'a const'", "42"], &["2", "'a const'", "42"]])
    );
    assert_eq!(t.rows("SELECT (list<int>)[1, 2, 3] FROM t WHERE pk = 1 AND ck = 1"), rows(&[&["[1, 2, 3]"]]));
}

#[test]
fn casts_follow_cassandras_conversion_table() {
    // CastFctsTest.testNumericCastsInSelectionClause / testTimeCastsInSelectionClause
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (a tinyint PRIMARY KEY, b smallint, c int, d bigint, e float, f double, g decimal, h varint, i int)");
    t.exec("INSERT INTO t (a, b, c, d, e, f, g, h) VALUES (1, 2, 3, 4, 5.2, 6.3, 6.3, 4)");
    assert_eq!(
        t.columns("SELECT CAST(b AS int), CAST(c AS int), CAST(d AS double) FROM t"),
        ["cast(b as int)", "c", "cast(d as double)"]
    );
    assert_eq!(
        t.rows("SELECT CAST(a AS int), CAST(e AS int), CAST(f AS tinyint), CAST(g AS bigint), CAST(i AS int) FROM t"),
        rows(&[&["1", "5", "6", "6", "null"]])
    );
    assert_eq!(
        t.rows("SELECT CAST(c AS decimal), CAST(e AS decimal), CAST(e AS double), CAST(g AS float) FROM t"),
        // CastFcts.getDecimalConversionFunction (since CASSANDRA-18647): integers exactly, a float
        // through Float.toString.
        rows(&[&["3", "5.2", "5.199999809265137", "6.3"]])
    );
    assert_eq!(
        t.rows("SELECT CAST(a AS text), CAST(e AS text), CAST(f AS ascii), CAST(g AS text), CAST(h AS text) FROM t"),
        rows(&[&["'1'", "'5.2'", "'6.3'", "'6.3'", "'4'"]])
    );
    assert_eq!(t.invalid("SELECT CAST(a AS boolean) FROM t"), "a cannot be cast to boolean");

    t.exec("CREATE TABLE times (a timeuuid PRIMARY KEY, b timestamp, c date, d time)");
    t.exec("INSERT INTO times (a, b, c, d) VALUES (maxTimeuuid('2015-05-21 11:03:02+00'), '2015-05-21 11:03:02+00', '2015-05-21', '11:03:02')");
    assert_eq!(
        t.rows("SELECT CAST(a AS timestamp), CAST(c AS timestamp), CAST(a AS date), CAST(b AS date) FROM times"),
        rows(&[&["'2015-05-21T11:03:02.000Z'", "'2015-05-21T00:00:00.000Z'", "'2015-05-21'", "'2015-05-21'"]])
    );
    assert_eq!(
        t.rows("SELECT CAST(b AS text), CAST(c AS text), CAST(d AS text) FROM times"),
        rows(&[&["'2015-05-21T11:03:02.000Z'", "'2015-05-21'", "'11:03:02.000000000'"]])
    );
}

#[test]
fn arithmetic_in_selectors() {
    // OperationFctsTest: result types and names
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (a tinyint, b smallint, c int, d bigint, e float, f double, g varint, h decimal, PRIMARY KEY (a, b))");
    t.exec("INSERT INTO t (a, b, c, d, e, f, g, h) VALUES (1, 2, 3, 4, 5.5, 6.5, 7, 8.5)");
    assert_eq!(
        t.column_specs("SELECT a + b, c - d, e * f, g / c, h % c, -c, c + 1 FROM t WHERE a = 1"),
        [
            ("a + b".to_string(), "smallint".to_string()),
            ("c - d".to_string(), "bigint".to_string()),
            ("e * f".to_string(), "double".to_string()),
            ("g / c".to_string(), "varint".to_string()),
            ("h % c".to_string(), "decimal".to_string()),
            ("-c".to_string(), "int".to_string()),
            ("c + 1".to_string(), "int".to_string()),
        ]
    );
    assert_eq!(
        t.rows("SELECT a + b, c - d, e * f, g / c, h % c, -c, c + 1, d / c, c / 2 FROM t WHERE a = 1"),
        rows(&[&["3", "-1", "35.75", "2", "2.5", "-3", "4", "1", "1"]])
    );
    match t.error("SELECT c / 0 FROM t") {
        query::Error::FunctionFailure { message, .. } => {
            assert_eq!(message, "the operation 'int / int' failed: / by zero")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn token_is_murmur3_like_cassandras() {
    // Known Murmur3Partitioner tokens of int keys.
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    for k in 0..3 {
        t.exec(&format!("INSERT INTO t (k, v) VALUES ({k}, {k})"));
    }
    assert_eq!(t.columns("SELECT token(k) FROM t"), ["system.token(k)"]);
    let r = t.rows("SELECT k, token(k) FROM t");
    // rows come back in token order
    let tokens: Vec<i64> = r.iter().map(|row| row[1].parse().unwrap()).collect();
    let mut sorted = tokens.clone();
    sorted.sort();
    assert_eq!(tokens, sorted);
    assert!(r.contains(&row(&["0", "-3485513579396041028"])));
    assert!(r.contains(&row(&["1", "-4069959284402364209"])));
    assert!(r.contains(&row(&["2", "-3248873570005575792"])));
}

#[test]
fn token_ranges_select_partitions_in_token_order() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    for k in 0..3 {
        t.exec(&format!("INSERT INTO t (k, v) VALUES ({k}, {k})"));
    }
    // tokens: 1 -> -4069959284402364209, 0 -> -3485513579396041028, 2 -> -3248873570005575792
    assert_eq!(t.rows("SELECT k FROM t WHERE token(k) > -4069959284402364209"), rows(&[&["0"], &["2"]]));
    assert_eq!(
        t.rows("SELECT k FROM t WHERE token(k) >= -4069959284402364209 AND token(k) < -3248873570005575792"),
        rows(&[&["1"], &["0"]])
    );
    assert_eq!(t.rows("SELECT k FROM t WHERE token(k) = -3485513579396041028"), rows(&[&["0"]]));
    assert_eq!(t.rows("SELECT k FROM t WHERE token(k) > token(0)"), rows(&[&["2"]]));
    // an inverted range is empty, not a wrap-around
    assert!(t.rows("SELECT k FROM t WHERE token(k) > 0 AND token(k) < -10").is_empty());
    // the minimum token as an upper bound means the end of the ring
    assert_eq!(t.rows("SELECT k FROM t WHERE token(k) > 0 AND token(k) <= -9223372036854775808").len(), 0);
    assert_eq!(t.rows("SELECT k FROM t WHERE token(k) <= -9223372036854775808").len(), 3);
    // values and token() together: the keys whose token is in range (SelectTest's
    // testSingleColumnPartitionKeyWithTokenNonTokenRestrictionsMix)
    assert_eq!(t.rows("SELECT k FROM t WHERE token(k) > token(1) AND k IN (0, 1)"), rows(&[&["0"]]));
    assert_eq!(t.rows("SELECT k FROM t WHERE k = 0 AND token(k) > token(1)"), rows(&[&["0"]]));
    assert!(t.rows("SELECT k FROM t WHERE k = 1 AND token(k) > token(1)").is_empty());
    assert_eq!(
        t.invalid("SELECT k FROM t WHERE token(k) > 0 AND k > 1"),
        "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING"
    );
}

#[test]
fn distinct_returns_partition_keys_and_static_columns() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, s int static, v int, PRIMARY KEY (k, c))");
    for k in 0..3 {
        for c in 0..3 {
            t.exec(&format!("INSERT INTO t (k, c, s, v) VALUES ({k}, {c}, {}, {c})", k * 10));
        }
    }
    let mut r = t.rows("SELECT DISTINCT k, s FROM t");
    r.sort();
    assert_eq!(r, rows(&[&["0", "0"], &["1", "10"], &["2", "20"]]));
    assert_eq!(t.rows("SELECT DISTINCT k FROM t WHERE k = 1"), rows(&[&["1"]]));
    assert_eq!(t.rows("SELECT DISTINCT k FROM t LIMIT 2").len(), 2);
    assert_eq!(
        t.invalid("SELECT DISTINCT k, v FROM t"),
        "SELECT DISTINCT queries must only request partition key columns and/or static columns (not v)"
    );
    assert_eq!(
        t.invalid("SELECT DISTINCT * FROM t"),
        "SELECT DISTINCT queries must only request partition key columns and/or static columns (not c)"
    );
    assert_eq!(
        t.invalid("SELECT DISTINCT k FROM t WHERE k = 1 AND c = 1"),
        "SELECT DISTINCT with WHERE clause only supports restriction by partition key and/or static columns."
    );
    assert_eq!(
        t.invalid("SELECT DISTINCT k FROM t PER PARTITION LIMIT 1"),
        "PER PARTITION LIMIT is not allowed with SELECT DISTINCT queries"
    );
    t.exec("CREATE TABLE t2 (a int, b int, c int, PRIMARY KEY ((a, b), c))");
    assert_eq!(
        t.invalid("SELECT DISTINCT a FROM t2"),
        "SELECT DISTINCT queries must request all the partition key columns (missing b)"
    );
}

#[test]
fn distinct_pages_by_partition() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, PRIMARY KEY (k, c))");
    for k in 0..10 {
        for c in 0..3 {
            t.exec(&format!("INSERT INTO t (k, c) VALUES ({k}, {c})"));
        }
    }
    let pages = t.pages("SELECT DISTINCT k FROM t", 3);
    let all: Vec<_> = pages.iter().flatten().cloned().collect();
    assert_eq!(all.len(), 10);
    assert!(pages.iter().all(|p| p.len() <= 3));
}

#[test]
fn limit_must_be_strictly_positive() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    assert_eq!(t.invalid("SELECT * FROM t LIMIT 0"), "LIMIT must be strictly positive");
    assert_eq!(t.invalid("SELECT * FROM t LIMIT -1"), "LIMIT must be strictly positive");
    assert_eq!(t.invalid("SELECT * FROM t PER PARTITION LIMIT 0"), "LIMIT must be strictly positive");
}

#[test]
fn order_by_rules() {
    // SelectOrderByTest
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (a int, b int, c int, d int, PRIMARY KEY (a, b, c))");
    for b in 0..2 {
        for c in 0..2 {
            t.exec(&format!("INSERT INTO t (a, b, c, d) VALUES (0, {b}, {c}, {})", b * 2 + c));
        }
    }
    assert_eq!(t.rows("SELECT d FROM t WHERE a = 0 ORDER BY b DESC"), rows(&[&["3"], &["2"], &["1"], &["0"]]));
    assert_eq!(t.rows("SELECT d FROM t WHERE a = 0 AND b = 1 ORDER BY c DESC"), rows(&[&["3"], &["2"]]));
    assert_eq!(
        t.invalid("SELECT * FROM t ORDER BY b"),
        "ORDER BY is only supported when the partition key is restricted by an EQ or an IN."
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE a = 0 ORDER BY d"),
        "Order by is currently only supported on the clustered columns of the PRIMARY KEY, got d"
    );
    assert_eq!(
        t.invalid("SELECT * FROM t WHERE a = 0 ORDER BY c"),
        "Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY"
    );
    assert_eq!(t.invalid("SELECT * FROM t WHERE a = 0 ORDER BY b ASC, c DESC"), "Unsupported order by relation");
    assert_eq!(t.invalid("SELECT * FROM t WHERE a = 0 ORDER BY x"), "Undefined column name x in table ks.t");
}

#[test]
fn in_on_clustering_with_order_by() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))");
    for c in 0..5 {
        t.exec(&format!("INSERT INTO t (k, c, v) VALUES (0, {c}, {c})"));
    }
    assert_eq!(t.rows("SELECT c FROM t WHERE k = 0 AND c IN (3, 1, 4)"), rows(&[&["1"], &["3"], &["4"]]));
    assert_eq!(
        t.rows("SELECT c FROM t WHERE k = 0 AND c IN (3, 1, 4) ORDER BY c DESC"),
        rows(&[&["4"], &["3"], &["1"]])
    );
}

#[test]
fn order_by_with_in_on_the_partition_key_sorts_across_partitions() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))");
    for k in 0..2 {
        for c in 0..3 {
            t.exec(&format!("INSERT INTO t (k, c, v) VALUES ({k}, {}, 0)", c * 2 + k));
        }
    }
    assert_eq!(
        t.rows("SELECT k, c FROM t WHERE k IN (0, 1) ORDER BY c DESC LIMIT 4"),
        rows(&[&["1", "5"], &["0", "4"], &["1", "3"], &["0", "2"]])
    );
    let e = t
        .try_exec_with(
            "SELECT k, c FROM t WHERE k IN (0, 1) ORDER BY c",
            vec![],
            query::QueryOptions { page_size: Some(100), ..Default::default() },
        )
        .unwrap_err();
    assert_eq!(e.to_string(), "Cannot page queries with both ORDER BY and a IN restriction on the partition key; you must either remove the ORDER BY or the IN and sort client side, or disable paging for this query");
}

#[test]
fn order_by_with_in_is_not_paged_when_the_limit_fits_in_a_page() {
    // SelectStatement.execute: no pager (and no refusal) when LIMIT <= page size.
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, PRIMARY KEY (k, c))");
    for (k, c) in [(0, 1), (1, 2), (0, 3)] {
        t.exec(&format!("INSERT INTO t (k, c) VALUES ({k}, {c})"));
    }
    let mut paged = |limit: i32| {
        t.try_exec_with(
            &format!("SELECT c FROM t WHERE k IN (0, 1) ORDER BY c DESC LIMIT {limit}"),
            vec![],
            query::QueryOptions { page_size: Some(2), ..Default::default() },
        )
    };
    assert!(paged(2).is_ok());
    assert!(paged(3).unwrap_err().to_string().starts_with("Cannot page queries with both ORDER BY"));
}

#[test]
fn full_table_scan_pages_in_token_order() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, PRIMARY KEY (k, c))");
    for k in 0..20 {
        for c in 0..3 {
            t.exec(&format!("INSERT INTO t (k, c) VALUES ({k}, {c})"));
        }
    }
    let whole = t.rows("SELECT k, c, token(k) FROM t");
    let pages = t.pages("SELECT k, c, token(k) FROM t", 7);
    let paged: Vec<Vec<String>> = pages.into_iter().flatten().collect();
    assert_eq!(paged, whole);
    let tokens: Vec<(i64, i32)> = whole.iter().map(|r| (r[2].parse().unwrap(), r[1].parse().unwrap())).collect();
    let mut sorted = tokens.clone();
    sorted.sort();
    assert_eq!(tokens, sorted);
}

#[test]
fn per_partition_limit_and_limit() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, PRIMARY KEY (k, c))");
    for k in 0..3 {
        for c in 0..4 {
            t.exec(&format!("INSERT INTO t (k, c) VALUES ({k}, {c})"));
        }
    }
    assert_eq!(
        t.rows("SELECT k, c FROM t WHERE k IN (0, 1, 2) PER PARTITION LIMIT 2 LIMIT 5"),
        rows(&[&["0", "0"], &["0", "1"], &["1", "0"], &["1", "1"], &["2", "0"],])
    );
    let pages = t.pages("SELECT k, c FROM t PER PARTITION LIMIT 2", 1);
    assert_eq!(pages.into_iter().flatten().count(), 6);
}

#[test]
fn static_rows_of_partitions_without_rows() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c int, s int static, v int, PRIMARY KEY (k, c))");
    t.exec("INSERT INTO t (k, s) VALUES (1, 10)");
    assert_eq!(t.rows("SELECT k, c, s, v FROM t"), rows(&[&["1", "null", "10", "null"]]));
    assert!(t.rows("SELECT k, c, s FROM t WHERE k = 1 AND c = 1").is_empty());
    assert_eq!(t.rows("SELECT s FROM t WHERE k = 1"), rows(&[&["10"]]));
}

#[test]
fn bind_markers_in_the_selection() {
    // TermSelectionTest.testSelectPrepared
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (pk int, ck int, t text, PRIMARY KEY (pk, ck))");
    t.exec("INSERT INTO t (pk, ck, t) VALUES (1, 1, 'one')");
    let q = "SELECT (int)?, (decimal):adecimal, (text)?, (tuple<int,text>):atuple, pk, ck, t FROM t WHERE pk = ?";
    let p = t.processor.prepare(&t.state, q, None).unwrap();
    let vars: Vec<(String, String)> = p.variables.iter().map(|v| (v.name.clone(), v.typ.to_string())).collect();
    assert_eq!(
        vars,
        [
            ("[selection]".to_string(), "int".to_string()),
            ("adecimal".to_string(), "decimal".to_string()),
            ("[selection]".to_string(), "text".to_string()),
            ("atuple".to_string(), "frozen<tuple<int, text>>".to_string()),
            ("pk".to_string(), "int".to_string()),
        ]
    );
    let cols: Vec<(String, String)> = p.result.columns.iter().map(|c| (c.name.clone(), c.typ.to_string())).collect();
    assert_eq!(
        cols,
        [
            ("(int)?".to_string(), "int".to_string()),
            ("(decimal)?".to_string(), "decimal".to_string()),
            ("(text)?".to_string(), "text".to_string()),
            ("(tuple<int, text>)?".to_string(), "frozen<tuple<int, text>>".to_string()),
            ("pk".to_string(), "int".to_string()),
            ("ck".to_string(), "int".to_string()),
            ("t".to_string(), "text".to_string()),
        ]
    );
    let r = t.execute_rows(
        q,
        vec![
            support::int(88),
            query::Value::Bytes(bytes::Bytes::from_static(&[0, 0, 0, 0, 10])),
            support::text("foo"),
            query::Value::Bytes(bytes::Bytes::from_static(&[0, 0, 0, 4, 0, 0, 0, 42, 0, 0, 0, 1, b'u'])),
            support::int(1),
        ],
    );
    assert_eq!(r, rows(&[&["88", "10", "'foo'", "(42, 'u')", "1", "1", "'one'"]]));
}

#[test]
fn element_and_slice_selection_on_maps_and_sets() {
    // CollectionsTest.testMapOperation / testSetOperation (CASSANDRA-7396)
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, m map<text, int>, s set<int>, l list<int>)");
    t.exec("INSERT INTO t (k, m, s, l) VALUES (0, {'a': 1, 'b': 2, 'c': 3}, {1, 2, 3}, [1])");
    assert_eq!(
        t.column_specs("SELECT m['b'], s[2], m['a'..'b'], s[..2] FROM t"),
        [
            ("m['b']".to_string(), "int".to_string()),
            ("s[2]".to_string(), "int".to_string()),
            ("m['a'..'b']".to_string(), "map<text, int>".to_string()),
            ("s[..2]".to_string(), "set<int>".to_string()),
        ]
    );
    assert_eq!(
        t.rows("SELECT m['b'], m['z'], s[2], s[5], m['a'..'b'], s[..2] FROM t"),
        rows(&[&["2", "null", "2", "null", "{'a': 1, 'b': 2}", "{1, 2}"]])
    );
    assert_eq!(t.invalid("SELECT l[0] FROM t"), "Element selection is only allowed on sets and maps, but l is a list");
}

#[test]
fn writetime_and_ttl_of_collection_elements_and_fields() {
    // WritetimeOrTTLTest.testMap / testFrozenMap / testUDT (CASSANDRA-8877).
    let mut t = Tester::new();
    t.exec("CREATE TYPE ud (a int, b int)");
    t.exec("CREATE TABLE t (k int PRIMARY KEY, m map<int, int>, fm frozen<map<int, int>>, u ud)");
    t.exec("INSERT INTO t (k, m, fm, u) VALUES (1, {-1: 5, 1: 10}, {1: 10}, {a: 1}) USING TIMESTAMP 10");
    t.exec("UPDATE t USING TIMESTAMP 20 AND TTL 1000 SET m = m + {2: 20} WHERE k = 1");
    assert_eq!(
        t.rows("SELECT writetime(m[1]), writetime(m[2]), writetime(m[3]), maxwritetime(m[..2]) FROM t"),
        rows(&[&["10", "20", "null", "20"]])
    );
    assert_eq!(
        t.rows("SELECT writetime(m[1..2]), writetime(m[3..]), writetime(m) FROM t"),
        rows(&[&["[10, 20]", "null", "[10, 10, 20]"]])
    );
    assert_eq!(
        t.rows("SELECT writetime(fm[1]), writetime(fm[2]), writetime(fm[0..1]), writetime(fm[2..]) FROM t"),
        rows(&[&["10", "null", "10", "null"]])
    );
    assert_eq!(t.rows("SELECT writetime(u.a), writetime(u.b) FROM t"), rows(&[&["10", "null"]]));
    let ttls = t.rows("SELECT ttl(m[1]), ttl(m[2]) FROM t");
    assert_eq!(ttls[0][0], "null");
    assert!(ttls[0][1].parse::<i32>().is_ok_and(|v| v > 990 && v <= 1000), "{ttls:?}");
    assert_eq!(t.columns("SELECT writetime(m[1]), ttl(u.a) FROM t"), ["writetime(m[1])", "ttl(u.a)"]);
}
