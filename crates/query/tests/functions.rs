//! Native scalar functions, as selectors and as terms (WHERE, VALUES, SET).

mod support;

use support::{int, rows, text, Tester};

#[test]
fn time_conversion_functions() {
    // TimeFctsTest: to_date / to_timestamp / to_unix_timestamp of timeuuid, timestamp and date
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, u timeuuid, ts timestamp, d date)");
    t.exec("INSERT INTO t (k, u, ts, d) VALUES (0, maxTimeuuid('2011-02-03 04:05:00+0000'), '2011-02-03 04:05:00+0000', '2011-02-03')");
    assert_eq!(
        t.rows("SELECT toDate(u), to_date(ts), toTimestamp(u), to_timestamp(d), toUnixTimestamp(u), to_unix_timestamp(ts), to_unix_timestamp(d) FROM t"),
        rows(&[&[
            "'2011-02-03'",
            "'2011-02-03'",
            "'2011-02-03T04:05:00.000Z'",
            "'2011-02-03T00:00:00.000Z'",
            "1296705900000",
            "1296705900000",
            "1296691200000"
        ]])
    );
    assert_eq!(t.columns("SELECT toDate(u), to_date(ts) FROM t"), ["system.todate(u)", "system.to_date(ts)"]);
}

#[test]
fn removed_functions_are_unknown() {
    // dateOf and unixTimestampOf were removed in Cassandra 5.0.
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, u timeuuid)");
    assert_eq!(t.invalid("SELECT dateOf(u) FROM t"), "Unknown function 'dateof'");
    assert_eq!(t.invalid("SELECT unixTimestampOf(u) FROM t"), "Unknown function 'unixtimestampof'");
}

#[test]
fn min_and_max_timeuuid_select_time_ranges() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int, c timeuuid, PRIMARY KEY (k, c))");
    for minute in 0..5 {
        t.exec(&format!("INSERT INTO t (k, c) VALUES (0, maxTimeuuid('2013-01-01 00:0{minute}+0000'))"));
    }
    let r = t.rows(
        "SELECT toUnixTimestamp(c) FROM t WHERE k = 0 AND c > maxTimeuuid('2013-01-01 00:01+0000') AND c < minTimeuuid('2013-01-01 00:04+0000')",
    );
    assert_eq!(r, rows(&[&["1356998520000"], &["1356998580000"]]));
}

#[test]
fn current_time_functions() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, u timeuuid, ts timestamp, d date, tm time, id uuid)");
    t.exec("INSERT INTO t (k, u, ts, d, tm, id) VALUES (0, now(), currentTimestamp(), current_date(), currentTime(), uuid())");
    let r = t.rows("SELECT u, ts, d, tm, id FROM t");
    assert!(r[0].iter().all(|v| v != "null"), "{r:?}");
    assert_eq!(
        t.column_specs("SELECT now(), current_timestamp(), currentdate(), current_time(), current_timeuuid() FROM t")
            .into_iter()
            .map(|(n, ty)| format!("{n} {ty}"))
            .collect::<Vec<_>>(),
        [
            "system.now() timeuuid",
            "system.current_timestamp() timestamp",
            "system.currentdate() date",
            "system.current_time() time",
            "system.current_timeuuid() timeuuid"
        ]
    );
    // now() in a WHERE clause matches nothing, but is valid
    assert!(t.rows("SELECT k FROM t WHERE k = 0 AND u = now() ALLOW FILTERING").is_empty());
}

#[test]
fn blob_conversions_for_native_types() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, b blob, s text, big bigint, bool boolean)");
    t.exec("INSERT INTO t (k, b, s, big, bool) VALUES (1, intAsBlob(3), blobAsText(textAsBlob('foo')), blob_as_bigint(0x0000000000000003), blobAsBoolean(0x01))");
    assert_eq!(
        t.rows("SELECT blobAsInt(b), s, big, bool, bigintAsBlob(big), text_as_blob(s) FROM t"),
        rows(&[&["3", "'foo'", "3", "true", "0x0000000000000003", "0x666f6f"]])
    );
    assert_eq!(
        t.invalid("SELECT blobAsInt(0x0001) FROM t"),
        "In call to function system.blobasint, value 0x0001 is not a valid binary representation for type int"
    );
    assert_eq!(
        t.invalid("INSERT INTO t (k, big) VALUES (2, blob_as_bigint(0x01))"),
        "In call to function system.blob_as_bigint, value 0x01 is not a valid binary representation for type bigint"
    );
}

#[test]
fn functions_in_where_clauses_and_bind_markers() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    t.exec("INSERT INTO t (k, v) VALUES (blobAsInt(0x00000005), 1)");
    assert_eq!(t.rows("SELECT v FROM t WHERE k = blobAsInt(0x00000005)"), rows(&[&["1"]]));
    let p = t.processor.prepare(&t.state, "SELECT v FROM t WHERE k = blobAsInt(?)", None).unwrap();
    assert_eq!(p.variables[0].name, "arg0(system.blobasint)");
    assert_eq!(p.variables[0].typ.to_string(), "blob");
    let r = t.execute_rows(
        "SELECT v FROM t WHERE k = blobAsInt(?)",
        vec![query::Value::Bytes(bytes::Bytes::from_static(&[0, 0, 0, 5]))],
    );
    assert_eq!(r, rows(&[&["1"]]));
    assert_eq!(t.execute_rows("SELECT v FROM t WHERE k = ?", vec![int(5)]), rows(&[&["1"]]));
    assert_eq!(
        t.execute_rows("SELECT v FROM t WHERE k = blobAsInt(textAsBlob(?))", vec![text("\0\0\0\u{5}")]),
        rows(&[&["1"]])
    );
}

#[test]
fn function_errors() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int, s text)");
    assert_eq!(t.invalid("SELECT foo(v) FROM t"), "Unknown function 'foo'");
    assert_eq!(t.invalid("SELECT ks.foo(v) FROM t"), "Unknown function 'ks.foo'");
    assert_eq!(t.invalid("INSERT INTO t (k, v) VALUES (0, foo(1))"), "Unknown function foo called");
    assert_eq!(
        t.invalid("SELECT blobAsInt(v, v) FROM t"),
        "Invalid number of arguments in call to function system.blobasint: 1 required but 2 provided"
    );
    assert!(t
        .invalid("SELECT toDate(v) FROM t")
        .starts_with("Invalid call to function todate, none of its type signatures match (known type signatures: "));
    // With several overloads, the return type filters candidates (FunctionResolver.matchReturnType)...
    assert!(t
        .invalid("INSERT INTO t (k, v) VALUES (0, toTimestamp(now()))")
        .starts_with("Invalid call to function totimestamp, none of its type signatures match"));
    // ... with one, the result is checked against the receiver (FunctionCall.Raw.prepare).
    assert_eq!(
        t.invalid("INSERT INTO t (k, v) VALUES (0, blobAsText(0x61))"),
        "Type error: cannot assign result of function system.blobastext (type text) to v (type int)"
    );
    assert_eq!(
        t.invalid("INSERT INTO t (k, v) VALUES (0, toJson(1))"),
        "toJson() may only be used within the selection clause of SELECT statements"
    );
    assert_eq!(
        t.invalid("SELECT fromJson(v) FROM t"),
        "fromJson() cannot be used in the selection clause of a SELECT statement"
    );
    assert_eq!(t.invalid("SELECT v + s FROM t"), "the '+' operation is not supported between v and s");
}

#[test]
fn arithmetic_in_terms() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v bigint, ts timestamp, d date)");
    t.exec(
        "INSERT INTO t (k, v, ts, d) VALUES (1 + 1, 10 * 3 - 1, '2020-01-31 00:00:00+0000' + 1mo, '2020-01-01' - 1d)",
    );
    assert_eq!(
        t.rows("SELECT k, v, ts, d FROM t"),
        rows(&[&["2", "29", "'2020-02-29T00:00:00.000Z'", "'2019-12-31'"]])
    );
    assert_eq!(t.rows("SELECT ts - 1h FROM t"), rows(&[&["'2020-02-28T23:00:00.000Z'"]]));
}

#[test]
fn math_and_collection_functions() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, i int, d double, l list<int>, s set<text>, m map<text, int>)");
    t.exec("INSERT INTO t (k, i, d, l, s, m) VALUES (1, -3, 2.5, [3, 1, 2], {'b', 'a'}, {'x': 1, 'y': 2})");
    assert_eq!(t.rows("SELECT abs(i), round(d) FROM t"), rows(&[&["3", "3.0"]]));
    assert_eq!(
        t.rows("SELECT map_keys(m), map_values(m), collection_count(l), collection_min(l), collection_max(s), collection_sum(l), collection_avg(l) FROM t"),
        rows(&[&["{'x', 'y'}", "[1, 2]", "3", "1", "'b'", "6", "2"]])
    );
    assert_eq!(
        t.column_specs("SELECT map_keys(m), collection_count(l) FROM t"),
        [
            ("system.map_keys(m)".to_string(), "set<text>".to_string()),
            ("system.collection_count(l)".to_string(), "int".to_string())
        ]
    );
}

#[test]
fn vector_similarity_functions() {
    // VectorFcts (Lucene's similarity functions)
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v vector<float, 2>)");
    t.exec("INSERT INTO t (k, v) VALUES (1, [1.0, 0.0])");
    assert_eq!(
        t.rows("SELECT similarity_cosine(v, [0.0, 1.0]), similarity_euclidean(v, [0.0, 1.0]), similarity_dot_product(v, [1.0, 0.0]) FROM t"),
        rows(&[&["0.5", "0.33333334", "1.0"]])
    );
    assert_eq!(t.columns("SELECT similarity_cosine(v, v) FROM t"), ["system.similarity_cosine(v, v)"]);
    assert_eq!(
        t.invalid("SELECT similarity_cosine(v) FROM t"),
        "similarity_cosine() requires two arguments, but 1 given"
    );
    assert_eq!(
        t.invalid("SELECT similarity_cosine(k, k) FROM t"),
        "Only float vectors are supported by similarity_cosine"
    );
}

#[test]
fn masking_functions() {
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, s text)");
    t.exec("INSERT INTO t (k, s) VALUES (1, 'abcdef')");
    assert_eq!(
        t.rows("SELECT mask_null(s), mask_replace(s, 'xx'), mask_inner(s, 1, 2), mask_outer(s, 1, 2, '#') FROM t"),
        rows(&[&["null", "'xx'", "'a***ef'", "'#bcd##'"]])
    );
    assert_eq!(t.columns("SELECT mask_inner(s, 1, 2) FROM t"), ["system.mask_inner(s, 1, 2)"]);
}
