//! User-defined types: CREATE/ALTER/DROP TYPE, frozen and non-frozen UDT columns, field updates,
//! deletes and selection, `system_schema.types` and DESCRIBE, with Cassandra 5.0's results and
//! messages (mostly from `cql3/validation/entities/UserTypesTest.java`).

mod support;

use query::{QueryResult, SchemaChangeTarget, SchemaChangeType};
use support::{row, rows, Tester};

fn schema_change(r: QueryResult) -> (SchemaChangeType, String, SchemaChangeTarget) {
    match r {
        QueryResult::SchemaChange(c) => (c.change, c.keyspace, c.target),
        other => panic!("not a schema change: {other:?}"),
    }
}

#[test]
fn create_alter_drop_type_announce_type_changes() {
    let mut t = Tester::new();
    assert_eq!(
        schema_change(t.exec("CREATE TYPE addr (street text, city text)")),
        (SchemaChangeType::Created, "ks".into(), SchemaChangeTarget::Type("addr".into()))
    );
    assert!(matches!(t.exec("CREATE TYPE IF NOT EXISTS addr (x int)"), QueryResult::Void));
    assert_eq!(t.invalid("CREATE TYPE addr (x int)"), "A user type with name 'addr' already exists");
    assert_eq!(
        schema_change(t.exec("ALTER TYPE addr ADD zip int")),
        (SchemaChangeType::Updated, "ks".into(), SchemaChangeTarget::Type("addr".into()))
    );
    assert_eq!(
        schema_change(t.exec("DROP TYPE addr")),
        (SchemaChangeType::Dropped, "ks".into(), SchemaChangeTarget::Type("addr".into()))
    );
    assert!(matches!(t.exec("DROP TYPE IF EXISTS addr"), QueryResult::Void));
    assert_eq!(t.invalid("DROP TYPE addr"), "Type 'ks.addr' doesn't exist");
    assert_eq!(t.invalid("ALTER TYPE addr ADD x int"), "Type ks.addr doesn't exist");
    assert!(matches!(t.exec("ALTER TYPE IF EXISTS addr ADD x int"), QueryResult::Void));
}

#[test]
fn type_definitions_are_checked() {
    // CreateTypeStatement / UserTypesTest.testInvalidUDTStatements
    let mut t = Tester::new();
    t.exec("CREATE TYPE a (f int)");
    assert_eq!(t.invalid("CREATE TYPE b (x int, x text)"), "Duplicate field name 'x' in type 'b'");
    assert_eq!(t.invalid("CREATE TYPE b (x counter)"), "A user type cannot contain counters");
    assert_eq!(t.invalid("CREATE TYPE b (x a)"), "A user type cannot contain non-frozen UDTs");
    assert_eq!(
        t.invalid("CREATE TYPE b (x list<ks.a>)"),
        "Non-frozen UDTs are not allowed inside collections: list<ks.a>"
    );
    assert_eq!(t.invalid("CREATE TYPE b (x frozen<nope>)"), "Unknown type ks.nope");
    assert_eq!(t.invalid("CREATE TYPE nope.b (x int)"), "Keyspace 'nope' doesn't exist");
}

#[test]
fn udt_columns_are_checked_like_cassandra() {
    // UserTypesTest.testInvalidUDTStatements
    let mut t = Tester::new();
    t.exec("CREATE TYPE a (a int)");
    t.exec("CREATE TYPE withlist (bar int, foo list<int>)");
    assert_eq!(
        t.invalid("CREATE TABLE w (k a PRIMARY KEY, v int)"),
        "Invalid non-frozen user-defined type a for PRIMARY KEY column 'k'"
    );
    assert_eq!(
        t.invalid("CREATE TABLE w (k int PRIMARY KEY, v list<ks.a>)"),
        "Non-frozen UDTs are not allowed inside collections: list<ks.a>"
    );
    assert_eq!(
        t.invalid("CREATE TABLE w (k int PRIMARY KEY, v map<int, ks.a>)"),
        "Non-frozen UDTs are not allowed inside collections: map<int, ks.a>"
    );
    assert_eq!(
        t.invalid("CREATE TABLE w (k int PRIMARY KEY, v frozen<otherKeyspace.myType>)"),
        "Statement on keyspace ks cannot refer to a user type in keyspace otherkeyspace; user types can only be used in the keyspace they are defined in"
    );
    assert_eq!(
        t.invalid("CREATE TABLE w (k int PRIMARY KEY, v frozen<ks.unknownType>)"),
        "Unknown type ks.unknowntype"
    );
    assert_eq!(
        t.invalid("CREATE TABLE w (k int PRIMARY KEY, v withlist)"),
        "Non-frozen UDTs with nested non-frozen collections are not supported"
    );
    t.exec("CREATE TABLE ok (k int PRIMARY KEY, v frozen<withlist>, w a)");
}

#[test]
fn frozen_udt_values_round_trip_and_fields_select() {
    // UserTypesTest.testUserTypes / testAlterUDT
    let mut t = Tester::new();
    t.exec("CREATE TYPE addr (street text, city text, zip int)");
    t.exec("CREATE TABLE p (k int PRIMARY KEY, a frozen<addr>)");
    t.exec("INSERT INTO p (k, a) VALUES (1, {street: 'Main', city: 'Paris'})");
    assert_eq!(t.rows("SELECT a FROM p WHERE k = 1"), rows(&[&["{street: 'Main', city: 'Paris', zip: null}"]]));
    assert_eq!(t.rows("SELECT a.city, a.zip FROM p WHERE k = 1"), rows(&[&["'Paris'", "null"]]));
    assert_eq!(t.columns("SELECT a.city FROM p"), ["a.city"]);
    t.exec("ALTER TYPE addr ADD country text");
    t.exec("INSERT INTO p (k, a) VALUES (2, {street: 'Elm', country: 'FR'})");
    assert_eq!(
        t.rows("SELECT k, a.street, a.country FROM p WHERE k IN (1, 2)"),
        rows(&[&["1", "'Main'", "null"], &["2", "'Elm'", "'FR'"]])
    );
    assert_eq!(
        t.invalid("INSERT INTO p (k, a) VALUES (3, {nope: 1})"),
        "Unknown field 'nope' in value of user defined type addr"
    );
    assert_eq!(
        t.invalid("UPDATE p SET a.city = 'x' WHERE k = 1"),
        "Invalid operation (a.city = 'x') for frozen UDT column a"
    );
    assert_eq!(t.invalid("DELETE a.city FROM p WHERE k = 1"), "Frozen UDT column a does not support field deletions");
}

#[test]
fn non_frozen_udt_fields_update_and_delete_one_cell_each() {
    // UserTypesTest.testUpdateNonFrozenUDT / testDeleteNonFrozenUDT
    let mut t = Tester::new();
    t.exec("CREATE TYPE ab (a int, b text)");
    t.exec("CREATE TABLE u (k int PRIMARY KEY, v ab, c int)");
    t.exec("INSERT INTO u (k, v) VALUES (0, {a: 0, b: 'abc'})");
    assert_eq!(t.rows("SELECT * FROM u WHERE k = 0"), rows(&[&["0", "null", "{a: 0, b: 'abc'}"]]));
    t.exec("UPDATE u SET v.a = 1 WHERE k = 0");
    assert_eq!(t.rows("SELECT v FROM u WHERE k = 0"), rows(&[&["{a: 1, b: 'abc'}"]]));
    t.exec("UPDATE u SET v.b = 'def', v.a = 2 WHERE k = 0");
    assert_eq!(t.rows("SELECT v FROM u WHERE k = 0"), rows(&[&["{a: 2, b: 'def'}"]]));
    t.exec("UPDATE u SET v.a = null WHERE k = 0");
    assert_eq!(t.rows("SELECT v FROM u WHERE k = 0"), rows(&[&["{a: null, b: 'def'}"]]));
    t.exec("DELETE v.b FROM u WHERE k = 0");
    assert_eq!(t.rows("SELECT v FROM u WHERE k = 0"), rows(&[&["null"]]));
    t.exec("INSERT INTO u (k, v) VALUES (0, {a: 0, b: 'abc'})");
    t.exec("DELETE v.b, v.a FROM u WHERE k = 0");
    assert_eq!(t.rows("SELECT v FROM u WHERE k = 0"), rows(&[&["null"]]));
    t.exec("INSERT INTO u (k, v) VALUES (0, {a: 0, b: 'abc'})");
    t.exec("DELETE v FROM u WHERE k = 0");
    assert_eq!(t.rows("SELECT v FROM u WHERE k = 0"), rows(&[&["null"]]));
    // Overwriting the whole value replaces every field.
    t.exec("UPDATE u SET v = {a: 1, b: 'x'} WHERE k = 0");
    t.exec("UPDATE u SET v = {b: 'y'} WHERE k = 0");
    assert_eq!(t.rows("SELECT v, v.a, v.b FROM u WHERE k = 0"), rows(&[&["{a: null, b: 'y'}", "null", "'y'"]]));
    assert_eq!(t.invalid("UPDATE u SET v.foo = 0 WHERE k = 0"), "UDT column v does not have a field named foo");
    assert_eq!(t.invalid("DELETE v.foo FROM u WHERE k = 0"), "UDT column v does not have a field named foo");
    assert_eq!(t.invalid("UPDATE u SET c.a = 0 WHERE k = 0"), "Invalid operation (c.a = 0) for non-UDT column c");
    assert_eq!(t.invalid("DELETE c.a FROM u WHERE k = 0"), "Invalid field deletion operation for non-UDT column c");
}

#[test]
fn renaming_a_field_keeps_the_data() {
    // UserTypesTest.testAlterNonFrozenUDT
    let mut t = Tester::new();
    t.exec("CREATE TYPE ab (a int, b text)");
    t.exec("CREATE TABLE u (k int PRIMARY KEY, v ab)");
    t.exec("INSERT INTO u (k, v) VALUES (0, {a: 1, b: 'abc'})");
    t.exec("ALTER TYPE ab RENAME b TO foo");
    assert_eq!(t.rows("SELECT v.foo FROM u"), rows(&[&["'abc'"]]));
    t.exec("UPDATE u SET v.foo = 'def' WHERE k = 0");
    assert_eq!(t.rows("SELECT v FROM u"), rows(&[&["{a: 1, foo: 'def'}"]]));
    t.exec("ALTER TYPE ab ADD c int");
    assert_eq!(t.rows("SELECT v, v.c FROM u"), rows(&[&["{a: 1, foo: 'def', c: null}", "null"]]));
    assert_eq!(t.invalid("ALTER TYPE ab RENAME nope TO x"), "Unkown field nope in user type ks.ab");
    assert_eq!(
        t.invalid("ALTER TYPE ab ADD a int"),
        "Cannot add field a to type ks.ab: a field with name a already exists"
    );
}

#[test]
fn circular_references_are_refused() {
    // UserTypesTest.testCircularReferences
    let mut t = Tester::new();
    t.exec("CREATE TYPE t1 (foo int)");
    t.exec("CREATE TYPE t2 (bar frozen<t1>)");
    assert_eq!(
        t.invalid("ALTER TYPE t1 ADD needs_to_fail frozen<t2>"),
        "Cannot add new field needs_to_fail of type frozen<t2> to user type ks.t1 as it would create a circular reference"
    );
}

#[test]
fn types_in_use_cannot_be_dropped() {
    // DropTypeStatement
    let mut t = Tester::new();
    t.exec("CREATE TYPE inner_t (x int)");
    t.exec("CREATE TYPE outer_t (i frozen<inner_t>)");
    assert_eq!(
        t.invalid("DROP TYPE inner_t"),
        "Cannot drop user type 'ks.inner_t' as it is still used by user types outer_t"
    );
    t.exec("CREATE TABLE users (k int PRIMARY KEY, o frozen<outer_t>)");
    assert_eq!(
        t.invalid("DROP TYPE outer_t"),
        "Cannot drop user type 'ks.outer_t' as it is still used by tables users"
    );
    t.exec("DROP TABLE users");
    t.exec("DROP TYPE outer_t");
    t.exec("DROP TYPE inner_t");
}

#[test]
fn nested_udts_follow_alterations() {
    // UserTypesTest.testAlteringUserTypeNestedWithinUserType
    let mut t = Tester::new();
    t.exec("CREATE TYPE t1 (a int, b int)");
    t.exec("CREATE TYPE t2 (x frozen<t1>)");
    t.exec("CREATE TABLE n (a int PRIMARY KEY, b frozen<t2>)");
    t.exec("INSERT INTO n (a, b) VALUES (1, {x: {a: 1, b: 1}})");
    t.exec("ALTER TYPE t1 ADD c int");
    t.exec("INSERT INTO n (a, b) VALUES (2, {x: {a: 2, b: 2, c: 2}})");
    t.exec("INSERT INTO n (a, b) VALUES (4, {x: {b: 4}})");
    let mut r = t.rows("SELECT b.x.a, b.x.b, b.x.c FROM n");
    r.sort();
    assert_eq!(r, rows(&[&["1", "1", "null"], &["2", "2", "2"], &["null", "4", "null"]]));
}

#[test]
fn system_schema_types_and_describe() {
    let mut t = Tester::new();
    t.exec("CREATE TYPE zeta (n int)");
    t.exec("CREATE TYPE addr (street text, phones set<text>, z frozen<zeta>)");
    t.exec("CREATE TABLE people (id int PRIMARY KEY, home frozen<addr>)");
    assert_eq!(
        t.rows("SELECT type_name, field_names, field_types FROM system_schema.types WHERE keyspace_name = 'ks'"),
        rows(&[
            &["'addr'", "['street', 'phones', 'z']", "['text', 'set<text>', 'frozen<zeta>']"],
            &["'zeta'", "['n']", "['int']"],
        ])
    );
    let described = t.rows("DESCRIBE TYPE addr");
    assert_eq!(
        described,
        rows(&[&[
            "'ks'",
            "'type'",
            "'addr'",
            "'CREATE TYPE ks.addr (\n    street text,\n    phones set<text>,\n    z frozen<zeta>\n);'"
        ]])
    );
    assert_eq!(t.rows("DESCRIBE TYPES"), rows(&[&["'ks'", "'type'", "'addr'"], &["'ks'", "'type'", "'zeta'"]]));
    // Types come before tables, each after the types it uses.
    let ks: Vec<String> = t.rows("DESCRIBE KEYSPACE ks").into_iter().map(|r| format!("{} {}", r[1], r[2])).collect();
    assert_eq!(ks, ["'keyspace' 'ks'", "'type' 'zeta'", "'type' 'addr'", "'table' 'people'"]);
    assert_eq!(t.invalid("DESCRIBE TYPE nope"), "User defined type 'nope' not found in 'ks'");
}

#[test]
fn types_survive_a_restart() {
    let mut t = Tester::new();
    t.exec("CREATE TYPE zeta (n int)");
    t.exec("CREATE TYPE addr (street text, z frozen<zeta>)");
    t.exec("CREATE TABLE people (id int PRIMARY KEY, home addr)");
    t.exec("INSERT INTO people (id, home) VALUES (1, {street: 'Main', z: {n: 3}})");
    let mut t = t.reopen();
    t.exec("USE ks");
    assert_eq!(t.rows("SELECT home.z.n, home FROM people"), rows(&[&["3", "{street: 'Main', z: {n: 3}}"]]));
    t.exec("UPDATE people SET home.street = 'Elm' WHERE id = 1");
    assert_eq!(t.rows("SELECT home.street FROM people"), vec![row(&["'Elm'"])]);
}

#[test]
fn unset_fields_are_refused() {
    // UserTypesTest.testUDTWithUnsetValues
    let mut t = Tester::new();
    t.exec("CREATE TYPE xy (x int, y int)");
    t.exec("CREATE TABLE u (k int PRIMARY KEY, v frozen<xy>)");
    let e = t
        .execute("INSERT INTO u (k, v) VALUES (10, {x: ?, y: ?})", vec![support::int(1), query::Value::Unset])
        .unwrap_err();
    assert_eq!(e.to_string(), "Invalid unset value for field 'y' of user defined type xy");
}
