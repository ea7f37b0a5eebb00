"""Fixtures for the CQL conformance suite (issue #3).

Every expectation in this directory is what Apache Cassandra 5.0 returns for the same statement, taken
from Cassandra's own tests and documentation (each test cites its source). The server is the shared
`sibyl` of tests/conftest.py; each test module gets one keyspace (and one driver session) of its own,
and each test creates its own tables in it, named by the `t` fixture.
"""

import itertools
import uuid

import pytest

_table_names = itertools.count()


@pytest.fixture(scope="session")
def conformance_cluster(sibyl):
    """A driver Cluster for this suite. The driver's schema metadata is not needed here (result
    metadata carries every type, UDTs included), so it is off: a CREATE TABLE does not wait for the
    driver to re-read system_schema."""
    cluster = sibyl.cluster(schema_metadata_enabled=False)
    cluster.connect()
    yield cluster
    cluster.shutdown()


@pytest.fixture(scope="module")
def cql(conformance_cluster):
    """A driver session on a keyspace of this module's own (SimpleStrategy, RF 1), dropped afterwards."""
    ks = f"conformance_{uuid.uuid4().hex[:12]}"
    session = conformance_cluster.connect()
    session.execute(
        f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}"
    )
    session.set_keyspace(ks)
    yield session
    try:
        session.execute(f"DROP KEYSPACE IF EXISTS {ks}")
    finally:
        session.shutdown()


@pytest.fixture
def t(cql):
    """A table name not used before in this run (the test creates the table itself)."""
    return f"t{next(_table_names)}"


@pytest.fixture
def ks(cql):
    """The module keyspace's name."""
    return cql.keyspace
