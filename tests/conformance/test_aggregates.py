"""Aggregates (count, min, max, sum, avg) and GROUP BY.

Sources (apache/cassandra):
- test/unit/org/apache/cassandra/cql3/validation/operations/AggregationTest.java (testFunctions,
  testCountStarFunction, testAggregateWithColumns): result types follow the argument type (avg of ints
  is an int), empty tables give count 0, null max/min and zero sums; column names.
- test/unit/org/apache/cassandra/cql3/validation/operations/SelectGroupByTest.java
  (testGroupByWithoutPaging, with the same data and expectations).
- src/java/org/apache/cassandra/cql3/statements/SelectStatement.java (GROUP BY messages).
"""

import datetime
from decimal import Decimal

import pytest

from .util import assert_invalid, one, rows


@pytest.fixture
def numbers(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int, b int, c double, d decimal, e smallint, f tinyint, primary key (a, b))")
    return t


AGGREGATES = ("max(b), min(b), sum(b), avg(b), max(c), sum(c), avg(c), sum(d), avg(d), "
              "max(e), min(e), sum(e), avg(e), max(f), min(f), sum(f), avg(f)")


def test_aggregates_of_an_empty_table(cql, numbers):
    result = cql.execute(f"SELECT {AGGREGATES} FROM {numbers}")
    assert result.column_names == [
        "system.max(b)", "system.min(b)", "system.sum(b)", "system.avg(b)", "system.max(c)", "system.sum(c)",
        "system.avg(c)", "system.sum(d)", "system.avg(d)", "system.max(e)", "system.min(e)", "system.sum(e)",
        "system.avg(e)", "system.max(f)", "system.min(f)", "system.sum(f)", "system.avg(f)"]
    assert [tuple(r) for r in result] == [
        (None, None, 0, 0, None, 0.0, 0.0, Decimal("0"), Decimal("0"), None, None, 0, 0, None, None, 0, 0)]


def test_count_of_an_empty_table(cql, numbers):
    result = cql.execute(f"SELECT COUNT(*) FROM {numbers}")
    assert result.column_names == ["count"]
    assert [tuple(r) for r in result] == [(0,)]


def test_aggregates_keep_the_argument_type(cql, numbers):
    t = numbers
    cql.execute(f"INSERT INTO {t} (a, b, c, d, e, f) VALUES (1, 1, 11.5, 11.5, 1, 1)")
    cql.execute(f"INSERT INTO {t} (a, b, c, d, e, f) VALUES (1, 2, 9.5, 1.5, 2, 2)")
    cql.execute(f"INSERT INTO {t} (a, b, c, d, e, f) VALUES (1, 3, 9.0, 2.0, 3, 3)")
    got = one(cql, f"SELECT {AGGREGATES} FROM {t}")
    assert got == (3, 1, 6, 2, 11.5, 30.0, 10.0, Decimal("15.0"), Decimal("5.0"), 3, 1, 6, 2, 3, 1, 6, 2)
    assert got[7].as_tuple() == Decimal("15.0").as_tuple() and got[8].as_tuple() == Decimal("5.0").as_tuple()


def test_avg_of_ints_truncates(cql, numbers):
    t = numbers
    for b in (1, 2, 3, 5):
        cql.execute(f"INSERT INTO {t} (a, b) VALUES (1, {b})")
    assert one(cql, f"SELECT avg(b) FROM {t}") == (2,)
    assert one(cql, f"SELECT AVG(CAST(b AS double)) FROM {t}") == (11.0 / 4,)


def test_count_star_one_and_columns(cql, numbers):
    t = numbers
    cql.execute(f"INSERT INTO {t} (a, b, c, d, e, f) VALUES (1, 1, 11.5, 11.5, 1, 1)")
    cql.execute(f"INSERT INTO {t} (a, b, c, d, e, f) VALUES (1, 2, 9.5, 1.5, 2, 2)")
    cql.execute(f"INSERT INTO {t} (a, b, c, d, e, f) VALUES (1, 3, 9.0, 2.0, 3, 3)")
    cql.execute(f"INSERT INTO {t} (a, b, d) VALUES (1, 5, 1.0)")
    assert one(cql, f"SELECT COUNT(*) FROM {t}") == (4,)
    assert one(cql, f"SELECT COUNT(1) FROM {t}") == (4,)
    # count(column) counts the non-null values; LIMIT does not cut an aggregate.
    assert one(cql, f"SELECT COUNT(b), count(c), count(e), count(f) FROM {t}") == (4, 3, 3, 3)
    assert one(cql, f"SELECT COUNT(b), count(c), count(e), count(f) FROM {t} LIMIT 2") == (4, 3, 3, 3)


def test_count_column_names_and_aliases(cql, numbers):
    t = numbers
    assert cql.execute(f"SELECT COUNT(1) FROM {t}").column_names == ["count"]
    assert cql.execute(f"SELECT COUNT(*), COUNT(*) FROM {t}").column_names == ["count", "count"]
    assert cql.execute(f"SELECT COUNT(*) as myCount FROM {t}").column_names == ["mycount"]
    assert cql.execute(f"SELECT COUNT(*), max(b), b FROM {t}").column_names == ["count", "system.max(b)", "b"]
    assert rows(cql, f"SELECT COUNT(*), max(b), b FROM {t}") == [(0, None, None)]


def test_plain_columns_next_to_aggregates_come_from_the_first_row(cql, numbers):
    # AggregationTest.testCountStarFunction: max(b), b, COUNT(*) is row(5, 1, 4L).
    t = numbers
    for b in (1, 2, 3, 5):
        cql.execute(f"INSERT INTO {t} (a, b) VALUES (1, {b})")
    assert one(cql, f"SELECT max(b), b, COUNT(*) FROM {t}") == (5, 1, 4)
    assert one(cql, f"SELECT max(b), COUNT(1), b FROM {t} WHERE a = 1 LIMIT 2") == (5, 4, 1)


def test_min_max_of_text_and_timestamps(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, c int, s text, ts timestamp, PRIMARY KEY (k, c))")
    cql.execute(f"INSERT INTO {t} (k, c, s, ts) VALUES (0, 0, 'b', '2020-01-01 00:00:00+0000')")
    cql.execute(f"INSERT INTO {t} (k, c, s, ts) VALUES (0, 1, 'a', '2021-01-01 00:00:00+0000')")
    cql.execute(f"INSERT INTO {t} (k, c, s, ts) VALUES (0, 2, 'c', '2019-01-01 00:00:00+0000')")
    assert one(cql, f"SELECT min(s), max(s), min(ts), max(ts) FROM {t} WHERE k = 0") == (
        "a", "c", datetime.datetime(2019, 1, 1), datetime.datetime(2021, 1, 1))


def test_sum_of_ints_overflows_like_java(cql, t):
    # functions.adoc, "Sum": the result has the type of the input, so it can overflow (Java int).
    cql.execute(f"CREATE TABLE {t} (k int, c int, v int, PRIMARY KEY (k, c))")
    cql.execute(f"INSERT INTO {t} (k, c, v) VALUES (0, 0, 2147483647)")
    cql.execute(f"INSERT INTO {t} (k, c, v) VALUES (0, 1, 1)")
    assert one(cql, f"SELECT sum(v) FROM {t}") == (-2147483648,)


@pytest.fixture
def grouped(cql, t):
    # SelectGroupByTest.testGroupByWithoutPaging.
    cql.execute(f"CREATE TABLE {t} (a int, b int, c int, d int, e int, primary key (a, b, c, d))")
    for values in [(1, 2, 1, 3, 6), (1, 2, 2, 6, 12), (1, 3, 2, 12, 24), (1, 4, 2, 12, 24), (1, 4, 2, 6, 12),
                   (2, 2, 3, 3, 6), (2, 4, 3, 6, 12), (3, 3, 2, 12, 24), (4, 8, 2, 12, 24)]:
        cql.execute(f"INSERT INTO {t} (a, b, c, d, e) VALUES {values}")
    cql.execute(f"DELETE FROM {t} WHERE a = 1 AND b = 3 AND c = 2 AND d = 12")
    cql.execute(f"DELETE FROM {t} WHERE a = 3")
    return t


def test_group_by_partition_key(cql, grouped):
    assert rows(cql, f"SELECT a, b, e, count(b), max(e) FROM {grouped} GROUP BY a") == [
        (1, 2, 6, 4, 24), (2, 2, 6, 2, 12), (4, 8, 24, 1, 24)]


def test_group_by_partition_and_clustering(cql, grouped):
    assert rows(cql, f"SELECT a, b, e, count(b), max(e) FROM {grouped} GROUP BY a, b") == [
        (1, 2, 6, 2, 12), (1, 4, 12, 2, 24), (2, 2, 6, 1, 6), (2, 4, 12, 1, 12), (4, 8, 24, 1, 24)]


def test_group_by_without_aggregates_returns_the_first_row_of_each_group(cql, grouped):
    assert rows(cql, f"SELECT a, b, c, d FROM {grouped} GROUP BY a, b") == [
        (1, 2, 1, 3), (1, 4, 2, 6), (2, 2, 3, 3), (2, 4, 3, 6), (4, 8, 2, 12)]


def test_group_by_with_limit_and_per_partition_limit(cql, grouped):
    assert rows(cql, f"SELECT a, b, e, count(b), max(e) FROM {grouped} GROUP BY a, b LIMIT 2") == [
        (1, 2, 6, 2, 12), (1, 4, 12, 2, 24)]
    assert rows(cql, f"SELECT a, b, e, count(b), max(e) FROM {grouped} GROUP BY a, b PER PARTITION LIMIT 1") == [
        (1, 2, 6, 2, 12), (2, 2, 6, 1, 6), (4, 8, 24, 1, 24)]


def test_group_by_in_one_partition(cql, grouped):
    assert rows(cql, f"SELECT a, b, e, count(b), max(e) FROM {grouped} WHERE a = 1 GROUP BY b, c") == [
        (1, 2, 6, 1, 6), (1, 2, 12, 1, 12), (1, 4, 12, 2, 24)]
    assert rows(cql, f"SELECT a, b, e, count(b), max(e) FROM {grouped} WHERE a = 1 AND b = 2 GROUP BY c") == [
        (1, 2, 6, 1, 6), (1, 2, 12, 1, 12)]


def test_group_by_with_order_by(cql, grouped):
    assert rows(cql, f"SELECT a, b, e, count(b), max(e) FROM {grouped} WHERE a = 1 GROUP BY a, b, c "
                     "ORDER BY b DESC, c DESC") == [(1, 4, 24, 2, 24), (1, 2, 12, 1, 12), (1, 2, 6, 1, 6)]


def test_group_by_with_distinct(cql, grouped):
    assert rows(cql, f"SELECT DISTINCT a, count(a)FROM {grouped} GROUP BY a") == [(1, 1), (2, 1), (4, 1)]
    assert_invalid(cql, f"SELECT DISTINCT a, count(a)FROM {grouped} GROUP BY a, b",
                   "Grouping on clustering columns is not allowed for SELECT DISTINCT queries")


def test_group_by_on_a_regular_column_is_refused(cql, grouped):
    assert_invalid(cql, f"SELECT a, count(*) FROM {grouped} GROUP BY e",
                   "Group by is currently only supported on the columns of the PRIMARY KEY, got e")


def test_group_by_out_of_order_is_refused(cql, grouped):
    assert_invalid(cql, f"SELECT a, count(*) FROM {grouped} GROUP BY a, c",
                   "Group by currently only support groups of columns following their declared order in the PRIMARY KEY")


def test_group_by_a_part_of_the_partition_key_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int, b int, c int, v int, PRIMARY KEY ((a, b), c))")
    assert_invalid(cql, f"SELECT a, count(*) FROM {t} GROUP BY a",
                   "Group by is not supported on only a part of the partition key")


# GROUP BY a function of the last grouped clustering column (CASSANDRA-11871, SelectGroupByTest
# testGroupByTimeRangesWithTimestamp): rows share a group when floor() gives them the same value.

@pytest.fixture
def readings(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int, time timestamp, v int, PRIMARY KEY (pk, time))")
    for time, v in [("16:10:00", 1), ("16:12:00", 2), ("16:14:00", 3), ("16:15:00", 4), ("16:21:00", 5)]:
        cql.execute(f"INSERT INTO {t} (pk, time, v) VALUES (1, '2016-09-27 {time}+0000', {v})")
    return t


def test_group_by_floor_of_a_timestamp(cql, readings):
    from cassandra.query import SimpleStatement
    query = (f"SELECT pk, floor(time, 5m), min(v), max(v), count(v) FROM {readings} WHERE pk = 1 "
             "GROUP BY pk, floor(time, 5m)")
    expected = [(1, datetime.datetime(2016, 9, 27, 16, 10), 1, 3, 3),
                (1, datetime.datetime(2016, 9, 27, 16, 15), 4, 4, 1),
                (1, datetime.datetime(2016, 9, 27, 16, 20), 5, 5, 1)]
    assert rows(cql, query) == expected
    assert list(cql.execute(SimpleStatement(query, fetch_size=1))) == expected


def test_group_by_floor_with_a_starting_time(cql, readings):
    assert rows(cql, f"SELECT count(v) FROM {readings} WHERE pk = 1 "
                     f"GROUP BY pk, floor(time, 10m, '2016-09-27 16:05:00+0000')") == [(3,), (2,)]


def test_group_by_function_must_be_last(cql, readings):
    assert_invalid(cql, f"SELECT count(v) FROM {readings} WHERE pk = 1 GROUP BY floor(time, 5m), pk",
                   "Functions are only supported on the last element of the GROUP BY clause")


def test_group_by_non_monotonic_function_is_refused(cql, readings):
    assert_invalid(cql, f"SELECT count(v) FROM {readings} GROUP BY pk, timestampasblob(time)",
                   "Only monotonic functions are supported in the GROUP BY clause. "
                   "Got: system.timestampasblob : (timestamp) -> blob ")
