"""Errors: the class and the exact message Cassandra 5.0 gives, and the connection stays usable
(every assert_invalid also runs a query afterwards on the same session).

Sources (apache/cassandra):
- src/java/org/apache/cassandra/schema/Schema.java (validateTable: "keyspace %s does not exist",
  "table %s does not exist"); schema/TableMetadata.java ("Undefined column name %s in table %s").
- src/java/org/apache/cassandra/cql3/statements/UpdateStatement.java (INSERT and UPDATE messages).
- src/java/org/apache/cassandra/cql3/statements/schema/CreateTableStatement.java, DropTableStatement.java,
  DropKeyspaceStatement.java (DDL messages).
- test/unit/org/apache/cassandra/cql3/validation/operations/SelectMultiColumnRelationTest.java
  ("Expected 4 or 0 byte int (6)" for a bound value of the wrong size).
- test/unit/org/apache/cassandra/cql3/validation/operations/InsertUpdateIfConditionTest.java
  ('Invalid INTEGER constant (0) for "k" of type text', "Some partition key parts are missing: k").
- src/java/org/apache/cassandra/cql3/restrictions/StatementRestrictions.java (ALLOW FILTERING message).
"""

import pytest
from cassandra import InvalidRequest
from cassandra.protocol import SyntaxException
from cassandra.query import BoundStatement

from .util import assert_invalid, assert_usable, one

ALLOW_FILTERING_MESSAGE = (
    "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. "
    "If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING")


@pytest.fixture
def kv(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v text)")
    return t


@pytest.fixture
def kcv(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int, c int, v int, PRIMARY KEY (k, c))")
    return t


def test_unknown_keyspace(cql):
    assert_invalid(cql, "SELECT * FROM no_such_keyspace.t", "keyspace no_such_keyspace does not exist")
    assert_invalid(cql, "INSERT INTO no_such_keyspace.t (k) VALUES (1)", "keyspace no_such_keyspace does not exist")


def test_unknown_table(cql):
    assert_invalid(cql, "SELECT * FROM no_such_table", "table no_such_table does not exist")
    assert_invalid(cql, "UPDATE no_such_table SET v = 1 WHERE k = 1", "table no_such_table does not exist")


def test_unknown_column_in_select(cql, ks, kv):
    assert_invalid(cql, f"SELECT nope FROM {kv}", f"Undefined column name nope in table {ks}.{kv}")


def test_unknown_column_in_where(cql, ks, kv):
    assert_invalid(cql, f"SELECT v FROM {kv} WHERE nope = 1", f"Undefined column name nope in table {ks}.{kv}")


def test_unknown_column_in_insert(cql, ks, kv):
    assert_invalid(cql, f"INSERT INTO {kv} (k, nope) VALUES (1, 1)", f"Undefined column name nope in table {ks}.{kv}")


def test_unknown_column_in_update(cql, ks, kv):
    assert_invalid(cql, f"UPDATE {kv} SET nope = 1 WHERE k = 1", f"Undefined column name nope in table {ks}.{kv}")


def test_wrong_literal_type(cql, kv):
    assert_invalid(cql, f"INSERT INTO {kv} (k, v) VALUES ('x', 'y')", 'Invalid STRING constant (x) for "k" of type int')
    assert_invalid(cql, f"INSERT INTO {kv} (k, v) VALUES (1, 2)", 'Invalid INTEGER constant (2) for "v" of type text')


def test_wrong_size_bound_value(cql, kv):
    # The driver checks types itself, so send raw bytes: 6 bytes where an int (4 bytes) is expected.
    bound = BoundStatement(cql.prepare(f"SELECT v FROM {kv} WHERE k = ?"))
    bound.values = [b"foobar"]
    assert_invalid(cql, bound, "Expected 4 or 0 byte int (6)")


def test_select_without_partition_key_needs_allow_filtering(cql, kcv):
    assert_invalid(cql, f"SELECT * FROM {kcv} WHERE c = 1", ALLOW_FILTERING_MESSAGE)


def test_update_without_partition_key(cql, kcv):
    assert_invalid(cql, f"UPDATE {kcv} SET v = 1 WHERE c = 1", "Some partition key parts are missing: k")


def test_update_without_clustering_key(cql, kcv):
    assert_invalid(cql, f"UPDATE {kcv} SET v = 1 WHERE k = 1", "Some clustering keys are missing: c")


def test_insert_without_clustering_key(cql, kcv):
    assert_invalid(cql, f"INSERT INTO {kcv} (k, v) VALUES (1, 1)", "Some clustering keys are missing: c")


def test_insert_without_partition_key(cql, kcv):
    assert_invalid(cql, f"INSERT INTO {kcv} (c, v) VALUES (1, 1)", "Some partition key parts are missing: k")


def test_primary_key_column_in_set(cql, kcv):
    assert_invalid(cql, f"UPDATE {kcv} SET c = 2 WHERE k = 1 AND c = 1", "PRIMARY KEY part c found in SET part")


def test_insert_with_more_values_than_columns(cql, kv):
    assert_invalid(cql, f"INSERT INTO {kv} (k, v) VALUES (1, 'a', 'b')", "Unmatched column names/values")


def test_insert_naming_a_column_twice(cql, kv):
    assert_invalid(cql, f"INSERT INTO {kv} (k, v, v) VALUES (1, 'a', 'b')", "The column names contains duplicates")


def test_non_frozen_collection_in_the_primary_key(cql, t):
    assert_invalid(cql, f"CREATE TABLE {t} (k int, l list<int>, PRIMARY KEY (k, l))",
                   "Invalid non-frozen collection type list<int> for PRIMARY KEY column 'l'")


def test_duration_in_the_primary_key(cql, t):
    assert_invalid(cql, f"CREATE TABLE {t} (d duration PRIMARY KEY, v int)",
                   "duration type is not supported for PRIMARY KEY column 'd'")


def test_unknown_column_in_the_primary_key_definition(cql, t):
    assert_invalid(cql, f"CREATE TABLE {t} (k int, v int, PRIMARY KEY (x))",
                   f"Unknown column 'x' referenced in PRIMARY KEY for table '{t}'")


def test_column_twice_in_the_primary_key(cql, t):
    assert_invalid(cql, f"CREATE TABLE {t} (k int, v int, PRIMARY KEY (k, k))",
                   f"Duplicate column 'k' in PRIMARY KEY clause for table '{t}'")


def test_drop_of_a_missing_table(cql, ks):
    assert_invalid(cql, "DROP TABLE no_such_table", f"Table '{ks}.no_such_table' doesn't exist")
    cql.execute("DROP TABLE IF EXISTS no_such_table")


def test_drop_of_a_missing_keyspace(cql):
    assert_invalid(cql, "DROP KEYSPACE no_such_keyspace", "Keyspace 'no_such_keyspace' doesn't exist")
    cql.execute("DROP KEYSPACE IF EXISTS no_such_keyspace")


def test_errors_at_prepare_time(cql, ks, kv):
    with pytest.raises(InvalidRequest):
        cql.prepare(f"SELECT nope FROM {kv} WHERE k = ?")
    with pytest.raises(SyntaxException):
        cql.prepare(f"SELEC v FROM {kv}")
    assert_usable(cql)


def test_session_keeps_working_after_many_errors(cql, kv):
    cql.execute(f"INSERT INTO {kv} (k, v) VALUES (1, 'ok')")
    for _ in range(20):
        with pytest.raises(InvalidRequest):
            cql.execute(f"INSERT INTO {kv} (k, v) VALUES ('bad', 'x')")
        with pytest.raises(SyntaxException):
            cql.execute("not cql at all")
    assert one(cql, f"SELECT v FROM {kv} WHERE k = 1") == ("ok",)
