"""How one statement's values become cells, and how they read back: operations on the same cell, list
indexes within one statement, bound collections, slices, and the checks on values and timestamps.

Sources (apache/cassandra):
- test/unit/org/apache/cassandra/cql3/validation/entities/CollectionsTest.java
  (testMultipleOperationOn{List,Map,Set}WithinTheSameQuery, testInvalidInputFor{List,Set,Map},
  testMapOverlappingSlices, testSelectionOfEmptyCollections, testInsertingCollectionsWithInvalidElements,
  testMapWithLargePartition's `compression = {}`).
- .../entities/CountersTest.java (testCounterFilteringWithNull), .../entities/TimestampTest.java
  (testNegativeTimestamps), .../entities/TupleTypeTest.java (testInvalidQueries, testTupleWithUnsetValues,
  testTupleModification), .../entities/FrozenCollectionsTest.java (testSecondaryIndex: a bound set's
  order does not matter).
- src/java/org/apache/cassandra/db/rows/Cells.java (reconcile: tombstone, then the greater value wins on a
  timestamp tie), src/java/org/apache/cassandra/cql3/UpdateParameters.java (list indexes read the
  prefetched row with the pending updates; Long.MIN_VALUE timestamp refused),
  src/java/org/apache/cassandra/serializers/{List,Set,Map}Serializer.java (messages),
  src/java/org/apache/cassandra/schema/CompressionParams.java (an empty map is no compression).
"""

import struct

from cassandra.query import UNSET_VALUE, BoundStatement

from .util import assert_invalid, one, rows


def test_same_list_element_set_twice_keeps_the_greater_value(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int PRIMARY KEY, l list<int>)")
    cql.execute(f"INSERT INTO {t} (pk, l) VALUES (1, [1, 2, 3, 4])")
    cql.execute(f"UPDATE {t} SET l[2] = 9, l[2] = 6 WHERE pk = 1")
    assert one(cql, f"SELECT l FROM {t} WHERE pk = 1") == ([1, 2, 9, 4],)


def test_same_map_entry_set_twice_keeps_the_greater_value(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int PRIMARY KEY, m map<int, int>)")
    cql.execute(f"INSERT INTO {t} (pk, m) VALUES (1, {{0: 1, 2: 3}})")
    cql.execute(f"UPDATE {t} SET m[2] = 9, m[2] = 6 WHERE pk = 1")
    assert one(cql, f"SELECT m FROM {t} WHERE pk = 1") == ({0: 1, 2: 9},)


def test_adding_and_removing_a_set_element_in_one_update_removes_it(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int PRIMARY KEY, s set<int>)")
    cql.execute(f"INSERT INTO {t} (pk, s) VALUES (1, {{0, 1, 2}})")
    cql.execute(f"UPDATE {t} SET s = s + {{3, 4}}, s = s - {{3}} WHERE pk = 1")
    assert one(cql, f"SELECT s FROM {t} WHERE pk = 1") == ({0, 1, 2, 4},)
    cql.execute(f"UPDATE {t} SET s = s - {{4}}, s = s + {{4}} WHERE pk = 1")
    assert one(cql, f"SELECT s FROM {t} WHERE pk = 1") == ({0, 1, 2},)


def test_deleting_the_same_list_index_twice_deletes_two_elements(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int PRIMARY KEY, l list<int>)")
    cql.execute(f"INSERT INTO {t} (pk, l) VALUES (1, [1, 2, 3, 4])")
    cql.execute(f"DELETE l[2], l[2] FROM {t} WHERE pk = 1")
    assert one(cql, f"SELECT l FROM {t} WHERE pk = 1") == ([1, 2],)


def test_list_operations_see_the_earlier_operations_of_the_statement(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int PRIMARY KEY, l list<int>)")
    cql.execute(f"INSERT INTO {t} (pk, l) VALUES (1, [1, 2, 3])")
    # The element set first is the one the removal finds.
    cql.execute(f"UPDATE {t} SET l[2] = 8, l = l - [8] WHERE pk = 1")
    assert one(cql, f"SELECT l FROM {t} WHERE pk = 1") == ([1, 2],)
    # A removed element no longer counts for an index.
    assert_invalid(
        cql, f"UPDATE {t} SET l = l - [2], l[1] = 4 WHERE pk = 1", "List index 1 out of bound, list has size 1"
    )


def test_empty_slice_of_a_non_frozen_collection_is_null(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, m map<int, int>, s set<int>)")
    cql.execute(f"INSERT INTO {t} (k, m, s) VALUES (0, {{0: 0, 1: 1}}, {{0, 1}})")
    assert one(cql, f"SELECT m[7..8], s[7..8] FROM {t} WHERE k = 0") == (None, None)
    assert one(cql, f"SELECT m[1..8], s[..0] FROM {t} WHERE k = 0") == ({1: 1}, {0})


def test_empty_slice_of_a_frozen_collection_is_an_empty_collection(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, m frozen<map<int, int>>, s frozen<set<int>>)")
    cql.execute(f"INSERT INTO {t} (k, m, s) VALUES (0, {{0: 0}}, {{0}})")
    m, s = one(cql, f"SELECT m[7..8], s[7..8] FROM {t} WHERE k = 0")
    assert (dict(m), set(s)) == ({}, set())


def test_empty_compression_map_means_no_compression(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v text) WITH compression = {{}}")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (0, 'x')")
    assert one(cql, f"SELECT v FROM {t} WHERE k = 0") == ("x",)
    (compression,) = one(
        cql,
        "SELECT compression FROM system_schema.tables WHERE keyspace_name = %s AND table_name = %s",
        (cql.keyspace, t),
    )
    assert compression == {"enabled": "false"}


def _insert_raw(cql, t, column, raw):
    prepared = cql.prepare(f"INSERT INTO {t} (pk, {column}) VALUES (?, ?)")
    bound = BoundStatement(prepared)
    bound.values = [struct.pack(">i", 1), raw]
    cql.execute(bound)


def test_malformed_bound_collections_are_refused_with_the_serializer_messages(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int PRIMARY KEY, l list<text>, s set<text>, m map<text, text>)")
    for column, kind in (("l", "list"), ("s", "set"), ("m", "map")):
        for raw in (b"", b"te", struct.pack(">ii", 2, 1) + b"a"):
            error = _expect_invalid(lambda: _insert_raw(cql, t, column, raw))
            assert f"Not enough bytes to read a {kind}" in str(error)
        error = _expect_invalid(lambda: _insert_raw(cql, t, column, struct.pack(">i", -1)))
        assert f"The data cannot be deserialized as a {kind}" in str(error)
    assert rows(cql, f"SELECT * FROM {t}") == []


def _expect_invalid(action):
    from cassandra import InvalidRequest

    try:
        action()
    except InvalidRequest as e:
        return e
    raise AssertionError("expected InvalidRequest")


def test_bound_frozen_set_equals_however_its_elements_are_ordered(cql, t):
    cql.execute(f"CREATE TABLE {t} (k frozen<set<int>> PRIMARY KEY, v int)")
    prepared = cql.prepare(f"INSERT INTO {t} (k, v) VALUES (?, ?)")
    cql.execute(prepared, ([3, 1, 2, 1], 0))  # sent in this order, duplicates included
    assert rows(cql, f"SELECT v FROM {t} WHERE k = {{1, 2, 3}}") == [(0,)]


def test_null_literal_for_a_counter_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int PRIMARY KEY, b counter)")
    assert_invalid(
        cql, f"SELECT * FROM {t} WHERE b = null ALLOW FILTERING", "Invalid null value for counter increment/decrement"
    )


def test_min_long_timestamp_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (1, 1) USING TIMESTAMP -42")
    assert one(cql, f"SELECT writetime(v) FROM {t} WHERE k = 1") == (-42,)
    assert_invalid(
        cql,
        f"INSERT INTO {t} (k, v) VALUES (2, 2) USING TIMESTAMP -9223372036854775808",
        "Out of bound timestamp, must be in [-9223372036854775807, 9223372036854775807]",
    )


def test_element_literal_of_the_wrong_type_makes_the_collection_literal_invalid(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, s frozen<set<tuple<int, text, double>>>, t tuple<int, int>)")
    assert_invalid(
        cql,
        f"INSERT INTO {t} (k, s) VALUES (0, {{(1, '1', 1.0, 1)}})",
        "Invalid set literal for s: value (1, '1', 1.0, 1) is not of type frozen<tuple<int, text, double>>",
    )
    assert_invalid(
        cql,
        f"INSERT INTO {t} (k, t) VALUES (0, (1, 'a'))",
        "Invalid tuple literal for t: component 1 is not of type int",
    )


def test_unset_tuple_component_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, t tuple<int, text, double>)")
    prepared = cql.prepare(f"INSERT INTO {t} (k, t) VALUES (0, (3, ?, 2.1))")
    error = _expect_invalid(lambda: cql.execute(prepared, (UNSET_VALUE,)))
    assert "Invalid unset value for tuple field number 1" in str(error)


def test_adding_to_a_tuple_names_the_tuple_column(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int PRIMARY KEY, value tuple<int, int>)")
    assert_invalid(
        cql,
        f"UPDATE {t} SET value = value + (1, 1) WHERE pk = 0",
        "Invalid operation (value = value + (1, 1)) for tuple column value",
    )


def test_slice_of_a_list_is_refused_as_a_slice_selection(cql, t):
    # WritetimeOrTTLTest.testList: ElementsSelector names the kind of selection.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<int>)")
    assert_invalid(cql, f"SELECT l[..0] FROM {t}", "Slice selection is only allowed on sets and maps, but l is a list")
    assert_invalid(
        cql, f"SELECT writetime(l[1..2]) FROM {t}", "Slice selection is only allowed on sets and maps, but l is a list"
    )
    assert_invalid(cql, f"SELECT l[0] FROM {t}", "Element selection is only allowed on sets and maps, but l is a list")


def test_string_constant_for_a_tuple_is_its_string_form(cql, t):
    # TupleTypeTest.testTupleFromString: TupleType.fromString splits on ':', '@' is null, '\:' escapes.
    cql.execute(f"CREATE TABLE {t} (k int, c int, t frozen<tuple<int, text>>, PRIMARY KEY (k, c))")
    cql.execute(f"INSERT INTO {t} (k, c, t) VALUES (0, 0, '0:0')")
    cql.execute(f"INSERT INTO {t} (k, c, t) VALUES (0, 1, '1')")
    cql.execute(f"INSERT INTO {t} (k, c, t) VALUES (0, 2, '1:1\\:1')")
    cql.execute(f"INSERT INTO {t} (k, c, t) VALUES (0, 3, '@:1')")
    assert rows(cql, f"SELECT t FROM {t} WHERE k = 0") == [((0, "0"),), ((1, None),), ((1, "1:1"),), ((None, "1"),)]
    assert_invalid(
        cql,
        f"INSERT INTO {t} (k, c, t) VALUES (1, 0, '1:2:3')",
        "Invalid tuple literal: too many elements. Type frozen<tuple<int, text>> expects 2 but got 3",
    )
