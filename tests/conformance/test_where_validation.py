"""WHERE and IF checks Cassandra 5.0 makes before running a statement: at PREPARE for what needs no
values, slices on durations, CONTAINS beyond what an index answers, clustering values over 64 KiB.

Sources (apache/cassandra):
- src/java/org/apache/cassandra/cql3/restrictions/StatementRestrictions.java ("Non PRIMARY KEY
  columns found in where clause: %s ", "The token function cannot be used in WHERE clauses for %s
  statements"), checked when the statement is prepared.
- src/java/org/apache/cassandra/cql3/Operator.java ("Slice restrictions are not supported on duration
  columns", "... on collections / tuples / UDTs containing durations").
- src/java/org/apache/cassandra/cql3/conditions/ColumnCondition.java ("Slice conditions ( %s ) are
  not supported on durations").
- src/java/org/apache/cassandra/cql3/restrictions/SingleColumnRestriction.java (ContainsRestriction:
  more than one value needs filtering); SelectTest.testSetContainsWithIndex.
- src/java/org/apache/cassandra/cql3/statements/ModificationStatement.java ("Key length of %d is
  longer than maximum of %d" for a clustering value over 65535 bytes; "IN on the clustering key
  columns is not supported with conditional deletions", where IN counts as an equality for
  DeleteStatement's "must restrict all PRIMARY KEY columns with equality relations").
- test/unit/org/apache/cassandra/cql3/validation/operations/SelectTest.java
  (testSingleColumnPartitionKeyWithTokenNonTokenRestrictionsMix: values and token() together).
- src/java/org/apache/cassandra/cql3/functions/FunctionCall.java ("Invalid unset value for argument
  in call to function %s").
"""

import pytest
from cassandra import InvalidRequest
from cassandra.query import UNSET_VALUE

from .util import assert_invalid, rows

ALLOW_FILTERING_MESSAGE = (
    "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. "
    "If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING")


def test_prepare_refuses_a_delete_restricting_a_non_key_column(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, c int, v int, s set<int>, PRIMARY KEY (k, c))")
    with pytest.raises(InvalidRequest, match="Non PRIMARY KEY columns found in where clause: v"):
        cql.prepare(f"DELETE FROM {t} WHERE k = ? AND c = ? AND v = ?")
    with pytest.raises(InvalidRequest, match="Non PRIMARY KEY columns found in where clause: s"):
        cql.prepare(f"UPDATE {t} SET v = 1 WHERE k = ? AND s CONTAINS ?")


def test_prepare_refuses_token_in_a_delete(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    with pytest.raises(InvalidRequest, match="The token function cannot be used in WHERE clauses for DELETE statements"):
        cql.prepare(f"DELETE FROM {t} WHERE token(k) = token(?)")


def test_slices_on_durations_are_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, d duration, l list<duration>, tu frozen<tuple<int, duration>>)")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE d > 1s ALLOW FILTERING",
                   "Slice restrictions are not supported on duration columns")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE l <= [1s] ALLOW FILTERING",
                   "Slice restrictions are not supported on collections containing durations")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE tu < (1, 1s) ALLOW FILTERING",
                   "Slice restrictions are not supported on tuples containing durations")
    assert rows(cql, f"SELECT * FROM {t} WHERE d = 1s ALLOW FILTERING") == []


def test_slice_conditions_on_durations_are_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int, d duration)")
    assert_invalid(cql, f"UPDATE {t} SET v = 3 WHERE k = 0 IF d > 1s",
                   "Slice conditions ( > ) are not supported on durations")
    assert_invalid(cql, f"UPDATE {t} SET v = 3 WHERE k = 0 IF d <= 1s",
                   "Slice conditions ( <= ) are not supported on durations")


def test_two_contains_on_an_indexed_collection_need_allow_filtering(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, c int, s set<text>, PRIMARY KEY (k, c))")
    cql.execute(f"CREATE INDEX ON {t} (s)")
    cql.execute(f"INSERT INTO {t} (k, c, s) VALUES (1, 1, {{'a', 'b'}})")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE k = 1 AND s CONTAINS 'a' AND s CONTAINS 'b'", ALLOW_FILTERING_MESSAGE)
    assert rows(cql, f"SELECT c FROM {t} WHERE k = 1 AND s CONTAINS 'a' AND s CONTAINS 'b' ALLOW FILTERING") == [(1,)]
    assert rows(cql, f"SELECT c FROM {t} WHERE k = 1 AND s CONTAINS 'a'") == [(1,)]


def test_a_clustering_value_over_64k_is_refused_on_write(cql, t):
    cql.execute(f"CREATE TABLE {t} (k text, c text, PRIMARY KEY (k, c))")
    big = "x" * (65 * 1024)
    assert_invalid(cql, f"INSERT INTO {t} (k, c) VALUES ('a', '{big}')",
                   f"Key length of {len(big)} is longer than maximum of 65535")
    insert = cql.prepare(f"INSERT INTO {t} (k, c) VALUES (?, ?)")
    with pytest.raises(InvalidRequest, match=r"Key length of \d+ is longer than maximum of 65535"):
        cql.execute(insert, ("a", big))


def test_a_conditional_delete_refuses_in_on_clustering_columns(cql, t):
    cql.execute(f"CREATE TABLE {t} (k text, i int, v text, PRIMARY KEY (k, i))")
    assert_invalid(cql, f"DELETE FROM {t} WHERE k = 'k' AND i IN (0, 1) IF v = 'foo'",
                   "IN on the clustering key columns is not supported with conditional deletions")
    assert_invalid(cql, f"DELETE FROM {t} WHERE k = 'k' AND i > 0 IF v = 'foo'",
                   "DELETE statements must restrict all PRIMARY KEY columns with equality relations "
                   "in order to delete non static columns")


def test_a_conditional_delete_of_regular_columns_needs_the_full_primary_key(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int, ck int, s int static, v int, PRIMARY KEY (pk, ck))")
    assert_invalid(cql, f"DELETE s, v FROM {t} WHERE pk = 1 IF s = 1",
                   "DELETE statements must restrict all PRIMARY KEY columns with equality relations "
                   "in order to delete non static columns")


def test_partition_key_values_and_token_restrict_together(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int PRIMARY KEY, b int)")
    for i in range(5):
        cql.execute(f"INSERT INTO {t} (a, b) VALUES ({i}, {i})")
    # token order of the keys: 1, 0, 2, 4, 3
    assert rows(cql, f"SELECT a FROM {t} WHERE token(a) > token(1) AND a IN (1, 3)") == [(3,)]
    assert rows(cql, f"SELECT a FROM {t} WHERE a = 3 AND token(a) > token(1)") == [(3,)]
    assert rows(cql, f"SELECT a FROM {t} WHERE a = 1 AND token(a) > token(3)") == []
    assert rows(cql, f"SELECT a FROM {t} WHERE token(a) >= token(2) AND token(a) <= token(2) AND a = 2") == [(2,)]
    assert_invalid(cql, f"SELECT a FROM {t} WHERE token(a) > token(1) AND a > 1", ALLOW_FILTERING_MESSAGE)


def test_an_unset_token_argument_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    select = cql.prepare(f"SELECT * FROM {t} WHERE token(k) >= token(?)")
    with pytest.raises(InvalidRequest, match="Invalid unset value for argument in call to function token"):
        cql.execute(select, (UNSET_VALUE,))


def test_a_non_frozen_collection_cannot_be_restricted_as_a_whole(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int PRIMARY KEY, b set<int>, c int)")
    cql.execute(f"CREATE INDEX ON {t} (c)")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE c = 0 AND b > {{0}}",
                   "Collection column 'b' (set<int>) cannot be restricted by a '>' relation")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE c = 0 AND b IN ({{0}})",
                   "Collection column 'b' (set<int>) cannot be restricted by a 'IN' relation")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE a = 0 AND b = {{0}} ALLOW FILTERING",
                   "Collection column 'b' (set<int>) cannot be restricted by a '=' relation")


def test_clustering_values_over_64k_together_are_refused_on_write(cql, t):
    cql.execute(f"CREATE TABLE {t} (a blob, b blob, c blob, PRIMARY KEY (a, b, c))")
    insert = cql.prepare(f"INSERT INTO {t} (a, b, c) VALUES (?, ?, ?)")
    half = b"x" * 40000
    with pytest.raises(InvalidRequest, match="Key length of 80000 is longer than maximum of 65535"):
        cql.execute(insert, (b"k", half, half))


def test_a_type_cast_must_fit_the_receiver(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a ascii, tx text, d double, i int)")
    cql.execute(f"UPDATE {t} SET tx = (ascii)'foo', a = (ascii)'foo', i = (int)3, d = (double)3 WHERE k = 0")
    assert_invalid(cql, f"UPDATE {t} SET a = (text)'foo' WHERE k = 0", "Cannot assign value (text)'foo' to a of type ascii")
    assert_invalid(cql, f"UPDATE {t} SET d = (int)3 WHERE k = 0", "Cannot assign value (int)3 to d of type double")


def test_a_multi_column_slice_bound_is_given_once(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int, b int, c int, PRIMARY KEY (a, b))")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE a = 0 AND (b) > (0) AND (b) > (1)",
                   "More than one restriction was found for the start bound on b")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE a = 0 AND (b) != (0)", 'Unsupported "!=" relation: (b) != (0)')


def test_a_cast_element_that_does_not_fit_makes_the_vector_literal_invalid(cql, t):
    cql.execute(f"CREATE TABLE {t} (pk int PRIMARY KEY, value vector<int, 2>)")
    assert_invalid(cql, f"INSERT INTO {t} (pk, value) VALUES (0, [(bigint) 1, (bigint) 2])",
                   "Invalid vector literal for value: value (bigint)1 is not of type int")


def test_contains_on_a_clustering_column_after_a_slice_is_refused(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int, b int, c frozen<list<int>>, d int, PRIMARY KEY (a, b, c))")
    assert_invalid(cql, f"SELECT * FROM {t} WHERE b > 20 AND c CONTAINS 2",
                   'Clustering column "c" cannot be restricted (preceding column "b" is restricted by a non-EQ relation)')
    assert rows(cql, f"SELECT * FROM {t} WHERE b > 20 AND c CONTAINS 2 ALLOW FILTERING") == []


def test_order_by_may_skip_a_column_restricted_by_an_in_of_one_value(cql, t):
    # SelectOrderByTest.testAllowSkippingEqualityAndSingleValueInRestrictedClusteringColumns
    cql.execute(f"CREATE TABLE {t} (a int, b int, c int, d int, PRIMARY KEY (a, b, c))")
    for b, c in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        cql.execute(f"INSERT INTO {t} (a, b, c, d) VALUES (0, {b}, {c}, {b + c})")
    assert rows(cql, f"SELECT c FROM {t} WHERE a = 0 AND b IN (1) ORDER BY c DESC") == [(1,), (0,)]
    assert rows(cql, f"SELECT c FROM {t} WHERE a = 0 AND (b, c) IN ((1, 1)) ORDER BY c DESC") == [(1,)]
    assert_invalid(cql, f"SELECT c FROM {t} WHERE a = 0 AND b IN (0, 1) ORDER BY c DESC",
                   "Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY")


def test_a_misplaced_blob_literal_is_printed_with_its_0x(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    assert_invalid(cql, f"INSERT INTO {t} (k, v) VALUES (0, 0x)", 'Invalid HEX constant (0x) for "v" of type int')
    assert_invalid(cql, f"INSERT INTO {t} (k, v) VALUES (0, 0x01)", 'Invalid HEX constant (0x01) for "v" of type int')
