"""Write timestamps: USING TIMESTAMP, WRITETIME(), last-write-wins and how ties are broken.

Sources (apache/cassandra):
- src/java/org/apache/cassandra/db/rows/Cells.java (resolveRegular): the higher timestamp wins; at the
  same timestamp a tombstone beats a live cell, an expiring cell beats a non-expiring one
  (CASSANDRA-14592), and otherwise the greater value (unsigned bytes, ValueAccessor.compare) wins.
- test/unit/org/apache/cassandra/cql3/validation/entities/WritetimeOrTTLTest.java (WRITETIME of
  regular columns, multi-cell collections as lists, MAXWRITETIME, primary key columns refused).
- test/unit/org/apache/cassandra/cql3/validation/entities/StaticColumnsTest.java (writetime(s) > 0).
- src/java/org/apache/cassandra/cql3/statements/BatchStatement.java (batch timestamp messages).
"""

import time

import pytest

from .util import assert_invalid, one, rows


@pytest.fixture
def kv(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v text)")
    return t


def test_writetime_is_the_using_timestamp(cql, t):
    # WritetimeOrTTLTest.testSimple.
    cql.execute(f"CREATE TABLE {t} (pk int, ck int, v int, PRIMARY KEY(pk, ck))")
    cql.execute(f"INSERT INTO {t} (pk, ck, v) VALUES (1, 2, 3) USING TIMESTAMP 1")
    assert one(cql, f"SELECT WRITETIME(v) FROM {t}") == (1,)
    cql.execute(f"UPDATE {t} USING TIMESTAMP 2 AND TTL 10000 SET v=8 WHERE pk=1 AND ck=2")
    assert rows(cql, f"SELECT pk, WRITETIME(v), v, ck FROM {t}") == [(1, 2, 8, 2)]


def test_writetime_defaults_to_the_current_time_in_microseconds(cql, kv):
    before = int(time.time() * 1_000_000)
    cql.execute(f"INSERT INTO {kv} (k, v) VALUES (0, 'a')")
    after = int(time.time() * 1_000_000)
    written = one(cql, f"SELECT writetime(v) FROM {kv} WHERE k = 0")[0]
    assert before - 5_000_000 <= written <= after + 5_000_000


def test_writetime_column_name(cql, kv):
    cql.execute(f"INSERT INTO {kv} (k, v) VALUES (0, 'a')")
    assert cql.execute(f"SELECT writetime(v) FROM {kv}").column_names == ["writetime(v)"]


def test_writetime_of_a_null_column_is_null(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int, w int)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (0, 1)")
    assert one(cql, f"SELECT writetime(w) FROM {t} WHERE k = 0") == (None,)


def test_older_write_loses(cql, kv):
    cql.execute(f"INSERT INTO {kv} (k, v) VALUES (0, 'new') USING TIMESTAMP 2000")
    cql.execute(f"INSERT INTO {kv} (k, v) VALUES (0, 'old') USING TIMESTAMP 1000")
    cql.execute(f"UPDATE {kv} USING TIMESTAMP 1500 SET v = 'older' WHERE k = 0")
    assert one(cql, f"SELECT v, writetime(v) FROM {kv} WHERE k = 0") == ("new", 2000)


def test_newer_write_wins_whatever_the_order(cql, kv):
    cql.execute(f"INSERT INTO {kv} (k, v) VALUES (0, 'first') USING TIMESTAMP 1000")
    cql.execute(f"INSERT INTO {kv} (k, v) VALUES (0, 'second') USING TIMESTAMP 1001")
    assert one(cql, f"SELECT v FROM {kv} WHERE k = 0") == ("second",)


def test_same_timestamp_greater_value_wins(cql, kv):
    for k, order in enumerate([("a", "b"), ("b", "a")]):
        for value in order:
            cql.execute(f"INSERT INTO {kv} (k, v) VALUES ({k}, '{value}') USING TIMESTAMP 5000")
        assert one(cql, f"SELECT v FROM {kv} WHERE k = {k}") == ("b",), order


def test_same_timestamp_values_compare_as_unsigned_bytes(cql, t):
    # -1 is 0xffffffff, 1 is 0x00000001: unsigned, -1 is the greater value.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (0, -1) USING TIMESTAMP 5000")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (0, 1) USING TIMESTAMP 5000")
    assert one(cql, f"SELECT v FROM {t} WHERE k = 0") == (-1,)


def test_same_timestamp_delete_wins(cql, kv):
    for k, delete_first in enumerate([False, True]):
        statements = [f"INSERT INTO {kv} (k, v) VALUES ({k}, 'x') USING TIMESTAMP 5000",
                      f"DELETE v FROM {kv} USING TIMESTAMP 5000 WHERE k = {k}"]
        for statement in (statements[::-1] if delete_first else statements):
            cql.execute(statement)
        assert one(cql, f"SELECT v FROM {kv} WHERE k = {k}") == (None,), delete_first


def test_same_timestamp_expiring_cell_beats_a_plain_one(cql, kv):
    cql.execute(f"INSERT INTO {kv} (k, v) VALUES (0, 'z') USING TIMESTAMP 5000")
    cql.execute(f"INSERT INTO {kv} (k, v) VALUES (0, 'a') USING TIMESTAMP 5000 AND TTL 10000")
    assert one(cql, f"SELECT v FROM {kv} WHERE k = 0") == ("a",)


def test_row_delete_with_an_older_timestamp_does_not_delete(cql, kv):
    cql.execute(f"INSERT INTO {kv} (k, v) VALUES (0, 'x') USING TIMESTAMP 5000")
    cql.execute(f"DELETE FROM {kv} USING TIMESTAMP 4999 WHERE k = 0")
    assert one(cql, f"SELECT v FROM {kv} WHERE k = 0") == ("x",)
    cql.execute(f"DELETE FROM {kv} USING TIMESTAMP 5001 WHERE k = 0")
    assert rows(cql, f"SELECT v FROM {kv} WHERE k = 0") == []


def test_write_older_than_a_delete_stays_deleted(cql, kv):
    cql.execute(f"DELETE FROM {kv} USING TIMESTAMP 5000 WHERE k = 0")
    cql.execute(f"INSERT INTO {kv} (k, v) VALUES (0, 'x') USING TIMESTAMP 4000")
    assert rows(cql, f"SELECT v FROM {kv} WHERE k = 0") == []
    cql.execute(f"INSERT INTO {kv} (k, v) VALUES (0, 'y') USING TIMESTAMP 6000")
    assert rows(cql, f"SELECT v FROM {kv} WHERE k = 0") == [("y",)]


def test_partition_delete_timestamp_shadows_only_older_rows(cql, t):
    cql.execute(f"CREATE TABLE {t} (p int, c int, v int, PRIMARY KEY (p, c))")
    cql.execute(f"INSERT INTO {t} (p, c, v) VALUES (0, 1, 1) USING TIMESTAMP 100")
    cql.execute(f"INSERT INTO {t} (p, c, v) VALUES (0, 2, 2) USING TIMESTAMP 300")
    cql.execute(f"DELETE FROM {t} USING TIMESTAMP 200 WHERE p = 0")
    assert rows(cql, f"SELECT c, v FROM {t} WHERE p = 0") == [(2, 2)]


def test_batch_timestamp_applies_to_every_statement(cql, kv):
    cql.execute(f"BEGIN BATCH USING TIMESTAMP 1234 INSERT INTO {kv} (k, v) VALUES (0, 'a'); "
                f"UPDATE {kv} SET v = 'b' WHERE k = 1; APPLY BATCH")
    assert rows(cql, f"SELECT k, writetime(v) FROM {kv} WHERE k IN (0, 1)") == [(0, 1234), (1, 1234)]


def test_statement_timestamps_inside_a_batch(cql, kv):
    cql.execute(f"BEGIN BATCH INSERT INTO {kv} (k, v) VALUES (0, 'a') USING TIMESTAMP 10; "
                f"INSERT INTO {kv} (k, v) VALUES (1, 'b') USING TIMESTAMP 20; APPLY BATCH")
    assert rows(cql, f"SELECT k, writetime(v) FROM {kv} WHERE k IN (0, 1)") == [(0, 10), (1, 20)]


def test_timestamp_on_both_batch_and_statement_is_refused(cql, kv):
    assert_invalid(cql, f"BEGIN BATCH USING TIMESTAMP 1 INSERT INTO {kv} (k, v) VALUES (0, 'a') USING TIMESTAMP 2; "
                        "APPLY BATCH", "Timestamp must be set either on BATCH or individual statements")


def test_writetime_of_a_multi_cell_collection_is_a_list(cql, t):
    # WritetimeOrTTLTest.testList / testFunctions: one timestamp per element; MAXWRITETIME their maximum.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<int>)")
    cql.execute(f"INSERT INTO {t} (k, l) VALUES (1, [1]) USING TIMESTAMP 1")
    cql.execute(f"UPDATE {t} USING TIMESTAMP 2 AND TTL 20000 SET l = l + [2] WHERE k = 1")
    assert one(cql, f"SELECT WRITETIME(l), MAXWRITETIME(l) FROM {t}") == ([1, 2], 2)


def test_writetime_of_a_frozen_collection_is_one_value(cql, t):
    # WritetimeOrTTLTest.testFrozenList.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v frozen<list<int>>)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (1, [1, 2, 3]) USING TIMESTAMP 7")
    assert one(cql, f"SELECT WRITETIME(v) FROM {t}") == (7,)


def test_aggregates_of_writetime(cql, t):
    # WritetimeOrTTLTest.testFunctions (regular column).
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (0, 0) USING TIMESTAMP 1 AND TTL 1000")
    cql.execute(f"INSERT INTO {t} (k, v) VALUES (1, 1) USING TIMESTAMP 10 AND TTL 1000")
    assert one(cql, f"SELECT min(writetime(v)), max(writetime(v)) FROM {t}") == (1, 10)


def test_writetime_of_a_primary_key_column_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int, ck int, v int, PRIMARY KEY(pk, ck))")
    for column in ("pk", "ck"):
        assert_invalid(cql, f"SELECT WRITETIME({column}) FROM {t}",
                       f"Cannot use selection function writetime on PRIMARY KEY part {column}")


def test_maxwritetime_of_a_primary_key_column_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int, ck int, v int, PRIMARY KEY(pk, ck))")
    for column in ("pk", "ck"):
        assert_invalid(cql, f"SELECT MAXWRITETIME({column}) FROM {t}",
                       f"Cannot use selection function maxwritetime on PRIMARY KEY part {column}")


def test_writetime_of_map_elements_and_slices(cql, t):
    # WritetimeOrTTLTest.testMap (CASSANDRA-8877): an element's own cell; a slice, one per cell.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, m map<int, int>)")
    cql.execute(f"INSERT INTO {t} (k, m) VALUES (1, {{1: 10}}) USING TIMESTAMP 100")
    cql.execute(f"UPDATE {t} USING TIMESTAMP 200 SET m = m + {{2: 20}} WHERE k = 1")
    assert one(cql, f"SELECT WRITETIME(m[1]), WRITETIME(m[2]), WRITETIME(m[3]) FROM {t}") == (100, 200, None)
    assert one(cql, f"SELECT WRITETIME(m[..1]), WRITETIME(m[1..2]), WRITETIME(m[3..]) FROM {t}") == (
        [100], [100, 200], None)
    assert one(cql, f"SELECT MAXWRITETIME(m[1..2]) FROM {t}") == (200,)


def test_writetime_of_frozen_map_elements_is_the_column_write_time(cql, t):
    # WritetimeOrTTLTest.testFrozenMap.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, m frozen<map<int, int>>)")
    cql.execute(f"INSERT INTO {t} (k, m) VALUES (1, {{1: 10}}) USING TIMESTAMP 100")
    assert one(cql, f"SELECT WRITETIME(m[1]), WRITETIME(m[2]), WRITETIME(m[0..1]), WRITETIME(m[2..]) FROM {t}") == (
        100, None, 100, None)


def test_ttl_of_a_set_element(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, s set<int>)")
    cql.execute(f"INSERT INTO {t} (k, s) VALUES (1, {{1}})")
    cql.execute(f"UPDATE {t} USING TTL 1000 SET s = s + {{2}} WHERE k = 1")
    no_ttl, ttl = one(cql, f"SELECT TTL(s[1]), TTL(s[2]) FROM {t}")
    assert no_ttl is None and 990 < ttl <= 1000
    assert cql.execute(f"SELECT TTL(s[2]) FROM {t}").column_names == ["ttl(s[2])"]
