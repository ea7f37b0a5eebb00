"""Secondary indexes as the system keyspace lists them, and the values a legacy index refuses.

Sources (apache/cassandra):
- src/java/org/apache/cassandra/db/SystemKeyspace.java (`IndexInfo`: table_name holds the keyspace name,
  index_name, value; a row per built index).
- test/unit/org/apache/cassandra/cql3/validation/entities/SecondaryIndexTest.java (waitForIndex reads
  system."IndexInfo"; testIndexOnCompositeValueOver64k, testIndexOnFullCollectionEntryInsertCollectionValueOver64k).
- src/java/org/apache/cassandra/index/internal/CassandraIndex.java (validateIndexedValue: "Cannot index value
  of size %d for index %s on %s(%s) (maximum allowed size=%d)").
"""

from .util import assert_invalid, rows


def test_built_indexes_are_listed_in_index_info_by_keyspace(cql, ks, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    cql.execute(f"CREATE INDEX {t}_v ON {t} (v)")
    assert rows(cql, f"SELECT index_name FROM system.\"IndexInfo\" WHERE table_name = '{ks}' AND index_name = '{t}_v'") == [
        (f"{t}_v",)
    ]
    cql.execute(f"DROP INDEX {t}_v")
    assert rows(cql, f"SELECT index_name FROM system.\"IndexInfo\" WHERE table_name = '{ks}' AND index_name = '{t}_v'") == []


def test_legacy_index_refuses_a_value_of_64k_or_more(cql, ks, t):
    cql.execute(f"CREATE TABLE {t} (a int PRIMARY KEY, c blob)")
    cql.execute(f"CREATE INDEX {t}_c ON {t} (c)")
    insert = cql.prepare(f"INSERT INTO {t} (a, c) VALUES (0, ?)")
    message = f"Cannot index value of size 65535 for index {t}_c on {ks}.{t}(c) (maximum allowed size=65535)"
    assert_invalid(cql, insert, message, params=(b"\x01" * 65535,))
    cql.execute(insert, (b"\x01" * 65534,))
    assert rows(cql, f"SELECT a FROM {t}") == [(0,)]


def test_legacy_index_on_a_frozen_collection_refuses_a_value_of_64k_or_more(cql, t):
    cql.execute(f"CREATE TABLE {t} (a int PRIMARY KEY, b frozen<map<int, blob>>)")
    cql.execute(f"CREATE INDEX ON {t} (full(b))")
    insert = cql.prepare(f"INSERT INTO {t} (a, b) VALUES (0, ?)")
    assert_invalid(cql, insert, "Cannot index value of size", params=({0: b"\x01" * 65 * 1024},), exact=False)
    assert rows(cql, f"SELECT a FROM {t}") == []
