"""Counter columns: increments and decrements, and everything Cassandra refuses to do with them.

Sources (apache/cassandra):
- test/unit/org/apache/cassandra/cql3/validation/entities/CountersTest.java (testCounters,
  testRegularCounters, testCounterUpdatesWithUnset, testCounterFiltering, testCounterFilteringWithNull).
- doc/modules/cassandra/pages/developing/cql/types.adoc, "Counters" (first increment starts from 0).
- src/java/org/apache/cassandra/db/rows/Cells.java, resolveCounter (a counter tombstone always wins).
- src/java/org/apache/cassandra/cql3/Operation.java, statements/UpdateStatement.java,
  statements/ModificationStatement.java, statements/schema/CreateTableStatement.java (messages).
"""

import pytest
from cassandra import InvalidRequest
from cassandra.query import UNSET_VALUE

from .util import assert_invalid, one, rows


@pytest.fixture
def counters(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, c counter, d counter)")
    return t


def test_increments_and_decrements(cql, t):
    # CountersTest.testCounters (without COMPACT STORAGE).
    cql.execute(f"CREATE TABLE {t} (userid int, url text, total counter, PRIMARY KEY (userid, url))")
    where = "WHERE userid = 1 AND url = 'http://foo.com'"
    steps = [("total = total + 1", 1), ("total = total - 4", -3), ("total = total+1", -2), ("total = total -2", -4),
             ("total += 6", 2), ("total -= 1", 1), ("total += -2", -1), ("total -= -2", 1)]
    for assignment, expected in steps:
        cql.execute(f"UPDATE {t} SET {assignment} {where}")
        assert one(cql, f"SELECT total FROM {t} {where}") == (expected,), assignment


def test_bound_increments_and_unset(cql, counters):
    # CountersTest.testCounterUpdatesWithUnset: an unset increment leaves the counter alone.
    t = counters
    cql.execute(f"UPDATE {t} SET c = c + 1 WHERE k = 10")
    plus = cql.prepare(f"UPDATE {t} SET c = c + ? WHERE k = 10")
    minus = cql.prepare(f"UPDATE {t} SET c = c - ? WHERE k = 10")
    cql.execute(plus, [1])
    assert one(cql, f"SELECT c FROM {t} WHERE k = 10") == (2,)
    cql.execute(plus, [UNSET_VALUE])
    cql.execute(minus, [UNSET_VALUE])
    assert one(cql, f"SELECT c FROM {t} WHERE k = 10") == (2,)
    cql.execute(minus, [1])
    assert one(cql, f"SELECT c FROM {t} WHERE k = 10") == (1,)


def test_counter_never_incremented_reads_null(cql, counters):
    # CountersTest.testCounterFilteringWithNull: row(1, 1L, null).
    t = counters
    cql.execute(f"UPDATE {t} SET c = c + 1 WHERE k = 1")
    assert rows(cql, f"SELECT * FROM {t}") == [(1, 1, None)]


def test_several_counters_in_one_update(cql, counters):
    t = counters
    cql.execute(f"UPDATE {t} SET c = c + 5, d = d - 3 WHERE k = 0")
    cql.execute(f"UPDATE {t} SET c = c + 5, d = d - 3 WHERE k = 0")
    assert one(cql, f"SELECT c, d FROM {t} WHERE k = 0") == (10, -6)


def test_counter_values_are_bigint(cql, counters):
    t = counters
    cql.execute(f"UPDATE {t} SET c = c + 9223372036854775807 WHERE k = 0")
    assert one(cql, f"SELECT c FROM {t} WHERE k = 0") == (9223372036854775807,)
    assert [c.typename for c in cql.execute(f"SELECT c FROM {t} WHERE k = 0").column_types] == ["counter"]


def test_filtering_on_counters(cql, t):
    # CountersTest.testCounterFiltering.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a counter)")
    increment = cql.prepare(f"UPDATE {t} SET a = a + ? WHERE k = ?")
    for i in range(10):
        cql.execute(increment, [i, i])
    cql.execute(increment, [6, 10])
    assert sorted(rows(cql, f"SELECT * FROM {t} WHERE a > 5 ALLOW FILTERING")) == [
        (6, 6), (7, 7), (8, 8), (9, 9), (10, 6)]
    assert sorted(rows(cql, f"SELECT * FROM {t} WHERE a = 6 ALLOW FILTERING")) == [(6, 6), (10, 6)]


def test_deleted_counter_reads_as_gone(cql, counters):
    t = counters
    cql.execute(f"UPDATE {t} SET c = c + 3 WHERE k = 0")
    cql.execute(f"DELETE FROM {t} WHERE k = 0")
    assert rows(cql, f"SELECT * FROM {t} WHERE k = 0") == []


def test_deleted_row_counter_starts_again_from_zero(cql, counters):
    t = counters
    cql.execute(f"UPDATE {t} SET c = c + 3 WHERE k = 0")
    cql.execute(f"DELETE FROM {t} WHERE k = 0")
    cql.execute(f"UPDATE {t} SET c = c + 1 WHERE k = 0")
    assert one(cql, f"SELECT c FROM {t} WHERE k = 0") == (1,)


def test_deleted_counter_column_ignores_later_increments(cql, counters):
    # Cells.resolveCounter: a counter tombstone wins over counter cells whatever their timestamps
    # (CASSANDRA-7346), so a deleted counter cannot be incremented again until the tombstone is purged.
    t = counters
    cql.execute(f"UPDATE {t} SET c = c + 3, d = d + 1 WHERE k = 0")
    cql.execute(f"DELETE c FROM {t} WHERE k = 0")
    cql.execute(f"UPDATE {t} SET c = c + 1, d = d + 1 WHERE k = 0")
    assert one(cql, f"SELECT c, d FROM {t} WHERE k = 0") == (None, 2)


def test_counter_batch(cql, counters):
    t = counters
    cql.execute(f"BEGIN COUNTER BATCH UPDATE {t} SET c = c + 1 WHERE k = 0; UPDATE {t} SET c = c + 2 WHERE k = 0; "
                f"UPDATE {t} SET d = d + 1 WHERE k = 1; APPLY BATCH")
    assert rows(cql, f"SELECT k, c, d FROM {t} WHERE k IN (0, 1)") == [(0, 3, None), (1, None, 1)]


def test_insert_into_a_counter_table_is_refused(cql, counters):
    assert_invalid(cql, f"INSERT INTO {counters} (k, c) VALUES (0, 1)",
                   "INSERT statements are not allowed on counter tables, use UPDATE instead")


def test_setting_a_counter_is_refused(cql, counters):
    assert_invalid(cql, f"UPDATE {counters} SET c = 5 WHERE k = 0",
                   "Cannot set the value of counter column c (counters can only be incremented/decremented, not set)")


def test_incrementing_a_non_counter_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    assert_invalid(cql, f"UPDATE {t} SET v = v + 1 WHERE k = 0", "Invalid operation (v = v + 1) for non counter column v")


def test_counter_update_with_ttl_is_refused(cql, counters):
    assert_invalid(cql, f"UPDATE {counters} USING TTL 10 SET c = c + 1 WHERE k = 0",
                   "Cannot provide custom TTL for counter updates")


def test_counter_update_with_timestamp_is_refused(cql, counters):
    assert_invalid(cql, f"UPDATE {counters} USING TIMESTAMP 10 SET c = c + 1 WHERE k = 0",
                   "Cannot provide custom timestamp for counter updates")


def test_condition_on_a_counter_is_refused(cql, counters):
    # ColumnCondition.Raw.prepare refuses a condition on a counter column before anything else.
    assert_invalid(cql, f"UPDATE {counters} SET c = c + 1 WHERE k = 0 IF d = 1", "Conditions on counters are not supported")


def test_conditional_counter_update_is_refused(cql, counters):
    # ModificationStatement: with IF EXISTS (no column condition) the table kind is what is refused.
    assert_invalid(cql, f"UPDATE {counters} SET c = c + 1 WHERE k = 0 IF EXISTS",
                   "Conditional updates are not supported on counter tables")


def test_mixing_counter_and_regular_columns_is_refused(cql, t):
    # CountersTest.testRegularCounters.
    assert_invalid(cql, f"CREATE TABLE {t} (id bigint PRIMARY KEY, count counter, things set<text>)",
                   "Cannot mix counter and non counter columns in the same table")


def test_counter_in_the_primary_key_is_refused(cql, t):
    assert_invalid(cql, f"CREATE TABLE {t} (a counter, b int, PRIMARY KEY (b, a))",
                   "counter type is not supported for PRIMARY KEY column 'a'")


def test_default_ttl_on_a_counter_table_is_refused(cql, t):
    assert_invalid(cql, f"CREATE TABLE {t} (k int PRIMARY KEY, c counter) WITH default_time_to_live = 10",
                   "Cannot set default_time_to_live on a table with counters")


def test_counters_inside_collections_are_refused(cql, t):
    # CountersTest.testCountersOnCollections (assertInvalidThrow: the class only).
    for i, kind in enumerate(["list<counter>", "set<counter>", "map<text, counter>"]):
        with pytest.raises(InvalidRequest):
            cql.execute(f"CREATE TABLE {t}_{i} (k int PRIMARY KEY, l {kind})")
