"""Lightweight transactions: IF NOT EXISTS, IF EXISTS, IF conditions; [applied] and the columns
returned when a condition fails.

Sources (apache/cassandra):
- test/unit/org/apache/cassandra/cql3/validation/operations/InsertUpdateIfConditionTest.java
  (testSimpleCas, testConditionalUpdate, testNonEqConditionalUpdate, testConditionalDelete,
  testCasAndListIndex, testConditionalUpdatesWithNonExistingValues).
- src/java/org/apache/cassandra/cql3/statements/ModificationStatement.java: the result is a column
  "[applied]"; on failure it is followed by the columns of the conditions in IF order (every column for
  IF NOT EXISTS), and by nothing when the row does not exist; messages for timestamps, IN and primary
  key conditions.
- datastax/python-driver tests/integration/standard/test_query.py (result[0].applied, was_applied).
"""

import pytest
from cassandra.query import UNSET_VALUE

from .util import assert_invalid, one, rows


@pytest.fixture
def tbl(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v1 int, v2 text, v3 int)")
    return t


def test_insert_if_not_exists_applies_once(cql, tbl):
    result = cql.execute(f"INSERT INTO {tbl} (k, v1, v2) VALUES (0, 2, 'foo') IF NOT EXISTS")
    assert result.was_applied is True and result.one().applied is True
    assert result.column_names == ["[applied]"]
    assert [tuple(r) for r in result.current_rows] == [(True,)]


def test_failed_insert_if_not_exists_returns_the_existing_row(cql, tbl):
    # testConditionalUpdate: row(false, 0, 2, "foo", null).
    cql.execute(f"INSERT INTO {tbl} (k, v1, v2) VALUES (0, 2, 'foo') IF NOT EXISTS")
    result = cql.execute(f"INSERT INTO {tbl} (k, v1, v2) VALUES (0, 5, 'bar') IF NOT EXISTS")
    assert result.was_applied is False
    assert result.column_names == ["[applied]", "k", "v1", "v2", "v3"]
    assert [tuple(r) for r in result.current_rows] == [(False, 0, 2, "foo", None)]
    assert rows(cql, f"SELECT * FROM {tbl}") == [(0, 2, "foo", None)]


def test_update_if_on_a_missing_row_returns_only_applied(cql, tbl):
    for condition in ["v1 = 4", "v1 IN (1, 2)", "EXISTS"]:
        result = cql.execute(f"UPDATE {tbl} SET v1 = 3, v2 = 'bar' WHERE k = 0 IF {condition}")
        assert result.column_names == ["[applied]"], condition
        assert [tuple(r) for r in result] == [(False,)], condition
    assert rows(cql, f"SELECT * FROM {tbl}") == []


def test_failed_condition_returns_the_current_values(cql, tbl):
    cql.execute(f"INSERT INTO {tbl} (k, v1, v2) VALUES (0, 2, 'foo')")
    result = cql.execute(f"UPDATE {tbl} SET v1 = 3, v2 = 'bar' WHERE k = 0 IF v1 = 4")
    assert result.column_names == ["[applied]", "v1"]
    assert [tuple(r) for r in result] == [(False, 2)]
    assert rows(cql, f"SELECT * FROM {tbl}") == [(0, 2, "foo", None)]


def test_successful_conditions(cql, tbl):
    cql.execute(f"INSERT INTO {tbl} (k, v1, v2) VALUES (0, 2, 'foo')")
    for update in ["SET v2 = 'bar', v1 = 3 WHERE k = 0 IF v1 = 2", "SET v2 = 'bar', v1 = 2 WHERE k = 0 IF v1 IN (2, 3)",
                   "SET v2 = 'bar', v1 = 3 WHERE k = 0 IF v1 IN (1, null, 2)", "SET v2 = 'bar', v1 = 3 WHERE k = 0 IF EXISTS"]:
        assert rows(cql, f"UPDATE {tbl} {update}") == [(True,)], update
    assert rows(cql, f"SELECT * FROM {tbl}") == [(0, 3, "bar", None)]


def test_several_conditions_all_must_hold(cql, tbl):
    cql.execute(f"INSERT INTO {tbl} (k, v1, v2) VALUES (0, 3, 'bar')")
    result = cql.execute(f"UPDATE {tbl} SET v1 = 5, v2 = 'foobar' WHERE k = 0 IF v1 = 3 AND v2 = 'foo'")
    assert result.column_names == ["[applied]", "v1", "v2"]
    assert [tuple(r) for r in result] == [(False, 3, "bar")]
    assert rows(cql, f"UPDATE {tbl} SET v1 = 5, v2 = 'foobar' WHERE k = 0 IF v1 = 3 AND v2 = 'bar'") == [(True,)]
    assert rows(cql, f"SELECT * FROM {tbl}") == [(0, 5, "foobar", None)]


def test_non_equal_conditions(cql, tbl):
    # testNonEqConditionalUpdate.
    cql.execute(f"INSERT INTO {tbl} (k, v1, v2) VALUES (0, 2, 'foo')")
    cases = [("v1 < 3", True), ("v1 <= 3", True), ("v1 > 1", True), ("v1 >= 1", True), ("v1 != 1", True),
             ("v1 != 2", False), ("v1 IN (0, 1, 2)", True), ("v1 IN (142, 276)", False), ("v1 IN ()", False)]
    for condition, applied in cases:
        expected = [(True,)] if applied else [(False, 2)]
        assert rows(cql, f"UPDATE {tbl} SET v2 = 'bar' WHERE k = 0 IF {condition}") == expected, condition


def test_conditional_deletes(cql, tbl):
    # testConditionalUpdate / testConditionalDelete.
    assert rows(cql, f"DELETE FROM {tbl} WHERE k = 1 IF EXISTS") == [(False,)]
    cql.execute(f"INSERT INTO {tbl} (k, v1, v2) VALUES (0, 5, 'foobar')")
    assert rows(cql, f"DELETE v2 FROM {tbl} WHERE k = 0 IF v1 = 3") == [(False, 5)]
    assert rows(cql, f"DELETE v2 FROM {tbl} WHERE k = 0 IF v1 = null") == [(False, 5)]
    assert rows(cql, f"DELETE v2 FROM {tbl} WHERE k = 0 IF v1 = 5") == [(True,)]
    assert rows(cql, f"SELECT * FROM {tbl}") == [(0, 5, None, None)]
    assert rows(cql, f"DELETE v1 FROM {tbl} WHERE k = 0 IF v3 = 4") == [(False, None)]
    assert rows(cql, f"DELETE v1 FROM {tbl} WHERE k = 0 IF v3 = null") == [(True,)]
    assert rows(cql, f"DELETE FROM {tbl} WHERE k = 0 IF v1 = null") == [(True,)]
    assert rows(cql, f"SELECT * FROM {tbl}") == []


def test_delete_if_exists(cql, tbl):
    cql.execute(f"INSERT INTO {tbl} (k, v1) VALUES (1, 2)")
    assert rows(cql, f"DELETE FROM {tbl} WHERE k = 1 IF EXISTS") == [(True,)]
    assert rows(cql, f"SELECT * FROM {tbl} WHERE k = 1") == []
    assert rows(cql, f"DELETE FROM {tbl} WHERE k = 1 IF EXISTS") == [(False,)]


def test_simple_cas_loop(cql, t):
    # testSimpleCas.
    cql.execute(f"CREATE TABLE {t} (tkn int, consumed boolean, PRIMARY KEY (tkn))")
    for i in range(3):
        cql.execute(f"INSERT INTO {t} (tkn, consumed) VALUES ({i}, FALSE)")
        assert rows(cql, f"UPDATE {t} SET consumed = TRUE WHERE tkn = {i} IF consumed = false") == [(True,)]
        assert rows(cql, f"UPDATE {t} SET consumed = TRUE WHERE tkn = {i} IF consumed = false") == [(False, True)]


def test_condition_with_a_list_index_update(cql, t):
    # testCasAndListIndex.
    cql.execute(f"CREATE TABLE {t} ( k int PRIMARY KEY, v text, l list<text>)")
    cql.execute(f"INSERT INTO {t} (k, v, l) VALUES(0, 'foobar', ['foi', 'bar'])")
    assert rows(cql, f"UPDATE {t} SET l[0] = 'foo' WHERE k = 0 IF v = 'barfoo'") == [(False, "foobar")]
    assert rows(cql, f"UPDATE {t} SET l[0] = 'foo' WHERE k = 0 IF v = 'foobar'") == [(True,)]
    assert rows(cql, f"SELECT * FROM {t}") == [(0, ["foo", "bar"], "foobar")]


def test_static_condition_on_a_missing_partition(cql, t):
    # testConditionalUpdatesWithNonExistingValues.
    cql.execute(f"CREATE TABLE {t} (a int, b int, s int static, d text, PRIMARY KEY (a, b))")
    assert rows(cql, f"UPDATE {t} SET s = 1 WHERE a = 1 IF s = NULL") == [(True,)]
    assert rows(cql, f"SELECT a, s, d FROM {t} WHERE a = 1") == [(1, 1, None)]
    assert rows(cql, f"UPDATE {t} SET s = 3 WHERE a = 3 IF s IN (10, 20, 30)") == [(False,)]
    assert rows(cql, f"SELECT a, s, d FROM {t} WHERE a = 3") == []


def test_bound_values_in_conditions(cql, tbl):
    cql.execute(f"INSERT INTO {tbl} (k, v1, v2) VALUES (0, 2, 'foo')")
    update = cql.prepare(f"UPDATE {tbl} SET v2 = ? WHERE k = ? IF v1 = ?")
    assert [tuple(r) for r in cql.execute(update, ["bar", 0, 9])] == [(False, 2)]
    assert [tuple(r) for r in cql.execute(update, ["bar", 0, 2])] == [(True,)]
    assert one(cql, f"SELECT v2 FROM {tbl} WHERE k = 0") == ("bar",)


def test_custom_timestamp_on_a_conditional_update_is_refused(cql, tbl):
    assert_invalid(cql, f"UPDATE {tbl} USING TIMESTAMP 1 SET v1 = 1 WHERE k = 0 IF v1 = 2",
                   "Cannot provide custom timestamp for conditional updates")


def test_condition_on_a_primary_key_column_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, c int, v int, PRIMARY KEY (k, c))")
    assert_invalid(cql, f"UPDATE {t} SET v = 1 WHERE k = 0 AND c = 0 IF c = 0",
                   "PRIMARY KEY column 'c' cannot have IF conditions")


def test_in_on_the_partition_key_of_a_conditional_update_is_refused(cql, tbl):
    assert_invalid(cql, f"UPDATE {tbl} SET v1 = 1 WHERE k IN (0, 1) IF v1 = 2",
                   "IN on the partition key is not supported with conditional updates")


def test_in_on_clustering_of_a_conditional_update_is_refused(cql, t):
    # testConditionalUpdate.
    cql.execute(f"CREATE TABLE {t} (k int, c int, v1 text, PRIMARY KEY(k, c))")
    assert_invalid(cql, f"UPDATE {t} SET v1 = 'A' WHERE k = 0 AND c IN (1, 2) IF EXISTS",
                   "IN on the clustering key columns is not supported with conditional updates")


def test_conditional_delete_of_a_range_is_refused(cql, t):
    # testConditionalDelete (CASSANDRA-6430).
    cql.execute(f"CREATE TABLE {t} (k text, s text static, i int, v text, PRIMARY KEY (k, i) )")
    assert_invalid(cql, f"DELETE FROM {t} WHERE k = 'k' IF EXISTS",
                   "DELETE statements must restrict all PRIMARY KEY columns with equality relations in order to "
                   "delete non static columns")


def test_contains_condition_on_a_non_collection_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, c int, v1 text, PRIMARY KEY(k, c))")
    assert_invalid(cql, f"UPDATE {t} SET v1 = 'B' WHERE k = 0 AND c = 0 IF v1 CONTAINS 'A'",
                   "Cannot use CONTAINS on non-collection column v1")


def test_contains_an_unset_value_does_not_apply_to_a_null_collection(cql, t):
    # InsertUpdateIfConditionCollectionsTest.testNonFrozenEmptyCollection: ColumnCondition's
    # MultiCellCollectionBound does not check for unset values; a null collection contains nothing.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<text>, s set<text>, m map<text, text>)")
    cql.execute(f"INSERT INTO {t} (k, l, s, m) VALUES (0, null, null, null)")
    for condition in ("l CONTAINS ?", "s CONTAINS ?", "m CONTAINS ?", "m CONTAINS KEY ?"):
        update = cql.prepare(f"UPDATE {t} SET l = null WHERE k = 0 IF {condition}")
        assert rows(cql, update, [UNSET_VALUE]) == [(False, None)], condition


def test_an_unset_value_in_an_equality_condition_is_refused(cql, t):
    # InsertUpdateIfConditionTest.testConditionalUpdate: SimpleBound checks for unset values.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v1 int)")
    update = cql.prepare(f"UPDATE {t} SET v1 = 3 WHERE k = 0 IF v1 = ?")
    assert_invalid(cql, update, "Invalid 'unset' value in condition", params=[UNSET_VALUE])
