//! Collection updates (append, prepend, add, remove, element set and delete), frozen and
//! non-frozen, with Cassandra 5.0's results and messages (`cql3/validation/entities/CollectionsTest`,
//! `cql3/Operation.java`, `cql3/terms/Lists.java`, `Maps.java`).

mod support;

use support::{int, row, rows, Tester};

fn lists() -> Tester {
    let mut t = Tester::new();
    t.exec(
        "CREATE TABLE c (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>, fl frozen<list<int>>, v int)",
    );
    t
}

#[test]
fn list_append_prepend_and_set_by_index() {
    // CollectionsTest.testLists
    let mut t = lists();
    t.exec("INSERT INTO c (k, l) VALUES (0, [1, 2, 3])");
    t.exec("UPDATE c SET l = l + [4, 5] WHERE k = 0");
    t.exec("UPDATE c SET l = [-1, 0] + l WHERE k = 0");
    assert_eq!(t.rows("SELECT l FROM c WHERE k = 0"), rows(&[&["[-1, 0, 1, 2, 3, 4, 5]"]]));
    t.exec("UPDATE c SET l = [-3, -2] + l WHERE k = 0");
    assert_eq!(t.rows("SELECT l FROM c WHERE k = 0"), rows(&[&["[-3, -2, -1, 0, 1, 2, 3, 4, 5]"]]));
    t.exec("UPDATE c SET l[1] = 42 WHERE k = 0");
    assert_eq!(t.rows("SELECT l FROM c WHERE k = 0"), rows(&[&["[-3, 42, -1, 0, 1, 2, 3, 4, 5]"]]));
    t.exec("UPDATE c SET l = l - [42, 0, 5] WHERE k = 0");
    assert_eq!(t.rows("SELECT l FROM c WHERE k = 0"), rows(&[&["[-3, -1, 1, 2, 3, 4]"]]));
    t.exec("DELETE l[0] FROM c WHERE k = 0");
    assert_eq!(t.rows("SELECT l FROM c WHERE k = 0"), rows(&[&["[-1, 1, 2, 3, 4]"]]));
    assert_eq!(t.invalid("UPDATE c SET l[5] = 1 WHERE k = 0"), "List index 5 out of bound, list has size 5");
    assert_eq!(t.invalid("DELETE l[7] FROM c WHERE k = 0"), "List index 7 out of bound, list has size 5");
    assert_eq!(t.invalid("UPDATE c SET l[0] = 1 WHERE k = 1"), "Attempted to set an element on a list which is null");
    assert_eq!(t.invalid("DELETE l[0] FROM c WHERE k = 1"), "Attempted to delete an element from a list which is null");
    t.exec("UPDATE c SET l[0] = null WHERE k = 0");
    assert_eq!(t.rows("SELECT l FROM c WHERE k = 0"), rows(&[&["[1, 2, 3, 4]"]]));
}

#[test]
fn appends_keep_their_order_across_many_writes() {
    let mut t = lists();
    for i in 0..50 {
        t.exec(&format!("UPDATE c SET l = l + [{i}] WHERE k = 0"));
    }
    for i in 1..=5 {
        t.exec(&format!("UPDATE c SET l = [-{i}] + l WHERE k = 0"));
    }
    let expected: Vec<String> = (1..=5).rev().map(|i| format!("-{i}")).chain((0..50).map(|i| i.to_string())).collect();
    assert_eq!(t.rows("SELECT l FROM c WHERE k = 0"), vec![vec![format!("[{}]", expected.join(", "))]]);
}

#[test]
fn sets_and_maps_add_remove_and_order_by_their_type() {
    // CollectionsTest.testSets / testMaps
    let mut t = Tester::new();
    t.exec("CREATE TABLE c (k int PRIMARY KEY, s set<int>, m map<int, text>)");
    t.exec("INSERT INTO c (k, s, m) VALUES (0, {3, -1, 2}, {5: 'five', -7: 'minus seven'})");
    t.exec("UPDATE c SET s = s + {-10, 100}, m = m + {0: 'zero'} WHERE k = 0");
    assert_eq!(
        t.rows("SELECT s, m FROM c WHERE k = 0"),
        rows(&[&["{-10, -1, 2, 3, 100}", "{-7: 'minus seven', 0: 'zero', 5: 'five'}"]])
    );
    t.exec("UPDATE c SET s = s - {2, 42}, m = m - {5} WHERE k = 0");
    t.exec("UPDATE c SET m[1] = 'one', m[0] = null WHERE k = 0");
    assert_eq!(
        t.rows("SELECT s, m FROM c WHERE k = 0"),
        rows(&[&["{-10, -1, 3, 100}", "{-7: 'minus seven', 1: 'one'}"]])
    );
    t.exec("DELETE s[3], m[-7] FROM c WHERE k = 0");
    assert_eq!(t.rows("SELECT s, m FROM c WHERE k = 0"), rows(&[&["{-10, -1, 100}", "{1: 'one'}"]]));
    assert_eq!(t.invalid("UPDATE c SET m[null] = 'x' WHERE k = 0"), "Invalid null map key");
    assert_eq!(t.invalid("UPDATE c SET s[1] = 2 WHERE k = 0"), "Invalid operation (s[1] = 2) for set column s");
}

#[test]
fn empty_non_frozen_collections_read_as_null() {
    // CollectionsTest: an empty collection is no cells, hence null
    let mut t = lists();
    t.exec("INSERT INTO c (k, l, s, m, fl) VALUES (0, [], {}, {}, [])");
    assert_eq!(t.rows("SELECT l, s, m, fl FROM c WHERE k = 0"), rows(&[&["null", "null", "null", "[]"]]));
    t.exec("UPDATE c SET s = s + {'a'} WHERE k = 0");
    t.exec("UPDATE c SET s = s - {'a'} WHERE k = 0");
    assert_eq!(t.rows("SELECT s FROM c WHERE k = 0"), rows(&[&["null"]]));
    t.exec("UPDATE c SET m = {'x': 1} WHERE k = 0");
    t.exec("DELETE m FROM c WHERE k = 0");
    assert_eq!(t.rows("SELECT k, m FROM c WHERE k = 0"), rows(&[&["0", "null"]]));
}

#[test]
fn setting_a_whole_collection_replaces_it() {
    let mut t = lists();
    t.exec("INSERT INTO c (k, l, m) VALUES (0, [1, 2], {'a': 1, 'b': 2})");
    t.exec("UPDATE c SET l = [3], m = {'c': 3} WHERE k = 0");
    assert_eq!(t.rows("SELECT l, m FROM c WHERE k = 0"), rows(&[&["[3]", "{'c': 3}"]]));
    t.exec("UPDATE c SET l = null WHERE k = 0");
    assert_eq!(t.rows("SELECT l FROM c WHERE k = 0"), rows(&[&["null"]]));
}

#[test]
fn invalid_collection_operations() {
    // Operation.java
    let mut t = lists();
    assert_eq!(
        t.invalid("UPDATE c SET v = v + 1 WHERE k = 0"),
        "Invalid operation (v = v + 1) for non counter column v"
    );
    assert_eq!(
        t.invalid("UPDATE c SET v = v - 1 WHERE k = 0"),
        "Invalid operation (v = v - 1) for non counter column v"
    );
    assert_eq!(
        t.invalid("UPDATE c SET fl = fl + [1] WHERE k = 0"),
        "Invalid operation (fl = fl + [1]) for frozen collection column fl"
    );
    assert_eq!(
        t.invalid("UPDATE c SET fl[0] = 1 WHERE k = 0"),
        "Invalid operation (fl[0] = 1) for frozen collection column fl"
    );
    assert_eq!(
        t.invalid("UPDATE c SET v[0] = 1 WHERE k = 0"),
        "Invalid operation (v[0] = 1) for non collection column v"
    );
    assert_eq!(t.invalid("UPDATE c SET s = ['a'] + s WHERE k = 0"), "Invalid list literal for s of type set<text>");
    assert_eq!(t.invalid("UPDATE c SET v = [1] + v WHERE k = 0"), "Invalid list literal for v of type int");
    assert_eq!(
        t.invalid("UPDATE c SET fl = [1] + fl WHERE k = 0"),
        "Invalid operation (fl = [1] - fl) for frozen list column fl"
    );
    assert_eq!(t.invalid("DELETE v[0] FROM c WHERE k = 0"), "Invalid deletion operation for non collection column v");
    assert_eq!(
        t.invalid("DELETE fl[0] FROM c WHERE k = 0"),
        "Invalid deletion operation for frozen collection column fl"
    );
    assert_eq!(
        t.invalid("UPDATE c SET m = m + 1 WHERE k = 0"),
        "Value for a map addition has to be a map, but was: '1'"
    );
    assert_eq!(
        t.invalid("UPDATE c SET m = m - 1 WHERE k = 0"),
        "Value for a map substraction has to be a set, but was: '1'"
    );
    assert_eq!(t.invalid("INSERT INTO c (k, l) VALUES (0, [1, null])"), "null is not supported inside collections");
    assert_eq!(t.invalid("UPDATE c SET s = s + {'a', null} WHERE k = 0"), "null is not supported inside collections");
}

#[test]
fn list_operations_bind_markers() {
    let mut t = lists();
    t.exec("INSERT INTO c (k, l) VALUES (0, [1, 2, 3])");
    t.execute("UPDATE c SET l[?] = ? WHERE k = ?", vec![int(2), int(30), int(0)]).unwrap();
    assert_eq!(t.rows("SELECT l FROM c WHERE k = 0"), vec![row(&["[1, 2, 30]"])]);
    let p = t.processor.prepare(&t.state, "UPDATE c SET l[?] = ? WHERE k = ?", None).unwrap();
    let names: Vec<&str> = p.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["idx(l)", "value(l)", "k"]);
    let p = t.processor.prepare(&t.state, "UPDATE c SET m[?] = ? WHERE k = ?", None).unwrap();
    let names: Vec<&str> = p.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["key(m)", "value(m)", "k"]);
}

#[test]
fn collections_in_a_batch_see_the_data_before_the_batch() {
    let mut t = lists();
    t.exec("INSERT INTO c (k, l) VALUES (0, [1, 2, 3])");
    t.exec("BEGIN BATCH UPDATE c SET l[0] = 10 WHERE k = 0; DELETE l[2] FROM c WHERE k = 0; APPLY BATCH");
    assert_eq!(t.rows("SELECT l FROM c WHERE k = 0"), rows(&[&["[10, 2]"]]));
}
