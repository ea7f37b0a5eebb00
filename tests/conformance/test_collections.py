"""Collections: list, set and map, frozen and not; append, prepend, remove, element set and delete.

Sources (apache/cassandra):
- test/unit/org/apache/cassandra/cql3/validation/entities/CollectionsTest.java (testLists, testSets,
  testMaps, testSet, testMap, testList, testMapBulkRemoval, test*WithUnsetValues, list index errors).
- test/unit/org/apache/cassandra/cql3/validation/operations/BatchTest.java (testBatchAndList).
- src/java/org/apache/cassandra/cql3/Operation.java (messages for operations on frozen collections).
- src/java/org/apache/cassandra/cql3/Lists.java ("List index %d out of bound, list has size %d").
- doc/modules/cassandra/pages/developing/cql/types.adoc (maps and sets are sorted; removing a missing
  element is a no-op).
"""

import pytest
from cassandra import InvalidRequest
from cassandra.query import UNSET_VALUE

from .util import assert_invalid, one, rows


def test_list_literal_keeps_order_and_duplicates(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<text>)")
    cql.execute(f"INSERT INTO {t} (k, l) VALUES (0, ['c', 'a', 'c', 'b'])")
    assert one(cql, f"SELECT l FROM {t} WHERE k = 0") == (["c", "a", "c", "b"],)


def test_set_literal_is_sorted_and_deduplicated(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, s set<text>)")
    cql.execute(f"INSERT INTO {t} (k, s) VALUES (0, {{'c', 'a', 'b', 'a'}})")
    assert list(one(cql, f"SELECT s FROM {t} WHERE k = 0")[0]) == ["a", "b", "c"]


def test_map_literal_is_sorted_by_key(cql, t):
    # CollectionsTest.testMap: { 'a' : 4 , 'c' : 3, 'b' : 2 } reads back as a=4, b=2, c=3.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, m map<text, int>)")
    cql.execute(f"UPDATE {t} SET m = {{ 'a' : 4 , 'c' : 3, 'b' : 2 }} WHERE k = 0")
    assert list(one(cql, f"SELECT m FROM {t} WHERE k = 0")[0].items()) == [("a", 4), ("b", 2), ("c", 3)]


def test_list_append_prepend_and_remove(cql, t):
    # CollectionsTest.testLists.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<text>)")
    cql.execute(f"INSERT INTO {t} (k, l) VALUES (0, ['v6', 'v5'])")
    cql.execute(f"UPDATE {t} SET l = l + ['v7', 'v8'] WHERE k = 0")
    assert one(cql, f"SELECT l FROM {t} WHERE k = 0") == (["v6", "v5", "v7", "v8"],)
    cql.execute(f"UPDATE {t} SET l = ['v9'] + l WHERE k = 0")
    assert one(cql, f"SELECT l FROM {t} WHERE k = 0") == (["v9", "v6", "v5", "v7", "v8"],)
    cql.execute(f"UPDATE {t} SET l = l - ['v5', 'v8'] WHERE k = 0")
    assert one(cql, f"SELECT l FROM {t} WHERE k = 0") == (["v9", "v6", "v7"],)


def test_list_remove_drops_every_occurrence(cql, t):
    # CollectionsTest.testList (migrated cql_tests list_test).
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<text>)")
    cql.execute(f"INSERT INTO {t} (k, l) VALUES (0, ['foo', 'bar', 'foo', 'foobar'])")
    cql.execute(f"UPDATE {t} SET l = l - ['foo'] WHERE k = 0")
    assert one(cql, f"SELECT l FROM {t} WHERE k = 0") == (["bar", "foobar"],)


def test_list_set_and_delete_element_by_index(cql, t):
    # CollectionsTest.testLists: DELETE l[1] then UPDATE l[1] = 'v4'.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<text>)")
    cql.execute(f"INSERT INTO {t} (k, l) VALUES (0, ['v1', 'v2', 'v3'])")
    cql.execute(f"DELETE l[1] FROM {t} WHERE k = 0")
    assert one(cql, f"SELECT l FROM {t} WHERE k = 0") == (["v1", "v3"],)
    cql.execute(f"UPDATE {t} SET l[1] = 'v4' WHERE k = 0")
    assert one(cql, f"SELECT l FROM {t} WHERE k = 0") == (["v1", "v4"],)


def test_list_index_out_of_bound(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<int>)")
    cql.execute(f"INSERT INTO {t} (k, l) VALUES (0, [1, 2])")
    assert_invalid(cql, f"UPDATE {t} SET l[5] = 9 WHERE k = 0", "List index 5 out of bound, list has size 2")
    assert one(cql, f"SELECT l FROM {t} WHERE k = 0") == ([1, 2],)


def test_list_element_operations_on_a_null_list(cql, t):
    # CollectionsTest.testLists.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<text>)")
    cql.execute(f"INSERT INTO {t} (k) VALUES (0)")
    assert_invalid(cql, f"DELETE l[0] FROM {t} WHERE k=0", "Attempted to delete an element from a list which is null")
    assert_invalid(cql, f"UPDATE {t} SET l[0] = 'v10' WHERE k=0", "Attempted to set an element on a list which is null")
    cql.execute(f"UPDATE {t} SET l = l - ['v11'] WHERE k=0")
    assert one(cql, f"SELECT l FROM {t} WHERE k = 0") == (None,)


def test_prepends_in_one_batch_apply_in_order(cql, t):
    # BatchTest.testBatchAndList.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<int>)")
    cql.execute(f"BEGIN BATCH UPDATE {t} SET l = l + [ 1 ] WHERE k = 0; UPDATE {t} SET l = l + [ 2 ] WHERE k = 0; "
                f"UPDATE {t} SET l = l + [ 3 ] WHERE k = 0; APPLY BATCH")
    assert one(cql, f"SELECT l FROM {t} WHERE k = 0") == ([1, 2, 3],)
    cql.execute(f"BEGIN BATCH UPDATE {t} SET l = [ 1 ] + l WHERE k = 1; UPDATE {t} SET l = [ 2 ] + l WHERE k = 1; "
                f"UPDATE {t} SET l = [ 3 ] + l WHERE k = 1; APPLY BATCH")
    assert one(cql, f"SELECT l FROM {t} WHERE k = 1") == ([3, 2, 1],)


def test_set_add_remove_and_element_delete(cql, t):
    # CollectionsTest.testSets and testSet.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, s set<text>)")
    cql.execute(f"INSERT INTO {t} (k, s) VALUES (0, {{'v1', 'v2', 'v3', 'v4'}})")
    cql.execute(f"DELETE s['v1'] FROM {t} WHERE k = 0")
    assert set(one(cql, f"SELECT s FROM {t} WHERE k = 0")[0]) == {"v2", "v3", "v4"}
    cql.execute(f"UPDATE {t} SET s = {{'v6', 'v5'}} WHERE k = 0")
    cql.execute(f"UPDATE {t} SET s = s + {{'v7'}} WHERE k = 0")
    assert list(one(cql, f"SELECT s FROM {t} WHERE k = 0")[0]) == ["v5", "v6", "v7"]
    cql.execute(f"UPDATE {t} SET s = s - {{'v6', 'v5'}} WHERE k = 0")
    assert list(one(cql, f"SELECT s FROM {t} WHERE k = 0")[0]) == ["v7"]
    # Deleting an element that does not exist succeeds.
    cql.execute(f"DELETE s['nope'] FROM {t} WHERE k = 0")
    cql.execute(f"DELETE s FROM {t} WHERE k = 0")
    assert one(cql, f"SELECT s FROM {t} WHERE k = 0") == (None,)


def test_map_put_remove_and_element_delete(cql, t):
    # CollectionsTest.testMaps and testMapBulkRemoval.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, m map<text, int>)")
    cql.execute(f"INSERT INTO {t} (k, m) VALUES (0, {{'v1': 1, 'v2': 2}})")
    cql.execute(f"UPDATE {t} SET m['v3'] = 3, m['v4'] = 4 WHERE k = 0")
    assert one(cql, f"SELECT m FROM {t} WHERE k = 0")[0] == {"v1": 1, "v2": 2, "v3": 3, "v4": 4}
    cql.execute(f"DELETE m['v1'] FROM {t} WHERE k = 0")
    cql.execute(f"UPDATE {t} SET m = m + {{'v7': 7}} WHERE k = 0")
    cql.execute(f"UPDATE {t} SET m = m - {{'v2', 'v3'}} WHERE k = 0")
    assert one(cql, f"SELECT m FROM {t} WHERE k = 0")[0] == {"v4": 4, "v7": 7}
    cql.execute(f"UPDATE {t} SET m = m + {{'v8': 8}}, m = m - {{'v4'}} WHERE k = 0")
    assert one(cql, f"SELECT m FROM {t} WHERE k = 0")[0] == {"v7": 7, "v8": 8}
    cql.execute(f"DELETE m['v7'] FROM {t} WHERE k = 0")
    cql.execute(f"DELETE m['v8'] FROM {t} WHERE k = 0")
    assert one(cql, f"SELECT m FROM {t} WHERE k = 0") == (None,)


def test_setting_an_empty_collection_is_null(cql, t):
    # CollectionsTest.testMaps: "UPDATE ... SET m = {}" reads back null; JsonTest: [] and {} are null too.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<int>, s set<int>, m map<int, int>)")
    cql.execute(f"INSERT INTO {t} (k, l, s, m) VALUES (0, [], {{}}, {{}})")
    assert one(cql, f"SELECT l, s, m FROM {t} WHERE k = 0") == (None, None, None)


def test_row_made_only_of_an_emptied_collection_disappears(cql, t):
    # CollectionsTest.testMap: UPDATE ... SET m = {} then the SELECT of that row is empty (no row marker).
    cql.execute(f"CREATE TABLE {t} (fn text, ln text, m map<text, int>, PRIMARY KEY (fn, ln))")
    cql.execute(f"UPDATE {t} SET m = {{'m': 4}} WHERE fn = 'Bilbo' AND ln = 'Baggins'")
    cql.execute(f"UPDATE {t} SET m = {{}} WHERE fn = 'Bilbo' AND ln = 'Baggins'")
    assert rows(cql, f"SELECT m FROM {t} WHERE fn = 'Bilbo' AND ln = 'Baggins'") == []


def test_deleting_the_last_set_element_of_an_updated_row_removes_the_row(cql, t):
    # CollectionsTest.testSet: DELETE tags FROM ... then assertEmpty.
    cql.execute(f"CREATE TABLE {t} (fn text, ln text, tags set<text>, PRIMARY KEY (fn, ln))")
    cql.execute(f"UPDATE {t} SET tags = {{'m', 'n'}} WHERE fn = 'Bilbo' AND ln = 'Baggins'")
    cql.execute(f"DELETE tags['m'] FROM {t} WHERE fn = 'Bilbo' AND ln = 'Baggins'")
    assert list(one(cql, f"SELECT tags FROM {t} WHERE fn = 'Bilbo' AND ln = 'Baggins'")[0]) == ["n"]
    cql.execute(f"DELETE tags FROM {t} WHERE fn = 'Bilbo' AND ln = 'Baggins'")
    assert rows(cql, f"SELECT tags FROM {t} WHERE fn = 'Bilbo' AND ln = 'Baggins'") == []


def test_unset_bound_values_leave_collections_alone(cql, t):
    # CollectionsTest.testListWithUnsetValues / testSetWithUnsetValues / testMapWithUnsetValues.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<text>, s set<text>, m map<text, text>)")
    cql.execute(f"INSERT INTO {t} (k, l, s, m) VALUES (10, ['foo', 'foo'], {{'bar'}}, {{'k': 'v'}})")
    cql.execute(cql.prepare(f"INSERT INTO {t} (k, l, s, m) VALUES (10, ?, ?, ?)"), [UNSET_VALUE] * 3)
    cql.execute(cql.prepare(f"UPDATE {t} SET l = l - ?, s = s + ?, m['k'] = ? WHERE k = 10"), [UNSET_VALUE] * 3)
    l, s, m = one(cql, f"SELECT l, s, m FROM {t} WHERE k = 10")
    assert (l, list(s), dict(m)) == (["foo", "foo"], ["bar"], {"k": "v"})


def test_unset_map_key_is_refused(cql, t):
    # CollectionsTest.testMapWithUnsetValues.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, m map<text, text>)")
    assert_invalid(cql, cql.prepare(f"UPDATE {t} SET m[?] = 'foo' WHERE k = 10"), "Invalid unset map key",
                   params=[UNSET_VALUE])
    assert_invalid(cql, cql.prepare(f"DELETE m[?] FROM {t} WHERE k = 10"), "Invalid unset map key",
                   params=[UNSET_VALUE])


def test_unset_list_index_is_refused(cql, t):
    # CollectionsTest.testListWithUnsetValues.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<text>)")
    cql.execute(f"INSERT INTO {t} (k, l) VALUES (10, ['foo'])")
    assert_invalid(cql, cql.prepare(f"UPDATE {t} SET l[?] = 'foo' WHERE k = 10"), "Invalid unset value for list index",
                   params=[UNSET_VALUE])


def test_bound_collections_round_trip(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<int>, s set<text>, m map<int, text>)")
    cql.execute(cql.prepare(f"INSERT INTO {t} (k, l, s, m) VALUES (?, ?, ?, ?)"),
                [0, [3, 1, 3], {"z", "a"}, {2: "b", 1: "a"}])
    l, s, m = one(cql, f"SELECT l, s, m FROM {t} WHERE k = 0")
    assert (l, list(s), list(m.items())) == ([3, 1, 3], ["a", "z"], [(1, "a"), (2, "b")])


def test_frozen_collections_round_trip(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l frozen<list<int>>, s frozen<set<int>>, "
                "m frozen<map<text, int>>)")
    cql.execute(f"INSERT INTO {t} (k, l, s, m) VALUES (0, [2, 1, 2], {{3, 1}}, {{'b': 2, 'a': 1}})")
    l, s, m = one(cql, f"SELECT l, s, m FROM {t} WHERE k = 0")
    assert (l, list(s), list(m.items())) == ([2, 1, 2], [1, 3], [("a", 1), ("b", 2)])


def test_nested_frozen_collections(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v map<text, frozen<list<frozen<set<int>>>>>)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (0, {{'a': [{{2, 1}}, {{}}], 'b': []}})")
    v = one(cql, f"SELECT v FROM {t} WHERE k = 0")[0]
    assert [(key, [list(s) for s in value]) for key, value in v.items()] == [("a", [[1, 2], []]), ("b", [])]


def test_frozen_collection_as_primary_key(cql, t):
    cql.execute(f"CREATE TABLE {t} (k frozen<list<int>>, c frozen<set<text>>, v int, PRIMARY KEY (k, c))")
    cql.execute(f"INSERT INTO {t} (k, c, v) VALUES ([1, 2], {{'b', 'a'}}, 1)")
    cql.execute(f"INSERT INTO {t} (k, c, v) VALUES ([1, 2], {{'a'}}, 2)")
    cql.execute(f"INSERT INTO {t} (k, c, v) VALUES ([2], {{'z'}}, 3)")
    assert rows(cql, f"SELECT v FROM {t} WHERE k = [1, 2]") == [(2,), (1,)]
    assert rows(cql, f"SELECT v FROM {t} WHERE k = [1, 2] AND c = {{'a', 'b'}}") == [(1,)]


def test_map_element_selection(cql, t):
    # Element selection in the SELECT clause (CollectionsTest.testMapOperation, CASSANDRA-7396).
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, m map<text, int>)")
    cql.execute(f"INSERT INTO {t} (k, m) VALUES (0, {{'a': 1, 'b': 2}})")
    assert one(cql, f"SELECT m['b'], m['zz'] FROM {t} WHERE k = 0") == (2, None)


def test_element_update_of_a_frozen_list_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l frozen<list<int>>)")
    assert_invalid(cql, f"UPDATE {t} SET l[0] = 1 WHERE k = 0",
                   "Invalid operation (l[0] = 1) for frozen collection column l")


def test_append_to_a_frozen_list_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l frozen<list<int>>)")
    assert_invalid(cql, f"UPDATE {t} SET l = l + [1] WHERE k = 0",
                   "Invalid operation (l = l + [1]) for frozen collection column l")


def test_element_delete_of_a_frozen_set_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, s frozen<set<int>>)")
    assert_invalid(cql, f"DELETE s[1] FROM {t} WHERE k = 0", "Invalid deletion operation for frozen collection column s")


def test_index_update_of_a_set_is_refused(cql, t):
    # Operation.SetElement: "Invalid operation (%s) for set column %s".
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, s set<int>)")
    assert_invalid(cql, f"UPDATE {t} SET s[0] = 1 WHERE k = 0", "Invalid operation (s[0] = 1) for set column s")


def test_mixing_collection_kinds_is_refused(cql, t):
    # CollectionsTest.testInvalidCollectionsMix (assertInvalid: the class only).
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<text>, s set<text>, m map<text, text>)")
    for statement in [f"UPDATE {t} SET l = l + {{ 'a', 'b' }} WHERE k = 0",
                      f"UPDATE {t} SET s = s + [ 'a', 'b' ] WHERE k = 0",
                      f"UPDATE {t} SET m = m - [ 'a', 'b' ] WHERE k = 0"]:
        with pytest.raises(InvalidRequest):
            cql.execute(statement)
