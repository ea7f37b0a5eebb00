//! SELECT JSON, INSERT JSON, toJson() and fromJson(), with Cassandra's JsonTest expectations.

mod support;

use support::{rows, text, Tester};

#[test]
fn select_json_syntax() {
    // JsonTest.testSelectJsonSyntax
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    t.exec("INSERT INTO t (k, v) VALUES (0, 0)");
    t.exec("INSERT INTO t (k, v) VALUES (1, 1)");
    let sorted = |mut r: Vec<Vec<String>>| {
        r.sort();
        r
    };
    assert_eq!(t.column_specs("SELECT JSON * FROM t"), [("[json]".to_string(), "text".to_string())]);
    assert_eq!(
        sorted(t.rows("SELECT JSON * FROM t")),
        rows(&[&["'{\"k\": 0, \"v\": 0}'"], &["'{\"k\": 1, \"v\": 1}'"]])
    );
    assert_eq!(
        sorted(t.rows("SELECT JSON v, k FROM t")),
        rows(&[&["'{\"v\": 0, \"k\": 0}'"], &["'{\"v\": 1, \"k\": 1}'"]])
    );
    assert_eq!(
        sorted(t.rows("SELECT JSON v as foo, k as bar FROM t")),
        rows(&[&["'{\"foo\": 0, \"bar\": 0}'"], &["'{\"foo\": 1, \"bar\": 1}'"]])
    );
    assert_eq!(
        sorted(t.rows("SELECT JSON ttl(v), k FROM t")),
        rows(&[&["'{\"ttl(v)\": null, \"k\": 0}'"], &["'{\"ttl(v)\": null, \"k\": 1}'"]])
    );
    assert_eq!(t.rows("SELECT JSON count(*) FROM t"), rows(&[&["'{\"count\": 2}'"]]));
    assert_eq!(t.rows("SELECT JSON count(*) as foo FROM t"), rows(&[&["'{\"foo\": 2}'"]]));
    assert_eq!(
        t.rows("SELECT JSON toJson(blobAsInt(intAsBlob(v))) FROM t WHERE k = 0"),
        rows(&[&["'{\"system.tojson(system.blobasint(system.intasblob(v)))\": \"0\"}'"]])
    );
}

#[test]
fn case_sensitive_names_are_quoted() {
    // JsonTest.testCaseSensitivity
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, \"Foo\" int)");
    t.execute("INSERT INTO t JSON ?", vec![text("{\"k\": 0, \"\\\"Foo\\\"\": 0}")]).unwrap();
    t.execute("INSERT INTO t JSON ?", vec![text("{\"K\": 0, \"\\\"Foo\\\"\": 0}")]).unwrap();
    t.execute("INSERT INTO t JSON ?", vec![text("{\"\\\"k\\\"\": 0, \"\\\"Foo\\\"\": 0}")]).unwrap();
    assert_eq!(t.rows("SELECT JSON * FROM t"), rows(&[&["'{\"k\": 0, \"\\\"Foo\\\"\": 0}'"]]));
    assert_eq!(t.rows("SELECT JSON k, \"Foo\" as foo FROM t"), rows(&[&["'{\"k\": 0, \"foo\": 0}'"]]));
    assert_eq!(t.rows("SELECT JSON k, \"Foo\" as \"Bar\" FROM t"), rows(&[&["'{\"k\": 0, \"\\\"Bar\\\"\": 0}'"]]));
    assert!(t.execute("INSERT INTO t JSON ?", vec![text("{\"k\": 0, \"foo\": 0}")]).is_err());
    assert!(t.execute("INSERT INTO t JSON ?", vec![text("{\"k\": 0, \"\\\"foo\\\"\": 0}")]).is_err());
}

#[test]
fn insert_json_syntax() {
    // JsonTest.testInsertJsonSyntax
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v int)");
    t.exec("INSERT INTO t JSON '{\"k\": 0, \"v\": 0}'");
    assert_eq!(t.rows("SELECT * FROM t"), rows(&[&["0", "0"]]));
    t.exec("INSERT INTO t JSON '{\"k\": 0, \"v\": null}'");
    assert_eq!(t.rows("SELECT * FROM t"), rows(&[&["0", "null"]]));
    t.exec("INSERT INTO t JSON '{\"v\": 1, \"k\": 0}'");
    assert_eq!(t.rows("SELECT * FROM t"), rows(&[&["0", "1"]]));
    t.exec("INSERT INTO t JSON '{\"k\": 0}'");
    assert_eq!(t.rows("SELECT * FROM t"), rows(&[&["0", "null"]]));
    assert_eq!(t.invalid("INSERT INTO t JSON 'null'"), "Got null for INSERT JSON values");
    assert!(t.invalid("INSERT INTO t JSON '\"notamap\"'").starts_with("Could not decode JSON string as a map"));
    assert!(t.invalid("INSERT INTO t JSON '12.34'").starts_with("Could not decode JSON string as a map"));
    assert_eq!(
        t.invalid("INSERT INTO t JSON '{\"k\": 0, \"v\": 0, \"zzz\": 0}'"),
        "JSON values map contains unrecognized column: zzz"
    );
    assert_eq!(
        t.invalid("INSERT INTO t JSON '{\"k\": 0, \"v\": \"notanint\"}'"),
        "Error decoding JSON value for v: Unable to make int from 'notanint'"
    );
    let p = t.processor.prepare(&t.state, "INSERT INTO t JSON ?", None).unwrap();
    assert_eq!(p.variables[0].name, "[json]");
}

#[test]
fn insert_json_default_unset() {
    // JsonTest.testInsertJsonSyntaxDefaultUnset
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, v1 int, v2 int)");
    t.exec("INSERT INTO t JSON '{\"k\": 0, \"v1\": 0, \"v2\": 0}'");
    t.exec("INSERT INTO t JSON '{\"k\": 0, \"v2\": 2}' DEFAULT UNSET");
    assert_eq!(t.rows("SELECT * FROM t"), rows(&[&["0", "0", "2"]]));
    t.exec("INSERT INTO t JSON '{\"k\": 0, \"v2\": 2}' DEFAULT NULL");
    assert_eq!(t.rows("SELECT * FROM t"), rows(&[&["0", "null", "2"]]));
    t.exec("INSERT INTO t JSON '{\"k\": 1, \"v1\": 1, \"v2\": 1}'");
    t.exec("INSERT INTO t JSON '{\"k\": 1, \"v1\": null}' DEFAULT UNSET");
    assert_eq!(t.rows("SELECT * FROM t WHERE k = 1"), rows(&[&["1", "null", "1"]]));
}

#[test]
fn to_json_of_every_type() {
    // JsonTest.testToJsonFct
    let mut t = Tester::new();
    t.exec(
        "CREATE TABLE t (k int PRIMARY KEY, asciival ascii, bigintval bigint, blobval blob, booleanval boolean, \
         dateval date, decimalval decimal, doubleval double, floatval float, inetval inet, intval int, textval text, \
         timeval time, timestampval timestamp, timeuuidval timeuuid, uuidval uuid, varintval varint, \
         listval list<int>, setval set<uuid>, mapval map<ascii, int>, tupleval frozen<tuple<int, ascii, uuid>>, \
         durationval duration)",
    );
    t.exec(
        "INSERT INTO t (k, asciival, bigintval, blobval, booleanval, dateval, decimalval, doubleval, floatval, \
         inetval, intval, textval, timeval, timestampval, timeuuidval, uuidval, varintval, listval, setval, mapval, \
         tupleval, durationval) VALUES (0, 'ascii text', -123123123123, 0x00000001, true, '1987-03-23', -1.23E-12, \
         123123.0, 123.123, '::1', 123123, 'a \"q\"', '00:00:00.000000123', '2014-01-01 00:00:00+0000', \
         6bddc89a-5644-11e4-97fc-56847afe9799, 6bddc89a-5644-11e4-97fc-56847afe9799, 123123123123123123123, [1, 2, 3], \
         {6bddc89a-5644-11e4-97fc-56847afe9799}, {'a': 1, 'b': 2}, (1, 'foobar', null), 1h2m)",
    );
    let cases = [
        ("asciival", "\"ascii text\""),
        ("bigintval", "-123123123123"),
        ("blobval", "\"0x00000001\""),
        ("booleanval", "true"),
        ("dateval", "\"1987-03-23\""),
        ("decimalval", "-1.23E-12"),
        ("doubleval", "123123.0"),
        ("floatval", "123.123"),
        ("inetval", "\"0:0:0:0:0:0:0:1\""),
        ("intval", "123123"),
        ("textval", "\"a \\\"q\\\"\""),
        ("timeval", "\"00:00:00.000000123\""),
        ("timestampval", "\"2014-01-01 00:00:00.000Z\""),
        ("timeuuidval", "\"6bddc89a-5644-11e4-97fc-56847afe9799\""),
        ("uuidval", "\"6bddc89a-5644-11e4-97fc-56847afe9799\""),
        ("varintval", "123123123123123123123"),
        ("listval", "[1, 2, 3]"),
        ("setval", "[\"6bddc89a-5644-11e4-97fc-56847afe9799\"]"),
        ("mapval", "{\"a\": 1, \"b\": 2}"),
        ("tupleval", "[1, \"foobar\", null]"),
        ("durationval", "\"1h2m\""),
    ];
    for (col, expected) in cases {
        let r = t.rows(&format!("SELECT toJson({col}) FROM t WHERE k = 0"));
        assert_eq!(r[0][0], format!("'{}'", expected.replace('\'', "''")), "{col}");
    }
    assert_eq!(t.rows("SELECT toJson(listval) FROM t WHERE k = 1"), Vec::<Vec<String>>::new());
}

#[test]
fn from_json_in_terms() {
    // JsonTest.testFromJsonFct
    let mut t = Tester::new();
    t.exec(
        "CREATE TABLE t (k int PRIMARY KEY, bigintval bigint, listval list<int>, mapval map<ascii, int>, textval text)",
    );
    t.exec("INSERT INTO t (k, bigintval) VALUES (0, fromJson('123123123123'))");
    t.exec("INSERT INTO t (k, listval, mapval) VALUES (0, fromJson('[1, 2, 3]'), fromJson('{\"a\": 1, \"b\": 2}'))");
    t.exec("UPDATE t SET textval = fromJson('\"some \\\" text\"') WHERE k = fromJson('0')");
    assert_eq!(
        t.rows("SELECT k, bigintval, listval, mapval, textval FROM t WHERE k = fromJson('0')"),
        rows(&[&["0", "123123123123", "[1, 2, 3]", "{'a': 1, 'b': 2}", "'some \" text'"]])
    );
    match t.error("INSERT INTO t (k, bigintval) VALUES (0, fromJson('\"abc\"'))") {
        query::Error::FunctionFailure { message, .. } => {
            assert!(message.contains("Unable to make long from 'abc'"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    match t.error("INSERT INTO t (k, bigintval) VALUES (0, fromJson('123.456'))") {
        query::Error::FunctionFailure { message, .. } => {
            assert!(message.contains("Expected a bigint value, but got a Double: 123.456"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    match t.error("INSERT INTO t (k, listval) VALUES (0, fromJson('[null]'))") {
        query::Error::FunctionFailure { message, .. } => {
            assert!(message.contains("Invalid null element in list"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    t.exec("INSERT INTO t (k, textval) VALUES (1, fromJson(null))");
    assert_eq!(t.rows("SELECT textval FROM t WHERE k = 1"), rows(&[&["null"]]));
}

#[test]
fn select_json_of_collections_with_non_string_keys() {
    // JsonTest.testInsertJsonSyntaxWithNonNativeMapKeys
    let mut t = Tester::new();
    t.exec("CREATE TABLE t (k int PRIMARY KEY, intmap map<int, boolean>, tuplemap map<frozen<tuple<int, text>>, boolean>, setmap map<frozen<set<int>>, boolean>)");
    t.exec("INSERT INTO t JSON '{\"k\": 0, \"intmap\": {\"0\": true, \"1\": false}}'");
    assert_eq!(
        t.rows("SELECT JSON k, intmap FROM t"),
        rows(&[&["'{\"k\": 0, \"intmap\": {\"0\": true, \"1\": false}}'"]])
    );
    t.exec("INSERT INTO t JSON '{\"k\": 0, \"tuplemap\": {\"[0, \\\"a\\\"]\": true, \"[1, \\\"b\\\"]\": false}}'");
    assert_eq!(
        t.rows("SELECT JSON k, tuplemap FROM t"),
        rows(&[&["'{\"k\": 0, \"tuplemap\": {\"[0, \\\"a\\\"]\": true, \"[1, \\\"b\\\"]\": false}}'"]])
    );
    t.exec("INSERT INTO t JSON '{\"k\": 0, \"setmap\": {\"[0, 1, 2]\": true, \"[3, 4, 5]\": false}}'");
    assert_eq!(
        t.rows("SELECT JSON k, setmap FROM t"),
        rows(&[&["'{\"k\": 0, \"setmap\": {\"[0, 1, 2]\": true, \"[3, 4, 5]\": false}}'"]])
    );
}
