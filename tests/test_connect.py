"""Connecting with unmodified clients: the Python driver's handshake and metadata, and cqlsh."""

from cassandra.cluster import Cluster

from conftest import run_cqlsh


def test_driver_connects_with_default_protocol_negotiation(sibyl):
    cluster = Cluster([sibyl.host], port=sibyl.port)
    try:
        session = cluster.connect()
        assert cluster.protocol_version in (4, 5)
        assert session.execute("SELECT key FROM system.local").one().key == "local"
    finally:
        cluster.shutdown()


def test_system_local_describes_a_cassandra_5_node(cluster):
    row = cluster.connect().execute(
        "SELECT cluster_name, release_version, cql_version, partitioner, data_center, rack, tokens, host_id,"
        " schema_version, rpc_address FROM system.local WHERE key = 'local'"
    ).one()
    assert row.cluster_name == "Test Cluster"
    assert row.release_version.startswith("5.0.")
    assert row.cql_version.startswith("3.4.")
    assert row.partitioner == "org.apache.cassandra.dht.Murmur3Partitioner"
    assert row.data_center == "datacenter1"
    assert row.rack == "rack1"
    assert row.tokens and [int(t) for t in row.tokens]
    assert row.host_id is not None
    assert row.schema_version is not None
    assert row.rpc_address == "127.0.0.1"


def test_system_peers_is_empty(cluster):
    assert cluster.connect().execute("SELECT * FROM system.peers").all() == []


def test_driver_metadata_knows_the_system_keyspaces(cluster):
    keyspaces = cluster.metadata.keyspaces
    assert "system" in keyspaces
    assert "system_schema" in keyspaces
    assert "local" in keyspaces["system"].tables
    assert cluster.metadata.cluster_name == "Test Cluster"
    assert len(cluster.metadata.all_hosts()) == 1


def test_schema_changes_reach_the_driver_metadata(cluster, session):
    ks = session.keyspace
    session.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
    table = cluster.metadata.keyspaces[ks].tables["t"]
    assert [c.name for c in table.partition_key] == ["k"]
    assert table.columns["v"].cql_type == "text"
    session.execute("DROP TABLE t")
    assert "t" not in cluster.metadata.keyspaces[ks].tables


def test_cluster_name_flag_is_reported_to_clients(sibyl_factory):
    server = sibyl_factory("--cluster-name", "Sibyl CI")
    cluster = server.cluster()
    try:
        cluster.connect()
        assert cluster.metadata.cluster_name == "Sibyl CI"
    finally:
        cluster.shutdown()


def test_cqlsh_connects_and_shows_version(sibyl, tmp_path):
    result = run_cqlsh(sibyl.host, sibyl.port, "SHOW VERSION", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert "| Cassandra 5.0." in result.stdout


def test_cqlsh_shows_the_cluster_host(sibyl, tmp_path):
    result = run_cqlsh(sibyl.host, sibyl.port, "SHOW HOST", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Connected to Test Cluster at {sibyl.host}:{sibyl.port}" in result.stdout
