"""Keyspace replication options as Cassandra 5.0 checks and completes them on a one-datacenter node.

Sources (apache/cassandra):
- src/java/org/apache/cassandra/locator/SimpleStrategy.java (prepareOptions: a missing
  replication_factor becomes default_keyspace_rf, 1 by default).
- src/java/org/apache/cassandra/locator/NetworkTopologyStrategy.java (validateExpectedOptions:
  "Unrecognized strategy option {%s} passed to %s for keyspace %s" for an unknown datacenter).
- test/unit/org/apache/cassandra/cql3/validation/operations/CreateTest.java
  (testCreateKeyspaceWithSimpleStrategyNoOptions, testCreateKeyspaceWithNTSOnlyAcceptsConfiguredDataCenterNames).
"""

import uuid

from cassandra.protocol import ConfigurationException

from .util import assert_invalid, one


def test_simple_strategy_without_a_factor_uses_the_default_of_one(cql):
    name = f"ks_{uuid.uuid4().hex[:10]}"
    cql.execute(f"CREATE KEYSPACE {name} WITH replication = {{'class': 'SimpleStrategy'}}")
    try:
        (replication,) = one(cql, f"SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = '{name}'")
        assert replication == {"class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": "1"}
    finally:
        cql.execute(f"DROP KEYSPACE {name}")


def test_network_topology_refuses_an_unknown_datacenter(cql):
    name = f"ks_{uuid.uuid4().hex[:10]}"
    dc = one(cql, "SELECT data_center FROM system.local")[0]
    assert_invalid(
        cql,
        f"CREATE KEYSPACE {name} WITH replication = {{'class': 'NetworkTopologyStrategy', '{dc}': 1, 'INVALID_DC': 1}}",
        f"Unrecognized strategy option {{INVALID_DC}} passed to NetworkTopologyStrategy for keyspace {name}",
        error=ConfigurationException,
    )
    cql.execute(f"CREATE KEYSPACE {name} WITH replication = {{'class': 'NetworkTopologyStrategy', '{dc}': 1}}")
    try:
        assert_invalid(
            cql,
            f"ALTER KEYSPACE {name} WITH replication = {{'class': 'NetworkTopologyStrategy', 'dc9': 1}}",
            f"Unrecognized strategy option {{dc9}} passed to NetworkTopologyStrategy for keyspace {name}",
            error=ConfigurationException,
        )
    finally:
        cql.execute(f"DROP KEYSPACE {name}")
