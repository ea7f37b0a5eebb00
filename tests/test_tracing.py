"""Request tracing: the tracing flag, system_traces.sessions/events, the driver's query traces, cqlsh TRACING ON."""

import socket
import struct
import uuid

import pytest
from cassandra import ConsistencyLevel
from cassandra.query import BatchStatement, SimpleStatement

PROTOCOL_VERSIONS = [4, 5]


@pytest.fixture(params=PROTOCOL_VERSIONS, ids=lambda v: f"v{v}")
def traced_session(sibyl, request):
    """A session on a fresh keyspace with a table `t`, over protocol v4 or v5."""
    cluster = sibyl.cluster(protocol_version=request.param)
    session = cluster.connect()
    ks = f"tracing_v{request.param}_{uuid.uuid4().hex[:8]}"
    session.execute(f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
    session.set_keyspace(ks)
    session.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
    yield session
    session.execute(f"DROP KEYSPACE {ks}")
    cluster.shutdown()


def test_a_traced_select_has_a_trace_with_its_request_parameters_and_steps(traced_session):
    traced_session.execute("INSERT INTO t (k, v) VALUES (1, 'a')")
    result = traced_session.execute("SELECT v FROM t WHERE k = 1", trace=True)
    assert result.one().v == "a"
    trace = result.get_query_trace(max_wait_sec=10)
    assert trace.request_type == "Execute CQL3 query"
    assert trace.parameters["query"] == "SELECT v FROM t WHERE k = 1"
    assert trace.parameters["consistency_level"] == "LOCAL_ONE"
    assert trace.coordinator == "127.0.0.1"
    assert str(trace.client) == "127.0.0.1"
    assert trace.duration.total_seconds() >= 0
    activities = [e.description for e in trace.events]
    assert activities[0] == "Parsing SELECT v FROM t WHERE k = 1"
    assert "Preparing statement" in activities
    assert "Executing single-partition query on t" in activities
    assert "Read 1 live rows and 0 tombstone cells" in activities


def test_a_traced_write_records_the_commitlog_and_memtable_steps(traced_session):
    result = traced_session.execute("INSERT INTO t (k, v) VALUES (2, 'b')", trace=True)
    activities = [e.description for e in result.get_query_trace(max_wait_sec=10).events]
    assert "Appending to commitlog" in activities
    assert "Adding to t memtable" in activities


def test_a_traced_prepared_execute_records_the_query_and_bound_values(traced_session):
    select = traced_session.prepare("SELECT v FROM t WHERE k = ?")
    result = traced_session.execute(select, [7], trace=True)
    trace = result.get_query_trace(max_wait_sec=10)
    assert trace.request_type == "Execute CQL3 prepared query"
    assert trace.parameters["query"] == "SELECT v FROM t WHERE k = ?"
    assert trace.parameters["bound_var_0_k"] == "7"


def test_a_traced_batch_is_named_as_cassandra_names_it(traced_session):
    batch = BatchStatement(consistency_level=ConsistencyLevel.QUORUM)
    batch.add(SimpleStatement("INSERT INTO t (k, v) VALUES (3, 'c')"))
    batch.add(SimpleStatement("INSERT INTO t (k, v) VALUES (4, 'd')"))
    trace = traced_session.execute(batch, trace=True).get_query_trace(max_wait_sec=10)
    assert trace.request_type == "Execute batch of CQL3 queries"
    assert trace.parameters["consistency_level"] == "QUORUM"
    assert "Adding to t memtable" in [e.description for e in trace.events]


def test_a_request_without_the_flag_gets_no_trace(traced_session):
    result = traced_session.execute("SELECT v FROM t WHERE k = 1")
    assert result.get_all_query_traces() == []


def test_trace_rows_expire_after_a_day(traced_session):
    result = traced_session.execute("SELECT v FROM t WHERE k = 1", trace=True)
    trace_id = result.get_query_trace(max_wait_sec=10).trace_id
    session_ttl = traced_session.execute(
        "SELECT ttl(request) FROM system_traces.sessions WHERE session_id = %s", [trace_id]
    ).one()[0]
    assert 86_000 < session_ttl <= 86_400
    event_ttls = [r[0] for r in traced_session.execute(
        "SELECT ttl(activity) FROM system_traces.events WHERE session_id = %s", [trace_id]
    )]
    assert event_ttls and all(86_000 < t <= 86_400 for t in event_ttls)


def test_system_traces_tables_are_in_the_drivers_schema_metadata(traced_session):
    metadata = traced_session.cluster.metadata
    ks = metadata.keyspaces["system_traces"]
    assert ks.replication_strategy.replication_factor == 2
    sessions = ks.tables["sessions"]
    assert [c.name for c in sessions.partition_key] == ["session_id"]
    assert sessions.columns["parameters"].cql_type == "map<text, text>"
    assert sessions.columns["duration"].cql_type == "int"
    events = ks.tables["events"]
    assert [c.name for c in events.clustering_key] == ["event_id"]
    assert events.columns["event_id"].cql_type == "timeuuid"
    assert events.columns["source_elapsed"].cql_type == "int"


def startup_frame(version, stream=0):
    body = struct.pack(">H", 1) + struct.pack(">H", 11) + b"CQL_VERSION" + struct.pack(">H", 5) + b"3.0.0"
    return struct.pack(">BBhBI", version, 0, stream, 0x01, len(body)) + body


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, "connection closed"
        data += chunk
    return data


def read_frame(sock):
    header = recv_exact(sock, 9)
    version, flags, stream, opcode, length = struct.unpack(">BBhBI", header)
    return flags, opcode, recv_exact(sock, length)


def test_the_response_to_a_traced_frame_carries_the_flag_and_session_id_first(sibyl):
    """Native protocol v4 §2.2: with the tracing flag, the response body starts with the session's uuid."""
    with socket.create_connection((sibyl.host, sibyl.port), timeout=10) as sock:
        sock.sendall(startup_frame(4))
        assert read_frame(sock)[1] == 0x02  # READY
        query = b"SELECT release_version FROM system.local"
        body = struct.pack(">I", len(query)) + query + struct.pack(">HB", 1, 0)
        sock.sendall(struct.pack(">BBhBI", 4, 0x02, 1, 0x07, len(body)) + body)
        flags, opcode, body = read_frame(sock)
        assert opcode == 0x08  # RESULT
        assert flags & 0x02
        session_id = uuid.UUID(bytes=body[:16])
        assert session_id.version == 1
        assert struct.unpack(">i", body[16:20])[0] == 0x0002  # Rows follows the uuid
        # An error answer of a traced request carries it too.
        bad = b"SELECT * FROM no_such_keyspace.t"
        body = struct.pack(">I", len(bad)) + bad + struct.pack(">HB", 1, 0)
        sock.sendall(struct.pack(">BBhBI", 4, 0x02, 2, 0x07, len(body)) + body)
        flags, opcode, body = read_frame(sock)
        assert opcode == 0x00 and flags & 0x02
        assert uuid.UUID(bytes=body[:16]).version == 1
        # Without the flag, no uuid.
        body = struct.pack(">I", len(query)) + query + struct.pack(">HB", 1, 0)
        sock.sendall(struct.pack(">BBhBI", 4, 0, 3, 0x07, len(body)) + body)
        flags, opcode, body = read_frame(sock)
        assert not flags & 0x02
        assert struct.unpack(">i", body[:4])[0] == 0x0002


def test_cqlsh_tracing_on_prints_the_trace(sibyl, session):
    ks = session.keyspace
    session.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
    session.execute("INSERT INTO t (k, v) VALUES (1, 'a')")
    result = sibyl.cqlsh(f"TRACING ON; SELECT v FROM {ks}.t WHERE k = 1;")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "TRACING set to ON" in out
    assert "Tracing session: " in out
    assert "Execute CQL3 query" in out
    assert f"Parsing SELECT v FROM {ks}.t WHERE k = 1" in out
    assert "Executing single-partition query on t" in out
    assert "Request complete" in out
    assert "Statement trace did not complete" not in out + result.stderr
