"""User-defined types: literals, field selection, frozen and non-frozen columns, nesting, errors.

Sources (apache/cassandra):
- doc/modules/cassandra/pages/developing/cql/types.adoc, "User-Defined Types": UDT literals, omitted
  fields are null.
- test/unit/org/apache/cassandra/cql3/validation/entities/UserTypesTest.java and JsonTest.java
  (field selection `udtval.a`, ALTER TYPE ADD makes the new field null in existing values).
- src/java/org/apache/cassandra/cql3/Operation.java (SetField / FieldDeletion messages).
- src/java/org/apache/cassandra/cql3/UserTypes.java ("Unknown field '%s' in value of user defined type %s").
- src/java/org/apache/cassandra/cql3/statements/schema/CreateTableStatement.java (non-frozen UDT in
  the primary key).
"""

import pytest
from cassandra import InvalidRequest

from .util import assert_invalid, one, rows, server_message


@pytest.fixture
def addr(cql, t):
    """A type `<t>_addr (street text, zip int)`; returns its name."""
    name = f"{t}_addr"
    cql.execute(f"CREATE TYPE {name} (street text, zip int)")
    return name


def test_frozen_udt_literal_round_trip(cql, t, addr):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a frozen<{addr}>)")
    cql.execute(f"INSERT INTO {t} (k, a) VALUES (0, {{street: 'Main', zip: 12345}})")
    a = one(cql, f"SELECT a FROM {t} WHERE k = 0")[0]
    assert (a.street, a.zip) == ("Main", 12345)
    assert tuple(a) == ("Main", 12345)


def test_omitted_fields_are_null(cql, t, addr):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a frozen<{addr}>)")
    cql.execute(f"INSERT INTO {t} (k, a) VALUES (0, {{zip: 1}})")
    assert tuple(one(cql, f"SELECT a FROM {t} WHERE k = 0")[0]) == (None, 1)


def test_field_selection(cql, t, addr):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a frozen<{addr}>)")
    cql.execute(f"INSERT INTO {t} (k, a) VALUES (0, {{street: 'Elm', zip: 7}})")
    assert one(cql, f"SELECT a.zip, a.street FROM {t} WHERE k = 0") == (7, "Elm")


def test_bound_udt_value(cql, t, addr):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a frozen<{addr}>)")
    cql.execute(cql.prepare(f"INSERT INTO {t} (k, a) VALUES (?, ?)"), [0, ("Oak", 99)])
    assert tuple(one(cql, f"SELECT a FROM {t} WHERE k = 0")[0]) == ("Oak", 99)


def test_non_frozen_udt_field_update_keeps_other_fields(cql, t, addr):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a {addr})")
    cql.execute(f"INSERT INTO {t} (k, a) VALUES (0, {{street: 'Main', zip: 1}})")
    cql.execute(f"UPDATE {t} SET a.zip = 2 WHERE k = 0")
    assert tuple(one(cql, f"SELECT a FROM {t} WHERE k = 0")[0]) == ("Main", 2)


def test_non_frozen_udt_field_deletion(cql, t, addr):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a {addr})")
    cql.execute(f"INSERT INTO {t} (k, a) VALUES (0, {{street: 'Main', zip: 1}})")
    cql.execute(f"DELETE a.street FROM {t} WHERE k = 0")
    assert tuple(one(cql, f"SELECT a FROM {t} WHERE k = 0")[0]) == (None, 1)


def test_field_update_of_a_frozen_udt_is_refused(cql, t, addr):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a frozen<{addr}>)")
    assert_invalid(cql, f"UPDATE {t} SET a.zip = 2 WHERE k = 0", "Invalid operation (a.zip = 2) for frozen UDT column a")


def test_field_deletion_of_a_frozen_udt_is_refused(cql, t, addr):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a frozen<{addr}>)")
    assert_invalid(cql, f"DELETE a.zip FROM {t} WHERE k = 0", "Frozen UDT column a does not support field deletions")


def test_update_of_an_unknown_field_is_refused(cql, t, addr):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a {addr})")
    assert_invalid(cql, f"UPDATE {t} SET a.nope = 2 WHERE k = 0", "UDT column a does not have a field named nope")


def test_literal_with_an_unknown_field_is_refused(cql, t, addr):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a frozen<{addr}>)")
    assert_invalid(cql, f"INSERT INTO {t} (k, a) VALUES (0, {{street: 'x', nope: 1}})",
                   f"Unknown field 'nope' in value of user defined type {addr}")


def test_nested_udts_and_udts_in_collections(cql, t, addr):
    person = f"{t}_person"
    cql.execute(f"CREATE TYPE {person} (name text, home frozen<{addr}>, others list<frozen<{addr}>>)")
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, p frozen<{person}>, m map<text, frozen<{addr}>>)")
    cql.execute(f"INSERT INTO {t} (k, p, m) VALUES (0, {{name: 'Ada', home: {{street: 'A', zip: 1}}, "
                f"others: [{{street: 'B', zip: 2}}]}}, {{'work': {{street: 'C', zip: 3}}}})")
    p, m = one(cql, f"SELECT p, m FROM {t} WHERE k = 0")
    assert (p.name, tuple(p.home), [tuple(o) for o in p.others]) == ("Ada", ("A", 1), [("B", 2)])
    assert [(key, tuple(v)) for key, v in m.items()] == [("work", ("C", 3))]
    assert one(cql, f"SELECT p.home.zip FROM {t} WHERE k = 0") == (1,)


def test_frozen_udt_as_primary_key(cql, t, addr):
    cql.execute(f"CREATE TABLE {t} (k frozen<{addr}>, c frozen<{addr}>, v int, PRIMARY KEY (k, c))")
    cql.execute(f"INSERT INTO {t} (k, c, v) VALUES ({{street: 'a', zip: 1}}, {{street: 'b', zip: 2}}, 1)")
    cql.execute(f"INSERT INTO {t} (k, c, v) VALUES ({{street: 'a', zip: 1}}, {{street: 'a', zip: 9}}, 2)")
    assert rows(cql, f"SELECT v FROM {t} WHERE k = {{street: 'a', zip: 1}}") == [(2,), (1,)]


def test_non_frozen_udt_in_primary_key_is_refused(cql, t, addr):
    with pytest.raises(InvalidRequest) as raised:
        cql.execute(f"CREATE TABLE {t} (k {addr} PRIMARY KEY, v int)")
    message = server_message(raised.value)
    assert message.startswith("Invalid non-frozen user-defined type ") and message.endswith(
        " for PRIMARY KEY column 'k'"), message


def test_non_frozen_udt_inside_a_collection_is_refused(cql, t, addr):
    with pytest.raises(InvalidRequest) as raised:
        cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, l list<{addr}>)")
    assert "Non-frozen UDTs are not allowed inside collections" in server_message(raised.value)


def test_altered_type_reads_new_field_as_null(cql, t, addr):
    # JsonTest.testAlterUDT: ALTER TYPE ... ADD b boolean, then existing values have b = null.
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a frozen<{addr}>)")
    cql.execute(f"INSERT INTO {t} (k, a) VALUES (0, {{street: 'Main', zip: 1}})")
    cql.execute(f"ALTER TYPE {addr} ADD country text")
    assert one(cql, f"SELECT a.country, a.zip FROM {t} WHERE k = 0") == (None, 1)


def test_creating_a_type_twice_is_refused(cql, t, addr):
    # CreateTypeStatement: "A user type with name '%s' already exists"; IF NOT EXISTS makes it a no-op.
    assert_invalid(cql, f"CREATE TYPE {addr} (street text, zip int)", f"A user type with name '{addr}' already exists")
    cql.execute(f"CREATE TYPE IF NOT EXISTS {addr} (other int)")


def test_adding_a_field_to_a_type_in_a_partition_key_is_refused(cql, ks, t):
    # AlterTest.testAlterTypeUsedInPartitionKey (CASSANDRA-15933); AlterTypeStatement.AddField.
    inner, outer = f"{t}_in", f"{t}_out"
    cql.execute(f"CREATE TYPE {inner} (v1 int)")
    cql.execute(f"CREATE TYPE {outer} (v1 frozen<{inner}>, v2 frozen<{inner}>)")
    cql.execute(f"CREATE TABLE {t}_direct (pk frozen<{inner}>, val int, PRIMARY KEY (pk))")
    cql.execute(f"CREATE TABLE {t}_nested (pk frozen<{outer}>, val int, PRIMARY KEY (pk))")
    cql.execute(f"CREATE TABLE {t}_list (pk frozen<list<frozen<{inner}>>>, val int, PRIMARY KEY (pk))")
    err = assert_invalid(
        cql,
        f"ALTER TYPE {inner} ADD v2 int",
        f"Cannot add new field v2 of type int to user type {ks}.{inner} as the type is being used in "
        "partition key by the following tables: ",
        exact=False,
    )
    for table in (f"{t}_direct", f"{t}_nested", f"{t}_list"):
        assert f"{ks}.{table}" in server_message(err)
    assert_invalid(
        cql,
        f"ALTER TYPE {outer} ADD v3 int",
        f"Cannot add new field v3 of type int to user type {ks}.{outer} as the type is being used in "
        f"partition key by the following tables: {ks}.{t}_nested",
    )


def test_renaming_a_field_of_a_type_in_a_partition_key_is_accepted(cql, ks, t):
    # Cassandra 5.0's AlterTypeStatement.RenameFields has no partition key check (only ADD has).
    cql.execute(f"CREATE TYPE {t}_u (v1 int)")
    cql.execute(f"CREATE TABLE {t} (pk frozen<{t}_u>, val int, PRIMARY KEY (pk))")
    cql.execute(f"INSERT INTO {t} (pk, val) VALUES ({{v1: 1}}, 2)")
    cql.execute(f"ALTER TYPE {t}_u RENAME v1 TO w")
    assert one(cql, f"SELECT pk.w, val FROM {t}") == (1, 2)
