"""Arithmetic and string operators in selections and terms, and the batch size limit.

Sources:
- apache/cassandra src/java/org/apache/cassandra/cql3/functions/OperationFcts.java
  (addStringConcatenations: text/ascii `+`; decimal operands through DecimalType.toBigDecimal, whose
  messages are "A NaN cannot be converted into a decimal").
- apache/cassandra src/java/org/apache/cassandra/cql3/functions/FunctionResolver.java (pickBestMatch:
  "Ambiguous '+' operation with args ? and 1: use type hint to disambiguate, example '(int) ?'").
- apache/cassandra src/java/org/apache/cassandra/db/marshal/TemporalType.java (validateDuration: "The
  duration must have a millisecond precision. Was: 10us").
- apache/cassandra src/java/org/apache/cassandra/cql3/terms/Tuples.java (Literal.testAssignment: a
  one-element tuple assigned to a non-tuple is a term between parentheses).
- apache/cassandra test/unit/org/apache/cassandra/cql3/functions/OperationFctsTest.java
  (testStringConcatenation, testSingleOperationsWithLiterals, testWithNanAndInfinity,
  testOperationsWithDuration).
- apache/cassandra src/java/org/apache/cassandra/cql3/statements/BatchStatement.java (verifyBatchSize:
  a multi-partition batch over batch_size_fail_threshold, 50KiB by default, is "Batch too large") and
  test/unit/org/apache/cassandra/cql3/BatchTest.java (testOversizedBatch).
"""

import datetime
import math

import pytest
from cassandra import FunctionFailure, InvalidRequest
from cassandra.query import BatchStatement, BatchType

from .util import assert_invalid, one, rows, server_message


def test_plus_concatenates_text_and_ascii(cql, t):
    cql.execute(f"CREATE TABLE {t} (a text, b ascii, PRIMARY KEY (a, b))")
    cql.execute(f"INSERT INTO {t} (a, b) VALUES ('जॉन', 'Doe')")
    assert one(cql, f"SELECT a + ' ' + b, b + a, b + b FROM {t}") == ("जॉन Doe", "Doeजॉन", "DoeDoe")


def test_string_concatenation_names_its_column_like_an_operation(cql, t):
    cql.execute(f"CREATE TABLE {t} (a text PRIMARY KEY, b ascii)")
    cql.execute(f"INSERT INTO {t} (a, b) VALUES ('x', 'y')")
    assert cql.execute(f"SELECT a + b FROM {t}").column_names == ["a + b"]


def test_parenthesised_operation_in_a_where_term(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int, c int, v text, PRIMARY KEY (pk, c))")
    cql.execute(f"INSERT INTO {t} (pk, c, v) VALUES (2, 2, 'test')")
    assert rows(cql, f"SELECT * FROM {t} WHERE pk = 2 AND c = 1 * (1 + 1)") == [(2, 2, "test")]


def test_negated_bind_marker_takes_the_receiver_type(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int PRIMARY KEY, b double)")
    cql.execute(cql.prepare(f"INSERT INTO {t} (a, b) VALUES ((int) ? + 1, -?)"), [0, 2.5])
    assert one(cql, f"SELECT a, b FROM {t}") == (1, -2.5)


def test_ambiguous_operation_on_a_bind_marker_names_its_arguments(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int PRIMARY KEY, b double)")
    with pytest.raises(InvalidRequest) as raised:
        cql.prepare(f"INSERT INTO {t} (a, b) VALUES (? + 1, ?)")
    assert server_message(raised.value) == (
        "Ambiguous '+' operation with args ? and 1: use type hint to disambiguate, example '(int) ?'"
    )


def test_nan_in_decimal_arithmetic_fails_like_cassandra(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int PRIMARY KEY, c decimal)")
    cql.execute(f"INSERT INTO {t} (a, c) VALUES (1, 1)")
    assert_invalid(
        cql,
        f"SELECT c + NAN FROM {t}",
        "the operation 'decimal + double' failed: A NaN cannot be converted into a decimal",
        error=FunctionFailure,
    )
    assert math.isnan(one(cql, f"SELECT a + NAN FROM {t}")[0])


def test_timestamp_minus_a_sub_millisecond_duration_fails(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int, time timestamp, v int, PRIMARY KEY (pk, time))")
    select = cql.prepare(f"SELECT * FROM {t} WHERE pk = 1 AND time > ? - 10us")
    assert_invalid(
        cql,
        select,
        "the operation 'timestamp - duration' failed: The duration must have a millisecond precision. Was: 10us",
        params=[datetime.datetime(2016, 9, 27, 16, 15, 0)],
        error=FunctionFailure,
    )


def test_timestamp_minus_a_millisecond_duration_works(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int, time timestamp, v int, PRIMARY KEY (pk, time))")
    cql.execute(f"INSERT INTO {t} (pk, time, v) VALUES (1, '2016-09-27 16:10:00', 1)")
    select = cql.prepare(f"SELECT v FROM {t} WHERE pk = 1 AND time > ? - 10m")
    got = rows(cql, select, [datetime.datetime(2016, 9, 27, 16, 15, 0)])
    assert got == [(1,)]


def test_multi_partition_batch_over_50kib_is_too_large(cql, t):
    cql.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, val text)")
    insert = cql.prepare(f"INSERT INTO {t} (id, val) VALUES (?, ?)")
    batch = BatchStatement(batch_type=BatchType.UNLOGGED)
    for i in range(400):
        batch.add(insert, (i, "x" * 200))
    assert_invalid(cql, batch, "Batch too large")


def test_single_partition_batch_over_50kib_is_applied(cql, t):
    cql.execute(f"CREATE TABLE {t} (id int, c int, val text, PRIMARY KEY (id, c))")
    insert = cql.prepare(f"INSERT INTO {t} (id, c, val) VALUES (?, ?, ?)")
    batch = BatchStatement(batch_type=BatchType.UNLOGGED)
    for i in range(400):
        batch.add(insert, (1, i, "x" * 200))
    cql.execute(batch)
    assert one(cql, f"SELECT count(*) FROM {t} WHERE id = 1") == (400,)


def test_parenthesised_selectors_keep_their_parentheses_in_the_column_name(cql, t):
    # OperationFctsTest.testPrecedenceAndParentheses; Selectable.BetweenParenthesesOrWithTuple.
    cql.execute(f"CREATE TABLE {t} (a int, b int, c int, d int, PRIMARY KEY (a, b))")
    cql.execute(f"INSERT INTO {t} (a, b, c, d) VALUES (2, 5, 25, 4)")
    cases = [
        ("a - c / b + d", 1),
        ("(c - b) / a + d", 14),
        ("(c - a) % d / a + d", 5),
        ("-(c - a) % d / a + d", 3),
        ("(-c - a) % d / a + d", 3),
    ]
    for selector, value in cases:
        result = cql.execute(f"SELECT {selector} FROM {t}")
        assert result.column_names == [selector]
        assert [tuple(r) for r in result] == [(value,)], selector
